#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod api;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
pub mod api_log;
mod attempt_cookies;
mod authorize;
#[cfg(feature = "axum-login")]
pub mod axum_backend;
mod callback;
pub mod compliance;
pub mod config;
mod context;
pub mod email_watch;
pub mod error;
pub mod extract;
pub mod id_token;
pub mod in_app_browser;
pub mod layer;
pub mod link;
mod log_safe;
pub mod login_log;
pub mod messages;
mod pending;
pub mod profile_plus;
mod respond;
mod return_to;
mod routes;
pub mod same_origin;
pub mod secret;
pub mod session;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
mod sql_migrations;
mod state;
pub mod store;
pub mod token_crypto;
mod token_door;
mod token_proof;
pub mod user;

pub use api::{ApiError, LineApi};
pub use config::{
    BotPrompt, Channel, ChannelBuilder, ChannelId, Config, ConfigBuilder, ConfigError, Prompt,
    Scope,
};
pub use error::{LoginError, TokenRefusal};
pub use extract::{LineSession, RequireLogin};
pub use id_token::{IdTokenError, IdTokenExpectations, VerifiedIdToken, verify_id_token};
pub use in_app_browser::InAppBrowserPolicy;
pub use layer::{ChannelSelector, FriendshipFetch, LineLoginLayer, TokenNonce, Unauthenticated};
pub use messages::{Language, Messages};
pub use secret::{
    AccessToken, AuthorizationCode, ChannelAccessToken, ChannelSecret, Nonce, PkceVerifier,
    RawIdToken, RefreshToken, State,
};
pub use state::{StateError, verify_state};
pub use user::{FriendFlag, Friendship, LineUser, LoginDoor, UserTokens};
