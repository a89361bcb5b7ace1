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
//! profiles), [`activity`] (webhooks and subscriptions), [`signin`] (3-legged OAuth), [`users`].

pub mod activity;
pub mod dm;
pub mod media;
pub mod profiles;
pub mod signin;
pub mod users;
pub mod welcome;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::Method;
use serde::de::DeserializeOwned;
use url::Url;

use super::api_types::BearerToken;
use super::errors::{ErrorContext, RateLimit, TwitterError, classify};
use super::oauth1::{
    ConsumerCredentials, SignatureRequest, Signer, TokenCredentials, bearer_credentials_header,
};
use crate::config::{ConfigError, parse_base_url};

pub use media::{MAX_CHUNK_BYTES, MediaUpload, UploadOptions};

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

/// Every call the client makes, for rate-limit bookkeeping, logs and error messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Endpoint {
    SendDirectMessage,
    ShowDirectMessage,
    ListDirectMessages,
    DestroyDirectMessage,
    IndicateTyping,
    MarkRead,
    MediaInit,
    MediaAppend,
    MediaFinalize,
    MediaStatus,
    NewWelcomeMessage,
    UpdateWelcomeMessage,
    ListWelcomeMessages,
    ShowWelcomeMessage,
    DestroyWelcomeMessage,
    NewWelcomeRule,
    ListWelcomeRules,
    ShowWelcomeRule,
    DestroyWelcomeRule,
    NewCustomProfile,
    ShowCustomProfile,
    ListCustomProfiles,
    DestroyCustomProfile,
    RegisterWebhook,
    ListWebhooks,
    ListAllWebhooks,
    TriggerCrc,
    DeleteWebhook,
    Subscribe,
    CheckSubscription,
    ListSubscriptions,
    CountSubscriptions,
    Unsubscribe,
    BearerToken,
    RequestToken,
    AccessToken,
    VerifyCredentials,
    LookupUsers,
}

impl Endpoint {
    /// Method and path as Twitter documents it, e.g. `POST direct_messages/events/new`.
    pub fn name(self) -> &'static str {
        use Endpoint::*;
        match self {
            SendDirectMessage => "POST direct_messages/events/new",
            ShowDirectMessage => "GET direct_messages/events/show",
            ListDirectMessages => "GET direct_messages/events/list",
            DestroyDirectMessage => "DELETE direct_messages/events/destroy",
            IndicateTyping => "POST direct_messages/indicate_typing",
            MarkRead => "POST direct_messages/mark_read",
            MediaInit => "POST media/upload (INIT)",
            MediaAppend => "POST media/upload (APPEND)",
            MediaFinalize => "POST media/upload (FINALIZE)",
            MediaStatus => "GET media/upload (STATUS)",
            NewWelcomeMessage => "POST direct_messages/welcome_messages/new",
            UpdateWelcomeMessage => "PUT direct_messages/welcome_messages/update",
            ListWelcomeMessages => "GET direct_messages/welcome_messages/list",
            ShowWelcomeMessage => "GET direct_messages/welcome_messages/show",
            DestroyWelcomeMessage => "DELETE direct_messages/welcome_messages/destroy",
            NewWelcomeRule => "POST direct_messages/welcome_messages/rules/new",
            ListWelcomeRules => "GET direct_messages/welcome_messages/rules/list",
            ShowWelcomeRule => "GET direct_messages/welcome_messages/rules/show",
            DestroyWelcomeRule => "DELETE direct_messages/welcome_messages/rules/destroy",
            NewCustomProfile => "POST custom_profiles/new",
            ShowCustomProfile => "GET custom_profiles/:id",
            ListCustomProfiles => "GET custom_profiles/list",
            DestroyCustomProfile => "DELETE custom_profiles/destroy",
            RegisterWebhook => "POST account_activity/all/:env_name/webhooks",
            ListWebhooks => "GET account_activity/all/:env_name/webhooks",
            ListAllWebhooks => "GET account_activity/all/webhooks",
            TriggerCrc => "PUT account_activity/all/:env_name/webhooks/:webhook_id",
            DeleteWebhook => "DELETE account_activity/all/:env_name/webhooks/:webhook_id",
            Subscribe => "POST account_activity/all/:env_name/subscriptions",
            CheckSubscription => "GET account_activity/all/:env_name/subscriptions",
            ListSubscriptions => "GET account_activity/all/:env_name/subscriptions/list",
            CountSubscriptions => "GET account_activity/all/subscriptions/count",
            Unsubscribe => "DELETE account_activity/all/:env_name/subscriptions/:user_id",
            BearerToken => "POST oauth2/token",
            RequestToken => "POST oauth/request_token",
            AccessToken => "POST oauth/access_token",
            VerifyCredentials => "GET account/verify_credentials",
            LookupUsers => "GET users/lookup",
        }
    }

    /// Calls on which Twitter runs a CRC against the webhook, where code 214 means it failed.
    fn is_webhook_call(self) -> bool {
        matches!(self, Self::RegisterWebhook | Self::TriggerCrc)
    }
}

impl std::fmt::Display for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// How a request authenticates.
pub(crate) enum Auth<'a> {
    /// OAuth 1.0a: the consumer, plus an account's token when there is one, plus protocol
    /// parameters such as `oauth_callback` or `oauth_verifier`.
    Signed {
        token: Option<&'a TokenCredentials>,
        extra: Vec<(&'static str, String)>,
    },
    /// The app-only bearer token (fetched and cached).
    Bearer,
    /// `Basic` consumer credentials, only for `oauth2/token`.
    Basic,
}

impl<'a> Auth<'a> {
    pub(crate) fn user(token: &'a TokenCredentials) -> Self {
        Self::Signed {
            token: Some(token),
            extra: Vec::new(),
        }
    }
}

/// A request body.
pub(crate) enum Body {
    Empty,
    /// `application/x-www-form-urlencoded`; its parameters are signed.
    Form(Vec<(String, String)>),
    /// `application/json`; not signed.
    Json(serde_json::Value),
    /// `multipart/form-data` with one binary part; not signed.
    Multipart {
        field: &'static str,
        data: Bytes,
    },
}

/// One request, ready to sign and send.
pub(crate) struct Call<'a> {
    pub endpoint: Endpoint,
    pub url: Url,
    pub auth: Auth<'a>,
    pub body: Body,
}

/// A response with any status.
pub(crate) struct RawResponse {
    pub status: u16,
    pub body: Bytes,
}

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

    /// `<api base>/<path>?<query>`.
    pub(crate) fn api_url(&self, path: &str, query: &[(&str, &str)]) -> Result<Url, TwitterError> {
        join(&self.inner.config.api_base, path, query)
    }

    /// `<upload base>/<path>?<query>`.
    pub(crate) fn upload_url(
        &self,
        path: &str,
        query: &[(&str, &str)],
    ) -> Result<Url, TwitterError> {
        join(&self.inner.config.upload_base, path, query)
    }

    /// Sends `call` and decodes a JSON success body.
    pub(crate) async fn json<T: DeserializeOwned>(
        &self,
        call: Call<'_>,
    ) -> Result<T, TwitterError> {
        let endpoint = call.endpoint;
        let response = self.execute(call).await?;
        serde_json::from_slice(&response.body).map_err(|e| {
            TwitterError::decode(
                endpoint.name(),
                format!("the JSON body did not decode: {e}"),
            )
        })
    }

    /// Sends `call` and expects a success with no body that matters (Twitter answers 204).
    pub(crate) async fn no_content(&self, call: Call<'_>) -> Result<(), TwitterError> {
        self.execute(call).await.map(|_| ())
    }

    /// Sends `call` and decodes a form-encoded success body (the OAuth token endpoints).
    pub(crate) async fn form(
        &self,
        call: Call<'_>,
    ) -> Result<HashMap<String, String>, TwitterError> {
        let response = self.execute(call).await?;
        Ok(url::form_urlencoded::parse(&response.body)
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect())
    }

    /// Sends `call`; a non-2xx answer becomes the matching [`TwitterError`]. A bearer call
    /// answered 401 drops the cached token and is tried once more with a fresh one.
    pub(crate) async fn execute(&self, call: Call<'_>) -> Result<RawResponse, TwitterError> {
        if !matches!(call.auth, Auth::Bearer) {
            let response = self.send_once(&call, None).await?;
            return self.check(&call, response);
        }
        let token = self.bearer_token().await?;
        let response = self.send_once(&call, Some(&token)).await?;
        if response.0.status != 401 {
            return self.check(&call, response);
        }
        self.drop_bearer_if_same(&token).await;
        tracing::info!(
            endpoint = call.endpoint.name(),
            "bearer token refused; fetching a new one"
        );
        let token = self.bearer_token().await?;
        let response = self.send_once(&call, Some(&token)).await?;
        if response.0.status == 401 {
            self.drop_bearer_if_same(&token).await;
        }
        self.check(&call, response)
    }

    async fn drop_bearer_if_same(&self, used: &BearerToken) {
        let mut cached = self.inner.bearer.lock().await;
        if cached.as_ref() == Some(used) {
            *cached = None;
        }
    }

    fn check(
        &self,
        call: &Call<'_>,
        response: (RawResponse, Option<RateLimit>),
    ) -> Result<RawResponse, TwitterError> {
        let (response, rate_limit) = response;
        if (200..300).contains(&response.status) {
            return Ok(response);
        }
        let error = classify(
            response.status,
            &response.body,
            ErrorContext {
                endpoint: call.endpoint.name(),
                webhook_call: call.endpoint.is_webhook_call(),
                rate_limit,
            },
        );
        tracing::debug!(endpoint = call.endpoint.name(), status = response.status, code = ?error.code(), "Twitter call failed");
        Err(error)
    }

    /// Signs and sends one request; records the rate-limit headers. Transport failures
    /// (timeouts, refused connections) are [`TwitterError::Transient`].
    async fn send_once(
        &self,
        call: &Call<'_>,
        bearer: Option<&BearerToken>,
    ) -> Result<(RawResponse, Option<RateLimit>), TwitterError> {
        let endpoint = call.endpoint;
        let method = endpoint_method(endpoint);
        let mut request = self
            .inner
            .http
            .request(method.clone(), call.url.clone())
            .timeout(self.inner.config.timeout);

        let authorization = match &call.auth {
            Auth::Signed { token, extra } => {
                let form: &[(String, String)] = match &call.body {
                    Body::Form(pairs) => pairs,
                    _ => &[],
                };
                self.inner.signer.authorization(
                    &SignatureRequest {
                        method: method.as_str(),
                        url: &call.url,
                        form,
                        extra_oauth: extra,
                    },
                    *token,
                )
            }
            Auth::Bearer => format!(
                "Bearer {}",
                bearer.map(BearerToken::secret).unwrap_or_default()
            ),
            Auth::Basic => bearer_credentials_header(&self.inner.config.consumer),
        };
        request = request.header(http::header::AUTHORIZATION, authorization);

        request = match &call.body {
            Body::Empty => request,
            Body::Form(pairs) => request
                .header(
                    http::header::CONTENT_TYPE,
                    "application/x-www-form-urlencoded",
                )
                .body(
                    url::form_urlencoded::Serializer::new(String::new())
                        .extend_pairs(pairs)
                        .finish(),
                ),
            Body::Json(value) => request
                .header(http::header::CONTENT_TYPE, "application/json")
                .body(serde_json::to_vec(value).map_err(|e| {
                    TwitterError::invalid(endpoint.name(), format!("JSON body: {e}"))
                })?),
            Body::Multipart { field, data } => {
                let part = reqwest::multipart::Part::bytes(data.to_vec())
                    .file_name("media")
                    .mime_str("application/octet-stream")
                    .map_err(|e| TwitterError::invalid(endpoint.name(), e.to_string()))?;
                request.multipart(reqwest::multipart::Form::new().part(*field, part))
            }
        };

        let started = Instant::now();
        let response = request
            .send()
            .await
            .map_err(|e| self.transport_error(endpoint, e))?;
        let status = response.status().as_u16();
        let rate_limit = RateLimit::from_headers(response.headers());
        if let Some(rate) = rate_limit
            && let Ok(mut map) = self.inner.rate_limits.lock()
        {
            map.insert(endpoint, rate);
        }
        let body = response
            .bytes()
            .await
            .map_err(|e| self.transport_error(endpoint, e))?;
        tracing::debug!(
            endpoint = endpoint.name(),
            status,
            elapsed_ms = started.elapsed().as_millis() as u64,
            remaining = rate_limit.and_then(|r| r.remaining),
            "Twitter call"
        );
        Ok((RawResponse { status, body }, rate_limit))
    }

    fn transport_error(&self, endpoint: Endpoint, e: reqwest::Error) -> TwitterError {
        let reason = if e.is_timeout() {
            format!(
                "no answer within the {} ms timeout",
                self.inner.config.timeout.as_millis()
            )
        } else if e.is_connect() {
            format!("could not connect: {}", e.without_url())
        } else {
            format!("transport error: {}", e.without_url())
        };
        TwitterError::Transient {
            endpoint: endpoint.name().to_string(),
            status: None,
            reason,
        }
    }
}

fn endpoint_method(endpoint: Endpoint) -> Method {
    use Endpoint::*;
    match endpoint {
        ShowDirectMessage | ListDirectMessages | MediaStatus | ListWelcomeMessages
        | ShowWelcomeMessage | ListWelcomeRules | ShowWelcomeRule | ShowCustomProfile
        | ListCustomProfiles | ListWebhooks | ListAllWebhooks | CheckSubscription
        | ListSubscriptions | CountSubscriptions | VerifyCredentials | LookupUsers => Method::GET,
        DestroyDirectMessage
        | DestroyWelcomeMessage
        | DestroyWelcomeRule
        | DestroyCustomProfile
        | DeleteWebhook
        | Unsubscribe => Method::DELETE,
        UpdateWelcomeMessage | TriggerCrc => Method::PUT,
        SendDirectMessage | IndicateTyping | MarkRead | MediaInit | MediaAppend | MediaFinalize
        | NewWelcomeMessage | NewWelcomeRule | NewCustomProfile | RegisterWebhook | Subscribe
        | BearerToken | RequestToken | AccessToken => Method::POST,
    }
}

fn join(base: &Url, path: &str, query: &[(&str, &str)]) -> Result<Url, TwitterError> {
    let joined = format!("{}/{}", base.as_str().trim_end_matches('/'), path);
    let mut url = Url::parse(&joined)
        .map_err(|e| TwitterError::Config(format!("cannot build a URL from {joined:?}: {e}")))?;
    if !query.is_empty() {
        url.query_pairs_mut().extend_pairs(query);
    }
    Ok(url)
}

/// The query of a paginated list call: `count` and `cursor`, each only when given.
pub(crate) fn page_query<'a>(
    count: &'a Option<String>,
    cursor: Option<&'a str>,
) -> Vec<(&'a str, &'a str)> {
    let mut query = Vec::new();
    if let Some(c) = count {
        query.push(("count", c.as_str()));
    }
    if let Some(c) = cursor {
        query.push(("cursor", c));
    }
    query
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_join_a_base_with_or_without_a_path_prefix() {
        let base = Url::parse("http://127.0.0.1:9000/").unwrap();
        assert_eq!(
            join(&base, "1.1/x.json", &[("id", "1")]).unwrap().as_str(),
            "http://127.0.0.1:9000/1.1/x.json?id=1"
        );
        let prefixed = Url::parse("http://sim.local/twitter").unwrap();
        assert_eq!(
            join(&prefixed, "1.1/x.json", &[]).unwrap().as_str(),
            "http://sim.local/twitter/1.1/x.json"
        );
    }

    #[test]
    fn only_registration_and_crc_calls_treat_214_as_a_crc_failure() {
        assert!(Endpoint::RegisterWebhook.is_webhook_call());
        assert!(Endpoint::TriggerCrc.is_webhook_call());
        assert!(!Endpoint::SendDirectMessage.is_webhook_call());
    }
}
