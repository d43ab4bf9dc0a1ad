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
