//! Tests a real crash of `cinelake trusted` and `cinelake refined`, given new files.
//!
//! Each is killed (SIGKILL) mid-write, and again once its first table has switched.
//! Readers see each table wholly the previous version or wholly the new one. A rerun then
//! leaves every table identical to a run over the new files that was never interrupted.

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

/// What readers see. The star schema's tables are shown whole. The Trusted tables are
/// shown by their counts and sums, because whole they are too big to print on every check.
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
    // One engine serves every query, with the tables they read. Loading the tables is the
    // slow part. It loads no views, because those need the views step's data_sources.
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
        // List columns, such as dim_artist's professions, become JSON text, as in
        // `query --format csv`.
        let mut df = cinelake_query::json::flatten_nested(&df).unwrap();
        let mut csv = Vec::new();
        CsvWriter::new(&mut csv).finish(&mut df).unwrap();
        String::from_utf8(csv).unwrap()
    };
    sqls.iter()
        .map(|(t, sql)| (t.clone(), query(sql)))
        .collect()
}

/// When a run is killed.
#[derive(Clone, Copy, Debug)]
enum KillAt {
    /// As soon as it has written a new file under its zone.
    MidWrite,
    /// As soon as the catalog points one of its tables at a new version.
    FirstSwitch,
}

/// What a kill interrupted.
struct Killed {
    /// Files the stage had written under its zone when it was killed.
    new_files: Vec<PathBuf>,
    /// Catalog entries of the stage's database that had changed.
    switched: Vec<PathBuf>,
    /// Run manifests the stage wrote. A run that finished writes one.
    new_manifests: Vec<PathBuf>,
}

/// The contents of every catalog entry under `dir`. It leaves out the hidden files the
/// local catalog writes an entry to before it renames it into place.
fn contents(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    files(dir)
        .into_iter()
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| !n.to_string_lossy().starts_with('.'))
        })
        .filter_map(|p| std::fs::read(&p).ok().map(|bytes| (p, bytes)))
        .collect()
}

/// Starts `cinelake <stage>` and kills it at `at`. `zone` is the folder it writes,
/// `db` its catalog database.
fn kill(stage: &str, lake: &Path, zone: &str, db: &str, at: KillAt) -> Killed {
    let watched = lake.join(zone);
    let catalog = lake.join("_catalog").join(db);
    let runs = lake.join("_runs").join(stage);
    let before = files(&watched);
    let catalog_before = contents(&catalog);
    let manifests_before = files(&runs);
    let switched = || -> Vec<PathBuf> {
        contents(&catalog)
            .into_iter()
            .filter(|(p, bytes)| catalog_before.get(p) != Some(bytes))
            .map(|(p, _)| p)
            .collect()
    };
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
            panic!("cinelake {stage} finished ({status}) before it could be killed at {at:?}");
        }
        let now = match at {
            KillAt::MidWrite => files(&watched).difference(&before).next().is_some(),
            KillAt::FirstSwitch => !switched().is_empty(),
        };
        if now {
            child.kill().unwrap();
            child.wait().unwrap();
            return Killed {
                new_files: files(&watched).difference(&before).cloned().collect(),
                switched: switched(),
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

/// Copies the directory `from` to `to`, which must not exist.
fn copy_dir(from: &Path, to: &Path) {
    for file in files(from) {
        let target = to.join(file.strip_prefix(from).unwrap());
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        std::fs::copy(&file, &target).unwrap();
    }
}

/// The tables, as `tables` names them, whose catalog entries (`<db>/<name>.json`) a
/// killed run had changed. `prefix` is how `tables` names the database's tables.
fn switched_tables(killed: &Killed, prefix: &str) -> BTreeSet<String> {
    killed
        .switched
        .iter()
        .filter_map(|p| p.file_stem())
        .map(|stem| format!("{prefix}{}", stem.to_string_lossy()))
        .collect()
}

/// Each table a killed run switched is wholly the `new` one, and every other table
/// wholly the `old` one.
fn assert_old_or_new(
    seen: &BTreeMap<String, String>,
    old: &BTreeMap<String, String>,
    new: &BTreeMap<String, String>,
    switched: &BTreeSet<String>,
    when: &str,
) {
    assert_eq!(
        seen.keys().collect::<Vec<_>>(),
        old.keys().collect::<Vec<_>>()
    );
    for (table, now) in seen {
        let (expected, which) = if switched.contains(table) {
            (&new[table], "the new table, switched to")
        } else {
            (&old[table], "the previous table, not switched")
        };
        assert_eq!(now, expected, "{when}: {table} is not {which}");
    }
}

#[test]
fn a_kill_leaves_each_table_old_or_new_and_a_rerun_equals_a_clean_run() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    // Enough rows, in small chunks, that writing Trusted takes many steps and a kill
    // lands mid-table.
    let lake_dir = common::raw_lake(dir.path(), 60_000, 10_000, &DATE);
    let lake = lake_dir.to_str().unwrap();

    // The tables of a clean run over the first files.
    cinelake(&["trusted", "--lake", lake, "--chunk-rows", "4000"]);
    cinelake(&["refined", "--lake", lake]);
    let old = tables(&runtime, lake);
    assert!(
        old[Table::FactFilm.name()].lines().count() > 100,
        "{}",
        old[Table::FactFilm.name()]
    );

    // Other files, uploaded a day later. The runs killed below read these.
    let data = dir.path().join("data-2");
    cinelake(&[
        "sample",
        "--out",
        data.to_str().unwrap(),
        "--movies-rows",
        "64000",
        "--series-rows",
        "9000",
        "--seed",
        "7",
    ]);
    cinelake(&[
        "upload",
        "--lake",
        lake,
        "--source-dir",
        data.to_str().unwrap(),
        "--date",
        "2026-11-02",
    ]);
    // The tables of a clean run over them. That lake is a copy of the Raw zone alone, so
    // nothing of the killed runs' catalog or versions is in it.
    let clean_dir = dir.path().join("clean");
    copy_dir(&lake_dir.join("Raw"), &clean_dir.join("Raw"));
    let clean = clean_dir.to_str().unwrap();
    cinelake(&["trusted", "--lake", clean, "--chunk-rows", "4000"]);
    cinelake(&["refined", "--lake", clean]);
    let new = tables(&runtime, clean);
    // The TMDB records are the same. What comes from the CSV files differs.
    for table in ["trusted_movies", "trusted_series", Table::FactFilm.name()] {
        assert_ne!(
            old[table], new[table],
            "{table} is the same over both files"
        );
    }

    // Trusted is killed while writing. Readers see each table old or new, as switched.
    let killed = kill(
        "trusted",
        &lake_dir,
        "Trusted",
        "cinelake_trusted",
        KillAt::MidWrite,
    );
    assert_unfinished("trusted", &killed, KillAt::MidWrite);
    // A table may have switched between the first file and the kill. So each table is
    // checked against what the catalog says.
    assert_old_or_new(
        &tables(&runtime, lake),
        &old,
        &new,
        &switched_tables(&killed, "trusted_"),
        "after a kill mid-write in trusted",
    );
    // Trusted is killed once one of its tables has switched. That table is new, and the
    // rest are old.
    let killed = kill(
        "trusted",
        &lake_dir,
        "Trusted",
        "cinelake_trusted",
        KillAt::FirstSwitch,
    );
    assert_unfinished("trusted", &killed, KillAt::FirstSwitch);
    let switched = switched_tables(&killed, "trusted_");
    assert!(switched.iter().any(|t| old.contains_key(t)), "{switched:?}");
    assert_old_or_new(
        &tables(&runtime, lake),
        &old,
        &new,
        &switched,
        "after a switch in trusted",
    );

    // The same for Refined, over the new Trusted tables.
    cinelake(&["trusted", "--lake", lake, "--chunk-rows", "4000"]);
    let trusted_new = tables(&runtime, lake);
    let killed = kill(
        "refined",
        &lake_dir,
        "Refined",
        "cinelake_refined",
        KillAt::MidWrite,
    );
    assert_unfinished("refined", &killed, KillAt::MidWrite);
    assert_old_or_new(
        &tables(&runtime, lake),
        &trusted_new,
        &new,
        &switched_tables(&killed, ""),
        "after a kill mid-write in refined",
    );
    let killed = kill(
        "refined",
        &lake_dir,
        "Refined",
        "cinelake_refined",
        KillAt::FirstSwitch,
    );
    assert_unfinished("refined", &killed, KillAt::FirstSwitch);
    let switched = switched_tables(&killed, "");
    assert!(switched.iter().any(|t| old.contains_key(t)), "{switched:?}");
    assert!(
        switched.len() < Table::REFINED.len(),
        "refined switched every table before the kill: {switched:?}"
    );
    assert_old_or_new(
        &tables(&runtime, lake),
        &trusted_new,
        &new,
        &switched,
        "after a switch in refined",
    );

    // The reruns finish what the kills left, and give the clean run's tables.
    cinelake(&["trusted", "--lake", lake, "--chunk-rows", "4000"]);
    cinelake(&["refined", "--lake", lake]);
    assert_eq!(tables(&runtime, lake), new, "after the rerun");
}

/// The kill landed where it was meant to, and before the stage finished. A finished run,
/// failed or not, leaves its manifest.
fn assert_unfinished(stage: &str, killed: &Killed, at: KillAt) {
    match at {
        KillAt::MidWrite => assert!(
            !killed.new_files.is_empty(),
            "{stage} was killed before it wrote anything"
        ),
        KillAt::FirstSwitch => assert!(
            !killed.switched.is_empty(),
            "{stage} was killed before any table switched"
        ),
    }
    assert!(
        killed.new_manifests.is_empty(),
        "{stage} had finished (manifest {:?}) before the kill",
        killed.new_manifests
    );
}
