//! LINE's development guidelines for corporate customers, item by item for LINE Login: how the
//! crate meets each one, its status in one configuration, and the tests that prove it; as text,
//! Markdown (to attach to a LINE review) or JSON (for CI), plus the start-up check of the layer.
//!
//! ```
//! use line_login::Config;
//! use line_login::compliance::{self, ReportFormat, Status};
//!
//! let config = Config::builder("1234567890", "secret", "https://example.com/auth/line/callback")
//!     .build()
//!     .unwrap();
//! let report = compliance::report(&config);
//! assert_eq!(report.worst(), Status::Warning); // only tracing keeps the API logs
//! let markdown = report.render(ReportFormat::Markdown);
//! assert!(markdown.contains("| Guideline |"));
//!
//! // With a persistent API log sink, member links served with their unlink route, and a key
//! // that encrypts LINE tokens at rest:
//! let key = line_login::token_crypto::TokenKey::generate().unwrap();
//! let config = Config::builder("1234567890", "secret", "https://example.com/auth/line/callback")
//!     .token_keys(line_login::token_crypto::TokenKeyRing::new(key))
//!     .build()
//!     .unwrap();
//! let report = compliance::ComplianceReport::builder(&config)
//!     .api_log_sink_persistent(true)
//!     .member_links(true)
//!     .unlink_route(true)
//!     .consent_sweep(true)
//!     .build();
//! assert_eq!(report.worst(), Status::Ok);
//! ```

use std::fmt;
use std::str::FromStr;

use serde_json::json;

use crate::api::{CHANNEL_TOKEN_RENEWAL_MARGIN_SECS, LineApi};
use crate::config::{Config, DEFAULT_ISSUER, is_loopback};
use crate::link::TokenStorage;
use crate::store::StoreKind;

/// Width the text format wraps at, in characters.
const TEXT_WIDTH_CHARS: usize = 100;

/// How one guideline item stands in the configuration the report was built for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Status {
    /// Met.
    Ok,
    /// Met with a caveat the company should check (e.g. development settings, logs kept only
    /// by `tracing`).
    Warning,
    /// Not met as configured: logged at start-up, refused by the layer's strict mode.
    ActionNeeded,
}

impl Status {
    /// `ok`, `warning` or `action needed`.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Warning => "warning",
            Status::ActionNeeded => "action needed",
        }
    }

    /// `ok`, `warning` or `action_needed` (the JSON form).
    pub fn key(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Warning => "warning",
            Status::ActionNeeded => "action_needed",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A test that proves an item: a function in `tests/integration/<module>.rs` (an integration
/// test, module `<module>` of the one integration-test binary) or in the
/// `tests` module of a library file under `src/` (a unit test).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TestRef {
    /// The file, relative to the crate root, e.g. `tests/integration/layer.rs` or
    /// `src/config.rs`.
    pub file: &'static str,
    /// The test function's name.
    pub function: &'static str,
}

impl TestRef {
    /// Whether it is an integration test (under `tests/`).
    pub fn is_integration(&self) -> bool {
        self.file.starts_with("tests/")
    }

    /// The module path of a unit test's file (`src/api/error.rs` gives `api::error`).
    fn module_path(&self) -> String {
        let path = self.file.trim_start_matches("src/").trim_end_matches(".rs");
        let path = path.strip_suffix("/mod").unwrap_or(path);
        path.replace('/', "::")
    }

    /// The module of an integration test (`tests/integration/layer.rs` gives `layer`).
    fn stem(&self) -> &str {
        self.file
            .trim_start_matches("tests/integration/")
            .trim_end_matches(".rs")
    }

    /// The name the report prints: `layer::callback_without_state_is_rejected` for an
    /// integration test (file stem and function), `line_login::config::tests::name` for a unit
    /// test.
    pub fn name(&self) -> String {
        if self.is_integration() {
            format!("{}::{}", self.stem(), self.function)
        } else {
            format!(
                "line_login::{}::tests::{}",
                self.module_path(),
                self.function
            )
        }
    }

    /// The command that runs exactly this test.
    pub fn cargo_command(&self) -> String {
        if self.is_integration() {
            format!(
                "cargo test --test integration -- --exact {}::{}",
                self.stem(),
                self.function
            )
        } else {
            format!(
                "cargo test --lib -- --exact {}::tests::{}",
                self.module_path(),
                self.function
            )
        }
    }
}

/// An integration test: `it!(layer, fn_name)`.
macro_rules! it {
    ($stem:ident, $function:ident) => {
        TestRef {
            file: concat!("tests/integration/", stringify!($stem), ".rs"),
            function: stringify!($function),
        }
    };
}

/// A unit test in a library file: `unit!("src/config.rs", fn_name)`.
macro_rules! unit {
    ($file:literal, $function:ident) => {
        TestRef {
            file: $file,
            function: stringify!($function),
        }
    };
}

/// The fixed text of one guideline item.
struct ItemSpec {
    id: &'static str,
    title: &'static str,
    guideline: &'static str,
    how: &'static str,
    tests: &'static [TestRef],
}

const TLS: ItemSpec = ItemSpec {
    id: "tls",
    title: "TLS 1.2 or later on every call",
    guideline: "Communicate with the LINE Platform over TLS 1.2 or later only.",
    how: "LineApi's HTTP client is rustls with TLS 1.2 as its minimum (rustls implements nothing \
          older) and follows no redirects; Config refuses plain-http LINE URLs and redirect URIs \
          outside loopback, which stays allowed for local development and the simulator.",
    tests: &[
        it!(compliance, line_api_offers_only_tls_1_2_or_newer),
        it!(compliance, plain_http_is_refused_outside_loopback),
        unit!(
            "src/config.rs",
            plain_http_redirect_is_allowed_on_loopback_only
        ),
        unit!("src/api/mod.rs", redirects_are_not_followed),
    ],
};

const STATE: ItemSpec = ItemSpec {
    id: "state",
    title: "A random state per authorization request, verified",
    guideline: "Generate an unguessable state for every authorization request, keep it on the \
                server side or in a cookie that only your site can read, and verify it when \
                LINE redirects back.",
    how: "Every login attempt gets 256 bits from the OS CSPRNG, kept in an HttpOnly, \
          SameSite=Lax cookie of the browser that started it, encrypted and authenticated with \
          AES-256-GCM under a key only the server has (derived from the channel secret) and \
          bound to the browser's attempt cookie (at most 5 pending attempts per browser, 10 \
          minutes each); the callback opens it only with the same cookies and state, checks the \
          state in constant time, refuses a missing, unknown, altered, duplicated, oversized or \
          expired state before any token request, and spends the attempt once in the shared \
          attempt store.",
    tests: &[
        unit!(
            "src/authorize.rs",
            each_attempt_has_fresh_high_entropy_values
        ),
        it!(layer, callback_with_state_from_another_session_is_rejected),
        it!(layer, callback_without_state_is_rejected),
        it!(layer, callback_with_duplicated_state_is_rejected),
        it!(layer, callback_for_an_expired_attempt_is_rejected),
        unit!(
            "src/pending.rs",
            an_altered_attempt_cookie_opens_nothing_and_spends_nothing
        ),
        unit!(
            "src/pending.rs",
            only_the_server_that_sealed_an_attempt_opens_it
        ),
        unit!("src/state.rs", one_changed_byte_anywhere_is_a_mismatch),
    ],
};

const NONCE: ItemSpec = ItemSpec {
    id: "nonce",
    title: "The nonce",
    guideline: "Send a random nonce with each authorization request and check that the ID token \
                carries the same value.",
    how: "A fresh 256-bit nonce per attempt goes into the authorization URL and must equal the \
          ID token's nonce claim. At token login, a token carrying a nonce logs in only with a \
          nonce this server issued to the same browser (POST {prefix}/token-login/nonce), spent \
          at its first use; a token without one logs in once, or not at all under \
          TokenNonce::Require.",
    tests: &[
        it!(
            layer,
            login_redirects_to_line_with_state_nonce_pkce_and_every_option
        ),
        it!(layer, id_token_with_wrong_nonce_fails_the_login),
        it!(token_login, token_login_checks_the_nonce_when_given),
        it!(token_login, a_stolen_or_foreign_nonce_token_logs_nobody_in),
        it!(token_login, a_token_with_an_issued_nonce_logs_in_once),
    ],
};

const REDIRECT_URI: ItemSpec = ItemSpec {
    id: "redirect_uri",
    title: "The same redirect_uri in the token request",
    guideline: "The redirect_uri of the token request must be identical to the one of the \
                authorization request.",
    how: "The attempt keeps the exact redirect_uri it sent to LINE and the code exchange repeats \
          it byte for byte (an extra query included), together with the attempt's PKCE \
          verifier.",
    tests: &[
        it!(
            layer,
            redirect_uri_with_extra_query_is_repeated_exactly_in_the_token_request
        ),
        it!(
            simulator,
            the_token_request_needs_the_exact_authorize_redirect_uri
        ),
        it!(
            channels,
            two_hosts_of_one_site_each_return_to_their_own_callback
        ),
    ],
};

const CODES_ONCE: ItemSpec = ItemSpec {
    id: "codes_once",
    title: "Authorization codes used once",
    guideline: "Use each authorization code only once, even when the token request fails.",
    how: "The attempt is spent in the attempt store atomically (SET NX on Redis, INSERT ... \
          ON CONFLICT on PostgreSQL) before the token request: of any number of concurrent \
          copies of a callback, on any instance, exactly one reaches LINE. The simulator burns \
          a code at its first exchange, as LINE does.",
    tests: &[
        it!(layer, replayed_callback_is_rejected),
        unit!(
            "src/pending.rs",
            only_the_same_browser_with_the_same_state_takes_an_attempt_once
        ),
        it!(
            instances,
            redis_parallel_copies_of_one_callback_make_exactly_one_token_request
        ),
        it!(
            instances,
            postgres_parallel_copies_of_one_callback_make_exactly_one_token_request
        ),
        it!(simulator, a_code_is_single_use),
        it!(simulator, a_failed_exchange_burns_the_code),
    ],
};

const ID_TOKENS: ItemSpec = ItemSpec {
    id: "id_tokens",
    title: "ID tokens verified",
    guideline: "Verify ID tokens on the server (signature, issuer, audience, expiry, nonce) and \
                never trust a user ID or profile sent by a client.",
    how: "Web login accepts only HS256 signed with the secret of the channel the attempt was \
          started on, with that channel as aud (a token of another configured channel is \
          refused), LIFF and native token \
          login only ES256 with LINE's JWKS; iss, aud, exp, iat (with clock skew), nonce and \
          auth_time against max_age are checked, and only verification can build a \
          VerifiedIdToken.",
    tests: &[
        it!(layer, id_token_with_bad_signature_fails_the_login),
        it!(layer, id_token_with_wrong_audience_fails_the_login),
        it!(layer, id_token_with_wrong_issuer_fails_the_login),
        it!(layer, expired_id_token_fails_the_login),
        it!(id_token, each_refusal_has_its_own_error),
        it!(token_login, token_from_another_channel_is_refused),
        it!(
            channels,
            a_callback_whose_token_comes_from_the_other_channel_is_refused
        ),
        it!(token_doors, a_user_id_sent_by_the_client_is_never_used),
    ],
};

const TOKEN_DOORS: ItemSpec = ItemSpec {
    id: "token_doors",
    title: "LIFF, MINI App and native tokens",
    guideline: "A server that logs users in with tokens from LIFF, LINE MINI Apps or LINE's SDKs \
                verifies them itself: an ID token by its signature, audience and expiry, an access \
                token with LINE's verify endpoint (client_id is the channel, expires_in > 0) \
                before asking LINE for the profile; a token is never replayed and a session lives \
                no longer than its proof.",
    how: "POST {prefix}/token-login takes an ES256 ID token or an access token of the channel or \
          of an extra token audience (ConfigBuilder::token_audiences, LINE_LOGIN_TOKEN_AUDIENCES); \
          an access token is verified with LINE and only then is the user asked of LINE \
          (v2/profile, or userinfo for openid-only tokens); a refused verify makes no further call \
          and nothing the client says about the user is used. Each token logs in once; the session \
          ends with the token and within max_age. openid-only tokens need no name, picture or \
          email; an access token revoked by a permission upgrade means logging in again, not \
          withdrawn consent.",
    tests: &[
        it!(
            token_doors,
            an_access_token_of_another_channel_is_refused_without_a_profile_call
        ),
        it!(token_doors, a_refused_verify_makes_no_profile_call),
        it!(token_doors, an_access_token_of_an_accepted_channel_logs_in),
        it!(token_doors, an_access_token_logs_in_once),
        it!(login_site, an_access_token_logs_in_once_across_instances),
        it!(
            token_doors,
            an_id_token_of_an_accepted_channel_logs_in_and_says_its_channel
        ),
        it!(token_doors, max_age_caps_the_sessions_of_both_token_doors),
        it!(token_doors, openid_only_tokens_are_first_class),
        it!(
            token_doors,
            a_permission_upgrade_means_log_in_again_not_consent_withdrawn
        ),
        it!(
            token_doors,
            check_consent_accepts_the_liff_channel_and_a_revoked_token_means_log_in_again
        ),
        it!(
            token_login,
            a_token_session_ends_with_the_token_and_an_expired_token_says_so
        ),
        it!(token_doors, the_simulator_plays_liff_and_mini_app_channels),
        unit!(
            "src/config.rs",
            token_audiences_come_from_the_builder_and_the_environment
        ),
    ],
};

const BEARER_API: ItemSpec = ItemSpec {
    id: "bearer_api",
    title: "APIs called with LINE tokens",
    guideline: "APIs called by LIFF, MINI App and native clients with a LINE token verify it on \
                every call, for an accepted channel, and answer failures a client can act on.",
    how: "extract::RequireBearer and extract::Bearer take Authorization: Bearer with an ID token \
          (verified locally, through the verified-token cache, never past exp) or an access token \
          (verified with LINE, cached at most a minute and never past its expiry), hand handlers \
          the same LineUser, and create no session; failures follow RFC 6750 (invalid_token 401, \
          token_expired 401, insufficient_scope 403, a bare Bearer challenge without credentials).",
    tests: &[
        it!(
            token_doors,
            the_bearer_guard_takes_id_and_access_tokens_without_a_session
        ),
        it!(token_doors, the_bearer_guard_answers_rfc_6750_errors),
        it!(
            login_site,
            the_sites_bearer_api_answers_like_me_without_a_session
        ),
        unit!(
            "src/token_proof.rs",
            the_bearer_cache_never_serves_a_token_past_its_expiry_or_a_minute
        ),
        it!(
            browser,
            a_browser_logs_in_links_and_logs_out_on_the_example_site
        ),
    ],
};

const ADD_FRIEND: ItemSpec = ItemSpec {
    id: "add_friend",
    title: "The add-friend option",
    guideline: "Offer the add-friend option (bot_prompt) only for a LINE Official Account that \
                belongs to the same company as the LINE Login channel, and take the friendship \
                status from LINE.",
    how: "bot_prompt (normal or aggressive) comes from Config; friendship_status_changed from \
          the callback and friendFlag from LINE's friendship API reach LineUser and the \
          Friendship extractor; a failing friendship API leaves the status unknown and the \
          login succeeds.",
    tests: &[
        it!(
            friendship,
            add_friend_ticked_gives_changed_true_and_friend_flag_yes
        ),
        it!(
            friendship,
            add_friend_not_ticked_gives_changed_false_and_friend_flag_no
        ),
        it!(friendship, without_bot_prompt_the_change_is_absent),
        it!(
            friendship,
            friendship_api_failing_leaves_status_unknown_and_login_succeeds
        ),
    ],
};

const ID_LINKING: ItemSpec = ItemSpec {
    id: "id_linking",
    title: "ID linking that cannot be spoofed",
    guideline: "When linking LINE users to the company's member records, make sure nobody can \
                link an account that is not theirs.",
    how: "The member comes only from the app's own sign-in (SignedInMember), never from a query, \
          form or header; the server-side attempt binds it to the verified ID token's sub, and \
          only if the same member is still signed in on the same session; one LINE user maps to \
          one member and back, enforced by the store's unique constraints. Identity is the ID \
          token's sub only: email is never an identity key (it may be missing, unticked or \
          changed), neither for a login nor for a link.",
    tests: &[
        it!(link, member_id_in_query_form_or_header_never_links_anyone),
        it!(email, email_is_never_an_identity_key),
        it!(link, callback_from_another_session_links_nothing),
        it!(link, callback_after_another_member_signed_in_links_nothing),
        it!(
            link,
            line_user_linked_to_another_member_is_a_conflict_and_changes_nothing
        ),
        it!(link_sql, sqlite_concurrent_links_have_exactly_one_winner),
        it!(channels, linking_refuses_a_channel_of_another_provider),
    ],
};

const UNLINK: ItemSpec = ItemSpec {
    id: "unlink",
    title: "An unlink flow",
    guideline: "Let users unlink at any time, and end their authorization with LINE's \
                deauthorize API when they unlink or unregister.",
    how: "POST {prefix}/unlink and link::unlink_and_deauthorize remove the link, then call \
          deauthorize with the user's token (refreshed when it died, revoked when deauthorize \
          cannot be done); LineApi::deauthorize_user does it for apps without links.",
    tests: &[
        it!(
            link,
            unlink_removes_the_link_deauthorizes_with_the_users_token_and_is_idempotent
        ),
        it!(link, back_office_unlinks_by_member_or_by_line_user),
        it!(
            link,
            back_office_unlink_after_a_logout_deauthorizes_with_a_refreshed_token
        ),
        it!(api, channel_token_deauthorizes_the_user_once),
    ],
};

const CONSENT_WITHDRAWN: ItemSpec = ItemSpec {
    id: "consent_withdrawn",
    title: "Consent withdrawn in the LINE app",
    guideline: "Handle users who withdraw their consent in the LINE app (Settings > Account > \
                Authorized apps): their tokens stop working at once, while the company's own link \
                remains until it is removed.",
    how: "A token LINE refuses ends the LINE session (LineSession checks); link::check_links \
          finds links whose consent is gone and applies the app's policy (unlink or keep); a \
          back-office unlink still works afterwards.",
    tests: &[
        it!(friendship, consent_withdrawn_in_line_logs_the_session_out),
        it!(
            link,
            sweep_detects_consent_revoked_in_the_simulator_and_applies_the_policy
        ),
        it!(link, sweep_does_not_mistake_a_logout_for_withdrawn_consent),
        it!(
            link,
            back_office_unlink_after_consent_was_withdrawn_still_unlinks
        ),
    ],
};

const API_LOGS: ItemSpec = ItemSpec {
    id: "api_logs",
    title: "Saved API logs",
    guideline: "Save the logs of the requests to and responses from the LINE Platform for a \
                certain period: time, method, endpoint, status and x-line-request-id.",
    how: "One ApiCallRecord per call (time, endpoint, method, status, x-line-request-id, \
          latency, outcome), never a token, code, secret or personal data, goes to a pluggable \
          ApiLogSink: tracing events by default, or api_log::SqlApiLogSink (SQLite or \
          PostgreSQL, written in the background, with a retention period and a purge).",
    tests: &[
        it!(api_log, sqlite_records_success_and_every_error_kind),
        it!(api_log, postgres_records_success_and_every_error_kind),
        it!(
            api_log,
            sqlite_purge_keeps_exactly_what_is_younger_than_the_retention
        ),
        it!(
            api_log,
            sqlite_stored_rows_hold_no_token_code_secret_or_personal_data
        ),
        it!(api, every_call_logs_one_record_without_secrets),
    ],
};

const AUTHORIZATION_LOGS: ItemSpec = ItemSpec {
    id: "authorization_logs",
    title: "Saved authorization-request logs",
    guideline: "Save the log of every authorization request for a certain period: its time and \
                URL.",
    how: "LineLoginLayer hands one login_log::AuthorizationRecord per login or link start (time, \
          the authorization URL with the state, nonce and PKCE challenge left out, a keyed hash \
          of the state) to the same ApiLogSink as the API calls: tracing by default, or \
          api_log::SqlApiLogSink with its retention period. No store round trip is added.",
    tests: &[
        it!(
            login_logs,
            the_layer_logs_every_authorization_request_and_callback_to_the_sink
        ),
        it!(
            login_logs,
            sqlite_keeps_authorization_and_callback_records_and_purges_them
        ),
        unit!(
            "src/login_log.rs",
            authorization_record_keeps_the_url_without_state_nonce_or_challenge
        ),
    ],
};

const CALLBACK_LOGS: ItemSpec = ItemSpec {
    id: "callback_logs",
    title: "Saved callback logs",
    guideline: "Save the log of every callback from LINE for a certain period: its time, method \
                and query.",
    how: "Every request to {prefix}/callback, valid or not, gives one login_log::CallbackRecord \
          (time, method, the query's parameter names, LINE's error code, keyed hashes of the \
          code and the state: never a usable code or state) to the same ApiLogSink. Raw values \
          only with LineLoginLayer::log_raw_login_values, flagged here.",
    tests: &[
        it!(
            login_logs,
            the_layer_logs_every_authorization_request_and_callback_to_the_sink
        ),
        it!(
            login_logs,
            sqlite_keeps_authorization_and_callback_records_and_purges_them
        ),
        it!(login_logs, raw_login_values_are_an_opt_in_the_report_flags),
        unit!(
            "src/login_log.rs",
            callback_record_keeps_names_and_keyed_hashes_never_the_code_or_state
        ),
        unit!(
            "src/login_log.rs",
            callback_record_error_codes_are_plain_text_only
        ),
    ],
};

const CHANNEL_TOKENS: ItemSpec = ItemSpec {
    id: "channel_tokens",
    title: "Channel access tokens",
    guideline: "Use stateless or short-lived channel access tokens, issued when needed, rather \
                than a long-lived token.",
    how: "LineApi::channel_access_token issues a stateless 15-minute token when first needed \
          and reuses it until 60 seconds before it expires (one issuance for concurrent \
          callers); a long-lived token is used only when the configuration opts in, with a \
          warning.",
    tests: &[
        it!(channel_token, a_channel_token_is_reused_while_valid),
        it!(
            channel_token,
            a_new_channel_token_is_issued_after_expiry_and_the_old_one_is_not_used_again
        ),
        it!(channel_token, concurrent_callers_share_one_issuance),
        it!(
            channel_token,
            a_long_lived_token_is_used_only_when_opted_in_and_is_flagged
        ),
    ],
};

const TOKENS_AT_REST: ItemSpec = ItemSpec {
    id: "tokens_at_rest",
    title: "LINE tokens encrypted at rest",
    guideline: "Keep users' access and refresh tokens secret wherever they are stored: a \
                database dump must not hand them out.",
    how: "With LINE_LOGIN_TOKEN_KEY (or ConfigBuilder::token_keys) the tokens kept with member \
          links (SQLite, PostgreSQL) and in session records are sealed with AES-256-GCM, bound \
          to their record, with the key id beside; keys rotate (newest seals, any opens, \
          reencrypt_tokens moves old rows). Without a key, SQL link stores and a layer declared \
          on a shared session store refuse to start unless plain text is chosen explicitly.",
    tests: &[
        it!(
            link_sql,
            sqlite_link_tokens_are_encrypted_and_bound_to_their_row
        ),
        it!(
            link_sql,
            postgres_link_tokens_are_encrypted_and_bound_to_their_row
        ),
        it!(link_sql, sqlite_token_key_rotation_and_a_wrong_key),
        it!(login_site, postgres_members_and_links_with_redis_sessions),
        it!(login_site, sqlite_members_and_links_with_sessions_in_memory),
        it!(
            layer,
            a_shared_session_store_without_a_token_key_refuses_to_start
        ),
    ],
};

const ERRORS_BY_STATUS: ItemSpec = ItemSpec {
    id: "errors_by_status",
    title: "Errors handled by HTTP status",
    guideline: "Handle API errors by their HTTP status code, not by the message text, and \
                ignore response fields you do not know.",
    how: "ApiError is decided on the wire: no answer (Transport, Timeout), a non-2xx status \
          (Line, with the error code, request id and Retry-After), an unusable 2xx body \
          (UnexpectedBody); \"log in again\" is decided by endpoint and status; unknown JSON \
          fields are ignored.",
    tests: &[
        it!(api, line_error_answer_carries_status_error_and_request_id),
        it!(api, server_errors_are_line_errors_with_their_status),
        it!(api, html_page_is_an_unexpected_body),
        unit!(
            "src/api/error.rs",
            token_invalidity_is_decided_by_endpoint_and_status
        ),
        it!(layer, token_endpoint_answering_5xx_fails_the_login),
    ],
};

const RATE_LIMITS: ItemSpec = ItemSpec {
    id: "rate_limits",
    title: "Peaks and 429 with Retry-After",
    guideline: "Prepare for peaks and rate limits: on 429 wait as long as Retry-After says \
                instead of retrying at once; never load-test the LINE Platform.",
    how: "A 429 is ApiError::Line with is_rate_limited() and retry_after(); the crate never \
          retries a 429 or a 5xx on its own (a failed login shows a retry page, the consent \
          sweep stops); every call has a bounded timeout; load tests run against the simulator.",
    tests: &[
        it!(api, rate_limit_gives_429_with_retry_after),
        it!(layer, token_endpoint_answering_429_fails_with_retry_after),
        it!(link, sweep_stops_when_line_rate_limits_it),
        it!(api, slow_answer_is_a_timeout),
    ],
};

/// Every LINE Login item, in report order.
const ITEMS: [&ItemSpec; 19] = [
    &TLS,
    &STATE,
    &NONCE,
    &REDIRECT_URI,
    &CODES_ONCE,
    &ID_TOKENS,
    &TOKEN_DOORS,
    &BEARER_API,
    &ADD_FRIEND,
    &ID_LINKING,
    &UNLINK,
    &CONSENT_WITHDRAWN,
    &AUTHORIZATION_LOGS,
    &CALLBACK_LOGS,
    &API_LOGS,
    &CHANNEL_TOKENS,
    &TOKENS_AT_REST,
    &ERRORS_BY_STATUS,
    &RATE_LIMITS,
];

/// One guideline item of the report.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ComplianceItem {
    /// A stable identifier, e.g. `state` or `api_logs`.
    pub id: &'static str,
    /// A short title.
    pub title: &'static str,
    /// The guideline in a sentence.
    pub guideline: &'static str,
    /// How the crate meets it.
    pub how: &'static str,
    /// The status in this configuration.
    pub status: Status,
    /// Why the status is what it is, and what to do when it is not ok.
    pub detail: String,
    /// The tests that prove the crate's part.
    pub tests: &'static [TestRef],
}

/// What the report knows beyond the [`Config`], set through [`ComplianceReportBuilder`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Deployment {
    api_log_sink_persistent: bool,
    member_links: bool,
    unlink_route: bool,
    consent_sweep: bool,
    link_tokens: Option<TokenStorage>,
    session_store: Option<StoreKind>,
    raw_login_log_values: bool,
}

/// Builds a [`ComplianceReport`] from a [`Config`] and what the app declares about the rest of
/// its setup. Every declaration defaults to the cautious answer (`false`).
#[derive(Clone, Debug)]
#[must_use]
pub struct ComplianceReportBuilder {
    config: Config,
    deployment: Deployment,
}

impl ComplianceReportBuilder {
    /// Whether an [`ApiLogSink`](crate::api::ApiLogSink) that keeps records for a retention
    /// period is installed (e.g. [`SqlApiLogSink`](crate::api_log)), not only `tracing`.
    pub fn api_log_sink_persistent(mut self, persistent: bool) -> Self {
        self.deployment.api_log_sink_persistent = persistent;
        self
    }

    /// Reads what the report needs from the API client the app uses (its log sink).
    pub fn api(self, api: &LineApi) -> Self {
        let persistent = api.log_sink_is_persistent();
        self.api_log_sink_persistent(persistent)
    }

    /// Whether LINE users are linked to the company's member records.
    pub fn member_links(mut self, enabled: bool) -> Self {
        self.deployment.member_links = enabled;
        self
    }

    /// Whether users can unlink (the layer's `POST {prefix}/unlink`, or the app's own route
    /// calling [`crate::link::unlink_and_deauthorize`]).
    pub fn unlink_route(mut self, served: bool) -> Self {
        self.deployment.unlink_route = served;
        self
    }

    /// Whether [`crate::link::check_links`] runs periodically to find links whose consent was
    /// withdrawn in the LINE app.
    pub fn consent_sweep(mut self, scheduled: bool) -> Self {
        self.deployment.consent_sweep = scheduled;
        self
    }

    /// How the member-link store keeps tokens at rest
    /// ([`MemberLinks::token_storage`](crate::link::MemberLinks::token_storage)).
    pub fn link_token_storage(mut self, storage: TokenStorage) -> Self {
        self.deployment.link_tokens = Some(storage);
        self
    }

    /// Whether the authorization and callback records keep raw values
    /// ([`LineLoginLayer::log_raw_login_values`](crate::LineLoginLayer::log_raw_login_values)).
    pub fn raw_login_log_values(mut self, raw: bool) -> Self {
        self.deployment.raw_login_log_values = raw;
        self
    }

    /// Where sessions live (a shared store keeps the session records, with their tokens).
    pub fn session_store(mut self, kind: StoreKind) -> Self {
        self.deployment.session_store = Some(kind);
        self
    }

    /// The report.
    pub fn build(self) -> ComplianceReport {
        // One view of the configuration per web-login channel: every item is assessed for
        // each channel, and a channel that differs is named in the detail.
        let views: Vec<(String, Config)> = self
            .config
            .channels()
            .iter()
            .filter_map(|c| Some((c.label().to_owned(), self.config.for_channel(c.id())?)))
            .collect();
        let channels: Vec<ReportChannel> = self
            .config
            .channels()
            .iter()
            .map(|c| ReportChannel {
                id: c.id().to_string(),
                label: c.label().to_owned(),
                provider: c.provider().map(str::to_owned),
                redirect_uris: c.redirect_uris().iter().map(|u| u.to_string()).collect(),
            })
            .collect();
        let items = ITEMS
            .iter()
            .map(|spec| {
                let (status, detail) =
                    assess_channels(spec.id, &self.config, &views, &self.deployment);
                ComplianceItem {
                    id: spec.id,
                    title: spec.title,
                    guideline: spec.guideline,
                    how: spec.how,
                    status,
                    detail,
                    tests: spec.tests,
                }
            })
            .collect();
        let several = channels.len() > 1;
        ComplianceReport {
            channel_id: channels
                .iter()
                .map(|c| {
                    if several {
                        format!("{} ({})", c.id, c.label)
                    } else {
                        c.id.clone()
                    }
                })
                .collect::<Vec<_>>()
                .join(", "),
            redirect_uri: channels
                .iter()
                .flat_map(|c| c.redirect_uris.iter().cloned())
                .collect::<Vec<_>>()
                .join(", "),
            channels,
            items,
        }
    }
}

/// The compliance report of one configuration: one [`ComplianceItem`] per LINE Login item of
/// LINE's development guidelines.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ComplianceReport {
    /// Every channel's ID (with its label when there are several).
    channel_id: String,
    /// Every registered callback URL of every channel.
    redirect_uri: String,
    channels: Vec<ReportChannel>,
    items: Vec<ComplianceItem>,
}

/// One web-login channel as the report names it.
#[derive(Clone, Debug, PartialEq, Eq)]
struct ReportChannel {
    id: String,
    label: String,
    provider: Option<String>,
    redirect_uris: Vec<String>,
}

/// An item assessed for every channel: one channel's (or all channels' identical) answer as
/// is; otherwise the worst status, and each channel's detail under its label.
fn assess_channels(
    id: &str,
    config: &Config,
    views: &[(String, Config)],
    deployment: &Deployment,
) -> (Status, String) {
    if views.len() <= 1 {
        return assess(id, config, deployment);
    }
    let answers: Vec<(&str, (Status, String))> = views
        .iter()
        .map(|(label, view)| (label.as_str(), assess(id, view, deployment)))
        .collect();
    if let Some((_, first)) = answers.first()
        && answers.iter().all(|(_, answer)| answer == first)
    {
        return first.clone();
    }
    let worst = answers
        .iter()
        .map(|(_, (status, _))| *status)
        .max()
        .unwrap_or(Status::Ok);
    let detail = answers
        .iter()
        .map(|(label, (status, detail))| format!("channel {label}: {status}: {detail}"))
        .collect::<Vec<_>>()
        .join("; ");
    (worst, detail)
}

/// The report for `config` alone: no persistent API log sink, no member links. Use
/// [`ComplianceReport::builder`] (or [`LineLoginLayer::compliance`](crate::LineLoginLayer::compliance))
/// to describe the whole deployment.
pub fn report(config: &Config) -> ComplianceReport {
    ComplianceReport::builder(config).build()
}

impl ComplianceReport {
    /// Starts a report for `config`.
    pub fn builder(config: &Config) -> ComplianceReportBuilder {
        ComplianceReportBuilder {
            config: config.clone(),
            deployment: Deployment::default(),
        }
    }

    /// The items, in report order.
    pub fn items(&self) -> &[ComplianceItem] {
        &self.items
    }

    /// The item with this [`ComplianceItem::id`].
    pub fn item(&self, id: &str) -> Option<&ComplianceItem> {
        self.items.iter().find(|item| item.id == id)
    }

    /// The worst status of all items.
    pub fn worst(&self) -> Status {
        self.items
            .iter()
            .map(|item| item.status)
            .max()
            .unwrap_or(Status::Ok)
    }

    /// The items whose status is "action needed".
    pub fn action_needed(&self) -> impl Iterator<Item = &ComplianceItem> {
        self.items
            .iter()
            .filter(|item| item.status == Status::ActionNeeded)
    }

    /// How many items have `status`.
    pub fn count(&self, status: Status) -> usize {
        self.items.iter().filter(|i| i.status == status).count()
    }

    /// Logs every "action needed" item as one `WARN` event (target `line_login::compliance`).
    /// The layer calls it once, when it is built. No event carries a secret.
    pub fn log_action_needed(&self) {
        for item in self.action_needed() {
            tracing::warn!(
                target: "line_login::compliance",
                item = item.id,
                "LINE guidelines, {}: action needed: {}",
                item.title,
                item.detail
            );
        }
    }

    /// `Ok` when no item needs action, else the [`ComplianceError`] listing them (strict mode).
    pub fn check(&self) -> Result<(), ComplianceError> {
        let findings: Vec<(&'static str, String)> = self
            .action_needed()
            .map(|item| (item.id, format!("{}: {}", item.title, item.detail)))
            .collect();
        if findings.is_empty() {
            Ok(())
        } else {
            Err(ComplianceError { findings })
        }
    }

    /// The report in `format`.
    pub fn render(&self, format: ReportFormat) -> String {
        match format {
            ReportFormat::Text => self.to_text(),
            ReportFormat::Markdown => self.to_markdown(),
            ReportFormat::Json => {
                let mut json = serde_json::to_string_pretty(&self.to_json())
                    .unwrap_or_else(|_| "{}".to_owned());
                json.push('\n');
                json
            }
        }
    }

    fn summary(&self) -> String {
        format!(
            "{} ok, {} warning, {} action needed",
            self.count(Status::Ok),
            self.count(Status::Warning),
            self.count(Status::ActionNeeded)
        )
    }

    /// For a terminal: one block per item, wrapped at 100 columns.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        out.push_str(&format!(
            "LINE Login guideline compliance (line-login {})\n",
            env!("CARGO_PKG_VERSION")
        ));
        out.push_str(&format!(
            "Channel {}, redirect URI {}\n",
            self.channel_id, self.redirect_uri
        ));
        out.push_str(&format!("{}\n", self.summary()));
        for (n, item) in self.items.iter().enumerate() {
            out.push('\n');
            out.push_str(&format!(
                "{:>2}. [{}] {}\n",
                n + 1,
                item.status.as_str(),
                item.title
            ));
            let label_width = 15;
            let mut field = |label: &str, text: &str| {
                let prefix = format!("    {label:<w$}", w = label_width - 4);
                out.push_str(&wrap(text, &prefix, label_width, TEXT_WIDTH_CHARS));
            };
            field("Guideline", item.guideline);
            field("How", item.how);
            field("Status", &format!("{}: {}", item.status, item.detail));
            for (i, test) in item.tests.iter().enumerate() {
                field(if i == 0 { "Tests" } else { "" }, &test.name());
            }
        }
        out
    }

    /// For a LINE review: a table with the guideline, how the crate meets it, the status in this
    /// configuration and the tests that prove it.
    pub fn to_markdown(&self) -> String {
        let mut out = String::new();
        out.push_str("## LINE Login guideline compliance\n\n");
        out.push_str(&format!(
            "line-login {} · channel `{}` · redirect URI `{}` · **{}**\n\n",
            env!("CARGO_PKG_VERSION"),
            self.channel_id,
            self.redirect_uri,
            self.summary()
        ));
        out.push_str("| Guideline | How line-login meets it | Status here | Proven by |\n");
        out.push_str("|---|---|---|---|\n");
        for item in &self.items {
            let tests: Vec<String> = item
                .tests
                .iter()
                .map(|t| format!("`{}`", t.name()))
                .collect();
            out.push_str(&format!(
                "| **{}.** {} | {} | **{}**: {} | {} |\n",
                md_cell(item.title),
                md_cell(item.guideline),
                md_cell(item.how),
                item.status,
                md_cell(&item.detail),
                tests.join("<br>")
            ));
        }
        out.push_str(
            "\nEach test runs with `cargo test`; integration tests are named `<file>::<test>` \
             (in `tests/integration/<file>.rs`, one binary: `cargo test --test integration`), unit tests by their module path.\n",
        );
        out
    }

    /// For CI: `{crate, version, channel_id, redirect_uri, summary, items: [{id, title,
    /// guideline, how, status, detail, tests: [{name, file, function, command}]}]}`; `status`
    /// is `ok`, `warning` or `action_needed`.
    pub fn to_json(&self) -> serde_json::Value {
        let items: Vec<serde_json::Value> = self
            .items
            .iter()
            .map(|item| {
                let tests: Vec<serde_json::Value> = item
                    .tests
                    .iter()
                    .map(|t| {
                        json!({
                            "name": t.name(),
                            "file": t.file,
                            "function": t.function,
                            "command": t.cargo_command(),
                        })
                    })
                    .collect();
                json!({
                    "id": item.id,
                    "title": item.title,
                    "guideline": item.guideline,
                    "how": item.how,
                    "status": item.status.key(),
                    "detail": item.detail,
                    "tests": tests,
                })
            })
            .collect();
        json!({
            "crate": "line-login",
            "version": env!("CARGO_PKG_VERSION"),
            "channel_id": self.channel_id,
            "redirect_uri": self.redirect_uri,
            "channels": self.channels.iter().map(|c| json!({
                "channel_id": c.id,
                "label": c.label,
                "provider": c.provider,
                "redirect_uris": c.redirect_uris,
            })).collect::<Vec<_>>(),
            "summary": {
                "ok": self.count(Status::Ok),
                "warning": self.count(Status::Warning),
                "action_needed": self.count(Status::ActionNeeded),
            },
            "worst": self.worst().key(),
            "items": items,
        })
    }
}

impl fmt::Display for ComplianceReport {
    /// The text format.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_text())
    }
}

/// The formats a [`ComplianceReport`] renders to.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ReportFormat {
    /// For a terminal (the default).
    #[default]
    Text,
    /// A Markdown table, to attach to a LINE review.
    Markdown,
    /// JSON, for CI.
    Json,
}

impl FromStr for ReportFormat {
    type Err = UnknownReportFormat;
    /// `text`, `markdown` (or `md`), `json`, in any case.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "text" | "txt" => Ok(ReportFormat::Text),
            "markdown" | "md" => Ok(ReportFormat::Markdown),
            "json" => Ok(ReportFormat::Json),
            _ => Err(UnknownReportFormat(s.to_owned())),
        }
    }
}

/// A report format name that is not `text`, `markdown` or `json`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown report format {0:?}: use text, markdown or json")]
pub struct UnknownReportFormat(pub String);

/// Items that need action, found by a strict start-up check
/// ([`LineLoginLayer::require_compliance`](crate::LineLoginLayer::require_compliance)).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("LINE guideline compliance: {} item(s) need action: {}", .findings.len(), describe(.findings))]
pub struct ComplianceError {
    findings: Vec<(&'static str, String)>,
}

fn describe(findings: &[(&'static str, String)]) -> String {
    findings
        .iter()
        .map(|(_, text)| text.as_str())
        .collect::<Vec<_>>()
        .join("; ")
}

impl ComplianceError {
    /// The ids of the items that need action (see [`ComplianceItem::id`]).
    pub fn item_ids(&self) -> Vec<&'static str> {
        self.findings.iter().map(|(id, _)| *id).collect()
    }
}

/// Whether LINE tokens rest encrypted, in memory only, or in plain text.
fn assess_tokens_at_rest(config: &Config, deployment: &Deployment) -> (Status, String) {
    let links = deployment.link_tokens;
    let shared_sessions = matches!(
        deployment.session_store,
        Some(StoreKind::Redis | StoreKind::Postgres)
    );
    if links == Some(TokenStorage::Plaintext) || (shared_sessions && config.token_keys().is_none())
    {
        return (
            Status::ActionNeeded,
            "LINE tokens rest in plain text in a shared session store or a member-link store \
             (plaintext_tokens opt-in): set LINE_LOGIN_TOKEN_KEY (`openssl rand -base64 32`) and build the link store with \
             Config::token_protection()"
                .to_owned(),
        );
    }
    if let Some(ring) = config.token_keys() {
        if links == Some(TokenStorage::AppManaged) {
            return (
                Status::Warning,
                "sessions are encrypted; the custom member-link store must encrypt its tokens \
                 itself (token_crypto::TokenKeyRing)"
                    .to_owned(),
            );
        }
        return (
            Status::Ok,
            format!(
                "LINE tokens are encrypted at rest with AES-256-GCM (key {}, {} older key(s) \
                 kept to decrypt)",
                ring.current_id(),
                ring.key_ids().len().saturating_sub(1)
            ),
        );
    }
    let links_in_memory = !deployment.member_links || links == Some(TokenStorage::Memory);
    if deployment.session_store == Some(StoreKind::Memory) && links_in_memory {
        return (
            Status::Ok,
            "LINE tokens live only in this process's memory".to_owned(),
        );
    }
    (
        Status::Warning,
        "no token key: LINE tokens rest in plain text wherever sessions or links are stored; set \
         LINE_LOGIN_TOKEN_KEY and declare the session store (LineLoginLayer::session_store)"
            .to_owned(),
    )
}

/// The status of item `id` in this configuration, and why.
fn assess(id: &str, config: &Config, deployment: &Deployment) -> (Status, String) {
    match id {
        "tls" => assess_tls(config),
        "state" | "nonce" | "redirect_uri" | "codes_once" => (
            Status::Ok,
            "enforced on every login by LineLoginLayer; it cannot be turned off".to_owned(),
        ),
        "id_tokens" => {
            let issuer_is_local = url::Url::parse(config.issuer())
                .map(|url| is_loopback(&url))
                .unwrap_or(false);
            if config.issuer() != DEFAULT_ISSUER && !issuer_is_local {
                (
                    Status::Warning,
                    format!(
                        "ID tokens must come from issuer {}, not LINE's {DEFAULT_ISSUER}: check \
                         LINE_LOGIN_ISSUER",
                        config.issuer()
                    ),
                )
            } else {
                (
                    Status::Ok,
                    "every ID token is verified before a session is created".to_owned(),
                )
            }
        }
        "add_friend" => match config.authorize_options().bot_prompt {
            Some(prompt) if !config.scopes().contains(crate::Scope::Profile) => (
                Status::Warning,
                format!(
                    "bot_prompt={} without the profile scope: LINE's friendship API cannot be \
                     read; request profile",
                    prompt.as_str()
                ),
            ),
            Some(prompt) => (
                Status::Ok,
                format!(
                    "bot_prompt={}; check that the LINE Official Account linked to the channel \
                     belongs to your company (same provider)",
                    prompt.as_str()
                ),
            ),
            None => (
                Status::Ok,
                "not used (no bot_prompt); if you enable it, the LINE Official Account must \
                 belong to your company"
                    .to_owned(),
            ),
        },
        "id_linking" => {
            if deployment.member_links {
                (
                    Status::Ok,
                    "member links are enabled; the member comes only from the app's sign-in"
                        .to_owned(),
                )
            } else {
                (Status::Ok, "not used (no member links)".to_owned())
            }
        }
        "unlink" => match (deployment.member_links, deployment.unlink_route) {
            (true, false) => (
                Status::ActionNeeded,
                "member links are enabled without an unlink flow: serve POST {prefix}/unlink \
                 (LineLoginLayer::member_links does) or call link::unlink_and_deauthorize from \
                 your own route"
                    .to_owned(),
            ),
            (true, true) => (
                Status::Ok,
                "users can unlink at any time; LINE's deauthorize API is called".to_owned(),
            ),
            (false, _) => (
                Status::Ok,
                "no member links; when a user unregisters call LineApi::deauthorize_user"
                    .to_owned(),
            ),
        },
        "token_doors" => {
            let channels: Vec<&str> = config.token_audiences().map(|id| id.as_str()).collect();
            (
                Status::Ok,
                format!("tokens of channel(s) {} accepted", channels.join(", ")),
            )
        }
        "consent_withdrawn" => {
            if deployment.member_links && !deployment.consent_sweep {
                (
                    Status::Warning,
                    "sessions end when LINE refuses the token, but links stay until \
                     link::check_links runs: schedule it (then declare consent_sweep)"
                        .to_owned(),
                )
            } else if deployment.member_links {
                (
                    Status::Ok,
                    "sessions end when LINE refuses the token; the consent sweep is scheduled"
                        .to_owned(),
                )
            } else {
                (
                    Status::Ok,
                    "sessions end when LINE refuses the user's token".to_owned(),
                )
            }
        }
        "authorization_logs" | "callback_logs" => {
            let what = if id == "callback_logs" {
                "callback"
            } else {
                "authorization request"
            };
            if deployment.raw_login_log_values {
                (
                    Status::ActionNeeded,
                    format!(
                        "every {what} is logged WITH its raw state and code \
                         (LineLoginLayer::log_raw_login_values): anyone reading the log in time \
                         could finish a login; turn it off"
                    ),
                )
            } else if deployment.api_log_sink_persistent {
                (
                    Status::Ok,
                    format!(
                        "every {what} is kept by the persistent log sink, codes and states as \
                         keyed hashes only"
                    ),
                )
            } else {
                (
                    Status::Warning,
                    format!(
                        "every {what} is logged as a tracing event only (codes and states as \
                         keyed hashes): keep them for the retention period in your log \
                         pipeline, or install api_log::SqlApiLogSink"
                    ),
                )
            }
        }
        "api_logs" => {
            if deployment.api_log_sink_persistent {
                (
                    Status::Ok,
                    "a persistent API log sink keeps one record per call".to_owned(),
                )
            } else {
                (
                    Status::Warning,
                    "API calls are logged as tracing events only: keep them for the retention \
                     period in your log pipeline, or install api_log::SqlApiLogSink"
                        .to_owned(),
                )
            }
        }
        "channel_tokens" => {
            if config.long_lived_channel_token().is_some() {
                (
                    Status::ActionNeeded,
                    "a long-lived channel access token is configured (opt-in): remove \
                     long_lived_channel_token / LINE_LOGIN_LONG_LIVED_CHANNEL_TOKEN to use \
                     stateless tokens issued when needed"
                        .to_owned(),
                )
            } else {
                (
                    Status::Ok,
                    format!(
                        "stateless 15-minute tokens, issued when needed, renewed \
                         {CHANNEL_TOKEN_RENEWAL_MARGIN_SECS} s before expiry"
                    ),
                )
            }
        }
        "tokens_at_rest" => assess_tokens_at_rest(config, deployment),
        "errors_by_status" => (
            Status::Ok,
            "ApiError carries the status, LINE's error code and the request id".to_owned(),
        ),
        "rate_limits" => (
            Status::Ok,
            format!(
                "HTTP timeout {} s per call; no automatic retry of a 429 or a 5xx",
                config.http_timeout().as_secs()
            ),
        ),
        _ => (Status::Ok, String::new()),
    }
}

fn assess_tls(config: &Config) -> (Status, String) {
    let mut plain = Vec::new();
    if config.access_base().scheme() == "http" {
        plain.push("the authorization server");
    }
    if config.api_base().scheme() == "http" {
        plain.push("the API server");
    }
    if config
        .redirect_uris()
        .iter()
        .any(|uri| uri.scheme() == "http")
    {
        plain.push("the redirect URI");
    }
    if plain.is_empty() {
        (
            Status::Ok,
            "every LINE URL and the redirect URI are https; TLS 1.2 or later".to_owned(),
        )
    } else {
        (
            Status::Warning,
            format!(
                "plain http on loopback for {} (development or the simulator only); production \
                 uses https",
                join_and(&plain)
            ),
        )
    }
}

/// `a`, `a and b`, `a, b and c`.
fn join_and(parts: &[&str]) -> String {
    match parts {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// Escapes a Markdown table cell.
fn md_cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

/// Wraps `text` at `width` columns: the first line starts with `first_prefix` (padded to
/// `indent`), the following ones with `indent` spaces.
fn wrap(text: &str, first_prefix: &str, indent: usize, width: usize) -> String {
    let mut out = String::new();
    let mut line = format!("{first_prefix:<indent$}");
    let mut line_has_words = false;
    for word in text.split_whitespace() {
        if line_has_words && line.chars().count() + 1 + word.chars().count() > width {
            out.push_str(line.trim_end());
            out.push('\n');
            line = " ".repeat(indent);
            line_has_words = false;
        }
        if line_has_words {
            line.push(' ');
        }
        line.push_str(word);
        line_has_words = true;
    }
    out.push_str(line.trim_end());
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn config() -> Config {
        Config::builder(
            "1234567890",
            "secret",
            "https://example.com/auth/line/callback",
        )
        .build()
        .unwrap()
    }

    /// Whether `source` defines a test function `name`: `fn name(` with a `#[...test...]`
    /// attribute among the attributes and comments right above it.
    fn defines_test(source: &str, name: &str) -> bool {
        let lines: Vec<&str> = source.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            let mut rest = line.trim_start();
            for prefix in ["pub(crate) ", "pub ", "async "] {
                rest = rest.strip_prefix(prefix).unwrap_or(rest);
            }
            let Some(after) = rest.strip_prefix("fn ").and_then(|r| r.strip_prefix(name)) else {
                continue;
            };
            if !after.starts_with('(') {
                continue;
            }
            for above in lines[..i].iter().rev() {
                let above = above.trim();
                if above.starts_with("#[") && above.contains("test") {
                    return true;
                }
                if !(above.starts_with("#[") || above.starts_with("//") || above.ends_with(")]")) {
                    break;
                }
            }
        }
        false
    }

    #[test]
    fn every_test_named_by_the_report_exists() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let report = report(&config());
        let mut missing = Vec::new();
        let mut count = 0;
        for item in report.items() {
            assert!(!item.tests.is_empty(), "{} names no test", item.id);
            for test in item.tests {
                count += 1;
                let source = std::fs::read_to_string(root.join(test.file)).unwrap_or_default();
                let in_place = if test.is_integration() {
                    defines_test(&source, test.function)
                } else {
                    source.contains("mod tests") && defines_test(&source, test.function)
                };
                if !in_place {
                    missing.push(format!("{} ({})", test.name(), test.file));
                }
            }
        }
        assert!(count >= ITEMS.len() * 2);
        assert!(
            missing.is_empty(),
            "the report names missing tests: {missing:?}"
        );
    }

    #[test]
    fn the_resolver_needs_a_test_attribute_and_the_exact_name() {
        let source = "#[tokio::test]\nasync fn real_one() {}\n\nfn helper() {}\n\
                      #[test]\n// why\nfn with_comment() {}\n";
        assert!(defines_test(source, "real_one"));
        assert!(defines_test(source, "with_comment"));
        assert!(!defines_test(source, "helper"));
        assert!(!defines_test(source, "real"));
        assert!(!defines_test(source, "missing"));
    }

    #[test]
    fn test_names_and_commands_follow_cargo() {
        let integration = it!(layer, replayed_callback_is_rejected);
        assert_eq!(integration.name(), "layer::replayed_callback_is_rejected");
        assert_eq!(
            integration.cargo_command(),
            "cargo test --test integration -- --exact layer::replayed_callback_is_rejected"
        );
        let unit = unit!(
            "src/api/error.rs",
            token_invalidity_is_decided_by_endpoint_and_status
        );
        assert_eq!(
            unit.name(),
            "line_login::api::error::tests::token_invalidity_is_decided_by_endpoint_and_status"
        );
        let module = unit!("src/api/mod.rs", redirects_are_not_followed);
        assert_eq!(
            module.cargo_command(),
            "cargo test --lib -- --exact api::tests::redirects_are_not_followed"
        );
    }

    #[test]
    fn every_guideline_item_of_the_issue_is_reported_once() {
        let report = report(&config());
        let ids: Vec<&str> = report.items().iter().map(|i| i.id).collect();
        assert_eq!(
            ids,
            [
                "tls",
                "state",
                "nonce",
                "redirect_uri",
                "codes_once",
                "id_tokens",
                "token_doors",
                "bearer_api",
                "add_friend",
                "id_linking",
                "unlink",
                "consent_withdrawn",
                "authorization_logs",
                "callback_logs",
                "api_logs",
                "channel_tokens",
                "tokens_at_rest",
                "errors_by_status",
                "rate_limits"
            ]
        );
    }

    #[test]
    fn statuses_follow_the_configuration_and_the_deployment() {
        let https = config();
        let plain = report(&https);
        assert_eq!(plain.item("tls").unwrap().status, Status::Ok);
        assert_eq!(plain.item("api_logs").unwrap().status, Status::Warning);
        assert_eq!(plain.worst(), Status::Warning);

        let local = Config::builder("1", "s", "http://127.0.0.1:3000/cb")
            .api_base("http://127.0.0.1:9000")
            .build()
            .unwrap();
        let tls = report(&local).item("tls").unwrap().clone();
        assert_eq!(tls.status, Status::Warning);
        assert!(
            tls.detail.contains("the API server and the redirect URI"),
            "{}",
            tls.detail
        );

        let links_only = ComplianceReport::builder(&https).member_links(true).build();
        assert_eq!(
            links_only.item("unlink").unwrap().status,
            Status::ActionNeeded
        );
        assert_eq!(
            links_only.item("consent_withdrawn").unwrap().status,
            Status::Warning
        );
        assert_eq!(links_only.check().unwrap_err().item_ids(), ["unlink"]);

        let long_lived = Config::builder("1", "s", "https://e.com/cb")
            .long_lived_channel_token("a-long-lived-token")
            .build()
            .unwrap();
        let r = report(&long_lived);
        assert_eq!(
            r.item("channel_tokens").unwrap().status,
            Status::ActionNeeded
        );
        let shown = format!(
            "{}{}{}",
            r.to_text(),
            r.to_markdown(),
            r.render(ReportFormat::Json)
        );
        assert!(!shown.contains("a-long-lived-token"));

        let no_profile = Config::builder("1", "s", "https://e.com/cb")
            .scopes("openid")
            .bot_prompt(crate::BotPrompt::Aggressive)
            .build()
            .unwrap();
        assert_eq!(
            report(&no_profile).item("add_friend").unwrap().status,
            Status::Warning
        );

        let foreign_issuer = Config::builder("1", "s", "https://e.com/cb")
            .issuer("https://issuer.example.com")
            .build()
            .unwrap();
        assert_eq!(
            report(&foreign_issuer).item("id_tokens").unwrap().status,
            Status::Warning
        );

        let encrypted = Config::builder("1", "s", "https://e.com/cb")
            .token_keys(crate::token_crypto::TokenKeyRing::new(
                crate::token_crypto::TokenKey::generate().unwrap(),
            ))
            .build()
            .unwrap();
        let complete = ComplianceReport::builder(&encrypted)
            .api_log_sink_persistent(true)
            .member_links(true)
            .unlink_route(true)
            .consent_sweep(true)
            .build();
        assert_eq!(complete.worst(), Status::Ok);
        assert!(complete.check().is_ok());
    }

    #[test]
    fn tokens_at_rest_are_flagged_unless_encrypted_or_in_memory() {
        let status =
            |config: &Config, f: fn(ComplianceReportBuilder) -> ComplianceReportBuilder| {
                let report = f(ComplianceReport::builder(config)).build();
                report.item("tokens_at_rest").unwrap().status
            };
        let plain = config();
        let keyed = Config::builder("1", "s", "https://e.com/cb")
            .token_keys(crate::token_crypto::TokenKeyRing::new(
                crate::token_crypto::TokenKey::generate().unwrap(),
            ))
            .build()
            .unwrap();
        assert_eq!(status(&plain, |b| b), Status::Warning, "undeclared");
        assert_eq!(
            status(&plain, |b| b.session_store(StoreKind::Memory)),
            Status::Ok
        );
        assert_eq!(
            status(&plain, |b| b.session_store(StoreKind::Redis)),
            Status::ActionNeeded
        );
        assert_eq!(
            status(&plain, |b| b
                .member_links(true)
                .link_token_storage(TokenStorage::Plaintext)),
            Status::ActionNeeded
        );
        assert_eq!(
            status(&keyed, |b| b.session_store(StoreKind::Redis)),
            Status::Ok
        );
        assert_eq!(
            status(&keyed, |b| b
                .member_links(true)
                .link_token_storage(TokenStorage::Plaintext)),
            Status::ActionNeeded
        );
        assert_eq!(
            status(&keyed, |b| b
                .member_links(true)
                .link_token_storage(TokenStorage::AppManaged)),
            Status::Warning
        );
    }

    #[test]
    fn formats_parse_and_markdown_cells_are_escaped() {
        assert_eq!("md".parse(), Ok(ReportFormat::Markdown));
        assert_eq!("JSON".parse(), Ok(ReportFormat::Json));
        assert_eq!(" text ".parse(), Ok(ReportFormat::Text));
        assert!("html".parse::<ReportFormat>().is_err());
        assert_eq!(md_cell("a | b\nc"), "a \\| b c");
    }

    #[test]
    fn text_is_wrapped_with_a_hanging_indent() {
        let text = wrap("one two three four five six", "    Label", 12, 22);
        assert_eq!(
            text,
            "    Label   one two\n            three four\n            five six\n"
        );
        for line in report(&config()).to_text().lines() {
            // Only a single unbreakable word (a long test name) may overflow.
            assert!(
                line.chars().count() <= TEXT_WIDTH_CHARS || !line.trim().contains(' '),
                "{line}"
            );
        }
    }
}
