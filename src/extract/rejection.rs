//! What the crate's extractors answer when they refuse a request: a typed rejection that keeps
//! the [`LoginError`] (match on it to answer your own way) and the response the layer would send
//! (used when the rejection is returned as is).

use std::fmt;

use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};

use crate::error::LoginError;

/// Why an extractor ([`crate::LineUser`], [`crate::LineSession`], [`crate::Friendship`],
/// [`super::LinkedMember`], [`crate::same_origin::SameOrigin`]) refused a request, and the
/// answer the crate would give: a redirect to the login, a 401, 403 or 503 page or JSON.
///
/// ```
/// use axum::response::{IntoResponse, Response};
/// use line_login::{LineUser, LoginError, extract::LoginRejection};
///
/// async fn handler(user: Result<LineUser, LoginRejection>) -> Response {
///     match user {
///         Ok(user) => user.user_id.into_response(),
///         Err(rejection) if matches!(rejection.error(), LoginError::SessionStore(_)) => {
///             "Please try again in a moment.".into_response()
///         }
///         Err(rejection) => rejection.into_response(),
///     }
/// }
/// # let _ = handler;
/// ```
#[derive(Debug)]
pub struct LoginRejection {
    error: LoginError,
    response: Response,
}

impl LoginRejection {
    /// `error` rendered for the request, in its language, as JSON when `json`.
    pub(crate) fn rendered(error: LoginError, parts: &Parts, json: bool) -> Self {
        let response = crate::respond::render_request(&error, parts, json);
        Self { error, response }
    }

    /// `error` with an answer of its own (the redirect to the login).
    pub(crate) fn with_response(error: LoginError, response: Response) -> Self {
        Self { error, response }
    }

    /// Why the request was refused.
    pub fn error(&self) -> &LoginError {
        &self.error
    }

    /// The error, dropping the prepared answer.
    pub fn into_error(self) -> LoginError {
        self.error
    }
}

impl fmt::Display for LoginRejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.error, f)
    }
}

impl std::error::Error for LoginRejection {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.error)
    }
}

impl IntoResponse for LoginRejection {
    fn into_response(self) -> Response {
        self.response
    }
}
