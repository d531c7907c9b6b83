package services

import (
	"errors"
	"fmt"
	"path"
	"reflect"
	"strings"
	"unicode"

	"github.com/go-playground/validator/v10"
)

// InputIssue is one problem with submitted input: the JSON path of the field and a message.
type InputIssue struct {
	Path    string
	Message string
}

// InputError is returned for input that fails validation — settings, users, badges, pauses,
// maintenance windows — with one issue per field, which the handlers answer as a 400.
type InputError struct {
	Issues []InputIssue
}

func (e *InputError) Error() string { return "services: invalid input: " + e.First() }

// First is the first issue as a form shows it: "path: message".
func (e *InputError) First() string {
	if len(e.Issues) == 0 {
		return "invalid input"
	}
	return e.Issues[0].Path + ": " + e.Issues[0].Message
}

// newValidator is the one validator of the services' input: fields are named by their JSON
// names, and the project's own tags are registered (glob: a path.Match pattern; singleline: no
// control characters; channelname; addr: an e-mail address as sign-in accepts it).
func newValidator() *validator.Validate {
	v := validator.New(validator.WithRequiredStructEnabled())
	v.RegisterTagNameFunc(func(f reflect.StructField) string {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		return name
	})
	// the tag names are fixed and valid, so registering cannot fail
	_ = v.RegisterValidation("glob", func(fl validator.FieldLevel) bool {
		_, err := path.Match(fl.Field().String(), "")
		return err == nil
	})
	_ = v.RegisterValidation("singleline", func(fl validator.FieldLevel) bool {
		return !strings.ContainsFunc(fl.Field().String(), unicode.IsControl)
	})
	_ = v.RegisterValidation("channelname", func(fl validator.FieldLevel) bool {
		return channelNamePattern.MatchString(fl.Field().String())
	})
	_ = v.RegisterValidation("addr", func(fl validator.FieldLevel) bool { return ValidEmail(fl.Field().String()) })
	return v
}

// issue is an InputError of one field.
func issue(path, msg string) error {
	return &InputError{Issues: []InputIssue{{Path: path, Message: msg}}}
}

// validateInput checks v's validate tags and returns an InputError naming each field.
func validateInput(validate *validator.Validate, v any) error {
	err := validate.Struct(v)
	if err == nil {
		return nil
	}
	var verrs validator.ValidationErrors
	if !errors.As(err, &verrs) {
		return fmt.Errorf("services: validate: %w", err)
	}
	ie := &InputError{}
	for _, fe := range verrs {
		ie.Issues = append(ie.Issues, InputIssue{Path: issuePath(fe.Namespace()), Message: fieldMessage(fe)})
	}
	return ie
}

// issuePath turns the validator's "ChannelSettings.channels[0].url" into "channels.0.url".
func issuePath(ns string) string {
	_, rest, ok := strings.Cut(ns, ".")
	if !ok {
		rest = ns
	}
	rest = strings.NewReplacer("[", ".", "]", "").Replace(rest)
	return rest
}

// fieldMessage words a failed validate tag as the original's zod schemas did.
func fieldMessage(fe validator.FieldError) string {
	switch fe.Tag() {
	case "required":
		return "Required"
	case "oneof":
		return fmt.Sprintf("Invalid enum value. Expected '%s', received '%v'", strings.ReplaceAll(fe.Param(), " ", "' | '"), fe.Value())
	case "http_url":
		return "Invalid url"
	case "addr":
		return "Invalid email"
	case "glob":
		if strings.Contains(strings.ToLower(fe.Namespace()), "tag") {
			return "Invalid tag pattern"
		}
		return "Invalid job name pattern"
	case "singleline":
		return "Must not hold control characters such as line breaks"
	case "channelname":
		return "Name must start with a letter or digit and hold only letters, digits, spaces, '.', '_' and '-'"
	case "max":
		switch fe.Kind() {
		case reflect.Slice:
			return "Array must contain at most " + fe.Param() + " element(s)"
		case reflect.String:
			return "String must contain at most " + fe.Param() + " character(s)"
		}
		return "Number must be less than or equal to " + fe.Param()
	case "min":
		if fe.Kind() == reflect.String {
			return "String must contain at least " + fe.Param() + " character(s)"
		}
		return "Number must be greater than or equal to " + fe.Param()
	}
	return "Invalid input"
}
