//! OIDC discovery through openidconnect's `discover_async`, run on our own reqwest client: an
//! adapter implementing openidconnect's `AsyncHttpClient` so every request it makes gets our
//! TLS policy, timeout, body bound, typed errors and one log record.

use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;

use openidconnect::core::CoreProviderMetadata;
use openidconnect::{AsyncHttpClient, DiscoveryError, HttpRequest, HttpResponse, IssuerUrl};
use url::Url;

use super::{Answer, ApiError, Endpoint, LineApi};

/// openidconnect appends this to the issuer to find the document.
const CONFIG_URL_SUFFIX: &str = ".well-known/openid-configuration";

/// Fetches and validates the discovery document and its JWKS.
pub(super) async fn discover(api: &LineApi) -> Result<CoreProviderMetadata, ApiError> {
    let config = api.config();
    let issuer = IssuerUrl::new(config.issuer().to_owned()).map_err(|e| ApiError::Refused {
        endpoint: Endpoint::Discovery,
        reason: format!("the configured issuer is not a URL: {e}"),
    })?;
    let asked_url = issuer
        .join(CONFIG_URL_SUFFIX)
        .map_err(|e| ApiError::Refused {
            endpoint: Endpoint::Discovery,
            reason: format!("cannot build the discovery URL: {e}"),
        })?;
    let client = DiscoveryClient {
        api: api.clone(),
        asked_url,
        document_url: join(config.access_base(), CONFIG_URL_SUFFIX),
        last_answer: Mutex::new(None),
    };
    let result = CoreProviderMetadata::discover_async(issuer, &client).await;
    result.map_err(|e| client.classify(e))
}

fn join(base: &Url, path: &str) -> Url {
    let mut url = base.clone();
    let prefix = url.path().trim_end_matches('/').to_owned();
    url.set_path(&format!("{prefix}/{path}"));
    url.set_query(None);
    url
}

/// Our reqwest client, as openidconnect's HTTP client.
struct DiscoveryClient {
    api: LineApi,
    /// The URL openidconnect derives from the issuer.
    asked_url: Url,
    /// Where the document really is: `{access_base}/.well-known/openid-configuration` (the same
    /// URL whenever the issuer is the access base, as at LINE and in the simulator).
    document_url: Url,
    /// Endpoint, status and request id of the last answer, to attribute parse errors.
    last_answer: Mutex<Option<(Endpoint, u16, Option<String>)>>,
}

type DiscoveryFuture<'c> =
    Pin<Box<dyn Future<Output = Result<HttpResponse, ApiError>> + Send + 'c>>;

impl<'c> AsyncHttpClient<'c> for DiscoveryClient {
    type Error = ApiError;
    type Future = DiscoveryFuture<'c>;

    fn call(&'c self, request: HttpRequest) -> Self::Future {
        Box::pin(self.fetch(request))
    }
}

impl DiscoveryClient {
    async fn fetch(&self, request: HttpRequest) -> Result<HttpResponse, ApiError> {
        let asked = Url::parse(&request.uri().to_string()).map_err(|e| ApiError::Refused {
            endpoint: Endpoint::Discovery,
            reason: format!("openidconnect asked for an invalid URL: {e}"),
        })?;
        let (endpoint, url) = if asked == self.asked_url {
            (Endpoint::Discovery, self.document_url.clone())
        } else {
            (Endpoint::Certs, asked)
        };
        if !is_secure(&url) {
            return Err(ApiError::Refused {
                endpoint,
                reason: format!("{url} is neither https nor http on loopback"),
            });
        }
        let method = if request.method() == http::Method::GET {
            "GET"
        } else {
            "POST"
        };
        let mut builder = self
            .api
            .inner
            .client
            .request(request.method().clone(), url)
            .headers(request.headers().clone());
        let body = request.into_body();
        if !body.is_empty() {
            builder = builder.body(body);
        }
        let response = self
            .api
            .call(endpoint, method, builder, |answer| check(endpoint, answer))
            .await?;
        if let Ok(mut last) = self.last_answer.lock() {
            *last = Some((endpoint, response.1, response.2));
        }
        Ok(response.0)
    }

    /// Maps openidconnect's error to ours: our own errors come back unchanged.
    fn classify(&self, error: DiscoveryError<ApiError>) -> ApiError {
        let (endpoint, status, request_id) = self
            .last_answer
            .lock()
            .ok()
            .and_then(|last| last.clone())
            .unwrap_or((Endpoint::Discovery, 200, None));
        let unexpected = |detail: String| ApiError::UnexpectedBody {
            endpoint,
            status,
            request_id: request_id.clone(),
            detail,
        };
        match error {
            DiscoveryError::Request(e) => e,
            DiscoveryError::Parse(e) => unexpected(format!(
                "cannot parse the answer at `{}`",
                super::sanitize(&e.path().to_string(), 200)
            )),
            DiscoveryError::Response(status, _, message) => ApiError::UnexpectedBody {
                endpoint,
                status: status.as_u16(),
                request_id: request_id.clone(),
                detail: super::sanitize(&message, 300),
            },
            DiscoveryError::Validation(message) => unexpected(super::sanitize(&message, 300)),
            DiscoveryError::UrlParse(e) => ApiError::Refused {
                endpoint,
                reason: format!("invalid URL: {e}"),
            },
            DiscoveryError::Other(message) => ApiError::Refused {
                endpoint,
                reason: super::sanitize(&message, 300),
            },
            other => unexpected(super::sanitize(&other.to_string(), 300)),
        }
    }
}

/// Checks the body is well-formed JSON (so the call's record says `unexpected_body` when it is
/// not) and hands the answer to openidconnect.
fn check(
    endpoint: Endpoint,
    answer: &Answer,
) -> Result<(HttpResponse, u16, Option<String>), String> {
    if endpoint == Endpoint::Discovery {
        super::json_answer::<CoreProviderMetadata>(answer)?;
    } else {
        super::json_answer::<serde::de::IgnoredAny>(answer)?;
    }
    let mut response = http::Response::new(answer.body.clone());
    *response.status_mut() =
        http::StatusCode::from_u16(answer.status).map_err(|_| "invalid HTTP status".to_owned())?;
    *response.headers_mut() = answer.headers.clone();
    Ok((response, answer.status, answer.request_id.clone()))
}

fn is_secure(url: &Url) -> bool {
    match url.scheme() {
        "https" => true,
        "http" => crate::config::is_loopback(url),
        _ => false,
    }
}
