//! The front end every cinelake binary shares, kept apart from the libraries the way a
//! terminal is apart from the work: how logs look ([`telemetry`]), how long work shows
//! its progress ([`progress`]), how settings come from the environment ([`env`]), how a
//! Lambda reports a failure ([`lambda`]), and how the process uses memory ([`memory`]). Libraries never print; they return
//! reports and errors, and call back with progress.

pub mod env;
pub mod lambda;
pub mod memory;
pub mod progress;
pub mod telemetry;

pub use progress::Progress;
