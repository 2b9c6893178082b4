// No leak when copying a result fails: the string the library returned is owned from
// the moment the C call returns, so a std::bad_alloc while copying it into a
// std::string still releases it (with ws_string_free). valgrind (the test runs under
// ${WS_MEMCHECK}) reports any leak as a failure. A bad_alloc while copying an argument
// comes before the C call, so nothing is written.
//
// This program replaces the global operator new to fail on demand; the library itself
// allocates with malloc, so only the C++ side's allocations fail.
#include "check.hpp"

#include <cstdlib>
#include <new>
#include <string>

namespace {
// The number of operator new calls that still succeed; -1: all do.
int g_allocations_left = -1;
}  // namespace

void *operator new(std::size_t size) {
  if (g_allocations_left == 0) {
    g_allocations_left = -1;  // fail once
    throw std::bad_alloc();
  }
  if (g_allocations_left > 0) g_allocations_left--;
  if (void *p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void operator delete(void *p) noexcept { std::free(p); }
void operator delete(void *p, std::size_t) noexcept { std::free(p); }

namespace {

// `call` must throw std::bad_alloc when the C++ allocations after the first
// `succeeding` ones fail.
#define CHECK_BAD_ALLOC(succeeding, call) \
  check_bad_alloc_at(__LINE__, #call, (succeeding), [&] { (void)(call); })

template <typename F>
void check_bad_alloc_at(int line, const char *call, int succeeding, F f) {
  bool thrown = false;
  g_allocations_left = succeeding;
  try {
    f();
  } catch (const std::bad_alloc &) {
    thrown = true;
  }
  const bool all_used = g_allocations_left == -1;
  g_allocations_left = -1;
  if (!thrown || !all_used) {
    std::fprintf(stderr, "test_alloc_failure.cpp:%d: %s\n  %s\n", line, call,
                 thrown ? "threw std::bad_alloc before reaching the failing allocation"
                        : "did not throw std::bad_alloc");
    std::exit(1);
  }
}

// Longer than any small-string buffer, so that copying it allocates.
const std::string kLong(200, 'x');

}  // namespace

static void run() {
  const std::string long_object = "{\"text\":\"" + kLong + "\"}";
  const std::string long_json_string = "\"" + kLong + "\"";
  ws::Store store = ws::Store::open(":memory:");
  store.update_state("f", "s", long_object);
  store.update_step_state("f", "s", "step", long_object);
  store.set_current_step("f", "s", kLong);
  store.history_push("f", "s", long_json_string);
  store.checkpoint("f", "s");
  const std::string state = store.get_state("f", "s");

  // The short arguments fit in std::string's own buffer, so the first allocation of
  // each call is the copy of its result.
  CHECK_BAD_ALLOC(0, store.get_state("f", "s"));
  CHECK_BAD_ALLOC(0, store.get_current_step("f", "s"));
  CHECK_BAD_ALLOC(0, store.get_step_state("f", "s", "step"));
  CHECK_BAD_ALLOC(0, store.get_session_summary("f", "s"));
  CHECK_BAD_ALLOC(0, store.list_sessions("f"));
  CHECK_BAD_ALLOC(0, store.undo_status("f", "s"));
  CHECK_BAD_ALLOC(0, store.history_peek("f", "s"));
  CHECK_BAD_ALLOC(0, store.get_session("f", "s"));
  CHECK_BAD_ALLOC(0, store.changes_since(std::nullopt, 0));
  // These succeed in the library before the copy fails: the entry is popped, the
  // session created and the edit applied, as the header says.
  CHECK_BAD_ALLOC(0, store.history_pop("f", "s"));
  CHECK(store.history_len("f", "s") == 0);
  CHECK_BAD_ALLOC(0, store.create_session("f"));  // a 36-character UUID
  CHECK_BAD_ALLOC(0, store.apply("f", "s", R"({"step":"y"})"));
  CHECK(store.get_current_step("f", "s") == "y");

  // Here the first allocation copies the argument, the next ones the results. A pop's
  // two results are both owned: failing on the first copy or on the second.
  CHECK_BAD_ALLOC(1, ws::json_history_push("[]", long_json_string));
  const std::string history = "[" + long_json_string + "," + long_json_string + "]";
  CHECK_BAD_ALLOC(1, ws::json_history_pop(history));
  CHECK_BAD_ALLOC(2, ws::json_history_pop(history));

  // A failed argument copy comes before the C call: nothing is written.
  const std::string other = "{\"other\":\"" + kLong + "\"}";
  CHECK_BAD_ALLOC(0, store.update_state("f", "s", other));
  CHECK_BAD_ALLOC(0, store.history_push("f", "s", long_json_string));
  CHECK(store.get_state("f", "s") == state);
  CHECK(store.history_len("f", "s") == 0);

  // A failed call whose ws::Error cannot be built (copying the message fails) still
  // leaks nothing.
  CHECK_BAD_ALLOC(0, store.update_state("f", "s", "[]"));
  std::puts("ok no leak when a copy fails");
}

int main() { return run_tests(run); }
