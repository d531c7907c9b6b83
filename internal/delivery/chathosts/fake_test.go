package chathosts_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"slices"
	"sync"
	"testing"
)

// fakeService answers as Telegram's Bot API, Google Chat's webhooks and Teams' incoming
// webhooks do, picked by the Host the request names, with the status a test scripts.
type fakeService struct {
	mu   sync.Mutex
	code int
	page string // when set, errors are answered with this HTML, as a gateway in front would
	reqs []fakeRequest
}

type fakeRequest struct {
	host, method, path, query, contentType string
	body                                   []byte
}

func newFakeService() *fakeService { return &fakeService{code: http.StatusOK} }

// reset forgets the requests so far, makes the fake answer with code from now on, and drops
// the default transport's idle connections so the next request opens a new tunnel.
func (f *fakeService) reset(t *testing.T, code int) {
	t.Helper()
	f.mu.Lock()
	f.code, f.page, f.reqs = code, "", nil
	f.mu.Unlock()
	http.DefaultTransport.(*http.Transport).CloseIdleConnections()
}

// gatewayPage makes the fake refuse every request with code and an HTML page instead of the
// service's own error format.
func (f *fakeService) gatewayPage(t *testing.T, code int) {
	f.reset(t, code)
	f.mu.Lock()
	f.page = "<html><body><h1>" + http.StatusText(code) + "</h1></body></html>"
	f.mu.Unlock()
}

func (f *fakeService) requests() []fakeRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.reqs)
}

var telegramSend = regexp.MustCompile(`^/bot[0-9]+:[A-Za-z0-9_-]+/sendMessage$`)

func (f *fakeService) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	host, _, err := net.SplitHostPort(r.Host)
	if err != nil {
		host = r.Host
	}
	f.mu.Lock()
	f.reqs = append(f.reqs, fakeRequest{host, r.Method, r.URL.Path, r.URL.RawQuery, r.Header.Get("Content-Type"), body})
	code, page := f.code, f.page
	f.mu.Unlock()
	if r.Method != http.MethodPost {
		code = http.StatusMethodNotAllowed
	}
	if page != "" && code != http.StatusOK {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(code)
		_, _ = io.WriteString(w, page)
		return
	}
	switch host {
	case telegramHost:
		if !telegramSend.MatchString(r.URL.Path) {
			code = http.StatusNotFound
		}
		telegramAnswer(w, code, body)
	case googleChatHost:
		googleChatAnswer(w, code, r.URL.Path, body)
	case teamsHost:
		// Teams answers a delivered card with a plain "1", and a refused one with a line of text.
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(code)
		if code == http.StatusOK {
			_, _ = io.WriteString(w, "1")
		} else {
			_, _ = io.WriteString(w, http.StatusText(code))
		}
	default:
		http.Error(w, "no such host here", http.StatusMisdirectedRequest)
	}
}

// telegramAnswer writes the Bot API's envelope: {"ok":true,"result":…} or, on an error,
// {"ok":false,"error_code":…,"description":"Bad Request: …"} with the status as its code.
func telegramAnswer(w http.ResponseWriter, code int, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	if code != http.StatusOK {
		desc := http.StatusText(code)
		if code == http.StatusBadRequest {
			desc += ": chat not found"
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"ok": false, "error_code": code, "description": desc})
		return
	}
	var sent struct {
		ChatID string `json:"chat_id"`
		Text   string `json:"text"`
	}
	_ = json.Unmarshal(body, &sent)
	_ = json.NewEncoder(w).Encode(map[string]any{"ok": true, "result": map[string]any{
		"message_id": 42, "date": 1772618400, "text": sent.Text,
		"chat": map[string]any{"id": -1001234567890, "type": "channel", "username": sent.ChatID}}})
}

// googleChatAnswer writes the created Message resource, or Google's JSON error.
func googleChatAnswer(w http.ResponseWriter, code int, path string, body []byte) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	if !regexp.MustCompile(`^/v1/spaces/[^/]+/messages$`).MatchString(path) {
		code = http.StatusNotFound
	}
	w.WriteHeader(code)
	if code != http.StatusOK {
		_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{
			"code": code, "message": fmt.Sprintf("fake refusal %d", code), "status": "INVALID_ARGUMENT"}})
		return
	}
	var sent struct{ Text string }
	_ = json.Unmarshal(body, &sent)
	_ = json.NewEncoder(w).Encode(map[string]any{"name": "spaces/AAAA/messages/m1", "text": sent.Text})
}
