//! Whole-session undo and redo: a checkpoint records the session's state and current
//! step on the undo stack; undo restores the newest checkpoint and keeps what it
//! replaced on the redo stack (with the same label and meta); redo does the opposite.
//! Both stacks live in `ws_history`, so they survive restarts and are deleted with the
//! row. Large states are kept as shared chunks (`chunks.rs`), small ones inline.
//!
//! What an editor needs beyond that (schema 5):
//! - **Merging.** A checkpoint with a `merge_key` records it on its entry (`merge_key`,
//!   `made_ms`: the writer's clock). The next checkpoint with the same key, less than
//!   `merge_window_ms` after that entry was made and with the redo stack empty, pushes
//!   nothing. Whatever ends the run (an undo, a redo, a checkpoint without that key,
//!   `ws_set_clean`) clears the entry's key: only the newest undo entry ever holds one.
//! - **Versions and the clean mark.** Every state the session passes through has a
//!   version: the revision at which it became the present state. An entry records the
//!   version of the state it holds (`ws_history.version`); `ws_undo` records the present
//!   state's version as of a revision (`present_revision`), and the version marked clean.
//!   A present state whose revision moved on since (an edit by any program) is a new
//!   state, whose version is its revision. So the clean mark is a position, not a copy:
//!   "clean" is true exactly when the present version is the marked one, and once no
//!   entry and not the present holds that version, no state ever will again.
//! - **The byte budget** (`max_history_bytes`): an inline entry counts its snapshot's
//!   bytes, a chunked one the bytes of each of its chunks divided by the number of
//!   entries that list the chunk; both add their meta's bytes.

use crate::chunks;
use crate::error::{quote, Error, Result};
use crate::feed;
use crate::history::{self, describe_key, ensure_session, Content, Entry, Facts, Rewrite, Stack};
use crate::json::{self, Place};
use crate::key::{describe, session_key};
use crate::store::{execute, query_row, Db, Store, NOW, WHOLE_SECOND_CREATED_AT};
use crate::stored;
use crate::Status;
use rusqlite::{params, Connection};
use std::sync::{Arc, Mutex};

/// How long after a merging checkpoint's entry was made the next one with the same key
/// still merges into it, unless the checkpoint says otherwise.
pub const DEFAULT_MERGE_WINDOW_MS: i64 = 1000;
/// The `merge_window_ms` a checkpoint may give.
const MERGE_WINDOWS_MS: std::ops::RangeInclusive<i64> = 0..=i32::MAX as i64;

/// A checkpoint as `ws_checkpoint_with` or `ws_apply`'s `"checkpoint"` describe it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Checkpoint {
    pub label: Option<String>,
    pub merge_key: Option<String>,
    pub merge_window_ms: i64,
    /// The meta's canonical JSON text.
    pub meta: Option<String>,
    /// The 0.1 call `ws_checkpoint`: always pushes, never merges.
    pub always: bool,
}

const CHECKPOINT_MEMBERS: &str = "label, merge_key, merge_window_ms, meta";
const META: Place = Place { enclosing: 0, name: "as a checkpoint's meta" };

impl Checkpoint {
    /// The 0.1 call's checkpoint.
    pub fn always(label: Option<&str>) -> Checkpoint {
        Checkpoint { label: label.map(str::to_string), always: true, ..Checkpoint::default() }
    }

    /// Parses a checkpoint object; `what` names it in messages (`checkpoint_json`, or
    /// `edit_json member "checkpoint"`).
    pub fn parse(object: &str, what: &str) -> Result<Checkpoint> {
        let mut checkpoint = Checkpoint { merge_window_ms: DEFAULT_MERGE_WINDOW_MS, ..Checkpoint::default() };
        let mut seen = Vec::new();
        let mut window = None;
        for (name, raw) in json::members(object, what)? {
            if seen.contains(&name) {
                return Err(Error::invalid_json(format!("{what} has member {} twice", quote(&name))));
            }
            seen.push(name.clone());
            // The hot path (each keystroke's checkpoint) builds no message: a value that
            // reads as expected at once is taken, any other is read again below, which
            // says what is wrong with it.
            let taken = match name.as_ref() {
                "label" => quick_string(raw, true).map(|label| checkpoint.label = label),
                "merge_key" => quick_string(raw, false)
                    .and_then(|key| key.filter(|key| !key.is_empty()))
                    .map(|key| checkpoint.merge_key = Some(key)),
                "merge_window_ms" => serde_json::from_str::<i64>(raw)
                    .ok()
                    .filter(|ms| MERGE_WINDOWS_MS.contains(ms))
                    .map(|ms| window = Some(ms)),
                _ => None,
            };
            if taken.is_some() {
                continue;
            }
            let member = format!("{what} member {}", quote(&name));
            let wrong = |expected: &str| {
                let shown: String = raw.chars().take(80).collect();
                Error::invalid_argument(format!("{member} must be {expected}, got {shown}"))
            };
            match name.as_ref() {
                "label" => {
                    checkpoint.label = string_member(&member, raw, true)
                        .map_err(|e| e.unwrap_or_else(|| wrong("a string or null")))?
                }
                "merge_key" => {
                    checkpoint.merge_key = Some(
                        string_member(&member, raw, false)
                            .map_err(|e| e.unwrap_or_else(|| wrong("a non-empty string")))?
                            .filter(|key| !key.is_empty())
                            .ok_or_else(|| wrong("a non-empty string"))?,
                    )
                }
                "merge_window_ms" => {
                    let value = json::parse_value(raw, &member)?;
                    window =
                        Some(value.as_i64().filter(|ms| MERGE_WINDOWS_MS.contains(ms)).ok_or_else(|| {
                            wrong(&format!(
                                "an integer from {} to {}",
                                MERGE_WINDOWS_MS.start(),
                                MERGE_WINDOWS_MS.end()
                            ))
                        })?);
                }
                "meta" => checkpoint.meta = Some(json::canonical_value(raw, &member, META, true)?),
                _ => {
                    return Err(Error::invalid_argument(format!(
                        "{what} has unknown member {} (known members: {CHECKPOINT_MEMBERS})",
                        quote(&name)
                    )))
                }
            }
        }
        if let Some(ms) = window {
            if checkpoint.merge_key.is_none() {
                return Err(Error::invalid_argument(format!(
                    "{what} has merge_window_ms but no merge_key: only a checkpoint with a merge_key merges"
                )));
            }
            checkpoint.merge_window_ms = ms;
        }
        Ok(checkpoint)
    }
}

/// The checkpoint text a store parsed last, and what it read: an editor passes the same
/// text with every keystroke, and parsing it was a quarter of the instructions of a
/// checkpoint merged into a run. Only texts that parsed are kept, so an error is always
/// the parser's own.
#[derive(Default)]
pub(crate) struct LastCheckpoint(Mutex<Option<(String, Arc<Checkpoint>)>>);

impl LastCheckpoint {
    /// [`Checkpoint::parse`], or what it returned for the same text last time.
    fn parse(&self, text: &str, what: &str) -> Result<Arc<Checkpoint>> {
        let last = || self.0.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((seen, checkpoint)) = &*last() {
            if seen == text {
                return Ok(checkpoint.clone());
            }
        }
        let checkpoint = Arc::new(Checkpoint::parse(text, what)?);
        *last() = Some((text.to_string(), checkpoint.clone()));
        Ok(checkpoint)
    }
}

/// [`string_member`] when the value is what it must be, else None (and no message).
fn quick_string(raw: &str, nullable: bool) -> Option<Option<String>> {
    match serde_json::from_str::<Option<String>>(raw).ok()? {
        None if !nullable => None,
        Some(text) if text.contains('\0') => None,
        value => Some(value),
    }
}

/// A member that is a string (or, if `nullable`, null), stored as a column: no NUL.
/// A value of another type is `Err(None)`, for the caller to say what was expected.
fn string_member(
    member: &str,
    raw: &str,
    nullable: bool,
) -> std::result::Result<Option<String>, Option<Error>> {
    match json::parse_value(raw, member).map_err(Some)? {
        serde_json::Value::Null if nullable => Ok(None),
        serde_json::Value::String(text) => json::column_text(text, member).map(Some).map_err(Some),
        _ => Err(None),
    }
}

/// What a checkpoint did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Recorded {
    Pushed,
    /// Inside a merge run: the run's entry stands for this checkpoint too.
    Merged,
    /// The newest undo entry already holds this state and step.
    Unchanged,
}

/// The newest undo entry's facts, as merging and the no-op rule need them, and whether
/// the redo stack is empty (a pending redo stops a merge).
struct Top {
    seq: i64,
    run: Run,
    made_ms: Option<i64>,
    version: Option<i64>,
    redo_empty: bool,
}

/// The newest undo entry's merge key, against the checkpoint's: only whether they are
/// the same matters, so the key is compared where SQLite holds it, never copied.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Run {
    /// No key: the entry takes no merges.
    Closed,
    /// The checkpoint's own key.
    Same,
    /// Another key: a run the checkpoint ends.
    Other,
}

/// The query of [`undo_top`], a hot statement (`store.rs`). The stacks are written in,
/// not bound: two bindings were a twentieth of a merged keystroke.
const UNDO_TOP_SQL: &str = "SELECT seq, merge_key, made_ms, version,
        NOT EXISTS (SELECT 1 FROM ws_history WHERE flow_session_key = ?1 AND stack = 12)
    FROM ws_history WHERE flow_session_key = ?1 AND stack = 11 ORDER BY seq DESC LIMIT 1";
const _: () = assert!(Stack::Undo as i64 == 11 && Stack::Redo as i64 == 12, "UNDO_TOP_SQL's stacks");

/// One query: all that a keystroke inside a merge run reads, the entry's merge key
/// compared with `wanted`, the checkpoint's.
fn undo_top(conn: &Db, key: &str, wanted: Option<&str>) -> Result<Option<Top>> {
    conn.query_hot(
        UNDO_TOP_SQL,
        [key],
        |row| {
            let merge_key =
                stored::column(row, 1, || format!("the merge key of an entry of {}", describe_key(key)))?;
            Ok(Top {
                seq: row.get(0)?,
                run: match merge_key {
                    None => Run::Closed,
                    Some(found) if Some(&*found) == wanted => Run::Same,
                    Some(_) => Run::Other,
                },
                made_ms: row.get::<_, Option<i64>>(2).ok().flatten(),
                version: row.get::<_, Option<i64>>(3).ok().flatten(),
                redo_empty: row.get(4)?,
            })
        },
        || format!("read the undo stack of {}", describe_key(key)),
    )
}

/// Ends the session's merge run, if one is open: its entry no longer takes merges.
/// Only the newest undo entry ever holds a key, so only it is looked at (a test of
/// every entry read each entry's row: most of the cost of an undo).
fn end_run(conn: &Connection, key: &str) -> Result<()> {
    execute(
        conn,
        "UPDATE ws_history SET merge_key = NULL
         WHERE flow_session_key = ?1 AND stack = ?2 AND merge_key IS NOT NULL
           AND seq = (SELECT max(seq) FROM ws_history WHERE flow_session_key = ?1 AND stack = ?2)",
        params![key, Stack::Undo as i64],
        || format!("end the merge run of {}", describe_key(key)),
    )
    .map(drop)
}

/// A session's undo bookkeeping row: (present_revision, present_version, clean_version).
pub(crate) type Marks = (i64, i64, Option<i64>);

/// The session's undo bookkeeping row.
pub(crate) fn undo_row(conn: &Connection, key: &str) -> Result<Option<Marks>> {
    query_row(
        conn,
        "SELECT present_revision, present_version, clean_version FROM ws_undo WHERE flow_session_key = ?1",
        [key],
        |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
        || format!("read the undo marks of {}", describe_key(key)),
    )
}

/// The version of the present state, at the session's current `revision`.
fn present_version(conn: &Connection, key: &str, revision: i64) -> Result<i64> {
    Ok(present_of(undo_row(conn, key)?, revision))
}

/// [`present_version`] from marks already read: a change since the marks were written
/// (the revision moved on) made a new present state, whose version is that revision.
pub(crate) fn present_of(marks: Option<Marks>, revision: i64) -> i64 {
    match marks {
        Some((at, version, _)) if at == revision => version,
        _ => revision,
    }
}

/// Records that, as of the session's `revision` (its number after the call), the
/// present state is `version`, and, with `clean`, that it is the one marked clean.
fn set_present(conn: &Connection, key: &str, revision: i64, version: i64, clean: bool) -> Result<()> {
    execute(
        conn,
        "INSERT INTO ws_undo (flow_session_key, present_revision, present_version, clean_version)
         VALUES (?1, ?2, ?3, CASE WHEN ?4 THEN ?3 END)
         ON CONFLICT (flow_session_key) DO UPDATE SET present_revision = excluded.present_revision,
             present_version = excluded.present_version,
             clean_version = CASE WHEN ?4 THEN ?3 ELSE clean_version END",
        params![key, revision, version, clean],
        || format!("record the present state of {}", describe_key(key)),
    )
    .map(drop)
}

/// Whether the newest undo entry holds exactly the session's present state and step.
fn top_holds_present(conn: &Connection, key: &str, top: &Top, present: i64) -> Result<bool> {
    if top.version.unwrap_or(0) == present {
        return Ok(true);
    }
    let inline: Option<bool> = query_row(
        conn,
        // Subqueries, not a join: SQLite prepares that join again on every use.
        "SELECT CASE WHEN chunks IS NULL THEN
                 snapshot IS (SELECT state_json FROM workflow_state WHERE flow_session_key = ?1)
                 AND current_step IS (SELECT current_step FROM workflow_state WHERE flow_session_key = ?1) END
         FROM ws_history WHERE flow_session_key = ?1 AND stack = ?2 AND seq = ?3",
        params![key, Stack::Undo as i64, top.seq],
        |row| row.get(0),
        || format!("compare the newest checkpoint of {} with its state", describe_key(key)),
    )?
    .flatten();
    if let Some(same) = inline {
        return Ok(same);
    }
    // A chunked entry: its text put back together, against the stored state.
    let Some(entry) = history::top(conn, key, Stack::Undo)? else { return Ok(false) };
    let same: Option<bool> = query_row(
        conn,
        "SELECT state_json IS ?2 AND current_step IS ?3 FROM workflow_state WHERE flow_session_key = ?1",
        params![key, entry.snapshot_text(), entry.current_step],
        |row| row.get(0),
        || format!("compare the newest checkpoint of {} with its state", describe_key(key)),
    )?;
    Ok(same == Some(true))
}

/// Whether `checkpoint`, made `now`, merges into the run of the newest undo entry `top`.
fn merges(checkpoint: &Checkpoint, top: Option<&Top>, now: i64) -> bool {
    let Some(top) = top else { return false };
    let in_window = top.made_ms.is_some_and(|made| (0..checkpoint.merge_window_ms).contains(&(now - made)));
    !checkpoint.always && top.redo_empty && top.run == Run::Same && in_window
}

/// Records a checkpoint of the session: the row as it is (`exists`), or, for a session
/// that has no row yet, the empty state it is about to be created from. Pushes onto the
/// undo stack and empties the redo stack, unless the checkpoint merges or changes
/// nothing (see the module comment). The caller numbers the change.
pub(crate) fn record_checkpoint(
    store: &Store,
    tx: &Db,
    key: &str,
    checkpoint: &Checkpoint,
    exists: bool,
) -> Result<Recorded> {
    let top = undo_top(tx, key, checkpoint.merge_key.as_deref())?;
    record_on_top(store, tx, key, checkpoint, exists, top, store.options().clock.now_ms())
}

/// [`record_checkpoint`] with the newest undo entry already read, made at `now` (the
/// time that decides a merge is the time the entry records).
fn record_on_top(
    store: &Store,
    tx: &Db,
    key: &str,
    checkpoint: &Checkpoint,
    exists: bool,
    top: Option<Top>,
    now: i64,
) -> Result<Recorded> {
    if merges(checkpoint, top.as_ref(), now) {
        return Ok(Recorded::Merged);
    }
    let revision = if exists { feed::revision(tx, key, || describe_key(key))? } else { 0 };
    if top.as_ref().is_some_and(|top| top.run != Run::Closed) {
        end_run(tx, key)?;
    }
    let present = if exists { Some(present_version(tx, key, revision)?) } else { None };
    if !checkpoint.always {
        if let (Some(top), Some(present)) = (&top, present) {
            if top_holds_present(tx, key, top, present)? {
                return Ok(Recorded::Unchanged);
            }
        }
    }
    let facts = Facts {
        meta: checkpoint.meta.as_deref(),
        made_ms: Some(now),
        merge_key: checkpoint.merge_key.as_deref(),
        version: present,
    };
    let label = checkpoint.label.as_deref();
    // Room first: a chunk is then never found by hash just before the deletion of the
    // last entry that lists it deletes it.
    let room = history::make_room(tx, key, Stack::Undo, store.options().max_history_depth)?;
    if exists {
        let current = chunks::save_session_state(store, tx, key)?;
        let chunks = current.as_ref().map(|(_, ids)| ids.as_str());
        history::push_into(tx, key, Stack::Undo, room, Content::SessionState(label, chunks), facts)?;
    } else {
        let empty = Entry { label, current_step: None, snapshot: Some("{}") };
        history::push_into(tx, key, Stack::Undo, room, Content::Entry(&empty), facts)?;
    }
    history::clear(tx, key, Stack::Redo)?;
    keep_to_budget(store, tx, key)?;
    Ok(Recorded::Pushed)
}

/// The bytes the session's entries of `stack` store, oldest first: (seq, bytes).
fn entry_bytes(conn: &Connection, key: &str, stack: Stack) -> Result<Vec<(i64, f64)>> {
    let doing = || format!("count the bytes of the {} stack of {}", stack.name(), describe_key(key));
    let mut stmt = conn
        .prepare_cached(
            "SELECT h.seq, coalesce(octet_length(h.snapshot), 0) + coalesce(octet_length(h.meta), 0)
                 + coalesce((SELECT sum(CAST(octet_length(d.data) AS REAL) / max(c.refs, 1))
                             FROM json_each(h.chunks) AS j JOIN ws_chunk AS c ON c.id = j.value
                             JOIN ws_chunk_data AS d ON d.id = c.id), 0)
             FROM ws_history AS h WHERE h.flow_session_key = ?1 AND h.stack = ?2 ORDER BY h.seq",
        )
        .map_err(|e| Error::sqlite(&doing(), e))?;
    let rows = stmt
        .query_map(params![key, stack as i64], |row| Ok((row.get(0)?, row.get(1)?)))
        .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
        .map_err(|e| Error::sqlite(&doing(), e))?;
    Ok(rows)
}

/// Trims the session's undo and redo stacks to `max_history_bytes`: the oldest undo
/// entries first, then the oldest redo entries, never the newest of either.
fn keep_to_budget(store: &Store, tx: &Db, key: &str) -> Result<()> {
    let budget = store.options().max_history_bytes;
    if budget == 0 {
        return Ok(());
    }
    loop {
        let undo = entry_bytes(tx, key, Stack::Undo)?;
        let redo = entry_bytes(tx, key, Stack::Redo)?;
        let total: f64 = undo.iter().chain(&redo).map(|(_, bytes)| bytes).sum();
        if total <= budget as f64 {
            return Ok(());
        }
        // Each deletion changes the shares of the chunks it listed: count again.
        let (stack, seq) = match (undo.len() > 1, redo.len() > 1) {
            (true, _) => (Stack::Undo, undo[0].0),
            (false, true) => (Stack::Redo, redo[0].0),
            (false, false) => return Ok(()),
        };
        history::remove(tx, key, stack, seq)?;
    }
}

/// What an undo or a redo did: `{"done":..,"label":..,"meta":..,"revision":..}`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Travel {
    pub done: bool,
    pub label: Option<String>,
    /// The entry's meta, as JSON text.
    pub meta: Option<String>,
    pub revision: i64,
}

impl Travel {
    pub fn to_json(&self) -> String {
        let mut out = String::from("{\"done\":");
        out.push_str(if self.done { "true" } else { "false" });
        out.push_str(",\"label\":");
        push_text(&mut out, self.label.as_deref());
        out.push_str(",\"meta\":");
        out.push_str(self.meta.as_deref().unwrap_or("null"));
        out.push_str(",\"revision\":");
        out.push_str(&self.revision.to_string());
        out.push('}');
        out
    }
}

fn push_text(out: &mut String, text: Option<&str>) {
    match text {
        Some(text) => json::push_string(out, text),
        None => out.push_str("null"),
    }
}

impl Store {
    /// Records the session's state and current step as a checkpoint (creating the
    /// session if needed) and empties the redo stack. Leaves `updated_at` alone. The 0.1
    /// call: always pushes.
    pub fn checkpoint(&self, flow_id: &str, session_id: &str, label: Option<&str>) -> Result<()> {
        self.checkpoint_with(flow_id, session_id, &Checkpoint::always(label)).map(drop)
    }

    /// `ws_checkpoint_with`: `checkpoint_json` as `Checkpoint::parse` reads it (`None`:
    /// no label, no merge key, no meta).
    pub fn checkpoint_json(
        &self,
        flow_id: &str,
        session_id: &str,
        checkpoint_json: Option<&str>,
    ) -> Result<()> {
        let checkpoint = match checkpoint_json {
            Some(text) => self.last_checkpoint().parse(text, "checkpoint_json")?,
            None => Arc::default(),
        };
        self.checkpoint_with(flow_id, session_id, &checkpoint).map(drop)
    }

    pub(crate) fn checkpoint_with(
        &self,
        flow_id: &str,
        session_id: &str,
        checkpoint: &Checkpoint,
    ) -> Result<Recorded> {
        let key = session_key(flow_id, session_id)?;
        let owner = || describe(flow_id, session_id);
        // A keystroke inside a run is the hot path, and writes nothing: one query
        // decides it, without a write transaction. Otherwise the write below decides
        // again, in its transaction, by the same time (one clock reading a call: the
        // time that decides is the time the entry records).
        let now = self.options().clock.now_ms();
        if checkpoint.merge_key.is_some()
            && !self.options().read_only
            && self.read_before_write(|conn| {
                Ok(merges(checkpoint, undo_top(conn, &key, checkpoint.merge_key.as_deref())?.as_ref(), now))
            })?
        {
            return Ok(Recorded::Merged);
        }
        self.write(
            || format!("checkpoint {}", owner()),
            |tx| {
                let top = undo_top(tx, &key, checkpoint.merge_key.as_deref())?;
                if merges(checkpoint, top.as_ref(), now) {
                    return Ok(Recorded::Merged);
                }
                let since = feed::latest(tx)?;
                ensure_session(tx, &key, owner)?;
                // A session just created has a new present state, numbered since.
                let revision = feed::revision(tx, &key, owner)?;
                let present = present_version(tx, &key, revision)?;
                let recorded = record_on_top(self, tx, &key, checkpoint, true, top, now)?;
                if recorded == Recorded::Pushed || revision > since {
                    let revision = feed::stacks_changed(tx, &key, since, owner)?;
                    set_present(tx, &key, revision, present, false)?;
                }
                Ok(recorded)
            },
        )
    }

    /// Restores the newest checkpoint, keeping the state it replaces for redo. `false`
    /// (and nothing changed) when there is nothing to undo.
    pub fn undo(&self, flow_id: &str, session_id: &str) -> Result<bool> {
        self.travel(flow_id, session_id, Stack::Undo, Stack::Redo).map(|t| t.done)
    }

    /// Re-applies the newest undone state, keeping the state it replaces for undo.
    /// `false` (and nothing changed) when there is nothing to redo.
    pub fn redo(&self, flow_id: &str, session_id: &str) -> Result<bool> {
        self.travel(flow_id, session_id, Stack::Redo, Stack::Undo).map(|t| t.done)
    }

    /// `ws_undo_with`: an undo, with the label and meta of the entry it moved.
    pub fn undo_with(&self, flow_id: &str, session_id: &str) -> Result<Travel> {
        self.travel(flow_id, session_id, Stack::Undo, Stack::Redo)
    }

    /// `ws_redo_with`: a redo, with the label and meta of the entry it moved.
    pub fn redo_with(&self, flow_id: &str, session_id: &str) -> Result<Travel> {
        self.travel(flow_id, session_id, Stack::Redo, Stack::Undo)
    }

    /// Undo and redo are the same move in opposite directions: pop `from`, push the
    /// current state onto `to` under the popped entry's label and meta, restore the
    /// popped state.
    fn travel(&self, flow_id: &str, session_id: &str, from: Stack, to: Stack) -> Result<Travel> {
        let key = session_key(flow_id, session_id)?;
        let owner = || describe(flow_id, session_id);
        let depth = self.options().max_history_depth;
        self.write(
            || format!("{} {}", if from == Stack::Undo { "undo" } else { "redo" }, owner()),
            |tx| {
                let revision = feed::revision(tx, &key, owner)?;
                let Some((from_seq, target)) = history::top_with_seq(tx, &key, from)? else {
                    return Ok(Travel { revision, ..Travel::default() });
                };
                if let Some(meta) = &target.meta {
                    check_meta(meta, &key, from)?;
                }
                let since = feed::latest(tx)?;
                let present = present_version(tx, &key, revision)?;
                // The entry moves to the other stack in place: its label and meta stay,
                // its snapshot becomes the state it is about to replace, and its merge
                // key goes, which ends the run: on an undo the entry moved is the newest
                // undo entry, the only one that can hold a key, and while the redo stack
                // holds entries no undo entry does.
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
                    Rewrite::Moved { version: Some(present) },
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
                keep_to_budget(self, tx, &key)?;
                let revision = feed::stacks_changed(tx, &key, since, owner)?;
                // An entry from before schema 5 holds a state of no known version: a new one.
                set_present(tx, &key, revision, target.version.unwrap_or(revision), false)?;
                Ok(Travel { done: true, label: target.label, meta: target.meta, revision })
            },
        )
    }

    /// `ws_set_clean`: marks the session's present state as the saved one, and ends its
    /// merge run. A change (it takes a revision) unless that state was already marked.
    pub fn set_clean(&self, flow_id: &str, session_id: &str) -> Result<()> {
        let key = session_key(flow_id, session_id)?;
        let owner = || describe(flow_id, session_id);
        self.write(
            || format!("mark {} clean", owner()),
            |tx| {
                let revision = feed::revision(tx, &key, owner)?;
                if revision == 0 {
                    return Err(Error::new(
                        Status::NotFound,
                        format!("{} does not exist: there is no state to mark clean", owner()),
                    ));
                }
                end_run(tx, &key)?;
                let marks = undo_row(tx, &key)?;
                let present = present_of(marks, revision);
                // `unwrap_or(0)`, not `== Some(present)`: the optimised comparison reads the
                // number of a `None` before its tag, which valgrind reports (versions
                // are revisions, never 0).
                if marks.is_some_and(|(_, _, clean)| clean.unwrap_or(0) == present) {
                    return Ok(());
                }
                let since = feed::latest(tx)?;
                let revision = feed::stacks_changed(tx, &key, since, owner)?;
                set_present(tx, &key, revision, present, true)
            },
        )
    }

    /// `{"undo_depth":N,"redo_depth":N,"undo_label":str|null,"redo_label":str|null,
    /// "undo_meta":any|null,"redo_meta":any|null,"clean":bool}`: the labels and metas
    /// are those of the entries an undo or a redo would move next.
    pub fn undo_status(&self, flow_id: &str, session_id: &str) -> Result<String> {
        let key = session_key(flow_id, session_id)?;
        // One statement, one row: a status is read on every redraw of an Edit menu,
        // and each statement more costs a lookup, a bind and a step (about 1 us).
        let status = self.read_snapshot(|conn| {
            conn.query_hot(
                "SELECT (SELECT count(*) FROM ws_history WHERE flow_session_key = ?1 AND stack = ?2),
                     (SELECT count(*) FROM ws_history WHERE flow_session_key = ?1 AND stack = ?3),
                     (SELECT label FROM ws_history WHERE flow_session_key = ?1 AND stack = ?2 ORDER BY seq DESC LIMIT 1),
                     (SELECT label FROM ws_history WHERE flow_session_key = ?1 AND stack = ?3 ORDER BY seq DESC LIMIT 1),
                     (SELECT meta FROM ws_history WHERE flow_session_key = ?1 AND stack = ?2 ORDER BY seq DESC LIMIT 1),
                     (SELECT meta FROM ws_history WHERE flow_session_key = ?1 AND stack = ?3 ORDER BY seq DESC LIMIT 1),
                     -- The clean mark, at the session's revision (see `present_version`).
                     coalesce((SELECT u.clean_version = CASE WHEN u.present_revision = c.seq
                                                             THEN u.present_version ELSE c.seq END
                               FROM ws_undo AS u, ws_change AS c
                               WHERE u.flow_session_key = ?1 AND c.flow_session_key = ?1
                                 AND c.deleted_at IS NULL), 0)",
                params![key, Stack::Undo as i64, Stack::Redo as i64],
                |row| {
                    let mut out = String::with_capacity(128);
                    out.push_str("{\"undo_depth\":");
                    out.push_str(&row.get::<_, i64>(0)?.to_string());
                    out.push_str(",\"redo_depth\":");
                    out.push_str(&row.get::<_, i64>(1)?.to_string());
                    for (idx, name) in [(2, "undo_label"), (3, "redo_label"), (4, "undo_meta"), (5, "redo_meta")] {
                        let stack = if idx % 2 == 0 { Stack::Undo } else { Stack::Redo };
                        let column = if idx < 4 { "label" } else { "meta" };
                        let what = || {
                            format!(
                                "the {column} of the newest entry of the {} stack of {}",
                                stack.name(),
                                describe_key(&key)
                            )
                        };
                        let text = stored::column(row, idx, what)?;
                        out.push_str(",\"");
                        out.push_str(name);
                        out.push_str("\":");
                        match text.as_deref() {
                            None => out.push_str("null"),
                            Some(label) if idx < 4 => json::push_string(&mut out, label),
                            Some(meta) => {
                                stored::carry(idx, check_meta(meta, &key, stack))?;
                                out.push_str(meta);
                            }
                        }
                    }
                    out.push_str(if row.get::<_, bool>(6)? { ",\"clean\":true}" } else { ",\"clean\":false}" });
                    Ok(out)
                },
                || format!("read the undo status of {}", describe_key(&key)),
            )
        })?;
        Ok(status.unwrap_or_default())
    }
}

/// Refuses a stored meta that is not JSON (another program may have written it).
fn check_meta(meta: &str, key: &str, stack: Stack) -> Result<()> {
    if serde_json::from_str::<&serde_json::value::RawValue>(meta).is_err() {
        return Err(Error::corrupt(format!(
            "the meta of the newest entry of the {} stack of {} is not JSON",
            stack.name(),
            describe_key(key)
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Clock, Options, MEMORY_PATH};
    use std::sync::atomic::{AtomicI64, Ordering};
    use std::sync::Arc;

    /// A store whose checkpoints read the time from the returned cell.
    fn store_with_clock(options: Options) -> (Store, Arc<AtomicI64>) {
        store_with_clock_at(MEMORY_PATH, options)
    }

    /// [`store_with_clock`] on the file `path`.
    fn store_with_clock_at(path: &str, options: Options) -> (Store, Arc<AtomicI64>) {
        let now = Arc::new(AtomicI64::new(1_000_000));
        let clock = now.clone();
        let options = Options { clock: Clock::new(move || clock.load(Ordering::SeqCst)), ..options };
        (Store::open(path, options).unwrap(), now)
    }

    /// The store remembers the last checkpoint text it parsed: a text seen before reads
    /// as it did, another text (even after the remembered one) is parsed on its own, and
    /// a wrong one fails every time.
    #[test]
    fn each_checkpoint_text_reads_as_written_whatever_came_before() {
        let store = Store::open(MEMORY_PATH, Options::default()).unwrap();
        let label = |store: &Store| status(store)["undo_label"].clone();
        store.checkpoint_json("f", "s", Some(r#"{"label":"one","merge_key":"k"}"#)).unwrap();
        assert_eq!(label(&store), "one");
        let wrong = r#"{"label":"one","merge_key":"k","extra":1}"#;
        for _ in 0..2 {
            let error = store.checkpoint_json("f", "s", Some(wrong)).unwrap_err();
            assert_eq!(error.status, Status::InvalidArgument);
            assert!(error.message.contains("unknown member \"extra\""), "{}", error.message);
        }
        store.update_state("f", "s", r#"{"x":1}"#).unwrap();
        store.checkpoint_json("f", "s", Some(r#"{"label":"one","merge_key":"k"}"#)).unwrap();
        assert_eq!(status(&store)["undo_depth"], 1, "merged into the run the same text opened");
        store.checkpoint_json("f", "s", Some(r#"{"label":"two"}"#)).unwrap();
        assert_eq!((status(&store)["undo_depth"].clone(), label(&store)), (2.into(), "two".into()));
    }

    fn status(store: &Store) -> serde_json::Value {
        serde_json::from_str(&store.undo_status("f", "s").unwrap()).unwrap()
    }

    fn type_key(store: &Store, text: &str) {
        store.checkpoint_json("f", "s", Some(r#"{"label":"Typing","merge_key":"typing"}"#)).unwrap();
        store.update_state("f", "s", &format!(r#"{{"text":"{text}"}}"#)).unwrap();
    }

    /// A keystroke inside a run writes nothing, so it must not wait for the file's
    /// write lock: while another connection holds it (another process saving), the
    /// merged checkpoint returns at once, where a write gets WS_BUSY; a checkpoint that
    /// has to push still waits and reports it.
    #[test]
    fn a_merged_checkpoint_does_not_wait_for_another_writer() {
        let path = crate::store::scratch_file("undo", "merge-lock.db");
        let (store, now) = store_with_clock_at(&path, Options { busy_timeout_ms: 0, ..Options::default() });
        type_key(&store, "a");
        let other = rusqlite::Connection::open(&path).unwrap();
        other.execute_batch("BEGIN IMMEDIATE").unwrap();
        store.checkpoint_json("f", "s", Some(r#"{"label":"Typing","merge_key":"typing"}"#)).unwrap();
        assert_eq!(store.update_state("f", "s", r#"{"text":"ab"}"#).unwrap_err().status, Status::Busy);
        now.fetch_add(DEFAULT_MERGE_WINDOW_MS, Ordering::SeqCst);
        let pushed = store.checkpoint_json("f", "s", Some(r#"{"label":"Typing","merge_key":"typing"}"#));
        assert_eq!(pushed.unwrap_err().status, Status::Busy);
        other.execute_batch("ROLLBACK").unwrap();
        assert_eq!(status(&store)["undo_depth"], 1);
    }

    #[test]
    fn keystrokes_inside_the_window_of_the_runs_first_entry_merge() {
        let (store, now) = store_with_clock(Options::default());
        type_key(&store, "a");
        now.fetch_add(400, Ordering::SeqCst);
        type_key(&store, "ab");
        now.fetch_add(400, Ordering::SeqCst);
        type_key(&store, "abc");
        assert_eq!(status(&store)["undo_depth"], 1, "three keystrokes within 1 s of the first: one step");
        // 1,000 ms after the run's entry was made (not after the last keystroke): a new step.
        now.fetch_add(200, Ordering::SeqCst);
        type_key(&store, "abcd");
        assert_eq!(status(&store)["undo_depth"], 2);
        assert!(store.undo("f", "s").unwrap());
        assert_eq!(store.get_state("f", "s").unwrap(), r#"{"text":"abc"}"#);
        assert!(store.undo("f", "s").unwrap());
        assert_eq!(store.get_state("f", "s").unwrap(), "{}");
    }

    #[test]
    fn an_undo_a_redo_another_key_or_set_clean_ends_the_run() {
        let (store, now) = store_with_clock(Options::default());
        let enders: [&dyn Fn(&Store); 4] = [
            &|s| {
                s.undo("f", "s").unwrap();
                s.redo("f", "s").unwrap();
            },
            // These two push nothing (the run's entry holds the state), and still end it.
            &|s| s.checkpoint_json("f", "s", Some(r#"{"merge_key":"other"}"#)).unwrap(),
            &|s| s.checkpoint_json("f", "s", None).unwrap(),
            &|s| s.set_clean("f", "s").unwrap(),
        ];
        for (i, end) in enders.iter().enumerate() {
            now.fetch_add(10_000, Ordering::SeqCst);
            store.update_state("f", "s", &format!(r#"{{"before":{i}}}"#)).unwrap();
            store.checkpoint_json("f", "s", Some(r#"{"merge_key":"typing"}"#)).unwrap();
            let depth = status(&store)["undo_depth"].as_i64().unwrap();
            end(&store);
            assert_eq!(status(&store)["undo_depth"].as_i64().unwrap(), depth, "ender {i}");
            store.update_state("f", "s", &format!(r#"{{"mid":{i}}}"#)).unwrap();
            type_key(&store, &format!("y{i}"));
            assert_eq!(status(&store)["undo_depth"].as_i64().unwrap(), depth + 1, "ender {i}");
            // Without an ender, the next keystroke merges.
            type_key(&store, &format!("z{i}"));
            assert_eq!(status(&store)["undo_depth"].as_i64().unwrap(), depth + 1, "ender {i}");
        }
    }

    #[test]
    fn a_pending_redo_stops_a_merge() {
        let (store, _) = store_with_clock(Options::default());
        type_key(&store, "a");
        store.checkpoint_json("f", "s", Some(r#"{"label":"Bold"}"#)).unwrap();
        store.update_state("f", "s", r#"{"bold":true}"#).unwrap();
        assert!(store.undo("f", "s").unwrap());
        // The newest undo entry is the typing run's, but the redo stack is not empty.
        type_key(&store, "ab");
        assert_eq!(status(&store)["undo_depth"], 2);
        assert_eq!(status(&store)["redo_depth"], 0);
    }

    #[test]
    fn a_checkpoint_equal_to_the_newest_entry_pushes_nothing_and_takes_no_revision() {
        let (store, _) = store_with_clock(Options::default());
        store.update_state("f", "s", r#"{"a":1}"#).unwrap();
        store.checkpoint_json("f", "s", Some(r#"{"label":"one"}"#)).unwrap();
        let revision = store.get_revision("f", "s").unwrap();
        store.checkpoint_json("f", "s", Some(r#"{"label":"two"}"#)).unwrap();
        assert_eq!(store.get_revision("f", "s").unwrap(), revision);
        assert_eq!(status(&store)["undo_label"], "one");
        // Equal by content too, after an edit and its reversal.
        store.update_state("f", "s", r#"{"a":2}"#).unwrap();
        store.update_state("f", "s", r#"{"a":1}"#).unwrap();
        let revision = store.get_revision("f", "s").unwrap();
        store.checkpoint_json("f", "s", None).unwrap();
        assert_eq!(
            (status(&store)["undo_depth"].clone(), store.get_revision("f", "s").unwrap()),
            (1.into(), revision)
        );
        // The 0.1 call always pushes.
        store.checkpoint("f", "s", Some("again")).unwrap();
        assert_eq!(status(&store)["undo_depth"], 2);
        // A changed step is a change.
        store.set_current_step("f", "s", "x").unwrap();
        store.checkpoint_json("f", "s", None).unwrap();
        assert_eq!(status(&store)["undo_depth"], 3);
    }

    #[test]
    fn the_clean_mark_is_a_position_in_the_history() {
        let (store, _) = store_with_clock(Options { max_history_depth: 3, ..Options::default() });
        store.update_state("f", "s", r#"{"v":0}"#).unwrap();
        assert_eq!(status(&store)["clean"], false, "never marked");
        store.set_clean("f", "s").unwrap();
        assert_eq!(status(&store)["clean"], true);
        store.checkpoint_json("f", "s", Some(r#"{"label":"one"}"#)).unwrap();
        assert_eq!(status(&store)["clean"], true, "a checkpoint alone leaves it");
        store.update_state("f", "s", r#"{"v":1}"#).unwrap();
        assert_eq!(status(&store)["clean"], false, "an edit after it");
        store.undo("f", "s").unwrap();
        assert_eq!(status(&store)["clean"], true, "undo back to it");
        store.redo("f", "s").unwrap();
        assert_eq!(status(&store)["clean"], false);
        store.undo("f", "s").unwrap();
        assert_eq!(status(&store)["clean"], true);
        store.update_state("f", "s", r#"{"v":1}"#).unwrap();
        store.update_state("f", "s", r#"{"v":0}"#).unwrap();
        assert_eq!(status(&store)["clean"], false, "the same text written again is another state");
        // Redo to it: mark a state, undo away from it, redo back.
        store.checkpoint_json("f", "s", None).unwrap();
        store.update_state("f", "s", r#"{"v":1}"#).unwrap();
        store.set_clean("f", "s").unwrap();
        store.undo("f", "s").unwrap();
        assert_eq!(status(&store)["clean"], false);
        store.redo("f", "s").unwrap();
        assert_eq!(status(&store)["clean"], true, "redo to it");
        // Discarding the redo branch that held it: unreachable for good.
        store.undo("f", "s").unwrap();
        store.checkpoint_json("f", "s", Some(r#"{"label":"branch"}"#)).unwrap();
        store.update_state("f", "s", r#"{"v":2}"#).unwrap();
        for _ in 0..3 {
            store.undo("f", "s").unwrap();
            assert_eq!(status(&store)["clean"], false);
        }
        // Trimming the entry that held it: unreachable for good.
        store.set_clean("f", "s").unwrap();
        for v in 10..14 {
            store.checkpoint_json("f", "s", None).unwrap();
            store.update_state("f", "s", &format!(r#"{{"v":{v}}}"#)).unwrap();
        }
        while store.undo("f", "s").unwrap() {
            assert_eq!(status(&store)["clean"], false);
        }
    }

    #[test]
    fn meta_moves_with_its_entry() {
        let (store, _) = store_with_clock(Options::default());
        store
            .checkpoint_json("f", "s", Some(r#"{"label":"Typing","meta":{"cursor":[1, 2]},"merge_key":"t"}"#))
            .unwrap();
        store.update_state("f", "s", r#"{"t":"a"}"#).unwrap();
        let s = status(&store);
        assert_eq!(
            (s["undo_meta"].to_string(), s["redo_meta"].clone()),
            (r#"{"cursor":[1,2]}"#.into(), serde_json::Value::Null)
        );
        let undo = store.undo_with("f", "s").unwrap();
        assert_eq!(
            undo.to_json(),
            format!(
                r#"{{"done":true,"label":"Typing","meta":{{"cursor":[1,2]}},"revision":{}}}"#,
                undo.revision
            )
        );
        assert_eq!(undo.revision, store.get_revision("f", "s").unwrap());
        assert_eq!(status(&store)["redo_meta"].to_string(), r#"{"cursor":[1,2]}"#);
        let redo = store.redo_with("f", "s").unwrap();
        assert_eq!(
            (redo.label.as_deref(), redo.meta.as_deref()),
            (Some("Typing"), Some(r#"{"cursor":[1,2]}"#))
        );
        store.undo("f", "s").unwrap();
        store.undo("f", "s").unwrap();
        let nothing = store.undo_with("f", "s").unwrap();
        assert_eq!(
            nothing.to_json(),
            format!(r#"{{"done":false,"label":null,"meta":null,"revision":{}}}"#, nothing.revision)
        );
    }

    #[test]
    fn the_byte_budget_trims_the_oldest_undo_then_redo_entries_and_keeps_each_newest() {
        let (store, _) = store_with_clock(Options { max_history_bytes: 100, ..Options::default() });
        let state = |i: usize| format!(r#"{{"pad":"{}"}}"#, "x".repeat(30 + i));
        for i in 0..6 {
            store.checkpoint_json("f", "s", None).unwrap();
            store.update_state("f", "s", &state(i)).unwrap();
        }
        // Entries of about 40 bytes: two fit.
        assert_eq!(status(&store)["undo_depth"], 2);
        for _ in 0..2 {
            store.undo("f", "s").unwrap();
        }
        let s = status(&store);
        assert_eq!((s["undo_depth"].clone(), s["redo_depth"].clone()), (0.into(), 2.into()));
        // A single entry over the budget stays.
        store.checkpoint_json("f", "s", Some(&format!(r#"{{"meta":"{}"}}"#, "m".repeat(500)))).unwrap();
        assert_eq!(status(&store)["undo_depth"], 1);
    }

    /// A file of schema 4 (before undo for editors) reads as it is through a read-only
    /// store and is migrated in place by a writable one; its entries stay restorable.
    #[test]
    fn a_version_4_file_reads_read_only_and_migrates() {
        let path = crate::store::scratch_file("undo", "v4.db");
        {
            let store = Store::open(&path, Options::default()).unwrap();
            store.update_state("f", "s", r#"{"v":1}"#).unwrap();
            store.checkpoint("f", "s", Some("old")).unwrap();
            store.update_state("f", "s", r#"{"v":2}"#).unwrap();
        }
        {
            let conn = rusqlite::Connection::open(&path).unwrap();
            conn.execute_batch(
                "DROP TRIGGER ws_undo_deleted_with_session; DROP TABLE ws_undo;
                 ALTER TABLE ws_history DROP COLUMN meta; ALTER TABLE ws_history DROP COLUMN made_ms;
                 ALTER TABLE ws_history DROP COLUMN merge_key; ALTER TABLE ws_history DROP COLUMN version;
                 PRAGMA user_version = 4;",
            )
            .unwrap();
        }
        let expected = r#"{"undo_depth":1,"redo_depth":0,"undo_label":"old","redo_label":null,"undo_meta":null,"redo_meta":null,"clean":false}"#;
        let reader = Store::open(&path, Options { read_only: true, ..Options::default() }).unwrap();
        assert_eq!(reader.undo_status("f", "s").unwrap(), expected);
        drop(reader);
        let store = Store::open(&path, Options::default()).unwrap();
        assert_eq!(store.undo_status("f", "s").unwrap(), expected);
        let undone = store.undo_with("f", "s").unwrap();
        assert_eq!((undone.done, undone.label.as_deref(), undone.meta), (true, Some("old"), None));
        assert_eq!(store.get_state("f", "s").unwrap(), r#"{"v":1}"#);
        store.set_clean("f", "s").unwrap();
        store.checkpoint_json("f", "s", Some(r#"{"meta":[1]}"#)).unwrap();
        assert!(store
            .undo_status("f", "s")
            .unwrap()
            .ends_with(r#""undo_meta":[1],"redo_meta":null,"clean":true}"#));
    }

    /// Another program may write anything into an entry's label or meta: the status
    /// and the undo that would hand it out say which entry is damaged, and change nothing.
    #[test]
    fn a_damaged_label_or_meta_is_corrupt_and_changes_nothing() {
        let path = crate::store::scratch_file("undo", "damaged.db");
        let store = Store::open(&path, Options::default()).unwrap();
        store.update_state("f", "s", r#"{"v":1}"#).unwrap();
        store.checkpoint_json("f", "s", Some(r#"{"label":"Edit","meta":{"cursor":1}}"#)).unwrap();
        store.update_state("f", "s", r#"{"v":2}"#).unwrap();
        let other = rusqlite::Connection::open(&path).unwrap();
        let revision = store.get_revision("f", "s").unwrap();
        for (damage, message) in [
            (
                "meta = '{\"cursor\":'",
                "the meta of the newest entry of the undo stack of session \"s\" of flow \"f\" is not JSON",
            ),
            (
                "label = X'FF'",
                "the label of the newest entry of the undo stack of session \"s\" of flow \"f\" is not UTF-8",
            ),
        ] {
            other
                .execute_batch(&format!(
                    "UPDATE ws_history SET label = 'Edit', meta = '{{}}'; UPDATE ws_history SET {damage}"
                ))
                .unwrap();
            let err = store.undo_status("f", "s").unwrap_err();
            assert_eq!(err.status, Status::Corrupt, "{err:?}");
            assert!(err.message.contains(message), "{}", err.message);
            let err = store.undo_with("f", "s").unwrap_err();
            assert_eq!(err.status, Status::Corrupt, "{err:?}");
            assert_eq!(store.get_state("f", "s").unwrap(), r#"{"v":2}"#);
            assert_eq!(store.get_revision("f", "s").unwrap(), revision);
        }
    }

    #[test]
    fn bad_checkpoint_objects_are_refused_and_change_nothing() {
        let (store, _) = store_with_clock(Options::default());
        for (bad, status) in [
            ("[]", Status::InvalidJson),
            (r#"{"label":1}"#, Status::InvalidArgument),
            (r#"{"merge_key":""}"#, Status::InvalidArgument),
            (r#"{"merge_key":"k","merge_window_ms":-1}"#, Status::InvalidArgument),
            (r#"{"merge_window_ms":5}"#, Status::InvalidArgument),
            (r#"{"meta":1,"meta":2}"#, Status::InvalidJson),
            (r#"{"colour":"red"}"#, Status::InvalidArgument),
            (r#"{"label":"a\u0000b"}"#, Status::InvalidArgument),
        ] {
            let err = store.checkpoint_json("f", "s", Some(bad)).unwrap_err();
            assert_eq!(err.status, status, "{bad}: {}", err.message);
        }
        assert_eq!(store.latest_seq().unwrap(), 0);
        assert_eq!(store.set_clean("f", "s").unwrap_err().status, Status::NotFound);
    }
}
