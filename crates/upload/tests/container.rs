//! Tests the uploader image, built from `docker/Dockerfile` and run with podman as
//! docs/stages.md tells users to run it. The data directory is mounted at `/data`, an
//! env file is passed, and the lake is on SeaweedFS.
//!
//! The image's runtime stage and entrypoint are the real ones. Its base is a local
//! bookworm root filesystem (`scripts/container-base`). Its binary is the one this test
//! build made (`BINARY_FROM=prebuilt`). Neither distroless nor a Rust image can be
//! pulled here.
//!
//! The test is ignored unless asked for. `scripts/test` runs it
//! (`--ignored container_`) when podman, runc and the base image are there.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output};

use cinelake_sample::{SampleSpec, write_dir};
use cinelake_testkit::{ACCESS_KEY, S3Server, SECRET_KEY, fresh_bucket};

const BASE: &str = "localhost/cinelake-runtime-base:bookworm";

use cinelake_testkit::repo;

fn podman(args: &[&str]) -> Output {
    Command::new("podman")
        .env(
            "CONTAINERS_CONF",
            repo().join("docker/podman/containers.conf"),
        )
        .args(args)
        .output()
        .expect("running podman")
}

fn text(o: &Output) -> String {
    format!(
        "status {:?}\nstdout:\n{}\nstderr:\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// A data directory as docs/stages.md tells users to make it, readable by the image's
/// non-root user. A temporary directory is private to its owner.
fn data_dir(rows: u64) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write_dir(
        dir.path(),
        &SampleSpec {
            movies_rows: rows,
            series_rows: rows / 4,
            seed: 5,
            crlf: true,
        },
    )
    .unwrap();
    readable(dir.path());
    dir
}

fn readable(dir: &Path) {
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    for f in std::fs::read_dir(dir).unwrap() {
        let f = f.unwrap().path();
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o644)).unwrap();
    }
}

/// Runs the image with `podman run` as users run it. Extra arguments go to the entrypoint.
fn run(image: &str, data: &Path, env_file: &Path, args: &[&str]) -> Output {
    let volume = format!("{}:/data:ro", data.display());
    let mut all = vec![
        "run",
        "--rm",
        "--network",
        "host",
        "-v",
        &volume,
        "--env-file",
        env_file.to_str().unwrap(),
        image,
    ];
    all.extend_from_slice(args);
    podman(&all)
}

async fn keys(client: &aws_sdk_s3::Client, bucket: &str) -> Vec<String> {
    let out = client
        .list_objects_v2()
        .bucket(bucket)
        .send()
        .await
        .unwrap();
    let mut keys: Vec<String> = out
        .contents()
        .iter()
        .filter_map(|o| o.key().map(str::to_string))
        .collect();
    keys.sort();
    keys
}

#[tokio::test]
#[ignore = "needs podman, runc and the local base image: scripts/test runs it where they are"]
async fn container_uploads_as_users_run_it() {
    // The image: the runtime stage on the local base, with the binary of this build.
    let context = tempfile::tempdir().unwrap();
    std::fs::copy(
        env!("CARGO_BIN_EXE_cinelake-upload"),
        context.path().join("cinelake-upload"),
    )
    .unwrap();
    let image = "localhost/cinelake-upload:test";
    let dockerfile = repo().join("docker/Dockerfile");
    let built = podman(&[
        "build",
        "-f",
        dockerfile.to_str().unwrap(),
        "--build-arg",
        &format!("RUNTIME_IMAGE={BASE}"),
        "--build-arg",
        "BINARY_FROM=prebuilt",
        "-t",
        image,
        context.path().to_str().unwrap(),
    ]);
    assert!(built.status.success(), "podman build: {}", text(&built));
    let inspect = podman(&[
        "image",
        "inspect",
        "--format",
        "{{.Config.User}} {{json .Config.Entrypoint}} {{json .Config.Volumes}}",
        image,
    ]);
    assert_eq!(
        String::from_utf8_lossy(&inspect.stdout).trim(),
        r#"65532:65532 ["/usr/local/bin/cinelake-upload"] {"/data":{}}"#,
        "{}",
        text(&inspect)
    );

    // The lake on SeaweedFS, reached through the env file, as .env.example shows.
    let (client, bucket) = fresh_bucket(S3Server::SeaweedFs).await;
    let env_dir = tempfile::tempdir().unwrap();
    let env_file = env_dir.path().join(".env");
    std::fs::write(
        &env_file,
        format!(
            "CINELAKE_LAKE=s3://{bucket}\nAWS_ENDPOINT_URL={}\nAWS_ACCESS_KEY_ID={ACCESS_KEY}\n\
             AWS_SECRET_ACCESS_KEY={SECRET_KEY}\nAWS_REGION=us-east-1\nAWS_EC2_METADATA_DISABLED=true\n",
            S3Server::SeaweedFs.endpoint()
        ),
    )
    .unwrap();
    let mut outputs = Vec::new();

    // Both files land byte for byte at the dated keys. --date passes through.
    let data = data_dir(3000);
    let first = run(image, data.path(), &env_file, &["--date", "2026-11-05"]);
    assert!(first.status.success(), "{}", text(&first));
    for (folder, file) in [("Movies", "movies.csv"), ("Series", "series.csv")] {
        let key = format!("Raw/Local/CSV/{folder}/2026/11/05/{file}");
        let body = client
            .get_object()
            .bucket(&bucket)
            .key(&key)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{key}: {e}"))
            .body
            .collect()
            .await
            .unwrap()
            .into_bytes();
        assert_eq!(
            body.as_ref(),
            std::fs::read(data.path().join(file)).unwrap(),
            "{key}"
        );
    }
    let stored = keys(&client, &bucket).await;
    outputs.push(first);

    // A rerun with the same bytes uploads nothing.
    let again = run(image, data.path(), &env_file, &["--date", "2026-11-05"]);
    assert!(again.status.success(), "{}", text(&again));
    assert!(
        String::from_utf8_lossy(&again.stdout).contains("uploaded 0 bytes in all"),
        "{}",
        text(&again)
    );
    outputs.push(again);

    // --check-rows passes through. A short row is reported, and the file is kept as is.
    let short = data_dir(400);
    let movies = short.path().join("movies.csv");
    let mut body = std::fs::read(&movies).unwrap();
    body.extend_from_slice(b"tt9999999|only|three\r\n");
    std::fs::write(&movies, body).unwrap();
    readable(short.path());
    let checked = run(
        image,
        short.path(),
        &env_file,
        &["--date", "2026-11-06", "--check-rows"],
    );
    assert!(checked.status.success(), "{}", text(&checked));
    assert!(
        String::from_utf8_lossy(&checked.stdout).contains("row(s) with a wrong field count"),
        "{}",
        text(&checked)
    );
    outputs.push(checked);

    // A refused file exits 1 with the reason on stderr, and nothing is written.
    let before = keys(&client, &bucket).await;
    let bad = data_dir(400);
    std::fs::write(bad.path().join("series.csv"), "a,b,c\n1,2,3\n").unwrap();
    readable(bad.path());
    let refused = run(image, bad.path(), &env_file, &["--date", "2026-11-07"]);
    assert_eq!(refused.status.code(), Some(1), "{}", text(&refused));
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("series.csv: separated by commas"),
        "{}",
        text(&refused)
    );
    assert_eq!(
        keys(&client, &bucket).await,
        before,
        "a refused upload wrote"
    );
    outputs.push(refused);
    assert!(stored.len() >= 2);

    // The process runs as the image's non-root user.
    let id = podman(&["run", "--rm", "--entrypoint", "/usr/bin/id", image, "-u"]);
    assert_eq!(
        String::from_utf8_lossy(&id.stdout).trim(),
        "65532",
        "{}",
        text(&id)
    );

    // No secret from the env file appears in anything the container printed.
    for o in &outputs {
        let all = text(o);
        assert!(
            !all.contains(SECRET_KEY),
            "the secret key was printed: {all}"
        );
    }
}
