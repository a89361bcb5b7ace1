//! Store failures: 503/500 so that Twitter redelivers, and no doubles on the retry.

use super::*;
use crate::store::usage::{BillableKind, DayUsage, Usage, UsageDay};

#[tokio::test]
async fn when_the_store_fails_should_return_503_and_report_no_counts() {
    let store = MemoryStore::new();
    store.set_failing(true);
    let d = deps(store.clone(), None);
    let response = post_fixture(&d, "webhook_dm_text.json").await;
    assert_eq!(response.status(), 503);
    let error = error_of(&response);
    assert_eq!(error.error, "store_unavailable");
    assert!(
        !response.body().contains("stored\":"),
        "{}",
        response.body()
    );

    // Twitter retries; once the store is back the same delivery goes through.
    store.set_failing(false);
    assert!(store.all_inbound().is_empty());
    assert_eq!(
        summary_of(&post_fixture(&d, "webhook_dm_text.json").await).stored,
        1
    );
}

#[tokio::test]
async fn when_the_outbox_lookup_fails_the_hand_over_is_not_acknowledged() {
    let store = MemoryStore::new();
    store.set_failing(true);
    let d = deps(store.clone(), None);
    let response = post_fixture(&d, "webhook_dm_from_human_agent.json").await;
    assert_eq!(response.status(), 503);
}

/// Fails the n-th `put_inbound` (1-based) once, then works: a store that breaks mid-batch.
/// With `usage_fails`, every count of a billed call fails too.
#[derive(Clone)]
struct FailsOnce {
    inner: MemoryStore,
    calls: Arc<AtomicUsize>,
    fail_on: usize,
    error: fn() -> StoreError,
    usage_fails: bool,
}

impl FailsOnce {
    fn new(inner: MemoryStore, fail_on: usize, error: fn() -> StoreError) -> Self {
        Self {
            inner,
            calls: Arc::new(AtomicUsize::new(0)),
            fail_on,
            error,
            usage_fails: false,
        }
    }
}

impl Usage for FailsOnce {
    async fn record(
        &self,
        account: Option<&AccountId>,
        day: &UsageDay,
        kind: BillableKind,
        count: u32,
    ) -> Result<(), StoreError> {
        if self.usage_fails {
            return Err(StoreError::Unavailable("usage throttled".into()));
        }
        self.inner.record(account, day, kind, count).await
    }
    async fn usage(
        &self,
        account: Option<&AccountId>,
        from: &UsageDay,
        to: &UsageDay,
    ) -> Result<Vec<DayUsage>, StoreError> {
        self.inner.usage(account, from, to).await
    }
}

impl Inbox for FailsOnce {
    async fn put_inbound(&self, record: &InboundRecord) -> Result<PutOutcome, StoreError> {
        if self.calls.fetch_add(1, Ordering::SeqCst) + 1 == self.fail_on {
            return Err((self.error)());
        }
        self.inner.put_inbound(record).await
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
        now: u64,
        lease: u64,
    ) -> Result<ClaimOutcome, StoreError> {
        self.inner.claim_inbound(c, e, now, lease).await
    }
    async fn set_inbound_status(
        &self,
        c: &ConversationKey,
        e: &EventId,
        s: &InboundStatus,
    ) -> Result<(), StoreError> {
        self.inner.set_inbound_status(c, e, s).await
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
        m: &AttemptMark,
    ) -> Result<bool, StoreError> {
        self.inner.mark_inbound(c, e, m).await
    }
    async fn take_due_deferred(
        &self,
        now: u64,
        limit: usize,
    ) -> Result<Vec<InboundRecord>, StoreError> {
        self.inner.take_due_deferred(now, limit).await
    }
    async fn list_unfinished(
        &self,
        before: u64,
        limit: usize,
    ) -> Result<Vec<InboundRecord>, StoreError> {
        self.inner.list_unfinished(before, limit).await
    }
}

impl Outbox for FailsOnce {
    async fn record_sent(
        &self,
        c: &ConversationKey,
        e: &EventId,
        to: &EventId,
        at: u64,
    ) -> Result<(), StoreError> {
        self.inner.record_sent(c, e, to, at).await
    }
    async fn record_echo(&self, echo: &AccountEcho, at: u64) -> Result<(), StoreError> {
        self.inner.record_echo(echo, at).await
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

impl Conversations for FailsOnce {
    async fn load_conversation(&self, c: &ConversationKey) -> Result<Conversation, StoreError> {
        self.inner.load_conversation(c).await
    }
    async fn save_conversation(
        &self,
        c: &ConversationKey,
        s: &crate::domain::ConversationState,
        v: u64,
    ) -> Result<u64, StoreError> {
        self.inner.save_conversation(c, s, v).await
    }
    async fn record_agent_activity(&self, a: &AgentActivity) -> Result<(), StoreError> {
        self.inner.record_agent_activity(a).await
    }
}

impl Revocations for FailsOnce {
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

#[tokio::test]
async fn when_the_store_fails_mid_batch_the_retry_stores_the_rest_without_doubles() {
    let inner = MemoryStore::new();
    let store = FailsOnce::new(inner.clone(), 2, || {
        StoreError::Unavailable("throttled".into())
    });
    let d = deps(store, None);
    let body = fixture("webhook_dm_batch.json");
    let first = handle_webhook_post(&d, &signed_post(body.clone()), NOW).await;
    assert_eq!(first.status(), 503);
    assert_eq!(inner.all_inbound().len(), 1, "the first write stays");

    let retry = handle_webhook_post(&d, &signed_post(body), NOW + 3_000).await;
    assert_eq!(
        summary_of(&retry),
        IngestSummary {
            stored: 2,
            duplicates: 1,
            ..IngestSummary::default()
        }
    );
    assert_eq!(inner.all_inbound().len(), 3);
}

#[tokio::test]
async fn a_permanent_store_error_answers_500() {
    let store = FailsOnce::new(MemoryStore::new(), 1, || {
        StoreError::Rejected("no such table".into())
    });
    let d = deps(store, None);
    let response =
        handle_webhook_post(&d, &signed_post(fixture("webhook_dm_text.json")), NOW).await;
    assert_eq!(response.status(), 500);
    // Internal details stay in the logs.
    assert!(
        !response.body().contains("no such table"),
        "{}",
        response.body()
    );
}

#[tokio::test]
async fn a_billed_delivery_whose_count_fails_is_still_stored_and_answered_200() {
    let inner = MemoryStore::new();
    let mut store = FailsOnce::new(inner.clone(), 0, || {
        StoreError::Unavailable("unused".into())
    });
    store.usage_fails = true;
    let d = deps(store, Some(OUR_APP));
    let response =
        handle_webhook_post(&d, &signed_post(fixture("xaa_dm_received.json")), NOW).await;
    assert_eq!(summary_of(&response).stored, 1);
    assert_eq!(inner.all_inbound().len(), 1);
    let day = UsageDay::from_ms(NOW);
    let account = UserId::parse(ACCOUNT).unwrap();
    assert!(
        inner
            .usage(Some(&account), &day, &day)
            .await
            .unwrap()
            .is_empty()
    );
}
