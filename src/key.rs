//! Session identifiers and the on-disk key `flow_id + ":" + session_id`.

use crate::error::{quote, Error, Result};

/// Checks that an identifier is non-empty.
pub fn check_id(name: &str, value: &str) -> Result<()> {
    if value.is_empty() {
        return Err(Error::invalid_argument(format!("{name} must not be empty")));
    }
    Ok(())
}

/// Checks a flow id: non-empty and without ':', so that every key splits one way only.
pub fn check_flow_id(flow_id: &str) -> Result<()> {
    check_id("flow_id", flow_id)?;
    if flow_id.contains(':') {
        return Err(Error::invalid_argument(format!("flow_id {} must not contain ':'", quote(flow_id))));
    }
    Ok(())
}

/// The primary key of a session row, built from checked ids.
pub fn session_key(flow_id: &str, session_id: &str) -> Result<String> {
    check_flow_id(flow_id)?;
    check_id("session_id", session_id)?;
    let mut key = String::with_capacity(flow_id.len() + 1 + session_id.len());
    key.push_str(flow_id);
    key.push(':');
    key.push_str(session_id);
    Ok(key)
}

/// The half-open key range `[flow_id + ":", flow_id + ";")` that holds exactly the
/// sessions of one flow: ';' is the byte after ':', and flow ids hold no ':'.
pub fn flow_key_range(flow_id: &str) -> Result<(String, String)> {
    check_flow_id(flow_id)?;
    Ok((format!("{flow_id}:"), format!("{flow_id};")))
}

/// Describes a session for error messages.
pub fn describe(flow_id: &str, session_id: &str) -> String {
    format!("session {} of flow {}", quote(session_id), quote(flow_id))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Status;

    #[test]
    fn colon_in_flow_id_is_rejected_with_the_id_in_the_message() {
        let err = session_key("a:b", "s").unwrap_err();
        assert_eq!(err.status, Status::InvalidArgument);
        assert_eq!(err.message, "flow_id \"a:b\" must not contain ':'");
    }

    #[test]
    fn session_ids_may_contain_colons() {
        assert_eq!(session_key("f", "a:b").unwrap(), "f:a:b");
    }

    #[test]
    fn flow_range_excludes_longer_flow_names() {
        let (lo, hi) = flow_key_range("f").unwrap();
        assert!("f:x".as_bytes() >= lo.as_bytes() && "f:x".as_bytes() < hi.as_bytes());
        assert!("fa:x".as_bytes() >= hi.as_bytes());
    }
}
