//! Helps the CLI's integration tests run the built `cinelake` as a user does, and read
//! what it printed.

// Each test file uses a part of this module.
#![allow(dead_code)]

use std::process::Command;

pub mod athena;
pub mod lambda;

pub const CINELAKE: &str = env!("CARGO_BIN_EXE_cinelake");

/// Runs `cinelake` with `args` and extra environment, and returns its standard output.
/// Unless it succeeds, it fails the test with everything it printed.
pub fn cinelake(args: &[&str], env: &[(&str, &str)]) -> String {
    let out = Command::new(CINELAKE)
        .args(args)
        .envs(env.iter().copied())
        .env("RUST_LOG", "warn")
        .output()
        .expect("running cinelake");
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "cinelake {args:?} failed\nstdout:\n{stdout}\nstderr:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// Fails unless the output of `cinelake demo` or `run` has a heading for every stage.
pub fn assert_stages(stdout: &str, stages: &[&str]) {
    for stage in stages {
        assert!(
            stdout.contains(&format!("== {stage}")),
            "no stage {stage} in:\n{stdout}"
        );
    }
}

/// A lake under `dir/lake` holding Raw data. Sample CSV files (`dir/data`) are uploaded
/// to it. TMDB records of the films of interest are fetched into it from a simulator
/// started for the call.
pub fn raw_lake(
    dir: &std::path::Path,
    movies_rows: u64,
    series_rows: u64,
    env: &[(&str, &str)],
) -> std::path::PathBuf {
    use cinelake_tmdb_sim::{self as sim, SimConfig};
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let simulator = runtime
        .block_on(sim::start(
            SimConfig::synthetic("k"),
            ([127, 0, 0, 1], 0).into(),
        ))
        .unwrap();
    let data = dir.join("data");
    let lake = dir.join("lake");
    let (data_s, lake_s) = (data.to_str().unwrap(), lake.to_str().unwrap());
    let (movies, series) = (movies_rows.to_string(), series_rows.to_string());
    cinelake(
        &[
            "sample",
            "--out",
            data_s,
            "--movies-rows",
            &movies,
            "--series-rows",
            &series,
        ],
        env,
    );
    cinelake(&["upload", "--lake", lake_s, "--source-dir", data_s], env);
    let url = simulator.base_url();
    let mut ingest_env = env.to_vec();
    ingest_env.push(("TMDB_API_KEY", "k"));
    cinelake(
        &[
            "ingest",
            "--lake",
            lake_s,
            "--tmdb-url",
            &url,
            "--rps",
            "2000",
            "--concurrency",
            "32",
        ],
        &ingest_env,
    );
    runtime.block_on(simulator.stop());
    lake
}
