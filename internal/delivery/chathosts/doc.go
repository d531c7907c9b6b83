// Package chathosts holds only tests: it sends alerts through the chat services whose host
// the library fixes (Microsoft Teams, Telegram, Google Chat) to a local fake that answers for
// those hosts, and through Matrix to a local homeserver fake.
//
// Its TestMain trusts a throwaway certificate authority (SSL_CERT_FILE) and routes HTTPS
// through a local CONNECT proxy (HTTPS_PROXY), as a test of any HTTPS client can, so the
// library runs unchanged. Those settings live in this package's own test binary only.
package chathosts
