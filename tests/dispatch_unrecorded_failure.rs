//! L2 of the security review: a message that failed permanently, when the failure could not be
//! written, used to stay `pending` with nothing to bring it back and out of `dmbot failures list`.
//! Now it is handed back for redelivery (a stream batch item failure) until its failure is on
//! record.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use dmbot_shared::dispatch::{DispatchConfig, DispatchError, Dispatcher, FlowSource};
use dmbot_shared::domain::{
    AccountEcho, AccountId, AgentActivity, ConversationKey, ConversationState, EventId,
    InboundMessage, InboundRecord, InboundStatus, UserId, now_ms,
};
use dmbot_shared::flow::Flow;
use dmbot_shared::store::budget::{BudgetKey, SendBudget, Taken};
use dmbot_shared::store::dynamodb::DynamoStore;
use dmbot_shared::store::usage::{BillableKind, DayUsage, Usage, UsageDay};
use dmbot_shared::store::{
    AccountRecord, Accounts, AttemptMark, ClaimOutcome, Conversation, Conversations, FlowRecord,
    Flows, ForgetStep, Inbox, MediaCache, MediaRef, Outbox, PendingForget, PutOutcome, Receipt,
    Revocations, StoreError,
};
use dmbot_shared::twitter::oauth1::TokenCredentials;
use dmbot_tests::moto::Moto;
use dmbot_tests::simulator::{Fault, TwitterApi, client};

const SEND: &str = "direct_messages/events/new.json";

const FLOW: &str = r#"
id = "l2"
start = "menu"
fallback = "menu"

[nodes.menu]
text = "Menu"
"#;

/// The DynamoDB store, except that recording a failure fails while `fail_failures` is set (a
/// throttled or unreachable table at that moment).
#[derive(Clone)]
struct FailureNotRecorded {
    inner: DynamoStore,
    fail_failures: Arc<AtomicBool>,
}

impl Inbox for FailureNotRecorded {
    async fn put_inbound(&self, r: &InboundRecord) -> Result<PutOutcome, StoreError> {
        self.inner.put_inbound(r).await
    }
    async fn get_inbound(
        &self,
        c: &ConversationKey,
        e: &EventId,
    ) -> Result<Option<InboundRecord>, StoreError> {
        self.inner.get_inbound(c, e).await
    }
    async fn claim_inbound(
        &self,
        c: &ConversationKey,
        e: &EventId,
        now_ms: u64,
        lease_ms: u64,
    ) -> Result<ClaimOutcome, StoreError> {
        self.inner.claim_inbound(c, e, now_ms, lease_ms).await
    }
    async fn set_inbound_status(
        &self,
        c: &ConversationKey,
        e: &EventId,
        status: &InboundStatus,
    ) -> Result<(), StoreError> {
        if matches!(status, InboundStatus::Failed { .. })
            && self.fail_failures.load(Ordering::SeqCst)
        {
            return Err(StoreError::Unavailable("throttled (test)".into()));
        }
        self.inner.set_inbound_status(c, e, status).await
    }
    async fn pending_in_conversation(
        &self,
        c: &ConversationKey,
        limit: usize,
    ) -> Result<Vec<InboundRecord>, StoreError> {
        self.inner.pending_in_conversation(c, limit).await
    }
    async fn list_failed(&self, limit: usize) -> Result<Vec<InboundRecord>, StoreError> {
        self.inner.list_failed(limit).await
    }
    async fn mark_inbound(
        &self,
        c: &ConversationKey,
        e: &EventId,
        mark: &AttemptMark,
    ) -> Result<bool, StoreError> {
        self.inner.mark_inbound(c, e, mark).await
    }
    async fn take_due_deferred(
        &self,
        now_ms: u64,
        limit: usize,
    ) -> Result<Vec<InboundRecord>, StoreError> {
        self.inner.take_due_deferred(now_ms, limit).await
    }
    async fn list_unfinished(
        &self,
        before_ms: u64,
        limit: usize,
    ) -> Result<Vec<InboundRecord>, StoreError> {
        self.inner.list_unfinished(before_ms, limit).await
    }
}

impl Outbox for FailureNotRecorded {
    async fn record_sent(
        &self,
        c: &ConversationKey,
        sent: &EventId,
        in_reply_to: &EventId,
        at_ms: u64,
    ) -> Result<(), StoreError> {
        self.inner.record_sent(c, sent, in_reply_to, at_ms).await
    }
    async fn record_echo(&self, echo: &AccountEcho, at_ms: u64) -> Result<(), StoreError> {
        self.inner.record_echo(echo, at_ms).await
    }
    async fn receipts_after(
        &self,
        c: &ConversationKey,
        after: &EventId,
    ) -> Result<Vec<Receipt>, StoreError> {
        self.inner.receipts_after(c, after).await
    }
    async fn is_sent_by_bot(&self, c: &ConversationKey, e: &EventId) -> Result<bool, StoreError> {
        self.inner.is_sent_by_bot(c, e).await
    }
}

impl Conversations for FailureNotRecorded {
    async fn load_conversation(&self, c: &ConversationKey) -> Result<Conversation, StoreError> {
        self.inner.load_conversation(c).await
    }
    async fn save_conversation(
        &self,
        c: &ConversationKey,
        state: &ConversationState,
        expected_version: u64,
    ) -> Result<u64, StoreError> {
        self.inner
            .save_conversation(c, state, expected_version)
            .await
    }
    async fn record_agent_activity(&self, a: &AgentActivity) -> Result<(), StoreError> {
        self.inner.record_agent_activity(a).await
    }
}

impl Accounts for FailureNotRecorded {
    async fn put_account(&self, a: &AccountRecord) -> Result<(), StoreError> {
        self.inner.put_account(a).await
    }
    async fn get_account(&self, id: &AccountId) -> Result<Option<AccountRecord>, StoreError> {
        self.inner.get_account(id).await
    }
    async fn list_accounts(&self) -> Result<Vec<AccountRecord>, StoreError> {
        self.inner.list_accounts().await
    }
}

impl Revocations for FailureNotRecorded {
    async fn revoke_account(&self, id: &AccountId, now_ms: u64) -> Result<(), StoreError> {
        self.inner.revoke_account(id, now_ms).await
    }
    async fn pending_forgets(&self, limit: usize) -> Result<Vec<PendingForget>, StoreError> {
        self.inner.pending_forgets(limit).await
    }
    async fn forget_step(&self, id: &AccountId, max: usize) -> Result<ForgetStep, StoreError> {
        self.inner.forget_step(id, max).await
    }
}

impl Flows for FailureNotRecorded {
    async fn put_flow(&self, flow: &FlowRecord) -> Result<(), StoreError> {
        self.inner.put_flow(flow).await
    }
    async fn get_flow(&self, id: &str) -> Result<Option<FlowRecord>, StoreError> {
        self.inner.get_flow(id).await
    }
}

impl MediaCache for FailureNotRecorded {
    async fn get_media(&self, a: &AccountId, sha: &str) -> Result<Option<MediaRef>, StoreError> {
        self.inner.get_media(a, sha).await
    }
    async fn put_media(&self, a: &AccountId, sha: &str, m: &MediaRef) -> Result<(), StoreError> {
        self.inner.put_media(a, sha, m).await
    }
}

impl Usage for FailureNotRecorded {
    async fn record(
        &self,
        a: Option<&AccountId>,
        day: &UsageDay,
        kind: BillableKind,
        n: u32,
    ) -> Result<(), StoreError> {
        self.inner.record(a, day, kind, n).await
    }
    async fn usage(
        &self,
        a: Option<&AccountId>,
        from: &UsageDay,
        to: &UsageDay,
    ) -> Result<Vec<DayUsage>, StoreError> {
        self.inner.usage(a, from, to).await
    }
}

impl SendBudget for FailureNotRecorded {
    async fn try_take(&self, key: &BudgetKey, limit: u32, now: u64) -> Result<Taken, StoreError> {
        self.inner.try_take(key, limit, now).await
    }
    async fn give_back(&self, key: &BudgetKey, start: u64) -> Result<(), StoreError> {
        self.inner.give_back(key, start).await
    }
    async fn observe(
        &self,
        key: &BudgetKey,
        limit: u32,
        remaining: u32,
        reset_at_ms: Option<u64>,
        now: u64,
    ) -> Result<(), StoreError> {
        self.inner
            .observe(key, limit, remaining, reset_at_ms, now)
            .await
    }
    async fn blocked_until(&self, key: &BudgetKey, now: u64) -> Result<Option<u64>, StoreError> {
        self.inner.blocked_until(key, now).await
    }
}

#[tokio::test]
async fn a_permanent_failure_that_cannot_be_recorded_is_retried_not_left_pending() {
    let fake = TwitterApi::start().await;
    let store = FailureNotRecorded {
        inner: Moto::shared().await.fresh_table().await,
        fail_failures: Arc::new(AtomicBool::new(true)),
    };
    let dir = tempfile::tempdir().unwrap();
    let flow = Flow::from_toml_str(FLOW, dir.path()).unwrap_or_else(|e| panic!("{e}"));
    let owner = fake.owner();
    let mut config = DispatchConfig::new(
        TokenCredentials::new(&owner.token, &owner.token_secret),
        FlowSource::Fixed(Arc::new(flow)),
    );
    config.deadline_margin = Duration::from_millis(200);
    config.lease_margin = Duration::from_millis(100);
    config.echo_grace = Duration::from_millis(200);
    let dispatcher = Dispatcher::new(store.clone(), client(&fake), config);

    let key = ConversationKey::new(
        UserId::parse(&owner.user_id).unwrap(),
        UserId::parse("3001969357").unwrap(),
    );
    let record = InboundRecord::pending(
        InboundMessage::text(
            EventId::parse("1600000000000000001").unwrap(),
            key.clone(),
            now_ms(),
            "hello",
        ),
        now_ms(),
    );
    store.put_inbound(&record).await.unwrap();
    let refuse = || Fault::Error {
        status: 403,
        code: 349,
        message: "You cannot send messages to this user.".into(),
    };
    fake.fail_next(SEND, 1, refuse());

    let deadline = Instant::now() + Duration::from_secs(2);
    let outcome = dispatcher.handle(&record, deadline).await;
    assert!(
        matches!(outcome, Err(DispatchError::Retryable { .. })),
        "an unrecorded failure must come back: {outcome:?}"
    );
    let stored = store
        .get_inbound(&key, &record.message.event_id)
        .await
        .unwrap()
        .expect("kept");
    assert_eq!(stored.status, InboundStatus::Pending);

    // The redelivery once the first attempt's lease is over, with the table back: the failure
    // is on record and listed.
    tokio::time::sleep_until((deadline + Duration::from_millis(500)).into()).await;
    store.fail_failures.store(false, Ordering::SeqCst);
    fake.fail_next(SEND, 1, refuse());
    let outcome = dispatcher
        .handle(&stored, Instant::now() + Duration::from_secs(5))
        .await;
    assert!(
        matches!(outcome, Err(DispatchError::Permanent { .. })),
        "{outcome:?}"
    );
    let failed = store.list_failed(10).await.unwrap();
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert!(fake.sent_messages().is_empty());
}
