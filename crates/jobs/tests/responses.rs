//! Tests that what each job returns stays small, however long the lake has been
//! collecting.
//!
//! Step Functions keeps every Lambda response in the execution's state, which may hold
//! 256 KiB at most. The lists of every Raw key read and every table written belong in the
//! run manifest under `_runs/`, which the response points to.

mod common;

use cinelake_jobs::{Job, JobEvent};
use cinelake_lake::layout::{self, ProcessingDate};
use common::{handler, uploaded_lake};

/// Far below the state limit, so that the rest of the state has room.
const MAX_RESPONSE: usize = 8 * 1024;
const MONTHS: u32 = 36;
const FILES_PER_MONTH: u32 = 600;

/// One TMDB record per file, as a Raw file holds up to 100.
fn record(n: u32) -> String {
    format!(
        r#"[{{"id":{n},"imdb_id":"tt{n:07}","title":"Film {n}","release_date":"2005-01-01","runtime":90,"budget":0,"revenue":0,"popularity":1.5,"vote_average":6.5,"vote_count":10,"genres":[{{"id":18,"name":"Drama"}}],"production_countries":[{{"iso_3166_1":"BR","name":"Brazil"}}],"spoken_languages":[]}}]"#
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn every_response_stays_small_after_three_years_of_collections() {
    let dir = tempfile::tempdir().unwrap();
    let (lake, lake_url, _store) = uploaded_lake(dir.path(), 2000, 500, 7).await;

    // 36 monthly collections of 600 files each, written straight into Raw.
    let mut n = 0;
    for month in 0..MONTHS {
        let date =
            chrono::NaiveDate::from_ymd_opt(2023 + (month / 12) as i32, month % 12 + 1, 1).unwrap();
        let date = ProcessingDate::new(date);
        for seq in 0..FILES_PER_MONTH {
            n += 1;
            let key = layout::raw_tmdb_json_key(date, "run", seq);
            let file = lake.join(&key);
            std::fs::create_dir_all(file.parent().unwrap()).unwrap();
            std::fs::write(file, record(n)).unwrap();
        }
    }

    let handler = handler(&lake_url).await;

    for job in [Job::Trusted, Job::Refined, Job::Views] {
        let event = JobEvent {
            job,
            date: None,
            engine: None,
        };
        let response = handler.handle(&event).await.unwrap();
        let text = serde_json::to_string(&response).unwrap();
        assert!(
            text.len() <= MAX_RESPONSE,
            "{job:?} returned {} bytes (at most {MAX_RESPONSE}): {}...",
            text.len(),
            &text[..text.len().min(500)]
        );
        // The lists are in the manifest the response points to.
        if let Some(manifest) = response["manifest"].as_str() {
            let body = std::fs::read_to_string(lake.join(manifest)).unwrap();
            let listed = match job {
                Job::Trusted => "Raw/TMDB/JSON/2025/12/01/run-00599.json",
                _ => "Refined/fact_film/",
            };
            assert!(body.contains(listed), "{manifest} does not list {listed}");
        } else {
            assert_eq!(job, Job::Views, "{job:?} names no manifest: {text}");
        }
    }

    // Again over the same Raw. Every collection is unchanged, and the response says so
    // in a count, not a list.
    let response = handler
        .handle(&JobEvent {
            job: Job::Trusted,
            date: None,
            engine: None,
        })
        .await
        .unwrap();
    let text = serde_json::to_string(&response).unwrap();
    assert!(text.len() <= MAX_RESPONSE, "{} bytes: {text}", text.len());
    let tmdb = response["tables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["table"].as_str().unwrap().ends_with(".tmdb_movies"))
        .unwrap();
    assert_eq!(tmdb["partitions"], 0, "{text}");
    assert_eq!(tmdb["partitions_unchanged"], MONTHS, "{text}");
    assert_eq!(tmdb["converted_dts"], serde_json::json!([]), "{text}");
}

/// The event's engine reaches the stage. The trusted job refuses Athena over a directory
/// lake and the local catalog. The refined job refuses Athena always. Both refuse before
/// anything is read or written.
#[tokio::test(flavor = "multi_thread")]
async fn an_athena_event_over_a_directory_lake_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let lake = dir.path().join("lake");
    let handler = handler(lake.to_str().unwrap()).await;
    let on_athena = |job| JobEvent {
        job,
        date: None,
        engine: Some(cinelake_athena::Engine::Athena),
    };
    let err = handler.handle(&on_athena(Job::Trusted)).await.unwrap_err();
    assert!(
        err.to_string()
            .contains("the Athena engine needs an S3 lake and the Glue catalog"),
        "{err}"
    );
    let err = handler.handle(&on_athena(Job::Refined)).await.unwrap_err();
    assert!(
        err.to_string()
            .contains("refined runs in the function (polars) only"),
        "{err}"
    );
    assert!(!lake.join("_runs").exists());
}
