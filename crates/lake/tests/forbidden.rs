//! Tests how the store reads a 403 from S3 for a key it may not read.
//!
//! S3 answers a read of a missing key with 403, not 404, when the caller may not list the
//! key's prefix. The roles in `infra/` list only the prefixes they read. No local S3
//! server enforces IAM. So this small HTTP server answers S3's REST protocol the way S3
//! does under such a policy, for just the calls the store makes. It gives 403 for every
//! read it does not allow, and it allows or refuses a listing. The tests show that the
//! store reads "missing" from a 403 only when a listing shows no such key. Otherwise the
//! store names the denial.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region};
use cinelake_lake::Store;
use cinelake_lake::store::S3Store;

const BUCKET: &str = "lake";

/// What the policy allows, and every request line seen.
struct Policy {
    /// Keys that exist.
    existing: BTreeSet<String>,
    /// Whether `s3:ListBucket` is granted.
    may_list: bool,
    seen: Mutex<Vec<String>>,
}

const DENIED: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\
    <Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>";

fn answer(policy: &Policy, target: &str) -> (u16, String) {
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let path = path.trim_matches('/');
    if path == BUCKET && query.contains("list-type=2") {
        if !policy.may_list {
            return (403, DENIED.to_string());
        }
        let prefix = query
            .split('&')
            .find_map(|p| p.strip_prefix("prefix="))
            .map(|p| p.replace("%2F", "/"))
            .unwrap_or_default();
        let contents: String = policy
            .existing
            .iter()
            .filter(|k| k.starts_with(&prefix))
            .map(|k| format!("<Contents><Key>{k}</Key><Size>2</Size></Contents>"))
            .collect();
        return (
            200,
            format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?><ListBucketResult>\
                 <Name>{BUCKET}</Name><Prefix>{prefix}</Prefix><KeyCount>0</KeyCount>\
                 <MaxKeys>1</MaxKeys><IsTruncated>false</IsTruncated>{contents}\
                 </ListBucketResult>"
            ),
        );
    }
    // Every object read is refused. The policy grants no s3:GetObject here, and S3 does
    // not say whether the key exists.
    (403, DENIED.to_string())
}

/// Serves S3 on 127.0.0.1 under `policy` and returns the endpoint.
fn serve(policy: Arc<Policy>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            if reader.read_line(&mut line).is_err() {
                continue;
            }
            let mut length = 0usize;
            loop {
                let mut header = String::new();
                if reader.read_line(&mut header).is_err() || header.trim().is_empty() {
                    break;
                }
                if let Some((name, value)) = header.split_once(':')
                    && name.eq_ignore_ascii_case("content-length")
                {
                    length = value.trim().parse().unwrap_or(0);
                }
            }
            let mut body = vec![0; length];
            let _ = reader.read_exact(&mut body);
            let mut parts = line.split_whitespace();
            let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
            policy
                .seen
                .lock()
                .unwrap()
                .push(format!("{method} {target}"));
            let (status, text) = answer(&policy, target);
            let reason = if status == 200 { "OK" } else { "Forbidden" };
            let body = if method == "HEAD" { "" } else { text.as_str() };
            let _ = write!(
                stream,
                "HTTP/1.1 {status} {reason}\r\ncontent-type: application/xml\r\n\
                 content-length: {}\r\nconnection: close\r\n\r\n{body}",
                if method == "HEAD" {
                    text.len()
                } else {
                    body.len()
                }
            );
        }
    });
    endpoint
}

fn store(existing: &[&str], may_list: bool) -> (Store, Arc<Policy>) {
    let policy = Arc::new(Policy {
        existing: existing.iter().map(|k| k.to_string()).collect(),
        may_list,
        seen: Mutex::new(Vec::new()),
    });
    let config = aws_sdk_s3::config::Builder::new()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(serve(policy.clone()))
        .force_path_style(true)
        .credentials_provider(Credentials::new("k", "s", None, None, "test"))
        .build();
    let client = aws_sdk_s3::Client::from_conf(config);
    (Store::S3(S3Store::from_client(client, BUCKET, "")), policy)
}

const CHECKPOINT: &str = "Raw/TMDB/_state/checkpoint.json";

#[tokio::test]
async fn a_403_for_a_key_the_listing_does_not_show_is_a_missing_key() {
    // A neighbour with the key as its prefix must not count as the key.
    let (store, policy) = store(&["Raw/TMDB/_state/checkpoint.json.tmp"], true);
    assert!(store.head(CHECKPOINT).await.unwrap().is_none());
    assert!(store.get_opt(CHECKPOINT).await.unwrap().is_none());
    let err = store.get(CHECKPOINT).await.unwrap_err();
    assert!(err.is_not_found(), "{err}");
    let seen = policy.seen.lock().unwrap().clone();
    assert!(
        seen.iter().any(|r| r.starts_with("GET /lake/?list-type=2")),
        "the store listed the key to tell missing from denied: {seen:?}"
    );
}

#[tokio::test]
async fn a_403_for_a_key_that_exists_is_a_denial_named_with_what_to_grant() {
    let (store, _) = store(&[CHECKPOINT], true);
    let err = store.head(CHECKPOINT).await.unwrap_err();
    assert!(!err.is_not_found());
    let text = err.to_string();
    assert!(
        text.contains("HeadObject s3://lake/Raw/TMDB/_state/checkpoint.json")
            && text.contains("access denied (403)")
            && text.contains("the object exists; grant s3:GetObject"),
        "{text}"
    );
    let err = store.get_opt(CHECKPOINT).await.unwrap_err();
    assert!(err.to_string().contains("GetObject s3://lake/"), "{err}");
}

#[tokio::test]
async fn a_403_with_the_listing_refused_too_is_an_error_not_a_guess() {
    // Without the listing, S3 does not say whether the key exists. Reading the checkpoint
    // as missing would start the ingestion over. So the 403 stays an error.
    let (store, _) = store(&[], false);
    let err = store.head(CHECKPOINT).await.unwrap_err();
    assert!(!err.is_not_found());
    let text = err.to_string();
    assert!(
        text.contains("access denied (403)") && text.contains("s3:ListBucket on its prefix"),
        "{text}"
    );
}
