//! Run manifests, so that a lake explains its own history.
//!
//! A manifest says what a run read, wrote and counted, and how long it took. It is
//! stored at `_runs/<stage>/<run id>.json`.

use std::collections::BTreeMap;
use std::time::Instant;

use bytes::Bytes;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::layout::{self, ProcessingDate};
use crate::{Error, Result, Store};

/// A run id: UTC start time plus a random suffix, sortable and unique enough for a lake.
pub fn new_run_id() -> String {
    let now = Utc::now();
    let nanos = now.timestamp_subsec_nanos() as u64;
    // Mixes the clock and the pid so two runs in the same second still differ.
    let mut x = nanos ^ (u64::from(std::process::id()) << 32) ^ 0x9E37_79B9_7F4A_7C15;
    x ^= x >> 33;
    x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
    x ^= x >> 33;
    format!("{}-{:06x}", now.format("%Y%m%dT%H%M%SZ"), x & 0xff_ffff)
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Entry {
    pub key: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bytes: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rows: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct RunManifest {
    pub stage: String,
    pub run_id: String,
    pub processing_date: String,
    pub lake: String,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub inputs: Vec<Entry>,
    pub outputs: Vec<Entry>,
    pub counts: BTreeMap<String, u64>,
    pub timings_ms: BTreeMap<String, u64>,
    /// The rules the run applied, in words (e.g. which films are of interest).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub rules: BTreeMap<String, String>,
}

/// Collects a run's manifest as it goes.
#[derive(Debug)]
pub struct RunRecorder {
    manifest: RunManifest,
    started: Instant,
}

impl RunRecorder {
    pub fn start(stage: &str, run_id: &str, date: ProcessingDate, store: &Store) -> Self {
        RunRecorder {
            manifest: RunManifest {
                stage: stage.to_string(),
                run_id: run_id.to_string(),
                processing_date: date.iso(),
                lake: store.url(),
                started_at: Utc::now(),
                finished_at: None,
                status: "running".into(),
                error: None,
                inputs: Vec::new(),
                outputs: Vec::new(),
                counts: BTreeMap::new(),
                timings_ms: BTreeMap::new(),
                rules: BTreeMap::new(),
            },
            started: Instant::now(),
        }
    }

    pub fn input(&mut self, entry: Entry) {
        self.manifest.inputs.push(entry);
    }

    pub fn output(&mut self, entry: Entry) {
        self.manifest.outputs.push(entry);
    }

    pub fn count(&mut self, name: &str, n: u64) {
        *self.manifest.counts.entry(name.to_string()).or_default() += n;
    }

    pub fn rule(&mut self, name: &str, text: &str) {
        self.manifest
            .rules
            .insert(name.to_string(), text.to_string());
    }

    pub fn timing(&mut self, name: &str, ms: u64) {
        self.manifest.timings_ms.insert(name.to_string(), ms);
    }

    pub fn manifest(&self) -> &RunManifest {
        &self.manifest
    }

    /// Stamps the end and stores the manifest; `error` is the run's failure, if any.
    pub async fn finish(mut self, store: &Store, error: Option<String>) -> Result<RunManifest> {
        self.manifest.finished_at = Some(Utc::now());
        self.manifest.status = if error.is_some() {
            "failed"
        } else {
            "succeeded"
        }
        .into();
        self.manifest.error = error;
        self.manifest
            .timings_ms
            .insert("total".into(), self.started.elapsed().as_millis() as u64);
        let key = layout::run_manifest_key(&self.manifest.stage, &self.manifest.run_id);
        let body = serde_json::to_vec_pretty(&self.manifest).map_err(|source| Error::Json {
            what: format!("serialising {key}"),
            source,
        })?;
        store.put(&key, Bytes::from(body)).await?;
        Ok(self.manifest)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_ids_sort_by_time_and_differ() {
        let a = new_run_id();
        let b = new_run_id();
        assert_eq!(a.len(), "20261128T091200Z-abcdef".len());
        assert_ne!(a, b);
    }

    #[tokio::test]
    async fn a_finished_run_is_stored_under_runs() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path().to_str().unwrap()).await.unwrap();
        let date: ProcessingDate = "2026-01-02".parse().unwrap();
        let mut rec = RunRecorder::start("upload", "r1", date, &store);
        rec.count("files", 2);
        rec.count("files", 1);
        let m = rec.finish(&store, Some("boom".into())).await.unwrap();
        let stored: RunManifest =
            serde_json::from_slice(&store.get("_runs/upload/r1.json").await.unwrap()).unwrap();
        assert_eq!(stored, m);
        assert_eq!(stored.counts["files"], 3);
        assert_eq!(stored.status, "failed");
        assert_eq!(stored.processing_date, "2026-01-02");
    }
}
