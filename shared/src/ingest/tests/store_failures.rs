//! Store failures: 503/500 so that Twitter redelivers, and no doubles on the retry.

use super::*;
use crate::store::faulty::{Faulty, StoreCall};
use crate::store::usage::{Usage, UsageDay};

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
fn fails_once(
    inner: MemoryStore,
    fail_on: usize,
    error: fn() -> StoreError,
) -> Faulty<MemoryStore> {
    let calls = AtomicUsize::new(0);
    Faulty::new(inner, move |call| match call {
        StoreCall::PutInbound(_) if calls.fetch_add(1, Ordering::SeqCst) + 1 == fail_on => {
            Some(error())
        }
        _ => None,
    })
}

#[tokio::test]
async fn when_the_store_fails_mid_batch_the_retry_stores_the_rest_without_doubles() {
    let inner = MemoryStore::new();
    let store = fails_once(inner.clone(), 2, || {
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
    let store = fails_once(MemoryStore::new(), 1, || {
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
    // Every count of a billed call fails.
    let store = Faulty::new(inner.clone(), |call| {
        matches!(call, StoreCall::RecordUsage(_))
            .then(|| StoreError::Unavailable("usage throttled".into()))
    });
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
