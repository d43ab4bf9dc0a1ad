//! Tests the `cinelake-upload` binary as a user or the container runs it. They cover
//! exit codes, messages, and the S3 path configured only through the AWS environment.

use std::process::{Command, Output};

use cinelake_sample::{SampleSpec, write_dir};
use cinelake_testkit::{S3Server, aws_env, fresh_bucket};

fn upload(args: &[&str], env: &[(&str, String)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_cinelake-upload"));
    cmd.args(args)
        .env_remove("CINELAKE_LAKE")
        .env_remove("CINELAKE_DATE");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("running cinelake-upload")
}

fn text(o: &Output) -> String {
    format!(
        "status {:?}\nstdout:\n{}\nstderr:\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn sample_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write_dir(
        dir.path(),
        &SampleSpec {
            movies_rows: 2_000,
            series_rows: 500,
            seed: 3,
            crlf: true,
        },
    )
    .unwrap();
    dir
}

#[tokio::test]
async fn uploads_to_s3_through_the_aws_environment_then_idles() {
    cinelake_testkit::needs!(SeaweedFs, Moto);
    let (_, bucket) = fresh_bucket(S3Server::SeaweedFs).await;
    let src = sample_dir();
    let lake = format!("s3://{bucket}/lake");
    let args = [
        "--lake",
        &lake,
        "--source-dir",
        src.path().to_str().unwrap(),
        "--date",
        "2024-02-29",
    ];
    let env = aws_env(S3Server::SeaweedFs);
    let first = upload(&args, &env);
    assert!(first.status.success(), "{}", text(&first));
    let out = String::from_utf8_lossy(&first.stdout);
    assert!(
        out.contains(&format!(
            "{lake}/Raw/Local/CSV/Movies/2024/02/29/movies.csv: uploaded"
        )),
        "{}",
        text(&first)
    );
    let second = upload(&args, &env);
    assert!(second.status.success(), "{}", text(&second));
    let out = String::from_utf8_lossy(&second.stdout);
    assert!(
        out.contains("identical object already there: 0 bytes uploaded"),
        "{}",
        text(&second)
    );
    assert!(out.contains("uploaded 0 bytes in all"), "{}", text(&second));
}

#[test]
fn a_refused_file_exits_non_zero_naming_it() {
    let src = sample_dir();
    std::fs::write(src.path().join("series.csv"), "a,b,c\n1,2,3\n").unwrap();
    let lake = tempfile::tempdir().unwrap();
    let o = upload(
        &[
            "--lake",
            lake.path().to_str().unwrap(),
            "--source-dir",
            src.path().to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("series.csv: separated by commas"),
        "{}",
        text(&o)
    );
    assert_eq!(std::fs::read_dir(lake.path()).unwrap().count(), 0);
}

#[test]
fn a_dead_server_is_a_clear_error() {
    let src = sample_dir();
    let env = vec![
        ("AWS_ENDPOINT_URL", "http://127.0.0.1:9".to_string()),
        ("AWS_ACCESS_KEY_ID", "x".into()),
        ("AWS_SECRET_ACCESS_KEY", "y".into()),
        ("AWS_REGION", "us-east-1".into()),
        ("AWS_EC2_METADATA_DISABLED", "true".into()),
    ];
    let o = upload(
        &[
            "--lake",
            "s3://nowhere",
            "--source-dir",
            src.path().to_str().unwrap(),
        ],
        &env,
    );
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("s3://nowhere/Raw/Local/CSV/Movies/"),
        "{}",
        text(&o)
    );
    assert!(
        err.to_lowercase().contains("connect") || err.contains("dispatch"),
        "{}",
        text(&o)
    );
}

#[test]
fn dry_run_says_where_it_would_go() {
    let src = sample_dir();
    let lake = tempfile::tempdir().unwrap();
    let o = upload(
        &[
            "--lake",
            lake.path().to_str().unwrap(),
            "--source-dir",
            src.path().to_str().unwrap(),
            "--date",
            "2026-01-05",
            "--dry-run",
        ],
        &[],
    );
    assert!(o.status.success(), "{}", text(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains("Raw/Local/CSV/Series/2026/01/05/series.csv: dry run"),
        "{}",
        text(&o)
    );
    assert_eq!(std::fs::read_dir(lake.path()).unwrap().count(), 0);
}
