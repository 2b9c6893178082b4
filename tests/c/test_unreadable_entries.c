/* Stack entries another program stored whose text cannot be handed out: a NUL byte
 * (which a C string cannot carry, and which is never valid JSON text) or bytes that are
 * not UTF-8. A pop, peek, undo or redo of such an entry fails with WS_CORRUPT naming the
 * session and the stack, and removes, moves or restores nothing. */
#include "check.h"
#include "python.h"


/* The hex of {"a":"x<NUL>y"} and of {"a":"<0xff>"}. */
#define WITH_NUL "x'7b2261223a22780079227d'"
#define NOT_UTF8 "x'7b2261223a22ff227d'"

static size_t history_len(ws_store *store, const char *session) {
  size_t len = 12345;
  CHECK_OK(ws_history_len(store, "f", session, &len));
  return len;
}

/* Pop and peek both fail on the newest entry, with a message naming the session, the
 * stack and the `problem`, and the entry stays: the stack keeps `len`. */
static void check_pop_refused(ws_store *store, const char *session, const char *named,
                              const char *problem, size_t len) {
  char *out = DUMMY;
  CHECK_STATUS(ws_history_pop(store, "f", session, &out), WS_CORRUPT);
  CHECK(out == NULL);
  CHECK_MESSAGE_HAS(named);
  CHECK_MESSAGE_HAS("history stack");
  CHECK_MESSAGE_HAS(problem);
  CHECK(history_len(store, session) == len);
  out = DUMMY;
  CHECK_STATUS(ws_history_peek(store, "f", session, &out), WS_CORRUPT);
  CHECK(out == NULL);
  CHECK_MESSAGE_HAS(named);
  CHECK(history_len(store, session) == len);
  /* Failing again the same way shows the entry is still the newest. */
  CHECK_STATUS(ws_history_pop(store, "f", session, &out), WS_CORRUPT);
  CHECK(history_len(store, session) == len);
}

static void test_history_pop(const char *path) {
  ws_store *store = NULL;
  char *out = NULL;
  static const char top[] =
      "(SELECT max(seq) FROM ws_history WHERE flow_session_key = 'f:h' AND stack = 10)";
  char sql[1024];
  CHECK_OK(ws_store_open(path, &store));
  CHECK_OK(ws_history_push(store, "f", "h", "{\"a\":1}"));
  snprintf(sql, sizeof sql,
           "INSERT INTO ws_history (flow_session_key, stack, seq, snapshot)"
           " VALUES ('f:h', 10, %s + 1, CAST(" WITH_NUL " AS TEXT))",
           top);
  python_sql(path, sql);
  CHECK(history_len(store, "h") == 2);
  check_pop_refused(store, "h", "session \"h\" of flow \"f\"", "NUL", 2);

  snprintf(sql, sizeof sql,
           "UPDATE ws_history SET snapshot = CAST(" NOT_UTF8 " AS TEXT)"
           " WHERE flow_session_key = 'f:h' AND stack = 10 AND seq = %s",
           top);
  python_sql(path, sql);
  check_pop_refused(store, "h", "session \"h\" of flow \"f\"", "UTF-8", 2);

  /* Once the other program repairs it, the same entry pops, then the one below it. */
  snprintf(sql, sizeof sql,
           "UPDATE ws_history SET snapshot = '{\"a\":2}'"
           " WHERE flow_session_key = 'f:h' AND stack = 10 AND seq = %s",
           top);
  python_sql(path, sql);
  CHECK_OK(ws_history_pop(store, "f", "h", &out));
  CHECK_STR(out, "{\"a\":2}");
  ws_string_free(out);
  CHECK_OK(ws_history_pop(store, "f", "h", &out));
  CHECK_STR(out, "{\"a\":1}");
  ws_string_free(out);
  CHECK(history_len(store, "h") == 0);
  ws_store_close(store);
}

/* The session "u" is at {"v":2} on step "two"; its one checkpoint "edit" holds {"v":1}
 * on step "one". A failed undo leaves all of that. */
static void check_undo_refused(ws_store *store, const char *what) {
  bool done = true;
  CHECK_STATUS(ws_undo(store, "f", "u", &done), WS_CORRUPT);
  CHECK(!done);
  CHECK_MESSAGE_HAS("session \"u\" of flow \"f\"");
  CHECK_MESSAGE_HAS("undo stack");
  CHECK_MESSAGE_HAS(what);
  CHECK_STATE(store, "f", "u", "{\"v\":2}");
  CHECK_CURRENT_STEP(store, "f", "u", "two");
  CHECK_UNDO_STATUS(store, "f", "u",
                    "{\"undo_depth\":1,\"redo_depth\":0,\"undo_label\":\"edit\",\"redo_label\":null" NO_META_NOT_CLEAN);
}

static void test_undo_redo(const char *path) {
  ws_store *store = NULL;
  bool done = false;
  static const char entry[] = " WHERE flow_session_key = 'f:u' AND stack = 11";
  char sql[1024];
  CHECK_OK(ws_store_open(path, &store));
  CHECK_OK(ws_update_state(store, "f", "u", "{\"v\":1}"));
  CHECK_OK(ws_set_current_step(store, "f", "u", "one"));
  CHECK_OK(ws_checkpoint(store, "f", "u", "edit"));
  CHECK_OK(ws_update_state(store, "f", "u", "{\"v\":2}"));
  CHECK_OK(ws_set_current_step(store, "f", "u", "two"));

  snprintf(sql, sizeof sql, "UPDATE ws_history SET snapshot = CAST(" WITH_NUL " AS TEXT)%s",
           entry);
  python_sql(path, sql);
  check_undo_refused(store, "NUL");
  snprintf(sql, sizeof sql, "UPDATE ws_history SET snapshot = CAST(" NOT_UTF8 " AS TEXT)%s",
           entry);
  python_sql(path, sql);
  check_undo_refused(store, "UTF-8");
  /* The step restored with the state must be one a C string can carry too. */
  snprintf(sql, sizeof sql,
           "UPDATE ws_history SET snapshot = '{\"v\":1}', current_step = CAST(x'6f006e65' AS TEXT)%s",
           entry);
  python_sql(path, sql);
  check_undo_refused(store, "NUL");

  /* Repaired, it undoes; then a redo entry that cannot be handed out is refused alike. */
  snprintf(sql, sizeof sql, "UPDATE ws_history SET current_step = 'one'%s", entry);
  python_sql(path, sql);
  CHECK_OK(ws_undo(store, "f", "u", &done));
  CHECK(done);
  CHECK_STATE(store, "f", "u", "{\"v\":1}");
  python_sql(path, "UPDATE ws_history SET snapshot = CAST(" WITH_NUL " AS TEXT)"
                   " WHERE flow_session_key = 'f:u' AND stack = 12");
  CHECK_STATUS(ws_redo(store, "f", "u", &done), WS_CORRUPT);
  CHECK(!done);
  CHECK_MESSAGE_HAS("session \"u\" of flow \"f\"");
  CHECK_MESSAGE_HAS("redo stack");
  CHECK_STATE(store, "f", "u", "{\"v\":1}");
  CHECK_CURRENT_STEP(store, "f", "u", "one");
  CHECK_UNDO_STATUS(store, "f", "u",
                    "{\"undo_depth\":0,\"redo_depth\":1,\"undo_label\":null,\"redo_label\":\"edit\"" NO_META_NOT_CLEAN);
  ws_store_close(store);
}

/* A state of 64 KiB and more is kept as chunks; one whose data gained a NUL byte or lost
 * its UTF-8 is not restored either. */
static void test_undo_chunked(const char *path) {
  ws_store *store = NULL;
  size_t size = 100000, i;
  char *big = (char *)malloc(size + 16);
  char *before;
  bool done = true;
  CHECK(big != NULL);
  strcpy(big, "{\"big\":\"");
  for (i = strlen(big); i < size; i++) big[i] = (char)('a' + i % 26);
  strcpy(big + size, "\"}");
  CHECK_OK(ws_store_open(path, &store));
  CHECK_OK(ws_update_state(store, "f", "c", big));
  CHECK_OK(ws_checkpoint(store, "f", "c", "big"));
  CHECK_OK(ws_update_state(store, "f", "c", "{\"big\":\"small\"}"));
  before = state_copy(store, "f", "c");
  python_sql(path, "UPDATE ws_chunk_data SET data = substr(data, 1, 20) || x'00' || substr(data, 22)"
                   " WHERE id = (SELECT min(id) FROM ws_chunk_data)");
  CHECK_STATUS(ws_undo(store, "f", "c", &done), WS_CORRUPT);
  CHECK(!done);
  CHECK_MESSAGE_HAS("session \"c\" of flow \"f\"");
  CHECK_MESSAGE_HAS("NUL");
  CHECK_STATE(store, "f", "c", before);
  python_sql(path, "UPDATE ws_chunk_data SET data = substr(data, 1, 20) || x'ff' || substr(data, 22)"
                   " WHERE id = (SELECT min(id) FROM ws_chunk_data)");
  CHECK_STATUS(ws_undo(store, "f", "c", &done), WS_CORRUPT);
  CHECK_MESSAGE_HAS("UTF-8");
  CHECK_STATE(store, "f", "c", before);
  CHECK_UNDO_STATUS(store, "f", "c",
                    "{\"undo_depth\":1,\"redo_depth\":0,\"undo_label\":\"big\",\"redo_label\":null" NO_META_NOT_CLEAN);
  free(before);
  free(big);
  ws_store_close(store);
}

int main(void) {
  const char *dir = fresh_dir("unreadable_entries");
  char path[512];
  path_in(path, sizeof path, dir, "store.db");
  test_history_pop(path);
  test_undo_redo(path);
  test_undo_chunked(path);
  puts("ok");
  return 0;
}
