package workflowstate_test

import (
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"

	workflowstate "github.com/workflow-state/workflow_state/bindings/go"
)

// A sign-up wizard keeps its progress in a file: the current step, each step's
// answers and the session's own state.
func Example() {
	dir, err := os.MkdirTemp("", "workflowstate-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	store, err := workflowstate.Open(filepath.Join(dir, "app-state", "wizard.db"))
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close()

	session, err := store.CreateSession("signup", "ada", "Ada's sign-up")
	if err != nil {
		log.Fatal(err)
	}
	if err := store.SetCurrentStep("signup", session, "profile"); err != nil {
		log.Fatal(err)
	}
	if err := store.UpdateStepState("signup", session, "profile", map[string]any{"name": "Ada"}); err != nil {
		log.Fatal(err)
	}
	if err := store.UpdateState("signup", session, map[string]any{"accepted_terms": true}); err != nil {
		log.Fatal(err)
	}

	step, _, _ := store.GetCurrentStep("signup", session)
	state, _ := store.GetStateJSON("signup", session)
	fmt.Println(step)
	fmt.Println(string(state))
	// Output:
	// profile
	// {"_step_profile":{"name":"Ada"},"accepted_terms":true}
}

// Checkpoint before each change the user may want to undo; UndoStatus labels the
// menu items.
func ExampleStore_Undo() {
	store, err := workflowstate.Open(":memory:")
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close()

	_ = store.UpdateState("editor", "doc", map[string]any{"text": "Hello"})
	_ = store.Checkpoint("editor", "doc", "Typing")
	_ = store.UpdateState("editor", "doc", map[string]any{"text": "Hello, world"})

	status, _ := store.UndoStatus("editor", "doc")
	fmt.Println("Undo", *status.UndoLabel)
	if done, err := store.Undo("editor", "doc"); err == nil && done {
		state, _ := store.GetState("editor", "doc")
		fmt.Println(state["text"])
	}
	status, _ = store.UndoStatus("editor", "doc")
	fmt.Println("Redo", *status.RedoLabel)
	// Output:
	// Undo Typing
	// Hello
	// Redo Typing
}

// Errors carry the library's status and message; errors.Is tests the kind.
func ExampleError() {
	store, err := workflowstate.Open(":memory:")
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close()

	_, _ = store.CreateSession("signup", "ada", "")
	_, err = store.CreateSession("signup", "ada", "")
	fmt.Println(errors.Is(err, workflowstate.ErrAlreadyExists))

	var e *workflowstate.Error
	if errors.As(err, &e) {
		fmt.Println(e.Code)
		fmt.Println(e.Message)
	}
	// Output:
	// true
	// WS_ALREADY_EXISTS
	// session "ada" of flow "signup" already exists
}

// ListSessions gives the summaries of a flow's sessions, here by label.
func ExampleStore_ListSessions() {
	store, err := workflowstate.Open(":memory:")
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close()

	for _, label := range []string{"Draft B", "Draft A"} {
		if _, err := store.CreateSession("review", "", label); err != nil {
			log.Fatal(err)
		}
	}
	sessions, err := store.ListSessions("review", workflowstate.OrderByLabel, false)
	if err != nil {
		log.Fatal(err)
	}
	for _, s := range sessions {
		fmt.Println(*s.Label, len(s.SessionID))
	}
	// Output:
	// Draft A 36
	// Draft B 36
}
