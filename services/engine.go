package services

import (
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/gulag/chief-monitor/internal/store"
	"github.com/gulag/chief-monitor/internal/telemetry"
	"github.com/gulag/chief-monitor/models"
)

// engine applies events to check state and alerts inside one write transaction. Check rows
// are loaded once per batch, changed in memory, and written back by flush.
type engine struct {
	tx     *store.Tx
	outbox OutboxFunc
	now    time.Time
	nowStr string
	checks map[string]*checkEntry
	opened []models.Alert
	warnTZ func(string)
	cache  *checkCache
	// defaults is the alert policy of jobs that set none themselves, read when first needed.
	defaults *Policy
	// pauses (by job) and windows are loaded when an alert first needs them (loadHolds).
	pauses  map[string]*models.JobPause
	windows []Window
}

type checkEntry struct {
	c            models.CheckState
	orig         models.CheckState
	isNew, dirty bool
}

// checkCache keeps committed check rows in memory between transactions (see Writer.cache).
// A nil cache is off.
type checkCache struct {
	rows map[string]models.CheckState
}

func (c *checkCache) get(job string) (models.CheckState, bool) {
	if c == nil {
		return models.CheckState{}, false
	}
	r, ok := c.rows[job]
	return r, ok
}

func (c *checkCache) reset() {
	if c != nil {
		clear(c.rows)
	}
}

// commitCache records the rows of a committed transaction in the cache.
func (e *engine) commitCache() {
	if e.cache == nil {
		return
	}
	if len(e.cache.rows) > 100_000 {
		e.cache.reset()
	}
	for job, ce := range e.checks {
		e.cache.rows[job] = ce.c
	}
}

func newEngine(tx *store.Tx, now time.Time, outbox OutboxFunc, warnTZ func(string)) *engine {
	if outbox == nil {
		outbox = StubOutbox
	}
	return &engine{tx: tx, outbox: outbox, now: now, nowStr: telemetry.ServerTime(now), checks: map[string]*checkEntry{}, warnTZ: warnTZ}
}

// OutboxFunc queues the deliveries of an alert that was just opened, inside the transaction
// that opened it (a transactional outbox): they commit or roll back with the alert. tags are
// the job's tags as of this transaction, by which channels route.
type OutboxFunc func(tx *store.Tx, a models.Alert, tags []string, now time.Time) error

// StubOutbox writes the reference's single webhook placeholder row and queues nothing.
func StubOutbox(tx *store.Tx, a models.Alert, _ []string, now time.Time) error {
	at := a.OpenedAt
	if a.Reminders > 0 {
		at = telemetry.ServerTime(now)
	}
	return tx.InsertDelivery(&models.AlertDelivery{AlertID: a.ID, Channel: "webhook", AttemptedAt: at,
		Status: "STUB", ErrorText: ptr("Webhook integration not configured in v1."), Reminder: a.Reminders})
}

// check returns the job's cached check, creating it from the patch's values and the defaults
// when the job has none yet.
func (e *engine) check(job string, patch CheckPatch) (*checkEntry, error) {
	if ce, ok := e.checks[job]; ok {
		return ce, nil
	}
	if c, ok := e.cache.get(job); ok {
		ce := &checkEntry{c: c, orig: c}
		e.checks[job] = ce
		return ce, nil
	}
	c, err := e.tx.Check(job)
	if errors.Is(err, store.ErrNotFound) {
		c = &models.CheckState{JobName: job, Enabled: true, AlertOnFailure: true, AlertOnMiss: true,
			GraceSeconds: DefaultGraceSeconds, Status: models.StatusUp, UpdatedAt: e.nowStr, Tags: "[]"}
		patch.Apply(c)
		ce := &checkEntry{c: *c, isNew: true, dirty: true}
		e.checks[job] = ce
		return ce, nil
	}
	if err != nil {
		return nil, err
	}
	ce := &checkEntry{c: *c, orig: *c}
	e.checks[job] = ce
	return ce, nil
}

// preload locks (creating with the defaults where missing) the check rows of the given jobs in
// one ordered statement. Only PostgreSQL needs it: there other instances write concurrently.
func (e *engine) preload(jobs []string) error {
	rows, err := e.tx.LockChecks(jobs, e.nowStr)
	if err != nil {
		return err
	}
	for job, c := range rows {
		e.checks[job] = &checkEntry{c: *c, orig: *c}
	}
	return nil
}

// flush writes every changed check row; rows where only updated_at and the latest event
// changed share one statement.
func (e *engine) flush() error {
	var touched []*models.CheckState
	for _, ce := range e.checks {
		if !ce.dirty {
			continue
		}
		var err error
		switch {
		case ce.isNew:
			err = e.tx.InsertCheck(&ce.c)
		case onlyTouched(ce.orig, ce.c) && ce.c.UpdatedAt == e.nowStr:
			touched = append(touched, &ce.c)
		default:
			err = e.tx.UpdateCheck(&ce.c)
		}
		if err != nil {
			return err
		}
		ce.isNew, ce.dirty, ce.orig = false, false, ce.c
	}
	return e.tx.TouchChecks(touched, e.nowStr)
}

// onlyTouched reports whether b differs from a only in updated_at and the latest event, the
// common case of a worker message, which then needs a much shorter UPDATE.
func onlyTouched(a, b models.CheckState) bool {
	a.UpdatedAt, a.LatestEventID, a.LatestEventMs = b.UpdatedAt, b.LatestEventID, b.LatestEventMs
	return checkEqual(a, b)
}

func checkEqual(a, b models.CheckState) bool {
	eqS := func(x, y *string) bool { return (x == nil) == (y == nil) && (x == nil || *x == *y) }
	eqI := func(x, y *int64) bool { return (x == nil) == (y == nil) && (x == nil || *x == *y) }
	return a.JobName == b.JobName && a.Enabled == b.Enabled && a.AlertOnFailure == b.AlertOnFailure &&
		a.AlertOnMiss == b.AlertOnMiss && a.GraceSeconds == b.GraceSeconds && a.Status == b.Status &&
		eqS(a.LastHeartbeatAt, b.LastHeartbeatAt) && eqS(a.ExpectedNextAt, b.ExpectedNextAt) &&
		eqS(a.LastSuccessAt, b.LastSuccessAt) && eqS(a.LastFailureAt, b.LastFailureAt) &&
		a.ConsecutiveFailures == b.ConsecutiveFailures && a.UpdatedAt == b.UpdatedAt &&
		eqI(a.ExpectedNextMs, b.ExpectedNextMs) && eqS(a.SatisfiedExpectedAt, b.SatisfiedExpectedAt) &&
		eqI(a.LastHeartbeatMs, b.LastHeartbeatMs) && eqI(a.LastSuccessMs, b.LastSuccessMs) &&
		eqI(a.LastFailureMs, b.LastFailureMs) && eqI(a.LatestEventID, b.LatestEventID) && eqI(a.LatestEventMs, b.LatestEventMs) &&
		eqS(a.RetiredAt, b.RetiredAt) && eqS(a.RetiredReason, b.RetiredReason) &&
		eqS(a.LastRunID, b.LastRunID) && eqI(a.LastRunMs, b.LastRunMs) && a.Tags == b.Tags &&
		eqI(a.FailureThreshold, b.FailureThreshold) && eqI(a.RecoveryThreshold, b.RecoveryThreshold) &&
		eqI(a.RealertMinutes, b.RealertMinutes) && eqI(a.MaxDurationSeconds, b.MaxDurationSeconds) &&
		((a.SlowFactor == nil) == (b.SlowFactor == nil) && (a.SlowFactor == nil || *a.SlowFactor == *b.SlowFactor)) &&
		a.ConsecutiveSuccesses == b.ConsecutiveSuccesses
}

func isHeartbeat(eventType string) bool {
	switch eventType {
	case telemetry.EventJobStarted, telemetry.EventJobCompleted, telemetry.EventJobFailed:
		return true
	}
	return false
}

// apply runs the state engine for one stored event.
func (e *engine) apply(ev *models.TelemetryEvent, meta map[string]json.RawMessage) error {
	if ev.SourceType == telemetry.SourceChief && ev.EventType == telemetry.EventChiefHeartbeat {
		if err := e.presence(ev); err != nil {
			return err
		}
	}
	if err := e.noteRunner(ev, meta); err != nil {
		return err
	}
	if ev.JobName == nil {
		return nil
	}
	job := *ev.JobName
	patch := ParseCheckPatch(meta)
	ce, err := e.check(job, patch)
	if err != nil {
		return err
	}
	c := &ce.c
	// a check switched off stops watching, so its open MISSED alert closes.
	if patch.Apply(c) && !ce.isNew {
		if _, err := e.tx.CloseOpenAlerts(job, models.AlertMissed, e.nowStr, models.CloseAutoDisabled); err != nil {
			return err
		}
	}
	parsePolicyPatch(meta).apply(c)
	ce.dirty = true
	c.UpdatedAt = e.nowStr
	if c.LatestEventMs == nil || ev.EventAtMs >= *c.LatestEventMs {
		c.LatestEventMs, c.LatestEventID = ptr(ev.EventAtMs), ptr(ev.ID)
	}

	if isHeartbeat(ev.EventType) || ev.EventType == telemetry.EventJobNextScheduled {
		c.RetiredAt, c.RetiredReason = nil, nil // the job runs again
	}
	switch {
	case ev.EventType == telemetry.EventJobNextScheduled:
		return e.nextScheduled(c, ev, meta)
	case isHeartbeat(ev.EventType):
		return e.heartbeat(c, ev, willRetry(meta))
	}
	return nil
}

// nextScheduled sets the expectation from metadata.next_run_at. A replayed one older than the
// last heartbeat is ignored; clearing the expectation or moving it into the future sets UP.
func (e *engine) nextScheduled(c *models.CheckState, ev *models.TelemetryEvent, meta map[string]json.RawMessage) error {
	if c.LastHeartbeatMs != nil && ev.EventAtMs < *c.LastHeartbeatMs {
		return nil
	}
	var next string
	if raw, ok := meta[telemetry.MetaNextRunAt]; ok {
		_ = json.Unmarshal(raw, &next) // a non-string leaves next empty, which clears the expectation
	}
	next = strings.TrimSpace(next)
	if next == "" {
		c.ExpectedNextAt, c.ExpectedNextMs = nil, nil
		c.Status = models.StatusUp
		return nil
	}
	c.ExpectedNextAt = &next
	t, ok := telemetry.ParseTime(next)
	if !ok {
		c.ExpectedNextMs = nil
		return nil
	}
	e.noteOffsetless(next)
	c.ExpectedNextMs = ptr(t.UnixMilli())
	if t.After(e.now) {
		c.Status = models.StatusUp
	}
	return nil
}

// willRetry reports a job.failed that Chief will follow with another attempt, for a job that
// does not want an alert for every attempt: only the last attempt's failure opens FAILURE.
func willRetry(meta map[string]json.RawMessage) bool {
	var final, every bool
	if raw, ok := meta[telemetry.MetaFinalAttempt]; !ok || json.Unmarshal(raw, &final) != nil || final {
		return false
	}
	_ = json.Unmarshal(meta[telemetry.MetaAlertOnEveryAttempt], &every) // absent: false
	return !every
}

// heartbeat handles job.started, job.completed and job.failed. retrying is a failure that
// Chief will attempt again: it counts, but opens no FAILURE yet.
func (e *engine) heartbeat(c *models.CheckState, ev *models.TelemetryEvent, retrying bool) error {
	job := c.JobName
	if SatisfiesExpectation(*c, ev.EventAtMs) {
		c.SatisfiedExpectedAt = c.ExpectedNextAt
	}
	// a heartbeat older than the last one (a replay) moves nothing backwards and changes no
	// alert. An event the server timed itself is news even when a concurrent request with a
	// later receipt time was applied first; it only never moves a timestamp backwards.
	newer := c.LastHeartbeatMs == nil || ev.EventAtMs >= *c.LastHeartbeatMs
	if newer {
		c.LastHeartbeatAt, c.LastHeartbeatMs = ptr(ev.EventAt), ptr(ev.EventAtMs)
	}
	failure := ev.EventType == telemetry.EventJobFailed ||
		(ev.EventType == telemetry.EventJobCompleted && ev.Success != nil && !*ev.Success)
	success := ev.EventType == telemetry.EventJobCompleted && ev.Success != nil && *ev.Success
	var open map[models.AlertType]bool
	if newer || ev.ServerTimed || (success && c.AlertOnFailure) {
		var err error
		if open, err = e.tx.OpenAlertTypes(job); err != nil {
			return err
		}
	}
	if newer || ev.ServerTimed {
		if open[models.AlertRecovery] {
			if _, err := e.tx.CloseOpenAlerts(job, models.AlertRecovery, e.nowStr, models.CloseAutoHeartbeat); err != nil {
				return err
			}
		}
		c.Status = models.StatusUp
		if c.AlertOnMiss && open[models.AlertMissed] {
			n, err := e.tx.CloseOpenAlerts(job, models.AlertMissed, e.nowStr, models.CloseAutoHeartbeat)
			if err != nil {
				return err
			}
			if n > 0 {
				if err := e.openRecovery(job, "MISSED", "missed heartbeat", ev); err != nil {
					return err
				}
			}
		}
	}
	if !failure && !success {
		return nil
	}
	if open[models.AlertHung] { // the run that seemed hung has ended after all
		if _, err := e.tx.CloseOpenAlerts(job, models.AlertHung, e.nowStr, models.CloseAutoFinished); err != nil {
			return err
		}
	}
	// an outcome older than the latest recorded outcome is history, not news.
	if !ev.ServerTimed && ((c.LastSuccessMs != nil && ev.EventAtMs < *c.LastSuccessMs) ||
		(c.LastFailureMs != nil && ev.EventAtMs < *c.LastFailureMs)) {
		return nil
	}
	policy, err := e.policyOf(*c)
	if err != nil {
		return err
	}
	if failure {
		c.ConsecutiveFailures++
		c.ConsecutiveSuccesses = 0
		if c.LastFailureMs == nil || ev.EventAtMs >= *c.LastFailureMs {
			c.LastFailureAt, c.LastFailureMs = ptr(ev.EventAt), ptr(ev.EventAtMs)
		}
		// a flaky job alerts only once it has failed failure_threshold times in a row; an
		// alert already open counts every further failure.
		if c.AlertOnFailure && !retrying && (c.ConsecutiveFailures >= policy.FailureThreshold || open[models.AlertFailure]) {
			details := orderedJSON{{"eventType", ev.EventType}, {"returnCode", ev.ReturnCode}, {"runId", ev.RunID}}
			return e.open(job, models.AlertFailure, models.SeverityError, job+":FAILURE", "Job "+job+" failed", details)
		}
		return nil
	}
	if c.LastSuccessMs == nil || ev.EventAtMs >= *c.LastSuccessMs {
		c.LastSuccessAt, c.LastSuccessMs = ptr(ev.EventAt), ptr(ev.EventAtMs)
	}
	c.ConsecutiveFailures = 0
	c.ConsecutiveSuccesses++
	if err := e.duration(c, ev, policy, open[models.AlertSlow]); err != nil {
		return err
	}
	if c.AlertOnFailure && open[models.AlertFailure] && c.ConsecutiveSuccesses >= policy.RecoveryThreshold {
		n, err := e.tx.CloseOpenAlerts(job, models.AlertFailure, e.nowStr, models.CloseAutoSuccess)
		if err != nil {
			return err
		}
		if n > 0 {
			return e.openRecovery(job, "FAILURE", "failure", ev)
		}
	}
	return nil
}

func (e *engine) openRecovery(job, from, what string, ev *models.TelemetryEvent) error {
	details := orderedJSON{{"recoveredAt", ev.EventAt}, {"sourceEvent", ev.EventType}}
	return e.open(job, models.AlertRecovery, models.SeverityInfo, job+":RECOVERY:"+from,
		"Job "+job+" recovered from "+what, details)
}

// open inserts an alert (or counts one more occurrence of the open one) and, for a new alert,
// queues its deliveries through the outbox.
func (e *engine) open(job string, typ models.AlertType, sev models.Severity, key, title string, details orderedJSON) error {
	why, err := e.suppression(job)
	if err != nil {
		return err
	}
	a := models.Alert{JobName: job, AlertType: typ, Severity: sev, OpenedAt: e.nowStr, DedupeKey: key,
		Title: title, DetailsJSON: details.String(), LastNotifiedAt: &e.nowStr}
	if why != "" { // held back: stored and shown, delivered when the pause or window ends
		a.SuppressedReason = &why
	}
	inserted, err := e.tx.OpenAlert(&a)
	if err != nil || !inserted {
		return err
	}
	e.opened = append(e.opened, a)
	if why != "" {
		return nil
	}
	// the outbox routes by the job's tags, those this batch brought included
	tags, err := e.tagsOf(job)
	if err != nil {
		return err
	}
	return e.outbox(e.tx, a, tags, e.now)
}

// presence keeps the latest chief heartbeat so the summary never scans events.
func (e *engine) presence(ev *models.TelemetryEvent) error {
	cur, err := e.tx.PresenceForUpdate()
	if err != nil {
		return err
	}
	if cur != nil && cur.EventAtMs > ev.EventAtMs {
		return nil
	}
	return e.tx.PutPresence(models.Presence{EventAt: ev.EventAt, EventAtMs: ev.EventAtMs,
		PingIntervalSeconds: store.PingInterval([]byte(ev.MetadataJSON))}, e.nowStr)
}

func (e *engine) noteOffsetless(s string) {
	if e.warnTZ != nil && !hasOffset(s) {
		e.warnTZ(s)
	}
}

// hasOffset reports whether a timestamp names its zone (Z or ±hh:mm).
func hasOffset(s string) bool {
	if strings.HasSuffix(s, "Z") || strings.HasSuffix(s, "z") {
		return true
	}
	if len(s) > 19 {
		tail := s[19:]
		return strings.ContainsAny(tail, "+-")
	}
	return false
}

// orderedJSON is a JSON object whose keys keep their order.
type orderedJSON []struct {
	Key   string
	Value any
}

// String renders the object compactly, keys in order.
func (o orderedJSON) String() string {
	var b strings.Builder
	b.WriteByte('{')
	for i, kv := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(kv.Key)
		v, err := json.Marshal(kv.Value)
		if err != nil {
			v = []byte("null")
		}
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.String()
}
