/* notes_db: the database side of tests/gtk/test_notes.sh. It reads and writes the notes
 * of examples/gtk/notes.c through the library's API, from a process of its own, so the
 * test checks what the windows did in the file, not in their memory.
 *
 *   notes_db DB seed N          N filler notes, then the note "target" (newest, so both
 *                               windows open it), with the text "Buy:", marked saved
 *   notes_db DB show ID         key=value lines: exists, revision, title, text, clean,
 *                               undo_depth, redo_depth, undo_label (text escaped as the
 *                               notes program's stats: \ and newline)
 *   notes_db DB count           how many notes the flow holds (walking every page)
 *   notes_db DB find TITLE      the id of a note with that title (nothing if none)
 *   notes_db DB prepend ID TEXT N
 *                               N times, TEXT put before the note's text, each an
 *                               optimistic ws_get_session + ws_apply (expect_revision)
 *                               retried on WS_CONFLICT; 20 ms apart, so that the writes
 *                               interleave with a window's typing */
#include "workflow_state.h"

#include "../../examples/gtk/mini_json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define FLOW "notes"

static void check(ws_status status, const char *what) {
  if (status != WS_OK) {
    fprintf(stderr, "notes_db: %s failed: %s: %s\n", what, ws_status_name(status), ws_last_error_message());
    exit(1);
  }
}

/* The JSON string of `text` (ASCII and UTF-8 as is, quotes, \ and controls escaped),
 * malloc'd. */
static char *quote(const char *text) {
  char *out = malloc(strlen(text) * 6 + 3), *o = out;
  const unsigned char *c;
  if (out == NULL) exit(1);
  *o++ = '"';
  for (c = (const unsigned char *)text; *c != '\0'; c++) {
    if (*c == '"' || *c == '\\') { *o++ = '\\'; *o++ = (char)*c; }
    else if (*c < 0x20) o += sprintf(o, "\\u%04x", *c);
    else *o++ = (char)*c;
  }
  *o++ = '"';
  *o = '\0';
  return out;
}

static void print_escaped(const char *key, const char *text) {
  printf("%s=", key);
  for (; text != NULL && *text != '\0'; text++) {
    if (*text == '\\') fputs("\\\\", stdout);
    else if (*text == '\n') fputs("\\n", stdout);
    else putchar(*text);
  }
  putchar('\n');
}

static void put_note(ws_store *store, const char *id, const char *title, const char *text) {
  char *t = quote(title), *x = quote(text);
  char *edit = malloc(strlen(t) + strlen(x) + 200);
  if (edit == NULL) exit(1);
  sprintf(edit, "{\"expect_revision\":0,\"patch\":[{\"op\":\"add\",\"path\":\"/title\",\"value\":%s},"
                "{\"op\":\"add\",\"path\":\"/text\",\"value\":%s}]}", t, x);
  check(ws_apply(store, FLOW, id, edit, NULL), "ws_apply");
  free(edit);
  free(t);
  free(x);
}

static void show(ws_store *store, const char *id) {
  char *session = NULL, *status = NULL, *title, *text, *label;
  long long revision = 0, undo = 0, redo = 0;
  check(ws_get_session(store, FLOW, id, &session), "ws_get_session");
  if (session == NULL) {
    printf("exists=false\n");
    return;
  }
  check(ws_undo_status(store, FLOW, id, &status), "ws_undo_status");
  mj_int(mj_member(session, "revision"), &revision);
  title = mj_string(mj_member(mj_member(session, "state"), "title"));
  text = mj_string(mj_member(mj_member(session, "state"), "text"));
  mj_int(mj_member(status, "undo_depth"), &undo);
  mj_int(mj_member(status, "redo_depth"), &redo);
  label = mj_string(mj_member(status, "undo_label"));
  printf("exists=true\nrevision=%lld\n", revision);
  print_escaped("title", title);
  print_escaped("text", text);
  printf("clean=%s\nundo_depth=%lld\nredo_depth=%lld\n", mj_is_true(mj_member(status, "clean")) ? "true" : "false",
         undo, redo);
  print_escaped("undo_label", label);
  free(title);
  free(text);
  free(label);
  ws_string_free(status);
  ws_string_free(session);
}

/* Walks every page; calls `row` for each note with its title. Stops when it returns 1. */
static void walk(ws_store *store, int (*row)(const char *id, const char *title, void *data), void *data) {
  char *after = NULL;
  for (;;) {
    char *page = NULL, *query, *next;
    const char *r;
    int stop = 0;
    query = malloc((after != NULL ? strlen(after) : 0) + 100);
    if (query == NULL) exit(1);
    sprintf(query, "{\"limit\":500,\"fields\":[\"/title\"]%s%s}", after != NULL ? ",\"after\":" : "",
            after != NULL ? after : "");
    check(ws_query_sessions(store, FLOW, query, &page), "ws_query_sessions");
    free(query);
    for (r = mj_first(mj_member(page, "sessions")); r != NULL && !stop; r = mj_next(r)) {
      char *id = mj_string(mj_member(r, "session_id"));
      char *title = mj_string(mj_member(mj_member(r, "fields"), "/title"));
      stop = row(id, title != NULL ? title : "", data);
      free(id);
      free(title);
    }
    next = mj_string(mj_member(page, "next"));
    ws_string_free(page);
    free(after);
    after = next != NULL ? quote(next) : NULL;
    free(next);
    if (after == NULL || stop) break;
  }
  free(after);
}

static int count_row(const char *id, const char *title, void *data) {
  (void)id, (void)title;
  ++*(long *)data;
  return 0;
}

static int find_row(const char *id, const char *title, void *data) {
  if (strcmp(title, (const char *)data) != 0) return 0;
  printf("%s\n", id);
  return 1;
}

static void prepend(ws_store *store, const char *id, const char *piece, int times) {
  int i;
  for (i = 0; i < times; i++) {
    struct timespec pause = {0, 20 * 1000 * 1000};
    ws_status s;
    do {
      char *session = NULL, *text, *joined, *quoted, *edit;
      long long revision = 0;
      check(ws_get_session(store, FLOW, id, &session), "ws_get_session");
      if (session == NULL) {
        fprintf(stderr, "notes_db: %s is gone\n", id);
        exit(1);
      }
      mj_int(mj_member(session, "revision"), &revision);
      text = mj_string(mj_member(mj_member(session, "state"), "text"));
      ws_string_free(session);
      joined = malloc(strlen(piece) + (text != NULL ? strlen(text) : 0) + 1);
      if (joined == NULL) exit(1);
      sprintf(joined, "%s%s", piece, text != NULL ? text : "");
      quoted = quote(joined);
      edit = malloc(strlen(quoted) + 100);
      if (edit == NULL) exit(1);
      sprintf(edit, "{\"expect_revision\":%lld,\"patch\":[{\"op\":\"replace\",\"path\":\"/text\",\"value\":%s}]}",
              revision, quoted);
      s = ws_apply(store, FLOW, id, edit, NULL);
      if (s != WS_CONFLICT) check(s, "ws_apply");
      free(edit);
      free(quoted);
      free(joined);
      free(text);
    } while (s == WS_CONFLICT);
    nanosleep(&pause, NULL);
  }
}

int main(int argc, char **argv) {
  ws_store *store = NULL;
  const char *command = argc > 2 ? argv[2] : "";
  if (argc < 3) {
    fprintf(stderr, "usage: notes_db DB seed N | show ID | count | find TITLE | prepend ID TEXT N\n");
    return 2;
  }
  check(ws_store_open(argv[1], &store), "ws_store_open");
  if (strcmp(command, "seed") == 0 && argc == 4) {
    int i, n = atoi(argv[3]);
    for (i = 1; i <= n; i++) {
      char id[32], title[32];
      sprintf(id, "filler-%04d", i);
      sprintf(title, "Note %d", i);
      put_note(store, id, title, "Some text.");
    }
    put_note(store, "target", "Shopping list", "Buy:");
    check(ws_set_clean(store, FLOW, "target"), "ws_set_clean");
  } else if (strcmp(command, "show") == 0 && argc == 4) {
    show(store, argv[3]);
  } else if (strcmp(command, "count") == 0 && argc == 3) {
    long count = 0;
    walk(store, count_row, &count);
    printf("%ld\n", count);
  } else if (strcmp(command, "find") == 0 && argc == 4) {
    walk(store, find_row, argv[3]);
  } else if (strcmp(command, "prepend") == 0 && argc == 6) {
    prepend(store, argv[3], argv[4], atoi(argv[5]));
  } else {
    fprintf(stderr, "notes_db: bad command\n");
    ws_store_close(store);
    return 2;
  }
  ws_store_close(store);
  return 0;
}
