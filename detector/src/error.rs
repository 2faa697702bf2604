//! The crate's one public error type: a kind plus a human-readable message.

use thiserror::Error;

/// What went wrong, for callers that branch on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The configuration JSON is malformed, has an unknown key or an out-of-range value.
    Config,
    /// A snapshot could not be read back (corrupt, or written by an incompatible version).
    Snapshot,
    /// An enrichment file (`.mmdb`, ip2asn TSV) could not be read.
    Enrichment,
    /// Offline input: a spilled run handed back damaged, or a call out of turn (see
    /// [`crate::offline`]).
    Run,
}

/// An error from the detector's API (bad records are not errors: they are counted in [`crate::Stats`]).
#[derive(Debug, Clone, Error)]
#[error("{kind:?} error: {message}")]
pub struct Error {
    kind: ErrorKind,
    message: String,
}

impl Error {
    pub(crate) fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error {
            kind,
            message: message.into(),
        }
    }

    /// The kind of error.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The message without the kind prefix.
    pub fn message(&self) -> &str {
        &self.message
    }
}
