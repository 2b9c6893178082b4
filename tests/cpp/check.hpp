// Minimal assertions for the C++ tests, in the style of tests/c/check.h: each failure
// prints where and why, then exits 1, so CTest reports the test as failed.
#ifndef WS_TEST_CHECK_HPP
#define WS_TEST_CHECK_HPP

#include "workflow_state.hpp"

#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

#define CHECK(cond)                                                                   \
  do {                                                                                \
    if (!(cond)) {                                                                    \
      std::fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);   \
      std::exit(1);                                                                   \
    }                                                                                 \
  } while (0)

// The end of undo_status()'s text, after "redo_label", for a session whose entries carry
// no meta and whose state set_clean never marked (as in tests/c/check.h).
#define NO_META_NOT_CLEAN R"(,"undo_meta":null,"redo_meta":null,"clean":false})"

// Two strings must be equal; CHECK_OPT_EQ: two optional strings (std::nullopt for none).
#define CHECK_EQ(actual, expected) \
  check_eq_at(__FILE__, __LINE__, #actual, (actual), (expected))
#define CHECK_OPT_EQ(actual, expected) \
  check_opt_eq_at(__FILE__, __LINE__, #actual, (actual), (expected))

inline void check_eq_at(const char *file, int line, const char *what, std::string_view actual,
                        std::string_view expected) {
  if (actual != expected) {
    std::fprintf(stderr, "%s:%d: %s\n  is:       %.*s\n  expected: %.*s\n", file, line, what,
                 static_cast<int>(actual.size()), actual.data(),
                 static_cast<int>(expected.size()), expected.data());
    std::exit(1);
  }
}

inline void check_opt_eq_at(const char *file, int line, const char *what,
                            const std::optional<std::string> &actual,
                            std::optional<std::string_view> expected) {
  if (actual.has_value() != expected.has_value()) {
    std::fprintf(stderr, "%s:%d: %s\n  is:       %s\n  expected: %s\n", file, line, what,
                 actual ? actual->c_str() : "(nullopt)",
                 expected ? std::string(*expected).c_str() : "(nullopt)");
    std::exit(1);
  }
  if (actual) check_eq_at(file, line, what, *actual, *expected);
}

// `call` must throw ws::Error with `status` and exactly `message` (CHECK_ERROR) or a
// message containing `needle` (CHECK_ERROR_HAS).
#define CHECK_ERROR(call, status, message) \
  check_error_at(__FILE__, __LINE__, #call, [&] { (void)(call); }, (status), (message), true)
#define CHECK_ERROR_HAS(call, status, needle) \
  check_error_at(__FILE__, __LINE__, #call, [&] { (void)(call); }, (status), (needle), false)

template <typename F>
void check_error_at(const char *file, int line, const char *call, F f, ws_status status,
                    std::string_view message, bool exact) {
  try {
    f();
  } catch (const ws::Error &e) {
    const std::string_view what = e.what();
    const bool message_ok =
        exact ? what == message : what.find(message) != std::string_view::npos;
    if (e.status() != status || !message_ok) {
      std::fprintf(stderr,
                   "%s:%d: %s\n  threw %s: %s\n  expected %s with a message %s \"%.*s\"\n", file,
                   line, call, ws_status_name(e.status()), e.what(), ws_status_name(status),
                   exact ? "equal to" : "containing", static_cast<int>(message.size()),
                   message.data());
      std::exit(1);
    }
    return;
  }
  std::fprintf(stderr, "%s:%d: %s\n  returned, expected ws::Error %s\n", file, line, call,
               ws_status_name(status));
  std::exit(1);
}

// Runs a test program's body: a ws::Error that escapes it is reported, not just thrown.
template <typename F>
int run_tests(F body) {
  try {
    body();
  } catch (const ws::Error &e) {
    std::fprintf(stderr, "unexpected ws::Error %s: %s\n", ws_status_name(e.status()), e.what());
    return 1;
  }
  return 0;
}

// A fresh, empty directory `<cwd>/<name>.d` for a test's files; returns its path.
inline std::string fresh_dir(const std::string &name) {
  const std::string dir = name + ".d";
  CHECK(std::system(("rm -rf '" + dir + "' && mkdir -p '" + dir + "'").c_str()) == 0);
  return dir;
}

#endif
