//! Copying a session: a new session of the same flow with another's label, current step
//! and state, and, when asked, its history, undo and redo stacks and clean mark (a
//! template, a "save as", a branch to try something on).
//!
//! The copy is a new row, so it has a revision and timestamps of its own; the source is
//! only read. Copied entries are the same rows under the new key: a chunked snapshot's
//! `chunks` list names the same `ws_chunk` rows, whose references the insert trigger of
//! `ws_history` adds (`schema.rs`), so a large history is shared, not duplicated.

use crate::error::{Error, Result, Status};
use crate::feed;
use crate::key::{check_flow_id, check_id, describe, session_key};
use crate::store::{execute, query_row, Store, NOW};
use crate::undo;
use rusqlite::params;

impl Store {
    /// Copies session `from_session_id` of `flow_id` to the new session `to_session_id`
    /// of the same flow: the same label, current step and state text (byte for byte),
    /// `created_at` and `updated_at` now, a revision of its own. With `with_history`,
    /// also every entry of its history, undo and redo stacks and its clean mark, so that
    /// undo and redo on the copy go through the same states; the copy starts no merge
    /// run. One transaction, which takes one number of the change sequence (the copy's).
    /// `WS_NOT_FOUND` when the source does not exist, `WS_ALREADY_EXISTS` when the target
    /// does (also when they are the same session); a failed call changes nothing.
    pub fn copy_session(
        &self,
        flow_id: &str,
        from_session_id: &str,
        to_session_id: &str,
        with_history: bool,
    ) -> Result<()> {
        // Each id checked under its own name, before `session_key` checks them again.
        check_flow_id(flow_id)?;
        check_id("from_session_id", from_session_id)?;
        check_id("to_session_id", to_session_id)?;
        let from = session_key(flow_id, from_session_id)?;
        let to = session_key(flow_id, to_session_id)?;
        let source = || describe(flow_id, from_session_id);
        let target = || describe(flow_id, to_session_id);
        let doing = || format!("copy {} to {}", source(), target());
        let copy_row = format!(
            "INSERT INTO workflow_state (flow_session_key, current_step, state_json, created_at, updated_at, label)
             SELECT ?2, current_step, state_json, {NOW}, {NOW}, label FROM workflow_state WHERE flow_session_key = ?1
             ON CONFLICT (flow_session_key) DO NOTHING"
        );
        self.write(doing, |tx| {
            if execute(tx, &copy_row, params![from, to], doing)? == 0 {
                return Err(refusal(tx, &from, source(), target())?);
            }
            // Entries or marks under the new key that outlived a row deleted without the
            // library's triggers belong to no session: they must not become the copy's.
            execute(tx, "DELETE FROM ws_history WHERE flow_session_key = ?1", [&to], doing)?;
            execute(tx, "DELETE FROM ws_undo WHERE flow_session_key = ?1", [&to], doing)?;
            if with_history {
                copy_history(tx, &from, &to, target(), doing)?;
            }
            Ok(())
        })?;
        // What the store remembers of the source's texts holds for the copy's, which are
        // the same bytes (both caches compare texts, so this is never wrong): the copy's
        // first read or checkpoint of a large state needs no scan and no fresh cut.
        let mut states = self.cache();
        if let Some(object) = states.get(&from) {
            states.put(&to, object);
        }
        drop(states);
        let mut cuts = self.chunk_cache();
        if let Some(chunked) = cuts.get(&from) {
            cuts.put(&to, chunked);
        }
        Ok(())
    }
}

/// Why the copy's row was not inserted: the source does not exist, or the target does.
fn refusal(tx: &rusqlite::Connection, from: &str, source: String, target: String) -> Result<Error> {
    let found = query_row(
        tx,
        "SELECT 1 FROM workflow_state WHERE flow_session_key = ?1",
        [from],
        |_| Ok(()),
        || format!("look up {source}"),
    )?;
    Ok(match found {
        None => Error::new(Status::NotFound, format!("{source} does not exist: there is nothing to copy")),
        Some(()) => Error::new(
            Status::AlreadyExists,
            format!("{target} already exists: delete it first or copy to another session id"),
        ),
    })
}

/// Copies every stack entry of `from` to `to` (chunks shared, merge keys left out: a copy
/// starts no merge run) and its undo marks, as of the copy's revision.
fn copy_history(
    tx: &rusqlite::Connection,
    from: &str,
    to: &str,
    target: String,
    doing: impl Fn() -> String,
) -> Result<()> {
    execute(
        tx,
        "INSERT INTO ws_history
             (flow_session_key, stack, seq, label, current_step, snapshot, chunks, meta, made_ms, merge_key, version)
         SELECT ?2, stack, seq, label, current_step, snapshot, chunks, meta, made_ms, NULL, version
         FROM ws_history WHERE flow_session_key = ?1",
        params![from, to],
        &doing,
    )?;
    // The copy's present state is the source's present state: the same version, as of
    // the copy's own revision, and the same clean mark.
    let source_revision = feed::revision(tx, from, &doing)?;
    let marks = undo::undo_row(tx, from)?;
    let present = undo::present_of(marks, source_revision);
    let clean = marks.and_then(|(_, _, clean)| clean);
    let revision = feed::revision(tx, to, || target.clone())?;
    execute(
        tx,
        "INSERT INTO ws_undo (flow_session_key, present_revision, present_version, clean_version)
         VALUES (?1, ?2, ?3, ?4)",
        params![to, revision, present, clean],
        doing,
    )
    .map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chunks::{ChunkSizes, CHUNK_RULES};
    use crate::{Clock, Options, Travel};
    use rusqlite::Connection;
    use std::sync::atomic::{AtomicI64, Ordering};
    use std::sync::Arc;

    /// A store on a fresh file, whose checkpoints read the time from the returned cell,
    /// and a second connection to the file (the same SQLite), for what the API hides.
    fn open(name: &str, options: Options) -> (Store, Connection, Arc<AtomicI64>) {
        let path = crate::store::scratch_file("copy", name);
        let now = Arc::new(AtomicI64::new(1_000_000));
        let clock = now.clone();
        let options = Options { clock: Clock::new(move || clock.load(Ordering::SeqCst)), ..options };
        let store = Store::open(&path, options).unwrap();
        (store, Connection::open(&path).unwrap(), now)
    }

    fn count(conn: &Connection, sql: &str) -> i64 {
        conn.query_row(sql, [], |row| row.get(0)).unwrap()
    }

    /// The session's row as stored, every column, as text (`typeof` included, so that a
    /// BLOB and a TEXT of the same bytes differ).
    fn row(conn: &Connection, session: &str) -> Vec<Option<String>> {
        conn.query_row(
            "SELECT typeof(state_json), CAST(state_json AS BLOB), label, current_step, created_at, updated_at
             FROM workflow_state WHERE flow_session_key = ?1",
            [format!("f:{session}")],
            |row| {
                (0..6)
                    .map(|i| {
                        row.get_ref(i).map(|v| match v {
                            rusqlite::types::ValueRef::Null => None,
                            v => Some(String::from_utf8_lossy(v.as_bytes().unwrap()).into_owned()),
                        })
                    })
                    .collect()
            },
        )
        .unwrap()
    }

    /// Every stack entry of the session, every column but the key.
    fn entries(conn: &Connection, session: &str) -> Vec<Vec<rusqlite::types::Value>> {
        let mut stmt = conn
            .prepare(
                "SELECT stack, seq, label, current_step, snapshot, chunks, meta, made_ms, merge_key, version
                 FROM ws_history WHERE flow_session_key = ?1 ORDER BY stack, seq",
            )
            .unwrap();
        stmt.query_map([format!("f:{session}")], |row| (0..10).map(|i| row.get(i)).collect())
            .unwrap()
            .map(|r| r.unwrap())
            .collect()
    }

    /// What a user sees of a session.
    fn seen(store: &Store, session: &str) -> (String, Option<String>, String, usize, Option<String>) {
        (
            store.get_state("f", session).unwrap(),
            store.get_current_step("f", session).unwrap(),
            store.undo_status("f", session).unwrap(),
            store.history_len("f", session).unwrap(),
            store.history_peek("f", session).unwrap(),
        )
    }

    /// The session's summary without its timestamps (a copy has its own).
    fn summary_without_times(store: &Store, session: &str) -> serde_json::Value {
        let mut summary: serde_json::Value =
            serde_json::from_str(&store.get_session_summary("f", session).unwrap().unwrap()).unwrap();
        let object = summary.as_object_mut().unwrap();
        object.remove("created_at");
        object.remove("updated_at");
        object.remove("session_id");
        summary
    }

    const OLD: &str = "2001-02-03 04:05:06";

    /// A session "a" with a label, a step, a state in a form the library would not write
    /// itself, history snapshots, undo entries with labels and metas, a pending redo, a
    /// clean mark, and timestamps long past.
    fn source(store: &Store, conn: &Connection, now: &AtomicI64) {
        store.create_session("f", Some("a"), Some("Draft é")).unwrap();
        store.history_push("f", "a", r#"{"snap":1}"#).unwrap();
        store.history_push("f", "a", r#"[2]"#).unwrap();
        for v in 0..4 {
            now.fetch_add(10_000, Ordering::SeqCst);
            store.update_state("f", "a", &format!(r#"{{"v":{v}}}"#)).unwrap();
            store.set_current_step("f", "a", &format!("step{v}")).unwrap();
            let checkpoint = format!(r#"{{"label":"edit {v}","meta":{{"cursor":[{v},1]}}}}"#);
            store.checkpoint_json("f", "a", Some(&checkpoint)).unwrap();
            if v == 1 {
                store.set_clean("f", "a").unwrap();
            }
        }
        store.update_state("f", "a", r#"{"v":4}"#).unwrap();
        assert!(store.undo("f", "a").unwrap());
        // A state text byte for byte as another program wrote it, and old timestamps.
        conn.execute(
            "UPDATE workflow_state SET state_json = '{\"v\" : 3,  \"x\":[1.50, \"\\u00e9\"]}',
                 created_at = ?1, updated_at = ?1 WHERE flow_session_key = 'f:a'",
            [OLD],
        )
        .unwrap();
    }

    fn now_text(conn: &Connection) -> String {
        conn.query_row(&format!("SELECT {NOW}"), [], |row| row.get(0)).unwrap()
    }

    #[test]
    fn a_copy_without_history_has_the_row_and_nothing_else() {
        let (store, conn, now) = open("plain.db", Options::default());
        source(&store, &conn, &now);
        let (source_row, source_seen) = (row(&conn, "a"), seen(&store, "a"));
        let (source_entries, source_revision) = (entries(&conn, "a"), store.get_revision("f", "a").unwrap());
        let latest = store.latest_seq().unwrap();
        let before = now_text(&conn);

        store.copy_session("f", "a", "b", false).unwrap();

        let after = now_text(&conn);
        let copy = row(&conn, "b");
        assert_eq!(copy[..4], source_row[..4], "state bytes (and type), label, step");
        assert_eq!(copy[1].as_deref(), Some("{\"v\" : 3,  \"x\":[1.50, \"\\u00e9\"]}"));
        let created = copy[4].clone().unwrap();
        assert_eq!(copy[5].as_deref(), Some(created.as_str()));
        assert!(created.len() == 19 && before <= created && created <= after, "{created}");
        assert_eq!(summary_without_times(&store, "b"), summary_without_times(&store, "a"));
        assert_eq!(
            seen(&store, "b"),
            (
                source_seen.0.clone(),
                Some("step3".into()),
                r#"{"undo_depth":0,"redo_depth":0,"undo_label":null,"redo_label":null,"undo_meta":null,"redo_meta":null,"clean":false}"#.into(),
                0,
                None
            )
        );
        assert!(entries(&conn, "b").is_empty());
        assert_eq!(count(&conn, "SELECT count(*) FROM ws_undo WHERE flow_session_key = 'f:b'"), 0);
        assert!(!store.undo("f", "b").unwrap() && !store.redo("f", "b").unwrap());
        // One number, the copy's; the source untouched.
        assert_eq!(store.latest_seq().unwrap(), latest + 1);
        assert_eq!(store.get_revision("f", "b").unwrap(), latest + 1);
        assert_eq!(store.get_revision("f", "a").unwrap(), source_revision);
        assert_eq!(
            (row(&conn, "a"), seen(&store, "a"), entries(&conn, "a")),
            (source_row, source_seen, source_entries)
        );
    }

    #[test]
    fn a_copy_with_history_undoes_and_redoes_as_the_source_does() {
        let (store, conn, now) = open("history.db", Options::default());
        source(&store, &conn, &now);
        let (source_row, source_seen) = (row(&conn, "a"), seen(&store, "a"));
        let (source_entries, source_revision) = (entries(&conn, "a"), store.get_revision("f", "a").unwrap());
        let latest = store.latest_seq().unwrap();

        store.copy_session("f", "a", "b", true).unwrap();

        assert_eq!(store.latest_seq().unwrap(), latest + 1);
        assert_eq!(store.get_revision("f", "b").unwrap(), latest + 1);
        assert_eq!(store.get_revision("f", "a").unwrap(), source_revision);
        assert_eq!(
            (row(&conn, "a"), seen(&store, "a"), entries(&conn, "a")),
            (source_row.clone(), source_seen.clone(), source_entries.clone())
        );
        assert_eq!(row(&conn, "b")[..4], source_row[..4]);
        assert_eq!(entries(&conn, "b"), source_entries, "every entry, every column");
        let status: serde_json::Value = serde_json::from_str(&source_seen.2).unwrap();
        assert_eq!(
            (&status["undo_depth"], &status["redo_depth"], &status["undo_label"], &status["redo_meta"]),
            (&3.into(), &1.into(), &"edit 2".into(), &serde_json::json!({"cursor":[3,1]})),
            "the source is what the test needs"
        );
        assert_eq!(seen(&store, "b"), source_seen, "state, step, depths, labels, metas, clean flag");

        // Undo all the way, then redo all the way, on both: the same states, steps,
        // labels, metas and clean flags at every point.
        let travel = |session: &str, undo: bool| -> Travel {
            let t = if undo { store.undo_with("f", session) } else { store.redo_with("f", session) };
            Travel { revision: 0, ..t.unwrap() }
        };
        let mut clean_seen = false;
        for undo in [true, false] {
            loop {
                let (a, b) = (travel("a", undo), travel("b", undo));
                assert_eq!(b, a);
                assert_eq!(seen(&store, "b"), seen(&store, "a"));
                clean_seen |= store.undo_status("f", "b").unwrap().ends_with("\"clean\":true}");
                if !a.done {
                    break;
                }
            }
        }
        assert!(clean_seen, "the clean mark came with the copy");
        // A source whose present state is the marked one, reached by undo: the copy's
        // present state is that same version, so it is clean too, until it moves away.
        while !store.undo_status("f", "a").unwrap().ends_with("\"clean\":true}") {
            assert!(store.undo("f", "a").unwrap());
        }
        store.copy_session("f", "a", "c", true).unwrap();
        assert_eq!(seen(&store, "c"), seen(&store, "a"));
        assert!(store.redo("f", "c").unwrap() && store.undo("f", "c").unwrap());
        assert!(store.undo_status("f", "c").unwrap().ends_with("\"clean\":true}"));
        assert_eq!(store.history_pop("f", "b").unwrap(), store.history_pop("f", "a").unwrap());
        assert_eq!(store.history_pop("f", "b").unwrap().as_deref(), Some("{\"snap\":1}"));
    }

    #[test]
    fn a_copy_starts_no_merge_run() {
        let (store, conn, now) = open("merge.db", Options::default());
        let key = |s: &Store, session: &str, text: &str| {
            s.checkpoint_json("f", session, Some(r#"{"label":"Typing","merge_key":"typing"}"#)).unwrap();
            s.update_state("f", session, &format!(r#"{{"text":"{text}"}}"#)).unwrap();
        };
        key(&store, "a", "x");
        now.fetch_add(10_000, Ordering::SeqCst);
        key(&store, "a", "a");
        store.copy_session("f", "a", "b", true).unwrap();
        let merge_keys = "SELECT count(merge_key) FROM ws_history WHERE flow_session_key = ";
        assert_eq!(count(&conn, &format!("{merge_keys} 'f:a'")), 1);
        assert_eq!(count(&conn, &format!("{merge_keys} 'f:b'")), 0);
        now.fetch_add(100, Ordering::SeqCst);
        key(&store, "a", "ab");
        key(&store, "b", "ab");
        let depth = |session: &str| {
            serde_json::from_str::<serde_json::Value>(&store.undo_status("f", session).unwrap()).unwrap()
                ["undo_depth"]
                .clone()
        };
        assert_eq!((depth("a"), depth("b")), (2.into(), 3.into()), "the source merges, the copy pushes");
        assert!(store.undo("f", "b").unwrap());
        assert_eq!(store.get_state("f", "b").unwrap(), r#"{"text":"a"}"#);
    }

    #[test]
    fn a_copy_with_history_shares_the_chunks_of_large_entries() {
        let chunking = ChunkSizes { threshold: 512, min: 64, avg: 256, max: 1024 };
        let (store, conn, now) = open("chunks.db", Options { chunking, ..Options::default() });
        let big = |v: usize| {
            let items: Vec<String> = (0..300)
                .map(|i| format!("\"k{i}\":\"é€😀 item {i}, value {}\"", if i == v * 7 { v } else { i }))
                .collect();
            format!("{{{}}}", items.join(","))
        };
        let mut states = Vec::new();
        for v in 0..4 {
            now.fetch_add(10_000, Ordering::SeqCst);
            store.update_state("f", "a", &big(v)).unwrap();
            states.push(store.get_state("f", "a").unwrap());
            store.checkpoint_json("f", "a", Some(&format!(r#"{{"label":"cp{v}"}}"#))).unwrap();
        }
        store.update_state("f", "a", r#"{"small":true}"#).unwrap();
        let chunked = "SELECT count(*) FROM ws_history WHERE chunks IS NOT NULL AND flow_session_key = ";
        assert_eq!(count(&conn, &format!("{chunked} 'f:a'")), 4);
        let refs = |conn: &Connection| -> Vec<(i64, i64)> {
            let mut stmt = conn.prepare("SELECT id, refs FROM ws_chunk ORDER BY id").unwrap();
            stmt.query_map([], |row| Ok((row.get(0)?, row.get(1)?))).unwrap().map(|r| r.unwrap()).collect()
        };
        let check_rules = |conn: &Connection| {
            for (rule, sql) in CHUNK_RULES {
                assert_eq!(count(conn, sql), 0, "{rule}");
            }
        };
        let before = refs(&conn);
        let data = count(&conn, "SELECT count(*) FROM ws_chunk_data");

        store.copy_session("f", "a", "b", true).unwrap();

        check_rules(&conn);
        assert_eq!(count(&conn, &format!("{chunked} 'f:b'")), 4);
        let doubled: Vec<(i64, i64)> = before.iter().map(|&(id, refs)| (id, 2 * refs)).collect();
        assert_eq!(refs(&conn), doubled, "shared, not copied: the same chunks, twice the references");
        assert_eq!(count(&conn, "SELECT count(*) FROM ws_chunk_data"), data);

        store.delete_session("f", "a").unwrap();
        check_rules(&conn);
        assert_eq!(refs(&conn), before);
        for (v, state) in states.iter().enumerate().rev() {
            let undone = store.undo_with("f", "b").unwrap();
            assert_eq!((undone.done, undone.label), (true, Some(format!("cp{v}"))));
            assert_eq!(&store.get_state("f", "b").unwrap(), state);
            check_rules(&conn);
        }
        assert!(!store.undo("f", "b").unwrap());
        store.delete_session("f", "b").unwrap();
        check_rules(&conn);
        for table in ["ws_history", "ws_chunk", "ws_chunk_data", "ws_undo"] {
            assert_eq!(count(&conn, &format!("SELECT count(*) FROM {table}")), 0, "{table}");
        }
    }

    #[test]
    fn a_refused_copy_says_why_and_changes_nothing() {
        let (store, conn, now) = open("refused.db", Options::default());
        source(&store, &conn, &now);
        store.copy_session("f", "a", "b", true).unwrap();
        let everything = |conn: &Connection| -> Vec<i64> {
            [
                "SELECT count(*) FROM workflow_state",
                "SELECT count(*) FROM ws_history",
                "SELECT count(*) FROM ws_undo",
                "SELECT count(*) FROM ws_change",
                "SELECT coalesce(max(seq), 0) FROM ws_change",
                "SELECT coalesce(sum(length(state_json)), 0) FROM workflow_state",
            ]
            .iter()
            .map(|sql| count(conn, sql))
            .collect()
        };
        let state =
            (everything(&conn), row(&conn, "a"), row(&conn, "b"), entries(&conn, "a"), entries(&conn, "b"));
        let (revision_a, revision_b) =
            (store.get_revision("f", "a").unwrap(), store.get_revision("f", "b").unwrap());
        let not_found = r#"session "nope" of flow "f" does not exist: there is nothing to copy"#;
        let exists = |s: &str| {
            format!(
                r#"session "{s}" of flow "f" already exists: delete it first or copy to another session id"#
            )
        };
        for (flow, from, to, status, message) in [
            ("f", "nope", "c", Status::NotFound, not_found.to_string()),
            ("f", "nope", "b", Status::NotFound, not_found.to_string()),
            ("f", "a", "b", Status::AlreadyExists, exists("b")),
            ("f", "a", "a", Status::AlreadyExists, exists("a")),
            ("f", "b", "a", Status::AlreadyExists, exists("a")),
            (
                "g",
                "a",
                "c",
                Status::NotFound,
                r#"session "a" of flow "g" does not exist: there is nothing to copy"#.into(),
            ),
            ("", "a", "c", Status::InvalidArgument, "flow_id must not be empty".into()),
            ("f:x", "a", "c", Status::InvalidArgument, "flow_id \"f:x\" must not contain ':'".into()),
            ("f", "", "c", Status::InvalidArgument, "from_session_id must not be empty".into()),
            ("f", "a", "", Status::InvalidArgument, "to_session_id must not be empty".into()),
        ] {
            for with_history in [false, true] {
                let err = store.copy_session(flow, from, to, with_history).unwrap_err();
                assert_eq!((err.status, &err.message), (status, &message), "{flow} {from} {to}");
                let now = (
                    everything(&conn),
                    row(&conn, "a"),
                    row(&conn, "b"),
                    entries(&conn, "a"),
                    entries(&conn, "b"),
                );
                assert_eq!(now, state, "{flow} {from} {to}");
                assert_eq!(store.get_revision("f", "a").unwrap(), revision_a);
                assert_eq!(store.get_revision("f", "b").unwrap(), revision_b);
                assert!(!store.session_exists("f", "c").unwrap());
            }
        }
        let path = conn.path().unwrap().to_string();
        let reader = Store::open(&path, Options { read_only: true, ..Options::default() }).unwrap();
        let err = reader.copy_session("f", "a", "c", true).unwrap_err();
        assert_eq!(
            (err.status, err.message.as_str()),
            (
                Status::Io,
                r#"cannot copy session "a" of flow "f" to session "c" of flow "f": the store was opened read_only"#
            )
        );
        assert_eq!(everything(&conn), state.0);
    }
}
