//! [`SecretDocument`]: the JSON document kept in Secrets Manager (fetched by
//! [`crate::secrets`]), turned into the same credentials the environment gives locally.

use std::fmt;

use serde::Deserialize;

use super::{ConfigError, ConsumerSecret, TwitterAppCredentials};

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
        Self::field(secret_id, "consumer_secret", &self.consumer_secret).map(ConsumerSecret::new)
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
