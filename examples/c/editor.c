/* editor: the undo menu of a one-line text editor, scripted (no terminal needed).
 *
 *   editor [DATABASE]     (default: editor.db)
 *
 * What an editor needs from undo, and the call that gives it:
 *   - typing that undoes as one step, not one per keystroke: every keystroke checkpoints
 *     with the same "merge_key", and the keystrokes of one run merge into one entry;
 *   - the cursor back where it was: each checkpoint carries it as "meta", and
 *     ws_undo_with / ws_redo_with hand back the meta of the step they moved;
 *   - "Undo Typing" / "Redo Typing" menu items: ws_undo_status's undo_label and redo_label;
 *   - the title's "*" for unsaved changes: ws_set_clean on save, ws_undo_status's "clean",
 *     true again whenever undo or redo returns to the saved text.
 * The editor is closed and started again halfway: the stacks and the saved mark are in
 * the database file. Each line of output is what the window shows after one action: the
 * title, the line with the cursor as '|', and the Edit menu ("(Undo)": greyed out). */
#include "workflow_state.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *flow = "editor";
static const char *doc = "notes.txt";

/* A real editor keeps the default, WS_DEFAULT_MERGE_WINDOW_MS (1 s after the run's first
 * keystroke, a new undo step starts). This script types far faster than a person, but
 * under valgrind one keystroke can take longer than that: 60 s keeps its output the same
 * on every machine. */
#define MERGE_WINDOW_MS 60000

/* The editor's own copy of the document, as an editor keeps its buffer; the store holds
 * the line as {"line": text}. */
static char line[64];
static int cursor;

static void check(ws_status status, const char *what) {
  if (status != WS_OK) {
    fprintf(stderr, "%s failed: %s: %s\n", what, ws_status_name(status), ws_last_error_message());
    exit(1);
  }
}

/* The string after `"key":` in a JSON text from the library, copied into `out`; "" for
 * null. The library writes compact JSON with known keys and this script's texts need no
 * escapes, so a string search is enough here; a real program would use its JSON parser. */
static const char *json_text(const char *json, const char *key, char *out, size_t size) {
  char needle[64];
  const char *at, *end;
  snprintf(needle, sizeof needle, "\"%s\":", key);
  at = strstr(json, needle);
  if (at == NULL) {
    fprintf(stderr, "no %s in %s\n", needle, json);
    exit(1);
  }
  at += strlen(needle);
  if (strncmp(at, "null", 4) == 0) {
    snprintf(out, size, "%s", "");
    return out;
  }
  end = *at == '"' ? strchr(at + 1, '"') : NULL;
  if (end == NULL || (size_t)(end - at) > size) {
    fprintf(stderr, "%s in %s is not a string of fewer than %zu bytes\n", needle, json, size);
    exit(1);
  }
  snprintf(out, size, "%.*s", (int)(end - at - 1), at + 1);
  return out;
}

/* The integer after `"key":`, or `otherwise` when the text has none (a null meta). */
static int json_int(const char *json, const char *key, int otherwise) {
  char needle[64];
  const char *at;
  snprintf(needle, sizeof needle, "\"%s\":", key);
  at = strstr(json, needle);
  return at == NULL ? otherwise : atoi(at + strlen(needle));
}

/* Writes the editor's line to the store. */
static void store_line(ws_store *store) {
  char updates[128];
  snprintf(updates, sizeof updates, "{\"line\":\"%s\"}", line);
  check(ws_update_state(store, flow, doc, updates), "ws_update_state");
}

/* Reads the line from the store into the editor (after undo, redo, or a restart). */
static void load_line(ws_store *store) {
  char *state = NULL;
  check(ws_get_state(store, flow, doc, &state), "ws_get_state");
  json_text(state, "line", line, sizeof line);
  ws_string_free(state);
}

/* An Edit menu item: "Undo Typing" when there is a step to undo, greyed "(Undo)" if not. */
static const char *menu_item(const char *status, const char *verb, const char *key, char *out,
                             size_t size) {
  char label[32];
  if (json_text(status, key, label, sizeof label)[0] != '\0')
    snprintf(out, size, "%s %s", verb, label);
  else
    snprintf(out, size, "(%s)", verb);
  return out;
}

/* Prints what the window shows: the title (with "*" while the text is not the saved
 * one), the line with the cursor as '|', and the Edit menu's Undo and Redo items. */
static void show(ws_store *store, const char *event) {
  char *status = NULL;
  char title[32], text[80], undo[48], redo[48];
  check(ws_undo_status(store, flow, doc, &status), "ws_undo_status");
  snprintf(title, sizeof title, "%s%s", doc, strstr(status, "\"clean\":true") ? "" : " *");
  snprintf(text, sizeof text, "\"%.*s|%s\"", cursor, line, line + cursor);
  printf("%-22s %-12s %-16s %-18s %-18s %d undo step%s\n", event, title, text,
         menu_item(status, "Undo", "undo_label", undo, sizeof undo),
         menu_item(status, "Redo", "redo_label", redo, sizeof redo),
         json_int(status, "undo_depth", 0), json_int(status, "undo_depth", 0) == 1 ? "" : "s");
  ws_string_free(status);
}

/* One keystroke: a checkpoint of the text as it is, with the cursor, then the edit.
 * Checkpoints with the same merge_key in a row (nothing else between, within the window)
 * make one undo step: the first keystroke's checkpoint, with the first one's cursor. */
static void key(ws_store *store, char c) {
  char checkpoint[160];
  size_t n = strlen(line);
  if (n + 1 >= sizeof line) {
    fprintf(stderr, "the line is full\n");
    exit(1);
  }
  snprintf(checkpoint, sizeof checkpoint,
           "{\"label\":\"Typing\",\"merge_key\":\"typing\",\"merge_window_ms\":%d,"
           "\"meta\":{\"cursor\":%d}}",
           MERGE_WINDOW_MS, cursor);
  check(ws_checkpoint_with(store, flow, doc, checkpoint), "ws_checkpoint_with");
  memmove(line + cursor + 1, line + cursor, n - (size_t)cursor + 1);
  line[cursor++] = c;
  store_line(store);
}

static void type(ws_store *store, const char *text) {
  char event[48];
  const char *c;
  for (c = text; *c != '\0'; c++) key(store, *c);
  snprintf(event, sizeof event, "type \"%s\"", text);
  show(store, event);
}

/* A command that is a step of its own: a checkpoint without a merge_key (which also ends
 * the typing run: the next keystroke starts a new step). */
static void upper_case(ws_store *store) {
  char checkpoint[96];
  char *c;
  snprintf(checkpoint, sizeof checkpoint, "{\"label\":\"Upper case\",\"meta\":{\"cursor\":%d}}",
           cursor);
  check(ws_checkpoint_with(store, flow, doc, checkpoint), "ws_checkpoint_with");
  for (c = line; *c != '\0'; c++) *c = (char)toupper((unsigned char)*c);
  store_line(store);
  show(store, "Upper case");
}

static void save(ws_store *store) {
  /* (A real editor writes the file here.) */
  check(ws_set_clean(store, flow, doc), "ws_set_clean");
  show(store, "save");
}

/* Undo or redo, then the text from the store and the cursor from the step's meta. The
 * meta is the one its checkpoint was made with, in both directions: where the step began,
 * so a redo too puts the cursor where the redone change starts. */
static void travel(ws_store *store, int undo) {
  char *result = NULL;
  check(undo ? ws_undo_with(store, flow, doc, &result) : ws_redo_with(store, flow, doc, &result),
        undo ? "ws_undo_with" : "ws_redo_with");
  if (strstr(result, "\"done\":true") != NULL) {
    char label[32], event[48];
    load_line(store);
    cursor = json_int(result, "cursor", (int)strlen(line));
    snprintf(event, sizeof event, "%s %s", undo ? "Undo" : "Redo",
             json_text(result, "label", label, sizeof label));
    show(store, event);
  } else {
    show(store, undo ? "Undo: nothing to undo" : "Redo: nothing to redo");
  }
  ws_string_free(result);
}

static ws_store *open_store(const char *path) {
  ws_store *store = NULL;
  check(ws_store_open(path, &store), "ws_store_open");
  return store;
}

int main(int argc, char **argv) {
  const char *path = argc > 1 ? argv[1] : "editor.db";
  ws_store *store = open_store(path);

  printf("%-22s %-12s %-16s %-18s %-18s %s\n", "", "title", "line", "Edit menu", "", "history");
  /* A new, saved, empty document, so that every run shows the same thing. */
  check(ws_delete_session(store, flow, doc), "ws_delete_session");
  store_line(store);
  check(ws_set_clean(store, flow, doc), "ws_set_clean");
  show(store, "new file");

  type(store, "hello");
  upper_case(store);
  type(store, " world");
  save(store);
  travel(store, 1);
  travel(store, 1);

  /* The editor quits and starts again: the text is reloaded, the cursor goes to its end,
   * and the menu, the history and the saved mark are as they were. */
  ws_store_close(store);
  store = open_store(path);
  load_line(store);
  cursor = (int)strlen(line);
  show(store, "restart");

  travel(store, 1);
  travel(store, 1); /* nothing left */
  travel(store, 0);
  travel(store, 0);
  travel(store, 0); /* back at the saved text: no "*" */
  travel(store, 0); /* nothing left */
  type(store, "!");
  travel(store, 1); /* the typing after the redos is a step of its own */

  ws_store_close(store);
  return 0;
}
