//! What X bills the webhook for: each X Activity API `dm.received` event delivered ($0.010,
//! `docs/X-API-V2.md` §7) is counted for `dmbot usage` once, when its message is first stored.
//! Account Activity deliveries and the free XAA events are not counted.

use super::*;
use crate::store::usage::{BillableKind, Usage, UsageDay};

async fn counts(store: &MemoryStore) -> Vec<(BillableKind, u64)> {
    let day = UsageDay::from_ms(NOW);
    let account = UserId::parse(ACCOUNT).unwrap();
    let days = store.usage(Some(&account), &day, &day).await.unwrap();
    days.into_iter()
        .flat_map(|d| d.counts.into_iter())
        .collect()
}

#[tokio::test]
async fn a_new_dm_received_event_is_counted_once_and_its_redelivery_not_again() {
    let store = MemoryStore::new();
    let d = deps(store.clone(), Some(OUR_APP));
    assert_eq!(
        summary_of(&post_fixture(&d, "xaa_dm_received.json").await).stored,
        1
    );
    assert_eq!(
        counts(&store).await,
        vec![(BillableKind::DmReceivedDelivery, 1)]
    );

    // X delivers the same event again (a retry after a lost 200): stored already, not counted.
    let again = summary_of(&post_fixture(&d, "xaa_dm_received.json").await);
    assert_eq!(again.duplicates, 1);
    assert_eq!(
        counts(&store).await,
        vec![(BillableKind::DmReceivedDelivery, 1)]
    );
}

#[tokio::test]
async fn the_count_is_on_the_utc_day_of_the_delivery_and_for_the_filtered_account() {
    let store = MemoryStore::new();
    let d = deps(store.clone(), Some(OUR_APP));
    let late = 1_795_996_799_000; // 2026-11-29T23:59:59Z
    handle_webhook_post(&d, &signed_post(fixture("xaa_dm_received.json")), late).await;
    let account = UserId::parse(ACCOUNT).unwrap();
    let day = UsageDay::parse("2026-11-29").unwrap();
    let days = store.usage(Some(&account), &day, &day).await.unwrap();
    assert_eq!(days.len(), 1, "{days:?}");
    assert_eq!(
        days[0].counts.get(&BillableKind::DmReceivedDelivery),
        Some(&1)
    );
    // And the app's total (what the daily spend cap reads).
    let app = store.usage(None, &day, &day).await.unwrap();
    assert_eq!(
        app[0].counts.get(&BillableKind::DmReceivedDelivery),
        Some(&1),
        "{app:?}"
    );
}

#[tokio::test]
async fn account_activity_deliveries_and_free_xaa_events_are_not_counted() {
    let store = MemoryStore::new();
    let d = deps(store.clone(), Some(OUR_APP));
    // v1.1 / Account Activity v2: the same customer message, not priced per delivery.
    assert_eq!(
        summary_of(&post_fixture(&d, "webhook_dm_text.json").await).stored,
        1
    );
    // dm.sent (the account's own message) and the other free events.
    for free in [
        "xaa_dm_sent.json",
        "xaa_dm_read.json",
        "xaa_dm_indicate_typing.json",
    ] {
        summary_of(&post_fixture(&d, free).await);
    }
    assert_eq!(counts(&store).await, vec![]);
}
