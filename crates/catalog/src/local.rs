//! The local catalog, which keeps table definitions in the lake itself. Each table's
//! Glue definition and its partitions are one JSON object under
//! `_catalog/<database>/<table>.json` in the lake, written atomically.
//!
//! A location inside the lake is stored relative to the lake, as in
//! `Refined/fact_film/<run>/`. It is read back as the lake's URL of it. So a directory
//! lake that is moved or copied still opens, at its new place. A location outside the
//! lake is kept as it is.

use bytes::Bytes;
use cinelake_lake::{Store, layout};
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
    layout::catalog_key(db, table)
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
                .map(|e| Some(self.relocated(e, |c, l| c.absolute(l))))
                .map_err(|e| CatalogError::BadEntry {
                    key: k,
                    detail: e.to_string(),
                }),
        }
    }

    /// `entry` with every location mapped by `f`.
    fn relocated(&self, mut entry: Entry, f: impl Fn(&Self, &str) -> String) -> Entry {
        let sd = &mut entry.table_input.storage_descriptor;
        sd.location = f(self, &sd.location);
        for p in &mut entry.partitions {
            p.location = f(self, &p.location);
        }
        entry
    }

    /// How a location is stored: relative to the lake when inside it.
    fn relative(&self, location: &str) -> String {
        match self.store.key_of_location(location) {
            Some(key) if !key.is_empty() => key,
            _ => location.to_string(),
        }
    }

    /// A stored location as the lake's URL. A relative one is a key of this lake. A
    /// view has no location, so empty stays empty.
    fn absolute(&self, stored: &str) -> String {
        if stored.is_empty() || stored.contains("://") || stored.starts_with('/') {
            stored.to_string()
        } else {
            self.store.location(stored)
        }
    }

    async fn write(&self, db: &str, entry: &Entry) -> Result<()> {
        let k = key(db, &entry.table_input.name);
        let entry = self.relocated(entry.clone(), |c, l| c.relative(l));
        let body = serde_json::to_vec_pretty(&entry).map_err(|e| CatalogError::BadEntry {
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

    /// Deletes `db.table`'s entry; one that is not there is not an error.
    pub async fn delete_table(&self, db: &str, table: &str) -> Result<()> {
        Ok(self.store.delete(&key(db, table)).await?)
    }

    pub async fn list_tables(&self, db: &str) -> Result<Vec<TableDef>> {
        let mut out = Vec::new();
        for obj in self.store.list(&layout::catalog_prefix(db)).await? {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ColumnDef, parquet_table};

    async fn catalog() -> (tempfile::TempDir, LocalCatalog) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path().to_str().unwrap()).await.unwrap();
        (dir, LocalCatalog::new(store))
    }

    fn def(name: &str, column_type: &str) -> TableDef {
        parquet_table(
            name,
            "a table",
            vec![ColumnDef::new("id", column_type)],
            "file:///lake/Refined/t/v1/",
            vec![],
        )
    }

    #[tokio::test]
    async fn tables_round_trip_and_replace() {
        let (dir, c) = catalog().await;
        assert_eq!(c.get_table("db", "t").await.unwrap(), None);
        c.put_table("db", &def("t", "bigint")).await.unwrap();
        c.put_table("db", &def("u", "string")).await.unwrap();
        c.put_table("other", &def("x", "string")).await.unwrap();
        assert_eq!(
            c.get_table("db", "t").await.unwrap(),
            Some(def("t", "bigint"))
        );
        c.put_table("db", &def("t", "int")).await.unwrap();
        assert_eq!(c.get_table("db", "t").await.unwrap(), Some(def("t", "int")));
        let mut names: Vec<String> = c
            .list_tables("db")
            .await
            .unwrap()
            .into_iter()
            .map(|t| t.name)
            .collect();
        names.sort();
        assert_eq!(names, ["t", "u"]);
        assert!(dir.path().join("_catalog/db/t.json").is_file());
    }

    #[tokio::test]
    async fn partitions_are_kept_across_table_updates_and_replaced_by_value() {
        let (_dir, c) = catalog().await;
        let part = |dt: &str, v: &str| PartitionDef {
            values: vec![dt.into()],
            location: format!("file:///lake/t/dt={dt}/{v}/"),
            parameters: [("source".to_string(), format!("{v}.json"))].into(),
        };
        let err = c.put_partition("db", "t", &part("2026-01-01", "a")).await;
        assert!(matches!(err, Err(CatalogError::BadEntry { .. })), "{err:?}");
        c.put_table("db", &def("t", "bigint")).await.unwrap();
        c.put_partition("db", "t", &part("2026-01-01", "a"))
            .await
            .unwrap();
        c.put_partition("db", "t", &part("2026-02-01", "a"))
            .await
            .unwrap();
        c.put_partition("db", "t", &part("2026-01-01", "b"))
            .await
            .unwrap();
        c.put_table("db", &def("t", "int")).await.unwrap();
        let mut parts = c.partitions("db", "t").await.unwrap();
        parts.sort_by(|a, b| a.values.cmp(&b.values));
        assert_eq!(parts, [part("2026-01-01", "b"), part("2026-02-01", "a")]);
    }

    #[tokio::test]
    async fn a_moved_lake_reads_its_locations_where_it_is_now() {
        let dir = tempfile::tempdir().unwrap();
        let at = |name: &str| dir.path().join(name).to_str().unwrap().to_string();
        let store = Store::open(&at("lake")).await.unwrap();
        let c = LocalCatalog::new(store.clone());
        let inside = store.location("Refined/t/v1/");
        let mut t = def("t", "bigint");
        t.storage_descriptor.location = inside.clone();
        c.put_table("db", &t).await.unwrap();
        c.put_table("db", &def("outside", "bigint")).await.unwrap();
        c.put_partition(
            "db",
            "t",
            &PartitionDef {
                values: vec!["2026-01-01".into()],
                location: store.location("Trusted/t/dt=2026-01-01/v1/"),
                parameters: Default::default(),
            },
        )
        .await
        .unwrap();
        // Stored relative to the lake; read back as this lake's URLs.
        let text = std::fs::read_to_string(dir.path().join("lake/_catalog/db/t.json")).unwrap();
        assert!(text.contains("\"Location\": \"Refined/t/v1/\""), "{text}");
        assert!(!text.contains("file://"), "{text}");
        assert_eq!(c.get_table("db", "t").await.unwrap(), Some(t));

        std::fs::rename(dir.path().join("lake"), dir.path().join("moved")).unwrap();
        let moved = Store::open(&at("moved")).await.unwrap();
        let c = LocalCatalog::new(moved.clone());
        let t = c.get_table("db", "t").await.unwrap().unwrap();
        assert_eq!(
            t.storage_descriptor.location,
            moved.location("Refined/t/v1/")
        );
        let parts = c.partitions("db", "t").await.unwrap();
        assert_eq!(
            parts[0].location,
            moved.location("Trusted/t/dt=2026-01-01/v1/")
        );
        // A location outside the lake is kept as it was given.
        let outside = c.get_table("db", "outside").await.unwrap().unwrap();
        assert_eq!(
            outside.storage_descriptor.location,
            "file:///lake/Refined/t/v1/"
        );
    }

    #[tokio::test]
    async fn an_unreadable_entry_is_named() {
        let (dir, c) = catalog().await;
        std::fs::create_dir_all(dir.path().join("_catalog/db")).unwrap();
        std::fs::write(dir.path().join("_catalog/db/t.json"), b"{not json").unwrap();
        let err = c.get_table("db", "t").await.unwrap_err();
        assert!(err.to_string().contains("_catalog/db/t.json"), "{err}");
    }
}
