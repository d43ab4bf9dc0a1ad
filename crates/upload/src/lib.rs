//! Stage 1, upload, puts `movies.csv` and `series.csv` in the Raw zone, byte for byte,
//! at `Raw/Local/CSV/{Movies,Series}/YYYY/MM/DD/`.
//!
//! Both files are checked before anything is written ([`check`]). If either is refused,
//! nothing is uploaded. So Raw never holds one day's movies without its series by
//! accident. `--only` uploads one deliberately. A rerun with the same bytes uploads
//! nothing.

pub mod check;
pub mod cli;

use std::path::{Path, PathBuf};
use std::time::Instant;

use cinelake_lake::layout::{self, ProcessingDate};
use cinelake_lake::manifest::{Entry, RunRecorder};
use cinelake_lake::source::CsvKind;
use cinelake_lake::{PutFileOptions, PutFileOutcome, Store};
use tracing::Instrument;

pub use check::{BadRow, CheckError, CheckOptions, CheckedFile, check_file};

pub const STAGE: &str = "upload";

#[derive(Debug, Clone)]
pub struct UploadOptions {
    /// The directory holding the source files (the container's `/data` volume).
    pub source_dir: PathBuf,
    /// Upload only this file; by default both are required.
    pub only: Option<CsvKind>,
    pub check: CheckOptions,
    /// Check and report, but write nothing.
    pub dry_run: bool,
    pub put: PutFileOptions,
}

/// What happened to one file.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FileOutcome {
    Uploaded { bytes: u64, parts: usize },
    AlreadyPresent,
    DryRun,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct FileReport {
    pub kind: String,
    pub source: PathBuf,
    pub key: String,
    pub bytes: u64,
    pub sha256: String,
    pub data_rows: u64,
    pub bad_rows: Vec<BadRow>,
    pub bad_row_count: u64,
    pub outcome: FileOutcome,
    pub seconds: f64,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct UploadReport {
    pub run_id: String,
    pub lake: String,
    pub files: Vec<FileReport>,
}

impl UploadReport {
    pub fn bytes_uploaded(&self) -> u64 {
        self.files
            .iter()
            .map(|f| match f.outcome {
                FileOutcome::Uploaded { bytes, .. } => bytes,
                _ => 0,
            })
            .sum()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    #[error("{}", refused_message(.0))]
    Refused(Vec<CheckError>),
    #[error("uploading {path} to {key}: {source}")]
    Store {
        path: PathBuf,
        key: String,
        #[source]
        source: cinelake_lake::Error,
    },
    #[error("writing the run manifest: {0}")]
    Manifest(#[source] cinelake_lake::Error),
}

fn refused_message(errors: &[CheckError]) -> String {
    let mut msg = String::from("refused, nothing uploaded:");
    for e in errors {
        msg.push_str("\n  - ");
        msg.push_str(&e.to_string());
    }
    msg
}

/// Hears of bytes sent, as (file, bytes just sent, the file's size). The front end
/// draws it. The library only reports.
pub type OnBytes<'a> = dyn Fn(CsvKind, u64, u64) + Send + Sync + 'a;

/// Checks every file first, then uploads them in turn and records the run.
pub async fn run(
    store: &Store,
    date: ProcessingDate,
    run_id: &str,
    opts: &UploadOptions,
) -> Result<UploadReport, UploadError> {
    run_with_progress(store, date, run_id, opts, &|_, _, _| {}).await
}

/// [`run`], reporting the bytes sent to `progress`; every log line of the run carries
/// its stage and run id.
pub async fn run_with_progress(
    store: &Store,
    date: ProcessingDate,
    run_id: &str,
    opts: &UploadOptions,
    progress: &OnBytes<'_>,
) -> Result<UploadReport, UploadError> {
    let span = tracing::info_span!("run", stage = STAGE, run_id = %run_id);
    run_in_span(store, date, run_id, opts, progress)
        .instrument(span)
        .await
}

async fn run_in_span(
    store: &Store,
    date: ProcessingDate,
    run_id: &str,
    opts: &UploadOptions,
    progress: &OnBytes<'_>,
) -> Result<UploadReport, UploadError> {
    let kinds: Vec<CsvKind> = match opts.only {
        Some(k) => vec![k],
        None => CsvKind::ALL.to_vec(),
    };
    let checked = check_all(&opts.source_dir, &kinds, opts.check).await?;
    for c in &checked {
        log_check(c);
    }

    let mut recorder = RunRecorder::start(STAGE, run_id, date, store);
    let mut files = Vec::new();
    for c in &checked {
        let key = layout::raw_csv_key(c.kind, date);
        let started = Instant::now();
        let outcome = if opts.dry_run {
            FileOutcome::DryRun
        } else {
            match put(store, &key, c, &opts.put, progress).await {
                Ok(o) => o,
                Err(source) => {
                    let err = UploadError::Store {
                        path: c.path.clone(),
                        key: key.clone(),
                        source,
                    };
                    // The failure is worth recording, but the upload error is the news.
                    let _ = recorder.finish(store, Some(err.to_string())).await;
                    return Err(err);
                }
            }
        };
        let seconds = started.elapsed().as_secs_f64();
        log_outcome(store, &key, c, &outcome, seconds);
        recorder.input(Entry {
            key: c.path.display().to_string(),
            bytes: Some(c.digest.size),
            rows: Some(c.data_rows),
            sha256: Some(c.digest.sha256_hex()),
            note: None,
        });
        recorder.output(Entry {
            key: key.clone(),
            bytes: Some(c.digest.size),
            rows: Some(c.data_rows),
            sha256: Some(c.digest.sha256_hex()),
            note: Some(match &outcome {
                FileOutcome::Uploaded { parts, .. } => format!("uploaded in {parts} part(s)"),
                FileOutcome::AlreadyPresent => "already present, identical".into(),
                FileOutcome::DryRun => "dry run".into(),
            }),
        });
        if let FileOutcome::Uploaded { bytes, .. } = outcome {
            recorder.count("bytes_uploaded", bytes);
        }
        recorder.count(&format!("{}_rows", c.kind), c.data_rows);
        files.push(FileReport {
            kind: c.kind.to_string(),
            source: c.path.clone(),
            key,
            bytes: c.digest.size,
            sha256: c.digest.sha256_hex(),
            data_rows: c.data_rows,
            bad_rows: c.bad_rows.clone(),
            bad_row_count: c.bad_row_count,
            outcome,
            seconds,
        });
    }
    if !opts.dry_run {
        recorder
            .finish(store, None)
            .await
            .map_err(UploadError::Manifest)?;
    }
    Ok(UploadReport {
        run_id: run_id.to_string(),
        lake: store.url(),
        files,
    })
}

async fn check_all(
    dir: &Path,
    kinds: &[CsvKind],
    opts: CheckOptions,
) -> Result<Vec<CheckedFile>, UploadError> {
    let mut checked = Vec::new();
    let mut errors = Vec::new();
    for &kind in kinds {
        let path = dir.join(kind.file_name());
        let result = tokio::task::spawn_blocking(move || check_file(kind, &path, opts)).await;
        match result {
            Ok(Ok(c)) => checked.push(c),
            Ok(Err(e)) => errors.push(e),
            Err(join) => std::panic::resume_unwind(join.into_panic()),
        }
    }
    if errors.is_empty() {
        Ok(checked)
    } else {
        Err(UploadError::Refused(errors))
    }
}

async fn put(
    store: &Store,
    key: &str,
    c: &CheckedFile,
    opts: &PutFileOptions,
    progress: &OnBytes<'_>,
) -> cinelake_lake::Result<FileOutcome> {
    let outcome = store
        .put_file(key, &c.path, &c.digest, opts, &|n| {
            progress(c.kind, n, c.digest.size)
        })
        .await;
    Ok(match outcome? {
        PutFileOutcome::AlreadyPresent => FileOutcome::AlreadyPresent,
        PutFileOutcome::Uploaded { bytes, parts } => FileOutcome::Uploaded { bytes, parts },
    })
}

fn log_check(c: &CheckedFile) {
    tracing::info!(
        file = %c.path.display(),
        bytes = c.digest.size,
        rows = c.data_rows,
        line_ending = ?c.line_ending,
        sha256 = %c.digest.sha256_hex(),
        "checked"
    );
    if c.bad_row_count > 0 {
        let listed: Vec<String> = c
            .bad_rows
            .iter()
            .map(|b| format!("line {} has {} fields", b.line, b.fields))
            .collect();
        tracing::warn!(
            file = %c.path.display(),
            bad_rows = c.bad_row_count,
            expected_fields = c.kind.column_count(),
            first = %listed.join("; "),
            "rows with a wrong field count (uploaded unchanged; the trusted stage quarantines them)"
        );
    }
}

fn log_outcome(store: &Store, key: &str, c: &CheckedFile, outcome: &FileOutcome, seconds: f64) {
    let dest = format!("{}/{key}", store.url().trim_end_matches('/'));
    match outcome {
        FileOutcome::Uploaded { bytes, parts } => tracing::info!(
            file = %c.path.display(),
            dest = %dest,
            bytes,
            parts,
            seconds,
            "uploaded and verified"
        ),
        FileOutcome::AlreadyPresent => tracing::info!(
            file = %c.path.display(),
            dest = %dest,
            "identical object already in place; 0 bytes uploaded"
        ),
        FileOutcome::DryRun => tracing::info!(
            file = %c.path.display(),
            dest = %dest,
            "dry run: would upload"
        ),
    }
}
