//! Sessions in this process's memory (one instance), with the guarantees the shared stores give:
//! `save` only updates a record that exists (a deleted session stays deleted), and expired
//! records are swept, so anonymous traffic cannot grow memory for ever.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;
use time::OffsetDateTime;
use tokio::sync::Mutex;
use tower_sessions::SessionStore;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store;

/// Every this many writes, the memory store sweeps its expired records.
const SWEEP_EVERY_WRITES: usize = 256;

/// The in-memory session store. Clones share the same memory.
#[derive(Clone, Debug, Default)]
pub(crate) struct MemorySessions {
    records: Arc<Mutex<HashMap<Id, Record>>>,
    writes: Arc<AtomicUsize>,
}

impl MemorySessions {
    /// How many records are held, expired ones not yet swept included.
    pub(crate) async fn len(&self) -> usize {
        self.records.lock().await.len()
    }

    /// Drops every expired record.
    pub(crate) async fn delete_expired(&self) {
        let now = OffsetDateTime::now_utc();
        self.records.lock().await.retain(|_, r| r.expiry_date > now);
    }

    fn sweep_due(&self) -> bool {
        self.writes.fetch_add(1, Ordering::Relaxed) % SWEEP_EVERY_WRITES == SWEEP_EVERY_WRITES - 1
    }
}

#[async_trait]
impl SessionStore for MemorySessions {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        let sweep = self.sweep_due();
        let mut records = self.records.lock().await;
        if sweep {
            let now = OffsetDateTime::now_utc();
            records.retain(|_, r| r.expiry_date > now);
        }
        while records.contains_key(&record.id) {
            record.id = Id::default();
        }
        records.insert(record.id, record.clone());
        Ok(())
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        // Update only: a record deleted by a logout is not brought back by a request that loaded
        // it before.
        if let Some(stored) = self.records.lock().await.get_mut(&record.id) {
            stored.clone_from(record);
        }
        Ok(())
    }

    async fn load(&self, session_id: &Id) -> session_store::Result<Option<Record>> {
        let now = OffsetDateTime::now_utc();
        Ok(self
            .records
            .lock()
            .await
            .get(session_id)
            .filter(|r| r.expiry_date > now)
            .cloned())
    }

    async fn delete(&self, session_id: &Id) -> session_store::Result<()> {
        self.records.lock().await.remove(session_id);
        Ok(())
    }
}
