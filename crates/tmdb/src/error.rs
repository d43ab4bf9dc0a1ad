//! Client errors. None of them ever carries a URL with the key in it.

#[derive(Debug, thiserror::Error)]
pub enum TmdbError {
    #[error(
        "TMDB refused the credentials (HTTP {status}, TMDB status_code {code}): {message}; \
         check TMDB_API_KEY or TMDB_READ_TOKEN"
    )]
    Unauthorized {
        status: u16,
        code: i64,
        message: String,
    },

    #[error("TMDB {path}: gave up after {attempts} attempts; last: {last}")]
    Exhausted {
        path: String,
        attempts: u32,
        last: String,
    },

    #[error("TMDB {path}: HTTP {status}, TMDB status_code {code}: {message}")]
    Rejected {
        path: String,
        status: u16,
        code: i64,
        message: String,
    },

    #[error(
        "TMDB at {url} is unreachable: no answer for {secs} s ({failures} requests failed); \
         last: {last}"
    )]
    Unreachable {
        url: String,
        secs: u64,
        failures: u64,
        last: String,
    },

    #[error("TMDB {path}: unexpected answer: {reason}")]
    Unexpected { path: String, reason: String },

    #[error("no TMDB credentials: set TMDB_API_KEY (v3 key) or TMDB_READ_TOKEN (v4 token)")]
    NoCredentials,

    #[error("invalid TMDB base URL {url:?}: {reason}")]
    BadBaseUrl { url: String, reason: String },

    #[error("building the HTTP client: {0}")]
    Client(String),
}

impl TmdbError {
    /// Whether the whole run must stop (the credentials are wrong, or TMDB does not
    /// answer at all), rather than one film.
    pub fn is_fatal(&self) -> bool {
        matches!(
            self,
            TmdbError::Unauthorized { .. }
                | TmdbError::NoCredentials
                | TmdbError::Unreachable { .. }
        )
    }
}
