/* Sessions (API.md "Sessions"): ws_create_session, ws_session_exists,
 * ws_get_session_summary, ws_list_sessions, ws_set_session_label, ws_delete_session.
 *
 * Lists are checked exactly: a list must be "[" + the summaries of exactly the expected
 * sessions, in the expected order, joined by "," + "]", each summary being the text
 * ws_get_session_summary gives, whose every key, value and key order is itself checked
 * by CHECK_SUMMARY. Every failure is checked for: the status, the out-parameter reset
 * (NULL / false), a message naming the problem, and the stored data left as it was. */
#include "check.h"
#include "table_check.h"

#include <limits.h>
#include <time.h>

#define CREATE_OK(store, flow, session, label)                                 \
  do {                                                                         \
    char *id_ = DUMMY;                                                         \
    CHECK_OK(ws_create_session((store), (flow), (session), (label), &id_));    \
    CHECK_STR(id_, (session));                                                 \
    ws_string_free(id_);                                                       \
  } while (0)

/* `text` as JSON string contents, escaped as compact JSON writers do (", \, control
 * characters; UTF-8 kept as is). */
static const char *json_escape(const char *text, char *buffer, size_t size) {
  size_t n = 0;
  for (; *text != '\0'; text++) {
    unsigned char c = (unsigned char)*text;
    CHECK(n + 8 < size);
    switch (c) {
      case '"': buffer[n++] = '\\'; buffer[n++] = '"'; break;
      case '\\': buffer[n++] = '\\'; buffer[n++] = '\\'; break;
      case '\n': buffer[n++] = '\\'; buffer[n++] = 'n'; break;
      case '\t': buffer[n++] = '\\'; buffer[n++] = 't'; break;
      case '\r': buffer[n++] = '\\'; buffer[n++] = 'r'; break;
      default:
        if (c < 0x20) n += (size_t)snprintf(buffer + n, size - n, "\\u%04x", c);
        else buffer[n++] = (char)c;
    }
  }
  buffer[n] = '\0';
  return buffer;
}

/* `"text"` as a JSON string, or `null` for NULL. */
static const char *json_string_or_null(const char *text, char *buffer, size_t size) {
  char escaped[1024];
  if (text == NULL) snprintf(buffer, size, "null");
  else snprintf(buffer, size, "\"%s\"", json_escape(text, escaped, sizeof escaped));
  return buffer;
}

/* "YYYY-MM-DD HH:MM:SS", optionally followed by ".SSS". */
static int is_timestamp(const char *t) {
  const char *shape = "dddd-dd-dd dd:dd:dd";
  size_t i, len = strlen(t);
  if (len != 19 && len != 23) return 0;
  for (i = 0; i < 19; i++) {
    if (shape[i] == 'd' ? (t[i] < '0' || t[i] > '9') : t[i] != shape[i]) return 0;
  }
  if (len == 23) {
    if (t[19] != '.') return 0;
    for (i = 20; i < 23; i++)
      if (t[i] < '0' || t[i] > '9') return 0;
  }
  return 1;
}

/* The session's summary must be exactly
 * {"flow_id":..,"session_id":..,"label":..,"current_step":..,"created_at":"<ts>",
 *  "updated_at":"<ts>","state_size_bytes":size}
 * (keys in that order, compact) with timestamps of the documented shape. `created` and
 * `updated` (may be NULL) receive the timestamps. */
static void check_summary_at(const char *file, int line, ws_store *store, const char *flow,
                             const char *session, const char *label, const char *step,
                             long size, char *created, char *updated) {
  char *summary = summary_copy(store, flow, session);
  char created_at[64], updated_at[64];
  char e_flow[1024], e_session[1024], j_label[1100], j_step[1100];
  char expected[8192];
  if (summary == NULL) {
    fprintf(stderr, "%s:%d: no summary for session \"%s\" of flow \"%s\"\n", file, line, session,
            flow);
    exit(1);
  }
  string_field(summary, "created_at", created_at, sizeof created_at);
  string_field(summary, "updated_at", updated_at, sizeof updated_at);
  if (!is_timestamp(created_at) || !is_timestamp(updated_at) ||
      strcmp(created_at, updated_at) > 0) {
    fprintf(stderr, "%s:%d: bad timestamps in %s\n", file, line, summary);
    exit(1);
  }
  snprintf(expected, sizeof expected,
           "{\"flow_id\":\"%s\",\"session_id\":\"%s\",\"label\":%s,\"current_step\":%s,"
           "\"created_at\":\"%s\",\"updated_at\":\"%s\",\"state_size_bytes\":%ld}",
           json_escape(flow, e_flow, sizeof e_flow), json_escape(session, e_session, sizeof e_session),
           json_string_or_null(label, j_label, sizeof j_label),
           json_string_or_null(step, j_step, sizeof j_step), created_at, updated_at, size);
  check_str_at(file, line, "ws_get_session_summary", summary, expected);
  if (created != NULL) strcpy(created, created_at);
  if (updated != NULL) strcpy(updated, updated_at);
  free(summary);
}

#define CHECK_SUMMARY(store, flow, session, label, step, size)                               \
  check_summary_at(__FILE__, __LINE__, (store), (flow), (session), (label), (step), (size), \
                   NULL, NULL)
#define CHECK_SUMMARY_TIMES(store, flow, session, label, step, size, created, updated)       \
  check_summary_at(__FILE__, __LINE__, (store), (flow), (session), (label), (step), (size), \
                   (created), (updated))

/* The flow's list must be exactly the summaries of `ids`, in that order. */
static void check_list_at(const char *file, int line, ws_store *store, const char *flow,
                          ws_order_by order, bool descending, const char *const *ids, size_t n) {
  char *list = list_copy(store, flow, order, descending);
  size_t size = 3, used = 0, i;
  char **summaries = (char **)malloc((n ? n : 1) * sizeof *summaries);
  char *expected;
  CHECK(summaries != NULL);
  for (i = 0; i < n; i++) {
    summaries[i] = summary_copy(store, flow, ids[i]);
    if (summaries[i] == NULL) {
      fprintf(stderr, "%s:%d: session \"%s\" of flow \"%s\" does not exist\n", file, line, ids[i],
              flow);
      exit(1);
    }
    size += strlen(summaries[i]) + 1;
  }
  expected = (char *)malloc(size);
  CHECK(expected != NULL);
  expected[used++] = '[';
  for (i = 0; i < n; i++) {
    if (i > 0) expected[used++] = ',';
    strcpy(expected + used, summaries[i]);
    used += strlen(summaries[i]);
    free(summaries[i]);
  }
  expected[used++] = ']';
  expected[used] = '\0';
  if (strcmp(list, expected) != 0) {
    fprintf(stderr, "%s:%d: ws_list_sessions(\"%s\", order %d, %s)\n  is:       %s\n  expected: %s\n",
            file, line, flow, order, descending ? "descending" : "ascending", list, expected);
    exit(1);
  }
  free(expected);
  free(summaries);
  free(list);
}

#define IDS(...) ((const char *const[]){__VA_ARGS__})
#define NIDS(...) (sizeof(IDS(__VA_ARGS__)) / sizeof(const char *))
#define CHECK_LIST(store, flow, order, descending, ...)                                    \
  check_list_at(__FILE__, __LINE__, (store), (flow), (order), (descending), IDS(__VA_ARGS__), \
                NIDS(__VA_ARGS__))
/* Ascending as given, descending the exact reverse. */
#define CHECK_LIST_BOTH(store, flow, order, ...)                                           \
  do {                                                                                     \
    const char *const *ids_ = IDS(__VA_ARGS__);                                            \
    size_t n_ = NIDS(__VA_ARGS__), i_;                                                     \
    const char **rev_ = (const char **)malloc(n_ * sizeof *rev_);                          \
    CHECK(rev_ != NULL);                                                                   \
    for (i_ = 0; i_ < n_; i_++) rev_[i_] = ids_[n_ - 1 - i_];                              \
    check_list_at(__FILE__, __LINE__, (store), (flow), (order), false, ids_, n_);          \
    check_list_at(__FILE__, __LINE__, (store), (flow), (order), true, rev_, n_);           \
    free((void *)rev_);                                                                    \
  } while (0)
#define CHECK_LIST_EMPTY(store, flow)                                                      \
  do {                                                                                     \
    int o_;                                                                                \
    for (o_ = 0; o_ < 3; o_++) {                                                           \
      check_list_at(__FILE__, __LINE__, (store), (flow), o_, false, NULL, 0);              \
      check_list_at(__FILE__, __LINE__, (store), (flow), o_, true, NULL, 0);               \
    }                                                                                      \
  } while (0)

/* ------------------------------------------------------------------------------------ */

static void test_create_session(void) {
  char path[4200];
  ws_store *store = open_file("test_sessions_create_session", path, sizeof path, 1);
  char created[64], updated[64];
  char *before;

  CHECK(!exists(store, "f", "s1"));
  CREATE_OK(store, "f", "s1", "first");
  CHECK(exists(store, "f", "s1"));
  /* An empty session: state "{}" (2 bytes), no step; created_at == updated_at. */
  CHECK_SUMMARY_TIMES(store, "f", "s1", "first", NULL, 2, created, updated);
  CHECK_STR(updated, created);
  CHECK_STATE(store, "f", "s1", "{}");
  {
    char *step = DUMMY;
    CHECK_OK(ws_get_current_step(store, "f", "s1", &step));
    CHECK(step == NULL);
  }

  /* No label. */
  CREATE_OK(store, "f", "s2", NULL);
  CHECK_SUMMARY(store, "f", "s2", NULL, NULL, 2);

  /* The same id in other flows is another session. */
  CREATE_OK(store, "f2", "s1", "other flow");
  CREATE_OK(store, "F", "s1", NULL);
  CHECK_SUMMARY(store, "f", "s1", "first", NULL, 2);
  CHECK_SUMMARY(store, "f2", "s1", "other flow", NULL, 2);

  /* Session ids may contain ':' and anything else; labels any text (an empty label is a
   * label, not NULL). */
  CREATE_OK(store, "a", "b:c", "colon");
  CREATE_OK(store, "a", "b", NULL);
  CREATE_OK(store, "f", ":", "just a colon");
  CREATE_OK(store, "f", "séance 日本 😀", "étiquette 😀");
  CREATE_OK(store, "f", "say \"hi\"\\ok", "two\nlines\tand \"quotes\" \x01");
  CREATE_OK(store, "f", "%_", "");
  CHECK_SUMMARY(store, "a", "b:c", "colon", NULL, 2);
  CHECK_SUMMARY(store, "a", "b", NULL, NULL, 2);
  CHECK_SUMMARY(store, "f", ":", "just a colon", NULL, 2);
  CHECK_SUMMARY(store, "f", "séance 日本 😀", "étiquette 😀", NULL, 2);
  CHECK_SUMMARY(store, "f", "say \"hi\"\\ok", "two\nlines\tand \"quotes\" \x01", NULL, 2);
  CHECK_SUMMARY(store, "f", "%_", "", NULL, 2);
  CHECK(!exists(store, "b", "c"));
  CHECK_LIST(store, "a", WS_ORDER_CREATED_AT, false, "b:c", "b");

  /* Long ids and labels work like short ones. */
  {
    char long_id[901], long_label[901];
    memset(long_id, 'i', 900);
    long_id[900] = '\0';
    memset(long_label, 'l', 900);
    long_label[900] = '\0';
    CREATE_OK(store, "long", long_id, long_label);
    CHECK_SUMMARY(store, "long", long_id, long_label, NULL, 2);
    CHECK_LIST(store, "long", WS_ORDER_LABEL, true, long_id);
  }

  /* Survives reopening, byte for byte. */
  before = snapshot(store, "f", "s1");
  ws_store_close(store);
  store = open_file("test_sessions_create_session", path, sizeof path, 0);
  CHECK_UNCHANGED(store, "f", "s1", before);
  free(before);
  CHECK_LIST(store, "f", WS_ORDER_CREATED_AT, false, "s1", "s2", ":", "séance 日本 😀",
             "say \"hi\"\\ok", "%_");
  ws_store_close(store);
}

static int is_uuid4(const char *id) {
  size_t i;
  if (strlen(id) != 36) return 0;
  for (i = 0; i < 36; i++) {
    char c = id[i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (c != '-') return 0;
    } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
      return 0;
    }
  }
  return id[14] == '4' && strchr("89ab", id[19]) != NULL;
}

static void test_generated_session_ids(void) {
  enum { N = 40 };
  ws_store *store = open_memory();
  char *ids[N];
  size_t i, j;

  for (i = 0; i < N; i++) {
    char *id = DUMMY;
    CHECK_OK(ws_create_session(store, "gen", NULL, i % 2 ? "odd" : NULL, &id));
    CHECK(id != NULL && id != DUMMY);
    if (!is_uuid4(id)) {
      fprintf(stderr, "%s:%d: \"%s\" is not a lowercase UUID4\n", __FILE__, __LINE__, id);
      exit(1);
    }
    ids[i] = take(id);
    for (j = 0; j < i; j++) CHECK(strcmp(ids[i], ids[j]) != 0);
    CHECK(exists(store, "gen", ids[i]));
    CHECK_SUMMARY(store, "gen", ids[i], i % 2 ? "odd" : NULL, NULL, 2);
    CHECK_STATE(store, "gen", ids[i], "{}");
  }
  check_list_at(__FILE__, __LINE__, store, "gen", WS_ORDER_CREATED_AT, false,
                (const char *const *)ids, N);
  /* A generated id is an ordinary id afterwards. */
  CHECK_OK(ws_update_state(store, "gen", ids[0], "{\"a\":1}"));
  CHECK_STATE(store, "gen", ids[0], "{\"a\":1}");
  CHECK(!exists(store, "other", ids[0]));
  for (i = 0; i < N; i++) free(ids[i]);
  ws_store_close(store);
}

static void test_create_session_taken(void) {
  ws_store *store = open_memory();
  char *before;
  char *out;
  const char *label;
  int k;

  /* Taken by ws_create_session, ws_update_state, ws_set_current_step,
   * ws_update_step_state: WS_ALREADY_EXISTS, the id in the message, nothing changed. */
  CREATE_OK(store, "f", "orig-session", "original");
  CHECK_OK(ws_update_state(store, "f", "orig-session", "{\"keep\":1}"));
  CHECK_OK(ws_set_current_step(store, "f", "orig-session", "one"));
  CHECK_OK(ws_update_state(store, "f", "by-update", "{\"k\":1}"));
  CHECK_OK(ws_set_current_step(store, "f", "by-step", "one"));
  CHECK_OK(ws_update_step_state(store, "f", "by-step-state", "x", "{}"));
  CREATE_OK(store, "f", "a:b", NULL);
  next_second(); /* any write would now change updated_at */

  for (k = 0; k < 3; k++) {
    const char *taken[] = {"orig-session", "by-update", "by-step", "by-step-state", "a:b"};
    size_t i;
    label = k == 0 ? "new label" : k == 1 ? NULL : "";
    for (i = 0; i < COUNT(taken); i++) {
      before = snapshot(store, "f", taken[i]);
      out = DUMMY;
      CHECK_STATUS(ws_create_session(store, "f", taken[i], label, &out), WS_ALREADY_EXISTS);
      CHECK(out == NULL);
      CHECK_MESSAGE_HAS(taken[i]); /* names the id */
      CHECK_UNCHANGED(store, "f", taken[i], before);
      free(before);
    }
  }
  CHECK_SUMMARY(store, "f", "orig-session", "original", "one", 10);
  CHECK_STATE(store, "f", "orig-session", "{\"keep\":1}");
  CHECK_LIST(store, "f", WS_ORDER_CREATED_AT, false, "orig-session", "by-update", "by-step",
             "by-step-state", "a:b");

  /* Free again once deleted: a new, empty session. */
  CHECK_OK(ws_delete_session(store, "f", "orig-session"));
  CREATE_OK(store, "f", "orig-session", "second");
  CHECK_SUMMARY(store, "f", "orig-session", "second", NULL, 2);
  CHECK_STATE(store, "f", "orig-session", "{}");
  ws_store_close(store);
}

static void test_session_exists(void) {
  ws_store *store = open_memory();

  CHECK(!exists(store, "f", "s"));
  CREATE_OK(store, "f", "s", NULL);
  CHECK(exists(store, "f", "s"));
  /* Every write that upserts makes a session exist. */
  CHECK_OK(ws_update_state(store, "f", "u", "{}"));
  CHECK_OK(ws_set_current_step(store, "f", "c", "one"));
  CHECK_OK(ws_update_step_state(store, "f", "p", "x", "{}"));
  CHECK(exists(store, "f", "u") && exists(store, "f", "c") && exists(store, "f", "p"));
  /* ... reads and no-ops do not. */
  {
    char *out = NULL;
    CHECK_OK(ws_get_state(store, "f", "r1", &out));
    ws_string_free(out);
    CHECK_OK(ws_get_step_state(store, "f", "r2", "x", &out));
    ws_string_free(out);
    CHECK_OK(ws_get_current_step(store, "f", "r3", &out));
    CHECK_OK(ws_get_session_summary(store, "f", "r4", &out));
    CHECK(out == NULL);
    CHECK_OK(ws_clear_step_state(store, "f", "r5", "x"));
    CHECK_OK(ws_set_session_label(store, "f", "r6", "label"));
    CHECK_OK(ws_delete_session(store, "f", "r7"));
  }
  CHECK(!exists(store, "f", "r1") && !exists(store, "f", "r2") && !exists(store, "f", "r3"));
  CHECK(!exists(store, "f", "r4") && !exists(store, "f", "r5") && !exists(store, "f", "r6"));
  CHECK(!exists(store, "f", "r7"));
  CHECK_LIST(store, "f", WS_ORDER_CREATED_AT, false, "s", "u", "c", "p");

  /* Scoped by flow and by the exact id. */
  CHECK(!exists(store, "g", "s"));
  CHECK(!exists(store, "F", "s"));
  CHECK(!exists(store, "f", "S"));
  CHECK(!exists(store, "f", "s "));
  CHECK(!exists(store, "f", "s:"));
  CREATE_OK(store, "x", "a:b", NULL);
  CHECK(exists(store, "x", "a:b"));
  CHECK(!exists(store, "x", "a"));
  CHECK(!exists(store, "a", "b"));

  CHECK_OK(ws_delete_session(store, "f", "s"));
  CHECK(!exists(store, "f", "s"));
  ws_store_close(store);
}

static void test_session_summary(void) {
  ws_store *store = open_memory();
  char created[64], updated[64], created2[64], updated2[64];
  char *state;
  char *summary = DUMMY;

  /* Missing: NULL. */
  CHECK_OK(ws_get_session_summary(store, "f", "s", &summary));
  CHECK(summary == NULL);

  /* state_size_bytes is the byte length of the stored text: {"k":"é"} is 10 bytes. */
  CHECK_OK(ws_update_state(store, "f", "s", "{\"k\":\"é\"}"));
  CHECK_STATE(store, "f", "s", "{\"k\":\"é\"}");
  CHECK_SUMMARY_TIMES(store, "f", "s", NULL, NULL, 10, created, updated);
  CHECK_STR(updated, created);
  /* \u escapes are stored as UTF-8: same 10 bytes. */
  CHECK_OK(ws_update_state(store, "f", "s", "{\"k\":\"\\u00e9\"}"));
  CHECK_SUMMARY(store, "f", "s", NULL, NULL, 10);
  /* Compact storage whatever the input's spacing. */
  CHECK_OK(ws_update_state(store, "f", "s", "{ \"n\" : [ 1 , 2 ] ,  \"k\" : \"日本\" }"));
  state = state_copy(store, "f", "s");
  CHECK_STR(state, "{\"k\":\"日本\",\"n\":[1,2]}");
  CHECK_SUMMARY(store, "f", "s", NULL, NULL, (long)strlen(state));
  CHECK(strlen(state) == 24);
  free(state);

  /* current_step and label appear; the step's state counts in the size. */
  CHECK_OK(ws_set_current_step(store, "f", "s", "步骤 1"));
  CHECK_OK(ws_set_session_label(store, "f", "s", "Label \"L\""));
  CHECK_OK(ws_update_step_state(store, "f", "s", "步骤 1", "{\"v\":1.50}"));
  state = state_copy(store, "f", "s");
  CHECK_STR(state, "{\"k\":\"日本\",\"n\":[1,2],\"_step_步骤 1\":{\"v\":1.50}}");
  CHECK_SUMMARY_TIMES(store, "f", "s", "Label \"L\"", "步骤 1", (long)strlen(state), created2,
                      updated2);
  free(state);
  /* created_at never changes; updated_at never goes back. */
  CHECK_STR(created2, created);
  CHECK(strcmp(updated2, updated) >= 0);

  /* Clearing the label gives null again. */
  CHECK_OK(ws_set_session_label(store, "f", "s", NULL));
  CHECK_OK(ws_clear_step_state(store, "f", "s", "步骤 1"));
  CHECK_SUMMARY(store, "f", "s", NULL, "步骤 1", 24);

  /* A big state. */
  {
    char big[5000];
    size_t i, n = (size_t)sprintf(big, "{\"b\":\"");
    for (i = 0; i < 4000; i++) big[n++] = 'x';
    n += (size_t)sprintf(big + n, "\"}");
    CHECK_OK(ws_update_state(store, "f", "big", big));
    CHECK_SUMMARY(store, "f", "big", NULL, NULL, (long)n);
  }

  /* The summary is the session's: other flows and ids do not mix in. */
  CHECK_OK(ws_get_session_summary(store, "g", "s", &summary));
  CHECK(summary == NULL);
  CHECK_OK(ws_get_session_summary(store, "f", "s:", &summary));
  CHECK(summary == NULL);
  ws_store_close(store);
}

/* updated_at moves on every write to the session and on nothing else; created_at never.
 * Ordering by updated_at follows from it. One sleep of more than a second makes the
 * timestamps distinct whatever their precision. */
static void test_updated_at(void) {
  ws_store *store = open_memory();
  const char *names[] = {"A", "B", "C", "D", "E"};
  char created[5][64], updated[5][64], c2[64], u2[64];
  char *out;
  size_t i;

  for (i = 0; i < 5; i++) {
    CREATE_OK(store, "f", names[i], NULL);
  }
  for (i = 0; i < 5; i++) {
    CHECK_SUMMARY_TIMES(store, "f", names[i], NULL, NULL, 2, created[i], updated[i]);
    CHECK_STR(updated[i], created[i]);
  }
  /* Fresh sessions: updated_at order is creation order, both ways (ties go by creation
   * order in the same direction). */
  CHECK_LIST_BOTH(store, "f", WS_ORDER_UPDATED_AT, "A", "B", "C", "D", "E");
  CHECK_LIST_BOTH(store, "f", WS_ORDER_CREATED_AT, "A", "B", "C", "D", "E");

  sleep_ms(1100);
  CHECK_OK(ws_update_state(store, "f", "A", "{\"a\":1}"));
  CHECK_OK(ws_set_current_step(store, "f", "B", "two"));
  CHECK_OK(ws_set_session_label(store, "f", "C", "label"));
  CHECK_OK(ws_update_step_state(store, "f", "D", "x", "{}"));
  /* Nothing of this touches E. */
  CHECK_OK(ws_clear_step_state(store, "f", "E", "x"));
  CHECK_OK(ws_set_session_label(store, "f", "missing", "label"));
  CHECK_OK(ws_delete_session(store, "f", "missing"));
  CHECK_STATUS(ws_create_session(store, "f", "E", "taken", &out), WS_ALREADY_EXISTS);
  CHECK_STATUS(ws_update_state(store, "f", "E", "[]"), WS_INVALID_JSON);
  CHECK_STATUS(ws_set_current_step(store, "f", "E", ""), WS_INVALID_ARGUMENT);
  CHECK_STATUS(ws_set_session_label(store, "f", "E", "\xff"), WS_INVALID_ARGUMENT);
  CHECK_OK(ws_get_state(store, "f", "E", &out));
  ws_string_free(out);
  CHECK_OK(ws_get_step_state(store, "f", "E", "x", &out));
  ws_string_free(out);
  CHECK_OK(ws_get_current_step(store, "f", "E", &out));
  CHECK_SUMMARY_TIMES(store, "f", "E", NULL, NULL, 2, c2, u2);
  CHECK_STR(c2, created[4]);
  CHECK_STR(u2, updated[4]);

  CHECK_SUMMARY_TIMES(store, "f", "A", NULL, NULL, 7, c2, u2);
  CHECK_STR(c2, created[0]);
  CHECK(strcmp(u2, updated[0]) > 0);
  CHECK_SUMMARY_TIMES(store, "f", "B", NULL, "two", 2, c2, u2);
  CHECK_STR(c2, created[1]);
  CHECK(strcmp(u2, updated[1]) > 0);
  CHECK_SUMMARY_TIMES(store, "f", "C", "label", NULL, 2, c2, u2);
  CHECK_STR(c2, created[2]);
  CHECK(strcmp(u2, updated[2]) > 0);
  CHECK_SUMMARY_TIMES(store, "f", "D", NULL, NULL, 14, c2, u2);
  CHECK_STR(c2, created[3]);
  CHECK(strcmp(u2, updated[3]) > 0);

  /* E was not updated: first ascending; A..D in the order they were written (equal
   * timestamps go by creation order, which is the same order). */
  CHECK_LIST_BOTH(store, "f", WS_ORDER_UPDATED_AT, "E", "A", "B", "C", "D");
  CHECK_LIST_BOTH(store, "f", WS_ORDER_CREATED_AT, "A", "B", "C", "D", "E");

  /* Deleting and re-creating E makes it the newest by both. */
  CHECK_OK(ws_delete_session(store, "f", "E"));
  CREATE_OK(store, "f", "E", NULL);
  CHECK_LIST_BOTH(store, "f", WS_ORDER_UPDATED_AT, "A", "B", "C", "D", "E");
  CHECK_LIST_BOTH(store, "f", WS_ORDER_CREATED_AT, "A", "B", "C", "D", "E");
  CHECK_SUMMARY_TIMES(store, "f", "E", NULL, NULL, 2, c2, u2);
  CHECK(strcmp(c2, created[4]) > 0);
  ws_store_close(store);
}

static void test_list_flow_isolation(void) {
  char path[4200];
  ws_store *store = open_file("test_sessions_list_flow_isolation", path, sizeof path, 1);

  /* Flow ids that share prefixes, differ in case, or hold LIKE / GLOB wildcards and
   * characters next to ':' in byte order; session ids that hold ':'. */
  CREATE_OK(store, "f", "x", NULL);
  CREATE_OK(store, "f2", "x", NULL);
  CREATE_OK(store, "f_", "u", NULL);
  CREATE_OK(store, "f%", "p", NULL);
  CREATE_OK(store, "fa", "q", NULL);
  CREATE_OK(store, "F", "X", NULL);
  CREATE_OK(store, "f;", "z", NULL);
  CREATE_OK(store, "f9", "n", NULL);
  CREATE_OK(store, "f ", "sp", NULL);
  CREATE_OK(store, "ff", "w", NULL);
  CREATE_OK(store, "f\\", "b", NULL);
  CREATE_OK(store, "f*", "star", NULL);
  CREATE_OK(store, "f[", "br", NULL);
  CREATE_OK(store, "fé", "e", NULL);
  CREATE_OK(store, "%", "all", NULL);
  CREATE_OK(store, "_", "one", NULL);
  CREATE_OK(store, "g", "f:y", NULL);
  CREATE_OK(store, "g", "x", NULL);
  CHECK_OK(ws_update_state(store, "f", "2:x", "{}"));
  CHECK_OK(ws_set_current_step(store, "f", "y", "one"));
  CHECK_OK(ws_update_step_state(store, "f", ":", "x", "{}"));

  CHECK_LIST_BOTH(store, "f", WS_ORDER_CREATED_AT, "x", "2:x", "y", ":");
  CHECK_LIST_BOTH(store, "f2", WS_ORDER_CREATED_AT, "x");
  CHECK_LIST_BOTH(store, "f_", WS_ORDER_CREATED_AT, "u");
  CHECK_LIST_BOTH(store, "f%", WS_ORDER_CREATED_AT, "p");
  CHECK_LIST_BOTH(store, "fa", WS_ORDER_CREATED_AT, "q");
  CHECK_LIST_BOTH(store, "F", WS_ORDER_CREATED_AT, "X");
  CHECK_LIST_BOTH(store, "f;", WS_ORDER_CREATED_AT, "z");
  CHECK_LIST_BOTH(store, "f9", WS_ORDER_CREATED_AT, "n");
  CHECK_LIST_BOTH(store, "f ", WS_ORDER_CREATED_AT, "sp");
  CHECK_LIST_BOTH(store, "ff", WS_ORDER_CREATED_AT, "w");
  CHECK_LIST_BOTH(store, "f\\", WS_ORDER_CREATED_AT, "b");
  CHECK_LIST_BOTH(store, "f*", WS_ORDER_CREATED_AT, "star");
  CHECK_LIST_BOTH(store, "f[", WS_ORDER_CREATED_AT, "br");
  CHECK_LIST_BOTH(store, "fé", WS_ORDER_CREATED_AT, "e");
  CHECK_LIST_BOTH(store, "%", WS_ORDER_CREATED_AT, "all");
  CHECK_LIST_BOTH(store, "_", WS_ORDER_CREATED_AT, "one");
  CHECK_LIST_BOTH(store, "g", WS_ORDER_CREATED_AT, "f:y", "x");
  /* The same for the other orders (no labels, fresh sessions: creation order). */
  CHECK_LIST_BOTH(store, "f", WS_ORDER_UPDATED_AT, "x", "2:x", "y", ":");
  CHECK_LIST_BOTH(store, "f", WS_ORDER_LABEL, "x", "2:x", "y", ":");
  CHECK_LIST_BOTH(store, "g", WS_ORDER_LABEL, "f:y", "x");
  CHECK_LIST_BOTH(store, "f_", WS_ORDER_LABEL, "u");

  /* Flows with no sessions: "[]", whatever the order. */
  CHECK_LIST_EMPTY(store, "h");
  CHECK_LIST_EMPTY(store, "f%%");
  CHECK_LIST_EMPTY(store, "x");
  CHECK_LIST_EMPTY(store, "f2x");
  CHECK_LIST_EMPTY(store, "fb");
  CHECK_LIST_EMPTY(store, "é");

  /* Deleting empties a flow, and only that flow. */
  CHECK_OK(ws_delete_session(store, "f_", "u"));
  CHECK_LIST_EMPTY(store, "f_");
  CHECK_LIST_BOTH(store, "f", WS_ORDER_CREATED_AT, "x", "2:x", "y", ":");
  CHECK_LIST_BOTH(store, "fa", WS_ORDER_CREATED_AT, "q");

  /* The same after reopening the file. */
  ws_store_close(store);
  store = open_file("test_sessions_list_flow_isolation", path, sizeof path, 0);
  CHECK_LIST_BOTH(store, "f", WS_ORDER_CREATED_AT, "x", "2:x", "y", ":");
  CHECK_LIST_BOTH(store, "g", WS_ORDER_CREATED_AT, "f:y", "x");
  CHECK_LIST_EMPTY(store, "f_");
  ws_store_close(store);
}

static void test_list_created_at_order(void) {
  ws_store *store = open_memory();
  enum { N = 30 };
  char names[N][8];
  const char *ids[N];
  const char *rev[N];
  char *generated = NULL;
  size_t i;

  /* Sessions made in quick succession (many within one second) by every route that
   * creates one. */
  for (i = 0; i < N; i++) {
    snprintf(names[i], sizeof names[i], "s%02u", (unsigned)(N - i)); /* names sort backwards */
    ids[i] = names[i];
    switch (i % 4) {
      case 0: CREATE_OK(store, "f", names[i], i % 3 ? "L" : NULL); break;
      case 1: CHECK_OK(ws_update_state(store, "f", names[i], "{\"a\":1}")); break;
      case 2: CHECK_OK(ws_set_current_step(store, "f", names[i], "one")); break;
      default: CHECK_OK(ws_update_step_state(store, "f", names[i], "x", "{}")); break;
    }
  }
  for (i = 0; i < N; i++) rev[i] = ids[N - 1 - i];
  check_list_at(__FILE__, __LINE__, store, "f", WS_ORDER_CREATED_AT, false, ids, N);
  check_list_at(__FILE__, __LINE__, store, "f", WS_ORDER_CREATED_AT, true, rev, N);
  /* Never updated since created... except that each was created by a write: still
   * creation order by updated_at. */
  check_list_at(__FILE__, __LINE__, store, "f", WS_ORDER_UPDATED_AT, false, ids, N);
  check_list_at(__FILE__, __LINE__, store, "f", WS_ORDER_UPDATED_AT, true, rev, N);

  /* Updating old sessions does not move them in creation order. */
  CHECK_OK(ws_update_state(store, "f", names[0], "{\"b\":2}"));
  CHECK_OK(ws_set_session_label(store, "f", names[1], "M"));
  CHECK_OK(ws_set_current_step(store, "f", names[2], "two"));
  check_list_at(__FILE__, __LINE__, store, "f", WS_ORDER_CREATED_AT, false, ids, N);
  check_list_at(__FILE__, __LINE__, store, "f", WS_ORDER_CREATED_AT, true, rev, N);
  /* ... but by updated_at they come last, in the order of the updates, also when all of
   * it happened within one second: ties go by the change sequence. */
  {
    const char *by_update[N];
    const char *by_update_rev[N];
    for (i = 0; i < N - 3; i++) by_update[i] = ids[i + 3];
    for (i = 0; i < 3; i++) by_update[N - 3 + i] = ids[i];
    for (i = 0; i < N; i++) by_update_rev[i] = by_update[N - 1 - i];
    check_list_at(__FILE__, __LINE__, store, "f", WS_ORDER_UPDATED_AT, false, by_update, N);
    check_list_at(__FILE__, __LINE__, store, "f", WS_ORDER_UPDATED_AT, true, by_update_rev, N);
  }

  /* Re-created sessions come last; a generated id too. */
  CHECK_OK(ws_delete_session(store, "g", "a"));
  CREATE_OK(store, "g", "a", NULL);
  CREATE_OK(store, "g", "b", NULL);
  CREATE_OK(store, "g", "c", NULL);
  CHECK_OK(ws_delete_session(store, "g", "a"));
  CHECK_OK(ws_update_state(store, "g", "a", "{}"));
  CHECK_OK(ws_create_session(store, "g", NULL, NULL, &generated));
  CHECK_LIST_BOTH(store, "g", WS_ORDER_CREATED_AT, "b", "c", "a", generated);
  CHECK_OK(ws_delete_session(store, "g", "c"));
  CHECK_LIST_BOTH(store, "g", WS_ORDER_CREATED_AT, "b", "a", generated);
  ws_string_free(generated);
  ws_store_close(store);
}

static void test_list_label_order(void) {
  ws_store *store = open_memory();

  /* Bytewise: NULL < "" < "B" < "Z" < "_" < "a" < "a " < "aa" < "b" < "é" < "日本". */
  CREATE_OK(store, "f", "n1", NULL);
  CREATE_OK(store, "f", "l_b", "b");
  CREATE_OK(store, "f", "l_B", "B");
  CREATE_OK(store, "f", "l_a1", "a");
  CHECK_OK(ws_update_state(store, "f", "n2", "{}")); /* no label */
  CREATE_OK(store, "f", "l_e", "é");
  CREATE_OK(store, "f", "l_empty", "");
  CREATE_OK(store, "f", "l_a2", "a");
  CREATE_OK(store, "f", "l_aa", "aa");
  CREATE_OK(store, "f", "l_asp", "a ");
  CREATE_OK(store, "f", "l_jp", "日本");
  CREATE_OK(store, "f", "l_us", "_");
  CREATE_OK(store, "f", "l_Z", "Z");
  CREATE_OK(store, "f", "n3", NULL);

  /* NULL labels first ascending, last descending; equal labels by creation order, in the
   * same direction: descending is the exact reverse. */
  CHECK_LIST_BOTH(store, "f", WS_ORDER_LABEL, "n1", "n2", "n3", "l_empty", "l_B", "l_Z", "l_us",
                  "l_a1", "l_a2", "l_asp", "l_aa", "l_b", "l_e", "l_jp");

  /* Relabelling moves a session; clearing a label moves it among the NULLs, by creation
   * order. */
  CHECK_OK(ws_set_session_label(store, "f", "l_b", NULL));
  CHECK_OK(ws_set_session_label(store, "f", "n3", "a"));
  CHECK_OK(ws_set_session_label(store, "f", "l_jp", "0"));
  CHECK_LIST_BOTH(store, "f", WS_ORDER_LABEL, "n1", "l_b", "n2", "l_empty", "l_jp", "l_B", "l_Z",
                  "l_us", "l_a1", "l_a2", "n3", "l_asp", "l_aa", "l_e");

  /* Labels do not change the creation order. */
  CHECK_LIST_BOTH(store, "f", WS_ORDER_CREATED_AT, "n1", "l_b", "l_B", "l_a1", "n2", "l_e",
                  "l_empty", "l_a2", "l_aa", "l_asp", "l_jp", "l_us", "l_Z", "n3");
  ws_store_close(store);
}

static void test_set_session_label(void) {
  char path[4200];
  ws_store *store = open_file("test_sessions_set_session_label", path, sizeof path, 1);
  char *before;

  CREATE_OK(store, "f", "s", NULL);
  CHECK_OK(ws_update_state(store, "f", "s", "{\"a\":1}"));
  CHECK_OK(ws_set_current_step(store, "f", "s", "one"));
  CREATE_OK(store, "f", "t", "T");

  CHECK_OK(ws_set_session_label(store, "f", "s", "first"));
  CHECK_SUMMARY(store, "f", "s", "first", "one", 7);
  CHECK_OK(ws_set_session_label(store, "f", "s", "ÉTIQUETTE 日本 😀 \"q\""));
  CHECK_SUMMARY(store, "f", "s", "ÉTIQUETTE 日本 😀 \"q\"", "one", 7);
  CHECK_OK(ws_set_session_label(store, "f", "s", ""));
  CHECK_SUMMARY(store, "f", "s", "", "one", 7);
  CHECK_OK(ws_set_session_label(store, "f", "s", NULL));
  CHECK_SUMMARY(store, "f", "s", NULL, "one", 7);
  CHECK_OK(ws_set_session_label(store, "f", "s", NULL)); /* clearing twice is fine */
  CHECK_SUMMARY(store, "f", "s", NULL, "one", 7);
  CHECK_OK(ws_set_session_label(store, "f", "s", "final"));

  /* The label leaves state and step alone, and state updates leave the label alone. */
  CHECK_STATE(store, "f", "s", "{\"a\":1}");
  CHECK_OK(ws_update_state(store, "f", "s", "{\"b\":2}"));
  CHECK_OK(ws_update_step_state(store, "f", "s", "x", "{}"));
  CHECK_OK(ws_clear_step_state(store, "f", "s", "x"));
  CHECK_OK(ws_set_current_step(store, "f", "s", "two"));
  CHECK_SUMMARY(store, "f", "s", "final", "two", 13);
  CHECK_SUMMARY(store, "f", "t", "T", NULL, 2);

  /* Absent session: WS_OK, and nothing is created. */
  before = snapshot(store, "f", "s");
  CHECK_OK(ws_set_session_label(store, "f", "missing", "label"));
  CHECK_OK(ws_set_session_label(store, "f", "missing", NULL));
  CHECK_OK(ws_set_session_label(store, "g", "s", "label"));
  CHECK_OK(ws_set_session_label(store, "f", "s:", "label"));
  CHECK(!exists(store, "f", "missing"));
  CHECK(!exists(store, "g", "s"));
  CHECK(!exists(store, "f", "s:"));
  CHECK_LIST_EMPTY(store, "g");
  CHECK_UNCHANGED(store, "f", "s", before);
  free(before);

  /* Durable. */
  ws_store_close(store);
  store = open_file("test_sessions_set_session_label", path, sizeof path, 0);
  CHECK_SUMMARY(store, "f", "s", "final", "two", 13);
  ws_store_close(store);
}

static void test_delete_session(void) {
  char path[4200];
  ws_store *store = open_file("test_sessions_delete_session", path, sizeof path, 1);
  const char *others[] = {"s2", "s:t", "S", "s "};
  char *summary = DUMMY;
  char *step = DUMMY;
  size_t i;

  CREATE_OK(store, "f", "s", "label");
  CHECK_OK(ws_update_state(store, "f", "s", "{\"a\":1}"));
  CHECK_OK(ws_set_current_step(store, "f", "s", "one"));
  CHECK_OK(ws_update_step_state(store, "f", "s", "x", "{\"p\":1}"));
  for (i = 0; i < COUNT(others); i++) {
    CREATE_OK(store, "f", others[i], "keep");
    CHECK_OK(ws_update_state(store, "f", others[i], "{\"k\":1}"));
  }
  CREATE_OK(store, "g", "s", NULL);
  CREATE_OK(store, "s", "s", NULL);

  CHECK_OK(ws_delete_session(store, "f", "s"));
  CHECK(!exists(store, "f", "s"));
  CHECK_OK(ws_get_session_summary(store, "f", "s", &summary));
  CHECK(summary == NULL);
  CHECK_STATE(store, "f", "s", "{}");
  CHECK_OK(ws_get_current_step(store, "f", "s", &step));
  CHECK(step == NULL);
  {
    char *value = NULL;
    CHECK_OK(ws_get_step_state(store, "f", "s", "x", &value));
    CHECK_STR(value, "{}");
    ws_string_free(value);
  }
  /* Idempotent, also for sessions that never existed. */
  CHECK_OK(ws_delete_session(store, "f", "s"));
  CHECK_OK(ws_delete_session(store, "nowhere", "nothing"));

  /* Nothing else is touched. */
  CHECK_LIST_BOTH(store, "f", WS_ORDER_CREATED_AT, "s2", "s:t", "S", "s ");
  for (i = 0; i < COUNT(others); i++) {
    CHECK_SUMMARY(store, "f", others[i], "keep", NULL, 7);
    CHECK_STATE(store, "f", others[i], "{\"k\":1}");
  }
  CHECK(exists(store, "g", "s"));
  CHECK(exists(store, "s", "s"));

  /* ws_delete_session and ws_clear_state are the same. */
  CHECK_OK(ws_clear_state(store, "f", "s2"));
  CHECK(!exists(store, "f", "s2"));
  CHECK_OK(ws_delete_session(store, "f", "s:t"));
  CHECK_LIST_BOTH(store, "f", WS_ORDER_CREATED_AT, "S", "s ");

  /* Durable; the id can be used again, from scratch. */
  ws_store_close(store);
  store = open_file("test_sessions_delete_session", path, sizeof path, 0);
  CHECK(!exists(store, "f", "s"));
  CHECK(!exists(store, "f", "s:t"));
  CHECK_LIST_BOTH(store, "f", WS_ORDER_CREATED_AT, "S", "s ");
  CREATE_OK(store, "f", "s", NULL);
  CHECK_SUMMARY(store, "f", "s", NULL, NULL, 2);
  CHECK_LIST_BOTH(store, "f", WS_ORDER_CREATED_AT, "S", "s ", "s");
  ws_store_close(store);
}

/* ------------------------------------------------------------------------------------ */
/* Every documented failure of every function, table-driven. */

enum fn_id { F_CREATE, F_EXISTS, F_SUMMARY, F_LIST, F_SET_LABEL, F_DELETE, F_COUNT };

/* A_OPT_SESSION: nullable session id (NULL is allowed); A_LABEL: nullable label. */
enum arg_kind { A_FLOW, A_SESSION, A_OPT_SESSION, A_LABEL };

struct fn_info {
  const char *name;
  int nargs;
  enum arg_kind args[3];
  const char *out_name; /* NULL when the function has no out-parameter */
};

static const struct fn_info FNS[F_COUNT] = {
    {"ws_create_session", 3, {A_FLOW, A_OPT_SESSION, A_LABEL}, "out_session_id"},
    {"ws_session_exists", 2, {A_FLOW, A_SESSION, A_FLOW}, "out_exists"},
    {"ws_get_session_summary", 2, {A_FLOW, A_SESSION, A_FLOW}, "out_summary_json"},
    {"ws_list_sessions", 1, {A_FLOW, A_FLOW, A_FLOW}, "out_summaries_json"},
    {"ws_set_session_label", 3, {A_FLOW, A_SESSION, A_LABEL}, NULL},
    {"ws_delete_session", 2, {A_FLOW, A_SESSION, A_FLOW}, NULL},
};

static const char *const ARG_NAMES[] = {"flow_id", "session_id", "session_id", "label"};

/* Calls `f`; `out` / `out_bool` are passed as given (NULL to test a NULL out-pointer). */
static ws_status call_fn(enum fn_id f, ws_store *store, const char *const *a, char **out,
                         bool *out_bool) {
  switch (f) {
    case F_CREATE: return ws_create_session(store, a[0], a[1], a[2], out);
    case F_EXISTS: return ws_session_exists(store, a[0], a[1], out_bool);
    case F_SUMMARY: return ws_get_session_summary(store, a[0], a[1], out);
    case F_LIST: return ws_list_sessions(store, a[0], WS_ORDER_LABEL, false, out);
    case F_SET_LABEL: return ws_set_session_label(store, a[0], a[1], a[2]);
    case F_DELETE: return ws_delete_session(store, a[0], a[1]);
    case F_COUNT: break;
  }
  CHECK(0);
  return WS_INTERNAL;
}

struct bad_value {
  const char *value;
  const char *needle; /* NULL: the argument's name */
};

#define BAD_UTF8_VALUES                                                                    \
  {"\xff", NULL}, {"ok\xc3", NULL}, {"\xc0\x80", NULL}, {"\xed\xa0\x80", NULL},            \
      {"\xf4\x90\x80\x80", NULL}, {"a\xe6\x97x", NULL}

static const struct bad_value BAD_FLOW[] = {
    {NULL, NULL},
    {"", NULL},
    BAD_UTF8_VALUES,
    {"a:b", "flow_id \"a:b\" must not contain ':'"},
    {":", "flow_id \":\" must not contain ':'"},
    {"f:", "flow_id \"f:\" must not contain ':'"},
    {":f", "flow_id \":f\" must not contain ':'"},
    {"日本:x", "flow_id \"日本:x\" must not contain ':'"},
};
static const struct bad_value BAD_SESSION[] = {{NULL, NULL}, {"", NULL}, BAD_UTF8_VALUES};
static const struct bad_value BAD_OPT_SESSION[] = {{"", NULL}, BAD_UTF8_VALUES};
static const struct bad_value BAD_LABEL[] = {BAD_UTF8_VALUES};

static void check_bad_values(ws_store *store, enum fn_id f, const char *session, int which,
                             const struct bad_value *bad, size_t nbad) {
  const struct fn_info *info = &FNS[f];
  const char *name = ARG_NAMES[info->args[which]];
  char *before = snapshot(store, "f", session);
  char shown[256];
  size_t i;

  for (i = 0; i < nbad; i++) {
    const char *args[3];
    char *out = DUMMY;
    bool out_bool = true;
    args[0] = "f";
    args[1] = session;
    args[2] = "a label";
    args[which] = bad[i].value;
    snprintf(g_context, sizeof g_context, "%s on session \"%s\" with %s = %s", info->name, session,
             name, printable(bad[i].value, shown, sizeof shown));
    CHECK_STATUS(call_fn(f, store, args, &out, &out_bool), WS_INVALID_ARGUMENT);
    CHECK_MESSAGE_HAS(bad[i].needle ? bad[i].needle : name);
    if (f == F_EXISTS) CHECK(out_bool == false);
    else if (info->out_name != NULL) CHECK(out == NULL);
    CHECK_UNCHANGED(store, "f", session, before);
  }
  free(before);
}

static void test_argument_errors(void) {
  ws_store *store = open_memory();
  const char *sessions[] = {"s", "new"}; /* an existing session, and a missing one */
  size_t si;
  int f, which;

  CREATE_OK(store, "f", "s", "original");
  CHECK_OK(ws_update_state(store, "f", "s", "{\"a\":1}"));
  CHECK_OK(ws_set_current_step(store, "f", "s", "one"));
  CREATE_OK(store, "f", "other", NULL);
  next_second(); /* from here on, any write would change an updated_at */

  for (si = 0; si < 2; si++) {
    for (f = 0; f < F_COUNT; f++) {
      const struct fn_info *info = &FNS[f];
      const char *args[3];
      char *before = snapshot(store, "f", sessions[si]);
      char *out = DUMMY;
      bool out_bool = true;
      args[0] = "f";
      args[1] = sessions[si];
      args[2] = "a label";

      /* NULL store. */
      snprintf(g_context, sizeof g_context, "%s with store = NULL", info->name);
      CHECK_STATUS(call_fn((enum fn_id)f, NULL, args, &out, &out_bool), WS_INVALID_ARGUMENT);
      CHECK_MESSAGE_HAS("store");
      if (f == F_EXISTS) CHECK(out_bool == false);
      else if (info->out_name != NULL) CHECK(out == NULL);
      CHECK_UNCHANGED(store, "f", sessions[si], before);

      /* NULL out-parameter. */
      if (info->out_name != NULL) {
        snprintf(g_context, sizeof g_context, "%s with %s = NULL", info->name, info->out_name);
        CHECK_STATUS(call_fn((enum fn_id)f, store, args, NULL, NULL), WS_INVALID_ARGUMENT);
        CHECK_MESSAGE_HAS(info->out_name);
        CHECK_UNCHANGED(store, "f", sessions[si], before);
      }
      free(before);

      for (which = 0; which < info->nargs; which++) {
        switch (info->args[which]) {
          case A_FLOW: check_bad_values(store, (enum fn_id)f, sessions[si], which, BAD_FLOW, COUNT(BAD_FLOW)); break;
          case A_SESSION: check_bad_values(store, (enum fn_id)f, sessions[si], which, BAD_SESSION, COUNT(BAD_SESSION)); break;
          case A_OPT_SESSION: check_bad_values(store, (enum fn_id)f, sessions[si], which, BAD_OPT_SESSION, COUNT(BAD_OPT_SESSION)); break;
          case A_LABEL: check_bad_values(store, (enum fn_id)f, sessions[si], which, BAD_LABEL, COUNT(BAD_LABEL)); break;
        }
      }
    }
  }

  /* A generated id with a bad label or flow: nothing is created either. */
  {
    char *before = snapshot(store, "f", "s");
    char *out = DUMMY;
    snprintf(g_context, sizeof g_context, "ws_create_session(NULL id, bad label)");
    CHECK_STATUS(ws_create_session(store, "f", NULL, "\xff", &out), WS_INVALID_ARGUMENT);
    CHECK_MESSAGE_HAS("label");
    CHECK(out == NULL);
    CHECK_UNCHANGED(store, "f", "s", before);
    out = DUMMY;
    CHECK_STATUS(ws_create_session(store, "f:", NULL, NULL, &out), WS_INVALID_ARGUMENT);
    CHECK_MESSAGE_HAS("flow_id \"f:\" must not contain ':'");
    CHECK(out == NULL);
    out = DUMMY;
    CHECK_STATUS(ws_create_session(store, NULL, NULL, NULL, &out), WS_INVALID_ARGUMENT);
    CHECK_MESSAGE_HAS("flow_id");
    CHECK(out == NULL);
    CHECK_UNCHANGED(store, "f", "s", before);
    free(before);
  }
  g_context[0] = '\0';

  CHECK(!exists(store, "f", "new"));
  CHECK_SUMMARY(store, "f", "s", "original", "one", 7);
  CHECK_LIST(store, "f", WS_ORDER_CREATED_AT, false, "s", "other");
  ws_store_close(store);
}

static void test_list_bad_order(void) {
  ws_store *store = open_memory();
  const ws_order_by bad[] = {3, -1, 4, 100, INT_MAX, INT_MIN};
  char *before;
  size_t i;
  int d;

  CREATE_OK(store, "f", "s", "L");
  before = snapshot(store, "f", "s");
  for (i = 0; i < COUNT(bad); i++) {
    for (d = 0; d < 2; d++) {
      char *out = DUMMY;
      snprintf(g_context, sizeof g_context, "ws_list_sessions with order_by %d", bad[i]);
      CHECK_STATUS(ws_list_sessions(store, "f", bad[i], d == 1, &out), WS_INVALID_ARGUMENT);
      CHECK_MESSAGE_HAS("order_by");
      CHECK(out == NULL);
      CHECK_UNCHANGED(store, "f", "s", before);
      /* Also on an empty flow. */
      out = DUMMY;
      CHECK_STATUS(ws_list_sessions(store, "empty", bad[i], d == 1, &out), WS_INVALID_ARGUMENT);
      CHECK_MESSAGE_HAS("order_by");
      CHECK(out == NULL);
    }
  }
  g_context[0] = '\0';
  free(before);
  /* The three valid values work. */
  CHECK_LIST_BOTH(store, "f", WS_ORDER_UPDATED_AT, "s");
  CHECK_LIST_BOTH(store, "f", WS_ORDER_CREATED_AT, "s");
  CHECK_LIST_BOTH(store, "f", WS_ORDER_LABEL, "s");
  ws_store_close(store);
}

int main(void) {
  atexit(print_context);
  test_create_session();
  printf("ok test_create_session\n");
  test_generated_session_ids();
  printf("ok test_generated_session_ids\n");
  test_create_session_taken();
  printf("ok test_create_session_taken\n");
  test_session_exists();
  printf("ok test_session_exists\n");
  test_session_summary();
  printf("ok test_session_summary\n");
  test_updated_at();
  printf("ok test_updated_at\n");
  test_list_flow_isolation();
  printf("ok test_list_flow_isolation\n");
  test_list_created_at_order();
  printf("ok test_list_created_at_order\n");
  test_list_label_order();
  printf("ok test_list_label_order\n");
  test_set_session_label();
  printf("ok test_set_session_label\n");
  test_delete_session();
  printf("ok test_delete_session\n");
  test_argument_errors();
  printf("ok test_argument_errors\n");
  test_list_bad_order();
  printf("ok test_list_bad_order\n");
  g_done = 1;
  return 0;
}
