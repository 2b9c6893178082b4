//! History: the cjm stack functions on JSON text, the persisted per-session snapshot
//! stack, and whole-session undo/redo.
//!
//! Common to the store functions here: `store`, `flow_id` and `session_id` must not be
//! NULL; ids are non-empty UTF-8 and `flow_id` holds no ':' (else `WS_INVALID_ARGUMENT`).
//! Each call is thread-safe on a shared `store` and is one transaction: a failed call
//! leaves every stack and the session as they were. Stacks are trimmed to the store's
//! `max_history_depth` (oldest entries dropped), survive restarts, and are deleted with
//! the session (`ws_clear_state`, `ws_delete_session`, or another program deleting the
//! row). History calls never change the session's `updated_at`.

use super::{
    arg_opt_str, arg_str, c_string, ffi_boundary, session_args, set_string, ws_status, ws_store, Out,
    OutString,
};
use crate::history::{json_history_pop, json_history_push};
use std::ffi::c_char;

/// cjm-workflow-state's `push_history` on JSON text: appends a snapshot and keeps the
/// newest `max_depth` entries. Needs no store.
///
/// @param history_json A JSON array, or NULL for `[]`, nesting at most 511 levels (a
///                     history is a value kept in a state; see "JSON rules").
/// @param snapshot_json Any JSON value, not NULL, nesting at most 510 levels.
/// @param max_depth The most entries to keep, >= 1 (`WS_DEFAULT_MAX_HISTORY_DEPTH` is
///                  cjm's default).
/// @param out_history_json Not NULL. Receives the new history as compact JSON, owned by
///                         the caller (free with `ws_string_free`). NULL on failure.
/// @return `WS_OK`; `WS_INVALID_ARGUMENT` (NULL, bad UTF-8, `max_depth` 0);
///         `WS_INVALID_JSON` (unparsable, or `history_json` not an array).
///
/// Thread-safe.
#[no_mangle]
pub extern "C" fn ws_json_history_push(
    history_json: *const c_char,
    snapshot_json: *const c_char,
    max_depth: usize,
    out_history_json: *mut *mut c_char,
) -> ws_status {
    ffi_boundary! { unsafe {
        let out = OutString::string(out_history_json, "out_history_json")?;
        let history = json_history_push(
            arg_opt_str(history_json, "history_json")?,
            arg_str(snapshot_json, "snapshot_json")?,
            max_depth,
        )?;
        set_string(out, Some(history), "the history")
    } }
}

/// cjm-workflow-state's `pop_history` on JSON text: splits off the newest snapshot.
/// Needs no store.
///
/// @param history_json A JSON array, not NULL, nesting at most 511 levels.
/// @param out_snapshot_json Not NULL. Receives the newest snapshot as compact JSON, or
///                          NULL when the history is empty. Owned by the caller (free
///                          with `ws_string_free`). NULL on failure.
/// @param out_history_json  Not NULL. Receives the rest of the history (`"[]"` when
///                          empty), owned by the caller (free with `ws_string_free`).
///                          NULL on failure.
/// @return `WS_OK`; `WS_INVALID_ARGUMENT` (NULL, bad UTF-8); `WS_INVALID_JSON`
///         (unparsable, or not an array).
///
/// Thread-safe.
#[no_mangle]
pub extern "C" fn ws_json_history_pop(
    history_json: *const c_char,
    out_snapshot_json: *mut *mut c_char,
    out_history_json: *mut *mut c_char,
) -> ws_status {
    ffi_boundary! { unsafe {
        // Both out-pointers are reset before either NULL is reported.
        let out_snapshot = OutString::string(out_snapshot_json, "out_snapshot_json");
        let out_history = OutString::string(out_history_json, "out_history_json");
        let (out_snapshot, out_history) = (out_snapshot?, out_history?);
        let (snapshot, rest) = json_history_pop(arg_str(history_json, "history_json")?)?;
        // Both strings are converted before either is handed out, so a failure cannot
        // leave one set.
        let rest = c_string(rest, "the history")?;
        set_string(out_snapshot, snapshot, "the snapshot")?;
        out_history.set(rest.into_raw());
        Ok(())
    } }
}

/// Pushes a snapshot onto the session's history stack, creating the session if it does
/// not exist, then trims the stack to `max_history_depth`.
///
/// @param store, flow_id, session_id  The session (none may be NULL).
/// @param snapshot_json Any JSON value, not NULL, nesting at most 512 levels. Stored as
///                      compact JSON.
/// @return `WS_OK`; `WS_INVALID_ARGUMENT`; `WS_INVALID_JSON`; `WS_BUSY`; `WS_IO`
///         (read-only store, disk full).
///
/// Thread-safe.
#[no_mangle]
pub extern "C" fn ws_history_push(
    store: *mut ws_store,
    flow_id: *const c_char,
    session_id: *const c_char,
    snapshot_json: *const c_char,
) -> ws_status {
    ffi_boundary! { unsafe {
        let (store, flow_id, session_id) = session_args(store, flow_id, session_id)?;
        store.history_push(
            flow_id,
            session_id,
            arg_str(snapshot_json, "snapshot_json")?,
        )
    } }
}

/// Removes the newest snapshot from the session's history stack and returns it.
///
/// @param store, flow_id, session_id  The session (none may be NULL).
/// @param out_snapshot_json Not NULL. Receives the snapshot as compact JSON, owned by
///                          the caller (free with `ws_string_free`), or NULL when the
///                          stack is empty (or the session does not exist). NULL on
///                          failure.
/// @return `WS_OK`; `WS_INVALID_ARGUMENT`; `WS_BUSY`; `WS_IO`; `WS_CORRUPT` (the newest
///         snapshot, stored by another program, is not UTF-8 or holds a NUL byte: it is
///         not removed).
///
/// Thread-safe.
#[no_mangle]
pub extern "C" fn ws_history_pop(
    store: *mut ws_store,
    flow_id: *const c_char,
    session_id: *const c_char,
    out_snapshot_json: *mut *mut c_char,
) -> ws_status {
    ffi_boundary! { unsafe {
        let out = OutString::string(out_snapshot_json, "out_snapshot_json")?;
        let (store, flow_id, session_id) = session_args(store, flow_id, session_id)?;
        let snapshot = store.history_pop(flow_id, session_id)?;
        set_string(out, snapshot, "the snapshot")
    } }
}

/// Reads the newest snapshot of the session's history stack without removing it.
///
/// @param store, flow_id, session_id  The session (none may be NULL).
/// @param out_snapshot_json Not NULL. Receives the snapshot as compact JSON, owned by
///                          the caller (free with `ws_string_free`), or NULL when the
///                          stack is empty. NULL on failure.
/// @return `WS_OK`; `WS_INVALID_ARGUMENT`; `WS_BUSY`; `WS_IO`; `WS_CORRUPT` (the newest
///         snapshot is not UTF-8 or holds a NUL byte).
///
/// Thread-safe.
#[no_mangle]
pub extern "C" fn ws_history_peek(
    store: *mut ws_store,
    flow_id: *const c_char,
    session_id: *const c_char,
    out_snapshot_json: *mut *mut c_char,
) -> ws_status {
    ffi_boundary! { unsafe {
        let out = OutString::string(out_snapshot_json, "out_snapshot_json")?;
        let (store, flow_id, session_id) = session_args(store, flow_id, session_id)?;
        let snapshot = store.history_peek(flow_id, session_id)?;
        set_string(out, snapshot, "the snapshot")
    } }
}

/// Counts the snapshots in the session's history stack.
///
/// @param store, flow_id, session_id  The session (none may be NULL).
/// @param out_len Not NULL. Receives the count (0 for a session that does not exist);
///                0 on failure.
/// @return `WS_OK`; `WS_INVALID_ARGUMENT`; `WS_BUSY`; `WS_IO`.
///
/// Thread-safe.
#[no_mangle]
pub extern "C" fn ws_history_len(
    store: *mut ws_store,
    flow_id: *const c_char,
    session_id: *const c_char,
    out_len: *mut usize,
) -> ws_status {
    ffi_boundary! { unsafe {
        let out = Out::new(out_len, "out_len", 0)?;
        let (store, flow_id, session_id) = session_args(store, flow_id, session_id)?;
        out.set(store.history_len(flow_id, session_id)?);
        Ok(())
    } }
}

/// Empties the session's history stack (the undo and redo stacks are not touched).
///
/// @param store, flow_id, session_id  The session (none may be NULL).
/// @return `WS_OK`; `WS_INVALID_ARGUMENT`; `WS_BUSY`; `WS_IO`.
///
/// Thread-safe.
#[no_mangle]
pub extern "C" fn ws_history_clear(
    store: *mut ws_store,
    flow_id: *const c_char,
    session_id: *const c_char,
) -> ws_status {
    ffi_boundary! { unsafe {
        let (store, flow_id, session_id) = session_args(store, flow_id, session_id)?;
        store.history_clear(flow_id, session_id)
    } }
}

/// Records the session's state and current step as a checkpoint on its undo stack
/// (creating the session if it does not exist) and empties its redo stack. Does not
/// change `updated_at`.
///
/// @param store, flow_id, session_id  The session (none may be NULL).
/// @param label A label for the checkpoint (e.g. for an "Undo typing" menu item), or
///              NULL for none.
/// @return `WS_OK`; `WS_INVALID_ARGUMENT`; `WS_BUSY`; `WS_IO`.
///
/// Thread-safe.
#[no_mangle]
pub extern "C" fn ws_checkpoint(
    store: *mut ws_store,
    flow_id: *const c_char,
    session_id: *const c_char,
    label: *const c_char,
) -> ws_status {
    ffi_boundary! { unsafe {
        let (store, flow_id, session_id) = session_args(store, flow_id, session_id)?;
        store.checkpoint(
            flow_id,
            session_id,
            arg_opt_str(label, "label")?,
        )
    } }
}

/// Undoes: restores the state and current step of the newest checkpoint, and moves the
/// state it replaces, with that checkpoint's label, onto the redo stack. Sets
/// `updated_at` when the session changes.
///
/// @param store, flow_id, session_id  The session (none may be NULL).
/// @param out_done Not NULL. Receives true when a checkpoint was restored, false when
///                 there was nothing to undo (then nothing changed); false on failure.
/// @return `WS_OK`; `WS_INVALID_ARGUMENT`; `WS_BUSY`; `WS_IO`; `WS_CORRUPT` when the
///         entry to restore is damaged (a large state kept as chunks that are missing,
///         or a label, step or state that is not UTF-8 or holds a NUL byte); nothing is
///         then restored or moved.
///
/// Thread-safe.
#[no_mangle]
pub extern "C" fn ws_undo(
    store: *mut ws_store,
    flow_id: *const c_char,
    session_id: *const c_char,
    out_done: *mut bool,
) -> ws_status {
    ffi_boundary! { unsafe {
        let out = Out::new(out_done, "out_done", false)?;
        let (store, flow_id, session_id) = session_args(store, flow_id, session_id)?;
        out.set(store.undo(flow_id, session_id)?);
        Ok(())
    } }
}

/// Redoes: re-applies the newest undone state, and moves the state it replaces, with
/// the same label, back onto the undo stack. Sets `updated_at` when the session changes.
///
/// @param store, flow_id, session_id  The session (none may be NULL).
/// @param out_done Not NULL. Receives true when a state was re-applied, false when there
///                 was nothing to redo (then nothing changed); false on failure.
/// @return `WS_OK`; `WS_INVALID_ARGUMENT`; `WS_BUSY`; `WS_IO`; `WS_CORRUPT` when the
///         entry to restore is damaged (a large state kept as chunks that are missing,
///         or a label, step or state that is not UTF-8 or holds a NUL byte); nothing is
///         then restored or moved.
///
/// Thread-safe.
#[no_mangle]
pub extern "C" fn ws_redo(
    store: *mut ws_store,
    flow_id: *const c_char,
    session_id: *const c_char,
    out_done: *mut bool,
) -> ws_status {
    ffi_boundary! { unsafe {
        let out = Out::new(out_done, "out_done", false)?;
        let (store, flow_id, session_id) = session_args(store, flow_id, session_id)?;
        out.set(store.redo(flow_id, session_id)?);
        Ok(())
    } }
}

/// Reads the session's undo/redo status.
///
/// @param store, flow_id, session_id  The session (none may be NULL).
/// @param out_status_json Not NULL. Receives
///        `{"undo_depth":N,"redo_depth":N,"undo_label":str|null,"redo_label":str|null,
///        "undo_meta":any|null,"redo_meta":any|null,"clean":bool}`, owned by the caller
///        (free with `ws_string_free`): `undo_label` and `undo_meta` are the label and
///        meta (see `ws_checkpoint_with`) of the checkpoint an undo would restore,
///        `redo_label` and `redo_meta` those of the entry a redo would re-apply; `clean`
///        is true while the present state is the one `ws_set_clean` marked. NULL on
///        failure.
/// @return `WS_OK`; `WS_INVALID_ARGUMENT`; `WS_BUSY`; `WS_IO`; `WS_CORRUPT` (the label or
///         meta of the newest undo or redo entry is not UTF-8, holds a NUL byte, or, for
///         the meta, is not JSON).
///
/// Thread-safe.
#[no_mangle]
pub extern "C" fn ws_undo_status(
    store: *mut ws_store,
    flow_id: *const c_char,
    session_id: *const c_char,
    out_status_json: *mut *mut c_char,
) -> ws_status {
    ffi_boundary! { unsafe {
        let out = OutString::string(out_status_json, "out_status_json")?;
        let (store, flow_id, session_id) = session_args(store, flow_id, session_id)?;
        let status = store.undo_status(flow_id, session_id)?;
        set_string(out, Some(status), "the undo status")
    } }
}
