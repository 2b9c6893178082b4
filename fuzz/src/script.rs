//! The fuzz input and how it runs.
//!
//! An input is a script: one call per line (`\n`), fields separated by tabs. The first
//! byte of a line picks the call (the letters below; any other byte picks one by its
//! value, so every mutation still means something); the other fields are its string
//! arguments in the C order, store excluded. A missing field or one that starts with a
//! NUL byte is a NULL pointer; any other field is passed as the bytes up to its first
//! NUL (so ids and JSON may be empty, not UTF-8, or anything else). Integer arguments
//! are decimal text. For example:
//!
//! ```text
//! u	signup	s1	{"name":"Ada","n":1e400}
//! U	signup	s1	profile	{"age":36}
//! K	signup	s1	Typing
//! z	signup	s1
//! l	signup	2	1
//! ```
//!
//! Every input runs on its own new store on a new file (`api.db` in `$WS_FUZZ_DB_DIR`,
//! see `db_path`), so it reproduces on its own; an `o` line starts again on a new file. Each call's status must be the one the contract gives for its
//! arguments and the store's content (a [`Model`] of every session), and after each call
//! on a session the library's view of that session (state, summary, history, undo
//! status, revision) must equal the model's, through the store that made the call and
//! through a second, read-only store on the same file.
//!
//! The change sequence is modelled exactly: a call that changes a session's row (state,
//! step, label, existence) or its stacks takes the next number, which becomes its
//! revision (deletions are remembered as deleted); any other call, failed ones included,
//! takes none. After every call on a session, `ws_latest_seq` through both stores and the
//! whole feed (`ws_changes_since` from 0) through the read-only one must equal the model.
//! `ws_apply` takes arbitrary edits: an edit the library accepts must be one the oracle
//! (`edit.rs`) reads as well-formed, with the result, state, step, label and checkpoint
//! it predicts (`"changed": false` taking no number); a `WS_CONFLICT` or `WS_NOT_FOUND`
//! must have the reason the oracle finds; any refusal must leave everything as it was.
//!
//! Undo for editors is modelled as well: `ws_apply`'s checkpoint object (`label`,
//! `merge_key`, `merge_window_ms`, `meta`), whose meta moves with its entry and shows in
//! the undo status; its checkpoint pushing nothing when the newest undo entry holds the
//! session's state and step already; and merge runs, which an undo, a redo or a
//! checkpoint without the run's key ends. Whether a checkpoint merges depends on the
//! system clock, which the harness reads around each call as the library does: a call
//! that the instant of the library's reading could decide either way (the window ending
//! within `MAX_CALL_MS` after the call starts) is not made, since later checkpoints would
//! tell the two outcomes apart and no check now could. `"clean"` is always false (the
//! harness never marks a state clean). A byte budget (`max_history_bytes`) must be
//! accepted; the input then runs without it, as the model does not count stored bytes.

use crate::capi::{self, expect, json_out, status_name, Arg, Call, NULL};
use crate::edit;
use crate::model::{push_trimmed, Checkpoint, Key, Model, Run, Session};
use crate::tree::{self, Obj, Text, J};
use std::ffi::{CStr, CString};
use workflow_state::ffi::*;

#[derive(Clone, Copy, Debug)]
enum Op {
    GetState,
    UpdateState,
    ClearState,
    GetStepState,
    UpdateStepState,
    ClearStepState,
    GetCurrentStep,
    SetCurrentStep,
    CreateSession,
    SessionExists,
    GetSessionSummary,
    ListSessions,
    SetSessionLabel,
    DeleteSession,
    HistoryPush,
    HistoryPop,
    HistoryPeek,
    HistoryLen,
    HistoryClear,
    Checkpoint,
    Undo,
    Redo,
    UndoStatus,
    JsonHistoryPush,
    JsonHistoryPop,
    Reopen,
    StatusName,
    Apply,
    GetSession,
    GetRevision,
    ChangesSince,
    LatestSeq,
}

/// The letter of each call, and its arguments.
const OPS: &[(u8, Op)] = &[
    (b'g', Op::GetState),          // flow, session
    (b'u', Op::UpdateState),       // flow, session, updates
    (b'c', Op::ClearState),        // flow, session
    (b'G', Op::GetStepState),      // flow, session, step
    (b'U', Op::UpdateStepState),   // flow, session, step, updates
    (b'C', Op::ClearStepState),    // flow, session, step
    (b't', Op::GetCurrentStep),    // flow, session
    (b'T', Op::SetCurrentStep),    // flow, session, step
    (b'n', Op::CreateSession),     // flow, session (NULL: a UUID), label
    (b'e', Op::SessionExists),     // flow, session
    (b'm', Op::GetSessionSummary), // flow, session
    (b'l', Op::ListSessions),      // flow, order_by, descending
    (b'L', Op::SetSessionLabel),   // flow, session, label
    (b'd', Op::DeleteSession),     // flow, session
    (b'p', Op::HistoryPush),       // flow, session, snapshot
    (b'P', Op::HistoryPop),        // flow, session
    (b'k', Op::HistoryPeek),       // flow, session
    (b'h', Op::HistoryLen),        // flow, session
    (b'H', Op::HistoryClear),      // flow, session
    (b'K', Op::Checkpoint),        // flow, session, label
    (b'z', Op::Undo),              // flow, session
    (b'Z', Op::Redo),              // flow, session
    (b's', Op::UndoStatus),        // flow, session
    (b'j', Op::JsonHistoryPush),   // history, snapshot, max_depth
    (b'J', Op::JsonHistoryPop),    // history
    (b'o', Op::Reopen),            // options (NULL: ws_store_open)
    (b'x', Op::StatusName),        // status
    (b'a', Op::Apply),             // flow, session, edit
    (b'S', Op::GetSession),        // flow, session
    (b'r', Op::GetRevision),       // flow, session
    (b'f', Op::ChangesSince),      // flow (NULL: every flow), after_seq, limit
    (b'q', Op::LatestSeq),         //
];

fn op_of(code: u8) -> Op {
    OPS.iter().find(|(c, _)| *c == code).map_or(OPS[code as usize % OPS.len()].1, |&(_, op)| op)
}

/// No call takes more string arguments.
const MAX_ARGS: usize = 4;

pub fn run(data: &[u8]) {
    let mut harness = Harness::open(&NULL);
    for line in data.split(|&b| b == b'\n') {
        let mut fields = line.split(|&b| b == b'\t');
        let Some(&code) = fields.next().and_then(<[u8]>::first) else { continue };
        let args: Vec<Arg> = fields.take(MAX_ARGS).map(Arg::field).collect();
        harness.step(op_of(code), &args);
    }
    harness.close();
    capi::clear_message();
}

/// A flow id the library must take: UTF-8, non-empty, no ':'.
fn flow_id(arg: &Arg) -> Option<&str> {
    arg.str().filter(|f| !f.is_empty() && !f.contains(':'))
}

/// A session or step id the library must take: UTF-8, non-empty.
fn id(arg: &Arg) -> Option<&str> {
    arg.str().filter(|s| !s.is_empty())
}

fn session_key(flow: &Arg, session: &Arg) -> Option<Key> {
    Some((flow_id(flow)?.to_owned(), id(session)?.to_owned()))
}

/// A nullable string argument the library must take: NULL or UTF-8.
fn nullable(arg: &Arg) -> Option<Option<String>> {
    if arg.is_null() {
        Some(None)
    } else {
        arg.str().map(|s| Some(s.to_owned()))
    }
}

/// An integer argument: decimal text, else the bytes folded into a number (so that
/// mutated text still reaches odd values).
fn integer(arg: &Arg) -> i64 {
    let text = String::from_utf8_lossy(arg.bytes());
    text.trim()
        .parse()
        .unwrap_or_else(|_| arg.bytes().iter().fold(0i64, |n, &b| n.wrapping_mul(31).wrapping_add(b as i64)))
}

/// The library keeps JSON at most 512 levels deep where it goes: the text's own nesting
/// plus `wrap`, the containers the call puts around it (the state around a step's object,
/// a state and an array around a cjm history's snapshot).
const MAX_DEPTH: usize = 512;

#[derive(Clone, Copy, PartialEq)]
enum Shape {
    Any,
    Object,
    Array,
}

/// A JSON argument as the oracle reads it: its tree, or the status the call must fail
/// with.
fn json_arg(arg: &Arg, shape: Shape, wrap: usize) -> Result<J, ws_status> {
    let text = arg.str().ok_or(WS_INVALID_ARGUMENT)?;
    let read = Text::read(text);
    if read.depth + wrap > MAX_DEPTH || read.python_refuses_a_number {
        return Err(WS_INVALID_JSON);
    }
    let tree = read.tree.ok_or(WS_INVALID_JSON)?;
    let fits = match (&tree, shape) {
        (_, Shape::Any) | (J::Obj(_), Shape::Object) | (J::Arr(_), Shape::Array) => true,
        _ => false,
    };
    if !fits {
        return Err(WS_INVALID_JSON);
    }
    Ok(tree)
}

/// The status a call must return once its ids are known to be good or bad.
fn allowed(ids_ok: bool, json: &Result<J, ws_status>) -> Vec<ws_status> {
    match (ids_ok, json) {
        (false, _) => vec![WS_INVALID_ARGUMENT],
        (true, Err(status)) => vec![*status],
        (true, Ok(_)) => vec![WS_OK],
    }
}

fn status_allowed(ok: bool) -> [ws_status; 1] {
    [if ok { WS_OK } else { WS_INVALID_ARGUMENT }]
}

fn str_or_null(value: &Option<String>) -> J {
    value.as_ref().map_or(J::Null, |s| J::Str(s.clone()))
}

fn obj(fields: Vec<(&str, J)>) -> J {
    J::Obj(fields.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
}

/// A session's row as `Model::row` gives it, plus whether an edit changes it.
type Row = (Obj, Option<String>, Option<String>, bool);

/// The library's clock (the system clock, ms since the Unix epoch): it decides merges.
fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// Longer than any one call can take: libFuzzer gives a whole input 10 s (`run.sh`).
const MAX_CALL_MS: i64 = 60_000;

/// Whether a checkpoint made while the library's clock reads between `now.0` and `now.1`
/// merges into the session's newest undo entry: its key is the entry's run's, the redo
/// stack is empty and `0 <= now - made < window`. `None` when the readings allow both.
fn merges(session: &Session, checkpoint: &edit::Checkpoint, now: (i64, i64)) -> Option<bool> {
    let run = session.undo.last().and_then(|top| top.run.as_ref());
    let Some(run) =
        run.filter(|run| Some(&run.key) == checkpoint.merge_key.as_ref() && session.redo.is_empty())
    else {
        return Some(false);
    };
    let (least, most) = (now.0 - run.made.1, now.1 - run.made.0);
    if least >= 0 && most < checkpoint.merge_window_ms {
        Some(true)
    } else if most < 0 || least >= checkpoint.merge_window_ms {
        Some(false)
    } else {
        None
    }
}

/// Ends the session's merge run: only the newest undo entry may hold one.
fn end_run(session: &mut Session) {
    if let Some(top) = session.undo.last_mut() {
        top.run = None;
    }
}

/// A checkpoint of `ws_apply` that does not merge, made while the clock read between
/// `made.0` and `made.1`: it ends the merge run and, unless the newest undo entry holds
/// the session's state and step already (a session that `existed`), pushes them with
/// its label and meta, opening a run if it has a merge key, and empties the redo stack.
fn record(
    session: &mut Session,
    checkpoint: edit::Checkpoint,
    existed: bool,
    made: (i64, i64),
    depth: usize,
) {
    end_run(session);
    let holds_present =
        session.undo.last().is_some_and(|top| top.state == session.state && top.step == session.step);
    if existed && holds_present {
        return;
    }
    let entry = Checkpoint {
        state: session.state.clone(),
        step: session.step.clone(),
        label: checkpoint.label,
        meta: checkpoint.meta,
        run: checkpoint.merge_key.map(|key| Run { key, made }),
    };
    push_trimmed(&mut session.undo, entry, depth);
    session.redo.clear();
}

struct Harness {
    store: *mut ws_store,
    /// A read-only store on the same file, through which every check is made a second
    /// time: the writing store's caches would hide a text that no other store (nor the
    /// same program after a restart) can read back.
    judge: *mut ws_store,
    model: Model,
}

/// The file every input starts again on, one per process: in `$WS_FUZZ_DB_DIR` (which
/// `run.sh` makes on a tmpfs, so that fuzzing stays about as fast as with `:memory:`,
/// and removes), else in `ws-fuzz-PID` under the temporary directory.
fn db_path() -> &'static CString {
    static PATH: std::sync::OnceLock<CString> = std::sync::OnceLock::new();
    PATH.get_or_init(|| {
        let dir = std::env::var_os("WS_FUZZ_DB_DIR").map_or_else(
            || std::env::temp_dir().join(format!("ws-fuzz-{}", std::process::id())),
            std::path::PathBuf::from,
        );
        std::fs::create_dir_all(&dir).expect("the fuzzer's directory can be made");
        CString::new(dir.join("api.db").into_os_string().into_encoded_bytes()).expect("no NUL in the path")
    })
}

/// Removes the database file and its WAL files: the next store starts from nothing.
fn remove_db() {
    let path = db_path().to_str().expect("the path is UTF-8");
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let _ = std::fs::remove_file(format!("{path}{suffix}"));
    }
}

impl Harness {
    /// A new store on a new file with `options` (NULL: `ws_store_open`); with the
    /// defaults if the library refuses the options, after checking that it had to.
    fn open(options: &Arg) -> Harness {
        let call = Call { name: "store_open_with", args: &[options], extra: String::new(), checking: false };
        remove_db();
        let path = db_path();
        let mut store = std::ptr::null_mut();
        let status = capi::plain(&call, || {
            if options.is_null() {
                ws_store_open(path.as_ptr(), &mut store)
            } else {
                ws_store_open_with(path.as_ptr(), options.ptr(), &mut store)
            }
        });
        let expected = expected_open(options);
        expect(&call, status, &[expected.map_or_else(|s| s, |_| WS_OK)]);
        match expected {
            Ok((_, budget)) if budget > 0 => {
                // A byte budget trims by the stored size of entries, shared chunks
                // divided among the entries that list them, which the model does not
                // follow: the library must take it; the input goes on without it.
                assert!(!store.is_null(), "{call} returned WS_OK without a store");
                ws_store_close(store);
                Harness::open(&Arg::text(&without_budget(options)))
            }
            Ok((depth, _)) => {
                assert!(!store.is_null(), "{call} returned WS_OK without a store");
                let mut judge = std::ptr::null_mut();
                let status = ws_store_open_with(path.as_ptr(), c"{\"read_only\":true}".as_ptr(), &mut judge);
                assert_eq!(status, WS_OK, "the read-only judge store: {:?}", capi::last_message());
                Harness { store, judge, model: Model::new(depth) }
            }
            Err(_) => {
                assert!(store.is_null(), "{call} failed but set its store");
                Harness::open(&NULL)
            }
        }
    }

    fn close(&mut self) {
        ws_store_close(self.judge);
        ws_store_close(self.store);
        self.judge = std::ptr::null_mut();
        self.store = std::ptr::null_mut();
        remove_db();
    }

    fn step(&mut self, op: Op, args: &[Arg]) {
        let a = |i: usize| args.get(i).unwrap_or(&NULL);
        let store = self.store;
        let depth = self.model.max_history_depth;
        // The session the call names, when its ids are good: checked against the model
        // afterwards (also when the call failed: then nothing may have changed).
        let mut verify: Option<Key> = None;
        // Whether the call may move the session's `updated_at`.
        let mut touches = false;
        // The row of the session the call names, before it: a call that changes the row,
        // or (`stacks_changed`) its history or undo/redo stacks, takes one number.
        let before = session_key(a(0), a(1)).map(|key| {
            let row = self.model.row(&key);
            (key, row)
        });
        let mut stacks_changed = false;
        match op {
            Op::GetState => {
                let (f, s) = (a(0), a(1));
                let call = Call { name: "get_state", args: &[f, s], extra: String::new(), checking: false };
                let (status, out) = capi::with_string(&call, |o| ws_get_state(store, f.ptr(), s.ptr(), o));
                let key = session_key(f, s);
                expect(&call, status, &status_allowed(key.is_some()));
                if let (Some(key), Some(out)) = (&key, out) {
                    let want = self.model.sessions.get(key).map_or_else(Obj::new, |m| m.state.clone());
                    assert_eq!(json_out(&call, &out), J::Obj(want), "{call}: state differs from the model");
                }
                verify = key;
            }
            Op::UpdateState => {
                let (f, s, u) = (a(0), a(1), a(2));
                let call =
                    Call { name: "update_state", args: &[f, s, u], extra: String::new(), checking: false };
                let status = capi::plain(&call, || ws_update_state(store, f.ptr(), s.ptr(), u.ptr()));
                let key = session_key(f, s);
                let json = json_arg(u, Shape::Object, 0);
                expect(&call, status, &allowed(key.is_some(), &json));
                if let (WS_OK, Some(key), Ok(J::Obj(updates))) = (status, &key, &json) {
                    tree::merge(&mut self.model.upsert(key).state, updates);
                }
                verify = key;
                touches = status == WS_OK;
            }
            Op::ClearState | Op::DeleteSession => {
                let (f, s) = (a(0), a(1));
                let name = if matches!(op, Op::ClearState) { "clear_state" } else { "delete_session" };
                let call = Call { name, args: &[f, s], extra: String::new(), checking: false };
                let status = capi::plain(&call, || {
                    if matches!(op, Op::ClearState) {
                        ws_clear_state(store, f.ptr(), s.ptr())
                    } else {
                        ws_delete_session(store, f.ptr(), s.ptr())
                    }
                });
                let key = session_key(f, s);
                expect(&call, status, &status_allowed(key.is_some()));
                if let Some(key) = &key {
                    self.model.sessions.remove(key);
                }
                verify = key;
            }
            Op::GetStepState => {
                let (f, s, st) = (a(0), a(1), a(2));
                let call =
                    Call { name: "get_step_state", args: &[f, s, st], extra: String::new(), checking: false };
                let (status, out) =
                    capi::with_string(&call, |o| ws_get_step_state(store, f.ptr(), s.ptr(), st.ptr(), o));
                let key = session_key(f, s);
                let step = id(st);
                expect(&call, status, &status_allowed(key.is_some() && step.is_some()));
                if let (Some(key), Some(step), Some(out)) = (&key, step, out) {
                    let want = self
                        .model
                        .sessions
                        .get(key)
                        .and_then(|m| tree::get(&m.state, &format!("_step_{step}")).cloned())
                        .unwrap_or(J::Obj(Obj::new()));
                    assert_eq!(json_out(&call, &out), want, "{call}: step state differs from the model");
                }
                verify = key;
            }
            Op::UpdateStepState => {
                let (f, s, st, u) = (a(0), a(1), a(2), a(3));
                let call = Call {
                    name: "update_step_state",
                    args: &[f, s, st, u],
                    extra: String::new(),
                    checking: false,
                };
                let status =
                    capi::plain(&call, || ws_update_step_state(store, f.ptr(), s.ptr(), st.ptr(), u.ptr()));
                let key = session_key(f, s);
                let step = id(st).map(|st| format!("_step_{st}"));
                // The step's object sits one level inside the state.
                let json = json_arg(u, Shape::Object, 1);
                let current = key.as_ref().zip(step.as_ref()).and_then(|(key, step)| {
                    self.model.sessions.get(key).and_then(|m| tree::get(&m.state, step))
                });
                let mut want = allowed(key.is_some() && step.is_some(), &json);
                if want.contains(&WS_OK) && current.is_some_and(|v| !matches!(v, J::Obj(_))) {
                    want = vec![WS_CONFLICT];
                }
                expect(&call, status, &want);
                if let (WS_OK, Some(key), Some(step), Ok(J::Obj(updates))) = (status, &key, step, &json) {
                    let session = self.model.upsert(key);
                    let mut object = match tree::get(&session.state, &step) {
                        Some(J::Obj(o)) => o.clone(),
                        _ => Obj::new(),
                    };
                    tree::merge(&mut object, updates);
                    tree::set(&mut session.state, step, J::Obj(object));
                }
                verify = key;
                touches = status == WS_OK;
            }
            Op::ClearStepState => {
                let (f, s, st) = (a(0), a(1), a(2));
                let call = Call {
                    name: "clear_step_state",
                    args: &[f, s, st],
                    extra: String::new(),
                    checking: false,
                };
                let status = capi::plain(&call, || ws_clear_step_state(store, f.ptr(), s.ptr(), st.ptr()));
                let key = session_key(f, s);
                let step = id(st);
                expect(&call, status, &status_allowed(key.is_some() && step.is_some()));
                if let (Some(key), Some(step)) = (&key, step) {
                    if let Some(session) = self.model.sessions.get_mut(key) {
                        let step = format!("_step_{step}");
                        touches = tree::get(&session.state, &step).is_some();
                        tree::remove(&mut session.state, &step);
                    }
                }
                verify = key;
            }
            Op::GetCurrentStep => {
                let (f, s) = (a(0), a(1));
                let call =
                    Call { name: "get_current_step", args: &[f, s], extra: String::new(), checking: false };
                let (status, out) =
                    capi::with_string(&call, |o| ws_get_current_step(store, f.ptr(), s.ptr(), o));
                let key = session_key(f, s);
                expect(&call, status, &status_allowed(key.is_some()));
                if let Some(key) = &key {
                    let want = self.model.sessions.get(key).and_then(|m| m.step.clone());
                    assert_eq!(out, want, "{call}: current step differs from the model");
                }
                verify = key;
            }
            Op::SetCurrentStep => {
                let (f, s, st) = (a(0), a(1), a(2));
                let call = Call {
                    name: "set_current_step",
                    args: &[f, s, st],
                    extra: String::new(),
                    checking: false,
                };
                let status = capi::plain(&call, || ws_set_current_step(store, f.ptr(), s.ptr(), st.ptr()));
                let key = session_key(f, s);
                let step = id(st);
                expect(&call, status, &status_allowed(key.is_some() && step.is_some()));
                if let (Some(key), Some(step)) = (&key, step) {
                    self.model.upsert(key).step = Some(step.to_owned());
                }
                verify = key;
                touches = status == WS_OK;
            }
            Op::CreateSession => {
                let (f, s, l) = (a(0), a(1), a(2));
                let call =
                    Call { name: "create_session", args: &[f, s, l], extra: String::new(), checking: false };
                let (status, out) =
                    capi::with_string(&call, |o| ws_create_session(store, f.ptr(), s.ptr(), l.ptr(), o));
                let flow = flow_id(f);
                let session = if s.is_null() { Some(None) } else { id(s).map(Some) };
                let label = nullable(l);
                let mut want = status_allowed(flow.is_some() && session.is_some() && label.is_some());
                if let (Some(flow), Some(Some(session))) = (flow, session) {
                    if want[0] == WS_OK
                        && self.model.sessions.contains_key(&(flow.to_owned(), session.to_owned()))
                    {
                        want = [WS_ALREADY_EXISTS];
                    }
                }
                expect(&call, status, &want);
                if status == WS_OK {
                    let out = out.unwrap_or_else(|| panic!("{call} returned WS_OK without an id"));
                    match session.flatten() {
                        Some(given) => assert_eq!(out, given, "{call} returned another id"),
                        None => assert!(is_uuid4(&out), "{call} generated {out:?}, not a lowercase UUID4"),
                    }
                    let key = (flow.expect("checked").to_owned(), out);
                    assert!(!self.model.sessions.contains_key(&key), "{call} reused the id of {key:?}");
                    self.model.upsert(&key).label = label.flatten();
                    verify = Some(key);
                } else if let (Some(flow), Some(Some(session))) = (flow, session) {
                    verify = Some((flow.to_owned(), session.to_owned()));
                }
            }
            Op::SessionExists => {
                let (f, s) = (a(0), a(1));
                let call =
                    Call { name: "session_exists", args: &[f, s], extra: String::new(), checking: false };
                let (status, out) = capi::with_bool(&call, |o| ws_session_exists(store, f.ptr(), s.ptr(), o));
                let key = session_key(f, s);
                expect(&call, status, &status_allowed(key.is_some()));
                if let Some(key) = &key {
                    assert_eq!(
                        out,
                        self.model.sessions.contains_key(key),
                        "{call}: existence differs from the model"
                    );
                }
                verify = key;
            }
            Op::GetSessionSummary => {
                let (f, s) = (a(0), a(1));
                let call = Call {
                    name: "get_session_summary",
                    args: &[f, s],
                    extra: String::new(),
                    checking: false,
                };
                let (status, out) =
                    capi::with_string(&call, |o| ws_get_session_summary(store, f.ptr(), s.ptr(), o));
                let key = session_key(f, s);
                expect(&call, status, &status_allowed(key.is_some()));
                if let Some(key) = &key {
                    assert_eq!(
                        out.is_some(),
                        self.model.sessions.contains_key(key),
                        "{call}: existence differs"
                    );
                    if let Some(out) = out {
                        json_out(&call, &out);
                    }
                }
                verify = key;
            }
            Op::ListSessions => self.list_sessions(a(0), a(1), a(2)),
            Op::SetSessionLabel => {
                let (f, s, l) = (a(0), a(1), a(2));
                let call = Call {
                    name: "set_session_label",
                    args: &[f, s, l],
                    extra: String::new(),
                    checking: false,
                };
                let status = capi::plain(&call, || ws_set_session_label(store, f.ptr(), s.ptr(), l.ptr()));
                let key = session_key(f, s);
                let label = nullable(l);
                expect(&call, status, &status_allowed(key.is_some() && label.is_some()));
                if let (Some(key), Some(label)) = (&key, label) {
                    if let Some(session) = self.model.sessions.get_mut(key) {
                        session.label = label;
                        touches = true;
                    }
                }
                verify = key;
            }
            Op::HistoryPush => {
                let (f, s, j) = (a(0), a(1), a(2));
                let call =
                    Call { name: "history_push", args: &[f, s, j], extra: String::new(), checking: false };
                let status = capi::plain(&call, || ws_history_push(store, f.ptr(), s.ptr(), j.ptr()));
                let key = session_key(f, s);
                let json = json_arg(j, Shape::Any, 0);
                expect(&call, status, &allowed(key.is_some(), &json));
                if let (WS_OK, Some(key), Ok(snapshot)) = (status, &key, json) {
                    push_trimmed(&mut self.model.upsert(key).history, snapshot, depth);
                    stacks_changed = true;
                }
                verify = key;
            }
            Op::HistoryPop | Op::HistoryPeek => {
                let (f, s) = (a(0), a(1));
                let pop = matches!(op, Op::HistoryPop);
                let call = Call {
                    name: if pop { "history_pop" } else { "history_peek" },
                    args: &[f, s],
                    extra: String::new(),
                    checking: false,
                };
                let (status, out) = capi::with_string(&call, |o| {
                    if pop {
                        ws_history_pop(store, f.ptr(), s.ptr(), o)
                    } else {
                        ws_history_peek(store, f.ptr(), s.ptr(), o)
                    }
                });
                let key = session_key(f, s);
                expect(&call, status, &status_allowed(key.is_some()));
                if let Some(key) = &key {
                    let history = self.model.sessions.get_mut(key).map(|m| &mut m.history);
                    let want = match history {
                        Some(h) if pop => h.pop(),
                        Some(h) => h.last().cloned(),
                        None => None,
                    };
                    stacks_changed = pop && want.is_some();
                    assert_eq!(
                        out.map(|o| json_out(&call, &o)),
                        want,
                        "{call}: snapshot differs from the model"
                    );
                }
                verify = key;
            }
            Op::HistoryLen => {
                let (f, s) = (a(0), a(1));
                let call = Call { name: "history_len", args: &[f, s], extra: String::new(), checking: false };
                let (status, len) = capi::with_len(&call, |o| ws_history_len(store, f.ptr(), s.ptr(), o));
                let key = session_key(f, s);
                expect(&call, status, &status_allowed(key.is_some()));
                if let Some(key) = &key {
                    let want = self.model.sessions.get(key).map_or(0, |m| m.history.len());
                    assert_eq!(len, want, "{call}: length differs from the model");
                }
                verify = key;
            }
            Op::HistoryClear => {
                let (f, s) = (a(0), a(1));
                let call =
                    Call { name: "history_clear", args: &[f, s], extra: String::new(), checking: false };
                let status = capi::plain(&call, || ws_history_clear(store, f.ptr(), s.ptr()));
                let key = session_key(f, s);
                expect(&call, status, &status_allowed(key.is_some()));
                if let Some(session) = key.as_ref().and_then(|k| self.model.sessions.get_mut(k)) {
                    stacks_changed = !session.history.is_empty();
                    session.history.clear();
                }
                verify = key;
            }
            Op::Checkpoint => {
                let (f, s, l) = (a(0), a(1), a(2));
                let call =
                    Call { name: "checkpoint", args: &[f, s, l], extra: String::new(), checking: false };
                let status = capi::plain(&call, || ws_checkpoint(store, f.ptr(), s.ptr(), l.ptr()));
                let key = session_key(f, s);
                let label = nullable(l);
                expect(&call, status, &status_allowed(key.is_some() && label.is_some()));
                if let (Some(key), Some(label)) = (&key, label) {
                    // The 0.1 call always pushes, and ends any merge run.
                    let session = self.model.upsert(key);
                    end_run(session);
                    let entry = Checkpoint::plain(session.state.clone(), session.step.clone(), label);
                    push_trimmed(&mut session.undo, entry, depth);
                    session.redo.clear();
                    stacks_changed = true;
                }
                verify = key;
            }
            Op::Undo | Op::Redo => {
                let (f, s) = (a(0), a(1));
                let undo = matches!(op, Op::Undo);
                let call = Call {
                    name: if undo { "undo" } else { "redo" },
                    args: &[f, s],
                    extra: String::new(),
                    checking: false,
                };
                let (status, done) = capi::with_bool(&call, |o| {
                    if undo {
                        ws_undo(store, f.ptr(), s.ptr(), o)
                    } else {
                        ws_redo(store, f.ptr(), s.ptr(), o)
                    }
                });
                let key = session_key(f, s);
                expect(&call, status, &status_allowed(key.is_some()));
                if let Some(session) = key.as_ref().and_then(|k| self.model.sessions.get_mut(k)) {
                    // An undo or a redo that moves an entry ends the merge run.
                    if !(if undo { &session.undo } else { &session.redo }).is_empty() {
                        end_run(session);
                    }
                    let (from, to) = if undo {
                        (&mut session.undo, &mut session.redo)
                    } else {
                        (&mut session.redo, &mut session.undo)
                    };
                    let target = from.pop();
                    assert_eq!(done, target.is_some(), "{call}: done differs from the model");
                    if let Some(target) = target {
                        let replaced = Checkpoint {
                            state: std::mem::replace(&mut session.state, target.state),
                            step: std::mem::replace(&mut session.step, target.step),
                            label: target.label,
                            meta: target.meta,
                            run: None,
                        };
                        push_trimmed(to, replaced, depth);
                        touches = true;
                        stacks_changed = true;
                    }
                } else if key.is_some() {
                    assert!(!done, "{call}: done on a session that does not exist");
                }
                verify = key;
            }
            Op::UndoStatus => {
                let (f, s) = (a(0), a(1));
                let call = Call { name: "undo_status", args: &[f, s], extra: String::new(), checking: false };
                let (status, out) = capi::with_string(&call, |o| ws_undo_status(store, f.ptr(), s.ptr(), o));
                let key = session_key(f, s);
                expect(&call, status, &status_allowed(key.is_some()));
                if let (Some(key), Some(out)) = (&key, out) {
                    assert_eq!(
                        json_out(&call, &out),
                        self.undo_status(key),
                        "{call}: differs from the model"
                    );
                }
                verify = key;
            }
            Op::JsonHistoryPush => json_history_push(a(0), a(1), a(2)),
            Op::JsonHistoryPop => json_history_pop(a(0)),
            Op::Reopen => {
                self.close();
                *self = Harness::open(a(0));
            }
            Op::StatusName => status_name_and_version(a(0)),
            Op::Apply => {
                let (f, s, e) = (a(0), a(1), a(2));
                let key = session_key(f, s);
                let called = now_ms();
                let merge = match (&key, e.str()) {
                    (Some(key), Some(text)) => self.merge_at(key, text, called),
                    _ => Some(false),
                };
                // Whether the checkpoint would merge depends on the instant the library
                // reads its clock: no check could follow that, so the call is not made.
                let Some(merge) = merge else { return };
                let call = Call { name: "apply", args: &[f, s, e], extra: String::new(), checking: false };
                let (status, out) =
                    capi::with_string(&call, |o| ws_apply(store, f.ptr(), s.ptr(), e.ptr(), o));
                let returned = now_ms();
                let want = match (&key, e.str()) {
                    (Some(_), Some(_)) => {
                        vec![WS_OK, WS_INVALID_ARGUMENT, WS_INVALID_JSON, WS_CONFLICT, WS_NOT_FOUND]
                    }
                    _ => vec![WS_INVALID_ARGUMENT],
                };
                expect(&call, status, &want);
                if let (Some(key), Some(edit)) = (&key, e.str()) {
                    let changed = self.apply(&call, key, edit, status, out, merge, (called, returned));
                    touches = changed;
                    stacks_changed = changed;
                }
                verify = key;
            }
            Op::GetSession => {
                let (f, s) = (a(0), a(1));
                let call = Call { name: "get_session", args: &[f, s], extra: String::new(), checking: false };
                let (status, out) = capi::with_string(&call, |o| ws_get_session(store, f.ptr(), s.ptr(), o));
                let key = session_key(f, s);
                expect(&call, status, &status_allowed(key.is_some()));
                if let Some(key) = &key {
                    let want = self.model.sessions.get(key).map(|m| {
                        obj(vec![
                            ("flow_id", J::Str(key.0.clone())),
                            ("session_id", J::Str(key.1.clone())),
                            ("label", str_or_null(&m.label)),
                            ("current_step", str_or_null(&m.step)),
                            ("state", J::Obj(m.state.clone())),
                            ("revision", J::Num(m.revision.to_string())),
                            ("created_at", str_or_null(&m.created_at)),
                            ("updated_at", str_or_null(&m.updated_at)),
                        ])
                    });
                    assert_eq!(out.map(|o| json_out(&call, &o)), want, "{call}: differs from the model");
                }
                verify = key;
            }
            Op::GetRevision => {
                let (f, s) = (a(0), a(1));
                let call =
                    Call { name: "get_revision", args: &[f, s], extra: String::new(), checking: false };
                let (status, _) = capi::with_i64(&call, |o| ws_get_revision(store, f.ptr(), s.ptr(), o));
                let key = session_key(f, s);
                expect(&call, status, &status_allowed(key.is_some()));
                // The value is checked with every session the harness verifies.
                verify = key;
            }
            Op::ChangesSince => self.changes_since(a(0), a(1), a(2)),
            Op::LatestSeq => self.check_latest(self.store),
        }
        if let Some(key) = verify {
            let was = match before {
                Some((before_key, row)) if before_key == key => row,
                _ => None,
            };
            let row_changed = self.model.row(&key) != was;
            let changed = row_changed || stacks_changed;
            if changed {
                self.model.number(&key);
            }
            // `updated_at` stays as it is on a call that leaves the row as it was.
            touches &= row_changed;
            self.verify(self.store, &key, touches);
            self.verify(self.judge, &key, touches);
            self.check_latest(self.store);
            self.check_latest(self.judge);
            // The whole feed after each change (a call that takes no number, as
            // `ws_latest_seq` just showed, leaves it alone; `f` lines read it any time).
            if changed {
                self.check_feed(self.judge, None, 0, 0);
            }
        }
    }

    /// What `edit` must do to the session: the new row and whether it is a change, or
    /// the status the call must fail with.
    fn predict(&self, key: &Key, edit: &edit::Edit) -> Result<Row, ws_status> {
        let session = self.model.sessions.get(key);
        let revision = session.map_or(0, |m| m.revision);
        if edit.expect.is_some_and(|r| r != revision) {
            return Err(WS_CONFLICT);
        }
        if session.is_none() && !edit.create {
            return Err(WS_NOT_FOUND);
        }
        let (state, step, label) = self.model.row(key).unwrap_or_default();
        let new_state = match &edit.patch {
            Some(patch) => edit::patched(&state, patch).ok_or(WS_CONFLICT)?,
            None => state.clone(),
        };
        let new_step = edit.step.clone().or(step.clone());
        let new_label = edit.label.clone().unwrap_or(label.clone());
        let changed = session.is_none() || (&new_state, &new_step, &new_label) != (&state, &step, &label);
        Ok((new_state, new_step, new_label, changed))
    }

    /// Whether `ws_apply(key, text)`, called when the clock reads `called`, merges its
    /// checkpoint into the newest undo entry (`false` too for an edit that records none,
    /// or that the library must refuse); `None` when that depends on when during the
    /// call the library reads its clock.
    fn merge_at(&self, key: &Key, text: &str, called: i64) -> Option<bool> {
        let Some(edit) = Text::read(text).tree.as_ref().and_then(edit::read) else { return Some(false) };
        let (Some(checkpoint), Some(session)) = (&edit.checkpoint, self.model.sessions.get(key)) else {
            return Some(false);
        };
        if !matches!(self.predict(key, &edit), Ok((.., true))) {
            return Some(false);
        }
        merges(session, checkpoint, (called, called + MAX_CALL_MS))
    }

    /// `ws_apply`'s outcome against the oracle's reading of the edit (`edit.rs`): an edit
    /// the library accepts must be one the oracle reads, and do what the oracle
    /// predicts; a `WS_CONFLICT` or `WS_NOT_FOUND` must have its reason. `merge` is what
    /// `merge_at` said, `during` the clock before and after the call. Returns whether
    /// the call changed the session, which the model then holds as edited.
    fn apply(
        &mut self,
        call: &Call,
        key: &Key,
        text: &str,
        status: ws_status,
        out: Option<String>,
        merge: bool,
        during: (i64, i64),
    ) -> bool {
        let session = self.model.sessions.get(key);
        let revision = session.map_or(0, |m| m.revision);
        let existed = session.is_some();
        let read = Text::read(text);
        let edit = read.tree.as_ref().and_then(edit::read);
        let outcome = edit.as_ref().map(|edit| self.predict(key, edit));
        match status {
            WS_OK => {
                let Some(Ok((state, step, label, changed))) = outcome else {
                    panic!("{call} succeeded, but the oracle expected {:?}", outcome.map(|o| o.map(drop)))
                };
                let out = out.unwrap_or_else(|| panic!("{call} returned WS_OK without a result"));
                let want_revision = if changed { self.model.latest + 1 } else { revision };
                let want =
                    obj(vec![("revision", J::Num(want_revision.to_string())), ("changed", J::Bool(changed))]);
                assert_eq!(json_out(call, &out), want, "{call}: result differs from the oracle's");
                if !changed {
                    return false;
                }
                let edit = edit.expect("read");
                let depth = self.model.max_history_depth;
                let session = self.model.upsert(key);
                if let Some(checkpoint) = edit.checkpoint {
                    // The session as it was before the edit: empty when it is created.
                    if !merge {
                        record(session, checkpoint, existed, during, depth);
                    }
                }
                (session.state, session.step, session.label) = (state, step, label);
                true
            }
            WS_CONFLICT | WS_NOT_FOUND => {
                if let Some(outcome) = outcome {
                    assert_eq!(
                        outcome.err(),
                        Some(status),
                        "{call} returned {}, but the oracle finds no reason for it",
                        status_name(status)
                    );
                }
                false
            }
            _ => false,
        }
    }

    fn check_latest(&self, store: *mut ws_store) {
        let call = Call { name: "latest_seq", args: &[], extra: String::new(), checking: true };
        let (status, latest) = capi::with_i64(&call, |o| ws_latest_seq(store, o));
        expect(&call, status, &[WS_OK]);
        assert_eq!(latest, self.model.latest, "{call}: differs from the model");
    }

    /// `ws_changes_since` with the fuzz input's arguments.
    fn changes_since(&self, f: &Arg, after: &Arg, limit: &Arg) {
        let (after, limit) = (integer(after), integer(limit) as usize);
        let call =
            Call { name: "changes_since", args: &[f], extra: format!(", {after}, {limit}"), checking: false };
        let ok = (f.is_null() || flow_id(f).is_some()) && after >= 0 && limit <= 100_000;
        if !ok {
            let (status, _) =
                capi::with_string(&call, |o| ws_changes_since(self.store, f.ptr(), after, limit, o));
            expect(&call, status, &[WS_INVALID_ARGUMENT]);
            return;
        }
        self.check_feed(self.store, flow_id(f), after, limit);
    }

    /// The feed through `store` must be the model's: every session whose latest change is
    /// after `after`, in sequence order, `limit` a page (0: 1000), deletions included.
    fn check_feed(&self, store: *mut ws_store, flow: Option<&str>, after: i64, limit: usize) {
        let f = flow.map_or(Arg::null(), Arg::text);
        let call = Call {
            name: "changes_since",
            args: &[&f],
            extra: format!(", {after}, {limit}"),
            checking: flow.is_none() && after == 0,
        };
        let (status, out) = capi::with_string(&call, |o| ws_changes_since(store, f.ptr(), after, limit, o));
        expect(&call, status, &[WS_OK]);
        let mut changes: Vec<(&Key, i64, bool)> = self
            .model
            .changes
            .iter()
            .filter(|((fl, _), (seq, _))| *seq > after && flow.is_none_or(|flow| flow == fl))
            .map(|(key, &(seq, deleted))| (key, seq, deleted))
            .collect();
        changes.sort_by_key(|(_, seq, _)| *seq);
        let limit = if limit == 0 { 1000 } else { limit };
        let more = changes.len() > limit;
        changes.truncate(limit);
        let last = if more { changes[limit - 1].1 } else { after.max(self.model.latest) };
        let number = |n: i64| J::Num(n.to_string());
        let entries = changes
            .iter()
            .map(|((flow, session), seq, deleted)| {
                obj(vec![
                    ("seq", number(*seq)),
                    ("flow_id", J::Str(flow.clone())),
                    ("session_id", J::Str(session.clone())),
                    ("revision", number(*seq)),
                    ("deleted", J::Bool(*deleted)),
                ])
            })
            .collect();
        let want = obj(vec![
            ("changes", J::Arr(entries)),
            ("last_seq", number(last)),
            ("more", J::Bool(more)),
            ("reset", J::Bool(false)),
        ]);
        let out = out.expect("WS_OK gives the changes");
        assert_eq!(json_out(&call, &out), want, "{call}: differs from the model");
    }

    fn list_sessions(&mut self, f: &Arg, order: &Arg, descending: &Arg) {
        let (order, descending) = (integer(order) as ws_order_by, integer(descending) != 0);
        let call = Call {
            name: "list_sessions",
            args: &[f],
            extra: format!(", {order}, {descending}"),
            checking: false,
        };
        let (status, out) =
            capi::with_string(&call, |o| ws_list_sessions(self.store, f.ptr(), order, descending, o));
        let flow = flow_id(f);
        expect(&call, status, &status_allowed(flow.is_some() && (0..=2).contains(&order)));
        let (Some(flow), Some(out)) = (flow, out) else { return };
        let J::Arr(rows) = json_out(&call, &out) else { panic!("{call} returned {out:?}, not an array") };
        let mut want: Vec<_> = self.model.sessions.iter().filter(|((f, _), _)| f == flow).collect();
        // ORDER BY the key; ties (timestamps are whole seconds) of updated_at by the
        // change sequence, of created_at by creation order, of labels by created_at and
        // then creation order; descending reverses all of it.
        want.sort_by(|(_, a), (_, b)| match order {
            WS_ORDER_UPDATED_AT => a.updated_at.cmp(&b.updated_at).then(a.revision.cmp(&b.revision)),
            WS_ORDER_CREATED_AT => a.created_at.cmp(&b.created_at).then(a.seq.cmp(&b.seq)),
            _ => a.label.cmp(&b.label).then(a.created_at.cmp(&b.created_at)).then(a.seq.cmp(&b.seq)),
        });
        if descending {
            want.reverse();
        }
        let got: Vec<J> = rows.iter().map(|row| summary_field(row, "session_id")).collect();
        let expected: Vec<J> = want.iter().map(|((_, s), _)| J::Str(s.clone())).collect();
        assert_eq!(got, expected, "{call}: sessions or their order differ from the model");
        for (row, ((_, _), session)) in rows.iter().zip(&want) {
            assert_eq!(summary_field(row, "flow_id"), J::Str(flow.to_owned()), "{call}: flow_id");
            assert_eq!(summary_field(row, "label"), str_or_null(&session.label), "{call}: label");
            assert_eq!(
                summary_field(row, "current_step"),
                str_or_null(&session.step),
                "{call}: current_step"
            );
            assert_eq!(
                summary_field(row, "updated_at"),
                str_or_null(&session.updated_at),
                "{call}: updated_at"
            );
        }
    }

    fn undo_status(&self, key: &Key) -> J {
        let (undo, redo) =
            self.model.sessions.get(key).map_or((&[][..], &[][..]), |m| (&m.undo[..], &m.redo[..]));
        let label = |stack: &[Checkpoint]| stack.last().map_or(J::Null, |c| str_or_null(&c.label));
        let meta = |stack: &[Checkpoint]| stack.last().and_then(|c| c.meta.clone()).unwrap_or(J::Null);
        obj(vec![
            ("undo_depth", J::Num(undo.len().to_string())),
            ("redo_depth", J::Num(redo.len().to_string())),
            ("undo_label", label(undo)),
            ("redo_label", label(redo)),
            ("undo_meta", meta(undo)),
            ("redo_meta", meta(redo)),
            // The harness never calls ws_set_clean: no state is ever marked.
            ("clean", J::Bool(false)),
        ])
    }

    /// The view of one session through `store` must be the model's: state, summary,
    /// history and undo status. `updated_at` may move only when `touches`; `created_at`
    /// never.
    fn verify(&mut self, store: *mut ws_store, key: &Key, touches: bool) {
        let (f, s) = (Arg::text(&key.0), Arg::text(&key.1));
        let args = [&f, &s];
        let call = |name| Call { name, args: &args, extra: String::new(), checking: true };

        let get_state = call("get_state");
        let (status, state) = capi::with_string(&get_state, |o| ws_get_state(store, f.ptr(), s.ptr(), o));
        expect(&get_state, status, &[WS_OK]);
        let state = state.expect("WS_OK gives a state");
        let model = self.model.sessions.get(key);
        let want = J::Obj(model.map_or_else(Obj::new, |m| m.state.clone()));
        assert_eq!(json_out(&get_state, &state), want, "{get_state}: state differs from the model");

        let get_revision = call("get_revision");
        let (status, revision) =
            capi::with_i64(&get_revision, |o| ws_get_revision(store, f.ptr(), s.ptr(), o));
        expect(&get_revision, status, &[WS_OK]);
        let want = self.model.sessions.get(key).map_or(0, |m| m.revision);
        assert_eq!(revision, want, "{get_revision}: differs from the model");

        let get_summary = call("get_session_summary");
        let (status, summary) =
            capi::with_string(&get_summary, |o| ws_get_session_summary(store, f.ptr(), s.ptr(), o));
        expect(&get_summary, status, &[WS_OK]);
        match (summary, self.model.sessions.get_mut(key)) {
            (None, None) => {}
            (Some(summary), Some(session)) => {
                let summary = json_out(&get_summary, &summary);
                let field = |name| summary_field(&summary, name);
                assert_eq!(field("flow_id"), J::Str(key.0.clone()), "{get_summary}: flow_id");
                assert_eq!(field("session_id"), J::Str(key.1.clone()), "{get_summary}: session_id");
                assert_eq!(field("label"), str_or_null(&session.label), "{get_summary}: label");
                assert_eq!(field("current_step"), str_or_null(&session.step), "{get_summary}: current_step");
                assert_eq!(
                    field("state_size_bytes"),
                    J::Num(state.len().to_string()),
                    "{get_summary}: state_size_bytes is not the size of the state"
                );
                let (J::Str(created), J::Str(updated)) = (field("created_at"), field("updated_at")) else {
                    panic!("{get_summary}: timestamps are not strings: {summary:?}")
                };
                if let Some(was) = &session.created_at {
                    assert_eq!(&created, was, "{get_summary}: created_at changed");
                }
                if let (false, Some(was)) = (touches, &session.updated_at) {
                    assert_eq!(
                        &updated, was,
                        "{get_summary}: updated_at changed on a call that must leave it"
                    );
                }
                session.created_at = Some(created);
                session.updated_at = Some(updated);
            }
            (summary, _) => panic!(
                "{get_summary} gave {summary:?}, but the model says the session exists: {}",
                summary.is_none()
            ),
        }

        let model_history = self.model.sessions.get(key).map_or(&[][..], |m| &m.history[..]);
        let history_len = call("history_len");
        let (status, len) = capi::with_len(&history_len, |o| ws_history_len(store, f.ptr(), s.ptr(), o));
        expect(&history_len, status, &[WS_OK]);
        assert_eq!(len, model_history.len(), "{history_len}: length differs from the model");
        let history_peek = call("history_peek");
        let (status, top) = capi::with_string(&history_peek, |o| ws_history_peek(store, f.ptr(), s.ptr(), o));
        expect(&history_peek, status, &[WS_OK]);
        assert_eq!(
            top.map(|t| json_out(&history_peek, &t)).as_ref(),
            model_history.last(),
            "{history_peek}: snapshot differs from the model"
        );

        let undo_status = call("undo_status");
        let (status, out) = capi::with_string(&undo_status, |o| ws_undo_status(store, f.ptr(), s.ptr(), o));
        expect(&undo_status, status, &[WS_OK]);
        let out = out.expect("WS_OK gives a status");
        assert_eq!(
            json_out(&undo_status, &out),
            self.undo_status(key),
            "{undo_status}: differs from the model"
        );
    }
}

fn summary_field(summary: &J, name: &str) -> J {
    let J::Obj(fields) = summary else { panic!("a summary is not an object: {summary:?}") };
    tree::get(fields, name).cloned().unwrap_or_else(|| panic!("a summary has no {name}: {summary:?}"))
}

/// What `ws_store_open_with(path, options)` on a path where no file is must do: open
/// with this history depth and byte budget, or fail with this status.
fn expected_open(options: &Arg) -> Result<(usize, u64), ws_status> {
    let mut depth = WS_DEFAULT_MAX_HISTORY_DEPTH;
    let mut budget = 0;
    if options.is_null() {
        return Ok((depth, budget));
    }
    let text = options.str().ok_or(WS_INVALID_ARGUMENT)?;
    let Ok(serde_json::Value::Object(options)) = serde_json::from_str(text) else {
        return Err(WS_INVALID_JSON);
    };
    for (key, value) in &options {
        let one_of = |allowed: &[&str]| {
            value.as_str().is_some_and(|v| allowed.iter().any(|a| a.eq_ignore_ascii_case(v)))
        };
        let fine = match key.as_str() {
            "journal_mode" => one_of(&["wal", "delete"]),
            "synchronous" => one_of(&["normal", "full", "off"]),
            "busy_timeout_ms" => value.as_u64().is_some_and(|n| n <= i32::MAX as u64),
            "max_history_depth" => match value.as_u64() {
                Some(n @ 1..=0xffff_ffff) => {
                    depth = n as usize;
                    true
                }
                _ => false,
            },
            "max_history_bytes" => match value.as_u64() {
                Some(n @ 0..=0x7fff_ffff_ffff_ffff) => {
                    budget = n;
                    true
                }
                _ => false,
            },
            "read_only" | "create" => value.is_boolean(),
            _ => false,
        };
        if !fine {
            return Err(WS_INVALID_ARGUMENT);
        }
    }
    // Only a writable store that may create the file opens where there is none.
    let flag = |name: &str| options.get(name).and_then(serde_json::Value::as_bool);
    if flag("read_only") == Some(true) || flag("create") == Some(false) {
        return Err(WS_NOT_FOUND);
    }
    Ok((depth, budget))
}

/// The options text (a JSON object, as `expected_open` found) without its byte budget.
fn without_budget(options: &Arg) -> String {
    let text = options.str().expect("options the library took are UTF-8");
    let mut options: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(text).expect("options the library took are an object");
    options.retain(|key, _| key != "max_history_bytes");
    serde_json::Value::Object(options).to_string()
}

fn json_history_push(history: &Arg, snapshot: &Arg, max_depth: &Arg) {
    let max_depth = integer(max_depth) as usize;
    let call = Call {
        name: "json_history_push",
        args: &[history, snapshot],
        extra: format!(", {max_depth}"),
        checking: false,
    };
    let (status, out) =
        capi::with_string(&call, |o| ws_json_history_push(history.ptr(), snapshot.ptr(), max_depth, o));
    // cjm keeps a history inside a state, and a snapshot inside the history.
    let items = if history.is_null() { Ok(J::Arr(Vec::new())) } else { json_arg(history, Shape::Array, 1) };
    let snap = json_arg(snapshot, Shape::Any, 2);
    let args_ok =
        (history.is_null() || history.str().is_some()) && snapshot.str().is_some() && max_depth != 0;
    let want = match (&items, &snap) {
        _ if !args_ok => vec![WS_INVALID_ARGUMENT],
        (Err(status), _) | (_, Err(status)) => vec![*status],
        (Ok(_), Ok(_)) => vec![WS_OK],
    };
    expect(&call, status, &want);
    if let (WS_OK, Ok(J::Arr(mut items)), Ok(snap)) = (status, items, snap) {
        push_trimmed(&mut items, snap, max_depth);
        let out = out.unwrap_or_else(|| panic!("{call} returned WS_OK without a history"));
        assert_eq!(json_out(&call, &out), J::Arr(items), "{call}: history differs from the oracle's");
    }
}

fn json_history_pop(history: &Arg) {
    let call = Call { name: "json_history_pop", args: &[history], extra: String::new(), checking: false };
    let (status, snapshot, rest) =
        capi::with_two_strings(&call, |snap, rest| ws_json_history_pop(history.ptr(), snap, rest));
    let items = json_arg(history, Shape::Array, 1);
    expect(&call, status, &allowed(true, &items));
    if let (WS_OK, Ok(J::Arr(mut items))) = (status, items) {
        let want = items.pop();
        assert_eq!(snapshot.map(|s| json_out(&call, &s)), want, "{call}: snapshot differs from the oracle's");
        let rest = rest.unwrap_or_else(|| panic!("{call} returned WS_OK without the rest"));
        assert_eq!(json_out(&call, &rest), J::Arr(items), "{call}: rest differs from the oracle's");
    }
}

/// `ws_status_name` and `ws_version` return static text and leave the thread's message
/// as it was.
fn status_name_and_version(status: &Arg) {
    let status = integer(status) as ws_status;
    let message = capi::last_message();
    const NAMES: [&str; 10] = [
        "WS_OK",
        "WS_INVALID_ARGUMENT",
        "WS_INVALID_JSON",
        "WS_NOT_FOUND",
        "WS_ALREADY_EXISTS",
        "WS_CONFLICT",
        "WS_BUSY",
        "WS_IO",
        "WS_CORRUPT",
        "WS_INTERNAL",
    ];
    let want = usize::try_from(status).ok().and_then(|i| NAMES.get(i)).copied().unwrap_or("WS_UNKNOWN");
    assert_eq!(status_name(status), want, "ws_status_name({status})");
    // SAFETY: ws_version returns a static NUL-terminated string.
    let version = unsafe { CStr::from_ptr(ws_version()) }.to_str().expect("the version is ASCII");
    let parts: Vec<&str> = version.split('.').collect();
    assert!(
        parts.len() == 3 && parts.iter().all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit())),
        "ws_version() is {version:?}, not MAJOR.MINOR.PATCH"
    );
    assert_eq!(capi::last_message(), message, "ws_status_name or ws_version changed the message");
}

fn is_uuid4(id: &str) -> bool {
    let b = id.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, &c)| match i {
            8 | 13 | 18 | 23 => c == b'-',
            _ => matches!(c, b'0'..=b'9' | b'a'..=b'f'),
        })
        && b[14] == b'4'
        && matches!(b[19], b'8' | b'9' | b'a' | b'b')
}
