//! JSON text in and out: strict parsing, the shapes the API requires, compact output.
//!
//! serde_json is built with `preserve_order` (keys keep their position, as in a Python
//! dict) and `arbitrary_precision` (numbers keep their digits; only an exponent's spelling
//! is normalised, `1E5` to `1e+5`), so a value read and written back is the same value,
//! however many times that happens.

use crate::error::{Error, Result};
use serde_json::{Map, Value};

pub type Object = Map<String, Value>;

/// The JSON type name used in messages ("an array", "a string", ...).
pub fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Parses caller-supplied JSON text of any shape; `what` names the argument.
pub fn parse_value(text: &str, what: &str) -> Result<Value> {
    serde_json::from_str(text)
        .map_err(|e| Error::invalid_json(format!("{what} is not valid JSON: {e}")))
}

/// Parses caller-supplied JSON text that must be an object.
pub fn parse_object(text: &str, what: &str) -> Result<Object> {
    match parse_value(text, what)? {
        Value::Object(map) => Ok(map),
        other => Err(Error::invalid_json(format!(
            "{what} must be a JSON object, got {}",
            kind(&other)
        ))),
    }
}

/// Parses a stored `state_json` column. NULL and "" read as `{}`, as in the Python
/// package; text that is not strict JSON, or not an object, is corruption of `owner`.
pub fn parse_stored_state(text: Option<&str>, owner: &str) -> Result<Object> {
    let text = match text {
        None | Some("") => return Ok(Object::new()),
        Some(t) => t,
    };
    match serde_json::from_str(text) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(other) => Err(Error::corrupt(format!(
            "the stored state of {owner} is {}, not a JSON object; it was left unchanged",
            kind(&other)
        ))),
        Err(e) => Err(Error::corrupt(format!(
            "the stored state of {owner} is not strict JSON ({e}); it was left unchanged"
        ))),
    }
}

/// Shallow merge with `dict.update` semantics: existing keys keep their position and
/// take the new value, new keys are appended in the order given.
pub fn merge(target: &mut Object, updates: Object) {
    for (key, value) in updates {
        target.insert(key, value);
    }
}

/// Compact JSON text.
pub fn to_text(value: &Value) -> String {
    serde_json::to_string(value).expect("serialising a serde_json::Value cannot fail")
}

/// Compact JSON text of an object.
pub fn object_to_text(object: &Object) -> String {
    serde_json::to_string(object).expect("serialising a serde_json::Map cannot fail")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_keeps_positions_and_appends_new_keys() {
        let mut state = parse_object(r#"{"a":1,"b":2,"c":3}"#, "s").unwrap();
        merge(&mut state, parse_object(r#"{"d":4,"b":20}"#, "u").unwrap());
        assert_eq!(object_to_text(&state), r#"{"a":1,"b":20,"c":3,"d":4}"#);
    }

    #[test]
    fn numbers_keep_their_text() {
        let text = r#"{"big":1180591620717411303424,"f":0.1,"z":1.50,"neg":-0.0,"e":1e-7}"#;
        let v = parse_object(text, "s").unwrap();
        assert_eq!(object_to_text(&v), text);
        // Only an exponent's spelling is normalised; the value is the same.
        assert_eq!(object_to_text(&parse_object(r#"{"e":1E400}"#, "s").unwrap()), r#"{"e":1e+400}"#);
    }

    #[test]
    fn python_nan_is_corruption_naming_the_owner() {
        let err = parse_stored_state(Some(r#"{"x": NaN}"#), "session \"s\"").unwrap_err();
        assert_eq!(err.status, crate::Status::Corrupt);
        assert!(err.message.contains("session \"s\""), "{}", err.message);
    }

    #[test]
    fn wrong_shape_says_what_was_expected() {
        let err = parse_object("[1]", "updates_json").unwrap_err();
        assert_eq!(err.message, "updates_json must be a JSON object, got an array");
    }
}
