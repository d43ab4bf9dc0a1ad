//! The local SQL engine, which runs Polars SQL over the catalog's tables and the views.
//!
//! Refined tables are registered under their own names, as Athena sees them in the
//! refined database. Trusted tables are registered as `trusted_<name>`.

use cinelake_catalog::{Catalog, Databases, Table, Zone};
use cinelake_frames::table::read_table;
use cinelake_lake::Store;
use std::collections::BTreeSet;

use polars::prelude::*;
use polars::sql::SQLContext;

use crate::QueryError;
use crate::views::{VIEWS, select_of};

/// What the engine calls the Trusted tables: `trusted_<name>`, apart from the star schema.
pub const TRUSTED_PREFIX: &str = "trusted_";

/// The name a table goes by in the engine's SQL.
pub fn engine_name(table: Table) -> String {
    match table.zone() {
        Zone::Refined => table.name().to_string(),
        Zone::Trusted => format!("{TRUSTED_PREFIX}{}", table.name()),
    }
}

pub struct Engine {
    ctx: SQLContext,
    /// The tables and views registered.
    pub tables: Vec<String>,
    /// The databases the tables came from: Athena's names for them are taken too.
    dbs: Databases,
    /// Every table and view a query may name, loaded or not, for the error that names
    /// an unknown one.
    known: Vec<String>,
}

/// `sql` with Athena's database-qualified names rewritten as the engine names those
/// tables. So `<prefix>_refined.fact_film` becomes `fact_film`, and
/// `<prefix>_trusted.movies` becomes `trusted_movies`. SQL written for Athena then runs
/// here as it is.
///
/// `sql` is unchanged when it names none, or does not parse. Running it then reports
/// the error.
pub fn local_sql<'a>(sql: &'a str, dbs: &Databases) -> std::borrow::Cow<'a, str> {
    use sqlparser::ast::{Ident, ObjectNamePart, visit_relations_mut};
    use std::ops::ControlFlow;
    let dialect = sqlparser::dialect::GenericDialect {};
    let Ok(mut statements) = sqlparser::parser::Parser::parse_sql(&dialect, sql) else {
        return sql.into();
    };
    let mut renamed = false;
    let _ = visit_relations_mut(&mut statements, |name| {
        let parts: Vec<&str> = name
            .0
            .iter()
            .filter_map(ObjectNamePart::as_ident)
            .map(|i| i.value.as_str())
            .collect();
        if let [db, table] = parts[..] {
            let local = if db == dbs.refined {
                Some(table.to_string())
            } else if db == dbs.trusted {
                Some(format!("{TRUSTED_PREFIX}{table}"))
            } else {
                None
            };
            if let Some(local) = local {
                name.0 = vec![ObjectNamePart::Identifier(Ident::new(local))];
                renamed = true;
            }
        }
        ControlFlow::<()>::Continue(())
    });
    if !renamed {
        return sql.into();
    }
    statements
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(";\n")
        .into()
}

impl Engine {
    /// Loads every registered table, then defines the views over them.
    pub async fn load(
        store: &Store,
        catalog: &Catalog,
        dbs: &Databases,
    ) -> Result<Engine, QueryError> {
        Self::load_for(store, catalog, dbs, None).await
    }

    /// Loads the tables the views read, and defines the views.
    pub async fn load_views(
        store: &Store,
        catalog: &Catalog,
        dbs: &Databases,
    ) -> Result<Engine, QueryError> {
        let reads: Vec<String> = VIEWS
            .iter()
            .map(|(name, _)| format!("SELECT * FROM {name}"))
            .collect();
        let reads: Vec<&str> = reads.iter().map(String::as_str).collect();
        Self::load_for(store, catalog, dbs, Some(&reads)).await
    }

    /// Loads only the tables `sql` reads, including those read through the views it
    /// names. When `sql` is `None` or cannot be parsed, every table is loaded, and
    /// running it then reports the error. A query over the star schema need not hold
    /// the Trusted tables, which have 1.5M rows.
    pub async fn load_for(
        store: &Store,
        catalog: &Catalog,
        dbs: &Databases,
        sql: Option<&[&str]>,
    ) -> Result<Engine, QueryError> {
        let local: Option<Vec<String>> = sql.map(|sqls| {
            sqls.iter()
                .map(|s| local_sql(s, dbs).into_owned())
                .collect()
        });
        let local: Option<Vec<&str>> = local
            .as_ref()
            .map(|sqls| sqls.iter().map(String::as_str).collect());
        let wanted = local.as_deref().and_then(names_read);
        let ctx = SQLContext::new();
        let mut tables = Vec::new();
        let mut known = Vec::new();
        for (db, prefix) in [(&dbs.refined, ""), (&dbs.trusted, TRUSTED_PREFIX)] {
            for def in catalog.list_tables(db).await? {
                if def.table_type != "EXTERNAL_TABLE" {
                    continue;
                }
                let name = format!("{prefix}{}", def.name);
                known.push(name.clone());
                if wanted.as_ref().is_some_and(|w| !w.tables.contains(&name)) {
                    continue;
                }
                let df = read_table(store, catalog, db, &def.name).await?;
                ctx.register(&name, df.lazy());
                tables.push(name);
            }
        }
        // Every view reads fact_film; without it there is no star schema to view yet.
        if known.iter().any(|n| *n == engine_name(Table::FactFilm)) {
            known.extend(VIEWS.iter().map(|(name, _)| name.to_string()));
        }
        known.sort();
        let mut engine = Engine {
            ctx,
            tables,
            dbs: dbs.clone(),
            known,
        };
        if engine.has(Table::FactFilm) {
            engine.define_views(wanted.as_ref().map(|w| &w.views))?;
        }
        Ok(engine)
    }

    /// Whether `table` is loaded.
    pub fn has(&self, table: Table) -> bool {
        let name = engine_name(table);
        self.tables.contains(&name)
    }

    /// An engine over frames given directly (tests, the dashboard).
    pub fn from_frames(frames: Vec<(String, DataFrame)>) -> Result<Engine, QueryError> {
        let ctx = SQLContext::new();
        let mut tables = Vec::new();
        for (name, df) in frames {
            ctx.register(&name, df.lazy());
            tables.push(name);
        }
        let mut known = tables.clone();
        known.extend(VIEWS.iter().map(|(name, _)| name.to_string()));
        known.sort();
        let mut engine = Engine {
            ctx,
            tables,
            dbs: Databases::with_prefix(Databases::DEFAULT_PREFIX),
            known,
        };
        engine.define_views(None)?;
        Ok(engine)
    }

    /// Defines the views, in order: all of them, or only those named.
    fn define_views(&mut self, only: Option<&BTreeSet<String>>) -> Result<(), QueryError> {
        for (name, sql) in VIEWS {
            if only.is_some_and(|o| !o.contains(*name)) {
                continue;
            }
            let select = select_of(sql);
            let lf = self
                .ctx
                .execute(&select)
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
        let local = local_sql(sql, &self.dbs);
        let context: String = sql.chars().take(120).collect();
        self.ctx
            .execute(&local)
            .and_then(|lf| lf.collect())
            .map_err(|source| match missing_relation(&source) {
                Some(name) if !self.known.contains(&name) => QueryError::UnknownTable {
                    context,
                    name,
                    known: self.known.join(", "),
                },
                _ => QueryError::Sql { context, source },
            })
    }
}

/// The relation Polars SQL says it did not find (`relation 'x' was not found`), if
/// that is the error.
fn missing_relation(e: &polars::error::PolarsError) -> Option<String> {
    let text = e.to_string();
    let (_, rest) = text.split_once("relation '")?;
    let (name, rest) = rest.split_once('\'')?;
    rest.starts_with(" was not found").then(|| name.to_string())
}

/// The tables and views a statement names (and the names of its CTEs).
fn identifiers(sql: &str) -> Option<Vec<String>> {
    polars::sql::extract_table_identifiers(sql, false, true).ok()
}

/// What some statements read.
struct NamesRead {
    /// Tables, the views' own included (and CTE names, which match no table).
    tables: BTreeSet<String>,
    /// Views, the views' own included.
    views: BTreeSet<String>,
}

/// What `sqls` read, through the views they name; `None` when a statement cannot be
/// parsed.
fn names_read(sqls: &[&str]) -> Option<NamesRead> {
    let mut read = NamesRead {
        tables: BTreeSet::new(),
        views: BTreeSet::new(),
    };
    let mut todo: Vec<String> = Vec::new();
    for sql in sqls {
        todo.extend(identifiers(sql)?);
    }
    while let Some(name) = todo.pop() {
        if read.tables.contains(&name) || read.views.contains(&name) {
            continue;
        }
        match VIEWS.iter().find(|(v, _)| *v == name) {
            Some((_, sql)) => {
                todo.extend(identifiers(&select_of(sql))?);
                read.views.insert(name);
            }
            None => {
                read.tables.insert(name);
            }
        }
    }
    Some(read)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unknown_table_is_named_with_the_ones_there_are() {
        let frame = DataFrame::new_infer_height(vec![Column::new("n".into(), [1i64])]).unwrap();
        let ctx = SQLContext::new();
        ctx.register("dim_genre", frame.lazy());
        let mut engine = Engine {
            ctx,
            tables: vec!["dim_genre".into()],
            dbs: Databases::with_prefix(Databases::DEFAULT_PREFIX),
            known: vec!["dim_genre".into(), "v_best_films".into()],
        };
        let err = engine
            .query("SELECT * FROM dim_genres")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("there is no table or view dim_genres. There are: dim_genre,"),
            "{err}"
        );
        assert!(err.contains("v_best_films"), "{err}");
        // Other errors stay Polars' own.
        let err = engine
            .query("SELECT nope FROM dim_genre")
            .unwrap_err()
            .to_string();
        assert!(!err.contains("There are:"), "{err}");
    }

    #[test]
    fn athenas_qualified_names_become_the_engines() {
        let dbs = Databases::with_prefix("cinelake");
        let sql = "SELECT 'cinelake_refined.fact_film' AS s, COUNT(*) AS n \
                   FROM cinelake_refined.fact_film f \
                   JOIN cinelake_trusted.movies m ON m.title_id = f.film_id";
        let local = local_sql(sql, &dbs);
        assert!(
            local.contains("FROM fact_film AS f") || local.contains("FROM fact_film f"),
            "{local}"
        );
        assert!(local.contains("JOIN trusted_movies"), "{local}");
        assert!(
            local.contains("'cinelake_refined.fact_film' AS s"),
            "{local}"
        );
        // Other databases, unqualified names and SQL that does not parse stay as written.
        for sql in [
            "SELECT * FROM other_db.fact_film",
            "SELECT * FROM fact_film",
            "SELEKT nothing",
        ] {
            assert!(matches!(local_sql(sql, &dbs), std::borrow::Cow::Borrowed(s) if s == sql));
        }
    }

    #[test]
    fn a_query_reads_the_tables_behind_its_views() {
        let r = names_read(&["SELECT * FROM v_country_share_best"]).unwrap();
        assert_eq!(
            r.views.iter().collect::<Vec<_>>(),
            ["v_best_films", "v_country_share_best"]
        );
        for t in ["fact_film", "bridge_film_country", "dim_country"] {
            assert!(r.tables.contains(t), "{t} not in {:?}", r.tables);
        }
        assert!(
            !r.tables
                .iter()
                .any(|n| n.starts_with("trusted_") || n.starts_with("v_"))
        );
        let r = names_read(&[
            "SELECT COUNT(*) FROM trusted_movies m JOIN dim_film f ON f.film_id = m.title_id",
        ])
        .unwrap();
        assert_eq!(
            r.tables.into_iter().collect::<Vec<_>>(),
            ["dim_film", "trusted_movies"]
        );
        assert!(r.views.is_empty());
        assert!(names_read(&["SELEC nonsense"]).is_none());
    }
}
