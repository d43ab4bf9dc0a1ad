//! One ingestion at a time. The scheduler and Lambda both retry, so two runs can start
//! together; the lease lets one work and the other exit cleanly.
//!
//! Leases are numbered generations under `Raw/TMDB/_state/lease/`, each created with a
//! conditional put (`If-None-Match: *`), so exactly one run wins a generation. A run
//! takes over only when the newest lease has expired or was released, by creating the
//! next generation; the owner renews its own object and stops if a newer one appears.

use bytes::Bytes;
use chrono::{DateTime, Duration, Utc};
use cinelake_lake::Store;
use cinelake_lake::layout;
use serde::{Deserialize, Serialize};

use crate::IngestError;

fn prefix() -> String {
    layout::raw_tmdb_state_key("lease/")
}

fn key(generation: u64) -> String {
    format!("{}{generation:012}.json", prefix())
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct LeaseBody {
    pub run_id: String,
    pub expires_at: DateTime<Utc>,
    pub released: bool,
}

#[derive(Debug)]
pub struct Lease {
    generation: u64,
    run_id: String,
    ttl: Duration,
}

#[derive(Debug)]
pub enum Acquired {
    Held(Lease),
    /// Another run holds the lease.
    Busy {
        holder: String,
        expires_at: DateTime<Utc>,
    },
}

async fn newest(store: &Store) -> Result<Option<(u64, LeaseBody)>, IngestError> {
    let latest = store
        .list(&prefix())
        .await?
        .into_iter()
        .filter_map(|o| {
            o.key
                .strip_prefix(&prefix())
                .and_then(|n| n.strip_suffix(".json"))
                .and_then(|n| n.parse::<u64>().ok())
        })
        .max();
    let Some(generation) = latest else {
        return Ok(None);
    };
    let Some(body) = store.get_opt(&key(generation)).await? else {
        return Ok(None);
    };
    let lease: LeaseBody = serde_json::from_slice(&body).map_err(|e| IngestError::BadState {
        key: key(generation),
        detail: e.to_string(),
    })?;
    Ok(Some((generation, lease)))
}

impl Lease {
    pub async fn acquire(
        store: &Store,
        run_id: &str,
        ttl: Duration,
    ) -> Result<Acquired, IngestError> {
        let next = match newest(store).await? {
            Some((_, l)) if !l.released && l.expires_at > Utc::now() => {
                return Ok(Acquired::Busy {
                    holder: l.run_id,
                    expires_at: l.expires_at,
                });
            }
            Some((generation, _)) => generation + 1,
            None => 1,
        };
        let lease = Lease {
            generation: next,
            run_id: run_id.to_string(),
            ttl,
        };
        if !store.put_if_absent(&key(next), lease.body(false)?).await? {
            // Another run created this generation a moment ago.
            return Ok(match newest(store).await? {
                Some((_, l)) => Acquired::Busy {
                    holder: l.run_id,
                    expires_at: l.expires_at,
                },
                None => Acquired::Busy {
                    holder: "unknown".into(),
                    expires_at: Utc::now(),
                },
            });
        }
        // Older generations are history now.
        for g in 1..next {
            let _ = store.delete(&key(g)).await;
        }
        Ok(Acquired::Held(lease))
    }

    fn body(&self, released: bool) -> Result<Bytes, IngestError> {
        let body = LeaseBody {
            run_id: self.run_id.clone(),
            expires_at: Utc::now() + self.ttl,
            released,
        };
        serde_json::to_vec(&body)
            .map(Bytes::from)
            .map_err(|e| IngestError::BadState {
                key: key(self.generation),
                detail: e.to_string(),
            })
    }

    /// Extends the lease; fails if another run has taken over since.
    pub async fn renew(&self, store: &Store) -> Result<(), IngestError> {
        if let Some((g, l)) = newest(store).await?
            && g != self.generation
        {
            return Err(IngestError::LeaseLost { holder: l.run_id });
        }
        store.put(&key(self.generation), self.body(false)?).await?;
        Ok(())
    }

    pub async fn release(self, store: &Store) -> Result<(), IngestError> {
        if let Some((g, _)) = newest(store).await?
            && g != self.generation
        {
            return Ok(());
        }
        store.put(&key(self.generation), self.body(true)?).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn one_holder_then_takeover_after_release_or_expiry() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path().to_str().unwrap()).await.unwrap();
        let a = match Lease::acquire(&store, "a", Duration::minutes(5))
            .await
            .unwrap()
        {
            Acquired::Held(l) => l,
            other => panic!("{other:?}"),
        };
        match Lease::acquire(&store, "b", Duration::minutes(5))
            .await
            .unwrap()
        {
            Acquired::Busy { holder, .. } => assert_eq!(holder, "a"),
            other => panic!("{other:?}"),
        }
        a.renew(&store).await.unwrap();
        a.release(&store).await.unwrap();
        let b = match Lease::acquire(&store, "b", Duration::milliseconds(1))
            .await
            .unwrap()
        {
            Acquired::Held(l) => l,
            other => panic!("{other:?}"),
        };
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        // b's lease expired without release: c takes over and b learns it lost.
        let c = Lease::acquire(&store, "c", Duration::minutes(5))
            .await
            .unwrap();
        assert!(matches!(c, Acquired::Held(_)), "{c:?}");
        let err = b.renew(&store).await.unwrap_err();
        assert!(err.to_string().contains("run c"), "{err}");
    }
}
