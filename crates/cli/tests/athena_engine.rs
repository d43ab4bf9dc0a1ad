//! Tests `cinelake trusted --engine athena` as a user runs it, against the AWS protocols.
//!
//! The lake is on SeaweedFS (S3), the catalog is moto's Glue, and the statements go to
//! moto's Athena.
//!
//! moto's Athena runs no SQL. It records each statement, which the tests read back with
//! ListQueryExecutions and GetQueryExecution. It answers each statement with the next
//! result set queued through its API (`/moto-api/static/athena/query-results`), one per
//! statement, in order. That is how the rejects and the counts are given. It writes no
//! Parquet and registers no table for a `CREATE TABLE AS SELECT`. So the client's
//! stand-in (`CINELAKE_ATHENA_STAND_IN_REGISTERS`) registers the table, and Trusted writes
//! the Polars path's rows where Athena would have written its files.
//!
//! Each test runs in its own AWS region. moto keeps one queue of result sets per region,
//! so no other test can take this one's results.
//!
//! The engine's statements go to a workgroup of their own
//! (`CINELAKE_ATHENA_ENGINE_WORKGROUP`). The stack's jobs Lambda does the same: it sends
//! them to a workgroup that does not enforce its configuration, where a CTAS may name its
//! `external_location`. The views go to the ordinary workgroup
//! (`CINELAKE_ATHENA_WORKGROUP`). moto records the workgroup of each execution, which the
//! tests check.

use cinelake_athena::sql;
use cinelake_catalog::{Databases, Table};
use cinelake_lake::source::CsvKind;
use cinelake_testkit::{ACCESS_KEY, S3Server, SECRET_KEY, fresh_bucket};
use serde_json::{Value, json};

mod common;

use common::athena::{self, count, drain, nothing, rejects, result, trusted_answers};

const DATE: &str = "2026-11-01";

/// A lake on S3 with the Glue catalog and two Athena workgroups (the ordinary one and
/// the engine's), all in `region`.
struct Aws {
    region: &'static str,
    bucket: String,
    s3: aws_sdk_s3::Client,
    glue: aws_sdk_glue::Client,
    athena: aws_sdk_athena::Client,
    /// The ordinary workgroup. It runs the views, never the engine's statements.
    workgroup: String,
    /// The engine's workgroup.
    engine_workgroup: String,
    dbs: Databases,
    env: Vec<(String, String)>,
    dir: tempfile::TempDir,
    /// Statements already read back, so each run's are told apart.
    seen: usize,
}

impl Aws {
    async fn new(region: &'static str) -> Aws {
        let (s3, bucket) = fresh_bucket(S3Server::SeaweedFs).await;
        let prefix = format!("ae_{}", bucket.replace('-', "_"));
        let workgroup = format!("wg_{prefix}");
        let engine_workgroup = format!("wg_{prefix}_engine");
        let moto = S3Server::Moto.endpoint();
        let glue = aws_sdk_glue::Client::from_conf(
            aws_sdk_glue::config::Builder::new()
                .behavior_version(aws_sdk_glue::config::BehaviorVersion::latest())
                .region(aws_sdk_glue::config::Region::new(region))
                .endpoint_url(&moto)
                .credentials_provider(aws_sdk_glue::config::Credentials::new(
                    ACCESS_KEY, SECRET_KEY, None, None, "test",
                ))
                .build(),
        );
        let athena = aws_sdk_athena::Client::from_conf(
            aws_sdk_athena::config::Builder::new()
                .behavior_version(aws_sdk_athena::config::BehaviorVersion::latest())
                .region(aws_sdk_athena::config::Region::new(region))
                .endpoint_url(&moto)
                .credentials_provider(aws_sdk_athena::config::Credentials::new(
                    ACCESS_KEY, SECRET_KEY, None, None, "test",
                ))
                .build(),
        );
        for name in [&workgroup, &engine_workgroup] {
            athena
                .create_work_group()
                .name(name)
                .send()
                .await
                .expect("creating the Athena workgroup in moto");
        }
        drain(&athena).await;
        let dir = tempfile::tempdir().unwrap();
        let env = [
            ("CINELAKE_LAKE", format!("s3://{bucket}")),
            ("CINELAKE_CATALOG", "glue".into()),
            ("CINELAKE_DATABASE_PREFIX", prefix.clone()),
            ("CINELAKE_DATE", DATE.into()),
            (
                "CINELAKE_SOURCE_DIR",
                dir.path().join("data").to_string_lossy().to_string(),
            ),
            ("CINELAKE_ATHENA_WORKGROUP", workgroup.clone()),
            ("CINELAKE_ATHENA_ENGINE_WORKGROUP", engine_workgroup.clone()),
            (
                "CINELAKE_ATHENA_OUTPUT",
                format!("s3://{bucket}/athena-results/"),
            ),
            ("CINELAKE_ATHENA_TIMEOUT_SECS", "60".into()),
            ("AWS_REGION", region.into()),
            ("AWS_ACCESS_KEY_ID", ACCESS_KEY.into()),
            ("AWS_SECRET_ACCESS_KEY", SECRET_KEY.into()),
            ("AWS_EC2_METADATA_DISABLED", "true".into()),
            ("AWS_ENDPOINT_URL_S3", S3Server::SeaweedFs.endpoint()),
            ("AWS_ENDPOINT_URL_GLUE", moto.clone()),
            ("AWS_ENDPOINT_URL_ATHENA", moto),
            // moto runs no SQL, so the client registers each CTAS's table as Athena would.
            (cinelake_athena::STAND_IN_ENV, "1".into()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        Aws {
            region,
            bucket,
            s3,
            glue,
            athena,
            workgroup,
            engine_workgroup,
            dbs: Databases::with_prefix(&prefix),
            env,
            dir,
            seen: 0,
        }
    }

    fn env(&self) -> Vec<(&str, &str)> {
        self.env
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect()
    }

    /// Runs `cinelake`, which must succeed, and returns its standard output.
    fn cinelake(&self, args: &[&str]) -> String {
        common::cinelake(args, &self.env())
    }

    /// Runs `cinelake`, which must fail, and returns its standard error.
    fn cinelake_fails(&self, args: &[&str]) -> String {
        let out = std::process::Command::new(common::CINELAKE)
            .args(args)
            .envs(self.env())
            .env("RUST_LOG", "warn")
            .output()
            .expect("running cinelake");
        let stderr = String::from_utf8_lossy(&out.stderr).to_string();
        assert!(
            !out.status.success(),
            "cinelake {args:?} should have failed\nstdout:\n{}\nstderr:\n{stderr}",
            String::from_utf8_lossy(&out.stdout)
        );
        stderr
    }

    /// Sample CSVs uploaded to Raw.
    fn upload(&self) {
        let data = self.dir.path().join("data");
        self.cinelake(&[
            "sample",
            "--out",
            data.to_str().unwrap(),
            "--movies-rows",
            "3000",
            "--series-rows",
            "1000",
        ]);
        self.cinelake(&["upload"]);
    }

    /// Queues the result sets moto's Athena gives the next statements, one each.
    async fn queue(&self, results: Vec<Value>) {
        athena::queue(self.region, results).await;
    }

    /// The statements sent to the engine's workgroup since the last call, in the order
    /// sent. None of the engine's went to the ordinary workgroup, which holds only views.
    async fn statements(&mut self) -> Vec<String> {
        let all = self.executions(&self.engine_workgroup).await;
        let out = all[self.seen..].to_vec();
        self.seen = all.len();
        let ordinary = self.executions(&self.workgroup).await;
        assert!(
            ordinary
                .iter()
                .all(|s| s.starts_with("CREATE OR REPLACE VIEW ")),
            "the ordinary workgroup ran more than views: {ordinary:#?}"
        );
        out
    }

    /// Every statement moto ran in `workgroup`, in the order sent. Each execution's
    /// workgroup is checked.
    async fn executions(&self, workgroup: &str) -> Vec<String> {
        let ids = self
            .athena
            .list_query_executions()
            .work_group(workgroup)
            .send()
            .await
            .expect("ListQueryExecutions")
            .query_execution_ids()
            .to_vec();
        let mut out = Vec::new();
        for id in &ids {
            let q = self
                .athena
                .get_query_execution()
                .query_execution_id(id)
                .send()
                .await
                .expect("GetQueryExecution");
            let q = q.query_execution().expect("an execution");
            assert_eq!(q.work_group(), Some(workgroup));
            out.push(q.query().unwrap_or_default().to_string());
        }
        out
    }

    /// A table's location and columns in Glue.
    async fn glue_table(&self, db: &str, name: &str) -> (String, Vec<(String, String)>) {
        let t = self
            .glue
            .get_table()
            .database_name(db)
            .name(name)
            .send()
            .await
            .unwrap_or_else(|e| panic!("Glue GetTable {db}.{name}: {e:?}"));
        let sd = t
            .table()
            .and_then(|t| t.storage_descriptor())
            .expect("a storage descriptor");
        (
            sd.location().unwrap_or_default().to_string(),
            sd.columns()
                .iter()
                .map(|c| {
                    (
                        c.name().to_string(),
                        c.r#type().unwrap_or_default().to_string(),
                    )
                })
                .collect(),
        )
    }

    /// Every key under `prefix`, sorted.
    async fn keys(&self, prefix: &str) -> Vec<String> {
        let mut keys = Vec::new();
        let mut pages = self
            .s3
            .list_objects_v2()
            .bucket(&self.bucket)
            .prefix(prefix)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            for o in page.expect("listing the bucket").contents() {
                keys.push(o.key().unwrap_or_default().to_string());
            }
        }
        keys.sort();
        keys
    }

    async fn get(&self, key: &str) -> String {
        let out = self
            .s3
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
            .unwrap_or_else(|e| panic!("GetObject {key}: {e:?}"));
        String::from_utf8(out.body.collect().await.unwrap().to_vec()).unwrap()
    }

    fn location(&self, key: &str) -> String {
        format!("s3://{}/{key}", self.bucket)
    }
}

/// The version folder (`<prefix><run>/`) a location names, and its run id.
fn version_of(location: &str, bucket: &str, prefix: &str) -> String {
    let rest = location
        .strip_prefix(&format!("s3://{bucket}/{prefix}"))
        .unwrap_or_else(|| panic!("{location} is not under s3://{bucket}/{prefix}"));
    let run = rest
        .strip_suffix('/')
        .unwrap_or_else(|| panic!("{location}"));
    assert!(!run.contains('/') && !run.is_empty(), "{location}");
    run.to_string()
}

/// The statements one trusted table's Athena job sends, up to its CTAS, as expected.
fn trusted_statements(aws: &Aws, kind: CsvKind, run: &str) -> (String, String, String, String) {
    let table = Table::of_csv(kind).name();
    let part = sql::name_part(run);
    let raw_table = format!("{}.raw_{table}__{part}", aws.dbs.trusted);
    let raw_location = aws.location(&format!("Raw/Local/CSV/{}/2026/11/01/", kind.folder()));
    let s = cinelake_trusted::athena_select::statements(kind, &raw_table, &raw_location).unwrap();
    let ctas = sql::ctas(
        &format!("{}.{table}__ctas_{part}", aws.dbs.trusted),
        &aws.location(&format!("{}{run}/", Table::of_csv(kind).prefix())),
        &s.accepted,
    );
    let (ddl, rejects) = (s.raw_ddl, s.rejects);
    (raw_table, ddl, rejects, ctas)
}

#[tokio::test(flavor = "multi_thread")]
async fn trusted_on_athena_quarantines_rejects_refuses_past_the_threshold_and_switches_versions() {
    cinelake_testkit::needs!(SeaweedFs, Moto);
    let mut aws = Aws::new("eu-west-3").await;
    aws.upload();
    // The Polars engine runs first. Athena's runs follow its version.
    aws.cinelake(&["trusted", "--only", "movies,series"]);
    let (polars_location, polars_columns) = aws.glue_table(&aws.dbs.trusted, "movies").await;
    let polars_run = version_of(
        &polars_location,
        &aws.bucket,
        "Trusted/Local/Parquet/Movies/",
    );
    let movies_rejects = [
        ("tt1|short", "expected 15 fields, found 2"),
        (
            "tt2|x|x|year|90|Drama|1|1|a|b|c|1|1|d|e",
            "release_year: \"year\" is not a number",
        ),
    ];

    // Run 1: movies with two lines refused, series with none.
    let mut answers = trusted_answers(1000, &movies_rejects);
    answers.extend(trusted_answers(400, &[]));
    aws.queue(answers).await;
    let out = aws.cinelake(&[
        "trusted",
        "--engine",
        "athena",
        "--only",
        "movies,series",
        "--json",
    ]);
    let reports: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
    let movies = &reports[0];
    assert_eq!(movies["table"], format!("{}.movies", aws.dbs.trusted));
    assert_eq!(
        (&movies["rows_in"], &movies["rows_out"], &movies["rejected"]),
        (&json!(1000), &json!(998), &json!(2))
    );
    assert_eq!(movies["rows_from"], "count_query");
    assert_eq!(reports[1]["rows_out"], 400);
    let run1 = version_of(
        movies["location"].as_str().unwrap(),
        &aws.bucket,
        "Trusted/Local/Parquet/Movies/",
    );
    assert_ne!(run1, polars_run);

    // Every statement, in order. First the external table over the Raw CSV's folder,
    // then its rejects and its count. Then the CTAS into the new version and the count
    // of its rows. Last, both temporary tables are dropped.
    let sent = aws.statements().await;
    assert_eq!(sent.len(), 14, "{sent:#?}");
    for (i, kind) in [CsvKind::Movies, CsvKind::Series].into_iter().enumerate() {
        let s = &sent[i * 7..i * 7 + 7];
        let (raw_table, ddl, rejects, ctas) = trusted_statements(&aws, kind, &run1);
        let table = Table::of_csv(kind).name();
        let ctas_table = format!(
            "{}.{table}__ctas_{}",
            aws.dbs.trusted,
            sql::name_part(&run1)
        );
        assert_eq!(s[0], ddl);
        assert!(
            s[0].contains(&format!(
                "LOCATION '{}'",
                aws.location(&format!("Raw/Local/CSV/{}/2026/11/01/", kind.folder()))
            )),
            "{}",
            s[0]
        );
        assert_eq!(s[1], rejects);
        assert_eq!(s[2], format!("SELECT count(*) AS n FROM {raw_table}"));
        assert_eq!(s[3], ctas);
        assert!(
            s[3].contains(&format!(
                "external_location = '{}'",
                aws.location(&format!("{}{run1}/", Table::of_csv(kind).prefix()))
            )) && s[3].contains("write_compression = 'ZSTD'")
                && s[3].contains("format = 'PARQUET'"),
            "{}",
            s[3]
        );
        assert_eq!(s[4], format!("SELECT count(*) AS n FROM {ctas_table}"));
        assert_eq!(s[5], format!("DROP TABLE IF EXISTS {ctas_table}"));
        assert_eq!(s[6], format!("DROP TABLE IF EXISTS {raw_table}"));
    }
    assert!(sent.iter().all(|s| !s.contains("${")), "{sent:#?}");

    // The catalog names the new version with the Polars job's columns. The Polars
    // version stays as the previous one.
    let (location, columns) = aws.glue_table(&aws.dbs.trusted, "movies").await;
    assert_eq!(
        location,
        aws.location(&format!("Trusted/Local/Parquet/Movies/{run1}/"))
    );
    assert_eq!(columns, polars_columns);
    let polars_file = format!("Trusted/Local/Parquet/Movies/{polars_run}/part-00000.parquet");
    assert!(
        aws.keys("Trusted/Local/Parquet/Movies/")
            .await
            .contains(&polars_file)
    );

    // The rejects are in the quarantine, with their reason and the Raw file they came
    // from.
    let quarantine = aws
        .get(&format!("Trusted/_rejected/movies/{run1}.jsonl"))
        .await;
    let lines: Vec<Value> = quarantine
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let raw_key = "Raw/Local/CSV/Movies/2026/11/01/movies.csv";
    assert_eq!(
        lines,
        movies_rejects
            .iter()
            .map(|(raw, reason)| json!({"source": raw_key, "reason": reason, "raw": raw}))
            .collect::<Vec<_>>()
    );
    assert!(aws.keys("Trusted/_rejected/series/").await.is_empty());

    // Run 2: 30 of 1000 lines are refused, past the 1% allowed. The run is refused
    // before anything is written. The quarantine is kept, the catalog is untouched, and
    // the external table is dropped.
    let many: Vec<(&str, &str)> = (0..30)
        .map(|_| ("tt9|bad", "expected 15 fields, found 2"))
        .collect();
    aws.queue(vec![nothing(), rejects(&many), count(1000), nothing()])
        .await;
    let err = aws.cinelake_fails(&["trusted", "--engine", "athena", "--only", "movies"]);
    assert!(
        err.contains("30 of 1000 rows rejected (3.00%)") && err.contains(raw_key),
        "{err}"
    );
    let sent = aws.statements().await;
    assert_eq!(sent.len(), 4, "{sent:#?}");
    assert!(sent[0].starts_with("CREATE EXTERNAL TABLE"), "{}", sent[0]);
    assert!(sent[3].starts_with("DROP TABLE IF EXISTS"), "{}", sent[3]);
    assert!(
        sent.iter().all(|s| !s.starts_with("CREATE TABLE ")),
        "{sent:#?}"
    );
    assert_eq!(aws.glue_table(&aws.dbs.trusted, "movies").await.0, location);
    let refused_quarantine = aws.keys("Trusted/_rejected/movies/").await;
    assert_eq!(refused_quarantine.len(), 2, "{refused_quarantine:?}");

    // Run 3: the catalog moves on. The previous version, run 1's, stays. The one before
    // it, the Polars job's, is deleted.
    aws.queue(trusted_answers(1000, &[])).await;
    let out = aws.cinelake(&[
        "trusted", "--engine", "athena", "--only", "movies", "--json",
    ]);
    let reports: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
    let run3 = version_of(
        reports[0]["location"].as_str().unwrap(),
        &aws.bucket,
        "Trusted/Local/Parquet/Movies/",
    );
    assert_eq!(
        aws.glue_table(&aws.dbs.trusted, "movies").await.0,
        aws.location(&format!("Trusted/Local/Parquet/Movies/{run3}/"))
    );
    // moto runs no SQL. So the stand-in wrote what Athena would, which is the Polars rows.
    // Two runs in one second sort by their random suffix, so the keys are compared sorted.
    let mut kept =
        [&run1, &run3].map(|r| format!("Trusted/Local/Parquet/Movies/{r}/part-00000.parquet"));
    kept.sort();
    assert_eq!(aws.keys("Trusted/Local/Parquet/Movies/").await, kept);
    assert_eq!(aws.statements().await.len(), 7);

    // Run 4: Athena writes other than the lines accepted, 999 written and 0 rejected of
    // 1000. The run fails after its CTAS. The CTAS's table is dropped, and nothing is
    // switched.
    let mut answers = trusted_answers(1000, &[]);
    answers[4] = count(999);
    aws.queue(answers).await;
    let err = aws.cinelake_fails(&["trusted", "--engine", "athena", "--only", "movies"]);
    assert!(
        err.contains("1000 rows in, but 999 written and 0 rejected"),
        "{err}"
    );
    let sent = aws.statements().await;
    assert_eq!(sent.len(), 7, "{sent:#?}");
    assert!(sent[3].starts_with("CREATE TABLE "), "{}", sent[3]);
    let drops = [
        format!("DROP TABLE IF EXISTS {}.movies__ctas_", aws.dbs.trusted),
        format!("DROP TABLE IF EXISTS {}.raw_movies__", aws.dbs.trusted),
    ];
    assert!(
        sent[5].starts_with(&drops[0]) && sent[6].starts_with(&drops[1]),
        "{sent:#?}"
    );
    assert_eq!(
        aws.glue_table(&aws.dbs.trusted, "movies").await.0,
        aws.location(&format!("Trusted/Local/Parquet/Movies/{run3}/"))
    );

    // Run 5: a rejected line without its reason means the SQL is at fault. It fails the
    // run by name, before anything is written. The external table is dropped.
    let no_reason = result(
        &[("raw", "varchar"), ("reason", "varchar")],
        &[vec![Some("tt9|odd".into()), None]],
    );
    aws.queue(vec![nothing(), no_reason, nothing()]).await;
    let err = aws.cinelake_fails(&["trusted", "--engine", "athena", "--only", "movies"]);
    assert!(
        err.contains("movies: Athena gave a rejected line without a reason: \"tt9|odd\""),
        "{err}"
    );
    let sent = aws.statements().await;
    assert_eq!(sent.len(), 3, "{sent:#?}");
    assert!(sent[2].starts_with(&drops[1]), "{sent:#?}");
    assert_eq!(
        aws.glue_table(&aws.dbs.trusted, "movies").await.0,
        aws.location(&format!("Trusted/Local/Parquet/Movies/{run3}/"))
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_athena_engine_refuses_a_directory_lake_or_the_local_catalog() {
    cinelake_testkit::needs!(SeaweedFs, Moto);
    let mut aws = Aws::new("ca-central-1").await;
    let lake = aws.dir.path().join("lake");
    let lake = lake.to_str().unwrap();
    {
        let stage = "trusted";
        let err = aws.cinelake_fails(&[
            stage,
            "--engine",
            "athena",
            "--lake",
            lake,
            "--catalog",
            "local",
        ]);
        assert!(
            err.contains("the Athena engine needs an S3 lake and the Glue catalog")
                && err.contains(lake)
                && err.contains("catalog local"),
            "{stage}: {err}"
        );
        // An S3 lake with the local catalog is refused as well.
        let err = aws.cinelake_fails(&[stage, "--engine", "athena", "--catalog", "local"]);
        assert!(
            err.contains("needs an S3 lake and the Glue catalog")
                && err.contains(&format!("s3://{}", aws.bucket)),
            "{stage}: {err}"
        );
    }
    // Refused before Athena was asked anything, and nothing was written.
    assert!(aws.statements().await.is_empty());
    assert!(!std::path::Path::new(lake).join("_runs").exists());
    assert!(aws.keys("").await.is_empty());

    // A Raw movies.csv with another header is refused before any statement, as the
    // Polars path refuses it. The SQL skips the header unread, yet the file is refused.
    // Something other than the upload stage put it there, because the upload refuses it.
    let raw_key = "Raw/Local/CSV/Movies/2026/11/01/movies.csv";
    aws.s3
        .put_object()
        .bucket(&aws.bucket)
        .key(raw_key)
        .body(b"id|title\ntt1|One\n".to_vec().into())
        .send()
        .await
        .unwrap();
    let err = aws.cinelake_fails(&["trusted", "--engine", "athena", "--only", "movies"]);
    assert!(
        err.contains(&format!("{raw_key}: not a movies file")),
        "{err}"
    );
    assert!(aws.statements().await.is_empty());
}
