//! OAuth 1.0a request signing (HMAC-SHA1), as Twitter's v1.1 API wants it.
//!
//! Every user-context call carries an `Authorization: OAuth ...` header whose `oauth_signature`
//! is an HMAC-SHA1 over a *signature base string* built from the request
//! (`docs/TWITTER-API.md` §6, RFC 5849 §3.4):
//!
//! ```text
//! METHOD & pct(base URL without query) & pct(sorted "k=v" pairs joined by "&")
//! ```
//!
//! where the pairs are the query parameters, the `application/x-www-form-urlencoded` body
//! parameters and the `oauth_*` parameters (never `oauth_signature` itself), each name and value
//! percent-encoded first and then sorted by name, then by value. A JSON body and the parts of a
//! `multipart/form-data` body are **not** signed. The key is `pct(consumer secret)&pct(token
//! secret)`, with an empty token secret before a token exists (request token, bearer).
//!
//! This module is pure: time and nonces come from a [`Clock`] and a [`NonceSource`] so that the
//! signer can be checked against Twitter's worked example, and [`verify`] lets a server (the local
//! simulator, a test double) check a header it received.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{Hmac, Mac};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};
use sha1::Sha1;
use subtle::ConstantTimeEq;
use url::Url;

/// Characters that RFC 3986 leaves unreserved: `A-Z a-z 0-9 - . _ ~`. Everything else is
/// percent-encoded as `%XX` with upper-case hex digits, byte by byte of its UTF-8 form.
const RFC3986: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Percent-encodes `s` the way OAuth 1.0a requires (RFC 3986 §2.1, upper-case hex; a space is
/// `%20`, never `+`).
pub fn percent_encode(s: &str) -> String {
    utf8_percent_encode(s, RFC3986).to_string()
}

/// The consumer (app) key and secret. `Debug` shows the key's first characters only and never
/// the secret.
#[derive(Clone, PartialEq, Eq)]
pub struct ConsumerCredentials {
    key: String,
    secret: String,
}

impl ConsumerCredentials {
    pub fn new(key: impl Into<String>, secret: impl Into<String>) -> Self {
        Self {
            key: key.into(),
            secret: secret.into(),
        }
    }
    /// The public half (`oauth_consumer_key`).
    pub fn key(&self) -> &str {
        &self.key
    }
    /// The signing secret. Never log it.
    pub fn secret(&self) -> &str {
        &self.secret
    }
}

impl fmt::Debug for ConsumerCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConsumerCredentials")
            .field("key", &redact(&self.key))
            .field("secret", &"<redacted>")
            .finish()
    }
}

/// An access token (or a temporary request token) and its secret. `Debug` never shows the
/// secret.
#[derive(Clone, PartialEq, Eq)]
pub struct TokenCredentials {
    token: String,
    secret: String,
}

impl TokenCredentials {
    pub fn new(token: impl Into<String>, secret: impl Into<String>) -> Self {
        Self {
            token: token.into(),
            secret: secret.into(),
        }
    }
    /// The public half (`oauth_token`). Access tokens start with the user id and a dash.
    pub fn token(&self) -> &str {
        &self.token
    }
    /// The signing secret. Never log it.
    pub fn secret(&self) -> &str {
        &self.secret
    }
}

impl fmt::Debug for TokenCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenCredentials")
            .field("token", &redact(&self.token))
            .field("secret", &"<redacted>")
            .finish()
    }
}

/// The first few characters then `…`: enough to tell two keys apart in a debug print.
fn redact(s: &str) -> String {
    let shown: String = s.chars().take(4).collect();
    format!("{shown}…")
}

/// Where the signer gets `oauth_timestamp` from: seconds since the Unix epoch. Twitter refuses
/// a timestamp far from its own clock (error 32/135), which is why a skewed machine clock shows
/// up as an authentication error.
pub trait Clock: Send + Sync {
    fn unix_seconds(&self) -> u64;
}

/// Where the signer gets `oauth_nonce` from: a value never used before with the same timestamp
/// (Twitter refuses replays).
pub trait NonceSource: Send + Sync {
    fn nonce(&self) -> String;
}

/// The machine's clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn unix_seconds(&self) -> u64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0)
    }
}

/// 32 random alphanumeric characters from the thread's CSPRNG.
#[derive(Debug, Clone, Copy, Default)]
pub struct RandomNonce;

impl NonceSource for RandomNonce {
    fn nonce(&self) -> String {
        use rand::Rng;
        rand::rng()
            .sample_iter(rand::distr::Alphanumeric)
            .take(32)
            .map(char::from)
            .collect()
    }
}

/// Closures work as clocks (`|| 1318622958`) ...
impl<F: Fn() -> u64 + Send + Sync> Clock for F {
    fn unix_seconds(&self) -> u64 {
        self()
    }
}

/// ... and as nonce sources.
impl<F: Fn() -> String + Send + Sync> NonceSource for F {
    fn nonce(&self) -> String {
        self()
    }
}

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

/// Why an `Authorization` header could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HeaderError {
    #[error("the Authorization header does not start with \"OAuth \"")]
    NotOAuth,
    #[error("the Authorization header has a malformed field near {0:?}")]
    Malformed(String),
    #[error("the Authorization header has no {0}")]
    Missing(&'static str),
    #[error("the Authorization header repeats {0}")]
    Repeated(String),
}

/// The fields of an `Authorization: OAuth ...` header, decoded.
#[derive(Clone, PartialEq, Eq)]
pub struct AuthorizationHeader {
    params: BTreeMap<String, String>,
}

impl fmt::Debug for AuthorizationHeader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The signature is not a secret, but nothing here needs printing in full either.
        f.debug_struct("AuthorizationHeader")
            .field("consumer_key", &self.get("oauth_consumer_key").map(redact))
            .field("token", &self.get("oauth_token").map(redact))
            .finish_non_exhaustive()
    }
}

impl AuthorizationHeader {
    /// Parses `OAuth k="v", k2="v2"` (a `realm` field is ignored, as RFC 5849 says).
    pub fn parse(header: &str) -> Result<Self, HeaderError> {
        let rest = header
            .trim()
            .strip_prefix("OAuth ")
            .ok_or(HeaderError::NotOAuth)?;
        let mut params = BTreeMap::new();
        for field in rest.split(',') {
            let field = field.trim();
            if field.is_empty() {
                continue;
            }
            let (k, v) = field
                .split_once('=')
                .ok_or_else(|| HeaderError::Malformed(field.chars().take(20).collect()))?;
            let v = v
                .strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .ok_or_else(|| HeaderError::Malformed(k.chars().take(20).collect()))?;
            let decode = |s: &str| {
                percent_decode_str(s)
                    .decode_utf8()
                    .map(|c| c.into_owned())
                    .map_err(|_| HeaderError::Malformed(k.chars().take(20).collect()))
            };
            let (k, v) = (decode(k.trim())?, decode(v)?);
            if k == "realm" {
                continue;
            }
            if params.insert(k.clone(), v).is_some() {
                return Err(HeaderError::Repeated(k));
            }
        }
        for required in [
            "oauth_consumer_key",
            "oauth_signature",
            "oauth_signature_method",
            "oauth_timestamp",
            "oauth_nonce",
        ] {
            if !params.contains_key(required) {
                return Err(HeaderError::Missing(required));
            }
        }
        Ok(Self { params })
    }

    /// A field's decoded value (`oauth_token`, `oauth_timestamp`, ...).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.params.get(name).map(String::as_str)
    }

    pub fn consumer_key(&self) -> &str {
        self.get("oauth_consumer_key").unwrap_or_default()
    }

    pub fn token(&self) -> Option<&str> {
        self.get("oauth_token")
    }

    /// `oauth_timestamp` as seconds, if it is a number.
    pub fn timestamp(&self) -> Option<u64> {
        self.get("oauth_timestamp").and_then(|t| t.parse().ok())
    }

    pub fn nonce(&self) -> &str {
        self.get("oauth_nonce").unwrap_or_default()
    }
}

/// Checks the signature of a received request: recomputes it from `method`, `url` (with its
/// query), the decoded form-body parameters and the header's own `oauth_*` fields, and compares
/// in constant time. Only HMAC-SHA1 is accepted. It does not check the timestamp's freshness or
/// nonce reuse, nor which key or token was used: the caller looks those up and decides.
pub fn verify(
    header: &AuthorizationHeader,
    method: &str,
    url: &Url,
    form: &[(String, String)],
    consumer_secret: &str,
    token_secret: Option<&str>,
) -> bool {
    if header.get("oauth_signature_method") != Some("HMAC-SHA1") {
        return false;
    }
    let mut params: Vec<(String, String)> = header
        .params
        .iter()
        .filter(|(k, _)| k.as_str() != "oauth_signature")
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    params.extend(form.iter().cloned());
    let base = signature_base_string(method, url, &params);
    let expected = sign(&base, consumer_secret, token_secret);
    let got = header.get("oauth_signature").unwrap_or_default();
    expected.as_bytes().ct_eq(got.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONSUMER_KEY: &str = "xvz1evFS4wEEPTGEFPHBog";
    const CONSUMER_SECRET: &str = "kAcSOqF21Fu85e7zjz7ZN2U4ZRhfV3WpwPAoE3Z7kBw";
    const TOKEN: &str = "370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb";
    const TOKEN_SECRET: &str = "LswwdoUaIvS8ltyTt5jkRh4J50vUPVVHtR2YPi5kE";
    const NONCE: &str = "kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg";
    const TIMESTAMP: u64 = 1318622958;

    fn example_signer() -> Signer {
        Signer::with_sources(
            ConsumerCredentials::new(CONSUMER_KEY, CONSUMER_SECRET),
            Arc::new(|| TIMESTAMP),
            Arc::new(|| NONCE.to_string()),
        )
    }

    fn example_header(host: &str) -> String {
        let url = Url::parse(&format!(
            "https://{host}/1.1/statuses/update.json?include_entities=true"
        ))
        .unwrap();
        let form = vec![(
            "status".to_string(),
            "Hello Ladies + Gentlemen, a signed OAuth request!".to_string(),
        )];
        example_signer().authorization(
            &SignatureRequest {
                method: "POST",
                url: &url,
                form: &form,
                extra_oauth: &[],
            },
            Some(&TokenCredentials::new(TOKEN, TOKEN_SECRET)),
        )
    }

    fn signature_of(header: &str) -> String {
        AuthorizationHeader::parse(header)
            .unwrap()
            .get("oauth_signature")
            .unwrap()
            .to_string()
    }

    #[test]
    fn twitters_worked_example_signs_to_the_documented_signature() {
        assert_eq!(
            signature_of(&example_header("api.twitter.com")),
            "hCtSmYh+iHYCEqBWrE7C7hYmtUk="
        );
    }

    #[test]
    fn twitters_worked_example_on_api_x_com_signs_to_its_own_signature() {
        assert_eq!(
            signature_of(&example_header("api.x.com")),
            "Ls93hJiZbQ3akF3HF3x1Bz8/zU4="
        );
    }

    #[test]
    fn the_example_header_has_every_field_percent_encoded_and_sorted() {
        let header = example_header("api.twitter.com");
        assert_eq!(
            header,
            format!(
                "OAuth oauth_consumer_key=\"{CONSUMER_KEY}\", oauth_nonce=\"{NONCE}\", \
                 oauth_signature=\"hCtSmYh%2BiHYCEqBWrE7C7hYmtUk%3D\", \
                 oauth_signature_method=\"HMAC-SHA1\", oauth_timestamp=\"{TIMESTAMP}\", \
                 oauth_token=\"{TOKEN}\", oauth_version=\"1.0\""
            )
        );
    }

    #[test]
    fn the_example_base_string_matches_twitters_documentation() {
        let url =
            Url::parse("https://api.twitter.com/1.1/statuses/update.json?include_entities=true")
                .unwrap();
        let params: Vec<(String, String)> = [
            (
                "status",
                "Hello Ladies + Gentlemen, a signed OAuth request!",
            ),
            ("oauth_consumer_key", CONSUMER_KEY),
            ("oauth_nonce", NONCE),
            ("oauth_signature_method", "HMAC-SHA1"),
            ("oauth_timestamp", "1318622958"),
            ("oauth_token", TOKEN),
            ("oauth_version", "1.0"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        assert_eq!(
            signature_base_string("POST", &url, &params),
            "POST&https%3A%2F%2Fapi.twitter.com%2F1.1%2Fstatuses%2Fupdate.json&include_entities%3Dtrue%26oauth_consumer_key%3Dxvz1evFS4wEEPTGEFPHBog%26oauth_nonce%3DkYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D1318622958%26oauth_token%3D370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb%26oauth_version%3D1.0%26status%3DHello%2520Ladies%2520%252B%2520Gentlemen%252C%2520a%2520signed%2520OAuth%2520request%2521"
        );
    }

    #[test]
    fn the_bearer_basic_header_matches_twitters_example() {
        let consumer =
            ConsumerCredentials::new(CONSUMER_KEY, "L8qq9PZyRg6ieKGEKhZolGC0vJWLw8iEJ88DRdyOg");
        assert_eq!(
            bearer_credentials_header(&consumer),
            "Basic eHZ6MWV2RlM0d0VFUFRHRUZQSEJvZzpMOHFxOVBaeVJnNmllS0dFS2hab2xHQzB2SldMdzhpRUo4OERSZHlPZw=="
        );
    }

    #[test]
    fn percent_encoding_keeps_only_unreserved_characters() {
        assert_eq!(percent_encode("AZaz09-._~"), "AZaz09-._~");
        assert_eq!(
            percent_encode(" !*'();:@&=+$,/?#[]"),
            "%20%21%2A%27%28%29%3B%3A%40%26%3D%2B%24%2C%2F%3F%23%5B%5D"
        );
        assert_eq!(percent_encode("%"), "%25");
    }

    #[test]
    fn percent_encoding_encodes_each_utf8_byte_in_upper_case_hex() {
        assert_eq!(percent_encode("é"), "%C3%A9");
        assert_eq!(percent_encode("☃"), "%E2%98%83");
        assert_eq!(percent_encode("😀"), "%F0%9F%98%80");
    }

    #[test]
    fn unicode_and_reserved_values_are_encoded_once_in_the_pairs_and_again_in_the_base_string() {
        let url = Url::parse("https://api.twitter.com/1.1/x.json").unwrap();
        let params = vec![("text".to_string(), "café & ☃=1".to_string())];
        let base = signature_base_string("post", &url, &params);
        // pct("café & ☃=1") = caf%C3%A9%20%26%20%E2%98%83%3D1, then encoded again.
        assert_eq!(
            base,
            "POST&https%3A%2F%2Fapi.twitter.com%2F1.1%2Fx.json&text%3Dcaf%25C3%25A9%2520%2526%2520%25E2%2598%2583%253D1"
        );
    }

    #[test]
    fn repeated_keys_are_all_signed_and_sorted_by_value() {
        let url = Url::parse("https://api.twitter.com/1.1/x.json?a=2&b=1&a=1").unwrap();
        let form = vec![("a".to_string(), "0".to_string())];
        let base = signature_base_string("GET", &url, &form);
        assert!(base.ends_with("&a%3D0%26a%3D1%26a%3D2%26b%3D1"), "{base}");
    }

    #[test]
    fn sorting_happens_on_encoded_names() {
        // "a b" encodes to "a%20b", which sorts before "a-b" ('%' < '-').
        let url = Url::parse("https://h.example/p").unwrap();
        let params = vec![
            ("a-b".to_string(), "1".to_string()),
            ("a b".to_string(), "2".to_string()),
        ];
        let base = signature_base_string("GET", &url, &params);
        assert!(base.ends_with("&a%2520b%3D2%26a-b%3D1"), "{base}");
    }

    #[test]
    fn query_and_form_parameters_are_both_signed_and_a_plus_in_the_query_is_a_space() {
        let url = Url::parse("https://api.twitter.com/1.1/x.json?q=a+b&z=%2B").unwrap();
        let form = vec![("f".to_string(), "c d".to_string())];
        let base = signature_base_string("POST", &url, &form);
        assert!(
            base.ends_with("&f%3Dc%2520d%26q%3Da%2520b%26z%3D%252B"),
            "{base}"
        );
    }

    #[test]
    fn the_base_url_keeps_a_non_default_port_and_drops_the_default_one() {
        let with_port = Url::parse("http://127.0.0.1:8080/1.1/x.json?y=1").unwrap();
        assert!(
            signature_base_string("GET", &with_port, &[])
                .starts_with("GET&http%3A%2F%2F127.0.0.1%3A8080%2F1.1%2Fx.json&")
        );
        let default_port = Url::parse("HTTPS://API.Twitter.com:443/1.1/x.json").unwrap();
        assert!(
            signature_base_string("GET", &default_port, &[])
                .starts_with("GET&https%3A%2F%2Fapi.twitter.com%2F1.1%2Fx.json&")
        );
    }

    #[test]
    fn without_a_token_there_is_no_oauth_token_and_the_key_ends_with_an_ampersand() {
        let url = Url::parse("https://api.twitter.com/oauth/request_token").unwrap();
        let header = example_signer().authorization(
            &SignatureRequest {
                method: "POST",
                url: &url,
                form: &[],
                extra_oauth: &[("oauth_callback", "oob".to_string())],
            },
            None,
        );
        let parsed = AuthorizationHeader::parse(&header).unwrap();
        assert_eq!(parsed.token(), None);
        assert_eq!(parsed.get("oauth_callback"), Some("oob"));
        assert!(verify(&parsed, "POST", &url, &[], CONSUMER_SECRET, None));
        assert!(verify(
            &parsed,
            "POST",
            &url,
            &[],
            CONSUMER_SECRET,
            Some("")
        ));
    }

    #[test]
    fn verify_accepts_what_the_signer_produced_and_refuses_any_change() {
        let header = example_header("api.twitter.com");
        let parsed = AuthorizationHeader::parse(&header).unwrap();
        let url =
            Url::parse("https://api.twitter.com/1.1/statuses/update.json?include_entities=true")
                .unwrap();
        let form = vec![(
            "status".to_string(),
            "Hello Ladies + Gentlemen, a signed OAuth request!".to_string(),
        )];
        assert!(verify(
            &parsed,
            "POST",
            &url,
            &form,
            CONSUMER_SECRET,
            Some(TOKEN_SECRET)
        ));
        assert!(!verify(
            &parsed,
            "GET",
            &url,
            &form,
            CONSUMER_SECRET,
            Some(TOKEN_SECRET)
        ));
        assert!(!verify(
            &parsed,
            "POST",
            &url,
            &[],
            CONSUMER_SECRET,
            Some(TOKEN_SECRET)
        ));
        assert!(!verify(
            &parsed,
            "POST",
            &url,
            &form,
            "wrong",
            Some(TOKEN_SECRET)
        ));
        assert!(!verify(
            &parsed,
            "POST",
            &url,
            &form,
            CONSUMER_SECRET,
            Some("wrong")
        ));
        let other = Url::parse("https://api.twitter.com/1.1/statuses/update.json").unwrap();
        assert!(!verify(
            &parsed,
            "POST",
            &other,
            &form,
            CONSUMER_SECRET,
            Some(TOKEN_SECRET)
        ));
    }

    #[test]
    fn header_parsing_refuses_malformed_headers() {
        assert_eq!(
            AuthorizationHeader::parse("Bearer x"),
            Err(HeaderError::NotOAuth)
        );
        assert!(matches!(
            AuthorizationHeader::parse("OAuth oauth_consumer_key=unquoted"),
            Err(HeaderError::Malformed(_))
        ));
        assert_eq!(
            AuthorizationHeader::parse("OAuth oauth_consumer_key=\"k\""),
            Err(HeaderError::Missing("oauth_signature"))
        );
        assert!(matches!(
            AuthorizationHeader::parse("OAuth a=\"1\", a=\"2\""),
            Err(HeaderError::Repeated(_))
        ));
    }

    #[test]
    fn debug_output_never_shows_secrets() {
        let c = ConsumerCredentials::new("consumer-key-1234", "consumer-secret-5678");
        let t = TokenCredentials::new("token-abcd", "token-secret-efgh");
        let printed = format!("{c:?} {t:?} {:?}", Signer::new(c.clone()));
        assert!(!printed.contains("secret-5678"), "{printed}");
        assert!(!printed.contains("secret-efgh"), "{printed}");
        assert!(!printed.contains("consumer-key-1234"), "{printed}");
        assert!(printed.contains("<redacted>"));
    }

    #[test]
    fn random_nonces_differ() {
        let n = RandomNonce;
        assert_ne!(n.nonce(), n.nonce());
        assert_eq!(n.nonce().len(), 32);
    }
}
