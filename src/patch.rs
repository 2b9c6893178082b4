//! JSON Patch (RFC 6902) plus one extension, `{"op":"merge","path":P,"value":V}` (RFC 7396
//! JSON Merge Patch of V into the value at P), applied to a session's state.
//!
//! The state is never turned into a tree. It is canonical text (see `json`), so a value's
//! end is found by one scan and its text is the same whoever wrote it; a patch opens only
//! the containers on its paths, one level each, keeping every member as a slice of the
//! stored text, and writes the result as one copy of those slices. So a `replace` deep in a
//! large state costs one scan of the containers on its path and one copy, and every value
//! the patch does not touch keeps its bytes.
//!
//! Values from the patch are made canonical when it is parsed, under the rules of the place
//! they go (`json::Place`): depth counted from the state's root, numbers Python cannot read
//! back refused. A malformed patch is `WS_INVALID_JSON`; one that does not fit the state
//! (a path not there, a failed `test`, an index out of range) is `WS_CONFLICT`. Every
//! message starts with the operation's index, op and path.
//!
//! Decisions RFC 6902 leaves to the implementation:
//! - The root must stay an object: `remove` of `""`, and an `add`, `replace`, `move`,
//!   `copy` or `merge` that would make it anything else, are `WS_CONFLICT`.
//! - `-` (past the end of an array) is allowed only as the last token of an `add` (and so
//!   of the destination of `move` and `copy`); `merge` into an array needs an existing
//!   element.
//! - A `move` whose `from` equals its `path` changes nothing (the key keeps its position);
//!   its `from` must still exist.
//! - Members an operation does not define are ignored (RFC 6902 section 4, appendix A.11),
//!   whatever their type; a member it defines may appear only once (appendix A.13).

use crate::error::{quote, Error, Result, Status};
use crate::json::{self, CanonicalObject, Place, Val, MAX_DEPTH};
use crate::pointer::Pointer;
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::collections::HashMap;

/// A parsed JSON Patch: its operations in order, each checked for shape, with their
/// values in canonical form.
#[derive(Debug)]
pub struct Patch<'a> {
    ops: Vec<Op<'a>>,
    /// The bytes of all values, to size the result.
    value_bytes: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Add,
    Remove,
    Replace,
    Move,
    Copy,
    Test,
    Merge,
}

impl Kind {
    const ALL: [Kind; 7] =
        [Kind::Add, Kind::Remove, Kind::Replace, Kind::Move, Kind::Copy, Kind::Test, Kind::Merge];

    fn name(self) -> &'static str {
        match self {
            Kind::Add => "add",
            Kind::Remove => "remove",
            Kind::Replace => "replace",
            Kind::Move => "move",
            Kind::Copy => "copy",
            Kind::Test => "test",
            Kind::Merge => "merge",
        }
    }

    /// The member besides `op` and `path` that the operation needs.
    fn operand(self) -> Option<&'static str> {
        match self {
            Kind::Remove => None,
            Kind::Move | Kind::Copy => Some("from"),
            _ => Some("value"),
        }
    }
}

#[derive(Debug)]
struct Op<'a> {
    index: usize,
    kind: Kind,
    path: Pointer<'a>,
    /// `move` and `copy`.
    from: Option<Pointer<'a>>,
    /// `add`, `replace`, `test` and `merge`: canonical text.
    value: Option<String>,
}

impl Op<'_> {
    /// How messages about the operation start: `patch[2] ("move" at "/b" from "/a")`.
    fn head(&self) -> String {
        let from = self.from.as_ref().map(|from| format!(" from {}", quote(&from.text))).unwrap_or_default();
        format!("{}{from})", head(self.index, Some(self.kind.name()), Some(&self.path.text)))
    }
}

/// The start of a message about operation `index`, before its closing parenthesis when it
/// has one: `patch[2]`, `patch[2] ("add"` or `patch[2] ("add" at "/a"`.
fn head(index: usize, op: Option<&str>, path: Option<&str>) -> String {
    match (op, path) {
        (None, _) => format!("patch[{index}]"),
        (Some(op), None) => format!("patch[{index}] ({}", quote(op)),
        (Some(op), Some(path)) => format!("patch[{index}] ({} at {}", quote(op), quote(path)),
    }
}

/// The value of a JSON string literal (validated text), borrowed when it has no escapes.
fn string_value(literal: &str) -> std::result::Result<Cow<'_, str>, String> {
    let literal = literal.trim();
    if !literal.contains('\\') {
        return Ok(Cow::Borrowed(&literal[1..literal.len() - 1]));
    }
    serde_json::from_str::<String>(literal).map(Cow::Owned).map_err(|e| e.to_string())
}

/// Where a patch's value will sit, for the depth rule: below as many containers as its
/// path has tokens.
fn place_of(path: &Pointer) -> Place {
    Place { enclosing: path.tokens.len(), name: "where the patch puts it in the session's state" }
}

/// Parses a JSON Patch. `text` is JSON text (the `"patch"` member of `ws_apply`'s edit);
/// anything but an array of well-formed operations is `WS_INVALID_JSON`, naming the
/// operation and what is wrong with it.
pub fn parse(text: &str) -> Result<Patch<'_>> {
    let invalid = |e: serde_json::Error| Error::invalid_json(format!("patch is not valid JSON: {e}"));
    if text.trim_start().as_bytes().first() != Some(&b'[') {
        let raw: &RawValue = serde_json::from_str(text).map_err(invalid)?;
        return Err(Error::invalid_json(format!(
            "patch must be a JSON array of operations, got {}",
            Val::Raw(raw.get()).kind()
        )));
    }
    let items: Vec<&RawValue> = serde_json::from_str(text).map_err(invalid)?;
    let mut ops = Vec::with_capacity(items.len());
    let mut value_bytes = 0;
    for (index, item) in items.iter().enumerate() {
        let op = parse_op(index, item.get()).map_err(Error::invalid_json)?;
        value_bytes += op.value.as_ref().map_or(0, String::len);
        ops.push(op);
    }
    Ok(Patch { ops, value_bytes })
}

/// The member `name` of an operation, which must be a string.
fn string_member<'r>(head: &str, name: &str, raw: &'r str) -> std::result::Result<Cow<'r, str>, String> {
    if !raw.trim_start().starts_with('"') {
        return Err(format!("{head}: {name:?} must be a string, got {}", Val::Raw(raw).kind()));
    }
    string_value(raw).map_err(|e| format!("{head}: {name:?} is not a valid string: {e}"))
}

/// The member `name` of an operation, which must be a JSON Pointer.
fn pointer_member<'r>(head: &str, name: &str, raw: &'r str) -> std::result::Result<Pointer<'r>, String> {
    Pointer::parse(string_member(head, name, raw)?).map_err(|why| format!("{head}: {name:?} {why}"))
}

/// One operation, or why it is malformed (the whole message).
fn parse_op(index: usize, raw: &str) -> std::result::Result<Op<'_>, String> {
    let members = match json::members_as_written(raw) {
        Ok(Ok(members)) => members,
        Ok(Err(kind)) => {
            return Err(format!("patch[{index}] must be an operation (a JSON object), got {kind}"))
        }
        Err(e) => return Err(format!("patch[{index}] is not valid JSON: {e}")),
    };
    // A defined member once at most (RFC 6902 appendix A.13); a string where one is needed.
    let member = |head: &str, name: &str| -> std::result::Result<Option<&str>, String> {
        let mut found = members.iter().filter(|(key, _)| key == name).map(|(_, value)| *value);
        let first = found.next();
        if found.next().is_some() {
            return Err(format!(
                "{head}: the member {name:?} appears more than once, so the operation is ambiguous \
                 (RFC 6902, appendix A.13)"
            ));
        }
        Ok(first)
    };
    let at = head(index, None, None);
    let Some(op_raw) = member(&at, "op")? else {
        return Err(format!("{at} has no \"op\" member"));
    };
    let op = string_member(&at, "op", op_raw)?;
    let Some(kind) = Kind::ALL.into_iter().find(|kind| kind.name() == op) else {
        return Err(format!(
            "{at}: unknown op {} (the ops are \"add\", \"remove\", \"replace\", \"move\", \"copy\", \
             \"test\" and \"merge\")",
            quote(&op)
        ));
    };
    let at = head(index, Some(kind.name()), None) + ")";
    let Some(path_raw) = member(&at, "path")? else {
        return Err(format!("{at} has no \"path\" member"));
    };
    let path = pointer_member(&at, "path", path_raw)?;
    let at = head(index, Some(kind.name()), Some(&path.text)) + ")";
    let mut op = Op { index, kind, path, from: None, value: None };
    let Some(operand) = kind.operand() else {
        return Ok(op);
    };
    let Some(operand_raw) = member(&at, operand)? else {
        return Err(format!("{at} has no {operand:?} member"));
    };
    if operand == "from" {
        let from = pointer_member(&at, "from", operand_raw)?;
        let inside = from.tokens.len() < op.path.tokens.len() && op.path.tokens.starts_with(&from.tokens);
        if kind == Kind::Move && inside {
            return Err(format!(
                "{at}: cannot move {} into {}, which is inside it",
                quote(&from.text),
                quote(&op.path.text)
            ));
        }
        op.from = Some(from);
    } else {
        let what = format!("{at}: its \"value\"");
        // A tested value is only compared, never kept: any number may be compared.
        let (place, numbers) = match kind {
            Kind::Test => (Place { enclosing: 0, name: "as a value to test" }, false),
            _ => (place_of(&op.path), true),
        };
        op.value =
            Some(json::canonical_value(operand_raw.trim(), &what, place, numbers).map_err(|e| e.message)?);
    }
    Ok(op)
}

/// Applies `patch` to `state`, the operations in order, and returns the new state;
/// `owner` names the session for messages (`session "s" of flow "f"`). An operation
/// that does not fit the state as the ones before it left it is `WS_CONFLICT`, saying
/// what was expected and what was found. A patch that changes nothing returns the same
/// text (compare the texts to know).
pub fn apply(state: &CanonicalObject, patch: &Patch, owner: &str) -> Result<CanonicalObject> {
    let mut root = Node::Object(state.members().map(|(key, value)| (key, Node::Text(value))).collect());
    for op in &patch.ops {
        run(&mut root, op, owner)
            .map_err(|why| Error::new(Status::Conflict, format!("{}: {why}", op.head())))?;
    }
    Ok(finish(root, state.text().len() + patch.value_bytes))
}

/// A value of the state being patched: canonical text not yet opened (most of the state),
/// or a container opened to be read or changed, its members nodes in turn.
#[derive(Clone, Debug)]
enum Node<'a> {
    Text(&'a str),
    Object(Vec<(Cow<'a, str>, Node<'a>)>),
    Array(Vec<Node<'a>>),
}

impl<'a> Node<'a> {
    /// Opens a container's text one level; anything else stays as it is.
    fn open(&mut self) {
        if let Node::Text(text) = *self {
            match text.as_bytes()[0] {
                b'{' => {
                    *self = Node::Object(members(text).map(|(key, value)| (key, Node::Text(value))).collect())
                }
                b'[' => *self = Node::Array(items(text).map(Node::Text).collect()),
                _ => {}
            }
        }
    }

    fn kind(&self) -> &'static str {
        match self {
            Node::Text(text) => Val::Raw(text).kind(),
            Node::Object(_) => "an object",
            Node::Array(_) => "an array",
        }
    }

    fn is_object(&self) -> bool {
        match self {
            Node::Text(text) => text.starts_with('{'),
            Node::Object(_) => true,
            Node::Array(_) => false,
        }
    }

    fn write(&self, out: &mut String) {
        match self {
            Node::Text(text) => out.push_str(text),
            Node::Object(members) => {
                out.push('{');
                for (i, (key, value)) in members.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    json::push_string(out, key);
                    out.push(':');
                    value.write(out);
                }
                out.push('}');
            }
            Node::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    item.write(out);
                }
                out.push(']');
            }
        }
    }

    /// The canonical text of the value.
    fn text(&self) -> Cow<'a, str> {
        match self {
            Node::Text(text) => Cow::Borrowed(text),
            _ => {
                let mut out = String::new();
                self.write(&mut out);
                Cow::Owned(out)
            }
        }
    }

    /// How many levels of containers the value has (0 for a scalar).
    fn depth(&self) -> usize {
        match self {
            Node::Text(text) => text_depth(text),
            Node::Object(members) => 1 + members.iter().map(|(_, value)| value.depth()).max().unwrap_or(0),
            Node::Array(items) => 1 + items.iter().map(Node::depth).max().unwrap_or(0),
        }
    }
}

/// The end of the canonical value that starts at `bytes[start]`.
fn value_end(bytes: &[u8], start: usize) -> usize {
    match bytes[start] {
        b'"' => json::string_literal_end(bytes, start),
        b'{' | b'[' => {
            let mut depth = 0usize;
            let mut i = start;
            while i < bytes.len() {
                match bytes[i] {
                    b'"' => {
                        i = json::string_literal_end(bytes, i);
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return i + 1;
                        }
                    }
                    _ => {}
                }
                i += 1;
            }
            bytes.len()
        }
        _ => bytes[start..]
            .iter()
            .position(|b| matches!(b, b',' | b'}' | b']'))
            .map_or(bytes.len(), |n| start + n),
    }
}

/// How many levels of containers canonical text has.
fn text_depth(text: &str) -> usize {
    let bytes = text.as_bytes();
    let (mut depth, mut deepest, mut i) = (0usize, 0usize, 0);
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                i = json::string_literal_end(bytes, i);
                continue;
            }
            b'{' | b'[' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            b'}' | b']' => depth -= 1,
            _ => {}
        }
        i += 1;
    }
    deepest
}

/// The members of a canonical object's text, as (key, value text), in order.
fn members(text: &str) -> impl Iterator<Item = (Cow<'_, str>, &str)> {
    let bytes = text.as_bytes();
    let mut i = 1;
    std::iter::from_fn(move || {
        if bytes[i] == b'}' {
            return None;
        }
        let key_end = json::string_literal_end(bytes, i);
        let literal = &text[i..key_end];
        let key = match memchr::memchr(b'\\', literal.as_bytes()) {
            None => Cow::Borrowed(&literal[1..literal.len() - 1]),
            Some(_) => Cow::Owned(serde_json::from_str(literal).expect("canonical keys are valid strings")),
        };
        let end = value_end(bytes, key_end + 1);
        let value = &text[key_end + 1..end];
        i = if bytes[end] == b',' { end + 1 } else { end };
        Some((key, value))
    })
}

/// The elements of a canonical array's text, in order.
fn items(text: &str) -> impl Iterator<Item = &str> {
    let bytes = text.as_bytes();
    let mut i = 1;
    std::iter::from_fn(move || {
        if bytes[i] == b']' {
            return None;
        }
        let end = value_end(bytes, i);
        let item = &text[i..end];
        i = if bytes[end] == b',' { end + 1 } else { end };
        Some(item)
    })
}

/// Above this many members, lookups in a merge go through a hash index.
const SCAN_LIMIT: usize = 16;

/// Whether two canonical texts are the same JSON value by RFC 6902's rules: numbers by
/// value, objects by members in any order, arrays element by element, strings by their
/// characters (equal strings have equal canonical text).
fn equal(a: &str, b: &str) -> bool {
    if a == b {
        return true;
    }
    match (a.as_bytes()[0], b.as_bytes()[0]) {
        (b'{', b'{') => {
            let (a, b): (Vec<_>, Vec<_>) = (members(a).collect(), members(b).collect());
            if a.len() != b.len() {
                return false;
            }
            if a.len() <= SCAN_LIMIT {
                return a.iter().all(|(key, x)| b.iter().any(|(k, y)| k == key && equal(x, y)));
            }
            let b: HashMap<&str, &str> = b.iter().map(|(k, y)| (k.as_ref(), *y)).collect();
            a.iter().all(|(key, x)| b.get(key.as_ref()).is_some_and(|y| equal(x, y)))
        }
        (b'[', b'[') => {
            let (mut a, mut b) = (items(a), items(b));
            loop {
                match (a.next(), b.next()) {
                    (None, None) => return true,
                    (Some(x), Some(y)) if equal(x, y) => {}
                    _ => return false,
                }
            }
        }
        (b'-' | b'0'..=b'9', b'-' | b'0'..=b'9') => decimal(a) == decimal(b),
        _ => false,
    }
}

/// A number as (negative, significant digits, exponent): equal numbers, whatever their
/// text (`1`, `1.0`, `10e-1`, `0.1E1`), give equal parts; zero is (false, "", 0).
/// Exponents beyond an i64 saturate.
fn decimal(token: &str) -> (bool, String, i64) {
    let (negative, rest) = match token.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, token),
    };
    let (mantissa, exponent) = match rest.find(['e', 'E']) {
        Some(e) => {
            let digits = &rest[e + 1..];
            let (sign, digits) = match digits.as_bytes().first() {
                Some(b'-') => (-1, &digits[1..]),
                Some(b'+') => (1, &digits[1..]),
                _ => (1, digits),
            };
            let magnitude =
                digits.bytes().fold(0i64, |n, d| n.saturating_mul(10).saturating_add(i64::from(d - b'0')));
            (&rest[..e], sign * magnitude)
        }
        None => (rest, 0),
    };
    let (integer, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits = [integer, fraction].concat();
    let significant = digits.trim_end_matches('0');
    let exponent = exponent
        .saturating_sub(fraction.len() as i64)
        .saturating_add((digits.len() - significant.len()) as i64);
    let significant = significant.trim_start_matches('0');
    if significant.is_empty() {
        return (false, String::new(), 0);
    }
    (negative, significant.to_string(), exponent)
}

/// A value for a message: its text, shortened when long.
fn show(text: &str) -> String {
    const MAX_CHARS: usize = 64;
    match text.char_indices().nth(MAX_CHARS) {
        None => text.to_string(),
        Some((cut, _)) => format!("{}… ({} bytes)", &text[..cut], text.len()),
    }
}

/// What a message calls the container at `tokens`, e.g. `the object at "/a"`.
fn container(noun: &str, tokens: &[Cow<str>]) -> String {
    if tokens.is_empty() {
        "the state".to_string()
    } else {
        format!("the {noun} at {}", quote(&json::pointer_of(tokens.iter().map(|t| t.as_ref()))))
    }
}

/// A token read as an index into an array of `len` elements: `Ok(i)` with `i <= len`
/// (`len` for `-`, when `end` allows it) or why it names no place of the array at `at`.
fn index(token: &str, len: usize, end: bool, at: &[Cow<str>]) -> std::result::Result<usize, String> {
    let array = || container("array", at);
    if token == "-" {
        return if end {
            Ok(len)
        } else {
            Err(format!(
                "\"-\" names the place after the last element of {}, where only \"add\" (and the \
                 destination of \"move\" and \"copy\") may put a value",
                array()
            ))
        };
    }
    if token.is_empty() || !token.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("{} is indexed by numbers, and {} is not one", array(), quote(token)));
    }
    if token.len() > 1 && token.starts_with('0') {
        return Err(format!(
            "{} is not an index of {}: an index has no leading zeros",
            quote(token),
            array()
        ));
    }
    // Past usize::MAX is past the end of any array.
    Ok(token.parse().unwrap_or(usize::MAX))
}

/// Why index `token` names no element of the array at `at`, which has `len`.
fn past_end(token: &str, at: &[Cow<str>], len: usize) -> String {
    let plural = if len == 1 { "" } else { "s" };
    format!("index {token} is past the end of {}, which has {len} element{plural}", container("array", at))
}

/// The value at `tokens`, or why it is not there.
fn find<'n, 'a>(
    root: &'n mut Node<'a>,
    tokens: &[Cow<str>],
) -> std::result::Result<&'n mut Node<'a>, String> {
    let mut node = root;
    for (depth, token) in tokens.iter().enumerate() {
        let at = &tokens[..depth];
        node.open();
        node = match node {
            Node::Object(members) => match members.iter().position(|(key, _)| key == token) {
                Some(i) => &mut members[i].1,
                None => return Err(format!("{} has no member {}", container("object", at), quote(token))),
            },
            Node::Array(items) => {
                let len = items.len();
                match index(token, len, false, at)? {
                    i if i < len => &mut items[i],
                    _ => {
                        return Err(past_end(token, at, len));
                    }
                }
            }
            Node::Text(_) => {
                return Err(format!(
                    "{} is {}, not an object or an array",
                    container("value", at),
                    node.kind()
                ))
            }
        };
    }
    Ok(node)
}

/// `find` for a path the operation reads or changes in place.
fn existing<'n, 'a>(
    root: &'n mut Node<'a>,
    path: &Pointer,
    owner: &str,
) -> std::result::Result<&'n mut Node<'a>, String> {
    find(root, &path.tokens)
        .map_err(|why| format!("{} is not in the state of {owner}: {why}", quote(&path.text)))
}

/// The error for a root that would stop being an object.
fn not_an_object(value: &Node, owner: &str) -> String {
    format!("the state of {owner} must stay a JSON object, and this would make it {}", value.kind())
}

/// RFC 6902 `add`: sets a member (in place when the key exists, appended otherwise),
/// inserts an element, or replaces the root.
fn add<'a>(
    root: &mut Node<'a>,
    path: &'a Pointer,
    value: Node<'a>,
    owner: &str,
) -> std::result::Result<(), String> {
    let Some((last, parent)) = path.tokens.split_last() else {
        if !value.is_object() {
            return Err(not_an_object(&value, owner));
        }
        *root = value;
        return Ok(());
    };
    let cannot =
        |why: String| format!("{} cannot be added to the state of {owner}: {why}", quote(&path.text));
    let node = find(root, parent).map_err(cannot)?;
    node.open();
    match node {
        Node::Object(members) => match members.iter_mut().find(|(key, _)| key == last) {
            Some(slot) => slot.1 = value,
            None => members.push((Cow::Borrowed(last.as_ref()), value)),
        },
        Node::Array(items) => {
            let len = items.len();
            match index(last, len, true, parent).map_err(cannot)? {
                i if i <= len => items.insert(i, value),
                _ => {
                    let why = past_end(last, parent, len);
                    return Err(cannot(format!("{why} (an add may use 0 to {len}, or \"-\" to append)")));
                }
            }
        }
        Node::Text(_) => {
            return Err(cannot(format!(
                "{} is {}, not an object or an array",
                container("value", parent),
                node.kind()
            )))
        }
    }
    Ok(())
}

/// RFC 6902 `remove`: takes the value at `path` out and returns it.
fn remove<'a>(root: &mut Node<'a>, path: &Pointer, owner: &str) -> std::result::Result<Node<'a>, String> {
    let Some((last, parent)) = path.tokens.split_last() else {
        return Err(format!(
            "the state of {owner} cannot be removed: it must stay a JSON object (replace it with {{}} to empty it)"
        ));
    };
    // The value must be there; then its container is opened and holds it.
    existing(root, path, owner)?;
    let node = find(root, parent).expect("the parent of a value found is there");
    match node {
        Node::Object(members) => {
            let i = members.iter().position(|(key, _)| key == last).expect("the member was found");
            Ok(members.remove(i).1)
        }
        Node::Array(items) => {
            let i = index(last, items.len(), false, parent).expect("the index was found");
            Ok(items.remove(i))
        }
        Node::Text(_) => unreachable!("a value was found inside it, so it is an open container"),
    }
}

/// Checks that `value`, taken from `from`, may sit at `path` under the depth rule: a value
/// already in the state fits wherever it is, so only a deeper place needs a look.
fn fits(value: &Node, from: &Pointer, path: &Pointer, owner: &str) -> std::result::Result<(), String> {
    if path.tokens.len() <= from.tokens.len() {
        return Ok(());
    }
    let depth = path.tokens.len() + value.depth();
    if depth > MAX_DEPTH {
        return Err(format!(
            "the value from {} would nest {depth} levels deep at {} in the state of {owner}, and JSON \
             is kept at most {MAX_DEPTH} levels deep so that Python's json module can read it",
            quote(&from.text),
            quote(&path.text)
        ));
    }
    Ok(())
}

/// RFC 7396: the merge of `patch` (canonical text) into `target` (`None`: absent).
fn merge<'a>(target: Option<Node<'a>>, patch: &'a str) -> Node<'a> {
    if !patch.starts_with('{') {
        return Node::Text(patch);
    }
    let mut slots: Vec<Option<(Cow<'a, str>, Node<'a>)>> = match target {
        Some(mut node) if node.is_object() => {
            node.open();
            match node {
                Node::Object(members) => members.into_iter().map(Some).collect(),
                _ => unreachable!("an object opens as an object"),
            }
        }
        _ => Vec::new(),
    };
    let updates: Vec<_> = members(patch).collect();
    // Removed members leave a hole (None) until the end, so that indexes stay valid.
    let mut index: Option<HashMap<Cow<'a, str>, usize>> = (slots.len() > SCAN_LIMIT
        && updates.len() > SCAN_LIMIT)
        .then(|| slots.iter().enumerate().map(|(i, slot)| (slot.as_ref().unwrap().0.clone(), i)).collect());
    for (key, value) in updates {
        let found = match &index {
            Some(index) => index.get(&key).copied(),
            None => slots.iter().position(|slot| slot.as_ref().is_some_and(|(k, _)| *k == key)),
        };
        match (found, value) {
            (Some(i), "null") => {
                slots[i] = None;
                if let Some(index) = &mut index {
                    index.remove(&key);
                }
            }
            (None, "null") => {}
            (Some(i), value) => {
                let (key, old) = slots[i].take().expect("an index points at a member");
                slots[i] = Some((key, merge(Some(old), value)));
            }
            (None, value) => {
                if let Some(index) = &mut index {
                    index.insert(key.clone(), slots.len());
                }
                slots.push(Some((key, merge(None, value))));
            }
        }
    }
    Node::Object(slots.into_iter().flatten().collect())
}

/// The `merge` extension: RFC 7396 merge of `patch` into the value at `path`, which may be
/// absent from an object (then the result is the merge into nothing).
fn merge_at<'a>(
    root: &mut Node<'a>,
    path: &'a Pointer,
    patch: &'a str,
    owner: &str,
) -> std::result::Result<(), String> {
    let Some((last, parent)) = path.tokens.split_last() else {
        let merged = merge(Some(std::mem::replace(root, Node::Text("{}"))), patch);
        if !merged.is_object() {
            return Err(not_an_object(&merged, owner));
        }
        *root = merged;
        return Ok(());
    };
    let cannot =
        |why: String| format!("{} cannot be merged into the state of {owner}: {why}", quote(&path.text));
    let node = find(root, parent).map_err(cannot)?;
    node.open();
    let slot = match node {
        Node::Object(members) => match members.iter().position(|(key, _)| key == last) {
            Some(i) => &mut members[i].1,
            None => {
                members.push((Cow::Borrowed(last.as_ref()), merge(None, patch)));
                return Ok(());
            }
        },
        Node::Array(items) => {
            let len = items.len();
            match index(last, len, false, parent).map_err(cannot)? {
                i if i < len => &mut items[i],
                _ => {
                    let why = past_end(last, parent, len);
                    return Err(cannot(format!("{why} (a merge needs an existing element)")));
                }
            }
        }
        Node::Text(_) => {
            return Err(cannot(format!(
                "{} is {}, not an object or an array",
                container("value", parent),
                node.kind()
            )))
        }
    };
    let old = std::mem::replace(slot, Node::Text("null"));
    *slot = merge(Some(old), patch);
    Ok(())
}

/// Runs one operation; the error is the reason, to follow the operation's head.
fn run<'a>(root: &mut Node<'a>, op: &'a Op, owner: &str) -> std::result::Result<(), String> {
    let value = || Node::Text(op.value.as_deref().expect("the parser requires a value"));
    let from = || op.from.as_ref().expect("the parser requires a from");
    match op.kind {
        Kind::Add => add(root, &op.path, value(), owner),
        Kind::Remove => remove(root, &op.path, owner).map(drop),
        Kind::Replace => {
            let target = existing(root, &op.path, owner)?;
            let value = value();
            if op.path.is_root() && !value.is_object() {
                return Err(not_an_object(&value, owner));
            }
            *target = value;
            Ok(())
        }
        Kind::Move => {
            let from = from();
            if from.tokens == op.path.tokens {
                return existing(root, from, owner).map(drop);
            }
            let value = remove(root, from, owner)?;
            fits(&value, from, &op.path, owner)?;
            add(root, &op.path, value, owner)
        }
        Kind::Copy => {
            let from = from();
            let value = existing(root, from, owner)?.clone();
            fits(&value, from, &op.path, owner)?;
            add(root, &op.path, value, owner)
        }
        Kind::Test => {
            let expected = op.value.as_deref().expect("the parser requires a value");
            let found = existing(root, &op.path, owner)?.text();
            if equal(&found, expected) {
                return Ok(());
            }
            Err(format!(
                "the test expected {} at {} and found {} in the state of {owner}",
                show(expected),
                quote(&op.path.text),
                show(&found)
            ))
        }
        Kind::Merge => {
            merge_at(root, &op.path, op.value.as_deref().expect("the parser requires a value"), owner)
        }
    }
}

/// The patched state as a canonical object, with where each member's value sits.
fn finish(mut root: Node, capacity: usize) -> CanonicalObject {
    root.open();
    let Node::Object(members) = root else {
        unreachable!("every operation keeps the root an object");
    };
    let mut object = json::CanonicalWriter::new(capacity, members.len());
    for (key, value) in &members {
        object
            .member(key, |text| {
                value.write(text);
                Ok::<(), std::convert::Infallible>(())
            })
            .unwrap_or_else(|never| match never {});
    }
    object.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    const OWNER: &str = "session \"s\" of flow \"f\"";

    /// The RFC 6902 and RFC 7396 examples and the library's own cases, as data that a C
    /// test can run through `ws_apply` too. Every document is an object; RFC 7396's table,
    /// whose documents and results are often not objects, is applied at "/x" of `{"x": doc}`.
    const CASES: &str = include_str!("../tests/data/json_patch_cases.json");

    /// A state as the store holds it: canonical text, taken as stored.
    fn state(text: &str) -> CanonicalObject {
        json::stored_canonical(&json::stored_object(Some(text), OWNER).unwrap(), OWNER).unwrap()
    }

    /// Parses and applies; checks that the result's member ranges are those of its text.
    fn patched(doc: &str, patch: &str) -> Result<String> {
        let before = state(doc);
        let out = apply(&before, &parse(patch)?, OWNER)?;
        let reread = state(out.text());
        assert_eq!(reread.text(), out.text(), "the result is canonical");
        assert!(reread.members().eq(out.members()), "member ranges of {}", out.text());
        Ok(out.into_text())
    }

    fn failure(doc: &str, patch: &str) -> Error {
        match patched(doc, patch) {
            Ok(text) => panic!("{patch} applied to {doc} gave {text}, not an error"),
            Err(e) => e,
        }
    }

    #[test]
    fn every_case_of_the_table() {
        let cases: Vec<BTreeMap<String, &RawValue>> = serde_json::from_str(CASES).unwrap();
        assert!(cases.len() > 100);
        for case in cases {
            let name: String = serde_json::from_str(case["name"].get()).unwrap();
            let result = patched(case["doc"].get(), case["patch"].get());
            match (case.get("expected"), case.get("error")) {
                (Some(expected), None) => {
                    let expected = json::value_arg(expected.get(), "expected", json::ALONE).unwrap();
                    assert_eq!(result.as_deref(), Ok(expected.as_str()), "{name}");
                }
                (None, Some(status)) => {
                    let status: String = serde_json::from_str(status.get()).unwrap();
                    let err = result.expect_err(&name);
                    assert_eq!(err.status.name(), status, "{name}: {}", err.message);
                    let has: Vec<String> = case
                        .get("message_has")
                        .map_or(Vec::new(), |m| serde_json::from_str(m.get()).unwrap());
                    assert!(!has.is_empty(), "{name}: an error case says what its message has");
                    for part in has {
                        assert!(err.message.contains(&part), "{name}: {:?} lacks {part:?}", err.message);
                    }
                    if err.status == Status::Conflict {
                        assert!(err.message.contains(OWNER), "{name}: {}", err.message);
                    }
                }
                _ => panic!("{name}: a case has either \"expected\" or \"error\""),
            }
        }
    }

    #[test]
    fn the_message_names_the_operation_and_says_what_was_found() {
        let err = failure(
            r#"{"a":{"b":"x"}}"#,
            r#"[{"op":"test","path":"/a","value":{"b":"x"}},{"op":"remove","path":"/a/b/c"}]"#,
        );
        assert_eq!(err.status, Status::Conflict);
        assert_eq!(err.message, format!("patch[1] (\"remove\" at \"/a/b/c\"): \"/a/b/c\" is not in the state of {OWNER}: the value at \"/a/b\" is a string, not an object or an array"));
    }

    #[test]
    fn untouched_values_keep_their_bytes_and_a_patch_that_changes_nothing_gives_the_same_text() {
        // Canonical, but not what a serialiser of numbers would write; and a big sibling.
        let big: String = (0..2000)
            .map(|i| format!("{{\"k{i}\":[{i}.50,-0.0,1E+2,\"\\u001f\\n\"]}}"))
            .collect::<Vec<_>>()
            .join(",");
        let doc = format!(
            r#"{{"odd":[1.50,-0.0,1E+2,2e-7,1180591620717411303424],"big":[{big}],"a":{{"b":{{"c":1}}}}}}"#
        );
        let before = state(&doc);
        assert_eq!(before.text(), doc, "the document is canonical already");
        let out = patched(&doc, r#"[{"op":"replace","path":"/a/b/c","value":2}]"#).unwrap();
        assert_eq!(out, doc.replace(r#""c":1"#, r#""c":2"#));
        // Only tests, a move onto itself, a merge of what is there: the same bytes.
        let same = patched(
            &doc,
            r#"[{"op":"test","path":"/odd/4","value":1180591620717411303424.0},
                {"op":"move","from":"/big/3","path":"/big/3"},
                {"op":"merge","path":"/a","value":{"b":{"c":1}}},
                {"op":"copy","from":"/odd","path":"/odd"}]"#,
        )
        .unwrap();
        assert_eq!(same, doc);
    }

    #[test]
    fn numbers_in_values_follow_the_library_rules_and_tests_compare_any_number() {
        let digits = "7".repeat(4301);
        let err = failure("{}", &format!(r#"[{{"op":"add","path":"/n","value":{digits}}}]"#));
        assert_eq!(err.status, Status::InvalidJson);
        assert!(
            err.message.starts_with(r#"patch[0] ("add" at "/n"): its "value" has a number at """#),
            "{}",
            err.message
        );
        assert!(err.message.contains("more than 4300 digits"), "{}", err.message);
        let err = failure("{}", r#"[{"op":"merge","path":"","value":{"x":-1e999}}]"#);
        assert!(err.message.contains(r#"a number at "/x""#), "{}", err.message);
        // 4300 digits are fine, and keep their text.
        let fine = "7".repeat(4300);
        assert_eq!(
            patched("{}", &format!(r#"[{{"op":"add","path":"/n","value":{fine}}}]"#)).unwrap(),
            format!(r#"{{"n":{fine}}}"#)
        );
        // Stored numbers are taken as they are; a test only compares, so any number may be tested.
        let doc = r#"{"inf":1e400,"n":1}"#;
        assert_eq!(patched(doc, r#"[{"op":"test","path":"/inf","value":10e399}]"#).unwrap(), doc);
        assert_eq!(
            patched(doc, r#"[{"op":"replace","path":"/n","value":2}]"#).unwrap(),
            r#"{"inf":1e400,"n":2}"#
        );
    }

    #[test]
    fn decimals_are_equal_exactly_when_their_values_are() {
        for (a, b) in [
            ("1", "1.0"),
            ("100", "1e2"),
            ("0", "-0.0"),
            ("0.5", "5E-1"),
            ("-12.5", "-125e-1"),
            ("0.0e5", "0"),
            ("1180591620717411303424", "1.180591620717411303424E21"),
            ("123", "0.00123e5"),
        ] {
            assert_eq!(decimal(a), decimal(b), "{a} {b}");
            assert!(equal(a, b), "{a} {b}");
        }
        for (a, b) in
            [("1", "-1"), ("1", "10"), ("1e2", "1e3"), ("0.1", "0.10000000000000001"), ("1", "\"1\"")]
        {
            assert!(!equal(a, b), "{a} {b}");
        }
    }

    #[test]
    fn large_objects_merge_and_compare_through_an_index_with_the_same_results() {
        let object = |range: std::ops::Range<usize>, value: &dyn Fn(usize) -> String| {
            format!("{{{}}}", range.map(|i| format!("\"k{i}\":{}", value(i))).collect::<Vec<_>>().join(","))
        };
        let doc = format!(r#"{{"o":{}}}"#, object(0..40, &|i| i.to_string()));
        // 20..40 updated (30..40 removed), 40..60 appended.
        let update = object(20..60, &|i| if (30..40).contains(&i) { "null".into() } else { format!("-{i}") });
        let out = patched(&doc, &format!(r#"[{{"op":"merge","path":"/o","value":{update}}}]"#)).unwrap();
        let expected = (0..60)
            .filter(|i| !(30..40).contains(i))
            .map(|i| if i < 20 { format!("\"k{i}\":{i}") } else { format!("\"k{i}\":-{i}") })
            .collect::<Vec<_>>()
            .join(",");
        assert_eq!(out, format!(r#"{{"o":{{{expected}}}}}"#));
        // The same members in reverse order are equal; one value differing is not.
        let reversed =
            format!("{{{}}}", (0..40).rev().map(|i| format!("\"k{i}\":{i}.0")).collect::<Vec<_>>().join(","));
        assert!(patched(&doc, &format!(r#"[{{"op":"test","path":"/o","value":{reversed}}}]"#)).is_ok());
        let differing = reversed.replace("\"k7\":7.0", "\"k7\":8");
        let err = failure(&doc, &format!(r#"[{{"op":"test","path":"/o","value":{differing}}}]"#));
        assert_eq!(err.status, Status::Conflict);
        assert!(err.message.contains("… ("), "a long value is shortened: {}", err.message);
    }

    /// `[[...]]` nested `depth` levels.
    fn arrays(depth: usize) -> String {
        format!("{}{}", "[".repeat(depth), "]".repeat(depth))
    }

    #[test]
    fn values_nest_at_most_512_levels_counting_the_containers_above_them() {
        // At /a/b a value sits below the state and /a: 510 more levels at most.
        let doc = r#"{"a":{}}"#;
        let add = |depth: usize| {
            patched(doc, &format!(r#"[{{"op":"add","path":"/a/b","value":{}}}]"#, arrays(depth)))
        };
        assert!(add(MAX_DEPTH - 2).is_ok());
        let err = add(MAX_DEPTH - 1).unwrap_err();
        assert_eq!(err.status, Status::InvalidJson);
        assert!(
            err.message.starts_with(r#"patch[0] ("add" at "/a/b"): its "value" nests too deeply at "/0/0"#),
            "{}",
            err.message
        );
        assert!(err.message.contains("513 levels deep"), "{}", err.message);
        let merge = |depth: usize| {
            patched(doc, &format!(r#"[{{"op":"merge","path":"/a","value":{{"b":{}}}}}]"#, arrays(depth)))
        };
        assert!(merge(MAX_DEPTH - 2).is_ok());
        assert_eq!(merge(MAX_DEPTH - 1).unwrap_err().status, Status::InvalidJson);
        // A value the state holds may move up or sideways, but not one level too deep.
        let deep = format!(r#"{{"a":{},"b":{{}}}}"#, arrays(MAX_DEPTH - 1));
        assert!(patched(&deep, r#"[{"op":"copy","from":"/a","path":"/c"}]"#).is_ok());
        assert!(patched(&deep, r#"[{"op":"move","from":"/a/0","path":"/c"}]"#).is_ok());
        let err = failure(&deep, r#"[{"op":"copy","from":"/a","path":"/b/c"}]"#);
        assert_eq!(err.status, Status::Conflict);
        assert!(err.message.starts_with(r#"patch[0] ("copy" at "/b/c" from "/a"): the value from "/a" would nest 513 levels deep at "/b/c""#), "{}", err.message);
        let err = failure(&deep, r#"[{"op":"move","from":"/a","path":"/b/c"}]"#);
        assert_eq!(err.status, Status::Conflict);
        // A tested value is not kept: only the 512 levels of a document alone apply.
        assert!(patched(
            &deep,
            &format!(r#"[{{"op":"test","path":"/a","value":{}}}]"#, arrays(MAX_DEPTH - 1))
        )
        .is_ok());
    }

    #[test]
    fn pointers_unescape_json_first_then_rfc_6901() {
        let doc = r#"{"~0":1,"a\u0001":2,"😀":3}"#;
        // `\u007e00` is JSON for `~00`, which RFC 6901 reads as the key `~0`.
        let out = patched(
            doc,
            r#"[{"op":"replace","path":"/\u007e00","value":10},{"op":"remove","path":"/a\u0001"},{"op":"replace","path":"/\ud83d\ude00","value":30}]"#,
        );
        assert_eq!(out.unwrap(), r#"{"~0":10,"😀":30}"#);
        let err = failure(doc, r#"[{"op":"remove","path":"/\ud800"}]"#);
        assert_eq!(err.status, Status::InvalidJson);
        assert!(
            err.message.starts_with(r#"patch[0] ("remove"): "path" is not a valid string"#),
            "{}",
            err.message
        );
        // A message shows the path as JSON text would, escapes and all.
        let err = failure(doc, r#"[{"op":"remove","path":"/\n"}]"#);
        assert!(
            err.message.starts_with(r#"patch[0] ("remove" at "/\n"): "/\n" is not in the state"#),
            "{}",
            err.message
        );
    }

    #[test]
    fn text_that_is_not_json_is_invalid_json() {
        for text in ["", "[", "[{\"op\":\"add\",}]", "nope"] {
            let err = parse(text).unwrap_err();
            assert_eq!(err.status, Status::InvalidJson, "{text}");
            assert!(err.message.starts_with("patch is not valid JSON: "), "{}", err.message);
        }
        assert_eq!(parse(" [ ] ").unwrap().ops.len(), 0);
    }

    /// A measurement, not a check (run it with `cargo test --release --lib patch -- --ignored
    /// --nocapture`): one `replace` 3 levels deep in states of 1 KB to 1 MB, against SQLite's
    /// `json_set` doing the same on the same text.
    #[test]
    #[ignore]
    fn measure_replace_3_deep_against_sqlite_json_set() {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        let mut stmt = conn.prepare("SELECT json_set(?1, '$.a.b.c', 2)").unwrap();
        let time = |runs: usize, f: &mut dyn FnMut() -> usize| {
            let start = std::time::Instant::now();
            let mut bytes = 0;
            for _ in 0..runs {
                bytes += f();
            }
            assert!(bytes > 0);
            start.elapsed().as_secs_f64() / runs as f64
        };
        for size in [1_000, 100_000, 1_000_000] {
            let item = r#"{"id":12345,"text":"some words of a segment","score":0.75,"tags":["x","y"]}"#;
            let n = size / (item.len() + 1);
            let items = vec![item; n / 2].join(",");
            // Half the bulk beside the path at the top, half inside the containers on it.
            let doc = format!(r#"{{"top":[{items}],"a":{{"x":[{items}],"b":{{"c":1,"d":[1,2]}}}}}}"#);
            let before = state(&doc);
            let runs = (50_000_000 / doc.len()).max(20);
            let ours = time(runs, &mut || {
                let patch = parse(r#"[{"op":"replace","path":"/a/b/c","value":2}]"#).unwrap();
                let out = apply(&before, &patch, OWNER).unwrap();
                (out.text() != before.text()) as usize
            });
            let theirs = time(runs, &mut || {
                let out: String = stmt.query_row([&doc], |row| row.get(0)).unwrap();
                out.len()
            });
            println!(
                "{:>8} bytes: apply {:8.1} us, json_set {:8.1} us, ratio {:.2}",
                doc.len(),
                ours * 1e6,
                theirs * 1e6,
                ours / theirs
            );
        }
    }
}
