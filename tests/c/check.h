/* Minimal assertions for the C tests: each failure prints where and why, then exits 1,
 * so CTest reports the test as failed. */
#ifndef WS_TEST_CHECK_H
#define WS_TEST_CHECK_H

#include "workflow_state.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(cond)                                                                   \
  do {                                                                                \
    if (!(cond)) {                                                                    \
      fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);        \
      exit(1);                                                                        \
    }                                                                                 \
  } while (0)

/* The call must return `expected`; on a mismatch prints both names and the message. */
#define CHECK_STATUS(call, expected) check_status_at(__FILE__, __LINE__, #call, (call), (expected))
#define CHECK_OK(call) CHECK_STATUS(call, WS_OK)

/* Two C strings (either may be NULL) must be equal. */
#define CHECK_STR(actual, expected) check_str_at(__FILE__, __LINE__, #actual, (actual), (expected))

/* The last error message on this thread must contain `needle`. */
#define CHECK_MESSAGE_HAS(needle) check_message_at(__FILE__, __LINE__, (needle))

static inline void check_status_at(const char *file, int line, const char *call, ws_status got,
                            ws_status expected) {
  if (got != expected) {
    fprintf(stderr, "%s:%d: %s\n  returned %s, expected %s\n  message: %s\n", file, line, call,
            ws_status_name(got), ws_status_name(expected), ws_last_error_message());
    exit(1);
  }
  if (got == WS_OK && ws_last_error_message()[0] != '\0') {
    fprintf(stderr, "%s:%d: %s\n  returned WS_OK but left the message \"%s\"\n", file, line,
            call, ws_last_error_message());
    exit(1);
  }
  if (got != WS_OK && ws_last_error_message()[0] == '\0') {
    fprintf(stderr, "%s:%d: %s\n  returned %s with an empty message\n", file, line, call,
            ws_status_name(got));
    exit(1);
  }
}

static inline void check_str_at(const char *file, int line, const char *what, const char *actual,
                         const char *expected) {
  int same = (actual == NULL || expected == NULL) ? actual == expected
                                                  : strcmp(actual, expected) == 0;
  if (!same) {
    fprintf(stderr, "%s:%d: %s\n  is:       %s\n  expected: %s\n", file, line, what,
            actual ? actual : "(NULL)", expected ? expected : "(NULL)");
    exit(1);
  }
}

static inline void check_message_at(const char *file, int line, const char *needle) {
  if (strstr(ws_last_error_message(), needle) == NULL) {
    fprintf(stderr, "%s:%d: the last error message \"%s\" does not contain \"%s\"\n", file, line,
            ws_last_error_message(), needle);
    exit(1);
  }
}

/* Copies the string value of `"key":"..."` in `json` (a value without escapes) into
 * `buffer`. */
static inline void string_field(const char *json, const char *key, char *buffer, size_t size) {
  char pattern[64];
  const char *start, *end;
  snprintf(pattern, sizeof pattern, "\"%s\":\"", key);
  start = strstr(json, pattern);
  CHECK(start != NULL);
  start += strlen(pattern);
  end = strchr(start, '"');
  CHECK(end != NULL && (size_t)(end - start) < size);
  memcpy(buffer, start, (size_t)(end - start));
  buffer[end - start] = '\0';
}

/* A fresh, empty directory `<cwd>/<name>.d` for a test's files; returns its path
 * (static storage). */
static inline const char *fresh_dir(const char *name) {
  static char dir[1024];
  char command[2 * sizeof dir + 64];
  CHECK((size_t)snprintf(dir, sizeof dir, "%s.d", name) < sizeof dir);
  CHECK((size_t)snprintf(command, sizeof command, "rm -rf '%s' && mkdir -p '%s'", dir, dir) <
        sizeof command);
  CHECK(system(command) == 0);
  return dir;
}

/* `dir + "/" + file` in a buffer the caller provides. */
static inline const char *path_in(char *buffer, size_t size, const char *dir, const char *file) {
  CHECK((size_t)snprintf(buffer, size, "%s/%s", dir, file) < size);
  return buffer;
}

/* The session state as a malloc'd copy (free with free()), so that tests can compare
 * before and after a failing call. */
static inline char *state_copy(ws_store *store, const char *flow, const char *session) {
  char *json = NULL;
  char *copy;
  CHECK_OK(ws_get_state(store, flow, session, &json));
  copy = (char *)malloc(strlen(json) + 1);
  CHECK(copy != NULL);
  strcpy(copy, json);
  ws_string_free(json);
  return copy;
}

/* The session state must equal `expected`. */
#define CHECK_STATE(store, flow, session, expected)                                   \
  do {                                                                                \
    char *state_ = state_copy((store), (flow), (session));                             \
    check_str_at(__FILE__, __LINE__, "ws_get_state", state_, (expected));                 \
    free(state_);                                                                     \
  } while (0)

/* A non-NULL placeholder for an out-parameter: a call that leaves it alone shows. */
#define DUMMY ((char *)"dummy")

/* Runs `call`, which hands a library string out through `&out_`, and checks that the
 * string equals `expected` (NULL included); frees it. */
#define CHECK_OUT(call, expected)                                               \
  do {                                                                          \
    char *out_ = DUMMY;                                                         \
    CHECK_OK(call);                                                             \
    check_str_at(__FILE__, __LINE__, #call, out_, (expected));                  \
    ws_string_free(out_);                                                       \
  } while (0)

#define CHECK_CURRENT_STEP(store, flow, session, expected) \
  CHECK_OUT(ws_get_current_step((store), (flow), (session), &out_), (expected))
#define CHECK_STEP_STATE(store, flow, session, step, expected) \
  CHECK_OUT(ws_get_step_state((store), (flow), (session), (step), &out_), (expected))
/* ws_undo_status must give exactly `expected` (key order included). */
#define CHECK_UNDO_STATUS(store, flow, session, expected) \
  CHECK_OUT(ws_undo_status((store), (flow), (session), &out_), (expected))
/* The end of ws_undo_status's text, after "redo_label", for a session whose entries
 * carry no meta (ws_checkpoint, not ws_checkpoint_with) and whose state ws_set_clean
 * never marked. */
#define NO_META_NOT_CLEAN ",\"undo_meta\":null,\"redo_meta\":null,\"clean\":false}"
/* ws_history_peek / ws_history_pop must give `expected` (NULL: an empty stack). */
#define CHECK_PEEK(store, flow, session, expected) \
  CHECK_OUT(ws_history_peek((store), (flow), (session), &out_), (expected))
#define CHECK_POP(store, flow, session, expected) \
  CHECK_OUT(ws_history_pop((store), (flow), (session), &out_), (expected))

#endif
