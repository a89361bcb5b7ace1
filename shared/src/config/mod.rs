//! Configuration: where credentials and settings come from, in one module.
//!
//! - **In AWS** a function gets `TABLE_NAME`, `TWITTER_SECRET_ARN` (a Secrets Manager secret
//!   holding the app's credentials as JSON, read by [`crate::secrets`] with feature
//!   `secretsmanager`) and optionally `TWITTER_APP_ID`.
//! - **Locally** (the CLI, `dmbot serve`) the credentials come from `TWITTER_*` environment
//!   variables, which a `.env` file may provide ([`load_dotenv`]).
//!
//! The parts: [`vars`] names every variable once; [`Settings`] (`settings.rs`) holds everything
//! but the credentials; [`TwitterAppCredentials`] and [`ConsumerSecret`] (`credentials.rs`) the
//! credentials; [`SecretDocument`] (`secret.rs`) the secret's JSON; `functions.rs` one plain
//! struct per Lambda function saying what it needs ([`WebhookFnConfig`], ...); `costs.rs` the
//! prices and the daily spend cap (`X_PRICES_USD`, `DAILY_SPEND_CAP_USD`); `client.rs`
//! (feature `client`) the one place that builds the Twitter client from them, and `aws.rs`
//! (feature `dynamodb`) the AWS clients.
//!
//! Every value is read through a lookup function, so tests pass a map instead of mutating the
//! process environment. Empty values count as unset (templates and `.env` files often leave a
//! variable defined but blank). Nothing outside this module reads the process environment.
//!
//! Secrets never reach a `Debug` output or an error message: errors name the variable or the
//! secret's field, never a value.

#[cfg(feature = "dynamodb")]
mod api;
pub mod aws;
#[cfg(feature = "client")]
mod client;
mod costs;
mod credentials;
mod functions;
mod limits;
mod secret;
mod settings;
pub mod vars;

use std::path::PathBuf;

pub use api::{ApiVersion, V2_BASE_URL};
pub use costs::{daily_spend_cap_from_lookup, prices_from_env, prices_from_lookup};
pub use credentials::{CREDENTIAL_VARS, ConsumerSecret, TwitterAppCredentials};
pub use functions::{CrcFnConfig, SigninFnConfig, WebhookFnConfig};
#[cfg(feature = "client")]
pub use functions::{DispatchFnConfig, WatchdogFnConfig};
pub use limits::SendLimits;
pub use secret::SecretDocument;
pub use settings::{DEFAULT_API_BASE_URL, DEFAULT_UPLOAD_BASE_URL, Settings, parse_base_url};

/// What is wrong with the configuration, and which knob fixes it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("environment variable {var} is not set; {hint}")]
    Missing {
        var: &'static str,
        hint: &'static str,
    },
    #[error("environment variable {var} is invalid: {reason}")]
    Invalid { var: &'static str, reason: String },
    #[error("the .env file {path} could not be loaded: {reason}")]
    DotEnv { path: String, reason: String },
    #[error(
        "secret {secret_id} has no {field:?} field (or it is empty); the secret must be a JSON object \
         with consumer_key, consumer_secret, access_token, access_token_secret and optionally bearer_token \
         and token_encryption_key"
    )]
    SecretFieldMissing {
        secret_id: String,
        field: &'static str,
    },
    #[error("secret {secret_id} is not a JSON object of strings: {reason}")]
    SecretNotJson { secret_id: String, reason: String },
    #[error(
        "secret {secret_id} could not be read from Secrets Manager: {reason}; check the ARN and that \
         the function's role may call secretsmanager:GetSecretValue on it"
    )]
    SecretFetch { secret_id: String, reason: String },
    /// The Twitter client could not be built from valid settings (the TLS stack failed).
    #[error("the Twitter client could not be built: {reason}")]
    Client { reason: String },
}

/// Reads a variable through `lookup`, treating blank values as unset.
pub(crate) fn non_empty(lookup: &impl Fn(&str) -> Option<String>, var: &str) -> Option<String> {
    lookup(var).filter(|v| !v.trim().is_empty())
}

pub(crate) fn required(
    lookup: &impl Fn(&str) -> Option<String>,
    var: &'static str,
    hint: &'static str,
) -> Result<String, ConfigError> {
    non_empty(lookup, var).ok_or(ConfigError::Missing { var, hint })
}

/// The process environment as a lookup function: the one place that reads it.
pub fn process_env(var: &str) -> Option<String> {
    std::env::var(var).ok()
}

/// Loads a `.env` file from the current directory or a parent into the process environment,
/// without overriding variables already set. Returns the file's path, or `None` when there is
/// none. Call it first thing in `main`, before other threads read the environment.
///
/// A line that cannot be parsed is reported by position only: it may hold a secret.
pub fn load_dotenv() -> Result<Option<PathBuf>, ConfigError> {
    match dotenvy::dotenv() {
        Ok(path) => Ok(Some(path)),
        Err(e) if e.not_found() => Ok(None),
        Err(e) => Err(ConfigError::DotEnv {
            path: ".env".to_string(),
            reason: match e {
                dotenvy::Error::LineParse(_, index) => {
                    format!("a line could not be parsed (at character {index} of the line)")
                }
                dotenvy::Error::Io(io) => io.to_string(),
                dotenvy::Error::EnvVar(_) => "a variable is not valid unicode".to_string(),
                _ => "unreadable".to_string(),
            },
        }),
    }
}

/// A map as a lookup function, for tests.
#[cfg(test)]
pub(crate) fn test_env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + use<> {
    let map: std::collections::HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    move |k| map.get(k).cloned()
}
