//! Large undo/redo snapshots as chunks shared between entries (structural sharing).
//!
//! A checkpoint of a state of `ChunkSizes::threshold` bytes or more does not copy the
//! state into its `ws_history` row: the text is cut into content-defined chunks (FastCDC:
//! a cut depends only on the bytes before it, so an edit in one place changes the chunks
//! around it and no other), each chunk is stored once in `ws_chunk` / `ws_chunk_data`
//! under its BLAKE3 hash, and the entry's `chunks` column lists the chunk ids in order.
//! Successive checkpoints of a large document then write only the chunks that changed.
//! SQL triggers (see `schema.rs`) keep every chunk's reference count, whoever inserts,
//! rewrites or deletes entries, and delete a chunk with its last reference.
//!
//! The store remembers, per session, the last text it chunked (`Chunked`). The next text
//! is compared with it from both ends: the chunks inside the common prefix are kept
//! without being cut or hashed again, cutting resumes before the first changed byte, and
//! stops as soon as a cut falls on an old cut inside the common suffix, from where on the
//! old chunks are the new ones, shifted. Like the state cache, this is a fact about two
//! texts, not a claim about the file: chunks are always looked up by hash.

use crate::error::{Error, Result};
use crate::json::CanonicalObject;
use crate::store::{execute, query_row, Db, Store, STATE_SQL};
use crate::stored;
use rusqlite::types::ValueRef;
use rusqlite::{params, Connection, OptionalExtension, MAIN_DB};
use std::ops::Range;
use std::sync::Arc;

/// When a snapshot is chunked, and the FastCDC sizes of its chunks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChunkSizes {
    /// States of at least this many bytes are chunked; smaller ones are stored inline.
    pub threshold: usize,
    /// FastCDC's minimum, average and maximum chunk sizes (at least 64, 256, 1024).
    pub min: u32,
    pub avg: u32,
    pub max: u32,
}

impl Default for ChunkSizes {
    /// 64 KiB and up; chunks of 8-128 KiB, 32 KiB on average (a 1 MB state is about 30
    /// chunks: few enough that looking them up is cheap, small enough that an edit
    /// rewrites a few pages).
    fn default() -> ChunkSizes {
        ChunkSizes { threshold: 64 << 10, min: 8 << 10, avg: 32 << 10, max: 128 << 10 }
    }
}

type Hash = [u8; 32];

/// A snapshot's text: the state cache's object (no copy) or a text of its own.
#[derive(Clone)]
pub(crate) enum Text {
    State(Arc<CanonicalObject>),
    Owned(Arc<String>),
}

impl Text {
    pub fn as_str(&self) -> &str {
        match self {
            Text::State(object) => object.text(),
            Text::Owned(text) => text,
        }
    }
}

/// A text cut into chunks: chunk `i` is `text[ends[i - 1]..ends[i]]`, hashed `hashes[i]`.
pub(crate) struct Chunked {
    text: Text,
    ends: Vec<usize>,
    hashes: Vec<Hash>,
}

impl Chunked {
    /// Cuts `text`, reusing what it shares with `prev` (see the module comment).
    pub fn new(text: Text, prev: Option<&Chunked>, sizes: &ChunkSizes) -> Chunked {
        let new = text.as_str().as_bytes();
        let (ends, hashes) = match prev {
            Some(prev) if prev.text.as_str().as_bytes() == new => (prev.ends.clone(), prev.hashes.clone()),
            Some(prev) => cut_again(new, prev, sizes),
            None => {
                let ends = cut(new, 0, sizes).collect::<Vec<_>>();
                let hashes = ranges(&ends).map(|r| *blake3::hash(&new[r]).as_bytes()).collect();
                (ends, hashes)
            }
        };
        Chunked { text, ends, hashes }
    }

    pub fn text(&self) -> &str {
        self.text.as_str()
    }

    /// Each chunk's bytes and hash, in order.
    fn pieces(&self) -> impl Iterator<Item = (&[u8], &Hash)> {
        let bytes = self.text.as_str().as_bytes();
        ranges(&self.ends).map(move |r| &bytes[r]).zip(&self.hashes)
    }

    /// Roughly the memory it holds, for the cache's budget.
    pub fn size(&self) -> usize {
        self.text.as_str().len() + self.ends.len() * (8 + 32)
    }
}

/// The byte ranges of chunks ending at `ends`.
fn ranges(ends: &[usize]) -> impl Iterator<Item = Range<usize>> + '_ {
    ends.iter().scan(0, |start, &end| Some(std::mem::replace(start, end)..end))
}

/// The ends of FastCDC's chunks of `bytes[from..]`, as offsets into `bytes`.
fn cut<'a>(bytes: &'a [u8], from: usize, sizes: &ChunkSizes) -> impl Iterator<Item = usize> + 'a {
    fastcdc::v2020::FastCDC::new(&bytes[from..], sizes.min, sizes.avg, sizes.max)
        .map(move |chunk| from + chunk.offset + chunk.length)
}

/// Cuts `new` knowing how `prev` was cut (the module comment says how).
fn cut_again(new: &[u8], prev: &Chunked, sizes: &ChunkSizes) -> (Vec<usize>, Vec<Hash>) {
    let old = prev.text.as_str().as_bytes();
    let prefix = common_prefix(old, new);
    let suffix = common_suffix(old, new);
    let max = sizes.max as usize;
    let mut ends = Vec::with_capacity(prev.ends.len() + 2);
    let mut hashes = Vec::with_capacity(prev.ends.len() + 2);
    // An old chunk is kept when its bytes and the byte after it (which FastCDC reads to
    // decide the cut) lie in the common prefix, and more than `max` bytes followed its
    // start in both texts (FastCDC's cut depends on how much data is left below that).
    let mut start = 0;
    for (&end, hash) in prev.ends.iter().zip(&prev.hashes) {
        if end >= prefix || old.len() - start <= max || new.len() - start <= max {
            break;
        }
        ends.push(end);
        hashes.push(*hash);
        start = end;
    }
    // Cut from there; a cut in the common suffix that meets an old cut makes every old
    // chunk after it a new chunk too, as the bytes from there to the end are the same.
    let suffix_start = new.len() - suffix;
    let mut resumed = None;
    for end in cut(new, start, sizes) {
        let chunk_start = std::mem::replace(&mut start, end);
        hashes.push(*blake3::hash(&new[chunk_start..end]).as_bytes());
        ends.push(end);
        if end >= suffix_start && end < new.len() {
            let old_end = end - suffix_start + (old.len() - suffix);
            if let Ok(i) = prev.ends.binary_search(&old_end) {
                resumed = Some((i + 1, old_end));
                break;
            }
        }
    }
    if let Some((first, old_end)) = resumed {
        ends.extend(prev.ends[first..].iter().map(|&e| e - old_end + start));
        hashes.extend_from_slice(&prev.hashes[first..]);
    }
    (ends, hashes)
}

/// How many leading bytes `a` and `b` share (compared a block at a time).
fn common_prefix(a: &[u8], b: &[u8]) -> usize {
    const BLOCK: usize = 256;
    let n = a.len().min(b.len());
    let mut i = 0;
    while i + BLOCK <= n && a[i..i + BLOCK] == b[i..i + BLOCK] {
        i += BLOCK;
    }
    i + a[i..n].iter().zip(&b[i..n]).take_while(|(x, y)| x == y).count()
}

/// How many trailing bytes `a` and `b` share.
fn common_suffix(a: &[u8], b: &[u8]) -> usize {
    const BLOCK: usize = 256;
    let n = a.len().min(b.len());
    let (a, b) = (&a[a.len() - n..], &b[b.len() - n..]);
    let mut i = 0;
    while i + BLOCK <= n && a[n - i - BLOCK..n - i] == b[n - i - BLOCK..n - i] {
        i += BLOCK;
    }
    i + a[..n - i].iter().rev().zip(b[..n - i].iter().rev()).take_while(|(x, y)| x == y).count()
}

/// The session's stored state text cut into chunks and the chunks saved, when it is text
/// of at least the threshold's size: the cut text and the entry's `chunks` value (else
/// `None`: the entry keeps the state inline). The cut reuses the session's last chunked
/// text, and is remembered for the next one.
pub(crate) fn save_session_state(
    store: &Store,
    conn: &Db,
    key: &str,
) -> Result<Option<(Arc<Chunked>, String)>> {
    let Some(chunked) = chunk_session_state(store, conn, key)? else { return Ok(None) };
    let ids = save(conn, &chunked)?;
    Ok(Some((chunked, ids)))
}

/// An undo or redo snapshot that is not the session's state (one an import writes,
/// `export.rs`) kept as a checkpoint keeps a state of its size: `None` below the
/// threshold (the entry keeps it inline); else cut, reusing `prev` (the cut of the
/// session's previous such text, which usually shares most of it), and its chunks saved:
/// the cut and the entry's `chunks` value, as [`save_session_state`] gives them.
pub(crate) fn save_text(
    store: &Store,
    conn: &Connection,
    text: &str,
    prev: Option<&Chunked>,
) -> Result<Option<(Chunked, String)>> {
    let sizes = store.options().chunking;
    if text.len() < sizes.threshold {
        return Ok(None);
    }
    let chunked = Chunked::new(Text::Owned(Arc::new(text.to_string())), prev, &sizes);
    let ids = save(conn, &chunked)?;
    Ok(Some((chunked, ids)))
}

fn chunk_session_state(store: &Store, conn: &Db, key: &str) -> Result<Option<Arc<Chunked>>> {
    enum Found {
        Inline,
        Same(Arc<Chunked>),
        New(Text),
    }
    let sizes = store.options().chunking;
    let prev = store.chunk_cache().get(key);
    let found = conn.query_hot(
        STATE_SQL,
        [key],
        |row| {
            let ValueRef::Text(bytes) = row.get_ref(0)? else { return Ok(Found::Inline) };
            if bytes.len() < sizes.threshold {
                return Ok(Found::Inline);
            }
            // The text cut last (as after an undo, which restores a cut text) needs
            // no copy and no cut; else the state cache's object needs no copy.
            if let Some(prev) = prev.as_ref().filter(|prev| prev.text().as_bytes() == bytes) {
                return Ok(Found::Same(prev.clone()));
            }
            Ok(match store.cache().matching(key, bytes) {
                Some(object) => Found::New(Text::State(object)),
                // Text that is not UTF-8 stays inline, copied as it is.
                None => match std::str::from_utf8(bytes) {
                    Ok(text) => Found::New(Text::Owned(Arc::new(text.to_string()))),
                    Err(_) => Found::Inline,
                },
            })
        },
        || format!("read the state of session key {key:?}"),
    )?;
    match found {
        None | Some(Found::Inline) => Ok(None),
        Some(Found::Same(chunked)) => Ok(Some(chunked)),
        Some(Found::New(text)) => {
            let chunked = Arc::new(Chunked::new(text, prev.as_deref(), &sizes));
            store.chunk_cache().put(key, chunked.clone());
            Ok(Some(chunked))
        }
    }
}

/// Stores the chunks `ws_chunk` does not have yet and returns the entry's `chunks`
/// value, a JSON array of chunk ids. New chunks start with no reference: the entry that
/// lists them, written next in the same transaction, adds it (through the triggers).
/// Entries that go must be deleted before, not between: a chunk found here whose last
/// reference is then deleted would be deleted with it.
fn save(conn: &Connection, chunked: &Chunked) -> Result<String> {
    let doing = || "store the chunks of a snapshot".to_string();
    let mut ids = String::with_capacity(chunked.ends.len() * 8 + 2);
    for (bytes, hash) in chunked.pieces() {
        let found: Option<i64> =
            query_row(conn, "SELECT id FROM ws_chunk WHERE hash = ?1", [&hash[..]], |row| row.get(0), doing)?;
        let id = match found {
            Some(id) => id,
            None => {
                execute(conn, "INSERT INTO ws_chunk (hash, refs) VALUES (?1, 0)", [&hash[..]], doing)?;
                let id = conn.last_insert_rowid();
                execute(
                    conn,
                    "INSERT OR REPLACE INTO ws_chunk_data (id, data) VALUES (?1, ?2)",
                    params![id, bytes],
                    doing,
                )?;
                id
            }
        };
        ids.push(if ids.is_empty() { '[' } else { ',' });
        ids.push_str(&id.to_string());
    }
    ids.push(']');
    Ok(ids)
}

/// Reads back the text of an entry whose `chunks` are `ids`, with its cut; `what` names
/// the snapshot. One lookup per chunk (a join with `json_each` ordered by position would
/// sort the chunks' data), and each chunk's data read by incremental blob I/O straight
/// into the text, instead of being copied into a value first. The text is held to the
/// rule of any stored text (`stored.rs`): UTF-8 without a NUL byte.
pub(crate) fn load(conn: &Connection, ids: &str, what: impl Fn() -> String) -> Result<Chunked> {
    let doing = || format!("read {}", what());
    let sqlite = |e| Error::sqlite(&doing(), e);
    let bad = |problem: &str| Error::corrupt(format!("{} {problem}: {ids}", what()));
    let ids: Vec<i64> =
        serde_json::from_str(ids).map_err(|_| bad("has a chunk list that is not an array of ids"))?;
    // octet_length: the size in bytes also of data another program stored as TEXT, whose
    // length() counts characters up to the first NUL. Like length(), it reads no data.
    let mut stmt = conn
        .prepare_cached(
            "SELECT c.hash, octet_length(d.data) FROM ws_chunk AS c JOIN ws_chunk_data AS d ON d.id = c.id
             WHERE c.id = ?1",
        )
        .map_err(sqlite)?;
    let mut sizes = Vec::with_capacity(ids.len());
    let mut hashes = Vec::with_capacity(ids.len());
    for &id in &ids {
        let (hash, size): (Vec<u8>, i64) = stmt
            .query_row([id], |row| Ok((row.get(0)?, row.get(1)?)))
            .optional()
            .map_err(sqlite)?
            .ok_or_else(|| bad("lists a chunk missing from ws_chunk or ws_chunk_data"))?;
        hashes.push(Hash::try_from(hash).map_err(|_| bad("lists a chunk whose hash is not 32 bytes"))?);
        sizes.push(usize::try_from(size).map_err(|_| bad("lists a chunk of negative size"))?);
    }
    let mut bytes = vec![0; sizes.iter().sum()];
    let mut ends = Vec::with_capacity(ids.len());
    let mut start = 0;
    for (&id, size) in ids.iter().zip(sizes) {
        let blob = conn.blob_open(MAIN_DB, c"ws_chunk_data", c"data", id, true).map_err(sqlite)?;
        blob.read_at_exact(&mut bytes[start..start + size], 0).map_err(sqlite)?;
        start += size;
        ends.push(start);
    }
    let text = stored::check_string(bytes, &what)?;
    Ok(Chunked { text: Text::Owned(Arc::new(text)), ends, hashes })
}

/// What must hold between `ws_history` and the chunk tables, as queries that count the
/// rows breaking each rule (all must give 0); for tests.
#[doc(hidden)]
pub const CHUNK_RULES: &[(&str, &str)] = &[
    (
        "refs is the number of entries that list the chunk",
        "SELECT count(*) FROM ws_chunk AS c WHERE refs != (SELECT count(*) FROM ws_history AS h
         WHERE EXISTS (SELECT 1 FROM json_each(h.chunks) WHERE value = c.id))",
    ),
    (
        "every listed chunk exists",
        "SELECT count(*) FROM ws_history AS h, json_each(h.chunks) AS j
         WHERE j.value NOT IN (SELECT id FROM ws_chunk)",
    ),
    (
        "every chunk has its data and no data is left without its chunk",
        "SELECT (SELECT count(*) FROM ws_chunk WHERE id NOT IN (SELECT id FROM ws_chunk_data))
              + (SELECT count(*) FROM ws_chunk_data WHERE id NOT IN (SELECT id FROM ws_chunk))",
    ),
    (
        "an entry is inline or chunked, never both",
        "SELECT count(*) FROM ws_history WHERE chunks IS NOT NULL AND snapshot IS NOT NULL",
    ),
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::options::Options;
    use crate::schema::SCHEMA_VERSION;

    const SMALL: ChunkSizes = ChunkSizes { threshold: 0, min: 64, avg: 256, max: 1024 };

    fn text(s: &str) -> Text {
        Text::Owned(Arc::new(s.to_string()))
    }

    fn fresh(s: &str) -> Chunked {
        Chunked::new(text(s), None, &SMALL)
    }

    fn doc(n: usize, edit: usize, with: &str) -> String {
        (0..n)
            .map(|i| if i == edit { format!("<{with}>") } else { format!("item {i} has value {};", i * 7) })
            .collect()
    }

    fn check_same_cut(again: &Chunked, fresh: &Chunked) {
        assert_eq!(again.ends, fresh.ends);
        assert_eq!(again.hashes, fresh.hashes);
    }

    #[test]
    fn a_cut_again_equals_a_fresh_cut_for_edits_anywhere() {
        let base = doc(800, usize::MAX, "");
        let prev = fresh(&base);
        assert!(prev.ends.len() > 20, "{} chunks", prev.ends.len());
        for edit in [0, 1, 50, 399, 400, 798, 799] {
            for with in ["", "x", "a much longer replacement text than before, to shift what follows"] {
                let new = doc(800, edit, with);
                check_same_cut(&Chunked::new(text(&new), Some(&prev), &SMALL), &fresh(&new));
            }
        }
        // Appending, truncating, emptying, and unrelated texts.
        for new in
            [format!("{base}tail"), base[..base.len() / 2].to_string(), String::new(), doc(300, 5, "z")]
        {
            check_same_cut(&Chunked::new(text(&new), Some(&prev), &SMALL), &fresh(&new));
        }
        check_same_cut(&Chunked::new(text(&base), Some(&prev), &SMALL), &prev);
    }

    #[test]
    fn the_chunks_make_up_the_text() {
        let s = doc(500, 3, "é€😀");
        let c = fresh(&s);
        let joined: Vec<u8> = c.pieces().flat_map(|(b, _)| b.to_vec()).collect();
        assert_eq!(joined, s.as_bytes());
        assert_eq!(c.ends.last(), Some(&s.len()));
    }

    #[test]
    fn common_ends() {
        let a = vec![7u8; 1000];
        let mut b = a.clone();
        b[600] = 8;
        assert_eq!(common_prefix(&a, &b), 600);
        assert_eq!(common_suffix(&a, &b), 399);
        assert_eq!(common_prefix(&a, &a[..10]), 10);
        assert_eq!(common_suffix(b"xyz", b"z"), 1);
        assert_eq!(common_suffix(b"", b"z"), 0);
    }

    fn scratch(name: &str) -> String {
        crate::store::scratch_file("chunks", name)
    }

    fn open(path: &str, depth: usize) -> Store {
        let chunking = ChunkSizes { threshold: 512, ..SMALL };
        Store::open(path, Options { max_history_depth: depth, chunking, ..Options::default() }).unwrap()
    }

    fn count(store: &Store, sql: &str) -> i64 {
        store.read(|conn| Ok(conn.query_row(sql, [], |row| row.get::<_, i64>(0)).unwrap())).unwrap()
    }

    fn check_rules(store: &Store) {
        for (rule, sql) in CHUNK_RULES {
            assert_eq!(count(store, sql), 0, "{rule}");
        }
        let ok: String = store
            .read(|conn| Ok(conn.query_row("PRAGMA integrity_check", [], |row| row.get(0)).unwrap()))
            .unwrap();
        assert_eq!(ok, "ok");
    }

    /// A state of about `n` kilobytes whose key `edit` differs by `v`, with characters of
    /// two to four bytes, so that cuts fall inside them.
    fn big_state(n: usize, edit: usize, v: i64) -> String {
        let items: Vec<String> = (0..n * 10)
            .map(|i| {
                let value = if i == edit { v } else { i as i64 };
                format!("\"k{i}\":\"é€😀 item {i} of the document, value {value}\"")
            })
            .collect();
        format!("{{{}}}", items.join(","))
    }

    #[test]
    fn chunked_snapshots_come_back_byte_for_byte_and_refs_stay_right() {
        let path = scratch("refs.db");
        let store = open(&path, 3);
        let mut states = Vec::new();
        for v in 0..6 {
            let state = big_state(8, (v as usize * 37) % 80, v);
            store.update_state("f", "s", &state).unwrap();
            store.set_current_step("f", "s", &format!("step{v}")).unwrap();
            states.push((store.get_state("f", "s").unwrap(), v));
            store.checkpoint("f", "s", Some(&format!("cp{v}"))).unwrap();
            check_rules(&store);
        }
        assert!(count(&store, "SELECT count(*) FROM ws_history WHERE chunks IS NOT NULL") == 3);
        // The three kept checkpoints share most chunks.
        let chunks = count(&store, "SELECT count(*) FROM ws_chunk");
        let listed = count(&store, "SELECT count(*) FROM ws_history AS h, json_each(h.chunks)");
        assert!(chunks * 2 < listed, "{chunks} chunks for {listed} listed");
        // Undo all the way, then redo all the way: exact texts, steps and labels.
        store.update_state("f", "s", "{\"after\":1}").unwrap();
        let last = store.get_state("f", "s").unwrap();
        for (text, v) in states.iter().rev().take(3) {
            assert!(store.undo("f", "s").unwrap());
            assert_eq!(&store.get_state("f", "s").unwrap(), text);
            assert_eq!(store.get_current_step("f", "s").unwrap().unwrap(), format!("step{v}"));
            check_rules(&store);
        }
        assert!(!store.undo("f", "s").unwrap());
        for _ in 0..3 {
            assert!(store.redo("f", "s").unwrap());
            check_rules(&store);
        }
        assert_eq!(store.get_state("f", "s").unwrap(), last);
        // A smaller depth trims; deleting the session, as Python does, empties the tables.
        drop(store);
        let store = open(&path, 1);
        store.checkpoint("f", "s", None).unwrap();
        store.update_state("f", "s", &big_state(3, 0, 9)).unwrap();
        store.checkpoint("f", "s", None).unwrap();
        assert!(store.undo("f", "s").unwrap());
        check_rules(&store);
        assert!(count(&store, "SELECT count(*) FROM ws_chunk") > 0);
        store
            .write(
                || "delete".into(),
                |tx| tx.execute_batch("DELETE FROM workflow_state").map_err(|e| Error::sqlite("delete", e)),
            )
            .unwrap();
        check_rules(&store);
        for table in ["ws_history", "ws_chunk", "ws_chunk_data"] {
            assert_eq!(count(&store, &format!("SELECT count(*) FROM {table}")), 0, "{table}");
        }
    }

    #[test]
    fn an_entry_listing_a_chunk_twice_counts_it_once() {
        let path = scratch("twice.db");
        let store = open(&path, 5);
        // The same 1 KB block many times over: FastCDC cuts equal chunks.
        let block: String = (0..40).map(|i| format!("{i:04}-abcdefghijklmnopqrstu;")).collect();
        let state = format!("{{\"a\":\"{}\"}}", block.repeat(12));
        store.update_state("f", "s", &state).unwrap();
        store.checkpoint("f", "s", None).unwrap();
        let listed = count(&store, "SELECT count(*) FROM ws_history AS h, json_each(h.chunks)");
        let distinct =
            count(&store, "SELECT count(DISTINCT j.value) FROM ws_history AS h, json_each(h.chunks) AS j");
        assert!(distinct < listed, "{distinct} distinct of {listed}");
        check_rules(&store);
        store.update_state("f", "s", "{}").unwrap();
        assert!(store.undo("f", "s").unwrap());
        assert_eq!(store.get_state("f", "s").unwrap(), state);
        check_rules(&store);
        store.clear_state("f", "s").unwrap();
        assert_eq!(count(&store, "SELECT count(*) FROM ws_chunk"), 0);
        check_rules(&store);
    }

    #[test]
    fn a_version_2_file_is_migrated_and_read_only_stores_read_it_as_it_is() {
        let path = scratch("v2.db");
        {
            let conn = Connection::open(&path).unwrap();
            conn.execute_batch(
                "CREATE TABLE workflow_state (flow_session_key TEXT PRIMARY KEY, current_step TEXT,
                     state_json TEXT DEFAULT '{}', created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
                     updated_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP, label TEXT);
                 CREATE TABLE ws_history (flow_session_key TEXT NOT NULL, stack INTEGER NOT NULL,
                     seq INTEGER NOT NULL, label TEXT, current_step TEXT, snapshot TEXT,
                     PRIMARY KEY (flow_session_key, stack, seq));
                 INSERT INTO workflow_state (flow_session_key, current_step, state_json) VALUES ('f:s', 'b', '{\"now\":2}');
                 INSERT INTO ws_history VALUES ('f:s', 11, 8388608, 'old', 'a', '{\"then\": 1}');
                 PRAGMA user_version = 2;",
            )
            .unwrap();
        }
        let read_only = Store::open(&path, Options { read_only: true, ..Options::default() }).unwrap();
        let status = read_only.undo_status("f", "s").unwrap();
        assert!(status.contains("\"undo_depth\":1") && status.contains("\"undo_label\":\"old\""), "{status}");
        drop(read_only);
        let store = open(&path, 5);
        assert_eq!(count(&store, "PRAGMA user_version"), SCHEMA_VERSION);
        assert!(store.undo("f", "s").unwrap());
        assert_eq!(store.get_state("f", "s").unwrap(), "{\"then\":1}");
        assert_eq!(store.get_current_step("f", "s").unwrap().as_deref(), Some("a"));
        assert!(store.redo("f", "s").unwrap());
        assert_eq!(store.get_state("f", "s").unwrap(), "{\"now\":2}");
        check_rules(&store);
    }

    #[test]
    fn an_entry_whose_chunks_are_gone_is_corrupt_and_nothing_changes() {
        let path = scratch("lost.db");
        let store = open(&path, 5);
        store.update_state("f", "s", &big_state(4, 1, 1)).unwrap();
        store.checkpoint("f", "s", Some("big")).unwrap();
        store.update_state("f", "s", "{\"k1\":0}").unwrap();
        let before = store.get_state("f", "s").unwrap();
        store
            .write(
                || "lose".into(),
                |tx| tx.execute_batch("DELETE FROM ws_chunk_data").map_err(|e| Error::sqlite("lose", e)),
            )
            .unwrap();
        let err = store.undo("f", "s").unwrap_err();
        assert_eq!(err.status, crate::Status::Corrupt, "{err:?}");
        assert_eq!(store.get_state("f", "s").unwrap(), before);
        assert!(store.undo_status("f", "s").unwrap().contains("\"undo_depth\":1"));
    }
    #[test]
    fn a_checkpoint_after_a_smaller_depth_keeps_the_chunks_it_lists() {
        // The undo model test found this: a chunk listed only by an entry that a
        // checkpoint trims must not be found by hash before the trim deletes it.
        let path = scratch("trim.db");
        let store = open(&path, 3);
        let (s1, s2) = (big_state(4, 1, 1), big_state(4, 1, 2));
        store.update_state("f", "s", &s1).unwrap();
        store.checkpoint("f", "s", None).unwrap();
        store.update_state("f", "s", &s2).unwrap();
        store.checkpoint("f", "s", None).unwrap();
        store.update_state("f", "s", &s1).unwrap();
        let before = store.get_state("f", "s").unwrap();
        drop(store);
        let store = open(&path, 1);
        store.checkpoint("f", "s", Some("again")).unwrap();
        check_rules(&store);
        store.update_state("f", "s", "{\"k1\":0}").unwrap();
        assert!(store.undo("f", "s").unwrap());
        assert_eq!(store.get_state("f", "s").unwrap(), before);
        check_rules(&store);
    }
}
