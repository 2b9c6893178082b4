package workflowstate

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// seenSession is what a user sees of a session but for its revision, which an import
// renews.
func seenSession(t *testing.T, s *Store, flow, session string) []any {
	t.Helper()
	got, err := s.GetSession(flow, session)
	ok(t, err)
	if got == nil {
		t.Fatalf("session %q of flow %q does not exist", session, flow)
	}
	got.Revision = 0
	status, err := s.UndoStatus(flow, session)
	ok(t, err)
	n, err := s.HistoryLen(flow, session)
	ok(t, err)
	peek, _, err := s.HistoryPeek(flow, session)
	ok(t, err)
	return []any{*got, stateJSON(t, s, flow, session), status, n, string(peek)}
}

func TestExportImport(t *testing.T) {
	source := openPath(t, tempPath(t, "source.db"), Options{})
	_, err := source.CreateSession("f", "a", "Draft é")
	ok(t, err)
	ok(t, source.HistoryPush("f", "a", json.RawMessage(`[1, 2.50]`)))
	for i, label := range []string{"one", "two", "three"} {
		ok(t, source.UpdateState("f", "a", map[string]any{"v": i}))
		ok(t, source.CheckpointWith("f", "a", &CheckpointOptions{Label: strPtr(label), Meta: map[string]any{"cursor": i}}))
		if i == 1 {
			ok(t, source.SetClean("f", "a"))
		}
	}
	ok(t, source.UpdateState("f", "a", map[string]any{"v": 3}))
	if done, err := source.Undo("f", "a"); !done || err != nil {
		t.Fatalf("Undo: %v, %v", done, err)
	}
	ok(t, source.UpdateState("g", "b", map[string]any{"b": true}))

	doc, err := source.Export("", "")
	ok(t, err)
	if !strings.HasPrefix(doc, `{"format":"workflow_state.export","version":1,"sessions":[{"flow_id":"f","session_id":"a"`) {
		t.Fatalf("Export: %s", doc)
	}
	one, err := source.Export("g", "b")
	ok(t, err)
	flow, err := source.Export("g", "")
	ok(t, err)
	if one != flow || strings.Contains(one, `"flow_id":"f"`) {
		t.Fatalf("Export(g, b) %s, Export(g) %s", one, flow)
	}

	target := openPath(t, tempPath(t, "target.db"), Options{})
	ok(t, target.Import(doc, false))
	for _, key := range [][2]string{{"f", "a"}, {"g", "b"}} {
		if got, want := seenSession(t, target, key[0], key[1]), seenSession(t, source, key[0], key[1]); !reflect.DeepEqual(got, want) {
			t.Fatalf("%s:%s imported %+v, source %+v", key[0], key[1], got, want)
		}
	}
	imported := seenSession(t, target, "f", "a")
	// Every undo and redo step goes as in the source, to the clean mark and back.
	clean := false
	for _, undo := range []bool{true, false} {
		for {
			step := func(s *Store) UndoResult {
				travel := s.RedoWith
				if undo {
					travel = s.UndoWith
				}
				r, err := travel("f", "a")
				ok(t, err)
				r.Revision = 0
				return r
			}
			want, got := step(source), step(target)
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("undo %v: imported %+v, source %+v", undo, got, want)
			}
			// An undo or redo sets updated_at to now: the two stores' may fall in two seconds.
			g, w := seenSession(t, target, "f", "a"), seenSession(t, source, "f", "a")
			gs, ws := g[0].(Session), w[0].(Session)
			gs.UpdatedAt, ws.UpdatedAt = "", ""
			g[0], w[0] = gs, ws
			if !reflect.DeepEqual(g, w) {
				t.Fatalf("after a step: imported %+v, source %+v", g, w)
			}
			status, _ := target.UndoStatus("f", "a")
			clean = clean || status.Clean
			if !want.Done {
				break
			}
		}
	}
	if !clean {
		t.Fatal("the clean mark did not come along")
	}

	before, _ := target.LatestSeq()
	fails(t, target.Import(doc, false), ErrAlreadyExists,
		`session "a" of flow "f" (sessions[0]) already exists: import with replace to overwrite it, or delete it first; nothing was imported`)
	ok(t, target.UpdateState("f", "a", map[string]any{"changed": true}))
	ok(t, target.Import(doc, true))
	if got := seenSession(t, target, "f", "a"); !reflect.DeepEqual(got, imported) {
		t.Fatalf("replaced %+v, first imported %+v", got, imported)
	}

	after, _ := target.LatestSeq()
	fails(t, source.Import("[]", true), ErrInvalidJSON, "export_json must be a JSON object, got an array")
	fails(t, target.Import(`{"format":"workflow_state.export","version":2,"sessions":[]}`, true), ErrInvalidArgument,
		"version 2 is newer than this library reads (1): upgrade workflow_state")
	fails(t, target.Import(strings.Replace(doc, `"undo":[{"label":"one"`, `"undo":[{"label":1`, 1), true), ErrInvalidArgument,
		"sessions[0].undo[0].label must be a string or null, got 1")
	fails(t, target.Import("{\x00}", true), ErrInvalidJSON, "export_json is not valid JSON: NUL byte at offset 1")
	if now, _ := target.LatestSeq(); now != after || after <= before {
		t.Fatalf("latest change number %d before the refusals, %d after (%d before the replace)", after, now, before)
	}
	_, err = source.Export("", "a")
	fails(t, err, ErrInvalidArgument, "session_id is given but flow_id is NULL")
	_, err = source.Export("f", "nope")
	fails(t, err, ErrNotFound, `session "nope" of flow "f" does not exist: there is nothing to export`)
}
