// The C++ API of revisions, ws_apply and the change feed (workflow_state.hpp):
// get_revision, get_session, apply, latest_seq, changes_since and wait_for_change give
// the C results as C++ values, and every failure is a ws::Error with the library's
// status and message, nothing written.
#include "check.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

using namespace std::string_literals;
using namespace std::string_view_literals;

// The integer after `"key":` in a JSON text (the first one), for the tests' own
// read-modify-write; -1 when absent.
static std::int64_t integer_member(const std::string &json, const std::string &key) {
  const std::string needle = "\"" + key + "\":";
  const std::size_t at = json.find(needle);
  if (at == std::string::npos) return -1;
  return std::stoll(json.substr(at + needle.size()));
}

// The text between `"key":"` and the next quote.
static std::string string_member(const std::string &json, const std::string &key) {
  const std::string needle = "\"" + key + "\":\"";
  const std::size_t at = json.find(needle);
  CHECK(at != std::string::npos);
  const std::size_t start = at + needle.size();
  return json.substr(start, json.find('"', start) - start);
}

static void test_revision_and_get_session() {
  ws::Store store = ws::Store::open(":memory:");
  CHECK(store.get_revision("f", "s") == 0);
  CHECK_OPT_EQ(store.get_session("f", "s"), std::nullopt);
  CHECK(store.latest_seq() == 0);

  store.update_state("f", "s", R"({"z":1e2,"a":[1]})");
  store.set_current_step("f", "s", "review");
  CHECK(store.get_revision("f", "s") == 2);
  CHECK(store.latest_seq() == 2);
  const std::optional<std::string> session = store.get_session("f", "s");
  CHECK(session.has_value());
  const std::string created = string_member(*session, "created_at");
  const std::string updated = string_member(*session, "updated_at");
  CHECK(created.size() == 19 && updated.size() == 19);  // YYYY-MM-DD HH:MM:SS
  CHECK_EQ(*session, R"({"flow_id":"f","session_id":"s","label":null,"current_step":"review",)"
                     R"("state":{"z":1e2,"a":[1]},"revision":2,"created_at":")" +
                         created + R"(","updated_at":")" + updated + R"("})");

  CHECK_ERROR(store.get_revision("a:b", "s"), WS_INVALID_ARGUMENT,
              R"(flow_id "a:b" must not contain ':')");
  CHECK_ERROR(store.get_session("f", ""), WS_INVALID_ARGUMENT, "session_id must not be empty");
}

static void test_apply() {
  ws::Store store = ws::Store::open(":memory:");
  CHECK_EQ(store.apply("f", "s", R"({"expect_revision":0,"label":"Draft"})"),
           R"({"revision":1,"changed":true})");
  const std::int64_t revision = integer_member(*store.get_session("f", "s"), "revision");
  CHECK(revision == 1);
  const std::string edit =
      R"({"expect_revision":1,"patch":[{"op":"add","path":"/doc","value":{"n":1}},)"
      R"({"op":"merge","path":"/doc","value":{"m":null,"k":"v"}}],"step":"two","checkpoint":"Edit"})";
  CHECK_EQ(store.apply("f", "s", edit), R"({"revision":2,"changed":true})");
  CHECK_EQ(store.get_state("f", "s"), R"({"doc":{"n":1,"k":"v"}})");
  CHECK_OPT_EQ(store.get_current_step("f", "s"), "two"sv);
  CHECK_EQ(store.undo_status("f", "s"),
           R"({"undo_depth":1,"redo_depth":0,"undo_label":"Edit","redo_label":null)" NO_META_NOT_CLEAN);
  // An edit that changes nothing takes no revision.
  CHECK_EQ(store.apply("f", "s", R"({"step":"two","label":"Draft"})"),
           R"({"revision":2,"changed":false})");

  // A stale revision: WS_CONFLICT saying what was expected and found, nothing written
  // (the checkpoint included).
  const std::string before = *store.get_session("f", "s") + store.undo_status("f", "s");
  CHECK_ERROR(store.apply("f", "s", R"({"expect_revision":1,"step":"three","checkpoint":"X"})"),
              WS_CONFLICT,
              R"(expected session "s" of flow "f" at revision 1, but found revision 2: another )"
              "writer changed it since it was read; read it again and retry; nothing was changed");
  try {
    (void)store.apply("f", "s", R"({"expect_revision":0})");
    CHECK(false);
  } catch (const ws::Error &e) {
    CHECK(e.status() == WS_CONFLICT);
    CHECK_EQ(e.status_name(), "WS_CONFLICT");
  }
  CHECK_ERROR_HAS(store.apply("f", "s", R"({"patch":[{"op":"test","path":"/doc/n","value":2}]})"),
                  WS_CONFLICT, R"(patch[0] ("test" at "/doc/n"))");
  CHECK_ERROR_HAS(store.apply("f", "s", R"({"patch":[{"op":"frob","path":"/a"}]})"),
                  WS_INVALID_JSON, R"(patch[0]: unknown op "frob")");
  CHECK_ERROR(store.apply("f", "s", "[]"), WS_INVALID_JSON,
              "edit_json must be a JSON object, got an array");
  CHECK_ERROR_HAS(store.apply("f", "s", R"({"nope":1})"), WS_INVALID_ARGUMENT,
                  R"(edit_json has unknown member "nope")");
  CHECK_ERROR(store.apply("f", "gone", R"({"create":false,"step":"a"})"), WS_NOT_FOUND,
              R"(session "gone" of flow "f" does not exist (the edit has "create": false); )"
              "nothing was changed");
  CHECK_ERROR(store.apply("f", "s", "{}\0{\"step\":\"x\"}"s), WS_INVALID_ARGUMENT,
              "edit_json contains a NUL byte (at offset 2), which a C string cannot hold");
  CHECK_EQ(*store.get_session("f", "s") + store.undo_status("f", "s"), before);
  CHECK(!store.session_exists("f", "gone"));
}

static void test_changes_since() {
  ws::Store store = ws::Store::open(":memory:");
  CHECK_EQ(store.changes_since(std::nullopt, 0),
           R"({"changes":[],"last_seq":0,"more":false,"reset":false})");
  store.update_state("f", "a", R"({"i":1})");  // 1
  store.update_state("f", "a", R"({"i":2})");  // 2
  store.update_state("g", "b", "{}");          // 3
  store.update_state("f", "c", "{}");          // 4
  store.delete_session("f", "c");              // 5
  CHECK(store.latest_seq() == 5);
  CHECK_EQ(store.changes_since(std::nullopt, 0),
           R"({"changes":[{"seq":2,"flow_id":"f","session_id":"a","revision":2,"deleted":false},)"
           R"({"seq":3,"flow_id":"g","session_id":"b","revision":3,"deleted":false},)"
           R"({"seq":5,"flow_id":"f","session_id":"c","revision":5,"deleted":true}],)"
           R"("last_seq":5,"more":false,"reset":false})");
  CHECK_EQ(store.changes_since("f"sv, 2),
           R"({"changes":[{"seq":5,"flow_id":"f","session_id":"c","revision":5,"deleted":true}],)"
           R"("last_seq":5,"more":false,"reset":false})");
  CHECK_EQ(store.changes_since(std::nullopt, 0, 2),
           R"({"changes":[{"seq":2,"flow_id":"f","session_id":"a","revision":2,"deleted":false},)"
           R"({"seq":3,"flow_id":"g","session_id":"b","revision":3,"deleted":false}],)"
           R"("last_seq":3,"more":true,"reset":false})");
  CHECK_ERROR(store.changes_since(std::nullopt, -1), WS_INVALID_ARGUMENT,
              "after_seq -1 is negative; change numbers start at 1 (pass 0 for every change)");
  CHECK_ERROR(store.changes_since(std::nullopt, 0, 100001), WS_INVALID_ARGUMENT,
              "limit 100001 is more than the 100000 changes a page may hold (0 gives 1000)");
  CHECK_ERROR(store.changes_since("a:b"sv, 0), WS_INVALID_ARGUMENT,
              R"(flow_id "a:b" must not contain ':')");
  CHECK_ERROR(store.changes_since("f\0x"sv, 0), WS_INVALID_ARGUMENT,
              "flow_id contains a NUL byte (at offset 1), which a C string cannot hold");
}

static void test_wait_for_change() {
  const std::string dir = fresh_dir("wait");
  ws::Store store = ws::Store::open(dir + "/wait.db");
  ws::Store other = ws::Store::open(dir + "/wait.db");
  store.update_state("f", "s", "{}");
  CHECK(store.wait_for_change(0, 0) == 1);
  CHECK(store.wait_for_change(1, 0) == 1);   // only looks
  CHECK(store.wait_for_change(1, 20) == 1);  // times out: the unchanged latest
  // A waiter without limit wakes for another store's commit, whether it comes before
  // or during the wait.
  std::int64_t woke = 0;
  std::thread waiter([&] { woke = store.wait_for_change(1, -1); });
  other.update_state("f", "t", "{}");
  waiter.join();
  CHECK(woke == 2);
  CHECK_ERROR(store.wait_for_change(-1, 0), WS_INVALID_ARGUMENT,
              "after_seq -1 is negative; change numbers start at 1 (pass 0 for every change)");
}

// The optimistic loop of the README in C++: two threads on two stores of one file, each
// reading the counter with get_session and writing it with expect_revision, retrying on
// WS_CONFLICT, end with the exact total.
static void test_optimistic_loop() {
  const std::string dir = fresh_dir("loop");
  const int threads = 2, rounds = 40;
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; t++) {
    workers.emplace_back([&dir] {
      ws::Store store = ws::Store::open(dir + "/counter.db");
      for (int i = 0; i < rounds; i++) {
        for (;;) {
          const std::optional<std::string> session = store.get_session("f", "counter");
          const std::int64_t revision = session ? integer_member(*session, "revision") : 0;
          const std::int64_t n = session ? integer_member(*session, "n") : 0;
          try {
            (void)store.apply("f", "counter",
                              R"({"expect_revision":)" + std::to_string(revision) +
                                  R"(,"patch":[{"op":"add","path":"/n","value":)" +
                                  std::to_string(n + 1) + "}]}");
            break;
          } catch (const ws::Error &e) {
            if (e.status() != WS_CONFLICT) throw;
          }
        }
      }
    });
  }
  for (std::thread &worker : workers) worker.join();
  ws::Store store = ws::Store::open(dir + "/counter.db");
  CHECK_EQ(store.get_state("f", "counter"), R"({"n":)" + std::to_string(threads * rounds) + "}");
  CHECK(store.get_revision("f", "counter") == threads * rounds);
}

static void test_closed() {
  ws::Store store;
  const char *closed =
      "the ws::Store is closed (default-constructed, moved from, or close() was called)";
  CHECK_ERROR(store.get_revision("f", "s"), WS_INVALID_ARGUMENT, closed);
  CHECK_ERROR(store.get_session("f", "s"), WS_INVALID_ARGUMENT, closed);
  CHECK_ERROR(store.apply("f", "s", "{}"), WS_INVALID_ARGUMENT, closed);
  CHECK_ERROR(store.latest_seq(), WS_INVALID_ARGUMENT, closed);
  CHECK_ERROR(store.changes_since(std::nullopt, 0), WS_INVALID_ARGUMENT, closed);
  CHECK_ERROR(store.wait_for_change(0, 0), WS_INVALID_ARGUMENT, closed);
}

static void run() {
  test_revision_and_get_session();
  std::puts("ok get_revision, get_session");
  test_apply();
  std::puts("ok apply, conflicts and bad edits");
  test_changes_since();
  std::puts("ok latest_seq, changes_since");
  test_wait_for_change();
  std::puts("ok wait_for_change");
  test_optimistic_loop();
  std::puts("ok the optimistic loop loses no update");
  test_closed();
  std::puts("ok closed stores");
}

int main() { return run_tests(run); }
