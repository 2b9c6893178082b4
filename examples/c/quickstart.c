/* quickstart: a three-step sign-up wizard whose progress survives restarts.
 *
 *   quickstart [DATABASE]     (default: quickstart.db)
 *
 * It creates a session, moves through the steps "account", "profile" and "confirm",
 * saving session-wide and per-step state on the way, then prints the session's state,
 * its summary and the flow's session list. */
#include "workflow_state.h"

#include <stdio.h>
#include <stdlib.h>

/* Every ws_ call returns a status; on failure ws_last_error_message() says why. */
static void check(ws_status status, const char *what) {
  if (status != WS_OK) {
    fprintf(stderr, "%s failed: %s: %s\n", what, ws_status_name(status), ws_last_error_message());
    exit(1);
  }
}

/* Prints a string the library returned, then frees it with ws_string_free. */
static void print_and_free(const char *label, char *text) {
  printf("%-14s %s\n", label, text ? text : "(none)");
  ws_string_free(text);
}

int main(int argc, char **argv) {
  const char *path = argc > 1 ? argv[1] : "quickstart.db";
  const char *flow = "signup";
  ws_store *store = NULL;
  char *session = NULL;
  char *text = NULL;

  printf("workflow_state %s, database %s\n\n", ws_version(), path);
  check(ws_store_open(path, &store), "ws_store_open");

  /* A new session with a generated id and a label for the session list. */
  check(ws_create_session(store, flow, NULL, "Ada's sign-up", &session), "ws_create_session");
  printf("created session %s\n", session);

  /* Step 1: account. */
  check(ws_set_current_step(store, flow, session, "account"), "ws_set_current_step");
  check(ws_update_step_state(store, flow, session, "account",
                             "{\"email\":\"ada@example.org\",\"verified\":false}"),
        "ws_update_step_state");
  check(ws_update_state(store, flow, session, "{\"started_from\":\"landing page\"}"),
        "ws_update_state");

  /* Step 2: profile. A later merge into the same step keeps the other keys. */
  check(ws_set_current_step(store, flow, session, "profile"), "ws_set_current_step");
  check(ws_update_step_state(store, flow, session, "profile", "{\"name\":\"Ada Lovelace\"}"),
        "ws_update_step_state");
  check(ws_update_step_state(store, flow, session, "profile", "{\"country\":\"UK\"}"),
        "ws_update_step_state");
  check(ws_update_step_state(store, flow, session, "account", "{\"verified\":true}"),
        "ws_update_step_state");

  /* Step 3: confirm. */
  check(ws_set_current_step(store, flow, session, "confirm"), "ws_set_current_step");
  check(ws_update_state(store, flow, session, "{\"accepted_terms\":true}"), "ws_update_state");

  /* Read everything back. */
  check(ws_get_current_step(store, flow, session, &text), "ws_get_current_step");
  print_and_free("current step:", text);
  check(ws_get_step_state(store, flow, session, "profile", &text), "ws_get_step_state");
  print_and_free("profile step:", text);
  check(ws_get_state(store, flow, session, &text), "ws_get_state");
  print_and_free("whole state:", text);
  check(ws_get_session_summary(store, flow, session, &text), "ws_get_session_summary");
  print_and_free("summary:", text);
  check(ws_list_sessions(store, flow, WS_ORDER_UPDATED_AT, true, &text), "ws_list_sessions");
  print_and_free("sessions:", text);

  ws_string_free(session);
  ws_store_close(store);
  printf("\nRun it again: the earlier sessions are still in %s.\n", path);
  return 0;
}
