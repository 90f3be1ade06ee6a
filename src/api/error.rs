//! The errors of the LINE API client: one variant per way a call can fail (no answer, too slow,
//! LINE said no, LINE said something unusable), decided by the HTTP status, never by message text.
//! None of them carries a token, code, secret or a request URL.

use std::time::Duration;

use super::Endpoint;

/// Why a call to LINE failed.
///
/// The variant is decided by what happened on the wire:
/// - no HTTP answer at all: [`ApiError::Transport`] or [`ApiError::Timeout`];
/// - an HTTP answer with a non-2xx status: [`ApiError::Line`], whatever its body looks like
///   (LINE's `{"error", "error_description"}` or `{"message"}` fields are picked up when present);
/// - a 2xx answer whose body is not what the endpoint documents (HTML, truncated or malformed
///   JSON, missing fields, larger than 1 MiB): [`ApiError::UnexpectedBody`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ApiError {
    /// The HTTP client could not be built (for example no usable TLS backend).
    #[error("could not build the HTTP client for LINE")]
    ClientBuild {
        /// The client builder's error.
        #[source]
        source: reqwest::Error,
    },
    /// No HTTP answer: connection refused or reset, DNS or TLS failure, broken body stream.
    /// The source never includes the request URL (it could hold a token in its query).
    #[error("calling LINE's {endpoint} endpoint failed before an answer arrived")]
    Transport {
        /// The endpoint that was called (see [`Endpoint`](super::Endpoint)).
        endpoint: Endpoint,
        /// The HTTP client's error, with the URL removed.
        #[source]
        source: reqwest::Error,
    },
    /// LINE did not answer within the configured HTTP timeout.
    #[error("LINE's {endpoint} endpoint did not answer within the HTTP timeout")]
    Timeout {
        /// Short endpoint name.
        endpoint: Endpoint,
    },
    /// LINE answered with a non-2xx HTTP status.
    #[error("LINE's {endpoint} endpoint answered HTTP {status}{}", line_summary(.error, .description))]
    Line {
        /// Short endpoint name.
        endpoint: Endpoint,
        /// The HTTP status.
        status: u16,
        /// The `error` field of the JSON body (e.g. `invalid_grant`), when there is one.
        error: Option<String>,
        /// The `error_description` field, or else the `message` field, when there is one.
        description: Option<String>,
        /// The `x-line-request-id` header: quote it when asking LINE about this call.
        request_id: Option<String>,
        /// `Retry-After` (whole seconds), usually on 429.
        retry_after: Option<Duration>,
    },
    /// LINE answered 2xx but the body is not what the endpoint documents.
    #[error("LINE's {endpoint} endpoint answered HTTP {status} with an unusable body: {detail}")]
    UnexpectedBody {
        /// Short endpoint name.
        endpoint: Endpoint,
        /// The HTTP status.
        status: u16,
        /// The `x-line-request-id` header.
        request_id: Option<String>,
        /// What is wrong (never the body itself, which may hold tokens).
        detail: String,
    },
    /// The call was not made: a URL it needed was invalid or not https (plain http is only
    /// allowed on loopback), for example a `jwks_uri` in the discovery document.
    #[error("refused to call LINE's {endpoint} endpoint: {reason}")]
    Refused {
        /// Short endpoint name.
        endpoint: Endpoint,
        /// Why.
        reason: String,
    },
}

fn line_summary(error: &Option<String>, description: &Option<String>) -> String {
    match (error, description) {
        (Some(e), Some(d)) => format!(": {e} ({d})"),
        (Some(e), None) => format!(": {e}"),
        (None, Some(d)) => format!(": {d}"),
        (None, None) => String::new(),
    }
}

impl ApiError {
    /// Builds a [`ApiError::Transport`] or [`ApiError::Timeout`] from a client error, dropping
    /// the URL so a token in the query string can never be displayed.
    pub(crate) fn from_reqwest(endpoint: Endpoint, source: reqwest::Error) -> Self {
        if source.is_timeout() {
            ApiError::Timeout { endpoint }
        } else {
            ApiError::Transport {
                endpoint,
                source: source.without_url(),
            }
        }
    }

    /// The short name of the endpoint that failed (`None` for [`ApiError::ClientBuild`]).
    pub fn endpoint(&self) -> Option<Endpoint> {
        match self {
            ApiError::ClientBuild { .. } => None,
            ApiError::Transport { endpoint, .. }
            | ApiError::Timeout { endpoint }
            | ApiError::Line { endpoint, .. }
            | ApiError::UnexpectedBody { endpoint, .. }
            | ApiError::Refused { endpoint, .. } => Some(*endpoint),
        }
    }

    /// The HTTP status LINE answered with, if an answer arrived.
    pub fn status(&self) -> Option<u16> {
        match self {
            ApiError::Line { status, .. } | ApiError::UnexpectedBody { status, .. } => {
                Some(*status)
            }
            _ => None,
        }
    }

    /// The `x-line-request-id` of the answer, if an answer arrived and carried one.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            ApiError::Line { request_id, .. } | ApiError::UnexpectedBody { request_id, .. } => {
                request_id.as_deref()
            }
            _ => None,
        }
    }

    /// The `error` code of LINE's answer (e.g. `invalid_grant`), if any.
    pub fn error_code(&self) -> Option<&str> {
        match self {
            ApiError::Line { error, .. } => error.as_deref(),
            _ => None,
        }
    }

    /// Whether LINE answered 429 Too Many Requests.
    pub fn is_rate_limited(&self) -> bool {
        matches!(self, ApiError::Line { status: 429, .. })
    }

    /// How long LINE asked to wait before retrying (`Retry-After`, in seconds), if it said.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            ApiError::Line { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// Whether retrying later may succeed: timeouts, transport failures, 429 and 5xx.
    pub fn is_transient(&self) -> bool {
        match self {
            ApiError::Timeout { .. } | ApiError::Transport { .. } => true,
            ApiError::Line { status, .. } => *status == 429 || *status >= 500,
            _ => false,
        }
    }

    /// Whether LINE said the token sent is invalid, expired or revoked, so the user must log
    /// in again (retrying cannot help). Decided by endpoint and HTTP status:
    ///
    /// - `refresh`: 400/401 with `invalid_grant` (LINE's "invalid refresh token"), or any 401;
    /// - `verify_access_token`, `verify_id_token`: any 400 or 401 (LINE answers
    ///   `invalid_request` for expired, revoked and malformed tokens);
    /// - `profile`, `friendship`, `userinfo`, `revoke`: 401, or an `invalid_token` error code;
    /// - `deauthorize`: 400 (LINE's "invalid token": already deauthorized) about the user token;
    /// - the code exchange (`token`) never: a bad code is not a token problem.
    pub fn is_token_revoked_or_invalid(&self) -> bool {
        let ApiError::Line {
            endpoint,
            status,
            error,
            ..
        } = self
        else {
            return false;
        };
        let code_is = |wanted: &str| {
            error
                .as_deref()
                .is_some_and(|e| e.eq_ignore_ascii_case(wanted))
        };
        match (*endpoint, *status) {
            (Endpoint::Refresh, 401) => true,
            (Endpoint::Refresh, 400) => code_is("invalid_grant") || code_is("invalid_token"),
            (Endpoint::VerifyAccessToken | Endpoint::VerifyIdToken, 400 | 401) => true,
            (
                Endpoint::Profile | Endpoint::Friendship | Endpoint::UserInfo | Endpoint::Revoke,
                401,
            ) => true,
            (
                Endpoint::Profile | Endpoint::Friendship | Endpoint::UserInfo | Endpoint::Revoke,
                400,
            ) => code_is("invalid_token"),
            (Endpoint::Deauthorize, 400) => true,
            _ => false,
        }
    }
}

/// Why [`LineApi::verify_access_token`](super::LineApi::verify_access_token) rejected a token.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AccessTokenError {
    /// The call failed or LINE rejected the token (expired, revoked, malformed:
    /// see [`ApiError::is_token_revoked_or_invalid`]).
    #[error(transparent)]
    Api(#[from] ApiError),
    /// LINE says the token is valid but was issued to another channel: never accept it.
    #[error("the access token was issued to channel {got}, not to this channel")]
    WrongChannel {
        /// The `client_id` LINE reported.
        got: String,
    },
    /// LINE answered with `expires_in` <= 0.
    #[error("the access token has expired")]
    Expired,
}

impl AccessTokenError {
    /// Whether the token must be thrown away: wrong channel, expired, or LINE said it is invalid.
    pub fn is_token_revoked_or_invalid(&self) -> bool {
        match self {
            AccessTokenError::Api(e) => e.is_token_revoked_or_invalid(),
            AccessTokenError::WrongChannel { .. } | AccessTokenError::Expired => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(endpoint: Endpoint, status: u16, error: Option<&str>) -> ApiError {
        ApiError::Line {
            endpoint,
            status,
            error: error.map(str::to_owned),
            description: None,
            request_id: Some("rid".into()),
            retry_after: None,
        }
    }

    #[test]
    fn token_invalidity_is_decided_by_endpoint_and_status() {
        assert!(line(Endpoint::Refresh, 400, Some("invalid_grant")).is_token_revoked_or_invalid());
        assert!(line(Endpoint::Refresh, 400, Some("INVALID_GRANT")).is_token_revoked_or_invalid());
        assert!(
            !line(Endpoint::Refresh, 400, Some("invalid_client")).is_token_revoked_or_invalid()
        );
        assert!(line(Endpoint::VerifyAccessToken, 400, None).is_token_revoked_or_invalid());
        assert!(
            line(Endpoint::VerifyIdToken, 400, Some("invalid_request"))
                .is_token_revoked_or_invalid()
        );
        assert!(line(Endpoint::Profile, 401, None).is_token_revoked_or_invalid());
        assert!(line(Endpoint::Friendship, 401, None).is_token_revoked_or_invalid());
        assert!(!line(Endpoint::Profile, 500, None).is_token_revoked_or_invalid());
        assert!(!line(Endpoint::Profile, 429, None).is_token_revoked_or_invalid());
        assert!(!line(Endpoint::Token, 400, Some("invalid_grant")).is_token_revoked_or_invalid());
        assert!(line(Endpoint::Deauthorize, 400, None).is_token_revoked_or_invalid());
        assert!(
            !ApiError::Timeout {
                endpoint: Endpoint::Profile
            }
            .is_token_revoked_or_invalid()
        );
    }

    #[test]
    fn helpers_read_the_answer() {
        let err = ApiError::Line {
            endpoint: Endpoint::Profile,
            status: 429,
            error: None,
            description: Some("Too many requests".into()),
            request_id: Some("abc".into()),
            retry_after: Some(Duration::from_secs(7)),
        };
        assert_eq!(err.status(), Some(429));
        assert!(err.is_rate_limited());
        assert!(err.is_transient());
        assert_eq!(err.retry_after(), Some(Duration::from_secs(7)));
        assert_eq!(err.request_id(), Some("abc"));
        assert_eq!(err.endpoint(), Some(Endpoint::Profile));
        assert_eq!(
            err.to_string(),
            "LINE's profile endpoint answered HTTP 429: Too many requests"
        );
        let timeout = ApiError::Timeout {
            endpoint: Endpoint::Token,
        };
        assert_eq!(timeout.status(), None);
        assert!(!timeout.is_rate_limited());
        assert!(timeout.is_transient());
    }

    #[test]
    fn access_token_rejections_all_mean_log_in_again() {
        assert!(AccessTokenError::Expired.is_token_revoked_or_invalid());
        assert!(AccessTokenError::WrongChannel { got: "1".into() }.is_token_revoked_or_invalid());
        assert!(
            !AccessTokenError::Api(ApiError::Timeout {
                endpoint: Endpoint::VerifyAccessToken
            })
            .is_token_revoked_or_invalid()
        );
    }
}
