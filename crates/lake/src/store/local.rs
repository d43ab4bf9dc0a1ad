//! The lake as a directory on disk.
//!
//! Every write goes to a temporary file beside its target, is synced, then renamed
//! over it, so a reader or a crash sees the previous version or the new one, whole.

use std::fs;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::Bytes;
use sha2::{Digest, Sha256};

use super::{FileDigest, ObjectInfo, PutFileOutcome};
use crate::{Error, Result};

/// Marks files that are writes in progress; listings never show them.
const TMP_MARK: &str = ".cinelake-tmp-";

#[derive(Debug, Clone)]
pub struct LocalStore {
    root: PathBuf,
}

impl LocalStore {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        LocalStore { root: root.into() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn url(&self) -> String {
        self.root.display().to_string()
    }

    /// The root as an absolute path (the directory need not exist yet).
    pub fn absolute_root(&self) -> PathBuf {
        std::path::absolute(&self.root).unwrap_or_else(|_| self.root.clone())
    }

    /// The file behind a key (already checked by `Store`).
    pub fn path_of(&self, key: &str) -> PathBuf {
        key.split('/').fold(self.root.clone(), |p, seg| p.join(seg))
    }

    pub(super) async fn put(&self, key: &str, body: Bytes) -> Result<()> {
        let path = self.path_of(key);
        blocking(move || {
            let tmp = write_temp(&path, &body)?;
            rename(&tmp, &path)
        })
        .await
    }

    pub(super) async fn put_if_absent(&self, key: &str, body: Bytes) -> Result<bool> {
        let path = self.path_of(key);
        blocking(move || {
            let tmp = write_temp(&path, &body)?;
            // A hard link fails if the target exists and never exposes a partial file.
            let linked = fs::hard_link(&tmp, &path);
            let _ = fs::remove_file(&tmp);
            match linked {
                Ok(()) => Ok(true),
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(false),
                Err(e) => Err(Error::io("link", &path, e)),
            }
        })
        .await
    }

    pub(super) async fn get(&self, key: &str) -> Result<Bytes> {
        let path = self.path_of(key);
        let lake = self.url();
        let key = key.to_string();
        blocking(move || match fs::read(&path) {
            Ok(b) => Ok(Bytes::from(b)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Err(Error::NotFound { lake, key }),
            Err(e) => Err(Error::io("read", &path, e)),
        })
        .await
    }

    pub(super) async fn get_stream(&self, key: &str) -> Result<super::ObjectStream> {
        let path = self.path_of(key);
        match tokio::fs::File::open(&path).await {
            Ok(f) => Ok(super::ObjectStream::local(f, path)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Err(Error::NotFound {
                lake: self.url(),
                key: key.to_string(),
            }),
            Err(e) => Err(Error::io("read", &path, e)),
        }
    }

    pub(super) async fn head(&self, key: &str) -> Result<Option<ObjectInfo>> {
        let path = self.path_of(key);
        let key = key.to_string();
        blocking(move || match fs::metadata(&path) {
            Ok(m) if m.is_file() => Ok(Some(ObjectInfo {
                key,
                size: m.len(),
                sha256: None,
            })),
            Ok(_) => Ok(None),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Error::io("stat", &path, e)),
        })
        .await
    }

    pub(super) async fn list(&self, prefix: &str) -> Result<Vec<ObjectInfo>> {
        let root = self.root.clone();
        let prefix = prefix.to_string();
        blocking(move || {
            // Walk only the deepest directory the prefix names in full.
            let dir_part = prefix.rsplit_once('/').map(|(d, _)| d).unwrap_or("");
            let start = dir_part
                .split('/')
                .filter(|s| !s.is_empty())
                .fold(root.clone(), |p, s| p.join(s));
            let mut out = Vec::new();
            walk(&root, &start, &prefix, &mut out)?;
            Ok(out)
        })
        .await
    }

    /// Deletes the file, then the folders it leaves empty (up to the root): an object
    /// store has no folders, and a lake whose old versions are pruned on every run
    /// should not pile up empty ones.
    pub(super) async fn delete(&self, key: &str) -> Result<()> {
        let path = self.path_of(key);
        let root = self.root.clone();
        blocking(move || {
            match fs::remove_file(&path) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(Error::io("delete", &path, e)),
            }
            let mut dir = path.parent();
            while let Some(d) = dir.filter(|d| *d != root && d.starts_with(&root)) {
                // Fails, and so stops, at the first folder that still holds something.
                if fs::remove_dir(d).is_err() {
                    break;
                }
                dir = d.parent();
            }
            Ok(())
        })
        .await
    }

    pub(super) async fn put_file(
        &self,
        key: &str,
        source: &Path,
        expected: &FileDigest,
        progress: &(dyn Fn(u64) + Sync),
    ) -> Result<PutFileOutcome> {
        let target = self.path_of(key);
        let source = source.to_path_buf();
        let expected = expected.clone();
        // Progress is reported after the copy: the callback is not 'static.
        let (outcome, sent) = blocking(move || copy_verified(&source, &target, &expected)).await?;
        progress(sent);
        Ok(outcome)
    }
}

fn copy_verified(
    source: &Path,
    target: &Path,
    expected: &FileDigest,
) -> Result<(PutFileOutcome, u64)> {
    if let Ok(meta) = fs::metadata(target)
        && meta.is_file()
        && meta.len() == expected.size
        && hash_file(target)? == expected.sha256
    {
        return Ok((PutFileOutcome::AlreadyPresent, expected.size));
    }
    let parent = parent_dir(target)?;
    fs::create_dir_all(&parent).map_err(|e| Error::io("create directory", &parent, e))?;
    let tmp = temp_path(target);
    let result = (|| {
        let mut input = fs::File::open(source).map_err(|e| Error::io("open", source, e))?;
        let mut output = fs::File::create(&tmp).map_err(|e| Error::io("create", &tmp, e))?;
        let mut hasher = Sha256::new();
        let mut buf = vec![0u8; 1 << 20];
        let mut total = 0u64;
        loop {
            let n = input
                .read(&mut buf)
                .map_err(|e| Error::io("read", source, e))?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
            output
                .write_all(&buf[..n])
                .map_err(|e| Error::io("write", &tmp, e))?;
            total += n as u64;
        }
        let sha: [u8; 32] = hasher.finalize().into();
        if total != expected.size || sha != expected.sha256 {
            return Err(Error::SourceChanged {
                path: source.to_path_buf(),
                reason: format!(
                    "measured {} bytes, sha256 {}; copied {total} bytes, sha256 {}",
                    expected.size,
                    expected.sha256_hex(),
                    hex::encode(sha)
                ),
            });
        }
        output.sync_all().map_err(|e| Error::io("sync", &tmp, e))?;
        Ok(total)
    })();
    match result {
        Ok(total) => {
            rename(&tmp, target)?;
            Ok((
                PutFileOutcome::Uploaded {
                    bytes: total,
                    parts: 1,
                },
                total,
            ))
        }
        Err(e) => {
            let _ = fs::remove_file(&tmp);
            Err(e)
        }
    }
}

/// SHA-256 of a whole file.
pub fn hash_file(path: &Path) -> Result<[u8; 32]> {
    let mut f = fs::File::open(path).map_err(|e| Error::io("open", path, e))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf).map_err(|e| Error::io("read", path, e))?;
        if n == 0 {
            return Ok(hasher.finalize().into());
        }
        hasher.update(&buf[..n]);
    }
}

fn walk(root: &Path, dir: &Path, prefix: &str, out: &mut Vec<ObjectInfo>) -> Result<()> {
    let entries = match fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(Error::io("list", dir, e)),
    };
    for entry in entries {
        let entry = entry.map_err(|e| Error::io("list", dir, e))?;
        let path = entry.path();
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.contains(TMP_MARK) {
            continue;
        }
        let ft = entry.file_type().map_err(|e| Error::io("stat", &path, e))?;
        if ft.is_dir() {
            walk(root, &path, prefix, out)?;
        } else if ft.is_file() {
            let Ok(rel) = path.strip_prefix(root) else {
                continue;
            };
            let key = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy())
                .collect::<Vec<_>>()
                .join("/");
            if key.starts_with(prefix) {
                let size = entry
                    .metadata()
                    .map_err(|e| Error::io("stat", &path, e))?
                    .len();
                out.push(ObjectInfo {
                    key,
                    size,
                    sha256: None,
                });
            }
        }
    }
    Ok(())
}

fn parent_dir(path: &Path) -> Result<PathBuf> {
    path.parent()
        .map(Path::to_path_buf)
        .ok_or_else(|| Error::io("create directory", path, io::Error::other("no parent")))
}

fn temp_path(target: &Path) -> PathBuf {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    target.with_file_name(format!(".{name}{TMP_MARK}{}-{n}", std::process::id()))
}

fn write_temp(target: &Path, body: &[u8]) -> Result<PathBuf> {
    let parent = parent_dir(target)?;
    fs::create_dir_all(&parent).map_err(|e| Error::io("create directory", &parent, e))?;
    let tmp = temp_path(target);
    let written = (|| {
        let mut f = fs::File::create(&tmp)?;
        f.write_all(body)?;
        f.sync_all()
    })();
    match written {
        Ok(()) => Ok(tmp),
        Err(e) => {
            let _ = fs::remove_file(&tmp);
            Err(Error::io("write", &tmp, e))
        }
    }
}

fn rename(tmp: &Path, target: &Path) -> Result<()> {
    fs::rename(tmp, target).map_err(|e| {
        let _ = fs::remove_file(tmp);
        Error::io("rename", target, e)
    })
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T> + Send + 'static) -> Result<T> {
    match tokio::task::spawn_blocking(f).await {
        Ok(r) => r,
        Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        Err(e) => Err(Error::io(
            "run file task",
            "",
            io::Error::other(e.to_string()),
        )),
    }
}
