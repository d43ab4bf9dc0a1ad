//! The command-line face of stage 2, shared by `cinelake-ingest` and `cinelake ingest`.
//!
//! It turns flags into settings, shows a progress bar, and prints the summary.

use std::sync::Arc;

use anyhow::Context;
use cinelake_front::Progress;
use cinelake_lake::Store;
use cinelake_tmdb::Credentials;

use crate::settings::{IngestSettings, resolve_credentials};
use crate::{Summary, ingest};

#[derive(Debug, Clone, clap::Args)]
pub struct IngestArgs {
    #[command(flatten)]
    pub settings: IngestSettings,
    /// Print the summary as JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

/// Runs the stage from the command line and prints its summary.
pub async fn execute(args: &IngestArgs) -> anyhow::Result<Summary> {
    execute_with(args, resolve_credentials().await?).await
}

/// [`execute`] with credentials given (the demo passes its simulator's key).
pub async fn execute_with(args: &IngestArgs, credentials: Credentials) -> anyhow::Result<Summary> {
    let settings = &args.settings;
    let store = Store::open(&settings.lake.lake)
        .await
        .with_context(|| format!("opening lake {}", settings.lake.lake))?;
    let client = settings.tmdb.client(credentials)?;
    let mut opts = settings.options();
    let bar: Arc<std::sync::Mutex<Option<Progress>>> = Arc::new(std::sync::Mutex::new(None));
    let bar_for_progress = bar.clone();
    opts.progress = Some(Arc::new(move |done, total| {
        let mut guard = bar_for_progress.lock().unwrap_or_else(|p| p.into_inner());
        let p = guard.get_or_insert_with(|| Progress::count("films", total));
        p.set(done);
    }));
    let summary = ingest(&store, &client, &opts).await;
    if let Some(p) = bar.lock().unwrap_or_else(|p| p.into_inner()).take() {
        p.finish();
    }
    let summary = summary?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&summary)?);
    } else if let Some(holder) = &summary.busy_holder {
        println!("another ingestion ({holder}) is running on this lake; nothing done");
    } else {
        println!(
            "{} selected: {} fetched, {} not found on TMDB, {} failed (retried next run), {} remaining; \
             {} files, {} requests, {} retries, {:.1} s ({:?})",
            summary.selected,
            summary.fetched,
            summary.not_found,
            summary.failed,
            summary.remaining,
            summary.files,
            summary.requests,
            summary.retries,
            summary.duration_ms as f64 / 1000.0,
            summary.stop
        );
    }
    Ok(summary)
}
