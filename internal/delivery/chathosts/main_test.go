package chathosts_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"
)

// The hosts the library fixes, and the one Teams organisation the tests use. The proxy
// tunnels these, and only these, to the local fake.
const (
	telegramHost   = "api.telegram.org"
	googleChatHost = "chat.googleapis.com"
	teamsHost      = "example.webhook.office.com"
)

var (
	// fake answers for every fixed host over HTTPS; proxy is the only way to it.
	fake  *fakeService
	proxy *connectProxy
)

// TestMain makes the fixed hosts reach the local fake before anything in the process uses
// TLS or a proxy: Go reads the system roots (SSL_CERT_FILE, SSL_CERT_DIR) and the proxy
// variables once, on first use, and keeps them for the life of the binary.
func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	if runtime.GOOS == "darwin" || runtime.GOOS == "windows" {
		// There Go verifies through the platform, which ignores SSL_CERT_FILE.
		fmt.Fprintln(os.Stderr, "chathosts: skipped: SSL_CERT_FILE is not honoured on", runtime.GOOS)
		return 0
	}
	dir, err := os.MkdirTemp("", "chathosts")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	cert, err := writeTrust(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, "chathosts: certificates:", err)
		return 1
	}

	fake = newFakeService()
	tlsSrv := httptest.NewUnstartedServer(fake)
	tlsSrv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	tlsSrv.StartTLS()
	defer tlsSrv.Close()

	proxy = newConnectProxy(tlsSrv.Listener.Addr().String(), telegramHost, googleChatHost, teamsHost)
	proxySrv := httptest.NewServer(proxy)
	defer proxySrv.Close()

	for k, v := range map[string]string{"HTTPS_PROXY": proxySrv.URL, "HTTP_PROXY": proxySrv.URL,
		"https_proxy": "", "http_proxy": "", "NO_PROXY": "", "no_proxy": ""} {
		if err := os.Setenv(k, v); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	}
	if err := checkRouting(proxySrv.URL); err != nil {
		fmt.Fprintln(os.Stderr, "chathosts:", err)
		return 1
	}

	code := m.Run()
	if bad := proxy.unexpected(); len(bad) > 0 {
		fmt.Fprintf(os.Stderr, "chathosts: the proxy was asked for hosts no test expects: %v\n", bad)
		return 1
	}
	return code
}

// checkRouting confirms that net/http's default transport will send the fixed hosts through
// the proxy: if the environment were read before TestMain set it, the library's requests
// would go to the real hosts instead.
func checkRouting(proxyURL string) error {
	for _, h := range []string{telegramHost, googleChatHost, teamsHost} {
		req, _ := http.NewRequest(http.MethodPost, "https://"+h+"/", nil)
		got, err := http.DefaultTransport.(*http.Transport).Proxy(req)
		if err != nil || got == nil || got.String() != proxyURL {
			return fmt.Errorf("https://%s/ would not use the local proxy (got %v, %v)", h, got, err)
		}
	}
	return nil
}

// writeTrust makes a throwaway CA, trusts it alone through SSL_CERT_FILE and SSL_CERT_DIR,
// and returns the fake's certificate for the fixed hosts, signed by it.
func writeTrust(dir string) (tls.Certificate, error) {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	now := time.Now()
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "chathosts test CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour), IsCA: true,
		BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return tls.Certificate{}, err
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		return tls.Certificate{}, err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	leafTmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: telegramHost},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		DNSNames:    []string{telegramHost, googleChatHost, "*.webhook.office.com"},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:    x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	leafDER, err := x509.CreateCertificate(rand.Reader, leafTmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		return tls.Certificate{}, err
	}

	// Only the throwaway CA is trusted in this binary: a request that escaped the proxy to a
	// real host could not even complete its handshake.
	caDir := filepath.Join(dir, "certs")
	if err := os.Mkdir(caDir, 0o700); err != nil {
		return tls.Certificate{}, err
	}
	caFile := filepath.Join(caDir, "ca.pem")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), 0o600); err != nil {
		return tls.Certificate{}, err
	}
	if err := os.Setenv("SSL_CERT_FILE", caFile); err != nil {
		return tls.Certificate{}, err
	}
	if err := os.Setenv("SSL_CERT_DIR", caDir); err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{leafDER}, PrivateKey: key, Leaf: mustParse(leafDER)}, nil
}

func mustParse(der []byte) *x509.Certificate {
	c, err := x509.ParseCertificate(der)
	if err != nil {
		panic(err)
	}
	return c
}
