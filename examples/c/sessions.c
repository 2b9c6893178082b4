/* sessions: several sessions of one flow: labels, ordering, lookup and deletion.
 *
 *   sessions [DATABASE]     (default: sessions.db)
 */
#include "workflow_state.h"

#include <stdio.h>
#include <stdlib.h>

static void check(ws_status status, const char *what) {
  if (status != WS_OK) {
    fprintf(stderr, "%s failed: %s: %s\n", what, ws_status_name(status), ws_last_error_message());
    exit(1);
  }
}

/* Prints the flow's sessions in one order. */
static void list(ws_store *store, const char *flow, ws_order_by order, bool descending,
                 const char *title) {
  char *json = NULL;
  check(ws_list_sessions(store, flow, order, descending, &json), "ws_list_sessions");
  printf("%s\n  %s\n", title, json);
  ws_string_free(json);
}

int main(int argc, char **argv) {
  const char *path = argc > 1 ? argv[1] : "sessions.db";
  const char *flow = "review";
  const char *ids[] = {"invoice-17", "invoice-18", "invoice-19"};
  const char *labels[] = {"Invoice 17 (ACME)", NULL, "Invoice 19 (Globex)"};
  ws_store *store = NULL;
  char *id = NULL;
  bool exists = false;
  ws_status status;
  size_t i;

  check(ws_store_open(path, &store), "ws_store_open");

  /* Start from an empty flow, so that the example shows the same thing every run. */
  for (i = 0; i < 3; i++) check(ws_delete_session(store, flow, ids[i]), "ws_delete_session");

  for (i = 0; i < 3; i++) {
    check(ws_create_session(store, flow, ids[i], labels[i], &id), "ws_create_session");
    printf("created %s (label %s)\n", id, labels[i] ? labels[i] : "none");
    ws_string_free(id);
  }

  /* A taken id is refused, and nothing changes. */
  status = ws_create_session(store, flow, ids[0], "duplicate", &id);
  printf("creating %s again: %s (%s)\n", ids[0], ws_status_name(status), ws_last_error_message());

  /* Work on the oldest session makes it the most recently updated. */
  check(ws_update_state(store, flow, ids[0], "{\"approved\":true}"), "ws_update_state");
  check(ws_set_session_label(store, flow, ids[1], "Invoice 18 (Initech)"), "ws_set_session_label");

  list(store, flow, WS_ORDER_UPDATED_AT, true, "most recently updated first:");
  list(store, flow, WS_ORDER_CREATED_AT, false, "oldest first:");
  list(store, flow, WS_ORDER_LABEL, false, "by label:");

  check(ws_delete_session(store, flow, ids[2]), "ws_delete_session");
  check(ws_session_exists(store, flow, ids[2], &exists), "ws_session_exists");
  printf("after deleting %s, it exists: %s\n", ids[2], exists ? "yes" : "no");
  list(store, flow, WS_ORDER_CREATED_AT, false, "remaining:");

  ws_store_close(store);
  return 0;
}
