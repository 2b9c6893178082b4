//! What the store should hold after the calls so far: every session of the current
//! store, with its state, current step, label, history, undo/redo stacks and revision,
//! and the change sequence of the file. The fuzzer's store is private and new for every
//! input, so the model sees every write.

use crate::tree::{Obj, J};
use std::collections::BTreeMap;

pub type Key = (String, String);

#[derive(Clone, Debug)]
pub struct Checkpoint {
    pub state: Obj,
    pub step: Option<String>,
    pub label: Option<String>,
    /// The meta of `ws_apply`'s checkpoint object; it moves with the entry.
    pub meta: Option<J>,
    /// The merge run the entry opened, while it lasts (only ever the newest undo entry).
    pub run: Option<Run>,
}

impl Checkpoint {
    /// An entry without meta that opens no merge run: what `ws_checkpoint` records.
    pub fn plain(state: Obj, step: Option<String>, label: Option<String>) -> Checkpoint {
        Checkpoint { state, step, label, meta: None, run: None }
    }
}

/// A merge run: later checkpoints with `key` merge into the entry while the library's
/// clock is less than the window past `made`.
#[derive(Clone, Debug)]
pub struct Run {
    pub key: String,
    /// When the library made the entry, as far as the harness knows: between the two
    /// readings (ms since the Unix epoch, the library's clock) taken around the call.
    pub made: (i64, i64),
}

#[derive(Clone, Debug, Default)]
pub struct Session {
    pub state: Obj,
    pub step: Option<String>,
    pub label: Option<String>,
    pub history: Vec<J>,
    pub undo: Vec<Checkpoint>,
    pub redo: Vec<Checkpoint>,
    /// Creation order within the store: `ws_list_sessions` breaks ties of `created_at`
    /// and labels with it.
    pub seq: u64,
    /// The number of the session's latest change (ties of `updated_at` go by it).
    pub revision: i64,
    /// Timestamps as last read back from the library.
    pub created_at: Option<String>,
    pub updated_at: Option<String>,
}

pub struct Model {
    pub sessions: BTreeMap<Key, Session>,
    pub max_history_depth: usize,
    next_seq: u64,
    /// The latest number of the change sequence (`ws_latest_seq`).
    pub latest: i64,
    /// Every session changed since the file was made, live or deleted: the number of its
    /// latest change and whether that was its deletion (what `ws_changes_since` lists).
    pub changes: BTreeMap<Key, (i64, bool)>,
}

impl Model {
    pub fn new(max_history_depth: usize) -> Model {
        Model {
            sessions: BTreeMap::new(),
            max_history_depth,
            next_seq: 0,
            latest: 0,
            changes: BTreeMap::new(),
        }
    }

    /// What a session's row holds (`None`: no row): a call that changes it takes a number.
    pub fn row(&self, key: &Key) -> Option<(Obj, Option<String>, Option<String>)> {
        self.sessions.get(key).map(|m| (m.state.clone(), m.step.clone(), m.label.clone()))
    }

    /// A call changed the session (or deleted it): it takes the next number.
    pub fn number(&mut self, key: &Key) {
        self.latest += 1;
        let deleted = match self.sessions.get_mut(key) {
            Some(session) => {
                session.revision = self.latest;
                false
            }
            None => true,
        };
        self.changes.insert(key.clone(), (self.latest, deleted));
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
