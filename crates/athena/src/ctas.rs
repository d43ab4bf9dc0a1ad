//! The temporary table of a `CREATE TABLE AS SELECT` that writes a version of another
//! stage's table.
//!
//! Its columns are held against the ones the Polars path registers. The table is
//! dropped afterwards. Trusted and Refined on Athena both write this way.

use cinelake_catalog::{Catalog, ColumnDef, parquet_table};

use crate::{Athena, AthenaError, Created, Result, sql};

impl Athena {
    /// Runs `CREATE TABLE <table> ... AS <select>` into `location`, then compares the
    /// columns Athena registered for `table` with `expected`: a difference is
    /// [`AthenaError::Columns`], and a table Glue does not hold is
    /// [`AthenaError::NotRegistered`], before the caller switches anything to the new
    /// version. (With a local server that runs no SQL, the client's stand-in registers
    /// what Athena would: [`crate::client::STAND_IN_ENV`].)
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
        if self.stand_in_registers {
            let def = parquet_table(
                name,
                "stand-in: what Athena registers",
                expected.to_vec(),
                location,
                Vec::new(),
            );
            catalog.put_table(db, &def).await?;
        }
        match catalog.column_differences(db, name, expected).await? {
            None => Err(AthenaError::NotRegistered {
                table: table.to_string(),
            }),
            Some(differences) if !differences.is_empty() => Err(AthenaError::Columns {
                table: table.to_string(),
                differences,
            }),
            Some(_) => Ok(created),
        }
    }

    /// Drops the table of a [`Athena::create_version`] quietly (below). The stand-in
    /// deletes what it registered, as Athena's `DROP TABLE` deletes it from Glue.
    pub async fn drop_version_table(&self, catalog: &Catalog, table: &str) {
        self.drop_quietly(table).await;
        if self.stand_in_registers {
            let (db, name) = table.rsplit_once('.').unwrap_or((self.database(), table));
            if let Err(e) = catalog.delete_table(db, name).await {
                tracing::warn!(table, error = %e, "the stand-in could not delete its table");
            }
        }
    }

    /// Drops a temporary table; a failure is only logged, for the callers for whom the
    /// table is litter (their data is written, or their own error is the one to report).
    pub async fn drop_quietly(&self, table: &str) {
        if let Err(e) = self.run_cleanup(&sql::drop_table(table)).await {
            tracing::warn!(table, error = %e, "could not drop a temporary table of Athena's");
        }
    }
}
