package workflowstate

/*
#include "workflow_state.h"
*/
import "C"

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"
)

// DefaultMergeWindow is how long after a merging checkpoint's entry was made the next
// checkpoint with the same MergeKey still merges into it, when
// CheckpointOptions.MergeWindow is zero (the C API's WS_DEFAULT_MERGE_WINDOW_MS).
const DefaultMergeWindow = 1000 * time.Millisecond

// Compiles only while DefaultMergeWindow equals the C header's value.
var (
	_ [DefaultMergeWindow/time.Millisecond - C.WS_DEFAULT_MERGE_WINDOW_MS]struct{}
	_ [C.WS_DEFAULT_MERGE_WINDOW_MS - DefaultMergeWindow/time.Millisecond]struct{}
)

// CheckpointOptions describes an undo checkpoint, for CheckpointWith and for
// Edit.Checkpoint. The zero value is an unlabelled checkpoint that never merges and
// carries no meta.
type CheckpointOptions struct {
	// Label is the checkpoint's label for "Undo ..." menu items; nil for none.
	Label *string
	// MergeKey, when not "", makes a run of checkpoints one undo step (a run of
	// keystrokes, the drags of one slider): a checkpoint with the same MergeKey as the
	// newest undo entry, made less than MergeWindow after that entry and with nothing
	// to redo, pushes nothing. An undo, a redo, SetClean, or a checkpoint without this
	// key ends the run.
	MergeKey string
	// MergeWindow is how long the run may last, measured from the checkpoint that
	// started it by the clocks of the processes that make them: zero means
	// DefaultMergeWindow. It is rounded up to whole milliseconds and may be at most
	// 2147483647 ms; a negative value, or a MergeWindow without a MergeKey, is an
	// ErrInvalidArgument error.
	MergeWindow time.Duration
	// Meta is stored with the entry and handed back by UndoWith and RedoWith (and shown
	// by UndoStatus), for what an editor restores besides the state: a cursor, a
	// selection, who made the change. It is any value encoding/json encodes; a
	// json.RawMessage is stored as the JSON text it holds (compacted). nil stores no
	// meta (as does JSON null).
	Meta any
}

// cpOptions is CheckpointOptions as the C API spells it: the label always present, so
// that a nil Label is an explicit null.
type cpOptions struct {
	Label         *string         `json:"label"`
	MergeKey      string          `json:"merge_key,omitempty"`
	MergeWindowMS *int64          `json:"merge_window_ms,omitempty"`
	Meta          json.RawMessage `json:"meta,omitempty"`
}

// wire gives the options as the C API spells them; name ("opts", "edit.Checkpoint")
// prefixes the field named in an error.
func (o *CheckpointOptions) wire(name string) (*cpOptions, error) {
	c := &cpOptions{Label: o.Label, MergeKey: o.MergeKey}
	// encoding/json would replace invalid UTF-8 with U+FFFD: refuse it, naming the
	// field, as for every other string this package sends.
	if o.Label != nil {
		if err := checkUTF8(name+".Label", *o.Label); err != nil {
			return nil, err
		}
	}
	if err := checkUTF8(name+".MergeKey", o.MergeKey); err != nil {
		return nil, err
	}
	if o.MergeWindow < 0 {
		return nil, newError(StatusInvalidArgument, fmt.Sprintf("%s.MergeWindow must not be negative, got %v", name, o.MergeWindow))
	}
	if o.MergeWindow > 0 {
		// Rounded up, so that a short positive window never means 0 ms (never merge).
		ms := int64((o.MergeWindow + time.Millisecond - 1) / time.Millisecond)
		c.MergeWindowMS = &ms
	}
	if raw, ok := o.Meta.(json.RawMessage); ok {
		if raw != nil && !json.Valid(raw) {
			return nil, newError(StatusInvalidJSON, name+".Meta is not valid JSON")
		}
		c.Meta = raw
	} else if o.Meta != nil {
		text, err := encodeJSON(name+".Meta", o.Meta)
		if err != nil {
			return nil, err
		}
		c.Meta = text
	}
	return c, nil
}

// toJSON gives the C API's checkpoint_json.
func (o *CheckpointOptions) toJSON(name string) ([]byte, error) {
	wire, err := o.wire(name)
	if err != nil {
		return nil, err
	}
	return encodeJSON(name, wire)
}

// CheckpointWith records a checkpoint as Checkpoint does, with what an editor needs
// besides: a MergeKey that makes a run of checkpoints one undo step, and Meta handed
// back on undo and redo (see CheckpointOptions). nil opts is CheckpointOptions{}.
//
// Unlike Checkpoint, it pushes nothing when the session's state and current step
// equal those of the newest undo entry, so a checkpoint before an edit that turns out
// to change nothing does not add an empty undo step. A checkpoint that pushes nothing
// takes no revision; one that pushes takes one and empties the redo stack. It leaves
// UndoStatus.Clean as it was.
//
// Errors, each with nothing written: ErrInvalidArgument (a negative MergeWindow, a
// MergeWindow without MergeKey or above 2147483647 ms, invalid UTF-8 or a NUL
// character in Label or MergeKey, a Meta encoding/json cannot encode); ErrInvalidJSON
// (a Meta json.RawMessage that is not JSON).
func (s *Store) CheckpointWith(flow, session string, opts *CheckpointOptions) error {
	var a cArgs
	f, id := a.str("flow_id", flow), a.str("session_id", session)
	var cp *C.char
	if opts != nil {
		text, err := opts.toJSON("opts")
		if err != nil && a.err == nil {
			a.err = err
		}
		cp = a.json("checkpoint_json", text)
	}
	return s.call(&a, func(h *C.ws_store) C.ws_status { return C.ws_checkpoint_with(h, f, id, cp) })
}

// UndoResult is what UndoWith or RedoWith did. The JSON tags are the C API's field
// names.
type UndoResult struct {
	// Done is false when there was nothing to undo (or redo): then nothing changed,
	// Label and Meta are nil and Revision is the session's unchanged revision.
	Done bool `json:"done"`
	// Label is the label of the entry undone or redone; nil when it has none.
	Label *string `json:"label"`
	// Meta is the CheckpointOptions.Meta of the entry undone or redone, as compact JSON
	// text; nil when it has none. It moves with its entry, so a redo returns the meta
	// the undo before it returned.
	Meta json.RawMessage `json:"meta"`
	// Revision is the session's revision after the call.
	Revision int64 `json:"revision"`
}

// UndoWith undoes as Undo does and says what it undid: the label and meta of the
// checkpoint restored, so that the application can restore a cursor or a selection.
// ErrCorrupt when the entry's meta, written by another program, is not JSON (nothing
// is then changed).
func (s *Store) UndoWith(flow, session string) (UndoResult, error) {
	return s.travel(flow, session, "the undo's result", func(h *C.ws_store, f, id *C.char, out **C.char) C.ws_status {
		return C.ws_undo_with(h, f, id, out)
	})
}

// RedoWith redoes as Redo does and says what it redid, as UndoWith: the label and meta
// are those of the checkpoint that was undone.
func (s *Store) RedoWith(flow, session string) (UndoResult, error) {
	return s.travel(flow, session, "the redo's result", func(h *C.ws_store, f, id *C.char, out **C.char) C.ws_status {
		return C.ws_redo_with(h, f, id, out)
	})
}

// travel runs ws_undo_with or ws_redo_with and decodes its result.
func (s *Store) travel(flow, session, what string, f func(h *C.ws_store, f, id *C.char, out **C.char) C.ws_status) (UndoResult, error) {
	var a cArgs
	cFlow, cID := a.str("flow_id", flow), a.str("session_id", session)
	var out *C.char
	if err := s.call(&a, func(h *C.ws_store) C.ws_status { return f(h, cFlow, cID, &out) }); err != nil {
		return UndoResult{}, err
	}
	var result UndoResult
	err := decodeValue(takeJSON(out), &result, what)
	result.Meta = nullToNil(result.Meta)
	return result, err
}

// SetClean marks the session's present state as the saved one (say, after writing it
// to a file): UndoStatus.Clean is then true exactly while undo and redo have brought
// the session back to this state. Any edit (by any program on the file) makes it
// false, an undo or redo back to this state true again; once the entry holding the
// state is trimmed, or discarded with the redo stack, it stays false until the next
// SetClean. The mark is kept in the file. It ends a merge run, so that an undo never
// steps across the saved state. It takes a revision unless the present state was
// marked already. ErrNotFound when the session does not exist.
func (s *Store) SetClean(flow, session string) error {
	var a cArgs
	f, id := a.str("flow_id", flow), a.str("session_id", session)
	return s.call(&a, func(h *C.ws_store) C.ws_status { return C.ws_set_clean(h, f, id) })
}

// nullToNil makes a decoded JSON null nil: encoding/json hands a json.RawMessage the
// text "null" rather than leaving it nil.
func nullToNil(raw json.RawMessage) json.RawMessage {
	if bytes.Equal(raw, []byte("null")) {
		return nil
	}
	return raw
}
