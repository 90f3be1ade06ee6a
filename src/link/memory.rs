//! Member links in memory: for tests, demos and single-instance apps that rebuild links at start.

use std::collections::HashMap;
use std::convert::Infallible;
use std::fmt;
use std::hash::Hash;
use std::str::FromStr;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;

use super::{LinkCause, LinkError, MemberLinks};

/// Links kept in a process-local map (both directions), with an audit trail.
#[derive(Clone, Debug)]
pub struct MemoryLinks<M> {
    inner: Arc<Mutex<Inner<M>>>,
}

#[derive(Debug)]
struct Inner<M> {
    by_member: HashMap<M, String>,
    by_line_user: HashMap<String, M>,
    audit: Vec<(String, String, String, String)>,
}

impl<M> Default for MemoryLinks<M> {
    fn default() -> Self {
        Self {
            inner: Arc::new(Mutex::new(Inner {
                by_member: HashMap::new(),
                by_line_user: HashMap::new(),
                audit: Vec::new(),
            })),
        }
    }
}

impl<M: fmt::Display> MemoryLinks<M> {
    /// The audit trail: `(action, member, LINE user, cause)` in order.
    pub fn audit(&self) -> Vec<(String, String, String, String)> {
        self.lock().audit.clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner<M>> {
        // A panic while holding the lock cannot leave the maps half-updated (each change is two
        // inserts done together), so a poisoned lock is safe to keep using.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[async_trait]
impl<M> MemberLinks for MemoryLinks<M>
where
    M: Clone + Eq + Hash + Send + Sync + fmt::Display + FromStr + 'static,
{
    type MemberId = M;
    type Error = Infallible;

    async fn member_for(&self, line_user_id: &str) -> Result<Option<M>, Infallible> {
        Ok(self.lock().by_line_user.get(line_user_id).cloned())
    }

    async fn line_user_for(&self, member: &M) -> Result<Option<String>, Infallible> {
        Ok(self.lock().by_member.get(member).cloned())
    }

    async fn link(
        &self,
        member: &M,
        line_user_id: &str,
        cause: &LinkCause,
    ) -> Result<(), LinkError<Infallible>> {
        let mut inner = self.lock();
        match (
            inner.by_member.get(member),
            inner.by_line_user.get(line_user_id),
        ) {
            (Some(user), Some(m)) if user == line_user_id && m == member => return Ok(()),
            (Some(_), _) => {
                return Err(LinkError::Conflict(
                    "this member is already linked to another LINE account".into(),
                ));
            }
            (_, Some(_)) => {
                return Err(LinkError::Conflict(
                    "this LINE account is already linked to another member".into(),
                ));
            }
            (None, None) => {}
        }
        inner
            .by_member
            .insert(member.clone(), line_user_id.to_owned());
        inner
            .by_line_user
            .insert(line_user_id.to_owned(), member.clone());
        inner.audit.push((
            "link".into(),
            member.to_string(),
            line_user_id.to_owned(),
            cause.as_str().to_owned(),
        ));
        Ok(())
    }

    async fn unlink(&self, member: &M, cause: &LinkCause) -> Result<Option<String>, Infallible> {
        let mut inner = self.lock();
        let Some(line_user) = inner.by_member.remove(member) else {
            return Ok(None);
        };
        inner.by_line_user.remove(&line_user);
        inner.audit.push((
            "unlink".into(),
            member.to_string(),
            line_user.clone(),
            cause.as_str().to_owned(),
        ));
        Ok(Some(line_user))
    }
}
