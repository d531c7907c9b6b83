package delivery

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"mime"
	"net"
	"net/mail"
	"strconv"
	"strings"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// SMTP TLS modes (MONITOR_SMTP_TLS).
const (
	TLSStartTLS = "starttls"
	TLSImplicit = "tls"
	TLSNone     = "none"
)

// SMTP sends e-mail through an SMTP server.
type SMTP struct {
	Host string
	Port int
	// Username and Password authenticate with PLAIN when Username is set.
	Username, Password string
	// From is the sender; a bare address becomes "Gulag Monitor <address>".
	From string
	// TLS is starttls (default), tls or none.
	TLS string
	// TLSConfig overrides the TLS settings (tests); ServerName defaults to Host.
	TLSConfig *tls.Config
	// Now stamps the Date header; time.Now when nil.
	Now func() time.Time
}

var _ Sender = (*SMTP)(nil)

// Send delivers one message to all recipients. The reply code of the final DATA is the result.
func (s *SMTP) Send(ctx context.Context, m Message) (Result, error) {
	from := FromHeader(s.From)
	envelope, err := mail.ParseAddress(from)
	if err != nil {
		return Result{}, &Error{Text: "invalid sender address: " + err.Error()}
	}
	msg, err := s.compose(m, from)
	if err != nil {
		return Result{}, err
	}
	addr := net.JoinHostPort(s.Host, strconv.Itoa(s.Port))
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return Result{}, netError(err)
	}
	// A cancelled or expired context closes the connection, which unblocks any command.
	stop := context.AfterFunc(ctx, func() { _ = conn.Close() }) // closing twice is harmless
	defer stop()
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl) // the client resets it per command; the AfterFunc is the backstop
	}
	tlsCfg := s.TLSConfig
	if tlsCfg == nil {
		tlsCfg = &tls.Config{ServerName: s.Host, MinVersion: tls.VersionTLS12}
	}
	var c *smtp.Client
	switch s.TLS {
	case TLSImplicit:
		c = smtp.NewClient(tls.Client(conn, tlsCfg))
	case TLSNone:
		c = smtp.NewClient(conn)
	default:
		c, err = smtp.NewClientStartTLS(conn, tlsCfg)
		if err != nil {
			_ = conn.Close()
			return Result{}, smtpError(ctx, err)
		}
	}
	defer c.Close()
	if dl, ok := ctx.Deadline(); ok {
		c.CommandTimeout = time.Until(dl)
		c.SubmissionTimeout = time.Until(dl)
	}
	if s.Username != "" {
		if err := c.Auth(sasl.NewPlainClient("", s.Username, s.Password)); err != nil {
			return Result{}, smtpError(ctx, err)
		}
	}
	if err := c.SendMail(envelope.Address, m.Recipients, bytes.NewReader(msg)); err != nil {
		return Result{}, smtpError(ctx, err)
	}
	_ = c.Quit() // the message is accepted; a failed QUIT changes nothing
	return Result{Code: 250}, nil
}

// smtpError classifies a failure: 4xx replies are temporary, 5xx permanent, and transport
// errors temporary.
func smtpError(ctx context.Context, err error) error {
	var se *smtp.SMTPError
	if errors.As(err, &se) {
		return &Error{Code: se.Code, Text: fmt.Sprintf("SMTP %d: %s", se.Code, se.Message), Temporary: se.Code/100 == 4}
	}
	if ctx.Err() != nil {
		return netError(fmt.Errorf("%w (%w)", ctx.Err(), err))
	}
	return netError(err)
}

// headerSafe drops CR and LF so a job name cannot inject headers.
func headerSafe(s string) string {
	return strings.NewReplacer("\r", " ", "\n", " ").Replace(s)
}

// compose builds the RFC 5322 message: plain text, UTF-8, CRLF line ends.
func (s *SMTP) compose(m Message, from string) ([]byte, error) {
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	id := make([]byte, 12)
	if _, err := rand.Read(id); err != nil {
		return nil, fmt.Errorf("delivery: smtp: message id: %w", err)
	}
	host := s.Host
	if host == "" {
		host = "localhost"
	}
	var b strings.Builder
	hdr := func(k, v string) { b.WriteString(k + ": " + headerSafe(v) + "\r\n") }
	hdr("From", from)
	hdr("To", strings.Join(m.Recipients, ", "))
	hdr("Subject", mime.QEncoding.Encode("utf-8", headerSafe(EmailSubject(m))))
	hdr("Date", now().Format(time.RFC1123Z))
	hdr("Message-ID", "<"+hex.EncodeToString(id)+"@"+host+">")
	if m.ID != "" {
		hdr("X-Chief-Delivery", m.ID)
	}
	hdr("MIME-Version", "1.0")
	hdr("Content-Type", "text/plain; charset=utf-8")
	hdr("Content-Transfer-Encoding", "8bit")
	b.WriteString("\r\n")
	body := strings.ReplaceAll(EmailText(m), "\r\n", "\n")
	b.WriteString(strings.ReplaceAll(body, "\n", "\r\n"))
	b.WriteString("\r\n")
	return []byte(b.String()), nil
}
