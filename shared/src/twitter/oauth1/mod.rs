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
//! signer can be checked against Twitter's worked example. Checking a received header is the
//! simulator's job, with its own independent verifier; the tests here carry a small one
//! (`verify.rs`) to check the signer's output round trip.
//!
//! - `signer.rs`: the base string, the HMAC and the `Authorization` header.
//! - `sources.rs`: where timestamps and nonces come from.

mod signer;
mod sources;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod verify;

use std::fmt;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

pub use signer::{
    SignatureRequest, Signer, bearer_credentials_header, sign, signature_base_string,
};
pub use sources::{Clock, NonceSource, RandomNonce, SystemClock};
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
