//! The signature base string, the HMAC-SHA1 signature and the `Authorization` headers.

use std::fmt;
use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{Hmac, Mac};
use sha1::Sha1;
use url::Url;

use super::{
    Clock, ConsumerCredentials, NonceSource, RandomNonce, SystemClock, TokenCredentials,
    percent_encode,
};
/// The signature base string (RFC 5849 §3.4.1).
///
/// `url` may carry a query: its parameters are decoded (as `application/x-www-form-urlencoded`,
/// so `+` is a space) and signed; the query itself is not part of the base URL. `params` are the
/// other signed parameters, decoded: form-body parameters and the `oauth_*` ones. Repeated names
/// are all kept and sorted by value.
pub fn signature_base_string(method: &str, url: &Url, params: &[(String, String)]) -> String {
    let mut pairs: Vec<(String, String)> = url
        .query_pairs()
        .map(|(k, v)| (percent_encode(&k), percent_encode(&v)))
        .chain(
            params
                .iter()
                .map(|(k, v)| (percent_encode(k), percent_encode(v))),
        )
        .collect();
    pairs.sort();
    let normalized = pairs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&");
    format!(
        "{}&{}&{}",
        method.to_ascii_uppercase(),
        percent_encode(&base_url(url)),
        percent_encode(&normalized)
    )
}

/// Scheme and host lower case, the port only when it is not the scheme's default, the path;
/// no query, no fragment (RFC 5849 §3.4.1.2). `Url` already lower-cases and drops default ports.
fn base_url(url: &Url) -> String {
    let mut base = format!("{}://{}", url.scheme(), url.host_str().unwrap_or_default());
    if let Some(port) = url.port() {
        base.push_str(&format!(":{port}"));
    }
    base.push_str(url.path());
    base
}

/// `base64(HMAC-SHA1(key = pct(consumer secret) & pct(token secret), base string))`.
pub fn sign(base_string: &str, consumer_secret: &str, token_secret: Option<&str>) -> String {
    let key = format!(
        "{}&{}",
        percent_encode(consumer_secret),
        percent_encode(token_secret.unwrap_or(""))
    );
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = Hmac::<Sha1>::new_from_slice(key.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(base_string.as_bytes());
    BASE64.encode(mac.finalize().into_bytes())
}

/// One request to sign: what the signature covers besides the credentials.
#[derive(Debug, Clone)]
pub struct SignatureRequest<'a> {
    /// `GET`, `POST`, `PUT`, `DELETE`.
    pub method: &'a str,
    /// The full URL including its query string (query parameters are signed).
    pub url: &'a Url,
    /// Decoded `application/x-www-form-urlencoded` body parameters; empty for JSON and
    /// multipart bodies, which are not signed.
    pub form: &'a [(String, String)],
    /// Extra `oauth_*` protocol parameters that go in the header and are signed:
    /// `oauth_callback` (request token) or `oauth_verifier` (access token).
    pub extra_oauth: &'a [(&'a str, String)],
}

/// Signs requests for one consumer (app). Cheap to clone; thread-safe.
#[derive(Clone)]
pub struct Signer {
    consumer: ConsumerCredentials,
    clock: Arc<dyn Clock>,
    nonces: Arc<dyn NonceSource>,
}

impl fmt::Debug for Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signer")
            .field("consumer", &self.consumer)
            .finish_non_exhaustive()
    }
}

impl Signer {
    /// A signer with the system clock and random nonces.
    pub fn new(consumer: ConsumerCredentials) -> Self {
        Self::with_sources(consumer, Arc::new(SystemClock), Arc::new(RandomNonce))
    }

    /// A signer with the given clock and nonce source (tests, simulators).
    pub fn with_sources(
        consumer: ConsumerCredentials,
        clock: Arc<dyn Clock>,
        nonces: Arc<dyn NonceSource>,
    ) -> Self {
        Self {
            consumer,
            clock,
            nonces,
        }
    }

    pub fn consumer(&self) -> &ConsumerCredentials {
        &self.consumer
    }

    /// The `Authorization` header value for `request`, signed with the consumer secret and
    /// `token`'s secret (no `oauth_token` when `token` is `None`, as for a request token).
    pub fn authorization(
        &self,
        request: &SignatureRequest<'_>,
        token: Option<&TokenCredentials>,
    ) -> String {
        let mut oauth: Vec<(String, String)> = vec![
            ("oauth_consumer_key".into(), self.consumer.key.clone()),
            ("oauth_nonce".into(), self.nonces.nonce()),
            ("oauth_signature_method".into(), "HMAC-SHA1".into()),
            (
                "oauth_timestamp".into(),
                self.clock.unix_seconds().to_string(),
            ),
            ("oauth_version".into(), "1.0".into()),
        ];
        if let Some(t) = token {
            oauth.push(("oauth_token".into(), t.token.clone()));
        }
        for (k, v) in request.extra_oauth {
            oauth.push(((*k).to_string(), v.clone()));
        }
        let mut signed = oauth.clone();
        signed.extend(request.form.iter().cloned());
        let base = signature_base_string(request.method, request.url, &signed);
        let signature = sign(
            &base,
            &self.consumer.secret,
            token.map(TokenCredentials::secret),
        );
        oauth.push(("oauth_signature".into(), signature));
        oauth.sort();
        authorization_header(&oauth)
    }
}

/// `OAuth k1="v1", k2="v2"` with names and values percent-encoded.
fn authorization_header(params: &[(String, String)]) -> String {
    let fields = params
        .iter()
        .map(|(k, v)| format!("{}=\"{}\"", percent_encode(k), percent_encode(v)))
        .collect::<Vec<_>>()
        .join(", ");
    format!("OAuth {fields}")
}

/// The `Authorization: Basic ...` header that `POST oauth2/token` wants to issue an app-only
/// bearer token: `base64(pct(consumer key) ":" pct(consumer secret))`.
pub fn bearer_credentials_header(consumer: &ConsumerCredentials) -> String {
    let raw = format!(
        "{}:{}",
        percent_encode(&consumer.key),
        percent_encode(&consumer.secret)
    );
    format!("Basic {}", BASE64.encode(raw))
}
