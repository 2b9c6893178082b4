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

use crate::error::{quote, Error, Result};
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

/// A caller's JSON string that goes into a text column, which cannot hold a NUL
/// character; `what` names it in the message.
pub fn column_text(text: String, what: &str) -> Result<String> {
    check_column_text(&text, what)?;
    Ok(text)
}

/// [`column_text`] for text the caller keeps.
pub fn check_column_text(text: &str, what: &str) -> Result<()> {
    if text.contains('\0') {
        return Err(Error::invalid_argument(format!(
            "{what} holds a NUL character (\\u0000), which a stored text cannot hold"
        )));
    }
    Ok(())
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

    /// Appends the value in canonical form. A raw value is stored text, read as a
    /// top-level value of a state (`STORED`); a failure says why and where, below `key`.
    fn push_to(&self, out: &mut String, key: Option<&str>) -> std::result::Result<(), String> {
        match self {
            Val::Raw(raw) => push_canonical(out, raw, STORED).map_err(|fault| fault.reason(raw, key)),
            Val::Canonical(text) => {
                out.push_str(text);
                Ok(())
            }
        }
    }

    /// The value's text in canonical form.
    pub fn to_canonical(&self) -> std::result::Result<String, String> {
        let mut out = String::with_capacity(self.text().len());
        self.push_to(&mut out, None)?;
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
    entries: Vec<Member>,
}

/// Where a member of a [`CanonicalObject`] sits in its text. The key is kept as its
/// place in the text, not as a string of its own: a state of a thousand keys is then
/// made without a thousand allocations, which were a tenth of a patch of a 100 KB state.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Member {
    /// The key's text between its quotes, as written (escaped).
    key: std::ops::Range<usize>,
    /// Whether that text has escapes, so that the key must be decoded to be read.
    escaped: bool,
    value: std::ops::Range<usize>,
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

    fn key(&self, member: &Member) -> Cow<'_, str> {
        let written = &self.text[member.key.clone()];
        if !member.escaped {
            return Cow::Borrowed(written);
        }
        // The text is canonical JSON this object wrote: the quoted key always decodes.
        let quoted = &self.text[member.key.start - 1..member.key.end + 1];
        serde_json::from_str::<String>(quoted).map_or(Cow::Borrowed(written), Cow::Owned)
    }

    /// The members, in order, as (key, canonical text of the value): no scan, no copy.
    pub fn members(&self) -> impl Iterator<Item = (Cow<'_, str>, &str)> {
        self.entries.iter().map(|member| (self.key(member), &self.text[member.value.clone()]))
    }

    /// The entries, borrowing the text (no scan, no copy of values).
    pub fn entries(&self) -> Entries<'_> {
        Entries {
            items: self.members().map(|(key, value)| (key, Val::Canonical(Cow::Borrowed(value)))).collect(),
        }
    }

    /// How much memory the object holds, roughly.
    pub fn size(&self) -> usize {
        self.text.len() + self.entries.len() * std::mem::size_of::<Member>()
    }
}

/// Writes a [`CanonicalObject`] member by member, noting where each sits.
pub struct CanonicalWriter {
    text: String,
    entries: Vec<Member>,
}

impl CanonicalWriter {
    /// A writer for an object of about `bytes` of text and `members` members.
    pub fn new(bytes: usize, members: usize) -> CanonicalWriter {
        let mut text = String::with_capacity(bytes + 2);
        text.push('{');
        CanonicalWriter { text, entries: Vec::with_capacity(members) }
    }

    /// Appends a member: its key, and the value `write` appends in canonical form.
    pub fn member<E>(
        &mut self,
        key: &str,
        write: impl FnOnce(&mut String) -> std::result::Result<(), E>,
    ) -> std::result::Result<(), E> {
        if !self.entries.is_empty() {
            self.text.push(',');
        }
        let key_start = self.text.len() + 1;
        push_string(&mut self.text, key);
        let key_end = self.text.len() - 1;
        self.text.push(':');
        let value_start = self.text.len();
        write(&mut self.text)?;
        self.entries.push(Member {
            key: key_start..key_end,
            escaped: key_end - key_start != key.len(),
            value: value_start..self.text.len(),
        });
        Ok(())
    }

    pub fn finish(mut self) -> CanonicalObject {
        self.text.push('}');
        CanonicalObject { text: self.text, entries: self.entries }
    }
}

/// The top-level entries of a JSON object, in order, with Python dict semantics: a key
/// appears once, at its first position, with its last value.
#[derive(Clone, Debug, Default)]
pub struct Entries<'a> {
    items: Items<'a>,
}

/// Above this many entries, lookups go through a hash index instead of a scan.
const SCAN_LIMIT: usize = 16;

impl<'a> Entries<'a> {
    fn from_items(items: Items<'a>) -> Entries<'a> {
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

    /// The object in canonical form. Raw values are stored text (see `Val::push_to`):
    /// this fails on a string holding a lone UTF-16 surrogate, which has no UTF-8 form,
    /// and on a value nested deeper than a state may be.
    pub fn to_canonical(&self) -> std::result::Result<CanonicalObject, String> {
        let bytes = self.items.iter().map(|(k, v)| k.len() + 4 + v.text().len()).sum::<usize>();
        let mut object = CanonicalWriter::new(bytes, self.items.len());
        for (key, value) in &self.items {
            object.member(key, |text| value.push_to(text, Some(key)))?;
        }
        Ok(object.finish())
    }
}

/// An object's entries as written, repeated keys included, deserialized from text that
/// starts with `{`.
/// An object's members as written: each key with its value's raw text.
struct ObjectEntries<'a>(Vec<(Cow<'a, str>, &'a str)>);

fn raw_items<'a>(members: Vec<(Cow<'a, str>, &'a str)>) -> Items<'a> {
    members.into_iter().map(|(key, raw)| (key, Val::Raw(raw))).collect()
}

/// An object's entries in order, as (key, value).
type Items<'a> = Vec<(Cow<'a, str>, Val<'a>)>;

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
                    items.push((key, value.get()));
                }
                Ok(ObjectEntries(items))
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
    Ok(parse_items(text)?.map(Entries::from_items))
}

/// As `parse_shape`, with an object's entries as written, repeated keys included.
fn parse_items(text: &str) -> std::result::Result<std::result::Result<Items<'_>, &'static str>, String> {
    Ok(members_as_written(text)?.map(raw_items))
}

/// Where an argument's JSON text will be kept, for the depth rule (`MAX_DEPTH`): how many
/// containers will enclose it there, and how to say where that is.
#[derive(Clone, Copy, Debug)]
pub struct Place {
    pub enclosing: usize,
    pub name: &'static str,
}

/// Merged into a session's state: the argument's object is the state's level.
pub const IN_STATE: Place = Place { enclosing: 0, name: "in the session's state" };
/// Merged into a step's object, which is a value of the session's state.
pub const IN_STEP: Place = Place { enclosing: 1, name: "in the step's object inside the session's state" };
/// Kept as a document of its own (a `ws_history_push` snapshot).
pub const ALONE: Place = Place { enclosing: 0, name: "as a snapshot" };
/// A cjm history array, which applications keep as a value of a session's state.
pub const HISTORY: Place =
    Place { enclosing: 1, name: "as a history array kept in a session's state, as cjm keeps it" };
/// An element of such a history.
pub const IN_HISTORY: Place =
    Place { enclosing: 2, name: "in a history array kept in a session's state, as cjm keeps it" };

/// The error for an argument whose scan found `fault`; `key` is the top-level key whose
/// value `raw` is, when the argument is an object read by entries.
fn refused(what: &str, place: Place, raw: &str, key: Option<&str>, fault: Fault) -> Error {
    let at = quote(&fault.pointer(raw, key));
    Error::invalid_json(match fault.why {
        Why::Deep(level) => format!(
            "{what} nests too deeply at {at}: {} it would be {} levels deep, and JSON is kept at \
             most {MAX_DEPTH} levels deep so that Python's json module can read it",
            place.name, level
        ),
        Why::Number(why) => format!("{what} has a number at {at} that {why}"),
        Why::Text(why) => format!("{what} is not valid JSON: {why} at {at}"),
        // push_canonical rebuilds such an object rather than fail on it.
        Why::Duplicate => format!("{what} is not valid JSON: a repeated key at {at}"),
    })
}

/// Caller-supplied text that must be a JSON object, to be kept at `place`; `what` names
/// the argument. Its values are made canonical here, so that a failure to write them
/// later can only come from stored text.
pub fn object_arg<'a>(text: &'a str, what: &str, place: Place) -> Result<Entries<'a>> {
    let limits = Limits { enclosing: place.enclosing + 1, numbers: true };
    match parse_items(text) {
        Ok(Ok(mut items)) => {
            // Every value is checked, also one that a repeated key then replaces.
            for (key, value) in &mut items {
                let raw = value.text();
                let mut canonical = String::with_capacity(raw.len());
                push_canonical(&mut canonical, raw, limits)
                    .map_err(|fault| refused(what, place, raw, Some(key), fault))?;
                *value = Val::Canonical(Cow::Owned(canonical));
            }
            Ok(Entries::from_items(items))
        }
        Ok(Err(kind)) => Err(Error::invalid_json(format!("{what} must be a JSON object, got {kind}"))),
        Err(e) => Err(Error::invalid_json(format!("{what} is not valid JSON: {e}"))),
    }
}

/// Caller-supplied text that must be a JSON object of named members (such as
/// `edit_json`): each member as written, with its value's raw (validated) text.
pub fn members<'a>(text: &'a str, what: &str) -> Result<Members<'a>> {
    match members_as_written(text) {
        Ok(Ok(members)) => Ok(members),
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

/// Why `text` cannot be kept as a session's state, or as an undo or redo snapshot of one
/// (`None`: it can), by the rule a stored state is read by (`stored_object`, then
/// `stored_canonical`), as the words that follow its name: "is an array, not a JSON
/// object". What `ws_export` writes and `ws_import` takes is held to it (`export.rs`).
pub fn state_text_fault(text: &str) -> Option<String> {
    match parse_shape(text) {
        Ok(Ok(entries)) => entries.to_canonical().err().map(|why| format!("is not strict JSON ({why})")),
        Ok(Err(kind)) => Some(format!("is {kind}, not a JSON object")),
        Err(e) => Some(format!("is not strict JSON ({e})")),
    }
}

/// [`state_text_fault`] for text of any JSON value, kept as a document of its own (a
/// history snapshot, an entry's meta).
pub fn value_text_fault(text: &str) -> Option<String> {
    let raw: &RawValue = match serde_json::from_str(text) {
        Ok(raw) => raw,
        Err(e) => return Some(format!("is not strict JSON ({e})")),
    };
    let mut out = String::with_capacity(raw.get().len());
    push_canonical(&mut out, raw.get(), Limits { enclosing: 0, numbers: false })
        .err()
        .map(|fault| format!("is not strict JSON ({})", fault.reason(raw.get(), None)))
}

/// The error for stored text that validated but has no canonical form.
pub fn stored_text_error(reason: &str, owner: &str) -> Error {
    Error::corrupt(format!(
        "the stored state of {owner} is not strict JSON ({reason}); it was left unchanged"
    ))
}

/// Caller-supplied text of any JSON value, to be kept at `place`, in canonical form.
pub fn value_arg(text: &str, what: &str, place: Place) -> Result<String> {
    let raw: &RawValue = serde_json::from_str(text)
        .map_err(|e| Error::invalid_json(format!("{what} is not valid JSON: {e}")))?;
    canonical_value(raw.get(), what, place, true)
}

/// Caller-supplied text that must be a JSON array, to be kept at `place`: its elements,
/// each in canonical form.
pub fn array_arg(text: &str, what: &str, place: Place) -> Result<Vec<String>> {
    let invalid = |e: serde_json::Error| Error::invalid_json(format!("{what} is not valid JSON: {e}"));
    if text.trim_start().as_bytes().first() != Some(&b'[') {
        let raw: &RawValue = serde_json::from_str(text).map_err(invalid)?;
        return Err(Error::invalid_json(format!(
            "{what} must be a JSON array, got {}",
            kind_of_text(raw.get())
        )));
    }
    let items: Vec<&RawValue> = serde_json::from_str(text).map_err(invalid)?;
    let limits = Limits { enclosing: place.enclosing + 1, numbers: true };
    items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let raw = item.get();
            let mut out = String::with_capacity(raw.len());
            push_canonical(&mut out, raw, limits)
                .map_err(|fault| refused(what, place, raw, Some(&i.to_string()), fault))?;
            Ok(out)
        })
        .collect()
}

/// JSON array text of elements already in canonical form.
pub fn array_text(items: &[String]) -> String {
    let mut out = String::with_capacity(2 + items.iter().map(|i| i.len() + 1).sum::<usize>());
    out.push('[');
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(item);
    }
    out.push(']');
    out
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

/// How deep JSON may nest where the library keeps it, counting the state object itself
/// as one level: deep enough for any workflow state, shallow enough that Python's json
/// module (recursion limit 1000) reads whatever this library writes. Every argument is
/// measured as it will be kept (see `Place`), so nothing the library accepts is ever
/// too deep to read back, and nothing it returns too deep to pass back where it came from.
pub const MAX_DEPTH: usize = 512;

/// The largest integer, in digits, that Python's `json` module reads (`int()`'s default
/// `sys.int_info.default_max_str_digits`).
const MAX_INT_DIGITS: usize = 4300;

/// What a scan checks besides what serde_json validated.
#[derive(Clone, Copy, Debug)]
struct Limits {
    /// How many containers enclose the value where it is kept.
    enclosing: usize,
    /// Whether to refuse numbers that Python cannot read back as the same number (caller
    /// text); stored text is taken as it is.
    numbers: bool,
}

/// A top-level value of a stored state.
const STORED: Limits = Limits { enclosing: 1, numbers: false };

/// Why a scan stopped, and at which byte of the text it was given.
#[derive(Debug)]
struct Fault {
    at: usize,
    why: Why,
}

#[derive(Debug)]
enum Why {
    /// A container that would be this many levels deep, counting `Limits::enclosing`.
    Deep(usize),
    /// A number that breaks Python's json module, and how.
    Number(&'static str),
    /// Text with no canonical form (a lone surrogate escape).
    Text(String),
    /// An object repeats a key: not an error, the scan starts again on the slow path.
    Duplicate,
}

impl Fault {
    /// Where the fault is, as an RFC 6901 pointer into the argument: below `key` when
    /// `raw` is the value of that top-level key.
    fn pointer(&self, raw: &str, key: Option<&str>) -> String {
        let mut pointer = String::new();
        if let Some(key) = key {
            push_pointer_token(&mut pointer, key);
        }
        pointer + &pointer_at(raw, self.at)
    }

    /// The fault in words, for a stored text's corruption message.
    fn reason(&self, raw: &str, key: Option<&str>) -> String {
        let at = quote(&self.pointer(raw, key));
        match &self.why {
            Why::Deep(level) => format!("nested {level} levels deep at {at}, deeper than {MAX_DEPTH}"),
            Why::Number(why) => format!("a number at {at} {why}"),
            Why::Text(why) => format!("{why} at {at}"),
            Why::Duplicate => format!("a repeated key at {at}"),
        }
    }
}

/// Appends `/token`, escaped as RFC 6901 says (`~` as `~0`, `/` as `~1`).
fn push_pointer_token(pointer: &mut String, token: &str) {
    pointer.push('/');
    for c in token.chars() {
        match c {
            '~' => pointer.push_str("~0"),
            '/' => pointer.push_str("~1"),
            c => pointer.push(c),
        }
    }
}

/// The RFC 6901 pointer of the value at byte `at` of valid JSON text `raw` ("" for the
/// text itself). Only errors need it, so it walks the text again rather than make every
/// scan keep a path.
fn pointer_at(raw: &str, at: usize) -> String {
    enum Step {
        Key(Option<String>),
        Index(usize),
    }
    let bytes = raw.as_bytes();
    let mut path: Vec<Step> = Vec::new();
    let mut i = 0;
    while i < at.min(bytes.len()) {
        match bytes[i] {
            b'{' => path.push(Step::Key(None)),
            b'[' => path.push(Step::Index(0)),
            b'}' | b']' => drop(path.pop()),
            b',' => match path.last_mut() {
                Some(Step::Index(n)) => *n += 1,
                Some(Step::Key(key)) => *key = None,
                None => {}
            },
            b'"' => {
                let end = string_end(bytes, i);
                if let Some(Step::Key(key @ None)) = path.last_mut() {
                    *key = Some(serde_json::from_str::<String>(&raw[i..end]).unwrap_or_default());
                }
                i = end;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    let mut pointer = String::new();
    for step in &path {
        match step {
            Step::Key(key) => push_pointer_token(&mut pointer, key.as_deref().unwrap_or_default()),
            Step::Index(n) => push_pointer_token(&mut pointer, &n.to_string()),
        }
    }
    pointer
}

/// The index just past the string literal that starts at `bytes[start]` (a quote).
pub(crate) fn string_end(bytes: &[u8], start: usize) -> usize {
    let mut i = start + 1;
    while let Some(offset) = memchr::memchr2(b'"', b'\\', &bytes[i..]) {
        i += offset;
        if bytes[i] == b'"' {
            return i + 1;
        }
        i += 2;
    }
    bytes.len()
}

/// Why Python's json module could not take the number `token` back as the same number:
/// it reads an integer of more than `MAX_INT_DIGITS` digits not at all, and a number
/// beyond a double's range as `inf`, which it then writes as `Infinity` (not JSON).
fn number_refusal(token: &str) -> Option<&'static str> {
    let digits = token.strip_prefix('-').unwrap_or(token);
    if !digits.contains(['.', 'e', 'E']) {
        return (digits.len() > MAX_INT_DIGITS)
            .then_some("has more than 4300 digits (Python's json module refuses such integers)");
    }
    // Below 309 digits a number without an exponent stays in range; parse only the rest.
    let may_overflow = digits.len() > 308 || digits.contains(['e', 'E']);
    let overflows = may_overflow && token.parse::<f64>().map_or(true, f64::is_infinite);
    overflows.then_some("is too large for a double (Python would read it as inf and write Infinity)")
}

/// Appends `raw`, text that serde_json has validated as JSON, in canonical form:
/// whitespace outside strings dropped, string escapes rewritten to the canonical ones,
/// each object's keys once (at the first position, with the last value, as Python's
/// json module reads them), numbers and everything else verbatim. Fails on what `limits`
/// refuse and on a lone UTF-16 surrogate escape (`"\ud800"`), which JSON's grammar lets
/// through and UTF-8 cannot hold.
fn push_canonical(out: &mut String, raw: &str, limits: Limits) -> std::result::Result<(), Fault> {
    push_canonical_at(out, raw, 0, limits)
}

/// `push_canonical` for `raw` found at byte `at` of the text the caller was given, so
/// that faults point into that text.
fn push_canonical_at(
    out: &mut String,
    raw: &str,
    at: usize,
    limits: Limits,
) -> std::result::Result<(), Fault> {
    let mark = out.len();
    match scan(out, raw, limits) {
        Err(Fault { why: Why::Duplicate, .. }) => {
            out.truncate(mark);
            rebuild(out, raw, at, limits)
        }
        other => other.map_err(|fault| Fault { at: at + fault.at, ..fault }),
    }
}

/// The fast path of `push_canonical`, one pass over the text: it copies runs that need
/// no change, and checks all of it before it reports an object that repeats a key,
/// which `rebuild` then handles.
fn scan(out: &mut String, raw: &str, limits: Limits) -> std::result::Result<(), Fault> {
    struct Frame {
        object: bool,
        /// The next string is a key.
        key_next: bool,
        /// Where the object's keys start in `keys`.
        keys: usize,
    }
    let bytes = raw.as_bytes();
    let mut frames: Vec<Frame> = Vec::new();
    // The canonical text of the keys of the open objects, as ranges of `out`: equal
    // strings have equal canonical text, so keys compare as bytes.
    let mut keys: Vec<std::ops::Range<usize>> = Vec::new();
    // Where an object that repeats a key ends.
    let mut repeated = None;
    let mut i = 0;
    let mut start = 0; // start of the run not yet copied
    while i < bytes.len() {
        match bytes[i] {
            b @ (b'{' | b'[') => {
                let level = limits.enclosing + frames.len() + 1;
                if level > MAX_DEPTH {
                    return Err(Fault { at: i, why: Why::Deep(level) });
                }
                frames.push(Frame { object: b == b'{', key_next: true, keys: keys.len() });
                i += 1;
            }
            b'}' | b']' => {
                if let Some(frame) = frames.pop() {
                    // The rest is still checked, so that a refusal never depends on
                    // which of two values of a key is kept.
                    if frame.object && repeated.is_none() && repeats_a_key(out, &mut keys[frame.keys..]) {
                        repeated = Some(i);
                    }
                    keys.truncate(frame.keys);
                }
                i += 1;
            }
            b',' => {
                if let Some(frame) = frames.last_mut() {
                    frame.key_next = frame.object;
                }
                i += 1;
            }
            b':' => {
                if let Some(frame) = frames.last_mut() {
                    frame.key_next = false;
                }
                i += 1;
            }
            b' ' | b'\t' | b'\n' | b'\r' => {
                out.push_str(&raw[start..i]);
                i += 1;
                start = i;
            }
            b'"' => {
                let key = frames.last().is_some_and(|f| f.object && f.key_next);
                if key {
                    out.push_str(&raw[start..i]);
                    start = i;
                }
                let key_start = out.len();
                let at = i;
                // Inside a string: jump from one quote or backslash to the next.
                i += 1;
                loop {
                    let Some(offset) = memchr::memchr2(b'"', b'\\', &bytes[i..]) else {
                        return Err(Fault { at, why: Why::Text("unterminated string".into()) });
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
                            let (c, len) = decode_unicode_escape(&bytes[i..])
                                .map_err(|why| Fault { at, why: Why::Text(why) })?;
                            match char::from_u32(c) {
                                _ if c < 0x20 || c == 0x22 || c == 0x5c => push_escape(out, c),
                                Some(c) => out.push(c),
                                None => {
                                    return Err(Fault { at, why: Why::Text("invalid \\u escape".into()) })
                                }
                            }
                            i += len;
                            start = i;
                        }
                        _ => return Err(Fault { at, why: Why::Text("invalid escape".into()) }),
                    }
                }
                if key {
                    out.push_str(&raw[start..i]);
                    start = i;
                    keys.push(key_start..out.len());
                }
            }
            b'-' | b'0'..=b'9' => {
                let end = i + bytes[i..]
                    .iter()
                    .position(|b| !matches!(b, b'0'..=b'9' | b'.' | b'e' | b'E' | b'+' | b'-'))
                    .unwrap_or(bytes.len() - i);
                if limits.numbers {
                    if let Some(why) = number_refusal(&raw[i..end]) {
                        return Err(Fault { at: i, why: Why::Number(why) });
                    }
                }
                i = end;
            }
            _ => i += 1,
        }
    }
    if let Some(at) = repeated {
        return Err(Fault { at, why: Why::Duplicate });
    }
    out.push_str(&raw[start..]);
    Ok(())
}

/// Whether two of an object's keys (ranges of canonical text in `out`) are equal.
fn repeats_a_key(out: &str, keys: &mut [std::ops::Range<usize>]) -> bool {
    let text = out.as_bytes();
    match keys.len() {
        0 | 1 => false,
        2 => text[keys[0].clone()] == text[keys[1].clone()],
        _ => {
            keys.sort_unstable_by(|a, b| text[a.clone()].cmp(&text[b.clone()]));
            keys.windows(2).any(|w| text[w[0].clone()] == text[w[1].clone()])
        }
    }
}

/// The slow path of `push_canonical`, for a container that holds an object with a
/// repeated key somewhere: objects are read as `Entries` (each key once, at its first
/// position, with its last value), each value made canonical in turn. `at` is where
/// `raw` starts in the text the caller was given, so faults point into that.
fn rebuild(out: &mut String, raw: &str, at: usize, limits: Limits) -> std::result::Result<(), Fault> {
    let text = raw.trim_start();
    let offset = |part: &str| at + (part.as_ptr() as usize - raw.as_ptr() as usize);
    let inner = Limits { enclosing: limits.enclosing + 1, ..limits };
    let invalid = |e: serde_json::Error| Fault { at: offset(text), why: Why::Text(e.to_string()) };
    let value = |out: &mut String, part: &str| push_canonical_at(out, part, offset(part), inner);
    if limits.enclosing + 1 > MAX_DEPTH {
        return Err(Fault { at: offset(text), why: Why::Deep(limits.enclosing + 1) });
    }
    if text.starts_with('{') {
        let ObjectEntries(items) = serde_json::from_str(text).map_err(invalid)?;
        out.push('{');
        for (i, (key, part)) in Entries::from_items(raw_items(items)).items.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            push_string(out, key);
            out.push(':');
            value(out, part.text())?;
        }
        out.push('}');
    } else {
        let items: Vec<&RawValue> = serde_json::from_str(text).map_err(invalid)?;
        out.push('[');
        for (i, part) in items.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            value(out, part.get())?;
        }
        out.push(']');
    }
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

// ---- Helpers for JSON Patch (src/patch.rs), which edits canonical text in place ----

/// An object's members in order, as (key, validated text of the value).
pub type Members<'a> = Vec<(Cow<'a, str>, &'a str)>;

/// The members of JSON text as written, repeated keys included, each value as its
/// validated text (`Ok(Ok(members))`), or the kind of a value that is not an object
/// (`Ok(Err(kind))`); `Err` carries serde_json's description of invalid JSON.
pub fn members_as_written(
    text: &str,
) -> std::result::Result<std::result::Result<Members<'_>, &'static str>, String> {
    if text.trim_start().as_bytes().first() != Some(&b'{') {
        // Not an object: validate it as a whole and name what it is.
        let raw: &RawValue = serde_json::from_str(text).map_err(|e| e.to_string())?;
        return Ok(Err(kind_of_text(raw.get())));
    }
    let ObjectEntries(members) = serde_json::from_str(text).map_err(|e| e.to_string())?;
    Ok(Ok(members))
}

/// `raw`, text serde_json has validated, in canonical form, to be kept at `place`;
/// `numbers` refuses the numbers Python cannot read back (see `Limits::numbers`).
pub fn canonical_value(raw: &str, what: &str, place: Place, numbers: bool) -> Result<String> {
    let mut out = String::with_capacity(raw.len());
    push_canonical(&mut out, raw, Limits { enclosing: place.enclosing, numbers })
        .map_err(|fault| refused(what, place, raw, None, fault))?;
    Ok(out)
}

/// The RFC 6901 pointer of these (unescaped) tokens.
pub fn pointer_of<'t>(tokens: impl IntoIterator<Item = &'t str>) -> String {
    let mut pointer = String::new();
    for token in tokens {
        push_pointer_token(&mut pointer, token);
    }
    pointer
}

/// The index just past the string literal that starts at `bytes[start]` (a quote).
pub fn string_literal_end(bytes: &[u8], start: usize) -> usize {
    string_end(bytes, start)
}

// ---- End of the helpers for JSON Patch ----

#[cfg(test)]
mod tests {
    use super::*;

    fn merged(stored: &str, updates: &str) -> String {
        let mut state = object_arg(stored, "s", IN_STATE).unwrap();
        state.merge(object_arg(updates, "u", IN_STATE).unwrap());
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
        let object = object_arg(r#"{"a": [1, 2], "b\"": {"c": "\u00e9"}}"#, "u", IN_STATE)
            .unwrap()
            .to_canonical()
            .unwrap();
        assert_eq!(object.text(), r#"{"a":[1,2],"b\"":{"c":"é"}}"#);
        let entries = object.entries();
        assert_eq!(entries.get("a").unwrap().to_canonical().unwrap(), "[1,2]");
        assert_eq!(entries.get("b\"").unwrap().to_canonical().unwrap(), r#"{"c":"é"}"#);
        assert_eq!(entries.to_canonical().unwrap().text(), object.text());
        assert_eq!(CanonicalObject::default().text(), "{}");
    }

    #[test]
    fn numbers_keep_their_exact_text() {
        let text = r#"{"big":1180591620717411303424,"f":0.1,"z":1.50,"neg":-0.0,"e":1E40,"x":2e-7}"#;
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
            object_arg("[1]", "updates_json", IN_STATE).unwrap_err().message,
            "updates_json must be a JSON object, got an array"
        );
        assert_eq!(
            object_arg(" 12", "u", IN_STATE).unwrap_err().message,
            "u must be a JSON object, got a number"
        );
        assert_eq!(
            array_arg("{}", "h", HISTORY).unwrap_err().message,
            "h must be a JSON array, got an object"
        );
        assert!(object_arg("{\"a\":}", "u", IN_STATE)
            .unwrap_err()
            .message
            .starts_with("u is not valid JSON: "));
    }

    /// `{"a":[[...]]}` nested `depth` levels in all, the object included.
    fn nested(depth: usize) -> String {
        format!("{{\"a\":{}{}}}", "[".repeat(depth - 1), "]".repeat(depth - 1))
    }

    #[test]
    fn a_state_nests_at_most_512_levels_wherever_the_text_goes() {
        // Merged into the state, the argument's object is the state's level.
        assert!(object_arg(&nested(MAX_DEPTH), "u", IN_STATE).is_ok());
        let err = object_arg(&nested(MAX_DEPTH + 1), "u", IN_STATE).unwrap_err();
        assert_eq!(err.status, crate::Status::InvalidJson);
        assert!(err.message.starts_with("u nests too deeply at \"/a/0/0/0"), "{}", err.message);
        assert!(err.message.contains("it would be 513 levels deep"), "{}", err.message);
        // A step's updates sit one level lower: one level less.
        assert!(object_arg(&nested(MAX_DEPTH - 1), "u", IN_STEP).is_ok());
        let err = object_arg(&nested(MAX_DEPTH), "u", IN_STEP).unwrap_err();
        assert!(err.message.contains("in the step's object"), "{}", err.message);
        assert!(err.message.contains("513 levels deep"), "{}", err.message);
        // A snapshot alone: 512; in a cjm history, which lives inside a state: 510.
        let arrays = |depth: usize| format!("{}{}", "[".repeat(depth), "]".repeat(depth));
        assert!(value_arg(&arrays(MAX_DEPTH), "s", ALONE).is_ok());
        assert!(value_arg(&arrays(MAX_DEPTH + 1), "s", ALONE).is_err());
        assert!(value_arg(&arrays(MAX_DEPTH - 2), "s", IN_HISTORY).is_ok());
        assert!(value_arg(&arrays(MAX_DEPTH - 1), "s", IN_HISTORY).is_err());
        assert!(array_arg(&arrays(MAX_DEPTH - 1), "h", HISTORY).is_ok());
        assert!(array_arg(&arrays(MAX_DEPTH), "h", HISTORY).is_err());
        assert!(object_arg(&nested(100_000), "u", IN_STATE).is_err());
        // Stored text is held to the same 512 levels.
        let stored = |text: &str| stored_object(Some(text), "s").and_then(|e| stored_canonical(&e, "s"));
        assert!(stored(&nested(MAX_DEPTH)).is_ok());
        let err = stored(&nested(MAX_DEPTH + 1)).unwrap_err();
        assert_eq!(err.status, crate::Status::Corrupt);
        assert!(err.message.contains("513 levels deep"), "{}", err.message);
    }

    #[test]
    fn numbers_python_cannot_take_back_are_refused_naming_their_path() {
        for (text, path, why) in [
            (r#"{"a":{"b":[0,1e400]}}"#, "\"/a/b/1\"", "too large for a double"),
            (r#"{"x~/y":-1E+309}"#, "\"/x~0~1y\"", "too large for a double"),
            (r#"{"a":1.8e308}"#, "\"/a\"", "too large for a double"),
            (&format!("{{\"a\":{}.5}}", "9".repeat(309)), "\"/a\"", "too large for a double"),
            (&format!("{{\"a\":[{}]}}", "7".repeat(4301)), "\"/a/0\"", "more than 4300 digits"),
            (&format!("{{\"a\":-{}}}", "7".repeat(4301)), "\"/a\"", "more than 4300 digits"),
        ] {
            let err = object_arg(text, "updates_json", IN_STATE).unwrap_err();
            assert_eq!(err.status, crate::Status::InvalidJson, "{text}");
            assert!(
                err.message.starts_with(&format!("updates_json has a number at {path}")),
                "{}",
                err.message
            );
            assert!(err.message.contains(why), "{}", err.message);
        }
        assert!(value_arg("[1e400]", "snapshot_json", ALONE).unwrap_err().message.contains("at \"/0\""));
        assert!(array_arg("[1,[2,1e999]]", "h", HISTORY).unwrap_err().message.contains("at \"/1/1\""));
        // Everything else keeps its exact text.
        let fine = format!(
            r#"{{"big":1180591620717411303424,"f":0.1,"tiny":1e-400,"max":1.7976931348623157e308,"e":1E5,"n":-0.0,"d":{},"g":{}.5}}"#,
            "7".repeat(4300),
            "9".repeat(308)
        );
        assert_eq!(merged(&fine, "{}"), fine);
    }

    #[test]
    fn stored_numbers_are_taken_as_they_are() {
        let text = r#"{"a":1e400}"#;
        assert_eq!(stored_canonical(&stored_object(Some(text), "s").unwrap(), "s").unwrap().text(), text);
    }

    #[test]
    fn a_repeated_key_keeps_its_first_position_and_last_value_at_every_level() {
        for (text, canonical) in [
            (r#"{"x":{"a":1,"b":2,"a":3}}"#, r#"{"x":{"a":3,"b":2}}"#),
            (r#"{"x":[{"a":1,"a":{"c":1,"c":2}}, {"b":1}]}"#, r#"{"x":[{"a":{"c":2}},{"b":1}]}"#),
            (r#"{"x":{"a":1,"\u0061":2, "b" : [ 1 ]}}"#, r#"{"x":{"a":2,"b":[1]}}"#),
            (r#"{"x":{"k":{"a":1},"k":{"b":2}}}"#, r#"{"x":{"k":{"b":2}}}"#),
            (r#"{"x":{"p":1,"q":2,"r":3,"q":4,"s":5}}"#, r#"{"x":{"p":1,"q":4,"r":3,"s":5}}"#),
            (r#"{"x":{"a":{"a":1},"b":{"a":2}}}"#, r#"{"x":{"a":{"a":1},"b":{"a":2}}}"#),
        ] {
            assert_eq!(merged(text, "{}"), canonical, "{text}");
            // Stored text reads the same way.
            let stored = stored_canonical(&stored_object(Some(text), "s").unwrap(), "s").unwrap();
            assert_eq!(stored.text(), canonical, "{text}");
        }
        assert_eq!(value_arg(r#"[{"a":1,"a":2}]"#, "s", ALONE).unwrap(), r#"[{"a":2}]"#);
        // The slow path still applies every limit, and points into the argument.
        let deep = format!(r#"{{"x":[{{"a":1,"a":2}},{}{}]}}"#, "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        let err = object_arg(&deep, "u", IN_STATE).unwrap_err();
        assert!(err.message.starts_with("u nests too deeply at \"/x/1/0"), "{}", err.message);
        let err = object_arg(r#"{"x":[{"a":1,"a":2},{"n":1e400}]}"#, "u", IN_STATE).unwrap_err();
        assert!(err.message.starts_with("u has a number at \"/x/1/n\""), "{}", err.message);
    }

    #[test]
    fn keys_are_escaped_canonically() {
        assert_eq!(merged(r#"{"a\"b\u0001\u00e9":1}"#, "{}"), "{\"a\\\"b\\u0001é\":1}");
    }
}
