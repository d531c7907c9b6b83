package main

import (
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// quietListener tracks the connections it accepts so that shutdown can close the ones that never
// sent a byte. fasthttp counts a new connection as active from the moment it is accepted and
// waits for it (up to the read timeout) before Shutdown returns. HTTP clients open such
// connections routinely (Go's transport dials a spare while it waits for a busy connection,
// browsers preconnect), and each one held a SIGTERM for the whole shutdown timeout and logged
// an error.
type quietListener struct {
	net.Listener
	mu    sync.Mutex
	conns map[*trackedConn]struct{}
}

func newQuietListener(ln net.Listener) *quietListener {
	return &quietListener{Listener: ln, conns: map[*trackedConn]struct{}{}}
}

// trackedConn is an accepted connection that remembers whether it has received anything.
type trackedConn struct {
	net.Conn
	l      *quietListener
	used   atomic.Bool
	shut   atomic.Bool // closed by closeUnused
	closed sync.Once
}

func (c *trackedConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 && !c.used.Load() {
		c.used.Store(true)
	}
	if n == 0 && err != nil && c.shut.Load() {
		// What the server sees when a client hangs up: the end of the connection, not a network
		// error (which it would answer, and the error handler log, as a failed request).
		return 0, io.EOF
	}
	return n, err
}

func (c *trackedConn) Close() error {
	c.closed.Do(func() {
		c.l.mu.Lock()
		delete(c.l.conns, c)
		c.l.mu.Unlock()
	})
	return c.Conn.Close()
}

func (l *quietListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	tc := &trackedConn{Conn: c, l: l}
	l.mu.Lock()
	l.conns[tc] = struct{}{}
	l.mu.Unlock()
	return tc, nil
}

// closeUnused closes the connections that have not sent a byte. The server then sees their read
// fail and lets them go; a connection that has (a request in flight, or a keep-alive connection
// between requests, which the server closes itself) is left alone.
func (l *quietListener) closeUnused() {
	l.mu.Lock()
	defer l.mu.Unlock()
	for c := range l.conns {
		if !c.used.Load() {
			c.shut.Store(true)
			_ = c.Conn.Close()
		}
	}
}

// shutdown runs stop (the server's graceful shutdown, which closes the listener first) and,
// until it returns, closes the unused connections every 100 ms: a connection accepted just before
// the listener closed is caught by the next pass.
func (l *quietListener) shutdown(stop func() error) error {
	done := make(chan error, 1)
	go func() { done <- stop() }()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case err := <-done:
			return err
		case <-tick.C:
			l.closeUnused()
		}
	}
}
