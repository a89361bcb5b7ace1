//! The app's credentials from the environment: [`ConsumerSecret`] (all the CRC and the
//! signature check need) and [`TwitterAppCredentials`] (everything a Twitter call needs).

use std::fmt;

use super::{ConfigError, non_empty, process_env, required, vars};

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
    /// `TWITTER_ACCESS_TOKEN_SECRET` and the optional `TWITTER_BEARER_TOKEN` and
    /// `TWITTER_TOKEN_ENCRYPTION_KEY`.
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

/// The variables of the four required credentials, in order.
pub const CREDENTIAL_VARS: [&str; 4] = [
    vars::CONSUMER_KEY,
    vars::CONSUMER_SECRET,
    vars::ACCESS_TOKEN,
    vars::ACCESS_TOKEN_SECRET,
];

#[cfg(test)]
mod tests {
    use super::super::SecretDocument;
    use super::super::test_env as env;
    use super::*;

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
}
