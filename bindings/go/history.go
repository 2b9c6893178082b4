package workflowstate

/*
#include "workflow_state.h"
*/
import "C"

import (
	"encoding/json"
	"fmt"
)

// UndoStatus is what undo and redo would do, for "Undo Typing" / "Redo Typing" menu
// items, and whether the session is as it was saved. The JSON tags are the C API's
// field names.
type UndoStatus struct {
	UndoDepth int     `json:"undo_depth"` // checkpoints that can be undone
	RedoDepth int     `json:"redo_depth"` // undone states that can be redone
	UndoLabel *string `json:"undo_label"` // the label of the checkpoint Undo restores; nil when none or unlabelled
	RedoLabel *string `json:"redo_label"` // the label of the entry Redo re-applies; nil when none or unlabelled
	// UndoMeta and RedoMeta are the CheckpointOptions.Meta of those two entries, as
	// compact JSON text; nil when there is no such entry or it has no meta.
	UndoMeta json.RawMessage `json:"undo_meta"`
	RedoMeta json.RawMessage `json:"redo_meta"`
	// Clean is true while the present state is the one SetClean marked (see
	// SetClean); always false for a session never marked.
	Clean bool `json:"clean"`
}

// HistoryPush pushes a snapshot onto the session's history stack, creating the
// session if it does not exist, and drops the oldest entries beyond the store's
// MaxHistoryDepth. snapshot is any value encoding/json encodes (ErrInvalidArgument
// otherwise); a json.RawMessage is stored as the JSON text it holds (ErrInvalidJSON if
// it is not JSON).
func (s *Store) HistoryPush(flow, session string, snapshot any) error {
	var a cArgs
	f, id, snap := a.str("flow_id", flow), a.str("session_id", session), a.value("snapshot", snapshot)
	return s.call(&a, func(h *C.ws_store) C.ws_status { return C.ws_history_push(h, f, id, snap) })
}

// HistoryPop removes the newest snapshot from the session's history stack and returns
// it; ok is false when the stack is empty.
func (s *Store) HistoryPop(flow, session string) (snapshot json.RawMessage, ok bool, err error) {
	var a cArgs
	f, id := a.str("flow_id", flow), a.str("session_id", session)
	var out *C.char
	err = s.call(&a, func(h *C.ws_store) C.ws_status { return C.ws_history_pop(h, f, id, &out) })
	snapshot = takeJSON(out)
	return snapshot, snapshot != nil, err
}

// HistoryPeek returns the newest snapshot of the session's history stack without
// removing it; ok is false when the stack is empty.
func (s *Store) HistoryPeek(flow, session string) (snapshot json.RawMessage, ok bool, err error) {
	var a cArgs
	f, id := a.str("flow_id", flow), a.str("session_id", session)
	var out *C.char
	err = s.call(&a, func(h *C.ws_store) C.ws_status { return C.ws_history_peek(h, f, id, &out) })
	snapshot = takeJSON(out)
	return snapshot, snapshot != nil, err
}

// HistoryLen returns the number of snapshots on the session's history stack (0 for a
// session that does not exist).
func (s *Store) HistoryLen(flow, session string) (int, error) {
	var a cArgs
	f, id := a.str("flow_id", flow), a.str("session_id", session)
	var out C.size_t
	err := s.call(&a, func(h *C.ws_store) C.ws_status { return C.ws_history_len(h, f, id, &out) })
	return int(out), err
}

// HistoryClear empties the session's history stack; the undo and redo stacks are not
// touched.
func (s *Store) HistoryClear(flow, session string) error {
	var a cArgs
	f, id := a.str("flow_id", flow), a.str("session_id", session)
	return s.call(&a, func(h *C.ws_store) C.ws_status { return C.ws_history_clear(h, f, id) })
}

// Checkpoint records the session's state and current step on its undo stack (creating
// the session if it does not exist) and empties its redo stack. label "" means no
// label. Call it before each change the user may want to undo.
func (s *Store) Checkpoint(flow, session, label string) error {
	var a cArgs
	f, id, l := a.str("flow_id", flow), a.str("session_id", session), a.optStr("label", label)
	return s.call(&a, func(h *C.ws_store) C.ws_status { return C.ws_checkpoint(h, f, id, l) })
}

// Undo restores the state and current step of the newest checkpoint, keeping what it
// replaces for Redo. It returns false, changing nothing, when there is nothing to undo.
func (s *Store) Undo(flow, session string) (bool, error) {
	var a cArgs
	f, id := a.str("flow_id", flow), a.str("session_id", session)
	var done C.bool
	err := s.call(&a, func(h *C.ws_store) C.ws_status { return C.ws_undo(h, f, id, &done) })
	return bool(done), err
}

// Redo re-applies the newest undone state, keeping what it replaces for Undo. It
// returns false, changing nothing, when there is nothing to redo.
func (s *Store) Redo(flow, session string) (bool, error) {
	var a cArgs
	f, id := a.str("flow_id", flow), a.str("session_id", session)
	var done C.bool
	err := s.call(&a, func(h *C.ws_store) C.ws_status { return C.ws_redo(h, f, id, &done) })
	return bool(done), err
}

// UndoStatus returns the depths of the session's undo and redo stacks, the labels and
// meta of their newest entries, and whether the session is in the state SetClean
// marked. ErrCorrupt when such a label or meta, written by another program, is not
// valid text or JSON.
func (s *Store) UndoStatus(flow, session string) (UndoStatus, error) {
	var a cArgs
	f, id := a.str("flow_id", flow), a.str("session_id", session)
	var out *C.char
	if err := s.call(&a, func(h *C.ws_store) C.ws_status { return C.ws_undo_status(h, f, id, &out) }); err != nil {
		return UndoStatus{}, err
	}
	var status UndoStatus
	err := decodeValue(takeJSON(out), &status, "the undo status")
	status.UndoMeta, status.RedoMeta = nullToNil(status.UndoMeta), nullToNil(status.RedoMeta)
	return status, err
}

// JSONHistoryPush is cjm-workflow-state's push_history on JSON text, without a store:
// it appends snapshot to history (a JSON array; nil means []) and keeps the newest
// maxDepth entries. snapshot is encoded as by HistoryPush. ErrInvalidArgument for
// maxDepth < 1, ErrInvalidJSON when history is not a JSON array.
func JSONHistoryPush(history json.RawMessage, snapshot any, maxDepth int) (json.RawMessage, error) {
	var a cArgs
	var hist *C.char
	if history != nil {
		hist = a.json("history_json", history)
	}
	snap := a.value("snapshot", snapshot)
	if maxDepth < 1 && a.err == nil {
		a.err = newError(StatusInvalidArgument, fmt.Sprintf("max_depth must be at least 1, got %d", maxDepth))
	}
	var out *C.char
	err := cCall(&a, func() C.ws_status { return C.ws_json_history_push(hist, snap, C.size_t(maxDepth), &out) })
	return takeJSON(out), err
}

// JSONHistoryPop is cjm-workflow-state's pop_history on JSON text, without a store:
// it splits the newest snapshot off history (a JSON array, else ErrInvalidJSON) and
// returns it with the rest; ok is false, and rest is [], when history is empty.
func JSONHistoryPop(history json.RawMessage) (snapshot json.RawMessage, ok bool, rest json.RawMessage, err error) {
	var a cArgs
	hist := a.json("history_json", history)
	var outSnapshot, outRest *C.char
	err = cCall(&a, func() C.ws_status { return C.ws_json_history_pop(hist, &outSnapshot, &outRest) })
	snapshot, rest = takeJSON(outSnapshot), takeJSON(outRest)
	return snapshot, snapshot != nil, rest, err
}
