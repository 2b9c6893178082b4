//! Status codes and the error type every fallible operation returns.

use std::ffi::CStr;
use std::fmt;

/// The outcome class of an operation. The numeric values are part of the C ABI
/// (`WS_OK` … `WS_INTERNAL`) and never change.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Status {
    Ok = 0,
    InvalidArgument = 1,
    InvalidJson = 2,
    NotFound = 3,
    AlreadyExists = 4,
    Conflict = 5,
    Busy = 6,
    Io = 7,
    Corrupt = 8,
    Internal = 9,
}

impl Status {
    /// Every status, in numeric order.
    pub const ALL: [Status; 10] = [
        Status::Ok,
        Status::InvalidArgument,
        Status::InvalidJson,
        Status::NotFound,
        Status::AlreadyExists,
        Status::Conflict,
        Status::Busy,
        Status::Io,
        Status::Corrupt,
        Status::Internal,
    ];

    /// The C name of the status, e.g. `"WS_NOT_FOUND"`.
    pub fn name(self) -> &'static str {
        self.c_name().to_str().expect("status names are ASCII")
    }

    /// The C name as a C string, for `ws_status_name`.
    pub fn c_name(self) -> &'static CStr {
        match self {
            Status::Ok => c"WS_OK",
            Status::InvalidArgument => c"WS_INVALID_ARGUMENT",
            Status::InvalidJson => c"WS_INVALID_JSON",
            Status::NotFound => c"WS_NOT_FOUND",
            Status::AlreadyExists => c"WS_ALREADY_EXISTS",
            Status::Conflict => c"WS_CONFLICT",
            Status::Busy => c"WS_BUSY",
            Status::Io => c"WS_IO",
            Status::Corrupt => c"WS_CORRUPT",
            Status::Internal => c"WS_INTERNAL",
        }
    }

    /// The status with this numeric value, if there is one.
    pub fn from_code(code: i64) -> Option<Status> {
        Status::ALL.iter().copied().find(|s| *s as i64 == code)
    }
}

/// A failed operation: what class of failure, and a message that names the problem.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    pub status: Status,
    pub message: String,
}

pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    pub fn new(status: Status, message: impl Into<String>) -> Error {
        Error { status, message: message.into() }
    }
    pub fn invalid_argument(message: impl Into<String>) -> Error {
        Error::new(Status::InvalidArgument, message)
    }
    pub fn invalid_json(message: impl Into<String>) -> Error {
        Error::new(Status::InvalidJson, message)
    }
    pub fn corrupt(message: impl Into<String>) -> Error {
        Error::new(Status::Corrupt, message)
    }

    /// Wraps an SQLite failure, saying what the library was doing when it happened.
    pub fn sqlite(doing: &str, err: rusqlite::Error) -> Error {
        use rusqlite::Error as E;
        use rusqlite::ErrorCode as C;
        // A stored value refused inside a row closure (`stored::column`) travels as a
        // conversion failure carrying the library's own error: that error is the answer.
        if let E::FromSqlConversionFailure(_, _, source) = &err {
            if let Some(refused) = source.downcast_ref::<Error>() {
                return refused.clone();
            }
        }
        let status = match &err {
            rusqlite::Error::SqliteFailure(e, _) => match e.code {
                C::DatabaseBusy | C::DatabaseLocked => Status::Busy,
                C::NotADatabase | C::DatabaseCorrupt => Status::Corrupt,
                C::ReadOnly
                | C::DiskFull
                | C::SystemIoFailure
                | C::CannotOpen
                | C::PermissionDenied
                | C::FileLockingProtocolFailed
                | C::NoLargeFileSupport
                | C::OutOfMemory => Status::Io,
                C::TooBig => Status::InvalidArgument,
                _ => Status::Internal,
            },
            // A stored value of a type or text the library cannot read is stored data,
            // not a bug: the reads of stored text go through `stored::column`, which
            // names the row; this catches any other column.
            E::FromSqlConversionFailure(..)
            | E::InvalidColumnType(..)
            | E::IntegralValueOutOfRange(..)
            | E::Utf8Error(..) => Status::Corrupt,
            _ => Status::Internal,
        };
        let hint = match status {
            Status::Busy => " (another connection held the database past the busy timeout)",
            _ => "",
        };
        Error::new(status, format!("cannot {doing}: {err}{hint}"))
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.status.name(), self.message)
    }
}

impl std::error::Error for Error {}

/// Quotes user text for an error message, shortened so that a 1 MB id does not
/// become a 1 MB message.
pub fn quote(text: &str) -> String {
    quote_pieces(std::iter::once((text, &[][..])), text.len())
}

/// Quotes stored bytes for an error message as [`quote`] quotes text, with each byte
/// that is not part of UTF-8 text written `\xNN`: the message stays valid UTF-8 and
/// shows which bytes are wrong.
pub fn quote_bytes(bytes: &[u8]) -> String {
    quote_pieces(bytes.utf8_chunks().map(|chunk| (chunk.valid(), chunk.invalid())), bytes.len())
}

/// Quotes runs of (text, bytes that are not UTF-8) of `len` bytes in all: at most 64
/// characters and escaped bytes, then the length when that is not all of it.
fn quote_pieces<'a>(pieces: impl Iterator<Item = (&'a str, &'a [u8])>, len: usize) -> String {
    const MAX_CHARS: usize = 64;
    let mut out = String::from("\"");
    let (mut left, mut shown) = (MAX_CHARS, 0);
    for (text, bad) in pieces {
        let cut = text.char_indices().nth(left).map_or(text.len(), |(cut, _)| cut);
        let escaped = format!("{:?}", &text[..cut]);
        out.push_str(&escaped[1..escaped.len() - 1]);
        left -= text[..cut].chars().count();
        shown += cut;
        for byte in bad.iter().take(left) {
            out.push_str(&format!("\\x{byte:02x}"));
            left -= 1;
            shown += 1;
        }
        if left == 0 {
            break;
        }
    }
    out.push('"');
    if shown < len {
        out.push_str(&format!("… ({len} bytes)"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_bytes_escape_what_is_not_utf8_and_stay_short() {
        assert_eq!(quote("a\"b"), "\"a\\\"b\"");
        assert_eq!(quote_bytes(b"f\xffg\xc3\xa9"), "\"f\\xffgé\"");
        let long = "x".repeat(100);
        assert_eq!(quote(&long), format!("\"{}\"… (100 bytes)", "x".repeat(64)));
        assert_eq!(quote(&long[..64]), format!("\"{}\"", "x".repeat(64)));
        let bad = [0xffu8; 100];
        assert_eq!(quote_bytes(&bad), format!("\"{}\"… (100 bytes)", "\\xff".repeat(64)));
    }
}
