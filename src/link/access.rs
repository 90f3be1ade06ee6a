//! What the layer's routes need from member links, with member IDs as text: [`MemberAccess`],
//! implemented over any [`MemberLinks`] store and [`SignedInMember`] by [`LinkAccess`]. Errors
//! become [`LoginError`]s here; the routes themselves live in the layer.

use std::fmt;

use async_trait::async_trait;
use axum::http::request::Parts;
use time::OffsetDateTime;
use tower_sessions::Session;

use super::lifecycle::end_authorization;
use super::{
    LinkCause, LinkError, LinkKey, MemberLinks, REFRESH_TOKEN_TTL, SignedInMember, UserTokens,
};
use crate::api::LineApi;
use crate::error::LoginError;

/// What the layer needs from member links, with the member ID as text.
#[async_trait]
pub(crate) trait MemberAccess: Send + Sync {
    /// The member the app says is signed in on this request.
    async fn signed_in_member(
        &self,
        parts: &Parts,
        session: &Session,
    ) -> Result<Option<String>, LoginError>;

    /// The member linked to a LINE user.
    async fn member_for(&self, line_user_id: &str) -> Result<Option<String>, LoginError>;

    /// How the store keeps tokens at rest.
    fn token_storage(&self) -> super::TokenStorage;

    /// A LINE user just logged in: their member, if linked, after storing the new tokens with
    /// the link.
    async fn logged_in(
        &self,
        line_user_id: &str,
        tokens: &UserTokens,
    ) -> Result<Option<String>, LoginError>;

    /// Links the member and the LINE user (with the user's fresh tokens). On a conflict the
    /// fresh access token is revoked through `api`, the client of the channel that issued it.
    async fn link(
        &self,
        member_id: &str,
        line_user_id: &str,
        tokens: &UserTokens,
        api: &LineApi,
    ) -> Result<(), LoginError>;

    /// Removes the member's link, then ends the LINE user's authorization (deauthorize, or at
    /// least revoke). `session_tokens` are used when the link kept none and they belong to the
    /// unlinked LINE user (`session_line_user`). LINE is called through `api`, the client of
    /// the session user's channel. Returns the unlinked LINE user.
    async fn unlink(
        &self,
        member_id: &str,
        session_line_user: Option<&str>,
        session_tokens: Option<&UserTokens>,
        api: &LineApi,
    ) -> Result<Option<String>, LoginError>;
}

/// [`MemberAccess`] over a store and the app's [`SignedInMember`].
pub(crate) struct LinkAccess<L, M> {
    links: L,
    signed_in: M,
}

impl<L, M> LinkAccess<L, M> {
    pub(crate) fn new(links: L, signed_in: M) -> Self {
        Self { links, signed_in }
    }
}

fn parse_member<L: MemberLinks>(member_id: &str) -> Result<L::MemberId, LoginError> {
    member_id
        .parse()
        .map_err(|_| LoginError::BadRequest("the signed-in member ID does not parse"))
}

/// The store's error, kept as the source (it never holds secrets: tokens are bound, not quoted).
fn store_error(error: impl std::error::Error + Send + Sync + 'static) -> LoginError {
    LoginError::LinkStore(Box::new(error))
}

/// The link's copy of a session's tokens; the refresh token lives [`REFRESH_TOKEN_TTL`] from now.
pub(crate) fn link_tokens(tokens: &UserTokens, now: OffsetDateTime) -> UserTokens {
    UserTokens {
        access_token: tokens.access_token.clone(),
        expires_at: tokens.expires_at,
        refresh_token: tokens.refresh_token.clone(),
        refresh_expires_at: tokens
            .refresh_token
            .as_ref()
            .map(|_| now + REFRESH_TOKEN_TTL),
        scope: tokens.scope.clone(),
    }
}

#[async_trait]
impl<L: MemberLinks, M: SignedInMember> MemberAccess for LinkAccess<L, M>
where
    L::MemberId: fmt::Display,
{
    async fn signed_in_member(
        &self,
        parts: &Parts,
        session: &Session,
    ) -> Result<Option<String>, LoginError> {
        Ok(self.signed_in.signed_in_member(parts, session).await)
    }

    fn token_storage(&self) -> super::TokenStorage {
        self.links.token_storage()
    }

    async fn member_for(&self, line_user_id: &str) -> Result<Option<String>, LoginError> {
        let member = self
            .links
            .member_for(line_user_id)
            .await
            .map_err(store_error)?;
        Ok(member.map(|m| m.to_string()))
    }

    async fn logged_in(
        &self,
        line_user_id: &str,
        tokens: &UserTokens,
    ) -> Result<Option<String>, LoginError> {
        let Some(member) = self.member_for(line_user_id).await? else {
            return Ok(None);
        };
        let fresh = link_tokens(tokens, OffsetDateTime::now_utc());
        if let Err(error) = self.links.update_tokens(line_user_id, &fresh).await {
            // The login itself is fine; the sweep and back-office unlink use the older tokens.
            let error = store_error(error);
            tracing::warn!(error = %crate::log_safe::Escaped(&error), "could not store the linked user's new tokens");
        }
        Ok(Some(member))
    }

    async fn link(
        &self,
        member_id: &str,
        line_user_id: &str,
        tokens: &UserTokens,
        api: &LineApi,
    ) -> Result<(), LoginError> {
        let member = parse_member::<L>(member_id)?;
        let fresh = link_tokens(tokens, OffsetDateTime::now_utc());
        match self
            .links
            .link(&member, line_user_id, Some(&fresh), &LinkCause::member())
            .await
        {
            Ok(()) => {
                tracing::info!("LINE user linked to the signed-in member");
                Ok(())
            }
            Err(LinkError::Conflict(conflict)) => {
                tracing::info!(conflict = %crate::log_safe::Escaped(&conflict), "link refused");
                if let Err(error) = api.revoke(&tokens.access_token).await {
                    tracing::warn!(error = %crate::log_safe::Escaped(&error), "could not revoke the unused access token");
                }
                Err(LoginError::LinkConflict(conflict))
            }
            Err(LinkError::Store(error)) => Err(store_error(error)),
        }
    }

    async fn unlink(
        &self,
        member_id: &str,
        session_line_user: Option<&str>,
        session_tokens: Option<&UserTokens>,
        api: &LineApi,
    ) -> Result<Option<String>, LoginError> {
        let member = parse_member::<L>(member_id)?;
        let removed = self
            .links
            .unlink(LinkKey::Member(&member), &LinkCause::member())
            .await
            .map_err(store_error)?;
        let Some(link) = removed else {
            return Ok(None);
        };
        let tokens = link.tokens.clone().or_else(|| {
            session_tokens
                .filter(|_| session_line_user == Some(link.line_user_id.as_str()))
                .map(|t| link_tokens(t, OffsetDateTime::now_utc()))
        });
        let outcome = end_authorization(api, tokens.as_ref()).await;
        tracing::info!(deauthorization = outcome.as_str(), "member unlinked");
        Ok(Some(link.line_user_id))
    }
}
