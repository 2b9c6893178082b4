// Package workflowstate keeps the state of multi-step, human-in-the-loop workflows
// (wizards, editors, review tools) in SQLite: each session's current step, its JSON
// state, per-step JSON state, labelled sessions, a history stack and whole-session
// undo/redo. It is the Go binding of the workflow_state C library and reads and writes
// the same database files as that library and the Python package cjm-workflow-state
// 0.0.3.
//
// # Building
//
// The package uses cgo and links the shared library libworkflow_state. Inside the
// repository it finds the header in include/ and the library in target/release, and
// records that directory as the run-time library path, so `go test` works once the
// CMake build has built the library there (with the libworkflow_state.so.0 link that
// the loader looks for; `cargo build --release` alone does not make that link). To use
// another copy, for example an installed one, point cgo at it; flags from the
// environment come before the package's own, so they win:
//
//	CGO_CFLAGS="-I/usr/local/include/workflow_state" \
//	CGO_LDFLAGS="-L/usr/local/lib -Wl,-rpath,/usr/local/lib" go build
//
// or, with the installed pkg-config file, CGO_CFLAGS="$(pkg-config --cflags
// workflow_state)" and CGO_LDFLAGS="$(pkg-config --libs workflow_state)".
// LD_LIBRARY_PATH also selects the library at run time. The package needs only the
// standard library and Go 1.19 or later.
//
// # Concurrency
//
// A Store may be used by any number of goroutines at once; every read-modify-write is
// one SQLite transaction, so concurrent updates are never lost, also between
// processes. Close waits for calls in progress; calls made after it return an error
// that matches both ErrClosed and ErrInvalidArgument.
//
// # Edits and the change feed
//
// A read-modify-write done in Go (GetSession, change the state, write it back) is safe
// against other writers when the write is an Apply with Edit.ExpectRevision set to the
// revision read: it fails with ErrConflict if anybody changed the session since, and
// the caller reads again and retries (see the example of Store.Apply). Apply's JSON
// Patch operations, step, label and checkpoint all happen in one transaction.
//
// Every committed change takes the next number of the file's change sequence.
// ChangesSince pages through the sessions changed after a number, WaitForChange waits
// for the next commit of any program on the file, and Watch combines the two into a
// channel that ends with its context. Close ends every wait and watch on the store
// within about 100 ms: a wait returns, and a watch sends, an error matching ErrClosed.
//
// # Undo for editors
//
// Checkpoint before each change the user may want to undo, then Undo and Redo.
// CheckpointWith (and Edit.Checkpoint) add what an editor needs: a MergeKey makes a
// run of keystrokes one undo step, Meta (a cursor, a selection) comes back from
// UndoWith and RedoWith, and a checkpoint of an unchanged state pushes nothing.
// SetClean marks the saved state; UndoStatus.Clean says whether undo and redo have
// brought the session back to it. Options.MaxHistoryBytes bounds the bytes a
// session's undo and redo entries keep, besides Options.MaxHistoryDepth.
//
// # Errors
//
// Every failure is an *Error carrying the library's Status and message. Test for a
// kind of failure with errors.Is and the sentinels (errors.Is(err, ErrNotFound)), or
// read the code with errors.As. The C library keeps the message of the last failure
// per OS thread, and the Go scheduler may move a goroutine to another thread between
// two C calls, so each call and the read of its message run with the goroutine locked
// to its thread: a message always belongs to the call that failed, whatever other
// goroutines do.
//
// Bad input never reaches the C library in a form it would misread: a string argument
// holding a NUL byte (which C would silently cut short) gives an InvalidArgument
// error, raw JSON holding one an InvalidJSON error, and the library itself rejects
// invalid UTF-8, empty ids and a ':' in a flow id.
//
// # JSON
//
// Maps and values are encoded with encoding/json (without HTML escaping), so new keys
// of a map merge in sorted order; strings in a map[string]any update, including
// nested maps and slices, must be valid UTF-8, where encoding/json would silently
// replace the bad bytes. Decoded maps hold numbers as json.Number, so no precision is
// lost. Go maps have no key order; the JSON variants (GetStateJSON, UpdateStateJSON,
// ...) take and return JSON text, which keeps the stored order.
package workflowstate
