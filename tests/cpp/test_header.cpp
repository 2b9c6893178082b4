// The C header used from C++17 with warnings as errors: it must compile as is
// (extern "C" guards, no C-only constructs) and link.
#include "workflow_state.h"

#include <cstdio>
#include <cstring>
#include <string>

#define CHECK(cond)                                                              \
  do {                                                                           \
    if (!(cond)) {                                                               \
      std::fprintf(stderr, "%s:%d: CHECK failed: %s (%s)\n", __FILE__, __LINE__, \
                   #cond, ws_last_error_message());                              \
      return 1;                                                                  \
    }                                                                            \
  } while (0)

int main() {
  ws_store *store = nullptr;
  CHECK(ws_store_open(":memory:", &store) == WS_OK);
  CHECK(ws_update_state(store, "wizard", "s1", R"({"name":"Ada","n":1180591620717411303424})") == WS_OK);
  char *json = nullptr;
  CHECK(ws_get_state(store, "wizard", "s1", &json) == WS_OK);
  std::string state(json);
  ws_string_free(json);
  CHECK(state == R"({"name":"Ada","n":1180591620717411303424})");

  bool exists = false;
  CHECK(ws_session_exists(store, "wizard", "s1", &exists) == WS_OK && exists);
  CHECK(ws_list_sessions(store, "wizard", WS_ORDER_LABEL, false, &json) == WS_OK);
  CHECK(std::strstr(json, R"("session_id":"s1")") != nullptr);
  ws_string_free(json);

  CHECK(ws_get_state(store, "a:b", "s1", &json) == WS_INVALID_ARGUMENT && json == nullptr);
  CHECK(std::string(ws_status_name(WS_INVALID_ARGUMENT)) == "WS_INVALID_ARGUMENT");
  ws_store_close(store);
  std::puts("C++17 use of workflow_state.h: ok");
  return 0;
}
