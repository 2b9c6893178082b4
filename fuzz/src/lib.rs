//! The fuzz harness of workflow_state's C API: an input is a script of `ws_*` calls
//! (format in `script.rs`), run on a new store on a new file, every call checked against
//! the contract and a model of the store.

mod capi;
mod edit;
mod leaks;
mod model;
mod script;
mod tree;

pub use leaks::live_bytes;
pub use script::run;
