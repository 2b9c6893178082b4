// The C++ API of undo for editors (workflow_state.hpp): checkpoint_with (merge runs,
// meta, checkpoints of an unchanged state), undo_with and redo_with (what they undid),
// set_clean and the "clean" of undo_status, and the open option max_history_bytes. Every
// failure is a ws::Error with the library's status and message, nothing written.
#include "check.hpp"

#include <cstdint>
#include <string>
#include <string_view>

using namespace std::string_literals;
using namespace std::string_view_literals;

// One keystroke's checkpoint. A window of a minute, so that the test never depends on
// how fast it runs (under valgrind too).
static constexpr std::string_view typing =
    R"({"label":"Typing","merge_key":"typing","merge_window_ms":60000})";

// The undo_status text, with every member spelled out.
static std::string status(int undo_depth, int redo_depth, std::string_view undo_label,
                          std::string_view redo_label, std::string_view undo_meta,
                          std::string_view redo_meta, bool clean) {
  return R"({"undo_depth":)" + std::to_string(undo_depth) + R"(,"redo_depth":)" +
         std::to_string(redo_depth) + R"(,"undo_label":)" + std::string(undo_label) +
         R"(,"redo_label":)" + std::string(redo_label) + R"(,"undo_meta":)" +
         std::string(undo_meta) + R"(,"redo_meta":)" + std::string(redo_meta) +
         R"(,"clean":)" + (clean ? "true" : "false") + "}";
}

// Runs undo_with (or redo_with) on session f/s and checks its whole result: done, the
// label and meta of the entry moved, and the revision after the call, which is one more
// than before when something was done and unchanged otherwise.
#define CHECK_UNDO_WITH(store, done, label, meta) \
  check_travel_at(__LINE__, (store), true, (done), (label), (meta))
#define CHECK_REDO_WITH(store, done, label, meta) \
  check_travel_at(__LINE__, (store), false, (done), (label), (meta))

static void check_travel_at(int line, ws::Store &store, bool undo, bool done,
                            std::string_view label, std::string_view meta) {
  const std::int64_t before = store.get_revision("f", "s");
  const std::string result = undo ? store.undo_with("f", "s") : store.redo_with("f", "s");
  const std::int64_t after = done ? before + 1 : before;
  check_eq_at(__FILE__, line, undo ? "undo_with" : "redo_with", result,
              R"({"done":)"s + (done ? "true" : "false") + R"(,"label":)" + std::string(label) +
                  R"(,"meta":)" + std::string(meta) + R"(,"revision":)" +
                  std::to_string(after) + "}");
  check_eq_at(__FILE__, line, "the revision after it",
              std::to_string(store.get_revision("f", "s")), std::to_string(after));
}

// Three keystrokes with one merge_key are one undo step; the checkpoints that merge take
// no revision; a redo ends the run, and apply's checkpoint object merges alike.
static void test_merge_run() {
  ws::Store store = ws::Store::open(":memory:");
  store.update_state("f", "s", R"({"text":""})");
  for (const char *text : {"a", "ab", "abc"}) {
    const std::int64_t before = store.get_revision("f", "s");
    store.checkpoint_with("f", "s", typing);
    const std::int64_t after = store.get_revision("f", "s");
    CHECK(text == "a"sv ? after == before + 1 : after == before);
    store.update_state("f", "s", R"({"text":")"s + text + R"("})");
  }
  CHECK_EQ(store.undo_status("f", "s"),
           status(1, 0, R"("Typing")", "null", "null", "null", false));
  CHECK_UNDO_WITH(store, true, R"("Typing")", "null");
  CHECK_EQ(store.get_state("f", "s"), R"({"text":""})");
  CHECK_REDO_WITH(store, true, R"("Typing")", "null");
  CHECK_EQ(store.get_state("f", "s"), R"({"text":"abc"})");

  for (const char *text : {"abcd", "abcde"}) {
    const std::string edit = R"({"patch":[{"op":"replace","path":"/text","value":")"s + text +
                             R"("}],"checkpoint":)" + std::string(typing) + "}";
    const std::string result = store.apply("f", "s", edit);
    CHECK(result.find(R"("changed":true)") != std::string::npos);
  }
  CHECK_EQ(store.undo_status("f", "s"),
           status(2, 0, R"("Typing")", "null", "null", "null", false));
}

// checkpoint_with() (no JSON) pushes as checkpoint does, except that a checkpoint of the
// state the newest undo entry holds pushes nothing and takes no revision.
static void test_unchanged_state() {
  ws::Store store = ws::Store::open(":memory:");
  store.update_state("f", "s", R"({"n":1})");
  store.checkpoint_with("f", "s");
  const std::int64_t revision = store.get_revision("f", "s");
  store.checkpoint_with("f", "s", std::nullopt);
  store.checkpoint_with("f", "s", R"({"label":"again"})"sv);
  CHECK(store.get_revision("f", "s") == revision);
  CHECK_EQ(store.undo_status("f", "s"), status(1, 0, "null", "null", "null", "null", false));
  store.checkpoint("f", "s");  // the 0.1 call always pushes
  CHECK_EQ(store.undo_status("f", "s"), status(2, 0, "null", "null", "null", "null", false));
}

// Meta is stored compact with its entry, shown by undo_status, returned by undo_with,
// moved to the redo stack with the entry and returned again by redo_with; numbers keep
// their text.
static void test_meta() {
  ws::Store store = ws::Store::open(":memory:");
  store.update_state("f", "s", R"({"text":"plain"})");
  store.checkpoint_with("f", "s", R"({"label":"Bold","meta":{ "cursor" : [3, 5] }})"sv);
  store.update_state("f", "s", R"({"text":"**plain**"})");
  store.checkpoint_with("f", "s", R"({"meta":1180591620717411303424})"sv);
  store.update_state("f", "s", R"({"text":"**plain**!"})");
  CHECK_EQ(store.undo_status("f", "s"),
           status(2, 0, "null", "null", "1180591620717411303424", "null", false));

  CHECK_UNDO_WITH(store, true, "null", "1180591620717411303424");
  CHECK_UNDO_WITH(store, true, R"("Bold")", R"({"cursor":[3,5]})");
  CHECK_EQ(store.get_state("f", "s"), R"({"text":"plain"})");
  CHECK_EQ(store.undo_status("f", "s"),
           status(0, 2, "null", R"("Bold")", "null", R"({"cursor":[3,5]})", false));
  CHECK_UNDO_WITH(store, false, "null", "null");

  CHECK_REDO_WITH(store, true, R"("Bold")", R"({"cursor":[3,5]})");
  CHECK_EQ(store.get_state("f", "s"), R"({"text":"**plain**"})");
  CHECK_REDO_WITH(store, true, "null", "1180591620717411303424");
  CHECK_REDO_WITH(store, false, "null", "null");
}

// set_clean marks the present state: "clean" is true exactly while undo and redo bring
// the session back to it, a checkpoint alone leaves it, and it ends a merge run.
static void test_set_clean() {
  ws::Store store = ws::Store::open(":memory:");
  CHECK_ERROR_HAS(store.set_clean("f", "absent"), WS_NOT_FOUND, R"("absent")");
  CHECK(!store.session_exists("f", "absent"));

  store.update_state("f", "s", R"({"v":1})");
  const std::int64_t before = store.get_revision("f", "s");
  store.set_clean("f", "s");
  const std::int64_t marked = store.get_revision("f", "s");
  CHECK(marked == before + 1);
  store.set_clean("f", "s");  // already marked: no revision
  CHECK(store.get_revision("f", "s") == marked);
  CHECK_EQ(store.undo_status("f", "s"), status(0, 0, "null", "null", "null", "null", true));

  store.checkpoint_with("f", "s", typing);
  CHECK_EQ(store.undo_status("f", "s"),
           status(1, 0, R"("Typing")", "null", "null", "null", true));
  store.update_state("f", "s", R"({"v":2})");
  CHECK_EQ(store.undo_status("f", "s"),
           status(1, 0, R"("Typing")", "null", "null", "null", false));
  CHECK_UNDO_WITH(store, true, R"("Typing")", "null");
  CHECK_EQ(store.undo_status("f", "s"),
           status(0, 1, "null", R"("Typing")", "null", "null", true));
  CHECK_REDO_WITH(store, true, R"("Typing")", "null");
  CHECK_EQ(store.undo_status("f", "s"),
           status(1, 0, R"("Typing")", "null", "null", "null", false));

  // Saved at v2: the next keystroke of the same key starts a new step.
  store.set_clean("f", "s");
  store.checkpoint_with("f", "s", typing);
  store.update_state("f", "s", R"({"v":3})");
  CHECK_EQ(store.undo_status("f", "s"),
           status(2, 0, R"("Typing")", "null", "null", "null", false));
  CHECK_UNDO_WITH(store, true, R"("Typing")", "null");
  CHECK_EQ(store.get_state("f", "s"), R"({"v":2})");
  CHECK_EQ(store.undo_status("f", "s"),
           status(1, 1, R"("Typing")", R"("Typing")", "null", "null", true));
}

// max_history_bytes, an open option: the oldest undo entries go first, the newest is
// kept even alone over the budget.
static void test_max_history_bytes() {
  const std::size_t entry = 108;  // {"t":"<100 letters>"}
  struct Case {
    std::string options;
    int depth;
  } const cases[] = {
      {"{}", 5},
      {R"({"max_history_bytes":)" + std::to_string(3 * entry - 1) + "}", 2},
      {R"({"max_history_bytes":)" + std::to_string(3 * entry) + "}", 3},
      {R"({"max_history_bytes":1})", 1},
  };
  for (const Case &c : cases) {
    ws::Store store = ws::Store::open(":memory:", c.options);
    for (char letter = 'a'; letter <= 'e'; ++letter) {
      store.update_state("f", "s", R"({"t":")" + std::string(100, letter) + R"("})");
      store.checkpoint_with("f", "s");
    }
    store.update_state("f", "s", R"({"t":"end"})");
    CHECK_EQ(store.undo_status("f", "s"),
             status(c.depth, 0, "null", "null", "null", "null", false));
    for (int i = 0; i < c.depth; ++i) CHECK(store.undo("f", "s"));
    // The oldest entry left is the state of letter 'e' - (depth - 1).
    CHECK_EQ(store.get_state("f", "s"),
             R"({"t":")" + std::string(100, static_cast<char>('e' - (c.depth - 1))) + R"("})");
  }
  CHECK_ERROR_HAS(ws::Store::open(":memory:", R"({"max_history_bytes":-1})"),
                  WS_INVALID_ARGUMENT, "max_history_bytes");
}

// Refused checkpoints and calls: the status and message of the library (or of the
// binding, for a NUL byte), and nothing written.
static void test_refusals() {
  ws::Store store = ws::Store::open(":memory:");
  store.update_state("f", "s", R"({"n":1})");
  store.checkpoint_with("f", "s", R"({"label":"kept"})"sv);
  const std::string before_status = store.undo_status("f", "s");
  const std::int64_t before_revision = store.get_revision("f", "s");

  CHECK_ERROR(store.checkpoint_with("f", "s", R"({"merge_window_ms":5})"sv), WS_INVALID_ARGUMENT,
              "checkpoint_json has merge_window_ms but no merge_key: only a checkpoint with a "
              "merge_key merges");
  CHECK_ERROR_HAS(store.checkpoint_with("f", "s", R"({"merge_key":"k","merge_window_ms":-1})"sv),
                  WS_INVALID_ARGUMENT, "merge_window_ms");
  CHECK_ERROR_HAS(store.checkpoint_with("f", "s", R"({"merge_key":""})"sv), WS_INVALID_ARGUMENT,
                  "must be a non-empty string");
  CHECK_ERROR_HAS(store.checkpoint_with("f", "s", R"({"undo":true})"sv), WS_INVALID_ARGUMENT,
                  "unknown member");
  CHECK_ERROR_HAS(store.checkpoint_with("f", "s", R"(["label"])"sv), WS_INVALID_JSON,
                  "checkpoint_json");
  CHECK_ERROR_HAS(store.checkpoint_with("f", "s", R"({"meta":1,"meta":2})"sv), WS_INVALID_JSON,
                  "twice");
  CHECK_ERROR_HAS(store.checkpoint_with("f", "s", R"({"meta":)"sv), WS_INVALID_JSON,
                  "checkpoint_json");
  CHECK_ERROR(store.checkpoint_with("f", "s", "{}\0{\"label\":1}"sv), WS_INVALID_ARGUMENT,
              "checkpoint_json contains a NUL byte (at offset 2), which a C string cannot hold");
  CHECK_ERROR(store.checkpoint_with("f:x", "s"), WS_INVALID_ARGUMENT,
              R"(flow_id "f:x" must not contain ':')");
  CHECK_ERROR(store.undo_with("f", ""), WS_INVALID_ARGUMENT, "session_id must not be empty");
  CHECK_ERROR(store.redo_with("", "s"), WS_INVALID_ARGUMENT, "flow_id must not be empty");
  CHECK_ERROR(store.set_clean("f", "s\0x"sv), WS_INVALID_ARGUMENT,
              "session_id contains a NUL byte (at offset 1), which a C string cannot hold");
  CHECK_EQ(store.undo_status("f", "s"), before_status);
  CHECK(store.get_revision("f", "s") == before_revision);

  ws::Store closed;
  CHECK_ERROR_HAS(closed.checkpoint_with("f", "s"), WS_INVALID_ARGUMENT, "closed");
  CHECK_ERROR_HAS(closed.undo_with("f", "s"), WS_INVALID_ARGUMENT, "closed");
  CHECK_ERROR_HAS(closed.redo_with("f", "s"), WS_INVALID_ARGUMENT, "closed");
  CHECK_ERROR_HAS(closed.set_clean("f", "s"), WS_INVALID_ARGUMENT, "closed");
}

int main() {
  return run_tests([] {
    test_merge_run();
    test_unchanged_state();
    test_meta();
    test_set_clean();
    test_max_history_bytes();
    test_refusals();
  });
}
