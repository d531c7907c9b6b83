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
}

// TableName maps the struct to the original table name.
func (User) TableName() string { return "user" }

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
