//! History: the cjm `push_history` / `pop_history` functions on JSON text, and the
//! persisted stacks kept per session in `ws_history` (the `ws_history_*` snapshot stack
//! here; the undo and redo stacks are used by `undo.rs`).

use crate::chunks::{self, Chunked};
use crate::error::{quote, Error, Result};
use crate::feed;
use crate::json;
use crate::key::{describe, session_key};
use crate::store::{execute, query_row, Store, NOW};
use crate::stored;
use rusqlite::{params, Connection};

/// The seq of the first entry of a stack: seqs from 2^23 to 2^31 all take four bytes in
/// a record (see `Stack`), and that leaves two billion pushes per stack.
const FIRST_SEQ: i64 = 1 << 23;

/// Which stack of a session an entry belongs to (the `stack` column).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Stack {
    // Codes from 10 and seqs from FIRST_SEQ keep every entry's stored record the same
    // size whichever stack and position it is on (SQLite stores 0 and 1 in no bytes,
    // small numbers in fewer bytes than large ones). An entry that moves between
    // stacks, or a row reused for a new entry, is then rewritten in place, and SQLite
    // writes only the pages whose bytes change instead of the whole snapshot.
    Snapshots = 10,
    Undo = 11,
    Redo = 12,
}

impl Stack {
    /// The stack's name in messages: "the undo stack of session ...".
    pub fn name(self) -> &'static str {
        match self {
            Stack::Snapshots => "history",
            Stack::Undo => "undo",
            Stack::Redo => "redo",
        }
    }
}

/// Names a session by its key for messages: flow ids hold no ':', so a key splits one
/// way only.
pub(crate) fn describe_key(key: &str) -> String {
    match key.split_once(':') {
        Some((flow_id, session_id)) => describe(flow_id, session_id),
        None => format!("session key {}", quote(key)),
    }
}

/// "the undo stack of session "s" of flow "f"", for messages.
fn describe_stack(key: &str, stack: Stack) -> String {
    format!("the {} stack of {}", stack.name(), describe_key(key))
}

/// One stack entry. For undo and redo entries `snapshot` is the session's `state_json`
/// text exactly as it was stored, and `current_step` its step.
pub(crate) struct Entry<'a> {
    pub label: Option<&'a str>,
    pub current_step: Option<&'a str>,
    pub snapshot: Option<&'a str>,
}

/// An entry as read back: its snapshot inline or, when it was stored as chunks, put
/// back together with its cut (which the store remembers for the session's next one).
/// Every text in it was read by the rule of `stored.rs`: UTF-8 without a NUL byte, so
/// it can be handed out or restored as it is.
pub(crate) struct StoredEntry {
    pub label: Option<String>,
    pub current_step: Option<String>,
    pub snapshot: Option<String>,
    pub chunked: Option<Chunked>,
    /// Undo for editors' columns (see `undo.rs`): the meta as stored (not checked to be
    /// JSON here) and the version of the state the entry holds.
    pub meta: Option<String>,
    pub version: Option<i64>,
}

impl StoredEntry {
    /// The snapshot's text, wherever it was kept.
    pub fn snapshot_text(&self) -> Option<&str> {
        self.chunked.as_ref().map(Chunked::text).or(self.snapshot.as_deref())
    }

    pub fn into_snapshot(self) -> Option<String> {
        match self.chunked {
            Some(chunked) => Some(chunked.text().to_string()),
            None => self.snapshot,
        }
    }
}

/// Creates the session's row if it does not exist, without touching an existing one
/// (history calls leave `updated_at` alone).
pub(crate) fn ensure_session(conn: &Connection, key: &str, owner: impl Fn() -> String) -> Result<()> {
    let sql = format!(
        "INSERT INTO workflow_state (flow_session_key, created_at, updated_at) VALUES (?1, {NOW}, {NOW})
         ON CONFLICT(flow_session_key) DO NOTHING"
    );
    execute(conn, &sql, [key], || format!("create {}", owner())).map(drop)
}

/// What an undo or redo entry records besides its snapshot (all `None` on the history
/// stack; see `undo.rs`): the application's meta (JSON text), when it was made (the
/// writer's clock, ms), the merge key of a run still open, and the version of the state
/// its snapshot holds.
#[derive(Clone, Copy, Default)]
pub(crate) struct Facts<'a> {
    pub meta: Option<&'a str>,
    pub made_ms: Option<i64>,
    pub merge_key: Option<&'a str>,
    pub version: Option<i64>,
}

/// What a new stack entry holds.
pub(crate) enum Content<'a> {
    /// These values.
    Entry(&'a Entry<'a>),
    /// These values, with the snapshot kept as these chunks (`chunks::save_text`'s list of
    /// ids) instead of inline: the entry's own `snapshot` is not written.
    Chunked(&'a Entry<'a>, &'a str),
    /// The session's current step and state text, exactly as stored, under this label:
    /// copied inside SQLite, or, with `Some(chunks)`, as those chunks of it
    /// (`chunks::save`'s list of ids).
    SessionState(Option<&'a str>, Option<&'a str>),
}

/// Pushes an entry onto a stack of at most `depth` entries. When the stack is full, the
/// oldest entry's row is rewritten as the newest instead of one row being deleted and
/// another inserted: SQLite then writes only the pages whose bytes change, which for
/// successive checkpoints of a large state is a small part of it.
pub(crate) fn push(conn: &Connection, key: &str, stack: Stack, content: Content, depth: usize) -> Result<()> {
    let room = make_room(conn, key, stack, depth)?;
    push_into(conn, key, stack, room, content, Facts::default())
}

/// Writes the new entry of a stack into the room `make_room` made: (its seq, the oldest
/// entry's seq when that row is to be reused).
pub(crate) fn push_into(
    conn: &Connection,
    key: &str,
    stack: Stack,
    (seq, reusable): (i64, Option<i64>),
    content: Content,
    facts: Facts,
) -> Result<()> {
    let doing = || format!("push onto {}", describe_stack(key, stack));
    let code = stack as i64;
    let Facts { meta, made_ms, merge_key, version } = facts;
    // An entry of these values: its snapshot inline, or as chunks.
    let (entry, snapshot, chunks) = match content {
        Content::Entry(entry) => (entry, entry.snapshot, None),
        Content::Chunked(entry, chunks) => (entry, None, Some(chunks)),
        Content::SessionState(label, chunks) => {
            return push_session_state(conn, key, stack, (seq, reusable), label, chunks, facts)
        }
    };
    match reusable {
        None => execute(
            conn,
            "INSERT INTO ws_history
                 (flow_session_key, stack, seq, label, current_step, snapshot, chunks, meta, made_ms, merge_key, version)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            params![key, code, seq, entry.label, entry.current_step, snapshot, chunks, meta, made_ms, merge_key, version],
            doing,
        ),
        Some(oldest) => execute(
            conn,
            "UPDATE ws_history SET seq = ?3, label = ?4, current_step = ?5, snapshot = ?6, chunks = ?7,
                 meta = ?8, made_ms = ?9, merge_key = ?10, version = ?11
             WHERE flow_session_key = ?1 AND stack = ?2 AND seq = ?12",
            params![
                key,
                code,
                seq,
                entry.label,
                entry.current_step,
                snapshot,
                chunks,
                meta,
                made_ms,
                merge_key,
                version,
                oldest
            ],
            doing,
        ),
    }
    .map(drop)
}

/// [`push_into`] of the session's current step and state (`Content::SessionState`).
fn push_session_state(
    conn: &Connection,
    key: &str,
    stack: Stack,
    (seq, reusable): (i64, Option<i64>),
    label: Option<&str>,
    chunks: Option<&str>,
    facts: Facts,
) -> Result<()> {
    let Facts { meta, made_ms, merge_key, version } = facts;
    match reusable {
        None => execute(
            conn,
            "INSERT INTO ws_history
                 (flow_session_key, stack, seq, label, current_step, snapshot, chunks, meta, made_ms, merge_key, version)
             SELECT flow_session_key, ?2, ?3, ?4, current_step, CASE WHEN ?5 IS NULL THEN state_json END, ?5,
                 ?6, ?7, ?8, ?9
             FROM workflow_state WHERE flow_session_key = ?1",
            params![key, stack as i64, seq, label, chunks, meta, made_ms, merge_key, version],
            || format!("push onto {}", describe_stack(key, stack)),
        )
        .map(drop),
        Some(oldest) => {
            rewrite_with_session_state(conn, key, (stack, oldest), (stack, seq), label, chunks, Rewrite::New(facts))
        }
    }
}

/// Writes entry `index` (0 the oldest) of a stack being filled from empty, oldest first,
/// as an import fills the stacks of a session it has just written (`export.rs`).
pub(crate) fn append(
    conn: &Connection,
    key: &str,
    stack: Stack,
    index: usize,
    content: Content,
    facts: Facts,
) -> Result<()> {
    let seq = FIRST_SEQ + i64::try_from(index).unwrap_or(i64::MAX - FIRST_SEQ);
    push_into(conn, key, stack, (seq, None), content, facts)
}

/// What a rewritten entry records besides the session's state: a new entry's facts, or,
/// for an entry moving to the other stack, its own meta and time with the version of
/// the state it now holds (a moved entry is never merged into).
pub(crate) enum Rewrite<'a> {
    New(Facts<'a>),
    Moved { version: Option<i64> },
}

/// Rewrites the entry at `from` (stack, seq) in place as the entry at `to`, holding the
/// session's current step and state text under `label` (as `Content::SessionState`
/// says): a reused row for a full stack, or an undo/redo entry moving to the other stack.
pub(crate) fn rewrite_with_session_state(
    conn: &Connection,
    key: &str,
    from: (Stack, i64),
    to: (Stack, i64),
    label: Option<&str>,
    chunks: Option<&str>,
    rewrite: Rewrite,
) -> Result<()> {
    let (keep, facts) = match rewrite {
        Rewrite::New(facts) => (false, facts),
        Rewrite::Moved { version } => (true, Facts { version, ..Facts::default() }),
    };
    execute(
        conn,
        "UPDATE ws_history SET stack = ?4, seq = ?5, label = ?6, (current_step, snapshot) =
             (SELECT current_step, CASE WHEN ?7 IS NULL THEN state_json END
              FROM workflow_state WHERE flow_session_key = ?1), chunks = ?7,
             meta = CASE WHEN ?8 THEN meta ELSE ?9 END, made_ms = CASE WHEN ?8 THEN made_ms ELSE ?10 END,
             merge_key = ?11, version = ?12
         WHERE flow_session_key = ?1 AND stack = ?2 AND seq = ?3",
        params![
            key,
            from.0 as i64,
            from.1,
            to.0 as i64,
            to.1,
            label,
            chunks,
            keep,
            facts.meta,
            facts.made_ms,
            facts.merge_key,
            facts.version
        ],
        || format!("keep the state of {} on its {} stack", describe_key(key), to.0.name()),
    )
    .map(drop)
}

/// Makes room for one more entry on a stack of at most `depth` entries. Returns the seq
/// the new entry takes and, when the stack is full, the seq of the oldest entry, which
/// is to go and whose row may be reused; older ones still (left by a store with a
/// larger depth) are deleted in one range delete. Seqs are contiguous, so this never
/// rewrites the stack.
pub(crate) fn make_room(
    conn: &Connection,
    key: &str,
    stack: Stack,
    depth: usize,
) -> Result<(i64, Option<i64>)> {
    let doing = || format!("push onto {}", describe_stack(key, stack));
    let (oldest, newest): (Option<i64>, Option<i64>) = query_row(
        conn,
        "SELECT min(seq), max(seq) FROM ws_history WHERE flow_session_key = ?1 AND stack = ?2",
        params![key, stack as i64],
        |row| Ok((row.get(0)?, row.get(1)?)),
        doing,
    )?
    .unwrap_or_default();
    let seq = newest.map_or(FIRST_SEQ, |newest| newest + 1);
    let last_to_go = seq - i64::try_from(depth).unwrap_or(i64::MAX);
    match oldest {
        Some(oldest) if oldest <= last_to_go => {
            if oldest < last_to_go {
                execute(
                    conn,
                    "DELETE FROM ws_history WHERE flow_session_key = ?1 AND stack = ?2 AND seq < ?3",
                    params![key, stack as i64, last_to_go],
                    doing,
                )?;
            }
            Ok((seq, Some(last_to_go)))
        }
        _ => Ok((seq, None)),
    }
}

/// The newest entry of a stack and its seq, if any. An entry whose text cannot be handed
/// out is `WS_CORRUPT` naming the session, the stack and the column, so that a pop or an
/// undo fails before it changes anything.
pub(crate) fn top_with_seq(conn: &Connection, key: &str, stack: Stack) -> Result<Option<(i64, StoredEntry)>> {
    let doing = || format!("read {}", describe_stack(key, stack));
    let found = query_row(
        conn,
        "SELECT seq, label, current_step, snapshot, chunks, meta, version FROM ws_history
         WHERE flow_session_key = ?1 AND stack = ?2 ORDER BY seq DESC LIMIT 1",
        params![key, stack as i64],
        |row| {
            let seq = row.get::<_, i64>(0)?;
            let what =
                |column: &str| format!("the {column} of entry {seq} of {}", describe_stack(key, stack));
            let entry = StoredEntry {
                label: stored::string(row, 1, || what("label"))?,
                current_step: stored::string(row, 2, || what("current_step"))?,
                snapshot: stored::string(row, 3, || what("snapshot"))?,
                chunked: None,
                meta: stored::string(row, 5, || what("meta"))?,
                version: row.get::<_, Option<i64>>(6).ok().flatten(),
            };
            Ok((seq, entry, stored::string(row, 4, || what("chunks"))?))
        },
        doing,
    )?;
    let Some((seq, mut entry, chunks)) = found else { return Ok(None) };
    if let Some(ids) = chunks {
        let what = || format!("the snapshot of entry {seq} of {}", describe_stack(key, stack));
        entry.chunked = Some(chunks::load(conn, &ids, what)?);
    }
    Ok(Some((seq, entry)))
}

/// The newest entry of a stack, if any.
pub(crate) fn top(conn: &Connection, key: &str, stack: Stack) -> Result<Option<StoredEntry>> {
    Ok(top_with_seq(conn, key, stack)?.map(|(_, entry)| entry))
}

/// Removes and returns the newest entry of a stack, if any.
pub(crate) fn pop(conn: &Connection, key: &str, stack: Stack) -> Result<Option<StoredEntry>> {
    let Some((seq, entry)) = top_with_seq(conn, key, stack)? else { return Ok(None) };
    remove(conn, key, stack, seq)?;
    Ok(Some(entry))
}

/// Removes one entry of a stack.
pub(crate) fn remove(conn: &Connection, key: &str, stack: Stack, seq: i64) -> Result<()> {
    execute(
        conn,
        "DELETE FROM ws_history WHERE flow_session_key = ?1 AND stack = ?2 AND seq = ?3",
        params![key, stack as i64, seq],
        || format!("pop {}", describe_stack(key, stack)),
    )
    .map(drop)
}

/// The number of entries in a stack.
pub(crate) fn len(conn: &Connection, key: &str, stack: Stack) -> Result<usize> {
    let n: i64 = query_row(
        conn,
        "SELECT count(*) FROM ws_history WHERE flow_session_key = ?1 AND stack = ?2",
        params![key, stack as i64],
        |row| row.get(0),
        || format!("count {}", describe_stack(key, stack)),
    )?
    .unwrap_or(0);
    Ok(usize::try_from(n).unwrap_or(0))
}

/// Empties a stack; returns how many entries it held.
pub(crate) fn clear(conn: &Connection, key: &str, stack: Stack) -> Result<usize> {
    execute(
        conn,
        "DELETE FROM ws_history WHERE flow_session_key = ?1 AND stack = ?2",
        params![key, stack as i64],
        || format!("clear {}", describe_stack(key, stack)),
    )
}

/// cjm's `push_history` on JSON text: appends `snapshot_json` (any JSON value) to the
/// array `history_json` (`None` is `[]`) and keeps the newest `max_depth` entries. cjm
/// keeps a history inside a session's state, so the result is always one that
/// `update_state` takes as a value (see `json::HISTORY`).
pub fn json_history_push(
    history_json: Option<&str>,
    snapshot_json: &str,
    max_depth: usize,
) -> Result<String> {
    if max_depth == 0 {
        return Err(Error::invalid_argument("max_depth must be at least 1"));
    }
    let mut history = history_json
        .map(|h| json::array_arg(h, "history_json", json::HISTORY))
        .transpose()?
        .unwrap_or_default();
    history.push(json::value_arg(snapshot_json, "snapshot_json", json::IN_HISTORY)?);
    let excess = history.len().saturating_sub(max_depth);
    Ok(json::array_text(&history[excess..]))
}

/// cjm's `pop_history` on JSON text: the newest snapshot (`None` when the history is
/// empty) and the rest of the history.
pub fn json_history_pop(history_json: &str) -> Result<(Option<String>, String)> {
    let mut history = json::array_arg(history_json, "history_json", json::HISTORY)?;
    let snapshot = history.pop();
    Ok((snapshot, json::array_text(&history)))
}

impl Store {
    /// Pushes a snapshot (any JSON value) onto the session's history, creating the
    /// session if needed, and trims the history to `max_history_depth`.
    pub fn history_push(&self, flow_id: &str, session_id: &str, snapshot_json: &str) -> Result<()> {
        let key = session_key(flow_id, session_id)?;
        let snapshot = json::value_arg(snapshot_json, "snapshot_json", json::ALONE)?;
        let owner = || describe(flow_id, session_id);
        let depth = self.options().max_history_depth;
        self.write(
            || format!("push onto the history of {}", owner()),
            |tx| {
                let since = feed::latest(tx)?;
                ensure_session(tx, &key, owner)?;
                let entry = Entry { label: None, current_step: None, snapshot: Some(&snapshot) };
                push(tx, &key, Stack::Snapshots, Content::Entry(&entry), depth)?;
                feed::stacks_changed(tx, &key, since, owner).map(drop)
            },
        )
    }

    /// Removes and returns the newest snapshot; `None` when the history is empty.
    pub fn history_pop(&self, flow_id: &str, session_id: &str) -> Result<Option<String>> {
        let key = session_key(flow_id, session_id)?;
        let owner = || describe(flow_id, session_id);
        let entry = self.write(
            || format!("pop the history of {}", owner()),
            |tx| {
                let since = feed::latest(tx)?;
                let entry = pop(tx, &key, Stack::Snapshots)?;
                if entry.is_some() {
                    feed::stacks_changed(tx, &key, since, owner)?;
                }
                Ok(entry)
            },
        )?;
        Ok(entry.and_then(StoredEntry::into_snapshot))
    }

    /// The newest snapshot, left in place; `None` when the history is empty.
    pub fn history_peek(&self, flow_id: &str, session_id: &str) -> Result<Option<String>> {
        let key = session_key(flow_id, session_id)?;
        let entry = self.read(|conn| top(conn, &key, Stack::Snapshots))?;
        Ok(entry.and_then(StoredEntry::into_snapshot))
    }

    /// The number of snapshots in the session's history.
    pub fn history_len(&self, flow_id: &str, session_id: &str) -> Result<usize> {
        let key = session_key(flow_id, session_id)?;
        self.read(|conn| len(conn, &key, Stack::Snapshots))
    }

    /// Empties the session's history.
    pub fn history_clear(&self, flow_id: &str, session_id: &str) -> Result<()> {
        let key = session_key(flow_id, session_id)?;
        let owner = || describe(flow_id, session_id);
        self.write(
            || format!("clear the history of {}", owner()),
            |tx| {
                let since = feed::latest(tx)?;
                if clear(tx, &key, Stack::Snapshots)? > 0 {
                    feed::stacks_changed(tx, &key, since, owner)?;
                }
                Ok(())
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn push_trims_to_the_newest_entries_like_cjm() {
        let h = json_history_push(None, "{\"a\":1}", 2).unwrap();
        let h = json_history_push(Some(&h), "2", 2).unwrap();
        let h = json_history_push(Some(&h), "[3]", 2).unwrap();
        assert_eq!(h, "[2,[3]]");
        assert_eq!(json_history_pop(&h).unwrap(), (Some("[3]".to_string()), "[2]".to_string()));
        assert_eq!(json_history_pop("[]").unwrap(), (None, "[]".to_string()));
        assert_eq!(json_history_push(None, "1", 0).unwrap_err().status, crate::Status::InvalidArgument);
        assert_eq!(json_history_pop("{}").unwrap_err().status, crate::Status::InvalidJson);
    }
}
