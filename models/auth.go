package models

// User is one row of the original's (Better Auth) "user" table.
type User struct {
	ID            string  `gorm:"column:id;primaryKey"`
	Name          string  `gorm:"column:name"`
	Email         string  `gorm:"column:email"`
	EmailVerified bool    `gorm:"column:emailVerified"`
	Image         *string `gorm:"column:image"`
	CreatedAt     string  `gorm:"column:createdAt"`
	UpdatedAt     string  `gorm:"column:updatedAt"`
	// Role is RoleAdmin or RoleViewer; anything else is treated as a viewer. The column's
	// default is viewer, so a row written without a role grants the least.
	Role Role `gorm:"column:role;default:viewer"`
	// DisabledAt is when an admin disabled the user (nil: active). A disabled user cannot sign in.
	DisabledAt *string `gorm:"column:disabledAt"`
	// LastSignInAt is the user's latest successful sign-in, when known.
	LastSignInAt *string `gorm:"column:lastSignInAt"`
}

// TableName maps the struct to the original table name.
func (User) TableName() string { return "user" }

// IsAdmin reports whether the user may change things: an admin who is not disabled.
func (u User) IsAdmin() bool { return u.Role == RoleAdmin && u.DisabledAt == nil }

// Disabled reports whether an admin disabled the user.
func (u User) Disabled() bool { return u.DisabledAt != nil }

// Role is what a signed-in user may do.
type Role string

// The roles: an admin can do everything, a viewer sees the pages and reads the API.
const (
	RoleAdmin  Role = "admin"
	RoleViewer Role = "viewer"
)

// Roles lists the roles in the order the user page offers them.
var Roles = []Role{RoleViewer, RoleAdmin}

// String returns the role's name.
func (r Role) String() string { return string(r) }

// Valid reports whether r is one of Roles.
func (r Role) Valid() bool { return r == RoleAdmin || r == RoleViewer }

// Session is one row of the "session" table. Token holds the raw token for rows written by the
// original and its SHA-256 (hex) for rows written by this service.
type Session struct {
	ID        string  `gorm:"column:id;primaryKey"`
	ExpiresAt string  `gorm:"column:expiresAt"`
	Token     string  `gorm:"column:token"`
	CreatedAt string  `gorm:"column:createdAt"`
	UpdatedAt string  `gorm:"column:updatedAt"`
	IPAddress *string `gorm:"column:ipAddress"`
	UserAgent *string `gorm:"column:userAgent"`
	UserID    string  `gorm:"column:userId"`
}

// TableName maps the struct to the original table name.
func (Session) TableName() string { return "session" }

// Account is one row of the "account" table: a way for a user to sign in (a password, or an
// identity at a single sign-on provider).
type Account struct {
	ID                    string  `gorm:"column:id;primaryKey"`
	AccountID             string  `gorm:"column:accountId"`
	ProviderID            string  `gorm:"column:providerId"`
	UserID                string  `gorm:"column:userId"`
	AccessToken           *string `gorm:"column:accessToken"`
	RefreshToken          *string `gorm:"column:refreshToken"`
	IDToken               *string `gorm:"column:idToken"`
	AccessTokenExpiresAt  *string `gorm:"column:accessTokenExpiresAt"`
	RefreshTokenExpiresAt *string `gorm:"column:refreshTokenExpiresAt"`
	Scope                 *string `gorm:"column:scope"`
	Password              *string `gorm:"column:password"`
	CreatedAt             string  `gorm:"column:createdAt"`
	UpdatedAt             string  `gorm:"column:updatedAt"`
}

// TableName maps the struct to the original table name.
func (Account) TableName() string { return "account" }

// ProviderCredential is the ProviderID of e-mail and password sign-in.
const ProviderCredential = "credential"

// Verification is one row of the original's "verification" table (kept and copied, unused).
type Verification struct {
	ID         string `gorm:"column:id;primaryKey"`
	Identifier string `gorm:"column:identifier"`
	Value      string `gorm:"column:value"`
	ExpiresAt  string `gorm:"column:expiresAt"`
	CreatedAt  string `gorm:"column:createdAt"`
	UpdatedAt  string `gorm:"column:updatedAt"`
}

// TableName maps the struct to the original table name.
func (Verification) TableName() string { return "verification" }

// UserSummary is a user as the user list shows them: the row and how they sign in.
type UserSummary struct {
	User
	// Password is true when the user has a password (a credential account).
	Password bool
	// SSO lists the single sign-on providers the user has signed in with ("oidc", "github").
	SSO []string
}
