//! TMDB credentials, kept out of every log, error and manifest.

use std::fmt;

/// A secret string whose `Debug` and `Display` never show it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The secret itself, for the one place that sends it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// How requests authenticate: a v3 API key (`api_key` query) or a v4 read access token
/// (`Authorization: Bearer`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Credentials {
    ApiKey(Secret),
    Bearer(Secret),
}

impl Credentials {
    /// From `TMDB_READ_TOKEN` (preferred) or `TMDB_API_KEY`, if either is set.
    pub fn from_env() -> Option<Credentials> {
        let get = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        get("TMDB_READ_TOKEN")
            .map(|t| Credentials::Bearer(Secret::new(t.trim())))
            .or_else(|| get("TMDB_API_KEY").map(|k| Credentials::ApiKey(Secret::new(k.trim()))))
    }

    pub fn secret(&self) -> &Secret {
        match self {
            Credentials::ApiKey(s) | Credentials::Bearer(s) => s,
        }
    }
}
