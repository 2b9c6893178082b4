package workflowstate

/*
#include "workflow_state.h"
*/
import "C"

import (
	"encoding/json"
	"fmt"
)

// GetCurrentStep returns the session's current step; ok is false when the session
// does not exist or has no current step.
func (s *Store) GetCurrentStep(flow, session string) (step string, ok bool, err error) {
	var a cArgs
	f, id := a.str("flow_id", flow), a.str("session_id", session)
	var out *C.char
	err = s.call(&a, func(h *C.ws_store) C.ws_status { return C.ws_get_current_step(h, f, id, &out) })
	step, ok = takeString(out)
	return step, ok, err
}

// SetCurrentStep sets the session's current step (non-empty), creating the session if
// it does not exist.
func (s *Store) SetCurrentStep(flow, session, step string) error {
	var a cArgs
	f, id, st := a.str("flow_id", flow), a.str("session_id", session), a.str("step_id", step)
	return s.call(&a, func(h *C.ws_store) C.ws_status { return C.ws_set_current_step(h, f, id, st) })
}

// GetState returns the session's whole state; an empty map when the session does not
// exist. Numbers are json.Number. ErrCorrupt when the stored text is not strict JSON
// (such as Python's NaN).
func (s *Store) GetState(flow, session string) (map[string]any, error) {
	text, err := s.GetStateJSON(flow, session)
	if err != nil {
		return nil, err
	}
	return decodeObject(text, "the state")
}

// GetStateJSON is GetState returning the JSON text as stored: compact, keys in stored
// order, numbers exactly as written; "{}" when the session does not exist.
func (s *Store) GetStateJSON(flow, session string) (json.RawMessage, error) {
	var a cArgs
	f, id := a.str("flow_id", flow), a.str("session_id", session)
	var out *C.char
	err := s.call(&a, func(h *C.ws_store) C.ws_status { return C.ws_get_state(h, f, id, &out) })
	return takeJSON(out), err
}

// UpdateState merges the top-level keys of updates into the session state, as
// Python's dict.update does (existing keys keep their place, new ones are appended in
// sorted order), creating the session if it does not exist. The read, merge and write
// are one transaction: concurrent updates are never lost.
//
// A nil map, a value encoding/json cannot encode, or invalid UTF-8 in a string of
// updates gives ErrInvalidArgument; ErrCorrupt when the stored state is not a strict
// JSON object.
func (s *Store) UpdateState(flow, session string, updates map[string]any) error {
	text, err := encodeUpdates("updates", updates)
	if err != nil {
		return err
	}
	return s.UpdateStateJSON(flow, session, text)
}

// UpdateStateJSON is UpdateState taking the updates as JSON text, which must be an
// object (else ErrInvalidJSON); new keys are appended in the text's order.
func (s *Store) UpdateStateJSON(flow, session string, updates json.RawMessage) error {
	var a cArgs
	f, id, u := a.str("flow_id", flow), a.str("session_id", session), a.json("updates_json", updates)
	return s.call(&a, func(h *C.ws_store) C.ws_status { return C.ws_update_state(h, f, id, u) })
}

// ClearState deletes the session: its row, state, history and undo/redo stacks, as
// DeleteSession does. Clearing a session that does not exist succeeds.
func (s *Store) ClearState(flow, session string) error {
	var a cArgs
	f, id := a.str("flow_id", flow), a.str("session_id", session)
	return s.call(&a, func(h *C.ws_store) C.ws_status { return C.ws_clear_state(h, f, id) })
}

// GetStepState returns one step's state (kept in the session state under
// "_step_"+step); an empty map when it has none. A stored value that is not an object
// (which other programs may write) gives ErrConflict: GetStepStateJSON returns any
// value.
func (s *Store) GetStepState(flow, session, step string) (map[string]any, error) {
	text, err := s.GetStepStateJSON(flow, session, step)
	if err != nil {
		return nil, err
	}
	return decodeObject(text, fmt.Sprintf("the state of step %q of session %q of flow %q", step, session, flow))
}

// GetStepStateJSON is GetStepState returning the stored JSON text, whatever its type;
// "{}" when the step has no state.
func (s *Store) GetStepStateJSON(flow, session, step string) (json.RawMessage, error) {
	var a cArgs
	f, id, st := a.str("flow_id", flow), a.str("session_id", session), a.str("step_id", step)
	var out *C.char
	err := s.call(&a, func(h *C.ws_store) C.ws_status { return C.ws_get_step_state(h, f, id, st, &out) })
	return takeJSON(out), err
}

// UpdateStepState merges the top-level keys of updates into one step's state,
// creating it and the session as needed; one transaction. ErrConflict (and nothing
// changed) when the stored step value is not an object. Bad updates are refused as
// by UpdateState.
func (s *Store) UpdateStepState(flow, session, step string, updates map[string]any) error {
	text, err := encodeUpdates("updates", updates)
	if err != nil {
		return err
	}
	return s.UpdateStepStateJSON(flow, session, step, text)
}

// UpdateStepStateJSON is UpdateStepState taking the updates as JSON text, which must
// be an object (else ErrInvalidJSON).
func (s *Store) UpdateStepStateJSON(flow, session, step string, updates json.RawMessage) error {
	var a cArgs
	f, id, st := a.str("flow_id", flow), a.str("session_id", session), a.str("step_id", step)
	u := a.json("updates_json", updates)
	return s.call(&a, func(h *C.ws_store) C.ws_status { return C.ws_update_step_state(h, f, id, st, u) })
}

// ClearStepState removes one step's state, leaving the rest of the session state as
// it was; nothing happens when the step has no state or the session does not exist.
func (s *Store) ClearStepState(flow, session, step string) error {
	var a cArgs
	f, id, st := a.str("flow_id", flow), a.str("session_id", session), a.str("step_id", step)
	return s.call(&a, func(h *C.ws_store) C.ws_status { return C.ws_clear_step_state(h, f, id, st) })
}
