//! The health port: each writer's fields survive the others' writes.

use dmbot_shared::store::health::{Health, StoredRateLimit, WatchdogOutcome, WatchdogRun};

fn run(at_ms: u64, outcome: WatchdogOutcome) -> WatchdogRun {
    WatchdogRun {
        at_ms,
        outcome,
        detail: "webhook 1 was invalid".into(),
        invalid_runs: 0,
        silent: false,
        list_rate_limit: Some(StoredRateLimit {
            remaining: 12,
            reset_at: 99,
        }),
        crc_rate_limit: None,
    }
}

pub async fn the_health_record_keeps_each_writers_fields<S: Health>(store: &S) {
    assert_eq!(store.get_health().await.expect("get"), Default::default());
    store.record_crc(1_000, 250).await.expect("crc");
    store.record_delivery(2_000).await.expect("delivery");
    let run = run(3_000, WatchdogOutcome::Revalidated);
    store.record_watchdog_run(&run).await.expect("watchdog");
    // Each writer's fields survive the others' writes.
    store.record_delivery(4_000).await.expect("delivery");
    let h = store.get_health().await.expect("get");
    assert_eq!(h.last_crc_ms, Some(1_000));
    assert_eq!(h.last_crc_latency_us, Some(250));
    assert_eq!(h.last_delivery_ms, Some(4_000));
    assert_eq!(h.last_watchdog, Some(run));
}

pub async fn an_older_crc_or_delivery_time_never_replaces_a_newer_one<S: Health>(store: &S) {
    // Two containers record out of order: the later call carries the earlier time.
    store.record_crc(5_000, 300).await.expect("newer crc");
    store.record_crc(4_000, 900).await.expect("older crc");
    store.record_delivery(7_000).await.expect("newer delivery");
    store.record_delivery(6_000).await.expect("older delivery");
    let h = store.get_health().await.expect("get");
    assert_eq!(h.last_crc_ms, Some(5_000));
    assert_eq!(h.last_crc_latency_us, Some(300));
    assert_eq!(h.last_delivery_ms, Some(7_000));
    // The same time again is accepted (a retry), and a newer one replaces.
    store.record_crc(5_000, 310).await.expect("same crc");
    store.record_delivery(8_000).await.expect("newest delivery");
    let h = store.get_health().await.expect("get");
    assert_eq!(h.last_crc_latency_us, Some(310));
    assert_eq!(h.last_delivery_ms, Some(8_000));
}

pub async fn the_latest_watchdog_run_replaces_the_one_before<S: Health>(store: &S) {
    store
        .record_watchdog_run(&run(1_000, WatchdogOutcome::StillInvalid))
        .await
        .expect("first run");
    let latest = WatchdogRun {
        invalid_runs: 2,
        silent: true,
        crc_rate_limit: Some(StoredRateLimit {
            remaining: 0,
            reset_at: 1_700_000_900,
        }),
        ..run(2_000, WatchdogOutcome::RateLimited)
    };
    store
        .record_watchdog_run(&latest)
        .await
        .expect("second run");
    let h = store.get_health().await.expect("get");
    assert_eq!(h.last_watchdog, Some(latest));
    assert_eq!((h.last_crc_ms, h.last_delivery_ms), (None, None));
}
