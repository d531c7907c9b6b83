package store

import (
	"context"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

// TestUnavailablePostgresDown: a PostgreSQL server that is not there is reported as unavailable
// (the handlers answer 503), and an ordinary error is not.
func TestUnavailablePostgresDown(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err = pgconn.Connect(ctx, fmt.Sprintf("postgres://u@127.0.0.1:%d/db?sslmode=disable", port))
	if reason, ok := Unavailable(fmt.Errorf("store: begin: %w", err)); !ok || reason != "cannot reach the database server" {
		t.Fatalf("connection refused: %q %v (%v)", reason, ok, err)
	}
	if _, ok := Unavailable(fmt.Errorf("store: insert event: %w", ErrNotFound)); ok {
		t.Fatal("an ordinary error is not unavailability")
	}
}
