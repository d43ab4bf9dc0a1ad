//! A TMDB client that survives the real API. It copes with rate limits, transient
//! failures, hung requests and garbage bodies. The simulator that produces all of those
//! on demand is its own crate (`cinelake-tmdb-sim`), so the production Lambda carries
//! no HTTP server.
//!
//! The client keeps every response body exactly as TMDB sent it ([`RawRecord`]),
//! because the Raw zone stores TMDB's answers unchanged.

pub mod client;
pub mod credentials;
pub mod error;
pub mod limiter;
pub mod retry;

pub use client::{ClientConfig, ClientStats, Lookup, RawRecord, TmdbClient};
pub use credentials::{Credentials, Secret};
pub use error::TmdbError;
