//! Session state: current step, session JSON, per-step JSON.
//!
//! Common to every function here: `store`, `flow_id` and `session_id` must not be NULL;
//! ids are non-empty UTF-8 and `flow_id` holds no ':' (else `WS_INVALID_ARGUMENT`).
//! Each call is thread-safe on a shared `store`, and each write is one transaction:
//! on any failure the stored data is left exactly as it was.

use super::{arg_str, ffi_boundary, session_args, set_json, set_string, ws_status, ws_store, OutString};
use std::ffi::c_char;

/// Reads the session's current step.
///
/// @param store, flow_id, session_id  The session (none may be NULL).
/// @param out_step_id Not NULL. Receives the step id, owned by the caller (free with
///                    `ws_string_free`), or NULL when the session does not exist or has
///                    no current step. NULL on failure.
/// @return `WS_OK`; `WS_INVALID_ARGUMENT`; `WS_BUSY`; `WS_IO`; `WS_CORRUPT` (the stored
///         step is not UTF-8 text or holds a NUL byte).
///
/// Thread-safe.
#[no_mangle]
pub extern "C" fn ws_get_current_step(
    store: *mut ws_store,
    flow_id: *const c_char,
    session_id: *const c_char,
    out_step_id: *mut *mut c_char,
) -> ws_status {
    ffi_boundary! { unsafe {
        let out = OutString::string(out_step_id, "out_step_id")?;
        let (store, flow_id, session_id) = session_args(store, flow_id, session_id)?;
        let step = store.get_current_step(flow_id, session_id)?;
        set_string(out, step, "the stored current step")
    } }
}

/// Sets the session's current step, creating the session if it does not exist, and
/// sets its `updated_at`.
///
/// @param store, flow_id, session_id  The session (none may be NULL).
/// @param step_id The step id: non-empty UTF-8, not NULL.
/// @return `WS_OK`; `WS_INVALID_ARGUMENT`; `WS_BUSY` (another writer held the file past
///         the busy timeout); `WS_IO` (read-only store, disk full, cannot write).
///
/// Thread-safe.
#[no_mangle]
pub extern "C" fn ws_set_current_step(
    store: *mut ws_store,
    flow_id: *const c_char,
    session_id: *const c_char,
    step_id: *const c_char,
) -> ws_status {
    ffi_boundary! { unsafe {
        let (store, flow_id, session_id) = session_args(store, flow_id, session_id)?;
        store.set_current_step(
            flow_id,
            session_id,
            arg_str(step_id, "step_id")?,
        )
    } }
}

/// Reads the session's whole state as compact JSON (an object, keys in stored order,
/// numbers exactly as stored).
///
/// @param store, flow_id, session_id  The session (none may be NULL).
/// @param out_state_json Not NULL. Receives the JSON text, owned by the caller (free
///                       with `ws_string_free`); `"{}"` when the session does not
///                       exist. NULL on failure.
/// @return `WS_OK`; `WS_INVALID_ARGUMENT`; `WS_BUSY`; `WS_IO`; `WS_CORRUPT` (the stored
///         text is not strict JSON, e.g. Python's `NaN`, or not an object: the message
///         names the session, and the text is left as it is).
///
/// Thread-safe.
#[no_mangle]
pub extern "C" fn ws_get_state(
    store: *mut ws_store,
    flow_id: *const c_char,
    session_id: *const c_char,
    out_state_json: *mut *mut c_char,
) -> ws_status {
    ffi_boundary! { unsafe {
        let out = OutString::string(out_state_json, "out_state_json")?;
        let (store, flow_id, session_id) = session_args(store, flow_id, session_id)?;
        let state = store.get_state(flow_id, session_id)?;
        set_json(out, Some(state), "the stored state")
    } }
}

/// Merges the top-level keys of `updates_json` into the session state, as Python's
/// `dict.update` does (existing keys keep their position, new keys are appended),
/// creating the session if it does not exist; sets `updated_at`. The read, merge and
/// write are one transaction, so concurrent writers never lose an update.
///
/// @param store, flow_id, session_id  The session (none may be NULL).
/// @param updates_json A JSON object, not NULL, nesting at most 512 levels (it is merged
///                     into the state; see "JSON rules").
/// @return `WS_OK`; `WS_INVALID_ARGUMENT`; `WS_INVALID_JSON` (unparsable, or not an
///         object); `WS_CORRUPT` (the stored state is not a strict JSON object);
///         `WS_BUSY`; `WS_IO` (read-only store, disk full, cannot write).
///
/// Thread-safe.
#[no_mangle]
pub extern "C" fn ws_update_state(
    store: *mut ws_store,
    flow_id: *const c_char,
    session_id: *const c_char,
    updates_json: *const c_char,
) -> ws_status {
    ffi_boundary! { unsafe {
        let (store, flow_id, session_id) = session_args(store, flow_id, session_id)?;
        store.update_state(
            flow_id,
            session_id,
            arg_str(updates_json, "updates_json")?,
        )
    } }
}

/// Deletes the session: its row and everything stored with it. Deleting a session that
/// does not exist succeeds.
///
/// @param store, flow_id, session_id  The session (none may be NULL).
/// @return `WS_OK`; `WS_INVALID_ARGUMENT`; `WS_BUSY`; `WS_IO` (read-only store, cannot
///         write).
///
/// Thread-safe.
#[no_mangle]
pub extern "C" fn ws_clear_state(
    store: *mut ws_store,
    flow_id: *const c_char,
    session_id: *const c_char,
) -> ws_status {
    ffi_boundary! { unsafe {
        let (store, flow_id, session_id) = session_args(store, flow_id, session_id)?;
        store.clear_state(flow_id, session_id)
    } }
}

/// Reads one step's state: the value stored under `"_step_" + step_id` in the session
/// state.
///
/// @param store, flow_id, session_id  The session (none may be NULL).
/// @param step_id The step id: non-empty UTF-8, not NULL.
/// @param out_step_state_json Not NULL. Receives compact JSON, owned by the caller (free
///                            with `ws_string_free`): `"{}"` when the step has no
///                            state, else the stored value, whatever its type. NULL on
///                            failure.
/// @return `WS_OK`; `WS_INVALID_ARGUMENT`; `WS_BUSY`; `WS_IO`; `WS_CORRUPT`.
///
/// Thread-safe.
#[no_mangle]
pub extern "C" fn ws_get_step_state(
    store: *mut ws_store,
    flow_id: *const c_char,
    session_id: *const c_char,
    step_id: *const c_char,
    out_step_state_json: *mut *mut c_char,
) -> ws_status {
    ffi_boundary! { unsafe {
        let out = OutString::string(out_step_state_json, "out_step_state_json")?;
        let (store, flow_id, session_id) = session_args(store, flow_id, session_id)?;
        let value = store.get_step_state(
            flow_id,
            session_id,
            arg_str(step_id, "step_id")?,
        )?;
        set_json(out, Some(value), "the stored step state")
    } }
}

/// Merges the top-level keys of `updates_json` into one step's object (kept under
/// `"_step_" + step_id` in the session state), creating the step state and the session
/// as needed; sets `updated_at`. One transaction.
///
/// @param store, flow_id, session_id  The session (none may be NULL).
/// @param step_id The step id: non-empty UTF-8, not NULL.
/// @param updates_json A JSON object, not NULL, nesting at most 511 levels (it is merged
///                     into the step's object, inside the state; see "JSON rules").
/// @return `WS_OK`; `WS_INVALID_ARGUMENT`; `WS_INVALID_JSON` (unparsable, or not an
///         object); `WS_CONFLICT` (the stored step value is not an object; nothing is
///         changed); `WS_CORRUPT`; `WS_BUSY`; `WS_IO`.
///
/// Thread-safe.
#[no_mangle]
pub extern "C" fn ws_update_step_state(
    store: *mut ws_store,
    flow_id: *const c_char,
    session_id: *const c_char,
    step_id: *const c_char,
    updates_json: *const c_char,
) -> ws_status {
    ffi_boundary! { unsafe {
        let (store, flow_id, session_id) = session_args(store, flow_id, session_id)?;
        store.update_step_state(
            flow_id,
            session_id,
            arg_str(step_id, "step_id")?,
            arg_str(updates_json, "updates_json")?,
        )
    } }
}

/// Removes one step's state, leaving every other key of the session state as it was.
/// A no-op (`WS_OK`, nothing written) when the step has no state or the session does
/// not exist.
///
/// @param store, flow_id, session_id  The session (none may be NULL).
/// @param step_id The step id: non-empty UTF-8, not NULL.
/// @return `WS_OK`; `WS_INVALID_ARGUMENT`; `WS_CORRUPT`; `WS_BUSY`; `WS_IO`.
///
/// Thread-safe.
#[no_mangle]
pub extern "C" fn ws_clear_step_state(
    store: *mut ws_store,
    flow_id: *const c_char,
    session_id: *const c_char,
    step_id: *const c_char,
) -> ws_status {
    ffi_boundary! { unsafe {
        let (store, flow_id, session_id) = session_args(store, flow_id, session_id)?;
        store.clear_step_state(
            flow_id,
            session_id,
            arg_str(step_id, "step_id")?,
        )
    } }
}
