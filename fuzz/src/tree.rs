//! The oracle's reading of JSON text, independent of the library's own JSON code: a tree
//! whose numbers keep their text and whose objects hold each key once, at its first
//! position with its last value (what Python's `json.loads` builds), so that two texts
//! compare equal exactly when any reader would see the same data.

use serde::de::IgnoredAny;

#[derive(Clone, Debug, PartialEq)]
pub enum J {
    Null,
    Bool(bool),
    Num(String),
    Str(String),
    Arr(Vec<J>),
    Obj(Obj),
}

pub type Obj = Vec<(String, J)>;

/// Deeper texts are not turned into trees: the library refuses them long before this,
/// and the oracle's parser recurses.
const TREE_DEPTH_LIMIT: usize = 1024;

/// What the oracle knows about one piece of JSON text.
pub struct Text {
    /// Nesting depth of arrays and objects (0 for a scalar).
    pub depth: usize,
    /// The tree, when the text is JSON that UTF-8 can hold and not absurdly deep.
    pub tree: Option<J>,
}

impl Text {
    pub fn read(text: &str) -> Text {
        let depth = nesting(text);
        let valid = serde_json::from_str::<IgnoredAny>(text).is_ok();
        // serde_json's validation lets a lone surrogate escape ("\ud800") through; the
        // tree does not, since no UTF-8 string can hold it.
        let tree = if valid && depth <= TREE_DEPTH_LIMIT { Parser::new(text).value() } else { None };
        Text { depth, tree }
    }
}

/// Nesting depth of arrays and objects outside strings.
pub fn nesting(text: &str) -> usize {
    let (mut depth, mut max) = (0usize, 0usize);
    scan_outside_strings(text, |b| match b {
        b'{' | b'[' => {
            depth += 1;
            max = max.max(depth);
        }
        b'}' | b']' => depth = depth.saturating_sub(1),
        _ => {}
    });
    max
}

/// Compact text has no whitespace outside strings.
pub fn is_compact(text: &str) -> bool {
    let mut compact = true;
    scan_outside_strings(text, |b| compact &= !matches!(b, b' ' | b'\t' | b'\n' | b'\r'));
    compact
}

fn scan_outside_strings(text: &str, mut visit: impl FnMut(u8)) {
    let mut in_string = false;
    let mut escaped = false;
    for &b in text.as_bytes() {
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
        } else if b == b'"' {
            in_string = true;
        } else {
            visit(b);
        }
    }
}

/// Sets `key` as Python's `dict.__setitem__` does: an existing key keeps its position.
pub fn set(obj: &mut Obj, key: String, value: J) {
    match obj.iter_mut().find(|(k, _)| *k == key) {
        Some(slot) => slot.1 = value,
        None => obj.push((key, value)),
    }
}

/// Python's `dict.update`.
pub fn merge(obj: &mut Obj, updates: &Obj) {
    for (key, value) in updates {
        set(obj, key.clone(), value.clone());
    }
}

pub fn get<'a>(obj: &'a Obj, key: &str) -> Option<&'a J> {
    obj.iter().find(|(k, _)| k == key).map(|(_, v)| v)
}

pub fn remove(obj: &mut Obj, key: &str) {
    obj.retain(|(k, _)| k != key);
}

/// A recursive-descent reader for text that serde_json has already validated, so it
/// only has to find where each token ends.
struct Parser<'a> {
    text: &'a str,
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Parser<'a> {
    fn new(text: &'a str) -> Parser<'a> {
        Parser { text, bytes: text.as_bytes(), at: 0 }
    }

    fn skip_whitespace(&mut self) {
        while matches!(self.bytes.get(self.at), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.at += 1;
        }
    }

    /// The next structural byte, consumed.
    fn next(&mut self) -> u8 {
        self.skip_whitespace();
        let b = self.bytes[self.at];
        self.at += 1;
        b
    }

    fn peek(&mut self) -> u8 {
        self.skip_whitespace();
        self.bytes[self.at]
    }

    fn value(&mut self) -> Option<J> {
        Some(match self.peek() {
            b'{' => {
                self.at += 1;
                let mut obj = Obj::new();
                if self.peek() == b'}' {
                    self.at += 1;
                } else {
                    loop {
                        self.skip_whitespace();
                        let key = self.string()?;
                        self.next(); // ':'
                        let value = self.value()?;
                        set(&mut obj, key, value);
                        if self.next() == b'}' {
                            break;
                        }
                    }
                }
                J::Obj(obj)
            }
            b'[' => {
                self.at += 1;
                let mut items = Vec::new();
                if self.peek() == b']' {
                    self.at += 1;
                } else {
                    loop {
                        items.push(self.value()?);
                        if self.next() == b']' {
                            break;
                        }
                    }
                }
                J::Arr(items)
            }
            b'"' => J::Str(self.string()?),
            b't' => {
                self.at += 4;
                J::Bool(true)
            }
            b'f' => {
                self.at += 5;
                J::Bool(false)
            }
            b'n' => {
                self.at += 4;
                J::Null
            }
            _ => {
                let start = self.at;
                while matches!(self.bytes.get(self.at), Some(b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9'))
                {
                    self.at += 1;
                }
                J::Num(self.text[start..self.at].to_string())
            }
        })
    }

    /// A string token, unescaped by serde_json; `None` for a lone surrogate escape.
    fn string(&mut self) -> Option<String> {
        let start = self.at;
        self.at += 1;
        loop {
            match self.bytes[self.at] {
                b'\\' => self.at += 2,
                b'"' => break,
                _ => self.at += 1,
            }
        }
        self.at += 1;
        serde_json::from_str(&self.text[start..self.at]).ok()
    }
}
