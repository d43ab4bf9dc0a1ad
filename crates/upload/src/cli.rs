//! The command-line face of the upload stage, shared by `cinelake-upload` and
//! `cinelake upload`.

use std::path::PathBuf;

use anyhow::Context;
use cinelake_lake::config::LakeArgs;
use cinelake_lake::manifest::new_run_id;
use cinelake_lake::source::CsvKind;
use cinelake_lake::{PutFileOptions, Store};

use crate::{CheckOptions, FileOutcome, UploadOptions, UploadReport};

#[derive(Debug, Clone, clap::Args)]
pub struct UploadArgs {
    #[command(flatten)]
    pub lake: LakeArgs,

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
    #[arg(long, env = "CINELAKE_UPLOAD_PART_MIB", default_value_t = 8)]
    pub part_mib: usize,

    /// Parts uploaded at once on S3.
    #[arg(long, env = "CINELAKE_UPLOAD_CONCURRENCY", default_value_t = 8)]
    pub concurrency: usize,

    /// Print the report as JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

impl UploadArgs {
    pub fn options(&self) -> UploadOptions {
        let part_size = self.part_mib.max(5) * 1024 * 1024;
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
                concurrency: self.concurrency.max(1),
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
    let report = crate::run(
        &store,
        args.lake.processing_date(),
        &run_id,
        &args.options(),
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
