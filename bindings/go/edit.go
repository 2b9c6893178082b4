package workflowstate

/*
#include "workflow_state.h"
*/
import "C"

import (
	"encoding/json"
	"fmt"
)

// Session is one consistent snapshot of a session, as GetSession returns it: the read
// half of an optimistic edit (pass &Revision as Edit.ExpectRevision). The JSON tags are
// the C API's field names.
type Session struct {
	FlowID      string  `json:"flow_id"`
	SessionID   string  `json:"session_id"`
	Label       *string `json:"label"`        // nil when the session has no label
	CurrentStep *string `json:"current_step"` // nil when it has no current step
	// State is the whole session state, numbers as json.Number (as GetState).
	State map[string]any `json:"state"`
	// Revision is the change sequence number of the session's latest change: every
	// committed change, by any program on the file, makes it larger.
	Revision int64 `json:"revision"`
	// CreatedAt and UpdatedAt are UTC timestamps "YYYY-MM-DD HH:MM:SS" as stored.
	CreatedAt string `json:"created_at"`
	UpdatedAt string `json:"updated_at"`
}

// Revision returns the session's revision, the change sequence number of its latest
// change; 0 when the session does not exist. A revision only grows and is never
// reused, also after the session is deleted and created again.
func (s *Store) Revision(flow, session string) (int64, error) {
	var a cArgs
	f, id := a.str("flow_id", flow), a.str("session_id", session)
	var out C.int64_t
	err := s.call(&a, func(h *C.ws_store) C.ws_status { return C.ws_get_revision(h, f, id, &out) })
	return int64(out), err
}

// GetSession reads the session's row, state and revision in one snapshot; nil (and no
// error) when the session does not exist. ErrCorrupt when the stored state is not
// strict JSON.
func (s *Store) GetSession(flow, session string) (*Session, error) {
	text, err := s.GetSessionJSON(flow, session)
	if err != nil || text == nil {
		return nil, err
	}
	var out Session
	if err := decodeValue(text, &out, fmt.Sprintf("session %q of flow %q", session, flow)); err != nil {
		return nil, err
	}
	return &out, nil
}

// GetSessionJSON is GetSession returning the C API's JSON object as it is (the state
// with its stored key order and number text); nil when the session does not exist.
func (s *Store) GetSessionJSON(flow, session string) (json.RawMessage, error) {
	var a cArgs
	f, id := a.str("flow_id", flow), a.str("session_id", session)
	var out *C.char
	err := s.call(&a, func(h *C.ws_store) C.ws_status { return C.ws_get_session(h, f, id, &out) })
	return takeJSON(out), err
}

// PatchOp is one operation of Edit.Patch: an RFC 6902 JSON Patch operation ("add",
// "remove", "replace", "move", "copy", "test") or the library's "merge" (an RFC 7396
// JSON Merge Patch of Value into the value at Path). Path and From are RFC 6901 JSON
// Pointers into the state ("" is the whole state).
//
// The operation is sent with the members its Op takes, whatever their Go value: "from"
// for move and copy (so From "" is the root, not "absent"), "value" for add, replace,
// test and merge (so a nil Value is JSON null), neither for remove. An Op the library
// does not know is sent with From when non-empty and Value when non-nil, and refused by
// the library with ErrInvalidJSON.
//
// Value is any value encoding/json encodes; a json.RawMessage is sent as the JSON text
// it holds. Strings in a map[string]any or []any Value must be valid UTF-8, as in
// UpdateState.
type PatchOp struct {
	Op    string
	Path  string
	From  string
	Value any
}

// MarshalJSON encodes the operation with the members its Op takes (see PatchOp), as
// Apply sends it.
func (op PatchOp) MarshalJSON() ([]byte, error) {
	wire, err := op.wire("patch operation")
	if err != nil {
		return nil, err
	}
	return encodeJSON("patch operation", wire)
}

// wire gives the operation as the C API spells it, its Value already encoded, so that
// a value that cannot be encoded is reported as name + ".Value".
func (op PatchOp) wire(name string) (any, error) {
	for _, field := range []struct{ name, value string }{{".Op", op.Op}, {".Path", op.Path}, {".From", op.From}} {
		if err := checkUTF8(name+field.name, field.value); err != nil {
			return nil, err
		}
	}
	var value json.RawMessage
	if raw, ok := op.Value.(json.RawMessage); ok && raw != nil {
		if !json.Valid(raw) {
			return nil, newError(StatusInvalidJSON, name+".Value is not valid JSON")
		}
		value = raw
	} else if op.Value != nil || isValueOp(op.Op) {
		text, err := encodeJSON(name+".Value", op.Value)
		if err != nil {
			return nil, err
		}
		value = text
	}
	switch {
	case op.Op == "move" || op.Op == "copy":
		return struct {
			Op   string `json:"op"`
			From string `json:"from"`
			Path string `json:"path"`
		}{op.Op, op.From, op.Path}, nil
	case isValueOp(op.Op):
		return struct {
			Op    string          `json:"op"`
			Path  string          `json:"path"`
			Value json.RawMessage `json:"value"`
		}{op.Op, op.Path, value}, nil
	default: // "remove", or an op the library will refuse: sent as given
		return struct {
			Op    string          `json:"op"`
			From  string          `json:"from,omitempty"`
			Path  string          `json:"path"`
			Value json.RawMessage `json:"value,omitempty"`
		}{op.Op, op.From, op.Path, value}, nil
	}
}

// isValueOp reports whether op takes a "value" member.
func isValueOp(op string) bool {
	return op == "add" || op == "replace" || op == "test" || op == "merge"
}

// Edit is one atomic edit of a session, for Apply. Every field is optional and its
// zero value leaves that part alone, so Edit{} is the empty edit (which still creates
// an absent session unless NoCreate is set). All of an edit happens in one
// transaction, or none of it.
type Edit struct {
	// ExpectRevision, when not nil, makes the edit fail with ErrConflict (changing
	// nothing) unless the session's revision is *ExpectRevision now: pass
	// &session.Revision from GetSession for a safe read-modify-write, or new(int64)
	// (revision 0) to create the session only if it does not exist.
	ExpectRevision *int64
	// Patch is applied to the state in order. A malformed operation gives
	// ErrInvalidJSON, one that does not fit the stored state (a missing path, a failed
	// test) ErrConflict; both messages name the operation's index and path.
	Patch []PatchOp
	// Step, when not "", sets the current step. (A step cannot be unset.)
	Step string
	// Label, when not nil, sets the label; ClearLabel removes it. Setting both is
	// ErrInvalidArgument.
	Label      *string
	ClearLabel bool
	// Checkpoint, when not nil, records an undo checkpoint of the session as it was
	// before this edit, only if the edit changes something, exactly as CheckpointWith
	// does with the same options (so it may merge into a run of keystrokes).
	Checkpoint *CheckpointOptions
	// NoCreate makes the edit fail with ErrNotFound when the session does not exist,
	// instead of creating it.
	NoCreate bool
}

// ApplyResult is what Apply did. The JSON tags are the C API's field names.
type ApplyResult struct {
	// Revision is the session's revision after the edit.
	Revision int64 `json:"revision"`
	// Changed is false when the edit left state, step and label as they were (and did
	// not create the session): then no revision was taken, updated_at is unchanged and
	// no checkpoint was pushed.
	Changed bool `json:"changed"`
}

// toJSON gives the C API's edit_json, holding only the members the edit sets.
func (e Edit) toJSON() ([]byte, error) {
	if e.Label != nil && e.ClearLabel {
		return nil, newError(StatusInvalidArgument, "edit sets both Label and ClearLabel")
	}
	var c struct {
		ExpectRevision *int64     `json:"expect_revision,omitempty"`
		Patch          []any      `json:"patch,omitempty"`
		Step           string     `json:"step,omitempty"`
		Label          **string   `json:"label,omitempty"` // pointing to nil: null
		Checkpoint     *cpOptions `json:"checkpoint,omitempty"`
		Create         *bool      `json:"create,omitempty"`
	}
	c.ExpectRevision, c.Step = e.ExpectRevision, e.Step
	// encoding/json would replace invalid UTF-8 with U+FFFD: refuse it, naming the
	// field, as for every other string this package sends.
	type text struct {
		name  string
		value *string
	}
	texts := []text{{"edit.Step", &e.Step}, {"edit.Label", e.Label}}
	if e.Label != nil {
		c.Label = &e.Label
	} else if e.ClearLabel {
		var none *string
		c.Label = &none
	}
	for _, t := range texts {
		if t.value == nil {
			continue
		}
		if err := checkUTF8(t.name, *t.value); err != nil {
			return nil, err
		}
	}
	if e.Checkpoint != nil {
		checkpoint, err := e.Checkpoint.wire("edit.Checkpoint")
		if err != nil {
			return nil, err
		}
		c.Checkpoint = checkpoint
	}
	for i, op := range e.Patch {
		wire, err := op.wire(fmt.Sprintf("edit.Patch[%d]", i))
		if err != nil {
			return nil, err
		}
		c.Patch = append(c.Patch, wire)
	}
	if e.NoCreate {
		create := false
		c.Create = &create
	}
	return encodeJSON("edit", &c)
}

// Apply applies edit to the session in one transaction and returns the session's
// revision after it and whether it changed anything.
//
// Errors, each with nothing written: ErrConflict (ExpectRevision did not hold, the
// message saying which revision was found; or the patch does not fit the state);
// ErrInvalidJSON (a malformed patch: unknown op, bad pointer; a Checkpoint.Meta
// json.RawMessage that is not JSON); ErrInvalidArgument (a negative ExpectRevision,
// Label with ClearLabel, a Value or Checkpoint.Meta encoding/json cannot encode,
// invalid UTF-8, a NUL character in Step or a label, a Checkpoint that CheckpointWith
// would refuse); ErrNotFound (NoCreate and no such session); ErrCorrupt (the stored
// state is not strict JSON).
func (s *Store) Apply(flow, session string, edit Edit) (ApplyResult, error) {
	text, err := edit.toJSON()
	if err != nil {
		return ApplyResult{}, err
	}
	return s.ApplyJSON(flow, session, text)
}

// ApplyJSON is Apply taking the C API's edit_json as JSON text: an object with any of
// "expect_revision", "patch", "step", "label", "checkpoint" and "create" (see ws_apply
// in workflow_state.h). ErrInvalidJSON when it is not an object, ErrInvalidArgument for
// an unknown member or a member of the wrong type.
func (s *Store) ApplyJSON(flow, session string, edit json.RawMessage) (ApplyResult, error) {
	var a cArgs
	f, id, e := a.str("flow_id", flow), a.str("session_id", session), a.json("edit_json", edit)
	var out *C.char
	if err := s.call(&a, func(h *C.ws_store) C.ws_status { return C.ws_apply(h, f, id, e, &out) }); err != nil {
		return ApplyResult{}, err
	}
	var result ApplyResult
	err := decodeValue(takeJSON(out), &result, "the result of the edit")
	return result, err
}
