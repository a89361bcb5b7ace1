//! The storage port: small traits, one per concern, so that each function depends on (and, in
//! AWS, is granted IAM permissions for) only what it uses.
//!
//! Implementations:
//! - [`memory::MemoryStore`]: in-process, for unit tests and as the reference behaviour;
//! - `embedded::EmbeddedStore` (feature `embedded`): a file on disk, for `dmbot serve`;
//! - `dynamodb::DynamoStore` (feature `dynamodb`): the single-table design of ARCHITECTURE.md.
//!
//! One contract test suite (`tests/store_contract.rs`) runs against every implementation.
//!
//! The traits use `impl Future + Send` returns so handlers can be generic over them (no `dyn`)
//! and still be spawned on a multi-threaded runtime.

use std::future::Future;

use serde::{Deserialize, Serialize};

use crate::domain::{
    AccountEcho, AccountId, AgentActivity, ConversationKey, ConversationState, EventId,
    InboundRecord, InboundStatus,
};

#[cfg(feature = "dynamodb")]
pub mod dynamodb;
#[cfg(feature = "embedded")]
pub mod embedded;
pub mod health;
pub mod invites;
pub mod memory;
pub mod recorder;
pub mod signin;

/// How long inbound events and sent-message markers are kept (DynamoDB TTL), in seconds.
pub const EVENT_TTL_SECS: u64 = 30 * 24 * 3600;

/// What can go wrong in a store. Every variant says what to do next.
#[derive(Debug, Clone, thiserror::Error)]
pub enum StoreError {
    /// The backend could not be reached or throttled us. Safe to retry.
    #[error("the store is unavailable: {0}; the operation can be retried")]
    Unavailable(String),
    /// An optimistic-locking check failed: someone else changed the item first.
    #[error("version conflict on {what}: it changed since it was read; reload and retry")]
    Conflict { what: String },
    /// An item exists but cannot be decoded. Not retryable; the item needs attention.
    #[error("stored {what} could not be decoded: {detail}")]
    Corrupt { what: String, detail: String },
    /// The store refused the request as invalid (a bug or a misconfiguration, e.g. a missing
    /// table). Not retryable.
    #[error("the store rejected the request: {0}")]
    Rejected(String),
}

impl StoreError {
    /// Whether retrying the same call may succeed.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            StoreError::Unavailable(_) | StoreError::Conflict { .. }
        )
    }
}

/// Result of a conditional insert.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PutOutcome {
    /// The item was new and is now stored durably.
    Inserted,
    /// An item with this key already existed (a redelivery): nothing was written.
    Duplicate,
}

/// Result of trying to claim an inbound message for dispatch.
// One value per dispatched message, moved straight into a match: boxing the record would only
// add an allocation.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClaimOutcome {
    /// This caller now owns the message until the lease ends.
    Claimed(InboundRecord),
    /// Someone else holds a live lease on it: leave it alone.
    Busy,
    /// It is already answered or failed: nothing to do.
    Done(InboundStatus),
    /// No such message.
    Missing,
}

/// What a dispatch attempt writes on a pending message ([`Inbox::mark_inbound`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttemptMark {
    /// A send begins (`sending_ms`; the first attempt's time is kept).
    Sending { at_ms: u64 },
    /// Twitter accepted the reply: its id, before anything else is written.
    Replied { reply: EventId },
    /// Not before `until_ms`, for `reason`; counts a deferral. `release_lease`: the caller
    /// holds the claim and gives it up (never set by a caller that does not hold it: another
    /// dispatcher's live lease must stay).
    Deferred {
        until_ms: u64,
        reason: String,
        release_lease: bool,
    },
}

/// Applies `mark` to a pending message's attempt record (the adapters' shared rule).
pub fn apply_mark(attempt: &mut crate::domain::DispatchAttempt, mark: &AttemptMark) {
    match mark {
        AttemptMark::Sending { at_ms } => {
            attempt.sending_ms.get_or_insert(*at_ms);
        }
        AttemptMark::Replied { reply } => attempt.reply_event_id = Some(reply.clone()),
        AttemptMark::Deferred {
            until_ms, reason, ..
        } => {
            attempt.not_before_ms = Some(*until_ms);
            attempt.defer_reason = Some(reason.clone());
            attempt.deferrals = attempt.deferrals.saturating_add(1);
        }
    }
}

/// One message the account sent in a conversation, as far as we know it: what the dispatcher
/// recorded after sending ([`Outbox::record_sent`]) and what Twitter's echo told the webhook
/// ([`Outbox::record_echo`]). The two writes merge in either order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Receipt {
    pub event_id: EventId,
    /// The inbound message this reply answers (set by the dispatcher).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub in_reply_to: Option<EventId>,
    /// When the dispatcher recorded it (ms since epoch).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sent_ms: Option<u64>,
    /// When Twitter created it, from the echo (ms since epoch, Twitter's clock).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub echo_created_ms: Option<u64>,
    /// From the echo: sent through our app (false: a person, or unknown).
    #[serde(default)]
    pub echo_from_our_app: bool,
}

impl Receipt {
    /// A receipt of `event_id` with nothing known yet.
    pub fn new(event_id: EventId) -> Self {
        Self {
            event_id,
            in_reply_to: None,
            sent_ms: None,
            echo_created_ms: None,
            echo_from_our_app: false,
        }
    }

    /// Merges what the dispatcher recorded.
    pub fn apply_sent(&mut self, in_reply_to: &EventId, at_ms: u64) {
        self.in_reply_to = Some(in_reply_to.clone());
        self.sent_ms = Some(self.sent_ms.map_or(at_ms, |t| t.min(at_ms)));
    }

    /// Merges what an echo told.
    pub fn apply_echo(&mut self, echo: &AccountEcho) {
        self.echo_created_ms = Some(echo.created_ms);
        self.echo_from_our_app |= echo.from_our_app;
    }

    /// Whether the dispatcher recorded it as the bot's own reply.
    pub fn is_recorded_send(&self) -> bool {
        self.sent_ms.is_some()
    }

    /// Whether Twitter's echo of it arrived.
    pub fn is_echoed(&self) -> bool {
        self.echo_created_ms.is_some()
    }
}

/// How many receipts [`Outbox::receipts_after`] returns at most.
pub const RECEIPTS_LIMIT: usize = 50;

/// A conversation as stored: the engine's state plus the optimistic-locking version.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Conversation {
    pub state: ConversationState,
    /// 0 when the conversation has never been saved.
    pub version: u64,
    /// When a person last wrote from the account in this conversation (ms since epoch).
    pub agent_last_active_ms: Option<u64>,
}

/// Inbound customer messages: at once the de-duplication record, the durable inbox and (through
/// the DynamoDB stream, or the embedded store's notifications) the dispatcher's queue.
pub trait Inbox: Send + Sync {
    /// Stores a new inbound message with a conditional write keyed on its event id. A
    /// redelivery of the same event returns [`PutOutcome::Duplicate`] and changes nothing.
    /// Returns only once the write is durable.
    fn put_inbound(
        &self,
        record: &InboundRecord,
    ) -> impl Future<Output = Result<PutOutcome, StoreError>> + Send;

    fn get_inbound(
        &self,
        conversation: &ConversationKey,
        event: &EventId,
    ) -> impl Future<Output = Result<Option<InboundRecord>, StoreError>> + Send;

    /// Claims a pending message for dispatch for `lease_ms`. A message whose lease has run out
    /// (a dispatcher died) can be claimed again.
    fn claim_inbound(
        &self,
        conversation: &ConversationKey,
        event: &EventId,
        now_ms: u64,
        lease_ms: u64,
    ) -> impl Future<Output = Result<ClaimOutcome, StoreError>> + Send;

    /// Records the final status of a message (answered or failed), or puts one back to pending
    /// for a redrive (now: a due time it was put off until is cleared).
    fn set_inbound_status(
        &self,
        conversation: &ConversationKey,
        event: &EventId,
        status: &InboundStatus,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Messages that failed permanently, newest first, at most `limit`.
    fn list_failed(
        &self,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<InboundRecord>, StoreError>> + Send;

    /// Writes what a dispatch attempt did on a message that is still pending. `Ok(false)` (and
    /// nothing written) when it is missing or no longer pending: a [`AttemptMark::Sending`]
    /// caller must then not send.
    fn mark_inbound(
        &self,
        conversation: &ConversationKey,
        event: &EventId,
        mark: &AttemptMark,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Messages put off until `now_ms` or earlier ([`AttemptMark::Deferred`]), at most `limit`,
    /// oldest due time first: their due time is cleared and a dispatch is requested (in
    /// DynamoDB the `redrive` attribute, which the stream filter passes to the dispatcher).
    /// Returns them, for a caller that dispatches them itself.
    fn take_due_deferred(
        &self,
        now_ms: u64,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<InboundRecord>, StoreError>> + Send;

    /// Messages still pending that were stored before `received_before_ms` (deferred, or stuck),
    /// oldest first, at most `limit`: what `dmbot failures list` shows besides the failed ones.
    fn list_unfinished(
        &self,
        received_before_ms: u64,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<InboundRecord>, StoreError>> + Send;
}

/// The account's sent messages per conversation ([`Receipt`]s): the dispatcher records its own
/// sends, the webhook records Twitter's echoes; the webhook uses them to recognise the bot's
/// echoes, the dispatcher to tell whether a reply it may have sent went out.
pub trait Outbox: Send + Sync {
    /// Records that the bot sent `sent` in reply to the inbound message `in_reply_to` (merging
    /// with an echo already recorded).
    fn record_sent(
        &self,
        conversation: &ConversationKey,
        sent: &EventId,
        in_reply_to: &EventId,
        at_ms: u64,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Records Twitter's echo of a message the account sent (merging with the dispatcher's
    /// record, which may come before or after it). Redeliveries change nothing.
    fn record_echo(
        &self,
        echo: &AccountEcho,
        at_ms: u64,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// The receipts of the conversation with an event id greater than `after`, lowest id
    /// first, at most [`RECEIPTS_LIMIT`]: one read in the conversation's own partition.
    fn receipts_after(
        &self,
        conversation: &ConversationKey,
        after: &EventId,
    ) -> impl Future<Output = Result<Vec<Receipt>, StoreError>> + Send;

    /// Whether the dispatcher recorded `event` as the bot's own send.
    fn is_sent_by_bot(
        &self,
        conversation: &ConversationKey,
        event: &EventId,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;
}

/// Conversation state with optimistic locking, and the hand-over signal from human agents.
pub trait Conversations: Send + Sync {
    /// The conversation, or a fresh one (version 0) when none is stored.
    fn load_conversation(
        &self,
        conversation: &ConversationKey,
    ) -> impl Future<Output = Result<Conversation, StoreError>> + Send;

    /// Saves the state if the stored version is still `expected_version` (0: must not exist),
    /// returning the new version; [`StoreError::Conflict`] otherwise.
    fn save_conversation(
        &self,
        conversation: &ConversationKey,
        state: &ConversationState,
        expected_version: u64,
    ) -> impl Future<Output = Result<u64, StoreError>> + Send;

    /// Records that a person wrote from the account (keeps the latest time).
    fn record_agent_activity(
        &self,
        activity: &AgentActivity,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
}

/// OAuth 1.0a user tokens of a connected account. `Debug` never shows the secret.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountTokens {
    pub token: String,
    pub token_secret: String,
}

impl std::fmt::Debug for AccountTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccountTokens")
            .field("token", &"<redacted>")
            .field("token_secret", &"<redacted>")
            .finish()
    }
}

/// A subscribed business account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountRecord {
    pub id: AccountId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub screen_name: Option<String>,
    /// Tokens from Twitter Sign-in. Absent for the app owner, whose tokens live in the secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tokens: Option<AccountTokens>,
    /// The flow this account's conversations run (None: the default flow).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flow_id: Option<String>,
    pub created_ms: u64,
}

/// Connected accounts.
pub trait Accounts: Send + Sync {
    fn put_account(
        &self,
        account: &AccountRecord,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    fn get_account(
        &self,
        id: &AccountId,
    ) -> impl Future<Output = Result<Option<AccountRecord>, StoreError>> + Send;

    fn list_accounts(&self) -> impl Future<Output = Result<Vec<AccountRecord>, StoreError>> + Send;
}

/// An account whose data is still to be removed after a revoke.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingForget {
    pub account: AccountId,
    /// When the (latest) revoke was received (ms since epoch).
    pub requested_ms: u64,
}

/// What one [`Revocations::forget_step`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ForgetStep {
    /// Entries removed by this step (inbound and sent messages, conversation states, agent
    /// activity, media references).
    pub removed: u64,
    /// Nothing of the account is left and its pending entry is gone.
    pub done: bool,
}

/// Revocation (a `user_event.revoke`), in two steps so that the webhook answers quickly and the
/// removal survives any failure (ARCHITECTURE.md, "Revocation"):
/// 1. [`Revocations::revoke_account`], on the request path: the account's record (its tokens)
///    is deleted and, in the same atomic write, a pending removal is recorded;
/// 2. [`Revocations::forget_step`], asynchronously, until it says `done`: the rest of the
///    account's data goes, a bounded amount per step. Progress is the removal itself: a step
///    after a failure finds only what is left, never rescans what is gone.
pub trait Revocations: Send + Sync {
    /// Deletes the account's record and records a pending removal of the rest of its data, both
    /// or neither. Cheap whether or not the account is known (no scan); repeating it is harmless.
    fn revoke_account(
        &self,
        id: &AccountId,
        now_ms: u64,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Pending removals, oldest revoke first, at most `limit`.
    fn pending_forgets(
        &self,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<PendingForget>, StoreError>> + Send;

    /// Removes up to about `max_entries` more of the account's conversations (inbound and sent
    /// messages, state, agent activity) and media references; other accounts' data is untouched.
    /// When it finds nothing left, it removes the pending entry and says `done`. The in-process
    /// stores remove everything in one step. Safe to repeat, also for an account with nothing
    /// pending.
    fn forget_step(
        &self,
        id: &AccountId,
        max_entries: usize,
    ) -> impl Future<Output = Result<ForgetStep, StoreError>> + Send;
}

/// A stored flow document (validated JSON) with the Twitter ids `dmbot flow sync` created.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlowRecord {
    pub flow_id: String,
    pub version: u64,
    /// The flow as JSON, with its synced Twitter ids.
    pub document: String,
    pub stored_ms: u64,
}

/// Bot flows, versioned. The newest version of a flow id is the active one.
pub trait Flows: Send + Sync {
    /// Stores a new version; the version must be greater than every stored one
    /// ([`StoreError::Conflict`] otherwise).
    fn put_flow(&self, flow: &FlowRecord) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// The newest version of the flow, if any.
    fn get_flow(
        &self,
        flow_id: &str,
    ) -> impl Future<Output = Result<Option<FlowRecord>, StoreError>> + Send;
}

/// A media id Twitter gave an uploaded file, reusable until it expires (24 h after upload).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MediaRef {
    pub media_id: String,
    pub expires_ms: u64,
}

/// Uploaded media ids by account and content hash, so a file is uploaded once a day at most.
pub trait MediaCache: Send + Sync {
    fn get_media(
        &self,
        account: &AccountId,
        content_sha256: &str,
    ) -> impl Future<Output = Result<Option<MediaRef>, StoreError>> + Send;

    fn put_media(
        &self,
        account: &AccountId,
        content_sha256: &str,
        media: &MediaRef,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
}

/// Everything a full deployment needs, for code (the local stack, tests) that uses all of it.
pub trait Store:
    Inbox + Outbox + Conversations + Accounts + Revocations + Flows + MediaCache
{
}
impl<T: Inbox + Outbox + Conversations + Accounts + Revocations + Flows + MediaCache> Store for T {}
