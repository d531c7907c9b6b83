package services

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	mrand "math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/gulag/chief-monitor/internal/delivery"
	"github.com/gulag/chief-monitor/internal/store"
	"github.com/gulag/chief-monitor/internal/telemetry"
	"github.com/gulag/chief-monitor/models"
)

// ErrChannelGone is recorded when a queued message's channel was removed from the settings.
var ErrChannelGone = errors.New("services: notify: channel no longer configured")

// EmailNotConfigured is the reference's error_text for an alert e-mail without a provider.
const EmailNotConfigured = "EMAIL_NOT_CONFIGURED"

// WriteFunc runs fn in one write transaction: Writer.Do in the service, Store.Write in tests.
type WriteFunc func(ctx context.Context, fn func(*store.Tx) error) error

// NotifierOptions configure NewNotifier. Zero values take the defaults shown.
type NotifierOptions struct {
	// Email sends alert e-mails (SMTP or Resend); nil when no provider is configured.
	Email delivery.Sender
	// BaseURL is the dashboard's public origin, for links to alerts.
	BaseURL string
	// Holder names this instance in the notifier lease.
	Holder string
	// Interval is the polling period (5 s); new alerts also wake the notifier at once.
	Interval time.Duration
	// SendTimeout bounds one send (10 s).
	SendTimeout time.Duration
	// ClaimTTL is how long a claim owns a row before another notifier may take it (60 s).
	ClaimTTL time.Duration
	// MaxAttempts bounds the attempts of one message (6).
	MaxAttempts int
	// BackoffBase and BackoffMax shape the retry delay: base·2^(n-1), capped, with jitter
	// (30 s, 1 h).
	BackoffBase, BackoffMax time.Duration
	// Batch is the most rows claimed per pass (16); Parallel the most sends at once (4).
	Batch, Parallel int
	// HTTPClient makes webhook and Slack requests (a client without its own timeout).
	HTTPClient *http.Client
}

// NotifyStats counts what one notifier pass did.
type NotifyStats struct {
	Claimed, Sent, Retried, Failed int
	// Lost counts outcomes not recorded because the claim had expired and been taken over.
	Lost int
	// Skipped is true when another instance holds the notifier lease.
	Skipped bool
}

// Notifier delivers alert notifications from the alert_deliveries outbox: Outbox queues rows
// in the transaction that opens an alert, and each pass claims due rows atomically, sends them
// outside any transaction, and records the outcome, retrying temporary failures with backoff.
type Notifier struct {
	st       *store.Store
	write    WriteFunc
	settings *Settings
	log      *slog.Logger
	opts     NotifierOptions
	now      func() time.Time
	jitter   func(d time.Duration) time.Duration
	wake     chan struct{}
	stop     <-chan struct{} // Run's ctx.Done(): a pass starts no new send once it is closed
	storage  *StorageHealth

	mu      sync.Mutex
	failing map[string]bool // channel/target → last attempt failed, for log-on-change
}

// NewNotifier returns a notifier. write runs the short claim and record transactions.
func NewNotifier(st *store.Store, write WriteFunc, settings *Settings, log *slog.Logger, opts NotifierOptions) *Notifier {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&opts.Interval, 5*time.Second)
	def(&opts.SendTimeout, 10*time.Second)
	def(&opts.ClaimTTL, 60*time.Second)
	def(&opts.BackoffBase, 30*time.Second)
	def(&opts.BackoffMax, time.Hour)
	if opts.MaxAttempts <= 0 {
		opts.MaxAttempts = 6
	}
	if opts.Batch <= 0 {
		opts.Batch = 16
	}
	if opts.Parallel <= 0 {
		opts.Parallel = 4
	}
	if opts.HTTPClient == nil {
		opts.HTTPClient = &http.Client{}
	}
	if opts.Holder == "" {
		opts.Holder = newToken()
	}
	return &Notifier{st: st, write: write, settings: settings, log: log, opts: opts, now: utcNow,
		jitter: equalJitter, wake: make(chan struct{}, 1), failing: map[string]bool{}, storage: NewStorageHealth(log)}
}

// SetClock replaces the notifier clock (tests).
func (n *Notifier) SetClock(now func() time.Time) { n.now = now }

// SetJitter replaces the backoff jitter (tests): it maps the nominal delay to the one used.
func (n *Notifier) SetJitter(f func(time.Duration) time.Duration) { n.jitter = f }

// equalJitter keeps half the delay and randomises the other half.
func equalJitter(d time.Duration) time.Duration {
	half := d / 2
	if half <= 0 {
		return d
	}
	return half + mrand.N(half+1)
}

func newToken() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b) // crypto/rand never fails on supported platforms
	return hex.EncodeToString(b)
}

// Wake asks the loop for a pass now; use it as the Writer's alert hook. It never blocks.
func (n *Notifier) Wake() {
	select {
	case n.wake <- struct{}{}:
	default:
	}
}

// SetStorageHealth shares the tracker that reports storage outages once for the process.
func (n *Notifier) SetStorageHealth(h *StorageHealth) { n.storage = h }

// leaseTTL is how long one pass keeps the lease; two instances never both deliver.
func (n *Notifier) leaseTTL() time.Duration { return 3 * n.opts.Interval }

// Run makes a pass every interval, and whenever woken, until ctx ends. A pass in progress
// when ctx ends is finished (its sends and records), so shutdown drains in-flight messages;
// rows still pending stay in the outbox for the next start.
func (n *Notifier) Run(ctx context.Context) {
	t := time.NewTicker(n.opts.Interval)
	defer t.Stop()
	n.stop = ctx.Done()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-n.wake:
		}
		if ctx.Err() != nil {
			return // select picks at random among ready cases: no new pass after shutdown
		}
		st, err := n.Tick(context.WithoutCancel(ctx), n.now())
		if err != nil {
			if !n.storage.Failed(err, n.now(), "loop", "notifier") {
				n.log.Error("Notifier pass failed", "error", err)
			}
			continue
		}
		n.storage.OK(n.now())
		if st.Claimed == n.opts.Batch {
			n.Wake() // a full batch: more may be due
		}
	}
}

// Outbox is the OutboxFunc: inside the transaction that opened the alert it queues one
// PENDING row per channel that wants the alert, or writes the row that says why nothing will
// be sent. Without any webhook channel it writes the reference's STUB row.
func (n *Notifier) Outbox(tx *store.Tx, a models.Alert, tags []string, now time.Time) error {
	hooks, err := txChannels(tx, store.KeyWebhookSettings)
	if err != nil {
		return err
	}
	if len(hooks.Channels) == 0 {
		if err := StubOutbox(tx, a, tags, now); err != nil {
			return err
		}
	}
	if err := n.queueEmail(tx, a, now); err != nil {
		return err
	}
	for _, kind := range []string{ChannelWebhook, ChannelSlack, ChannelChat} {
		cs := hooks
		if kind != ChannelWebhook {
			if cs, err = txChannels(tx, channelKey(kind)); err != nil {
				return err
			}
		}
		for _, ch := range cs.Channels {
			if !ch.Matches(a, tags) {
				continue
			}
			if err := n.queue(tx, a, now, kind, ch); err != nil {
				return err
			}
		}
	}
	return nil
}

func txChannels(tx *store.Tx, key string) (ChannelSettings, error) {
	v, ok, err := tx.ConfigValue(key)
	if err != nil || !ok {
		return ChannelSettings{}, err
	}
	return ParseChannelSettings(v), nil
}

func (n *Notifier) queueEmail(tx *store.Tx, a models.Alert, now time.Time) error {
	v, ok, err := tx.ConfigValue(store.KeyEmailSettings)
	if err != nil {
		return err
	}
	es := ParseEmailSettings(v, ok)
	if !containsString(es.EnabledAlertTypes, routedAs(a.AlertType)) || len(es.Recipients) == 0 {
		return nil
	}
	if n.opts.Email == nil || !n.settings.ProviderConfigured() {
		n.log.Warn("Alert e-mail not sent: no e-mail provider is configured", "alert_id", a.ID, "job_name", a.JobName)
		_, err := tx.QueueDelivery(&models.AlertDelivery{AlertID: a.ID,
			Channel: ChannelEmail, AttemptedAt: telemetry.ServerTime(now), Status: models.DeliveryFailed,
			ErrorText: ptr(EmailNotConfigured)})
		return err
	}
	return n.queue(tx, a, now, ChannelEmail, ChannelConfig{Name: n.settings.EmailProvider()})
}

// queue writes a PENDING row for a channel that wants the alert, or a SUPPRESSED one inside
// the cooldown.
func (n *Notifier) queue(tx *store.Tx, a models.Alert, now time.Time, kind string, ch ChannelConfig) error {
	cooldown := n.settings.DefaultCooldown()
	if ch.CooldownSeconds != nil {
		cooldown = time.Duration(*ch.CooldownSeconds) * time.Second
	}
	key := fmt.Sprintf("%d:%s:%s", a.ID, kind, ch.Name)
	if a.Reminders > 0 {
		key += fmt.Sprintf(":reminder:%d", a.Reminders)
	}
	d := models.AlertDelivery{AlertID: a.ID, Channel: kind,
		AttemptedAt: telemetry.ServerTime(now), Status: models.DeliveryPending,
		DeliveryKey: &key, Target: ptr(ch.Name), Reminder: a.Reminders,
		QueuedAtMs: ptr(now.UnixMilli()), NextAttemptAtMs: ptr(now.UnixMilli())}
	// a reminder was asked for at its interval: the cooldown, which stops a flapping job from
	// flooding a channel, does not hold it back.
	if cooldown > 0 && a.Reminders == 0 {
		recent, err := tx.RecentDelivery(a.JobName, a.AlertType, kind, ch.Name, now.Add(-cooldown).UnixMilli())
		if err != nil {
			return err
		}
		if recent {
			d.Status, d.NextAttemptAtMs = models.DeliverySuppressed, nil
			d.ErrorText = ptr("COOLDOWN: a " + string(a.AlertType) + " message for this job was sent less than " +
				cooldown.String() + " ago")
		}
	}
	_, err := tx.QueueDelivery(&d)
	return err
}

// Tick makes one pass at now: take the lease, claim due rows, send them, record each outcome.
// A send cut short because ctx ended is not recorded: its claim expires and the message is
// sent again later (at least once; a duplicate only when the first send's outcome is unknown).
func (n *Notifier) Tick(ctx context.Context, now time.Time) (NotifyStats, error) {
	var st NotifyStats
	token := newToken()
	nowMs, nowStr := now.UnixMilli(), telemetry.ServerTime(now)
	// An idle pass only reads: no write transaction queues behind ingest when nothing is due.
	if due, err := n.st.AnyDue(ctx, nowMs); err != nil || !due {
		return st, err
	}
	var claimed []models.AlertDelivery
	err := n.write(ctx, func(tx *store.Tx) error {
		claimed = nil
		ok, err := tx.TryLease("notifier", n.opts.Holder, nowMs, now.Add(n.leaseTTL()).UnixMilli(), nowStr)
		if err != nil {
			return err
		}
		if !ok {
			st.Skipped = true
			return nil
		}
		ids, err := tx.DueDeliveries(nowMs, n.opts.Batch)
		if err != nil {
			return err
		}
		untilMs := now.Add(n.opts.ClaimTTL).UnixMilli()
		for _, id := range ids {
			if _, err := tx.ClaimDelivery(id, token, nowMs, untilMs); err != nil {
				return err
			}
		}
		claimed, err = tx.ClaimedDeliveries(token)
		return err
	})
	if err != nil || len(claimed) == 0 {
		return st, err
	}
	st.Claimed = len(claimed)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var errs []error
	sem := make(chan struct{}, n.opts.Parallel)
	var unsent []models.AlertDelivery
	for i, d := range claimed {
		sem <- struct{}{}
		if n.stopping() {
			unsent = claimed[i:] // shutting down: give these back instead of sending them
			break
		}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			status, lost, err := n.deliver(ctx, d, token, now)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err != nil:
				errs = append(errs, err)
			case lost:
				st.Lost++
			case status == models.DeliverySent:
				st.Sent++
			case status == models.DeliveryPending:
				st.Retried++
			case status == models.DeliveryFailed:
				st.Failed++
			}
		}()
	}
	wg.Wait()
	if len(unsent) > 0 {
		errs = append(errs, n.write(ctx, func(tx *store.Tx) error {
			for _, d := range unsent {
				if err := tx.ReleaseDelivery(d.ID, token); err != nil {
					return err
				}
			}
			return nil
		}))
	}
	return st, errors.Join(errs...)
}

func (n *Notifier) stopping() bool {
	select {
	case <-n.stop:
		return true
	default:
		return false
	}
}

// deliver sends one claimed row and records the outcome; status is the row's new status.
func (n *Notifier) deliver(ctx context.Context, d models.AlertDelivery, token string, now time.Time) (status string, lost bool, err error) {
	target := ""
	if d.Target != nil {
		target = *d.Target
	}
	var res delivery.Result
	var sendErr error
	if d.Attempt > int64(n.opts.MaxAttempts)+1 {
		// Only reachable when earlier attempts died between claim and record (crashes).
		sendErr = &delivery.Error{Text: "gave up after " + strconv.FormatInt(d.Attempt-1, 10) + " attempts"}
	} else {
		sender, msg, err := n.prepare(ctx, d, target, now)
		if err != nil {
			sendErr = err
		} else {
			sctx, cancel := context.WithTimeout(ctx, n.opts.SendTimeout)
			res, sendErr = sender.Send(sctx, msg)
			cancel()
		}
	}
	if ctx.Err() != nil {
		return "", false, nil // killed between claim and record: the claim will expire
	}
	o := store.Outcome{Status: models.DeliverySent, AttemptedAt: telemetry.ServerTime(now)}
	if res.Code != 0 {
		o.ResponseCode = ptr(int64(res.Code))
	}
	if sendErr != nil {
		o.Status = models.DeliveryFailed
		o.ErrorText = ptr(sendErr.Error())
		// SMTP replies carry their code only in the error: record it like an HTTP status.
		if de := (*delivery.Error)(nil); o.ResponseCode == nil && errors.As(sendErr, &de) && de.Code != 0 {
			o.ResponseCode = ptr(int64(de.Code))
		}
		if delivery.IsTemporary(sendErr) && d.Attempt < int64(n.opts.MaxAttempts) {
			o.Status = models.DeliveryPending
			o.NextAttemptAtMs = ptr(now.Add(n.backoff(int(d.Attempt))).UnixMilli())
		}
	}
	var recorded bool
	// The outcome is known: keep trying to record it while the claim lasts (a short database
	// outage), or the claim would expire and the message be sent a second time.
	giveUp := time.Now().Add(n.opts.ClaimTTL / 2)
	for {
		err = n.write(ctx, func(tx *store.Tx) error {
			var err error
			recorded, err = tx.FinishDelivery(d, token, o)
			return err
		})
		if _, down := store.Unavailable(err); !down || time.Now().After(giveUp) || n.stopping() || ctx.Err() != nil {
			break
		}
		time.Sleep(min(time.Second, n.opts.ClaimTTL/20))
	}
	if err != nil {
		return "", false, fmt.Errorf("services: notify: record delivery %d: %w", d.ID, err)
	}
	if !recorded {
		return "", true, nil
	}
	n.logChange(d, target, o)
	return o.Status, false, nil
}

// backoff is the delay after the attempt-th failure.
func (n *Notifier) backoff(attempt int) time.Duration {
	d := n.opts.BackoffBase
	for i := 1; i < attempt && d < n.opts.BackoffMax; i++ {
		d *= 2
	}
	if d > n.opts.BackoffMax {
		d = n.opts.BackoffMax
	}
	return n.jitter(d)
}

// logChange logs when a channel starts failing, gives up, or recovers; not every retry.
func (n *Notifier) logChange(d models.AlertDelivery, target string, o store.Outcome) {
	key := d.Channel + "/" + target
	n.mu.Lock()
	was := n.failing[key]
	n.failing[key] = o.Status != models.DeliverySent
	n.mu.Unlock()
	log := n.log.With("channel", d.Channel, "target", target, "alert_id", d.AlertID, "attempt", d.Attempt)
	switch {
	case o.Status == models.DeliveryFailed:
		log.Warn("Alert delivery failed", "error", *o.ErrorText)
	case o.Status == models.DeliveryPending && !was:
		log.Warn("Alert delivery failing, will retry", "error", *o.ErrorText,
			"next_attempt_at", telemetry.ServerTime(time.UnixMilli(*o.NextAttemptAtMs)))
	case o.Status == models.DeliverySent && was:
		log.Info("Alert delivery recovered")
	}
}

// AlertURL links to a job's alerts in the dashboard.
func (n *Notifier) AlertURL(job string) string {
	return n.opts.BaseURL + "/alerts?jobName=" + url.QueryEscape(job)
}

// prepare finds the sender of a claimed row in the current settings and builds its message.
func (n *Notifier) prepare(ctx context.Context, d models.AlertDelivery, target string, now time.Time) (delivery.Sender, delivery.Message, error) {
	a, err := n.st.Alert(ctx, d.AlertID)
	if err != nil {
		return nil, delivery.Message{}, fmt.Errorf("services: notify: load alert: %w", err)
	}
	msg := delivery.Message{Alert: *a, SentAt: telemetry.ServerTime(now), AlertURL: n.AlertURL(a.JobName), Reminder: d.Reminder}
	if d.DeliveryKey != nil {
		msg.ID = *d.DeliveryKey
	}
	if c, err := n.st.Check(ctx, a.JobName); err == nil {
		msg.Check = c
	}
	if id := alertRunID(*a); id != "" {
		if r, err := n.st.Run(ctx, id); err == nil {
			msg.Run, msg.RunURL = r, n.opts.BaseURL+"/runs/"+url.PathEscape(id)
		}
	}
	sender, err := n.sender(ctx, d.Channel, target, &msg)
	return sender, msg, err
}

// sender returns the channel's sender from the current settings, filling the message's
// recipients for e-mail.
func (n *Notifier) sender(ctx context.Context, kind, target string, msg *delivery.Message) (delivery.Sender, error) {
	if kind == ChannelEmail {
		es, err := n.settings.Email(ctx)
		if err != nil {
			return nil, err
		}
		if n.opts.Email == nil {
			return nil, &delivery.Error{Text: EmailNotConfigured}
		}
		if len(es.Recipients) == 0 {
			return nil, &delivery.Error{Text: "No alert email recipients configured."}
		}
		msg.Recipients = es.Recipients
		msg.EnabledTypes = es.EnabledAlertTypes
		return n.opts.Email, nil
	}
	cs, err := n.settings.Channels(ctx, kind)
	if err != nil {
		return nil, err
	}
	for _, ch := range cs.Channels {
		if ch.Name == target {
			return n.channelSender(kind, ch), nil
		}
	}
	return nil, &delivery.Error{Text: ErrChannelGone.Error() + ": " + target}
}

func (n *Notifier) channelSender(kind string, ch ChannelConfig) delivery.Sender {
	switch kind {
	case ChannelSlack:
		return &delivery.Slack{URL: ch.URL, Client: n.opts.HTTPClient}
	case ChannelChat:
		return &delivery.Chat{URL: ch.URL, Client: n.opts.HTTPClient}
	}
	w := &delivery.Webhook{URL: ch.URL, Client: n.opts.HTTPClient, Now: n.now}
	if ch.Secret != nil {
		w.Secret = *ch.Secret
	}
	return w
}

// NotifierHealth is what the overview's warning banner shows.
type NotifierHealth struct {
	// Stalled is true when deliveries are overdue and no notifier pass ran for two intervals.
	Stalled bool
	// Failing is true when the last FailingWindow sends all failed.
	Failing bool
	// Pending counts queued messages.
	Pending int64
	// LastPassAt is the time of the latest notifier pass of any instance (zero if none).
	LastPassAt time.Time
	// Message explains the problem in one sentence; empty when healthy.
	Message string
}

// FailingWindow is how many latest sends must all have failed to call delivery failing.
const FailingWindow = 5

// Health reports whether alert delivery works, for the overview banner.
func (n *Notifier) Health(ctx context.Context, now time.Time) (NotifierHealth, error) {
	var h NotifierHealth
	ds, err := n.st.DeliveryStats(ctx, FailingWindow)
	if err != nil {
		return h, err
	}
	h.Pending = ds.Pending
	if l, err := n.st.Lease(ctx, "notifier"); err == nil {
		h.LastPassAt = time.UnixMilli(l.ExpiresMs).Add(-n.leaseTTL()).UTC()
	} else if !errors.Is(err, store.ErrNotFound) {
		return h, err
	}
	stale := now.Add(-2 * n.opts.Interval)
	if ds.Pending > 0 && ds.OverdueSinceMs < stale.UnixMilli() && h.LastPassAt.Before(stale) {
		h.Stalled = true
		h.Message = fmt.Sprintf("Alert delivery is stalled: %d message(s) pending and no notifier pass since %s.",
			ds.Pending, passText(h.LastPassAt))
		return h, nil
	}
	if len(ds.Recent) == FailingWindow {
		all := true
		for _, s := range ds.Recent {
			all = all && s == models.DeliveryFailed
		}
		if all {
			h.Failing = true
			h.Message = fmt.Sprintf("The last %d alert deliveries failed. Check the alert channels in Settings.", FailingWindow)
		}
	}
	return h, nil
}

func passText(t time.Time) string {
	if t.IsZero() {
		return "start-up"
	}
	return telemetry.ServerTime(t)
}

// alertRunID is the run an alert is about, from its details, or "".
func alertRunID(a models.Alert) string {
	var d struct {
		RunID *string `json:"runId"`
	}
	if json.Unmarshal([]byte(a.DetailsJSON), &d) != nil || d.RunID == nil {
		return ""
	}
	return *d.RunID
}
