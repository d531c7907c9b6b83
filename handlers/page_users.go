package handlers

import (
	"errors"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/gulag/chief-monitor/internal/store"
	"github.com/gulag/chief-monitor/models"
	"github.com/gulag/chief-monitor/services"
	"github.com/gulag/chief-monitor/views"
)

// userPageRoutes registers the user management page and its forms (plain POSTs: they work
// without JavaScript). Call it behind requireViewer; all of it is for admins.
func (h *Handler) userPageRoutes(app fiber.Router) {
	app.Get("/settings/users", h.requireAdmin, h.usersPage)
	app.Post("/settings/users", h.requireAdmin, h.userCreateSubmit)
	app.Post("/settings/users/:id/role", h.requireAdmin, h.userRoleSubmit)
	app.Post("/settings/users/:id/disabled", h.requireAdmin, h.userDisabledSubmit)
	app.Post("/settings/users/:id/reset-password", h.requireAdmin, h.userResetSubmit)
}

// Notices of the redirect after a change, by the ?done= code; fixed texts, so that a link
// cannot make the page say something else.
var userNotices = map[string]string{
	"role":     "Role changed.",
	"disabled": "User disabled: their sessions were ended and they cannot sign in.",
	"enabled":  "User enabled: they can sign in again.",
}

// usersPage is GET /settings/users.
func (h *Handler) usersPage(c *fiber.Ctx) error {
	return h.renderUsers(c, fiber.StatusOK, func(p *views.UsersProps) { p.Notice = userNotices[c.Query("done")] })
}

// renderUsers renders the page after edit filled in its messages.
func (h *Handler) renderUsers(c *fiber.Ctx, status int, edit func(p *views.UsersProps)) error {
	svc, err := h.users()
	if err != nil {
		return err
	}
	list, err := svc.List(c.UserContext())
	if err != nil {
		return err
	}
	p := views.UsersProps{Chrome: h.chrome(c), Users: list, CSRF: h.csrfToken(c), Form: views.UserForm{Role: models.RoleViewer.String()}}
	if cur, ok := c.Locals(localsSession).(*services.Current); ok {
		p.SelfID = cur.User.ID
	}
	edit(&p)
	return render(c, status, views.UsersPage(p))
}

// userFormError is the page's text for a refused change, or "" for an error that is not the user's.
func userFormError(err error) string {
	var ue *services.InputError
	switch {
	case errors.As(err, &ue):
		return ue.First()
	case errors.Is(err, services.ErrLastAdmin):
		return lastAdminMessage
	case errors.Is(err, services.ErrUserExists):
		return "A user with this e-mail already exists."
	case errors.Is(err, store.ErrNotFound):
		return "No such user: it may have been removed meanwhile."
	}
	return ""
}

// userCreateSubmit is POST /settings/users. The answer is the page itself, not a redirect: a
// generated password must appear once and never travel in a URL.
func (h *Handler) userCreateSubmit(c *fiber.Ctx) error {
	if err := h.verifyForm(c); err != nil {
		return err
	}
	svc, err := h.users()
	if err != nil {
		return err
	}
	req := services.UserCreateRequest{Email: strings.Clone(c.FormValue("email")), Name: strings.Clone(c.FormValue("name")),
		Role: strings.Clone(c.FormValue("role")), Password: strings.Clone(c.FormValue("password"))}
	u, generated, err := svc.Create(c.UserContext(), req)
	if msg := userFormError(err); msg != "" {
		return h.renderUsers(c, fiber.StatusBadRequest, func(p *views.UsersProps) {
			p.Error, p.Form = msg, views.UserForm{Email: req.Email, Name: req.Name, Role: req.Role}
		})
	}
	if err != nil {
		return err
	}
	h.audit(c, "user.create", u.Email, "role "+u.Role.String()+passwordNote(generated))
	return h.renderUsers(c, fiber.StatusOK, func(p *views.UsersProps) {
		p.Notice = "Added " + u.Email + " as " + u.Role.String() + "."
		if generated != "" {
			p.Password, p.PasswordFor = generated, u.Email
		}
	})
}

// userPatchSubmit applies one change from a form, then redirects to the page with its notice.
func (h *Handler) userPatchSubmit(c *fiber.Ctx, req services.UserPatchRequest) error {
	if err := h.verifyForm(c); err != nil {
		return err
	}
	svc, err := h.users()
	if err != nil {
		return err
	}
	id, err := pathParam(c, "id")
	if err != nil {
		return err
	}
	before, after, err := svc.Update(c.UserContext(), id, req)
	if msg := userFormError(err); msg != "" {
		return h.renderUsers(c, fiber.StatusBadRequest, func(p *views.UsersProps) { p.Error = msg })
	}
	if err != nil {
		return err
	}
	h.auditUserChange(c, before, after)
	done := "role"
	if req.Disabled != nil {
		done = map[bool]string{true: "disabled", false: "enabled"}[*req.Disabled]
	}
	// Whoever disabled or demoted themselves may no longer see this page: the redirect shows
	// them the overview or the 403 page, as it would on their next click.
	return c.Redirect("/settings/users?done="+done, fiber.StatusSeeOther)
}

// userRoleSubmit is POST /settings/users/:id/role.
func (h *Handler) userRoleSubmit(c *fiber.Ctx) error {
	role := strings.Clone(c.FormValue("role"))
	return h.userPatchSubmit(c, services.UserPatchRequest{Role: &role})
}

// userDisabledSubmit is POST /settings/users/:id/disabled (disabled=1 or 0).
func (h *Handler) userDisabledSubmit(c *fiber.Ctx) error {
	disabled := formBool(c.FormValue("disabled"))
	return h.userPatchSubmit(c, services.UserPatchRequest{Disabled: &disabled})
}

// userResetSubmit is POST /settings/users/:id/reset-password: the page with the new password, once.
func (h *Handler) userResetSubmit(c *fiber.Ctx) error {
	if err := h.verifyForm(c); err != nil {
		return err
	}
	svc, err := h.users()
	if err != nil {
		return err
	}
	id, err := pathParam(c, "id")
	if err != nil {
		return err
	}
	u, pw, err := svc.ResetPassword(c.UserContext(), id, h.ownSessionID(c))
	if msg := userFormError(err); msg != "" {
		return h.renderUsers(c, fiber.StatusBadRequest, func(p *views.UsersProps) { p.Error = msg })
	}
	if err != nil {
		return err
	}
	h.audit(c, "user.reset_password", u.Email, "password generated, other sessions ended")
	return h.renderUsers(c, fiber.StatusOK, func(p *views.UsersProps) {
		p.Notice = "New password for " + u.Email + "; their other sessions were ended."
		p.Password, p.PasswordFor = pw, u.Email
	})
}
