//! Tests the monthly refresh against a simulator whose catalogue moves with its clock.
//!
//! Runs go on the 1st of January, February, March and May, and on to December. The first
//! run fills the lake. Each later month takes a new snapshot of every film, whose figures
//! have moved. Ids TMDB did not know are asked again once old enough, and those it has
//! learned of since are fetched. No record is lost or stored twice within a collection,
//! and the checkpoint does not grow with the months.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use cinelake_ingest::{IngestOptions, RefreshPolicy, Stop, Summary, ingest};
use cinelake_lake::Store;
use cinelake_lake::layout::{self, ProcessingDate};
use cinelake_tmdb_sim::{Faults, SimHandle, Timeline};
use common::*;
use serde_json::value::RawValue;

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

/// Each collection's records, as IMDb id to popularity. It fails on an id stored twice in
/// one collection.
async fn collections(store: &Store) -> BTreeMap<String, BTreeMap<String, f64>> {
    let mut out: BTreeMap<String, BTreeMap<String, f64>> = BTreeMap::new();
    for obj in store.list(&layout::raw_tmdb_json_prefix()).await.unwrap() {
        let dt = layout::parse_raw_tmdb_json_key(&obj.key).unwrap().iso();
        let body = store.get(&obj.key).await.unwrap();
        let recs: Vec<Box<RawValue>> = serde_json::from_slice(&body).unwrap();
        for r in recs {
            let v: serde_json::Value = serde_json::from_str(r.get()).unwrap();
            let imdb = v["imdb_id"].as_str().unwrap().to_string();
            let popularity = v["popularity"].as_f64().unwrap();
            let again = out
                .entry(dt.clone())
                .or_default()
                .insert(imdb.clone(), popularity);
            assert!(
                again.is_none(),
                "{imdb} stored twice in the {dt} collection"
            );
        }
    }
    out
}

async fn checkpoint_bytes(store: &Store) -> usize {
    store
        .get(&layout::raw_tmdb_state_key("snapshot.json"))
        .await
        .unwrap()
        .len()
}

async fn run_on(store: &Store, sim: &SimHandle, date: &str, policy: &RefreshPolicy) -> Summary {
    sim.set_date(day(date));
    let client = client(
        &sim.base_url(),
        KEY,
        2000.0,
        std::time::Duration::from_secs(5),
    );
    let mut opts = IngestOptions::new(&format!("run-{date}"), ProcessingDate::new(day(date)));
    opts.refresh = policy.clone();
    let summary = ingest(store, &client, &opts).await.unwrap();
    assert_eq!(summary.stop, Stop::Complete, "{date}: {summary:?}");
    assert_eq!(summary.remaining, 0, "{date}: {summary:?}");
    summary
}

#[tokio::test(flavor = "multi_thread")]
async fn monthly_runs_refresh_every_film_and_find_films_tmdb_learned_of() {
    let ids = imdb_ids(400);
    let mut config = synthetic(Faults::default());
    config.timeline = Some(Timeline {
        since: day("2026-01-01"),
        late_share: 0.05,
        late_from: day("2026-04-15"),
    });
    let sim = start_sim(config).await;
    let (_dir, store) = local_store().await;
    seed_movies(&store, &ids).await;
    // Unknown ids are asked again after three months here, where the default is six. So
    // May's run re-checks January's.
    let policy = RefreshPolicy {
        recheck_missing_months: 3,
        ..RefreshPolicy::default()
    };

    let jan = run_on(&store, &sim, "2026-01-01", &policy).await;
    let unknown = unknown_to_sim(&ids).len() as u64;
    assert_eq!(jan.selected, 400);
    assert_eq!((jan.new, jan.refreshed, jan.rechecked), (400, 0, 0));
    assert_eq!(jan.fetched + jan.not_found, 400);
    // The late films are unknown in January, besides those TMDB never knows.
    let late = jan.not_found - unknown;
    assert!(late > 0, "{jan:?}");
    let first_checkpoint = checkpoint_bytes(&store).await;

    // The same day again. Nothing is due, and the state machine's loop would end.
    let again = run_on(&store, &sim, "2026-01-01", &policy).await;
    assert_eq!((again.fetched, again.not_found, again.requests), (0, 0, 0));

    // February and March: a new snapshot of every film, one request each.
    for month in ["2026-02-01", "2026-03-01"] {
        let s = run_on(&store, &sim, month, &policy).await;
        assert_eq!(
            (s.new, s.refreshed, s.rechecked),
            (0, jan.fetched, 0),
            "{month}"
        );
        assert_eq!(s.fetched, jan.fetched, "{month}");
        assert_eq!(s.requests, jan.fetched, "{month}: one request a refresh");
    }

    // May: refreshes, and January's unknown ids asked again. TMDB knows the late ones
    // since April 15.
    let may = run_on(&store, &sim, "2026-05-01", &policy).await;
    assert_eq!(may.refreshed, jan.fetched);
    assert_eq!(may.rechecked, jan.not_found);
    assert_eq!(may.fetched, jan.fetched + late, "{may:?}");
    assert_eq!(may.not_found, unknown);

    let by_date = collections(&store).await;
    let dates: Vec<&str> = by_date.keys().map(String::as_str).collect();
    assert_eq!(
        dates,
        ["2026-01-01", "2026-02-01", "2026-03-01", "2026-05-01"]
    );
    let fetched_in = |dt: &str| -> BTreeSet<&String> { by_date[dt].keys().collect() };
    assert_eq!(fetched_in("2026-02-01"), fetched_in("2026-01-01"));
    assert_eq!(fetched_in("2026-03-01"), fetched_in("2026-01-01"));
    let may_films = fetched_in("2026-05-01");
    assert!(fetched_in("2026-01-01").is_subset(&may_films));
    assert_eq!(may_films.len() as u64, jan.fetched + late);
    // The figures moved between collections.
    let moved = by_date["2026-01-01"]
        .iter()
        .filter(|(id, p)| by_date["2026-02-01"][*id] != **p)
        .count();
    assert!(moved as u64 > jan.fetched / 2, "{moved} of {}", jan.fetched);

    // On to December: the checkpoint holds the same ids, whatever the months.
    for month in 6..=12 {
        run_on(&store, &sim, &format!("2026-{month:02}-01"), &policy).await;
    }
    let last_checkpoint = checkpoint_bytes(&store).await;
    assert!(
        (last_checkpoint as f64) <= first_checkpoint as f64 * 1.1,
        "the checkpoint grew from {first_checkpoint} to {last_checkpoint} bytes"
    );
    assert_eq!(collections(&store).await.len(), 11);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_request_budget_takes_new_films_first_then_refreshes() {
    let ids = imdb_ids(120);
    let sim = start_sim(synthetic(Faults::default())).await;
    let (_dir, store) = local_store().await;
    seed_movies(&store, &ids).await;
    let all = RefreshPolicy::default();
    let jan = run_on(&store, &sim, "2026-01-01", &all).await;

    // Twenty more films appear in the CSV. February's budget covers them and a few
    // refreshes. The rest wait for the next run of the month.
    let more = imdb_ids(140);
    seed_movies(&store, &more).await;
    sim.set_date(day("2026-02-01"));
    let client = client(
        &sim.base_url(),
        KEY,
        2000.0,
        std::time::Duration::from_secs(5),
    );
    let mut opts = IngestOptions::new("feb-budget", ProcessingDate::new(day("2026-02-01")));
    opts.refresh = RefreshPolicy {
        max_requests: Some(50),
        ..RefreshPolicy::default()
    };
    let s = ingest(&store, &client, &opts).await.unwrap();
    assert_eq!(s.stop, Stop::Limit, "{s:?}");
    // 20 new films at 2 requests each, then 10 refreshes at 1.
    assert_eq!((s.new, s.refreshed, s.rechecked), (20, 10, 0), "{s:?}");
    assert!(s.requests <= 50, "{s:?}");
    assert_eq!(s.remaining, jan.fetched - 10, "{s:?}");
    // The next run of the month finishes the refreshes.
    let rest = run_on(&store, &sim, "2026-02-01", &all).await;
    assert_eq!(rest.refreshed, jan.fetched - 10);
}
