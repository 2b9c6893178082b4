/* The rules every JSON-taking call shares (header: "JSON rules"), each checked where a
 * wrong implementation would show: through a second store on the same file and after a
 * restart, since the writing store's own cache would hide a text it cannot read back.
 *
 * - Depth: JSON is kept at most 512 levels deep, measured where the text goes; whatever a
 *   call accepts reads back everywhere, and whatever a call returns is taken back where
 *   it came from.
 * - Numbers: a number Python's json module cannot take back (beyond a double's range, or
 *   an integer of more than 4,300 digits) is refused, naming its path; every other
 *   number keeps its exact text.
 * - Repeated keys: at every level, a key is kept once, at its first position, with its
 *   last value (as Python's json module reads it). */
#include "check.h"

static char db[1024];

static ws_store *open_db(void) {
  ws_store *store = NULL;
  CHECK_OK(ws_store_open(db, &store));
  return store;
}

/* A malloc'd `prefix` + `depth` x "[" + `middle` + `depth` x "]" + `suffix`. */
static char *nest(const char *prefix, size_t depth, const char *middle, const char *suffix) {
  size_t n = strlen(prefix), i;
  char *text = (char *)malloc(n + 2 * depth + strlen(middle) + strlen(suffix) + 1);
  CHECK(text != NULL);
  strcpy(text, prefix);
  for (i = 0; i < depth; i++) text[n++] = '[';
  strcpy(text + n, middle);
  n += strlen(middle);
  for (i = 0; i < depth; i++) text[n++] = ']';
  strcpy(text + n, suffix);
  return text;
}

/* The state of `session` must be `expected` through `writer`, through another store on
 * the same file, and through a store opened after `writer` closed (a restart). Returns
 * a new writer. */
static ws_store *check_everywhere(ws_store *writer, const char *session, const char *expected) {
  ws_store *other = open_db();
  CHECK_STATE(writer, "f", session, expected);
  CHECK_STATE(other, "f", session, expected);
  ws_store_close(other);
  ws_store_close(writer);
  writer = open_db();
  CHECK_STATE(writer, "f", session, expected);
  return writer;
}

/* Depth as stored: a step's updates are stored two levels down, so they may nest one
 * level less than a state's updates. Every accepted text reads back through a second
 * store and after a restart (in 0.1 a step value of 511 levels made the session
 * WS_CORRUPT everywhere but in the writing store). */
static void test_depth_is_measured_as_stored(void) {
  ws_store *store = open_db();
  char *state_512 = nest("{\"a\":", 511, "", "}");   /* 512 levels: a whole state */
  char *state_513 = nest("{\"a\":", 512, "", "}");
  char *step_511 = nest("{\"b\":", 510, "", "}");    /* 511 + the state around it */
  char *step_512 = nest("{\"b\":", 511, "", "}");
  char *expected, *before, *out = NULL;

  CHECK_OK(ws_update_state(store, "f", "deep", state_512));
  store = check_everywhere(store, "deep", state_512);
  CHECK_STATUS(ws_update_state(store, "f", "deep", state_513), WS_INVALID_JSON);
  CHECK_MESSAGE_HAS("updates_json nests too deeply at \"/a/0/0/0");
  CHECK_MESSAGE_HAS("513 levels deep");

  CHECK_OK(ws_update_step_state(store, "f", "step", "x", step_511));
  expected = nest("{\"_step_x\":{\"b\":", 510, "", "}}");
  store = check_everywhere(store, "step", expected);
  before = state_copy(store, "f", "step");
  CHECK_STATUS(ws_update_step_state(store, "f", "step", "x", step_512), WS_INVALID_JSON);
  CHECK_MESSAGE_HAS("in the step's object inside the session's state it would be 513 levels deep");
  CHECK_STATE(store, "f", "step", before);

  /* What a call returns is taken back where it came from. */
  CHECK_OK(ws_get_step_state(store, "f", "step", "x", &out));
  CHECK_STR(out, step_511);
  CHECK_OK(ws_update_step_state(store, "f", "step", "x", out));
  ws_string_free(out);
  CHECK_OK(ws_get_state(store, "f", "deep", &out));
  CHECK_OK(ws_update_state(store, "f", "deep", out));
  ws_string_free(out);

  free(state_512);
  free(state_513);
  free(step_511);
  free(step_512);
  free(expected);
  free(before);
  ws_store_close(store);
}

/* A cjm history lives inside a state, so what ws_json_history_push returns is always a
 * value ws_update_state takes, and a history ws_history_push and ws_json_history_* take
 * back; a snapshot alone (ws_history_push) is a document of its own, up to 512 levels. */
static void test_histories_compose(void) {
  ws_store *store = open_db();
  char *snapshot_510 = nest("", 510, "", "");
  char *snapshot_511 = nest("", 511, "", "");
  char *snapshot_512 = nest("", 512, "", "");
  char *snapshot_513 = nest("", 513, "", "");
  char *history = NULL, *again = NULL, *popped = NULL, *rest = NULL, *peeked = NULL;
  char *updates;

  CHECK_OK(ws_json_history_push(NULL, snapshot_510, 3, &history));
  CHECK_STATUS(ws_json_history_push(NULL, snapshot_511, 3, &again), WS_INVALID_JSON);
  CHECK_MESSAGE_HAS("snapshot_json nests too deeply at \"/0/0");
  CHECK_MESSAGE_HAS("in a history array kept in a session's state");
  CHECK(again == NULL);

  /* The history as a value of a state, read back everywhere. */
  updates = (char *)malloc(strlen(history) + 16);
  CHECK(updates != NULL);
  sprintf(updates, "{\"h\":%s}", history);
  CHECK_OK(ws_update_state(store, "f", "h", updates));
  store = check_everywhere(store, "h", updates);

  /* The history back into the JSON functions and onto a session's stack. */
  CHECK_OK(ws_json_history_push(history, "1", 3, &again));
  CHECK_OK(ws_json_history_pop(again, &popped, &rest));
  CHECK_STR(popped, "1");
  CHECK_STR(rest, history);
  CHECK_OK(ws_history_push(store, "f", "h", history));

  /* A snapshot alone: 512 levels, and what peek returns is pushed again. */
  CHECK_OK(ws_history_push(store, "f", "h", snapshot_512));
  CHECK_STATUS(ws_history_push(store, "f", "h", snapshot_513), WS_INVALID_JSON);
  CHECK_MESSAGE_HAS("snapshot_json nests too deeply");
  ws_store_close(store);
  store = open_db();
  CHECK_OK(ws_history_peek(store, "f", "h", &peeked));
  CHECK_STR(peeked, snapshot_512);
  CHECK_OK(ws_history_push(store, "f", "h", peeked));

  ws_string_free(history);
  ws_string_free(again);
  ws_string_free(popped);
  ws_string_free(rest);
  ws_string_free(peeked);
  free(snapshot_510);
  free(snapshot_511);
  free(snapshot_512);
  free(snapshot_513);
  free(updates);
  ws_store_close(store);
}

/* A number Python would read as inf (and write back as Infinity, which is not JSON), or
 * an integer Python's json module refuses, is refused by every call that takes JSON,
 * with the path to the number; nothing is written. Every other number keeps its text. */
static void test_numbers_python_cannot_take_back(void) {
  ws_store *store = open_db();
  char *huge = (char *)malloc(4400), *just = (char *)malloc(4400), *before;
  char *out = NULL, *out2 = NULL;
  size_t i;
  struct {
    const char *text, *path;
  } bad[4];
  CHECK(huge != NULL && just != NULL);
  strcpy(huge, "{\"n\":[");
  for (i = 0; i < 4301; i++) huge[6 + i] = '7';
  strcpy(huge + 6 + 4301, "]}");
  strcpy(just, "{\"n\":[");
  for (i = 0; i < 4300; i++) just[6 + i] = '7';
  strcpy(just + 6 + 4300, "]}");
  bad[0].text = "{\"a\":{\"b\":[0,1e400]}}";
  bad[0].path = "at \"/a/b/1\" that is too large for a double";
  bad[1].text = "{\"x~/y\":-1.8E+308}";
  bad[1].path = "at \"/x~0~1y\" that is too large for a double";
  bad[2].text = huge;
  bad[2].path = "at \"/n/0\" that has more than 4300 digits";
  bad[3].text = "{\"a\":1,\"a\":1e999}";
  bad[3].path = "at \"/a\" that is too large";

  CHECK_OK(ws_update_state(store, "f", "n", "{\"keep\":1}"));
  CHECK_OK(ws_history_push(store, "f", "n", "{\"keep\":2}"));
  before = state_copy(store, "f", "n");
  for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    CHECK_STATUS(ws_update_state(store, "f", "n", bad[i].text), WS_INVALID_JSON);
    CHECK_MESSAGE_HAS("updates_json has a number ");
    CHECK_MESSAGE_HAS(bad[i].path);
    CHECK_STATUS(ws_update_step_state(store, "f", "n", "s", bad[i].text), WS_INVALID_JSON);
    CHECK_MESSAGE_HAS(bad[i].path);
    CHECK_STATUS(ws_history_push(store, "f", "n", bad[i].text), WS_INVALID_JSON);
    CHECK_MESSAGE_HAS("snapshot_json has a number ");
    CHECK_STATUS(ws_json_history_push(NULL, bad[i].text, 3, &out), WS_INVALID_JSON);
    CHECK_MESSAGE_HAS("snapshot_json has a number at \"/");
    CHECK(out == NULL);
  }
  CHECK_STATE(store, "f", "n", before);
  CHECK_OK(ws_history_peek(store, "f", "n", &out));
  CHECK_STR(out, "{\"keep\":2}");
  ws_string_free(out);
  out = NULL;
  CHECK_STATUS(ws_json_history_push("[1,[2,1e400]]", "1", 3, &out), WS_INVALID_JSON);
  CHECK_MESSAGE_HAS("history_json has a number at \"/1/1\"");
  CHECK_STATUS(ws_json_history_pop("[-1e400]", &out, &out2), WS_INVALID_JSON);
  CHECK_MESSAGE_HAS("history_json has a number at \"/0\"");
  CHECK(out == NULL && out2 == NULL);

  /* Everything else keeps its exact text: 2**70, 0.1, a tiny number, the largest double,
   * 4,300 digits. */
  CHECK_OK(ws_update_state(store, "f", "ok",
                           "{\"big\":1180591620717411303424,\"f\":0.1,\"tiny\":1e-400,"
                           "\"max\":1.7976931348623157e308,\"e\":1E5}"));
  CHECK_OK(ws_update_step_state(store, "f", "ok", "s", just));
  CHECK_OK(ws_get_step_state(store, "f", "ok", "s", &out));
  CHECK_STR(out, just);
  ws_string_free(out);
  {
    char *expected = (char *)malloc(strlen(just) + 200);
    CHECK(expected != NULL);
    sprintf(expected,
            "{\"big\":1180591620717411303424,\"f\":0.1,\"tiny\":1e-400,"
            "\"max\":1.7976931348623157e308,\"e\":1E5,\"_step_s\":%s}",
            just);
    store = check_everywhere(store, "ok", expected);
    free(expected);
  }
  free(huge);
  free(just);
  free(before);
  ws_store_close(store);
}

/* One rule at every level: a repeated key keeps its first position and its last value,
 * whichever call the text comes through. */
static void test_repeated_keys_at_every_level(void) {
  ws_store *store = open_db();
  char *out = NULL, *rest = NULL;

  CHECK_OK(ws_update_state(store, "f", "k",
                           "{\"a\":1,\"x\":{\"p\":1,\"q\":2,\"p\":3},\"a\":2,"
                           "\"l\":[{\"z\":1,\"\\u007a\":{\"m\":1,\"m\":2}}]}"));
  store = check_everywhere(store, "k", "{\"a\":2,\"x\":{\"p\":3,\"q\":2},\"l\":[{\"z\":{\"m\":2}}]}");
  CHECK_OK(ws_update_step_state(store, "f", "k", "s", "{\"v\":{\"b\":1,\"b\":[1]}}"));
  CHECK_OK(ws_get_step_state(store, "f", "k", "s", &out));
  CHECK_STR(out, "{\"v\":{\"b\":[1]}}");
  ws_string_free(out);
  CHECK_OK(ws_history_push(store, "f", "k", "[{\"d\":1,\"e\":0,\"d\":2}]"));
  CHECK_OK(ws_history_peek(store, "f", "k", &out));
  CHECK_STR(out, "[{\"d\":2,\"e\":0}]");
  ws_string_free(out);
  CHECK_OK(ws_json_history_push("[{\"h\":1,\"h\":2}]", "{\"s\":{\"t\":1,\"t\":2}}", 5, &out));
  CHECK_STR(out, "[{\"h\":2},{\"s\":{\"t\":2}}]");
  ws_string_free(out);
  CHECK_OK(ws_json_history_pop("[{\"h\":1,\"h\":2},{\"i\":[{\"j\":1,\"j\":2}]}]", &out, &rest));
  CHECK_STR(out, "{\"i\":[{\"j\":2}]}");
  CHECK_STR(rest, "[{\"h\":2}]");
  ws_string_free(out);
  ws_string_free(rest);
  ws_store_close(store);
}

int main(void) {
  const char *dir = fresh_dir("test_json_rules");
  path_in(db, sizeof db, dir, "rules.db");
  test_depth_is_measured_as_stored();
  printf("ok test_depth_is_measured_as_stored\n");
  test_histories_compose();
  printf("ok test_histories_compose\n");
  test_numbers_python_cannot_take_back();
  printf("ok test_numbers_python_cannot_take_back\n");
  test_repeated_keys_at_every_level();
  printf("ok test_repeated_keys_at_every_level\n");
  return 0;
}
