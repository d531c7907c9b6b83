package chathosts_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// matrixHomeserver is a local homeserver speaking the client-server API calls the library
// makes: the login flows, a password login, joining the room, and sending one m.text event.
type matrixHomeserver struct {
	srv *httptest.Server

	mu       sync.Mutex
	sendCode int    // the status of the send call
	sendBody string // its body when it fails ("" for the spec's JSON error)
	calls    []string
	events   []matrixEvent
}

type matrixEvent struct{ room, msgtype, body string }

const (
	matrixUser     = "monitor"
	matrixPassword = "s3cr3tMatrixPass"
	matrixToken    = "syt_bW9uaXRvcg_token"
	matrixRoom     = "!ops:example.org"
)

func newMatrixHomeserver(t *testing.T, sendCode int, sendBody string) *matrixHomeserver {
	h := &matrixHomeserver{sendCode: sendCode, sendBody: sendBody}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /_matrix/client/r0/login", func(w http.ResponseWriter, r *http.Request) {
		h.record(r)
		writeJSON(w, http.StatusOK, map[string]any{"flows": []map[string]string{{"type": "m.login.token"}, {"type": "m.login.password"}}})
	})
	mux.HandleFunc("POST /_matrix/client/r0/login", func(w http.ResponseWriter, r *http.Request) {
		h.record(r)
		var req struct {
			Type       string `json:"type"`
			Password   string `json:"password"`
			Identifier struct{ Type, User string }
		}
		if json.NewDecoder(r.Body).Decode(&req) != nil || req.Type != "m.login.password" ||
			req.Identifier.Type != "m.id.user" || req.Identifier.User != matrixUser || req.Password != matrixPassword {
			writeJSON(w, http.StatusForbidden, map[string]string{"errcode": "M_FORBIDDEN", "error": "Invalid username or password"})
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"access_token": matrixToken, "home_server": "example.org",
			"user_id": "@monitor:example.org", "device_id": "CHIEFDEV"})
	})
	mux.HandleFunc("POST /_matrix/client/r0/join/{room}", func(w http.ResponseWriter, r *http.Request) {
		h.record(r)
		if !h.authorised(w, r) {
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"room_id": r.PathValue("room")})
	})
	mux.HandleFunc("POST /_matrix/client/r0/rooms/{room}/send/m.room.message", func(w http.ResponseWriter, r *http.Request) {
		h.record(r)
		if !h.authorised(w, r) {
			return
		}
		var ev struct{ MsgType, Body string }
		_ = json.NewDecoder(r.Body).Decode(&ev)
		h.mu.Lock()
		h.events = append(h.events, matrixEvent{r.PathValue("room"), ev.MsgType, ev.Body})
		code, body := h.sendCode, h.sendBody
		h.mu.Unlock()
		switch {
		case code == http.StatusOK:
			writeJSON(w, code, map[string]string{"event_id": "$ev1:example.org"})
		case body != "":
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(code)
			_, _ = io.WriteString(w, body)
		default:
			writeJSON(w, code, map[string]string{"errcode": "M_UNKNOWN", "error": http.StatusText(code)})
		}
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		h.record(r)
		writeJSON(w, http.StatusNotFound, map[string]string{"errcode": "M_UNRECOGNIZED", "error": "Unrecognized request"})
	})
	h.srv = httptest.NewServer(mux)
	t.Cleanup(h.srv.Close)
	return h
}

func (h *matrixHomeserver) record(r *http.Request) {
	h.mu.Lock()
	h.calls = append(h.calls, r.Method+" "+r.URL.Path)
	h.mu.Unlock()
}

// authorised checks the access token the login gave, which the library sends as a query.
func (h *matrixHomeserver) authorised(w http.ResponseWriter, r *http.Request) bool {
	if r.URL.Query().Get("access_token") != matrixToken {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"errcode": "M_UNKNOWN_TOKEN", "error": "Unrecognised access token"})
		return false
	}
	return true
}

func (h *matrixHomeserver) url() string {
	return "matrix://" + matrixUser + ":" + matrixPassword + "@" + strings.TrimPrefix(h.srv.URL, "http://") +
		"/?rooms=" + matrixRoom + "&disableTLS=yes"
}

func (h *matrixHomeserver) sent() ([]string, []matrixEvent) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.calls...), append([]matrixEvent(nil), h.events...)
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

// TestMatrix logs in with the channel's password, joins the room and sends the failure as
// one text event carrying the headline and the run's facts.
func TestMatrix(t *testing.T) {
	h := newMatrixHomeserver(t, http.StatusOK, "")
	if err := send(t, h.url()); err != nil {
		t.Fatalf("send: %v", err)
	}
	calls, events := h.sent()
	want := []string{"GET /_matrix/client/r0/login", "POST /_matrix/client/r0/login",
		"POST /_matrix/client/r0/join/" + matrixRoom, "POST /_matrix/client/r0/rooms/" + matrixRoom + "/send/m.room.message"}
	if strings.Join(calls, "\n") != strings.Join(want, "\n") {
		t.Errorf("calls:\n%s\nwant:\n%s", strings.Join(calls, "\n"), strings.Join(want, "\n"))
	}
	if len(events) != 1 || events[0].room != matrixRoom || events[0].msgtype != "m.text" {
		t.Fatalf("events: %+v", events)
	}
	wantFacts(t, events[0].body)
}

// TestMatrixErrors: the library passes on a homeserver's JSON refusal as its text alone, so
// such a refusal is kept for a retry whatever its status; a status the library does quote (a
// proxy's page in front of the homeserver) is classified by it. A wrong password is refused
// at login, before anything is sent.
func TestMatrixErrors(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		code       int
		temporary  bool
	}{
		{"JSON 500", "", http.StatusInternalServerError, true},
		{"JSON 400", "", http.StatusBadRequest, true},
		{"proxy page 502", "<html>Bad Gateway</html>", http.StatusBadGateway, true},
		{"proxy page 400", "<html>Bad Request</html>", http.StatusBadRequest, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newMatrixHomeserver(t, tc.code, tc.body)
			err := send(t, h.url())
			if _, events := h.sent(); len(events) != 1 {
				t.Errorf("send calls: %d, want 1", len(events))
			}
			wantClass(t, err, tc.temporary, matrixPassword)
		})
	}
	t.Run("wrong password", func(t *testing.T) {
		h := newMatrixHomeserver(t, http.StatusOK, "")
		err := send(t, strings.Replace(h.url(), matrixPassword, "wr0ngPassword", 1))
		if _, events := h.sent(); len(events) != 0 {
			t.Errorf("sent %d events without a login", len(events))
		}
		wantClass(t, err, true, "wr0ngPassword")
	})
}
