//! Which catalog a run registers tables in, from flags or the environment (`.env.example`).

use cinelake_lake::Store;

use crate::{Catalog, Databases, Result};

/// Where tables are registered.
#[derive(Debug, Clone, PartialEq, Eq, clap::Args)]
pub struct CatalogSettings {
    /// `local` (definitions stored in the lake under _catalog/) or `glue`.
    #[arg(long, env = "CINELAKE_CATALOG", default_value = "local")]
    pub catalog: String,
    /// Database names are <prefix>_trusted and <prefix>_refined.
    #[arg(long, env = "CINELAKE_DATABASE_PREFIX", default_value = Databases::DEFAULT_PREFIX)]
    pub database_prefix: String,
}

impl CatalogSettings {
    /// The local catalog with the default databases.
    pub fn local() -> Self {
        CatalogSettings {
            catalog: "local".into(),
            database_prefix: Databases::DEFAULT_PREFIX.into(),
        }
    }

    pub async fn open(&self, store: &Store) -> Result<Catalog> {
        Catalog::open(&self.catalog, store).await
    }

    pub fn databases(&self) -> Databases {
        Databases::with_prefix(&self.database_prefix)
    }

    /// The Glue Data Catalog, where views must be Athena's own.
    pub fn is_glue(&self) -> bool {
        self.catalog == "glue"
    }
}
