//! The canonical states a store has written or validated, by session key.
//!
//! A stored text that equals a cached one byte for byte is known to be valid, canonical
//! JSON with known entries, so reading it or merging into it needs no scan: a merge into
//! one key of a large state costs a comparison and a copy. An entry is a fact about a
//! text, not a claim about the file: whoever changes the row (another process, the Python
//! package, a rolled-back write), the comparison decides, so the cache is never stale.

use crate::json::CanonicalObject;
use std::collections::HashMap;
use std::sync::Arc;

/// The most memory the cache holds; past it, it starts again empty.
const BUDGET_BYTES: usize = 32 << 20;

#[derive(Default)]
pub(crate) struct StateCache {
    objects: HashMap<String, Arc<CanonicalObject>>,
    bytes: usize,
}

impl StateCache {
    /// The cached object for `key` if its text is exactly `text` (bytes as stored, so
    /// that a hit needs no UTF-8 check).
    pub fn get(&self, key: &str, text: &[u8]) -> Option<Arc<CanonicalObject>> {
        self.objects.get(key).filter(|object| object.text().as_bytes() == text).cloned()
    }

    pub fn put(&mut self, key: &str, object: Arc<CanonicalObject>) {
        self.remove(key);
        let size = object.size() + key.len();
        if size > BUDGET_BYTES / 4 {
            return;
        }
        if self.bytes + size > BUDGET_BYTES {
            self.objects.clear();
            self.bytes = 0;
        }
        self.bytes += size;
        self.objects.insert(key.to_string(), object);
    }

    pub fn remove(&mut self, key: &str) {
        if let Some(old) = self.objects.remove(key) {
            self.bytes -= old.size() + key.len();
        }
    }
}
