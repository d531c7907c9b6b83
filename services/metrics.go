package services

import (
	"context"
	"time"

	"github.com/gulag/chief-monitor/internal/store"
	"github.com/gulag/chief-monitor/models"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Observer hears of the monitor's own work, for /metrics. The writer and the evaluator take an
// optional one (SetObserver): without it they run, and test, without Prometheus.
type Observer interface {
	// EventsIngested counts events of ingest requests whose transaction committed.
	EventsIngested(n int)
	// GroupCommitted times one committed ingest group transaction.
	GroupCommitted(took time.Duration)
	// EvaluatorPassed times one evaluator pass.
	EvaluatorPassed(took time.Duration)
}

// SetObserver installs the observer of committed ingest groups. Call it before Run.
func (w *Writer) SetObserver(o Observer) { w.obs = o }

// QueueDepth is how many write requests wait for the writer goroutine.
func (w *Writer) QueueDepth() int { return len(w.queue) }

// observeGroup reports a committed ingest group to the observer, if any.
func (w *Writer) observeGroup(group []work, took time.Duration) {
	if w.obs == nil {
		return
	}
	n := 0
	for _, wk := range group {
		n += len(wk.batch.events)
	}
	w.obs.EventsIngested(n)
	w.obs.GroupCommitted(took)
}

// SetObserver installs the observer of evaluator passes. Call it before Run.
func (e *Evaluator) SetObserver(o Observer) { e.obs = o }

func (e *Evaluator) observePass(took time.Duration) {
	if e.obs != nil {
		e.obs.EvaluatorPassed(took)
	}
}

// scrapeTimeout bounds the database reads of one scrape; Prometheus' own default timeout is 10 s.
const scrapeTimeout = 8 * time.Second

// Metrics is the monitor's Prometheus registry: the Go and process collectors, the monitor's
// own instruments (it is the Observer of the writer and the evaluator), and a collector that
// reads job, runner, alert and delivery state from the database on every scrape, because that
// state lives in the database and may be changed by other instances.
type Metrics struct {
	reg      *prometheus.Registry
	ingested prometheus.Counter
	commit   prometheus.Histogram
	eval     prometheus.Histogram
}

var _ Observer = (*Metrics)(nil)

// NewMetrics builds the registry. w may be nil (no queue-depth gauge).
func NewMetrics(st *store.Store, status *Status, w *Writer) *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry(),
		ingested: prometheus.NewCounter(prometheus.CounterOpts{Name: "chief_monitor_events_ingested_total",
			Help: "Events accepted by the ingest API and committed (the sum of the responses' inserted counts)."}),
		commit: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "chief_monitor_writer_commit_seconds",
			Help:    "Time to apply and commit one group of ingest requests in one transaction.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5}}),
		eval: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "chief_monitor_evaluator_pass_seconds",
			Help:    "Time of one evaluator pass over the checks.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}}),
	}
	m.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.ingested, m.commit, m.eval, &stateCollector{st: st, status: status})
	if w != nil {
		m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "chief_monitor_writer_queue_depth",
			Help: "Write requests waiting for the writer goroutine."}, func() float64 { return float64(w.QueueDepth()) }))
	}
	return m
}

// Gatherer is what /metrics exposes.
func (m *Metrics) Gatherer() prometheus.Gatherer { return m.reg }

// EventsIngested implements Observer.
func (m *Metrics) EventsIngested(n int) { m.ingested.Add(float64(n)) }

// GroupCommitted implements Observer.
func (m *Metrics) GroupCommitted(took time.Duration) { m.commit.Observe(took.Seconds()) }

// EvaluatorPassed implements Observer.
func (m *Metrics) EvaluatorPassed(took time.Duration) { m.eval.Observe(took.Seconds()) }

// JobUp is the value of chief_job_up for a health: 0 when the job is failing (its last run
// failed) or down (its check missed its expected run plus grace), else 1. A late, disabled or
// retired job is not failing, so an alert on chief_job_up == 0 does not fire for it.
func JobUp(h Health) float64 {
	if h == HealthFailing || h == HealthDown {
		return 0
	}
	return 1
}

// jobHealths are the values of chief_job_status's status label.
var jobHealths = []Health{HealthUp, HealthLate, HealthDown, HealthFailing, HealthDisabled, HealthRetired}

// alertTypesShown are the types chief_monitor_open_alerts always has a series for, so that a
// rule sees 0 rather than no data.
var alertTypesShown = []models.AlertType{models.AlertFailure, models.AlertMissed, models.AlertRecovery,
	models.AlertRunnerDown, models.AlertHung}

func desc(name, help string, labels ...string) *prometheus.Desc {
	return prometheus.NewDesc(name, help, labels, nil)
}

var (
	descJobUp = desc("chief_job_up",
		"1 when the job is healthy, 0 when it is failing (last run failed) or down (missed its run plus grace).", "job")
	descJobStatus = desc("chief_job_status",
		"The job's dashboard health: 1 for the current status (up, late, down, failing, disabled, retired), 0 for the others.",
		"job", "status")
	descJobFailures = desc("chief_job_consecutive_failures", "Failed runs since the job's last success.", "job")
	descJobSuccess  = desc("chief_job_last_success_timestamp_seconds", "When the job last succeeded (Unix time).", "job")
	descJobFailure  = desc("chief_job_last_failure_timestamp_seconds", "When the job last failed (Unix time).", "job")
	descJobDuration = desc("chief_job_last_duration_seconds", "Duration of the job's newest run, once it has one.", "job")
	descJobRuns     = desc("chief_job_runs_total",
		"Finished runs kept in the database, by outcome; retention deletes old runs, which shows as a counter reset.",
		"job", "outcome")
	descRunnerUp = desc("chief_runner_up",
		"1 while a Chief daemon sends heartbeats, 0 once it missed three heartbeat periods. One-shot runners have none.",
		"runner", "host")
	descRunnerSeen = desc("chief_runner_last_seen_timestamp_seconds", "When the runner was last heard of (Unix time).",
		"runner", "host")
	descOpenAlerts = desc("chief_monitor_open_alerts", "Open alerts by type.", "type")
	descDeliveries = desc("chief_monitor_alert_deliveries",
		"alert_deliveries rows by channel and status (SENT, FAILED, PENDING, SUPPRESSED, RETRY attempts, STUB).",
		"channel", "status")
	descPending = desc("chief_monitor_notifier_pending", "Alert notifications queued and not yet delivered (the outbox backlog).")
	descStateUp = desc("chief_monitor_state_up", "1 when the database reads of this scrape succeeded, 0 when one failed.")
)

// stateCollector reads the state of jobs, runners, alerts and deliveries on each scrape: a
// fixed handful of queries, none per job.
type stateCollector struct {
	st     *store.Store
	status *Status
}

// Describe implements prometheus.Collector.
func (c *stateCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descJobUp, descJobStatus, descJobFailures, descJobSuccess, descJobFailure,
		descJobDuration, descJobRuns, descRunnerUp, descRunnerSeen, descOpenAlerts, descDeliveries, descPending, descStateUp} {
		ch <- d
	}
}

// Collect implements prometheus.Collector. A failed read drops that part of the state and sets
// chief_monitor_state_up to 0, so the process metrics still arrive and a rule can alert on it.
func (c *stateCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), scrapeTimeout)
	defer cancel()
	ok := true
	for _, part := range []func(context.Context, chan<- prometheus.Metric) error{
		c.collectJobs, c.collectRuns, c.collectRunners, c.collectAlerts, c.collectDeliveries} {
		if err := part(ctx, ch); err != nil {
			ok = false
			ch <- prometheus.NewInvalidMetric(descStateUp, err) // reported to the handler's error log
		}
	}
	ch <- gauge(descStateUp, boolValue(ok))
}

func gauge(d *prometheus.Desc, v float64, labels ...string) prometheus.Metric {
	return prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
}

func boolValue(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func msSeconds(ms int64) float64 { return float64(ms) / 1000 }

func (c *stateCollector) collectJobs(ctx context.Context, ch chan<- prometheus.Metric) error {
	jobs, err := c.status.Jobs(ctx)
	if err != nil {
		return err
	}
	for _, j := range jobs {
		name := j.Check.JobName
		ch <- gauge(descJobUp, JobUp(j.Health), name)
		for _, h := range jobHealths {
			ch <- gauge(descJobStatus, boolValue(h == j.Health), name, string(h))
		}
		ch <- gauge(descJobFailures, float64(j.Check.ConsecutiveFailures), name)
		if j.Check.LastSuccessMs != nil {
			ch <- gauge(descJobSuccess, msSeconds(*j.Check.LastSuccessMs), name)
		}
		if j.Check.LastFailureMs != nil {
			ch <- gauge(descJobFailure, msSeconds(*j.Check.LastFailureMs), name)
		}
		if j.LastRun != nil && j.LastRun.DurationMs != nil {
			ch <- gauge(descJobDuration, msSeconds(*j.LastRun.DurationMs), name)
		}
	}
	return nil
}

func (c *stateCollector) collectRuns(ctx context.Context, ch chan<- prometheus.Metric) error {
	counts, err := c.st.RunCounts(ctx)
	if err != nil {
		return err
	}
	for _, rc := range counts {
		if rc.Status.Finished() {
			ch <- prometheus.MustNewConstMetric(descJobRuns, prometheus.CounterValue, float64(rc.Count), rc.JobName, string(rc.Status))
		}
	}
	return nil
}

func (c *stateCollector) collectRunners(ctx context.Context, ch chan<- prometheus.Metric) error {
	runners, err := c.status.Runners(ctx)
	if err != nil {
		return err
	}
	for _, r := range runners {
		if r.Status != RunnerOneShot {
			ch <- gauge(descRunnerUp, boolValue(r.Status == RunnerOnline), r.ID, r.Host)
		}
		ch <- gauge(descRunnerSeen, msSeconds(r.LastSeenMs), r.ID, r.Host)
	}
	return nil
}

func (c *stateCollector) collectAlerts(ctx context.Context, ch chan<- prometheus.Metric) error {
	counts, err := c.st.OpenAlertCounts(ctx)
	if err != nil {
		return err
	}
	open := map[string]int64{}
	for _, sc := range counts {
		open[sc.Key] = sc.Count
	}
	for _, t := range alertTypesShown {
		ch <- gauge(descOpenAlerts, float64(open[string(t)]), string(t))
		delete(open, string(t))
	}
	for t, n := range open { // a type newer than this list still shows
		ch <- gauge(descOpenAlerts, float64(n), t)
	}
	return nil
}

func (c *stateCollector) collectDeliveries(ctx context.Context, ch chan<- prometheus.Metric) error {
	counts, err := c.st.DeliveryCounts(ctx)
	if err != nil {
		return err
	}
	var pending int64
	for _, dc := range counts {
		ch <- gauge(descDeliveries, float64(dc.Count), dc.Channel, dc.Status)
		if dc.Status == models.DeliveryPending {
			pending += dc.Count
		}
	}
	ch <- gauge(descPending, float64(pending))
	return nil
}
