/* notes: a GTK 3 notes editor on one database file, which any number of windows and
 * processes may edit at once; each follows the others' changes live.
 *
 *   notes DATABASE [INSTANCE]
 *
 * INSTANCE (optional) goes into the window title, so that two windows on one display
 * can be told apart (the test finds each by it). The title is, precisely:
 *
 *   notes[ INSTANCE] — NOTE TITLE — rev R[ *] — N listed
 *
 * with " — " (U+2014 between spaces) as separator: R is the open note's revision (0 and
 * the title "(no note)" when none is open), " *" is there while the note is not the one
 * last saved (Ctrl+S), N is how many notes the sidebar lists. A parser anchors on the
 * end: / — rev ([0-9]+)( \*)? — ([0-9]+) listed$/.
 *
 * What it shows of the library (flow "notes"; each note is a session whose state is
 * {"title": text, "text": text}):
 * - The sidebar pages through the flow with ws_query_sessions, newest note first, 50 a
 *   page, the title read from each state by "fields" (one call a page); the next page
 *   is loaded as the list is scrolled near its end.
 * - Every change of the text is saved at once by one ws_apply: a "replace" of /text,
 *   "expect_revision" (the revision the editor last saw) and a checkpoint with
 *   "merge_key" "typing" and the cursor as "meta", so that a burst of typing is one undo
 *   step and Undo puts the cursor back where the burst began. A WS_CONFLICT (another
 *   program changed the note since) reloads the note and applies the local edit again:
 *   see merge_edit() for the rule.
 * - Edit > Undo/Redo (Ctrl+Z, Ctrl+Shift+Z) are labelled from ws_undo_status and greyed
 *   when there is nothing to undo or redo; Ctrl+S is ws_set_clean.
 * - A worker thread loops on ws_wait_for_change (100 ms at a time, so that it sees the
 *   quit flag), reads what changed (ws_changes_since, ws_get_session) and hands each
 *   change to the UI thread with g_idle_add. The UI thread never waits for a change: it
 *   only reads, and writes its own edits.
 * - Each library call on the UI thread is timed (monotonic clock); the longest is printed
 *   on exit: "ui-thread longest library call: 0.84 ms (ws_apply), 1234 calls". With
 *   WS_NOTES_STATS=PATH the same figures, counted from the start or from the last
 *   SIGUSR1, are written to PATH on exit and on each SIGUSR1, which then starts them
 *   again (so the test measures one window while the other types).
 *   The file holds key=value lines: longest_ms, longest_call, calls, conflicts (how many
 *   WS_CONFLICTs the merge rule resolved), note (the open session) and text (the editor's
 *   text, with \ and newlines escaped). SIGTERM and SIGINT close the window as Ctrl+Q.
 */
#include "workflow_state.h"

#include "mini_json.h"

#include <gtk/gtk.h>
#include <glib-unix.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define FLOW "notes"
#define PAGE_SIZE 50
/* Keystrokes within this long of a burst's first one merge into one undo step. Longer
 * than the library's default (1 s), so that a sentence typed in one go stays one step. */
#define MERGE_WINDOW_MS 5000
/* How long the worker waits in one ws_wait_for_change before it looks at the quit flag:
 * the most the window's closing waits for it. */
#define WAIT_SLICE_MS 100
/* Conflicts in a row after which an edit gives up (and the note is reloaded). */
#define MAX_ATTEMPTS 8

/* --- Timing the UI thread's library calls ------------------------------------------ */

/* The longest call, its name and the number of calls: over the whole run, and since
 * the last SIGUSR1 (the part the test measures). */
typedef struct {
  double longest_ms;
  const char *longest_name;
  long calls;
} Timing;

static double call_t0;
static Timing run_timing, span_timing;
static long conflicts; /* WS_CONFLICTs merge_edit resolved, since the last SIGUSR1 */

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static void timing_add(Timing *timing, const char *name, double ms) {
  timing->calls++;
  if (ms > timing->longest_ms) {
    timing->longest_ms = ms;
    timing->longest_name = name;
  }
}

static void ui_begin(void) { call_t0 = now_ms(); }

static ws_status ui_end(const char *name, ws_status status) {
  double ms = now_ms() - call_t0;
  timing_add(&run_timing, name, ms);
  timing_add(&span_timing, name, ms);
  return status;
}

/* A library call on the UI thread, timed: UI(ws_apply, (store, ...)). The comma operator
 * starts the clock before the call's arguments and the call are evaluated. */
#define UI(fn, args) (ui_begin(), ui_end(#fn, fn args))

/* --- The application ------------------------------------------------------------- */

typedef struct {
  ws_store *store;
  const char *instance;
  const char *stats_path;

  GtkWidget *window, *list, *scroller, *text_view, *undo_item, *redo_item;
  GtkWidget *rename_button, *delete_button, *rename_item, *delete_item, *status;
  GtkTextBuffer *buffer;
  GHashTable *rows;  /* session id -> its GtkListBoxRow */
  char *next_page;   /* ws_query_sessions' "next"; NULL once every page is loaded */
  gboolean closing;  /* the window is gone: changes still queued are dropped */

  /* The open note. */
  char *note_id;        /* NULL: none */
  char *note_title;
  gint64 revision;      /* the revision the editor's text is of */
  char *base_text;      /* the stored /text at that revision */
  gboolean has_text;    /* the state has a /text member ("replace" needs one) */
  gboolean clean;
  int cursor_before;    /* the cursor when the edit being made began */
  gboolean loading;     /* the program sets the buffer: not an edit to save */
  gboolean save_pending; /* the buffer holds an edit not saved yet (see on_changed) */
  gboolean load_pending; /* a page load is queued (see maybe_load_more) */

  GThread *worker;
  gint stop;            /* atomic: the worker's quit flag */
  gint64 start_seq;     /* the change sequence when the list was first read */
} App;

/* One change, read by the worker, handled on the UI thread. */
typedef struct {
  App *app;
  gboolean reset;       /* the feed lost track: reload everything */
  char *session_id;
  char *session_json;   /* ws_get_session's text (g_strdup'd), NULL when deleted */
} Change;

static void flush_save(App *app);

static void report(App *app, const char *what, ws_status status) {
  char *text = g_strdup_printf("%s: %s: %s", what, ws_status_name(status), ws_last_error_message());
  fprintf(stderr, "notes: %s\n", text);
  if (!app->closing) gtk_label_set_text(GTK_LABEL(app->status), text);
  g_free(text);
}

/* Appends `text` to `out` as a JSON string. */
static void json_quote(GString *out, const char *text) {
  const unsigned char *c;
  g_string_append_c(out, '"');
  for (c = (const unsigned char *)text; *c != '\0'; c++) {
    if (*c == '"' || *c == '\\') g_string_append_printf(out, "\\%c", *c);
    else if (*c == '\n') g_string_append(out, "\\n");
    else if (*c == '\t') g_string_append(out, "\\t");
    else if (*c < 0x20) g_string_append_printf(out, "\\u%04x", *c);
    else g_string_append_c(out, (char)*c);
  }
  g_string_append_c(out, '"');
}

/* mini_json's malloc'd strings as GLib ones, "" when absent. */
static char *json_text(const char *json, const char *key) {
  char *text = mj_string(mj_member(json, key));
  char *copy = g_strdup(text != NULL ? text : "");
  free(text);
  return copy;
}

/* --- The title and the Edit menu ----------------------------------------------- */

static void update_title(App *app) {
  GString *title = g_string_new("notes");
  if (app->instance[0] != '\0') g_string_append_printf(title, " %s", app->instance);
  g_string_append_printf(title, " \u2014 %s \u2014 rev %" G_GINT64_FORMAT "%s \u2014 %u listed",
                         app->note_id != NULL ? app->note_title : "(no note)",
                         app->note_id != NULL ? app->revision : 0,
                         app->note_id != NULL && !app->clean ? " *" : "",
                         g_hash_table_size(app->rows));
  gtk_window_set_title(GTK_WINDOW(app->window), title->str);
  g_string_free(title, TRUE);
}

static void set_menu_item(GtkWidget *item, const char *verb, const char *status, const char *depth_key,
                          const char *label_key) {
  long long depth = 0;
  char *label = NULL, *text;
  if (status != NULL) {
    mj_int(mj_member(status, depth_key), &depth);
    label = mj_string(mj_member(status, label_key));
  }
  text = label != NULL ? g_strdup_printf("%s %s", verb, label) : g_strdup(verb);
  gtk_menu_item_set_label(GTK_MENU_ITEM(item), text);
  gtk_widget_set_sensitive(item, depth > 0);
  g_free(text);
  free(label);
}

/* The Edit menu and the title's "*" from ws_undo_status. */
static void refresh_undo(App *app) {
  char *status = NULL;
  if (app->note_id != NULL) {
    ws_status s = UI(ws_undo_status, (app->store, FLOW, app->note_id, &status));
    if (s != WS_OK) report(app, "ws_undo_status", s);
  }
  set_menu_item(app->undo_item, "Undo", status, "undo_depth", "undo_label");
  set_menu_item(app->redo_item, "Redo", status, "redo_depth", "redo_label");
  app->clean = status != NULL && mj_is_true(mj_member(status, "clean"));
  ws_string_free(status);
  update_title(app);
}

/* --- The editor ------------------------------------------------------------------ */

static char *buffer_text(App *app) {
  GtkTextIter start, end;
  gtk_text_buffer_get_bounds(app->buffer, &start, &end);
  return gtk_text_buffer_get_text(app->buffer, &start, &end, FALSE);
}

static int buffer_cursor(App *app) {
  int offset;
  g_object_get(app->buffer, "cursor-position", &offset, NULL);
  return offset;
}

/* Puts `text` into the buffer (not as an edit) with the cursor at character `cursor`. */
static void set_buffer(App *app, const char *text, int cursor) {
  GtkTextIter at;
  app->loading = TRUE;
  gtk_text_buffer_set_text(app->buffer, text, -1);
  gtk_text_buffer_get_iter_at_offset(app->buffer, &at, cursor);
  gtk_text_buffer_place_cursor(app->buffer, &at);
  app->loading = FALSE;
}

/* Byte lengths of the longest common prefix and suffix of a and b (the suffix not
 * overlapping the prefix in either), both ending on character boundaries. */
static void common_ends(const char *a, const char *b, size_t *prefix, size_t *suffix) {
  size_t la = strlen(a), lb = strlen(b), p = 0, s = 0;
  while (p < la && p < lb && a[p] == b[p]) p++;
  while (p > 0 && ((unsigned char)a[p] & 0xC0) == 0x80) p--;
  while (s < la - p && s < lb - p && a[la - 1 - s] == b[lb - 1 - s]) s++;
  while (s > 0 && ((unsigned char)a[la - s] & 0xC0) == 0x80) s--;
  *prefix = p;
  *suffix = s;
}

/* The conflict rule. `base` is the text at the revision the editor had, `local` the
 * buffer (base with the user's edit), `remote` the text stored now, which another
 * program changed since. The result is what the editor saves instead of `local`:
 * - remote == base (the other change left /text alone: a rename, a save, a checkpoint):
 *   local, as it is;
 * - otherwise the local edit, seen as one span of base replaced (base = P X S and
 *   local = P Y S, P and S the longest common prefix and suffix), is made again in
 *   remote: where remote still starts with P X, X after P is replaced by Y; else where
 *   it still ends with X S, X before S is; else Y is inserted at P's length (at most
 *   remote's), nothing deleted. So both sides' typing is kept, the local insertion at
 *   the same place, counted from whichever end the other program left as it was.
 * *cursor receives the character offset just after Y. */
static char *merge_edit(const char *base, const char *local, const char *remote, int *cursor) {
  size_t p, s, lb = strlen(base), ll = strlen(local), lr = strlen(remote), x, at, cut;
  const char *y;
  GString *out;
  if (strcmp(remote, base) == 0) {
    *cursor = -1; /* keep the buffer's own */
    return g_strdup(local);
  }
  common_ends(base, local, &p, &s);
  x = lb - p - s;           /* X = base[p .. p+x) */
  y = local + p;            /* Y = local[p .. ll-s) */
  if (lr >= p + x && memcmp(remote, base, p + x) == 0) {
    at = p;
    cut = x;
  } else if (lr >= x + s && memcmp(remote + lr - x - s, base + p, x + s) == 0) {
    at = lr - x - s;
    cut = x;
  } else {
    at = p < lr ? p : lr;
    while (at > 0 && ((unsigned char)remote[at] & 0xC0) == 0x80) at--;
    cut = 0;
  }
  out = g_string_new_len(remote, (gssize)at);
  g_string_append_len(out, y, (gssize)(ll - s - p));
  *cursor = (int)g_utf8_strlen(out->str, -1);
  g_string_append(out, remote + at + cut);
  return g_string_free(out, FALSE);
}

static void close_note(App *app) {
  g_clear_pointer(&app->note_id, g_free);
  g_clear_pointer(&app->note_title, g_free);
  g_clear_pointer(&app->base_text, g_free);
  app->revision = 0;
  set_buffer(app, "", 0);
  gtk_widget_set_sensitive(app->text_view, FALSE);
  gtk_widget_set_sensitive(app->rename_button, FALSE);
  gtk_widget_set_sensitive(app->delete_button, FALSE);
  gtk_widget_set_sensitive(app->rename_item, FALSE);
  gtk_widget_set_sensitive(app->delete_item, FALSE);
  refresh_undo(app);
}

static void set_row_title(GtkListBoxRow *row, const char *title) {
  GtkWidget *label = gtk_bin_get_child(GTK_BIN(row));
  gtk_label_set_text(GTK_LABEL(label), title[0] != '\0' ? title : "(untitled)");
}

/* Takes a session text (ws_get_session's) as the open note's present: the title, the
 * revision and, when it changed, the text, the cursor moved along with the change. */
static void take_session(App *app, const char *session, int cursor) {
  const char *state = mj_member(session, "state");
  char *title = json_text(state, "title");
  char *text = json_text(state, "text");
  long long revision = 0;
  GtkListBoxRow *row = g_hash_table_lookup(app->rows, app->note_id);

  mj_int(mj_member(session, "revision"), &revision);
  app->revision = revision;
  app->has_text = mj_member(state, "text") != NULL;
  if (cursor < 0) { /* follow the change: keep the cursor where it was in the text */
    char *old = buffer_text(app);
    size_t p, s, lo = strlen(old);
    long at;
    common_ends(old, text, &p, &s);
    cursor = buffer_cursor(app);
    at = (long)(g_utf8_offset_to_pointer(old, cursor) - old);
    if (at >= (long)(lo - s)) at += (long)strlen(text) - (long)lo;   /* after the change */
    else if (at > (long)p) at = (long)(strlen(text) - s);            /* inside it: its end */
    cursor = (int)g_utf8_pointer_to_offset(text, text + at);
    g_free(old);
  }
  if (app->base_text == NULL || strcmp(app->base_text, text) != 0) set_buffer(app, text, cursor);
  else if (cursor >= 0) set_buffer(app, text, cursor);
  g_free(app->base_text);
  app->base_text = text;
  g_free(app->note_title);
  app->note_title = title;
  if (row != NULL) set_row_title(row, title);
  refresh_undo(app);
}

/* Reads the open note again (after undo, redo, save, a conflict or a failure). `cursor`
 * as take_session's: -1 follows the change. Closes the note when it is gone. */
static void reload_note(App *app, int cursor) {
  char *session = NULL;
  ws_status s;
  if (app->note_id == NULL) return;
  s = UI(ws_get_session, (app->store, FLOW, app->note_id, &session));
  if (s != WS_OK) {
    report(app, "ws_get_session", s);
  } else if (session == NULL) {
    close_note(app);
  } else {
    take_session(app, session, cursor);
  }
  ws_string_free(session);
}

static void open_note(App *app, const char *id) {
  char *session = NULL;
  ws_status s;
  flush_save(app);
  s = UI(ws_get_session, (app->store, FLOW, id, &session));
  if (s != WS_OK || session == NULL) {
    if (s != WS_OK) report(app, "ws_get_session", s);
    close_note(app);
    return;
  }
  g_free(app->note_id);
  app->note_id = g_strdup(id);
  g_clear_pointer(&app->base_text, g_free);
  take_session(app, session, 0);
  /* The cursor at the end, where one goes on writing. */
  set_buffer(app, app->base_text, (int)g_utf8_strlen(app->base_text, -1));
  gtk_widget_set_sensitive(app->text_view, TRUE);
  gtk_widget_set_sensitive(app->rename_button, TRUE);
  gtk_widget_set_sensitive(app->delete_button, TRUE);
  gtk_widget_set_sensitive(app->rename_item, TRUE);
  gtk_widget_set_sensitive(app->delete_item, TRUE);
  gtk_widget_grab_focus(app->text_view);
  ws_string_free(session);
}

/* Saves the buffer's text: ws_apply with expect_revision, a checkpoint that merges with
 * the burst's, the cursor before the edit as its meta. On WS_CONFLICT: the note as
 * stored now, the local edit made again in it (merge_edit), and another try. */
static void save_text(App *app) {
  char *local = buffer_text(app);
  int attempt;
  for (attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    GString *edit = g_string_new(NULL);
    char *result = NULL, *session = NULL, *remote, *merged;
    long long revision = 0;
    int cursor;
    ws_status s;

    g_string_append_printf(edit, "{\"expect_revision\":%" G_GINT64_FORMAT ",\"patch\":[{\"op\":\"%s\","
                           "\"path\":\"/text\",\"value\":", app->revision, app->has_text ? "replace" : "add");
    json_quote(edit, local);
    g_string_append_printf(edit, "}],\"checkpoint\":{\"label\":\"Typing\",\"merge_key\":\"typing\","
                           "\"merge_window_ms\":%d,\"meta\":{\"cursor\":%d}},\"create\":false}",
                           MERGE_WINDOW_MS, app->cursor_before);
    s = UI(ws_apply, (app->store, FLOW, app->note_id, edit->str, &result));
    g_string_free(edit, TRUE);
    if (s == WS_OK) {
      mj_int(mj_member(result, "revision"), &revision);
      ws_string_free(result);
      app->revision = revision;
      app->has_text = TRUE;
      g_free(app->base_text);
      app->base_text = local;
      app->cursor_before = buffer_cursor(app);
      refresh_undo(app);
      return;
    }
    if (s != WS_CONFLICT) { /* WS_NOT_FOUND: deleted meanwhile; else a failure */
      if (s != WS_NOT_FOUND) report(app, "ws_apply", s);
      break;
    }
    conflicts++;
    s = UI(ws_get_session, (app->store, FLOW, app->note_id, &session));
    if (s != WS_OK || session == NULL) {
      if (s != WS_OK) report(app, "ws_get_session", s);
      ws_string_free(session);
      break;
    }
    remote = json_text(mj_member(session, "state"), "text");
    merged = merge_edit(app->base_text, local, remote, &cursor);
    /* The stored note becomes the base; the merged text is the edit to save. */
    g_free(app->base_text);
    app->base_text = remote;
    mj_int(mj_member(session, "revision"), &revision);
    app->revision = revision;
    app->has_text = mj_member(mj_member(session, "state"), "text") != NULL;
    ws_string_free(session);
    if (cursor >= 0) set_buffer(app, merged, cursor);
    g_free(local);
    local = merged;
  }
  g_free(local);
  reload_note(app, -1);
}

/* The edit waiting in the buffer, saved now: before anything else reads or changes the
 * note (undo, save, another note, a change from elsewhere, closing). */
static void flush_save(App *app) {
  if (!app->save_pending) return;
  app->save_pending = FALSE;
  if (app->note_id != NULL) save_text(app);
}

static gboolean save_idle(gpointer data) {
  App *app = data;
  if (!app->closing) flush_save(app);
  return G_SOURCE_REMOVE;
}

/* The cursor before the first change of an edit (a keystroke, a paste) is its meta. */
static void on_insert_text(GtkTextBuffer *buffer, GtkTextIter *at, char *text, int len, App *app) {
  (void)buffer, (void)at, (void)text, (void)len;
  if (!app->loading && !app->save_pending) app->cursor_before = buffer_cursor(app);
}

static void on_delete_range(GtkTextBuffer *buffer, GtkTextIter *start, GtkTextIter *end, App *app) {
  (void)buffer, (void)start, (void)end;
  if (!app->loading && !app->save_pending) app->cursor_before = buffer_cursor(app);
}

/* Saved from an idle callback, just after the keystroke is handled, not from the signal:
 * a conflict sets the buffer again, which GTK does not allow while it emits insert-text. */
static void on_changed(GtkTextBuffer *buffer, App *app) {
  (void)buffer;
  if (app->loading || app->note_id == NULL || app->save_pending) return;
  app->save_pending = TRUE;
  g_idle_add(save_idle, app);
}

/* Undo or redo, then the text as stored. Undo puts the cursor back where the step began
 * (its checkpoint's meta: the cursor before the burst); redo leaves it at the end of the
 * text it brings back, as it follows any change (the entry's meta is where the step
 * began, not where it ended). */
static void travel(App *app, gboolean undo) {
  char *result = NULL;
  long long cursor = -1;
  ws_status s;
  flush_save(app);
  if (app->note_id == NULL) return;
  s = undo ? UI(ws_undo_with, (app->store, FLOW, app->note_id, &result))
           : UI(ws_redo_with, (app->store, FLOW, app->note_id, &result));
  if (s != WS_OK) {
    report(app, undo ? "ws_undo_with" : "ws_redo_with", s);
    return;
  }
  if (undo && mj_is_true(mj_member(result, "done"))) {
    const char *meta = mj_member(result, "meta");
    if (!mj_int(mj_member(meta, "cursor"), &cursor)) cursor = -1;
  }
  ws_string_free(result);
  reload_note(app, (int)cursor);
}

static void on_undo(GtkMenuItem *item, App *app) { (void)item; travel(app, TRUE); }
static void on_redo(GtkMenuItem *item, App *app) { (void)item; travel(app, FALSE); }

static void on_save(GtkMenuItem *item, App *app) {
  ws_status s;
  (void)item;
  flush_save(app);
  if (app->note_id == NULL) return;
  s = UI(ws_set_clean, (app->store, FLOW, app->note_id));
  if (s != WS_OK) report(app, "ws_set_clean", s);
  reload_note(app, -1); /* the mark took a revision */
}

/* --- The sidebar ----------------------------------------------------------------- */

/* Newest first, as the query pages: created_at descending, ties by session id. */
static int sort_rows(GtkListBoxRow *a, GtkListBoxRow *b, gpointer data) {
  int by_time = strcmp(g_object_get_data(G_OBJECT(b), "created-at"),
                       g_object_get_data(G_OBJECT(a), "created-at"));
  (void)data;
  return by_time != 0 ? by_time
                      : strcmp(g_object_get_data(G_OBJECT(b), "session-id"),
                               g_object_get_data(G_OBJECT(a), "session-id"));
}

/* Adds a note to the sidebar, or sets its title when it is there already. */
static GtkListBoxRow *put_row(App *app, const char *id, const char *created_at, const char *title) {
  GtkListBoxRow *row = g_hash_table_lookup(app->rows, id);
  if (row == NULL) {
    GtkWidget *label = gtk_label_new(NULL);
    gtk_label_set_xalign(GTK_LABEL(label), 0.0f);
    gtk_label_set_ellipsize(GTK_LABEL(label), PANGO_ELLIPSIZE_END);
    gtk_widget_set_margin_start(label, 6);
    gtk_widget_set_margin_top(label, 3);
    gtk_widget_set_margin_bottom(label, 3);
    row = GTK_LIST_BOX_ROW(gtk_list_box_row_new());
    gtk_container_add(GTK_CONTAINER(row), label);
    g_object_set_data_full(G_OBJECT(row), "session-id", g_strdup(id), g_free);
    g_object_set_data_full(G_OBJECT(row), "created-at", g_strdup(created_at), g_free);
    g_hash_table_insert(app->rows, g_strdup(id), row);
    gtk_list_box_insert(GTK_LIST_BOX(app->list), GTK_WIDGET(row), -1);
    gtk_widget_show_all(GTK_WIDGET(row));
  }
  set_row_title(row, title);
  return row;
}

static void drop_row(App *app, const char *id) {
  GtkWidget *row = g_hash_table_lookup(app->rows, id);
  if (row == NULL) return;
  g_hash_table_remove(app->rows, id);
  gtk_widget_destroy(row);
}

/* The next page of the sidebar: ws_query_sessions with the title as a field. */
static void load_page(App *app, gboolean first) {
  GString *query = g_string_new(NULL);
  char *page = NULL, *next;
  const char *row;
  ws_status s;
  if (!first && app->next_page == NULL) return;
  g_string_printf(query, "{\"order_by\":\"created_at\",\"descending\":true,\"limit\":%d,"
                  "\"fields\":[\"/title\"]", PAGE_SIZE);
  if (!first) {
    g_string_append(query, ",\"after\":");
    json_quote(query, app->next_page);
  }
  g_string_append_c(query, '}');
  s = UI(ws_query_sessions, (app->store, FLOW, query->str, &page));
  g_string_free(query, TRUE);
  if (s != WS_OK) {
    report(app, "ws_query_sessions", s);
    return;
  }
  for (row = mj_first(mj_member(page, "sessions")); row != NULL; row = mj_next(row)) {
    char *id = json_text(row, "session_id"), *created = json_text(row, "created_at");
    char *title = mj_string(mj_member(mj_member(row, "fields"), "/title"));
    put_row(app, id, created, title != NULL ? title : "");
    g_free(id);
    g_free(created);
    free(title);
  }
  next = mj_string(mj_member(page, "next"));
  g_free(app->next_page);
  app->next_page = next != NULL ? g_strdup(next) : NULL;
  free(next);
  ws_string_free(page);
  update_title(app);
}

static gboolean load_idle(gpointer data) {
  App *app = data;
  app->load_pending = FALSE;
  if (!app->closing) load_page(app, FALSE);
  return G_SOURCE_REMOVE;
}

/* Loads the next page once the list is scrolled within a screenful of its end (or does
 * not fill the view yet); from an idle callback, as the adjustment changes during the
 * list's size allocation, when rows cannot be added. */
static void maybe_load_more(GtkAdjustment *adjustment, App *app) {
  double end = gtk_adjustment_get_upper(adjustment) - gtk_adjustment_get_page_size(adjustment);
  if (app->next_page != NULL && !app->closing && !app->load_pending &&
      gtk_adjustment_get_value(adjustment) >= end - gtk_adjustment_get_page_size(adjustment)) {
    app->load_pending = TRUE;
    g_idle_add(load_idle, app);
  }
}

static void on_row_selected(GtkListBox *list, GtkListBoxRow *row, App *app) {
  const char *id;
  (void)list;
  if (row == NULL) return;
  id = g_object_get_data(G_OBJECT(row), "session-id");
  if (app->note_id == NULL || strcmp(id, app->note_id) != 0) open_note(app, id);
}

static void select_row(App *app, GtkListBoxRow *row) {
  if (row != NULL) gtk_list_box_select_row(GTK_LIST_BOX(app->list), row);
  else close_note(app);
}

/* New: a session with an empty note, made in one ws_apply ("expect_revision": 0 makes
 * sure the id is new), then opened. */
static void on_new(GtkWidget *widget, App *app) {
  char *id = g_uuid_string_random(), *session = NULL;
  ws_status s;
  (void)widget;
  flush_save(app);
  s = UI(ws_apply, (app->store, FLOW, id,
                    "{\"expect_revision\":0,\"patch\":[{\"op\":\"add\",\"path\":\"/title\",\"value\":\"Untitled\"},"
                    "{\"op\":\"add\",\"path\":\"/text\",\"value\":\"\"}]}", NULL));
  if (s == WS_OK) s = UI(ws_get_session, (app->store, FLOW, id, &session));
  if (s != WS_OK) {
    report(app, "new note", s);
  } else if (session != NULL) {
    char *created = json_text(session, "created_at");
    GtkListBoxRow *row = put_row(app, id, created, "Untitled");
    g_free(created);
    update_title(app);
    select_row(app, row);
  }
  ws_string_free(session);
  g_free(id);
}

/* Rename: a small dialog; the new title is one ws_apply of /title with a checkpoint of
 * its own (Undo Rename). No expect_revision: the patch touches /title alone, so it
 * cannot lose anyone's text, and the note is read again afterwards. */
static void on_rename(GtkWidget *widget, App *app) {
  GtkWidget *dialog, *entry;
  char *dialog_title;
  (void)widget;
  flush_save(app);
  if (app->note_id == NULL) return;
  dialog_title = g_strdup_printf("Rename note%s%s", app->instance[0] ? " \u2014 " : "", app->instance);
  dialog = gtk_dialog_new_with_buttons(dialog_title, GTK_WINDOW(app->window),
                                       GTK_DIALOG_MODAL | GTK_DIALOG_DESTROY_WITH_PARENT, "_Cancel",
                                       GTK_RESPONSE_CANCEL, "_Rename", GTK_RESPONSE_OK, NULL);
  g_free(dialog_title);
  gtk_dialog_set_default_response(GTK_DIALOG(dialog), GTK_RESPONSE_OK);
  entry = gtk_entry_new();
  gtk_entry_set_text(GTK_ENTRY(entry), app->note_title);
  gtk_entry_set_activates_default(GTK_ENTRY(entry), TRUE);
  gtk_container_set_border_width(GTK_CONTAINER(dialog), 8);
  gtk_container_add(GTK_CONTAINER(gtk_dialog_get_content_area(GTK_DIALOG(dialog))), entry);
  gtk_widget_show_all(dialog);
  g_object_ref(dialog); /* closing the window destroys the dialog while it runs */
  if (gtk_dialog_run(GTK_DIALOG(dialog)) == GTK_RESPONSE_OK && app->note_id != NULL) {
    GString *edit = g_string_new("{\"patch\":[{\"op\":\"add\",\"path\":\"/title\",\"value\":");
    ws_status s;
    json_quote(edit, gtk_entry_get_text(GTK_ENTRY(entry)));
    g_string_append_printf(edit, "}],\"checkpoint\":{\"label\":\"Rename\",\"meta\":{\"cursor\":%d}},"
                           "\"create\":false}", buffer_cursor(app));
    s = UI(ws_apply, (app->store, FLOW, app->note_id, edit->str, NULL));
    g_string_free(edit, TRUE);
    if (s != WS_OK && s != WS_NOT_FOUND) report(app, "ws_apply", s);
    reload_note(app, -1);
  }
  gtk_widget_destroy(dialog);
  g_object_unref(dialog);
}

/* Delete: ws_delete_session, then the next note in the list (or the one before) opens. */
static void on_delete(GtkWidget *widget, App *app) {
  GtkListBoxRow *row, *neighbour;
  ws_status s;
  (void)widget;
  flush_save(app);
  if (app->note_id == NULL) return;
  s = UI(ws_delete_session, (app->store, FLOW, app->note_id));
  if (s != WS_OK) {
    report(app, "ws_delete_session", s);
    return;
  }
  row = g_hash_table_lookup(app->rows, app->note_id);
  neighbour = NULL;
  if (row != NULL) {
    int index = gtk_list_box_row_get_index(row);
    neighbour = gtk_list_box_get_row_at_index(GTK_LIST_BOX(app->list), index + 1);
    if (neighbour == NULL && index > 0) neighbour = gtk_list_box_get_row_at_index(GTK_LIST_BOX(app->list), index - 1);
  }
  drop_row(app, app->note_id);
  g_clear_pointer(&app->note_id, g_free);
  select_row(app, neighbour);
}

/* --- Following the other programs: the worker and the UI thread's half ---------- */

/* The UI thread's half: one change the worker read. */
static gboolean deliver_change(gpointer data) {
  Change *change = data;
  App *app = change->app;
  if (!app->closing) flush_save(app); /* a local edit first: it merges with this change */
  if (app->closing) {
    /* the window is gone: nothing to show */
  } else if (change->reset) {
    /* The feed forgot deletions older than where we were: read the list again. */
    GList *rows = gtk_container_get_children(GTK_CONTAINER(app->list)), *r;
    for (r = rows; r != NULL; r = r->next) gtk_widget_destroy(r->data);
    g_list_free(rows);
    g_hash_table_remove_all(app->rows);
    load_page(app, TRUE);
    reload_note(app, -1);
  } else if (change->session_json == NULL) {
    drop_row(app, change->session_id);
    if (app->note_id != NULL && strcmp(app->note_id, change->session_id) == 0) close_note(app);
    update_title(app);
  } else {
    const char *state = mj_member(change->session_json, "state");
    char *title = json_text(state, "title"), *created = json_text(change->session_json, "created_at");
    put_row(app, change->session_id, created, title);
    if (app->note_id != NULL && strcmp(app->note_id, change->session_id) == 0) {
      long long revision = 0;
      mj_int(mj_member(change->session_json, "revision"), &revision);
      if (revision > app->revision) take_session(app, change->session_json, -1);
    }
    update_title(app);
    g_free(title);
    g_free(created);
  }
  g_free(change->session_id);
  g_free(change->session_json);
  g_free(change);
  return G_SOURCE_REMOVE;
}

static void post_change(App *app, gboolean reset, const char *id, char *session_json) {
  Change *change = g_new0(Change, 1);
  change->app = app;
  change->reset = reset;
  change->session_id = g_strdup(id);
  change->session_json = session_json != NULL ? g_strdup(session_json) : NULL;
  g_idle_add(deliver_change, change);
}

/* Reads every change after `seen` and posts each; returns where the feed goes on. */
static gint64 read_changes(App *app, gint64 seen) {
  for (;;) {
    char *feed = NULL;
    const char *change;
    long long last = seen;
    ws_status s = ws_changes_since(app->store, FLOW, seen, 0, &feed);
    if (s != WS_OK) {
      fprintf(stderr, "notes: ws_changes_since: %s: %s\n", ws_status_name(s), ws_last_error_message());
      g_usleep(WAIT_SLICE_MS * 1000); /* then the worker's loop tries again */
      return seen;
    }
    if (mj_is_true(mj_member(feed, "reset"))) post_change(app, TRUE, NULL, NULL);
    for (change = mj_first(mj_member(feed, "changes")); change != NULL; change = mj_next(change)) {
      char *id = mj_string(mj_member(change, "session_id")), *session = NULL;
      if (id == NULL) continue;
      if (!mj_is_true(mj_member(change, "deleted"))) {
        s = ws_get_session(app->store, FLOW, id, &session);
        if (s != WS_OK) fprintf(stderr, "notes: ws_get_session: %s: %s\n", ws_status_name(s), ws_last_error_message());
      }
      if (s == WS_OK) post_change(app, FALSE, id, session); /* NULL session: deleted */
      ws_string_free(session);
      free(id);
    }
    mj_int(mj_member(feed, "last_seq"), &last);
    seen = last;
    if (!mj_is_true(mj_member(feed, "more"))) {
      ws_string_free(feed);
      return seen;
    }
    ws_string_free(feed);
  }
}

/* The worker: waits for changes a slice at a time, so that it sees the quit flag. */
static gpointer worker_main(gpointer data) {
  App *app = data;
  gint64 seen = app->start_seq;
  while (!g_atomic_int_get(&app->stop)) {
    int64_t latest = 0;
    ws_status s = ws_wait_for_change(app->store, seen, WAIT_SLICE_MS, &latest);
    if (s != WS_OK) {
      fprintf(stderr, "notes: ws_wait_for_change: %s: %s\n", ws_status_name(s), ws_last_error_message());
      g_usleep(WAIT_SLICE_MS * 1000);
    } else if (latest > seen) {
      seen = read_changes(app, seen);
    }
  }
  return NULL;
}

/* --- Statistics, signals, the window --------------------------------------------- */

static void write_stats(App *app) {
  char *tmp, *text;
  FILE *file;
  const char *c;
  if (app->stats_path == NULL) return;
  tmp = g_strdup_printf("%s.tmp", app->stats_path);
  file = fopen(tmp, "w");
  if (file == NULL) {
    perror(tmp);
    g_free(tmp);
    return;
  }
  fprintf(file, "longest_ms=%.3f\nlongest_call=%s\ncalls=%ld\nconflicts=%ld\nnote=%s\ntext=",
          span_timing.longest_ms, span_timing.longest_name != NULL ? span_timing.longest_name : "none",
          span_timing.calls, conflicts, app->note_id != NULL ? app->note_id : "");
  text = app->closing ? g_strdup("") : buffer_text(app);
  for (c = text; *c != '\0'; c++) { /* one line: \ and newlines escaped */
    if (*c == '\\') fputs("\\\\", file);
    else if (*c == '\n') fputs("\\n", file);
    else fputc(*c, file);
  }
  fputc('\n', file);
  g_free(text);
  if (fclose(file) != 0 || rename(tmp, app->stats_path) != 0) perror(app->stats_path);
  g_free(tmp);
}

static gboolean on_sigusr1(gpointer data) {
  write_stats(data);
  memset(&span_timing, 0, sizeof span_timing);
  conflicts = 0;
  return G_SOURCE_CONTINUE;
}

static gboolean on_quit_signal(gpointer data) {
  App *app = data;
  if (app->window != NULL) gtk_widget_destroy(app->window);
  return G_SOURCE_CONTINUE;
}

static void on_quit(GtkWidget *widget, App *app) {
  (void)widget;
  if (app->window != NULL) gtk_widget_destroy(app->window);
}

static void on_destroy(GtkWidget *window, App *app) {
  (void)window;
  flush_save(app);
  write_stats(app); /* while the buffer is still there */
  app->closing = TRUE;
  app->window = NULL;
  gtk_main_quit();
}

static GtkWidget *menu_item(GtkWidget *menu, GtkAccelGroup *accel, const char *label, guint key,
                            GdkModifierType mods, GCallback callback, App *app) {
  GtkWidget *item = gtk_menu_item_new_with_mnemonic(label);
  if (key != 0) gtk_widget_add_accelerator(item, "activate", accel, key, mods, GTK_ACCEL_VISIBLE);
  g_signal_connect(item, "activate", callback, app);
  gtk_menu_shell_append(GTK_MENU_SHELL(menu), item);
  return item;
}

static void build_window(App *app) {
  GtkAccelGroup *accel = gtk_accel_group_new();
  GtkWidget *vbox = gtk_box_new(GTK_ORIENTATION_VERTICAL, 0);
  GtkWidget *bar = gtk_menu_bar_new(), *note_menu = gtk_menu_new(), *edit_menu = gtk_menu_new();
  GtkWidget *note = gtk_menu_item_new_with_mnemonic("_Note"), *edit = gtk_menu_item_new_with_mnemonic("_Edit");
  GtkWidget *paned = gtk_paned_new(GTK_ORIENTATION_HORIZONTAL);
  GtkWidget *side = gtk_box_new(GTK_ORIENTATION_VERTICAL, 4);
  GtkWidget *buttons = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 4);
  GtkWidget *new_button = gtk_button_new_with_label("New");
  GtkWidget *text_scroller = gtk_scrolled_window_new(NULL, NULL);

  app->window = gtk_window_new(GTK_WINDOW_TOPLEVEL);
  gtk_window_set_default_size(GTK_WINDOW(app->window), 620, 380);
  gtk_window_add_accel_group(GTK_WINDOW(app->window), accel);
  g_object_unref(accel); /* the window holds it */

  gtk_menu_item_set_submenu(GTK_MENU_ITEM(note), note_menu);
  gtk_menu_item_set_submenu(GTK_MENU_ITEM(edit), edit_menu);
  gtk_menu_shell_append(GTK_MENU_SHELL(bar), note);
  gtk_menu_shell_append(GTK_MENU_SHELL(bar), edit);
  menu_item(note_menu, accel, "_New", GDK_KEY_n, GDK_CONTROL_MASK, G_CALLBACK(on_new), app);
  app->rename_item = menu_item(note_menu, accel, "_Rename\u2026", GDK_KEY_F2, 0, G_CALLBACK(on_rename), app);
  app->delete_item = menu_item(note_menu, accel, "_Delete", GDK_KEY_Delete, GDK_CONTROL_MASK | GDK_SHIFT_MASK,
                               G_CALLBACK(on_delete), app);
  menu_item(note_menu, accel, "_Quit", GDK_KEY_q, GDK_CONTROL_MASK, G_CALLBACK(on_quit), app);
  app->undo_item = menu_item(edit_menu, accel, "Undo", GDK_KEY_z, GDK_CONTROL_MASK, G_CALLBACK(on_undo), app);
  app->redo_item = menu_item(edit_menu, accel, "Redo", GDK_KEY_z, GDK_CONTROL_MASK | GDK_SHIFT_MASK,
                             G_CALLBACK(on_redo), app);
  menu_item(edit_menu, accel, "_Save", GDK_KEY_s, GDK_CONTROL_MASK, G_CALLBACK(on_save), app);
  gtk_box_pack_start(GTK_BOX(vbox), bar, FALSE, FALSE, 0);

  app->list = gtk_list_box_new();
  gtk_list_box_set_sort_func(GTK_LIST_BOX(app->list), sort_rows, NULL, NULL);
  g_signal_connect(app->list, "row-selected", G_CALLBACK(on_row_selected), app);
  app->scroller = gtk_scrolled_window_new(NULL, NULL);
  gtk_scrolled_window_set_policy(GTK_SCROLLED_WINDOW(app->scroller), GTK_POLICY_NEVER, GTK_POLICY_AUTOMATIC);
  gtk_container_add(GTK_CONTAINER(app->scroller), app->list);
  {
    GtkAdjustment *adjustment = gtk_scrolled_window_get_vadjustment(GTK_SCROLLED_WINDOW(app->scroller));
    g_signal_connect(adjustment, "value-changed", G_CALLBACK(maybe_load_more), app);
    g_signal_connect(adjustment, "changed", G_CALLBACK(maybe_load_more), app);
  }
  app->rename_button = gtk_button_new_with_label("Rename");
  app->delete_button = gtk_button_new_with_label("Delete");
  g_signal_connect(new_button, "clicked", G_CALLBACK(on_new), app);
  g_signal_connect(app->rename_button, "clicked", G_CALLBACK(on_rename), app);
  g_signal_connect(app->delete_button, "clicked", G_CALLBACK(on_delete), app);
  gtk_box_pack_start(GTK_BOX(buttons), new_button, TRUE, TRUE, 0);
  gtk_box_pack_start(GTK_BOX(buttons), app->rename_button, TRUE, TRUE, 0);
  gtk_box_pack_start(GTK_BOX(buttons), app->delete_button, TRUE, TRUE, 0);
  gtk_box_pack_start(GTK_BOX(side), app->scroller, TRUE, TRUE, 0);
  gtk_box_pack_start(GTK_BOX(side), buttons, FALSE, FALSE, 0);
  gtk_widget_set_size_request(side, 200, -1);

  app->text_view = gtk_text_view_new();
  gtk_text_view_set_wrap_mode(GTK_TEXT_VIEW(app->text_view), GTK_WRAP_WORD_CHAR);
  gtk_text_view_set_left_margin(GTK_TEXT_VIEW(app->text_view), 6);
  app->buffer = gtk_text_view_get_buffer(GTK_TEXT_VIEW(app->text_view));
  g_signal_connect(app->buffer, "insert-text", G_CALLBACK(on_insert_text), app);
  g_signal_connect(app->buffer, "delete-range", G_CALLBACK(on_delete_range), app);
  g_signal_connect(app->buffer, "changed", G_CALLBACK(on_changed), app);
  gtk_container_add(GTK_CONTAINER(text_scroller), app->text_view);

  gtk_paned_pack1(GTK_PANED(paned), side, FALSE, FALSE);
  gtk_paned_pack2(GTK_PANED(paned), text_scroller, TRUE, FALSE);
  gtk_box_pack_start(GTK_BOX(vbox), paned, TRUE, TRUE, 0);
  app->status = gtk_label_new("");
  gtk_label_set_xalign(GTK_LABEL(app->status), 0.0f);
  gtk_label_set_ellipsize(GTK_LABEL(app->status), PANGO_ELLIPSIZE_END);
  gtk_box_pack_start(GTK_BOX(vbox), app->status, FALSE, FALSE, 2);
  gtk_container_add(GTK_CONTAINER(app->window), vbox);
  g_signal_connect(app->window, "destroy", G_CALLBACK(on_destroy), app);
}

int main(int argc, char **argv) {
  App app;
  ws_status s;
  double open_ms;
  int64_t seq = 0;

  gtk_init(&argc, &argv);
  if (argc < 2 || argc > 3) {
    fprintf(stderr, "usage: %s DATABASE [INSTANCE]\n", argv[0]);
    return 2;
  }
  memset(&app, 0, sizeof app);
  app.instance = argc > 2 ? argv[2] : "";
  app.stats_path = getenv("WS_NOTES_STATS");
  app.rows = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);

  /* Opening creates or migrates the schema: before the window shows, and timed apart. */
  open_ms = now_ms();
  s = ws_store_open(argv[1], &app.store);
  open_ms = now_ms() - open_ms;
  if (s != WS_OK) {
    fprintf(stderr, "notes: ws_store_open %s: %s: %s\n", argv[1], ws_status_name(s), ws_last_error_message());
    g_hash_table_destroy(app.rows);
    return 1;
  }

  build_window(&app);
  /* The feed is followed from before the first page, so no change is missed. */
  s = UI(ws_latest_seq, (app.store, &seq));
  if (s != WS_OK) report(&app, "ws_latest_seq", s);
  app.start_seq = seq;
  load_page(&app, TRUE);
  close_note(&app);
  select_row(&app, gtk_list_box_get_row_at_index(GTK_LIST_BOX(app.list), 0));
  app.worker = g_thread_new("notes-follow", worker_main, &app);
  g_unix_signal_add(SIGTERM, on_quit_signal, &app);
  g_unix_signal_add(SIGINT, on_quit_signal, &app);
  g_unix_signal_add(SIGUSR1, on_sigusr1, &app);
  gtk_widget_show_all(app.window);
  gtk_main();

  /* The worker sees the flag within one wait slice; the changes it queued meanwhile are
   * freed by their callbacks, which see app.closing. */
  g_atomic_int_set(&app.stop, 1);
  g_thread_join(app.worker);
  while (g_main_context_iteration(NULL, FALSE)) continue;

  printf("ui-thread longest library call: %.2f ms (%s), %ld calls; ws_store_open took %.2f ms before the "
         "window showed\n",
         run_timing.longest_ms, run_timing.longest_name != NULL ? run_timing.longest_name : "none",
         run_timing.calls, open_ms);
  ws_store_close(app.store);
  g_hash_table_destroy(app.rows);
  g_free(app.next_page);
  g_free(app.note_id);
  g_free(app.note_title);
  g_free(app.base_text);
  return 0;
}
