//! The front end every cinelake binary shares.
//!
//! It is kept apart from the libraries the way a terminal is apart from the work. It
//! holds:
//!
//! - How logs look ([`telemetry`]).
//! - How long work shows its progress ([`progress`]).
//! - How settings come from the environment ([`env`]).
//! - How a Lambda reports a failure ([`lambda`]).
//! - How the process uses memory ([`memory`]).
//!
//! Libraries never print. They return reports and errors, and call back with progress.

pub mod env;
pub mod lambda;
pub mod memory;
pub mod progress;
pub mod telemetry;

pub use progress::Progress;
