//! Attempts in Redis. Each operation is one Lua script, which Redis runs atomically; a browser's
//! keys share a hash tag (`{browser}`), so one script touches one hash slot and works the same on
//! Redis Cluster as on one node. Sessions stay with tower-sessions-redis-store, whose `save` is
//! `SET ... XX` (update only), so a deleted session is never brought back.

use std::time::Duration;

use async_trait::async_trait;
use time::OffsetDateTime;
use tower_sessions_redis_store::fred::clients::Pool;
use tower_sessions_redis_store::fred::interfaces::LuaInterface as _;
use tower_sessions_redis_store::fred::types::Value;

use super::attempts::{AttemptKey, AttemptStore, AttemptStoreError, PENDING_ATTEMPTS_MAX};

/// Stores the sealed attempt in the browser's hash, records its order in the browser's sorted
/// set, drops the oldest past the maximum and sets both keys to expire with the newest attempt.
const PUT_SCRIPT: &str = r"
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
local excess = redis.call('ZCARD', KEYS[2]) - tonumber(ARGV[5])
if excess > 0 then
  local old = redis.call('ZRANGE', KEYS[2], 0, excess - 1)
  for _, field in ipairs(old) do
    redis.call('HDEL', KEYS[1], field)
    redis.call('ZREM', KEYS[2], field)
  end
end
redis.call('PEXPIRE', KEYS[1], ARGV[4])
redis.call('PEXPIRE', KEYS[2], ARGV[4])
return 1
";

/// Gets and deletes one attempt in one step: of concurrent takes, exactly one sees it.
const TAKE_SCRIPT: &str = r"
local sealed = redis.call('HGET', KEYS[1], ARGV[1])
if sealed then
  redis.call('HDEL', KEYS[1], ARGV[1])
  redis.call('ZREM', KEYS[2], ARGV[1])
end
return sealed
";

/// Marks a key once: 1 for the first caller, 0 while the mark lives.
const CLAIM_SCRIPT: &str = r"
if redis.call('SET', KEYS[1], '1', 'NX', 'PX', ARGV[1]) then return 1 end
return 0
";

/// Attempts in Redis, sharing the session store's connection pool.
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

    /// The browser's two keys: `line_login:attempts:{browser}` and `...:order`.
    pub(crate) fn keys(key: &AttemptKey) -> Vec<String> {
        let base = format!("line_login:attempts:{{{}}}", key.browser());
        vec![base.clone(), format!("{base}:order")]
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
    async fn put(
        &self,
        key: &AttemptKey,
        sealed: &[u8],
        expires_at: OffsetDateTime,
        now: OffsetDateTime,
    ) -> Result<(), AttemptStoreError> {
        let ttl_ms = (expires_at - now).whole_milliseconds().max(1);
        let order = (now.unix_timestamp_nanos() / 1_000) as i64;
        let args = vec![
            Value::from(key.attempt()),
            Value::Bytes(sealed.to_vec().into()),
            Value::Integer(order),
            Value::Integer(i64::try_from(ttl_ms).unwrap_or(i64::MAX)),
            Value::Integer(PENDING_ATTEMPTS_MAX as i64),
        ];
        self.eval(PUT_SCRIPT, Self::keys(key), args).await?;
        Ok(())
    }

    async fn take(&self, key: &AttemptKey) -> Result<Option<Vec<u8>>, AttemptStoreError> {
        // Redis expires the keys itself; the attempt's own expiry is checked again on opening.
        let value = self
            .eval(
                TAKE_SCRIPT,
                Self::keys(key),
                vec![Value::from(key.attempt())],
            )
            .await?;
        Ok(match value {
            Value::Bytes(bytes) => Some(bytes.to_vec()),
            Value::String(text) => Some(text.as_bytes().to_vec()),
            _ => None,
        })
    }

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

#[cfg(test)]
mod tests {
    use super::*;
    use tower_sessions_redis_store::fred::util::redis_keyslot;

    /// Cluster-correct keys: both keys a script touches hash to one slot, so the atomic take and
    /// put run on a Redis Cluster (a script over two slots is refused with CROSSSLOT).
    #[test]
    fn a_browsers_two_attempt_keys_share_one_hash_slot() {
        for browser in 0..200u32 {
            let key = AttemptKey::new(format!("{browser:064x}"), "attempt".to_owned());
            let keys = RedisAttempts::keys(&key);
            assert_eq!(keys.len(), 2);
            assert_eq!(
                redis_keyslot(keys[0].as_bytes()),
                redis_keyslot(keys[1].as_bytes()),
                "{keys:?}"
            );
        }
    }
}
