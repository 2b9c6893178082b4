//! The model's JSON Patch: RFC 6902 plus the library's `merge` op (RFC 7396 at a path),
//! written from the RFCs and the contract on a plain tree, apart from the library's
//! engine (`src/patch.rs`), which works on text and never builds a tree. The fuzz
//! harness's oracle uses it too (`fuzz/src/edit.rs`).
//!
//! The tree is its own rather than `serde_json::Value`: serde_json (without
//! `arbitrary_precision`, which the crate does not enable) reads `0.10`, `1E300` or
//! `1180591620717411303424` as an f64 and writes them back as other text, and the
//! library keeps a number's text. Objects are vectors of pairs, in their key order.

/// The library keeps JSON at most this many levels deep, counting the state object.
pub const MAX_DEPTH: usize = 512;

#[derive(Clone, Debug)]
pub enum T {
    Null,
    Bool(bool),
    /// The number's text, as stored.
    Num(String),
    Str(String),
    Arr(Vec<T>),
    Obj(Vec<(String, T)>),
}

impl T {
    /// Reads canonical (compact, valid) JSON text, as the library stores it and as the
    /// model writes it.
    pub fn parse(text: &str) -> T {
        let mut at = 0;
        let value = parse_at(text.as_bytes(), text, &mut at);
        assert_eq!(at, text.len(), "canonical text has one value: {text}");
        value
    }

    /// The canonical text: compact, serde_json's string escapes, numbers as they are.
    pub fn text(&self) -> String {
        let mut out = String::new();
        self.write(&mut out);
        out
    }

    fn write(&self, out: &mut String) {
        match self {
            T::Null => out.push_str("null"),
            T::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            T::Num(n) => out.push_str(n),
            T::Str(s) => out.push_str(&serde_json::to_string(s).unwrap()),
            T::Arr(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    item.write(out);
                }
                out.push(']');
            }
            T::Obj(members) => {
                out.push('{');
                for (i, (key, value)) in members.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    out.push_str(&serde_json::to_string(key).unwrap());
                    out.push(':');
                    value.write(out);
                }
                out.push('}');
            }
        }
    }

    /// Levels of containers: 0 for a scalar.
    pub fn depth(&self) -> usize {
        match self {
            T::Arr(items) => 1 + items.iter().map(T::depth).max().unwrap_or(0),
            T::Obj(members) => 1 + members.iter().map(|(_, v)| v.depth()).max().unwrap_or(0),
            _ => 0,
        }
    }

    /// Whether a number of the value passes `check`.
    pub fn any_number(&self, check: impl Fn(&str) -> bool + Copy) -> bool {
        match self {
            T::Num(n) => check(n),
            T::Arr(items) => items.iter().any(|v| v.any_number(check)),
            T::Obj(members) => members.iter().any(|(_, v)| v.any_number(check)),
            _ => false,
        }
    }

    /// The value at `tokens`, if there is one.
    pub fn get(&self, tokens: &[String]) -> Option<&T> {
        let mut node = self;
        for token in tokens {
            node = match node {
                T::Obj(members) => &members.iter().find(|(k, _)| k == token)?.1,
                T::Arr(items) => items.get(index(token, items.len(), false)?)?,
                _ => return None,
            };
        }
        Some(node)
    }

    /// Every path of the value (the value itself first, as `[]`), depth first, at most
    /// `max_tokens` deep.
    pub fn paths(&self, max_tokens: usize) -> Vec<Vec<String>> {
        let mut out = Vec::new();
        let mut prefix = Vec::new();
        self.collect_paths(&mut prefix, max_tokens, &mut out);
        out
    }

    fn collect_paths(&self, prefix: &mut Vec<String>, max_tokens: usize, out: &mut Vec<Vec<String>>) {
        out.push(prefix.clone());
        if prefix.len() == max_tokens {
            return;
        }
        let children: Vec<(String, &T)> = match self {
            T::Arr(items) => items.iter().enumerate().map(|(i, v)| (i.to_string(), v)).collect(),
            T::Obj(members) => members.iter().map(|(k, v)| (k.clone(), v)).collect(),
            _ => Vec::new(),
        };
        for (token, child) in children {
            prefix.push(token);
            child.collect_paths(prefix, max_tokens, out);
            prefix.pop();
        }
    }
}

fn parse_at(bytes: &[u8], text: &str, at: &mut usize) -> T {
    match bytes[*at] {
        b'{' => {
            *at += 1;
            let mut members = Vec::new();
            if bytes[*at] == b'}' {
                *at += 1;
                return T::Obj(members);
            }
            loop {
                let key = string_at(bytes, text, at);
                assert_eq!(bytes[*at], b':');
                *at += 1;
                members.push((key, parse_at(bytes, text, at)));
                *at += 1;
                if bytes[*at - 1] == b'}' {
                    return T::Obj(members);
                }
            }
        }
        b'[' => {
            *at += 1;
            let mut items = Vec::new();
            if bytes[*at] == b']' {
                *at += 1;
                return T::Arr(items);
            }
            loop {
                items.push(parse_at(bytes, text, at));
                *at += 1;
                if bytes[*at - 1] == b']' {
                    return T::Arr(items);
                }
            }
        }
        b'"' => T::Str(string_at(bytes, text, at)),
        b't' => {
            *at += 4;
            T::Bool(true)
        }
        b'f' => {
            *at += 5;
            T::Bool(false)
        }
        b'n' => {
            *at += 4;
            T::Null
        }
        _ => {
            let start = *at;
            while *at < bytes.len() && matches!(bytes[*at], b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9') {
                *at += 1;
            }
            T::Num(text[start..*at].to_string())
        }
    }
}

fn string_at(bytes: &[u8], text: &str, at: &mut usize) -> String {
    let start = *at;
    *at += 1;
    while bytes[*at] != b'"' {
        *at += if bytes[*at] == b'\\' { 2 } else { 1 };
    }
    *at += 1;
    serde_json::from_str(&text[start..*at]).expect("canonical strings are valid")
}

/// A number's value as (negative, significant digits, exponent), so that `1`, `1.0`,
/// `10e-1` and `0.1E1` compare equal, and `0` equals `-0`.
fn number(text: &str) -> (bool, String, i128) {
    let (negative, rest) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    // Exponents saturate, at i128 (the library saturates at i64: the two differ only on
    // exponents beyond 9.2e18, which no test or seed writes).
    let (mantissa, exponent) = match rest.split_once(['e', 'E']) {
        Some((m, e)) => {
            let (sign, digits) = match e.strip_prefix('-') {
                Some(digits) => (-1, digits),
                None => (1, e.trim_start_matches('+')),
            };
            let magnitude =
                digits.bytes().fold(0i128, |n, d| n.saturating_mul(10).saturating_add(i128::from(d - b'0')));
            (m, sign * magnitude)
        }
        None => (rest, 0),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits = format!("{int}{frac}");
    let mut exponent = exponent.saturating_sub(frac.len() as i128);
    let trimmed = digits.trim_end_matches('0');
    exponent = exponent.saturating_add((digits.len() - trimmed.len()) as i128);
    let significant = trimmed.trim_start_matches('0');
    if significant.is_empty() {
        return (false, String::new(), 0);
    }
    (negative, significant.to_string(), exponent)
}

/// RFC 6902 section 4.6's equality: numbers by value, objects by members in any order.
pub fn same(a: &T, b: &T) -> bool {
    match (a, b) {
        (T::Null, T::Null) => true,
        (T::Bool(x), T::Bool(y)) => x == y,
        (T::Num(x), T::Num(y)) => number(x) == number(y),
        (T::Str(x), T::Str(y)) => x == y,
        (T::Arr(x), T::Arr(y)) => x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same(x, y)),
        (T::Obj(x), T::Obj(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.iter().any(|(k2, v2)| k == k2 && same(v, v2)))
        }
        _ => false,
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Add,
    Remove,
    Replace,
    Move,
    Copy,
    Test,
    Merge,
}

impl Kind {
    pub fn name(self) -> &'static str {
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

    pub fn has_from(self) -> bool {
        matches!(self, Kind::Move | Kind::Copy)
    }

    pub fn has_value(self) -> bool {
        matches!(self, Kind::Add | Kind::Replace | Kind::Test | Kind::Merge)
    }
}

/// One well-formed operation: its path's and `from`'s unescaped tokens.
#[derive(Clone, Debug)]
pub struct PatchOp {
    pub kind: Kind,
    pub path: Vec<String>,
    pub from: Vec<String>,
    pub value: Option<T>,
}

/// RFC 6901 escaping of one token.
pub fn escape(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

pub fn pointer(tokens: &[String]) -> String {
    tokens.iter().map(|t| format!("/{}", escape(t))).collect()
}

/// A token as an index of an array of `len`: digits without a leading zero, or `-` (the
/// end) where `end` allows it.
fn index(token: &str, len: usize, end: bool) -> Option<usize> {
    if token == "-" {
        return end.then_some(len);
    }
    if token.is_empty()
        || !token.bytes().all(|b| b.is_ascii_digit())
        || (token.len() > 1 && token.starts_with('0'))
    {
        return None;
    }
    Some(token.parse().unwrap_or(usize::MAX))
}

fn find<'t>(root: &'t mut T, tokens: &[String]) -> Option<&'t mut T> {
    let mut node = root;
    for token in tokens {
        node = match node {
            T::Obj(members) => &mut members.iter_mut().find(|(k, _)| k == token)?.1,
            T::Arr(items) => {
                let i = index(token, items.len(), false)?;
                items.get_mut(i)?
            }
            _ => return None,
        };
    }
    Some(node)
}

fn add(root: &mut T, path: &[String], value: T) -> Option<()> {
    let Some((last, parent)) = path.split_last() else {
        // The state must stay an object.
        if !matches!(value, T::Obj(_)) {
            return None;
        }
        *root = value;
        return Some(());
    };
    match find(root, parent)? {
        T::Obj(members) => match members.iter_mut().find(|(k, _)| k == last) {
            Some(slot) => slot.1 = value,
            None => members.push((last.clone(), value)),
        },
        T::Arr(items) => {
            let i = index(last, items.len(), true)?;
            if i > items.len() {
                return None;
            }
            items.insert(i, value);
        }
        _ => return None,
    }
    Some(())
}

fn remove(root: &mut T, path: &[String]) -> Option<T> {
    let (last, parent) = path.split_last()?;
    match find(root, parent)? {
        T::Obj(members) => {
            let i = members.iter().position(|(k, _)| k == last)?;
            Some(members.remove(i).1)
        }
        T::Arr(items) => {
            let i = index(last, items.len(), false)?;
            (i < items.len()).then(|| items.remove(i))
        }
        _ => None,
    }
}

/// RFC 7396: `patch` merged into `target` (`None`: absent).
fn merge_patch(target: Option<T>, patch: &T) -> T {
    let T::Obj(updates) = patch else { return patch.clone() };
    let mut members = match target {
        Some(T::Obj(members)) => members,
        _ => Vec::new(),
    };
    for (key, value) in updates {
        let found = members.iter().position(|(k, _)| k == key);
        match (found, value) {
            (Some(i), T::Null) => {
                members.remove(i);
            }
            (None, T::Null) => {}
            (Some(i), value) => {
                let old = std::mem::replace(&mut members[i].1, T::Null);
                members[i].1 = merge_patch(Some(old), value);
            }
            (None, value) => members.push((key.clone(), merge_patch(None, value))),
        }
    }
    T::Obj(members)
}

fn merge_at(root: &mut T, path: &[String], patch: &T) -> Option<()> {
    let Some((last, parent)) = path.split_last() else {
        let merged = merge_patch(Some(std::mem::replace(root, T::Null)), patch);
        if !matches!(merged, T::Obj(_)) {
            return None;
        }
        *root = merged;
        return Some(());
    };
    let slot = match find(root, parent)? {
        T::Obj(members) => match members.iter().position(|(k, _)| k == last) {
            Some(i) => &mut members[i].1,
            None => {
                members.push((last.clone(), merge_patch(None, patch)));
                return Some(());
            }
        },
        T::Arr(items) => {
            let i = index(last, items.len(), false)?;
            items.get_mut(i)?
        }
        _ => return None,
    };
    let old = std::mem::replace(slot, T::Null);
    *slot = merge_patch(Some(old), patch);
    Some(())
}

/// A value moved or copied from `from` to a deeper `path` must still fit there.
fn fits(value: &T, from: &[String], path: &[String]) -> Option<()> {
    (path.len() <= from.len() || path.len() + value.depth() <= MAX_DEPTH).then_some(())
}

fn run(root: &mut T, op: &PatchOp) -> Option<()> {
    let value = || op.value.clone().expect("an op with a value");
    match op.kind {
        Kind::Add => add(root, &op.path, value()),
        Kind::Remove => remove(root, &op.path).map(drop),
        Kind::Replace => {
            let new = value();
            if op.path.is_empty() && !matches!(new, T::Obj(_)) {
                return None;
            }
            *find(root, &op.path)? = new;
            Some(())
        }
        Kind::Move if op.from == op.path => find(root, &op.from).map(drop),
        Kind::Move => {
            let moved = remove(root, &op.from)?;
            fits(&moved, &op.from, &op.path)?;
            add(root, &op.path, moved)
        }
        Kind::Copy => {
            let copied = find(root, &op.from)?.clone();
            fits(&copied, &op.from, &op.path)?;
            add(root, &op.path, copied)
        }
        Kind::Test => same(find(root, &op.path)?, op.value.as_ref().unwrap()).then_some(()),
        Kind::Merge => merge_at(root, &op.path, op.value.as_ref().unwrap()),
    }
}

/// The state after the patch, or `None` when an operation does not fit (`WS_CONFLICT`):
/// all or nothing.
pub fn apply(state: &T, ops: &[PatchOp]) -> Option<T> {
    let mut root = state.clone();
    for op in ops {
        run(&mut root, op)?;
    }
    Some(root)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op(kind: Kind, path: &str, from: &str, value: Option<&str>) -> PatchOp {
        let tokens = |p: &str| -> Vec<String> {
            p.split('/').skip(1).map(|t| t.replace("~1", "/").replace("~0", "~")).collect()
        };
        PatchOp { kind, path: tokens(path), from: tokens(from), value: value.map(T::parse) }
    }

    /// The model itself against a few cases of RFC 6902 appendix A and RFC 7396.
    #[test]
    fn the_model_patch_follows_the_rfc_examples() {
        let doc = T::parse(r#"{"foo":["bar","baz"],"n":1.0}"#);
        let cases: Vec<(PatchOp, Option<&str>)> = vec![
            (op(Kind::Add, "/foo/1", "", Some(r#""qux""#)), Some(r#"{"foo":["bar","qux","baz"],"n":1.0}"#)),
            (op(Kind::Add, "/foo/-", "", Some("1")), Some(r#"{"foo":["bar","baz",1],"n":1.0}"#)),
            (op(Kind::Add, "/foo/3", "", Some("1")), None),
            (op(Kind::Remove, "/foo/0", "", None), Some(r#"{"foo":["baz"],"n":1.0}"#)),
            (op(Kind::Move, "/x", "/foo", None), Some(r#"{"n":1.0,"x":["bar","baz"]}"#)),
            (op(Kind::Test, "/n", "", Some("10e-1")), Some(r#"{"foo":["bar","baz"],"n":1.0}"#)),
            (op(Kind::Test, "/n", "", Some("2")), None),
            (op(Kind::Replace, "", "", Some("1")), None),
            (
                op(Kind::Merge, "", "", Some(r#"{"foo":null,"m":{"a":null,"b":1}}"#)),
                Some(r#"{"n":1.0,"m":{"b":1}}"#),
            ),
            (op(Kind::Copy, "/foo/-", "/n", None), Some(r#"{"foo":["bar","baz",1.0],"n":1.0}"#)),
        ];
        for (op, want) in cases {
            assert_eq!(apply(&doc, std::slice::from_ref(&op)).map(|t| t.text()).as_deref(), want, "{op:?}");
        }
    }
}
