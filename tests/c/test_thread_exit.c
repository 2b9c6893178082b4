/* ws_ calls made while a thread exits, from a pthread key destructor: glibc runs those
 * after the thread-local destructors of Rust, so the library's per-thread message is
 * already gone. No call may abort the process; each still returns its status, and
 * ws_last_error_message() still gives a readable string. */
#include "check.h"

#include <pthread.h>

static pthread_key_t g_key;
static ws_store *g_store;

/* What the destructor saw, checked by the main thread after the join (a CHECK inside
 * the destructor would exit the process from a thread that is already exiting). */
static struct {
  int ran;
  ws_status failing;     /* ws_get_state(NULL, ...) */
  ws_status succeeding;  /* ws_update_state on the real store */
  ws_status reading;     /* ws_get_state on the real store */
  char state[64];        /* what that read returned */
  char after_failure[256];
  char after_success[256];
  int after_failure_null, after_success_null;
} g_seen;

static void copy_message(char *to, size_t size, int *was_null) {
  const char *message = ws_last_error_message();
  *was_null = message == NULL;
  snprintf(to, size, "%s", message ? message : "");
}

static void at_thread_exit(void *value) {
  char *state = NULL;
  (void)value;
  g_seen.failing = ws_get_state(NULL, "f", "s", &state);
  copy_message(g_seen.after_failure, sizeof g_seen.after_failure, &g_seen.after_failure_null);
  g_seen.succeeding = ws_update_state(g_store, "f", "s", "{\"by\":\"destructor\"}");
  g_seen.reading = ws_get_state(g_store, "f", "s", &state);
  copy_message(g_seen.after_success, sizeof g_seen.after_success, &g_seen.after_success_null);
  snprintf(g_seen.state, sizeof g_seen.state, "%s", state ? state : "(NULL)");
  ws_string_free(state);
  g_seen.ran = 1;
}

static void *thread_main(void *arg) {
  char *state = NULL;
  (void)arg;
  CHECK(pthread_setspecific(g_key, &g_key) == 0);
  /* A failing call first, so that the thread's message exists, and is destroyed at exit
   * before the key destructor runs. */
  CHECK_STATUS(ws_get_state(NULL, "f", "s", &state), WS_INVALID_ARGUMENT);
  CHECK_MESSAGE_HAS("store must not be NULL");
  return NULL;
}

int main(void) {
  pthread_t thread;
  CHECK_OK(ws_store_open(":memory:", &g_store));
  CHECK(pthread_key_create(&g_key, at_thread_exit) == 0);
  CHECK(pthread_create(&thread, NULL, thread_main, NULL) == 0);
  /* The join returns once the thread has finished, key destructors included. */
  CHECK(pthread_join(thread, NULL) == 0);
  CHECK(g_seen.ran);
  CHECK_STR(ws_status_name(g_seen.failing), "WS_INVALID_ARGUMENT");
  CHECK(!g_seen.after_failure_null);
  CHECK(strstr(g_seen.after_failure, "unavailable") != NULL);
  CHECK_STR(ws_status_name(g_seen.succeeding), "WS_OK");
  CHECK_STR(ws_status_name(g_seen.reading), "WS_OK");
  CHECK_STR(g_seen.state, "{\"by\":\"destructor\"}");
  CHECK(!g_seen.after_success_null);
  CHECK_STR(g_seen.after_success, "");
  /* The write made from the destructor is in the store. */
  CHECK_STATE(g_store, "f", "s", "{\"by\":\"destructor\"}");
  CHECK(pthread_key_delete(g_key) == 0);
  ws_store_close(g_store);
  puts("ok");
  return 0;
}
