//! The health record, in every store (memory, embedded, DynamoDB on moto).

use crate::support::*;

async fn health_round_trip(store: &impl Health) {
    assert_eq!(store.get_health().await.unwrap(), Default::default());
    store.record_crc(1_000, 250).await.unwrap();
    store.record_delivery(2_000).await.unwrap();
    let run = WatchdogRun {
        at_ms: 3_000,
        outcome: WatchdogOutcome::Revalidated,
        detail: "webhook 1 was invalid".into(),
        invalid_runs: 0,
        silent: false,
        list_rate_limit: Some(StoredRateLimit {
            remaining: 12,
            reset_at: 99,
        }),
        crc_rate_limit: None,
    };
    store.record_watchdog_run(&run).await.unwrap();
    // Each writer's fields survive the others' writes.
    store.record_delivery(4_000).await.unwrap();
    let h = store.get_health().await.unwrap();
    assert_eq!(h.last_crc_ms, Some(1_000));
    assert_eq!(h.last_crc_latency_us, Some(250));
    assert_eq!(h.last_delivery_ms, Some(4_000));
    assert_eq!(h.last_watchdog, Some(run));
}

#[tokio::test]
async fn memory_store_keeps_the_health_record() {
    health_round_trip(&MemoryStore::new()).await;
}

#[tokio::test]
async fn embedded_store_keeps_the_health_record() {
    let dir = tempfile::tempdir().unwrap();
    let store = EmbeddedStore::open(dir.path().join("dmbot.redb")).unwrap();
    health_round_trip(&store).await;
}

#[tokio::test]
async fn dynamodb_store_keeps_the_health_record() {
    let store: DynamoStore = Moto::shared().await.fresh_table().await;
    health_round_trip(&store).await;
}
