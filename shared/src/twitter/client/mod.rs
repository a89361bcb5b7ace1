//! The Twitter v1.1 API client (feature `client`): every endpoint the playbook uses.
//!
//! One [`TwitterClient`] per process: it holds one `reqwest` client (rustls, pooled
//! connections), the app's consumer credentials and the cached app-only bearer token. Cloning
//! it is cheap and shares all of that. Calls made *as an account* (sending a DM, subscribing the
//! account, ...) take that account's [`TokenCredentials`] as a parameter, so one client serves
//! every account the dispatcher answers for.
//!
//! Every request has a timeout ([`ClientConfig::timeout`]), every response's `x-rate-limit-*`
//! headers are remembered per [`Endpoint`] ([`TwitterClient::rate_limit`]), and every failure
//! is a [`TwitterError`] saying what to do next. Retrying is the caller's choice, with
//! [`crate::twitter::retry`].
//!
//! Endpoints, one file per area: [`dm`] (send, show, list, destroy, typing, mark read),
//! [`media`] (chunked upload), [`welcome`] (welcome messages and rules), [`profiles`] (custom
//! profiles), [`activity`] (webhooks and subscriptions), [`signin`] (3-legged OAuth), [`users`];
//! [`v2`]: the X API v2 calls (DMs, media, webhooks, subscriptions) under the same `api_base`.
//! The plumbing: [`config`] (where Twitter is), [`endpoint`] (every call's name and method),
//! [`call`] (one request: signing, bodies, rate limits, errors); this file the client itself.

pub mod activity;
pub mod call;
pub mod config;
pub mod dm;
pub mod endpoint;
pub mod media;
pub mod profiles;
pub mod signin;
pub mod users;
pub mod v2;
pub mod welcome;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::api_types::BearerToken;
use super::errors::{RateLimit, TwitterError};
use super::oauth1::Signer;

pub(crate) use call::{Auth, Body, Call, page_query};
pub use config::ClientConfig;
pub use endpoint::Endpoint;
pub use media::{MAX_CHUNK_BYTES, MediaUpload, UploadOptions};
pub use v2::{
    AccountActivitySubscriptionsV2, ActivitySubscriptionV2, DM_EVENT_TYPES, DmEventPageV2,
    DmEventV2, SentDmV2, V2_CHUNK_BYTES, WebhookV2,
};

struct Inner {
    http: reqwest::Client,
    config: ClientConfig,
    signer: Signer,
    bearer: tokio::sync::Mutex<Option<BearerToken>>,
    rate_limits: Mutex<HashMap<Endpoint, RateLimit>>,
}

/// The Twitter API client. Clone it freely: clones share the connection pool, the bearer
/// token and the rate-limit bookkeeping.
#[derive(Clone)]
pub struct TwitterClient {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for TwitterClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TwitterClient")
            .field("api_base", &self.inner.config.api_base.as_str())
            .field("upload_base", &self.inner.config.upload_base.as_str())
            .field("consumer", &self.inner.config.consumer)
            .finish_non_exhaustive()
    }
}

impl TwitterClient {
    /// Builds the client and its HTTP connection pool (rustls; redirects are not followed,
    /// since a signed request is only valid for the URL it was signed for).
    pub fn new(config: ClientConfig) -> Result<Self, TwitterError> {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(config.timeout)
            .pool_idle_timeout(Duration::from_secs(60))
            .user_agent(concat!("dmbot/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| TwitterError::Config(format!("cannot build the HTTP client: {e}")))?;
        let signer = Signer::new(config.consumer.clone());
        Ok(Self::with_parts(config, http, signer))
    }

    /// A client from an existing HTTP client and signer (to share a pool, or to inject the
    /// signer's clock and nonces).
    pub fn with_parts(config: ClientConfig, http: reqwest::Client, signer: Signer) -> Self {
        let bearer = config.bearer_token.clone();
        Self {
            inner: Arc::new(Inner {
                http,
                config,
                signer,
                bearer: tokio::sync::Mutex::new(bearer),
                rate_limits: Mutex::new(HashMap::new()),
            }),
        }
    }

    pub fn config(&self) -> &ClientConfig {
        &self.inner.config
    }

    /// What the last response of `endpoint` said about its rate limit, if it said anything.
    /// The webhook management calls allow only 15 per 15 minutes: check before calling.
    pub fn rate_limit(&self, endpoint: Endpoint) -> Option<RateLimit> {
        self.inner
            .rate_limits
            .lock()
            .ok()
            .and_then(|m| m.get(&endpoint).copied())
    }

    /// Every endpoint's last known rate limit, sorted by endpoint.
    pub fn rate_limits(&self) -> Vec<(Endpoint, RateLimit)> {
        let mut all: Vec<_> = self
            .inner
            .rate_limits
            .lock()
            .map(|m| m.iter().map(|(e, r)| (*e, *r)).collect())
            .unwrap_or_default();
        all.sort_by_key(|(e, _)| *e);
        all
    }

    /// The app-only bearer token: the cached one, or a new one from `POST oauth2/token`
    /// (fetched once even when many calls ask at the same time).
    pub async fn bearer_token(&self) -> Result<BearerToken, TwitterError> {
        let mut cached = self.inner.bearer.lock().await;
        if let Some(token) = cached.as_ref() {
            return Ok(token.clone());
        }
        let token = self.fetch_bearer_token().await?;
        *cached = Some(token.clone());
        Ok(token)
    }

    /// Forgets the cached bearer token (the next bearer call fetches a new one).
    pub async fn forget_bearer_token(&self) {
        *self.inner.bearer.lock().await = None;
    }

    async fn fetch_bearer_token(&self) -> Result<BearerToken, TwitterError> {
        #[derive(serde::Deserialize)]
        struct TokenResponse {
            token_type: String,
            access_token: String,
        }
        let endpoint = Endpoint::BearerToken;
        let call = Call {
            endpoint,
            url: self.api_url("oauth2/token", &[])?,
            auth: Auth::Basic,
            body: Body::Form(vec![("grant_type".into(), "client_credentials".into())]),
        };
        // Not through `execute`, which calls this for bearer calls.
        let raw = self.send_once(&call, None).await?;
        let raw = self.check(&call, raw)?;
        let response: TokenResponse = serde_json::from_slice(&raw.body).map_err(|e| {
            TwitterError::decode(
                endpoint.name(),
                format!("the JSON body did not decode: {e}"),
            )
        })?;
        if !response.token_type.eq_ignore_ascii_case("bearer") || response.access_token.is_empty() {
            return Err(TwitterError::decode(
                endpoint.name(),
                format!(
                    "expected a bearer token, got token_type {:?}",
                    response.token_type
                ),
            ));
        }
        tracing::info!("fetched an app-only bearer token");
        Ok(BearerToken::new(response.access_token))
    }
}
