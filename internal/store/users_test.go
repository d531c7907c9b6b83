package store

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gulag/chief-monitor/models"
)

// TestUpgradeMakesExistingUsersAdmins: every user of a database from before roles could do
// everything, so the upgrade makes them admins; a user added afterwards without a role is a viewer.
func TestUpgradeMakesExistingUsersAdmins(t *testing.T) {
	ctx := context.Background()
	st, err := Open(ctx, Options{Path: referenceDB(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	// Read through the readers: they must see the migrated schema from their first query.
	var role string
	var disabledAt sql.NullString
	readers, err := st.DB().DB()
	if err != nil {
		t.Fatal(err)
	}
	if err := readers.QueryRow(`SELECT "role", "disabledAt" FROM "user"`).Scan(&role, &disabledAt); err != nil {
		t.Fatal(err)
	}
	if role != string(models.RoleAdmin) || disabledAt.Valid {
		t.Errorf("upgraded user: got role %q, disabled %v", role, disabledAt)
	}
	users, err := st.Users(ctx)
	if err != nil || len(users) == 0 || users[0].Role != models.RoleAdmin {
		t.Fatalf("upgraded users through the store's readers: %+v %v", users, err)
	}
	nu := models.User{ID: "new-user", Name: "n", Email: "n@example.org", CreatedAt: "2026-03-05T00:00:00.000Z", UpdatedAt: "2026-03-05T00:00:00.000Z"}
	if err := st.Write(ctx, func(tx *Tx) error {
		return tx.InsertUser(nu, models.Account{ID: "acct-new", AccountID: nu.ID, ProviderID: "oidc", UserID: nu.ID,
			CreatedAt: nu.CreatedAt, UpdatedAt: nu.UpdatedAt})
	}); err != nil {
		t.Fatal(err)
	}
	if err := st.WriteDB().QueryRow(`SELECT "role" FROM "user" WHERE "id" = ?`, nu.ID).Scan(&role); err != nil || role != string(models.RoleViewer) {
		t.Errorf("a user written without a role: got %q %v, want a viewer", role, err)
	}
}

// TestCopyCarriesRolesAndAudit copies a database with roles, a disabled user and audit
// entries to PostgreSQL: all of it arrives, and new audit entries number on after the copied ones.
func TestCopyCarriesRolesAndAudit(t *testing.T) {
	base := os.Getenv("MONITOR_TEST_POSTGRES_URL")
	if base == "" {
		t.Skip("needs PostgreSQL: set MONITOR_TEST_POSTGRES_URL (CI does)")
	}
	ctx := context.Background()
	src, err := Open(ctx, Options{Path: referenceDB(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	users, _ := src.Users(ctx)
	viewer := models.RoleViewer
	disabled := true
	if err := src.Write(ctx, func(tx *Tx) error {
		if err := tx.UpdateUser(users[0].ID, UserChange{Role: &viewer, Disabled: &disabled, DisabledAt: "2026-03-05T00:00:00.000Z",
			UpdatedAt: "2026-03-05T00:00:00.000Z"}); err != nil {
			return err
		}
		for _, a := range []string{"user.role", "user.disable"} {
			if err := tx.InsertAudit(models.AuditEntry{At: "2026-03-05T00:00:00.000Z", Actor: "api-key", Action: a, Target: users[0].Email}); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}

	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	schema := "t_users_" + strings.ReplaceAll(filepath.Base(t.TempDir()), "-", "")
	schema = strings.ToLower(schema[:min(len(schema), 40)])
	if _, err := admin.Exec(`CREATE SCHEMA ` + schema); err != nil {
		t.Fatal(err)
	}
	defer admin.Exec(`DROP SCHEMA ` + schema + ` CASCADE`)
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	dst, err := Open(ctx, Options{URL: base + sep + "search_path=" + schema})
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	if _, err := src.CopyTo(ctx, dst, 2, nil); err != nil {
		t.Fatal(err)
	}
	u, err := dst.UserByID(ctx, users[0].ID)
	if err != nil || u.Role != models.RoleViewer || u.DisabledAt == nil || *u.DisabledAt != "2026-03-05T00:00:00.000Z" {
		t.Fatalf("copied user: %+v %v", u, err)
	}
	entries, err := dst.AuditEntries(ctx, AuditFilter{})
	if err != nil || len(entries) != 2 || entries[0].Action != "user.disable" {
		t.Fatalf("copied audit log: %+v %v", entries, err)
	}
	if err := dst.Write(ctx, func(tx *Tx) error {
		return tx.InsertAudit(models.AuditEntry{At: "2026-03-06T00:00:00.000Z", Actor: "a@b.co", Action: "user.enable"})
	}); err != nil {
		t.Fatalf("audit entry after the copy: %v", err)
	}
	if entries, _ = dst.AuditEntries(ctx, AuditFilter{Limit: 1}); len(entries) != 1 || entries[0].ID != 3 {
		t.Errorf("next audit id after the copy: %+v", entries)
	}
}
