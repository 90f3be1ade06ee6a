//! "Why is there no email?": the layer knows when a login asked for `email` and got none
//! ([`LineUser::email_not_granted`](crate::LineUser::email_not_granted)). One user unticking the
//! permission is normal; many logins in a row without an email mean the channel probably has
//! no email permission, so the layer warns, at most once per [`EMAIL_WARNING_INTERVAL`].
//!
//! Email is never an identity key: the LINE user ID (`sub`) is. An email may be missing,
//! unticked later, or change.

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::Duration;

use time::OffsetDateTime;

/// Consecutive logins that asked for email and got none before the layer warns.
pub const EMAIL_MISSING_LOGINS_BEFORE_WARNING: u64 = 20;
/// The warning is repeated at most this often while email keeps missing.
pub const EMAIL_WARNING_INTERVAL: Duration = Duration::from_secs(60 * 60);

/// Counts consecutive logins that asked for email and got none; lock-free, one per layer.
#[derive(Debug, Default)]
pub(crate) struct EmailWatch {
    consecutive_missing: AtomicU64,
    /// UNIX seconds of the last warning; `i64::MIN` before the first.
    last_warning: AtomicI64,
}

impl EmailWatch {
    pub(crate) fn new() -> Self {
        Self {
            consecutive_missing: AtomicU64::new(0),
            last_warning: AtomicI64::new(i64::MIN),
        }
    }

    /// Records one login that asked for email; `granted` says whether the ID token had one.
    /// Returns whether this login should log the warning (and logs it).
    pub(crate) fn login(&self, granted: bool, now: OffsetDateTime) -> bool {
        if granted {
            self.consecutive_missing.store(0, Ordering::Relaxed);
            return false;
        }
        let missing = self
            .consecutive_missing
            .fetch_add(1, Ordering::Relaxed)
            .saturating_add(1);
        if missing < EMAIL_MISSING_LOGINS_BEFORE_WARNING {
            return false;
        }
        let now_secs = now.unix_timestamp();
        let last = self.last_warning.load(Ordering::Relaxed);
        let interval = EMAIL_WARNING_INTERVAL.as_secs() as i64;
        if last != i64::MIN && now_secs.saturating_sub(last) < interval {
            return false;
        }
        // One instance of the race wins the warning.
        if self
            .last_warning
            .compare_exchange(last, now_secs, Ordering::Relaxed, Ordering::Relaxed)
            .is_err()
        {
            return false;
        }
        tracing::warn!(
            consecutive_logins_without_email = missing,
            "{missing} logins in a row asked for email and got none: the channel probably has no \
             email permission (LINE Developers Console, Basic settings, OpenID Connect: apply \
             for the email address permission)"
        );
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_warning_comes_after_many_logins_without_email_and_is_rate_limited() {
        let watch = EmailWatch::new();
        let start = OffsetDateTime::UNIX_EPOCH + time::Duration::days(20_000);
        for _ in 1..EMAIL_MISSING_LOGINS_BEFORE_WARNING {
            assert!(!watch.login(false, start));
        }
        assert!(
            watch.login(false, start),
            "the 20th login without email warns"
        );
        // Rate-limited: not again within the interval, however many logins.
        for _ in 0..100 {
            assert!(!watch.login(false, start + time::Duration::minutes(59)));
        }
        assert!(watch.login(false, start + time::Duration::minutes(61)));
    }

    #[test]
    fn email_warning_counts_only_consecutive_logins_without_email() {
        let watch = EmailWatch::new();
        let now = OffsetDateTime::UNIX_EPOCH + time::Duration::days(20_000);
        for round in 0..5 {
            for _ in 1..EMAIL_MISSING_LOGINS_BEFORE_WARNING {
                assert!(!watch.login(false, now), "round {round}");
            }
            // One login with an email: the channel has the permission; users just unticked it.
            assert!(!watch.login(true, now));
        }
    }
}
