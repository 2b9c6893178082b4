//! Calling the C API as a C program does, and checking what every call promises whatever
//! it was asked: a listed status, a message that is empty exactly on `WS_OK`, every
//! out-parameter reset on failure and set on success, strings that are UTF-8, JSON
//! that is valid and compact.

use crate::tree::{is_compact, Text, J};
use std::ffi::{c_char, CStr, CString};
use std::fmt;
use workflow_state::ffi::*;

/// A string argument as C passes it: NULL, or bytes up to the first NUL.
pub struct Arg(Option<CString>);

pub static NULL: Arg = Arg(None);

impl Arg {
    /// A field of the fuzz input: one that starts with a NUL byte is NULL; otherwise
    /// C sees its bytes up to the first NUL.
    pub fn field(bytes: &[u8]) -> Arg {
        if bytes.first() == Some(&0) {
            return Arg(None);
        }
        let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
        Arg(Some(CString::new(&bytes[..end]).expect("cut at the first NUL")))
    }

    pub fn null() -> Arg {
        Arg(None)
    }

    pub fn text(text: &str) -> Arg {
        Arg(Some(CString::new(text).expect("no NUL in the harness's own strings")))
    }

    pub fn ptr(&self) -> *const c_char {
        self.0.as_ref().map_or(std::ptr::null(), |s| s.as_ptr())
    }

    pub fn is_null(&self) -> bool {
        self.0.is_none()
    }

    /// The text, when the argument is not NULL and is UTF-8.
    pub fn str(&self) -> Option<&str> {
        self.0.as_ref()?.to_str().ok()
    }

    pub fn bytes(&self) -> &[u8] {
        self.0.as_ref().map_or(&[], |s| s.as_bytes())
    }
}

impl fmt::Debug for Arg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            None => f.write_str("NULL"),
            Some(s) => write!(f, "\"{}\"", s.as_bytes().escape_ascii()),
        }
    }
}

/// The call being checked, formatted only when a check fails.
pub struct Call<'a> {
    pub name: &'static str,
    pub args: &'a [&'a Arg],
    /// Arguments that are not strings, formatted.
    pub extra: String,
    /// The harness's own call, made to compare the store with the model.
    pub checking: bool,
}

impl fmt::Display for Call<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ws_{}(", self.name)?;
        for (i, arg) in self.args.iter().enumerate() {
            write!(f, "{}{arg:?}", if i > 0 { ", " } else { "" })?;
        }
        write!(f, "{})", self.extra)?;
        if self.checking {
            f.write_str(" (read back to compare with the model)")?;
        }
        Ok(())
    }
}

pub fn status_name(status: ws_status) -> &'static str {
    // SAFETY: ws_status_name returns a static NUL-terminated string for any value.
    unsafe { CStr::from_ptr(ws_status_name(status)) }.to_str().expect("status names are ASCII")
}

pub fn last_message() -> String {
    // SAFETY: never NULL, valid until the next ws_ call on this thread; copied at once.
    let message = unsafe { CStr::from_ptr(ws_last_error_message()) };
    message.to_str().unwrap_or_else(|_| panic!("the last error message is not UTF-8: {message:?}")).to_owned()
}

/// The checks every status-returning call must pass.
fn finish(call: &Call, status: ws_status) -> ws_status {
    assert!(
        (WS_OK..=WS_INTERNAL).contains(&status),
        "{call} returned {status}, which is not a listed status"
    );
    let message = last_message();
    if status == WS_OK {
        assert!(message.is_empty(), "{call} returned WS_OK but left the message {message:?}");
    } else {
        assert!(!message.is_empty(), "{call} returned {} with an empty message", status_name(status));
    }
    status
}

/// What a call wrote into a `char **` out-parameter that started out as a dangling
/// pointer: the library must overwrite it whatever happens.
const UNSET: *mut c_char = std::ptr::dangling_mut();

fn take_string(call: &Call, status: ws_status, raw: *mut c_char, what: &str) -> Option<String> {
    assert!(raw != UNSET, "{call} returned {} but never wrote {what}", status_name(status));
    if status != WS_OK {
        assert!(raw.is_null(), "{call} failed with {} but left {what} set", status_name(status));
        return None;
    }
    if raw.is_null() {
        return None;
    }
    // SAFETY: a non-NULL out-string is a NUL-terminated string the caller now owns.
    let text = unsafe { CStr::from_ptr(raw) }.to_str().map(str::to_owned);
    ws_string_free(raw);
    Some(text.unwrap_or_else(|e| panic!("{call} returned {what} that is not UTF-8: {e}")))
}

/// A call with one string out-parameter: its status and the string (NULL is `None`).
pub fn with_string(
    call: &Call,
    f: impl FnOnce(*mut *mut c_char) -> ws_status,
) -> (ws_status, Option<String>) {
    let mut out = UNSET;
    let status = finish(call, f(&mut out));
    (status, take_string(call, status, out, "its out-string"))
}

/// A call with two string out-parameters.
pub fn with_two_strings(
    call: &Call,
    f: impl FnOnce(*mut *mut c_char, *mut *mut c_char) -> ws_status,
) -> (ws_status, Option<String>, Option<String>) {
    let (mut first, mut second) = (UNSET, UNSET);
    let status = finish(call, f(&mut first, &mut second));
    let first = take_string(call, status, first, "its first out-string");
    let second = take_string(call, status, second, "its second out-string");
    (status, first, second)
}

pub fn with_bool(call: &Call, f: impl FnOnce(*mut bool) -> ws_status) -> (ws_status, bool) {
    let mut out = true;
    let status = finish(call, f(&mut out));
    if status != WS_OK {
        assert!(!out, "{call} failed with {} but left its bool true", status_name(status));
    }
    (status, out)
}

pub fn with_len(call: &Call, f: impl FnOnce(*mut usize) -> ws_status) -> (ws_status, usize) {
    let mut out = usize::MAX;
    let status = finish(call, f(&mut out));
    if status != WS_OK {
        assert_eq!(out, 0, "{call} failed with {} but left its count set", status_name(status));
    }
    (status, out)
}

pub fn with_i64(call: &Call, f: impl FnOnce(*mut i64) -> ws_status) -> (ws_status, i64) {
    let mut out = i64::MIN;
    let status = finish(call, f(&mut out));
    if status != WS_OK {
        assert_eq!(out, 0, "{call} failed with {} but left its number set", status_name(status));
    }
    (status, out)
}

pub fn plain(call: &Call, f: impl FnOnce() -> ws_status) -> ws_status {
    finish(call, f())
}

/// Makes the thread's last message empty with a call that succeeds, so that one input
/// leaves the same allocations behind as any other.
pub fn clear_message() {
    let mut out = std::ptr::null_mut();
    assert_eq!(ws_json_history_push(std::ptr::null(), c"0".as_ptr(), 1, &mut out), WS_OK);
    ws_string_free(out);
}

/// JSON the library handed out: valid, compact, and readable as a tree.
pub fn json_out(call: &Call, text: &str) -> J {
    assert!(is_compact(text), "{call} returned JSON that is not compact: {text:?}");
    let read = Text::read(text);
    // What the library returns, it must take back: never too deep, never a number or a
    // repeated key that Python would read otherwise.
    assert!(read.depth <= 512, "{call} returned JSON {} levels deep: {text:?}", read.depth);
    assert!(!read.python_refuses_a_number, "{call} returned a number Python refuses: {text:?}");
    assert!(!read.repeats_a_key, "{call} returned an object with a repeated key: {text:?}");
    read.tree.unwrap_or_else(|| panic!("{call} returned text that is not valid JSON: {text:?}"))
}

/// The status a call must return, or the few it may choose between.
pub fn expect(call: &Call, got: ws_status, allowed: &[ws_status]) {
    assert!(
        allowed.contains(&got),
        "{call} returned {} ({:?}), expected {}",
        status_name(got),
        last_message(),
        allowed.iter().map(|&s| status_name(s)).collect::<Vec<_>>().join(" or ")
    );
}
