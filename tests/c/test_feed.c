/* Revisions, one atomic edit and the change feed, through the C ABI: ws_get_revision,
 * ws_get_session, ws_apply, ws_latest_seq, ws_changes_since and ws_wait_for_change
 * (their comments in include/workflow_state.h are the contract tested here).
 *
 * - Arguments: NULL for every pointer parameter, bad UTF-8, bad ids: WS_INVALID_ARGUMENT,
 *   a message naming the parameter, out-parameters reset, nothing written.
 * - Revisions: every 0.1 call that changes a session takes exactly one number of the
 *   change sequence, and that number is the session's revision; every call that changes
 *   nothing takes none and leaves the session byte for byte as it was (updated_at too).
 * - The feed: folding, deletions, re-created sessions, paging, the flow filter, limits.
 * - ws_apply's bad input: each case with its status, a message check, and the session and
 *   the sequence unchanged afterwards.
 * - ws_wait_for_change: polling, timing out, waking on another store's commit made by a
 *   thread and on a commit by another process (whose latency it prints). Nothing here
 *   sleeps to synchronise: threads and processes are ordered by joins and pipes. */
#include "table_check.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/wait.h>
#include <unistd.h>

/* --- Small readers of the library's JSON (compact, keys in a known order) ------------- */

/* The integer after `"key":` in `json`, which must be there. */
static int64_t json_int(const char *json, const char *key) {
  char needle[128];
  const char *at;
  CHECK((size_t)snprintf(needle, sizeof needle, "\"%s\":", key) < sizeof needle);
  at = strstr(json, needle);
  if (at == NULL) {
    fprintf(stderr, "no %s in %s\n", needle, json);
    exit(1);
  }
  return (int64_t)strtoll(at + strlen(needle), NULL, 10);
}

/* How many times `needle` occurs in `text`. */
static int occurrences(const char *text, const char *needle) {
  int n = 0;
  const char *at = text;
  while ((at = strstr(at, needle)) != NULL) {
    n++;
    at += strlen(needle);
  }
  return n;
}

static int64_t latest(ws_store *store) {
  int64_t seq = -1;
  CHECK_OK(ws_latest_seq(store, &seq));
  CHECK(seq >= 0);
  return seq;
}

static int64_t revision(ws_store *store, const char *flow, const char *session) {
  int64_t rev = -1;
  CHECK_OK(ws_get_revision(store, flow, session, &rev));
  CHECK(rev >= 0);
  return rev;
}

/* ws_get_session as a malloc'd copy; NULL when the session is absent. */
static char *session_copy(ws_store *store, const char *flow, const char *session) {
  char *json = DUMMY;
  CHECK_OK(ws_get_session(store, flow, session, &json));
  CHECK(json != DUMMY);
  return take(json);
}

/* ws_changes_since as a malloc'd copy. */
static char *changes(ws_store *store, const char *flow, int64_t after, size_t limit) {
  char *json = DUMMY;
  CHECK_OK(ws_changes_since(store, flow, after, limit, &json));
  CHECK(json != NULL && json != DUMMY);
  return take(json);
}

#define CHECK_CHANGES(store, flow, after, limit, expected)                                 \
  do {                                                                                     \
    char *page_ = changes((store), (flow), (after), (limit));                              \
    check_str_at(__FILE__, __LINE__, "ws_changes_since", page_, (expected));               \
    free(page_);                                                                           \
  } while (0)

/* Everything a failed or no-op call must leave as it was: the sequence, the session (row,
 * state, revision, timestamps, summary), its stacks and the flow's list, as one malloc'd
 * string. */
static char *everything(ws_store *store, const char *flow, const char *session) {
  char *row = session_copy(store, flow, session);
  char *listed = snapshot(store, flow, session);
  char *summary = summary_copy(store, flow, session);
  char *undo = DUMMY;
  char *peek = DUMMY;
  size_t len = 99;
  char *all;
  size_t size;
  CHECK_OK(ws_undo_status(store, flow, session, &undo));
  CHECK_OK(ws_history_peek(store, flow, session, &peek));
  CHECK_OK(ws_history_len(store, flow, session, &len));
  size = (row ? strlen(row) : 4) + strlen(listed) + (summary ? strlen(summary) : 4) +
         strlen(undo) + (peek ? strlen(peek) : 4) + 64;
  all = (char *)malloc(size);
  CHECK(all != NULL);
  snprintf(all, size, "seq %lld | %s | %s | %s | %s | history %zu %s", (long long)latest(store),
           row ? row : "NULL", summary ? summary : "NULL", listed, undo, len,
           peek ? peek : "NULL");
  free(row);
  free(listed);
  free(summary);
  ws_string_free(undo);
  ws_string_free(peek);
  return all;
}

#define CHECK_SAME(store, flow, session, before)                                           \
  do {                                                                                     \
    char *after_ = everything((store), (flow), (session));                                 \
    check_str_at(__FILE__, __LINE__, "the database after the call", after_, (before));     \
    free(after_);                                                                          \
  } while (0)

/* ws_apply must succeed with exactly `expected` as its result. */
#define APPLY_OK(store, flow, session, edit, expected)                                     \
  CHECK_OUT(ws_apply((store), (flow), (session), (edit), &out_), (expected))

/* ws_apply must fail with `status`, a message containing `needle` (and `needle2`), its
 * result reset to NULL, and nothing written. */
#define APPLY_FAILS(store, flow, session, edit, status, needle)                             \
  apply_fails_at(__FILE__, __LINE__, (store), (flow), (session), (edit), (status), (needle), NULL)
#define APPLY_FAILS2(store, flow, session, edit, status, needle, needle2)                  \
  apply_fails_at(__FILE__, __LINE__, (store), (flow), (session), (edit), (status), (needle), \
                 (needle2))

static void apply_fails_at(const char *file, int line, ws_store *store, const char *flow,
                           const char *session, const char *edit, ws_status status,
                           const char *needle, const char *needle2) {
  char *before = everything(store, flow, session);
  char *out = DUMMY;
  char shown[400];
  snprintf(g_context, sizeof g_context, "%s:%d: ws_apply(%s)", file, line,
           printable(edit, shown, sizeof shown));
  check_status_at(file, line, "ws_apply", ws_apply(store, flow, session, edit, &out), status);
  check_message_at(file, line, needle);
  if (needle2 != NULL) check_message_at(file, line, needle2);
  if (out != NULL) {
    fprintf(stderr, "%s:%d: ws_apply failed but left its result non-NULL\n", file, line);
    exit(1);
  }
  /* Without a result pointer too. */
  check_status_at(file, line, "ws_apply", ws_apply(store, flow, session, edit, NULL), status);
  check_message_at(file, line, needle);
  {
    char *after = everything(store, flow, session);
    check_str_at(file, line, "the database after the failed ws_apply", after, before);
    free(after);
  }
  free(before);
  g_context[0] = '\0';
}

/* --- Arguments ----------------------------------------------------------------------- */

/* The six calls with every argument settable, so that one table covers them all. */
enum fn_id { F_REVISION, F_SESSION, F_APPLY, F_LATEST, F_CHANGES, F_WAIT, F_COUNT };

struct args {
  ws_store *store;
  const char *flow;
  const char *session;
  const char *edit;
  int null_out; /* pass NULL as the out-parameter */
};

static const char *const FN_NAMES[] = {"ws_get_revision", "ws_get_session", "ws_apply",
                                       "ws_latest_seq", "ws_changes_since",
                                       "ws_wait_for_change"};
static const char *const OUT_NAMES[] = {"out_revision", "out_session_json", NULL, "out_seq",
                                        "out_changes_json", "out_latest_seq"};

/* Calls `f`, then checks the out-parameter was reset (NULL / 0) if the call failed. */
static ws_status call_fn(enum fn_id f, const struct args *a) {
  char *text = DUMMY;
  int64_t number = 77;
  ws_status status = WS_INTERNAL;
  switch (f) {
    case F_REVISION:
      status = ws_get_revision(a->store, a->flow, a->session, a->null_out ? NULL : &number);
      break;
    case F_SESSION:
      status = ws_get_session(a->store, a->flow, a->session, a->null_out ? NULL : &text);
      break;
    case F_APPLY:
      status = ws_apply(a->store, a->flow, a->session, a->edit, a->null_out ? NULL : &text);
      break;
    case F_LATEST: status = ws_latest_seq(a->store, a->null_out ? NULL : &number); break;
    case F_CHANGES:
      status = ws_changes_since(a->store, a->flow, 0, 0, a->null_out ? NULL : &text);
      break;
    case F_WAIT: status = ws_wait_for_change(a->store, 0, 0, a->null_out ? NULL : &number); break;
    case F_COUNT: CHECK(0);
  }
  if (status != WS_OK && !a->null_out) {
    if (f == F_REVISION || f == F_LATEST || f == F_WAIT) CHECK(number == 0);
    else CHECK(text == NULL);
  }
  if (status == WS_OK && text != DUMMY) ws_string_free(text);
  return status;
}

#define BAD_UTF8 "\xff", "ok\xc3", "\xc0\x80", "\xed\xa0\x80", "\xf4\x90\x80\x80", "a\xe6\x97x"

static void test_arguments(void) {
  ws_store *store = open_memory();
  const char *bad_utf8[] = {BAD_UTF8};
  const char *bad_flows[] = {"", "a:b", ":", "f:"};
  char *before;
  int f;
  size_t i;

  APPLY_OK(store, "f", "s", "{\"patch\":[{\"op\":\"add\",\"path\":\"/a\",\"value\":1}]}",
           "{\"revision\":1,\"changed\":true}");
  before = everything(store, "f", "s");

  for (f = 0; f < F_COUNT; f++) {
    struct args good = {NULL, "f", "s", "{\"label\":\"x\"}", 0};
    struct args a;
    good.store = store;

    snprintf(g_context, sizeof g_context, "%s with store = NULL", FN_NAMES[f]);
    a = good;
    a.store = NULL;
    CHECK_STATUS(call_fn((enum fn_id)f, &a), WS_INVALID_ARGUMENT);
    CHECK_MESSAGE_HAS("store must not be NULL");

    if (OUT_NAMES[f] != NULL) {
      snprintf(g_context, sizeof g_context, "%s with %s = NULL", FN_NAMES[f], OUT_NAMES[f]);
      a = good;
      a.null_out = 1;
      CHECK_STATUS(call_fn((enum fn_id)f, &a), WS_INVALID_ARGUMENT);
      CHECK_MESSAGE_HAS(OUT_NAMES[f]);
      CHECK_MESSAGE_HAS("must not be NULL");
    }

    if (f == F_REVISION || f == F_SESSION || f == F_APPLY) {
      snprintf(g_context, sizeof g_context, "%s with flow_id = NULL", FN_NAMES[f]);
      a = good;
      a.flow = NULL;
      CHECK_STATUS(call_fn((enum fn_id)f, &a), WS_INVALID_ARGUMENT);
      CHECK_MESSAGE_HAS("flow_id must not be NULL");
      snprintf(g_context, sizeof g_context, "%s with session_id = NULL", FN_NAMES[f]);
      a = good;
      a.session = NULL;
      CHECK_STATUS(call_fn((enum fn_id)f, &a), WS_INVALID_ARGUMENT);
      CHECK_MESSAGE_HAS("session_id must not be NULL");
      for (i = 0; i < COUNT(bad_utf8); i++) {
        snprintf(g_context, sizeof g_context, "%s with bad UTF-8 #%zu", FN_NAMES[f], i);
        a = good;
        a.flow = bad_utf8[i];
        CHECK_STATUS(call_fn((enum fn_id)f, &a), WS_INVALID_ARGUMENT);
        CHECK_MESSAGE_HAS("flow_id is not valid UTF-8");
        a = good;
        a.session = bad_utf8[i];
        CHECK_STATUS(call_fn((enum fn_id)f, &a), WS_INVALID_ARGUMENT);
        CHECK_MESSAGE_HAS("session_id is not valid UTF-8");
      }
      a = good;
      a.session = "";
      CHECK_STATUS(call_fn((enum fn_id)f, &a), WS_INVALID_ARGUMENT);
      CHECK_MESSAGE_HAS("session_id must not be empty");
    }
    if (f == F_REVISION || f == F_SESSION || f == F_APPLY || f == F_CHANGES) {
      for (i = 0; i < COUNT(bad_flows); i++) {
        snprintf(g_context, sizeof g_context, "%s with flow_id \"%s\"", FN_NAMES[f], bad_flows[i]);
        a = good;
        a.flow = bad_flows[i];
        CHECK_STATUS(call_fn((enum fn_id)f, &a), WS_INVALID_ARGUMENT);
        CHECK_MESSAGE_HAS(i == 0 ? "flow_id must not be empty" : "must not contain ':'");
      }
    }
    if (f == F_CHANGES) {
      /* flow_id is nullable here; bad UTF-8 is still refused. */
      for (i = 0; i < COUNT(bad_utf8); i++) {
        a = good;
        a.flow = bad_utf8[i];
        CHECK_STATUS(call_fn((enum fn_id)f, &a), WS_INVALID_ARGUMENT);
        CHECK_MESSAGE_HAS("flow_id is not valid UTF-8");
      }
      a = good;
      a.flow = NULL;
      CHECK_OK(call_fn((enum fn_id)f, &a));
    }
    if (f == F_APPLY) {
      a = good;
      a.edit = NULL;
      CHECK_STATUS(call_fn((enum fn_id)f, &a), WS_INVALID_ARGUMENT);
      CHECK_MESSAGE_HAS("edit_json must not be NULL");
      for (i = 0; i < COUNT(bad_utf8); i++) {
        a = good;
        a.edit = bad_utf8[i];
        CHECK_STATUS(call_fn((enum fn_id)f, &a), WS_INVALID_ARGUMENT);
        CHECK_MESSAGE_HAS("edit_json is not valid UTF-8");
      }
    }
    CHECK_SAME(store, "f", "s", before);
  }
  g_context[0] = '\0';

  /* Reading an absent session: revision 0, NULL snapshot; nothing is created. */
  CHECK(revision(store, "f", "absent") == 0);
  {
    char *json = DUMMY;
    CHECK_OK(ws_get_session(store, "f", "absent", &json));
    CHECK(json == NULL);
  }
  CHECK(!exists(store, "f", "absent"));

  /* ws_apply's result is nullable: the edit happens all the same. */
  CHECK_OK(ws_apply(store, "f", "s", "{\"label\":\"via NULL result\"}", NULL));
  CHECK(revision(store, "f", "s") == 2);
  CHECK(latest(store) == 2);
  free(before);
  ws_store_close(store);
}

/* --- Revisions ------------------------------------------------------------------------ */

/* Runs a call that must change the session: it takes exactly the next number, which is
 * then the session's revision (and nothing else's). */
#define CHANGES_ONE(store, flow, session, call)                                            \
  do {                                                                                     \
    int64_t before_ = latest(store);                                                       \
    snprintf(g_context, sizeof g_context, "%s must take one number", #call);               \
    CHECK_OK(call);                                                                        \
    CHECK(latest(store) == before_ + 1);                                                   \
    CHECK(revision((store), (flow), (session)) == before_ + 1);                            \
    g_context[0] = '\0';                                                                   \
  } while (0)

/* Runs a call that must change nothing: no number, the session byte for byte as it was
 * (updated_at included: the caller has waited for a new second first). */
#define CHANGES_NONE(store, flow, session, call)                                           \
  do {                                                                                     \
    char *before_ = everything((store), (flow), (session));                                \
    snprintf(g_context, sizeof g_context, "%s must take no number", #call);                \
    CHECK_OK(call);                                                                        \
    CHECK_SAME((store), (flow), (session), before_);                                       \
    free(before_);                                                                         \
    g_context[0] = '\0';                                                                   \
  } while (0)

static void test_revisions(void) {
  ws_store *store = open_memory();
  char *out = NULL;
  bool done = true;
  int64_t s_rev;

  CHECK(latest(store) == 0);
  CHECK_CHANGES(store, NULL, 0, 0, "{\"changes\":[],\"last_seq\":0,\"more\":false,\"reset\":false}");

  /* Every way of creating a session takes one number. */
  CHANGES_ONE(store, "f", "created", ws_create_session(store, "f", "created", "L", &out));
  ws_string_free(out);
  CHANGES_ONE(store, "f", "by-update", ws_update_state(store, "f", "by-update", "{}"));
  CHANGES_ONE(store, "f", "by-step", ws_set_current_step(store, "f", "by-step", "one"));
  CHANGES_ONE(store, "f", "by-step-state",
              ws_update_step_state(store, "f", "by-step-state", "st", "{\"k\":1}"));
  CHANGES_ONE(store, "f", "by-push", ws_history_push(store, "f", "by-push", "{\"snap\":1}"));
  CHANGES_ONE(store, "f", "by-checkpoint", ws_checkpoint(store, "f", "by-checkpoint", "cp"));
  CHANGES_ONE(store, "f", "by-apply", ws_apply(store, "f", "by-apply", "{}", NULL));
  CHECK(latest(store) == 7);

  /* Changes of an existing session. */
  CHANGES_ONE(store, "f", "s", ws_update_state(store, "f", "s", "{\"a\":1,\"b\":[1,2]}"));
  CHANGES_ONE(store, "f", "s", ws_update_state(store, "f", "s", "{\"a\":2}"));
  CHANGES_ONE(store, "f", "s", ws_update_step_state(store, "f", "s", "one", "{\"x\":1}"));
  CHANGES_ONE(store, "f", "s", ws_update_step_state(store, "f", "s", "one", "{\"x\":2}"));
  CHANGES_ONE(store, "f", "s", ws_set_current_step(store, "f", "s", "one"));
  CHANGES_ONE(store, "f", "s", ws_set_current_step(store, "f", "s", "two"));
  CHANGES_ONE(store, "f", "s", ws_set_session_label(store, "f", "s", "label"));
  CHANGES_ONE(store, "f", "s", ws_set_session_label(store, "f", "s", NULL));
  CHANGES_ONE(store, "f", "s", ws_set_session_label(store, "f", "s", ""));
  CHANGES_ONE(store, "f", "s", ws_history_push(store, "f", "s", "{\"h\":1}"));
  CHANGES_ONE(store, "f", "s", ws_history_pop(store, "f", "s", &out));
  CHECK_STR(out, "{\"h\":1}");
  ws_string_free(out);
  CHANGES_ONE(store, "f", "s", ws_history_push(store, "f", "s", "{\"h\":2}"));
  CHANGES_ONE(store, "f", "s", ws_history_clear(store, "f", "s"));
  CHANGES_ONE(store, "f", "s", ws_checkpoint(store, "f", "s", "before c"));
  CHANGES_ONE(store, "f", "s", ws_update_state(store, "f", "s", "{\"c\":3}"));
  CHANGES_ONE(store, "f", "s", ws_undo(store, "f", "s", &done));
  CHECK(done);
  CHANGES_ONE(store, "f", "s", ws_redo(store, "f", "s", &done));
  CHECK(done);
  CHANGES_ONE(store, "f", "s", ws_clear_step_state(store, "f", "s", "one"));
  CHANGES_ONE(store, "f", "s",
              ws_apply(store, "f", "s", "{\"patch\":[{\"op\":\"replace\",\"path\":\"/a\",\"value\":3}]}", NULL));
  CHANGES_ONE(store, "f", "s", ws_apply(store, "f", "s", "{\"step\":\"three\"}", NULL));
  CHANGES_ONE(store, "f", "s", ws_apply(store, "f", "s", "{\"label\":\"via apply\"}", NULL));
  CHANGES_ONE(store, "f", "s", ws_apply(store, "f", "s", "{\"label\":null,\"checkpoint\":\"cp\"}", NULL));
  s_rev = revision(store, "f", "s");

  /* From here on any write would change updated_at, so the no-op checks see it. */
  next_second();
  CHANGES_NONE(store, "f", "s", ws_update_state(store, "f", "s", "{\"a\":3}"));
  CHANGES_NONE(store, "f", "s", ws_update_state(store, "f", "s", "{\"a\":3,\"b\":[1,2]}"));
  CHANGES_NONE(store, "f", "s", ws_update_state(store, "f", "s", "{}"));
  CHANGES_NONE(store, "f", "s", ws_set_current_step(store, "f", "s", "three"));
  CHANGES_NONE(store, "f", "s", ws_set_session_label(store, "f", "s", NULL));
  CHANGES_NONE(store, "f", "s", ws_clear_step_state(store, "f", "s", "never-set"));
  CHANGES_NONE(store, "f", "s", ws_history_pop(store, "f", "s", &out));
  CHECK(out == NULL);
  CHANGES_NONE(store, "f", "s", ws_history_clear(store, "f", "s"));
  CHANGES_NONE(store, "f", "s", ws_redo(store, "f", "s", &done));
  CHECK(!done);
  CHANGES_NONE(store, "f", "s", ws_apply(store, "f", "s", "{}", NULL));
  CHANGES_NONE(store, "f", "s", ws_apply(store, "f", "s", "{\"step\":\"three\",\"label\":null}", NULL));
  CHANGES_NONE(store, "f", "s",
               ws_apply(store, "f", "s",
                        "{\"patch\":[{\"op\":\"replace\",\"path\":\"/a\",\"value\":3},"
                        "{\"op\":\"test\",\"path\":\"/b\",\"value\":[1,2]}],\"checkpoint\":\"x\"}",
                        NULL));
  /* The result says so, with the unchanged revision. */
  {
    char expect[64];
    snprintf(expect, sizeof expect, "{\"revision\":%lld,\"changed\":false}", (long long)s_rev);
    APPLY_OK(store, "f", "s", "{\"label\":null}", expect);
  }
  /* Reads take nothing either. */
  CHANGES_NONE(store, "f", "s", ws_get_state(store, "f", "s", &out));
  ws_string_free(out);
  CHANGES_NONE(store, "f", "s", ws_get_session(store, "f", "s", &out));
  ws_string_free(out);
  CHANGES_NONE(store, "f", "s", ws_undo_status(store, "f", "s", &out));
  ws_string_free(out);
  /* Undo down to an empty undo stack (two checkpoints: "before c" and "cp"), then once
   * more: that one takes nothing. */
  CHANGES_ONE(store, "f", "s", ws_undo(store, "f", "s", &done));
  CHECK(done);
  CHANGES_ONE(store, "f", "s", ws_undo(store, "f", "s", &done));
  CHECK(done);
  next_second();
  CHANGES_NONE(store, "f", "s", ws_undo(store, "f", "s", &done));
  CHECK(!done);

  /* Calls on an absent session that create nothing take nothing. */
  CHANGES_NONE(store, "f", "ghost", ws_set_session_label(store, "f", "ghost", "x"));
  CHANGES_NONE(store, "f", "ghost", ws_clear_step_state(store, "f", "ghost", "one"));
  CHANGES_NONE(store, "f", "ghost", ws_undo(store, "f", "ghost", &done));
  CHANGES_NONE(store, "f", "ghost", ws_redo(store, "f", "ghost", &done));
  CHANGES_NONE(store, "f", "ghost", ws_history_pop(store, "f", "ghost", &out));
  CHANGES_NONE(store, "f", "ghost", ws_history_clear(store, "f", "ghost"));
  CHANGES_NONE(store, "f", "ghost", ws_delete_session(store, "f", "ghost"));
  CHANGES_NONE(store, "f", "ghost", ws_clear_state(store, "f", "ghost"));
  CHECK(!exists(store, "f", "ghost"));
  /* A failed creation takes nothing. */
  {
    char *before = everything(store, "f", "created");
    out = DUMMY;
    CHECK_STATUS(ws_create_session(store, "f", "created", "L2", &out), WS_ALREADY_EXISTS);
    CHECK(out == NULL);
    CHECK_SAME(store, "f", "created", before);
    free(before);
  }

  /* The revision is the one in the snapshot, the result and the feed. */
  {
    char *json = session_copy(store, "f", "s");
    char expect[256];
    char *state = state_copy(store, "f", "s");
    char quoted[256];
    int64_t rev = revision(store, "f", "s");
    CHECK(json_int(json, "revision") == rev);
    snprintf(quoted, sizeof quoted, "\"state\":%s,\"revision\":%lld,", state, (long long)rev);
    CHECK(strstr(json, quoted) != NULL);
    free(state);
    snprintf(expect, sizeof expect,
             "{\"changes\":[{\"seq\":%lld,\"flow_id\":\"f\",\"session_id\":\"s\",\"revision\":%lld,"
             "\"deleted\":false}],\"last_seq\":%lld,\"more\":false,\"reset\":false}",
             (long long)rev, (long long)rev, (long long)rev);
    CHECK_CHANGES(store, "f", rev - 1, 0, expect);
    free(json);
  }
  ws_store_close(store);
}

/* --- The feed ------------------------------------------------------------------------- */

static void test_feed_deletions(void) {
  ws_store *store = open_memory();
  char *out = NULL;

  CHECK_OK(ws_update_state(store, "f", "a", "{\"n\":1}")); /* 1 */
  CHECK_OK(ws_update_state(store, "f", "b", "{\"n\":1}")); /* 2 */
  CHECK_OK(ws_update_state(store, "f", "c", "{\"n\":1}")); /* 3 */
  CHECK_OK(ws_update_state(store, "f", "a", "{\"n\":2}")); /* 4: a folds into its latest */
  CHECK_CHANGES(store, NULL, 0, 0,
                "{\"changes\":["
                "{\"seq\":2,\"flow_id\":\"f\",\"session_id\":\"b\",\"revision\":2,\"deleted\":false},"
                "{\"seq\":3,\"flow_id\":\"f\",\"session_id\":\"c\",\"revision\":3,\"deleted\":false},"
                "{\"seq\":4,\"flow_id\":\"f\",\"session_id\":\"a\",\"revision\":4,\"deleted\":false}"
                "],\"last_seq\":4,\"more\":false,\"reset\":false}");

  CHECK_OK(ws_delete_session(store, "f", "b")); /* 5 */
  CHECK(latest(store) == 5);
  CHECK(revision(store, "f", "b") == 0);
  CHECK_OK(ws_clear_state(store, "f", "c")); /* 6: the same as deleting */
  CHECK_CHANGES(store, NULL, 3, 0,
                "{\"changes\":["
                "{\"seq\":4,\"flow_id\":\"f\",\"session_id\":\"a\",\"revision\":4,\"deleted\":false},"
                "{\"seq\":5,\"flow_id\":\"f\",\"session_id\":\"b\",\"revision\":5,\"deleted\":true},"
                "{\"seq\":6,\"flow_id\":\"f\",\"session_id\":\"c\",\"revision\":6,\"deleted\":true}"
                "],\"last_seq\":6,\"more\":false,\"reset\":false}");

  /* Re-created sessions take new, larger numbers, never their old ones. */
  CHECK_OK(ws_create_session(store, "f", "b", NULL, &out)); /* 7 */
  ws_string_free(out);
  CHECK(revision(store, "f", "b") == 7);
  APPLY_OK(store, "f", "c", "{\"expect_revision\":0,\"label\":\"again\"}",
           "{\"revision\":8,\"changed\":true}");
  CHECK_CHANGES(store, NULL, 5, 0,
                "{\"changes\":["
                "{\"seq\":7,\"flow_id\":\"f\",\"session_id\":\"b\",\"revision\":7,\"deleted\":false},"
                "{\"seq\":8,\"flow_id\":\"f\",\"session_id\":\"c\",\"revision\":8,\"deleted\":false}"
                "],\"last_seq\":8,\"more\":false,\"reset\":false}");
  /* From the start: each session once, live, at its latest change. */
  CHECK_CHANGES(store, NULL, 0, 0,
                "{\"changes\":["
                "{\"seq\":4,\"flow_id\":\"f\",\"session_id\":\"a\",\"revision\":4,\"deleted\":false},"
                "{\"seq\":7,\"flow_id\":\"f\",\"session_id\":\"b\",\"revision\":7,\"deleted\":false},"
                "{\"seq\":8,\"flow_id\":\"f\",\"session_id\":\"c\",\"revision\":8,\"deleted\":false}"
                "],\"last_seq\":8,\"more\":false,\"reset\":false}");
  /* After everything: nothing, and last_seq stays. */
  CHECK_CHANGES(store, NULL, 8, 0, "{\"changes\":[],\"last_seq\":8,\"more\":false,\"reset\":false}");
  /* A deleted session is listed as deleted after its deletion only while it stays deleted;
   * one deleted twice (deleted, re-created, deleted) shows its newest deletion. */
  CHECK_OK(ws_delete_session(store, "f", "b")); /* 9 */
  CHECK_CHANGES(store, "f", 6, 0,
                "{\"changes\":["
                "{\"seq\":8,\"flow_id\":\"f\",\"session_id\":\"c\",\"revision\":8,\"deleted\":false},"
                "{\"seq\":9,\"flow_id\":\"f\",\"session_id\":\"b\",\"revision\":9,\"deleted\":true}"
                "],\"last_seq\":9,\"more\":false,\"reset\":false}");
  ws_store_close(store);
}

static void test_paging(void) {
  enum { N = 10 };
  ws_store *store = open_memory();
  int64_t after = 0;
  int seen[N + 1] = {0};
  int pages = 0;
  int i;
  char *out = DUMMY;

  for (i = 1; i <= N; i++) {
    char id[16];
    snprintf(id, sizeof id, "s%02d", i);
    CHECK_OK(ws_update_state(store, "f", id, "{\"n\":1}"));
  }
  /* Pages of 3: 3, 3, 3, 1; "more" on all but the last; each session once, in order. */
  for (;;) {
    char *page = changes(store, NULL, after, 3);
    int listed = occurrences(page, "\"seq\":");
    int64_t last = json_int(page, "last_seq");
    int more = strstr(page, "\"more\":true") != NULL;
    const char *at = page;
    pages++;
    CHECK(listed == (pages < 4 ? 3 : 1));
    CHECK(more == (pages < 4));
    for (i = 0; i < listed; i++) {
      int64_t seq;
      at = strstr(at, "\"seq\":");
      seq = (int64_t)strtoll(at + 6, NULL, 10);
      CHECK(seq == after + 1 + i);
      CHECK(seq >= 1 && seq <= N && !seen[seq]);
      seen[seq] = 1;
      at += 6;
    }
    CHECK(last == after + listed);
    after = last;
    free(page);
    if (!more) break;
  }
  CHECK(pages == 4);
  for (i = 1; i <= N; i++) CHECK(seen[i]);
  /* A page exactly as large as what is left has more = false. */
  {
    char *page = changes(store, NULL, 7, 3);
    CHECK(occurrences(page, "\"seq\":") == 3);
    CHECK(strstr(page, "\"last_seq\":10,\"more\":false") != NULL);
    free(page);
  }
  /* limit 0 is 1000; 100000 is the most. */
  {
    char *page = changes(store, NULL, 0, 0);
    CHECK(occurrences(page, "\"seq\":") == N);
    free(page);
    page = changes(store, NULL, 0, 100000);
    CHECK(occurrences(page, "\"seq\":") == N);
    free(page);
  }
  CHECK_STATUS(ws_changes_since(store, NULL, 0, 100001, &out), WS_INVALID_ARGUMENT);
  CHECK_MESSAGE_HAS("limit 100001");
  CHECK_MESSAGE_HAS("100000");
  CHECK(out == NULL);
  out = DUMMY;
  CHECK_STATUS(ws_changes_since(store, "f", 0, (size_t)-1, &out), WS_INVALID_ARGUMENT);
  CHECK_MESSAGE_HAS("limit");
  CHECK(out == NULL);
  out = DUMMY;
  CHECK_STATUS(ws_changes_since(store, NULL, -1, 0, &out), WS_INVALID_ARGUMENT);
  CHECK_MESSAGE_HAS("after_seq -1 is negative");
  CHECK(out == NULL);
  out = DUMMY;
  CHECK_STATUS(ws_changes_since(store, "f", INT64_MIN, 10, &out), WS_INVALID_ARGUMENT);
  CHECK_MESSAGE_HAS("after_seq");
  CHECK(out == NULL);
  /* Beyond the latest: nothing. */
  {
    char *page = changes(store, NULL, 1000, 0);
    CHECK(occurrences(page, "\"seq\":") == 0);
    CHECK(strstr(page, "\"more\":false,\"reset\":false") != NULL);
    free(page);
  }
  ws_store_close(store);
}

static void test_flow_filter(void) {
  ws_store *store = open_memory();
  /* '%' and '_' are LIKE's wildcards; here they are ordinary characters, and a flow whose
   * name is a prefix of another's is a different flow. */
  const char *flows[] = {"a%", "a_", "ab", "a", "aX", "a%b", "b"};
  size_t i;
  int64_t b_seq;

  for (i = 0; i < COUNT(flows); i++) {
    CHECK_OK(ws_update_state(store, flows[i], "s", "{\"n\":1}"));
  }
  CHECK_CHANGES(store, "a%", 0, 0,
                "{\"changes\":[{\"seq\":1,\"flow_id\":\"a%\",\"session_id\":\"s\",\"revision\":1,"
                "\"deleted\":false}],\"last_seq\":7,\"more\":false,\"reset\":false}");
  CHECK_CHANGES(store, "a_", 0, 0,
                "{\"changes\":[{\"seq\":2,\"flow_id\":\"a_\",\"session_id\":\"s\",\"revision\":2,"
                "\"deleted\":false}],\"last_seq\":7,\"more\":false,\"reset\":false}");
  CHECK_CHANGES(store, "a", 0, 0,
                "{\"changes\":[{\"seq\":4,\"flow_id\":\"a\",\"session_id\":\"s\",\"revision\":4,"
                "\"deleted\":false}],\"last_seq\":7,\"more\":false,\"reset\":false}");
  CHECK_CHANGES(store, "none", 0, 0, "{\"changes\":[],\"last_seq\":7,\"more\":false,\"reset\":false}");
  /* A session id with ':' stays whole in the feed. */
  CHECK_OK(ws_update_state(store, "a", "x:y", "{}")); /* 8 */
  CHECK_OK(ws_delete_session(store, "a_", "s"));     /* 9 */
  CHECK_CHANGES(store, "a", 4, 0,
                "{\"changes\":[{\"seq\":8,\"flow_id\":\"a\",\"session_id\":\"x:y\",\"revision\":8,"
                "\"deleted\":false}],\"last_seq\":9,\"more\":false,\"reset\":false}");
  CHECK_CHANGES(store, "a_", 2, 0,
                "{\"changes\":[{\"seq\":9,\"flow_id\":\"a_\",\"session_id\":\"s\",\"revision\":9,"
                "\"deleted\":true}],\"last_seq\":9,\"more\":false,\"reset\":false}");
  /* Paging within a flow: last_seq is the flow's last listed change while more is true. */
  CHECK_OK(ws_update_state(store, "b", "t", "{}")); /* 10 */
  CHECK_OK(ws_update_state(store, "a", "z", "{}")); /* 11 */
  CHECK_OK(ws_update_state(store, "b", "u", "{}")); /* 12 */
  b_seq = latest(store);
  CHECK(b_seq == 12);
  CHECK_CHANGES(store, "a", 4, 1,
                "{\"changes\":[{\"seq\":8,\"flow_id\":\"a\",\"session_id\":\"x:y\",\"revision\":8,"
                "\"deleted\":false}],\"last_seq\":8,\"more\":true,\"reset\":false}");
  CHECK_CHANGES(store, "a", 8, 1,
                "{\"changes\":[{\"seq\":11,\"flow_id\":\"a\",\"session_id\":\"z\",\"revision\":11,"
                "\"deleted\":false}],\"last_seq\":12,\"more\":false,\"reset\":false}");
  ws_store_close(store);
}

/* --- ws_apply's bad input --------------------------------------------------------------- */

static void test_apply_bad_input(void) {
  ws_store *store = open_memory();
  const char *S = "{\"a\":{\"b\":[1,2,3],\"c\":\"x\"},\"n\":1}";
  char edit[512];
  int64_t rev;

  CHECK_OK(ws_update_state(store, "f", "s", S));
  CHECK_OK(ws_checkpoint(store, "f", "s", "base"));
  rev = revision(store, "f", "s");
  CHECK(rev == 2);

  /* edit_json itself. */
  APPLY_FAILS(store, "f", "s", "", WS_INVALID_JSON, "edit_json is not valid JSON");
  APPLY_FAILS(store, "f", "s", "[]", WS_INVALID_JSON, "edit_json must be a JSON object, got an array");
  APPLY_FAILS(store, "f", "s", "{\"label\":\"x\"", WS_INVALID_JSON, "edit_json is not valid JSON");
  APPLY_FAILS(store, "f", "s", "{\"lable\":\"x\"}", WS_INVALID_ARGUMENT,
              "edit_json has unknown member \"lable\" (known members: expect_revision, patch");
  APPLY_FAILS(store, "f", "s", "{\"label\":\"x\",\"Patch\":[]}", WS_INVALID_ARGUMENT,
              "unknown member \"Patch\"");
  APPLY_FAILS(store, "f", "s", "{\"label\":\"a\",\"label\":\"b\"}", WS_INVALID_JSON,
              "edit_json has member \"label\" twice");
  APPLY_FAILS(store, "f", "s", "{\"checkpoint\":{\"lable\":\"x\"},\"label\":\"y\"}", WS_INVALID_ARGUMENT,
              "unknown member \"lable\"");
  APPLY_FAILS(store, "f", "s", "{\"step\":\"\"}", WS_INVALID_ARGUMENT, "edit_json member \"step\" must not be empty");
  APPLY_FAILS(store, "f", "s", "{\"step\":3}", WS_INVALID_ARGUMENT, "edit_json member \"step\" must be");
  APPLY_FAILS(store, "f", "s", "{\"label\":\"a\\u0000b\"}", WS_INVALID_ARGUMENT, "edit_json member \"label\" holds a NUL character");
  APPLY_FAILS(store, "f", "s", "{\"create\":\"no\"}", WS_INVALID_ARGUMENT, "\"create\" must be true or false");
  /* expect_revision: negative, not an integer, not a number. */
  {
    const char *bad[] = {"-1", "1.5", "2.0", "1e0", "\"2\"", "null", "true", "[2]",
                         "-9223372036854775808", "9223372036854775808"};
    size_t i;
    for (i = 0; i < COUNT(bad); i++) {
      snprintf(edit, sizeof edit, "{\"expect_revision\":%s,\"label\":\"x\"}", bad[i]);
      APPLY_FAILS2(store, "f", "s", edit, WS_INVALID_ARGUMENT,
                  "edit_json member \"expect_revision\" must be a revision", bad[i]);
    }
  }
  /* WS_CONFLICT on expect_revision says what was expected and what was found. */
  APPLY_FAILS2(store, "f", "s", "{\"expect_revision\":1,\"label\":\"x\"}", WS_CONFLICT,
              "at revision 1, but found revision 2", "session \"s\" of flow \"f\"");
  APPLY_FAILS(store, "f", "s", "{\"expect_revision\":3,\"label\":\"x\"}", WS_CONFLICT,
              "at revision 3, but found revision 2");
  APPLY_FAILS(store, "f", "s", "{\"expect_revision\":0,\"label\":\"x\"}", WS_CONFLICT,
              "not to exist (expect_revision 0), but it exists at revision 2");
  APPLY_FAILS(store, "f", "new", "{\"expect_revision\":2,\"label\":\"x\"}", WS_CONFLICT,
              "at revision 2, but it does not exist");
  APPLY_FAILS(store, "f", "new", "{\"create\":false,\"label\":\"x\"}", WS_NOT_FOUND,
              "\"create\": false");
  CHECK(!exists(store, "f", "new"));

  /* Malformed patches: WS_INVALID_JSON, naming the operation. */
#define PATCH(ops) "{\"checkpoint\":\"c\",\"label\":\"changed\",\"patch\":[" ops "]}"
  APPLY_FAILS(store, "f", "s", "{\"patch\":{}}", WS_INVALID_JSON, "patch must be a JSON array of operations");
  APPLY_FAILS(store, "f", "s", "{\"patch\":[1]}", WS_INVALID_JSON, "patch[0] must be an operation");
  APPLY_FAILS2(store, "f", "s", PATCH("{\"op\":\"frob\",\"path\":\"/n\",\"value\":1}"), WS_INVALID_JSON,
              "patch[0]: unknown op \"frob\"", "\"merge\"");
  APPLY_FAILS(store, "f", "s", PATCH("{\"path\":\"/n\",\"value\":1}"), WS_INVALID_JSON, "patch[0] has no \"op\" member");
  APPLY_FAILS2(store, "f", "s",
              PATCH("{\"op\":\"test\",\"path\":\"/n\",\"value\":1},{\"op\":\"add\",\"value\":1}"),
              WS_INVALID_JSON, "patch[1] (\"add\") has no \"path\" member", NULL);
  APPLY_FAILS2(store, "f", "s", PATCH("{\"op\":\"add\",\"path\":\"/x\"}"), WS_INVALID_JSON,
              "patch[0] (\"add\" at \"/x\") has no \"value\" member", NULL);
  APPLY_FAILS(store, "f", "s", PATCH("{\"op\":\"replace\",\"path\":\"/n\"}"), WS_INVALID_JSON, "has no \"value\" member");
  APPLY_FAILS(store, "f", "s", PATCH("{\"op\":\"test\",\"path\":\"/n\"}"), WS_INVALID_JSON, "has no \"value\" member");
  APPLY_FAILS(store, "f", "s", PATCH("{\"op\":\"merge\",\"path\":\"/a\"}"), WS_INVALID_JSON, "has no \"value\" member");
  APPLY_FAILS2(store, "f", "s", PATCH("{\"op\":\"move\",\"path\":\"/m\"}"), WS_INVALID_JSON,
              "patch[0] (\"move\" at \"/m\") has no \"from\" member", NULL);
  APPLY_FAILS(store, "f", "s", PATCH("{\"op\":\"copy\",\"path\":\"/m\"}"), WS_INVALID_JSON, "patch[0] (\"copy\" at \"/m\") has no \"from\" member");
  APPLY_FAILS(store, "f", "s", PATCH("{\"op\":\"move\",\"from\":\"/a\",\"path\":\"/a/b/0\"}"),
              WS_INVALID_JSON, "patch[0] (\"move\" at \"/a/b/0\"): cannot move \"/a\" into \"/a/b/0\", which is inside it");
  APPLY_FAILS2(store, "f", "s", PATCH("{\"op\":\"add\",\"path\":\"/a/~2\",\"value\":1}"), WS_INVALID_JSON,
              "patch[0] (\"add\"): \"path\" \"/a/~2\" is not a JSON Pointer", "\"~\" must be followed by \"0\"");
  APPLY_FAILS(store, "f", "s", PATCH("{\"op\":\"add\",\"path\":\"/a~\",\"value\":1}"), WS_INVALID_JSON,
              "\"path\" \"/a~\" is not a JSON Pointer");
  APPLY_FAILS2(store, "f", "s", PATCH("{\"op\":\"add\",\"path\":\"a\",\"value\":1}"), WS_INVALID_JSON,
              "patch[0] (\"add\"): \"path\" \"a\" is not a JSON Pointer", "start with \"/\"");
  APPLY_FAILS(store, "f", "s", PATCH("{\"op\":\"move\",\"from\":\"n\",\"path\":\"/m\"}"), WS_INVALID_JSON,
              "patch[0] (\"move\" at \"/m\"): \"from\" \"n\" is not a JSON Pointer");
  APPLY_FAILS(store, "f", "s", PATCH("{\"op\":\"add\",\"path\":1,\"value\":1}"), WS_INVALID_JSON,
              "patch[0] (\"add\"): \"path\" must be a string, got a number");
  APPLY_FAILS(store, "f", "s", PATCH("{\"op\":\"add\",\"path\":\"/x\",\"value\":1e400}"), WS_INVALID_JSON,
              "patch[0] (\"add\" at \"/x\"): its \"value\" has a number at \"\" that is too large for a double");

  /* Patches that do not fit the stored state: WS_CONFLICT, naming the operation and what
   * was found. The first operation would succeed; nothing of it is written. */
#define FIT(ops) PATCH("{\"op\":\"replace\",\"path\":\"/n\",\"value\":2}," ops)
  APPLY_FAILS2(store, "f", "s", FIT("{\"op\":\"replace\",\"path\":\"/missing\",\"value\":1}"), WS_CONFLICT,
              "patch[1] (\"replace\" at \"/missing\")", "the state has no member \"missing\"");
  APPLY_FAILS2(store, "f", "s", FIT("{\"op\":\"remove\",\"path\":\"/a/zz\"}"), WS_CONFLICT,
              "patch[1] (\"remove\" at \"/a/zz\")", "the object at \"/a\" has no member \"zz\"");
  APPLY_FAILS2(store, "f", "s", FIT("{\"op\":\"add\",\"path\":\"/no/such\",\"value\":1}"), WS_CONFLICT,
              "patch[1] (\"add\" at \"/no/such\")", "the state has no member \"no\"");
  APPLY_FAILS2(store, "f", "s", FIT("{\"op\":\"add\",\"path\":\"/a/b/4\",\"value\":1}"), WS_CONFLICT,
              "patch[1] (\"add\" at \"/a/b/4\")", "index 4 is past the end of the array at \"/a/b\", which has 3 elements");
  APPLY_FAILS2(store, "f", "s", FIT("{\"op\":\"replace\",\"path\":\"/a/b/3\",\"value\":1}"), WS_CONFLICT,
              "patch[1] (\"replace\" at \"/a/b/3\")", "index 3 is past the end");
  APPLY_FAILS2(store, "f", "s", FIT("{\"op\":\"remove\",\"path\":\"/a/b/-\"}"), WS_CONFLICT,
              "patch[1] (\"remove\" at \"/a/b/-\")", "where only \"add\"");
  APPLY_FAILS2(store, "f", "s", FIT("{\"op\":\"replace\",\"path\":\"/a/b/-\",\"value\":1}"), WS_CONFLICT,
              "patch[1] (\"replace\" at \"/a/b/-\")", "where only \"add\"");
  APPLY_FAILS2(store, "f", "s", FIT("{\"op\":\"add\",\"path\":\"/a/b/-/0\",\"value\":1}"), WS_CONFLICT,
              "patch[1] (\"add\" at \"/a/b/-/0\")", "\"-\" names the place after the last element");
  APPLY_FAILS2(store, "f", "s", FIT("{\"op\":\"add\",\"path\":\"/a/b/01\",\"value\":1}"), WS_CONFLICT,
              "patch[1] (\"add\" at \"/a/b/01\")", "no leading zeros");
  APPLY_FAILS2(store, "f", "s", FIT("{\"op\":\"move\",\"from\":\"/zz\",\"path\":\"/m\"}"), WS_CONFLICT,
              "patch[1] (\"move\" at \"/m\" from \"/zz\")", "the state has no member \"zz\"");
  APPLY_FAILS2(store, "f", "s", FIT("{\"op\":\"test\",\"path\":\"/a/c\",\"value\":\"y\"}"), WS_CONFLICT,
              "patch[1] (\"test\" at \"/a/c\")", "expected \"y\" at \"/a/c\" and found \"x\"");
  APPLY_FAILS2(store, "f", "s", FIT("{\"op\":\"replace\",\"path\":\"\",\"value\":[1]}"), WS_CONFLICT,
              "patch[1] (\"replace\" at \"\")", "must stay a JSON object, and this would make it an array");
  APPLY_FAILS2(store, "f", "s", FIT("{\"op\":\"add\",\"path\":\"\",\"value\":3}"), WS_CONFLICT, "patch[1] (\"add\" at \"\")", "would make it a number");
  APPLY_FAILS2(store, "f", "s", FIT("{\"op\":\"remove\",\"path\":\"\"}"), WS_CONFLICT, "patch[1] (\"remove\" at \"\")", "must stay a JSON object");
  APPLY_FAILS2(store, "f", "s", FIT("{\"op\":\"merge\",\"path\":\"\",\"value\":null}"), WS_CONFLICT,
              "patch[1] (\"merge\" at \"\")", "would make it null");
  APPLY_FAILS2(store, "f", "s", FIT("{\"op\":\"merge\",\"path\":\"/no/such\",\"value\":{}}"), WS_CONFLICT,
              "patch[1] (\"merge\" at \"/no/such\")", "the state has no member \"no\"");
  APPLY_FAILS2(store, "f", "s", FIT("{\"op\":\"add\",\"path\":\"/n/x\",\"value\":1}"), WS_CONFLICT,
              "patch[1] (\"add\" at \"/n/x\")", "the value at \"/n\" is a number");
  /* And after a good expect_revision too: nothing is written. */
  snprintf(edit, sizeof edit,
           "{\"expect_revision\":%lld,\"patch\":[{\"op\":\"replace\",\"path\":\"/n\",\"value\":2},"
           "{\"op\":\"test\",\"path\":\"/n\",\"value\":1}]}",
           (long long)rev);
  APPLY_FAILS2(store, "f", "s", edit, WS_CONFLICT, "patch[1] (\"test\" at \"/n\")", "expected 1 at \"/n\" and found 2");

  CHECK_STATE(store, "f", "s", S);
  CHECK(revision(store, "f", "s") == rev);
  CHECK(latest(store) == rev);
  CHECK_UNDO_STATUS(store, "f", "s",
                    "{\"undo_depth\":1,\"redo_depth\":0,\"undo_label\":\"base\",\"redo_label\":null" NO_META_NOT_CLEAN);
  ws_store_close(store);
}

/* --- Waiting ---------------------------------------------------------------------------- */

static double seconds_now(void) {
  struct timespec t;
  CHECK(clock_gettime(CLOCK_MONOTONIC, &t) == 0);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

struct writer {
  ws_store *store; /* the store the thread writes through */
  const char *session;
  int64_t revision; /* the revision its write took */
};

static void *write_once(void *arg) {
  struct writer *w = (struct writer *)arg;
  CHECK_OK(ws_update_state(w->store, "f", w->session, "{\"woke\":true}"));
  w->revision = revision(w->store, "f", w->session);
  return NULL;
}

static void test_wait(void) {
  char path[4096];
  ws_store *store = open_file("test_feed_wait", path, sizeof path, 1);
  ws_store *other = NULL;
  int64_t seq = -1;
  int64_t now;
  double start;
  pthread_t thread;
  struct writer w;

  CHECK_OK(ws_store_open(path, &other));
  /* 0 only looks: at once, with the latest, whether or not anything is new. */
  CHECK_OK(ws_wait_for_change(store, 0, 0, &seq));
  CHECK(seq == 0);
  CHECK_OK(ws_update_state(store, "f", "s", "{}"));
  CHECK_OK(ws_wait_for_change(store, 0, 0, &seq));
  CHECK(seq == 1);
  CHECK_OK(ws_wait_for_change(other, 0, 0, &seq));
  CHECK(seq == 1);
  seq = -1;
  CHECK_OK(ws_wait_for_change(store, 1, 0, &seq));
  CHECK(seq == 1);
  seq = -1;
  CHECK_OK(ws_wait_for_change(store, 5, 0, &seq)); /* after_seq beyond the latest */
  CHECK(seq == 1);

  /* A timeout with nothing new: WS_OK, the unchanged latest, after the timeout. */
  start = seconds_now();
  seq = -1;
  CHECK_OK(ws_wait_for_change(store, 1, 60, &seq));
  CHECK(seq == 1);
  CHECK(seconds_now() - start >= 0.059);
  /* A no-op write does not wake a waiter either. */
  CHECK_OK(ws_update_state(other, "f", "s", "{}"));
  seq = -1;
  CHECK_OK(ws_wait_for_change(store, 1, 20, &seq));
  CHECK(seq == 1);

  /* Bad arguments. */
  seq = 5;
  CHECK_STATUS(ws_wait_for_change(store, -1, 0, &seq), WS_INVALID_ARGUMENT);
  CHECK_MESSAGE_HAS("after_seq -1 is negative");
  CHECK(seq == 0);
  seq = 5;
  CHECK_STATUS(ws_wait_for_change(store, INT64_MIN, -1, &seq), WS_INVALID_ARGUMENT);
  CHECK_MESSAGE_HAS("after_seq");
  CHECK(seq == 0);

  /* Waking without a limit on another store's commit, made by a thread. Whether the
   * thread commits before or after the wait begins, the wait must return exactly its
   * number (a wait that returned early, or never, fails: the test would hang and CTest's
   * timeout would fail it). */
  now = latest(store);
  w.store = other;
  w.session = "by-other-store";
  w.revision = 0;
  CHECK(pthread_create(&thread, NULL, write_once, &w) == 0);
  seq = -1;
  CHECK_OK(ws_wait_for_change(store, now, -1, &seq));
  CHECK(seq == now + 1);
  CHECK(pthread_join(thread, NULL) == 0);
  CHECK(w.revision == seq);

  /* The same, the thread writing through the very store the waiter waits on (so the
   * waiter does not hold it), with a long timeout. */
  now = latest(store);
  w.store = store;
  w.session = "by-same-store";
  CHECK(pthread_create(&thread, NULL, write_once, &w) == 0);
  seq = -1;
  start = seconds_now();
  CHECK_OK(ws_wait_for_change(store, now, 600000, &seq));
  CHECK(seq == now + 1);
  CHECK(seconds_now() - start < 300);
  CHECK(pthread_join(thread, NULL) == 0);
  CHECK(w.revision == seq);

  ws_store_close(other);
  ws_store_close(store);
}

/* ws_wait_for_change in this process wakes on a commit by a child process, which opens
 * its own store on the file after the fork (a store is never shared across fork), writes
 * once the parent tells it to through a pipe, and sends back the revision it took and the
 * time (CLOCK_MONOTONIC, the same clock in both processes) right after its commit. The
 * latency is printed, not asserted (the header promises 50 ms; valgrind is slower). */
static void test_wait_across_processes(void) {
  enum { ROUNDS = 3 };
  char path[4096];
  const char *dir = fresh_dir("test_feed_processes");
  int go[2], back[2];
  pid_t child;
  int round;
  int status = 0;

  path_in(path, sizeof path, dir, "store.db");
  {
    ws_store *setup = NULL;
    CHECK_OK(ws_store_open(path, &setup));
    CHECK_OK(ws_update_state(setup, "f", "s", "{\"round\":0}"));
    ws_store_close(setup);
  }
  CHECK(pipe(go) == 0 && pipe(back) == 0);
  fflush(stdout);
  fflush(stderr);
  child = fork();
  CHECK(child >= 0);
  if (child == 0) {
    ws_store *store = NULL;
    char byte;
    close(go[1]);
    close(back[0]);
    CHECK_OK(ws_store_open(path, &store));
    while (read(go[0], &byte, 1) == 1) {
      char updates[64];
      struct {
        int64_t revision;
        double committed;
      } report;
      snprintf(updates, sizeof updates, "{\"round\":%d}", (int)byte);
      CHECK_OK(ws_update_state(store, "f", "s", updates));
      report.committed = seconds_now();
      report.revision = revision(store, "f", "s");
      CHECK(write(back[1], &report, sizeof report) == (ssize_t)sizeof report);
    }
    ws_store_close(store);
    _exit(0);
  }
  close(go[0]);
  close(back[1]);
  {
    ws_store *store = NULL;
    CHECK_OK(ws_store_open(path, &store));
    for (round = 1; round <= ROUNDS; round++) {
      char byte = (char)round;
      int64_t before = latest(store);
      int64_t seq = -1;
      double woke;
      struct {
        int64_t revision;
        double committed;
      } report;
      CHECK(write(go[1], &byte, 1) == 1);
      CHECK_OK(ws_wait_for_change(store, before, 120000, &seq));
      woke = seconds_now();
      CHECK(seq > before);
      CHECK(read(back[0], &report, sizeof report) == (ssize_t)sizeof report);
      CHECK(report.revision == seq);
      printf("wake across processes, round %d: %.2f ms after the child's commit returned\n", round,
             (woke - report.committed) * 1000.0);
    }
    ws_store_close(store);
  }
  close(go[1]);
  CHECK(waitpid(child, &status, 0) == child);
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  close(back[0]);
}

int main(void) {
  atexit(print_context);
  test_arguments();
  test_revisions();
  test_feed_deletions();
  test_paging();
  test_flow_filter();
  test_apply_bad_input();
  test_wait();
  test_wait_across_processes();
  g_done = 1;
  printf("test_feed: all checks passed\n");
  return 0;
}
