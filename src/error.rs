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
        use rusqlite::ErrorCode as C;
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
    const MAX_CHARS: usize = 64;
    match text.char_indices().nth(MAX_CHARS) {
        None => format!("{text:?}"),
        Some((cut, _)) => format!("{:?}… ({} bytes)", &text[..cut], text.len()),
    }
}
