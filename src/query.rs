//! Paged session queries (`ws_query_sessions`): a flow's sessions one page at a time, in
//! any order, filtered, with values from each state beside each summary.
//!
//! Paging is by keyset, never by offset: a page is a range scan of the order's index
//! (`ws_query_updated`, `ws_query_created`, `ws_query_label`, see `schema.rs`), which
//! leads with the session's flow, then the sort value, then the key, so a page starts
//! where the last one stopped at the cost of one index seek, whatever its position. The
//! key breaks ties (timestamps are whole seconds, so they are common), which makes the
//! order total and stable: an unchanged session keeps its place for as long as it exists.
//!
//! The cursor (`next`) carries the last row's sort value and key, and the latest number
//! of the change sequence when the walk began. Later pages skip every session whose
//! revision is newer: a session that changed during the walk may have moved across the
//! cursor (ascending by `updated_at`, every update moves it to the end), and returning it
//! again would show it twice. So a walk returns each session that existed unchanged from
//! its first page to its last exactly once, never one twice, and leaves out those
//! created or changed meanwhile (the change feed tells a client about those).

use crate::error::{quote, Error, Result};
use crate::json;
use crate::key::{check_flow_id, describe};
use crate::pointer::{self, Pointer};
use crate::prune::check_timestamp;
use crate::schema::SELECT_LATEST_SEQ;
use crate::sessions::{push_summary_members, Order, LIST_COLUMNS};
use crate::store::Store;
use crate::stored;
use rusqlite::types::{ToSqlOutput, Value, ValueRef};
use rusqlite::ToSql;
use serde_json::Value as Json;
use std::borrow::Cow;

/// A page's size when the query names none, and the largest it may name.
const DEFAULT_LIMIT: usize = 100;
const MAX_LIMIT: usize = 10_000;
/// The most `fields` one query may ask for.
const MAX_FIELDS: usize = 256;

/// The flow of a session key, spelled exactly as the query indexes spell it.
const FLOW_OF_KEY: &str = "substr(w.flow_session_key, 1, instr(w.flow_session_key, ':') - 1)";

/// The column each order sorts by, as the query reads it.
fn sort_column(order: Order) -> &'static str {
    match order {
        Order::UpdatedAt => "w.updated_at",
        Order::CreatedAt => "w.created_at",
        Order::Label => "w.label",
    }
}

/// The two runs of an order: the sessions whose sort column is NULL (most sessions have
/// no label), which SQLite sorts first, and the others. A keyset comparison
/// `(value, key) > (?, ?)` never matches a NULL value, so each run is read by a query of
/// its own, and a page that reaches the end of one goes on with the next.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Run {
    Null,
    Valued,
}

impl Run {
    /// The runs in the order a walk meets them.
    fn in_order(descending: bool) -> [Run; 2] {
        if descending {
            [Run::Valued, Run::Null]
        } else {
            [Run::Null, Run::Valued]
        }
    }
}

/// A parsed query.
struct Query {
    order: Order,
    descending: bool,
    limit: usize,
    after: Option<Cursor>,
    current_step: Option<String>,
    label_prefix: Option<String>,
    updated_after: Option<String>,
    updated_before: Option<String>,
    fields: Vec<Pointer<'static>>,
}

const MEMBERS: &str = "order_by, descending, limit, after, current_step, label_prefix, updated_after, \
                       updated_before, fields";

impl Query {
    fn parse(flow_id: &str, text: Option<&str>) -> Result<Query> {
        let mut query = Query {
            order: Order::UpdatedAt,
            descending: true,
            limit: DEFAULT_LIMIT,
            after: None,
            current_step: None,
            label_prefix: None,
            updated_after: None,
            updated_before: None,
            fields: Vec::new(),
        };
        let Some(text) = text else { return Ok(query) };
        let Json::Object(members) = json::parse_value(text, "query_json")? else {
            return Err(Error::invalid_argument(format!(
                "query_json must be a JSON object (or NULL for the defaults), not {}",
                json::kind(&json::parse_value(text, "query_json")?)
            )));
        };
        let mut after = None;
        for (name, value) in &members {
            let wrong = |expected: &str| {
                Error::invalid_argument(format!(
                    "query member {} must be {expected}, not {}",
                    quote(name),
                    json::kind(value)
                ))
            };
            let text = || value.as_str().map(str::to_string).ok_or_else(|| wrong("a string"));
            match name.as_str() {
                "order_by" => {
                    let name = text()?;
                    query.order = Order::from_name(&name).ok_or_else(|| {
                        Error::invalid_argument(format!(
                            "query member \"order_by\" is {}: it must be \"updated_at\", \"created_at\" or \"label\"",
                            quote(&name)
                        ))
                    })?;
                }
                "descending" => query.descending = value.as_bool().ok_or_else(|| wrong("true or false"))?,
                "limit" => {
                    query.limit = value
                        .as_u64()
                        .and_then(|n| usize::try_from(n).ok())
                        .filter(|n| (1..=MAX_LIMIT).contains(n))
                        .ok_or_else(|| wrong(&format!("an integer from 1 to {MAX_LIMIT}")))?
                }
                "after" if value.is_null() => {}
                "after" => after = Some(text()?),
                "current_step" if value.is_null() => {}
                "current_step" => query.current_step = Some(text()?),
                "label_prefix" if value.is_null() => {}
                "label_prefix" => query.label_prefix = Some(text()?).filter(|prefix| !prefix.is_empty()),
                "updated_after" | "updated_before" if value.is_null() => {}
                "updated_after" | "updated_before" => {
                    let stamp = text()?;
                    check_timestamp(&format!("query member {}", quote(name)), &stamp)?;
                    match name.as_str() {
                        "updated_after" => query.updated_after = Some(stamp),
                        _ => query.updated_before = Some(stamp),
                    }
                }
                "fields" => query.fields = parse_fields(value).map_err(Error::invalid_argument)?,
                _ => {
                    return Err(Error::invalid_argument(format!(
                        "query member {} is not one of {MEMBERS}",
                        quote(name)
                    )))
                }
            }
        }
        // Checked last, against the order and direction the query asks for.
        if let Some(after) = after {
            query.after = Some(Cursor::decode(&after, flow_id, query.order, query.descending)?);
        }
        Ok(query)
    }
}

/// The `fields` member: distinct JSON Pointers.
fn parse_fields(value: &Json) -> std::result::Result<Vec<Pointer<'static>>, String> {
    let Json::Array(items) = value else {
        return Err(format!(
            "query member \"fields\" must be an array of JSON Pointers, not {}",
            json::kind(value)
        ));
    };
    if items.len() > MAX_FIELDS {
        return Err(format!(
            "query member \"fields\" names {} pointers, more than {MAX_FIELDS}",
            items.len()
        ));
    }
    let mut fields: Vec<Pointer<'static>> = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let Some(text) = item.as_str() else {
            return Err(format!("fields[{i}] must be a JSON Pointer string, not {}", json::kind(item)));
        };
        if let Some(first) = fields.iter().position(|field| field.text == text) {
            return Err(format!("fields[{i}] repeats fields[{first}] ({})", quote(text)));
        }
        fields
            .push(Pointer::parse(Cow::Owned(text.to_string())).map_err(|why| format!("fields[{i}]: {why}"))?);
    }
    Ok(fields)
}

/// Where a walk stopped: what a page's `next` encodes.
#[derive(Clone, Debug, PartialEq)]
struct Cursor {
    flow: String,
    order: Order,
    descending: bool,
    /// The last row's sort value and key.
    value: Value,
    key: String,
    /// The latest number of the change sequence when the walk's first page was read.
    walk_seq: i64,
}

/// The cursor format's version, the first element of its payload.
const CURSOR_VERSION: i64 = 1;
/// The bytes of a BLAKE3 hash of the payload that end a cursor: a damaged or hand-made
/// cursor is refused instead of starting a page at a place no page ended.
const CURSOR_CHECK: usize = 8;

impl Cursor {
    /// Opaque text: hex of the payload (a JSON array) and of its check bytes.
    fn encode(&self) -> String {
        let value = match &self.value {
            Value::Integer(n) => Json::from(*n),
            Value::Real(f) => Json::from(*f),
            Value::Text(text) => Json::from(text.as_str()),
            Value::Blob(bytes) => serde_json::json!({ "blob": hex(bytes) }),
            Value::Null => Json::Null,
        };
        let payload = serde_json::json!([
            CURSOR_VERSION,
            self.flow,
            self.order.column(),
            self.descending,
            value,
            self.key,
            self.walk_seq
        ])
        .to_string();
        let check = blake3::hash(payload.as_bytes());
        hex(payload.as_bytes()) + &hex(&check.as_bytes()[..CURSOR_CHECK])
    }

    /// The cursor `text` encodes, which must continue a walk of `flow_id` in this order.
    fn decode(text: &str, flow_id: &str, order: Order, descending: bool) -> Result<Cursor> {
        let damaged = || {
            Error::invalid_argument(
                "query member \"after\" is not a cursor that ws_query_sessions returned, or it was changed: \
                 pass back a page's \"next\" exactly as it came",
            )
        };
        let bytes = unhex(text).filter(|bytes| bytes.len() > CURSOR_CHECK).ok_or_else(damaged)?;
        let (payload, check) = bytes.split_at(bytes.len() - CURSOR_CHECK);
        if blake3::hash(payload).as_bytes()[..CURSOR_CHECK] != *check {
            return Err(damaged());
        }
        let items: Vec<Json> = serde_json::from_slice(payload).map_err(|_| damaged())?;
        let [version, flow, order_name, walk_descending, value, key, walk_seq] = &items[..] else {
            return Err(damaged());
        };
        if version.as_i64() != Some(CURSOR_VERSION) {
            return Err(Error::invalid_argument(format!(
                "query member \"after\" is a cursor of format {version}, which this version of the library \
                 does not read: start the walk again"
            )));
        }
        let (Some(flow), Some(walk_order), Some(walk_descending), Some(key), Some(walk_seq)) = (
            flow.as_str(),
            order_name.as_str().and_then(Order::from_name),
            walk_descending.as_bool(),
            key.as_str(),
            walk_seq.as_i64(),
        ) else {
            return Err(damaged());
        };
        if flow != flow_id {
            return Err(Error::invalid_argument(format!(
                "query member \"after\" is a cursor of flow {}, not of flow {}: a cursor continues only the walk \
                 that returned it",
                quote(flow),
                quote(flow_id)
            )));
        }
        if (walk_order, walk_descending) != (order, descending) {
            let say = |order: Order, descending: bool| {
                format!(
                    "order_by {} {}",
                    quote(order.column()),
                    if descending { "descending" } else { "ascending" }
                )
            };
            return Err(Error::invalid_argument(format!(
                "query member \"after\" is a cursor of a walk by {}, but this query asks for {}: a cursor \
                 continues only the order that returned it",
                say(walk_order, walk_descending),
                say(order, descending)
            )));
        }
        let value = match value {
            Json::String(text) => Value::Text(text.clone()),
            Json::Number(n) => match n.as_i64() {
                Some(n) => Value::Integer(n),
                None => Value::Real(n.as_f64().ok_or_else(damaged)?),
            },
            Json::Object(blob) => {
                Value::Blob(blob.get("blob").and_then(Json::as_str).and_then(unhex).ok_or_else(damaged)?)
            }
            Json::Null => Value::Null,
            _ => return Err(damaged()),
        };
        Ok(Cursor { flow: flow.to_string(), order, descending, value, key: key.to_string(), walk_seq })
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) || !text.is_ascii() {
        return None;
    }
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(&text[i..i + 2], 16).ok()).collect()
}

/// The smallest byte string greater than every string that starts with `prefix`: the
/// prefix with its last byte one higher (UTF-8 never holds 0xFF, so there is no carry).
/// Not UTF-8 when that byte was a continuation or lead byte; SQLite compares text as
/// bytes, so the bound is still exact.
fn prefix_end(prefix: &str) -> Vec<u8> {
    let mut end = prefix.as_bytes().to_vec();
    if let Some(last) = end.last_mut() {
        *last += 1;
    }
    end
}

/// A text parameter given as bytes, which need not be UTF-8.
struct TextBytes(Vec<u8>);

impl ToSql for TextBytes {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Borrowed(ValueRef::Text(&self.0)))
    }
}

/// The query of one run of a page. Its parameters: ?1 the flow; ?2, ?3 the cursor's
/// sort value and key; ?4 the walk's change number (the largest integer on its first
/// page); ?5 current_step; ?6, ?7 the label prefix's range; ?8, ?9 the updated_at
/// bounds; ?10 how many rows. `after`: the run continues from the cursor's place (else
/// it starts at its beginning). Only the clauses the query uses are written, so the
/// planner sees the index range of each: `(<flow> = ?1 AND (value, key) > (?2, ?3))` in
/// the order's index, never a scan from the flow's start.
fn run_sql(query: &Query, run: Run, after: bool) -> String {
    let column = sort_column(query.order);
    let (dir, past) = if query.descending { ("DESC", "<") } else { ("ASC", ">") };
    let state = if query.fields.is_empty() { "NULL" } else { "w.state_json" };
    let mut sql = format!(
        "SELECT {LIST_COLUMNS}, coalesce(c.seq, 0), {column}, {state}, ({SELECT_LATEST_SEQ})
         FROM workflow_state w LEFT JOIN ws_change c ON c.flow_session_key = w.flow_session_key
         WHERE {FLOW_OF_KEY} = ?1 AND coalesce(c.seq, 0) <= ?4"
    );
    sql += &match (run, after) {
        (Run::Null, false) => format!(" AND {column} IS NULL"),
        (Run::Null, true) => format!(" AND {column} IS NULL AND w.flow_session_key {past} ?3"),
        (Run::Valued, false) => format!(" AND {column} IS NOT NULL"),
        (Run::Valued, true) => format!(" AND ({column}, w.flow_session_key) {past} (?2, ?3)"),
    };
    if query.current_step.is_some() {
        sql += " AND w.current_step = ?5";
    }
    // A filter on another order's column is written `+column`, which keeps the planner
    // from reading that order's index and sorting: the page must stay one run of its own.
    let plain = |order: Order| if order == query.order { "" } else { "+" };
    if query.label_prefix.is_some() {
        let label = plain(Order::Label);
        sql += &format!(" AND {label}w.label >= ?6 AND {label}w.label < ?7");
    }
    if query.updated_after.is_some() {
        sql += &format!(" AND {}w.updated_at > ?8", plain(Order::UpdatedAt));
    }
    if query.updated_before.is_some() {
        sql += &format!(" AND {}w.updated_at < ?9", plain(Order::UpdatedAt));
    }
    let by = match run {
        Run::Null => format!("w.flow_session_key {dir}"),
        Run::Valued => format!("{column} {dir}, w.flow_session_key {dir}"),
    };
    sql + &format!(" ORDER BY {by} LIMIT ?10")
}

impl Store {
    /// One page of the sessions of `flow_id`, as `ws_query_sessions` describes it.
    pub fn query_sessions(&self, flow_id: &str, query_json: Option<&str>) -> Result<String> {
        check_flow_id(flow_id)?;
        let query = Query::parse(flow_id, query_json)?;
        let (after_value, after_key, walk_seq) = match &query.after {
            Some(cursor) => (cursor.value.clone(), cursor.key.clone(), cursor.walk_seq),
            None => (Value::Null, String::new(), i64::MAX),
        };
        // Where the walk stands: which run, and whether in the middle of it.
        let runs = Run::in_order(query.descending);
        let start = match &query.after {
            Some(cursor) => {
                let run = if cursor.value == Value::Null { Run::Null } else { Run::Valued };
                usize::from(runs[0] != run)
            }
            None => 0,
        };
        let label_low = query.label_prefix.clone().unwrap_or_default();
        let label_high = TextBytes(prefix_end(&label_low));
        let doing = || format!("query the sessions of flow {}", quote(flow_id));
        let sqlite = |e| Error::sqlite(&doing(), e);
        // Two runs are two statements: one read transaction makes them one snapshot.
        self.read_snapshot(|conn| {
            let mut out = String::from("{\"sessions\":[");
            // The last row's sort value, key and (on a first page) the walk's change number.
            let mut last: Option<(Value, String, i64)> = None;
            let mut returned = 0;
            let mut more = false;
            for (i, &run) in runs.iter().enumerate().skip(start) {
                let sql = run_sql(&query, run, i == start && query.after.is_some());
                let mut stmt = conn.prepare_cached(&sql).map_err(sqlite)?;
                // One row more than the page still needs tells whether a next page exists.
                let wanted = i64::try_from(query.limit - returned + 1).unwrap_or(i64::MAX);
                let mut rows = stmt
                    .query(rusqlite::params![
                        flow_id,
                        after_value,
                        after_key,
                        walk_seq,
                        query.current_step,
                        label_low,
                        label_high,
                        query.updated_after,
                        query.updated_before,
                        wanted
                    ])
                    .map_err(sqlite)?;
                while let Some(row) = rows.next().map_err(sqlite)? {
                    if returned == query.limit {
                        more = true;
                        break;
                    }
                    if returned > 0 {
                        out.push(',');
                    }
                    push_row(&mut out, flow_id, &query.fields, row).map_err(sqlite)?;
                    let seq = if query.after.is_some() { walk_seq } else { row.get(9).map_err(sqlite)? };
                    last = Some((row.get(7).map_err(sqlite)?, row.get(0).map_err(sqlite)?, seq));
                    returned += 1;
                }
                if more {
                    break;
                }
            }
            out.push_str("],\"next\":");
            match last.filter(|_| more) {
                Some((value, key, walk_seq)) => {
                    let cursor = Cursor {
                        flow: flow_id.to_string(),
                        order: query.order,
                        descending: query.descending,
                        value,
                        key,
                        walk_seq,
                    };
                    json::push_string(&mut out, &cursor.encode())
                }
                None => out.push_str("null"),
            }
            out.push('}');
            Ok(out)
        })
    }
}

/// Appends one session of a page: its summary, revision and fields.
fn push_row(
    out: &mut String,
    flow_id: &str,
    fields: &[Pointer],
    row: &rusqlite::Row,
) -> rusqlite::Result<()> {
    push_summary_members(out, flow_id, row)?;
    out.push_str(",\"revision\":");
    out.push_str(&row.get::<_, i64>(6)?.to_string());
    out.push_str(",\"fields\":{");
    if !fields.is_empty() {
        let key: String = row.get(0)?;
        let owner = || describe(flow_id, key.get(flow_id.len() + 1..).unwrap_or_default());
        let state = stored::column(row, 8, || format!("the state of {}", owner()))?;
        let state = state.as_deref().unwrap_or("{}");
        for (i, field) in fields.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            json::push_string(out, &field.text);
            out.push(':');
            out.push_str(stored::carry(8, field_value(state, field, &owner))?.unwrap_or("null"));
        }
    }
    out.push_str("}}");
    Ok(())
}

/// The JSON text at `field` in a stored state, checked: a state another program wrote
/// need not be JSON, and what is handed out must be.
fn field_value<'s>(state: &'s str, field: &Pointer, owner: &dyn Fn() -> String) -> Result<Option<&'s str>> {
    let corrupt = |at: usize| {
        Error::corrupt(format!(
            "the state of {} is not JSON (at byte {at}), so the field {} cannot be read from it",
            owner(),
            quote(&field.text)
        ))
    };
    let Some(value) = pointer::find(state, field).map_err(corrupt)? else { return Ok(None) };
    serde_json::from_str::<serde::de::IgnoredAny>(value).map_err(|e| {
        Error::corrupt(format!(
            "the value at {} in the state of {} is not JSON ({e})",
            quote(&field.text),
            owner()
        ))
    })?;
    Ok(Some(value))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Options;
    use rusqlite::Connection;
    use serde_json::json;

    /// A store on a fresh file and a second connection to it (the same SQLite), through
    /// which the tests set timestamps and labels the API would set to now.
    fn open(name: &str) -> (Store, Connection) {
        let path = crate::store::scratch_file("query", name);
        let store = Store::open(&path, Options::default()).unwrap();
        (store, Connection::open(&path).unwrap())
    }

    fn page(store: &Store, flow: &str, query: &Json) -> Json {
        serde_json::from_str(&store.query_sessions(flow, Some(&query.to_string())).unwrap()).unwrap()
    }

    fn ids(page: &Json) -> Vec<String> {
        page["sessions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["session_id"].as_str().unwrap().to_string())
            .collect()
    }

    /// Every page of a walk, `limit` at a time, with `between` run before each later page.
    fn walk(store: &Store, flow: &str, query: &Json, mut between: impl FnMut(usize)) -> Vec<String> {
        let mut query = query.clone();
        let mut all = Vec::new();
        for pages in 0.. {
            if pages > 0 {
                between(pages);
            }
            let page = page(store, flow, &query);
            all.extend(ids(&page));
            match &page["next"] {
                Json::Null => break,
                next => query["after"] = next.clone(),
            }
        }
        all
    }

    fn refusal(store: &Store, flow: &str, query: &str) -> String {
        let e = store.query_sessions(flow, Some(query)).unwrap_err();
        assert_eq!(e.status, crate::error::Status::InvalidArgument, "{query}: {e:?}");
        e.message.clone()
    }

    /// 60 sessions of flow "f" (and some of other flows, which must never show) with three
    /// timestamps and three labels between them, so that ties are everywhere.
    fn fill(store: &Store, conn: &Connection) {
        for i in 0..60 {
            store.create_session("f", Some(&format!("s{i:02}")), None).unwrap();
            store.create_session("g", Some(&format!("s{i:02}")), None).unwrap();
        }
        store.create_session("f:x", Some("a"), None).unwrap_or_default();
        store.create_session("ff", Some("a"), None).unwrap();
        conn.execute_batch(
            "UPDATE workflow_state SET
                 updated_at = '2026-01-0' || (1 + abs(substr(flow_session_key, -2) * 7) % 3) || ' 00:00:00',
                 created_at = '2025-01-0' || (1 + abs(substr(flow_session_key, -2) * 5) % 3) || ' 00:00:00',
                 label = CASE abs(substr(flow_session_key, -2)) % 4 WHEN 0 THEN NULL WHEN 1 THEN 'b'
                              WHEN 2 THEN 'a' ELSE 'é' END",
        )
        .unwrap();
    }

    #[test]
    fn walks_return_every_session_once_in_order() {
        let (store, conn) = open("walks");
        fill(&store, &conn);
        for order in ["updated_at", "created_at", "label"] {
            for descending in [false, true] {
                let column = order;
                let dir = if descending { "DESC" } else { "ASC" };
                let expected: Vec<String> = conn
                    .prepare(&format!(
                        "SELECT substr(flow_session_key, 3) FROM workflow_state WHERE flow_session_key LIKE 'f:%'
                         AND flow_session_key NOT LIKE 'f:x%' ORDER BY {column} {dir}, flow_session_key {dir}"
                    ))
                    .unwrap()
                    .query_map([], |row| row.get(0))
                    .unwrap()
                    .map(|r| r.unwrap())
                    .collect();
                assert_eq!(expected.len(), 60);
                for limit in [1, 7, 60, 61] {
                    let query = json!({"order_by": order, "descending": descending, "limit": limit});
                    assert_eq!(walk(&store, "f", &query, |_| {}), expected, "{order} {descending} {limit}");
                }
            }
        }
        // The last page says there is none after it, also when it is full.
        let last = page(&store, "f", &json!({"limit": 60}));
        assert_eq!(ids(&last).len(), 60);
        assert!(last["next"].is_null());
        assert_eq!(page(&store, "nobody", &json!({}))["sessions"], json!([]));
    }

    #[test]
    fn a_walk_leaves_out_sessions_changed_during_it_and_no_other() {
        let (store, conn) = open("changes");
        fill(&store, &conn);
        for order in ["updated_at", "created_at", "label"] {
            for descending in [false, true] {
                let query = json!({"order_by": order, "descending": descending, "limit": 10});
                let before = walk(&store, "f", &query, |_| {});
                let mut changed = Vec::new();
                let during = walk(&store, "f", &query, |pages| {
                    // One session already returned and one not yet: each changes (its
                    // label too, so it moves in the label order), and a new one appears.
                    for id in [&before[pages * 10 - 1], &before[59 - pages]] {
                        store.set_session_label("f", id, Some(&format!("z{pages}"))).unwrap();
                        changed.push(id.clone());
                    }
                    store.create_session("f", Some(&format!("new{order}{descending}{pages}")), None).unwrap();
                });
                let mut seen = during.clone();
                seen.sort();
                seen.dedup();
                assert_eq!(
                    seen.len(),
                    during.len(),
                    "{order} {descending}: a session came twice: {during:?}"
                );
                for id in &before {
                    assert!(
                        during.contains(id) || changed.contains(id),
                        "{order} {descending}: {id} skipped"
                    );
                }
                assert!(during.iter().all(|id| !id.starts_with("new")), "{during:?}");
                // Put the labels back as fill made them, for the next order.
                for id in &changed {
                    conn.execute(
                        "UPDATE workflow_state SET label = CASE abs(substr(flow_session_key, -2)) % 4 WHEN 0 THEN NULL
                         WHEN 1 THEN 'b' WHEN 2 THEN 'a' ELSE 'é' END WHERE flow_session_key = 'f:' || ?1",
                        [id],
                    )
                    .unwrap();
                }
                conn.execute("DELETE FROM workflow_state WHERE flow_session_key LIKE 'f:new%'", []).unwrap();
            }
        }
    }

    #[test]
    fn filters_combine_with_paging() {
        let (store, conn) = open("filters");
        fill(&store, &conn);
        store.set_current_step("f", "s03", "review").unwrap();
        store.set_current_step("f", "s07", "review").unwrap();
        conn.execute_batch(
            "UPDATE workflow_state SET updated_at = '2026-01-02 00:00:00' WHERE flow_session_key LIKE 'f:%'",
        )
        .unwrap();
        let count = |query: Json| walk(&store, "f", &query, |_| {}).len();
        assert_eq!(count(json!({"current_step": "review", "limit": 1})), 2);
        // By label, 15 each of "a", "b", "é" and none.
        assert_eq!(count(json!({"label_prefix": "a", "order_by": "label", "limit": 4})), 15);
        assert_eq!(count(json!({"label_prefix": "é", "limit": 4})), 15);
        assert_eq!(count(json!({"label_prefix": "\u{e8}", "limit": 4})), 0);
        assert_eq!(count(json!({"label_prefix": "", "limit": 50})), 60);
        conn.execute_batch("UPDATE workflow_state SET label = 'ab' WHERE flow_session_key = 'f:s00'")
            .unwrap();
        assert_eq!(count(json!({"label_prefix": "a", "order_by": "label"})), 16);
        assert_eq!(count(json!({"label_prefix": "ab", "order_by": "label"})), 1);
        let stamped = |after: &str, before: &str| {
            count(json!({"updated_after": after, "updated_before": before, "limit": 3, "descending": false}))
        };
        assert_eq!(stamped("2026-01-01 23:59:59", "2026-01-02 00:00:01"), 60);
        assert_eq!(stamped("2026-01-02 00:00:00", "2026-01-03 00:00:00"), 0);
        assert_eq!(count(json!({"updated_before": "2026-01-02 00:00:00"})), 0);
    }

    #[test]
    fn fields_read_values_at_pointers() {
        let (store, conn) = open("fields");
        store
            .update_state(
                "f",
                "s",
                r#"{"title":"Plan","a/b":{"m~n":[1,{"deep":[true,null]}]},"_step_x":{"items":["i0","i1"]}}"#,
            )
            .unwrap();
        store.create_session("f", Some("empty"), None).unwrap();
        // A state another program wrote with spaces, read as stored.
        store.create_session("f", Some("python"), None).unwrap();
        conn.execute(
            "UPDATE workflow_state SET state_json = '{\"title\": \"Py\", \"n\": [1, 2]}' WHERE flow_session_key = 'f:python'",
            [],
        )
        .unwrap();
        let fields = [
            "/title",
            "/a~1b/m~0n/1/deep/0",
            "/a~1b/m~0n/1/deep/1",
            "/_step_x/items/1",
            "/_step_x/items/2",
            "/n",
            "",
        ];
        let page = page(&store, "f", &json!({"fields": fields, "order_by": "label"}));
        let by_id = |id: &str| {
            page["sessions"].as_array().unwrap().iter().find(|s| s["session_id"] == id).unwrap().clone()
        };
        let s = by_id("s");
        assert_eq!(s["fields"]["/title"], json!("Plan"));
        assert_eq!(s["fields"]["/a~1b/m~0n/1/deep/0"], json!(true));
        assert_eq!(s["fields"]["/a~1b/m~0n/1/deep/1"], json!(null));
        assert_eq!(s["fields"]["/_step_x/items/1"], json!("i1"));
        assert_eq!(s["fields"]["/_step_x/items/2"], json!(null));
        assert_eq!(s["fields"][""]["title"], json!("Plan"));
        assert_eq!(s["revision"].as_i64().unwrap(), store.get_revision("f", "s").unwrap());
        assert_eq!(by_id("empty")["fields"]["/title"], json!(null));
        assert_eq!(by_id("python")["fields"]["/n"], json!([1, 2]));
        // Without fields, "fields" is an empty object.
        assert_eq!(self::page(&store, "f", &json!({}))["sessions"][0]["fields"], json!({}));
        // A stored state that is not JSON where the pointer goes is named.
        conn.execute(
            "UPDATE workflow_state SET state_json = '{\"title\": NaN}' WHERE flow_session_key = 'f:python'",
            [],
        )
        .unwrap();
        let e = store.query_sessions("f", Some(r#"{"fields":["/title"]}"#)).unwrap_err();
        assert_eq!(e.status, crate::error::Status::Corrupt);
        assert!(e.message.contains("session \"python\" of flow \"f\""), "{}", e.message);
    }

    #[test]
    fn bad_queries_and_cursors_are_refused_with_what_is_wrong() {
        let (store, conn) = open("refusals");
        fill(&store, &conn);
        let next = page(&store, "f", &json!({"limit": 5}))["next"].as_str().unwrap().to_string();
        let say = |query: Json| refusal(&store, "f", &query.to_string());
        assert!(say(json!({"after": next, "order_by": "label"})).contains(
            "order_by \"updated_at\" descending, but this query asks for order_by \"label\" descending"
        ));
        assert!(say(json!({"after": next, "descending": false})).contains("ascending"));
        assert!(refusal(&store, "g", &json!({"after": next}).to_string())
            .contains("a cursor of flow \"f\", not of flow \"g\""));
        let mut damaged = next.clone().into_bytes();
        damaged[10] = if damaged[10] == b'0' { b'1' } else { b'0' };
        for bad in [
            String::from_utf8(damaged).unwrap(),
            next[..next.len() - 2].to_string(),
            "zz".into(),
            String::new(),
        ] {
            assert!(say(json!({ "after": bad })).contains("is not a cursor that ws_query_sessions returned"));
        }
        assert!(say(json!({"sort": "label"})).contains("\"sort\" is not one of order_by"));
        assert!(say(json!({"order_by": "rank"})).contains("\"rank\": it must be"));
        assert!(say(json!({"limit": 0})).contains("an integer from 1 to 10000"));
        assert!(say(json!({"limit": 10001})).contains("an integer from 1 to 10000"));
        assert!(say(json!({"limit": "5"})).contains("not a string"));
        assert!(say(json!({"descending": 1})).contains("true or false"));
        assert!(say(json!({"fields": "/a"})).contains("must be an array"));
        assert!(say(json!({"fields": ["a"]})).contains("fields[0]: \"a\" is not a JSON Pointer"));
        assert!(say(json!({"fields": ["/a~2"]})).contains("\"~\" must be followed by"));
        assert!(say(json!({"fields": ["/a", "/b", "/a"]})).contains("fields[2] repeats fields[0]"));
        assert!(say(json!({"fields": [1]})).contains("fields[0] must be a JSON Pointer string"));
        assert!(say(json!({"updated_after": "2026-01-01"})).contains("updated_after"));
        assert!(refusal(&store, "f", "[]").contains("must be a JSON object"));
        let e = store.query_sessions("f", Some("{")).unwrap_err();
        assert_eq!(
            (e.status, e.message.contains("query_json is not valid JSON")),
            (crate::error::Status::InvalidJson, true)
        );
        assert!(store.query_sessions("a:b", None).unwrap_err().message.contains("':'"));
        // NULL is every default.
        assert_eq!(ids(&serde_json::from_str(&store.query_sessions("f", None).unwrap()).unwrap()).len(), 60);
    }

    /// Every page, first or later, filtered or not, is a run of the order's index: no
    /// sort, and no scan of the flow from its start.
    #[test]
    fn every_page_reads_its_order_index() {
        let (store, _conn) = open("plans");
        let cursor = Cursor {
            flow: "f".into(),
            order: Order::UpdatedAt,
            descending: true,
            value: Value::Text(String::new()),
            key: String::new(),
            walk_seq: 0,
        };
        for (order, index) in [
            (Order::UpdatedAt, "ws_query_updated"),
            (Order::CreatedAt, "ws_query_created"),
            (Order::Label, "ws_query_label"),
        ] {
            for descending in [false, true] {
                for (run, after, filtered) in [
                    (Run::Null, false, false),
                    (Run::Null, true, false),
                    (Run::Valued, false, false),
                    (Run::Valued, true, false),
                    (Run::Valued, true, true),
                    (Run::Null, true, true),
                ] {
                    let mut query = Query::parse("f", None).unwrap();
                    query.order = order;
                    query.descending = descending;
                    query.after = after.then(|| Cursor { order, descending, ..cursor.clone() });
                    if filtered {
                        query.current_step = Some("x".into());
                        query.label_prefix = Some("a".into());
                        query.updated_after = Some("2026-01-01 00:00:00".into());
                        query.fields = parse_fields(&json!(["/a"])).unwrap();
                    }
                    let sql = format!("EXPLAIN QUERY PLAN {}", run_sql(&query, run, after));
                    let plan: Vec<String> = store
                        .read(|conn| {
                            let mut stmt = conn.prepare(&sql).unwrap();
                            let nulls = rusqlite::params_from_iter([rusqlite::types::Null; 10]);
                            let rows = stmt.query_map(nulls, |row| row.get::<_, String>(3)).unwrap();
                            Ok(rows.map(|r| r.unwrap()).collect())
                        })
                        .unwrap();
                    let what =
                        format!("{order:?} {descending} {run:?} after {after} filtered {filtered}: {plan:?}");
                    let column = sort_column(order).trim_start_matches("w.");
                    let range = match (run, after, descending) {
                        (Run::Null, false, _) => format!("(<expr>=? AND {column}=?)"),
                        (Run::Null, true, false) => {
                            format!("(<expr>=? AND {column}=? AND flow_session_key>?)")
                        }
                        (Run::Null, true, true) => {
                            format!("(<expr>=? AND {column}=? AND flow_session_key<?)")
                        }
                        (Run::Valued, false, _) => format!("(<expr>=? AND {column}>?)"),
                        (Run::Valued, true, false) => {
                            format!("(<expr>=? AND ({column},flow_session_key)>(?,?))")
                        }
                        (Run::Valued, true, true) => {
                            format!("(<expr>=? AND ({column},flow_session_key)<(?,?))")
                        }
                    };
                    let seek = format!("SEARCH w USING INDEX {index} {range}");
                    // A filter on the order's own column may bound the range further.
                    let bounded = filtered;
                    assert!(
                        plan.iter().any(|step| step == &seek
                            || (bounded && step.starts_with(&format!("SEARCH w USING INDEX {index} (")))),
                        "{what}"
                    );
                    assert!(plan.iter().all(|step| !step.contains("TEMP B-TREE")), "{what}");
                }
            }
        }
    }

    #[test]
    fn cursors_survive_encoding() {
        for value in [
            Value::Text("2026-01-01 00:00:00".into()),
            Value::Integer(-3),
            Value::Real(1.5),
            Value::Blob(vec![0, 255]),
        ] {
            let cursor = Cursor {
                flow: "f".into(),
                order: Order::Label,
                descending: false,
                value,
                key: "f:\"é\"".into(),
                walk_seq: 42,
            };
            assert_eq!(Cursor::decode(&cursor.encode(), "f", Order::Label, false).unwrap(), cursor);
        }
    }
}
