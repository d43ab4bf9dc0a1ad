//! The ingestion checkpoint under `Raw/TMDB/_state/`, so a run knows what is settled.
//!
//! It holds the ids fetched and when, the ids TMDB does not know and when it was last
//! asked, and the IMDb-to-TMDB id map. Its size grows with the ids, not with the runs.
//! Of the Raw files, it lists only those of the newest run's folder and later. Those
//! are what a crash could leave unaccounted.
//!
//! Each batch is committed as two writes. First comes the Raw JSON file, then a small
//! segment naming it and the ids it settled. A crash between the two leaves a Raw file
//! that no segment names. Loading repairs that from the file itself, so no stored
//! record is ever fetched twice. Segments are folded into one snapshot at the end of a
//! run.

use std::collections::{BTreeMap, BTreeSet};

use bytes::Bytes;
use cinelake_lake::Store;
use cinelake_lake::layout;
use serde::{Deserialize, Serialize};

use crate::IngestError;

const SNAPSHOT: &str = "snapshot.json";
const SEGMENTS: &str = "batches/";

/// What one committed batch settled.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Segment {
    /// The Raw file holding the batch's records; `None` when it had only misses.
    pub raw_key: Option<String>,
    /// IMDb id to TMDB id of every record in the Raw file.
    pub fetched: BTreeMap<String, u64>,
    pub not_found: BTreeSet<String>,
    /// IMDb id to TMDB id for films resolved but not yet fetched.
    pub id_map: BTreeMap<String, u64>,
    /// The collection date (YYYY-MM-DD) of the run that settled them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct State {
    pub fetched: BTreeMap<String, u64>,
    pub not_found: BTreeSet<String>,
    pub id_map: BTreeMap<String, u64>,
    /// Raw files already accounted for, in the folders of `files_from` and later.
    pub files: BTreeSet<String>,
    /// When each fetched id was last fetched (YYYY-MM-DD, its collection date).
    #[serde(default)]
    pub fetched_on: BTreeMap<String, String>,
    /// When TMDB last answered that it does not know an id.
    #[serde(default)]
    pub missing_on: BTreeMap<String, String>,
    /// The Raw folder date from which `files` lists every accounted file; older
    /// folders are all accounted for. `None`: `files` lists every folder.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub files_from: Option<String>,
}

impl State {
    pub fn apply(&mut self, s: &Segment) {
        for (imdb, tmdb) in &s.fetched {
            self.fetched.insert(imdb.clone(), *tmdb);
            self.id_map.insert(imdb.clone(), *tmdb);
            // TMDB knows it now (a re-check that found it).
            if self.not_found.remove(imdb) {
                self.missing_on.remove(imdb);
            }
            if let Some(d) = &s.date {
                self.fetched_on.insert(imdb.clone(), d.clone());
            }
        }
        for imdb in &s.not_found {
            self.not_found.insert(imdb.clone());
            if let Some(d) = &s.date {
                self.missing_on.insert(imdb.clone(), d.clone());
            }
        }
        for (imdb, tmdb) in &s.id_map {
            self.id_map.insert(imdb.clone(), *tmdb);
        }
        if let Some(k) = &s.raw_key {
            self.files.insert(k.clone());
        }
    }

    /// Whether `key` (a Raw TMDB file) is in a folder whose files are all accounted for
    /// without being listed.
    fn before_listed_folders(&self, key: &str) -> bool {
        match (&self.files_from, layout::parse_raw_tmdb_json_key(key)) {
            (Some(from), Some(date)) => date.iso() < *from,
            _ => false,
        }
    }

    /// Stops listing the files of folders before `date` (all accounted for once a run
    /// has folded its segments in), so the checkpoint does not grow with the runs.
    pub fn forget_files_before(&mut self, date: &str) {
        let from = match &self.files_from {
            Some(f) if f.as_str() > date => f.clone(),
            _ => date.to_string(),
        };
        self.files_from = Some(from);
        let files = std::mem::take(&mut self.files);
        self.files = files
            .into_iter()
            .filter(|k| !self.before_listed_folders(k))
            .collect();
    }
}

/// The checkpoint as stored, with the segment keys it was built from.
pub struct Loaded {
    pub state: State,
    pub segment_keys: Vec<String>,
    /// Raw files that no segment named (a crash between the two writes), now repaired.
    pub repaired: Vec<String>,
}

fn state_key(name: &str) -> String {
    layout::raw_tmdb_state_key(name)
}

pub fn segment_key(run_id: &str, seq: u32) -> String {
    state_key(&format!("{SEGMENTS}{run_id}-{seq:05}.json"))
}

pub async fn load(store: &Store) -> Result<Loaded, IngestError> {
    let mut state = match store.get_opt(&state_key(SNAPSHOT)).await? {
        Some(b) => parse(&b, &state_key(SNAPSHOT))?,
        None => State::default(),
    };
    let mut segment_keys = Vec::new();
    for obj in store.list(&state_key(SEGMENTS)).await? {
        let body = store.get(&obj.key).await?;
        let seg: Segment = parse(&body, &obj.key)?;
        state.apply(&seg);
        segment_keys.push(obj.key);
    }
    let mut repaired = Vec::new();
    for obj in store.list(&layout::raw_tmdb_json_prefix()).await? {
        let Some(folder) = layout::parse_raw_tmdb_json_key(&obj.key) else {
            continue;
        };
        if state.files.contains(&obj.key) || state.before_listed_folders(&obj.key) {
            continue;
        }
        let body = store.get(&obj.key).await?;
        let seg = Segment {
            raw_key: Some(obj.key.clone()),
            fetched: records_in(&body, &obj.key)?,
            date: Some(folder.iso()),
            ..Segment::default()
        };
        tracing::warn!(file = %obj.key, records = seg.fetched.len(), "Raw file without a checkpoint (an earlier run stopped between writes); counting its records as fetched");
        let key = state_key(&format!("{SEGMENTS}repair-{}", file_stem(&obj.key)));
        put_json(store, &key, &seg).await?;
        state.apply(&seg);
        segment_keys.push(key);
        repaired.push(obj.key);
    }
    Ok(Loaded {
        state,
        segment_keys,
        repaired,
    })
}

/// The ids of every record in a stored Raw file.
pub fn records_in(body: &[u8], key: &str) -> Result<BTreeMap<String, u64>, IngestError> {
    #[derive(Deserialize)]
    struct Ids {
        id: u64,
        imdb_id: Option<String>,
    }
    let records: Vec<Ids> = serde_json::from_slice(body).map_err(|e| IngestError::BadState {
        key: key.to_string(),
        detail: e.to_string(),
    })?;
    Ok(records
        .into_iter()
        .filter_map(|r| r.imdb_id.filter(|i| !i.is_empty()).map(|i| (i, r.id)))
        .collect())
}

pub async fn put_segment(store: &Store, key: &str, seg: &Segment) -> Result<(), IngestError> {
    put_json(store, key, seg).await
}

/// Folds every segment into the snapshot, then deletes the segments. A crash between
/// the two leaves segments that re-apply harmlessly. Every Raw file up to the run's
/// folder (`date`) is accounted for by then, so only that folder's files stay listed.
pub async fn compact(
    store: &Store,
    state: &mut State,
    segment_keys: &[String],
    date: &str,
) -> Result<(), IngestError> {
    state.forget_files_before(date);
    put_json(store, &state_key(SNAPSHOT), state).await?;
    for key in segment_keys {
        store.delete(key).await?;
    }
    Ok(())
}

async fn put_json<T: Serialize>(store: &Store, key: &str, value: &T) -> Result<(), IngestError> {
    let body = serde_json::to_vec(value).map_err(|e| IngestError::BadState {
        key: key.to_string(),
        detail: e.to_string(),
    })?;
    store.put(key, Bytes::from(body)).await?;
    Ok(())
}

fn parse<T: for<'de> Deserialize<'de>>(body: &[u8], key: &str) -> Result<T, IngestError> {
    serde_json::from_slice(body).map_err(|e| IngestError::BadState {
        key: key.to_string(),
        detail: e.to_string(),
    })
}

fn file_stem(key: &str) -> String {
    key.trim_start_matches(&layout::raw_tmdb_json_prefix())
        .replace('/', "-")
}
