//! Tests that views over the Glue Data Catalog are Athena's, against moto's Glue.
//!
//! A view that the local engine wrote there would hold plain SQL, which Athena cannot
//! read. A later `CREATE OR REPLACE VIEW` from Athena over such a view fails.

use std::process::Command;

use cinelake_catalog::Table;
use cinelake_testkit::{S3Server, aws_env, glue_client};

mod common;

use common::{CINELAKE, cinelake};

#[test]
fn the_local_engine_never_writes_a_view_into_glue() {
    cinelake_testkit::needs!(SeaweedFs, Moto);
    let dir = tempfile::tempdir().unwrap();
    let lake = common::raw_lake(dir.path(), 3000, 1000, &[]);
    let lake = lake.to_str().unwrap();
    let prefix = format!(
        "viewsglue{}",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    );
    let mut env: Vec<(&str, String)> = aws_env(S3Server::Moto);
    env.push(("CINELAKE_CATALOG", "glue".into()));
    env.push(("CINELAKE_DATABASE_PREFIX", prefix.clone()));
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    cinelake(&["trusted", "--lake", lake], &env);
    cinelake(&["refined", "--lake", lake], &env);

    let out = Command::new(CINELAKE)
        .args(["views", "--lake", lake, "--engine", "local"])
        .envs(env.iter().copied())
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success(),
        "the local engine wrote views into Glue:\n{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(
        stderr.contains("--engine athena"),
        "the refusal should say how to create them: {stderr}"
    );

    let runtime = tokio::runtime::Runtime::new().unwrap();
    let tables = runtime.block_on(async {
        glue_client()
            .get_tables()
            .database_name(format!("{prefix}_refined"))
            .send()
            .await
            .unwrap()
    });
    let views: Vec<&str> = tables
        .table_list()
        .iter()
        .filter(|t| t.table_type() == Some("VIRTUAL_VIEW"))
        .map(|t| t.name())
        .collect();
    assert!(views.is_empty(), "views written to Glue: {views:?}");
    assert_eq!(
        tables.table_list().len(),
        Table::REFINED.len(),
        "the star schema is registered in Glue"
    );
}
