package workflowstate

/*
#include "workflow_state.h"
*/
import "C"

// Export returns one JSON document holding sessions with their history, undo and redo
// stacks and clean marks (the format is in the header's text for ws_export): every
// session of the file (flow and session ""), every session of flow (session ""), or
// the one session of flow. It reads one snapshot of the file. ErrNotFound when the one
// session asked for does not exist; ErrInvalidArgument for a session without a flow;
// ErrCorrupt when a stored text of a session is one Import would refuse (the message
// names it).
func (s *Store) Export(flow, session string) (string, error) {
	var a cArgs
	f, id := a.optStr("flow_id", flow), a.optStr("session_id", session)
	var out *C.char
	err := s.call(&a, func(h *C.ws_store) C.ws_status { return C.ws_export(h, f, id, &out) })
	doc, _ := takeString(out)
	return doc, err
}

// Import writes the sessions of a document Export wrote, in one transaction: each gets
// the document's label, current step, state (byte for byte), timestamps, stacks and clean
// mark, and a new revision. The whole document is checked first: a document that is not
// an export of format version 1, or holds a member of the wrong type or value, is
// ErrInvalidArgument naming its path (ErrInvalidJSON when it is not a JSON object), and
// nothing is written. Without replace, a session of the document that exists is
// ErrAlreadyExists and nothing is written; with it, each such session is replaced whole.
// Sessions the document does not hold are left alone.
func (s *Store) Import(doc string, replace bool) error {
	var a cArgs
	d := a.json("export_json", []byte(doc))
	return s.call(&a, func(h *C.ws_store) C.ws_status { return C.ws_import(h, d, C.bool(replace)) })
}
