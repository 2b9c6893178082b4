/* storage_cost: bytes a checkpoint adds to the database file, measured.
 *
 *   storage_cost [DIRECTORY]     (default: the current directory)
 *
 * For each state size it makes a session of that size, takes N checkpoints (with an
 * edit of one key between them, so each checkpoint holds a distinct state), closes the
 * store (which checkpoints the WAL into the file) and compares the file's size with the
 * same file before the checkpoints. Prints bytes per checkpoint against the state size.
 * The text is pseudo-random letters, so that states of 64 KiB and more, which are kept as
 * shared chunks, are cut where their content says, as real documents are. */
#include "workflow_state.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define CHECKPOINTS 200

static void check(ws_status status, const char *what) {
  if (status != WS_OK) {
    fprintf(stderr, "%s failed: %s: %s\n", what, ws_status_name(status), ws_last_error_message());
    exit(1);
  }
}

static long file_size(const char *path) {
  struct stat st;
  if (stat(path, &st) != 0) return -1;
  return (long)st.st_size;
}

/* The database file's size after the session got a state of `state_bytes` and
 * `checkpoints` checkpoints. */
static long measure(const char *path, size_t state_bytes, int checkpoints) {
  char *updates = (char *)malloc(state_bytes + 64);
  char edit[64];
  ws_store *store = NULL;
  size_t i;
  unsigned long seed = 12345;
  int n;
  remove(path);
  check(ws_store_open_with(path, "{\"max_history_depth\":100000}", &store), "open");
  strcpy(updates, "{\"text\":\"");
  for (i = strlen(updates); i < state_bytes; i++) {
    seed = seed * 1103515245UL + 12345UL;
    updates[i] = (char)('a' + (seed >> 16) % 26);
  }
  strcpy(updates + state_bytes, "\"}");
  check(ws_update_state(store, "f", "s", updates), "ws_update_state");
  for (n = 0; n < checkpoints; n++) {
    check(ws_checkpoint(store, "f", "s", "Typing"), "ws_checkpoint");
    snprintf(edit, sizeof edit, "{\"edit\":%d}", n);
    check(ws_update_state(store, "f", "s", edit), "ws_update_state");
  }
  ws_store_close(store);
  free(updates);
  return file_size(path);
}

int main(int argc, char **argv) {
  const size_t sizes[] = {100, 1000, 10000, 100000, 1000000};
  char path[4096];
  size_t i;
  snprintf(path, sizeof path, "%s/storage_cost.db", argc > 1 ? argv[1] : ".");
  printf("%12s %14s %18s %10s\n", "state bytes", "checkpoints", "bytes/checkpoint", "overhead");
  for (i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
    long base = measure(path, sizes[i], 0);
    long with = measure(path, sizes[i], CHECKPOINTS);
    double per = (double)(with - base) / CHECKPOINTS;
    printf("%12zu %14d %18.0f %9.2fx\n", sizes[i], CHECKPOINTS, per, per / (double)sizes[i]);
  }
  remove(path);
  return 0;
}
