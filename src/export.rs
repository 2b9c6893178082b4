//! Export and import (`ws_export`, `ws_import`): sessions with their history, undo and
//! redo stacks as one self-describing, versioned JSON document, to back a file up, move
//! sessions to another file or seed a store.
//!
//! The format, version 1 (the header's text for `ws_export` says the same to C readers):
//!
//! ```text
//! {"format":"workflow_state.export","version":1,"sessions":[SESSION, ...]}
//! SESSION = {"flow_id":str,"session_id":str,"label":str|null,"current_step":str|null,
//!            "state_json":str|null,"created_at":str|null,"updated_at":str|null,
//!            "history":[str, ...],"undo":[ENTRY, ...],"redo":[ENTRY, ...],
//!            "present_version":int,"clean_version":int|null}
//! ENTRY   = {"label":str|null,"current_step":str|null,"snapshot":str|null,"meta":str|null,
//!            "made_ms":int|null,"version":int|null}
//! ```
//!
//! - Sessions come in key order (`flow_id ":" session_id`, compared bytewise), members in
//!   the order above; the document is compact JSON.
//! - `state_json` is the stored state text as a JSON string, so that it comes back byte
//!   for byte (whitespace, key order, number texts as stored); null where the row holds
//!   NULL (as another program may leave it; NULL and "" read as `{}`). Timestamps are as
//!   stored (null only where the file holds none).
//! - `history` is the `ws_history_*` snapshot stack, `undo` and `redo` the undo and redo
//!   stacks, each oldest first (the last entry is the one a pop, an undo or a redo takes
//!   next). A history snapshot is its JSON text; an undo or redo entry holds its label,
//!   the current step and state text it restores (`snapshot`, byte for byte, put back
//!   together when the file keeps it as chunks; null as `state_json` may be), its meta's
//!   JSON text, when it was made
//!   (`made_ms`, Unix milliseconds by the writer's clock; null for an entry written before
//!   schema 5) and the version of the state it holds (`undo.rs`).
//! - `present_version` is the version of the session's present state, `clean_version` the
//!   one `ws_set_clean` marked (null: none). Versions only mean anything compared with the
//!   other versions of the same session.
//!
//! What export writes, import takes: export reads every text by the rules a read of it
//! would (a stored state, a snapshot or a meta that is not strict JSON, or text that is
//! not UTF-8, is `WS_CORRUPT` naming it) in one read transaction.
//!
//! Import checks the whole document before it writes anything: each fault is
//! `WS_INVALID_ARGUMENT` naming its path (`sessions[3].undo[1].snapshot must be a
//! string, got null`) by the rules the library's own calls hold the same values to.
//! Then, in one write transaction, each session's row is inserted with the document's
//! label, step, state text and timestamps (`WS_ALREADY_EXISTS` if it exists, or with
//! `replace` the existing session is deleted first, its stacks and marks with it through
//! the triggers), its stacks are written through `history.rs` (large undo and redo
//! snapshots cut into shared chunks again by this store's rules) without merge keys (no
//! merge run survives), and its undo marks are set as of its new revision, so that
//! `ws_undo_status` and its clean mark come back as they were. Stacks come in whole,
//! also when deeper than this store's `max_history_depth`: its next push trims them.
//!
//! Versions are revisions of the file they were made in, and a version must never equal
//! a revision this session takes later, or an edit would make the marked state "clean"
//! again. A version the store could still hand out (0, or not below the store's next
//! change number, as in a fresh file) is therefore renumbered below zero (revisions are
//! positive), the same number for the same version, so every equality between a
//! session's versions holds as it did and none with a later revision can arise.

use crate::chunks::{self, Chunked};
use crate::error::{quote, Error, Result, Status};
use crate::feed;
use crate::history::{self, describe_key, Content, Entry, Facts, Stack};
use crate::json;
use crate::key::{check_flow_id, check_id, describe, flow_key_range, session_key};
use crate::store::{execute, Store};
use crate::stored;
use crate::undo;
use rusqlite::types::ValueRef;
use rusqlite::{params, params_from_iter, Connection, Rows};
use serde_json::{Map, Value};
use std::collections::HashMap;

/// The document's `"format"`.
pub(crate) const FORMAT: &str = "workflow_state.export";
/// The version of the format this library writes, and the newest it reads.
pub(crate) const FORMAT_VERSION: i64 = 1;

const SESSION_MEMBERS: [&str; 12] = [
    "flow_id",
    "session_id",
    "label",
    "current_step",
    "state_json",
    "created_at",
    "updated_at",
    "history",
    "undo",
    "redo",
    "present_version",
    "clean_version",
];
const ENTRY_MEMBERS: [&str; 6] = ["label", "current_step", "snapshot", "meta", "made_ms", "version"];

/// What an export covers.
enum Scope {
    All,
    /// A flow's key range (`key::flow_key_range`).
    Flow(String, String),
    One(String),
}

/// A session's row with its revision and undo marks, in key order.
const ROWS: &str =
    "SELECT w.flow_session_key, w.label, w.current_step, w.state_json, w.created_at, w.updated_at,
         coalesce((SELECT c.seq FROM ws_change c WHERE c.flow_session_key = w.flow_session_key
                   AND c.deleted_at IS NULL), 0),
         u.present_revision, u.present_version, u.clean_version
     FROM workflow_state w LEFT JOIN ws_undo u ON u.flow_session_key = w.flow_session_key";
/// Every stack entry, in key, stack and seq order: read beside the rows, one pass each.
const ENTRIES: &str =
    "SELECT h.flow_session_key, h.stack, h.seq, h.label, h.current_step, h.snapshot, h.chunks, h.meta,
         h.made_ms, h.version
     FROM ws_history h";

/// One `ws_history` row as read for an export.
struct StoredEntry {
    key: String,
    stack: i64,
    seq: i64,
    label: Option<String>,
    current_step: Option<String>,
    snapshot: Option<String>,
    chunks: Option<String>,
    meta: Option<String>,
    made_ms: Option<i64>,
    version: Option<i64>,
}

impl StoredEntry {
    /// Names a column of the entry in messages.
    fn what(&self, column: &str) -> String {
        entry_what(&self.key, self.stack, self.seq, column)
    }
}

fn entry_what(key: &str, stack: i64, seq: i64, column: &str) -> String {
    let name = match stack {
        10 => Stack::Snapshots.name(),
        11 => Stack::Undo.name(),
        12 => Stack::Redo.name(),
        _ => "unknown",
    };
    format!("the {column} of entry {seq} of the {name} stack of {}", describe_key(key))
}

fn next_entry(entries: &mut Rows<'_>) -> rusqlite::Result<Option<StoredEntry>> {
    let Some(row) = entries.next()? else { return Ok(None) };
    let key = stored::string(row, 0, || "the flow_session_key of a ws_history row".to_string())?
        .unwrap_or_default();
    let stack: i64 = row.get::<_, Option<i64>>(1).ok().flatten().unwrap_or(0);
    let seq: i64 = row.get::<_, Option<i64>>(2).ok().flatten().unwrap_or(0);
    let what = |column: &str| entry_what(&key, stack, seq, column);
    Ok(Some(StoredEntry {
        label: stored::string(row, 3, || what("label"))?,
        current_step: stored::string(row, 4, || what("current_step"))?,
        snapshot: stored::string(row, 5, || what("snapshot"))?,
        chunks: stored::string(row, 6, || what("chunks"))?,
        meta: stored::string(row, 7, || what("meta"))?,
        made_ms: row.get::<_, Option<i64>>(8).ok().flatten(),
        version: row.get::<_, Option<i64>>(9).ok().flatten(),
        key,
        stack,
        seq,
    }))
}

/// A stored state text, checked by the rule a read of it follows (NULL and "" read as
/// `{}`).
fn stored_state<'r>(store: &Store, key: &str, value: ValueRef<'r>, owner: &str) -> Result<Option<&'r str>> {
    let bytes = match value {
        ValueRef::Null => return Ok(None),
        ValueRef::Text(b"") => return Ok(Some("")),
        ValueRef::Text(bytes) => bytes,
        _ => return Err(Error::corrupt(format!("the stored state of {owner} is not UTF-8 text"))),
    };
    let text = std::str::from_utf8(bytes)
        .map_err(|_| Error::corrupt(format!("the stored state of {owner} is not UTF-8 text")))?;
    // A text the store wrote or validated is known good.
    if store.cache().matching(key, bytes).is_none() {
        if let Some(fault) = json::state_text_fault(text) {
            return Err(Error::corrupt(format!("the stored state of {owner} {fault}")));
        }
    }
    Ok(Some(text))
}

/// An entry's snapshot text, inline or put back together from its chunks.
fn entry_text(conn: &Connection, entry: &StoredEntry) -> Result<Option<String>> {
    match &entry.chunks {
        Some(ids) => Ok(Some(chunks::load(conn, ids, || entry.what("snapshot"))?.text().to_string())),
        None => Ok(entry.snapshot.clone()),
    }
}

/// Appends `,"name":` and a string or null.
fn push_member(out: &mut String, name: &str, text: Option<&str>) {
    out.push_str(",\"");
    out.push_str(name);
    out.push_str("\":");
    match text {
        Some(text) => json::push_string(out, text),
        None => out.push_str("null"),
    }
}

fn push_number(out: &mut String, name: &str, number: Option<i64>) {
    out.push_str(",\"");
    out.push_str(name);
    out.push_str("\":");
    match number {
        Some(n) => out.push_str(&n.to_string()),
        None => out.push_str("null"),
    }
}

/// Appends one entry of a stack (`stack` 10, 11 or 12) to the document.
fn push_entry(out: &mut String, conn: &Connection, entry: &StoredEntry) -> Result<()> {
    let text = entry_text(conn, entry)?;
    if entry.stack == Stack::Snapshots as i64 {
        let text = text.ok_or_else(|| Error::corrupt(format!("{} is missing", entry.what("snapshot"))))?;
        if let Some(fault) = json::value_text_fault(&text) {
            return Err(Error::corrupt(format!("{} {fault}", entry.what("snapshot"))));
        }
        json::push_string(out, &text);
        return Ok(());
    }
    // An undo or redo entry holds a state, read as a row's is (NULL and "" are `{}`).
    if let Some(fault) = text.as_deref().filter(|text| !text.is_empty()).and_then(json::state_text_fault) {
        return Err(Error::corrupt(format!("{} {fault}", entry.what("snapshot"))));
    }
    if let Some(fault) = entry.meta.as_deref().and_then(json::value_text_fault) {
        return Err(Error::corrupt(format!("{} {fault}", entry.what("meta"))));
    }
    out.push_str("{\"label\":");
    match &entry.label {
        Some(label) => json::push_string(out, label),
        None => out.push_str("null"),
    }
    push_member(out, "current_step", entry.current_step.as_deref());
    push_member(out, "snapshot", text.as_deref());
    push_member(out, "meta", entry.meta.as_deref());
    push_number(out, "made_ms", entry.made_ms);
    push_number(out, "version", entry.version);
    out.push('}');
    Ok(())
}

/// Writes the document of `scope`'s sessions; returns it and how many sessions it holds.
fn write_document(
    store: &Store,
    conn: &Connection,
    scope: &Scope,
    doing: &dyn Fn() -> String,
) -> Result<(String, usize)> {
    let (rows_where, entries_where, bound): (&str, &str, Vec<&str>) = match scope {
        Scope::All => ("", "", Vec::new()),
        Scope::Flow(low, high) => (
            " WHERE w.flow_session_key >= ?1 AND w.flow_session_key < ?2",
            " WHERE h.flow_session_key >= ?1 AND h.flow_session_key < ?2",
            vec![low, high],
        ),
        Scope::One(key) => (" WHERE w.flow_session_key = ?1", " WHERE h.flow_session_key = ?1", vec![key]),
    };
    let sqlite = |e| Error::sqlite(&doing(), e);
    let mut rows_stmt =
        conn.prepare_cached(&format!("{ROWS}{rows_where} ORDER BY w.flow_session_key")).map_err(sqlite)?;
    let mut entries_stmt = conn
        .prepare_cached(&format!("{ENTRIES}{entries_where} ORDER BY h.flow_session_key, h.stack, h.seq"))
        .map_err(sqlite)?;
    let mut rows = rows_stmt.query(params_from_iter(&bound)).map_err(sqlite)?;
    let mut entries = entries_stmt.query(params_from_iter(&bound)).map_err(sqlite)?;
    let mut pending = next_entry(&mut entries).map_err(sqlite)?;
    let mut out = format!("{{\"format\":\"{FORMAT}\",\"version\":{FORMAT_VERSION},\"sessions\":[");
    let mut count = 0;
    while let Some(row) = rows.next().map_err(sqlite)? {
        let key = stored::string(row, 0, || "the flow_session_key of a workflow_state row".to_string())
            .map_err(sqlite)?
            .unwrap_or_default();
        let (flow_id, session_id) = match key.split_once(':') {
            Some((flow, session)) if !flow.is_empty() && !session.is_empty() => (flow, session),
            _ => {
                return Err(Error::corrupt(format!(
                    "the workflow_state row of key {} is not a session (a key is flow_id \":\" session_id, \
                     both non-empty): it cannot be exported",
                    quote(&key)
                )))
            }
        };
        let owner = describe(flow_id, session_id);
        let column = |idx: usize, name: &str| {
            stored::column(row, idx, || format!("the {name} of {owner}")).map_err(sqlite)
        };
        if count > 0 {
            out.push(',');
        }
        out.push_str("{\"flow_id\":");
        json::push_string(&mut out, flow_id);
        push_member(&mut out, "session_id", Some(session_id));
        push_member(&mut out, "label", column(1, "label")?.as_deref());
        push_member(&mut out, "current_step", column(2, "current_step")?.as_deref());
        let state = stored_state(store, &key, row.get_ref(3).map_err(sqlite)?, &owner)?;
        push_member(&mut out, "state_json", state);
        push_member(&mut out, "created_at", column(4, "created_at")?.as_deref());
        push_member(&mut out, "updated_at", column(5, "updated_at")?.as_deref());
        let revision: i64 = row.get(6).map_err(sqlite)?;
        let present_revision: Option<i64> = row.get::<_, Option<i64>>(7).ok().flatten();
        let marks = present_revision.map(|at| {
            (
                at,
                row.get::<_, Option<i64>>(8).ok().flatten().unwrap_or(at),
                row.get::<_, Option<i64>>(9).ok().flatten(),
            )
        });
        // Entries of keys before this one belong to no row: they are no session's.
        while pending.as_ref().is_some_and(|entry| entry.key < key) {
            pending = next_entry(&mut entries).map_err(sqlite)?;
        }
        for stack in [Stack::Snapshots, Stack::Undo, Stack::Redo] {
            out.push_str(",\"");
            out.push_str(match stack {
                Stack::Snapshots => "history",
                Stack::Undo => "undo",
                Stack::Redo => "redo",
            });
            out.push_str("\":[");
            let mut first = true;
            // Codes other than the three stacks' are nothing the library reads: skipped.
            while let Some(entry) = pending.take() {
                if entry.key != key || entry.stack > stack as i64 {
                    pending = Some(entry);
                    break;
                }
                if entry.stack == stack as i64 {
                    if !first {
                        out.push(',');
                    }
                    first = false;
                    push_entry(&mut out, conn, &entry)?;
                }
                pending = next_entry(&mut entries).map_err(sqlite)?;
            }
            out.push(']');
        }
        while pending.as_ref().is_some_and(|entry| entry.key == key) {
            pending = next_entry(&mut entries).map_err(sqlite)?;
        }
        push_number(&mut out, "present_version", Some(undo::present_of(marks, revision)));
        push_number(&mut out, "clean_version", marks.and_then(|(_, _, clean)| clean));
        out.push('}');
        count += 1;
    }
    out.push_str("]}");
    Ok((out, count))
}

/// One session of a document, checked.
struct Session<'a> {
    key: String,
    flow_id: &'a str,
    session_id: &'a str,
    label: Option<&'a str>,
    current_step: Option<&'a str>,
    state_json: Option<&'a str>,
    created_at: Option<&'a str>,
    updated_at: Option<&'a str>,
    history: Vec<&'a str>,
    undo: Vec<DocEntry<'a>>,
    redo: Vec<DocEntry<'a>>,
    present_version: i64,
    clean_version: Option<i64>,
}

/// One undo or redo entry of a document, checked.
struct DocEntry<'a> {
    label: Option<&'a str>,
    current_step: Option<&'a str>,
    snapshot: Option<&'a str>,
    meta: Option<&'a str>,
    made_ms: Option<i64>,
    version: Option<i64>,
}

/// How a value is shown in a refusal: a number as its text, anything else by its kind.
fn shown(value: &Value) -> String {
    match value {
        Value::Number(n) => n.to_string(),
        other => json::kind(other).to_string(),
    }
}

/// An object of the document, with its path for messages ("" is the document itself,
/// which messages call `export_json`).
struct Obj<'a> {
    map: &'a Map<String, Value>,
    path: String,
}

impl<'a> Obj<'a> {
    fn new(value: &'a Value, path: String) -> Result<Obj<'a>> {
        match value {
            Value::Object(map) => Ok(Obj { map, path }),
            other => {
                Err(Error::invalid_argument(format!("{path} must be an object, got {}", json::kind(other))))
            }
        }
    }

    fn name(&self) -> &str {
        if self.path.is_empty() {
            "export_json"
        } else {
            &self.path
        }
    }

    fn path_of(&self, member: &str) -> String {
        if self.path.is_empty() {
            member.to_string()
        } else {
            format!("{}.{member}", self.path)
        }
    }

    fn only(&self, known: &[&str], what: &str) -> Result<()> {
        match self.map.keys().find(|name| !known.contains(&name.as_str())) {
            None => Ok(()),
            Some(name) => Err(Error::invalid_argument(format!(
                "{} has unknown member {} ({what} has the members {})",
                self.name(),
                quote(name),
                known.join(", ")
            ))),
        }
    }

    fn get(&self, member: &str) -> Result<&'a Value> {
        self.map.get(member).ok_or_else(|| {
            Error::invalid_argument(format!("{} has no member {}", self.name(), quote(member)))
        })
    }

    fn wrong(&self, member: &str, expected: &str, value: &Value) -> Error {
        Error::invalid_argument(format!("{} must be {expected}, got {}", self.path_of(member), shown(value)))
    }

    /// A string or (if `nullable`) null that goes into a text column: no NUL.
    fn text(&self, member: &str, nullable: bool) -> Result<Option<&'a str>> {
        match self.get(member)? {
            Value::String(text) => {
                json::check_column_text(text, &self.path_of(member))?;
                Ok(Some(text))
            }
            Value::Null if nullable => Ok(None),
            other => Err(self.wrong(member, if nullable { "a string or null" } else { "a string" }, other)),
        }
    }

    fn string(&self, member: &str) -> Result<&'a str> {
        Ok(self.text(member, false)?.unwrap_or_default())
    }

    fn integer(&self, member: &str, nullable: bool) -> Result<Option<i64>> {
        match self.get(member)? {
            Value::Number(n) if n.as_i64().is_some() => Ok(n.as_i64()),
            Value::Null if nullable => Ok(None),
            other => {
                Err(self.wrong(member, if nullable { "an integer or null" } else { "an integer" }, other))
            }
        }
    }

    fn array(&self, member: &str) -> Result<&'a Vec<Value>> {
        match self.get(member)? {
            Value::Array(items) => Ok(items),
            other => Err(self.wrong(member, "an array", other)),
        }
    }
}

/// Refuses a text that cannot be kept as a state (`state`) or as a value of its own.
fn check_json(text: &str, path: &str, state: bool) -> Result<()> {
    let fault = if state { json::state_text_fault(text) } else { json::value_text_fault(text) };
    match fault {
        Some(fault) => Err(Error::invalid_argument(format!("{path} {fault}"))),
        None => Ok(()),
    }
}

impl<'a> Obj<'a> {
    /// A state text: a JSON object's, or null or "" (no state, which reads as `{}`).
    fn state(&self, member: &str) -> Result<Option<&'a str>> {
        match self.get(member)? {
            Value::String(text) => {
                if !text.is_empty() {
                    check_json(text, &self.path_of(member), true)?;
                }
                Ok(Some(text))
            }
            Value::Null => Ok(None),
            other => Err(self.wrong(member, "a string or null", other)),
        }
    }
}

/// Checks the whole document and reads its sessions.
fn parse_document(document: &Value) -> Result<Vec<Session<'_>>> {
    let top = match document {
        Value::Object(_) => Obj::new(document, String::new())?,
        other => {
            return Err(Error::invalid_json(format!(
                "export_json must be a JSON object, got {}",
                json::kind(other)
            )))
        }
    };
    match top.map.get("format") {
        None => {
            return Err(Error::invalid_argument(format!(
                "export_json has no member \"format\": it is not a workflow_state export \
                 (one begins {{\"format\":\"{FORMAT}\",\"version\":{FORMAT_VERSION}, ...)"
            )))
        }
        Some(Value::String(format)) if format == FORMAT => {}
        Some(Value::String(format)) => {
            return Err(Error::invalid_argument(format!(
                "format is {}, not \"{FORMAT}\": export_json is not a workflow_state export",
                quote(format)
            )))
        }
        Some(other) => return Err(top.wrong("format", &format!("the string \"{FORMAT}\""), other)),
    }
    match top.map.get("version") {
        None => {
            return Err(Error::invalid_argument(format!(
                "export_json has no member \"version\" (this library reads version {FORMAT_VERSION})"
            )))
        }
        Some(Value::Number(n)) if n.as_i64().is_some() => match n.as_i64().unwrap_or_default() {
            FORMAT_VERSION => {}
            newer if newer > FORMAT_VERSION => {
                return Err(Error::invalid_argument(format!(
                "version {newer} is newer than this library reads ({FORMAT_VERSION}): upgrade workflow_state"
            )))
            }
            older => {
                return Err(Error::invalid_argument(format!(
                    "version {older} is no version of the format (the first is 1)"
                )))
            }
        },
        Some(other) => return Err(top.wrong("version", "an integer", other)),
    }
    top.only(&["format", "version", "sessions"], "a document")?;
    let mut sessions = Vec::new();
    for (i, value) in top.array("sessions")?.iter().enumerate() {
        sessions.push(parse_session(value, format!("sessions[{i}]"))?);
    }
    let mut first_of: HashMap<&str, usize> = HashMap::with_capacity(sessions.len());
    for (i, session) in sessions.iter().enumerate() {
        if let Some(first) = first_of.insert(&session.key, i) {
            return Err(Error::invalid_argument(format!(
                "sessions[{i}] is {} again (as sessions[{first}]): a document holds each session once",
                describe(session.flow_id, session.session_id)
            )));
        }
    }
    Ok(sessions)
}

fn parse_session(value: &Value, path: String) -> Result<Session<'_>> {
    let session = Obj::new(value, path)?;
    session.only(&SESSION_MEMBERS, "a session")?;
    let flow_id = session.string("flow_id")?;
    check_flow_id(flow_id).map_err(|e| Error::invalid_argument(format!("{}.{}", session.path, e.message)))?;
    let session_id = session.string("session_id")?;
    check_id(&session.path_of("session_id"), session_id)?;
    let state_json = session.state("state_json")?;
    let mut history = Vec::new();
    for (i, item) in session.array("history")?.iter().enumerate() {
        let path = format!("{}[{i}]", session.path_of("history"));
        let Value::String(snapshot) = item else {
            return Err(Error::invalid_argument(format!("{path} must be a string, got {}", shown(item))));
        };
        check_json(snapshot, &path, false)?;
        history.push(snapshot.as_str());
    }
    let entries = |member: &str| -> Result<Vec<DocEntry<'_>>> {
        let mut out = Vec::new();
        for (i, item) in session.array(member)?.iter().enumerate() {
            out.push(parse_entry(item, format!("{}[{i}]", session.path_of(member)))?);
        }
        Ok(out)
    };
    Ok(Session {
        key: session_key(flow_id, session_id)?,
        flow_id,
        session_id,
        label: session.text("label", true)?,
        current_step: session.text("current_step", true)?,
        state_json,
        created_at: session.text("created_at", true)?,
        updated_at: session.text("updated_at", true)?,
        history,
        undo: entries("undo")?,
        redo: entries("redo")?,
        present_version: session.integer("present_version", false)?.unwrap_or_default(),
        clean_version: session.integer("clean_version", true)?,
    })
}

fn parse_entry(value: &Value, path: String) -> Result<DocEntry<'_>> {
    let entry = Obj::new(value, path)?;
    entry.only(&ENTRY_MEMBERS, "an undo or redo entry")?;
    let snapshot = entry.state("snapshot")?;
    let meta = match entry.get("meta")? {
        Value::String(meta) => {
            check_json(meta, &entry.path_of("meta"), false)?;
            Some(meta.as_str())
        }
        Value::Null => None,
        other => return Err(entry.wrong("meta", "a string (a JSON text) or null", other)),
    };
    Ok(DocEntry {
        label: entry.text("label", true)?,
        current_step: entry.text("current_step", true)?,
        snapshot,
        meta,
        made_ms: entry.integer("made_ms", true)?,
        version: entry.integer("version", true)?,
    })
}

/// A session's versions as the importing store keeps them (see the module comment):
/// each kept unless the store could hand it out as a later revision, then renumbered
/// below every version of the session.
struct Versions {
    next_change: i64,
    renumbered: Vec<(i64, i64)>,
    lowest: i64,
}

impl Versions {
    fn new(session: &Session, next_change: i64) -> Versions {
        let all = session.undo.iter().chain(&session.redo).filter_map(|entry| entry.version);
        let lowest =
            all.chain([session.present_version]).chain(session.clean_version).min().unwrap_or(0).min(0);
        Versions { next_change, renumbered: Vec::new(), lowest }
    }

    fn get(&mut self, version: i64) -> i64 {
        if version != 0 && version < self.next_change {
            return version;
        }
        if let Some(&(_, to)) = self.renumbered.iter().find(|(from, _)| *from == version) {
            return to;
        }
        self.lowest -= 1;
        self.renumbered.push((version, self.lowest));
        self.lowest
    }
}

/// Writes one checked session (`index` in the document) into the transaction `tx`.
fn import_session(
    store: &Store,
    tx: &Connection,
    index: usize,
    session: &Session,
    replace: bool,
    next_change: i64,
) -> Result<()> {
    let key = session.key.as_str();
    let owner = || describe(session.flow_id, session.session_id);
    let doing = || format!("import {} (sessions[{index}])", owner());
    if replace {
        // The triggers delete its stacks, chunk references and undo marks with it.
        execute(tx, "DELETE FROM workflow_state WHERE flow_session_key = ?1", [key], doing)?;
    }
    let inserted = execute(
        tx,
        "INSERT INTO workflow_state (flow_session_key, current_step, state_json, created_at, updated_at, label)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (flow_session_key) DO NOTHING",
        params![key, session.current_step, session.state_json, session.created_at, session.updated_at, session.label],
        doing,
    )?;
    if inserted == 0 {
        return Err(Error::new(
            Status::AlreadyExists,
            format!(
                "{} (sessions[{index}]) already exists: import with replace to overwrite it, or delete it first; \
                 nothing was imported",
                owner()
            ),
        ));
    }
    // Entries or marks under the key that outlived a row deleted without the library's
    // triggers belong to no session: they must not become the imported one's.
    execute(tx, "DELETE FROM ws_history WHERE flow_session_key = ?1", [key], doing)?;
    execute(tx, "DELETE FROM ws_undo WHERE flow_session_key = ?1", [key], doing)?;
    for (i, snapshot) in session.history.iter().enumerate() {
        let entry = Entry { label: None, current_step: None, snapshot: Some(snapshot) };
        history::append(tx, key, Stack::Snapshots, i, Content::Entry(&entry), Facts::default())?;
    }
    let mut versions = Versions::new(session, next_change);
    let mut prev: Option<Chunked> = None;
    for (stack, entries) in [(Stack::Undo, &session.undo), (Stack::Redo, &session.redo)] {
        for (i, doc) in entries.iter().enumerate() {
            let entry = Entry { label: doc.label, current_step: doc.current_step, snapshot: doc.snapshot };
            let facts = Facts {
                meta: doc.meta,
                made_ms: doc.made_ms,
                merge_key: None,
                version: doc.version.map(|v| versions.get(v)),
            };
            match doc
                .snapshot
                .map(|text| chunks::save_text(store, tx, text, prev.as_ref()))
                .transpose()?
                .flatten()
            {
                Some((chunked, ids)) => {
                    history::append(tx, key, stack, i, Content::Chunked(&entry, &ids), facts)?;
                    prev = Some(chunked);
                }
                None => history::append(tx, key, stack, i, Content::Entry(&entry), facts)?,
            }
        }
    }
    // Marks matter only to entries that hold versions, or to a clean mark.
    if !session.undo.is_empty() || !session.redo.is_empty() || session.clean_version.is_some() {
        let revision = feed::revision(tx, key, owner)?;
        let present = versions.get(session.present_version);
        let clean = session.clean_version.map(|v| versions.get(v));
        execute(
            tx,
            "INSERT INTO ws_undo (flow_session_key, present_revision, present_version, clean_version)
             VALUES (?1, ?2, ?3, ?4)",
            params![key, revision, present, clean],
            doing,
        )?;
    }
    Ok(())
}

impl Store {
    /// `ws_export`: the document (module comment) of every session of the file (`None`,
    /// `None`), of one flow (`Some`, `None`) or of one session, read in one snapshot.
    /// `WS_NOT_FOUND` when the one session asked for does not exist; `WS_INVALID_ARGUMENT`
    /// for a session id without a flow id.
    pub fn export(&self, flow_id: Option<&str>, session_id: Option<&str>) -> Result<String> {
        let scope = match (flow_id, session_id) {
            (None, None) => Scope::All,
            (Some(flow), None) => {
                let (low, high) = flow_key_range(flow)?;
                Scope::Flow(low, high)
            }
            (Some(flow), Some(session)) => Scope::One(session_key(flow, session)?),
            (None, Some(_)) => {
                return Err(Error::invalid_argument(
                    "session_id is given but flow_id is NULL: a session is named by its flow and its id \
                     (give both for one session, flow_id alone for a flow, neither for every session)",
                ))
            }
        };
        let doing = || match (flow_id, session_id) {
            (Some(flow), Some(session)) => format!("export {}", describe(flow, session)),
            (Some(flow), None) => format!("export the sessions of flow {}", quote(flow)),
            _ => "export every session".to_string(),
        };
        let (document, count) = self.read_snapshot(|conn| write_document(self, conn, &scope, &doing))?;
        if let (Scope::One(_), Some(flow), Some(session), 0) = (&scope, flow_id, session_id, count) {
            return Err(Error::new(
                Status::NotFound,
                format!("{} does not exist: there is nothing to export", describe(flow, session)),
            ));
        }
        Ok(document)
    }

    /// `ws_import`: writes the sessions of a document `export` wrote (module comment) in
    /// one transaction, after checking all of it; returns how many. Without `replace`, a
    /// session that exists is `WS_ALREADY_EXISTS` and nothing is written; with it, each
    /// existing session of the document is replaced whole, and others are left alone.
    pub fn import(&self, export_json: &str, replace: bool) -> Result<usize> {
        let document: Value = serde_json::from_str(export_json)
            .map_err(|e| Error::invalid_json(format!("export_json is not valid JSON: {e}")))?;
        let sessions = parse_document(&document)?;
        let doing = || match sessions.len() {
            1 => format!("import {}", describe(sessions[0].flow_id, sessions[0].session_id)),
            n => format!("import {n} sessions"),
        };
        self.write(doing, |tx| {
            // Versions from this number on may be revisions this store hands out later.
            let next_change = feed::latest(tx)? + 1;
            for (index, session) in sessions.iter().enumerate() {
                import_session(self, tx, index, session, replace, next_change)?;
            }
            Ok(())
        })?;
        // What the store remembered of replaced sessions' texts is of texts now gone.
        let mut states = self.cache();
        for session in &sessions {
            states.remove(&session.key);
        }
        drop(states);
        let mut cuts = self.chunk_cache();
        for session in &sessions {
            cuts.remove(&session.key);
        }
        Ok(sessions.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chunks::{ChunkSizes, CHUNK_RULES};
    use crate::{Clock, Options, Travel};
    use rusqlite::types::Value as Sql;
    use std::sync::atomic::{AtomicI64, Ordering};
    use std::sync::Arc;

    const SMALL_CHUNKS: ChunkSizes = ChunkSizes { threshold: 512, min: 64, avg: 256, max: 1024 };

    /// A store on a fresh file whose checkpoints read the time from the returned cell,
    /// and a second connection to the file (the same SQLite), for what the API hides.
    fn open(name: &str, options: Options) -> (Store, Connection, Arc<AtomicI64>) {
        let path = crate::store::scratch_file("export", name);
        let now = Arc::new(AtomicI64::new(1_000_000));
        let clock = now.clone();
        let options = Options { clock: Clock::new(move || clock.load(Ordering::SeqCst)), ..options };
        let store = Store::open(&path, options).unwrap();
        (store, Connection::open(&path).unwrap(), now)
    }

    fn count(conn: &Connection, sql: &str) -> i64 {
        conn.query_row(sql, [], |row| row.get(0)).unwrap()
    }

    /// Every row of every table of the file, each value with its type, in rowid order:
    /// what must not change when a call is refused.
    fn dump(conn: &Connection) -> Vec<String> {
        let mut tables =
            conn.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").unwrap();
        let names: Vec<String> =
            tables.query_map([], |row| row.get(0)).unwrap().map(|r| r.unwrap()).collect();
        let mut out = Vec::new();
        for name in names {
            let mut stmt = conn.prepare(&format!("SELECT * FROM \"{name}\" ORDER BY rowid")).unwrap();
            let columns = stmt.column_count();
            let rows = stmt
                .query_map([], |row| {
                    let values: Vec<String> =
                        (0..columns).map(|i| format!("{:?}", row.get::<_, Sql>(i).unwrap())).collect();
                    Ok(format!("{name}: {}", values.join(" | ")))
                })
                .unwrap();
            out.extend(rows.map(|r| r.unwrap()));
        }
        out
    }

    fn big_state(v: usize) -> String {
        let items: Vec<String> = (0..300)
            .map(|i| format!("\"k{i}\":\"é€😀 item {i}, value {}\"", if i == v * 7 { v } else { i }))
            .collect();
        format!("{{{}}}", items.join(","))
    }

    const OLD: &str = "2001-02-03 04:05:06";

    /// Sessions of every kind: "f:a" with a label, a step, a state in a form the library
    /// would not write itself, history snapshots, undo entries with labels and metas, a
    /// pending redo, a clean mark and old timestamps; "f:big" with states kept as chunks;
    /// "f:plain" without stacks; "f:null" whose state is NULL (another program's row);
    /// "g:a" of another flow, marked clean at its present state.
    fn sources(store: &Store, conn: &Connection, now: &AtomicI64) {
        store.create_session("f", Some("a"), Some("Draft é")).unwrap();
        store.history_push("f", "a", r#"{"snap":1}"#).unwrap();
        store.history_push("f", "a", r#"[2, 3.50]"#).unwrap();
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
        for v in 0..4 {
            now.fetch_add(10_000, Ordering::SeqCst);
            store.update_state("f", "big", &big_state(v)).unwrap();
            store.checkpoint_json("f", "big", Some(&format!(r#"{{"label":"cp{v}"}}"#))).unwrap();
        }
        store.update_state("f", "big", r#"{"small":true}"#).unwrap();
        assert!(store.undo("f", "big").unwrap() && store.undo("f", "big").unwrap());
        store.create_session("f", Some("plain"), None).unwrap();
        store.update_state("g", "a", r#"{"other":"flow"}"#).unwrap();
        store.checkpoint_json("g", "a", Some(r#"{"merge_key":"typing"}"#)).unwrap();
        store.set_clean("g", "a").unwrap();
        conn.execute_batch(&format!(
            "UPDATE workflow_state SET state_json = '{{\"v\" : 3,  \"x\":[1.50, \"\\u00e9\"]}}',
                 created_at = '{OLD}', updated_at = '{OLD}' WHERE flow_session_key = 'f:a';
             INSERT INTO workflow_state (flow_session_key, state_json, current_step) VALUES ('f:null', NULL, 's');"
        ))
        .unwrap();
        let chunked =
            "SELECT count(*) FROM ws_history WHERE chunks IS NOT NULL AND flow_session_key = 'f:big'";
        assert_eq!(count(conn, chunked), 4, "the source is what the test needs (SMALL_CHUNKS)");
    }

    const SESSIONS: [(&str, &str); 5] = [("f", "a"), ("f", "big"), ("f", "null"), ("f", "plain"), ("g", "a")];

    /// What a user sees of a session, without revisions (an import takes new ones).
    fn seen(store: &Store, flow: &str, session: &str) -> Vec<Option<String>> {
        seen_but(store, flow, session, &["revision"])
    }

    /// [`seen`] without these members of the session and its summary.
    fn seen_but(store: &Store, flow: &str, session: &str, members: &[&str]) -> Vec<Option<String>> {
        let without = |text: String| {
            let mut value: serde_json::Value = serde_json::from_str(&text).unwrap();
            for member in members {
                value.as_object_mut().unwrap().shift_remove(*member);
            }
            value.to_string()
        };
        vec![
            store.get_session(flow, session).unwrap().map(without),
            Some(store.get_state(flow, session).unwrap()),
            store.get_current_step(flow, session).unwrap(),
            store.get_session_summary(flow, session).unwrap().map(without),
            Some(store.undo_status(flow, session).unwrap()),
            Some(store.history_len(flow, session).unwrap().to_string()),
            store.history_peek(flow, session).unwrap(),
        ]
    }

    /// Walks both sessions' undo stacks down and their redo stacks up, then pops both
    /// histories, checking at every step that they show the same (but for `moving`, the
    /// members that may differ besides the revision and `updated_at`); returns whether a
    /// step was clean.
    fn walk_alike(a: (&Store, &str, &str), b: (&Store, &str, &str), moving: &[&str]) -> bool {
        let travel = |(store, flow, session): (&Store, &str, &str), undo: bool| -> Travel {
            let t = if undo { store.undo_with(flow, session) } else { store.redo_with(flow, session) };
            Travel { revision: 0, ..t.unwrap() }
        };
        let mut clean = false;
        for undo in [true, false, true] {
            loop {
                let (x, y) = (travel(a, undo), travel(b, undo));
                assert_eq!(y, x, "{a:?} / {b:?}", a = (a.1, a.2), b = (b.1, b.2));
                // An undo or redo sets updated_at to now: the two may fall in two seconds.
                let moving = [&["revision", "updated_at"], moving].concat();
                assert_eq!(seen_but(b.0, b.1, b.2, &moving), seen_but(a.0, a.1, a.2, &moving));
                clean |= a.0.undo_status(a.1, a.2).unwrap().ends_with("\"clean\":true}");
                if !x.done {
                    break;
                }
            }
        }
        loop {
            let (x, y) = (a.0.history_pop(a.1, a.2).unwrap(), b.0.history_pop(b.1, b.2).unwrap());
            assert_eq!(y, x);
            if x.is_none() {
                return clean;
            }
        }
    }

    fn check_rules(conn: &Connection) {
        for (rule, sql) in CHUNK_RULES {
            assert_eq!(count(conn, sql), 0, "{rule}");
        }
    }

    /// The stored state texts, byte for byte, with their types.
    fn stored_states(conn: &Connection) -> Vec<(String, Sql, Sql, Sql, Sql)> {
        let mut stmt = conn
            .prepare(
                "SELECT flow_session_key, CAST(state_json AS BLOB), label, created_at, updated_at
                 FROM workflow_state ORDER BY flow_session_key",
            )
            .unwrap();
        stmt.query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?, row.get(4)?)))
            .unwrap()
            .map(|r| r.unwrap())
            .collect()
    }

    /// A document with every version number blanked: a fresh store numbers them anew.
    fn without_versions(document: &str) -> serde_json::Value {
        let mut doc: serde_json::Value = serde_json::from_str(document).unwrap();
        for session in doc["sessions"].as_array_mut().unwrap() {
            session["present_version"] = serde_json::Value::Null;
            session["clean_version"] = serde_json::Value::Null;
            for stack in ["undo", "redo"] {
                for entry in session[stack].as_array_mut().unwrap() {
                    entry["version"] = serde_json::Value::Null;
                }
            }
        }
        doc
    }

    #[test]
    fn an_export_imported_into_a_fresh_file_behaves_as_the_source() {
        let options = Options { chunking: SMALL_CHUNKS, ..Options::default() };
        let (source, source_conn, now) = open("source.db", options.clone());
        sources(&source, &source_conn, &now);
        let document = source.export(None, None).unwrap();
        let doc: serde_json::Value = serde_json::from_str(&document).unwrap();
        let keys: Vec<String> = doc["sessions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| format!("{}:{}", s["flow_id"].as_str().unwrap(), s["session_id"].as_str().unwrap()))
            .collect();
        assert_eq!(keys, ["f:a", "f:big", "f:null", "f:plain", "g:a"], "every session, in key order");
        assert_eq!((&doc["format"], &doc["version"]), (&"workflow_state.export".into(), &1.into()));
        let a = &doc["sessions"][0];
        assert_eq!(a["state_json"], "{\"v\" : 3,  \"x\":[1.50, \"\\u00e9\"]}", "byte for byte");
        assert_eq!(
            (&a["created_at"], &a["history"]),
            (&OLD.into(), &serde_json::json!(["{\"snap\":1}", "[2,3.50]"]))
        );
        assert_eq!(a["undo"].as_array().unwrap().len(), 3);
        assert_eq!(a["undo"][2]["meta"], "{\"cursor\":[2,1]}");
        assert_eq!(doc["sessions"][2]["state_json"], serde_json::Value::Null, "a NULL state exports as null");
        assert_eq!(
            doc["sessions"][1]["undo"][1]["snapshot"].as_str().unwrap(),
            big_state(1),
            "chunks put together"
        );

        // Another chunking: the target cuts the snapshots by its own rules.
        let chunking = ChunkSizes { threshold: 2048, min: 64, avg: 512, max: 2048 };
        let (target, target_conn, _) = open("target.db", Options { chunking, ..Options::default() });
        let latest = target.latest_seq().unwrap();
        assert_eq!(target.import(&document, false).unwrap(), 5);
        assert_eq!(target.latest_seq().unwrap(), latest + 5, "one new number per session");
        check_rules(&target_conn);
        assert!(count(&target_conn, "SELECT count(*) FROM ws_history WHERE chunks IS NOT NULL") >= 4);
        assert_eq!(
            count(&target_conn, "SELECT count(merge_key) FROM ws_history"),
            0,
            "no merge run survives"
        );
        assert_eq!(
            stored_states(&target_conn),
            stored_states(&source_conn),
            "rows byte for byte, timestamps kept"
        );
        for (flow, session) in SESSIONS {
            assert_eq!(seen(&target, flow, session), seen(&source, flow, session), "{flow}:{session}");
        }
        // Exported again: the same document, but for the versions, which the fresh file
        // numbered anew.
        assert_eq!(without_versions(&target.export(None, None).unwrap()), without_versions(&document));
        let mut clean = false;
        for (flow, session) in SESSIONS {
            clean |= walk_alike((&source, flow, session), (&target, flow, session), &[]);
        }
        assert!(clean, "the clean marks came along");
        check_rules(&target_conn);
    }

    #[test]
    fn an_import_over_the_same_sessions_with_replace_changes_nothing_that_shows() {
        let (store, conn, now) = open("same.db", Options { chunking: SMALL_CHUNKS, ..Options::default() });
        sources(&store, &conn, &now);
        let before: Vec<_> = SESSIONS.iter().map(|(f, s)| seen(&store, f, s)).collect();
        let states = stored_states(&conn);
        let document = store.export(Some("f"), None).unwrap();
        let g_revision = store.get_revision("g", "a").unwrap();
        let err = store.import(&document, false).unwrap_err();
        assert_eq!(
            (err.status, err.message.as_str()),
            (
                Status::AlreadyExists,
                "session \"a\" of flow \"f\" (sessions[0]) already exists: import with replace to overwrite it, \
                 or delete it first; nothing was imported"
            )
        );
        assert_eq!(store.import(&document, true).unwrap(), 4);
        check_rules(&conn);
        let after: Vec<_> = SESSIONS.iter().map(|(f, s)| seen(&store, f, s)).collect();
        assert_eq!(after, before);
        assert_eq!(stored_states(&conn), states);
        assert_eq!(
            store.get_revision("g", "a").unwrap(),
            g_revision,
            "a session not in the document is left alone"
        );
        // The same document, versions included, but for the present version of a session
        // that has no marks: it is the session's revision, which the import renewed.
        let idle = |document: &str| {
            let mut doc: serde_json::Value = serde_json::from_str(document).unwrap();
            for session in doc["sessions"].as_array_mut().unwrap() {
                if session["undo"] == serde_json::json!([])
                    && session["redo"] == serde_json::json!([])
                    && session["clean_version"].is_null()
                {
                    session["present_version"] = serde_json::Value::Null;
                }
            }
            doc
        };
        assert_eq!(idle(&store.export(Some("f"), None).unwrap()), idle(&document));
        // Undo and redo go as they did: against a copy made before, in the same file.
        let (twin, twin_conn, twin_now) =
            open("twin.db", Options { chunking: SMALL_CHUNKS, ..Options::default() });
        sources(&twin, &twin_conn, &twin_now);
        for (flow, session) in SESSIONS {
            // The twin's sessions were made later, maybe a second later.
            walk_alike((&twin, flow, session), (&store, flow, session), &["created_at"]);
        }
        check_rules(&conn);
    }

    #[test]
    fn replace_replaces_a_session_whole() {
        let (store, conn, _) = open("replace.db", Options { chunking: SMALL_CHUNKS, ..Options::default() });
        store.update_state("f", "a", r#"{"v":1}"#).unwrap();
        let document = store.export(Some("f"), Some("a")).unwrap();
        // What "f:a" has by now must all go: its stacks (chunked ones too), its mark.
        for v in 0..3 {
            store.update_state("f", "a", &big_state(v)).unwrap();
            store.checkpoint("f", "a", Some("big")).unwrap();
        }
        store.history_push("f", "a", "[1]").unwrap();
        store.set_clean("f", "a").unwrap();
        store.set_session_label("f", "a", Some("later")).unwrap();
        store.update_state("f", "b", r#"{"b":1}"#).unwrap();
        let b = (seen(&store, "f", "b"), store.get_revision("f", "b").unwrap());
        assert!(count(&conn, "SELECT count(*) FROM ws_chunk") > 0);
        store.import(&document, true).unwrap();
        assert_eq!(store.get_state("f", "a").unwrap(), r#"{"v":1}"#);
        assert_eq!(
            store.undo_status("f", "a").unwrap(),
            r#"{"undo_depth":0,"redo_depth":0,"undo_label":null,"redo_label":null,"undo_meta":null,"redo_meta":null,"clean":false}"#
        );
        assert_eq!(
            (
                store.history_len("f", "a").unwrap(),
                store.get_session_summary("f", "a").unwrap().unwrap().contains("\"label\":null")
            ),
            (0, true)
        );
        for table in ["ws_history", "ws_undo", "ws_chunk", "ws_chunk_data"] {
            assert_eq!(count(&conn, &format!("SELECT count(*) FROM {table}")), 0, "{table}");
        }
        assert_eq!((seen(&store, "f", "b"), store.get_revision("f", "b").unwrap()), b);
        // The feed shows the replaced session at its new revision, not deleted.
        let changes: serde_json::Value =
            serde_json::from_str(&store.changes_since(Some("f"), 0, 0).unwrap()).unwrap();
        let a =
            changes["changes"].as_array().unwrap().iter().find(|c| c["session_id"] == "a").unwrap().clone();
        assert_eq!(
            (&a["deleted"], &a["revision"]),
            (&false.into(), &store.get_revision("f", "a").unwrap().into())
        );
    }

    /// Versions come from the exporting file's change sequence; in a fresh file the same
    /// numbers would be revisions of later edits, and such an edit would look clean.
    #[test]
    fn no_later_edit_of_an_imported_session_looks_clean() {
        let (source, source_conn, _) = open("versions.db", Options::default());
        for i in 0..20 {
            source.update_state("f", &format!("other{i}"), "{}").unwrap();
        }
        source.update_state("f", "s", r#"{"v":0}"#).unwrap();
        source.checkpoint_json("f", "s", Some(r#"{"label":"zero"}"#)).unwrap();
        source.update_state("f", "s", r#"{"v":1}"#).unwrap();
        source.set_clean("f", "s").unwrap();
        source.checkpoint_json("f", "s", Some(r#"{"label":"one"}"#)).unwrap();
        source.update_state("f", "s", r#"{"v":2}"#).unwrap();
        let document = source.export(Some("f"), Some("s")).unwrap();
        let doc: serde_json::Value = serde_json::from_str(&document).unwrap();
        let clean = doc["sessions"][0]["clean_version"].as_i64().unwrap();
        assert!(clean > 20, "{clean}");
        drop(source_conn);
        let (target, _conn, _) = open("versions-target.db", Options::default());
        target.import(&document, false).unwrap();
        assert!(target.undo_status("f", "s").unwrap().ends_with("\"clean\":false}"));
        // Edit until the session's revision has passed the marked version's number: each
        // edit takes the next number, so one of them takes that number too.
        let mut v = 10;
        while target.get_revision("f", "s").unwrap() <= clean + 1 {
            v += 1;
            target.update_state("f", "s", &format!(r#"{{"v":{v}}}"#)).unwrap();
            let revision = target.get_revision("f", "s").unwrap();
            assert!(
                target.undo_status("f", "s").unwrap().ends_with("\"clean\":false}"),
                "revision {revision}"
            );
        }
        target.checkpoint("f", "s", None).unwrap();
        // Back down to the marked state: clean, and only there.
        let mut cleans = Vec::new();
        while target.undo("f", "s").unwrap() {
            cleans.push((
                target.get_state("f", "s").unwrap(),
                target.undo_status("f", "s").unwrap().ends_with("\"clean\":true}"),
            ));
        }
        let marked: Vec<_> =
            cleans.iter().filter(|(_, clean)| *clean).map(|(state, _)| state.as_str()).collect();
        assert_eq!(marked, [r#"{"v":1}"#]);
        // Exported again and imported into a third file: still one clean state.
        let again = target.export(Some("f"), Some("s")).unwrap();
        let (third, _conn3, _) = open("versions-third.db", Options::default());
        third.import(&again, false).unwrap();
        let mut clean_states = Vec::new();
        loop {
            if third.undo_status("f", "s").unwrap().ends_with("\"clean\":true}") {
                clean_states.push(third.get_state("f", "s").unwrap());
            }
            if !third.redo("f", "s").unwrap() {
                break;
            }
        }
        assert_eq!(clean_states, [r#"{"v":1}"#]);
    }

    #[test]
    fn export_scopes_and_their_refusals() {
        let (store, conn, now) = open("scopes.db", Options { chunking: SMALL_CHUNKS, ..Options::default() });
        sources(&store, &conn, &now);
        let keys = |document: &str| -> Vec<String> {
            let doc: serde_json::Value = serde_json::from_str(document).unwrap();
            doc["sessions"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| format!("{}:{}", s["flow_id"].as_str().unwrap(), s["session_id"].as_str().unwrap()))
                .collect()
        };
        assert_eq!(keys(&store.export(Some("g"), None).unwrap()), ["g:a"]);
        assert_eq!(keys(&store.export(Some("f"), Some("big")).unwrap()), ["f:big"]);
        assert_eq!(
            store.export(Some("none"), None).unwrap(),
            r#"{"format":"workflow_state.export","version":1,"sessions":[]}"#
        );
        for (flow, session, status, message) in [
            (Some("f"), Some("nope"), Status::NotFound, r#"session "nope" of flow "f" does not exist: there is nothing to export"#),
            (None, Some("a"), Status::InvalidArgument, "session_id is given but flow_id is NULL: a session is named by its flow and its id (give both for one session, flow_id alone for a flow, neither for every session)"),
            (Some(""), None, Status::InvalidArgument, "flow_id must not be empty"),
            (Some("f:x"), None, Status::InvalidArgument, "flow_id \"f:x\" must not contain ':'"),
            (Some("f"), Some(""), Status::InvalidArgument, "session_id must not be empty"),
        ] {
            let err = store.export(flow, session).unwrap_err();
            assert_eq!((err.status, err.message.as_str()), (status, message));
        }
        // A read-only store exports; it cannot import.
        let path = conn.path().unwrap().to_string();
        let reader = Store::open(&path, Options { read_only: true, ..Options::default() }).unwrap();
        let document = reader.export(None, None).unwrap();
        assert_eq!(document, store.export(None, None).unwrap());
        let err = reader.import(&document, true).unwrap_err();
        assert_eq!(
            (err.status, err.message.as_str()),
            (Status::Io, "cannot import 5 sessions: the store was opened read_only")
        );
    }

    #[test]
    fn stored_text_an_import_would_refuse_is_not_exported() {
        for (i, (damage, message)) in [
            ("UPDATE workflow_state SET state_json = '{\"x\": NaN}' WHERE flow_session_key = 'f:a'", "the stored state of session \"a\" of flow \"f\" is not strict JSON ("),
            ("UPDATE workflow_state SET state_json = '[1]' WHERE flow_session_key = 'f:a'", "the stored state of session \"a\" of flow \"f\" is an array, not a JSON object"),
            ("UPDATE workflow_state SET state_json = X'7B7D' WHERE flow_session_key = 'f:a'", "the stored state of session \"a\" of flow \"f\" is not UTF-8 text"),
            ("UPDATE ws_history SET snapshot = '{' WHERE stack = 11", "the snapshot of entry 8388608 of the undo stack of session \"a\" of flow \"f\" is not strict JSON ("),
            ("UPDATE ws_history SET snapshot = '7' WHERE stack = 11", "the snapshot of entry 8388608 of the undo stack of session \"a\" of flow \"f\" is a number, not a JSON object"),
            ("UPDATE ws_history SET meta = '{' WHERE stack = 11", "the meta of entry 8388608 of the undo stack of session \"a\" of flow \"f\" is not strict JSON ("),
            ("UPDATE ws_history SET snapshot = 'x' WHERE stack = 10", "the snapshot of entry 8388608 of the history stack of session \"a\" of flow \"f\" is not strict JSON ("),
            ("UPDATE ws_history SET snapshot = NULL WHERE stack = 10", "the snapshot of entry 8388608 of the history stack of session \"a\" of flow \"f\" is missing"),
            ("UPDATE ws_history SET label = X'FF' WHERE stack = 11", "the label of entry 8388608 of the undo stack of session \"a\" of flow \"f\" is not UTF-8 text"),
            ("UPDATE workflow_state SET label = 'a' || char(0) || 'b' WHERE flow_session_key = 'f:a'", "the label of session \"a\" of flow \"f\" contains a NUL byte"),
            ("INSERT INTO workflow_state (flow_session_key) VALUES ('nocolon')", "the workflow_state row of key \"nocolon\" is not a session"),
            ("INSERT INTO workflow_state (flow_session_key) VALUES ('f:')", "the workflow_state row of key \"f:\" is not a session"),
        ]
        .into_iter()
        .enumerate()
        {
            let (store, conn, _) = open(&format!("corrupt{i}.db"), Options::default());
            store.update_state("f", "a", r#"{"v":1}"#).unwrap();
            store.checkpoint_json("f", "a", Some(r#"{"meta":{"m":1}}"#)).unwrap();
            store.history_push("f", "a", "[1]").unwrap();
            store.update_state("f", "b", r#"{"b":1}"#).unwrap();
            let good = store.export(Some("f"), Some("b")).unwrap();
            conn.execute_batch(damage).unwrap();
            let state = dump(&conn);
            let err = store.export(None, None).unwrap_err();
            assert_eq!(err.status, Status::Corrupt, "{damage}: {err:?}");
            assert!(err.message.starts_with(message), "{damage}: {}", err.message);
            assert_eq!(dump(&conn), state);
            // The other session still exports.
            assert_eq!(store.export(Some("f"), Some("b")).unwrap(), good);
        }
    }

    /// A document with `edit` applied to a valid one (a JSON Pointer and the value to put
    /// there, or None to remove the member).
    fn edited(document: &str, pointer: &str, value: Option<serde_json::Value>) -> String {
        let mut doc: serde_json::Value = serde_json::from_str(document).unwrap();
        let (parent, last) = pointer.rsplit_once('/').unwrap();
        let parent = doc.pointer_mut(parent).unwrap();
        match (parent, value) {
            (serde_json::Value::Object(map), Some(value)) => {
                map.insert(last.to_string(), value);
            }
            (serde_json::Value::Object(map), None) => {
                map.shift_remove(last);
            }
            (serde_json::Value::Array(items), Some(value)) => items[last.parse::<usize>().unwrap()] = value,
            (serde_json::Value::Array(items), None) => {
                items.remove(last.parse::<usize>().unwrap());
            }
            _ => unreachable!(),
        }
        doc.to_string()
    }

    #[test]
    fn a_refused_import_says_where_and_writes_nothing() {
        use serde_json::json;
        let (source, source_conn, now) =
            open("refused-source.db", Options { chunking: SMALL_CHUNKS, ..Options::default() });
        sources(&source, &source_conn, &now);
        let document = source.export(None, None).unwrap();
        let (store, conn, _) = open("refused.db", Options::default());
        store.update_state("f", "plain", r#"{"here":"before"}"#).unwrap();
        store.checkpoint("f", "plain", Some("mine")).unwrap();
        let before = dump(&conn);
        let big = "x".repeat(2000);
        let bad = |pointer: &str, value: serde_json::Value| edited(&document, pointer, Some(value));
        let gone = |pointer: &str| edited(&document, pointer, None);
        let invalid = Status::InvalidArgument;
        let cases: Vec<(String, Status, String)> = vec![
            ("{".into(), Status::InvalidJson, "export_json is not valid JSON: EOF while parsing an object at line 1 column 1".into()),
            ("[1]".into(), Status::InvalidJson, "export_json must be a JSON object, got an array".into()),
            (gone("/format"), invalid, "export_json has no member \"format\": it is not a workflow_state export (one begins {\"format\":\"workflow_state.export\",\"version\":1, ...)".into()),
            (bad("/format", json!("other")), invalid, "format is \"other\", not \"workflow_state.export\": export_json is not a workflow_state export".into()),
            (bad("/format", json!(1)), invalid, "format must be the string \"workflow_state.export\", got 1".into()),
            (gone("/version"), invalid, "export_json has no member \"version\" (this library reads version 1)".into()),
            (bad("/version", json!("1")), invalid, "version must be an integer, got a string".into()),
            (bad("/version", json!(1.5)), invalid, "version must be an integer, got 1.5".into()),
            (bad("/version", json!(2)), invalid, "version 2 is newer than this library reads (1): upgrade workflow_state".into()),
            (bad("/version", json!(0)), invalid, "version 0 is no version of the format (the first is 1)".into()),
            (bad("/extra", json!(1)), invalid, "export_json has unknown member \"extra\" (a document has the members format, version, sessions)".into()),
            (gone("/sessions"), invalid, "export_json has no member \"sessions\"".into()),
            (bad("/sessions", json!({})), invalid, "sessions must be an array, got an object".into()),
            (bad("/sessions/3", json!("s")), invalid, "sessions[3] must be an object, got a string".into()),
            (gone("/sessions/3/history"), invalid, "sessions[3] has no member \"history\"".into()),
            (bad("/sessions/3/lable", json!(null)), invalid, "sessions[3] has unknown member \"lable\" (a session has the members flow_id, session_id, label, current_step, state_json, created_at, updated_at, history, undo, redo, present_version, clean_version)".into()),
            (bad("/sessions/3/flow_id", json!("")), invalid, "sessions[3].flow_id must not be empty".into()),
            (bad("/sessions/3/flow_id", json!("a:b")), invalid, "sessions[3].flow_id \"a:b\" must not contain ':'".into()),
            (bad("/sessions/3/flow_id", json!(null)), invalid, "sessions[3].flow_id must be a string, got null".into()),
            (bad("/sessions/3/session_id", json!("")), invalid, "sessions[3].session_id must not be empty".into()),
            (bad("/sessions/3/session_id", json!("a")), invalid, "sessions[3] is session \"a\" of flow \"f\" again (as sessions[0]): a document holds each session once".into()),
            (bad("/sessions/3/label", json!(7)), invalid, "sessions[3].label must be a string or null, got 7".into()),
            (bad("/sessions/3/label", json!("a\u{0}b")), invalid, "sessions[3].label holds a NUL character (\\u0000), which a stored text cannot hold".into()),
            (bad("/sessions/3/current_step", json!([])), invalid, "sessions[3].current_step must be a string or null, got an array".into()),
            (bad("/sessions/3/state_json", json!({})), invalid, "sessions[3].state_json must be a string or null, got an object".into()),
            (bad("/sessions/3/state_json", json!("[1]")), invalid, "sessions[3].state_json is an array, not a JSON object".into()),
            (bad("/sessions/3/state_json", json!("{\"a\":NaN}")), invalid, "sessions[3].state_json is not strict JSON (expected value at line 1 column 6)".into()),
            (bad("/sessions/3/state_json", json!(" ")), invalid, "sessions[3].state_json is not strict JSON (EOF while parsing a value at line 1 column 1)".into()),
            (bad("/sessions/3/created_at", json!(20010203)), invalid, "sessions[3].created_at must be a string or null, got 20010203".into()),
            (bad("/sessions/3/updated_at", json!(true)), invalid, "sessions[3].updated_at must be a string or null, got a boolean".into()),
            (bad("/sessions/0/history", json!("[]")), invalid, "sessions[0].history must be an array, got a string".into()),
            (bad("/sessions/0/history/1", json!(2)), invalid, "sessions[0].history[1] must be a string, got 2".into()),
            (bad("/sessions/0/history/1", json!("{")), invalid, "sessions[0].history[1] is not strict JSON (EOF while parsing an object at line 1 column 1)".into()),
            (bad("/sessions/0/undo/1", json!([])), invalid, "sessions[0].undo[1] must be an object, got an array".into()),
            (gone("/sessions/0/undo/1/made_ms"), invalid, "sessions[0].undo[1] has no member \"made_ms\"".into()),
            (bad("/sessions/0/undo/1/merge_key", json!("k")), invalid, "sessions[0].undo[1] has unknown member \"merge_key\" (an undo or redo entry has the members label, current_step, snapshot, meta, made_ms, version)".into()),
            (bad("/sessions/0/undo/1/snapshot", json!(5)), invalid, "sessions[0].undo[1].snapshot must be a string or null, got 5".into()),
            (bad("/sessions/0/undo/1/snapshot", json!("\"text\"")), invalid, "sessions[0].undo[1].snapshot is a string, not a JSON object".into()),
            (bad("/sessions/1/redo/0/snapshot", json!(format!("{{\"a\":\"{big}\"")), ), invalid, "sessions[1].redo[0].snapshot is not strict JSON (EOF while parsing an object at line 1 column 2007)".into()),
            (bad("/sessions/0/undo/1/meta", json!({"cursor":1})), invalid, "sessions[0].undo[1].meta must be a string (a JSON text) or null, got an object".into()),
            (bad("/sessions/0/undo/1/meta", json!("{cursor}")), invalid, "sessions[0].undo[1].meta is not strict JSON (key must be a string at line 1 column 2)".into()),
            (bad("/sessions/0/undo/1/label", json!(false)), invalid, "sessions[0].undo[1].label must be a string or null, got a boolean".into()),
            (bad("/sessions/0/redo/0/current_step", json!("s\u{0}")), invalid, "sessions[0].redo[0].current_step holds a NUL character (\\u0000), which a stored text cannot hold".into()),
            (bad("/sessions/0/undo/1/made_ms", json!("1")), invalid, "sessions[0].undo[1].made_ms must be an integer or null, got a string".into()),
            (bad("/sessions/0/undo/1/version", json!(1e3)), invalid, "sessions[0].undo[1].version must be an integer or null, got 1000.0".into()),
            (bad("/sessions/0/present_version", json!(null)), invalid, "sessions[0].present_version must be an integer, got null".into()),
            (bad("/sessions/0/clean_version", json!("3")), invalid, "sessions[0].clean_version must be an integer or null, got a string".into()),
            // Valid, but a session of it exists (the last: the sessions before it are
            // written, then rolled back).
            (document.clone(), Status::AlreadyExists, "session \"plain\" of flow \"f\" (sessions[3]) already exists: import with replace to overwrite it, or delete it first; nothing was imported".into()),
        ];
        for (doc, status, message) in cases {
            for replace in [false, true] {
                if status == Status::AlreadyExists && replace {
                    continue;
                }
                let err = store.import(&doc, replace).unwrap_err();
                assert_eq!(
                    (err.status, err.message.as_str()),
                    (status, message.as_str()),
                    "replace {replace}"
                );
                assert_eq!(dump(&conn), before, "{message}");
            }
        }
        assert!(!store.session_exists("f", "a").unwrap());
        // The same document without the session that exists goes in.
        assert_eq!(store.import(&gone("/sessions/3"), false).unwrap(), 4);
        check_rules(&conn);
        assert_eq!(store.get_state("f", "plain").unwrap(), r#"{"here":"before"}"#);
    }
}
