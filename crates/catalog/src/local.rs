//! The local catalog: per table, the Glue definition and its partitions, stored as one
//! JSON object under `_catalog/<database>/<table>.json` in the lake (written atomically).

use bytes::Bytes;
use cinelake_lake::Store;
use serde::{Deserialize, Serialize};

use crate::{CatalogError, PartitionDef, Result, TableDef};

#[derive(Debug, Clone)]
pub struct LocalCatalog {
    store: Store,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Entry {
    table_input: TableDef,
    #[serde(default)]
    partitions: Vec<PartitionDef>,
}

fn key(db: &str, table: &str) -> String {
    format!("_catalog/{db}/{table}.json")
}

impl LocalCatalog {
    pub fn new(store: Store) -> Self {
        LocalCatalog { store }
    }

    async fn read(&self, db: &str, table: &str) -> Result<Option<Entry>> {
        let k = key(db, table);
        match self.store.get_opt(&k).await? {
            None => Ok(None),
            Some(b) => serde_json::from_slice(&b)
                .map(Some)
                .map_err(|e| CatalogError::BadEntry {
                    key: k,
                    detail: e.to_string(),
                }),
        }
    }

    async fn write(&self, db: &str, entry: &Entry) -> Result<()> {
        let k = key(db, &entry.table_input.name);
        let body = serde_json::to_vec_pretty(entry).map_err(|e| CatalogError::BadEntry {
            key: k.clone(),
            detail: e.to_string(),
        })?;
        self.store.put(&k, Bytes::from(body)).await?;
        Ok(())
    }

    pub async fn put_table(&self, db: &str, def: &TableDef) -> Result<()> {
        let partitions = self
            .read(db, &def.name)
            .await?
            .map(|e| e.partitions)
            .unwrap_or_default();
        self.write(
            db,
            &Entry {
                table_input: def.clone(),
                partitions,
            },
        )
        .await
    }

    pub async fn get_table(&self, db: &str, name: &str) -> Result<Option<TableDef>> {
        Ok(self.read(db, name).await?.map(|e| e.table_input))
    }

    pub async fn list_tables(&self, db: &str) -> Result<Vec<TableDef>> {
        let mut out = Vec::new();
        for obj in self.store.list(&format!("_catalog/{db}/")).await? {
            let Some(name) = obj
                .key
                .rsplit('/')
                .next()
                .and_then(|f| f.strip_suffix(".json"))
            else {
                continue;
            };
            if let Some(t) = self.get_table(db, name).await? {
                out.push(t);
            }
        }
        Ok(out)
    }

    pub async fn put_partition(&self, db: &str, table: &str, p: &PartitionDef) -> Result<()> {
        let mut entry = self
            .read(db, table)
            .await?
            .ok_or_else(|| CatalogError::BadEntry {
                key: key(db, table),
                detail: "partition for a table that is not registered".into(),
            })?;
        entry.partitions.retain(|q| q.values != p.values);
        entry.partitions.push(p.clone());
        self.write(db, &entry).await
    }

    pub async fn partitions(&self, db: &str, table: &str) -> Result<Vec<PartitionDef>> {
        Ok(self
            .read(db, table)
            .await?
            .map(|e| e.partitions)
            .unwrap_or_default())
    }
}
