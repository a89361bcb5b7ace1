//! Webhook security: CRC answers and signature checks.
//!
//! Twitter proves two things to a webhook, both with HMAC-SHA256 keyed with the app's **consumer
//! secret** (docs/TWITTER-API.md §1):
//!
//! - **The Challenge-Response Check (CRC).** Twitter sends `GET <webhook>?crc_token=<token>` when
//!   the webhook is registered, when an operator re-validates it and periodically. The webhook must
//!   answer 200 with `{"response_token":"sha256=<base64(HMAC(consumer_secret, token))>"}` within
//!   3 seconds, or Twitter **stops delivering events** until someone re-validates.
//! - **The signature of every POST.** `x-twitter-webhooks-signature: sha256=<base64(HMAC(...,
//!   raw body))>`. The hash covers the raw bytes exactly as they arrived, never a re-serialised
//!   JSON, so it is checked before anything parses the body. A missing or malformed header is a
//!   rejection, not a pass, and the comparison runs in constant time so that an attacker cannot
//!   learn the expected value byte by byte from response times.
//!
//! [`WebhookSecret`] holds the HMAC already keyed (the key's inner and outer pads are computed
//! once per container, not once per request); the free functions are conveniences for one-off use.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The header that carries the signature of a webhook delivery (lower case, as HTTP/2 and
/// API Gateway hand header names over).
pub const SIGNATURE_HEADER: &str = "x-twitter-webhooks-signature";

/// The only algorithm Twitter uses, written before the `=` in the signature header.
const ALGORITHM: &str = "sha256";

/// Length of an HMAC-SHA256 tag in bytes.
const TAG_LEN: usize = 32;

type HmacSha256 = Hmac<Sha256>;

/// Why a signature was refused. Each variant is a different operator problem, so they are kept
/// apart (and reported apart in the 401 body and the logs).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// No `x-twitter-webhooks-signature` header at all: the request did not come from Twitter
    /// (or a proxy stripped the header).
    #[error(
        "the request carries no x-twitter-webhooks-signature header; Twitter signs every delivery, \
         so this request did not come from Twitter or a proxy removed the header"
    )]
    Missing,
    /// The header is not of the form `sha256=<base64 of 32 bytes>`.
    #[error(
        "the x-twitter-webhooks-signature header is malformed ({reason}); expected sha256=<base64 of a 32-byte HMAC>"
    )]
    Malformed { reason: &'static str },
    /// The header names another algorithm than `sha256`.
    #[error(
        "the x-twitter-webhooks-signature header uses algorithm {algorithm:?}; only sha256 is accepted"
    )]
    UnsupportedAlgorithm { algorithm: String },
    /// Well-formed, but not the HMAC of this body under our consumer secret: either a forgery,
    /// a body altered on the way, or the webhook runs with another app's consumer secret.
    #[error(
        "the x-twitter-webhooks-signature does not match the body; check that the webhook runs with \
         the consumer secret of the app that registered it"
    )]
    Mismatch,
}

impl SignatureError {
    /// A short stable code for response bodies and log fields.
    pub fn code(&self) -> &'static str {
        match self {
            SignatureError::Missing => "signature_missing",
            SignatureError::Malformed { .. } => "signature_malformed",
            SignatureError::UnsupportedAlgorithm { .. } => "signature_algorithm_unsupported",
            SignatureError::Mismatch => "signature_mismatch",
        }
    }
}

/// The app's consumer secret, as an HMAC-SHA256 key ready to use. `Debug` never shows it.
#[derive(Clone)]
pub struct WebhookSecret {
    mac: HmacSha256,
}

impl std::fmt::Debug for WebhookSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WebhookSecret(<redacted>)")
    }
}

impl WebhookSecret {
    /// Keys the HMAC with the consumer secret (the "API key secret" in Twitter's developer
    /// portal).
    pub fn new(consumer_secret: &str) -> Self {
        // HMAC accepts keys of every length (long keys are hashed first): this cannot fail.
        let mac = match <HmacSha256 as Mac>::new_from_slice(consumer_secret.as_bytes()) {
            Ok(mac) => mac,
            Err(_) => unreachable!("HMAC-SHA256 accepts keys of any length"),
        };
        Self { mac }
    }

    fn tag(&self, message: &[u8]) -> [u8; TAG_LEN] {
        let mut mac = self.mac.clone();
        mac.update(message);
        mac.finalize().into_bytes().into()
    }

    /// `sha256=<base64(HMAC-SHA256(consumer_secret, message))>`: the form of both the CRC
    /// answer and the signature header.
    ///
    /// Whoever can make this sign a message of their choice can forge a delivery: never call it
    /// on unauthenticated input (the CRC goes through [`CrcToken`]). Tests and the simulator use
    /// it to sign deliveries.
    pub fn sign(&self, message: &[u8]) -> String {
        let mut out = String::with_capacity(ALGORITHM.len() + 1 + 44);
        out.push_str(ALGORITHM);
        out.push('=');
        BASE64.encode_string(self.tag(message), &mut out);
        out
    }

    /// The `response_token` a CRC GET must be answered with. Only a [`CrcToken`] can be
    /// answered: an arbitrary string would turn the CRC into a signing oracle (see [`CrcToken`]).
    pub fn crc_response_token(&self, crc_token: &CrcToken) -> String {
        self.sign(crc_token.as_str().as_bytes())
    }

    /// Checks a delivery's `x-twitter-webhooks-signature` header against the **raw** body bytes.
    /// `header` is the header's value, `None` when the request had none.
    pub fn verify_body(&self, header: Option<&str>, raw_body: &[u8]) -> Result<(), SignatureError> {
        self.verify(header, raw_body)
    }

    /// Checks the optional signature Twitter may put on a CRC GET, which covers the raw query
    /// string (`crc_token=...&nonce=...`, exactly as sent, still percent-encoded).
    ///
    /// The CRC handler does not require it: Twitter documents it only in passing and a proxy that
    /// re-encodes the query would make a valid CRC fail, and a failed CRC stops all deliveries.
    /// A forged CRC answer reveals nothing (it is an HMAC of the attacker's own token).
    pub fn verify_crc_query(
        &self,
        header: Option<&str>,
        raw_query: &str,
    ) -> Result<(), SignatureError> {
        self.verify(header, raw_query.as_bytes())
    }

    fn verify(&self, header: Option<&str>, message: &[u8]) -> Result<(), SignatureError> {
        let expected = parse_signature_header(header)?;
        let mut mac = self.mac.clone();
        mac.update(message);
        // `verify_slice` compares in constant time.
        mac.verify_slice(&expected)
            .map_err(|_| SignatureError::Mismatch)
    }
}

/// Splits `sha256=<base64>` and decodes the tag. Everything that is not exactly that is refused.
fn parse_signature_header(header: Option<&str>) -> Result<[u8; TAG_LEN], SignatureError> {
    let value = header.ok_or(SignatureError::Missing)?.trim();
    if value.is_empty() {
        return Err(SignatureError::Missing);
    }
    let Some((algorithm, encoded)) = value.split_once('=') else {
        return Err(SignatureError::Malformed {
            reason: "no '=' between the algorithm and the value",
        });
    };
    if algorithm != ALGORITHM {
        if algorithm.is_empty() {
            return Err(SignatureError::Malformed {
                reason: "no algorithm before '='",
            });
        }
        return Err(SignatureError::UnsupportedAlgorithm {
            // An algorithm name is short and not secret; cap it anyway, it comes from outside.
            algorithm: algorithm.chars().take(16).collect(),
        });
    }
    // A base64 SHA-256 tag is 44 characters; decode into a fixed buffer, refusing anything
    // longer before decoding.
    if encoded.len() != 44 {
        return Err(SignatureError::Malformed {
            reason: "the value is not 44 base64 characters (32 bytes)",
        });
    }
    let mut tag = [0u8; TAG_LEN + 2];
    match BASE64.decode_slice(encoded, &mut tag) {
        Ok(TAG_LEN) => {}
        Ok(_) => {
            return Err(SignatureError::Malformed {
                reason: "the value does not decode to 32 bytes",
            });
        }
        Err(_) => {
            return Err(SignatureError::Malformed {
                reason: "the value is not valid base64",
            });
        }
    }
    let mut out = [0u8; TAG_LEN];
    out.copy_from_slice(&tag[..TAG_LEN]);
    Ok(out)
}

/// The CRC answer for `crc_token`: `sha256=<base64(HMAC-SHA256(key=consumer_secret, msg=token))>`.
/// For repeated use, build a [`WebhookSecret`] once instead.
pub fn crc_response_token(consumer_secret: &str, crc_token: &CrcToken) -> String {
    WebhookSecret::new(consumer_secret).crc_response_token(crc_token)
}

/// The longest `crc_token` answered. Twitter's are 44 to 48 base64 characters (32 random bytes);
/// the margin allows for a longer nonce without letting the CRC sign arbitrary data.
pub const CRC_TOKEN_MAX_LEN: usize = 128;

/// A `crc_token` that looks like one Twitter sends: 1 to [`CRC_TOKEN_MAX_LEN`] characters of the
/// base64 and base64url alphabets (`A-Z a-z 0-9 + / = - _`).
///
/// **Why the CRC refuses everything else.** The CRC answer and the signature of a delivery are the
/// same function, `sha256=base64(HMAC-SHA256(consumer secret, message))`, and the CRC endpoint is
/// public. A CRC that answered any token would sign any body an attacker sends as the token, and
/// the answer is a valid `x-twitter-webhooks-signature` for that body: a forged revoke, customer
/// message or agent message. A delivery is a JSON object, which needs `{` and `"`, and neither is in
/// this alphabet, so no token the CRC answers is a body the webhook accepts (a property test in
/// `ingest` checks exactly that). The type makes the rule hold by construction: the CRC can sign
/// only a `CrcToken`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrcToken(String);

/// Why a `crc_token` was refused (the CRC answers 400 with the code).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CrcTokenError {
    #[error("the crc_token parameter is empty")]
    Empty,
    #[error(
        "the crc_token is {len} characters long; Twitter's are about 48 and at most \
         {CRC_TOKEN_MAX_LEN} are answered"
    )]
    TooLong { len: usize },
    #[error(
        "the crc_token has a character outside the base64 alphabet (A-Z a-z 0-9 + / = - _); \
         Twitter's tokens never do, and answering it could sign a forged delivery. A '+' that \
         arrived unencoded reads as a space: Twitter sends it as %2B"
    )]
    NotBase64,
}

impl CrcTokenError {
    /// A short stable code for the 400 body and the logs.
    pub fn code(&self) -> &'static str {
        match self {
            CrcTokenError::Empty => "crc_token_empty",
            CrcTokenError::TooLong { .. } => "crc_token_too_long",
            CrcTokenError::NotBase64 => "crc_token_not_base64",
        }
    }
}

impl CrcToken {
    /// Accepts `token` (already percent-decoded) only when it has the shape of Twitter's tokens.
    pub fn parse(token: &str) -> Result<Self, CrcTokenError> {
        if token.is_empty() {
            return Err(CrcTokenError::Empty);
        }
        // Every allowed character is ASCII, so the byte length is the character count once the
        // alphabet check passes; check the length on bytes first so a huge token costs nothing.
        if token.len() > CRC_TOKEN_MAX_LEN {
            return Err(CrcTokenError::TooLong {
                len: token.chars().count(),
            });
        }
        let allowed =
            |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=' | b'-' | b'_');
        if !token.bytes().all(allowed) {
            return Err(CrcTokenError::NotBase64);
        }
        Ok(Self(token.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Checks a delivery's signature header against the raw body. For repeated use, build a
/// [`WebhookSecret`] once instead.
pub fn verify_signature(
    consumer_secret: &str,
    header: Option<&str>,
    raw_body: &[u8],
) -> Result<(), SignatureError> {
    WebhookSecret::new(consumer_secret).verify_body(header, raw_body)
}

#[cfg(test)]
mod tests;
