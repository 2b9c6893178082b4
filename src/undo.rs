//! Whole-session undo and redo: a checkpoint records the session's state and current
//! step on the undo stack; undo restores the newest checkpoint and keeps what it
//! replaced on the redo stack (with the same label); redo does the opposite. Both
//! stacks live in `ws_history`, so they survive restarts and are deleted with the row.

use crate::error::Result;
use crate::history::{self, ensure_session, Entry, Stack};
use crate::key::{describe, session_key};
use crate::store::{execute, query_row, Store, NOW};
use rusqlite::{params, Connection};
use serde_json::json;

/// The session's current state text and step, exactly as stored; `None` without a row.
fn current(conn: &Connection, key: &str, owner: impl Fn() -> String) -> Result<Option<(Option<String>, Option<String>)>> {
    query_row(
        conn,
        "SELECT state_json, current_step FROM workflow_state WHERE flow_session_key = ?1",
        [key],
        |row| Ok((row.get(0)?, row.get(1)?)),
        || format!("read {}", owner()),
    )
}

impl Store {
    /// Records the session's state and current step as a checkpoint (creating the
    /// session if needed) and empties the redo stack. Leaves `updated_at` alone.
    pub fn checkpoint(&self, flow_id: &str, session_id: &str, label: Option<&str>) -> Result<()> {
        let key = session_key(flow_id, session_id)?;
        let owner = || describe(flow_id, session_id);
        let depth = self.options().max_history_depth;
        self.write(
            || format!("checkpoint {}", owner()),
            |tx| {
                ensure_session(tx, &key, owner)?;
                let (snapshot, current_step) = current(tx, &key, owner)?.unwrap_or_default();
                let entry = Entry { label: label.map(str::to_string), current_step, snapshot };
                history::push(tx, &key, Stack::Undo, &entry, depth)?;
                history::clear(tx, &key, Stack::Redo)
            },
        )
    }

    /// Restores the newest checkpoint, keeping the state it replaces for redo. `false`
    /// (and nothing changed) when there is nothing to undo.
    pub fn undo(&self, flow_id: &str, session_id: &str) -> Result<bool> {
        self.travel(flow_id, session_id, Stack::Undo, Stack::Redo)
    }

    /// Re-applies the newest undone state, keeping the state it replaces for undo.
    /// `false` (and nothing changed) when there is nothing to redo.
    pub fn redo(&self, flow_id: &str, session_id: &str) -> Result<bool> {
        self.travel(flow_id, session_id, Stack::Redo, Stack::Undo)
    }

    /// Undo and redo are the same move in opposite directions: pop `from`, push the
    /// current state onto `to` under the popped entry's label, restore the popped state.
    fn travel(&self, flow_id: &str, session_id: &str, from: Stack, to: Stack) -> Result<bool> {
        let key = session_key(flow_id, session_id)?;
        let owner = || describe(flow_id, session_id);
        let depth = self.options().max_history_depth;
        self.write(
            || format!("{} {}", if from == Stack::Undo { "undo" } else { "redo" }, owner()),
            |tx| {
                let Some(target) = history::pop(tx, &key, from)? else { return Ok(false) };
                let (state, step) = current(tx, &key, owner)?.unwrap_or_default();
                let changed = state != target.snapshot || step != target.current_step;
                let replaced = Entry { label: target.label, current_step: step, snapshot: state };
                history::push(tx, &key, to, &replaced, depth)?;
                if changed {
                    let sql = format!(
                        "UPDATE workflow_state SET state_json = ?2, current_step = ?3, updated_at = {NOW}
                         WHERE flow_session_key = ?1"
                    );
                    execute(tx, &sql, params![key, target.snapshot, target.current_step], || {
                        format!("restore {}", owner())
                    })?;
                }
                Ok(true)
            },
        )
    }

    /// `{"undo_depth":N,"redo_depth":N,"undo_label":str|null,"redo_label":str|null}`:
    /// the labels are those of the entries an undo or a redo would apply next.
    pub fn undo_status(&self, flow_id: &str, session_id: &str) -> Result<String> {
        let key = session_key(flow_id, session_id)?;
        self.read_snapshot(|conn| {
            Ok(json!({
                "undo_depth": history::len(conn, &key, Stack::Undo)?,
                "redo_depth": history::len(conn, &key, Stack::Redo)?,
                "undo_label": history::top_label(conn, &key, Stack::Undo)?,
                "redo_label": history::top_label(conn, &key, Stack::Redo)?,
            })
            .to_string())
        })
    }
}
