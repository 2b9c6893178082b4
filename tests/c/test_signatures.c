/* Every function and constant of the API contract (API.md) exists in the header with
 * exactly the contract's signature: each function is assigned to a pointer of the
 * contract's type, which fails to compile (warnings are errors) on any difference. */
#include "workflow_state.h"

#include <stdio.h>
#include <string.h>

int main(void) {
  /* Conventions and status codes. */
  const char *(*status_name)(ws_status) = ws_status_name;
  const char *(*last_error_message)(void) = ws_last_error_message;
  const char *(*version)(void) = ws_version;
  void (*string_free)(char *) = ws_string_free;
  /* Store lifecycle. */
  ws_status (*store_open)(const char *, ws_store **) = ws_store_open;
  ws_status (*store_open_with)(const char *, const char *, ws_store **) = ws_store_open_with;
  void (*store_close)(ws_store *) = ws_store_close;
  /* Session state. */
  ws_status (*get_current_step)(ws_store *, const char *, const char *, char **) =
      ws_get_current_step;
  ws_status (*set_current_step)(ws_store *, const char *, const char *, const char *) =
      ws_set_current_step;
  ws_status (*get_state)(ws_store *, const char *, const char *, char **) = ws_get_state;
  ws_status (*update_state)(ws_store *, const char *, const char *, const char *) =
      ws_update_state;
  ws_status (*clear_state)(ws_store *, const char *, const char *) = ws_clear_state;
  ws_status (*get_step_state)(ws_store *, const char *, const char *, const char *, char **) =
      ws_get_step_state;
  ws_status (*update_step_state)(ws_store *, const char *, const char *, const char *,
                                 const char *) = ws_update_step_state;
  ws_status (*clear_step_state)(ws_store *, const char *, const char *, const char *) =
      ws_clear_step_state;
  /* Sessions. */
  ws_status (*create_session)(ws_store *, const char *, const char *, const char *, char **) =
      ws_create_session;
  ws_status (*session_exists)(ws_store *, const char *, const char *, bool *) = ws_session_exists;
  ws_status (*get_session_summary)(ws_store *, const char *, const char *, char **) =
      ws_get_session_summary;
  ws_status (*list_sessions)(ws_store *, const char *, ws_order_by, bool, char **) =
      ws_list_sessions;
  ws_status (*set_session_label)(ws_store *, const char *, const char *, const char *) =
      ws_set_session_label;
  ws_status (*delete_session)(ws_store *, const char *, const char *) = ws_delete_session;
  /* History on JSON text, persisted history, undo/redo. */
  ws_status (*json_history_push)(const char *, const char *, size_t, char **) =
      ws_json_history_push;
  ws_status (*json_history_pop)(const char *, char **, char **) = ws_json_history_pop;
  ws_status (*history_push)(ws_store *, const char *, const char *, const char *) =
      ws_history_push;
  ws_status (*history_pop)(ws_store *, const char *, const char *, char **) = ws_history_pop;
  ws_status (*history_peek)(ws_store *, const char *, const char *, char **) = ws_history_peek;
  ws_status (*history_len)(ws_store *, const char *, const char *, size_t *) = ws_history_len;
  ws_status (*history_clear)(ws_store *, const char *, const char *) = ws_history_clear;
  ws_status (*checkpoint)(ws_store *, const char *, const char *, const char *) = ws_checkpoint;
  ws_status (*undo)(ws_store *, const char *, const char *, bool *) = ws_undo;
  ws_status (*redo)(ws_store *, const char *, const char *, bool *) = ws_redo;
  ws_status (*undo_status)(ws_store *, const char *, const char *, char **) = ws_undo_status;

  /* The fixed values of the status and order constants. */
  const int statuses[] = {WS_OK,       WS_INVALID_ARGUMENT, WS_INVALID_JSON, WS_NOT_FOUND,
                          WS_ALREADY_EXISTS, WS_CONFLICT,   WS_BUSY,         WS_IO,
                          WS_CORRUPT,  WS_INTERNAL};
  const char *names[] = {"WS_OK",       "WS_INVALID_ARGUMENT", "WS_INVALID_JSON",
                         "WS_NOT_FOUND", "WS_ALREADY_EXISTS",  "WS_CONFLICT",
                         "WS_BUSY",     "WS_IO",               "WS_CORRUPT",
                         "WS_INTERNAL"};
  int i, failures = 0;
  for (i = 0; i < 10; i++) {
    if (statuses[i] != i || strcmp(status_name(statuses[i]), names[i]) != 0) {
      fprintf(stderr, "%s should be %d\n", names[i], i);
      failures++;
    }
  }
  if (WS_ORDER_UPDATED_AT != 0 || WS_ORDER_CREATED_AT != 1 || WS_ORDER_LABEL != 2 ||
      WS_DEFAULT_MAX_HISTORY_DEPTH != 50) {
    fprintf(stderr, "an order or history constant has the wrong value\n");
    failures++;
  }
  /* Use every pointer so that none is optimised into a warning. */
  {
    void (*all[])(void) = {
        (void (*)(void))status_name,      (void (*)(void))last_error_message,
        (void (*)(void))version,          (void (*)(void))string_free,
        (void (*)(void))store_open,       (void (*)(void))store_open_with,
        (void (*)(void))store_close,      (void (*)(void))get_current_step,
        (void (*)(void))set_current_step, (void (*)(void))get_state,
        (void (*)(void))update_state,     (void (*)(void))clear_state,
        (void (*)(void))get_step_state,   (void (*)(void))update_step_state,
        (void (*)(void))clear_step_state, (void (*)(void))create_session,
        (void (*)(void))session_exists,   (void (*)(void))get_session_summary,
        (void (*)(void))list_sessions,    (void (*)(void))set_session_label,
        (void (*)(void))delete_session,   (void (*)(void))json_history_push,
        (void (*)(void))json_history_pop, (void (*)(void))history_push,
        (void (*)(void))history_pop,      (void (*)(void))history_peek,
        (void (*)(void))history_len,      (void (*)(void))history_clear,
        (void (*)(void))checkpoint,       (void (*)(void))undo,
        (void (*)(void))redo,             (void (*)(void))undo_status};
    for (i = 0; i < (int)(sizeof all / sizeof all[0]); i++) {
      if (all[i] == NULL) failures++;
    }
  }
  if (failures == 0) puts("ok every function and constant has the contract's signature and value");
  return failures == 0 ? 0 : 1;
}
