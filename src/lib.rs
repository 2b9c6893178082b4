//! workflow_state: the state of multi-step, human-in-the-loop workflows (current step,
//! session state, per-step state, labelled sessions, history, undo/redo) kept in SQLite, in the on-disk
//! format of the Python package cjm-workflow-state 0.0.3.
//!
//! The safe Rust API is [`Store`]; the C API (`ws_*`, header `include/workflow_state.h`)
//! is a thin layer over it in [`ffi`].

mod busy;
mod cache;
mod chunks;
mod copy;
mod edit;
mod error;
mod export;
mod feed;
mod gate;
#[allow(non_camel_case_types)]
pub mod ffi;
mod history;
mod json;
mod key;
mod options;
mod patch;
mod pointer;
mod pool;
mod prune;
mod query;
mod schema;
mod sessions;
mod state;
mod store;
mod stored;
mod undo;

#[doc(hidden)]
pub use chunks::{ChunkSizes, CHUNK_RULES};
pub use error::{Error, Result, Status};
pub use history::{json_history_pop, json_history_push};
pub use json::MAX_DEPTH as MAX_JSON_DEPTH;
pub use options::{Clock, JournalMode, Options, Synchronous, DEFAULT_MAX_HISTORY_DEPTH};
pub use schema::SCHEMA_VERSION;
pub use sessions::Order;
pub use store::{Store, MEMORY_PATH};
/// The one NUL check, shared by the core and the C layer.
#[doc(hidden)]
pub use stored::check_no_nul;
pub use undo::{Travel, DEFAULT_MERGE_WINDOW_MS};
