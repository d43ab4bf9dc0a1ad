//! Creates the views where they are read. That is in Athena (over Glue), or in the
//! local catalog after each view has run over the real tables.

use cinelake_athena::Athena;
use cinelake_catalog::{Catalog, Databases, TableDef};
use cinelake_lake::Store;

use crate::QueryError;
use crate::engine::Engine;
use crate::views::{VIEWS, select_of};

/// Creates every view in Athena (`CREATE OR REPLACE VIEW`, in order) and returns their
/// names. Write `data_sources` first, with [`crate::sources::publish_sources`] and the
/// Glue catalog, because `v_data_freshness` reads it.
pub async fn in_athena(athena: &Athena) -> Result<Vec<String>, QueryError> {
    let mut done = Vec::new();
    for (name, sql) in VIEWS {
        athena
            .run(&format!(
                "CREATE OR REPLACE VIEW {name} AS\n{}",
                select_of(sql)
            ))
            .await?;
        done.push(name.to_string());
    }
    Ok(done)
}

/// Creates every view in the local catalog and returns each name with its rows. Each
/// view is checked first, by running it over the real tables.
///
/// `data_sources` is written first. It is the views step's own table, which
/// `v_data_freshness` reads. The Glue catalog is refused. A view there is Athena's own,
/// and its text is Athena's encoding, not plain SQL. So only Athena writes it.
pub async fn in_local_catalog(
    store: &Store,
    catalog: &Catalog,
    dbs: &Databases,
) -> Result<Vec<(String, u64)>, QueryError> {
    if let Catalog::Glue(_) = catalog {
        return Err(QueryError::LocalViewsInGlue {
            database: dbs.refined.clone(),
        });
    }
    // v_data_freshness reads data_sources: written first, as for Athena (see sources).
    crate::sources::publish_sources(store, catalog, dbs).await?;
    // Loading defines every view over the real tables: a view that does not run fails here.
    let mut engine = Engine::load_views(store, catalog, dbs).await?;
    let mut created = Vec::new();
    for (name, sql) in VIEWS {
        let rows = engine.query(&format!("SELECT COUNT(*) AS n FROM {name}"))?;
        let n = rows
            .column("n")
            .ok()
            .and_then(|c| c.get(0).ok())
            .and_then(|v| v.extract::<u64>())
            .unwrap_or_default();
        catalog
            .put_table(
                &dbs.refined,
                &TableDef::view(name, "cinelake view (sql/views)", &select_of(sql)),
            )
            .await?;
        created.push((name.to_string(), n));
    }
    Ok(created)
}
