// quickstart (C++): the sign-up wizard of examples/c/quickstart.c through
// workflow_state.hpp, plus an undo and an edit conditional on a revision.
//
//   cpp_quickstart [DATABASE]     (default: cpp_quickstart.db)
//
// It creates a session, moves through the steps "account", "profile" and "confirm",
// saving session-wide and per-step state on the way, prints the session's state, its
// summary and the flow's session list, undoes a change made after a checkpoint, then
// makes an edit conditional on the revision it read (a second, stale one is refused).
// A failure anywhere is a ws::Error: main prints its status and message.
#include "workflow_state.hpp"

#include <cstdint>
#include <iomanip>
#include <iostream>
#include <string>

namespace {

void print(const std::string &label, const std::optional<std::string> &text) {
  std::cout << std::left << std::setw(15) << label << (text ? *text : "(none)") << '\n';
}

void run(const std::string &path) {
  const std::string flow = "signup";
  std::cout << "workflow_state " << ws::version() << ", database " << path << "\n\n";
  // Closed automatically at the end of the scope, also when an exception leaves it.
  ws::Store store = ws::Store::open(path);

  // A new session with a generated id and a label for the session list.
  const std::string session = store.create_session(flow, std::nullopt, "Ada's sign-up");
  std::cout << "created session " << session << '\n';

  // Step 1: account.
  store.set_current_step(flow, session, "account");
  store.update_step_state(flow, session, "account",
                          R"({"email":"ada@example.org","verified":false})");
  store.update_state(flow, session, R"({"started_from":"landing page"})");

  // Step 2: profile. A later merge into the same step keeps the other keys.
  store.set_current_step(flow, session, "profile");
  store.update_step_state(flow, session, "profile", R"({"name":"Ada Lovelace"})");
  store.update_step_state(flow, session, "profile", R"({"country":"UK"})");
  store.update_step_state(flow, session, "account", R"({"verified":true})");

  // Step 3: confirm.
  store.set_current_step(flow, session, "confirm");
  store.update_state(flow, session, R"({"accepted_terms":true})");

  // Read everything back.
  print("current step:", store.get_current_step(flow, session));
  print("profile step:", store.get_step_state(flow, session, "profile"));
  print("whole state:", store.get_state(flow, session));
  print("summary:", store.get_session_summary(flow, session));
  print("sessions:", store.list_sessions(flow, ws::OrderBy::updated_at, true));

  // An edit the user can take back: checkpoint first, then change.
  store.checkpoint(flow, session, "Change country");
  store.update_step_state(flow, session, "profile", R"({"country":"FR"})");
  print("edited:", store.get_step_state(flow, session, "profile"));
  print("undo status:", store.undo_status(flow, session));
  const bool undone = store.undo(flow, session);
  print(undone ? "after undo:" : "nothing undone:", store.get_step_state(flow, session, "profile"));

  // An edit that lands only if nobody changed the session since it was read: one
  // transaction, patch and step together. A second writer holding the same revision is
  // refused with WS_CONFLICT, and would read again and retry.
  const std::int64_t revision = store.get_revision(flow, session);
  const std::string edit = R"({"expect_revision":)" + std::to_string(revision) +
                           R"(,"patch":[{"op":"replace","path":"/_step_profile/country",)"
                           R"("value":"IE"}],"step":"done"})";
  print("applied:", store.apply(flow, session, edit));
  try {
    store.apply(flow, session, edit);
  } catch (const ws::Error &e) {
    std::cout << "stale edit:    " << e.status_name() << ": " << e.what() << '\n';
  }

  // Bad input is an exception that says what is wrong, and nothing is written.
  try {
    store.update_state(flow, session, R"(["not", "an", "object"])");
  } catch (const ws::Error &e) {
    std::cout << "refused:       " << e.status_name() << ": " << e.what() << '\n';
  }

  std::cout << "\nRun it again: the earlier sessions are still in " << path << ".\n";
}

}  // namespace

int main(int argc, char **argv) {
  try {
    run(argc > 1 ? argv[1] : "cpp_quickstart.db");
  } catch (const ws::Error &e) {
    std::cerr << "error: " << e.status_name() << ": " << e.what() << '\n';
    return 1;
  }
  return 0;
}
