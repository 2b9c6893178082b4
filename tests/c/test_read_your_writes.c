/* Threads of one store that write and read at once (the read connections of
 * "read_connections", src/pool.rs): every read returns the state of a write that had
 * begun, never one older than the last write that had returned before the read began,
 * and never a torn one, in WAL and in rollback-journal mode.
 *
 * Two writer threads each write their own session K times, {"n":k,"pad":"..."} with a
 * pad whose length changes with k (so states span one page or several). Before each
 * call a writer publishes k as started, after it returns as done. Reader threads read
 * both sessions in a loop until the writers are done: a read that began after done = d
 * and ended before started = s may return only n in [d, s], and exactly the text that
 * write wrote. */
#include "check.h"

#include <pthread.h>

#define WRITERS 2
#define READERS 3
#define WRITES 300
#define PAD_MAX 3000
/* A reader stops after this many reads even while writes go on: valgrind runs one thread
 * at a time and may keep giving the turn to readers, so a writer could wait forever. */
#define MAX_READS 3000

struct shared {
  ws_store *store;
  pthread_mutex_t lock;
  long started[WRITERS], done[WRITERS];
  long writers_left;
  long reads, fresher; /* reads, and those that saw a write still in progress */
};

static const char *const sessions[WRITERS] = {"w0", "w1"};

static long get(struct shared *s, long *field) {
  long value;
  CHECK(pthread_mutex_lock(&s->lock) == 0);
  value = *field;
  CHECK(pthread_mutex_unlock(&s->lock) == 0);
  return value;
}

static void set(struct shared *s, long *field, long value) {
  CHECK(pthread_mutex_lock(&s->lock) == 0);
  *field = value;
  CHECK(pthread_mutex_unlock(&s->lock) == 0);
}

/* The state write k of a writer stores (`out` holds PAD_MAX + 64 bytes). */
static void state_of(long k, char *out) {
  int pad = (int)((k * 977) % PAD_MAX), n = sprintf(out, "{\"n\":%ld,\"pad\":\"", k);
  memset(out + n, 'a' + (int)(k % 26), (size_t)pad);
  strcpy(out + n + pad, "\"}");
}

static void *writer(void *arg) {
  struct shared *s = (struct shared *)arg;
  static int next_id = 0;
  char *state = malloc(PAD_MAX + 64);
  int id;
  long k;
  CHECK(state != NULL);
  CHECK(pthread_mutex_lock(&s->lock) == 0);
  id = next_id++ % WRITERS;
  CHECK(pthread_mutex_unlock(&s->lock) == 0);
  for (k = 1; k <= WRITES; k++) {
    state_of(k, state);
    set(s, &s->started[id], k);
    CHECK_OK(ws_update_state(s->store, "f", sessions[id], state));
    set(s, &s->done[id], k);
  }
  free(state);
  CHECK(pthread_mutex_lock(&s->lock) == 0);
  s->writers_left--;
  CHECK(pthread_mutex_unlock(&s->lock) == 0);
  return NULL;
}

static void *reader(void *arg) {
  struct shared *s = (struct shared *)arg;
  char *expected = malloc(PAD_MAX + 64);
  long reads = 0, fresher = 0;
  CHECK(expected != NULL);
  while ((get(s, &s->writers_left) > 0 && reads < MAX_READS) || reads < 10) {
    int w = (int)(reads % WRITERS);
    long done = get(s, &s->done[w]), started, n = -1;
    char *text = NULL;
    CHECK_OK(ws_get_state(s->store, "f", sessions[w], &text));
    started = get(s, &s->started[w]);
    CHECK(sscanf(text, "{\"n\":%ld", &n) == 1);
    if (n < done || n > started) {
      fprintf(stderr, "session %s: read n=%ld after write %ld had returned, with write %ld begun\n",
              sessions[w], n, done, started);
      exit(1);
    }
    state_of(n, expected);
    CHECK_STR(text, expected); /* whole: never torn */
    fresher += n > done;
    ws_string_free(text);
    reads++;
  }
  free(expected);
  CHECK(pthread_mutex_lock(&s->lock) == 0);
  s->reads += reads;
  s->fresher += fresher;
  CHECK(pthread_mutex_unlock(&s->lock) == 0);
  return NULL;
}

static void run(const char *name, const char *options) {
  char path[4096];
  const char *dir = fresh_dir(name);
  struct shared s;
  pthread_t threads[WRITERS + READERS];
  int i;
  memset(&s, 0, sizeof s);
  CHECK(pthread_mutex_init(&s.lock, NULL) == 0);
  path_in(path, sizeof path, dir, "store.db");
  CHECK_OK(ws_store_open_with(path, options, &s.store));
  for (i = 0; i < WRITERS; i++) CHECK_OK(ws_update_state(s.store, "f", sessions[i], "{\"n\":0,\"pad\":\"\"}"));
  s.writers_left = WRITERS;
  for (i = 0; i < WRITERS + READERS; i++) {
    CHECK(pthread_create(&threads[i], NULL, i < WRITERS ? writer : reader, &s) == 0);
  }
  for (i = 0; i < WRITERS + READERS; i++) CHECK(pthread_join(threads[i], NULL) == 0);
  printf("%s: %d writers x %d writes, %ld reads by %d threads, none older than the last write "
         "returned, none torn (%ld saw a write still in progress)\n",
         name, WRITERS, WRITES, s.reads, READERS, s.fresher);
  ws_store_close(s.store);
  CHECK(pthread_mutex_destroy(&s.lock) == 0);
}

int main(void) {
  run("test_read_your_writes_wal", NULL);
  run("test_read_your_writes_delete", "{\"journal_mode\":\"delete\"}");
  printf("ok\n");
  return 0;
}
