//! The webhook endpoints' rate limit (15 per 15 minutes), across containers.

use crate::support::*;

#[tokio::test]
async fn the_watchdog_stops_listing_before_the_15_per_15_minutes_limit_runs_out() {
    let fake = TwitterApi::start().await;
    let url = fake.crc_ok_url();
    register(&fake, &url).await;
    let store = store_with_recent_delivery().await;
    let client = client(&fake);
    let before = webhook_lists(&fake);

    let mut outcomes = Vec::new();
    for _ in 0..20 {
        let r = run_once(
            &client,
            &owner(&fake),
            &store,
            &config(&fake, &url),
            now_ms(),
        )
        .await;
        outcomes.push(r.run.outcome);
    }

    let lists = webhook_lists(&fake) - before;
    assert!(
        lists < 15,
        "{lists} list calls; at least one call is left to the operator"
    );
    assert!(lists >= 10, "the budget is used, not hoarded: {lists}");
    assert_eq!(outcomes.last(), Some(&WatchdogOutcome::RateLimited));
    assert!(outcomes.iter().all(|o| *o != WatchdogOutcome::CheckFailed));
}

#[tokio::test]
async fn after_a_429_a_new_container_does_not_call_again_until_the_window_resets() {
    let fake = TwitterApi::start().await;
    let url = fake.crc_ok_url();
    register(&fake, &url).await;
    let store = store_with_recent_delivery().await;
    let reset_at = now_ms() / 1000 + 600;
    fake.fail_next("/webhooks.json", 1, Fault::RateLimited { reset_at });

    let first = run_at(&fake, &store, &url, now_ms()).await;
    assert_eq!(first.run.outcome, WatchdogOutcome::RateLimited);
    assert_eq!(
        first.metrics.webhook_valid, None,
        "unknown is not published as invalid"
    );
    assert_eq!(
        first.run.list_rate_limit,
        Some(StoredRateLimit {
            remaining: 0,
            reset_at
        })
    );

    // A fresh client (a new Lambda container) knows the window from the stored run.
    let before = webhook_lists(&fake);
    let second = run_at(&fake, &store, &url, now_ms()).await;
    assert_eq!(second.run.outcome, WatchdogOutcome::RateLimited);
    assert_eq!(
        webhook_lists(&fake),
        before,
        "no call inside a used-up window"
    );

    // Once the window has reset, it checks again.
    let later = (reset_at + 1) * 1000;
    let third = run_at(&fake, &store, &url, later).await;
    assert_eq!(third.run.outcome, WatchdogOutcome::Valid);
}
