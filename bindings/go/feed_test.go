package workflowstate

import (
	"context"
	"fmt"
	"reflect"
	"runtime"
	"testing"
	"time"
)

// guard bounds every wait of these tests: reached only when the code under test hangs.
const guard = 10 * time.Second

// receive returns the next entry of a watch, failing the test if none comes (or the
// channel closes) within the guard.
func receive(t *testing.T, ch <-chan Change) Change {
	t.Helper()
	select {
	case c, open := <-ch:
		if !open {
			t.Fatal("the watch channel closed")
		}
		return c
	case <-time.After(guard):
		t.Fatalf("no change within %v", guard)
	}
	panic("unreachable")
}

// closed checks that ch closes, without another entry, within the guard.
func closed(t *testing.T, ch <-chan Change) {
	t.Helper()
	select {
	case c, open := <-ch:
		if open {
			t.Fatalf("got %+v, want the channel closed", c)
		}
	case <-time.After(guard):
		t.Fatalf("the watch channel did not close within %v", guard)
	}
}

// noGoroutineLeft polls (within the guard) until at most want goroutines run.
func noGoroutineLeft(t *testing.T, want int) {
	t.Helper()
	deadline := time.Now().Add(guard)
	for runtime.NumGoroutine() > want {
		if time.Now().After(deadline) {
			stacks := make([]byte, 1<<20)
			stacks = stacks[:runtime.Stack(stacks, true)]
			t.Fatalf("%d goroutines run, want %d:\n%s", runtime.NumGoroutine(), want, stacks)
		}
		time.Sleep(time.Millisecond)
	}
}

func change(seq int64, flow, session string, deleted bool) Change {
	return Change{Seq: seq, FlowID: flow, SessionID: session, Revision: seq, Deleted: deleted}
}

func TestChangesSinceFoldsAndPages(t *testing.T) {
	s := openPath(t, tempPath(t, "feed.db"), Options{})
	latest, err := s.LatestSeq()
	ok(t, err)
	page, err := s.ChangesSince("", 0, 0)
	ok(t, err)
	if latest != 0 || !reflect.DeepEqual(page, ChangePage{Changes: []Change{}}) {
		t.Fatalf("a new file: latest %d, page %+v", latest, page)
	}

	for i := 1; i <= 3; i++ {
		ok(t, s.UpdateState("f", "a", map[string]any{"i": i})) // 1, 2, 3
	}
	ok(t, s.SetCurrentStep("g", "b", "x"))                   // 4
	ok(t, s.UpdateState("f", "c", map[string]any{}))         // 5
	ok(t, s.UpdateState("f", "a", map[string]any{"i": 3}))   // changes nothing
	ok(t, s.DeleteSession("f", "c"))                         // 6
	ok(t, s.UpdateState("g", "d", map[string]any{"k": "v"})) // 7
	if latest, err = s.LatestSeq(); err != nil || latest != 7 {
		t.Fatalf("latest = %d, %v; want 7", latest, err)
	}

	page, err = s.ChangesSince("", 0, 0)
	ok(t, err)
	want := ChangePage{Changes: []Change{change(3, "f", "a", false), change(4, "g", "b", false), change(6, "f", "c", true), change(7, "g", "d", false)}, LastSeq: 7}
	if !reflect.DeepEqual(page, want) {
		t.Fatalf("every flow:\n got %+v\nwant %+v", page, want)
	}
	// One flow: the last number is still the latest overall, so a follower of "f"
	// does not list g's changes again.
	page, err = s.ChangesSince("f", 0, 0)
	ok(t, err)
	want = ChangePage{Changes: []Change{change(3, "f", "a", false), change(6, "f", "c", true)}, LastSeq: 7}
	if !reflect.DeepEqual(page, want) {
		t.Fatalf("flow f:\n got %+v\nwant %+v", page, want)
	}
	page, err = s.ChangesSince("f", 3, 0)
	ok(t, err)
	want = ChangePage{Changes: []Change{change(6, "f", "c", true)}, LastSeq: 7}
	if !reflect.DeepEqual(page, want) {
		t.Fatalf("flow f after 3:\n got %+v\nwant %+v", page, want)
	}

	// Pages of 3, then of 1: continuing from LastSeq while More gives the same list.
	var all []Change
	after := int64(0)
	for pages := 0; ; pages++ {
		page, err := s.ChangesSince("", after, 3)
		ok(t, err)
		all = append(all, page.Changes...)
		after = page.LastSeq
		if !page.More {
			if pages != 1 || after != 7 {
				t.Fatalf("%d pages ending at %d, want 2 ending at 7", pages+1, after)
			}
			break
		}
		if len(page.Changes) != 3 || after != page.Changes[2].Seq {
			t.Fatalf("a full page: %+v", page)
		}
	}
	if want := []Change{change(3, "f", "a", false), change(4, "g", "b", false), change(6, "f", "c", true), change(7, "g", "d", false)}; !reflect.DeepEqual(all, want) {
		t.Fatalf("paged:\n got %+v\nwant %+v", all, want)
	}
	page, err = s.ChangesSince("", 7, 0)
	ok(t, err)
	if !reflect.DeepEqual(page, ChangePage{Changes: []Change{}, LastSeq: 7}) {
		t.Fatalf("nothing new: %+v", page)
	}

	_, err = s.ChangesSince("", 0, -1)
	fails(t, err, ErrInvalidArgument, "limit -1 is negative")
	_, err = s.ChangesSince("", 0, 100001)
	fails(t, err, ErrInvalidArgument, "limit 100001 is more than the 100000 changes a page may hold")
	_, err = s.ChangesSince("", -1, 0)
	fails(t, err, ErrInvalidArgument, "after_seq -1 is negative")
	_, err = s.ChangesSince("a:b", 0, 0)
	fails(t, err, ErrInvalidArgument, `flow_id "a:b" must not contain ':'`)
	_, err = s.ChangesSince("f\x00", 0, 0)
	fails(t, err, ErrInvalidArgument, "flow_id contains a NUL byte at offset 1")
}

func TestWaitForChange(t *testing.T) {
	path := tempPath(t, "wait.db")
	s, other := openPath(t, path, Options{}), openPath(t, path, Options{})
	ok(t, s.UpdateState("f", "s", map[string]any{"n": 1}))

	latest, err := s.WaitForChange(0, 0)
	ok(t, err)
	if latest != 1 {
		t.Fatalf("a change beyond 0 is there: got %d", latest)
	}
	start := time.Now()
	latest, err = s.WaitForChange(1, 0)
	ok(t, err)
	if latest != 1 || time.Since(start) > guard {
		t.Fatalf("timeout 0 looks only: %d", latest)
	}
	start = time.Now()
	latest, err = s.WaitForChange(1, 150*time.Millisecond) // longer than one slice
	ok(t, err)
	if elapsed := time.Since(start); latest != 1 || elapsed < 150*time.Millisecond {
		t.Fatalf("a timeout returns the unchanged latest after it: %d after %v", latest, elapsed)
	}

	// A waiter without limit wakes for a commit of another store on the same file
	// (which may come before or during the wait: either way it returns 2).
	woke := make(chan int64, 1)
	errs := make(chan error, 1)
	go func() {
		latest, err := s.WaitForChange(1, -1)
		errs <- err
		woke <- latest
	}()
	ok(t, other.UpdateState("f", "t", map[string]any{}))
	select {
	case err := <-errs:
		ok(t, err)
		if latest := <-woke; latest != 2 {
			t.Fatalf("woke with %d, want 2", latest)
		}
	case <-time.After(guard):
		t.Fatal("the waiter did not wake for another store's commit")
	}

	_, err = s.WaitForChange(-1, 0)
	fails(t, err, ErrInvalidArgument, "after_seq -1 is negative")
}

// Close does not wait for a waiter without limit (which would then hold the store for
// ever): the wait ends with ErrClosed, and Close returns.
func TestCloseEndsWaitForChange(t *testing.T) {
	s, err := Open(tempPath(t, "close.db"))
	ok(t, err)
	waiting := make(chan struct{})
	errs := make(chan error, 1)
	go func() {
		close(waiting)
		_, err := s.WaitForChange(0, -1)
		errs <- err
	}()
	<-waiting
	closing := make(chan struct{})
	go func() {
		s.Close()
		close(closing)
	}()
	select {
	case <-closing:
	case <-time.After(guard):
		t.Fatal("Close waited for WaitForChange")
	}
	select {
	case err := <-errs:
		fails(t, err, ErrClosed)
	case <-time.After(guard):
		t.Fatal("WaitForChange did not end when the store closed")
	}
}

// A watch lists what is there, then follows commits of its own store and of another
// store on the file, only of its flow.
func TestWatchFollowsThisAndOtherStores(t *testing.T) {
	path := tempPath(t, "watch.db")
	s, other := openPath(t, path, Options{}), openPath(t, path, Options{})
	ok(t, s.UpdateState("f", "a", map[string]any{"n": 1})) // 1
	ok(t, s.UpdateState("g", "x", map[string]any{}))       // 2
	goroutines := runtime.NumGoroutine()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ch := s.Watch(ctx, "f", 0)
	if c := receive(t, ch); c != change(1, "f", "a", false) {
		t.Fatalf("first entry %+v, want the existing session", c)
	}
	ok(t, s.UpdateState("f", "b", map[string]any{})) // 3, this store
	if c := receive(t, ch); c != change(3, "f", "b", false) {
		t.Fatalf("got %+v, want this store's change", c)
	}
	ok(t, other.UpdateState("g", "y", map[string]any{})) // 4, another flow: not sent
	ok(t, other.SetCurrentStep("f", "c", "one"))         // 5, another store
	if c := receive(t, ch); c != change(5, "f", "c", false) {
		t.Fatalf("got %+v, want the other store's change", c)
	}
	ok(t, other.DeleteSession("f", "a")) // 6
	if c := receive(t, ch); c != change(6, "f", "a", true) {
		t.Fatalf("got %+v, want the deletion", c)
	}
	rev, err := other.Apply("f", "b", Edit{Patch: []PatchOp{{Op: "add", Path: "/k", Value: 1}}}) // 7
	ok(t, err)
	if c := receive(t, ch); c != change(rev.Revision, "f", "b", false) {
		t.Fatalf("got %+v, want the edit at revision %d", c, rev.Revision)
	}

	// From LatestSeq only what happens from then on; "" follows every flow.
	latest, err := s.LatestSeq()
	ok(t, err)
	all := s.Watch(ctx, "", latest)
	ok(t, other.UpdateState("g", "z", map[string]any{})) // 8
	if c := receive(t, all); c != change(8, "g", "z", false) {
		t.Fatalf("got %+v, want only the new change", c)
	}
	cancel()
	closed(t, ch)
	closed(t, all)
	noGoroutineLeft(t, goroutines)
}

// Every way a watch ends leaves no goroutine behind.
func TestWatchEndsWithNoGoroutineLeft(t *testing.T) {
	start := func(t *testing.T) (*Store, context.Context, context.CancelFunc, int) {
		s := openPath(t, tempPath(t, "end.db"), Options{})
		for i := 0; i < 3; i++ {
			ok(t, s.UpdateState("f", fmt.Sprint("s", i), map[string]any{}))
		}
		ctx, cancel := context.WithCancel(context.Background())
		t.Cleanup(cancel)
		return s, ctx, cancel, runtime.NumGoroutine()
	}

	t.Run("cancelled while waiting for a change", func(t *testing.T) {
		s, ctx, cancel, goroutines := start(t)
		latest, err := s.LatestSeq()
		ok(t, err)
		ch := s.Watch(ctx, "f", latest)
		cancel()
		closed(t, ch)
		noGoroutineLeft(t, goroutines)
	})
	t.Run("cancelled while the receiver stopped reading", func(t *testing.T) {
		s, ctx, cancel, goroutines := start(t)
		ch := s.Watch(ctx, "f", 0)
		receive(t, ch) // then stop reading with two changes still to send
		cancel()
		noGoroutineLeft(t, goroutines)
		// The goroutine is gone, so the channel is closed, the rest never sent.
		closed(t, ch)
	})
	t.Run("cancelled before it started", func(t *testing.T) {
		s, ctx, cancel, goroutines := start(t)
		cancel()
		closed(t, s.Watch(ctx, "f", 0))
		noGoroutineLeft(t, goroutines)
	})
	t.Run("deadline", func(t *testing.T) {
		s, ctx, _, goroutines := start(t)
		ctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
		defer cancel()
		latest, err := s.LatestSeq()
		ok(t, err)
		ch := s.Watch(ctx, "f", latest)
		closed(t, ch)
		noGoroutineLeft(t, goroutines)
	})
	t.Run("store closed while watched", func(t *testing.T) {
		s, ctx, _, goroutines := start(t)
		ch := s.Watch(ctx, "f", 0)
		for i := 0; i < 3; i++ {
			receive(t, ch)
		}
		ok(t, s.Close()) // within one wait slice
		c := receive(t, ch)
		fails(t, c.Err, ErrClosed)
		if c.FlowID != "" || c.SessionID != "" || c.Seq != 0 {
			t.Fatalf("the error entry names a session: %+v", c)
		}
		closed(t, ch)
		noGoroutineLeft(t, goroutines)
	})
	t.Run("bad arguments", func(t *testing.T) {
		s, ctx, _, goroutines := start(t)
		ch := s.Watch(ctx, "a:b", 0)
		fails(t, receive(t, ch).Err, ErrInvalidArgument, `flow_id "a:b" must not contain ':'`)
		closed(t, ch)
		ch = s.Watch(ctx, "f", -1)
		fails(t, receive(t, ch).Err, ErrInvalidArgument, "after_seq -1 is negative")
		closed(t, ch)
		noGoroutineLeft(t, goroutines)
	})
}

// After the file forgot deletions newer than afterSeq, a watch first sends a Reset
// entry, then the feed as usual (the pages after the first are not reset).
func TestWatchReportsReset(t *testing.T) {
	s := openPath(t, ":memory:", Options{ChangeRetention: -1}) // keep only the newest 10,000
	const deletions = 10001
	for i := 0; i < deletions; i++ {
		id := fmt.Sprint("gone", i)
		ok(t, s.UpdateState("f", id, map[string]any{}))
		ok(t, s.DeleteSession("f", id))
	}
	// Deletions older than the newest one's second are forgotten: wait for the clock's
	// next second, then delete once more.
	for second := time.Now().Unix(); time.Now().Unix() == second; {
		time.Sleep(time.Millisecond)
	}
	ok(t, s.UpdateState("f", "last", map[string]any{}))
	ok(t, s.DeleteSession("f", "last"))
	page, err := s.ChangesSince("f", 0, 0)
	ok(t, err)
	if !page.Reset || !page.More {
		t.Fatalf("the first page after forgotten deletions: reset %v, more %v", page.Reset, page.More)
	}
	ok(t, s.UpdateState("f", "live", map[string]any{}))
	live, err := s.Revision("f", "live")
	ok(t, err)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ch := s.Watch(ctx, "f", 0)
	if c := receive(t, ch); !reflect.DeepEqual(c, Change{Reset: true}) {
		t.Fatalf("first entry %+v, want a Reset entry", c)
	}
	entries := 0
	for {
		c := receive(t, ch)
		if c.Reset || c.Err != nil {
			t.Fatalf("entry %d: %+v, want a change", entries, c)
		}
		entries++
		if c.SessionID == "live" {
			if c.Seq != live {
				t.Fatalf("live session at %d, want %d", c.Seq, live)
			}
			break
		}
	}
	// The newest 10,000 deletions ("last" among them) and "live", across 11 pages.
	if entries != 10001 {
		t.Fatalf("%d entries after the reset, want 10001", entries)
	}
}
