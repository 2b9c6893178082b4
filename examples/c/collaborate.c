/* collaborate: two processes edit the same session at once without losing an edit, while
 * a third follows every change.
 *
 *   collaborate [DATABASE]     (default: collaborate.db)
 *
 * Two editors, "alice" and "bob", each add EDITS items to one shared shopping list. Every
 * item is numbered from the list's "edits" counter, so each edit depends on what the
 * editor read: exactly the read-modify-write that loses updates when two writers do it at
 * once. The safe way is OPTIMISTIC CONCURRENCY:
 *
 *   1. read a snapshot with ws_get_session: the state and the revision it is at;
 *   2. compute the change from what was read;
 *   3. write it with ws_apply and "expect_revision": <that revision>. If anybody changed
 *      the session since step 1, nothing is written and ws_apply returns WS_CONFLICT:
 *      go back to step 1 and try again with fresh data.
 *
 * No lock is held between reading and writing, so a slow editor never blocks the other;
 * the price is an occasional retry. The follower (this program's first process) sleeps in
 * ws_wait_for_change until the database changes, then asks ws_changes_since what changed
 * and reads it. It stops when it has seen all 2 x EDITS edits.
 *
 * Each process opens its own ws_store AFTER fork(): a store (like any SQLite connection)
 * must never be used by two processes. */
#define _POSIX_C_SOURCE 200809L /* fork, pipe, waitpid */

#include "workflow_state.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define EDITS 10 /* per editor */

static const char *flow = "shopping";
static const char *list = "weekend";

static void check(ws_status status, const char *what) {
  if (status != WS_OK) {
    fprintf(stderr, "%s failed: %s: %s\n", what, ws_status_name(status), ws_last_error_message());
    exit(1);
  }
}

/* The integer after `"key":` in a JSON text from the library. The library writes compact
 * JSON with known keys, so a string search is enough for this example; a real program
 * would use its JSON parser. */
static long long json_int(const char *json, const char *key) {
  char needle[64];
  const char *at;
  snprintf(needle, sizeof needle, "\"%s\":", key);
  at = strstr(json, needle);
  if (at == NULL) {
    fprintf(stderr, "no %s in %s\n", needle, json);
    exit(1);
  }
  return strtoll(at + strlen(needle), NULL, 10);
}

/* The newest item of the list in a session's JSON, copied into `out`: the text between
 * the last pair of quotes before the end of "items". */
static const char *newest_item(const char *session, char *out, size_t size) {
  const char *items = strstr(session, "\"items\":[");
  const char *end = items ? strchr(items, ']') : NULL;
  const char *open;
  size_t n;
  snprintf(out, size, "(none)");
  if (end == NULL || end[-1] != '"') return out;
  for (open = end - 2; open > items && *open != '"'; open--) {
  }
  n = (size_t)(end - 1 - (open + 1));
  if (n + 1 <= size) snprintf(out, size, "%.*s", (int)n, open + 1);
  return out;
}

/* Stands in for the time a user or a computation takes, `ms` milliseconds: between two
 * edits, and between reading and writing, which is what gives the other editor the chance
 * to write first. (Not a way to synchronise anything: the program is correct without.) */
static void think(int ms) {
  struct timespec pause;
  pause.tv_sec = 0;
  pause.tv_nsec = (long)ms * 1000000L;
  nanosleep(&pause, NULL);
}

/* --- An editor: the optimistic read-modify-write loop ------------------------------- */

static void editor(const char *path, const char *name, int pace, int start_fd) {
  ws_store *store = NULL;
  char byte;
  int done = 0, conflicts = 0;

  check(ws_store_open(path, &store), "ws_store_open");
  /* Wait until the follower says go (it closes the pipe), so that both editors start
   * together and really do collide. */
  while (read(start_fd, &byte, 1) > 0) {
  }
  close(start_fd);

  while (done < EDITS) {
    char *session = NULL;
    char edit[512];
    long long revision, edits;
    ws_status status;

    think(pace); /* between edits */

    /* 1. Read: one consistent snapshot of the session, with its revision. */
    check(ws_get_session(store, flow, list, &session), "ws_get_session");
    revision = json_int(session, "revision");
    edits = json_int(session, "edits");
    ws_string_free(session);

    /* 2. Modify: the next item's number comes from what was read. */
    think(1);
    snprintf(edit, sizeof edit,
             "{\"expect_revision\":%lld,"
             "\"patch\":[{\"op\":\"replace\",\"path\":\"/list/edits\",\"value\":%lld},"
             "{\"op\":\"add\",\"path\":\"/list/items/-\",\"value\":\"#%lld by %s\"}]}",
             revision, edits + 1, edits + 1, name);

    /* 3. Write, only if the session is still at that revision. */
    status = ws_apply(store, flow, list, edit, NULL);
    if (status == WS_CONFLICT || status == WS_BUSY) {
      /* WS_CONFLICT: someone wrote in between; the message says which revision was
       * expected and which was found. WS_BUSY: the file stayed locked past the busy
       * timeout. Either way nothing was written: read again and retry. */
      conflicts++;
      printf("  %-5s retries: %s\n", name, ws_last_error_message());
      continue;
    }
    check(status, "ws_apply");
    done++;
    printf("  %-5s wrote item #%lld (it read revision %lld)\n", name, edits + 1, revision);
  }
  printf("  %-5s done: %d edits, %d retries\n", name, done, conflicts);
  ws_store_close(store);
  exit(0);
}

/* --- The follower: wait for changes, ask what changed, read it ---------------------- */

static void follow(const char *path, int64_t after) {
  ws_store *store = NULL;
  long long edits = 0;

  check(ws_store_open(path, &store), "ws_store_open");
  while (edits < 2 * EDITS) {
    int64_t latest = 0;
    int more = 1;

    /* Sleeps until something is committed after `after`, by any process. The timeout
     * only guards against an editor that died: it returns WS_OK with latest == after. */
    check(ws_wait_for_change(store, after, 30000, &latest), "ws_wait_for_change");
    if (latest == after) {
      fprintf(stderr, "no change for 30 s: did an editor fail?\n");
      exit(1);
    }

    /* What changed since `after`: each changed session once, at its latest revision (a
     * session changed twice since is listed once: the feed says WHICH sessions changed;
     * read them for HOW). Page until "more" is false. */
    while (more) {
      char *page = NULL;
      check(ws_changes_since(store, flow, after, 0, &page), "ws_changes_since");
      more = strstr(page, "\"more\":true") != NULL;
      after = (int64_t)json_int(page, "last_seq"); /* where to continue from */
      if (strstr(page, "\"session_id\":\"weekend\"") != NULL) {
        char *session = NULL;
        char item[64];
        check(ws_get_session(store, flow, list, &session), "ws_get_session");
        edits = json_int(session, "edits");
        printf("follower: the list is at revision %lld: %lld of %d items, the newest \"%s\"\n",
               json_int(session, "revision"), edits, 2 * EDITS,
               newest_item(session, item, sizeof item));
        ws_string_free(session);
      }
      ws_string_free(page);
    }
  }
  ws_store_close(store);
}

int main(int argc, char **argv) {
  const char *path = argc > 1 ? argv[1] : "collaborate.db";
  const char *names[2] = {"alice", "bob"};
  pid_t editors[2];
  int start[2];
  int64_t start_seq = 0;
  int i, failed = 0;

  /* Each line goes out whole, even when three processes share one terminal or pipe. */
  setvbuf(stdout, NULL, _IOLBF, 0);

  /* A fresh list. "expect_revision": 0 creates it only if it does not exist: the
   * exclusive create of optimistic editing. */
  {
    ws_store *store = NULL;
    check(ws_store_open(path, &store), "ws_store_open");
    check(ws_delete_session(store, flow, list), "ws_delete_session"); /* an earlier run's */
    check(ws_apply(store, flow, list,
                   "{\"expect_revision\":0,\"label\":\"Weekend shopping\","
                   "\"patch\":[{\"op\":\"add\",\"path\":\"/list\","
                   "\"value\":{\"edits\":0,\"items\":[]}}]}",
                   NULL),
          "ws_apply (create)");
    check(ws_latest_seq(store, &start_seq), "ws_latest_seq"); /* follow from here */
    ws_store_close(store); /* closed before fork: no store crosses a fork */
  }
  printf("two editors add %d items each to one list; a follower watches\n", EDITS);

  if (pipe(start) != 0) {
    perror("pipe");
    return 1;
  }
  for (i = 0; i < 2; i++) {
    editors[i] = fork();
    if (editors[i] < 0) {
      perror("fork");
      return 1;
    }
    if (editors[i] == 0) {
      close(start[1]);
      editor(path, names[i], 2 + i, start[0]); /* does not return */
    }
  }
  close(start[0]);
  close(start[1]); /* go */

  follow(path, start_seq);

  for (i = 0; i < 2; i++) {
    int status = 0;
    if (waitpid(editors[i], &status, 0) != editors[i] || !WIFEXITED(status) ||
        WEXITSTATUS(status) != 0) {
      fprintf(stderr, "editor %s failed\n", names[i]);
      failed = 1;
    }
  }
  if (!failed) printf("all %d edits arrived, none lost\n", 2 * EDITS);
  return failed;
}
