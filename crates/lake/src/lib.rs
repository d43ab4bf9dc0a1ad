//! The lake every cinelake stage stands on.
//!
//! One [`Store`] reads and writes objects whether the lake is a directory on disk or an
//! S3 bucket, so every stage runs unchanged on a laptop and on AWS. [`layout`] is the
//! only place that spells a key of the zone layout, because analysts and IAM policies
//! depend on those keys. [`source`] holds the contract of the two IMDb-derived CSV files.

pub mod error;
pub mod layout;
pub mod lease;
pub mod manifest;
pub mod raw;
pub mod settings;
pub mod source;
pub mod store;

pub use error::{Error, Result};
pub use store::{ObjectInfo, ObjectStream, PutFileOptions, PutFileOutcome, Store};
