/**
 * @file workflow_state.hpp
 * @brief The C++17 API of workflow_state: a header-only layer over workflow_state.h.
 *
 * Everything lives in namespace `ws`. A `ws::Store` owns one `ws_store *` and closes it
 * when destroyed; each method calls the C function of the same name (without the `ws_`
 * prefix) and turns its results into C++ values:
 *
 * - strings the library returns become `std::string`, or `std::optional<std::string>`
 *   where the C function may return NULL; the library's copy is released before the
 *   method returns, also when an exception is thrown;
 * - a status other than `WS_OK` becomes a `ws::Error` holding the status and the
 *   library's message;
 * - parameters the C API marks nullable are `std::optional<std::string_view>`, where
 *   `std::nullopt` stands for NULL.
 *
 * **Input strings.** Every `std::string_view` argument is copied into a NUL-terminated
 * string before the C call. The C API ends a string at its first NUL byte, so a view
 * that contains a NUL byte would silently lose its tail: such an argument is refused
 * with `ws::Error` (`WS_INVALID_ARGUMENT`, naming the parameter and the offset) before
 * anything is read or written. Text must be UTF-8, as in C.
 *
 * **Thread safety.** As in C, one store may be used by several threads at once: every
 * query and update method may run concurrently with any other on the same `ws::Store`.
 * Moving, assigning, `close()` and destruction change the handle itself, so they must
 * not overlap with any other use of that object. Error messages are per thread: a
 * `ws::Error` always carries the message of the call that failed on its own thread.
 *
 * Link with the library exactly as for C (`workflow_state::workflow_state` in CMake,
 * `-lworkflow_state` otherwise); C++17 is required.
 */
#ifndef WORKFLOW_STATE_HPP
#define WORKFLOW_STATE_HPP

#include "workflow_state.h"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

namespace ws {

/**
 * A failed call: the `ws_status` the C function returned and the message it left in
 * `ws_last_error_message()`, read on the failing thread straight after the call.
 *
 * `what()` is the message, exactly as the library wrote it (it names the argument, the
 * session or the file concerned); `status()` says what kind of failure it was.
 */
class Error : public std::runtime_error {
 public:
  /**
   * Makes an error from a status and a message.
   *
   * @param status  The failure's status code: never `WS_OK` when it comes from this
   *                library.
   * @param message The explanation, returned by `what()`.
   * @throws std::bad_alloc if the message cannot be copied.
   */
  Error(ws_status status, const std::string &message)
      : std::runtime_error(message), status_(status) {}

  /** The status code, such as `WS_NOT_FOUND`. */
  ws_status status() const noexcept { return status_; }

  /** The status code's name, such as `"WS_NOT_FOUND"` (static text). */
  std::string_view status_name() const noexcept { return ws_status_name(status_); }

 private:
  ws_status status_;
};

/** How `Store::list_sessions` orders sessions; the values are the C `WS_ORDER_*` ones. */
enum class OrderBy : ws_order_by {
  updated_at = WS_ORDER_UPDATED_AT, /**< By last update. */
  created_at = WS_ORDER_CREATED_AT, /**< By creation time. */
  label = WS_ORDER_LABEL,           /**< By label, bytewise; sessions without one first
                                         ascending, last descending. */
};

/** What `json_history_pop` returns: the newest snapshot and the rest of the history. */
struct JsonHistoryPop {
  std::optional<std::string> snapshot; /**< The newest snapshot; empty if there was none. */
  std::string history;                 /**< The remaining history (`"[]"` when empty). */
};

namespace detail {

struct StringFree {
  void operator()(char *text) const noexcept { ws_string_free(text); }
};
/** A string the library handed out: owned from the moment the call returns, so that no
 * exception (an `Error`, or `std::bad_alloc` while copying) can leak it. */
using OwnedString = std::unique_ptr<char, StringFree>;

/** Throws the error of a failed call. Must run right after the call, on its thread,
 * before any other `ws_` call replaces the thread's message. */
inline void check(ws_status status) {
  if (status == WS_OK) return;
  const char *message = ws_last_error_message();
  throw Error(status, message != nullptr && *message != '\0' ? message : ws_status_name(status));
}

/** A NUL-terminated copy of a string argument, refusing text the C API would cut short. */
inline std::string c_arg(std::string_view text, const char *name) {
  const std::size_t nul = text.find('\0');
  if (nul != std::string_view::npos) {
    throw Error(WS_INVALID_ARGUMENT,
                std::string(name) + " contains a NUL byte (at offset " + std::to_string(nul) +
                    "), which a C string cannot hold");
  }
  return std::string(text);
}

/** As `c_arg`, for a nullable argument: `std::nullopt` stays absent (NULL). */
inline std::optional<std::string> c_arg(std::optional<std::string_view> text, const char *name) {
  if (!text) return std::nullopt;
  return c_arg(*text, name);
}

inline const char *c_ptr(const std::string &arg) noexcept { return arg.c_str(); }
inline const char *c_ptr(const std::optional<std::string> &arg) noexcept {
  return arg ? arg->c_str() : nullptr;
}

/** Calls `f(args..., &out)` for a `char **` result that is never NULL on success. */
template <typename F, typename... Args>
std::string string_result(F f, Args... args) {
  char *out = nullptr;
  const ws_status status = f(args..., &out);
  const OwnedString owned(out);
  check(status);
  return std::string(owned.get());
}

/** Calls `f(args..., &out)` for a `char **` result that may be NULL on success. */
template <typename F, typename... Args>
std::optional<std::string> optional_string_result(F f, Args... args) {
  char *out = nullptr;
  const ws_status status = f(args..., &out);
  const OwnedString owned(out);
  check(status);
  if (!owned) return std::nullopt;
  return std::string(owned.get());
}

/** Calls `f(args..., &out)` for a plain value result (`bool`, `size_t`, `int64_t`). */
template <typename T, typename F, typename... Args>
T value_result(F f, Args... args) {
  T out{};
  check(f(args..., &out));
  return out;
}

}  // namespace detail

/**
 * The library version, `"MAJOR.MINOR.PATCH"` (`ws_version`).
 *
 * @return Static text, valid for the life of the program. Thread-safe; never throws.
 */
inline std::string_view version() noexcept { return ws_version(); }

/**
 * The name of a status code (`ws_status_name`), such as `"WS_NOT_FOUND"`, or
 * `"WS_UNKNOWN"` for a value that is not a status.
 *
 * @return Static text. Thread-safe; never throws.
 */
inline std::string_view status_name(ws_status status) noexcept { return ws_status_name(status); }

/**
 * cjm-workflow-state's `push_history` on JSON text (`ws_json_history_push`): appends a
 * snapshot and keeps the newest `max_depth` entries. Needs no store.
 *
 * @param history_json  A JSON array, or `std::nullopt` for `[]`.
 * @param snapshot_json Any JSON value.
 * @param max_depth     The most entries to keep, >= 1.
 * @return The new history as compact JSON.
 * @throws ws::Error `WS_INVALID_ARGUMENT` (a NUL byte or bad UTF-8 in an argument,
 *         `max_depth` 0); `WS_INVALID_JSON` (unparsable, or `history_json` not an array).
 * @throws std::bad_alloc
 *
 * Thread-safe.
 */
inline std::string json_history_push(std::optional<std::string_view> history_json,
                                     std::string_view snapshot_json,
                                     std::size_t max_depth = WS_DEFAULT_MAX_HISTORY_DEPTH) {
  const auto history = detail::c_arg(history_json, "history_json");
  const auto snapshot = detail::c_arg(snapshot_json, "snapshot_json");
  return detail::string_result(ws_json_history_push, detail::c_ptr(history), snapshot.c_str(),
                               max_depth);
}

/**
 * cjm-workflow-state's `pop_history` on JSON text (`ws_json_history_pop`): splits off the
 * newest snapshot. Needs no store.
 *
 * @param history_json A JSON array.
 * @return The newest snapshot (empty when the history is empty) and the rest of the
 *         history (`"[]"` when empty), both compact JSON.
 * @throws ws::Error `WS_INVALID_ARGUMENT` (a NUL byte or bad UTF-8); `WS_INVALID_JSON`
 *         (unparsable, or not an array).
 * @throws std::bad_alloc
 *
 * Thread-safe.
 */
inline JsonHistoryPop json_history_pop(std::string_view history_json) {
  const auto history = detail::c_arg(history_json, "history_json");
  char *snapshot_out = nullptr;
  char *rest_out = nullptr;
  const ws_status status = ws_json_history_pop(history.c_str(), &snapshot_out, &rest_out);
  const detail::OwnedString snapshot(snapshot_out);
  const detail::OwnedString rest(rest_out);
  detail::check(status);
  JsonHistoryPop result;
  if (snapshot) result.snapshot.emplace(snapshot.get());
  result.history = rest.get();
  return result;
}

/**
 * An open store: one database file (or a private in-memory database) and its connection.
 *
 * Made by `Store::open`; closed by the destructor or `close()`. Movable, not copyable:
 * the moved-from object (like a default-constructed or closed one) owns nothing, its
 * destructor does nothing, and every query or update method on it throws `ws::Error`
 * with `WS_INVALID_ARGUMENT`, so a stale object is reported rather than misused.
 *
 * Every method corresponds to the C function named `ws_` + its name; the C header's
 * comment of that function is the full reference for its behaviour. Each one throws
 * `ws::Error` on any status other than `WS_OK` (every input is passed as a
 * NUL-terminated C string, so an argument with a NUL byte gives `WS_INVALID_ARGUMENT`
 * too); a call that throws `ws::Error` has written nothing. Each may also throw
 * `std::bad_alloc`: while copying an argument, before the C call (nothing written), or
 * while copying a result, after it (the call took effect: a popped entry is gone, a
 * created session exists). No string the library returned is leaked either way.
 *
 * Thread safety: the query and update methods may be called from several threads at
 * once on the same object. Moving, assigning, `close()` and destruction must not run
 * while any other thread uses the object.
 */
class Store {
 public:
  /**
   * Opens the store at `path` with the default options (`ws_store_open`).
   *
   * @param path A file path (UTF-8; missing parent directories are created), or
   *             `":memory:"` for a private store that is not persisted.
   * @return The open store, which closes itself when destroyed.
   * @throws ws::Error `WS_INVALID_ARGUMENT` (empty path, a NUL byte, bad UTF-8); `WS_IO`
   *         (the file or its directory cannot be created or opened); `WS_CORRUPT` (not an
   *         SQLite database, or a schema newer than this library); `WS_BUSY`.
   * @throws std::bad_alloc
   *
   * Thread-safe.
   */
  [[nodiscard]] static Store open(std::string_view path) {
    const auto p = detail::c_arg(path, "path");
    ws_store *handle = nullptr;
    detail::check(ws_store_open(p.c_str(), &handle));
    return Store(handle);
  }

  /**
   * Opens the store at `path` with options (`ws_store_open_with`).
   *
   * @param path         As in `open(path)`.
   * @param options_json A JSON object with any of `journal_mode`, `synchronous`,
   *                     `busy_timeout_ms`, `max_history_depth`, `max_history_bytes`,
   *                     `read_only`, `create`, `change_retention_s` (see
   *                     `ws_store_open_with` in workflow_state.h).
   * @return The open store, which closes itself when destroyed.
   * @throws ws::Error `WS_INVALID_JSON` (options not JSON, or not an object);
   *         `WS_INVALID_ARGUMENT` (as for `open(path)`, an unknown option, a value of the
   *         wrong type or range, `read_only` with `":memory:"`); `WS_NOT_FOUND` (missing
   *         file with `read_only` or `"create": false`); `WS_IO`; `WS_CORRUPT`; `WS_BUSY`.
   * @throws std::bad_alloc
   *
   * Thread-safe.
   */
  [[nodiscard]] static Store open(std::string_view path, std::string_view options_json) {
    const auto p = detail::c_arg(path, "path");
    const auto options = detail::c_arg(options_json, "options_json");
    ws_store *handle = nullptr;
    detail::check(ws_store_open_with(p.c_str(), options.c_str(), &handle));
    return Store(handle);
  }

  /** A closed store (owns nothing): every query or update method throws until an open
   * store is moved into it. */
  Store() noexcept = default;

  Store(const Store &) = delete;
  Store &operator=(const Store &) = delete;

  /** Takes over `other`'s handle; `other` is left closed. */
  Store(Store &&other) noexcept : handle_(std::exchange(other.handle_, nullptr)) {}

  /** Closes this store's handle, then takes over `other`'s; `other` is left closed.
   * Moving a store into itself leaves it as it was. */
  Store &operator=(Store &&other) noexcept {
    if (this != &other) {
      close();
      handle_ = std::exchange(other.handle_, nullptr);
    }
    return *this;
  }

  /** Closes the store (`ws_store_close`): every call has already committed, so nothing
   * is lost. */
  ~Store() { close(); }

  /** Whether this object holds an open store (false once moved from or closed). */
  bool is_open() const noexcept { return handle_ != nullptr; }

  /** Closes the store now (`ws_store_close`); a no-op on a closed store. Afterwards the
   * object is closed, as if moved from. */
  void close() noexcept { ws_store_close(std::exchange(handle_, nullptr)); }

  /**
   * The session's current step (`ws_get_current_step`).
   *
   * @return The step id, or empty when the session does not exist or has no step.
   * @throws ws::Error `WS_INVALID_ARGUMENT` (closed store, empty id, ':' in `flow_id`,
   *         NUL byte, bad UTF-8); `WS_BUSY`; `WS_IO`; `WS_CORRUPT`.
   */
  [[nodiscard]] std::optional<std::string> get_current_step(std::string_view flow_id,
                                                            std::string_view session_id) const {
    ws_store *const store = handle();
    const auto flow = detail::c_arg(flow_id, "flow_id");
    const auto session = detail::c_arg(session_id, "session_id");
    return detail::optional_string_result(ws_get_current_step, store, flow.c_str(),
                                          session.c_str());
  }

  /**
   * Sets the session's current step, creating the session if needed
   * (`ws_set_current_step`).
   *
   * @throws ws::Error `WS_INVALID_ARGUMENT`; `WS_BUSY`; `WS_IO` (read-only store, disk
   *         full).
   */
  void set_current_step(std::string_view flow_id, std::string_view session_id,
                        std::string_view step_id) {
    ws_store *const store = handle();
    const auto flow = detail::c_arg(flow_id, "flow_id");
    const auto session = detail::c_arg(session_id, "session_id");
    const auto step = detail::c_arg(step_id, "step_id");
    detail::check(ws_set_current_step(store, flow.c_str(), session.c_str(), step.c_str()));
  }

  /**
   * The session's whole state as compact JSON (`ws_get_state`).
   *
   * @return A JSON object; `"{}"` when the session does not exist.
   * @throws ws::Error `WS_INVALID_ARGUMENT`; `WS_BUSY`; `WS_IO`; `WS_CORRUPT` (the stored
   *         text is not a strict JSON object; the message names the session).
   */
  [[nodiscard]] std::string get_state(std::string_view flow_id,
                                      std::string_view session_id) const {
    ws_store *const store = handle();
    const auto flow = detail::c_arg(flow_id, "flow_id");
    const auto session = detail::c_arg(session_id, "session_id");
    return detail::string_result(ws_get_state, store, flow.c_str(), session.c_str());
  }

  /**
   * Merges the top-level keys of a JSON object into the session state, as Python's
   * `dict.update`, creating the session if needed (`ws_update_state`). One transaction.
   *
   * @throws ws::Error `WS_INVALID_ARGUMENT`; `WS_INVALID_JSON` (unparsable, or not an
   *         object); `WS_CORRUPT`; `WS_BUSY`; `WS_IO`.
   */
  void update_state(std::string_view flow_id, std::string_view session_id,
                    std::string_view updates_json) {
    ws_store *const store = handle();
    const auto flow = detail::c_arg(flow_id, "flow_id");
    const auto session = detail::c_arg(session_id, "session_id");
    const auto updates = detail::c_arg(updates_json, "updates_json");
    detail::check(ws_update_state(store, flow.c_str(), session.c_str(), updates.c_str()));
  }

  /**
   * Deletes the session and everything stored with it; succeeds if it does not exist
   * (`ws_clear_state`).
   *
   * @throws ws::Error `WS_INVALID_ARGUMENT`; `WS_BUSY`; `WS_IO`.
   */
  void clear_state(std::string_view flow_id, std::string_view session_id) {
    ws_store *const store = handle();
    const auto flow = detail::c_arg(flow_id, "flow_id");
    const auto session = detail::c_arg(session_id, "session_id");
    detail::check(ws_clear_state(store, flow.c_str(), session.c_str()));
  }

  /**
   * One step's state (`ws_get_step_state`).
   *
   * @return Compact JSON: `"{}"` when the step has no state, else the stored value,
   *         whatever its type.
   * @throws ws::Error `WS_INVALID_ARGUMENT`; `WS_BUSY`; `WS_IO`; `WS_CORRUPT`.
   */
  [[nodiscard]] std::string get_step_state(std::string_view flow_id, std::string_view session_id,
                                           std::string_view step_id) const {
    ws_store *const store = handle();
    const auto flow = detail::c_arg(flow_id, "flow_id");
    const auto session = detail::c_arg(session_id, "session_id");
    const auto step = detail::c_arg(step_id, "step_id");
    return detail::string_result(ws_get_step_state, store, flow.c_str(), session.c_str(),
                                 step.c_str());
  }

  /**
   * Merges the top-level keys of a JSON object into one step's object, creating the step
   * state and the session as needed (`ws_update_step_state`). One transaction.
   *
   * @throws ws::Error `WS_INVALID_ARGUMENT`; `WS_INVALID_JSON` (unparsable, or not an
   *         object); `WS_CONFLICT` (the stored step value is not an object);
   *         `WS_CORRUPT`; `WS_BUSY`; `WS_IO`.
   */
  void update_step_state(std::string_view flow_id, std::string_view session_id,
                         std::string_view step_id, std::string_view updates_json) {
    ws_store *const store = handle();
    const auto flow = detail::c_arg(flow_id, "flow_id");
    const auto session = detail::c_arg(session_id, "session_id");
    const auto step = detail::c_arg(step_id, "step_id");
    const auto updates = detail::c_arg(updates_json, "updates_json");
    detail::check(ws_update_step_state(store, flow.c_str(), session.c_str(), step.c_str(),
                                       updates.c_str()));
  }

  /**
   * Removes one step's state, leaving every other key as it was; a no-op when there is
   * none (`ws_clear_step_state`).
   *
   * @throws ws::Error `WS_INVALID_ARGUMENT`; `WS_CORRUPT`; `WS_BUSY`; `WS_IO`.
   */
  void clear_step_state(std::string_view flow_id, std::string_view session_id,
                        std::string_view step_id) {
    ws_store *const store = handle();
    const auto flow = detail::c_arg(flow_id, "flow_id");
    const auto session = detail::c_arg(session_id, "session_id");
    const auto step = detail::c_arg(step_id, "step_id");
    detail::check(ws_clear_step_state(store, flow.c_str(), session.c_str(), step.c_str()));
  }

  /**
   * Creates an empty session (`ws_create_session`).
   *
   * @param flow_id    The flow.
   * @param session_id The new session's id, or `std::nullopt` to generate a lowercase
   *                   UUID4.
   * @param label      A label, or `std::nullopt` for none.
   * @return The session id: the one given or the one generated.
   * @throws ws::Error `WS_ALREADY_EXISTS` (the id is taken; nothing changes);
   *         `WS_INVALID_ARGUMENT`; `WS_BUSY`; `WS_IO`.
   */
  std::string create_session(std::string_view flow_id,
                             std::optional<std::string_view> session_id = std::nullopt,
                             std::optional<std::string_view> label = std::nullopt) {
    ws_store *const store = handle();
    const auto flow = detail::c_arg(flow_id, "flow_id");
    const auto session = detail::c_arg(session_id, "session_id");
    const auto lbl = detail::c_arg(label, "label");
    return detail::string_result(ws_create_session, store, flow.c_str(),
                                 detail::c_ptr(session), detail::c_ptr(lbl));
  }

  /**
   * Whether the session exists (`ws_session_exists`).
   *
   * @throws ws::Error `WS_INVALID_ARGUMENT`; `WS_BUSY`; `WS_IO`.
   */
  [[nodiscard]] bool session_exists(std::string_view flow_id, std::string_view session_id) const {
    ws_store *const store = handle();
    const auto flow = detail::c_arg(flow_id, "flow_id");
    const auto session = detail::c_arg(session_id, "session_id");
    return detail::value_result<bool>(ws_session_exists, store, flow.c_str(), session.c_str());
  }

  /**
   * One session's summary (`ws_get_session_summary`).
   *
   * @return The JSON object `{"flow_id","session_id","label","current_step","created_at",
   *         "updated_at","state_size_bytes"}`, or empty when the session does not exist.
   * @throws ws::Error `WS_INVALID_ARGUMENT`; `WS_BUSY`; `WS_IO`.
   */
  [[nodiscard]] std::optional<std::string> get_session_summary(
      std::string_view flow_id, std::string_view session_id) const {
    ws_store *const store = handle();
    const auto flow = detail::c_arg(flow_id, "flow_id");
    const auto session = detail::c_arg(session_id, "session_id");
    return detail::optional_string_result(ws_get_session_summary, store, flow.c_str(),
                                          session.c_str());
  }

  /**
   * The summaries of exactly the sessions of one flow (`ws_list_sessions`).
   *
   * @param flow_id    The flow (an exact match).
   * @param order      The sort key; ties (timestamps are whole seconds) go by the order
   *                   of the changes for `updated_at`, by creation order otherwise, in
   *                   the same direction.
   * @param descending True for newest / greatest first.
   * @return A JSON array of summary objects (`"[]"` when there are none).
   * @throws ws::Error `WS_INVALID_ARGUMENT` (also for an `order` that is not one of the
   *         `OrderBy` values); `WS_BUSY`; `WS_IO`.
   */
  [[nodiscard]] std::string list_sessions(std::string_view flow_id,
                                          OrderBy order = OrderBy::updated_at,
                                          bool descending = false) const {
    ws_store *const store = handle();
    const auto flow = detail::c_arg(flow_id, "flow_id");
    return detail::string_result(ws_list_sessions, store, flow.c_str(),
                                 static_cast<ws_order_by>(order), descending);
  }

  /**
   * One page of the sessions of a flow (`ws_query_sessions`): ordered, filtered, with
   * values from each state at JSON Pointers, paged by keyset.
   *
   * @param query_json A JSON object (`order_by`, `descending`, `limit`, `after`,
   *                   `current_step`, `label_prefix`, `updated_after`, `updated_before`,
   *                   `fields`; every member optional), or `std::nullopt` for every
   *                   default.
   * @return The page, `{"sessions":[...],"next":cursor|null}`; pass `next` as `after`
   *         for the page after it.
   * @throws ws::Error `WS_INVALID_ARGUMENT` (a bad query or pointer, a cursor of
   *         another walk or a damaged one); `WS_INVALID_JSON`; `WS_BUSY`; `WS_IO`;
   *         `WS_CORRUPT`.
   */
  [[nodiscard]] std::string query_sessions(
      std::string_view flow_id, std::optional<std::string_view> query_json = std::nullopt) const {
    ws_store *const store = handle();
    const auto flow = detail::c_arg(flow_id, "flow_id");
    const auto query = detail::c_arg(query_json, "query_json");
    return detail::string_result(ws_query_sessions, store, flow.c_str(), detail::c_ptr(query));
  }

  /**
   * Sets or clears a session's label; a no-op when the session does not exist
   * (`ws_set_session_label`).
   *
   * @param label The new label, or `std::nullopt` to clear it.
   * @throws ws::Error `WS_INVALID_ARGUMENT`; `WS_BUSY`; `WS_IO`.
   */
  void set_session_label(std::string_view flow_id, std::string_view session_id,
                         std::optional<std::string_view> label) {
    ws_store *const store = handle();
    const auto flow = detail::c_arg(flow_id, "flow_id");
    const auto session = detail::c_arg(session_id, "session_id");
    const auto lbl = detail::c_arg(label, "label");
    detail::check(ws_set_session_label(store, flow.c_str(), session.c_str(), detail::c_ptr(lbl)));
  }

  /**
   * Deletes a session and everything stored with it; the same as `clear_state`
   * (`ws_delete_session`).
   *
   * @throws ws::Error `WS_INVALID_ARGUMENT`; `WS_BUSY`; `WS_IO`.
   */
  void delete_session(std::string_view flow_id, std::string_view session_id) {
    ws_store *const store = handle();
    const auto flow = detail::c_arg(flow_id, "flow_id");
    const auto session = detail::c_arg(session_id, "session_id");
    detail::check(ws_delete_session(store, flow.c_str(), session.c_str()));
  }

  /**
   * Deletes the sessions of `flow_id` (every flow when it is `std::nullopt`) last
   * updated before `updated_before` (UTC, `YYYY-MM-DD HH:MM:SS`), with their history,
   * in batches that let other writers in; returns how many (`ws_prune_sessions`).
   *
   * @throws ws::Error `WS_INVALID_ARGUMENT`; `WS_BUSY`; `WS_IO`; `WS_CORRUPT`.
   */
  std::size_t prune_sessions(std::optional<std::string_view> flow_id,
                             std::string_view updated_before) {
    ws_store *const store = handle();
    const auto flow = detail::c_arg(flow_id, "flow_id");
    const auto before = detail::c_arg(updated_before, "updated_before");
    return detail::value_result<std::size_t>(ws_prune_sessions, store, detail::c_ptr(flow),
                                             before.c_str());
  }

  /**
   * Copies a session to the new session `to_session_id` of the same flow
   * (`ws_copy_session`): the same label, current step and state (byte for byte), new
   * timestamps and a revision of its own; with `with_history`, also its history, undo
   * and redo stacks and clean mark (large snapshots' chunks are shared, not duplicated).
   *
   * @throws ws::Error `WS_NOT_FOUND` (no such source); `WS_ALREADY_EXISTS` (the target
   *         exists, also when it is the source); `WS_INVALID_ARGUMENT`; `WS_BUSY`;
   *         `WS_IO`. A failed copy changes nothing.
   */
  void copy_session(std::string_view flow_id, std::string_view from_session_id,
                    std::string_view to_session_id, bool with_history) {
    ws_store *const store = handle();
    const auto flow = detail::c_arg(flow_id, "flow_id");
    const auto from = detail::c_arg(from_session_id, "from_session_id");
    const auto to = detail::c_arg(to_session_id, "to_session_id");
    detail::check(ws_copy_session(store, flow.c_str(), from.c_str(), to.c_str(), with_history));
  }

  /**
   * Exports sessions with their history, undo and redo stacks and clean marks as one JSON
   * document (`ws_export`, whose header text gives the format): every session of the
   * file (`std::nullopt` for both), of one flow, or one session of it. One snapshot.
   *
   * @return The document (compact JSON; `"sessions":[]` for a flow without sessions).
   * @throws ws::Error `WS_NOT_FOUND` (the one session asked for does not exist);
   *         `WS_INVALID_ARGUMENT` (a session id without a flow id, a bad id); `WS_BUSY`;
   *         `WS_IO`; `WS_CORRUPT` (a stored text an import would refuse, named).
   */
  std::string export_json(std::optional<std::string_view> flow_id,
                          std::optional<std::string_view> session_id) {
    ws_store *const store = handle();
    const auto flow = detail::c_arg(flow_id, "flow_id");
    const auto session = detail::c_arg(session_id, "session_id");
    return detail::string_result(ws_export, store, detail::c_ptr(flow), detail::c_ptr(session));
  }

  /**
   * Imports the sessions of a document `export_json` (or `ws_export`) wrote, in one
   * transaction (`ws_import`): the same label, step, state (byte for byte), timestamps,
   * stacks and clean marks, each with a new revision. The whole document is checked
   * first; a refusal names where the fault is and writes nothing.
   *
   * @param replace false: a session of the document that exists is `WS_ALREADY_EXISTS`;
   *        true: it is replaced whole; sessions the document does not hold are left alone.
   * @throws ws::Error `WS_INVALID_JSON` (not JSON, or not an object);
   *         `WS_INVALID_ARGUMENT` (a document that is not an export of format version 1,
   *         or a member of the wrong type or value, named by its path);
   *         `WS_ALREADY_EXISTS`; `WS_BUSY`; `WS_IO`.
   */
  void import_json(std::string_view export_json, bool replace) {
    ws_store *const store = handle();
    const auto document = detail::c_arg(export_json, "export_json");
    detail::check(ws_import(store, document.c_str(), replace));
  }

  /**
   * Pushes a snapshot (any JSON value) onto the session's history stack, creating the
   * session if needed, then trims the stack to `max_history_depth` (`ws_history_push`).
   *
   * @throws ws::Error `WS_INVALID_ARGUMENT`; `WS_INVALID_JSON`; `WS_BUSY`; `WS_IO`.
   */
  void history_push(std::string_view flow_id, std::string_view session_id,
                    std::string_view snapshot_json) {
    ws_store *const store = handle();
    const auto flow = detail::c_arg(flow_id, "flow_id");
    const auto session = detail::c_arg(session_id, "session_id");
    const auto snapshot = detail::c_arg(snapshot_json, "snapshot_json");
    detail::check(ws_history_push(store, flow.c_str(), session.c_str(), snapshot.c_str()));
  }

  /**
   * Removes the newest snapshot from the session's history stack and returns it
   * (`ws_history_pop`).
   *
   * @return The snapshot as compact JSON, or empty when the stack is empty.
   * @throws ws::Error `WS_INVALID_ARGUMENT`; `WS_BUSY`; `WS_IO`.
   */
  std::optional<std::string> history_pop(std::string_view flow_id, std::string_view session_id) {
    ws_store *const store = handle();
    const auto flow = detail::c_arg(flow_id, "flow_id");
    const auto session = detail::c_arg(session_id, "session_id");
    return detail::optional_string_result(ws_history_pop, store, flow.c_str(), session.c_str());
  }

  /**
   * The newest snapshot of the session's history stack, left in place
   * (`ws_history_peek`).
   *
   * @return The snapshot as compact JSON, or empty when the stack is empty.
   * @throws ws::Error `WS_INVALID_ARGUMENT`; `WS_BUSY`; `WS_IO`.
   */
  [[nodiscard]] std::optional<std::string> history_peek(std::string_view flow_id,
                                                        std::string_view session_id) const {
    ws_store *const store = handle();
    const auto flow = detail::c_arg(flow_id, "flow_id");
    const auto session = detail::c_arg(session_id, "session_id");
    return detail::optional_string_result(ws_history_peek, store, flow.c_str(),
                                          session.c_str());
  }

  /**
   * The number of snapshots in the session's history stack (`ws_history_len`).
   *
   * @throws ws::Error `WS_INVALID_ARGUMENT`; `WS_BUSY`; `WS_IO`.
   */
  [[nodiscard]] std::size_t history_len(std::string_view flow_id,
                                        std::string_view session_id) const {
    ws_store *const store = handle();
    const auto flow = detail::c_arg(flow_id, "flow_id");
    const auto session = detail::c_arg(session_id, "session_id");
    return detail::value_result<std::size_t>(ws_history_len, store, flow.c_str(),
                                             session.c_str());
  }

  /**
   * Empties the session's history stack; undo and redo are untouched
   * (`ws_history_clear`).
   *
   * @throws ws::Error `WS_INVALID_ARGUMENT`; `WS_BUSY`; `WS_IO`.
   */
  void history_clear(std::string_view flow_id, std::string_view session_id) {
    ws_store *const store = handle();
    const auto flow = detail::c_arg(flow_id, "flow_id");
    const auto session = detail::c_arg(session_id, "session_id");
    detail::check(ws_history_clear(store, flow.c_str(), session.c_str()));
  }

  /**
   * Records the session's state and current step on its undo stack (creating the
   * session if needed) and empties its redo stack (`ws_checkpoint`).
   *
   * @param label A label for "Undo ..." menu items, or `std::nullopt` for none.
   * @throws ws::Error `WS_INVALID_ARGUMENT`; `WS_BUSY`; `WS_IO`.
   */
  void checkpoint(std::string_view flow_id, std::string_view session_id,
                  std::optional<std::string_view> label = std::nullopt) {
    ws_store *const store = handle();
    const auto flow = detail::c_arg(flow_id, "flow_id");
    const auto session = detail::c_arg(session_id, "session_id");
    const auto lbl = detail::c_arg(label, "label");
    detail::check(ws_checkpoint(store, flow.c_str(), session.c_str(), detail::c_ptr(lbl)));
  }

  /**
   * Restores the newest checkpoint and keeps what it replaces for `redo` (`ws_undo`).
   *
   * @return True when a checkpoint was restored; false when there was nothing to undo
   *         (nothing changed).
   * @throws ws::Error `WS_INVALID_ARGUMENT`; `WS_BUSY`; `WS_IO`.
   */
  bool undo(std::string_view flow_id, std::string_view session_id) {
    ws_store *const store = handle();
    const auto flow = detail::c_arg(flow_id, "flow_id");
    const auto session = detail::c_arg(session_id, "session_id");
    return detail::value_result<bool>(ws_undo, store, flow.c_str(), session.c_str());
  }

  /**
   * Re-applies the newest undone state and moves what it replaces back onto the undo
   * stack (`ws_redo`).
   *
   * @return True when a state was re-applied; false when there was nothing to redo
   *         (nothing changed).
   * @throws ws::Error `WS_INVALID_ARGUMENT`; `WS_BUSY`; `WS_IO`.
   */
  bool redo(std::string_view flow_id, std::string_view session_id) {
    ws_store *const store = handle();
    const auto flow = detail::c_arg(flow_id, "flow_id");
    const auto session = detail::c_arg(session_id, "session_id");
    return detail::value_result<bool>(ws_redo, store, flow.c_str(), session.c_str());
  }

  /**
   * Records a checkpoint as `checkpoint` does, with what an editor needs besides
   * (`ws_checkpoint_with`): a `merge_key` that makes a run of checkpoints one undo step,
   * and a `meta` that `undo_with` and `redo_with` hand back. Pushes nothing (and takes no
   * revision) when the checkpoint merges into the run, or when the newest undo entry
   * already holds the present state and step.
   *
   * @param checkpoint_json A JSON object with any of `"label": str|null`,
   *                        `"merge_key": str` (non-empty), `"merge_window_ms": N` (0 to
   *                        2147483647, default `WS_DEFAULT_MERGE_WINDOW_MS`; only with
   *                        `merge_key`) and `"meta": any`; `std::nullopt` for `{}`.
   * @throws ws::Error `WS_INVALID_JSON` (not a JSON object, a member twice);
   *         `WS_INVALID_ARGUMENT` (an unknown or mistyped member, `merge_window_ms`
   *         without `merge_key`); `WS_BUSY`; `WS_IO`.
   */
  void checkpoint_with(std::string_view flow_id, std::string_view session_id,
                       std::optional<std::string_view> checkpoint_json = std::nullopt) {
    ws_store *const store = handle();
    const auto flow = detail::c_arg(flow_id, "flow_id");
    const auto session = detail::c_arg(session_id, "session_id");
    const auto checkpoint = detail::c_arg(checkpoint_json, "checkpoint_json");
    detail::check(
        ws_checkpoint_with(store, flow.c_str(), session.c_str(), detail::c_ptr(checkpoint)));
  }

  /**
   * Undoes as `undo` does, and says what it undid (`ws_undo_with`).
   *
   * @return `{"done":bool,"label":str|null,"meta":any|null,"revision":R}`: whether a
   *         checkpoint was restored (false: nothing to undo, nothing changed), the label
   *         and meta of the entry undone, and the session's revision after the call.
   * @throws ws::Error `WS_INVALID_ARGUMENT`; `WS_BUSY`; `WS_IO`; `WS_CORRUPT` (the
   *         entry's meta is not JSON; nothing changed).
   */
  std::string undo_with(std::string_view flow_id, std::string_view session_id) {
    ws_store *const store = handle();
    const auto flow = detail::c_arg(flow_id, "flow_id");
    const auto session = detail::c_arg(session_id, "session_id");
    return detail::string_result(ws_undo_with, store, flow.c_str(), session.c_str());
  }

  /**
   * Redoes as `redo` does, and says what it redid (`ws_redo_with`).
   *
   * @return As `undo_with`, for the entry re-applied: its label and meta are those of the
   *         checkpoint that was undone.
   * @throws ws::Error As `undo_with`.
   */
  std::string redo_with(std::string_view flow_id, std::string_view session_id) {
    ws_store *const store = handle();
    const auto flow = detail::c_arg(flow_id, "flow_id");
    const auto session = detail::c_arg(session_id, "session_id");
    return detail::string_result(ws_redo_with, store, flow.c_str(), session.c_str());
  }

  /**
   * Marks the session's present state as the saved one (`ws_set_clean`): `undo_status`
   * then reports `"clean":true` exactly while undo and redo have brought the session
   * back to it. Ends a merge run.
   *
   * @throws ws::Error `WS_INVALID_ARGUMENT`; `WS_NOT_FOUND` (no such session); `WS_BUSY`;
   *         `WS_IO`.
   */
  void set_clean(std::string_view flow_id, std::string_view session_id) {
    ws_store *const store = handle();
    const auto flow = detail::c_arg(flow_id, "flow_id");
    const auto session = detail::c_arg(session_id, "session_id");
    detail::check(ws_set_clean(store, flow.c_str(), session.c_str()));
  }

  /**
   * The session's undo/redo status (`ws_undo_status`).
   *
   * @return `{"undo_depth":N,"redo_depth":N,"undo_label":str|null,"redo_label":str|null,
   *         "undo_meta":any|null,"redo_meta":any|null,"clean":bool}`: the labels and meta
   *         of the entries an undo would restore and a redo re-apply, and whether the
   *         present state is the one `set_clean` marked.
   * @throws ws::Error `WS_INVALID_ARGUMENT`; `WS_BUSY`; `WS_IO`; `WS_CORRUPT` (such a label
   *         or meta, written by another program, is not valid text or JSON).
   */
  [[nodiscard]] std::string undo_status(std::string_view flow_id,
                                        std::string_view session_id) const {
    ws_store *const store = handle();
    const auto flow = detail::c_arg(flow_id, "flow_id");
    const auto session = detail::c_arg(session_id, "session_id");
    return detail::string_result(ws_undo_status, store, flow.c_str(), session.c_str());
  }

  /**
   * The session's revision: the change sequence number of its latest change, by any
   * program on the file (`ws_get_revision`). It only grows and is never reused.
   *
   * @return The revision, 0 when the session does not exist.
   * @throws ws::Error `WS_INVALID_ARGUMENT`; `WS_BUSY`; `WS_IO`.
   */
  [[nodiscard]] std::int64_t get_revision(std::string_view flow_id,
                                          std::string_view session_id) const {
    ws_store *const store = handle();
    const auto flow = detail::c_arg(flow_id, "flow_id");
    const auto session = detail::c_arg(session_id, "session_id");
    return detail::value_result<std::int64_t>(ws_get_revision, store, flow.c_str(),
                                              session.c_str());
  }

  /**
   * One consistent snapshot of the session, the read half of an optimistic edit
   * (`ws_get_session`): pass its `"revision"` as `"expect_revision"` to `apply`.
   *
   * @return `{"flow_id","session_id","label":str|null,"current_step":str|null,
   *         "state":{...},"revision":R,"created_at","updated_at"}`, or empty when the
   *         session does not exist.
   * @throws ws::Error `WS_INVALID_ARGUMENT`; `WS_BUSY`; `WS_IO`; `WS_CORRUPT` (the
   *         stored state is not strict JSON).
   */
  [[nodiscard]] std::optional<std::string> get_session(std::string_view flow_id,
                                                       std::string_view session_id) const {
    ws_store *const store = handle();
    const auto flow = detail::c_arg(flow_id, "flow_id");
    const auto session = detail::c_arg(session_id, "session_id");
    return detail::optional_string_result(ws_get_session, store, flow.c_str(), session.c_str());
  }

  /**
   * Applies one edit to the session in one transaction, all of it or none (`ws_apply`).
   *
   * @param edit_json A JSON object with any of `"expect_revision": R`, `"patch": [...]`
   *                  (RFC 6902 operations plus `"merge"`), `"step"`, `"label"`,
   *                  `"checkpoint"` and `"create": false` (see `ws_apply` in
   *                  workflow_state.h).
   * @return `{"revision":R,"changed":bool}`: the revision after the edit, and whether it
   *         changed state, step or label (or created the session).
   * @throws ws::Error `WS_CONFLICT` (`expect_revision` did not hold, the message saying
   *         which revision was found; or the patch does not fit the state);
   *         `WS_INVALID_JSON` (not an object; a malformed patch); `WS_INVALID_ARGUMENT`
   *         (an unknown member, a member of the wrong type); `WS_NOT_FOUND`
   *         (`"create": false` and no such session); `WS_BUSY`; `WS_IO`; `WS_CORRUPT`.
   *         Nothing is written when it throws `ws::Error`.
   */
  std::string apply(std::string_view flow_id, std::string_view session_id,
                    std::string_view edit_json) {
    ws_store *const store = handle();
    const auto flow = detail::c_arg(flow_id, "flow_id");
    const auto session = detail::c_arg(session_id, "session_id");
    const auto edit = detail::c_arg(edit_json, "edit_json");
    return detail::string_result(ws_apply, store, flow.c_str(), session.c_str(), edit.c_str());
  }

  /**
   * The latest number of the database's change sequence (`ws_latest_seq`).
   *
   * @return The number, 0 for a database never changed.
   * @throws ws::Error `WS_INVALID_ARGUMENT`; `WS_BUSY`; `WS_IO`.
   */
  [[nodiscard]] std::int64_t latest_seq() const {
    return detail::value_result<std::int64_t>(ws_latest_seq, handle());
  }

  /**
   * One page of the change feed (`ws_changes_since`): each session of `flow_id` (or of
   * every flow) whose latest change is after `after_seq`, once, in sequence order,
   * deletions included.
   *
   * @param flow_id   A flow, or `std::nullopt` for every flow.
   * @param after_seq The number to list after, >= 0 (0: every session there is).
   * @param limit     The most changes on the page, at most 100000; 0 gives 1000.
   * @return `{"changes":[{"seq","flow_id","session_id","revision","deleted"}],
   *         "last_seq":M,"more":bool,"reset":bool}`: call again with `last_seq` while
   *         `more`, then `wait_for_change(last_seq, ...)`; on `reset`, reload everything.
   * @throws ws::Error `WS_INVALID_ARGUMENT` (a negative `after_seq`, `limit` above
   *         100000, a bad `flow_id`); `WS_BUSY`; `WS_IO`; `WS_CORRUPT`.
   */
  [[nodiscard]] std::string changes_since(std::optional<std::string_view> flow_id,
                                          std::int64_t after_seq, std::size_t limit = 0) const {
    ws_store *const store = handle();
    const auto flow = detail::c_arg(flow_id, "flow_id");
    return detail::string_result(ws_changes_since, store, detail::c_ptr(flow), after_seq, limit);
  }

  /**
   * Waits until the database's latest change number is beyond `after_seq` (a commit by
   * this store, another store or another process) or `timeout_ms` passes
   * (`ws_wait_for_change`). A commit in another process is seen within 50 ms.
   *
   * Other threads' calls on this store go on while it waits; but the wait is a use of
   * the object, so `close()`, moving and destruction must wait for it to return: a
   * thread that must be stoppable waits with a finite timeout, in a loop.
   *
   * @param after_seq  The number already seen, >= 0.
   * @param timeout_ms The most milliseconds to wait: 0 only looks, a negative value
   *                   waits without limit.
   * @return The latest number: beyond `after_seq`, or after a timeout the unchanged
   *         latest.
   * @throws ws::Error `WS_INVALID_ARGUMENT` (a negative `after_seq`); `WS_BUSY`; `WS_IO`.
   */
  std::int64_t wait_for_change(std::int64_t after_seq, std::int32_t timeout_ms) const {
    return detail::value_result<std::int64_t>(ws_wait_for_change, handle(), after_seq,
                                              timeout_ms);
  }

 private:
  explicit Store(ws_store *handle) noexcept : handle_(handle) {}

  /** The open handle; a closed store is reported here, before any argument is read. */
  ws_store *handle() const {
    if (handle_ == nullptr) {
      throw Error(WS_INVALID_ARGUMENT,
                  "the ws::Store is closed (default-constructed, moved from, or close() was "
                  "called)");
    }
    return handle_;
  }

  ws_store *handle_ = nullptr;
};

}  // namespace ws

#endif  // WORKFLOW_STATE_HPP
