//! LINE's redirect back to us: parsing the callback query (success, error,
//! `friendship_status_changed`) with bounds. Taking its pending attempt is
//! [`crate::store::attempts`]'s job, exchanging the code the layer's.

use crate::secret::AuthorizationCode;

/// Longest callback query accepted; LINE's are a few hundred bytes.
pub const CALLBACK_QUERY_MAX_BYTES: usize = 8 * 1024;
/// Longest `state` accepted (ours are 43 bytes); the one limit [`crate::verify_state`] applies.
pub use crate::state::STATE_MAX_BYTES;
/// Longest authorization code accepted.
pub const CODE_MAX_BYTES: usize = 1024;
/// Longest `error_description` kept.
const DESCRIPTION_MAX_CHARS: usize = 300;

/// An error code LINE puts on the callback, compared case-insensitively (the docs show upper case,
/// older copies lower case).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AuthorizationErrorCode {
    /// The user pressed Cancel on the consent screen.
    AccessDenied,
    /// Bad query parameters.
    InvalidRequest,
    /// `response_type` other than `code`.
    UnsupportedResponseType,
    /// Scope rules broken.
    InvalidScope,
    /// LINE failed.
    ServerError,
    /// `prompt=none` and the user is not logged in.
    LoginRequired,
    /// `prompt=none` and auto login cannot work on this device.
    InteractionRequired,
    /// Anything else, kept as sent (bounded).
    Other(String),
}

impl AuthorizationErrorCode {
    fn parse(raw: &str) -> Self {
        match raw.to_ascii_uppercase().as_str() {
            "ACCESS_DENIED" => Self::AccessDenied,
            "INVALID_REQUEST" => Self::InvalidRequest,
            "UNSUPPORTED_RESPONSE_TYPE" => Self::UnsupportedResponseType,
            "INVALID_SCOPE" => Self::InvalidScope,
            "SERVER_ERROR" => Self::ServerError,
            "LOGIN_REQUIRED" => Self::LoginRequired,
            "INTERACTION_REQUIRED" => Self::InteractionRequired,
            _ => Self::Other(raw.chars().take(64).collect()),
        }
    }

    /// The code in LINE's documented spelling.
    pub fn as_str(&self) -> &str {
        match self {
            Self::AccessDenied => "ACCESS_DENIED",
            Self::InvalidRequest => "INVALID_REQUEST",
            Self::UnsupportedResponseType => "UNSUPPORTED_RESPONSE_TYPE",
            Self::InvalidScope => "INVALID_SCOPE",
            Self::ServerError => "SERVER_ERROR",
            Self::LoginRequired => "LOGIN_REQUIRED",
            Self::InteractionRequired => "INTERACTION_REQUIRED",
            Self::Other(code) => code,
        }
    }
}

/// A parsed callback query. Its `Debug` leaves the code and the state out.
pub enum Callback {
    /// LINE issued a code.
    Code {
        /// The authorization code.
        code: AuthorizationCode,
        /// The echoed state.
        state: String,
        /// `friendship_status_changed`: `None` when the add-friend option was not shown.
        friendship_status_changed: Option<bool>,
    },
    /// LINE (or the user) refused.
    Error {
        /// The error code.
        code: AuthorizationErrorCode,
        /// `error_description`, bounded.
        description: Option<String>,
        /// The echoed state, when LINE had one.
        state: Option<String>,
    },
}

impl std::fmt::Debug for Callback {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let redacted = "[redacted]";
        match self {
            Callback::Code {
                code,
                friendship_status_changed,
                ..
            } => f
                .debug_struct("Callback::Code")
                .field("code", code)
                .field("state", &redacted)
                .field("friendship_status_changed", friendship_status_changed)
                .finish(),
            Callback::Error {
                code,
                description,
                state,
            } => f
                .debug_struct("Callback::Error")
                .field("code", code)
                .field("description", description)
                .field("state", &state.as_ref().map(|_| redacted))
                .finish(),
        }
    }
}

/// Why a callback was rejected before any token request.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CallbackError {
    /// The query is larger than 8 KiB.
    #[error("the callback query is too long")]
    QueryTooLong,
    /// The query is not valid `application/x-www-form-urlencoded`.
    #[error("the callback query cannot be parsed")]
    Unparsable,
    /// A parameter appears more than once.
    #[error("the callback repeats the parameter {0}")]
    DuplicateParameter(&'static str),
    /// `state` is absent or empty.
    #[error("the callback has no state")]
    MissingState,
    /// `state` is longer than 256 bytes.
    #[error("the callback's state is too long")]
    StateTooLong,
    /// `code` is absent or empty.
    #[error("the callback has no authorization code")]
    MissingCode,
    /// `code` is longer than 1,024 bytes.
    #[error("the callback's code is too long")]
    CodeTooLong,
    /// No pending attempt in this session has this state: a forged or replayed callback, a state
    /// from another session, or LINE's auto login failing.
    #[error("no login attempt of this session matches the callback's state")]
    UnknownState,
    /// The attempt is older than 10 minutes (LINE's code lifetime).
    #[error("the login attempt expired")]
    ExpiredAttempt,
    /// The session holds no pending attempt at all: the cookie was lost on the way back (a phone
    /// switching between the LINE app and the browser) or the session expired.
    #[error("the session of this login attempt is gone")]
    SessionGone,
}

/// Parses a callback query.
pub fn parse_callback(query: Option<&str>) -> Result<Callback, CallbackError> {
    let query = query.unwrap_or("");
    if query.len() > CALLBACK_QUERY_MAX_BYTES {
        return Err(CallbackError::QueryTooLong);
    }
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_str(query).map_err(|_| CallbackError::Unparsable)?;
    let mut code = None;
    let mut state = None;
    let mut error = None;
    let mut description = None;
    let mut friendship = None;
    let mut legacy_error = None;
    for (name, value) in pairs {
        let (slot, label) = match name.as_str() {
            "code" => (&mut code, "code"),
            "state" => (&mut state, "state"),
            "error" => (&mut error, "error"),
            "error_description" => (&mut description, "error_description"),
            "friendship_status_changed" => (&mut friendship, "friendship_status_changed"),
            // LINE Login v2.0's error form, still seen in the wild.
            "errorCode" | "errorMessage" => (&mut legacy_error, "errorCode"),
            _ => continue,
        };
        if slot.is_some() && label != "errorCode" {
            return Err(CallbackError::DuplicateParameter(label));
        }
        *slot = Some(value);
    }
    let state = state.filter(|s| !s.is_empty());
    if let Some(state) = &state
        && state.len() > STATE_MAX_BYTES
    {
        return Err(CallbackError::StateTooLong);
    }
    let error = error.or_else(|| legacy_error.map(|_| "server_error".to_owned()));
    if let Some(error) = error {
        return Ok(Callback::Error {
            code: AuthorizationErrorCode::parse(&error),
            description: description.map(|d| d.chars().take(DESCRIPTION_MAX_CHARS).collect()),
            state,
        });
    }
    let state = state.ok_or(CallbackError::MissingState)?;
    let code = code
        .filter(|c| !c.is_empty())
        .ok_or(CallbackError::MissingCode)?;
    if code.len() > CODE_MAX_BYTES {
        return Err(CallbackError::CodeTooLong);
    }
    let friendship_status_changed = match friendship.as_deref().map(str::to_ascii_lowercase) {
        Some(v) if v == "true" => Some(true),
        Some(v) if v == "false" => Some(false),
        _ => None,
    };
    Ok(Callback::Code {
        code: AuthorizationCode::new(code),
        state,
        friendship_status_changed,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_example_holds() {
        let callback =
            parse_callback(Some("code=abc&state=xyz&friendship_status_changed=true")).unwrap();
        assert!(matches!(
            callback,
            Callback::Code {
                friendship_status_changed: Some(true),
                ..
            }
        ));
    }

    #[test]
    fn error_codes_compare_case_insensitively() {
        for raw in ["ACCESS_DENIED", "access_denied", "Access_Denied"] {
            let parsed = parse_callback(Some(&format!("error={raw}&state=s"))).unwrap();
            assert!(matches!(
                parsed,
                Callback::Error {
                    code: AuthorizationErrorCode::AccessDenied,
                    ..
                }
            ));
        }
    }

    #[test]
    fn legacy_v2_error_form_is_an_error() {
        let parsed = parse_callback(Some("errorCode=417&errorMessage=DISALLOWED&state=s")).unwrap();
        assert!(matches!(parsed, Callback::Error { .. }));
    }

    #[test]
    fn malformed_queries_are_rejected() {
        assert_eq!(
            parse_callback(Some("code=a&state=b&state=c")).unwrap_err(),
            CallbackError::DuplicateParameter("state")
        );
        assert_eq!(
            parse_callback(Some("code=a")).unwrap_err(),
            CallbackError::MissingState
        );
        assert_eq!(
            parse_callback(Some("state=a")).unwrap_err(),
            CallbackError::MissingCode
        );
        let long = format!("code=a&state={}", "x".repeat(STATE_MAX_BYTES + 1));
        assert_eq!(
            parse_callback(Some(&long)).unwrap_err(),
            CallbackError::StateTooLong
        );
        let huge = "x".repeat(CALLBACK_QUERY_MAX_BYTES + 1);
        assert_eq!(
            parse_callback(Some(&huge)).unwrap_err(),
            CallbackError::QueryTooLong
        );
    }

    #[test]
    fn friendship_status_changed_has_three_states() {
        let get = |q: &str| match parse_callback(Some(q)).unwrap() {
            Callback::Code {
                friendship_status_changed,
                ..
            } => friendship_status_changed,
            other => panic!("{other:?}"),
        };
        assert_eq!(
            get("code=a&state=b&friendship_status_changed=true"),
            Some(true)
        );
        assert_eq!(
            get("code=a&state=b&friendship_status_changed=false"),
            Some(false)
        );
        assert_eq!(get("code=a&state=b"), None);
    }

    #[test]
    fn debug_of_a_callback_shows_neither_code_nor_state() {
        for query in [
            "code=the-code-value&state=the-state-value",
            "error=ACCESS_DENIED&state=the-state-value",
        ] {
            let parsed = parse_callback(Some(query)).unwrap();
            let rendered = format!("{parsed:?} {parsed:#?}");
            assert!(!rendered.contains("the-code-value"), "{rendered}");
            assert!(!rendered.contains("the-state-value"), "{rendered}");
        }
    }

    fn code_of(query: &str) -> Result<(String, String), CallbackError> {
        match parse_callback(Some(query))? {
            Callback::Code { code, state, .. } => Ok((code.expose_secret().to_owned(), state)),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn the_query_limit_is_exactly_callback_query_max_bytes() {
        let head = "code=a&state=b&pad=";
        let longest = format!(
            "{head}{}",
            "x".repeat(CALLBACK_QUERY_MAX_BYTES - head.len())
        );
        assert_eq!(longest.len(), 8192);
        assert!(code_of(&longest).is_ok());
        let one_more = format!("{longest}x");
        assert_eq!(
            parse_callback(Some(&one_more)).unwrap_err(),
            CallbackError::QueryTooLong
        );
    }

    #[test]
    fn the_state_limit_is_exactly_state_max_bytes() {
        let longest = "s".repeat(STATE_MAX_BYTES);
        assert_eq!(
            code_of(&format!("code=a&state={longest}")).unwrap().1,
            longest
        );
        assert_eq!(
            code_of(&format!("code=a&state={longest}s")).unwrap_err(),
            CallbackError::StateTooLong
        );
    }

    #[test]
    fn the_code_limit_is_exactly_code_max_bytes() {
        let longest = "c".repeat(CODE_MAX_BYTES);
        assert_eq!(
            code_of(&format!("code={longest}&state=s")).unwrap().0,
            longest
        );
        assert_eq!(
            code_of(&format!("code={longest}c&state=s")).unwrap_err(),
            CallbackError::CodeTooLong
        );
    }

    #[test]
    fn an_empty_state_or_code_is_missing() {
        assert_eq!(
            code_of("code=a&state=").unwrap_err(),
            CallbackError::MissingState
        );
        assert_eq!(
            code_of("code=&state=s").unwrap_err(),
            CallbackError::MissingCode
        );
    }

    #[test]
    fn each_error_code_is_parsed_and_spelled_as_line_documents_it() {
        for (raw, expected) in [
            ("access_denied", AuthorizationErrorCode::AccessDenied),
            ("invalid_request", AuthorizationErrorCode::InvalidRequest),
            (
                "unsupported_response_type",
                AuthorizationErrorCode::UnsupportedResponseType,
            ),
            ("invalid_scope", AuthorizationErrorCode::InvalidScope),
            ("server_error", AuthorizationErrorCode::ServerError),
            ("login_required", AuthorizationErrorCode::LoginRequired),
            (
                "interaction_required",
                AuthorizationErrorCode::InteractionRequired,
            ),
        ] {
            let Callback::Error { code, .. } =
                parse_callback(Some(&format!("error={raw}&state=s"))).unwrap()
            else {
                panic!("{raw}");
            };
            assert_eq!(code, expected);
            assert_eq!(code.as_str(), raw.to_ascii_uppercase());
        }
    }

    #[test]
    fn an_unknown_error_code_is_kept_as_sent_and_bounded() {
        let Callback::Error { code, .. } =
            parse_callback(Some("error=temporarily_unavailable")).unwrap()
        else {
            panic!("not an error");
        };
        assert_eq!(code.as_str(), "temporarily_unavailable");
        let long = "e".repeat(100);
        let Callback::Error { code, .. } = parse_callback(Some(&format!("error={long}"))).unwrap()
        else {
            panic!("not an error");
        };
        assert_eq!(code.as_str(), "e".repeat(64));
    }

    #[test]
    fn an_error_keeps_its_description_bounded_and_its_state() {
        let Callback::Error {
            description, state, ..
        } = parse_callback(Some(
            "error=access_denied&error_description=user+cancelled&state=s",
        ))
        .unwrap()
        else {
            panic!("not an error");
        };
        assert_eq!(description.as_deref(), Some("user cancelled"));
        assert_eq!(state.as_deref(), Some("s"));
        let long = "d".repeat(DESCRIPTION_MAX_CHARS + 10);
        let Callback::Error { description, .. } =
            parse_callback(Some(&format!("error=x&error_description={long}"))).unwrap()
        else {
            panic!("not an error");
        };
        assert_eq!(description.unwrap().chars().count(), DESCRIPTION_MAX_CHARS);
    }

    #[test]
    fn friendship_status_changed_is_case_insensitive_and_anything_else_is_unknown() {
        let get = |value: &str| match parse_callback(Some(&format!(
            "code=a&state=b&friendship_status_changed={value}"
        )))
        .unwrap()
        {
            Callback::Code {
                friendship_status_changed,
                ..
            } => friendship_status_changed,
            other => panic!("{other:?}"),
        };
        assert_eq!(get("TRUE"), Some(true));
        assert_eq!(get("False"), Some(false));
        for unknown in ["", "yes", "0", "1", "truefalse"] {
            assert_eq!(get(unknown), None, "{unknown:?}");
        }
    }

    #[test]
    fn debug_of_a_callback_names_its_kind_and_its_harmless_fields() {
        let code = parse_callback(Some("code=c&state=s&friendship_status_changed=false")).unwrap();
        let rendered = format!("{code:?}");
        assert!(rendered.contains("Callback::Code"), "{rendered}");
        assert!(rendered.contains("Some(false)"), "{rendered}");
        let error = parse_callback(Some("error=access_denied&error_description=why")).unwrap();
        let rendered = format!("{error:?}");
        assert!(rendered.contains("AccessDenied"), "{rendered}");
        assert!(rendered.contains("why"), "{rendered}");
    }

    proptest::proptest! {
        #[test]
        fn any_query_is_parsed_or_refused_without_panicking(query in ".{0,2000}") {
            let _ = parse_callback(Some(&query));
        }

        #[test]
        fn any_callback_shaped_query_keeps_its_bounds(
            code in "[ -~]{0,1200}",
            state in "[ -~]{0,300}",
            extra in "[ -~]{0,50}",
        ) {
            let query = serde_urlencoded::to_string([("code", &code), ("state", &state), ("x", &extra)]).unwrap();
            if let Ok(Callback::Code { code, state, .. }) = parse_callback(Some(&query)) {
                proptest::prop_assert!(code.expose_secret().len() <= CODE_MAX_BYTES);
                proptest::prop_assert!(state.len() <= STATE_MAX_BYTES && !state.is_empty());
            }
        }
    }
}
