//! A test-only check of a received `Authorization: OAuth` header, to check the signer's output
//! round trip. Production code never verifies OAuth 1.0a: the simulator has its own verifier,
//! independent of the signer on purpose.

use std::collections::BTreeMap;
use std::fmt;

use percent_encoding::percent_decode_str;
use subtle::ConstantTimeEq;
use url::Url;

use super::{redact, sign, signature_base_string};
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

    pub fn token(&self) -> Option<&str> {
        self.get("oauth_token")
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
