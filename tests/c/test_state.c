/* Session state (API.md "Session state"): ws_get_current_step, ws_set_current_step,
 * ws_get_state, ws_update_state, ws_clear_state, ws_get_step_state, ws_update_step_state,
 * ws_clear_step_state; plus ws_status_name, ws_version, ws_string_free(NULL) and the
 * behaviour of ws_last_error_message.
 *
 * Every failure is checked for: the status, the out-pointer reset to NULL, a message naming
 * the problem, and the stored data left exactly as it was (nothing created, nothing
 * rewritten: the flow's session list, with each session's updated_at and state size, and
 * the session's state are compared before and after). */
#include "check.h"
#include "table_check.h"

#include <limits.h>
#include <pthread.h>
#include <time.h>

/* ------------------------------------------------------------------------------------ */

static void test_status_names_and_version(void) {
  const char *names[] = {"WS_OK",          "WS_INVALID_ARGUMENT", "WS_INVALID_JSON",
                         "WS_NOT_FOUND",   "WS_ALREADY_EXISTS",   "WS_CONFLICT",
                         "WS_BUSY",        "WS_IO",               "WS_CORRUPT",
                         "WS_INTERNAL"};
  const ws_status codes[] = {WS_OK,       WS_INVALID_ARGUMENT, WS_INVALID_JSON, WS_NOT_FOUND,
                             WS_ALREADY_EXISTS, WS_CONFLICT,   WS_BUSY,         WS_IO,
                             WS_CORRUPT,  WS_INTERNAL};
  const ws_status unknown[] = {99, 10, -1, INT_MAX, INT_MIN};
  const char *version;
  const char *p;
  int i, parts = 1, digits = 0;

  for (i = 0; i < 10; i++) {
    CHECK(codes[i] == i); /* the values are fixed by the API */
    CHECK(ws_status_name(codes[i]) != NULL);
    CHECK_STR(ws_status_name(codes[i]), names[i]);
  }
  for (i = 0; i < 5; i++) CHECK_STR(ws_status_name(unknown[i]), "WS_UNKNOWN");
  CHECK(WS_ORDER_UPDATED_AT == 0 && WS_ORDER_CREATED_AT == 1 && WS_ORDER_LABEL == 2);

  /* "MAJOR.MINOR.PATCH": three non-empty runs of digits separated by dots. */
  version = ws_version();
  CHECK(version != NULL);
  for (p = version; *p != '\0'; p++) {
    if (*p == '.') {
      CHECK(digits > 0);
      digits = 0;
      parts++;
    } else {
      CHECK(*p >= '0' && *p <= '9');
      digits++;
    }
  }
  CHECK(digits > 0 && parts == 3);
  CHECK_STR(ws_version(), version);

  ws_string_free(NULL); /* NULL-safe */
}

/* A thread's own message: "" at first, then its own failures only. */
static void *other_thread(void *arg) {
  ws_store *store = (ws_store *)arg;
  char *out = DUMMY;
  CHECK_STR(ws_last_error_message(), "");
  CHECK_STATUS(ws_get_state(store, "a:b", "s", &out), WS_INVALID_ARGUMENT);
  CHECK(out == NULL);
  CHECK_MESSAGE_HAS("flow_id \"a:b\" must not contain ':'");
  return NULL;
}

static void test_last_error_message(void) {
  ws_store *store = open_memory();
  char *out = DUMMY;
  char *state = NULL;
  char saved[1024];
  pthread_t thread;

  /* A failure sets the message; it names the problem. */
  CHECK_STATUS(ws_update_state(store, "f", "s", "[1]"), WS_INVALID_JSON);
  CHECK(ws_last_error_message() != NULL);
  CHECK_MESSAGE_HAS("updates_json");
  snprintf(saved, sizeof saved, "%s", ws_last_error_message());
  CHECK(saved[0] != '\0');

  /* ws_status_name, ws_version, ws_string_free (NULL or a real string) and
   * ws_store_close(NULL) leave it as it was. */
  CHECK_STR(ws_status_name(WS_NOT_FOUND), "WS_NOT_FOUND");
  CHECK_STR(ws_last_error_message(), saved);
  CHECK_STR(ws_status_name(99), "WS_UNKNOWN");
  CHECK_STR(ws_last_error_message(), saved);
  CHECK(ws_version() != NULL);
  CHECK_STR(ws_last_error_message(), saved);
  ws_string_free(NULL);
  CHECK_STR(ws_last_error_message(), saved);
  ws_store_close(NULL);
  CHECK_STR(ws_last_error_message(), saved);
  /* Freeing a real string: take one (a success resets the message), fail again, then
   * free it. */
  CHECK_OK(ws_get_state(store, "f", "s", &state));
  CHECK_STATUS(ws_update_state(store, "f", "s", "[1]"), WS_INVALID_JSON);
  CHECK_STR(ws_last_error_message(), saved);
  ws_string_free(state);
  CHECK_STR(ws_last_error_message(), saved);

  /* Closing a real store leaves it too. */
  {
    ws_store *other = open_memory();
    CHECK_STATUS(ws_update_state(store, "f", "s", "[1]"), WS_INVALID_JSON);
    ws_store_close(other);
    CHECK_STR(ws_last_error_message(), saved);
  }

  /* Per thread: another thread starts with "" and its failure does not touch ours. */
  CHECK(pthread_create(&thread, NULL, other_thread, store) == 0);
  CHECK(pthread_join(thread, NULL) == 0);
  CHECK_STR(ws_last_error_message(), saved);

  /* A different failure replaces it; a success makes it "". */
  CHECK_STATUS(ws_get_state(NULL, "f", "s", &out), WS_INVALID_ARGUMENT);
  CHECK(out == NULL);
  CHECK_MESSAGE_HAS("store");
  CHECK(strcmp(ws_last_error_message(), saved) != 0);
  CHECK_OK(ws_get_state(store, "f", "s", &out));
  CHECK_STR(ws_last_error_message(), "");
  CHECK_STR(out, "{}");
  ws_string_free(out);
  /* ... and stays "" after further successes. */
  CHECK_OK(ws_clear_state(store, "f", "s"));
  CHECK_STR(ws_last_error_message(), "");

  ws_store_close(store);
}

static void test_current_step(void) {
  char path[4200];
  ws_store *store = open_file("test_state_current_step", path, sizeof path, 1);

  /* No session: NULL, and reading creates nothing. */
  CHECK_CURRENT_STEP(store, "f", "s", NULL);
  CHECK(!exists(store, "f", "s"));

  /* Setting upserts the session, with an empty state. */
  CHECK_OK(ws_set_current_step(store, "f", "s", "one"));
  CHECK(exists(store, "f", "s"));
  CHECK_CURRENT_STEP(store, "f", "s", "one");
  CHECK_STATE(store, "f", "s", "{}");

  /* Overwrite; the state is untouched by steps and the step by state updates. */
  CHECK_OK(ws_update_state(store, "f", "s", "{\"a\":1}"));
  CHECK_OK(ws_set_current_step(store, "f", "s", "two"));
  CHECK_CURRENT_STEP(store, "f", "s", "two");
  CHECK_STATE(store, "f", "s", "{\"a\":1}");
  CHECK_OK(ws_update_state(store, "f", "s", "{\"b\":2}"));
  CHECK_OK(ws_update_step_state(store, "f", "s", "two", "{\"c\":3}"));
  CHECK_OK(ws_clear_step_state(store, "f", "s", "two"));
  CHECK_CURRENT_STEP(store, "f", "s", "two");

  /* Any non-empty UTF-8 step id, including ':' and non-ASCII text. */
  CHECK_OK(ws_set_current_step(store, "f", "s", "步骤:é 😀"));
  CHECK_CURRENT_STEP(store, "f", "s", "步骤:é 😀");
  CHECK_OK(ws_set_current_step(store, "f", "s", "x"));
  CHECK_CURRENT_STEP(store, "f", "s", "x");

  /* A session made by a state update has no current step. */
  CHECK_OK(ws_update_state(store, "f", "t", "{}"));
  CHECK(exists(store, "f", "t"));
  CHECK_CURRENT_STEP(store, "f", "t", NULL);

  /* Sessions are independent: other session, other flow, session ids with ':'. */
  CHECK_OK(ws_set_current_step(store, "g", "s", "in-g"));
  CHECK_OK(ws_set_current_step(store, "f", "s:x", "colon"));
  CHECK_CURRENT_STEP(store, "f", "s", "x");
  CHECK_CURRENT_STEP(store, "g", "s", "in-g");
  CHECK_CURRENT_STEP(store, "f", "s:x", "colon");
  CHECK_CURRENT_STEP(store, "s", "x", NULL);
  CHECK(!exists(store, "s", "x"));

  /* Survives closing and reopening the file. */
  ws_store_close(store);
  store = open_file("test_state_current_step", path, sizeof path, 0);
  CHECK_CURRENT_STEP(store, "f", "s", "x");
  CHECK_CURRENT_STEP(store, "f", "s:x", "colon");
  CHECK_STATE(store, "f", "s", "{\"a\":1,\"b\":2}");

  /* Clearing the session removes the step too. */
  CHECK_OK(ws_clear_state(store, "f", "s"));
  CHECK_CURRENT_STEP(store, "f", "s", NULL);
  CHECK_CURRENT_STEP(store, "f", "s:x", "colon");
  ws_store_close(store);
}

static void test_state_merge(void) {
  ws_store *store = open_memory();

  /* No session: "{}", and reading creates nothing. */
  CHECK_STATE(store, "f", "s", "{}");
  CHECK(!exists(store, "f", "s"));

  /* dict.update: existing keys keep their position, new keys are appended in order. */
  CHECK_OK(ws_update_state(store, "f", "s", "{\"a\":1,\"b\":2}"));
  CHECK(exists(store, "f", "s"));
  CHECK_STATE(store, "f", "s", "{\"a\":1,\"b\":2}");
  CHECK_OK(ws_update_state(store, "f", "s", "{\"c\":3,\"a\":9}"));
  CHECK_STATE(store, "f", "s", "{\"a\":9,\"b\":2,\"c\":3}");
  CHECK_OK(ws_update_state(store, "f", "s", "{\"z\":0,\"b\":null,\"y\":[]}"));
  CHECK_STATE(store, "f", "s", "{\"a\":9,\"b\":null,\"c\":3,\"z\":0,\"y\":[]}");

  /* Shallow: a nested object is replaced, not merged. */
  CHECK_OK(ws_update_state(store, "f", "s", "{\"c\":{\"x\":1,\"y\":{\"deep\":[1,{\"k\":\"v\"}]}}}"));
  CHECK_OK(ws_update_state(store, "f", "s", "{\"c\":{\"w\":2}}"));
  CHECK_STATE(store, "f", "s", "{\"a\":9,\"b\":null,\"c\":{\"w\":2},\"z\":0,\"y\":[]}");

  /* An empty update changes nothing but still upserts a missing session. */
  CHECK_OK(ws_update_state(store, "f", "s", "{}"));
  CHECK_STATE(store, "f", "s", "{\"a\":9,\"b\":null,\"c\":{\"w\":2},\"z\":0,\"y\":[]}");
  CHECK_OK(ws_update_state(store, "f", "empty", "{}"));
  CHECK(exists(store, "f", "empty"));
  CHECK_STATE(store, "f", "empty", "{}");

  /* Nested values of every type are kept exactly, and the output is compact whatever the
   * input's whitespace. */
  CHECK_OK(ws_update_state(store, "f", "n",
                           " {\n  \"obj\" : { \"b\" : 2 , \"a\" : [ 1 , 2 , { } , [ ] ] } ,\t"
                           "\"t\" : true , \"f\" : false , \"nul\" : null ,\r\n"
                           "\"s\" : \"two  spaces\" , \"arr\" : [ \"x\" , null , -1.5e-3 ]\n} "));
  CHECK_STATE(store, "f", "n",
              "{\"obj\":{\"b\":2,\"a\":[1,2,{},[]]},\"t\":true,\"f\":false,\"nul\":null,"
              "\"s\":\"two  spaces\",\"arr\":[\"x\",null,-1.5e-3]}");

  /* Duplicate keys in one update: the last value wins, at the first position (as Python's
   * json.loads builds the dict). */
  CHECK_OK(ws_update_state(store, "f", "d", "{\"a\":1,\"b\":2,\"a\":3}"));
  CHECK_STATE(store, "f", "d", "{\"a\":3,\"b\":2}");

  /* Keys may be anything, including "" and text that looks like a step key. */
  CHECK_OK(ws_update_state(store, "f", "k", "{\"\":1,\"_step_\":2,\"a:b\":3}"));
  CHECK_STATE(store, "f", "k", "{\"\":1,\"_step_\":2,\"a:b\":3}");

  /* Sessions are independent, also across flows and for ids containing ':'. */
  CHECK_OK(ws_update_state(store, "g", "s", "{\"other\":true}"));
  CHECK_OK(ws_update_state(store, "f", "s:t", "{\"colon\":1}"));
  CHECK_OK(ws_update_state(store, "s", "t", "{\"flow_s\":1}"));
  CHECK_STATE(store, "f", "s", "{\"a\":9,\"b\":null,\"c\":{\"w\":2},\"z\":0,\"y\":[]}");
  CHECK_STATE(store, "g", "s", "{\"other\":true}");
  CHECK_STATE(store, "f", "s:t", "{\"colon\":1}");
  CHECK_STATE(store, "s", "t", "{\"flow_s\":1}");
  CHECK_STATE(store, "F", "s", "{}");

  ws_store_close(store);
}

static void test_numbers_exact(void) {
  char path[4200];
  const char *numbers =
      "{\"big\":1180591620717411303424,\"f\":0.1,\"z\":1.50,\"neg\":-0.0,\"e\":1e-7,"
      "\"negbig\":-123456789012345678901234567890,\"zero\":0,\"tiny\":5e-324,"
      "\"max\":18446744073709551616,\"pi\":3.14159265358979323846264338327950288,"
      "\"third\":0.333333333333333333333333333333333333}";
  char expected[2048];
  char update[64];
  ws_store *store = open_file("test_state_numbers_exact", path, sizeof path, 1);
  int i;

  CHECK_OK(ws_update_state(store, "f", "s", numbers));
  CHECK_STATE(store, "f", "s", numbers);

  /* Many rewrites (each merge rewrites the whole text) and reopenings: still exact. */
  for (i = 0; i < 25; i++) {
    snprintf(update, sizeof update, "{\"i\":%d}", i);
    CHECK_OK(ws_update_state(store, "f", "s", update));
    CHECK_OK(ws_update_step_state(store, "f", "s", "x", "{\"v\":0.1,\"w\":1180591620717411303424}"));
    if (i % 10 == 9) {
      ws_store_close(store);
      store = open_file("test_state_numbers_exact", path, sizeof path, 0);
    }
  }
  snprintf(expected, sizeof expected, "%.*s,\"i\":24,\"_step_x\":{\"v\":0.1,\"w\":1180591620717411303424}}",
           (int)(strlen(numbers) - 1), numbers);
  CHECK_STATE(store, "f", "s", expected);
  CHECK_STEP_STATE(store, "f", "s", "x", "{\"v\":0.1,\"w\":1180591620717411303424}");

  /* Numbers inside step state, as a whole step value, and nested. */
  CHECK_OK(ws_update_step_state(store, "f", "s", "y", "{\"n\":[2.50,-0.0,1180591620717411303424]}"));
  CHECK_STEP_STATE(store, "f", "s", "y", "{\"n\":[2.50,-0.0,1180591620717411303424]}");
  CHECK_OK(ws_update_state(store, "f", "s", "{\"_step_num\":1.10}"));
  CHECK_STEP_STATE(store, "f", "s", "num", "1.10");
  ws_store_close(store);
}

static void test_text_unicode(void) {
  ws_store *store = open_memory();

  /* Non-ASCII keys and values are kept and output as UTF-8 (not \u escapes). */
  CHECK_OK(ws_update_state(store, "f", "s", "{\"é\":\"日本\",\"k\":\"😀\",\"ß\":[\"Ω\"]}"));
  CHECK_STATE(store, "f", "s", "{\"é\":\"日本\",\"k\":\"😀\",\"ß\":[\"Ω\"]}");

  /* \u escapes in the input come out as UTF-8 (a surrogate pair as one character). */
  CHECK_OK(ws_update_state(store, "f", "u", "{\"\\u00e9\":\"\\u65e5\\u672c\",\"e\":\"\\ud83d\\ude00\",\"sl\":\"a\\/b\"}"));
  CHECK_STATE(store, "f", "u", "{\"é\":\"日本\",\"e\":\"😀\",\"sl\":\"a/b\"}");

  /* Escapes that must stay escaped in JSON are kept as such; NUL inside a JSON string does
   * not cut the output. */
  CHECK_OK(ws_update_state(store, "f", "e", "{\"q\":\"say \\\"hi\\\"\",\"bs\":\"a\\\\b\",\"nl\":\"l1\\nl2\\tt\",\"nul\":\"a\\u0000b\"}"));
  CHECK_STATE(store, "f", "e", "{\"q\":\"say \\\"hi\\\"\",\"bs\":\"a\\\\b\",\"nl\":\"l1\\nl2\\tt\",\"nul\":\"a\\u0000b\"}");

  /* Non-ASCII ids. */
  CHECK_OK(ws_update_state(store, "flöw-日本", "séance 😀", "{\"x\":1}"));
  CHECK_STATE(store, "flöw-日本", "séance 😀", "{\"x\":1}");
  CHECK_OK(ws_update_step_state(store, "flöw-日本", "séance 😀", "étape", "{\"y\":\"ü\"}"));
  CHECK_STATE(store, "flöw-日本", "séance 😀", "{\"x\":1,\"_step_étape\":{\"y\":\"ü\"}}");
  ws_store_close(store);
}

static void test_step_state(void) {
  ws_store *store = open_memory();

  /* No session, or no such step: "{}", and nothing is created. */
  CHECK_STEP_STATE(store, "f", "s", "x", "{}");
  CHECK(!exists(store, "f", "s"));
  CHECK_OK(ws_update_state(store, "f", "s", "{\"a\":1}"));
  CHECK_STEP_STATE(store, "f", "s", "x", "{}");
  CHECK_STATE(store, "f", "s", "{\"a\":1}");

  /* Stored under "_step_" + step_id inside the session state, appended like a new key. */
  CHECK_OK(ws_update_step_state(store, "f", "s", "x", "{\"p\":1,\"q\":2}"));
  CHECK_STATE(store, "f", "s", "{\"a\":1,\"_step_x\":{\"p\":1,\"q\":2}}");
  CHECK_STEP_STATE(store, "f", "s", "x", "{\"p\":1,\"q\":2}");

  /* Shallow merge into the step's object; the step key keeps its position. */
  CHECK_OK(ws_update_state(store, "f", "s", "{\"b\":2}"));
  CHECK_OK(ws_update_step_state(store, "f", "s", "x", "{\"r\":{\"n\":1},\"p\":9}"));
  CHECK_STATE(store, "f", "s", "{\"a\":1,\"_step_x\":{\"p\":9,\"q\":2,\"r\":{\"n\":1}},\"b\":2}");
  CHECK_OK(ws_update_step_state(store, "f", "s", "x", "{\"r\":{\"m\":2}}"));
  CHECK_STEP_STATE(store, "f", "s", "x", "{\"p\":9,\"q\":2,\"r\":{\"m\":2}}");
  CHECK_OK(ws_update_step_state(store, "f", "s", "x", "{}"));
  CHECK_STEP_STATE(store, "f", "s", "x", "{\"p\":9,\"q\":2,\"r\":{\"m\":2}}");

  /* Steps are separate keys: "x", "xy", "x:y", non-ASCII. */
  CHECK_OK(ws_update_step_state(store, "f", "s", "xy", "{\"k\":\"xy\"}"));
  CHECK_OK(ws_update_step_state(store, "f", "s", "x:y", "{\"k\":\"x:y\"}"));
  CHECK_OK(ws_update_step_state(store, "f", "s", "étape", "{\"k\":\"é\"}"));
  CHECK_STEP_STATE(store, "f", "s", "xy", "{\"k\":\"xy\"}");
  CHECK_STEP_STATE(store, "f", "s", "x:y", "{\"k\":\"x:y\"}");
  CHECK_STEP_STATE(store, "f", "s", "étape", "{\"k\":\"é\"}");
  CHECK_STEP_STATE(store, "f", "s", "x", "{\"p\":9,\"q\":2,\"r\":{\"m\":2}}");
  CHECK_STEP_STATE(store, "f", "s", "y", "{}");
  CHECK_STATE(store, "f", "s",
              "{\"a\":1,\"_step_x\":{\"p\":9,\"q\":2,\"r\":{\"m\":2}},\"b\":2,\"_step_xy\":{\"k\":\"xy\"},"
              "\"_step_x:y\":{\"k\":\"x:y\"},\"_step_étape\":{\"k\":\"é\"}}");

  /* A step key written through ws_update_state is the step's state. */
  CHECK_OK(ws_update_state(store, "f", "s", "{\"_step_w\":{\"from\":\"state\"}}"));
  CHECK_STEP_STATE(store, "f", "s", "w", "{\"from\":\"state\"}");
  CHECK_OK(ws_update_step_state(store, "f", "s", "w", "{\"more\":1}"));
  CHECK_STEP_STATE(store, "f", "s", "w", "{\"from\":\"state\",\"more\":1}");

  /* The stored value whatever its type. */
  CHECK_OK(ws_update_state(store, "f", "t",
                           "{\"_step_arr\":[1,2],\"_step_str\":\"s\",\"_step_num\":5,\"_step_nul\":null,"
                           "\"_step_t\":true,\"_step_f\":false,\"_step_e\":{}}"));
  CHECK_STEP_STATE(store, "f", "t", "arr", "[1,2]");
  CHECK_STEP_STATE(store, "f", "t", "str", "\"s\"");
  CHECK_STEP_STATE(store, "f", "t", "num", "5");
  CHECK_STEP_STATE(store, "f", "t", "nul", "null");
  CHECK_STEP_STATE(store, "f", "t", "t", "true");
  CHECK_STEP_STATE(store, "f", "t", "f", "false");
  CHECK_STEP_STATE(store, "f", "t", "e", "{}");

  /* Upserts a missing session, even with an empty update. */
  CHECK_OK(ws_update_step_state(store, "f", "new", "x", "{}"));
  CHECK(exists(store, "f", "new"));
  CHECK_STATE(store, "f", "new", "{\"_step_x\":{}}");
  CHECK_OK(ws_update_step_state(store, "g", "new2", "x", "{\"a\":[1,{\"b\":null}]}"));
  CHECK_STATE(store, "g", "new2", "{\"_step_x\":{\"a\":[1,{\"b\":null}]}}");
  CHECK_CURRENT_STEP(store, "g", "new2", NULL);

  /* Other sessions untouched. */
  CHECK_STATE(store, "f", "t",
              "{\"_step_arr\":[1,2],\"_step_str\":\"s\",\"_step_num\":5,\"_step_nul\":null,"
              "\"_step_t\":true,\"_step_f\":false,\"_step_e\":{}}");
  ws_store_close(store);
}

static void test_step_state_conflict(void) {
  ws_store *store = open_memory();
  const char *stored[] = {"[1,2]", "\"text\"", "3", "null", "true", "false", "[]"};
  char update[256];
  char *before;
  char *summary_before;
  char *summary_after;
  size_t i;

  for (i = 0; i < sizeof stored / sizeof stored[0]; i++) {
    snprintf(g_context, sizeof g_context, "ws_update_step_state over a stored %s", stored[i]);
    CHECK_OK(ws_clear_state(store, "f", "s"));
    CHECK_OK(ws_set_current_step(store, "f", "s", "x"));
    snprintf(update, sizeof update, "{\"a\":1,\"_step_x\":%s,\"z\":2}", stored[i]);
    CHECK_OK(ws_update_state(store, "f", "s", update));
    before = snapshot(store, "f", "s");
    summary_before = summary_copy(store, "f", "s");
    next_second(); /* a write would now change updated_at */

    CHECK_STATUS(ws_update_step_state(store, "f", "s", "x", "{\"b\":1}"), WS_CONFLICT);
    CHECK_MESSAGE_HAS("\"x\""); /* names the step */
    CHECK_MESSAGE_HAS("not an object");
    CHECK_UNCHANGED(store, "f", "s", before);
    CHECK_STATE(store, "f", "s", update);
    summary_after = summary_copy(store, "f", "s");
    CHECK_STR(summary_after, summary_before);
    free(summary_after);

    /* An empty update is still a merge into a non-object: the same conflict. */
    CHECK_STATUS(ws_update_step_state(store, "f", "s", "x", "{}"), WS_CONFLICT);
    CHECK_UNCHANGED(store, "f", "s", before);

    /* Reading it works, other steps are still writable, and clearing it removes it. */
    CHECK_STEP_STATE(store, "f", "s", "x", stored[i]);
    CHECK_OK(ws_update_step_state(store, "f", "s", "y", "{\"ok\":1}"));
    CHECK_OK(ws_clear_step_state(store, "f", "s", "x"));
    CHECK_STATE(store, "f", "s", "{\"a\":1,\"z\":2,\"_step_y\":{\"ok\":1}}");
    CHECK_OK(ws_update_step_state(store, "f", "s", "x", "{\"b\":1}"));
    CHECK_STEP_STATE(store, "f", "s", "x", "{\"b\":1}");
    free(before);
    free(summary_before);
  }
  g_context[0] = '\0';
  ws_store_close(store);
}

static void test_clear_step_state(void) {
  ws_store *store = open_memory();
  char *before;
  char *summary_before;
  char *summary_after;

  CHECK_OK(ws_update_state(store, "f", "s", "{\"a\":1,\"_step_x\":{\"p\":1},\"b\":2,\"_step_y\":[1],\"x\":3,\"_step_xy\":{}}"));
  CHECK_OK(ws_set_current_step(store, "f", "s", "x"));

  /* Removes only that key; the others keep their order. Also a non-object value. */
  CHECK_OK(ws_clear_step_state(store, "f", "s", "x"));
  CHECK_STATE(store, "f", "s", "{\"a\":1,\"b\":2,\"_step_y\":[1],\"x\":3,\"_step_xy\":{}}");
  CHECK_STEP_STATE(store, "f", "s", "x", "{}");
  CHECK_OK(ws_clear_step_state(store, "f", "s", "y"));
  CHECK_STATE(store, "f", "s", "{\"a\":1,\"b\":2,\"x\":3,\"_step_xy\":{}}");
  CHECK_CURRENT_STEP(store, "f", "s", "x"); /* the current step is not the step state */

  /* Absent step: a no-op that writes nothing (updated_at unchanged). */
  before = snapshot(store, "f", "s");
  summary_before = summary_copy(store, "f", "s");
  next_second();
  CHECK_OK(ws_clear_step_state(store, "f", "s", "x"));
  CHECK_OK(ws_clear_step_state(store, "f", "s", "nope"));
  CHECK_OK(ws_clear_step_state(store, "f", "s", "a")); /* key "a" is not "_step_a" */
  CHECK_UNCHANGED(store, "f", "s", before);
  summary_after = summary_copy(store, "f", "s");
  CHECK_STR(summary_after, summary_before);
  free(summary_after);
  free(summary_before);
  free(before);

  /* Missing session: a no-op that creates nothing. */
  CHECK_OK(ws_clear_step_state(store, "f", "missing", "x"));
  CHECK(!exists(store, "f", "missing"));
  CHECK_OK(ws_clear_step_state(store, "nowhere", "s", "x"));
  CHECK(!exists(store, "nowhere", "s"));

  /* Clearing the last key leaves an empty object, and the session remains. */
  CHECK_OK(ws_update_step_state(store, "f", "only", "z", "{\"k\":1}"));
  CHECK_OK(ws_clear_step_state(store, "f", "only", "z"));
  CHECK_STATE(store, "f", "only", "{}");
  CHECK(exists(store, "f", "only"));

  /* Only that session's key. */
  CHECK_OK(ws_update_step_state(store, "f", "t", "xy", "{\"k\":1}"));
  CHECK_OK(ws_clear_step_state(store, "f", "s", "xy"));
  CHECK_STATE(store, "f", "s", "{\"a\":1,\"b\":2,\"x\":3}");
  CHECK_STEP_STATE(store, "f", "t", "xy", "{\"k\":1}");
  ws_store_close(store);
}

static void test_clear_state(void) {
  char path[4200];
  ws_store *store = open_file("test_state_clear_state", path, sizeof path, 1);
  const char *sessions[] = {"s", "s2", "s:t", "t"};
  size_t i;

  for (i = 0; i < 4; i++) {
    CHECK_OK(ws_update_state(store, "f", sessions[i], "{\"v\":1}"));
    CHECK_OK(ws_set_current_step(store, "f", sessions[i], "one"));
  }
  CHECK_OK(ws_update_state(store, "g", "s", "{\"g\":1}"));
  CHECK_OK(ws_update_state(store, "s", "t", "{\"flow_s\":1}"));
  CHECK_OK(ws_update_step_state(store, "f", "s", "x", "{\"p\":1}"));

  CHECK_OK(ws_clear_state(store, "f", "s"));
  CHECK(!exists(store, "f", "s"));
  CHECK_STATE(store, "f", "s", "{}");
  CHECK_CURRENT_STEP(store, "f", "s", NULL);
  CHECK_STEP_STATE(store, "f", "s", "x", "{}");
  /* Idempotent. */
  CHECK_OK(ws_clear_state(store, "f", "s"));
  CHECK_OK(ws_clear_state(store, "never", "existed"));
  /* Nothing else touched. */
  for (i = 1; i < 4; i++) {
    CHECK(exists(store, "f", sessions[i]));
    CHECK_STATE(store, "f", sessions[i], "{\"v\":1}");
    CHECK_CURRENT_STEP(store, "f", sessions[i], "one");
  }
  CHECK_STATE(store, "g", "s", "{\"g\":1}");
  CHECK_STATE(store, "s", "t", "{\"flow_s\":1}");

  /* Durable; a new session under the same id starts empty. */
  ws_store_close(store);
  store = open_file("test_state_clear_state", path, sizeof path, 0);
  CHECK(!exists(store, "f", "s"));
  CHECK_OK(ws_update_state(store, "f", "s", "{\"fresh\":true}"));
  CHECK_STATE(store, "f", "s", "{\"fresh\":true}");
  CHECK_CURRENT_STEP(store, "f", "s", NULL);
  ws_store_close(store);
}

/* ------------------------------------------------------------------------------------ */
/* Every documented failure of every function, table-driven. */

enum fn_id {
  F_GET_CURRENT_STEP,
  F_SET_CURRENT_STEP,
  F_GET_STATE,
  F_UPDATE_STATE,
  F_CLEAR_STATE,
  F_GET_STEP_STATE,
  F_UPDATE_STEP_STATE,
  F_CLEAR_STEP_STATE,
  F_COUNT
};

enum arg_kind { A_FLOW, A_SESSION, A_STEP, A_JSON };

struct fn_info {
  const char *name;
  int nargs;
  enum arg_kind args[4];
  const char *out_name; /* NULL when the function has no out-parameter */
};

static const struct fn_info FNS[F_COUNT] = {
    {"ws_get_current_step", 2, {A_FLOW, A_SESSION, A_FLOW, A_FLOW}, "out_step_id"},
    {"ws_set_current_step", 3, {A_FLOW, A_SESSION, A_STEP, A_FLOW}, NULL},
    {"ws_get_state", 2, {A_FLOW, A_SESSION, A_FLOW, A_FLOW}, "out_state_json"},
    {"ws_update_state", 3, {A_FLOW, A_SESSION, A_JSON, A_FLOW}, NULL},
    {"ws_clear_state", 2, {A_FLOW, A_SESSION, A_FLOW, A_FLOW}, NULL},
    {"ws_get_step_state", 3, {A_FLOW, A_SESSION, A_STEP, A_FLOW}, "out_step_state_json"},
    {"ws_update_step_state", 4, {A_FLOW, A_SESSION, A_STEP, A_JSON}, NULL},
    {"ws_clear_step_state", 3, {A_FLOW, A_SESSION, A_STEP, A_FLOW}, NULL},
};

static const char *const ARG_NAMES[] = {"flow_id", "session_id", "step_id", "updates_json"};

static ws_status call_fn(enum fn_id f, ws_store *store, const char *const *a, char **out) {
  switch (f) {
    case F_GET_CURRENT_STEP: return ws_get_current_step(store, a[0], a[1], out);
    case F_SET_CURRENT_STEP: return ws_set_current_step(store, a[0], a[1], a[2]);
    case F_GET_STATE: return ws_get_state(store, a[0], a[1], out);
    case F_UPDATE_STATE: return ws_update_state(store, a[0], a[1], a[2]);
    case F_CLEAR_STATE: return ws_clear_state(store, a[0], a[1]);
    case F_GET_STEP_STATE: return ws_get_step_state(store, a[0], a[1], a[2], out);
    case F_UPDATE_STEP_STATE: return ws_update_step_state(store, a[0], a[1], a[2], a[3]);
    case F_CLEAR_STEP_STATE: return ws_clear_step_state(store, a[0], a[1], a[2]);
    case F_COUNT: break;
  }
  CHECK(0);
  return WS_INTERNAL;
}

struct bad_value {
  const char *value;
  ws_status status;
  const char *needle; /* NULL: the argument's name */
  const char *needle2; /* another text the message must contain, or NULL */
};

/* Invalid UTF-8 of several kinds: a stray byte, a truncated sequence, an overlong NUL, a
 * UTF-16 surrogate, a code point above U+10FFFF, a bad continuation. */
#define BAD_UTF8_VALUES(st)                                                              \
  {"\xff", st, NULL, NULL}, {"ok\xc3", st, NULL, NULL}, {"\xc0\x80", st, NULL, NULL},    \
      {"\xed\xa0\x80", st, NULL, NULL}, {"\xf4\x90\x80\x80", st, NULL, NULL},            \
      {"a\xe6\x97x", st, NULL, NULL}

static const struct bad_value BAD_FLOW[] = {
    {NULL, WS_INVALID_ARGUMENT, NULL, NULL},
    {"", WS_INVALID_ARGUMENT, NULL, NULL},
    BAD_UTF8_VALUES(WS_INVALID_ARGUMENT),
    {"a:b", WS_INVALID_ARGUMENT, "flow_id \"a:b\" must not contain ':'", NULL},
    {":", WS_INVALID_ARGUMENT, "flow_id \":\" must not contain ':'", NULL},
    {"f:", WS_INVALID_ARGUMENT, "flow_id \"f:\" must not contain ':'", NULL},
    {":s", WS_INVALID_ARGUMENT, "flow_id \":s\" must not contain ':'", NULL},
    {"日本:x", WS_INVALID_ARGUMENT, "flow_id \"日本:x\" must not contain ':'", NULL},
};
static const struct bad_value BAD_ID[] = {
    {NULL, WS_INVALID_ARGUMENT, NULL, NULL},
    {"", WS_INVALID_ARGUMENT, NULL, NULL},
    BAD_UTF8_VALUES(WS_INVALID_ARGUMENT),
};
static const struct bad_value BAD_JSON[] = {
    {NULL, WS_INVALID_ARGUMENT, NULL, NULL},
    BAD_UTF8_VALUES(WS_INVALID_ARGUMENT),
    {"{\"k\":\"\xff\"}", WS_INVALID_ARGUMENT, NULL, NULL},
    {"{\"\xc3\":1}", WS_INVALID_ARGUMENT, NULL, NULL},
    /* unparsable */
    {"", WS_INVALID_JSON, NULL, NULL},
    {"   ", WS_INVALID_JSON, NULL, NULL},
    {"{", WS_INVALID_JSON, NULL, NULL},
    {"}", WS_INVALID_JSON, NULL, NULL},
    {"{\"a\":1", WS_INVALID_JSON, NULL, NULL},
    {"{\"a\":1}x", WS_INVALID_JSON, NULL, NULL},
    {"{\"a\":1} {}", WS_INVALID_JSON, NULL, NULL},
    {"{'a':1}", WS_INVALID_JSON, NULL, NULL},
    {"{a:1}", WS_INVALID_JSON, NULL, NULL},
    {"{\"a\":1,}", WS_INVALID_JSON, NULL, NULL},
    {"{\"a\" 1}", WS_INVALID_JSON, NULL, NULL},
    {"{\"a\":NaN}", WS_INVALID_JSON, NULL, NULL},
    {"{\"a\":Infinity}", WS_INVALID_JSON, NULL, NULL},
    {"{\"a\":-Infinity}", WS_INVALID_JSON, NULL, NULL},
    {"{\"a\":01}", WS_INVALID_JSON, NULL, NULL},
    {"{\"a\":.5}", WS_INVALID_JSON, NULL, NULL},
    {"{\"a\":1.}", WS_INVALID_JSON, NULL, NULL},
    {"{\"a\":+1}", WS_INVALID_JSON, NULL, NULL},
    {"{\"a\":0x10}", WS_INVALID_JSON, NULL, NULL},
    {"{\"a\":tru}", WS_INVALID_JSON, NULL, NULL},
    {"{\"a\":None}", WS_INVALID_JSON, NULL, NULL},
    {"{\"a\":\"x\ty\"}", WS_INVALID_JSON, NULL, NULL},   /* raw control character */
    {"{\"a\":\"x\ny\"}", WS_INVALID_JSON, NULL, NULL},
    {"{\"a\":\"\\x41\"}", WS_INVALID_JSON, NULL, NULL},  /* bad escape */
    {"{\"a\":\"\\u12\"}", WS_INVALID_JSON, NULL, NULL},
    {"{\"a\":\"unterminated}", WS_INVALID_JSON, NULL, NULL},
    {"{\"a\":\"\\ud800\"}", WS_INVALID_JSON, NULL, NULL}, /* lone surrogate: not UTF-8-able */
    {"// comment\n{}", WS_INVALID_JSON, NULL, NULL},
    {"{\"a\":[1,2}", WS_INVALID_JSON, NULL, NULL},
    {"\xef\xbb\xbf{}", WS_INVALID_JSON, NULL, NULL}, /* a BOM is not JSON whitespace */
    /* well-formed, but not an object */
    {"[]", WS_INVALID_JSON, NULL, "object"},
    {"[1,2]", WS_INVALID_JSON, NULL, "object"},
    {"[{\"a\":1}]", WS_INVALID_JSON, NULL, "object"},
    {"\"s\"", WS_INVALID_JSON, NULL, "object"},
    {"\"{}\"", WS_INVALID_JSON, NULL, "object"},
    {"1", WS_INVALID_JSON, NULL, "object"},
    {"-0.5", WS_INVALID_JSON, NULL, "object"},
    {"1180591620717411303424", WS_INVALID_JSON, NULL, "object"},
    {"null", WS_INVALID_JSON, NULL, "object"},
    {"true", WS_INVALID_JSON, NULL, "object"},
    {"false", WS_INVALID_JSON, NULL, "object"},
    {" \n[ ] \t", WS_INVALID_JSON, NULL, "object"},
};

static void check_bad_values(ws_store *store, enum fn_id f, const char *session, int which,
                             const struct bad_value *bad, size_t nbad) {
  const struct fn_info *info = &FNS[f];
  const char *good[4];
  const char *args[4];
  const char *name = ARG_NAMES[info->args[which]];
  char *before = snapshot(store, "f", session);
  char shown[256];
  size_t i;
  int k;

  good[0] = "f";
  good[1] = session;
  for (k = 2; k < 4; k++) good[k] = info->args[k] == A_JSON ? "{\"k\":1}" : "x";

  for (i = 0; i < nbad; i++) {
    char *out = DUMMY;
    for (k = 0; k < 4; k++) args[k] = good[k];
    args[which] = bad[i].value;
    snprintf(g_context, sizeof g_context, "%s on session \"%s\" with %s = %s", info->name, session,
             name, printable(bad[i].value, shown, sizeof shown));
    CHECK_STATUS(call_fn(f, store, args, info->out_name ? &out : NULL), bad[i].status);
    CHECK_MESSAGE_HAS(bad[i].needle ? bad[i].needle : name);
    if (bad[i].needle2 != NULL) CHECK_MESSAGE_HAS(bad[i].needle2);
    if (info->out_name != NULL) CHECK(out == NULL);
    CHECK_UNCHANGED(store, "f", session, before);
  }
  free(before);
}

static void test_argument_errors(void) {
  ws_store *store = open_memory();
  const char *sessions[] = {"s", "new"}; /* an existing session, and a missing one */
  size_t si;
  int f, which;

  CHECK_OK(ws_update_state(store, "f", "s", "{\"a\":1,\"_step_x\":{\"n\":1},\"b\":[1.50]}"));
  CHECK_OK(ws_set_current_step(store, "f", "s", "x"));
  {
    char *id = NULL;
    CHECK_OK(ws_create_session(store, "f", "labelled", "L", &id));
    CHECK_STR(id, "labelled");
    ws_string_free(id);
  }
  next_second(); /* from here on, any write would change an updated_at */

  for (si = 0; si < 2; si++) {
    for (f = 0; f < F_COUNT; f++) {
      const struct fn_info *info = &FNS[f];
      const char *args[4];
      char *before = snapshot(store, "f", sessions[si]);
      char *out = DUMMY;
      args[0] = "f";
      args[1] = sessions[si];
      args[2] = info->args[2] == A_JSON ? "{\"k\":1}" : "x";
      args[3] = "{\"k\":1}";

      /* NULL store. */
      snprintf(g_context, sizeof g_context, "%s with store = NULL", info->name);
      CHECK_STATUS(call_fn((enum fn_id)f, NULL, args, info->out_name ? &out : NULL), WS_INVALID_ARGUMENT);
      CHECK_MESSAGE_HAS("store");
      if (info->out_name != NULL) CHECK(out == NULL);
      CHECK_UNCHANGED(store, "f", sessions[si], before);

      /* NULL out-parameter. */
      if (info->out_name != NULL) {
        snprintf(g_context, sizeof g_context, "%s with %s = NULL", info->name, info->out_name);
        CHECK_STATUS(call_fn((enum fn_id)f, store, args, NULL), WS_INVALID_ARGUMENT);
        CHECK_MESSAGE_HAS(info->out_name);
        CHECK_UNCHANGED(store, "f", sessions[si], before);
      }
      free(before);

      /* Each string argument: NULL, empty / invalid, bad UTF-8. */
      for (which = 0; which < info->nargs; which++) {
        switch (info->args[which]) {
          case A_FLOW: check_bad_values(store, (enum fn_id)f, sessions[si], which, BAD_FLOW, COUNT(BAD_FLOW)); break;
          case A_SESSION:
          case A_STEP: check_bad_values(store, (enum fn_id)f, sessions[si], which, BAD_ID, COUNT(BAD_ID)); break;
          case A_JSON: check_bad_values(store, (enum fn_id)f, sessions[si], which, BAD_JSON, COUNT(BAD_JSON)); break;
        }
      }
    }
  }
  g_context[0] = '\0';

  /* Nothing was created or changed by any of it. */
  CHECK(!exists(store, "f", "new"));
  CHECK_STATE(store, "f", "s", "{\"a\":1,\"_step_x\":{\"n\":1},\"b\":[1.50]}");
  CHECK_CURRENT_STEP(store, "f", "s", "x");
  ws_store_close(store);
}

/* JSON nested far deeper than any state needs is refused cleanly, never a crash (stack
 * overflow); moderately deep JSON is kept. */
static void test_deep_json(void) {
  ws_store *store = open_memory();
  const size_t depth = 100000;
  size_t n = 0, i;
  char *json = (char *)malloc(2 * depth + 16);
  char *before;
  CHECK(json != NULL);

  CHECK_OK(ws_update_state(store, "f", "s", "{\"keep\":1}"));
  before = snapshot(store, "f", "s");

  /* {"a":[[[...]]]} */
  n += (size_t)sprintf(json + n, "{\"a\":");
  for (i = 0; i < depth; i++) json[n++] = '[';
  for (i = 0; i < depth; i++) json[n++] = ']';
  json[n++] = '}';
  json[n] = '\0';
  CHECK_STATUS(ws_update_state(store, "f", "s", json), WS_INVALID_JSON);
  CHECK_MESSAGE_HAS("updates_json");
  CHECK_UNCHANGED(store, "f", "s", before);
  CHECK_STATUS(ws_update_step_state(store, "f", "s", "x", json), WS_INVALID_JSON);
  CHECK_MESSAGE_HAS("updates_json");
  CHECK_UNCHANGED(store, "f", "s", before);

  /* Top level array, as deep. */
  for (i = 0; i < depth; i++) json[i] = '[';
  for (i = 0; i < depth; i++) json[depth + i] = ']';
  json[2 * depth] = '\0';
  CHECK_STATUS(ws_update_state(store, "f", "s", json), WS_INVALID_JSON);
  CHECK_MESSAGE_HAS("updates_json");
  CHECK_UNCHANGED(store, "f", "s", before);

  /* 100 levels: kept exactly. */
  n = 0;
  n += (size_t)sprintf(json + n, "{\"d\":");
  for (i = 0; i < 100; i++) json[n++] = '[';
  json[n++] = '7';
  for (i = 0; i < 100; i++) json[n++] = ']';
  json[n++] = '}';
  json[n] = '\0';
  CHECK_OK(ws_update_state(store, "f", "deep", json));
  CHECK_STATE(store, "f", "deep", json);
  free(before);
  free(json);
  ws_store_close(store);
}

/* Big values and many keys survive (and keep their order). */
static void test_large_state(void) {
  ws_store *store = open_memory();
  size_t big = 1 << 20;
  size_t i, n;
  char *json = (char *)malloc(big + 64);
  char *state = NULL;
  char key[16];
  char *expected;
  CHECK(json != NULL);

  n = (size_t)sprintf(json, "{\"blob\":\"");
  for (i = 0; i < big; i++) json[n++] = (char)('a' + i % 26);
  n += (size_t)sprintf(json + n, "\"}");
  CHECK_OK(ws_update_state(store, "f", "s", json));
  CHECK_OK(ws_get_state(store, "f", "s", &state));
  CHECK(strlen(state) == n);
  CHECK(strcmp(state, json) == 0);
  ws_string_free(state);

  /* 500 keys in reverse alphabetical order, merged one by one: insertion order kept. */
  expected = (char *)malloc(500 * 24 + 16);
  CHECK(expected != NULL);
  n = (size_t)sprintf(expected, "{");
  for (i = 0; i < 500; i++) {
    char update[64];
    snprintf(key, sizeof key, "k%03u", (unsigned)(499 - i));
    snprintf(update, sizeof update, "{\"%s\":%u}", key, (unsigned)i);
    CHECK_OK(ws_update_state(store, "f", "many", update));
    n += (size_t)sprintf(expected + n, "%s\"%s\":%u", i ? "," : "", key, (unsigned)i);
  }
  sprintf(expected + n, "}");
  CHECK_STATE(store, "f", "many", expected);
  free(expected);
  free(json);
  ws_store_close(store);
}

/* Concurrent read-modify-writes never lose an update: threads sharing a handle, and two
 * handles on one file. */
struct worker {
  ws_store *store;
  int id;
};

#define UPDATES_PER_THREAD 20

static void *worker_main(void *arg) {
  struct worker *w = (struct worker *)arg;
  char update[64];
  int j;
  for (j = 0; j < UPDATES_PER_THREAD; j++) {
    snprintf(update, sizeof update, "{\"a%d_%d\":%d}", w->id, j, j);
    CHECK_OK(ws_update_state(w->store, "f", "c", update));
    snprintf(update, sizeof update, "{\"b%d_%d\":%d}", w->id, j, j);
    CHECK_OK(ws_update_step_state(w->store, "f", "c", "x", update));
  }
  return NULL;
}

static void test_concurrent_updates(void) {
  char path[4200];
  ws_store *a = open_file("test_state_concurrent_updates", path, sizeof path, 1);
  ws_store *b = open_file("test_state_concurrent_updates", path, sizeof path, 0);
  pthread_t threads[4];
  struct worker workers[4];
  char *state;
  char *step = NULL;
  char needle[64];
  int i, j;

  for (i = 0; i < 4; i++) {
    workers[i].store = i < 3 ? a : b;
    workers[i].id = i;
    CHECK(pthread_create(&threads[i], NULL, worker_main, &workers[i]) == 0);
  }
  for (i = 0; i < 4; i++) CHECK(pthread_join(threads[i], NULL) == 0);

  state = state_copy(a, "f", "c");
  CHECK_OK(ws_get_step_state(b, "f", "c", "x", &step));
  for (i = 0; i < 4; i++) {
    for (j = 0; j < UPDATES_PER_THREAD; j++) {
      snprintf(needle, sizeof needle, "\"a%d_%d\":%d", i, j, j);
      CHECK(strstr(state, needle) != NULL);
      snprintf(needle, sizeof needle, "\"b%d_%d\":%d", i, j, j);
      CHECK(strstr(step, needle) != NULL);
    }
  }
  free(state);
  ws_string_free(step);
  ws_store_close(a);
  ws_store_close(b);
}

/* Numbers pass through as their text, exponents included ("1E-7" stays "1E-7"), as do
 * Python's own spellings ("1e-07", "1e+100"). */
static void test_number_exponent_text(void) {
  ws_store *store = open_memory();
  CHECK_OK(ws_update_state(store, "f", "py", "{\"a\":1e-07,\"b\":1e+100,\"c\":-1.0e-0}"));
  CHECK_STATE(store, "f", "py", "{\"a\":1e-07,\"b\":1e+100,\"c\":-1.0e-0}");
  CHECK_OK(ws_update_state(store, "f", "s", "{\"a\":1e5,\"b\":1E-7,\"c\":2E+3,\"d\":0e0}"));
  CHECK_STATE(store, "f", "s", "{\"a\":1e5,\"b\":1E-7,\"c\":2E+3,\"d\":0e0}");
  ws_store_close(store);
}

int main(void) {
  atexit(print_context);
  test_status_names_and_version();
  printf("ok test_status_names_and_version\n");
  test_last_error_message();
  printf("ok test_last_error_message\n");
  test_current_step();
  printf("ok test_current_step\n");
  test_state_merge();
  printf("ok test_state_merge\n");
  test_numbers_exact();
  printf("ok test_numbers_exact\n");
  test_text_unicode();
  printf("ok test_text_unicode\n");
  test_step_state();
  printf("ok test_step_state\n");
  test_step_state_conflict();
  printf("ok test_step_state_conflict\n");
  test_clear_step_state();
  printf("ok test_clear_step_state\n");
  test_clear_state();
  printf("ok test_clear_state\n");
  test_argument_errors();
  printf("ok test_argument_errors\n");
  test_deep_json();
  printf("ok test_deep_json\n");
  test_large_state();
  printf("ok test_large_state\n");
  test_concurrent_updates();
  printf("ok test_concurrent_updates\n");
  test_number_exponent_text();
  printf("ok test_number_exponent_text\n");
  g_done = 1;
  return 0;
}
