//! JSON text in and out.
//!
//! Session state is never turned into a tree. An object is read as its top-level
//! entries, each value kept as the validated text it came in (serde_json's `RawValue`),
//! so a merge into one key costs one validating scan of the stored text and one copy,
//! and every value, numbers included, keeps its exact text. Output is canonical: no
//! whitespace, strings escaped as serde_json and Python's
//! `json.dumps(..., ensure_ascii=False)` escape them (`"`, `\`, control characters;
//! everything else as UTF-8), so text from any writer comes out the same.
//!
//! Small option objects are parsed into `serde_json::Value` (`parse_object`).

use crate::error::{Error, Result};
use serde::de::{self, Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;
use serde_json::{Map, Value};
use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;

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

/// The JSON type name of valid JSON text, from its first byte.
fn kind_of_text(raw: &str) -> &'static str {
    match raw.trim_start().as_bytes().first() {
        Some(b'{') => "an object",
        Some(b'[') => "an array",
        Some(b'"') => "a string",
        Some(b't' | b'f') => "a boolean",
        Some(b'n') => "null",
        _ => "a number",
    }
}

/// Parses caller-supplied JSON text into a tree (for small inputs such as options).
pub fn parse_value(text: &str, what: &str) -> Result<Value> {
    serde_json::from_str(text).map_err(|e| Error::invalid_json(format!("{what} is not valid JSON: {e}")))
}

/// Parses caller-supplied JSON text that must be an object into a tree.
pub fn parse_object(text: &str, what: &str) -> Result<Object> {
    match parse_value(text, what)? {
        Value::Object(map) => Ok(map),
        other => Err(Error::invalid_json(format!("{what} must be a JSON object, got {}", kind(&other)))),
    }
}

/// Compact JSON text of a tree.
pub fn to_text(value: &Value) -> String {
    serde_json::to_string(value).expect("serialising a serde_json::Value cannot fail")
}

/// A value inside [`Entries`]: validated text as it came in (to be made canonical on
/// output), or text already in canonical form (copied as it is).
#[derive(Clone, Debug)]
pub enum Val<'a> {
    Raw(&'a str),
    Canonical(Cow<'a, str>),
}

impl Val<'_> {
    fn text(&self) -> &str {
        match self {
            Val::Raw(raw) => raw,
            Val::Canonical(text) => text,
        }
    }

    fn push_to(&self, out: &mut String) -> std::result::Result<(), String> {
        match self {
            Val::Raw(raw) => push_canonical(out, raw),
            Val::Canonical(text) => {
                out.push_str(text);
                Ok(())
            }
        }
    }

    /// The value's text in canonical form.
    pub fn to_canonical(&self) -> std::result::Result<String, String> {
        let mut out = String::with_capacity(self.text().len());
        self.push_to(&mut out)?;
        Ok(out)
    }

    /// The value as an object's entries, if it is an object.
    pub fn as_entries(&self) -> Option<Entries<'_>> {
        parse_shape(self.text()).ok().and_then(|shape| shape.ok())
    }

    pub fn kind(&self) -> &'static str {
        kind_of_text(self.text())
    }
}

/// A JSON object in canonical text, with where each top-level value sits in it: what the
/// library makes of a session's state, so that the next call can use the entries without
/// scanning the text again.
#[derive(Debug, Default)]
pub struct CanonicalObject {
    text: String,
    entries: Vec<(String, std::ops::Range<usize>)>,
}

impl CanonicalObject {
    pub fn text(&self) -> &str {
        if self.text.is_empty() {
            "{}"
        } else {
            &self.text
        }
    }

    pub fn into_text(self) -> String {
        if self.text.is_empty() {
            "{}".to_string()
        } else {
            self.text
        }
    }

    /// The entries, borrowing the text (no scan, no copy of values).
    pub fn entries(&self) -> Entries<'_> {
        Entries {
            items: self
                .entries
                .iter()
                .map(|(key, range)| {
                    (Cow::Borrowed(key.as_str()), Val::Canonical(Cow::Borrowed(&self.text[range.clone()])))
                })
                .collect(),
        }
    }

    /// How much memory the object holds, roughly.
    pub fn size(&self) -> usize {
        self.text.len() + self.entries.iter().map(|(k, _)| k.len() + 32).sum::<usize>()
    }
}

/// The top-level entries of a JSON object, in order, with Python dict semantics: a key
/// appears once, at its first position, with its last value.
#[derive(Clone, Debug, Default)]
pub struct Entries<'a> {
    items: Vec<(Cow<'a, str>, Val<'a>)>,
}

/// Above this many entries, lookups go through a hash index instead of a scan.
const SCAN_LIMIT: usize = 16;

impl<'a> Entries<'a> {
    fn from_items(items: Vec<(Cow<'a, str>, Val<'a>)>) -> Entries<'a> {
        let mut entries = Entries { items: Vec::with_capacity(items.len()) };
        entries.merge(Entries { items });
        entries
    }

    pub fn get(&self, key: &str) -> Option<&Val<'a>> {
        self.items.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// Sets `key`: in place when present, appended otherwise.
    pub fn set(&mut self, key: Cow<'a, str>, value: Val<'a>) {
        match self.items.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) => slot.1 = value,
            None => self.items.push((key, value)),
        }
    }

    /// Removes `key`, keeping the order of the others; false when it was absent.
    pub fn remove(&mut self, key: &str) -> bool {
        match self.items.iter().position(|(k, _)| k == key) {
            Some(i) => {
                self.items.remove(i);
                true
            }
            None => false,
        }
    }

    /// `dict.update`: existing keys keep their position and take the new value, new keys
    /// are appended in the order given.
    pub fn merge(&mut self, updates: Entries<'a>) {
        if self.items.len() <= SCAN_LIMIT && updates.items.len() <= SCAN_LIMIT {
            for (key, value) in updates.items {
                self.set(key, value);
            }
            return;
        }
        let mut index: HashMap<String, usize> =
            self.items.iter().enumerate().map(|(i, (k, _))| (k.to_string(), i)).collect();
        for (key, value) in updates.items {
            match index.get(key.as_ref()) {
                Some(&i) => self.items[i].1 = value,
                None => {
                    index.insert(key.to_string(), self.items.len());
                    self.items.push((key, value));
                }
            }
        }
    }

    /// The object in canonical form. Fails only on a string holding a lone UTF-16
    /// surrogate, which has no UTF-8 form.
    pub fn to_canonical(&self) -> std::result::Result<CanonicalObject, String> {
        let mut text = String::with_capacity(
            2 + self.items.iter().map(|(k, v)| k.len() + 4 + v.text().len()).sum::<usize>(),
        );
        let mut entries = Vec::with_capacity(self.items.len());
        text.push('{');
        for (i, (key, value)) in self.items.iter().enumerate() {
            if i > 0 {
                text.push(',');
            }
            push_string(&mut text, key);
            text.push(':');
            let start = text.len();
            value.push_to(&mut text)?;
            entries.push((key.to_string(), start..text.len()));
        }
        text.push('}');
        Ok(CanonicalObject { text, entries })
    }
}

/// An object's entries, deserialized from text that starts with `{`.
struct ObjectEntries<'a>(Entries<'a>);

impl<'de> Deserialize<'de> for ObjectEntries<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        struct EntriesVisitor;
        impl<'de> Visitor<'de> for EntriesVisitor {
            type Value = ObjectEntries<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<Self::Value, A::Error> {
                let mut items = Vec::new();
                while let Some(Key(key)) = map.next_key()? {
                    let value: &'de RawValue = map.next_value()?;
                    items.push((key, Val::Raw(value.get())));
                }
                Ok(ObjectEntries(Entries::from_items(items)))
            }
        }
        deserializer.deserialize_map(EntriesVisitor)
    }
}

/// An object key, borrowed from the text when it has no escapes.
struct Key<'a>(Cow<'a, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string key")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> std::result::Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> std::result::Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v.to_string())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> std::result::Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v)))
            }
        }
        deserializer.deserialize_str(KeyVisitor)
    }
}

/// Validates `text` and reads it as an object (`Ok(Ok(entries))`) or names its kind
/// (`Ok(Err(kind))`); `Err` carries serde_json's description of invalid JSON.
fn parse_shape(text: &str) -> std::result::Result<std::result::Result<Entries<'_>, &'static str>, String> {
    if text.trim_start().as_bytes().first() != Some(&b'{') {
        // Not an object: validate it as a whole and name what it is.
        let raw: &RawValue = serde_json::from_str(text).map_err(|e| e.to_string())?;
        return Ok(Err(kind_of_text(raw.get())));
    }
    let ObjectEntries(entries) = serde_json::from_str(text).map_err(|e| e.to_string())?;
    Ok(Ok(entries))
}

/// Caller-supplied text that must be a JSON object; `what` names the argument.
/// Its values are made canonical here, so that a failure to write them later can only
/// come from stored text.
pub fn object_arg<'a>(text: &'a str, what: &str) -> Result<Entries<'a>> {
    match parse_shape(text) {
        Ok(Ok(mut entries)) => {
            for (_, value) in &mut entries.items {
                let canonical = value
                    .to_canonical()
                    .map_err(|e| Error::invalid_json(format!("{what} is not valid JSON: {e}")))?;
                *value = Val::Canonical(Cow::Owned(canonical));
            }
            Ok(entries)
        }
        Ok(Err(kind)) => Err(Error::invalid_json(format!("{what} must be a JSON object, got {kind}"))),
        Err(e) => Err(Error::invalid_json(format!("{what} is not valid JSON: {e}"))),
    }
}

/// A stored `state_json` column. NULL and "" read as `{}`, as in the Python package;
/// text that is not strict JSON, or not an object, is corruption of `owner`.
pub fn stored_object<'a>(text: Option<&'a str>, owner: &str) -> Result<Entries<'a>> {
    let text = match text {
        None | Some("") => return Ok(Entries::default()),
        Some(t) => t,
    };
    match parse_shape(text) {
        Ok(Ok(entries)) => Ok(entries),
        Ok(Err(kind)) => Err(Error::corrupt(format!(
            "the stored state of {owner} is {kind}, not a JSON object; it was left unchanged"
        ))),
        Err(e) => Err(Error::corrupt(format!(
            "the stored state of {owner} is not strict JSON ({e}); it was left unchanged"
        ))),
    }
}

/// The canonical form of stored entries, as corruption of `owner` when it cannot be made.
pub fn stored_canonical(entries: &Entries, owner: &str) -> Result<CanonicalObject> {
    entries.to_canonical().map_err(|e| stored_text_error(&e, owner))
}

/// The error for stored text that validated but has no canonical form.
pub fn stored_text_error(reason: &str, owner: &str) -> Error {
    Error::corrupt(format!(
        "the stored state of {owner} is not strict JSON ({reason}); it was left unchanged"
    ))
}

/// Caller-supplied text of any JSON value, in canonical form.
pub fn value_arg(text: &str, what: &str) -> Result<String> {
    let raw: &RawValue = serde_json::from_str(text)
        .map_err(|e| Error::invalid_json(format!("{what} is not valid JSON: {e}")))?;
    Val::Raw(raw.get())
        .to_canonical()
        .map_err(|e| Error::invalid_json(format!("{what} is not valid JSON: {e}")))
}

/// Caller-supplied text that must be a JSON array: its elements' text.
pub fn array_arg<'a>(text: &'a str, what: &str) -> Result<Vec<&'a str>> {
    let invalid = |e: String| Error::invalid_json(format!("{what} is not valid JSON: {e}"));
    if text.trim_start().as_bytes().first() != Some(&b'[') {
        let raw: &RawValue = serde_json::from_str(text).map_err(|e| invalid(e.to_string()))?;
        return Err(Error::invalid_json(format!(
            "{what} must be a JSON array, got {}",
            kind_of_text(raw.get())
        )));
    }
    let items: Vec<&RawValue> = serde_json::from_str(text).map_err(|e| invalid(e.to_string()))?;
    Ok(items.into_iter().map(RawValue::get).collect())
}

/// Canonical JSON array text of elements' text.
pub fn array_text(items: &[&str]) -> std::result::Result<String, String> {
    let mut out = String::with_capacity(2 + items.iter().map(|i| i.len() + 1).sum::<usize>());
    out.push('[');
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_canonical(&mut out, item)?;
    }
    out.push(']');
    Ok(out)
}

/// Appends a string as a canonical JSON string literal.
pub fn push_string(out: &mut String, s: &str) {
    out.push('"');
    let mut start = 0;
    for (i, b) in s.bytes().enumerate() {
        if b == b'"' || b == b'\\' || b < 0x20 {
            out.push_str(&s[start..i]);
            push_escape(out, b as u32);
            start = i + 1;
        }
    }
    out.push_str(&s[start..]);
    out.push('"');
}

/// Appends the canonical escape of a character that needs one.
fn push_escape(out: &mut String, c: u32) {
    match c {
        0x22 => out.push_str("\\\""),
        0x5c => out.push_str("\\\\"),
        0x08 => out.push_str("\\b"),
        0x0c => out.push_str("\\f"),
        0x0a => out.push_str("\\n"),
        0x0d => out.push_str("\\r"),
        0x09 => out.push_str("\\t"),
        _ => {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            out.push_str("\\u00");
            out.push(HEX[(c >> 4) as usize & 0xf] as char);
            out.push(HEX[c as usize & 0xf] as char);
        }
    }
}

/// How deep JSON may nest, counting the state object itself: deep enough for any
/// workflow state, shallow enough that Python's json module (recursion limit 1000)
/// reads whatever this library writes.
const MAX_DEPTH: usize = 512;

/// Appends `raw`, text that serde_json has validated as JSON, in canonical form:
/// whitespace outside strings dropped, string escapes rewritten to the canonical ones,
/// numbers and everything else verbatim. The only failure is a lone UTF-16 surrogate
/// escape (`"\ud800"`), which JSON's grammar lets through and UTF-8 cannot hold.
fn push_canonical(out: &mut String, raw: &str) -> std::result::Result<(), String> {
    let bytes = raw.as_bytes();
    let mut i = 0;
    let mut start = 0; // start of the run not yet copied
    let mut depth = 0usize;
    while i < bytes.len() {
        match bytes[i] {
            b'{' | b'[' => {
                depth += 1;
                if depth >= MAX_DEPTH {
                    return Err(format!("nested deeper than {MAX_DEPTH} levels"));
                }
                i += 1;
            }
            b'}' | b']' => {
                depth = depth.saturating_sub(1);
                i += 1;
            }
            b' ' | b'\t' | b'\n' | b'\r' => {
                out.push_str(&raw[start..i]);
                i += 1;
                start = i;
            }
            b'"' => {
                // Inside a string: jump from one quote or backslash to the next.
                i += 1;
                loop {
                    let Some(offset) = memchr::memchr2(b'"', b'\\', &bytes[i..]) else {
                        return Err("unterminated string".to_string());
                    };
                    i += offset;
                    if bytes[i] == b'"' {
                        i += 1;
                        break;
                    }
                    // An escape: the canonical ones stay, the others are rewritten.
                    match bytes.get(i + 1) {
                        Some(b'"' | b'\\' | b'b' | b'f' | b'n' | b'r' | b't') => i += 2,
                        Some(b'/') => {
                            out.push_str(&raw[start..i]);
                            out.push('/');
                            i += 2;
                            start = i;
                        }
                        Some(b'u') => {
                            out.push_str(&raw[start..i]);
                            let (c, len) = decode_unicode_escape(&bytes[i..])?;
                            if c < 0x20 || c == 0x22 || c == 0x5c {
                                push_escape(out, c);
                            } else {
                                out.push(char::from_u32(c).ok_or("invalid \\u escape")?);
                            }
                            i += len;
                            start = i;
                        }
                        _ => return Err("invalid escape".to_string()),
                    }
                }
            }
            _ => i += 1,
        }
    }
    out.push_str(&raw[start..]);
    Ok(())
}

/// Decodes `\uXXXX` (or a surrogate pair `\uXXXX\uXXXX`) at the start of `bytes`:
/// the code point and the number of bytes it took.
fn decode_unicode_escape(bytes: &[u8]) -> std::result::Result<(u32, usize), String> {
    let hex = |at: usize| -> std::result::Result<u32, String> {
        let digits = bytes.get(at..at + 4).ok_or("truncated \\u escape")?;
        let text = std::str::from_utf8(digits).map_err(|_| "invalid \\u escape")?;
        u32::from_str_radix(text, 16).map_err(|_| "invalid \\u escape".to_string())
    };
    let first = hex(2)?;
    match first {
        0xd800..=0xdbff => {
            if bytes.get(6..8) != Some(b"\\u") {
                return Err(format!("lone leading surrogate \\u{first:04x}"));
            }
            let second = hex(8)?;
            if !(0xdc00..=0xdfff).contains(&second) {
                return Err(format!("lone leading surrogate \\u{first:04x}"));
            }
            Ok((0x10000 + ((first - 0xd800) << 10) + (second - 0xdc00), 12))
        }
        0xdc00..=0xdfff => Err(format!("lone trailing surrogate \\u{first:04x}")),
        c => Ok((c, 6)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn merged(stored: &str, updates: &str) -> String {
        let mut state = object_arg(stored, "s").unwrap();
        state.merge(object_arg(updates, "u").unwrap());
        state.to_canonical().unwrap().into_text()
    }

    #[test]
    fn merge_keeps_positions_and_appends_new_keys() {
        assert_eq!(merged(r#"{"a":1,"b":2,"c":3}"#, r#"{"d":4,"b":20}"#), r#"{"a":1,"b":20,"c":3,"d":4}"#);
    }

    #[test]
    fn large_merges_use_the_index_with_the_same_result() {
        let stored: String =
            format!("{{{}}}", (0..40).map(|i| format!("\"k{i}\":{i}")).collect::<Vec<_>>().join(","));
        let updates: String =
            format!("{{{}}}", (30..50).map(|i| format!("\"k{i}\":-{i}")).collect::<Vec<_>>().join(","));
        let expected: String = format!(
            "{{{}}}",
            (0..50)
                .map(|i| if i < 30 { format!("\"k{i}\":{i}") } else { format!("\"k{i}\":-{i}") })
                .collect::<Vec<_>>()
                .join(",")
        );
        assert_eq!(merged(&stored, &updates), expected);
    }

    #[test]
    fn duplicate_keys_keep_the_first_position_and_the_last_value() {
        assert_eq!(merged(r#"{"a":1,"b":2,"a":3}"#, "{}"), r#"{"a":3,"b":2}"#);
    }

    #[test]
    fn a_canonical_object_reads_back_its_own_entries() {
        let object =
            object_arg(r#"{"a": [1, 2], "b\"": {"c": "\u00e9"}}"#, "u").unwrap().to_canonical().unwrap();
        assert_eq!(object.text(), r#"{"a":[1,2],"b\"":{"c":"é"}}"#);
        let entries = object.entries();
        assert_eq!(entries.get("a").unwrap().to_canonical().unwrap(), "[1,2]");
        assert_eq!(entries.get("b\"").unwrap().to_canonical().unwrap(), r#"{"c":"é"}"#);
        assert_eq!(entries.to_canonical().unwrap().text(), object.text());
        assert_eq!(CanonicalObject::default().text(), "{}");
    }

    #[test]
    fn numbers_keep_their_exact_text() {
        let text = r#"{"big":1180591620717411303424,"f":0.1,"z":1.50,"neg":-0.0,"e":1E400,"x":2e-7}"#;
        assert_eq!(merged(text, "{}"), text);
    }

    #[test]
    fn python_text_becomes_canonical() {
        let python =
            "{\"a\": [1, 2, {\"b\": \"caf\\u00e9 \\ud83d\\ude00\"}], \"c\": \"\\/\\u001f\\u0022\\n\"}";
        assert_eq!(merged(python, "{}"), "{\"a\":[1,2,{\"b\":\"café 😀\"}],\"c\":\"/\\u001f\\\"\\n\"}");
    }

    #[test]
    fn lone_surrogates_and_python_nan_are_corruption_naming_the_owner() {
        for text in [r#"{"x": NaN}"#, r#"{"x": "\ud800"}"#] {
            let err = stored_object(Some(text), "session \"s\"")
                .and_then(|e| stored_canonical(&e, "session \"s\""));
            let err = err.unwrap_err();
            assert_eq!(err.status, crate::Status::Corrupt, "{text}");
            assert!(err.message.contains("session \"s\""), "{}", err.message);
        }
    }

    #[test]
    fn wrong_shapes_say_what_was_expected() {
        assert_eq!(
            object_arg("[1]", "updates_json").unwrap_err().message,
            "updates_json must be a JSON object, got an array"
        );
        assert_eq!(object_arg(" 12", "u").unwrap_err().message, "u must be a JSON object, got a number");
        assert_eq!(array_arg("{}", "h").unwrap_err().message, "h must be a JSON array, got an object");
        assert!(object_arg("{\"a\":}", "u").unwrap_err().message.starts_with("u is not valid JSON: "));
    }

    #[test]
    fn nesting_is_limited_so_that_python_can_read_every_state() {
        let nested = |depth: usize| format!("{{\"a\":{}{}}}", "[".repeat(depth), "]".repeat(depth));
        assert!(object_arg(&nested(MAX_DEPTH - 2), "u").is_ok());
        let err = object_arg(&nested(MAX_DEPTH), "u").unwrap_err();
        assert_eq!(err.status, crate::Status::InvalidJson);
        assert!(err.message.contains("deeper than 512 levels"), "{}", err.message);
        assert!(object_arg(&nested(100_000), "u").is_err());
    }

    #[test]
    fn keys_are_escaped_canonically() {
        assert_eq!(merged(r#"{"a\"b\u0001\u00e9":1}"#, "{}"), "{\"a\\\"b\\u0001é\":1}");
    }
}
