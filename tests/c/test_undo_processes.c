/* Undo / redo from several processes on the SAME session at once (API.md "Undo / redo of a
 * whole session": "each call is one transaction"; "Conventions": several processes may open
 * the same file, every read-modify-write is one BEGIN IMMEDIATE transaction).
 *
 * Each test forks WRITERS worker processes and one reader process, each with its own
 * ws_store on one file (max_history_depth 1000, so nothing is trimmed). They start together
 * at a pipe barrier (they block in read() until the parent closes the write end); nothing
 * sleeps. The reader calls ws_undo_status in a loop until the parent tells it (by closing
 * another pipe) that the workers are done. Every call must return WS_OK.
 *
 * THE MODEL. With every call atomic, the session is (S, U, R): the state, the undo stack
 * and the redo stack, whose entries are (label, state):
 *   checkpoint(L): U.push((L, S)); R = []
 *   undo:          if U empty: done=false; else (L, T) = U.pop(); R.push((L, S)); S = T
 *   redo:          if R empty: done=false; else (L, T) = R.pop(); U.push((L, S)); S = T
 * Define SEQ = the labels of U from bottom to top, followed by those of R from top to bottom.
 * Undo and redo move one entry across the U/R boundary, so they leave SEQ unchanged; a
 * checkpoint drops the R part and appends its own label. Everything below follows.
 *
 * test_mixed: each worker loops WRITER_ROUNDS times: ws_checkpoint (label "p<i>-<n>"),
 * ws_update_state {"p<i>":n,"p<i>sq":n*n}, ws_undo_status, and (except in its last round)
 * 0-2 ws_undo then 0-2 ws_redo, pseudo-randomly. Invariants, under ANY interleaving:
 *  (I1) final |U| == checkpoints - undos_done + redos_done, summed over the workers (only
 *       these calls change |U|, each by exactly one; clearing R never touches U).
 *  (I2) SEQ is a subsequence of the order in which the checkpoints were made. So no label
 *       appears twice; each worker's labels appear in increasing n; and across workers,
 *       if checkpoint X returned before checkpoint Y was called (CLOCK_MONOTONIC, shared
 *       by all processes), then X lies below Y.
 *  (I3) Nothing enters R except by an undo: |U| + |R| <= checkpoints.
 *  (I4) No worker undoes or redoes after its last checkpoint, so after the globally last
 *       checkpoint there was no undo or redo: at the end R is empty and the top of U is
 *       some worker's label "p<i>-<N-1>".
 *  (I5) Every ws_undo_status (one call, one consistent view) has undo_label null exactly
 *       when undo_depth is 0, the same for redo (every label here is non-null), and its
 *       undo and redo labels are adjacent in SEQ: older, then newer.
 *  (I6) Every state is one the writes can produce: {"init":true} then at most one
 *       "p<i>":n,"p<i>sq":n*n pair per worker (one merge writes both).
 *  (I7) Afterwards the stacks are well formed: undoing until done=false takes exactly |U|
 *       undos, redoing until done=false then exactly |U|+|R| redos, and undoing |R| times
 *       returns to the start; at each depth j the status shows SEQ[j-1] and SEQ[j] as the
 *       undo and redo labels and the state (valid by I6) is the same on every visit.
 *
 * test_checkpoints_against_undo: worker p0 only checkpoints CHECKPOINTER_ROUNDS times
 * ("p0-<n>", then ws_undo_status at once, then it writes {"p0":n,"p0sq":n*n}); the other
 * workers only undo (two times in three) and redo, with ws_undo_status after each call,
 * until p0 is done. All labels come from one process, so I1, I2 (SEQ strictly increasing
 * in n, and by real time), I3, I5 and I6 apply to every label, and I7 to the whole of
 * SEQ, which the final walk reads in full (R need not be empty here).
 *
 * test_undo_redo_only: the parent first makes BASE_DEPTH checkpoints "b-<k>", the state at
 * b-<k> being {"k":k}, then sets {"k":BASE_DEPTH}. The workers then only undo and redo
 * (WALK_STEPS each, pseudo-randomly), checking ws_undo_status after each call. With no
 * checkpoint SEQ is fixed (b-0 ... b-<BASE_DEPTH-1>) and no state is ever edited, so:
 *  (J1) every ws_undo_status, by anyone at any time, is exactly
 *       {"undo_depth":u,"redo_depth":BASE_DEPTH-u,"undo_label":"b-<u-1>"|null,
 *        "redo_label":"b-<u>"|null,"undo_meta":null,"redo_meta":null,"clean":false};
 *  (J2) every state read is {"k":x} for some x;
 *  (J3) at the end u == its start - undos_done + redos_done, the state is {"k":u}, and the
 *       walk of I7 finds SEQ == b-0 ... b-<BASE_DEPTH-1> with the state {"k":j} at depth j.
 *
 * Why a non-atomic implementation fails these (each a plausible bug):
 *  - undo/redo as "pop" and "push + restore" in two transactions: another worker's undo in
 *    between leaves the labels out of order and a state restored at the wrong depth (J1,
 *    J3, almost at once); a checkpoint in between puts an older label after a newer one
 *    (I2, I5).
 *  - reading the top entry outside the write transaction: two undos take the same entry:
 *    a duplicate label and a lost one (J1, I2), a wrong state (J3).
 *  - a checkpoint as "clear R" then "push U": an undo in between leaves an older label on R
 *    after the new top of U (I5, I2; test_checkpoints_against_undo maximises the chances)
 *    and R non-empty at the end (I4).
 *  - a new entry's position computed outside the lock: two entries at one position, so a
 *    unique-index error (not WS_OK) or an ambiguous order (I2, J1).
 *  - a stack kept as one blob rewritten without the lock: lost pushes (I1, J3).
 *  - ws_undo_status reading its four values in separate read transactions: a torn view
 *    (I5, J1). */
#include "check.h"

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef WRITERS
#define WRITERS 2
#endif
#define WRITER_ROUNDS 150       /* per worker in test_mixed */
#define CHECKPOINTER_ROUNDS 400 /* in test_checkpoints_against_undo */
#define MAX_ROUNDS CHECKPOINTER_ROUNDS
#define BASE_DEPTH 120
#define WALK_STEPS 200
#define BASE_PROC WRITERS /* the process number of the labels "b-<k>" */
#define FLOW "flow"
#define SESSION "shared"
#define OPTIONS "{\"max_history_depth\":1000,\"busy_timeout_ms\":60000}"

/* What a child reports to the parent through its pipe: its counts and, for a worker that
 * checkpoints, when each ws_checkpoint call was made and when it returned
 * (CLOCK_MONOTONIC, which all processes share). */
struct report {
  int checkpoints;
  int undos_done, undos_none;
  int redos_done, redos_none;
  int status_reads;
  long long called[MAX_ROUNDS], returned[MAX_ROUNDS];
};

/* A parsed label: "p<proc>-<n>", or "b-<n>" (proc BASE_PROC); proc -1 for null. */
struct label {
  int proc, n;
};

struct status {
  long undo_depth, redo_depth;
  struct label undo, redo;
};

/* What the children do. */
enum mode { MIXED, ONE_CHECKPOINTER, UNDO_REDO_ONLY };

/* Which process is checking, for messages. */
static const char *g_who = "parent";

static long long now_ns(void) {
  struct timespec t;
  CHECK(clock_gettime(CLOCK_MONOTONIC, &t) == 0);
  return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

static unsigned next_random(unsigned *seed) {
  *seed = *seed * 1103515245u + 12345u;
  return (*seed >> 16) & 0x7fff;
}

/* ------------------------------------------------------------------------------------ */
/* Parsing and checking what the API returns. */

/* An unsigned decimal; advances *p. */
static long parse_number(const char **p) {
  long value = 0;
  CHECK(**p >= '0' && **p <= '9');
  while (**p >= '0' && **p <= '9') value = value * 10 + (*(*p)++ - '0');
  return value;
}

static void expect_text(const char **p, const char *text, const char *json) {
  size_t n = strlen(text);
  if (strncmp(*p, text, n) != 0) {
    fprintf(stderr, "%s: unexpected JSON at \"%s\" in %s (expected \"%s\")\n", g_who, *p, json, text);
    exit(1);
  }
  *p += n;
}

/* null, "p<proc>-<n>" or "b-<n>", with numbers that some process uses. */
static struct label parse_label(const char **p, const char *json) {
  struct label label;
  if (strncmp(*p, "null", 4) == 0) {
    *p += 4;
    label.proc = -1;
    label.n = -1;
    return label;
  }
  if (strncmp(*p, "\"b-", 3) == 0) {
    *p += 3;
    label.proc = BASE_PROC;
    label.n = (int)parse_number(p);
    expect_text(p, "\"", json);
    if (label.n < BASE_DEPTH) return label;
  } else {
    expect_text(p, "\"p", json);
    label.proc = (int)parse_number(p);
    expect_text(p, "-", json);
    label.n = (int)parse_number(p);
    expect_text(p, "\"", json);
    if (label.proc < WRITERS && label.n < MAX_ROUNDS) return label;
  }
  fprintf(stderr, "%s: a label no process made: %s\n", g_who, json);
  exit(1);
}

/* Parses the exact format of ws_undo_status and checks I5 on it. */
static struct status parse_status(const char *json) {
  struct status s;
  const char *p = json;
  expect_text(&p, "{\"undo_depth\":", json);
  s.undo_depth = parse_number(&p);
  expect_text(&p, ",\"redo_depth\":", json);
  s.redo_depth = parse_number(&p);
  expect_text(&p, ",\"undo_label\":", json);
  s.undo = parse_label(&p, json);
  expect_text(&p, ",\"redo_label\":", json);
  s.redo = parse_label(&p, json);
  expect_text(&p, NO_META_NOT_CLEAN, json);
  CHECK(*p == '\0');
  if ((s.undo_depth == 0) != (s.undo.proc < 0) || (s.redo_depth == 0) != (s.redo.proc < 0)) {
    fprintf(stderr, "I5 (%s): a depth and its label disagree, a torn read: %s\n", g_who, json);
    exit(1);
  }
  if (s.undo.proc >= 0 && s.undo.proc == s.redo.proc && s.undo.n >= s.redo.n) {
    fprintf(stderr, "I5 (%s): the undo label is not older than the redo label: %s\n", g_who, json);
    exit(1);
  }
  return s;
}

static struct status read_status(ws_store *store) {
  char *json = NULL;
  struct status s;
  CHECK_OK(ws_undo_status(store, FLOW, SESSION, &json));
  CHECK(json != NULL);
  s = parse_status(json);
  ws_string_free(json);
  return s;
}

/* J1: the exact status of the fixed sequence b-0 ... b-<BASE_DEPTH-1>. */
static struct status read_base_status(ws_store *store) {
  char *json = NULL, expected[256], undo_label[32], redo_label[32];
  struct status s;
  CHECK_OK(ws_undo_status(store, FLOW, SESSION, &json));
  CHECK(json != NULL);
  s = parse_status(json);
  if (s.undo_depth == 0) snprintf(undo_label, sizeof undo_label, "null");
  else snprintf(undo_label, sizeof undo_label, "\"b-%ld\"", s.undo_depth - 1);
  if (s.undo_depth == BASE_DEPTH) snprintf(redo_label, sizeof redo_label, "null");
  else snprintf(redo_label, sizeof redo_label, "\"b-%ld\"", s.undo_depth);
  snprintf(expected, sizeof expected,
           "{\"undo_depth\":%ld,\"redo_depth\":%ld,\"undo_label\":%s,\"redo_label\":%s" NO_META_NOT_CLEAN,
           s.undo_depth, (long)BASE_DEPTH - s.undo_depth, undo_label, redo_label);
  if (strcmp(json, expected) != 0) {
    fprintf(stderr, "J1 (%s): the undo status is\n  %s\nbut with the sequence fixed it must be\n  %s\n",
            g_who, json, expected);
    exit(1);
  }
  ws_string_free(json);
  return s;
}

/* I6: {"init":true} then at most one "p<w>":n,"p<w>sq":n*n pair per worker w. */
static void check_mixed_state(const char *state) {
  int seen[WRITERS] = {0};
  const char *init = "{\"init\":true";
  const char *p = state;
  if (strncmp(p, init, strlen(init)) != 0) goto bad;
  p += strlen(init);
  while (*p == ',') {
    long w, n, square;
    char key[32];
    p++;
    if (strncmp(p, "\"p", 2) != 0) goto bad;
    p += 2;
    if (*p < '0' || *p > '9') goto bad;
    w = parse_number(&p);
    if (w >= WRITERS || seen[w]) goto bad;
    seen[w] = 1;
    if (strncmp(p, "\":", 2) != 0) goto bad;
    p += 2;
    if (*p < '0' || *p > '9') goto bad;
    n = parse_number(&p);
    snprintf(key, sizeof key, ",\"p%ldsq\":", w);
    if (n >= MAX_ROUNDS || strncmp(p, key, strlen(key)) != 0) goto bad;
    p += strlen(key);
    if (*p < '0' || *p > '9') goto bad;
    square = parse_number(&p);
    if (square != n * n) goto bad;
  }
  if (strcmp(p, "}") == 0) return;
bad:
  fprintf(stderr, "I6 (%s): a state that no sequence of writes produces: %s\n", g_who, state);
  exit(1);
}

/* J2: {"k":x}; returns x. */
static long check_base_state(const char *state) {
  const char *p = state;
  long k = -1;
  if (strncmp(p, "{\"k\":", 5) == 0 && p[5] >= '0' && p[5] <= '9') {
    p += 5;
    k = parse_number(&p);
    if (strcmp(p, "}") == 0 && k <= BASE_DEPTH) return k;
  }
  fprintf(stderr, "J2 (%s): a state that was never checkpointed: %s\n", g_who, state);
  exit(1);
}

/* The session state as a malloc'd copy, checked with `check`. */
static char *state_of(ws_store *store, int base) {
  char *json = NULL, *copy;
  CHECK_OK(ws_get_state(store, FLOW, SESSION, &json));
  CHECK(json != NULL);
  if (base) (void)check_base_state(json);
  else check_mixed_state(json);
  copy = (char *)malloc(strlen(json) + 1);
  CHECK(copy != NULL);
  strcpy(copy, json);
  ws_string_free(json);
  return copy;
}

static void undo_once(ws_store *store, struct report *r) {
  bool done = false;
  CHECK_OK(ws_undo(store, FLOW, SESSION, &done));
  if (done) r->undos_done++;
  else r->undos_none++;
}

static void redo_once(ws_store *store, struct report *r) {
  bool done = false;
  CHECK_OK(ws_redo(store, FLOW, SESSION, &done));
  if (done) r->redos_done++;
  else r->redos_none++;
}

/* ------------------------------------------------------------------------------------ */
/* The children. */

/* test_mixed's worker number `who`. */
static void mixed_worker(ws_store *store, int who, struct report *r) {
  unsigned seed = 7u + 1000u * (unsigned)who;
  char label[32], update[96];
  int n, k;
  for (n = 0; n < WRITER_ROUNDS; n++) {
    snprintf(label, sizeof label, "p%d-%d", who, n);
    r->called[n] = now_ns();
    CHECK_OK(ws_checkpoint(store, FLOW, SESSION, label));
    r->returned[n] = now_ns();
    r->checkpoints++;
    snprintf(update, sizeof update, "{\"p%d\":%d,\"p%dsq\":%d}", who, n, who, n * n);
    CHECK_OK(ws_update_state(store, FLOW, SESSION, update));
    (void)read_status(store);
    r->status_reads++;
    if (n == WRITER_ROUNDS - 1) break; /* I4: no undo or redo after the last checkpoint */
    for (k = (int)(next_random(&seed) % 3); k > 0; k--) undo_once(store, r);
    for (k = (int)(next_random(&seed) % 3); k > 0; k--) redo_once(store, r);
  }
}

/* test_checkpoints_against_undo's worker p0: checkpoints only (and its writes). */
static void checkpointing_worker(ws_store *store, struct report *r) {
  char label[32], update[96];
  int n;
  for (n = 0; n < CHECKPOINTER_ROUNDS; n++) {
    snprintf(label, sizeof label, "p0-%d", n);
    r->called[n] = now_ns();
    CHECK_OK(ws_checkpoint(store, FLOW, SESSION, label));
    r->returned[n] = now_ns();
    r->checkpoints++;
    (void)read_status(store); /* I5, at once: an older label after this one is caught */
    r->status_reads++;
    snprintf(update, sizeof update, "{\"p0\":%d,\"p0sq\":%d}", n, n * n);
    CHECK_OK(ws_update_state(store, FLOW, SESSION, update));
  }
}

/* Whether the parent has closed the pipe `stop_fd` (-1: never). */
static int stopped(int stop_fd) {
  struct pollfd stop;
  if (stop_fd < 0) return 0;
  stop.fd = stop_fd;
  stop.events = POLLIN;
  stop.revents = 0;
  CHECK(poll(&stop, 1, 0) >= 0);
  return stop.revents != 0;
}

/* A worker that only undoes and redoes, pseudo-randomly; `base`: in test_undo_redo_only.
 * It takes WALK_STEPS steps, or with a `stop_fd` (-1: none) as many as it can until the
 * parent closes that pipe. */
static void walking_worker(ws_store *store, int who, int base, int stop_fd, struct report *r) {
  unsigned seed = 11u + 1000u * (unsigned)who;
  char *state = NULL;
  int n;
  for (n = 0; stop_fd >= 0 ? !stopped(stop_fd) : n < WALK_STEPS; n++) {
    /* Against a checkpointer, undo twice as often: an undo is what races a checkpoint. */
    if (next_random(&seed) % (base ? 2 : 3) != 1) undo_once(store, r);
    else redo_once(store, r);
    if (base) (void)read_base_status(store); /* J1 */
    else (void)read_status(store);           /* I5 */
    r->status_reads++;
    if (n % 8 == 0) {
      CHECK_OK(ws_get_state(store, FLOW, SESSION, &state));
      if (base) (void)check_base_state(state); /* J2 */
      else check_mixed_state(state);           /* I6 */
      ws_string_free(state);
    }
  }
}

/* The reader: ws_undo_status until the parent closes the pipe `stop_fd`. */
static void reader(ws_store *store, int base, int stop_fd, struct report *r) {
  while (!stopped(stop_fd)) {
    if (base) (void)read_base_status(store);
    else (void)read_status(store);
    r->status_reads++;
  }
}

static void write_all(int fd, const void *data, size_t size) {
  size_t sent = 0;
  ssize_t n;
  while (sent < size && (n = write(fd, (const char *)data + sent, size - sent)) > 0) sent += (size_t)n;
  CHECK(sent == size);
}

/* Forks the workers and the reader on `path`, starts them together, waits for them and
 * collects their reports (reports[WRITERS] is the reader's). The reader (and, against one
 * checkpointer, the walkers) run until the parent closes the pipe `stop`. A failed child
 * fails the test (its message says why); the other children are then stopped. */
static void run_children(const char *path, enum mode mode, struct report reports[WRITERS + 1]) {
  int start[2], stop[2], results[WRITERS + 1][2];
  pid_t pids[WRITERS + 1];
  int i, j, wstatus;

  CHECK(pipe(start) == 0);
  CHECK(pipe(stop) == 0);
  fflush(stdout);
  fflush(stderr);
  for (i = 0; i <= WRITERS; i++) {
    CHECK(pipe(results[i]) == 0);
    pids[i] = fork();
    CHECK(pids[i] >= 0);
    if (pids[i] == 0) {
      static struct report r;
      ws_store *store = NULL;
      char byte;
      static char who[32];
      memset(&r, 0, sizeof r);
      close(start[1]);
      close(stop[1]);
      close(results[i][0]);
      if (i < WRITERS) snprintf(who, sizeof who, "worker p%d", i);
      else snprintf(who, sizeof who, "reader");
      g_who = who;
      CHECK_OK(ws_store_open_with(path, OPTIONS, &store));
      /* The barrier: blocks until the parent closes the write end. */
      CHECK(read(start[0], &byte, 1) == 0);
      if (i == WRITERS) reader(store, mode == UNDO_REDO_ONLY, stop[0], &r);
      else if (mode == MIXED) mixed_worker(store, i, &r);
      else if (mode == ONE_CHECKPOINTER && i == 0) checkpointing_worker(store, &r);
      else walking_worker(store, i, mode == UNDO_REDO_ONLY, mode == ONE_CHECKPOINTER ? stop[0] : -1, &r);
      ws_store_close(store);
      write_all(results[i][1], &r, sizeof r);
      close(results[i][1]);
      exit(0);
    }
    close(results[i][1]);
  }
  close(start[0]);
  close(stop[0]);
  close(start[1]); /* go */

  for (i = 0; i <= WRITERS; i++) {
    size_t got = 0;
    ssize_t n;
    /* Stop the reader when the workers are done; against one checkpointer, stop the
     * walkers too when it is done. */
    if (i == (mode == ONE_CHECKPOINTER ? 1 : WRITERS)) close(stop[1]);
    while (got < sizeof reports[i] &&
           (n = read(results[i][0], (char *)&reports[i] + got, sizeof reports[i] - got)) > 0)
      got += (size_t)n;
    close(results[i][0]);
    CHECK(waitpid(pids[i], &wstatus, 0) == pids[i]);
    if (!WIFEXITED(wstatus) || WEXITSTATUS(wstatus) != 0) {
      fprintf(stderr, "the %s process %d failed (see its message above)\n",
              i < WRITERS ? "worker" : "reader", i);
      for (j = i + 1; j <= WRITERS; j++) { /* stop the other children, then reap them */
        kill(pids[j], SIGKILL);
        waitpid(pids[j], &wstatus, 0);
      }
      exit(1);
    }
    CHECK(got == sizeof reports[i]);
  }
}

/* Sums the workers' reports into `total` and prints them. */
static void add_up(const struct report reports[WRITERS + 1], struct report *total) {
  int i;
  memset(total, 0, sizeof *total);
  for (i = 0; i < WRITERS; i++) {
    total->checkpoints += reports[i].checkpoints;
    total->undos_done += reports[i].undos_done;
    total->undos_none += reports[i].undos_none;
    total->redos_done += reports[i].redos_done;
    total->redos_none += reports[i].redos_none;
    total->status_reads += reports[i].status_reads;
  }
  total->status_reads += reports[WRITERS].status_reads;
  printf("  %d checkpoints, %d undos done (%d with nothing to undo), %d redos done (%d with "
         "nothing to redo), %d status reads (%d by the reader)\n",
         total->checkpoints, total->undos_done, total->undos_none, total->redos_done,
         total->redos_none, total->status_reads, reports[WRITERS].status_reads);
}

/* ------------------------------------------------------------------------------------ */

/* SEQ as found by walking the stacks (I7): labels[0 .. length-1], bottom to top. */
struct seq {
  struct label *labels;
  long length, undo_depth;
};

static int same_label(struct label a, struct label b) {
  return a.proc == b.proc && a.n == b.n;
}

/* Learns SEQ[j] from a status, or checks it against what was learnt before. */
static void learn(struct label *known, long j, struct label seen) {
  CHECK(seen.proc >= 0);
  if (known[j].proc < 0) known[j] = seen;
  else if (!same_label(known[j], seen)) {
    fprintf(stderr, "I7: SEQ[%ld] was p%d-%d and is now p%d-%d\n", j, known[j].proc, known[j].n,
            seen.proc, seen.n);
    exit(1);
  }
}

/* I7: undoes until done=false, redoes until done=false, then undoes back to the start,
 * checking at every depth j the status (SEQ[j-1], SEQ[j]) and the state (the same on every
 * visit; `base`: {"k":j}). Returns SEQ (free labels). */
static struct seq walk_seq(ws_store *store, int base) {
  struct status start = read_status(store), now;
  long total = start.undo_depth + start.redo_depth, j;
  char **states = (char **)calloc((size_t)total + 1, sizeof(char *));
  struct seq seq;
  bool done;
  int pass;

  seq.length = total;
  seq.undo_depth = start.undo_depth;
  seq.labels = (struct label *)malloc(((size_t)total + 1) * sizeof(struct label));
  CHECK(states != NULL && seq.labels != NULL);
  for (j = 0; j <= total; j++) seq.labels[j].proc = -1;

  /* pass 0: down to 0; pass 1: up to total; pass 2: down to the start. */
  j = start.undo_depth;
  for (pass = 0; pass < 3; pass++) {
    long target = pass == 1 ? total : pass == 0 ? 0 : start.undo_depth;
    for (;;) {
      char *state = state_of(store, base);
      now = read_status(store);
      CHECK(now.undo_depth == j && now.redo_depth == total - j);
      if (j > 0) learn(seq.labels, j - 1, now.undo);
      if (j < total) learn(seq.labels, j, now.redo);
      if (base) {
        char expected[32];
        snprintf(expected, sizeof expected, "{\"k\":%ld}", j);
        CHECK_STR(state, expected); /* J3 */
      }
      if (states[j] == NULL) states[j] = state;
      else {
        CHECK_STR(state, states[j]);
        free(state);
      }
      if (j == target) break;
      done = false;
      CHECK_OK(pass == 1 ? ws_redo(store, FLOW, SESSION, &done) : ws_undo(store, FLOW, SESSION, &done));
      CHECK(done);
      j += pass == 1 ? 1 : -1;
    }
    /* At either end there is nothing more to do. */
    if (pass < 2) {
      done = true;
      CHECK_OK(pass == 1 ? ws_redo(store, FLOW, SESSION, &done) : ws_undo(store, FLOW, SESSION, &done));
      CHECK(!done);
    }
  }
  now = read_status(store);
  CHECK(now.undo_depth == start.undo_depth && now.redo_depth == start.redo_depth);
  CHECK(same_label(now.undo, start.undo) && same_label(now.redo, start.redo));
  for (j = 0; j <= total; j++) free(states[j]);
  free(states);
  return seq;
}

/* I2 on SEQ: each worker's labels strictly increase, and a checkpoint that returned before
 * another was called lies before it. */
static void check_seq_order(const struct seq *seq, const struct report reports[WRITERS + 1]) {
  long a, b;
  int i;
  for (i = 0; i < WRITERS; i++) {
    int previous = -1;
    for (a = 0; a < seq->length; a++) {
      if (seq->labels[a].proc != i) continue;
      if (seq->labels[a].n <= previous) {
        fprintf(stderr, "I2: p%d-%d comes after p%d-%d in SEQ (position %ld of %ld, %ld undoable)\n",
                i, seq->labels[a].n, i, previous, a, seq->length, seq->undo_depth);
        exit(1);
      }
      previous = seq->labels[a].n;
    }
  }
  for (a = 0; a < seq->length; a++) {
    for (b = a + 1; b < seq->length; b++) {
      const struct label *before = &seq->labels[a], *after = &seq->labels[b];
      CHECK(before->proc < WRITERS && after->proc < WRITERS);
      if (reports[after->proc].returned[after->n] < reports[before->proc].called[before->n]) {
        fprintf(stderr,
                "I2: p%d-%d comes after p%d-%d in SEQ, but its checkpoint returned %lld us "
                "before that one was called\n",
                after->proc, after->n, before->proc, before->n,
                (reports[before->proc].called[before->n] - reports[after->proc].returned[after->n]) / 1000);
        exit(1);
      }
    }
  }
}

/* Runs the children on a session prepared as {"init":true}; checks I1, I3, I2, I7. */
static struct status run_with_checkpoints(const char *name, enum mode mode) {
  const char *dir = fresh_dir(name);
  char path[512];
  static struct report reports[WRITERS + 1];
  struct report total;
  struct status status;
  struct seq seq;
  ws_store *store = NULL;
  long switches = 0, k;

  path_in(path, sizeof path, dir, "shared.db");
  /* The file and the session exist before the children start. */
  CHECK_OK(ws_store_open_with(path, OPTIONS, &store));
  CHECK_OK(ws_update_state(store, FLOW, SESSION, "{\"init\":true}"));
  ws_store_close(store);

  memset(reports, 0, sizeof reports);
  run_children(path, mode, reports);
  add_up(reports, &total);
  CHECK(total.checkpoints == (mode == MIXED ? WRITERS * WRITER_ROUNDS : CHECKPOINTER_ROUNDS));
  /* Both directions were exercised (against a lone checkpointer, whose every checkpoint
   * empties the redo stack, a redo may never find anything). */
  CHECK(total.undos_done > 0 && (mode != MIXED || total.redos_done > 0));

  CHECK_OK(ws_store_open_with(path, OPTIONS, &store));
  status = read_status(store);
  printf("  final undo_depth %ld, redo_depth %ld\n", status.undo_depth, status.redo_depth);
  CHECK(status.undo_depth == (long)total.checkpoints - total.undos_done + total.redos_done); /* I1 */
  CHECK(status.undo_depth + status.redo_depth <= total.checkpoints);                      /* I3 */

  seq = walk_seq(store, 0); /* I7, I6 */
  check_seq_order(&seq, reports); /* I2 */
  for (k = 1; k < seq.length; k++) switches += seq.labels[k].proc != seq.labels[k - 1].proc;
  printf("  SEQ holds %ld labels and switches worker %ld times\n", seq.length, switches);
  free(seq.labels);
  ws_store_close(store);
  return status;
}

static void test_mixed(void) {
  struct status status = run_with_checkpoints("undo_processes_mixed", MIXED);
  /* I4. */
  CHECK(status.redo_depth == 0);
  CHECK(status.undo.proc < WRITERS && status.undo.n == WRITER_ROUNDS - 1);
}

static void test_checkpoints_against_undo(void) {
  (void)run_with_checkpoints("undo_processes_checkpoints", ONE_CHECKPOINTER);
}

static void test_undo_redo_only(void) {
  const char *dir = fresh_dir("undo_processes_only");
  char path[512], update[32], label[32], *state;
  static struct report reports[WRITERS + 1];
  struct report total;
  struct status status;
  struct seq seq;
  ws_store *store = NULL;
  long k, u;
  bool done;

  path_in(path, sizeof path, dir, "shared.db");
  CHECK_OK(ws_store_open_with(path, OPTIONS, &store));
  for (k = 0; k < BASE_DEPTH; k++) {
    snprintf(update, sizeof update, "{\"k\":%ld}", k);
    snprintf(label, sizeof label, "b-%ld", k);
    CHECK_OK(ws_update_state(store, FLOW, SESSION, update));
    CHECK_OK(ws_checkpoint(store, FLOW, SESSION, label));
  }
  snprintf(update, sizeof update, "{\"k\":%d}", BASE_DEPTH);
  CHECK_OK(ws_update_state(store, FLOW, SESSION, update));
  /* Start in the middle, so that both directions have room. */
  for (k = 0; k < BASE_DEPTH / 2; k++) {
    done = false;
    CHECK_OK(ws_undo(store, FLOW, SESSION, &done));
    CHECK(done);
  }
  CHECK(read_base_status(store).undo_depth == BASE_DEPTH - BASE_DEPTH / 2);
  ws_store_close(store);

  memset(reports, 0, sizeof reports);
  run_children(path, UNDO_REDO_ONLY, reports);
  add_up(reports, &total);
  CHECK(total.undos_done > 0 && total.redos_done > 0);

  CHECK_OK(ws_store_open_with(path, OPTIONS, &store));
  status = read_base_status(store); /* J1 */
  u = status.undo_depth;
  printf("  final undo_depth %ld, redo_depth %ld\n", u, status.redo_depth);
  CHECK(u == BASE_DEPTH - BASE_DEPTH / 2 - total.undos_done + total.redos_done); /* J3 */
  state = state_of(store, 1);
  CHECK(check_base_state(state) == u);
  free(state);

  seq = walk_seq(store, 1); /* J3: {"k":j} at every depth j */
  CHECK(seq.length == BASE_DEPTH);
  for (k = 0; k < BASE_DEPTH; k++) CHECK(seq.labels[k].proc == BASE_PROC && seq.labels[k].n == k);
  free(seq.labels);
  ws_store_close(store);
}

int main(void) {
  test_mixed();
  printf("ok test_mixed\n");
  test_checkpoints_against_undo();
  printf("ok test_checkpoints_against_undo\n");
  test_undo_redo_only();
  printf("ok test_undo_redo_only\n");
  return 0;
}
