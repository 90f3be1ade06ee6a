#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod config;
pub mod secret;

pub use config::{BotPrompt, ChannelId, Config, ConfigBuilder, ConfigError, Prompt, Scope};
pub use secret::{
    AccessToken, AuthorizationCode, ChannelAccessToken, ChannelSecret, RawIdToken, RefreshToken,
};
