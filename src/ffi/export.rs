//! Export and import: sessions with their history, undo and redo stacks as one JSON
//! document (the format is in `ws_export`'s header text, and in `src/export.rs`).

use super::{arg_opt_str, arg_str, ffi_boundary, set_string, store_ref, ws_status, ws_store, OutString};
use std::ffi::c_char;

/// Exports sessions, with their history, undo and redo stacks and clean marks, as one
/// self-describing, versioned JSON document, which `ws_import` takes back into this or any
/// other store (a backup, a move to another file, a seed). It reads one snapshot of the
/// file: sessions other writers change meanwhile are exported as they were before or
/// after each change, never half-changed. Nothing is written.
///
/// The document (compact JSON, members in this order), format version 1:
///
///   {"format":"workflow_state.export","version":1,"sessions":[SESSION, ...]}
///   SESSION = {"flow_id":str,"session_id":str,"label":str|null,"current_step":str|null,
///              "state_json":str|null,"created_at":str|null,"updated_at":str|null,
///              "history":[str, ...],"undo":[ENTRY, ...],"redo":[ENTRY, ...],
///              "present_version":int,"clean_version":int|null}
///   ENTRY   = {"label":str|null,"current_step":str|null,"snapshot":str|null,"meta":str|null,
///              "made_ms":int|null,"version":int|null}
///
/// - Sessions come in key order (`flow_id ":" session_id`, compared bytewise).
/// - `state_json` is the stored state text as a JSON string, so that it comes back byte
///   for byte (its whitespace, key order and number texts as stored), or null where the
///   row holds none (another program's row: it reads as `{}`, as `""` does). Timestamps
///   are as stored, UTC `YYYY-MM-DD HH:MM:SS` (null only where the file holds none).
/// - `history` is the `ws_history_push` stack, `undo` and `redo` the undo and redo stacks,
///   each oldest first: the last entry is the one `ws_history_pop`, `ws_undo` or `ws_redo`
///   takes next. A history entry is its snapshot's JSON text; an undo or redo entry has its
///   label, the current step and state text it restores (`snapshot`, byte for byte, also
///   for a large state kept as shared chunks; null as for `state_json`), its meta's JSON
///   text, when it was made
///   (`made_ms`, Unix milliseconds by the writing process's clock; null for an entry
///   made before the file had undo for editors) and the version of the state it holds.
/// - `present_version` is the version of the session's present state and `clean_version`
///   the one `ws_set_clean` marked (null: none): `ws_undo_status`'s `"clean"` is true
///   exactly when they are equal. Versions mean something only compared with the other
///   versions of the same session (see `ws_import`).
/// - A merge run (`ws_checkpoint_with`'s `"merge_key"`) is not exported: after an import
///   the next checkpoint pushes.
///
/// @param store  Not NULL.
/// @param flow_id The flow to export, or NULL for every session of the file.
/// @param session_id The one session of `flow_id` to export, or NULL for all of the
///        flow's (or the file's). A session_id with a NULL flow_id is
///        `WS_INVALID_ARGUMENT`.
/// @param out_export_json Not NULL. Receives the document, owned by the caller (free
///      with `ws_string_free`); a flow without sessions gives `"sessions":[]`. NULL on
///        failure.
/// @return `WS_OK`; `WS_NOT_FOUND` (the one session asked for does not exist);
///         `WS_INVALID_ARGUMENT`; `WS_BUSY`; `WS_IO`; `WS_CORRUPT` (a stored text of a
///         session that is not UTF-8, holds a NUL byte, or is not strict JSON where JSON
///         is kept: state, snapshot, meta; the message names the session, the stack and
///         entry, and the column: what the export would hold, `ws_import` must take).
///
/// Thread-safe.
#[no_mangle]
pub extern "C" fn ws_export(
    store: *mut ws_store,
    flow_id: *const c_char,
    session_id: *const c_char,
    out_export_json: *mut *mut c_char,
) -> ws_status {
    ffi_boundary! { unsafe {
        let out = OutString::string(out_export_json, "out_export_json")?;
        let store = store_ref(store)?;
        let document = store.export(arg_opt_str(flow_id, "flow_id")?, arg_opt_str(session_id, "session_id")?)?;
        set_string(out, Some(document), "the export")
    } }
}

/// Imports the sessions of a document `ws_export` wrote (format version 1) into this
/// store, in one transaction: all of them or none.
///
/// Each session gets the document's label, current step, state text (byte for byte) and
/// timestamps, its history, undo and redo stacks (large snapshots are kept as shared
/// chunks again, by this store's rules) and its clean mark: `ws_get_session` (but for
/// the revision), `ws_undo_status`, `ws_history_*` and undo and redo then go as they did
/// where it was exported. Each imported session takes a new revision (the change feed
/// lists it). Stacks come in whole, also when deeper than this store's
/// `max_history_depth` or `max_history_bytes`: its next checkpoint or push trims them.
/// The order of sessions created or changed in the same second is the document's (key
/// order), not the source file's.
///
/// Versions are numbered for this store: a version this store could later give a session
/// as its revision (as in a fresh file) is renumbered below zero, the same number for the
/// same version, so that no edit after the import can make a session "clean" by chance;
/// a `ws_export` of an imported session may show such numbers.
///
/// The whole document is checked before anything is written; each fault is refused with
/// a message naming where it is: `sessions[3].undo[1].snapshot must be a string, got
/// null`. The rules: the document is a JSON object (else `WS_INVALID_JSON`) with
/// `"format":"workflow_state.export"` (missing or other: not an export), an integer
/// `"version"` of at most 1 (a newer one: upgrade workflow_state) and a `"sessions"`
/// array; every member the format lists is there with its type, and no other; ids are
/// non-empty, a flow id holds no ':', and each session is in the document once; labels,
/// steps and timestamps hold no NUL; `state_json` and every undo or redo `snapshot` is a
/// JSON object's text (or null or `""`, which read as `{}`) and every history snapshot
/// and meta a JSON value's, each strict JSON by the rules the library reads stored text
/// with.
///
/// @param store   Not NULL.
/// @param export_json Not NULL. The document.
/// @param replace false: if any session of the document exists, `WS_ALREADY_EXISTS`
///        naming the first (in document order) and nothing is written. true: each session
///        of the document that exists is replaced whole (its row, stacks and clean mark
///        are deleted first); sessions the document does not hold are left alone.
/// @return `WS_OK`; `WS_INVALID_JSON` (not JSON, or not an object);
///         `WS_INVALID_ARGUMENT` (NULL, bad UTF-8, or a document the rules above refuse,
///         named); `WS_ALREADY_EXISTS`; `WS_BUSY`; `WS_IO`. A failed call writes nothing.
///         Nothing to free.
///
/// Thread-safe. One transaction: other writers wait for it (up to their busy timeout).
#[no_mangle]
pub extern "C" fn ws_import(store: *mut ws_store, export_json: *const c_char, replace: bool) -> ws_status {
    ffi_boundary! { unsafe {
        let store = store_ref(store)?;
        store.import(arg_str(export_json, "export_json")?, replace).map(drop)
    } }
}
