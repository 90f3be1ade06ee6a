//! Spent-marks in Redis: one `SET NX PX` per claim, on one key (so one hash slot: it works the
//! same on Redis Cluster as on one node), expiring with what it marks. Sessions stay with
//! tower-sessions-redis-store, whose `save` is `SET ... XX` (update only), so a deleted session
//! is never brought back.

use std::time::Duration;

use async_trait::async_trait;
use time::OffsetDateTime;
use tower_sessions_redis_store::fred::clients::Pool;
use tower_sessions_redis_store::fred::interfaces::KeysInterface as _;
use tower_sessions_redis_store::fred::types::{Expiration, SetOptions, Value};

use super::attempts::{AttemptKey, AttemptStore, AttemptStoreError};

/// Spent-marks in Redis, sharing the session store's connection pool.
#[derive(Clone)]
pub(crate) struct RedisAttempts {
    pool: Pool,
    command_timeout: Duration,
}

impl RedisAttempts {
    pub(crate) fn new(pool: Pool, command_timeout: Duration) -> Self {
        Self {
            pool,
            command_timeout,
        }
    }
}

#[async_trait]
impl AttemptStore for RedisAttempts {
    async fn claim(
        &self,
        key: &AttemptKey,
        expires_at: OffsetDateTime,
        now: OffsetDateTime,
    ) -> Result<bool, AttemptStoreError> {
        // SET NX with the mark's own expiry: one command (no script), one key, one slot.
        let ttl_ms = (expires_at - now).whole_milliseconds().max(1);
        let call = self.pool.set::<Value, _, _>(
            format!("line_login:claims:{{{}}}", key.attempt()),
            "1",
            Some(Expiration::PX(i64::try_from(ttl_ms).unwrap_or(i64::MAX))),
            Some(SetOptions::NX),
            false,
        );
        match tokio::time::timeout(self.command_timeout, call).await {
            // `OK` when set, nil when the key was there.
            Ok(Ok(value)) => Ok(!value.is_null()),
            Ok(Err(error)) => Err(AttemptStoreError::Backend {
                kind: "redis",
                source: Box::new(error),
            }),
            Err(_) => Err(AttemptStoreError::Timeout {
                kind: "redis",
                millis: self.command_timeout.as_millis(),
            }),
        }
    }
}
