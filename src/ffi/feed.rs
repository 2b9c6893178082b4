//! The change feed: the database's change sequence, the changes after a number, and
//! waiting for the next one. Every committed change of a session, by any program on the
//! file (the Python package included), takes the next number of the sequence; the feed
//! lists each changed session once, at its latest change.
//!
//! Each call is thread-safe on a shared `store`; `store` must not be NULL.

use super::{arg_opt_str, ffi_boundary, set_string, store::store_ref, ws_status, ws_store, Out, OutString};
use std::ffi::c_char;
use std::time::Duration;

/// Reads the latest number of the database's change sequence.
///
/// @param store The store, not NULL.
/// @param out_seq Not NULL. Receives the number, 0 for a database never changed; 0 on
///                failure.
/// @return `WS_OK`; `WS_INVALID_ARGUMENT`; `WS_BUSY`; `WS_IO`.
///
/// Thread-safe.
#[no_mangle]
pub extern "C" fn ws_latest_seq(store: *mut ws_store, out_seq: *mut i64) -> ws_status {
    ffi_boundary! { unsafe {
        let out = Out::new(out_seq, "out_seq", 0)?;
        out.set(store_ref(store)?.latest_seq()?);
        Ok(())
    } }
}

/// Lists, in sequence order, every session (of `flow_id`, or of every flow) whose latest
/// change is after `after_seq`, each once at its latest change (earlier changes of the
/// same session are folded into it), and deleted sessions as `"deleted": true`:
/// `{"changes":[{"seq":N,"flow_id":..,"session_id":..,"revision":R,"deleted":bool},...],
/// "last_seq":M,"more":bool,"reset":bool}`. For a live session `revision` is its
/// revision (= `seq`); for a deletion, the deletion's number.
///
/// Follow the feed by calling again with `last_seq` while `"more"` is true, then
/// `ws_wait_for_change(store, last_seq, ...)`. `"reset": true` says that `after_seq` is
/// older than what the file still remembers of deletions: reload everything, then
/// follow from `last_seq`. The file remembers deletions for at least the option
/// `change_retention_s` (default 7 days) or the newest 10,000, whichever keeps more.
///
/// @param store The store, not NULL.
/// @param flow_id Nullable: NULL lists every flow; else a flow id (no ':').
/// @param after_seq The number to list after, >= 0 (0: every session there is).
/// @param limit The most changes to list, at most 100000; 0 gives 1000.
/// @param out_changes_json Not NULL. Receives the page, owned by the caller (free with
///                         `ws_string_free`). NULL on failure.
/// @return `WS_OK`; `WS_INVALID_ARGUMENT` (a negative `after_seq`, `limit` above
///         100000, a bad `flow_id`); `WS_BUSY`; `WS_IO`; `WS_CORRUPT`.
///
/// Thread-safe.
#[no_mangle]
pub extern "C" fn ws_changes_since(
    store: *mut ws_store,
    flow_id: *const c_char,
    after_seq: i64,
    limit: usize,
    out_changes_json: *mut *mut c_char,
) -> ws_status {
    ffi_boundary! { unsafe {
        let out = OutString::string(out_changes_json, "out_changes_json")?;
        let store = store_ref(store)?;
        let page = store.changes_since(arg_opt_str(flow_id, "flow_id")?, after_seq, limit)?;
        set_string(out, Some(page), "the changes")
    } }
}

/// Waits until the database's latest change number is beyond `after_seq` (a commit by
/// this store, another store or another process, the Python package included) or
/// `timeout_ms` passes. A commit in another process is seen within 50 ms; one by this
/// store at once. The store is not held while waiting: other threads' calls on it go on.
///
/// @param store The store, not NULL.
/// @param after_seq The number already seen, >= 0.
/// @param timeout_ms The most milliseconds to wait: 0 only looks, a negative value waits
///                   without limit.
/// @param out_latest_seq Not NULL. Receives the latest number: beyond `after_seq`, or
///                       (after a timeout, still `WS_OK`) the unchanged latest. 0 on
///                       failure.
/// @return `WS_OK`; `WS_INVALID_ARGUMENT` (a negative `after_seq`); `WS_BUSY`; `WS_IO`.
///
/// Thread-safe: any number of threads may wait on one store.
#[no_mangle]
pub extern "C" fn ws_wait_for_change(
    store: *mut ws_store,
    after_seq: i64,
    timeout_ms: i32,
    out_latest_seq: *mut i64,
) -> ws_status {
    ffi_boundary! { unsafe {
        let out = Out::new(out_latest_seq, "out_latest_seq", 0)?;
        let timeout = u64::try_from(timeout_ms).ok().map(Duration::from_millis);
        out.set(store_ref(store)?.wait_for_change(after_seq, timeout)?);
        Ok(())
    } }
}
