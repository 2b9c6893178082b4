/* undo: an editor-like session with checkpoints, undo and redo that survive a restart.
 *
 *   undo [DATABASE]     (default: undo.db)
 *
 * Each edit is preceded by a checkpoint labelled for an "Undo ..." menu item. The store
 * is closed and reopened halfway, as if the app had been restarted: undo still works. */
#include "workflow_state.h"

#include <stdio.h>
#include <stdlib.h>

static const char *flow = "editor";
static const char *doc = "chapter-1";

static void check(ws_status status, const char *what) {
  if (status != WS_OK) {
    fprintf(stderr, "%s failed: %s: %s\n", what, ws_status_name(status), ws_last_error_message());
    exit(1);
  }
}

/* Prints the document's state and what the Undo and Redo menu items would say. */
static void show(ws_store *store, const char *event) {
  char *state = NULL, *status = NULL;
  check(ws_get_state(store, flow, doc, &state), "ws_get_state");
  check(ws_undo_status(store, flow, doc, &status), "ws_undo_status");
  printf("%-28s state  %s\n%-28s undo   %s\n", event, state, "", status);
  ws_string_free(state);
  ws_string_free(status);
}

/* An edit the user can undo: checkpoint first, then change the state. */
static void edit(ws_store *store, const char *label, const char *updates) {
  char event[64];
  check(ws_checkpoint(store, flow, doc, label), "ws_checkpoint");
  check(ws_update_state(store, flow, doc, updates), "ws_update_state");
  snprintf(event, sizeof event, "edit: %s", label);
  show(store, event);
}

static void undo(ws_store *store) {
  bool done = false;
  check(ws_undo(store, flow, doc, &done), "ws_undo");
  show(store, done ? "undo" : "undo (nothing to undo)");
}

static void redo(ws_store *store) {
  bool done = false;
  check(ws_redo(store, flow, doc, &done), "ws_redo");
  show(store, done ? "redo" : "redo (nothing to redo)");
}

int main(int argc, char **argv) {
  const char *path = argc > 1 ? argv[1] : "undo.db";
  ws_store *store = NULL;

  check(ws_store_open_with(path, "{\"max_history_depth\":100}", &store), "ws_store_open_with");
  /* Start from a new document, so that every run shows the same thing. */
  check(ws_delete_session(store, flow, doc), "ws_delete_session");
  check(ws_update_state(store, flow, doc, "{\"title\":\"Draft\",\"words\":0}"), "ws_update_state");
  show(store, "new document");

  edit(store, "Rename", "{\"title\":\"Chapter One\"}");
  edit(store, "Typing", "{\"words\":120}");
  edit(store, "Typing", "{\"words\":250}");
  undo(store);
  undo(store);
  redo(store);

  /* The app quits and starts again: the stacks are in the database file. */
  ws_store_close(store);
  store = NULL;
  check(ws_store_open_with(path, "{\"max_history_depth\":100}", &store), "ws_store_open_with");
  show(store, "after restart");

  undo(store);
  undo(store);
  undo(store); /* nothing left: the state stays as it is */
  redo(store);

  /* A new edit after undo empties the redo stack, as in any editor. */
  edit(store, "Add summary", "{\"summary\":\"Ada meets Babbage.\"}");
  redo(store);

  ws_store_close(store);
  return 0;
}
