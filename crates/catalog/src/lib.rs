//! The catalog, where every Trusted and Refined table is registered. Athena reads the
//! tables through the Glue Data Catalog, and the local SQL engine through the local
//! catalog. So both read the same tables.
//!
//! [`TableDef`] mirrors Glue's `TableInput` field for field. The local catalog stores
//! exactly the definition Glue would have received, as JSON under `_catalog/` in the
//! lake.

mod glue;
mod local;
mod settings;
mod table;
pub mod tables;

pub use glue::GlueCatalog;
pub use local::LocalCatalog;
pub use settings::CatalogSettings;
pub use table::{ColumnDef, PartitionDef, TableDef, parquet_table};
pub use tables::{Databases, Table, Zone};

use cinelake_lake::Store;

#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error(transparent)]
    Lake(#[from] cinelake_lake::Error),
    /// A Glue call failed; the SDK's error is the source.
    #[error("Glue {op} {target}: {}", cinelake_lake::error::chain(source.as_ref()))]
    Glue {
        op: &'static str,
        target: String,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    #[error("{target}: the table is not registered")]
    NotRegistered { target: String },
    #[error("catalog entry {key} is unreadable: {detail}")]
    BadEntry { key: String, detail: String },
    #[error("unknown catalog {0:?}: expected local or glue")]
    UnknownKind(String),
}

pub type Result<T, E = CatalogError> = std::result::Result<T, E>;

/// The Glue Data Catalog, or the local stand-in.
#[derive(Debug, Clone)]
pub enum Catalog {
    Local(LocalCatalog),
    Glue(GlueCatalog),
}

impl Catalog {
    /// `local` keeps definitions in the lake; `glue` uses the AWS Glue Data Catalog
    /// (any Glue-speaking endpoint through `AWS_ENDPOINT_URL`).
    pub async fn open(kind: &str, store: &Store) -> Result<Catalog> {
        match kind {
            "local" => Ok(Catalog::Local(LocalCatalog::new(store.clone()))),
            "glue" => Ok(Catalog::Glue(GlueCatalog::connect().await)),
            other => Err(CatalogError::UnknownKind(other.to_string())),
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Catalog::Local(_) => "local",
            Catalog::Glue(_) => "glue",
        }
    }

    pub async fn ensure_database(&self, db: &str) -> Result<()> {
        match self {
            Catalog::Local(_) => Ok(()),
            Catalog::Glue(g) => g.ensure_database(db).await,
        }
    }

    /// Creates the table or replaces its definition.
    pub async fn put_table(&self, db: &str, def: &TableDef) -> Result<()> {
        match self {
            Catalog::Local(l) => l.put_table(db, def).await,
            Catalog::Glue(g) => g.put_table(db, def).await,
        }
    }

    pub async fn get_table(&self, db: &str, name: &str) -> Result<Option<TableDef>> {
        match self {
            Catalog::Local(l) => l.get_table(db, name).await,
            Catalog::Glue(g) => g.get_table(db, name).await,
        }
    }

    /// Deletes a table's definition (not its files); a table that is not there is not
    /// an error.
    pub async fn delete_table(&self, db: &str, name: &str) -> Result<()> {
        match self {
            Catalog::Local(l) => l.delete_table(db, name).await,
            Catalog::Glue(g) => g.delete_table(db, name).await,
        }
    }

    /// How the columns another engine registered for `db.name` differ from `expected`.
    /// Athena registers such columns for the table of a `CREATE TABLE AS SELECT`.
    ///
    /// Returns `None` when no such table is registered. Otherwise returns one line per
    /// difference, and none when they agree. Names and types are compared as Glue keeps
    /// them, lowercase and without spaces.
    pub async fn column_differences(
        &self,
        db: &str,
        name: &str,
        expected: &[ColumnDef],
    ) -> Result<Option<Vec<String>>> {
        let Some(def) = self.get_table(db, name).await? else {
            return Ok(None);
        };
        let norm = |s: &str| s.to_ascii_lowercase().replace(' ', "");
        let found = &def.storage_descriptor.columns;
        let mut out = Vec::new();
        for i in 0..found.len().max(expected.len()) {
            match (found.get(i), expected.get(i)) {
                (Some(f), Some(e))
                    if norm(&f.name) == norm(&e.name) && norm(&f.r#type) == norm(&e.r#type) => {}
                (f, e) => out.push(format!(
                    "column {}: {} where {} was expected",
                    i + 1,
                    f.map_or("none".into(), |c| format!("{} {}", c.name, c.r#type)),
                    e.map_or("none".into(), |c| format!("{} {}", c.name, c.r#type)),
                )),
            }
        }
        Ok(Some(out))
    }

    pub async fn list_tables(&self, db: &str) -> Result<Vec<TableDef>> {
        let mut tables = match self {
            Catalog::Local(l) => l.list_tables(db).await?,
            Catalog::Glue(g) => g.list_tables(db).await?,
        };
        tables.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(tables)
    }

    /// Creates the partition or moves it to a new location.
    pub async fn put_partition(&self, db: &str, table: &str, p: &PartitionDef) -> Result<()> {
        match self {
            Catalog::Local(l) => l.put_partition(db, table, p).await,
            Catalog::Glue(g) => g.put_partition(db, table, p).await,
        }
    }

    pub async fn partitions(&self, db: &str, table: &str) -> Result<Vec<PartitionDef>> {
        let mut parts = match self {
            Catalog::Local(l) => l.partitions(db, table).await?,
            Catalog::Glue(g) => g.partitions(db, table).await?,
        };
        parts.sort_by(|a, b| a.values.cmp(&b.values));
        Ok(parts)
    }
}
