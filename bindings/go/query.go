package workflowstate

/*
#include "workflow_state.h"
*/
import "C"

import (
	"context"
	"encoding/json"
	"fmt"
)

// Query selects and orders one page of QuerySessions. The zero Query is the C API's
// defaults: by UpdatedAt, newest first, 100 a page, no filter, no fields.
type Query struct {
	OrderBy   OrderBy // OrderByUpdatedAt (the default), OrderByCreatedAt or OrderByLabel; ties go by session id
	Ascending bool    // oldest / smallest first (the default is descending)
	Limit     int     // sessions per page, 1 to 10000; 0 means 100
	// After is the Next of the previous page ("" for the first page). A cursor
	// continues only the flow, order and direction that returned it.
	After string
	// Filters; "" means none. UpdatedAfter and UpdatedBefore are exclusive bounds, UTC
	// "YYYY-MM-DD HH:MM:SS"; LabelPrefix compares bytes.
	CurrentStep, LabelPrefix, UpdatedAfter, UpdatedBefore string
	// Fields are RFC 6901 JSON Pointers into each state ("/title", "/a~1b" for the key
	// "a/b"), at most 256, all different.
	Fields []string
}

// QueriedSession is one session of a page: its summary, its revision and the values
// at the query's Fields (JSON "null" where the state has none).
type QueriedSession struct {
	SessionSummary
	Revision int64                      `json:"revision"`
	Fields   map[string]json.RawMessage `json:"fields"`
}

// SessionPage is one page of QuerySessions. Next is "" on the last page.
type SessionPage struct {
	Sessions []QueriedSession `json:"sessions"`
	Next     string           `json:"next"`
}

var orderNames = map[OrderBy]string{
	OrderByUpdatedAt: "updated_at",
	OrderByCreatedAt: "created_at",
	OrderByLabel:     "label",
}

// wire is the query as the C API reads it.
func (q Query) wire() (map[string]any, error) {
	name, ok := orderNames[q.OrderBy]
	if !ok {
		return nil, newError(StatusInvalidArgument, fmt.Sprintf("OrderBy %d is not one of the OrderBy constants", int(q.OrderBy)))
	}
	w := map[string]any{"order_by": name, "descending": !q.Ascending}
	if q.Limit != 0 {
		w["limit"] = q.Limit
	}
	for key, value := range map[string]string{
		"after": q.After, "current_step": q.CurrentStep, "label_prefix": q.LabelPrefix,
		"updated_after": q.UpdatedAfter, "updated_before": q.UpdatedBefore,
	} {
		if value != "" {
			w[key] = value
		}
	}
	if q.Fields != nil {
		w["fields"] = q.Fields
	}
	return w, nil
}

// QuerySessions returns one page of the sessions of flow, ordered and filtered as q
// says, with q.Fields read from each state. Paging is by keyset: a page costs the same
// wherever it is, and a walk (each page's Next as the next query's After) returns every
// session that exists unchanged through it exactly once, even while others write; a
// session created or changed after the first page is left out of the later ones (Watch
// or ChangesSince from a LatestSeq read before the first page tells what changed). A
// bad query, or a cursor of another walk or a damaged one, is ErrInvalidArgument.
func (s *Store) QuerySessions(flow string, q Query) (SessionPage, error) {
	var a cArgs
	f := a.str("flow_id", flow)
	w, err := q.wire()
	if err != nil && a.err == nil {
		a.err = err
	}
	query := a.value("query", w)
	var out *C.char
	if err := s.call(&a, func(h *C.ws_store) C.ws_status { return C.ws_query_sessions(h, f, query, &out) }); err != nil {
		return SessionPage{}, err
	}
	var page struct {
		Sessions []QueriedSession `json:"sessions"`
		Next     *string          `json:"next"`
	}
	if err := decodeValue(takeJSON(out), &page, "a page of sessions"); err != nil {
		return SessionPage{}, err
	}
	result := SessionPage{Sessions: page.Sessions}
	if page.Next != nil {
		result.Next = *page.Next
	}
	return result, nil
}

// SessionIterator walks every page of a query: call Next until it returns false, then
// Err. Not safe for concurrent use.
type SessionIterator struct {
	ctx     context.Context
	store   *Store
	flow    string
	query   Query
	page    []QueriedSession
	current QueriedSession
	done    bool
	err     error
}

// Sessions walks the sessions of flow in q's order, one page of q.Limit at a time
// (QuerySessions), fetching the next page when the last one is used up; q.After may
// resume a walk. It stops at the end, at the first error, or when ctx is done (Err then
// returns ctx.Err()).
//
//	it := store.Sessions(ctx, "signup", workflowstate.Query{Fields: []string{"/email"}})
//	for it.Next() {
//		fmt.Println(it.Session().SessionID, string(it.Session().Fields["/email"]))
//	}
//	if err := it.Err(); err != nil { ... }
func (s *Store) Sessions(ctx context.Context, flow string, q Query) *SessionIterator {
	return &SessionIterator{ctx: ctx, store: s, flow: flow, query: q}
}

// Next moves to the next session, fetching a page when needed; false at the end or on
// an error.
func (it *SessionIterator) Next() bool {
	for len(it.page) == 0 {
		if it.done || it.err != nil {
			return false
		}
		if err := it.ctx.Err(); err != nil {
			it.err = err
			return false
		}
		page, err := it.store.QuerySessions(it.flow, it.query)
		if err != nil {
			it.err = err
			return false
		}
		it.page = page.Sessions
		it.query.After = page.Next
		it.done = page.Next == ""
	}
	it.current, it.page = it.page[0], it.page[1:]
	return true
}

// Session is the session Next moved to.
func (it *SessionIterator) Session() QueriedSession { return it.current }

// Err is the error that stopped the walk, or nil when it reached the end.
func (it *SessionIterator) Err() error { return it.err }
