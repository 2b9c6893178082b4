/* No lost update: 4 processes x 2 threads each do 500 read-modify-write cycles of one
 * nested counter, the way an application edits state: read the session with
 * ws_get_session, take the counter out of its JSON, and write counter + 1 back with
 * ws_apply, a "replace" of /counter/nested/value (3 levels deep) with "expect_revision"
 * set to the revision read, retrying from the read on WS_CONFLICT (another writer came
 * first) and on WS_BUSY (the file stayed locked past the busy timeout; none is expected).
 * The two threads of a process share its one store, as the threads of a server would;
 * each process opens its own store after the fork. The processes start together at a
 * pipe barrier (each says it is ready, then blocks until the parent closes a pipe), the
 * threads of a process at a pthread barrier. Nothing sleeps.
 *
 * What must hold, in both durability modes ("synchronous": "normal" and "full"):
 *  - the counter ends at exactly 4000;
 *  - every value 1..4000 was written by exactly one successful ws_apply (no two writers
 *    ever wrote over the same reading), each with a revision above the one it read;
 *  - the session's revision is its revision before the run + 4000 (each successful edit
 *    takes exactly one number, a conflicting one none), which is the latest number;
 *  - the feed lists the session once, at that revision.
 * Then the same loop WITHOUT expect_revision runs once, and its final counter is printed,
 * not asserted: it shows the updates that optimistic editing saves from being lost (two
 * writers that read the same value both write value + 1).
 *
 * Run natively, not under valgrind (see reliability.cmake). WS_LOST_UPDATE_CYCLES=N sets
 * the cycles per thread (default 500). */
#include "reliability.h"

#include <pthread.h>
#include <sys/types.h>
#include <sys/wait.h>

#define PROCESSES 4
#define THREADS 2
#define DEFAULT_CYCLES 500
#define MAX_CYCLES 5000
#define FLOW "lost-update"
#define SESSION "counter"
#define COUNTER_PATH "/counter/nested/value"

/* What one thread did, sent to the parent through a pipe. */
struct thread_result {
  long done;      /* successful edits: equals the cycles asked for */
  long conflicts; /* WS_CONFLICT answers, each retried */
  long busy;      /* WS_BUSY answers, each retried */
  long no_ops;    /* edits that changed nothing (only without expect_revision) */
  long values[MAX_CYCLES]; /* the value each successful edit wrote */
};

struct worker {
  ws_store *store;
  long cycles;
  int safe; /* 1: with expect_revision */
  pthread_barrier_t *start;
  struct thread_result *res;
};

/* The integer after `needle` in `json`; the library writes compact JSON, so a strstr is
 * enough for this known shape. */
static long long number_after(const char *json, const char *needle) {
  const char *at = strstr(json, needle);
  CHECK(at != NULL);
  return strtoll(at + strlen(needle), NULL, 10);
}

static void *work(void *arg) {
  struct worker *w = (struct worker *)arg;
  struct thread_result *res = w->res;
  pthread_barrier_wait(w->start);
  while (res->done < w->cycles) {
    char *session = NULL;
    char *result = NULL;
    char edit[256];
    long long counter, read_revision;
    ws_status status = ws_get_session(w->store, FLOW, SESSION, &session);
    if (status == WS_BUSY) {
      res->busy++;
      continue;
    }
    CHECK_OK(status);
    CHECK(session != NULL);
    counter = number_after(session, "\"counter\":{\"nested\":{\"value\":");
    read_revision = number_after(session, "\"revision\":");
    ws_string_free(session);
    if (w->safe) {
      snprintf(edit, sizeof edit,
               "{\"expect_revision\":%lld,\"patch\":[{\"op\":\"replace\",\"path\":\"" COUNTER_PATH
               "\",\"value\":%lld}]}",
               read_revision, counter + 1);
    } else {
      snprintf(edit, sizeof edit,
               "{\"patch\":[{\"op\":\"replace\",\"path\":\"" COUNTER_PATH "\",\"value\":%lld}]}",
               counter + 1);
    }
    status = ws_apply(w->store, FLOW, SESSION, edit, &result);
    if (status == WS_CONFLICT && w->safe) {
      CHECK(strstr(ws_last_error_message(), "but found revision") != NULL);
      res->conflicts++;
      continue;
    }
    if (status == WS_BUSY) {
      res->busy++;
      continue;
    }
    CHECK_OK(status);
    CHECK(result != NULL);
    if (strstr(result, "\"changed\":true") != NULL) {
      CHECK(number_after(result, "\"revision\":") > read_revision);
    } else {
      /* Only a blind write can find the value already there. */
      CHECK(!w->safe);
      res->no_ops++;
    }
    ws_string_free(result);
    res->values[res->done++] = (long)(counter + 1);
  }
  return NULL;
}

/* One process: opens its store, starts its threads, says it is ready, waits for the
 * start, sends its threads' results. */
struct process_args {
  const char *path, *options;
  long cycles;
  int safe;
};

static void run_process(int p, const void *arg, int ready_fd, int start_fd, int result_fd) {
  const struct process_args *a = (const struct process_args *)arg;
  static struct thread_result results[THREADS];
  struct worker workers[THREADS];
  pthread_t threads[THREADS];
  pthread_barrier_t start;
  ws_store *store = NULL;
  char byte = 'r';
  int t;
  (void)p;
  CHECK_OK(ws_store_open_with(a->path, a->options, &store));
  CHECK(pthread_barrier_init(&start, NULL, THREADS + 1) == 0);
  memset(results, 0, sizeof results);
  for (t = 0; t < THREADS; t++) {
    workers[t].store = store;
    workers[t].cycles = a->cycles;
    workers[t].safe = a->safe;
    workers[t].start = &start;
    workers[t].res = &results[t];
    CHECK(pthread_create(&threads[t], NULL, work, &workers[t]) == 0);
  }
  write_all(ready_fd, &byte, 1);
  close(ready_fd);
  CHECK(read_full(start_fd, &byte, 1) == 0); /* the parent closes it to start everyone */
  pthread_barrier_wait(&start);
  for (t = 0; t < THREADS; t++) CHECK(pthread_join(threads[t], NULL) == 0);
  pthread_barrier_destroy(&start);
  ws_store_close(store);
  write_all(result_fd, results, sizeof results);
  close(result_fd);
}

static struct thread_result results[PROCESSES][THREADS];

/* One run on a fresh file `<dir_name>.d/store.db`; returns the final counter. */
static long run(const char *dir_name, const char *name, const char *options, long cycles,
                int safe) {
  const long total = PROCESSES * THREADS * cycles;
  const char *dir = fresh_dir(dir_name);
  char path[512];
  struct process_args args;
  int p, t;
  long conflicts = 0, busy = 0, no_ops = 0, counter, i;
  int64_t before_revision, revision = 0, latest = 0;
  double elapsed;
  ws_store *store = NULL;
  char *session = NULL;

  path_in(path, sizeof path, dir, "store.db");
  CHECK_OK(ws_store_open_with(path, options, &store));
  CHECK_OK(ws_apply(store, FLOW, SESSION,
                    "{\"patch\":[{\"op\":\"add\",\"path\":\"/counter\",\"value\":{\"nested\":{\"value\":0}}}]}",
                    NULL));
  CHECK_OK(ws_get_revision(store, FLOW, SESSION, &before_revision));
  ws_store_close(store); /* no store is open across the fork */

  args.path = path;
  args.options = options;
  args.cycles = cycles;
  args.safe = safe;
  elapsed = run_processes(PROCESSES, run_process, &args, results, sizeof results[0]);
  for (p = 0; p < PROCESSES; p++) {
    for (t = 0; t < THREADS; t++) {
      CHECK(results[p][t].done == cycles);
      conflicts += results[p][t].conflicts;
      busy += results[p][t].busy;
      no_ops += results[p][t].no_ops;
    }
  }

  CHECK_OK(ws_store_open_with(path, options, &store));
  CHECK_OK(ws_get_session(store, FLOW, SESSION, &session));
  CHECK(session != NULL);
  counter = (long)number_after(session, "\"counter\":{\"nested\":{\"value\":");
  ws_string_free(session);
  CHECK_OK(ws_get_revision(store, FLOW, SESSION, &revision));
  CHECK_OK(ws_latest_seq(store, &latest));
  printf("%-38s %ld edits in %.2f s (%.0f/s): counter %ld of %ld; %ld WS_CONFLICT retries, "
         "%ld WS_BUSY retries",
         name, total, elapsed, (double)total / elapsed, counter, total, conflicts, busy);
  if (!safe) printf("; %ld edits wrote a value already there", no_ops);
  printf("\n");
  fflush(stdout);

  if (safe) {
    /* Every value 1..total written exactly once. */
    static unsigned char written[PROCESSES * THREADS * MAX_CYCLES + 1];
    char expected[256];
    char *feed = NULL;
    memset(written, 0, sizeof written);
    for (p = 0; p < PROCESSES; p++) {
      for (t = 0; t < THREADS; t++) {
        for (i = 0; i < cycles; i++) {
          long v = results[p][t].values[i];
          CHECK(v >= 1 && v <= total);
          CHECK(!written[v]);
          written[v] = 1;
        }
      }
    }
    CHECK(counter == total);
    CHECK(revision == before_revision + total);
    CHECK(latest == revision);
    CHECK(conflicts >= 0 && busy >= 0);
    /* The feed: the session once, at its revision, from the start and from before the run. */
    snprintf(expected, sizeof expected,
             "{\"changes\":[{\"seq\":%lld,\"flow_id\":\"" FLOW "\",\"session_id\":\"" SESSION
             "\",\"revision\":%lld,\"deleted\":false}],\"last_seq\":%lld,\"more\":false,"
             "\"reset\":false}",
             (long long)revision, (long long)revision, (long long)revision);
    CHECK_OK(ws_changes_since(store, NULL, 0, 0, &feed));
    CHECK_STR(feed, expected);
    ws_string_free(feed);
    CHECK_OK(ws_changes_since(store, FLOW, before_revision, 0, &feed));
    CHECK_STR(feed, expected);
    ws_string_free(feed);
  }
  ws_store_close(store);
  return counter;
}

int main(void) {
  long cycles = count_from_env("WS_LOST_UPDATE_CYCLES", DEFAULT_CYCLES, MAX_CYCLES);
  long total = PROCESSES * THREADS * cycles;
  long blind;
  double started = now_seconds();
  printf("%d processes x %d threads x %ld read-modify-write cycles of %s\n", PROCESSES, THREADS,
         cycles, COUNTER_PATH);
  run("lost_update_normal", "expect_revision, synchronous normal", "{\"synchronous\":\"normal\"}", cycles, 1);
  run("lost_update_full", "expect_revision, synchronous full", "{\"synchronous\":\"full\"}", cycles, 1);
  blind = run("lost_update_blind", "no expect_revision, synchronous normal", "{\"synchronous\":\"normal\"}", cycles, 0);
  printf("without expect_revision %ld of %ld updates were lost (shown, not asserted)\n",
         total - blind, total);
  printf("test_lost_update: all checks passed in %.1f s\n", now_seconds() - started);
  return 0;
}
