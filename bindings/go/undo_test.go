package workflowstate

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// typing is the checkpoint of one keystroke. The window is a minute, so that the
// tests never depend on how fast they run.
var typing = &CheckpointOptions{Label: strPtr("Typing"), MergeKey: "typing", MergeWindow: time.Minute}

func undoStatus(t *testing.T, s *Store, flow, session string) UndoStatus {
	t.Helper()
	status, err := s.UndoStatus(flow, session)
	ok(t, err)
	return status
}

func revision(t *testing.T, s *Store, flow, session string) int64 {
	t.Helper()
	r, err := s.Revision(flow, session)
	ok(t, err)
	return r
}

// A run of keystrokes checkpointed with one MergeKey is one undo step, whether the
// checkpoints come from CheckpointWith or from Apply's Edit.Checkpoint; the checkpoints
// that merge take no revision; an undo ends the run.
func TestCheckpointWithMergesKeystrokes(t *testing.T) {
	s := openMemory(t)
	ok(t, s.UpdateStateJSON("f", "s", json.RawMessage(`{"text":""}`)))
	for i, text := range []string{"a", "ab", "abc"} {
		before := revision(t, s, "f", "s")
		ok(t, s.CheckpointWith("f", "s", typing))
		if after := revision(t, s, "f", "s"); i > 0 && after != before {
			t.Fatalf("keystroke %d: a merged checkpoint took revision %d (was %d)", i, after, before)
		} else if i == 0 && after == before {
			t.Fatal("the first checkpoint of the run took no revision")
		}
		ok(t, s.UpdateState("f", "s", map[string]any{"text": text}))
	}
	if status := undoStatus(t, s, "f", "s"); status.UndoDepth != 1 || status.UndoLabel == nil || *status.UndoLabel != "Typing" {
		t.Fatalf("three merged keystrokes give %+v, want one undo step labelled Typing", status)
	}
	result, err := s.UndoWith("f", "s")
	ok(t, err)
	if !result.Done || stateJSON(t, s, "f", "s") != `{"text":""}` {
		t.Fatalf("undo of the run: %+v, state %s", result, stateJSON(t, s, "f", "s"))
	}
	_, err = s.RedoWith("f", "s")
	ok(t, err)

	// The redo ended the run: the next keystrokes are a step of their own, and Apply's
	// checkpoint merges them as CheckpointWith does.
	for _, text := range []string{"abcd", "abcde"} {
		_, err := s.Apply("f", "s", Edit{Patch: []PatchOp{{Op: "replace", Path: "/text", Value: text}}, Checkpoint: typing})
		ok(t, err)
	}
	if status := undoStatus(t, s, "f", "s"); status.UndoDepth != 2 {
		t.Fatalf("a run after a redo gives undo depth %d, want 2", status.UndoDepth)
	}
	ok(t, s.CheckpointWith("f", "s", &CheckpointOptions{Label: strPtr("Bold")})) // no key: ends the run
	ok(t, s.UpdateState("f", "s", map[string]any{"bold": true}))
	ok(t, s.CheckpointWith("f", "s", typing))
	ok(t, s.UpdateState("f", "s", map[string]any{"text": "abcdef"}))
	if status := undoStatus(t, s, "f", "s"); status.UndoDepth != 4 {
		t.Fatalf("keystrokes after a checkpoint without the key give undo depth %d, want 4", status.UndoDepth)
	}
}

// CheckpointWith pushes nothing, and takes no revision, when the newest undo entry
// already holds the present state and step; the 0.1 Checkpoint always pushes.
func TestCheckpointWithSkipsAnUnchangedState(t *testing.T) {
	s := openMemory(t)
	ok(t, s.UpdateState("f", "s", map[string]any{"n": 1}))
	ok(t, s.CheckpointWith("f", "s", nil))
	before := revision(t, s, "f", "s")
	ok(t, s.CheckpointWith("f", "s", nil))
	ok(t, s.CheckpointWith("f", "s", &CheckpointOptions{Label: strPtr("again")}))
	if status := undoStatus(t, s, "f", "s"); status.UndoDepth != 1 || status.UndoLabel != nil || revision(t, s, "f", "s") != before {
		t.Fatalf("checkpoints of an unchanged state: %+v, revision %d (was %d)", status, revision(t, s, "f", "s"), before)
	}
	ok(t, s.Checkpoint("f", "s", ""))
	if status := undoStatus(t, s, "f", "s"); status.UndoDepth != 2 {
		t.Fatalf("Checkpoint of an unchanged state gives undo depth %d, want 2", status.UndoDepth)
	}
}

// Meta is stored with its entry, shown by UndoStatus, handed back by UndoWith, moved
// to the redo stack with the entry and handed back again by RedoWith; numbers keep
// their text. No meta is nil everywhere, never the text "null".
func TestUndoWithAndRedoWithReturnMeta(t *testing.T) {
	s := openMemory(t)
	ok(t, s.UpdateState("f", "s", map[string]any{"text": "plain"}))
	ok(t, s.CheckpointWith("f", "s", &CheckpointOptions{Label: strPtr("Bold"), Meta: map[string]any{"cursor": []int{3, 5}}}))
	ok(t, s.UpdateState("f", "s", map[string]any{"text": "**plain**"}))
	big := json.RawMessage(` { "big" : 1180591620717411303424, "x": 0.1 } `)
	ok(t, s.CheckpointWith("f", "s", &CheckpointOptions{Meta: big}))
	ok(t, s.UpdateState("f", "s", map[string]any{"text": "**plain**!"}))

	status := undoStatus(t, s, "f", "s")
	wantJSON(t, "UndoMeta", status.UndoMeta, `{"big":1180591620717411303424,"x":0.1}`)
	if status.RedoMeta != nil || status.UndoLabel != nil || status.Clean {
		t.Fatalf("status = %+v", status)
	}

	result, err := s.UndoWith("f", "s")
	ok(t, err)
	wantJSON(t, "first undo's meta", result.Meta, `{"big":1180591620717411303424,"x":0.1}`)
	if !result.Done || result.Label != nil {
		t.Fatalf("first undo = %+v", result)
	}
	result, err = s.UndoWith("f", "s")
	ok(t, err)
	wantJSON(t, "second undo's meta", result.Meta, `{"cursor":[3,5]}`)
	if !result.Done || result.Label == nil || *result.Label != "Bold" || result.Revision != revision(t, s, "f", "s") {
		t.Fatalf("second undo = %+v, revision now %d", result, revision(t, s, "f", "s"))
	}
	if got := stateJSON(t, s, "f", "s"); got != `{"text":"plain"}` {
		t.Fatalf("state after two undos = %s", got)
	}
	status = undoStatus(t, s, "f", "s")
	wantJSON(t, "RedoMeta", status.RedoMeta, `{"cursor":[3,5]}`)
	if status.UndoMeta != nil || status.RedoLabel == nil || *status.RedoLabel != "Bold" {
		t.Fatalf("status after two undos = %+v", status)
	}
	nothing, err := s.UndoWith("f", "s")
	ok(t, err)
	if nothing.Done || nothing.Label != nil || nothing.Meta != nil || nothing.Revision != revision(t, s, "f", "s") {
		t.Fatalf("undo with nothing to undo = %+v (revision %d)", nothing, revision(t, s, "f", "s"))
	}

	result, err = s.RedoWith("f", "s")
	ok(t, err)
	wantJSON(t, "redo's meta", result.Meta, `{"cursor":[3,5]}`)
	if !result.Done || result.Label == nil || *result.Label != "Bold" || stateJSON(t, s, "f", "s") != `{"text":"**plain**"}` {
		t.Fatalf("redo = %+v, state %s", result, stateJSON(t, s, "f", "s"))
	}
	result, err = s.RedoWith("f", "s")
	ok(t, err)
	wantJSON(t, "second redo's meta", result.Meta, `{"big":1180591620717411303424,"x":0.1}`)
	before := revision(t, s, "f", "s")
	nothing, err = s.RedoWith("f", "s")
	ok(t, err)
	if nothing.Done || nothing.Label != nil || nothing.Meta != nil || nothing.Revision != before {
		t.Fatalf("redo with nothing to redo = %+v (revision was %d)", nothing, before)
	}

	// Apply's checkpoint carries meta too.
	_, err = s.Apply("f", "s", Edit{Step: "review", Checkpoint: &CheckpointOptions{Meta: "selection 2..4"}})
	ok(t, err)
	wantJSON(t, "meta of Apply's checkpoint", undoStatus(t, s, "f", "s").UndoMeta, `"selection 2..4"`)
}

// SetClean marks the present state: Clean is true exactly while undo and redo bring
// the session back to it; a checkpoint alone leaves it as it was; once the redo branch
// holding the marked state is discarded it stays false.
func TestSetCleanTracksTheSavedState(t *testing.T) {
	s := openMemory(t)
	fails(t, s.SetClean("f", "absent"), ErrNotFound, `"absent"`)
	if exists, _ := s.SessionExists("f", "absent"); exists {
		t.Fatal("SetClean of an absent session created it")
	}

	ok(t, s.UpdateState("f", "s", map[string]any{"v": 1}))
	if undoStatus(t, s, "f", "s").Clean {
		t.Fatal("a session never marked is clean")
	}
	before := revision(t, s, "f", "s")
	ok(t, s.SetClean("f", "s"))
	marked := revision(t, s, "f", "s")
	if !undoStatus(t, s, "f", "s").Clean || marked == before {
		t.Fatalf("after SetClean: clean %v, revision %d (was %d)", undoStatus(t, s, "f", "s").Clean, marked, before)
	}
	ok(t, s.SetClean("f", "s"))
	if r := revision(t, s, "f", "s"); r != marked {
		t.Fatalf("marking the marked state again took revision %d", r)
	}

	ok(t, s.CheckpointWith("f", "s", &CheckpointOptions{Label: strPtr("v2")}))
	if !undoStatus(t, s, "f", "s").Clean {
		t.Fatal("a checkpoint made the session dirty")
	}
	ok(t, s.UpdateState("f", "s", map[string]any{"v": 2}))
	if undoStatus(t, s, "f", "s").Clean {
		t.Fatal("an edit left the session clean")
	}
	result, err := s.UndoWith("f", "s")
	ok(t, err)
	if !result.Done || !undoStatus(t, s, "f", "s").Clean {
		t.Fatalf("undo back to the saved state: %+v, clean %v", result, undoStatus(t, s, "f", "s").Clean)
	}
	_, err = s.RedoWith("f", "s")
	ok(t, err)
	if undoStatus(t, s, "f", "s").Clean {
		t.Fatal("redo away from the saved state left it clean")
	}

	// Save at v2, undo to v1, then edit: the redo stack holding v2 is discarded.
	ok(t, s.SetClean("f", "s"))
	_, err = s.UndoWith("f", "s")
	ok(t, err)
	if undoStatus(t, s, "f", "s").Clean {
		t.Fatal("undo away from the saved state left it clean")
	}
	ok(t, s.CheckpointWith("f", "s", nil))
	ok(t, s.UpdateState("f", "s", map[string]any{"v": 3}))
	if status := undoStatus(t, s, "f", "s"); status.Clean || status.RedoDepth != 0 || status.UndoDepth != 1 {
		t.Fatalf("after the saved state was discarded: %+v", status)
	}
	result, err = s.UndoWith("f", "s")
	ok(t, err)
	if status := undoStatus(t, s, "f", "s"); !result.Done || status.Clean {
		t.Fatalf("undo after the saved state was discarded: %+v, %+v", result, status)
	}
}

// SetClean ends a merge run, so an undo never steps across the saved state.
func TestSetCleanEndsAMergeRun(t *testing.T) {
	s := openMemory(t)
	ok(t, s.CheckpointWith("f", "s", typing))
	ok(t, s.UpdateState("f", "s", map[string]any{"text": "a"}))
	ok(t, s.SetClean("f", "s"))
	ok(t, s.CheckpointWith("f", "s", typing))
	ok(t, s.UpdateState("f", "s", map[string]any{"text": "ab"}))
	if status := undoStatus(t, s, "f", "s"); status.UndoDepth != 2 {
		t.Fatalf("a run across SetClean gives undo depth %d, want 2", status.UndoDepth)
	}
	_, err := s.UndoWith("f", "s")
	ok(t, err)
	if status := undoStatus(t, s, "f", "s"); !status.Clean || stateJSON(t, s, "f", "s") != `{"text":"a"}` {
		t.Fatalf("one undo after the save: %+v, state %s", status, stateJSON(t, s, "f", "s"))
	}
}

// MaxHistoryBytes, given at open, bounds the bytes of a session's undo and redo
// entries: the oldest undo entries go first, the newest is kept even alone over the
// budget, and meta counts.
func TestMaxHistoryBytesTrimsTheOldestEntries(t *testing.T) {
	state := func(i int) map[string]any { return map[string]any{"t": strings.Repeat(string(rune('a'+i)), 100)} }
	const entry = 108 // {"t":"<100 letters>"}
	for _, c := range []struct {
		budget int64
		meta   any
		want   int
	}{
		{0, nil, 5},           // no limit
		{3*entry - 1, nil, 2}, // two entries fit, three do not
		{3 * entry, nil, 3},   // exactly three fit
		{1, nil, 1},           // the newest is always kept
		{3 * entry, strings.Repeat("m", 2*entry), 1}, // with its meta, one entry is over the budget
	} {
		s := openPath(t, ":memory:", Options{MaxHistoryBytes: c.budget})
		for i := 0; i < 5; i++ {
			ok(t, s.UpdateState("f", "s", state(i)))
			ok(t, s.CheckpointWith("f", "s", &CheckpointOptions{Meta: c.meta}))
		}
		ok(t, s.UpdateState("f", "s", state(5)))
		if status := undoStatus(t, s, "f", "s"); status.UndoDepth != c.want {
			t.Fatalf("budget %d, meta %v: undo depth %d, want %d", c.budget, c.meta != nil, status.UndoDepth, c.want)
		}
		// What is left are the newest entries, newest first.
		for i := 4; i >= 5-c.want; i-- {
			_, err := s.UndoWith("f", "s")
			ok(t, err)
			got, err := s.GetState("f", "s")
			ok(t, err)
			if got["t"] != state(i)["t"] {
				t.Fatalf("budget %d: undo restored %v, want state %d", c.budget, got, i)
			}
		}
	}
}

// Options that the library or the binding refuse are errors naming the field, and
// write nothing, also through Apply's checkpoint.
func TestCheckpointWithRefusesBadOptions(t *testing.T) {
	s := openMemory(t)
	for _, c := range []struct {
		opts     CheckpointOptions
		sentinel error
		message  string
	}{
		{CheckpointOptions{MergeWindow: time.Second}, ErrInvalidArgument, `checkpoint_json has merge_window_ms but no merge_key`},
		{CheckpointOptions{MergeKey: "k", MergeWindow: -time.Millisecond}, ErrInvalidArgument, `opts.MergeWindow must not be negative, got -1ms`},
		{CheckpointOptions{MergeKey: "k", MergeWindow: (1 << 31) * time.Millisecond}, ErrInvalidArgument, `merge_window_ms" must be an integer from 0 to 2147483647`},
		{CheckpointOptions{MergeKey: "a\x00b"}, ErrInvalidArgument, `"merge_key" holds a NUL character`},
		{CheckpointOptions{MergeKey: "\xff"}, ErrInvalidArgument, `opts.MergeKey is not valid UTF-8`},
		{CheckpointOptions{Label: strPtr("\xc3")}, ErrInvalidArgument, `opts.Label is not valid UTF-8`},
		{CheckpointOptions{Meta: json.RawMessage(`{"a":`)}, ErrInvalidJSON, `opts.Meta is not valid JSON`},
		{CheckpointOptions{Meta: make(chan int)}, ErrInvalidArgument, `opts.Meta cannot be encoded as JSON`},
		{CheckpointOptions{Meta: map[string]any{"k": "\xff"}}, ErrInvalidArgument, `opts.Meta["k"] is not valid UTF-8`},
	} {
		opts := c.opts
		fails(t, s.CheckpointWith("f", "s", &opts), c.sentinel, c.message)
		_, err := s.Apply("f", "s", Edit{Step: "x", Checkpoint: &opts})
		fails(t, err, c.sentinel, strings.NewReplacer("opts.", "edit.Checkpoint.", "checkpoint_json", `edit_json member "checkpoint"`).Replace(c.message))
	}
	if exists, _ := s.SessionExists("f", "s"); exists {
		t.Fatal("refused checkpoints created the session")
	}
	// The ids come first, as in every call.
	fails(t, s.CheckpointWith("f\x00", "s", &CheckpointOptions{MergeWindow: -1}), ErrInvalidArgument, "flow_id contains a NUL byte")
	fails(t, s.CheckpointWith("f", "", nil), ErrInvalidArgument, "session_id must not be empty")
	_, err := s.UndoWith("f:", "s")
	fails(t, err, ErrInvalidArgument, "must not contain ':'")
	_, err = s.RedoWith("f", "")
	fails(t, err, ErrInvalidArgument, "session_id must not be empty")
	fails(t, s.SetClean("", "s"), ErrInvalidArgument, "flow_id must not be empty")
}

// Each field becomes the C member of the same meaning; a zero field none at all (the
// label is always sent, so that nil is an explicit null).
func TestCheckpointOptionsJSON(t *testing.T) {
	for _, c := range []struct {
		opts CheckpointOptions
		want string
	}{
		{CheckpointOptions{}, `{"label":null}`},
		{CheckpointOptions{Label: strPtr("<b>"), MergeKey: "k"}, `{"label":"<b>","merge_key":"k"}`},
		{CheckpointOptions{MergeKey: "k", MergeWindow: 1500 * time.Microsecond}, `{"label":null,"merge_key":"k","merge_window_ms":2}`},
		{CheckpointOptions{MergeKey: "k", MergeWindow: time.Nanosecond}, `{"label":null,"merge_key":"k","merge_window_ms":1}`},
		{CheckpointOptions{Meta: json.RawMessage(` [1, 2] `)}, `{"label":null,"meta":[1,2]}`},
		{CheckpointOptions{Meta: json.RawMessage(nil)}, `{"label":null}`},
		{CheckpointOptions{Meta: map[string]any{"z": 1, "a": "&"}}, `{"label":null,"meta":{"a":"&","z":1}}`},
	} {
		got, err := c.opts.toJSON("opts")
		ok(t, err)
		if string(got) != c.want {
			t.Errorf("%+v is sent as %s, want %s", c.opts, got, c.want)
		}
	}
	got, err := Edit{Checkpoint: &CheckpointOptions{MergeKey: "k", Meta: 1}}.toJSON()
	ok(t, err)
	wantJSON(t, "edit with a checkpoint", got, `{"checkpoint":{"label":null,"merge_key":"k","meta":1}}`)
}
