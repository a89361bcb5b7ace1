//! The Challenge-Response Check: Twitter's `GET <webhook>?crc_token=...`, answered with the
//! HMAC of the token under the consumer secret.

use serde::{Deserialize, Serialize};

use super::edge::{self, Response};
use crate::twitter::signature::{CrcToken, WebhookSecret};

/// The CRC answer body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CrcResponse {
    pub response_token: String,
}

/// Answers Twitter's Challenge-Response Check: `GET ?crc_token=<token>` →
/// 200 `{"response_token":"sha256=<base64 HMAC>"}`.
///
/// The query is percent-decoded as a form (`%3D` → `=`, `+` → space) before hashing: the token
/// Twitter hashes is the decoded one. Only tokens of Twitter's shape are answered (a
/// [`CrcToken`]); anything else is 400, because answering it would make this public endpoint sign
/// forged deliveries (docs/SECURITY.md). The optional signature on the GET is not checked here
/// (see [`WebhookSecret::verify_crc_query`]). Nothing but the consumer secret is needed, so the
/// CRC function can start without a database client.
pub fn handle_crc(secret: &WebhookSecret, raw_query: &str) -> Response {
    let token = url::form_urlencoded::parse(raw_query.as_bytes())
        .find(|(name, _)| name == "crc_token")
        .map(|(_, value)| value);
    let response = match token.as_deref().map(CrcToken::parse) {
        None => edge::error(
            400,
            "crc_token_missing",
            "the query has no crc_token; Twitter sends GET <webhook>?crc_token=<token>",
        ),
        Some(Err(refused)) => edge::error(400, refused.code(), &refused),
        Some(Ok(token)) => edge::json(
            200,
            &CrcResponse {
                response_token: secret.crc_response_token(&token),
            },
        ),
    };
    tracing::info!(status = response.status().as_u16(), "crc answered");
    response
}
