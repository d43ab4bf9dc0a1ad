//! The command-line face of the upload stage. `cinelake-upload` (the container's
//! entrypoint) and `cinelake upload` share it. It turns flags into options, shows a
//! progress bar per file, and prints the report.

use std::collections::BTreeMap;
use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use anyhow::Context;
use cinelake_front::Progress;
use cinelake_lake::manifest::new_run_id;
use cinelake_lake::settings::LakeSettings;
use cinelake_lake::source::CsvKind;
use cinelake_lake::{PutFileOptions, Store};

use crate::{CheckOptions, FileOutcome, UploadOptions, UploadReport};

/// Smallest part S3 accepts in a multipart upload (the last part aside), in MiB.
const MIN_PART_MIB: usize = 5;

#[derive(Debug, Clone, PartialEq, clap::Args)]
pub struct UploadArgs {
    #[command(flatten)]
    pub lake: LakeSettings,

    /// Directory holding movies.csv and series.csv (the container mounts it at /data).
    #[arg(long, env = "CINELAKE_SOURCE_DIR", default_value = "./data")]
    pub source_dir: PathBuf,

    /// Upload only this file (movies or series); by default both must be present.
    #[arg(long)]
    pub only: Option<CsvKind>,

    /// Also stream every row and report rows with a wrong field count (the upload is
    /// unchanged: Raw keeps the file as it came).
    #[arg(long)]
    pub check_rows: bool,

    /// Accept a file with a header and no data rows.
    #[arg(long)]
    pub allow_empty: bool,

    /// Check the files and show where they would go, without writing anything.
    #[arg(long)]
    pub dry_run: bool,

    /// Multipart part size on S3, in MiB (at least 5).
    #[arg(long, env = "CINELAKE_UPLOAD_PART_MIB", default_value_t = 8,
          value_parser = clap::value_parser!(u64).range(MIN_PART_MIB as u64..))]
    pub part_mib: u64,

    /// Parts uploaded at once on S3.
    #[arg(long, env = "CINELAKE_UPLOAD_CONCURRENCY", default_value = "8")]
    pub concurrency: NonZeroUsize,

    /// Print the report as JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

impl UploadArgs {
    /// Both files of `source_dir` to the lake, with the defaults of the flags.
    pub fn new(lake: LakeSettings, source_dir: &Path) -> Self {
        UploadArgs {
            lake,
            source_dir: source_dir.to_path_buf(),
            only: None,
            check_rows: false,
            allow_empty: false,
            dry_run: false,
            part_mib: 8,
            concurrency: NonZeroUsize::new(8).expect("not zero"),
            json: false,
        }
    }

    pub fn options(&self) -> UploadOptions {
        let part_size = self.part_mib as usize * 1024 * 1024;
        UploadOptions {
            source_dir: self.source_dir.clone(),
            only: self.only,
            check: CheckOptions {
                allow_empty: self.allow_empty,
                check_rows: self.check_rows,
            },
            dry_run: self.dry_run,
            put: PutFileOptions {
                multipart_threshold: 2 * part_size as u64,
                part_size,
                concurrency: self.concurrency,
            },
        }
    }
}

/// Runs the stage and prints its report; an error means a non-zero exit.
pub async fn execute(args: &UploadArgs) -> anyhow::Result<UploadReport> {
    let store = Store::open(&args.lake.lake)
        .await
        .with_context(|| format!("opening lake {}", args.lake.lake))?;
    let run_id = new_run_id();
    let bars: Mutex<BTreeMap<CsvKind, (Progress, u64)>> = Mutex::new(BTreeMap::new());
    let report = crate::run_with_progress(
        &store,
        args.lake.processing_date(),
        &run_id,
        &args.options(),
        &|kind, sent, total| {
            let mut bars = bars.lock().unwrap_or_else(|p| p.into_inner());
            let (bar, done) = bars
                .entry(kind)
                .or_insert_with(|| (Progress::bytes(kind.file_name(), total), 0));
            *done += sent;
            bar.set(*done);
            if *done >= total {
                bar.finish();
            }
        },
    )
    .await?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_report(&report);
    }
    Ok(report)
}

fn print_report(report: &UploadReport) {
    let lake = report.lake.trim_end_matches('/');
    for f in &report.files {
        let what = match &f.outcome {
            FileOutcome::Uploaded { bytes, parts } => format!(
                "uploaded {} in {parts} part(s), {:.1} MB/s, sha256 verified",
                human_bytes(*bytes),
                *bytes as f64 / 1e6 / f.seconds.max(1e-6)
            ),
            FileOutcome::AlreadyPresent => {
                "identical object already there: 0 bytes uploaded".into()
            }
            FileOutcome::DryRun => format!("dry run: would upload {}", human_bytes(f.bytes)),
        };
        println!(
            "{} ({} rows) -> {lake}/{}: {what}",
            f.source.display(),
            f.data_rows,
            f.key
        );
        if f.bad_row_count > 0 {
            println!(
                "  {} row(s) with a wrong field count, first at line {}",
                f.bad_row_count,
                f.bad_rows.first().map(|b| b.line).unwrap_or(0)
            );
        }
    }
    println!(
        "uploaded {} in all (run {})",
        human_bytes(report.bytes_uploaded()),
        report.run_id
    );
}

fn human_bytes(n: u64) -> String {
    if n >= 1_000_000 {
        format!("{:.1} MB", n as f64 / 1e6)
    } else {
        format!("{n} bytes")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // The constructor repeats the flags' defaults; this keeps the two from drifting.
    #[test]
    fn the_constructor_is_the_flags_defaults() {
        let parsed: UploadArgs = cinelake_front::env::from_env(&["--source-dir", "d"]).unwrap();
        let built = UploadArgs::new(LakeSettings::at("./lake"), Path::new("d"));
        assert_eq!(parsed, built);
    }
}
