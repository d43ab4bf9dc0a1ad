//! `cinelake demo`, which runs the whole pipeline on this machine.
//!
//! It makes sample data in the real format and starts the TMDB simulator on a free
//! local port. Then it runs upload, ingest, trusted, refined, the views and the
//! dashboard, on a directory lake with the local catalog.

use std::path::PathBuf;

use std::num::NonZeroUsize;

use anyhow::Context;
use cinelake_athena::AthenaSettings;
use cinelake_catalog::CatalogSettings;
use cinelake_ingest::cli::IngestArgs;
use cinelake_ingest::{IngestSettings, TmdbSettings};
use cinelake_lake::settings::LakeSettings;
use cinelake_query::cli::{DashboardArgs, SqlTarget, ViewsArgs};
use cinelake_refined::cli::{RefinedArgs, RefinedSettings};
use cinelake_sample::{SampleSpec, write_dir};
use cinelake_tmdb::{Credentials, Secret};
use cinelake_tmdb_sim::{self as sim, SimConfig};
use cinelake_trusted::cli::{TrustedArgs, TrustedSettings};
use cinelake_upload::cli::UploadArgs;

use crate::pipeline::{Stages, Steps};

/// The simulator's key: the demo's own, never a real one.
const DEMO_KEY: &str = "cinelake-demo-key";

#[derive(clap::Args)]
pub struct DemoArgs {
    /// Where the sample data, the lake and the dashboard go (reused by a rerun).
    #[arg(long, env = "CINELAKE_DEMO_DIR", default_value = "demo")]
    pub dir: PathBuf,
    /// The real sizes: 1,045,161 movie rows and 468,783 series rows.
    #[arg(long)]
    pub full: bool,
    /// Movie rows at the default scale.
    #[arg(long, default_value_t = 100_000, conflicts_with = "full")]
    pub movies_rows: u64,
    /// Series rows at the default scale.
    #[arg(long, default_value_t = 40_000, conflicts_with = "full")]
    pub series_rows: u64,
    /// Seed of the sample data and the simulator (the same seed, the same data).
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
}

pub async fn run(args: &DemoArgs) -> anyhow::Result<()> {
    let data = args.dir.join("data");
    let lake = args.dir.join("lake");
    let lake = lake.to_string_lossy().to_string();
    let dashboard = args.dir.join("dashboard.html");
    let spec = if args.full {
        SampleSpec {
            movies_rows: cinelake_sample::FULL_MOVIES_ROWS,
            series_rows: cinelake_sample::FULL_SERIES_ROWS,
            seed: args.seed,
            crlf: true,
        }
    } else {
        SampleSpec {
            movies_rows: args.movies_rows,
            series_rows: args.series_rows,
            seed: args.seed,
            crlf: true,
        }
    };
    let mut steps = Steps::new();

    steps
        .step(
            "sample data",
            async {
                let files = write_dir(&data, &spec)
                    .with_context(|| format!("writing sample data to {}", data.display()))?;
                for f in &files {
                    println!(
                        "{}: {} rows, {:.1} MB",
                        f.path.display(),
                        f.rows,
                        f.bytes as f64 / 1e6
                    );
                }
                Ok(files)
            },
            |files| {
                files
                    .iter()
                    .map(|f| format!("{} {} rows", f.path.display(), f.rows))
                    .collect::<Vec<_>>()
                    .join(", ")
            },
        )
        .await?;

    let mut config = SimConfig::synthetic(DEMO_KEY);
    if let sim::Source::Synthetic { seed, .. } = &mut config.source {
        *seed = args.seed;
    }
    let simulator = sim::start(config, ([127, 0, 0, 1], 0).into())
        .await
        .context("starting the TMDB simulator")?;
    let tmdb_url = simulator.base_url();
    println!("\nTMDB simulator listening on {tmdb_url}");

    let lake_settings = LakeSettings::at(&lake);
    let catalog = CatalogSettings::local();
    let mut tmdb = TmdbSettings::new(&tmdb_url);
    tmdb.rps = 1000.0;
    tmdb.concurrency = NonZeroUsize::new(32).context("a concurrency of 0")?;
    let ingest = IngestSettings::new(lake_settings.clone(), tmdb);
    // Refined decides the films of interest with the rule ingestion fetched them by.
    let selection = ingest.selection.clone();
    let stages = Stages {
        upload: Some(UploadArgs::new(lake_settings.clone(), &data)),
        ingest: IngestArgs {
            settings: ingest,
            json: false,
        },
        tmdb_credentials: Some(Credentials::ApiKey(Secret::new(DEMO_KEY))),
        trusted: TrustedArgs {
            settings: TrustedSettings::new(lake_settings.clone(), catalog.clone()),
            json: false,
        },
        refined: RefinedArgs {
            settings: RefinedSettings {
                selection,
                ..RefinedSettings::new(lake_settings, catalog.clone())
            },
            json: false,
        },
        views: ViewsArgs {
            target: SqlTarget::for_views(&lake, catalog.clone(), AthenaSettings::default()),
        },
        dashboard: Some(DashboardArgs {
            lake: lake.clone(),
            catalog,
            out: dashboard.clone(),
        }),
    };
    let result = stages.run(&mut steps).await;
    simulator.stop().await;
    result?;

    steps.print_summary();
    println!("\nOpen the dashboard: {}", absolute(&dashboard).display());
    println!("The lake is {lake}; run manifests are under {lake}/_runs/.");
    let me = std::env::current_exe()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|_| "cinelake".into());
    println!(
        "Ask it anything: {me} query --lake {lake} \"SELECT title, imdb_rating FROM v_best_films ORDER BY imdb_rating DESC LIMIT 10\""
    );
    Ok(())
}

fn absolute(p: &std::path::Path) -> PathBuf {
    std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf())
}
