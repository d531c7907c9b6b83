package chathosts_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/gulag/chief-monitor/internal/delivery"
	"github.com/gulag/chief-monitor/models"
)

// failedRun is the alert of a run that failed with a Python error: the facts a person needs
// are its title, the failing script and the error line.
func failedRun() delivery.Message {
	script, line, tail := "workers/load.py", "KeyError: 'id'", "Traceback (most recent call last):\nKeyError: 'id'\n"
	code, dur := int64(3), int64(2000)
	return delivery.Message{ID: "7:chat:ops",
		Alert: models.Alert{ID: 7, JobName: "load", AlertType: models.AlertFailure, Severity: models.SeverityError,
			Title: "Job load failed", OpenedAt: "2026-03-04T10:00:00.000Z", DetailsJSON: `{"runId":"load:9"}`},
		Run: &models.Run{RunID: "load:9", Status: models.RunFailed, FailingScript: &script, ExitCode: &code,
			ErrorLine: &line, StderrTail: &tail, DurationMs: &dur},
		RunURL: "https://mon.example.org/runs/load:9", AlertURL: "https://mon.example.org/alerts?jobName=load"}
}

// wantFacts checks that the text a service received carries the alert and its run.
func wantFacts(t *testing.T, text string) {
	t.Helper()
	for _, want := range []string{"Job load failed", "[ALERT] FAILURE load", "Job: load",
		"Failing script: workers/load.py (exit code 3)", "Error: KeyError: 'id'",
		"https://mon.example.org/runs/load:9"} {
		if !strings.Contains(text, want) {
			t.Errorf("message lacks %q:\n%s", want, text)
		}
	}
}

// send delivers the failure through the channel URL as the notifier does.
func send(t *testing.T, raw string) error {
	t.Helper()
	if err := delivery.CheckChatURL(raw); err != nil {
		t.Fatalf("CheckChatURL: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := (&delivery.Chat{URL: raw}).Send(ctx, failedRun())
	return err
}

// wantClass checks a failed send's error: temporary or not, and its text free of secret.
func wantClass(t *testing.T, err error, temporary bool, secret string) {
	t.Helper()
	var de *delivery.Error
	if !errors.As(err, &de) {
		t.Fatalf("got %v, want a *delivery.Error", err)
	}
	if de.Temporary != temporary {
		t.Errorf("temporary = %v, want %v (error %q, code %d)", de.Temporary, temporary, de.Text, de.Code)
	}
	if strings.Contains(err.Error(), secret) {
		t.Errorf("error text shows the secret: %v", err)
	}
}
