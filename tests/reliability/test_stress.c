/* Stress test: 8 processes x 4 threads write one file at once, mixing every write
 * operation on overlapping sessions, for a bounded number of operations each. In every
 * process threads 0 and 1 share one ws_store * and threads 2 and 3 each have their own.
 * The processes start together at a pipe barrier (each says it is ready on one pipe, then
 * blocks reading another until the parent closes it), the threads of a process at a
 * pthread barrier. Nothing sleeps.
 *
 * What each thread (named "p<process>t<thread>") does, and what must hold at the end
 * under any interleaving:
 *  - ws_update_state on the 4 shared sessions, the n-th acked one of a thread into a
 *    session merging {"<who>":n,"<who>.<n>":n}, and ws_update_step_state of step "<who>"
 *    with {"n":n,"w<n>":n} likewise: in the end every thread's counter holds exactly its
 *    number of acked merges (no stale overwrite) and every merge's own key is there (no
 *    lost update, however early), nothing else is, and the parent's {"shared":k} is
 *    intact;
 *  - ws_set_current_step and ws_set_session_label on the shared sessions, each value
 *    "<who>-<op number>": the final step and label of each session is the last value
 *    that some thread set there (or the parent's "start" when nobody did);
 *  - ws_checkpoint / ws_undo / ws_redo on 2 sessions that get nothing else:
 *    undo depth == checkpoints - undos done + redos done (nothing is ever trimmed:
 *    max_history_depth is far above the number of checkpoints), undo + redo depth <=
 *    checkpoints, and undoing to the bottom takes exactly that depth, every state on the
 *    way being the parent's {"undo":k};
 *  - ws_history_push of {"p":P,"t":T,"n":N} (N counts the thread's pushes) and
 *    ws_history_pop on 2 sessions: every acked push is popped exactly once by someone or
 *    still on its own stack; nothing else is ever popped or left; what is left holds
 *    each thread's items in the order it pushed them (a stack only ever drops its top);
 *  - ws_create_session / ws_delete_session of the thread's own sessions "<who>-<N>":
 *    the flow lists exactly the ones created and not deleted;
 *  - ws_create_session of contested ids "race-<N>", which every thread tries in turn:
 *    exactly one thread wins each id (the others get WS_ALREADY_EXISTS).
 * Every call returns WS_OK (or WS_ALREADY_EXISTS where said), or WS_BUSY, which is
 * counted per operation and reported: with the default busy timeout none is expected, and
 * a busy call must change nothing (the counters are read back at once; an unacked push,
 * create or checkpoint that happened anyway breaks the invariants above).
 *
 * WS_STRESS_SEED=N repeats the choice of operations (not the interleaving);
 * WS_STRESS_OPS=N sets the operations per thread (default 500). */
#include "reliability.h"

#include <pthread.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>

#define PROCESSES 8
#define THREADS 4
#define WRITERS (PROCESSES * THREADS)
#define SHARED 4
#define UNDO_SESSIONS 2
#define HIST_SESSIONS 2
#define DEFAULT_OPS 500
#define MAX_OPS 5000 /* per thread: the size of the per-thread records */
#define FLOW "stress"
#define FLOW_LIFE "stress-life"
#define FLOW_RACE "stress-race"
/* Every stack is far below this depth, so the undo bookkeeping is exact; the busy timeout
 * is the default. */
#define OPTIONS "{\"max_history_depth\":1000000}"

enum op_kind {
  OP_COUNT,
  OP_STEP_COUNT,
  OP_SET_STEP,
  OP_LABEL,
  OP_CREATE,
  OP_DELETE,
  OP_RACE,
  OP_PUSH,
  OP_POP,
  OP_CHECKPOINT,
  OP_UNDO,
  OP_REDO,
  OP_KINDS
};

static const char *const op_names[OP_KINDS] = {
    "ws_update_state",     "ws_update_step_state", "ws_set_current_step", "ws_set_session_label",
    "ws_create_session",   "ws_delete_session",    "ws_create_session (contested id)",
    "ws_history_push",     "ws_history_pop",       "ws_checkpoint",
    "ws_undo",             "ws_redo"};

/* Percent of the operations of each kind. */
static const int op_weights[OP_KINDS] = {20, 12, 8, 6, 8, 6, 6, 8, 6, 8, 6, 6};

struct popped_item {
  int p, t, n, session;
};

/* What a thread did, sent to the parent at the end. Only acked (WS_OK) calls count. */
struct thread_result {
  long ops, ok[OP_KINDS], busy[OP_KINDS];
  double slowest[OP_KINDS]; /* seconds, including any wait for the lock */
  int count[SHARED], step_count[SHARED];
  int last_step[SHARED], last_label[SHARED]; /* op number of the last value set; -1: none */
  int checkpoints[UNDO_SESSIONS], undos[UNDO_SESSIONS], redos[UNDO_SESSIONS];
  int created; /* own sessions "<who>-0" ... "<who>-<created-1>" were tried */
  unsigned char alive[MAX_OPS];
  int races; /* contested ids "race-0" ... "race-<races-1>" were tried */
  unsigned char race_won[MAX_OPS];
  int pushes;
  unsigned char push_session[MAX_OPS]; /* session + 1 of an acked push; 0: not acked */
  int pops;
  struct popped_item popped[MAX_OPS];
};

static const char *shared_id(int k) {
  static const char *const ids[SHARED] = {"shared-0", "shared-1", "shared-2", "shared-3"};
  return ids[k];
}

static const char *undo_id(int k) {
  static const char *const ids[UNDO_SESSIONS] = {"undo-0", "undo-1"};
  return ids[k];
}

static const char *hist_id(int k) {
  static const char *const ids[HIST_SESSIONS] = {"hist-0", "hist-1"};
  return ids[k];
}

/* ------------------------------------------------------------------------------------ */
/* The writers. */

struct worker {
  int p, t;
  long ops;
  ws_store *store;
  pthread_barrier_t *start;
  struct rng rng;
  struct thread_result *res;
  char who[16];
};

/* 1 for WS_OK, 0 for WS_BUSY (counted); any other status ends the process. */
static int acked(struct worker *w, int op, ws_status status, const char *session) {
  if (status == WS_OK) {
    w->res->ok[op]++;
    return 1;
  }
  if (status == WS_BUSY) {
    w->res->busy[op]++;
    return 0;
  }
  fprintf(stderr, "%s: %s on %s returned %s: %s\n", w->who, op_names[op], session,
          ws_status_name(status), ws_last_error_message());
  exit(1);
}

/* After a busy merge: the key that only that merge writes must be absent, so the failed
 * call changed nothing. */
static void check_busy_changed_nothing(struct worker *w, int op, int k) {
  char *text = NULL, needle[48];
  ws_status status;
  if (op == OP_COUNT) {
    status = ws_get_state(w->store, FLOW, shared_id(k), &text);
    snprintf(needle, sizeof needle, "\"%s.%d\":", w->who, w->res->count[k] + 1);
  } else {
    status = ws_get_step_state(w->store, FLOW, shared_id(k), w->who, &text);
    snprintf(needle, sizeof needle, "\"w%d\":", w->res->step_count[k] + 1);
  }
  if (status == WS_BUSY) return; /* cannot look now; the final check still covers it */
  CHECK_OK(status);
  if (strstr(text, needle) != NULL) {
    fprintf(stderr, "%s: a %s on %s returned WS_BUSY but wrote %s\n", w->who, op_names[op],
            shared_id(k), needle);
    exit(1);
  }
  ws_string_free(text);
}

static void do_op(struct worker *w, int op, int number) {
  struct thread_result *res = w->res;
  char text[128], id[64], *out = NULL;
  bool done = false;
  ws_status status;
  int k, i;
  switch (op) {
  case OP_COUNT:
    k = (int)rng_below(&w->rng, SHARED);
    snprintf(text, sizeof text, "{\"%s\":%d,\"%s.%d\":%d}", w->who, res->count[k] + 1, w->who,
             res->count[k] + 1, res->count[k] + 1);
    if (acked(w, op, ws_update_state(w->store, FLOW, shared_id(k), text), shared_id(k))) res->count[k]++;
    else check_busy_changed_nothing(w, op, k);
    return;
  case OP_STEP_COUNT:
    k = (int)rng_below(&w->rng, SHARED);
    snprintf(text, sizeof text, "{\"n\":%d,\"w%d\":%d}", res->step_count[k] + 1,
             res->step_count[k] + 1, res->step_count[k] + 1);
    if (acked(w, op, ws_update_step_state(w->store, FLOW, shared_id(k), w->who, text), shared_id(k)))
      res->step_count[k]++;
    else check_busy_changed_nothing(w, op, k);
    return;
  case OP_SET_STEP:
  case OP_LABEL:
    k = (int)rng_below(&w->rng, SHARED);
    snprintf(text, sizeof text, "%s-%d", w->who, number);
    status = op == OP_SET_STEP ? ws_set_current_step(w->store, FLOW, shared_id(k), text)
                               : ws_set_session_label(w->store, FLOW, shared_id(k), text);
    if (acked(w, op, status, shared_id(k))) {
      if (op == OP_SET_STEP) res->last_step[k] = number;
      else res->last_label[k] = number;
    }
    return;
  case OP_CREATE:
    snprintf(id, sizeof id, "%s-%d", w->who, res->created);
    status = ws_create_session(w->store, FLOW_LIFE, id, NULL, &out);
    if (acked(w, op, status, id)) {
      CHECK_STR(out, id);
      res->alive[res->created] = 1;
    }
    ws_string_free(out);
    res->created++;
    return;
  case OP_DELETE:
    /* One of the thread's live sessions, or one that never existed (a no-op). */
    k = -1;
    if (res->created > 0) {
      int from = (int)rng_below(&w->rng, (uint32_t)res->created);
      for (i = 0; i < res->created && k < 0; i++)
        if (res->alive[(from + i) % res->created]) k = (from + i) % res->created;
    }
    if (k >= 0) snprintf(id, sizeof id, "%s-%d", w->who, k);
    else snprintf(id, sizeof id, "%s-never", w->who);
    if (acked(w, op, ws_delete_session(w->store, FLOW_LIFE, id), id) && k >= 0) res->alive[k] = 0;
    return;
  case OP_RACE:
    snprintf(id, sizeof id, "race-%d", res->races);
    status = ws_create_session(w->store, FLOW_RACE, id, w->who, &out);
    if (status == WS_ALREADY_EXISTS) {
      CHECK(out == NULL);
      res->ok[op]++;
    } else if (acked(w, op, status, id)) {
      CHECK_STR(out, id);
      res->race_won[res->races] = 1;
    }
    ws_string_free(out);
    res->races++;
    return;
  case OP_PUSH:
    k = (int)rng_below(&w->rng, HIST_SESSIONS);
    snprintf(text, sizeof text, "{\"p\":%d,\"t\":%d,\"n\":%d}", w->p, w->t, res->pushes);
    if (acked(w, op, ws_history_push(w->store, FLOW, hist_id(k), text), hist_id(k)))
      res->push_session[res->pushes] = (unsigned char)(k + 1);
    res->pushes++;
    return;
  case OP_POP:
    k = (int)rng_below(&w->rng, HIST_SESSIONS);
    if (acked(w, op, ws_history_pop(w->store, FLOW, hist_id(k), &out), hist_id(k)) && out != NULL) {
      struct popped_item *item = &res->popped[res->pops++];
      int end = 0;
      if (sscanf(out, "{\"p\":%d,\"t\":%d,\"n\":%d}%n", &item->p, &item->t, &item->n, &end) != 3 ||
          out[end] != '\0') {
        fprintf(stderr, "%s: ws_history_pop on %s returned a snapshot nobody pushed: %s\n", w->who,
                hist_id(k), out);
        exit(1);
      }
      item->session = k;
    }
    ws_string_free(out);
    return;
  case OP_CHECKPOINT:
    k = (int)rng_below(&w->rng, UNDO_SESSIONS);
    snprintf(text, sizeof text, "%s-%d", w->who, number);
    if (acked(w, op, ws_checkpoint(w->store, FLOW, undo_id(k), text), undo_id(k))) res->checkpoints[k]++;
    return;
  case OP_UNDO:
  case OP_REDO:
    k = (int)rng_below(&w->rng, UNDO_SESSIONS);
    status = op == OP_UNDO ? ws_undo(w->store, FLOW, undo_id(k), &done)
                           : ws_redo(w->store, FLOW, undo_id(k), &done);
    if (acked(w, op, status, undo_id(k)) && done) {
      if (op == OP_UNDO) res->undos[k]++;
      else res->redos[k]++;
    }
    return;
  }
  CHECK(!"unknown op");
}

static int pick_op(struct rng *r) {
  int roll = (int)rng_below(r, 100), op;
  for (op = 0; op < OP_KINDS - 1 && roll >= op_weights[op]; op++) roll -= op_weights[op];
  return op;
}

static void *work(void *arg) {
  struct worker *w = (struct worker *)arg;
  long i;
  pthread_barrier_wait(w->start);
  for (i = 0; i < w->ops; i++) {
    int op = pick_op(&w->rng);
    double started = now_seconds(), took;
    do_op(w, op, (int)i);
    took = now_seconds() - started;
    if (took > w->res->slowest[op]) w->res->slowest[op] = took;
    w->res->ops++;
  }
  return NULL;
}

/* One process: opens its stores, says it is ready, waits for the start, runs its
 * threads, sends their results. */
struct process_args {
  const char *path;
  uint64_t seed;
  long ops;
};

static void run_process(int p, const void *arg, int ready_fd, int start_fd, int result_fd) {
  const struct process_args *a = (const struct process_args *)arg;
  static struct thread_result results[THREADS];
  struct worker workers[THREADS];
  pthread_t threads[THREADS];
  pthread_barrier_t start;
  ws_store *stores[THREADS - 1];
  char byte = 'r';
  int t;
  for (t = 0; t < THREADS - 1; t++) CHECK_OK(ws_store_open_with(a->path, OPTIONS, &stores[t]));
  CHECK(pthread_barrier_init(&start, NULL, THREADS + 1) == 0);
  for (t = 0; t < THREADS; t++) {
    struct worker *w = &workers[t];
    w->p = p;
    w->t = t;
    w->ops = a->ops;
    w->store = stores[t == 0 ? 0 : t - 1]; /* threads 0 and 1 share stores[0] */
    w->start = &start;
    w->rng = rng_for(a->seed, (uint64_t)p + 1, (uint64_t)t + 1);
    w->res = &results[t];
    memset(w->res, 0, sizeof *w->res);
    memset(w->res->last_step, 0xff, sizeof w->res->last_step);
    memset(w->res->last_label, 0xff, sizeof w->res->last_label);
    snprintf(w->who, sizeof w->who, "p%dt%d", p, t);
    CHECK(pthread_create(&threads[t], NULL, work, w) == 0);
  }
  write_all(ready_fd, &byte, 1);
  close(ready_fd);
  CHECK(read_full(start_fd, &byte, 1) == 0); /* the parent closes it to start everyone */
  pthread_barrier_wait(&start);
  for (t = 0; t < THREADS; t++) CHECK(pthread_join(threads[t], NULL) == 0);
  pthread_barrier_destroy(&start);
  for (t = 0; t < THREADS - 1; t++) ws_store_close(stores[t]);
  write_all(result_fd, results, sizeof results);
  close(result_fd);
}

/* ------------------------------------------------------------------------------------ */
/* The checks, in the parent, once every process is done. */

static struct thread_result results[PROCESSES][THREADS];

#define FOR_EACH_THREAD(p, t) \
  for (p = 0; p < PROCESSES; p++) \
    for (t = 0; t < THREADS; t++)

static long parse_long(const char **at) {
  char *end = NULL;
  long value = strtol(*at, &end, 10);
  CHECK(end != *at);
  *at = end;
  return value;
}

static void expect_char(const char **at, char c, const char *json) {
  if (**at != c) {
    fprintf(stderr, "expected '%c' at \"%.40s\" in %s\n", c, *at, json);
    exit(1);
  }
  (*at)++;
}

/* Reads "key": and advances past it. */
static void parse_key(const char **at, char *key, size_t size, const char *json) {
  size_t len;
  expect_char(at, '"', json);
  len = strcspn(*at, "\"");
  CHECK(len < size && (*at)[len] == '"');
  memcpy(key, *at, len);
  key[len] = '\0';
  *at += len + 1;
  expect_char(at, ':', json);
}

static void bad_key(int k, const char *key, const char *json) {
  fprintf(stderr, "%s has a key no thread writes, or has it twice: \"%s\" in %.500s\n", shared_id(k), key,
          json);
  exit(1);
}

/* The step "<who>" of a shared session: {"n":count,"w1":1,...,"w<count>":count} in the
 * order written, for a thread that acked `count` step merges into it. */
static void check_step_object(int k, int p, int t, const char **at, const char *json, int count) {
  static unsigned char seen[MAX_OPS + 1];
  char key[32];
  int n_seen = 0, i, end = 0;
  memset(seen, 0, sizeof seen);
  expect_char(at, '{', json);
  while (**at == '"') {
    parse_key(at, key, sizeof key, json);
    if (strcmp(key, "n") == 0) {
      if (n_seen++ || parse_long(at) != count) bad_key(k, "n", json);
    } else if (sscanf(key, "w%d%n", &i, &end) == 1 && key[end] == '\0' && i >= 1 && i <= count &&
               !seen[i]) {
      seen[i] = 1;
      if (parse_long(at) != i) bad_key(k, key, json);
    } else {
      bad_key(k, key, json);
    }
    if (**at == ',') (*at)++;
  }
  expect_char(at, '}', json);
  for (i = 1; i <= count; i++) {
    if (!seen[i]) {
      fprintf(stderr, "%s: step merge %d of p%dt%d is lost: %.500s\n", shared_id(k), i, p, t, json);
      exit(1);
    }
  }
  CHECK(n_seen == 1);
}

/* A shared session's state: {"shared":k} plus, in any order, for each thread that acked
 * any: "<who>":count, "<who>.1":1 ... "<who>.<count>":count and the step "_step_<who>". */
static void check_shared_state(int k, const char *json) {
  static unsigned char seen_merge[PROCESSES][THREADS][MAX_OPS + 1];
  static unsigned char seen_counter[PROCESSES][THREADS], seen_step[PROCESSES][THREADS];
  const char *at = json;
  int p, t, i, shared_seen = 0;
  memset(seen_merge, 0, sizeof seen_merge);
  memset(seen_counter, 0, sizeof seen_counter);
  memset(seen_step, 0, sizeof seen_step);
  expect_char(&at, '{', json);
  while (*at == '"') {
    char key[32];
    int end = 0, step;
    parse_key(&at, key, sizeof key, json);
    step = strncmp(key, "_step_", 6) == 0;
    if (strcmp(key, "shared") == 0) {
      if (shared_seen++ || parse_long(&at) != k) bad_key(k, key, json);
    } else if (sscanf(key + (step ? 6 : 0), "p%dt%d%n", &p, &t, &end) != 2 || p < 0 ||
               p >= PROCESSES || t < 0 || t >= THREADS) {
      bad_key(k, key, json);
    } else if (step) {
      if (key[6 + end] != '\0' || seen_step[p][t]++ || results[p][t].step_count[k] == 0) bad_key(k, key, json);
      check_step_object(k, p, t, &at, json, results[p][t].step_count[k]);
    } else if (key[end] == '\0') {
      long value = parse_long(&at);
      if (seen_counter[p][t]++) bad_key(k, key, json);
      if (value != results[p][t].count[k]) {
        fprintf(stderr, "%s: the counter of p%dt%d is %ld, not its %d acked merges (a stale "
                        "overwrite): %.500s\n", shared_id(k), p, t, value, results[p][t].count[k], json);
        exit(1);
      }
    } else {
      int n = 0, end2 = 0;
      if (sscanf(key + end, ".%d%n", &n, &end2) != 1 || key[end + end2] != '\0' || n < 1 ||
          n > results[p][t].count[k] || seen_merge[p][t][n]++ || parse_long(&at) != n)
        bad_key(k, key, json);
    }
    if (*at == ',') at++;
  }
  expect_char(&at, '}', json);
  CHECK(*at == '\0');
  CHECK(shared_seen == 1);
  FOR_EACH_THREAD(p, t) {
    if ((results[p][t].count[k] > 0) != seen_counter[p][t] ||
        (results[p][t].step_count[k] > 0) != seen_step[p][t]) {
      fprintf(stderr, "%s: the counter or step of p%dt%d is missing: %.500s\n", shared_id(k), p, t, json);
      exit(1);
    }
    for (i = 1; i <= results[p][t].count[k]; i++) {
      if (!seen_merge[p][t][i]) {
        fprintf(stderr, "%s: merge %d of p%dt%d is lost: %.500s\n", shared_id(k), i, p, t, json);
        exit(1);
      }
    }
  }
}

/* A step or label must be the last one that some thread set, or "start". */
static void check_last_value(const char *what, int k, const char *value, int which) {
  int p, t, found = 0, anyone = 0;
  char candidate[64];
  FOR_EACH_THREAD(p, t) {
    int n = which ? results[p][t].last_label[k] : results[p][t].last_step[k];
    if (n < 0) continue;
    anyone = 1;
    snprintf(candidate, sizeof candidate, "p%dt%d-%d", p, t, n);
    if (value != NULL && strcmp(value, candidate) == 0) found = 1;
  }
  if (!anyone && value != NULL && strcmp(value, "start") == 0) found = 1;
  if (!found) {
    fprintf(stderr, "%s: the %s \"%s\" is not the last one any thread set\n", shared_id(k), what,
            value ? value : "(NULL)");
    exit(1);
  }
}

static void check_shared_sessions(ws_store *store) {
  int k;
  for (k = 0; k < SHARED; k++) {
    char *state = NULL, *step = NULL, *summary = NULL, label[64];
    const char *at;
    size_t len;
    CHECK_OK(ws_get_state(store, FLOW, shared_id(k), &state));
    check_shared_state(k, state);
    CHECK_OK(ws_get_current_step(store, FLOW, shared_id(k), &step));
    check_last_value("current step", k, step, 0);
    CHECK_OK(ws_get_session_summary(store, FLOW, shared_id(k), &summary));
    CHECK(summary != NULL);
    at = strstr(summary, "\"label\":\"");
    CHECK(at != NULL);
    at += strlen("\"label\":\"");
    len = strcspn(at, "\"");
    CHECK(len < sizeof label);
    memcpy(label, at, len);
    label[len] = '\0';
    check_last_value("label", k, label, 1);
    ws_string_free(state);
    ws_string_free(step);
    ws_string_free(summary);
  }
}

static void check_undo_sessions(ws_store *store) {
  int k, p, t;
  for (k = 0; k < UNDO_SESSIONS; k++) {
    long checkpoints = 0, undos = 0, redos = 0, undo_depth, redo_depth, walked = 0;
    char *status = NULL, *step = NULL, expected[32];
    const char *at;
    bool done = true;
    FOR_EACH_THREAD(p, t) {
      checkpoints += results[p][t].checkpoints[k];
      undos += results[p][t].undos[k];
      redos += results[p][t].redos[k];
    }
    CHECK_OK(ws_undo_status(store, FLOW, undo_id(k), &status));
    at = status;
    CHECK(strncmp(at, "{\"undo_depth\":", 14) == 0);
    at += 14;
    undo_depth = parse_long(&at);
    CHECK(strncmp(at, ",\"redo_depth\":", 14) == 0);
    at += 14;
    redo_depth = parse_long(&at);
    if (undo_depth != checkpoints - undos + redos || undo_depth + redo_depth > checkpoints) {
      fprintf(stderr, "%s: %s after %ld checkpoints, %ld undos and %ld redos acked\n", undo_id(k),
              status, checkpoints, undos, redos);
      exit(1);
    }
    printf("  %s: %ld checkpoints - %ld undos + %ld redos = undo depth %ld (redo depth %ld)\n",
           undo_id(k), checkpoints, undos, redos, undo_depth, redo_depth);
    snprintf(expected, sizeof expected, "{\"undo\":%d}", k);
    for (;;) {
      CHECK_STATE(store, FLOW, undo_id(k), expected);
      CHECK_OK(ws_get_current_step(store, FLOW, undo_id(k), &step));
      CHECK(step == NULL);
      CHECK_OK(ws_undo(store, FLOW, undo_id(k), &done));
      if (!done) break;
      walked++;
    }
    CHECK(walked == undo_depth);
    ws_string_free(status);
  }
}

static void check_history_sessions(ws_store *store) {
  /* For each thread's push n: how often it was seen (popped or left). */
  static unsigned char seen[PROCESSES][THREADS][MAX_OPS];
  long pushed = 0, popped = 0, left = 0;
  int p, t, i, k;
  memset(seen, 0, sizeof seen);
  FOR_EACH_THREAD(p, t) {
    for (i = 0; i < results[p][t].pushes; i++) pushed += results[p][t].push_session[i] != 0;
    for (i = 0; i < results[p][t].pops; i++) {
      const struct popped_item *item = &results[p][t].popped[i];
      CHECK(item->p >= 0 && item->p < PROCESSES && item->t >= 0 && item->t < THREADS && item->n >= 0 &&
            item->n < results[item->p][item->t].pushes);
      if (results[item->p][item->t].push_session[item->n] != item->session + 1) {
        fprintf(stderr, "p%dt%d popped push %d of p%dt%d from %s, where it was not acked\n", p, t,
                item->n, item->p, item->t, hist_id(item->session));
        exit(1);
      }
      CHECK(seen[item->p][item->t][item->n]++ == 0);
      popped++;
    }
  }
  for (k = 0; k < HIST_SESSIONS; k++) {
    /* Popped from the top down, so each thread's items come in decreasing n. */
    int last[PROCESSES][THREADS];
    char *out = NULL;
    for (p = 0; p < PROCESSES; p++)
      for (t = 0; t < THREADS; t++) last[p][t] = MAX_OPS;
    for (;;) {
      int n = 0, end = 0;
      CHECK_OK(ws_history_pop(store, FLOW, hist_id(k), &out));
      if (out == NULL) break;
      if (sscanf(out, "{\"p\":%d,\"t\":%d,\"n\":%d}%n", &p, &t, &n, &end) != 3 || out[end] != '\0' ||
          p < 0 || p >= PROCESSES || t < 0 || t >= THREADS || n < 0 || n >= results[p][t].pushes ||
          results[p][t].push_session[n] != k + 1) {
        fprintf(stderr, "%s holds a snapshot that was not pushed there with an ack: %s\n", hist_id(k), out);
        exit(1);
      }
      if (seen[p][t][n]++ != 0) {
        fprintf(stderr, "%s: %s was popped and is still there\n", hist_id(k), out);
        exit(1);
      }
      if (n >= last[p][t]) {
        fprintf(stderr, "%s: push %d of p%dt%d lies above its push %d\n", hist_id(k), last[p][t], p, t, n);
        exit(1);
      }
      last[p][t] = n;
      left++;
      ws_string_free(out);
    }
  }
  FOR_EACH_THREAD(p, t) {
    for (i = 0; i < results[p][t].pushes; i++) {
      if (results[p][t].push_session[i] != 0 && seen[p][t][i] != 1) {
        fprintf(stderr, "push %d of p%dt%d onto %s is lost: neither popped nor left\n", i, p, t,
                hist_id(results[p][t].push_session[i] - 1));
        exit(1);
      }
    }
  }
  CHECK(pushed == popped + left);
  printf("  history: %ld acked pushes = %ld popped + %ld left, each exactly once\n", pushed, popped, left);
}

static long count_listed(ws_store *store, const char *flow) {
  char *list = NULL;
  const char *at;
  long n = 0;
  CHECK_OK(ws_list_sessions(store, flow, WS_ORDER_CREATED_AT, false, &list));
  for (at = list; (at = strstr(at, "\"session_id\":")) != NULL; at++) n++;
  ws_string_free(list);
  return n;
}

static void check_life_and_races(ws_store *store) {
  long alive = 0, created = 0, listed, ids = 0;
  int p, t, i;
  char id[64];
  bool exists = false;
  FOR_EACH_THREAD(p, t) {
    for (i = 0; i < results[p][t].created; i++) {
      snprintf(id, sizeof id, "p%dt%d-%d", p, t, i);
      CHECK_OK(ws_session_exists(store, FLOW_LIFE, id, &exists));
      if (exists != (results[p][t].alive[i] != 0)) {
        fprintf(stderr, "%s/%s %s\n", FLOW_LIFE, id,
                exists ? "exists, but its thread deleted it or never had it acked" : "is gone, but its thread did not delete it");
        exit(1);
      }
      alive += exists;
    }
    created += results[p][t].ok[OP_CREATE];
    if (results[p][t].races > ids) ids = results[p][t].races;
  }
  listed = count_listed(store, FLOW_LIFE);
  CHECK(listed == alive);
  printf("  sessions: %ld created, %ld left, exactly those listed\n", created, alive);
  for (i = 0; i < ids; i++) {
    int winners = 0;
    FOR_EACH_THREAD(p, t) winners += i < results[p][t].races && results[p][t].race_won[i];
    if (winners != 1) {
      fprintf(stderr, "%s/race-%d was created by %d threads\n", FLOW_RACE, i, winners);
      exit(1);
    }
  }
  CHECK(count_listed(store, FLOW_RACE) == ids);
  printf("  contested ids: %ld, each created by exactly one thread\n", ids);
}

/* ------------------------------------------------------------------------------------ */

static void prepare(const char *path) {
  ws_store *store = NULL;
  char state[32];
  int k;
  CHECK_OK(ws_store_open_with(path, OPTIONS, &store));
  for (k = 0; k < SHARED; k++) {
    snprintf(state, sizeof state, "{\"shared\":%d}", k);
    CHECK_OK(ws_update_state(store, FLOW, shared_id(k), state));
    CHECK_OK(ws_set_current_step(store, FLOW, shared_id(k), "start"));
    CHECK_OK(ws_set_session_label(store, FLOW, shared_id(k), "start"));
  }
  for (k = 0; k < UNDO_SESSIONS; k++) {
    snprintf(state, sizeof state, "{\"undo\":%d}", k);
    CHECK_OK(ws_update_state(store, FLOW, undo_id(k), state));
  }
  ws_store_close(store);
}

int main(void) {
  uint64_t seed = seed_from_env("WS_STRESS_SEED");
  long ops = count_from_env("WS_STRESS_OPS", DEFAULT_OPS, MAX_OPS);
  const char *dir = fresh_dir("stress");
  char path[512];
  struct process_args args;
  int p, t, op;
  long total = 0, ok[OP_KINDS], busy[OP_KINDS], busy_total = 0;
  double elapsed, slowest[OP_KINDS], cpu;
  struct rusage usage;
  ws_store *store = NULL;

  path_in(path, sizeof path, dir, "stress.db");
  prepare(path);
  args.path = path;
  args.seed = seed;
  args.ops = ops;
  elapsed = run_processes(PROCESSES, run_process, &args, results, sizeof results[0]);

  memset(ok, 0, sizeof ok);
  memset(busy, 0, sizeof busy);
  memset(slowest, 0, sizeof slowest);
  FOR_EACH_THREAD(p, t) {
    CHECK(results[p][t].ops == ops);
    total += results[p][t].ops;
    for (op = 0; op < OP_KINDS; op++) {
      ok[op] += results[p][t].ok[op];
      busy[op] += results[p][t].busy[op];
      if (results[p][t].slowest[op] > slowest[op]) slowest[op] = results[p][t].slowest[op];
    }
  }
  printf("%d processes x %d threads (2 threads share a store in each process), %ld operations in "
         "%.2f s: %.0f operations/s\n",
         PROCESSES, THREADS, total, elapsed, (double)total / elapsed);
  /* CPU time well below wall time x cores means writers spent it waiting for the lock. */
  CHECK(getrusage(RUSAGE_CHILDREN, &usage) == 0);
  cpu = (double)usage.ru_utime.tv_sec + (double)usage.ru_utime.tv_usec / 1e6 +
        (double)usage.ru_stime.tv_sec + (double)usage.ru_stime.tv_usec / 1e6;
  printf("  the writer processes used %.2f s of CPU in those %.2f s\n", cpu, elapsed);
  for (op = 0; op < OP_KINDS; op++) {
    printf("  %-34s %6ld acked, %ld WS_BUSY, slowest call %.0f ms\n", op_names[op], ok[op],
           busy[op], slowest[op] * 1e3);
    busy_total += busy[op];
  }
  printf("  WS_BUSY in all: %ld\n", busy_total);

  CHECK_OK(ws_store_open_with(path, OPTIONS, &store));
  check_shared_sessions(store);
  printf("  shared sessions: every acked merge and step merge there, every counter exact, each "
         "step and label the last one some thread set\n");
  check_undo_sessions(store);
  check_history_sessions(store);
  check_life_and_races(store);
  ws_store_close(store);
  printf("ok stress: %ld operations, nothing lost, %ld WS_BUSY\n", total, busy_total);
  return 0;
}
