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
mod tests {
    use super::*;
    use proptest::prelude::*;

    const FIXTURE_SECRET: &str = "fixture-consumer-secret";

    #[test]
    fn signs_twitters_form_encoded_test_vector() {
        assert_eq!(
            WebhookSecret::new("test").sign(b"test=1&other_test=2"),
            "sha256=25Cu3iwbbiqBTwQRzcKJZwisjf736V2Q8UaTlkfLSoc="
        );
    }

    #[test]
    fn signs_twitters_json_test_vector() {
        assert_eq!(
            WebhookSecret::new("test").sign(br#"{"test_number":1,"test_string":"two"}"#),
            "sha256=YWHphPn/JFq43jkF0y4/w8R/SelmLjvpunhVFY8JhlI="
        );
    }

    #[test]
    fn crc_answer_for_the_fixture_token_matches_the_fixtures_readme() {
        assert_eq!(
            crc_response_token(
                FIXTURE_SECRET,
                &CrcToken::parse("cOXDuZN0ngs0hP4OEB9sC0jYjNHxBbyjJ5fpAh3pzWs=").unwrap()
            ),
            "sha256=csVzm5ramL8kQHmchJuir2bLUcQ/rl3P9DOMmRYuI7o="
        );
    }

    #[test]
    fn when_signature_matches_the_test_vector_should_verify() {
        let r = verify_signature(
            "test",
            Some("sha256=YWHphPn/JFq43jkF0y4/w8R/SelmLjvpunhVFY8JhlI="),
            br#"{"test_number":1,"test_string":"two"}"#,
        );
        assert_eq!(r, Ok(()));
    }

    #[test]
    fn when_fixture_post_body_is_signed_with_fixture_secret_should_verify() {
        let event: serde_json::Value = serde_json::from_str(include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../tests/fixtures/apigw_webhook_post.json"
        )))
        .unwrap();
        let body = event["body"].as_str().unwrap();
        let header = event["headers"][SIGNATURE_HEADER].as_str();
        assert_eq!(
            WebhookSecret::new(FIXTURE_SECRET).verify_body(header, body.as_bytes()),
            Ok(())
        );
        assert_eq!(
            WebhookSecret::new("another-secret").verify_body(header, body.as_bytes()),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn when_header_is_missing_or_blank_should_say_missing() {
        let s = WebhookSecret::new("test");
        assert_eq!(s.verify_body(None, b"x"), Err(SignatureError::Missing));
        assert_eq!(
            s.verify_body(Some("  "), b"x"),
            Err(SignatureError::Missing)
        );
    }

    #[test]
    fn when_header_has_no_equals_sign_should_say_malformed() {
        let r = WebhookSecret::new("test").verify_body(Some("sha256"), b"x");
        assert!(matches!(r, Err(SignatureError::Malformed { .. })), "{r:?}");
    }

    #[test]
    fn when_header_value_is_not_base64_should_say_malformed() {
        let r = WebhookSecret::new("test").verify_body(
            Some("sha256=!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!="),
            b"x",
        );
        assert!(matches!(r, Err(SignatureError::Malformed { .. })), "{r:?}");
    }

    #[test]
    fn when_header_value_has_the_wrong_length_should_say_malformed() {
        let r = WebhookSecret::new("test").verify_body(Some("sha256=AAAA"), b"x");
        assert!(matches!(r, Err(SignatureError::Malformed { .. })), "{r:?}");
    }

    #[test]
    fn when_header_names_sha1_should_say_unsupported_algorithm() {
        let r = WebhookSecret::new("test").verify_body(
            Some("sha1=YWHphPn/JFq43jkF0y4/w8R/SelmLjvpunhVFY8JhlI="),
            br#"{"test_number":1,"test_string":"two"}"#,
        );
        assert_eq!(
            r,
            Err(SignatureError::UnsupportedAlgorithm {
                algorithm: "sha1".to_string()
            })
        );
    }

    #[test]
    fn surrounding_whitespace_is_trimmed_but_the_algorithm_name_is_exact() {
        let body = br#"{"test_number":1,"test_string":"two"}"#;
        let s = WebhookSecret::new("test");
        let r = s.verify_body(
            Some(" sha256=YWHphPn/JFq43jkF0y4/w8R/SelmLjvpunhVFY8JhlI= "),
            body,
        );
        assert_eq!(r, Ok(()));
        let r = s.verify_body(
            Some("SHA256=YWHphPn/JFq43jkF0y4/w8R/SelmLjvpunhVFY8JhlI="),
            body,
        );
        assert!(
            matches!(r, Err(SignatureError::UnsupportedAlgorithm { .. })),
            "{r:?}"
        );
    }

    #[test]
    fn crc_query_signature_covers_the_raw_query_string() {
        let s = WebhookSecret::new(FIXTURE_SECRET);
        let query =
            "crc_token=cOXDuZN0ngs0hP4OEB9sC0jYjNHxBbyjJ5fpAh3pzWs%3D&nonce=MTUxOTIzNjM5NTk1NQ";
        let header = s.sign(query.as_bytes());
        assert_eq!(s.verify_crc_query(Some(&header), query), Ok(()));
        assert_eq!(
            s.verify_crc_query(Some(&header), "crc_token=other&nonce=MTUxOTIzNjM5NTk1NQ"),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            s.verify_crc_query(None, query),
            Err(SignatureError::Missing)
        );
    }

    #[test]
    fn debug_output_does_not_show_the_secret() {
        let shown = format!("{:?}", WebhookSecret::new("hunter2-secret"));
        assert!(!shown.contains("hunter2"), "{shown}");
    }

    proptest! {
        #[test]
        fn any_change_to_the_body_is_rejected(
            body in proptest::collection::vec(any::<u8>(), 1..512),
            index in any::<prop::sample::Index>(),
            flip in 1u8..=255,
        ) {
            let s = WebhookSecret::new(FIXTURE_SECRET);
            let header = s.sign(&body);
            let mut altered = body.clone();
            let i = index.index(altered.len());
            altered[i] ^= flip;
            prop_assert_eq!(s.verify_body(Some(&header), &body), Ok(()));
            prop_assert_eq!(s.verify_body(Some(&header), &altered), Err(SignatureError::Mismatch));
        }

        #[test]
        fn a_truncated_or_extended_body_is_rejected(
            body in proptest::collection::vec(any::<u8>(), 1..512),
            cut in any::<prop::sample::Index>(),
            extra in proptest::collection::vec(any::<u8>(), 1..16),
        ) {
            let s = WebhookSecret::new(FIXTURE_SECRET);
            let header = s.sign(&body);
            let truncated = &body[..cut.index(body.len())];
            prop_assert_eq!(s.verify_body(Some(&header), truncated), Err(SignatureError::Mismatch));
            let mut extended = body.clone();
            extended.extend_from_slice(&extra);
            prop_assert_eq!(s.verify_body(Some(&header), &extended), Err(SignatureError::Mismatch));
        }

        #[test]
        fn any_change_to_the_signature_is_rejected(
            body in proptest::collection::vec(any::<u8>(), 0..512),
            index in any::<prop::sample::Index>(),
            replacement in proptest::char::range('!', '~'),
        ) {
            let s = WebhookSecret::new(FIXTURE_SECRET);
            let header = s.sign(&body);
            let i = index.index(header.len());
            prop_assume!(header.as_bytes()[i] != replacement as u8);
            // Base64 has spare bits in its last character; the decoder refuses non-canonical
            // encodings, so no other spelling of the same tag gets through.
            let mut altered = header.clone().into_bytes();
            altered[i] = replacement as u8;
            let altered = String::from_utf8(altered).unwrap();
            prop_assert!(s.verify_body(Some(&altered), &body).is_err(), "accepted {altered}");
        }

        #[test]
        fn arbitrary_headers_never_panic(header in ".{0,80}", body in proptest::collection::vec(any::<u8>(), 0..64)) {
            let _ = WebhookSecret::new(FIXTURE_SECRET).verify_body(Some(&header), &body);
        }
    }
}
