//! The C API. Every export is a thin wrapper: it runs its body inside
//! [`ffi_boundary!`], checks every pointer with [`check_ptr`] (through the helpers
//! below), calls the safe [`Store`](crate::Store) and reports failures as a status plus
//! a thread-local message.

// C callers cannot see Rust's `unsafe`: each export's pointer contract is stated in its
// header comment, and every pointer goes through `check_ptr` before use.
#![allow(clippy::not_unsafe_ptr_arg_deref)]
// The doc comments are written for doxygen (`@param`, `@return`), not for rustdoc.
#![allow(clippy::doc_lazy_continuation, clippy::doc_overindented_list_items)]

use crate::error::{Error, Result, Status};
use std::cell::{Cell, RefCell};
use std::ffi::{c_char, c_int, CStr, CString};
use std::panic::{catch_unwind, AssertUnwindSafe};

mod store;
mod state;
mod sessions;
mod history;
mod edit;
mod feed;
mod undo;
mod export;

pub use edit::*;
pub use export::*;
pub use feed::*;
pub use history::*;
pub use sessions::*;
pub use state::*;
pub use store::*;

/// A status code: `WS_OK` (0) on success, otherwise what kind of failure happened;
/// `ws_last_error_message()` then says precisely what went wrong.
pub type ws_status = c_int;
/// Success.
pub const WS_OK: ws_status = 0;
/// NULL where not allowed, invalid UTF-8, a bad id, a bad option or enum value.
pub const WS_INVALID_ARGUMENT: ws_status = 1;
/// Unparsable JSON, JSON of the wrong shape, or JSON the "JSON rules" at the top of this
/// header refuse (too deep where it goes, a number Python cannot take back).
pub const WS_INVALID_JSON: ws_status = 2;
/// The operation needs a thing that does not exist.
pub const WS_NOT_FOUND: ws_status = 3;
/// A session id that is taken: `ws_create_session`, the target of `ws_copy_session`, or a
/// session of the document `ws_import` is given without `replace`.
pub const WS_ALREADY_EXISTS: ws_status = 4;
/// An expectation about the stored data did not hold.
pub const WS_CONFLICT: ws_status = 5;
/// The database stayed locked past the busy timeout.
pub const WS_BUSY: ws_status = 6;
/// The file cannot be opened, read or written: missing permissions, disk full, read-only.
pub const WS_IO: ws_status = 7;
/// Not a database, damaged, or a newer schema; or stored data that another program
/// wrote and the library cannot hand out: a state that is not strict JSON, or a stored
/// text (a session's key, label, current_step or timestamps; a history, undo or redo
/// entry's label, current_step or snapshot) that is not UTF-8 or holds a NUL byte. The
/// message names the session and the column (the stack, for an entry), and the call has
/// changed nothing. (A number another program stored in such a column reads as its
/// text, and a BLOB of UTF-8 as that text.)
pub const WS_CORRUPT: ws_status = 8;
/// A bug in the library: a caught panic or a broken invariant.
pub const WS_INTERNAL: ws_status = 9;

/// The default of the `max_history_depth` option (as cjm-workflow-state's
/// `DEFAULT_MAX_HISTORY_DEPTH`).
pub const WS_DEFAULT_MAX_HISTORY_DEPTH: usize = 50;

/// The default of `"merge_window_ms"` in `ws_checkpoint_with` (milliseconds).
pub const WS_DEFAULT_MERGE_WINDOW_MS: i64 = 1000;

/// How many levels deep the library keeps JSON, counting the state object as one (see
/// "JSON rules" at the top of this header).
pub const WS_MAX_JSON_DEPTH: usize = 512;

thread_local! {
    static LAST_ERROR: RefCell<CString> = RefCell::new(CString::default());
    // Needs no destructor, so it stays usable after LAST_ERROR is destroyed: a `ws_` call
    // from a pthread key destructor (which glibc runs after Rust's thread-local
    // destructors) still tells `ws_last_error_message` whether it failed.
    static LAST_FAILED: Cell<bool> = const { Cell::new(false) };
}

/// What `ws_last_error_message` gives after a failure once the thread's message is gone.
const MESSAGE_UNAVAILABLE: &CStr =
    c"the error message is unavailable: the call was made while its thread was exiting";

fn set_last_error(message: &str) {
    LAST_FAILED.set(!message.is_empty());
    // `try_with`: `with` panics once the thread-local was destroyed, and a panic here,
    // outside `catch_unwind`, would abort the process. The message is then lost, and
    // `ws_last_error_message` says so.
    let _ = LAST_ERROR.try_with(|slot| {
        let mut slot = slot.borrow_mut();
        if message.is_empty() && slot.is_empty() {
            return;
        }
        *slot = CString::new(message.replace('\0', "\\0")).unwrap_or_default();
    });
}

/// Runs the body of an export: catches panics, records the thread's last error message
/// and turns the outcome into a `ws_status`.
pub(crate) fn boundary(body: impl FnOnce() -> Result<()>) -> ws_status {
    let outcome = catch_unwind(AssertUnwindSafe(body)).unwrap_or_else(|panic| {
        let what = panic
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".to_string());
        Err(Error::new(
            Status::Internal,
            format!("internal error (a bug in workflow_state, please report it): {what}"),
        ))
    });
    match outcome {
        Ok(()) => {
            set_last_error("");
            WS_OK
        }
        Err(err) => {
            set_last_error(&err.message);
            err.status as ws_status
        }
    }
}

/// The one panic boundary of every export that returns `ws_status`: the body is a
/// closure returning `Result<()>`, so it can use `?`.
macro_rules! ffi_boundary {
    ($($body:tt)*) => {
        $crate::ffi::boundary(move || -> $crate::Result<()> { $($body)* })
    };
}
pub(crate) use ffi_boundary;

/// The one pointer check: NULL is `WS_INVALID_ARGUMENT` naming the parameter.
pub(crate) fn check_ptr<T>(ptr: *const T, name: &str) -> Result<*const T> {
    if ptr.is_null() {
        Err(Error::invalid_argument(format!("{name} must not be NULL")))
    } else {
        Ok(ptr)
    }
}

/// A required NUL-terminated UTF-8 argument.
///
/// # Safety
/// A non-NULL `ptr` must point to a NUL-terminated string that outlives the call.
pub(crate) unsafe fn arg_str<'a>(ptr: *const c_char, name: &str) -> Result<&'a str> {
    let ptr = check_ptr(ptr, name)?;
    CStr::from_ptr(ptr).to_str().map_err(|e| {
        Error::invalid_argument(format!("{name} is not valid UTF-8 (bad byte at offset {})", e.valid_up_to()))
    })
}

/// The arguments every session call starts with: the store, `flow_id`, `session_id`.
///
/// # Safety
/// As [`store_ref`] and [`arg_str`].
pub(crate) unsafe fn session_args<'a>(
    store: *mut ws_store,
    flow_id: *const c_char,
    session_id: *const c_char,
) -> Result<(&'a crate::Store, &'a str, &'a str)> {
    Ok((store_ref(store)?, arg_str(flow_id, "flow_id")?, arg_str(session_id, "session_id")?))
}

/// A nullable NUL-terminated UTF-8 argument: NULL is `None`.
///
/// # Safety
/// As [`arg_str`].
pub(crate) unsafe fn arg_opt_str<'a>(ptr: *const c_char, name: &str) -> Result<Option<&'a str>> {
    if ptr.is_null() {
        Ok(None)
    } else {
        arg_str(ptr, name).map(Some)
    }
}

/// An out-parameter. Creating it checks the pointer and resets what it points to, so
/// that every out-parameter reads NULL / 0 / false unless the call succeeds.
pub(crate) struct Out<T: Copy>(*mut T);

impl<T: Copy> Out<T> {
    /// # Safety
    /// A non-NULL `ptr` must be valid for writes of `T`.
    pub(crate) unsafe fn new(ptr: *mut T, name: &str, empty: T) -> Result<Out<T>> {
        let ptr = check_ptr(ptr, name)? as *mut T;
        ptr.write(empty);
        Ok(Out(ptr))
    }

    pub(crate) fn set(self, value: T) {
        // SAFETY: checked non-NULL and writable in `new`.
        unsafe { self.0.write(value) }
    }
}

/// A string out-parameter (`char **`): receives a string the caller frees with
/// `ws_string_free`.
pub(crate) type OutString = Out<*mut c_char>;

impl OutString {
    /// # Safety
    /// As [`Out::new`].
    pub(crate) unsafe fn string(ptr: *mut *mut c_char, name: &str) -> Result<OutString> {
        Out::new(ptr, name, std::ptr::null_mut())
    }
}

/// Converts a string to hand out; text with a NUL byte cannot cross the C boundary.
/// The core refuses stored text with a NUL byte where it reads it, inside the call's
/// transaction (`stored.rs`), so this never fails after a write.
pub(crate) fn c_string(text: String, what: &str) -> Result<CString> {
    crate::check_no_nul(&text, || what.to_string())?;
    // SAFETY: the text was checked for NUL bytes just above.
    Ok(unsafe { CString::from_vec_unchecked(text.into_bytes()) })
}

/// Hands out a session's state, or JSON built around one, which the core wrote from
/// validated parts only: a state text the byte comparison or a strict parse accepted,
/// every other string escaped by `json::push_string`. Strict JSON holds no NUL byte
/// (control characters are escaped inside strings and not allowed outside them), so the
/// scan `set_string` makes, 7% of a 1 MB `ws_get_state` (perf), runs in debug builds
/// only, where the test suite would catch a part that was not validated.
pub(crate) fn set_json(out: OutString, text: Option<String>, what: &str) -> Result<()> {
    let raw = match text {
        Some(t) if cfg!(debug_assertions) => return set_string(out, Some(t), what),
        // SAFETY: strict JSON text holds no NUL byte (above).
        Some(t) => unsafe { CString::from_vec_unchecked(t.into_bytes()) }.into_raw(),
        None => std::ptr::null_mut(),
    };
    out.set(raw);
    Ok(())
}

/// Hands out `text` (or NULL for `None`) through a string out-parameter.
pub(crate) fn set_string(out: OutString, text: Option<String>, what: &str) -> Result<()> {
    let raw = match text {
        Some(t) => c_string(t, what)?.into_raw(),
        None => std::ptr::null_mut(),
    };
    out.set(raw);
    Ok(())
}

/// The name of a status code, such as `"WS_NOT_FOUND"`; `"WS_UNKNOWN"` for a value that
/// is not a status.
///
/// @return A static string: never NULL, never to be freed.
///
/// Thread-safe. Leaves `ws_last_error_message()` as it was.
#[no_mangle]
pub extern "C" fn ws_status_name(status: ws_status) -> *const c_char {
    let name = Status::from_code(status.into()).map_or(c"WS_UNKNOWN", Status::c_name);
    name.as_ptr()
}

/// The message of the last failure of a `ws_` call on the calling thread, or `""` when
/// that call succeeded. Every function that returns `ws_status` sets it.
///
/// @return Never NULL. Owned by the library: do not free it. It stays valid until the
/// next `ws_` call on this thread that returns `ws_status`; copy it to keep it. A call
/// made while its thread exits, after the thread's message storage was destroyed (from
/// a `pthread_key_create` destructor, for instance), still returns its status, but its
/// message is then a static text saying that it is unavailable.
///
/// Thread-safe: each thread has its own message.
#[no_mangle]
pub extern "C" fn ws_last_error_message() -> *const c_char {
    LAST_ERROR.try_with(|slot| slot.borrow().as_ptr()).unwrap_or_else(|_| {
        if LAST_FAILED.get() {
            MESSAGE_UNAVAILABLE.as_ptr()
        } else {
            c"".as_ptr()
        }
    })
}

/// The library version, `"MAJOR.MINOR.PATCH"`.
///
/// @return A static string: never NULL, never to be freed.
///
/// Thread-safe. Leaves `ws_last_error_message()` as it was.
#[no_mangle]
pub extern "C" fn ws_version() -> *const c_char {
    const VERSION: &CStr =
        match CStr::from_bytes_with_nul(concat!(env!("CARGO_PKG_VERSION"), "\0").as_bytes()) {
            Ok(v) => v,
            Err(_) => panic!("version contains a NUL byte"),
        };
    VERSION.as_ptr()
}

/// Frees a string returned by this library through a `char **` out-parameter.
///
/// @param s The string, or NULL (then nothing happens). Never pass a string that did not
///          come from this library, and never free the library's strings with `free()`.
///
/// Thread-safe. Leaves `ws_last_error_message()` as it was.
#[no_mangle]
pub extern "C" fn ws_string_free(s: *mut c_char) {
    if !s.is_null() {
        // SAFETY: the caller passes a string this library made with `CString::into_raw`.
        drop(unsafe { CString::from_raw(s) });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constants_match_the_core_statuses_and_names() {
        for status in Status::ALL {
            let name = unsafe { CStr::from_ptr(ws_status_name(status as ws_status)) };
            assert_eq!(name.to_str().unwrap(), status.name());
        }
        let codes = [
            WS_OK,
            WS_INVALID_ARGUMENT,
            WS_INVALID_JSON,
            WS_NOT_FOUND,
            WS_ALREADY_EXISTS,
            WS_CONFLICT,
            WS_BUSY,
            WS_IO,
            WS_CORRUPT,
            WS_INTERNAL,
        ];
        let core: Vec<ws_status> = Status::ALL.iter().map(|s| *s as ws_status).collect();
        assert_eq!(codes.to_vec(), core);
        assert_eq!(WS_DEFAULT_MAX_HISTORY_DEPTH, crate::DEFAULT_MAX_HISTORY_DEPTH);
        assert_eq!(WS_DEFAULT_MERGE_WINDOW_MS, crate::undo::DEFAULT_MERGE_WINDOW_MS);
        assert_eq!(WS_MAX_JSON_DEPTH, crate::MAX_JSON_DEPTH);
    }

    #[test]
    fn a_panic_becomes_ws_internal_with_a_message() {
        let status = boundary(|| panic!("boom"));
        assert_eq!(status, WS_INTERNAL);
        let message = unsafe { CStr::from_ptr(ws_last_error_message()) };
        assert!(message.to_str().unwrap().contains("boom"));
        assert_eq!(boundary(|| Ok(())), WS_OK);
        assert_eq!(unsafe { CStr::from_ptr(ws_last_error_message()) }.to_bytes(), b"");
    }
}
