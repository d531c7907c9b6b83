package sqlitedrv

import (
	"database/sql"
	"encoding/binary"
	"sync"
	"sync/atomic"
	"syscall"

	"modernc.org/libc"
	lib "modernc.org/sqlite/lib"
)

// A checkpoint copies the pages of the write-ahead log back into the database file and syncs
// both files; only after a complete one can the log start again from its beginning. SQLite runs
// it inside the COMMIT that takes the log past 1,000 frames, so one commit in every few dozen
// waits for two fsyncs of several megabytes: on the machines measured that is 10-20 ms, and it
// was most of the writer's time under load.
//
// A Checkpointer moves that work to a goroutine of its own, on its own connection: the writer's
// commits kick it every bgEvery frames, and it copies what the log holds (a PASSIVE checkpoint:
// it never blocks the writer or a reader) and syncs the database file. The writer keeps a final
// checkpoint at finalAt frames, as SQLite's own, so the log still restarts and stays bounded;
// by then almost every frame was copied and synced, so that checkpoint copies a few pages and
// its fsyncs find little to write. Durability is SQLite's own: the same checkpoint code runs,
// only on another thread.
const (
	bgEvery = 250
	finalAt = 1000
)

// Checkpointer runs background checkpoints for the writer connections of one database.
type Checkpointer struct {
	path string
	id   uintptr // the key the wal hook receives

	// mu serializes the checkpoints of this process, so the writer's final one is skipped (to
	// be tried after its next commit) rather than made to wait while a background pass runs.
	mu     sync.Mutex
	kick   chan struct{}
	passAt atomic.Int64 // log frames when the last background pass ran
	frames atomic.Int64 // log frames after the writer's last commit

	stop, done chan struct{}
	started    bool

	passes, finals atomic.Int64
}

var (
	checkpointers sync.Map // id → *Checkpointer
	nextID        atomic.Uintptr
	walHookFn     = walHook
)

// OpenWriter is Open for the connection that carries the write load: its commits run through
// a Checkpointer, which the caller starts with Start once the database exists and stops with
// Close after closing the pool.
func OpenWriter(path string, pragmas ...string) (*sql.DB, *Checkpointer) {
	cp := &Checkpointer{path: path, id: nextID.Add(1), kick: make(chan struct{}, 1),
		stop: make(chan struct{}), done: make(chan struct{})}
	checkpointers.Store(cp.id, cp)
	return sql.OpenDB(&connector{path: path, pragmas: pragmas, ckpt: cp}), cp
}

// install makes c's commits report to cp.
func (cp *Checkpointer) install(c *conn) {
	lib.Xsqlite3_wal_hook(c.tls, c.db, funcPtr(&walHookFn), cp.id)
}

// walHook runs after every commit of a writer connection with the number of frames in the log.
func walHook(tls *libc.TLS, arg, db, zDb uintptr, frames int32) int32 {
	v, ok := checkpointers.Load(arg)
	if !ok {
		return lib.SQLITE_OK
	}
	cp := v.(*Checkpointer)
	n := int64(frames)
	cp.frames.Store(n)
	if n < cp.passAt.Load() { // the log restarted
		cp.passAt.Store(0)
	}
	// Past finalAt the writer's own checkpoint below takes over: a background pass then would
	// only hold the lock that checkpoint needs, and the log would keep growing.
	if n < finalAt && n-cp.passAt.Load() >= bgEvery {
		select {
		case cp.kick <- struct{}{}:
		default:
		}
	}
	if n >= finalAt && cp.mu.TryLock() {
		// SQLite's own hook ignores a busy result too: the next commit tries again.
		lib.Xsqlite3_wal_checkpoint_v2(tls, db, zDb, lib.SQLITE_CHECKPOINT_PASSIVE, 0, 0)
		cp.finals.Add(1)
		cp.mu.Unlock()
	}
	return lib.SQLITE_OK
}

// Start opens the background connection and starts the goroutine.
func (cp *Checkpointer) Start() error {
	c, err := openConn(cp.path)
	if err != nil {
		return err
	}
	// A checkpoint needs no page cache of its own.
	for _, p := range []string{"cache_size=-64", "wal_autocheckpoint=0"} {
		if err := c.execScript("PRAGMA " + p); err != nil {
			_ = c.Close()
			return err
		}
	}
	cp.started = true
	go cp.run(c)
	return nil
}

func (cp *Checkpointer) run(c *conn) {
	defer close(cp.done)
	defer c.Close()
	out := c.mustAlloc(8)
	defer libc.Xfree(c.tls, out)
	for {
		select {
		case <-cp.stop:
			return
		case <-cp.kick:
		}
		if cp.frames.Load() >= finalAt {
			continue // the writer's final checkpoint is due; leave it the lock
		}
		cp.mu.Lock()
		rc := lib.Xsqlite3_wal_checkpoint_v2(c.tls, c.db, 0, lib.SQLITE_CHECKPOINT_PASSIVE, out, out+4)
		cp.mu.Unlock()
		if rc != lib.SQLITE_OK {
			continue // busy: a reader or the writer's final checkpoint; the next kick retries
		}
		cp.passes.Add(1)
		b := libc.GoBytes(out, 8)
		logFrames, copied := int32(binary.NativeEndian.Uint32(b)), int32(binary.NativeEndian.Uint32(b[4:]))
		cp.passAt.Store(int64(logFrames))
		if copied < logFrames {
			// SQLite syncs the database file only when a checkpoint copied the whole log; sync
			// what this pass copied now, so the writer's final checkpoint finds little to sync.
			c.syncMain()
		}
	}
}

// syncMain fsyncs the connection's database file. An error is not lost by ignoring it here:
// the kernel reports a writeback error to every open file of the inode, so the writer's final
// checkpoint, which syncs through its own descriptor before the log may restart, sees it and
// fails.
func (c *conn) syncMain() {
	pp := c.mustAlloc(ptrSize)
	defer libc.Xfree(c.tls, pp)
	if lib.Xsqlite3_file_control(c.tls, c.db, 0, lib.SQLITE_FCNTL_FILE_POINTER, pp) != lib.SQLITE_OK {
		return
	}
	f := readPtr(pp)
	if f == 0 || readPtr(f) == 0 {
		return
	}
	_ = syscall.Fsync(fileFd(f))
}

// Stats reports the background passes and the writer's final checkpoints so far.
func (cp *Checkpointer) Stats() (passes, finals int64) { return cp.passes.Load(), cp.finals.Load() }

// Close stops the goroutine. Call it after closing the writer pool.
func (cp *Checkpointer) Close() {
	if cp == nil {
		return
	}
	select {
	case <-cp.stop:
	default:
		close(cp.stop)
	}
	if cp.started {
		<-cp.done
	}
	checkpointers.Delete(cp.id)
}
