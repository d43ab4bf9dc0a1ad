//! Test support shared by every crate's integration tests.
//!
//! The test command (`scripts/test`) starts real servers that speak the AWS wire
//! protocols on 127.0.0.1 and names them in the environment: SeaweedFS, a real
//! S3-compatible store, and moto, which also speaks Glue and Athena. It also installs
//! Chromium, Node's packages and cargo lambda. A test that needs one of these starts
//! with [`needs!`]: under plain `cargo test`, without them, it stops there with one line
//! saying what it needs; under `scripts/test`, a missing need fails it (see [`Need`]).

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};

use aws_sdk_s3::Client;
use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region};
use cinelake_lake::Store;
use cinelake_lake::store::S3Store;

/// What a test needs from outside the Rust toolchain. `scripts/test` provides each one,
/// and sets `CINELAKE_TEST_NO_SKIP=1`, so that there a missing need fails the test
/// rather than skip it: a skip is never counted as a pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// SeaweedFS, at `CINELAKE_TEST_SEAWEEDFS`.
    SeaweedFs,
    /// moto server, at `CINELAKE_TEST_MOTO`.
    Moto,
    /// Chromium (`CHROMIUM`, else /usr/bin/chromium), Node and `dashboards/test`'s packages.
    Browser,
    /// Node and `infra/statemachine`'s packages (the States Language interpreter).
    StateMachine,
    /// cargo lambda in `.venv-sam` (its Lambda runtime API emulator).
    CargoLambda,
}

/// Set by the test command: a missing [`Need`] fails the test.
pub const NO_SKIP_ENV: &str = "CINELAKE_TEST_NO_SKIP";

/// The repository's root. cargo sets `CARGO_MANIFEST_DIR` (a crate under `crates/`)
/// when it runs a test; the path compiled in is the fallback. A build reused from a
/// checkout elsewhere (one shared target directory) would otherwise look there.
pub fn repo() -> PathBuf {
    std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")))
        .join("../..")
}

fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|p| std::env::split_paths(&p).any(|d| d.join(program).is_file()))
}

impl Need {
    fn here(self) -> bool {
        match self {
            Need::SeaweedFs => std::env::var_os("CINELAKE_TEST_SEAWEEDFS").is_some(),
            Need::Moto => std::env::var_os("CINELAKE_TEST_MOTO").is_some(),
            Need::Browser => {
                let chromium = std::env::var_os("CHROMIUM")
                    .map_or_else(|| PathBuf::from("/usr/bin/chromium"), PathBuf::from);
                chromium.is_file()
                    && on_path("node")
                    && repo().join("dashboards/test/node_modules").is_dir()
            }
            Need::StateMachine => {
                on_path("node") && repo().join("infra/statemachine/node_modules").is_dir()
            }
            Need::CargoLambda => repo().join(".venv-sam/bin/cargo-lambda").is_file(),
        }
    }

    fn what(self) -> &'static str {
        match self {
            Need::SeaweedFs => "SeaweedFS (CINELAKE_TEST_SEAWEEDFS)",
            Need::Moto => "moto server (CINELAKE_TEST_MOTO)",
            Need::Browser => "Chromium, Node and dashboards/test/node_modules",
            Need::StateMachine => "Node and infra/statemachine/node_modules",
            Need::CargoLambda => "cargo lambda in .venv-sam",
        }
    }
}

/// Whether the running test lacks something it needs: then it says so in one line, and
/// the caller returns. Under the test command a missing need panics instead.
pub fn missing(needs: &[Need]) -> bool {
    let absent: Vec<&str> = needs
        .iter()
        .filter(|n| !n.here())
        .map(|n| n.what())
        .collect();
    if absent.is_empty() {
        return false;
    }
    let test = std::thread::current()
        .name()
        .unwrap_or("this test")
        .to_string();
    let line = format!(
        "{test}: needs {}, which scripts/test provides",
        absent.join(", ")
    );
    if std::env::var(NO_SKIP_ENV).is_ok_and(|v| v == "1") {
        panic!("{line}; it is missing here, and scripts/test does not skip");
    }
    // Straight to the process's stderr: libtest hides what a passing test prints, and
    // this line is the one sign that the test did not run.
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "skipped: {line}");
    true
}

/// Stops the test here, with one line saying why, unless every named [`Need`] is here:
/// `needs!(SeaweedFs, Moto);`.
#[macro_export]
macro_rules! needs {
    ($($need:ident),+ $(,)?) => {
        if $crate::missing(&[$($crate::Need::$need),+]) {
            return;
        }
    };
}

/// An S3-speaking server started by the test command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum S3Server {
    SeaweedFs,
    Moto,
}

impl S3Server {
    pub const ALL: [S3Server; 2] = [S3Server::SeaweedFs, S3Server::Moto];

    fn env_var(self) -> &'static str {
        match self {
            S3Server::SeaweedFs => "CINELAKE_TEST_SEAWEEDFS",
            S3Server::Moto => "CINELAKE_TEST_MOTO",
        }
    }

    /// The server's endpoint URL.
    pub fn endpoint(self) -> String {
        std::env::var(self.env_var()).unwrap_or_else(|_| {
            panic!(
                "{} is not set: run the tests with scripts/test, which starts SeaweedFS and \
                 moto on 127.0.0.1 and exports their endpoints",
                self.env_var()
            )
        })
    }
}

/// Static credentials the local servers accept.
pub const ACCESS_KEY: &str = "cinelake-test";
pub const SECRET_KEY: &str = "cinelake-test-secret";

/// An S3 client for a local server, configured as the lake's own would be.
pub fn s3_client(endpoint: &str) -> Client {
    let config = aws_sdk_s3::config::Builder::new()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .force_path_style(true)
        .credentials_provider(Credentials::new(ACCESS_KEY, SECRET_KEY, None, None, "test"))
        .build();
    Client::from_conf(config)
}

/// A new, empty bucket on `server`, unique to this call.
pub async fn fresh_bucket(server: S3Server) -> (Client, String) {
    static N: AtomicU32 = AtomicU32::new(0);
    let client = s3_client(&server.endpoint());
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let bucket = format!(
        "t{}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed),
        nanos % 1_000_000
    );
    client
        .create_bucket()
        .bucket(&bucket)
        .send()
        .await
        .unwrap_or_else(|e| panic!("creating bucket {bucket} on {server:?}: {e:?}"));
    (client, bucket)
}

/// A lake in a fresh bucket on `server`.
pub async fn s3_lake(server: S3Server) -> (Store, Client, String) {
    let (client, bucket) = fresh_bucket(server).await;
    let store = Store::S3(S3Store::from_client(client.clone(), &bucket, ""));
    (store, client, bucket)
}

/// Environment for a child process (a cinelake binary) to reach `server` as AWS.
pub fn aws_env(server: S3Server) -> Vec<(&'static str, String)> {
    vec![
        ("AWS_ENDPOINT_URL", server.endpoint()),
        ("AWS_ACCESS_KEY_ID", ACCESS_KEY.into()),
        ("AWS_SECRET_ACCESS_KEY", SECRET_KEY.into()),
        ("AWS_REGION", "us-east-1".into()),
        ("AWS_EC2_METADATA_DISABLED", "true".into()),
    ]
}

/// `../shared/samples`-style real data (`CINELAKE_SAMPLES`). The tests that read it are
/// `#[ignore]`d, and the test command includes them only when the variable is set, so
/// a test that is asked to run without the samples fails instead of passing unrun.
pub fn samples_dir() -> PathBuf {
    let dir = std::env::var_os("CINELAKE_SAMPLES")
        .map(PathBuf::from)
        .filter(|p| p.is_dir());
    match dir {
        Some(d) => d,
        None => panic!("this test reads the real samples: set CINELAKE_SAMPLES to their directory"),
    }
}

/// A Glue client for moto.
pub fn glue_client() -> aws_sdk_glue::Client {
    let config = aws_sdk_glue::config::Builder::new()
        .behavior_version(aws_sdk_glue::config::BehaviorVersion::latest())
        .region(aws_sdk_glue::config::Region::new("us-east-1"))
        .endpoint_url(S3Server::Moto.endpoint())
        .credentials_provider(aws_sdk_glue::config::Credentials::new(
            ACCESS_KEY, SECRET_KEY, None, None, "test",
        ))
        .build();
    aws_sdk_glue::Client::from_conf(config)
}

/// An Athena client for moto.
pub fn athena_client() -> aws_sdk_athena::Client {
    let config = aws_sdk_athena::config::Builder::new()
        .behavior_version(aws_sdk_athena::config::BehaviorVersion::latest())
        .region(aws_sdk_athena::config::Region::new("us-east-1"))
        .endpoint_url(S3Server::Moto.endpoint())
        .credentials_provider(aws_sdk_athena::config::Credentials::new(
            ACCESS_KEY, SECRET_KEY, None, None, "test",
        ))
        .build();
    aws_sdk_athena::Client::from_conf(config)
}

/// The views created through moto's Athena in `workgroup` (`CREATE OR REPLACE VIEW`
/// statements it recorded), by name.
pub async fn athena_views_created(workgroup: &str) -> BTreeSet<String> {
    let athena = athena_client();
    let ids = athena
        .list_query_executions()
        .work_group(workgroup)
        .send()
        .await
        .unwrap_or_else(|e| panic!("listing Athena queries of {workgroup}: {e:?}"));
    let mut views = BTreeSet::new();
    for id in ids.query_execution_ids() {
        let q = athena
            .get_query_execution()
            .query_execution_id(id)
            .send()
            .await
            .unwrap_or_else(|e| panic!("Athena query {id}: {e:?}"));
        let sql = q
            .query_execution()
            .and_then(|e| e.query())
            .unwrap_or_default();
        if let Some(rest) = sql.strip_prefix("CREATE OR REPLACE VIEW ") {
            views.insert(rest.split_whitespace().next().unwrap_or("").to_string());
        }
    }
    views
}
