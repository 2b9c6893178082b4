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
    /// It holds a number that Python's json module cannot take back: an integer of more
    /// than 4,300 digits (which it refuses) or one beyond a double's range (which it
    /// reads as inf and writes as `Infinity`).
    pub python_refuses_a_number: bool,
    /// Some object in it repeats a key.
    pub repeats_a_key: bool,
}

impl Text {
    pub fn read(text: &str) -> Text {
        let depth = nesting(text);
        let valid = serde_json::from_str::<IgnoredAny>(text).is_ok();
        // serde_json's validation lets a lone surrogate escape ("\ud800") through; the
        // tree does not, since no UTF-8 string can hold it.
        let mut parser = Parser::new(text);
        let tree = if valid && depth <= TREE_DEPTH_LIMIT { parser.value() } else { None };
        Text {
            depth,
            tree,
            python_refuses_a_number: parser.python_refuses_a_number,
            repeats_a_key: parser.repeats_a_key,
        }
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

/// Whether Python's json module cannot take the number back: `int()` refuses more than
/// 4,300 digits, and `float()` gives inf beyond a double's range.
fn python_refuses(number: &str) -> bool {
    if number.contains(['.', 'e', 'E']) {
        number.parse::<f64>().map_or(true, f64::is_infinite)
    } else {
        number.trim_start_matches('-').len() > 4300
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
    python_refuses_a_number: bool,
    repeats_a_key: bool,
}

impl<'a> Parser<'a> {
    fn new(text: &'a str) -> Parser<'a> {
        Parser { text, bytes: text.as_bytes(), at: 0, python_refuses_a_number: false, repeats_a_key: false }
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
                        self.repeats_a_key |= get(&obj, &key).is_some();
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
                let number = &self.text[start..self.at];
                self.python_refuses_a_number |= python_refuses(number);
                J::Num(number.to_string())
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
