//! RFC 6901 JSON Pointers: parsed once (the JSON Patch operations' `path` and `from`,
//! a session query's `fields`) and looked up in JSON text without building a tree.

use crate::error::quote;
use crate::json;
use std::borrow::Cow;

/// An RFC 6901 JSON Pointer: its text as given (for messages) and its unescaped tokens.
#[derive(Debug)]
pub(crate) struct Pointer<'a> {
    pub text: Cow<'a, str>,
    pub tokens: Vec<Cow<'a, str>>,
}

impl<'a> Pointer<'a> {
    pub fn parse(text: Cow<'a, str>) -> std::result::Result<Pointer<'a>, String> {
        if text.is_empty() {
            return Ok(Pointer { text, tokens: Vec::new() });
        }
        let Some(body) = text.strip_prefix('/') else {
            return Err(format!(
                "{} is not a JSON Pointer: it must be \"\" (the whole state) or start with \"/\"",
                quote(&text)
            ));
        };
        let tokens: Option<Vec<Cow<'a, str>>> = match &text {
            Cow::Borrowed(all) => all[1..].split('/').map(unescape_token).collect(),
            Cow::Owned(_) => {
                body.split('/').map(|t| unescape_token(t).map(|t| Cow::Owned(t.into_owned()))).collect()
            }
        };
        match tokens {
            Some(tokens) => Ok(Pointer { text, tokens }),
            None => Err(format!(
                "{} is not a JSON Pointer: \"~\" must be followed by \"0\" (for \"~\") or \"1\" (for \"/\")",
                quote(&text)
            )),
        }
    }

    pub fn is_root(&self) -> bool {
        self.tokens.is_empty()
    }
}

/// An RFC 6901 reference token unescaped (`~1` is `/`, `~0` is `~`); `None` for any other
/// use of `~`.
fn unescape_token(token: &str) -> Option<Cow<'_, str>> {
    if !token.contains('~') {
        return Some(Cow::Borrowed(token));
    }
    let mut out = String::with_capacity(token.len());
    let mut chars = token.chars();
    while let Some(c) = chars.next() {
        match c {
            '~' => match chars.next() {
                Some('0') => out.push('~'),
                Some('1') => out.push('/'),
                _ => return None,
            },
            c => out.push(c),
        }
    }
    Some(Cow::Owned(out))
}

/// The text of the value that `pointer` names inside `text` (a JSON value, as stored),
/// or `None` when nothing is there: a missing member, an index past the end or not
/// written as RFC 6901 writes indexes (`0`, `17`, never `01`), a token into a string or a
/// number. Only what comes before the value, and the value, is scanned: the members it
/// passes are skipped over at memchr speed, never parsed, so a pointer near the front of
/// a large state costs little. `Err(at)` is the byte offset where the text is not JSON.
/// The value found is not checked: a caller that hands it out validates it.
pub(crate) fn find<'t>(text: &'t str, pointer: &Pointer) -> Result<Option<&'t str>, usize> {
    let bytes = text.as_bytes();
    let mut at = skip_space(bytes, 0);
    for token in &pointer.tokens {
        let inner = match bytes.get(at) {
            Some(b'{') => member(text, at, token)?,
            Some(b'[') => element(bytes, at, token)?,
            Some(_) => None,
            None => return Err(at),
        };
        match inner {
            Some(inner) => at = inner,
            None => return Ok(None),
        }
    }
    let end = value_end(bytes, at)?;
    Ok(Some(&text[at..end]))
}

fn skip_space(bytes: &[u8], mut at: usize) -> usize {
    while matches!(bytes.get(at), Some(b' ' | b'\t' | b'\n' | b'\r')) {
        at += 1;
    }
    at
}

/// Where the value of member `name` of the object at `bytes[at]` starts.
fn member(text: &str, at: usize, name: &str) -> Result<Option<usize>, usize> {
    let bytes = text.as_bytes();
    let mut at = skip_space(bytes, at + 1);
    if bytes.get(at) == Some(&b'}') {
        return Ok(None);
    }
    loop {
        let key_end = string_literal_end(bytes, at)?;
        let colon = skip_space(bytes, key_end);
        if bytes.get(colon) != Some(&b':') {
            return Err(colon);
        }
        let value = skip_space(bytes, colon + 1);
        if key_is(&text[at..key_end], name) {
            return Ok(Some(value));
        }
        at = skip_space(bytes, value_end(bytes, value)?);
        match bytes.get(at) {
            Some(b',') => at = skip_space(bytes, at + 1),
            Some(b'}') => return Ok(None),
            _ => return Err(at),
        }
    }
}

/// Whether the string literal `literal` (quotes included) is the text `name`.
fn key_is(literal: &str, name: &str) -> bool {
    let inner = &literal[1..literal.len() - 1];
    if !inner.contains('\\') {
        return inner == name;
    }
    serde_json::from_str::<String>(literal).is_ok_and(|key| key == name)
}

/// Where element `token` of the array at `bytes[at]` starts.
fn element(bytes: &[u8], at: usize, token: &str) -> Result<Option<usize>, usize> {
    let canonical = token == "0"
        || (token.starts_with(|c: char| matches!(c, '1'..='9')) && token.bytes().all(|b| b.is_ascii_digit()));
    let Some(index) = canonical.then(|| token.parse::<usize>().ok()).flatten() else {
        return Ok(None);
    };
    let mut at = skip_space(bytes, at + 1);
    if bytes.get(at) == Some(&b']') {
        return Ok(None);
    }
    for _ in 0..index {
        at = skip_space(bytes, value_end(bytes, at)?);
        match bytes.get(at) {
            Some(b',') => at = skip_space(bytes, at + 1),
            Some(b']') => return Ok(None),
            _ => return Err(at),
        }
    }
    Ok(Some(at))
}

/// The index just past the string literal at `bytes[at]`.
fn string_literal_end(bytes: &[u8], at: usize) -> Result<usize, usize> {
    if bytes.get(at) != Some(&b'"') {
        return Err(at);
    }
    let end = json::string_end(bytes, at);
    // string_end stops at the text's end when the closing quote is missing.
    if end < at + 2 || bytes[end - 1] != b'"' || (end == bytes.len() && ends_escaped(&bytes[at + 1..end - 1]))
    {
        return Err(at);
    }
    Ok(end)
}

/// Whether the quote after `inner` is escaped (an odd run of backslashes before it).
fn ends_escaped(inner: &[u8]) -> bool {
    inner.iter().rev().take_while(|&&b| b == b'\\').count() % 2 == 1
}

/// The index just past the value that starts at `bytes[at]`.
fn value_end(bytes: &[u8], at: usize) -> Result<usize, usize> {
    match bytes.get(at) {
        None => Err(at),
        Some(b'"') => string_literal_end(bytes, at),
        Some(b'{' | b'[') => {
            let mut depth = 0usize;
            let mut i = at;
            while let Some(&b) = bytes.get(i) {
                match b {
                    b'"' => {
                        i = string_literal_end(bytes, i)?;
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return Ok(i + 1);
                        }
                    }
                    _ => {}
                }
                i += 1;
            }
            Err(bytes.len())
        }
        Some(_) => {
            let end = at
                + bytes[at..]
                    .iter()
                    .position(|b| matches!(b, b',' | b']' | b'}' | b' ' | b'\t' | b'\n' | b'\r'))
                    .unwrap_or(bytes.len() - at);
            Ok(end)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at<'t>(text: &'t str, pointer: &str) -> Option<&'t str> {
        find(text, &Pointer::parse(Cow::Borrowed(pointer)).unwrap()).unwrap()
    }

    #[test]
    fn finds_members_elements_and_escaped_tokens() {
        let text = r#"{"a":{"b":[10,{"c":"x"},[]]},"m~n":1,"s/t":{"":2},"q\"k":3,"e\u0041":4,"pad":"}]\"["}"#;
        assert_eq!(at(text, ""), Some(text));
        assert_eq!(at(text, "/a/b/0"), Some("10"));
        assert_eq!(at(text, "/a/b/1"), Some(r#"{"c":"x"}"#));
        assert_eq!(at(text, "/a/b/1/c"), Some(r#""x""#));
        assert_eq!(at(text, "/a/b/2"), Some("[]"));
        assert_eq!(at(text, "/m~0n"), Some("1"));
        assert_eq!(at(text, "/s~1t/"), Some("2"));
        assert_eq!(at(text, "/q\"k"), Some("3"));
        assert_eq!(at(text, "/eA"), Some("4"));
        assert_eq!(at(text, "/pad"), Some(r#""}]\"[""#));
    }

    #[test]
    fn absent_is_none() {
        let text = r#"{ "a" : [ 1 , 2 ] , "b" : "s", "n": null }"#;
        assert_eq!(at(text, "/a/1"), Some("2"));
        assert_eq!(at(text, "/n"), Some("null"));
        for absent in
            ["/z", "/a/2", "/a/01", "/a/-", "/a/x", "/b/0", "/a/1/x", "/n/x", "/a/18446744073709551616"]
        {
            assert_eq!(at(text, absent), None, "{absent}");
        }
        assert_eq!(at("[]", "/0"), None);
        assert_eq!(at("{}", "/a"), None);
    }

    #[test]
    fn text_that_is_not_json_is_an_error() {
        let pointer = Pointer::parse(Cow::Borrowed("/b")).unwrap();
        for text in [r#"{"a" 1}"#, r#"{"a":1 "b":2}"#, r#"{"a":"1"#, r#"{"a":[1,2"#, r#"{a:1}"#, ""] {
            assert!(find(text, &pointer).is_err(), "{text}");
        }
    }

    #[test]
    fn stops_at_the_value() {
        // What follows the value is never read: here it is not even JSON.
        assert_eq!(at(r#"{"a":{"b":1},"rest": this is not scanned"#, "/a/b"), Some("1"));
    }
}
