//! One atomic edit (`ws_apply`) and its read half (`ws_get_session`): a snapshot of a
//! session with its revision, and an edit (JSON Patch, step, label, checkpoint) that
//! happens in one transaction, optionally only if the revision is still the one read.

use crate::error::{quote, Error, Result, Status};
use crate::feed;
use crate::json::{self, CanonicalObject};
use crate::key::{check_id, describe, session_key};
use crate::patch::{self, Patch};
use crate::state::StateCell;
use crate::store::{execute, Db, Store, NOW, WHOLE_SECOND_CREATED_AT};
use crate::stored;
use crate::undo::{record_checkpoint, Checkpoint, DEFAULT_MERGE_WINDOW_MS};
use rusqlite::params;
use std::sync::Arc;

/// A parsed `edit_json`: every member optional.
struct Edit<'a> {
    expect_revision: Option<i64>,
    patch: Option<Patch<'a>>,
    step: Option<String>,
    label: Option<Option<String>>,
    checkpoint: Option<Checkpoint>,
    create: bool,
}

const MEMBERS: &str = "expect_revision, patch, step, label, checkpoint, create";

/// A member's value as a tree: the members other than `patch` are small.
fn member_value(name: &str, raw: &str) -> Result<serde_json::Value> {
    json::parse_value(raw, &format!("edit_json member {}", quote(name)))
}

fn wrong(name: &str, expected: &str, raw: &str) -> Error {
    let shown: String = raw.chars().take(80).collect();
    Error::invalid_argument(format!("edit_json member {} must be {expected}, got {shown}", quote(name)))
}

/// A string member that is stored as a column: no NUL, which C cannot read back.
fn text_member(name: &str, value: &serde_json::Value, raw: &str) -> Result<Option<String>> {
    match value {
        serde_json::Value::Null => Ok(None),
        serde_json::Value::String(text) => {
            json::column_text(text.clone(), &format!("edit_json member {}", quote(name))).map(Some)
        }
        _ => Err(wrong(name, "a string or null", raw)),
    }
}

fn parse_edit(text: &str) -> Result<Edit<'_>> {
    let mut edit =
        Edit { expect_revision: None, patch: None, step: None, label: None, checkpoint: None, create: true };
    let mut seen: Vec<&str> = Vec::new();
    for (name, raw) in json::members(text, "edit_json")? {
        if seen.contains(&name.as_ref()) {
            return Err(Error::invalid_json(format!("edit_json has member {} twice", quote(&name))));
        }
        match name.as_ref() {
            "expect_revision" => {
                seen.push("expect_revision");
                let value = member_value(&name, raw)?;
                edit.expect_revision = Some(value.as_i64().filter(|r| *r >= 0).ok_or_else(|| {
                    wrong(&name, "a revision: an integer from 0 (the session must not exist)", raw)
                })?);
            }
            "patch" => {
                seen.push("patch");
                edit.patch = Some(patch::parse(raw)?);
            }
            "step" => {
                seen.push("step");
                let value = member_value(&name, raw)?;
                let step = match &value {
                    serde_json::Value::String(_) => text_member(&name, &value, raw)?,
                    _ => None,
                }
                .ok_or_else(|| wrong(&name, "a step id (a non-empty string)", raw))?;
                check_id("edit_json member \"step\"", &step)?;
                edit.step = Some(step);
            }
            "label" => {
                seen.push("label");
                edit.label = Some(text_member(&name, &member_value(&name, raw)?, raw)?);
            }
            "checkpoint" => {
                seen.push("checkpoint");
                let value = member_value(&name, raw)?;
                edit.checkpoint = Some(match &value {
                    serde_json::Value::Object(_) => {
                        Checkpoint::parse(raw, "edit_json member \"checkpoint\"")?
                    }
                    _ => Checkpoint {
                        label: text_member(&name, &value, raw).map_err(|_| {
                            wrong(
                                &name,
                                "a label (a string), null or an object as ws_checkpoint_with takes",
                                raw,
                            )
                        })?,
                        merge_window_ms: DEFAULT_MERGE_WINDOW_MS,
                        ..Checkpoint::default()
                    },
                });
            }
            "create" => {
                seen.push("create");
                edit.create =
                    member_value(&name, raw)?.as_bool().ok_or_else(|| wrong(&name, "true or false", raw))?;
            }
            _ => {
                return Err(Error::invalid_argument(format!(
                    "edit_json has unknown member {} (known members: {MEMBERS})",
                    quote(&name)
                )))
            }
        }
    }
    Ok(edit)
}

/// A session's row with its revision, read by one query.
struct Row {
    current_step: Option<String>,
    label: Option<String>,
    created_at: Option<String>,
    updated_at: Option<String>,
    state: StateCell,
    revision: i64,
}

/// Reads the session's row, state and revision with one query.
fn read_row(store: &Store, conn: &Db, key: &str, owner: &impl Fn() -> String) -> Result<Option<Row>> {
    // A hot statement (`store.rs`): ws_get_session is a UI thread's read.
    conn.query_hot(
        // The revision by a subquery, not a join: SQLite propagates `?1` into a join's
        // other table and then re-prepares the statement on every use (8 of 10 us of a
        // small ws_get_session went to SQLite's parser).
        "SELECT current_step, label, state_json,
                coalesce((SELECT seq FROM ws_change c WHERE c.flow_session_key = ?1), 0), created_at, updated_at
         FROM workflow_state WHERE flow_session_key = ?1",
        [key],
        |row| {
            Ok(Row {
                current_step: stored::string(row, 0, || format!("the current_step of {}", owner()))?,
                label: stored::string(row, 1, || format!("the label of {}", owner()))?,
                state: StateCell::read(store, key, row.get_ref(2)?),
                revision: row.get(3)?,
                created_at: stored::string(row, 4, || format!("the created_at of {}", owner()))?,
                updated_at: stored::string(row, 5, || format!("the updated_at of {}", owner()))?,
            })
        },
        || format!("read {}", owner()),
    )
}

impl Store {
    /// One snapshot of the session: `{"flow_id","session_id","label","current_step",
    /// "state","revision","created_at","updated_at"}`; `None` when it does not exist.
    pub fn get_session(&self, flow_id: &str, session_id: &str) -> Result<Option<String>> {
        let key = session_key(flow_id, session_id)?;
        let owner = || describe(flow_id, session_id);
        // One query reads row, state and revision: a snapshot without a transaction.
        self.read(|conn| {
            let Some(row) = read_row(self, conn, &key, &owner)? else { return Ok(None) };
            let state = row.state.into_state(self, &key, owner)?;
            let mut head = String::with_capacity(128);
            head.push_str("{\"flow_id\":");
            json::push_string(&mut head, flow_id);
            head.push_str(",\"session_id\":");
            json::push_string(&mut head, session_id);
            push_member(&mut head, "label", row.label.as_deref());
            push_member(&mut head, "current_step", row.current_step.as_deref());
            head.push_str(",\"state\":");
            let mut tail = String::with_capacity(96);
            tail.push_str(",\"revision\":");
            tail.push_str(&row.revision.to_string());
            push_member(&mut tail, "created_at", row.created_at.as_deref());
            push_member(&mut tail, "updated_at", row.updated_at.as_deref());
            tail.push('}');
            // Exactly the text and the C layer's NUL, as `get_state` allocates: the C
            // layer shrinks a larger buffer (a realloc and a free of the rest, about 3%
            // of a 1 MB ws_get_session here).
            let mut out = String::with_capacity(head.len() + state.text().len() + tail.len() + 1);
            out.push_str(&head);
            out.push_str(state.text());
            out.push_str(&tail);
            Ok(Some(out))
        })
    }

    /// Applies `edit_json` to the session in one transaction (see `ws_apply`); returns
    /// the session's revision afterwards and whether the edit changed anything.
    pub fn apply(&self, flow_id: &str, session_id: &str, edit_json: &str) -> Result<(i64, bool)> {
        let key = session_key(flow_id, session_id)?;
        let edit = parse_edit(edit_json)?;
        let owner = || describe(flow_id, session_id);
        self.write(
            || format!("apply the edit to {}", owner()),
            |tx| {
                let row = read_row(self, tx, &key, &owner)?;
                let revision = row.as_ref().map_or(0, |row| row.revision);
                if let Some(expected) = edit.expect_revision.filter(|r| *r != revision) {
                    return Err(Error::new(
                        Status::Conflict,
                        match (expected, revision) {
                            (0, found) => format!(
                                "expected {} not to exist (expect_revision 0), but it exists at revision {found}; nothing was changed",
                                owner()
                            ),
                            (expected, 0) => format!(
                                "expected {} at revision {expected}, but it does not exist (it was deleted, or never created); nothing was changed",
                                owner()
                            ),
                            (expected, found) => format!(
                                "expected {} at revision {expected}, but found revision {found}: another writer changed it since it was read; read it again and retry; nothing was changed",
                                owner()
                            ),
                        },
                    ));
                }
                if row.is_none() && !edit.create {
                    return Err(Error::new(
                        Status::NotFound,
                        format!("{} does not exist (the edit has \"create\": false); nothing was changed", owner()),
                    ));
                }
                let exists = row.is_some();
                let (old_step, old_label, old_state) = match row {
                    Some(row) => (row.current_step, row.label, row.state.into_state(self, &key, owner)?),
                    None => (None, None, Arc::<CanonicalObject>::default()),
                };
                let new_state = match &edit.patch {
                    Some(patch) => Some(patch::apply(&old_state, patch, &owner())?)
                        .filter(|new| !exists || new.text() != old_state.text()),
                    None => None,
                };
                let step = edit.step.clone().or_else(|| old_step.clone());
                let label = edit.label.clone().unwrap_or_else(|| old_label.clone());
                if exists && new_state.is_none() && step == old_step && label == old_label {
                    return Ok((revision, false));
                }
                if let Some(checkpoint) = &edit.checkpoint {
                    record_checkpoint(self, tx, &key, checkpoint, exists)?;
                }
                // An existing row is updated in place (an upsert first tries, and fails,
                // an insert); an unchanged state is not bound (?3 NULL), so a label edit
                // of a large state does not copy it.
                let sql = if exists {
                    format!(
                        "UPDATE workflow_state SET current_step = ?2, state_json = coalesce(?3, state_json),
                             label = ?4, updated_at = {NOW}, {WHOLE_SECOND_CREATED_AT}
                         WHERE flow_session_key = ?1"
                    )
                } else {
                    format!(
                        "INSERT INTO workflow_state (flow_session_key, current_step, state_json, label, created_at, updated_at)
                         VALUES (?1, ?2, coalesce(?3, '{{}}'), ?4, {NOW}, {NOW})"
                    )
                };
                let text = new_state.as_ref().map(CanonicalObject::text);
                execute(tx, &sql, params![key, step, text, label], || format!("write {}", owner()))?;
                if let Some(state) = new_state {
                    self.cache().put(&key, Arc::new(state));
                }
                Ok((feed::revision(tx, &key, owner)?, true))
            },
        )
    }
}

fn push_member(out: &mut String, name: &str, value: Option<&str>) {
    out.push_str(",\"");
    out.push_str(name);
    out.push_str("\":");
    match value {
        Some(text) => json::push_string(out, text),
        None => out.push_str("null"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Options, MEMORY_PATH};
    use serde_json::value::RawValue;
    use std::collections::BTreeMap;

    const CASES: &str = include_str!("../tests/data/json_patch_cases.json");

    fn store() -> Store {
        Store::open(MEMORY_PATH, Options::default()).unwrap()
    }

    /// Every case of the JSON Patch table (RFC 6902 appendix A, RFC 7396 appendix A and
    /// the library's own) through the whole of `ws_apply`: the stored state afterwards,
    /// or the failure's status with nothing written.
    #[test]
    fn every_case_of_the_patch_table_through_apply() {
        let cases: Vec<BTreeMap<String, &RawValue>> = serde_json::from_str(CASES).unwrap();
        for case in cases {
            let name: String = serde_json::from_str(case["name"].get()).unwrap();
            let store = store();
            store.update_state("f", "s", case["doc"].get()).unwrap();
            let before = (store.get_state("f", "s").unwrap(), store.get_revision("f", "s").unwrap());
            let edit = format!("{{\"patch\":{}}}", case["patch"].get());
            let result = store.apply("f", "s", &edit);
            match (case.get("expected"), case.get("error")) {
                (Some(expected), None) => {
                    let expected = json::value_arg(expected.get(), "expected", json::ALONE).unwrap();
                    let (revision, changed) = result.unwrap_or_else(|e| panic!("{name}: {e:?}"));
                    assert_eq!(store.get_state("f", "s").unwrap(), expected, "{name}");
                    assert_eq!(changed, expected != before.0, "{name}");
                    assert_eq!(revision, if changed { before.1 + 1 } else { before.1 }, "{name}");
                }
                (None, Some(status)) => {
                    let status: String = serde_json::from_str(status.get()).unwrap();
                    let err = result.expect_err(&name);
                    assert_eq!(err.status.name(), status, "{name}: {}", err.message);
                    let after = (store.get_state("f", "s").unwrap(), store.get_revision("f", "s").unwrap());
                    assert_eq!(after, before, "{name}: a failed edit writes nothing");
                }
                _ => panic!("{name}: a case has expected or error"),
            }
        }
    }

    #[test]
    fn expect_revision_makes_read_modify_write_safe_and_says_what_it_found() {
        let store = store();
        let created = store.apply("f", "s", r#"{"expect_revision":0,"label":"L"}"#).unwrap();
        assert_eq!(created, (1, true));
        let again = store.apply("f", "s", r#"{"expect_revision":0}"#).unwrap_err();
        assert_eq!(again.status, Status::Conflict);
        assert!(again.message.contains("exists at revision 1"), "{}", again.message);
        let stale = store.apply("f", "s", r#"{"expect_revision":7,"step":"b"}"#).unwrap_err();
        assert!(stale.message.contains("at revision 7, but found revision 1"), "{}", stale.message);
        let edit = r#"{"expect_revision":1,"patch":[{"op":"add","path":"/n","value":1}],"step":"b","checkpoint":"before"}"#;
        assert_eq!(store.apply("f", "s", edit).unwrap(), (2, true));
        assert_eq!(
            store.undo_status("f", "s").unwrap(),
            r#"{"undo_depth":1,"redo_depth":0,"undo_label":"before","redo_label":null,"undo_meta":null,"redo_meta":null,"clean":false}"#
        );
        // The same edit again changes nothing: no revision, no checkpoint.
        let same =
            r#"{"patch":[{"op":"add","path":"/n","value":1}],"step":"b","label":"L","checkpoint":"again"}"#;
        assert_eq!(store.apply("f", "s", same).unwrap(), (2, false));
        assert!(store.undo_status("f", "s").unwrap().contains(r#""undo_depth":1"#));
        assert!(store.undo("f", "s").unwrap());
        assert_eq!(store.get_state("f", "s").unwrap(), "{}");
        assert_eq!(store.get_current_step("f", "s").unwrap(), None);
        let missing = store.apply("f", "gone", r#"{"create":false,"step":"a"}"#).unwrap_err();
        assert_eq!(missing.status, Status::NotFound);
        assert!(!store.session_exists("f", "gone").unwrap());
    }

    /// The object form is `ws_checkpoint_with`'s: keystrokes merge, meta is kept.
    #[test]
    fn an_edits_checkpoint_object_merges_keystrokes_and_keeps_meta() {
        let store = store();
        for (i, c) in ["a", "b", "c"].iter().enumerate() {
            let edit = format!(
                r#"{{"patch":[{{"op":"add","path":"/t{i}","value":"{c}"}}],"checkpoint":{{"label":"Typing","merge_key":"typing","merge_window_ms":60000,"meta":{{"at":{i}}}}}}}"#
            );
            assert!(store.apply("f", "s", &edit).unwrap().1);
        }
        let status = store.undo_status("f", "s").unwrap();
        assert!(status.starts_with(r#"{"undo_depth":1,"redo_depth":0,"undo_label":"Typing","redo_label":null,"undo_meta":{"at":0}"#), "{status}");
        assert!(store.undo("f", "s").unwrap());
        assert_eq!(store.get_state("f", "s").unwrap(), "{}");
    }

    #[test]
    fn a_failure_anywhere_in_an_edit_writes_nothing_the_checkpoint_included() {
        let store = store();
        store.update_state("f", "s", r#"{"a":1}"#).unwrap();
        let err = store
            .apply("f", "s", r#"{"checkpoint":"c","step":"x","patch":[{"op":"remove","path":"/missing"}]}"#)
            .unwrap_err();
        assert_eq!(err.status, Status::Conflict);
        assert!(err.message.contains("patch[0]") && err.message.contains("/missing"), "{}", err.message);
        assert_eq!(store.get_revision("f", "s").unwrap(), 1);
        assert!(store.undo_status("f", "s").unwrap().contains(r#""undo_depth":0"#));
        assert_eq!(store.get_current_step("f", "s").unwrap(), None);
    }

    #[test]
    fn bad_edits_say_what_is_wrong() {
        let store = store();
        for (edit, status, part) in [
            ("[]", Status::InvalidJson, "edit_json must be a JSON object, got an array"),
            ("{", Status::InvalidJson, "edit_json is not valid JSON"),
            (r#"{"colour":1}"#, Status::InvalidArgument, "unknown member \"colour\""),
            (r#"{"expect_revision":-1}"#, Status::InvalidArgument, "expect_revision"),
            (r#"{"expect_revision":1.5}"#, Status::InvalidArgument, "expect_revision"),
            (r#"{"step":""}"#, Status::InvalidArgument, "step"),
            (r#"{"step":3}"#, Status::InvalidArgument, "step"),
            (r#"{"label":"a\u0000b"}"#, Status::InvalidArgument, "NUL"),
            (r#"{"checkpoint":{"label":"x","colour":1}}"#, Status::InvalidArgument, "\"colour\""),
            (r#"{"checkpoint":{"merge_window_ms":10}}"#, Status::InvalidArgument, "merge_key"),
            (r#"{"checkpoint":7}"#, Status::InvalidArgument, "checkpoint"),
            (r#"{"create":"no"}"#, Status::InvalidArgument, "create"),
            (r#"{"step":"a","step":"b"}"#, Status::InvalidJson, "twice"),
            (r#"{"patch":{}}"#, Status::InvalidJson, "patch"),
            (r#"{"patch":[{"op":"jump","path":"/a"}]}"#, Status::InvalidJson, "patch[0]"),
        ] {
            let err = store.apply("f", "s", edit).unwrap_err();
            assert_eq!(err.status, status, "{edit}: {}", err.message);
            assert!(err.message.contains(part), "{edit}: {:?} lacks {part:?}", err.message);
        }
        assert!(!store.session_exists("f", "s").unwrap());
    }

    #[test]
    fn get_session_is_one_snapshot_of_row_state_and_revision() {
        let store = store();
        assert_eq!(store.get_session("f", "s").unwrap(), None);
        store
            .apply("f", "s", r#"{"patch":[{"op":"add","path":"/n","value":2e0}],"label":"L","step":"a"}"#)
            .unwrap();
        let session: serde_json::Value =
            serde_json::from_str(&store.get_session("f", "s").unwrap().unwrap()).unwrap();
        assert_eq!(session["state"], serde_json::json!({"n": 2.0}));
        assert_eq!(session["revision"], 1);
        assert_eq!((session["label"].as_str(), session["current_step"].as_str()), (Some("L"), Some("a")));
        assert_eq!(session["created_at"].as_str().unwrap().len(), 19);
        let text = store.get_session("f", "s").unwrap().unwrap();
        assert!(text.contains(r#""state":{"n":2e0}"#), "numbers keep their text: {text}");
    }
}
