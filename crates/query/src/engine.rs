//! The local SQL engine: Polars SQL over the catalog's tables and the views.
//!
//! Refined tables are registered under their own names (as Athena sees them in the
//! refined database); Trusted tables as `trusted_<name>`.

use cinelake_catalog::{Catalog, Databases};
use cinelake_frames::table::read_table;
use cinelake_lake::Store;
use polars::prelude::*;
use polars::sql::SQLContext;

use crate::QueryError;
use crate::views::{VIEWS, select_of};

pub struct Engine {
    ctx: SQLContext,
    pub tables: Vec<String>,
}

impl Engine {
    /// Loads every registered table, then defines the views over them.
    pub async fn load(
        store: &Store,
        catalog: &Catalog,
        dbs: &Databases,
    ) -> Result<Engine, QueryError> {
        let ctx = SQLContext::new();
        let mut tables = Vec::new();
        for (db, prefix) in [(&dbs.refined, ""), (&dbs.trusted, "trusted_")] {
            for def in catalog.list_tables(db).await? {
                if def.table_type != "EXTERNAL_TABLE" {
                    continue;
                }
                let df = read_table(store, catalog, db, &def.name).await?;
                let name = format!("{prefix}{}", def.name);
                ctx.register(&name, df.lazy());
                tables.push(name);
            }
        }
        let mut engine = Engine { ctx, tables };
        if engine.tables.iter().any(|t| t == "fact_film") {
            engine.define_views()?;
        }
        Ok(engine)
    }

    /// An engine over frames given directly (tests, the dashboard).
    pub fn from_frames(frames: Vec<(String, DataFrame)>) -> Result<Engine, QueryError> {
        let ctx = SQLContext::new();
        let mut tables = Vec::new();
        for (name, df) in frames {
            ctx.register(&name, df.lazy());
            tables.push(name);
        }
        let mut engine = Engine { ctx, tables };
        engine.define_views()?;
        Ok(engine)
    }

    fn define_views(&mut self) -> Result<(), QueryError> {
        for (name, sql) in VIEWS {
            let lf = self
                .ctx
                .execute(&select_of(sql))
                .map_err(|source| QueryError::Sql {
                    context: format!("view {name}"),
                    source,
                })?;
            self.ctx.register(name, lf);
            self.tables.push(name.to_string());
        }
        Ok(())
    }

    pub fn query(&mut self, sql: &str) -> Result<DataFrame, QueryError> {
        self.ctx
            .execute(sql)
            .and_then(|lf| lf.collect())
            .map_err(|source| QueryError::Sql {
                context: sql.chars().take(120).collect(),
                source,
            })
    }
}
