/* ws_prune_sessions from C (API.md "Sessions at scale"): which sessions go (a flow, or
 * every flow, updated before a time), that their stacks and clean marks go with them, that
 * each deletion is in the change feed, the arguments it refuses and the exact messages, and
 * writers that keep writing while a prune runs, one in another process and one in another
 * thread of the same store: every one of their calls succeeds, and the longest is printed
 * (not asserted: the machine sets it).
 *
 * Sessions here are all updated "now", so the times used are one far in the past (nothing
 * goes) and one far in the future (everything of the scope goes); which sessions go by
 * time is tested in src/prune.rs, where the test can write updated_at itself. */
#include "check.h"

#include <pthread.h>
#include <stdint.h>
#include <sys/select.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PAST "2000-01-01 00:00:00"
#define FUTURE "9999-12-31 23:59:59"

static int64_t latest(ws_store *store) {
  int64_t seq = -1;
  CHECK_OK(ws_latest_seq(store, &seq));
  return seq;
}

static size_t prune(ws_store *store, const char *flow, const char *before) {
  size_t deleted = 12345;
  CHECK_OK(ws_prune_sessions(store, flow, before, &deleted));
  return deleted;
}

static bool exists(ws_store *store, const char *flow, const char *session) {
  bool found = false;
  CHECK_OK(ws_session_exists(store, flow, session, &found));
  return found;
}

/* Sessions "s0".."s<n-1>" of `flow`, each with a checkpoint (so with an undo entry) and
 * marked clean. */
static void make_sessions(ws_store *store, const char *flow, int n) {
  int i;
  for (i = 0; i < n; i++) {
    char session[16], updates[32];
    snprintf(session, sizeof session, "s%d", i);
    snprintf(updates, sizeof updates, "{\"i\":%d}", i);
    CHECK_OK(ws_update_state(store, flow, session, updates));
    CHECK_OK(ws_checkpoint(store, flow, session, "Edit"));
    CHECK_OK(ws_update_state(store, flow, session, "{\"edited\":true}"));
    CHECK_OK(ws_set_clean(store, flow, session));
  }
}

static void test_what_goes(void) {
  char path[4096];
  const char *dir = fresh_dir("test_prune_what_goes");
  ws_store *store = NULL;
  int64_t before;
  char *page = NULL;
  path_in(path, sizeof path, dir, "store.db");
  CHECK_OK(ws_store_open(path, &store));
  make_sessions(store, "a", 40);
  make_sessions(store, "b", 30);

  /* Nothing updated before 2000: nothing goes, no number is taken. */
  before = latest(store);
  CHECK(prune(store, "a", PAST) == 0);
  CHECK(prune(store, NULL, PAST) == 0);
  CHECK(latest(store) == before);

  /* Flow "a" only: its 40 sessions go, with their stacks and marks; "b" stays. */
  CHECK(prune(store, "a", FUTURE) == 40);
  CHECK(!exists(store, "a", "s0") && !exists(store, "a", "s39"));
  CHECK(exists(store, "b", "s0") && exists(store, "b", "s29"));
  CHECK_UNDO_STATUS(store, "a", "s7",
                    "{\"undo_depth\":0,\"redo_depth\":0,\"undo_label\":null,\"redo_label\":null" NO_META_NOT_CLEAN);
  CHECK_UNDO_STATUS(store, "b", "s7",
                    "{\"undo_depth\":1,\"redo_depth\":0,\"undo_label\":\"Edit\",\"redo_label\":null,"
                    "\"undo_meta\":null,\"redo_meta\":null,\"clean\":true}");
  /* A session re-created with a pruned id starts afresh: no stacks, not clean. */
  CHECK_OK(ws_update_state(store, "a", "s7", "{\"again\":1}"));
  CHECK_UNDO_STATUS(store, "a", "s7",
                    "{\"undo_depth\":0,\"redo_depth\":0,\"undo_label\":null,\"redo_label\":null" NO_META_NOT_CLEAN);
  CHECK_OK(ws_delete_session(store, "a", "s7"));

  /* Every deletion is in the feed, each a change of its own. */
  CHECK_OK(ws_changes_since(store, "a", before, 1000, &page));
  {
    const char *at = page;
    int deletions = 0;
    while ((at = strstr(at, "\"deleted\":true")) != NULL) {
      deletions++;
      at++;
    }
    /* The feed keeps each session's latest change: the 40 pruned (s7's, its second
     * deletion). */
    CHECK(deletions == 40);
  }
  ws_string_free(page);

  /* NULL: every flow. */
  CHECK(prune(store, NULL, FUTURE) == 30);
  CHECK(!exists(store, "b", "s0"));
  CHECK(prune(store, NULL, FUTURE) == 0);
  ws_store_close(store);
}

static void test_arguments(void) {
  ws_store *store = NULL;
  size_t deleted = 7;
  int64_t before;
  CHECK_OK(ws_store_open(":memory:", &store));
  make_sessions(store, "a", 3);
  before = latest(store);

  CHECK_STATUS(ws_prune_sessions(NULL, "a", FUTURE, &deleted), WS_INVALID_ARGUMENT);
  CHECK_MESSAGE_HAS("store");
  CHECK(deleted == 0);
  deleted = 7;
  CHECK_STATUS(ws_prune_sessions(store, "a", NULL, &deleted), WS_INVALID_ARGUMENT);
  CHECK_MESSAGE_HAS("updated_before");
  CHECK(deleted == 0);
  CHECK_STATUS(ws_prune_sessions(store, "a", FUTURE, NULL), WS_INVALID_ARGUMENT);
  CHECK_MESSAGE_HAS("out_deleted");
  CHECK_STATUS(ws_prune_sessions(store, "a:b", FUTURE, &deleted), WS_INVALID_ARGUMENT);
  CHECK_STR(ws_last_error_message(), "flow_id \"a:b\" must not contain ':'");
  CHECK_STATUS(ws_prune_sessions(store, "", FUTURE, &deleted), WS_INVALID_ARGUMENT);
  CHECK_STR(ws_last_error_message(), "flow_id must not be empty");
  CHECK_STATUS(ws_prune_sessions(store, "a", "2026-12-02T10:00:00", &deleted), WS_INVALID_ARGUMENT);
  CHECK_STR(ws_last_error_message(),
            "updated_before \"2026-12-02T10:00:00\" is not a timestamp \"YYYY-MM-DD HH:MM:SS\" "
            "(UTC, the form updated_at is stored in)");
  CHECK_STATUS(ws_prune_sessions(store, "a", "2026-12-32 10:00:00", &deleted), WS_INVALID_ARGUMENT);
  CHECK_STATUS(ws_prune_sessions(store, "a", "\xff", &deleted), WS_INVALID_ARGUMENT);
  CHECK_MESSAGE_HAS("UTF-8");

  /* None of that deleted anything. */
  CHECK(latest(store) == before);
  CHECK(exists(store, "a", "s0") && exists(store, "a", "s2"));
  ws_store_close(store);
}

static double seconds_now(void) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (double)now.tv_sec + (double)now.tv_nsec / 1e9;
}

/* A child process writes its own session in a loop, timing each call, from the moment
 * it says it is ready until the parent closes the stop pipe (after the prune returned);
 * then it sends how many calls it made, how many failed, and the longest. The parent
 * opens its store only after the fork (a store is never shared across fork). */
static void test_a_writer_gets_in_during_a_prune(void) {
  enum { SESSIONS = 2000 };
  char path[4096];
  const char *dir = fresh_dir("test_prune_writer");
  int ready[2], stop[2], back[2];
  pid_t child;
  int status = 0;
  struct {
    long calls, failed;
    double longest;
  } report;
  path_in(path, sizeof path, dir, "store.db");
  {
    ws_store *setup = NULL;
    int i;
    CHECK_OK(ws_store_open(path, &setup));
    for (i = 0; i < SESSIONS; i++) {
      char session[16];
      snprintf(session, sizeof session, "s%d", i);
      CHECK_OK(ws_update_state(setup, "a", session, "{\"text\":\"a session nobody will resume\"}"));
      if (i % 10 == 0) CHECK_OK(ws_checkpoint(setup, "a", session, "Edit"));
    }
    ws_store_close(setup);
  }
  CHECK(pipe(ready) == 0 && pipe(stop) == 0 && pipe(back) == 0);
  fflush(stdout);
  fflush(stderr);
  child = fork();
  CHECK(child >= 0);
  if (child == 0) {
    ws_store *store = NULL;
    char byte = 1, updates[48];
    close(ready[0]);
    close(stop[1]);
    close(back[0]);
    memset(&report, 0, sizeof report);
    CHECK_OK(ws_store_open(path, &store));
    CHECK(write(ready[1], &byte, 1) == 1);
    for (;;) {
      fd_set fds;
      struct timeval none = {0, 0};
      double start;
      ws_status got;
      FD_ZERO(&fds);
      FD_SET(stop[0], &fds);
      if (select(stop[0] + 1, &fds, NULL, NULL, &none) > 0) break; /* the parent closed it */
      snprintf(updates, sizeof updates, "{\"n\":%ld}", report.calls);
      start = seconds_now();
      got = ws_update_state(store, "w", "autosave", updates);
      if (seconds_now() - start > report.longest) report.longest = seconds_now() - start;
      report.calls++;
      if (got != WS_OK) report.failed++;
    }
    ws_store_close(store);
    CHECK(write(back[1], &report, sizeof report) == (ssize_t)sizeof report);
    _exit(0);
  }
  close(ready[1]);
  close(stop[0]);
  close(back[1]);
  {
    ws_store *store = NULL;
    char byte;
    double started, took;
    size_t deleted = 0;
    CHECK(read(ready[0], &byte, 1) == 1);
    CHECK_OK(ws_store_open(path, &store));
    started = seconds_now();
    CHECK_OK(ws_prune_sessions(store, "a", FUTURE, &deleted));
    took = seconds_now() - started;
    close(stop[1]);
    CHECK(deleted == SESSIONS);
    CHECK(read(back[0], &report, sizeof report) == (ssize_t)sizeof report);
    CHECK(waitpid(child, &status, 0) == child);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    CHECK(report.failed == 0);
    CHECK(report.calls > 0);
    CHECK(exists(store, "w", "autosave"));
    printf("prune of %d sessions: %.0f ms; a writer in another process meanwhile: %ld calls, "
           "the longest %.2f ms\n",
           SESSIONS, took * 1000.0, report.calls, report.longest * 1000.0);
    ws_store_close(store);
  }
  close(ready[0]);
  close(back[0]);
}

/* A thread of the same store writes its own session until `stop` is set, timing each
 * call. The store serialises its calls on one lock, which a prune releases between
 * batches. */
struct thread_writer {
  ws_store *store;
  int stop; /* set by the main thread after the prune returned, under `lock` */
  pthread_mutex_t lock;
  long calls, failed;
  double longest;
};

static void *write_until_stopped(void *arg) {
  struct thread_writer *w = (struct thread_writer *)arg;
  for (;;) {
    char updates[48];
    double start;
    ws_status got;
    int stop;
    CHECK(pthread_mutex_lock(&w->lock) == 0);
    stop = w->stop;
    CHECK(pthread_mutex_unlock(&w->lock) == 0);
    if (stop) break;
    snprintf(updates, sizeof updates, "{\"n\":%ld}", w->calls);
    start = seconds_now();
    got = ws_update_state(w->store, "w", "autosave", updates);
    if (seconds_now() - start > w->longest) w->longest = seconds_now() - start;
    w->calls++;
    if (got != WS_OK) w->failed++;
  }
  return NULL;
}

static void test_a_thread_of_the_store_gets_in_during_a_prune(void) {
  enum { SESSIONS = 2000 };
  struct thread_writer w;
  pthread_t thread;
  ws_store *store = NULL;
  size_t deleted = 0;
  double started, took;
  int i;
  memset(&w, 0, sizeof w);
  CHECK(pthread_mutex_init(&w.lock, NULL) == 0);
  CHECK_OK(ws_store_open(":memory:", &store));
  for (i = 0; i < SESSIONS; i++) {
    char session[16];
    snprintf(session, sizeof session, "s%d", i);
    CHECK_OK(ws_update_state(store, "a", session, "{\"text\":\"a session nobody will resume\"}"));
  }
  w.store = store;
  CHECK(pthread_create(&thread, NULL, write_until_stopped, &w) == 0);
  started = seconds_now();
  CHECK_OK(ws_prune_sessions(store, "a", FUTURE, &deleted));
  took = seconds_now() - started;
  CHECK(pthread_mutex_lock(&w.lock) == 0);
  w.stop = 1;
  CHECK(pthread_mutex_unlock(&w.lock) == 0);
  CHECK(pthread_join(thread, NULL) == 0);
  CHECK(deleted == SESSIONS);
  CHECK(w.failed == 0);
  CHECK(exists(store, "w", "autosave"));
  printf("prune of %d sessions: %.0f ms; a writer thread of the same store meanwhile: %ld calls, "
         "the longest %.2f ms\n",
         SESSIONS, took * 1000.0, w.calls, w.longest * 1000.0);
  CHECK(pthread_mutex_destroy(&w.lock) == 0);
  ws_store_close(store);
}

int main(void) {
  test_what_goes();
  printf("ok test_what_goes\n");
  test_arguments();
  printf("ok test_arguments\n");
  test_a_writer_gets_in_during_a_prune();
  printf("ok test_a_writer_gets_in_during_a_prune\n");
  test_a_thread_of_the_store_gets_in_during_a_prune();
  printf("ok test_a_thread_of_the_store_gets_in_during_a_prune\n");
  return 0;
}
