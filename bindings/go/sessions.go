package workflowstate

/*
#include "workflow_state.h"
*/
import "C"

import "fmt"

// OrderBy is the sort key of ListSessions.
type OrderBy int

// The orders of ListSessions, with the values of the C API's WS_ORDER_* constants.
const (
	OrderByUpdatedAt OrderBy = C.WS_ORDER_UPDATED_AT // last update
	OrderByCreatedAt OrderBy = C.WS_ORDER_CREATED_AT // creation
	OrderByLabel     OrderBy = C.WS_ORDER_LABEL      // label, compared bytewise; unlabelled sessions first ascending, last descending
)

// SessionSummary describes one session, as GetSessionSummary and ListSessions return
// it. The JSON tags are the C API's field names.
type SessionSummary struct {
	FlowID      string  `json:"flow_id"`
	SessionID   string  `json:"session_id"`
	Label       *string `json:"label"`        // nil when the session has no label
	CurrentStep *string `json:"current_step"` // nil when it has no current step
	// CreatedAt and UpdatedAt are UTC timestamps as stored, "YYYY-MM-DD HH:MM:SS" (a
	// file written by version 0.1 may still hold a ".SSS" suffix until the session's
	// next change): their text order is their time order.
	CreatedAt      string `json:"created_at"`
	UpdatedAt      string `json:"updated_at"`
	StateSizeBytes int64  `json:"state_size_bytes"` // the byte length of the stored state
}

// CreateSession creates an empty session and returns its id. sessionID "" generates a
// lowercase UUID4; label "" means no label. ErrAlreadyExists (and nothing changed)
// when the id is taken.
func (s *Store) CreateSession(flow, sessionID, label string) (string, error) {
	var a cArgs
	f, id, l := a.str("flow_id", flow), a.optStr("session_id", sessionID), a.optStr("label", label)
	var out *C.char
	err := s.call(&a, func(h *C.ws_store) C.ws_status { return C.ws_create_session(h, f, id, l, &out) })
	created, _ := takeString(out)
	return created, err
}

// SessionExists reports whether the session exists.
func (s *Store) SessionExists(flow, session string) (bool, error) {
	var a cArgs
	f, id := a.str("flow_id", flow), a.str("session_id", session)
	var out C.bool
	err := s.call(&a, func(h *C.ws_store) C.ws_status { return C.ws_session_exists(h, f, id, &out) })
	return bool(out), err
}

// GetSessionSummary returns the session's summary, or nil (and no error) when the
// session does not exist.
func (s *Store) GetSessionSummary(flow, session string) (*SessionSummary, error) {
	var a cArgs
	f, id := a.str("flow_id", flow), a.str("session_id", session)
	var out *C.char
	if err := s.call(&a, func(h *C.ws_store) C.ws_status { return C.ws_get_session_summary(h, f, id, &out) }); err != nil {
		return nil, err
	}
	text := takeJSON(out)
	if text == nil {
		return nil, nil
	}
	var summary SessionSummary
	if err := decodeValue(text, &summary, "a session summary"); err != nil {
		return nil, err
	}
	return &summary, nil
}

// ListSessions returns the summaries of exactly the sessions of flow (an exact match:
// '%' and '_' are ordinary characters), sorted by order; ties (timestamps are whole
// seconds) go by the order of the changes for OrderByUpdatedAt and by creation order
// otherwise, in the same direction; an empty slice when there are none. An order that
// is not one of the OrderBy constants gives ErrInvalidArgument.
func (s *Store) ListSessions(flow string, order OrderBy, descending bool) ([]SessionSummary, error) {
	var a cArgs
	f := a.str("flow_id", flow)
	if OrderBy(C.ws_order_by(order)) != order && a.err == nil {
		// Beyond the C int's range: never let it wrap onto a valid order.
		a.err = newError(StatusInvalidArgument, fmt.Sprintf("order_by %d is not a WS_ORDER_* value", int(order)))
	}
	var out *C.char
	err := s.call(&a, func(h *C.ws_store) C.ws_status {
		return C.ws_list_sessions(h, f, C.ws_order_by(order), C.bool(descending), &out)
	})
	if err != nil {
		return nil, err
	}
	summaries := []SessionSummary{}
	if err := decodeValue(takeJSON(out), &summaries, "the session list"); err != nil {
		return nil, err
	}
	return summaries, nil
}

// SetSessionLabel sets the session's label, or clears it when label is nil. Nothing
// happens when the session does not exist.
func (s *Store) SetSessionLabel(flow, session string, label *string) error {
	var a cArgs
	f, id := a.str("flow_id", flow), a.str("session_id", session)
	var l *C.char
	if label != nil {
		l = a.str("label", *label)
	}
	return s.call(&a, func(h *C.ws_store) C.ws_status { return C.ws_set_session_label(h, f, id, l) })
}

// DeleteSession deletes the session and everything stored with it (as ClearState).
// Deleting a session that does not exist succeeds.
func (s *Store) DeleteSession(flow, session string) error {
	var a cArgs
	f, id := a.str("flow_id", flow), a.str("session_id", session)
	return s.call(&a, func(h *C.ws_store) C.ws_status { return C.ws_delete_session(h, f, id) })
}

// PruneSessions deletes the sessions of flow ("" for every flow) last updated before
// updatedBefore (UTC, "YYYY-MM-DD HH:MM:SS"), with their history, in batches that let
// other writers in between; it returns how many were deleted. A failure leaves the
// batches before it deleted, and its message says how many sessions they held.
func (s *Store) PruneSessions(flow, updatedBefore string) (int, error) {
	var a cArgs
	f, before := a.optStr("flow_id", flow), a.str("updated_before", updatedBefore)
	var out C.size_t
	err := s.call(&a, func(h *C.ws_store) C.ws_status { return C.ws_prune_sessions(h, f, before, &out) })
	return int(out), err
}

// CopySession copies the session from to the new session to of the same flow: the same
// label, current step and state (byte for byte), new timestamps and a revision of its
// own. With withHistory it also copies the history, undo and redo stacks and the clean
// mark, so that Undo and Redo on the copy go through the source's states (large
// snapshots' chunks are shared, not duplicated). ErrNotFound when from does not exist,
// ErrAlreadyExists when to does (also when it is from); a failed copy changes nothing.
func (s *Store) CopySession(flow, from, to string, withHistory bool) error {
	var a cArgs
	f, src, dst := a.str("flow_id", flow), a.str("from_session_id", from), a.str("to_session_id", to)
	return s.call(&a, func(h *C.ws_store) C.ws_status {
		return C.ws_copy_session(h, f, src, dst, C.bool(withHistory))
	})
}
