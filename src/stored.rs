//! Text read back from the file. Other programs write the same tables (the Python
//! package, or anything with SQLite), so a column the library reads as text may hold
//! whatever SQLite can store. One rule for every such column (a session's key, label,
//! current_step, timestamps; a stack entry's label, current_step, snapshot and chunk
//! list):
//!
//! - NULL is no value;
//! - TEXT, or a BLOB, whose bytes are UTF-8 without a NUL byte is that text;
//! - an INTEGER or REAL is its decimal text;
//! - anything else (bytes that are not UTF-8, a NUL byte, which a C string cannot carry
//!   and JSON text never holds) is `WS_CORRUPT`, naming the row and the column. The
//!   check runs where the value is read, inside the call's transaction, so a call that
//!   refuses a value has changed nothing.

use crate::error::{Error, Result};
use rusqlite::types::{Type, ValueRef};
use rusqlite::Row;
use std::borrow::Cow;

/// The one check for a NUL byte in text the library hands out (the C layer's strings
/// too): `what` names the text.
pub fn check_no_nul(text: &str, what: impl FnOnce() -> String) -> Result<()> {
    // memchr's SIMD search: a byte loop costs more than the SQLite read of a small state.
    match memchr::memchr(0, text.as_bytes()) {
        None => Ok(()),
        Some(at) => Err(Error::corrupt(format!(
            "{} contains a NUL byte (at offset {at}), so it cannot be returned as a C string",
            what()
        ))),
    }
}

/// Checks that stored bytes are text the library can hand out: UTF-8 without a NUL byte.
pub fn check_text(bytes: &[u8], what: impl Fn() -> String) -> Result<&str> {
    let text = std::str::from_utf8(bytes).map_err(|e| not_utf8(e, what()))?;
    check_no_nul(text, what)?;
    Ok(text)
}

/// [`check_text`] for bytes the caller owns, turned into a string without a copy.
pub fn check_string(bytes: Vec<u8>, what: impl Fn() -> String) -> Result<String> {
    let text = String::from_utf8(bytes).map_err(|e| not_utf8(e.utf8_error(), what()))?;
    check_no_nul(&text, what)?;
    Ok(text)
}

fn not_utf8(e: std::str::Utf8Error, what: String) -> Error {
    Error::corrupt(format!("{what} is not UTF-8 text (bad byte at offset {})", e.valid_up_to()))
}

/// A stored text value by the module's rule; `what` names the row and column.
pub fn text<'a>(value: ValueRef<'a>, what: impl Fn() -> String) -> Result<Option<Cow<'a, str>>> {
    match value {
        ValueRef::Null => Ok(None),
        ValueRef::Integer(i) => Ok(Some(Cow::Owned(i.to_string()))),
        ValueRef::Real(f) => Ok(Some(Cow::Owned(f.to_string()))),
        ValueRef::Text(bytes) | ValueRef::Blob(bytes) => {
            check_text(bytes, what).map(|t| Some(Cow::Borrowed(t)))
        }
    }
}

/// Column `idx` of a row by the module's rule, for the closures that map rows. A refusal
/// travels as rusqlite's conversion failure carrying the library's error, which
/// [`Error::sqlite`] hands back as it is.
pub fn column<'r>(
    row: &'r Row,
    idx: usize,
    what: impl Fn() -> String,
) -> rusqlite::Result<Option<Cow<'r, str>>> {
    carry(idx, text(row.get_ref(idx)?, what))
}

/// [`column`] as an owned string.
pub fn string(row: &Row, idx: usize, what: impl Fn() -> String) -> rusqlite::Result<Option<String>> {
    Ok(column(row, idx, what)?.map(Cow::into_owned))
}

/// Carries a refusal of column `idx` through a rusqlite row closure.
pub fn carry<T>(idx: usize, result: Result<T>) -> rusqlite::Result<T> {
    result.map_err(|e| rusqlite::Error::FromSqlConversionFailure(idx, Type::Text, Box::new(e)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Status;

    fn what() -> String {
        "the label of session \"s\" of flow \"f\"".to_string()
    }

    #[test]
    fn one_rule_for_every_stored_text() {
        assert_eq!(text(ValueRef::Null, what).unwrap(), None);
        assert_eq!(text(ValueRef::Text(b"a b"), what).unwrap().as_deref(), Some("a b"));
        assert_eq!(text(ValueRef::Blob(b"blob"), what).unwrap().as_deref(), Some("blob"));
        assert_eq!(text(ValueRef::Integer(-42), what).unwrap().as_deref(), Some("-42"));
        assert_eq!(text(ValueRef::Real(1.5), what).unwrap().as_deref(), Some("1.5"));
        let err = text(ValueRef::Text(b"ab\xff"), what).unwrap_err();
        assert_eq!(err.status, Status::Corrupt);
        assert_eq!(err.message, format!("{} is not UTF-8 text (bad byte at offset 2)", what()));
        let err = text(ValueRef::Blob(b"a\0b"), what).unwrap_err();
        assert_eq!(err.status, Status::Corrupt);
        assert_eq!(
            err.message,
            format!("{} contains a NUL byte (at offset 1), so it cannot be returned as a C string", what())
        );
    }

    #[test]
    fn a_refusal_inside_a_row_closure_comes_back_as_it_was() {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        let err = conn
            .query_row("SELECT CAST(x'ff' AS TEXT)", [], |row| string(row, 0, what))
            .map_err(|e| Error::sqlite("read", e))
            .unwrap_err();
        assert_eq!(err, Error::corrupt(format!("{} is not UTF-8 text (bad byte at offset 0)", what())));
        // Any other conversion failure of a stored value is stored data too, not a bug.
        let err = conn
            .query_row("SELECT 'text'", [], |row| row.get::<_, i64>(0))
            .map_err(|e| Error::sqlite("read", e))
            .unwrap_err();
        assert_eq!(err.status, Status::Corrupt, "{err:?}");
    }
}
