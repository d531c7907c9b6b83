// Package sqlitedrv is a small database/sql driver for the monitor's writer connection, on the
// same pure-Go SQLite library (modernc.org/sqlite/lib) that the gorm driver uses, so the process
// still holds a single copy of SQLite and its file locks stay coherent.
//
// It exists because the ingest path needs three things the gorm driver does not give:
//   - kept statements: the gorm driver prepares a statement again on every execution, so a
//     database/sql prepared statement saves nothing and parsing SQL was a sixth of the ingest
//     path. Here each connection keeps its compiled statements, keyed by SQL text, and runs them
//     again after a reset: the hot insert is parsed once per connection, not once per row;
//   - one write per commit: connections open on a VFS that gathers a commit's log writes into
//     one pwrite (walvfs.go);
//   - checkpoints off the writer's path (checkpoint.go).
//
// Values map as in the gorm driver, except that text is always returned as text (no guessing of
// times from declared column types): INTEGER → int64, REAL → float64, TEXT → string, BLOB →
// []byte, NULL → nil; bool binds as 0/1 and time.Time as "2006-01-02 15:04:05.999999999-07:00".
package sqlitedrv

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
	"unsafe"

	"modernc.org/libc"
	"modernc.org/libc/sys/types"
	lib "modernc.org/sqlite/lib"
)

// maxCached bounds the compiled statements one connection keeps. SQL built per call (IN lists
// of varying length) would otherwise grow the cache without bound.
const maxCached = 64

var initOnce sync.Once

// Open returns a pool on the database file at path. Every new connection runs pragmas (for
// example "journal_mode=WAL") in order; write transactions begin IMMEDIATE.
func Open(path string, pragmas ...string) *sql.DB {
	return sql.OpenDB(&connector{path: path, pragmas: pragmas})
}

type connector struct {
	path    string
	pragmas []string
	ckpt    *Checkpointer // set by OpenWriter
}

func (c *connector) Connect(ctx context.Context) (driver.Conn, error) {
	cn, err := openConn(c.path)
	if err != nil {
		return nil, err
	}
	for _, p := range c.pragmas {
		if err := cn.execScript("PRAGMA " + p); err != nil {
			_ = cn.Close() // the pragma error is the one to report
			return nil, fmt.Errorf("sqlitedrv: pragma %s: %w", p, err)
		}
	}
	if c.ckpt != nil {
		c.ckpt.install(cn)
	}
	return cn, nil
}

func (c *connector) Driver() driver.Driver { return drv{} }

type drv struct{}

func (drv) Open(name string) (driver.Conn, error) { return openConn(name) }

// Error is an SQLite error with its (extended) result code.
type Error struct {
	Code int
	msg  string
}

func (e *Error) Error() string { return e.msg }

type conn struct {
	tls    *libc.TLS
	db     uintptr
	cache  map[string]*stmtHandle
	closed bool
	// scratch is C memory reused for binding text and blobs (SQLite copies them).
	scratch    uintptr
	scratchLen int
}

func openConn(path string) (*conn, error) {
	tls := libc.NewTLS()
	initOnce.Do(func() {
		lib.Xsqlite3_initialize(tls)
		pinSizeClasses(tls)
		registerWALVFS(tls)
	})
	c := &conn{tls: tls, cache: map[string]*stmtHandle{}}
	name, err := libc.CString(path)
	if err != nil {
		tls.Close()
		return nil, err
	}
	defer libc.Xfree(tls, name)
	pp := c.mustAlloc(int(unsafe.Sizeof(uintptr(0))))
	defer libc.Xfree(tls, pp)
	// NOMUTEX: database/sql hands a connection to one goroutine at a time.
	rc := lib.Xsqlite3_open_v2(tls, name, pp, lib.SQLITE_OPEN_READWRITE|lib.SQLITE_OPEN_CREATE|lib.SQLITE_OPEN_NOMUTEX|
		lib.SQLITE_OPEN_URI, vfsName)
	c.db = readPtr(pp)
	if rc != lib.SQLITE_OK {
		err := c.errorFor(rc)
		if c.db != 0 {
			lib.Xsqlite3_close_v2(tls, c.db)
		}
		tls.Close()
		return nil, err
	}
	lib.Xsqlite3_extended_result_codes(tls, c.db, 1)
	return c, nil
}

// pinSizeClasses keeps one block of each size class of the C allocator up to 32 KiB alive for
// the life of the process. That allocator (modernc.org/memory) carves each class out of 1 MiB
// mappings and unmaps a mapping as soon as its last block is freed, so a class that keeps
// dropping to zero live blocks (B-tree rebalancing takes and returns an 8-20 KiB scratch buffer
// on nearly every page split) pays an mmap, page faults on fresh zeroed pages and an munmap each
// time: 740 mmaps and 2,230 munmaps in 4 s of single-event ingest, none with the classes held.
// With one block held, the first mapping of each class stays and its freed blocks are reused.
// The larger classes are left alone: pinning them kept ~0.6 MB more resident for no gain.
func pinSizeClasses(tls *libc.TLS) {
	for log := 4; log <= 15; log++ { // 16 B … 32 KiB
		libc.Xmalloc(tls, types.Size_t(1<<log))
	}
}

func (c *conn) mustAlloc(n int) uintptr {
	p := libc.Xmalloc(c.tls, types.Size_t(max(n, 1)))
	if p == 0 {
		panic(fmt.Sprintf("sqlitedrv: out of memory allocating %d bytes", n))
	}
	return p
}

func (c *conn) errorFor(rc int32) error {
	str := libc.GoString(lib.Xsqlite3_errstr(c.tls, rc))
	msg := str
	if c.db != 0 {
		msg = libc.GoString(lib.Xsqlite3_errmsg(c.tls, c.db))
	}
	if msg == str {
		return &Error{Code: int(rc), msg: fmt.Sprintf("%s (%d)", str, rc)}
	}
	return &Error{Code: int(rc), msg: fmt.Sprintf("%s: %s (%d)", str, msg, rc)}
}

// Close finalizes every kept statement and closes the connection.
func (c *conn) Close() error {
	if c.closed {
		return nil
	}
	c.closed = true
	for k, h := range c.cache {
		lib.Xsqlite3_finalize(c.tls, h.p)
		delete(c.cache, k)
	}
	if c.scratch != 0 {
		libc.Xfree(c.tls, c.scratch)
		c.scratch = 0
	}
	var err error
	if rc := lib.Xsqlite3_close_v2(c.tls, c.db); rc != lib.SQLITE_OK {
		err = c.errorFor(rc)
	}
	c.tls.Close()
	return err
}

// stmtHandle is one compiled statement on a connection.
type stmtHandle struct {
	p      uintptr
	cached bool
	busy   bool
	cols   []string
	// last holds, per column, the short text value read last, boxed: a list reads the same level,
	// type or job name row after row, and an equal value is handed out again without allocating.
	last []driver.Value
}

// reuseMax bounds the text values a statement keeps for reuse.
const reuseMax = 64

// prepare compiles query. Text after the first statement (other than blanks and comments) makes
// it a script, which only Exec accepts, without arguments: the caller gets ok=false then.
func (c *conn) prepare(query string) (h *stmtHandle, ok bool, err error) {
	if h := c.cache[query]; h != nil && !h.busy {
		h.busy = true
		return h, true, nil
	}
	zSQL, err := libc.CString(query)
	if err != nil {
		return nil, false, err
	}
	defer libc.Xfree(c.tls, zSQL)
	pp := c.mustAlloc(2 * int(unsafe.Sizeof(uintptr(0))))
	defer libc.Xfree(c.tls, pp)
	ppStmt, ppTail := pp, pp+unsafe.Sizeof(uintptr(0))
	if rc := lib.Xsqlite3_prepare_v2(c.tls, c.db, zSQL, -1, ppStmt, ppTail); rc != lib.SQLITE_OK {
		return nil, false, c.errorFor(rc)
	}
	p := readPtr(ppStmt)
	tail := libc.GoString(readPtr(ppTail))
	if p == 0 || !onlyBlank(tail) {
		if p != 0 {
			lib.Xsqlite3_finalize(c.tls, p)
		}
		return nil, false, nil
	}
	h = &stmtHandle{p: p, busy: true}
	n := int(lib.Xsqlite3_column_count(c.tls, p))
	h.cols = make([]string, n)
	for i := range h.cols {
		h.cols[i] = libc.GoString(lib.Xsqlite3_column_name(c.tls, p, int32(i)))
	}
	if _, dup := c.cache[query]; !dup {
		if len(c.cache) >= maxCached {
			c.evictIdle()
		}
		if len(c.cache) < maxCached {
			h.cached = true
			c.cache[query] = h
		}
	}
	return h, true, nil
}

func (c *conn) evictIdle() {
	for k, h := range c.cache {
		if !h.busy {
			lib.Xsqlite3_finalize(c.tls, h.p)
			delete(c.cache, k)
		}
	}
}

// release readies h for its next use (or finalizes it when it is not kept).
func (c *conn) release(h *stmtHandle) {
	if c.closed {
		return
	}
	if !h.cached {
		lib.Xsqlite3_finalize(c.tls, h.p)
		return
	}
	lib.Xsqlite3_reset(c.tls, h.p)
	lib.Xsqlite3_clear_bindings(c.tls, h.p)
	h.busy = false
}

// onlyBlank reports whether s holds nothing but whitespace, semicolons and SQL comments.
func onlyBlank(s string) bool {
	for {
		s = strings.TrimLeft(s, " \t\r\n\f;")
		switch {
		case s == "":
			return true
		case strings.HasPrefix(s, "--"):
			i := strings.IndexByte(s, '\n')
			if i < 0 {
				return true
			}
			s = s[i+1:]
		case strings.HasPrefix(s, "/*"):
			i := strings.Index(s, "*/")
			if i < 0 {
				return true
			}
			s = s[i+2:]
		default:
			return false
		}
	}
}

func (c *conn) bind(h *stmtHandle, args []driver.NamedValue) error {
	want := int(lib.Xsqlite3_bind_parameter_count(c.tls, h.p))
	if len(args) != want {
		return fmt.Errorf("sqlitedrv: %d arguments for %d parameters", len(args), want)
	}
	for _, a := range args {
		i := int32(a.Ordinal)
		if a.Name != "" {
			i = c.paramIndex(h, a.Name)
			if i == 0 {
				return fmt.Errorf("sqlitedrv: no parameter named %q", a.Name)
			}
		}
		var rc int32
		switch v := a.Value.(type) {
		case nil:
			rc = lib.Xsqlite3_bind_null(c.tls, h.p, i)
		case int64:
			rc = lib.Xsqlite3_bind_int64(c.tls, h.p, i, v)
		case float64:
			rc = lib.Xsqlite3_bind_double(c.tls, h.p, i, v)
		case bool:
			var n int64
			if v {
				n = 1
			}
			rc = lib.Xsqlite3_bind_int64(c.tls, h.p, i, n)
		case string:
			p := c.scratchFor(len(v))
			copy(libc.GoBytes(p, len(v)), v)
			rc = lib.Xsqlite3_bind_text(c.tls, h.p, i, p, int32(len(v)), lib.SQLITE_TRANSIENT)
		case []byte:
			p := c.scratchFor(len(v))
			copy(libc.GoBytes(p, len(v)), v)
			rc = lib.Xsqlite3_bind_blob(c.tls, h.p, i, p, int32(len(v)), lib.SQLITE_TRANSIENT)
		case time.Time:
			s := v.Format("2006-01-02 15:04:05.999999999-07:00")
			p := c.scratchFor(len(s))
			copy(libc.GoBytes(p, len(s)), s)
			rc = lib.Xsqlite3_bind_text(c.tls, h.p, i, p, int32(len(s)), lib.SQLITE_TRANSIENT)
		default:
			return fmt.Errorf("sqlitedrv: cannot bind a %T", a.Value)
		}
		if rc != lib.SQLITE_OK {
			return c.errorFor(rc)
		}
	}
	return nil
}

func (c *conn) paramIndex(h *stmtHandle, name string) int32 {
	for _, prefix := range []string{":", "@", "$"} {
		z, err := libc.CString(prefix + name)
		if err != nil {
			return 0
		}
		i := lib.Xsqlite3_bind_parameter_index(c.tls, h.p, z)
		libc.Xfree(c.tls, z)
		if i > 0 {
			return i
		}
	}
	return 0
}

// readPtr reads the pointer stored at p (C memory, 64-bit platforms).
func readPtr(p uintptr) uintptr { return uintptr(binary.NativeEndian.Uint64(libc.GoBytes(p, 8))) }

// scratchFor returns C memory of at least n bytes, valid until the next call.
func (c *conn) scratchFor(n int) uintptr {
	if n > c.scratchLen || c.scratch == 0 {
		if c.scratch != 0 {
			libc.Xfree(c.tls, c.scratch)
		}
		size := max(n, 256)
		c.scratch, c.scratchLen = c.mustAlloc(size), size
	}
	return c.scratch
}

// step runs h one step; it reports whether a row is ready.
func (c *conn) step(h *stmtHandle) (bool, error) {
	switch rc := lib.Xsqlite3_step(c.tls, h.p); rc {
	case lib.SQLITE_ROW:
		return true, nil
	case lib.SQLITE_DONE:
		return false, nil
	default:
		return false, c.errorFor(rc)
	}
}

// execScript runs every statement of query, without arguments.
func (c *conn) execScript(query string) error {
	zSQL, err := libc.CString(query)
	if err != nil {
		return err
	}
	defer libc.Xfree(c.tls, zSQL)
	pp := c.mustAlloc(2 * int(unsafe.Sizeof(uintptr(0))))
	defer libc.Xfree(c.tls, pp)
	ppStmt, ppTail := pp, pp+unsafe.Sizeof(uintptr(0))
	for z := zSQL; libc.GoBytes(z, 1)[0] != 0; {
		if rc := lib.Xsqlite3_prepare_v2(c.tls, c.db, z, -1, ppStmt, ppTail); rc != lib.SQLITE_OK {
			return c.errorFor(rc)
		}
		p := readPtr(ppStmt)
		z = readPtr(ppTail)
		if p == 0 {
			continue
		}
		var rc int32
		for rc = lib.Xsqlite3_step(c.tls, p); rc == lib.SQLITE_ROW; rc = lib.Xsqlite3_step(c.tls, p) {
		}
		lib.Xsqlite3_finalize(c.tls, p)
		if rc != lib.SQLITE_DONE {
			return c.errorFor(rc)
		}
	}
	return nil
}

// ExecContext runs query with args and reports its effect.
func (c *conn) ExecContext(_ context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	h, ok, err := c.prepare(query)
	if err != nil {
		return nil, err
	}
	if !ok {
		if len(args) > 0 {
			return nil, errors.New("sqlitedrv: arguments given to several statements")
		}
		if err := c.execScript(query); err != nil {
			return nil, err
		}
		return c.result(), nil
	}
	defer c.release(h)
	if err := c.bind(h, args); err != nil {
		return nil, err
	}
	for {
		row, err := c.step(h)
		if err != nil {
			return nil, err
		}
		if !row {
			return c.result(), nil
		}
	}
}

func (c *conn) result() driver.Result {
	return result{id: lib.Xsqlite3_last_insert_rowid(c.tls, c.db), n: int64(lib.Xsqlite3_changes(c.tls, c.db))}
}

type result struct{ id, n int64 }

func (r result) LastInsertId() (int64, error) { return r.id, nil }
func (r result) RowsAffected() (int64, error) { return r.n, nil }

// QueryContext runs query with args and returns its rows.
func (c *conn) QueryContext(_ context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	h, ok, err := c.prepare(query)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, errors.New("sqlitedrv: a query must be one statement")
	}
	if err := c.bind(h, args); err != nil {
		c.release(h)
		return nil, err
	}
	return &rows{c: c, h: h}, nil
}

// Prepare returns a statement that runs query through the connection's kept statements.
func (c *conn) Prepare(query string) (driver.Stmt, error) {
	return c.PrepareContext(context.Background(), query)
}

// PrepareContext checks query compiles and returns a statement for it.
func (c *conn) PrepareContext(_ context.Context, query string) (driver.Stmt, error) {
	h, ok, err := c.prepare(query)
	if err != nil {
		return nil, err
	}
	if ok {
		c.release(h)
	}
	return &stmt{c: c, query: query}, nil
}

// Begin starts a write transaction.
func (c *conn) Begin() (driver.Tx, error) { return c.BeginTx(context.Background(), driver.TxOptions{}) }

// BeginTx starts a transaction: IMMEDIATE (taking the write lock now, so it never fails to
// upgrade later) unless it is read-only.
func (c *conn) BeginTx(_ context.Context, opts driver.TxOptions) (driver.Tx, error) {
	q := "BEGIN IMMEDIATE"
	if opts.ReadOnly {
		q = "BEGIN"
	}
	if _, err := c.ExecContext(context.Background(), q, nil); err != nil {
		return nil, err
	}
	return tx{c}, nil
}

// IsValid lets database/sql drop a connection left inside a transaction.
func (c *conn) IsValid() bool {
	return !c.closed && lib.Xsqlite3_get_autocommit(c.tls, c.db) != 0
}

type tx struct{ c *conn }

func (t tx) Commit() error {
	_, err := t.c.ExecContext(context.Background(), "COMMIT", nil)
	return err
}

func (t tx) Rollback() error {
	_, err := t.c.ExecContext(context.Background(), "ROLLBACK", nil)
	return err
}

type stmt struct {
	c     *conn
	query string
}

func (s *stmt) Close() error  { return nil }
func (s *stmt) NumInput() int { return -1 }

func (s *stmt) Exec(args []driver.Value) (driver.Result, error) {
	return s.c.ExecContext(context.Background(), s.query, named(args))
}

func (s *stmt) Query(args []driver.Value) (driver.Rows, error) {
	return s.c.QueryContext(context.Background(), s.query, named(args))
}

func (s *stmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	return s.c.ExecContext(ctx, s.query, args)
}

func (s *stmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	return s.c.QueryContext(ctx, s.query, args)
}

func named(args []driver.Value) []driver.NamedValue {
	out := make([]driver.NamedValue, len(args))
	for i, v := range args {
		out[i] = driver.NamedValue{Ordinal: i + 1, Value: v}
	}
	return out
}

type rows struct {
	c    *conn
	h    *stmtHandle
	done bool
}

func (r *rows) Columns() []string { return r.h.cols }

func (r *rows) Close() error {
	if !r.done {
		r.done = true
		r.c.release(r.h)
	}
	return nil
}

// text returns column i's text b as a driver value: the value of the previous row when equal.
func (h *stmtHandle) text(i int, b []byte) driver.Value {
	if len(b) > reuseMax || i >= len(h.cols) {
		return string(b)
	}
	if h.last == nil {
		h.last = make([]driver.Value, len(h.cols))
	}
	if s, ok := h.last[i].(string); ok && s == string(b) {
		return h.last[i]
	}
	v := driver.Value(string(b))
	h.last[i] = v
	return v
}

func (r *rows) Next(dest []driver.Value) error {
	if r.done {
		return io.EOF
	}
	row, err := r.c.step(r.h)
	if err != nil {
		return err
	}
	if !row {
		_ = r.Close() // releasing a finished statement cannot fail
		return io.EOF
	}
	tls, p := r.c.tls, r.h.p
	for i := range dest {
		switch lib.Xsqlite3_column_type(tls, p, int32(i)) {
		case lib.SQLITE_INTEGER:
			dest[i] = lib.Xsqlite3_column_int64(tls, p, int32(i))
		case lib.SQLITE_FLOAT:
			dest[i] = lib.Xsqlite3_column_double(tls, p, int32(i))
		case lib.SQLITE_TEXT:
			z := lib.Xsqlite3_column_text(tls, p, int32(i))
			n := lib.Xsqlite3_column_bytes(tls, p, int32(i))
			dest[i] = r.h.text(i, libc.GoBytes(z, int(n)))
		case lib.SQLITE_BLOB:
			z := lib.Xsqlite3_column_blob(tls, p, int32(i))
			n := lib.Xsqlite3_column_bytes(tls, p, int32(i))
			dest[i] = append([]byte{}, libc.GoBytes(z, int(n))...)
		default:
			dest[i] = nil
		}
	}
	return nil
}
