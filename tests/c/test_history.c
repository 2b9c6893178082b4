/* History and undo (API.md "History: the cjm stack functions, on JSON text", "History:
 * persisted per session", "Undo / redo of a whole session"): ws_json_history_push,
 * ws_json_history_pop, ws_history_push / pop / peek / len / clear, ws_checkpoint, ws_undo,
 * ws_redo, ws_undo_status.
 *
 * Every failure is checked for: the status, every out-pointer reset to NULL / 0 / false, a
 * message naming the problem, and the stored data left exactly as it was (the flow's session
 * list with each updated_at, the session's state and current step, the history length and
 * top, and the undo status). */
#include "check.h"
#include "table_check.h"

#include <stdint.h>

#define CHECK_HISTORY_LEN(store, flow, session, expected)                       \
  do {                                                                          \
    size_t len_ = 12345;                                                        \
    CHECK_OK(ws_history_len((store), (flow), (session), &len_));                \
    if (len_ != (size_t)(expected)) {                                           \
      fprintf(stderr, "%s:%d: ws_history_len is %zu, expected %zu\n", __FILE__, \
              __LINE__, len_, (size_t)(expected));                              \
      exit(1);                                                                  \
    }                                                                           \
  } while (0)

/* ws_undo / ws_redo must succeed with *out_done == expected. */
#define CHECK_UNDO(store, flow, session, expected)                              \
  do {                                                                          \
    bool done_ = !(expected);                                                   \
    CHECK_OK(ws_undo((store), (flow), (session), &done_));                      \
    CHECK(done_ == (expected));                                                 \
  } while (0)

#define CHECK_REDO(store, flow, session, expected)                              \
  do {                                                                          \
    bool done_ = !(expected);                                                   \
    CHECK_OK(ws_redo((store), (flow), (session), &done_));                      \
    CHECK(done_ == (expected));                                                 \
  } while (0)

/* ws_json_history_push / pop must succeed with these results. */
#define CHECK_JSON_PUSH(history, snapshot, depth, expected)                     \
  do {                                                                          \
    char *out_ = DUMMY;                                                         \
    CHECK_OK(ws_json_history_push((history), (snapshot), (depth), &out_));      \
    CHECK_STR(out_, (expected));                                                \
    ws_string_free(out_);                                                       \
  } while (0)

#define CHECK_JSON_POP(history, expected_snapshot, expected_rest)               \
  do {                                                                          \
    char *snapshot_ = DUMMY, *rest_ = DUMMY;                                    \
    CHECK_OK(ws_json_history_pop((history), &snapshot_, &rest_));               \
    CHECK_STR(snapshot_, (expected_snapshot));                                  \
    CHECK_STR(rest_, (expected_rest));                                          \
    ws_string_free(snapshot_);                                                  \
    ws_string_free(rest_);                                                      \
  } while (0)

/* ... or fail with `status`, the out-pointers NULL and `needle` in the message. */
#define CHECK_JSON_PUSH_FAILS(history, snapshot, depth, status, needle)         \
  do {                                                                          \
    char *out_ = DUMMY;                                                         \
    CHECK_STATUS(ws_json_history_push((history), (snapshot), (depth), &out_), (status)); \
    CHECK(out_ == NULL);                                                        \
    CHECK_MESSAGE_HAS(needle);                                                  \
  } while (0)

#define CHECK_JSON_POP_FAILS(history, status, needle)                           \
  do {                                                                          \
    char *snapshot_ = DUMMY, *rest_ = DUMMY;                                    \
    CHECK_STATUS(ws_json_history_pop((history), &snapshot_, &rest_), (status)); \
    CHECK(snapshot_ == NULL && rest_ == NULL);                                  \
    CHECK_MESSAGE_HAS(needle);                                                  \
  } while (0)

/* Everything the API shows about a session (and its flow's list), as one malloc'd string:
 * what must not change when a call fails or does nothing. */
static char *everything(ws_store *store, const char *flow, const char *session) {
  char *base = snapshot(store, flow, session);
  char *step = DUMMY, *peek = DUMMY, *status = DUMMY, *all;
  size_t len = 12345, size;
  bool found = exists(store, flow, session);
  CHECK_OK(ws_get_current_step(store, flow, session, &step));
  CHECK_OK(ws_history_len(store, flow, session, &len));
  CHECK_OK(ws_history_peek(store, flow, session, &peek));
  CHECK_OK(ws_undo_status(store, flow, session, &status));
  size = strlen(base) + (step ? strlen(step) : 6) + (peek ? strlen(peek) : 6) + strlen(status) + 96;
  all = (char *)malloc(size);
  CHECK(all != NULL);
  snprintf(all, size, "%s|exists=%d|step=%s|len=%zu|peek=%s|%s", base, (int)found,
           step ? step : "(NULL)", len, peek ? peek : "(NULL)", status);
  free(base);
  ws_string_free(step);
  ws_string_free(peek);
  ws_string_free(status);
  return all;
}

#define CHECK_NOTHING_CHANGED(store, flow, session, before)                     \
  do {                                                                          \
    char *after_ = everything((store), (flow), (session));                      \
    check_str_at(__FILE__, __LINE__, "everything after the call", after_, (before)); \
    free(after_);                                                               \
  } while (0)

/* One text field of the session summary (`created_at`, `updated_at`) into `buffer`. */
static const char *summary_field(ws_store *store, const char *flow, const char *session,
                                 const char *field, char *buffer, size_t size) {
  char *summary = summary_copy(store, flow, session);
  char needle[64];
  const char *start, *end;
  CHECK(summary != NULL);
  snprintf(needle, sizeof needle, "\"%s\":\"", field);
  start = strstr(summary, needle);
  CHECK(start != NULL);
  start += strlen(needle);
  end = strchr(start, '"');
  CHECK(end != NULL && (size_t)(end - start) < size);
  memcpy(buffer, start, (size_t)(end - start));
  buffer[end - start] = '\0';
  free(summary);
  return buffer;
}

static ws_store *open_with(const char *path, const char *options) {
  ws_store *store = (ws_store *)DUMMY;
  CHECK_OK(ws_store_open_with(path, options, &store));
  CHECK(store != NULL && store != (ws_store *)DUMMY);
  return store;
}

/* ------------------------------------------------------------------------------------ */
/* The cjm functions on JSON text. */

static void test_json_history_push(void) {
  char expected[1024], snapshot_text[32];
  char *history = NULL;
  size_t n, used;
  int i;

  /* NULL history is []; any JSON value is a snapshot, output compact, exact. */
  CHECK_JSON_PUSH(NULL, "{\"a\":1}", 50, "[{\"a\":1}]");
  CHECK_JSON_PUSH(NULL, "[1,[2]]", 50, "[[1,[2]]]");
  CHECK_JSON_PUSH(NULL, "1180591620717411303424", 50, "[1180591620717411303424]");
  CHECK_JSON_PUSH(NULL, "0.1", 50, "[0.1]");
  CHECK_JSON_PUSH(NULL, "1.50", 50, "[1.50]");
  CHECK_JSON_PUSH(NULL, "-0.0", 50, "[-0.0]");
  CHECK_JSON_PUSH(NULL, "\"é\"", 50, "[\"é\"]");
  CHECK_JSON_PUSH(NULL, "\"\\u00e9\\ud83d\\ude00\"", 50, "[\"é😀\"]");
  CHECK_JSON_PUSH(NULL, "null", 50, "[null]");
  CHECK_JSON_PUSH(NULL, "true", 50, "[true]");
  CHECK_JSON_PUSH(NULL, "{}", 50, "[{}]");
  CHECK_JSON_PUSH(NULL, "[]", 50, "[[]]");
  CHECK_JSON_PUSH("[]", "{}", 50, "[{}]");
  CHECK_JSON_PUSH(NULL, " {\n \"b\" : 1 ,\t\"a\" : [ 2 , { } ] } ", 50, "[{\"b\":1,\"a\":[2,{}]}]");

  /* Appends; the history's own entries are kept exactly (any types), output compact. */
  CHECK_JSON_PUSH(" [ 1 , { \"b\" : 2 , \"a\" : [ ] } , null , \"x\" ] ", " \"y\" ", 50,
                  "[1,{\"b\":2,\"a\":[]},null,\"x\",\"y\"]");
  CHECK_JSON_PUSH("[1180591620717411303424,0.1,-0.0]", "2.50", 50,
                  "[1180591620717411303424,0.1,-0.0,2.50]");

  /* Keeps the newest max_depth entries, max_depth 1 included. */
  CHECK_JSON_PUSH("[1,2,3]", "4", SIZE_MAX, "[1,2,3,4]");
  CHECK_JSON_PUSH("[1,2,3]", "4", 5, "[1,2,3,4]");
  CHECK_JSON_PUSH("[1,2,3]", "4", 4, "[1,2,3,4]");
  CHECK_JSON_PUSH("[1,2,3]", "4", 3, "[2,3,4]");
  CHECK_JSON_PUSH("[1,2,3]", "4", 2, "[3,4]");
  CHECK_JSON_PUSH("[1,2,3]", "4", 1, "[4]");
  CHECK_JSON_PUSH("[1,2,3,4,5]", "{\"six\":6}", 2, "[5,{\"six\":6}]");
  CHECK_JSON_PUSH(NULL, "\"only\"", 1, "[\"only\"]");
  CHECK_JSON_PUSH("[]", "[1,2,3]", 1, "[[1,2,3]]"); /* the snapshot array is one entry */

  /* cjm's default depth, 50: 60 pushes keep 10..59. */
  CHECK(WS_DEFAULT_MAX_HISTORY_DEPTH == 50);
  for (i = 0; i < 60; i++) {
    char *next = DUMMY;
    snprintf(snapshot_text, sizeof snapshot_text, "%d", i);
    CHECK_OK(ws_json_history_push(history, snapshot_text, WS_DEFAULT_MAX_HISTORY_DEPTH, &next));
    ws_string_free(history);
    history = next;
  }
  used = (size_t)snprintf(expected, sizeof expected, "[");
  for (n = 10; n < 60; n++) used += (size_t)snprintf(expected + used, sizeof expected - used, "%s%zu", n > 10 ? "," : "", n);
  snprintf(expected + used, sizeof expected - used, "]");
  CHECK_STR(history, expected);
  ws_string_free(history);

  /* max_depth 0. */
  CHECK_JSON_PUSH_FAILS(NULL, "1", 0, WS_INVALID_ARGUMENT, "max_depth");
  CHECK_JSON_PUSH_FAILS("[1]", "2", 0, WS_INVALID_ARGUMENT, "max_depth");

  /* A history that is not an array. */
  CHECK_JSON_PUSH_FAILS("{}", "1", 50, WS_INVALID_JSON, "array");
  CHECK_JSON_PUSH_FAILS("{\"a\":[1]}", "1", 50, WS_INVALID_JSON, "array");
  CHECK_JSON_PUSH_FAILS("1", "1", 50, WS_INVALID_JSON, "array");
  CHECK_JSON_PUSH_FAILS("\"[]\"", "1", 50, WS_INVALID_JSON, "array");
  CHECK_JSON_PUSH_FAILS("null", "1", 50, WS_INVALID_JSON, "array");
  CHECK_JSON_PUSH_FAILS("true", "1", 50, WS_INVALID_JSON, "array");
  CHECK_JSON_PUSH_FAILS("{}", "1", 50, WS_INVALID_JSON, "history_json");

  /* Unparsable history or snapshot. */
  CHECK_JSON_PUSH_FAILS("[", "1", 50, WS_INVALID_JSON, "history_json");
  CHECK_JSON_PUSH_FAILS("", "1", 50, WS_INVALID_JSON, "history_json");
  CHECK_JSON_PUSH_FAILS("[1,]", "1", 50, WS_INVALID_JSON, "history_json");
  CHECK_JSON_PUSH_FAILS("[NaN]", "1", 50, WS_INVALID_JSON, "history_json");
  CHECK_JSON_PUSH_FAILS("[1] [2]", "1", 50, WS_INVALID_JSON, "history_json");
  CHECK_JSON_PUSH_FAILS("[\"\\ud800\"]", "1", 50, WS_INVALID_JSON, "history_json");
  CHECK_JSON_PUSH_FAILS("[]", "", 50, WS_INVALID_JSON, "snapshot_json");
  CHECK_JSON_PUSH_FAILS("[]", "  ", 50, WS_INVALID_JSON, "snapshot_json");
  CHECK_JSON_PUSH_FAILS("[]", "{", 50, WS_INVALID_JSON, "snapshot_json");
  CHECK_JSON_PUSH_FAILS(NULL, "NaN", 50, WS_INVALID_JSON, "snapshot_json");
  CHECK_JSON_PUSH_FAILS(NULL, "Infinity", 50, WS_INVALID_JSON, "snapshot_json");
  CHECK_JSON_PUSH_FAILS(NULL, "1 2", 50, WS_INVALID_JSON, "snapshot_json");
  CHECK_JSON_PUSH_FAILS(NULL, "[1,]", 50, WS_INVALID_JSON, "snapshot_json");
  CHECK_JSON_PUSH_FAILS(NULL, "'a'", 50, WS_INVALID_JSON, "snapshot_json");
  CHECK_JSON_PUSH_FAILS(NULL, "\"\\ud800\"", 50, WS_INVALID_JSON, "snapshot_json");

  /* NULLs and bad UTF-8. */
  CHECK_JSON_PUSH_FAILS(NULL, NULL, 50, WS_INVALID_ARGUMENT, "snapshot_json");
  CHECK_JSON_PUSH_FAILS("[]", NULL, 50, WS_INVALID_ARGUMENT, "snapshot_json");
  CHECK_JSON_PUSH_FAILS("[\"\xff\"]", "1", 50, WS_INVALID_ARGUMENT, "history_json");
  CHECK_JSON_PUSH_FAILS("[]", "\"\xc3\"", 50, WS_INVALID_ARGUMENT, "snapshot_json");
  CHECK_STATUS(ws_json_history_push("[]", "1", 50, NULL), WS_INVALID_ARGUMENT);
  CHECK_MESSAGE_HAS("out_history_json");
}

static void test_json_history_pop(void) {
  char *history = NULL, *snapshot_json = DUMMY, *rest = DUMMY;
  const char *values[] = {"{\"b\":1,\"a\":0.10}", "1180591620717411303424", "\"é\"", "null", "[]"};
  int i;

  /* Empty: snapshot NULL, history "[]". */
  CHECK_JSON_POP("[]", NULL, "[]");
  CHECK_JSON_POP(" [ ] ", NULL, "[]");

  /* The last element and the rest, compact and exact. */
  CHECK_JSON_POP("[1]", "1", "[]");
  CHECK_JSON_POP("[{\"a\":1},[2],\"é\",1180591620717411303424]", "1180591620717411303424",
                 "[{\"a\":1},[2],\"é\"]");
  CHECK_JSON_POP("[ 1 , { \"b\" : 2 , \"a\" : 0.10 } ]", "{\"b\":2,\"a\":0.10}", "[1]");
  CHECK_JSON_POP("[null]", "null", "[]"); /* a null snapshot is the text "null", not NULL */
  CHECK_JSON_POP("[[]]", "[]", "[]");
  CHECK_JSON_POP("[\"x\",\"\\u00e9\"]", "\"é\"", "[\"x\"]");

  /* Push then pop: LIFO. */
  for (i = 0; i < 5; i++) {
    char *next = DUMMY;
    CHECK_OK(ws_json_history_push(history, values[i], 50, &next));
    ws_string_free(history);
    history = next;
  }
  CHECK_STR(history, "[{\"b\":1,\"a\":0.10},1180591620717411303424,\"é\",null,[]]");
  for (i = 4; i >= 0; i--) {
    CHECK_OK(ws_json_history_pop(history, &snapshot_json, &rest));
    CHECK_STR(snapshot_json, values[i]);
    ws_string_free(snapshot_json);
    ws_string_free(history);
    history = rest;
  }
  CHECK_STR(history, "[]");
  ws_string_free(history);

  /* Failures: both out-pointers NULL. */
  CHECK_JSON_POP_FAILS(NULL, WS_INVALID_ARGUMENT, "history_json");
  CHECK_JSON_POP_FAILS("{}", WS_INVALID_JSON, "array");
  CHECK_JSON_POP_FAILS("{\"a\":[1]}", WS_INVALID_JSON, "array");
  CHECK_JSON_POP_FAILS("1", WS_INVALID_JSON, "array");
  CHECK_JSON_POP_FAILS("null", WS_INVALID_JSON, "array");
  CHECK_JSON_POP_FAILS("\"[1]\"", WS_INVALID_JSON, "array");
  CHECK_JSON_POP_FAILS("[", WS_INVALID_JSON, "history_json");
  CHECK_JSON_POP_FAILS("", WS_INVALID_JSON, "history_json");
  CHECK_JSON_POP_FAILS("[1,]", WS_INVALID_JSON, "history_json");
  CHECK_JSON_POP_FAILS("[NaN]", WS_INVALID_JSON, "history_json");
  CHECK_JSON_POP_FAILS("[1]x", WS_INVALID_JSON, "history_json");
  CHECK_JSON_POP_FAILS("[\"\xff\"]", WS_INVALID_ARGUMENT, "history_json");
  CHECK_JSON_POP_FAILS("\xc3", WS_INVALID_ARGUMENT, "history_json");

}

/* A NULL out-pointer of ws_json_history_pop: WS_INVALID_ARGUMENT naming it, and the other
 * out-pointer is still reset (API.md "Conventions": "On any status other than WS_OK every
 * out-pointer is set to NULL / 0 / false (never left dangling)"). */
static void test_json_history_pop_null_out(void) {
  char *snapshot_json = DUMMY, *rest = DUMMY;
  CHECK_STATUS(ws_json_history_pop("[1,2]", &snapshot_json, NULL), WS_INVALID_ARGUMENT);
  CHECK_MESSAGE_HAS("out_history_json");
  CHECK(snapshot_json == NULL);
  CHECK_STATUS(ws_json_history_pop("[1,2]", NULL, NULL), WS_INVALID_ARGUMENT);
  CHECK_STATUS(ws_json_history_pop("[1,2]", NULL, &rest), WS_INVALID_ARGUMENT);
  CHECK_MESSAGE_HAS("out_snapshot_json");
  CHECK(rest == NULL);
}

/* ------------------------------------------------------------------------------------ */
/* The persisted history stack. */

static void test_history_stack(void) {
  ws_store *store = open_memory();

  /* A missing session: empty, and reading, popping or clearing creates nothing. */
  CHECK_HISTORY_LEN(store, "f", "s", 0);
  CHECK_PEEK(store, "f", "s", NULL);
  CHECK_POP(store, "f", "s", NULL);
  CHECK_OK(ws_history_clear(store, "f", "s"));
  CHECK(!exists(store, "f", "s"));

  /* A push creates the session, empty and without a step. */
  CHECK_OK(ws_history_push(store, "f", "s", "{\"a\":1}"));
  CHECK(exists(store, "f", "s"));
  CHECK_STATE(store, "f", "s", "{}");
  CHECK_CURRENT_STEP(store, "f", "s", NULL);
  CHECK_HISTORY_LEN(store, "f", "s", 1);
  CHECK_PEEK(store, "f", "s", "{\"a\":1}");

  /* Any JSON value, stored compact and exact. */
  CHECK_OK(ws_history_push(store, "f", "s", "[1, 2]"));
  CHECK_OK(ws_history_push(store, "f", "s", "1180591620717411303424"));
  CHECK_OK(ws_history_push(store, "f", "s", "\"\\u00e9\""));
  CHECK_OK(ws_history_push(store, "f", "s", " { \"b\" : 1 , \"a\" : 0.10 } "));
  CHECK_OK(ws_history_push(store, "f", "s", "null"));
  CHECK_HISTORY_LEN(store, "f", "s", 6);

  /* Peek does not remove; a null snapshot is the text "null". */
  CHECK_PEEK(store, "f", "s", "null");
  CHECK_PEEK(store, "f", "s", "null");
  CHECK_HISTORY_LEN(store, "f", "s", 6);

  /* LIFO. */
  CHECK_POP(store, "f", "s", "null");
  CHECK_HISTORY_LEN(store, "f", "s", 5);
  CHECK_PEEK(store, "f", "s", "{\"b\":1,\"a\":0.10}");
  CHECK_POP(store, "f", "s", "{\"b\":1,\"a\":0.10}");
  CHECK_POP(store, "f", "s", "\"é\"");
  CHECK_POP(store, "f", "s", "1180591620717411303424");
  CHECK_POP(store, "f", "s", "[1,2]");
  CHECK_HISTORY_LEN(store, "f", "s", 1);
  CHECK_POP(store, "f", "s", "{\"a\":1}");
  CHECK_HISTORY_LEN(store, "f", "s", 0);
  CHECK_POP(store, "f", "s", NULL);
  CHECK_PEEK(store, "f", "s", NULL);
  CHECK(exists(store, "f", "s")); /* emptying the history leaves the session */

  /* Usable again after emptying. */
  CHECK_OK(ws_history_push(store, "f", "s", "\"again\""));
  CHECK_PEEK(store, "f", "s", "\"again\"");
  CHECK_HISTORY_LEN(store, "f", "s", 1);

  /* Clear empties only the history stack: the undo stack is separate. */
  CHECK_OK(ws_update_state(store, "f", "s", "{\"v\":1}"));
  CHECK_OK(ws_checkpoint(store, "f", "s", "kept"));
  CHECK_HISTORY_LEN(store, "f", "s", 1); /* a checkpoint is not a history entry */
  CHECK_OK(ws_history_push(store, "f", "s", "2"));
  CHECK_OK(ws_history_push(store, "f", "s", "3"));
  CHECK_UNDO_STATUS(store, "f", "s",
                    "{\"undo_depth\":1,\"redo_depth\":0,\"undo_label\":\"kept\",\"redo_label\":null" NO_META_NOT_CLEAN);
  CHECK_HISTORY_LEN(store, "f", "s", 3);
  CHECK_OK(ws_history_clear(store, "f", "s"));
  CHECK_HISTORY_LEN(store, "f", "s", 0);
  CHECK_PEEK(store, "f", "s", NULL);
  CHECK_UNDO_STATUS(store, "f", "s",
                    "{\"undo_depth\":1,\"redo_depth\":0,\"undo_label\":\"kept\",\"redo_label\":null" NO_META_NOT_CLEAN);
  CHECK_STATE(store, "f", "s", "{\"v\":1}");
  CHECK_OK(ws_history_clear(store, "f", "s")); /* clearing an empty stack is fine */
  /* ... and undo / redo leave the history stack alone. */
  CHECK_OK(ws_history_push(store, "f", "s", "4"));
  CHECK_OK(ws_update_state(store, "f", "s", "{\"v\":2}"));
  CHECK_UNDO(store, "f", "s", true);
  CHECK_STATE(store, "f", "s", "{\"v\":1}");
  CHECK_PEEK(store, "f", "s", "4");
  CHECK_REDO(store, "f", "s", true);
  CHECK_HISTORY_LEN(store, "f", "s", 1);

  /* Sessions are independent: other session, other flow, session ids with ':'. */
  CHECK_OK(ws_history_push(store, "f", "t", "\"t\""));
  CHECK_OK(ws_history_push(store, "f", "s:x", "\"s:x\""));
  CHECK_OK(ws_history_push(store, "g", "s", "\"g\""));
  CHECK_OK(ws_history_push(store, "g", "s", "\"g2\""));
  CHECK_HISTORY_LEN(store, "f", "s", 1);
  CHECK_HISTORY_LEN(store, "f", "t", 1);
  CHECK_HISTORY_LEN(store, "f", "s:x", 1);
  CHECK_HISTORY_LEN(store, "g", "s", 2);
  CHECK_HISTORY_LEN(store, "s", "x", 0);
  CHECK_OK(ws_history_clear(store, "f", "s"));
  CHECK_PEEK(store, "f", "t", "\"t\"");
  CHECK_PEEK(store, "f", "s:x", "\"s:x\"");
  CHECK_POP(store, "g", "s", "\"g2\"");
  CHECK_PEEK(store, "g", "s", "\"g\"");
  CHECK_UNDO_STATUS(store, "f", "t",
                    "{\"undo_depth\":0,\"redo_depth\":0,\"undo_label\":null,\"redo_label\":null" NO_META_NOT_CLEAN);
  ws_store_close(store);
}

/* History calls leave an existing session alone: state, step, label, updated_at. */
static void test_history_leaves_session_alone(void) {
  ws_store *store = open_memory();
  char *id = NULL, *before, *summary_before, *summary_after;

  CHECK_OK(ws_create_session(store, "f", "s", "L", &id));
  CHECK_STR(id, "s");
  ws_string_free(id);
  CHECK_OK(ws_update_state(store, "f", "s", "{\"a\":1,\"_step_x\":{\"p\":[1.50]}}"));
  CHECK_OK(ws_set_current_step(store, "f", "s", "x"));
  before = snapshot(store, "f", "s");
  summary_before = summary_copy(store, "f", "s");
  next_second(); /* a write of the row would now change updated_at */

  CHECK_OK(ws_history_push(store, "f", "s", "{\"snap\":1}"));
  CHECK_OK(ws_history_push(store, "f", "s", "{\"snap\":2}"));
  CHECK_PEEK(store, "f", "s", "{\"snap\":2}");
  CHECK_POP(store, "f", "s", "{\"snap\":2}");
  CHECK_HISTORY_LEN(store, "f", "s", 1);
  CHECK_OK(ws_history_clear(store, "f", "s"));
  CHECK_OK(ws_history_push(store, "f", "s", "3"));

  CHECK_UNCHANGED(store, "f", "s", before);
  summary_after = summary_copy(store, "f", "s");
  CHECK_STR(summary_after, summary_before);
  CHECK(strstr(summary_after, "\"label\":\"L\"") != NULL);
  CHECK_CURRENT_STEP(store, "f", "s", "x");
  free(summary_after);
  free(summary_before);
  free(before);
  ws_store_close(store);
}

static void test_history_trimming(void) {
  ws_store *store = open_with(":memory:", "{\"max_history_depth\":3}");
  char text[16];
  int i;

  for (i = 1; i <= 5; i++) {
    snprintf(text, sizeof text, "%d", i);
    CHECK_OK(ws_history_push(store, "f", "s", text));
    CHECK_HISTORY_LEN(store, "f", "s", i < 3 ? i : 3);
  }
  CHECK_PEEK(store, "f", "s", "5");
  CHECK_POP(store, "f", "s", "5");
  CHECK_POP(store, "f", "s", "4");
  CHECK_POP(store, "f", "s", "3");
  CHECK_POP(store, "f", "s", NULL);
  /* After popping, pushing trims again from the new top. */
  for (i = 6; i <= 10; i++) {
    snprintf(text, sizeof text, "%d", i);
    CHECK_OK(ws_history_push(store, "f", "s", text));
  }
  CHECK_POP(store, "f", "s", "10");
  CHECK_OK(ws_history_push(store, "f", "s", "11"));
  CHECK_HISTORY_LEN(store, "f", "s", 3);
  CHECK_POP(store, "f", "s", "11");
  CHECK_POP(store, "f", "s", "9");
  CHECK_POP(store, "f", "s", "8");
  CHECK_POP(store, "f", "s", NULL);
  ws_store_close(store);

  /* Depth 1. */
  store = open_with(":memory:", "{\"max_history_depth\":1}");
  CHECK_OK(ws_history_push(store, "f", "s", "\"a\""));
  CHECK_OK(ws_history_push(store, "f", "s", "\"b\""));
  CHECK_HISTORY_LEN(store, "f", "s", 1);
  CHECK_POP(store, "f", "s", "\"b\"");
  CHECK_POP(store, "f", "s", NULL);
  ws_store_close(store);

  /* The default depth is WS_DEFAULT_MAX_HISTORY_DEPTH: 55 pushes keep 5..54. */
  store = open_memory();
  for (i = 0; i < 55; i++) {
    snprintf(text, sizeof text, "%d", i);
    CHECK_OK(ws_history_push(store, "f", "s", text));
  }
  CHECK_HISTORY_LEN(store, "f", "s", WS_DEFAULT_MAX_HISTORY_DEPTH);
  for (i = 54; i >= 5; i--) {
    snprintf(text, sizeof text, "%d", i);
    CHECK_POP(store, "f", "s", text);
  }
  CHECK_POP(store, "f", "s", NULL);
  ws_store_close(store);
}

/* Persistence, and a store opened later with a smaller depth trims at its next push. */
static void test_history_persistence_and_depth(void) {
  const char *dir = fresh_dir("test_history_persistence");
  char path[512], text[16];
  ws_store *store;
  int i;
  path_in(path, sizeof path, dir, "store.db");

  store = open_with(path, "{\"max_history_depth\":10}");
  for (i = 1; i <= 5; i++) {
    snprintf(text, sizeof text, "%d", i);
    CHECK_OK(ws_history_push(store, "f", "s", text));
  }
  CHECK_OK(ws_history_push(store, "f", "t", "{\"n\":1180591620717411303424}"));
  ws_store_close(store);

  /* Survives closing and reopening. */
  store = open_file("test_history_persistence", path, sizeof path, 0);
  CHECK_HISTORY_LEN(store, "f", "s", 5);
  CHECK_PEEK(store, "f", "s", "5");
  CHECK_PEEK(store, "f", "t", "{\"n\":1180591620717411303424}");
  ws_store_close(store);

  /* Depth 2: nothing trimmed until the next push, then the newest two are kept. */
  store = open_with(path, "{\"max_history_depth\":2}");
  CHECK_HISTORY_LEN(store, "f", "s", 5);
  CHECK_PEEK(store, "f", "s", "5");
  CHECK_OK(ws_history_push(store, "f", "s", "6"));
  CHECK_HISTORY_LEN(store, "f", "s", 2);
  CHECK_HISTORY_LEN(store, "f", "t", 1);
  ws_store_close(store);

  store = open_file("test_history_persistence", path, sizeof path, 0);
  CHECK_HISTORY_LEN(store, "f", "s", 2);
  CHECK_POP(store, "f", "s", "6");
  CHECK_POP(store, "f", "s", "5");
  CHECK_POP(store, "f", "s", NULL);
  ws_store_close(store);

  /* The pops were persisted too. */
  store = open_file("test_history_persistence", path, sizeof path, 0);
  CHECK_HISTORY_LEN(store, "f", "s", 0);
  CHECK_POP(store, "f", "t", "{\"n\":1180591620717411303424}");
  ws_store_close(store);
}

/* The history, undo and redo stacks are deleted with the session, by ws_delete_session
 * and by ws_clear_state; a session re-created under the same id starts with none. */
static void test_stacks_deleted_with_session(void) {
  const char *zero = "{\"undo_depth\":0,\"redo_depth\":0,\"undo_label\":null,\"redo_label\":null" NO_META_NOT_CLEAN;
  char path[4200];
  int how;

  for (how = 0; how < 2; how++) {
    ws_store *store = open_file("test_history_deleted", path, sizeof path, 1);
    snprintf(g_context, sizeof g_context, "deleting with %s", how == 0 ? "ws_delete_session" : "ws_clear_state");
    CHECK_OK(ws_history_push(store, "f", "s", "1"));
    CHECK_OK(ws_history_push(store, "f", "s", "2"));
    CHECK_OK(ws_update_state(store, "f", "s", "{\"v\":1}"));
    CHECK_OK(ws_checkpoint(store, "f", "s", "a"));
    CHECK_OK(ws_update_state(store, "f", "s", "{\"v\":2}"));
    CHECK_OK(ws_checkpoint(store, "f", "s", "b"));
    CHECK_UNDO(store, "f", "s", true);
    CHECK_UNDO_STATUS(store, "f", "s",
                      "{\"undo_depth\":1,\"redo_depth\":1,\"undo_label\":\"a\",\"redo_label\":\"b\"" NO_META_NOT_CLEAN);
    /* Another session with the same stacks, which must survive. */
    CHECK_OK(ws_history_push(store, "f", "t", "1"));
    CHECK_OK(ws_checkpoint(store, "f", "t", "other"));

    CHECK_OK(how == 0 ? ws_delete_session(store, "f", "s") : ws_clear_state(store, "f", "s"));
    CHECK(!exists(store, "f", "s"));
    CHECK_HISTORY_LEN(store, "f", "s", 0);
    CHECK_PEEK(store, "f", "s", NULL);
    CHECK_UNDO_STATUS(store, "f", "s", zero);

    /* Re-created: still nothing to pop, undo or redo. */
    CHECK_OK(ws_update_state(store, "f", "s", "{\"new\":1}"));
    CHECK_HISTORY_LEN(store, "f", "s", 0);
    CHECK_UNDO_STATUS(store, "f", "s", zero);
    CHECK_UNDO(store, "f", "s", false);
    CHECK_REDO(store, "f", "s", false);
    CHECK_POP(store, "f", "s", NULL);
    CHECK_STATE(store, "f", "s", "{\"new\":1}");

    /* The other session keeps its stacks, also after reopening. */
    ws_store_close(store);
    store = open_file("test_history_deleted", path, sizeof path, 0);
    CHECK_HISTORY_LEN(store, "f", "s", 0);
    CHECK_UNDO_STATUS(store, "f", "s", zero);
    CHECK_HISTORY_LEN(store, "f", "t", 1);
    CHECK_UNDO_STATUS(store, "f", "t",
                      "{\"undo_depth\":1,\"redo_depth\":0,\"undo_label\":\"other\",\"redo_label\":null" NO_META_NOT_CLEAN);
    ws_store_close(store);
  }
  g_context[0] = '\0';
}

/* A read_only store reads the stacks; every write gives WS_IO and changes nothing. */
static void test_read_only(void) {
  const char *status = "{\"undo_depth\":1,\"redo_depth\":1,\"undo_label\":\"a\",\"redo_label\":\"b\"" NO_META_NOT_CLEAN;
  const char *dir = fresh_dir("test_history_read_only");
  char path[512];
  char *before, *before_missing, *out = DUMMY;
  bool done = true;
  ws_store *store;
  path_in(path, sizeof path, dir, "store.db");

  store = open_file("unused", path, sizeof path, 0);
  CHECK_OK(ws_update_state(store, "f", "s", "{\"v\":0}"));
  CHECK_OK(ws_set_current_step(store, "f", "s", "zero"));
  CHECK_OK(ws_history_push(store, "f", "s", "1"));
  CHECK_OK(ws_history_push(store, "f", "s", "2"));
  CHECK_OK(ws_checkpoint(store, "f", "s", "a"));
  CHECK_OK(ws_update_state(store, "f", "s", "{\"v\":1}"));
  CHECK_OK(ws_checkpoint(store, "f", "s", "b"));
  CHECK_OK(ws_update_state(store, "f", "s", "{\"v\":2}"));
  CHECK_UNDO(store, "f", "s", true);
  CHECK_STATE(store, "f", "s", "{\"v\":1}");
  ws_store_close(store);

  store = open_with(path, "{\"read_only\":true}");
  /* Reads work. */
  CHECK_HISTORY_LEN(store, "f", "s", 2);
  CHECK_PEEK(store, "f", "s", "2");
  CHECK_UNDO_STATUS(store, "f", "s", status);
  CHECK_UNDO_STATUS(store, "f", "missing",
                    "{\"undo_depth\":0,\"redo_depth\":0,\"undo_label\":null,\"redo_label\":null" NO_META_NOT_CLEAN);
  CHECK_HISTORY_LEN(store, "f", "missing", 0);
  before = everything(store, "f", "s");
  before_missing = everything(store, "f", "missing");

  /* Writes give WS_IO, on an existing and on a missing session. */
  CHECK_STATUS(ws_history_push(store, "f", "s", "3"), WS_IO);
  CHECK_MESSAGE_HAS("read_only");
  CHECK_STATUS(ws_history_pop(store, "f", "s", &out), WS_IO);
  CHECK(out == NULL);
  CHECK_STATUS(ws_history_clear(store, "f", "s"), WS_IO);
  CHECK_STATUS(ws_checkpoint(store, "f", "s", "c"), WS_IO);
  CHECK_STATUS(ws_checkpoint(store, "f", "s", NULL), WS_IO);
  CHECK_STATUS(ws_undo(store, "f", "s", &done), WS_IO);
  CHECK(!done);
  done = true;
  CHECK_STATUS(ws_redo(store, "f", "s", &done), WS_IO);
  CHECK(!done);
  CHECK_MESSAGE_HAS("read_only");
  CHECK_NOTHING_CHANGED(store, "f", "s", before);
  CHECK_STATUS(ws_history_push(store, "f", "missing", "3"), WS_IO);
  CHECK_STATUS(ws_checkpoint(store, "f", "missing", "c"), WS_IO);
  CHECK_NOTHING_CHANGED(store, "f", "missing", before_missing);
  CHECK_NOTHING_CHANGED(store, "f", "s", before);
  ws_store_close(store);

  /* ... and nothing was written to the file. */
  store = open_file("unused", path, sizeof path, 0);
  CHECK_NOTHING_CHANGED(store, "f", "s", before);
  CHECK_NOTHING_CHANGED(store, "f", "missing", before_missing);
  CHECK_STATE(store, "f", "s", "{\"v\":1}");
  CHECK_CURRENT_STEP(store, "f", "s", "zero");
  free(before);
  free(before_missing);
  ws_store_close(store);
}

/* ------------------------------------------------------------------------------------ */
/* Undo and redo. */

static void test_undo_redo(void) {
  ws_store *store = open_memory();
  char *before;

  /* A missing session: nothing to undo or redo, status all empty, nothing created. */
  CHECK_UNDO(store, "f", "s", false);
  CHECK_REDO(store, "f", "s", false);
  CHECK_UNDO_STATUS(store, "f", "s",
                    "{\"undo_depth\":0,\"redo_depth\":0,\"undo_label\":null,\"redo_label\":null" NO_META_NOT_CLEAN);
  CHECK(!exists(store, "f", "s"));

  /* Three checkpoints over four states, each with its own step. */
  CHECK_OK(ws_update_state(store, "f", "s", "{\"v\":0}"));
  CHECK_OK(ws_set_current_step(store, "f", "s", "s0"));
  CHECK_OK(ws_checkpoint(store, "f", "s", "c1"));
  CHECK_UNDO_STATUS(store, "f", "s",
                    "{\"undo_depth\":1,\"redo_depth\":0,\"undo_label\":\"c1\",\"redo_label\":null" NO_META_NOT_CLEAN);
  CHECK_STATE(store, "f", "s", "{\"v\":0}"); /* a checkpoint changes nothing */
  CHECK_CURRENT_STEP(store, "f", "s", "s0");
  CHECK_OK(ws_update_state(store, "f", "s", "{\"v\":1,\"w\":1}"));
  CHECK_OK(ws_set_current_step(store, "f", "s", "s1"));
  CHECK_OK(ws_checkpoint(store, "f", "s", "c2"));
  CHECK_OK(ws_update_state(store, "f", "s", "{\"v\":2}"));
  CHECK_OK(ws_set_current_step(store, "f", "s", "s2"));
  CHECK_OK(ws_checkpoint(store, "f", "s", "c3"));
  CHECK_OK(ws_update_state(store, "f", "s", "{\"v\":3}"));
  CHECK_OK(ws_set_current_step(store, "f", "s", "s3"));
  CHECK_UNDO_STATUS(store, "f", "s",
                    "{\"undo_depth\":3,\"redo_depth\":0,\"undo_label\":\"c3\",\"redo_label\":null" NO_META_NOT_CLEAN);
  CHECK_REDO(store, "f", "s", false);

  /* Undo restores state and step; the label moves to the redo side. */
  CHECK_UNDO(store, "f", "s", true);
  CHECK_STATE(store, "f", "s", "{\"v\":2,\"w\":1}");
  CHECK_CURRENT_STEP(store, "f", "s", "s2");
  CHECK_UNDO_STATUS(store, "f", "s",
                    "{\"undo_depth\":2,\"redo_depth\":1,\"undo_label\":\"c2\",\"redo_label\":\"c3\"" NO_META_NOT_CLEAN);
  CHECK_UNDO(store, "f", "s", true);
  CHECK_STATE(store, "f", "s", "{\"v\":1,\"w\":1}");
  CHECK_CURRENT_STEP(store, "f", "s", "s1");
  CHECK_UNDO_STATUS(store, "f", "s",
                    "{\"undo_depth\":1,\"redo_depth\":2,\"undo_label\":\"c1\",\"redo_label\":\"c2\"" NO_META_NOT_CLEAN);
  CHECK_UNDO(store, "f", "s", true);
  CHECK_STATE(store, "f", "s", "{\"v\":0}");
  CHECK_CURRENT_STEP(store, "f", "s", "s0");
  CHECK_UNDO_STATUS(store, "f", "s",
                    "{\"undo_depth\":0,\"redo_depth\":3,\"undo_label\":null,\"redo_label\":\"c1\"" NO_META_NOT_CLEAN);

  /* Nothing left to undo: done false, nothing changes (updated_at included). */
  before = everything(store, "f", "s");
  next_second();
  CHECK_UNDO(store, "f", "s", false);
  CHECK_UNDO(store, "f", "s", false);
  CHECK_NOTHING_CHANGED(store, "f", "s", before);
  free(before);

  /* Redo re-applies, in order. */
  CHECK_REDO(store, "f", "s", true);
  CHECK_STATE(store, "f", "s", "{\"v\":1,\"w\":1}");
  CHECK_CURRENT_STEP(store, "f", "s", "s1");
  CHECK_UNDO_STATUS(store, "f", "s",
                    "{\"undo_depth\":1,\"redo_depth\":2,\"undo_label\":\"c1\",\"redo_label\":\"c2\"" NO_META_NOT_CLEAN);
  CHECK_REDO(store, "f", "s", true);
  CHECK_REDO(store, "f", "s", true);
  CHECK_STATE(store, "f", "s", "{\"v\":3,\"w\":1}");
  CHECK_CURRENT_STEP(store, "f", "s", "s3");
  CHECK_UNDO_STATUS(store, "f", "s",
                    "{\"undo_depth\":3,\"redo_depth\":0,\"undo_label\":\"c3\",\"redo_label\":null" NO_META_NOT_CLEAN);
  before = everything(store, "f", "s");
  next_second();
  CHECK_REDO(store, "f", "s", false);
  CHECK_NOTHING_CHANGED(store, "f", "s", before);
  free(before);

  /* Undo, edit, redo: the redo replaces the edit (it re-applies the undone state). */
  CHECK_UNDO(store, "f", "s", true);
  CHECK_OK(ws_update_state(store, "f", "s", "{\"edit\":1}"));
  CHECK_REDO(store, "f", "s", true);
  CHECK_STATE(store, "f", "s", "{\"v\":3,\"w\":1}");
  /* ... and the edited state is what an undo now restores. */
  CHECK_UNDO(store, "f", "s", true);
  CHECK_STATE(store, "f", "s", "{\"v\":2,\"w\":1,\"edit\":1}");
  CHECK_CURRENT_STEP(store, "f", "s", "s2");

  /* A new checkpoint empties the redo stack. */
  CHECK_UNDO(store, "f", "s", true);
  CHECK_UNDO_STATUS(store, "f", "s",
                    "{\"undo_depth\":1,\"redo_depth\":2,\"undo_label\":\"c1\",\"redo_label\":\"c2\"" NO_META_NOT_CLEAN);
  CHECK_OK(ws_update_state(store, "f", "s", "{\"branch\":true}"));
  CHECK_OK(ws_checkpoint(store, "f", "s", "c4"));
  CHECK_UNDO_STATUS(store, "f", "s",
                    "{\"undo_depth\":2,\"redo_depth\":0,\"undo_label\":\"c4\",\"redo_label\":null" NO_META_NOT_CLEAN);
  CHECK_REDO(store, "f", "s", false);
  CHECK_OK(ws_update_state(store, "f", "s", "{\"after\":1}"));
  CHECK_UNDO(store, "f", "s", true);
  CHECK_STATE(store, "f", "s", "{\"v\":1,\"w\":1,\"branch\":true}");
  CHECK_CURRENT_STEP(store, "f", "s", "s1");
  CHECK_UNDO(store, "f", "s", true);
  CHECK_STATE(store, "f", "s", "{\"v\":0}");
  CHECK_UNDO(store, "f", "s", false);
  CHECK_REDO(store, "f", "s", true);
  CHECK_REDO(store, "f", "s", true);
  CHECK_STATE(store, "f", "s", "{\"v\":1,\"w\":1,\"branch\":true,\"after\":1}");
  CHECK_REDO(store, "f", "s", false);

  /* A checkpoint immediately undone: done, the state as it was, the entry now redoable. */
  CHECK_OK(ws_checkpoint(store, "f", "s", "same"));
  CHECK_UNDO(store, "f", "s", true);
  CHECK_STATE(store, "f", "s", "{\"v\":1,\"w\":1,\"branch\":true,\"after\":1}");
  CHECK_UNDO_STATUS(store, "f", "s",
                    "{\"undo_depth\":2,\"redo_depth\":1,\"undo_label\":\"c4\",\"redo_label\":\"same\"" NO_META_NOT_CLEAN);

  /* Sessions are independent. */
  CHECK_UNDO_STATUS(store, "f", "t",
                    "{\"undo_depth\":0,\"redo_depth\":0,\"undo_label\":null,\"redo_label\":null" NO_META_NOT_CLEAN);
  CHECK_OK(ws_checkpoint(store, "f", "t", "t1"));
  CHECK_OK(ws_checkpoint(store, "g", "s", "g1"));
  CHECK_OK(ws_checkpoint(store, "f", "s:t", "st1"));
  CHECK_UNDO_STATUS(store, "f", "s",
                    "{\"undo_depth\":2,\"redo_depth\":1,\"undo_label\":\"c4\",\"redo_label\":\"same\"" NO_META_NOT_CLEAN);
  CHECK_UNDO_STATUS(store, "g", "s",
                    "{\"undo_depth\":1,\"redo_depth\":0,\"undo_label\":\"g1\",\"redo_label\":null" NO_META_NOT_CLEAN);
  CHECK_UNDO(store, "g", "s", true);
  CHECK_UNDO_STATUS(store, "f", "s",
                    "{\"undo_depth\":2,\"redo_depth\":1,\"undo_label\":\"c4\",\"redo_label\":\"same\"" NO_META_NOT_CLEAN);
  CHECK_UNDO_STATUS(store, "f", "t",
                    "{\"undo_depth\":1,\"redo_depth\":0,\"undo_label\":\"t1\",\"redo_label\":null" NO_META_NOT_CLEAN);
  CHECK_UNDO_STATUS(store, "f", "s:t",
                    "{\"undo_depth\":1,\"redo_depth\":0,\"undo_label\":\"st1\",\"redo_label\":null" NO_META_NOT_CLEAN);
  CHECK_STATE(store, "f", "s", "{\"v\":1,\"w\":1,\"branch\":true,\"after\":1}");
  ws_store_close(store);
}

/* Labels: NULL is JSON null, any UTF-8 text is kept (escaped as JSON), and an undo moves
 * the label of the checkpoint it restores to the redo side. */
static void test_undo_labels(void) {
  ws_store *store = open_memory();

  CHECK_OK(ws_update_state(store, "f", "s", "{\"v\":0}"));
  CHECK_OK(ws_checkpoint(store, "f", "s", NULL));
  CHECK_UNDO_STATUS(store, "f", "s",
                    "{\"undo_depth\":1,\"redo_depth\":0,\"undo_label\":null,\"redo_label\":null" NO_META_NOT_CLEAN);
  CHECK_OK(ws_update_state(store, "f", "s", "{\"v\":1}"));
  CHECK_OK(ws_checkpoint(store, "f", "s", ""));
  CHECK_UNDO_STATUS(store, "f", "s",
                    "{\"undo_depth\":2,\"redo_depth\":0,\"undo_label\":\"\",\"redo_label\":null" NO_META_NOT_CLEAN);
  CHECK_OK(ws_update_state(store, "f", "s", "{\"v\":2}"));
  CHECK_OK(ws_checkpoint(store, "f", "s", "Undo \"typing\" \\ é 日本 😀\n\t"));
  CHECK_UNDO_STATUS(store, "f", "s",
                    "{\"undo_depth\":3,\"redo_depth\":0,\"undo_label\":\"Undo \\\"typing\\\" \\\\ é 日本 😀\\n\\t\","
                    "\"redo_label\":null" NO_META_NOT_CLEAN);
  CHECK_OK(ws_update_state(store, "f", "s", "{\"v\":3}"));

  CHECK_UNDO(store, "f", "s", true);
  CHECK_UNDO_STATUS(store, "f", "s",
                    "{\"undo_depth\":2,\"redo_depth\":1,\"undo_label\":\"\","
                    "\"redo_label\":\"Undo \\\"typing\\\" \\\\ é 日本 😀\\n\\t\"" NO_META_NOT_CLEAN);
  CHECK_UNDO(store, "f", "s", true);
  CHECK_UNDO_STATUS(store, "f", "s",
                    "{\"undo_depth\":1,\"redo_depth\":2,\"undo_label\":null,\"redo_label\":\"\"" NO_META_NOT_CLEAN);
  CHECK_UNDO(store, "f", "s", true);
  CHECK_UNDO_STATUS(store, "f", "s",
                    "{\"undo_depth\":0,\"redo_depth\":3,\"undo_label\":null,\"redo_label\":null" NO_META_NOT_CLEAN);
  CHECK_STATE(store, "f", "s", "{\"v\":0}");

  /* Redo moves each label back, unchanged. */
  CHECK_REDO(store, "f", "s", true);
  CHECK_UNDO_STATUS(store, "f", "s",
                    "{\"undo_depth\":1,\"redo_depth\":2,\"undo_label\":null,\"redo_label\":\"\"" NO_META_NOT_CLEAN);
  CHECK_REDO(store, "f", "s", true);
  CHECK_REDO(store, "f", "s", true);
  CHECK_UNDO_STATUS(store, "f", "s",
                    "{\"undo_depth\":3,\"redo_depth\":0,\"undo_label\":\"Undo \\\"typing\\\" \\\\ é 日本 😀\\n\\t\","
                    "\"redo_label\":null" NO_META_NOT_CLEAN);
  CHECK_STATE(store, "f", "s", "{\"v\":3}");
  ws_store_close(store);
}

/* A checkpoint records state and step exactly, creates a missing session, and leaves
 * updated_at alone; an undo or redo that changes the session sets updated_at; neither
 * touches created_at or the label. */
static void test_undo_session_fields(void) {
  ws_store *store = open_memory();
  char *before, *summary_before, *summary_after;
  char at1[64], at2[64], at3[64], created[64], created_after[64];
  char *id = NULL;

  /* Missing session: created with state {} and no step; undo goes back to that. */
  CHECK_OK(ws_checkpoint(store, "f", "new", "first"));
  CHECK(exists(store, "f", "new"));
  CHECK_STATE(store, "f", "new", "{}");
  CHECK_CURRENT_STEP(store, "f", "new", NULL);
  CHECK_HISTORY_LEN(store, "f", "new", 0);
  CHECK_UNDO_STATUS(store, "f", "new",
                    "{\"undo_depth\":1,\"redo_depth\":0,\"undo_label\":\"first\",\"redo_label\":null" NO_META_NOT_CLEAN);
  CHECK_OK(ws_update_state(store, "f", "new", "{\"x\":1}"));
  CHECK_OK(ws_set_current_step(store, "f", "new", "one"));
  CHECK_UNDO(store, "f", "new", true);
  CHECK(exists(store, "f", "new"));
  CHECK_STATE(store, "f", "new", "{}");
  CHECK_CURRENT_STEP(store, "f", "new", NULL);
  CHECK_REDO(store, "f", "new", true);
  CHECK_STATE(store, "f", "new", "{\"x\":1}");
  CHECK_CURRENT_STEP(store, "f", "new", "one");

  /* Exact text: big numbers, trailing zeros, key order, non-ASCII. */
  CHECK_OK(ws_create_session(store, "f", "s", "L", &id));
  ws_string_free(id);
  CHECK_OK(ws_update_state(store, "f", "s",
                           "{\"z\":1180591620717411303424,\"a\":0.10,\"é\":\"日本\",\"n\":-0.0}"));
  CHECK_OK(ws_set_current_step(store, "f", "s", "étape"));
  summary_field(store, "f", "s", "created_at", created, sizeof created);

  /* A checkpoint of an existing session changes nothing shown (updated_at included). */
  before = snapshot(store, "f", "s");
  summary_before = summary_copy(store, "f", "s");
  next_second();
  CHECK_OK(ws_checkpoint(store, "f", "s", "c"));
  CHECK_OK(ws_checkpoint(store, "f", "s", NULL));
  CHECK_UNCHANGED(store, "f", "s", before);
  summary_after = summary_copy(store, "f", "s");
  CHECK_STR(summary_after, summary_before);
  free(summary_after);
  free(summary_before);
  free(before);

  CHECK_OK(ws_update_state(store, "f", "s", "{\"a\":2,\"b\":true}"));
  CHECK_OK(ws_set_current_step(store, "f", "s", "two"));
  CHECK_OK(ws_set_session_label(store, "f", "s", "M"));
  summary_field(store, "f", "s", "updated_at", at1, sizeof at1);

  /* Undo sets updated_at (the clock moved on to the next second). */
  next_second();
  CHECK_UNDO(store, "f", "s", true);
  CHECK_STATE(store, "f", "s", "{\"z\":1180591620717411303424,\"a\":0.10,\"é\":\"日本\",\"n\":-0.0}");
  CHECK_CURRENT_STEP(store, "f", "s", "étape");
  summary_field(store, "f", "s", "updated_at", at2, sizeof at2);
  CHECK(strcmp(at2, at1) > 0);
  summary_after = summary_copy(store, "f", "s");
  CHECK(strstr(summary_after, "\"label\":\"M\"") != NULL); /* the label is not part of it */
  free(summary_after);

  /* The second undo restores an identical state: done, state as it was. */
  CHECK_UNDO(store, "f", "s", true);
  CHECK_STATE(store, "f", "s", "{\"z\":1180591620717411303424,\"a\":0.10,\"é\":\"日本\",\"n\":-0.0}");
  CHECK_UNDO(store, "f", "s", false);

  /* Redo sets it too, and brings back the exact text. */
  CHECK_REDO(store, "f", "s", true);
  summary_field(store, "f", "s", "updated_at", at2, sizeof at2);
  next_second();
  CHECK_REDO(store, "f", "s", true);
  CHECK_STATE(store, "f", "s", "{\"z\":1180591620717411303424,\"a\":2,\"é\":\"日本\",\"n\":-0.0,\"b\":true}");
  CHECK_CURRENT_STEP(store, "f", "s", "two");
  summary_field(store, "f", "s", "updated_at", at3, sizeof at3);
  CHECK(strcmp(at3, at2) > 0);
  summary_field(store, "f", "s", "created_at", created_after, sizeof created_after);
  CHECK_STR(created_after, created);
  summary_after = summary_copy(store, "f", "s");
  CHECK(strstr(summary_after, "\"label\":\"M\"") != NULL);
  free(summary_after);
  ws_store_close(store);
}

/* Step state lives in the state, so an undo brings back step state and current step. */
static void test_undo_step_state(void) {
  ws_store *store = open_memory();

  CHECK_OK(ws_update_state(store, "f", "s", "{\"a\":1}"));
  CHECK_OK(ws_update_step_state(store, "f", "s", "x", "{\"p\":1}"));
  CHECK_OK(ws_set_current_step(store, "f", "s", "x"));
  CHECK_OK(ws_checkpoint(store, "f", "s", "before"));

  CHECK_OK(ws_update_step_state(store, "f", "s", "x", "{\"p\":2,\"q\":3}"));
  CHECK_OK(ws_set_current_step(store, "f", "s", "y"));
  CHECK_OK(ws_update_step_state(store, "f", "s", "y", "{\"r\":1}"));
  CHECK_OK(ws_update_state(store, "f", "s", "{\"a\":9,\"b\":1}"));

  CHECK_UNDO(store, "f", "s", true);
  CHECK_STEP_STATE(store, "f", "s", "x", "{\"p\":1}");
  CHECK_STEP_STATE(store, "f", "s", "y", "{}");
  CHECK_CURRENT_STEP(store, "f", "s", "x");
  CHECK_STATE(store, "f", "s", "{\"a\":1,\"_step_x\":{\"p\":1}}");

  CHECK_REDO(store, "f", "s", true);
  CHECK_STEP_STATE(store, "f", "s", "x", "{\"p\":2,\"q\":3}");
  CHECK_STEP_STATE(store, "f", "s", "y", "{\"r\":1}");
  CHECK_CURRENT_STEP(store, "f", "s", "y");
  CHECK_STATE(store, "f", "s", "{\"a\":9,\"_step_x\":{\"p\":2,\"q\":3},\"_step_y\":{\"r\":1},\"b\":1}");

  /* A cleared step state comes back too. */
  CHECK_OK(ws_checkpoint(store, "f", "s", "clear y"));
  CHECK_OK(ws_clear_step_state(store, "f", "s", "y"));
  CHECK_STEP_STATE(store, "f", "s", "y", "{}");
  CHECK_UNDO(store, "f", "s", true);
  CHECK_STEP_STATE(store, "f", "s", "y", "{\"r\":1}");
  CHECK_UNDO_STATUS(store, "f", "s",
                    "{\"undo_depth\":1,\"redo_depth\":1,\"undo_label\":\"before\",\"redo_label\":\"clear y\"" NO_META_NOT_CLEAN);
  ws_store_close(store);
}

/* Both stacks are trimmed to max_history_depth, the newest entries kept; a store opened
 * with a smaller depth trims a longer stack at its next push onto it. */
static void test_undo_trimming(void) {
  char path[4200], update[32], label[16];
  ws_store *store = open_with(":memory:", "{\"max_history_depth\":3}");
  int i;

  /* Depth 3: 5 checkpoints keep the newest 3. */
  for (i = 1; i <= 5; i++) {
    snprintf(update, sizeof update, "{\"v\":%d}", i);
    snprintf(label, sizeof label, "c%d", i);
    CHECK_OK(ws_update_state(store, "f", "s", update));
    CHECK_OK(ws_checkpoint(store, "f", "s", label));
  }
  CHECK_OK(ws_update_state(store, "f", "s", "{\"v\":6}"));
  CHECK_UNDO_STATUS(store, "f", "s",
                    "{\"undo_depth\":3,\"redo_depth\":0,\"undo_label\":\"c5\",\"redo_label\":null" NO_META_NOT_CLEAN);
  CHECK_UNDO(store, "f", "s", true);
  CHECK_STATE(store, "f", "s", "{\"v\":5}");
  CHECK_UNDO_STATUS(store, "f", "s",
                    "{\"undo_depth\":2,\"redo_depth\":1,\"undo_label\":\"c4\",\"redo_label\":\"c5\"" NO_META_NOT_CLEAN);
  CHECK_UNDO(store, "f", "s", true);
  CHECK_STATE(store, "f", "s", "{\"v\":4}");
  CHECK_UNDO(store, "f", "s", true);
  CHECK_STATE(store, "f", "s", "{\"v\":3}");
  CHECK_UNDO_STATUS(store, "f", "s",
                    "{\"undo_depth\":0,\"redo_depth\":3,\"undo_label\":null,\"redo_label\":\"c3\"" NO_META_NOT_CLEAN);
  CHECK_UNDO(store, "f", "s", false);
  CHECK_STATE(store, "f", "s", "{\"v\":3}");
  CHECK_REDO(store, "f", "s", true);
  CHECK_REDO(store, "f", "s", true);
  CHECK_REDO(store, "f", "s", true);
  CHECK_STATE(store, "f", "s", "{\"v\":6}");
  CHECK_REDO(store, "f", "s", false);
  CHECK_UNDO_STATUS(store, "f", "s",
                    "{\"undo_depth\":3,\"redo_depth\":0,\"undo_label\":\"c5\",\"redo_label\":null" NO_META_NOT_CLEAN);
  ws_store_close(store);

  /* Depth 10, then reopened with depth 2. */
  store = open_file("test_history_undo_trimming", path, sizeof path, 1);
  ws_store_close(store);
  store = open_with(path, "{\"max_history_depth\":10}");
  for (i = 1; i <= 5; i++) {
    snprintf(update, sizeof update, "{\"v\":%d}", i);
    snprintf(label, sizeof label, "c%d", i);
    CHECK_OK(ws_update_state(store, "f", "s", update));
    CHECK_OK(ws_checkpoint(store, "f", "s", label));
  }
  CHECK_OK(ws_update_state(store, "f", "s", "{\"v\":6}"));
  for (i = 0; i < 5; i++) CHECK_UNDO(store, "f", "s", true);
  CHECK_STATE(store, "f", "s", "{\"v\":1}");
  CHECK_UNDO_STATUS(store, "f", "s",
                    "{\"undo_depth\":0,\"redo_depth\":5,\"undo_label\":null,\"redo_label\":\"c1\"" NO_META_NOT_CLEAN);
  ws_store_close(store);

  store = open_with(path, "{\"max_history_depth\":2}");
  /* Not trimmed before a push. */
  CHECK_UNDO_STATUS(store, "f", "s",
                    "{\"undo_depth\":0,\"redo_depth\":5,\"undo_label\":null,\"redo_label\":\"c1\"" NO_META_NOT_CLEAN);
  CHECK_REDO(store, "f", "s", true); /* pushes onto the undo stack (1 entry) */
  CHECK_STATE(store, "f", "s", "{\"v\":2}");
  CHECK_UNDO_STATUS(store, "f", "s",
                    "{\"undo_depth\":1,\"redo_depth\":4,\"undo_label\":\"c1\",\"redo_label\":\"c2\"" NO_META_NOT_CLEAN);
  CHECK_REDO(store, "f", "s", true);
  CHECK_REDO(store, "f", "s", true); /* the undo stack would hold 3: trimmed to c2, c3 */
  CHECK_STATE(store, "f", "s", "{\"v\":4}");
  CHECK_UNDO_STATUS(store, "f", "s",
                    "{\"undo_depth\":2,\"redo_depth\":2,\"undo_label\":\"c3\",\"redo_label\":\"c4\"" NO_META_NOT_CLEAN);
  /* An undo pushes onto the redo stack (c5, c4, then c3): trimmed to c4, c3. */
  CHECK_UNDO(store, "f", "s", true);
  CHECK_STATE(store, "f", "s", "{\"v\":3}");
  CHECK_UNDO_STATUS(store, "f", "s",
                    "{\"undo_depth\":1,\"redo_depth\":2,\"undo_label\":\"c2\",\"redo_label\":\"c3\"" NO_META_NOT_CLEAN);
  CHECK_UNDO(store, "f", "s", true);
  CHECK_STATE(store, "f", "s", "{\"v\":2}");
  CHECK_UNDO_STATUS(store, "f", "s",
                    "{\"undo_depth\":0,\"redo_depth\":2,\"undo_label\":null,\"redo_label\":\"c2\"" NO_META_NOT_CLEAN);
  CHECK_UNDO(store, "f", "s", false);
  CHECK_REDO(store, "f", "s", true);
  CHECK_REDO(store, "f", "s", true);
  CHECK_STATE(store, "f", "s", "{\"v\":4}");
  CHECK_REDO(store, "f", "s", false);
  CHECK_UNDO_STATUS(store, "f", "s",
                    "{\"undo_depth\":2,\"redo_depth\":0,\"undo_label\":\"c3\",\"redo_label\":null" NO_META_NOT_CLEAN);
  ws_store_close(store);
}

/* Both stacks survive closing and reopening the file. */
static void test_undo_persistence(void) {
  char path[4200];
  ws_store *store = open_file("test_history_undo_persistence", path, sizeof path, 1);

  CHECK_OK(ws_update_state(store, "f", "s", "{\"v\":1}"));
  CHECK_OK(ws_set_current_step(store, "f", "s", "one"));
  CHECK_OK(ws_checkpoint(store, "f", "s", "c1"));
  CHECK_OK(ws_update_state(store, "f", "s", "{\"v\":2}"));
  CHECK_OK(ws_set_current_step(store, "f", "s", "two"));
  CHECK_OK(ws_checkpoint(store, "f", "s", "c2"));
  CHECK_OK(ws_update_state(store, "f", "s", "{\"v\":3}"));
  CHECK_OK(ws_set_current_step(store, "f", "s", "three"));
  ws_store_close(store);

  store = open_file("test_history_undo_persistence", path, sizeof path, 0);
  CHECK_UNDO_STATUS(store, "f", "s",
                    "{\"undo_depth\":2,\"redo_depth\":0,\"undo_label\":\"c2\",\"redo_label\":null" NO_META_NOT_CLEAN);
  CHECK_UNDO(store, "f", "s", true);
  CHECK_STATE(store, "f", "s", "{\"v\":2}");
  ws_store_close(store);

  store = open_file("test_history_undo_persistence", path, sizeof path, 0);
  CHECK_STATE(store, "f", "s", "{\"v\":2}");
  CHECK_CURRENT_STEP(store, "f", "s", "two");
  CHECK_UNDO_STATUS(store, "f", "s",
                    "{\"undo_depth\":1,\"redo_depth\":1,\"undo_label\":\"c1\",\"redo_label\":\"c2\"" NO_META_NOT_CLEAN);
  CHECK_REDO(store, "f", "s", true);
  CHECK_STATE(store, "f", "s", "{\"v\":3}");
  CHECK_CURRENT_STEP(store, "f", "s", "three");
  CHECK_UNDO(store, "f", "s", true);
  CHECK_UNDO(store, "f", "s", true);
  ws_store_close(store);

  store = open_file("test_history_undo_persistence", path, sizeof path, 0);
  CHECK_STATE(store, "f", "s", "{\"v\":1}");
  CHECK_CURRENT_STEP(store, "f", "s", "one");
  CHECK_UNDO_STATUS(store, "f", "s",
                    "{\"undo_depth\":0,\"redo_depth\":2,\"undo_label\":null,\"redo_label\":\"c1\"" NO_META_NOT_CLEAN);
  CHECK_UNDO(store, "f", "s", false);
  CHECK_REDO(store, "f", "s", true);
  CHECK_REDO(store, "f", "s", true);
  CHECK_STATE(store, "f", "s", "{\"v\":3}");
  CHECK_CURRENT_STEP(store, "f", "s", "three");
  ws_store_close(store);
}

/* ------------------------------------------------------------------------------------ */
/* Every documented failure of every store function here, table-driven. */

enum hfn_id { H_PUSH, H_POP, H_PEEK, H_LEN, H_CLEAR, H_CHECKPOINT, H_UNDO, H_REDO, H_STATUS, H_COUNT };
enum out_kind { O_NONE, O_STRING, O_SIZE, O_BOOL };

struct hfn_info {
  const char *name;
  const char *third; /* the name of the third string argument, or NULL */
  enum out_kind out;
  const char *out_name;
};

static const struct hfn_info HFNS[H_COUNT] = {
    {"ws_history_push", "snapshot_json", O_NONE, NULL},
    {"ws_history_pop", NULL, O_STRING, "out_snapshot_json"},
    {"ws_history_peek", NULL, O_STRING, "out_snapshot_json"},
    {"ws_history_len", NULL, O_SIZE, "out_len"},
    {"ws_history_clear", NULL, O_NONE, NULL},
    {"ws_checkpoint", "label", O_NONE, NULL},
    {"ws_undo", NULL, O_BOOL, "out_done"},
    {"ws_redo", NULL, O_BOOL, "out_done"},
    {"ws_undo_status", NULL, O_STRING, "out_status_json"},
};

struct outs {
  char *text;
  size_t len;
  bool done;
};

/* Calls `f`; with `null_out` its out-parameter is NULL. The outs are first set to values
 * that a failing call must overwrite. */
static ws_status call_hfn(enum hfn_id f, ws_store *store, const char *flow, const char *session,
                          const char *third, struct outs *o, int null_out) {
  o->text = DUMMY;
  o->len = 12345;
  o->done = true;
  switch (f) {
    case H_PUSH: return ws_history_push(store, flow, session, third);
    case H_POP: return ws_history_pop(store, flow, session, null_out ? NULL : &o->text);
    case H_PEEK: return ws_history_peek(store, flow, session, null_out ? NULL : &o->text);
    case H_LEN: return ws_history_len(store, flow, session, null_out ? NULL : &o->len);
    case H_CLEAR: return ws_history_clear(store, flow, session);
    case H_CHECKPOINT: return ws_checkpoint(store, flow, session, third);
    case H_UNDO: return ws_undo(store, flow, session, null_out ? NULL : &o->done);
    case H_REDO: return ws_redo(store, flow, session, null_out ? NULL : &o->done);
    case H_STATUS: return ws_undo_status(store, flow, session, null_out ? NULL : &o->text);
    case H_COUNT: break;
  }
  CHECK(0);
  return WS_INTERNAL;
}

/* The out-parameter of a failed call was reset. */
static void check_outs_reset(enum hfn_id f, const struct outs *o) {
  switch (HFNS[f].out) {
    case O_NONE: break;
    case O_STRING: CHECK(o->text == NULL); break;
    case O_SIZE: CHECK(o->len == 0); break;
    case O_BOOL: CHECK(!o->done); break;
  }
}

struct bad_value {
  const char *value;
  ws_status status;
  const char *needle; /* NULL: the argument's name */
};

#define BAD_UTF8_VALUES(st)                                                              \
  {"\xff", st, NULL}, {"ok\xc3", st, NULL}, {"\xc0\x80", st, NULL},                      \
      {"\xed\xa0\x80", st, NULL}, {"\xf4\x90\x80\x80", st, NULL}, {"a\xe6\x97x", st, NULL}

static const struct bad_value BAD_FLOW[] = {
    {NULL, WS_INVALID_ARGUMENT, NULL},
    {"", WS_INVALID_ARGUMENT, NULL},
    BAD_UTF8_VALUES(WS_INVALID_ARGUMENT),
    {"a:b", WS_INVALID_ARGUMENT, "flow_id \"a:b\" must not contain ':'"},
    {":", WS_INVALID_ARGUMENT, "flow_id \":\" must not contain ':'"},
    {"f:", WS_INVALID_ARGUMENT, "flow_id \"f:\" must not contain ':'"},
    {":s", WS_INVALID_ARGUMENT, "flow_id \":s\" must not contain ':'"},
};
static const struct bad_value BAD_SESSION[] = {
    {NULL, WS_INVALID_ARGUMENT, NULL},
    {"", WS_INVALID_ARGUMENT, NULL},
    BAD_UTF8_VALUES(WS_INVALID_ARGUMENT),
};
static const struct bad_value BAD_SNAPSHOT[] = {
    {NULL, WS_INVALID_ARGUMENT, NULL},
    BAD_UTF8_VALUES(WS_INVALID_ARGUMENT),
    {"{\"k\":\"\xff\"}", WS_INVALID_ARGUMENT, NULL},
    {"", WS_INVALID_JSON, NULL},
    {"  ", WS_INVALID_JSON, NULL},
    {"{", WS_INVALID_JSON, NULL},
    {"[1,]", WS_INVALID_JSON, NULL},
    {"{\"a\":1}x", WS_INVALID_JSON, NULL},
    {"1 2", WS_INVALID_JSON, NULL},
    {"NaN", WS_INVALID_JSON, NULL},
    {"[Infinity]", WS_INVALID_JSON, NULL},
    {"{'a':1}", WS_INVALID_JSON, NULL},
    {"01", WS_INVALID_JSON, NULL},
    {"\"\\ud800\"", WS_INVALID_JSON, NULL},
    {"\"x\ny\"", WS_INVALID_JSON, NULL},
    {"\xef\xbb\xbf{}", WS_INVALID_JSON, NULL},
};
/* NULL is a valid label; only bad UTF-8 is not. */
static const struct bad_value BAD_LABEL[] = {
    BAD_UTF8_VALUES(WS_INVALID_ARGUMENT),
};

static void check_bad_values(ws_store *store, enum hfn_id f, const char *session, int which,
                             const struct bad_value *bad, size_t nbad) {
  const struct hfn_info *info = &HFNS[f];
  const char *name = which == 0 ? "flow_id" : which == 1 ? "session_id" : info->third;
  char *before = everything(store, "f", session);
  char shown[256];
  size_t i;

  for (i = 0; i < nbad; i++) {
    const char *args[3];
    struct outs o;
    args[0] = "f";
    args[1] = session;
    args[2] = f == H_PUSH ? "{\"k\":1}" : "label";
    args[which] = bad[i].value;
    snprintf(g_context, sizeof g_context, "%s on session \"%s\" with %s = %s", info->name, session,
             name, printable(bad[i].value, shown, sizeof shown));
    CHECK_STATUS(call_hfn(f, store, args[0], args[1], args[2], &o, 0), bad[i].status);
    CHECK_MESSAGE_HAS(bad[i].needle ? bad[i].needle : name);
    check_outs_reset(f, &o);
    CHECK_NOTHING_CHANGED(store, "f", session, before);
  }
  free(before);
}

static void test_argument_errors(void) {
  ws_store *store = open_memory();
  const char *sessions[] = {"s", "new"}; /* a session with full stacks, and a missing one */
  size_t si;
  int f;

  CHECK_OK(ws_update_state(store, "f", "s", "{\"a\":1,\"_step_x\":{\"n\":1}}"));
  CHECK_OK(ws_set_current_step(store, "f", "s", "x"));
  CHECK_OK(ws_history_push(store, "f", "s", "[1]"));
  CHECK_OK(ws_history_push(store, "f", "s", "{\"top\":true}"));
  CHECK_OK(ws_checkpoint(store, "f", "s", "u1"));
  CHECK_OK(ws_update_state(store, "f", "s", "{\"a\":2}"));
  CHECK_OK(ws_checkpoint(store, "f", "s", "u2"));
  CHECK_OK(ws_update_state(store, "f", "s", "{\"a\":3}"));
  CHECK_OK(ws_checkpoint(store, "f", "s", "u3"));
  CHECK_OK(ws_update_state(store, "f", "s", "{\"a\":4}"));
  CHECK_UNDO(store, "f", "s", true);
  CHECK_UNDO_STATUS(store, "f", "s",
                    "{\"undo_depth\":2,\"redo_depth\":1,\"undo_label\":\"u2\",\"redo_label\":\"u3\"" NO_META_NOT_CLEAN);
  next_second(); /* from here on, any write would change an updated_at */

  for (si = 0; si < 2; si++) {
    for (f = 0; f < H_COUNT; f++) {
      const struct hfn_info *info = &HFNS[f];
      const char *third = f == H_PUSH ? "{\"k\":1}" : "label";
      char *before = everything(store, "f", sessions[si]);
      struct outs o;

      /* NULL store. */
      snprintf(g_context, sizeof g_context, "%s with store = NULL", info->name);
      CHECK_STATUS(call_hfn((enum hfn_id)f, NULL, "f", sessions[si], third, &o, 0), WS_INVALID_ARGUMENT);
      CHECK_MESSAGE_HAS("store");
      check_outs_reset((enum hfn_id)f, &o);
      CHECK_NOTHING_CHANGED(store, "f", sessions[si], before);

      /* NULL out-parameter. */
      if (info->out != O_NONE) {
        snprintf(g_context, sizeof g_context, "%s with %s = NULL", info->name, info->out_name);
        CHECK_STATUS(call_hfn((enum hfn_id)f, store, "f", sessions[si], third, &o, 1), WS_INVALID_ARGUMENT);
        CHECK_MESSAGE_HAS(info->out_name);
        CHECK_NOTHING_CHANGED(store, "f", sessions[si], before);
      }
      free(before);

      check_bad_values(store, (enum hfn_id)f, sessions[si], 0, BAD_FLOW, COUNT(BAD_FLOW));
      check_bad_values(store, (enum hfn_id)f, sessions[si], 1, BAD_SESSION, COUNT(BAD_SESSION));
      if (f == H_PUSH) check_bad_values(store, H_PUSH, sessions[si], 2, BAD_SNAPSHOT, COUNT(BAD_SNAPSHOT));
      if (f == H_CHECKPOINT) check_bad_values(store, H_CHECKPOINT, sessions[si], 2, BAD_LABEL, COUNT(BAD_LABEL));
    }
  }
  g_context[0] = '\0';

  /* Nothing was created or changed by any of it. */
  CHECK(!exists(store, "f", "new"));
  CHECK_STATE(store, "f", "s", "{\"a\":3,\"_step_x\":{\"n\":1}}");
  CHECK_CURRENT_STEP(store, "f", "s", "x");
  CHECK_HISTORY_LEN(store, "f", "s", 2);
  CHECK_PEEK(store, "f", "s", "{\"top\":true}");
  CHECK_UNDO_STATUS(store, "f", "s",
                    "{\"undo_depth\":2,\"redo_depth\":1,\"undo_label\":\"u2\",\"redo_label\":\"u3\"" NO_META_NOT_CLEAN);
  {
    /* The list of the flow is just "s": no session was created under a bad id either. */
    char *list = list_copy(store, "f", WS_ORDER_CREATED_AT, false);
    CHECK(strstr(list, "\"session_id\":\"s\"") != NULL);
    CHECK(strstr(list, "},{") == NULL);
    free(list);
  }
  ws_store_close(store);
}

int main(void) {
  atexit(print_context);
  test_json_history_push();
  printf("ok test_json_history_push\n");
  test_json_history_pop();
  printf("ok test_json_history_pop\n");
  test_history_stack();
  printf("ok test_history_stack\n");
  test_history_leaves_session_alone();
  printf("ok test_history_leaves_session_alone\n");
  test_history_trimming();
  printf("ok test_history_trimming\n");
  test_history_persistence_and_depth();
  printf("ok test_history_persistence_and_depth\n");
  test_stacks_deleted_with_session();
  printf("ok test_stacks_deleted_with_session\n");
  test_read_only();
  printf("ok test_read_only\n");
  test_undo_redo();
  printf("ok test_undo_redo\n");
  test_undo_labels();
  printf("ok test_undo_labels\n");
  test_undo_session_fields();
  printf("ok test_undo_session_fields\n");
  test_undo_step_state();
  printf("ok test_undo_step_state\n");
  test_undo_trimming();
  printf("ok test_undo_trimming\n");
  test_undo_persistence();
  printf("ok test_undo_persistence\n");
  test_argument_errors();
  printf("ok test_argument_errors\n");
  test_json_history_pop_null_out();
  printf("ok test_json_history_pop_null_out\n");
  g_done = 1;
  return 0;
}
