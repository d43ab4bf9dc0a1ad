//! Tests `cinelake run` as a user runs it against AWS, configured by a `.env` file.
//!
//! The lake is on SeaweedFS (S3), the catalog is moto's Glue, and the views go to moto's
//! Athena. The run goes twice on the same lake. The second run duplicates nothing and
//! gives the same tables.

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::path::Path;

use cinelake_catalog::Table;
use cinelake_testkit::{
    ACCESS_KEY, S3Server, SECRET_KEY, athena_client, athena_views_created, fresh_bucket,
    glue_client,
};
use cinelake_tmdb_sim::{self as sim, SimConfig};

mod common;

fn cinelake(args: &[&str], env: &[(String, String)]) -> String {
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    common::cinelake(args, &env)
}

/// A Glue table as the test sees it through the Glue API.
#[derive(Debug, Clone, PartialEq)]
struct GlueTable {
    columns: Vec<(String, String)>,
    partition_keys: Vec<String>,
    location: String,
    /// Partition values and their locations.
    partitions: Vec<(Vec<String>, String)>,
}

/// Everything a run leaves, for comparing runs.
#[derive(Debug)]
struct Snapshot {
    /// Every object key and size, by zone.
    objects: BTreeMap<String, Vec<(String, i64)>>,
    glue: BTreeMap<String, GlueTable>,
    /// Each table's rows, as CSV from the local engine over S3 and Glue.
    data: BTreeMap<String, String>,
}

async fn objects(s3: &aws_sdk_s3::Client, bucket: &str) -> BTreeMap<String, Vec<(String, i64)>> {
    let mut out: BTreeMap<String, Vec<(String, i64)>> = BTreeMap::new();
    let mut pages = s3.list_objects_v2().bucket(bucket).into_paginator().send();
    while let Some(page) = pages.next().await {
        for o in page.expect("listing the bucket").contents() {
            let key = o.key().unwrap_or_default().to_string();
            let zone = key.split('/').next().unwrap_or_default().to_string();
            out.entry(zone)
                .or_default()
                .push((key, o.size().unwrap_or(-1)));
        }
    }
    out
}

async fn glue_tables(db: &str) -> BTreeMap<String, GlueTable> {
    let glue = glue_client();
    let tables = glue
        .get_tables()
        .database_name(db)
        .send()
        .await
        .unwrap_or_else(|e| panic!("Glue GetTables {db}: {e:?}"));
    let mut out = BTreeMap::new();
    for t in tables.table_list() {
        let sd = t.storage_descriptor().expect("a storage descriptor");
        let mut partitions: Vec<(Vec<String>, String)> = Vec::new();
        if !t.partition_keys().is_empty() {
            let ps = glue
                .get_partitions()
                .database_name(db)
                .table_name(t.name())
                .send()
                .await
                .expect("Glue GetPartitions");
            for p in ps.partitions() {
                partitions.push((
                    p.values().to_vec(),
                    p.storage_descriptor()
                        .and_then(|s| s.location())
                        .unwrap_or_default()
                        .to_string(),
                ));
            }
            partitions.sort();
        }
        out.insert(
            format!("{db}.{}", t.name()),
            GlueTable {
                columns: sd
                    .columns()
                    .iter()
                    .map(|c| {
                        (
                            c.name().to_string(),
                            c.r#type().unwrap_or_default().to_string(),
                        )
                    })
                    .collect(),
                partition_keys: t
                    .partition_keys()
                    .iter()
                    .map(|c| c.name().to_string())
                    .collect(),
                location: sd.location().unwrap_or_default().to_string(),
                partitions,
            },
        );
    }
    out
}

async fn snapshot(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    prefix: &str,
    env: &[(String, String)],
) -> Snapshot {
    let mut glue = glue_tables(&format!("{prefix}_trusted")).await;
    glue.extend(glue_tables(&format!("{prefix}_refined")).await);
    let mut data = BTreeMap::new();
    for name in glue.keys() {
        let (db, table) = name.split_once('.').unwrap_or_default();
        // The local engine names Trusted tables trusted_<name>.
        let sql_name = if db.ends_with("_trusted") {
            format!("trusted_{table}")
        } else {
            table.to_string()
        };
        let csv = cinelake(
            &[
                "query",
                "--format",
                "csv",
                &format!("SELECT * FROM {sql_name}"),
            ],
            env,
        );
        data.insert(name.clone(), csv);
    }
    Snapshot {
        objects: objects(s3, bucket).await,
        glue,
        data,
    }
}

/// Keys under a Glue location, which must hold this table's Parquet.
fn parquet_under<'a>(snap: &'a Snapshot, bucket: &str, location: &str) -> Vec<&'a str> {
    let prefix = location
        .strip_prefix(&format!("s3://{bucket}/"))
        .unwrap_or_else(|| panic!("{location} is not in bucket {bucket}"));
    snap.objects
        .values()
        .flatten()
        .map(|(k, _)| k.as_str())
        .filter(|k| k.starts_with(prefix) && k.ends_with(".parquet"))
        .collect()
}

fn check_run(snap: &Snapshot, bucket: &str, prefix: &str, data: &Path, date: &str) {
    let (y, m, d) = (&date[0..4], &date[5..7], &date[8..10]);
    // Raw holds both files whole, once, and the TMDB JSON beside them.
    let raw = &snap.objects["Raw"];
    for (kind, file) in [("Movies", "movies.csv"), ("Series", "series.csv")] {
        let csv: Vec<_> = raw.iter().filter(|(k, _)| k.ends_with(file)).collect();
        let size = std::fs::metadata(data.join(file)).unwrap().len() as i64;
        assert_eq!(
            csv,
            [&(format!("Raw/Local/CSV/{kind}/{y}/{m}/{d}/{file}"), size)],
            "Raw holds {file} once, whole"
        );
    }
    assert!(
        raw.iter().any(
            |(k, _)| k.starts_with(&format!("Raw/TMDB/JSON/{y}/{m}/{d}/")) && k.ends_with(".json")
        ),
        "TMDB JSON in Raw: {raw:?}"
    );

    // Glue holds the Trusted tables, the TMDB table partitioned by collection date, and
    // the star schema. Every location holds Parquet.
    let trusted: BTreeSet<&str> = snap
        .glue
        .keys()
        .filter_map(|k| k.strip_prefix(&format!("{prefix}_trusted.")))
        .collect();
    assert_eq!(trusted, Table::TRUSTED.iter().map(|t| t.name()).collect());
    let refined: Vec<&str> = snap
        .glue
        .keys()
        .filter_map(|k| k.strip_prefix(&format!("{prefix}_refined.")))
        .collect();
    // The star schema, and data_sources, which the views step writes for the dashboards.
    let mut expected: Vec<&str> = Table::REFINED
        .iter()
        .chain(&Table::DASHBOARD)
        .map(|t| t.name())
        .collect();
    expected.sort();
    assert_eq!(refined, expected);
    let tmdb = &snap.glue[&format!("{prefix}_trusted.tmdb_movies")];
    assert_eq!(tmdb.partition_keys, ["dt"]);
    assert_eq!(tmdb.partitions.len(), 1, "{:?}", tmdb.partitions);
    let (values, location) = &tmdb.partitions[0];
    assert_eq!(values, &[date.to_string()]);
    assert!(
        location.starts_with(&format!(
            "s3://{bucket}/Trusted/TMDB/Parquet/Movies/dt={date}/"
        )),
        "{location}"
    );
    assert!(!parquet_under(snap, bucket, location).is_empty());
    for (name, t) in &snap.glue {
        if t.partition_keys.is_empty() {
            assert!(
                !parquet_under(snap, bucket, &t.location).is_empty(),
                "{name}: no Parquet under {}",
                t.location
            );
        }
        assert!(!t.columns.is_empty(), "{name} has no columns");
    }
    let fact = &snap.glue[&format!("{prefix}_refined.fact_film")];
    for (col, ty) in [
        ("imdb_rating", "double"),
        ("imdb_votes", "bigint"),
        ("budget", "bigint"),
    ] {
        assert!(
            fact.columns.contains(&(col.to_string(), ty.to_string())),
            "fact_film.{col} should be {ty}: {:?}",
            fact.columns
        );
    }
    // Tables hold rows: a CSV header and more.
    for (name, csv) in &snap.data {
        assert!(csv.lines().count() > 1, "{name} is empty");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_pipeline_on_s3_and_glue_twice_duplicates_nothing() {
    cinelake_testkit::needs!(SeaweedFs, Moto);
    let simulator = sim::start(
        SimConfig::synthetic("e2e-key"),
        SocketAddr::from(([127, 0, 0, 1], 0)),
    )
    .await
    .unwrap();
    let (s3, bucket) = fresh_bucket(S3Server::SeaweedFs).await;
    let prefix = format!("e2e_{}", bucket.replace('-', "_"));
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let date = "2026-11-01";
    cinelake(
        &[
            "sample",
            "--out",
            data.to_str().unwrap(),
            "--movies-rows",
            "8000",
            "--series-rows",
            "3000",
        ],
        &[],
    );

    let workgroup = format!("wg_{prefix}");
    athena_client()
        .create_work_group()
        .name(&workgroup)
        .send()
        .await
        .expect("creating the Athena workgroup in moto");
    let settings = [
        ("CINELAKE_LAKE", format!("s3://{bucket}")),
        ("CINELAKE_DATE", date.to_string()),
        ("CINELAKE_SOURCE_DIR", data.to_string_lossy().to_string()),
        ("CINELAKE_CATALOG", "glue".to_string()),
        ("CINELAKE_DATABASE_PREFIX", prefix.clone()),
        ("TMDB_BASE_URL", simulator.base_url()),
        ("TMDB_API_KEY", "e2e-key".to_string()),
        ("CINELAKE_TMDB_RPS", "1000".to_string()),
        ("CINELAKE_TMDB_CONCURRENCY", "32".to_string()),
        ("CINELAKE_ATHENA_WORKGROUP", workgroup.clone()),
        (
            "CINELAKE_ATHENA_OUTPUT",
            format!("s3://{bucket}/athena-results/"),
        ),
        ("AWS_REGION", "us-east-1".to_string()),
        ("AWS_ACCESS_KEY_ID", ACCESS_KEY.to_string()),
        ("AWS_SECRET_ACCESS_KEY", SECRET_KEY.to_string()),
        ("AWS_EC2_METADATA_DISABLED", "true".to_string()),
        ("AWS_ENDPOINT_URL_S3", S3Server::SeaweedFs.endpoint()),
        ("AWS_ENDPOINT_URL_GLUE", S3Server::Moto.endpoint()),
        ("AWS_ENDPOINT_URL_ATHENA", S3Server::Moto.endpoint()),
    ];
    let env_file = dir.path().join("aws.env");
    let text: String = settings.iter().map(|(k, v)| format!("{k}={v}\n")).collect();
    std::fs::write(&env_file, format!("# as a user writes .env\n{text}")).unwrap();
    let env: Vec<(String, String)> = settings
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect();
    let dashboard = dir.path().join("board.html");
    let run = || {
        cinelake(
            &[
                "run",
                "--env-file",
                env_file.to_str().unwrap(),
                "--dashboard",
                dashboard.to_str().unwrap(),
            ],
            &[],
        )
    };

    let out = run();
    common::assert_stages(
        &out,
        &[
            "1 upload",
            "2 tmdb-ingest",
            "3 trusted",
            "4 refined",
            "views",
            "dashboard",
        ],
    );
    let first = snapshot(&s3, &bucket, &prefix, &env).await;
    check_run(&first, &bucket, &prefix, &data, date);
    let page = std::fs::read_to_string(&dashboard).unwrap();
    assert!(page.contains("\"v_top_profits\"") && !page.contains("/*CINELAKE_DATA*/null"));

    // The views went to Athena, in the configured workgroup.
    let views = athena_views_created(&workgroup).await;
    let expected: BTreeSet<String> = cinelake_query::views::VIEWS
        .iter()
        .map(|(name, _)| name.to_string())
        .collect();
    assert_eq!(views, expected, "views created in Athena");

    let out = run();
    assert!(
        out.contains("already in Raw"),
        "the CSVs are not sent again:\n{out}"
    );
    assert!(out.contains("0 fetched"), "TMDB is not asked again:\n{out}");
    let second = snapshot(&s3, &bucket, &prefix, &env).await;
    check_run(&second, &bucket, &prefix, &data, date);

    // Nothing is duplicated. Raw is unchanged, and every table has the same rows, columns
    // and partitions. Each table keeps at most the current and the previous version. The
    // ingestion's lease and checkpoint under _state/ change each run, by design.
    let raw_data = |s: &Snapshot| -> Vec<(String, i64)> {
        s.objects["Raw"]
            .iter()
            .filter(|(k, _)| !k.contains("/_state/"))
            .cloned()
            .collect()
    };
    assert_eq!(raw_data(&first), raw_data(&second));
    assert_eq!(first.data, second.data);
    for (name, t) in &first.glue {
        let again = &second.glue[name];
        assert_eq!(t.columns, again.columns, "{name}");
        assert_eq!(
            t.partitions.iter().map(|p| &p.0).collect::<Vec<_>>(),
            again.partitions.iter().map(|p| &p.0).collect::<Vec<_>>(),
            "{name}"
        );
    }
    for zone in ["Trusted", "Refined"] {
        let mut versions: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (key, _) in &second.objects[zone] {
            if let Some((table, rest)) = key
                .rsplit_once('/')
                .and_then(|(dir, _)| dir.rsplit_once('/'))
            {
                versions
                    .entry(table.to_string())
                    .or_default()
                    .insert(rest.to_string());
            }
        }
        for (table, v) in versions {
            assert!(v.len() <= 2, "{table} keeps {} versions: {v:?}", v.len());
        }
    }
    let fact = &second.data[&format!("{prefix}_refined.fact_film")];
    let ids: Vec<&str> = fact
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap_or_default())
        .collect();
    let unique: BTreeSet<&&str> = ids.iter().collect();
    assert_eq!(ids.len(), unique.len(), "one fact row per film");
    simulator.stop().await;
}
