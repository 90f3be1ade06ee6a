//! The two logs LINE's guideline asks for besides the API calls: every authorization request
//! (time and URL) and every callback (time, method, query). The layer hands one
//! [`AuthorizationRecord`] per login start and one [`CallbackRecord`] per callback to the API
//! log sink ([`ApiLogSink`](crate::api::ApiLogSink)): `tracing` events by default, rows of
//! [`SqlApiLogSink`](crate::api_log) with its retention period when installed.
//!
//! A `state`, `code`, `nonce` or PKCE challenge is never kept in a usable form: a record holds
//! the parameters' names and a keyed hash ([`LogHasher`], HMAC-SHA-256 under a key derived from
//! the channel secret) of the `state` and the `code`, so support can find the record of a
//! user's report (`LogHasher::hash` of the state in their URL) without the log holding anything
//! that could finish a login. The raw values only with
//! [`LineLoginLayer::log_raw_login_values`](crate::LineLoginLayer::log_raw_login_values), an
//! opt-in the compliance report flags.
//!
//! ```
//! use line_login::Config;
//! use line_login::login_log::LogHasher;
//! let config = Config::builder("1234567890", "secret", "https://example.com/cb").build().unwrap();
//! let hasher = LogHasher::new(&config);
//! let hash = hasher.hash("the state from the user's URL");
//! assert_eq!(hash.len(), 32);
//! assert_eq!(hash, LogHasher::new(&config).hash("the state from the user's URL"));
//! ```

use std::fmt;

use time::OffsetDateTime;

use crate::config::Config;

/// Longest raw query or URL kept with the raw-values opt-in.
pub const RAW_VALUE_MAX_BYTES: usize = 4096;
/// Callback parameters whose names a record keeps at most.
const PARAMETER_NAMES_MAX: usize = 16;
/// Longest parameter name or error code kept; longer ones are shown as `?`.
const NAME_MAX_CHARS: usize = 64;
/// Hex characters of a keyed hash (128 bits).
const HASH_HEX_CHARS: usize = 32;
/// What the hash key is derived for (a key of its own, not the channel secret itself).
const HASH_KEY_LABEL: &[u8] = b"line-login log hash v1";

/// Keyed hashes for log records: HMAC-SHA-256 under a key derived from the channel secret,
/// the first 128 bits in hex. The same configuration gives the same hashes on every instance.
#[derive(Clone)]
pub struct LogHasher {
    key: aws_lc_rs::hmac::Key,
}

impl fmt::Debug for LogHasher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("LogHasher([redacted])")
    }
}

impl LogHasher {
    /// The hasher of `config`'s channel.
    pub fn new(config: &Config) -> Self {
        let secret = aws_lc_rs::hmac::Key::new(
            aws_lc_rs::hmac::HMAC_SHA256,
            config.channel_secret().expose_secret().as_bytes(),
        );
        let derived = aws_lc_rs::hmac::sign(&secret, HASH_KEY_LABEL);
        Self {
            key: aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, derived.as_ref()),
        }
    }

    /// The keyed hash of `value` (32 hex characters).
    pub fn hash(&self, value: &str) -> String {
        let tag = aws_lc_rs::hmac::sign(&self.key, value.as_bytes());
        let mut out = String::with_capacity(HASH_HEX_CHARS);
        for byte in tag.as_ref().iter().take(HASH_HEX_CHARS / 2) {
            out.push_str(&format!("{byte:02x}"));
        }
        out
    }
}

/// One authorization request: the redirect to LINE's authorize endpoint.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct AuthorizationRecord {
    /// When the login started (UTC).
    pub at: OffsetDateTime,
    /// The authorization URL with the values of `state`, `nonce` and `code_challenge` left out
    /// (their names stay): endpoint, `client_id`, `redirect_uri`, `scope` and every option.
    pub url: String,
    /// The keyed hash of the `state`.
    pub state_hash: String,
    /// `login` or `link`.
    pub purpose: &'static str,
    /// The whole URL as sent, only with the raw-values opt-in.
    pub raw_url: Option<String>,
}

/// One callback: LINE's redirect back to `{prefix}/callback`.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct CallbackRecord {
    /// When the callback arrived (UTC).
    pub at: OffsetDateTime,
    /// The HTTP method.
    pub method: String,
    /// The query's parameter names in order, comma-separated (`code,state` or
    /// `error,error_description,state`); a name that is not short plain text shows as `?`.
    pub parameters: String,
    /// The keyed hash of the `state`, when there was one.
    pub state_hash: Option<String>,
    /// The keyed hash of the `code`, when there was one.
    pub code_hash: Option<String>,
    /// LINE's `error` code, when it sent one (short plain text only).
    pub error: Option<String>,
    /// The whole query as received, only with the raw-values opt-in.
    pub raw_query: Option<String>,
}

/// Short plain text (`A-Z a-z 0-9 _ - .`), or `?`.
fn plain(name: &str) -> &str {
    let ok = !name.is_empty()
        && name.chars().count() <= NAME_MAX_CHARS
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'));
    if ok { name } else { "?" }
}

fn bounded(text: &str) -> String {
    let mut end = text.len().min(RAW_VALUE_MAX_BYTES);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_owned()
}

impl AuthorizationRecord {
    /// The record of `url`, an authorization URL, started at `at`.
    pub(crate) fn of(
        hasher: &LogHasher,
        url: &url::Url,
        purpose: &'static str,
        at: OffsetDateTime,
        raw: bool,
    ) -> Self {
        let mut kept = url.clone();
        let mut state_hash = String::new();
        {
            let pairs: Vec<(String, String)> = url.query_pairs().into_owned().collect();
            let mut query = kept.query_pairs_mut();
            query.clear();
            for (name, value) in &pairs {
                match name.as_str() {
                    "state" => {
                        state_hash = hasher.hash(value);
                        query.append_key_only(name);
                    }
                    "nonce" | "code_challenge" => {
                        query.append_key_only(name);
                    }
                    _ => {
                        query.append_pair(name, value);
                    }
                }
            }
        }
        Self {
            at,
            url: kept.as_str().replace('+', "%20"),
            state_hash,
            purpose,
            raw_url: raw.then(|| bounded(url.as_str())),
        }
    }
}

impl CallbackRecord {
    /// The record of a callback with `method` and `query`, arrived at `at`.
    pub(crate) fn of(
        hasher: &LogHasher,
        method: &str,
        query: Option<&str>,
        at: OffsetDateTime,
        raw: bool,
    ) -> Self {
        let query = query.unwrap_or("");
        let mut names: Vec<&str> = Vec::new();
        let mut state_hash = None;
        let mut code_hash = None;
        let mut error = None;
        for (name, value) in url::form_urlencoded::parse(query.as_bytes()) {
            if names.len() < PARAMETER_NAMES_MAX {
                names.push(match plain(&name) {
                    "?" => "?",
                    "code" => "code",
                    "state" => "state",
                    "error" => "error",
                    "error_description" => "error_description",
                    "friendship_status_changed" => "friendship_status_changed",
                    _ => "other",
                });
            }
            match name.as_ref() {
                "state" if state_hash.is_none() => state_hash = Some(hasher.hash(&value)),
                "code" if code_hash.is_none() => code_hash = Some(hasher.hash(&value)),
                "error" if error.is_none() => error = Some(plain(&value).to_owned()),
                _ => {}
            }
        }
        Self {
            at,
            method: plain(method).to_owned(),
            parameters: names.join(","),
            state_hash,
            code_hash,
            error,
            raw_query: raw.then(|| bounded(query)),
        }
    }
}

/// The default of [`ApiLogSink::record_authorization`](crate::api::ApiLogSink::record_authorization):
/// one `INFO` event, target `line_login::login_log`.
pub fn trace_authorization(record: &AuthorizationRecord) {
    tracing::info!(
        target: "line_login::login_log",
        url = %record.url,
        state_hash = %record.state_hash,
        purpose = record.purpose,
        raw_url = record.raw_url.as_deref().map(crate::log_safe::Escaped).map(tracing::field::display),
        "LINE authorization request"
    );
}

/// The default of [`ApiLogSink::record_callback`](crate::api::ApiLogSink::record_callback):
/// one `INFO` event, target `line_login::login_log`.
pub fn trace_callback(record: &CallbackRecord) {
    tracing::info!(
        target: "line_login::login_log",
        method = %record.method,
        parameters = %record.parameters,
        state_hash = record.state_hash.as_deref(),
        code_hash = record.code_hash.as_deref(),
        error = record.error.as_deref(),
        raw_query = record.raw_query.as_deref().map(crate::log_safe::Escaped).map(tracing::field::display),
        "LINE callback"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hasher() -> LogHasher {
        let config = Config::builder("1234567890", "secret", "https://example.com/cb")
            .build()
            .unwrap();
        LogHasher::new(&config)
    }

    #[test]
    fn callback_record_keeps_names_and_keyed_hashes_never_the_code_or_state() {
        let hasher = hasher();
        let query = "code=THE-CODE&state=THE-STATE&friendship_status_changed=true&evil%0Aname=x";
        let record = CallbackRecord::of(
            &hasher,
            "GET",
            Some(query),
            OffsetDateTime::UNIX_EPOCH,
            false,
        );
        assert_eq!(record.parameters, "code,state,friendship_status_changed,?");
        assert_eq!(
            record.code_hash.as_deref(),
            Some(hasher.hash("THE-CODE").as_str())
        );
        assert_eq!(
            record.state_hash.as_deref(),
            Some(hasher.hash("THE-STATE").as_str())
        );
        let shown = format!("{record:?}");
        assert!(
            !shown.contains("THE-CODE") && !shown.contains("THE-STATE"),
            "{shown}"
        );
        assert_eq!(record.raw_query, None);
        // The hash is keyed: another channel secret gives another hash.
        let other = LogHasher::new(
            &Config::builder("1234567890", "other", "https://example.com/cb")
                .build()
                .unwrap(),
        );
        assert_ne!(other.hash("THE-CODE"), hasher.hash("THE-CODE"));
        // Only the opt-in keeps the raw query.
        let raw = CallbackRecord::of(
            &hasher,
            "GET",
            Some(query),
            OffsetDateTime::UNIX_EPOCH,
            true,
        );
        assert_eq!(raw.raw_query.as_deref(), Some(query));
    }

    #[test]
    fn callback_record_error_codes_are_plain_text_only() {
        let hasher = hasher();
        let record = CallbackRecord::of(
            &hasher,
            "GET",
            Some("error=ACCESS_DENIED&error_description=The+user+cancelled&state=s"),
            OffsetDateTime::UNIX_EPOCH,
            false,
        );
        assert_eq!(record.error.as_deref(), Some("ACCESS_DENIED"));
        assert_eq!(record.parameters, "error,error_description,state");
        let forged = CallbackRecord::of(
            &hasher,
            "GET",
            Some("error=x%0A2026-01-01+INFO+forged"),
            OffsetDateTime::UNIX_EPOCH,
            false,
        );
        assert_eq!(forged.error.as_deref(), Some("?"));
    }

    #[test]
    fn authorization_record_keeps_the_url_without_state_nonce_or_challenge() {
        let hasher = hasher();
        let url = url::Url::parse(
            "https://access.line.me/oauth2/v2.1/authorize?response_type=code&client_id=1234567890\
             &redirect_uri=https%3A%2F%2Fexample.com%2Fcb&state=S1&scope=profile%20openid&nonce=N1\
             &code_challenge=C1&code_challenge_method=S256",
        )
        .unwrap();
        let record =
            AuthorizationRecord::of(&hasher, &url, "login", OffsetDateTime::UNIX_EPOCH, false);
        assert!(
            !record.url.contains("S1") && !record.url.contains("N1") && !record.url.contains("C1")
        );
        assert!(record.url.contains("&state&"), "{}", record.url);
        assert!(
            record.url.contains("client_id=1234567890"),
            "{}",
            record.url
        );
        assert!(
            record.url.contains("scope=profile%20openid"),
            "{}",
            record.url
        );
        assert_eq!(record.state_hash, hasher.hash("S1"));
        assert_eq!(record.raw_url, None);
    }
}
