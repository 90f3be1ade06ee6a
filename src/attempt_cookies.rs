//! The cookies of pending attempts on the wire: the browser key and the sealed attempts (and
//! token-login nonces) read from a request, set on and removed from a response. What they hold
//! and how they are sealed and spent is [`crate::pending`]'s.

use axum::http::request::Parts;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::Response;
use time::OffsetDateTime;

use crate::authorize::ATTEMPT_TTL;
use crate::context::Shared;
use crate::pending::{self, AttemptCookie, BrowserKey};
use crate::session;

/// Sets the attempt cookie (the browser key): `SameSite=Lax` (it must come back on LINE's
/// cross-site redirect), `HttpOnly`, living as long as an attempt; on the layer's routes only,
/// except with https, where it is a `__Host-` cookie and browsers demand `Path=/`.
pub(crate) fn set_browser_key(shared: &Shared, response: &mut Response, browser: &BrowserKey) {
    let name = session::attempt_cookie_name(&shared.config);
    let path = if shared.config.is_https() {
        "/"
    } else {
        shared.routes.prefix.as_str()
    };
    let max_age = ATTEMPT_TTL.as_secs() as i64;
    set_cookie_on(
        shared,
        response,
        path,
        name,
        browser.expose_secret(),
        max_age,
    );
}

/// Appends a `Set-Cookie` with the attempt cookies' attributes, on the layer's routes (`max_age`
/// 0 removes it).
fn set_cookie(shared: &Shared, response: &mut Response, name: &str, value: &str, max_age: i64) {
    set_cookie_on(
        shared,
        response,
        &shared.routes.prefix,
        name,
        value,
        max_age,
    );
}

fn set_cookie_on(
    shared: &Shared,
    response: &mut Response,
    path: &str,
    name: &str,
    value: &str,
    max_age: i64,
) {
    let cookie = cookie::Cookie::build((name, value))
        .path(path.to_owned())
        .http_only(true)
        .same_site(cookie::SameSite::Lax)
        .secure(shared.config.is_https())
        .max_age(cookie::time::Duration::seconds(max_age));
    if let Ok(value) = HeaderValue::from_str(&cookie.build().to_string()) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
}

/// Sets a new sealed attempt (or token-login nonce) cookie, and removes this browser's expired
/// ones and the oldest past [`crate::authorize::PENDING_ATTEMPTS_MAX`] pending.
pub(crate) fn add_pending(
    shared: &Shared,
    parts: &Parts,
    response: &mut Response,
    sealed: &AttemptCookie,
    now: OffsetDateTime,
) {
    for name in pending::cookies_to_drop(&pending_cookies(parts), now) {
        set_cookie(shared, response, &name, "", 0);
    }
    let max_age = ATTEMPT_TTL.as_secs() as i64;
    set_cookie(shared, response, &sealed.name, &sealed.value, max_age);
}

/// How many attempt cookies of one request are read at most (a browser keeps five).
const ATTEMPT_COOKIES_READ_MAX: usize = 32;

/// The cookies the request carries (those that parse).
fn request_cookies(parts: &Parts) -> impl Iterator<Item = cookie::Cookie<'_>> {
    parts
        .headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(cookie::Cookie::split_parse)
        .flatten()
}

/// The request's sealed attempt and token-login nonce cookies.
pub(crate) fn pending_cookies(parts: &Parts) -> Vec<AttemptCookie> {
    request_cookies(parts)
        .filter(|c| pending::is_attempt_cookie(c.name()))
        .take(ATTEMPT_COOKIES_READ_MAX)
        .map(|c| AttemptCookie {
            name: c.name().to_owned(),
            value: c.value().to_owned(),
        })
        .collect()
}

/// After a callback: removes the cookie of the attempt it named, spent now (or refused), unless
/// the callback was not a `GET` (refused before it touched the attempt) or the attempt store
/// failed (503): then the attempt is still unspent and the callback may be retried.
pub(crate) fn clear_after_callback(shared: &Shared, parts: &Parts, response: &mut Response) {
    if parts.method != Method::GET || response.status() == StatusCode::SERVICE_UNAVAILABLE {
        return;
    }
    let Some(browser) = browser_key(shared, parts) else {
        return;
    };
    let state = url::form_urlencoded::parse(parts.uri.query().unwrap_or_default().as_bytes())
        .find(|(name, _)| name == "state")
        .map(|(_, value)| value.into_owned());
    let Some(name) = state.and_then(|state| shared.attempt_sealer.cookie_name(&browser, &state))
    else {
        return;
    };
    if pending_cookies(parts).iter().any(|c| c.name == name) {
        set_cookie(shared, response, &name, "", 0);
    }
}

/// The browser key in the request's attempt cookie, if it has one of ours. With https only the
/// `__Host-` cookie counts: one planted by a sibling subdomain under the plain name is ignored.
pub(crate) fn browser_key(shared: &Shared, parts: &Parts) -> Option<BrowserKey> {
    let name = session::attempt_cookie_name(&shared.config);
    request_cookies(parts)
        .filter(|c| c.name() == name)
        .find_map(|c| BrowserKey::parse(c.value()))
}
