//! The command-line face of the query stage, for `cinelake query`, `cinelake views` and
//! `cinelake dashboard`. It turns flags into settings, leaves the work to the library,
//! and prints the results.

use anyhow::Context;
use cinelake_athena::{Athena, AthenaSettings};
use cinelake_catalog::CatalogSettings;
use cinelake_lake::Store;
use polars::prelude::*;

use crate::dashboard::DashboardReport;
use crate::engine::Engine;

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
#[derive(Debug, Clone, PartialEq, clap::Args)]
pub struct SqlTarget {
    #[arg(long, env = "CINELAKE_LAKE", default_value = "./lake")]
    pub lake: String,
    #[command(flatten)]
    pub catalog: CatalogSettings,
    #[command(flatten)]
    pub athena: AthenaSettings,
    #[arg(long, value_enum, default_value = "local")]
    pub engine: EngineKind,
}

impl SqlTarget {
    /// The target of a lake and catalog with the engine where their views belong:
    /// Athena over Glue, the local engine over the local catalog.
    pub fn for_views(lake: &str, catalog: CatalogSettings, athena: AthenaSettings) -> Self {
        let engine = if catalog.is_glue() {
            EngineKind::Athena
        } else {
            EngineKind::Local
        };
        SqlTarget {
            lake: lake.to_string(),
            catalog,
            athena,
            engine,
        }
    }

    async fn open(&self) -> anyhow::Result<(Store, cinelake_catalog::Catalog)> {
        let store = Store::open(&self.lake)
            .await
            .with_context(|| format!("opening lake {}", self.lake))?;
        let catalog = self.catalog.open(&store).await?;
        Ok((store, catalog))
    }

    async fn athena(&self) -> Athena {
        Athena::connect(self.athena.config(&self.catalog.databases().refined)).await
    }
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

#[derive(Debug, Clone, PartialEq, clap::Args)]
pub struct DashboardArgs {
    #[arg(long, env = "CINELAKE_LAKE", default_value = "./lake")]
    pub lake: String,
    #[command(flatten)]
    pub catalog: CatalogSettings,
    /// The HTML file to write (one self-contained file; open it in any browser).
    #[arg(long, default_value = "dashboard.html")]
    pub out: std::path::PathBuf,
}

/// Writes the dashboard page and says where.
pub async fn dashboard(args: &DashboardArgs) -> anyhow::Result<DashboardReport> {
    let store = Store::open(&args.lake)
        .await
        .with_context(|| format!("opening lake {}", args.lake))?;
    let catalog = args.catalog.open(&store).await?;
    let report = crate::dashboard::write(
        &store,
        &catalog,
        &args.catalog.databases(),
        &args.lake,
        &args.out,
    )
    .await?;
    println!(
        "dashboard: {} ({:.1} MB, {} views)",
        report.path.display(),
        report.bytes as f64 / 1e6,
        report.view_rows.len()
    );
    Ok(report)
}

pub async fn query(args: &QueryArgs) -> anyhow::Result<()> {
    let target = &args.target;
    let mut df = match target.engine {
        EngineKind::Local => {
            let (store, catalog) = target.open().await?;
            let dbs = target.catalog.databases();
            let mut engine =
                Engine::load_for(&store, &catalog, &dbs, Some(&[args.sql.as_str()])).await?;
            engine.query(&args.sql)?
        }
        EngineKind::Athena => {
            let rows = target.athena().await.query(&args.sql).await?;
            athena_frame(&rows)?
        }
    };
    print(&mut df, args.format)
}

/// Athena's rows (text) as a frame typed by Athena's column types, so that numbers print
/// as numbers; a type with no plain counterpart stays text.
fn athena_frame(rows: &cinelake_athena::ResultRows) -> anyhow::Result<DataFrame> {
    let columns: Vec<Column> = rows
        .columns
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let text = Column::new(
                name.as_str().into(),
                rows.rows
                    .iter()
                    .map(|r| r.get(i).cloned().flatten())
                    .collect::<Vec<Option<String>>>(),
            );
            let ty = rows.types.get(i).map(String::as_str).unwrap_or("varchar");
            let dtype = match ty {
                "tinyint" | "smallint" | "integer" | "int" | "bigint" => DataType::Int64,
                "double" | "float" | "real" => DataType::Float64,
                t if t.starts_with("decimal") => DataType::Float64,
                "boolean" => DataType::Boolean,
                "date" => DataType::Date,
                _ => return Ok(text),
            };
            text.cast(&dtype)
                .map_err(|e| anyhow::anyhow!("Athena column {name} ({ty}): {e}"))
        })
        .collect::<anyhow::Result<_>>()?;
    Ok(DataFrame::new_infer_height(columns)?)
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

/// Creates the views and says where; returns their names.
pub async fn views(args: &ViewsArgs) -> anyhow::Result<Vec<String>> {
    let target = &args.target;
    let dbs = target.catalog.databases();
    match target.engine {
        EngineKind::Athena => {
            let (store, catalog) = target.open().await?;
            let sources = crate::sources::publish_sources(&store, &catalog, &dbs).await?;
            println!("table {}: {} rows", sources.table, sources.rows);
            let created = crate::create_views::in_athena(&target.athena().await).await?;
            for name in &created {
                println!("created view {}.{name} in Athena", dbs.refined);
            }
            Ok(created)
        }
        EngineKind::Local => {
            let (store, catalog) = target.open().await?;
            let created = crate::create_views::in_local_catalog(&store, &catalog, &dbs).await?;
            for (name, n) in &created {
                println!("view {}.{name}: {n} rows", dbs.refined);
            }
            Ok(created.into_iter().map(|(name, _)| name).collect())
        }
    }
}
