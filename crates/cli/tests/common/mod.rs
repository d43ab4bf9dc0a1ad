//! What the CLI's integration tests share: running the built `cinelake` as a user does,
//! and reading what it printed.

// Each test file uses a part of this module.
#![allow(dead_code)]

use std::process::Command;

pub const CINELAKE: &str = env!("CARGO_BIN_EXE_cinelake");

/// Runs `cinelake` with `args` and extra environment; fails the test, with everything
/// it printed, unless it succeeds; returns its standard output.
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
