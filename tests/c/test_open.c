/* Store lifecycle: every option, read-only stores, files that are missing, not a
 * database, from a newer schema, locked past the busy timeout, or on a full disk. */
#include "check.h"

#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static int file_exists(const char *path) {
  struct stat st;
  return stat(path, &st) == 0;
}

static long file_size(const char *path) {
  struct stat st;
  CHECK(stat(path, &st) == 0);
  return (long)st.st_size;
}

static void write_file(const char *path, const char *content) {
  FILE *f = fopen(path, "wb");
  CHECK(f != NULL);
  CHECK(fputs(content, f) >= 0);
  CHECK(fclose(f) == 0);
}

/* Reads a whole file into a malloc'd buffer (free with free()). */
static char *read_file(const char *path, long *size) {
  FILE *f = fopen(path, "rb");
  char *data;
  CHECK(f != NULL);
  *size = file_size(path);
  data = (char *)malloc((size_t)*size + 1);
  CHECK(data != NULL);
  CHECK(fread(data, 1, (size_t)*size, f) == (size_t)*size);
  CHECK(fclose(f) == 0);
  return data;
}

static const char *python(void) {
  const char *p = getenv("WS_TEST_PYTHON");
  return p && *p ? p : "python3";
}

/* Runs a Python snippet with the database path as sys.argv[1], in its own process
 * (never the Python sqlite3 and this library's SQLite on one file in one process). */
static void run_python(const char *code, const char *db) {
  pid_t pid = fork();
  int status = 0;
  CHECK(pid >= 0);
  if (pid == 0) {
    execlp(python(), python(), "-c", code, db, (char *)NULL);
    _exit(127);
  }
  CHECK(waitpid(pid, &status, 0) == pid);
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static ws_store *open_with(const char *path, const char *options) {
  ws_store *store = NULL;
  CHECK_OK(ws_store_open_with(path, options, &store));
  CHECK(store != NULL);
  return store;
}

static void test_open_arguments(void) {
  ws_store *store = (ws_store *)&store; /* a dummy that must be reset to NULL */
  const char *dir = fresh_dir("open_arguments");
  char path[512];

  CHECK_STATUS(ws_store_open(NULL, &store), WS_INVALID_ARGUMENT);
  CHECK(store == NULL);
  CHECK_MESSAGE_HAS("path must not be NULL");
  CHECK_STATUS(ws_store_open(":memory:", NULL), WS_INVALID_ARGUMENT);
  CHECK_MESSAGE_HAS("out_store must not be NULL");
  store = (ws_store *)&store;
  CHECK_STATUS(ws_store_open("", &store), WS_INVALID_ARGUMENT);
  CHECK(store == NULL);
  CHECK_MESSAGE_HAS("path must not be empty");
  CHECK_STATUS(ws_store_open("bad\xff.db", &store), WS_INVALID_ARGUMENT);
  CHECK_MESSAGE_HAS("path is not valid UTF-8");
  CHECK_STATUS(ws_store_open_with(":memory:", "{\"create\":true}", NULL), WS_INVALID_ARGUMENT);
  CHECK_STATUS(ws_store_open_with(":memory:", "{\"read_only\":true\xff}", &store),
               WS_INVALID_ARGUMENT);
  CHECK_MESSAGE_HAS("options_json is not valid UTF-8");
  ws_store_close(NULL); /* NULL-safe */

  /* Missing parent directories are created; the data persists across reopening. */
  path_in(path, sizeof path, dir, "a/b/c/store.db");
  store = open_with(path, NULL);
  CHECK_OK(ws_update_state(store, "f", "s", "{\"kept\":true}"));
  ws_store_close(store);
  CHECK_OK(ws_store_open(path, &store));
  CHECK_STATE(store, "f", "s", "{\"kept\":true}");
  ws_store_close(store);
}

static void test_bad_options(void) {
  static const char *const invalid_argument[][2] = {
      {"{\"journal\":\"wal\"}", "unknown option \"journal\""},
      {"{\"journal_mode\":\"memory\"}", "journal_mode"},
      {"{\"journal_mode\":1}", "journal_mode"},
      {"{\"synchronous\":\"extra\"}", "synchronous"},
      {"{\"busy_timeout_ms\":-1}", "busy_timeout_ms"},
      {"{\"busy_timeout_ms\":\"5000\"}", "busy_timeout_ms"},
      {"{\"busy_timeout_ms\":2.5}", "busy_timeout_ms"},
      {"{\"max_history_depth\":0}", "max_history_depth"},
      {"{\"max_history_depth\":true}", "max_history_depth"},
      {"{\"read_only\":1}", "read_only"},
      {"{\"create\":\"no\"}", "create"},
  };
  static const char *const invalid_json[] = {"{", "[]", "\"wal\"", "null", "{\"a\":}"};
  size_t i;
  const char *dir = fresh_dir("bad_options");
  char path[512];
  path_in(path, sizeof path, dir, "never.db");

  for (i = 0; i < sizeof invalid_argument / sizeof invalid_argument[0]; i++) {
    ws_store *store = (ws_store *)&store;
    CHECK_STATUS(ws_store_open_with(path, invalid_argument[i][0], &store), WS_INVALID_ARGUMENT);
    CHECK(store == NULL);
    CHECK_MESSAGE_HAS(invalid_argument[i][1]);
  }
  for (i = 0; i < sizeof invalid_json / sizeof invalid_json[0]; i++) {
    ws_store *store = (ws_store *)&store;
    CHECK_STATUS(ws_store_open_with(path, invalid_json[i], &store), WS_INVALID_JSON);
    CHECK(store == NULL);
    CHECK_MESSAGE_HAS("options_json");
  }
  /* A rejected open creates nothing. */
  CHECK(!file_exists(path));
}

static void test_every_option(void) {
  const char *dir = fresh_dir("every_option");
  char path[512], wal[600];
  ws_store *store;

  /* Defaults: WAL. */
  path_in(path, sizeof path, dir, "wal.db");
  snprintf(wal, sizeof wal, "%s-wal", path);
  store = open_with(path, NULL);
  CHECK_OK(ws_update_state(store, "f", "s", "{\"x\":1}"));
  CHECK(file_exists(wal));
  ws_store_close(store);

  /* Every option at once, with values in any case. */
  path_in(path, sizeof path, dir, "delete.db");
  snprintf(wal, sizeof wal, "%s-wal", path);
  store = open_with(path, "{\"journal_mode\":\"DELETE\",\"synchronous\":\"full\","
                          "\"busy_timeout_ms\":0,\"max_history_depth\":1,"
                          "\"read_only\":false,\"create\":true}");
  CHECK_OK(ws_update_state(store, "f", "s", "{\"x\":1}"));
  CHECK(!file_exists(wal));
  ws_store_close(store);

  /* journal_mode is the file's: asking for WAL switches a rollback-journal file. */
  store = open_with(path, "{\"journal_mode\":\"wal\",\"synchronous\":\"off\"}");
  CHECK_OK(ws_update_state(store, "f", "s", "{\"y\":2}"));
  CHECK(file_exists(wal));
  CHECK_STATE(store, "f", "s", "{\"x\":1,\"y\":2}");
  ws_store_close(store);

  /* create:false opens an existing file and refuses a missing one, creating nothing. */
  store = open_with(path, "{\"create\":false}");
  CHECK_STATE(store, "f", "s", "{\"x\":1,\"y\":2}");
  ws_store_close(store);
  path_in(path, sizeof path, dir, "missing/none.db");
  store = (ws_store *)&store;
  CHECK_STATUS(ws_store_open_with(path, "{\"create\":false}", &store), WS_NOT_FOUND);
  CHECK(store == NULL);
  CHECK_MESSAGE_HAS("does not exist");
  path_in(path, sizeof path, dir, "missing");
  CHECK(!file_exists(path));

  /* ":memory:" stores are private and start empty every time. */
  store = open_with(":memory:", "{\"create\":false}");
  CHECK_OK(ws_update_state(store, "f", "s", "{\"x\":1}"));
  ws_store_close(store);
  store = open_with(":memory:", NULL);
  CHECK_STATE(store, "f", "s", "{}");
  ws_store_close(store);
}

/* Every write through a read-only store fails with WS_IO and changes nothing. */
static void check_writes_refused(ws_store *ro) {
  char *id = (char *)"dummy";
  CHECK_STATUS(ws_set_current_step(ro, "f", "s", "two"), WS_IO);
  CHECK_MESSAGE_HAS("read_only");
  CHECK_STATUS(ws_update_state(ro, "f", "s", "{\"x\":2}"), WS_IO);
  CHECK_STATUS(ws_update_step_state(ro, "f", "s", "one", "{\"y\":2}"), WS_IO);
  CHECK_STATUS(ws_clear_step_state(ro, "f", "s", "one"), WS_IO);
  CHECK_STATUS(ws_clear_state(ro, "f", "s"), WS_IO);
  CHECK_STATUS(ws_create_session(ro, "f", NULL, NULL, &id), WS_IO);
  CHECK(id == NULL);
  CHECK_STATUS(ws_set_session_label(ro, "f", "s", "new"), WS_IO);
  CHECK_STATUS(ws_delete_session(ro, "f", "s"), WS_IO);
}

static void test_read_only(void) {
  const char *dir = fresh_dir("read_only");
  char path[512], *text = NULL;
  ws_store *rw, *ro = (ws_store *)&ro;
  bool exists = false;

  path_in(path, sizeof path, dir, "missing.db");
  CHECK_STATUS(ws_store_open_with(path, "{\"read_only\":true}", &ro), WS_NOT_FOUND);
  CHECK(ro == NULL);
  CHECK(!file_exists(path));
  CHECK_STATUS(ws_store_open_with(":memory:", "{\"read_only\":true}", &ro), WS_INVALID_ARGUMENT);
  CHECK_MESSAGE_HAS("read_only");

  /* A WAL file written by a store that is still open, read by a read-only store. */
  path_in(path, sizeof path, dir, "data.db");
  rw = open_with(path, NULL);
  CHECK_OK(ws_set_current_step(rw, "f", "s", "one"));
  CHECK_OK(ws_update_step_state(rw, "f", "s", "one", "{\"y\":1}"));
  CHECK_OK(ws_set_session_label(rw, "f", "s", "label"));
  ro = open_with(path, "{\"read_only\":true}");
  CHECK_STATE(ro, "f", "s", "{\"_step_one\":{\"y\":1}}");
  CHECK_OK(ws_get_current_step(ro, "f", "s", &text));
  CHECK_STR(text, "one");
  ws_string_free(text);
  CHECK_OK(ws_session_exists(ro, "f", "s", &exists));
  CHECK(exists);
  check_writes_refused(ro);
  /* Writes through the other store are seen by the read-only one. */
  CHECK_OK(ws_update_state(rw, "f", "s", "{\"z\":3}"));
  CHECK_STATE(ro, "f", "s", "{\"_step_one\":{\"y\":1},\"z\":3}");
  ws_store_close(ro);
  ws_store_close(rw);

  /* And after the writer closed (WAL checkpointed and removed). */
  ro = open_with(path, "{\"read_only\":true}");
  CHECK_STATE(ro, "f", "s", "{\"_step_one\":{\"y\":1},\"z\":3}");
  CHECK_OK(ws_get_session_summary(ro, "f", "s", &text));
  CHECK(strstr(text, "\"label\":\"label\"") != NULL);
  ws_string_free(text);
  ws_store_close(ro);

  /* An empty file is an empty database: it reads as empty and is not written. */
  path_in(path, sizeof path, dir, "empty.db");
  write_file(path, "");
  ro = open_with(path, "{\"read_only\":true}");
  CHECK_STATE(ro, "f", "s", "{}");
  CHECK_OK(ws_list_sessions(ro, "f", WS_ORDER_CREATED_AT, false, &text));
  CHECK_STR(text, "[]");
  ws_string_free(text);
  CHECK_OK(ws_get_session_summary(ro, "f", "s", &text));
  CHECK(text == NULL);
  check_writes_refused(ro);
  ws_store_close(ro);
  CHECK(file_size(path) == 0);
}

/* A cjm-workflow-state 0.0.2 file (no label column) opened read-only reads with null
 * labels and is not migrated. */
static void test_read_only_old_format(void) {
  const char *dir = fresh_dir("read_only_old_format");
  char path[512], *text = NULL;
  ws_store *ro;
  path_in(path, sizeof path, dir, "v002.db");
  run_python("import sqlite3, sys\n"
             "c = sqlite3.connect(sys.argv[1])\n"
             "c.execute('''CREATE TABLE workflow_state (flow_session_key TEXT PRIMARY KEY,"
             " current_step TEXT, state_json TEXT DEFAULT '{}',"
             " created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,"
             " updated_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP)''')\n"
             "c.execute(\"INSERT INTO workflow_state (flow_session_key, current_step, state_json)"
             " VALUES ('f:a', 'one', '{\\\"n\\\": 1}'), ('f:b', NULL, '{}')\")\n"
             "c.commit()\n",
             path);
  ro = open_with(path, "{\"read_only\":true}");
  CHECK_STATE(ro, "f", "a", "{\"n\":1}");
  CHECK_OK(ws_list_sessions(ro, "f", WS_ORDER_LABEL, false, &text));
  CHECK(strstr(text, "\"session_id\":\"a\",\"label\":null,\"current_step\":\"one\"") != NULL);
  CHECK(strstr(text, "\"session_id\":\"b\",\"label\":null,\"current_step\":null") != NULL);
  ws_string_free(text);
  check_writes_refused(ro);
  ws_store_close(ro);
  run_python("import sqlite3, sys\n"
             "c = sqlite3.connect(sys.argv[1])\n"
             "cols = [r[1] for r in c.execute('PRAGMA table_info(workflow_state)')]\n"
             "assert 'label' not in cols, cols\n"
             "assert c.execute('PRAGMA user_version').fetchone()[0] == 0\n",
             path);
}

/* A writer in a process of its own, forked before the store under test opens (so that
 * it inherits no open database): it waits until `writer_finish` sends it a byte (other
 * writers forked later hold the pipe open too, so its end is no signal), runs `work` on
 * the file, and exits. */
struct writer {
  pid_t pid;
  int go;
};

static struct writer writer_start(void (*work)(const char *path), const char *path) {
  struct writer w;
  int fds[2];
  char byte;
  CHECK(pipe(fds) == 0);
  fflush(stdout);
  fflush(stderr);
  w.pid = fork();
  CHECK(w.pid >= 0);
  if (w.pid == 0) {
    close(fds[1]);
    CHECK(read(fds[0], &byte, 1) == 1);
    close(fds[0]);
    work(path);
    exit(0);
  }
  close(fds[0]);
  w.go = fds[1];
  return w;
}

/* Lets the writer run and waits until it has finished. */
static void writer_finish(struct writer w) {
  int status = 0;
  CHECK(write(w.go, "", 1) == 1);
  CHECK(close(w.go) == 0);
  CHECK(waitpid(w.pid, &status, 0) == w.pid);
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* Opens the file writable (creating or migrating its schema) and writes what
 * check_written reads: a checkpoint of session "s" and its label, and a new session
 * "new" with a label, a state, a checkpoint and a history entry. */
static void write_sessions(const char *path) {
  ws_store *store = open_with(path, NULL);
  char *id = NULL;
  CHECK_OK(ws_checkpoint(store, "f", "s", "first of s"));
  CHECK_OK(ws_set_session_label(store, "f", "s", "labelled"));
  CHECK_OK(ws_create_session(store, "f", "new", "fresh", &id));
  ws_string_free(id);
  CHECK_OK(ws_update_state(store, "f", "new", "{\"n\":1}"));
  CHECK_OK(ws_checkpoint(store, "f", "new", "first"));
  CHECK_OK(ws_update_state(store, "f", "new", "{\"n\":2}"));
  CHECK_OK(ws_history_push(store, "f", "new", "{\"h\":1}"));
  ws_store_close(store);
}

/* A second writer, after the schema is current. */
static void write_more(const char *path) {
  ws_store *store = open_with(path, NULL);
  CHECK_OK(ws_update_state(store, "f", "new", "{\"n\":3}"));
  CHECK_OK(ws_set_session_label(store, "f", "new", "again"));
  CHECK_OK(ws_checkpoint(store, "f", "new", "second"));
  ws_store_close(store);
}

static void check_summary_has(ws_store *store, const char *session, const char *needle) {
  char *text = NULL;
  CHECK_OK(ws_get_session_summary(store, "f", session, &text));
  CHECK(text != NULL);
  if (strstr(text, needle) == NULL) {
    fprintf(stderr, "the summary %s lacks %s\n", text, needle);
    exit(1);
  }
  ws_string_free(text);
}

/* Session "new" does not exist yet. */
static void check_not_written(ws_store *ro) {
  char *text = (char *)"dummy";
  size_t len = 1;
  CHECK_OK(ws_get_session_summary(ro, "f", "new", &text));
  CHECK(text == NULL);
  CHECK_STATE(ro, "f", "new", "{}");
  CHECK_OK(ws_history_len(ro, "f", "new", &len));
  CHECK(len == 0);
  CHECK_UNDO_STATUS(ro, "f", "new",
                    "{\"undo_depth\":0,\"redo_depth\":0,\"undo_label\":null,\"redo_label\":null" NO_META_NOT_CLEAN);
}

/* What write_sessions wrote. */
static void check_written(ws_store *ro) {
  char *text = NULL;
  size_t len = 0;
  CHECK_STATE(ro, "f", "new", "{\"n\":2}");
  check_summary_has(ro, "new", "\"label\":\"fresh\"");
  check_summary_has(ro, "s", "\"label\":\"labelled\"");
  CHECK_UNDO_STATUS(ro, "f", "new",
                    "{\"undo_depth\":1,\"redo_depth\":0,\"undo_label\":\"first\",\"redo_label\":null" NO_META_NOT_CLEAN);
  CHECK_UNDO_STATUS(ro, "f", "s",
                    "{\"undo_depth\":1,\"redo_depth\":0,\"undo_label\":\"first of s\",\"redo_label\":null" NO_META_NOT_CLEAN);
  CHECK_OK(ws_history_len(ro, "f", "new", &len));
  CHECK(len == 1);
  CHECK_OK(ws_history_peek(ro, "f", "new", &text));
  CHECK_STR(text, "{\"h\":1}");
  ws_string_free(text);
  CHECK_OK(ws_list_sessions(ro, "f", WS_ORDER_LABEL, false, &text));
  CHECK(strstr(text, "\"session_id\":\"new\",\"label\":\"fresh\"") != NULL);
  ws_string_free(text);
}

/* A read-only store opened on `path` sees, on its next call, what writers in other
 * processes commit after it opened: the schema they create or migrate, and the data. */
static void check_read_only_stays_current(const char *path) {
  struct writer first = writer_start(write_sessions, path);
  struct writer second = writer_start(write_more, path);
  ws_store *ro = open_with(path, "{\"read_only\":true}");
  check_not_written(ro);
  writer_finish(first);
  check_written(ro);
  writer_finish(second);
  CHECK_STATE(ro, "f", "new", "{\"n\":3}");
  check_summary_has(ro, "new", "\"label\":\"again\"");
  CHECK_UNDO_STATUS(ro, "f", "new",
                    "{\"undo_depth\":2,\"redo_depth\":0,\"undo_label\":\"second\",\"redo_label\":null" NO_META_NOT_CLEAN);
  check_writes_refused(ro);
  ws_store_close(ro);
}

static void test_read_only_sees_other_processes(void) {
  const char *dir = fresh_dir("read_only_sees_others");
  char path[512];
  ws_store *ro;

  /* A 0-byte file, given its whole schema by the first writer. */
  path_in(path, sizeof path, dir, "empty.db");
  write_file(path, "");
  check_read_only_stays_current(path);

  /* A file of the Python package: version 0, no ws_history, session "s" in it. */
  path_in(path, sizeof path, dir, "python.db");
  run_python("import sqlite3, sys\n"
             "c = sqlite3.connect(sys.argv[1])\n"
             "c.execute('''CREATE TABLE workflow_state (flow_session_key TEXT PRIMARY KEY,"
             " current_step TEXT, state_json TEXT DEFAULT '{}',"
             " created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,"
             " updated_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP, label TEXT)''')\n"
             "c.execute(\"INSERT INTO workflow_state (flow_session_key, state_json)"
             " VALUES ('f:s', '{\\\"old\\\": 1}')\")\n"
             "c.commit()\n",
             path);
  check_read_only_stays_current(path);

  /* A cjm-workflow-state 0.0.2 file (no label column), session "s" in it. */
  path_in(path, sizeof path, dir, "v002.db");
  run_python("import sqlite3, sys\n"
             "c = sqlite3.connect(sys.argv[1])\n"
             "c.execute('''CREATE TABLE workflow_state (flow_session_key TEXT PRIMARY KEY,"
             " current_step TEXT, state_json TEXT DEFAULT '{}',"
             " created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,"
             " updated_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP)''')\n"
             "c.execute(\"INSERT INTO workflow_state (flow_session_key, state_json)"
             " VALUES ('f:s', '{\\\"old\\\": 1}')\")\n"
             "c.commit()\n",
             path);
  check_read_only_stays_current(path);

  /* A current file that another program marks newer while a read-only store has it
   * open: the store refuses to read it (a newer schema may mean something else), and
   * reads again once the version is one it knows. */
  path_in(path, sizeof path, dir, "current.db");
  write_sessions(path);
  ro = open_with(path, "{\"read_only\":true}");
  check_written(ro);
  run_python("import sqlite3, sys\n"
             "c = sqlite3.connect(sys.argv[1])\n"
             "c.execute('PRAGMA user_version = 99')\n"
             "c.commit()\n",
             path);
  CHECK_STATUS(ws_get_state(ro, "f", "new", &(char *){NULL}), WS_CORRUPT);
  CHECK_MESSAGE_HAS("current.db");
  CHECK_MESSAGE_HAS("schema version 99");
  CHECK_STATUS(ws_undo_status(ro, "f", "new", &(char *){NULL}), WS_CORRUPT);
  CHECK_MESSAGE_HAS("schema version 99");
  run_python("import sqlite3, sys\n"
             "c = sqlite3.connect(sys.argv[1])\n"
             "c.execute('PRAGMA user_version = 3')\n"
             "c.commit()\n",
             path);
  check_written(ro);
  run_python("import sqlite3, sys\n"
             "c = sqlite3.connect(sys.argv[1])\n"
             "c.execute('CREATE TABLE ws_future (x)')\n"
             "c.execute('PRAGMA user_version = 99')\n"
             "c.commit()\n",
             path);
  CHECK_STATUS(ws_list_sessions(ro, "f", WS_ORDER_LABEL, false, &(char *){NULL}), WS_CORRUPT);
  CHECK_MESSAGE_HAS("schema version 99");
  ws_store_close(ro);
}

/* Two stores on `path`, a name SQLite would read as a URI with parameters, share one
 * ordinary file of that name: each sees what the other writes; no file `plain` is made. */
static void check_shared_file(const char *path, const char *plain) {
  ws_store *a = open_with(path, NULL), *b;
  CHECK_OK(ws_update_state(a, "f", "s", "{\"a\":1}"));
  b = open_with(path, NULL);
  CHECK_STATE(b, "f", "s", "{\"a\":1}");
  CHECK_OK(ws_update_state(b, "f", "s", "{\"b\":2}"));
  CHECK_STATE(a, "f", "s", "{\"a\":1,\"b\":2}");
  ws_store_close(b);
  ws_store_close(a);
  CHECK(file_exists(path));
  CHECK(!file_exists(plain));
}

/* A path is a file name, whatever it starts with: "file:" names are not URIs. */
static void test_file_names_are_not_uris(void) {
  const char *dir = fresh_dir("file_names");
  char cwd[1024], absolute[2048], name[2100];
  ws_store *store;
  CHECK(getcwd(cwd, sizeof cwd) != NULL);
  CHECK(chdir(dir) == 0);

  /* mode=memory is not honoured: the data is in the file of that name, and stays. */
  store = open_with("file:t.db?mode=memory", NULL);
  CHECK_OK(ws_update_state(store, "f", "s", "{\"kept\":1}"));
  ws_store_close(store);
  CHECK(file_exists("file:t.db?mode=memory"));
  CHECK(!file_exists("t.db"));
  store = open_with("file:t.db?mode=memory", "{\"create\":false}");
  CHECK_STATE(store, "f", "s", "{\"kept\":1}");
  ws_store_close(store);
  store = open_with("file:t.db?mode=memory", "{\"read_only\":true}");
  CHECK_STATE(store, "f", "s", "{\"kept\":1}");
  ws_store_close(store);

  check_shared_file("file:i.db?immutable=1", "i.db");
  check_shared_file("file:n.db?nolock=1", "n.db");
  check_shared_file("file:v.db?vfs=nonexistent", "v.db");

  /* "file:/..." names a file under the directory "file:", not an absolute path. */
  CHECK((size_t)snprintf(absolute, sizeof absolute, "%s/%s/abs.db", cwd, dir) < sizeof absolute);
  CHECK((size_t)snprintf(name, sizeof name, "file:%s", absolute) < sizeof name);
  store = open_with(name, NULL);
  CHECK_OK(ws_update_state(store, "f", "s", "{\"a\":1}"));
  ws_store_close(store);
  CHECK(file_exists(name));
  CHECK(!file_exists(absolute));

  /* ":memory:" is still the private in-memory store. */
  store = open_with(":memory:", NULL);
  CHECK_OK(ws_update_state(store, "f", "s", "{\"a\":1}"));
  CHECK_STATE(store, "f", "s", "{\"a\":1}");
  ws_store_close(store);
  CHECK(!file_exists(":memory:"));
  CHECK(chdir(cwd) == 0);
}

static void test_not_a_database(void) {
  const char *dir = fresh_dir("not_a_database");
  const char *junk = "This is a text file, not an SQLite database. It is long enough "
                     "to hold a database header, so SQLite reads it and rejects it.\n";
  char path[512];
  long size = 0;
  char *after;
  ws_store *store = (ws_store *)&store;
  path_in(path, sizeof path, dir, "notes.txt");
  write_file(path, junk);
  CHECK_STATUS(ws_store_open(path, &store), WS_CORRUPT);
  CHECK(store == NULL);
  CHECK_MESSAGE_HAS("notes.txt");
  CHECK_MESSAGE_HAS("not a database");
  CHECK_STATUS(ws_store_open_with(path, "{\"read_only\":true}", &store), WS_CORRUPT);
  after = read_file(path, &size);
  CHECK(size == (long)strlen(junk) && memcmp(after, junk, (size_t)size) == 0);
  free(after);
}

/* Every way of opening `path`, a file of schema version 99, is refused with WS_CORRUPT
 * and a message that names the file and the version, and leaves the file byte for byte
 * as it was, with no -wal or -shm file beside it. The one exception is SQLite's own:
 * a read-only reader of a WAL-mode file (`wal_file`) leaves the -shm it reads through
 * and an empty -wal, as it does on any WAL file, so that open comes last. */
static void check_refused_unchanged(const char *path, const char *name, int wal_file) {
  static const char *const options[] = {NULL, "{\"journal_mode\":\"delete\"}",
                                        "{\"journal_mode\":\"wal\"}", "{\"read_only\":true}"};
  const size_t read_only = 3;
  char wal[600], shm[600], *before, *after;
  long size = 0, size_after = 0;
  size_t i;
  snprintf(wal, sizeof wal, "%s-wal", path);
  snprintf(shm, sizeof shm, "%s-shm", path);
  before = read_file(path, &size);
  CHECK(!file_exists(wal) && !file_exists(shm));
  for (i = 0; i < sizeof options / sizeof options[0]; i++) {
    ws_store *store = (ws_store *)&store;
    CHECK_STATUS(ws_store_open_with(path, options[i], &store), WS_CORRUPT);
    CHECK(store == NULL);
    CHECK_MESSAGE_HAS(name);
    CHECK_MESSAGE_HAS("schema version 99");
    CHECK_MESSAGE_HAS("newer");
    after = read_file(path, &size_after);
    if (size_after != size || memcmp(after, before, (size_t)size) != 0) {
      fprintf(stderr, "opening %s with %s changed it\n", path, options[i] ? options[i] : "NULL");
      exit(1);
    }
    free(after);
    if (wal_file && i == read_only) {
      CHECK(!file_exists(wal) || file_size(wal) == 0);
    } else {
      CHECK(!file_exists(wal));
      CHECK(!file_exists(shm));
    }
  }
  free(before);
}

static void test_newer_schema(void) {
  const char *dir = fresh_dir("newer_schema");
  char path[512];
  ws_store *store;
  FILE *f;
  /* The user_version field of the database header: 4 bytes, big-endian, at offset 60. */
  const unsigned char version99[4] = {0, 0, 0, 99};

  /* A WAL file, its version set by hand. */
  path_in(path, sizeof path, dir, "future.db");
  store = open_with(path, NULL);
  CHECK_OK(ws_update_state(store, "f", "s", "{\"x\":1}"));
  ws_store_close(store);
  f = fopen(path, "r+b");
  CHECK(f != NULL);
  CHECK(fseek(f, 60, SEEK_SET) == 0);
  CHECK(fwrite(version99, 1, 4, f) == 4);
  CHECK(fclose(f) == 0);
  check_refused_unchanged(path, "future.db", 1);

  /* A rollback-journal file, its version set by another program: opening it must not
   * switch it to WAL before refusing it. */
  path_in(path, sizeof path, dir, "future-delete.db");
  store = open_with(path, "{\"journal_mode\":\"delete\"}");
  CHECK_OK(ws_update_state(store, "f", "s", "{\"x\":1}"));
  ws_store_close(store);
  run_python("import sqlite3, sys\n"
             "c = sqlite3.connect(sys.argv[1])\n"
             "assert c.execute('PRAGMA journal_mode').fetchone()[0] == 'delete'\n"
             "c.execute('PRAGMA user_version = 99')\n"
             "c.commit()\n",
             path);
  check_refused_unchanged(path, "future-delete.db", 0);
}

/* Another process holds the write lock: a write waits busy_timeout_ms, then gives
 * WS_BUSY and changes nothing; once the lock is gone the same write succeeds. */
static void test_busy(void) {
  const char *dir = fresh_dir("busy");
  char path[512], line[64];
  int to_child[2], from_child[2], status = 0;
  ws_store *store;
  pid_t pid;
  FILE *child_out;
  path_in(path, sizeof path, dir, "locked.db");
  store = open_with(path, "{\"busy_timeout_ms\":100}");
  CHECK_OK(ws_update_state(store, "f", "s", "{\"before\":1}"));

  CHECK(pipe(to_child) == 0 && pipe(from_child) == 0);
  pid = fork();
  CHECK(pid >= 0);
  if (pid == 0) {
    dup2(to_child[0], 0);
    dup2(from_child[1], 1);
    close(to_child[1]);
    close(from_child[0]);
    execlp(python(), python(), "-c",
           "import sqlite3, sys\n"
           "c = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
           "c.execute('BEGIN IMMEDIATE')\n"
           "print('locked', flush=True)\n"
           "sys.stdin.read()\n"
           "c.execute('ROLLBACK')\n",
           path, (char *)NULL);
    _exit(127);
  }
  close(to_child[0]);
  close(from_child[1]);
  child_out = fdopen(from_child[0], "r");
  CHECK(child_out != NULL);
  CHECK(fgets(line, sizeof line, child_out) != NULL);
  CHECK_STR(line, "locked\n");

  CHECK_STATUS(ws_update_state(store, "f", "s", "{\"after\":2}"), WS_BUSY);
  CHECK_MESSAGE_HAS("busy timeout");
  CHECK_STATUS(ws_set_current_step(store, "f", "s", "x"), WS_BUSY);
  CHECK_STATUS(ws_create_session(store, "f", "new", NULL, &(char *){NULL}), WS_BUSY);
  /* Readers are not blocked by a writer in WAL mode. */
  CHECK_STATE(store, "f", "s", "{\"before\":1}");

  close(to_child[1]); /* the child sees EOF, rolls back and exits */
  CHECK(waitpid(pid, &status, 0) == pid);
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  fclose(child_out);

  CHECK_OK(ws_update_state(store, "f", "s", "{\"after\":2}"));
  CHECK_STATE(store, "f", "s", "{\"before\":1,\"after\":2}");
  ws_store_close(store);
}

/* The file cannot grow (RLIMIT_FSIZE stands in for a full disk): the write fails with
 * WS_IO, the stored data is as it was, and the store works again once there is room. */
static void check_full_disk(const char *journal_mode) {
  const char *dir = fresh_dir(journal_mode);
  char path[512], options[128], *big, *updates;
  struct rlimit old_limit, limit;
  size_t big_size = 512 * 1024, i;
  ws_store *store;
  path_in(path, sizeof path, dir, "full.db");
  snprintf(options, sizeof options, "{\"journal_mode\":\"%s\"}", journal_mode);
  store = open_with(path, options);
  CHECK_OK(ws_update_state(store, "f", "s", "{\"small\":1}"));

  big = (char *)malloc(big_size + 1);
  updates = (char *)malloc(big_size + 64);
  CHECK(big != NULL && updates != NULL);
  for (i = 0; i < big_size; i++) big[i] = (char)('a' + i % 26);
  big[big_size] = '\0';
  snprintf(updates, big_size + 64, "{\"big\":\"%s\"}", big);

  CHECK(signal(SIGXFSZ, SIG_IGN) != SIG_ERR);
  CHECK(getrlimit(RLIMIT_FSIZE, &old_limit) == 0);
  limit = old_limit;
  limit.rlim_cur = 64 * 1024;
  CHECK(setrlimit(RLIMIT_FSIZE, &limit) == 0);
  CHECK_STATUS(ws_update_state(store, "f", "s", updates), WS_IO);
  CHECK_MESSAGE_HAS("update the state of session \"s\" of flow \"f\"");
  CHECK_STATUS(ws_update_step_state(store, "f", "s", "one", updates), WS_IO);
  CHECK(setrlimit(RLIMIT_FSIZE, &old_limit) == 0);

  CHECK_STATE(store, "f", "s", "{\"small\":1}");
  ws_store_close(store);
  store = open_with(path, options);
  CHECK_STATE(store, "f", "s", "{\"small\":1}");
  CHECK_OK(ws_update_state(store, "f", "s", updates));
  ws_store_close(store);
  free(big);
  free(updates);
}

static void test_full_disk(void) {
  check_full_disk("wal");
  check_full_disk("delete");
}

/* A store that wrote a state and keeps it open sees what another process writes over
 * it, including text that is not strict JSON: nothing it remembers goes stale. */
static void test_other_writers_are_seen(void) {
  const char *dir = fresh_dir("other_writers");
  char path[512];
  ws_store *store;
  path_in(path, sizeof path, dir, "shared.db");
  store = open_with(path, NULL);
  CHECK_OK(ws_update_state(store, "f", "s", "{\"a\":1}"));
  CHECK_STATE(store, "f", "s", "{\"a\":1}");
  run_python("import sqlite3, sys\n"
             "c = sqlite3.connect(sys.argv[1])\n"
             "c.execute(\"UPDATE workflow_state SET state_json = '{\\\"a\\\": 2, \\\"b\\\": NaN}'"
             " WHERE flow_session_key = 'f:s'\")\n"
             "c.commit()\n",
             path);
  CHECK_STATUS(ws_update_state(store, "f", "s", "{\"c\":3}"), WS_CORRUPT);
  CHECK_MESSAGE_HAS("session \"s\" of flow \"f\"");
  {
    char *text = NULL;
    CHECK_STATUS(ws_get_state(store, "f", "s", &text), WS_CORRUPT);
    CHECK(text == NULL);
  }
  run_python("import sqlite3, sys\n"
             "c = sqlite3.connect(sys.argv[1])\n"
             "c.execute(\"UPDATE workflow_state SET state_json = '{\\\"a\\\": 3}'"
             " WHERE flow_session_key = 'f:s'\")\n"
             "c.commit()\n",
             path);
  CHECK_STATE(store, "f", "s", "{\"a\":3}");
  CHECK_OK(ws_update_state(store, "f", "s", "{\"c\":3}"));
  CHECK_STATE(store, "f", "s", "{\"a\":3,\"c\":3}");
  ws_store_close(store);
}

/* Processes that open a new file at the same moment (two instances of an app starting)
 * all get a store: SQLite answers a journal-mode change that meets another connection
 * creating or converting the file with SQLITE_BUSY at once, without waiting, and the
 * library waits for it up to the busy timeout. Rounds on fresh files, to meet the race. */
static void test_processes_open_a_new_file_at_once(void) {
  enum { ROUNDS = 20, OPENERS = 6 };
  const char *dir = fresh_dir("first_open");
  int round;
  for (round = 0; round < ROUNDS; round++) {
    char path[512], name[32];
    int start[2], i, status;
    pid_t pids[OPENERS];
    ws_store *store;
    size_t n;
    snprintf(name, sizeof name, "new-%d.db", round);
    path_in(path, sizeof path, dir, name);
    CHECK(pipe(start) == 0);
    for (i = 0; i < OPENERS; i++) {
      pids[i] = fork();
      CHECK(pids[i] >= 0);
      if (pids[i] == 0) {
        char byte, session[16];
        close(start[1]);
        CHECK(read(start[0], &byte, 1) == 0); /* all start when the parent closes it */
        snprintf(session, sizeof session, "s%d", i);
        CHECK_OK(ws_store_open(path, &store));
        CHECK_OK(ws_update_state(store, "f", session, "{\"opened\":true}"));
        ws_store_close(store);
        exit(0);
      }
    }
    close(start[0]);
    close(start[1]);
    for (i = 0; i < OPENERS; i++) {
      CHECK(waitpid(pids[i], &status, 0) == pids[i]);
      CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    store = open_with(path, NULL);
    {
      char *list = NULL;
      const char *at;
      CHECK_OK(ws_list_sessions(store, "f", WS_ORDER_CREATED_AT, false, &list));
      for (n = 0, at = list; (at = strstr(at, "\"session_id\"")) != NULL; at++) n++;
      CHECK(n == OPENERS);
      ws_string_free(list);
    }
    ws_store_close(store);
  }
}

int main(void) {
  test_open_arguments();
  puts("ok open arguments");
  test_bad_options();
  puts("ok bad options");
  test_every_option();
  puts("ok every option");
  test_read_only();
  puts("ok read_only");
  test_read_only_old_format();
  puts("ok read_only on a 0.0.2 file");
  test_read_only_sees_other_processes();
  puts("ok read_only sees what other processes write");
  test_file_names_are_not_uris();
  puts("ok file: paths are file names");
  test_not_a_database();
  puts("ok not a database");
  test_newer_schema();
  puts("ok newer schema");
  test_busy();
  puts("ok busy");
  test_processes_open_a_new_file_at_once();
  puts("ok processes opening a new file at once");
  test_full_disk();
  puts("ok full disk");
  test_other_writers_are_seen();
  puts("ok writes by other processes are seen");
  return 0;
}
