//! Session state: the current step, the session's JSON object and per-step objects
//! stored inside it under `"_step_" + step_id` (parity with `SQLiteWorkflowStateStore`).

use crate::error::{quote, Error, Result, Status};
use crate::json;
use crate::key::{check_id, describe, session_key};
use crate::store::{execute, query_row, Store, NOW};
use rusqlite::{params, Connection};

/// The key under which a step's state lives inside the session state.
fn step_key(step_id: &str) -> Result<String> {
    check_id("step_id", step_id)?;
    Ok(format!("_step_{step_id}"))
}

/// Reads a session's stored state text; `None` when the session does not exist.
fn load_text(conn: &Connection, key: &str, owner: impl Fn() -> String) -> Result<Option<Option<String>>> {
    query_row(
        conn,
        "SELECT state_json FROM workflow_state WHERE flow_session_key = ?1",
        [key],
        |row| row.get(0),
        || format!("read the state of {}", owner()),
    )
}

/// Writes a session's whole state text, creating the row if it does not exist.
fn save_text(conn: &Connection, key: &str, text: &str, owner: impl Fn() -> String) -> Result<()> {
    let sql = format!(
        "INSERT INTO workflow_state (flow_session_key, state_json, created_at, updated_at)
         VALUES (?1, ?2, {NOW}, {NOW})
         ON CONFLICT(flow_session_key) DO UPDATE SET
             state_json = excluded.state_json, updated_at = excluded.updated_at"
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
                |row| row.get(0),
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
                 current_step = excluded.current_step, updated_at = excluded.updated_at"
        );
        self.write(doing, |tx| execute(tx, &sql, params![key, step_id], doing).map(drop))
    }

    /// The session's whole state as compact JSON; `"{}"` when the session does not exist.
    pub fn get_state(&self, flow_id: &str, session_id: &str) -> Result<String> {
        let key = session_key(flow_id, session_id)?;
        let owner = || describe(flow_id, session_id);
        let text = self.read(|conn| load_text(conn, &key, owner))?.flatten();
        json::stored_text(&json::stored_object(text.as_deref(), &owner())?, &owner())
    }

    /// Merges the top-level keys of `updates_json` (an object) into the session state,
    /// as Python's `dict.update` does; creates the session if needed.
    pub fn update_state(&self, flow_id: &str, session_id: &str, updates_json: &str) -> Result<()> {
        let key = session_key(flow_id, session_id)?;
        let updates = json::object_arg(updates_json, "updates_json")?;
        let owner = || describe(flow_id, session_id);
        self.write(
            || format!("update the state of {}", owner()),
            |tx| {
                let text = load_text(tx, &key, owner)?.flatten();
                let mut state = json::stored_object(text.as_deref(), &owner())?;
                state.merge(updates);
                save_text(tx, &key, &json::stored_text(&state, &owner())?, owner)
            },
        )
    }

    /// Deletes the session row. Deleting a session that does not exist succeeds.
    pub fn clear_state(&self, flow_id: &str, session_id: &str) -> Result<()> {
        let key = session_key(flow_id, session_id)?;
        let doing = || format!("delete {}", describe(flow_id, session_id));
        self.write(doing, |tx| {
            execute(tx, "DELETE FROM workflow_state WHERE flow_session_key = ?1", [&key], doing).map(drop)
        })
    }

    /// The state of one step as compact JSON: `"{}"` when there is none, else the stored
    /// value, whatever its type.
    pub fn get_step_state(&self, flow_id: &str, session_id: &str, step_id: &str) -> Result<String> {
        let key = session_key(flow_id, session_id)?;
        let step_key = step_key(step_id)?;
        let owner = || describe(flow_id, session_id);
        let text = self.read(|conn| load_text(conn, &key, owner))?.flatten();
        let state = json::stored_object(text.as_deref(), &owner())?;
        match state.get(&step_key) {
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
        let updates = json::object_arg(updates_json, "updates_json")?;
        let owner = || describe(flow_id, session_id);
        self.write(
            || format!("update step {} of {}", quote(step_id), owner()),
            |tx| {
                let text = load_text(tx, &key, owner)?.flatten();
                let mut state = json::stored_object(text.as_deref(), &owner())?;
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
                    json::stored_text(&step, &owner())?
                };
                state.set(step_key.into(), json::Val::Canonical(step_text));
                save_text(tx, &key, &json::stored_text(&state, &owner())?, owner)
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
                let Some(text) = load_text(tx, &key, owner)? else { return Ok(()) };
                let mut state = json::stored_object(text.as_deref(), &owner())?;
                if !state.remove(&step_key) {
                    return Ok(());
                }
                save_text(tx, &key, &json::stored_text(&state, &owner())?, owner)
            },
        )
    }
}
