package workflowstate

/*
#include "workflow_state.h"
*/
import "C"

import (
	"bytes"
	"encoding/json"
	"runtime"
	"sync"
	"time"
)

// DefaultMaxHistoryDepth is the number of entries a history, undo or redo stack keeps
// when Options.MaxHistoryDepth is zero (cjm-workflow-state's DEFAULT_MAX_HISTORY_DEPTH).
const DefaultMaxHistoryDepth = 50

// Compiles only while DefaultMaxHistoryDepth equals the C header's value: one of the
// two array lengths is negative otherwise.
var (
	_ [DefaultMaxHistoryDepth - C.WS_DEFAULT_MAX_HISTORY_DEPTH]struct{}
	_ [C.WS_DEFAULT_MAX_HISTORY_DEPTH - DefaultMaxHistoryDepth]struct{}
)

// Store is an open database file (or a private in-memory database). It is safe for use
// by many goroutines at once. Make one with Open or OpenWith and release it with Close;
// a Store that becomes unreachable unclosed is closed by a finalizer, but do not rely
// on when that happens. The zero Store behaves as a closed one.
//
// Every method that takes a flow and a session requires both non-empty and the flow
// without ':' (else ErrInvalidArgument), and may also fail with ErrBusy (another
// writer held the file past the busy timeout) or ErrIO (the file cannot be read or
// written, or the store is read-only and the method writes). Writes are each one
// transaction: a failed call changes nothing.
type Store struct {
	mu     sync.RWMutex // held for reading by every call, for writing by Close
	handle *C.ws_store  // nil once closed
}

// Options are the options of OpenWith. The zero value of each field means the
// library's default, so Options{} opens as Open does.
type Options struct {
	// JournalMode is "wal" (the default) or "delete", in any case. It is a property of
	// the file, applied at open.
	JournalMode string
	// Synchronous is "normal" (the default), "full" (every commit survives power loss)
	// or "off", in any case.
	Synchronous string
	// BusyTimeout is how long a call waits for another writer before it fails with
	// ErrBusy: zero means the default of 5 s, a negative value not to wait at all. It
	// is rounded up to whole milliseconds and may be at most 2147483647 ms.
	BusyTimeout time.Duration
	// MaxHistoryDepth is how many entries each history, undo and redo stack keeps
	// (oldest dropped): zero means DefaultMaxHistoryDepth; a negative value is an
	// error.
	MaxHistoryDepth int
	// MaxHistoryBytes is the most bytes of stored snapshots (and their meta) a
	// session's undo and redo stacks may hold together: past it the oldest undo
	// entries are dropped first, then the oldest redo entries, but the newest entry of
	// each stack is always kept. An entry of a large state kept as shared chunks counts
	// each chunk's bytes divided by the number of entries sharing it. Zero means no
	// limit; a negative value is an error.
	MaxHistoryBytes int64
	// ReadOnly opens without ever creating, migrating or writing anything: writes fail
	// with ErrIO, and a missing file gives ErrNotFound.
	ReadOnly bool
	// NoCreate makes a missing file an ErrNotFound error instead of creating it.
	NoCreate bool
	// ChangeRetention is how long the file's change feed remembers deleted sessions,
	// at least (the newest 10,000 deletions are kept whatever their age; see
	// ChangePage.Reset). It is the file's setting: a writable store opened with it sets
	// it for every program on the file. Zero leaves the file's setting as it is (7 days
	// unless set); a negative value sets 0 s. It is rounded up to whole seconds and may
	// be at most 3153600000 s (100 years).
	ChangeRetention time.Duration
}

// toJSON gives the C API's options object, holding only the fields that are set.
func (o Options) toJSON() ([]byte, error) {
	var c struct {
		JournalMode     string `json:"journal_mode,omitempty"`
		Synchronous     string `json:"synchronous,omitempty"`
		BusyTimeoutMS   *int64 `json:"busy_timeout_ms,omitempty"`
		MaxHistoryDepth *int   `json:"max_history_depth,omitempty"`
		MaxHistoryBytes *int64 `json:"max_history_bytes,omitempty"`
		ReadOnly        bool   `json:"read_only,omitempty"`
		Create          *bool  `json:"create,omitempty"`
		ChangeRetention *int64 `json:"change_retention_s,omitempty"`
	}
	c.JournalMode, c.Synchronous, c.ReadOnly = o.JournalMode, o.Synchronous, o.ReadOnly
	if o.BusyTimeout != 0 {
		ms := int64(0)
		if o.BusyTimeout > 0 {
			// Rounded up, so that a short positive timeout never means "do not wait".
			ms = int64((o.BusyTimeout + time.Millisecond - 1) / time.Millisecond)
		}
		c.BusyTimeoutMS = &ms
	}
	if o.MaxHistoryDepth != 0 {
		c.MaxHistoryDepth = &o.MaxHistoryDepth
	}
	if o.MaxHistoryBytes != 0 {
		c.MaxHistoryBytes = &o.MaxHistoryBytes
	}
	if o.NoCreate {
		create := false
		c.Create = &create
	}
	if o.ChangeRetention != 0 {
		seconds := int64(0)
		if o.ChangeRetention > 0 {
			// Rounded up, as BusyTimeout: a short positive retention never means 0 s.
			seconds = int64((o.ChangeRetention + time.Second - 1) / time.Second)
		}
		c.ChangeRetention = &seconds
	}
	return encodeJSON("options", &c)
}

// Open opens the store at path with the default options, creating the file and any
// missing parent directories. The path is a plain file name, whatever it starts with
// ("file:a.db?mode=memory" is the file of that literal name, never an SQLite URI);
// ":memory:" gives a private in-memory store that nothing else sees and that is lost
// on Close.
//
// Errors: ErrInvalidArgument (empty path, NUL byte, invalid UTF-8), ErrIO (cannot
// create or open the file), ErrCorrupt (not a database, or written by a newer version
// of the library), ErrBusy (another connection held the file while the schema was
// created or migrated).
func Open(path string) (*Store, error) {
	return OpenWith(path, Options{})
}

// OpenWith opens the store at path with options. A file written by cjm-workflow-state
// 0.0.2 is migrated in place unless opts.ReadOnly is set.
//
// Errors: as Open, plus ErrInvalidArgument for an unknown JournalMode or Synchronous
// value, a BusyTimeout, MaxHistoryDepth, MaxHistoryBytes or ChangeRetention out of
// range, or ReadOnly with ":memory:"; ErrNotFound for a missing file with ReadOnly or
// NoCreate.
func OpenWith(path string, opts Options) (*Store, error) {
	options, err := opts.toJSON()
	if err != nil {
		return nil, err
	}
	var args cArgs
	cPath := args.str("path", path)
	var cOptions *C.char
	if !bytes.Equal(options, []byte("{}")) {
		cOptions = args.json("options_json", options)
	}
	var handle *C.ws_store
	if err := cCall(&args, func() C.ws_status { return C.ws_store_open_with(cPath, cOptions, &handle) }); err != nil {
		return nil, err
	}
	s := &Store{handle: handle}
	runtime.SetFinalizer(s, finalize)
	return s, nil
}

// finalize is the finalizer of every Store; a variable so that tests can observe it.
var finalize = func(s *Store) { s.Close() }

// Close closes the store. It waits for calls in progress on other goroutines to
// finish; later calls return an error matching ErrClosed. Everything written is
// already durable, so closing loses nothing. Closing a closed store does nothing.
// Close always returns nil; the error is there to satisfy io.Closer.
func (s *Store) Close() error {
	if s == nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.handle != nil {
		C.ws_store_close(s.handle)
		s.handle = nil
		runtime.SetFinalizer(s, nil)
	}
	return nil
}

// encodeJSON encodes v as compact JSON without HTML escapes. A value that
// encoding/json cannot encode (a channel, a function, a NaN) gives an
// ErrInvalidArgument error wrapping encoding/json's.
func encodeJSON(name string, v any) ([]byte, error) {
	if err := checkUTF8(name, v); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, &Error{Code: StatusInvalidArgument, Message: name + " cannot be encoded as JSON: " + err.Error(), cause: err}
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}
