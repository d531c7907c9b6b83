package views

import (
	"net/url"
	"strings"

	"github.com/gulag/chief-monitor/models"
)

var settingsNavItems = []navItem{
	{"alerts", "/settings", "Alert delivery"},
	{"maintenance", "/settings/maintenance", "Maintenance & policy"},
	{"badges", "/settings/badges", "Status badges"},
	{"users", "/settings/users", "Users"},
	{"audit", "/settings/audit", "Audit log"},
}

// userURL is the address of one of a user's forms.
func userURL(id, action string) string {
	return "/settings/users/" + url.PathEscape(id) + "/" + action
}

// roleText shows a role; an unknown one is what it grants, viewer.
func roleText(r models.Role) string {
	if !r.Valid() {
		return models.RoleViewer.String()
	}
	return r.String()
}

// signInKinds says how a user signs in: "password", "oidc", "password, github".
func signInKinds(u models.UserSummary) string {
	var kinds []string
	if u.Password {
		kinds = append(kinds, "password")
	}
	kinds = append(kinds, u.SSO...)
	if len(kinds) == 0 {
		return "none"
	}
	return strings.Join(kinds, ", ")
}
