//! Reply dispatch (feature `client`): from a stored inbound customer message to exactly one
//! reply on Twitter, with the conversation's state saved.
//!
//! The DynamoDB stream (in AWS) or the embedded store's notifications (`dmbot serve`) hand
//! [`InboundRecord`]s to a [`Dispatcher`]. For each message, [`Dispatcher::handle`]:
//!
//! 1. **claims** it ([`Inbox::claim_inbound`], a lease that ends shortly after this invocation's
//!    deadline), so redeliveries and concurrent invocations leave it alone; a message already
//!    answered or failed is skipped;
//! 2. resolves the **account** (`for_user_id`): its tokens and flow ([`accounts`]);
//! 3. **loads** the conversation and runs the **engine** ([`crate::flow::step`]);
//! 4. for a reply: marks the message **read**, shows the **typing** indicator (both cosmetic,
//!    best effort), resolves the **media** id (cache, then upload), and **sends**;
//! 5. **records** the sent event id ([`Outbox::record_sent`]) so the webhook recognises the echo;
//! 6. **saves** the conversation with its version check (re-running the engine on the fresh
//!    state after a conflict);
//! 7. marks the message **answered**.
//!
//! Failures (`docs/TWITTER-API.md` §7): transient and rate-limited calls are retried within the
//! deadline ([`crate::twitter::retry::RetryPolicy`]); what still fails is a
//! [`DispatchError::Retryable`] (the stream redelivers it). A permanent refusal is recorded on
//! the message ([`InboundStatus::Failed`], `dmbot failures` lists and redrives it) and is a
//! [`DispatchError::Permanent`]: the shard moves on.
//!
//! Exactly one reply: see `docs/DISPATCH.md` for the one window (a crash between Twitter
//! accepting a send and our write) and how [`Dispatcher`] narrows it by looking for an
//! unrecorded reply before sending again.

mod accounts;
mod media;
pub mod recovery;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::domain::{ConversationKey, EventId, InboundRecord, InboundStatus, UserId, now_ms};
use crate::flow::{EngineInput, Flow, Outcome, ReplyPlan, step};
use crate::store::{AttemptMark, ClaimOutcome, Conversation, StoreError};
use crate::twitter::api_types::{DmEvent, PageSize};
use crate::twitter::client::TwitterClient;
use crate::twitter::errors::TwitterError;
use crate::twitter::oauth1::TokenCredentials;
use crate::twitter::retry::{Decision, RetryPolicy, Timer, TokioTimer};

pub use crate::store::Store;
pub use accounts::{ResolvedAccount, owner_id_from_access_token};
use recovery::Verdict;

/// Environment variable naming the flow used by accounts without their own `flow_id`.
pub const DEFAULT_FLOW_ID_VAR: &str = crate::config::vars::DEFAULT_FLOW_ID;
/// The default flow id when [`DEFAULT_FLOW_ID_VAR`] is unset.
pub const DEFAULT_FLOW_ID: &str = "default";

/// Where the dispatcher's flows come from.
#[derive(Debug, Clone)]
pub enum FlowSource {
    /// One flow for every account (`dmbot serve --flow file.toml`).
    Fixed(Arc<Flow>),
    /// The store's [`crate::store::Flows`]: the account's `flow_id`, else `default_flow_id`.
    /// Loaded flows are cached per process for [`DispatchConfig::flow_cache_ttl`].
    Store { default_flow_id: String },
}

impl FlowSource {
    /// The store source with the default flow id from [`DEFAULT_FLOW_ID_VAR`] (via `lookup`),
    /// else [`DEFAULT_FLOW_ID`].
    pub fn store_from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Self {
        let default_flow_id = lookup(DEFAULT_FLOW_ID_VAR)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
            .unwrap_or_else(|| DEFAULT_FLOW_ID.to_string());
        Self::Store { default_flow_id }
    }
}

/// How the dispatcher behaves. [`DispatchConfig::new`] gives the defaults.
#[derive(Debug, Clone)]
pub struct DispatchConfig {
    /// The app owner's tokens (the app credentials' access token): they answer for the owner
    /// account, which has no [`crate::store::AccountRecord`] with tokens.
    pub owner_tokens: TokenCredentials,
    pub flows: FlowSource,
    /// How long a flow loaded from the store is reused before it is read again.
    pub flow_cache_ttl: Duration,
    /// Time kept free before the caller's deadline: no retry wait runs into it, so the batch
    /// response (and the writes after a send) still fit.
    pub deadline_margin: Duration,
    /// Added to the time left when taking the lease: the lease outlives this invocation by this
    /// much, then a redelivery may claim the message again.
    pub lease_margin: Duration,
    /// How long to wait between claim attempts while another dispatcher holds the lease.
    pub busy_poll: Duration,
    /// How long after an earlier attempt began sending (or after this dispatcher started, if
    /// later) its echo is waited for before Twitter's own list is asked (`docs/DISPATCH.md`).
    pub echo_grace: Duration,
    /// Our app's id (`TWITTER_APP_ID`): a message found on Twitter's list with another
    /// `source_app_id` is a person's, never adopted as the bot's.
    pub app_id: Option<String>,
    /// Retries of Twitter calls.
    pub retry: RetryPolicy,
    /// A message that fails in a way that may pass (Twitter or the store unavailable) is put
    /// off this long, doubled with each deferral up to `max_retry_defer`.
    pub retry_defer: Duration,
    pub max_retry_defer: Duration,
    /// A message another dispatcher holds is put off this long (its lease must have ended
    /// by then, should that dispatcher have died).
    pub busy_defer: Duration,
    /// Attempts at saving the conversation when its version changed underneath.
    pub save_attempts: u32,
    /// Opens connected accounts' stored tokens (sealed when a token encryption key is set).
    pub sealer: crate::tokens::TokenSealer,
}

impl DispatchConfig {
    pub fn new(owner_tokens: TokenCredentials, flows: FlowSource) -> Self {
        Self {
            owner_tokens,
            flows,
            flow_cache_ttl: Duration::from_secs(60),
            deadline_margin: Duration::from_secs(2),
            lease_margin: Duration::from_secs(5),
            busy_poll: Duration::from_millis(500),
            echo_grace: Duration::from_secs(10),
            app_id: None,
            retry: RetryPolicy::default(),
            retry_defer: Duration::from_secs(15),
            max_retry_defer: Duration::from_secs(15 * 60),
            busy_defer: Duration::from_secs(90),
            save_attempts: 5,
            sealer: crate::tokens::TokenSealer::plaintext(),
        }
    }
}

/// What happened to a message that needs nothing more.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Handled {
    /// The reply went out (or, with `recovered`, an earlier attempt's unrecorded reply was found
    /// on Twitter and adopted instead of sending again).
    Replied {
        reply_event_id: EventId,
        recovered: bool,
    },
    /// The engine chose silence (a hand-over); the state is saved and the message answered.
    Silent,
    /// It was already answered or failed (a redelivery): nothing was done.
    AlreadyDone(InboundStatus),
    /// The store has no such message (e.g. the account was forgotten since).
    Missing,
    /// Another dispatcher holds a live lease on it until after our deadline. Nothing was done;
    /// a stream consumer reports it as a batch item failure so it comes back.
    Busy,
    /// It cannot be answered before `until_ms` (a rate limit resetting then): the time and the
    /// reason are written on the message, which comes back by itself after it (the scheduled
    /// re-drive in AWS, the lane's timer in `dmbot serve`). Not a batch item failure.
    Deferred { until_ms: u64, reason: String },
}

impl Handled {
    /// Whether the message must come back later (a stream batch item failure).
    pub fn needs_retry(&self) -> bool {
        matches!(self, Handled::Busy)
    }
}

/// What a send came to.
enum Sent {
    /// Twitter took it: the new reply's id.
    New(EventId),
    /// Before sending again after an unknown outcome, the receipts (or Twitter) decided.
    Found(Verdict),
}

/// How often the receipts are read again while an echo is waited for.
const ECHO_POLL_MS: u64 = 250;

/// Why a message was not handled.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DispatchError {
    /// It may work later (Twitter or the store unavailable, rate limited beyond the deadline,
    /// or an earlier message of the conversation not done yet). Report a batch item failure.
    #[error("message {event} in {conversation} can be retried later: {reason}")]
    Retryable {
        conversation: String,
        event: String,
        reason: String,
    },
    /// It will fail again as it is; the reason is recorded on the message as `failed` (when the
    /// store allowed). `dmbot failures redrive` retries it once the cause is fixed.
    #[error("message {event} in {conversation} failed permanently: {reason}")]
    Permanent {
        conversation: String,
        event: String,
        reason: String,
    },
}

impl DispatchError {
    pub fn is_retryable(&self) -> bool {
        matches!(self, DispatchError::Retryable { .. })
    }
}

/// What one step of handling decided, before it is written down.
enum Failure {
    Retry(String),
    Permanent(String),
    /// Not before `until_ms` (ms since epoch), for `reason`.
    Defer {
        until_ms: u64,
        reason: String,
    },
}

impl From<StoreError> for Failure {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Corrupt { .. } => Failure::Permanent(e.to_string()),
            _ => Failure::Retry(e.to_string()),
        }
    }
}

/// The most pages (of 50 events) the look-up for an unrecorded reply reads: the 200 newest events
/// of the account. The look-up is rare (only after a crash or an unknown send outcome) but the
/// list endpoint's rate limit is far lower than the send's, so it is bounded; when it gives up
/// or is refused, the reply is sent.
const LOOKUP_PAGES: usize = 4;

fn twitter_failure(what: &str, e: &TwitterError) -> Failure {
    if e.is_retryable() {
        Failure::Retry(format!("{what}: {e}"))
    } else {
        Failure::Permanent(format!("{what}: {e}"))
    }
}

/// The dispatcher. Cheap to share (`Arc` it); one per process.
pub struct Dispatcher<S: Store + Clone + Send + Sync + 'static> {
    store: S,
    client: TwitterClient,
    config: DispatchConfig,
    owner_id: Option<UserId>,
    flow_cache: Mutex<HashMap<String, (Instant, Arc<Flow>)>>,
    /// When this dispatcher was created (ms since epoch): echoes refused before it listened
    /// come back with Twitter's retries, so the echo grace also counts from here.
    started_ms: u64,
}

impl<S: Store + Clone + Send + Sync + 'static> Dispatcher<S> {
    pub fn new(store: S, client: TwitterClient, config: DispatchConfig) -> Self {
        let owner_id = owner_id_from_access_token(config.owner_tokens.token());
        if owner_id.is_none() {
            tracing::warn!(
                "the app access token does not start with \"<user id>-\": accounts without \
                 stored tokens are all answered with the app owner's tokens"
            );
        }
        Self {
            store,
            client,
            config,
            owner_id,
            flow_cache: Mutex::new(HashMap::new()),
            started_ms: now_ms(),
        }
    }

    /// The app owner's user id, from the access token (`<user id>-...`).
    pub fn owner_id(&self) -> Option<&UserId> {
        self.owner_id.as_ref()
    }

    pub fn store(&self) -> &S {
        &self.store
    }

    /// Handles many messages before `deadline`: results in input order. Messages of one
    /// conversation run one after the other in event-id order (snowflakes grow with time);
    /// conversations run concurrently. Once a message of a conversation cannot be finished now
    /// (retryable, or busy), its later messages are not touched and come back retryable too,
    /// so the customer never gets the answer to a later message before an earlier one.
    pub async fn handle_batch(
        &self,
        records: Vec<InboundRecord>,
        deadline: Instant,
    ) -> Vec<Result<Handled, DispatchError>> {
        let mut groups: BTreeMap<ConversationKey, Vec<(usize, InboundRecord)>> = BTreeMap::new();
        let total = records.len();
        for (i, r) in records.into_iter().enumerate() {
            groups
                .entry(r.message.conversation.clone())
                .or_default()
                .push((i, r));
        }
        let runs = groups.into_values().map(|mut group| async move {
            group.sort_by_key(|(i, r)| (r.message.event_id.numeric(), *i));
            let mut out = Vec::with_capacity(group.len());
            // The first message of the conversation that could not be finished now, and
            // until when it is put off (None: it is retried).
            let mut blocked: Option<(String, Option<u64>)> = None;
            for (i, record) in group {
                let result = match &blocked {
                    Some((earlier, Some(until_ms))) => {
                        let reason = format!(
                            "waits behind an earlier message ({earlier}) of the conversation, \
                             which is put off"
                        );
                        self.put_off(&record, *until_ms, reason, deadline).await
                    }
                    Some((earlier, None)) => Err(DispatchError::Retryable {
                        conversation: record.message.conversation.to_string(),
                        event: record.message.event_id.to_string(),
                        reason: format!(
                            "an earlier message ({earlier}) of the conversation is not done yet; \
                             it keeps its place in line"
                        ),
                    }),
                    None => self.handle(&record, deadline).await,
                };
                let stuck = match &result {
                    Ok(Handled::Deferred { until_ms, .. }) => Some(Some(*until_ms)),
                    Ok(h) if h.needs_retry() => Some(None),
                    Err(e) if e.is_retryable() => Some(None),
                    _ => None,
                };
                if let (Some(until), None) = (stuck, &blocked) {
                    blocked = Some((record.message.event_id.to_string(), until));
                }
                out.push((i, result));
            }
            out
        });
        let mut results: Vec<Option<Result<Handled, DispatchError>>> =
            (0..total).map(|_| None).collect();
        for group in futures::future::join_all(runs).await {
            for (i, r) in group {
                if let Some(slot) = results.get_mut(i) {
                    *slot = Some(r);
                }
            }
        }
        results
            .into_iter()
            .map(|r| {
                r.unwrap_or_else(|| {
                    Err(DispatchError::Retryable {
                        conversation: String::new(),
                        event: String::new(),
                        reason: "the message was not handled".into(),
                    })
                })
            })
            .collect()
    }

    /// Puts `record` off until `until_ms` without trying it (an earlier message of its
    /// conversation is put off until then): it comes back with, and after, that message.
    async fn put_off(
        &self,
        record: &InboundRecord,
        until_ms: u64,
        reason: String,
        deadline: Instant,
    ) -> Result<Handled, DispatchError> {
        let key = &record.message.conversation;
        let event = &record.message.event_id;
        self.defer(key, event, until_ms, reason, false, deadline)
            .await
    }

    /// Writes that the message is put off until `until_ms` (see [`AttemptMark::Deferred`]).
    /// When that write fails nothing would bring the message back, so it is a retryable error
    /// (a batch item failure: the stream delivers it again).
    async fn defer(
        &self,
        key: &ConversationKey,
        event: &EventId,
        until_ms: u64,
        reason: String,
        release_lease: bool,
        budget: Instant,
    ) -> Result<Handled, DispatchError> {
        let mark = AttemptMark::Deferred {
            until_ms,
            reason: reason.clone(),
            release_lease,
        };
        match self
            .store_retry(budget, || self.store.mark_inbound(key, event, &mark))
            .await
        {
            Ok(_) => {
                tracing::warn!(conversation = %key, event = %event, until_ms, %reason, "message put off");
                Ok(Handled::Deferred { until_ms, reason })
            }
            Err(e) => {
                tracing::error!(conversation = %key, event = %event, error = %e, "could not put the message off; it will be retried");
                Err(DispatchError::Retryable {
                    conversation: key.to_string(),
                    event: event.to_string(),
                    reason: format!("{reason}; putting it off failed: {e}"),
                })
            }
        }
    }

    /// Handles one message end to end before `deadline` (see the module documentation).
    pub async fn handle(
        &self,
        record: &InboundRecord,
        deadline: Instant,
    ) -> Result<Handled, DispatchError> {
        let key = &record.message.conversation;
        let event = &record.message.event_id;
        let budget = deadline
            .checked_sub(self.config.deadline_margin)
            .unwrap_or(deadline);
        let result = self.handle_inner(record, budget).await;
        match result {
            Ok(Handled::Busy) => {
                // If its holder died, nothing would bring the message back: put it off until
                // that lease must have run out. The holder's lease stays.
                let until_ms = now_ms() + self.config.busy_defer.as_millis() as u64;
                let reason = "another dispatcher held it".to_string();
                self.defer(key, event, until_ms, reason, false, budget)
                    .await
            }
            Ok(handled) => {
                tracing::info!(conversation = %key, event = %event, outcome = ?handled, "message handled");
                Ok(handled)
            }
            Err(Failure::Retry(reason)) => {
                // Not now: back off, doubling with each deferral, and come back by itself.
                let deferrals = match self.store.get_inbound(key, event).await {
                    Ok(Some(r)) => r.attempt.deferrals,
                    _ => 0,
                };
                let wait = self
                    .config
                    .retry_defer
                    .saturating_mul(1 << deferrals.min(10));
                let until_ms = now_ms() + wait.min(self.config.max_retry_defer).as_millis() as u64;
                self.defer(key, event, until_ms, reason, true, budget).await
            }
            Err(Failure::Defer { until_ms, reason }) => {
                self.defer(key, event, until_ms, reason, true, budget).await
            }
            Err(Failure::Permanent(reason)) => {
                tracing::error!(conversation = %key, event = %event, %reason, "message failed permanently");
                let status = InboundStatus::Failed {
                    reason: reason.clone(),
                    at_ms: now_ms(),
                };
                match self
                    .store_retry(budget, || {
                        self.store.set_inbound_status(key, event, &status)
                    })
                    .await
                {
                    Ok(()) => Err(DispatchError::Permanent {
                        conversation: key.to_string(),
                        event: event.to_string(),
                        reason,
                    }),
                    Err(e) => {
                        // Unrecorded, it would stay pending with nothing to bring it back and
                        // out of `dmbot failures list`: have it delivered again instead.
                        tracing::error!(conversation = %key, event = %event, error = %e, "could not record the failure; it will be retried");
                        Err(DispatchError::Retryable {
                            conversation: key.to_string(),
                            event: event.to_string(),
                            reason: format!("{reason}; recording the failure failed: {e}"),
                        })
                    }
                }
            }
        }
    }

    async fn handle_inner(
        &self,
        record: &InboundRecord,
        budget: Instant,
    ) -> Result<Handled, Failure> {
        let key = &record.message.conversation;
        let event = &record.message.event_id;

        // 1. Claim.
        let record = loop {
            let left = budget.saturating_duration_since(Instant::now());
            let lease_ms = (left + self.config.lease_margin).as_millis() as u64;
            match self
                .store_retry(budget, || {
                    self.store.claim_inbound(key, event, now_ms(), lease_ms)
                })
                .await?
            {
                ClaimOutcome::Claimed(r) => break r,
                ClaimOutcome::Done(status) => return Ok(Handled::AlreadyDone(status)),
                ClaimOutcome::Missing => return Ok(Handled::Missing),
                ClaimOutcome::Busy => {
                    if Instant::now() + self.config.busy_poll >= budget {
                        return Ok(Handled::Busy);
                    }
                    tokio::time::sleep(self.config.busy_poll).await;
                }
            }
        };
        if let Some(until_ms) = record.attempt.not_before_ms.filter(|t| *t > now_ms()) {
            // Put off by an earlier attempt and back early (a redelivery): not yet.
            let reason = record.attempt.defer_reason.clone().unwrap_or_default();
            return Err(Failure::Defer { until_ms, reason });
        }
        let message = &record.message;

        // 2. Account and flow.
        let account = self.resolve_account(&key.account, budget).await?;
        let flow = self.flow_for(&account, budget).await?;

        // 3. Conversation and engine.
        let conversation = self
            .store_retry(budget, || self.store.load_conversation(key))
            .await?;
        if conversation.state.last_answered.as_ref() == Some(event) {
            // The state was saved but the answered marker was not: finish the job.
            let reply = record.attempt.reply_event_id.clone();
            self.finish(key, event, reply, budget).await?;
            return Ok(Handled::AlreadyDone(InboundStatus::Answered {
                reply_event_id: None,
                at_ms: now_ms(),
            }));
        }
        let input = EngineInput::from_message(message, conversation.agent_last_active_ms);
        let first = step(&flow, &conversation.state, &input);

        // 4. An earlier attempt's reply, recorded on the message right after Twitter took it:
        // only the writes after it are missing.
        if let Some(sent) = record.attempt.reply_event_id.clone() {
            tracing::warn!(conversation = %key, event = %event, reply = %sent, "the reply went out on an earlier attempt; finishing its writes");
            self.after_send(key, event, &flow, conversation, first.state, &sent, budget)
                .await?;
            return Ok(Handled::Replied {
                reply_event_id: sent,
                recovered: true,
            });
        }

        let plan = match first.outcome {
            Outcome::Silent { reason } => {
                tracing::info!(conversation = %key, event = %event, reason = ?reason, "the bot stays silent");
                self.save(key, event, &flow, conversation, first.state, budget)
                    .await?;
                self.finish(key, event, None, budget).await?;
                return Ok(Handled::Silent);
            }
            Outcome::Reply(plan) => plan,
        };

        // 5. An earlier attempt began sending: did its reply go out? The receipts decide.
        if let Some(sending_ms) = record.attempt.sending_ms {
            match self
                .earlier_reply(&account, &record, sending_ms, budget)
                .await?
            {
                Verdict::Ours(found) => {
                    tracing::warn!(conversation = %key, event = %event, reply = %found, "an earlier attempt's reply went out; not sending again");
                    self.after_send(key, event, &flow, conversation, first.state, &found, budget)
                        .await?;
                    return Ok(Handled::Replied {
                        reply_event_id: found,
                        recovered: true,
                    });
                }
                Verdict::Person(found) => {
                    tracing::warn!(conversation = %key, event = %event, message = %found, "a person wrote from the account after this message; the bot stays quiet");
                    self.person_answered(key, event, &flow, budget).await?;
                    return Ok(Handled::Silent);
                }
                Verdict::Undecided => {}
            }
        }

        // 6. Read receipt and typing indicator: cosmetic, never worth failing the reply for.
        if plan.mark_read {
            let call = self.client.mark_read(&account.tokens, &key.customer, event);
            if let Err(e) = self.bounded(budget, call).await {
                tracing::warn!(conversation = %key, event = %event, error = %e, "mark read failed; replying anyway");
            }
        }
        if plan.typing {
            let call = self.client.indicate_typing(&account.tokens, &key.customer);
            if let Err(e) = self.bounded(budget, call).await {
                tracing::warn!(conversation = %key, event = %event, error = %e, "typing indicator failed; replying anyway");
            }
        }

        // 7. Media, the mark that a send begins, and the send.
        let media_id = match &plan.media {
            Some(file) => self
                .media_id(&account, &flow, file, budget)
                .await
                .map_err(|e| twitter_failure("uploading the reply's media", &e))?,
            None => None,
        };
        let sending_ms = now_ms();
        let mark = AttemptMark::Sending { at_ms: sending_ms };
        let marked = self
            .store_retry(budget, || self.store.mark_inbound(key, event, &mark))
            .await?;
        if !marked {
            // Finished (or gone) meanwhile, by a dispatcher that outlived our lease.
            return Ok(Handled::AlreadyDone(InboundStatus::Pending));
        }
        let sending_ms = record.attempt.sending_ms.unwrap_or(sending_ms);
        let sent = match self
            .send(
                &account, &record, sending_ms, &plan, media_id, &flow, budget,
            )
            .await?
        {
            Sent::New(id) => id,
            Sent::Found(Verdict::Ours(id)) => {
                self.after_send(key, event, &flow, conversation, first.state, &id, budget)
                    .await?;
                return Ok(Handled::Replied {
                    reply_event_id: id,
                    recovered: true,
                });
            }
            Sent::Found(_) => {
                self.person_answered(key, event, &flow, budget).await?;
                return Ok(Handled::Silent);
            }
        };

        // 8. Write it all down: the reply on the message first, so that whatever fails next,
        // a later attempt knows it went out.
        let mark = AttemptMark::Replied {
            reply: sent.clone(),
        };
        self.store_retry(budget, || self.store.mark_inbound(key, event, &mark))
            .await
        .map_err(|e| {
            tracing::error!(conversation = %key, event = %event, reply = %sent, error = %e, "the reply was sent but could not be recorded on the message; its echo will tell");
            Failure::Retry(format!("recording the sent reply {sent}: {e}"))
        })?;
        self.after_send(key, event, &flow, conversation, first.state, &sent, budget)
            .await?;
        Ok(Handled::Replied {
            reply_event_id: sent,
            recovered: false,
        })
    }

    /// Runs a Twitter call, cut short at the budget (the client's own timeout may be longer
    /// than what is left).
    async fn bounded<T>(
        &self,
        budget: Instant,
        call: impl std::future::Future<Output = Result<T, TwitterError>>,
    ) -> Result<T, TwitterError> {
        let left = budget.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, call).await {
            Ok(result) => result,
            Err(_) => Err(TwitterError::Transient {
                endpoint: "(a call cut short)".into(),
                status: None,
                reason: "it did not finish within the dispatcher's deadline".into(),
            }),
        }
    }

    /// Whether the reply of an attempt that began sending at `sending_ms` went out: the
    /// conversation's receipts first, waiting up to [`DispatchConfig::echo_grace`] after the
    /// attempt (or after this dispatcher started, when it started later: the echo may have
    /// been refused while nobody listened, and Twitter retries it) for the echo to arrive;
    /// only then, when still undecided, Twitter's own list.
    async fn earlier_reply(
        &self,
        account: &ResolvedAccount,
        record: &InboundRecord,
        sending_ms: u64,
        budget: Instant,
    ) -> Result<Verdict, Failure> {
        let key = &record.message.conversation;
        let event = &record.message.event_id;
        let grace_end_ms =
            sending_ms.max(self.started_ms) + self.config.echo_grace.as_millis() as u64;
        let mut receipts;
        loop {
            receipts = self
                .store_retry(budget, || self.store.receipts_after(key, event))
                .await?;
            let verdict = recovery::decide(&receipts, event, sending_ms);
            if verdict != Verdict::Undecided {
                return Ok(verdict);
            }
            let now = now_ms();
            if now >= grace_end_ms {
                break;
            }
            let wait = Duration::from_millis((grace_end_ms - now).min(ECHO_POLL_MS));
            if Instant::now() + wait >= budget {
                break;
            }
            tokio::time::sleep(wait).await;
        }
        tracing::warn!(conversation = %key, event = %event, "no receipt tells whether an earlier attempt's reply went out; asking Twitter");
        let found = self
            .find_unrecorded_reply(account, record, sending_ms, &receipts, budget)
            .await;
        Ok(match found {
            Some((id, ours)) if ours => Verdict::Ours(id),
            Some((id, _)) => Verdict::Person(id),
            None => Verdict::Undecided,
        })
    }

    /// A person answered from the account after the message (found among the receipts or on
    /// Twitter): the bot stays quiet. Their message stays theirs: the hand-over is recorded
    /// (its echo does the same; recording twice keeps the latest time), never the bot's send.
    async fn person_answered(
        &self,
        key: &ConversationKey,
        event: &EventId,
        flow: &Flow,
        budget: Instant,
    ) -> Result<(), Failure> {
        let activity = crate::domain::AgentActivity {
            event_id: event.clone(),
            conversation: key.clone(),
            created_ms: now_ms(),
        };
        self.store_retry(budget, || self.store.record_agent_activity(&activity))
            .await?;
        let conversation = self
            .store_retry(budget, || self.store.load_conversation(key))
            .await?;
        let record = self
            .store_retry(budget, || self.store.get_inbound(key, event))
            .await?;
        let state = match record {
            Some(r) => {
                let input =
                    EngineInput::from_message(&r.message, conversation.agent_last_active_ms);
                step(flow, &conversation.state, &input).state
            }
            None => conversation.state.clone(),
        };
        self.save(key, event, flow, conversation, state, budget)
            .await?;
        self.finish(key, event, None, budget).await
    }

    /// Sends the reply. Retries transient failures and waits out rate limits within the budget;
    /// a rate limit that resets after it puts the message off until the reset. Before re-sending
    /// after a failure whose outcome is unknown (a timeout or a dropped connection: Twitter may
    /// have accepted it), asks the receipts (and then Twitter) whether it went out.
    #[allow(clippy::too_many_arguments)]
    async fn send(
        &self,
        account: &ResolvedAccount,
        record: &InboundRecord,
        sending_ms: u64,
        plan: &ReplyPlan,
        media: Option<crate::twitter::limits::MediaId>,
        flow: &Flow,
        budget: Instant,
    ) -> Result<Sent, Failure> {
        let key = &record.message.conversation;
        let profile = plan
            .custom_profile
            .as_ref()
            .and_then(|name| flow.custom_profile_id(name));
        let dm = plan.direct_message(key.customer.clone(), media, profile);
        let timer = TokioTimer;
        let mut attempt = 1;
        loop {
            let call = self.client.send_direct_message(&account.tokens, &dm);
            let error = match self.bounded(budget, call).await {
                Ok(event) => return Ok(Sent::New(event.id)),
                Err(e) => e,
            };
            let unknown_outcome = matches!(&error, TwitterError::Transient { status: None, .. });
            let left =
                tokio::time::Instant::from_std(budget).saturating_duration_since(timer.now());
            match self.config.retry.decide(
                &error,
                attempt,
                timer.unix_seconds(),
                left,
                rand::random(),
            ) {
                Decision::GiveUp => {
                    if unknown_outcome {
                        // It may have gone out: a later attempt must ask the receipts first
                        // (the Sending mark tells it to).
                        return Err(twitter_failure("sending the reply", &error));
                    }
                    if let Some(wait) = error.retry_after(timer.unix_seconds()) {
                        let until_ms = now_ms()
                            + wait.as_millis() as u64
                            + self.config.retry.reset_margin.as_millis() as u64;
                        return Err(Failure::Defer {
                            until_ms,
                            reason: format!("rate limited by Twitter: {error}"),
                        });
                    }
                    return Err(twitter_failure("sending the reply", &error));
                }
                Decision::RetryAfter(wait) => {
                    tracing::warn!(conversation = %key, attempt, wait_ms = wait.as_millis() as u64, error = %error, "send failed; retrying");
                    timer.sleep(wait).await;
                }
            }
            if unknown_outcome {
                match self
                    .earlier_reply(account, record, sending_ms, budget)
                    .await?
                {
                    Verdict::Undecided => {}
                    found => return Ok(Sent::Found(found)),
                }
            }
            attempt += 1;
        }
    }

    /// A reply to `record` that is on Twitter but not in our receipts: a message from the
    /// account to the customer, created after the customer's message and after the first
    /// send attempt began (less [`recovery::CLOCK_SKEW_MS`]), that no other message claims.
    /// Returns its id and whether it came through our app (else a person wrote it). Best
    /// effort: when Twitter cannot be asked, `None`, and the caller sends. Reads the account's
    /// newest events page by page until it reaches back to that time, at most
    /// [`LOOKUP_PAGES`] pages of 50.
    async fn find_unrecorded_reply(
        &self,
        account: &ResolvedAccount,
        record: &InboundRecord,
        sending_ms: u64,
        receipts: &[crate::store::Receipt],
        budget: Instant,
    ) -> Option<(EventId, bool)> {
        let key = &record.message.conversation;
        let event = &record.message.event_id;
        let since = record
            .message
            .created_ms
            .max(sending_ms.saturating_sub(recovery::CLOCK_SKEW_MS));
        let count = PageSize::new(PageSize::MAX).ok();
        let mut cursor: Option<String> = None;
        for _ in 0..LOOKUP_PAGES {
            if Instant::now() >= budget {
                return None;
            }
            // One attempt per page, no waiting: the list endpoint has a much lower rate limit
            // than sends, and a backlog must not spend its deadline on a best-effort check.
            let call = self
                .client
                .list_direct_messages(&account.tokens, count, cursor.as_deref());
            let page = match self.bounded(budget, call).await {
                Ok(p) => p,
                Err(e) => {
                    tracing::warn!(conversation = %key, error = %e, "could not look for an earlier reply; sending");
                    return None;
                }
            };
            let found = page.events.iter().find(|e| {
                is_reply_after(e, key, since)
                    && !recovery::claimed_elsewhere(receipts, &e.id, event)
            });
            if let Some(found) = found {
                let source = found
                    .message_create
                    .as_ref()
                    .and_then(|m| m.source_app_id.as_deref());
                let ours = match (&self.config.app_id, source) {
                    (Some(app), Some(source)) => app == source,
                    // Without our app id, or without a source, it is taken for ours (the
                    // look-up's behaviour before receipts existed).
                    _ => true,
                };
                return Some((found.id.clone(), ours));
            }
            // Newest first: once a page reaches back to that time, older pages cannot hold it.
            let reached_it = page
                .events
                .last()
                .is_none_or(|oldest| created_ms(oldest) <= since);
            match page.next_cursor {
                Some(next) if !reached_it => cursor = Some(next),
                _ => return None,
            }
        }
        tracing::warn!(
            conversation = %key,
            pages = LOOKUP_PAGES,
            "the account sent too many messages since this one to look through them all; sending"
        );
        None
    }

    /// After a send (or on adopting an earlier attempt's reply): record it against the message
    /// (so its echo is not mistaken for a person, and a later attempt knows what it answers),
    /// save the state, mark the message answered. Failures here are retryable; the next attempt
    /// finds the reply on the message or among the receipts.
    #[allow(clippy::too_many_arguments)]
    async fn after_send(
        &self,
        key: &ConversationKey,
        event: &EventId,
        flow: &Flow,
        conversation: Conversation,
        state: crate::domain::ConversationState,
        sent: &EventId,
        budget: Instant,
    ) -> Result<(), Failure> {
        let at = now_ms();
        self.store_retry(budget, || self.store.record_sent(key, sent, event, at))
            .await
            .map_err(|e| {
                tracing::error!(conversation = %key, event = %event, reply = %sent, error = %e, "the reply was sent but could not be recorded");
                Failure::Retry(format!("recording the sent reply {sent}: {e}"))
            })?;
        self.save(key, event, flow, conversation, state, budget)
            .await?;
        self.finish(key, event, Some(sent.clone()), budget).await
    }
    /// Saves the state after `event` with the version check. On a conflict (the conversation
    /// changed since it was loaded: an operator resumed it, ...) the engine runs again on the
    /// fresh state and that result is saved: the message has been answered once, its effect on
    /// the state is applied to the newest state.
    async fn save(
        &self,
        key: &ConversationKey,
        event: &EventId,
        flow: &Flow,
        mut conversation: Conversation,
        mut state: crate::domain::ConversationState,
        budget: Instant,
    ) -> Result<(), Failure> {
        let mut attempt = 1;
        loop {
            state.last_answered = Some(event.clone());
            let result = self
                .store
                .save_conversation(key, &state, conversation.version)
                .await;
            match result {
                Ok(_) => return Ok(()),
                Err(StoreError::Conflict { .. }) if attempt < self.config.save_attempts => {
                    tracing::info!(conversation = %key, event = %event, attempt, "conversation changed meanwhile; applying the message to the fresh state");
                    conversation = self
                        .store_retry(budget, || self.store.load_conversation(key))
                        .await?;
                    let record = self
                        .store_retry(budget, || self.store.get_inbound(key, event))
                        .await?;
                    state = match record {
                        Some(r) => {
                            let input = EngineInput::from_message(
                                &r.message,
                                conversation.agent_last_active_ms,
                            );
                            step(flow, &conversation.state, &input).state
                        }
                        None => conversation.state.clone(),
                    };
                    attempt += 1;
                }
                Err(e) if e.is_transient() && Instant::now() < budget => {
                    tokio::time::sleep(Duration::from_millis(100 * u64::from(attempt))).await;
                    attempt += 1;
                    if attempt > self.config.save_attempts + 3 {
                        return Err(e.into());
                    }
                }
                Err(e) => return Err(e.into()),
            }
        }
    }

    async fn finish(
        &self,
        key: &ConversationKey,
        event: &EventId,
        reply: Option<EventId>,
        budget: Instant,
    ) -> Result<(), Failure> {
        let status = InboundStatus::Answered {
            reply_event_id: reply,
            at_ms: now_ms(),
        };
        self.store_retry(budget, || {
            self.store.set_inbound_status(key, event, &status)
        })
        .await
        .map_err(Failure::from)
    }

    /// Retries a store call on `Unavailable` with a short backoff while the budget lasts.
    async fn store_retry<T, F, Fut>(&self, budget: Instant, mut op: F) -> Result<T, StoreError>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<T, StoreError>>,
    {
        let mut wait = Duration::from_millis(50);
        loop {
            match op().await {
                Err(StoreError::Unavailable(reason)) if Instant::now() + wait < budget => {
                    tracing::warn!(%reason, wait_ms = wait.as_millis() as u64, "store unavailable; retrying");
                    tokio::time::sleep(wait).await;
                    wait = (wait * 2).min(Duration::from_secs(2));
                }
                other => return other,
            }
        }
    }
}

/// Whether `event` is a message from the conversation's account to its customer, created after
/// `after_ms`.
fn is_reply_after(event: &DmEvent, key: &ConversationKey, after_ms: u64) -> bool {
    let Some(mc) = &event.message_create else {
        return false;
    };
    mc.sender_id == key.account
        && mc.target.recipient_id == key.customer
        && created_ms(event) > after_ms
}

/// When Twitter says `event` was created (0 when it does not say).
fn created_ms(event: &DmEvent) -> u64 {
    event
        .created_timestamp
        .as_deref()
        .and_then(|t| t.parse::<u64>().ok())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests;
