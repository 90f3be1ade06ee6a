//! ID links between LINE users and the company's member records: the [`MemberLinks`] trait and its
//! stores (memory, SQLite, PostgreSQL), how the layer learns who is signed in ([`SignedInMember`]),
//! the [`LinkedMember`](crate::extract::LinkedMember) extractor, unlinking with LINE's deauthorize, and the consent sweep
//! ([`check_links`]). Sessions and the login routes themselves belong to [`crate::layer`].
//!
//! ```no_run
//! use axum::{Router, routing::get};
//! use line_login::extract::LinkedMember;
//! use line_login::link::{MemberInSession, SqliteLinks};
//! use line_login::{Config, LineLoginLayer, session::session_layer};
//! use tower_sessions::MemoryStore;
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let config = Config::from_env()?; // with LINE_LOGIN_TOKEN_KEY, which encrypts the tokens
//! // The app's own sign-in keeps the member ID in the session under "member_id".
//! let links =
//!     SqliteLinks::<i64>::connect("sqlite://links.db?mode=rwc", config.token_protection()?).await?;
//! let app: Router = Router::new()
//!     .route("/", get(|member: Option<LinkedMember<i64>>| async move {
//!         format!("linked member: {:?}", member.map(|m| m.0))
//!     }))
//!     .layer(
//!         LineLoginLayer::new(config.clone())?
//!             .member_links(links, MemberInSession("member_id")),
//!     )
//!     .layer(session_layer(MemoryStore::default(), &config));
//! // Pages post to /auth/line/link and /auth/line/unlink; a nightly job runs `check_links`.
//! # let _ = app; Ok(()) }
//! ```
//!
//! # Why a link cannot be spoofed
//!
//! The member ID comes only from the app's own sign-in ([`SignedInMember`], e.g. a session key),
//! never from a query string, form or header. `POST {prefix}/link` stores that member in the
//! server-side login attempt; LINE's callback links the verified `sub` of the ID token to it, and
//! only if the same member is still signed in on the same session. Both directions are unique
//! (one LINE user to one member and back), enforced by the store; a clash is a
//! [`LinkError::Conflict`] and changes nothing.
//!
//! # Tokens at rest
//!
//! A link keeps the LINE user's latest access and refresh tokens ([`UserTokens`]), refreshed at
//! every login, because unlinking from back-office code must call LINE's deauthorize API with the
//! user's access token and the sweep must ask LINE whether consent still stands. The SQL stores
//! encrypt them (AES-256-GCM, see [`crate::token_crypto`]) with the key ring of
//! [`Config::token_protection`](crate::Config::token_protection), bound to the row's member and
//! LINE user, with the key id beside the ciphertext; only the expiry times stay readable. Without
//! a key they refuse to start unless the app opted in to plain text. Rows written in plain text
//! before a key was configured are encrypted when first read, or all at once by
//! `reencrypt_tokens` (which also moves rows to a new key after a rotation). Tokens that do not
//! open (a retired key) count as none: the user's next login stores fresh ones, and unlinking
//! falls back to the session's tokens. The crate never logs them.

mod access;
mod lifecycle;
mod memory;
mod signed_in;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
mod sql;

use std::fmt;
use std::str::FromStr;

use async_trait::async_trait;
use time::OffsetDateTime;

pub(crate) use access::{LinkAccess, MemberAccess};
pub use lifecycle::{
    Consent, Deauthorization, SWEEP_PAGE_SIZE, SweepAction, SweepReport, SweptLink, Unlinked,
    check_links, unlink_and_deauthorize,
};
pub use memory::MemoryLinks;
pub use signed_in::{MemberInSession, SignedInMember};
#[cfg(feature = "postgres")]
pub use sql::PostgresLinks;
#[cfg(feature = "sqlite")]
pub use sql::SqliteLinks;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
pub use sql::{ReencryptReport, SqlLinksError};

/// How long a refresh token lives, counted from the login that issued it (LINE: 90 days after
/// its access token was issued; refreshing does not extend it).
pub const REFRESH_TOKEN_TTL: time::Duration = time::Duration::days(90);

/// Longest cause kept in the audit trail, in characters.
pub(crate) const LINK_CAUSE_MAX_CHARS: usize = 80;

/// Who or what caused a link change; kept in the audit trail.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinkCause(String);

impl LinkCause {
    /// The signed-in member, through the layer's link and unlink routes.
    pub fn member() -> Self {
        Self("member".to_owned())
    }

    /// Back-office code, naming the operator or job (control characters dropped, at most
    /// 80 characters kept).
    pub fn back_office(who: &str) -> Self {
        let who: String = who.chars().filter(|c| !c.is_control()).collect();
        Self(
            format!("back-office:{who}")
                .chars()
                .take(LINK_CAUSE_MAX_CHARS)
                .collect(),
        )
    }

    /// The consent sweep ([`check_links`]) found the user's consent withdrawn.
    pub fn consent_withdrawn() -> Self {
        Self("consent-withdrawn".to_owned())
    }

    /// The cause as stored.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for LinkCause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

pub use crate::error::LinkConflict;
use crate::user::UserTokens;

/// A link change refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum LinkError<E> {
    /// The LINE user is linked to another member, or the member to another LINE user. Nothing
    /// changed.
    #[error("already linked: {0}")]
    Conflict(LinkConflict),
    /// The store failed. Nothing changed.
    #[error("member-link store error")]
    Store(#[source] E),
}

/// How a [`MemberLinks`] store keeps tokens at rest; the compliance report reads it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenStorage {
    /// Encrypted with the app's token key.
    Encrypted,
    /// In plain text, as the app explicitly chose.
    Plaintext,
    /// Only in this process's memory (nothing outlives it).
    Memory,
    /// The store does not say (a custom store: encrypt with
    /// [`TokenKeyRing`](crate::token_crypto::TokenKeyRing) yourself).
    AppManaged,
}

/// One link: a company member and a LINE user.
#[derive(Clone, Debug, PartialEq)]
pub struct Link<M> {
    /// The company's member ID.
    pub member: M,
    /// The LINE user ID (`sub`).
    pub line_user_id: String,
    /// When the link was made.
    pub linked_at: OffsetDateTime,
    /// The LINE user's latest tokens, if the store has them.
    pub tokens: Option<UserTokens>,
}

/// Which link to find or remove.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkKey<'a, M> {
    /// The member's link.
    Member(&'a M),
    /// The LINE user's link.
    LineUser(&'a str),
    /// Exactly this pair: nothing if either side is now linked elsewhere.
    Pair {
        /// The member.
        member: &'a M,
        /// The LINE user.
        line_user_id: &'a str,
    },
}

impl<M: PartialEq> LinkKey<'_, M> {
    /// Whether `link` is the one this key names.
    pub fn matches(&self, link: &Link<M>) -> bool {
        match self {
            LinkKey::Member(member) => link.member == **member,
            LinkKey::LineUser(user) => link.line_user_id == *user,
            LinkKey::Pair {
                member,
                line_user_id,
            } => link.member == **member && link.line_user_id == *line_user_id,
        }
    }
}

/// What happened to a link, in the audit trail.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuditAction {
    /// A link was made.
    Link,
    /// A link was removed.
    Unlink,
}

impl AuditAction {
    /// `"link"` or `"unlink"`, as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            AuditAction::Link => "link",
            AuditAction::Unlink => "unlink",
        }
    }
}

/// One row of the audit trail of link changes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditEvent {
    /// When.
    pub at: OffsetDateTime,
    /// Link or unlink.
    pub action: AuditAction,
    /// The member, as text.
    pub member_id: String,
    /// The LINE user.
    pub line_user_id: String,
    /// Who or what caused it ([`LinkCause`]).
    pub cause: String,
}

/// Where links live: one LINE user to one member and back.
///
/// Five required methods: find, link, unlink, keep the tokens fresh, and list (for the sweep);
/// [`member_for`](MemberLinks::member_for) and [`line_user_for`](MemberLinks::line_user_for) are
/// built on them. Stores must decide conflicts atomically (two concurrent links of one LINE user
/// to two members: exactly one wins) and should keep an audit trail of link and unlink events
/// with their [`LinkCause`]. Provided: [`MemoryLinks`], `SqliteLinks` and `PostgresLinks`.
///
/// A complete in-memory implementation:
///
/// ```
/// use std::collections::BTreeMap;
/// use std::convert::Infallible;
/// use std::sync::{Arc, Mutex};
///
/// use async_trait::async_trait;
/// use line_login::UserTokens;
/// use line_login::link::{
///     Link, LinkCause, LinkConflict, LinkError, LinkKey, MemberLinks, SweepLinks,
/// };
///
/// /// Links by LINE user ID.
/// #[derive(Clone, Default)]
/// struct Links(Arc<Mutex<BTreeMap<String, Link<u64>>>>);
///
/// #[async_trait]
/// impl MemberLinks for Links {
///     type MemberId = u64;
///     type Error = Infallible;
///
///     async fn find(&self, key: LinkKey<'_, u64>) -> Result<Option<Link<u64>>, Infallible> {
///         Ok(self.0.lock().unwrap().values().find(|l| key.matches(l)).cloned())
///     }
///
///     async fn link(
///         &self,
///         member: &u64,
///         line_user_id: &str,
///         tokens: Option<&UserTokens>,
///         _cause: &LinkCause,
///     ) -> Result<(), LinkError<Infallible>> {
///         let mut links = self.0.lock().unwrap();
///         if let Some(link) = links.get_mut(line_user_id) {
///             if link.member != *member {
///                 return Err(LinkError::Conflict(LinkConflict::LineUserLinkedElsewhere));
///             }
///             link.tokens = tokens.cloned().or(link.tokens.take()); // the same pair again
///             return Ok(());
///         }
///         if links.values().any(|l| l.member == *member) {
///             return Err(LinkError::Conflict(LinkConflict::MemberLinkedElsewhere));
///         }
///         let link = Link {
///             member: *member,
///             line_user_id: line_user_id.to_owned(),
///             linked_at: time::OffsetDateTime::now_utc(),
///             tokens: tokens.cloned(),
///         };
///         links.insert(line_user_id.to_owned(), link);
///         Ok(())
///     }
///
///     async fn unlink(
///         &self,
///         key: LinkKey<'_, u64>,
///         _cause: &LinkCause,
///     ) -> Result<Option<Link<u64>>, Infallible> {
///         let mut links = self.0.lock().unwrap();
///         let found = links.values().find(|l| key.matches(l)).map(|l| l.line_user_id.clone());
///         Ok(found.and_then(|user| links.remove(&user)))
///     }
///
///     async fn update_tokens(
///         &self,
///         line_user_id: &str,
///         tokens: &UserTokens,
///     ) -> Result<bool, Infallible> {
///         let mut links = self.0.lock().unwrap();
///         let link = links.get_mut(line_user_id);
///         Ok(link.map(|l| l.tokens = Some(tokens.clone())).is_some())
///     }
/// }
///
/// // Only for the consent sweep (`check_links`):
/// #[async_trait]
/// impl SweepLinks for Links {
///     async fn list(
///         &self,
///         after: Option<&str>,
///         limit: usize,
///     ) -> Result<Vec<Link<u64>>, Infallible> {
///         let links = self.0.lock().unwrap();
///         let rest = links.values().filter(|l| after.is_none_or(|a| l.line_user_id.as_str() > a));
///         Ok(rest.take(limit).cloned().collect())
///     }
/// }
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let links = Links::default();
/// let by = LinkCause::member();
/// links.link(&42, "U0123", None, &by).await.unwrap();
/// assert_eq!(links.member_for("U0123").await.unwrap(), Some(42));
/// assert_eq!(links.line_user_for(&42).await.unwrap().as_deref(), Some("U0123"));
/// assert!(matches!(
///     links.link(&7, "U0123", None, &by).await,
///     Err(LinkError::Conflict(LinkConflict::LineUserLinkedElsewhere))
/// ));
/// let removed = links.unlink(LinkKey::Member(&42), &by).await.unwrap();
/// assert_eq!(removed.map(|l| l.line_user_id).as_deref(), Some("U0123"));
/// assert!(links.unlink(LinkKey::Member(&42), &by).await.unwrap().is_none()); // idempotent
/// # });
/// ```
#[async_trait]
pub trait MemberLinks: Clone + Send + Sync + 'static {
    /// The company's member identifier, written as text in sessions and audit rows.
    type MemberId: Clone + Send + Sync + fmt::Debug + fmt::Display + FromStr + PartialEq + 'static;
    /// The store's error.
    type Error: std::error::Error + Send + Sync + 'static;

    /// The link `key` names, if any.
    async fn find(
        &self,
        key: LinkKey<'_, Self::MemberId>,
    ) -> Result<Option<Link<Self::MemberId>>, Self::Error>;

    /// Links `member` and `line_user_id`, with the user's tokens when known, and records a link
    /// event. Linking the same pair again succeeds, records nothing and replaces the tokens when
    /// `tokens` is `Some`. Either side linked elsewhere is a [`LinkError::Conflict`] and changes
    /// nothing; the check and the write must be one atomic step.
    async fn link(
        &self,
        member: &Self::MemberId,
        line_user_id: &str,
        tokens: Option<&UserTokens>,
        cause: &LinkCause,
    ) -> Result<(), LinkError<Self::Error>>;

    /// Removes the link `key` names, records an unlink event and returns the removed link (with
    /// its tokens); `None` when there was none (unlinking is idempotent).
    async fn unlink(
        &self,
        key: LinkKey<'_, Self::MemberId>,
        cause: &LinkCause,
    ) -> Result<Option<Link<Self::MemberId>>, Self::Error>;

    /// Replaces the tokens of the LINE user's link; `false` (and no change) when the user is not
    /// linked. Never creates a link.
    async fn update_tokens(
        &self,
        line_user_id: &str,
        tokens: &UserTokens,
    ) -> Result<bool, Self::Error>;

    /// How the store keeps tokens at rest (default [`TokenStorage::AppManaged`]).
    fn token_storage(&self) -> TokenStorage {
        TokenStorage::AppManaged
    }

    /// The member linked to a LINE user.
    async fn member_for(&self, line_user_id: &str) -> Result<Option<Self::MemberId>, Self::Error> {
        Ok(self
            .find(LinkKey::LineUser(line_user_id))
            .await?
            .map(|l| l.member))
    }

    /// The LINE user linked to a member.
    async fn line_user_for(&self, member: &Self::MemberId) -> Result<Option<String>, Self::Error> {
        Ok(self
            .find(LinkKey::Member(member))
            .await?
            .map(|l| l.line_user_id))
    }
}

/// What the consent sweep ([`check_links`]) needs beyond [`MemberLinks`]: walking every link,
/// a page at a time. A store that is never swept need not implement it.
#[async_trait]
pub trait SweepLinks: MemberLinks {
    /// Up to `limit` links ordered by LINE user ID, starting after `after` (a page of the sweep).
    async fn list(
        &self,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<Link<Self::MemberId>>, Self::Error>;
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    /// The tiniest backend: one optional link, enough to exercise the default methods.
    #[derive(Clone, Default)]
    struct OneLink(Arc<Mutex<Option<Link<u32>>>>);

    #[async_trait]
    impl MemberLinks for OneLink {
        type MemberId = u32;
        type Error = std::convert::Infallible;

        async fn find(&self, key: LinkKey<'_, u32>) -> Result<Option<Link<u32>>, Self::Error> {
            Ok(self.0.lock().unwrap().clone().filter(|l| key.matches(l)))
        }
        async fn link(
            &self,
            member: &u32,
            line_user_id: &str,
            tokens: Option<&UserTokens>,
            _cause: &LinkCause,
        ) -> Result<(), LinkError<Self::Error>> {
            let mut slot = self.0.lock().unwrap();
            if slot.is_some() {
                return Err(LinkError::Conflict(LinkConflict::Concurrent));
            }
            *slot = Some(Link {
                member: *member,
                line_user_id: line_user_id.to_owned(),
                linked_at: OffsetDateTime::now_utc(),
                tokens: tokens.cloned(),
            });
            Ok(())
        }
        async fn unlink(
            &self,
            key: LinkKey<'_, u32>,
            _cause: &LinkCause,
        ) -> Result<Option<Link<u32>>, Self::Error> {
            let mut slot = self.0.lock().unwrap();
            if slot.as_ref().is_some_and(|l| key.matches(l)) {
                return Ok(slot.take());
            }
            Ok(None)
        }
        async fn update_tokens(&self, _: &str, _: &UserTokens) -> Result<bool, Self::Error> {
            Ok(false)
        }
    }

    #[tokio::test]
    async fn default_lookups_are_built_on_find() {
        let links = OneLink::default();
        assert_eq!(links.member_for("U1").await.unwrap(), None);
        links
            .link(&5, "U1", None, &LinkCause::member())
            .await
            .unwrap();
        assert_eq!(links.member_for("U1").await.unwrap(), Some(5));
        assert_eq!(links.member_for("U2").await.unwrap(), None);
        assert_eq!(
            links.line_user_for(&5).await.unwrap().as_deref(),
            Some("U1")
        );
        assert_eq!(links.line_user_for(&6).await.unwrap(), None);
    }

    #[test]
    fn a_pair_key_needs_both_sides() {
        let link = Link {
            member: 5u32,
            line_user_id: "U1".to_owned(),
            linked_at: OffsetDateTime::UNIX_EPOCH,
            tokens: None,
        };
        assert!(LinkKey::Member(&5).matches(&link));
        assert!(LinkKey::LineUser("U1").matches(&link));
        assert!(
            LinkKey::Pair {
                member: &5,
                line_user_id: "U1"
            }
            .matches(&link)
        );
        assert!(
            !LinkKey::Pair {
                member: &5,
                line_user_id: "U2"
            }
            .matches(&link)
        );
        assert!(
            !LinkKey::Pair {
                member: &6,
                line_user_id: "U1"
            }
            .matches(&link)
        );
    }

    #[test]
    fn back_office_causes_are_bounded_and_printable() {
        let cause = LinkCause::back_office(&format!("ops\n{}", "x".repeat(500)));
        assert!(cause.as_str().starts_with("back-office:ops"));
        assert!(!cause.as_str().contains('\n'));
        assert_eq!(cause.as_str().chars().count(), LINK_CAUSE_MAX_CHARS);
    }

    #[test]
    fn conflict_messages_name_no_ids() {
        let text =
            LinkError::<std::convert::Infallible>::Conflict(LinkConflict::LineUserLinkedElsewhere)
                .to_string();
        assert_eq!(
            text,
            "already linked: this LINE account is already linked to another member"
        );
    }
}
