//! Whole-session undo and redo: a checkpoint records the session's state and current
//! step on the undo stack; undo restores the newest checkpoint and keeps what it
//! replaced on the redo stack (with the same label); redo does the opposite. Both
//! stacks live in `ws_history`, so they survive restarts and are deleted with the row.
//! Large states are kept as shared chunks (`chunks.rs`), small ones inline.

use crate::chunks;
use crate::error::Result;
use crate::feed;
use crate::history::{self, ensure_session, Content, Entry, Stack};
use crate::key::{describe, session_key};
use crate::store::{execute, Db, Store, NOW, WHOLE_SECOND_CREATED_AT};
use rusqlite::params;
use serde_json::json;

/// Pushes the session's state and current step onto its undo stack under `label` and
/// empties its redo stack: the session's row as it is (`exists`), or, for a session that
/// has no row yet, the empty state it is about to be created from.
pub(crate) fn record_checkpoint(
    store: &Store,
    tx: &Db,
    key: &str,
    label: Option<&str>,
    exists: bool,
) -> Result<()> {
    // Room first: a chunk is then never found by hash just before the deletion of the
    // last entry that lists it deletes it.
    let room = history::make_room(tx, key, Stack::Undo, store.options().max_history_depth)?;
    if exists {
        let current = chunks::save_session_state(store, tx, key)?;
        let chunks = current.as_ref().map(|(_, ids)| ids.as_str());
        history::push_into(tx, key, Stack::Undo, room, Content::SessionState(label, chunks))?;
    } else {
        let empty =
            Entry { label: label.map(str::to_string), current_step: None, snapshot: Some("{}".to_string()) };
        history::push_into(tx, key, Stack::Undo, room, Content::Entry(&empty))?;
    }
    history::clear(tx, key, Stack::Redo).map(drop)
}

impl Store {
    /// Records the session's state and current step as a checkpoint (creating the
    /// session if needed) and empties the redo stack. Leaves `updated_at` alone.
    pub fn checkpoint(&self, flow_id: &str, session_id: &str, label: Option<&str>) -> Result<()> {
        let key = session_key(flow_id, session_id)?;
        let owner = || describe(flow_id, session_id);
        self.write(
            || format!("checkpoint {}", owner()),
            |tx| {
                let since = feed::latest(tx)?;
                ensure_session(tx, &key, owner)?;
                record_checkpoint(self, tx, &key, label, true)?;
                feed::stacks_changed(tx, &key, since, owner)
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
                let Some((from_seq, target)) = history::top_with_seq(tx, &key, from)? else {
                    return Ok(false);
                };
                let since = feed::latest(tx)?;
                // The entry moves to the other stack in place: its label stays, its
                // snapshot becomes the state it is about to replace.
                let (seq, full) = history::make_room(tx, &key, to, depth)?;
                if let Some(oldest) = full {
                    history::remove(tx, &key, to, oldest)?;
                }
                let current = chunks::save_session_state(self, tx, &key)?;
                let chunks = current.as_ref().map(|(_, ids)| ids.as_str());
                history::rewrite_with_session_state(
                    tx,
                    &key,
                    (from, from_seq),
                    (to, seq),
                    target.label.as_deref(),
                    chunks,
                )?;
                // updated_at moves only when the restore changes the session. A state
                // that was just cut is compared here, not read again by SQLite (?4).
                let sql = format!(
                    "UPDATE workflow_state SET state_json = ?2, current_step = ?3,
                         updated_at = CASE WHEN coalesce(?4, state_json IS ?2) AND current_step IS ?3
                                           THEN updated_at ELSE {NOW} END,
                         {WHOLE_SECOND_CREATED_AT}
                     WHERE flow_session_key = ?1"
                );
                let target_text = target.snapshot_text();
                let same_text = current.map(|(chunked, _)| target_text == Some(chunked.text()));
                execute(tx, &sql, params![key, target_text, target.current_step, same_text], || {
                    format!("restore {}", owner())
                })?;
                // The restored text's cut is where the session's next one starts from.
                if let Some(chunked) = target.chunked {
                    self.chunk_cache().put(&key, chunked.into());
                }
                feed::stacks_changed(tx, &key, since, owner)?;
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
