//! What each TMDB partition was converted from, so a run converts only new or changed
//! folders.
//!
//! A partition is made from the Raw files of its collection folder. They are noted in
//! the partition's catalog entry. A run converts a folder only when it is new or its
//! files changed. Files change when a later ingestion round of the same day, or a
//! rerun, added some.
//!
//! The note is written by the same call that points the partition at its new version.
//! So the partition and what it was made from cannot disagree. A catalog that lost the
//! partition, or a new database, gets the folder converted again.

use std::collections::BTreeMap;

use cinelake_lake::ObjectInfo;
use sha2::{Digest, Sha256};

/// The conversion's version: bumped when the job would write other rows from the same
/// Raw files (a new column, a changed rule), so that every partition is converted again.
pub const CONVERSION: &str = "2";

const FILES: &str = "cinelake.raw_files";
const LAST_KEY: &str = "cinelake.raw_last_key";
const DIGEST: &str = "cinelake.raw_digest";
const VERSION: &str = "cinelake.conversion";

/// The Raw files one conversion of a collection folder read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawSources {
    pub files: u64,
    /// The last key in key order: ingestion names its files by run id (which sorts by
    /// time) and sequence, so this is the newest round's last file.
    pub last_key: String,
    /// SHA-256 (hex) of every key and size, in key order: a file added, removed or
    /// rewritten to another size changes it.
    pub digest: String,
    /// [`CONVERSION`] when it was converted.
    pub conversion: String,
}

impl RawSources {
    /// The sources a conversion of `files` (one folder's listing) reads now.
    pub fn of(files: &[ObjectInfo]) -> Self {
        let mut listed: Vec<(&str, u64)> = files.iter().map(|f| (f.key.as_str(), f.size)).collect();
        listed.sort_unstable();
        let mut hash = Sha256::new();
        for (key, size) in &listed {
            hash.update(key.as_bytes());
            hash.update(b"\t");
            hash.update(size.to_string().as_bytes());
            hash.update(b"\n");
        }
        RawSources {
            files: listed.len() as u64,
            last_key: listed
                .last()
                .map(|(k, _)| k.to_string())
                .unwrap_or_default(),
            digest: hex::encode(hash.finalize()),
            conversion: CONVERSION.to_string(),
        }
    }

    /// The note in the partition's catalog entry.
    pub fn parameters(&self) -> BTreeMap<String, String> {
        BTreeMap::from([
            (FILES.to_string(), self.files.to_string()),
            (LAST_KEY.to_string(), self.last_key.clone()),
            (DIGEST.to_string(), self.digest.clone()),
            (VERSION.to_string(), self.conversion.clone()),
        ])
    }

    /// The note read back; `None` for a partition without one (written before notes
    /// were kept, or by hand), which is then converted again.
    pub fn from_parameters(parameters: &BTreeMap<String, String>) -> Option<Self> {
        Some(RawSources {
            files: parameters.get(FILES)?.parse().ok()?,
            last_key: parameters.get(LAST_KEY)?.clone(),
            digest: parameters.get(DIGEST)?.clone(),
            conversion: parameters.get(VERSION)?.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(key: &str, size: u64) -> ObjectInfo {
        ObjectInfo {
            key: key.to_string(),
            size,
            sha256: None,
        }
    }

    #[test]
    fn the_same_files_in_any_order_are_the_same_sources() {
        let a = RawSources::of(&[file("d/r1-00001.json", 10), file("d/r1-00002.json", 20)]);
        let b = RawSources::of(&[file("d/r1-00002.json", 20), file("d/r1-00001.json", 10)]);
        assert_eq!(a, b);
        assert_eq!(a.files, 2);
        assert_eq!(a.last_key, "d/r1-00002.json");
        assert_eq!(a.conversion, CONVERSION);
        assert_eq!(RawSources::from_parameters(&a.parameters()), Some(a));
    }

    #[test]
    fn a_file_added_removed_or_resized_changes_them() {
        let before = RawSources::of(&[file("d/r1-00001.json", 10), file("d/r1-00002.json", 20)]);
        for after in [
            vec![
                file("d/r1-00001.json", 10),
                file("d/r1-00002.json", 20),
                file("d/r2-00001.json", 5),
            ],
            vec![file("d/r1-00001.json", 10)],
            vec![file("d/r1-00001.json", 10), file("d/r1-00002.json", 21)],
            // The same count and last key, another file in the middle.
            vec![file("d/r0-00001.json", 10), file("d/r1-00002.json", 20)],
        ] {
            assert_ne!(RawSources::of(&after).digest, before.digest, "{after:?}");
        }
    }

    #[test]
    fn a_partition_without_a_whole_note_has_none() {
        assert_eq!(RawSources::from_parameters(&BTreeMap::new()), None);
        let mut p = RawSources::of(&[file("d/x.json", 1)]).parameters();
        p.insert(FILES.into(), "many".into());
        assert_eq!(RawSources::from_parameters(&p), None);
    }
}
