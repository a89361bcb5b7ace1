//! The webhook front door, independent of any HTTP framework: the CRC answer and the ingestion
//! of signed Account Activity deliveries.
//!
//! The Lambda functions (`functions/crc`, `functions/webhook`, through [`crate::lambda`]) and the
//! local server turn their requests into [`HttpRequestParts`] and send back the
//! [`HttpResponse`] these handlers return.
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
//!
//! **Malformed events.** One event that cannot be parsed (a bad id, a missing field) is logged
//! (its position and the parse error, never its content) and skipped, and the rest of the batch
//! is processed and acknowledged with 200. Answering 400 instead would make Twitter re-send the
//! whole batch a few times and then drop it, losing the good events with the bad one; the bad
//! event would fail the same way on every retry.

use std::time::Instant;

use bytes::Bytes;
use serde::{Deserialize, Serialize};

use crate::domain::{
    AccountEcho, AccountId, AgentActivity, ConversationKey, InboundMedia, InboundMessage,
    InboundRecord,
};
use crate::store::{Conversations, Inbox, Outbox, PutOutcome, Revocations, StoreError};
use crate::twitter::envelope::{
    DirectMessageEvent, Envelope, EnvelopeError, MessageData, truncate,
};
use crate::twitter::signature::{CrcToken, SIGNATURE_HEADER, SignatureError, WebhookSecret};

/// The largest webhook body accepted: 1 MiB. Twitter's deliveries are a few kilobytes (a batch
/// of DMs with their users); anything much bigger is not Twitter and is refused before the HMAC
/// spends time on it.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// The content type of every response: JSON, as Twitter requires for the CRC answer.
pub const JSON_CONTENT_TYPE: &str = "application/json";

/// Request headers the handlers look at. Names are compared case-insensitively.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Headers {
    /// (lower-cased name, value)
    entries: Vec<(String, String)>,
}

impl Headers {
    /// The headers worth copying from a full request: the signature and the content type.
    pub const KEPT: [&'static str; 2] = [SIGNATURE_HEADER, "content-type"];

    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a header (a repeated name keeps the first value for [`Headers::get`]).
    pub fn insert(&mut self, name: &str, value: impl Into<String>) {
        self.entries.push((name.to_ascii_lowercase(), value.into()));
    }

    /// Builder form of [`Headers::insert`].
    pub fn with(mut self, name: &str, value: impl Into<String>) -> Self {
        self.insert(name, value);
        self
    }

    /// The first value of the header `name`, whatever its case.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.entries
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Copies the headers in [`Headers::KEPT`] from an `http` header map. A value that is not
    /// valid text is kept (lossily) so that it is reported as malformed rather than missing.
    pub fn from_http(map: &http::HeaderMap) -> Self {
        let mut headers = Headers::new();
        for name in Self::KEPT {
            if let Some(value) = map.get(name) {
                headers.insert(name, String::from_utf8_lossy(value.as_bytes()));
            }
        }
        headers
    }
}

/// What the handlers need from an HTTP request.
#[derive(Debug, Clone)]
pub struct HttpRequestParts {
    pub method: http::Method,
    /// The query string exactly as received (still percent-encoded), without the `?`.
    pub raw_query: String,
    pub headers: Headers,
    /// The body's raw bytes, exactly as the client sent them (already base64-decoded when the
    /// gateway encoded it).
    pub body: Bytes,
}

/// What the handlers answer. Bodies are JSON.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpResponse {
    pub status: u16,
    pub content_type: &'static str,
    pub body: String,
}

/// The body of every error response: a stable code and a sentence for people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub error: String,
    pub detail: String,
}

impl HttpResponse {
    /// A JSON response.
    pub fn json<T: Serialize>(status: u16, value: &T) -> Self {
        match serde_json::to_string(value) {
            Ok(body) => HttpResponse {
                status,
                content_type: JSON_CONTENT_TYPE,
                body,
            },
            // Our own response types always serialize; answer 500 rather than panic if not.
            Err(_) => HttpResponse {
                status: 500,
                content_type: JSON_CONTENT_TYPE,
                body: r#"{"error":"internal","detail":"the response could not be encoded"}"#
                    .to_string(),
            },
        }
    }

    /// `{"error": code, "detail": detail}` with the given status.
    pub fn error(status: u16, code: &str, detail: impl std::fmt::Display) -> Self {
        Self::json(
            status,
            &ErrorBody {
                error: code.to_string(),
                detail: detail.to_string(),
            },
        )
    }
}

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
pub fn handle_crc(secret: &WebhookSecret, raw_query: &str) -> HttpResponse {
    let token = url::form_urlencoded::parse(raw_query.as_bytes())
        .find(|(name, _)| name == "crc_token")
        .map(|(_, value)| value);
    let response = match token.as_deref().map(CrcToken::parse) {
        None => HttpResponse::error(
            400,
            "crc_token_missing",
            "the query has no crc_token; Twitter sends GET <webhook>?crc_token=<token>",
        ),
        Some(Err(refused)) => HttpResponse::error(400, refused.code(), &refused),
        Some(Ok(token)) => HttpResponse::json(
            200,
            &CrcResponse {
                response_token: secret.crc_response_token(&token),
            },
        ),
    };
    tracing::info!(status = response.status, "crc answered");
    response
}

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

/// Counts of what one delivery contained and what became of it: the body of the 200 answer and
/// the fields of the log line.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IngestSummary {
    /// Customer messages stored for the dispatcher.
    pub stored: u32,
    /// Customer messages already stored by an earlier delivery (a retry): nothing written.
    pub duplicates: u32,
    /// The bot's own replies coming back: ignored.
    pub bot_echoes: u32,
    /// Messages a person wrote from the account: recorded as a hand-over signal.
    pub agent_messages: u32,
    /// Direct Message events that are not messages for this account (other `type`s, or neither
    /// sender nor recipient is the account).
    pub ignored: u32,
    /// Events that could not be parsed: logged and skipped.
    pub malformed: u32,
    /// Typing indicators: acknowledged, nothing stored.
    pub typing: u32,
    /// Read receipts: acknowledged, nothing stored.
    pub read_receipts: u32,
    /// `user_event.revoke`s processed: the revoking user's record and tokens are gone and the
    /// removal of the rest of their data is queued (done asynchronously, see
    /// [`crate::forget`]).
    pub accounts_forgotten: u32,
}

/// One thing to do with the store, decided from the delivery alone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// A customer wrote to the account: store it for the dispatcher.
    StoreInbound(InboundMessage),
    /// The account itself wrote, not through our app as far as the delivery says: the bot's
    /// reply (if the outbox knows the id) or a person answering (a hand-over). Its echo is
    /// recorded as a receipt either way.
    AccountWrote(AgentActivity),
    /// The echo of a message the bot sent through our app (`source_app_id`): recorded as the
    /// send's receipt in its conversation (`docs/DISPATCH.md`).
    BotEcho(AccountEcho),
    /// A user revoked our app's access: delete their tokens now, queue the removal of the rest.
    ForgetAccount(AccountId),
}

impl Action {
    /// Sort key: messages by event id (snowflakes grow with time), account removals last.
    fn order(&self) -> (u8, u128) {
        match self {
            Action::StoreInbound(m) => (0, m.event_id.numeric()),
            Action::AccountWrote(a) => (0, a.event_id.numeric()),
            Action::BotEcho(e) => (0, e.event_id.numeric()),
            Action::ForgetAccount(_) => (1, 0),
        }
    }
}

/// A classified delivery: the writes to make and the counts of what needs none.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    /// The subscribed account, when the delivery names one.
    pub account: Option<AccountId>,
    /// In the order they must run.
    pub actions: Vec<Action>,
    pub summary: IngestSummary,
}

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

    pub fn to_response(&self) -> HttpResponse {
        HttpResponse::error(self.status(), self.code(), self)
    }
}

/// Steps 1 to 4 of a POST: size, signature, envelope, classification. Pure (no store, no
/// clock), so it is what the benchmark measures.
pub fn verify_and_plan(
    secret: &WebhookSecret,
    app_id: Option<&str>,
    headers: &Headers,
    body: &[u8],
) -> Result<Plan, Rejection> {
    if body.len() > MAX_BODY_BYTES {
        return Err(Rejection::TooLarge { size: body.len() });
    }
    secret.verify_body(headers.get(SIGNATURE_HEADER), body)?;
    let envelope = Envelope::parse(body)?;
    Ok(plan_delivery(&envelope, app_id))
}

/// Decides what each event of a delivery means for the account `for_user_id = A`
/// (docs/TWITTER-API.md §2, "Who wrote a message"):
///
/// - `sender != A`, `recipient == A`: a customer wrote: [`Action::StoreInbound`], with the
///   customer's names from `users`;
/// - `sender == A` through our own app (`source_app_id` equals `app_id`): the bot's reply
///   coming back: [`Action::BotEcho`], its receipt;
/// - `sender == A` otherwise: [`Action::AccountWrote`]; the outbox decides between a bot reply
///   and a person;
/// - anything else (not a `message_create`, a note to self, not about A): ignored.
///
/// Typing and read events are counted only. `user_event.revoke` gives
/// [`Action::ForgetAccount`]. Malformed events are counted, logged and skipped. Actions are
/// ordered by event id so that, within a conversation, the inbox and the hand-over signal are
/// written in the order Twitter created the messages (an agent's message just before a customer's
/// is recorded before the customer's is queued).
pub fn plan_delivery(envelope: &Envelope<'_>, app_id: Option<&str>) -> Plan {
    let mut plan = Plan {
        account: envelope.for_user_id.clone(),
        ..Plan::default()
    };
    if let Some(account) = &envelope.for_user_id {
        for (index, item) in envelope.direct_message_events.iter().enumerate() {
            match item.parse() {
                Ok(event) => classify_message(envelope, account, app_id, event, &mut plan),
                Err(error) => {
                    plan.summary.malformed += 1;
                    tracing::warn!(
                        index,
                        error = %truncate(error.to_string(), 200),
                        "skipping a malformed direct_message_events item"
                    );
                }
            }
        }
    }
    for item in &envelope.direct_message_indicate_typing_events {
        plan.summary.typing += 1;
        if let Ok(typing) = item.parse() {
            tracing::debug!(sender = %typing.sender_id, "typing indicator acknowledged");
        }
    }
    for item in &envelope.direct_message_mark_read_events {
        plan.summary.read_receipts += 1;
        if let Ok(read) = item.parse() {
            tracing::debug!(
                sender = %read.sender_id,
                last_read = %read.last_read_event_id,
                "read receipt acknowledged"
            );
        }
    }
    if let Some(item) = &envelope.user_event {
        match item.parse() {
            Ok(user_event) => {
                if let Some(revoke) = user_event.revoke {
                    plan.actions
                        .push(Action::ForgetAccount(revoke.source.user_id));
                }
            }
            Err(error) => {
                plan.summary.malformed += 1;
                tracing::warn!(
                    error = %truncate(error.to_string(), 200),
                    "skipping a malformed user_event"
                );
            }
        }
    }
    plan.actions.sort_by_key(Action::order);
    plan
}

fn classify_message(
    envelope: &Envelope<'_>,
    account: &AccountId,
    app_id: Option<&str>,
    event: DirectMessageEvent,
    plan: &mut Plan,
) {
    if event.kind != DirectMessageEvent::MESSAGE_CREATE {
        plan.summary.ignored += 1;
        tracing::debug!(kind = %truncate(event.kind, 40), event = %event.id, "ignoring a direct message event that is not a message");
        return;
    }
    let Some(created) = event.message_create else {
        plan.summary.malformed += 1;
        tracing::warn!(event = %event.id, "skipping a message_create event without message_create");
        return;
    };
    let sender = created.sender_id;
    let recipient = created.target.recipient_id;
    if &sender != account {
        if &recipient != account {
            plan.summary.ignored += 1;
            tracing::warn!(event = %event.id, "ignoring a message neither sent nor received by the subscribed account");
            return;
        }
        let customer = envelope.user(&sender);
        let message = InboundMessage {
            event_id: event.id,
            conversation: ConversationKey::new(account.clone(), sender),
            created_ms: event.created_timestamp,
            media: media_of(&created.message_data),
            text: created.message_data.text,
            quick_reply_metadata: created
                .message_data
                .quick_reply_response
                .and_then(|q| q.metadata),
            welcome_message_id: event.initiated_via.and_then(|i| i.welcome_message_id),
            customer_screen_name: customer.as_ref().and_then(|u| u.screen_name.clone()),
            customer_name: customer.and_then(|u| u.name),
        };
        plan.actions.push(Action::StoreInbound(message));
        return;
    }
    if &recipient == account {
        plan.summary.ignored += 1;
        tracing::debug!(event = %event.id, "ignoring a message from the account to itself");
        return;
    }
    if app_id.is_some() && created.source_app_id.as_deref() == app_id {
        plan.actions.push(Action::BotEcho(AccountEcho {
            event_id: event.id,
            conversation: ConversationKey::new(account.clone(), recipient),
            created_ms: event.created_timestamp,
            from_our_app: true,
        }));
        return;
    }
    plan.actions.push(Action::AccountWrote(AgentActivity {
        event_id: event.id,
        conversation: ConversationKey::new(account.clone(), recipient),
        created_ms: event.created_timestamp,
    }));
}

/// The media of a message, when it has a usable one. A media attachment without an id or a URL
/// is logged and dropped: the text still reaches the bot.
fn media_of(data: &MessageData) -> Option<InboundMedia> {
    let attachment = data.attachment.as_ref()?;
    if attachment.kind != "media" {
        return None;
    }
    let media = attachment.media.as_ref();
    let id = media.and_then(|m| m.id_str.clone());
    let url = media.and_then(|m| m.media_url_https.clone().or_else(|| m.media_url.clone()));
    match (id, url) {
        (Some(id), Some(url)) => Some(InboundMedia {
            id,
            url,
            kind: media
                .and_then(|m| m.kind.clone())
                .unwrap_or_else(|| "photo".to_string()),
        }),
        _ => {
            tracing::warn!("dropping a media attachment without id_str or media URL");
            None
        }
    }
}

/// Step 5: runs the plan's writes in order, stopping at the first store failure.
pub async fn apply_plan<S>(store: &S, plan: Plan, now_ms: u64) -> Result<IngestSummary, StoreError>
where
    S: Inbox + Outbox + Conversations + Revocations,
{
    let mut summary = plan.summary;
    for action in plan.actions {
        match action {
            Action::StoreInbound(message) => {
                let record = InboundRecord::pending(message, now_ms);
                match store.put_inbound(&record).await? {
                    PutOutcome::Inserted => summary.stored += 1,
                    PutOutcome::Duplicate => summary.duplicates += 1,
                }
            }
            Action::BotEcho(echo) => {
                store.record_echo(&echo, now_ms).await?;
                summary.bot_echoes += 1;
            }
            Action::AccountWrote(activity) => {
                let ours = store
                    .is_sent_by_bot(&activity.conversation, &activity.event_id)
                    .await?;
                let echo = AccountEcho {
                    event_id: activity.event_id.clone(),
                    conversation: activity.conversation.clone(),
                    created_ms: activity.created_ms,
                    from_our_app: ours,
                };
                store.record_echo(&echo, now_ms).await?;
                if ours {
                    summary.bot_echoes += 1;
                } else {
                    store.record_agent_activity(&activity).await?;
                    summary.agent_messages += 1;
                    tracing::info!(
                        conversation = %activity.conversation,
                        event = %activity.event_id,
                        "a person wrote from the account: hand-over signal recorded"
                    );
                }
            }
            Action::ForgetAccount(account) => {
                store.revoke_account(&account, now_ms).await?;
                summary.accounts_forgotten += 1;
                tracing::info!(account = %account, "access revoked: tokens removed, data removal queued");
            }
        }
    }
    Ok(summary)
}

/// Handles a webhook POST end to end (see the module documentation for the steps and the
/// status codes). `now_ms` stamps the stored records.
pub async fn handle_webhook_post<S>(
    deps: &WebhookDeps<S>,
    req: &HttpRequestParts,
    now_ms: u64,
) -> HttpResponse
where
    S: Inbox + Outbox + Conversations + Revocations,
{
    let started = Instant::now();
    let plan = match verify_and_plan(
        &deps.secret,
        deps.app_id.as_deref(),
        &req.headers,
        &req.body,
    ) {
        Ok(plan) => plan,
        Err(rejection) => {
            tracing::warn!(
                status = rejection.status(),
                error = rejection.code(),
                body_bytes = req.body.len(),
                latency_us = started.elapsed().as_micros() as u64,
                "webhook delivery refused"
            );
            return rejection.to_response();
        }
    };
    let account_id = plan.account.clone();
    let account = account_id.as_ref().map_or("-", |a| a.as_str());
    match apply_plan(&deps.store, plan, now_ms).await {
        Ok(summary) => {
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
            HttpResponse::json(200, &summary)
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
            HttpResponse::error(
                status,
                "store_unavailable",
                "the events could not be stored; the delivery should be retried",
            )
        }
    }
}

/// Routes a request on the webhook path: `GET` is the CRC, `POST` a delivery, anything else
/// 405. For servers that put both on one handler (the local stack).
pub async fn handle_request<S>(
    deps: &WebhookDeps<S>,
    req: &HttpRequestParts,
    now_ms: u64,
) -> HttpResponse
where
    S: Inbox + Outbox + Conversations + Revocations,
{
    match req.method {
        http::Method::GET => handle_crc(&deps.secret, &req.raw_query),
        http::Method::POST => handle_webhook_post(deps, req, now_ms).await,
        _ => HttpResponse::error(
            405,
            "method_not_allowed",
            "the webhook answers GET (CRC) and POST (events) only",
        ),
    }
}

#[cfg(test)]
mod tests;
