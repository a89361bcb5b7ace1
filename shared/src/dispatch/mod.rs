//! Reply dispatch (feature `client`): from a stored inbound customer message to exactly one
//! reply on Twitter, with the conversation's state saved.
//!
//! The DynamoDB stream (in AWS) or the embedded store's notifications (`dmbot serve`) hand
//! [`InboundRecord`](crate::domain::InboundRecord)s to a [`Dispatcher`]. For each message,
//! [`Dispatcher::handle`] (one tracing span per message, carrying its conversation and event
//! id):
//!
//! 1. **claims** it ([`Inbox::claim_inbound`](crate::store::Inbox::claim_inbound), a lease that
//!    ends shortly after this invocation's deadline), so redeliveries and concurrent invocations leave it alone; a message already
//!    answered or failed is skipped;
//! 2. resolves the **account** (`for_user_id`): its tokens and flow ([`accounts`]);
//! 3. **loads** the conversation and runs the **engine** ([`crate::flow::step`]), after making
//!    sure no earlier message of the conversation is put off (it then waits behind it), and
//!    **coalesces** a message that waited into the customer's later one (`order.rs`);
//! 4. for a reply: checks the daily **spend cap** (`spend_cap.rs`), takes a **send slot** or is
//!    put off to a reserved one (`send_budget.rs`), marks the message **read** and shows the
//!    **typing** indicator (both cosmetic, best effort, budgeted), resolves the **media** id
//!    (cache, then upload), and **sends**;
//! 5. **records** the sent event id
//!    ([`Outbox::record_sent`](crate::store::Outbox::record_sent)) so the webhook recognises
//!    the echo;
//! 6. **saves** the conversation with its version check (re-running the engine on the fresh
//!    state after a conflict);
//! 7. marks the message **answered**.
//!
//! Failures (`docs/TWITTER-API.md` §7): transient calls are retried within the deadline
//! ([`crate::twitter::retry::RetryPolicy`]); a rate-limited send, and whatever still fails, puts
//! the message off ([`Handled::Deferred`]: it comes back by itself). A permanent refusal is recorded on
//! the message ([`InboundStatus::Failed`](crate::domain::InboundStatus::Failed), `dmbot
//! failures` lists and redrives it) and is a [`DispatchError::Permanent`]: the shard moves on.
//!
//! Exactly one reply: see `docs/DISPATCH.md` for the one window (a crash between Twitter
//! accepting a send and our write) and how [`Dispatcher`] narrows it by looking for an
//! unrecorded reply before sending again.
//!
//! Where each part lives: `config.rs` (settings), `outcome.rs` (what handling comes to),
//! `batch.rs` (ordering within a conversation), `handle.rs` (one message: the span, the
//! outcome written down), `pipeline.rs` (the steps above), `send.rs` (the send and its
//! retries), `lookup.rs` (did an earlier attempt's reply go out?), `writes.rs` (the store
//! writes after a decision), `accounts.rs`, `media.rs`, `recovery.rs`, `send_budget.rs` (X's
//! limits), `order.rs` (waiting behind, coalescing), `spend_cap.rs`, `metrics.rs` (EMF).

mod accounts;
mod batch;
mod config;
mod handle;
mod lookup;
mod media;
mod metrics;
mod order;
mod outcome;
mod pipeline;
pub mod recovery;
mod send;
mod send_budget;
mod spend_cap;
mod writes;
mod x_api;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use crate::domain::{UserId, now_ms};
use crate::flow::Flow;
use crate::twitter::client::TwitterClient;

pub use crate::store::Store;
pub use accounts::{ResolvedAccount, owner_id_from_access_token};
pub use config::{DEFAULT_FLOW_ID, DEFAULT_FLOW_ID_VAR, DispatchConfig, FlowSource};
use outcome::Failure;
pub use outcome::{DispatchError, Handled};
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
}

#[cfg(test)]
mod tests;
