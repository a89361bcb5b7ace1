//! [`Faulty`]: any store with faults injected before chosen calls, for tests of what a failing
//! store does to the code above it (feature `test-support`, and this crate's own tests). Every
//! port method asks the fault first ([`StoreCall`] says which call, with the arguments tests
//! choose by), then delegates to the wrapped store: one home for the delegation that every such
//! test needs.

use std::sync::Arc;

use super::budget::{BudgetKey, SendBudget, Taken};
use super::invites::{InviteRecord, Invites};
use super::signin::{PendingSignin, PendingSignins};
use super::usage::{BillableKind, DayUsage, Usage, UsageDay};
use super::{
    AccountRecord, Accounts, AttemptMark, ClaimOutcome, Conversation, Conversations, FlowRecord,
    Flows, ForgetStep, Inbox, MediaCache, MediaRef, Outbox, PendingForget, PutOutcome, Receipt,
    Revocations, StoreError,
};
use crate::domain::{
    AccountEcho, AccountId, AgentActivity, ConversationKey, ConversationState, EventId,
    InboundRecord, InboundStatus,
};
use crate::invite::InviteId;

/// The call about to be made, for the fault to decide on.
#[derive(Debug, Clone, Copy)]
pub enum StoreCall<'a> {
    PutInbound(&'a InboundRecord),
    SetInboundStatus(&'a InboundStatus),
    RecordUsage(BillableKind),
    /// Any other port method, by name (`get_inbound`, `try_take`, ...).
    Other(&'static str),
}

type Fault = dyn Fn(&StoreCall<'_>) -> Option<StoreError> + Send + Sync;

/// `inner`, except that a call fails with the error `fault` returns for it.
#[derive(Clone)]
pub struct Faulty<S> {
    inner: S,
    fault: Arc<Fault>,
}

impl<S> Faulty<S> {
    pub fn new(
        inner: S,
        fault: impl Fn(&StoreCall<'_>) -> Option<StoreError> + Send + Sync + 'static,
    ) -> Self {
        Self {
            inner,
            fault: Arc::new(fault),
        }
    }

    pub fn inner(&self) -> &S {
        &self.inner
    }

    fn check(&self, call: StoreCall<'_>) -> Result<(), StoreError> {
        match (self.fault)(&call) {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }
}

/// `async fn name(&self, args) -> Result<T, StoreError>`: the fault for `Other("name")`, then
/// the wrapped store's method.
macro_rules! delegate {
    ($(fn $name:ident(&self $(, $arg:ident: $ty:ty)*) -> $out:ty;)*) => {
        $(
            async fn $name(&self $(, $arg: $ty)*) -> Result<$out, StoreError> {
                self.check(StoreCall::Other(stringify!($name)))?;
                self.inner.$name($($arg),*).await
            }
        )*
    };
}

impl<S: Inbox> Inbox for Faulty<S> {
    async fn put_inbound(&self, record: &InboundRecord) -> Result<PutOutcome, StoreError> {
        self.check(StoreCall::PutInbound(record))?;
        self.inner.put_inbound(record).await
    }
    async fn set_inbound_status(
        &self,
        c: &ConversationKey,
        e: &EventId,
        status: &InboundStatus,
    ) -> Result<(), StoreError> {
        self.check(StoreCall::SetInboundStatus(status))?;
        self.inner.set_inbound_status(c, e, status).await
    }
    delegate! {
        fn get_inbound(&self, c: &ConversationKey, e: &EventId) -> Option<InboundRecord>;
        fn claim_inbound(&self, c: &ConversationKey, e: &EventId, now_ms: u64, lease_ms: u64) -> ClaimOutcome;
        fn list_failed(&self, limit: usize) -> Vec<InboundRecord>;
        fn mark_inbound(&self, c: &ConversationKey, e: &EventId, mark: &AttemptMark) -> bool;
        fn take_due_deferred(&self, now_ms: u64, limit: usize) -> Vec<InboundRecord>;
        fn list_unfinished(&self, before_ms: u64, limit: usize) -> Vec<InboundRecord>;
        fn pending_in_conversation(&self, c: &ConversationKey, limit: usize) -> Vec<InboundRecord>;
    }
}

impl<S: Outbox> Outbox for Faulty<S> {
    delegate! {
        fn record_sent(&self, c: &ConversationKey, sent: &EventId, in_reply_to: &EventId, at_ms: u64) -> ();
        fn record_echo(&self, echo: &AccountEcho, at_ms: u64) -> ();
        fn receipts_after(&self, c: &ConversationKey, after: &EventId) -> Vec<Receipt>;
        fn is_sent_by_bot(&self, c: &ConversationKey, e: &EventId) -> bool;
    }
}

impl<S: Conversations> Conversations for Faulty<S> {
    delegate! {
        fn load_conversation(&self, c: &ConversationKey) -> Conversation;
        fn save_conversation(&self, c: &ConversationKey, state: &ConversationState, expected_version: u64) -> u64;
        fn record_agent_activity(&self, a: &AgentActivity) -> ();
    }
}

impl<S: Accounts> Accounts for Faulty<S> {
    delegate! {
        fn put_account(&self, a: &AccountRecord) -> ();
        fn get_account(&self, id: &AccountId) -> Option<AccountRecord>;
        fn list_accounts(&self) -> Vec<AccountRecord>;
    }
}

impl<S: Revocations> Revocations for Faulty<S> {
    delegate! {
        fn revoke_account(&self, id: &AccountId, now_ms: u64) -> ();
        fn pending_forgets(&self, limit: usize) -> Vec<PendingForget>;
        fn forget_step(&self, id: &AccountId, max: usize) -> ForgetStep;
    }
}

impl<S: Flows> Flows for Faulty<S> {
    delegate! {
        fn put_flow(&self, flow: &FlowRecord) -> ();
        fn get_flow(&self, id: &str) -> Option<FlowRecord>;
    }
}

impl<S: MediaCache> MediaCache for Faulty<S> {
    delegate! {
        fn get_media(&self, a: &AccountId, sha: &str) -> Option<MediaRef>;
        fn put_media(&self, a: &AccountId, sha: &str, m: &MediaRef) -> ();
    }
}

impl<S: Usage> Usage for Faulty<S> {
    async fn record(
        &self,
        account: Option<&AccountId>,
        day: &UsageDay,
        kind: BillableKind,
        count: u32,
    ) -> Result<(), StoreError> {
        self.check(StoreCall::RecordUsage(kind))?;
        self.inner.record(account, day, kind, count).await
    }
    delegate! {
        fn usage(&self, account: Option<&AccountId>, from: &UsageDay, to: &UsageDay) -> Vec<DayUsage>;
    }
}

impl<S: SendBudget> SendBudget for Faulty<S> {
    delegate! {
        fn try_take(&self, key: &BudgetKey, limit: u32, now_ms: u64) -> Taken;
        fn give_back(&self, key: &BudgetKey, window_start_ms: u64) -> ();
        fn observe(&self, key: &BudgetKey, limit: u32, remaining: u32, reset_at_ms: Option<u64>, now_ms: u64) -> ();
        fn blocked_until(&self, key: &BudgetKey, now_ms: u64) -> Option<u64>;
    }
}

impl<S: PendingSignins> PendingSignins for Faulty<S> {
    delegate! {
        fn put_pending_signin(&self, p: &PendingSignin) -> ();
        fn get_pending_signin(&self, token: &str, now_ms: u64) -> Option<PendingSignin>;
        fn take_pending_signin(&self, token: &str, now_ms: u64) -> Option<PendingSignin>;
    }
}

impl<S: Invites> Invites for Faulty<S> {
    delegate! {
        fn put_invite(&self, invite: &InviteRecord) -> ();
        fn get_invite(&self, id: &InviteId, now_ms: u64) -> Option<InviteRecord>;
        fn take_invite(&self, id: &InviteId, now_ms: u64) -> Option<InviteRecord>;
        fn list_invites(&self, now_ms: u64) -> Vec<InviteRecord>;
        fn revoke_invite(&self, id: &InviteId) -> bool;
    }
}
