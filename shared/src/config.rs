//! Configuration: where credentials and settings come from.
//!
//! - **In AWS** a function gets `TABLE_NAME`, `TWITTER_SECRET_ARN` (a Secrets Manager secret
//!   holding the app's credentials as JSON, read by [`crate::secrets`] with feature
//!   `secretsmanager`) and optionally `TWITTER_APP_ID`.
//! - **Locally** (the CLI, `dmbot serve`) the credentials come from `TWITTER_*` environment
//!   variables, which a `.env` file may provide ([`load_dotenv`]).
//!
//! Every value is read through a lookup function, so tests pass a map instead of mutating the
//! process environment. Empty values count as unset (templates and `.env` files often leave a
//! variable defined but blank).
//!
//! Secrets never reach a `Debug` output or an error message: errors name the variable or the
//! secret's field, never a value.

use std::fmt;
use std::path::PathBuf;

use serde::Deserialize;

/// Names of the environment variables, in one place.
pub mod vars {
    pub const CONSUMER_KEY: &str = "TWITTER_CONSUMER_KEY";
    pub const CONSUMER_SECRET: &str = "TWITTER_CONSUMER_SECRET";
    pub const ACCESS_TOKEN: &str = "TWITTER_ACCESS_TOKEN";
    pub const ACCESS_TOKEN_SECRET: &str = "TWITTER_ACCESS_TOKEN_SECRET";
    pub const BEARER_TOKEN: &str = "TWITTER_BEARER_TOKEN";
    pub const ENV_NAME: &str = "TWITTER_ENV_NAME";
    pub const API_BASE_URL: &str = "TWITTER_API_BASE_URL";
    pub const UPLOAD_BASE_URL: &str = "TWITTER_UPLOAD_BASE_URL";
    pub const APP_ID: &str = "TWITTER_APP_ID";
    pub const TABLE_NAME: &str = "TABLE_NAME";
    pub const SECRET_ARN: &str = "TWITTER_SECRET_ARN";
    pub const TOKEN_ENCRYPTION_KEY: &str = "TWITTER_TOKEN_ENCRYPTION_KEY";
    pub const REQUIRE_SEALED_TOKENS: &str = "TWITTER_REQUIRE_SEALED_TOKENS";
}

/// Where Twitter's REST API lives unless `TWITTER_API_BASE_URL` says otherwise.
pub const DEFAULT_API_BASE_URL: &str = "https://api.twitter.com";
/// Where media uploads go unless `TWITTER_UPLOAD_BASE_URL` says otherwise.
pub const DEFAULT_UPLOAD_BASE_URL: &str = "https://upload.twitter.com";

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
}

/// Reads a variable through `lookup`, treating blank values as unset.
fn non_empty(lookup: &impl Fn(&str) -> Option<String>, var: &str) -> Option<String> {
    lookup(var).filter(|v| !v.trim().is_empty())
}

fn required(
    lookup: &impl Fn(&str) -> Option<String>,
    var: &'static str,
    hint: &'static str,
) -> Result<String, ConfigError> {
    non_empty(lookup, var).ok_or(ConfigError::Missing { var, hint })
}

/// The process environment as a lookup function.
pub fn process_env(var: &str) -> Option<String> {
    std::env::var(var).ok()
}

const CREDENTIALS_HINT: &str = "set it (or put it in .env), or set TWITTER_SECRET_ARN to read the \
     app's credentials from Secrets Manager; the values are in the Twitter developer portal under \
     the app's \"Keys and tokens\"";

/// The app's consumer secret alone: all that the CRC and the signature check need.
#[derive(Clone, PartialEq, Eq)]
pub struct ConsumerSecret(String);

impl ConsumerSecret {
    pub fn new(secret: impl Into<String>) -> Self {
        Self(secret.into())
    }

    /// The secret itself, for the HMAC. Do not log it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// From `TWITTER_CONSUMER_SECRET`.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        required(&lookup, vars::CONSUMER_SECRET, CREDENTIALS_HINT).map(Self)
    }

    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(process_env)
    }
}

impl fmt::Debug for ConsumerSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ConsumerSecret(<redacted>)")
    }
}

/// The app's credentials: the consumer key pair and the app owner's user tokens (OAuth 1.0a),
/// plus the optional app-only bearer token. `Debug` shows none of them.
#[derive(Clone, PartialEq, Eq)]
pub struct TwitterAppCredentials {
    pub consumer_key: String,
    pub consumer_secret: String,
    pub access_token: String,
    pub access_token_secret: String,
    pub bearer_token: Option<String>,
    /// The key that seals connected accounts' tokens in the store (base64, 32 bytes; see
    /// [`crate::tokens`]). Optional: without it tokens are stored unsealed.
    pub token_encryption_key: Option<String>,
}

impl fmt::Debug for TwitterAppCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const R: &str = "<redacted>";
        f.debug_struct("TwitterAppCredentials")
            .field("consumer_key", &R)
            .field("consumer_secret", &R)
            .field("access_token", &R)
            .field("access_token_secret", &R)
            .field("bearer_token", &self.bearer_token.as_ref().map(|_| R))
            .field(
                "token_encryption_key",
                &self.token_encryption_key.as_ref().map(|_| R),
            )
            .finish()
    }
}

impl TwitterAppCredentials {
    /// From `TWITTER_CONSUMER_KEY`, `TWITTER_CONSUMER_SECRET`, `TWITTER_ACCESS_TOKEN`,
    /// `TWITTER_ACCESS_TOKEN_SECRET` and the optional `TWITTER_BEARER_TOKEN`.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        Ok(Self {
            consumer_key: required(&lookup, vars::CONSUMER_KEY, CREDENTIALS_HINT)?,
            consumer_secret: required(&lookup, vars::CONSUMER_SECRET, CREDENTIALS_HINT)?,
            access_token: required(&lookup, vars::ACCESS_TOKEN, CREDENTIALS_HINT)?,
            access_token_secret: required(&lookup, vars::ACCESS_TOKEN_SECRET, CREDENTIALS_HINT)?,
            bearer_token: non_empty(&lookup, vars::BEARER_TOKEN),
            token_encryption_key: non_empty(&lookup, vars::TOKEN_ENCRYPTION_KEY),
        })
    }

    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(process_env)
    }

    /// Just the consumer secret.
    pub fn consumer_secret(&self) -> ConsumerSecret {
        ConsumerSecret(self.consumer_secret.clone())
    }
}

/// The JSON document kept in Secrets Manager. Every field is optional here so that a function
/// that needs only the consumer secret does not fail on a missing user token.
#[derive(Clone, Default, PartialEq, Eq, Deserialize)]
pub struct SecretDocument {
    #[serde(default)]
    consumer_key: Option<String>,
    #[serde(default)]
    consumer_secret: Option<String>,
    #[serde(default)]
    access_token: Option<String>,
    #[serde(default)]
    access_token_secret: Option<String>,
    #[serde(default)]
    bearer_token: Option<String>,
    #[serde(default)]
    token_encryption_key: Option<String>,
}

impl fmt::Debug for SecretDocument {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretDocument(<redacted>)")
    }
}

impl SecretDocument {
    /// Parses the secret string. `secret_id` (the ARN or name) only labels errors. The error
    /// gives the position of the problem, never the text around it.
    pub fn parse(secret_id: &str, json: &str) -> Result<Self, ConfigError> {
        serde_json::from_str(json).map_err(|e| ConfigError::SecretNotJson {
            secret_id: secret_id.to_string(),
            reason: format!(
                "{} at line {} column {}",
                match e.classify() {
                    serde_json::error::Category::Data => "a field is not a string",
                    serde_json::error::Category::Eof => "the JSON ends too early",
                    _ => "invalid JSON",
                },
                e.line(),
                e.column()
            ),
        })
    }

    fn field(
        secret_id: &str,
        name: &'static str,
        value: &Option<String>,
    ) -> Result<String, ConfigError> {
        value
            .as_ref()
            .filter(|v| !v.trim().is_empty())
            .cloned()
            .ok_or_else(|| ConfigError::SecretFieldMissing {
                secret_id: secret_id.to_string(),
                field: name,
            })
    }

    /// The consumer secret (required).
    pub fn consumer_secret(&self, secret_id: &str) -> Result<ConsumerSecret, ConfigError> {
        Self::field(secret_id, "consumer_secret", &self.consumer_secret).map(ConsumerSecret)
    }

    /// All the credentials (the four OAuth values required, the bearer token optional).
    pub fn credentials(&self, secret_id: &str) -> Result<TwitterAppCredentials, ConfigError> {
        Ok(TwitterAppCredentials {
            consumer_key: Self::field(secret_id, "consumer_key", &self.consumer_key)?,
            consumer_secret: Self::field(secret_id, "consumer_secret", &self.consumer_secret)?,
            access_token: Self::field(secret_id, "access_token", &self.access_token)?,
            access_token_secret: Self::field(
                secret_id,
                "access_token_secret",
                &self.access_token_secret,
            )?,
            bearer_token: self.bearer_token.clone().filter(|v| !v.trim().is_empty()),
            token_encryption_key: self
                .token_encryption_key
                .clone()
                .filter(|v| !v.trim().is_empty()),
        })
    }
}

/// Settings other than the credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// The Account Activity environment's name (`TWITTER_ENV_NAME`, case-sensitive).
    pub env_name: Option<String>,
    /// `TWITTER_API_BASE_URL` without a trailing slash.
    pub api_base_url: String,
    /// `TWITTER_UPLOAD_BASE_URL` without a trailing slash.
    pub upload_base_url: String,
    /// Our app's id (`TWITTER_APP_ID`): lets the webhook recognise the bot's own messages.
    pub app_id: Option<String>,
    /// The DynamoDB table (`TABLE_NAME`).
    pub table_name: Option<String>,
    /// The Secrets Manager secret with the credentials (`TWITTER_SECRET_ARN`).
    pub secret_arn: Option<String>,
    /// Refuse connected accounts' stored tokens that are not sealed
    /// (`TWITTER_REQUIRE_SEALED_TOKENS`, `true`/`false`, default false).
    pub require_sealed_tokens: bool,
}

fn flag(lookup: &impl Fn(&str) -> Option<String>, var: &'static str) -> Result<bool, ConfigError> {
    match non_empty(lookup, var).map(|v| v.trim().to_ascii_lowercase()) {
        None => Ok(false),
        Some(v) if matches!(v.as_str(), "true" | "1" | "yes" | "on") => Ok(true),
        Some(v) if matches!(v.as_str(), "false" | "0" | "no" | "off") => Ok(false),
        Some(v) => Err(ConfigError::Invalid {
            var,
            reason: format!(
                "{:?} is not true or false",
                v.chars().take(20).collect::<String>()
            ),
        }),
    }
}

fn base_url(
    lookup: &impl Fn(&str) -> Option<String>,
    var: &'static str,
    default: &str,
) -> Result<String, ConfigError> {
    let Some(value) = non_empty(lookup, var) else {
        return Ok(default.to_string());
    };
    let value = value.trim().trim_end_matches('/').to_string();
    match url::Url::parse(&value) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.has_host() => Ok(value),
        Ok(_) => Err(ConfigError::Invalid {
            var,
            reason: format!("{value:?} is not an http(s) URL"),
        }),
        Err(e) => Err(ConfigError::Invalid {
            var,
            reason: format!("{value:?} is not a URL ({e})"),
        }),
    }
}

impl Settings {
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let app_id = non_empty(&lookup, vars::APP_ID).map(|v| v.trim().to_string());
        if let Some(id) = &app_id
            && !id.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(ConfigError::Invalid {
                var: vars::APP_ID,
                reason: format!(
                    "{:?} is not a numeric app id (the developer portal shows it in the app's settings)",
                    id.chars().take(40).collect::<String>()
                ),
            });
        }
        Ok(Self {
            env_name: non_empty(&lookup, vars::ENV_NAME),
            api_base_url: base_url(&lookup, vars::API_BASE_URL, DEFAULT_API_BASE_URL)?,
            upload_base_url: base_url(&lookup, vars::UPLOAD_BASE_URL, DEFAULT_UPLOAD_BASE_URL)?,
            app_id,
            table_name: non_empty(&lookup, vars::TABLE_NAME),
            secret_arn: non_empty(&lookup, vars::SECRET_ARN),
            require_sealed_tokens: flag(&lookup, vars::REQUIRE_SEALED_TOKENS)?,
        })
    }

    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(process_env)
    }

    /// Our app's id, for whatever receives deliveries (the webhook function, `dmbot serve` with
    /// credentials). Without it the echo of a bot reply that arrives before the dispatcher has
    /// recorded the reply's id looks like a person answering from the account, and the bot hands
    /// the conversation over and falls silent: refusing to start is better than that.
    pub fn require_app_id(&self) -> Result<&str, ConfigError> {
        self.app_id.as_deref().ok_or(ConfigError::Missing {
            var: vars::APP_ID,
            hint: "set it to the numeric id of the Twitter app (developer portal, the app's \
                   settings; also the `source_app_id` of any message the bot sent): without it \
                   the bot's own replies can be taken for a person answering and pause the bot",
        })
    }

    /// The table name, for functions that cannot run without one.
    pub fn require_table_name(&self) -> Result<&str, ConfigError> {
        self.table_name.as_deref().ok_or(ConfigError::Missing {
            var: vars::TABLE_NAME,
            hint: "the SAM template sets it to the stack's table; locally, name a DynamoDB table",
        })
    }

    /// The Account Activity environment name, for the commands that need it.
    pub fn require_env_name(&self) -> Result<&str, ConfigError> {
        self.env_name.as_deref().ok_or(ConfigError::Missing {
            var: vars::ENV_NAME,
            hint: "it is the dev environment label of the Account Activity API in the developer portal (case-sensitive)",
        })
    }
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

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + use<> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| map.get(k).cloned()
    }

    const FULL: &[(&str, &str)] = &[
        ("TWITTER_CONSUMER_KEY", "ck-value"),
        ("TWITTER_CONSUMER_SECRET", "cs-value"),
        ("TWITTER_ACCESS_TOKEN", "at-value"),
        ("TWITTER_ACCESS_TOKEN_SECRET", "ats-value"),
    ];

    #[test]
    fn credentials_load_from_the_four_variables_and_an_optional_bearer() {
        let c = TwitterAppCredentials::from_lookup(env(FULL)).unwrap();
        assert_eq!(c.consumer_key, "ck-value");
        assert_eq!(c.consumer_secret, "cs-value");
        assert_eq!(c.access_token, "at-value");
        assert_eq!(c.access_token_secret, "ats-value");
        assert_eq!(c.bearer_token, None);
        let mut with_bearer = FULL.to_vec();
        with_bearer.push(("TWITTER_BEARER_TOKEN", "bt-value"));
        let c = TwitterAppCredentials::from_lookup(env(&with_bearer)).unwrap();
        assert_eq!(c.bearer_token.as_deref(), Some("bt-value"));
        assert_eq!(c.token_encryption_key, None);
    }

    #[test]
    fn the_token_encryption_key_comes_from_its_variable_or_the_secret_and_never_prints() {
        let mut with_key = FULL.to_vec();
        with_key.push(("TWITTER_TOKEN_ENCRYPTION_KEY", "key-value"));
        let c = TwitterAppCredentials::from_lookup(env(&with_key)).unwrap();
        assert_eq!(c.token_encryption_key.as_deref(), Some("key-value"));
        assert!(!format!("{c:?}").contains("key-value"));
        let doc = SecretDocument::parse(
            "arn:x",
            r#"{"consumer_key":"a","consumer_secret":"b","access_token":"c","access_token_secret":"d","token_encryption_key":"key-value"}"#,
        )
        .unwrap();
        let c = doc.credentials("arn:x").unwrap();
        assert_eq!(c.token_encryption_key.as_deref(), Some("key-value"));
    }

    #[test]
    fn when_a_credential_is_missing_the_error_names_the_variable() {
        let partial: Vec<_> = FULL
            .iter()
            .copied()
            .filter(|(k, _)| *k != "TWITTER_ACCESS_TOKEN_SECRET")
            .collect();
        let err = TwitterAppCredentials::from_lookup(env(&partial)).unwrap_err();
        assert!(
            matches!(
                err,
                ConfigError::Missing {
                    var: "TWITTER_ACCESS_TOKEN_SECRET",
                    ..
                }
            ),
            "{err:?}"
        );
        let shown = err.to_string();
        assert!(shown.contains("TWITTER_ACCESS_TOKEN_SECRET"), "{shown}");
        assert!(!shown.contains("cs-value"), "{shown}");
    }

    #[test]
    fn a_blank_variable_counts_as_unset() {
        let err =
            ConsumerSecret::from_lookup(env(&[("TWITTER_CONSUMER_SECRET", "  ")])).unwrap_err();
        assert!(matches!(err, ConfigError::Missing { .. }));
    }

    #[test]
    fn the_crc_path_needs_only_the_consumer_secret() {
        let secret =
            ConsumerSecret::from_lookup(env(&[("TWITTER_CONSUMER_SECRET", "cs-value")])).unwrap();
        assert_eq!(secret.expose(), "cs-value");
        let doc = SecretDocument::parse("arn:x", r#"{"consumer_secret":"cs-value"}"#).unwrap();
        assert_eq!(doc.consumer_secret("arn:x").unwrap().expose(), "cs-value");
        assert!(doc.credentials("arn:x").is_err());
    }

    #[test]
    fn debug_output_never_shows_a_credential() {
        let mut with_bearer = FULL.to_vec();
        with_bearer.push(("TWITTER_BEARER_TOKEN", "bt-value"));
        let c = TwitterAppCredentials::from_lookup(env(&with_bearer)).unwrap();
        let doc = SecretDocument::parse("arn:x", r#"{"consumer_secret":"cs-value"}"#).unwrap();
        let shown = format!("{c:?} {:?} {doc:?}", c.consumer_secret());
        for value in ["ck-value", "cs-value", "at-value", "ats-value", "bt-value"] {
            assert!(!shown.contains(value), "{shown}");
        }
    }

    #[test]
    fn a_secret_document_gives_all_credentials() {
        let json = r#"{"consumer_key":"ck-value","consumer_secret":"cs-value",
            "access_token":"at-value","access_token_secret":"ats-value","bearer_token":"bt-value",
            "unrelated":"x"}"#;
        let c = SecretDocument::parse("arn:x", json)
            .unwrap()
            .credentials("arn:x")
            .unwrap();
        assert_eq!(c.consumer_key, "ck-value");
        assert_eq!(c.access_token_secret, "ats-value");
        assert_eq!(c.bearer_token.as_deref(), Some("bt-value"));
    }

    #[test]
    fn when_a_secret_field_is_missing_the_error_names_the_field_and_the_secret() {
        let json =
            r#"{"consumer_key":"ck-value","consumer_secret":"cs-value","access_token":"at-value"}"#;
        let err = SecretDocument::parse("arn:aws:secretsmanager:x", json)
            .unwrap()
            .credentials("arn:aws:secretsmanager:x")
            .unwrap_err();
        assert_eq!(
            err,
            ConfigError::SecretFieldMissing {
                secret_id: "arn:aws:secretsmanager:x".into(),
                field: "access_token_secret"
            }
        );
    }

    #[test]
    fn when_a_secret_is_not_json_the_error_does_not_quote_it() {
        for bad in [
            r#"consumer_secret=cs-value"#,
            r#"{"consumer_secret": 12345678}"#,
            r#"{"consumer_secret": "cs-value""#,
        ] {
            let err = SecretDocument::parse("arn:x", bad).unwrap_err();
            let shown = err.to_string();
            assert!(matches!(err, ConfigError::SecretNotJson { .. }), "{err:?}");
            assert!(!shown.contains("cs-value"), "{shown}");
            assert!(!shown.contains("12345678"), "{shown}");
        }
    }

    #[test]
    fn settings_have_twitters_urls_by_default() {
        let s = Settings::from_lookup(env(&[])).unwrap();
        assert_eq!(s.api_base_url, "https://api.twitter.com");
        assert_eq!(s.upload_base_url, "https://upload.twitter.com");
        assert_eq!(s.app_id, None);
        assert_eq!(s.table_name, None);
        assert_eq!(s.secret_arn, None);
        assert!(s.require_table_name().is_err());
        assert!(s.require_env_name().is_err());
    }

    #[test]
    fn settings_read_every_variable() {
        let s = Settings::from_lookup(env(&[
            ("TWITTER_ENV_NAME", "prod"),
            ("TWITTER_API_BASE_URL", "http://127.0.0.1:9000/"),
            ("TWITTER_UPLOAD_BASE_URL", "http://127.0.0.1:9001"),
            ("TWITTER_APP_ID", "13090192"),
            ("TABLE_NAME", "dmbot"),
            (
                "TWITTER_SECRET_ARN",
                "arn:aws:secretsmanager:eu-west-1:1:secret:x",
            ),
        ]))
        .unwrap();
        assert_eq!(s.require_env_name().unwrap(), "prod");
        assert_eq!(s.api_base_url, "http://127.0.0.1:9000");
        assert_eq!(s.upload_base_url, "http://127.0.0.1:9001");
        assert_eq!(s.app_id.as_deref(), Some("13090192"));
        assert_eq!(s.require_table_name().unwrap(), "dmbot");
        assert_eq!(
            s.secret_arn.as_deref(),
            Some("arn:aws:secretsmanager:eu-west-1:1:secret:x")
        );
    }

    #[test]
    fn require_sealed_tokens_is_a_boolean_off_by_default() {
        assert!(
            !Settings::from_lookup(env(&[]))
                .unwrap()
                .require_sealed_tokens
        );
        let on = env(&[("TWITTER_REQUIRE_SEALED_TOKENS", "True")]);
        assert!(Settings::from_lookup(on).unwrap().require_sealed_tokens);
        let bad = env(&[("TWITTER_REQUIRE_SEALED_TOKENS", "sometimes")]);
        assert!(matches!(
            Settings::from_lookup(bad),
            Err(ConfigError::Invalid {
                var: "TWITTER_REQUIRE_SEALED_TOKENS",
                ..
            })
        ));
    }

    #[test]
    fn the_app_id_is_required_where_deliveries_are_received_with_advice() {
        let s = Settings::from_lookup(env(&[])).unwrap();
        let err = s.require_app_id().unwrap_err();
        assert!(matches!(
            err,
            ConfigError::Missing {
                var: "TWITTER_APP_ID",
                ..
            }
        ));
        assert!(err.to_string().contains("pause the bot"), "{err}");
        let s = Settings::from_lookup(env(&[("TWITTER_APP_ID", " 13090192 ")])).unwrap();
        assert_eq!(s.require_app_id(), Ok("13090192"));
    }

    #[test]
    fn a_bad_base_url_or_app_id_is_refused_with_the_variable_name() {
        let err = Settings::from_lookup(env(&[("TWITTER_API_BASE_URL", "ftp://x")])).unwrap_err();
        assert!(matches!(
            err,
            ConfigError::Invalid {
                var: "TWITTER_API_BASE_URL",
                ..
            }
        ));
        let err =
            Settings::from_lookup(env(&[("TWITTER_UPLOAD_BASE_URL", "not a url")])).unwrap_err();
        assert!(matches!(
            err,
            ConfigError::Invalid {
                var: "TWITTER_UPLOAD_BASE_URL",
                ..
            }
        ));
        let err = Settings::from_lookup(env(&[("TWITTER_APP_ID", "acme")])).unwrap_err();
        assert!(matches!(
            err,
            ConfigError::Invalid {
                var: "TWITTER_APP_ID",
                ..
            }
        ));
    }
}
