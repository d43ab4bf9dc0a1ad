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

    /// An S3 call failed; the SDK's error (with the service's code and message) is the
    /// source.
    #[error("S3 {op} s3://{bucket}/{key}: {}", chain(source.as_ref()))]
    S3 {
        op: &'static str,
        bucket: String,
        key: String,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },

    /// S3 refused a read with 403 (access denied), and a listing did not show the key
    /// missing.
    #[error("S3 {op} s3://{bucket}/{key}: access denied (403): {hint}: {}", chain(source.as_ref()))]
    Denied {
        op: &'static str,
        bucket: String,
        key: String,
        hint: String,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },

    #[error("{key}: upload not verified: {reason}")]
    Verification { key: String, reason: String },

    #[error("{path} changed while it was being uploaded ({reason}); nothing was written")]
    SourceChanged { path: PathBuf, reason: String },

    #[error("invalid date {value:?}: expected YYYY-MM-DD")]
    InvalidDate { value: String },

    #[error(
        "the lease under {prefix} was taken over by run {holder}; stopping without writing more"
    )]
    LeaseLost { prefix: String, holder: String },

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

/// An error and its causes on one line, each cause shown once even when a message
/// already quotes its source.
pub fn chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut text = err.to_string();
    let mut cause = err.source();
    while let Some(c) = cause {
        let msg = c.to_string();
        if !text.contains(&msg) {
            text.push_str(": ");
            text.push_str(&msg);
        }
        cause = c.source();
    }
    text
}
