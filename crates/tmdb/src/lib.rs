//! TMDB: a client that survives the real API (rate limits, transient failures, hung
//! requests, garbage bodies) and a simulator that produces all of those on demand.
//!
//! The client keeps every response body exactly as TMDB sent it ([`RawRecord`]), because
//! the Raw zone stores TMDB's answers unchanged.

pub mod client;
pub mod credentials;
pub mod error;
pub mod limiter;
pub mod retry;
pub mod sim;

pub use client::{ClientConfig, ClientStats, Lookup, RawRecord, TmdbClient};
pub use credentials::{Credentials, Secret};
pub use error::TmdbError;

/// An error and its sources on one line.
pub(crate) fn error_chain(err: &dyn std::error::Error) -> String {
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
