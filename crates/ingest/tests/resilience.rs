//! Tests ingestion against a TMDB that fails in every way the real one does.
//!
//! Nothing is lost and nothing is duplicated. Runs are resumable and exclusive.

mod common;

use std::time::Duration;

use cinelake_ingest::{IngestOptions, Stop, ingest};
use cinelake_tmdb_sim::Faults;
use common::*;

fn options(run: &str) -> IngestOptions {
    let mut o = IngestOptions::new(run, date());
    o.concurrency = std::num::NonZeroUsize::new(16).unwrap();
    o
}

#[tokio::test]
async fn chaos_loses_and_duplicates_nothing() {
    let (_dir, store) = local_store().await;
    let ids = imdb_ids(260);
    seed_movies(&store, &ids).await;
    let sim = start_sim(synthetic(Faults {
        rate_limit: Some(40.0),
        server_error_share: 0.05,
        hang_share: 0.01,
        hang_for: Duration::from_secs(30),
        malformed_share: 0.02,
        ..Faults::default()
    }))
    .await;
    // Asking a little faster than the limit provokes 429s with Retry-After.
    let client = client(&sim.base_url(), KEY, 48.0, Duration::from_millis(800));
    let summary = ingest(&store, &client, &options("chaos")).await.unwrap();
    let served = sim.stats();
    assert!(
        served.server_errors > 0 && served.hung > 0 && served.malformed > 0,
        "{served:?}"
    );
    assert!(served.rate_limited > 0, "{served:?}");
    assert_eq!(summary.stop, Stop::Complete);
    assert_eq!(summary.selected, 260);
    assert_eq!(summary.failed, 0, "{summary:?}");
    assert_eq!(summary.remaining, 0, "{summary:?}");
    let unknown = unknown_to_sim(&ids);
    assert_eq!(summary.not_found as usize, unknown.len());
    let stored = records(&store).await;
    assert_eq!(stored.len() + unknown.len(), ids.len());
    for id in &ids {
        assert!(stored.contains_key(id) != unknown.contains(id), "{id}");
    }
    assert_eq!(summary.files, 2, "{summary:?}");

    // A rerun selects the same films, finds them settled and fetches nothing.
    let again = ingest(&store, &client, &options("again")).await.unwrap();
    assert_eq!((again.fetched, again.not_found, again.remaining), (0, 0, 0));
    assert_eq!(records(&store).await, stored);
}

#[tokio::test]
async fn a_deadline_stops_cleanly_and_the_next_run_finishes() {
    let (_dir, store) = local_store().await;
    let ids = imdb_ids(150);
    seed_movies(&store, &ids).await;
    let sim = start_sim(synthetic(Faults {
        latency: Duration::from_millis(20),
        ..Faults::default()
    }))
    .await;
    let client = client(&sim.base_url(), KEY, 100.0, Duration::from_secs(2));
    let mut first = options("first");
    first.stop_at = Some(std::time::Instant::now() + Duration::from_millis(700));
    let s1 = ingest(&store, &client, &first).await.unwrap();
    assert_eq!(s1.stop, Stop::Deadline, "{s1:?}");
    assert!(s1.remaining > 0 && s1.fetched > 0, "{s1:?}");
    let partial = records(&store).await;
    assert_eq!(
        partial.len() as u64,
        s1.fetched,
        "everything fetched was stored"
    );

    let s2 = ingest(&store, &client, &options("second")).await.unwrap();
    assert_eq!(s2.stop, Stop::Complete);
    assert_eq!(s2.remaining, 0);
    assert_eq!(s1.fetched + s2.fetched + s1.not_found + s2.not_found, 150);
    let all = records(&store).await;
    for (id, rec) in &partial {
        assert_eq!(all.get(id), Some(rec));
    }
}

#[tokio::test]
async fn max_ids_limits_a_run() {
    let (_dir, store) = local_store().await;
    let ids = imdb_ids(40);
    seed_movies(&store, &ids).await;
    let sim = start_sim(synthetic(Faults::default())).await;
    let client = client(&sim.base_url(), KEY, 0.0, Duration::from_secs(2));
    let mut o = options("limited");
    o.max_ids = Some(15);
    let s = ingest(&store, &client, &o).await.unwrap();
    assert_eq!(s.stop, Stop::Limit);
    assert_eq!(s.fetched + s.not_found, 15);
    assert_eq!(s.remaining, 25);
}

#[tokio::test]
async fn two_runs_at_once_one_works_one_exits() {
    let (_dir, store) = local_store().await;
    let ids = imdb_ids(120);
    seed_movies(&store, &ids).await;
    let sim = start_sim(synthetic(Faults {
        latency: Duration::from_millis(5),
        ..Faults::default()
    }))
    .await;
    let client = client(&sim.base_url(), KEY, 0.0, Duration::from_secs(2));
    let (oa, ob) = (options("run-a"), options("run-b"));
    let (a, b) = tokio::join!(ingest(&store, &client, &oa), ingest(&store, &client, &ob));
    let (a, b) = (a.unwrap(), b.unwrap());
    let stops = [a.stop, b.stop];
    assert!(
        stops.contains(&Stop::Busy) && stops.contains(&Stop::Complete),
        "{a:?} {b:?}"
    );
    let busy = if a.stop == Stop::Busy { &a } else { &b };
    assert_eq!(busy.fetched + busy.requests, 0);
    assert!(busy.busy_holder.is_some());
    assert_eq!(
        records(&store).await.len() + unknown_to_sim(&ids).len(),
        120
    );
}

#[tokio::test]
async fn a_crash_between_record_file_and_checkpoint_is_repaired() {
    let (_dir, store) = local_store().await;
    let ids = imdb_ids(30);
    seed_movies(&store, &ids).await;
    let sim = start_sim(synthetic(Faults::default())).await;
    let client = client(&sim.base_url(), KEY, 0.0, Duration::from_secs(2));
    ingest(&store, &client, &options("one")).await.unwrap();
    let before = records(&store).await;
    // Forget the checkpoint entirely. Only the Raw files remain.
    for obj in store.list("Raw/TMDB/_state/").await.unwrap() {
        store.delete(&obj.key).await.unwrap();
    }
    let s = ingest(&store, &client, &options("two")).await.unwrap();
    assert_eq!(
        s.fetched, 0,
        "records already stored were fetched again: {s:?}"
    );
    assert_eq!(records(&store).await, before);
}

#[tokio::test]
async fn no_movies_file_is_a_clear_error() {
    let (_dir, store) = local_store().await;
    let sim = start_sim(synthetic(Faults::default())).await;
    let client = client(&sim.base_url(), KEY, 0.0, Duration::from_secs(2));
    let err = ingest(&store, &client, &options("x")).await.unwrap_err();
    assert!(
        err.to_string().contains("run the upload stage first"),
        "{err}"
    );
}

/// A TMDB that never answers. First it is a closed port, then a server that cuts every
/// connection. The run stops with one error naming TMDB's URL, long before each film has
/// used up its retries. It settles nothing, so once TMDB is back, the next run fetches
/// every film.
#[tokio::test]
async fn tmdb_unreachable_stops_the_run_with_one_error() {
    use cinelake_tmdb::retry::Backoff;
    use cinelake_tmdb::{ClientConfig, Credentials, Secret, TmdbClient};

    let (_dir, store) = local_store().await;
    let ids = imdb_ids(200);
    seed_movies(&store, &ids).await;
    // A port bound once and let go, so nothing listens there.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    // A server that takes every connection and closes it unanswered.
    let cutter = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let cut = cutter.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((socket, _)) = cutter.accept().await {
            drop(socket);
        }
    });
    let max_attempts = 8u64;
    for (run, addr) in [("closed", closed), ("cut", cut)] {
        let url = format!("http://{addr}");
        let mut config = ClientConfig::new(&url, Credentials::ApiKey(Secret::new(KEY)));
        config.max_attempts = std::num::NonZeroU32::new(max_attempts as u32).unwrap();
        config.backoff = Backoff {
            base: Duration::from_millis(100),
            cap: Duration::from_secs(1),
        };
        config.unreachable_after = Duration::from_secs(1);
        let client = TmdbClient::new(config).unwrap();
        let err = ingest(&store, &client, &options(run)).await.unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains(&format!("TMDB at {url} is unreachable")),
            "{run}: {text}"
        );
        // Each film retried to the end would be 1,600 requests.
        let sent = client.stats().requests;
        assert!(
            sent < ids.len() as u64 * max_attempts / 4,
            "{run}: {sent} requests"
        );
        assert!(records(&store).await.is_empty(), "{run}");
    }
    let sim = start_sim(synthetic(Faults::default())).await;
    let client = client(&sim.base_url(), KEY, 0.0, Duration::from_secs(2));
    let summary = ingest(&store, &client, &options("back")).await.unwrap();
    assert_eq!(summary.fetched + summary.not_found, ids.len() as u64);
    assert_eq!(summary.remaining, 0, "{summary:?}");
}
