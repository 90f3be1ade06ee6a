//! For apps already on [axum-login](https://docs.rs/axum-login) (feature `axum-login`): a
//! [`LineBackend`] wraps the app's own [`AuthnBackend`] so that "Log in with LINE" sits next to
//! its password login, and the app keeps axum-login's `AuthSession`, `login_required!` guards and
//! permission checks.
//!
//! The credentials are [`Credentials::App`] (whatever the app's backend takes, e.g. a password
//! form) or [`Credentials::Line`], a [`LineLogin`]: a LINE login this crate verified, taken from
//! the [`LineUser`] the layer's callback signed in, or from a [`VerifiedIdToken`] (a LIFF or
//! native-app token checked with [`crate::id_token::IdTokenVerifier`]). A LINE login authenticates the app
//! user linked to that LINE user in the member links ([`MemberLinks`], the same links
//! `POST {prefix}/link` makes); an unlinked LINE user authenticates nobody (`Ok(None)`).
//!
//! ```no_run
//! # use line_login::axum_backend::{Credentials, LineLogin};
//! # use line_login::LineUser;
//! # async fn handler<B>(mut auth: axum_login::AuthSession<B>, line_user: LineUser)
//! # where B: axum_login::AuthnBackend<Credentials = Credentials<()>> {
//! // GET /after-line-login, the layer's `return_to` after a LINE login:
//! if let Ok(Some(user)) = auth.authenticate(Credentials::Line(LineLogin::from(&line_user))).await {
//!     let _ = auth.login(&user).await;
//! }
//! # }
//! ```

use std::collections::HashSet;
use std::fmt;

use ::axum_login::{AuthnBackend, AuthzBackend, UserId};

use crate::VerifiedIdToken;
use crate::link::MemberLinks;
use crate::user::LineUser;

/// A LINE login this crate verified: the LINE user ID of a [`LineUser`] (signed in by the
/// layer's callback after verifying the ID token) or of a [`VerifiedIdToken`]. Only those build
/// one.
#[derive(Clone, PartialEq, Eq)]
pub struct LineLogin {
    line_user_id: String,
}

impl LineLogin {
    /// The LINE user ID (`sub` of the verified ID token).
    pub fn line_user_id(&self) -> &str {
        &self.line_user_id
    }
}

impl fmt::Debug for LineLogin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LineLogin")
            .field("line_user_id", &self.line_user_id)
            .finish()
    }
}

impl From<&LineUser> for LineLogin {
    fn from(user: &LineUser) -> Self {
        Self {
            line_user_id: user.user_id.clone(),
        }
    }
}

impl From<&VerifiedIdToken> for LineLogin {
    fn from(token: &VerifiedIdToken) -> Self {
        Self {
            line_user_id: token.sub().to_owned(),
        }
    }
}

/// The credentials of a [`LineBackend`]: the app's own, or a verified LINE login.
#[derive(Clone, Debug)]
pub enum Credentials<C> {
    /// The app backend's credentials (e.g. a username and password).
    App(C),
    /// A LINE login this crate verified.
    Line(LineLogin),
}

/// Why a [`LineBackend`] failed: the app's backend, or the member-link store.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LineBackendError<E: std::error::Error + 'static> {
    /// The app's backend failed.
    #[error(transparent)]
    App(E),
    /// The member-link store failed.
    #[error("member-link lookup failed")]
    Links(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// An axum-login backend: the app's backend `B`, plus LINE logins resolved to `B`'s users
/// through the member links `L` (whose member IDs are `B`'s user IDs).
#[derive(Clone, Debug)]
pub struct LineBackend<B, L> {
    app: B,
    links: L,
}

impl<B, L> LineBackend<B, L> {
    /// Wraps the app's backend; `links` maps LINE users to its user IDs.
    pub fn new(app: B, links: L) -> Self {
        Self { app, links }
    }

    /// The app's backend.
    pub fn app(&self) -> &B {
        &self.app
    }
}

impl<B, L> AuthnBackend for LineBackend<B, L>
where
    B: AuthnBackend,
    B::Error: 'static,
    L: MemberLinks<MemberId = UserId<B>>,
{
    type User = B::User;
    type Credentials = Credentials<B::Credentials>;
    type Error = LineBackendError<B::Error>;

    async fn authenticate(
        &self,
        credentials: Self::Credentials,
    ) -> Result<Option<Self::User>, Self::Error> {
        match credentials {
            Credentials::App(credentials) => self
                .app
                .authenticate(credentials)
                .await
                .map_err(LineBackendError::App),
            Credentials::Line(login) => {
                let member = self
                    .links
                    .member_for(login.line_user_id())
                    .await
                    .map_err(|e| LineBackendError::Links(Box::new(e)))?;
                match member {
                    Some(member) => self
                        .app
                        .get_user(&member)
                        .await
                        .map_err(LineBackendError::App),
                    None => Ok(None),
                }
            }
        }
    }

    async fn get_user(&self, user_id: &UserId<Self>) -> Result<Option<Self::User>, Self::Error> {
        self.app
            .get_user(user_id)
            .await
            .map_err(LineBackendError::App)
    }
}

impl<B, L> AuthzBackend for LineBackend<B, L>
where
    B: AuthzBackend,
    B::Error: 'static,
    L: MemberLinks<MemberId = UserId<B>>,
{
    type Permission = B::Permission;

    async fn get_user_permissions(
        &self,
        user: &Self::User,
    ) -> Result<HashSet<Self::Permission>, Self::Error> {
        self.app
            .get_user_permissions(user)
            .await
            .map_err(LineBackendError::App)
    }

    async fn get_group_permissions(
        &self,
        user: &Self::User,
    ) -> Result<HashSet<Self::Permission>, Self::Error> {
        self.app
            .get_group_permissions(user)
            .await
            .map_err(LineBackendError::App)
    }
}
