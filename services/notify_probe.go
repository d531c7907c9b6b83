package services

import (
	"context"
	"errors"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/gulag/chief-monitor/internal/delivery"
	"github.com/gulag/chief-monitor/internal/telemetry"
)

// TestResult is the outcome of a test send. The test is sent now,
// outside the outbox, and is not recorded in alert_deliveries.
type TestResult struct {
	// HTTPStatus is the status to answer: 200, 400, 429 or 502.
	HTTPStatus int
	Attempted  int
	Sent       int
	Failed     int
	Message    string
	// RetryAfter is set with 429.
	RetryAfter time.Duration
	// Channels has one entry per webhook or Slack channel tried.
	Channels []ChannelTestResult
}

// ChannelTestResult is the outcome of a test send to one webhook or Slack channel.
type ChannelTestResult struct {
	Name         string
	OK           bool
	ResponseCode *int64
	Error        *string
}

func (n *Notifier) limited(kind string, now time.Time) (TestResult, bool) {
	wait, ok := n.settings.Limiter().Allow(kind, now)
	if ok {
		return TestResult{}, false
	}
	secs := int(math.Ceil(wait.Seconds()))
	return TestResult{HTTPStatus: http.StatusTooManyRequests, RetryAfter: time.Duration(secs) * time.Second,
		Message: "Too many test requests; try again in " + strconv.Itoa(secs) + " s."}, true
}

// SendTestEmail sends the test e-mail to every recipient, checking in the
// reference's order: provider, recipients, then the rate limit.
func (n *Notifier) SendTestEmail(ctx context.Context, requestedBy string, now time.Time) (TestResult, error) {
	if n.opts.Email == nil || !n.settings.ProviderConfigured() {
		return TestResult{HTTPStatus: http.StatusBadRequest, Message: "Resend email provider is not configured."}, nil
	}
	es, err := n.settings.Email(ctx)
	if err != nil {
		return TestResult{}, err
	}
	if len(es.Recipients) == 0 {
		return TestResult{HTTPStatus: http.StatusBadRequest, Message: "No alert email recipients configured."}, nil
	}
	if r, limited := n.limited(ChannelEmail, now); limited {
		return r, nil
	}
	msg := delivery.Message{Test: true, RequestedBy: requestedBy, SentAt: telemetry.ServerTime(now),
		EnabledTypes: es.EnabledAlertTypes, Recipients: es.Recipients}
	sctx, cancel := context.WithTimeout(ctx, n.opts.SendTimeout)
	defer cancel()
	k := len(es.Recipients)
	if _, err := n.opts.Email.Send(sctx, msg); err != nil {
		return TestResult{HTTPStatus: http.StatusBadGateway, Attempted: k, Failed: k, Message: err.Error()}, nil
	}
	return TestResult{HTTPStatus: http.StatusOK, Attempted: k, Sent: k, Message: "Test email sent."}, nil
}

// SendTestChannels sends a test message to every webhook, Slack or chat channel, or only to the one
// named. 200 when all were accepted, 502 when any failed, 400 when there is none.
func (n *Notifier) SendTestChannels(ctx context.Context, kind, name, requestedBy string, now time.Time) (TestResult, error) {
	cs, err := n.settings.Channels(ctx, kind)
	if err != nil {
		return TestResult{}, err
	}
	var chans []ChannelConfig
	for _, ch := range cs.Channels {
		if name == "" || ch.Name == name {
			chans = append(chans, ch)
		}
	}
	noun := map[string]string{ChannelWebhook: "webhook", ChannelSlack: "Slack channel", ChannelChat: "chat channel"}[kind]
	if len(chans) == 0 {
		msg := "No " + noun + "s configured."
		if name != "" {
			msg = "No " + noun + " named " + strconv.Quote(name) + "."
		}
		return TestResult{HTTPStatus: http.StatusBadRequest, Message: msg}, nil
	}
	if r, limited := n.limited(kind, now); limited {
		return r, nil
	}
	res := TestResult{HTTPStatus: http.StatusOK, Attempted: len(chans)}
	for _, ch := range chans {
		msg := delivery.Message{Test: true, RequestedBy: requestedBy, SentAt: telemetry.ServerTime(now),
			EnabledTypes: ch.EnabledAlertTypes, AlertURL: n.opts.BaseURL + "/alerts", ID: "test:" + newToken()}
		sctx, cancel := context.WithTimeout(ctx, n.opts.SendTimeout)
		r, err := n.channelSender(kind, ch).Send(sctx, msg)
		cancel()
		cr := ChannelTestResult{Name: ch.Name, OK: err == nil}
		if r.Code != 0 {
			cr.ResponseCode = ptr(int64(r.Code))
		}
		if err != nil {
			cr.Error = ptr(err.Error())
			res.Failed++
		} else {
			res.Sent++
		}
		res.Channels = append(res.Channels, cr)
	}
	switch {
	case res.Failed == 0:
		res.Message = "Test " + noun + " message sent."
	case res.Sent == 0 && len(chans) == 1:
		res.HTTPStatus, res.Message = http.StatusBadGateway, *res.Channels[0].Error
	default:
		res.HTTPStatus = http.StatusBadGateway
		res.Message = strconv.Itoa(res.Failed) + " of " + strconv.Itoa(len(chans)) + " " + noun + "s failed."
	}
	return res, nil
}

// errTestNotConfigured is returned when a test is asked of a channel kind that does not exist.
var errTestNotConfigured = errors.New("services: notify: unknown channel kind")

// SendTest dispatches a test for a channel kind: email, webhook, slack or chat.
func (n *Notifier) SendTest(ctx context.Context, kind, name, requestedBy string, now time.Time) (TestResult, error) {
	switch kind {
	case ChannelEmail:
		return n.SendTestEmail(ctx, requestedBy, now)
	case ChannelWebhook, ChannelSlack, ChannelChat:
		return n.SendTestChannels(ctx, kind, name, requestedBy, now)
	}
	return TestResult{}, errTestNotConfigured
}
