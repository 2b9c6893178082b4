//! Property test: random sequences of edits, step changes, checkpoints (0.1 and
//! `ws_checkpoint_with`: labels, merge keys and windows, meta), undos and redos (with the
//! label and meta they report), `ws_set_clean`, a clock that moves, history pushes and
//! pops, session deletions and store reopenings (with a different `max_history_depth`),
//! through two store handles on one file, the second in another process (a peer: this
//! test binary run again, see `Peer`), run against the library and against a plain
//! in-memory model; after every operation the state, the current step and the undo
//! status (depths, labels, metas, the clean flag) must agree. Some cases also set a
//! `max_history_bytes` budget.
//!
//! The model keeps the clean mark as the contract says it: a position. Each state the
//! session passes through gets a new identity when a call changes the session (any
//! change but a checkpoint, undo, redo or `ws_set_clean`); entries keep the identity of
//! the state they hold, and "clean" is whether the present identity is the marked one.
//!
//! States grow past the chunking threshold (lowered for the test, with small chunks), so
//! that undo and redo entries are kept both inline and as shared chunks; after every
//! case the chunks' reference counts must match the entries and the file must be sound.
//!
//! `PROPTEST_CASES=5000 cargo test --release --test undo_model` runs many more cases.

use proptest::prelude::*;
use serde_json::{json, Map, Value};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::atomic::AtomicI64;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use workflow_state::{ChunkSizes, Clock, Options, Status, Store, CHUNK_RULES};

const FLOW: &str = "editor";
const SESSION: &str = "doc";

#[derive(Clone, Debug)]
enum Op {
    Edit(String, i64),
    /// Sets a key to a long text made from a seed: states from about 100 bytes to 6 KB.
    Big(String, u8, usize),
    EditStep(String, String, i64),
    SetStep(String),
    Checkpoint(Option<String>),
    /// `ws_checkpoint_with`: label, merge key, window (ms), meta.
    CheckpointWith(Option<String>, Option<String>, i64, Option<i64>),
    /// Moves the clock on by this many milliseconds.
    Tick(i64),
    SetClean,
    Undo,
    Redo,
    HistoryPush(i64),
    HistoryPop,
    Delete,
    /// Deletes the row as the Python package does, with plain SQL on another connection.
    PythonDelete,
    Reopen(usize),
}

fn op() -> impl Strategy<Value = Op> {
    let key = prop::sample::select(vec!["a", "b", "c"]).prop_map(str::to_string);
    let step = prop::sample::select(vec!["one", "two"]).prop_map(str::to_string);
    let label = prop::option::of(prop::sample::select(vec!["typing", "paste", "é"]).prop_map(str::to_string));
    prop_oneof![
        4 => (key.clone(), any::<i64>()).prop_map(|(k, v)| Op::Edit(k, v)),
        3 => (key.clone(), any::<u8>(), 0usize..2000).prop_map(|(k, seed, len)| Op::Big(k, seed, len)),
        2 => (step.clone(), key, -5i64..5).prop_map(|(s, k, v)| Op::EditStep(s, k, v)),
        2 => step.prop_map(Op::SetStep),
        2 => label.clone().prop_map(Op::Checkpoint),
        5 => (
            label,
            prop::option::of(prop::sample::select(vec!["typing", "delete"]).prop_map(str::to_string)),
            prop::sample::select(vec![0i64, 300, 1000, 5000]),
            prop::option::of(0i64..4),
        )
            .prop_map(|(l, k, w, m)| Op::CheckpointWith(l, k, w, m)),
        3 => prop::sample::select(vec![0i64, 1, 299, 300, 700, 999, 1000, 4000]).prop_map(Op::Tick),
        2 => Just(Op::SetClean),
        4 => Just(Op::Undo),
        3 => Just(Op::Redo),
        1 => any::<i64>().prop_map(Op::HistoryPush),
        1 => Just(Op::HistoryPop),
        1 => Just(Op::Delete),
        1 => Just(Op::PythonDelete),
        1 => prop::sample::select(vec![1usize, 2, 3, 5, 50]).prop_map(Op::Reopen),
    ]
}

/// What the session looks like: its state object and current step.
#[derive(Clone, Debug, Default, PartialEq)]
struct Snapshot {
    state: Map<String, Value>,
    step: Option<String>,
}

/// An undo or redo entry of the model.
#[derive(Clone, Debug)]
struct Entry {
    label: Option<String>,
    snapshot: Snapshot,
    meta: Option<Value>,
    /// The merge key of a run still open, and when the entry was made.
    merge_key: Option<String>,
    made: i64,
    /// The identity of the state it holds.
    id: u64,
}

/// The plain model: whether the session exists, its state (and the state's identity),
/// its undo and redo stacks, its snapshot history, the marked identity, the clock, and
/// the depth and byte budget the stores were opened with.
#[derive(Default)]
struct Model {
    exists: bool,
    now: Snapshot,
    now_id: u64,
    next_id: u64,
    undo: Vec<Entry>,
    redo: Vec<Entry>,
    history: Vec<Value>,
    clean: Option<u64>,
    clock: i64,
    depth: usize,
    budget: u64,
}

/// The bytes an entry stores (inline: the library keeps states below the chunking
/// threshold as they are).
fn entry_bytes(entry: &Entry) -> u64 {
    let text = Value::Object(entry.snapshot.state.clone()).to_string();
    (text.len() + entry.meta.as_ref().map_or(0, |m| m.to_string().len())) as u64
}

fn push_trimmed<T>(stack: &mut Vec<T>, item: T, depth: usize) {
    stack.push(item);
    let excess = stack.len().saturating_sub(depth);
    stack.drain(..excess);
}

impl Model {
    /// A change of the session other than a checkpoint, undo, redo or mark: the present
    /// state is a new one (also when it ends up equal to an old one).
    fn changed(&mut self) {
        self.exists = true;
        self.next_id += 1;
        self.now_id = self.next_id;
    }

    fn end_run(&mut self) {
        for entry in self.undo.iter_mut().chain(self.redo.iter_mut()) {
            entry.merge_key = None;
        }
    }

    fn keep_to_budget(&mut self) {
        if self.budget == 0 {
            return;
        }
        loop {
            let total: u64 = self.undo.iter().chain(&self.redo).map(entry_bytes).sum();
            if total <= self.budget {
                return;
            }
            if self.undo.len() > 1 {
                self.undo.remove(0);
            } else if self.redo.len() > 1 {
                self.redo.remove(0);
            } else {
                return;
            }
        }
    }

    fn push_checkpoint(&mut self, label: &Option<String>, key: Option<String>, meta: Option<Value>) {
        let entry = Entry {
            label: label.clone(),
            snapshot: self.now.clone(),
            meta,
            merge_key: key,
            made: self.clock,
            id: self.now_id,
        };
        push_trimmed(&mut self.undo, entry, self.depth);
        self.redo.clear();
        self.keep_to_budget();
    }

    /// Applies `op`; `Err` when the library must refuse it.
    fn apply(&mut self, op: &Op) -> Result<(), Status> {
        let before = (self.exists, self.now.clone());
        let edit = |model: &mut Model, change: &dyn Fn(&mut Snapshot)| {
            change(&mut model.now);
            if !model.exists || model.now != before.1 {
                model.changed();
            }
        };
        match op {
            Op::Edit(k, v) => edit(self, &|now| {
                now.state.insert(k.clone(), json!(v));
            }),
            Op::Big(k, seed, len) => edit(self, &|now| {
                now.state.insert(k.clone(), json!(big_text(*seed, *len)));
            }),
            Op::EditStep(s, k, v) => edit(self, &|now| {
                let step = now.state.entry(format!("_step_{s}")).or_insert_with(|| json!({}));
                step.as_object_mut().unwrap().insert(k.clone(), json!(v));
            }),
            Op::SetStep(s) => edit(self, &|now| now.step = Some(s.clone())),
            Op::Checkpoint(label) => {
                if !self.exists {
                    self.changed();
                }
                self.end_run();
                self.push_checkpoint(label, None, None);
            }
            Op::CheckpointWith(label, key, window, meta) => {
                if !self.exists {
                    self.changed();
                }
                let top = self.undo.last();
                let merges = key.is_some()
                    && top.is_some_and(|top| {
                        top.merge_key == *key && (0..*window).contains(&(self.clock - top.made))
                    })
                    && self.redo.is_empty();
                if !merges {
                    self.end_run();
                    let held = self.undo.last().is_some_and(|top| top.snapshot == self.now);
                    if !held {
                        self.push_checkpoint(label, key.clone(), meta.map(|m| json!({ "cursor": m })));
                    }
                }
            }
            Op::Tick(ms) => self.clock += ms,
            Op::SetClean => {
                if !self.exists {
                    return Err(Status::NotFound);
                }
                self.end_run();
                self.clean = Some(self.now_id);
            }
            Op::Undo | Op::Redo => {
                let (from, to) = if matches!(op, Op::Undo) {
                    (&mut self.undo, &mut self.redo)
                } else {
                    (&mut self.redo, &mut self.undo)
                };
                if let Some(mut entry) = from.pop() {
                    let snapshot = std::mem::replace(&mut self.now, entry.snapshot.clone());
                    let id = std::mem::replace(&mut self.now_id, entry.id);
                    entry.snapshot = snapshot;
                    entry.id = id;
                    push_trimmed(to, entry, self.depth);
                    self.end_run();
                    self.keep_to_budget();
                }
            }
            Op::HistoryPush(v) => {
                push_trimmed(&mut self.history, json!({ "v": v }), self.depth);
                self.changed();
            }
            Op::HistoryPop => {
                if self.history.pop().is_some() {
                    self.changed();
                }
            }
            Op::Delete | Op::PythonDelete => {
                *self = Model {
                    depth: self.depth,
                    budget: self.budget,
                    clock: self.clock,
                    next_id: self.next_id,
                    ..Model::default()
                };
            }
            Op::Reopen(depth) => self.depth = *depth,
        }
        let _ = before.0;
        Ok(())
    }

    fn undo_status(&self) -> Value {
        let label = |stack: &Vec<Entry>| json!(stack.last().and_then(|e| e.label.clone()));
        let meta = |stack: &Vec<Entry>| stack.last().and_then(|e| e.meta.clone()).unwrap_or(Value::Null);
        json!({
            "undo_depth": self.undo.len(),
            "redo_depth": self.redo.len(),
            "undo_label": label(&self.undo),
            "redo_label": label(&self.redo),
            "undo_meta": meta(&self.undo),
            "redo_meta": meta(&self.redo),
            "clean": self.exists && self.clean == Some(self.now_id),
        })
    }
}

/// A text of `len` characters (of one to four bytes, so that cuts fall inside them) that
/// differs with `seed` only in a few places, as successive versions of a document do.
fn big_text(seed: u8, len: usize) -> String {
    let pieces = ["lorem ", "é", "ipsum\n", "€", "😀", "dolor sit amet, "];
    let mut text = String::new();
    for i in 0..len {
        let piece = if i % 97 == usize::from(seed) % 97 { "#" } else { pieces[i % pieces.len()] };
        text.push_str(piece);
    }
    text
}

/// Chunking from 512 bytes, with FastCDC's smallest sizes.
const CHUNKING: ChunkSizes = ChunkSizes { threshold: 512, min: 64, avg: 256, max: 1024 };

/// What every store of a case is opened with besides its depth: the shared clock and
/// the byte budget (a budgeted case keeps every entry inline, as the model counts them).
#[derive(Clone)]
struct Setup {
    clock: Arc<AtomicI64>,
    budget: u64,
}

fn open(path: &Path, depth: usize, setup: &Setup) -> Store {
    let clock = setup.clock.clone();
    let options = Options {
        max_history_depth: depth,
        max_history_bytes: setup.budget,
        chunking: if setup.budget == 0 { CHUNKING } else { ChunkSizes::default() },
        clock: Clock::new(move || clock.load(Ordering::SeqCst)),
        ..Options::default()
    };
    Store::open(path.to_str().unwrap(), options).expect("the store opens")
}

/// What undo and redo report: whether they did something, and the label and meta of
/// the entry they moved.
type Moved = (bool, Option<String>, Option<Value>);

/// What a handle answers to an operation: for undo and redo what they report; a
/// refusal as its status's name and its message.
type Answer = Result<Option<Moved>, (String, String)>;

/// Runs a store operation on `store` (not `Tick`, `PythonDelete` or `Reopen`, which the
/// case runs itself).
fn run_on(store: &Store, op: &Op) -> Answer {
    let moved = |t: workflow_state::Travel| {
        let revision = store.get_revision(FLOW, SESSION).unwrap();
        assert_eq!(t.revision, revision, "the revision an undo or redo reports");
        Some((t.done, t.label, t.meta.map(|m| serde_json::from_str::<Value>(&m).unwrap())))
    };
    let done = match op {
        Op::Undo => return store.undo_with(FLOW, SESSION).map(moved).map_err(refusal),
        Op::Redo => return store.redo_with(FLOW, SESSION).map(moved).map_err(refusal),
        Op::CheckpointWith(label, key, window, meta) => {
            let mut object = Map::new();
            if let Some(label) = label {
                object.insert("label".into(), json!(label));
            }
            if let Some(key) = key {
                object.insert("merge_key".into(), json!(key));
                object.insert("merge_window_ms".into(), json!(window));
            }
            if let Some(m) = meta {
                object.insert("meta".into(), json!({ "cursor": m }));
            }
            store.checkpoint_json(FLOW, SESSION, Some(&Value::Object(object).to_string()))
        }
        Op::SetClean => store.set_clean(FLOW, SESSION),
        Op::Edit(k, v) => store.update_state(FLOW, SESSION, &json!({ k: v }).to_string()),
        Op::Big(k, seed, len) => {
            store.update_state(FLOW, SESSION, &json!({ k: big_text(*seed, *len) }).to_string())
        }
        Op::EditStep(s, k, v) => store.update_step_state(FLOW, SESSION, s, &json!({ k: v }).to_string()),
        Op::SetStep(s) => store.set_current_step(FLOW, SESSION, s),
        Op::Checkpoint(label) => store.checkpoint(FLOW, SESSION, label.as_deref()),
        Op::HistoryPush(v) => store.history_push(FLOW, SESSION, &json!({ "v": v }).to_string()),
        Op::HistoryPop => store.history_pop(FLOW, SESSION).map(drop),
        Op::Delete => store.delete_session(FLOW, SESSION),
        Op::Tick(_) | Op::PythonDelete | Op::Reopen(_) => unreachable!("run by the case"),
    };
    done.map(|()| None).map_err(refusal)
}

fn refusal(e: workflow_state::Error) -> (String, String) {
    (format!("{:?}", e.status), e.message)
}

/// What a handle reads after every operation: the state, the step, the undo status and
/// the snapshot history's length and top.
fn view(store: &Store) -> Value {
    let peek = store.history_peek(FLOW, SESSION).unwrap().map(|t| serde_json::from_str::<Value>(&t).unwrap());
    json!({
        "state": serde_json::from_str::<Value>(&store.get_state(FLOW, SESSION).unwrap()).unwrap(),
        "step": store.get_current_step(FLOW, SESSION).unwrap(),
        "status": serde_json::from_str::<Value>(&store.undo_status(FLOW, SESSION).unwrap()).unwrap(),
        "history_len": store.history_len(FLOW, SESSION).unwrap(),
        "peek": peek,
    })
}

/// An operation as one line of the peer's protocol, and back.
fn encode(op: &Op) -> Value {
    match op {
        Op::Edit(k, v) => json!(["Edit", k, v]),
        Op::Big(k, seed, len) => json!(["Big", k, seed, len]),
        Op::EditStep(s, k, v) => json!(["EditStep", s, k, v]),
        Op::SetStep(s) => json!(["SetStep", s]),
        Op::Checkpoint(label) => json!(["Checkpoint", label]),
        Op::CheckpointWith(label, key, window, meta) => json!(["CheckpointWith", label, key, window, meta]),
        Op::SetClean => json!(["SetClean"]),
        Op::Undo => json!(["Undo"]),
        Op::Redo => json!(["Redo"]),
        Op::HistoryPush(v) => json!(["HistoryPush", v]),
        Op::HistoryPop => json!(["HistoryPop"]),
        Op::Delete => json!(["Delete"]),
        Op::Tick(_) | Op::PythonDelete | Op::Reopen(_) => unreachable!("run by the case"),
    }
}

fn decode(op: &Value) -> Op {
    let text = |i: usize| op[i].as_str().unwrap().to_string();
    let maybe = |i: usize| op[i].as_str().map(str::to_string);
    let int = |i: usize| op[i].as_i64().unwrap();
    match op[0].as_str().unwrap() {
        "Edit" => Op::Edit(text(1), int(2)),
        "Big" => Op::Big(text(1), int(2) as u8, int(3) as usize),
        "EditStep" => Op::EditStep(text(1), text(2), int(3)),
        "SetStep" => Op::SetStep(text(1)),
        "Checkpoint" => Op::Checkpoint(maybe(1)),
        "CheckpointWith" => Op::CheckpointWith(maybe(1), maybe(2), int(3), op[4].as_i64()),
        "SetClean" => Op::SetClean,
        "Undo" => Op::Undo,
        "Redo" => Op::Redo,
        "HistoryPush" => Op::HistoryPush(int(1)),
        "HistoryPop" => Op::HistoryPop,
        "Delete" => Op::Delete,
        other => panic!("the peer was sent an unknown operation {other:?}"),
    }
}

/// How the peer finds its case (the file, depth and budget), and marks its answers.
const PEER_ENV: &str = "WS_UNDO_MODEL_PEER";
const ANSWER: &str = "peer answers: ";

/// The second handle of a case, in another process: this test binary run again with
/// only `peer_process`, which opens its own store on the case's file and, for each line
/// it is sent (`{"clock":ms,"op":...}`, `{"clock":ms,"view":true}` or
/// `{"reopen":depth}`), does it and answers with one line. The clock travels with every
/// request, so both processes' checkpoints read the same time, as two processes on one
/// machine do.
struct Peer {
    child: Child,
    requests: Option<ChildStdin>,
    answers: BufReader<ChildStdout>,
}

impl Peer {
    fn spawn(path: &Path, depth: usize, budget: u64) -> Peer {
        let case = json!({ "path": path.to_str().unwrap(), "depth": depth, "budget": budget });
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args(["peer_process", "--exact", "--ignored", "--nocapture", "--test-threads=1"])
            .env(PEER_ENV, case.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("the peer process starts");
        let requests = child.stdin.take();
        let answers = BufReader::new(child.stdout.take().unwrap());
        Peer { child, requests, answers }
    }

    fn ask(&mut self, request: Value) -> Value {
        let requests = self.requests.as_mut().unwrap();
        writeln!(requests, "{request}").and_then(|()| requests.flush()).expect("the peer reads");
        let mut line = String::new();
        loop {
            line.clear();
            // libtest's own output comes first ("running 1 test", then "test peer_process
            // ... " with no line end, before the first answer): only answers count.
            assert!(
                self.answers.read_line(&mut line).unwrap() > 0,
                "the peer process died (its panic is above)"
            );
            if let Some((_, answer)) = line.split_once(ANSWER) {
                return serde_json::from_str(answer).unwrap();
            }
        }
    }

    fn run(&mut self, clock: i64, op: &Op) -> Answer {
        serde_json::from_value(self.ask(json!({ "clock": clock, "op": encode(op) }))).unwrap()
    }

    fn view(&mut self, clock: i64) -> Value {
        self.ask(json!({ "clock": clock, "view": true }))
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        // The end of its input ends the peer, which closes its store.
        drop(self.requests.take());
        let status = self.child.wait().expect("the peer process ends");
        if !std::thread::panicking() {
            assert!(status.success(), "the peer process failed: {status}");
        }
    }
}

fn scratch_file() -> PathBuf {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!("ws-undo-model-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("case-{}.db", COUNTER.fetch_add(1, Ordering::Relaxed)));
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    path
}

/// Not a test: the peer of a case (see `Peer`), which the case starts in a process of
/// its own; run any other way it does nothing.
#[test]
#[ignore = "the peer process of the_library_behaves_like_the_model, which starts it"]
fn peer_process() {
    let Ok(case) = std::env::var(PEER_ENV) else { return };
    let case: Value = serde_json::from_str(&case).unwrap();
    let path = PathBuf::from(case["path"].as_str().unwrap());
    let setup = Setup { clock: Arc::new(AtomicI64::new(0)), budget: case["budget"].as_u64().unwrap() };
    let mut store = open(&path, case["depth"].as_u64().unwrap() as usize, &setup);
    for line in std::io::stdin().lock().lines() {
        let request: Value = serde_json::from_str(&line.unwrap()).unwrap();
        let answer = if let Some(depth) = request["reopen"].as_u64() {
            store = open(&path, depth as usize, &setup);
            Value::Null
        } else {
            setup.clock.store(request["clock"].as_i64().unwrap(), Ordering::SeqCst);
            if request["view"] == true {
                view(&store)
            } else {
                serde_json::to_value(run_on(&store, &decode(&request["op"]))).unwrap()
            }
        };
        let mut out = std::io::stdout().lock();
        writeln!(out, "{ANSWER}{answer}").and_then(|()| out.flush()).unwrap();
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn the_library_behaves_like_the_model(
        ops in prop::collection::vec((op(), 0usize..2), 1..80),
        depth in 1usize..6,
        budget in prop::sample::select(vec![0u64, 0, 150, 600, 3000]),
    ) {
        let path = scratch_file();
        let setup = Setup { clock: Arc::new(AtomicI64::new(1_700_000_000_000)), budget };
        // Handle 0 is this process's store, handle 1 the peer's.
        let mut store = open(&path, depth, &setup);
        let mut peer = Peer::spawn(&path, depth, budget);
        let mut model = Model { depth, budget, clock: 1_700_000_000_000, ..Model::default() };
        for (i, (op, h)) in ops.iter().enumerate() {
            let h = *h;
            let expected_moved = match op {
                Op::Undo => Some(model.undo.last().map(|e| (e.label.clone(), e.meta.clone()))),
                Op::Redo => Some(model.redo.last().map(|e| (e.label.clone(), e.meta.clone()))),
                _ => None,
            }
            .map(|top| match top {
                Some((label, meta)) => (true, label, meta),
                None => (false, None, None),
            });
            let expected = model.apply(op);
            let clock = setup.clock.load(Ordering::SeqCst);
            let got = match op {
                Op::Tick(ms) => {
                    setup.clock.fetch_add(*ms, Ordering::SeqCst);
                    Ok(None)
                }
                Op::PythonDelete => {
                    let conn = rusqlite::Connection::open(&path).unwrap();
                    conn.execute(
                        "DELETE FROM workflow_state WHERE flow_session_key = ?1",
                        [format!("{FLOW}:{SESSION}")],
                    )
                    .unwrap();
                    Ok(None)
                }
                Op::Reopen(depth) => {
                    store = open(&path, *depth, &setup);
                    peer.ask(json!({ "reopen": depth }));
                    Ok(None)
                }
                _ if h == 0 => run_on(&store, op),
                _ => peer.run(clock, op),
            };
            match (expected, got) {
                (Ok(()), Ok(moved)) => prop_assert_eq!(moved, expected_moved, "what op {} {:?} reports", i, op),
                (Err(status), Err((name, message))) => prop_assert_eq!(name, format!("{status:?}"), "op {} {:?}: {}", i, op, message),
                (expected, got) => prop_assert!(false, "op {} {:?} via handle {}: model {:?}, library {:?}", i, op, h, expected, got.map(drop)),
            }

            let seen = if (h + i) % 2 == 0 { view(&store) } else { peer.view(setup.clock.load(Ordering::SeqCst)) };
            prop_assert_eq!(&seen["state"], &Value::Object(model.now.state.clone()), "state after op {} {:?}", i, op);
            prop_assert_eq!(&seen["step"], &json!(model.now.step), "step after op {} {:?}", i, op);
            prop_assert_eq!(&seen["status"], &model.undo_status(), "undo status after op {} {:?}", i, op);
            prop_assert_eq!(&seen["history_len"], &json!(model.history.len()), "history after op {} {:?}", i, op);
            prop_assert_eq!(&seen["peek"], &json!(model.history.last()), "history top after op {} {:?}", i, op);
        }
        drop(peer);
        drop(store);
        let conn = rusqlite::Connection::open(&path).unwrap();
        for (rule, sql) in CHUNK_RULES {
            prop_assert_eq!(conn.query_row(sql, [], |row| row.get::<_, i64>(0)).unwrap(), 0, "{}", rule);
        }
        let check: String = conn.query_row("PRAGMA integrity_check", [], |row| row.get(0)).unwrap();
        prop_assert_eq!(check, "ok");
        drop(conn);
        let _ = std::fs::remove_file(&path);
    }
}
