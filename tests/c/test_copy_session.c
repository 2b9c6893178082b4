/* ws_copy_session (the header's "Copies a session ..."): a copy with and without its
 * history, undo and redo stacks, compared with the source through ws_get_session,
 * ws_undo_status and ws_undo_with / ws_redo_with; the change feed (one new number, the
 * copy's); every refusal with its status and exact message, and nothing changed by it. */
#include "check.h"
#include "table_check.h"

#include <inttypes.h>

static ws_store *g_store;

static int64_t latest(void) {
  int64_t seq = -1;
  CHECK_OK(ws_latest_seq(g_store, &seq));
  return seq;
}

static int64_t revision(const char *session) {
  int64_t rev = -1;
  CHECK_OK(ws_get_revision(g_store, "f", session, &rev));
  return rev;
}

/* ws_get_session's text (NULL when the session does not exist), malloc'd. */
static char *session_copy(const char *session) {
  char *out = DUMMY;
  CHECK_OK(ws_get_session(g_store, "f", session, &out));
  CHECK(out != DUMMY);
  return take(out);
}

/* ws_get_session of `session` must give exactly `expected`. */
#define CHECK_SESSION(session, expected) \
  CHECK_OUT(ws_get_session(g_store, "f", (session), &out_), (expected))

static char *undo_status_copy(const char *session) {
  char *out = DUMMY;
  CHECK_OK(ws_undo_status(g_store, "f", session, &out));
  CHECK(out != NULL && out != DUMMY);
  return take(out);
}

/* An undo or redo result with its revision cut off (the two sessions' revisions differ),
 * malloc'd. */
static char *travel(const char *session, int undo) {
  char *out = DUMMY;
  char *rev;
  if (undo) CHECK_OK(ws_undo_with(g_store, "f", session, &out));
  else CHECK_OK(ws_redo_with(g_store, "f", session, &out));
  CHECK(out != NULL && out != DUMMY);
  rev = strstr(out, ",\"revision\":");
  CHECK(rev != NULL);
  *rev = '\0';
  return take(out);
}

#define EMPTY_STATUS                                                                 \
  "{\"undo_depth\":0,\"redo_depth\":0,\"undo_label\":null,\"redo_label\":null,"     \
  "\"undo_meta\":null,\"redo_meta\":null,\"clean\":false}"

/* Session "a": label, step, history snapshots, labelled undo entries with metas, a clean
 * mark, a pending redo. */
static void make_source(void) {
  char *id = DUMMY;
  int v;
  CHECK_OK(ws_create_session(g_store, "f", "a", "Draft \xc3\xa9", &id));
  ws_string_free(id);
  CHECK_OK(ws_history_push(g_store, "f", "a", "{\"snap\":1}"));
  for (v = 0; v < 4; v++) {
    char state[64], step[16], checkpoint[128];
    snprintf(state, sizeof state, "{\"v\":%d,\"text\":\"line %d\"}", v, v);
    snprintf(step, sizeof step, "step%d", v);
    snprintf(checkpoint, sizeof checkpoint, "{\"label\":\"edit %d\",\"meta\":{\"cursor\":[%d,1]}}", v,
             v);
    CHECK_OK(ws_update_state(g_store, "f", "a", state));
    CHECK_OK(ws_set_current_step(g_store, "f", "a", step));
    CHECK_OK(ws_checkpoint_with(g_store, "f", "a", checkpoint));
    if (v == 1) CHECK_OK(ws_set_clean(g_store, "f", "a"));
  }
  CHECK_OK(ws_update_state(g_store, "f", "a", "{\"v\":4}"));
  {
    bool done = false;
    CHECK_OK(ws_undo(g_store, "f", "a", &done));
    CHECK(done);
  }
}

/* The copy without history: the row, nothing else; one new number; the source as it was. */
static void test_copy_without_history(void) {
  char *source = session_copy("a"), *source_status = undo_status_copy("a");
  char *copy, *expected, *changes = DUMMY;
  char created[32], updated[32], source_updated[32], expected_changes[256];
  int64_t before = latest(), source_rev = revision("a");
  size_t size;

  next_second(); /* the copy's timestamps are now, not the source's */
  CHECK_OK(ws_copy_session(g_store, "f", "a", "plain", false));

  CHECK(latest() == before + 1);
  CHECK(revision("plain") == before + 1);
  CHECK(revision("a") == source_rev);
  copy = session_copy("plain");
  string_field(copy, "created_at", created, sizeof created);
  string_field(copy, "updated_at", updated, sizeof updated);
  string_field(source, "updated_at", source_updated, sizeof source_updated);
  CHECK_STR(created, updated);
  CHECK(strlen(created) == 19 && strcmp(created, source_updated) > 0);
  /* Everything else is the source's: label, step, state. */
  size = strlen(source) + 256;
  expected = (char *)malloc(size);
  CHECK(expected != NULL);
  snprintf(expected, size,
           "{\"flow_id\":\"f\",\"session_id\":\"plain\",\"label\":\"Draft \xc3\xa9\","
           "\"current_step\":\"step3\",\"state\":{\"v\":3,\"text\":\"line 3\"},"
           "\"revision\":%" PRId64 ",\"created_at\":\"%s\",\"updated_at\":\"%s\"}",
           before + 1, created, created);
  CHECK_STR(copy, expected);
  {
    /* The summary's size is the stored text's: the same bytes. */
    char *summary_a = summary_copy(g_store, "f", "a"), *summary_plain = summary_copy(g_store, "f", "plain");
    CHECK_STR(strstr(summary_plain, "\"state_size_bytes\""), strstr(summary_a, "\"state_size_bytes\""));
    free(summary_a);
    free(summary_plain);
  }
  CHECK_UNDO_STATUS(g_store, "f", "plain", EMPTY_STATUS);
  snprintf(expected, size, "{\"done\":false,\"label\":null,\"meta\":null,\"revision\":%" PRId64 "}",
           before + 1);
  CHECK_OUT(ws_undo_with(g_store, "f", "plain", &out_), expected);
  free(expected);
  free(copy);
  /* The feed shows the copy, once, and nothing else. */
  snprintf(expected_changes, sizeof expected_changes,
           "{\"changes\":[{\"seq\":%" PRId64 ",\"flow_id\":\"f\",\"session_id\":\"plain\","
           "\"revision\":%" PRId64 ",\"deleted\":false}],\"last_seq\":%" PRId64
           ",\"more\":false,\"reset\":false}",
           before + 1, before + 1, before + 1);
  CHECK_OK(ws_changes_since(g_store, NULL, before, 0, &changes));
  CHECK_STR(changes, expected_changes);
  ws_string_free(changes);
  /* The source untouched: revision, updated_at, stacks. */
  CHECK_SESSION("a", source);
  CHECK_UNDO_STATUS(g_store, "f", "a", source_status);
  free(source);
  free(source_status);
}

/* The copy with history: the same status, and undo / redo through the same states,
 * labels and metas, to the same clean mark. */
static void test_copy_with_history(void) {
  char *source = session_copy("a"), *status = undo_status_copy("a");
  int64_t before = latest();
  int undo, clean_seen = 0;
  size_t len;

  CHECK(strstr(status, "\"undo_depth\":3,\"redo_depth\":1,\"undo_label\":\"edit 2\"") == status + 1);
  CHECK_OK(ws_copy_session(g_store, "f", "a", "hist", true));
  CHECK(latest() == before + 1 && revision("hist") == before + 1);
  CHECK_SESSION("a", source);
  CHECK_UNDO_STATUS(g_store, "f", "hist", status);
  {
    size_t n = 0;
    CHECK_OK(ws_history_len(g_store, "f", "hist", &n));
    CHECK(n == 1);
    CHECK_PEEK(g_store, "f", "hist", "{\"snap\":1}");
  }
  for (undo = 1; undo >= 0; undo--) {
    for (;;) {
      char *a = travel("a", undo), *b = travel("hist", undo);
      char *state_a = state_copy(g_store, "f", "a"), *state_b = state_copy(g_store, "f", "hist");
      char *status_a = undo_status_copy("a"), *status_b = undo_status_copy("hist");
      int done = strncmp(a, "{\"done\":true", 12) == 0;
      CHECK_STR(b, a);
      CHECK_STR(state_b, state_a);
      CHECK_STR(status_b, status_a);
      len = strlen(status_b);
      clean_seen |= len > 13 && strcmp(status_b + len - 13, "\"clean\":true}") == 0;
      free(a);
      free(b);
      free(state_a);
      free(state_b);
      free(status_a);
      free(status_b);
      if (!done) break;
    }
  }
  CHECK(clean_seen);
  free(source);
  free(status);
}

/* Each refusal: its status, its exact message, and nothing changed. */
static void test_refusals(void) {
  struct {
    ws_store *store;
    const char *flow, *from, *to;
    ws_status status;
    const char *message;
  } cases[] = {
      {NULL, "f", "a", "c", WS_INVALID_ARGUMENT, "store must not be NULL"},
      {NULL, "f", "a", "c", WS_INVALID_ARGUMENT, "flow_id must not be NULL"},
      {NULL, "f", "a", "c", WS_INVALID_ARGUMENT, "from_session_id must not be NULL"},
      {NULL, "f", "a", "c", WS_INVALID_ARGUMENT, "to_session_id must not be NULL"},
      {NULL, "", "a", "c", WS_INVALID_ARGUMENT, "flow_id must not be empty"},
      {NULL, "f:x", "a", "c", WS_INVALID_ARGUMENT, "flow_id \"f:x\" must not contain ':'"},
      {NULL, "f", "", "c", WS_INVALID_ARGUMENT, "from_session_id must not be empty"},
      {NULL, "f", "a", "", WS_INVALID_ARGUMENT, "to_session_id must not be empty"},
      {NULL, "f", "a\xc3", "c", WS_INVALID_ARGUMENT,
       "from_session_id is not valid UTF-8 (bad byte at offset 1)"},
      {NULL, "f", "nope", "c", WS_NOT_FOUND,
       "session \"nope\" of flow \"f\" does not exist: there is nothing to copy"},
      {NULL, "f", "nope", "hist", WS_NOT_FOUND,
       "session \"nope\" of flow \"f\" does not exist: there is nothing to copy"},
      {NULL, "f", "a", "hist", WS_ALREADY_EXISTS,
       "session \"hist\" of flow \"f\" already exists: delete it first or copy to another session id"},
      {NULL, "f", "a", "a", WS_ALREADY_EXISTS,
       "session \"a\" of flow \"f\" already exists: delete it first or copy to another session id"},
  };
  size_t i;
  int with_history;
  int64_t before = latest();
  char *a = session_copy("a"), *hist = session_copy("hist"), *status_a = undo_status_copy("a");
  char *status_hist = undo_status_copy("hist");
  char *list = snapshot(g_store, "f", "hist");
  for (i = 0; i < COUNT(cases); i++) {
    for (with_history = 0; with_history <= 1; with_history++) {
      const char *flow = i == 1 ? NULL : cases[i].flow;
      const char *from = i == 2 ? NULL : cases[i].from;
      const char *to = i == 3 ? NULL : cases[i].to;
      char shown[64];
      snprintf(g_context, sizeof g_context, "case %u (from %s), with_history %d", (unsigned)i,
               printable(from, shown, sizeof shown), with_history);
      CHECK_STATUS(ws_copy_session(i == 0 ? NULL : g_store, flow, from, to, with_history != 0),
                   cases[i].status);
      CHECK_STR(ws_last_error_message(), cases[i].message);
      CHECK(latest() == before);
      CHECK(!exists(g_store, "f", "c"));
      CHECK_SESSION("a", a);
      CHECK_SESSION("hist", hist);
      CHECK_UNDO_STATUS(g_store, "f", "a", status_a);
      CHECK_UNDO_STATUS(g_store, "f", "hist", status_hist);
      CHECK_UNCHANGED(g_store, "f", "hist", list);
    }
  }
  g_context[0] = '\0';
  free(a);
  free(hist);
  free(status_a);
  free(status_hist);
  free(list);
}

int main(void) {
  /* The contract's signature, exactly. */
  ws_status (*copy_session)(ws_store *, const char *, const char *, const char *, bool) =
      ws_copy_session;
  char path[4096];
  (void)copy_session;
  (void)open_memory; /* table_check.h's; the copies' timestamps are checked on a file */
  atexit(print_context);
  g_store = open_file("test_copy_session", path, sizeof path, 1);
  make_source();
  test_copy_without_history();
  test_copy_with_history();
  test_refusals();
  ws_store_close(g_store);
  g_done = 1;
  printf("test_copy_session: ok\n");
  return 0;
}
