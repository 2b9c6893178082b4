/* What each part of the library's schema costs a small write (issue 15): the same three
 * raw SQLite writes, timed on files that differ only in their schema.
 *
 *   workflow_state_schema_cost DIR     (run by `cmake --workflow --preset bench`)
 *
 * The files: the Python package's table and index alone; the library's whole schema (as
 * ws_store_open makes it); and the library's schema without one part: the covering list
 * index ws_session_list, the three query indexes ws_query_*, the change-feed triggers
 * that number every write (ws_change_session_inserted / _updated), and without all three;
 * and one design the library does not use (yet): each session's revision in its row, a
 * column `ws_revision` with an index of its own, set by the write's own statement to the
 * next number (the largest a row, a deletion or the forgotten ones hold, plus one), in
 * place of the triggers' INSERT and DELETE of the session's ws_change rows (issue 15).
 * Each holds 101,000 sessions in 101 flows. The writes are the statements of
 * ws_set_current_step, ws_update_state (json_patch of two keys into a 1 KB state) and
 * ws_create_session, in WAL mode with synchronous=normal; the files take turns in each
 * of 5 rounds, and a figure is the median of the rounds; a second table gives the WAL
 * frames each write commits (one per B-tree page it dirties). The library is used only to
 * make its schema (and is closed before SQLite opens the file): the timed work is the
 * same statements everywhere, so the differences are the schema's alone. */
#define _POSIX_C_SOURCE 200809L
#include "workflow_state.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SESSIONS 101000L
#define ROUNDS 5
#define CALLS 2000
#define NOW "strftime('%Y-%m-%d %H:%M:%S','now')"

typedef struct Variant {
  const char *name;
  const char *drop; /* SQL run on the library's schema; NULL: the Python package's schema */
  int revision_in_row; /* the writes set ws_revision (the column `drop` adds) */
} Variant;

/* The next number of the change sequence, in the revision-in-row design. */
#define NEXT_SEQ                                                                                      \
  "(SELECT max(coalesce((SELECT max(ws_revision) FROM workflow_state), 0),"                         \
  " coalesce((SELECT max(seq) FROM ws_change), 0), (SELECT forgotten_seq FROM ws_feed)) + 1)"

/* Each file's statements, with the revision-in-row design's column (`col`), its value
 * (`val`) and its update (`set`) or without them (""): the same SQL on every file but
 * for those. */
#define FILL_SQL(col, val)                                                                              \
  "INSERT INTO workflow_state (flow_session_key, current_step, state_json, created_at, updated_at, label" col \
  ") VALUES (?1, 'step-1', json_object('n', ?2), datetime(1735689600 + ?2 * 7, 'unixepoch'),"               \
  " datetime(1735689600 + ?2 * 7 + (?2 * 7919) % 86400, 'unixepoch'), 'Session ' || ?2" val ")"
#define SET_STEP_SQL(col, val, set)                                                                     \
  "INSERT INTO workflow_state (flow_session_key, current_step, created_at, updated_at" col ") VALUES (?1, ?2, " \
  NOW ", " NOW val ") ON CONFLICT(flow_session_key) DO UPDATE SET current_step = excluded.current_step,"     \
  " updated_at = excluded.updated_at" set " WHERE current_step IS NOT excluded.current_step"
#define UPDATE_STATE_SQL(col, val, set)                                                                 \
  "INSERT INTO workflow_state (flow_session_key, state_json, created_at, updated_at" col ") VALUES (?1, ?2, "   \
  NOW ", " NOW val ") ON CONFLICT(flow_session_key) DO UPDATE SET state_json = json_patch(state_json,"       \
  " excluded.state_json), updated_at = excluded.updated_at" set
#define CREATE_SQL(col, val)                                                                            \
  "INSERT INTO workflow_state (flow_session_key, label, created_at, updated_at" col ") VALUES (?1, ?2, " NOW \
  ", " NOW val ") ON CONFLICT(flow_session_key) DO NOTHING"

static const Variant VARIANTS[] = {
    {"the Python package's table and index", NULL, 0},
    {"the library's schema", "", 0},
    {"  without ws_session_list", "DROP INDEX ws_session_list;", 0},
    {"  without the query indexes", "DROP INDEX ws_query_updated; DROP INDEX ws_query_created; DROP INDEX ws_query_label;", 0},
    {"  without the change-feed triggers", "DROP TRIGGER ws_change_session_inserted; DROP TRIGGER ws_change_session_updated;", 0},
    {"  without all three",
     "DROP INDEX ws_session_list; DROP INDEX ws_query_updated; DROP INDEX ws_query_created; DROP INDEX ws_query_label;"
     " DROP TRIGGER ws_change_session_inserted; DROP TRIGGER ws_change_session_updated;", 0},
    {"the revision in the row (not in use)",
     "DROP TRIGGER ws_change_session_inserted; DROP TRIGGER ws_change_session_updated;"
     " ALTER TABLE workflow_state ADD COLUMN ws_revision INTEGER;"
     " CREATE INDEX ws_revision_order ON workflow_state (ws_revision);",
     1},
};
#define COUNT (sizeof VARIANTS / sizeof VARIANTS[0])

enum { SET_STEP, UPDATE_STATE, CREATE, OPS };
static const char *const OP_NAMES[OPS] = {"set_current_step", "update_state", "create_session"};

static void die(const char *what, sqlite3 *db) {
  fprintf(stderr, "schema_cost: %s: %s\n", what, db ? sqlite3_errmsg(db) : ws_last_error_message());
  exit(1);
}

static void exec_sql(sqlite3 *db, const char *sql) {
  if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK) die(sql, db);
}

static sqlite3_stmt *prepare(sqlite3 *db, const char *sql) {
  sqlite3_stmt *stmt = NULL;
  if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, NULL) != SQLITE_OK) die(sql, db);
  return stmt;
}

static void run(sqlite3_stmt *stmt, const char *a, const char *b) {
  sqlite3_bind_text(stmt, 1, a, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(stmt, 2, b, -1, SQLITE_TRANSIENT);
  if (sqlite3_step(stmt) != SQLITE_DONE) die("a timed write", sqlite3_db_handle(stmt));
  sqlite3_reset(stmt);
}

static double now_us(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}

static void remove_database(const char *path) {
  static const char *const suffixes[] = {"", "-wal", "-shm"};
  char name[4200];
  size_t i;
  for (i = 0; i < 3; i++) {
    snprintf(name, sizeof name, "%s%s", path, suffixes[i]);
    remove(name);
  }
}

typedef struct File {
  sqlite3 *db;
  sqlite3_stmt *op[OPS];
  double us[OPS][ROUNDS];
  long frames[OPS]; /* WAL frames the timed writes committed, over every round */
  long counted;     /* the frames counted so far, and the log's size at the last commit: */
  int in_log;
} File;

/* Counts the frames each commit adds to the WAL, and checkpoints as SQLite's own
 * auto-checkpoint does (a WAL hook replaces it): at 1,000 frames, passively. After a
 * checkpoint the next commit starts the log again, so a log smaller than the last one
 * holds only that commit's frames. */
static int count_frames(void *arg, sqlite3 *db, const char *name, int in_log) {
  File *f = (File *)arg;
  f->counted += in_log > f->in_log ? in_log - f->in_log : in_log;
  f->in_log = in_log;
  if (in_log >= 1000) (void)sqlite3_wal_checkpoint(db, name);
  return SQLITE_OK;
}

/* Makes the file of a variant, fills it, and opens it for the timed writes. */
static void make_file(File *f, const Variant *v, const char *path, const char *state_1k) {
  sqlite3_stmt *insert;
  long t;
  remove_database(path);
  if (v->drop) {
    ws_store *store = NULL;
    if (ws_store_open(path, &store) != WS_OK) die("ws_store_open", NULL);
    ws_store_close(store);
  }
  if (sqlite3_open(path, &f->db) != SQLITE_OK) die(path, f->db);
  if (v->drop) {
    exec_sql(f->db, v->drop);
  } else {
    exec_sql(f->db, "CREATE TABLE workflow_state (flow_session_key TEXT PRIMARY KEY, current_step TEXT,"
                    " state_json TEXT DEFAULT '{}', created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,"
                    " updated_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP, label TEXT);"
                    " CREATE INDEX idx_workflow_state_updated ON workflow_state(updated_at);");
  }
  insert = prepare(f->db, v->revision_in_row ? FILL_SQL(", ws_revision", ", ?2 + 1") : FILL_SQL("", ""));
  exec_sql(f->db, "BEGIN");
  for (t = 0; t < SESSIONS; t++) {
    char key[64];
    if (t % 101 == 0) {
      snprintf(key, sizeof key, "list:session-%06ld", t / 101);
    } else {
      snprintf(key, sizeof key, "other%02ld:session-%06ld", t % 100, t);
    }
    sqlite3_bind_text(insert, 1, key, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(insert, 2, t);
    if (sqlite3_step(insert) != SQLITE_DONE) die("fill", f->db);
    sqlite3_reset(insert);
  }
  exec_sql(f->db, "COMMIT");
  sqlite3_finalize(insert);
  sqlite3_close(f->db);
  /* As the library opens a file (src/store.rs). */
  if (sqlite3_open(path, &f->db) != SQLITE_OK) die(path, f->db);
  sqlite3_db_config(f->db, SQLITE_DBCONFIG_ENABLE_QPSG, 1, (int *)NULL);
  (void)sqlite3_wal_hook(f->db, count_frames, f);
  exec_sql(f->db, "PRAGMA cache_size = -8192; PRAGMA journal_mode = wal; PRAGMA synchronous = normal");
  if (v->revision_in_row) {
    f->op[SET_STEP] = prepare(f->db, SET_STEP_SQL(", ws_revision", ", " NEXT_SEQ, ", ws_revision = " NEXT_SEQ));
    f->op[UPDATE_STATE] = prepare(f->db, UPDATE_STATE_SQL(", ws_revision", ", " NEXT_SEQ, ", ws_revision = " NEXT_SEQ));
    f->op[CREATE] = prepare(f->db, CREATE_SQL(", ws_revision", ", " NEXT_SEQ));
  } else {
    f->op[SET_STEP] = prepare(f->db, SET_STEP_SQL("", "", ""));
    f->op[UPDATE_STATE] = prepare(f->db, UPDATE_STATE_SQL("", "", ""));
    f->op[CREATE] = prepare(f->db, CREATE_SQL("", ""));
  }
  run(f->op[UPDATE_STATE], "bench:s1k", state_1k);
}

/* Records one write's stream of CALLS, begun at `start` with `counted` frames counted. */
static void timed(File *f, int op, int round, double start, long counted) {
  f->us[op][round] = (now_us() - start) / CALLS;
  f->frames[op] += f->counted - counted;
}

/* One round on one file: CALLS of each write, each timed as a stream. */
static void time_round(File *f, int round, long *made) {
  char step[16], updates[64], key[48];
  double start;
  long counted;
  int i;
  start = now_us();
  counted = f->counted;
  for (i = 0; i < CALLS; i++) {
    snprintf(step, sizeof step, "step-%d", i % 7);
    run(f->op[SET_STEP], "bench:s1k", step);
  }
  timed(f, SET_STEP, round, start, counted);
  start = now_us();
  counted = f->counted;
  for (i = 0; i < CALLS; i++) {
    snprintf(updates, sizeof updates, "{\"edited\":%d,\"note\":\"edit %d\"}", i, i);
    run(f->op[UPDATE_STATE], "bench:s1k", updates);
  }
  timed(f, UPDATE_STATE, round, start, counted);
  start = now_us();
  counted = f->counted;
  for (i = 0; i < CALLS; i++) {
    snprintf(key, sizeof key, "made:new-%08ld", (*made)++);
    run(f->op[CREATE], key, "Created");
  }
  timed(f, CREATE, round, start, counted);
}

static const char RULE[] =
    "----------------------------------------+-------------------+-------------------+-------------------";

static int compare_doubles(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static double median(double v[ROUNDS]) {
  qsort(v, ROUNDS, sizeof v[0], compare_doubles);
  return v[ROUNDS / 2];
}

int main(int argc, char **argv) {
  static File files[COUNT];
  char path[4096], state_1k[1100];
  double base[OPS];
  long made[COUNT] = {0};
  size_t v;
  int round, op;
  if (argc != 2) {
    fprintf(stderr, "usage: %s DIRECTORY   (databases are recreated there)\n", argv[0]);
    return 2;
  }
  memset(state_1k, 0, sizeof state_1k);
  strcpy(state_1k, "{\"text\":\"");
  memset(state_1k + strlen(state_1k), 'x', 1000);
  strcat(state_1k, "\"}");
  printf("\nworkflow_state schema cost: raw SQLite's small writes on files that differ only in their schema\n"
         "(101,000 sessions each, WAL, synchronous=normal; us per call, median of %d rounds of %d calls)\n\n",
         ROUNDS, CALLS);
  for (v = 0; v < COUNT; v++) {
    snprintf(path, sizeof path, "%s/schema-cost-%zu.db", argv[1], v);
    make_file(&files[v], &VARIANTS[v], path, state_1k);
  }
  for (round = 0; round < ROUNDS; round++) {
    for (v = 0; v < COUNT; v++) time_round(&files[(v + (size_t)round) % COUNT], round, &made[(v + (size_t)round) % COUNT]);
  }
  printf("%-40s|", "schema");
  for (op = 0; op < OPS; op++) printf(" %17s |", OP_NAMES[op]);
  printf("\n%s\n", RULE);
  for (v = 0; v < COUNT; v++) {
    printf("%-40s|", VARIANTS[v].name);
    for (op = 0; op < OPS; op++) {
      double us = median(files[v].us[op]);
      if (v == 0) base[op] = us;
      printf(" %7.1f us %5.2fx |", us, us / base[op]);
    }
    printf("\n");
  }
  printf("(x: against the Python package's schema; issue 15's goal for the library's writes: <= 1.3x)\n");
  printf("\nWAL frames each write commits (B-tree pages it dirties; the mean over every round)\n\n%-40s|", "schema");
  for (op = 0; op < OPS; op++) printf(" %17s |", OP_NAMES[op]);
  printf("\n%s\n", RULE);
  for (v = 0; v < COUNT; v++) {
    printf("%-40s|", VARIANTS[v].name);
    for (op = 0; op < OPS; op++) printf(" %17.2f |", (double)files[v].frames[op] / (CALLS * ROUNDS));
    printf("\n");
    for (op = 0; op < OPS; op++) sqlite3_finalize(files[v].op[op]);
    sqlite3_close(files[v].db);
  }
  return 0;
}
