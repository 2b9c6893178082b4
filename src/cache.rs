//! What a store remembers about texts, by session key, within a memory budget: the
//! canonical states it has written or validated (`StateCache`), and how it last cut
//! each session's state into chunks (`ChunkCache`, see `chunks.rs`).
//!
//! A stored text that equals a cached one byte for byte is known to be valid, canonical
//! JSON with known entries, so reading it or merging into it needs no scan: a merge into
//! one key of a large state costs a comparison and a copy. An entry is a fact about a
//! text, not a claim about the file: whoever changes the row (another process, the Python
//! package, a rolled-back write), the comparison decides, so the cache is never stale.

use crate::chunks::Chunked;
use crate::json::CanonicalObject;
use std::collections::HashMap;
use std::sync::Arc;

/// The most memory each cache holds; past it, it starts again empty.
const BUDGET_BYTES: usize = 32 << 20;

/// What an entry of a cache weighs.
pub(crate) trait Weigh {
    fn size(&self) -> usize;
}

impl Weigh for CanonicalObject {
    fn size(&self) -> usize {
        CanonicalObject::size(self)
    }
}

impl Weigh for Chunked {
    fn size(&self) -> usize {
        Chunked::size(self)
    }
}

/// One value per session key, at most `BUDGET_BYTES` in all. Keys are hashed with
/// foldhash rather than the standard SipHash: a lookup is on every state read, and
/// SipHash was a tenth of what `ws_get_state` adds to SQLite's own work.
pub(crate) struct Cache<V> {
    objects: HashMap<String, Arc<V>, foldhash::fast::RandomState>,
    bytes: usize,
}

impl<V> Default for Cache<V> {
    fn default() -> Self {
        Cache { objects: HashMap::default(), bytes: 0 }
    }
}

impl<V: Weigh> Cache<V> {
    pub fn get(&self, key: &str) -> Option<Arc<V>> {
        self.objects.get(key).cloned()
    }

    pub fn put(&mut self, key: &str, object: Arc<V>) {
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

/// The canonical states by session key.
pub(crate) type StateCache = Cache<CanonicalObject>;

/// The last chunked text of each session.
pub(crate) type ChunkCache = Cache<Chunked>;

impl StateCache {
    /// The cached object for `key` if its text is exactly `text` (bytes as stored, so
    /// that a hit needs no UTF-8 check).
    pub fn matching(&self, key: &str, text: &[u8]) -> Option<Arc<CanonicalObject>> {
        self.objects.get(key).filter(|object| object.text().as_bytes() == text).cloned()
    }
}
