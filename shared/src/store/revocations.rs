//! The revocations port: removing a revoked account's data, in two steps.

use std::future::Future;

use super::StoreError;
use crate::domain::AccountId;

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
