package chathosts_test

import (
	"io"
	"net"
	"net/http"
	"slices"
	"sync"
)

// connectProxy is an HTTPS proxy that stands in for DNS: a CONNECT to one of the allowed
// hosts is tunnelled to the local fake whatever address the name has; anything else is
// refused and remembered, so a test fails instead of reaching the internet.
type connectProxy struct {
	target  string
	allowed []string // host:port

	mu       sync.Mutex
	tunnels  []string
	refusals []string
}

func newConnectProxy(target string, hosts ...string) *connectProxy {
	p := &connectProxy{target: target}
	for _, h := range hosts {
		p.allowed = append(p.allowed, h+":443")
	}
	return p
}

func (p *connectProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodConnect || !slices.Contains(p.allowed, r.Host) {
		p.mu.Lock()
		p.refusals = append(p.refusals, r.Method+" "+r.Host)
		p.mu.Unlock()
		http.Error(w, "this test proxy reaches only the local fake", http.StatusForbidden)
		return
	}
	up, err := net.Dial("tcp", p.target)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	conn, buf, err := w.(http.Hijacker).Hijack()
	if err != nil {
		_ = up.Close()
		return
	}
	p.mu.Lock()
	p.tunnels = append(p.tunnels, r.Host)
	p.mu.Unlock()
	if _, err := io.WriteString(conn, "HTTP/1.1 200 Connection established\r\n\r\n"); err != nil {
		_ = conn.Close()
		_ = up.Close()
		return
	}
	go func() {
		_, _ = io.Copy(up, buf) // buf holds whatever the client sent after its CONNECT
		_ = up.Close()
	}()
	go func() {
		_, _ = io.Copy(conn, up)
		_ = conn.Close()
	}()
}

// tunnelled is every host a CONNECT was tunnelled for, in order.
func (p *connectProxy) tunnelled() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.tunnels)
}

// unexpected is every request the proxy refused.
func (p *connectProxy) unexpected() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.refusals)
}

// forgive drops one refusal a test caused on purpose, so TestMain does not count it.
func (p *connectProxy) forgive(entry string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	i := slices.Index(p.refusals, entry)
	if i < 0 {
		return false
	}
	p.refusals = slices.Delete(p.refusals, i, i+1)
	return true
}
