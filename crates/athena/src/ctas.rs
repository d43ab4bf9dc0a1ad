//! The temporary table of a `CREATE TABLE AS SELECT` that writes a version of another
//! stage's table: its columns held against the ones the Polars path registers, and the
//! table dropped afterwards. Trusted and Refined on Athena both write this way.

use cinelake_catalog::{Catalog, ColumnDef};

use crate::{Athena, AthenaError, Created, Result, sql};

impl Athena {
    /// Runs `CREATE TABLE <table> ... AS <select>` into `location`, then, where Athena
    /// registered `table` (real Athena does; moto, the local stand-in, runs no SQL and
    /// registers none), compares its columns with `expected`: a difference is
    /// [`AthenaError::Columns`], before the caller switches anything to the new version.
    pub async fn create_version(
        &self,
        catalog: &Catalog,
        table: &str,
        location: &str,
        select: &str,
        expected: &[ColumnDef],
    ) -> Result<Created> {
        let created = self.create_table_as(table, location, select).await?;
        let (db, name) = table.rsplit_once('.').unwrap_or((self.database(), table));
        if let Some(differences) = catalog.column_differences(db, name, expected).await?
            && !differences.is_empty()
        {
            return Err(AthenaError::Columns {
                table: table.to_string(),
                differences,
            });
        }
        Ok(created)
    }

    /// Drops a temporary table; a failure is only logged, for the callers for whom the
    /// table is litter (their data is written, or their own error is the one to report).
    pub async fn drop_quietly(&self, table: &str) {
        if let Err(e) = self.run(&sql::drop_table(table)).await {
            tracing::warn!(table, error = %e, "could not drop a temporary table of Athena's");
        }
    }
}
