//! Store options: parsed from the JSON object given to `ws_store_open_with`.

use crate::chunks::ChunkSizes;
use crate::error::{quote, Error, Result};
use crate::json;
use serde_json::Value;
use std::fmt;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

/// Where a store reads the time of a checkpoint (milliseconds since the Unix epoch), the
/// time that decides whether the next one merges into it (`undo.rs`). The system clock,
/// unless a test sets its own; not a JSON option.
#[derive(Clone)]
pub struct Clock(Arc<dyn Fn() -> i64 + Send + Sync + std::panic::RefUnwindSafe>);

impl Clock {
    /// A clock that reads `now`.
    pub fn new(now: impl Fn() -> i64 + Send + Sync + std::panic::RefUnwindSafe + 'static) -> Clock {
        Clock(Arc::new(now))
    }

    pub fn now_ms(&self) -> i64 {
        (self.0)()
    }
}

impl Default for Clock {
    fn default() -> Clock {
        Clock::new(|| {
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        })
    }
}

impl fmt::Debug for Clock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Clock")
    }
}

/// Two options are equal whatever their clocks (a clock is a test's hook).
impl PartialEq for Clock {
    fn eq(&self, _: &Clock) -> bool {
        true
    }
}

impl Eq for Clock {}

/// Default for `read_connections`: a UI thread and a worker read at once, and each
/// connection keeps a page cache of its own (8 MiB at most).
pub(crate) const DEFAULT_READ_CONNECTIONS: usize = 2;
/// The most `read_connections` a store may have.
pub(crate) const MAX_READ_CONNECTIONS: usize = 16;

/// Default for `max_history_depth`, as `DEFAULT_MAX_HISTORY_DEPTH` in cjm-workflow-state.
pub const DEFAULT_MAX_HISTORY_DEPTH: usize = 50;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JournalMode {
    Wal,
    Delete,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Synchronous {
    Normal,
    Full,
    Off,
}

/// How a store is opened. `Options::default()` is what `ws_store_open` uses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Options {
    pub journal_mode: JournalMode,
    pub synchronous: Synchronous,
    pub busy_timeout_ms: u32,
    pub max_history_depth: usize,
    /// `max_history_bytes`: the most bytes a session's undo and redo entries may store
    /// together (0: no limit; see `undo.rs` for how they are counted).
    pub max_history_bytes: u64,
    pub read_only: bool,
    pub create: bool,
    /// `read_connections`: how many connections a writable store on a file reads
    /// through besides its writing one (0: every call uses the writing one).
    pub read_connections: usize,
    /// `change_retention_s`: how long the file's change feed remembers deletions, at
    /// least (`None`: as the file says, 7 days unless a store set it).
    pub change_retention_s: Option<u64>,
    /// When and how undo/redo snapshots are cut into shared chunks; not a JSON option
    /// (tests set smaller sizes to exercise chunking with small states).
    #[doc(hidden)]
    pub chunking: ChunkSizes,
    /// The time of checkpoints, for merging; tests set their own.
    #[doc(hidden)]
    pub clock: Clock,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            journal_mode: JournalMode::Wal,
            synchronous: Synchronous::Normal,
            busy_timeout_ms: 5000,
            max_history_depth: DEFAULT_MAX_HISTORY_DEPTH,
            max_history_bytes: 0,
            read_only: false,
            create: true,
            read_connections: DEFAULT_READ_CONNECTIONS,
            change_retention_s: None,
            chunking: ChunkSizes::default(),
            clock: Clock::default(),
        }
    }
}

const KNOWN: &str = "journal_mode, synchronous, busy_timeout_ms, max_history_depth, max_history_bytes, \
                     read_only, create, read_connections, change_retention_s";

impl Options {
    /// Parses an options object; keys left out keep their defaults.
    pub fn from_json(text: &str) -> Result<Options> {
        let object = json::parse_object(text, "options_json")?;
        let mut options = Options::default();
        for (key, value) in &object {
            match key.as_str() {
                "journal_mode" => {
                    options.journal_mode = match one_of(key, value, &["wal", "delete"])? {
                        "wal" => JournalMode::Wal,
                        _ => JournalMode::Delete,
                    }
                }
                "synchronous" => {
                    options.synchronous = match one_of(key, value, &["normal", "full", "off"])? {
                        "normal" => Synchronous::Normal,
                        "full" => Synchronous::Full,
                        _ => Synchronous::Off,
                    }
                }
                "busy_timeout_ms" => {
                    options.busy_timeout_ms = integer(key, value, 0, i32::MAX as u64)? as u32
                }
                "max_history_depth" => {
                    options.max_history_depth = integer(key, value, 1, u32::MAX as u64)? as usize
                }
                "max_history_bytes" => options.max_history_bytes = integer(key, value, 0, i64::MAX as u64)?,
                "read_only" => options.read_only = boolean(key, value)?,
                "create" => options.create = boolean(key, value)?,
                "read_connections" => {
                    options.read_connections = integer(key, value, 0, MAX_READ_CONNECTIONS as u64)? as usize
                }
                // Up to 100 years: the trigger subtracts it from a Unix time.
                "change_retention_s" => {
                    options.change_retention_s = Some(integer(key, value, 0, 100 * 365 * 86_400)?)
                }
                _ => {
                    return Err(Error::invalid_argument(format!(
                        "unknown option {} (known options: {KNOWN})",
                        quote(key)
                    )))
                }
            }
        }
        Ok(options)
    }
}

fn one_of<'a>(key: &str, value: &Value, allowed: &[&'a str]) -> Result<&'a str> {
    let found = value.as_str().and_then(|s| allowed.iter().find(|a| a.eq_ignore_ascii_case(s)));
    found.copied().ok_or_else(|| {
        Error::invalid_argument(format!(
            "option {key} must be one of \"{}\", got {}",
            allowed.join("\", \""),
            json::to_text(value)
        ))
    })
}

fn integer(key: &str, value: &Value, min: u64, max: u64) -> Result<u64> {
    value.as_u64().filter(|n| (min..=max).contains(n)).ok_or_else(|| {
        Error::invalid_argument(format!(
            "option {key} must be an integer from {min} to {max}, got {}",
            json::to_text(value)
        ))
    })
}

fn boolean(key: &str, value: &Value) -> Result<bool> {
    value.as_bool().ok_or_else(|| {
        Error::invalid_argument(format!("option {key} must be true or false, got {}", json::to_text(value)))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Status;

    #[test]
    fn every_option_is_read() {
        let o = Options::from_json(
            r#"{"journal_mode":"delete","synchronous":"full","busy_timeout_ms":10,
                "max_history_depth":3,"max_history_bytes":4096,"read_only":true,"create":false,
                "read_connections":5,"change_retention_s":60}"#,
        )
        .unwrap();
        assert_eq!(
            o,
            Options {
                journal_mode: JournalMode::Delete,
                synchronous: Synchronous::Full,
                busy_timeout_ms: 10,
                max_history_depth: 3,
                max_history_bytes: 4096,
                read_only: true,
                create: false,
                read_connections: 5,
                change_retention_s: Some(60),
                chunking: ChunkSizes::default(),
                clock: Clock::default(),
            }
        );
    }

    #[test]
    fn bad_options_are_invalid_arguments_and_bad_text_is_invalid_json() {
        for bad in [
            r#"{"journal":"wal"}"#,
            r#"{"journal_mode":"memory"}"#,
            r#"{"max_history_depth":0}"#,
            r#"{"busy_timeout_ms":-1}"#,
            r#"{"busy_timeout_ms":1.5}"#,
            r#"{"read_only":"yes"}"#,
            r#"{"change_retention_s":-1}"#,
            r#"{"max_history_bytes":-1}"#,
            r#"{"read_connections":17}"#,
            r#"{"read_connections":true}"#,
        ] {
            assert_eq!(Options::from_json(bad).unwrap_err().status, Status::InvalidArgument, "{bad}");
        }
        assert_eq!(Options::from_json("[]").unwrap_err().status, Status::InvalidJson);
        assert_eq!(Options::from_json("{").unwrap_err().status, Status::InvalidJson);
    }
}
