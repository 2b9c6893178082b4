//! Retention: `ws_prune_sessions` deletes the sessions last updated before a time. The
//! triggers of `schema.rs` delete each session's history, chunk references and undo
//! marks with its row and record the deletion in the change feed, as they do whoever
//! deletes. The deletions run in batches, each its own transaction holding the write
//! lock about [`BATCH_TARGET`], so that other writers, of this store or of another
//! process, get in between: a prune of 100,000 sessions never makes an autosave wait
//! for it.

use crate::error::{quote, Error, Result};
use crate::key::flow_key_range;
use crate::store::Store;
use rusqlite::{params, Row};
use std::time::{Duration, Instant};

/// How long one batch should hold the write lock. The batch size adapts to it: a
/// session with long stacks takes longer to delete than one without.
const BATCH_TARGET: Duration = Duration::from_millis(2);
const FIRST_BATCH: usize = 16;
const MAX_BATCH: usize = 4096;
/// The pause between batches, with no lock held: long enough that a writer waiting in
/// another process, which tries every `busy::POLL`, tries within it, and that a thread
/// waiting for this store's lock is woken and takes it. Neither can be told apart from
/// no writer at all, so every batch pauses: a prune is then about a third slower.
const BETWEEN_BATCHES: Duration = Duration::from_millis(1);

/// One batch of a flow's prune: the flow's keys in order, from where the last batch
/// stopped (?3), through the covering index's range, nothing sorted. Taking the oldest
/// first sorted all the flow's remaining sessions again in every batch (120 us a
/// session of 10,000, against 36 now).
const FLOW_BATCH: &str = "DELETE FROM workflow_state WHERE flow_session_key IN (
         SELECT flow_session_key FROM workflow_state
         WHERE flow_session_key > ?3 AND flow_session_key < ?4 AND updated_at < ?1
         ORDER BY flow_session_key LIMIT ?2)
     RETURNING flow_session_key";

/// One batch of a prune of every flow: the oldest first, by the index on updated_at,
/// where the sessions to delete are the first entries.
const EVERY_FLOW_BATCH: &str = "DELETE FROM workflow_state WHERE flow_session_key IN (
         SELECT flow_session_key FROM workflow_state WHERE updated_at < ?1 ORDER BY updated_at LIMIT ?2)
     RETURNING flow_session_key";

/// Checks a timestamp in the form the library and the Python package store
/// (`CURRENT_TIMESTAMP`, UTC): `YYYY-MM-DD HH:MM:SS`, whose text order is time order.
pub fn check_timestamp(name: &str, text: &str) -> Result<()> {
    let bytes = text.as_bytes();
    let number = |at: usize, len: usize| -> Option<u32> {
        let digits = bytes.get(at..at + len)?;
        digits
            .iter()
            .all(u8::is_ascii_digit)
            .then(|| digits.iter().fold(0, |n, d| n * 10 + u32::from(d - b'0')))
    };
    let fields = (|| {
        let separators = bytes.len() == 19
            && bytes[4] == b'-'
            && bytes[7] == b'-'
            && bytes[10] == b' '
            && bytes[13] == b':'
            && bytes[16] == b':';
        separators.then_some(())?;
        Some([number(0, 4)?, number(5, 2)?, number(8, 2)?, number(11, 2)?, number(14, 2)?, number(17, 2)?])
    })();
    match fields {
        Some([_, month, day, hour, minute, second])
            if (1..=12).contains(&month)
                && (1..=31).contains(&day)
                && hour < 24
                && minute < 60
                && second < 60 =>
        {
            Ok(())
        }
        _ => Err(Error::invalid_argument(format!(
            "{name} {} is not a timestamp \"YYYY-MM-DD HH:MM:SS\" (UTC, the form updated_at is stored in)",
            quote(text)
        ))),
    }
}

impl Store {
    /// Deletes the sessions of `flow_id` (every flow when `None`) whose `updated_at` is
    /// before `updated_before`, with their history; returns how many. Each batch is
    /// whole; when one fails, the batches before it stay deleted and the error says how
    /// many sessions they held.
    pub fn prune_sessions(&self, flow_id: Option<&str>, updated_before: &str) -> Result<usize> {
        check_timestamp("updated_before", updated_before)?;
        let range = flow_id.map(flow_key_range).transpose()?;
        let sql = if range.is_some() { FLOW_BATCH } else { EVERY_FLOW_BATCH };
        // `after`: where the flow's next batch starts (its keys are all above "flow:").
        let (mut after, high) = range.unwrap_or_default();
        let scope = || match flow_id {
            Some(flow) => format!("of flow {}", quote(flow)),
            None => "of every flow".to_string(),
        };
        let mut deleted = 0;
        let mut batch = FIRST_BATCH;
        loop {
            // How long the batch held the lock: from when the transaction began (after
            // any wait for another writer) to its last deletion.
            let mut held = Duration::ZERO;
            let doing =
                || format!("delete the sessions {} updated before {}", scope(), quote(updated_before));
            let keys = self
                .write(doing, |tx| {
                    let began = Instant::now();
                    let mut stmt = tx.prepare_cached(sql).map_err(|e| Error::sqlite(&doing(), e))?;
                    let limit = batch as i64;
                    let keys = if flow_id.is_some() {
                        stmt.query_map(params![updated_before, limit, after, high], deleted_key)
                    } else {
                        stmt.query_map(params![updated_before, limit], deleted_key)
                    }
                    .and_then(|rows| rows.collect::<rusqlite::Result<Vec<String>>>())
                    .map_err(|e| Error::sqlite(&doing(), e))?;
                    for key in &keys {
                        self.cache().remove(key);
                    }
                    held = began.elapsed();
                    Ok(keys)
                })
                .map_err(|e| {
                    if deleted == 0 {
                        return e;
                    }
                    let message =
                        format!("{} ({deleted} sessions were deleted before, in whole batches)", e.message);
                    Error::new(e.status, message)
                })?;
            deleted += keys.len();
            if keys.len() < batch {
                return Ok(deleted);
            }
            if let Some(last) = keys.iter().max() {
                after.clone_from(last);
            }
            std::thread::sleep(BETWEEN_BATCHES);
            if held < BATCH_TARGET / 2 {
                batch = (batch * 2).min(MAX_BATCH);
            } else if held > BATCH_TARGET * 2 {
                batch = (batch / 2).max(1);
            }
        }
    }
}

/// A deleted session's key, for evicting its cached state (a key that is not UTF-8,
/// which another program may have written, was never cached).
fn deleted_key(row: &Row) -> rusqlite::Result<String> {
    Ok(String::from_utf8_lossy(row.get_ref(0)?.as_bytes().unwrap_or_default()).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Options, Status, CHUNK_RULES};

    /// A flow's batches read its own range of keys in order, from where the last one
    /// stopped, and sort nothing.
    #[test]
    fn a_flows_batches_read_only_its_keys() {
        let path = crate::store::scratch_file("prune", "plan.db");
        let _store = Store::open(&path, Options::default()).unwrap();
        let conn = rusqlite::Connection::open(&path).unwrap();
        let plan: Vec<String> = conn
            .prepare(&format!("EXPLAIN QUERY PLAN {FLOW_BATCH}"))
            .unwrap()
            .query_map(params!["9", 10, "f:", "f;"], |row| row.get::<_, String>(3))
            .unwrap()
            .map(|r| r.unwrap())
            .collect();
        assert!(
            plan.iter().any(
                |step| step.contains("INDEX ws_session_list (flow_session_key>? AND flow_session_key<?)")
            ),
            "{plan:?}"
        );
        assert!(!plan.iter().any(|step| step.contains("TEMP B-TREE")), "{plan:?}");
    }

    #[test]
    fn only_well_formed_timestamps_are_taken() {
        for good in ["2026-12-02 15:04:05", "1970-01-01 00:00:00", "9999-12-31 23:59:59"] {
            check_timestamp("t", good).unwrap();
        }
        for bad in [
            "",
            "2026-12-02",
            "2026-12-02T15:04:05",
            "2026-12-02 15:04:05.123",
            "2026-13-02 15:04:05",
            "2026-12-00 15:04:05",
            "2026-12-02 24:00:00",
            "2026-12-02 15:60:05",
            "2026-12-02 15:04:60",
            "2026-1a-02 15:04:05",
            " 2026-12-02 15:04:0",
            "２026-12-02 15:04:05",
        ] {
            let err = check_timestamp("updated_before", bad).unwrap_err();
            assert_eq!(err.status, Status::InvalidArgument, "{bad:?}");
            assert!(err.message.starts_with("updated_before \""), "{}", err.message);
        }
    }

    /// Sessions of two flows, each updated at a known time (set as the Python package
    /// might), some with undo entries whose states are large enough to be chunked.
    fn store_with_sessions(path: &str) -> Store {
        let store = Store::open(path, Options::default()).unwrap();
        let big = format!(r#"{{"text":"{}"}}"#, "lorem ipsum ".repeat(8000));
        for flow in ["a", "b"] {
            for i in 0..300 {
                let session = format!("s{i:03}");
                store.update_state(flow, &session, &format!(r#"{{"i":{i}}}"#)).unwrap();
                if i % 50 == 0 {
                    store.update_state(flow, &session, &big).unwrap();
                    store.checkpoint(flow, &session, Some("big")).unwrap();
                    store.update_state(flow, &session, r#"{"after":true}"#).unwrap();
                }
            }
        }
        let conn = rusqlite::Connection::open(path).unwrap();
        // Session i of each flow was last updated i minutes after 10:00.
        conn.execute(
            "UPDATE workflow_state SET updated_at =
                 strftime('%Y-%m-%d %H:%M:%S', '2026-01-01 10:00:00',
                          '+' || CAST(substr(flow_session_key, 4) AS INTEGER) || ' minutes')",
            [],
        )
        .unwrap();
        store
    }

    fn count(path: &str, sql: &str) -> i64 {
        rusqlite::Connection::open(path).unwrap().query_row(sql, [], |row| row.get(0)).unwrap()
    }

    #[test]
    fn prunes_the_sessions_of_a_flow_updated_before_the_time_with_their_history() {
        let path = crate::store::scratch_file("prune", "flow.db");
        let store = store_with_sessions(&path);
        let latest = store.latest_seq().unwrap();
        // 10:00 + 250 minutes is 14:10: sessions 0..249 of flow "a" go.
        assert_eq!(store.prune_sessions(Some("a"), "2026-01-01 14:10:00").unwrap(), 250);
        assert!(!store.session_exists("a", "s249").unwrap());
        assert!(store.session_exists("a", "s250").unwrap());
        assert_eq!(count(&path, "SELECT count(*) FROM workflow_state WHERE flow_session_key LIKE 'a:%'"), 50);
        assert_eq!(
            count(&path, "SELECT count(*) FROM workflow_state WHERE flow_session_key LIKE 'b:%'"),
            300
        );
        assert_eq!(count(&path, "SELECT count(*) FROM ws_history WHERE flow_session_key LIKE 'a:%'"), 1);
        for (rule, sql) in CHUNK_RULES {
            assert_eq!(count(&path, sql), 0, "{rule}");
        }
        // Every deletion is in the feed, each with its own number.
        let feed: serde_json::Value =
            serde_json::from_str(&store.changes_since(Some("a"), latest, 1000).unwrap()).unwrap();
        let changes = feed["changes"].as_array().unwrap();
        assert_eq!(changes.len(), 250, "{feed}");
        assert!(changes.iter().all(|c| c["deleted"] == true), "{feed}");
        // Nothing left to prune: none deleted, no number taken.
        let latest = store.latest_seq().unwrap();
        assert_eq!(store.prune_sessions(Some("a"), "2026-01-01 14:10:00").unwrap(), 0);
        assert_eq!(store.latest_seq().unwrap(), latest);
    }

    #[test]
    fn prunes_every_flow_without_a_flow_id() {
        let path = crate::store::scratch_file("prune", "every.db");
        let store = store_with_sessions(&path);
        assert_eq!(store.prune_sessions(None, "2026-01-01 10:05:00").unwrap(), 10);
        assert_eq!(count(&path, "SELECT count(*) FROM workflow_state"), 590);
        assert_eq!(store.prune_sessions(None, "2030-01-01 00:00:00").unwrap(), 590);
        assert_eq!(count(&path, "SELECT count(*) FROM ws_history"), 0);
        assert_eq!(count(&path, "SELECT count(*) FROM ws_chunk"), 0);
        assert_eq!(count(&path, "SELECT count(*) FROM ws_undo"), 0);
    }

    #[test]
    fn bad_arguments_are_refused_and_delete_nothing() {
        let path = crate::store::scratch_file("prune", "bad.db");
        let store = store_with_sessions(&path);
        let latest = store.latest_seq().unwrap();
        let err = store.prune_sessions(Some("a:b"), "2030-01-01 00:00:00").unwrap_err();
        assert_eq!(
            (err.status, err.message.as_str()),
            (Status::InvalidArgument, "flow_id \"a:b\" must not contain ':'")
        );
        let err = store.prune_sessions(Some("a"), "yesterday").unwrap_err();
        assert_eq!(err.status, Status::InvalidArgument);
        assert_eq!(store.latest_seq().unwrap(), latest);
        assert_eq!(count(&path, "SELECT count(*) FROM workflow_state"), 600);
    }
}
