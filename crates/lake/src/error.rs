//! The lake's one error type: every variant names the object, file or value at fault.

use std::path::PathBuf;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("invalid lake URL {url:?}: {reason}")]
    InvalidUrl { url: String, reason: String },

    #[error("invalid object key {key:?}: {reason}")]
    InvalidKey { key: String, reason: String },

    #[error("{key} not found in lake {lake}")]
    NotFound { lake: String, key: String },

    #[error("{op} {path}: {source}")]
    Io {
        op: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("S3 {op} s3://{bucket}/{key}: {message}")]
    S3 {
        op: &'static str,
        bucket: String,
        key: String,
        message: String,
    },

    #[error("{key}: upload not verified: {reason}")]
    Verification { key: String, reason: String },

    #[error("{path} changed while it was being uploaded ({reason}); nothing was written")]
    SourceChanged { path: PathBuf, reason: String },

    #[error("invalid date {value:?}: expected YYYY-MM-DD")]
    InvalidDate { value: String },

    #[error("{what}: {source}")]
    Json {
        what: String,
        #[source]
        source: serde_json::Error,
    },
}

impl Error {
    pub(crate) fn io(op: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            op,
            path: path.into(),
            source,
        }
    }

    pub fn is_not_found(&self) -> bool {
        matches!(self, Error::NotFound { .. })
    }
}
