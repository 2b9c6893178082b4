/* Undo for editors, from C (the header's ws_checkpoint_with, ws_undo_with, ws_redo_with,
 * ws_set_clean, ws_undo_status's undo_meta / redo_meta / clean, and the open option
 * max_history_bytes): keystrokes merged into one step, meta handed back by undo and
 * redo, no empty steps, the clean mark as a position in the history (through a restart
 * and a second store on the file), the byte budget, and the errors.
 *
 * Merge windows are 60 s unless a test is about the window, so that no result depends on
 * how fast the machine (or valgrind) is. */
#include "check.h"
#include "table_check.h"

#include <stdint.h>

#define FLOW "editor"
#define BIG_WINDOW 60000

/* A library string as a malloc'd copy, for comparing before and after a call. */
static char *undo_status_copy(ws_store *store, const char *session) {
  char *status = DUMMY;
  CHECK_OK(ws_undo_status(store, FLOW, session, &status));
  CHECK(status != NULL && status != DUMMY);
  return take(status);
}

static int64_t latest(ws_store *store) {
  int64_t seq = -1;
  CHECK_OK(ws_latest_seq(store, &seq));
  return seq;
}

static int64_t revision_of(ws_store *store, const char *session) {
  int64_t revision = -1;
  CHECK_OK(ws_get_revision(store, FLOW, session, &revision));
  return revision;
}

static bool is_clean(ws_store *store, const char *session) {
  char *status = undo_status_copy(store, session);
  bool clean = strstr(status, ",\"clean\":true}") != NULL;
  CHECK(clean || strstr(status, ",\"clean\":false}") != NULL);
  free(status);
  return clean;
}

static size_t depth(ws_store *store, const char *session, const char *which) {
  char *status = undo_status_copy(store, session);
  char needle[32];
  const char *at;
  size_t n;
  snprintf(needle, sizeof needle, "\"%s_depth\":", which);
  at = strstr(status, needle);
  CHECK(at != NULL);
  n = (size_t)strtoul(at + strlen(needle), NULL, 10);
  free(status);
  return n;
}

/* Sets the session's text, {"t": text}. */
static void set_text(ws_store *store, const char *session, const char *text) {
  char updates[256];
  CHECK((size_t)snprintf(updates, sizeof updates, "{\"t\":\"%s\"}", text) < sizeof updates);
  CHECK_OK(ws_update_state(store, FLOW, session, updates));
}

static void check_text_at(const char *file, int line, ws_store *store, const char *session,
                          const char *text) {
  char expected[256];
  char *state = state_copy(store, FLOW, session);
  snprintf(expected, sizeof expected, "{\"t\":\"%s\"}", text);
  check_str_at(file, line, "the session's state", state, expected);
  free(state);
}
#define CHECK_TEXT(store, session, text) check_text_at(__FILE__, __LINE__, (store), (session), (text))

/* A typing checkpoint with `merge_key`, the window and the cursor as meta, then the edit
 * that sets the text: one keystroke of an editor. */
static void keystroke(ws_store *store, const char *session, const char *merge_key, int window_ms,
                      int cursor, const char *text) {
  char checkpoint[256];
  snprintf(checkpoint, sizeof checkpoint,
           "{\"label\":\"Typing\",\"merge_key\":\"%s\",\"merge_window_ms\":%d,"
           "\"meta\":{\"cursor\":%d}}",
           merge_key, window_ms, cursor);
  CHECK_OK(ws_checkpoint_with(store, FLOW, session, checkpoint));
  set_text(store, session, text);
}

/* A checkpoint that is a step of its own (no merge_key), then the edit. */
static void command(ws_store *store, const char *session, const char *label, const char *text) {
  char checkpoint[128];
  snprintf(checkpoint, sizeof checkpoint, "{\"label\":\"%s\"}", label);
  CHECK_OK(ws_checkpoint_with(store, FLOW, session, checkpoint));
  set_text(store, session, text);
}

/* ws_undo_with (undo) or ws_redo_with must give exactly {<fields>,"revision":R}, where R
 * is the session's revision after the call; a move takes exactly one number of the
 * change sequence (R is then the latest), "done":false takes none. */
static void check_travel_at(const char *file, int line, ws_store *store, const char *session,
                            int undo, const char *fields) {
  char expected[512];
  char *result = DUMMY;
  int64_t seq = latest(store), before = revision_of(store, session), after;
  bool done = strncmp(fields, "\"done\":true", 11) == 0;
  if (undo) CHECK_OK(ws_undo_with(store, FLOW, session, &result));
  else CHECK_OK(ws_redo_with(store, FLOW, session, &result));
  after = revision_of(store, session);
  snprintf(expected, sizeof expected, "{%s,\"revision\":%lld}", fields, (long long)after);
  check_str_at(file, line, undo ? "ws_undo_with's result" : "ws_redo_with's result", result,
               expected);
  ws_string_free(result);
  if (done ? !(after == seq + 1 && latest(store) == after) : !(after == before && latest(store) == seq)) {
    fprintf(stderr, "%s:%d: revision %lld -> %lld, latest %lld -> %lld\n", file, line,
            (long long)before, (long long)after, (long long)seq, (long long)latest(store));
    exit(1);
  }
}
#define CHECK_UNDO_WITH(store, session, fields) \
  check_travel_at(__FILE__, __LINE__, (store), (session), 1, (fields))
#define CHECK_REDO_WITH(store, session, fields) \
  check_travel_at(__FILE__, __LINE__, (store), (session), 0, (fields))

#define UNDONE_TYPING(cursor) "\"done\":true,\"label\":\"Typing\",\"meta\":{\"cursor\":" #cursor "}"
#define NOTHING "\"done\":false,\"label\":null,\"meta\":null"

/* ------------------------------------------------------------------------------------ */

static void test_keystrokes_merge(void) {
  ws_store *store = open_memory();
  const char *doc = "merge";
  int64_t seq;

  set_text(store, doc, "");
  keystroke(store, doc, "typing", BIG_WINDOW, 0, "h");
  /* A merged checkpoint pushes nothing and takes no revision. */
  seq = latest(store);
  CHECK_OK(ws_checkpoint_with(store, FLOW, doc,
                              "{\"label\":\"Typing\",\"merge_key\":\"typing\",\"merge_window_ms\":60000,"
                              "\"meta\":{\"cursor\":1}}"));
  CHECK(latest(store) == seq && revision_of(store, doc) == seq);
  set_text(store, doc, "hi");
  keystroke(store, doc, "typing", BIG_WINDOW, 2, "hi!");
  /* One step, with the label and meta of the run's first keystroke. */
  CHECK_UNDO_STATUS(store, FLOW, doc,
                    "{\"undo_depth\":1,\"redo_depth\":0,\"undo_label\":\"Typing\",\"redo_label\":null,"
                    "\"undo_meta\":{\"cursor\":0},\"redo_meta\":null,\"clean\":false}");
  CHECK_UNDO_WITH(store, doc, UNDONE_TYPING(0));
  CHECK_TEXT(store, doc, "");
  CHECK_UNDO_WITH(store, doc, NOTHING);
  CHECK_REDO_WITH(store, doc, UNDONE_TYPING(0));
  CHECK_TEXT(store, doc, "hi!");

  /* A checkpoint with another key, or with none, ends the run: each run is a step. */
  CHECK_OK(ws_delete_session(store, FLOW, doc));
  set_text(store, doc, "");
  keystroke(store, doc, "typing", BIG_WINDOW, 0, "a");
  keystroke(store, doc, "typing", BIG_WINDOW, 1, "ab");
  keystroke(store, doc, "paste", BIG_WINDOW, 2, "abXY");
  keystroke(store, doc, "typing", BIG_WINDOW, 4, "abXYc");
  command(store, doc, "Upper case", "ABXYC");
  keystroke(store, doc, "typing", BIG_WINDOW, 5, "ABXYCd");
  keystroke(store, doc, "typing", BIG_WINDOW, 6, "ABXYCde");
  CHECK(depth(store, doc, "undo") == 5);
  CHECK_UNDO_WITH(store, doc, UNDONE_TYPING(5));
  CHECK_TEXT(store, doc, "ABXYC");
  CHECK_UNDO_WITH(store, doc, "\"done\":true,\"label\":\"Upper case\",\"meta\":null");
  CHECK_TEXT(store, doc, "abXYc");
  CHECK_UNDO_WITH(store, doc, UNDONE_TYPING(4));
  CHECK_TEXT(store, doc, "abXY");
  CHECK_UNDO_WITH(store, doc, UNDONE_TYPING(2));
  CHECK_TEXT(store, doc, "ab");
  CHECK_UNDO_WITH(store, doc, UNDONE_TYPING(0));
  CHECK_TEXT(store, doc, "");
  CHECK_UNDO_WITH(store, doc, NOTHING);

  /* A window of 0 never merges. */
  CHECK_OK(ws_delete_session(store, FLOW, doc));
  set_text(store, doc, "");
  keystroke(store, doc, "typing", 0, 0, "a");
  keystroke(store, doc, "typing", 0, 1, "ab");
  keystroke(store, doc, "typing", 0, 2, "abc");
  CHECK(depth(store, doc, "undo") == 3);

  /* Past the window a new step starts. (Waiting for the time to pass, not to synchronise
   * with anything: once 5 ms have gone by, the 1 ms window is over whatever the speed.) */
  CHECK_OK(ws_delete_session(store, FLOW, doc));
  set_text(store, doc, "");
  keystroke(store, doc, "typing", 1, 0, "a");
  sleep_ms(5);
  keystroke(store, doc, "typing", 1, 1, "ab");
  CHECK(depth(store, doc, "undo") == 2);
  CHECK_UNDO_WITH(store, doc, UNDONE_TYPING(1));
  CHECK_TEXT(store, doc, "a");

  ws_store_close(store);
}

static void test_undo_and_redo_end_the_run(void) {
  ws_store *store = open_memory();
  const char *doc = "run";

  /* A run, a run with another key, an undo of the second: a keystroke with the first
   * run's key now starts a step of its own (the undo ended every run, and there is a
   * redo pending), and discards the redo. */
  set_text(store, doc, "");
  keystroke(store, doc, "typing", BIG_WINDOW, 0, "a");
  keystroke(store, doc, "typing", BIG_WINDOW, 1, "ab");
  keystroke(store, doc, "paste", BIG_WINDOW, 2, "abXY");
  CHECK_UNDO_WITH(store, doc, UNDONE_TYPING(2));
  CHECK_TEXT(store, doc, "ab");
  CHECK(depth(store, doc, "redo") == 1);
  keystroke(store, doc, "typing", BIG_WINDOW, 2, "abc");
  CHECK_UNDO_STATUS(store, FLOW, doc,
                    "{\"undo_depth\":2,\"redo_depth\":0,\"undo_label\":\"Typing\",\"redo_label\":null,"
                    "\"undo_meta\":{\"cursor\":2},\"redo_meta\":null,\"clean\":false}");
  CHECK_UNDO_WITH(store, doc, UNDONE_TYPING(2));
  CHECK_TEXT(store, doc, "ab");

  /* A redo ends the run too: the next keystroke is a new step. */
  CHECK_REDO_WITH(store, doc, UNDONE_TYPING(2));
  CHECK_TEXT(store, doc, "abc");
  keystroke(store, doc, "typing", BIG_WINDOW, 3, "abcd");
  CHECK(depth(store, doc, "undo") == 3);
  CHECK_UNDO_WITH(store, doc, UNDONE_TYPING(3));
  CHECK_TEXT(store, doc, "abc");

  ws_store_close(store);
}

static void test_meta_moves_with_its_entry(void) {
  ws_store *store = open_memory();
  const char *doc = "meta";
  char *status;

  /* Any JSON value, stored compact; undo and redo both return the entry's meta. */
  set_text(store, doc, "one");
  CHECK_OK(ws_checkpoint_with(store, FLOW, doc,
                              "{ \"meta\" : { \"selection\" : [ 1 , 3 ] , \"by\" : \"ann\" } ,"
                              " \"label\" : \"Bold\" }"));
  set_text(store, doc, "two");
  CHECK_OK(ws_checkpoint_with(store, FLOW, doc, "{\"meta\":\"scrolled\"}"));
  set_text(store, doc, "three");
  CHECK_OK(ws_checkpoint_with(store, FLOW, doc, NULL)); /* {}: no label, no meta */
  set_text(store, doc, "four");
  CHECK_UNDO_STATUS(store, FLOW, doc,
                    "{\"undo_depth\":3,\"redo_depth\":0,\"undo_label\":null,\"redo_label\":null,"
                    "\"undo_meta\":null,\"redo_meta\":null,\"clean\":false}");
  CHECK_UNDO_WITH(store, doc, "\"done\":true,\"label\":null,\"meta\":null");
  CHECK_UNDO_WITH(store, doc, "\"done\":true,\"label\":null,\"meta\":\"scrolled\"");
  CHECK_UNDO_STATUS(store, FLOW, doc,
                    "{\"undo_depth\":1,\"redo_depth\":2,\"undo_label\":\"Bold\",\"redo_label\":null,"
                    "\"undo_meta\":{\"selection\":[1,3],\"by\":\"ann\"},\"redo_meta\":\"scrolled\","
                    "\"clean\":false}");
  CHECK_UNDO_WITH(store, doc,
                  "\"done\":true,\"label\":\"Bold\",\"meta\":{\"selection\":[1,3],\"by\":\"ann\"}");
  CHECK_TEXT(store, doc, "one");
  CHECK_UNDO_WITH(store, doc, NOTHING);
  CHECK_REDO_WITH(store, doc,
                  "\"done\":true,\"label\":\"Bold\",\"meta\":{\"selection\":[1,3],\"by\":\"ann\"}");
  CHECK_TEXT(store, doc, "two");
  CHECK_REDO_WITH(store, doc, "\"done\":true,\"label\":null,\"meta\":\"scrolled\"");
  CHECK_REDO_WITH(store, doc, "\"done\":true,\"label\":null,\"meta\":null");
  CHECK_TEXT(store, doc, "four");
  CHECK_REDO_WITH(store, doc, NOTHING);

  /* A session that does not exist: nothing to undo or redo, revision 0, not created. */
  CHECK_UNDO_WITH(store, "absent", NOTHING);
  CHECK_REDO_WITH(store, "absent", NOTHING);
  CHECK(!exists(store, FLOW, "absent"));
  status = undo_status_copy(store, "absent");
  CHECK_STR(status, "{\"undo_depth\":0,\"redo_depth\":0,\"undo_label\":null,\"redo_label\":null,"
                    "\"undo_meta\":null,\"redo_meta\":null,\"clean\":false}");
  free(status);

  ws_store_close(store);
}

static void test_no_empty_steps(void) {
  ws_store *store = open_memory();
  const char *doc = "noop";
  int64_t seq;

  set_text(store, doc, "a");
  CHECK_OK(ws_checkpoint_with(store, FLOW, doc, "{\"label\":\"First\"}"));
  CHECK(depth(store, doc, "undo") == 1);
  /* The newest entry holds this state and step: nothing pushed, no number taken, with or
   * without a label, a meta or a merge key. */
  seq = latest(store);
  CHECK_OK(ws_checkpoint_with(store, FLOW, doc, "{\"label\":\"Again\",\"meta\":{\"cursor\":9}}"));
  CHECK_OK(ws_checkpoint_with(store, FLOW, doc, NULL));
  CHECK_OK(ws_checkpoint_with(store, FLOW, doc, "{\"merge_key\":\"typing\"}"));
  CHECK(latest(store) == seq && revision_of(store, doc) == seq);
  CHECK_UNDO_STATUS(store, FLOW, doc,
                    "{\"undo_depth\":1,\"redo_depth\":0,\"undo_label\":\"First\",\"redo_label\":null,"
                    "\"undo_meta\":null,\"redo_meta\":null,\"clean\":false}");

  /* An edit back to the same text still makes a state the entry does not hold by
   * position, but it has the same text and step: no step either. */
  set_text(store, doc, "b");
  set_text(store, doc, "a");
  seq = latest(store);
  CHECK_OK(ws_checkpoint_with(store, FLOW, doc, "{\"label\":\"Same text\"}"));
  CHECK(latest(store) == seq && depth(store, doc, "undo") == 1);

  /* Another current step is another state: pushed. */
  CHECK_OK(ws_set_current_step(store, FLOW, doc, "review"));
  seq = latest(store);
  CHECK_OK(ws_checkpoint_with(store, FLOW, doc, "{\"label\":\"Step\"}"));
  CHECK(latest(store) == seq + 1 && revision_of(store, doc) == seq + 1);
  CHECK(depth(store, doc, "undo") == 2);

  /* The 0.1 ws_checkpoint keeps pushing. */
  CHECK_OK(ws_checkpoint(store, FLOW, doc, "Old"));
  CHECK(latest(store) == seq + 2 && depth(store, doc, "undo") == 3);

  ws_store_close(store);
}

static void test_clean_mark(void) {
  ws_store *store = open_memory();
  const char *doc = "clean";
  int64_t seq;

  set_text(store, doc, "saved");
  CHECK(!is_clean(store, doc));
  seq = latest(store);
  CHECK_OK(ws_set_clean(store, FLOW, doc));
  CHECK(latest(store) == seq + 1 && revision_of(store, doc) == seq + 1);
  CHECK(is_clean(store, doc));
  /* Marking the marked state again changes nothing. */
  CHECK_OK(ws_set_clean(store, FLOW, doc));
  CHECK(latest(store) == seq + 1);

  /* A checkpoint leaves the flag as it was; the edit after it clears it. */
  CHECK_OK(ws_checkpoint_with(store, FLOW, doc, "{\"label\":\"Edit\"}"));
  CHECK(is_clean(store, doc));
  set_text(store, doc, "edited");
  CHECK(!is_clean(store, doc));
  /* Undo back to the saved state: clean; redo away: not; undo again: clean. */
  CHECK_UNDO_WITH(store, doc, "\"done\":true,\"label\":\"Edit\",\"meta\":null");
  CHECK(is_clean(store, doc));
  CHECK_REDO_WITH(store, doc, "\"done\":true,\"label\":\"Edit\",\"meta\":null");
  CHECK(!is_clean(store, doc));
  CHECK_UNDO_WITH(store, doc, "\"done\":true,\"label\":\"Edit\",\"meta\":null");
  CHECK(is_clean(store, doc));

  /* Saved at the newer state, reached again by redo. */
  CHECK_REDO_WITH(store, doc, "\"done\":true,\"label\":\"Edit\",\"meta\":null");
  CHECK_OK(ws_set_clean(store, FLOW, doc));
  CHECK(is_clean(store, doc));
  CHECK_UNDO_WITH(store, doc, "\"done\":true,\"label\":\"Edit\",\"meta\":null");
  CHECK(!is_clean(store, doc));
  CHECK_REDO_WITH(store, doc, "\"done\":true,\"label\":\"Edit\",\"meta\":null");
  CHECK(is_clean(store, doc));

  /* The mark ends a merge run: typing before and after a save are two steps, so an undo
   * lands on the saved text. */
  keystroke(store, doc, "typing", BIG_WINDOW, 0, "edited1");
  CHECK_OK(ws_set_clean(store, FLOW, doc));
  keystroke(store, doc, "typing", BIG_WINDOW, 7, "edited12");
  CHECK(!is_clean(store, doc));
  CHECK_UNDO_WITH(store, doc, UNDONE_TYPING(7));
  CHECK_TEXT(store, doc, "edited1");
  CHECK(is_clean(store, doc));

  ws_store_close(store);
}

static void test_clean_mark_lost_for_good(void) {
  ws_store *store = open_memory();
  const char *doc = "lost";
  ws_store *shallow = NULL;

  /* Saved at "b"; undo to "a"; a new edit discards the redo branch that held "b". */
  set_text(store, doc, "a");
  command(store, doc, "Edit", "b");
  CHECK_OK(ws_set_clean(store, FLOW, doc));
  CHECK_UNDO_WITH(store, doc, "\"done\":true,\"label\":\"Edit\",\"meta\":null");
  command(store, doc, "Other", "c");
  CHECK(!is_clean(store, doc));
  /* The same text again is not the saved position. */
  set_text(store, doc, "b");
  CHECK(!is_clean(store, doc));
  CHECK_UNDO_WITH(store, doc, "\"done\":true,\"label\":\"Other\",\"meta\":null");
  CHECK_TEXT(store, doc, "a");
  CHECK(!is_clean(store, doc));
  CHECK_REDO_WITH(store, doc, "\"done\":true,\"label\":\"Other\",\"meta\":null");
  CHECK(!is_clean(store, doc));
  /* Until the next ws_set_clean. */
  CHECK_OK(ws_set_clean(store, FLOW, doc));
  CHECK(is_clean(store, doc));
  ws_store_close(store);

  /* Saved at "a", then the entry holding "a" trimmed by the depth limit. */
  CHECK_OK(ws_store_open_with(":memory:", "{\"max_history_depth\":1}", &shallow));
  set_text(shallow, doc, "a");
  CHECK_OK(ws_set_clean(shallow, FLOW, doc));
  command(shallow, doc, "One", "b");
  command(shallow, doc, "Two", "c");
  CHECK(depth(shallow, doc, "undo") == 1);
  CHECK_UNDO_WITH(shallow, doc, "\"done\":true,\"label\":\"Two\",\"meta\":null");
  CHECK_TEXT(shallow, doc, "b");
  CHECK(!is_clean(shallow, doc));
  CHECK_UNDO_WITH(shallow, doc, NOTHING);
  set_text(shallow, doc, "a");
  CHECK(!is_clean(shallow, doc));
  ws_store_close(shallow);
}

static void test_clean_mark_in_the_file(void) {
  char path[4096];
  ws_store *first = open_file("undo_editor_file", path, sizeof path, 1);
  ws_store *second;
  const char *doc = "file";

  set_text(first, doc, "a");
  command(first, doc, "Edit", "b");
  CHECK_OK(ws_set_clean(first, FLOW, doc));
  keystroke(first, doc, "typing", BIG_WINDOW, 1, "bc");

  /* A restart: the mark, the stacks and the meta are in the file. */
  ws_store_close(first);
  first = open_file("undo_editor_file", path, sizeof path, 0);
  CHECK(!is_clean(first, doc));
  CHECK_UNDO_STATUS(first, FLOW, doc,
                    "{\"undo_depth\":2,\"redo_depth\":0,\"undo_label\":\"Typing\",\"redo_label\":null,"
                    "\"undo_meta\":{\"cursor\":1},\"redo_meta\":null,\"clean\":false}");
  /* The run is in the file too: a keystroke after the restart still merges. */
  keystroke(first, doc, "typing", BIG_WINDOW, 2, "bcd");
  CHECK(depth(first, doc, "undo") == 2);
  CHECK_UNDO_WITH(first, doc, UNDONE_TYPING(1));
  CHECK_TEXT(first, doc, "b");
  CHECK(is_clean(first, doc));

  /* A second store on the file sees the mark, and each sees the other's moves. */
  second = open_file("undo_editor_file", path, sizeof path, 0);
  CHECK(is_clean(second, doc));
  CHECK_REDO_WITH(second, doc, UNDONE_TYPING(1));
  CHECK(!is_clean(first, doc) && !is_clean(second, doc));
  CHECK_UNDO_WITH(first, doc, UNDONE_TYPING(1));
  CHECK(is_clean(second, doc));
  /* An edit by the other store makes it unsaved; marking there shows here. */
  set_text(second, doc, "x");
  CHECK(!is_clean(first, doc));
  CHECK_OK(ws_set_clean(second, FLOW, doc));
  CHECK(is_clean(first, doc));

  /* Keystrokes from two stores merge alike: the entry's time is in the file. */
  keystroke(first, doc, "typing", BIG_WINDOW, 1, "xy");
  keystroke(second, doc, "typing", BIG_WINDOW, 2, "xyz");
  CHECK(depth(first, doc, "undo") == 2);
  CHECK_UNDO_WITH(second, doc, UNDONE_TYPING(1));
  CHECK_TEXT(first, doc, "x");
  CHECK(is_clean(first, doc));

  ws_store_close(second);
  ws_store_close(first);
}

/* Checkpoints (`checkpoint`: as ws_checkpoint_with takes it; none merges) and edits to
 * "s<from>" ... "s<to>": states of the same length, `size` bytes each. */
static void steps(ws_store *store, const char *session, int from, int to, const char *checkpoint) {
  int i;
  for (i = from; i <= to; i++) {
    char text[16];
    snprintf(text, sizeof text, "s%d", i);
    CHECK_OK(ws_checkpoint_with(store, FLOW, session, checkpoint));
    set_text(store, session, text);
  }
}

static ws_store *open_budget(const char *path, long long bytes) {
  char options[64];
  ws_store *store = NULL;
  snprintf(options, sizeof options, "{\"max_history_bytes\":%lld}", bytes);
  CHECK_OK(ws_store_open_with(path, options, &store));
  return store;
}

#define UNDONE "\"done\":true,\"label\":null,\"meta\":null"

static void test_byte_budget(void) {
  const long long size = (long long)strlen("{\"t\":\"s0\"}"); /* the bytes of each state */
  const long long meta = (long long)strlen("{\"c\":1}");
  const char *doc = "budget";
  char path[4096];
  ws_store *store;
  int i;

  /* Three states' bytes hold exactly three entries: the oldest go, the newest stay. */
  store = open_budget(":memory:", 3 * size);
  set_text(store, doc, "s0");
  steps(store, doc, 1, 6, NULL);
  CHECK(depth(store, doc, "undo") == 3);
  for (i = 5; i >= 3; i--) {
    char text[16];
    snprintf(text, sizeof text, "s%d", i);
    CHECK_UNDO_WITH(store, doc, UNDONE);
    CHECK_TEXT(store, doc, text);
  }
  CHECK_UNDO_WITH(store, doc, NOTHING);
  CHECK(depth(store, doc, "redo") == 3);
  ws_store_close(store);

  /* One byte less: two. */
  store = open_budget(":memory:", 3 * size - 1);
  set_text(store, doc, "s0");
  steps(store, doc, 1, 6, NULL);
  CHECK(depth(store, doc, "undo") == 2);
  ws_store_close(store);

  /* The meta counts: with a 7-byte meta each, two entries are over three states' bytes
   * (3 x 10 < 2 x 17). */
  store = open_budget(":memory:", 3 * size);
  set_text(store, doc, "s0");
  steps(store, doc, 1, 6, "{\"meta\":{\"c\":1}}");
  CHECK(depth(store, doc, "undo") == 1);
  ws_store_close(store);
  store = open_budget(":memory:", 3 * (size + meta));
  set_text(store, doc, "s0");
  steps(store, doc, 1, 6, "{\"meta\":{\"c\":1}}");
  CHECK(depth(store, doc, "undo") == 3);
  ws_store_close(store);

  /* The newest entry stays even alone over the budget, and undo still works. */
  store = open_budget(":memory:", 1);
  set_text(store, doc, "s0");
  steps(store, doc, 1, 3, NULL);
  CHECK(depth(store, doc, "undo") == 1);
  CHECK_UNDO_WITH(store, doc, UNDONE);
  CHECK_TEXT(store, doc, "s2");
  CHECK(depth(store, doc, "undo") == 0 && depth(store, doc, "redo") == 1);
  CHECK_REDO_WITH(store, doc, UNDONE);
  CHECK_TEXT(store, doc, "s3");
  ws_store_close(store);

  /* Over the budget with both stacks deeper than one: the oldest undo entry goes first.
   * Without a budget: undo [s0 s1 s2], redo [s5 s4] (s5 the oldest), present s3. */
  path_in(path, sizeof path, fresh_dir("undo_editor_budget"), "store.db");
  store = open_budget(path, 0);
  set_text(store, doc, "s0");
  steps(store, doc, 1, 5, NULL);
  CHECK_UNDO_WITH(store, doc, UNDONE);
  CHECK_UNDO_WITH(store, doc, UNDONE);
  CHECK_TEXT(store, doc, "s3");
  ws_store_close(store);
  /* With four states' bytes, an undo makes undo [s0 s1], redo [s5 s4 s3]: s0 goes. */
  store = open_budget(path, 4 * size);
  CHECK_UNDO_WITH(store, doc, UNDONE);
  CHECK_TEXT(store, doc, "s2");
  CHECK(depth(store, doc, "undo") == 1 && depth(store, doc, "redo") == 3);
  CHECK_UNDO_WITH(store, doc, UNDONE);
  CHECK_TEXT(store, doc, "s1");
  CHECK_UNDO_WITH(store, doc, NOTHING);
  /* The redo stack lost nothing: s2 ... s5 again. */
  for (i = 2; i <= 5; i++) {
    char text[16];
    snprintf(text, sizeof text, "s%d", i);
    CHECK_REDO_WITH(store, doc, UNDONE);
    CHECK_TEXT(store, doc, text);
  }
  ws_store_close(store);

  /* The oldest redo entry goes once the undo stack is down to its newest. Without a
   * budget: undo [s0], redo [s4 s3 s2], present s1. */
  path_in(path, sizeof path, fresh_dir("undo_editor_budget"), "store.db");
  store = open_budget(path, 0);
  set_text(store, doc, "s0");
  steps(store, doc, 1, 4, NULL);
  for (i = 0; i < 3; i++) CHECK_UNDO_WITH(store, doc, UNDONE);
  CHECK_TEXT(store, doc, "s1");
  ws_store_close(store);
  /* With three states' bytes, an undo makes redo [s4 s3 s2 s1]: s4 goes. */
  store = open_budget(path, 3 * size);
  CHECK_UNDO_WITH(store, doc, UNDONE);
  CHECK_TEXT(store, doc, "s0");
  CHECK(depth(store, doc, "undo") == 0 && depth(store, doc, "redo") == 3);
  for (i = 1; i <= 3; i++) {
    char text[16];
    snprintf(text, sizeof text, "s%d", i);
    CHECK_REDO_WITH(store, doc, UNDONE);
    CHECK_TEXT(store, doc, text);
  }
  CHECK_REDO_WITH(store, doc, NOTHING);
  ws_store_close(store);
}

/* What a failed call must leave as it was: the flow's list (updated_at included), the
 * state, the stacks (depths, labels, metas, clean) and the change sequence. */
static char *everything(ws_store *store, const char *session) {
  char *base = snapshot(store, FLOW, session);
  char *status = undo_status_copy(store, session);
  size_t size = strlen(base) + strlen(status) + 32;
  char *all = (char *)malloc(size);
  CHECK(all != NULL);
  snprintf(all, size, "%s|%s|%lld", base, status, (long long)latest(store));
  free(base);
  free(status);
  return all;
}

#define CHECK_NOTHING_CHANGED(store, session, before)                                  \
  do {                                                                                 \
    char *after_ = everything((store), (session));                                     \
    check_str_at(__FILE__, __LINE__, "everything after the call", after_, (before));   \
    free(after_);                                                                      \
  } while (0)

struct bad_checkpoint {
  const char *json;
  ws_status status;
  const char *needle; /* besides "checkpoint_json", which every message names */
};

#define WINDOW_RANGE "member \"merge_window_ms\" must be an integer from 0 to 2147483647"
#define NON_EMPTY_KEY "member \"merge_key\" must be a non-empty string"

static const struct bad_checkpoint BAD_CHECKPOINTS[] = {
    {"", WS_INVALID_JSON, ""},
    {"{", WS_INVALID_JSON, ""},
    {"{\"label\":\"x\"} {}", WS_INVALID_JSON, ""},
    {"[]", WS_INVALID_JSON, "object"},
    {"null", WS_INVALID_JSON, "object"},
    {"\"Typing\"", WS_INVALID_JSON, "object"},
    {"{\"label\":\"a\",\"label\":\"b\"}", WS_INVALID_JSON, "\"label\" twice"},
    {"{\"meta\":}", WS_INVALID_JSON, "line 1 column 9"},
    {"{\"meta\":NaN}", WS_INVALID_JSON, ""},
    {"{\"lable\":\"Typing\"}", WS_INVALID_ARGUMENT, "unknown member \"lable\""},
    {"{\"label\":1}", WS_INVALID_ARGUMENT, "\"label\" must be a string or null"},
    {"{\"label\":\"a\\u0000b\"}", WS_INVALID_ARGUMENT, "NUL"},
    {"{\"merge_key\":\"\"}", WS_INVALID_ARGUMENT, NON_EMPTY_KEY},
    {"{\"merge_key\":null}", WS_INVALID_ARGUMENT, NON_EMPTY_KEY},
    {"{\"merge_key\":[\"typing\"]}", WS_INVALID_ARGUMENT, NON_EMPTY_KEY},
    {"{\"merge_key\":\"k\",\"merge_window_ms\":-1}", WS_INVALID_ARGUMENT, WINDOW_RANGE},
    {"{\"merge_key\":\"k\",\"merge_window_ms\":2147483648}", WS_INVALID_ARGUMENT, WINDOW_RANGE},
    {"{\"merge_key\":\"k\",\"merge_window_ms\":1.5}", WS_INVALID_ARGUMENT, WINDOW_RANGE},
    {"{\"merge_key\":\"k\",\"merge_window_ms\":\"1000\"}", WS_INVALID_ARGUMENT, WINDOW_RANGE},
    {"{\"merge_window_ms\":10}", WS_INVALID_ARGUMENT, "merge_window_ms but no merge_key"},
    {"{\"label\":\"\xff\"}", WS_INVALID_ARGUMENT, "UTF-8"},
};

static void test_errors(void) {
  ws_store *store = open_memory();
  const char *doc = "errors";
  char *before, *result, shown[256];
  size_t i;

  /* An open run, saved elsewhere: no failed call may end the run or move the mark. */
  set_text(store, doc, "a");
  CHECK_OK(ws_set_clean(store, FLOW, doc));
  keystroke(store, doc, "typing", BIG_WINDOW, 1, "ab");
  next_second(); /* from here on, any write that sets updated_at changes it */
  before = everything(store, doc);

  /* NULL and malformed arguments, named in the message; out parameters reset to NULL. */
  CHECK_STATUS(ws_checkpoint_with(NULL, FLOW, doc, NULL), WS_INVALID_ARGUMENT);
  CHECK_MESSAGE_HAS("store must not be NULL");
  CHECK_STATUS(ws_checkpoint_with(store, NULL, doc, NULL), WS_INVALID_ARGUMENT);
  CHECK_MESSAGE_HAS("flow_id must not be NULL");
  CHECK_STATUS(ws_checkpoint_with(store, FLOW, NULL, NULL), WS_INVALID_ARGUMENT);
  CHECK_MESSAGE_HAS("session_id must not be NULL");
  CHECK_STATUS(ws_checkpoint_with(store, "a:b", doc, NULL), WS_INVALID_ARGUMENT);
  CHECK_MESSAGE_HAS("flow_id");
  CHECK_STATUS(ws_checkpoint_with(store, FLOW, "", NULL), WS_INVALID_ARGUMENT);
  CHECK_MESSAGE_HAS("session_id");
  CHECK_STATUS(ws_set_clean(NULL, FLOW, doc), WS_INVALID_ARGUMENT);
  CHECK_MESSAGE_HAS("store must not be NULL");
  CHECK_STATUS(ws_set_clean(store, NULL, doc), WS_INVALID_ARGUMENT);
  CHECK_MESSAGE_HAS("flow_id must not be NULL");
  CHECK_STATUS(ws_set_clean(store, FLOW, NULL), WS_INVALID_ARGUMENT);
  CHECK_MESSAGE_HAS("session_id must not be NULL");
  for (i = 0; i < 2; i++) {
    ws_status (*travel)(ws_store *, const char *, const char *, char **) =
        i == 0 ? ws_undo_with : ws_redo_with;
    snprintf(g_context, sizeof g_context, "%s", i == 0 ? "ws_undo_with" : "ws_redo_with");
    result = DUMMY;
    CHECK_STATUS(travel(NULL, FLOW, doc, &result), WS_INVALID_ARGUMENT);
    CHECK_MESSAGE_HAS("store must not be NULL");
    CHECK(result == NULL);
    result = DUMMY;
    CHECK_STATUS(travel(store, NULL, doc, &result), WS_INVALID_ARGUMENT);
    CHECK_MESSAGE_HAS("flow_id must not be NULL");
    CHECK(result == NULL);
    result = DUMMY;
    CHECK_STATUS(travel(store, FLOW, NULL, &result), WS_INVALID_ARGUMENT);
    CHECK_MESSAGE_HAS("session_id must not be NULL");
    CHECK(result == NULL);
    result = DUMMY;
    CHECK_STATUS(travel(store, "a:b", doc, &result), WS_INVALID_ARGUMENT);
    CHECK_MESSAGE_HAS("flow_id");
    CHECK(result == NULL);
    CHECK_STATUS(travel(store, FLOW, doc, NULL), WS_INVALID_ARGUMENT);
    CHECK_MESSAGE_HAS("out_result_json must not be NULL");
    CHECK_NOTHING_CHANGED(store, doc, before);
  }

  /* Checkpoint objects that are not JSON objects, or hold a wrong member. */
  for (i = 0; i < COUNT(BAD_CHECKPOINTS); i++) {
    const struct bad_checkpoint *bad = &BAD_CHECKPOINTS[i];
    snprintf(g_context, sizeof g_context, "ws_checkpoint_with(%s)",
             printable(bad->json, shown, sizeof shown));
    CHECK_STATUS(ws_checkpoint_with(store, FLOW, doc, bad->json), bad->status);
    CHECK_MESSAGE_HAS("checkpoint_json");
    CHECK_MESSAGE_HAS(bad->needle);
    CHECK_NOTHING_CHANGED(store, doc, before);
    /* Nor is an absent session created by a failing checkpoint. */
    CHECK_STATUS(ws_checkpoint_with(store, FLOW, "new", bad->json), bad->status);
    CHECK(!exists(store, FLOW, "new"));
  }
  g_context[0] = '\0';

  /* Marking a session that does not exist: WS_NOT_FOUND, naming it; nothing created. */
  CHECK_STATUS(ws_set_clean(store, FLOW, "absent"), WS_NOT_FOUND);
  CHECK_MESSAGE_HAS("\"absent\"");
  CHECK(!exists(store, FLOW, "absent"));
  CHECK_NOTHING_CHANGED(store, doc, before);
  free(before);

  /* The run is still open (the next keystroke merges), the mark where it was. */
  keystroke(store, doc, "typing", BIG_WINDOW, 2, "abc");
  CHECK(depth(store, doc, "undo") == 1);
  CHECK_UNDO_WITH(store, doc, UNDONE_TYPING(1));
  CHECK(is_clean(store, doc));

  /* Limits that are valid: a window of 0 and of 2147483647 ms. */
  CHECK_OK(ws_checkpoint_with(store, FLOW, doc, "{\"merge_key\":\"k\",\"merge_window_ms\":0}"));
  CHECK_OK(ws_checkpoint_with(store, FLOW, doc,
                              "{\"merge_key\":\"k\",\"merge_window_ms\":2147483647}"));
  ws_store_close(store);
}

/* A checkpoint, merged or pushed, does not change updated_at (as ws_checkpoint); nor
 * does marking the state saved, which changes neither state nor step. */
static void test_marks_leave_updated_at(void) {
  ws_store *store = open_memory();
  const char *doc = "times";
  char *before, *after;

  set_text(store, doc, "a");
  next_second();
  before = summary_copy(store, FLOW, doc);
  CHECK_OK(ws_checkpoint_with(store, FLOW, doc, "{\"label\":\"Typing\",\"merge_key\":\"t\"}"));
  CHECK_OK(ws_set_clean(store, FLOW, doc));
  CHECK(depth(store, doc, "undo") == 1 && is_clean(store, doc));
  after = summary_copy(store, FLOW, doc);
  CHECK_STR(after, before);
  free(before);
  free(after);
  ws_store_close(store);
}

/* ------------------------------------------------------------------------------------ */

int main(void) {
  atexit(print_context);
  test_keystrokes_merge();
  printf("ok test_keystrokes_merge\n");
  test_undo_and_redo_end_the_run();
  printf("ok test_undo_and_redo_end_the_run\n");
  test_meta_moves_with_its_entry();
  printf("ok test_meta_moves_with_its_entry\n");
  test_no_empty_steps();
  printf("ok test_no_empty_steps\n");
  test_clean_mark();
  printf("ok test_clean_mark\n");
  test_clean_mark_lost_for_good();
  printf("ok test_clean_mark_lost_for_good\n");
  test_clean_mark_in_the_file();
  printf("ok test_clean_mark_in_the_file\n");
  test_byte_budget();
  printf("ok test_byte_budget\n");
  test_errors();
  printf("ok test_errors\n");
  test_marks_leave_updated_at();
  printf("ok test_marks_leave_updated_at\n");
  g_done = 1;
  return 0;
}
