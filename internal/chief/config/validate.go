package config

import (
	"errors"
	"reflect"
	"strings"

	"github.com/go-playground/validator/v10"
)

// validate holds cached struct metadata for the value rules written as `validate` tags.
var validate = func() *validator.Validate {
	v := validator.New(validator.WithRequiredStructEnabled())
	v.RegisterTagNameFunc(func(f reflect.StructField) string {
		return strings.Split(f.Tag.Get("yaml"), ",")[0]
	})
	return v
}()

// validateStruct applies the `validate` tags of s and reports the first failure with its
// field path below prefix (monitor.buffer.max_events, jobs[0].monitor.check.grace_seconds).
func validateStruct(s any, prefix string) error {
	err := validate.Struct(s)
	var verrs validator.ValidationErrors
	if !errors.As(err, &verrs) || len(verrs) == 0 {
		return err
	}
	fe := verrs[0]
	ns := fe.Namespace()
	path := prefix + ns[strings.Index(ns, "."):]
	switch {
	case fe.Tag() == "min":
		return errorf("%s must be >= %s", path, fe.Param())
	case strings.HasPrefix(fe.Tag(), "startswith"):
		return errorf("%s must be an HTTP URL (http:// or https://), got %q", path, fe.Value())
	}
	return errorf("%s is invalid (%s)", path, fe.Tag())
}
