//! The `Store`: its SQLite connections (one that writes, and a few that only read), how
//! they are opened, and the transaction helpers every operation goes through.

use crate::busy::BusyWait;
use crate::cache::{ChunkCache, StateCache};
use crate::error::{Error, Result, Status};
use crate::feed::{self, Commits};
use crate::gate::{Gate, Turn};
use crate::options::{JournalMode, Options, Synchronous};
use crate::pool::Pool;
use crate::schema::{self, ReadOnlyView};
use crate::undo::LastCheckpoint;
use rusqlite::{Connection, OpenFlags, OptionalExtension, Params, Row, Statement};
use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

/// The path that opens a private, non-persistent store.
pub const MEMORY_PATH: &str = ":memory:";

/// SQL for "now" in exactly the `CURRENT_TIMESTAMP` form `YYYY-MM-DD HH:MM:SS`, which
/// the apps built on the Python package parse with `strptime`; order within one second
/// is the change sequence's (`feed.rs`).
pub const NOW: &str = "strftime('%Y-%m-%d %H:%M:%S','now')";

/// SQL that sets `created_at` whole-second, for a write that changes a row: version 0.1
/// wrote `.SSS` suffixes, which the Python package's `strptime` refuses.
pub const WHOLE_SECOND_CREATED_AT: &str = "created_at = CASE WHEN created_at GLOB \
     '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9] [0-9][0-9]:[0-9][0-9]:[0-9][0-9].*' \
     THEN substr(created_at, 1, 19) ELSE created_at END";

/// The query that reads a session's state: the one statement of `ws_get_state`, and the
/// first of every state update, checkpoint and undo.
pub(crate) const STATE_SQL: &str = "SELECT state_json FROM workflow_state WHERE flow_session_key = ?1";

/// The statements of the calls that must cost what raw SQLite costs (the reads of a UI
/// thread, a merged keystroke, every transaction's BEGIN and COMMIT), each prepared at
/// its first use and kept beside its connection, found by the address of its SQL text.
/// rusqlite's statement cache, which serves every other statement, hashes the whole
/// SQL text and moves the statement out of its list and back on every use: 1,000-2,000
/// instructions a statement (`valgrind --tool=callgrind`), a sixth of a small
/// `ws_get_session` and a third of a `ws_undo_status`.
pub(crate) struct Hot<'c> {
    statements: RefCell<Vec<((usize, usize), Statement<'c>)>>,
}

self_cell::self_cell!(
    /// The store's connection with its hot statements. It dereferences to the
    /// connection, so every helper that takes `&Connection` takes it too.
    pub(crate) struct Db {
        owner: Connection,
        #[not_covariant]
        dependent: Hot,
    }
);

// SAFETY: `Connection` is `Send`; its statements are not, only because they borrow it,
// and they borrow nothing else. The connection and its statements always move
// together, inside one `Db`, and a `Store` lends its `Db` to one thread at a time (it
// lives in a `Mutex`), so nothing in it is ever used by two threads at once.
unsafe impl Send for Db {}

impl std::ops::Deref for Db {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        self.borrow_owner()
    }
}

impl Db {
    fn open(conn: Connection) -> Db {
        Db::new(conn, |_| Hot { statements: RefCell::new(Vec::new()) })
    }

    /// Runs `f` on the hot statement of `sql` (see [`Hot`]). Only SQL text that lives as
    /// long as the program is taken, so the list stays as short as the code's hot paths.
    fn with_hot<R>(
        &self,
        sql: &'static str,
        f: impl FnOnce(&mut Statement<'_>) -> rusqlite::Result<R>,
    ) -> rusqlite::Result<R> {
        self.with_dependent(|conn, hot| {
            // A statement run from inside another's row closure finds the list in use:
            // rusqlite's cache serves it then.
            let Ok(mut list) = hot.statements.try_borrow_mut() else {
                let mut stmt = conn.prepare_cached(sql)?;
                return f(&mut stmt);
            };
            let id = (sql.as_ptr() as usize, sql.len());
            let at = match list.iter().position(|(known, _)| *known == id) {
                Some(at) => at,
                None => {
                    list.push((id, conn.prepare(sql)?));
                    list.len() - 1
                }
            };
            f(&mut list[at].1)
        })
    }

    /// [`query_row`] through a hot statement.
    pub(crate) fn query_hot<T>(
        &self,
        sql: &'static str,
        params: impl Params,
        map: impl FnOnce(&Row<'_>) -> rusqlite::Result<T>,
        doing: impl Fn() -> String,
    ) -> Result<Option<T>> {
        self.with_hot(sql, |stmt| stmt.query_row(params, map).optional())
            .map_err(|e| Error::sqlite(&doing(), e))
    }

    /// [`execute`] through a hot statement.
    pub(crate) fn execute_hot(
        &self,
        sql: &'static str,
        params: impl Params,
        doing: impl Fn() -> String,
    ) -> Result<usize> {
        self.with_hot(sql, |stmt| stmt.execute(params)).map_err(|e| Error::sqlite(&doing(), e))
    }
}

/// The connection, and for a read-only store the view that keeps its stand-ins for a
/// file below the current schema up to date (`None` for a writable store, which brought
/// the file to the current schema at open).
struct Conn {
    db: Db,
    view: Option<ReadOnlyView>,
    /// What the connection's busy handler points to (`busy.rs`): declared after `db`,
    /// so it is dropped after the connection closes.
    _busy: Box<BusyWait>,
}

impl Conn {
    /// Runs `f` in one read transaction; on a read-only store the transaction first
    /// brings the stand-ins up to date, so that `f` reads the file as the check saw it.
    fn read_transaction<T>(&mut self, f: impl FnOnce(&Db) -> Result<T>) -> Result<T> {
        let Conn { db, view, .. } = self;
        match view {
            None => in_transaction(db, "BEGIN", || "read a consistent snapshot".to_string(), || f(db)),
            Some(view) => read_only_transaction(db, view, || f(db)),
        }
    }
}

/// A workflow state store, shared by every thread that holds it: one long-lived SQLite
/// connection that writes, one write at a time in the order the calls came (`gate.rs`),
/// and on a writable file store a pool of connections that read (`pool.rs`), so that a
/// read never waits behind a write of the store. A write commits before it returns, and
/// a read on any connection begins a transaction of its own, so it sees every write
/// that returned before it began.
pub struct Store {
    conn: Gate<Conn>,
    readers: Option<Pool<Conn>>,
    path: String,
    cache: Mutex<StateCache>,
    chunks: Mutex<ChunkCache>,
    last_checkpoint: LastCheckpoint,
    commits: Commits,
    options: Options,
}

impl Store {
    /// Opens (creating, unless `options.create` is false) the store at `path`.
    pub fn open(path: &str, options: Options) -> Result<Store> {
        if path.is_empty() {
            return Err(Error::invalid_argument(
                "path must not be empty (use \":memory:\" for a store that is not persisted)",
            ));
        }
        let mut conn = if path == MEMORY_PATH {
            if options.read_only {
                return Err(Error::invalid_argument(
                    "a \":memory:\" store cannot be read_only: it would always be empty",
                ));
            }
            Connection::open_in_memory().map_err(|e| Error::sqlite("open an in-memory store", e))?
        } else {
            open_file(path, &options)?
        };
        let mut view = configure(&mut conn, path, &options)?;
        let busy = BusyWait::install(&conn, options.busy_timeout_ms);
        let db = Db::open(conn);
        if let Some(view) = &mut view {
            // The view's first look at the file: a file it cannot read is refused now.
            read_only_transaction(&db, view, || Ok(()))?;
        }
        let pooled = !options.read_only && path != MEMORY_PATH && options.read_connections > 0;
        Ok(Store {
            conn: Gate::new(Conn { db, view, _busy: busy }),
            readers: pooled.then(|| Pool::new(options.read_connections)),
            path: path.to_string(),
            cache: Mutex::default(),
            chunks: Mutex::default(),
            last_checkpoint: LastCheckpoint::default(),
            commits: Commits::default(),
            options,
        })
    }

    /// The options the store was opened with.
    pub fn options(&self) -> &Options {
        &self.options
    }

    /// The writing connection, after every call that asked for it before. A panic
    /// inside a call leaves it usable: the transaction it held was rolled back when the
    /// panic dropped it.
    fn lock(&self) -> Turn<'_, Conn> {
        self.conn.lock()
    }

    /// Runs `f` on a read connection, or on the writing one when the store has none.
    fn on_reader<T>(&self, f: impl FnOnce(&mut Conn) -> Result<T>) -> Result<T> {
        match &self.readers {
            Some(readers) => readers.with(|| open_reader(&self.path, &self.options), f),
            None => f(&mut self.lock()),
        }
    }

    /// The store's cache of canonical states (see `cache.rs`).
    pub(crate) fn cache(&self) -> MutexGuard<'_, StateCache> {
        self.cache.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The store's cache of how it last cut each session's state (see `chunks.rs`).
    pub(crate) fn chunk_cache(&self) -> MutexGuard<'_, ChunkCache> {
        self.chunks.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The checkpoint text `ws_checkpoint_with` parsed last (see `undo.rs`).
    pub(crate) fn last_checkpoint(&self) -> &LastCheckpoint {
        &self.last_checkpoint
    }

    /// What wakes the threads waiting for a change (see `feed.rs`).
    pub(crate) fn commits(&self) -> &Commits {
        &self.commits
    }

    /// Runs `f`, which reads with a single query, on the connection: on a writable
    /// store in SQLite's own implicit transaction (the hot path of `ws_get_state`), on
    /// a read-only one in a read transaction that also checks its stand-ins.
    pub(crate) fn read<T>(&self, f: impl FnOnce(&Db) -> Result<T>) -> Result<T> {
        self.on_reader(|conn| if conn.view.is_none() { f(&conn.db) } else { conn.read_transaction(f) })
    }

    /// Runs `f`, which reads with several queries, inside one read transaction, so that
    /// it sees one snapshot of the file even while other processes commit.
    pub(crate) fn read_snapshot<T>(&self, f: impl FnOnce(&Db) -> Result<T>) -> Result<T> {
        self.on_reader(|conn| conn.read_transaction(f))
    }

    /// Runs `f`, a single query that tells whether a write has anything to do, on the
    /// writing connection outside any transaction, in its turn among the writers: no
    /// write lock is taken, and the connection's cache holds what the store's last
    /// writes touched (a read connection drops its whole cache whenever another
    /// connection has committed, and reads the pages again).
    pub(crate) fn read_before_write<T>(&self, f: impl FnOnce(&Db) -> Result<T>) -> Result<T> {
        f(&self.lock().db)
    }

    /// Runs `f` in one `BEGIN IMMEDIATE` transaction, committed only if `f` succeeds:
    /// a read-modify-write never interleaves with another writer, and a failure leaves
    /// the data as it was. `doing` describes the call for error messages.
    pub(crate) fn write<T>(&self, doing: impl Fn() -> String, f: impl FnOnce(&Db) -> Result<T>) -> Result<T> {
        if self.options.read_only {
            return Err(Error::new(
                Status::Io,
                format!("cannot {}: the store was opened read_only", doing()),
            ));
        }
        let conn = self.lock();
        let value = in_transaction(&conn.db, "BEGIN IMMEDIATE", doing, || f(&conn.db))?;
        drop(conn);
        self.commits.notify();
        Ok(value)
    }
}

/// Runs `f` in a read transaction of a read-only connection that first brings `view`'s
/// stand-ins up to date with the file (see `ReadOnlyView::refresh`).
fn read_only_transaction<T>(conn: &Db, view: &mut ReadOnlyView, f: impl FnOnce() -> Result<T>) -> Result<T> {
    let mut remade = None;
    let value = in_transaction(
        conn,
        "BEGIN",
        || format!("read {:?}", view.path()),
        || {
            remade = view.refresh(conn)?;
            f()
        },
    )?;
    if let Some(stamp) = remade {
        view.remade(stamp);
    }
    Ok(value)
}

/// Runs `f` between `begin` and COMMIT, through hot statements (a transaction per call
/// is the hot path); any failure, or a panic, rolls back.
fn in_transaction<T>(
    conn: &Db,
    begin: &'static str,
    doing: impl Fn() -> String,
    f: impl FnOnce() -> Result<T>,
) -> Result<T> {
    struct RollbackUnlessCommitted<'a>(&'a Connection);
    impl Drop for RollbackUnlessCommitted<'_> {
        fn drop(&mut self) {
            if !self.0.is_autocommit() {
                let _ = self.0.execute_batch("ROLLBACK");
            }
        }
    }
    conn.execute_hot(begin, [], &doing)?;
    let _guard = RollbackUnlessCommitted(conn);
    let value = f()?;
    conn.execute_hot("COMMIT", [], &doing)?;
    Ok(value)
}

/// Runs one cached statement that changes rows and returns how many it changed;
/// `doing` describes it for the error message.
pub(crate) fn execute(
    conn: &Connection,
    sql: &str,
    params: impl Params,
    doing: impl Fn() -> String,
) -> Result<usize> {
    conn.prepare_cached(sql).and_then(|mut stmt| stmt.execute(params)).map_err(|e| Error::sqlite(&doing(), e))
}

/// Runs one cached query for at most one row; `None` when there is none.
pub(crate) fn query_row<T>(
    conn: &Connection,
    sql: &str,
    params: impl Params,
    map: impl FnOnce(&Row<'_>) -> rusqlite::Result<T>,
    doing: impl Fn() -> String,
) -> Result<Option<T>> {
    conn.prepare_cached(sql)
        .and_then(|mut stmt| stmt.query_row(params, map).optional())
        .map_err(|e| Error::sqlite(&doing(), e))
}

/// A read connection of a writable store whose writing connection has opened the file
/// (and brought it to the current schema): configured as that one is, and unable to write.
fn open_reader(path: &str, options: &Options) -> Result<Conn> {
    let conn = Connection::open_with_flags(
        sqlite_name(path),
        OpenFlags::SQLITE_OPEN_NO_MUTEX | OpenFlags::SQLITE_OPEN_READ_WRITE,
    )
    .map_err(|e| Error::sqlite(&format!("open a read connection to {path:?}"), e))?;
    tune(&conn, path, options)?;
    conn.pragma_update(None, "query_only", true)
        .map_err(|e| Error::sqlite(&format!("configure a read connection to {path:?}"), e))?;
    let busy = BusyWait::install(&conn, options.busy_timeout_ms);
    Ok(Conn { db: Db::open(conn), view: None, _busy: busy })
}

/// What every connection of a store gets, the writing one and the reading ones.
fn tune(conn: &Connection, path: &str, options: &Options) -> Result<()> {
    let doing = || format!("configure {path:?}");
    conn.busy_timeout(std::time::Duration::from_millis(options.busy_timeout_ms.into()))
        .map_err(|e| Error::sqlite(&doing(), e))?;
    // Every statement the library runs stays prepared (about 30 of them).
    conn.set_prepared_statement_cache_capacity(64);
    // Plans that never depend on bound values. Without this, SQLite marks a statement
    // whose `col = ?N` might bind 0 or 1 (its row estimate, whereLoopOutputAdjust) or
    // whose LIMIT is bound to be planned again, and sqlite3_clear_bindings, which
    // rusqlite's cache calls on every statement it takes back, then expires it: such
    // a statement was parsed again on every use (the reads of a stack's newest entry,
    // a parse in every undo, checkpoint and ws_undo_status).
    conn.set_db_config(rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)
        .map_err(|e| Error::sqlite(&doing(), e))?;
    // 8 MiB of page cache (SQLite's default is 2 MiB): the states, index pages and
    // undo chunks of the sessions being worked on stay in memory.
    conn.pragma_update(None, "cache_size", -8192).map_err(|e| Error::sqlite(&doing(), e))?;
    Ok(())
}

/// Sets the connection up as `options` say and brings the file to the current schema;
/// a read-only connection instead gets its view of the file, which it returns, still to
/// be brought up to date (`read_only_transaction`).
fn configure(conn: &mut Connection, path: &str, options: &Options) -> Result<Option<ReadOnlyView>> {
    let doing = || format!("configure {path:?}");
    tune(conn, path, options)?;
    if options.read_only {
        conn.pragma_update(None, "query_only", true).map_err(|e| Error::sqlite(&doing(), e))?;
        return Ok(Some(ReadOnlyView::new(path)));
    }
    if path != MEMORY_PATH {
        // Whatever is refused is refused before any pragma that writes (journal_mode
        // rewrites the header): a file that is not a database or has a newer schema is
        // left exactly as it was.
        schema::check_version(conn, path)?;
        set_journal_mode(conn, path, options.journal_mode, options.busy_timeout_ms)?;
    }
    let sync = match options.synchronous {
        Synchronous::Normal => "NORMAL",
        Synchronous::Full => "FULL",
        Synchronous::Off => "OFF",
    };
    conn.pragma_update(None, "synchronous", sync).map_err(|e| Error::sqlite(&doing(), e))?;
    schema::create_or_migrate(conn, path)?;
    if let Some(seconds) = options.change_retention_s {
        feed::set_retention(conn, seconds, path)?;
    }
    Ok(None)
}

fn open_file(path: &str, options: &Options) -> Result<Connection> {
    let file = Path::new(path);
    let may_create = options.create && !options.read_only;
    if !may_create && !file.exists() {
        return Err(Error::new(
            Status::NotFound,
            format!(
                "{path:?} does not exist (opened with {}; it is created only by a writable store with \"create\": true)",
                if options.read_only { "\"read_only\": true" } else { "\"create\": false" }
            ),
        ));
    }
    if may_create {
        if let Some(parent) = file.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|e| {
                Error::new(Status::Io, format!("cannot create directory {parent:?} for {path:?}: {e}"))
            })?;
        }
    }
    let mut flags = OpenFlags::SQLITE_OPEN_NO_MUTEX;
    flags |= if options.read_only {
        OpenFlags::SQLITE_OPEN_READ_ONLY
    } else if options.create {
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE
    } else {
        OpenFlags::SQLITE_OPEN_READ_WRITE
    };
    Connection::open_with_flags(sqlite_name(path), flags)
        .map_err(|e| Error::sqlite(&format!("open {path:?}"), e))
}

/// The name to give SQLite for the file `path`. SQLite reads a name that starts with
/// "file:" as a URI (the bundled SQLite has URIs on) and honours its parameters, such as
/// `mode=memory`, `immutable=1` or `vfs=`; "./" in front keeps it the relative file
/// name it is for the file system, and for the checks above.
fn sqlite_name(path: &str) -> PathBuf {
    if path.starts_with("file:") {
        Path::new(".").join(path)
    } else {
        PathBuf::from(path)
    }
}

/// Applies the journal mode, waiting up to the busy timeout for it. SQLite answers a
/// mode change that meets another connection opening or converting the same file with
/// `SQLITE_BUSY` at once, without its busy handler (two stores opening a new file at the
/// same moment did), so the wait is here.
fn set_journal_mode(conn: &Connection, path: &str, mode: JournalMode, busy_timeout_ms: u32) -> Result<()> {
    let wanted = match mode {
        JournalMode::Wal => "wal",
        JournalMode::Delete => "delete",
    };
    let doing = || format!("set journal_mode={wanted} on {path:?}");
    let deadline = std::time::Instant::now() + std::time::Duration::from_millis(busy_timeout_ms.into());
    let mut pause = std::time::Duration::from_millis(1);
    loop {
        let outcome =
            match conn.pragma_update_and_check(None, "journal_mode", wanted, |r| r.get::<_, String>(0)) {
                Err(e) => Err(Error::sqlite(&doing(), e)),
                Ok(got) if got.eq_ignore_ascii_case(wanted) => return Ok(()),
                Ok(got) => Err(Error::new(
                    Status::Busy,
                    format!(
                        "cannot {}: the file stayed in {got} mode (another connection may have it open)",
                        doing()
                    ),
                )),
            };
        match outcome {
            Err(e) if e.status == Status::Busy && std::time::Instant::now() + pause < deadline => {
                std::thread::sleep(pause);
                pause = (pause * 2).min(std::time::Duration::from_millis(20));
            }
            other => return other,
        }
    }
}

/// A fresh path for a test's database: `<tmp>/ws-<group>-<pid>/<name>`, with any file
/// (and WAL or shared-memory file) an earlier run left there removed.
#[cfg(test)]
pub(crate) fn scratch_file(group: &str, name: &str) -> String {
    let dir = std::env::temp_dir().join(format!("ws-{group}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    path.to_str().unwrap().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> String {
        crate::store::scratch_file("store", name)
    }

    /// While one thread is inside a write, another thread's reads of the same store
    /// return (seeing the file as it was before the write), and once the write returned
    /// they see it; in both journal modes. Were reads behind the write, the reader
    /// would never answer and the writer's wait would fail.
    #[test]
    fn reads_do_not_wait_for_a_write_in_progress() {
        use std::sync::mpsc::channel;
        use std::time::Duration;
        for (name, options) in [
            ("wal.db", Options::default()),
            ("delete.db", Options { journal_mode: JournalMode::Delete, ..Options::default() }),
        ] {
            let store = std::sync::Arc::new(Store::open(&scratch(name), options).unwrap());
            store.update_state("f", "s", r#"{"v":1}"#).unwrap();
            let (inside, write_started) = channel();
            let (answer, read_done) = channel();
            let reader = {
                let store = store.clone();
                std::thread::spawn(move || {
                    write_started.recv().unwrap();
                    answer.send(store.get_state("f", "s").unwrap()).unwrap();
                })
            };
            let seen = store
                .write(
                    || "hold the write".to_string(),
                    |tx| {
                        execute(tx, "UPDATE workflow_state SET state_json = '{\"v\":2}'", [], || {
                            "update".into()
                        })?;
                        inside.send(()).unwrap();
                        Ok(read_done
                            .recv_timeout(Duration::from_secs(20))
                            .expect("the read waited for the write"))
                    },
                )
                .unwrap();
            reader.join().unwrap();
            assert_eq!(seen, r#"{"v":1}"#, "{name}: the read saw the write before it committed");
            assert_eq!(store.get_state("f", "s").unwrap(), r#"{"v":2}"#, "{name}");
            assert_eq!(
                store.readers.as_ref().unwrap().opened(),
                1,
                "{name}: read connections open when needed"
            );
        }
    }

    /// A call that remade the stand-ins and then failed rolled the remaking back with
    /// its transaction: the next call must remake them again, not trust the old ones.
    #[test]
    fn a_read_only_call_that_fails_after_remaking_its_view_leaves_it_to_the_next() {
        let path = scratch("empty.db");
        std::fs::write(&path, b"").unwrap();
        let read_only = Store::open(&path, Options { read_only: true, ..Options::default() }).unwrap();
        assert_eq!(read_only.get_state("f", "a").unwrap(), "{}");
        {
            let writer = Store::open(&path, Options::default()).unwrap();
            writer.update_state("f", "a", r#"{"a":1}"#).unwrap();
            writer
                .write(
                    || "write a state that is not strict JSON".into(),
                    |tx| {
                        execute(
                            tx,
                            "INSERT INTO workflow_state (flow_session_key, state_json) VALUES ('f:bad', '{\"x\": NaN}')",
                            [],
                            || "insert".into(),
                        )
                    },
                )
                .unwrap();
        }
        let err = read_only.get_state("f", "bad").unwrap_err();
        assert_eq!(err.status, Status::Corrupt, "{err:?}");
        assert_eq!(read_only.get_state("f", "a").unwrap(), r#"{"a":1}"#);
    }

    /// SQLite marks a statement to be prepared again when certain bound values change
    /// (a bound LIMIT, a join's propagated `?1`, `col = ?N` where N might be 0 or 1),
    /// and rusqlite's statement cache clears the bindings of every statement it takes
    /// back, so such a statement is parsed again on every use: that was most of a small
    /// `ws_get_session` and of a feed page, and a parse in every undo. After every kind
    /// of call, repeated, no statement of the store may have been re-prepared.
    #[test]
    fn no_statement_is_prepared_again_on_every_use() {
        let store = Store::open(MEMORY_PATH, Options::default()).unwrap();
        for i in 0..3 {
            store.update_state("f", "s", &format!(r#"{{"a":{i}}}"#)).unwrap();
            store.update_step_state("f", "s", "x", &format!(r#"{{"b":{i}}}"#)).unwrap();
            store.set_current_step("f", "s", &format!("step{i}")).unwrap();
            store.set_session_label("f", "s", Some(&format!("label{i}"))).unwrap();
            store.get_state("f", "s").unwrap();
            store.get_step_state("f", "s", "x").unwrap();
            store.get_current_step("f", "s").unwrap();
            store.get_session_summary("f", "s").unwrap();
            store.list_sessions("f", crate::Order::UpdatedAt, i % 2 == 0).unwrap();
            store.create_session("f", Some(&format!("new{i}")), None).unwrap();
            store.session_exists("f", "s").unwrap();
            store.history_push("f", "s", "1").unwrap();
            store.history_peek("f", "s").unwrap();
            store.history_len("f", "s").unwrap();
            store.history_pop("f", "s").unwrap();
            store.checkpoint("f", "s", Some("c")).unwrap();
            store.undo("f", "s").unwrap();
            store.redo("f", "s").unwrap();
            store.undo_status("f", "s").unwrap();
            store.checkpoint_json("f", "s", Some(r#"{"merge_key":"k","meta":1}"#)).unwrap();
            store.update_state("f", "s", &format!(r#"{{"k":{i}}}"#)).unwrap();
            store.undo_with("f", "s").unwrap();
            store.redo_with("f", "s").unwrap();
            store.set_clean("f", "s").unwrap();
            store.get_session("f", "s").unwrap();
            store.get_revision("f", "s").unwrap();
            let edit = format!(
                r#"{{"expect_revision":{},"patch":[{{"op":"add","path":"/p","value":{i}}}],"checkpoint":null}}"#,
                store.get_revision("f", "s").unwrap()
            );
            store.apply("f", "s", &edit).unwrap();
            store.latest_seq().unwrap();
            store.changes_since(None, i, 1 + i as usize).unwrap();
            store.changes_since(Some("f"), i, 0).unwrap();
            store.wait_for_change(0, Some(std::time::Duration::ZERO)).unwrap();
            store.delete_session("f", &format!("new{i}")).unwrap();
        }
        let conn = store.lock();
        let mut reprepared = Vec::new();
        // SAFETY: the handle is the store's open connection, which the lock keeps from
        // every other thread; sqlite3_next_stmt and sqlite3_stmt_status only read.
        unsafe {
            let db = conn.db.handle();
            let mut stmt = rusqlite::ffi::sqlite3_next_stmt(db, std::ptr::null_mut());
            while !stmt.is_null() {
                let n =
                    rusqlite::ffi::sqlite3_stmt_status(stmt, rusqlite::ffi::SQLITE_STMTSTATUS_REPREPARE, 0);
                let sql = std::ffi::CStr::from_ptr(rusqlite::ffi::sqlite3_sql(stmt)).to_string_lossy();
                if n > 0 {
                    reprepared.push(format!("{n} times: {sql}"));
                }
                stmt = rusqlite::ffi::sqlite3_next_stmt(db, stmt);
            }
        }
        assert!(reprepared.is_empty(), "statements prepared again on use: {reprepared:#?}");
    }
}
