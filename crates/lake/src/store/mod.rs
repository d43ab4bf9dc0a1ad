//! The `Store`, one API to put, get, list and delete objects over two backends.
//!
//! `--lake s3://bucket[/prefix]` is Amazon S3, or any S3-compatible server named by
//! `AWS_ENDPOINT_URL`. Anything else is a directory on disk. Stages only ever see
//! [`Store`], so they run unchanged on both.

mod local;
mod s3;
mod stream;

use std::num::NonZeroUsize;
use std::path::Path;

use bytes::Bytes;

pub use local::LocalStore;
pub use s3::S3Store;
pub use stream::ObjectStream;

use crate::{Error, Result};

/// What the lake knows of one object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectInfo {
    pub key: String,
    pub size: u64,
    /// The whole-object SHA-256 (hex) when the object carries it as metadata.
    pub sha256: Option<String>,
}

/// The size and SHA-256 of a file, measured by the caller before uploading it; the
/// store re-hashes what it actually sends and refuses to publish on any difference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileDigest {
    pub size: u64,
    pub sha256: [u8; 32],
}

impl FileDigest {
    pub fn sha256_hex(&self) -> String {
        hex::encode(self.sha256)
    }
}

/// How large files travel to S3.
#[derive(Debug, Clone, Copy)]
pub struct PutFileOptions {
    /// Files of at least this many bytes go multipart.
    pub multipart_threshold: u64,
    /// Bytes per part (S3 needs at least 5 MiB for all but the last).
    pub part_size: usize,
    /// Parts in flight at once; memory held is about `part_size * concurrency`.
    pub concurrency: NonZeroUsize,
}

impl Default for PutFileOptions {
    fn default() -> Self {
        PutFileOptions {
            multipart_threshold: 16 * 1024 * 1024,
            part_size: 8 * 1024 * 1024,
            concurrency: NonZeroUsize::new(8).expect("not zero"),
        }
    }
}

/// What [`Store::put_file`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PutFileOutcome {
    /// An identical object (same size and SHA-256) was already at the key.
    AlreadyPresent,
    Uploaded {
        bytes: u64,
        parts: usize,
    },
}

/// The lake, on disk or on S3.
#[derive(Debug, Clone)]
pub enum Store {
    Local(LocalStore),
    S3(S3Store),
}

impl Store {
    /// Opens the lake a URL names: `s3://bucket[/prefix]`, or a directory path.
    pub async fn open(url: &str) -> Result<Store> {
        let url = url.trim();
        if url.is_empty() {
            return Err(Error::InvalidUrl {
                url: url.to_string(),
                reason: "empty".into(),
            });
        }
        if let Some(rest) = url.strip_prefix("s3://") {
            let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
            if bucket.is_empty() {
                return Err(Error::InvalidUrl {
                    url: url.to_string(),
                    reason: "no bucket name after s3://".into(),
                });
            }
            return Ok(Store::S3(S3Store::connect(bucket, prefix).await?));
        }
        if url.contains("://") && !url.starts_with("file://") {
            return Err(Error::InvalidUrl {
                url: url.to_string(),
                reason: "expected s3://bucket[/prefix] or a directory path".into(),
            });
        }
        let path = url.strip_prefix("file://").unwrap_or(url);
        Ok(Store::Local(LocalStore::new(path)))
    }

    /// The URL this store was opened with, for logs and manifests.
    pub fn url(&self) -> String {
        match self {
            Store::Local(s) => s.url(),
            Store::S3(s) => s.url(),
        }
    }

    /// The URL catalogs and Athena use for a key or key prefix: `s3://bucket/...` on S3,
    /// `file:///absolute/path/...` on disk.
    pub fn location(&self, key: &str) -> String {
        match self {
            Store::Local(s) => format!("file://{}/{key}", s.absolute_root().display()),
            Store::S3(s) => format!("s3://{}/{}{key}", s.bucket(), s.prefix()),
        }
    }

    /// The key a [`Store::location`] URL names, if it is inside this lake.
    pub fn key_of_location(&self, location: &str) -> Option<String> {
        let base = self.location("");
        location.strip_prefix(&base).map(str::to_string)
    }

    /// Writes an object whole; a reader sees the old bytes or the new, never a mix.
    pub async fn put(&self, key: &str, body: Bytes) -> Result<()> {
        check_key(key)?;
        match self {
            Store::Local(s) => s.put(key, body).await,
            Store::S3(s) => s.put(key, body).await,
        }
    }

    /// Writes an object only if none exists at the key; `Ok(false)` when one did.
    pub async fn put_if_absent(&self, key: &str, body: Bytes) -> Result<bool> {
        check_key(key)?;
        match self {
            Store::Local(s) => s.put_if_absent(key, body).await,
            Store::S3(s) => s.put_if_absent(key, body).await,
        }
    }

    /// Reads a whole object; [`Error::NotFound`] if there is none.
    pub async fn get(&self, key: &str) -> Result<Bytes> {
        check_key(key)?;
        match self {
            Store::Local(s) => s.get(key).await,
            Store::S3(s) => s.get(key).await,
        }
    }

    /// Reads an object piece by piece; [`Error::NotFound`] if there is none.
    pub async fn get_stream(&self, key: &str) -> Result<ObjectStream> {
        check_key(key)?;
        match self {
            Store::Local(s) => s.get_stream(key).await,
            Store::S3(s) => s.get_stream(key).await,
        }
    }

    /// Reads a whole object, or `None` if there is none.
    pub async fn get_opt(&self, key: &str) -> Result<Option<Bytes>> {
        match self.get(key).await {
            Ok(b) => Ok(Some(b)),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }

    pub async fn head(&self, key: &str) -> Result<Option<ObjectInfo>> {
        check_key(key)?;
        match self {
            Store::Local(s) => s.head(key).await,
            Store::S3(s) => s.head(key).await,
        }
    }

    /// Every object whose key starts with `prefix`, sorted by key.
    pub async fn list(&self, prefix: &str) -> Result<Vec<ObjectInfo>> {
        let mut out = match self {
            Store::Local(s) => s.list(prefix).await?,
            Store::S3(s) => s.list(prefix).await?,
        };
        out.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(out)
    }

    /// Deletes an object; deleting one that is not there is not an error.
    pub async fn delete(&self, key: &str) -> Result<()> {
        check_key(key)?;
        match self {
            Store::Local(s) => s.delete(key).await,
            Store::S3(s) => s.delete(key).await,
        }
    }

    /// Puts a file byte for byte at `key`, skipping the transfer when an identical object
    /// is already there. The bytes sent are hashed again on the way and must match
    /// `expected`, or nothing is published. `progress` receives bytes as they go.
    pub async fn put_file(
        &self,
        key: &str,
        path: &Path,
        expected: &FileDigest,
        options: &PutFileOptions,
        progress: &(dyn Fn(u64) + Sync),
    ) -> Result<PutFileOutcome> {
        check_key(key)?;
        match self {
            Store::Local(s) => s.put_file(key, path, expected, progress).await,
            Store::S3(s) => s.put_file(key, path, expected, options, progress).await,
        }
    }
}

/// Keys are relative, `/`-separated, and never climb out of the lake.
fn check_key(key: &str) -> Result<()> {
    let bad = |reason: &str| {
        Err(Error::InvalidKey {
            key: key.to_string(),
            reason: reason.to_string(),
        })
    };
    if key.is_empty() {
        return bad("empty");
    }
    if key.starts_with('/') || key.ends_with('/') {
        return bad("must not start or end with '/'");
    }
    if key.contains('\\') || key.contains('\0') {
        return bad("must not contain '\\' or NUL");
    }
    if key
        .split('/')
        .any(|seg| seg.is_empty() || seg == "." || seg == "..")
    {
        return bad("empty, '.' or '..' path segment");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_that_escape_or_are_malformed_are_refused() {
        for key in ["", "/a", "a/", "a//b", "a/../b", "..", "a\\b", "./a"] {
            assert!(check_key(key).is_err(), "{key:?} accepted");
        }
        assert!(check_key("Raw/Local/CSV/Movies/2026/01/02/movies.csv").is_ok());
    }

    #[tokio::test]
    async fn deleting_the_last_file_of_a_local_folder_removes_the_folder() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path().to_str().unwrap()).await.unwrap();
        store
            .put("T/a/v1/part.parquet", Bytes::from_static(b"1"))
            .await
            .unwrap();
        store
            .put("T/a/v2/part.parquet", Bytes::from_static(b"2"))
            .await
            .unwrap();
        store.delete("T/a/v1/part.parquet").await.unwrap();
        assert!(!dir.path().join("T/a/v1").exists());
        assert!(dir.path().join("T/a/v2/part.parquet").exists());
        store.delete("T/a/v2/part.parquet").await.unwrap();
        assert!(!dir.path().join("T").exists());
        assert!(dir.path().exists(), "the lake itself stays");
        store.delete("T/a/v2/part.parquet").await.unwrap();
    }

    #[tokio::test]
    async fn urls_choose_the_backend() {
        assert!(matches!(
            Store::open("./lake").await.unwrap(),
            Store::Local(_)
        ));
        assert!(matches!(
            Store::open("file:///tmp/x").await.unwrap(),
            Store::Local(_)
        ));
        let err = Store::open("s3://").await.unwrap_err();
        assert!(err.to_string().contains("no bucket"), "{err}");
        let err = Store::open("gs://bucket").await.unwrap_err();
        assert!(err.to_string().contains("gs://bucket"), "{err}");
    }
}
