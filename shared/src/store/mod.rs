//! The storage port: small traits, one per concern, so that each function depends on (and, in
//! AWS, is granted IAM permissions for) only what it uses.
//!
//! | Port | Trait | File |
//! | --- | --- | --- |
//! | Inbound messages (dedupe, inbox, queue) | [`Inbox`] | `inbox.rs` |
//! | Sent messages (receipts) | [`Outbox`] | `outbox.rs` |
//! | Conversation state, agent activity | [`Conversations`] | `conversations.rs` |
//! | Connected accounts | [`Accounts`] | `accounts.rs` |
//! | Revoked accounts' data removal | [`Revocations`] | `revocations.rs` |
//! | Bot flows | [`Flows`] | `flows.rs` |
//! | Uploaded media ids | [`MediaCache`] | `media.rs` |
//! | Pending Twitter Sign-ins | [`signin::PendingSignins`] | `signin.rs` |
//! | Sign-in invites | [`invites::Invites`] | `invites.rs` |
//! | Webhook health records | [`health::Health`] | `health.rs` |
//! | Send budgets per window (app, account) | [`budget::SendBudget`] | `budget.rs` |
//! | Billable calls per owner and day | [`usage::Usage`] | `usage.rs` |
//!
//! Each port file holds the trait, its record types and its semantics; no implementation.
//! `prices.rs` is no port: what the counted calls cost ([`prices::PriceTable`]) and the daily
//! spend cap, pure.
//! The implementations each have one file per port:
//! - [`memory::MemoryStore`]: in-process, for unit tests and as the reference behaviour;
//! - `embedded::EmbeddedStore` (feature `embedded`, folder `embedded/`): a redb file on disk,
//!   for `dmbot serve`;
//! - `dynamodb::DynamoStore` (feature `dynamodb`, folder `dynamodb/`): the single-table design
//!   of ARCHITECTURE.md.
//!
//! The rules the two in-process stores apply alike (claims, version checks, the newest flow)
//! are written once, in [`rules`]. One contract test suite (`tests/store_contract/`) runs every
//! port against every implementation.
//!
//! The traits use `impl Future + Send` returns so handlers can be generic over them (no `dyn`)
//! and still be spawned on a multi-threaded runtime.

use crate::domain::{InboundRecord, InboundStatus};

mod accounts;
pub mod budget;
mod conversations;
#[cfg(feature = "dynamodb")]
pub mod dynamodb;
#[cfg(feature = "embedded")]
pub mod embedded;
#[cfg(any(test, feature = "test-support"))]
pub mod faulty;
mod flows;
pub mod health;
mod inbox;
pub mod invites;
mod media;
pub mod memory;
mod outbox;
pub mod prices;
pub mod recorder;
mod revocations;
pub mod rules;
pub mod signin;
pub mod usage;

pub use accounts::{AccountRecord, AccountTokens, Accounts};
pub use conversations::{Conversation, Conversations};
pub use flows::{FlowRecord, Flows};
pub use inbox::{AttemptMark, Inbox};
pub use media::{MediaCache, MediaRef};
pub use outbox::{Outbox, RECEIPTS_LIMIT, Receipt};
pub use revocations::{ForgetStep, PendingForget, Revocations};
pub use rules::apply_mark;

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
    /// The embedded store's data file is already open (redb admits one holder: another process,
    /// or an earlier open in this one). Not retryable until that holder closes it.
    #[error(
        "the data file {} is already open (another `dmbot serve`?): stop it or use another data directory",
        path.display()
    )]
    InUse { path: std::path::PathBuf },
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

/// Everything a full deployment needs, for code (the local stack, tests) that uses all of it.
pub trait Store:
    Inbox
    + Outbox
    + Conversations
    + Accounts
    + Revocations
    + Flows
    + MediaCache
    + usage::Usage
    + budget::SendBudget
{
}
impl<
    T: Inbox
        + Outbox
        + Conversations
        + Accounts
        + Revocations
        + Flows
        + MediaCache
        + usage::Usage
        + budget::SendBudget,
> Store for T
{
}
