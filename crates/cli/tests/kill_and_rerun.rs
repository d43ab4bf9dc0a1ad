//! A real crash: `cinelake trusted` and `cinelake refined` are killed (SIGKILL) while
//! they write. Readers still see the previous tables, whole; a rerun then leaves every
//! table identical to a run that was never interrupted.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use cinelake_catalog::{Catalog, Databases};
use cinelake_lake::Store;
use cinelake_query::engine::Engine;
use polars::prelude::{CsvWriter, SerWriter};

mod common;

use common::CINELAKE;

/// Every run files under the same processing date.
const DATE: [(&str, &str); 1] = [("CINELAKE_DATE", "2026-11-01")];

fn cinelake(args: &[&str]) -> String {
    common::cinelake(args, &DATE)
}

fn files(dir: &Path) -> BTreeSet<PathBuf> {
    let mut out = BTreeSet::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.insert(p);
            }
        }
    }
    out
}

/// What readers see: the star schema's tables whole, and the Trusted tables by their
/// counts and sums (whole, they are too big to print on every check).
fn tables(runtime: &tokio::runtime::Runtime, lake: &str) -> BTreeMap<String, String> {
    let trusted = [
        (
            "trusted_movies",
            "COUNT(*) AS n, COUNT(DISTINCT title_id) AS ids, SUM(CAST(release_year AS BIGINT)) AS years, MIN(primary_title) AS lo, MAX(primary_title) AS hi",
        ),
        (
            "trusted_series",
            "COUNT(*) AS n, COUNT(DISTINCT title_id) AS ids, SUM(CAST(release_year AS BIGINT)) AS years, MIN(primary_title) AS lo, MAX(primary_title) AS hi",
        ),
        (
            "trusted_tmdb_movies",
            "COUNT(*) AS n, COUNT(DISTINCT tmdb_id) AS ids, SUM(budget) AS budget, SUM(revenue) AS revenue, MIN(title) AS lo, MAX(title) AS hi",
        ),
    ];
    let refined = [
        "fact_film",
        "dim_film",
        "dim_country",
        "dim_genre",
        "dim_language",
        "dim_date",
        "bridge_film_country",
        "bridge_film_genre",
        "bridge_film_language",
    ];
    // One engine for every query: loading the tables is the slow part.
    let mut engine = runtime.block_on(async {
        let store = Store::open(lake).await.unwrap();
        let catalog = Catalog::open("local", &store).await.unwrap();
        Engine::load(&store, &catalog, &Databases::with_prefix("cinelake"))
            .await
            .unwrap()
    });
    let mut query = |sql: &str| {
        let mut df = engine.query(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
        let mut csv = Vec::new();
        CsvWriter::new(&mut csv).finish(&mut df).unwrap();
        String::from_utf8(csv).unwrap()
    };
    let mut out: BTreeMap<String, String> = trusted
        .iter()
        .map(|(t, aggregates)| {
            (
                t.to_string(),
                query(&format!("SELECT {aggregates} FROM {t}")),
            )
        })
        .collect();
    for t in refined {
        out.insert(t.to_string(), query(&format!("SELECT * FROM {t}")));
    }
    out
}

/// Starts `cinelake <stage>` and kills it as soon as it has written a new file under
/// `zone`; returns whether it was killed before finishing.
fn kill_mid_write(stage: &str, lake: &Path, zone: &str) -> bool {
    let watched = lake.join(zone);
    let before = files(&watched);
    let mut child = Command::new(CINELAKE)
        .args([stage, "--lake", lake.to_str().unwrap()])
        .args(if stage == "trusted" {
            &["--chunk-rows", "4000"][..]
        } else {
            &[]
        })
        .env("RUST_LOG", "warn")
        .envs(DATE)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            panic!("cinelake {stage} finished ({status}) before it could be killed");
        }
        if files(&watched).difference(&before).next().is_some() {
            child.kill().unwrap();
            child.wait().unwrap();
            return true;
        }
        assert!(Instant::now() < deadline, "cinelake {stage} wrote nothing");
        std::thread::sleep(Duration::from_millis(2));
    }
}

#[test]
fn a_kill_mid_write_then_a_rerun_equals_a_clean_run() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    // Enough rows, in small chunks, that writing Trusted takes many steps and a kill
    // lands mid-table.
    let lake_dir = common::raw_lake(dir.path(), 60_000, 10_000, &DATE);
    let lake = lake_dir.to_str().unwrap();

    // A clean run.
    cinelake(&["trusted", "--lake", lake, "--chunk-rows", "4000"]);
    cinelake(&["refined", "--lake", lake]);
    let clean = tables(&runtime, lake);
    assert!(
        clean["fact_film"].lines().count() > 100,
        "{}",
        clean["fact_film"]
    );

    // Runs killed while they write each zone.
    assert!(kill_mid_write("trusted", &lake_dir, "Trusted"));
    assert_eq!(
        tables(&runtime, lake),
        clean,
        "readers see the previous tables after a kill in trusted"
    );
    assert!(kill_mid_write("refined", &lake_dir, "Refined"));
    assert_eq!(
        tables(&runtime, lake),
        clean,
        "readers see the previous tables after a kill in refined"
    );

    cinelake(&["trusted", "--lake", lake, "--chunk-rows", "4000"]);
    cinelake(&["refined", "--lake", lake]);
    assert_eq!(tables(&runtime, lake), clean, "after the rerun");
}
