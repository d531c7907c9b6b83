package services

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gulag/chief-monitor/internal/telemetry"
	"github.com/gulag/chief-monitor/internal/testutil"
	"github.com/gulag/chief-monitor/models"
)

func BenchmarkDecide(b *testing.B) {
	exp := "2026-03-04T10:00:00Z"
	ms := testutil.Time(b, exp).UnixMilli()
	c := models.CheckState{Enabled: true, GraceSeconds: 120, Status: models.StatusUp, ExpectedNextAt: &exp, ExpectedNextMs: &ms}
	now := testutil.Time(b, "2026-03-04T10:01:00Z")
	for b.Loop() {
		_ = Decide(c, now)
	}
}

func benchWriter(b *testing.B) *Writer {
	st := testutil.NewStore(b)
	w := NewWriter(st, slog.New(slog.DiscardHandler), WriterOptions{})
	go w.Run()
	b.Cleanup(w.Close)
	return w
}

func benchEvents(n int, seq *atomic.Int64) []telemetry.Event {
	evs := make([]telemetry.Event, n)
	for i := range evs {
		k := seq.Add(1)
		id := fmt.Sprintf("e%d", k)
		evs[i] = ev("worker.message", fmt.Sprintf("job-%02d", k%50), "2026-03-04T10:00:00.123456+00:00", `{"rows":10}`)
		evs[i].EventID = id
	}
	return evs
}

// BenchmarkRecordBatch500 measures the ingest service on 500-event batches (events/s is the
// reported ns/op divided into 500).
func BenchmarkRecordBatch500(b *testing.B) {
	w := benchWriter(b)
	var seq atomic.Int64
	now := time.Now()
	for b.Loop() {
		if _, err := w.Record(context.Background(), benchEvents(500, &seq), now); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*500)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkRecordSingleParallel measures group commit: many goroutines each recording one
// event at a time.
func BenchmarkRecordSingleParallel(b *testing.B) {
	w := benchWriter(b)
	var seq atomic.Int64
	now := time.Now()
	b.SetParallelism(4)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := w.Record(context.Background(), benchEvents(1, &seq), now); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}
