package workflowstate

import (
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
)

func TestRevisionAndGetSession(t *testing.T) {
	s := openMemory(t)
	rev, err := s.Revision("f", "s")
	ok(t, err)
	session, err := s.GetSession("f", "s")
	ok(t, err)
	raw, err := s.GetSessionJSON("f", "s")
	ok(t, err)
	if rev != 0 || session != nil || raw != nil {
		t.Fatalf("absent session: revision %d, session %+v, JSON %s", rev, session, raw)
	}

	ok(t, s.UpdateStateJSON("f", "s", json.RawMessage(`{"z":1180591620717411303424,"a":{"list":[0.1]}}`)))
	ok(t, s.SetCurrentStep("f", "s", "review"))
	ok(t, s.SetSessionLabel("f", "s", strPtr("Draft")))
	rev, err = s.Revision("f", "s")
	ok(t, err)
	if rev != 3 { // a fresh store: three changes, three numbers
		t.Fatalf("revision after three changes = %d, want 3", rev)
	}
	session, err = s.GetSession("f", "s")
	ok(t, err)
	if session.FlowID != "f" || session.SessionID != "s" || session.Revision != rev ||
		session.Label == nil || *session.Label != "Draft" || session.CurrentStep == nil || *session.CurrentStep != "review" {
		t.Fatalf("session = %+v", session)
	}
	if session.State["z"] != json.Number("1180591620717411303424") ||
		session.State["a"].(map[string]any)["list"].([]any)[0] != json.Number("0.1") {
		t.Fatalf("state = %#v, want exact json.Numbers", session.State)
	}
	summary, err := s.GetSessionSummary("f", "s")
	ok(t, err)
	if session.CreatedAt != summary.CreatedAt || session.UpdatedAt != summary.UpdatedAt || len(session.CreatedAt) != len("2006-01-02 15:04:05") {
		t.Fatalf("timestamps %q, %q; summary has %q, %q", session.CreatedAt, session.UpdatedAt, summary.CreatedAt, summary.UpdatedAt)
	}
	raw, err = s.GetSessionJSON("f", "s")
	ok(t, err)
	want := fmt.Sprintf(`{"flow_id":"f","session_id":"s","label":"Draft","current_step":"review","state":{"z":1180591620717411303424,"a":{"list":[0.1]}},"revision":3,"created_at":%q,"updated_at":%q}`,
		session.CreatedAt, session.UpdatedAt)
	wantJSON(t, "GetSessionJSON", raw, want)

	// A revision is never reused: deleting takes a number, re-creating a larger one.
	ok(t, s.DeleteSession("f", "s"))
	if rev, err := s.Revision("f", "s"); err != nil || rev != 0 {
		t.Fatalf("deleted session: revision %d, %v", rev, err)
	}
	ok(t, s.UpdateState("f", "s", map[string]any{}))
	if again, err := s.Revision("f", "s"); err != nil || again != 5 {
		t.Fatalf("re-created session: revision %d, %v; want 5", again, err)
	}
}

func TestApplyRoundTrip(t *testing.T) {
	s := openMemory(t)
	ok(t, s.UpdateStateJSON("f", "s", json.RawMessage(`{"doc":{"title":"A","tags":["x"]},"n":1}`)))
	before, err := s.GetSession("f", "s")
	ok(t, err)

	edit := Edit{
		ExpectRevision: &before.Revision,
		Patch: []PatchOp{
			{Op: "replace", Path: "/doc/title", Value: "B"},
			{Op: "add", Path: "/doc/tags/-", Value: "<y>"},
			{Op: "merge", Path: "/doc", Value: map[string]any{"by": "ada"}},
			{Op: "remove", Path: "/n"},
			{Op: "copy", From: "/doc/title", Path: "/title"},
			{Op: "test", Path: "/title", Value: "B"},
		},
		Step:       "review",
		Label:      strPtr("Draft"),
		Checkpoint: &CheckpointOptions{Label: strPtr("Edit title")},
	}
	result, err := s.Apply("f", "s", edit)
	ok(t, err)
	rev, err := s.Revision("f", "s")
	ok(t, err)
	if !result.Changed || result.Revision != rev || rev <= before.Revision {
		t.Fatalf("result %+v; revision %d, was %d", result, rev, before.Revision)
	}
	if got, want := stateJSON(t, s, "f", "s"), `{"doc":{"title":"B","tags":["x","<y>"],"by":"ada"},"title":"B"}`; got != want {
		t.Fatalf("state = %s, want %s", got, want)
	}
	after, err := s.GetSession("f", "s")
	ok(t, err)
	if *after.CurrentStep != "review" || *after.Label != "Draft" {
		t.Fatalf("session = %+v", after)
	}
	status, err := s.UndoStatus("f", "s")
	ok(t, err)
	if status.UndoDepth != 1 || status.UndoLabel == nil || *status.UndoLabel != "Edit title" {
		t.Fatalf("undo status %+v, want the checkpoint \"Edit title\"", status)
	}

	// The same edit again (without the stale revision) changes nothing: no revision,
	// no checkpoint.
	edit.ExpectRevision = nil
	edit.Patch = edit.Patch[:1]
	again, err := s.Apply("f", "s", edit)
	ok(t, err)
	if again.Changed || again.Revision != rev {
		t.Fatalf("repeated edit: %+v, want unchanged at revision %d", again, rev)
	}
	if status, _ := s.UndoStatus("f", "s"); status.UndoDepth != 1 {
		t.Fatalf("an edit that changed nothing pushed a checkpoint: %+v", status)
	}

	// The checkpoint holds the session as it was before the edit.
	done, err := s.Undo("f", "s")
	ok(t, err)
	if got := stateJSON(t, s, "f", "s"); !done || got != `{"doc":{"title":"A","tags":["x"]},"n":1}` {
		t.Fatalf("undo: %v, state %s", done, got)
	}

	// The empty edit creates an absent session, and changes nothing on an existing one.
	created, err := s.Apply("f", "new", Edit{})
	ok(t, err)
	if !created.Changed {
		t.Fatal("the empty edit did not create the absent session")
	}
	if r, err := s.Apply("f", "new", Edit{}); err != nil || r != (ApplyResult{created.Revision, false}) {
		t.Fatalf("the empty edit on an existing session: %+v, %v", r, err)
	}
}

// nil Values are JSON null wherever an op takes a value, and From "" (the whole state)
// is sent for copy: the wire form follows the op, not Go's zero values.
func TestApplySendsTheMembersOfEachOp(t *testing.T) {
	s := openMemory(t)
	_, err := s.Apply("f", "s", Edit{Patch: []PatchOp{
		{Op: "add", Path: "/a", Value: nil},
		{Op: "test", Path: "/a", Value: nil},
		{Op: "add", Path: "/b", Value: 1},
		{Op: "replace", Path: "/b", Value: nil},
		{Op: "add", Path: "/c", Value: map[string]any{"k": 1}},
		{Op: "merge", Path: "/c", Value: nil},
		{Op: "add", Path: "/d", Value: json.RawMessage(`{"y": 1e0, "x": 2}`)},
	}})
	ok(t, err)
	if got, want := stateJSON(t, s, "f", "s"), `{"a":null,"b":null,"c":null,"d":{"y":1e0,"x":2}}`; got != want {
		t.Fatalf("state = %s, want %s", got, want)
	}
	_, err = s.Apply("f", "s", Edit{Patch: []PatchOp{{Op: "copy", From: "", Path: "/copy"}}})
	ok(t, err)
	if got, want := stateJSON(t, s, "f", "s"), `{"a":null,"b":null,"c":null,"d":{"y":1e0,"x":2},"copy":{"a":null,"b":null,"c":null,"d":{"y":1e0,"x":2}}}`; got != want {
		t.Fatalf("state = %s, want %s", got, want)
	}

	for _, c := range []struct {
		op   PatchOp
		want string
	}{
		{PatchOp{Op: "add", Path: "/a"}, `{"op":"add","path":"/a","value":null}`},
		{PatchOp{Op: "merge", Path: "", Value: map[string]any{"<": "&"}}, `{"op":"merge","path":"","value":{"<":"&"}}`},
		{PatchOp{Op: "remove", Path: "/a", From: "/ignored-by-the-library", Value: 1}, `{"op":"remove","from":"/ignored-by-the-library","path":"/a","value":1}`},
		{PatchOp{Op: "remove", Path: "/a"}, `{"op":"remove","path":"/a"}`},
		{PatchOp{Op: "move", From: "", Path: "/a", Value: 1}, `{"op":"move","from":"","path":"/a"}`},
		{PatchOp{Op: "copy", From: "/x", Path: "/a"}, `{"op":"copy","from":"/x","path":"/a"}`},
		{PatchOp{Op: "test", Path: "/a", Value: json.RawMessage(`[1, 2]`)}, `{"op":"test","path":"/a","value":[1,2]}`},
	} {
		got, err := encodeJSON("op", c.op) // json.Marshal would escape "<" and "&" in any case
		ok(t, err)
		if string(got) != c.want {
			t.Errorf("%+v is sent as %s, want %s", c.op, got, c.want)
		}
	}
}

func TestApplyLabelAndCheckpointForms(t *testing.T) {
	s := openMemory(t)
	label := func() *string {
		session, err := s.GetSession("f", "s")
		ok(t, err)
		return session.Label
	}
	_, err := s.Apply("f", "s", Edit{Label: strPtr("L")})
	ok(t, err)
	if l := label(); l == nil || *l != "L" {
		t.Fatalf("label %v, want L", l)
	}
	_, err = s.Apply("f", "s", Edit{Step: "a"})
	ok(t, err)
	if l := label(); l == nil || *l != "L" {
		t.Fatalf("an edit without a label changed it to %v", l)
	}
	_, err = s.Apply("f", "s", Edit{ClearLabel: true})
	ok(t, err)
	if l := label(); l != nil {
		t.Fatalf("ClearLabel left the label %q", *l)
	}
	_, err = s.Apply("f", "s", Edit{Label: strPtr("x"), ClearLabel: true})
	fails(t, err, ErrInvalidArgument, "edit sets both Label and ClearLabel")

	_, err = s.Apply("f", "s", Edit{Step: "b", Checkpoint: &CheckpointOptions{}})
	ok(t, err)
	status, err := s.UndoStatus("f", "s")
	ok(t, err)
	if status.UndoDepth != 1 || status.UndoLabel != nil {
		t.Fatalf("an unlabelled checkpoint gives %+v", status)
	}
	_, err = s.Apply("f", "s", Edit{Step: "c", Checkpoint: &CheckpointOptions{Label: strPtr("Step c")}})
	ok(t, err)
	status, err = s.UndoStatus("f", "s")
	ok(t, err)
	if status.UndoDepth != 2 || status.UndoLabel == nil || *status.UndoLabel != "Step c" {
		t.Fatalf("a labelled checkpoint gives %+v", status)
	}
	_, err = s.Apply("f", "s", Edit{Step: "d"})
	ok(t, err)
	if status, _ := s.UndoStatus("f", "s"); status.UndoDepth != 2 {
		t.Fatalf("an edit without Checkpoint pushed one: %+v", status)
	}

	for _, c := range []struct {
		edit Edit
		want string
	}{
		{Edit{}, `{}`},
		{Edit{ExpectRevision: new(int64), NoCreate: true}, `{"expect_revision":0,"create":false}`},
		{Edit{ClearLabel: true, Checkpoint: &CheckpointOptions{}}, `{"label":null,"checkpoint":{"label":null}}`},
		{Edit{Patch: []PatchOp{}, Step: "s", Label: strPtr("<L>")}, `{"step":"s","label":"<L>"}`},
	} {
		got, err := c.edit.toJSON()
		ok(t, err)
		if string(got) != c.want {
			t.Errorf("%+v is sent as %s, want %s", c.edit, got, c.want)
		}
	}
}

// A stale ExpectRevision is ErrConflict with a message saying what was expected and
// what was found, and the edit, checkpoint included, writes nothing.
func TestApplyConflicts(t *testing.T) {
	s := openMemory(t)
	first, err := s.Apply("f", "s", Edit{ExpectRevision: new(int64), Label: strPtr("L")})
	ok(t, err)
	if !first.Changed || first.Revision != 1 {
		t.Fatalf("exclusive creation: %+v", first)
	}
	_, err = s.Apply("f", "s", Edit{ExpectRevision: new(int64)})
	fails(t, err, ErrConflict, `expected session "s" of flow "f" not to exist (expect_revision 0), but it exists at revision 1; nothing was changed`)

	ok(t, s.UpdateState("f", "s", map[string]any{"n": 1})) // another writer: revision 2
	before, _ := s.GetSessionJSON("f", "s")
	stale := first.Revision
	_, err = s.Apply("f", "s", Edit{
		ExpectRevision: &stale,
		Patch:          []PatchOp{{Op: "replace", Path: "/n", Value: 2}},
		Checkpoint:     &CheckpointOptions{},
	})
	e := fails(t, err, ErrConflict, `expected session "s" of flow "f" at revision 1, but found revision 2`)
	if !errors.Is(err, ErrConflict) || errors.Is(err, ErrNotFound) {
		t.Fatalf("errors.Is does not tell the conflict: %v", e)
	}
	after, _ := s.GetSessionJSON("f", "s")
	if status, _ := s.UndoStatus("f", "s"); string(after) != string(before) || status.UndoDepth != 0 {
		t.Fatalf("a conflicting edit wrote: %s -> %s, undo %+v", before, after, status)
	}

	_, err = s.Apply("f", "gone", Edit{ExpectRevision: &stale})
	fails(t, err, ErrConflict, `expected session "gone" of flow "f" at revision 1, but it does not exist`)
	_, err = s.Apply("f", "s", Edit{Patch: []PatchOp{{Op: "remove", Path: "/missing"}}})
	fails(t, err, ErrConflict, `patch[0] ("remove" at "/missing")`)
	_, err = s.Apply("f", "s", Edit{Patch: []PatchOp{{Op: "add", Path: "/x", Value: 1}, {Op: "test", Path: "/n", Value: 5}}})
	fails(t, err, ErrConflict, `patch[1]`)
	if got := stateJSON(t, s, "f", "s"); got != `{"n":1}` {
		t.Fatalf("a patch that did not fit wrote %s", got)
	}
}

func TestApplyRefusesBadEdits(t *testing.T) {
	s := openMemory(t)
	negative := int64(-1)
	for _, c := range []struct {
		edit     Edit
		sentinel error
		message  string
	}{
		{Edit{Patch: []PatchOp{{Op: "frob", Path: "/a"}}}, ErrInvalidJSON, `patch[0]: unknown op "frob"`},
		{Edit{Patch: []PatchOp{{Op: "add", Path: "a", Value: 1}}}, ErrInvalidJSON, `patch[0]`},
		{Edit{ExpectRevision: &negative}, ErrInvalidArgument, "expect_revision"},
		{Edit{Step: "a\x00b"}, ErrInvalidArgument, `edit_json member "step" holds a NUL character`},
		{Edit{NoCreate: true}, ErrNotFound, `session "s" of flow "f" does not exist (the edit has "create": false)`},
		// Refused before C, where encoding/json would have changed the text.
		{Edit{Step: "a\xff"}, ErrInvalidArgument, `edit.Step is not valid UTF-8`},
		{Edit{Label: strPtr("\xc3")}, ErrInvalidArgument, `edit.Label is not valid UTF-8`},
		{Edit{Checkpoint: &CheckpointOptions{Label: strPtr("\xc3")}}, ErrInvalidArgument, `edit.Checkpoint.Label is not valid UTF-8`},
		{Edit{Patch: []PatchOp{{Op: "add", Path: "/a", Value: 1}, {Op: "add", Path: "/\xff", Value: 1}}}, ErrInvalidArgument, `edit.Patch[1].Path is not valid UTF-8`},
		{Edit{Patch: []PatchOp{{Op: "add", Path: "/a", Value: map[string]any{"k": []any{"\xff"}}}}}, ErrInvalidArgument, `edit.Patch[0].Value["k"][0] is not valid UTF-8`},
		{Edit{Patch: []PatchOp{{Op: "add", Path: "/a", Value: make(chan int)}}}, ErrInvalidArgument, `edit.Patch[0].Value cannot be encoded as JSON`},
		{Edit{Patch: []PatchOp{{Op: "add", Path: "/a", Value: json.RawMessage(`{`)}}}, ErrInvalidJSON, `edit.Patch[0].Value is not valid JSON`},
	} {
		_, err := s.Apply("f", "s", c.edit)
		fails(t, err, c.sentinel, c.message)
	}
	for _, c := range []struct {
		edit     string
		sentinel error
		message  string
	}{
		{`{"nope":1}`, ErrInvalidArgument, `edit_json has unknown member "nope"`},
		{`[]`, ErrInvalidJSON, `edit_json must be a JSON object, got an array`},
		{"{}\x00{\"step\":\"x\"}", ErrInvalidJSON, `edit_json is not valid JSON: NUL byte at offset 2`},
	} {
		_, err := s.ApplyJSON("f", "s", json.RawMessage(c.edit))
		fails(t, err, c.sentinel, c.message)
	}
	if exists, err := s.SessionExists("f", "s"); err != nil || exists {
		t.Fatalf("a refused edit created the session: %v, %v", exists, err)
	}
	r, err := s.ApplyJSON("f", "s", json.RawMessage(`{"step":"x","label":null}`))
	ok(t, err)
	if r != (ApplyResult{Revision: 1, Changed: true}) {
		t.Fatalf("ApplyJSON = %+v", r)
	}
}

// The optimistic loop (GetSession, Apply with ExpectRevision, retry on ErrConflict)
// loses no update between goroutines on two stores of one file; every conflict was
// retried. Run with ExpectRevision nil, the same loop loses updates.
func TestOptimisticLoopLosesNoUpdate(t *testing.T) {
	const goroutines, rounds = 4, 50
	path := tempPath(t, "counter.db")
	stores := []*Store{openPath(t, path, Options{}), openPath(t, path, Options{})}
	var wg sync.WaitGroup
	errs := make(chan error, goroutines)
	var conflicts int64
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func(s *Store, g int) {
			defer wg.Done()
			for i := 0; i < rounds; i++ {
				for {
					session, err := s.GetSession("f", "counter")
					if err != nil {
						errs <- err
						return
					}
					n := int64(0)
					if session != nil {
						n, _ = session.State["n"].(json.Number).Int64()
					}
					expect := int64(0)
					if session != nil {
						expect = session.Revision
					}
					_, err = s.Apply("f", "counter", Edit{
						ExpectRevision: &expect,
						Patch:          []PatchOp{{Op: "add", Path: "/n", Value: n + 1}},
					})
					if errors.Is(err, ErrConflict) {
						atomic.AddInt64(&conflicts, 1)
						continue
					}
					if err != nil {
						errs <- err
						return
					}
					break
				}
			}
		}(stores[g%2], g)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	state, err := stores[0].GetState("f", "counter")
	ok(t, err)
	if state["n"] != json.Number(fmt.Sprint(goroutines*rounds)) {
		t.Fatalf("counter = %v, want %d", state["n"], goroutines*rounds)
	}
	t.Logf("%d conflicts retried", atomic.LoadInt64(&conflicts))
	rev, err := stores[1].Revision("f", "counter")
	ok(t, err)
	if rev != goroutines*rounds { // one number per successful edit, none per conflict
		t.Fatalf("revision = %d, want %d", rev, goroutines*rounds)
	}
}
