//! The one place that builds the Twitter client from the configuration (feature `client`):
//! every function's `main.rs`, `dmbot serve` and the operator commands come through here.

use super::{ConfigError, Settings, TwitterAppCredentials, parse_base_url, vars};
use crate::twitter::api_types::BearerToken;
use crate::twitter::client::{ClientConfig, TwitterClient};
use crate::twitter::oauth1::{ConsumerCredentials, TokenCredentials};

impl Settings {
    /// The client configuration these settings describe for `consumer`: the API and upload
    /// base URLs and the bearer token of `TWITTER_BEARER_TOKEN` (fetched on first use when
    /// absent), with the default timeout.
    pub fn client_config(
        &self,
        consumer: ConsumerCredentials,
    ) -> Result<ClientConfig, ConfigError> {
        let mut config = ClientConfig::new(consumer);
        config.api_base = parse_base_url(vars::API_BASE_URL, &self.api_base_url)?;
        config.upload_base = parse_base_url(vars::UPLOAD_BASE_URL, &self.upload_base_url)?;
        config.bearer_token = self.bearer_token.clone();
        Ok(config)
    }
}

impl TwitterAppCredentials {
    /// The app's consumer key and secret, for signing.
    pub fn consumer(&self) -> ConsumerCredentials {
        ConsumerCredentials::new(self.consumer_key.clone(), self.consumer_secret.clone())
    }

    /// The app owner's tokens: they answer for the owner's own account.
    pub fn owner(&self) -> TokenCredentials {
        TokenCredentials::new(self.access_token.clone(), self.access_token_secret.clone())
    }

    /// The Twitter client for these credentials and `settings`, and the owner's tokens. The
    /// bearer token is `TWITTER_BEARER_TOKEN`'s, else the credentials' own (the secret's
    /// `bearer_token`), else fetched on first use.
    pub fn client(
        &self,
        settings: &Settings,
    ) -> Result<(TwitterClient, TokenCredentials), ConfigError> {
        let mut config = settings.client_config(self.consumer())?;
        if config.bearer_token.is_none() {
            config.bearer_token = self.bearer_token.clone().map(BearerToken::new);
        }
        Ok((build(config)?, self.owner()))
    }
}

/// Builds the client (its HTTP connection pool) from a finished configuration.
fn build(config: ClientConfig) -> Result<TwitterClient, ConfigError> {
    TwitterClient::new(config).map_err(|e| ConfigError::Client {
        reason: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::super::test_env as env;
    use super::*;

    const FULL: &[(&str, &str)] = &[
        ("TWITTER_CONSUMER_KEY", "ck-value"),
        ("TWITTER_CONSUMER_SECRET", "cs-value"),
        ("TWITTER_ACCESS_TOKEN", "at-value"),
        ("TWITTER_ACCESS_TOKEN_SECRET", "ats-value"),
    ];

    #[test]
    fn config_reads_base_urls_and_bearer_from_the_environment() {
        let consumer = ConsumerCredentials::new("k", "s");
        let settings = Settings::from_lookup(env(&[
            ("TWITTER_API_BASE_URL", "http://127.0.0.1:1"),
            ("TWITTER_BEARER_TOKEN", "AAAA"),
        ]))
        .unwrap();
        let config = settings.client_config(consumer).unwrap();
        assert_eq!(config.api_base.as_str(), "http://127.0.0.1:1/");
        assert_eq!(config.upload_base.as_str(), "https://upload.twitter.com/");
        assert_eq!(config.bearer_token, Some(BearerToken::new("AAAA")));
        let bad = Settings::from_lookup(env(&[("TWITTER_UPLOAD_BASE_URL", "not a url")]));
        assert!(
            matches!(bad, Err(ConfigError::Invalid { var, .. }) if var == vars::UPLOAD_BASE_URL)
        );
    }

    #[test]
    fn the_client_takes_the_settings_urls_and_falls_back_to_the_secrets_bearer_token() {
        let mut creds = TwitterAppCredentials::from_lookup(env(FULL)).unwrap();
        creds.bearer_token = Some("from-secret".into());
        let settings = Settings::from_lookup(env(&[
            ("TWITTER_API_BASE_URL", "http://127.0.0.1:9/prefix/"),
            ("TWITTER_UPLOAD_BASE_URL", "http://127.0.0.1:8"),
        ]))
        .unwrap();
        let (client, owner) = creds.client(&settings).unwrap();
        assert_eq!(
            client.config().api_base.as_str(),
            "http://127.0.0.1:9/prefix"
        );
        assert_eq!(client.config().upload_base.as_str(), "http://127.0.0.1:8/");
        assert_eq!(
            client.config().bearer_token,
            Some(BearerToken::new("from-secret"))
        );
        assert_eq!(owner, creds.owner());
        let with_env_bearer =
            Settings::from_lookup(env(&[("TWITTER_BEARER_TOKEN", "env")])).unwrap();
        let (client, _) = creds.client(&with_env_bearer).unwrap();
        assert_eq!(client.config().bearer_token, Some(BearerToken::new("env")));
    }
}
