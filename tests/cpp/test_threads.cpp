// One ws::Store shared by several std::threads: concurrent writes lose nothing,
// readers run beside writers, and each thread's ws::Error carries the message of its
// own failed call, never another thread's.
#include "check.hpp"

#include <condition_variable>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace {

constexpr int kWriters = 4;
constexpr int kWrites = 40;  // per writer: alternating session state and step state
constexpr int kReads = 40;

// Holds every thread until all have started, so that their calls overlap.
class StartLine {
 public:
  explicit StartLine(int count) : waiting_(count) {}
  void arrive_and_wait() {
    std::unique_lock<std::mutex> lock(mutex_);
    if (--waiting_ == 0) {
      all_here_.notify_all();
    } else {
      all_here_.wait(lock, [this] { return waiting_ == 0; });
    }
  }

 private:
  std::mutex mutex_;
  std::condition_variable all_here_;
  int waiting_;
};

std::string key(int writer, int n) { return "w" + std::to_string(writer) + "_" + std::to_string(n); }

void do_writes(ws::Store &store, int id, StartLine &start, std::string &created) {
  const std::string bad_flow = "bad:" + std::to_string(id);
  // Unparsable at a column that differs per thread, so the messages differ too.
  const std::string bad_updates = "{" + std::string(static_cast<std::size_t>(id), ' ') + "x}";
  const std::string bad_updates_message = "updates_json is not valid JSON: key must be a string "
                                          "at line 1 column " + std::to_string(id + 2);
  start.arrive_and_wait();
  created = store.create_session("flow");
  for (int n = 0; n < kWrites; n++) {
    const std::string updates = "{\"" + key(id, n) + "\":" + std::to_string(n) + "}";
    if (n % 2 == 0) {
      store.update_state("flow", "shared", updates);
    } else {
      store.update_step_state("flow", "shared", "s", updates);
    }
    store.history_push("flow", "shared", std::to_string(n));
    if (n % 4 == 0) {
      // Failures in several threads at once: each sees its own message.
      CHECK_ERROR(store.update_state(bad_flow, "shared", "{}"), WS_INVALID_ARGUMENT,
                  "flow_id \"" + bad_flow + "\" must not contain ':'");
      CHECK_ERROR(store.update_state("flow", "shared", bad_updates), WS_INVALID_JSON,
                  bad_updates_message);
    }
  }
}

// Reads through a const reference beside the writers: every state it sees is a whole
// JSON object written by some call, never a torn one.
void do_reads(const ws::Store &store, StartLine &start) {
  start.arrive_and_wait();
  for (int n = 0; n < kReads; n++) {
    const std::string state = store.get_state("flow", "shared");
    CHECK(state.front() == '{' && state.back() == '}');
    (void)store.list_sessions("flow");
    (void)store.history_len("flow", "shared");
  }
}

// Thread bodies: a ws::Error that escapes one fails the test with its message.
void writer(ws::Store &store, int id, StartLine &start, std::string &created) {
  if (run_tests([&] { do_writes(store, id, start, created); }) != 0) std::exit(1);
}
void reader(const ws::Store &store, StartLine &start) {
  if (run_tests([&] { do_reads(store, start); }) != 0) std::exit(1);
}

}  // namespace

static void run() {
  const std::string dir = fresh_dir("threads");
  ws::Store store = ws::Store::open(dir + "/shared.db", R"({"max_history_depth":100000})");
  store.update_state("flow", "shared", "{}");  // the file exists before the race starts

  StartLine start(kWriters + 1);
  std::vector<std::string> created(kWriters);
  std::vector<std::thread> threads;
  for (int id = 0; id < kWriters; id++) {
    threads.emplace_back(writer, std::ref(store), id, std::ref(start),
                         std::ref(created[static_cast<std::size_t>(id)]));
  }
  threads.emplace_back(reader, std::cref(store), std::ref(start));
  for (std::thread &thread : threads) thread.join();

  const std::string state = store.get_state("flow", "shared");
  const std::string step = store.get_step_state("flow", "shared", "s");
  int found = 0;
  for (int id = 0; id < kWriters; id++) {
    for (int n = 0; n < kWrites; n++) {
      const std::string needle = "\"" + key(id, n) + "\":" + std::to_string(n);
      if ((n % 2 == 0 ? state : step).find(needle) == std::string::npos) {
        std::fprintf(stderr, "lost write %s\n", needle.c_str());
      } else {
        found++;
      }
    }
  }
  std::printf("  %d of %d writes found\n", found, kWriters * kWrites);
  CHECK(found == kWriters * kWrites);
  CHECK(store.history_len("flow", "shared") == static_cast<std::size_t>(kWriters * kWrites));
  for (const std::string &session : created) CHECK(store.session_exists("flow", session));
  CHECK(std::set<std::string>(created.begin(), created.end()).size() == kWriters);
  std::puts("ok one store, several threads");
}

int main() { return run_tests(run); }
