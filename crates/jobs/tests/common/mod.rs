//! Gives the jobs' tests a directory lake with sample CSVs uploaded, and the function's
//! handler over it with the local catalog.

// Each test file uses a part of this module.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use cinelake_athena::AthenaSettings;
use cinelake_catalog::CatalogSettings;
use cinelake_jobs::{Handler, JobsSettings};
use cinelake_lake::Store;
use cinelake_lake::layout::ProcessingDate;
use cinelake_lake::settings::LakeSettings;
use cinelake_refined::cli::RefinedSettings;
use cinelake_sample::{SampleSpec, write_dir};
use cinelake_trusted::cli::TrustedSettings;
use cinelake_upload::{CheckOptions, UploadOptions};

/// The day the sample CSVs are uploaded under.
pub const UPLOADED: &str = "2026-11-01";

/// A lake under `dir/lake` holding sample CSVs of these sizes, uploaded under
/// [`UPLOADED`]. It returns the lake's path, URL and store.
pub async fn uploaded_lake(
    dir: &Path,
    movies_rows: u64,
    series_rows: u64,
    seed: u64,
) -> (PathBuf, String, Store) {
    let lake = dir.join("lake");
    let lake_url = lake.to_str().unwrap().to_string();
    let store = Store::open(&lake_url).await.unwrap();
    let data = dir.join("data");
    write_dir(
        &data,
        &SampleSpec {
            movies_rows,
            series_rows,
            seed,
            crlf: false,
        },
    )
    .unwrap();
    let upload = UploadOptions {
        source_dir: data,
        only: None,
        check: CheckOptions::default(),
        dry_run: false,
        put: Default::default(),
    };
    let today: ProcessingDate = UPLOADED.parse().unwrap();
    cinelake_upload::run(&store, today, "upload", &upload)
        .await
        .unwrap();
    (lake, lake_url, store)
}

/// The jobs function's handler over the lake at `lake_url`, with the local catalog.
pub async fn handler(lake_url: &str) -> Handler {
    let lake_settings = LakeSettings::at(lake_url);
    let catalog = CatalogSettings::local();
    Handler::new(JobsSettings {
        trusted: TrustedSettings::new(lake_settings.clone(), catalog.clone()),
        refined: RefinedSettings::new(lake_settings, catalog),
        athena: AthenaSettings::default(),
    })
    .await
    .unwrap()
}
