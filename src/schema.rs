//! The on-disk schema: the cjm-workflow-state 0.0.3 table and the library's own tables
//! beside it, created or migrated at open.

use crate::error::{Error, Result};
use rusqlite::{Connection, TransactionBehavior};

/// The schema version this library writes into `PRAGMA user_version`.
/// 1: the cjm-workflow-state 0.0.3 table, `workflow_state` with its `label` column.
/// 2: adds `ws_history` (history, undo and redo stacks) and the trigger that deletes a
///    session's stacks with its row, whoever deletes it.
/// 3: adds `ws_history.chunks`, `ws_chunk` and `ws_chunk_data` (large undo/redo snapshots
///    as shared chunks, `chunks.rs`) and the triggers that count the chunks' references.
///    Entries written by version 2 (inline snapshots) stay as they are and readable.
///    Also adds the index `ws_session_list`, which lets a list read only the index.
/// 4: adds the change sequence: `ws_change` (each session's revision, and remembered
///    deletions), `ws_feed` (the feed's retention) and the triggers that keep them,
///    whoever writes `workflow_state`. Every existing session takes a revision.
/// 5: undo for editors (`undo.rs`): `ws_history.meta`, `made_ms`, `merge_key` and
///    `version`, and `ws_undo` (each session's clean mark), deleted with the session.
///    Entries written before stay readable (no meta, and never merged into).
/// 6: adds the query indexes `ws_query_updated`, `ws_query_created` and `ws_query_label`
///    (paged session queries, `query.rs`).
/// 7: `ws_change` numbers the changes itself instead of by AUTOINCREMENT, whose counter
///    in `sqlite_sequence` every write rewrote (a B-tree page and a WAL frame: a set
///    step commits 5 frames, not 6, `bench/schema_cost.c`); its key index is no longer
///    UNIQUE. Every session keeps its revision and the sequence goes on from there.
pub const SCHEMA_VERSION: i64 = 7;

/// Exactly the table and index cjm-workflow-state 0.0.3 creates, so that either
/// program can open a file the other made.
const CREATE_TABLES: &str = "
CREATE TABLE IF NOT EXISTS workflow_state (
    flow_session_key TEXT PRIMARY KEY,
    current_step TEXT,
    state_json TEXT DEFAULT '{}',
    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    updated_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    label TEXT
);
CREATE INDEX IF NOT EXISTS idx_workflow_state_updated ON workflow_state(updated_at);
";

/// The library's index for listing a flow's sessions: it holds every column of a
/// session summary, so a list reads one contiguous run of the index and never the
/// table, whose rows for one flow are spread over the file in creation order. Without
/// it, listing slows as other flows' sessions fill the file (1.6x with 100 times as
/// many). `length(CAST(state_json AS BLOB))` is the state's size in bytes, written so
/// that CPython's SQLite (3.40, which lacks `octet_length`) can maintain the index; the
/// list query (`sessions.rs`) spells it the same way, so SQLite reads it from the index.
/// The price: a write that replaces a state reads the old one to update its entry.
const CREATE_LIST_INDEX: &str = "
CREATE INDEX IF NOT EXISTS ws_session_list ON workflow_state (
    flow_session_key, label, current_step, created_at, updated_at, length(CAST(state_json AS BLOB))
);
";

/// The indexes of paged session queries (`query.rs`), one per order: the session's flow
/// (the key up to its first ':'), the sort column and the key, which breaks ties. A page
/// is then one seek and a run of the index, wherever it starts. The query spells the
/// flow's expression exactly so, which lets SQLite match it; the sort column and the key
/// stay plain columns, because SQLite uses a row-value range `(a, b) > (?, ?)` only on
/// plain columns of an index. The price: `ws_query_updated` is
/// rewritten by every write (each sets `updated_at`), `ws_query_label` only by a change
/// of label, `ws_query_created` only by a creation or a created_at rewrite.
const CREATE_QUERY_INDEXES: &str = "
CREATE INDEX IF NOT EXISTS ws_query_updated ON workflow_state (
    substr(flow_session_key, 1, instr(flow_session_key, ':') - 1), updated_at, flow_session_key
);
CREATE INDEX IF NOT EXISTS ws_query_created ON workflow_state (
    substr(flow_session_key, 1, instr(flow_session_key, ':') - 1), created_at, flow_session_key
);
CREATE INDEX IF NOT EXISTS ws_query_label ON workflow_state (
    substr(flow_session_key, 1, instr(flow_session_key, ':') - 1), label, flow_session_key
);
";

/// The library's own table: every stack of every session, one row per entry. `stack` is
/// 10 for the `ws_history_*` snapshots, 11 for undo, 12 for redo; `seq` orders a stack's
/// entries (the newest is the largest, a stack's seqs are contiguous and start at 2^23;
/// `history.rs` says why). An entry holds its snapshot either inline (`snapshot`) or, for
/// large undo/redo snapshots, as `chunks`: a JSON array of `ws_chunk` ids whose data,
/// concatenated in order, is the snapshot's text (`snapshot` is then NULL).
/// Only SQL that CPython's SQLite (3.40) understands, so Python can still use the file.
const CREATE_HISTORY_TABLE: &str = "
CREATE TABLE IF NOT EXISTS ws_history (
    flow_session_key TEXT NOT NULL,
    stack INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    label TEXT,
    current_step TEXT,
    snapshot TEXT,
    chunks TEXT,
    meta TEXT,
    made_ms INTEGER,
    merge_key TEXT,
    version INTEGER,
    PRIMARY KEY (flow_session_key, stack, seq)
);
";

/// The columns schema 5 adds to `ws_history`, for files made before it.
const UNDO_COLUMNS: [&str; 4] = ["meta TEXT", "made_ms INTEGER", "merge_key TEXT", "version INTEGER"];

/// Each session's undo bookkeeping beside its stacks (see `undo.rs`): which version of
/// the state is the present one as of revision `present_revision`, and which version was
/// marked clean. Deleted with the session's row, whoever deletes it.
const CREATE_UNDO_TABLE: &str = "
CREATE TABLE IF NOT EXISTS ws_undo (
    flow_session_key TEXT PRIMARY KEY,
    present_revision INTEGER NOT NULL,
    present_version INTEGER NOT NULL,
    clean_version INTEGER
);
CREATE TRIGGER IF NOT EXISTS ws_undo_deleted_with_session
AFTER DELETE ON workflow_state
BEGIN
    DELETE FROM ws_undo WHERE flow_session_key = OLD.flow_session_key;
END;
";

/// The chunks of large snapshots, each stored once: `hash` is the BLAKE3 hash of `data`,
/// `refs` the number of `ws_history` entries that list the chunk (an entry that lists it
/// twice counts once). The bytes live in `ws_chunk_data` under the same id, so that a
/// change of `refs` rewrites a small row, not the chunk; they are a BLOB because a cut
/// may fall inside a UTF-8 character.
const CREATE_CHUNK_TABLES: &str = "
CREATE TABLE IF NOT EXISTS ws_chunk (
    id INTEGER PRIMARY KEY,
    hash BLOB NOT NULL UNIQUE,
    refs INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS ws_chunk_data (
    id INTEGER PRIMARY KEY,
    data BLOB NOT NULL
);
";

/// Keep `ws_chunk.refs` right whoever writes `ws_history` (the library, or the Python
/// package deleting a session, which deletes its entries through the trigger below), and
/// delete a chunk, and its data, with its last reference.
const CREATE_CHUNK_TRIGGERS: &str = "
CREATE TRIGGER IF NOT EXISTS ws_history_chunks_inserted
AFTER INSERT ON ws_history WHEN NEW.chunks IS NOT NULL
BEGIN
    UPDATE ws_chunk SET refs = refs + 1 WHERE id IN (SELECT value FROM json_each(NEW.chunks));
END;
CREATE TRIGGER IF NOT EXISTS ws_history_chunks_deleted
AFTER DELETE ON ws_history WHEN OLD.chunks IS NOT NULL
BEGIN
    UPDATE ws_chunk SET refs = refs - 1 WHERE id IN (SELECT value FROM json_each(OLD.chunks));
    DELETE FROM ws_chunk WHERE refs <= 0 AND id IN (SELECT value FROM json_each(OLD.chunks));
END;
CREATE TRIGGER IF NOT EXISTS ws_history_chunks_updated
AFTER UPDATE OF chunks ON ws_history WHEN NEW.chunks IS NOT OLD.chunks
BEGIN
    UPDATE ws_chunk SET refs = refs + 1
    WHERE id IN (SELECT value FROM json_each(NEW.chunks))
      AND id NOT IN (SELECT value FROM json_each(OLD.chunks));
    UPDATE ws_chunk SET refs = refs - 1
    WHERE id IN (SELECT value FROM json_each(OLD.chunks))
      AND id NOT IN (SELECT value FROM json_each(NEW.chunks));
    DELETE FROM ws_chunk WHERE refs <= 0 AND id IN (SELECT value FROM json_each(OLD.chunks));
END;
CREATE TRIGGER IF NOT EXISTS ws_chunk_deleted
AFTER DELETE ON ws_chunk
BEGIN
    DELETE FROM ws_chunk_data WHERE id = OLD.id;
END;
";

/// Deletes a session's stacks with its row, also when the Python package deletes it.
const CREATE_HISTORY_TRIGGER: &str = "
CREATE TRIGGER IF NOT EXISTS ws_history_deleted_with_session
AFTER DELETE ON workflow_state
BEGIN
    DELETE FROM ws_history WHERE flow_session_key = OLD.flow_session_key;
END;
";

/// The change sequence (see `feed.rs`). `ws_change` has one row per live session, whose
/// `seq` is its revision, and one per remembered deletion (`deleted_at`, Unix seconds,
/// not NULL). A change inserts the session's new row, numbered by `number_change!`, and
/// deletes its older one, so the newest row's `seq` is the latest number: the table's
/// size follows the live sessions and the remembered deletions, not the number of
/// changes. The key index is not UNIQUE because both rows exist for that moment.
/// `ws_feed` is one row: how long deletions are remembered (`retention_s`, set by the
/// `change_retention_s` option), how many are (`deletions`), and the newest sequence
/// number forgotten (`forgotten_seq`), against which a follower learns that it must
/// reload (`reset`).
const CREATE_FEED_TABLES: &str = "
CREATE TABLE IF NOT EXISTS ws_change (
    seq INTEGER PRIMARY KEY,
    flow_session_key TEXT NOT NULL,
    deleted_at INTEGER
);
CREATE INDEX IF NOT EXISTS ws_change_key ON ws_change (flow_session_key);
CREATE INDEX IF NOT EXISTS ws_change_deletions ON ws_change (deleted_at) WHERE deleted_at IS NOT NULL;
CREATE TABLE IF NOT EXISTS ws_feed (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    retention_s INTEGER NOT NULL,
    deletions INTEGER NOT NULL,
    forgotten_seq INTEGER NOT NULL
);
INSERT OR IGNORE INTO ws_feed (id, retention_s, deletions, forgotten_seq) VALUES (1, 604800, 0, 0);
";

/// The latest number of the change sequence: the largest a row holds or a forgotten
/// deletion held (the two differ only in a file whose AUTOINCREMENT counter had run
/// past its rows, see `SET_ASIDE_AUTOINCREMENT_FEED`); 0 for a file never changed.
macro_rules! latest_seq {
    () => {
        "max(coalesce((SELECT max(seq) FROM ws_change), 0), (SELECT forgotten_seq FROM ws_feed))"
    };
}

/// `latest_seq!` as a query, for `feed.rs` and `query.rs`.
pub(crate) const SELECT_LATEST_SEQ: &str = concat!("SELECT ", latest_seq!());

/// The next number of the change sequence. Computed before the session's older row
/// goes, so a session that held the latest number takes a new one, and no number is
/// ever given twice.
macro_rules! next_seq {
    () => {
        concat!(latest_seq!(), " + 1")
    };
}

/// Numbers a change of the session `$key` (an SQL expression: `NEW.flow_session_key`
/// in a trigger, `?1` in `feed.rs`): `insert` gives it a new row with the next number
/// (`$deleted_at`: NULL for a live session, the time of a deletion), `drop_older`
/// deletes its row from before. Both are single-row statements: see
/// `CREATE_FEED_TRIGGERS`.
macro_rules! number_change {
    (insert $key:literal, $deleted_at:expr) => {
        concat!(
            "INSERT INTO ws_change (seq, flow_session_key, deleted_at) VALUES (",
            next_seq!(),
            ", ",
            $key,
            ", ",
            $deleted_at,
            ")"
        )
    };
    (drop_older $key:literal) => {
        concat!(
            "DELETE FROM ws_change WHERE flow_session_key = ",
            $key,
            " AND seq < (SELECT max(seq) FROM ws_change)"
        )
    };
    ($key:literal, $deleted_at:expr) => {
        concat!(
            "    ",
            number_change!(insert $key, $deleted_at),
            ";\n    ",
            number_change!(drop_older $key),
            ";\n"
        )
    };
}

/// `feed.rs`'s numbering of a change that no trigger sees, the session's key bound as ?1.
pub(crate) const NUMBER_SESSION: [&str; 2] =
    [number_change!(insert "?1", "NULL"), number_change!(drop_older "?1")];

/// The time of a deletion, in Unix seconds.
macro_rules! now_s {
    () => {
        "CAST(strftime('%s', 'now') AS INTEGER)"
    };
}

/// Numbers every change of a session row, whoever makes it (the Python package's
/// writes and deletes too). An update that leaves every column as it was takes no
/// number. A deletion is remembered; past the newest 10,000, those older than the
/// retention are forgotten, oldest first, so the feed's space stays bounded.
/// (The Python package's upserts fire the INSERT and UPDATE triggers as any other
/// writer's; a REPLACE fires only the INSERT one, which also renumbers.)
/// A key change has a trigger of its own, so that the one every write fires,
/// `ws_change_session_updated`, holds only single-row DELETE and INSERT ... VALUES: an
/// `IN (OLD, NEW)` list or an INSERT ... SELECT into `ws_change` (which has triggers)
/// makes SQLite build a temporary table on every call, and allocating and freeing its
/// pages cost each small write up to twice its time (the benchmark's
/// ws_set_current_step: 1.98x raw SQLite before, 1.13x after).
const CREATE_FEED_TRIGGERS: &str = concat!(
    "
CREATE TRIGGER IF NOT EXISTS ws_change_session_inserted
AFTER INSERT ON workflow_state
BEGIN
",
    number_change!("NEW.flow_session_key", "NULL"),
    "END;
CREATE TRIGGER IF NOT EXISTS ws_change_session_updated
AFTER UPDATE ON workflow_state
WHEN OLD.flow_session_key IS NEW.flow_session_key AND (OLD.state_json IS NOT NEW.state_json
  OR OLD.current_step IS NOT NEW.current_step OR OLD.label IS NOT NEW.label
  OR OLD.created_at IS NOT NEW.created_at OR OLD.updated_at IS NOT NEW.updated_at)
BEGIN
",
    number_change!("NEW.flow_session_key", "NULL"),
    "END;
CREATE TRIGGER IF NOT EXISTS ws_change_session_renamed
AFTER UPDATE OF flow_session_key ON workflow_state
WHEN OLD.flow_session_key IS NOT NEW.flow_session_key
BEGIN
",
    number_change!("OLD.flow_session_key", now_s!()),
    number_change!("NEW.flow_session_key", "NULL"),
    "END;
CREATE TRIGGER IF NOT EXISTS ws_change_session_deleted
AFTER DELETE ON workflow_state
BEGIN
",
    number_change!("OLD.flow_session_key", now_s!()),
    "END;
CREATE TRIGGER IF NOT EXISTS ws_change_deletion_added
AFTER INSERT ON ws_change WHEN NEW.deleted_at IS NOT NULL
BEGIN
    UPDATE ws_feed SET deletions = deletions + 1;
    UPDATE ws_feed SET forgotten_seq = max(forgotten_seq, coalesce((
        SELECT max(seq) FROM (
            SELECT seq FROM ws_change
            WHERE deleted_at IS NOT NULL AND deleted_at < NEW.deleted_at - (SELECT retention_s FROM ws_feed)
            ORDER BY deleted_at LIMIT max(0, (SELECT deletions FROM ws_feed) - 10000))), 0));
    DELETE FROM ws_change WHERE seq IN (
        SELECT seq FROM ws_change
        WHERE deleted_at IS NOT NULL AND deleted_at < NEW.deleted_at - (SELECT retention_s FROM ws_feed)
        ORDER BY deleted_at LIMIT max(0, (SELECT deletions FROM ws_feed) - 10000));
END;
CREATE TRIGGER IF NOT EXISTS ws_change_deletion_removed
AFTER DELETE ON ws_change WHEN OLD.deleted_at IS NOT NULL
BEGIN
    UPDATE ws_feed SET deletions = deletions - 1;
END;
"
);

/// Schema 7's renumbering of a file that schema 4-6 numbered by AUTOINCREMENT: the rows
/// are kept aside while the table is made anew (dropping the old one drops its
/// triggers, its indexes and its `sqlite_sequence` counter), and the feed's triggers on
/// `workflow_state` go, to be made anew after it. A counter past every row's number
/// (its row gone some other way than the feed's own) is recorded as forgotten, so the
/// sequence never gives that number again and a follower that saw it reloads.
const SET_ASIDE_AUTOINCREMENT_FEED: &str = "
CREATE TEMP TABLE ws_change_before_7 AS SELECT seq, flow_session_key, deleted_at FROM main.ws_change;
UPDATE ws_feed SET forgotten_seq = max(forgotten_seq, (SELECT seq FROM sqlite_sequence WHERE name = 'ws_change'))
WHERE (SELECT seq FROM sqlite_sequence WHERE name = 'ws_change') > coalesce((SELECT max(seq) FROM main.ws_change), 0);
DROP TRIGGER IF EXISTS ws_change_session_inserted;
DROP TRIGGER IF EXISTS ws_change_session_updated;
DROP TRIGGER IF EXISTS ws_change_session_renamed;
DROP TRIGGER IF EXISTS ws_change_session_deleted;
DROP TABLE main.ws_change;
";

/// The rows set aside, back in the new table (before the triggers that count deletions
/// exist again: the count in `ws_feed` stays as it was).
const RESTORE_FEED: &str = "
INSERT INTO main.ws_change (seq, flow_session_key, deleted_at)
SELECT seq, flow_session_key, deleted_at FROM temp.ws_change_before_7 ORDER BY seq;
DROP TABLE temp.ws_change_before_7;
";

/// Gives every session of a file that had no change sequence its revision, in the
/// order of their last updates.
const NUMBER_EXISTING_SESSIONS: &str = "
INSERT INTO ws_change (flow_session_key)
SELECT flow_session_key FROM workflow_state ORDER BY updated_at, rowid;
";

struct Found {
    version: i64,
    has_table: bool,
    has_label: bool,
    has_history: bool,
    has_chunks: bool,
    has_feed: bool,
    has_change_key: bool,
    has_undo_columns: bool,
    has_undo_table: bool,
    has_query_indexes: bool,
}

/// Reads the file's schema version and refuses one newer than this library's. Only
/// reads, so a caller that runs it before any pragma that writes leaves a refused file
/// (a newer schema, or not a database at all) exactly as it was.
pub fn check_version(conn: &Connection, path: &str) -> Result<i64> {
    let version: i64 = conn
        .pragma_query_value(Some("main"), "user_version", |row| row.get(0))
        .map_err(|e| Error::sqlite(&format!("read the schema of {path:?}"), e))?;
    if version > SCHEMA_VERSION {
        return Err(Error::corrupt(format!(
            "{path:?} has schema version {version}, newer than the {SCHEMA_VERSION} this \
             library (workflow_state {}) understands; open it with a newer workflow_state",
            env!("CARGO_PKG_VERSION")
        )));
    }
    Ok(version)
}

fn inspect(conn: &Connection, path: &str) -> Result<Found> {
    let doing = || format!("read the schema of {path:?}");
    let version = check_version(conn, path)?;
    let mut columns = Vec::new();
    conn.pragma(Some("main"), "table_info", "workflow_state", |row| {
        columns.push(row.get::<_, String>(1)?);
        Ok(())
    })
    .map_err(|e| Error::sqlite(&doing(), e))?;
    let has = |kind: &str, name: &str| {
        conn.query_row(
            "SELECT count(*) FROM sqlite_master WHERE type = ?1 AND name = ?2",
            [kind, name],
            |row| row.get::<_, i64>(0),
        )
        .map(|n| n > 0)
        .map_err(|e| Error::sqlite(&doing(), e))
    };
    let (has_history, has_feed, has_undo_table) =
        (has("table", "ws_history")?, has("table", "ws_change")?, has("table", "ws_undo")?);
    let has_change_key = has("index", "ws_change_key")?;
    let has_query_indexes = conn
        .query_row(
            "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name IN
             ('ws_query_updated', 'ws_query_created', 'ws_query_label')",
            [],
            |row| row.get::<_, i64>(0),
        )
        .map_err(|e| Error::sqlite(&doing(), e))?
        == 3;
    let (mut has_chunks, mut has_undo_columns) = (false, false);
    conn.pragma(Some("main"), "table_info", "ws_history", |row| {
        let column = row.get::<_, String>(1)?;
        has_chunks |= column == "chunks";
        has_undo_columns |= column == "version";
        Ok(())
    })
    .map_err(|e| Error::sqlite(&doing(), e))?;
    Ok(Found {
        version,
        has_table: !columns.is_empty(),
        has_label: columns.iter().any(|c| c == "label"),
        has_history,
        has_chunks,
        has_feed,
        has_change_key,
        has_undo_columns,
        has_undo_table,
        has_query_indexes,
    })
}

/// Brings a writable file to the current schema in one transaction: creates the
/// tables and triggers, adds the `label` column to a 0.0.2-format file, the `chunks`
/// column to a version 2 file and the undo columns to a version 4 one, makes the
/// change sequence of a version 4-6 file anew without AUTOINCREMENT (every number
/// kept), records the version.
pub fn create_or_migrate(conn: &mut Connection, path: &str) -> Result<()> {
    let found = inspect(conn, path)?;
    if found.version == SCHEMA_VERSION
        && found.has_label
        && found.has_chunks
        && found.has_feed
        && found.has_change_key
        && found.has_undo_columns
        && found.has_undo_table
        && found.has_query_indexes
    {
        return Ok(());
    }
    let doing = || format!("create or migrate the schema of {path:?}");
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(|e| Error::sqlite(&doing(), e))?;
    // Another process may have migrated the file while we waited for the lock.
    let found = inspect(&tx, path)?;
    tx.execute_batch(CREATE_TABLES).map_err(|e| Error::sqlite(&doing(), e))?;
    tx.execute_batch(CREATE_HISTORY_TABLE).map_err(|e| Error::sqlite(&doing(), e))?;
    tx.execute_batch(CREATE_HISTORY_TRIGGER).map_err(|e| Error::sqlite(&doing(), e))?;
    if found.has_table && !found.has_label {
        tx.execute_batch("ALTER TABLE workflow_state ADD COLUMN label TEXT")
            .map_err(|e| Error::sqlite(&doing(), e))?;
    }
    // After the label column exists: the index covers it.
    tx.execute_batch(CREATE_LIST_INDEX).map_err(|e| Error::sqlite(&doing(), e))?;
    tx.execute_batch(CREATE_QUERY_INDEXES).map_err(|e| Error::sqlite(&doing(), e))?;
    if found.has_history && !found.has_chunks {
        tx.execute_batch("ALTER TABLE ws_history ADD COLUMN chunks TEXT")
            .map_err(|e| Error::sqlite(&doing(), e))?;
    }
    if found.has_history && !found.has_undo_columns {
        for column in UNDO_COLUMNS {
            tx.execute_batch(&format!("ALTER TABLE ws_history ADD COLUMN {column}"))
                .map_err(|e| Error::sqlite(&doing(), e))?;
        }
    }
    tx.execute_batch(CREATE_UNDO_TABLE).map_err(|e| Error::sqlite(&doing(), e))?;
    tx.execute_batch(CREATE_CHUNK_TABLES).map_err(|e| Error::sqlite(&doing(), e))?;
    tx.execute_batch(CREATE_CHUNK_TRIGGERS).map_err(|e| Error::sqlite(&doing(), e))?;
    let renumber = found.has_feed && !found.has_change_key;
    if renumber {
        tx.execute_batch(SET_ASIDE_AUTOINCREMENT_FEED).map_err(|e| Error::sqlite(&doing(), e))?;
    }
    tx.execute_batch(CREATE_FEED_TABLES).map_err(|e| Error::sqlite(&doing(), e))?;
    if renumber {
        tx.execute_batch(RESTORE_FEED).map_err(|e| Error::sqlite(&doing(), e))?;
    }
    if !found.has_feed {
        tx.execute_batch(NUMBER_EXISTING_SESSIONS).map_err(|e| Error::sqlite(&doing(), e))?;
    }
    tx.execute_batch(CREATE_FEED_TRIGGERS).map_err(|e| Error::sqlite(&doing(), e))?;
    tx.pragma_update(None, "user_version", SCHEMA_VERSION).map_err(|e| Error::sqlite(&doing(), e))?;
    tx.commit().map_err(|e| Error::sqlite(&doing(), e))
}

/// What a read-only connection's stand-ins were made for: the file's schema cookie,
/// which SQLite moves with every change of a table, index, view or trigger, whoever
/// makes it, and its `user_version`, which a newer library may move alone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stamp {
    schema_version: i64,
    user_version: i64,
}

fn stamp(conn: &Connection, path: &str) -> Result<Stamp> {
    // Cached: a read-only store reads the stamp on every call.
    let read = |sql: &str| {
        conn.prepare_cached(sql)
            .and_then(|mut stmt| stmt.query_row([], |row| row.get::<_, i64>(0)))
            .map_err(|e| Error::sqlite(&format!("read the schema of {path:?}"), e))
    };
    Ok(Stamp {
        schema_version: read("PRAGMA main.schema_version")?,
        user_version: read("PRAGMA main.user_version")?,
    })
}

/// How a read-only connection answers the current schema's queries on a file of any
/// older version without writing to it: TEMP objects (private to the connection, and
/// found before `main`'s by unqualified names) stand in for what the file lacks. Other
/// processes may create or migrate the schema, or make the file newer, while the
/// connection stays open, so the stand-ins are checked against the file on every call
/// (`refresh`) and remade when its schema moved.
pub struct ReadOnlyView {
    path: String,
    made_for: Option<Stamp>,
}

impl ReadOnlyView {
    /// A view with no stand-ins yet: the first `refresh` makes them.
    pub fn new(path: &str) -> ReadOnlyView {
        ReadOnlyView { path: path.to_string(), made_for: None }
    }

    /// The file's path, for messages.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// Brings the stand-ins up to date with the file. To be run at the start of the
    /// read transaction whose queries rely on them, so that the file cannot change
    /// between the check and the queries. Refuses a file that has become newer than
    /// this library (`WS_CORRUPT`). Returns the stamp of a remaking, to hand to
    /// `remade` once the transaction has committed: a rollback also undoes the remaking
    /// (TEMP objects are transactional), and the old stand-ins then still match the
    /// old stamp.
    pub fn refresh(&self, conn: &Connection) -> Result<Option<Stamp>> {
        let stamp = stamp(conn, &self.path)?;
        if self.made_for == Some(stamp) {
            return Ok(None);
        }
        let found = inspect(conn, &self.path)?;
        // `query_only` forbids creating TEMP objects too.
        set_query_only(conn, &self.path, false)?;
        let made = make_stand_ins(conn, &self.path, &found);
        let restored = set_query_only(conn, &self.path, true);
        made.and(restored).map(|()| Some(stamp))
    }

    /// Records that the stand-ins made for `stamp` are committed.
    pub fn remade(&mut self, stamp: Stamp) {
        self.made_for = Some(stamp);
    }
}

fn set_query_only(conn: &Connection, path: &str, on: bool) -> Result<()> {
    conn.pragma_update(None, "query_only", on)
        .map_err(|e| Error::sqlite(&format!("set query_only={on} on the read-only view of {path:?}"), e))
}

/// Drops the stand-ins made for an earlier schema, then makes those the file needs now.
fn make_stand_ins(conn: &Connection, path: &str, found: &Found) -> Result<()> {
    let doing = || format!("prepare the read-only view of {path:?}");
    let mut stmt = conn
        .prepare("SELECT type, name FROM sqlite_temp_master WHERE type IN ('table', 'view')")
        .map_err(|e| Error::sqlite(&doing(), e))?;
    let old = stmt
        .query_map([], |row| Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?)))
        .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
        .map_err(|e| Error::sqlite(&doing(), e))?;
    drop(stmt);
    for (kind, name) in old {
        conn.execute_batch(&format!("DROP {kind} temp.\"{name}\""))
            .map_err(|e| Error::sqlite(&doing(), e))?;
    }
    if !found.has_history {
        conn.execute_batch(&CREATE_HISTORY_TABLE.replace("CREATE TABLE IF NOT EXISTS", "CREATE TEMP TABLE"))
            .map_err(|e| Error::sqlite(&doing(), e))?;
    } else if !found.has_undo_columns {
        let chunks = if found.has_chunks { "" } else { " NULL AS chunks," };
        conn.execute_batch(&format!(
            "CREATE TEMP VIEW ws_history AS SELECT *,{chunks} NULL AS meta, NULL AS made_ms,
                 NULL AS merge_key, NULL AS version FROM main.ws_history"
        ))
        .map_err(|e| Error::sqlite(&doing(), e))?;
    }
    if !found.has_undo_table {
        let table = CREATE_UNDO_TABLE.split(';').next().unwrap_or_default();
        conn.execute_batch(&table.replace("CREATE TABLE IF NOT EXISTS", "CREATE TEMP TABLE"))
            .map_err(|e| Error::sqlite(&doing(), e))?;
    }
    if !found.has_chunks {
        conn.execute_batch(&CREATE_CHUNK_TABLES.replace("CREATE TABLE IF NOT EXISTS", "CREATE TEMP TABLE"))
            .map_err(|e| Error::sqlite(&doing(), e))?;
    }
    let shim = if !found.has_table {
        CREATE_TABLES.replace("CREATE TABLE IF NOT EXISTS", "CREATE TEMP TABLE").replace(
            "CREATE INDEX IF NOT EXISTS idx_workflow_state_updated",
            "CREATE INDEX temp.idx_workflow_state_updated",
        )
    } else if !found.has_label {
        "CREATE TEMP VIEW workflow_state AS
         SELECT rowid AS rowid, *, NULL AS label FROM main.workflow_state"
            .to_string()
    } else {
        String::new()
    };
    conn.execute_batch(&shim).map_err(|e| Error::sqlite(&doing(), e))?;
    if !found.has_feed {
        // A file no library has numbered: each session reads as numbered by its rowid,
        // and nothing as deleted. The numbers are stable while the file is not written,
        // and the first writable store to open it numbers it for real.
        conn.execute_batch(
            "CREATE TEMP VIEW ws_change AS
                 SELECT rowid AS seq, flow_session_key, NULL AS deleted_at FROM workflow_state;
             CREATE TEMP VIEW ws_feed AS
                 SELECT 1 AS id, 604800 AS retention_s, 0 AS deletions, 0 AS forgotten_seq;",
        )
        .map_err(|e| Error::sqlite(&doing(), e))?;
    }
    Ok(())
}
