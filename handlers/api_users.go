package handlers

import (
	"errors"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/gulag/chief-monitor/internal/store"
	"github.com/gulag/chief-monitor/models"
	"github.com/gulag/chief-monitor/services"
)

// userRoutes registers the user management API on the /v1 group; all of it is for admins.
func (h *Handler) userRoutes(v1 fiber.Router) {
	v1.Get("/users", h.requireAdmin, h.listUsers)
	v1.Post("/users", h.requireAdmin, h.createUser)
	v1.Patch("/users/:id", h.requireAdmin, h.updateUser)
	v1.Post("/users/:id/reset-password", h.requireAdmin, h.resetUserPassword)
}

// userView is a user as the API shows them: never a password hash.
type userView struct {
	ID           string   `json:"id"`
	Email        string   `json:"email"`
	Name         string   `json:"name"`
	Role         string   `json:"role"`
	Disabled     bool     `json:"disabled"`
	DisabledAt   *string  `json:"disabledAt"`
	CreatedAt    string   `json:"createdAt"`
	LastSignInAt *string  `json:"lastSignInAt"`
	Password     bool     `json:"password"`
	SSO          []string `json:"sso"`
}

func toUserView(s models.UserSummary) userView {
	v := userView{ID: s.ID, Email: s.Email, Name: s.Name, Role: s.Role.String(), Disabled: s.Disabled(),
		DisabledAt: s.DisabledAt, CreatedAt: s.CreatedAt, LastSignInAt: s.LastSignInAt, Password: s.Password, SSO: s.SSO}
	if !s.Role.Valid() {
		v.Role = models.RoleViewer.String()
	}
	if v.SSO == nil {
		v.SSO = []string{}
	}
	return v
}

// users is the user management service, or a 404 when sign-in is off (there are no users).
func (h *Handler) users() (*services.Users, error) {
	if h.auth == nil {
		return nil, fiber.NewError(fiber.StatusNotFound, "User management needs sign-in: set MONITOR_AUTH_ENABLED=true")
	}
	return h.auth.Users(), nil
}

// userSummary reloads one user with how they sign in, for a response.
func (h *Handler) userSummary(c *fiber.Ctx, svc *services.Users, id string) (userView, error) {
	list, err := svc.List(c.UserContext())
	if err != nil {
		return userView{}, err
	}
	for _, u := range list {
		if u.ID == id {
			return toUserView(u), nil
		}
	}
	return userView{}, store.ErrNotFound
}

// listUsers is GET /v1/users.
func (h *Handler) listUsers(c *fiber.Ctx) error {
	svc, err := h.users()
	if err != nil {
		return err
	}
	list, err := svc.List(c.UserContext())
	if err != nil {
		return err
	}
	out := struct {
		Users []userView `json:"users"`
	}{Users: make([]userView, 0, len(list))}
	for _, u := range list {
		out.Users = append(out.Users, toUserView(u))
	}
	return writeJSON(c, fiber.StatusOK, out)
}

// userError answers the errors of user management that are the caller's to fix.
func userError(c *fiber.Ctx, err error) error {
	var ue *services.InputError
	switch {
	case errors.As(err, &ue):
		return writeJSON(c, fiber.StatusBadRequest, validationError{Error: "Invalid user payload", Details: inputDetails(ue)})
	case errors.Is(err, services.ErrLastAdmin):
		return writeJSON(c, fiber.StatusBadRequest, errorBody{Error: lastAdminMessage})
	case errors.Is(err, services.ErrUserExists):
		return writeJSON(c, fiber.StatusConflict, errorBody{Error: "A user with this e-mail already exists"})
	case errors.Is(err, store.ErrNotFound):
		return writeJSON(c, fiber.StatusNotFound, errorBody{Error: "User not found"})
	}
	return err
}

// lastAdminMessage explains ErrLastAdmin to a person.
const lastAdminMessage = "This is the last active admin: make another user an admin first, so that someone can still manage users and settings."

// createUser is POST /v1/users: 201 with the user, and the password when it was generated.
func (h *Handler) createUser(c *fiber.Ctx) error {
	svc, err := h.users()
	if err != nil {
		return err
	}
	var req services.UserCreateRequest
	if verr := decodeObject(JSONBody(c), &req); verr != nil {
		return writeJSON(c, fiber.StatusBadRequest, validationError{Error: "Invalid user payload", Details: *verr})
	}
	u, generated, err := svc.Create(c.UserContext(), req)
	if err != nil {
		return userError(c, err)
	}
	h.audit(c, "user.create", u.Email, "role "+u.Role.String()+passwordNote(generated))
	v, err := h.userSummary(c, svc, u.ID)
	if err != nil {
		return err
	}
	out := struct {
		User     userView `json:"user"`
		Password *string  `json:"password,omitempty"`
	}{User: v}
	if generated != "" {
		out.Password = &generated
	}
	return writeJSON(c, fiber.StatusCreated, out)
}

// passwordNote says, for the audit log, how the first password was chosen (never what it is).
func passwordNote(generated string) string {
	if generated != "" {
		return ", password generated"
	}
	return ", password set by the admin"
}

// updateUser is PATCH /v1/users/:id: role, disabled, name.
func (h *Handler) updateUser(c *fiber.Ctx) error {
	svc, err := h.users()
	if err != nil {
		return err
	}
	id, err := pathParam(c, "id")
	if err != nil {
		return err
	}
	var req services.UserPatchRequest
	if verr := decodeObject(JSONBody(c), &req); verr != nil {
		return writeJSON(c, fiber.StatusBadRequest, validationError{Error: "Invalid user payload", Details: *verr})
	}
	before, after, err := svc.Update(c.UserContext(), id, req)
	if err != nil {
		return userError(c, err)
	}
	h.auditUserChange(c, before, after)
	v, err := h.userSummary(c, svc, id)
	if err != nil {
		return err
	}
	return writeJSON(c, fiber.StatusOK, struct {
		User userView `json:"user"`
	}{v})
}

// auditUserChange records a patch; a disable or enable gets its own action, so that the log can
// be filtered by it.
func (h *Handler) auditUserChange(c *fiber.Ctx, before, after models.User) {
	action := "user.update"
	switch {
	case !before.Disabled() && after.Disabled():
		action = "user.disable"
	case before.Disabled() && !after.Disabled():
		action = "user.enable"
	case before.Role != after.Role:
		action = "user.role"
	}
	h.audit(c, action, after.Email, services.DescribeUserChange(before, after))
}

// resetUserPassword is POST /v1/users/:id/reset-password: a new generated password, shown in
// this response only; the user's sessions end.
func (h *Handler) resetUserPassword(c *fiber.Ctx) error {
	svc, err := h.users()
	if err != nil {
		return err
	}
	id, err := pathParam(c, "id")
	if err != nil {
		return err
	}
	u, pw, err := svc.ResetPassword(c.UserContext(), id, h.ownSessionID(c))
	if err != nil {
		return userError(c, err)
	}
	h.audit(c, "user.reset_password", u.Email, "password generated, other sessions ended")
	v, err := h.userSummary(c, svc, id)
	if err != nil {
		return err
	}
	return writeJSON(c, fiber.StatusOK, struct {
		User     userView `json:"user"`
		Password string   `json:"password"`
	}{v, pw})
}

// ownSessionID is the caller's session, which a reset of their own password keeps.
func (h *Handler) ownSessionID(c *fiber.Ctx) string {
	if cur, ok := c.Locals(localsSession).(*services.Current); ok {
		return cur.Session.ID
	}
	return ""
}

// formBool reads a form checkbox-like value: "1", "true", "on" are true.
func formBool(v string) bool {
	b, err := strconv.ParseBool(strings.TrimSpace(v))
	return err == nil && b || v == "on"
}
