//! Member links in memory: for tests, demos and single-instance apps that rebuild links at start.
//! Links are lost when the process ends; use the SQL stores to keep them.

use std::collections::{BTreeMap, HashMap};
use std::convert::Infallible;
use std::fmt;
use std::hash::Hash;
use std::str::FromStr;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use time::OffsetDateTime;

use super::{
    AuditAction, AuditEvent, Link, LinkCause, LinkConflict, LinkError, LinkKey, MemberLinks,
    SweepLinks, UserTokens,
};

/// Links kept in process memory (both directions, one lock), with an audit trail.
///
/// ```
/// use line_login::link::{LinkCause, LinkKey, MemberLinks, MemoryLinks};
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let links = MemoryLinks::<u64>::default();
/// links.link(&42, "U0123", None, &LinkCause::member()).await.unwrap();
/// assert_eq!(links.member_for("U0123").await.unwrap(), Some(42));
/// links.unlink(LinkKey::LineUser("U0123"), &LinkCause::back_office("ops")).await.unwrap();
/// assert_eq!(links.audit().len(), 2);
/// # });
/// ```
#[derive(Clone)]
pub struct MemoryLinks<M> {
    inner: Arc<Mutex<Inner<M>>>,
}

struct Inner<M> {
    /// Links by LINE user ID (ordered, for [`SweepLinks::list`]).
    by_line_user: BTreeMap<String, Link<M>>,
    /// LINE user ID by member.
    by_member: HashMap<M, String>,
    audit: Vec<AuditEvent>,
}

impl<M> Default for MemoryLinks<M> {
    fn default() -> Self {
        Self {
            inner: Arc::new(Mutex::new(Inner {
                by_line_user: BTreeMap::new(),
                by_member: HashMap::new(),
                audit: Vec::new(),
            })),
        }
    }
}

impl<M> fmt::Debug for MemoryLinks<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never the tokens.
        f.debug_struct("MemoryLinks")
            .field("links", &self.lock().by_line_user.len())
            .finish_non_exhaustive()
    }
}

impl<M> MemoryLinks<M> {
    /// The audit trail, oldest first.
    pub fn audit(&self) -> Vec<AuditEvent> {
        self.lock().audit.clone()
    }

    /// How many links there are.
    pub fn len(&self) -> usize {
        self.lock().by_line_user.len()
    }

    /// Whether there are no links.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner<M>> {
        // Every change below updates both maps and the trail without an early return in between,
        // and nothing in it can panic, so a poisoned lock still guards consistent maps.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl<M: Eq + Hash + Clone + fmt::Display> Inner<M> {
    fn find(&self, key: &LinkKey<'_, M>) -> Option<&Link<M>> {
        let line_user = match key {
            LinkKey::Member(member) => self.by_member.get(*member)?.as_str(),
            LinkKey::LineUser(user) => user,
            LinkKey::Pair { line_user_id, .. } => line_user_id,
        };
        self.by_line_user.get(line_user).filter(|l| key.matches(l))
    }

    fn record(&mut self, action: AuditAction, member: &M, line_user_id: &str, cause: &LinkCause) {
        self.audit.push(AuditEvent {
            at: OffsetDateTime::now_utc(),
            action,
            member_id: member.to_string(),
            line_user_id: line_user_id.to_owned(),
            cause: cause.as_str().to_owned(),
        });
    }
}

#[async_trait]
impl<M> MemberLinks for MemoryLinks<M>
where
    M: Clone + Eq + Hash + Send + Sync + fmt::Debug + fmt::Display + FromStr + 'static,
{
    type MemberId = M;
    type Error = Infallible;

    async fn find(&self, key: LinkKey<'_, M>) -> Result<Option<Link<M>>, Infallible> {
        Ok(self.lock().find(&key).cloned())
    }

    async fn link(
        &self,
        member: &M,
        line_user_id: &str,
        tokens: Option<&UserTokens>,
        cause: &LinkCause,
    ) -> Result<(), LinkError<Infallible>> {
        let mut inner = self.lock();
        if let Some(existing) = inner.by_line_user.get_mut(line_user_id) {
            if existing.member != *member {
                return Err(LinkError::Conflict(LinkConflict::LineUserLinkedElsewhere));
            }
            if let Some(tokens) = tokens {
                existing.tokens = Some(tokens.clone());
            }
            return Ok(());
        }
        if inner.by_member.contains_key(member) {
            return Err(LinkError::Conflict(LinkConflict::MemberLinkedElsewhere));
        }
        inner
            .by_member
            .insert(member.clone(), line_user_id.to_owned());
        inner.by_line_user.insert(
            line_user_id.to_owned(),
            Link {
                member: member.clone(),
                line_user_id: line_user_id.to_owned(),
                linked_at: OffsetDateTime::now_utc(),
                tokens: tokens.cloned(),
            },
        );
        inner.record(AuditAction::Link, member, line_user_id, cause);
        Ok(())
    }

    async fn unlink(
        &self,
        key: LinkKey<'_, M>,
        cause: &LinkCause,
    ) -> Result<Option<Link<M>>, Infallible> {
        let mut inner = self.lock();
        let Some(line_user) = inner.find(&key).map(|l| l.line_user_id.clone()) else {
            return Ok(None);
        };
        let Some(link) = inner.by_line_user.remove(&line_user) else {
            return Ok(None);
        };
        inner.by_member.remove(&link.member);
        inner.record(AuditAction::Unlink, &link.member, &link.line_user_id, cause);
        Ok(Some(link))
    }

    async fn update_tokens(
        &self,
        line_user_id: &str,
        tokens: &UserTokens,
    ) -> Result<bool, Infallible> {
        let mut inner = self.lock();
        match inner.by_line_user.get_mut(line_user_id) {
            Some(link) => {
                link.tokens = Some(tokens.clone());
                Ok(true)
            }
            None => Ok(false),
        }
    }

    fn token_storage(&self) -> super::TokenStorage {
        super::TokenStorage::Memory
    }
}

#[async_trait]
impl<M> SweepLinks for MemoryLinks<M>
where
    M: Clone + Eq + Hash + Send + Sync + fmt::Debug + fmt::Display + FromStr + 'static,
{
    async fn list(&self, after: Option<&str>, limit: usize) -> Result<Vec<Link<M>>, Infallible> {
        use std::ops::Bound;
        let inner = self.lock();
        let start = match after {
            Some(after) => Bound::Excluded(after),
            None => Bound::Unbounded,
        };
        Ok(inner
            .by_line_user
            .range::<str, _>((start, Bound::Unbounded))
            .take(limit)
            .map(|(_, link)| link.clone())
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::AccessToken;

    fn tokens(access: &str) -> UserTokens {
        UserTokens {
            access_token: AccessToken::new(access),
            expires_at: OffsetDateTime::now_utc(),
            refresh_token: None,
            refresh_expires_at: None,
            scope: String::new(),
        }
    }

    #[tokio::test]
    async fn one_line_user_to_one_member_and_back() {
        let links = MemoryLinks::<String>::default();
        let by = LinkCause::member();
        links.link(&"m1".into(), "U1", None, &by).await.unwrap();
        assert!(matches!(
            links.link(&"m2".into(), "U1", None, &by).await,
            Err(LinkError::Conflict(LinkConflict::LineUserLinkedElsewhere))
        ));
        assert!(matches!(
            links.link(&"m1".into(), "U2", None, &by).await,
            Err(LinkError::Conflict(LinkConflict::MemberLinkedElsewhere))
        ));
        assert_eq!(links.len(), 1);
        assert_eq!(links.member_for("U2").await.unwrap(), None);
        assert_eq!(links.line_user_for(&"m2".into()).await.unwrap(), None);
        assert_eq!(links.audit().len(), 1, "refused links are not audited");
    }

    #[tokio::test]
    async fn relinking_the_same_pair_only_refreshes_the_tokens() {
        let links = MemoryLinks::<u32>::default();
        let by = LinkCause::member();
        links.link(&1, "U1", Some(&tokens("a")), &by).await.unwrap();
        links.link(&1, "U1", None, &by).await.unwrap();
        let link = links.find(LinkKey::Member(&1)).await.unwrap().unwrap();
        assert_eq!(link.tokens.unwrap().access_token.expose_secret(), "a");
        links.link(&1, "U1", Some(&tokens("b")), &by).await.unwrap();
        let link = links.find(LinkKey::LineUser("U1")).await.unwrap().unwrap();
        assert_eq!(link.tokens.unwrap().access_token.expose_secret(), "b");
        assert_eq!(links.audit().len(), 1);
    }

    #[tokio::test]
    async fn unlink_is_idempotent_and_audited_with_its_cause() {
        let links = MemoryLinks::<u32>::default();
        links
            .link(&1, "U1", None, &LinkCause::member())
            .await
            .unwrap();
        let ops = LinkCause::back_office("alice");
        let removed = links.unlink(LinkKey::LineUser("U1"), &ops).await.unwrap();
        assert_eq!(removed.map(|l| l.member), Some(1));
        assert!(
            links
                .unlink(LinkKey::Member(&1), &ops)
                .await
                .unwrap()
                .is_none()
        );
        let trail = links.audit();
        assert_eq!(trail.len(), 2);
        assert_eq!(trail[1].action, AuditAction::Unlink);
        assert_eq!(trail[1].cause, "back-office:alice");
        assert_eq!(
            (trail[1].member_id.as_str(), trail[1].line_user_id.as_str()),
            ("1", "U1")
        );
        // Both directions are free again.
        links.link(&2, "U1", None, &ops).await.unwrap();
        links.link(&1, "U9", None, &ops).await.unwrap();
    }

    #[tokio::test]
    async fn a_pair_key_removes_nothing_when_either_side_moved() {
        let links = MemoryLinks::<u32>::default();
        let by = LinkCause::member();
        links.link(&1, "U1", None, &by).await.unwrap();
        let stale = LinkKey::Pair {
            member: &1,
            line_user_id: "U2",
        };
        assert!(links.unlink(stale, &by).await.unwrap().is_none());
        assert_eq!(links.len(), 1);
    }

    #[tokio::test]
    async fn update_tokens_never_creates_a_link() {
        let links = MemoryLinks::<u32>::default();
        assert!(!links.update_tokens("U1", &tokens("a")).await.unwrap());
        assert!(links.is_empty());
    }

    #[tokio::test]
    async fn list_pages_in_line_user_order() {
        let links = MemoryLinks::<u32>::default();
        let by = LinkCause::member();
        for (member, user) in [(3, "U3"), (1, "U1"), (2, "U2")] {
            links.link(&member, user, None, &by).await.unwrap();
        }
        let first = links.list(None, 2).await.unwrap();
        let ids: Vec<_> = first.iter().map(|l| l.line_user_id.as_str()).collect();
        assert_eq!(ids, ["U1", "U2"]);
        let rest = links.list(Some("U2"), 2).await.unwrap();
        assert_eq!(rest.len(), 1);
        assert_eq!(rest[0].member, 3);
    }
}
