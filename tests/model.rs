//! Model-based test of the whole `Store` API: random sequences of every operation (state,
//! step state, current step, sessions and labels, history stacks, undo/redo, the JSON
//! history functions, invalid calls), on three flows and several sessions, through two
//! store handles on one file (one of them sometimes read-only), with both handles closed
//! and reopened in between (other `max_history_depth`s, the other journal mode). A plain
//! in-memory model runs the same operations; after every operation every session is read
//! back through both handles and must equal the model exactly: state text (key order,
//! number spelling, escapes), current step, each step's state, existence, summary,
//! `list_sessions` in all six orders, undo status and history top. Timestamps cannot be
//! predicted, so they are checked for what is promised: `created_at` never moves, calls
//! that leave `updated_at` alone leave it byte for byte, the others never move it back.
//!
//! The core API is tested rather than the `ws_*` exports: each export is a few lines over
//! one `Store` method (pointer checks, strings), which the C tests cover; going through
//! Rust keeps this test about behaviour.
//!
//! `PROPTEST_CASES=2000 cargo test --release --test model -- --nocapture` runs more
//! cases (and prints the number of operations checked).

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
            | Op::Bad(a, _) => *a,
            Op::JsonPush(..) | Op::JsonPop(..) | Op::Reopen(..) => At { handle: 0, flow: 0, session: 0 },
        }
    }
}

const BAD_CALLS: usize = 14;

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
        _ => (store.checkpoint(at_flow, "", None), Status::InvalidArgument, "session_id must not be empty"),
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
}

#[derive(Default)]
struct Model {
    sessions: BTreeMap<(usize, String), Session>,
    born: u64,
    json_history: Option<Vec<String>>,
    depths: [usize; 2],
    read_only: [bool; 2],
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
                touched: false,
                seen: None,
            }
        })
    }

    /// Runs `op` on the model; on success applies it, on failure changes nothing.
    /// `created` is the id the library generated for `Create(_, None, _)`.
    fn apply(&mut self, op: &Op, id: &str, created: Option<&str>) -> Result<Out, Status> {
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
        if handle.is_some_and(|h| self.read_only[h]) {
            return Err(Status::Io);
        }
        let depth = handle.map_or(1, |h| self.depths[h]);
        match op {
            Op::SetStep(a, step) => {
                let s = self.session(a.flow, id);
                s.now.step = Some(STEPS[*step].to_string());
                s.touched = true;
            }
            Op::Update(a, updates, _) => {
                let s = self.session(a.flow, id);
                merge(&mut s.now.state, updates.iter().map(|(k, v)| (k.clone(), v.val.clone())));
                s.touched = true;
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
                merge(&mut s.now.state, [(key, Val::object(step_entries))]);
                s.touched = true;
            }
            Op::ClearStepState(a, step) => {
                let key = format!("_step_{}", STEPS[*step]);
                if let Some(s) = self.sessions.get_mut(&(a.flow, id.to_string())) {
                    if let Some(i) = s.now.state.iter().position(|(k, _)| *k == key) {
                        s.now.state.remove(i);
                        s.touched = true;
                    }
                }
            }
            Op::Delete(a, _) => {
                self.sessions.remove(&(a.flow, id.to_string()));
            }
            Op::Create(a, session, label) => {
                let id = match session {
                    Some(_) => id,
                    None => created.expect("the library returns the id it generated"),
                };
                if self.sessions.contains_key(&(a.flow, id.to_string())) {
                    return Err(Status::AlreadyExists);
                }
                self.session(a.flow, id).label = label.map(|l| LABELS[l].to_string());
                return Ok(Out::Created(id.to_string()));
            }
            Op::SetLabel(a, label) => {
                if let Some(s) = self.sessions.get_mut(&(a.flow, id.to_string())) {
                    s.label = label.map(|l| LABELS[l].to_string());
                    s.touched = true;
                }
            }
            Op::HistoryPush(a, snapshot) => {
                push_trimmed(&mut self.session(a.flow, id).history, snapshot.val.text.clone(), depth)
            }
            Op::HistoryPop(a) => {
                let popped = self.sessions.get_mut(&(a.flow, id.to_string())).and_then(|s| s.history.pop());
                return Ok(Out::Text(popped));
            }
            Op::HistoryClear(a) => {
                if let Some(s) = self.sessions.get_mut(&(a.flow, id.to_string())) {
                    s.history.clear();
                }
            }
            Op::Checkpoint(a, label) => {
                let s = self.session(a.flow, id);
                let entry = (label.map(|l| LABELS[l].to_string()), s.now.clone());
                push_trimmed(&mut s.undo, entry, depth);
                s.redo.clear();
            }
            Op::Undo(a) | Op::Redo(a) => {
                let Some(s) = self.sessions.get_mut(&(a.flow, id.to_string())) else {
                    return Ok(Out::Done(false));
                };
                let (from, to) = if matches!(op, Op::Undo(_)) {
                    (&mut s.undo, &mut s.redo)
                } else {
                    (&mut s.redo, &mut s.undo)
                };
                let Some((label, snapshot)) = from.pop() else { return Ok(Out::Done(false)) };
                if snapshot.text() != s.now.text() || snapshot.step != s.now.step {
                    s.touched = true;
                }
                let replaced = std::mem::replace(&mut s.now, snapshot);
                push_trimmed(to, (label, replaced), depth);
                return Ok(Out::Done(true));
            }
            Op::JsonPush(snapshot, max_depth, _) => {
                if *max_depth == 0 {
                    return Err(Status::InvalidArgument);
                }
                let history = self.json_history.get_or_insert_with(Vec::new);
                push_trimmed(history, snapshot.val.text.clone(), *max_depth);
                return Ok(Out::Text(Some(array_text(history))));
            }
            Op::JsonPop(_) => {
                let history = self.json_history.get_or_insert_with(Vec::new);
                let popped = history.pop();
                return Ok(Out::Popped(popped, array_text(history)));
            }
            Op::Bad(..) => {}
            Op::Reopen(depths, _, second_read_only) => {
                self.depths = *depths;
                self.read_only = [false, *second_read_only];
            }
        }
        Ok(Out::Unit)
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

    fn call(&mut self, op: &Op, id: &str) -> Result<Out, workflow_state::Error> {
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
        let got = self.call(op, &id);
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
        let expected = self.model.apply(op, &id, created.as_deref());
        match (&got, &expected) {
            (Ok(got), Ok(expected)) if got == expected => {}
            (Err(err), Err(status)) if err.status == *status && !err.message.is_empty() => {}
            _ => {
                let got = got.as_ref().map_err(|e| (e.status, e.message.clone()));
                return Err(fail(format!(
                    "op {i} {op:?} on {id:?}:\n  library: {got:?}\n  model:   {expected:?}"
                )));
            }
        }
        if let Some(new) = created {
            self.created.push(new);
        }
        self.check().map_err(|e| fail(format!("after op {i} {op:?} on {id:?}: {e}")))
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
        let seen = self.model.sessions.values().filter_map(|s| s.seen.as_ref());
        if let Some(latest) = seen.map(|(_, updated)| updated).max() {
            self.latest = self.latest.clone().max(latest.clone());
        }
        self.checks += 1;
        Ok(())
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

        let summary = store.get_session_summary(f, id).map_err(|e| err("get_session_summary", e))?;
        match (summary, model) {
            (None, None) => Ok(()),
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
            // ORDER BY the column, then created_at, then rowid (creation order); NULL first.
            let sort_key = |s: &Session| {
                let (created, updated) = s.seen.clone().expect("checked before the lists");
                let column = match order {
                    Order::UpdatedAt => Some(updated),
                    Order::CreatedAt => Some(created.clone()),
                    Order::Label => s.label.clone(),
                };
                (column, created, s.born)
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

// ------------------------------------------------------------------------------------

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
}
