// The C++ API (workflow_state.hpp): every method's results as C++ values, every kind of
// failure as a ws::Error with the library's status and exact message and nothing
// written, strings with a NUL byte refused, and the RAII / move rules of ws::Store.
#include "check.hpp"

#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

using namespace std::string_literals;
using namespace std::string_view_literals;

static_assert(std::is_base_of_v<std::runtime_error, ws::Error>);
static_assert(!std::is_copy_constructible_v<ws::Store>);
static_assert(!std::is_copy_assignable_v<ws::Store>);
static_assert(std::is_nothrow_move_constructible_v<ws::Store>);
static_assert(std::is_nothrow_move_assignable_v<ws::Store>);
static_assert(std::is_nothrow_destructible_v<ws::Store>);

static const char *const kClosed =
    "the ws::Store is closed (default-constructed, moved from, or close() was called)";

// Everything the tests can observe about flow "f" and its sessions "s" and "t", to
// compare before and after a call that must change nothing.
static std::string dump(const ws::Store &store) {
  std::string out = store.list_sessions("f", ws::OrderBy::created_at);
  for (const char *session : {"s", "t"}) {
    out += "\n" + store.get_state("f", session);
    out += "\n" + store.get_current_step("f", session).value_or("(no step)");
    out += "\n" + std::to_string(store.history_len("f", session));
    out += "\n" + store.history_peek("f", session).value_or("(no history)");
    out += "\n" + store.undo_status("f", session);
  }
  return out;
}

// A store with some of everything in it, so that a stray write would show in dump().
static ws::Store populated() {
  ws::Store store = ws::Store::open(":memory:");
  store.create_session("f", "s"sv, "Label S"sv);
  store.set_current_step("f", "s", "one");
  store.update_state("f", "s", R"({"a":1,"_step_x":5})");
  store.update_step_state("f", "s", "one", R"({"b":2})");
  store.history_push("f", "s", R"({"snap":1})");
  store.checkpoint("f", "s", "Typing"sv);
  store.update_state("f", "s", R"({"a":2})");
  store.create_session("f", "t"sv);
  return store;
}

static void test_version_and_names() {
  CHECK_EQ(ws::version(), ws_version());
  CHECK(!ws::version().empty());
  CHECK_EQ(ws::status_name(WS_NOT_FOUND), "WS_NOT_FOUND");
  CHECK_EQ(ws::status_name(42), "WS_UNKNOWN");
  const ws::Error error(WS_CONFLICT, "what happened");
  CHECK(error.status() == WS_CONFLICT);
  CHECK_EQ(error.status_name(), "WS_CONFLICT");
  CHECK_EQ(error.what(), "what happened");
  // Catchable as any standard exception, with the library's message as what().
  bool caught = false;
  try {
    (void)ws::Store::open("");
  } catch (const std::exception &e) {
    caught = true;
    CHECK_EQ(e.what(),
             R"(path must not be empty (use ":memory:" for a store that is not persisted))");
  }
  CHECK(caught);
}

static void test_open() {
  const std::string dir = fresh_dir("open");
  const std::string path = dir + "/sub/store.db";
  {
    ws::Store store = ws::Store::open(path);
    CHECK(store.is_open());
    store.update_state("f", "s", R"({"kept":true})");
  }  // the destructor closes the store; the data is on disk
  {
    ws::Store store = ws::Store::open(path, R"({"read_only":true})");
    CHECK_EQ(store.get_state("f", "s"), R"({"kept":true})");
    // Options reach the library: writes to a read_only store are refused.
    CHECK_ERROR(store.update_state("f", "s", "{}"), WS_IO,
                R"(cannot update the state of session "s" of flow "f": the store was opened read_only)");
    CHECK_EQ(store.get_state("f", "s"), R"({"kept":true})");
  }
  {
    ws::Store store = ws::Store::open(":memory:", R"({"max_history_depth":2})");
    for (const char *snapshot : {"1", "2", "3"}) store.history_push("f", "s", snapshot);
    CHECK(store.history_len("f", "s") == 2);
  }

  const std::string missing = dir + "/missing.db";
  CHECK_ERROR(ws::Store::open(""), WS_INVALID_ARGUMENT,
              R"(path must not be empty (use ":memory:" for a store that is not persisted))");
  // The C API would have opened "<dir>/cut" and ignored the rest.
  CHECK_ERROR(ws::Store::open(dir + "/cut\0.db"s), WS_INVALID_ARGUMENT,
              "path contains a NUL byte (at offset " + std::to_string(dir.size() + 4) +
                  "), which a C string cannot hold");
  CHECK(std::system(("test ! -e '" + dir + "/cut'").c_str()) == 0);
  CHECK_ERROR(ws::Store::open("\xff.db"), WS_INVALID_ARGUMENT,
              "path is not valid UTF-8 (bad byte at offset 0)");
  CHECK_ERROR(ws::Store::open(missing, "nope"), WS_INVALID_JSON,
              "options_json is not valid JSON: expected ident at line 1 column 2");
  CHECK_ERROR(ws::Store::open(missing, "[]"), WS_INVALID_JSON,
              "options_json must be a JSON object, got an array");
  CHECK_ERROR(ws::Store::open(missing, "{}\0{\"read_only\":true}"s), WS_INVALID_ARGUMENT,
              "options_json contains a NUL byte (at offset 2), which a C string cannot hold");
  CHECK_ERROR(ws::Store::open(missing, R"({"colour":1})"), WS_INVALID_ARGUMENT,
              R"(unknown option "colour" (known options: journal_mode, synchronous, )"
              R"(busy_timeout_ms, max_history_depth, max_history_bytes, read_only, create, )"
              R"(read_connections, change_retention_s))");
  CHECK_ERROR(ws::Store::open(":memory:", R"({"read_only":true})"), WS_INVALID_ARGUMENT,
              R"(a ":memory:" store cannot be read_only: it would always be empty)");
  CHECK_ERROR(ws::Store::open(missing, R"({"create":false})"), WS_NOT_FOUND,
              "\"" + missing +
                  R"(" does not exist (opened with "create": false; it is created only by a )"
                  R"(writable store with "create": true))");
  CHECK(std::system(("test ! -e '" + missing + "'").c_str()) == 0);
  CHECK_ERROR(ws::Store::open(path + "/below-a-file.db"), WS_IO,
              "cannot create directory \"" + path + "\" for \"" + path +
                  "/below-a-file.db\": File exists (os error 17)");
  const std::string junk = dir + "/notes.txt";
  CHECK(std::system(("printf 'This is a text file, not an SQLite database, long enough to hold "
                     "a database header.\\n' > '" + junk + "'")
                        .c_str()) == 0);
  CHECK_ERROR(ws::Store::open(junk), WS_CORRUPT,
              "cannot configure \"" + junk + "\": file is not a database");
}

static void test_state() {
  ws::Store store = ws::Store::open(":memory:");
  CHECK_OPT_EQ(store.get_current_step("f", "s"), std::nullopt);
  CHECK_EQ(store.get_state("f", "s"), "{}");
  CHECK_EQ(store.get_step_state("f", "s", "one"), "{}");

  store.set_current_step("f", "s", "one");
  CHECK_OPT_EQ(store.get_current_step("f", "s"), "one");
  // Numbers keep their exact text; keys keep their order; the merge is shallow.
  store.update_state("f", "s", R"({"n":1180591620717411303424,"x":0.1,"o":{"a":1}})");
  store.update_state("f", "s", R"({"o":{"b":2},"z":"é"})");
  CHECK_EQ(store.get_state("f", "s"), R"({"n":1180591620717411303424,"x":0.1,"o":{"b":2},"z":"é"})");

  store.update_step_state("f", "s", "one", R"({"a":1})");
  store.update_step_state("f", "s", "one", R"({"b":[1,2]})");
  CHECK_EQ(store.get_step_state("f", "s", "one"), R"({"a":1,"b":[1,2]})");
  store.update_state("f", "s", R"({"_step_two":"text"})");
  CHECK_EQ(store.get_step_state("f", "s", "two"), R"("text")");
  store.clear_step_state("f", "s", "one");
  store.clear_step_state("f", "s", "never-set");
  CHECK_EQ(store.get_state("f", "s"),
           R"({"n":1180591620717411303424,"x":0.1,"o":{"b":2},"z":"é","_step_two":"text"})");

  // Arguments may be any string_view: not NUL-terminated ones included.
  const std::string buffer = "flowXsessionY";
  store.update_state(std::string_view(buffer).substr(0, 4), std::string_view(buffer).substr(5, 7),
                     R"({"from":"views"})");
  CHECK_EQ(store.get_state("flow", "session"), R"({"from":"views"})");

  store.clear_state("f", "s");
  CHECK_EQ(store.get_state("f", "s"), "{}");
  CHECK_OPT_EQ(store.get_current_step("f", "s"), std::nullopt);
  CHECK(!store.session_exists("f", "s"));
  store.clear_state("f", "s");  // idempotent
}

static void test_sessions() {
  ws::Store store = ws::Store::open(":memory:");
  const std::string generated = store.create_session("f");
  CHECK(generated.size() == 36 && generated[8] == '-' && generated[14] == '4');
  CHECK(store.session_exists("f", generated));
  CHECK_EQ(store.create_session("f", "b"sv, "Beta"sv), "b");
  CHECK_EQ(store.create_session("f", "a"sv, "Alpha"sv), "a");
  CHECK_EQ(store.create_session("other", "a"sv), "a");
  CHECK(!store.session_exists("f", "nope"));

  CHECK_OPT_EQ(store.get_session_summary("f", "nope"), std::nullopt);
  const std::string summary = store.get_session_summary("f", "b").value();
  CHECK(summary.rfind(R"({"flow_id":"f","session_id":"b","label":"Beta","current_step":null,)", 0) == 0);

  // Labels ascending: the unlabelled generated session first; descending: last.
  auto order = [&](ws::OrderBy by, bool descending) {
    const std::string list = store.list_sessions("f", by, descending);
    std::string ids;
    for (std::size_t at = list.find("\"session_id\":\""); at != std::string::npos;
         at = list.find("\"session_id\":\"", at + 1)) {
      const std::size_t begin = at + 14;
      ids += (ids.empty() ? "" : ",") + list.substr(begin, list.find('"', begin) - begin);
    }
    return ids;
  };
  CHECK_EQ(order(ws::OrderBy::label, false), generated + ",a,b");
  CHECK_EQ(order(ws::OrderBy::label, true), "b,a," + generated);
  CHECK_EQ(order(ws::OrderBy::created_at, false), generated + ",b,a");
  CHECK_EQ(order(ws::OrderBy::created_at, true), "a,b," + generated);
  CHECK_EQ(store.list_sessions("none"), "[]");

  store.set_session_label("f", "a", "Zulu"sv);
  CHECK_EQ(order(ws::OrderBy::label, false), generated + ",b,a");
  store.set_session_label("f", "a", std::nullopt);
  CHECK(store.get_session_summary("f", "a").value().find(R"("label":null)") != std::string::npos);
  store.set_session_label("f", "absent", "x"sv);  // a no-op
  CHECK(!store.session_exists("f", "absent"));

  store.delete_session("f", "a");
  CHECK(!store.session_exists("f", "a"));
  CHECK(store.session_exists("other", "a"));
  store.delete_session("f", "a");  // idempotent

  // Every session here was updated now: none before 2000, all before 9999.
  CHECK(store.prune_sessions("f"sv, "2000-01-01 00:00:00") == 0);
  CHECK(store.prune_sessions("f"sv, "9999-12-31 23:59:59") == 2);
  CHECK(!store.session_exists("f", "b"));
  CHECK(store.session_exists("other", "a"));
  CHECK(store.prune_sessions(std::nullopt, "9999-12-31 23:59:59") == 1);
  CHECK_ERROR(store.prune_sessions("f"sv, "now"), WS_INVALID_ARGUMENT,
              "updated_before \"now\" is not a timestamp \"YYYY-MM-DD HH:MM:SS\" "
              "(UTC, the form updated_at is stored in)");
}

static void test_query_sessions() {
  ws::Store store = ws::Store::open(":memory:");
  for (const char *id : {"a", "b", "c"}) store.update_state("f", id, R"({"t":{"x~y":[1,2]}})");
  std::string page = store.query_sessions("f", R"({"order_by":"created_at","descending":false,"limit":2,"fields":["/t/x~0y/1"]})"sv);
  CHECK(page.find(R"("session_id":"a")") != std::string::npos);
  CHECK(page.find(R"("fields":{"/t/x~0y/1":2}})") != std::string::npos);
  const std::size_t at = page.find(R"("next":")");
  CHECK(at != std::string::npos);
  const std::string cursor = page.substr(at + 8, page.find('"', at + 8) - (at + 8));
  page = store.query_sessions("f", R"({"order_by":"created_at","descending":false,"limit":2,"after":")" + cursor + R"("})");
  CHECK(page.find(R"("session_id":"c")") != std::string::npos && page.find(R"("next":null})") != std::string::npos);
  CHECK(store.query_sessions("f").find(R"("session_id":"c")") != std::string::npos);
  CHECK_ERROR(store.query_sessions("f", R"({"after":")" + cursor + R"("})"), WS_INVALID_ARGUMENT,
              "query member \"after\" is a cursor of a walk by order_by \"created_at\" ascending, but this "
              "query asks for order_by \"updated_at\" descending: a cursor continues only the order that returned it");
}

static void test_copy_session() {
  ws::Store store = ws::Store::open(":memory:");
  store.create_session("f", "a"sv, "Draft"sv);
  store.update_state("f", "a", R"({"v":1})");
  store.checkpoint("f", "a", "one"sv);
  store.update_state("f", "a", R"({"v":2})");
  const std::string status = store.undo_status("f", "a");
  const std::int64_t latest = store.latest_seq();

  store.copy_session("f", "a", "plain", false);
  CHECK(store.latest_seq() == latest + 1 && store.get_revision("f", "plain") == latest + 1);
  CHECK_EQ(store.get_state("f", "plain"), R"({"v":2})");
  CHECK(store.get_session_summary("f", "plain").value().find(R"("label":"Draft")") !=
        std::string::npos);
  CHECK_EQ(store.undo_status("f", "plain"),
           R"({"undo_depth":0,"redo_depth":0,"undo_label":null,"redo_label":null,)"
           R"("undo_meta":null,"redo_meta":null,"clean":false})");

  store.copy_session("f", "a", "hist", true);
  CHECK_EQ(store.undo_status("f", "hist"), status);
  CHECK(store.undo("f", "hist"));
  CHECK_EQ(store.get_state("f", "hist"), R"({"v":1})");
  CHECK_EQ(store.get_state("f", "a"), R"({"v":2})");

  const std::int64_t before = store.latest_seq();
  CHECK_ERROR(store.copy_session("f", "nope", "c", true), WS_NOT_FOUND,
              R"(session "nope" of flow "f" does not exist: there is nothing to copy)");
  CHECK_ERROR(store.copy_session("f", "a", "a", false), WS_ALREADY_EXISTS,
              R"(session "a" of flow "f" already exists: delete it first or copy to another session id)");
  CHECK_ERROR(store.copy_session("f", "a", "", false), WS_INVALID_ARGUMENT,
              "to_session_id must not be empty");
  CHECK_ERROR(store.copy_session("f", "a"sv, std::string_view("c\0d", 3), false), WS_INVALID_ARGUMENT,
              "to_session_id contains a NUL byte (at offset 1), which a C string cannot hold");
  CHECK(store.latest_seq() == before && !store.session_exists("f", "c"));
}

static void test_export_import() {
  ws::Store source = ws::Store::open(":memory:");
  source.create_session("f", "a"sv, "Draft"sv);
  source.history_push("f", "a", "[1]");
  source.update_state("f", "a", R"({"v":1})");
  source.checkpoint_with("f", "a", R"({"label":"one","meta":{"cursor":3}})"sv);
  source.update_state("f", "a", R"({"v":2})");
  source.set_clean("f", "a");
  source.update_state("g", "b", R"({"b":true})");
  const std::string all = source.export_json(std::nullopt, std::nullopt);
  CHECK(all.rfind(R"({"format":"workflow_state.export","version":1,"sessions":[{"flow_id":"f")", 0) == 0);
  CHECK_EQ(source.export_json("g"sv, std::nullopt), source.export_json("g"sv, "b"sv));

  ws::Store target = ws::Store::open(":memory:");
  target.import_json(all, false);
  CHECK_EQ(target.get_state("f", "a"), R"({"v":2})");
  CHECK_EQ(target.undo_status("f", "a"), source.undo_status("f", "a"));
  CHECK_EQ(target.history_peek("f", "a").value(), "[1]");
  CHECK(target.undo("f", "a"));
  CHECK_EQ(target.get_state("f", "a"), R"({"v":1})");
  CHECK_ERROR(target.import_json(all, false), WS_ALREADY_EXISTS,
              R"(session "a" of flow "f" (sessions[0]) already exists: import with replace to )"
              "overwrite it, or delete it first; nothing was imported");
  target.import_json(all, true);
  CHECK_EQ(target.get_state("f", "a"), R"({"v":2})");
  CHECK_EQ(target.undo_status("f", "a"), source.undo_status("f", "a"));

  CHECK_ERROR(source.export_json(std::nullopt, "a"sv), WS_INVALID_ARGUMENT,
              "session_id is given but flow_id is NULL: a session is named by its flow and its id "
              "(give both for one session, flow_id alone for a flow, neither for every session)");
  CHECK_ERROR(source.export_json("f"sv, "nope"sv), WS_NOT_FOUND,
              R"(session "nope" of flow "f" does not exist: there is nothing to export)");
  CHECK_ERROR(target.import_json("[]", false), WS_INVALID_JSON, "export_json must be a JSON object, got an array");
  CHECK_ERROR(target.import_json(R"({"format":"workflow_state.export","version":2,"sessions":[]})", true),
              WS_INVALID_ARGUMENT, "version 2 is newer than this library reads (1): upgrade workflow_state");
  CHECK_ERROR(target.import_json(std::string_view("{\0}", 3), true), WS_INVALID_ARGUMENT,
              "export_json contains a NUL byte (at offset 1), which a C string cannot hold");
}

static void test_history() {
  std::string history = ws::json_history_push(std::nullopt, R"({"v":1})");
  CHECK_EQ(history, R"([{"v":1}])");
  history = ws::json_history_push(history, "2", 2);
  history = ws::json_history_push(history, "3", 2);
  CHECK_EQ(history, "[2,3]");
  ws::JsonHistoryPop popped = ws::json_history_pop(history);
  CHECK_OPT_EQ(popped.snapshot, "3");
  CHECK_EQ(popped.history, "[2]");
  popped = ws::json_history_pop("[]");
  CHECK_OPT_EQ(popped.snapshot, std::nullopt);
  CHECK_EQ(popped.history, "[]");

  ws::Store store = ws::Store::open(":memory:");
  CHECK(store.history_len("f", "s") == 0);
  CHECK_OPT_EQ(store.history_pop("f", "s"), std::nullopt);
  CHECK_OPT_EQ(store.history_peek("f", "s"), std::nullopt);
  store.history_push("f", "s", R"({"step": "a"})");
  store.history_push("f", "s", "[1, 2]");
  CHECK(store.session_exists("f", "s"));
  CHECK(store.history_len("f", "s") == 2);
  CHECK_OPT_EQ(store.history_peek("f", "s"), "[1,2]");
  CHECK_OPT_EQ(store.history_pop("f", "s"), "[1,2]");
  CHECK_OPT_EQ(store.history_pop("f", "s"), R"({"step":"a"})");
  CHECK_OPT_EQ(store.history_pop("f", "s"), std::nullopt);
  store.history_push("f", "s", "1");
  store.history_clear("f", "s");
  CHECK(store.history_len("f", "s") == 0);
}

static void test_undo() {
  ws::Store store = ws::Store::open(":memory:");
  CHECK(!store.undo("f", "s"));
  CHECK(!store.redo("f", "s"));
  CHECK_EQ(store.undo_status("f", "s"),
           R"({"undo_depth":0,"redo_depth":0,"undo_label":null,"redo_label":null)"
           R"(,"undo_meta":null,"redo_meta":null,"clean":false})");
  store.update_state("f", "s", R"({"text":"a"})");
  store.checkpoint("f", "s", "Typing"sv);
  store.update_state("f", "s", R"({"text":"ab"})");
  store.set_current_step("f", "s", "review");
  store.checkpoint("f", "s");
  store.update_state("f", "s", R"({"text":"abc"})");
  CHECK_EQ(store.undo_status("f", "s"),
           R"({"undo_depth":2,"redo_depth":0,"undo_label":null,"redo_label":null)"
           R"(,"undo_meta":null,"redo_meta":null,"clean":false})");

  CHECK(store.undo("f", "s"));
  CHECK_EQ(store.get_state("f", "s"), R"({"text":"ab"})");
  CHECK(store.undo("f", "s"));
  CHECK_EQ(store.get_state("f", "s"), R"({"text":"a"})");
  CHECK_OPT_EQ(store.get_current_step("f", "s"), std::nullopt);
  CHECK_EQ(store.undo_status("f", "s"),
           R"({"undo_depth":0,"redo_depth":2,"undo_label":null,"redo_label":"Typing")"
           R"(,"undo_meta":null,"redo_meta":null,"clean":false})");
  CHECK(!store.undo("f", "s"));
  CHECK(store.redo("f", "s"));
  CHECK_EQ(store.get_state("f", "s"), R"({"text":"ab"})");
  CHECK_OPT_EQ(store.get_current_step("f", "s"), "review");
  CHECK_EQ(store.undo_status("f", "s"),
           R"({"undo_depth":1,"redo_depth":1,"undo_label":"Typing","redo_label":null)"
           R"(,"undo_meta":null,"redo_meta":null,"clean":false})");
}

// Each failure the library reports reaches C++ as a ws::Error with its status and exact
// message, and the store is as it was.
static void test_failures_change_nothing() {
  ws::Store store = populated();
  const std::string before = dump(store);
  CHECK_ERROR(store.update_state("a:b", "s", "{}"), WS_INVALID_ARGUMENT,
              R"(flow_id "a:b" must not contain ':')");
  CHECK_ERROR(store.get_state("", "s"), WS_INVALID_ARGUMENT, "flow_id must not be empty");
  CHECK_ERROR(store.set_current_step("f", "", "x"), WS_INVALID_ARGUMENT,
              "session_id must not be empty");
  CHECK_ERROR(store.update_step_state("f", "s", "", "{}"), WS_INVALID_ARGUMENT,
              "step_id must not be empty");
  CHECK_ERROR(store.update_state("f", "s", "{"), WS_INVALID_JSON,
              "updates_json is not valid JSON: EOF while parsing an object at line 1 column 1");
  CHECK_ERROR(store.update_state("f", "s", "[1]"), WS_INVALID_JSON,
              "updates_json must be a JSON object, got an array");
  CHECK_ERROR(store.update_step_state("f", "s", "x", R"({"c":3})"), WS_CONFLICT,
              R"(the state of step "x" of session "s" of flow "f" is a number, not an object, )"
              "so it cannot be merged into; nothing was changed");
  CHECK_ERROR(store.create_session("f", "s"sv, "New"sv), WS_ALREADY_EXISTS,
              R"(session "s" of flow "f" already exists)");
  CHECK_ERROR(store.list_sessions("f", static_cast<ws::OrderBy>(7)), WS_INVALID_ARGUMENT,
              "order_by 7 is not a ws_order_by (WS_ORDER_UPDATED_AT 0, WS_ORDER_CREATED_AT 1, "
              "WS_ORDER_LABEL 2)");
  CHECK_ERROR(store.history_push("f", "s", "nope"), WS_INVALID_JSON,
              "snapshot_json is not valid JSON: expected ident at line 1 column 2");
  CHECK_ERROR(store.checkpoint("f", "s", "\xc3"sv), WS_INVALID_ARGUMENT,
              "label is not valid UTF-8 (bad byte at offset 0)");
  CHECK_ERROR(store.set_session_label("f", "s", "\xff"sv), WS_INVALID_ARGUMENT,
              "label is not valid UTF-8 (bad byte at offset 0)");
  CHECK_ERROR(ws::json_history_push(std::nullopt, "1", 0), WS_INVALID_ARGUMENT,
              "max_depth must be at least 1");
  CHECK_ERROR(ws::json_history_push("{}", "1"), WS_INVALID_JSON,
              "history_json must be a JSON array, got an object");
  CHECK_ERROR(ws::json_history_pop("{}"), WS_INVALID_JSON,
              "history_json must be a JSON array, got an object");
  CHECK_EQ(dump(store), before);
}

// Every string parameter of every method: a NUL byte inside it is refused, naming the
// parameter and the offset, before the C call (which would have used the text before
// the NUL, e.g. "{}" out of "{}\0{...}", and reported success).
struct Method {
  const char *name;
  std::vector<const char *> params;
  std::vector<std::string> good;  // valid values of the parameters, in order
  std::function<void(ws::Store &, const std::vector<std::string_view> &)> call;
};

static void test_nul_bytes() {
  using Args = std::vector<std::string_view>;
  const std::vector<Method> methods = {
      {"get_current_step", {"flow_id", "session_id"}, {"f", "s"},
       [](ws::Store &s, const Args &a) { (void)s.get_current_step(a[0], a[1]); }},
      {"set_current_step", {"flow_id", "session_id", "step_id"}, {"f", "s", "two"},
       [](ws::Store &s, const Args &a) { s.set_current_step(a[0], a[1], a[2]); }},
      {"get_state", {"flow_id", "session_id"}, {"f", "s"},
       [](ws::Store &s, const Args &a) { (void)s.get_state(a[0], a[1]); }},
      {"update_state", {"flow_id", "session_id", "updates_json"}, {"f", "s", "{}"},
       [](ws::Store &s, const Args &a) { s.update_state(a[0], a[1], a[2]); }},
      {"clear_state", {"flow_id", "session_id"}, {"f", "s"},
       [](ws::Store &s, const Args &a) { s.clear_state(a[0], a[1]); }},
      {"get_step_state", {"flow_id", "session_id", "step_id"}, {"f", "s", "one"},
       [](ws::Store &s, const Args &a) { (void)s.get_step_state(a[0], a[1], a[2]); }},
      {"update_step_state", {"flow_id", "session_id", "step_id", "updates_json"},
       {"f", "s", "one", "{}"},
       [](ws::Store &s, const Args &a) { s.update_step_state(a[0], a[1], a[2], a[3]); }},
      {"clear_step_state", {"flow_id", "session_id", "step_id"}, {"f", "s", "one"},
       [](ws::Store &s, const Args &a) { s.clear_step_state(a[0], a[1], a[2]); }},
      {"create_session", {"flow_id", "session_id", "label"}, {"f", "new", "L"},
       [](ws::Store &s, const Args &a) { (void)s.create_session(a[0], a[1], a[2]); }},
      {"session_exists", {"flow_id", "session_id"}, {"f", "s"},
       [](ws::Store &s, const Args &a) { (void)s.session_exists(a[0], a[1]); }},
      {"get_session_summary", {"flow_id", "session_id"}, {"f", "s"},
       [](ws::Store &s, const Args &a) { (void)s.get_session_summary(a[0], a[1]); }},
      {"list_sessions", {"flow_id"}, {"f"},
       [](ws::Store &s, const Args &a) { (void)s.list_sessions(a[0]); }},
      {"set_session_label", {"flow_id", "session_id", "label"}, {"f", "s", "L"},
       [](ws::Store &s, const Args &a) { s.set_session_label(a[0], a[1], a[2]); }},
      {"delete_session", {"flow_id", "session_id"}, {"f", "s"},
       [](ws::Store &s, const Args &a) { s.delete_session(a[0], a[1]); }},
      {"history_push", {"flow_id", "session_id", "snapshot_json"}, {"f", "s", "1"},
       [](ws::Store &s, const Args &a) { s.history_push(a[0], a[1], a[2]); }},
      {"history_pop", {"flow_id", "session_id"}, {"f", "s"},
       [](ws::Store &s, const Args &a) { (void)s.history_pop(a[0], a[1]); }},
      {"history_peek", {"flow_id", "session_id"}, {"f", "s"},
       [](ws::Store &s, const Args &a) { (void)s.history_peek(a[0], a[1]); }},
      {"history_len", {"flow_id", "session_id"}, {"f", "s"},
       [](ws::Store &s, const Args &a) { (void)s.history_len(a[0], a[1]); }},
      {"history_clear", {"flow_id", "session_id"}, {"f", "s"},
       [](ws::Store &s, const Args &a) { s.history_clear(a[0], a[1]); }},
      {"checkpoint", {"flow_id", "session_id", "label"}, {"f", "s", "L"},
       [](ws::Store &s, const Args &a) { s.checkpoint(a[0], a[1], a[2]); }},
      {"undo", {"flow_id", "session_id"}, {"f", "s"},
       [](ws::Store &s, const Args &a) { (void)s.undo(a[0], a[1]); }},
      {"redo", {"flow_id", "session_id"}, {"f", "s"},
       [](ws::Store &s, const Args &a) { (void)s.redo(a[0], a[1]); }},
      {"undo_status", {"flow_id", "session_id"}, {"f", "s"},
       [](ws::Store &s, const Args &a) { (void)s.undo_status(a[0], a[1]); }},
      {"get_revision", {"flow_id", "session_id"}, {"f", "s"},
       [](ws::Store &s, const Args &a) { (void)s.get_revision(a[0], a[1]); }},
      {"get_session", {"flow_id", "session_id"}, {"f", "s"},
       [](ws::Store &s, const Args &a) { (void)s.get_session(a[0], a[1]); }},
      {"apply", {"flow_id", "session_id", "edit_json"}, {"f", "s", R"({"step":"two"})"},
       [](ws::Store &s, const Args &a) { (void)s.apply(a[0], a[1], a[2]); }},
      {"changes_since", {"flow_id"}, {"f"},
       [](ws::Store &s, const Args &a) { (void)s.changes_since(a[0], 0); }},
  };
  ws::Store store = populated();
  const std::string before = dump(store);
  std::size_t checked = 0;
  for (const Method &method : methods) {
    for (std::size_t i = 0; i < method.params.size(); i++) {
      std::vector<std::string> values = method.good;
      values[i] += "\0{\"tail\":1}"s;
      const Args args(values.begin(), values.end());
      const std::string expected = std::string(method.params[i]) +
                                   " contains a NUL byte (at offset " +
                                   std::to_string(method.good[i].size()) +
                                   "), which a C string cannot hold";
      const std::string what = std::string(method.name) + " with a NUL byte in " + method.params[i];
      check_error_at(__FILE__, __LINE__, what.c_str(), [&] { method.call(store, args); },
                     WS_INVALID_ARGUMENT, expected, true);
      CHECK_EQ(dump(store), before);
      checked++;
    }
    // The same call with the good values succeeds, so the refusal was the NUL byte's.
    // (Run on a copy of the data, so that the next method sees the same store.)
    ws::Store scratch = populated();
    method.call(scratch, Args(method.good.begin(), method.good.end()));
  }
  CHECK(methods.size() == 27 && checked == 63);
  CHECK_ERROR(ws::json_history_push("[]\0[1]"s, "1"), WS_INVALID_ARGUMENT,
              "history_json contains a NUL byte (at offset 2), which a C string cannot hold");
  CHECK_ERROR(ws::json_history_push(std::nullopt, "1\0"s), WS_INVALID_ARGUMENT,
              "snapshot_json contains a NUL byte (at offset 1), which a C string cannot hold");
  CHECK_ERROR(ws::json_history_pop("\0[1]"s), WS_INVALID_ARGUMENT,
              "history_json contains a NUL byte (at offset 0), which a C string cannot hold");
}

static void check_closed(ws::Store &store) {
  CHECK(!store.is_open());
  CHECK_ERROR(store.get_state("f", "s"), WS_INVALID_ARGUMENT, kClosed);
  CHECK_ERROR(store.update_state("f", "s", "{}"), WS_INVALID_ARGUMENT, kClosed);
  CHECK_ERROR(store.create_session("f"), WS_INVALID_ARGUMENT, kClosed);
  CHECK_ERROR(store.history_pop("f", "s"), WS_INVALID_ARGUMENT, kClosed);
  CHECK_ERROR(store.undo("f", "s"), WS_INVALID_ARGUMENT, kClosed);
  // The closed store is reported first, whatever the arguments.
  CHECK_ERROR(store.update_state("a:b", "s\0"s, "{"), WS_INVALID_ARGUMENT, kClosed);
}

static void test_moves() {
  ws::Store empty;
  check_closed(empty);

  ws::Store first = ws::Store::open(":memory:");
  first.update_state("f", "s", R"({"who":"first"})");
  ws::Store moved(std::move(first));
  check_closed(first);  // NOLINT(bugprone-use-after-move): the moved-from state is specified
  CHECK(moved.is_open());
  CHECK_EQ(moved.get_state("f", "s"), R"({"who":"first"})");

  // Move assignment closes the target's own store (valgrind would report it leaked
  // otherwise) and takes the source's.
  ws::Store second = ws::Store::open(":memory:");
  second.update_state("f", "s", R"({"who":"second"})");
  moved = std::move(second);
  check_closed(second);  // NOLINT(bugprone-use-after-move)
  CHECK_EQ(moved.get_state("f", "s"), R"({"who":"second"})");

  // Moving a store into itself keeps it open and intact (through a reference, as real
  // code would, e.g. in a swap or a container shuffle).
  ws::Store &alias = moved;
  moved = std::move(alias);
  CHECK(moved.is_open());
  CHECK_EQ(moved.get_state("f", "s"), R"({"who":"second"})");

  // A closed store can be reused by moving an open one into it.
  first = std::move(moved);
  CHECK_EQ(first.get_state("f", "s"), R"({"who":"second"})");
  first.close();
  check_closed(first);
  first.close();  // closing twice is harmless

  // Stores in a container survive reallocation (moves) and close with it.
  std::vector<ws::Store> stores;
  for (int i = 0; i < 5; i++) {
    stores.push_back(ws::Store::open(":memory:"));
    stores.back().update_state("f", "s", "{\"i\":" + std::to_string(i) + "}");
  }
  for (int i = 0; i < 5; i++) CHECK_EQ(stores[static_cast<std::size_t>(i)].get_state("f", "s"),
                                       "{\"i\":" + std::to_string(i) + "}");
}

// The library reports text written by another program that is not strict JSON
// (Python's NaN) as WS_CORRUPT, naming the session; the C++ call throws it.
static void test_corrupt_state() {
  const char *python = std::getenv("WS_TEST_PYTHON");
  CHECK(python != nullptr);
  const std::string dir = fresh_dir("corrupt");
  const std::string path = dir + "/nan.db";
  {
    ws::Store store = ws::Store::open(path);
    store.update_state("f", "s", R"({"a":1})");
  }
  const std::string command =
      std::string(python) +
      R"py( -c "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); )py"
      R"py(c.execute('UPDATE workflow_state SET state_json = ?', ('{\"a\": NaN}',)); c.commit()" ')py" +
      path + "'";
  CHECK(std::system(command.c_str()) == 0);
  ws::Store store = ws::Store::open(path);
  CHECK_ERROR_HAS(store.get_state("f", "s"), WS_CORRUPT, R"(session "s" of flow "f")");
  CHECK_ERROR_HAS(store.update_state("f", "s", R"({"b":2})"), WS_CORRUPT,
                  R"(session "s" of flow "f")");
  CHECK_ERROR_HAS(store.get_step_state("f", "s", "x"), WS_CORRUPT, R"(session "s" of flow "f")");
}

static void run() {
  test_version_and_names();
  std::puts("ok version, status names, ws::Error");
  test_open();
  std::puts("ok open");
  test_state();
  std::puts("ok session state");
  test_sessions();
  std::puts("ok sessions");
  test_query_sessions();
  test_copy_session();
  std::puts("ok copy_session");
  test_export_import();
  std::puts("ok export_json, import_json");
  test_history();
  std::puts("ok history");
  test_undo();
  std::puts("ok undo and redo");
  test_failures_change_nothing();
  std::puts("ok failures throw ws::Error and change nothing");
  test_nul_bytes();
  std::puts("ok NUL bytes in every string parameter");
  test_moves();
  std::puts("ok moves, close, closed stores");
  test_corrupt_state();
  std::puts("ok corrupt stored state");
}

int main() { return run_tests(run); }
