//! Undo for editors: checkpoints that merge keystrokes and carry the application's meta,
//! undo and redo that hand that meta back, and the clean mark (`ws_set_clean`).
//!
//! Common to every function here: `store`, `flow_id` and `session_id` must not be NULL;
//! ids are non-empty UTF-8 and `flow_id` holds no ':' (else `WS_INVALID_ARGUMENT`).
//! Each call is one transaction and thread-safe on a shared `store`; on any failure the
//! stored data is left exactly as it was.

use super::{arg_opt_str, ffi_boundary, session_args, set_string, ws_status, ws_store, OutString};
use crate::error::Result;
use crate::undo::Travel;
use crate::Store;
use std::ffi::c_char;

/// Undo and redo with their result: the same arguments, the same result text.
///
/// # Safety
/// As any export's arguments (see `session_args` and `OutString`).
unsafe fn travel(
    store: *mut ws_store,
    flow_id: *const c_char,
    session_id: *const c_char,
    out_result_json: *mut *mut c_char,
    go: fn(&Store, &str, &str) -> Result<Travel>,
) -> Result<()> {
    let out = OutString::string(out_result_json, "out_result_json")?;
    let (store, flow_id, session_id) = session_args(store, flow_id, session_id)?;
    let travel = go(store, flow_id, session_id)?;
    set_string(out, Some(travel.to_json()), "the result")
}

/// Records a checkpoint as `ws_checkpoint` does, with what an editor needs besides:
///
/// - `"label"`: string or null, as `ws_checkpoint`'s `label`.
/// - `"merge_key"`: a non-empty string. When the newest undo entry was made by a
///   checkpoint with the same key less than `"merge_window_ms"` (an integer from 0 to
///   2147483647; default `WS_DEFAULT_MERGE_WINDOW_MS`, 1000) before this one, by the clock of the process that made it, and the
///   redo stack is empty, this checkpoint pushes nothing: a run of keystrokes is one undo
///   step, and a run longer than the window starts a new step. An undo, a redo,
///   `ws_set_clean` or a checkpoint without that key ends the run.
/// - `"meta"`: any JSON value stored with the entry (a cursor, a selection, who acted);
///   `ws_undo_with` and `ws_redo_with` return it, `ws_undo_status` shows it.
///
/// A checkpoint whose state and current step equal those of the newest undo entry also
/// pushes nothing. A checkpoint that pushes nothing takes no revision; one that pushes
/// takes one, empties the redo stack and leaves `"clean"` as it was. A checkpoint that
/// merges (a keystroke inside a run) is one read: it takes no write lock, so it never
/// waits for another process's write of the file.
///
/// @param store, flow_id, session_id  The session (none may be NULL).
/// @param checkpoint_json The object above (every member optional), or NULL for `{}`.
/// @return `WS_OK`; `WS_INVALID_JSON` (not a JSON object, a member twice);
///         `WS_INVALID_ARGUMENT` (an unknown or mistyped member, `merge_window_ms`
///         without `merge_key`); `WS_BUSY`; `WS_IO`.
///
/// Thread-safe.
#[no_mangle]
pub extern "C" fn ws_checkpoint_with(
    store: *mut ws_store,
    flow_id: *const c_char,
    session_id: *const c_char,
    checkpoint_json: *const c_char,
) -> ws_status {
    ffi_boundary! { unsafe {
        let (store, flow_id, session_id) = session_args(store, flow_id, session_id)?;
        store.checkpoint_json(flow_id, session_id, arg_opt_str(checkpoint_json, "checkpoint_json")?)
    } }
}

/// Undoes as `ws_undo` does, and says what it undid.
///
/// @param store, flow_id, session_id  The session (none may be NULL).
/// @param out_result_json Not NULL. Receives
///        `{"done":bool,"label":str|null,"meta":any|null,"revision":R}`, owned by the
///        caller (free with `ws_string_free`): whether a checkpoint was restored (false:
///        nothing to undo, nothing changed), the label and meta of the entry undone (null
///        when nothing was), and the session's revision after the call. NULL on failure.
/// @return `WS_OK`; `WS_INVALID_ARGUMENT`; `WS_BUSY`; `WS_IO`; `WS_CORRUPT` as `ws_undo`,
///         or when the entry's meta is not JSON; nothing is then changed.
///
/// Thread-safe.
#[no_mangle]
pub extern "C" fn ws_undo_with(
    store: *mut ws_store,
    flow_id: *const c_char,
    session_id: *const c_char,
    out_result_json: *mut *mut c_char,
) -> ws_status {
    ffi_boundary! { unsafe {
        travel(store, flow_id, session_id, out_result_json, Store::undo_with)
    } }
}

/// Redoes as `ws_redo` does, and says what it redid: `out_result_json` as
/// `ws_undo_with`'s, for the entry re-applied (its label and meta are those of the
/// checkpoint that was undone).
///
/// @param store, flow_id, session_id  The session (none may be NULL).
/// @param out_result_json Not NULL. Receives the result, owned by the caller (free with
///        `ws_string_free`); NULL on failure.
/// @return As `ws_undo_with`.
///
/// Thread-safe.
#[no_mangle]
pub extern "C" fn ws_redo_with(
    store: *mut ws_store,
    flow_id: *const c_char,
    session_id: *const c_char,
    out_result_json: *mut *mut c_char,
) -> ws_status {
    ffi_boundary! { unsafe {
        travel(store, flow_id, session_id, out_result_json, Store::redo_with)
    } }
}

/// Marks the session's present state as the saved one (say, after writing it to a
/// file). `ws_undo_status` then reports `"clean": true` exactly while undo and redo have
/// brought the session back to this point: an edit makes it false, undo or redo back
/// to it true again, and once the entry holding it is trimmed or discarded (a new
/// checkpoint drops the redo stack) it stays false until the next `ws_set_clean`. The
/// mark is kept in the file, so it survives restarts and every process sees it. Ends
/// the merge run, so that an undo never steps across the saved point. Takes a revision,
/// unless the present state was marked already.
///
/// @param store, flow_id, session_id  The session (none may be NULL).
/// @return `WS_OK`; `WS_INVALID_ARGUMENT`; `WS_NOT_FOUND` when the session does not
///         exist; `WS_BUSY`; `WS_IO`.
///
/// Thread-safe.
#[no_mangle]
pub extern "C" fn ws_set_clean(
    store: *mut ws_store,
    flow_id: *const c_char,
    session_id: *const c_char,
) -> ws_status {
    ffi_boundary! { unsafe {
        let (store, flow_id, session_id) = session_args(store, flow_id, session_id)?;
        store.set_clean(flow_id, session_id)
    } }
}
