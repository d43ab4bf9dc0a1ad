//! Fixtures shared by the ingestion tests.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;

use cinelake_lake::Store;
use cinelake_lake::layout::{self, ProcessingDate};
use cinelake_lake::source::{CsvKind, MOVIES_HEADER};
use cinelake_tmdb::retry::Backoff;
use cinelake_tmdb::{ClientConfig, Credentials, Secret, TmdbClient};
use cinelake_tmdb_sim::{self as sim, Faults, SimConfig, SimHandle};
use serde_json::value::RawValue;

pub const KEY: &str = "k3y-that-must-never-leak-1234";

pub fn date() -> ProcessingDate {
    "2026-11-01".parse().unwrap()
}

pub fn imdb_ids(n: u64) -> Vec<String> {
    (0..n)
        .map(|i| format!("tt{:07}", 1_000_000 + i * 37))
        .collect()
}

/// A Raw movies.csv in which `ids` are 21st-century dramas (two artist rows each),
/// plus films that must not be selected.
pub async fn seed_movies(store: &Store, ids: &[String]) {
    let mut csv = format!("{MOVIES_HEADER}\r\n");
    for id in ids {
        for artist in ["Ana Silva", "João Souza"] {
            csv.push_str(&format!(
                "{id}|Film {id}|Film {id}|2010|100|Crime,Drama|7.1|1234|actor|\\N|{artist}|1970|\\N|actor|{id}\r\n"
            ));
        }
    }
    csv.push_str(
        "tt0000001|Old|Old|1950|100|Drama|7.1|1234|actor|\\N|X|1970|\\N|actor|tt0000001\r\n",
    );
    csv.push_str(
        "tt0000002|Comedy|Comedy|2010|100|Comedy|7.1|1234|actor|\\N|X|1970|\\N|actor|tt0000002\r\n",
    );
    store
        .put(&layout::raw_csv_key(CsvKind::Movies, date()), csv.into())
        .await
        .unwrap();
}

pub async fn start_sim(config: SimConfig) -> SimHandle {
    sim::start(config, SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .unwrap()
}

pub fn synthetic(faults: Faults) -> SimConfig {
    SimConfig {
        faults,
        ..SimConfig::synthetic(KEY)
    }
}

pub fn client(base_url: &str, key: &str, rps: f64, timeout: Duration) -> TmdbClient {
    let mut c = ClientConfig::new(base_url, Credentials::ApiKey(Secret::new(key)));
    c.requests_per_second = rps;
    c.timeout = timeout;
    c.max_attempts = std::num::NonZeroU32::new(10).unwrap();
    c.backoff = Backoff {
        base: Duration::from_millis(50),
        cap: Duration::from_secs(2),
    };
    TmdbClient::new(c).unwrap()
}

/// Every stored record by IMDb id, failing on any id stored twice.
pub async fn records(store: &Store) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for obj in store.list(&layout::raw_tmdb_json_prefix()).await.unwrap() {
        let body = store.get(&obj.key).await.unwrap();
        let recs: Vec<Box<RawValue>> = serde_json::from_slice(&body).unwrap();
        assert!(
            recs.len() <= 100,
            "{} holds {} records",
            obj.key,
            recs.len()
        );
        for r in recs {
            let v: serde_json::Value = serde_json::from_str(r.get()).unwrap();
            let imdb = v["imdb_id"].as_str().unwrap().to_string();
            let previous = out.insert(imdb.clone(), r.get().to_string());
            assert!(previous.is_none(), "{imdb} stored twice");
        }
    }
    out
}

/// The ids the synthetic simulator does not know.
pub fn unknown_to_sim(ids: &[String]) -> Vec<String> {
    ids.iter()
        .filter(|id| cinelake_tmdb_sim::synthetic_tmdb_id(id, 1, 0.16).is_none())
        .cloned()
        .collect()
}

pub async fn local_store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().to_str().unwrap()).await.unwrap();
    (dir, store)
}
