/* What the reliability tests share: a seeded PRNG whose seed is printed and can be
 * forced from the environment (so a failing run can be repeated), pipe I/O that copes
 * with short reads and writes, a monotonic clock, and processes started all at once. */
#ifndef WS_RELIABILITY_H
#define WS_RELIABILITY_H

#include "../c/check.h"

#include <errno.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* splitmix64: tiny, fast, and every 64-bit seed gives a good stream. */
struct rng {
  uint64_t state;
};

static inline uint64_t rng_next(struct rng *r) {
  uint64_t z = (r->state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

/* Uniform enough in [0, n) for the small n used here; n > 0. */
static inline uint32_t rng_below(struct rng *r, uint32_t n) {
  return (uint32_t)(rng_next(r) % n);
}

/* A stream derived from a seed and up to two indices (round, process, thread...), so
 * that each part of a run has its own stream and the whole run follows from one seed. */
static inline struct rng rng_for(uint64_t seed, uint64_t a, uint64_t b) {
  struct rng r;
  r.state = seed ^ (a * 0xD1B54A32D192ED03ULL) ^ (b * 0xAEF17502108EF2D9ULL);
  (void)rng_next(&r);
  return r;
}

static inline double now_seconds(void) {
  struct timespec t;
  CHECK(clock_gettime(CLOCK_MONOTONIC, &t) == 0);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* The seed from the environment variable `var` if set, else from the clock and pid;
 * printed either way with the command that repeats the run. */
static inline uint64_t seed_from_env(const char *var) {
  const char *text = getenv(var);
  uint64_t seed;
  if (text != NULL && *text != '\0') {
    char *end = NULL;
    errno = 0;
    seed = (uint64_t)strtoull(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0') {
      fprintf(stderr, "%s=\"%s\" is not a decimal number\n", var, text);
      exit(1);
    }
  } else {
    struct timespec t;
    CHECK(clock_gettime(CLOCK_REALTIME, &t) == 0);
    seed = ((uint64_t)t.tv_sec * 1000000007ULL) ^ (uint64_t)t.tv_nsec ^
           ((uint64_t)getpid() << 32);
    seed %= 1000000000000ULL; /* short enough to retype */
  }
  printf("seed %llu (repeat with %s=%llu)\n", (unsigned long long)seed, var,
         (unsigned long long)seed);
  fflush(stdout);
  return seed;
}

/* A positive count from the environment variable `var`, else `fallback`. */
static inline long count_from_env(const char *var, long fallback, long max) {
  const char *text = getenv(var);
  char *end = NULL;
  long n;
  if (text == NULL || *text == '\0') return fallback;
  errno = 0;
  n = strtol(text, &end, 10);
  if (errno != 0 || end == text || *end != '\0' || n < 1 || n > max) {
    fprintf(stderr, "%s=\"%s\" must be a whole number from 1 to %ld\n", var, text, max);
    exit(1);
  }
  return n;
}

static inline void write_all(int fd, const void *data, size_t size) {
  const char *p = (const char *)data;
  while (size > 0) {
    ssize_t n = write(fd, p, size);
    if (n < 0 && errno == EINTR) continue;
    CHECK(n > 0);
    p += n;
    size -= (size_t)n;
  }
}

/* Reads until `size` bytes or end of file; returns how many were read. */
static inline size_t read_full(int fd, void *data, size_t size) {
  char *p = (char *)data;
  size_t done = 0;
  while (done < size) {
    ssize_t n = read(fd, p + done, size - done);
    if (n < 0 && errno == EINTR) continue;
    CHECK(n >= 0);
    if (n == 0) break;
    done += (size_t)n;
  }
  return done;
}

/* The body of a process `run_processes` starts: it gets ready (opens its stores, starts
 * its threads), writes one byte to `ready_fd`, waits until `start_fd` reads end of file,
 * does its work, writes its results to `result_fd` and exits with 0. */
typedef void (*process_body)(int p, const void *arg, int ready_fd, int start_fd, int result_fd);

/* Forks `n` (at most 64) processes running `body`, starts them all at once when every
 * one is ready, reads `each` bytes of results from process p into `results + p * each`,
 * and checks that each exits with 0. Returns the seconds from the start to the last
 * results. No store may be open in the caller across the call. */
static inline double run_processes(int n, process_body body, const void *arg, void *results,
                                   size_t each) {
  char bytes[64];
  int ready[2], start[2], result_fds[64], p, status;
  pid_t pids[64];
  double started, elapsed;
  CHECK(n > 0 && n <= 64);
  CHECK(pipe(ready) == 0 && pipe(start) == 0);
  fflush(NULL);
  for (p = 0; p < n; p++) {
    int result[2];
    CHECK(pipe(result) == 0);
    pids[p] = fork();
    CHECK(pids[p] >= 0);
    if (pids[p] == 0) {
      close(ready[0]);
      close(start[1]);
      close(result[0]);
      body(p, arg, ready[1], start[0], result[1]);
      exit(0);
    }
    close(result[1]);
    result_fds[p] = result[0];
  }
  close(ready[1]);
  close(start[0]);
  /* Every process has opened its stores and started its threads: go. */
  CHECK(read_full(ready[0], bytes, (size_t)n) == (size_t)n);
  close(ready[0]);
  started = now_seconds();
  close(start[1]);
  for (p = 0; p < n; p++) {
    CHECK(read_full(result_fds[p], (char *)results + (size_t)p * each, each) == each);
    close(result_fds[p]);
  }
  elapsed = now_seconds() - started;
  for (p = 0; p < n; p++) {
    CHECK(waitpid(pids[p], &status, 0) == pids[p]);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  return elapsed;
}

#endif
