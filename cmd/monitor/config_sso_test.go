package main

import (
	"slices"
	"testing"
)

func TestConfigSSOVariables(t *testing.T) {
	c, err := LoadConfig(lookupMap(map[string]string{"MONITOR_AUTH_ENABLED": "false",
		"MONITOR_OIDC_ISSUER": " https://id.example.com/realms/ops ", "MONITOR_OIDC_CLIENT_ID": "monitor",
		"MONITOR_OIDC_CLIENT_SECRET": "s3cret", "MONITOR_OIDC_NAME": "Company SSO",
		"MONITOR_GITHUB_CLIENT_ID": "gh-id", "MONITOR_GITHUB_CLIENT_SECRET": "gh-secret",
		"MONITOR_SSO_ALLOWED_EMAILS": "a@b.co, c@d.co", "MONITOR_SSO_ALLOWED_DOMAINS": "example.com,,example.org "}))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, got, want string
	}{
		{"issuer trimmed", c.OIDCIssuer, "https://id.example.com/realms/ops"},
		{"client id", c.OIDCClientID, "monitor"},
		{"client secret", c.OIDCClientSecret, "s3cret"},
		{"name", c.OIDCName, "Company SSO"},
		{"github id", c.GitHubClientID, "gh-id"},
		{"github secret", c.GitHubClientSecret, "gh-secret"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.got != tc.want {
				t.Errorf("got %q, want %q", tc.got, tc.want)
			}
		})
	}
	if !slices.Equal(c.SSOAllowedEmails, []string{"a@b.co", "c@d.co"}) || !slices.Equal(c.SSOAllowedDomains, []string{"example.com", "example.org"}) {
		t.Errorf("allow-lists: got %q and %q", c.SSOAllowedEmails, c.SSOAllowedDomains)
	}
}
