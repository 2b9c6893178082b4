//! What the store should hold after the calls so far: every session of the current
//! store, with its state, current step, label, history and undo/redo stacks.
//! The fuzzer's store is private and new for every input, so the model sees every write.

use crate::tree::{Obj, J};
use std::collections::BTreeMap;

pub type Key = (String, String);

#[derive(Clone, Debug)]
pub struct Checkpoint {
    pub state: Obj,
    pub step: Option<String>,
    pub label: Option<String>,
}

#[derive(Clone, Debug, Default)]
pub struct Session {
    pub state: Obj,
    pub step: Option<String>,
    pub label: Option<String>,
    pub history: Vec<J>,
    pub undo: Vec<Checkpoint>,
    pub redo: Vec<Checkpoint>,
    /// Creation order within the store: `ws_list_sessions` breaks ties with it.
    pub seq: u64,
    /// Timestamps as last read back from the library.
    pub created_at: Option<String>,
    pub updated_at: Option<String>,
}

pub struct Model {
    pub sessions: BTreeMap<Key, Session>,
    pub max_history_depth: usize,
    next_seq: u64,
}

impl Model {
    pub fn new(max_history_depth: usize) -> Model {
        Model { sessions: BTreeMap::new(), max_history_depth, next_seq: 0 }
    }

    /// The session, created empty if it does not exist (what every upserting call does).
    pub fn upsert(&mut self, key: &Key) -> &mut Session {
        let seq = &mut self.next_seq;
        self.sessions.entry(key.clone()).or_insert_with(|| {
            *seq += 1;
            Session { seq: *seq, ..Session::default() }
        })
    }
}

/// Pushes onto a stack kept to `depth` entries, oldest dropped (the store's
/// `max_history_depth`).
pub fn push_trimmed<T>(stack: &mut Vec<T>, item: T, depth: usize) {
    stack.push(item);
    let excess = stack.len().saturating_sub(depth);
    stack.drain(..excess);
}
