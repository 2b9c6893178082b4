//! Revisions and one atomic edit: the read half (`ws_get_session`, `ws_get_revision`)
//! and the write half (`ws_apply`) of an optimistic read-modify-write.
//!
//! Common to every function here: `store`, `flow_id` and `session_id` must not be NULL;
//! ids are non-empty UTF-8 and `flow_id` holds no ':' (else `WS_INVALID_ARGUMENT`).
//! Each call is thread-safe on a shared `store`; `ws_apply` is one transaction, and on
//! any failure the stored data is left exactly as it was.

use super::{arg_str, ffi_boundary, session_args, set_json, set_string, ws_status, ws_store, Out, OutString};
use std::ffi::c_char;

/// Reads the session's revision: the change sequence number of its latest change (see
/// `ws_changes_since`). Every committed change of the session, by any program on the
/// file, gives it a larger revision; a revision is never reused, also after the session
/// is deleted and created again.
///
/// @param store, flow_id, session_id  The session (none may be NULL).
/// @param out_revision Not NULL. Receives the revision, 0 when the session does not
///                     exist; 0 on failure.
/// @return `WS_OK`; `WS_INVALID_ARGUMENT`; `WS_BUSY`; `WS_IO`.
///
/// Thread-safe.
#[no_mangle]
pub extern "C" fn ws_get_revision(
    store: *mut ws_store,
    flow_id: *const c_char,
    session_id: *const c_char,
    out_revision: *mut i64,
) -> ws_status {
    ffi_boundary! { unsafe {
        let out = Out::new(out_revision, "out_revision", 0)?;
        let (store, flow_id, session_id) = session_args(store, flow_id, session_id)?;
        out.set(store.get_revision(flow_id, session_id)?);
        Ok(())
    } }
}

/// Reads one consistent snapshot of the session, the read half of an optimistic edit:
/// `{"flow_id":..,"session_id":..,"label":str|null,"current_step":str|null,
/// "state":{...},"revision":R,"created_at":..,"updated_at":..}`. Pass `revision` as
/// `"expect_revision"` to `ws_apply` to write only if nobody changed the session since.
///
/// @param store, flow_id, session_id  The session (none may be NULL).
/// @param out_session_json Not NULL. Receives the JSON object, owned by the caller (free
///                         with `ws_string_free`), or NULL when the session does not
///                         exist. NULL on failure.
/// @return `WS_OK`; `WS_INVALID_ARGUMENT`; `WS_BUSY`; `WS_IO`; `WS_CORRUPT` (the stored
///         state is not strict JSON, or a stored text is not UTF-8: see `WS_CORRUPT`).
///
/// Thread-safe.
#[no_mangle]
pub extern "C" fn ws_get_session(
    store: *mut ws_store,
    flow_id: *const c_char,
    session_id: *const c_char,
    out_session_json: *mut *mut c_char,
) -> ws_status {
    ffi_boundary! { unsafe {
        let out = OutString::string(out_session_json, "out_session_json")?;
        let (store, flow_id, session_id) = session_args(store, flow_id, session_id)?;
        let session = store.get_session(flow_id, session_id)?;
        set_json(out, session, "the session")
    } }
}

/// Applies one edit to the session in one `BEGIN IMMEDIATE` transaction: all of it
/// happens, or none of it (a failure writes nothing, the checkpoint included).
///
/// `edit_json` is an object; every member is optional:
/// - `"expect_revision": R`: `WS_CONFLICT` unless the session's revision is R now (0:
///   the session must not exist); the message says which revision was found.
/// - `"patch": [...]`: RFC 6902 JSON Patch operations (`add`, `remove`, `replace`,
///   `move`, `copy`, `test`) applied in order to the session state, plus
///   `{"op":"merge","path":P,"value":V}`, an RFC 7396 JSON Merge Patch of V into the
///   value at P (a missing value is merged as if absent; its parent must exist). Paths
///   are RFC 6901 JSON Pointers into the state (`""` is the whole state, which must stay
///   an object). Numbers keep their text, keys their order, and a value the patch does
///   not touch keeps its bytes. Values follow the "JSON rules" at the top of this header
///   at the depth where they end up.
/// - `"step": "id"`: set the current step (non-empty).
/// - `"label": "text" | null`: set or clear the label.
/// - `"checkpoint": "label" | null | {...}`: record an undo checkpoint of the session
///   as it was before this edit, exactly as `ws_checkpoint_with` does with that object
///   (`{"label", "merge_key", "merge_window_ms", "meta"}`; a string or null is
///   `{"label": that}`): it merges into a run, or pushes nothing when the newest undo
///   entry already holds the state and step. Only if the edit changes something.
/// - `"create": false`: `WS_NOT_FOUND` if the session does not exist (by default the
///   edit creates it, as every update call does; creating is a change).
///
/// The result is `{"revision":R,"changed":bool}`: the session's revision after the
/// edit, and whether it changed state, step or label (or created the session). An edit
/// that changes nothing takes no revision, leaves `updated_at` alone and pushes no
/// checkpoint. A changed session's `updated_at` is set to now (whole seconds).
///
/// @param store, flow_id, session_id  The session (none may be NULL).
/// @param edit_json The edit: a JSON object, not NULL.
/// @param out_result_json Nullable: NULL when the caller does not want the result; else
///                        it receives the result, owned by the caller (free with
///                        `ws_string_free`). NULL on failure.
/// @return `WS_OK`;
///         `WS_INVALID_ARGUMENT` (a bad id; an unknown member of `edit_json`; a member
///         of the wrong type, such as a negative or non-integer `expect_revision`, an
///         empty `step`);
///         `WS_INVALID_JSON` (`edit_json` is not a JSON object; a malformed patch: not
///         an array, an unknown op, a missing `path`, `value` or `from`, a bad JSON
///         Pointer such as `"a"` or `"/~2"`, a `move` into its own child; a value the
///         JSON rules refuse); the message names the operation's index and path;
///         `WS_CONFLICT` (`expect_revision` did not hold; or the patch does not fit the
///         stored state: a path that is not there, an index past the end, `-` where it
///         is not allowed, a failed `test`, the root replaced by a non-object; the
///         message names the operation's index and path and what was found);
///         `WS_NOT_FOUND` (`"create": false` and no such session);
///         `WS_BUSY`; `WS_IO` (read-only store, disk full); `WS_CORRUPT`.
///
/// Thread-safe.
#[no_mangle]
pub extern "C" fn ws_apply(
    store: *mut ws_store,
    flow_id: *const c_char,
    session_id: *const c_char,
    edit_json: *const c_char,
    out_result_json: *mut *mut c_char,
) -> ws_status {
    ffi_boundary! { unsafe {
        let out = if out_result_json.is_null() {
            None
        } else {
            Some(OutString::string(out_result_json, "out_result_json")?)
        };
        let (store, flow_id, session_id) = session_args(store, flow_id, session_id)?;
        let (revision, changed) = store.apply(flow_id, session_id, arg_str(edit_json, "edit_json")?)?;
        match out {
            Some(out) => set_string(out, Some(format!("{{\"revision\":{revision},\"changed\":{changed}}}")), "the result"),
            None => Ok(()),
        }
    } }
}
