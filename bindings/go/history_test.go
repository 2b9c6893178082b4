package workflowstate

import (
	"encoding/json"
	"reflect"
	"testing"
)

func TestHistoryStack(t *testing.T) {
	s := openMemory(t)
	snapshot, found, err := s.HistoryPop("f", "s")
	ok(t, err)
	if found || snapshot != nil {
		t.Fatalf("pop of an empty stack: %s, %v", snapshot, found)
	}
	if _, found, err := s.HistoryPeek("f", "s"); err != nil || found {
		t.Fatalf("peek of an empty stack: %v, %v", found, err)
	}

	ok(t, s.HistoryPush("f", "s", map[string]any{"step": "a", "n": 1}))
	ok(t, s.HistoryPush("f", "s", []string{"x", "y"}))
	ok(t, s.HistoryPush("f", "s", json.RawMessage(` {"raw" : true} `)))
	ok(t, s.HistoryPush("f", "s", nil))
	n, err := s.HistoryLen("f", "s")
	ok(t, err)
	if n != 4 {
		t.Fatalf("HistoryLen = %d, want 4", n)
	}
	if exists, _ := s.SessionExists("f", "s"); !exists {
		t.Fatal("HistoryPush did not create the session")
	}

	snapshot, found, err = s.HistoryPeek("f", "s")
	ok(t, err)
	if !found {
		t.Fatal("peek found nothing")
	}
	wantJSON(t, "peek", snapshot, `null`)
	for _, want := range []string{`null`, `{"raw":true}`, `["x","y"]`, `{"n":1,"step":"a"}`} {
		snapshot, found, err = s.HistoryPop("f", "s")
		ok(t, err)
		if !found {
			t.Fatalf("pop found nothing, want %s", want)
		}
		wantJSON(t, "pop", snapshot, want)
	}
	if n, _ := s.HistoryLen("f", "s"); n != 0 {
		t.Fatalf("HistoryLen after popping all = %d", n)
	}

	ok(t, s.HistoryPush("f", "s", 1))
	ok(t, s.HistoryClear("f", "s"))
	if n, _ := s.HistoryLen("f", "s"); n != 0 {
		t.Fatalf("HistoryLen after HistoryClear = %d", n)
	}

	fails(t, s.HistoryPush("f", "s", make(chan int)), ErrInvalidArgument, "snapshot cannot be encoded as JSON")
	fails(t, s.HistoryPush("f", "s", json.RawMessage(`{`)), ErrInvalidJSON, "snapshot_json is not valid JSON")
	fails(t, s.HistoryPush("f", "s", json.RawMessage("1\x00 2")), ErrInvalidJSON, "snapshot_json is not valid JSON: NUL byte at offset 1")
	fails(t, s.HistoryPush("f", "s", map[string]any{"k": "\xff"}), ErrInvalidArgument, "not valid UTF-8")
	if n, _ := s.HistoryLen("f", "s"); n != 0 {
		t.Fatalf("refused pushes left %d entries", n)
	}
	_, err = s.HistoryLen("f", "")
	fails(t, err, ErrInvalidArgument, "session_id must not be empty")
	fails(t, s.HistoryClear("", "s"), ErrInvalidArgument, "flow_id must not be empty")
}

func TestUndoRedo(t *testing.T) {
	s := openMemory(t)
	done, err := s.Undo("f", "s")
	ok(t, err)
	if done {
		t.Fatal("Undo with nothing to undo reported done")
	}
	status, err := s.UndoStatus("f", "s")
	ok(t, err)
	if !reflect.DeepEqual(status, UndoStatus{}) { // the meta fields nil, not "null"
		t.Fatalf("status of a new session = %+v", status)
	}

	ok(t, s.SetCurrentStep("f", "s", "one"))
	ok(t, s.UpdateState("f", "s", map[string]any{"text": "a"}))
	ok(t, s.Checkpoint("f", "s", "Typing"))
	ok(t, s.SetCurrentStep("f", "s", "two"))
	ok(t, s.UpdateState("f", "s", map[string]any{"text": "ab"}))
	ok(t, s.Checkpoint("f", "s", ""))
	ok(t, s.UpdateState("f", "s", map[string]any{"text": "abc"}))

	status, err = s.UndoStatus("f", "s")
	ok(t, err)
	if status.UndoDepth != 2 || status.RedoDepth != 0 || status.UndoLabel != nil || status.RedoLabel != nil {
		t.Fatalf("status = %+v", status)
	}

	for _, want := range []string{`{"text":"ab"}`, `{"text":"a"}`} {
		done, err = s.Undo("f", "s")
		ok(t, err)
		if !done || stateJSON(t, s, "f", "s") != want {
			t.Fatalf("after undo: done %v, state %s, want %s", done, stateJSON(t, s, "f", "s"), want)
		}
	}
	if step, _, _ := s.GetCurrentStep("f", "s"); step != "one" {
		t.Fatalf("undo restored step %q, want one", step)
	}
	status, err = s.UndoStatus("f", "s")
	ok(t, err)
	if status.UndoDepth != 0 || status.RedoDepth != 2 || status.RedoLabel == nil || *status.RedoLabel != "Typing" {
		t.Fatalf("status after two undos = %+v", status)
	}
	if done, _ := s.Undo("f", "s"); done {
		t.Fatal("a third undo reported done")
	}

	done, err = s.Redo("f", "s")
	ok(t, err)
	if !done || stateJSON(t, s, "f", "s") != `{"text":"ab"}` {
		t.Fatalf("after redo: done %v, state %s", done, stateJSON(t, s, "f", "s"))
	}
	ok(t, s.Checkpoint("f", "s", "new edit"))
	status, _ = s.UndoStatus("f", "s")
	if status.RedoDepth != 0 || status.UndoLabel == nil || *status.UndoLabel != "new edit" {
		t.Fatalf("a checkpoint did not empty the redo stack: %+v", status)
	}
	if done, _ := s.Redo("f", "s"); done {
		t.Fatal("redo after a new checkpoint reported done")
	}

	fails(t, s.Checkpoint("f", "s", "a\x00b"), ErrInvalidArgument, "label contains a NUL byte")
	fails(t, s.Checkpoint("f", "", "x"), ErrInvalidArgument, "session_id must not be empty")
	_, err = s.Undo("f:", "s")
	fails(t, err, ErrInvalidArgument, "must not contain ':'")
	_, err = s.Redo("f", "")
	fails(t, err, ErrInvalidArgument, "session_id must not be empty")
	_, err = s.UndoStatus("", "s")
	fails(t, err, ErrInvalidArgument, "flow_id must not be empty")
}

func TestJSONHistoryPushAndPop(t *testing.T) {
	history, err := JSONHistoryPush(nil, map[string]any{"a": 1}, DefaultMaxHistoryDepth)
	ok(t, err)
	wantJSON(t, "push onto nil", history, `[{"a":1}]`)
	history, err = JSONHistoryPush(history, json.RawMessage(`2`), 2)
	ok(t, err)
	history, err = JSONHistoryPush(history, "three", 2)
	ok(t, err)
	wantJSON(t, "push beyond max depth", history, `[2,"three"]`)

	snapshot, found, rest, err := JSONHistoryPop(history)
	ok(t, err)
	if !found {
		t.Fatal("pop found nothing")
	}
	wantJSON(t, "popped", snapshot, `"three"`)
	wantJSON(t, "rest", rest, `[2]`)
	snapshot, found, rest, err = JSONHistoryPop(json.RawMessage(`[]`))
	ok(t, err)
	if found || snapshot != nil {
		t.Fatalf("pop of [] found %s", snapshot)
	}
	wantJSON(t, "rest of []", rest, `[]`)

	for _, depth := range []int{0, -1} {
		_, err = JSONHistoryPush(nil, 1, depth)
		fails(t, err, ErrInvalidArgument, "max_depth")
	}
	_, err = JSONHistoryPush(json.RawMessage(`{}`), 1, 5)
	fails(t, err, ErrInvalidJSON, "history_json")
	_, err = JSONHistoryPush(nil, make(chan int), 5)
	fails(t, err, ErrInvalidArgument, "snapshot cannot be encoded")
	_, _, _, err = JSONHistoryPop(json.RawMessage(`{}`))
	fails(t, err, ErrInvalidJSON, "history_json")
	_, _, _, err = JSONHistoryPop(json.RawMessage("[1]\x00[2]"))
	fails(t, err, ErrInvalidJSON, "history_json is not valid JSON: NUL byte at offset 3")
	_, _, _, err = JSONHistoryPop(nil)
	fails(t, err, ErrInvalidJSON, "history_json")
}
