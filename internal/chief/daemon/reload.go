package daemon

import (
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/gulag/chief-monitor/internal/chief/config"
)

// fileStamp is what the daemon compares to notice that the config file changed.
type fileStamp struct {
	exists bool
	mod    time.Time
	size   int64
}

func stampOf(path string) fileStamp {
	st, err := os.Stat(path)
	if err != nil {
		return fileStamp{}
	}
	return fileStamp{exists: true, mod: st.ModTime(), size: st.Size()}
}

// changed reports whether the config file differs from when it was last loaded or tried.
func (d *Daemon) changed() bool {
	return stampOf(d.opts.Reload.Path) != d.stamp
}

// reload loads the configuration anew. A valid one replaces the jobs for all future
// scheduling (runs in progress finish under the definition they started with); an invalid
// one is reported like at startup and the daemon keeps what it has. The file's stamp is taken
// before loading, so a file that fails is reported once, not at every look.
func (d *Daemon) reload() {
	r := d.opts.Reload
	d.stamp = stampOf(r.Path)
	cfg, err := r.Load()
	if err != nil {
		d.refuse(errorLine(err))
		return
	}
	jobs := enabledJobs(cfg)
	if len(jobs) == 0 {
		d.refuse("No enabled jobs selected.")
		return
	}
	d.apply(jobs, cfg.Defaults.MaxParallelJobs)
	d.log.Info(fmt.Sprintf("Reloaded configuration %s: %d job(s), %d enabled, max_parallel_jobs=%d", cfg.Path, len(cfg.Jobs), len(jobs), d.opts.MaxParallel))
	if r.Loaded != nil {
		r.Loaded(cfg)
	}
}

// refuse logs why a reload was not applied.
func (d *Daemon) refuse(line string) {
	d.log.Error(line)
	d.log.Error(fmt.Sprintf("Reloading %s failed; keeping the previous configuration (%d enabled job(s)).", d.opts.Reload.Path, len(d.jobs)))
}

// errorLine is how Chief logs a configuration error: "Error: " and the loader's message with
// its field path.
func errorLine(err error) string {
	var ce *config.Error
	if errors.As(err, &ce) {
		return "Error: " + ce.Error()
	}
	return "Error: " + err.Error()
}

func enabledJobs(cfg *config.Config) []*config.Job {
	var out []*config.Job
	for i := range cfg.Jobs {
		if cfg.Jobs[i].Enabled {
			out = append(out, &cfg.Jobs[i])
		}
	}
	return out
}

// apply switches to jobs. A job that stays keeps its running count and queued run; its next
// fire time is computed from the last poll, so a time between that poll and now is not lost
// (and an unchanged schedule keeps exactly the time it had). Waiting triggers of removed jobs
// are dropped; a removed job that still runs keeps its slot until it finishes.
func (d *Daemon) apply(jobs []*config.Job, maxParallel int) {
	old := d.state
	d.state = make(map[string]*jobState, len(jobs))
	for _, j := range jobs {
		st := old[j.Name]
		if st == nil {
			st = &jobState{}
		}
		st.next = j.Schedule.Next(d.lastTick)
		d.state[j.Name] = st
	}
	for name, st := range old {
		if _, kept := d.state[name]; !kept && st.running > 0 {
			st.pending = nil
			d.state[name] = st
		}
	}
	d.jobs = jobs
	var keep []trigger
	for _, tr := range d.waiting {
		if d.job(tr.job) != nil {
			keep = append(keep, tr)
		}
	}
	d.waiting = keep
	d.opts.MaxParallel = maxParallel
}
