package workflowstate

import (
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

// openMemory opens a private in-memory store, closed when the test ends.
func openMemory(t *testing.T) *Store {
	t.Helper()
	s, err := Open(":memory:")
	if err != nil {
		t.Fatalf("Open(:memory:): %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// tempPath is a database path in the test's own temporary directory.
func tempPath(t *testing.T, name string) string {
	return filepath.Join(t.TempDir(), name)
}

// openPath opens a store on a file, closed when the test ends.
func openPath(t *testing.T, path string, opts Options) *Store {
	t.Helper()
	s, err := OpenWith(path, opts)
	if err != nil {
		t.Fatalf("OpenWith(%q, %+v): %v", path, opts, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func ok(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("unexpected error: %v", err)
	}
}

// fails checks that err is an *Error matching sentinel whose message contains each of
// parts, and returns it.
func fails(t *testing.T, err error, sentinel error, parts ...string) *Error {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want %v", sentinel)
	}
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not an *Error", err, err)
	}
	if !errors.Is(err, sentinel) {
		t.Fatalf("error %v does not match %v", err, sentinel)
	}
	for _, part := range parts {
		if !strings.Contains(e.Message, part) {
			t.Fatalf("message %q does not contain %q", e.Message, part)
		}
	}
	return e
}

// stateJSON returns the session's state text.
func stateJSON(t *testing.T, s *Store, flow, session string) string {
	t.Helper()
	text, err := s.GetStateJSON(flow, session)
	ok(t, err)
	return string(text)
}

func wantJSON(t *testing.T, what string, got json.RawMessage, want string) {
	t.Helper()
	if string(got) != want {
		t.Fatalf("%s = %s, want %s", what, got, want)
	}
}

func strPtr(s string) *string { return &s }

// method is one Store method taking a session, for the tests that must hold for every
// such method. The third argument goes to the step id or label the method takes.
type method struct {
	name  string
	third string // the C name of the parameter that gets the third argument, if any
	write bool   // the method writes to the database
	call  func(s *Store, flow, session, third string) error
}

var methods = []method{
	{"GetCurrentStep", "", false, func(s *Store, f, id, _ string) error { _, _, err := s.GetCurrentStep(f, id); return err }},
	{"SetCurrentStep", "step_id", true, func(s *Store, f, id, st string) error { return s.SetCurrentStep(f, id, st) }},
	{"GetState", "", false, func(s *Store, f, id, _ string) error { _, err := s.GetState(f, id); return err }},
	{"GetStateJSON", "", false, func(s *Store, f, id, _ string) error { _, err := s.GetStateJSON(f, id); return err }},
	{"UpdateState", "", true, func(s *Store, f, id, _ string) error { return s.UpdateState(f, id, map[string]any{"k": 1}) }},
	{"UpdateStateJSON", "", true, func(s *Store, f, id, _ string) error { return s.UpdateStateJSON(f, id, json.RawMessage(`{"k":1}`)) }},
	{"ClearState", "", true, func(s *Store, f, id, _ string) error { return s.ClearState(f, id) }},
	{"GetStepState", "step_id", false, func(s *Store, f, id, st string) error { _, err := s.GetStepState(f, id, st); return err }},
	{"GetStepStateJSON", "step_id", false, func(s *Store, f, id, st string) error { _, err := s.GetStepStateJSON(f, id, st); return err }},
	{"UpdateStepState", "step_id", true, func(s *Store, f, id, st string) error {
		return s.UpdateStepState(f, id, st, map[string]any{"k": 1})
	}},
	{"UpdateStepStateJSON", "step_id", true, func(s *Store, f, id, st string) error {
		return s.UpdateStepStateJSON(f, id, st, json.RawMessage(`{"k":1}`))
	}},
	{"ClearStepState", "step_id", true, func(s *Store, f, id, st string) error { return s.ClearStepState(f, id, st) }},
	{"CreateSession", "label", true, func(s *Store, f, id, l string) error { _, err := s.CreateSession(f, id, l); return err }},
	{"SessionExists", "", false, func(s *Store, f, id, _ string) error { _, err := s.SessionExists(f, id); return err }},
	{"GetSessionSummary", "", false, func(s *Store, f, id, _ string) error { _, err := s.GetSessionSummary(f, id); return err }},
	{"SetSessionLabel", "label", true, func(s *Store, f, id, l string) error { return s.SetSessionLabel(f, id, &l) }},
	{"DeleteSession", "", true, func(s *Store, f, id, _ string) error { return s.DeleteSession(f, id) }},
	{"HistoryPush", "", true, func(s *Store, f, id, _ string) error { return s.HistoryPush(f, id, map[string]any{"k": 1}) }},
	{"HistoryPop", "", true, func(s *Store, f, id, _ string) error { _, _, err := s.HistoryPop(f, id); return err }},
	{"HistoryPeek", "", false, func(s *Store, f, id, _ string) error { _, _, err := s.HistoryPeek(f, id); return err }},
	{"HistoryLen", "", false, func(s *Store, f, id, _ string) error { _, err := s.HistoryLen(f, id); return err }},
	{"HistoryClear", "", true, func(s *Store, f, id, _ string) error { return s.HistoryClear(f, id) }},
	{"Checkpoint", "label", true, func(s *Store, f, id, l string) error { return s.Checkpoint(f, id, l) }},
	{"Undo", "", true, func(s *Store, f, id, _ string) error { _, err := s.Undo(f, id); return err }},
	{"Redo", "", true, func(s *Store, f, id, _ string) error { _, err := s.Redo(f, id); return err }},
	{"UndoStatus", "", false, func(s *Store, f, id, _ string) error { _, err := s.UndoStatus(f, id); return err }},
	{"CheckpointWith", "", true, func(s *Store, f, id, _ string) error {
		return s.CheckpointWith(f, id, &CheckpointOptions{MergeKey: "k", Meta: 1})
	}},
	{"UndoWith", "", true, func(s *Store, f, id, _ string) error { _, err := s.UndoWith(f, id); return err }},
	{"RedoWith", "", true, func(s *Store, f, id, _ string) error { _, err := s.RedoWith(f, id); return err }},
	// SetClean needs the session: it marks the present state of an existing one.
	{"SetClean", "", true, func(s *Store, f, id, _ string) error {
		if err := s.SetClean(f, id); !errors.Is(err, ErrNotFound) {
			return err
		}
		if err := s.UpdateState(f, id, map[string]any{}); err != nil {
			return err
		}
		return s.SetClean(f, id)
	}},
	{"Revision", "", false, func(s *Store, f, id, _ string) error { _, err := s.Revision(f, id); return err }},
	{"GetSession", "", false, func(s *Store, f, id, _ string) error { _, err := s.GetSession(f, id); return err }},
	{"GetSessionJSON", "", false, func(s *Store, f, id, _ string) error { _, err := s.GetSessionJSON(f, id); return err }},
	{"Apply", "", true, func(s *Store, f, id, _ string) error {
		_, err := s.Apply(f, id, Edit{Patch: []PatchOp{{Op: "add", Path: "/k", Value: 1}}})
		return err
	}},
	{"ApplyJSON", "", true, func(s *Store, f, id, _ string) error {
		_, err := s.ApplyJSON(f, id, json.RawMessage(`{"step":"x"}`))
		return err
	}},
}
