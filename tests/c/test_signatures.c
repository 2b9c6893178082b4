/* Every function and constant of the API contract (API.md), 0.1 and the 0.2 additions
 * built so far, exists in the header with exactly the contract's signature: each function
 * is assigned to a pointer of the contract's type, which fails to compile (warnings are
 * errors) on any difference. */
#include "workflow_state.h"

#include <stdint.h>
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
  /* 0.2: one atomic edit, the change feed. */
  ws_status (*get_revision)(ws_store *, const char *, const char *, int64_t *) = ws_get_revision;
  ws_status (*get_session)(ws_store *, const char *, const char *, char **) = ws_get_session;
  ws_status (*apply)(ws_store *, const char *, const char *, const char *, char **) = ws_apply;
  ws_status (*latest_seq)(ws_store *, int64_t *) = ws_latest_seq;
  ws_status (*changes_since)(ws_store *, const char *, int64_t, size_t, char **) = ws_changes_since;
  ws_status (*wait_for_change)(ws_store *, int64_t, int32_t, int64_t *) = ws_wait_for_change;
  /* 0.2: undo for editors. */
  ws_status (*checkpoint_with)(ws_store *, const char *, const char *, const char *) =
      ws_checkpoint_with;
  ws_status (*undo_with)(ws_store *, const char *, const char *, char **) = ws_undo_with;
  ws_status (*redo_with)(ws_store *, const char *, const char *, char **) = ws_redo_with;
  ws_status (*set_clean)(ws_store *, const char *, const char *) = ws_set_clean;
  /* 0.2: sessions at scale (so far). */
  ws_status (*query_sessions)(ws_store *, const char *, const char *, char **) = ws_query_sessions;
  ws_status (*prune_sessions)(ws_store *, const char *, const char *, size_t *) = ws_prune_sessions;
  ws_status (*copy_session)(ws_store *, const char *, const char *, const char *, bool) =
      ws_copy_session;
  ws_status (*export_sessions)(ws_store *, const char *, const char *, char **) = ws_export;
  ws_status (*import_sessions)(ws_store *, const char *, bool) = ws_import;

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
      WS_DEFAULT_MAX_HISTORY_DEPTH != 50 || WS_DEFAULT_MERGE_WINDOW_MS != 1000) {
    fprintf(stderr, "an order, history or merge window constant has the wrong value\n");
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
        (void (*)(void))redo,             (void (*)(void))undo_status,
        (void (*)(void))get_revision,     (void (*)(void))get_session,
        (void (*)(void))apply,            (void (*)(void))latest_seq,
        (void (*)(void))changes_since,    (void (*)(void))wait_for_change,
        (void (*)(void))checkpoint_with,  (void (*)(void))undo_with,
        (void (*)(void))redo_with,        (void (*)(void))set_clean,
        (void (*)(void))query_sessions,   (void (*)(void))prune_sessions,
        (void (*)(void))copy_session,     (void (*)(void))export_sessions,
        (void (*)(void))import_sessions};
    for (i = 0; i < (int)(sizeof all / sizeof all[0]); i++) {
      if (all[i] == NULL) failures++;
    }
  }
  if (failures == 0) puts("ok every function and constant has the contract's signature and value");
  return failures == 0 ? 0 : 1;
}
