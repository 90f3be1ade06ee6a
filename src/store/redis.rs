//! Spent-marks in Redis: one `SET NX PX` per claim, on one key (so one hash slot: it works the
//! same on Redis Cluster as on one node), expiring with what it marks. Sessions stay with tower-sessions-redis-store, whose `save` is
//! `SET ... XX` (update only), so a deleted session is never brought back.

use std::time::Duration;

use async_trait::async_trait;
use time::OffsetDateTime;
use tower_sessions_redis_store::fred::clients::Pool;
use tower_sessions_redis_store::fred::interfaces::LuaInterface as _;
use tower_sessions_redis_store::fred::types::Value;

use super::attempts::{AttemptKey, AttemptStore, AttemptStoreError};

/// Marks a key once: 1 for the first caller, 0 while the mark lives.
const CLAIM_SCRIPT: &str = r"
if redis.call('SET', KEYS[1], '1', 'NX', 'PX', ARGV[1]) then return 1 end
return 0
";

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

    async fn eval(
        &self,
        script: &str,
        keys: Vec<String>,
        args: Vec<Value>,
    ) -> Result<Value, AttemptStoreError> {
        let call = self.pool.eval::<Value, _, _, _>(script, keys, args);
        match tokio::time::timeout(self.command_timeout, call).await {
            Ok(Ok(value)) => Ok(value),
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

#[async_trait]
impl AttemptStore for RedisAttempts {
    async fn claim(
        &self,
        key: &AttemptKey,
        expires_at: OffsetDateTime,
        now: OffsetDateTime,
    ) -> Result<bool, AttemptStoreError> {
        // SET NX with the mark's own expiry: one command, one key, one slot.
        let ttl_ms = (expires_at - now).whole_milliseconds().max(1);
        let value = self
            .eval(
                CLAIM_SCRIPT,
                vec![format!("line_login:claims:{{{}}}", key.attempt())],
                vec![Value::Integer(i64::try_from(ttl_ms).unwrap_or(i64::MAX))],
            )
            .await?;
        Ok(matches!(value, Value::Integer(1)))
    }
}
