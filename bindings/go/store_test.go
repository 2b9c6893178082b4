package workflowstate

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"
)

func TestOpenPersistsAcrossReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "missing", "parents", "wizard.db")
	s, err := Open(path)
	ok(t, err)
	ok(t, s.UpdateState("signup", "s1", map[string]any{"name": "Ada"}))
	ok(t, s.Close())

	s = openPath(t, path, Options{})
	if got := stateJSON(t, s, "signup", "s1"); got != `{"name":"Ada"}` {
		t.Fatalf("state after reopen = %s", got)
	}
}

func TestOpenMemoryIsPrivate(t *testing.T) {
	a, b := openMemory(t), openMemory(t)
	ok(t, a.UpdateState("f", "s", map[string]any{"k": 1}))
	if got := stateJSON(t, b, "f", "s"); got != `{}` {
		t.Fatalf("another :memory: store sees %s", got)
	}
}

func TestOpenFailures(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing.db")

	_, err := Open("")
	fails(t, err, ErrInvalidArgument, "path")
	_, err = Open(filepath.Join(dir, "a\x00b.db"))
	fails(t, err, ErrInvalidArgument, "path contains a NUL byte at offset")
	if _, statErr := os.Stat(filepath.Join(dir, "a")); !os.IsNotExist(statErr) {
		t.Fatalf("a path cut at its NUL byte was created: %v", statErr)
	}

	_, err = OpenWith(missing, Options{NoCreate: true})
	fails(t, err, ErrNotFound)
	_, err = OpenWith(missing, Options{ReadOnly: true})
	fails(t, err, ErrNotFound)
	if _, statErr := os.Stat(missing); !os.IsNotExist(statErr) {
		t.Fatalf("a failed open created the file: %v", statErr)
	}

	garbage := filepath.Join(dir, "garbage.db")
	ok(t, os.WriteFile(garbage, []byte("this is not an SQLite database, not even close to one....."), 0o600))
	_, err = Open(garbage)
	fails(t, err, ErrCorrupt)

	notADir := filepath.Join(dir, "file")
	ok(t, os.WriteFile(notADir, nil, 0o600))
	_, err = Open(filepath.Join(notADir, "sub", "x.db"))
	fails(t, err, ErrIO)
}

func TestOpenWithRefusesBadOptions(t *testing.T) {
	path := tempPath(t, "x.db")
	for _, c := range []struct {
		opts Options
		part string
	}{
		{Options{JournalMode: "memory"}, "journal_mode"},
		{Options{Synchronous: "sometimes"}, "synchronous"},
		{Options{MaxHistoryDepth: -1}, "max_history_depth"},
		{Options{MaxHistoryBytes: -1}, "max_history_bytes"},
		{Options{BusyTimeout: (1 << 31) * time.Millisecond}, "busy_timeout_ms"},
		{Options{ChangeRetention: 3153600001 * time.Second}, "change_retention_s"},
	} {
		_, err := OpenWith(path, c.opts)
		fails(t, err, ErrInvalidArgument, c.part)
	}
	_, err := OpenWith(":memory:", Options{ReadOnly: true})
	fails(t, err, ErrInvalidArgument)
}

// Each field becomes the C option of the same meaning, and a zero field none at all.
func TestOptionsJSON(t *testing.T) {
	for _, c := range []struct {
		opts Options
		want string
	}{
		{Options{}, `{}`},
		{Options{JournalMode: "DELETE", Synchronous: "full"}, `{"journal_mode":"DELETE","synchronous":"full"}`},
		{Options{BusyTimeout: 1500 * time.Microsecond}, `{"busy_timeout_ms":2}`},
		{Options{BusyTimeout: time.Nanosecond}, `{"busy_timeout_ms":1}`},
		{Options{BusyTimeout: -time.Second}, `{"busy_timeout_ms":0}`},
		{Options{MaxHistoryDepth: 3, ReadOnly: true, NoCreate: true}, `{"max_history_depth":3,"read_only":true,"create":false}`},
		{Options{MaxHistoryBytes: 1 << 40}, `{"max_history_bytes":1099511627776}`},
		{Options{ChangeRetention: 1500 * time.Millisecond}, `{"change_retention_s":2}`},
		{Options{ChangeRetention: -time.Second}, `{"change_retention_s":0}`},
	} {
		got, err := c.opts.toJSON()
		ok(t, err)
		if string(got) != c.want {
			t.Errorf("%+v gives %s, want %s", c.opts, got, c.want)
		}
	}
}

// A read-only store answers every read and refuses every write, even one that would
// change nothing, with ErrIO.
func TestReadOnlyStoreReadsButRefusesWrites(t *testing.T) {
	path := tempPath(t, "ro.db")
	w := openPath(t, path, Options{JournalMode: "delete"})
	ok(t, w.SetCurrentStep("f", "s", "review"))
	ok(t, w.Close())

	r := openPath(t, path, Options{ReadOnly: true})
	for _, m := range methods {
		for _, session := range []string{"s", "absent"} {
			err := m.call(r, "f", session, "x")
			if m.write {
				fails(t, err, ErrIO, "read_only")
			} else if err != nil {
				t.Fatalf("%s on a read-only store: %v", m.name, err)
			}
		}
	}
	step, found, err := r.GetCurrentStep("f", "s")
	ok(t, err)
	if !found || step != "review" {
		t.Fatalf("read-only store reads step %q, %v", step, found)
	}
	if got := stateJSON(t, r, "f", "s"); got != `{}` {
		t.Fatalf("a refused write changed the state to %s", got)
	}
}

// Switching a WAL file to another journal mode needs every other connection closed:
// with no busy wait, it fails at once while one is open.
func TestOpenBusyWhileAnotherStoreHoldsTheFile(t *testing.T) {
	path := tempPath(t, "busy.db")
	first := openPath(t, path, Options{})
	ok(t, first.UpdateState("f", "s", map[string]any{"k": 1}))

	_, err := OpenWith(path, Options{JournalMode: "delete", BusyTimeout: -1})
	fails(t, err, ErrBusy, "journal_mode")

	ok(t, first.Close())
	second := openPath(t, path, Options{JournalMode: "delete", BusyTimeout: -1})
	if got := stateJSON(t, second, "f", "s"); got != `{"k":1}` {
		t.Fatalf("state = %s", got)
	}
}

func TestMaxHistoryDepthTrimsStacks(t *testing.T) {
	s := openPath(t, tempPath(t, "depth.db"), Options{MaxHistoryDepth: 3})
	for i := 1; i <= 5; i++ {
		ok(t, s.HistoryPush("f", "s", i))
		ok(t, s.Checkpoint("f", "s", ""))
	}
	n, err := s.HistoryLen("f", "s")
	ok(t, err)
	status, err := s.UndoStatus("f", "s")
	ok(t, err)
	if n != 3 || status.UndoDepth != 3 {
		t.Fatalf("history %d, undo depth %d; want 3 each", n, status.UndoDepth)
	}
	for want := 5; want >= 3; want-- {
		snapshot, found, err := s.HistoryPop("f", "s")
		ok(t, err)
		if !found || string(snapshot) != strconv.Itoa(want) {
			t.Fatalf("popped %s, want %d", snapshot, want)
		}
	}
}

func TestCloseIsIdempotent(t *testing.T) {
	s, err := Open(":memory:")
	ok(t, err)
	ok(t, s.Close())
	ok(t, s.Close())
	var nilStore *Store
	ok(t, nilStore.Close())
}

// After Close, and on a zero or nil Store, every method fails with ErrClosed (an
// ErrInvalidArgument) instead of touching a freed handle.
func TestUseAfterClose(t *testing.T) {
	closed, err := Open(":memory:")
	ok(t, err)
	ok(t, closed.Close())
	var nilStore *Store
	for name, s := range map[string]*Store{"closed": closed, "zero": {}, "nil": nilStore} {
		for _, m := range methods {
			err := m.call(s, "f", "s", "x")
			if !errors.Is(err, ErrClosed) {
				t.Fatalf("%s store: %s: %v, want ErrClosed", name, m.name, err)
			}
			fails(t, err, ErrInvalidArgument, "store is closed")
		}
		_, err := s.ListSessions("f", OrderByLabel, false)
		if !errors.Is(err, ErrClosed) {
			t.Fatalf("%s store: ListSessions: %v, want ErrClosed", name, err)
		}
	}
}

// Close while other goroutines are calling: each call either completes or reports
// ErrClosed, and every call that completed is in the file.
func TestCloseWhileCallsAreInFlight(t *testing.T) {
	const goroutines = 8
	path := tempPath(t, "inflight.db")
	s, err := Open(path)
	ok(t, err)

	var started, finished sync.WaitGroup
	started.Add(goroutines)
	finished.Add(goroutines)
	written := make([]int, goroutines)
	failures := make(chan error, goroutines)
	for g := 0; g < goroutines; g++ {
		go func(g int) {
			defer finished.Done()
			key := string(rune('a' + g))
			for n := 1; ; n++ {
				err := s.UpdateState("f", "s", map[string]any{key: n})
				if err != nil {
					if n == 1 {
						started.Done()
					}
					if !errors.Is(err, ErrClosed) {
						failures <- err
					}
					return
				}
				written[g] = n
				if n == 1 {
					started.Done()
				}
			}
		}(g)
	}
	started.Wait()
	ok(t, s.Close())
	finished.Wait()
	close(failures)
	for err := range failures {
		t.Errorf("a call racing Close failed with %v, want success or ErrClosed", err)
	}

	state, err := openPath(t, path, Options{}).GetState("f", "s")
	ok(t, err)
	for g, n := range written {
		key := string(rune('a' + g))
		if n == 0 {
			t.Fatalf("goroutine %d wrote nothing before Close", g)
		}
		if state[key] != json.Number(strconv.Itoa(n)) {
			t.Errorf("key %s = %v, want %d (the last write before Close)", key, state[key], n)
		}
	}
}

// The finalizer of a Store that becomes unreachable unclosed closes its handle.
func TestFinalizerClosesAnUnreachableStore(t *testing.T) {
	path := tempPath(t, "finalized.db")
	done := make(chan struct{})
	var once sync.Once
	original := finalize
	finalize = func(s *Store) { original(s); once.Do(func() { close(done) }) }
	func() {
		defer func() { finalize = original }()
		s, err := Open(path)
		ok(t, err)
		ok(t, s.UpdateState("f", "s", map[string]any{"kept": true}))
	}()

	runtime.GC()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("the finalizer did not run within 30 s of a collection")
	}
	// Only a store with no other connection open can leave WAL mode.
	s := openPath(t, path, Options{JournalMode: "delete", BusyTimeout: -1})
	if got := stateJSON(t, s, "f", "s"); got != `{"kept":true}` {
		t.Fatalf("state = %s", got)
	}
}

func TestVersion(t *testing.T) {
	if v := Version(); !regexp.MustCompile(`^[0-9]+\.[0-9]+\.[0-9]+$`).MatchString(v) {
		t.Fatalf("Version() = %q, want MAJOR.MINOR.PATCH", v)
	}
}
