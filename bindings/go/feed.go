package workflowstate

/*
#include "workflow_state.h"
*/
import "C"

import (
	"context"
	"fmt"
	"time"
)

// Change is one entry of the change feed: a session whose latest change has sequence
// number Seq, or its deletion. The JSON tags are the C API's field names.
//
// Watch also sends two kinds of entry that name no session (FlowID and SessionID
// empty): one with Reset set, and a last one with Err set. ChangesSince never returns
// those.
type Change struct {
	Seq       int64  `json:"seq"`
	FlowID    string `json:"flow_id"`
	SessionID string `json:"session_id"`
	// Revision is the session's revision (equal to Seq); for a deletion, the
	// deletion's number.
	Revision int64 `json:"revision"`
	Deleted  bool  `json:"deleted"` // the session was deleted
	// Reset, sent by Watch only, says that afterSeq was older than what the file still
	// remembers of deletions, so deletions may have been missed: reload everything.
	// The entries Watch sends after it continue the feed as usual.
	Reset bool `json:"-"`
	// Err, sent by Watch only, is why the watch ended; the channel closes after it.
	Err error `json:"-"`
}

// ChangePage is one page of the change feed, as ChangesSince returns it.
type ChangePage struct {
	// Changes lists, in sequence order, each session changed after afterSeq once, at
	// its latest change; earlier changes of the same session are folded into it.
	Changes []Change `json:"changes"`
	// LastSeq is where to continue: pass it as afterSeq to the next ChangesSince while
	// More is true, then to WaitForChange. When More is false it is the database's
	// latest number, also when the newest changes were other flows'.
	LastSeq int64 `json:"last_seq"`
	More    bool  `json:"more"` // the page was full: call again with LastSeq
	// Reset says that afterSeq is older than what the file still remembers of
	// deletions (see the store option change_retention_s): reload everything, then
	// follow from LastSeq.
	Reset bool `json:"reset"`
}

// LatestSeq returns the latest number of the database's change sequence: 0 for a
// database never changed.
func (s *Store) LatestSeq() (int64, error) {
	var a cArgs
	var out C.int64_t
	err := s.call(&a, func(h *C.ws_store) C.ws_status { return C.ws_latest_seq(h, &out) })
	return int64(out), err
}

// ChangesSince returns the page of the change feed after afterSeq (0: every session
// there is), for the sessions of flow or, with flow "", of every flow. limit is the
// most changes on the page: 0 gives the library's default (1000); more than 100000,
// or a negative limit or afterSeq, is ErrInvalidArgument.
func (s *Store) ChangesSince(flow string, afterSeq int64, limit int) (ChangePage, error) {
	var a cArgs
	f := a.optStr("flow_id", flow)
	if limit < 0 && a.err == nil {
		// size_t in C: never let it wrap onto a huge limit.
		a.err = newError(StatusInvalidArgument, fmt.Sprintf("limit %d is negative (0 gives the default page size)", limit))
	}
	var out *C.char
	err := s.call(&a, func(h *C.ws_store) C.ws_status {
		return C.ws_changes_since(h, f, C.int64_t(afterSeq), C.size_t(limit), &out)
	})
	if err != nil {
		return ChangePage{}, err
	}
	page := ChangePage{Changes: []Change{}}
	err = decodeValue(takeJSON(out), &page, "a page of the change feed")
	return page, err
}

// waitSlice is the longest one C wait lasts, so that Close (which waits for calls in
// progress) never waits longer than this for a waiting goroutine, and Watch notices a
// cancelled context within it. A commit ends a slice at once, so slicing adds no
// latency.
const waitSlice = 100 * time.Millisecond

// WaitForChange waits until the database's latest change number is beyond afterSeq (a
// commit by this store, another store on the file, or another process, the Python
// package included) or timeout passes, and returns the latest number: beyond afterSeq,
// or after a timeout (no error) the unchanged latest. A timeout of 0 only looks; a
// negative one waits without limit; a positive one is rounded up to whole
// milliseconds. A commit in another process is seen within 50 ms.
//
// Other calls on the store go on while one waits. Close does too: it ends the wait
// within 100 ms, and WaitForChange then returns an error matching ErrClosed.
// ErrInvalidArgument for a negative afterSeq.
func (s *Store) WaitForChange(afterSeq int64, timeout time.Duration) (int64, error) {
	deadline := time.Now().Add(timeout)
	for {
		slice := waitSlice
		if left := time.Until(deadline); timeout >= 0 && left < slice {
			slice = left
		}
		latest, err := s.waitOnce(afterSeq, slice)
		if err != nil || latest > afterSeq || (timeout >= 0 && !time.Now().Before(deadline)) {
			return latest, err
		}
	}
}

// waitOnce is one C wait of at most timeout (<= 0: only look), rounded up to whole
// milliseconds, holding the store's read lock only for that long.
func (s *Store) waitOnce(afterSeq int64, timeout time.Duration) (int64, error) {
	ms := C.int32_t(0)
	if timeout > 0 {
		ms = C.int32_t((timeout + time.Millisecond - 1) / time.Millisecond)
	}
	var a cArgs
	var out C.int64_t
	err := s.call(&a, func(h *C.ws_store) C.ws_status {
		return C.ws_wait_for_change(h, C.int64_t(afterSeq), ms, &out)
	})
	return int64(out), err
}

// Watch follows the change feed of flow ("" for every flow) from afterSeq: it sends
// every change after afterSeq on the returned channel, as ChangesSince lists them
// (each session once per page, at its latest change), then each later change as it
// is committed, by this store or any other program on the file. Pass 0 to get every
// session there is first, or LatestSeq() to get only what happens from now on.
//
// The channel is unbuffered: the watch goroutine waits for the receiver, holding
// nothing, and the feed folds what happens meanwhile. The watch ends, and the channel
// closes, when:
//   - ctx ends (cancel it when you stop reading: nothing else ends a watch whose
//     receiver has gone); no entry is sent for that, and the goroutine is gone within
//     about 100 ms;
//   - a call fails (a bad flow, a negative afterSeq, a busy or unreadable file, the
//     store closed): the last entry has Err set; a Store closed while watched ends
//     its watches with an error matching ErrClosed. To resume after a passing error,
//     watch again from the last Seq received.
//
// An entry with Reset set (and no session) comes first when afterSeq is older than
// what the file remembers of deletions (and again only if the watch itself falls that
// far behind): the receiver should reload everything; the entries after it continue
// the feed.
func (s *Store) Watch(ctx context.Context, flow string, afterSeq int64) <-chan Change {
	ch := make(chan Change)
	go s.watch(ctx, flow, afterSeq, ch)
	return ch
}

func (s *Store) watch(ctx context.Context, flow string, seq int64, ch chan<- Change) {
	defer close(ch)
	send := func(c Change) bool {
		select {
		case ch <- c:
			return true
		case <-ctx.Done():
			return false
		}
	}
	for ctx.Err() == nil {
		page, err := s.ChangesSince(flow, seq, 0)
		if err != nil {
			send(Change{Err: err})
			return
		}
		if page.Reset && !send(Change{Reset: true}) {
			return
		}
		for _, c := range page.Changes {
			if !send(c) {
				return
			}
		}
		seq = page.LastSeq
		for !page.More && ctx.Err() == nil {
			latest, err := s.waitOnce(seq, waitSlice)
			if err != nil {
				send(Change{Err: err})
				return
			}
			if latest > seq {
				break
			}
		}
	}
}
