//! The lake as an S3 bucket (Amazon S3, or any S3-compatible server).
//!
//! Credentials and region come from the standard AWS chain. `AWS_ENDPOINT_URL` points
//! at another server. Then addressing is path-style, because such servers expect it.
//!
//! Large files go multipart, with concurrent parts. Every part carries its MD5, so the
//! server refuses corrupted bytes. The whole-object SHA-256 travels as metadata.

use std::path::Path;

use aws_config::BehaviorVersion;
use aws_config::meta::region::RegionProviderChain;
use aws_sdk_s3::Client;
use aws_sdk_s3::config::{RequestChecksumCalculation, ResponseChecksumValidation};
use aws_sdk_s3::error::{DisplayErrorContext, SdkError};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
use base64::Engine;
use bytes::Bytes;
use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;
use md5::Md5;
use sha2::{Digest, Sha256};
use tokio::io::AsyncReadExt;

use super::{FileDigest, ObjectInfo, PutFileOptions, PutFileOutcome};
use crate::{Error, Result};

/// The user-metadata name of the whole-object SHA-256 (`x-amz-meta-sha256`).
pub const SHA256_METADATA: &str = "sha256";

#[derive(Debug, Clone)]
pub struct S3Store {
    client: Client,
    bucket: String,
    prefix: String,
}

impl S3Store {
    /// Connects with the standard AWS configuration chain (environment, profile, IMDS).
    pub async fn connect(bucket: &str, prefix: &str) -> Result<S3Store> {
        let region = RegionProviderChain::default_provider().or_else("us-east-1");
        let shared = aws_config::defaults(BehaviorVersion::latest())
            .region(region)
            .load()
            .await;
        let custom_endpoint = std::env::var_os("AWS_ENDPOINT_URL_S3").is_some()
            || std::env::var_os("AWS_ENDPOINT_URL").is_some();
        let config = aws_sdk_s3::config::Builder::from(&shared)
            .force_path_style(custom_endpoint)
            // Content-MD5 and our own SHA-256 already guard the bytes; the SDK's default
            // trailing CRC32 is not understood by every S3-compatible server.
            .request_checksum_calculation(RequestChecksumCalculation::WhenRequired)
            .response_checksum_validation(ResponseChecksumValidation::WhenRequired)
            .build();
        Ok(S3Store::from_client(
            Client::from_conf(config),
            bucket,
            prefix,
        ))
    }

    /// Wraps an existing client (tests, or callers with their own configuration).
    pub fn from_client(client: Client, bucket: &str, prefix: &str) -> S3Store {
        let prefix = prefix.trim_matches('/');
        S3Store {
            client,
            bucket: bucket.to_string(),
            prefix: if prefix.is_empty() {
                String::new()
            } else {
                format!("{prefix}/")
            },
        }
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    /// The key prefix inside the bucket (empty, or ending in `/`).
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    pub fn url(&self) -> String {
        format!("s3://{}/{}", self.bucket, self.prefix.trim_end_matches('/'))
            .trim_end_matches('/')
            .to_string()
    }

    fn full_key(&self, key: &str) -> String {
        format!("{}{key}", self.prefix)
    }

    fn err<E, R>(&self, op: &'static str, key: &str, e: SdkError<E, R>) -> Error
    where
        E: std::error::Error + Send + Sync + 'static,
        R: std::fmt::Debug + Send + Sync + 'static,
    {
        Error::S3 {
            op,
            bucket: self.bucket.clone(),
            key: self.full_key(key),
            source: Box::new(e),
        }
    }

    pub(super) async fn put(&self, key: &str, body: Bytes) -> Result<()> {
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(self.full_key(key))
            .content_md5(md5_b64(&body))
            .body(ByteStream::from(body))
            .send()
            .await
            .map_err(|e| self.err("PutObject", key, e))?;
        Ok(())
    }

    pub(super) async fn put_if_absent(&self, key: &str, body: Bytes) -> Result<bool> {
        let sent = self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(self.full_key(key))
            .if_none_match("*")
            .content_md5(md5_b64(&body))
            .body(ByteStream::from(body))
            .send()
            .await;
        match sent {
            Ok(_) => Ok(true),
            // 412: the object exists; 409: a concurrent conditional write won the race.
            Err(e) if matches!(status(&e), Some(412 | 409)) => Ok(false),
            Err(e) => Err(self.err("PutObject(If-None-Match)", key, e)),
        }
    }

    pub(super) async fn get(&self, key: &str) -> Result<Bytes> {
        let body = self.get_body(key).await?;
        let body = body.collect().await.map_err(|e| Error::S3 {
            op: "GetObject (body)",
            bucket: self.bucket.clone(),
            key: self.full_key(key),
            source: Box::new(e),
        })?;
        Ok(body.into_bytes())
    }

    pub(super) async fn get_stream(&self, key: &str) -> Result<super::ObjectStream> {
        let body = self.get_body(key).await?;
        Ok(super::ObjectStream::s3(
            body,
            self.bucket.clone(),
            self.full_key(key),
        ))
    }

    async fn get_body(&self, key: &str) -> Result<aws_sdk_s3::primitives::ByteStream> {
        let out = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(self.full_key(key))
            .send()
            .await;
        match out {
            Ok(o) => Ok(o.body),
            Err(e) if status(&e) == Some(404) => Err(self.not_found(key)),
            Err(e) if status(&e) == Some(403) => {
                Err(self.missing_or_denied("GetObject", key, e).await)
            }
            Err(e) => Err(self.err("GetObject", key, e)),
        }
    }

    fn not_found(&self, key: &str) -> Error {
        Error::NotFound {
            lake: self.url(),
            key: key.to_string(),
        }
    }

    /// What a 403 on reading `key` means. S3 answers 403, not 404, for a key that does
    /// not exist when the caller may not list its prefix; the roles in `infra/` list
    /// only the prefixes they read, so a listing of the key tells the two apart: no such
    /// key listed is [`Error::NotFound`]; otherwise (the key exists, or the listing is
    /// refused too) the 403 stands, with what to grant.
    async fn missing_or_denied<E, R>(&self, op: &'static str, key: &str, e: SdkError<E, R>) -> Error
    where
        E: std::error::Error + Send + Sync + 'static,
        R: std::fmt::Debug + Send + Sync + 'static,
    {
        let full = self.full_key(key);
        let listed = self
            .client
            .list_objects_v2()
            .bucket(&self.bucket)
            .prefix(&full)
            .max_keys(1)
            .send()
            .await;
        match listed {
            Ok(page)
                if !page
                    .contents()
                    .iter()
                    .any(|o| o.key() == Some(full.as_str())) =>
            {
                self.not_found(key)
            }
            Ok(_) => Error::Denied {
                op,
                bucket: self.bucket.clone(),
                key: full,
                hint: "the object exists; grant s3:GetObject on it".into(),
                source: Box::new(e),
            },
            Err(listing) => Error::Denied {
                op,
                bucket: self.bucket.clone(),
                key: full,
                hint: format!(
                    "S3 answers 403 for a missing key too when its prefix may not be listed, \
                     and listing it failed ({}); grant s3:GetObject on the key and \
                     s3:ListBucket on its prefix",
                    crate::error::chain(&listing)
                ),
                source: Box::new(e),
            },
        }
    }

    pub(super) async fn head(&self, key: &str) -> Result<Option<ObjectInfo>> {
        Ok(self.head_full(key).await?.map(|(info, _)| info))
    }

    /// The object's info and its ETag (unquoted).
    async fn head_full(&self, key: &str) -> Result<Option<(ObjectInfo, String)>> {
        let out = self
            .client
            .head_object()
            .bucket(&self.bucket)
            .key(self.full_key(key))
            .send()
            .await;
        match out {
            Ok(o) => {
                let etag = o.e_tag().unwrap_or_default().trim_matches('"').to_string();
                let sha256 = o
                    .metadata()
                    .and_then(|m| m.get(SHA256_METADATA))
                    .map(|s| s.to_ascii_lowercase());
                let size = o.content_length().unwrap_or(0).max(0) as u64;
                Ok(Some((
                    ObjectInfo {
                        key: key.to_string(),
                        size,
                        sha256,
                    },
                    etag,
                )))
            }
            Err(e) if status(&e) == Some(404) => Ok(None),
            Err(e) if status(&e) == Some(403) => {
                match self.missing_or_denied("HeadObject", key, e).await {
                    Error::NotFound { .. } => Ok(None),
                    denied => Err(denied),
                }
            }
            Err(e) => Err(self.err("HeadObject", key, e)),
        }
    }

    pub(super) async fn list(&self, prefix: &str) -> Result<Vec<ObjectInfo>> {
        let mut pages = self
            .client
            .list_objects_v2()
            .bucket(&self.bucket)
            .prefix(self.full_key(prefix))
            .into_paginator()
            .send();
        let mut out = Vec::new();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| self.err("ListObjectsV2", prefix, e))?;
            for obj in page.contents() {
                let Some(full) = obj.key() else { continue };
                let Some(key) = full.strip_prefix(&self.prefix) else {
                    continue;
                };
                out.push(ObjectInfo {
                    key: key.to_string(),
                    size: obj.size().unwrap_or(0).max(0) as u64,
                    sha256: None,
                });
            }
        }
        Ok(out)
    }

    pub(super) async fn delete(&self, key: &str) -> Result<()> {
        self.client
            .delete_object()
            .bucket(&self.bucket)
            .key(self.full_key(key))
            .send()
            .await
            .map_err(|e| self.err("DeleteObject", key, e))?;
        Ok(())
    }

    pub(super) async fn put_file(
        &self,
        key: &str,
        path: &Path,
        expected: &FileDigest,
        options: &PutFileOptions,
        progress: &(dyn Fn(u64) + Sync),
    ) -> Result<PutFileOutcome> {
        let sha_hex = expected.sha256_hex();
        if let Some((info, _)) = self.head_full(key).await?
            && info.size == expected.size
            && info.sha256.as_deref() == Some(sha_hex.as_str())
        {
            return Ok(PutFileOutcome::AlreadyPresent);
        }
        let (expected_etag, parts) = if expected.size < options.multipart_threshold {
            self.put_single(key, path, expected, progress).await?
        } else {
            self.put_multipart(key, path, expected, options, progress)
                .await?
        };
        self.verify(key, expected, &expected_etag).await?;
        Ok(PutFileOutcome::Uploaded {
            bytes: expected.size,
            parts,
        })
    }

    async fn put_single(
        &self,
        key: &str,
        path: &Path,
        expected: &FileDigest,
        progress: &(dyn Fn(u64) + Sync),
    ) -> Result<(String, usize)> {
        let body = tokio::fs::read(path)
            .await
            .map_err(|e| Error::io("read", path, e))?;
        let sha: [u8; 32] = Sha256::digest(&body).into();
        if body.len() as u64 != expected.size || sha != expected.sha256 {
            return Err(changed(path, expected, body.len() as u64, &sha));
        }
        let md5 = Md5::digest(&body);
        let len = body.len() as u64;
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(self.full_key(key))
            .content_md5(base64::engine::general_purpose::STANDARD.encode(md5))
            .metadata(SHA256_METADATA, expected.sha256_hex())
            .body(ByteStream::from(body))
            .send()
            .await
            .map_err(|e| self.err("PutObject", key, e))?;
        progress(len);
        Ok((hex::encode(md5), 1))
    }

    async fn put_multipart(
        &self,
        key: &str,
        path: &Path,
        expected: &FileDigest,
        options: &PutFileOptions,
        progress: &(dyn Fn(u64) + Sync),
    ) -> Result<(String, usize)> {
        let created = self
            .client
            .create_multipart_upload()
            .bucket(&self.bucket)
            .key(self.full_key(key))
            .metadata(SHA256_METADATA, expected.sha256_hex())
            .send()
            .await
            .map_err(|e| self.err("CreateMultipartUpload", key, e))?;
        let Some(upload_id) = created.upload_id().map(str::to_string) else {
            return Err(Error::S3 {
                op: "CreateMultipartUpload",
                bucket: self.bucket.clone(),
                key: self.full_key(key),
                source: "the answer holds no UploadId".into(),
            });
        };
        let uploaded = self
            .upload_parts(key, &upload_id, path, expected, options, progress)
            .await;
        let parts = match uploaded {
            Ok(parts) => parts,
            Err(e) => {
                self.abort(key, &upload_id).await;
                return Err(e);
            }
        };
        // S3's multipart ETag is the MD5 of the parts' MD5s, then "-<count>".
        let mut composite = Md5::new();
        for (_, _, md5) in &parts {
            composite.update(md5);
        }
        let expected_etag = format!("{}-{}", hex::encode(composite.finalize()), parts.len());
        let completed = CompletedMultipartUpload::builder()
            .set_parts(Some(
                parts
                    .iter()
                    .map(|(n, etag, _)| {
                        CompletedPart::builder().part_number(*n).e_tag(etag).build()
                    })
                    .collect(),
            ))
            .build();
        let done = self
            .client
            .complete_multipart_upload()
            .bucket(&self.bucket)
            .key(self.full_key(key))
            .upload_id(&upload_id)
            .multipart_upload(completed)
            .send()
            .await;
        if let Err(e) = done {
            self.abort(key, &upload_id).await;
            return Err(self.err("CompleteMultipartUpload", key, e));
        }
        Ok((expected_etag, parts.len()))
    }

    /// Reads the file once, in order, hashing it, while up to `concurrency` parts travel.
    async fn upload_parts(
        &self,
        key: &str,
        upload_id: &str,
        path: &Path,
        expected: &FileDigest,
        options: &PutFileOptions,
        progress: &(dyn Fn(u64) + Sync),
    ) -> Result<Vec<(i32, String, [u8; 16])>> {
        let part_size = options.part_size.max(5 * 1024 * 1024);
        let concurrency = options.concurrency.get();
        let mut file = tokio::fs::File::open(path)
            .await
            .map_err(|e| Error::io("open", path, e))?;
        let mut sha = Sha256::new();
        let mut total = 0u64;
        let mut in_flight = FuturesUnordered::new();
        let mut done = Vec::new();
        let mut part_number = 0i32;
        loop {
            let mut buf = Vec::with_capacity(part_size);
            let n = (&mut file)
                .take(part_size as u64)
                .read_to_end(&mut buf)
                .await
                .map_err(|e| Error::io("read", path, e))?;
            if n == 0 {
                break;
            }
            sha.update(&buf);
            total += n as u64;
            part_number += 1;
            in_flight.push(self.upload_part(key, upload_id, part_number, Bytes::from(buf)));
            while in_flight.len() >= concurrency {
                if let Some(r) = in_flight.next().await {
                    let (n, etag, md5, len) = r?;
                    progress(len);
                    done.push((n, etag, md5));
                }
            }
            if n < part_size {
                break;
            }
        }
        while let Some(r) = in_flight.next().await {
            let (n, etag, md5, len) = r?;
            progress(len);
            done.push((n, etag, md5));
        }
        let sha: [u8; 32] = sha.finalize().into();
        if total != expected.size || sha != expected.sha256 {
            return Err(changed(path, expected, total, &sha));
        }
        done.sort_by_key(|(n, _, _)| *n);
        Ok(done)
    }

    async fn upload_part(
        &self,
        key: &str,
        upload_id: &str,
        part_number: i32,
        body: Bytes,
    ) -> Result<(i32, String, [u8; 16], u64)> {
        let md5: [u8; 16] = Md5::digest(&body).into();
        let len = body.len() as u64;
        let out = self
            .client
            .upload_part()
            .bucket(&self.bucket)
            .key(self.full_key(key))
            .upload_id(upload_id)
            .part_number(part_number)
            .content_md5(base64::engine::general_purpose::STANDARD.encode(md5))
            .body(ByteStream::from(body))
            .send()
            .await
            .map_err(|e| self.err("UploadPart", key, e))?;
        let etag = out.e_tag().unwrap_or_default().to_string();
        // A part stored with other bytes than were sent (a server that did not check the
        // Content-MD5) fails here, before the upload completes over the previous object.
        let stored = etag.trim_matches('"');
        if looks_like_md5_etag(stored) && !stored.eq_ignore_ascii_case(&hex::encode(md5)) {
            return Err(Error::Verification {
                key: self.full_key(key),
                reason: format!(
                    "UploadPart {part_number}: the server stored bytes with MD5 {stored}, \
                     not the {} sent",
                    hex::encode(md5)
                ),
            });
        }
        Ok((part_number, etag, md5, len))
    }

    async fn abort(&self, key: &str, upload_id: &str) {
        let aborted = self
            .client
            .abort_multipart_upload()
            .bucket(&self.bucket)
            .key(self.full_key(key))
            .upload_id(upload_id)
            .send()
            .await;
        match aborted {
            Ok(_) => tracing::warn!(key, upload_id, "multipart upload aborted"),
            Err(e) => tracing::error!(
                key,
                upload_id,
                error = %DisplayErrorContext(&e),
                "could not abort multipart upload; a bucket lifecycle rule must clean it"
            ),
        }
    }

    /// Reads the stored object's size, SHA-256 metadata and ETag back.
    async fn verify(&self, key: &str, expected: &FileDigest, expected_etag: &str) -> Result<()> {
        let fail = |reason: String| Error::Verification {
            key: self.full_key(key),
            reason,
        };
        let Some((info, etag)) = self.head_full(key).await? else {
            return Err(fail("object missing after upload".into()));
        };
        if info.size != expected.size {
            return Err(fail(format!(
                "stored {} bytes, expected {}",
                info.size, expected.size
            )));
        }
        let sha = expected.sha256_hex();
        if info.sha256.as_deref() != Some(sha.as_str()) {
            return Err(fail(format!(
                "sha256 metadata {:?}, expected {sha}",
                info.sha256
            )));
        }
        // An ETag that is not an MD5 (SSE-KMS, some servers) cannot be compared.
        if looks_like_md5_etag(&etag) && !etag.eq_ignore_ascii_case(expected_etag) {
            return Err(fail(format!("ETag {etag}, expected {expected_etag}")));
        }
        Ok(())
    }
}

fn looks_like_md5_etag(etag: &str) -> bool {
    let hash = etag.split_once('-').map(|(h, _)| h).unwrap_or(etag);
    hash.len() == 32 && hash.bytes().all(|b| b.is_ascii_hexdigit())
}

fn changed(path: &Path, expected: &FileDigest, size: u64, sha: &[u8; 32]) -> Error {
    Error::SourceChanged {
        path: path.to_path_buf(),
        reason: format!(
            "checked {} bytes with sha256 {}, read {size} bytes with sha256 {}",
            expected.size,
            expected.sha256_hex(),
            hex::encode(sha)
        ),
    }
}

fn md5_b64(body: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(Md5::digest(body))
}

fn status<E, R>(e: &SdkError<E, R>) -> Option<u16>
where
    R: HttpStatus,
{
    e.raw_response().map(HttpStatus::status_code)
}

/// The HTTP status of a raw SDK response.
trait HttpStatus {
    fn status_code(&self) -> u16;
}

impl HttpStatus for aws_sdk_s3::config::http::HttpResponse {
    fn status_code(&self) -> u16 {
        self.status().as_u16()
    }
}
