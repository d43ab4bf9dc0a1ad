//! A real crash: `cinelake trusted` and `cinelake refined` are killed (SIGKILL) while
//! they write. Readers still see the previous tables, whole; a rerun then leaves every
//! table identical to a run that was never interrupted.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use cinelake_catalog::{Catalog, Databases, Table};
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
    let mut sqls: Vec<(String, String)> = trusted
        .iter()
        .map(|(t, aggregates)| (t.to_string(), format!("SELECT {aggregates} FROM {t}")))
        .collect();
    // Every table of the star schema, whole.
    for t in Table::REFINED {
        sqls.push((t.to_string(), format!("SELECT * FROM {t}")));
    }
    // One engine for every query, with the tables they read (no views: those need the
    // views step's data_sources): loading the tables is the slow part.
    let mut engine = runtime.block_on(async {
        let store = Store::open(lake).await.unwrap();
        let catalog = Catalog::open("local", &store).await.unwrap();
        let reads: Vec<&str> = sqls.iter().map(|(_, sql)| sql.as_str()).collect();
        Engine::load_for(
            &store,
            &catalog,
            &Databases::with_prefix("cinelake"),
            Some(&reads),
        )
        .await
        .unwrap()
    });
    let mut query = |sql: &str| {
        let df = engine.query(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
        // List columns (dim_artist's professions) as JSON text, as `query --format csv`.
        let mut df = cinelake_query::json::flatten_nested(&df).unwrap();
        let mut csv = Vec::new();
        CsvWriter::new(&mut csv).finish(&mut df).unwrap();
        String::from_utf8(csv).unwrap()
    };
    sqls.iter()
        .map(|(t, sql)| (t.clone(), query(sql)))
        .collect()
}

/// What a kill interrupted.
struct Killed {
    /// Files the stage had written under its zone when it was killed.
    new_files: Vec<PathBuf>,
    /// Run manifests the stage wrote: a run that finished writes one.
    new_manifests: Vec<PathBuf>,
}

/// Starts `cinelake <stage>` and kills it as soon as it has written a new file under
/// `zone`.
fn kill_mid_write(stage: &str, lake: &Path, zone: &str) -> Killed {
    let watched = lake.join(zone);
    let runs = lake.join("_runs").join(stage);
    let before = files(&watched);
    let manifests_before = files(&runs);
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
            return Killed {
                new_files: files(&watched).difference(&before).cloned().collect(),
                new_manifests: files(&runs)
                    .difference(&manifests_before)
                    .cloned()
                    .collect(),
            };
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
        clean[Table::FactFilm.name()].lines().count() > 100,
        "{}",
        clean[Table::FactFilm.name()]
    );

    // Runs killed while they write each zone.
    let killed = kill_mid_write("trusted", &lake_dir, "Trusted");
    assert_landed_mid_write("trusted", &killed);
    assert_eq!(
        tables(&runtime, lake),
        clean,
        "readers see the previous tables after a kill in trusted"
    );
    let killed = kill_mid_write("refined", &lake_dir, "Refined");
    assert_landed_mid_write("refined", &killed);
    assert_eq!(
        tables(&runtime, lake),
        clean,
        "readers see the previous tables after a kill in refined"
    );

    cinelake(&["trusted", "--lake", lake, "--chunk-rows", "4000"]);
    cinelake(&["refined", "--lake", lake]);
    assert_eq!(tables(&runtime, lake), clean, "after the rerun");
}

/// The kill landed while the stage was writing: it had written something, and it had
/// not finished (a finished run, failed or not, leaves its manifest).
fn assert_landed_mid_write(stage: &str, killed: &Killed) {
    assert!(
        !killed.new_files.is_empty(),
        "{stage} was killed before it wrote anything"
    );
    assert!(
        killed.new_manifests.is_empty(),
        "{stage} had finished (manifest {:?}) before the kill",
        killed.new_manifests
    );
}
