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
 * sqlite_master), so both sides always work on the same tables, indexes and trigger.
 *
 * Raw SQLite uses prepared statements, one per operation where one statement can do the
 * work (autocommit), BEGIN IMMEDIATE ... COMMIT where the work takes several; merges are
 * json_patch / json_set in SQL. Both sides get the same pragmas (journal_mode,
 * synchronous, busy_timeout 5000), the same data and the same sequence of calls, and
 * after each measurement the program checks that both ended with the same state.
 *
 * Every figure is the median of three runs; within a run the library and raw SQLite are
 * interleaved (the order alternates between runs), each after a warm-up. The PASS/FAIL
 * column shows the targets; the program exits 0 whatever they say (it is a
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
#include <time.h>

#ifndef WS_BENCH_SQLITE_ORIGIN
#define WS_BENCH_SQLITE_ORIGIN "the amalgamation of libsqlite3-sys"
#endif

/* The library's "now" (src/store.rs), its default history depth and busy timeout. */
#define NOW "strftime('%Y-%m-%d %H:%M:%f','now')"
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
  sqlite3_stmt *read_row, *stack_len; /* for the checks, never timed */
} Raw;

static void raw_prepare(Raw *r) {
  sqlite3 *db = r->db;
  r->begin = prepare(db, "BEGIN IMMEDIATE");
  r->commit = prepare(db, "COMMIT");
  /* ws_update_state: dict.update of the top-level keys; json_patch (RFC 7396) does the
   * same for the top-level, non-null, non-object values this benchmark sends. */
  r->update_state = prepare(db,
      "INSERT INTO workflow_state (flow_session_key, state_json, created_at, updated_at)"
      " VALUES (?1, ?2, " NOW ", " NOW ")"
      " ON CONFLICT(flow_session_key) DO UPDATE SET"
      " state_json = json_patch(state_json, excluded.state_json), updated_at = excluded.updated_at");
  r->get_state = prepare(db, "SELECT state_json FROM workflow_state WHERE flow_session_key = ?1");
  /* ws_update_step_state: ?3 is the path '$."_step_<id>"', ?4 the key "_step_<id>". */
  r->update_step = prepare(db,
      "INSERT INTO workflow_state (flow_session_key, state_json, created_at, updated_at)"
      " VALUES (?1, json_object(?4, json(?2)), " NOW ", " NOW ")"
      " ON CONFLICT(flow_session_key) DO UPDATE SET"
      " state_json = json_set(state_json, ?3, json_patch(coalesce(state_json -> ?3, '{}'), ?2)),"
      " updated_at = excluded.updated_at");
  r->set_step = prepare(db,
      "INSERT INTO workflow_state (flow_session_key, current_step, created_at, updated_at)"
      " VALUES (?1, ?2, " NOW ", " NOW ")"
      " ON CONFLICT(flow_session_key) DO UPDATE SET"
      " current_step = excluded.current_step, updated_at = excluded.updated_at");
  r->create = prepare(db,
      "INSERT INTO workflow_state (flow_session_key, label, created_at, updated_at)"
      " VALUES (?1, ?2, " NOW ", " NOW ") ON CONFLICT(flow_session_key) DO NOTHING");
  /* ws_list_sessions(WS_ORDER_UPDATED_AT, descending): ?1..?2 the flow's key range,
   * ?3 the flow id, ?4 where the session id starts in the key (1-based). */
  r->list = prepare(db,
      "SELECT json_group_array(json_object("
      "'flow_id', ?3, 'session_id', substr(flow_session_key, ?4), 'label', label,"
      " 'current_step', current_step, 'created_at', created_at, 'updated_at', updated_at,"
      " 'state_size_bytes', coalesce(length(CAST(state_json AS BLOB)), 0))"
      " ORDER BY updated_at DESC, created_at DESC, rowid DESC)"
      " FROM workflow_state WHERE flow_session_key >= ?1 AND flow_session_key < ?2");
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
      " updated_at = " NOW " WHERE flow_session_key = ?1");
  r->delete_entry = prepare(db, "DELETE FROM ws_history WHERE flow_session_key = ?1 AND stack = ?2 AND seq = ?3");
  r->read_row = prepare(db, "SELECT state_json, current_step FROM workflow_state WHERE flow_session_key = ?1");
  r->stack_len = prepare(db, "SELECT count(*) FROM ws_history WHERE flow_session_key = ?1 AND stack = ?2");
}

static void raw_close(Raw *r) {
  sqlite3_stmt *all[] = {r->begin, r->commit, r->update_state, r->get_state, r->update_step, r->set_step,
                         r->create, r->list, r->ensure, r->next_seq, r->push_snapshot, r->push_current, r->trim,
                         r->clear_stack, r->top, r->restore, r->delete_entry, r->read_row, r->stack_len};
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

static void raw_history_push(Raw *r, const char *key, const char *snapshot) {
  sqlite3_int64 seq;
  run(r->begin);
  raw_ensure(r, key);
  seq = raw_next_seq(r, key, 0);
  bind_text(r->push_snapshot, 1, key);
  bind_text(r->push_snapshot, 2, snapshot);
  bind_int(r->push_snapshot, 3, seq);
  run(r->push_snapshot);
  raw_trim(r, key, 0, seq);
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

static void raw_checkpoint(Raw *r, const char *key, const char *label) {
  sqlite3_int64 seq;
  run(r->begin);
  raw_ensure(r, key);
  seq = raw_push_current(r, key, 1, label);
  raw_trim(r, key, 1, seq);
  bind_text(r->clear_stack, 1, key);
  bind_int(r->clear_stack, 2, 2);
  run(r->clear_stack);
  run(r->commit);
}

/* Undo: read the top of the undo stack, push the current state onto the redo stack
 * under its label, restore the row from it, delete it, trim the redo stack. */
static bool raw_undo(Raw *r, const char *key) {
  sqlite3_int64 top, seq;
  char *label = NULL;
  run(r->begin);
  bind_text(r->top, 1, key);
  bind_int(r->top, 2, 1);
  if (!step_row(r->top)) {
    reset(r->top);
    run(r->commit);
    return false;
  }
  top = sqlite3_column_int64(r->top, 0);
  label = column_copy(r->top, 1);
  reset(r->top);
  seq = raw_push_current(r, key, 2, label);
  free(label);
  bind_text(r->restore, 1, key);
  bind_int(r->restore, 2, 1);
  bind_int(r->restore, 3, top);
  run(r->restore);
  bind_text(r->delete_entry, 1, key);
  bind_int(r->delete_entry, 2, 1);
  bind_int(r->delete_entry, 3, top);
  run(r->delete_entry);
  raw_trim(r, key, 2, seq);
  run(r->commit);
  return true;
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
} Schema;

static void schema_read(sqlite3 *db, Schema *schema) {
  sqlite3_stmt *stmt = prepare(db, "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY rowid");
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
}

static void schema_apply(sqlite3 *db, const Schema *schema) {
  char sql[64];
  int i;
  exec_sql(db, "BEGIN IMMEDIATE");
  for (i = 0; i < schema->count; i++) exec_sql(db, schema->sql[i]);
  snprintf(sql, sizeof sql, "PRAGMA user_version = %lld", (long long)schema->user_version);
  exec_sql(db, sql);
  exec_sql(db, "COMMIT");
}

static void schema_free(Schema *schema) {
  int i;
  for (i = 0; i < schema->count; i++) free(schema->sql[i]);
  free(schema->sql);
  schema->sql = NULL;
  schema->count = 0;
}

static void timestamp(char *out, size_t size, long seconds_after_2025) {
  time_t t = (time_t)1735689600 + (time_t)seconds_after_2025; /* 2025-01-01 00:00:00 UTC */
  struct tm tm;
  if (!gmtime_r(&t, &tm)) die("gmtime_r failed");
  if (strftime(out, size, "%Y-%m-%d %H:%M:%S.000", &tm) == 0) die("strftime failed");
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

static void make_raw_file(Raw *r, const char *path, const Mode *mode, long list, long others, const Schema *schema) {
  remove_database(path);
  memset(r, 0, sizeof *r);
  r->db = raw_connect(path, mode);
  schema_apply(r->db, schema);
  fill(r->db, list, others);
  raw_prepare(r);
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
  long checks, mismatches;
} Bench;

enum { LIBRARY = 0, RAW = 1 };

static void target_session(Bench *b, const char *sid) {
  b->sid = sid;
  snprintf(b->key, sizeof b->key, "%s:%s", b->flow, sid);
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

static void lib_undo(Bench *b, long i) {
  bool done = false;
  (void)i;
  LIB(ws_undo(b->lib, b->flow, b->sid, &done));
  if (!done) die("ws_undo had nothing to undo");
}
static void raw_undo_op(Bench *b, long i) {
  (void)i;
  if (!raw_undo(b->raw, b->key)) die("raw undo had nothing to undo");
}

/* Untimed preparation for one undo: a checkpoint, then an edit, so that every undo
 * restores a state different from the current one (the library then rewrites the row,
 * as raw SQLite always does). */
static void lib_undo_prep(Bench *b, long i) {
  char updates[48];
  LIB(ws_checkpoint(b->lib, b->flow, b->sid, "Typing"));
  snprintf(updates, sizeof updates, "{\"undo_edit\":%ld}", i);
  LIB(ws_update_state(b->lib, b->flow, b->sid, updates));
}
static void raw_undo_prep(Bench *b, long i) {
  char updates[48];
  raw_checkpoint(b->raw, b->key, "Typing");
  snprintf(updates, sizeof updates, "{\"undo_edit\":%ld}", i);
  raw_update_state(b->raw, b->key, updates);
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
static const Op OP_UNDO = {"ws_undo", {lib_undo, raw_undo_op}, {lib_undo_prep, raw_undo_prep}, DEPTH, false};

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

static long depth_field(const char *status, const char *field) {
  const char *at = strstr(status, field);
  if (!at) die("no %s in ws_undo_status's %s", field, status);
  return strtol(at + strlen(field), NULL, 10);
}

static void check_session(Bench *b, const char *after) {
  char *lib_state = NULL, *lib_step = NULL, *status = NULL, *raw_state = NULL, *raw_step = NULL;
  size_t lib_history = 0;
  long lib_depth[3], raw_depth[3];
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
  ws_string_free(lib_state);
  ws_string_free(lib_step);
  ws_string_free(status);
  free(raw_state);
  free(raw_step);
}

static void check_list(Bench *b, const char *after) {
  char *lib_list = NULL, *raw_list_text;
  LIB(ws_list_sessions(b->lib, "list", WS_ORDER_UPDATED_AT, true, &lib_list));
  raw_list_text = raw_list(b->raw, "list", "list:", "list;");
  b->checks++;
  if (!same(lib_list, raw_list_text)) mismatch(b, after, "the session list", lib_list, raw_list_text);
  ws_string_free(lib_list);
  free(raw_list_text);
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

/* The same starting state for a session on both sides. */
static void seed_session(Bench *b, const char *sid, const char *state) {
  target_session(b, sid);
  LIB(ws_update_state(b->lib, b->flow, sid, state));
  LIB(ws_set_current_step(b->lib, b->flow, sid, "edit"));
  raw_update_state(b->raw, b->key, state);
  raw_set_step(b->raw, b->key, "edit");
  check_session(b, "seeding the session");
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

/* Opens both sides on fresh files of LIST_SESSIONS + `others` sessions. */
static void open_pair(Bench *b, Raw *raw, const char *dir, const Mode *mode, const char *name, long others) {
  char lib_path[4096], raw_path[4096];
  Schema schema;
  memset(b, 0, sizeof *b);
  path_in(lib_path, sizeof lib_path, dir, name, "lib");
  path_in(raw_path, sizeof raw_path, dir, name, "raw");
  make_library_file(lib_path, mode, LIST_SESSIONS, others, &schema);
  make_raw_file(raw, raw_path, mode, LIST_SESSIONS, others, &schema);
  schema_free(&schema);
  LIB(ws_store_open_with(lib_path, mode->options, &b->lib));
  b->raw = raw;
  b->flow = "bench";
  snprintf(b->step_key, sizeof b->step_key, "_step_edit");
  snprintf(b->step_path, sizeof b->step_path, "$.\"%s\"", b->step_key);
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

  seed_session(b, "s100k", state_100k);
  seed_session(b, "s1m", state_1m);
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
  undo[0] = bench_op(b, &OP_UNDO, 1500);
  check_session(b, "ws_undo at 1 KB");
  table_row("ws_undo, 1 KB state", undo[0], TARGET_AT_MOST, mode->target);
  target_session(b, "s1m");
  undo[1] = bench_op(b, &OP_UNDO, big_calls);
  check_session(b, "ws_undo at 1 MB");
  table_row("ws_undo, 1 MB state", undo[1], TARGET_AT_MOST, mode->target);

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
  ratio_row("ws_undo 1 MB / ws_update_step_state 1 MB", undo[1].lib / step[2].lib, undo[1].raw / step[2].raw, 2.0);
  free(state_100k);
  free(state_1m);
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
    Result r = bench_op(&b, op, ops[i].n);
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

  if (scaling) {
    run_scaling(&b, dir, mode, state_1k, checks, mismatches);
  } else {
    *checks += b.checks;
    *mismatches += b.mismatches;
    close_pair(&b);
  }
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
         "  BEGIN IMMEDIATE ... COMMIT around history push, checkpoint and undo\n");
  printf("  figures: microseconds per call, each the median of 3 runs (library and raw interleaved,\n"
         "  after a warm-up); ratio = library / raw SQLite; the targets are the issue's, shown, not enforced\n");
  fflush(stdout);

  for (m = 0; m < sizeof modes / sizeof modes[0]; m++) {
    run_mode(dir, &modes[m], m == 0, &checks, &mismatches);
  }

  printf("\nsame work: after each measurement the library's and raw SQLite's sessions were compared\n"
         "(state text, current step, history/undo/redo depths, the session list): %ld checks, %ld differences\n",
         checks, mismatches);
  printf("total time %.1f s\n", now_seconds() - started);
  printf("reproduce: cmake --workflow --preset bench   (from the repository root; builds in build/bench)\n");
  return 0;
}
