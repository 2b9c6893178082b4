/* ws_export / ws_import (the header's "Exports sessions ..." and "Imports the sessions
 * ..."): a file's sessions, with large states kept as shared chunks, exported and imported
 * into a second file, where ws_get_session (but for the revision), ws_undo_status, the
 * history and every step of undo and redo give what they give in the first; an import
 * over existing sessions with and without replace; each refusal with its status and exact
 * message, and nothing changed by it. */
#include "check.h"
#include "table_check.h"

#include <inttypes.h>

static char g_source_path[4096], g_target_path[4096];

static int64_t latest(ws_store *store) {
  int64_t seq = -1;
  CHECK_OK(ws_latest_seq(store, &seq));
  return seq;
}

static int64_t revision(ws_store *store, const char *flow, const char *session) {
  int64_t rev = -1;
  CHECK_OK(ws_get_revision(store, flow, session, &rev));
  return rev;
}

/* `text` (malloc'd) with its `"revision":N` member cut out. */
static char *without_revision(char *text) {
  char *at = strstr(text, "\"revision\":");
  char *end;
  CHECK(at != NULL);
  end = at + strlen("\"revision\":");
  while (*end >= '0' && *end <= '9') end++;
  if (*end == ',') end++;
  else if (at > text && at[-1] == ',') at--;
  memmove(at, end, strlen(end) + 1);
  return text;
}

/* What a user sees of a session, but for its revision, as one malloc'd string:
 * ws_get_session, ws_undo_status, the history's length and newest snapshot. Without
 * `updated_at` either when `moving` (an undo or redo sets it to now: two stores' may fall
 * in two seconds). */
static char *seen_but(ws_store *store, const char *flow, const char *session, int moving) {
  char *got = DUMMY, *status = DUMMY, *peek = DUMMY, *all;
  size_t len = 99, size;
  CHECK_OK(ws_get_session(store, flow, session, &got));
  CHECK(got != NULL && got != DUMMY);
  got = without_revision(take(got));
  if (moving) {
    char *at = strstr(got, ",\"updated_at\":\"");
    CHECK(at != NULL && strlen(at) >= 36);
    memmove(at, at + 35, strlen(at + 35) + 1);
  }
  CHECK_OK(ws_undo_status(store, flow, session, &status));
  status = take(status);
  CHECK_OK(ws_history_len(store, flow, session, &len));
  CHECK_OK(ws_history_peek(store, flow, session, &peek));
  CHECK(peek != DUMMY);
  peek = take(peek);
  size = strlen(got) + strlen(status) + (peek ? strlen(peek) : 4) + 64;
  all = (char *)malloc(size);
  CHECK(all != NULL);
  snprintf(all, size, "%s|%s|%lu|%s", got, status, (unsigned long)len, peek ? peek : "NULL");
  free(got);
  free(status);
  free(peek);
  return all;
}

static char *seen(ws_store *store, const char *flow, const char *session) {
  return seen_but(store, flow, session, 0);
}

#define CHECK_SEEN_ALIKE(a, b, flow, session, moving)              \
  do {                                                             \
    char *seen_a_ = seen_but((a), (flow), (session), (moving));    \
    char *seen_b_ = seen_but((b), (flow), (session), (moving));    \
    check_str_at(__FILE__, __LINE__, "seen", seen_b_, seen_a_); \
    free(seen_a_);                                            \
    free(seen_b_);                                            \
  } while (0)

/* An undo or redo result without its revision, malloc'd. */
static char *travel(ws_store *store, const char *flow, const char *session, int undo) {
  char *out = DUMMY;
  if (undo) CHECK_OK(ws_undo_with(store, flow, session, &out));
  else CHECK_OK(ws_redo_with(store, flow, session, &out));
  CHECK(out != NULL && out != DUMMY);
  return without_revision(take(out));
}

/* Walks both sessions' undo stacks down, their redo stacks up and down again, then pops
 * their histories, checking at every step that both show the same; returns how many
 * steps were clean. */
static int walk_alike(ws_store *a, ws_store *b, const char *flow, const char *session) {
  int pass, clean = 0;
  for (pass = 0; pass < 3; pass++) {
    for (;;) {
      char *ta = travel(a, flow, session, pass != 1), *tb = travel(b, flow, session, pass != 1);
      char *status = seen(a, flow, session);
      int done = strncmp(ta, "{\"done\":true", 12) == 0;
      CHECK_STR(tb, ta);
      CHECK_SEEN_ALIKE(a, b, flow, session, 1);
      clean += strstr(status, "\"clean\":true") != NULL;
      free(ta);
      free(tb);
      free(status);
      if (!done) break;
    }
  }
  for (;;) {
    char *pa = DUMMY, *pb = DUMMY;
    CHECK_OK(ws_history_pop(a, flow, session, &pa));
    CHECK_OK(ws_history_pop(b, flow, session, &pb));
    CHECK_STR(pb, pa);
    ws_string_free(pb);
    if (pa == NULL) break;
    ws_string_free(pa);
  }
  return clean;
}

/* A state of about 150 KB whose item `edit` holds `v`: far above the 64 KiB from which
 * undo and redo snapshots are kept as shared chunks. */
static char *big_state(int edit, int v) {
  size_t size = 200000, n = 0;
  char *text = (char *)malloc(size);
  int i;
  CHECK(text != NULL);
  n += (size_t)snprintf(text + n, size - n, "{\"items\":[");
  for (i = 0; i < 2500; i++) {
    n += (size_t)snprintf(text + n, size - n, "%s\"item %d of the document \xc3\xa9\xe2\x82\xac, value %d\"",
                          i ? "," : "", i, i == edit ? v : i);
    CHECK(n < size);
  }
  n += (size_t)snprintf(text + n, size - n, "],\"v\":%d}", v);
  CHECK(n < size);
  return text;
}

/* The source file's sessions: "f:a" with a label, a step, history snapshots, labelled undo
 * entries with metas, a clean mark and a pending redo; "f:big" with large states; "g:x"
 * of another flow, clean at its present state. */
static void make_sources(ws_store *store) {
  char *id = DUMMY;
  bool done = false;
  int v;
  CHECK_OK(ws_create_session(store, "f", "a", "Draft \xc3\xa9", &id));
  ws_string_free(id);
  CHECK_OK(ws_history_push(store, "f", "a", "{\"snap\":1}"));
  CHECK_OK(ws_history_push(store, "f", "a", "[2,3.50]"));
  for (v = 0; v < 4; v++) {
    char state[64], step[16], checkpoint[128];
    snprintf(state, sizeof state, "{\"v\":%d,\"text\":\"line %d\"}", v, v);
    snprintf(step, sizeof step, "step%d", v);
    snprintf(checkpoint, sizeof checkpoint, "{\"label\":\"edit %d\",\"meta\":{\"cursor\":[%d,1]}}", v, v);
    CHECK_OK(ws_update_state(store, "f", "a", state));
    CHECK_OK(ws_set_current_step(store, "f", "a", step));
    CHECK_OK(ws_checkpoint_with(store, "f", "a", checkpoint));
    if (v == 1) CHECK_OK(ws_set_clean(store, "f", "a"));
  }
  CHECK_OK(ws_update_state(store, "f", "a", "{\"v\":4}"));
  CHECK_OK(ws_undo(store, "f", "a", &done));
  CHECK(done);
  for (v = 0; v < 3; v++) {
    char *state = big_state(v * 700, v), label[16];
    snprintf(label, sizeof label, "big %d", v);
    CHECK_OK(ws_update_state(store, "f", "big", state));
    CHECK_OK(ws_checkpoint(store, "f", "big", label));
    free(state);
  }
  CHECK_OK(ws_update_state(store, "f", "big", "{\"items\":[],\"v\":9}"));
  CHECK_OK(ws_undo(store, "f", "big", &done));
  CHECK(done);
  CHECK_OK(ws_update_state(store, "g", "x", "{\"other\":\"flow\"}"));
  CHECK_OK(ws_checkpoint_with(store, "g", "x", "{\"label\":\"only\",\"merge_key\":\"typing\"}"));
  CHECK_OK(ws_set_clean(store, "g", "x"));
}

static char *export_copy(ws_store *store, const char *flow, const char *session) {
  char *out = DUMMY;
  CHECK_OK(ws_export(store, flow, session, &out));
  CHECK(out != NULL && out != DUMMY);
  return take(out);
}

/* Export, then import into a fresh second file: every session behaves as in the first. */
static void test_round_trip(ws_store *source, ws_store *target, const char *document) {
  const char *sessions[][2] = {{"f", "a"}, {"f", "big"}, {"g", "x"}};
  size_t i;
  int clean = 0;
  char *changes = DUMMY;
  CHECK(strncmp(document, "{\"format\":\"workflow_state.export\",\"version\":1,\"sessions\":[", 57) == 0);
  CHECK(strstr(document, "\"flow_id\":\"f\",\"session_id\":\"a\",\"label\":\"Draft \xc3\xa9\"") != NULL);
  CHECK(strstr(document, "\"flow_id\":\"f\",\"session_id\":\"a\"") < strstr(document, "\"session_id\":\"big\""));
  CHECK(strstr(document, "\"session_id\":\"big\"") < strstr(document, "\"flow_id\":\"g\""));
  CHECK(strstr(document, "\"history\":[\"{\\\"snap\\\":1}\",\"[2,3.50]\"]") != NULL);

  CHECK_OK(ws_import(target, document, false));
  CHECK(latest(target) == 3); /* one new number per session in the fresh file */
  CHECK_OK(ws_changes_since(target, NULL, 0, 0, &changes));
  CHECK_STR(changes,
            "{\"changes\":[{\"seq\":1,\"flow_id\":\"f\",\"session_id\":\"a\",\"revision\":1,\"deleted\":false},"
            "{\"seq\":2,\"flow_id\":\"f\",\"session_id\":\"big\",\"revision\":2,\"deleted\":false},"
            "{\"seq\":3,\"flow_id\":\"g\",\"session_id\":\"x\",\"revision\":3,\"deleted\":false}],"
            "\"last_seq\":3,\"more\":false,\"reset\":false}");
  ws_string_free(changes);
  for (i = 0; i < COUNT(sessions); i++) {
    snprintf(g_context, sizeof g_context, "session %s:%s", sessions[i][0], sessions[i][1]);
    CHECK_SEEN_ALIKE(source, target, sessions[i][0], sessions[i][1], 0);
  }
  for (i = 0; i < COUNT(sessions); i++) {
    snprintf(g_context, sizeof g_context, "undo and redo of %s:%s", sessions[i][0], sessions[i][1]);
    clean += walk_alike(source, target, sessions[i][0], sessions[i][1]);
  }
  g_context[0] = '\0';
  CHECK(clean > 0); /* the clean marks came along */
}

/* An import over sessions that exist: refused whole without replace; with it, the
 * document's sessions replaced whole and the others left alone. */
static void test_replace(ws_store *target, const char *document) {
  char *before = export_copy(target, NULL, NULL), *mine = DUMMY, *flow_f, *after;
  int64_t seq = latest(target), mine_rev, x_rev;
  bool done = false;

  CHECK_STATUS(ws_import(target, document, false), WS_ALREADY_EXISTS);
  CHECK_STR(ws_last_error_message(),
            "session \"a\" of flow \"f\" (sessions[0]) already exists: import with replace to overwrite it, "
            "or delete it first; nothing was imported");
  CHECK(latest(target) == seq);
  after = export_copy(target, NULL, NULL);
  CHECK_STR(after, before);
  free(after);

  /* Changes that the replace must undo, and a session it must leave alone. */
  flow_f = export_copy(target, "f", NULL);
  CHECK_OK(ws_update_state(target, "f", "a", "{\"changed\":true}"));
  CHECK_OK(ws_checkpoint(target, "f", "a", "later"));
  CHECK_OK(ws_history_push(target, "f", "a", "{\"later\":1}"));
  CHECK_OK(ws_set_session_label(target, "f", "a", "Renamed"));
  CHECK_OK(ws_undo(target, "f", "big", &done));
  CHECK_OK(ws_create_session(target, "f", "mine", NULL, &mine));
  ws_string_free(mine);
  CHECK_OK(ws_update_state(target, "f", "mine", "{\"mine\":1}"));
  mine_rev = revision(target, "f", "mine");
  x_rev = revision(target, "g", "x");

  CHECK_OK(ws_import(target, flow_f, true));
  after = export_copy(target, "f", NULL);
  {
    /* The flow as before (its versions too: none was renumbered in the same file), plus
     * "mine"; "g:x" untouched. */
    char *cut = strstr(after, ",{\"flow_id\":\"f\",\"session_id\":\"mine\"");
    CHECK(cut != NULL);
    CHECK(strncmp(after, flow_f, (size_t)(cut - after)) == 0);
  }
  CHECK_STATE(target, "f", "mine", "{\"mine\":1}");
  CHECK(revision(target, "f", "mine") == mine_rev);
  CHECK(revision(target, "g", "x") == x_rev);
  CHECK(revision(target, "f", "a") > x_rev && revision(target, "f", "big") > x_rev);
  free(after);
  free(flow_f);
  free(before);
}

/* The one-session and one-flow exports, and an empty one. */
static void test_scopes(ws_store *source) {
  char *one = export_copy(source, "g", "x"), *flow = export_copy(source, "g", NULL);
  CHECK_STR(one, flow);
  CHECK(strstr(one, "\"session_id\":\"x\"") != NULL && strstr(one, "\"flow_id\":\"f\"") == NULL);
  free(one);
  free(flow);
  CHECK_OUT(ws_export(source, "nobody", NULL, &out_), "{\"format\":\"workflow_state.export\",\"version\":1,\"sessions\":[]}");
  CHECK_OK(ws_import(source, "{\"format\":\"workflow_state.export\",\"version\":1,\"sessions\":[]}", false));
}

#define SESSION_START "{\"format\":\"workflow_state.export\",\"version\":1,\"sessions\":[{\"flow_id\":"
#define SESSION_REST                                                                                   \
  ",\"label\":null,\"current_step\":null,\"state_json\":\"{}\",\"created_at\":null,\"updated_at\":null," \
  "\"history\":[],\"redo\":[],\"present_version\":1,\"clean_version\":null"
#define ENTRY_REST ",\"label\":null,\"current_step\":null,\"meta\":null,\"made_ms\":null,\"version\":null}"

/* Each refusal of both calls: its status, its exact message, every out-parameter reset,
 * and nothing changed. */
static void test_refusals(ws_store *store) {
  struct {
    const char *document;
    ws_status status;
    const char *message;
  } imports[] = {
      {"{", WS_INVALID_JSON, "export_json is not valid JSON: EOF while parsing an object at line 1 column 1"},
      {"[]", WS_INVALID_JSON, "export_json must be a JSON object, got an array"},
      {"{}", WS_INVALID_ARGUMENT,
       "export_json has no member \"format\": it is not a workflow_state export (one begins "
       "{\"format\":\"workflow_state.export\",\"version\":1, ...)"},
      {"{\"format\":\"cjm\",\"version\":1,\"sessions\":[]}", WS_INVALID_ARGUMENT,
       "format is \"cjm\", not \"workflow_state.export\": export_json is not a workflow_state export"},
      {"{\"format\":\"workflow_state.export\",\"sessions\":[]}", WS_INVALID_ARGUMENT,
       "export_json has no member \"version\" (this library reads version 1)"},
      {"{\"format\":\"workflow_state.export\",\"version\":\"1\",\"sessions\":[]}", WS_INVALID_ARGUMENT,
       "version must be an integer, got a string"},
      {"{\"format\":\"workflow_state.export\",\"version\":2,\"sessions\":[]}", WS_INVALID_ARGUMENT,
       "version 2 is newer than this library reads (1): upgrade workflow_state"},
      {"{\"format\":\"workflow_state.export\",\"version\":1,\"sessions\":{}}", WS_INVALID_ARGUMENT,
       "sessions must be an array, got an object"},
      {"{\"format\":\"workflow_state.export\",\"version\":1,\"sessions\":[7]}", WS_INVALID_ARGUMENT,
       "sessions[0] must be an object, got a number"},
      {SESSION_START "\"f\",\"session_id\":\"n\"" SESSION_REST "}]}", WS_INVALID_ARGUMENT,
       "sessions[0] has no member \"undo\""},
      {SESSION_START "\"f:x\",\"session_id\":\"n\"" SESSION_REST ",\"undo\":[]}]}", WS_INVALID_ARGUMENT,
       "sessions[0].flow_id \"f:x\" must not contain ':'"},
      {SESSION_START "\"f\",\"session_id\":\"\"" SESSION_REST ",\"undo\":[]}]}", WS_INVALID_ARGUMENT,
       "sessions[0].session_id must not be empty"},
      {SESSION_START "\"f\",\"session_id\":\"n\"" SESSION_REST ",\"undo\":[{\"snapshot\":5" ENTRY_REST "]}]}",
       WS_INVALID_ARGUMENT, "sessions[0].undo[0].snapshot must be a string or null, got 5"},
      {SESSION_START "\"f\",\"session_id\":\"n\"" SESSION_REST ",\"undo\":[{\"snapshot\":\"[1]\"" ENTRY_REST "]}]}",
       WS_INVALID_ARGUMENT, "sessions[0].undo[0].snapshot is an array, not a JSON object"},
      {SESSION_START "\"f\",\"session_id\":\"n\"" SESSION_REST ",\"undo\":[{\"snapshot\":\"{\\\"a\\\":NaN}\"" ENTRY_REST
                     "]}]}",
       WS_INVALID_ARGUMENT, "sessions[0].undo[0].snapshot is not strict JSON (expected value at line 1 column 6)"},
      {SESSION_START "\"f\",\"session_id\":\"n\"" SESSION_REST ",\"undo\":[],\"colour\":1}]}", WS_INVALID_ARGUMENT,
       "sessions[0] has unknown member \"colour\" (a session has the members flow_id, session_id, label, "
       "current_step, state_json, created_at, updated_at, history, undo, redo, present_version, clean_version)"},
      {SESSION_START "\"f\",\"session_id\":\"n\"" SESSION_REST ",\"undo\":[]},{\"flow_id\":\"f\",\"session_id\":\"n\"" SESSION_REST
                     ",\"undo\":[]}]}",
       WS_INVALID_ARGUMENT,
       "sessions[1] is session \"n\" of flow \"f\" again (as sessions[0]): a document holds each session once"},
      /* Valid, but its second session exists: the first is written, then rolled back. */
      {SESSION_START "\"f\",\"session_id\":\"n\"" SESSION_REST ",\"undo\":[]},{\"flow_id\":\"f\",\"session_id\":\"a\"" SESSION_REST
                     ",\"undo\":[]}]}",
       WS_ALREADY_EXISTS,
       "session \"a\" of flow \"f\" (sessions[1]) already exists: import with replace to overwrite it, or "
       "delete it first; nothing was imported"},
      {NULL, WS_INVALID_ARGUMENT, "export_json must not be NULL"},
      {"\xff", WS_INVALID_ARGUMENT, "export_json is not valid UTF-8 (bad byte at offset 0)"},
  };
  struct {
    const char *flow, *session;
    ws_status status;
    const char *message;
  } exports[] = {
      {"f", "nope", WS_NOT_FOUND, "session \"nope\" of flow \"f\" does not exist: there is nothing to export"},
      {NULL, "a", WS_INVALID_ARGUMENT,
       "session_id is given but flow_id is NULL: a session is named by its flow and its id (give both for one "
       "session, flow_id alone for a flow, neither for every session)"},
      {"f:x", NULL, WS_INVALID_ARGUMENT, "flow_id \"f:x\" must not contain ':'"},
      {"", NULL, WS_INVALID_ARGUMENT, "flow_id must not be empty"},
      {"f", "", WS_INVALID_ARGUMENT, "session_id must not be empty"},
      {"f", "\xc3", WS_INVALID_ARGUMENT, "session_id is not valid UTF-8 (bad byte at offset 0)"},
  };
  char *before = export_copy(store, NULL, NULL), *after, *out;
  int64_t seq = latest(store);
  size_t i;
  int replace;
  for (i = 0; i < COUNT(imports); i++) {
    for (replace = 0; replace <= 1; replace++) {
      char shown[96];
      if (imports[i].status == WS_ALREADY_EXISTS && replace) continue;
      snprintf(g_context, sizeof g_context, "import case %u %s, replace %d", (unsigned)i,
               printable(imports[i].document, shown, sizeof shown), replace);
      CHECK_STATUS(ws_import(store, imports[i].document, replace != 0), imports[i].status);
      CHECK_STR(ws_last_error_message(), imports[i].message);
      CHECK(latest(store) == seq);
      CHECK(!exists(store, "f", "n"));
    }
  }
  for (i = 0; i < COUNT(exports); i++) {
    snprintf(g_context, sizeof g_context, "export case %u", (unsigned)i);
    out = DUMMY;
    CHECK_STATUS(ws_export(store, exports[i].flow, exports[i].session, &out), exports[i].status);
    CHECK_STR(ws_last_error_message(), exports[i].message);
    CHECK(out == NULL);
  }
  g_context[0] = '\0';
  out = DUMMY;
  CHECK_STATUS(ws_export(NULL, NULL, NULL, &out), WS_INVALID_ARGUMENT);
  CHECK_STR(ws_last_error_message(), "store must not be NULL");
  CHECK(out == NULL);
  CHECK_STATUS(ws_export(store, NULL, NULL, NULL), WS_INVALID_ARGUMENT);
  CHECK_STR(ws_last_error_message(), "out_export_json must not be NULL");
  CHECK_STATUS(ws_import(NULL, before, true), WS_INVALID_ARGUMENT);
  CHECK_STR(ws_last_error_message(), "store must not be NULL");
  after = export_copy(store, NULL, NULL);
  CHECK_STR(after, before);
  CHECK(latest(store) == seq);
  free(after);
  free(before);
}

/* A read-only store exports and refuses to import. */
static void test_read_only(const char *path, const char *document) {
  ws_store *reader = NULL;
  char *again;
  CHECK_OK(ws_store_open_with(path, "{\"read_only\":true}", &reader));
  again = export_copy(reader, NULL, NULL);
  CHECK_STR(again, document);
  CHECK_STATUS(ws_import(reader, document, true), WS_IO);
  CHECK_STR(ws_last_error_message(), "cannot import 3 sessions: the store was opened read_only");
  free(again);
  ws_store_close(reader);
}

int main(void) {
  /* The contract's signatures, exactly. */
  ws_status (*export_fn)(ws_store *, const char *, const char *, char **) = ws_export;
  ws_status (*import_fn)(ws_store *, const char *, bool) = ws_import;
  ws_store *source, *target;
  char *document;
  (void)export_fn;
  (void)import_fn;
  (void)open_memory; /* table_check.h's helpers this test has no use for */
  (void)next_second;
  (void)snapshot;
  (void)summary_copy;
  atexit(print_context);
  source = open_file("test_export", g_source_path, sizeof g_source_path, 1);
  path_in(g_target_path, sizeof g_target_path, "test_export.d", "target.db");
  target = open_file("test_export", g_target_path, sizeof g_target_path, 0);
  make_sources(source);
  document = export_copy(source, NULL, NULL);
  test_read_only(g_source_path, document);
  test_scopes(source);
  test_round_trip(source, target, document);
  test_replace(target, document);
  test_refusals(target);
  free(document);
  ws_store_close(target);
  ws_store_close(source);
  g_done = 1;
  printf("test_export: ok\n");
  return 0;
}
