//! The oracle's reading of a `ws_apply` edit, apart from the library's parser: what an
//! edit the library accepts asks for, and what it must do to the session. JSON Patch is
//! the model test's (`tests/model/patch.rs`, written from the RFCs on its own tree),
//! shared so that the two oracles cannot drift apart.

use crate::tree::J;

#[allow(dead_code)]
#[path = "../../tests/model/patch.rs"]
mod patch;

use patch::{Kind, PatchOp, T};

/// An edit as the oracle reads it.
pub struct Edit {
    pub expect: Option<i64>,
    pub patch: Option<Vec<PatchOp>>,
    pub step: Option<String>,
    pub label: Option<Option<String>>,
    pub checkpoint: Option<Checkpoint>,
    pub create: bool,
}

/// A `"checkpoint"` member: a label (or null), or an object as `ws_checkpoint_with`
/// takes it.
pub struct Checkpoint {
    pub label: Option<String>,
    pub merge_key: Option<String>,
    pub merge_window_ms: i64,
    pub meta: Option<J>,
}

/// The window of a merge key given without one (`WS_DEFAULT_MERGE_WINDOW_MS`).
const DEFAULT_MERGE_WINDOW_MS: i64 = 1000;

/// The edit in `tree`, when it is one the library may accept: every member known and of
/// its type, every patch operation well-formed. `None` means the library must refuse it
/// (the values' own rules, depth and numbers, are not checked here: a refusal for them is
/// allowed, never required).
pub fn read(tree: &J) -> Option<Edit> {
    let J::Obj(members) = tree else { return None };
    let mut edit =
        Edit { expect: None, patch: None, step: None, label: None, checkpoint: None, create: true };
    for (name, value) in members {
        match (name.as_str(), value) {
            ("expect_revision", J::Num(text)) => {
                let number: serde_json::Value = serde_json::from_str(text).ok()?;
                edit.expect = Some(number.as_i64().filter(|r| *r >= 0)?);
            }
            ("patch", J::Arr(ops)) => edit.patch = Some(ops.iter().map(read_op).collect::<Option<_>>()?),
            ("step", J::Str(step)) if !step.is_empty() && !step.contains('\0') => {
                edit.step = Some(step.clone())
            }
            ("label", label) => edit.label = Some(text_or_null(label)?),
            ("checkpoint", J::Obj(fields)) => edit.checkpoint = Some(read_checkpoint(fields)?),
            ("checkpoint", label) => {
                edit.checkpoint = Some(Checkpoint {
                    label: text_or_null(label)?,
                    merge_key: None,
                    merge_window_ms: DEFAULT_MERGE_WINDOW_MS,
                    meta: None,
                })
            }
            ("create", J::Bool(create)) => edit.create = *create,
            _ => return None,
        }
    }
    Some(edit)
}

/// The object form: `label` (string or null), `merge_key` (a non-empty string),
/// `merge_window_ms` (0 to 2^31-1, only with a `merge_key`), `meta` (any JSON).
fn read_checkpoint(fields: &[(String, J)]) -> Option<Checkpoint> {
    let mut checkpoint =
        Checkpoint { label: None, merge_key: None, merge_window_ms: DEFAULT_MERGE_WINDOW_MS, meta: None };
    let mut window = None;
    for (key, value) in fields {
        match (key.as_str(), value) {
            ("label", label) => checkpoint.label = text_or_null(label)?,
            ("merge_key", J::Str(merge_key)) if !merge_key.is_empty() && !merge_key.contains('\0') => {
                checkpoint.merge_key = Some(merge_key.clone())
            }
            ("merge_window_ms", J::Num(text)) => {
                let number: serde_json::Value = serde_json::from_str(text).ok()?;
                window = Some(number.as_i64().filter(|ms| (0..=i64::from(i32::MAX)).contains(ms))?);
            }
            ("meta", meta) => checkpoint.meta = Some(meta.clone()),
            _ => return None,
        }
    }
    if let Some(ms) = window {
        checkpoint.merge_key.as_ref()?;
        checkpoint.merge_window_ms = ms;
    }
    Some(checkpoint)
}

fn text_or_null(value: &J) -> Option<Option<String>> {
    match value {
        J::Null => Some(None),
        J::Str(text) if !text.contains('\0') => Some(Some(text.clone())),
        _ => None,
    }
}

/// An RFC 6901 pointer's tokens.
fn pointer(text: &str) -> Option<Vec<String>> {
    if text.is_empty() {
        return Some(Vec::new());
    }
    let body = text.strip_prefix('/')?;
    body.split('/')
        .map(|token| {
            let mut out = String::new();
            let mut chars = token.chars();
            while let Some(c) = chars.next() {
                match c {
                    '~' => out.push(match chars.next()? {
                        '0' => '~',
                        '1' => '/',
                        _ => return None,
                    }),
                    c => out.push(c),
                }
            }
            Some(out)
        })
        .collect()
}

fn read_op(op: &J) -> Option<PatchOp> {
    let J::Obj(members) = op else { return None };
    let get = |name: &str| members.iter().find(|(k, _)| k == name).map(|(_, v)| v);
    let Some(J::Str(name)) = get("op") else { return None };
    let kind = [Kind::Add, Kind::Remove, Kind::Replace, Kind::Move, Kind::Copy, Kind::Test, Kind::Merge]
        .into_iter()
        .find(|kind| kind.name() == name)?;
    let Some(J::Str(path)) = get("path") else { return None };
    let path = pointer(path)?;
    let mut op = PatchOp { kind, path, from: Vec::new(), value: None };
    if kind.has_from() {
        let Some(J::Str(from)) = get("from") else { return None };
        op.from = pointer(from)?;
        let inside = op.from.len() < op.path.len() && op.path.starts_with(&op.from);
        if kind == Kind::Move && inside {
            return None;
        }
    }
    if kind.has_value() {
        op.value = Some(to_tree(get("value")?));
    }
    Some(op)
}

fn to_tree(value: &J) -> T {
    match value {
        J::Null => T::Null,
        J::Bool(b) => T::Bool(*b),
        J::Num(n) => T::Num(n.clone()),
        J::Str(s) => T::Str(s.clone()),
        J::Arr(items) => T::Arr(items.iter().map(to_tree).collect()),
        J::Obj(members) => T::Obj(members.iter().map(|(k, v)| (k.clone(), to_tree(v))).collect()),
    }
}

fn from_tree(value: &T) -> J {
    match value {
        T::Null => J::Null,
        T::Bool(b) => J::Bool(*b),
        T::Num(n) => J::Num(n.clone()),
        T::Str(s) => J::Str(s.clone()),
        T::Arr(items) => J::Arr(items.iter().map(from_tree).collect()),
        T::Obj(members) => J::Obj(members.iter().map(|(k, v)| (k.clone(), from_tree(v))).collect()),
    }
}

/// The state after `patch` (all of it, in order), or `None` when it does not fit
/// (`WS_CONFLICT`).
pub fn patched(state: &[(String, J)], patch: &[PatchOp]) -> Option<Vec<(String, J)>> {
    let root = to_tree(&J::Obj(state.to_vec()));
    match from_tree(&patch::apply(&root, patch)?) {
        J::Obj(members) => Some(members),
        _ => unreachable!("a patch keeps the state an object"),
    }
}
