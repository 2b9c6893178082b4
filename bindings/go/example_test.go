package workflowstate_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"sync"
	"time"

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

// An editor checkpoints before every keystroke with one MergeKey, so that a run of
// typing is one undo step, and keeps the cursor in Meta to put it back on undo.
// SetClean marks the saved state, and UndoStatus.Clean says whether the document is
// as saved (for the "unsaved changes" dot).
func ExampleStore_CheckpointWith() {
	store, err := workflowstate.Open(":memory:")
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close()

	_ = store.UpdateState("editor", "doc", map[string]any{"text": "Hello"})
	_ = store.SetClean("editor", "doc") // just saved
	for _, text := range []string{"Hello,", "Hello, w", "Hello, world"} {
		typing := &workflowstate.CheckpointOptions{
			Label:    &[]string{"Typing"}[0],
			MergeKey: "typing",
			// An editor leaves it at DefaultMergeWindow (a second); a minute here keeps
			// the output the same on any machine, however slow.
			MergeWindow: time.Minute,
			Meta:        map[string]int{"cursor": 5}, // where the cursor was before the run
		}
		if err := store.CheckpointWith("editor", "doc", typing); err != nil {
			log.Fatal(err)
		}
		_ = store.UpdateState("editor", "doc", map[string]any{"text": text})
	}

	status, _ := store.UndoStatus("editor", "doc")
	fmt.Println("undo steps:", status.UndoDepth, "clean:", status.Clean)
	undone, err := store.UndoWith("editor", "doc")
	if err != nil {
		log.Fatal(err)
	}
	state, _ := store.GetState("editor", "doc")
	status, _ = store.UndoStatus("editor", "doc")
	fmt.Println("undid", *undone.Label, string(undone.Meta), "->", state["text"], "clean:", status.Clean)
	// Output:
	// undo steps: 1 clean: false
	// undid Typing {"cursor":5} -> Hello clean: true
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

// Safe concurrent editing: read the session, compute the change, and write it only if
// nobody changed the session since (ExpectRevision); on ErrConflict, read again and
// retry. However the goroutines (or processes) interleave, no approval is lost.
func ExampleStore_Apply() {
	store, err := workflowstate.Open(":memory:")
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close()

	approve := func() error {
		for {
			session, err := store.GetSession("review", "doc")
			if err != nil {
				return err
			}
			if session == nil {
				session = &workflowstate.Session{} // revision 0: create it only if still absent
			}
			count, _ := session.State["approvals"].(json.Number)
			n, _ := count.Int64()
			_, err = store.Apply("review", "doc", workflowstate.Edit{
				ExpectRevision: &session.Revision,
				Patch:          []workflowstate.PatchOp{{Op: "add", Path: "/approvals", Value: n + 1}},
			})
			if !errors.Is(err, workflowstate.ErrConflict) {
				return err // nil: done
			}
		}
	}

	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 25; i++ {
				if err := approve(); err != nil {
					log.Fatal(err)
				}
			}
		}()
	}
	wg.Wait()
	state, _ := store.GetStateJSON("review", "doc")
	fmt.Println(string(state))

	// A write based on a stale read is refused, and says why.
	stale, _ := store.GetSession("review", "doc")
	_ = store.SetCurrentStep("review", "doc", "approved") // another writer
	_, err = store.Apply("review", "doc", workflowstate.Edit{ExpectRevision: &stale.Revision, Step: "rejected"})
	fmt.Println(errors.Is(err, workflowstate.ErrConflict))
	fmt.Println(err)
	// Output:
	// {"approvals":100}
	// true
	// workflowstate: WS_CONFLICT: expected session "doc" of flow "review" at revision 100, but found revision 101: another writer changed it since it was read; read it again and retry; nothing was changed
}

// Following changes: Watch sends every session changed after the number given (0:
// every session there is), then each commit as it happens, by any program on the
// file, until its context ends. A session changed twice before the receiver reads is
// sent once, at its latest change.
func ExampleStore_Watch() {
	store, err := workflowstate.Open(":memory:")
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close()
	_ = store.UpdateState("review", "doc", map[string]any{"title": "Draft"})

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	changes := store.Watch(ctx, "review", 0)
	show := func() {
		c := <-changes
		if c.Err != nil {
			log.Fatal(c.Err)
		}
		fmt.Println(c.Seq, c.SessionID, c.Deleted)
	}
	show() // the session there is
	_ = store.SetCurrentStep("review", "doc", "approved")
	show()
	_ = store.DeleteSession("review", "doc")
	show()

	cancel()
	_, open := <-changes
	fmt.Println("open:", open)
	// Output:
	// 1 doc false
	// 2 doc false
	// 3 doc true
	// open: false
}
