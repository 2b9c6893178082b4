//! The change sequence and the change feed: every committed change of a session takes
//! the next number of one sequence per database, and its revision is the number of its
//! latest change. The numbers are kept by the triggers of `schema.rs` (so the Python
//! package's writes count too); this module reads them, numbers the changes that only
//! touch a session's stacks (which live in the library's own table), lists changes and
//! waits for them.

use crate::error::{quote, Error, Result};
use crate::json;
use crate::key::{flow_key_range, session_key};
use crate::store::{execute, query_row, Store};
use crate::stored;
use rusqlite::Connection;
use std::fmt::Write;
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

/// `ws_changes_since`'s page size when the caller asks for 0.
pub(crate) const DEFAULT_LIMIT: usize = 1000;
/// The largest page `ws_changes_since` returns.
pub(crate) const MAX_LIMIT: usize = 100_000;
/// How often a waiter looks at the file for other processes' commits: well inside the
/// 50 ms the contract allows, and a few microseconds of the store's time each.
const POLL: Duration = Duration::from_millis(5);

/// The latest number of the sequence; 0 for a database never changed.
pub(crate) fn latest(conn: &Connection) -> Result<i64> {
    query_row(
        conn,
        crate::schema::SELECT_LATEST_SEQ,
        [],
        |row| row.get(0),
        || "read the latest change number".to_string(),
    )
    .map(Option::unwrap_or_default)
}

/// The session's revision; 0 when it does not exist.
pub(crate) fn revision(conn: &Connection, key: &str, owner: impl Fn() -> String) -> Result<i64> {
    query_row(
        conn,
        "SELECT seq FROM ws_change WHERE flow_session_key = ?1 AND deleted_at IS NULL",
        [key],
        |row| row.get(0),
        || format!("read the revision of {}", owner()),
    )
    .map(Option::unwrap_or_default)
}

/// Gives the session the next number for a call that changed only its stacks (history,
/// undo, redo), which no trigger sees. `since` is the latest number when the call
/// began: a call whose row write was already numbered by the triggers takes no second
/// number, so every call that changes a session takes exactly one. A session without a
/// row is not numbered (its stacks go with a row that does not exist). Returns the
/// session's revision afterwards (0 without a row).
pub(crate) fn stacks_changed(
    conn: &Connection,
    key: &str,
    since: i64,
    owner: impl Fn() -> String,
) -> Result<i64> {
    let numbered = revision(conn, key, &owner)?;
    if numbered > 0 && numbered <= since {
        let doing = || format!("number the change of {}", owner());
        let [insert, drop_older] = crate::schema::NUMBER_SESSION;
        execute(conn, insert, [key], doing)?;
        // The new number is the row's seq (INTEGER PRIMARY KEY); no trigger inserts on
        // an insert without deleted_at.
        let seq = conn.last_insert_rowid();
        execute(conn, drop_older, [key], doing)?;
        return Ok(seq);
    }
    Ok(numbered)
}

/// Sets how long the file remembers deletions, when a store is opened with the option.
pub(crate) fn set_retention(conn: &Connection, seconds: u64, path: &str) -> Result<()> {
    execute(conn, "UPDATE ws_feed SET retention_s = ?1 WHERE retention_s IS NOT ?1", [seconds as i64], || {
        format!("set change_retention_s on {path:?}")
    })
    .map(drop)
}

/// Wakes the threads waiting in `wait_for_change` when this store commits, so that they
/// need not poll for it; other processes' commits are found by polling. A commit with
/// no thread waiting wakes none: `notify_all` is a system call even then (a futex wake
/// on every write), as in `gate.rs`.
#[derive(Default)]
pub(crate) struct Commits {
    state: Mutex<CommitCount>,
    committed: Condvar,
}

#[derive(Default)]
struct CommitCount {
    count: u64,
    waiting: usize,
}

impl Commits {
    pub fn notify(&self) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state.count += 1;
        if state.waiting > 0 {
            self.committed.notify_all();
        }
    }

    fn count(&self) -> u64 {
        self.state.lock().unwrap_or_else(|e| e.into_inner()).count
    }

    /// Waits at most `timeout` for a commit after the `seen`th.
    fn wait(&self, seen: u64, timeout: Duration) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state.waiting += 1;
        let (mut state, _) = self
            .committed
            .wait_timeout_while(state, timeout, |state| state.count == seen)
            .unwrap_or_else(|e| e.into_inner());
        state.waiting -= 1;
    }
}

fn check_after(after_seq: i64) -> Result<()> {
    if after_seq < 0 {
        return Err(Error::invalid_argument(format!(
            "after_seq {after_seq} is negative; change numbers start at 1 (pass 0 for every change)"
        )));
    }
    Ok(())
}

impl Store {
    /// The latest number of the change sequence; 0 for a database never changed.
    pub fn latest_seq(&self) -> Result<i64> {
        self.read(|conn| latest(conn))
    }

    /// The session's revision: the number of its latest change; 0 when it does not exist.
    pub fn get_revision(&self, flow_id: &str, session_id: &str) -> Result<i64> {
        let key = session_key(flow_id, session_id)?;
        self.read(|conn| revision(conn, &key, || crate::key::describe(flow_id, session_id)))
    }

    /// The sessions (of `flow_id`, or of every flow) whose latest change is after
    /// `after_seq`, in sequence order, deletions included, as the JSON page of
    /// `ws_changes_since`.
    pub fn changes_since(&self, flow_id: Option<&str>, after_seq: i64, limit: usize) -> Result<String> {
        check_after(after_seq)?;
        let range = flow_id.map(flow_key_range).transpose()?;
        let limit = match limit {
            0 => DEFAULT_LIMIT,
            n if n > MAX_LIMIT => {
                return Err(Error::invalid_argument(format!(
                    "limit {n} is more than the {MAX_LIMIT} changes a page may hold (0 gives {DEFAULT_LIMIT})"
                )))
            }
            n => n,
        };
        let doing = || match flow_id {
            Some(flow_id) => format!("list the changes of flow {} after {after_seq}", quote(flow_id)),
            None => format!("list the changes after {after_seq}"),
        };
        self.read_snapshot(|conn| {
            let forgotten =
                query_row(conn, "SELECT forgotten_seq FROM ws_feed", [], |row| row.get(0), doing)?
                    .unwrap_or(0i64);
            let latest = latest(conn)?;
            // Every flow, or one flow's key range; either way the scan follows seq. No
            // LIMIT: the loop stops reading after one row past the page, and SQLite
            // re-prepares a statement whose bound LIMIT or `?3 IS NULL` test changes
            // (most of a page's time went to its parser).
            let all = "SELECT seq, flow_session_key, deleted_at IS NOT NULL FROM ws_change
                       WHERE seq > ?1 ORDER BY seq";
            let one_flow = "SELECT seq, flow_session_key, deleted_at IS NOT NULL FROM ws_change
                            WHERE seq > ?1 AND flow_session_key >= ?2 AND flow_session_key < ?3 ORDER BY seq";
            let mut out = String::from("{\"changes\":[");
            let mut listed = 0;
            let mut last = after_seq;
            let mut more = false;
            conn.prepare_cached(if range.is_some() { one_flow } else { all })
                .and_then(|mut stmt| {
                    let mut rows = match &range {
                        Some((low, high)) => stmt.query(rusqlite::params![after_seq, low, high])?,
                        None => stmt.query([after_seq])?,
                    };
                    while let Some(row) = rows.next()? {
                        if listed == limit {
                            more = true;
                            break;
                        }
                        let seq: i64 = row.get(0)?;
                        let key = stored::column(row, 1, || format!("the key of change {seq}"))?
                            .unwrap_or_default();
                        let (flow, session) = key.split_once(':').unwrap_or((&key, ""));
                        if listed > 0 {
                            out.push(',');
                        }
                        // Numbers go straight into the page: a page of 1,000 allocates none.
                        let _ = write!(out, "{{\"seq\":{seq}");
                        out.push_str(",\"flow_id\":");
                        json::push_string(&mut out, flow);
                        out.push_str(",\"session_id\":");
                        json::push_string(&mut out, session);
                        let _ = write!(out, ",\"revision\":{seq}");
                        out.push_str(",\"deleted\":");
                        out.push_str(if row.get::<_, bool>(2)? { "true" } else { "false" });
                        out.push('}');
                        listed += 1;
                        last = seq;
                    }
                    Ok(())
                })
                .map_err(|e| Error::sqlite(&doing(), e))?;
            // Nothing more to list: the follower continues from the top, also when the
            // newest changes were other flows'.
            if !more {
                last = last.max(latest);
            }
            out.push_str("],\"last_seq\":");
            out.push_str(&last.to_string());
            out.push_str(",\"more\":");
            out.push_str(if more { "true" } else { "false" });
            out.push_str(",\"reset\":");
            out.push_str(if after_seq < forgotten { "true" } else { "false" });
            out.push('}');
            Ok(out)
        })
    }

    /// Waits until the latest change number is beyond `after_seq` or `timeout` passes
    /// (`None`: no limit), and returns the latest number. The store is taken only for
    /// each look at the file, so other threads' calls go on while one waits.
    pub fn wait_for_change(&self, after_seq: i64, timeout: Option<Duration>) -> Result<i64> {
        check_after(after_seq)?;
        let deadline = timeout.map(|t| Instant::now() + t);
        loop {
            let seen = self.commits().count();
            let latest = self.latest_seq()?;
            let left = match deadline {
                None => POLL,
                Some(deadline) => deadline.saturating_duration_since(Instant::now()),
            };
            if latest > after_seq || left.is_zero() {
                return Ok(latest);
            }
            self.commits().wait(seen, left.min(POLL));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Options, Status};

    fn scratch(name: &str) -> String {
        crate::store::scratch_file("feed", name)
    }

    #[test]
    fn each_change_takes_one_number_and_a_no_op_takes_none() {
        let store = Store::open(crate::MEMORY_PATH, Options::default()).unwrap();
        assert_eq!(store.latest_seq().unwrap(), 0);
        store.update_state("f", "a", r#"{"x":1}"#).unwrap();
        assert_eq!(store.get_revision("f", "a").unwrap(), 1);
        store.update_state("f", "a", r#"{"x":1}"#).unwrap();
        store.set_session_label("f", "a", None).unwrap();
        assert_eq!(store.latest_seq().unwrap(), 1, "calls that change nothing take no number");
        store.checkpoint("f", "a", Some("c")).unwrap();
        assert_eq!(store.get_revision("f", "a").unwrap(), 2);
        store.update_state("f", "a", r#"{"x":2}"#).unwrap();
        assert!(store.undo("f", "a").unwrap());
        assert_eq!(store.get_revision("f", "a").unwrap(), 4);
        assert!(!store.undo("f", "a").unwrap());
        assert_eq!(store.latest_seq().unwrap(), 4);
        store.delete_session("f", "a").unwrap();
        assert_eq!(store.get_revision("f", "a").unwrap(), 0);
        assert_eq!(store.latest_seq().unwrap(), 5);
        store.history_push("f", "a", "1").unwrap();
        assert_eq!(store.get_revision("f", "a").unwrap(), 6, "a re-created session never reuses a number");
    }

    #[test]
    fn the_feed_folds_each_session_to_its_latest_change_and_pages() {
        let store = Store::open(crate::MEMORY_PATH, Options::default()).unwrap();
        for (flow, session, x) in [("f", "a", 1), ("g", "b", 1), ("f", "c", 1), ("f", "a", 2)] {
            store.update_state(flow, session, &format!(r#"{{"x":{x}}}"#)).unwrap();
        }
        store.delete_session("f", "c").unwrap();
        let all = store.changes_since(None, 0, 0).unwrap();
        assert_eq!(
            all,
            r#"{"changes":[{"seq":2,"flow_id":"g","session_id":"b","revision":2,"deleted":false},{"seq":4,"flow_id":"f","session_id":"a","revision":4,"deleted":false},{"seq":5,"flow_id":"f","session_id":"c","revision":5,"deleted":true}],"last_seq":5,"more":false,"reset":false}"#
        );
        let page = store.changes_since(Some("f"), 0, 1).unwrap();
        assert!(
            page.contains(r#""session_id":"a""#)
                && page.ends_with(r#""last_seq":4,"more":true,"reset":false}"#),
            "{page}"
        );
        let rest = store.changes_since(Some("f"), 4, 1).unwrap();
        assert!(
            rest.contains(r#""deleted":true"#)
                && rest.ends_with(r#""last_seq":5,"more":false,"reset":false}"#),
            "{rest}"
        );
        let none = store.changes_since(Some("g"), 2, 10).unwrap();
        assert_eq!(none, r#"{"changes":[],"last_seq":5,"more":false,"reset":false}"#);
        assert_eq!(store.changes_since(None, -1, 0).unwrap_err().status, Status::InvalidArgument);
        assert_eq!(store.changes_since(None, 0, MAX_LIMIT + 1).unwrap_err().status, Status::InvalidArgument);
    }

    #[test]
    fn a_waiter_wakes_on_another_stores_commit_and_times_out_otherwise() {
        let path = scratch("wait.db");
        let waiter = Store::open(&path, Options::default()).unwrap();
        let latest = waiter.latest_seq().unwrap();
        assert_eq!(waiter.wait_for_change(latest, Some(Duration::ZERO)).unwrap(), latest);
        let writer_path = path.clone();
        let writer = std::thread::spawn(move || {
            let writer = Store::open(&writer_path, Options::default()).unwrap();
            writer.update_state("f", "a", r#"{"x":1}"#).unwrap();
        });
        // No limit: the test fails by hanging (the suite's timeout) if the commit is missed.
        assert!(waiter.wait_for_change(latest, None).unwrap() > latest);
        writer.join().unwrap();
    }

    /// Another program's UPDATE of a row's key (with its state, in one statement) is the
    /// old session's deletion and the new one's change: two numbers, in that order, also
    /// onto a key whose deletion was remembered; an UPDATE that writes the same key and
    /// values takes none.
    #[test]
    fn a_key_change_by_another_program_deletes_the_old_session_and_numbers_the_new() {
        let store = Store::open(crate::MEMORY_PATH, Options::default()).unwrap();
        store.update_state("f", "old", r#"{"x":1}"#).unwrap();
        store.update_state("f", "new", r#"{"x":1}"#).unwrap();
        store.delete_session("f", "new").unwrap();
        assert_eq!(store.latest_seq().unwrap(), 3);
        let other = |sql: &str| store.write(|| "rename".into(), |tx| execute(tx, sql, [], || sql.into()));
        other("UPDATE workflow_state SET flow_session_key = 'f:new', state_json = '{\"x\":2}' WHERE flow_session_key = 'f:old'")
            .unwrap();
        assert_eq!(
            store.changes_since(Some("f"), 3, 0).unwrap(),
            r#"{"changes":[{"seq":4,"flow_id":"f","session_id":"old","revision":4,"deleted":true},{"seq":5,"flow_id":"f","session_id":"new","revision":5,"deleted":false}],"last_seq":5,"more":false,"reset":false}"#
        );
        assert_eq!(rows(&store, "SELECT count(*) FROM ws_change"), 2);
        other("UPDATE workflow_state SET flow_session_key = flow_session_key, state_json = state_json")
            .unwrap();
        assert_eq!(store.latest_seq().unwrap(), 5);
    }

    fn rows(store: &Store, sql: &str) -> i64 {
        store.read(|conn| Ok(conn.query_row(sql, [], |row| row.get(0)).unwrap())).unwrap()
    }

    /// The feed's bookkeeping is a row per live session plus one per remembered
    /// deletion, whatever the number of changes; past the newest 10,000 deletions, those
    /// older than the retention are forgotten, and a follower from before them is told
    /// to reload.
    #[test]
    fn space_follows_the_sessions_not_the_changes_and_old_deletions_are_forgotten() {
        let store =
            Store::open(crate::MEMORY_PATH, Options { change_retention_s: Some(60), ..Options::default() })
                .unwrap();
        for i in 0..3000 {
            store.update_state("f", &format!("s{}", i % 3), &format!(r#"{{"i":{i}}}"#)).unwrap();
        }
        assert_eq!(store.latest_seq().unwrap(), 3000);
        assert_eq!(rows(&store, "SELECT count(*) FROM ws_change"), 3);
        for i in 0..10_005 {
            store.create_session("d", Some(&i.to_string()), None).unwrap();
            store.delete_session("d", &i.to_string()).unwrap();
        }
        assert_eq!(
            rows(&store, "SELECT count(*) FROM ws_change"),
            3 + 10_005,
            "all are younger than a minute"
        );
        assert!(store.changes_since(None, 0, 1).unwrap().ends_with(r#""reset":false}"#));
        // Age every deletion by two minutes, as if they had happened then.
        store
            .write(
                || "age".into(),
                |tx| {
                    execute(
                        tx,
                        "UPDATE ws_change SET deleted_at = deleted_at - 120 WHERE deleted_at IS NOT NULL",
                        [],
                        || "age".into(),
                    )
                },
            )
            .unwrap();
        store.create_session("d", Some("last"), None).unwrap();
        store.delete_session("d", "last").unwrap();
        assert_eq!(rows(&store, "SELECT count(*) FROM ws_change WHERE deleted_at IS NOT NULL"), 10_000);
        assert_eq!(rows(&store, "SELECT deletions FROM ws_feed"), 10_000);
        let forgotten = rows(&store, "SELECT forgotten_seq FROM ws_feed");
        let oldest_kept = rows(&store, "SELECT min(seq) FROM ws_change WHERE deleted_at IS NOT NULL");
        assert!(forgotten > 3000 && forgotten < oldest_kept, "{forgotten} {oldest_kept}");
        assert!(store.changes_since(None, 3000, 1).unwrap().ends_with(r#""reset":true}"#));
        assert!(store.changes_since(None, forgotten, 1).unwrap().ends_with(r#""reset":false}"#));
    }

    /// A read-only store on a file no library has numbered (the Python package's own)
    /// reads every session as numbered, and nothing as deleted.
    #[test]
    fn a_read_only_store_reads_a_file_without_the_sequence() {
        let path = scratch("python-only.db");
        {
            let conn = Connection::open(&path).unwrap();
            conn.execute_batch(
                "CREATE TABLE workflow_state (flow_session_key TEXT PRIMARY KEY, current_step TEXT,
                     state_json TEXT DEFAULT '{}', created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
                     updated_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP, label TEXT);
                 INSERT INTO workflow_state (flow_session_key, state_json) VALUES ('f:a', '{\"x\": 1}'), ('f:b', '{}');",
            )
            .unwrap();
        }
        let store = Store::open(&path, Options { read_only: true, ..Options::default() }).unwrap();
        assert_eq!(store.latest_seq().unwrap(), 2);
        assert_eq!(store.get_revision("f", "b").unwrap(), 2);
        assert!(store.get_session("f", "a").unwrap().unwrap().contains(r#""state":{"x":1},"revision":1"#));
        let page = store.changes_since(Some("f"), 0, 0).unwrap();
        assert!(
            page.starts_with(
                r#"{"changes":[{"seq":1,"flow_id":"f","session_id":"a","revision":1,"deleted":false}"#
            ),
            "{page}"
        );
        assert_eq!(store.wait_for_change(2, Some(Duration::ZERO)).unwrap(), 2);
    }

    /// A file of version 3 (0.1) is numbered in place at open: every session takes a
    /// revision, in the order of its last update, and 0.1's millisecond timestamps still
    /// sort, and turn whole-second at the session's next change.
    #[test]
    fn a_version_3_file_is_numbered_at_open() {
        let path = scratch("v3.db");
        {
            let store = Store::open(&path, Options::default()).unwrap();
            store.update_state("f", "new", "{}").unwrap();
            store.update_state("f", "old", "{}").unwrap();
            store.checkpoint("f", "old", None).unwrap();
        }
        {
            // Back to what 0.1 left: no sequence, and its timestamps.
            let conn = Connection::open(&path).unwrap();
            conn.execute_batch(
                "DROP TRIGGER ws_change_session_inserted; DROP TRIGGER ws_change_session_updated;
                 DROP TRIGGER ws_change_session_renamed; DROP TRIGGER ws_change_session_deleted; DROP TABLE ws_change; DROP TABLE ws_feed;
                 PRAGMA user_version = 3;
                 UPDATE workflow_state SET created_at = '2025-01-01 10:00:00.500', updated_at = '2025-01-01 10:00:00.500' WHERE flow_session_key = 'f:old';
                 UPDATE workflow_state SET created_at = '2025-01-01 10:00:00.250', updated_at = '2025-01-01 10:00:00.900' WHERE flow_session_key = 'f:new';",
            )
            .unwrap();
        }
        let store = Store::open(&path, Options::default()).unwrap();
        assert_eq!(
            (store.get_revision("f", "old").unwrap(), store.get_revision("f", "new").unwrap()),
            (1, 2)
        );
        assert_eq!(store.latest_seq().unwrap(), 2);
        let list = store.list_sessions("f", crate::Order::UpdatedAt, false).unwrap();
        assert!(list.find("\"old\"").unwrap() < list.find("\"new\"").unwrap(), "{list}");
        store.update_state("f", "old", r#"{"a":1}"#).unwrap();
        let summary = store.get_session_summary("f", "old").unwrap().unwrap();
        assert!(summary.contains(r#""created_at":"2025-01-01 10:00:00","#), "{summary}");
        assert_eq!(store.get_revision("f", "old").unwrap(), 3);
        assert!(store.undo("f", "old").unwrap(), "0.1's undo stack is still there");
    }

    /// A session that holds the latest number takes a new one at each change, by a row
    /// write, a change of its stacks only, its deletion or its creation again: no number
    /// is given twice, and one row of the key is left.
    #[test]
    fn the_session_with_the_latest_number_takes_a_new_one_at_each_change() {
        let store = Store::open(crate::MEMORY_PATH, Options::default()).unwrap();
        let mut expected = 0;
        let mut changed = |what: &str, revision: Option<i64>| {
            expected += 1;
            assert_eq!(store.latest_seq().unwrap(), expected, "after {what}");
            assert_eq!(store.get_revision("f", "a").unwrap(), revision.unwrap_or(expected), "after {what}");
            assert_eq!(rows(&store, "SELECT count(*) FROM ws_change WHERE flow_session_key = 'f:a'"), 1);
        };
        store.update_state("f", "a", r#"{"x":1}"#).unwrap();
        changed("a creation", None);
        store.update_state("f", "a", r#"{"x":2}"#).unwrap();
        changed("an update", None);
        store.history_push("f", "a", r#"{"snapshot":1}"#).unwrap();
        changed("a history push", None);
        store.delete_session("f", "a").unwrap();
        changed("a deletion", Some(0));
        store.update_state("f", "a", r#"{"x":3}"#).unwrap();
        changed("a creation again", None);
        assert_eq!(rows(&store, "SELECT deletions FROM ws_feed"), 0);
    }

    /// Schema 6 numbered by AUTOINCREMENT. Opening such a file keeps every session's
    /// revision and the sequence goes on after the counter: past the rows' numbers, the
    /// counter's are recorded as forgotten (a follower from before them reloads), and
    /// none is given again.
    #[test]
    fn a_version_6_file_keeps_every_number_and_goes_on_after_its_counter() {
        for counter in [5, 9] {
            let path = scratch(&format!("v6-{counter}.db"));
            {
                let store = Store::open(&path, Options::default()).unwrap();
                store.update_state("f", "a", "{}").unwrap();
                store.update_state("f", "b", "{}").unwrap();
                store.update_state("f", "gone", "{}").unwrap();
                store.delete_session("f", "gone").unwrap();
                store.update_state("f", "a", r#"{"x":1}"#).unwrap();
            }
            {
                // Back to schema 6's table, its counter at `counter`.
                let conn = Connection::open(&path).unwrap();
                conn.execute_batch(&format!(
                    "DROP TRIGGER ws_change_session_inserted; DROP TRIGGER ws_change_session_updated;
                     DROP TRIGGER ws_change_session_renamed; DROP TRIGGER ws_change_session_deleted;
                     CREATE TABLE six (seq INTEGER PRIMARY KEY AUTOINCREMENT,
                         flow_session_key TEXT NOT NULL UNIQUE, deleted_at INTEGER);
                     INSERT INTO six SELECT seq, flow_session_key, deleted_at FROM ws_change;
                     DROP TABLE ws_change; ALTER TABLE six RENAME TO ws_change;
                     CREATE INDEX ws_change_deletions ON ws_change (deleted_at) WHERE deleted_at IS NOT NULL;
                     UPDATE sqlite_sequence SET seq = {counter} WHERE name = 'ws_change';
                     PRAGMA user_version = 6;"
                ))
                .unwrap();
            }
            let store = Store::open(&path, Options::default()).unwrap();
            assert_eq!(
                (store.get_revision("f", "a").unwrap(), store.get_revision("f", "b").unwrap()),
                (5, 2)
            );
            assert_eq!(store.latest_seq().unwrap(), counter);
            assert_eq!(rows(&store, "SELECT deletions FROM ws_feed"), 1);
            assert_eq!(rows(&store, "SELECT count(*) FROM sqlite_sequence WHERE name = 'ws_change'"), 0);
            assert_eq!(rows(&store, "PRAGMA user_version"), crate::schema::SCHEMA_VERSION);
            let before = store.changes_since(Some("f"), 1, 0).unwrap();
            store.update_state("f", "b", r#"{"x":1}"#).unwrap();
            assert_eq!(store.get_revision("f", "b").unwrap(), counter + 1);
            let after = store.changes_since(Some("f"), counter, 0).unwrap();
            assert!(
                after.contains(&format!(r#"{{"seq":{},"flow_id":"f","session_id":"b""#, counter + 1)),
                "{after}"
            );
            if counter == 5 {
                assert!(before.contains(r#""session_id":"gone","revision":4,"deleted":true"#), "{before}");
                assert!(before.ends_with(r#""last_seq":5,"more":false,"reset":false}"#), "{before}");
            } else {
                assert!(before.contains(r#""reset":true"#), "{before}");
                assert!(after.ends_with(r#""reset":false}"#), "{after}");
            }
        }
    }
}
