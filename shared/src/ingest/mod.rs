//! The webhook front door, independent of any HTTP framework: the CRC answer and the ingestion
//! of signed Account Activity deliveries.
//!
//! The handlers take and return `http` types ([`edge::Request`], [`edge::Response`]), which the
//! Lambda functions (`functions/crc`, `functions/webhook`, through [`crate::lambda`]) and the
//! local server (axum) both speak.
//!
//! The parts: [`edge`] (the HTTP types and JSON responses), [`crc`] (the CRC answer),
//! [`verify`] (steps 1-3), [`plan`] (step 4), [`apply`] (step 5); this file the POST handler
//! that chains them and the router.
//!
//! What a POST goes through, in this order (each step only runs if the previous one passed):
//! 1. **Size.** A body over [`MAX_BODY_BYTES`] is refused with 413 before anything else looks at
//!    it (not even the HMAC runs over it).
//! 2. **Signature.** `x-twitter-webhooks-signature` over the raw bytes; any problem is a 401 and
//!    nothing is parsed or stored.
//! 3. **Envelope.** Not JSON, or not the envelope's shape: 400.
//! 4. **Classification** of every event (see [`plan_delivery`]), without touching the store.
//! 5. **Writes**, one at a time in event-id order. Only when every write succeeded does the
//!    handler answer 200, because Twitter never re-sends an event that got a 200. A store
//!    failure answers 503 (500 when retrying cannot help) so that Twitter delivers the whole
//!    batch again; the writes are idempotent (conditional on the event id), so the events that
//!    were stored before the failure come back as duplicates and are not processed twice.
//! 6. **The count** of a delivery X bills (an X Activity API `dm.received` that stored a new
//!    message) for `dmbot usage`, after the writes: best effort, bounded by
//!    [`apply::COUNT_TIMEOUT`], never a reason for another answer than 200.
//!
//! **Malformed events.** One event that cannot be parsed (a bad id, a missing field) is logged
//! (its position and the parse error, never its content) and skipped, and the rest of the batch
//! is processed and acknowledged with 200. Answering 400 instead would make Twitter re-send the
//! whole batch a few times and then drop it, losing the good events with the bad one; the bad
//! event would fail the same way on every retry.

pub mod activity;
pub mod apply;
pub mod crc;
pub mod edge;
pub mod plan;
pub mod verify;

use std::time::Instant;

pub use activity::plan_activity;
pub use apply::{apply_plan, count_billed_delivery};
pub use crc::{CrcResponse, handle_crc};
pub use edge::{ErrorBody, HeaderText, JSON_CONTENT_TYPE, Request, Response};
pub use plan::{Action, IngestSummary, Plan, plan_delivery};
pub use verify::{MAX_BODY_BYTES, Rejection, verify_and_plan};

use crate::store::usage::Usage;
use crate::store::{Conversations, Inbox, Outbox, Revocations};
use crate::twitter::signature::WebhookSecret;

/// What the webhook handler works with.
#[derive(Debug, Clone)]
pub struct WebhookDeps<S> {
    pub store: S,
    /// The app's consumer secret, as an HMAC key.
    pub secret: WebhookSecret,
    /// Our app's id (config `TWITTER_APP_ID`). When set, a message the account sent through
    /// this app is known to be the bot's own even before the dispatcher has recorded the id
    /// Twitter gave it (the echo can arrive first).
    pub app_id: Option<String>,
}

/// Handles a webhook POST end to end (see the module documentation for the steps and the
/// status codes). `now_ms` stamps the stored records.
#[tracing::instrument(
    name = "webhook_delivery",
    skip_all,
    fields(body_bytes = req.body().len(), for_user_id = tracing::field::Empty)
)]
pub async fn handle_webhook_post<S>(deps: &WebhookDeps<S>, req: &Request, now_ms: u64) -> Response
where
    S: Inbox + Outbox + Conversations + Revocations + Usage,
{
    let started = Instant::now();
    let plan = match verify_and_plan(
        &deps.secret,
        deps.app_id.as_deref(),
        req.headers(),
        req.body(),
    ) {
        Ok(plan) => plan,
        Err(rejection) => {
            tracing::warn!(
                status = rejection.status(),
                error = rejection.code(),
                body_bytes = req.body().len(),
                latency_us = started.elapsed().as_micros() as u64,
                "webhook delivery refused"
            );
            return rejection.to_response();
        }
    };
    let account_id = plan.account.clone();
    let billed_as = plan.billed_as;
    let account = account_id.as_ref().map_or("-", |a| a.as_str());
    tracing::Span::current().record("for_user_id", account);
    match apply_plan(&deps.store, plan, now_ms).await {
        Ok(summary) => {
            if let (Some(kind), Some(owner)) = (billed_as, &account_id)
                && summary.stored > 0
            {
                count_billed_delivery(&deps.store, owner, kind, now_ms).await;
            }
            tracing::info!(
                for_user_id = %account,
                stored = summary.stored,
                duplicates = summary.duplicates,
                bot_echoes = summary.bot_echoes,
                agent_messages = summary.agent_messages,
                ignored = summary.ignored,
                malformed = summary.malformed,
                typing = summary.typing,
                read_receipts = summary.read_receipts,
                accounts_forgotten = summary.accounts_forgotten,
                latency_us = started.elapsed().as_micros() as u64,
                "webhook delivery stored"
            );
            edge::json(200, &summary)
        }
        Err(error) => {
            let status = if error.is_transient() { 503 } else { 500 };
            tracing::error!(
                for_user_id = %account,
                status,
                error = %error,
                latency_us = started.elapsed().as_micros() as u64,
                "webhook delivery not stored; Twitter will retry it"
            );
            edge::error(
                status,
                "store_unavailable",
                "the events could not be stored; the delivery should be retried",
            )
        }
    }
}

/// Routes a request on the webhook path: `GET` is the CRC, `POST` a delivery, anything else
/// 405. For servers that put both on one handler (the local stack).
pub async fn handle_request<S>(deps: &WebhookDeps<S>, req: &Request, now_ms: u64) -> Response
where
    S: Inbox + Outbox + Conversations + Revocations + Usage,
{
    match *req.method() {
        http::Method::GET => handle_crc(&deps.secret, edge::raw_query(req)),
        http::Method::POST => handle_webhook_post(deps, req, now_ms).await,
        _ => edge::error(
            405,
            "method_not_allowed",
            "the webhook answers GET (CRC) and POST (events) only",
        ),
    }
}

#[cfg(test)]
mod tests;
