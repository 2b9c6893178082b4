//! Session state: the current step, the session's JSON object and per-step objects
//! stored inside it under `"_step_" + step_id` (parity with `SQLiteWorkflowStateStore`).

use crate::error::{quote, Error, Result, Status};
use crate::json::{self, CanonicalObject};
use crate::key::{check_id, describe, session_key};
use crate::store::{execute, query_row, Db, Store, NOW, STATE_SQL, WHOLE_SECOND_CREATED_AT};
use crate::stored;
use rusqlite::types::ValueRef;
use rusqlite::{params, Connection};
use std::sync::Arc;

/// The key under which a step's state lives inside the session state.
fn step_key(step_id: &str) -> Result<String> {
    check_id("step_id", step_id)?;
    Ok(format!("_step_{step_id}"))
}

/// What a row's `state_json` column held, read inside the row closure: a text the store
/// wrote or validated before is taken from its cache after a byte comparison.
pub(crate) enum StateCell {
    Empty,
    Cached(Arc<CanonicalObject>),
    Text(String),
    NotText,
}

impl StateCell {
    pub(crate) fn read(store: &Store, key: &str, value: ValueRef<'_>) -> StateCell {
        match value {
            ValueRef::Null | ValueRef::Text(b"") => StateCell::Empty,
            ValueRef::Text(bytes) => match store.cache().matching(key, bytes) {
                Some(object) => StateCell::Cached(object),
                None => match std::str::from_utf8(bytes) {
                    Ok(text) => StateCell::Text(text.to_string()),
                    Err(_) => StateCell::NotText,
                },
            },
            _ => StateCell::NotText,
        }
    }

    /// The state as a canonical object. Text not seen before is validated (corruption
    /// of `owner` if it is not a strict JSON object) and, when already canonical,
    /// remembered.
    pub(crate) fn into_state(
        self,
        store: &Store,
        key: &str,
        owner: impl Fn() -> String,
    ) -> Result<Arc<CanonicalObject>> {
        match self {
            StateCell::Empty => Ok(Arc::default()),
            StateCell::Cached(object) => Ok(object),
            StateCell::NotText => Err(Error::corrupt(format!(
                "the stored state of {} is not UTF-8 text; it was left unchanged",
                owner()
            ))),
            StateCell::Text(text) => {
                let object =
                    Arc::new(json::stored_canonical(&json::stored_object(Some(&text), &owner())?, &owner())?);
                if object.text() == text {
                    store.cache().put(key, object.clone());
                }
                Ok(object)
            }
        }
    }
}

/// Reads a session's state as a canonical object; `None` when the session does not
/// exist.
fn load_state(
    store: &Store,
    conn: &Db,
    key: &str,
    owner: impl Fn() -> String,
) -> Result<Option<Arc<CanonicalObject>>> {
    let found = conn.query_hot(
        STATE_SQL,
        [key],
        |row| Ok(StateCell::read(store, key, row.get_ref(0)?)),
        || format!("read the state of {}", owner()),
    )?;
    found.map(|cell| cell.into_state(store, key, owner)).transpose()
}

/// Writes a session's new state, creating the row if it does not exist, and remembers it.
/// A state equal to the stored one (`old`, `None` when there is no row) is no change: it
/// is not written, takes no revision and leaves `updated_at` alone.
fn save_state(
    store: &Store,
    conn: &Connection,
    key: &str,
    old: Option<&CanonicalObject>,
    entries: &json::Entries,
    owner: impl Fn() -> String,
) -> Result<()> {
    let object = json::stored_canonical(entries, &owner())?;
    if old.is_some_and(|old| old.text() == object.text()) {
        return Ok(());
    }
    save_text(conn, key, object.text(), &owner)?;
    store.cache().put(key, Arc::new(object));
    Ok(())
}

/// Writes a session's whole state text, creating the row if it does not exist.
fn save_text(conn: &Connection, key: &str, text: &str, owner: &impl Fn() -> String) -> Result<()> {
    let sql = format!(
        "INSERT INTO workflow_state (flow_session_key, state_json, created_at, updated_at)
         VALUES (?1, ?2, {NOW}, {NOW})
         ON CONFLICT(flow_session_key) DO UPDATE SET
             state_json = excluded.state_json, updated_at = excluded.updated_at, {WHOLE_SECOND_CREATED_AT}"
    );
    execute(conn, &sql, params![key, text], || format!("write the state of {}", owner())).map(drop)
}

impl Store {
    /// The session's current step; `None` when the session does not exist or has none.
    pub fn get_current_step(&self, flow_id: &str, session_id: &str) -> Result<Option<String>> {
        let key = session_key(flow_id, session_id)?;
        let step: Option<Option<String>> = self.read(|conn| {
            query_row(
                conn,
                "SELECT current_step FROM workflow_state WHERE flow_session_key = ?1",
                [&key],
                |row| {
                    stored::string(row, 0, || {
                        format!("the current_step of {}", describe(flow_id, session_id))
                    })
                },
                || format!("read the current step of {}", describe(flow_id, session_id)),
            )
        })?;
        Ok(step.flatten())
    }

    /// Sets the session's current step, creating the session if needed.
    pub fn set_current_step(&self, flow_id: &str, session_id: &str, step_id: &str) -> Result<()> {
        let key = session_key(flow_id, session_id)?;
        check_id("step_id", step_id)?;
        let doing = || format!("set the current step of {}", describe(flow_id, session_id));
        let sql = format!(
            "INSERT INTO workflow_state (flow_session_key, current_step, created_at, updated_at)
             VALUES (?1, ?2, {NOW}, {NOW})
             ON CONFLICT(flow_session_key) DO UPDATE SET
                 current_step = excluded.current_step, updated_at = excluded.updated_at,
                 {WHOLE_SECOND_CREATED_AT}
             WHERE current_step IS NOT excluded.current_step"
        );
        self.write(doing, |tx| execute(tx, &sql, params![key, step_id], doing).map(drop))
    }

    /// The session's whole state as compact JSON; `"{}"` when the session does not exist.
    pub fn get_state(&self, flow_id: &str, session_id: &str) -> Result<String> {
        let key = session_key(flow_id, session_id)?;
        let state = self.read(|conn| load_state(self, conn, &key, || describe(flow_id, session_id)))?;
        // One spare byte, so that the C layer adds its NUL without reallocating.
        let text = state.as_deref().map_or("{}", CanonicalObject::text);
        let mut out = String::with_capacity(text.len() + 1);
        out.push_str(text);
        Ok(out)
    }

    /// Merges the top-level keys of `updates_json` (an object) into the session state,
    /// as Python's `dict.update` does; creates the session if needed.
    pub fn update_state(&self, flow_id: &str, session_id: &str, updates_json: &str) -> Result<()> {
        let key = session_key(flow_id, session_id)?;
        let updates = json::object_arg(updates_json, "updates_json", json::IN_STATE)?;
        let owner = || describe(flow_id, session_id);
        self.write(
            || format!("update the state of {}", owner()),
            |tx| {
                let old = load_state(self, tx, &key, owner)?;
                let object = old.clone().unwrap_or_default();
                let mut state = object.entries();
                state.merge(updates);
                save_state(self, tx, &key, old.as_deref(), &state, owner)
            },
        )
    }

    /// Deletes the session row. Deleting a session that does not exist succeeds.
    pub fn clear_state(&self, flow_id: &str, session_id: &str) -> Result<()> {
        let key = session_key(flow_id, session_id)?;
        let doing = || format!("delete {}", describe(flow_id, session_id));
        self.write(doing, |tx| {
            execute(tx, "DELETE FROM workflow_state WHERE flow_session_key = ?1", [&key], doing)?;
            self.cache().remove(&key);
            Ok(())
        })
    }

    /// The state of one step as compact JSON: `"{}"` when there is none, else the stored
    /// value, whatever its type.
    pub fn get_step_state(&self, flow_id: &str, session_id: &str, step_id: &str) -> Result<String> {
        let key = session_key(flow_id, session_id)?;
        let step_key = step_key(step_id)?;
        let owner = || describe(flow_id, session_id);
        let object = self.read(|conn| load_state(self, conn, &key, owner))?.unwrap_or_default();
        match object.entries().get(&step_key) {
            Some(value) => value.to_canonical().map_err(|e| json::stored_text_error(&e, &owner())),
            None => Ok("{}".to_string()),
        }
    }

    /// Merges `updates_json` (an object) into one step's object, creating the step
    /// state and the session as needed. `WS_CONFLICT` when the stored step value is
    /// not an object.
    pub fn update_step_state(
        &self,
        flow_id: &str,
        session_id: &str,
        step_id: &str,
        updates_json: &str,
    ) -> Result<()> {
        let key = session_key(flow_id, session_id)?;
        let step_key = step_key(step_id)?;
        let updates = json::object_arg(updates_json, "updates_json", json::IN_STEP)?;
        let owner = || describe(flow_id, session_id);
        self.write(
            || format!("update step {} of {}", quote(step_id), owner()),
            |tx| {
                let old = load_state(self, tx, &key, owner)?;
                let object = old.clone().unwrap_or_default();
                let mut state = object.entries();
                let step_text = {
                    let mut step = match state.get(&step_key) {
                        None => json::Entries::default(),
                        Some(value) => value.as_entries().ok_or_else(|| {
                            Error::new(
                                Status::Conflict,
                                format!(
                                    "the state of step {} of {} is {}, not an object, so it cannot be merged into; nothing was changed",
                                    quote(step_id),
                                    owner(),
                                    value.kind()
                                ),
                            )
                        })?,
                    };
                    step.merge(updates);
                    json::stored_canonical(&step, &owner())?.into_text()
                };
                state.set(step_key.into(), json::Val::Canonical(step_text.into()));
                save_state(self, tx, &key, old.as_deref(), &state, owner)
            },
        )
    }

    /// Removes one step's state, leaving the other keys as they were. A no-op when the
    /// step has no state or the session does not exist.
    pub fn clear_step_state(&self, flow_id: &str, session_id: &str, step_id: &str) -> Result<()> {
        let key = session_key(flow_id, session_id)?;
        let step_key = step_key(step_id)?;
        let owner = || describe(flow_id, session_id);
        self.write(
            || format!("clear step {} of {}", quote(step_id), owner()),
            |tx| {
                let Some(object) = load_state(self, tx, &key, owner)? else { return Ok(()) };
                let mut state = object.entries();
                if !state.remove(&step_key) {
                    return Ok(());
                }
                save_state(self, tx, &key, Some(&object), &state, owner)
            },
        )
    }
}
