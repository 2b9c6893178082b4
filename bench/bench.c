/* bench: every operation of workflow_state against raw SQLite doing the same logical
 * work on the same schema, in one process and one run (issue 4).
 *
 *   workflow_state_bench DIRECTORY      (normally: cmake --workflow --preset bench)
 *
 * The raw side is the SQLite amalgamation the library bundles (libsqlite3-sys's copy,
 * found by bench/CMakeLists.txt through `cargo metadata`), linked statically into this
 * program; the library's shared object carries its own copy and exports only ws_*
 * symbols. The two SQLites never open the same file at the same time: the library and
 * raw SQLite each get their own files under DIRECTORY, recreated on every run. The one
 * sequential exception is filling a library file fast: ws_store_open makes its schema,
 * ws_store_close, raw SQLite fills it in one transaction and closes it, then ws_store_open
 * again. The raw file gets the very schema the library created (copied from
 * sqlite_master, with ws_feed's row), so both sides always work on the same tables,
 * indexes and triggers: the triggers that number every change of a session (schema 4)
 * cost both sides alike, and the raw side numbers, as the library does, the calls that
 * change only a session's stacks, which no trigger sees.
 *
 * Raw SQLite uses prepared statements, one per operation where one statement can do the
 * work (autocommit), BEGIN IMMEDIATE ... COMMIT where the work takes several; merges are
 * json_patch / json_set in SQL. Both sides get the same pragmas (journal_mode,
 * synchronous, busy_timeout 5000), the same data and the same sequence of calls, and
 * after each measurement the program checks that both ended with the same state.
 *
 * Every figure is the median of three runs; within a run the library and raw SQLite are
 * interleaved (the order alternates between runs), each after a warm-up. The PASS/FAIL
 * column shows the issue's targets; the program exits 0 whatever they say (it is a
 * measurement, not a test) and 1 only when an operation fails. */
#define _POSIX_C_SOURCE 200809L

#include "workflow_state.h"

#include <sqlite3.h>

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef WS_BENCH_SQLITE_ORIGIN
#define WS_BENCH_SQLITE_ORIGIN "the amalgamation of libsqlite3-sys"
#endif

/* The library's "now" (src/store.rs: whole seconds, as CURRENT_TIMESTAMP), what it sets
 * created_at to on every write that changes a row (0.1 wrote .SSS suffixes), its default
 * history depth and busy timeout. */
#define NOW "strftime('%Y-%m-%d %H:%M:%S','now')"
/* The latest number of the change sequence, as src/schema.rs spells it (latest_seq!). */
#define LATEST_SEQ "max(coalesce((SELECT max(seq) FROM ws_change), 0), (SELECT forgotten_seq FROM ws_feed))"
#define WHOLE_SECOND_CREATED_AT \
  "created_at = CASE WHEN created_at GLOB" \
  " '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9] [0-9][0-9]:[0-9][0-9]:[0-9][0-9].*'" \
  " THEN substr(created_at, 1, 19) ELSE created_at END"
#define DEPTH WS_DEFAULT_MAX_HISTORY_DEPTH
#define BUSY_TIMEOUT_MS 5000

#define RUNS 3
#define LIST_SESSIONS 1000      /* sessions of the listed flow */
#define BIG_OTHERS 100000       /* other sessions in the main files */
#define SMALL_OTHERS 1000       /* other sessions in the small list-scaling files */

#define KB 1024
#define MB (1024 * 1024)

/* ------------------------------------------------------------------------------------ */
/* Failure handling: every ws_ status and sqlite3 return code is checked.               */

static void die(const char *fmt, ...) {
  va_list ap;
  fflush(stdout);
  fputs("bench: ", stderr);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
  exit(1);
}

static void lib_check(ws_status status, const char *call, int line) {
  if (status != WS_OK) {
    die("bench.c:%d: %s failed: %s: %s", line, call, ws_status_name(status), ws_last_error_message());
  }
}
#define LIB(call) lib_check((call), #call, __LINE__)

static void sql_check(sqlite3 *db, int rc, int want, const char *what, int line) {
  if (rc != want) {
    die("bench.c:%d: %s: SQLite result %d (%s): %s", line, what, rc, sqlite3_errstr(rc),
        db ? sqlite3_errmsg(db) : "no connection");
  }
}
#define SQL_OK(db, call) sql_check((db), (call), SQLITE_OK, #call, __LINE__)

static void *xmalloc(size_t n) {
  void *p = malloc(n ? n : 1);
  if (!p) die("out of memory (%lu bytes)", (unsigned long)n);
  return p;
}

static char *xstrdup(const char *s) {
  size_t n = strlen(s) + 1;
  return (char *)memcpy(xmalloc(n), s, n);
}

static double now_seconds(void) {
  struct timespec ts;
  if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0) die("clock_gettime: %s", strerror(errno));
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double median3(const double v[RUNS]) {
  double a = v[0], b = v[1], c = v[2];
  if (a > b) { double t = a; a = b; b = t; }
  if (b > c) { double t = b; b = c; c = t; }
  if (a > b) { double t = a; a = b; b = t; }
  return b;
}

/* `value` with thousands separators ("101,000"), in `out`. */
static const char *count_text(long value, char *out, size_t size) {
  char digits[32];
  size_t n, i, o = 0;
  snprintf(digits, sizeof digits, "%ld", value);
  n = strlen(digits);
  for (i = 0; i < n && o + 2 < size; i++) {
    if (i > 0 && (n - i) % 3 == 0) out[o++] = ',';
    out[o++] = digits[i];
  }
  out[o] = '\0';
  return out;
}

/* ------------------------------------------------------------------------------------ */
/* Raw SQLite: statements and the raw form of every operation.                          */

static sqlite3_stmt *prepare(sqlite3 *db, const char *sql) {
  sqlite3_stmt *stmt = NULL;
  int rc = sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, NULL);
  if (rc != SQLITE_OK) die("cannot prepare (%s):\n%s", sqlite3_errmsg(db), sql);
  return stmt;
}

static void finalize(sqlite3_stmt *stmt) {
  if (stmt) {
    sqlite3 *db = sqlite3_db_handle(stmt);
    SQL_OK(db, sqlite3_finalize(stmt));
  }
}

static void bind_text(sqlite3_stmt *stmt, int i, const char *text) {
  SQL_OK(sqlite3_db_handle(stmt), text ? sqlite3_bind_text(stmt, i, text, -1, SQLITE_STATIC)
                                       : sqlite3_bind_null(stmt, i));
}

static void bind_int(sqlite3_stmt *stmt, int i, sqlite3_int64 value) {
  SQL_OK(sqlite3_db_handle(stmt), sqlite3_bind_int64(stmt, i, value));
}

/* Steps once: true on a row, false when done; dies on anything else. */
static bool step_row(sqlite3_stmt *stmt) {
  int rc = sqlite3_step(stmt);
  if (rc == SQLITE_ROW) return true;
  if (rc != SQLITE_DONE) {
    die("step failed: SQLite result %d (%s): %s\n%s", rc, sqlite3_errstr(rc),
        sqlite3_errmsg(sqlite3_db_handle(stmt)), sqlite3_sql(stmt));
  }
  return false;
}

static void reset(sqlite3_stmt *stmt) {
  int rc = sqlite3_reset(stmt);
  if (rc != SQLITE_OK) {
    die("reset failed: %s\n%s", sqlite3_errmsg(sqlite3_db_handle(stmt)), sqlite3_sql(stmt));
  }
}

/* Runs a statement that returns no rows. */
static void run(sqlite3_stmt *stmt) {
  if (step_row(stmt)) die("unexpected row from:\n%s", sqlite3_sql(stmt));
  reset(stmt);
}

/* A copy of a column of the current row (the library, too, hands out copies). */
static char *column_copy(sqlite3_stmt *stmt, int col) {
  const unsigned char *text = sqlite3_column_text(stmt, col);
  int n = sqlite3_column_bytes(stmt, col);
  char *copy;
  if (!text) return NULL;
  copy = (char *)xmalloc((size_t)n + 1);
  memcpy(copy, text, (size_t)n);
  copy[n] = '\0';
  return copy;
}

static void exec_sql(sqlite3 *db, const char *sql) {
  char *err = NULL;
  int rc = sqlite3_exec(db, sql, NULL, NULL, &err);
  if (rc != SQLITE_OK) {
    fflush(stdout);
    fprintf(stderr, "bench: %s: %s\n", sql, err ? err : sqlite3_errstr(rc));
    sqlite3_free(err);
    exit(1);
  }
}

/* A one-row, one-column query's text, copied (NULL for SQL NULL). */
static char *query_text(sqlite3 *db, const char *sql) {
  sqlite3_stmt *stmt = prepare(db, sql);
  char *text = NULL;
  if (!step_row(stmt)) die("no row from: %s", sql);
  text = column_copy(stmt, 0);
  finalize(stmt);
  return text;
}

static sqlite3_int64 query_int(sqlite3 *db, const char *sql) {
  sqlite3_stmt *stmt = prepare(db, sql);
  sqlite3_int64 value;
  if (!step_row(stmt)) die("no row from: %s", sql);
  value = sqlite3_column_int64(stmt, 0);
  finalize(stmt);
  return value;
}

typedef struct Mode {
  const char *name;         /* file name prefix */
  const char *title;
  const char *options;      /* for ws_store_open_with; NULL = the defaults */
  const char *journal_mode; /* what the library sets */
  const char *synchronous;
  double target;            /* library / raw, every operation */
  double list_target;       /* library / raw, ws_list_sessions */
  bool full;                /* fsync-bound: fewer iterations */
} Mode;

/* What the library does when it opens a file (src/store.rs), in its order: busy_timeout,
 * cache_size, read the schema version, journal_mode, synchronous. These are all the
 * pragmas it sets; should it ever set more (mmap_size, ...), set them here too, or the
 * two sides no longer run the same configuration. */
static sqlite3 *raw_connect(const char *path, const Mode *mode) {
  sqlite3 *db = NULL;
  char sql[64];
  char *got;
  int rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
  if (rc != SQLITE_OK) die("cannot open %s: %s", path, db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
  SQL_OK(db, sqlite3_extended_result_codes(db, 1));
  SQL_OK(db, sqlite3_busy_timeout(db, BUSY_TIMEOUT_MS));
  /* As the library: plans that never depend on bound values, else a statement whose
   * `stack = ?2` is bound to 1 and then to 2 is parsed again (src/store.rs). */
  SQL_OK(db, sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_QPSG, 1, (int *)NULL));
  exec_sql(db, "PRAGMA cache_size = -8192");
  (void)query_int(db, "PRAGMA schema_version");
  snprintf(sql, sizeof sql, "PRAGMA journal_mode=%s", mode->journal_mode);
  got = query_text(db, sql);
  if (!got || strcmp(got, mode->journal_mode) != 0) die("%s: journal_mode is %s, not %s", path, got, mode->journal_mode);
  free(got);
  snprintf(sql, sizeof sql, "PRAGMA synchronous=%s", mode->synchronous);
  exec_sql(db, sql);
  return db;
}

static void raw_disconnect(sqlite3 *db) { SQL_OK(db, sqlite3_close(db)); }

typedef struct Raw {
  sqlite3 *db;
  sqlite3_stmt *begin, *commit;
  sqlite3_stmt *update_state, *get_state, *update_step, *set_step, *create, *list;
  sqlite3_stmt *ensure, *next_seq, *push_snapshot, *push_current, *trim, *clear_stack, *top, *restore, *delete_entry;
  sqlite3_stmt *revision, *latest, *number, *unnumber; /* the change sequence (src/feed.rs) */
  sqlite3_stmt *begin_read, *apply_set, *apply_step_set, *get_session, *forgotten, *changes;
  sqlite3_stmt *merge_top, *undo_top, *undo_marks; /* merged checkpoints, ws_undo_status */
  sqlite3_stmt *read_row, *stack_len; /* for the checks, never timed */
} Raw;

/* The statements on session rows alone, which a file with only the Python package's
 * table and index runs too (run_python_schema); raw_prepare adds the rest. */
static void raw_prepare_rows(Raw *r) {
  sqlite3 *db = r->db;
  r->begin = prepare(db, "BEGIN IMMEDIATE");
  r->commit = prepare(db, "COMMIT");
  /* ws_update_state: dict.update of the top-level keys; json_patch (RFC 7396) does the
   * same for the top-level, non-null, non-object values this benchmark sends. */
  r->update_state = prepare(db,
      "INSERT INTO workflow_state (flow_session_key, state_json, created_at, updated_at)"
      " VALUES (?1, ?2, " NOW ", " NOW ")"
      " ON CONFLICT(flow_session_key) DO UPDATE SET"
      " state_json = json_patch(state_json, excluded.state_json), updated_at = excluded.updated_at, "
      WHOLE_SECOND_CREATED_AT);
  r->get_state = prepare(db, "SELECT state_json FROM workflow_state WHERE flow_session_key = ?1");
  /* ws_update_step_state: ?3 is the path '$."_step_<id>"', ?4 the key "_step_<id>". */
  r->update_step = prepare(db,
      "INSERT INTO workflow_state (flow_session_key, state_json, created_at, updated_at)"
      " VALUES (?1, json_object(?4, json(?2)), " NOW ", " NOW ")"
      " ON CONFLICT(flow_session_key) DO UPDATE SET"
      " state_json = json_set(state_json, ?3, json_patch(coalesce(state_json -> ?3, '{}'), ?2)),"
      " updated_at = excluded.updated_at, " WHOLE_SECOND_CREATED_AT);
  r->set_step = prepare(db,
      "INSERT INTO workflow_state (flow_session_key, current_step, created_at, updated_at)"
      " VALUES (?1, ?2, " NOW ", " NOW ")"
      " ON CONFLICT(flow_session_key) DO UPDATE SET"
      " current_step = excluded.current_step, updated_at = excluded.updated_at, " WHOLE_SECOND_CREATED_AT
      " WHERE current_step IS NOT excluded.current_step");
  r->create = prepare(db,
      "INSERT INTO workflow_state (flow_session_key, label, created_at, updated_at)"
      " VALUES (?1, ?2, " NOW ", " NOW ") ON CONFLICT(flow_session_key) DO NOTHING");
}

static void raw_prepare(Raw *r) {
  sqlite3 *db = r->db;
  raw_prepare_rows(r);
  /* ws_list_sessions(WS_ORDER_UPDATED_AT, descending): ?1..?2 the flow's key range,
   * ?3 the flow id, ?4 where the session id starts in the key (1-based). Ties of the
   * whole-second updated_at are broken by the change sequence, as the library does. */
  r->list = prepare(db,
      "SELECT json_group_array(json_object("
      "'flow_id', ?3, 'session_id', substr(w.flow_session_key, ?4), 'label', w.label,"
      " 'current_step', w.current_step, 'created_at', w.created_at, 'updated_at', w.updated_at,"
      " 'state_size_bytes', coalesce(length(CAST(w.state_json AS BLOB)), 0))"
      " ORDER BY w.updated_at DESC, c.seq DESC, w.rowid DESC)"
      " FROM workflow_state w LEFT JOIN ws_change c ON c.flow_session_key = w.flow_session_key"
      " WHERE w.flow_session_key >= ?1 AND w.flow_session_key < ?2");
  /* History: ensure the session row, push at max(seq)+1, trim to the depth. */
  r->ensure = prepare(db,
      "INSERT INTO workflow_state (flow_session_key, created_at, updated_at)"
      " VALUES (?1, " NOW ", " NOW ") ON CONFLICT(flow_session_key) DO NOTHING");
  /* The next seq is read first, by its own statement: an INSERT ... SELECT whose SELECT
   * also reads ws_history would make SQLite stage every row in a temporary table first
   * (a whole extra copy of a 1 MB state). */
  r->next_seq = prepare(db,
      "SELECT coalesce(max(seq), 0) + 1 FROM ws_history WHERE flow_session_key = ?1 AND stack = ?2");
  r->push_snapshot = prepare(db,
      "INSERT INTO ws_history (flow_session_key, stack, seq, label, current_step, snapshot)"
      " VALUES (?1, 0, ?3, NULL, NULL, json(?2))");
  /* The row's state and step, copied inside SQLite, onto stack ?3 (1 undo: checkpoint;
   * 2 redo: undo) at seq ?4, label ?2. */
  r->push_current = prepare(db,
      "INSERT INTO ws_history (flow_session_key, stack, seq, label, current_step, snapshot)"
      " SELECT ?1, ?3, ?4, ?2, current_step, state_json FROM workflow_state WHERE flow_session_key = ?1");
  r->trim = prepare(db, "DELETE FROM ws_history WHERE flow_session_key = ?1 AND stack = ?2 AND seq <= ?3");
  r->clear_stack = prepare(db, "DELETE FROM ws_history WHERE flow_session_key = ?1 AND stack = ?2");
  r->top = prepare(db,
      "SELECT seq, label FROM ws_history WHERE flow_session_key = ?1 AND stack = ?2"
      " ORDER BY seq DESC LIMIT 1");
  r->restore = prepare(db,
      "UPDATE workflow_state SET (state_json, current_step) ="
      " (SELECT snapshot, current_step FROM ws_history"
      "  WHERE flow_session_key = ?1 AND stack = ?2 AND seq = ?3),"
      " updated_at = " NOW ", " WHOLE_SECOND_CREATED_AT " WHERE flow_session_key = ?1");
  r->delete_entry = prepare(db, "DELETE FROM ws_history WHERE flow_session_key = ?1 AND stack = ?2 AND seq = ?3");
  /* The change sequence: a session's revision, the latest number, and the numbering of
   * a call that changed only a session's stacks, which no trigger sees (src/feed.rs). */
  r->revision = prepare(db, "SELECT seq FROM ws_change WHERE flow_session_key = ?1 AND deleted_at IS NULL");
  r->latest = prepare(db, "SELECT " LATEST_SEQ);
  r->number = prepare(db, "INSERT INTO ws_change (seq, flow_session_key, deleted_at) VALUES (" LATEST_SEQ " + 1, ?1, NULL)");
  r->unnumber = prepare(db, "DELETE FROM ws_change WHERE flow_session_key = ?1 AND seq < (SELECT max(seq) FROM ws_change)");
  /* ws_apply of a replace: json_set of ?3 at the path ?2 (no json(): the value is bound
   * as a number), with the step ?4 too for the second form. */
  r->apply_set = prepare(db,
      "UPDATE workflow_state SET state_json = json_set(state_json, ?2, ?3), updated_at = " NOW ", "
      WHOLE_SECOND_CREATED_AT " WHERE flow_session_key = ?1");
  r->apply_step_set = prepare(db,
      "UPDATE workflow_state SET state_json = json_set(state_json, ?2, ?3), current_step = ?4,"
      " updated_at = " NOW ", " WHOLE_SECOND_CREATED_AT " WHERE flow_session_key = ?1");
  /* ws_get_session: the row, its state and its revision in one query (a single statement
   * is one snapshot); the JSON is built by hand around the state text (raw_get_session). */
  r->get_session = prepare(db,
      "SELECT w.label, w.current_step, w.state_json, coalesce(c.seq, 0), w.created_at, w.updated_at"
      " FROM workflow_state w LEFT JOIN ws_change c ON c.flow_session_key = w.flow_session_key"
      " WHERE w.flow_session_key = ?1");
  /* ws_changes_since: three reads in one read transaction, as the library does. ?3 NULL:
   * every flow, else the key range ?3..?4. */
  r->begin_read = prepare(db, "BEGIN");
  r->forgotten = prepare(db, "SELECT forgotten_seq FROM ws_feed");
  r->changes = prepare(db,
      "SELECT seq, flow_session_key, deleted_at IS NOT NULL FROM ws_change"
      " WHERE seq > ?1 AND (?3 IS NULL OR (flow_session_key >= ?3 AND flow_session_key < ?4))"
      " ORDER BY seq LIMIT ?2");
  /* A merged checkpoint reads the newest undo entry's merge key and time, and whether
   * a redo is pending; ws_undo_status reads each stack's depth and newest label and
   * meta, the revision and the clean mark (src/undo.rs). */
  r->merge_top = prepare(db,
      "SELECT merge_key, made_ms, (SELECT count(*) FROM ws_history WHERE flow_session_key = ?1 AND stack = 2)"
      " FROM ws_history WHERE flow_session_key = ?1 AND stack = 1 ORDER BY seq DESC LIMIT 1");
  r->undo_top = prepare(db,
      "SELECT count(*), (SELECT label FROM ws_history WHERE flow_session_key = ?1 AND stack = ?2 ORDER BY seq DESC LIMIT 1),"
      " (SELECT meta FROM ws_history WHERE flow_session_key = ?1 AND stack = ?2 ORDER BY seq DESC LIMIT 1)"
      " FROM ws_history WHERE flow_session_key = ?1 AND stack = ?2");
  r->undo_marks = prepare(db,
      "SELECT coalesce((SELECT clean_version = CASE WHEN present_revision = c.seq THEN present_version ELSE c.seq END"
      " FROM ws_undo WHERE flow_session_key = ?1), 0) FROM ws_change c"
      " WHERE c.flow_session_key = ?1 AND c.deleted_at IS NULL");
  r->read_row = prepare(db, "SELECT state_json, current_step FROM workflow_state WHERE flow_session_key = ?1");
  r->stack_len = prepare(db, "SELECT count(*) FROM ws_history WHERE flow_session_key = ?1 AND stack = ?2");
}

static void raw_close(Raw *r) {
  sqlite3_stmt *all[] = {r->begin, r->commit, r->update_state, r->get_state, r->update_step, r->set_step,
                         r->create, r->list, r->ensure, r->next_seq, r->push_snapshot, r->push_current, r->trim,
                         r->clear_stack, r->top, r->restore, r->delete_entry, r->revision, r->latest,
                         r->unnumber, r->number, r->begin_read, r->apply_set, r->apply_step_set,
                         r->get_session, r->forgotten, r->changes, r->merge_top, r->undo_top, r->undo_marks,
                         r->read_row, r->stack_len};
  size_t i;
  for (i = 0; i < sizeof all / sizeof all[0]; i++) finalize(all[i]);
  raw_disconnect(r->db);
  memset(r, 0, sizeof *r);
}

static void raw_update_state(Raw *r, const char *key, const char *updates) {
  bind_text(r->update_state, 1, key);
  bind_text(r->update_state, 2, updates);
  run(r->update_state);
}

static char *raw_get_state(Raw *r, const char *key) {
  char *state = NULL;
  bind_text(r->get_state, 1, key);
  if (step_row(r->get_state)) state = column_copy(r->get_state, 0);
  reset(r->get_state);
  return state ? state : xstrdup("{}");
}

static void raw_update_step(Raw *r, const char *key, const char *step_path, const char *step_key,
                            const char *updates) {
  bind_text(r->update_step, 1, key);
  bind_text(r->update_step, 2, updates);
  bind_text(r->update_step, 3, step_path);
  bind_text(r->update_step, 4, step_key);
  run(r->update_step);
}

static void raw_set_step(Raw *r, const char *key, const char *step) {
  bind_text(r->set_step, 1, key);
  bind_text(r->set_step, 2, step);
  run(r->set_step);
}

static void raw_create(Raw *r, const char *key, const char *label) {
  bind_text(r->create, 1, key);
  bind_text(r->create, 2, label);
  run(r->create);
  if (sqlite3_changes(r->db) != 1) die("raw create: %s already exists", key);
}

static char *raw_list(Raw *r, const char *flow, const char *low, const char *high) {
  char *list = NULL;
  bind_text(r->list, 1, low);
  bind_text(r->list, 2, high);
  bind_text(r->list, 3, flow);
  bind_int(r->list, 4, (sqlite3_int64)strlen(flow) + 2);
  if (step_row(r->list)) list = column_copy(r->list, 0);
  reset(r->list);
  if (!list) die("raw list returned no text");
  return list;
}

static void raw_trim(Raw *r, const char *key, int stack, sqlite3_int64 newest) {
  bind_text(r->trim, 1, key);
  bind_int(r->trim, 2, stack);
  bind_int(r->trim, 3, newest - DEPTH);
  run(r->trim);
}

static void raw_ensure(Raw *r, const char *key) {
  bind_text(r->ensure, 1, key);
  run(r->ensure);
}

static sqlite3_int64 raw_next_seq(Raw *r, const char *key, int stack) {
  sqlite3_int64 seq;
  bind_text(r->next_seq, 1, key);
  bind_int(r->next_seq, 2, stack);
  if (!step_row(r->next_seq)) die("no next seq");
  seq = sqlite3_column_int64(r->next_seq, 0);
  reset(r->next_seq);
  return seq;
}

/* One-column integer query with the key bound as ?1 (NULL key: nothing bound); `none`
 * when it returns no row. */
static sqlite3_int64 query_key_int(sqlite3_stmt *stmt, const char *key, sqlite3_int64 none) {
  sqlite3_int64 value = none;
  if (key) bind_text(stmt, 1, key);
  if (step_row(stmt)) value = sqlite3_column_int64(stmt, 0);
  reset(stmt);
  return value;
}

static sqlite3_int64 raw_revision(Raw *r, const char *key) { return query_key_int(r->revision, key, 0); }
static sqlite3_int64 raw_latest(Raw *r) { return query_key_int(r->latest, NULL, 0); }

/* feed::stacks_changed: a call that changed only the session's stacks takes the next
 * number, unless its row write was numbered by the triggers already (`since` is the
 * latest number when the call began). */
static void raw_stacks_changed(Raw *r, const char *key, sqlite3_int64 since) {
  sqlite3_int64 numbered = query_key_int(r->revision, key, -1);
  if (numbered >= 0 && numbered <= since) {
    bind_text(r->number, 1, key);
    run(r->number);
    bind_text(r->unnumber, 1, key);
    run(r->unnumber);
  }
}

static void raw_history_push(Raw *r, const char *key, const char *snapshot) {
  sqlite3_int64 seq, since;
  run(r->begin);
  since = raw_latest(r);
  raw_ensure(r, key);
  seq = raw_next_seq(r, key, 0);
  bind_text(r->push_snapshot, 1, key);
  bind_text(r->push_snapshot, 2, snapshot);
  bind_int(r->push_snapshot, 3, seq);
  run(r->push_snapshot);
  raw_trim(r, key, 0, seq);
  raw_stacks_changed(r, key, since);
  run(r->commit);
}

static sqlite3_int64 raw_push_current(Raw *r, const char *key, int stack, const char *label) {
  sqlite3_int64 seq = raw_next_seq(r, key, stack);
  bind_text(r->push_current, 1, key);
  bind_text(r->push_current, 2, label);
  bind_int(r->push_current, 3, stack);
  bind_int(r->push_current, 4, seq);
  run(r->push_current);
  if (sqlite3_changes(r->db) != 1) die("raw push: %s has no row", key);
  return seq;
}

/* The checkpoint itself, inside the caller's transaction: the row (which exists) onto
 * the undo stack, trimmed to the depth, and the redo stack emptied. */
static void raw_record_checkpoint(Raw *r, const char *key, const char *label) {
  sqlite3_int64 seq = raw_push_current(r, key, 1, label);
  raw_trim(r, key, 1, seq);
  bind_text(r->clear_stack, 1, key);
  bind_int(r->clear_stack, 2, 2);
  run(r->clear_stack);
}

static void raw_checkpoint(Raw *r, const char *key, const char *label) {
  sqlite3_int64 since;
  run(r->begin);
  since = raw_latest(r);
  raw_ensure(r, key);
  raw_record_checkpoint(r, key, label);
  raw_stacks_changed(r, key, since);
  run(r->commit);
}

/* Undo (from 1, to 2) and redo (from 2, to 1): read the top of stack `from`, push the
 * current state onto `to` under its label, restore the row from it, delete it, trim
 * `to`. */
static bool raw_travel(Raw *r, const char *key, int from, int to) {
  sqlite3_int64 top, seq, since;
  char *label = NULL;
  run(r->begin);
  bind_text(r->top, 1, key);
  bind_int(r->top, 2, from);
  if (!step_row(r->top)) {
    reset(r->top);
    run(r->commit);
    return false;
  }
  top = sqlite3_column_int64(r->top, 0);
  label = column_copy(r->top, 1);
  reset(r->top);
  since = raw_latest(r);
  seq = raw_push_current(r, key, to, label);
  free(label);
  bind_text(r->restore, 1, key);
  bind_int(r->restore, 2, from);
  bind_int(r->restore, 3, top);
  run(r->restore);
  bind_text(r->delete_entry, 1, key);
  bind_int(r->delete_entry, 2, from);
  bind_int(r->delete_entry, 3, top);
  run(r->delete_entry);
  raw_trim(r, key, to, seq);
  raw_stacks_changed(r, key, since);
  run(r->commit);
  return true;
}

/* ws_apply with "expect_revision" and one replace, raw: in one BEGIN IMMEDIATE, the
 * revision check, json_set at `path` (and the step, and a checkpoint first, when given),
 * then the new revision, which ws_apply returns. */
static sqlite3_int64 raw_apply(Raw *r, const char *key, sqlite3_int64 expected, const char *path,
                               sqlite3_int64 value, const char *step, const char *checkpoint_label) {
  sqlite3_int64 found, revision;
  sqlite3_stmt *set = step ? r->apply_step_set : r->apply_set;
  run(r->begin);
  found = raw_revision(r, key);
  if (found != expected) {
    run(r->commit);
    die("raw apply: %s is at revision %lld, not %lld", key, (long long)found, (long long)expected);
  }
  if (checkpoint_label) raw_record_checkpoint(r, key, checkpoint_label);
  bind_text(set, 1, key);
  bind_text(set, 2, path);
  bind_int(set, 3, value);
  if (step) bind_text(set, 4, step);
  run(set);
  if (sqlite3_changes(r->db) != 1) die("raw apply: %s has no row", key);
  revision = raw_revision(r, key);
  run(r->commit);
  return revision;
}

/* A growing text buffer, for the JSON the raw side builds by hand. */
typedef struct Text {
  char *data;
  size_t len, cap;
} Text;

static void text_reserve(Text *t, size_t more) {
  if (t->len + more + 1 > t->cap) {
    size_t cap = t->cap ? t->cap : 256;
    char *grown;
    while (cap < t->len + more + 1) cap *= 2;
    grown = (char *)realloc(t->data, cap);
    if (!grown) die("out of memory");
    t->data = grown;
    t->cap = cap;
  }
}

static void text_add(Text *t, const char *s, size_t n) {
  text_reserve(t, n);
  memcpy(t->data + t->len, s, n);
  t->len += n;
  t->data[t->len] = '\0';
}

static void text_str(Text *t, const char *s) { text_add(t, s, strlen(s)); }

static void text_int(Text *t, sqlite3_int64 v) {
  char digits[32];
  snprintf(digits, sizeof digits, "%lld", (long long)v);
  text_str(t, digits);
}

/* A JSON string (or null) as the library writes it: ", \, and control characters
 * escaped, everything else as it is. */
static void text_json_string(Text *t, const char *s, size_t n) {
  static const char hex[] = "0123456789abcdef";
  size_t i, start = 0;
  if (!s) {
    text_str(t, "null");
    return;
  }
  text_add(t, "\"", 1);
  for (i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c == '"' || c == '\\' || c < 0x20) {
      char esc[8];
      size_t k = 2;
      text_add(t, s + start, i - start);
      esc[0] = '\\';
      switch (c) {
        case '"': esc[1] = '"'; break;
        case '\\': esc[1] = '\\'; break;
        case '\n': esc[1] = 'n'; break;
        case '\r': esc[1] = 'r'; break;
        case '\t': esc[1] = 't'; break;
        case '\b': esc[1] = 'b'; break;
        case '\f': esc[1] = 'f'; break;
        default:
          memcpy(esc + 1, "u00", 3);
          esc[4] = hex[c >> 4];
          esc[5] = hex[c & 15];
          k = 6;
      }
      text_add(t, esc, k);
      start = i + 1;
    }
  }
  text_add(t, s + start, n - start);
  text_add(t, "\"", 1);
}

static void text_column_string(Text *t, sqlite3_stmt *stmt, int col) {
  const char *s = (const char *)sqlite3_column_text(stmt, col);
  text_json_string(t, s, (size_t)sqlite3_column_bytes(stmt, col));
}

/* ws_get_session, raw: its one query, and the same JSON object around the state text. */
static char *raw_get_session(Raw *r, const char *key, const char *flow, const char *sid) {
  Text t = {NULL, 0, 0};
  sqlite3_stmt *q = r->get_session;
  bind_text(q, 1, key);
  if (!step_row(q)) {
    reset(q);
    return NULL;
  }
  text_reserve(&t, (size_t)sqlite3_column_bytes(q, 2) + 256);
  text_str(&t, "{\"flow_id\":");
  text_json_string(&t, flow, strlen(flow));
  text_str(&t, ",\"session_id\":");
  text_json_string(&t, sid, strlen(sid));
  text_str(&t, ",\"label\":");
  text_column_string(&t, q, 0);
  text_str(&t, ",\"current_step\":");
  text_column_string(&t, q, 1);
  text_str(&t, ",\"state\":");
  text_add(&t, (const char *)sqlite3_column_text(q, 2), (size_t)sqlite3_column_bytes(q, 2));
  text_str(&t, ",\"revision\":");
  text_int(&t, sqlite3_column_int64(q, 3));
  text_str(&t, ",\"created_at\":");
  text_column_string(&t, q, 4);
  text_str(&t, ",\"updated_at\":");
  text_column_string(&t, q, 5);
  text_str(&t, "}");
  reset(q);
  return t.data;
}

/* ws_changes_since, raw: in one read transaction the forgotten number, the latest, and
 * the page of ws_change (limit + 1 rows, to tell whether there is more), built into the
 * same JSON. `low`/`high`: the flow's key range, NULL for every flow. */
static char *raw_changes_since(Raw *r, const char *low, const char *high, sqlite3_int64 after, long limit) {
  Text t = {NULL, 0, 0};
  sqlite3_int64 forgotten, latest, last = after;
  long listed = 0;
  bool more = false;
  sqlite3_stmt *q = r->changes;
  run(r->begin_read);
  forgotten = query_key_int(r->forgotten, NULL, 0);
  latest = raw_latest(r);
  bind_int(q, 1, after);
  bind_int(q, 2, limit + 1);
  bind_text(q, 3, low);
  bind_text(q, 4, high);
  text_str(&t, "{\"changes\":[");
  while (step_row(q)) {
    sqlite3_int64 seq = sqlite3_column_int64(q, 0);
    const char *key = (const char *)sqlite3_column_text(q, 1);
    size_t n = (size_t)sqlite3_column_bytes(q, 1);
    const char *colon = key ? (const char *)memchr(key, ':', n) : NULL;
    size_t flow_len = colon ? (size_t)(colon - key) : n;
    if (listed == limit) {
      more = true;
      break;
    }
    if (listed > 0) text_add(&t, ",", 1);
    text_str(&t, "{\"seq\":");
    text_int(&t, seq);
    text_str(&t, ",\"flow_id\":");
    text_json_string(&t, key, flow_len);
    text_str(&t, ",\"session_id\":");
    text_json_string(&t, colon ? colon + 1 : "", colon ? n - flow_len - 1 : 0);
    text_str(&t, ",\"revision\":");
    text_int(&t, seq);
    text_str(&t, sqlite3_column_int(q, 2) ? ",\"deleted\":true}" : ",\"deleted\":false}");
    listed++;
    last = seq;
  }
  reset(q);
  run(r->commit);
  if (!more && latest > last) last = latest;
  text_str(&t, "],\"last_seq\":");
  text_int(&t, last);
  text_str(&t, more ? ",\"more\":true" : ",\"more\":false");
  text_str(&t, after < forgotten ? ",\"reset\":true}" : ",\"reset\":false}");
  return t.data;
}

/* ------------------------------------------------------------------------------------ */
/* Files: creation, the schema copy, filling with sessions.                             */

static void remove_database(const char *path) {
  static const char *const suffixes[] = {"", "-wal", "-shm", "-journal"};
  char name[4096];
  size_t i;
  for (i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
    snprintf(name, sizeof name, "%s%s", path, suffixes[i]);
    if (remove(name) != 0 && errno != ENOENT) die("cannot remove %s: %s", name, strerror(errno));
  }
}

typedef struct Schema {
  char **sql;
  int count;
  sqlite3_int64 user_version;
  char *feed_row; /* the INSERT of ws_feed's one row, as the library made it */
} Schema;

/* SQLite's own tables (sqlite_sequence, which AUTOINCREMENT would make) are left out:
 * SQLite makes them itself, and refuses to be told to. */
static void schema_read(sqlite3 *db, Schema *schema) {
  sqlite3_stmt *stmt = prepare(db,
      "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'"
      " ORDER BY rowid");
  schema->count = 0;
  schema->sql = NULL;
  while (step_row(stmt)) {
    char **grown = (char **)realloc(schema->sql, sizeof(char *) * (size_t)(schema->count + 1));
    if (!grown) die("out of memory");
    schema->sql = grown;
    schema->sql[schema->count++] = column_copy(stmt, 0);
  }
  finalize(stmt);
  schema->user_version = query_int(db, "PRAGMA user_version");
  if (schema->count == 0) die("the library created no schema");
  schema->feed_row = query_text(db,
      "SELECT printf('INSERT INTO ws_feed (id, retention_s, deletions, forgotten_seq) VALUES (%d, %d, %d, %d)',"
      " id, retention_s, deletions, forgotten_seq) FROM ws_feed");
}

static void schema_apply(sqlite3 *db, const Schema *schema) {
  char sql[64];
  int i;
  exec_sql(db, "BEGIN IMMEDIATE");
  for (i = 0; i < schema->count; i++) exec_sql(db, schema->sql[i]);
  exec_sql(db, schema->feed_row);
  snprintf(sql, sizeof sql, "PRAGMA user_version = %lld", (long long)schema->user_version);
  exec_sql(db, sql);
  exec_sql(db, "COMMIT");
}

static void schema_free(Schema *schema) {
  int i;
  for (i = 0; i < schema->count; i++) free(schema->sql[i]);
  free(schema->sql);
  free(schema->feed_row);
  schema->sql = NULL;
  schema->feed_row = NULL;
  schema->count = 0;
}

static void timestamp(char *out, size_t size, long seconds_after_2025) {
  time_t t = (time_t)1735689600 + (time_t)seconds_after_2025; /* 2025-01-01 00:00:00 UTC */
  struct tm tm;
  if (!gmtime_r(&t, &tm)) die("gmtime_r failed");
  if (strftime(out, size, "%Y-%m-%d %H:%M:%S", &tm) == 0) die("strftime failed");
}

/* Fills a file with `list` sessions of flow "list" and `others` sessions of 100 other
 * flows, interleaved as an application would create them, in one transaction. The same
 * call on two files gives the same rows. */
static void fill(sqlite3 *db, long list, long others) {
  sqlite3_stmt *insert = prepare(db,
      "INSERT INTO workflow_state (flow_session_key, current_step, state_json, created_at, updated_at, label)"
      " VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
  long total = list + others, t, made_list = 0;
  char key[64], step[32], state[96], created[32], updated[32], label[48];
  exec_sql(db, "BEGIN IMMEDIATE");
  for (t = 0; t < total; t++) {
    bool is_list = (t + 1) * list / total > t * list / total;
    if (is_list) {
      snprintf(key, sizeof key, "list:session-%06ld", made_list++);
    } else {
      snprintf(key, sizeof key, "other%02ld:session-%06ld", t % 100, t);
    }
    snprintf(step, sizeof step, "step-%ld", t % 5);
    snprintf(state, sizeof state, "{\"n\":%ld,\"title\":\"Session %ld\",\"done\":%s}", t, t, t % 2 ? "true" : "false");
    timestamp(created, sizeof created, t * 7);
    timestamp(updated, sizeof updated, t * 7 + (t * 7919) % 86400);
    snprintf(label, sizeof label, "Session %ld", t);
    bind_text(insert, 1, key);
    bind_text(insert, 2, step);
    bind_text(insert, 3, state);
    bind_text(insert, 4, created);
    bind_text(insert, 5, updated);
    bind_text(insert, 6, t % 3 == 0 ? NULL : label);
    run(insert);
  }
  exec_sql(db, "COMMIT");
  finalize(insert);
  if (made_list != list) die("fill made %ld list sessions, not %ld", made_list, list);
}

/* The library's file: schema by the library, rows by raw SQLite, strictly one after the
 * other (never both open). Returns the schema the library made. */
static void make_library_file(const char *path, const Mode *mode, long list, long others, Schema *schema) {
  ws_store *store = NULL;
  sqlite3 *db = NULL;
  remove_database(path);
  LIB(ws_store_open_with(path, mode->options, &store));
  ws_store_close(store);
  SQL_OK(db, sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL));
  SQL_OK(db, sqlite3_busy_timeout(db, BUSY_TIMEOUT_MS));
  schema_read(db, schema);
  fill(db, list, others);
  raw_disconnect(db);
}

/* Exactly the table and index the Python package creates (src/schema.rs). */
#define PYTHON_SCHEMA                                                                                    \
  "CREATE TABLE workflow_state (flow_session_key TEXT PRIMARY KEY, current_step TEXT,"                   \
  " state_json TEXT DEFAULT '{}', created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,"                       \
  " updated_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP, label TEXT);"                                        \
  " CREATE INDEX idx_workflow_state_updated ON workflow_state(updated_at);"

/* The raw file: the same schema and rows, then closed and opened again, as the library's
 * file is, so that both sides start alike: a checkpointed file, no WAL, a cold cache
 * (kept open, the raw connection started with the fill's 37 MB WAL and a warm cache).
 * A NULL `schema` is the Python package's alone, with only the row statements. */
static void make_raw_file(Raw *r, const char *path, const Mode *mode, long list, long others, const Schema *schema) {
  sqlite3 *db;
  remove_database(path);
  memset(r, 0, sizeof *r);
  db = raw_connect(path, mode);
  if (schema) {
    schema_apply(db, schema);
  } else {
    exec_sql(db, PYTHON_SCHEMA);
  }
  fill(db, list, others);
  raw_disconnect(db);
  r->db = raw_connect(path, mode);
  if (schema) {
    raw_prepare(r);
  } else {
    raw_prepare_rows(r);
  }
}

/* ------------------------------------------------------------------------------------ */
/* The benchmark: one library store and one raw connection, on files with equal rows.   */

typedef struct Bench {
  ws_store *lib;
  Raw *raw;
  const char *flow;
  const char *sid;
  char key[128];
  char step_path[64], step_key[32];
  const char *snapshot;   /* what ws_history_push pushes */
  long counter[2];        /* per side: every call gets the next number */
  sqlite3_int64 revision[2]; /* per side: the target session's revision, for ws_apply */
  bool undone[2];         /* per side: the target session's last move was an undo */
  char pointer[64], sql_path[64]; /* what ws_apply replaces: a JSON Pointer, its json_set path */
  long checks, mismatches;
  const char *dir;   /* where the files are, for the runs that make fresh ones */
  const Mode *mode;
} Bench;

enum { LIBRARY = 0, RAW = 1 };

static void target_session(Bench *b, const char *sid) {
  b->sid = sid;
  snprintf(b->key, sizeof b->key, "%s:%s", b->flow, sid);
  b->undone[LIBRARY] = b->undone[RAW] = false;
}

/* The operations, library and raw; `i` makes payloads and ids differ between calls. */
static void lib_update_state(Bench *b, long i) {
  char updates[96];
  snprintf(updates, sizeof updates, "{\"edited\":%ld,\"note\":\"edit %ld\"}", i, i);
  LIB(ws_update_state(b->lib, b->flow, b->sid, updates));
}
static void raw_update_state_op(Bench *b, long i) {
  char updates[96];
  snprintf(updates, sizeof updates, "{\"edited\":%ld,\"note\":\"edit %ld\"}", i, i);
  raw_update_state(b->raw, b->key, updates);
}

static void lib_get_state(Bench *b, long i) {
  char *state = NULL;
  (void)i;
  LIB(ws_get_state(b->lib, b->flow, b->sid, &state));
  ws_string_free(state);
}
static void raw_get_state_op(Bench *b, long i) {
  (void)i;
  free(raw_get_state(b->raw, b->key));
}

static void lib_update_step(Bench *b, long i) {
  char updates[48];
  snprintf(updates, sizeof updates, "{\"cursor\":%ld}", i);
  LIB(ws_update_step_state(b->lib, b->flow, b->sid, "edit", updates));
}
static void raw_update_step_op(Bench *b, long i) {
  char updates[48];
  snprintf(updates, sizeof updates, "{\"cursor\":%ld}", i);
  raw_update_step(b->raw, b->key, b->step_path, b->step_key, updates);
}

static void lib_set_step(Bench *b, long i) {
  char step[32];
  snprintf(step, sizeof step, "step-%ld", i % 7);
  LIB(ws_set_current_step(b->lib, b->flow, b->sid, step));
}
static void raw_set_step_op(Bench *b, long i) {
  char step[32];
  snprintf(step, sizeof step, "step-%ld", i % 7);
  raw_set_step(b->raw, b->key, step);
}

/* Explicit ids on both sides, so neither generates a UUID. */
static void lib_create(Bench *b, long i) {
  char id[32], label[48], *out = NULL;
  snprintf(id, sizeof id, "new-%08ld", i);
  snprintf(label, sizeof label, "Created %ld", i);
  LIB(ws_create_session(b->lib, "made", id, label, &out));
  ws_string_free(out);
}
static void raw_create_op(Bench *b, long i) {
  char id[32], key[48], label[48];
  snprintf(id, sizeof id, "new-%08ld", i);
  snprintf(key, sizeof key, "made:%s", id);
  snprintf(label, sizeof label, "Created %ld", i);
  raw_create(b->raw, key, label);
  free(xstrdup(id)); /* the library hands the id back as a new string */
}

static void lib_list(Bench *b, long i) {
  char *list = NULL;
  (void)i;
  LIB(ws_list_sessions(b->lib, "list", WS_ORDER_UPDATED_AT, true, &list));
  ws_string_free(list);
}
static void raw_list_op(Bench *b, long i) {
  (void)i;
  free(raw_list(b->raw, "list", "list:", "list;"));
}

static void lib_history_push(Bench *b, long i) {
  (void)i;
  LIB(ws_history_push(b->lib, b->flow, b->sid, b->snapshot));
}
static void raw_history_push_op(Bench *b, long i) {
  (void)i;
  raw_history_push(b->raw, b->key, b->snapshot);
}

static void lib_checkpoint(Bench *b, long i) {
  (void)i;
  LIB(ws_checkpoint(b->lib, b->flow, b->sid, "Typing"));
}
static void raw_checkpoint_op(Bench *b, long i) {
  (void)i;
  raw_checkpoint(b->raw, b->key, "Typing");
}

/* Undo and redo alternate on each side, every call timed. An untimed preparation
 * (a checkpoint and an edit before each undo) let the WAL's checkpoints, every 1,000
 * frames, fall on a fixed call of the repeating pattern: each side paid for all of
 * them or for none, by how its frames added up (2x apart between two runs). */
static void lib_travel(Bench *b, long i) {
  bool done = false;
  (void)i;
  if (b->undone[LIBRARY]) LIB(ws_redo(b->lib, b->flow, b->sid, &done));
  else LIB(ws_undo(b->lib, b->flow, b->sid, &done));
  if (!done) die("ws_%s had nothing to move", b->undone[LIBRARY] ? "redo" : "undo");
  b->undone[LIBRARY] = !b->undone[LIBRARY];
}
/* Untimed, before the undo/redo rows: a checkpoint and an edit, so that both moves
 * restore a state other than the current one (the library then rewrites the row, as
 * raw SQLite always does). */
static void prepare_travel(Bench *b) {
  static int edits;
  char updates[48];
  snprintf(updates, sizeof updates, "{\"undo_edit\":%d}", ++edits);
  LIB(ws_checkpoint(b->lib, b->flow, b->sid, "Typing"));
  LIB(ws_update_state(b->lib, b->flow, b->sid, updates));
  raw_checkpoint(b->raw, b->key, "Typing");
  raw_update_state(b->raw, b->key, updates);
}
static void raw_travel_op(Bench *b, long i) {
  bool undone = b->undone[RAW];
  (void)i;
  if (!raw_travel(b->raw, b->key, undone ? 2 : 1, undone ? 1 : 2)) die("raw %s had nothing to move", undone ? "redo" : "undo");
  b->undone[RAW] = !undone;
}

typedef void (*OpFn)(Bench *b, long i);

typedef struct Op {
  const char *name;
  OpFn fn[2];
  OpFn prep[2]; /* untimed, once before each timed call; NULL for none */
  int batch;    /* timed calls between preparations (history depth bound) */
  bool is_list;
} Op;

static const Op OP_UPDATE_STATE = {"ws_update_state", {lib_update_state, raw_update_state_op}, {NULL, NULL}, 0, false};
static const Op OP_GET_STATE = {"ws_get_state", {lib_get_state, raw_get_state_op}, {NULL, NULL}, 0, false};
static const Op OP_UPDATE_STEP = {"ws_update_step_state", {lib_update_step, raw_update_step_op}, {NULL, NULL}, 0, false};
static const Op OP_SET_STEP = {"ws_set_current_step", {lib_set_step, raw_set_step_op}, {NULL, NULL}, 0, false};
static const Op OP_CREATE = {"ws_create_session", {lib_create, raw_create_op}, {NULL, NULL}, 0, false};
static const Op OP_LIST = {"ws_list_sessions", {lib_list, raw_list_op}, {NULL, NULL}, 0, true};
static const Op OP_HISTORY_PUSH = {"ws_history_push", {lib_history_push, raw_history_push_op}, {NULL, NULL}, 0, false};
static const Op OP_CHECKPOINT = {"ws_checkpoint", {lib_checkpoint, raw_checkpoint_op}, {NULL, NULL}, 0, false};
static const Op OP_UNDO = {"ws_undo / ws_redo", {lib_travel, raw_travel_op}, {NULL, NULL}, 0, false};

/* ws_apply as an optimistic edit: each call expects the revision the previous one
 * returned and replaces one number 3 levels deep (b->pointer) with the call's number;
 * the second form also sets the step and pushes a checkpoint. */
static void lib_apply_edit(Bench *b, long i, bool with_step_and_checkpoint) {
  char edit[256], *result = NULL;
  const char *at;
  int n = snprintf(edit, sizeof edit, "{\"expect_revision\":%lld,\"patch\":[{\"op\":\"replace\",\"path\":\"%s\",\"value\":%ld}]",
                   (long long)b->revision[LIBRARY], b->pointer, i);
  if (with_step_and_checkpoint) {
    n += snprintf(edit + n, sizeof edit - (size_t)n, ",\"step\":\"step-%ld\",\"checkpoint\":\"Typing\"", i % 7);
  }
  snprintf(edit + n, sizeof edit - (size_t)n, "}");
  LIB(ws_apply(b->lib, b->flow, b->sid, edit, &result));
  at = strstr(result, "\"revision\":");
  if (!at || !strstr(result, "\"changed\":true")) die("ws_apply returned %s", result);
  b->revision[LIBRARY] = strtoll(at + strlen("\"revision\":"), NULL, 10);
  ws_string_free(result);
}
static void raw_apply_edit(Bench *b, long i, bool with_step_and_checkpoint) {
  char step[32];
  snprintf(step, sizeof step, "step-%ld", i % 7);
  b->revision[RAW] = raw_apply(b->raw, b->key, b->revision[RAW], b->sql_path, i,
                               with_step_and_checkpoint ? step : NULL, with_step_and_checkpoint ? "Typing" : NULL);
}
static void lib_apply_replace(Bench *b, long i) { lib_apply_edit(b, i, false); }
static void raw_apply_replace(Bench *b, long i) { raw_apply_edit(b, i, false); }
static void lib_apply_full(Bench *b, long i) { lib_apply_edit(b, i, true); }
static void raw_apply_full(Bench *b, long i) { raw_apply_edit(b, i, true); }

static void lib_get_session(Bench *b, long i) {
  char *session = NULL;
  (void)i;
  LIB(ws_get_session(b->lib, b->flow, b->sid, &session));
  if (!session) die("ws_get_session found no session");
  ws_string_free(session);
}
static void raw_get_session_op(Bench *b, long i) {
  char *session = raw_get_session(b->raw, b->key, b->flow, b->sid);
  (void)i;
  if (!session) die("raw get_session found no session");
  free(session);
}

/* A follower's page of 100 changes: every flow from the start (the first 100 sessions
 * of the file, the fill's), or one flow, whose sessions are 1 in 101 of the file's. */
#define FEED_PAGE 100
static void lib_changes_all(Bench *b, long i) {
  char *page = NULL;
  (void)i;
  LIB(ws_changes_since(b->lib, NULL, 0, FEED_PAGE, &page));
  ws_string_free(page);
}
static void raw_changes_all(Bench *b, long i) {
  (void)i;
  free(raw_changes_since(b->raw, NULL, NULL, 0, FEED_PAGE));
}
static void lib_changes_flow(Bench *b, long i) {
  char *page = NULL;
  (void)i;
  LIB(ws_changes_since(b->lib, "list", 0, FEED_PAGE, &page));
  ws_string_free(page);
}
static void raw_changes_flow(Bench *b, long i) {
  (void)i;
  free(raw_changes_since(b->raw, "list:", "list;", 0, FEED_PAGE));
}

static const Op OP_APPLY_REPLACE = {"ws_apply", {lib_apply_replace, raw_apply_replace}, {NULL, NULL}, 0, false};
static const Op OP_APPLY_FULL = {"ws_apply", {lib_apply_full, raw_apply_full}, {NULL, NULL}, 0, false};
static const Op OP_GET_SESSION = {"ws_get_session", {lib_get_session, raw_get_session_op}, {NULL, NULL}, 0, false};
static const Op OP_CHANGES_ALL = {"ws_changes_since", {lib_changes_all, raw_changes_all}, {NULL, NULL}, 0, false};
static const Op OP_CHANGES_FLOW = {"ws_changes_since", {lib_changes_flow, raw_changes_flow}, {NULL, NULL}, 0, false};

/* Undo for editors. A keystroke: an edit (untimed), then its checkpoint, pushed (a
 * label alone) or merged into the run the target session's newest entry opened (a
 * merge key with a window longer than the benchmark). */
#define MERGING_CHECKPOINT "{\"label\":\"Typing\",\"merge_key\":\"typing\",\"merge_window_ms\":2147483647}"

/* Before half of the keystrokes (by a hash of the call number, the same on both sides),
 * an untimed write to another session. Without it the pattern edit, checkpoint repeats
 * exactly, and SQLite's auto-checkpoint of the WAL (at 1,000 frames, counted again from
 * 0 after each) falls on the same call of it every time: the timed checkpoint paid for
 * every WAL checkpoint or for none, by how the two calls' frames add up. With it, each
 * call pays in proportion to the frames it writes, as in a stream of one call. */
static bool shifts_wal(long i) { return ((unsigned long)i * 2654435761UL >> 16 & 1UL) != 0; }

static void lib_keystroke(Bench *b, long i) {
  char updates[48];
  snprintf(updates, sizeof updates, "{\"shift\":%ld}", i);
  if (shifts_wal(i)) LIB(ws_update_state(b->lib, b->flow, "wal-shift", updates));
  snprintf(updates, sizeof updates, "{\"typed\":%ld}", i);
  LIB(ws_update_state(b->lib, b->flow, b->sid, updates));
}
static void raw_keystroke(Bench *b, long i) {
  char updates[48], key[128];
  if (shifts_wal(i)) {
    snprintf(key, sizeof key, "%s:wal-shift", b->flow);
    snprintf(updates, sizeof updates, "{\"shift\":%ld}", i);
    raw_update_state(b->raw, key, updates);
  }
  snprintf(updates, sizeof updates, "{\"typed\":%ld}", i);
  raw_update_state(b->raw, b->key, updates);
}
static void lib_checkpoint_pushed(Bench *b, long i) {
  (void)i;
  LIB(ws_checkpoint_with(b->lib, b->flow, b->sid, "{\"label\":\"Typing\"}"));
}
static void lib_checkpoint_merged(Bench *b, long i) {
  (void)i;
  LIB(ws_checkpoint_with(b->lib, b->flow, b->sid, MERGING_CHECKPOINT));
}
/* Raw SQLite's merged checkpoint: one query (one snapshot) reads the newest undo
 * entry's key and time and the redo count, found to merge; nothing written, so no
 * write transaction, as the library decides it. */
static void raw_checkpoint_merged(Bench *b, long i) {
  Raw *r = b->raw;
  (void)i;
  bind_text(r->merge_top, 1, b->key);
  if (!step_row(r->merge_top) || sqlite3_column_type(r->merge_top, 0) == SQLITE_NULL ||
      sqlite3_column_int64(r->merge_top, 2) != 0) {
    die("raw merged checkpoint: the newest undo entry holds no open run");
  }
  reset(r->merge_top);
}

static void lib_undo_status(Bench *b, long i) {
  char *status = NULL;
  (void)i;
  LIB(ws_undo_status(b->lib, b->flow, b->sid, &status));
  ws_string_free(status);
}
/* Appends `text` as a JSON string, or null; labels and metas here are plain ASCII. */
static void append_json(char *out, size_t size, const char *text, bool quoted) {
  size_t n = strlen(out);
  if (!text) snprintf(out + n, size - n, "null");
  else snprintf(out + n, size - n, quoted ? "\"%s\"" : "%s", text);
}
static char *raw_undo_status(Raw *r, const char *key) {
  char out[1024] = "", *labels[2], *metas[2];
  sqlite3_int64 depths[2];
  int k;
  bool clean;
  run(r->begin_read);
  for (k = 0; k < 2; k++) {
    bind_text(r->undo_top, 1, key);
    bind_int(r->undo_top, 2, k + 1);
    if (!step_row(r->undo_top)) die("raw undo status: no row");
    depths[k] = sqlite3_column_int64(r->undo_top, 0);
    labels[k] = column_copy(r->undo_top, 1);
    metas[k] = column_copy(r->undo_top, 2);
    reset(r->undo_top);
  }
  bind_text(r->undo_marks, 1, key);
  clean = step_row(r->undo_marks) && sqlite3_column_int64(r->undo_marks, 0) != 0;
  reset(r->undo_marks);
  run(r->commit);
  snprintf(out, sizeof out, "{\"undo_depth\":%lld,\"redo_depth\":%lld,\"undo_label\":", (long long)depths[0],
           (long long)depths[1]);
  append_json(out, sizeof out, labels[0], true);
  strcat(out, ",\"redo_label\":");
  append_json(out, sizeof out, labels[1], true);
  strcat(out, ",\"undo_meta\":");
  append_json(out, sizeof out, metas[0], false);
  strcat(out, ",\"redo_meta\":");
  append_json(out, sizeof out, metas[1], false);
  strcat(out, clean ? ",\"clean\":true}" : ",\"clean\":false}");
  for (k = 0; k < 2; k++) {
    free(labels[k]);
    free(metas[k]);
  }
  return xstrdup(out);
}
static void raw_undo_status_op(Bench *b, long i) {
  (void)i;
  free(raw_undo_status(b->raw, b->key));
}

/* Raw SQLite's pushed checkpoint is its ws_checkpoint. */
static const Op OP_CHECKPOINT_PUSHED = {"ws_checkpoint_with (pushed)", {lib_checkpoint_pushed, raw_checkpoint_op},
                                        {lib_keystroke, raw_keystroke}, 1, false};
static const Op OP_CHECKPOINT_MERGED = {"ws_checkpoint_with (merged)", {lib_checkpoint_merged, raw_checkpoint_merged},
                                        {lib_keystroke, raw_keystroke}, 1, false};
static const Op OP_UNDO_STATUS = {"ws_undo_status", {lib_undo_status, raw_undo_status_op}, {NULL, NULL}, 0, false};

/* Microseconds per call of `n` calls on one side (preparations not counted). */
static double measure(Bench *b, const Op *op, int side, long n) {
  double total = 0.0;
  long done = 0;
  while (done < n) {
    long chunk = n - done, k;
    double start;
    if (op->batch > 0 && chunk > op->batch) chunk = op->batch;
    if (op->prep[side]) {
      for (k = 0; k < chunk; k++) op->prep[side](b, ++b->counter[side]);
    }
    start = now_seconds();
    for (k = 0; k < chunk; k++) op->fn[side](b, ++b->counter[side]);
    total += now_seconds() - start;
    done += chunk;
  }
  return total / (double)n * 1e6;
}

typedef struct Result {
  double lib, raw; /* medians, us/op */
} Result;

static long warmup_count(long n) {
  long w = n / 10;
  if (w > 50) w = 50;
  if (w < 2) w = 2;
  return w;
}

#define SLICES 10

/* Warm-up, then three runs. Within a run the library and raw SQLite alternate in slices
 * of a tenth of the calls (who goes first alternates too), so that a change in the
 * machine's load during a run weighs on both sides alike; each run's figure per side is
 * the mean over its slices, the result the median of the three runs. */
static Result bench_op(Bench *b, const Op *op, long n) {
  double lib[RUNS], raw[RUNS];
  Result result;
  int run_i, slice;
  long warm = warmup_count(n);
  (void)measure(b, op, LIBRARY, warm);
  (void)measure(b, op, RAW, warm);
  for (run_i = 0; run_i < RUNS; run_i++) {
    long done = 0;
    lib[run_i] = raw[run_i] = 0.0;
    for (slice = 0; slice < SLICES; slice++) {
      long calls = n * (slice + 1) / SLICES - done;
      int first = (run_i + slice) % 2 == 0 ? LIBRARY : RAW, k;
      if (calls <= 0) continue;
      for (k = 0; k < 2; k++) {
        int side = k == 0 ? first : 1 - first;
        (side == LIBRARY ? lib : raw)[run_i] += measure(b, op, side, calls) * (double)calls;
      }
      done += calls;
    }
    lib[run_i] /= (double)n;
    raw[run_i] /= (double)n;
  }
  result.lib = median3(lib);
  result.raw = median3(raw);
  return result;
}

/* ------------------------------------------------------------------------------------ */
/* Checks that both sides did the same work: equal state, step and stack depths.        */

static void mismatch(Bench *b, const char *after, const char *what, const char *lib, const char *raw) {
  size_t i = 0;
  b->mismatches++;
  if (lib && raw) {
    while (lib[i] && lib[i] == raw[i]) i++;
  }
  printf("  WARNING: after %s the library and raw SQLite differ in %s", after, what);
  if (lib && raw) {
    printf(" (first difference at byte %lu: library \"%.40s\", raw \"%.40s\")", (unsigned long)i, lib + i, raw + i);
  } else {
    printf(" (library %s, raw %s)", lib ? lib : "NULL", raw ? raw : "NULL");
  }
  printf("\n");
}

static bool same(const char *a, const char *b) { return (!a && !b) || (a && b && strcmp(a, b) == 0); }

/* One check that the two sides returned the same text (`what`), after `after`; frees
 * both (the library's with ws_string_free). */
static void check_same_text(Bench *b, const char *after, const char *what, char *lib, char *raw) {
  b->checks++;
  if (!same(lib, raw)) mismatch(b, after, what, lib, raw);
  ws_string_free(lib);
  free(raw);
}

static long count_of(const char *text, const char *needle) {
  long n = 0;
  size_t len = strlen(needle);
  while ((text = strstr(text, needle)) != NULL) {
    n++;
    text += len;
  }
  return n;
}

static long depth_field(const char *status, const char *field) {
  const char *at = strstr(status, field);
  if (!at) die("no %s in ws_undo_status's %s", field, status);
  return strtol(at + strlen(field), NULL, 10);
}

static void check_session(Bench *b, const char *after) {
  char *lib_state = NULL, *lib_step = NULL, *status = NULL, *raw_state = NULL, *raw_step = NULL;
  size_t lib_history = 0;
  long lib_depth[3], raw_depth[3];
  int64_t lib_seq[2];      /* the session's revision, the latest number */
  sqlite3_int64 raw_seq[2];
  int stack;
  char lib_num[64], raw_num[64];
  LIB(ws_get_state(b->lib, b->flow, b->sid, &lib_state));
  LIB(ws_get_current_step(b->lib, b->flow, b->sid, &lib_step));
  LIB(ws_history_len(b->lib, b->flow, b->sid, &lib_history));
  LIB(ws_undo_status(b->lib, b->flow, b->sid, &status));
  lib_depth[0] = (long)lib_history;
  lib_depth[1] = depth_field(status, "\"undo_depth\":");
  lib_depth[2] = depth_field(status, "\"redo_depth\":");
  bind_text(b->raw->read_row, 1, b->key);
  if (step_row(b->raw->read_row)) {
    raw_state = column_copy(b->raw->read_row, 0);
    raw_step = column_copy(b->raw->read_row, 1);
  }
  reset(b->raw->read_row);
  LIB(ws_get_revision(b->lib, b->flow, b->sid, &lib_seq[0]));
  LIB(ws_latest_seq(b->lib, &lib_seq[1]));
  raw_seq[0] = raw_revision(b->raw, b->key);
  raw_seq[1] = raw_latest(b->raw);
  for (stack = 0; stack < 3; stack++) {
    bind_text(b->raw->stack_len, 1, b->key);
    bind_int(b->raw->stack_len, 2, stack);
    if (!step_row(b->raw->stack_len)) die("count returned no row");
    raw_depth[stack] = (long)sqlite3_column_int64(b->raw->stack_len, 0);
    reset(b->raw->stack_len);
  }
  b->checks++;
  if (!same(lib_state, raw_state)) mismatch(b, after, "the session state", lib_state, raw_state);
  if (!same(lib_step, raw_step)) mismatch(b, after, "the current step", lib_step, raw_step);
  for (stack = 0; stack < 3; stack++) {
    if (lib_depth[stack] != raw_depth[stack]) {
      static const char *const names[] = {"the history depth", "the undo depth", "the redo depth"};
      snprintf(lib_num, sizeof lib_num, "%ld", lib_depth[stack]);
      snprintf(raw_num, sizeof raw_num, "%ld", raw_depth[stack]);
      mismatch(b, after, names[stack], lib_num, raw_num);
    }
  }
  for (stack = 0; stack < 2; stack++) {
    if ((sqlite3_int64)lib_seq[stack] != raw_seq[stack]) {
      static const char *const names[] = {"the session's revision", "the latest change number"};
      snprintf(lib_num, sizeof lib_num, "%lld", (long long)lib_seq[stack]);
      snprintf(raw_num, sizeof raw_num, "%lld", (long long)raw_seq[stack]);
      mismatch(b, after, names[stack], lib_num, raw_num);
    }
  }
  ws_string_free(lib_state);
  ws_string_free(lib_step);
  ws_string_free(status);
  free(raw_state);
  free(raw_step);
}

/* ws_get_session and ws_changes_since: the library's text and the raw side's, byte for
 * byte (the raw side's is built from what its file holds, so this also compares the
 * rows, revisions and change sequences of the two files). */
/* Blanks the timestamps of a ws_get_session text: the two sides' last writes are
 * interleaved, and may fall in different seconds. */
static void mask_timestamps(char *text) {
  static const char *const members[] = {"\"created_at\":\"", "\"updated_at\":\""};
  size_t k;
  for (k = 0; text && k < 2; k++) {
    char *at = strstr(text, members[k]);
    if (at) {
      for (at += strlen(members[k]); *at && *at != '"'; at++) *at = '-';
    }
  }
}

static void check_read(Bench *b, const Op *op, const char *after) {
  char *lib_text = NULL, *raw_text = NULL;
  if (op == &OP_GET_SESSION) {
    LIB(ws_get_session(b->lib, b->flow, b->sid, &lib_text));
    raw_text = raw_get_session(b->raw, b->key, b->flow, b->sid);
    mask_timestamps(lib_text);
    mask_timestamps(raw_text);
  } else if (op == &OP_CHANGES_ALL) {
    LIB(ws_changes_since(b->lib, NULL, 0, FEED_PAGE, &lib_text));
    raw_text = raw_changes_since(b->raw, NULL, NULL, 0, FEED_PAGE);
  } else {
    LIB(ws_changes_since(b->lib, "list", 0, FEED_PAGE, &lib_text));
    raw_text = raw_changes_since(b->raw, "list:", "list;", 0, FEED_PAGE);
  }
  b->checks++;
  if (!same(lib_text, raw_text)) mismatch(b, after, "the text returned", lib_text, raw_text);
  if (op != &OP_GET_SESSION && (!lib_text || !strstr(lib_text, "\"more\":true") ||
                                count_of(lib_text, "\"seq\":") != FEED_PAGE)) {
    b->mismatches++;
    printf("  WARNING: after %s the page does not hold %d changes with more to come: %.200s\n", after, FEED_PAGE,
           lib_text ? lib_text : "NULL");
  }
  ws_string_free(lib_text);
  free(raw_text);
}

static void check_list(Bench *b, const char *after) {
  char *lib_list = NULL, *raw_list_text;
  LIB(ws_list_sessions(b->lib, "list", WS_ORDER_UPDATED_AT, true, &lib_list));
  raw_list_text = raw_list(b->raw, "list", "list:", "list;");
  check_same_text(b, after, "the session list", lib_list, raw_list_text);
}

/* ------------------------------------------------------------------------------------ */
/* States and output.                                                                  */

/* A JSON object of about `size` bytes: a title, the "edit" step's state, then items. */
static char *make_state(size_t size) {
  char *text = (char *)xmalloc(size + 256);
  size_t len;
  long item = 0;
  len = (size_t)sprintf(text, "{\"title\":\"Benchmark session\",\"_step_edit\":{\"cursor\":0,\"mode\":\"insert\"}");
  while (len + 100 < size) {
    len += (size_t)sprintf(text + len,
                           ",\"item%05ld\":{\"id\":%ld,\"name\":\"Item %ld\",\"done\":%s,\"score\":%ld.25,\"tags\":[\"a\",\"b\"]}",
                           item, item, item, item % 2 ? "true" : "false", item % 100);
    item++;
  }
  text[len++] = '}';
  text[len] = '\0';
  return text;
}

/* A state like make_state's whose items nest one level more, so that a value sits 3
 * levels deep (/itemNNNNN/detail/score); `middle` receives the middle item's number. */
static char *make_deep_state(size_t size, long *middle) {
  char *text = (char *)xmalloc(size + 256);
  size_t len;
  long item = 0;
  len = (size_t)sprintf(text, "{\"title\":\"Benchmark session\",\"_step_edit\":{\"cursor\":0,\"mode\":\"insert\"}");
  while (len + 110 < size) {
    len += (size_t)sprintf(text + len,
                           ",\"item%05ld\":{\"id\":%ld,\"name\":\"Item %ld\",\"detail\":{\"done\":%s,\"score\":%ld.25},\"tags\":[\"a\",\"b\"]}",
                           item, item, item, item % 2 ? "true" : "false", item % 100);
    item++;
  }
  text[len++] = '}';
  text[len] = '\0';
  *middle = item / 2;
  return text;
}

/* The same starting state for a session on both sides. */
static void seed_session(Bench *b, const char *sid, const char *state) {
  target_session(b, sid);
  LIB(ws_update_state(b->lib, b->flow, sid, state));
  LIB(ws_set_current_step(b->lib, b->flow, sid, "edit"));
  raw_update_state(b->raw, b->key, state);
  raw_set_step(b->raw, b->key, "edit");
  check_session(b, "seeding the session");
}

/* Targets ws_apply at session `sid`, replacing /item<middle>/detail/score, from the
 * revision each side's session has now. */
static void target_apply(Bench *b, const char *sid, long middle) {
  int64_t revision = 0;
  target_session(b, sid);
  snprintf(b->pointer, sizeof b->pointer, "/item%05ld/detail/score", middle);
  snprintf(b->sql_path, sizeof b->sql_path, "$.item%05ld.detail.score", middle);
  LIB(ws_get_revision(b->lib, b->flow, sid, &revision));
  b->revision[LIBRARY] = (sqlite3_int64)revision;
  b->revision[RAW] = raw_revision(b->raw, b->key);
}

static const char *const RULE =
    "----------------------------------------------------+---------------+------------------+--------+----------+-----";

static void table_header(const char *title) {
  printf("\n%s\n", title);
  printf("%-52s|%14s |%17s |%7s |%9s | %s\n", "operation", "library us/op", "raw SQLite us/op", "ratio", "target", "ok");
  printf("%s\n", RULE);
}

typedef enum { TARGET_NONE, TARGET_AT_MOST, TARGET_BELOW } TargetKind;

static void table_row(const char *label, Result r, TargetKind kind, double target) {
  double ratio = r.lib / r.raw;
  char target_text[16] = "-";
  const char *ok = "-";
  if (kind == TARGET_AT_MOST) {
    snprintf(target_text, sizeof target_text, "<= %.2f", target);
    ok = ratio <= target ? "PASS" : "FAIL";
  } else if (kind == TARGET_BELOW) {
    snprintf(target_text, sizeof target_text, "< %.2f", target);
    ok = ratio < target ? "PASS" : "FAIL";
  }
  printf("%-52s|%14.1f |%17.1f |%7.2f |%9s | %s\n", label, r.lib, r.raw, ratio, target_text, ok);
  fflush(stdout);
}

static void ratio_row(const char *label, double lib, double raw, double target) {
  char target_text[16];
  snprintf(target_text, sizeof target_text, "<= %.1fx", target);
  printf("%-56s|%9.2fx |%12.2fx |%9s | %s\n", label, lib, raw, target_text, lib <= target ? "PASS" : "FAIL");
  fflush(stdout);
}

/* ------------------------------------------------------------------------------------ */
/* The runs.                                                                           */

static void path_in(char *out, size_t size, const char *dir, const char *mode, const char *side) {
  snprintf(out, size, "%s/%s-%s.db", dir, mode, side);
}

/* Opens both sides on fresh files of `list` sessions of flow "list" and `others` more. */
static void open_pair_sized(Bench *b, Raw *raw, const char *dir, const Mode *mode, const char *name, long list,
                            long others) {
  char lib_path[4096], raw_path[4096];
  Schema schema;
  memset(b, 0, sizeof *b);
  path_in(lib_path, sizeof lib_path, dir, name, "lib");
  path_in(raw_path, sizeof raw_path, dir, name, "raw");
  make_library_file(lib_path, mode, list, others, &schema);
  make_raw_file(raw, raw_path, mode, list, others, &schema);
  schema_free(&schema);
  LIB(ws_store_open_with(lib_path, mode->options, &b->lib));
  b->raw = raw;
  b->dir = dir;
  b->mode = mode;
  b->flow = "bench";
  snprintf(b->step_key, sizeof b->step_key, "_step_edit");
  snprintf(b->step_path, sizeof b->step_path, "$.\"%s\"", b->step_key);
}

/* Opens both sides on fresh files of LIST_SESSIONS + `others` sessions. */
static void open_pair(Bench *b, Raw *raw, const char *dir, const Mode *mode, const char *name, long others) {
  open_pair_sized(b, raw, dir, mode, name, LIST_SESSIONS, others);
}

static void close_pair(Bench *b) {
  ws_store_close(b->lib);
  b->lib = NULL;
  raw_close(b->raw);
}

/* Store open time on the big file, everything else closed: open (timed) and close
 * (untimed), `n` times a run. The raw side does what the library's open does: open,
 * busy_timeout, read the schema version, journal_mode, synchronous (raw_connect), then
 * the schema inspection (user_version, table_info, whether ws_history exists). */
static Result bench_open(const char *lib_path, const char *raw_path, const Mode *mode, long n) {
  double lib_runs[RUNS], raw_runs[RUNS];
  Result result;
  int run_i, side_i;
  long k;
  for (run_i = -1; run_i < RUNS; run_i++) { /* run -1 is the warm-up */
    for (side_i = 0; side_i < 2; side_i++) {
      int side = (run_i + 2 + side_i) % 2 == 0 ? LIBRARY : RAW;
      double total = 0.0;
      for (k = 0; k < n; k++) {
        double start = now_seconds();
        if (side == LIBRARY) {
          ws_store *store = NULL;
          LIB(ws_store_open_with(lib_path, mode->options, &store));
          total += now_seconds() - start;
          ws_store_close(store);
        } else {
          sqlite3 *db = raw_connect(raw_path, mode);
          sqlite3_stmt *info;
          bool has_label = false;
          (void)query_int(db, "PRAGMA user_version");
          info = prepare(db, "PRAGMA main.table_info(workflow_state)");
          while (step_row(info)) {
            const unsigned char *column = sqlite3_column_text(info, 1);
            if (column && strcmp((const char *)column, "label") == 0) has_label = true;
          }
          finalize(info);
          if (!has_label) die("raw open: no label column");
          if (query_int(db, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'ws_history'") != 1) {
            die("raw open: no ws_history table");
          }
          total += now_seconds() - start;
          raw_disconnect(db);
        }
      }
      if (run_i >= 0) (side == LIBRARY ? lib_runs : raw_runs)[run_i] = total / (double)n * 1e6;
    }
  }
  result.lib = median3(lib_runs);
  result.raw = median3(raw_runs);
  return result;
}

/* ------------------------------------------------------------------------------------ */
/* ws_wait_for_change: how soon a waiter sees another process's commit.                 */

#define WAKE_ROUNDS 50
#define WAKE_TIMEOUT_MS 5000

static void write_all(int fd, const void *data, size_t n) {
  const char *p = (const char *)data;
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) die("write to a pipe: %s", strerror(errno));
    p += w;
    n -= (size_t)w;
  }
}

/* false at the end of the stream. */
static bool read_all(int fd, void *data, size_t n) {
  char *p = (char *)data;
  while (n > 0) {
    ssize_t r = read(fd, p, n);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) die("read from a pipe: %s", strerror(errno));
    if (r == 0) return false;
    p += r;
    n -= (size_t)r;
  }
  return true;
}

static int compare_doubles(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

/* The writer: a child process that opens its own store on the file after the fork and,
 * for each byte the parent sends, commits one ws_update_state and sends back when its
 * call started and returned (CLOCK_MONOTONIC is one clock for every process). Before
 * each commit it waits 1 to 10 ms: not to synchronise (the parent is told nothing), but
 * so that the commits fall at every phase of the waiter's 5 ms poll and the parent is
 * already waiting, as a follower is. */
static void wake_writer(const char *path, const Mode *mode, int go, int back) {
  ws_store *store = NULL;
  unsigned char round;
  long n = 0;
  LIB(ws_store_open_with(path, mode->options, &store));
  while (read_all(go, &round, 1)) {
    char updates[48];
    double times[2];
    struct timespec delay;
    delay.tv_sec = 0;
    delay.tv_nsec = (long)(1 + (n * 7) % 10) * 1000000L;
    while (nanosleep(&delay, &delay) != 0 && errno == EINTR) {
    }
    snprintf(updates, sizeof updates, "{\"n\":%ld}", ++n);
    times[0] = now_seconds();
    LIB(ws_update_state(store, "wait", "w", updates));
    times[1] = now_seconds();
    write_all(back, times, sizeof times);
  }
  ws_store_close(store);
}

/* Median and max over WAKE_ROUNDS commits of the time from the writer's call (its start,
 * and its return) to the waiter's return from ws_wait_for_change. */
static void bench_wake(const char *dir, const Mode *mode) {
  char path[4096];
  ws_store *store = NULL;
  int go[2], back[2], status = 0, round;
  double from_start[WAKE_ROUNDS], from_return[WAKE_ROUNDS];
  long missed = 0;
  pid_t child;
  snprintf(path, sizeof path, "%s/%s-wait.db", dir, mode->name);
  remove_database(path);
  LIB(ws_store_open_with(path, mode->options, &store));
  LIB(ws_update_state(store, "wait", "w", "{\"n\":0}"));
  ws_store_close(store);
  if (pipe(go) != 0 || pipe(back) != 0) die("pipe: %s", strerror(errno));
  fflush(stdout);
  fflush(stderr);
  child = fork();
  if (child < 0) die("fork: %s", strerror(errno));
  if (child == 0) {
    close(go[1]);
    close(back[0]);
    wake_writer(path, mode, go[0], back[1]);
    _exit(0);
  }
  close(go[0]);
  close(back[1]);
  LIB(ws_store_open_with(path, mode->options, &store));
  for (round = 0; round < WAKE_ROUNDS; round++) {
    int64_t latest = 0, seen = 0;
    double times[2], woke;
    unsigned char byte = (unsigned char)round;
    LIB(ws_latest_seq(store, &latest));
    write_all(go[1], &byte, 1);
    LIB(ws_wait_for_change(store, latest, WAKE_TIMEOUT_MS, &seen));
    woke = now_seconds();
    if (!read_all(back[0], times, sizeof times)) die("the writer process ended early");
    if (seen <= latest) missed++;
    from_start[round] = (woke - times[0]) * 1e3;
    from_return[round] = (woke - times[1]) * 1e3;
  }
  close(go[1]);
  if (waitpid(child, &status, 0) != child || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    die("the writer process failed (status %d)", status);
  }
  close(back[0]);
  ws_store_close(store);
  qsort(from_start, WAKE_ROUNDS, sizeof from_start[0], compare_doubles);
  qsort(from_return, WAKE_ROUNDS, sizeof from_return[0], compare_doubles);
  printf("\nws_wait_for_change: wake-up after a commit in another process (%d commits, ms)\n", WAKE_ROUNDS);
  printf("%-52s|%9s |%9s |%9s | %s\n", "measured from", "median", "max", "target", "ok");
  printf("----------------------------------------------------+----------+----------+----------+-----\n");
  printf("%-52s|%9.2f |%9.2f |%9s | %s\n", "the start of the writer's ws_update_state call",
         (from_start[WAKE_ROUNDS / 2 - 1] + from_start[WAKE_ROUNDS / 2]) / 2, from_start[WAKE_ROUNDS - 1], "max < 50",
         missed == 0 && from_start[WAKE_ROUNDS - 1] < 50.0 ? "PASS" : "FAIL");
  printf("%-52s|%9.2f |%9.2f |%9s | %s\n", "the return of that call (committed)",
         (from_return[WAKE_ROUNDS / 2 - 1] + from_return[WAKE_ROUNDS / 2]) / 2, from_return[WAKE_ROUNDS - 1], "-", "-");
  if (missed > 0) printf("  WARNING: %ld of the waits timed out after %d ms without seeing the commit\n", missed, WAKE_TIMEOUT_MS);
  fflush(stdout);
}

/* The scaling runs (default mode): step update at 1 KB, 100 KB and 1 MB; the list with
 * 1,000 vs 100,000 other sessions; checkpoint and undo at 1 KB and 1 MB; store open.
 * Closes `b`. */
static void run_scaling(Bench *b, const char *dir, const Mode *mode, const char *state_1k, long *checks,
                        long *mismatches) {
  char *state_100k = make_state(100 * KB), *state_1m = make_state(MB);
  Result step[3], list_small, list_big, checkpoint[2], undo[2], open_time;
  Bench small;
  Raw small_raw;
  char label[160], n1[32], n2[32], lib_path[4096], raw_path[4096];
  const long lists = 50, big_calls = 30;

  long middle_100k, middle_1m;
  char *deep_100k = make_deep_state(100 * KB, &middle_100k), *deep_1m = make_deep_state(MB, &middle_1m);
  Result apply[3], get_session_1m;

  seed_session(b, "s100k", state_100k);
  seed_session(b, "s1m", state_1m);
  seed_session(b, "a100k", deep_100k);
  seed_session(b, "a1m", deep_1m);
  table_header("scaling, default mode (us per call, median of 3 runs)");

  target_session(b, "s1k");
  step[0] = bench_op(b, &OP_UPDATE_STEP, 3000);
  check_session(b, "ws_update_step_state at 1 KB");
  snprintf(label, sizeof label, "ws_update_step_state, 1 KB state (%s B)", count_text((long)strlen(state_1k), n1, sizeof n1));
  table_row(label, step[0], TARGET_AT_MOST, mode->target);

  target_session(b, "s100k");
  step[1] = bench_op(b, &OP_UPDATE_STEP, 200);
  check_session(b, "ws_update_step_state at 100 KB");
  snprintf(label, sizeof label, "ws_update_step_state, 100 KB state (%s B)",
           count_text((long)strlen(state_100k), n1, sizeof n1));
  table_row(label, step[1], TARGET_BELOW, 1.0);

  target_session(b, "s1m");
  step[2] = bench_op(b, &OP_UPDATE_STEP, big_calls);
  check_session(b, "ws_update_step_state at 1 MB");
  snprintf(label, sizeof label, "ws_update_step_state, 1 MB state (%s B)", count_text((long)strlen(state_1m), n1, sizeof n1));
  table_row(label, step[2], TARGET_BELOW, 1.0);

  /* ws_apply: the issue's goal is 0.5x from 100 KB up (raw SQLite's json_set re-renders
   * the whole state; the library splices the replaced value into its text). */
  target_apply(b, "a100k", middle_100k);
  apply[0] = bench_op(b, &OP_APPLY_REPLACE, 200);
  check_session(b, "ws_apply (replace) at 100 KB");
  snprintf(label, sizeof label, "ws_apply replace, 3 deep, 100 KB (%s B)", count_text((long)strlen(deep_100k), n1, sizeof n1));
  table_row(label, apply[0], TARGET_AT_MOST, 0.5);
  target_apply(b, "a1m", middle_1m);
  apply[1] = bench_op(b, &OP_APPLY_REPLACE, big_calls);
  check_session(b, "ws_apply (replace) at 1 MB");
  snprintf(label, sizeof label, "ws_apply replace, 3 deep, 1 MB (%s B)", count_text((long)strlen(deep_1m), n1, sizeof n1));
  table_row(label, apply[1], TARGET_AT_MOST, 0.5);
  target_apply(b, "a1m", middle_1m);
  apply[2] = bench_op(b, &OP_APPLY_FULL, big_calls);
  check_session(b, "ws_apply (replace, step, checkpoint) at 1 MB");
  table_row("ws_apply + step + checkpoint, 1 MB", apply[2], TARGET_AT_MOST, mode->target);
  target_session(b, "a1m");
  get_session_1m = bench_op(b, &OP_GET_SESSION, 300);
  check_read(b, &OP_GET_SESSION, "ws_get_session at 1 MB");
  table_row("ws_get_session, 1 MB", get_session_1m, TARGET_AT_MOST, mode->target);

  /* The list with 1,000 other sessions in the file: a second pair of files. */
  open_pair(&small, &small_raw, dir, mode, "scale-small", SMALL_OTHERS);
  list_small = bench_op(&small, &OP_LIST, lists);
  check_list(&small, "ws_list_sessions on the small file");
  list_big = bench_op(b, &OP_LIST, lists);
  snprintf(label, sizeof label, "ws_list_sessions, %s + %s other sessions", count_text(LIST_SESSIONS, n1, sizeof n1),
           count_text(SMALL_OTHERS, n2, sizeof n2));
  table_row(label, list_small, TARGET_AT_MOST, mode->list_target);
  snprintf(label, sizeof label, "ws_list_sessions, %s + %s other sessions", count_text(LIST_SESSIONS, n1, sizeof n1),
           count_text(BIG_OTHERS, n2, sizeof n2));
  table_row(label, list_big, TARGET_AT_MOST, mode->list_target);
  *checks += small.checks;
  *mismatches += small.mismatches;
  close_pair(&small);

  target_session(b, "s1k");
  checkpoint[0] = bench_op(b, &OP_CHECKPOINT, 3000);
  check_session(b, "ws_checkpoint at 1 KB");
  table_row("ws_checkpoint, 1 KB state", checkpoint[0], TARGET_AT_MOST, mode->target);
  target_session(b, "s1m");
  checkpoint[1] = bench_op(b, &OP_CHECKPOINT, big_calls);
  check_session(b, "ws_checkpoint at 1 MB");
  table_row("ws_checkpoint, 1 MB state", checkpoint[1], TARGET_AT_MOST, mode->target);

  target_session(b, "s1k");
  prepare_travel(b);
  undo[0] = bench_op(b, &OP_UNDO, 1500);
  check_session(b, "ws_undo at 1 KB");
  table_row("ws_undo / ws_redo, 1 KB state", undo[0], TARGET_AT_MOST, mode->target);
  target_session(b, "s1m");
  prepare_travel(b);
  undo[1] = bench_op(b, &OP_UNDO, big_calls);
  check_session(b, "ws_undo at 1 MB");
  table_row("ws_undo / ws_redo, 1 MB state", undo[1], TARGET_AT_MOST, mode->target);

  *checks += b->checks;
  *mismatches += b->mismatches;
  close_pair(b);
  path_in(lib_path, sizeof lib_path, dir, mode->name, "lib");
  path_in(raw_path, sizeof raw_path, dir, mode->name, "raw");
  open_time = bench_open(lib_path, raw_path, mode, 50);
  snprintf(label, sizeof label, "ws_store_open, %s-session file", count_text(LIST_SESSIONS + BIG_OTHERS, n1, sizeof n1));
  table_row(label, open_time, TARGET_NONE, 0);

  printf("\n%-56s|%10s |%13s |%10s | %s\n", "scaling target (on the library; raw for comparison)", "library",
         "raw SQLite", "target", "ok");
  printf("--------------------------------------------------------+-----------+--------------+-----------+-----\n");
  snprintf(label, sizeof label, "ws_list_sessions: %s others / %s others", count_text(BIG_OTHERS, n1, sizeof n1),
           count_text(SMALL_OTHERS, n2, sizeof n2));
  ratio_row(label, list_big.lib / list_small.lib, list_big.raw / list_small.raw, 1.5);
  ratio_row("ws_checkpoint 1 MB / ws_update_step_state 1 MB", checkpoint[1].lib / step[2].lib,
            checkpoint[1].raw / step[2].raw, 2.0);
  ratio_row("ws_undo / ws_redo 1 MB / ws_update_step_state 1 MB", undo[1].lib / step[2].lib, undo[1].raw / step[2].raw, 2.0);
  free(state_100k);
  free(state_1m);
  free(deep_100k);
  free(deep_1m);
}

/* Issue 12's calls at 1 KB, in the main table: ws_apply as an optimistic edit (alone,
 * and with a step and a checkpoint), ws_get_session, and a page of the change feed. The
 * issue's goal for the replace at 1 KB is 1.2x (or the mode's target, if stricter); the
 * others have the mode's target, as every operation of this table. */
static void run_edits_and_feed(Bench *b, const Mode *mode, long writes, long reads) {
  long middle;
  char *deep_1k = make_deep_state(KB, &middle);
  char label[160], n1[32];
  Result r;
  long feeds = reads / 5, flow_feeds = mode->full ? 100 : 200;
  seed_session(b, "a1k", deep_1k);
  seed_session(b, "c1k", deep_1k);

  target_apply(b, "a1k", middle);
  r = bench_op(b, &OP_APPLY_REPLACE, writes);
  check_session(b, "ws_apply (replace) at 1 KB");
  snprintf(label, sizeof label, "ws_apply replace, 3 deep, 1 KB (3 x %s calls)", count_text(writes, n1, sizeof n1));
  table_row(label, r, TARGET_AT_MOST, mode->target < 1.2 ? mode->target : 1.2);

  target_apply(b, "c1k", middle);
  r = bench_op(b, &OP_APPLY_FULL, writes);
  check_session(b, "ws_apply (replace, step, checkpoint) at 1 KB");
  snprintf(label, sizeof label, "ws_apply + step + checkpoint, 1 KB (3 x %s)", count_text(writes, n1, sizeof n1));
  table_row(label, r, TARGET_AT_MOST, mode->target);

  target_session(b, "a1k");
  r = bench_op(b, &OP_GET_SESSION, reads);
  check_read(b, &OP_GET_SESSION, "ws_get_session at 1 KB");
  snprintf(label, sizeof label, "ws_get_session, 1 KB (3 x %s calls)", count_text(reads, n1, sizeof n1));
  table_row(label, r, TARGET_AT_MOST, mode->target);

  r = bench_op(b, &OP_CHANGES_ALL, feeds);
  check_read(b, &OP_CHANGES_ALL, "ws_changes_since (every flow)");
  snprintf(label, sizeof label, "ws_changes_since, %d changes (3 x %s calls)", FEED_PAGE, count_text(feeds, n1, sizeof n1));
  table_row(label, r, TARGET_AT_MOST, mode->target);

  r = bench_op(b, &OP_CHANGES_FLOW, flow_feeds);
  check_read(b, &OP_CHANGES_FLOW, "ws_changes_since (one flow)");
  snprintf(label, sizeof label, "ws_changes_since, %d of 1 flow in 101 (3 x %s)", FEED_PAGE, count_text(flow_feeds, n1, sizeof n1));
  table_row(label, r, TARGET_AT_MOST, mode->target);
  free(deep_1k);
}

/* Undo for editors (issue 13): a keystroke's checkpoint pushed and merged, and
 * ws_undo_status, on a session of its own. */
/* ws_prune_sessions of PRUNED sessions of a flow of their own (one in ten with an undo
 * entry), against raw SQLite deleting the same rows with one DELETE, the same triggers
 * doing the rest: one transaction, which holds the write lock throughout, where the
 * library's batches hold it about 2 ms each and pause 1 ms between them so that other
 * writers get in. One run each: a prune cannot be repeated on the same rows. */
#define PRUNED 10000
static void run_prune(Bench *b) {
  static const char *const flow = "pruned", *const before = "9999-12-31 23:59:59";
  char sid[32], key[64], label[160], n1[32];
  long i;
  size_t deleted = 0;
  double start;
  Result r;
  for (i = 0; i < PRUNED; i++) {
    snprintf(sid, sizeof sid, "p%ld", i);
    snprintf(key, sizeof key, "%s:%s", flow, sid);
    LIB(ws_update_state(b->lib, flow, sid, "{\"note\":\"a session nobody will resume\"}"));
    raw_update_state(b->raw, key, "{\"note\":\"a session nobody will resume\"}");
    if (i % 10 == 0) {
      LIB(ws_checkpoint(b->lib, flow, sid, "Edit"));
      raw_checkpoint(b->raw, key, "Edit");
    }
  }
  start = now_seconds();
  LIB(ws_prune_sessions(b->lib, flow, before, &deleted));
  r.lib = (now_seconds() - start) * 1e6 / PRUNED;
  if (deleted != PRUNED) die("ws_prune_sessions deleted %lu sessions, not %d", (unsigned long)deleted, PRUNED);
  start = now_seconds();
  exec_sql(b->raw->db,
           "DELETE FROM workflow_state WHERE flow_session_key >= 'pruned:' AND flow_session_key < 'pruned;'"
           " AND updated_at < '9999-12-31 23:59:59'");
  r.raw = (now_seconds() - start) * 1e6 / PRUNED;
  if (sqlite3_changes(b->raw->db) != PRUNED) die("raw prune deleted %d sessions", sqlite3_changes(b->raw->db));
  snprintf(label, sizeof label, "ws_prune_sessions, %s sessions (us per session)", count_text(PRUNED, n1, sizeof n1));
  table_row(label, r, TARGET_NONE, 0);
  printf("  (library %.0f sessions/s in batches, raw SQLite %.0f sessions/s in one transaction)\n", 1e6 / r.lib,
         1e6 / r.raw);
}

/* Paged session queries: flow "list" holds QUERY_SESSIONS of the file's sessions. The
 * raw side runs the same keyset query on the same indexes (the library's ws_query_*),
 * builds each row's JSON in SQL (json_object, and `->` for a field: json_extract that
 * returns JSON) and the page in C; it leaves out what only the library does, the check
 * against the walk's change number and the NULL run of the order (none here: every
 * session has an updated_at). */
#define QUERY_SESSIONS 100000L
#define QUERY_OTHERS 1000L
#define QUERY_PAGE 100
#define QUERY_FIELDS "[\"/title\",\"/done\"]"

static struct {
  char lib_query[1024];       /* the library's query_json */
  sqlite3_stmt *raw;          /* the raw side's page query */
  char after_value[32], after_key[64]; /* the raw side's keyset (empty: the first page) */
  long rows[2];               /* rows of the last page, per side (checked equal) */
  char first[2][64];          /* the first session of the last page, per side */
} page_case;

static void lib_page(Bench *b, long i) {
  char *page = NULL;
  const char *at;
  (void)i;
  LIB(ws_query_sessions(b->lib, "list", page_case.lib_query, &page));
  page_case.rows[LIBRARY] = count_of(page, "\"session_id\":");
  at = strstr(page, "\"session_id\":\"");
  snprintf(page_case.first[LIBRARY], sizeof page_case.first[0], "%.20s", at ? at + 14 : "");
  ws_string_free(page);
}

static void raw_page(Bench *b, long i) {
  sqlite3_stmt *stmt = page_case.raw;
  Text page = {0};
  long rows = 0;
  char last_value[32] = "", last_key[64] = "", cursor[128];
  (void)b;
  (void)i;
  if (page_case.after_key[0]) {
    bind_text(stmt, 2, page_case.after_value);
    bind_text(stmt, 3, page_case.after_key);
  }
  text_str(&page, "{\"sessions\":[");
  while (step_row(stmt)) {
    if (rows == QUERY_PAGE) break;
    if (rows++) text_str(&page, ",");
    text_str(&page, (const char *)sqlite3_column_text(stmt, 0));
    snprintf(last_value, sizeof last_value, "%s", (const char *)sqlite3_column_text(stmt, 1));
    snprintf(last_key, sizeof last_key, "%s", (const char *)sqlite3_column_text(stmt, 2));
  }
  reset(stmt);
  text_str(&page, "],\"next\":");
  if (rows == QUERY_PAGE) {
    snprintf(cursor, sizeof cursor, "\"%s|%s\"", last_value, last_key);
    text_str(&page, cursor);
  } else {
    text_str(&page, "null");
  }
  text_str(&page, "}");
  page_case.rows[RAW] = rows;
  {
    const char *at = strstr(page.data, "\"session_id\":\"");
    snprintf(page_case.first[RAW], sizeof page_case.first[0], "%.20s", at ? at + 14 : "");
  }
  free(page.data);
}

static const Op OP_PAGE = {"ws_query_sessions", {lib_page, raw_page}, {NULL, NULL}, 0, false};

/* The raw page query, newest first, optionally with the two fields. */
static sqlite3_stmt *raw_page_query(sqlite3 *db, bool after, bool fields) {
  char sql[2048];
  snprintf(sql, sizeof sql,
           "SELECT json_object('flow_id', ?1, 'session_id', substr(w.flow_session_key, length(?1) + 2),"
           " 'label', w.label, 'current_step', w.current_step, 'created_at', w.created_at,"
           " 'updated_at', w.updated_at, 'state_size_bytes', coalesce(length(CAST(w.state_json AS BLOB)), 0),"
           " 'revision', coalesce(c.seq, 0), 'fields', %s), w.updated_at, w.flow_session_key"
           " FROM workflow_state w LEFT JOIN ws_change c ON c.flow_session_key = w.flow_session_key"
           " WHERE substr(w.flow_session_key, 1, instr(w.flow_session_key, ':') - 1) = ?1 AND %s"
           " ORDER BY w.updated_at DESC, w.flow_session_key DESC LIMIT %d",
           fields ? "json_object('/title', w.state_json -> '$.title', '/done', w.state_json -> '$.done')"
                  : "json_object()",
           after ? "(w.updated_at, w.flow_session_key) < (?2, ?3)" : "w.updated_at IS NOT NULL", QUERY_PAGE + 1);
  {
    sqlite3_stmt *stmt = prepare(db, sql);
    bind_text(stmt, 1, "list");
    return stmt;
  }
}

/* The library's query for page `page` (1 = the first): walks to it, untimed, and sets the
 * raw side's keyset to the same place (checked: both pages start with the same session). */
static void set_page(Bench *b, long page, bool fields) {
  char *text = NULL, cursor[512] = "", query[1024];
  long p;
  const char *fields_member = fields ? ",\"fields\":" QUERY_FIELDS : "";
  for (p = 1; p < page; p++) {
    const char *next;
    snprintf(query, sizeof query, "{\"limit\":%d%s%s%s}", QUERY_PAGE, cursor[0] ? ",\"after\":\"" : "", cursor,
             cursor[0] ? "\"" : "");
    LIB(ws_query_sessions(b->lib, "list", query, &text));
    next = strstr(text, "\"next\":\"");
    if (!next) die("the walk ended before page %ld", page);
    snprintf(cursor, sizeof cursor, "%.*s", (int)(strchr(next + 8, '"') - next - 8), next + 8);
    if (p == page - 1) {
      /* The raw keyset: the last session of this page, read from the library's page. */
      const char *last = text, *at;
      while ((at = strstr(last + 1, "\"session_id\":\"")) != NULL) last = at;
      snprintf(page_case.after_key, sizeof page_case.after_key, "list:%.*s",
               (int)(strchr(last + 14, '"') - last - 14), last + 14);
      at = strstr(last, "\"updated_at\":\"");
      snprintf(page_case.after_value, sizeof page_case.after_value, "%.19s", at + 14);
    }
    ws_string_free(text);
  }
  if (page == 1) page_case.after_key[0] = page_case.after_value[0] = '\0';
  snprintf(page_case.lib_query, sizeof page_case.lib_query, "{\"limit\":%d%s%s%s%s}", QUERY_PAGE, fields_member,
           cursor[0] ? ",\"after\":\"" : "", cursor, cursor[0] ? "\"" : "");
  if (page_case.raw) finalize(page_case.raw);
  page_case.raw = raw_page_query(b->raw->db, page > 1, fields);
}

static void run_query(const char *dir, const Mode *mode, long *checks, long *mismatches) {
  static const struct {
    long page;
    bool fields;
    const char *what;
  } cases[] = {
      {1, false, "first page"},
      {1000, false, "page 1,000"},
      {1, true, "first page, 2 fields (raw: json_extract ->)"},
      {1000, true, "page 1,000, 2 fields (raw: json_extract ->)"},
  };
  Bench qb;
  Raw qraw;
  char label[160], n1[32];
  double started = now_seconds();
  size_t i;
  open_pair_sized(&qb, &qraw, dir, mode, "query", QUERY_SESSIONS, QUERY_OTHERS);
  printf("\nfiles: %s/query-{lib,raw}.db, %s sessions, %s of them in flow \"list\" (set up in %.1f s)\n", dir,
         count_text(QUERY_SESSIONS + QUERY_OTHERS, n1, sizeof n1), count_text(QUERY_SESSIONS, label, sizeof label),
         now_seconds() - started);
  table_header("paged session queries, pages of 100 newest first (us per page, median of 3 runs)");
  for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    Result r;
    set_page(&qb, cases[i].page, cases[i].fields);
    r = bench_op(&qb, &OP_PAGE, 300);
    snprintf(label, sizeof label, "ws_query_sessions, %s (3 x 300)", cases[i].what);
    table_row(label, r, TARGET_AT_MOST, 1.5);
    lib_page(&qb, 0);
    raw_page(&qb, 0);
    qb.checks++;
    if (page_case.rows[LIBRARY] != QUERY_PAGE || page_case.rows[RAW] != QUERY_PAGE ||
        strcmp(page_case.first[LIBRARY], page_case.first[RAW]) != 0) {
      char lib_first[80], raw_first[80];
      snprintf(lib_first, sizeof lib_first, "%ld rows from %s", page_case.rows[LIBRARY], page_case.first[LIBRARY]);
      snprintf(raw_first, sizeof raw_first, "%ld rows from %s", page_case.rows[RAW], page_case.first[RAW]);
      mismatch(&qb, label, "the page", lib_first, raw_first);
    }
  }
  finalize(page_case.raw);
  page_case.raw = NULL;
  *checks += qb.checks;
  *mismatches += qb.mismatches;
  close_pair(&qb);
}

/* Export and import of a flow's sessions: ws_export of 10,000 sessions (one in ten with an
 * undo entry), and ws_import of its document into a fresh file. The raw side reads the
 * same rows and stacks with the same two SELECTs in one read transaction and builds the
 * same JSON by hand (but checks no stored text), and inserts the same rows, stack entries
 * and undo marks into a fresh file of the same schema in one transaction, from values it
 * read before (so it parses and checks no document). Median of 3 runs each. */
#define EXPORTED 10000
#define EXPORT_ROWS                                                                                        \
  "SELECT w.flow_session_key, w.label, w.current_step, w.state_json, w.created_at, w.updated_at,"        \
  " coalesce((SELECT c.seq FROM ws_change c WHERE c.flow_session_key = w.flow_session_key"              \
  " AND c.deleted_at IS NULL), 0), u.present_revision, u.present_version, u.clean_version"              \
  " FROM workflow_state w LEFT JOIN ws_undo u ON u.flow_session_key = w.flow_session_key"                \
  " WHERE w.flow_session_key >= ?1 AND w.flow_session_key < ?2 ORDER BY w.flow_session_key"
#define EXPORT_ENTRIES                                                                                     \
  "SELECT h.flow_session_key, h.stack, h.seq, h.label, h.current_step, h.snapshot, h.chunks, h.meta,"  \
  " h.made_ms, h.version FROM ws_history h WHERE h.flow_session_key >= ?1 AND h.flow_session_key < ?2" \
  " ORDER BY h.flow_session_key, h.stack, h.seq"

static void text_member_string(Text *t, const char *name, sqlite3_stmt *stmt, int col) {
  text_str(t, ",\"");
  text_str(t, name);
  text_str(t, "\":");
  text_column_string(t, stmt, col);
}

static void text_member_int(Text *t, const char *name, sqlite3_stmt *stmt, int col) {
  text_str(t, ",\"");
  text_str(t, name);
  text_str(t, "\":");
  if (sqlite3_column_type(stmt, col) == SQLITE_NULL) text_str(t, "null");
  else text_int(t, sqlite3_column_int64(stmt, col));
}

/* ws_export of the flow whose keys are in [low, high), raw: the document's text. */
static char *raw_export(sqlite3 *db, const char *flow, const char *low, const char *high, size_t *len) {
  sqlite3_stmt *rows = prepare(db, EXPORT_ROWS), *entries = prepare(db, EXPORT_ENTRIES);
  Text t = {NULL, 0, 0};
  bool pending, first_session = true;
  size_t prefix = strlen(flow) + 1;
  exec_sql(db, "BEGIN");
  bind_text(rows, 1, low);
  bind_text(rows, 2, high);
  bind_text(entries, 1, low);
  bind_text(entries, 2, high);
  text_str(&t, "{\"format\":\"workflow_state.export\",\"version\":1,\"sessions\":[");
  pending = step_row(entries);
  while (step_row(rows)) {
    const char *key = (const char *)sqlite3_column_text(rows, 0);
    int stack;
    text_str(&t, first_session ? "{\"flow_id\":" : ",{\"flow_id\":");
    first_session = false;
    text_json_string(&t, flow, strlen(flow));
    text_str(&t, ",\"session_id\":");
    text_json_string(&t, key + prefix, strlen(key + prefix));
    text_member_string(&t, "label", rows, 1);
    text_member_string(&t, "current_step", rows, 2);
    text_member_string(&t, "state_json", rows, 3);
    text_member_string(&t, "created_at", rows, 4);
    text_member_string(&t, "updated_at", rows, 5);
    while (pending && strcmp((const char *)sqlite3_column_text(entries, 0), key) < 0) pending = step_row(entries);
    for (stack = 0; stack < 3; stack++) {
      bool first = true;
      text_str(&t, stack == 0 ? ",\"history\":[" : stack == 1 ? ",\"undo\":[" : ",\"redo\":[");
      while (pending && strcmp((const char *)sqlite3_column_text(entries, 0), key) == 0 &&
             sqlite3_column_int(entries, 1) == stack) {
        if (!first) text_str(&t, ",");
        first = false;
        if (stack == 0) {
          text_column_string(&t, entries, 5);
        } else {
          text_str(&t, "{\"label\":");
          text_column_string(&t, entries, 3);
          text_member_string(&t, "current_step", entries, 4);
          text_member_string(&t, "snapshot", entries, 5);
          text_member_string(&t, "meta", entries, 7);
          text_member_int(&t, "made_ms", entries, 8);
          text_member_int(&t, "version", entries, 9);
          text_str(&t, "}");
        }
        pending = step_row(entries);
      }
      text_str(&t, "]");
    }
    text_str(&t, ",\"present_version\":");
    text_int(&t, sqlite3_column_type(rows, 7) != SQLITE_NULL && sqlite3_column_int64(rows, 7) == sqlite3_column_int64(rows, 6)
                     ? sqlite3_column_int64(rows, 8)
                     : sqlite3_column_int64(rows, 6));
    text_member_int(&t, "clean_version", rows, 9);
    text_str(&t, "}");
  }
  text_str(&t, "]}");
  finalize(rows);
  finalize(entries);
  exec_sql(db, "COMMIT");
  *len = t.len;
  return t.data;
}

/* Every value of every row a query gives, kept (sqlite3_value_dup) for the raw import. */
typedef struct Kept {
  sqlite3_value **values;
  long rows;
  int columns;
} Kept;

static Kept keep_rows(sqlite3 *db, const char *sql, const char *low, const char *high) {
  sqlite3_stmt *stmt = prepare(db, sql);
  Kept k = {NULL, 0, sqlite3_column_count(stmt)};
  long cap = 0;
  bind_text(stmt, 1, low);
  bind_text(stmt, 2, high);
  while (step_row(stmt)) {
    int c;
    if (k.rows == cap) {
      cap = cap ? cap * 2 : 1024;
      k.values = (sqlite3_value **)realloc(k.values, sizeof *k.values * (size_t)(cap * k.columns));
      if (!k.values) die("out of memory");
    }
    for (c = 0; c < k.columns; c++) {
      k.values[k.rows * k.columns + c] = sqlite3_value_dup(sqlite3_column_value(stmt, c));
      if (!k.values[k.rows * k.columns + c]) die("out of memory");
    }
    k.rows++;
  }
  finalize(stmt);
  return k;
}

static void kept_free(Kept *k) {
  long i;
  for (i = 0; i < k->rows * k->columns; i++) sqlite3_value_free(k->values[i]);
  free(k->values);
  memset(k, 0, sizeof *k);
}

/* ws_import of the kept rows and entries into the fresh file `db`, raw: in one
 * transaction each row, its entries, and its undo marks (for a session with undo or redo
 * entries or a clean mark) as of its new revision. */
static void raw_import(sqlite3 *db, const Kept *rows, const Kept *entries) {
  sqlite3_stmt *row = prepare(db,
      "INSERT INTO workflow_state (flow_session_key, label, current_step, state_json, created_at, updated_at)"
      " VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
  sqlite3_stmt *entry = prepare(db,
      "INSERT INTO ws_history (flow_session_key, stack, seq, label, current_step, snapshot, chunks, meta,"
      " made_ms, merge_key, version) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, NULL, ?10)");
  sqlite3_stmt *marks = prepare(db,
      "INSERT INTO ws_undo (flow_session_key, present_revision, present_version, clean_version)"
      " SELECT ?1, seq, coalesce(?2, seq), ?3 FROM ws_change WHERE flow_session_key = ?1");
  long r, e = 0;
  int c;
  exec_sql(db, "BEGIN IMMEDIATE");
  for (r = 0; r < rows->rows; r++) {
    sqlite3_value **v = rows->values + r * rows->columns;
    const char *key = (const char *)sqlite3_value_text(v[0]);
    bool stacked = false;
    for (c = 0; c < 6; c++) SQL_OK(db, sqlite3_bind_value(row, c + 1, v[c]));
    run(row);
    while (e < entries->rows && strcmp((const char *)sqlite3_value_text(entries->values[e * entries->columns]), key) < 0) e++;
    for (; e < entries->rows && strcmp((const char *)sqlite3_value_text(entries->values[e * entries->columns]), key) == 0; e++) {
      sqlite3_value **w = entries->values + e * entries->columns;
      for (c = 0; c < 10; c++) SQL_OK(db, sqlite3_bind_value(entry, c + 1, w[c]));
      run(entry);
      stacked = stacked || sqlite3_value_int(w[1]) != 0;
    }
    if (stacked || sqlite3_value_type(v[9]) != SQLITE_NULL) {
      bind_text(marks, 1, key);
      SQL_OK(db, sqlite3_bind_value(marks, 2, v[8]));
      SQL_OK(db, sqlite3_bind_value(marks, 3, v[9]));
      run(marks);
    }
  }
  exec_sql(db, "COMMIT");
  finalize(row);
  finalize(entry);
  finalize(marks);
}

/* Cuts `,"revision":N` out of a ws_get_session text (an import takes new revisions). */
static void cut_revision(char *text) {
  char *at = text ? strstr(text, ",\"revision\":") : NULL, *end;
  if (!at) return;
  end = strchr(at + 1, ',');
  if (!end) die("no member after the revision in %s", text);
  memmove(at, end, strlen(end) + 1);
}

static void run_export_import(Bench *b) {
  static const char *const flow = "exported", *const low = "exported:", *const high = "exported;";
  char sid[32], key[64], state[160], label[160], n1[32], lib_path[4096], raw_path[4096];
  double lib_export[RUNS], raw_export_us[RUNS], lib_import[RUNS], raw_import_us[RUNS], start;
  char *document = NULL, *raw_document;
  size_t raw_len = 0;
  long i, sessions_raw, entries_raw;
  int run_i;
  Kept rows, entries;
  Result exported, imported;
  for (i = 0; i < EXPORTED; i++) {
    snprintf(sid, sizeof sid, "e%05ld", i);
    snprintf(key, sizeof key, "%s:%s", flow, sid);
    snprintf(state, sizeof state, "{\"title\":\"Session %ld\",\"n\":%ld,\"note\":\"exported with the flow\"}", i, i);
    LIB(ws_update_state(b->lib, flow, sid, state));
    raw_update_state(b->raw, key, state);
    if (i % 10 == 0) {
      LIB(ws_checkpoint(b->lib, flow, sid, "Edit"));
      raw_checkpoint(b->raw, key, "Edit");
      LIB(ws_update_state(b->lib, flow, sid, "{\"edited\":true}"));
      raw_update_state(b->raw, key, "{\"edited\":true}");
    }
  }
  for (run_i = 0; run_i < RUNS; run_i++) {
    /* Export, the library and raw SQLite in turn (who goes first alternates). */
    int k;
    for (k = 0; k < 2; k++) {
      if ((run_i + k) % 2 == 0) {
        ws_string_free(document);
        start = now_seconds();
        LIB(ws_export(b->lib, flow, NULL, &document));
        lib_export[run_i] = (now_seconds() - start) * 1e6 / EXPORTED;
      } else {
        start = now_seconds();
        raw_document = raw_export(b->raw->db, flow, low, high, &raw_len);
        raw_export_us[run_i] = (now_seconds() - start) * 1e6 / EXPORTED;
        free(raw_document);
      }
    }
    /* Import into fresh files of the schema (made untimed). */
    {
      Schema schema;
      ws_store *fresh = NULL;
      sqlite3 *db;
      path_in(lib_path, sizeof lib_path, b->dir, "export", "lib");
      path_in(raw_path, sizeof raw_path, b->dir, "export", "raw");
      make_library_file(lib_path, b->mode, 0, 0, &schema);
      remove_database(raw_path);
      db = raw_connect(raw_path, b->mode);
      schema_apply(db, &schema);
      schema_free(&schema);
      rows = keep_rows(b->raw->db, EXPORT_ROWS, low, high);
      entries = keep_rows(b->raw->db, EXPORT_ENTRIES, low, high);
      LIB(ws_store_open_with(lib_path, b->mode->options, &fresh));
      for (k = 0; k < 2; k++) {
        if ((run_i + k) % 2 == 0) {
          start = now_seconds();
          LIB(ws_import(fresh, document, false));
          lib_import[run_i] = (now_seconds() - start) * 1e6 / EXPORTED;
        } else {
          start = now_seconds();
          raw_import(db, &rows, &entries);
          raw_import_us[run_i] = (now_seconds() - start) * 1e6 / EXPORTED;
        }
      }
      /* Same work: the library's imported sessions read as the exported ones (a sample),
       * the raw file holds as many rows and entries as the raw source. */
      for (i = 0; i < EXPORTED; i += 997) {
        char *a = NULL, *c = NULL;
        snprintf(sid, sizeof sid, "e%05ld", i);
        LIB(ws_undo_status(b->lib, flow, sid, &a));
        LIB(ws_undo_status(fresh, flow, sid, &c));
        b->checks++;
        if (!same(a, c)) mismatch(b, "ws_import", "ws_undo_status of an imported session", a, c);
        ws_string_free(a);
        ws_string_free(c);
        LIB(ws_get_session(b->lib, flow, sid, &a));
        LIB(ws_get_session(fresh, flow, sid, &c));
        cut_revision(a);
        cut_revision(c);
        b->checks++;
        if (!same(a, c)) mismatch(b, "ws_import", "ws_get_session (but the revision) of an imported session", a, c);
        ws_string_free(a);
        ws_string_free(c);
      }
      ws_store_close(fresh);
      sessions_raw = (long)query_int(db, "SELECT count(*) FROM workflow_state");
      entries_raw = (long)query_int(db, "SELECT count(*) FROM ws_history");
      b->checks++;
      if (sessions_raw != rows.rows || entries_raw != entries.rows) {
        b->mismatches++;
        printf("  WARNING: the raw import wrote %ld sessions and %ld entries, not %ld and %ld\n", sessions_raw,
               entries_raw, rows.rows, entries.rows);
      }
      raw_disconnect(db);
      kept_free(&rows);
      kept_free(&entries);
    }
  }
  exported.lib = median3(lib_export);
  exported.raw = median3(raw_export_us);
  imported.lib = median3(lib_import);
  imported.raw = median3(raw_import_us);
  snprintf(label, sizeof label, "ws_export, %s sessions (us per session)", count_text(EXPORTED, n1, sizeof n1));
  table_row(label, exported, TARGET_NONE, 0);
  printf("  (library %.0f sessions/s, %.1f MB/s; raw SQLite %.0f sessions/s, %.1f MB/s; the document %.2f MB)\n",
         1e6 / exported.lib, (double)strlen(document) / MB / (exported.lib * EXPORTED / 1e6), 1e6 / exported.raw,
         (double)raw_len / MB / (exported.raw * EXPORTED / 1e6), (double)strlen(document) / MB);
  snprintf(label, sizeof label, "ws_import, fresh file, %s sessions (us/session)", count_text(EXPORTED, n1, sizeof n1));
  table_row(label, imported, TARGET_NONE, 0);
  printf("  (library %.0f sessions/s, %.1f MB/s of the document; raw SQLite %.0f sessions/s, from values it read)\n",
         1e6 / imported.lib, (double)strlen(document) / MB / (imported.lib * EXPORTED / 1e6), 1e6 / imported.raw);
  ws_string_free(document);
}

static void run_editor_undo(Bench *b, const Mode *mode, long writes, long reads) {
  char label[160], n1[32], *lib_status = NULL, *raw_status;
  Result pushed, merged, status;
  seed_session(b, "e1k", b->snapshot);
  pushed = bench_op(b, &OP_CHECKPOINT_PUSHED, writes);
  check_session(b, "ws_checkpoint_with (pushed)");
  snprintf(label, sizeof label, "ws_checkpoint_with, pushed, 1 KB (3 x %s)", count_text(writes, n1, sizeof n1));
  table_row(label, pushed, TARGET_AT_MOST, mode->target);
  /* Untimed: open the run on both sides (raw SQLite writes what the library's first
   * merging checkpoint writes: an entry with the key and its time). */
  lib_keystroke(b, 0);
  LIB(ws_checkpoint_with(b->lib, b->flow, b->sid, MERGING_CHECKPOINT));
  raw_keystroke(b, 0);
  raw_checkpoint(b->raw, b->key, "Typing");
  exec_sql(b->raw->db, "UPDATE ws_history SET merge_key = 'typing', made_ms = 0 WHERE stack = 1 AND seq ="
                       " (SELECT max(seq) FROM ws_history WHERE stack = 1 AND flow_session_key = 'bench:e1k')"
                       " AND flow_session_key = 'bench:e1k'");
  merged = bench_op(b, &OP_CHECKPOINT_MERGED, writes);
  check_session(b, "ws_checkpoint_with (merged)");
  snprintf(label, sizeof label, "ws_checkpoint_with, merged, 1 KB (3 x %s)", count_text(writes, n1, sizeof n1));
  table_row(label, merged, TARGET_AT_MOST, mode->target);
  ratio_row("ws_checkpoint_with merged / pushed", merged.lib / pushed.lib, merged.raw / pushed.raw, 0.5);

  status = bench_op(b, &OP_UNDO_STATUS, reads);
  LIB(ws_undo_status(b->lib, b->flow, b->sid, &lib_status));
  raw_status = raw_undo_status(b->raw, b->key);
  check_same_text(b, "ws_undo_status", "the text returned", lib_status, raw_status);
  snprintf(label, sizeof label, "ws_undo_status (3 x %s calls)", count_text(reads, n1, sizeof n1));
  table_row(label, status, TARGET_AT_MOST, mode->target);
}

/* What the library's own tables, indexes and triggers cost each write: the library on
 * a file of its own schema against raw SQLite running the same statements on a file
 * with only the Python package's table and index, both with the same rows. Raw SQLite
 * there keeps no change feed, no history and no session-list or query index: the
 * ratio is the price of those, not of the library's code (the table above is that).
 * Files of their own, so that the other tables' two sides stay alike. */
static void run_python_schema(Bench *b, const char *dir, const Mode *mode, const char *state_1k, long writes) {
  static const Op *const ops[] = {&OP_UPDATE_STATE, &OP_UPDATE_STEP, &OP_SET_STEP, &OP_CREATE};
  char path[4096], lib_path[4096], label[160], n1[32], *lib_state = NULL, *raw_state;
  Raw python, *kept = b->raw;
  ws_store *kept_lib = b->lib;
  double started = now_seconds();
  Schema schema;
  size_t i;
  path_in(lib_path, sizeof lib_path, dir, "python-schema", "lib");
  make_library_file(lib_path, mode, LIST_SESSIONS, BIG_OTHERS, &schema);
  schema_free(&schema);
  path_in(path, sizeof path, dir, "python-schema", "raw");
  make_raw_file(&python, path, mode, LIST_SESSIONS, BIG_OTHERS, NULL);
  LIB(ws_store_open_with(lib_path, mode->options, &b->lib));
  b->raw = &python;
  /* A fresh session on both sides, so that both states are alike. */
  target_session(b, "p1k");
  LIB(ws_update_state(b->lib, b->flow, b->sid, state_1k));
  LIB(ws_set_current_step(b->lib, b->flow, b->sid, "edit"));
  raw_update_state(b->raw, b->key, state_1k);
  raw_set_step(b->raw, b->key, "edit");
  /* Untimed: each WAL to its steady size; then both sides number their calls alike. */
  (void)measure(b, &OP_UPDATE_STATE, LIBRARY, 1500);
  (void)measure(b, &OP_UPDATE_STATE, RAW, 1500);
  b->counter[LIBRARY] = b->counter[RAW] =
      b->counter[LIBRARY] > b->counter[RAW] ? b->counter[LIBRARY] : b->counter[RAW];
  printf("\nfiles: %s/python-schema-{lib,raw}.db, %s sessions each; raw SQLite's holds only the Python\n"
         "package's table and index (set up in %.1f s)\n",
         dir, count_text(LIST_SESSIONS + BIG_OTHERS, n1, sizeof n1), now_seconds() - started);
  table_header("writes: the library against raw SQLite on the Python package's own schema");
  for (i = 0; i < sizeof ops / sizeof ops[0]; i++) {
    Result r = bench_op(b, ops[i], writes);
    snprintf(label, sizeof label, "%s (3 x %s calls)", ops[i]->name, count_text(writes, n1, sizeof n1));
    table_row(label, r, TARGET_AT_MOST, mode->target);
  }
  LIB(ws_get_state(b->lib, b->flow, b->sid, &lib_state));
  raw_state = raw_get_state(b->raw, b->key);
  check_same_text(b, "the Python-schema writes", "the state", lib_state, raw_state);
  raw_close(&python);
  ws_store_close(b->lib);
  b->raw = kept;
  b->lib = kept_lib;
}

static void run_mode(const char *dir, const Mode *mode, bool scaling, long *checks, long *mismatches) {
  Bench b;
  Raw raw;
  char *state_1k = make_state(KB);
  double started = now_seconds();
  char label[160], n1[32], n2[32];
  /* Calls per run: synchronous=full is bound by fsyncs (about a millisecond a commit). */
  const long writes = mode->full ? 300 : 3000, reads = mode->full ? 3000 : 10000, lists = 50;
  struct {
    const Op *op;
    long n;
  } ops[9];
  size_t i;

  ops[0].op = &OP_UPDATE_STATE;
  ops[0].n = writes;
  ops[1].op = &OP_GET_STATE;
  ops[1].n = reads;
  ops[2].op = &OP_UPDATE_STEP;
  ops[2].n = writes;
  ops[3].op = &OP_SET_STEP;
  ops[3].n = writes;
  ops[4].op = &OP_CREATE;
  ops[4].n = writes;
  ops[5].op = &OP_LIST;
  ops[5].n = lists;
  ops[6].op = &OP_HISTORY_PUSH;
  ops[6].n = writes;
  ops[7].op = &OP_CHECKPOINT;
  ops[7].n = writes;
  ops[8].op = &OP_UNDO;
  ops[8].n = mode->full ? writes : writes / 2;

  open_pair(&b, &raw, dir, mode, mode->name, BIG_OTHERS);
  b.snapshot = state_1k;
  printf("\n== %s ==\n", mode->title);
  printf("files: %s/%s-{lib,raw}.db, %s sessions each, %s of them in flow \"list\"\n"
         "(all flows interleaved in creation order; set up in %.1f s). The state, step, history and undo\n"
         "calls work on one session whose state is %lu bytes.\n",
         dir, mode->name, count_text(LIST_SESSIONS + BIG_OTHERS, n1, sizeof n1), count_text(LIST_SESSIONS, n2, sizeof n2),
         now_seconds() - started, (unsigned long)strlen(state_1k));
  fflush(stdout);
  seed_session(&b, "s1k", state_1k);
  if (!mode->full) {
    /* Untimed: grow each WAL to its steady size before anything is timed. */
    (void)measure(&b, &OP_UPDATE_STATE, LIBRARY, 1500);
    (void)measure(&b, &OP_UPDATE_STATE, RAW, 1500);
  }

  table_header("every operation (us per call, median of 3 runs)");
  for (i = 0; i < sizeof ops / sizeof ops[0]; i++) {
    const Op *op = ops[i].op;
    Result r;
    if (op == &OP_UNDO) prepare_travel(&b);
    r = bench_op(&b, op, ops[i].n);
    if (op->is_list) {
      snprintf(label, sizeof label, "%s (%s of %s sessions)", op->name, count_text(LIST_SESSIONS, n1, sizeof n1),
               count_text(LIST_SESSIONS + BIG_OTHERS, n2, sizeof n2));
      table_row(label, r, TARGET_AT_MOST, mode->list_target);
      check_list(&b, op->name);
    } else {
      snprintf(label, sizeof label, "%s (3 x %s calls)", op->name, count_text(ops[i].n, n1, sizeof n1));
      table_row(label, r, TARGET_AT_MOST, mode->target);
      check_session(&b, op->name);
    }
  }
  if (!mode->full) {
    run_python_schema(&b, dir, mode, state_1k, writes);
    /* Back to like with like: without a header of their own, these rows read as
     * measured on the Python schema. */
    table_header("every operation, continued (the same files as the first table)");
  }
  run_edits_and_feed(&b, mode, writes, reads);
  run_editor_undo(&b, mode, writes, reads);
  run_prune(&b);
  run_export_import(&b);
  if (!mode->full) run_query(dir, mode, checks, mismatches); /* reads: the durability mode changes nothing */

  if (scaling) {
    run_scaling(&b, dir, mode, state_1k, checks, mismatches);
  } else {
    *checks += b.checks;
    *mismatches += b.mismatches;
    close_pair(&b);
  }
  bench_wake(dir, mode);
  printf("(%s mode took %.1f s)\n", mode->name, now_seconds() - started);
  free(state_1k);
}

int main(int argc, char **argv) {
  static const Mode modes[] = {
      {"default", "default mode: WAL, synchronous=normal (the library opened with NULL options)", NULL, "wal",
       "NORMAL", 1.3, 1.5, false},
      {"full", "mode {\"journal_mode\":\"delete\",\"synchronous\":\"full\"} (rollback journal, fsync on every commit)", "{\"journal_mode\":\"delete\",\"synchronous\":\"full\"}",
       "delete", "FULL", 1.1, 1.1, true},
  };
  const char *dir;
  double started = now_seconds();
  long checks = 0, mismatches = 0;
  size_t m;

  if (argc != 2) {
    fprintf(stderr, "usage: %s DIRECTORY   (databases are recreated there)\n", argv[0]);
    return 2;
  }
  dir = argv[1];
  if (mkdir(dir, 0777) != 0 && errno != EEXIST) die("cannot create %s: %s", dir, strerror(errno));
  if (strcmp(sqlite3_libversion(), SQLITE_VERSION) != 0 || strcmp(sqlite3_sourceid(), SQLITE_SOURCE_ID) != 0) {
    die("sqlite3.h (%s) and the linked SQLite (%s) differ", SQLITE_VERSION, sqlite3_libversion());
  }

  printf("workflow_state benchmark: the library against raw SQLite doing the same logical work\n");
  printf("  workflow_state %s (ws_version())\n", ws_version());
  printf("  SQLite %s (sqlite3_libversion()), built from %s's amalgamation: the SQLite the library bundles\n",
         sqlite3_libversion(), WS_BENCH_SQLITE_ORIGIN);
  printf("  databases under %s, recreated on every run; the library and raw SQLite use separate files\n", dir);
  printf("  raw SQLite: prepared statements on the same schema (copied from the library's file), the same\n"
         "  pragmas; one autocommit statement where one does the work (merges by json_patch / json_set in SQL),\n"
         "  BEGIN IMMEDIATE ... COMMIT around history push, checkpoint, undo and ws_apply (revision check,\n"
         "  json_set, checkpoint rows, new revision); JSON of ws_get_session / ws_changes_since built by hand\n");
  printf("  figures: microseconds per call, each the median of 3 runs (library and raw interleaved,\n"
         "  after a warm-up); ratio = library / raw SQLite; the targets are the issue's, shown, not enforced\n");
  fflush(stdout);

  for (m = 0; m < sizeof modes / sizeof modes[0]; m++) {
    run_mode(dir, &modes[m], m == 0, &checks, &mismatches);
  }

  printf("\nsame work: after each measurement the library's and raw SQLite's sessions were compared\n"
         "(state text, current step, history/undo/redo depths, revision, latest change number, the session\n"
         "list, ws_get_session's and ws_changes_since's texts): %ld checks, %ld differences\n",
         checks, mismatches);
  printf("total time %.1f s\n", now_seconds() - started);
  printf("reproduce: cmake --workflow --preset bench   (from the repository root; builds in build/bench)\n");
  return 0;
}
