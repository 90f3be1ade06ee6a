//! How the layer answers on its own routes: error pages and JSON errors (or the app's own page),
//! redirects, the method check, and the headers every such answer carries.

use axum::http::{Method, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::context::{Route, Shared};
use crate::error::LoginError;

/// Every answer on the layer's routes (redirects, error pages, the app's own error pages, JSON
/// answers) is neither cached nor sends a `Referer`: the callback URL holds the authorization
/// code and the state, and a page answering it must not hand them to the next site.
pub(crate) fn no_referrer_no_store(response: &mut Response) {
    let headers = response.headers_mut();
    headers.insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        header::HeaderValue::from_static("no-referrer"),
    );
}

pub(crate) fn render_error(
    shared: &Shared,
    parts: &axum::http::request::Parts,
    route: Route,
    error: LoginError,
) -> Response {
    // One warn line per failure, without secrets: errors never carry codes, tokens or state.
    tracing::warn!(
        route = ?route,
        error = %crate::log_safe::Escaped(&error),
        code = error.code(),
        status = error.status().as_u16(),
        "LINE login request failed"
    );
    if let Some(handler) = &shared.error_handler
        && let Some(response) = handler(&error, parts)
    {
        return response;
    }
    let retry = format!("{}?disable_auto_login=true", shared.routes.login);
    let mut response = error.render_for(&shared.messages, parts, Some(&retry));
    if let Some(challenge) = error.www_authenticate() {
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            header::HeaderValue::from_static(challenge),
        );
    }
    // `Cache-Control` and `Referrer-Policy` are set by the caller on every answer of the routes.
    response
}

/// 303 See Other to `location`, never cached.
pub(crate) fn see_other(location: &str) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    if let Ok(value) = header::HeaderValue::from_str(location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    response
}

/// The request's method must be exactly `method`: `HEAD` is refused too, since the layer's `GET`
/// routes have side effects (a `HEAD` of the callback would spend the attempt).
pub(crate) fn method_is(
    parts: &axum::http::request::Parts,
    method: &Method,
) -> Result<(), LoginError> {
    if parts.method == *method {
        Ok(())
    } else {
        Err(LoginError::MethodNotAllowed)
    }
}

/// Renders an extractor's answer (no retry) in the request's language, with the layer's
/// catalogue when the layer is in front of the handler.
pub(crate) fn render_request(
    error: &LoginError,
    parts: &axum::http::request::Parts,
    json: bool,
) -> Response {
    let messages = parts
        .extensions
        .get::<crate::context::LoginContext>()
        .map_or_else(crate::messages::Messages::builtin, |ctx| {
            ctx.0.messages.clone()
        });
    let language = messages.language_for(parts);
    error.render_in(&messages, &language, json, None)
}
