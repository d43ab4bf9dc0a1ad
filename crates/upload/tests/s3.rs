//! Tests uploading to real S3-protocol servers, SeaweedFS and moto, which the test
//! command starts. They cover multipart with verified checksums, idle reruns and aborts
//! on failure.

use cinelake_lake::layout::ProcessingDate;
use cinelake_lake::store::FileDigest;
use cinelake_lake::{PutFileOptions, Store};
use cinelake_sample::{SampleSpec, write_dir};
use cinelake_testkit::{S3Server, s3_lake};
use cinelake_upload::{CheckOptions, FileOutcome, UploadOptions, run};
use sha2::{Digest, Sha256};

fn small_parts() -> PutFileOptions {
    PutFileOptions {
        multipart_threshold: 6 * 1024 * 1024,
        part_size: 5 * 1024 * 1024,
        concurrency: std::num::NonZeroUsize::new(4).unwrap(),
    }
}

fn options(dir: &std::path::Path) -> UploadOptions {
    UploadOptions {
        source_dir: dir.to_path_buf(),
        only: None,
        check: CheckOptions::default(),
        dry_run: false,
        put: small_parts(),
    }
}

async fn multipart_verified_and_rerun_idle(server: S3Server) {
    let src = tempfile::tempdir().unwrap();
    // About 24 MB of movies (five parts) and 5 MB of series (one PutObject).
    write_dir(
        src.path(),
        &SampleSpec {
            movies_rows: 150_000,
            series_rows: 30_000,
            seed: 11,
            crlf: true,
        },
    )
    .unwrap();
    let (store, client, bucket) = s3_lake(server).await;
    let date: ProcessingDate = "2026-11-28".parse().unwrap();
    let report = run(&store, date, "r1", &options(src.path())).await.unwrap();
    let movies = &report.files[0];
    let series = &report.files[1];
    assert!(
        matches!(movies.outcome, FileOutcome::Uploaded { parts, .. } if parts >= 4),
        "{:?}",
        movies.outcome
    );
    assert_eq!(
        series.outcome,
        FileOutcome::Uploaded {
            bytes: series.bytes,
            parts: 1
        }
    );

    for f in &report.files {
        let source = std::fs::read(&f.source).unwrap();
        let stored = store.get(&f.key).await.unwrap();
        assert_eq!(stored.len(), source.len(), "{}", f.key);
        assert!(
            stored.as_ref() == source.as_slice(),
            "{}: bytes differ",
            f.key
        );
        let head = client
            .head_object()
            .bucket(&bucket)
            .key(&f.key)
            .send()
            .await
            .unwrap();
        let sha = hex(&Sha256::digest(&source));
        assert_eq!(
            head.metadata().unwrap().get("sha256"),
            Some(&sha),
            "{}",
            f.key
        );
    }

    let again = run(&store, date, "r2", &options(src.path())).await.unwrap();
    assert_eq!(again.bytes_uploaded(), 0);
    assert!(
        again
            .files
            .iter()
            .all(|f| f.outcome == FileOutcome::AlreadyPresent)
    );

    // The same upload to a directory lake gives identical bytes at the same key.
    let dir = tempfile::tempdir().unwrap();
    let local = Store::open(dir.path().to_str().unwrap()).await.unwrap();
    let local_report = run(&local, date, "r3", &options(src.path())).await.unwrap();
    for (a, b) in report.files.iter().zip(&local_report.files) {
        assert_eq!(a.key, b.key);
        assert!(local.get(&b.key).await.unwrap() == store.get(&a.key).await.unwrap());
    }
}

#[tokio::test]
async fn seaweedfs_multipart_verified_and_rerun_idle() {
    cinelake_testkit::needs!(SeaweedFs);
    multipart_verified_and_rerun_idle(S3Server::SeaweedFs).await;
}

#[tokio::test]
async fn moto_multipart_verified_and_rerun_idle() {
    cinelake_testkit::needs!(Moto);
    multipart_verified_and_rerun_idle(S3Server::Moto).await;
}

const KEY: &str = "Raw/x/big.bin";

/// A file of `mib` MiB of known bytes, the digest it was checked with, and a previous
/// object at [`KEY`] that a failed upload must leave as it is.
async fn checked_file_over_a_previous_object(
    store: &Store,
    dir: &std::path::Path,
    mib: u32,
) -> (std::path::PathBuf, FileDigest) {
    let path = dir.join("big.bin");
    let body: Vec<u8> = (0..mib * 1024 * 1024).map(|i| (i % 251) as u8).collect();
    std::fs::write(&path, &body).unwrap();
    store
        .put(KEY, bytes::Bytes::from_static(b"previous"))
        .await
        .unwrap();
    let checked = FileDigest {
        size: body.len() as u64,
        sha256: Sha256::digest(&body).into(),
    };
    (path, checked)
}

/// The previous object is still at [`KEY`], and no multipart upload is left dangling.
async fn assert_previous_kept(store: &Store, client: &aws_sdk_s3::Client, bucket: &str) {
    assert_eq!(store.get(KEY).await.unwrap().as_ref(), b"previous");
    let pending = client
        .list_multipart_uploads()
        .bucket(bucket)
        .send()
        .await
        .unwrap();
    assert!(
        pending.uploads().is_empty(),
        "dangling: {:?}",
        pending.uploads()
    );
}

/// A file that changes under the uploader, after it was checked and while its parts
/// travel, is never published. The bytes sent no longer hash to what was checked. So
/// the multipart upload is aborted, and the previous object stays.
async fn changed_source_is_aborted(server: S3Server) {
    let (store, client, bucket) = s3_lake(server).await;
    let dir = tempfile::tempdir().unwrap();
    // Eight parts of 5 MiB, two travelling at a time. The first progress report comes
    // when the first part is sent. By then at most three parts have been read, and the
    // last is still on disk.
    let (path, checked) = checked_file_over_a_previous_object(&store, dir.path(), 40).await;
    let options = PutFileOptions {
        concurrency: std::num::NonZeroUsize::new(2).unwrap(),
        ..small_parts()
    };
    let changed = std::sync::atomic::AtomicBool::new(false);
    let change_the_tail = |_sent: u64| {
        if !changed.swap(true, std::sync::atomic::Ordering::SeqCst) {
            use std::io::{Seek, SeekFrom, Write};
            let mut f = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
            f.seek(SeekFrom::Start(38 * 1024 * 1024)).unwrap();
            f.write_all(b"edited while uploading").unwrap();
        }
    };
    let err = store
        .put_file(KEY, &path, &checked, &options, &change_the_tail)
        .await
        .unwrap_err();
    assert!(changed.into_inner(), "the upload reported no progress");
    let msg = err.to_string();
    assert!(
        msg.contains("big.bin changed while it was being uploaded"),
        "{msg}"
    );
    assert_previous_kept(&store, &client, &bucket).await;
}

#[tokio::test]
async fn seaweedfs_changed_source_is_aborted() {
    cinelake_testkit::needs!(SeaweedFs);
    changed_source_is_aborted(S3Server::SeaweedFs).await;
}

#[tokio::test]
async fn moto_changed_source_is_aborted() {
    cinelake_testkit::needs!(Moto);
    changed_source_is_aborted(S3Server::Moto).await;
}

#[tokio::test]
async fn store_basics_on_both_servers() {
    cinelake_testkit::needs!(SeaweedFs, Moto);
    for server in S3Server::ALL {
        let (store, _, _) = s3_lake(server).await;
        assert!(store.get_opt("a/b.json").await.unwrap().is_none());
        let err = store.get("a/b.json").await.unwrap_err();
        assert!(err.is_not_found(), "{server:?}: {err}");
        store.put("a/b.json", "1".into()).await.unwrap();
        store.put("a/c/d.json", "2".into()).await.unwrap();
        store.put("z.json", "3".into()).await.unwrap();
        let keys: Vec<String> = store
            .list("a/")
            .await
            .unwrap()
            .into_iter()
            .map(|o| o.key)
            .collect();
        assert_eq!(keys, ["a/b.json", "a/c/d.json"], "{server:?}");
        assert!(
            store.put_if_absent("lease", "one".into()).await.unwrap(),
            "{server:?}"
        );
        assert!(
            !store.put_if_absent("lease", "two".into()).await.unwrap(),
            "{server:?}"
        );
        assert_eq!(store.get("lease").await.unwrap().as_ref(), b"one");
        store.delete("a/b.json").await.unwrap();
        store.delete("a/b.json").await.unwrap();
        assert!(store.head("a/b.json").await.unwrap().is_none());
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Forwards every request to `target`, flipping one byte in the middle of the body of
/// part 2 of any multipart upload, as a bad network card would.
async fn corrupting_proxy(target: String) -> String {
    use axum::body::{Body, to_bytes};
    use axum::extract::{Request, State};
    use axum::response::Response;

    async fn forward(State(target): State<String>, req: Request) -> Response {
        let (parts, body) = req.into_parts();
        let mut bytes = to_bytes(body, usize::MAX).await.unwrap().to_vec();
        let query = parts.uri.query().unwrap_or_default();
        if parts.method == axum::http::Method::PUT && query.contains("partNumber=2") {
            let middle = bytes.len() / 2;
            bytes[middle] ^= 0xff;
        }
        let url = format!("{target}{}", parts.uri);
        let mut out = reqwest::Client::new().request(parts.method.clone(), url);
        for (name, value) in &parts.headers {
            if name != axum::http::header::HOST {
                out = out.header(name, value);
            }
        }
        let answer = out.body(bytes).send().await.unwrap();
        let mut response = Response::builder().status(answer.status());
        for (name, value) in answer.headers() {
            response = response.header(name, value);
        }
        response
            .body(Body::from(answer.bytes().await.unwrap()))
            .unwrap()
    }

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = axum::Router::new().fallback(forward).with_state(target);
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}")
}

/// A part the server refuses, because its bytes no longer match their checksums, fails
/// the upload. The error names the call and the key. The upload is aborted and the
/// previous object stays.
async fn refused_part_is_aborted(server: S3Server) {
    let (client, bucket) = cinelake_testkit::fresh_bucket(server).await;
    let proxied = cinelake_testkit::s3_client(&corrupting_proxy(server.endpoint()).await);
    let store = Store::S3(cinelake_lake::store::S3Store::from_client(
        proxied, &bucket, "",
    ));
    let dir = tempfile::tempdir().unwrap();
    let (path, checked) = checked_file_over_a_previous_object(&store, dir.path(), 13).await;
    let err = store
        .put_file(KEY, &path, &checked, &small_parts(), &|_| {})
        .await
        .unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("UploadPart") && msg.contains(KEY), "{msg}");
    assert_previous_kept(&store, &client, &bucket).await;
}

#[tokio::test]
async fn seaweedfs_refused_part_is_aborted() {
    cinelake_testkit::needs!(SeaweedFs);
    refused_part_is_aborted(S3Server::SeaweedFs).await;
}

#[tokio::test]
async fn moto_refused_part_is_aborted() {
    cinelake_testkit::needs!(Moto);
    refused_part_is_aborted(S3Server::Moto).await;
}
