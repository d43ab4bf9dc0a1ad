//! Tests the pipeline's state machine, as `infra/template.yaml` deploys it, executed by a
//! real Amazon States Language interpreter.
//!
//! The interpreter is `infra/statemachine/run.mjs` with the npm package
//! aws-local-stepfunctions, run by Node. Its Lambda tasks invoke the real
//! `cinelake-ingest-lambda` and `cinelake-jobs-lambda` binaries through cargo lambda's
//! runtime emulator. The lake is on SeaweedFS (S3), and the catalog is moto's Glue. The
//! views go to moto's Athena, and the TMDB key is read from moto's SSM.
//!
//! The interpreter runs plain Lambda ARNs, not the `lambda:invoke` integration the
//! definition uses. So run.mjs gives each such task a small handler that does what the
//! integration does: the `Payload` wrapper, the function's error name, and the `Lambda.*`
//! service errors. run.mjs lists what else the interpreter does not do.
//!
//! Each case checks the final state, the lake, and that no state's input or output
//! exceeds Step Functions' 256 KiB.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::process::Command;
use std::time::Duration;

use cinelake_lake::layout;
use cinelake_testkit::{
    ACCESS_KEY, S3Server, SECRET_KEY, athena_client, athena_views_created, fresh_bucket,
    glue_client,
};
use cinelake_tmdb_sim::{self as sim, Faults, SimConfig, SimHandle};
use serde_json::{Value, json};

mod common;

use common::athena;
use common::lambda::{Function, binary, repo};

const INGEST_ARN: &str = "arn:aws:lambda:us-east-1:123456789012:function:cinelake-tmdb-ingest";
const JOBS_ARN: &str = "arn:aws:lambda:us-east-1:123456789012:function:cinelake-jobs";
const TMDB_KEY: &str = "state-machine-key";
const STATE_LIMIT: u64 = 256 * 1024;

/// What a test does right before its execution, under [`EXECUTIONS`].
enum Before {
    Nothing,
    /// Another run's ingestion lease, held for these seconds.
    IngestLease(i64),
    /// Another execution's jobs lease, held for these seconds.
    JobsLease(i64),
    /// The result sets moto's Athena gives the execution's first statements, in order.
    AthenaAnswers(Vec<Value>),
}

/// Held by each execution (see [`Pipeline::execute`]).
static EXECUTIONS: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
const ALERT_TOPIC_ARN: &str = "arn:aws:sns:us-east-1:123456789012:cinelake-alerts";

/// What a case changes from a plain monthly run.
struct Case {
    /// Seconds the ingestion keeps free before its deadline. cargo lambda's emulator
    /// gives every invocation 600 s, so a margin of 594 leaves 6 s of work.
    margin_secs: u64,
    /// TMDB answers per second the function asks for.
    rps: u32,
    faults: Faults,
    /// Lines with too few fields appended to movies.csv (rejected by Trusted).
    broken_movie_lines: usize,
    /// The execution's input. The schedule sends its scheduled time as `date`.
    input: Value,
    /// The date the CSVs are uploaded under (default today).
    upload_date: Option<String>,
}

impl Default for Case {
    fn default() -> Self {
        Case {
            margin_secs: 45,
            rps: 500,
            faults: Faults::default(),
            broken_movie_lines: 0,
            input: json!({}),
            upload_date: None,
        }
    }
}

impl Case {
    /// Each invocation works 6 s, and TMDB answers 20 requests a second. So the ingestion
    /// stops at its deadline margin every round but the last.
    fn several_rounds() -> Self {
        Case {
            margin_secs: 594,
            rps: 20,
            faults: Faults {
                latency: Duration::from_millis(50),
                ..Faults::default()
            },
            ..Case::default()
        }
    }
}

/// A deployed-like pipeline. It has the bucket, the Glue databases and the two workgroups
/// the template creates. One workgroup is the analysts', for the views, and the other is
/// the Athena engine's. It also has the TMDB key in SSM, the CSVs uploaded to Raw, and both
/// functions.
struct Pipeline {
    s3: aws_sdk_s3::Client,
    bucket: String,
    prefix: String,
    workgroup: String,
    engine_workgroup: String,
    input: Value,
    _simulator: SimHandle,
    ingest: Function,
    jobs: Function,
    _dir: tempfile::TempDir,
}

fn aws(s3: S3Server) -> Vec<(&'static str, String)> {
    vec![
        ("AWS_REGION", "us-east-1".to_string()),
        ("AWS_ACCESS_KEY_ID", ACCESS_KEY.to_string()),
        ("AWS_SECRET_ACCESS_KEY", SECRET_KEY.to_string()),
        ("AWS_EC2_METADATA_DISABLED", "true".to_string()),
        ("AWS_ENDPOINT_URL_S3", s3.endpoint()),
        ("AWS_ENDPOINT_URL_GLUE", S3Server::Moto.endpoint()),
        ("AWS_ENDPOINT_URL_ATHENA", S3Server::Moto.endpoint()),
        // moto runs no SQL, so the client registers each CTAS's table as Athena would.
        (cinelake_athena::STAND_IN_ENV, "1".into()),
        ("AWS_ENDPOINT_URL_SSM", S3Server::Moto.endpoint()),
    ]
}

async fn ssm_put(name: &str, value: &str) {
    let config = aws_sdk_ssm::config::Builder::new()
        .behavior_version(aws_sdk_ssm::config::BehaviorVersion::latest())
        .region(aws_sdk_ssm::config::Region::new("us-east-1"))
        .endpoint_url(S3Server::Moto.endpoint())
        .credentials_provider(aws_sdk_ssm::config::Credentials::new(
            ACCESS_KEY, SECRET_KEY, None, None, "test",
        ))
        .build();
    aws_sdk_ssm::Client::from_conf(config)
        .put_parameter()
        .name(name)
        .value(value)
        .r#type(aws_sdk_ssm::types::ParameterType::SecureString)
        .overwrite(true)
        .send()
        .await
        .expect("putting the TMDB key in moto's SSM");
}

/// A function's environment as `infra/template.yaml` gives it, for a stack named `stack`
/// with `parameters`. The IAM check's reader (`cinelake_tools.iam_calls function-env`)
/// resolves the template's intrinsics. So every variable the template sets reaches the
/// binary here as on AWS.
fn template_env(
    function: &str,
    stack: &str,
    parameters: &[(&str, String)],
) -> Vec<(String, String)> {
    let python = repo().join(".venv/bin/python");
    assert!(
        python.exists(),
        "{} is missing: scripts/test makes it (the template's reader needs cfn-lint)",
        python.display()
    );
    let mut cmd = Command::new(python);
    cmd.current_dir(repo())
        .args(["-m", "cinelake_tools.iam_calls", "function-env", function])
        .args(["--stack", stack]);
    for (name, value) in parameters {
        cmd.arg("--parameter").arg(format!("{name}={value}"));
    }
    let out = cmd.output().expect("running the template's reader");
    assert!(
        out.status.success(),
        "the template's environment of {function}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let env: std::collections::BTreeMap<String, String> =
        serde_json::from_slice(&out.stdout).expect("the reader prints a JSON object");
    env.into_iter().collect()
}

fn borrowed(env: &[(String, String)]) -> Vec<(&str, String)> {
    env.iter().map(|(k, v)| (k.as_str(), v.clone())).collect()
}

fn var<'a>(env: &'a [(String, String)], name: &str) -> &'a str {
    env.iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .unwrap_or_else(|| panic!("the template sets no {name}"))
}

impl Pipeline {
    async fn deploy(case: &Case) -> Pipeline {
        let (s3, bucket) = fresh_bucket(S3Server::SeaweedFs).await;
        let prefix = format!("sm_{}", bucket.replace('-', "_"));
        let stack = format!("sm-{bucket}");
        let parameter = format!("/cinelake/{bucket}/tmdb-api-key");
        let glue = glue_client();
        for zone in ["trusted", "refined"] {
            glue.create_database()
                .database_input(
                    aws_sdk_glue::types::DatabaseInput::builder()
                        .name(format!("{prefix}_{zone}"))
                        .build()
                        .unwrap(),
                )
                .send()
                .await
                .expect("creating the Glue database as the template does");
        }
        ssm_put(&parameter, TMDB_KEY).await;

        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let data_s = data.to_str().unwrap();
        let env = aws(S3Server::SeaweedFs);
        let env_ref: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        common::cinelake(
            &[
                "sample",
                "--out",
                data_s,
                "--movies-rows",
                "3000",
                "--series-rows",
                "1000",
            ],
            &[],
        );
        if case.broken_movie_lines > 0 {
            let path = data.join("movies.csv");
            let mut text = std::fs::read_to_string(&path).unwrap();
            for n in 0..case.broken_movie_lines {
                text.push_str(&format!("tt9{n:06}|a line cut short\n"));
            }
            std::fs::write(&path, text).unwrap();
        }
        let lake = format!("s3://{bucket}");
        let mut upload = vec!["upload", "--lake", &lake, "--source-dir", data_s];
        if let Some(date) = &case.upload_date {
            upload.extend(["--date", date]);
        }
        common::cinelake(&upload, &env_ref);

        let simulator = sim::start(
            SimConfig {
                faults: case.faults.clone(),
                ..SimConfig::synthetic(TMDB_KEY)
            },
            SocketAddr::from(([127, 0, 0, 1], 0)),
        )
        .await
        .unwrap();

        // Each function's environment as the template gives it for this stack, then the
        // local servers' endpoints and what the case changes.
        let parameters = [
            ("LakeBucketName", bucket.clone()),
            ("DatabasePrefix", prefix.clone()),
            ("AthenaWorkGroupName", format!("wg_{prefix}")),
            ("TmdbApiKeyParameterName", parameter.clone()),
            ("TmdbBaseUrl", simulator.base_url()),
            ("TmdbRequestsPerSecond", case.rps.to_string()),
            ("LambdaMarginSeconds", case.margin_secs.to_string()),
            ("MaxRejectedPercent", "1".to_string()),
        ];
        let ingest_env: Vec<(String, String)> = template_env("IngestFunction", &stack, &parameters)
            .into_iter()
            .chain(
                aws(S3Server::SeaweedFs)
                    .into_iter()
                    .map(|(k, v)| (k.to_string(), v)),
            )
            .chain(
                // The test's own settings make fewer requests at once and fewer retries
                // than a real run.
                [
                    ("CINELAKE_TMDB_CONCURRENCY", "8"),
                    ("CINELAKE_TMDB_MAX_ATTEMPTS", "2"),
                ]
                .map(|(k, v)| (k.to_string(), v.to_string())),
            )
            .collect();
        assert_eq!(var(&ingest_env, "CINELAKE_LAKE"), lake);
        let ingest = Function::start(
            &binary("cinelake-ingest-lambda"),
            Duration::from_secs(600),
            &borrowed(&ingest_env),
            &dir.path().join("ingest.log"),
        );
        let jobs_env: Vec<(String, String)> = template_env("JobsFunction", &stack, &parameters)
            .into_iter()
            .chain(
                aws(S3Server::SeaweedFs)
                    .into_iter()
                    .map(|(k, v)| (k.to_string(), v)),
            )
            .collect();
        // The workgroups the template names: the analysts' and the engine's.
        let workgroup = var(&jobs_env, "CINELAKE_ATHENA_WORKGROUP").to_string();
        let engine_workgroup = var(&jobs_env, "CINELAKE_ATHENA_ENGINE_WORKGROUP").to_string();
        for name in [&workgroup, &engine_workgroup] {
            athena_client()
                .create_work_group()
                .name(name)
                .send()
                .await
                .expect("creating the Athena workgroup in moto");
        }
        let jobs = Function::start(
            &binary("cinelake-jobs-lambda"),
            Duration::from_secs(900),
            &borrowed(&jobs_env),
            &dir.path().join("jobs.log"),
        );
        Pipeline {
            s3,
            bucket,
            prefix,
            workgroup,
            engine_workgroup,
            input: case.input.clone(),
            _simulator: simulator,
            ingest,
            jobs,
            _dir: dir,
        }
    }

    /// Puts another run's ingestion lease, as a concurrent ingestion would hold it.
    async fn hold_lease(&self, secs: i64) {
        self.hold("Raw/TMDB/_state/lease/000000000001.json", secs)
            .await;
    }

    /// Puts another execution's jobs lease, as its running job would hold it.
    async fn hold_jobs_lease(&self, secs: i64) {
        let key = format!("{}000000000001.json", layout::jobs_lease_prefix());
        self.hold(&key, secs).await;
    }

    async fn hold(&self, key: &str, secs: i64) {
        let body = json!({
            "run_id": "another-run",
            "expires_at": (chrono::Utc::now() + chrono::Duration::seconds(secs)).to_rfc3339(),
            "released": false,
        });
        self.s3
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .body(body.to_string().into_bytes().into())
            .send()
            .await
            .unwrap();
    }

    /// Runs the state machine once and returns the interpreter's report.
    ///
    /// Executions run one at a time. moto's Athena answers every test's statements from one
    /// queue per region. And a lease held for a few seconds must not run out while another
    /// test executes.
    async fn execute(&self, max_rounds: u32) -> Value {
        self.execute_after(max_rounds, Before::Nothing).await
    }

    /// Runs the state machine once, after `before`, with no other execution between.
    async fn execute_after(&self, max_rounds: u32, before: Before) -> Value {
        let _one_at_a_time = EXECUTIONS.lock().await;
        match before {
            Before::Nothing => {}
            Before::IngestLease(secs) => self.hold_lease(secs).await,
            Before::JobsLease(secs) => self.hold_jobs_lease(secs).await,
            Before::AthenaAnswers(results) => {
                athena::drain(&athena_client()).await;
                athena::queue("us-east-1", results).await;
            }
        }
        self.run(max_rounds)
    }

    fn run(&self, max_rounds: u32) -> Value {
        let config = json!({
            "template": repo().join("infra/template.yaml"),
            "substitutions": {
                "IngestFunctionArn": INGEST_ARN,
                "JobsFunctionArn": JOBS_ARN,
                "IngestMaxRounds": max_rounds.to_string(),
                "IngestWaitSeconds": "60",
                "LambdaInvoke": "arn:aws:states:::lambda:invoke",
                "SnsPublish": "arn:aws:states:::sns:publish",
                "AlertTopicArn": ALERT_TOPIC_ARN,
            },
            "functions": {
                INGEST_ARN: self.ingest.endpoint(),
                JOBS_ARN: self.jobs.endpoint(),
            },
            // The one-minute Wait between rounds, and the Retry pauses, shortened.
            "waitMs": 1000,
            "retryMs": 100,
            // A busy job is retried once a second, because a held lease outlasts 40 tries
            // of 100 ms.
            "retryMsFor": {"JobsBusy": 1000},
            "input": self.input,
        });
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.json");
        std::fs::write(&path, config.to_string()).unwrap();
        let out = Command::new("node")
            .arg(repo().join("infra/statemachine/run.mjs"))
            .arg(&path)
            .output()
            .expect("running node (scripts/test installs it)");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "the interpreter failed to run\nstdout:\n{stdout}\nstderr:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let report: Value = serde_json::from_str(stdout.trim())
            .unwrap_or_else(|e| panic!("{e}: the interpreter printed {stdout}"));
        let largest = report["largest"]["bytes"].as_u64().unwrap();
        assert!(
            largest > 0 && largest < STATE_LIMIT,
            "a state's data is {largest} bytes ({}), over Step Functions' 256 KiB",
            report["largest"]["state"]
        );
        report
    }

    async fn keys(&self, prefix: &str) -> Vec<String> {
        let mut out = Vec::new();
        let mut pages = self
            .s3
            .list_objects_v2()
            .bucket(&self.bucket)
            .prefix(prefix)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            for o in page.unwrap().contents() {
                out.push(o.key().unwrap_or_default().to_string());
            }
        }
        out
    }

    async fn glue_tables(&self, zone: &str) -> BTreeSet<String> {
        glue_client()
            .get_tables()
            .database_name(format!("{}_{zone}", self.prefix))
            .send()
            .await
            .unwrap()
            .table_list()
            .iter()
            .map(|t| t.name().to_string())
            .collect()
    }

    /// The views created through Athena in this pipeline's (analysts') workgroup.
    async fn athena_views(&self) -> BTreeSet<String> {
        athena_views_created(&self.workgroup).await
    }
}

/// The states the execution entered, in order.
fn states(report: &Value) -> Vec<&str> {
    report["states"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect()
}

fn count(states: &[&str], name: &str) -> usize {
    states.iter().filter(|s| **s == name).count()
}

async fn assert_published(p: &Pipeline) {
    let refined = p.glue_tables("refined").await;
    // The star schema, and data_sources, which the views job writes for the dashboards.
    assert_eq!(
        refined.len(),
        cinelake_catalog::Table::REFINED.len() + cinelake_catalog::Table::DASHBOARD.len(),
        "{refined:?}"
    );
    assert!(refined.contains("fact_film"), "{refined:?}");
    assert!(refined.contains("data_sources"), "{refined:?}");
    assert_eq!(p.glue_tables("trusted").await.len(), 3);
    assert_eq!(
        p.athena_views().await.len(),
        cinelake_query::views::VIEWS.len()
    );
    assert!(!p.keys("_runs/refined/").await.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_month_that_needs_several_ingestion_rounds_runs_every_stage() {
    cinelake_testkit::needs!(SeaweedFs, Moto, StateMachine, CargoLambda);
    let case = Case::several_rounds();
    let p = Pipeline::deploy(&case).await;
    let report = p.execute(20).await;
    let states = states(&report);
    assert_eq!(report["status"], "SUCCEEDED", "{report}");
    // Files uploaded today are fresh, so there is no warning.
    assert!(!states.contains(&"WarnStaleCsv"), "{states:?}");
    assert_eq!(report["published"], json!([]), "{report}");
    let rounds = count(&states, "IngestTmdb");
    assert!(
        rounds >= 2,
        "{rounds} ingestion rounds: {states:?}\n{}\n{}",
        report["output"]["ingest"],
        p.ingest.log_tail()
    );
    assert_eq!(
        count(&states, "WaitBeforeNextRound"),
        rounds - 1,
        "{states:?}"
    );
    assert!(!states.contains(&"IngestLeftFailures"), "{states:?}");
    // The schedule's input names no engine, so the engine is polars. It names no date,
    // so the date is the day the execution started.
    assert_eq!(
        states[..5],
        [
            "HasEngine",
            "DefaultEngine",
            "HasDate",
            "StartDate",
            "StartIngestLoop"
        ],
        "{states:?}"
    );
    let today = chrono::Utc::now().format("%Y/%m/%d").to_string();
    assert_one_collection_date(&p, &report, &today).await;
    assert_eq!(
        states[states.len() - 5..],
        [
            "RunTrusted",
            "CsvAge",
            "RunRefined",
            "CreateViews",
            "PipelineSucceeded"
        ]
    );
    // Every round but the last stopped at its deadline margin with work left.
    let summaries: Vec<&Value> = report["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["state"] == "IngestTmdb")
        .map(|t| &t["output"]["ingest"]["summary"])
        .collect();
    assert_eq!(summaries.len(), rounds);
    for s in &summaries[..rounds - 1] {
        assert_eq!(s["stop"], "deadline", "{s}");
        assert!(s["fetched"].as_u64().unwrap() > 0, "{s}");
    }
    assert_eq!(summaries[rounds - 1]["stop"], "complete");
    let output = &report["output"];
    assert_eq!(output["ingest"]["summary"]["remaining"], 0, "{output}");
    assert_eq!(output["loop"]["round"], rounds, "{output}");
    assert_published(&p).await;
    // Every round's records are in Raw. The last summary's run saw them all settled.
    let raw = p.keys("Raw/TMDB/JSON/").await;
    assert!(!raw.is_empty());
}

/// Every ingestion round of the execution filed its records under one day (`y/m/d`),
/// and every task was given that day.
async fn assert_one_collection_date(p: &Pipeline, report: &Value, day: &str) {
    let raw = p.keys("Raw/TMDB/JSON/").await;
    assert!(!raw.is_empty());
    let folder = format!("Raw/TMDB/JSON/{day}/");
    assert!(
        raw.iter().all(|k| k.starts_with(&folder)),
        "not all under {folder}: {raw:?}"
    );
    assert_eq!(
        report["output"]["collection"]["date"],
        day.replace('/', "-"),
        "{}",
        report["output"]
    );
}

/// A person reruns a month by naming its date. Every round files under it, however many
/// rounds there are and whatever day they run on. So a loop past midnight stays one
/// collection.
#[tokio::test(flavor = "multi_thread")]
async fn an_execution_given_a_date_files_every_round_under_it() {
    cinelake_testkit::needs!(SeaweedFs, Moto, StateMachine, CargoLambda);
    // The date comes as the schedule sends it, the scheduled time. A person rerunning a
    // month gives the day alone, as the jobs-lease case does.
    let case = Case {
        input: json!({"date": "2026-10-31T00:00:00Z"}),
        ..Case::several_rounds()
    };
    let p = Pipeline::deploy(&case).await;
    let report = p.execute(20).await;
    let states = states(&report);
    assert_eq!(report["status"], "SUCCEEDED", "{report}");
    assert!(count(&states, "IngestTmdb") >= 2, "{states:?}");
    assert!(states.contains(&"GivenDate"), "{states:?}");
    assert_one_collection_date(&p, &report, "2026/10/31").await;
    let partitions = p.keys("Trusted/TMDB/Parquet/Movies/").await;
    assert!(
        !partitions.is_empty() && partitions.iter().all(|k| k.contains("/dt=2026-10-31/")),
        "{partitions:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn another_run_holding_the_lease_makes_the_machine_wait_and_continue() {
    cinelake_testkit::needs!(SeaweedFs, Moto, StateMachine, CargoLambda);
    let p = Pipeline::deploy(&Case::default()).await;
    let report = p.execute_after(20, Before::IngestLease(4)).await;
    let states = states(&report);
    assert_eq!(report["status"], "SUCCEEDED", "{report}");
    // At least one round found the lease held and waited. A later one did the work.
    assert!(count(&states, "IngestTmdb") >= 2, "{states:?}");
    assert!(states.contains(&"WaitBeforeNextRound"), "{states:?}");
    assert_eq!(report["output"]["ingest"]["summary"]["remaining"], 0);
    assert_published(&p).await;
}

/// Two executions never transform at once. A job that finds another execution's job
/// holding the jobs lease fails as `JobsBusy`. The state machine retries it until the
/// lease ends, and then the execution continues as usual.
#[tokio::test(flavor = "multi_thread")]
async fn a_job_of_another_execution_makes_the_transforms_wait_and_continue() {
    cinelake_testkit::needs!(SeaweedFs, Moto, StateMachine, CargoLambda);
    let today = chrono::Utc::now().date_naive().to_string();
    let p = Pipeline::deploy(&Case {
        input: json!({ "date": today }),
        ..Case::default()
    })
    .await;
    let report = p.execute_after(20, Before::JobsLease(8)).await;
    assert_eq!(report["status"], "SUCCEEDED", "{report}");
    let events = report["events"].as_array().cloned().unwrap_or_default();
    let busy: Vec<&Value> = events
        .iter()
        .filter(|e| e["type"] == "StateFailed" && e["error"] == "JobsBusy")
        .collect();
    assert!(!busy.is_empty(), "no job found the lease held: {report}");
    assert!(
        busy.iter().all(|e| e["state"] == "RunTrusted"),
        "only the first job waits: {busy:?}"
    );
    let states = states(&report);
    assert!(states.contains(&"GivenDate"), "{states:?}");
    assert_eq!(report["output"]["collection"]["date"], today);
    assert_eq!(count(&states, "RunTrusted"), 1, "{states:?}");
    assert!(!states.contains(&"TrustedJobFailed"), "{states:?}");
    assert_published(&p).await;
    // Every job released the lease it took, so the next one can take it at once.
    let leases = p.keys(&layout::jobs_lease_prefix()).await;
    assert_eq!(leases.len(), 1, "older generations are deleted: {leases:?}");
    let body =
        p.s3.get_object()
            .bucket(&p.bucket)
            .key(&leases[0])
            .send()
            .await
            .unwrap()
            .body
            .collect()
            .await
            .unwrap()
            .into_bytes();
    let lease: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(lease["released"], true, "{lease}");
}

/// IMDb files older than the dashboards accept are a warning sent to the alert topic,
/// and the execution goes on with them. Fresh ones send nothing.
#[tokio::test(flavor = "multi_thread")]
async fn stale_imdb_files_warn_the_alert_topic_and_the_run_goes_on() {
    cinelake_testkit::needs!(SeaweedFs, Moto, StateMachine, CargoLambda);
    let old = (chrono::Utc::now() - chrono::Duration::days(120)).date_naive();
    let p = Pipeline::deploy(&Case {
        upload_date: Some(old.to_string()),
        ..Case::default()
    })
    .await;
    let report = p.execute(20).await;
    assert_eq!(report["status"], "SUCCEEDED", "{report}");
    let states = states(&report);
    assert!(states.contains(&"WarnStaleCsv"), "{states:?}");
    let stale = report["output"]["trusted"]["report"]["stale_csv"]
        .as_str()
        .unwrap_or_else(|| panic!("the summary names no stale file: {report}"));
    assert!(stale.contains("120 days old"), "{stale}");
    let published = report["published"].as_array().unwrap();
    assert_eq!(published.len(), 1, "{published:?}");
    assert_eq!(published[0]["TopicArn"], ALERT_TOPIC_ARN);
    let message = published[0]["Message"].as_str().unwrap();
    assert!(
        message.starts_with("cinelake: the pipeline run local goes on, with a warning:")
            && message.contains(&format!("{}", old.format("%Y/%m/%d"))),
        "{message}"
    );
    assert_published(&p).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn ids_that_fail_every_retry_leave_the_transforms_to_run_on_what_is_stored() {
    cinelake_testkit::needs!(SeaweedFs, Moto, StateMachine, CargoLambda);
    let case = Case {
        faults: Faults {
            failing_id_share: 0.1,
            ..Faults::default()
        },
        ..Case::default()
    };
    let p = Pipeline::deploy(&case).await;
    let report = p.execute(20).await;
    let states = states(&report);
    assert_eq!(report["status"], "SUCCEEDED", "{report}");
    assert!(states.contains(&"IngestLeftFailures"), "{states:?}");
    let summary = &report["output"]["ingest"]["summary"];
    assert!(
        summary["remaining"].as_u64().unwrap() > 0 && summary["failed"].as_u64().unwrap() > 0,
        "{summary}"
    );
    assert!(!states.contains(&"IngestRoundsExhausted"), "{states:?}");
    assert_published(&p).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn trusted_rejecting_above_the_threshold_fails_the_execution_by_name() {
    cinelake_testkit::needs!(SeaweedFs, Moto, StateMachine, CargoLambda);
    let case = Case {
        broken_movie_lines: 300,
        ..Case::default()
    };
    let p = Pipeline::deploy(&case).await;
    let report = p.execute(20).await;
    let states = states(&report);
    assert_eq!(report["status"], "FAILED", "{report}");
    assert_eq!(report["error"], "TrustedJobFailed", "{report}");
    let cause: Value = serde_json::from_str(report["cause"].as_str().unwrap())
        .unwrap_or_else(|e| panic!("{e}: the cause is the function's error object"));
    assert_eq!(cause["errorType"], "TrustedJobFailed");
    assert!(
        cause["errorMessage"]
            .as_str()
            .unwrap()
            .contains("movies.csv"),
        "{cause}"
    );
    assert_eq!(states.last(), Some(&"TrustedJobFailed"), "{states:?}");
    assert!(!states.contains(&"RunRefined"), "{states:?}");
    // Nothing is half-published. There is no Trusted movies table and no Refined table.
    // Raw is whole.
    assert!(!p.glue_tables("trusted").await.contains("movies"));
    assert!(p.glue_tables("refined").await.is_empty());
    assert!(p.keys("Refined/").await.is_empty());
    assert_eq!(p.keys("Raw/Local/CSV/").await.len(), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_input_engine_reaches_the_jobs_function() {
    cinelake_testkit::needs!(SeaweedFs, Moto, StateMachine, CargoLambda);
    let case = Case {
        input: json!({"Engine": "athena"}),
        ..Case::default()
    };
    let p = Pipeline::deploy(&case).await;
    let report = p.execute(20).await;
    let states = states(&report);
    // Trusted ran its CSV jobs on Athena. The external table over the Raw movies.csv and
    // its rejects query went to the engine's workgroup, and none went to the analysts'.
    // moto runs no SQL, so the rejects came back without their columns. The job failed
    // by name and left Trusted as it was.
    let athena = athena_client();
    let analysts = athena
        .list_query_executions()
        .work_group(&p.workgroup)
        .send()
        .await
        .unwrap();
    assert_eq!(analysts.query_execution_ids(), Vec::<String>::new());
    let ids = athena
        .list_query_executions()
        .work_group(&p.engine_workgroup)
        .send()
        .await
        .unwrap();
    let mut sent = Vec::new();
    for id in ids.query_execution_ids() {
        let q = athena
            .get_query_execution()
            .query_execution_id(id)
            .send()
            .await
            .unwrap();
        sent.push(
            q.query_execution()
                .and_then(|e| e.query())
                .unwrap_or_default()
                .to_string(),
        );
    }
    let raw_table = format!("{}_trusted.raw_movies__", p.prefix);
    assert!(
        sent.first()
            .is_some_and(|s| s.starts_with(&format!("CREATE EXTERNAL TABLE {raw_table}"))),
        "{sent:#?}"
    );
    assert!(
        sent.iter()
            .any(|s| s.starts_with(&format!("DROP TABLE IF EXISTS {raw_table}"))),
        "{sent:#?}"
    );
    assert_eq!(report["status"], "FAILED", "{report}");
    assert_eq!(report["error"], "TrustedJobFailed", "{report}");
    assert_eq!(states.last(), Some(&"TrustedJobFailed"), "{states:?}");
    assert_eq!(
        states[..4],
        ["HasEngine", "HasDate", "StartDate", "StartIngestLoop"],
        "{states:?}"
    );
    assert!(!p.glue_tables("trusted").await.contains("movies"));
}

/// The rows of each Refined table an execution wrote, by table name (without the
/// database).
fn refined_rows(report: &Value) -> BTreeSet<(String, u64)> {
    report["output"]["refined"]["report"]["tables"]
        .as_array()
        .unwrap_or_else(|| panic!("no refined report: {report}"))
        .iter()
        .map(|t| {
            let table = t["table"].as_str().unwrap();
            let name = table.rsplit_once('.').map_or(table, |(_, n)| n);
            (name.to_string(), t["rows"].as_u64().unwrap())
        })
        .collect()
}

/// A successful month with `Engine: athena`. Trusted's CSV jobs run on Athena, then
/// Refined runs in the function, then the views. moto answers the CSV jobs' rejects and
/// counts. The stand-in registers each CTAS's table and writes the Polars path's rows
/// where Athena would. The catalog switches to the versions the CTAS statements wrote.
/// Refined builds the same tables as a Polars execution, and no temporary table is left.
#[tokio::test(flavor = "multi_thread")]
async fn an_athena_execution_builds_what_a_polars_one_does() {
    cinelake_testkit::needs!(SeaweedFs, Moto, StateMachine, CargoLambda);
    let polars = Pipeline::deploy(&Case::default()).await;
    let by_polars = polars.execute(20).await;
    assert_eq!(by_polars["status"], "SUCCEEDED", "{by_polars}");

    let p = Pipeline::deploy(&Case {
        input: json!({"Engine": "athena"}),
        ..Case::default()
    })
    .await;
    // movies.csv (3,000 rows) and series.csv (1,000), none refused.
    let mut answers = athena::trusted_answers(3000, &[]);
    answers.extend(athena::trusted_answers(1000, &[]));
    let report = p.execute_after(20, Before::AthenaAnswers(answers)).await;
    assert_eq!(report["status"], "SUCCEEDED", "{report}");
    let trusted = &report["output"]["trusted"]["report"];
    assert_eq!(trusted["engine"], "athena", "{trusted}");
    let run = trusted["run_id"].as_str().unwrap();
    for (table, folder, rows) in [("movies", "Movies", 3000), ("series", "Series", 1000)] {
        let entry = trusted["tables"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["table"].as_str().unwrap().ends_with(&format!(".{table}")))
            .unwrap_or_else(|| panic!("no {table} in {trusted}"));
        assert_eq!(entry["rows_out"], rows, "{entry}");
        // The catalog is on the version the CTAS wrote, which holds the files.
        let location = glue_client()
            .get_table()
            .database_name(format!("{}_trusted", p.prefix))
            .name(table)
            .send()
            .await
            .unwrap()
            .table()
            .and_then(|t| t.storage_descriptor())
            .and_then(|s| s.location())
            .unwrap_or_default()
            .to_string();
        let dir = format!("Trusted/Local/Parquet/{folder}/{run}/");
        assert_eq!(location, format!("s3://{}/{dir}", p.bucket));
        assert_eq!(p.keys(&dir).await, [format!("{dir}part-00000.parquet")]);
    }
    // Nothing temporary is left. The external tables over Raw and the CTAS tables are
    // dropped.
    assert_eq!(
        p.glue_tables("trusted").await,
        ["movies", "series", "tmdb_movies"]
            .map(String::from)
            .into_iter()
            .collect::<BTreeSet<_>>()
    );
    assert_eq!(refined_rows(&report), refined_rows(&by_polars));
    assert_published(&p).await;
}
