//! Steps 1 to 4 of a POST, pure (no store, no clock): size, signature, the delivery (an Account
//! Activity envelope or an X Activity API event, told apart by shape), then [`plan_delivery`]
//! or [`plan_activity`]. A failure is a [`Rejection`], answered before any write.

use super::activity::plan_activity;
use super::edge::{self, Response};
use super::plan::{Plan, plan_delivery};
use crate::twitter::envelope::EnvelopeError;
use crate::twitter::signature::{SIGNATURE_HEADER, SignatureError, WebhookSecret};
use crate::twitter::xaa::Delivery;

/// The largest webhook body accepted: 1 MiB. Twitter's deliveries are a few kilobytes (a batch
/// of DMs with their users); anything much bigger is not Twitter and is refused before the HMAC
/// spends time on it.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// Why a delivery was refused before any write.
#[derive(Debug, thiserror::Error)]
pub enum Rejection {
    #[error("the body is {size} bytes, over the {MAX_BODY_BYTES}-byte limit")]
    TooLarge { size: usize },
    #[error(transparent)]
    Signature(#[from] SignatureError),
    #[error(transparent)]
    Envelope(#[from] EnvelopeError),
}

impl Rejection {
    pub fn status(&self) -> u16 {
        match self {
            Rejection::TooLarge { .. } => 413,
            Rejection::Signature(_) => 401,
            Rejection::Envelope(_) => 400,
        }
    }

    /// A stable code for the response body and the logs.
    pub fn code(&self) -> &'static str {
        match self {
            Rejection::TooLarge { .. } => "body_too_large",
            Rejection::Signature(e) => e.code(),
            Rejection::Envelope(EnvelopeError::NotJson { .. }) => "body_not_json",
            Rejection::Envelope(EnvelopeError::WrongShape { .. }) => "envelope_wrong_shape",
            Rejection::Envelope(EnvelopeError::MissingForUserId) => "for_user_id_missing",
        }
    }

    pub fn to_response(&self) -> Response {
        edge::error(self.status(), self.code(), self)
    }
}

/// Steps 1 to 4 of a POST: size, signature, envelope, classification. Pure (no store, no
/// clock), so it is what the benchmark measures.
pub fn verify_and_plan(
    secret: &WebhookSecret,
    app_id: Option<&str>,
    headers: &http::HeaderMap,
    body: &[u8],
) -> Result<Plan, Rejection> {
    if body.len() > MAX_BODY_BYTES {
        return Err(Rejection::TooLarge { size: body.len() });
    }
    // A value that is not valid text is read lossily, so that it is reported as malformed
    // rather than missing.
    let signature = headers
        .get(SIGNATURE_HEADER)
        .map(|v| String::from_utf8_lossy(v.as_bytes()));
    secret.verify_body(signature.as_deref(), body)?;
    match Delivery::parse(body)? {
        Delivery::AccountActivity(envelope) => Ok(plan_delivery(&envelope, app_id)),
        Delivery::Activity(event) => Ok(plan_activity(&event, app_id)?),
    }
}
