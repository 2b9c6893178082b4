/* Helpers shared by the table-driven C tests (test_state.c, test_sessions.c). */
#ifndef WS_TEST_TABLE_CHECK_H
#define WS_TEST_TABLE_CHECK_H

#include "check.h"

#include <time.h>

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* What the current table-driven check is doing, printed if a CHECK fails (CHECK exits). */
static char g_context[1024];
static int g_done;

static void print_context(void) {
  if (!g_done && g_context[0] != '\0') fprintf(stderr, "  while checking: %s\n", g_context);
}

/* `text` with non-printable bytes escaped, for g_context. */
static const char *printable(const char *text, char *buffer, size_t size) {
  size_t n = 0;
  if (text == NULL) {
    snprintf(buffer, size, "NULL");
    return buffer;
  }
  if (size < 8) return "";
  buffer[n++] = '"';
  for (; *text != '\0' && n + 6 < size; text++) {
    unsigned char c = (unsigned char)*text;
    if (c < 0x20 || c >= 0x7f) n += (size_t)snprintf(buffer + n, size - n, "\\x%02x", c);
    else buffer[n++] = (char)c;
  }
  buffer[n++] = '"';
  buffer[n] = '\0';
  return buffer;
}

static void sleep_ms(long ms) {
  struct timespec t;
  t.tv_sec = ms / 1000;
  t.tv_nsec = (ms % 1000) * 1000000L;
  while (nanosleep(&t, &t) != 0) {
  }
}

/* Waits until the clock reaches the next whole second. Timestamps are whole seconds, so
 * after this any write that sets updated_at changes it: a test can then tell a call that
 * touched a session from one that did not. */
static void next_second(void) {
  time_t start = time(NULL);
  while (time(NULL) == start) {
    sleep_ms(10);
  }
}

static ws_store *open_memory(void) {
  ws_store *store = (ws_store *)DUMMY;
  CHECK_OK(ws_store_open(":memory:", &store));
  CHECK(store != NULL && store != (ws_store *)DUMMY);
  return store;
}

/* Opens (creating) `<test>.d/store.db`; `path` receives the file path. */
static ws_store *open_file(const char *test, char *path, size_t size, int fresh) {
  ws_store *store = NULL;
  char dir[4096];
  if (fresh) {
    snprintf(dir, sizeof dir, "%s", fresh_dir(test));
    path_in(path, size, dir, "store.db");
  }
  CHECK_OK(ws_store_open(path, &store));
  CHECK(store != NULL);
  return store;
}

/* A malloc'd copy of a library string (NULL stays NULL); frees the library string. */
static char *take(char *library_string) {
  char *copy = NULL;
  if (library_string != NULL) {
    copy = (char *)malloc(strlen(library_string) + 1);
    CHECK(copy != NULL);
    strcpy(copy, library_string);
  }
  ws_string_free(library_string);
  return copy;
}

static bool exists(ws_store *store, const char *flow, const char *session) {
  bool found = true;
  CHECK_OK(ws_session_exists(store, flow, session, &found));
  return found;
}

static char *summary_copy(ws_store *store, const char *flow, const char *session) {
  char *summary = DUMMY;
  CHECK_OK(ws_get_session_summary(store, flow, session, &summary));
  CHECK(summary != DUMMY);
  return take(summary);
}

static char *list_copy(ws_store *store, const char *flow, ws_order_by order, bool descending) {
  char *list = DUMMY;
  CHECK_OK(ws_list_sessions(store, flow, order, descending, &list));
  CHECK(list != NULL && list != DUMMY);
  return take(list);
}

/* The flow's list and the session's state, as one malloc'd string: what must not change
 * when a call fails. */
static char *snapshot(ws_store *store, const char *flow, const char *session) {
  char *list = list_copy(store, flow, WS_ORDER_CREATED_AT, false);
  char *state = state_copy(store, flow, session);
  size_t size = strlen(list) + strlen(state) + 2;
  char *both = (char *)malloc(size);
  CHECK(both != NULL);
  snprintf(both, size, "%s|%s", list, state);
  free(list);
  free(state);
  return both;
}

#define CHECK_UNCHANGED(store, flow, session, before)                                 \
  do {                                                                                \
    char *after_ = snapshot((store), (flow), (session));                              \
    check_str_at(__FILE__, __LINE__, "store contents after the call", after_, (before)); \
    free(after_);                                                                     \
  } while (0)

#endif
