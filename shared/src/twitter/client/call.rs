//! One request, from [`Call`] to a checked response: URLs, signing (OAuth 1.0a, the bearer
//! token, Basic for `oauth2/token`), bodies, the rate-limit headers, and Twitter's errors.

use std::collections::HashMap;
use std::time::Instant;

use bytes::Bytes;
use serde::de::DeserializeOwned;
use url::Url;

use super::super::api_types::BearerToken;
use super::super::errors::{
    ErrorContext, Observed, RateLimit, TwitterError, V2ErrorContext, classify, classify_v2,
};
use super::super::oauth1::{SignatureRequest, TokenCredentials, bearer_credentials_header};
use super::endpoint::endpoint_method;
use super::{Endpoint, TwitterClient};

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
    /// Every rate-limit window the response reported.
    pub windows: crate::twitter::errors::RateWindows,
}

impl TwitterClient {
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
        self.json_observed(call).await.map(|o| o.value)
    }

    /// [`Self::json`], with the rate-limit windows the answer reported.
    pub(crate) async fn json_observed<T: DeserializeOwned>(
        &self,
        call: Call<'_>,
    ) -> Result<Observed<T>, TwitterError> {
        let endpoint = call.endpoint;
        let response = self.execute(call).await?;
        let value = serde_json::from_slice(&response.body).map_err(|e| {
            TwitterError::decode(
                endpoint.name(),
                format!("the JSON body did not decode: {e}"),
            )
        })?;
        Ok(Observed {
            value,
            windows: response.windows,
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

    pub(super) async fn drop_bearer_if_same(&self, used: &BearerToken) {
        let mut cached = self.inner.bearer.lock().await;
        if cached.as_ref() == Some(used) {
            *cached = None;
        }
    }

    pub(super) fn check(
        &self,
        call: &Call<'_>,
        response: (RawResponse, Option<RateLimit>),
    ) -> Result<RawResponse, TwitterError> {
        let (response, rate_limit) = response;
        if (200..300).contains(&response.status) {
            return Ok(response);
        }
        let error = if call.endpoint.is_v2() {
            let ctx = V2ErrorContext {
                endpoint: call.endpoint.name(),
                dm_send: call.endpoint == Endpoint::SendDmV2,
                rate_limit,
            };
            classify_v2(response.status, &response.body, ctx)
        } else {
            let ctx = ErrorContext {
                endpoint: call.endpoint.name(),
                webhook_call: call.endpoint.is_webhook_call(),
                rate_limit,
            };
            classify(response.status, &response.body, ctx)
        };
        tracing::debug!(endpoint = call.endpoint.name(), status = response.status, code = ?error.code(), "Twitter call failed");
        Err(error)
    }

    /// Signs and sends one request; records the rate-limit headers. Transport failures
    /// (timeouts, refused connections) are [`TwitterError::Transient`].
    pub(super) async fn send_once(
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
        let windows = crate::twitter::errors::RateWindows::from_headers(response.headers());
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
        Ok((
            RawResponse {
                status,
                body,
                windows,
            },
            rate_limit,
        ))
    }

    pub(super) fn transport_error(&self, endpoint: Endpoint, e: reqwest::Error) -> TwitterError {
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
}
