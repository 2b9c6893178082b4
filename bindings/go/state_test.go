package workflowstate

import (
	"encoding/json"
	"errors"
	"testing"
)

func TestCurrentStep(t *testing.T) {
	s := openMemory(t)
	step, found, err := s.GetCurrentStep("f", "s")
	ok(t, err)
	if found || step != "" {
		t.Fatalf("absent session has step %q, %v", step, found)
	}
	ok(t, s.UpdateState("f", "no-step", map[string]any{"k": 1}))
	if _, found, err := s.GetCurrentStep("f", "no-step"); err != nil || found {
		t.Fatalf("session without a step: found %v, err %v", found, err)
	}

	ok(t, s.SetCurrentStep("f", "s", "profile"))
	ok(t, s.SetCurrentStep("f", "s", "review"))
	step, found, err = s.GetCurrentStep("f", "s")
	ok(t, err)
	if !found || step != "review" {
		t.Fatalf("step = %q, %v; want review", step, found)
	}
	if exists, err := s.SessionExists("f", "s"); err != nil || !exists {
		t.Fatalf("SetCurrentStep did not create the session: %v, %v", exists, err)
	}

	fails(t, s.SetCurrentStep("f", "s", ""), ErrInvalidArgument, "step_id must not be empty")
	_, _, err = s.GetCurrentStep("f:x", "s")
	fails(t, err, ErrInvalidArgument, `flow_id "f:x" must not contain ':'`)
	_, _, err = s.GetCurrentStep("f", "")
	fails(t, err, ErrInvalidArgument, "session_id must not be empty")
}

func TestGetStateDecodesExactNumbers(t *testing.T) {
	s := openMemory(t)
	state, err := s.GetState("f", "absent")
	ok(t, err)
	if state == nil || len(state) != 0 {
		t.Fatalf("absent session state = %#v, want an empty map", state)
	}

	ok(t, s.UpdateStateJSON("f", "s", json.RawMessage(`{"big":1180591620717411303424,"tenth":0.1,"nested":{"list":[1,"two",null,true]}}`)))
	state, err = s.GetState("f", "s")
	ok(t, err)
	if state["big"] != json.Number("1180591620717411303424") || state["tenth"] != json.Number("0.1") {
		t.Fatalf("numbers decoded as %#v and %#v", state["big"], state["tenth"])
	}
	list := state["nested"].(map[string]any)["list"].([]any)
	if len(list) != 4 || list[0] != json.Number("1") || list[1] != "two" || list[2] != nil || list[3] != true {
		t.Fatalf("nested list = %#v", list)
	}

	// A decoded state written back is the same state: nothing was rounded.
	ok(t, s.UpdateState("f", "copy", state))
	got := stateJSON(t, s, "f", "copy")
	if want := `{"big":1180591620717411303424,"nested":{"list":[1,"two",null,true]},"tenth":0.1}`; got != want {
		t.Fatalf("copy = %s, want %s", got, want)
	}

	_, err = s.GetState("", "s")
	fails(t, err, ErrInvalidArgument, "flow_id must not be empty")
}

// dict.update semantics: existing keys keep their place, new keys are appended (from a
// map in sorted order, from JSON text in its order).
func TestUpdateStateMerges(t *testing.T) {
	s := openMemory(t)
	ok(t, s.UpdateStateJSON("f", "s", json.RawMessage(`{"z":1,"m":{"inner":1}}`)))
	ok(t, s.UpdateState("f", "s", map[string]any{"m": map[string]any{"other": 2}, "b": "<&>", "a": []int{1, 2}}))
	if got, want := stateJSON(t, s, "f", "s"), `{"z":1,"m":{"other":2},"a":[1,2],"b":"<&>"}`; got != want {
		t.Fatalf("state = %s, want %s (shallow merge, new keys sorted, no HTML escapes)", got, want)
	}
	ok(t, s.UpdateStateJSON("f", "s", json.RawMessage(`{"y":0,"x":0,"z":2}`)))
	if got, want := stateJSON(t, s, "f", "s"), `{"z":2,"m":{"other":2},"a":[1,2],"b":"<&>","y":0,"x":0}`; got != want {
		t.Fatalf("state = %s, want %s", got, want)
	}
	ok(t, s.UpdateState("f", "empty", map[string]any{}))
	if exists, _ := s.SessionExists("f", "empty"); !exists {
		t.Fatal("an empty update did not create the session")
	}
}

// A refused update changes nothing.
func TestUpdateStateRefusesBadUpdates(t *testing.T) {
	s := openMemory(t)
	ok(t, s.UpdateState("f", "s", map[string]any{"kept": 1}))

	fails(t, s.UpdateState("f", "s", nil), ErrInvalidArgument, "updates is a nil map")
	err := s.UpdateState("f", "s", map[string]any{"c": make(chan int)})
	fails(t, err, ErrInvalidArgument, "updates cannot be encoded as JSON")
	var unsupported *json.UnsupportedTypeError
	if !errors.As(err, &unsupported) {
		t.Fatalf("%v does not wrap encoding/json's error", err)
	}
	fails(t, s.UpdateState("f", "s", map[string]any{"nan": func() float64 { zero := 0.0; return zero / zero }()}),
		ErrInvalidArgument, "cannot be encoded as JSON")
	fails(t, s.UpdateState("f", "s", map[string]any{"bad\xffkey": 1}), ErrInvalidArgument, "key that is not valid UTF-8")
	fails(t, s.UpdateState("f", "s", map[string]any{"k": []any{"ok", map[string]any{"deep": "\xfe"}}}),
		ErrInvalidArgument, `updates["k"][1]["deep"] is not valid UTF-8`)
	fails(t, s.UpdateStateJSON("f", "s", json.RawMessage(`{"k":`)), ErrInvalidJSON, "updates_json is not valid JSON")
	fails(t, s.UpdateStateJSON("f", "s", json.RawMessage(`[1]`)), ErrInvalidJSON, "must be a JSON object, got an array")
	fails(t, s.UpdateStateJSON("f", "s", nil), ErrInvalidJSON, "updates_json")

	if got := stateJSON(t, s, "f", "s"); got != `{"kept":1}` {
		t.Fatalf("refused updates changed the state to %s", got)
	}
}

func TestClearState(t *testing.T) {
	s := openMemory(t)
	ok(t, s.UpdateState("f", "s", map[string]any{"k": 1}))
	ok(t, s.HistoryPush("f", "s", 1))
	ok(t, s.ClearState("f", "s"))
	if exists, _ := s.SessionExists("f", "s"); exists {
		t.Fatal("session still exists after ClearState")
	}
	if n, _ := s.HistoryLen("f", "s"); n != 0 {
		t.Fatalf("history of a cleared session has %d entries", n)
	}
	ok(t, s.ClearState("f", "s")) // idempotent
	fails(t, s.ClearState("f:", "s"), ErrInvalidArgument, "must not contain ':'")
}

func TestStepState(t *testing.T) {
	s := openMemory(t)
	step, err := s.GetStepState("f", "s", "profile")
	ok(t, err)
	if step == nil || len(step) != 0 {
		t.Fatalf("absent step state = %#v, want an empty map", step)
	}

	ok(t, s.UpdateStepState("f", "s", "profile", map[string]any{"name": "Ada"}))
	ok(t, s.UpdateStepStateJSON("f", "s", "profile", json.RawMessage(`{"age":36}`)))
	ok(t, s.UpdateStepState("f", "s", "terms", map[string]any{"ok": true}))
	step, err = s.GetStepState("f", "s", "profile")
	ok(t, err)
	if len(step) != 2 || step["name"] != "Ada" || step["age"] != json.Number("36") {
		t.Fatalf("step state = %#v", step)
	}
	text, err := s.GetStepStateJSON("f", "s", "profile")
	ok(t, err)
	wantJSON(t, "GetStepStateJSON", text, `{"name":"Ada","age":36}`)
	if got, want := stateJSON(t, s, "f", "s"), `{"_step_profile":{"name":"Ada","age":36},"_step_terms":{"ok":true}}`; got != want {
		t.Fatalf("state = %s, want %s", got, want)
	}

	ok(t, s.ClearStepState("f", "s", "profile"))
	ok(t, s.ClearStepState("f", "s", "never-set"))
	ok(t, s.ClearStepState("f", "absent", "profile"))
	if got := stateJSON(t, s, "f", "s"); got != `{"_step_terms":{"ok":true}}` {
		t.Fatalf("state after ClearStepState = %s", got)
	}
	if exists, _ := s.SessionExists("f", "absent"); exists {
		t.Fatal("ClearStepState created a session")
	}

	fails(t, s.UpdateStepState("f", "s", "", map[string]any{"k": 1}), ErrInvalidArgument, "step_id must not be empty")
	fails(t, s.UpdateStepState("f", "s", "p", nil), ErrInvalidArgument, "nil map")
	fails(t, s.UpdateStepStateJSON("f", "s", "p", json.RawMessage(`"text"`)), ErrInvalidJSON, "got a string")
	_, err = s.GetStepState("f", "s", "")
	fails(t, err, ErrInvalidArgument, "step_id must not be empty")
	fails(t, s.ClearStepState("f", "s", ""), ErrInvalidArgument, "step_id must not be empty")
}

// A step value that is not an object (another program may store one) cannot be read as
// a map or merged into: ErrConflict, and nothing changes.
func TestStepStateThatIsNotAnObject(t *testing.T) {
	s := openMemory(t)
	ok(t, s.UpdateStateJSON("f", "s", json.RawMessage(`{"_step_list":[1,2],"_step_null":null}`)))

	_, err := s.GetStepState("f", "s", "list")
	fails(t, err, ErrConflict, `the state of step "list" of session "s" of flow "f" is an array, not an object`)
	_, err = s.GetStepState("f", "s", "null")
	fails(t, err, ErrConflict, "is null, not an object")
	text, err := s.GetStepStateJSON("f", "s", "list")
	ok(t, err)
	wantJSON(t, "GetStepStateJSON", text, `[1,2]`)

	fails(t, s.UpdateStepState("f", "s", "list", map[string]any{"k": 1}), ErrConflict, "nothing was changed")
	if got := stateJSON(t, s, "f", "s"); got != `{"_step_list":[1,2],"_step_null":null}` {
		t.Fatalf("a conflicting update changed the state to %s", got)
	}
}
