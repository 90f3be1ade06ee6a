//! The [`LinkedMember`] extractor: the company member linked to the logged-in LINE user, read
//! from the link store, so the app can sign that member in after a plain LINE login. Needs the
//! layer with [`crate::LineLoginLayer::member_links`] and a session layer.

use std::str::FromStr;

use axum::extract::{FromRequestParts, OptionalFromRequestParts};
use axum::http::request::Parts;

use crate::context::LoginContext;
use crate::error::{LoginError, wants_json};
use crate::user::LineUser;

/// The company member linked to the logged-in LINE user (`M` parses the stored member ID;
/// `String` by default). The link store is asked on every use, so a link removed since the
/// login (by the member elsewhere, by back-office code or by the sweep) is seen at once.
///
/// As a plain argument: an anonymous request gets the [`LineUser`] extractor's answer (a
/// redirect to the login, or 401), a LINE user who is not linked gets 403 (`no_member`). As
/// `Option<LinkedMember>`: `None` in both cases. A store failure is a 503 either way.
///
/// ```
/// use axum::{Router, routing::get};
/// use line_login::extract::LinkedMember;
/// use tower_sessions::Session;
///
/// // After a LINE login, sign the linked member into the app's own session.
/// async fn welcome(member: Option<LinkedMember<u64>>, session: Session) -> String {
///     match member {
///         Some(LinkedMember(id)) => {
///             let _ = session.insert("member_id", id).await;
///             format!("welcome back, member {id}")
///         }
///         None => "this LINE account is not linked to a member yet".to_owned(),
///     }
/// }
/// let app: Router = Router::new().route("/welcome", get(welcome));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinkedMember<M = String>(pub M);

/// The linked member of `user`; `Err` is the rendered store failure.
async fn lookup<M: FromStr>(
    parts: &Parts,
    user: &LineUser,
) -> Result<Option<M>, super::LoginRejection> {
    let fail = |error: LoginError| {
        tracing::warn!(error = %crate::log_safe::Escaped(&error), "could not read the linked member");
        super::LoginRejection::rendered(error, parts, wants_json(&parts.headers))
    };
    let Some(members) = parts
        .extensions
        .get::<LoginContext>()
        .and_then(|ctx| ctx.0.members.clone())
    else {
        return Ok(None);
    };
    match members.member_for(&user.user_id).await.map_err(fail)? {
        None => Ok(None),
        Some(id) => id.parse().map(Some).map_err(|_| {
            fail(LoginError::LinkStore(
                "a stored member ID does not parse as the extractor's type".into(),
            ))
        }),
    }
}

impl<S: Send + Sync, M: FromStr + Send> FromRequestParts<S> for LinkedMember<M> {
    type Rejection = super::LoginRejection;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let user = <LineUser as FromRequestParts<S>>::from_request_parts(parts, state).await?;
        match lookup(parts, &user).await? {
            Some(member) => Ok(Self(member)),
            None => Err(super::LoginRejection::rendered(
                LoginError::NoMember,
                parts,
                wants_json(&parts.headers),
            )),
        }
    }
}

impl<S: Send + Sync, M: FromStr + Send> OptionalFromRequestParts<S> for LinkedMember<M> {
    type Rejection = super::LoginRejection;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &S,
    ) -> Result<Option<Self>, Self::Rejection> {
        let user =
            <LineUser as OptionalFromRequestParts<S>>::from_request_parts(parts, state).await?;
        match user {
            None => Ok(None),
            Some(user) => Ok(lookup(parts, &user).await?.map(Self)),
        }
    }
}
