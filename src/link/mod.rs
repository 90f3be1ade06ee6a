//! ID links between LINE users and the company's member records: the [`MemberLinks`] trait with
//! its stores, how the layer learns which member is signed in ([`SignedInMember`]), and unlinking
//! with LINE's deauthorize. The member ID only ever comes from the app's own sign-in, never from a
//! query string, form or header, so a link cannot be spoofed.

mod memory;

use std::fmt;
use std::str::FromStr;

use async_trait::async_trait;
use axum::http::request::Parts;
use tower_sessions::Session;

use crate::api::LineApi;
use crate::error::LoginError;
use crate::secret::AccessToken;

pub use memory::MemoryLinks;

/// Who or what caused a link change; kept in the audit trail.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinkCause(String);

impl LinkCause {
    /// The signed-in member, through the layer's link and unlink routes.
    pub fn member() -> Self {
        Self("member".to_owned())
    }
    /// Back-office code, naming the operator or job.
    pub fn back_office(who: &str) -> Self {
        Self(format!(
            "back-office:{}",
            who.chars().take(64).collect::<String>()
        ))
    }
    /// The consent sweep ([`check_links`](crate::link)) found the user's consent withdrawn.
    pub fn consent_withdrawn() -> Self {
        Self("consent-withdrawn".to_owned())
    }
    /// The cause as stored.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A link change refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum LinkError<E> {
    /// The LINE user is linked to another member, or the member to another LINE user. Nothing
    /// changed.
    #[error("already linked: {0}")]
    Conflict(String),
    /// The store failed. Nothing changed.
    #[error("member-link store error: {0}")]
    Store(#[source] E),
}

/// Where links live: one LINE user to one member and back.
///
/// Two lookups and two changes; everything else is built on them. The in-memory implementation:
///
/// ```
/// use line_login::link::{LinkCause, MemberLinks, MemoryLinks};
/// # tokio_test_block_on(async {
/// let links = MemoryLinks::<u64>::default();
/// links.link(&42, "U0123", &LinkCause::member()).await.unwrap();
/// assert_eq!(links.member_for("U0123").await.unwrap(), Some(42));
/// assert!(links.link(&7, "U0123", &LinkCause::member()).await.is_err()); // conflict
/// assert_eq!(links.unlink(&42, &LinkCause::member()).await.unwrap(), Some("U0123".into()));
/// # });
/// # fn tokio_test_block_on<F: std::future::Future>(f: F) -> F::Output {
/// #     tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(f)
/// # }
/// ```
#[async_trait]
pub trait MemberLinks: Clone + Send + Sync + 'static {
    /// The company's member identifier.
    type MemberId: Clone + Send + Sync + fmt::Display + FromStr + PartialEq + 'static;
    /// The store's error.
    type Error: std::error::Error + Send + Sync + 'static;

    /// The member linked to a LINE user.
    async fn member_for(&self, line_user_id: &str) -> Result<Option<Self::MemberId>, Self::Error>;

    /// The LINE user linked to a member.
    async fn line_user_for(&self, member: &Self::MemberId) -> Result<Option<String>, Self::Error>;

    /// Links `member` and `line_user_id`. Linking the same pair again succeeds and changes
    /// nothing; either side linked elsewhere is a [`LinkError::Conflict`].
    async fn link(
        &self,
        member: &Self::MemberId,
        line_user_id: &str,
        cause: &LinkCause,
    ) -> Result<(), LinkError<Self::Error>>;

    /// Removes the member's link and returns the LINE user it had; `None` when there was none
    /// (unlinking is idempotent).
    async fn unlink(
        &self,
        member: &Self::MemberId,
        cause: &LinkCause,
    ) -> Result<Option<String>, Self::Error>;

    /// Removes the LINE user's link and returns the member it had.
    async fn unlink_line_user(
        &self,
        line_user_id: &str,
        cause: &LinkCause,
    ) -> Result<Option<Self::MemberId>, Self::Error> {
        match self.member_for(line_user_id).await? {
            Some(member) => {
                self.unlink(&member, cause).await?;
                Ok(Some(member))
            }
            None => Ok(None),
        }
    }
}

/// Tells the layer which company member is signed in on this request, from the app's own sign-in
/// (its session, say). Never from anything the client can write.
#[async_trait]
pub trait SignedInMember: Send + Sync + 'static {
    /// The signed-in member's ID, or `None`.
    async fn signed_in_member(&self, parts: &Parts, session: &Session) -> Option<String>;
}

/// The member ID the app keeps in the session under `key` (a `String` or a number).
#[derive(Clone, Debug)]
pub struct MemberInSession(pub &'static str);

#[async_trait]
impl SignedInMember for MemberInSession {
    async fn signed_in_member(&self, _parts: &Parts, session: &Session) -> Option<String> {
        match session.get::<serde_json::Value>(self.0).await {
            Ok(Some(serde_json::Value::String(id))) if !id.is_empty() => Some(id),
            Ok(Some(serde_json::Value::Number(id))) => Some(id.to_string()),
            _ => None,
        }
    }
}

/// What the layer needs from member links, with the member ID as a string.
#[async_trait]
pub(crate) trait MemberAccess: Send + Sync {
    async fn signed_in_member(
        &self,
        parts: &Parts,
        session: &Session,
    ) -> Result<Option<String>, LoginError>;
    async fn member_for(&self, line_user_id: &str) -> Result<Option<String>, LoginError>;
    async fn link(&self, member_id: &str, line_user_id: &str) -> Result<(), LoginError>;
    async fn unlink(
        &self,
        member_id: &str,
        access_token: Option<&AccessToken>,
    ) -> Result<(), LoginError>;
}

pub(crate) struct LinkAccess<L, M> {
    links: L,
    signed_in: M,
    api: LineApi,
}

impl<L, M> LinkAccess<L, M> {
    pub(crate) fn new(links: L, signed_in: M, api: LineApi) -> Self {
        Self {
            links,
            signed_in,
            api,
        }
    }
}

fn parse_member<L: MemberLinks>(member_id: &str) -> Result<L::MemberId, LoginError> {
    member_id
        .parse()
        .map_err(|_| LoginError::BadRequest("the signed-in member ID does not parse"))
}

fn store_error(error: impl fmt::Display) -> LoginError {
    LoginError::LinkStore(error.to_string())
}

#[async_trait]
impl<L: MemberLinks, M: SignedInMember> MemberAccess for LinkAccess<L, M> {
    async fn signed_in_member(
        &self,
        parts: &Parts,
        session: &Session,
    ) -> Result<Option<String>, LoginError> {
        Ok(self.signed_in.signed_in_member(parts, session).await)
    }

    async fn member_for(&self, line_user_id: &str) -> Result<Option<String>, LoginError> {
        let member = self
            .links
            .member_for(line_user_id)
            .await
            .map_err(store_error)?;
        Ok(member.map(|m| m.to_string()))
    }

    async fn link(&self, member_id: &str, line_user_id: &str) -> Result<(), LoginError> {
        let member = parse_member::<L>(member_id)?;
        match self
            .links
            .link(&member, line_user_id, &LinkCause::member())
            .await
        {
            Ok(()) => Ok(()),
            Err(LinkError::Conflict(why)) => Err(LoginError::LinkConflict(why)),
            Err(LinkError::Store(error)) => Err(store_error(error)),
        }
    }

    async fn unlink(
        &self,
        member_id: &str,
        access_token: Option<&AccessToken>,
    ) -> Result<(), LoginError> {
        let member = parse_member::<L>(member_id)?;
        self.links
            .unlink(&member, &LinkCause::member())
            .await
            .map_err(store_error)?;
        if let Some(token) = access_token {
            deauthorize(&self.api, token).await;
        }
        Ok(())
    }
}

/// Tells LINE the user's authorization ended (deauthorize with a freshly issued stateless channel
/// access token), as LINE's guidelines require on unlink or unregister. Failures are logged: the
/// company's own unlink has already happened.
pub async fn deauthorize(api: &LineApi, user_access_token: &AccessToken) {
    let channel_token = match api.issue_stateless_channel_token().await {
        Ok(response) => response.access_token,
        Err(error) => {
            tracing::warn!(%error, "could not issue a channel access token; deauthorize skipped");
            return;
        }
    };
    if let Err(error) = api.deauthorize(&channel_token, user_access_token).await {
        tracing::warn!(%error, "LINE deauthorize failed");
    }
}
