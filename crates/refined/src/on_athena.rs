//! Refined on Athena, for a lake past one machine: each table of the star schema is one
//! `CREATE TABLE AS SELECT` (the SELECTs of `sql/refined/`, the same rules as
//! [`crate::star`]) written as zstd Parquet into a new version of the table, as the
//! Polars build writes one, and the catalog switched to it the same way
//! ([`switch_to_version`]).
//!
//! Every table is written first; only when all twelve are, are they switched, so a
//! failed statement leaves the whole previous schema in place (its new versions deleted).
//! The temporary tables Athena registered for the statements are dropped before the
//! switch (their columns were compared already), so none is left in the catalog by a
//! failure after it. Glue switches one table at a time: a catalog or store error in the
//! middle of the switch leaves the tables before it on the new run, and the error names
//! them (a rerun switches all). Old versions are pruned as the Polars build prunes them.
//!
//! The star schema's checks (each table's grain, every key in its dimension) run as one
//! query over the written tables before the switch ([`check_query`]: the lists of
//! [`crate::star::check`], worded as it words a problem); then the counts of what the
//! rules set aside, by one more query (`sql/refined/set_aside.sql`), as the Polars build
//! counts them.

use std::collections::BTreeMap;

use cinelake_athena::sql::{self, SqlFile};
use cinelake_athena::{Athena, RowsFrom, sql_file};
use cinelake_catalog::{Catalog, ColumnDef, Databases, Table};
use cinelake_frames::table::{
    TableSpec, delete_unswitched_version, switch_to_version, version_dir,
};
use cinelake_frames::types::{columns_of, polars_type};
use cinelake_lake::Store;
use polars::prelude::{DataFrame, DataType, Schema};

use crate::star::{GRAINS, REFERENCES};
use crate::{RefinedError, RefinedOptions, RefinedReport, RefinedRun, Rules, SetAside};

/// The SELECT of each table, in `sql/refined/`.
pub fn sql_file(table: Table) -> Option<SqlFile> {
    Some(match table {
        Table::FactFilm => sql_file!("refined", "fact_film"),
        Table::FactFilmSnapshot => sql_file!("refined", "fact_film_snapshot"),
        Table::DimFilm => sql_file!("refined", "dim_film"),
        Table::DimDate => sql_file!("refined", "dim_date"),
        Table::DimCountry => sql_file!("refined", "dim_country"),
        Table::DimGenre => sql_file!("refined", "dim_genre"),
        Table::DimLanguage => sql_file!("refined", "dim_language"),
        Table::DimArtist => sql_file!("refined", "dim_artist"),
        Table::BridgeFilmCountry => sql_file!("refined", "bridge_film_country"),
        Table::BridgeFilmGenre => sql_file!("refined", "bridge_film_genre"),
        Table::BridgeFilmLanguage => sql_file!("refined", "bridge_film_language"),
        Table::BridgeFilmArtist => sql_file!("refined", "bridge_film_artist"),
        Table::Movies | Table::Series | Table::TmdbMovies | Table::DataSources => return None,
    })
}

/// The values of the SQL's placeholders: the Trusted database, and the rules the Polars
/// build applies (the same [`Rules`]), as SQL.
pub fn placeholders(dbs: &Databases, rules: &Rules) -> Vec<(&'static str, String)> {
    let s = &rules.selection;
    let genres: Vec<String> = s
        .genres
        .iter()
        .map(|g| g.trim())
        .filter(|g| !g.is_empty())
        .map(|g| sql::string_literal(&g.to_lowercase()))
        .collect();
    vec![
        ("trusted", dbs.trusted.clone()),
        ("genres", genres.join(", ")),
        ("min_year", s.min_year.unwrap_or(0).to_string()),
        ("max_year", s.max_year.unwrap_or(9999).to_string()),
        ("money_floor", rules.money_floor_usd.to_string()),
        ("century_from", cinelake_rules::CENTURY_FROM.to_string()),
    ]
}

/// Each table's SELECT with its placeholders filled, in the order tables are written.
pub fn selects(dbs: &Databases, rules: &Rules) -> Result<Vec<(Table, String)>, RefinedError> {
    let values = placeholders(dbs, rules);
    let mut tables = Table::REFINED.to_vec();
    tables.sort();
    tables
        .into_iter()
        .filter_map(|t| sql_file(t).map(|f| (t, f)))
        .map(|(t, f)| Ok((t, sql::render(&f, &values)?)))
        .collect()
}

/// The columns each Refined table has when Polars builds it: the Polars build itself
/// ([`crate::star::build`]) run on no rows, over empty frames of the Trusted tables'
/// registered columns (read as the Polars build reads them: `movies`' columns it uses,
/// `tmdb_movies` with its partition `dt`).
///
/// These are what the Athena build registers, so views and readers see one schema
/// whichever engine built it. They are derived, not listed, so they cannot drift from
/// the Polars code; and where Athena registered the table of a statement (real Athena
/// does, moto does not), its columns are compared with them before anything is switched.
pub async fn polars_columns(
    catalog: &Catalog,
    dbs: &Databases,
    rules: &Rules,
) -> Result<BTreeMap<Table, Vec<ColumnDef>>, RefinedError> {
    let movies = empty_trusted(
        catalog,
        &dbs.trusted,
        Table::Movies,
        Some(&crate::star::MOVIE_COLUMNS),
    )
    .await?;
    let tmdb = empty_trusted(catalog, &dbs.trusted, Table::TmdbMovies, None).await?;
    let rules = rules.clone();
    let (tables, _) = tokio::task::spawn_blocking(move || crate::star::build(movies, tmdb, &rules))
        .await
        .unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()))?;
    tables
        .into_iter()
        .map(|(t, df)| Ok((t, columns_of(df.schema())?)))
        .collect()
}

/// An empty frame of a Trusted table's registered columns (only `columns`, in that
/// order, when given), its partition keys last as strings, as the Polars reader adds them.
async fn empty_trusted(
    catalog: &Catalog,
    db: &str,
    table: Table,
    columns: Option<&[&str]>,
) -> Result<DataFrame, RefinedError> {
    let name = format!("{db}.{}", table.name());
    let def =
        catalog
            .get_table(db, table.name())
            .await?
            .ok_or_else(|| RefinedError::NoTrustedTable {
                table: name.clone(),
            })?;
    let registered = &def.storage_descriptor.columns;
    let picked: Vec<&ColumnDef> = match columns {
        None => registered.iter().collect(),
        Some(wanted) => wanted
            .iter()
            .map(|w| {
                registered.iter().find(|c| c.name == *w).ok_or_else(|| {
                    RefinedError::NoTrustedColumn {
                        table: name.clone(),
                        column: w.to_string(),
                    }
                })
            })
            .collect::<Result<_, _>>()?,
    };
    let mut schema = Schema::default();
    for c in picked {
        let dtype = polars_type(&c.r#type).ok_or_else(|| RefinedError::TrustedType {
            table: name.clone(),
            column: c.name.clone(),
            hive: c.r#type.clone(),
        })?;
        schema.with_column(c.name.as_str().into(), dtype);
    }
    for key in &def.partition_keys {
        schema.with_column(key.name.as_str().into(), DataType::String);
    }
    Ok(DataFrame::empty_with_schema(&schema))
}

/// A table written by this run, not yet switched to.
struct Written {
    table: Table,
    /// The columns it is registered with: the Polars build's.
    columns: Vec<ColumnDef>,
    spec: TableSpec,
    dir: String,
    /// The table Athena registered for the statement (`<db>.<table>__ctas_<run>`).
    ctas_table: String,
    rows: u64,
    rows_from: RowsFrom,
}

/// Builds the schema on Athena and records the run's manifest, as [`crate::run`] does.
/// Refused, before any call to Athena, unless the lake is on S3 and the catalog is Glue.
pub async fn run(
    store: &Store,
    catalog: &Catalog,
    athena: &Athena,
    opts: &RefinedOptions,
) -> Result<RefinedRun, RefinedError> {
    // Refused before the run is recorded: nothing of it was done.
    cinelake_athena::require_s3_and_glue(store, catalog.kind())?;
    let work = Box::pin(build(
        store,
        catalog,
        athena,
        &opts.databases,
        &opts.run_id,
        &opts.rules,
    ));
    crate::recorded(
        store,
        opts,
        Some("athena: one CREATE TABLE AS SELECT a table (sql/refined)"),
        work,
    )
    .await
}

/// Writes every table with Athena, then switches them all (see the module's doc).
pub async fn build(
    store: &Store,
    catalog: &Catalog,
    athena: &Athena,
    dbs: &Databases,
    run_id: &str,
    rules: &Rules,
) -> Result<RefinedRun, RefinedError> {
    cinelake_athena::require_s3_and_glue(store, catalog.kind())?;
    let selects = selects(dbs, rules)?;
    let columns = polars_columns(catalog, dbs, rules).await?;
    let described = rules.describe();
    let mut written: Vec<Written> = Vec::new();
    // A table whose statement was sent: its folder and Athena's table, to clean up.
    let mut sent: Vec<(String, String)> = Vec::new();
    let mut failure = None;
    for (table, select) in &selects {
        let mut spec = TableSpec::of(*table, dbs);
        spec.description = format!("{} {described}", spec.description);
        let dir = version_dir(&spec, run_id);
        let ctas_table = format!("{}.{}__ctas_{}", dbs.refined, table, sql::name_part(run_id));
        sent.push((dir.clone(), ctas_table.clone()));
        let Some(expected) = columns.get(table).cloned() else {
            failure = Some(RefinedError::Check(format!(
                "the Polars build has no table {table} to take its columns from"
            )));
            break;
        };
        match athena
            .create_version(
                catalog,
                &ctas_table,
                &store.location(&dir),
                select,
                &expected,
            )
            .await
        {
            Ok(created) => {
                tracing::info!(table = %table, rows = created.rows, from = %created.rows_from, "written by Athena");
                written.push(Written {
                    table: *table,
                    columns: expected,
                    spec,
                    dir,
                    ctas_table,
                    rows: created.rows,
                    rows_from: created.rows_from,
                });
            }
            Err(e) => {
                failure = Some(e.into());
                break;
            }
        }
    }
    let mut set_aside = SetAside::default();
    if failure.is_none() {
        failure = check_written(athena, &written).await.err();
    }
    if failure.is_none() {
        match count_set_aside(athena, dbs, rules).await {
            Ok(counted) => set_aside = counted,
            Err(e) => failure = Some(e),
        }
    }
    if let Some(e) = failure {
        // Nothing was switched: the new versions and Athena's tables go, the previous
        // schema stays whole.
        for (dir, ctas_table) in &sent {
            athena.drop_quietly(ctas_table).await;
            delete_unswitched_version(store, dir).await;
        }
        return Err(e);
    }
    for w in &written {
        athena.drop_quietly(&w.ctas_table).await;
    }
    let mut reports: Vec<RefinedReport> = Vec::new();
    for w in &written {
        let location = switch_to_version(store, catalog, &w.spec, &w.dir, w.columns.clone())
            .await
            .map_err(|e| RefinedError::PartlySwitched {
                table: format!("{}.{}", w.spec.db, w.spec.name),
                switched: reports.iter().map(|r| r.table.clone()).collect(),
                source: Box::new(e),
            })?;
        reports.push(RefinedReport {
            table: format!("{}.{}", w.spec.db, w.spec.name),
            rows: w.rows,
            location,
            rows_from: Some(w.rows_from),
        });
    }
    Ok(RefinedRun {
        tables: reports,
        set_aside,
    })
}

/// The counts of what the rules set aside (not a table): one row.
pub const SET_ASIDE: SqlFile = sql_file!("refined", "set_aside");

/// What the rules set aside, counted by Athena over the Trusted tables as the Polars build
/// counts it ([`SET_ASIDE`]).
async fn count_set_aside(
    athena: &Athena,
    dbs: &Databases,
    rules: &Rules,
) -> Result<SetAside, RefinedError> {
    let select = sql::render(&SET_ASIDE, &placeholders(dbs, rules))?;
    let found = athena.query(sql::statement(&select)).await?;
    let row = found.rows.first();
    let count = |name: &str| -> Result<u64, RefinedError> {
        let at = found.column(name)?;
        let cell = row.and_then(|r| r.get(at).cloned().flatten());
        cell.as_deref()
            .and_then(|c| c.trim().parse::<u64>().ok())
            .ok_or_else(|| {
                RefinedError::Check(format!(
                    "{}: {name} is {cell:?}, not a count (query {})",
                    SET_ASIDE.name, found.id
                ))
            })
    };
    Ok(SetAside {
        films_left_out: count("films_left_out")?,
        placeholder_budgets: count("placeholder_budgets")?,
        placeholder_revenues: count("placeholder_revenues")?,
    })
}

/// The star schema's checks ([`check_query`]) over the tables Athena just wrote, before
/// any is switched: a problem fails the run as the Polars check would.
async fn check_written(athena: &Athena, written: &[Written]) -> Result<(), RefinedError> {
    let name_of = |t: Table| {
        written
            .iter()
            .find(|w| w.table == t)
            .map_or_else(|| t.name().to_string(), |w| w.ctas_table.clone())
    };
    let found = athena.query(&check_query(name_of)).await?;
    let problem = found.column("problem")?;
    match found
        .rows
        .first()
        .and_then(|row| row.get(problem).cloned().flatten())
    {
        Some(problem) => Err(RefinedError::Check(problem)),
        None if found.rows.is_empty() => Ok(()),
        None => Err(RefinedError::Check(
            "a problem without its description (a null row of the check query)".into(),
        )),
    }
}

/// The checks of [`crate::star::check`] (the same [`GRAINS`] and [`REFERENCES`]) as one
/// query over the tables just written, `name_of` naming each: a row per problem, worded
/// as the Polars check words it, the first in its order; no row when the schema holds.
pub fn check_query(name_of: impl Fn(Table) -> String) -> String {
    let text = |v: &str| format!("CAST({v} AS varchar)");
    let lit = |v: String| sql::string_literal(&v);
    let mut parts: Vec<String> = Vec::new();
    let mut part = |problem: String, rest: String| {
        parts.push(format!(
            "SELECT {} AS check_order, {problem} AS problem {rest}",
            parts.len()
        ));
    };
    for (table, grain) in GRAINS {
        let from = name_of(table);
        for key in grain {
            part(
                lit(format!("{table}.{key} has a null")),
                format!("FROM {from} WHERE {key} IS NULL"),
            );
        }
        let shown = match grain {
            [key] => key.to_string(),
            keys => format!("({})", keys.join(", ")),
        };
        let repeated: Vec<String> = grain.iter().map(|k| text(k)).collect();
        part(
            format!(
                "{} || {} || {}",
                lit(format!("{table}.{shown} ")),
                repeated.join(" || ' ' || "),
                lit(" is not unique".into())
            ),
            format!(
                "FROM {from} GROUP BY {} HAVING count(*) > 1",
                grain.join(", ")
            ),
        );
    }
    for (table, column, dim, key) in REFERENCES {
        part(
            format!(
                "{} || {} || {}",
                lit(format!("{table}.{column} ")),
                text(&format!("r.{column}")),
                lit(format!(" is not in {dim}.{key}"))
            ),
            format!(
                "FROM {} AS r LEFT JOIN {} AS d ON r.{column} = d.{key} \
                 WHERE r.{column} IS NOT NULL AND d.{key} IS NULL",
                name_of(table),
                name_of(dim)
            ),
        );
    }
    format!(
        "SELECT problem FROM (\n{}\n) AS problems ORDER BY check_order LIMIT 1",
        parts.join("\nUNION ALL\n")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use cinelake_rules::Selection;

    #[test]
    fn every_table_has_its_select_and_every_placeholder_is_known() {
        let rules = Rules {
            selection: Selection {
                genres: vec![" Drama".into(), "".into(), "Children's".into()],
                min_year: None,
                max_year: Some(2020),
            },
            money_floor_usd: 500,
        };
        let dbs = Databases::with_prefix("x");
        let values = placeholders(&dbs, &rules);
        let value = |n: &str| values.iter().find(|(k, _)| *k == n).unwrap().1.clone();
        assert_eq!(value("genres"), "'drama', 'children''s'");
        assert_eq!(value("min_year"), "0");
        assert_eq!(value("max_year"), "2020");
        assert_eq!(value("money_floor"), "500");
        assert_eq!(value("century_from"), "2000");
        assert_eq!(value("trusted"), "x_trusted");
        let selects = selects(&dbs, &rules).unwrap();
        assert_eq!(selects.len(), Table::REFINED.len());
        for (table, select) in &selects {
            assert!(!select.contains("${"), "{table}: {select}");
            assert!(
                sql::statement(select)
                    .to_ascii_uppercase()
                    .starts_with("WITH")
                    || sql::statement(select)
                        .to_ascii_uppercase()
                        .starts_with("SELECT"),
                "{table} is not one SELECT"
            );
        }
        let none = Rules {
            selection: Selection {
                genres: vec![],
                min_year: None,
                max_year: None,
            },
            ..Rules::default()
        };
        let values = placeholders(&dbs, &none);
        assert_eq!(values.iter().find(|(k, _)| *k == "genres").unwrap().1, "");
        // The counts of what the rules set aside: one SELECT of the three counts.
        let counts = sql::render(&SET_ASIDE, &placeholders(&dbs, &rules)).unwrap();
        let statement = sql::statement(&counts);
        assert!(statement.starts_with("WITH"), "{statement}");
        assert!(!statement.contains("${"), "{statement}");
        for column in [
            "films_left_out",
            "placeholder_budgets",
            "placeholder_revenues",
        ] {
            assert!(statement.contains(&format!("AS {column}")), "{column}");
        }
    }
}
