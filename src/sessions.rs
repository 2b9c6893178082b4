//! Sessions: creating, labelling, listing and deleting the sessions of a flow
//! (parity with cjm-workflow-state 0.0.3's session API).

use crate::error::{quote, Error, Result, Status};
use crate::key::{describe, flow_key_range, session_key};
use crate::store::{execute, query_row, Store, NOW};
use rusqlite::types::Value as Sql;
use rusqlite::{params, Row};
use serde_json::{json, Value};

/// How `list_sessions` orders sessions. The numeric values are part of the C ABI.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Order {
    UpdatedAt = 0,
    CreatedAt = 1,
    Label = 2,
}

impl Order {
    /// The order with this numeric value; `WS_INVALID_ARGUMENT` for any other.
    pub fn from_code(code: i64) -> Result<Order> {
        match code {
            0 => Ok(Order::UpdatedAt),
            1 => Ok(Order::CreatedAt),
            2 => Ok(Order::Label),
            _ => Err(Error::invalid_argument(format!(
                "order_by {code} is not a ws_order_by (WS_ORDER_UPDATED_AT 0, WS_ORDER_CREATED_AT 1, WS_ORDER_LABEL 2)"
            ))),
        }
    }

    fn column(self) -> &'static str {
        match self {
            Order::UpdatedAt => "updated_at",
            Order::CreatedAt => "created_at",
            Order::Label => "label",
        }
    }
}

/// The columns a summary is built from, in the order `summary` reads them.
const SUMMARY_COLUMNS: &str =
    "flow_session_key, label, current_step, created_at, updated_at, octet_length(state_json)";

/// A session summary as the JSON object of the API:
/// `{"flow_id","session_id","label","current_step","created_at","updated_at","state_size_bytes"}`.
fn summary(flow_id: &str, row: &Row) -> rusqlite::Result<Value> {
    let key: String = row.get(0)?;
    let session_id = &key[flow_id.len() + 1..];
    Ok(json!({
        "flow_id": flow_id,
        "session_id": session_id,
        "label": text(row.get(1)?),
        "current_step": text(row.get(2)?),
        "created_at": text(row.get(3)?),
        "updated_at": text(row.get(4)?),
        "state_size_bytes": row.get::<_, Option<i64>>(5)?.unwrap_or(0),
    }))
}

/// A nullable text column as JSON; a number another program stored there reads as text.
fn text(value: Sql) -> Value {
    match value {
        Sql::Null => Value::Null,
        Sql::Text(s) => Value::String(s),
        Sql::Integer(i) => Value::String(i.to_string()),
        Sql::Real(f) => Value::String(f.to_string()),
        Sql::Blob(b) => Value::String(String::from_utf8_lossy(&b).into_owned()),
    }
}

impl Store {
    /// Creates an empty session and returns its id: `session_id`, or a new lowercase
    /// UUID4 when `None`. `WS_ALREADY_EXISTS` when the id is taken.
    pub fn create_session(
        &self,
        flow_id: &str,
        session_id: Option<&str>,
        label: Option<&str>,
    ) -> Result<String> {
        let session_id = match session_id {
            Some(id) => id.to_string(),
            None => uuid::Uuid::new_v4().hyphenated().to_string(),
        };
        let key = session_key(flow_id, &session_id)?;
        let doing = || format!("create {}", describe(flow_id, &session_id));
        let sql = format!(
            "INSERT INTO workflow_state (flow_session_key, label, created_at, updated_at)
             VALUES (?1, ?2, {NOW}, {NOW})
             ON CONFLICT(flow_session_key) DO NOTHING"
        );
        self.write(doing, |tx| {
            if execute(tx, &sql, params![key, label], doing)? == 0 {
                return Err(Error::new(
                    Status::AlreadyExists,
                    format!("{} already exists", describe(flow_id, &session_id)),
                ));
            }
            Ok(())
        })?;
        Ok(session_id)
    }

    /// Whether the session exists.
    pub fn session_exists(&self, flow_id: &str, session_id: &str) -> Result<bool> {
        let key = session_key(flow_id, session_id)?;
        self.read(|conn| {
            conn.prepare_cached("SELECT 1 FROM workflow_state WHERE flow_session_key = ?1")
                .and_then(|mut stmt| stmt.exists([&key]))
                .map_err(|e| Error::sqlite(&format!("look up {}", describe(flow_id, session_id)), e))
        })
    }

    /// The session's summary as a JSON object; `None` when it does not exist.
    pub fn get_session_summary(&self, flow_id: &str, session_id: &str) -> Result<Option<String>> {
        let key = session_key(flow_id, session_id)?;
        let sql = format!("SELECT {SUMMARY_COLUMNS} FROM workflow_state WHERE flow_session_key = ?1");
        let found = self.read(|conn| {
            query_row(conn, &sql, [&key], |row| summary(flow_id, row), || {
                format!("read the summary of {}", describe(flow_id, session_id))
            })
        })?;
        Ok(found.map(|v| v.to_string()))
    }

    /// The summaries of exactly the sessions of `flow_id`, as a JSON array, ordered as
    /// asked; ties go by creation order in the same direction. Only that flow's key range
    /// is read, so the cost follows the flow's size, not the file's.
    pub fn list_sessions(&self, flow_id: &str, order: Order, descending: bool) -> Result<String> {
        let (low, high) = flow_key_range(flow_id)?;
        let dir = if descending { "DESC" } else { "ASC" };
        let column = order.column();
        let tie_breaks = match order {
            Order::CreatedAt => format!("rowid {dir}"),
            _ => format!("created_at {dir}, rowid {dir}"),
        };
        let sql = format!(
            "SELECT {SUMMARY_COLUMNS} FROM workflow_state
             WHERE flow_session_key >= ?1 AND flow_session_key < ?2
             ORDER BY {column} {dir}, {tie_breaks}"
        );
        let list = self.read(|conn| {
            conn.prepare_cached(&sql)
                .and_then(|mut stmt| {
                    stmt.query_map([&low, &high], |row| summary(flow_id, row))?
                        .collect::<rusqlite::Result<Vec<Value>>>()
                })
                .map_err(|e| Error::sqlite(&format!("list the sessions of flow {}", quote(flow_id)), e))
        })?;
        Ok(Value::Array(list).to_string())
    }

    /// Sets or (with `None`) clears the session's label. A no-op when the session does
    /// not exist.
    pub fn set_session_label(&self, flow_id: &str, session_id: &str, label: Option<&str>) -> Result<()> {
        let key = session_key(flow_id, session_id)?;
        let doing = || format!("set the label of {}", describe(flow_id, session_id));
        let sql = format!("UPDATE workflow_state SET label = ?2, updated_at = {NOW} WHERE flow_session_key = ?1");
        self.write(doing, |tx| execute(tx, &sql, params![key, label], doing).map(drop))
    }

    /// Deletes the session; the same as `clear_state`.
    pub fn delete_session(&self, flow_id: &str, session_id: &str) -> Result<()> {
        self.clear_state(flow_id, session_id)
    }
}
