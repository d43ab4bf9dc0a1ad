//! Tests ingestion as users run it.
//!
//! The tests cover the binary, killed mid-way and run with a wrong key. They also cover
//! the Lambda handler against a deadline, an S3 lake, and replayed real TMDB answers.

mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

use cinelake_ingest::lambda::{Handler, IngestEvent};
use cinelake_ingest::{IngestOptions, IngestSettings, Stop, TmdbSettings, ingest};
use cinelake_lake::Store;
use cinelake_lake::settings::LakeSettings;
use cinelake_testkit::{S3Server, s3_lake};
use cinelake_tmdb_sim::{Faults, SimConfig};
use common::*;

fn binary(lake: &str, sim_url: &str, key: &str, extra: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_cinelake-ingest"));
    cmd.args([
        "--lake",
        lake,
        "--tmdb-url",
        sim_url,
        "--date",
        "2026-11-01",
    ])
    .args(extra)
    .env("TMDB_API_KEY", key)
    .env_remove("TMDB_READ_TOKEN")
    .env("RUST_LOG", "debug")
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    cmd
}

fn all_files(root: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(root).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            all_files(&p, out);
        } else {
            out.push(p);
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn killed_mid_run_then_rerun_equals_an_uninterrupted_run() {
    let ids = imdb_ids(300);
    let sim = start_sim(synthetic(Faults::default())).await;
    let url = sim.base_url();

    let (clean_dir, clean) = local_store().await;
    seed_movies(&clean, &ids).await;
    let out = binary(clean_dir.path().to_str().unwrap(), &url, KEY, &[])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let expected = records(&clean).await;

    let (dir, store) = local_store().await;
    seed_movies(&store, &ids).await;
    let lake = dir.path().to_str().unwrap().to_string();
    // Its log goes to a file, because a pipe nobody reads would fill and stall the run.
    let logs = tempfile::tempdir().unwrap();
    let log = logs.path().join("killed-run.log");
    let mut child = binary(&lake, &url, KEY, &["--rps", "80", "--lease-secs", "2"])
        .stdout(std::process::Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let started = Instant::now();
    loop {
        let files = store.list("Raw/TMDB/JSON/").await.unwrap().len();
        if files >= 1 {
            break;
        }
        // A run that ended before writing anything says why, rather than waiting for the
        // timeout.
        if let Some(status) = child.try_wait().unwrap() {
            let err = std::fs::read_to_string(&log).unwrap_or_default();
            panic!("the run ended ({status}) before writing a file:\n{err}");
        }
        // The wait is generous, because on a loaded 2-core machine the debug binary
        // starts slowly.
        assert!(
            started.elapsed() < Duration::from_secs(90),
            "no file written in 90 s"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let partial = records(&store).await;
    assert!(
        !partial.is_empty() && partial.len() < expected.len(),
        "{} of {}",
        partial.len(),
        expected.len()
    );

    // The dead run's lease blocks others until it expires. Then a rerun finishes.
    let mut waited = 0;
    loop {
        let out = binary(&lake, &url, KEY, &["--json", "--lease-secs", "2"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        if summary["stop"] == "complete" {
            assert_eq!(summary["remaining"], 0);
            break;
        }
        assert_eq!(summary["stop"], "busy", "{summary}");
        waited += 1;
        assert!(waited < 20, "lease never expired");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    assert_eq!(records(&store).await, expected);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_key_stops_the_run_and_no_key_ever_leaks() {
    let sim = start_sim(synthetic(Faults::default())).await;
    let (dir, store) = local_store().await;
    seed_movies(&store, &imdb_ids(20)).await;
    let lake = dir.path().to_str().unwrap();
    let wrong = "wr0ng-key-that-must-never-leak-5678";
    let out = binary(lake, &sim.base_url(), wrong, &[]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("TMDB refused the credentials (HTTP 401, TMDB status_code 7)"),
        "{stderr}"
    );
    assert!(stderr.contains("TMDB_API_KEY"), "{stderr}");
    assert!(store.list("Raw/TMDB/JSON/").await.unwrap().is_empty());

    // A good run with debug logs, then every log line and stored byte is searched.
    let ok = binary(lake, &sim.base_url(), KEY, &[]).output().unwrap();
    assert!(ok.status.success());
    let mut files = Vec::new();
    all_files(dir.path(), &mut files);
    assert!(
        files
            .iter()
            .any(|f| f.to_string_lossy().contains("_runs/tmdb-ingest"))
    );
    for (what, text) in [
        ("stderr (wrong key)", stderr.to_string()),
        (
            "stdout (wrong key)",
            String::from_utf8_lossy(&out.stdout).to_string(),
        ),
        ("stderr", String::from_utf8_lossy(&ok.stderr).to_string()),
        ("stdout", String::from_utf8_lossy(&ok.stdout).to_string()),
    ] {
        assert!(
            !text.contains(wrong) && !text.contains(KEY),
            "key in {what}: {text}"
        );
    }
    assert!(
        String::from_utf8_lossy(&ok.stderr).contains("ingestion finished"),
        "debug logs were captured"
    );
    for f in files {
        let bytes = std::fs::read(&f).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        assert!(
            !text.contains(wrong) && !text.contains(KEY),
            "key in {}",
            f.display()
        );
    }
}

#[tokio::test]
async fn lambda_handler_stops_before_its_deadline_and_the_next_call_finishes() {
    let (_dir, store) = local_store().await;
    let ids = imdb_ids(200);
    seed_movies(&store, &ids).await;
    let sim = start_sim(synthetic(Faults {
        latency: Duration::from_millis(30),
        ..Faults::default()
    }))
    .await;
    let mut settings = IngestSettings::new(
        LakeSettings::at(&store.url()),
        TmdbSettings::new(&sim.base_url()),
    );
    settings.tmdb.concurrency = std::num::NonZeroUsize::new(8).unwrap();
    settings.lease_secs = std::num::NonZeroU64::new(60).unwrap();
    let handler = Handler {
        store: store.clone(),
        client: client(&sim.base_url(), KEY, 60.0, Duration::from_secs(2)),
        settings,
        margin: Duration::from_millis(500),
    };
    let event: IngestEvent = serde_json::from_str(
        r#"{"version":"0","detail-type":"Scheduled Event","date":"2026-11-01"}"#,
    )
    .unwrap();
    let deadline = SystemTime::now() + Duration::from_millis(1500);
    let first = handler.handle(event.clone(), deadline).await.unwrap();
    assert!(SystemTime::now() < deadline, "returned after the deadline");
    assert_eq!(first.stop, Stop::Deadline, "{first:?}");
    assert!(first.remaining > 0 && first.fetched > 0, "{first:?}");
    assert_eq!(records(&store).await.len() as u64, first.fetched);

    let second = handler
        .handle(event, SystemTime::now() + Duration::from_secs(120))
        .await
        .unwrap();
    assert_eq!(second.stop, Stop::Complete, "{second:?}");
    assert_eq!(second.remaining, 0);
    assert_eq!(
        records(&store).await.len() + unknown_to_sim(&ids).len(),
        ids.len()
    );
    let weekly: IngestEvent = serde_json::from_str(r#"{"refresh_period":"weekly"}"#).unwrap();
    let err = handler
        .handle(weekly, SystemTime::now() + Duration::from_secs(60))
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("refresh_period") && err.to_string().contains("weekly"),
        "{err}"
    );
    let bad: IngestEvent = serde_json::from_str(r#"{"date":"01/11/2026"}"#).unwrap();
    let err = handler
        .handle(bad, SystemTime::now() + Duration::from_secs(60))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("01/11/2026"), "{err}");
}

#[tokio::test]
async fn the_same_ingestion_on_s3_and_on_disk() {
    cinelake_testkit::needs!(SeaweedFs, Moto);
    let ids = imdb_ids(120);
    let sim = start_sim(synthetic(Faults {
        server_error_share: 0.05,
        ..Faults::default()
    }))
    .await;
    let client = client(&sim.base_url(), KEY, 0.0, Duration::from_secs(2));
    let (_dir, local) = local_store().await;
    let (s3, _, _) = s3_lake(S3Server::SeaweedFs).await;
    for store in [&local, &s3] {
        seed_movies(store, &ids).await;
        let (oa, ob) = (
            IngestOptions::new("a", date()),
            IngestOptions::new("b", date()),
        );
        let (a, b) = tokio::join!(ingest(store, &client, &oa), ingest(store, &client, &ob));
        let stops = [a.unwrap().stop, b.unwrap().stop];
        assert!(
            stops.contains(&Stop::Busy) && stops.contains(&Stop::Complete),
            "{stops:?}"
        );
    }
    let on_disk = records(&local).await;
    assert_eq!(on_disk, records(&s3).await);
    assert_eq!(on_disk.len() + unknown_to_sim(&ids).len(), ids.len());
    let keys = |s: &Store| {
        let s = s.clone();
        async move {
            s.list("Raw/TMDB/")
                .await
                .unwrap()
                .into_iter()
                .map(|o| o.key.replace("-a-", "-x-").replace("-b-", "-x-"))
                .filter(|k| !k.contains("lease"))
                .count()
        }
    };
    assert_eq!(keys(&local).await, keys(&s3).await);
}

#[tokio::test]
#[ignore = "needs the real sample data: set CINELAKE_SAMPLES (scripts/test runs it with --include-ignored when the samples are there)"]
async fn real_samples_replayed_are_stored_unchanged() {
    let samples = cinelake_testkit::samples_dir();
    let config = SimConfig::replay(KEY, &samples.join("tmdb")).unwrap();
    let replayed = match &config.source {
        cinelake_tmdb_sim::Source::Replay(r) => r.clone(),
        _ => unreachable!(),
    };
    let ids: Vec<String> = replayed.imdb_ids().map(str::to_string).collect();
    assert!(ids.len() > 3000, "{} ids in the samples", ids.len());
    let (_dir, store) = local_store().await;
    seed_movies(&store, &ids).await;
    let sim = start_sim(config).await;
    let client = client(&sim.base_url(), KEY, 0.0, Duration::from_secs(5));
    let s = ingest(&store, &client, &IngestOptions::new("replay", date()))
        .await
        .unwrap();
    assert_eq!((s.not_found, s.failed, s.remaining), (0, 0, 0), "{s:?}");
    let stored = records(&store).await;
    assert_eq!(stored.len(), ids.len());
    for id in &ids {
        let tmdb = replayed.tmdb_id_of(id).unwrap();
        assert_eq!(stored[id].as_str(), replayed.record(tmdb).unwrap(), "{id}");
    }
}
