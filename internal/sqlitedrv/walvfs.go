package sqlitedrv

import (
	"encoding/binary"
	"sync"
	"syscall"
	"unsafe"

	"modernc.org/libc"
	"modernc.org/libc/sys/types"
	lib "modernc.org/sqlite/lib"
)

// The write-ahead log of a busy writer is written in many small pieces: every frame is a 24-byte
// header and a page, and this build of SQLite writes each with a seek and a write, so a commit
// of twenty pages costs eighty system calls. walVFS is SQLite's own unix VFS with one change:
// writes to a WAL file that continue where the previous one ended are gathered in memory and
// written with a single pwrite when the commit frame is complete, before the write of that frame
// returns. So when SQLite publishes the commit (the wal-index update that makes it visible to
// readers, and the return of COMMIT that acknowledges it), its frames are in the file exactly as
// with the stock VFS: a killed process loses nothing that was committed, and a failed write
// fails the commit.
//
// Every other file the VFS opens (the database, journals) reads and writes with pread and
// pwrite, one system call where the stock VFS makes two.
//
// Anything else done to the WAL file (a read, sync, truncate, size query, lock or file control,
// and close) first writes out what is gathered, so SQLite never observes the file without its
// own earlier writes. Frames of an uncommitted transaction may wait in memory (a transaction
// larger than the page cache spills frames before its commit frame); they are not part of any
// committed state until the commit frame follows, and are written out before it.
const walVFSName = "chief-unix-walbuf"

// walBufMax bounds the gathered bytes of one WAL file; a longer run is written in pieces.
const walBufMax = 128 << 10

// walFrameHeader is the size of a WAL frame header; bytes 4..7 hold the database size after a
// commit, which is non-zero only in a transaction's commit frame.
const walFrameHeader = 24

type walFile struct {
	buf []byte
	off int64 // file offset of buf[0]
	// commitNext is set by a commit frame's header: the page written next completes the
	// commit, and the gathered bytes are written out before that write returns.
	commitNext bool
}

var (
	walMu    sync.Mutex
	walFiles = map[uintptr]*walFile{}
	// walBase is the io_methods table of the first WAL file the stock VFS opened; walMethods is
	// the C copy of it with the gathering methods in place. WAL files opened with any other
	// table are left as they are.
	walBase, walMethods uintptr
	// fileBase is the io_methods table of the first other file (the database, a journal);
	// fileMethods is its copy whose xRead and xWrite use pread and pwrite: one system call
	// instead of a seek and a read or write.
	fileBase, fileMethods uintptr
	vfsOpen               uintptr // the stock VFS's xOpen
	vfsName               uintptr // C string walVFSName, kept for sqlite3_open_v2
)

// Go functions with the C signatures SQLite calls through; a pointer to one of these function
// values is what a modernc C function pointer holds.
var (
	walOpenFn      = walOpen
	walCloseFn     = walClose
	walReadFn      = walRead
	walWriteFn     = walWrite
	walTruncateFn  = walTruncate
	walSyncFn      = flushThen[int32](unsafe.Offsetof(lib.Sqlite3_io_methods{}.FxSync))
	walFileSizeFn  = flushThen[uintptr](unsafe.Offsetof(lib.Sqlite3_io_methods{}.FxFileSize))
	walLockFn      = flushThen[int32](unsafe.Offsetof(lib.Sqlite3_io_methods{}.FxLock))
	walUnlockFn    = flushThen[int32](unsafe.Offsetof(lib.Sqlite3_io_methods{}.FxUnlock))
	walReservedFn  = flushThen[uintptr](unsafe.Offsetof(lib.Sqlite3_io_methods{}.FxCheckReservedLock))
	walFileCtlFn   = walFileControl
	fileReadFn     = fileRead
	fileWriteFn    = fileWrite
	readAt         = unsafe.Offsetof(lib.Sqlite3_io_methods{}.FxRead)
	writeAt        = unsafe.Offsetof(lib.Sqlite3_io_methods{}.FxWrite)
	mmapSizeAt     = unsafe.Offsetof(lib.UnixFile{}.FmmapSize)
	ioMethodsSize  = int(unsafe.Sizeof(lib.Sqlite3_io_methods{}))
	ptrSize        = int(unsafe.Sizeof(uintptr(0)))
	unixFileFdAt   = unsafe.Offsetof(lib.UnixFile{}.Fh)
	vfsOpenAt      = unsafe.Offsetof(lib.Sqlite3_vfs{}.FxOpen)
	vfsNameAt      = unsafe.Offsetof(lib.Sqlite3_vfs{}.FzName)
	vfsNextAt      = unsafe.Offsetof(lib.Sqlite3_vfs{}.FpNext)
	walMethodSlots = []struct {
		at uintptr
		fn uintptr
	}{
		{unsafe.Offsetof(lib.Sqlite3_io_methods{}.FxClose), funcPtr(&walCloseFn)},
		{unsafe.Offsetof(lib.Sqlite3_io_methods{}.FxRead), funcPtr(&walReadFn)},
		{unsafe.Offsetof(lib.Sqlite3_io_methods{}.FxWrite), funcPtr(&walWriteFn)},
		{unsafe.Offsetof(lib.Sqlite3_io_methods{}.FxTruncate), funcPtr(&walTruncateFn)},
		{unsafe.Offsetof(lib.Sqlite3_io_methods{}.FxSync), funcPtr(&walSyncFn)},
		{unsafe.Offsetof(lib.Sqlite3_io_methods{}.FxFileSize), funcPtr(&walFileSizeFn)},
		{unsafe.Offsetof(lib.Sqlite3_io_methods{}.FxLock), funcPtr(&walLockFn)},
		{unsafe.Offsetof(lib.Sqlite3_io_methods{}.FxUnlock), funcPtr(&walUnlockFn)},
		{unsafe.Offsetof(lib.Sqlite3_io_methods{}.FxCheckReservedLock), funcPtr(&walReservedFn)},
		{unsafe.Offsetof(lib.Sqlite3_io_methods{}.FxFileControl), funcPtr(&walFileCtlFn)},
	}
)

// funcPtr returns the C function pointer of a Go function value: the address of its funcval.
func funcPtr[F any](f *F) uintptr { return *(*uintptr)(unsafe.Pointer(f)) }

// asFunc reads the C function pointer fp as a Go function of type F (the inverse of funcPtr).
func asFunc[F any](fp uintptr) F { return *(*F)(unsafe.Pointer(&fp)) }

func putPtr(p, v uintptr) { binary.NativeEndian.PutUint64(libc.GoBytes(p, 8), uint64(v)) }

// registerWALVFS registers walVFSName: a copy of the default (unix) VFS whose xOpen gives WAL
// files the gathering methods. It is not made the default, so other users of the library in
// the process keep the stock VFS.
func registerWALVFS(tls *libc.TLS) {
	base := lib.Xsqlite3_vfs_find(tls, 0)
	size := int(unsafe.Sizeof(lib.Sqlite3_vfs{}))
	v := libc.Xmalloc(tls, types.Size_t(size))
	name, err := libc.CString(walVFSName)
	if v == 0 || base == 0 || err != nil {
		panic("sqlitedrv: cannot register the WAL VFS")
	}
	copy(libc.GoBytes(v, size), libc.GoBytes(base, size))
	vfsOpen = readPtr(base + vfsOpenAt)
	vfsName = name
	putPtr(v+vfsOpenAt, funcPtr(&walOpenFn))
	putPtr(v+vfsNameAt, name)
	putPtr(v+vfsNextAt, 0)
	if rc := lib.Xsqlite3_vfs_register(tls, v, 0); rc != lib.SQLITE_OK {
		panic("sqlitedrv: cannot register the WAL VFS")
	}
}

func walOpen(tls *libc.TLS, pVfs, zName, pFile uintptr, flags int32, pOutFlags uintptr) int32 {
	rc := asFunc[func(*libc.TLS, uintptr, uintptr, uintptr, int32, uintptr) int32](vfsOpen)(tls, pVfs, zName, pFile, flags, pOutFlags)
	methods := readPtr(pFile)
	if rc != lib.SQLITE_OK || methods == 0 {
		return rc
	}
	walMu.Lock()
	defer walMu.Unlock()
	if flags&lib.SQLITE_OPEN_WAL == 0 {
		if fileBase == 0 {
			fileBase = methods
			fileMethods = copyMethods(tls, methods, readAt, funcPtr(&fileReadFn), writeAt, funcPtr(&fileWriteFn))
		}
		if methods == fileBase && fileMethods != 0 {
			putPtr(pFile, fileMethods)
		}
		return rc
	}
	if walBase == 0 {
		walBase = methods
		var slots []uintptr
		for _, s := range walMethodSlots {
			slots = append(slots, s.at, s.fn)
		}
		walMethods = copyMethods(tls, methods, slots...)
	}
	if methods != walBase || walMethods == 0 {
		return rc
	}
	walFiles[pFile] = &walFile{}
	putPtr(pFile, walMethods)
	return rc
}

// copyMethods returns a C copy of the io_methods table at methods with the given (offset,
// function pointer) pairs replaced, or 0 when there is no memory for it (the file then keeps
// the stock table).
func copyMethods(tls *libc.TLS, methods uintptr, slots ...uintptr) uintptr {
	m := libc.Xmalloc(tls, types.Size_t(ioMethodsSize))
	if m == 0 {
		return 0
	}
	copy(libc.GoBytes(m, ioMethodsSize), libc.GoBytes(methods, ioMethodsSize))
	for i := 0; i+1 < len(slots); i += 2 {
		putPtr(m+slots[i], slots[i+1])
	}
	return m
}

func fileFd(pFile uintptr) int {
	return int(int32(binary.NativeEndian.Uint32(libc.GoBytes(pFile+unixFileFdAt, 4))))
}

// pwriteAll writes b at off as the stock VFS would, in one pwrite where the kernel allows.
func pwriteAll(fd int, b []byte, off int64) int32 {
	for len(b) > 0 {
		n, err := syscall.Pwrite(fd, b, off)
		if err == syscall.EINTR {
			continue
		}
		if err == syscall.ENOSPC || (err == nil && n == 0) {
			return lib.SQLITE_FULL
		}
		if err != nil {
			return lib.SQLITE_IOERR_WRITE
		}
		b, off = b[n:], off+int64(n)
	}
	return lib.SQLITE_OK
}

// preadAll fills b from off; a read past the end of the file zero-fills the rest and reports a
// short read, as SQLite requires.
func preadAll(fd int, b []byte, off int64) int32 {
	got := 0
	for got < len(b) {
		n, err := syscall.Pread(fd, b[got:], off+int64(got))
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return lib.SQLITE_IOERR_READ
		}
		if n == 0 {
			clear(b[got:])
			return lib.SQLITE_IOERR_SHORT_READ
		}
		got += n
	}
	return lib.SQLITE_OK
}

// mapped reports whether a read at off touches the file's memory map (mmap_size), which the
// stock method serves.
func mapped(pFile uintptr, off int64) bool {
	return off < int64(binary.NativeEndian.Uint64(libc.GoBytes(pFile+mmapSizeAt, 8)))
}

func fileRead(tls *libc.TLS, pFile, pBuf uintptr, amt int32, off int64) int32 {
	if mapped(pFile, off) {
		return asFunc[func(*libc.TLS, uintptr, uintptr, int32, int64) int32](readPtr(fileBase+readAt))(tls, pFile, pBuf, amt, off)
	}
	return preadAll(fileFd(pFile), libc.GoBytes(pBuf, int(amt)), off)
}

func fileWrite(tls *libc.TLS, pFile, pBuf uintptr, amt int32, off int64) int32 {
	return pwriteAll(fileFd(pFile), libc.GoBytes(pBuf, int(amt)), off)
}

func lookupWAL(pFile uintptr) *walFile {
	walMu.Lock()
	w := walFiles[pFile]
	walMu.Unlock()
	return w
}

// base returns the stock method at offset at of the io_methods table, as a function of type F.
func base[F any](at uintptr) F { return asFunc[F](readPtr(walBase + at)) }

// flush writes out the gathered bytes of the WAL file pFile. On failure the bytes are dropped,
// as a failed write leaves the file undefined past its committed frames, and SQLite gets the
// error the stock VFS would give.
func flush(pFile uintptr, w *walFile) int32 {
	if w == nil || len(w.buf) == 0 {
		return lib.SQLITE_OK
	}
	b := w.buf
	w.buf = w.buf[:0]
	return pwriteAll(fileFd(pFile), b, w.off)
}

func walWrite(tls *libc.TLS, pFile, pBuf uintptr, amt int32, off int64) int32 {
	w := lookupWAL(pFile)
	if w == nil {
		return fileWrite(tls, pFile, pBuf, amt, off)
	}
	n := int(amt)
	if len(w.buf) > 0 && (off != w.off+int64(len(w.buf)) || len(w.buf)+n > walBufMax) {
		if rc := flush(pFile, w); rc != lib.SQLITE_OK {
			return rc
		}
	}
	if n > walBufMax {
		return pwriteAll(fileFd(pFile), libc.GoBytes(pBuf, n), off)
	}
	alone := len(w.buf) == 0
	if alone {
		w.off = off
	}
	w.buf = append(w.buf, libc.GoBytes(pBuf, n)...)
	if n == walFrameHeader {
		w.commitNext = binary.BigEndian.Uint32(w.buf[len(w.buf)-walFrameHeader+4:]) != 0
		if w.commitNext && alone {
			// Either a one-frame transaction or, when SQLite rewrote frames of this transaction
			// in place, the checksum pass that rewrites each header after reading its frame; in
			// that pass no page follows the commit frame's header, so it goes out now (and a
			// page that does follow goes out as it arrives).
			return flush(pFile, w)
		}
		return lib.SQLITE_OK
	}
	if w.commitNext {
		w.commitNext = false
		return flush(pFile, w)
	}
	return lib.SQLITE_OK
}

// flushWAL writes out what is gathered for the WAL file pFile, if it is one.
func flushWAL(pFile uintptr) int32 { return flush(pFile, lookupWAL(pFile)) }

func walRead(tls *libc.TLS, pFile, pBuf uintptr, amt int32, off int64) int32 {
	if rc := flushWAL(pFile); rc != lib.SQLITE_OK {
		return rc
	}
	return preadAll(fileFd(pFile), libc.GoBytes(pBuf, int(amt)), off)
}

func walClose(tls *libc.TLS, pFile uintptr) int32 {
	rc := flushWAL(pFile)
	walMu.Lock()
	delete(walFiles, pFile)
	walMu.Unlock()
	if rc2 := base[func(*libc.TLS, uintptr) int32](unsafe.Offsetof(lib.Sqlite3_io_methods{}.FxClose))(tls, pFile); rc == lib.SQLITE_OK {
		rc = rc2
	}
	return rc
}

func walTruncate(tls *libc.TLS, pFile uintptr, size int64) int32 {
	if rc := flushWAL(pFile); rc != lib.SQLITE_OK {
		return rc
	}
	return base[func(*libc.TLS, uintptr, int64) int32](unsafe.Offsetof(lib.Sqlite3_io_methods{}.FxTruncate))(tls, pFile, size)
}

func walFileControl(tls *libc.TLS, pFile uintptr, op int32, pArg uintptr) int32 {
	if rc := flushWAL(pFile); rc != lib.SQLITE_OK {
		return rc
	}
	return base[func(*libc.TLS, uintptr, int32, uintptr) int32](unsafe.Offsetof(lib.Sqlite3_io_methods{}.FxFileControl))(tls, pFile, op, pArg)
}

// flushThen returns a method that writes out what is gathered, then runs the stock method at
// offset at of the io_methods table; A is its one argument after the file (an int for xSync,
// xLock and xUnlock, a pointer for xFileSize and xCheckReservedLock).
func flushThen[A int32 | uintptr](at uintptr) func(*libc.TLS, uintptr, A) int32 {
	return func(tls *libc.TLS, pFile uintptr, arg A) int32 {
		if rc := flushWAL(pFile); rc != lib.SQLITE_OK {
			return rc
		}
		return base[func(*libc.TLS, uintptr, A) int32](at)(tls, pFile, arg)
	}
}
