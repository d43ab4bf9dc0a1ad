//! Tests the Glue calls a publish makes, as moto's request recorder saw them. A
//! database is read before it is created. So a publish into an existing database does
//! not call `CreateDatabase`, and the jobs role then need not be granted it every
//! month.

use base64::Engine as _;
use cinelake_catalog::GlueCatalog;
use cinelake_testkit::{S3Server, glue_client};

async fn recorder(action: &str) -> String {
    let url = format!("{}/moto-api/recorder/{action}", S3Server::Moto.endpoint());
    let client = reqwest::Client::new();
    let response = if action == "download-recording" {
        client.get(url).send().await
    } else {
        client.post(url).send().await
    };
    response.unwrap().text().await.unwrap()
}

/// The Glue operations recorded whose request body names `database`.
fn calls_naming(recording: &str, database: &str) -> Vec<String> {
    recording
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|r| {
            let target = r["headers"]["X-Amz-Target"].as_str()?.to_string();
            let body = r["body"].as_str().unwrap_or_default();
            let body = if r["body_encoded"].as_bool() == Some(true) {
                String::from_utf8(
                    base64::engine::general_purpose::STANDARD
                        .decode(body)
                        .ok()?,
                )
                .ok()?
            } else {
                body.to_string()
            };
            (target.starts_with("AWSGlue.") && body.contains(&format!("\"{database}\"")))
                .then(|| target.trim_start_matches("AWSGlue.").to_string())
        })
        .collect()
}

#[tokio::test]
async fn a_database_is_read_before_it_is_created() {
    cinelake_testkit::needs!(Moto);
    let database = format!(
        "calls{}",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    );
    let glue = GlueCatalog::from_client(glue_client());
    recorder("reset-recording").await;
    recorder("start-recording").await;
    glue.ensure_database(&database).await.unwrap();
    glue.ensure_database(&database).await.unwrap();
    glue.ensure_database(&database).await.unwrap();
    recorder("stop-recording").await;
    let calls = calls_naming(&recorder("download-recording").await, &database);
    recorder("reset-recording").await;
    assert_eq!(
        calls.iter().filter(|c| *c == "CreateDatabase").count(),
        1,
        "{calls:?}"
    );
    assert_eq!(
        calls.iter().filter(|c| *c == "GetDatabase").count(),
        3,
        "{calls:?}"
    );
}
