//! `cinelake-jobs-lambda` as Lambda runs it: the function speaks the Lambda runtime API
//! to cargo lambda's emulator (`cargo lambda watch --only-lambda-apis`, installed into
//! `.venv` by `scripts/test`), and each job is sent with `cargo lambda invoke`, as the
//! state machine in `infra/` sends it.

use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

mod common;

use common::{CINELAKE, cinelake};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Kills a background process when the test ends, however it ends.
struct Background(Child);

impl Drop for Background {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

fn invoke(cargo_lambda: &Path, port: u16, event: &str) -> (bool, String) {
    let out = Command::new(cargo_lambda)
        .args([
            "lambda",
            "invoke",
            "-P",
            &port.to_string(),
            "--data-ascii",
            event,
        ])
        .current_dir(repo())
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[test]
fn the_jobs_lambda_runs_trusted_refined_and_views_through_the_runtime_api() {
    let cargo_lambda = repo().join(".venv/bin/cargo-lambda");
    assert!(
        cargo_lambda.is_file(),
        "{} is missing: run the tests with scripts/test, which installs cargo-lambda",
        cargo_lambda.display()
    );
    let function = Path::new(CINELAKE).with_file_name("cinelake-jobs-lambda");
    assert!(
        function.is_file(),
        "{} is not built: cargo build -p cinelake-jobs (scripts/test builds every binary)",
        function.display()
    );

    // A lake with Raw data: sample CSVs and TMDB records from the simulator.
    let dir = tempfile::tempdir().unwrap();
    let lake = common::raw_lake(dir.path(), 6000, 2000, &[]);
    let lake = lake.to_str().unwrap();

    let port = free_port();
    let _emulator = Background(
        Command::new(&cargo_lambda)
            .args([
                "lambda",
                "watch",
                "--only-lambda-apis",
                "-P",
                &port.to_string(),
            ])
            .current_dir(repo())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let deadline = Instant::now() + Duration::from_secs(60);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "the runtime API emulator did not start"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let _function = Background(
        Command::new(&function)
            .env(
                "AWS_LAMBDA_RUNTIME_API",
                format!("http://127.0.0.1:{port}/.rt"),
            )
            .env("AWS_LAMBDA_FUNCTION_NAME", "_")
            .env("AWS_LAMBDA_FUNCTION_VERSION", "1")
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "3008")
            .env("CINELAKE_LAKE", lake)
            .env("CINELAKE_CATALOG", "local")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );

    let report = |event: &str| -> Value {
        let (ok, text) = invoke(&cargo_lambda, port, event);
        assert!(ok, "invoking {event}: {text}");
        serde_json::from_str(text.trim()).unwrap_or_else(|e| panic!("{e}: {text}"))
    };
    let trusted = report(r#"{"job": "trusted"}"#);
    let tables: Vec<&str> = trusted["tables"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["table"].as_str().unwrap())
        .collect();
    assert_eq!(tables.len(), 3, "{trusted}");
    assert_eq!(trusted["tables"][0]["rows_out"], 6000, "{trusted}");

    let refined = report(r#"{"job": "refined", "date": "2026-11-01"}"#);
    assert_eq!(refined["tables"].as_array().unwrap().len(), 11, "{refined}");
    let views = report(r#"{"job": "views"}"#);
    assert_eq!(views["views"].as_array().unwrap().len(), 7, "{views}");

    // A wrong event is refused by name, and the function keeps serving.
    let (ok, text) = invoke(&cargo_lambda, port, r#"{"job": "gold"}"#);
    assert!(!ok && text.contains("unknown variant `gold`"), "{text}");
    let again = report(r#"{"job": "views"}"#);
    assert_eq!(again, views);

    // What the Lambda wrote is what the CLI reads.
    let films = cinelake(
        &[
            "query",
            "--lake",
            lake,
            "--format",
            "csv",
            "SELECT COUNT(*) AS n FROM fact_film",
        ],
        &[],
    );
    let n: u64 = films.lines().nth(1).unwrap().parse().unwrap();
    let expected = refined["tables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["table"].as_str().unwrap().ends_with(".fact_film"))
        .unwrap()["rows"]
        .as_u64()
        .unwrap();
    assert!(
        n > 0 && n == expected,
        "{n} films, the report said {expected}"
    );
}
