//! Sessions: create, look up, list, query, label, delete, prune, copy.
//!
//! Common to every function here: `store` and `flow_id` must not be NULL; ids are
//! non-empty UTF-8 and `flow_id` holds no ':' (else `WS_INVALID_ARGUMENT`). Each call is
//! thread-safe on a shared `store`; each write is one transaction and a failed call
//! leaves the stored data as it was.
//!
//! A summary is the JSON object `{"flow_id","session_id","label","current_step",
//! "created_at","updated_at","state_size_bytes"}`: `label` and `current_step` may be
//! null; timestamps are UTC text `YYYY-MM-DD HH:MM:SS`, whole seconds as the Python
//! package writes them (a file written by version 0.1 may still hold `.SSS` suffixes,
//! until the session's next change); `state_size_bytes` is the byte length of the
//! stored state text.

use super::{
    arg_opt_str, arg_str, ffi_boundary, session_args, set_string, store_ref, ws_status, ws_store, Out,
    OutString,
};
use crate::sessions::Order;
use std::ffi::{c_char, c_int};

/// How `ws_list_sessions` orders sessions: one of the `WS_ORDER_*` values. Any other
/// value gives `WS_INVALID_ARGUMENT`.
pub type ws_order_by = c_int;
/// Most recently updated last (or first, descending).
pub const WS_ORDER_UPDATED_AT: ws_order_by = 0;
/// By creation time.
pub const WS_ORDER_CREATED_AT: ws_order_by = 1;
/// By label, compared bytewise; sessions without a label come first ascending, last
/// descending.
pub const WS_ORDER_LABEL: ws_order_by = 2;

/// Creates an empty session.
///
/// @param store, flow_id  Not NULL.
/// @param session_id The new session's id, or NULL to generate a lowercase UUID4
///                   (8-4-4-4-12). May contain ':'.
/// @param label      A label, or NULL for none.
/// @param out_session_id Not NULL. Receives the session id (the one given or the one
///                       generated), owned by the caller (free with `ws_string_free`).
///                       NULL on failure.
/// @return `WS_OK`; `WS_ALREADY_EXISTS` (the id is taken; nothing is changed);
///         `WS_INVALID_ARGUMENT`; `WS_BUSY`; `WS_IO`.
///
/// Thread-safe.
#[no_mangle]
pub extern "C" fn ws_create_session(
    store: *mut ws_store,
    flow_id: *const c_char,
    session_id: *const c_char,
    label: *const c_char,
    out_session_id: *mut *mut c_char,
) -> ws_status {
    ffi_boundary! { unsafe {
        let out = OutString::string(out_session_id, "out_session_id")?;
        let store = store_ref(store)?;
        let id = store.create_session(
            arg_str(flow_id, "flow_id")?,
            arg_opt_str(session_id, "session_id")?,
            arg_opt_str(label, "label")?,
        )?;
        set_string(out, Some(id), "the session id")
    } }
}

/// Tells whether a session exists.
///
/// @param store, flow_id, session_id  The session (none may be NULL).
/// @param out_exists Not NULL. Receives the answer; false on failure.
/// @return `WS_OK`; `WS_INVALID_ARGUMENT`; `WS_BUSY`; `WS_IO`.
///
/// Thread-safe.
#[no_mangle]
pub extern "C" fn ws_session_exists(
    store: *mut ws_store,
    flow_id: *const c_char,
    session_id: *const c_char,
    out_exists: *mut bool,
) -> ws_status {
    ffi_boundary! { unsafe {
        let out = Out::new(out_exists, "out_exists", false)?;
        let (store, flow_id, session_id) = session_args(store, flow_id, session_id)?;
        out.set(store.session_exists(flow_id, session_id)?);
        Ok(())
    } }
}

/// Reads one session's summary: the JSON object `{"flow_id","session_id","label",
/// "current_step","created_at","updated_at","state_size_bytes"}`, whose `label` and
/// `current_step` may be null; timestamps are UTC text `YYYY-MM-DD HH:MM:SS`;
/// `state_size_bytes` is the byte length of the stored state text. `ws_list_sessions`
/// and `ws_query_sessions` return the same objects.
///
/// @param store, flow_id, session_id  The session (none may be NULL).
/// @param out_summary_json Not NULL. Receives the summary object as JSON, owned by the
///                         caller (free with `ws_string_free`), or NULL when the session
///                         does not exist. NULL on failure.
/// @return `WS_OK`; `WS_INVALID_ARGUMENT`; `WS_BUSY`; `WS_IO`; `WS_CORRUPT` (a stored
///         text of the session is not UTF-8 or holds a NUL byte: see `WS_CORRUPT`).
///
/// Thread-safe.
#[no_mangle]
pub extern "C" fn ws_get_session_summary(
    store: *mut ws_store,
    flow_id: *const c_char,
    session_id: *const c_char,
    out_summary_json: *mut *mut c_char,
) -> ws_status {
    ffi_boundary! { unsafe {
        let out = OutString::string(out_summary_json, "out_summary_json")?;
        let (store, flow_id, session_id) = session_args(store, flow_id, session_id)?;
        let summary = store.get_session_summary(flow_id, session_id)?;
        set_string(out, summary, "the session summary")
    } }
}

/// Lists the summaries of exactly the sessions of `flow_id` (an exact match: `%` and `_`
/// are ordinary characters). Timestamps are whole seconds, and ties are broken exactly,
/// in the same direction: by `updated_at`, in the order of the changes (the change
/// sequence, see `ws_changes_since`); by `created_at` or label, in the order the sessions
/// were created. The cost follows the number of sessions in the flow, not in the file.
///
/// @param store, flow_id  Not NULL.
/// @param order_by   `WS_ORDER_UPDATED_AT`, `WS_ORDER_CREATED_AT` or `WS_ORDER_LABEL`.
/// @param descending true for newest / greatest first.
/// @param out_summaries_json Not NULL. Receives a JSON array of summary objects (`"[]"`
///                           when there are none), owned by the caller (free with
///                           `ws_string_free`). NULL on failure.
/// @return `WS_OK`; `WS_INVALID_ARGUMENT` (also for an `order_by` that is not a
///         `WS_ORDER_*` value); `WS_BUSY`; `WS_IO`; `WS_CORRUPT` (a stored text of one of
///         the flow's sessions is not UTF-8 or holds a NUL byte: the message names that
///         session and the column, see `WS_CORRUPT`).
///
/// Thread-safe.
#[no_mangle]
pub extern "C" fn ws_list_sessions(
    store: *mut ws_store,
    flow_id: *const c_char,
    order_by: ws_order_by,
    descending: bool,
    out_summaries_json: *mut *mut c_char,
) -> ws_status {
    ffi_boundary! { unsafe {
        let out = OutString::string(out_summaries_json, "out_summaries_json")?;
        let store = store_ref(store)?;
        let flow_id = arg_str(flow_id, "flow_id")?;
        let list = store.list_sessions(flow_id, Order::from_code(order_by.into())?, descending)?;
        set_string(out, Some(list), "the session list")
    } }
}

/// Sets or clears a session's label and sets its `updated_at`. A no-op (`WS_OK`) when
/// the session does not exist.
///
/// @param store, flow_id, session_id  The session (none may be NULL).
/// @param label The new label, or NULL to clear it.
/// @return `WS_OK`; `WS_INVALID_ARGUMENT`; `WS_BUSY`; `WS_IO`.
///
/// Thread-safe.
#[no_mangle]
pub extern "C" fn ws_set_session_label(
    store: *mut ws_store,
    flow_id: *const c_char,
    session_id: *const c_char,
    label: *const c_char,
) -> ws_status {
    ffi_boundary! { unsafe {
        let (store, flow_id, session_id) = session_args(store, flow_id, session_id)?;
        store.set_session_label(
            flow_id,
            session_id,
            arg_opt_str(label, "label")?,
        )
    } }
}

/// Deletes a session and everything stored with it; the same as `ws_clear_state`.
/// Deleting a session that does not exist succeeds.
///
/// @param store, flow_id, session_id  The session (none may be NULL).
/// @return `WS_OK`; `WS_INVALID_ARGUMENT`; `WS_BUSY`; `WS_IO`.
///
/// Thread-safe.
#[no_mangle]
pub extern "C" fn ws_delete_session(
    store: *mut ws_store,
    flow_id: *const c_char,
    session_id: *const c_char,
) -> ws_status {
    ffi_boundary! { unsafe {
        let (store, flow_id, session_id) = session_args(store, flow_id, session_id)?;
        store.delete_session(flow_id, session_id)
    } }
}

/// Deletes the sessions last updated before a time, with everything stored with them
/// (history, undo and redo entries, their chunks' references, the clean mark). Each
/// deletion appears in the change feed (`ws_changes_since`) as a deleted
/// session, with its own number.
///
/// The deletions run in batches, each its own transaction holding the write lock about
/// 2 ms (the batch size adapts to how long a session takes to delete), so that other
/// writers, of this store or another process, get in between batches. Unlike the
/// other calls here it is therefore not one transaction: a failure leaves the batches
/// before it deleted (each whole), and its message says how many sessions they held.
/// Sessions written while it runs are deleted when they match too.
///
/// @param store   Not NULL.
/// @param flow_id The flow, or NULL for every flow of the file.
/// @param updated_before Not NULL. A UTC timestamp `YYYY-MM-DD HH:MM:SS` (the form of
///        `updated_at`); a session goes when its `updated_at`, compared as text (which for
///        that form is time order), is before it. Any other form is `WS_INVALID_ARGUMENT`.
/// @param out_deleted Not NULL. Receives how many sessions were deleted; 0 on failure.
/// @return `WS_OK`; `WS_INVALID_ARGUMENT`; `WS_BUSY`; `WS_IO`; `WS_CORRUPT`.
///
/// Thread-safe.
#[no_mangle]
pub extern "C" fn ws_prune_sessions(
    store: *mut ws_store,
    flow_id: *const c_char,
    updated_before: *const c_char,
    out_deleted: *mut usize,
) -> ws_status {
    ffi_boundary! { unsafe {
        let out = Out::new(out_deleted, "out_deleted", 0)?;
        let store = store_ref(store)?;
        let flow_id = arg_opt_str(flow_id, "flow_id")?;
        out.set(store.prune_sessions(flow_id, arg_str(updated_before, "updated_before")?)?);
        Ok(())
    } }
}

/// Copies a session to a new session of the same flow: the same label, current step and
/// state text (byte for byte), with `created_at` and `updated_at` set to now (whole
/// seconds) and a revision of its own (the call takes one number of the change
/// sequence, the copy's: `ws_changes_since` lists it). The source is only read: its
/// revision and `updated_at` stay as they were.
///
/// With `with_history`, the copy also gets every entry of the source's history, undo and
/// redo stacks (labels, metas, snapshots) and its clean mark: `ws_undo_status` on the
/// copy gives what it gives on the source, and undo and redo on the copy go through the
/// same states. A copy starts no merge run (its first checkpoint with a `merge_key`
/// pushes). Large snapshots stored as chunks are shared between the two sessions, not
/// duplicated; deleting either leaves the other's entries whole. Without it, the copy
/// has empty stacks and no clean mark.
///
/// @param store, flow_id  Not NULL.
/// @param from_session_id The session to copy, not NULL.
/// @param to_session_id   The new session's id, not NULL; must not exist.
/// @param with_history    Whether the stacks and the clean mark are copied too.
/// @return `WS_OK`; `WS_NOT_FOUND` (the source does not exist); `WS_ALREADY_EXISTS`
///         (the target exists, also when it is the source: delete it first or pick
///         another id); `WS_INVALID_ARGUMENT` (a NULL or bad id, named); `WS_BUSY`;
///         `WS_IO`. A failed call changes nothing. Nothing to free.
///
/// Thread-safe.
#[no_mangle]
pub extern "C" fn ws_copy_session(
    store: *mut ws_store,
    flow_id: *const c_char,
    from_session_id: *const c_char,
    to_session_id: *const c_char,
    with_history: bool,
) -> ws_status {
    ffi_boundary! { unsafe {
        let store = store_ref(store)?;
        store.copy_session(
            arg_str(flow_id, "flow_id")?,
            arg_str(from_session_id, "from_session_id")?,
            arg_str(to_session_id, "to_session_id")?,
            with_history,
        )
    } }
}

/// One page of a flow's sessions, in any order, filtered, with values from each state.
///
/// `query_json` is a JSON object; every member is optional:
/// - `"order_by"`: `"updated_at"` (the default), `"created_at"` or `"label"`; ties go by
///   session id, in the same direction. Sessions without a label sort as an empty one.
/// - `"descending"`: `true` (the default) for newest / greatest first.
/// - `"limit"`: sessions per page, 1 to 10000 (default 100).
/// - `"after"`: the `"next"` of the previous page, to continue a walk (null or absent:
///   the first page). A cursor continues only the flow, `order_by` and `descending` that
///   returned it; any other, or a changed one, is `WS_INVALID_ARGUMENT` saying which.
/// - `"current_step"`: only sessions at this step.
/// - `"label_prefix"`: only sessions whose label starts with this text (bytewise).
/// - `"updated_after"`, `"updated_before"`: only sessions whose `updated_at` is after /
///   before this UTC timestamp `YYYY-MM-DD HH:MM:SS` (both bounds exclusive).
/// - `"fields"`: an array of up to 256 distinct RFC 6901 JSON Pointers into the state
///   (`"/title"`, `"/_step_review/items/0"`, `"/a~1b"` for the key `a/b`, `"/m~0n"` for
///   `m~n`).
///
/// The page is `{"sessions":[...],"next":cursor|null}`: each session is its summary (as
/// `ws_get_session_summary` returns it) plus `"revision"` (its number in the change sequence, see
/// `ws_get_revision`) and `"fields"`, an object with each pointer of the query as a key
/// and the JSON value at it as the value, `null` where the state has none (an absent
/// member, an index past the end, an index written other than RFC 6901 writes it); `{}`
/// without `"fields"`. `"next"` is null on the last page; else pass it as `"after"`.
///
/// Paging is by keyset: a page costs the same at any position (one index seek, then the
/// page's rows), and a walk returns every session that exists unchanged from its first
/// page to its last exactly once, even while other threads or processes write. A session
/// created, or changed (a new revision), after the walk's first page is left out of its
/// later pages, so none is ever returned twice: the change feed (`ws_changes_since`, from
/// a `ws_latest_seq` read before the first page) tells a client what changed meanwhile.
/// Filters narrow what a page returns; `updated_after` / `updated_before` with the
/// `updated_at` order and `label_prefix` with the `label` order also narrow the index
/// range read, other filters are checked row by row. Each page is read in one statement,
/// so it is one consistent snapshot.
///
/// A value at a pointer is found without parsing the whole state: members before it are
/// skipped over, never parsed, and nothing after it is read.
///
/// @param store, flow_id  Not NULL.
/// @param query_json A JSON object as above, or NULL for every default.
/// @param out_page_json Not NULL. Receives the page (JSON text), owned by the caller
///                      (free with `ws_string_free`). NULL on failure.
/// @return `WS_OK`; `WS_INVALID_ARGUMENT` (bad JSON, an unknown member, a member of the
///         wrong type or range, an invalid pointer or timestamp, a cursor of another
///         walk or a damaged one: the message names which); `WS_BUSY`; `WS_IO`;
///         `WS_CORRUPT` (a stored text of one of the page's sessions cannot be read; the
///         message names the session).
///
/// Thread-safe.
#[no_mangle]
pub extern "C" fn ws_query_sessions(
    store: *mut ws_store,
    flow_id: *const c_char,
    query_json: *const c_char,
    out_page_json: *mut *mut c_char,
) -> ws_status {
    ffi_boundary! { unsafe {
        let out = OutString::string(out_page_json, "out_page_json")?;
        let store = store_ref(store)?;
        let flow_id = arg_str(flow_id, "flow_id")?;
        let page = store.query_sessions(flow_id, arg_opt_str(query_json, "query_json")?)?;
        set_string(out, Some(page), "the page")
    } }
}
