//! `cinelake query` and `cinelake views`.

use anyhow::Context;
use cinelake_catalog::TableDef;
use cinelake_lake::Store;
use cinelake_trusted::cli::CatalogArgs;
use polars::prelude::*;

use crate::athena::{Athena, AthenaConfig};
use crate::engine::Engine;
use crate::views::{VIEWS, select_of};

#[derive(Debug, Clone, clap::Args)]
pub struct AthenaArgs {
    /// Athena workgroup.
    #[arg(long, env = "CINELAKE_ATHENA_WORKGROUP", default_value = "primary")]
    pub workgroup: String,
    /// Where Athena writes results (s3://bucket/prefix/), unless the workgroup sets it.
    #[arg(long, env = "CINELAKE_ATHENA_OUTPUT")]
    pub athena_output: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum EngineKind {
    /// Polars SQL over the catalog's tables, on this machine.
    Local,
    /// Amazon Athena over the Glue catalog.
    Athena,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Table,
    Csv,
    Json,
}

/// Where SQL runs: the lake and catalog for the local engine, or Athena.
#[derive(Debug, Clone, clap::Args)]
pub struct SqlTarget {
    #[arg(long, env = "CINELAKE_LAKE", default_value = "./lake")]
    pub lake: String,
    #[command(flatten)]
    pub catalog: CatalogArgs,
    #[command(flatten)]
    pub athena: AthenaArgs,
    #[arg(long, value_enum, default_value = "local")]
    pub engine: EngineKind,
}

#[derive(Debug, Clone, clap::Args)]
pub struct QueryArgs {
    /// One SQL statement, e.g. "SELECT * FROM v_top_profits".
    pub sql: String,
    #[command(flatten)]
    pub target: SqlTarget,
    #[arg(long, value_enum, default_value = "table")]
    pub format: Format,
}

#[derive(Debug, Clone, clap::Args)]
pub struct ViewsArgs {
    #[command(flatten)]
    pub target: SqlTarget,
}

#[derive(Debug, Clone, clap::Args)]
pub struct DashboardArgs {
    #[arg(long, env = "CINELAKE_LAKE", default_value = "./lake")]
    pub lake: String,
    #[command(flatten)]
    pub catalog: CatalogArgs,
    /// The HTML file to write (one self-contained file; open it in any browser).
    #[arg(long, default_value = "dashboard.html")]
    pub out: std::path::PathBuf,
}

/// What `cinelake dashboard` wrote.
#[derive(Debug, Clone)]
pub struct DashboardReport {
    pub path: std::path::PathBuf,
    pub bytes: usize,
    /// Rows of each view, in the order of `sql/views`.
    pub view_rows: Vec<(String, usize)>,
}

/// Runs every view on the local engine (over any lake and catalog, S3 and Glue too)
/// and writes the dashboard page.
pub async fn dashboard(args: &DashboardArgs) -> anyhow::Result<DashboardReport> {
    let store = Store::open(&args.lake)
        .await
        .with_context(|| format!("opening lake {}", args.lake))?;
    let catalog = args.catalog.open(&store).await?;
    let mut engine = Engine::load_views(&store, &catalog, &args.catalog.databases()).await?;
    if !engine.tables.iter().any(|t| t == "fact_film") {
        anyhow::bail!(
            "lake {} has no refined tables in catalog database {}: run `cinelake refined` first",
            args.lake,
            args.catalog.databases().refined
        );
    }
    let views = crate::dashboard::views_data(&mut engine)?;
    let page = crate::dashboard::render(
        &views,
        &crate::dashboard::Provenance {
            lake: args.lake.clone(),
            generated_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        },
    )?;
    if let Some(dir) = args.out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    std::fs::write(&args.out, &page).with_context(|| format!("writing {}", args.out.display()))?;
    let report = DashboardReport {
        path: args.out.clone(),
        bytes: page.len(),
        view_rows: views
            .iter()
            .map(|(n, df)| (n.clone(), df.height()))
            .collect(),
    };
    println!(
        "dashboard: {} ({:.1} MB, {} views)",
        report.path.display(),
        report.bytes as f64 / 1e6,
        report.view_rows.len()
    );
    Ok(report)
}

fn athena(args: &AthenaArgs, database: String) -> AthenaConfig {
    AthenaConfig {
        workgroup: args.workgroup.clone(),
        output_location: args.athena_output.clone(),
        database,
    }
}

pub async fn query(args: &QueryArgs) -> anyhow::Result<()> {
    let target = &args.target;
    let dbs = target.catalog.databases();
    let mut df = match target.engine {
        EngineKind::Local => {
            let store = Store::open(&target.lake)
                .await
                .with_context(|| format!("opening lake {}", target.lake))?;
            let catalog = target.catalog.open(&store).await?;
            let mut engine =
                Engine::load_for(&store, &catalog, &dbs, Some(&[args.sql.as_str()])).await?;
            engine.query(&args.sql)?
        }
        EngineKind::Athena => {
            let a = Athena::connect(athena(&target.athena, dbs.refined.clone())).await;
            let rows = a.query(&args.sql).await?;
            let columns: Vec<Column> = rows
                .columns
                .iter()
                .enumerate()
                .map(|(i, name)| {
                    Column::new(
                        name.as_str().into(),
                        rows.rows
                            .iter()
                            .map(|r| r.get(i).cloned().flatten())
                            .collect::<Vec<Option<String>>>(),
                    )
                })
                .collect();
            DataFrame::new_infer_height(columns)?
        }
    };
    print(&mut df, args.format)
}

fn print(df: &mut DataFrame, format: Format) -> anyhow::Result<()> {
    let stdout = std::io::stdout();
    match format {
        Format::Table => {
            // Safe: the variables only shape this process's printing.
            unsafe {
                std::env::set_var("POLARS_FMT_MAX_ROWS", "50");
                std::env::set_var("POLARS_FMT_STR_LEN", "60");
            }
            println!("{df}");
        }
        Format::Csv => {
            CsvWriter::new(stdout.lock()).finish(&mut crate::json::flatten_nested(df)?)?
        }
        Format::Json => JsonWriter::new(stdout.lock())
            .with_json_format(JsonFormat::Json)
            .finish(df)?,
    }
    Ok(())
}

/// Creates the views; returns their names.
pub async fn views(args: &ViewsArgs) -> anyhow::Result<Vec<String>> {
    let target = &args.target;
    let dbs = target.catalog.databases();
    let mut created = Vec::new();
    match target.engine {
        EngineKind::Athena => {
            let a = Athena::connect(athena(&target.athena, dbs.refined.clone())).await;
            for name in a.create_views().await? {
                println!("created view {}.{name} in Athena", dbs.refined);
                created.push(name);
            }
        }
        EngineKind::Local => {
            let store = Store::open(&target.lake)
                .await
                .with_context(|| format!("opening lake {}", target.lake))?;
            let catalog = target.catalog.open(&store).await?;
            // Loading defines every view over the real tables: a view that does not run fails here.
            let mut engine = Engine::load_views(&store, &catalog, &dbs).await?;
            for (name, sql) in VIEWS {
                let rows = engine.query(&format!("SELECT COUNT(*) AS n FROM {name}"))?;
                let n = rows
                    .column("n")
                    .ok()
                    .and_then(|c| c.get(0).ok())
                    .map(|v| v.to_string())
                    .unwrap_or_default();
                catalog
                    .put_table(
                        &dbs.refined,
                        &TableDef::view(name, "cinelake view (sql/views)", &select_of(sql)),
                    )
                    .await?;
                println!("view {}.{name}: {n} rows", dbs.refined);
                created.push(name.to_string());
            }
        }
    }
    Ok(created)
}
