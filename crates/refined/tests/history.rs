//! Tests the history of TMDB's figures, month by month, against the simulator whose
//! figures move with its clock. Ingestion runs on the 1st of January, February and
//! March, with trusted and refined after each. Trusted converts each month's collection
//! alone and leaves the earlier ones as they were. Every collection keeps its
//! partition. The snapshot fact has one row per film per collection, and its latest row
//! is the film's `fact_film` row.

use std::net::SocketAddr;
use std::time::Duration;

use cinelake_catalog::{Catalog, Databases, Table};
use cinelake_frames::table::read_table;
use cinelake_ingest::{IngestOptions, Stop, ingest};
use cinelake_lake::Store;
use cinelake_lake::layout::ProcessingDate;
use cinelake_lake::source::CsvKind;
use cinelake_sample::{SampleSpec, write_dir};
use cinelake_tmdb::{ClientConfig, Credentials, Secret, TmdbClient};
use cinelake_tmdb_sim::{self as sim, SimConfig, Timeline};
use cinelake_trusted::{JobOptions, csv_job, tmdb_job};
use cinelake_upload::{CheckOptions, UploadOptions};
use polars::prelude::*;

const MONTHS: [&str; 3] = ["2026-01-01", "2026-02-01", "2026-03-01"];

fn day(s: &str) -> ProcessingDate {
    s.parse().unwrap()
}

/// (dt, converted) of each TMDB partition a trusted run reports.
fn outcome(reports: &[cinelake_trusted::TableReport]) -> Vec<(String, bool)> {
    reports
        .iter()
        .map(|r| {
            (
                r.table.rsplit_once("dt=").unwrap().1.to_string(),
                !r.unchanged,
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn each_month_is_converted_once_and_is_a_snapshot_of_every_film() {
    let mut config = SimConfig::synthetic("k");
    config.timeline = Some(Timeline {
        since: day(MONTHS[0]).date(),
        late_share: 0.05,
        late_from: day("2026-02-15").date(),
    });
    let sim = sim::start(config, SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .unwrap();
    let src = tempfile::tempdir().unwrap();
    write_dir(
        src.path(),
        &SampleSpec {
            movies_rows: 3_000,
            series_rows: 500,
            seed: 11,
            crlf: false,
        },
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().to_str().unwrap()).await.unwrap();
    let catalog = Catalog::open("local", &store).await.unwrap();
    let dbs = Databases::with_prefix("history");
    let upload = UploadOptions {
        source_dir: src.path().to_path_buf(),
        only: None,
        check: CheckOptions::default(),
        dry_run: false,
        put: Default::default(),
    };
    cinelake_upload::run(&store, day(MONTHS[0]), "up", &upload)
        .await
        .unwrap();
    let mut cfg = ClientConfig::new(&sim.base_url(), Credentials::ApiKey(Secret::new("k")));
    cfg.requests_per_second = 0.0;
    cfg.timeout = Duration::from_secs(5);
    let client = TmdbClient::new(cfg).unwrap();

    let mut fetched = Vec::new();
    for (i, month) in MONTHS.iter().enumerate() {
        sim.set_date(day(month).date());
        let date = day(month);
        let summary = ingest(
            &store,
            &client,
            &IngestOptions::new(&format!("in{i}"), date),
        )
        .await
        .unwrap();
        assert_eq!(summary.stop, Stop::Complete, "{month}: {summary:?}");
        fetched.push(summary.fetched);
        let opts = JobOptions {
            run_id: format!("tr{i}"),
            databases: dbs.clone(),
            max_rejected_share: 0.0,
            chunk_rows: csv_job::CHUNK_ROWS,
            json_chunk_records: tmdb_job::JSON_CHUNK_RECORDS,
        };
        csv_job::run(&store, &catalog, CsvKind::Movies, None, &opts)
            .await
            .unwrap();
        let reports = tmdb_job::run(&store, &catalog, &opts).await.unwrap();
        // This month's collection is converted. The earlier ones are left unchanged.
        let expected: Vec<(String, bool)> = MONTHS[..=i]
            .iter()
            .map(|m| (m.to_string(), *m == *month))
            .collect();
        assert_eq!(outcome(&reports), expected, "{month}");
        cinelake_refined::build(
            &store,
            &catalog,
            &dbs,
            &format!("rf{i}"),
            &cinelake_refined::Rules::default(),
        )
        .await
        .unwrap();
    }
    // The refreshes fetch every film fetched in January again. The late ones are asked
    // again only after six months.
    assert!(fetched[0] > 50, "{fetched:?}");
    assert_eq!(fetched[1..], [fetched[0], fetched[0]], "{fetched:?}");

    let read = |t: Table| read_table(&store, &catalog, &dbs.refined, t.name());
    let fact = read(Table::FactFilm).await.unwrap();
    let snapshot = read(Table::FactFilmSnapshot).await.unwrap();
    let per_film = snapshot
        .clone()
        .lazy()
        .group_by([col("film_id")])
        .agg([
            len().alias("collections"),
            col("collected_on").n_unique().alias("dates"),
        ])
        .collect()
        .unwrap();
    assert_eq!(per_film.height(), fact.height(), "every film of the fact");
    for c in ["collections", "dates"] {
        let n: Vec<u32> = per_film
            .column(c)
            .unwrap()
            .cast(&DataType::UInt32)
            .unwrap()
            .u32()
            .unwrap()
            .into_no_null_iter()
            .collect();
        assert!(n.iter().all(|&n| n == 3), "one row per film per month: {c}");
    }
    // The figures moved between collections, and the latest is the fact's.
    let moved = snapshot
        .clone()
        .lazy()
        .group_by([col("film_id")])
        .agg([col("popularity").n_unique().alias("values")])
        .filter(col("values").gt(lit(1)))
        .collect()
        .unwrap();
    assert!(moved.height() > 0, "no film's popularity moved");
    let latest = snapshot
        .lazy()
        .filter(col("collected_on").eq(col("collected_on").max()))
        .select([
            col("film_id"),
            col("popularity"),
            col("tmdb_votes"),
            col("tmdb_rating"),
            col("revenue"),
        ])
        .sort(["film_id"], Default::default())
        .collect()
        .unwrap();
    let fact = fact
        .lazy()
        .select([
            col("film_id"),
            col("popularity"),
            col("tmdb_votes"),
            col("tmdb_rating"),
            col("revenue"),
        ])
        .sort(["film_id"], Default::default())
        .collect()
        .unwrap();
    assert!(latest.equals_missing(&fact), "{latest}\n{fact}");
    sim.stop().await;
}
