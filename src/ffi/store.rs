//! `ws_store`: opening and closing a store.

use super::{arg_opt_str, arg_str, check_ptr, ffi_boundary, ws_status, Out};
use crate::error::Result;
use crate::options::Options;
use crate::store::Store;
use std::ffi::c_char;

/// An open store: one database file (or a private in-memory database) and its
/// connection. Opaque; made by `ws_store_open` / `ws_store_open_with`, released with
/// `ws_store_close`. One handle may be used by several threads at once.
pub struct ws_store {
    store: Store,
}

/// The store behind a handle argument.
///
/// # Safety
/// A non-NULL `ptr` must come from `ws_store_open*` and not have been closed.
pub(crate) unsafe fn store_ref<'a>(ptr: *mut ws_store) -> Result<&'a Store> {
    Ok(&(*check_ptr(ptr, "store")?).store)
}

unsafe fn open(
    path: *const c_char,
    options_json: *const c_char,
    out_store: *mut *mut ws_store,
) -> Result<()> {
    let out = Out::new(out_store, "out_store", std::ptr::null_mut())?;
    let path = arg_str(path, "path")?;
    let options = match arg_opt_str(options_json, "options_json")? {
        Some(text) => Options::from_json(text)?,
        None => Options::default(),
    };
    let store = Store::open(path, options)?;
    out.set(Box::into_raw(Box::new(ws_store { store })));
    Ok(())
}

/// Opens the store at `path` with the default options: the same as
/// `ws_store_open_with(path, NULL, out_store)`.
///
/// @param path      File path (UTF-8), or `":memory:"` for a private store that is not
///                  persisted. Not NULL. Always a plain file name, whatever it starts
///                  with: a path such as `"file:a.db?mode=memory"` is not a SQLite URI,
///                  its parameters are not honoured, and it names the file of exactly
///                  that name (relative to the current directory). Missing parent
///                  directories are created.
/// @param out_store Receives the new handle, which the caller owns and releases with
///                  `ws_store_close`. Not NULL. Set to NULL on failure.
/// @return `WS_OK`; `WS_INVALID_ARGUMENT` (NULL or empty path, bad UTF-8);
///         `WS_IO` (cannot create or open the file or its directory);
///         `WS_CORRUPT` (not a SQLite database, or a schema newer than this library;
///         the file is then left exactly as it was);
///         `WS_BUSY` (another connection held the file past the busy timeout while the
///         schema was created or migrated).
///
/// Thread-safe.
#[no_mangle]
pub extern "C" fn ws_store_open(path: *const c_char, out_store: *mut *mut ws_store) -> ws_status {
    ffi_boundary! { unsafe { open(path, std::ptr::null(), out_store) } }
}

/// Opens the store at `path` with options.
///
/// Creates the file unless `create` is false, then creates the schema or migrates it in
/// place (a cjm-workflow-state 0.0.2 file, which lacks the `label` column, gains it).
///
/// @param path         File path (UTF-8), or `":memory:"` for a private in-memory store
///                     (nothing persisted; `create` is ignored). Not NULL. Always a
///                     plain file name, as for `ws_store_open`: a `"file:"` path is not
///                     a SQLite URI and its parameters are not honoured.
/// @param options_json NULL for the defaults, or a JSON object with any of:
///   - `"journal_mode"`: `"wal"` (default) or `"delete"`; a property of the file, applied
///     at open;
///   - `"synchronous"`: `"normal"` (default), `"full"` or `"off"`;
///   - `"busy_timeout_ms"`: how long a call waits for another writer, 0 to 2147483647
///     (default 5000); while it waits it tries again every 200 us;
///   - `"max_history_depth"`: entries kept per history stack, >= 1 (default
///     `WS_DEFAULT_MAX_HISTORY_DEPTH`);
///   - `"max_history_bytes"`: the most bytes a session's undo and redo entries may
///     store together, >= 0 (default 0: no limit). An inline entry counts its state's
///     bytes, an entry of a large state kept as shared chunks each chunk's bytes divided
///     by the number of entries that share it; each adds its meta's bytes. Past the
///     budget the oldest undo entries go first, then the oldest redo entries; the
///     newest entry of each stack is always kept, even alone over the budget;
///   - `"read_only"`: true opens without ever creating, migrating or writing anything:
///     writes give `WS_IO`; a file below the current schema (a 0-byte file, one from
///     the Python package, a 0.0.2-format file, which reads with null labels) reads
///     as if current. Each call sees everything other connections and processes
///     committed before it, including a schema they created or migrated meanwhile; a
///     call on a file made newer than this library meanwhile gives `WS_CORRUPT`
///     (default false);
///   - `"create"`: false makes a missing file `WS_NOT_FOUND` (default true);
///   - `"read_connections"`: how many connections of its own a writable store on a file
///     reads through, 0 to 16 (default 2), opened when first needed. Reads then never
///     wait for this store's writes, of any thread: in WAL mode a read waits only when
///     every read connection is in use by other reads; with `"journal_mode":"delete"`
///     SQLite itself keeps readers out while a commit writes the file, and a read
///     retries after SQLite's busy sleeps (1 ms, then longer): under a writer that
///     commits back to back, reads take milliseconds and now and then far longer
///     (bench/latency.c prints the figures), so give a UI thread WAL mode.
///     Either way a read sees every write that returned before it began, in any thread
///     of the process. 0 reads through the writing connection, behind the writes. A
///     read-only or `":memory:"` store always has one connection. Each connection keeps
///     up to 8 MiB of page cache;
///   - `"change_retention_s"`: how long the file's change feed remembers deleted
///     sessions, at least, in seconds, 0 to 3153600000 (the newest 10,000 deletions
///     are kept whatever their age; see `ws_changes_since`). It is the file's setting:
///     a writable store opened with it sets it for every program on the file; without
///     it the file keeps what it has (7 days unless set).
///   String values are matched without regard to case.
/// @param out_store    Receives the new handle, which the caller owns and releases with
///                     `ws_store_close`. Not NULL. Set to NULL on failure.
/// @return `WS_OK`; `WS_INVALID_JSON` (options not JSON, or not an object);
///         `WS_INVALID_ARGUMENT` (NULL or empty path, bad UTF-8, an unknown option, a
///         value of the wrong type or range, `read_only` with `":memory:"`);
///         `WS_NOT_FOUND` (missing file with `read_only` or `"create": false`);
///         `WS_IO` (cannot create or open the file or its directory);
///         `WS_CORRUPT` (not a SQLite database, or a schema newer than this library;
///         the file is then left exactly as it was, in its journal mode);
///         `WS_BUSY` (another connection held the file past the busy timeout, or kept
///         it from changing journal mode).
///
/// Thread-safe.
#[no_mangle]
pub extern "C" fn ws_store_open_with(
    path: *const c_char,
    options_json: *const c_char,
    out_store: *mut *mut ws_store,
) -> ws_status {
    ffi_boundary! { unsafe { open(path, options_json, out_store) } }
}

/// Closes a store and frees its handle. Everything written is already durable (each
/// call commits before it returns), so closing loses nothing.
///
/// @param store The handle, or NULL (then nothing happens). It is invalid afterwards;
///              no other thread may be using it during or after the call.
///
/// Leaves `ws_last_error_message()` as it was.
#[no_mangle]
pub extern "C" fn ws_store_close(store: *mut ws_store) {
    if store.is_null() {
        return;
    }
    // A panic while dropping the connection must not cross into C; there is no
    // status to report it through, and the memory is released either way.
    let _ = std::panic::catch_unwind(|| {
        // SAFETY: the caller passes a handle from `ws_store_open*`, closed only once.
        drop(unsafe { Box::from_raw(store) });
    });
}
