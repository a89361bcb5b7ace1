//! [`ClientConfig`]: where Twitter is and how long to wait for it.

use std::time::Duration;

use url::Url;

use super::super::api_types::BearerToken;
use super::super::oauth1::ConsumerCredentials;
use crate::config::{ConfigError, parse_base_url};

/// Where Twitter is and how long to wait for it. Built from the configuration by
/// [`crate::config::Settings::client_config`] (and `TwitterAppCredentials::client`).
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// `https://api.twitter.com`, or a fake/simulator for tests and local runs. Paths such as
    /// `/1.1/...` and `/oauth/...` are appended to it.
    pub api_base: Url,
    /// `https://upload.twitter.com` (media upload lives on its own host).
    pub upload_base: Url,
    /// The limit on each HTTP request, connection included.
    pub timeout: Duration,
    /// The app's consumer key and secret.
    pub consumer: ConsumerCredentials,
    /// An app-only bearer token to start with; without one it is fetched on first use.
    pub bearer_token: Option<BearerToken>,
}

impl ClientConfig {
    pub const DEFAULT_API_BASE: &'static str = "https://api.twitter.com";
    pub const DEFAULT_UPLOAD_BASE: &'static str = "https://upload.twitter.com";
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

    /// Real Twitter, a 10-second timeout.
    pub fn new(consumer: ConsumerCredentials) -> Self {
        Self {
            api_base: Url::parse(Self::DEFAULT_API_BASE)
                .unwrap_or_else(|_| unreachable!("constant URL")),
            upload_base: Url::parse(Self::DEFAULT_UPLOAD_BASE)
                .unwrap_or_else(|_| unreachable!("constant URL")),
            timeout: Self::DEFAULT_TIMEOUT,
            consumer,
            bearer_token: None,
        }
    }

    /// Points both the API and the upload base at one server (a fake or the simulator).
    pub fn with_base(mut self, base: &str) -> Result<Self, ConfigError> {
        self.api_base = parse_base_url("api base URL", base)?;
        self.upload_base = self.api_base.clone();
        Ok(self)
    }

    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }
}
