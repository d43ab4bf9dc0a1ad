//! Tests that two jobs never transform one lake at once.
//!
//! The second job finds the jobs lease held and fails as busy, which the state machine
//! retries. It has read and written nothing, and the lake is as one run leaves it.

mod common;

use cinelake_jobs::{BUSY_ERROR, Job, JobError, JobEvent};
use cinelake_lake::layout::{self, ProcessingDate};
use cinelake_lake::lease::{Acquired, Lease};
use common::{UPLOADED, handler, uploaded_lake};

fn event(job: Job) -> JobEvent {
    JobEvent {
        job,
        date: None,
        engine: None,
    }
}

/// The files of the lake under `prefix`, relative to it, sorted.
fn files(lake: &std::path::Path, prefix: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut dirs = vec![lake.join(prefix)];
    while let Some(dir) = dirs.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
            } else {
                out.push(path.strip_prefix(lake).unwrap().display().to_string());
            }
        }
    }
    out.sort();
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn two_jobs_started_at_once_run_one_at_a_time() {
    let dir = tempfile::tempdir().unwrap();
    let (lake, lake_url, store) = uploaded_lake(dir.path(), 500, 100, 3).await;
    let today: ProcessingDate = UPLOADED.parse().unwrap();
    // One TMDB collection of one film, as ingestion files it.
    let record = r#"[{"id":1,"imdb_id":"tt0000001","title":"Film","release_date":"2005-01-01","genres":[{"id":18,"name":"Drama"}],"production_countries":[{"iso_3166_1":"BR","name":"Brazil"}]}]"#;
    store
        .put(
            &layout::raw_tmdb_json_key(today, "run", 0),
            bytes::Bytes::from_static(record.as_bytes()),
        )
        .await
        .unwrap();

    // Two function instances (a second start of the schedule) over one lake.
    let (a, b) = (handler(&lake_url).await, handler(&lake_url).await);
    let trusted = event(Job::Trusted);
    let (first, second) = tokio::join!(a.handle(&trusted), b.handle(&trusted));
    let (done, busy) = match (first, second) {
        (Ok(done), Err(busy)) | (Err(busy), Ok(done)) => (done, busy),
        (first, second) => panic!("one job should run and one be busy: {first:?} / {second:?}"),
    };
    assert!(matches!(busy, JobError::Busy { .. }), "{busy}");
    assert_eq!(busy.name(Job::Trusted), BUSY_ERROR);
    assert!(
        busy.to_string()
            .contains("another job holds the jobs lease (the trusted job started at"),
        "{busy}"
    );
    // One run's manifest only. The busy job wrote nothing.
    assert_eq!(
        files(&lake, "_runs/trusted").len(),
        1,
        "{:?}",
        files(&lake, "_runs")
    );
    assert_eq!(done["job"], "trusted");

    // The lease was released. The busy job runs when retried, then the rest run in turn.
    // The lake is as two runs in a row leave it.
    let again = b.handle(&trusted).await.unwrap();
    assert_eq!(again["job"], "trusted");
    for job in [Job::Refined, Job::Views] {
        a.handle(&event(job)).await.unwrap();
    }
    assert_eq!(files(&lake, "_runs/trusted").len(), 2);
    assert_eq!(files(&lake, "_runs/refined").len(), 1);
    assert_eq!(
        files(&lake, &layout::jobs_lease_prefix()).len(),
        1,
        "older generations are deleted"
    );

    // While another execution holds it, every job is busy and writes nothing.
    let prefix = layout::jobs_lease_prefix();
    let held = match Lease::acquire(&store, &prefix, "another", chrono::Duration::minutes(5))
        .await
        .unwrap()
    {
        Acquired::Held(lease) => lease,
        other => panic!("{other:?}"),
    };
    let before = files(&lake, "");
    for job in [Job::Trusted, Job::Refined, Job::Views] {
        let err = a.handle(&event(job)).await.unwrap_err();
        assert!(
            err.to_string().contains("(another, until"),
            "{job:?}: {err}"
        );
        assert_eq!(err.name(job), BUSY_ERROR);
    }
    assert_eq!(files(&lake, ""), before, "a busy job changed the lake");
    held.release(&store).await.unwrap();
    a.handle(&event(Job::Refined)).await.unwrap();
}
