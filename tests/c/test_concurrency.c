/* Concurrent writers lose nothing: 4 processes, each with its own store on one file,
 * and 8 threads sharing one ws_store *, all writing into one session at once. */
#include "check.h"

#include <pthread.h>
#include <sys/wait.h>
#include <unistd.h>

#define PROCESSES 4
#define THREADS 8
#define WRITES 250 /* per process or thread, alternating state and step state */

/* Write number n of writer `who`: even n into the session state, odd n into step "s". */
static ws_status write_one(ws_store *store, const char *who, int n) {
  char updates[128];
  snprintf(updates, sizeof updates, "{\"%s_%d\":%d}", who, n, n);
  return n % 2 == 0 ? ws_update_state(store, "flow", "shared", updates)
                    : ws_update_step_state(store, "flow", "shared", "s", updates);
}

/* Every write of every writer is in the stored state, with its value. */
static void check_all_writes(ws_store *store, const char *prefix, int writers) {
  char *state = state_copy(store, "flow", "shared");
  char *step = NULL, needle[128], who[32];
  int w, n, found = 0;
  CHECK_OK(ws_get_step_state(store, "flow", "shared", "s", &step));
  for (w = 0; w < writers; w++) {
    snprintf(who, sizeof who, "%s%d", prefix, w);
    for (n = 0; n < WRITES; n++) {
      snprintf(needle, sizeof needle, "\"%s_%d\":%d", who, n, n);
      if (strstr(n % 2 == 0 ? state : step, needle) == NULL) {
        fprintf(stderr, "lost write %s\n", needle);
      } else {
        found++;
      }
    }
  }
  printf("  %d of %d writes found\n", found, writers * WRITES);
  CHECK(found == writers * WRITES);
  free(state);
  ws_string_free(step);
}

static void test_processes(void) {
  const char *dir = fresh_dir("processes");
  char path[512];
  int start[2], i, status;
  pid_t pids[PROCESSES];
  ws_store *store;
  path_in(path, sizeof path, dir, "shared.db");
  /* Create the file first, so that the children race on writes, not on creation. */
  CHECK_OK(ws_store_open(path, &store));
  ws_store_close(store);

  CHECK(pipe(start) == 0);
  for (i = 0; i < PROCESSES; i++) {
    pids[i] = fork();
    CHECK(pids[i] >= 0);
    if (pids[i] == 0) {
      char who[16], byte;
      int n;
      close(start[1]);
      /* Wait until every child exists: the parent closes the pipe to start them. */
      CHECK(read(start[0], &byte, 1) == 0);
      snprintf(who, sizeof who, "p%d", i);
      /* A minute of patience: under valgrind on 2 cores, SQLite's busy handler (which
       * sleeps and retries, with no queue) can leave one writer behind the other three
       * past the default 5 s. This test is about losing nothing, not about waiting. */
      CHECK_OK(ws_store_open_with(path, "{\"busy_timeout_ms\":60000}", &store));
      for (n = 0; n < WRITES; n++) CHECK_OK(write_one(store, who, n));
      ws_store_close(store);
      exit(0);
    }
  }
  close(start[0]);
  close(start[1]);
  for (i = 0; i < PROCESSES; i++) {
    CHECK(waitpid(pids[i], &status, 0) == pids[i]);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  CHECK_OK(ws_store_open(path, &store));
  check_all_writes(store, "p", PROCESSES);
  ws_store_close(store);
}

struct thread_arg {
  ws_store *store;
  int index;
  pthread_barrier_t *barrier;
  int failures;
};

static void *thread_writer(void *p) {
  struct thread_arg *arg = (struct thread_arg *)p;
  char who[16];
  int n;
  snprintf(who, sizeof who, "t%d", arg->index);
  pthread_barrier_wait(arg->barrier);
  for (n = 0; n < WRITES; n++) {
    ws_status status = write_one(arg->store, who, n);
    if (status != WS_OK) {
      fprintf(stderr, "%s write %d: %s: %s\n", who, n, ws_status_name(status),
              ws_last_error_message());
      arg->failures++;
    }
  }
  return NULL;
}

static void test_threads(void) {
  const char *dir = fresh_dir("threads");
  char path[512];
  pthread_t threads[THREADS];
  struct thread_arg args[THREADS];
  pthread_barrier_t barrier;
  ws_store *store;
  int i;
  path_in(path, sizeof path, dir, "shared.db");
  CHECK_OK(ws_store_open(path, &store));
  CHECK(pthread_barrier_init(&barrier, NULL, THREADS) == 0);
  for (i = 0; i < THREADS; i++) {
    args[i].store = store;
    args[i].index = i;
    args[i].barrier = &barrier;
    args[i].failures = 0;
    CHECK(pthread_create(&threads[i], NULL, thread_writer, &args[i]) == 0);
  }
  for (i = 0; i < THREADS; i++) {
    CHECK(pthread_join(threads[i], NULL) == 0);
    CHECK(args[i].failures == 0);
  }
  pthread_barrier_destroy(&barrier);
  check_all_writes(store, "t", THREADS);
  ws_store_close(store);
}

/* ws_last_error_message() is per thread: another thread's calls do not change it. */
struct message_arg {
  ws_store *store;
  pthread_barrier_t *failed, *others_done;
  char seen[256];
};

static void *failing_thread(void *p) {
  struct message_arg *arg = (struct message_arg *)p;
  ws_status status = ws_update_state(arg->store, "a:b", "s", "{}");
  pthread_barrier_wait(arg->failed);      /* let the other thread succeed and fail */
  pthread_barrier_wait(arg->others_done);
  snprintf(arg->seen, sizeof arg->seen, "%s %s", ws_status_name(status), ws_last_error_message());
  return NULL;
}

static void test_messages_are_per_thread(void) {
  pthread_barrier_t failed, others_done;
  struct message_arg arg;
  pthread_t thread;
  ws_store *store;
  CHECK_OK(ws_store_open(":memory:", &store));
  CHECK(pthread_barrier_init(&failed, NULL, 2) == 0);
  CHECK(pthread_barrier_init(&others_done, NULL, 2) == 0);
  arg.store = store;
  arg.failed = &failed;
  arg.others_done = &others_done;
  CHECK(pthread_create(&thread, NULL, failing_thread, &arg) == 0);
  pthread_barrier_wait(&failed);
  CHECK_STATUS(ws_update_state(store, "f", "s", "[]"), WS_INVALID_JSON);
  CHECK_OK(ws_update_state(store, "f", "s", "{}"));
  pthread_barrier_wait(&others_done);
  CHECK(pthread_join(thread, NULL) == 0);
  CHECK_STR(arg.seen, "WS_INVALID_ARGUMENT flow_id \"a:b\" must not contain ':'");
  pthread_barrier_destroy(&failed);
  pthread_barrier_destroy(&others_done);
  ws_store_close(store);
}

int main(void) {
  test_processes();
  puts("ok 4 processes x 250 writes, nothing lost");
  test_threads();
  puts("ok 8 threads x 250 writes on one store, nothing lost");
  test_messages_are_per_thread();
  puts("ok error messages are per thread");
  return 0;
}
