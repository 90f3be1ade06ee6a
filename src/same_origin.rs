//! Refusing cross-site requests to state-changing routes: one check, used by the layer's own
//! logout, link, unlink and token-login routes, and offered to apps as the [`SameOrigin`]
//! extractor and the [`RequireSameOrigin`] layer for their own forms (sign-in, sign-out,
//! settings).
//!
//! `SameSite=Lax` on the session cookie does not stop login CSRF: a top-level cross-site form
//! POST still sets cookies, so another site can sign a visitor into the attacker's account.
//! The check refuses a request that a browser marks cross-site (`Sec-Fetch-Site` other than
//! `same-origin` or `none`), or whose `Origin` is neither the redirect URI's origin nor the
//! request's own host. A request with neither header (a non-browser client) passes.

// axum rejections are responses; boxing them would only add an allocation to every rejection.
#![allow(clippy::result_large_err)]

use std::convert::Infallible;
use std::task::{Context, Poll};

use axum::body::Body;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, Request, header};
use axum::response::Response;
use futures_util::future::{Either, Ready, ready};
use tower_layer::Layer;
use tower_service::Service;
use url::Url;

use crate::context::LoginContext;
use crate::error::LoginError;

/// Whether a request with these headers is same-origin, as far as a browser tells: `ours` is the
/// site's own URL (the redirect URI), when known; the request's `Host` counts as ours too.
pub(crate) fn is_same_origin(headers: &HeaderMap, ours: Option<&Url>) -> bool {
    if let Some(site) = headers.get("sec-fetch-site")
        && !matches!(site.to_str(), Ok("same-origin" | "none"))
    {
        return false;
    }
    let Some(origin) = headers.get(header::ORIGIN) else {
        return true;
    };
    let Ok(origin) = origin.to_str() else {
        return false;
    };
    if ours.is_some_and(|ours| origin == ours.origin().ascii_serialization()) {
        return true;
    }
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    host.is_some_and(|host| {
        origin
            .strip_prefix("https://")
            .or_else(|| origin.strip_prefix("http://"))
            == Some(host)
    })
}

/// The check as the layer's routes use it.
pub(crate) fn require(headers: &HeaderMap, ours: Option<&Url>) -> Result<(), LoginError> {
    if is_same_origin(headers, ours) {
        Ok(())
    } else {
        Err(LoginError::CrossSite)
    }
}

/// The site's own URL, from the login layer when it is installed.
fn ours(parts: &Parts) -> Option<Url> {
    parts
        .extensions
        .get::<LoginContext>()
        .map(|ctx| ctx.0.config.redirect_uri().clone())
}

/// The answer to a refused request: 403, HTML or JSON as the client prefers, never cached.
fn refusal(headers: &HeaderMap) -> Response {
    tracing::info!("cross-site request to a state-changing route refused");
    let mut response = LoginError::CrossSite.render(crate::error::wants_json(headers), None);
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    response
}

/// An extractor that refuses cross-site requests (403) before the handler runs. Put it on every
/// state-changing handler of the app's own: sign-in (login CSRF), sign-out, settings.
///
/// ```
/// use axum::{Router, routing::post};
/// use line_login::same_origin::SameOrigin;
/// let app: Router = Router::new().route(
///     "/members/signin",
///     post(|_: SameOrigin| async { "signed in" }),
/// );
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct SameOrigin;

impl<S: Send + Sync> FromRequestParts<S> for SameOrigin {
    type Rejection = crate::extract::LoginRejection;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        if is_same_origin(&parts.headers, ours(parts).as_ref()) {
            Ok(SameOrigin)
        } else {
            Err(crate::extract::LoginRejection::with_response(
                LoginError::CrossSite,
                refusal(&parts.headers),
            ))
        }
    }
}

/// A layer that refuses cross-site requests (403) with a method other than `GET`, `HEAD` or
/// `OPTIONS`, for a whole router.
///
/// ```
/// use axum::{Router, routing::post};
/// use line_login::same_origin::RequireSameOrigin;
/// let forms: Router = Router::new()
///     .route("/settings", post(|| async { "saved" }))
///     .route_layer(RequireSameOrigin);
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct RequireSameOrigin;

impl<S> Layer<S> for RequireSameOrigin {
    type Service = RequireSameOriginService<S>;
    fn layer(&self, inner: S) -> Self::Service {
        RequireSameOriginService { inner }
    }
}

/// The service of [`RequireSameOrigin`].
#[derive(Clone, Debug)]
pub struct RequireSameOriginService<S> {
    inner: S,
}

impl<S> Service<Request<Body>> for RequireSameOriginService<S>
where
    S: Service<Request<Body>, Response = Response, Error = Infallible>,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Either<Ready<Result<Response, Infallible>>, S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<Body>) -> Self::Future {
        let safe = matches!(
            *request.method(),
            Method::GET | Method::HEAD | Method::OPTIONS
        );
        if !safe {
            let ours = request
                .extensions()
                .get::<LoginContext>()
                .map(|ctx| ctx.0.config.redirect_uri());
            if !is_same_origin(request.headers(), ours) {
                return Either::Left(ready(Ok(refusal(request.headers()))));
            }
        }
        Either::Right(self.inner.call(request))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_example_holds() {
        use axum::http::HeaderMap;
        let ours = url::Url::parse("https://shop.example/auth/line/callback").unwrap();
        let mut headers = HeaderMap::new();
        headers.insert("origin", "https://evil.example".parse().unwrap());
        assert!(!is_same_origin(&headers, Some(&ours)));
        headers.insert("origin", "https://shop.example".parse().unwrap());
        assert!(is_same_origin(&headers, Some(&ours)));
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, value.parse().unwrap());
        }
        map
    }

    #[test]
    fn cross_site_requests_are_refused_and_same_origin_ones_pass() {
        let ours = Url::parse("https://shop.example/auth/line/callback").unwrap();
        let ours = Some(&ours);
        for refused in [
            headers(&[("sec-fetch-site", "cross-site")]),
            headers(&[("sec-fetch-site", "same-site")]),
            headers(&[("origin", "https://evil.example")]),
            headers(&[("origin", "null")]),
            headers(&[("origin", "https://shop.example.evil.example")]),
            headers(&[("origin", "https://evil.example"), ("host", "shop.example")]),
            headers(&[
                ("sec-fetch-site", "cross-site"),
                ("origin", "https://shop.example"),
            ]),
        ] {
            assert!(!is_same_origin(&refused, ours), "{refused:?}");
        }
        for passed in [
            headers(&[]),
            headers(&[("sec-fetch-site", "same-origin")]),
            headers(&[("sec-fetch-site", "none")]),
            headers(&[("origin", "https://shop.example")]),
            headers(&[
                ("origin", "http://127.0.0.1:3000"),
                ("host", "127.0.0.1:3000"),
            ]),
        ] {
            assert!(is_same_origin(&passed, ours), "{passed:?}");
        }
    }

    /// A service that is never ready (a full connection pool, a rate limit).
    #[derive(Clone)]
    struct NeverReady;

    impl Service<Request<Body>> for NeverReady {
        type Response = Response;
        type Error = Infallible;
        type Future = Ready<Result<Response, Infallible>>;

        fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
            Poll::Pending
        }

        fn call(&mut self, _: Request<Body>) -> Self::Future {
            ready(Ok(Response::new(Body::empty())))
        }
    }

    #[test]
    fn the_layer_is_ready_only_when_the_service_it_wraps_is() {
        let mut service = RequireSameOrigin.layer(NeverReady);
        let mut cx = Context::from_waker(std::task::Waker::noop());
        assert!(service.poll_ready(&mut cx).is_pending());
    }
}
