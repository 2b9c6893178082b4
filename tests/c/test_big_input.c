/* Bad and extreme input at scale (issue 5): a 50 MB JSON value through every call that
 * takes JSON, ids of 1 MB, text next to the NUL byte, and text that looks like SQL or
 * LIKE patterns. Each must either work exactly (read back byte for byte) or fail with a
 * clear status and a short message, leaving the database as it was. Deep nesting has
 * its own test in test_state.c. */
#include "check.h"

#define MB (1024 * 1024)

/* A malloc'd `{"<key>":"xxxx…"}` whose whole text is `size` bytes long. */
static char *big_object(const char *key, size_t size) {
  size_t head = strlen(key) + 6; /* {"key":"  …  "} */
  char *text = (char *)malloc(size + 1);
  CHECK(text != NULL && size > head + 1);
  sprintf(text, "{\"%s\":\"", key);
  memset(text + head - 1, 'x', size - head);
  memcpy(text + size - 2, "\"}", 3);
  CHECK(strlen(text) == size);
  return text;
}

/* A malloc'd id of `size` bytes: a prefix, then a repeated pattern of ASCII and UTF-8. */
static char *big_id(const char *prefix, size_t size) {
  static const char pattern[] = "id-\xc3\xa9-"; /* "id-é-" */
  char *id = (char *)malloc(size + 1);
  size_t n = strlen(prefix);
  CHECK(id != NULL && n < size);
  memcpy(id, prefix, n);
  while (n + sizeof pattern - 1 <= size) {
    memcpy(id + n, pattern, sizeof pattern - 1);
    n += sizeof pattern - 1;
  }
  while (n < size) id[n++] = 'z';
  id[n] = '\0';
  return id;
}

static ws_store *open_memory(void) {
  ws_store *store = NULL;
  CHECK_OK(ws_store_open(":memory:", &store));
  return store;
}

/* A 50 MB state: stored, merged into, read back, checkpointed and undone, pushed onto
 * the history and popped, each byte for byte; a 50 MB text that is not JSON is refused
 * and changes nothing. */
static void test_50_mb_values(void) {
  const size_t size = 50 * MB;
  ws_store *store = open_memory();
  char *big = big_object("doc", size), *out = NULL, *expected, *bad;
  size_t len;
  bool done = false;

  CHECK_OK(ws_update_state(store, "f", "s", big));
  CHECK_STATE(store, "f", "s", big);

  /* A merge into a small key keeps the 50 MB value as it was. */
  CHECK_OK(ws_update_step_state(store, "f", "s", "one", "{\"n\":1}"));
  expected = (char *)malloc(size + 64);
  CHECK(expected != NULL);
  memcpy(expected, big, size - 1);
  strcpy(expected + size - 1, ",\"_step_one\":{\"n\":1}}");
  CHECK_STATE(store, "f", "s", expected);
  CHECK_OK(ws_get_step_state(store, "f", "s", "one", &out));
  CHECK_STR(out, "{\"n\":1}");
  ws_string_free(out);

  /* Checkpoint, change, undo: the 50 MB state comes back; redo re-applies the change. */
  CHECK_OK(ws_checkpoint(store, "f", "s", "Big"));
  CHECK_OK(ws_update_state(store, "f", "s", "{\"doc\":\"small\"}"));
  CHECK_OK(ws_undo(store, "f", "s", &done));
  CHECK(done);
  CHECK_STATE(store, "f", "s", expected);
  CHECK_OK(ws_redo(store, "f", "s", &done));
  CHECK(done);
  CHECK_STATE(store, "f", "s", "{\"doc\":\"small\",\"_step_one\":{\"n\":1}}");

  /* The snapshot stack and the JSON history functions take 50 MB values as well. */
  CHECK_OK(ws_history_push(store, "f", "s", big));
  CHECK_OK(ws_history_pop(store, "f", "s", &out));
  CHECK(out != NULL && strlen(out) == size && memcmp(out, big, size) == 0);
  ws_string_free(out);
  CHECK_OK(ws_json_history_push(NULL, big, 2, &out));
  len = strlen(out);
  CHECK(len == size + 2 && out[0] == '[' && memcmp(out + 1, big, size) == 0 && out[len - 1] == ']');
  ws_string_free(out);

  /* 50 MB with one bad byte at the very end: refused, nothing written. */
  bad = big_object("doc", size);
  bad[size - 1] = ',';
  CHECK_STATUS(ws_update_state(store, "f", "s", bad), WS_INVALID_JSON);
  CHECK(strlen(ws_last_error_message()) < 1024);
  CHECK_STATE(store, "f", "s", "{\"doc\":\"small\",\"_step_one\":{\"n\":1}}");
  CHECK_STATUS(ws_update_step_state(store, "f", "s", "one", bad), WS_INVALID_JSON);
  CHECK_STATUS(ws_history_push(store, "f", "s", bad), WS_INVALID_JSON);
  CHECK_OK(ws_history_len(store, "f", "s", &len));
  CHECK(len == 0);
  CHECK_STATE(store, "f", "s", "{\"doc\":\"small\",\"_step_one\":{\"n\":1}}");

  free(bad);
  free(expected);
  free(big);
  ws_store_close(store);
}

/* 1 MB flow and session ids work in every kind of call, and the messages that name an
 * id stay short. */
static void test_1_mb_ids(void) {
  ws_store *store = open_memory();
  char *flow = big_id("flow-", MB), *session = big_id("session-", MB), *out = NULL;
  char *bad_flow = big_id("bad-", MB);
  bool exists = false;

  CHECK_OK(ws_create_session(store, flow, session, session, &out));
  CHECK_STR(out, session);
  ws_string_free(out);
  CHECK_OK(ws_session_exists(store, flow, session, &exists));
  CHECK(exists);
  CHECK_OK(ws_set_current_step(store, flow, session, session));
  CHECK_OK(ws_get_current_step(store, flow, session, &out));
  CHECK_STR(out, session);
  ws_string_free(out);
  CHECK_OK(ws_update_step_state(store, flow, session, "s", "{\"k\":1}"));
  CHECK_STATE(store, flow, session, "{\"_step_s\":{\"k\":1}}");
  CHECK_OK(ws_checkpoint(store, flow, session, session));
  CHECK_OK(ws_undo_status(store, flow, session, &out));
  CHECK(strlen(out) > MB && strstr(out, "\"undo_depth\":1") != NULL);
  ws_string_free(out);

  /* The list holds the one session, with its 1 MB id and label. */
  CHECK_OK(ws_list_sessions(store, flow, WS_ORDER_LABEL, false, &out));
  CHECK(strlen(out) > 3 * (size_t)MB && strstr(out, session) != NULL);
  ws_string_free(out);

  /* A ':' at the very end of a 1 MB flow id: refused, with a message that quotes the
   * start of the id and its size rather than all of it. */
  bad_flow[MB - 1] = ':';
  CHECK_STATUS(ws_update_state(store, bad_flow, session, "{}"), WS_INVALID_ARGUMENT);
  CHECK_MESSAGE_HAS("must not contain ':'");
  CHECK_MESSAGE_HAS("bytes)");
  CHECK(strlen(ws_last_error_message()) < 1024);
  CHECK_OK(ws_session_exists(store, "bad-id-\xc3\xa9-", session, &exists));
  CHECK(!exists);

  CHECK_OK(ws_delete_session(store, flow, session));
  CHECK_OK(ws_session_exists(store, flow, session, &exists));
  CHECK(!exists);
  free(bad_flow);
  free(session);
  free(flow);
  ws_store_close(store);
}

/* NUL bytes: C strings end at the first one, so an id "a\0b" is "a"; JSON carries NUL
 * as the escape \u0000, which round-trips in keys and values and keeps keys apart that
 * differ only by it. Invalid UTF-8 just before the terminating NUL is refused. */
static void test_text_next_to_nul(void) {
  ws_store *store = open_memory();
  char *out = NULL;
  bool exists = false;

  CHECK_OK(ws_update_state(store, "f", "a\0b", "{\"v\":1}"));
  CHECK_OK(ws_session_exists(store, "f", "a", &exists));
  CHECK(exists);

  CHECK_OK(ws_update_state(store, "f", "n",
                           "{\"k\\u0000\":\"v\\u0000w\",\"k\":0,\"\\u0000\":[\"\\u0000\"]}"));
  CHECK_STATE(store, "f", "n", "{\"k\\u0000\":\"v\\u0000w\",\"k\":0,\"\\u0000\":[\"\\u0000\"]}");
  CHECK_OK(ws_update_step_state(store, "f", "n", "x\x01", "{\"\\u0000\":null}"));
  CHECK_OK(ws_get_step_state(store, "f", "n", "x\x01", &out));
  CHECK_STR(out, "{\"\\u0000\":null}");
  ws_string_free(out);

  /* A UTF-8 sequence cut short by the NUL, in an id and in JSON: refused, nothing made. */
  CHECK_STATUS(ws_update_state(store, "f", "cut\xe2\x82", "{}"), WS_INVALID_ARGUMENT);
  CHECK_MESSAGE_HAS("session_id");
  CHECK_MESSAGE_HAS("UTF-8");
  CHECK_OK(ws_session_exists(store, "f", "cut", &exists));
  CHECK(!exists);
  CHECK_STATUS(ws_update_state(store, "f", "n", "{\"k\":\"\xe2\x82\"}"), WS_INVALID_ARGUMENT);
  CHECK_MESSAGE_HAS("updates_json");
  CHECK_STATE(store, "f", "n", "{\"k\\u0000\":\"v\\u0000w\",\"k\":0,\"\\u0000\":[\"\\u0000\"],\"_step_x\\u0001\":{\"\\u0000\":null}}");
  ws_store_close(store);
}

/* Text that looks like SQL or LIKE patterns is data, stored and matched exactly: a flow
 * "%" lists only its own sessions, a quote-laden id drops nothing. */
static void test_sql_looking_text(void) {
  static const char *const ids[] = {"'; DROP TABLE workflow_state; --", "\" OR 1=1 --", "%", "_",
                                    "a%", "x'); DELETE FROM ws_history; --", "\\", "*"};
  const size_t n = sizeof ids / sizeof ids[0];
  ws_store *store = open_memory();
  char *out = NULL, json[256];
  size_t i;
  bool exists = false;

  for (i = 0; i < n; i++) {
    /* Each id as a flow and as a session, with itself as a key in its state. */
    CHECK_OK(ws_create_session(store, ids[i], ids[i], ids[i], &out));
    CHECK_STR(out, ids[i]);
    ws_string_free(out);
    CHECK_OK(ws_checkpoint(store, ids[i], ids[i], ids[i]));
    CHECK_OK(ws_history_push(store, ids[i], ids[i], "\"SELECT * FROM ws_history\""));
  }
  CHECK_OK(ws_update_state(store, "f", ids[0], "{\"'; DROP TABLE ws_history; --\":\"%_\"}"));
  CHECK_STATE(store, "f", ids[0], "{\"'; DROP TABLE ws_history; --\":\"%_\"}");

  for (i = 0; i < n; i++) {
    size_t len = 0;
    CHECK_OK(ws_session_exists(store, ids[i], ids[i], &exists));
    CHECK(exists);
    CHECK_OK(ws_history_len(store, ids[i], ids[i], &len));
    CHECK(len == 1);
    /* The flow's list holds exactly its one session: no wildcard matched another. */
    CHECK_OK(ws_list_sessions(store, ids[i], WS_ORDER_CREATED_AT, false, &out));
    CHECK(out[0] == '[' && strstr(out, "},{") == NULL);
    ws_string_free(out);
  }
  CHECK_OK(ws_list_sessions(store, "%", WS_ORDER_CREATED_AT, false, &out));
  snprintf(json, sizeof json, "\"flow_id\":\"%%\",\"session_id\":\"%%\"");
  CHECK(strstr(out, json) != NULL);
  ws_string_free(out);
  ws_store_close(store);
}

int main(void) {
  test_50_mb_values();
  printf("ok test_50_mb_values\n");
  test_1_mb_ids();
  printf("ok test_1_mb_ids\n");
  test_text_next_to_nul();
  printf("ok test_text_next_to_nul\n");
  test_sql_looking_text();
  printf("ok test_sql_looking_text\n");
  return 0;
}
