/* Text columns another program filled with what is not text the library can hand out:
 * a session key, current_step or label that is not UTF-8, and undo entries whose label
 * or current_step is not. Every call that reads such a value fails with WS_CORRUPT
 * (never WS_INTERNAL) and a message naming the session and the column; nothing is
 * changed. A number or a UTF-8 BLOB another program stored reads as its text. */
#include "check.h"
#include "python.h"


static char g_path[512];
static ws_store *g_store;

/* The message must stay valid UTF-8: the bad byte is escaped, never copied. */
static void check_message_is_text(void) {
  const unsigned char *m = (const unsigned char *)ws_last_error_message();
  for (; *m != '\0'; m++) CHECK(*m != 0xff);
}

/* `call` must fail with WS_CORRUPT, its out-parameter NULL, the message naming `row`
 * and `column`. */
#define CHECK_CORRUPT(call, out, row, column)                                         \
  do {                                                                                \
    out = DUMMY;                                                                      \
    CHECK_STATUS(call, WS_CORRUPT);                                                   \
    CHECK(out == NULL);                                                               \
    CHECK_MESSAGE_HAS(row);                                                           \
    CHECK_MESSAGE_HAS(column);                                                        \
    CHECK_MESSAGE_HAS("UTF-8");                                                       \
    check_message_is_text();                                                          \
  } while (0)

static char *list(void) {
  char *text = NULL;
  CHECK_OK(ws_list_sessions(g_store, "f", WS_ORDER_CREATED_AT, false, &text));
  return text;
}

/* Only the good session is listed once the bad rows are gone. */
static void check_list_is_good(void) {
  char *text = list();
  CHECK(strstr(text, "\"session_id\":\"good\",\"label\":\"Good\",\"current_step\":\"s1\"") != NULL);
  CHECK(strstr(text, "},{") == NULL);
  ws_string_free(text);
}

static void test_session_key(void) {
  char *out;
  python_sql(g_path, "INSERT INTO workflow_state (flow_session_key, state_json)"
                     " VALUES (CAST(x'663a61ff62' AS TEXT), '{}')");
  CHECK_CORRUPT(ws_list_sessions(g_store, "f", WS_ORDER_CREATED_AT, false, &out), out,
                "session \"a\\xffb\" of flow \"f\"", "key");
  CHECK_CORRUPT(ws_list_sessions(g_store, "f", WS_ORDER_LABEL, true, &out), out,
                "session \"a\\xffb\" of flow \"f\"", "key");
  /* Other flows do not read the row. */
  CHECK_OK(ws_list_sessions(g_store, "g", WS_ORDER_CREATED_AT, false, &out));
  CHECK_STR(out, "[]");
  ws_string_free(out);
  python_sql(g_path, "DELETE FROM workflow_state WHERE flow_session_key = CAST(x'663a61ff62' AS TEXT)");
  check_list_is_good();
}

static void test_current_step(void) {
  char *out;
  bool done = true;
  const char *row = "session \"step\" of flow \"f\"";
  CHECK_OK(ws_update_state(g_store, "f", "step", "{\"x\":0}"));
  python_sql(g_path, "UPDATE workflow_state SET current_step = CAST(x'61ff62' AS TEXT)"
                     " WHERE flow_session_key = 'f:step'");
  CHECK_CORRUPT(ws_get_current_step(g_store, "f", "step", &out), out, row, "current_step");
  CHECK_CORRUPT(ws_get_session_summary(g_store, "f", "step", &out), out, row, "current_step");
  CHECK_CORRUPT(ws_list_sessions(g_store, "f", WS_ORDER_UPDATED_AT, false, &out), out, row,
                "current_step");
  /* A checkpoint copies the step inside SQLite; the undo that would restore it fails. */
  CHECK_OK(ws_checkpoint(g_store, "f", "step", "edit"));
  CHECK_OK(ws_update_state(g_store, "f", "step", "{\"x\":1}"));
  CHECK_STATUS(ws_undo(g_store, "f", "step", &done), WS_CORRUPT);
  CHECK(!done);
  CHECK_MESSAGE_HAS(row);
  CHECK_MESSAGE_HAS("current_step");
  CHECK_MESSAGE_HAS("undo stack");
  check_message_is_text();
  CHECK_STATE(g_store, "f", "step", "{\"x\":1}");
  CHECK_UNDO_STATUS(g_store, "f", "step",
                    "{\"undo_depth\":1,\"redo_depth\":0,\"undo_label\":\"edit\",\"redo_label\":null" NO_META_NOT_CLEAN);
  CHECK_OK(ws_delete_session(g_store, "f", "step"));
  check_list_is_good();
}

static void test_label(void) {
  char *out;
  const char *row = "session \"label\" of flow \"f\"";
  CHECK_OK(ws_create_session(g_store, "f", "label", "fine", &out));
  ws_string_free(out);
  python_sql(g_path, "UPDATE workflow_state SET label = CAST(x'ff' AS TEXT)"
                     " WHERE flow_session_key = 'f:label'");
  CHECK_CORRUPT(ws_get_session_summary(g_store, "f", "label", &out), out, row, "label");
  CHECK_CORRUPT(ws_list_sessions(g_store, "f", WS_ORDER_LABEL, false, &out), out, row, "label");
  CHECK_OK(ws_delete_session(g_store, "f", "label"));
  check_list_is_good();
}

static void test_undo_entry_label(void) {
  char *out;
  bool done = true;
  const char *row = "session \"ul\" of flow \"f\"";
  CHECK_OK(ws_update_state(g_store, "f", "ul", "{\"v\":1}"));
  CHECK_OK(ws_checkpoint(g_store, "f", "ul", "edit"));
  CHECK_OK(ws_update_state(g_store, "f", "ul", "{\"v\":2}"));
  python_sql(g_path, "UPDATE ws_history SET label = CAST(x'65ff' AS TEXT)"
                     " WHERE flow_session_key = 'f:ul' AND stack = 11");
  CHECK_STATUS(ws_undo(g_store, "f", "ul", &done), WS_CORRUPT);
  CHECK(!done);
  CHECK_MESSAGE_HAS(row);
  CHECK_MESSAGE_HAS("label");
  CHECK_MESSAGE_HAS("undo stack");
  check_message_is_text();
  CHECK_CORRUPT(ws_undo_status(g_store, "f", "ul", &out), out, row, "label");
  CHECK_MESSAGE_HAS("undo stack");
  CHECK_STATE(g_store, "f", "ul", "{\"v\":2}");
  /* Repaired, the entry is where it was, and undoes. */
  python_sql(g_path, "UPDATE ws_history SET label = 'edit'"
                     " WHERE flow_session_key = 'f:ul' AND stack = 11");
  CHECK_UNDO_STATUS(g_store, "f", "ul",
                    "{\"undo_depth\":1,\"redo_depth\":0,\"undo_label\":\"edit\",\"redo_label\":null" NO_META_NOT_CLEAN);
  CHECK_OK(ws_undo(g_store, "f", "ul", &done));
  CHECK(done);
  CHECK_STATE(g_store, "f", "ul", "{\"v\":1}");
  CHECK_OK(ws_delete_session(g_store, "f", "ul"));
}

static void test_undo_entry_current_step(void) {
  bool done = true;
  const char *row = "session \"us\" of flow \"f\"";
  CHECK_OK(ws_update_state(g_store, "f", "us", "{\"v\":1}"));
  CHECK_OK(ws_set_current_step(g_store, "f", "us", "one"));
  CHECK_OK(ws_checkpoint(g_store, "f", "us", "edit"));
  CHECK_OK(ws_set_current_step(g_store, "f", "us", "two"));
  python_sql(g_path, "UPDATE ws_history SET current_step = CAST(x'ff6f6e65' AS TEXT)"
                     " WHERE flow_session_key = 'f:us' AND stack = 11");
  CHECK_STATUS(ws_undo(g_store, "f", "us", &done), WS_CORRUPT);
  CHECK(!done);
  CHECK_MESSAGE_HAS(row);
  CHECK_MESSAGE_HAS("current_step");
  CHECK_MESSAGE_HAS("undo stack");
  check_message_is_text();
  CHECK_STATE(g_store, "f", "us", "{\"v\":1}");
  CHECK_CURRENT_STEP(g_store, "f", "us", "two");
  /* The status reads only labels, so it still answers, and shows the entry in place. */
  CHECK_UNDO_STATUS(g_store, "f", "us",
                    "{\"undo_depth\":1,\"redo_depth\":0,\"undo_label\":\"edit\",\"redo_label\":null" NO_META_NOT_CLEAN);
  CHECK_OK(ws_delete_session(g_store, "f", "us"));
}

/* What other programs may store that is still text: a number where SQLite keeps one
 * (created_at has NUMERIC affinity) and UTF-8 stored as a BLOB. */
static void test_numbers_and_blobs_read_as_text(void) {
  char *out = NULL;
  python_sql(g_path, "UPDATE workflow_state SET created_at = 1700000000, label = x'476f6f64',"
                     " current_step = x'7331' WHERE flow_session_key = 'f:good'");
  CHECK_CURRENT_STEP(g_store, "f", "good", "s1");
  CHECK_OK(ws_get_session_summary(g_store, "f", "good", &out));
  CHECK(strstr(out, "\"label\":\"Good\",\"current_step\":\"s1\",\"created_at\":\"1700000000\"") != NULL);
  ws_string_free(out);
  check_list_is_good();
}

int main(void) {
  const char *dir = fresh_dir("stored_text");
  char *out = NULL;
  path_in(g_path, sizeof g_path, dir, "store.db");
  CHECK_OK(ws_store_open(g_path, &g_store));
  CHECK_OK(ws_create_session(g_store, "f", "good", "Good", &out));
  ws_string_free(out);
  CHECK_OK(ws_set_current_step(g_store, "f", "good", "s1"));
  test_session_key();
  test_current_step();
  test_label();
  test_undo_entry_label();
  test_undo_entry_current_step();
  test_numbers_and_blobs_read_as_text();
  ws_store_close(g_store);
  puts("ok");
  return 0;
}
