//! Fault injection and request counting: which [`Endpoint`] a request hits, the [`Fault`]s a
//! test can queue for it, and the middleware that counts requests and applies the faults.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::json;

use super::state::SimState;

/// Longest delay one `Delay` fault may cause.
pub(crate) const FAULT_DELAY_MAX: Duration = Duration::from_secs(120);
/// Largest response body the `TruncatedJson` fault reads before cutting it.
const TRUNCATE_READ_MAX_BYTES: usize = 1024 * 1024;

pub use line_login::api::Endpoint;

/// The endpoint a request goes to, if any. Both grants of `POST /oauth2/v2.1/token` count as
/// [`Endpoint::Token`] (the grant is in the body); [`Endpoint::Refresh`] is never counted.
pub(crate) fn endpoint_of_request(method: &Method, path: &str) -> Option<Endpoint> {
    let endpoint = match path {
        "/oauth2/v2.1/authorize" if method == Method::GET => Endpoint::Authorize,
        "/oauth2/v2.1/token" => Endpoint::Token,
        "/oauth2/v2.1/verify" if method == Method::GET => Endpoint::VerifyAccessToken,
        "/oauth2/v2.1/verify" => Endpoint::VerifyIdToken,
        "/oauth2/v2.1/revoke" => Endpoint::Revoke,
        "/v2/profile" => Endpoint::Profile,
        "/friendship/v1/status" => Endpoint::Friendship,
        "/oauth2/v2.1/userinfo" => Endpoint::UserInfo,
        "/oauth2/v2.1/certs" => Endpoint::Certs,
        "/.well-known/openid-configuration" => Endpoint::Discovery,
        "/oauth2/v3/token" => Endpoint::ChannelToken,
        "/user/v1/deauthorize" => Endpoint::Deauthorize,
        _ => return None,
    };
    Some(endpoint)
}

/// Endpoints of LINE's API gateway answer errors as `{"message": ...}`; the OAuth ones as
/// `{"error": ..., "error_description": ...}`.
fn uses_message_errors(endpoint: Endpoint) -> bool {
    matches!(
        endpoint,
        Endpoint::Profile | Endpoint::Friendship | Endpoint::Deauthorize
    )
}

/// A fault the simulator injects into the responses of one [`Endpoint`].
///
/// Several faults may be queued for one endpoint: delays add up, then the first
/// response-replacing fault (`Status`, `RateLimited`, `MalformedJson`, `Html`) answers instead
/// of the endpoint; `TruncatedJson` cuts the real answer; the ID-token faults change the
/// `id_token` of the token endpoint's answer (they do nothing on other endpoints).
///
/// In JSON (`POST /__sim/fault`) a fault is an object tagged by `kind`:
/// `{"kind":"delay","ms":1500}`, `{"kind":"status","status":500}`,
/// `{"kind":"rate_limited","retry_after_secs":30}`, `{"kind":"malformed_json"}`, `{"kind":"html"}`,
/// `{"kind":"truncated_json"}`, `{"kind":"missing_id_token"}`, `{"kind":"bad_signature"}`,
/// `{"kind":"wrong_nonce"}`, `{"kind":"wrong_audience"}`, `{"kind":"wrong_issuer"}`,
/// `{"kind":"expired"}`, `{"kind":"issued_in_future"}`, `{"kind":"other_channel"}`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Answer only after this delay (at most two minutes).
    Delay(Duration),
    /// Answer with this HTTP status and a LINE-style error body.
    Status(u16),
    /// Answer 429 with a `Retry-After` header.
    RateLimited {
        /// The `Retry-After` value in seconds.
        retry_after_secs: u64,
    },
    /// Answer 200 with a body that is not valid JSON.
    MalformedJson,
    /// Answer 200 with an HTML page (as a proxy or maintenance page would).
    Html,
    /// Answer with the first half of the real body.
    TruncatedJson,
    /// Token endpoint: leave `id_token` out.
    MissingIdToken,
    /// Token endpoint: sign the ID token with a wrong key.
    BadSignature,
    /// Token endpoint: put another `nonce` in the ID token.
    WrongNonce,
    /// Token endpoint: put another channel in the ID token's `aud`.
    WrongAudience,
    /// Token endpoint: put another issuer in the ID token's `iss`.
    WrongIssuer,
    /// Token endpoint: an ID token that expired two hours ago.
    Expired,
    /// Token endpoint: an ID token issued two hours in the future.
    IssuedInFuture,
    /// Token endpoint: a valid ID token of another web-login channel of the simulator (its
    /// `aud`, signed with its secret), as a mixed-up or malicious token endpoint would answer.
    OtherChannel,
}

impl Fault {
    /// Whether the fault changes the ID token of a token response.
    pub(crate) fn is_claim_fault(&self) -> bool {
        matches!(
            self,
            Fault::MissingIdToken
                | Fault::BadSignature
                | Fault::WrongNonce
                | Fault::WrongAudience
                | Fault::WrongIssuer
                | Fault::Expired
                | Fault::IssuedInFuture
                | Fault::OtherChannel
        )
    }
}

#[derive(Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
enum FaultWire {
    Delay { ms: u64 },
    Status { status: u16 },
    RateLimited { retry_after_secs: u64 },
    MalformedJson,
    Html,
    TruncatedJson,
    MissingIdToken,
    BadSignature,
    WrongNonce,
    WrongAudience,
    WrongIssuer,
    Expired,
    IssuedInFuture,
    OtherChannel,
}

impl Serialize for Fault {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let wire = match self {
            Fault::Delay(d) => FaultWire::Delay {
                ms: u64::try_from(d.as_millis()).unwrap_or(u64::MAX),
            },
            Fault::Status(status) => FaultWire::Status { status: *status },
            Fault::RateLimited { retry_after_secs } => FaultWire::RateLimited {
                retry_after_secs: *retry_after_secs,
            },
            Fault::MalformedJson => FaultWire::MalformedJson,
            Fault::Html => FaultWire::Html,
            Fault::TruncatedJson => FaultWire::TruncatedJson,
            Fault::MissingIdToken => FaultWire::MissingIdToken,
            Fault::BadSignature => FaultWire::BadSignature,
            Fault::WrongNonce => FaultWire::WrongNonce,
            Fault::WrongAudience => FaultWire::WrongAudience,
            Fault::WrongIssuer => FaultWire::WrongIssuer,
            Fault::Expired => FaultWire::Expired,
            Fault::IssuedInFuture => FaultWire::IssuedInFuture,
            Fault::OtherChannel => FaultWire::OtherChannel,
        };
        wire.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Fault {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(match FaultWire::deserialize(deserializer)? {
            FaultWire::Delay { ms } => Fault::Delay(Duration::from_millis(ms)),
            FaultWire::Status { status } => Fault::Status(status),
            FaultWire::RateLimited { retry_after_secs } => Fault::RateLimited { retry_after_secs },
            FaultWire::MalformedJson => Fault::MalformedJson,
            FaultWire::Html => Fault::Html,
            FaultWire::TruncatedJson => Fault::TruncatedJson,
            FaultWire::MissingIdToken => Fault::MissingIdToken,
            FaultWire::BadSignature => Fault::BadSignature,
            FaultWire::WrongNonce => Fault::WrongNonce,
            FaultWire::WrongAudience => Fault::WrongAudience,
            FaultWire::WrongIssuer => Fault::WrongIssuer,
            FaultWire::Expired => Fault::Expired,
            FaultWire::IssuedInFuture => Fault::IssuedInFuture,
            FaultWire::OtherChannel => Fault::OtherChannel,
        })
    }
}

/// The ID-token faults taken for one token request (a request extension).
#[derive(Clone, Debug, Default)]
pub(crate) struct ClaimFaults(pub Vec<Fault>);

/// Counts the request, then applies the faults queued for its endpoint.
pub(crate) async fn fault_middleware(
    State(sim): State<Arc<SimState>>,
    mut request: Request,
    next: Next,
) -> Response {
    let Some(endpoint) = endpoint_of_request(request.method(), request.uri().path()) else {
        return next.run(request).await;
    };
    let faults = sim.take_faults(endpoint);
    if faults.is_empty() {
        return next.run(request).await;
    }
    let delay = faults
        .iter()
        .filter_map(|f| match f {
            Fault::Delay(d) => Some(*d),
            _ => None,
        })
        .fold(Duration::ZERO, Duration::saturating_add)
        .min(FAULT_DELAY_MAX);
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    if let Some(replacement) = faults.iter().find(|f| {
        matches!(
            f,
            Fault::Status(_) | Fault::RateLimited { .. } | Fault::MalformedJson | Fault::Html
        )
    }) {
        return replacement_response(endpoint, replacement);
    }
    let claim_faults: Vec<Fault> = faults
        .iter()
        .filter(|f| f.is_claim_fault())
        .cloned()
        .collect();
    request.extensions_mut().insert(ClaimFaults(claim_faults));
    let response = next.run(request).await;
    if faults.contains(&Fault::TruncatedJson) {
        truncate(response).await
    } else {
        response
    }
}

fn replacement_response(endpoint: Endpoint, fault: &Fault) -> Response {
    match fault {
        Fault::Status(code) => {
            let status = StatusCode::from_u16(*code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            error_response(endpoint, status)
        }
        Fault::RateLimited { retry_after_secs } => {
            let mut response = error_response(endpoint, StatusCode::TOO_MANY_REQUESTS);
            if let Ok(value) = HeaderValue::from_str(&retry_after_secs.to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
            response
        }
        Fault::MalformedJson => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "application/json")],
            "{\"access_token\": \"simulated\", \"expires_in\": ,}",
        )
            .into_response(),
        _ => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            "<!DOCTYPE html><html><head><title>Maintenance</title></head>\
             <body><h1>We are under maintenance</h1><p>Please try again later.</p></body></html>",
        )
            .into_response(),
    }
}

/// A LINE-style error answer with `status` for `endpoint`.
fn error_response(endpoint: Endpoint, status: StatusCode) -> Response {
    let reason = status.canonical_reason().unwrap_or("Error");
    if endpoint == Endpoint::Authorize {
        return super::authorize::error_page(status, &format!("{} {reason}", status.as_u16()));
    }
    let body = if uses_message_errors(endpoint) {
        json!({ "message": reason })
    } else {
        let error = match status.as_u16() {
            400 => "invalid_request",
            401 => "invalid_client",
            403 => "access_denied",
            404 => "not_found",
            429 => "too_many_requests",
            503 => "temporarily_unavailable",
            _ => "server_error",
        };
        json!({ "error": error, "error_description": reason })
    };
    (status, axum::Json(body)).into_response()
}

async fn truncate(response: Response) -> Response {
    let (mut parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, TRUNCATE_READ_MAX_BYTES)
        .await
        .unwrap_or_default();
    let cut = if bytes.len() >= 2 {
        bytes.slice(..bytes.len() / 2)
    } else {
        axum::body::Bytes::from_static(b"{\"")
    };
    if parts.status == StatusCode::NO_CONTENT {
        parts.status = StatusCode::OK;
    }
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    Response::from_parts(parts, Body::from(cut))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faults_round_trip_through_their_json_form() {
        let faults = [
            Fault::Delay(Duration::from_millis(1500)),
            Fault::Status(503),
            Fault::RateLimited {
                retry_after_secs: 7,
            },
            Fault::IssuedInFuture,
        ];
        for fault in faults {
            let text = serde_json::to_string(&fault).unwrap();
            assert_eq!(
                serde_json::from_str::<Fault>(&text).unwrap(),
                fault,
                "{text}"
            );
        }
        assert_eq!(
            serde_json::from_str::<Fault>(r#"{"kind":"delay","ms":250}"#).unwrap(),
            Fault::Delay(Duration::from_millis(250))
        );
        assert!(serde_json::from_str::<Fault>(r#"{"kind":"explode"}"#).is_err());
    }

    #[test]
    fn endpoint_names_match_the_http_test_api() {
        for endpoint in Endpoint::ALL {
            let text = serde_json::to_string(&endpoint).unwrap();
            assert_eq!(text, format!("\"{}\"", endpoint.as_str()));
        }
        assert_eq!(
            serde_json::from_str::<Endpoint>("\"user_info\"").unwrap(),
            Endpoint::UserInfo
        );
    }

    #[test]
    fn verify_is_split_by_method() {
        assert_eq!(
            endpoint_of_request(&Method::GET, "/oauth2/v2.1/verify"),
            Some(Endpoint::VerifyAccessToken)
        );
        assert_eq!(
            endpoint_of_request(&Method::POST, "/oauth2/v2.1/verify"),
            Some(Endpoint::VerifyIdToken)
        );
        assert_eq!(endpoint_of_request(&Method::GET, "/__sim/requests"), None);
    }
}
