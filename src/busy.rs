//! Waiting for another connection's write lock. SQLite's own busy handler (the one
//! `sqlite3_busy_timeout` installs) sleeps 1, 2, 5, 10, 15, 20, 25, 25, 25, 50, 50 and
//! then 100 ms between tries, so a writer that meets a lock taken a few milliseconds at
//! a time, again and again (the batches of `ws_prune_sessions`, another process's burst
//! of small writes), sleeps past the moments it is free and can wait for the whole of
//! the work: measured, 55-105 ms behind a prune of 3,000 sessions. This handler tries
//! again every [`POLL`] until the store's busy timeout; a try costs a few microseconds.

use rusqlite::Connection;
use std::cell::Cell;
use std::ffi::{c_int, c_void};
use std::time::{Duration, Instant};

/// How long a waiting connection sleeps between tries for the lock.
pub(crate) const POLL: Duration = Duration::from_micros(200);

/// The state of one connection's waits. It lives beside the connection, in the same
/// lock, and must outlive it (see `Conn` in `store.rs`).
pub(crate) struct BusyWait {
    timeout: Duration,
    since: Cell<Instant>,
}

impl BusyWait {
    /// Makes `conn` wait for locks as this module says, up to `timeout_ms`.
    pub(crate) fn install(conn: &Connection, timeout_ms: u32) -> Box<BusyWait> {
        let wait = Box::new(BusyWait {
            timeout: Duration::from_millis(timeout_ms.into()),
            since: Cell::new(Instant::now()),
        });
        // SAFETY: the handle is `conn`'s open connection. The pointer is to the box's
        // contents, which do not move and, as the caller keeps the box until the
        // connection is closed, outlive every call of the handler; the handler runs on
        // the thread using the connection, which is the only one using the box.
        unsafe {
            rusqlite::ffi::sqlite3_busy_handler(
                conn.handle(),
                Some(on_busy),
                &*wait as *const BusyWait as *mut c_void,
            );
        }
        wait
    }
}

/// SQLite's busy callback: `tries` is how many times it was called for this wait.
/// Returns nonzero to try again.
unsafe extern "C" fn on_busy(wait: *mut c_void, tries: c_int) -> c_int {
    // SAFETY: `wait` is the pointer `install` gave, valid while the connection is open.
    let wait = unsafe { &*(wait as *const BusyWait) };
    let now = Instant::now();
    if tries == 0 {
        wait.since.set(now);
    }
    if now.duration_since(wait.since.get()) >= wait.timeout {
        return 0;
    }
    std::thread::sleep(POLL);
    1
}
