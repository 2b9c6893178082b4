//! Model-based test of the whole `Store` API: random sequences of every operation (state,
//! step state, current step, sessions and labels, history stacks, undo/redo, the JSON
//! history functions, `apply` edits with JSON Patch, invalid calls), on three flows and
//! several sessions, through two store handles on one file (one of them sometimes
//! read-only), with both handles closed and reopened in between (other
//! `max_history_depth`s, the other journal mode). A plain in-memory model runs the same
//! operations; after every operation every session is read back through both handles and
//! must equal the model exactly: state text (key order, number spelling, escapes), current
//! step, each step's state, existence, summary, `get_session`'s whole snapshot,
//! `list_sessions` in all six orders, undo status and history top; and the change
//! sequence: the model numbers every call that changes a session (exactly one number each;
//! none for a call that changes nothing) and checks each session's revision,
//! `latest_seq` and `changes_since` (every flow and one, paged with small limits from a
//! number that moves, deletions included), also after the file is reopened.
//! Timestamps cannot be predicted, so they are checked for what is promised: `created_at`
//! never moves, calls that leave `updated_at` alone leave it byte for byte, the others
//! never move it back; `list_sessions` breaks their ties (they are whole seconds) by the
//! change sequence (`updated_at`) or the creation order (`created_at`, label).
//!
//! `apply` edits combine `expect_revision` (right, stale, 0), a JSON Patch (every op, on
//! paths of the state as it is when the edit runs and on paths that are not there, in
//! objects and arrays, with RFC 6901 escapes; malformed patches too), `step`, `label`,
//! `checkpoint` and `create`, in any order, plus members that must be refused. The model's
//! JSON Patch (`model/patch.rs`) is written from the RFCs on its own tree; the status
//! (OK, CONFLICT, NOT_FOUND, INVALID_JSON, INVALID_ARGUMENT, IO on the read-only handle),
//! the result and the state text must all agree.
//!
//! The core API is tested rather than the `ws_*` exports: each export is a few lines over
//! one `Store` method (pointer checks, strings), which the C tests cover; going through
//! Rust keeps this test about behaviour.
//!
//! `PROPTEST_CASES=2000 cargo test --release --test model -- --nocapture` runs more
//! cases (and prints the number of operations checked).

#[path = "model/patch.rs"]
mod patch;

use patch::{Kind, PatchOp, T};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use workflow_state::{
    json_history_pop, json_history_push, JournalMode, Options, Order, Status, Store, Synchronous,
};

/// Cases run by `cargo test` (7,600-8,500 operations, by the seed); `PROPTEST_CASES` overrides it.
const DEFAULT_CASES: u32 = 160;

/// "wiz" is a prefix of "wizard", and '%' and '_' are LIKE wildcards: listing one flow
/// must still return exactly its own sessions.
const FLOWS: [&str; 3] = ["wizard", "wiz", "f%_é"];
const SQL: &str = "'; DROP TABLE workflow_state; --";
/// Session ids may hold ':'; more come from `create_session` (UUIDs).
const SESSIONS: [&str; 3] = ["s1", "a:b", SQL];
const STEPS: [&str; 3] = ["one", "two", "é"];
/// Top-level keys: two are step keys, so `update_state` can put a non-object there.
const KEYS: [&str; 7] = ["a", "b", "é", "q\"\\\n\u{0}", "_step_one", "_step_two", SQL];
const STRINGS: [&str; 7] = ["", "Ada", "café 😀", "\u{0}x\u{0}", "tab\t\"q\"\\ /", "\u{1f}\u{7f}", SQL];
const LABELS: [&str; 5] = ["Ada", "ada", "", "é", SQL];
const DEPTHS: [usize; 5] = [1, 2, 3, 5, 50];

// ------------------------------------------------------------------------------------
// JSON values: how the test spells them and what the library must give back.

/// A JSON value in canonical text (compact, UTF-8, serde_json's escapes), with its
/// entries when it is an object (so that a step merge can go into it).
#[derive(Clone, Debug, PartialEq)]
struct Val {
    text: String,
    object: Option<Vec<(String, String)>>,
}

impl Val {
    fn object(entries: Vec<(String, String)>) -> Val {
        Val { text: object_text(&entries), object: Some(entries) }
    }
}

/// A value as sent (`input`: compact, pretty, or Python-style `\u` escapes) and as stored,
/// with how deeply it nests (0 for a scalar) and whether the library must refuse it
/// wherever it goes (a number Python cannot read back).
#[derive(Clone, Debug)]
struct Json {
    input: String,
    val: Val,
    nest: usize,
    refused: bool,
}

/// How deeply JSON text nests: its most containers open at once.
fn nesting(text: &str) -> usize {
    let (mut depth, mut max, mut in_string, mut escaped) = (0usize, 0usize, false, false);
    for b in text.bytes() {
        match (in_string, escaped, b) {
            (true, true, _) => escaped = false,
            (true, false, b'\\') => escaped = true,
            (true, false, b'"') => in_string = false,
            (true, ..) => {}
            (false, _, b'"') => in_string = true,
            (false, _, b'{' | b'[') => {
                depth += 1;
                max = max.max(depth);
            }
            (false, _, b'}' | b']') => depth -= 1,
            _ => {}
        }
    }
    max
}

/// The library keeps JSON at most this many levels deep, counting the state object.
const MAX_DEPTH: usize = 512;

/// Whether a value nesting `nest` levels fits below `enclosing` containers.
fn fits(nest: usize, enclosing: usize) -> bool {
    nest + enclosing <= MAX_DEPTH
}

fn quoted(s: &str) -> String {
    serde_json::to_string(s).unwrap()
}

fn object_text(entries: &[(String, String)]) -> String {
    let items: Vec<String> = entries.iter().map(|(k, v)| format!("{}:{v}", quoted(k))).collect();
    format!("{{{}}}", items.join(","))
}

fn array_text(items: &[String]) -> String {
    format!("[{}]", items.join(","))
}

/// `dict.update`: existing keys keep their place, new ones are appended.
fn merge<V>(entries: &mut Vec<(String, V)>, updates: impl IntoIterator<Item = (String, V)>) {
    for (key, value) in updates {
        match entries.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) => slot.1 = value,
            None => entries.push((key, value)),
        }
    }
}

/// JSON text as Python's `json.dumps` writes it by default: every non-ASCII character
/// and every '/' as a `\u`/`\/` escape (only strings hold such characters).
fn python_spelling(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        if c == '/' {
            out.push_str("\\/");
        } else if c.is_ascii() {
            out.push(c);
        } else {
            for unit in c.encode_utf16(&mut [0; 2]) {
                out.push_str(&format!("\\u{unit:04x}"));
            }
        }
    }
    out
}

fn json_of(value: &Value, spelling: u8) -> Json {
    let text = serde_json::to_string(value).unwrap();
    let input = match spelling {
        0 => text.clone(),
        1 => serde_json::to_string_pretty(value).unwrap(),
        _ => python_spelling(&text),
    };
    let object = value
        .as_object()
        .map(|m| m.iter().map(|(k, v)| (k.clone(), serde_json::to_string(v).unwrap())).collect());
    let nest = nesting(&text);
    Json { input, val: Val { text, object }, nest, refused: false }
}

/// Values whose text the library keeps exactly although serde_json would not: numbers
/// beyond 64 bits or with trailing zeros, escapes it rewrites.
fn specials() -> Vec<Json> {
    let raw = |input: &str, text: &str| Json {
        input: input.into(),
        val: Val { text: text.into(), object: None },
        nest: nesting(text),
        refused: false,
    };
    let refused = |input: &str| Json { refused: true, ..raw(input, input) };
    // `[[...[{"k":1,"k":[]}]...]]` nesting `nest` levels, around the limits of every place
    // a value can go; the repeated key, deep down, must collapse at every depth.
    let deep = |nest: usize| {
        let (open, close) = ("[".repeat(nest - 2), "]".repeat(nest - 2));
        raw(&format!("{open}{{\"k\":1, \"k\":[]}}{close}"), &format!("{open}{{\"k\":[]}}{close}"))
    };
    vec![
        raw("1180591620717411303424", "1180591620717411303424"),
        raw("0.10", "0.10"),
        raw("-0.0", "-0.0"),
        raw("1E300", "1E300"),
        raw("1e-400", "1e-400"),
        refused("1E400"),
        refused("[-1.8e308]"),
        refused(&"7".repeat(4301)),
        raw(&"7".repeat(4300), &"7".repeat(4300)),
        deep(509),
        deep(510),
        deep(511),
        deep(512),
        deep(513),
        Json {
            input: r#"{"x":{"a":1,"b":2,"a":{"c":1,"c":2}}, "x" : {"a":1, "a":{"c":3,"c":4},"b":2}}"#.into(),
            val: Val::object(vec![("x".into(), r#"{"a":{"c":4},"b":2}"#.into())]),
            nest: 3,
            refused: false,
        },
        raw(r#""caf\u00e9 \/ \ud83d\ude00""#, r#""café / 😀""#),
        raw(r#""\u0000\u001F\u0022""#, r#""\u0000\u001f\"""#),
        raw("[ 1 ,\n\t{ \"x\" : 2.50 } ]", r#"[1,{"x":2.50}]"#),
        Json {
            input: "{ \"n\" : 1180591620717411303424 , \"f\" : 0.1 }".into(),
            val: Val::object(vec![("n".into(), "1180591620717411303424".into()), ("f".into(), "0.1".into())]),
            nest: 1,
            refused: false,
        },
    ]
}

fn key() -> impl Strategy<Value = String> {
    prop::sample::select(&KEYS[..]).prop_map(str::to_string)
}

fn value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        prop::num::f64::NORMAL.prop_map(Value::from),
        prop::sample::select(&STRINGS[..]).prop_map(Value::from),
    ];
    leaf.prop_recursive(2, 8, 3, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..3).prop_map(Value::Array),
            prop::collection::vec((key(), inner), 0..3)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

fn json() -> impl Strategy<Value = Json> {
    prop_oneof![
        8 => (value(), 0u8..3).prop_map(|(v, spelling)| json_of(&v, spelling)),
        2 => prop::sample::select(specials()),
    ]
}

/// An update object: possibly repeated keys (the last value wins, at the first place).
fn updates() -> impl Strategy<Value = Vec<(String, Json)>> {
    prop::collection::vec((key(), json()), 0..4)
}

fn updates_text(updates: &[(String, Json)], spaced: bool) -> String {
    let (colon, comma) = if spaced { (" : ", " ,\n ") } else { (":", ",") };
    let items: Vec<String> =
        updates.iter().map(|(k, v)| format!("{}{colon}{}", quoted(k), v.input)).collect();
    format!("{{{}}}", items.join(comma))
}

// ------------------------------------------------------------------------------------
// Edits for `apply`: generated as recipes, made concrete against the model's state when
// they run (so that most paths exist and most `test`s can pass).

/// Keys a patch path may name besides `KEYS`: one that needs both RFC 6901 escapes, the
/// empty key, one never in a state.
const PATH_KEYS: [&str; 3] = ["a/b~c", "", "x"];

#[derive(Clone, Debug)]
enum Token {
    Key(String),
    Index(usize),
    /// `-`: after the last element.
    Dash,
    /// Not an index: a leading zero, a word, past any array.
    Odd(&'static str),
}

#[derive(Clone, Debug)]
enum PathGen {
    /// The nth path of the document as it is when the operation runs (depth first),
    /// modulo their number.
    Existing(usize),
    /// A child of the nth path: usually not there.
    Child(usize, Token),
    /// Tokens from the root.
    Tokens(Vec<Token>),
}

#[derive(Clone, Debug)]
enum ValueGen {
    Given(Json),
    /// The value the document has at the operation's path (`null` if none): a `test`
    /// that passes, an `add` or `replace` that changes nothing.
    Current,
    /// The same, spelled otherwise: numbers with another text for the same value
    /// (`5` as `5.0`, `1E300` as `1.0E300`), objects' members in reverse order. Equal for
    /// `test` (RFC 6902 section 4.6), a change for `replace`.
    Respelled,
}

/// `value` spelled as `ValueGen::Respelled` says.
fn respelled(value: &T) -> T {
    match value {
        T::Num(text) => {
            let (mantissa, exponent) = text.split_at(text.find(['e', 'E']).unwrap_or(text.len()));
            let longer =
                if mantissa.contains('.') { format!("{mantissa}0") } else { format!("{mantissa}.0") };
            T::Num(format!("{longer}{exponent}"))
        }
        T::Arr(items) => T::Arr(items.iter().map(respelled).collect()),
        T::Obj(members) => T::Obj(members.iter().rev().map(|(k, v)| (k.clone(), respelled(v))).collect()),
        other => other.clone(),
    }
}

#[derive(Clone, Debug)]
struct PatchOpGen {
    kind: Kind,
    path: PathGen,
    from: PathGen,
    value: ValueGen,
    /// Members the op does not define (ignored, RFC 6902 section 4).
    extra: bool,
    /// Members written in reverse order.
    reversed: bool,
}

/// Patches that are not well-formed: `WS_INVALID_JSON`, whatever the state.
const MALFORMED: [&str; 16] = [
    "{}",
    "null",
    "[1]",
    r#"[{"path":"/a"}]"#,
    r#"[{"op":"nope","path":"/a"}]"#,
    r#"[{"op":"add","value":1}]"#,
    r#"[{"op":"add","path":"/a"}]"#,
    r#"[{"op":"copy","path":"/a"}]"#,
    r#"[{"op":"move","from":"/a","path":"/a/b"}]"#,
    r#"[{"op":"add","path":"a","value":1}]"#,
    r#"[{"op":"add","path":"/~2","value":1}]"#,
    r#"[{"op":"add","path":"/a","value":1,"value":2}]"#,
    r#"[{"op":"add","path":1,"value":1}]"#,
    r#"[{"op":"replace","path":"/a","value":1E400}]"#,
    r#"[{"op":"test","path":"/a"}]"#,
    r#"[{"op":"remove","path":"/a"},{"op":"remove"}]"#,
];

/// Members of `edit_json` that must be refused with `WS_INVALID_ARGUMENT`.
const BAD_MEMBERS: [&str; 10] = [
    r#""expect_revision":-1"#,
    r#""expect_revision":1.5"#,
    r#""expect_revision":"1""#,
    r#""step":"""#,
    r#""step":null"#,
    r#""label":"a\u0000b""#,
    r#""checkpoint":{"label":"x","merge_key":1}"#,
    r#""checkpoint":5"#,
    r#""create":"yes""#,
    r#""nope":1"#,
];

#[derive(Clone, Debug)]
enum PatchGen {
    Ops(Vec<PatchOpGen>),
    Malformed(usize),
}

#[derive(Clone, Debug)]
enum Expect {
    /// The session's revision now (0 when it does not exist).
    Right,
    /// Another number: this much below the revision, or above it when it is smaller.
    Stale(i64),
    /// 0: the session must not exist.
    Zero,
}

#[derive(Clone, Debug)]
enum Member {
    Expect(Expect),
    Patch(PatchGen),
    Step(usize),
    Label(Option<usize>),
    /// The checkpoint's label, as `"label"`/`null` or (true) as `{"label": ...}`.
    Checkpoint(Option<usize>, bool),
    Create(bool),
    Bad(usize),
}

fn token() -> impl Strategy<Value = Token> {
    let keys: Vec<&str> = KEYS.iter().chain(&PATH_KEYS).copied().collect();
    prop_oneof![
        4 => prop::sample::select(keys).prop_map(|k| Token::Key(k.to_string())),
        2 => (0usize..4).prop_map(Token::Index),
        1 => Just(Token::Dash),
        1 => prop::sample::select(&["01", "x", "99999999999999999999"][..]).prop_map(Token::Odd),
    ]
}

/// Mostly paths that exist (`existing` true: what the op reads or replaces) or new
/// children (where it adds), the other kind and paths from nowhere less often.
fn path_gen(existing: bool) -> impl Strategy<Value = PathGen> {
    let (old, new) = if existing { (6, 1) } else { (3, 4) };
    prop_oneof![
        old => any::<usize>().prop_map(PathGen::Existing),
        new => (any::<usize>(), token()).prop_map(|(n, t)| PathGen::Child(n, t)),
        1 => prop::collection::vec(token(), 0..3).prop_map(PathGen::Tokens),
    ]
}

fn patch_op() -> impl Strategy<Value = PatchOpGen> {
    let kind = prop_oneof![
        3 => Just(Kind::Add),
        2 => Just(Kind::Remove),
        2 => Just(Kind::Replace),
        2 => Just(Kind::Move),
        2 => Just(Kind::Copy),
        3 => Just(Kind::Test),
        3 => Just(Kind::Merge),
    ];
    let value = prop_oneof![
        6 => json().prop_map(ValueGen::Given),
        2 => Just(ValueGen::Current),
        1 => Just(ValueGen::Respelled),
    ];
    let paths = (path_gen(true), path_gen(false));
    (kind, paths, path_gen(true), value, prop::bool::weighted(0.15), any::<bool>()).prop_map(
        |(kind, (old_path, new_path), from, value, extra, reversed)| {
            let path = match kind {
                Kind::Add | Kind::Merge | Kind::Move | Kind::Copy => new_path,
                _ => old_path,
            };
            // A test mostly passes, else the whole edit fails.
            let value = match (kind, value, &path) {
                (Kind::Test, ValueGen::Given(_), PathGen::Existing(n)) if n % 4 != 0 => match n % 4 {
                    1 => ValueGen::Respelled,
                    _ => ValueGen::Current,
                },
                (_, value, _) => value,
            };
            PatchOpGen { kind, path, from, value, extra, reversed }
        },
    )
}

fn edit() -> impl Strategy<Value = Vec<Member>> {
    let expect = prop_oneof![
        3 => Just(Expect::Right),
        1 => (1i64..3).prop_map(Expect::Stale),
        1 => Just(Expect::Zero),
    ];
    let patch = prop_oneof![
        12 => prop::collection::vec(patch_op(), 0..4).prop_map(PatchGen::Ops),
        1 => (0..MALFORMED.len()).prop_map(PatchGen::Malformed),
    ];
    let label = || prop::option::of(0..LABELS.len());
    (
        prop::option::weighted(0.4, expect),
        prop::option::weighted(0.8, patch),
        prop::option::weighted(0.25, 0..STEPS.len()),
        prop::option::weighted(0.2, label()),
        prop::option::weighted(0.2, (label(), any::<bool>())),
        prop::option::weighted(0.2, any::<bool>()),
        prop::option::weighted(0.04, 0..BAD_MEMBERS.len()),
        any::<prop::sample::Index>(),
    )
        .prop_map(|(expect, patch, step, label, checkpoint, create, bad, rotation)| {
            let mut members: Vec<Member> = [
                expect.map(Member::Expect),
                patch.map(Member::Patch),
                step.map(Member::Step),
                label.map(Member::Label),
                checkpoint.map(|(l, object)| Member::Checkpoint(l, object)),
                create.map(Member::Create),
                bad.map(Member::Bad),
            ]
            .into_iter()
            .flatten()
            .collect();
            if !members.is_empty() {
                let n = rotation.index(members.len());
                members.rotate_left(n);
            }
            members
        })
}

/// An edit made concrete: its text, and what the model reads in it (or the status the
/// library must refuse it with).
#[derive(Clone, Debug)]
struct Resolved {
    text: String,
    parsed: Result<ParsedEdit, Status>,
}

#[derive(Clone, Debug, Default)]
struct ParsedEdit {
    expect: Option<i64>,
    patch: Option<Vec<PatchOp>>,
    step: Option<String>,
    label: Option<Option<String>>,
    checkpoint: Option<Option<String>>,
    create: bool,
}

fn token_text(token: &Token) -> String {
    match token {
        Token::Key(k) => k.clone(),
        Token::Index(i) => i.to_string(),
        Token::Dash => "-".to_string(),
        Token::Odd(s) => s.to_string(),
    }
}

fn resolve_path(doc: &T, path: &PathGen) -> Vec<String> {
    // The root only when there is nothing else (`Tokens` reaches it too).
    let nth = |n: usize| {
        let paths = doc.paths(6);
        let paths = if paths.len() > 1 { &paths[1..] } else { &paths[..] };
        paths[n % paths.len()].clone()
    };
    match path {
        PathGen::Existing(n) => nth(*n),
        PathGen::Child(n, token) => {
            let mut tokens = nth(*n);
            tokens.push(token_text(token));
            tokens
        }
        PathGen::Tokens(tokens) => tokens.iter().map(token_text).collect(),
    }
}

/// One patch operation's text and model, and whether it is well-formed; `doc` is the
/// document as the operations before it left it.
fn resolve_op(doc: &T, gen: &PatchOpGen) -> (String, PatchOp, bool) {
    let path = resolve_path(doc, &gen.path);
    let from = resolve_path(doc, &gen.from);
    let value = match &gen.value {
        ValueGen::Given(json) => json.clone(),
        ValueGen::Current | ValueGen::Respelled => {
            let current = doc.get(&path).cloned().unwrap_or(T::Null);
            let value = match gen.value {
                ValueGen::Respelled => respelled(&current),
                _ => current,
            };
            let text = value.text();
            // 4,300 sevens spelled with a fraction is a float Python reads as inf.
            let refused = value
                .any_number(|n| n.contains(['.', 'e', 'E']) && n.parse::<f64>().is_ok_and(f64::is_infinite));
            Json { input: text.clone(), nest: nesting(&text), val: Val { text, object: None }, refused }
        }
    };
    let mut fields = vec![("op", quoted(gen.kind.name())), ("path", quoted(&patch::pointer(&path)))];
    if gen.kind.has_from() {
        fields.push(("from", quoted(&patch::pointer(&from))));
    } else if gen.extra {
        fields.push(("from", quoted("/zz")));
    }
    if gen.kind.has_value() {
        fields.push(("value", value.input.clone()));
    } else if gen.extra {
        fields.push(("value", "[1]".to_string()));
    }
    if gen.extra {
        fields.push(("note", "{\"op\":\"remove\"}".to_string()));
    }
    if gen.reversed {
        fields.reverse();
    }
    let text =
        format!("{{{}}}", fields.iter().map(|(k, v)| format!("\"{k}\":{v}")).collect::<Vec<_>>().join(","));
    // Values are checked where they will sit (below as many containers as the path has
    // tokens); a tested value is only compared, so only its depth is limited.
    let value_ok = !gen.kind.has_value()
        || match gen.kind {
            Kind::Test => fits(value.nest, 0),
            _ => !value.refused && fits(value.nest, path.len()),
        };
    let moves_into_itself = gen.kind == Kind::Move && from.len() < path.len() && path.starts_with(&from);
    let op = PatchOp {
        kind: gen.kind,
        value: gen.kind.has_value().then(|| T::parse(&value.val.text)),
        path,
        from: if gen.kind.has_from() { from } else { Vec::new() },
    };
    (text, op, value_ok && !moves_into_itself)
}

// ------------------------------------------------------------------------------------
// Operations.

/// Which handle, flow and session an operation uses. `session` indexes the session
/// pool: the fixed ids, then the ids `create_session` generated so far.
#[derive(Clone, Copy, Debug)]
struct At {
    handle: usize,
    flow: usize,
    session: usize,
}

#[derive(Clone, Debug)]
enum Op {
    SetStep(At, usize),
    Update(At, Vec<(String, Json)>, bool),
    UpdateStep(At, usize, Vec<(String, Json)>),
    ClearStepState(At, usize),
    Delete(At, bool),
    /// A session id from the pool, or `None` for a new UUID.
    Create(At, Option<usize>, Option<usize>),
    SetLabel(At, Option<usize>),
    HistoryPush(At, Json),
    HistoryPop(At),
    HistoryClear(At),
    Checkpoint(At, Option<usize>),
    Undo(At),
    Redo(At),
    JsonPush(Json, usize, bool),
    JsonPop(bool),
    /// `apply` of an edit made concrete when it runs (`Resolved`).
    Apply(At, Vec<Member>),
    /// One of the invalid calls of `bad_call`.
    Bad(At, usize),
    /// Close both handles and open them again: depths, journal mode, second read-only.
    Reopen([usize; 2], JournalMode, bool),
}

impl Op {
    /// The handle, flow and session the operation works on; the first of each for the
    /// operations that name none.
    fn at(&self) -> At {
        match self {
            Op::SetStep(a, ..)
            | Op::Update(a, ..)
            | Op::UpdateStep(a, ..)
            | Op::ClearStepState(a, ..)
            | Op::Delete(a, ..)
            | Op::Create(a, ..)
            | Op::SetLabel(a, ..)
            | Op::HistoryPush(a, ..)
            | Op::HistoryPop(a)
            | Op::HistoryClear(a)
            | Op::Checkpoint(a, ..)
            | Op::Undo(a)
            | Op::Redo(a)
            | Op::Apply(a, _)
            | Op::Bad(a, _) => *a,
            Op::JsonPush(..) | Op::JsonPop(..) | Op::Reopen(..) => At { handle: 0, flow: 0, session: 0 },
        }
    }
}

const BAD_CALLS: usize = 21;

fn at() -> impl Strategy<Value = At> {
    // Most operations go to one session of one flow, so that its stacks reach their depth.
    let handle = prop_oneof![3 => Just(0usize), 1 => Just(1usize)];
    let flow = prop_oneof![3 => Just(0usize), 1 => 0usize..FLOWS.len()];
    let session = prop_oneof![4 => Just(0usize), 2 => 0usize..SESSIONS.len(), 1 => 0usize..8];
    (handle, flow, session).prop_map(|(handle, flow, session)| At { handle, flow, session })
}

fn op() -> impl Strategy<Value = Op> {
    let step = 0usize..STEPS.len();
    let label = prop::option::of(0usize..LABELS.len());
    let depth = prop::sample::select(&DEPTHS[..]);
    let journal = prop_oneof![Just(JournalMode::Wal), Just(JournalMode::Delete)];
    prop_oneof![
        3 => (at(), step.clone()).prop_map(|(a, s)| Op::SetStep(a, s)),
        6 => (at(), updates(), any::<bool>()).prop_map(|(a, u, spaced)| Op::Update(a, u, spaced)),
        4 => (at(), step.clone(), updates()).prop_map(|(a, s, u)| Op::UpdateStep(a, s, u)),
        2 => (at(), step).prop_map(|(a, s)| Op::ClearStepState(a, s)),
        1 => (at(), any::<bool>()).prop_map(|(a, c)| Op::Delete(a, c)),
        2 => (at(), prop::option::of(0usize..8), label.clone()).prop_map(|(a, s, l)| Op::Create(a, s, l)),
        2 => (at(), label.clone()).prop_map(|(a, l)| Op::SetLabel(a, l)),
        3 => (at(), json()).prop_map(|(a, j)| Op::HistoryPush(a, j)),
        2 => at().prop_map(Op::HistoryPop),
        1 => at().prop_map(Op::HistoryClear),
        5 => (at(), label).prop_map(|(a, l)| Op::Checkpoint(a, l)),
        5 => at().prop_map(Op::Undo),
        4 => at().prop_map(Op::Redo),
        2 => (json(), 0usize..4, any::<bool>()).prop_map(|(j, d, spaced)| Op::JsonPush(j, d, spaced)),
        1 => any::<bool>().prop_map(Op::JsonPop),
        10 => (at(), edit()).prop_map(|(a, e)| Op::Apply(a, e)),
        1 => (at(), 0..BAD_CALLS).prop_map(|(a, b)| Op::Bad(a, b)),
        1 => (depth.clone(), depth, journal, prop::bool::weighted(0.3))
            .prop_map(|(d0, d1, j, ro)| Op::Reopen([d0, d1], j, ro)),
    ]
}

/// An invalid call: what it does, and the status and message part it must fail with.
/// None of them may change anything.
fn bad_call(
    store: &Store,
    at_flow: &str,
    at_session: &str,
    which: usize,
) -> (workflow_state::Error, Status, &'static str) {
    let deep = format!("{{\"a\":{}{}}}", "[".repeat(600), "]".repeat(600));
    let (result, status, needle) = match which {
        0 => (
            store.update_state("a:b", at_session, "{}"),
            Status::InvalidArgument,
            "flow_id \"a:b\" must not contain ':'",
        ),
        1 => (
            store.set_current_step(at_flow, "", "one"),
            Status::InvalidArgument,
            "session_id must not be empty",
        ),
        2 => (
            store.update_step_state(at_flow, at_session, "", "{}"),
            Status::InvalidArgument,
            "step_id must not be empty",
        ),
        3 => (
            store.update_state(at_flow, at_session, "[1]"),
            Status::InvalidJson,
            "updates_json must be a JSON object, got an array",
        ),
        4 => (
            store.update_state(at_flow, at_session, "{\"a\":"),
            Status::InvalidJson,
            "updates_json is not valid JSON",
        ),
        5 => (
            store.update_state(at_flow, at_session, &deep),
            Status::InvalidJson,
            "nests too deeply at \"/a/0/0",
        ),
        6 => (
            store.history_push(at_flow, at_session, "NaN"),
            Status::InvalidJson,
            "snapshot_json is not valid JSON",
        ),
        7 => (
            store.update_step_state(at_flow, at_session, "one", "\"x\""),
            Status::InvalidJson,
            "updates_json must be a JSON object, got a string",
        ),
        8 => (
            store.create_session("", Some("x"), None).map(drop),
            Status::InvalidArgument,
            "flow_id must not be empty",
        ),
        9 => (
            store.list_sessions("a:b", Order::Label, false).map(drop),
            Status::InvalidArgument,
            "must not contain ':'",
        ),
        10 => (
            json_history_push(None, "1", 0).map(drop),
            Status::InvalidArgument,
            "max_depth must be at least 1",
        ),
        11 => (
            json_history_pop("{}").map(drop),
            Status::InvalidJson,
            "history_json must be a JSON array, got an object",
        ),
        12 => (
            store.update_state(at_flow, at_session, r#"{"a":"\ud800"}"#),
            Status::InvalidJson,
            "lone leading surrogate",
        ),
        13 => (store.checkpoint(at_flow, "", None), Status::InvalidArgument, "session_id must not be empty"),
        14 => {
            (store.changes_since(None, -1, 0).map(drop), Status::InvalidArgument, "after_seq -1 is negative")
        }
        15 => (
            store.changes_since(Some(at_flow), 0, 100_001).map(drop),
            Status::InvalidArgument,
            "limit 100001 is more than",
        ),
        16 => (
            store.changes_since(Some("a:b"), 0, 0).map(drop),
            Status::InvalidArgument,
            "must not contain ':'",
        ),
        17 => (
            store.apply(at_flow, at_session, "[]").map(drop),
            Status::InvalidJson,
            "edit_json must be a JSON object, got an array",
        ),
        18 => (
            store.apply(at_flow, at_session, r#"{"create":true,"create":true}"#).map(drop),
            Status::InvalidJson,
            "edit_json has member \"create\" twice",
        ),
        19 => (
            store.get_revision(at_flow, "").map(drop),
            Status::InvalidArgument,
            "session_id must not be empty",
        ),
        _ => (
            store.get_session("", at_session).map(drop),
            Status::InvalidArgument,
            "flow_id must not be empty",
        ),
    };
    let err = result.err().unwrap_or_else(|| workflow_state::Error::new(Status::Ok, "succeeded".to_string()));
    (err, status, needle)
}

// ------------------------------------------------------------------------------------
// The model.

#[derive(Clone, Debug, Default, PartialEq)]
struct Snapshot {
    state: Vec<(String, Val)>,
    step: Option<String>,
}

impl Snapshot {
    fn text(&self) -> String {
        let entries: Vec<(String, String)> =
            self.state.iter().map(|(k, v)| (k.clone(), v.text.clone())).collect();
        object_text(&entries)
    }

    fn tree(&self) -> T {
        T::Obj(self.state.iter().map(|(k, v)| (k.clone(), T::parse(&v.text))).collect())
    }

    fn set_tree(&mut self, tree: &T) {
        let T::Obj(members) = tree else { unreachable!("a patch keeps the state an object") };
        self.state = members.iter().map(|(k, v)| (k.clone(), val_of(v))).collect();
    }
}

/// A value of the model's tree as `Val` (text, and an object's entries).
fn val_of(value: &T) -> Val {
    let object = match value {
        T::Obj(members) => Some(members.iter().map(|(k, v)| (k.clone(), v.text())).collect()),
        _ => None,
    };
    Val { text: value.text(), object }
}

type Stack = Vec<(Option<String>, Snapshot)>;

#[derive(Debug)]
struct Session {
    now: Snapshot,
    label: Option<String>,
    undo: Stack,
    redo: Stack,
    history: Vec<String>,
    /// Creation order, which is rowid order: the last tie-break of `list_sessions`.
    born: u64,
    /// The number of the session's latest change.
    revision: i64,
    /// Whether `updated_at` may have moved since the last check.
    touched: bool,
    /// `created_at` and `updated_at` as read at the last check.
    seen: Option<(String, String)>,
}

/// What an operation returns besides its status.
#[derive(Debug, PartialEq)]
enum Out {
    Unit,
    Done(bool),
    Text(Option<String>),
    Popped(Option<String>, String),
    Created(String),
    /// `apply`'s revision and `changed`.
    Applied(i64, bool),
}

#[derive(Default)]
struct Model {
    sessions: BTreeMap<(usize, String), Session>,
    born: u64,
    json_history: Option<Vec<String>>,
    depths: [usize; 2],
    read_only: [bool; 2],
    /// The latest number of the file's change sequence.
    seq: i64,
    /// Every session ever changed, live or deleted: the number of its latest change and
    /// whether that was its deletion (what `changes_since` lists).
    changes: BTreeMap<(usize, String), (i64, bool)>,
}

fn push_trimmed<T>(stack: &mut Vec<T>, item: T, depth: usize) {
    stack.push(item);
    let excess = stack.len().saturating_sub(depth);
    stack.drain(..excess);
}

impl Model {
    fn session(&mut self, flow: usize, id: &str) -> &mut Session {
        let born = &mut self.born;
        self.sessions.entry((flow, id.to_string())).or_insert_with(|| {
            *born += 1;
            Session {
                now: Snapshot::default(),
                label: None,
                undo: Vec::new(),
                redo: Vec::new(),
                history: Vec::new(),
                born: *born,
                revision: 0,
                touched: false,
                seen: None,
            }
        })
    }

    fn revision(&self, flow: usize, id: &str) -> i64 {
        self.sessions.get(&(flow, id.to_string())).map_or(0, |s| s.revision)
    }

    /// Runs `op` on the model; on success applies it, on failure changes nothing. A call
    /// that changed the session takes the next number of the sequence: its revision, or
    /// the number of its deletion. `created` is the id the library generated for
    /// `Create(_, None, _)`; `edit` is `Apply`'s edit made concrete.
    fn apply(
        &mut self,
        op: &Op,
        id: &str,
        created: Option<&str>,
        edit: Option<&Resolved>,
    ) -> Result<Out, Status> {
        let (out, changed) = self.run(op, id, created, edit)?;
        if changed {
            let id = match op {
                Op::Create(_, None, _) => created.expect("the library returns the id it generated"),
                _ => id,
            };
            let key = (op.at().flow, id.to_string());
            self.seq += 1;
            let deleted = match self.sessions.get_mut(&key) {
                Some(s) => {
                    s.revision = self.seq;
                    false
                }
                None => true,
            };
            self.changes.insert(key, (self.seq, deleted));
            if let Out::Applied(_, true) = out {
                return Ok(Out::Applied(self.seq, true));
            }
        }
        Ok(out)
    }

    /// `apply`'s work: the result, and whether the call changed the session.
    fn run(
        &mut self,
        op: &Op,
        id: &str,
        created: Option<&str>,
        edit: Option<&Resolved>,
    ) -> Result<(Out, bool), Status> {
        let handle = match op {
            Op::JsonPush(..) | Op::JsonPop(..) | Op::Bad(..) | Op::Reopen(..) => None,
            _ => Some(op.at().handle),
        };
        // JSON is checked before the store is asked to write, and measured where it will
        // be kept: a top-level value of the state, a value in a step's object, a
        // snapshot alone, a snapshot in a cjm history kept in a state.
        fn json_ok<'a>(mut values: impl Iterator<Item = &'a Json>, enclosing: usize) -> bool {
            values.all(|j| !j.refused && fits(j.nest, enclosing))
        }
        let json_fits = match op {
            Op::Update(_, updates, _) => json_ok(updates.iter().map(|(_, j)| j), 1),
            Op::UpdateStep(_, _, updates) => json_ok(updates.iter().map(|(_, j)| j), 2),
            Op::HistoryPush(_, snapshot) => json_ok(std::iter::once(snapshot), 0),
            Op::JsonPush(snapshot, max_depth, _) => *max_depth == 0 || json_ok(std::iter::once(snapshot), 2),
            _ => true,
        };
        if !json_fits {
            return Err(Status::InvalidJson);
        }
        if let Some(Err(status)) = edit.map(|e| &e.parsed) {
            return Err(*status);
        }
        if handle.is_some_and(|h| self.read_only[h]) {
            return Err(Status::Io);
        }
        let depth = handle.map_or(1, |h| self.depths[h]);
        let key = (op.at().flow, id.to_string());
        let exists = self.sessions.contains_key(&key);
        let changed = match op {
            Op::SetStep(a, step) => {
                let step = Some(STEPS[*step].to_string());
                let s = self.session(a.flow, id);
                let changed = !exists || s.now.step != step;
                s.now.step = step;
                s.touched |= changed;
                changed
            }
            Op::Update(a, updates, _) => {
                let s = self.session(a.flow, id);
                let before = s.now.text();
                merge(&mut s.now.state, updates.iter().map(|(k, v)| (k.clone(), v.val.clone())));
                let changed = !exists || s.now.text() != before;
                s.touched |= changed;
                changed
            }
            Op::UpdateStep(a, step, updates) => {
                let key = format!("_step_{}", STEPS[*step]);
                let mut step_entries = match self.sessions.get(&(a.flow, id.to_string())) {
                    None => Vec::new(),
                    Some(s) => match s.now.state.iter().find(|(k, _)| *k == key) {
                        None => Vec::new(),
                        Some((_, Val { object: Some(entries), .. })) => entries.clone(),
                        Some(_) => return Err(Status::Conflict),
                    },
                };
                merge(&mut step_entries, updates.iter().map(|(k, v)| (k.clone(), v.val.text.clone())));
                let s = self.session(a.flow, id);
                let before = s.now.text();
                merge(&mut s.now.state, [(key, Val::object(step_entries))]);
                let changed = !exists || s.now.text() != before;
                s.touched |= changed;
                changed
            }
            Op::ClearStepState(a, step) => {
                let key = format!("_step_{}", STEPS[*step]);
                let s = self.sessions.get_mut(&(a.flow, id.to_string()));
                match s.and_then(|s| Some((s.now.state.iter().position(|(k, _)| *k == key)?, s))) {
                    Some((i, s)) => {
                        s.now.state.remove(i);
                        s.touched = true;
                        true
                    }
                    None => false,
                }
            }
            Op::Delete(a, _) => self.sessions.remove(&(a.flow, id.to_string())).is_some(),
            Op::Create(a, session, label) => {
                let id = match session {
                    Some(_) => id,
                    None => created.expect("the library returns the id it generated"),
                };
                if self.sessions.contains_key(&(a.flow, id.to_string())) {
                    return Err(Status::AlreadyExists);
                }
                self.session(a.flow, id).label = label.map(|l| LABELS[l].to_string());
                return Ok((Out::Created(id.to_string()), true));
            }
            Op::SetLabel(a, label) => {
                let label = label.map(|l| LABELS[l].to_string());
                match self.sessions.get_mut(&(a.flow, id.to_string())) {
                    Some(s) if s.label != label => {
                        s.label = label;
                        s.touched = true;
                        true
                    }
                    _ => false,
                }
            }
            Op::HistoryPush(a, snapshot) => {
                push_trimmed(&mut self.session(a.flow, id).history, snapshot.val.text.clone(), depth);
                true
            }
            Op::HistoryPop(a) => {
                let popped = self.sessions.get_mut(&(a.flow, id.to_string())).and_then(|s| s.history.pop());
                let changed = popped.is_some();
                return Ok((Out::Text(popped), changed));
            }
            Op::HistoryClear(a) => match self.sessions.get_mut(&(a.flow, id.to_string())) {
                Some(s) if !s.history.is_empty() => {
                    s.history.clear();
                    true
                }
                _ => false,
            },
            Op::Checkpoint(a, label) => {
                let s = self.session(a.flow, id);
                let entry = (label.map(|l| LABELS[l].to_string()), s.now.clone());
                push_trimmed(&mut s.undo, entry, depth);
                s.redo.clear();
                true
            }
            Op::Undo(a) | Op::Redo(a) => {
                let Some(s) = self.sessions.get_mut(&(a.flow, id.to_string())) else {
                    return Ok((Out::Done(false), false));
                };
                let (from, to) = if matches!(op, Op::Undo(_)) {
                    (&mut s.undo, &mut s.redo)
                } else {
                    (&mut s.redo, &mut s.undo)
                };
                let Some((label, snapshot)) = from.pop() else { return Ok((Out::Done(false), false)) };
                if snapshot.text() != s.now.text() || snapshot.step != s.now.step {
                    s.touched = true;
                }
                let replaced = std::mem::replace(&mut s.now, snapshot);
                push_trimmed(to, (label, replaced), depth);
                return Ok((Out::Done(true), true));
            }
            Op::Apply(a, _) => {
                let Some(Ok(edit)) = edit.map(|e| &e.parsed) else { unreachable!("an edit is resolved") };
                return self.apply_edit(a.flow, id, edit, depth);
            }
            Op::JsonPush(snapshot, max_depth, _) => {
                if *max_depth == 0 {
                    return Err(Status::InvalidArgument);
                }
                let history = self.json_history.get_or_insert_with(Vec::new);
                push_trimmed(history, snapshot.val.text.clone(), *max_depth);
                return Ok((Out::Text(Some(array_text(history))), false));
            }
            Op::JsonPop(_) => {
                let history = self.json_history.get_or_insert_with(Vec::new);
                let popped = history.pop();
                return Ok((Out::Popped(popped, array_text(history)), false));
            }
            Op::Bad(..) => false,
            Op::Reopen(depths, _, second_read_only) => {
                self.depths = *depths;
                self.read_only = [false, *second_read_only];
                false
            }
        };
        Ok((Out::Unit, changed))
    }

    /// `ws_apply` of a well-formed edit, by the contract: the revision check, then
    /// `create`, then the patch (all or nothing); no change at all is `changed: false`
    /// (no number, no checkpoint, `updated_at` alone).
    fn apply_edit(
        &mut self,
        flow: usize,
        id: &str,
        edit: &ParsedEdit,
        depth: usize,
    ) -> Result<(Out, bool), Status> {
        let existing = self.sessions.get(&(flow, id.to_string()));
        let revision = existing.map_or(0, |s| s.revision);
        if edit.expect.is_some_and(|r| r != revision) {
            return Err(Status::Conflict);
        }
        if existing.is_none() && !edit.create {
            return Err(Status::NotFound);
        }
        let old = existing.map(|s| (s.now.clone(), s.label.clone())).unwrap_or_default();
        let new_state = match &edit.patch {
            Some(ops) => Some(patch::apply(&old.0.tree(), ops).ok_or(Status::Conflict)?),
            None => None,
        };
        let state_changed = new_state.as_ref().is_some_and(|t| t.text() != old.0.text());
        let step = edit.step.clone().or(old.0.step.clone());
        let label = edit.label.clone().unwrap_or(old.1.clone());
        if existing.is_some() && !state_changed && step == old.0.step && label == old.1 {
            return Ok((Out::Applied(revision, false), false));
        }
        let s = self.session(flow, id);
        // A checkpoint whose state and step the newest undo entry already holds pushes
        // nothing (ws_apply's checkpoint is ws_checkpoint_with's).
        let held = s.undo.last().is_some_and(|(_, top)| top.text() == old.0.text() && top.step == old.0.step);
        if let Some(checkpoint_label) = edit.checkpoint.as_ref().filter(|_| !held) {
            push_trimmed(&mut s.undo, (checkpoint_label.clone(), old.0.clone()), depth);
            s.redo.clear();
        }
        if let Some(tree) = &new_state {
            s.now.set_tree(tree);
        }
        s.now.step = step;
        s.label = label;
        s.touched = true;
        // `apply` gives the revision with the number it takes.
        Ok((Out::Applied(0, true), true))
    }

    /// Makes `Apply`'s recipe concrete against the session as it is now: the edit's text,
    /// and what it asks for, or the status its first bad member must give.
    fn resolve_edit(&self, flow: usize, id: &str, members: &[Member]) -> Resolved {
        let revision = self.revision(flow, id);
        let mut doc = self.sessions.get(&(flow, id.to_string())).map_or(T::Obj(Vec::new()), |s| s.now.tree());
        let mut parts = Vec::new();
        let mut parsed = ParsedEdit { create: true, ..ParsedEdit::default() };
        let mut refused = None;
        let label_text = |l: &Option<usize>| l.map_or("null".to_string(), |l| quoted(LABELS[l]));
        let mut names: Vec<&str> = Vec::new();
        for member in members {
            let name = match member {
                Member::Expect(_) => "expect_revision",
                Member::Patch(_) => "patch",
                Member::Step(_) => "step",
                Member::Label(_) => "label",
                Member::Checkpoint(..) => "checkpoint",
                Member::Create(_) => "create",
                Member::Bad(i) => BAD_MEMBERS[*i][1..].split('"').next().unwrap(),
            };
            let mut refuse = |status| {
                refused.get_or_insert(status);
            };
            // A member twice is refused where the second one starts.
            if names.contains(&name) {
                refuse(Status::InvalidJson);
            }
            names.push(name);
            match member {
                Member::Expect(expect) => {
                    let r = match expect {
                        Expect::Right => revision,
                        Expect::Zero => 0,
                        Expect::Stale(k) if revision > *k => revision - k,
                        Expect::Stale(k) => revision + k,
                    };
                    parts.push(format!("\"expect_revision\":{r}"));
                    parsed.expect = Some(r);
                }
                Member::Patch(PatchGen::Malformed(i)) => {
                    parts.push(format!("\"patch\":{}", MALFORMED[*i]));
                    refuse(Status::InvalidJson);
                }
                Member::Patch(PatchGen::Ops(gens)) => {
                    let mut texts = Vec::new();
                    let mut ops = Vec::new();
                    let mut well_formed = true;
                    for gen in gens {
                        let (text, op, ok) = resolve_op(&doc, gen);
                        well_formed &= ok;
                        // Later operations are made against the document as this one
                        // leaves it (when it fits).
                        if let Some(next) =
                            ok.then(|| patch::apply(&doc, std::slice::from_ref(&op))).flatten()
                        {
                            doc = next;
                        }
                        texts.push(text);
                        ops.push(op);
                    }
                    parts.push(format!("\"patch\":[{}]", texts.join(",")));
                    if !well_formed {
                        refuse(Status::InvalidJson);
                    }
                    parsed.patch = Some(ops);
                }
                Member::Step(step) => {
                    parts.push(format!("\"step\":{}", quoted(STEPS[*step])));
                    parsed.step = Some(STEPS[*step].to_string());
                }
                Member::Label(label) => {
                    parts.push(format!("\"label\":{}", label_text(label)));
                    parsed.label = Some(label.map(|l| LABELS[l].to_string()));
                }
                Member::Checkpoint(label, object) => {
                    let text = label_text(label);
                    parts.push(match object {
                        true => format!("\"checkpoint\":{{\"label\":{text}}}"),
                        false => format!("\"checkpoint\":{text}"),
                    });
                    parsed.checkpoint = Some(label.map(|l| LABELS[l].to_string()));
                }
                Member::Create(create) => {
                    parts.push(format!("\"create\":{create}"));
                    parsed.create = *create;
                }
                Member::Bad(i) => {
                    parts.push(BAD_MEMBERS[*i].to_string());
                    refuse(Status::InvalidArgument);
                }
            }
        }
        let text = format!("{{{}}}", parts.join(", "));
        Resolved { text, parsed: refused.map_or(Ok(parsed), Err) }
    }

    /// `changes_since(flow, after, limit)` as the library must write it, with its
    /// `last_seq` and `more`.
    fn feed(&self, flow: Option<usize>, after: i64, limit: usize) -> (String, i64, bool) {
        let mut entries: Vec<(&(usize, String), i64, bool)> = self
            .changes
            .iter()
            .filter(|((f, _), (seq, _))| *seq > after && flow.is_none_or(|flow| flow == *f))
            .map(|(key, (seq, deleted))| (key, *seq, *deleted))
            .collect();
        entries.sort_by_key(|(_, seq, _)| *seq);
        let limit = if limit == 0 { 1000 } else { limit };
        let more = entries.len() > limit;
        entries.truncate(limit);
        let last = if more { entries.last().expect("a full page").1 } else { after.max(self.seq) };
        let items: Vec<String> = entries
            .iter()
            .map(|((f, id), seq, deleted)| {
                json!({"seq": seq, "flow_id": FLOWS[*f], "session_id": id, "revision": seq, "deleted": deleted})
                    .to_string()
            })
            .collect();
        let text = format!(
            "{{\"changes\":[{}],\"last_seq\":{last},\"more\":{more},\"reset\":false}}",
            items.join(",")
        );
        (text, last, more)
    }
}

// ------------------------------------------------------------------------------------
// The library side, and the comparison.

struct World {
    path: PathBuf,
    stores: Vec<Store>,
    model: Model,
    /// Session ids `create_session` generated, in order (the pool's tail).
    created: Vec<String>,
    checks: usize,
    /// The latest timestamp read so far: a session created or changed since is newer.
    latest: String,
}

/// `synchronous: off`: durability is the crash test's subject; here an fsync per write
/// (which rollback-journal mode does even at `normal`) would only slow the run down.
fn open(path: &Path, depth: usize, journal_mode: JournalMode, read_only: bool) -> Store {
    let synchronous = Synchronous::Off;
    let options =
        Options { max_history_depth: depth, journal_mode, synchronous, read_only, ..Options::default() };
    Store::open(path.to_str().unwrap(), options).expect("the store opens")
}

fn fail(what: String) -> TestCaseError {
    TestCaseError::fail(what)
}

fn is_timestamp(t: &str) -> bool {
    // "YYYY-MM-DD HH:MM:SS", which Python's strptime("%Y-%m-%d %H:%M:%S") takes
    t.len() == 19
        && t.bytes().enumerate().all(|(i, b)| match i {
            4 | 7 => b == b'-',
            10 => b == b' ',
            13 | 16 => b == b':',
            _ => b.is_ascii_digit(),
        })
}

fn is_uuid4(id: &str) -> bool {
    let groups: Vec<&str> = id.split('-').collect();
    groups.iter().map(|g| g.len()).eq([8, 4, 4, 4, 12])
        && id.bytes().all(|b| b == b'-' || b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        && groups[2].starts_with('4')
        && matches!(groups[3].as_bytes()[0], b'8' | b'9' | b'a' | b'b')
}

impl World {
    fn new(path: PathBuf, depths: [usize; 2], journal: JournalMode) -> World {
        let stores = vec![open(&path, depths[0], journal, false), open(&path, depths[1], journal, false)];
        let model = Model { depths, ..Model::default() };
        World { path, stores, model, created: Vec::new(), checks: 0, latest: String::new() }
    }

    fn pool(&self) -> Vec<String> {
        SESSIONS.iter().map(|s| s.to_string()).chain(self.created.iter().cloned()).collect()
    }

    fn id(&self, at: &At) -> String {
        let pool = self.pool();
        pool[at.session % pool.len()].clone()
    }

    fn call(&mut self, op: &Op, id: &str, edit: Option<&Resolved>) -> Result<Out, workflow_state::Error> {
        let at = op.at();
        let (store, flow) = (&self.stores[at.handle], FLOWS[at.flow]);
        let unit = |r: workflow_state::Result<()>| r.map(|()| Out::Unit);
        match op {
            Op::SetStep(_, step) => unit(store.set_current_step(flow, id, STEPS[*step])),
            Op::Update(_, updates, spaced) => {
                unit(store.update_state(flow, id, &updates_text(updates, *spaced)))
            }
            Op::UpdateStep(_, step, updates) => {
                unit(store.update_step_state(flow, id, STEPS[*step], &updates_text(updates, false)))
            }
            Op::ClearStepState(_, step) => unit(store.clear_step_state(flow, id, STEPS[*step])),
            Op::Delete(_, true) => unit(store.clear_state(flow, id)),
            Op::Delete(_, false) => unit(store.delete_session(flow, id)),
            Op::Create(_, session, label) => {
                store.create_session(flow, session.map(|_| id), label.map(|l| LABELS[l])).map(Out::Created)
            }
            Op::SetLabel(_, label) => unit(store.set_session_label(flow, id, label.map(|l| LABELS[l]))),
            Op::HistoryPush(_, snapshot) => unit(store.history_push(flow, id, &snapshot.input)),
            Op::HistoryPop(_) => store.history_pop(flow, id).map(Out::Text),
            Op::HistoryClear(_) => unit(store.history_clear(flow, id)),
            Op::Checkpoint(_, label) => unit(store.checkpoint(flow, id, label.map(|l| LABELS[l]))),
            Op::Undo(_) => store.undo(flow, id).map(Out::Done),
            Op::Redo(_) => store.redo(flow, id).map(Out::Done),
            Op::Apply(..) => {
                let edit = edit.expect("an edit is resolved");
                store.apply(flow, id, &edit.text).map(|(revision, changed)| Out::Applied(revision, changed))
            }
            Op::JsonPush(snapshot, max_depth, spaced) => {
                let history = self.json_history_input(*spaced);
                json_history_push(history.as_deref(), &snapshot.input, *max_depth).map(|h| Out::Text(Some(h)))
            }
            Op::JsonPop(spaced) => {
                let history = self.json_history_input(*spaced).unwrap_or_else(|| "[]".to_string());
                json_history_pop(&history).map(|(s, h)| Out::Popped(s, h))
            }
            Op::Bad(_, which) => {
                let (err, status, needle) = bad_call(store, flow, id, *which);
                if err.status != status || !err.message.contains(needle) {
                    let msg = format!(
                        "bad call {which}: got {:?} {:?}, expected {status:?} with {needle:?}",
                        err.status, err.message
                    );
                    return Err(workflow_state::Error::new(Status::Internal, msg));
                }
                Ok(Out::Unit)
            }
            Op::Reopen(depths, journal, second_read_only) => {
                self.stores.clear();
                self.stores.push(open(&self.path, depths[0], *journal, false));
                self.stores.push(open(&self.path, depths[1], *journal, *second_read_only));
                Ok(Out::Unit)
            }
        }
    }

    /// The JSON history as the model holds it, spelled compactly or with whitespace;
    /// `None` before the first push (the nullable argument).
    fn json_history_input(&self, spaced: bool) -> Option<String> {
        let items = self.model.json_history.as_ref()?;
        Some(if spaced { format!("[ {} ]", items.join(" ,\n ")) } else { array_text(items) })
    }

    fn step(&mut self, i: usize, op: &Op) -> Result<(), TestCaseError> {
        let at = op.at();
        let id = self.id(&at);
        let edit = match op {
            Op::Apply(a, members) => Some(self.model.resolve_edit(a.flow, &id, members)),
            _ => None,
        };
        let got = self.call(op, &id, edit.as_ref());
        let created = match (&got, op) {
            (Ok(Out::Created(new)), Op::Create(_, None, _)) => {
                if !is_uuid4(new) {
                    return Err(fail(format!(
                        "op {i} {op:?}: generated id {new:?} is not a lowercase UUID4"
                    )));
                }
                Some(new.clone())
            }
            _ => None,
        };
        let expected = self.model.apply(op, &id, created.as_deref(), edit.as_ref());
        let op_text = match &edit {
            Some(edit) => format!("{op:?} with edit {}", edit.text),
            None => format!("{op:?}"),
        };
        match (&got, &expected) {
            (Ok(got), Ok(expected)) if got == expected => {}
            (Err(err), Err(status)) if err.status == *status && !err.message.is_empty() => {}
            _ => {
                let got = got.as_ref().map_err(|e| (e.status, e.message.clone()));
                return Err(fail(format!(
                    "op {i} {op_text} on {id:?}:\n  library: {got:?}\n  model:   {expected:?}"
                )));
            }
        }
        if let Op::Apply(..) = op {
            let outcome = match &expected {
                Ok(Out::Applied(_, true)) => "changed",
                Ok(_) => "unchanged",
                Err(Status::Conflict) => "CONFLICT",
                Err(Status::NotFound) => "NOT_FOUND",
                Err(Status::InvalidJson) => "INVALID_JSON",
                Err(Status::InvalidArgument) => "INVALID_ARGUMENT",
                Err(_) => "IO (read-only)",
            };
            *APPLIED.lock().unwrap().entry(outcome).or_default() += 1;
        }
        if let Some(new) = created {
            self.created.push(new);
        }
        self.check().map_err(|e| fail(format!("after op {i} {op_text} on {id:?}: {e}")))
    }

    /// Everything readable against the model: all of it through one handle (each in
    /// turn), and every state through the other as well, since each handle keeps its own
    /// cache of the states it has read or written.
    fn check(&mut self) -> Result<(), String> {
        let pool = self.pool();
        let (full, other) = (self.checks % 2, (self.checks + 1) % 2);
        for flow in 0..FLOWS.len() {
            for id in &pool {
                self.check_session(full, flow, id)?;
                self.check_state(other, flow, id)?;
                if let Some(s) = self.model.sessions.get_mut(&(flow, id.clone())) {
                    s.touched = false;
                }
            }
            self.check_lists(full, flow)?;
        }
        self.check_feed(full)?;
        let latest =
            self.stores[other].latest_seq().map_err(|e| format!("latest_seq via handle {other}: {e}"))?;
        if latest != self.model.seq {
            return Err(format!("latest_seq via handle {other}: {latest}, model {}", self.model.seq));
        }
        let seen = self.model.sessions.values().filter_map(|s| s.seen.as_ref());
        if let Some(latest) = seen.map(|(_, updated)| updated).max() {
            self.latest = self.latest.clone().max(latest.clone());
        }
        self.checks += 1;
        Ok(())
    }

    /// The change sequence through one handle: `latest_seq`, the whole feed, and a
    /// follower's pages (from a number that moves with the checks, 1 to 3 changes a
    /// page, of every flow or of one in turn) until `more` is false.
    fn check_feed(&self, handle: usize) -> Result<(), String> {
        let store = &self.stores[handle];
        let latest = store.latest_seq().map_err(|e| format!("latest_seq via handle {handle}: {e}"))?;
        if latest != self.model.seq {
            return Err(format!("latest_seq via handle {handle}: {latest}, model {}", self.model.seq));
        }
        let page = |flow: Option<usize>, after: i64, limit: usize| {
            let got = store
                .changes_since(flow.map(|f| FLOWS[f]), after, limit)
                .map_err(|e| format!("changes_since({flow:?}, {after}, {limit}) via handle {handle}: {e}"))?;
            let (want, last, more) = self.model.feed(flow, after, limit);
            if got != want {
                return Err(format!(
                    "changes_since({flow:?}, {after}, {limit}) via handle {handle}:\n  library: {got}\n  model:   {want}"
                ));
            }
            Ok((last, more))
        };
        page(None, 0, 0)?;
        let flow = [None, Some(0), Some(1), Some(2)][self.checks % 4];
        let limit = 1 + self.checks % 3;
        let mut after = (self.checks as i64 * 5) % (self.model.seq + 2);
        loop {
            let (last, more) = page(flow, after, limit)?;
            if !more {
                return Ok(());
            }
            after = last;
        }
    }

    fn check_state(&self, handle: usize, flow: usize, id: &str) -> Result<(), String> {
        let f = FLOWS[flow];
        let want =
            self.model.sessions.get(&(flow, id.to_string())).map_or("{}".to_string(), |s| s.now.text());
        let state = self.stores[handle]
            .get_state(f, id)
            .map_err(|e| format!("get_state of {f:?}/{id:?} via handle {handle}: {e}"))?;
        if state != want {
            return Err(format!(
                "state of {f:?}/{id:?} via handle {handle}:\n  library: {state}\n  model:   {want}"
            ));
        }
        Ok(())
    }

    fn check_session(&mut self, handle: usize, flow: usize, id: &str) -> Result<(), String> {
        self.check_state(handle, flow, id)?;
        let store = &self.stores[handle];
        let f = FLOWS[flow];
        let err =
            |what: &str, e: workflow_state::Error| format!("{what} of {f:?}/{id:?} via handle {handle}: {e}");
        let model = self.model.sessions.get_mut(&(flow, id.to_string()));
        let empty = Snapshot::default();
        let now = model.as_ref().map_or(&empty, |s| &s.now);
        let step = store.get_current_step(f, id).map_err(|e| err("get_current_step", e))?;
        if step != now.step {
            return Err(format!(
                "current step of {f:?}/{id:?} via handle {handle}: {step:?}, model {:?}",
                now.step
            ));
        }
        for s in STEPS {
            let got = store.get_step_state(f, id, s).map_err(|e| err("get_step_state", e))?;
            let key = format!("_step_{s}");
            let want =
                now.state.iter().find(|(k, _)| *k == key).map_or("{}".to_string(), |(_, v)| v.text.clone());
            if got != want {
                return Err(format!("step {s:?} of {f:?}/{id:?} via handle {handle}: {got}, model {want}"));
            }
        }
        let exists = store.session_exists(f, id).map_err(|e| err("session_exists", e))?;
        if exists != model.is_some() {
            return Err(format!("session_exists({f:?}, {id:?}) via handle {handle} is {exists}"));
        }

        let (undo, redo, history): (&[_], &[_], &[String]) =
            model.as_ref().map_or((&[], &[], &[]), |s| (&s.undo, &s.redo, &s.history));
        let label = |stack: &[(Option<String>, Snapshot)]| json!(stack.last().and_then(|(l, _)| l.clone()));
        let want = json!({
            "undo_depth": undo.len(),
            "redo_depth": redo.len(),
            "undo_label": label(undo),
            "redo_label": label(redo),
            // The 0.1 calls this model makes record no meta and never mark a state clean
            // (tests/undo_model.rs checks those).
            "undo_meta": null,
            "redo_meta": null,
            "clean": false,
        })
        .to_string();
        let status = store.undo_status(f, id).map_err(|e| err("undo_status", e))?;
        if status != want {
            return Err(format!("undo status of {f:?}/{id:?} via handle {handle}: {status}, model {want}"));
        }
        let len = store.history_len(f, id).map_err(|e| err("history_len", e))?;
        let top = store.history_peek(f, id).map_err(|e| err("history_peek", e))?;
        if len != history.len() || top.as_ref() != history.last() {
            return Err(format!(
                "history of {f:?}/{id:?} via handle {handle}: {len} entries, top {top:?}; model {} entries, top {:?}",
                history.len(),
                history.last()
            ));
        }

        let revision = store.get_revision(f, id).map_err(|e| err("get_revision", e))?;
        let want = model.as_ref().map_or(0, |s| s.revision);
        if revision != want {
            return Err(format!("revision of {f:?}/{id:?} via handle {handle}: {revision}, model {want}"));
        }
        let summary = store.get_session_summary(f, id).map_err(|e| err("get_session_summary", e))?;
        match (summary, model) {
            (None, None) => match store.get_session(f, id).map_err(|e| err("get_session", e))? {
                None => Ok(()),
                Some(got) => {
                    Err(format!("get_session of {f:?}/{id:?} via handle {handle}: {got}, model has none"))
                }
            },
            (Some(text), Some(s)) => {
                let value: Value = serde_json::from_str(&text).map_err(|e| format!("summary {text}: {e}"))?;
                let created = value["created_at"].as_str().unwrap_or_default().to_string();
                let updated = value["updated_at"].as_str().unwrap_or_default().to_string();
                if !is_timestamp(&created) || !is_timestamp(&updated) {
                    return Err(format!("summary of {f:?}/{id:?}: bad timestamps in {text}"));
                }
                // Timestamps come from the clock, so they are only checked for order:
                // what a call creates or changes is at least as new as anything before it.
                let latest = &self.latest;
                let times_ok = match &s.seen {
                    None => created == updated && created >= *latest,
                    Some((c, u)) => {
                        *c == created && if s.touched { updated >= *latest } else { updated == *u }
                    }
                };
                if !times_ok {
                    return Err(format!(
                        "timestamps of {f:?}/{id:?} via handle {handle}: {created} / {updated}, before {:?}, touched: {}",
                        s.seen, s.touched
                    ));
                }
                s.seen = Some((created, updated));
                let want = summary_text(f, id, s);
                if text != want {
                    return Err(format!(
                        "summary of {f:?}/{id:?} via handle {handle}:\n  library: {text}\n  model:   {want}"
                    ));
                }
                let got = store.get_session(f, id).map_err(|e| err("get_session", e))?;
                let want = session_text(f, id, s);
                if got.as_ref() != Some(&want) {
                    return Err(format!(
                        "get_session of {f:?}/{id:?} via handle {handle}:\n  library: {got:?}\n  model:   {want}"
                    ));
                }
                Ok(())
            }
            (got, _) => Err(format!("summary of {f:?}/{id:?} via handle {handle}: {got:?}, model has none")),
        }
    }

    fn check_lists(&self, handle: usize, flow: usize) -> Result<(), String> {
        let f = FLOWS[flow];
        let mut sessions: Vec<(&String, &Session)> = self
            .model
            .sessions
            .iter()
            .filter(|((fl, _), _)| *fl == flow)
            .map(|((_, id), s)| (id, s))
            .collect();
        for order in [Order::UpdatedAt, Order::CreatedAt, Order::Label] {
            // ORDER BY the column (NULL first); ties of updated_at by the change sequence
            // (the revision), of created_at by creation order (rowid), of labels by
            // created_at, then creation order.
            let sort_key = |s: &Session| {
                let (created, updated) = s.seen.clone().expect("checked before the lists");
                match order {
                    Order::UpdatedAt => (Some(updated), String::new(), s.revision as u64),
                    Order::CreatedAt => (Some(created), String::new(), s.born),
                    Order::Label => (s.label.clone(), created, s.born),
                }
            };
            sessions.sort_by_key(|(_, s)| sort_key(s));
            for descending in [false, true] {
                let mut items: Vec<String> = sessions.iter().map(|(id, s)| summary_text(f, id, s)).collect();
                if descending {
                    items.reverse();
                }
                let want = format!("[{}]", items.join(","));
                let got = self.stores[handle]
                    .list_sessions(f, order, descending)
                    .map_err(|e| format!("list_sessions({f:?}, {order:?}, {descending}): {e}"))?;
                if got != want {
                    return Err(format!(
                        "list_sessions({f:?}, {order:?}, descending {descending}) via handle {handle}:\n  library: {got}\n  model:   {want}"
                    ));
                }
            }
        }
        Ok(())
    }
}

fn summary_text(flow: &str, id: &str, s: &Session) -> String {
    let (created, updated) = s.seen.clone().unwrap_or_default();
    json!({
        "flow_id": flow,
        "session_id": id,
        "label": s.label,
        "current_step": s.now.step,
        "created_at": created,
        "updated_at": updated,
        "state_size_bytes": s.now.text().len(),
    })
    .to_string()
}

/// `get_session`'s snapshot: the summary's fields with the state and the revision.
fn session_text(flow: &str, id: &str, s: &Session) -> String {
    let (created, updated) = s.seen.clone().unwrap_or_default();
    let text = |t: &Option<String>| serde_json::to_string(t).unwrap();
    format!(
        "{{\"flow_id\":{},\"session_id\":{},\"label\":{},\"current_step\":{},\"state\":{},\"revision\":{},\"created_at\":{},\"updated_at\":{}}}",
        quoted(flow),
        quoted(id),
        text(&s.label),
        text(&s.now.step),
        s.now.text(),
        s.revision,
        quoted(&created),
        quoted(&updated)
    )
}

// ------------------------------------------------------------------------------------

/// How the `apply` edits turned out, printed at the end: each outcome must be common.
static APPLIED: std::sync::Mutex<BTreeMap<&str, usize>> = std::sync::Mutex::new(BTreeMap::new());

fn scratch_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("model-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(DEFAULT_CASES)
}

#[test]
fn the_store_behaves_like_the_model() {
    let dir = scratch_dir();
    let case = AtomicUsize::new(0);
    let operations = AtomicUsize::new(0);
    let config = Config { cases: cases(), failure_persistence: None, ..Config::default() };
    let depth = prop::sample::select(&DEPTHS[..]);
    let journal = prop_oneof![Just(JournalMode::Wal), Just(JournalMode::Delete)];
    let strategy = (prop::collection::vec(op(), 1..100), depth.clone(), depth, journal);
    let result = TestRunner::new(config).run(&strategy, |(ops, d0, d1, journal)| {
        let path = dir.join(format!("case-{}.db", case.fetch_add(1, Ordering::Relaxed)));
        let mut world = World::new(path.clone(), [d0, d1], journal);
        world.check().map_err(|e| fail(format!("fresh store: {e}")))?;
        for (i, op) in ops.iter().enumerate() {
            world.step(i, op)?;
        }
        operations.fetch_add(ops.len(), Ordering::Relaxed);
        drop(world);
        for suffix in ["", "-wal", "-shm", "-journal"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
        }
        Ok(())
    });
    let _ = std::fs::remove_dir_all(&dir);
    if let Err(e) = result {
        panic!("{e}");
    }
    println!("model: {} cases, {} operations checked", cases(), operations.load(Ordering::Relaxed));
    println!("model: apply edits (shrinking included): {:?}", APPLIED.lock().unwrap());
}
