//! Property test: random sequences of edits, step changes, checkpoints, undos, redos,
//! history pushes and pops, session deletions and store reopenings (with a different
//! `max_history_depth`) run against the library and against a plain in-memory model;
//! after every operation the state, the current step and the undo status must agree.
//!
//! States grow past the chunking threshold (lowered for the test, with small chunks), so
//! that undo and redo entries are kept both inline and as shared chunks; after every
//! case the chunks' reference counts must match the entries and the file must be sound.
//!
//! `PROPTEST_CASES=5000 cargo test --release --test undo_model` runs many more cases.

use proptest::prelude::*;
use serde_json::{json, Map, Value};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use workflow_state::{ChunkSizes, Options, Store, CHUNK_RULES};

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
        4 => label.prop_map(Op::Checkpoint),
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

/// The plain model: the session, its undo and redo stacks (label + snapshot), its
/// snapshot history, and the depth the store was opened with.
#[derive(Default)]
struct Model {
    now: Snapshot,
    undo: Vec<(Option<String>, Snapshot)>,
    redo: Vec<(Option<String>, Snapshot)>,
    history: Vec<Value>,
    depth: usize,
}

fn push_trimmed<T>(stack: &mut Vec<T>, item: T, depth: usize) {
    stack.push(item);
    let excess = stack.len().saturating_sub(depth);
    stack.drain(..excess);
}

impl Model {
    fn apply(&mut self, op: &Op) {
        match op {
            Op::Edit(k, v) => {
                self.now.state.insert(k.clone(), json!(v));
            }
            Op::Big(k, seed, len) => {
                self.now.state.insert(k.clone(), json!(big_text(*seed, *len)));
            }
            Op::EditStep(s, k, v) => {
                let step = self.now.state.entry(format!("_step_{s}")).or_insert_with(|| json!({}));
                step.as_object_mut().unwrap().insert(k.clone(), json!(v));
            }
            Op::SetStep(s) => self.now.step = Some(s.clone()),
            Op::Checkpoint(label) => {
                push_trimmed(&mut self.undo, (label.clone(), self.now.clone()), self.depth);
                self.redo.clear();
            }
            Op::Undo => {
                if let Some((label, snapshot)) = self.undo.pop() {
                    let replaced = std::mem::replace(&mut self.now, snapshot);
                    push_trimmed(&mut self.redo, (label, replaced), self.depth);
                }
            }
            Op::Redo => {
                if let Some((label, snapshot)) = self.redo.pop() {
                    let replaced = std::mem::replace(&mut self.now, snapshot);
                    push_trimmed(&mut self.undo, (label, replaced), self.depth);
                }
            }
            Op::HistoryPush(v) => push_trimmed(&mut self.history, json!({ "v": v }), self.depth),
            Op::HistoryPop => {
                self.history.pop();
            }
            Op::Delete | Op::PythonDelete => {
                *self = Model { depth: self.depth, ..Model::default() };
            }
            Op::Reopen(depth) => self.depth = *depth,
        }
    }

    fn undo_status(&self) -> Value {
        let label =
            |stack: &Vec<(Option<String>, Snapshot)>| json!(stack.last().and_then(|(l, _)| l.clone()));
        json!({
            "undo_depth": self.undo.len(),
            "redo_depth": self.redo.len(),
            "undo_label": label(&self.undo),
            "redo_label": label(&self.redo),
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

fn open(path: &Path, depth: usize) -> Store {
    let options = Options { max_history_depth: depth, chunking: CHUNKING, ..Options::default() };
    Store::open(path.to_str().unwrap(), options).expect("the store opens")
}

/// Runs `op` on the store; for undo and redo, returns whether it did something.
fn run(store: &mut Store, path: &Path, op: &Op) -> Result<Option<bool>, workflow_state::Error> {
    match op {
        Op::Undo => return store.undo(FLOW, SESSION).map(Some),
        Op::Redo => return store.redo(FLOW, SESSION).map(Some),
        _ => {}
    }
    match op {
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
        Op::PythonDelete => {
            let conn = rusqlite::Connection::open(path).unwrap();
            conn.execute(
                "DELETE FROM workflow_state WHERE flow_session_key = ?1",
                [format!("{FLOW}:{SESSION}")],
            )
            .unwrap();
            Ok(())
        }
        Op::Reopen(depth) => {
            *store = open(path, *depth);
            Ok(())
        }
        Op::Undo | Op::Redo => unreachable!(),
    }
    .map(|()| None)
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

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn the_library_behaves_like_the_model(ops in prop::collection::vec(op(), 1..80), depth in 1usize..6) {
        let path = scratch_file();
        let mut store = open(&path, depth);
        let mut model = Model { depth, ..Model::default() };
        for (i, op) in ops.iter().enumerate() {
            let expected_done = match op {
                Op::Undo => Some(!model.undo.is_empty()),
                Op::Redo => Some(!model.redo.is_empty()),
                _ => None,
            };
            model.apply(op);
            let done = run(&mut store, &path, op).map_err(|e| TestCaseError::fail(format!("op {i} {op:?}: {e}")))?;
            prop_assert_eq!(done, expected_done, "done flag of op {} {:?}", i, op);

            let state: Value = serde_json::from_str(&store.get_state(FLOW, SESSION).unwrap()).unwrap();
            prop_assert_eq!(&state, &Value::Object(model.now.state.clone()), "state after op {} {:?}", i, op);
            prop_assert_eq!(store.get_current_step(FLOW, SESSION).unwrap(), model.now.step.clone(), "step after op {} {:?}", i, op);
            let status: Value = serde_json::from_str(&store.undo_status(FLOW, SESSION).unwrap()).unwrap();
            prop_assert_eq!(&status, &model.undo_status(), "undo status after op {} {:?}", i, op);
            prop_assert_eq!(store.history_len(FLOW, SESSION).unwrap(), model.history.len(), "history after op {} {:?}", i, op);
            let peek = store.history_peek(FLOW, SESSION).unwrap().map(|t| serde_json::from_str::<Value>(&t).unwrap());
            prop_assert_eq!(peek.as_ref(), model.history.last(), "history top after op {} {:?}", i, op);
        }
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
