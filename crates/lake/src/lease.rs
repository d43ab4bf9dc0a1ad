//! A lease gives one holder at a time to work that must not run twice at once.
//!
//! Such work is an ingestion or a transform job. The lease is kept in the lake itself,
//! so every process that can write the lake sees it.
//!
//! Leases are numbered generations under a prefix. Each is created with a conditional
//! put (`If-None-Match: *`), so exactly one run wins a generation. A run takes over only
//! when the newest lease has expired or was released, by creating the next generation.
//! The owner renews its own object and learns it lost the lease if a newer one appears.

use bytes::Bytes;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::{Error, Result, Store};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct LeaseBody {
    pub run_id: String,
    pub expires_at: DateTime<Utc>,
    pub released: bool,
}

/// A lease this run holds, under `prefix`.
#[derive(Debug)]
pub struct Lease {
    prefix: String,
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

fn key(prefix: &str, generation: u64) -> String {
    format!("{prefix}{generation:012}.json")
}

async fn newest(store: &Store, prefix: &str) -> Result<Option<(u64, LeaseBody)>> {
    let latest = store
        .list(prefix)
        .await?
        .into_iter()
        .filter_map(|o| {
            o.key
                .strip_prefix(prefix)
                .and_then(|n| n.strip_suffix(".json"))
                .and_then(|n| n.parse::<u64>().ok())
        })
        .max();
    let Some(generation) = latest else {
        return Ok(None);
    };
    let at = key(prefix, generation);
    let Some(body) = store.get_opt(&at).await? else {
        return Ok(None);
    };
    let lease: LeaseBody =
        serde_json::from_slice(&body).map_err(|source| Error::Json { what: at, source })?;
    Ok(Some((generation, lease)))
}

impl Lease {
    /// Takes the lease under `prefix` for `ttl`, unless another run holds it.
    pub async fn acquire(
        store: &Store,
        prefix: &str,
        run_id: &str,
        ttl: Duration,
    ) -> Result<Acquired> {
        let next = match newest(store, prefix).await? {
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
            prefix: prefix.to_string(),
            generation: next,
            run_id: run_id.to_string(),
            ttl,
        };
        if !store
            .put_if_absent(&lease.key(), lease.body(false)?)
            .await?
        {
            // Another run created this generation a moment ago.
            return Ok(match newest(store, prefix).await? {
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
            let _ = store.delete(&key(prefix, g)).await;
        }
        Ok(Acquired::Held(lease))
    }

    fn key(&self) -> String {
        key(&self.prefix, self.generation)
    }

    fn body(&self, released: bool) -> Result<Bytes> {
        let body = LeaseBody {
            run_id: self.run_id.clone(),
            expires_at: Utc::now() + self.ttl,
            released,
        };
        serde_json::to_vec(&body)
            .map(Bytes::from)
            .map_err(|source| Error::Json {
                what: self.key(),
                source,
            })
    }

    /// Extends the lease; fails if another run has taken over since.
    pub async fn renew(&self, store: &Store) -> Result<()> {
        if let Some((g, l)) = newest(store, &self.prefix).await?
            && g != self.generation
        {
            return Err(Error::LeaseLost {
                prefix: self.prefix.clone(),
                holder: l.run_id,
            });
        }
        store.put(&self.key(), self.body(false)?).await?;
        Ok(())
    }

    /// Gives the lease up, unless another run has taken over since.
    pub async fn release(self, store: &Store) -> Result<()> {
        if let Some((g, _)) = newest(store, &self.prefix).await?
            && g != self.generation
        {
            return Ok(());
        }
        store.put(&self.key(), self.body(true)?).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PREFIX: &str = "_state/lease/";

    #[tokio::test]
    async fn one_holder_then_takeover_after_release_or_expiry() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path().to_str().unwrap()).await.unwrap();
        let a = match Lease::acquire(&store, PREFIX, "a", Duration::minutes(5))
            .await
            .unwrap()
        {
            Acquired::Held(l) => l,
            other => panic!("{other:?}"),
        };
        match Lease::acquire(&store, PREFIX, "b", Duration::minutes(5))
            .await
            .unwrap()
        {
            Acquired::Busy { holder, .. } => assert_eq!(holder, "a"),
            other => panic!("{other:?}"),
        }
        // Another prefix is another lease.
        let other = Lease::acquire(&store, "_state/other/", "b", Duration::minutes(5))
            .await
            .unwrap();
        assert!(matches!(other, Acquired::Held(_)), "{other:?}");
        a.renew(&store).await.unwrap();
        a.release(&store).await.unwrap();
        let b = match Lease::acquire(&store, PREFIX, "b", Duration::milliseconds(1))
            .await
            .unwrap()
        {
            Acquired::Held(l) => l,
            other => panic!("{other:?}"),
        };
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        // b's lease expired without release: c takes over and b learns it lost.
        let c = Lease::acquire(&store, PREFIX, "c", Duration::minutes(5))
            .await
            .unwrap();
        assert!(matches!(c, Acquired::Held(_)), "{c:?}");
        let err = b.renew(&store).await.unwrap_err();
        assert!(err.to_string().contains("run c"), "{err}");
    }
}
