//! JSON Patch (RFC 6902, plus RFC 7396 merges) for `ws_apply`: a placeholder until the
//! patch engine lands; every patch is refused, so that nothing is ever half-applied.
use crate::error::{Error, Result, Status};
use crate::json::CanonicalObject;

pub struct Patch<'a> {
    _text: &'a str,
}

pub fn parse(text: &str) -> Result<Patch<'_>> {
    Ok(Patch { _text: text })
}

pub fn apply(_state: &CanonicalObject, _patch: &Patch, _owner: &str) -> Result<CanonicalObject> {
    Err(Error::new(Status::Internal, "ws_apply's \"patch\" member is not implemented in this build"))
}
