/* A program built outside this project against an installed workflow_state: it checks
 * the version it was given, then writes a session, closes the store, reopens it and
 * reads the state back. Usage: consumer DATABASE EXPECTED_VERSION */
#ifdef WS_CONSUMER_IMPORT_MODULE
@import CWorkflowState; /* the module-map test: Objective-C with -fmodules */
#else
#include <workflow_state.h>
#endif

#include <stdio.h>
#include <string.h>

static int fail(const char *what, ws_status status) {
  fprintf(stderr, "consumer: %s: %s: %s\n", what, ws_status_name(status), ws_last_error_message());
  return 1;
}

int main(int argc, char **argv) {
  ws_store *store = NULL;
  char *state = NULL;
  ws_status status;
  int mismatch;

  if (argc != 3) {
    fprintf(stderr, "usage: consumer DATABASE EXPECTED_VERSION\n");
    return 2;
  }
  if (strcmp(ws_version(), argv[2]) != 0) {
    fprintf(stderr, "consumer: loaded version %s, expected %s\n", ws_version(), argv[2]);
    return 1;
  }
  if ((status = ws_store_open(argv[1], &store)) != WS_OK) return fail("open", status);
  status = ws_update_state(store, "install", "s1", "{\"a\":1}");
  if (status == WS_OK) status = ws_update_state(store, "install", "s1", "{\"b\":[true]}");
  ws_store_close(store);
  if (status != WS_OK) return fail("update", status);

  if ((status = ws_store_open(argv[1], &store)) != WS_OK) return fail("reopen", status);
  status = ws_get_state(store, "install", "s1", &state);
  ws_store_close(store);
  if (status != WS_OK) return fail("get_state", status);
  mismatch = strcmp(state, "{\"a\":1,\"b\":[true]}") != 0;
  printf("consumer: workflow_state %s read back %s\n", ws_version(), state);
  ws_string_free(state);
  return mismatch;
}
