//! Sessions: creating, labelling, listing and deleting the sessions of a flow
//! (parity with cjm-workflow-state 0.0.3's session API).

use crate::error::{quote, quote_bytes, Error, Result, Status};
use crate::json;
use crate::key::{describe, flow_key_range, session_key};
use crate::store::{execute, query_row, Store, NOW, WHOLE_SECOND_CREATED_AT};
use crate::stored;
use rusqlite::{params, Row};

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

    /// The order named as the query API names it (`ws_query_sessions`).
    pub fn from_name(name: &str) -> Option<Order> {
        [Order::UpdatedAt, Order::CreatedAt, Order::Label].into_iter().find(|order| order.column() == name)
    }

    /// The order's name in the query API: its column's.
    pub fn column(self) -> &'static str {
        match self {
            Order::UpdatedAt => "updated_at",
            Order::CreatedAt => "created_at",
            Order::Label => "label",
        }
    }
}

/// The columns a summary is built from, in the order `summary` reads them: all of them
/// are in the index `ws_session_list` (`schema.rs`), spelled the same way.
const SUMMARY_COLUMNS: &str =
    "flow_session_key, label, current_step, created_at, updated_at, length(CAST(state_json AS BLOB))";
/// The same columns, read in the list query's join.
pub(crate) const LIST_COLUMNS: &str =
    "w.flow_session_key, w.label, w.current_step, w.created_at, w.updated_at, \
     length(CAST(w.state_json AS BLOB))";

/// The list query: a range scan of the flow's keys in the index `ws_session_list`, with
/// each session's revision looked up in `ws_change`. Timestamps are whole seconds, so
/// ties are common, and they are broken exactly, also for rows the Python package
/// wrote: by `updated_at`, in the order of the changes (the change sequence); by
/// `created_at` or by label, in the order of the creations (the rowid, which SQLite
/// gives in insertion order). Always in the direction asked.
fn list_sql(order: Order, descending: bool) -> String {
    let dir = if descending { "DESC" } else { "ASC" };
    let column = order.column();
    let tie_breaks = match order {
        Order::UpdatedAt => format!("c.seq {dir}, w.rowid {dir}"),
        Order::CreatedAt => format!("w.rowid {dir}"),
        Order::Label => format!("w.created_at {dir}, w.rowid {dir}"),
    };
    format!(
        "SELECT {LIST_COLUMNS} FROM workflow_state w
         LEFT JOIN ws_change c ON c.flow_session_key = w.flow_session_key
         WHERE w.flow_session_key >= ?1 AND w.flow_session_key < ?2
         ORDER BY w.{column} {dir}, {tie_breaks}"
    )
}

/// Appends a session summary, the JSON object of the API:
/// `{"flow_id","session_id","label","current_step","created_at","updated_at","state_size_bytes"}`.
/// Written straight into the output: a list of a thousand sessions builds no trees.
/// Every text column is read by the rule of `stored.rs`, so a value another program
/// stored that is not text fails the call naming the session and the column.
fn push_summary(out: &mut String, flow_id: &str, row: &Row) -> rusqlite::Result<()> {
    push_summary_members(out, flow_id, row)?;
    out.push('}');
    Ok(())
}

/// [`push_summary`] without the closing brace, for a caller that adds members.
pub(crate) fn push_summary_members(out: &mut String, flow_id: &str, row: &Row) -> rusqlite::Result<()> {
    let key_value = row.get_ref(0)?;
    let key = stored::column(row, 0, || {
        let bytes = key_value.as_bytes().unwrap_or_default();
        let session = bytes.get(flow_id.len() + 1..).unwrap_or(bytes);
        format!("the flow_session_key of session {} of flow {}", quote_bytes(session), quote(flow_id))
    })?
    .unwrap_or_default();
    let session_id = key.get(flow_id.len() + 1..).unwrap_or_default();
    out.push_str("{\"flow_id\":");
    json::push_string(out, flow_id);
    out.push_str(",\"session_id\":");
    json::push_string(out, session_id);
    for (name, column) in [("label", 1), ("current_step", 2), ("created_at", 3), ("updated_at", 4)] {
        out.push_str(",\"");
        out.push_str(name);
        out.push_str("\":");
        match stored::column(row, column, || format!("the {name} of {}", describe(flow_id, session_id)))? {
            Some(text) => json::push_string(out, &text),
            None => out.push_str("null"),
        }
    }
    out.push_str(",\"state_size_bytes\":");
    out.push_str(&row.get::<_, Option<i64>>(5)?.unwrap_or(0).to_string());
    Ok(())
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
        self.read(|conn| {
            query_row(
                conn,
                &sql,
                [&key],
                |row| {
                    let mut out = String::with_capacity(256);
                    push_summary(&mut out, flow_id, row)?;
                    Ok(out)
                },
                || format!("read the summary of {}", describe(flow_id, session_id)),
            )
        })
    }

    /// The summaries of exactly the sessions of `flow_id`, as a JSON array, ordered as
    /// asked; ties go by the order of the changes (`updated_at`) or of the creations, in the
    /// same direction. Only that flow's key range
    /// is read, so the cost follows the flow's size, not the file's.
    pub fn list_sessions(&self, flow_id: &str, order: Order, descending: bool) -> Result<String> {
        let (low, high) = flow_key_range(flow_id)?;
        let sql = list_sql(order, descending);
        self.read(|conn| {
            let mut out = String::from("[");
            conn.prepare_cached(&sql)
                .and_then(|mut stmt| {
                    let mut rows = stmt.query([&low, &high])?;
                    while let Some(row) = rows.next()? {
                        if out.len() > 1 {
                            out.push(',');
                        }
                        push_summary(&mut out, flow_id, row)?;
                    }
                    Ok(())
                })
                .map_err(|e| Error::sqlite(&format!("list the sessions of flow {}", quote(flow_id)), e))?;
            out.push(']');
            Ok(out)
        })
    }

    /// Sets or (with `None`) clears the session's label. A no-op when the session does
    /// not exist.
    pub fn set_session_label(&self, flow_id: &str, session_id: &str, label: Option<&str>) -> Result<()> {
        let key = session_key(flow_id, session_id)?;
        let doing = || format!("set the label of {}", describe(flow_id, session_id));
        // Setting the label it has is no change: it takes no revision, and leaves
        // updated_at alone.
        let sql = format!(
            "UPDATE workflow_state SET label = ?2, updated_at = {NOW}, {WHOLE_SECOND_CREATED_AT}
             WHERE flow_session_key = ?1 AND label IS NOT ?2"
        );
        self.write(doing, |tx| execute(tx, &sql, params![key, label], doing).map(drop))
    }

    /// Deletes the session; the same as `clear_state`.
    pub fn delete_session(&self, flow_id: &str, session_id: &str) -> Result<()> {
        self.clear_state(flow_id, session_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Options;

    /// Listing must read only the index, whatever the order: a plan that visits the
    /// table makes lists slow down as other flows fill the file.
    #[test]
    fn the_list_query_reads_only_the_covering_index() {
        let store = Store::open(crate::store::MEMORY_PATH, Options::default()).unwrap();
        for order in [Order::UpdatedAt, Order::CreatedAt, Order::Label] {
            for descending in [false, true] {
                let sql = format!("EXPLAIN QUERY PLAN {}", list_sql(order, descending));
                let plan: Vec<String> = store
                    .read(|conn| {
                        let mut stmt = conn.prepare(&sql).unwrap();
                        let rows = stmt.query_map(["f:", "f;"], |row| row.get::<_, String>(3)).unwrap();
                        Ok(rows.map(|r| r.unwrap()).collect())
                    })
                    .unwrap();
                assert!(
                    plan.iter().any(|step| step.contains("USING COVERING INDEX ws_session_list")),
                    "{order:?} {descending}: {plan:?}"
                );
            }
        }
    }
}
