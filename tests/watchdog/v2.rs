//! The watchdog on X API v2 (`TWITTER_API=v2`): `GET /2/webhooks` and `PUT /2/webhooks/:id`
//! with the app's bearer token, the same outcomes, metrics and health record as on v1.1.

use crate::support::*;

/// Every call to X went to a `/2/` path with the bearer token: nothing of v1.1 was asked.
/// (The bearer token's own request and the CRC the fake sends to our endpoint are not calls.)
fn assert_v2_only(fake: &TwitterApi) {
    for r in fake.requests() {
        if r.path.contains("oauth2/token") || r.path.starts_with("/_fake/") {
            continue;
        }
        assert!(
            r.path.starts_with("/2/"),
            "{} {} is not v2",
            r.method,
            r.path
        );
        assert!(
            matches!(r.auth, AuthSeen::Bearer { .. }),
            "{} {} was sent with {:?}",
            r.method,
            r.path,
            r.auth
        );
    }
}

#[tokio::test]
async fn a_valid_v2_webhook_is_left_alone() {
    let fake = TwitterApi::start().await;
    let url = fake.crc_ok_url();
    register_v2(&fake, &url).await;
    let store = store_with_recent_delivery().await;
    let before = fake.requests().len();

    let report = run_v2_at(&fake, &store, &url, now_ms()).await;

    assert_eq!(
        report.run.outcome,
        WatchdogOutcome::Valid,
        "{}",
        report.run.detail
    );
    assert_eq!(report.metrics.webhook_valid, Some(1));
    assert_eq!(v2_webhook_calls(&fake, "GET").len(), 1);
    assert!(
        v2_webhook_calls(&fake, "PUT").is_empty(),
        "no CRC for a valid webhook"
    );
    assert!(fake.requests().len() > before);
    assert_v2_only(&fake);
    let recorded = store.get_health().await.unwrap().last_watchdog.unwrap();
    assert_eq!(recorded.outcome, WatchdogOutcome::Valid);
    assert!(
        recorded.list_rate_limit.is_some(),
        "the v2 window is remembered"
    );
}

#[tokio::test]
async fn an_invalid_v2_webhook_is_revalidated_through_put_with_the_bearer_token() {
    let fake = TwitterApi::start().await;
    fake.set_crc_check(true);
    let url = fake.crc_ok_url();
    let id = register_v2(&fake, &url).await;
    assert!(fake.set_webhook_valid(id.as_str(), false));
    let store = store_with_recent_delivery().await;

    let report = run_v2_at(&fake, &store, &url, now_ms()).await;

    assert_eq!(
        report.run.outcome,
        WatchdogOutcome::Revalidated,
        "{}",
        report.run.detail
    );
    let puts = v2_webhook_calls(&fake, "PUT");
    assert_eq!(puts.len(), 1);
    assert_eq!(puts[0].path, format!("/2/webhooks/{}", id.as_str()));
    assert!(
        matches!(puts[0].auth, AuthSeen::Bearer { .. }),
        "{:?}",
        puts[0].auth
    );
    assert_v2_only(&fake);
    assert!(
        client(&fake).list_webhooks_v2().await.unwrap()[0].valid,
        "X re-enabled it"
    );
    assert_eq!(report.metrics.revalidations, 1);
    assert_eq!(report.metrics.webhook_valid, Some(1));
    let line: serde_json::Value = serde_json::from_str(&report.emf_line(&env(&fake))).unwrap();
    assert_eq!(line["WebhookRevalidations"], 1);
    let recorded = store.get_health().await.unwrap().last_watchdog.unwrap();
    assert_eq!(recorded.outcome, WatchdogOutcome::Revalidated);
    assert!(
        recorded.crc_rate_limit.is_some(),
        "the PUT's window is remembered"
    );
}

#[tokio::test]
async fn a_v2_webhook_whose_crc_still_fails_stays_invalid_run_after_run() {
    let fake = TwitterApi::start().await;
    let url = fake.crc_wrong_url();
    let id = register_v2(&fake, &url).await;
    fake.set_crc_check(true);
    assert!(fake.set_webhook_valid(id.as_str(), false));
    let store = store_with_recent_delivery().await;

    let first = run_v2_at(&fake, &store, &url, now_ms()).await;
    let second = run_v2_at(&fake, &store, &url, now_ms()).await;

    for report in [&first, &second] {
        assert_eq!(report.run.outcome, WatchdogOutcome::StillInvalid);
        assert_eq!(report.metrics.webhook_valid, Some(0));
        assert_eq!(report.metrics.failures, 1);
    }
    assert_eq!(second.run.invalid_runs, 2);
    assert!(second.run.detail.contains("CRC"), "{}", second.run.detail);
    assert_eq!(v2_webhook_calls(&fake, "PUT").len(), 2);
}

#[tokio::test]
async fn a_missing_v2_webhook_is_reported_without_a_put() {
    let fake = TwitterApi::start().await;
    register_v2(&fake, "https://someone-else.example/hook").await;
    let store = store_with_recent_delivery().await;

    let report = run_v2_at(&fake, &store, &fake.crc_ok_url(), now_ms()).await;

    assert_eq!(report.run.outcome, WatchdogOutcome::Missing);
    assert_eq!(report.metrics.webhook_valid, Some(0));
    assert!(
        report.run.detail.contains("/2/webhooks"),
        "{}",
        report.run.detail
    );
    assert!(v2_webhook_calls(&fake, "PUT").is_empty());
}

#[tokio::test]
async fn a_rate_limited_v2_list_is_recorded_and_not_retried_inside_the_window() {
    let fake = TwitterApi::start().await;
    let url = fake.crc_ok_url();
    register_v2(&fake, &url).await;
    let store = store_with_recent_delivery().await;
    let reset_at = now_ms() / 1000 + 600;
    fake.fail_next("/2/webhooks", 1, Fault::RateLimited { reset_at });

    let first = run_v2_at(&fake, &store, &url, now_ms()).await;
    assert_eq!(
        first.run.outcome,
        WatchdogOutcome::RateLimited,
        "{}",
        first.run.detail
    );
    assert_eq!(first.metrics.webhook_valid, None);
    assert_eq!(first.metrics.check_failures, 0);
    let recorded = store.get_health().await.unwrap().last_watchdog.unwrap();
    assert_eq!(recorded.outcome, WatchdogOutcome::RateLimited);
    assert_eq!(
        recorded.list_rate_limit,
        Some(StoredRateLimit {
            remaining: 0,
            reset_at
        })
    );

    let lists = v2_webhook_calls(&fake, "GET").len();
    let second = run_v2_at(&fake, &store, &url, now_ms()).await;
    assert_eq!(second.run.outcome, WatchdogOutcome::RateLimited);
    assert_eq!(
        v2_webhook_calls(&fake, "GET").len(),
        lists,
        "no call in a used-up window"
    );

    let third = run_v2_at(&fake, &store, &url, (reset_at + 1) * 1000).await;
    assert_eq!(third.run.outcome, WatchdogOutcome::Valid);
}

#[tokio::test]
async fn a_rate_limited_v2_put_leaves_the_webhook_invalid_and_remembers_the_window() {
    let fake = TwitterApi::start().await;
    let url = fake.crc_ok_url();
    let id = register_v2(&fake, &url).await;
    assert!(fake.set_webhook_valid(id.as_str(), false));
    let store = store_with_recent_delivery().await;
    let reset_at = now_ms() / 1000 + 600;
    let put_path = format!("/2/webhooks/{}", id.as_str());
    fake.fail_next(&put_path, 1, Fault::RateLimited { reset_at });

    let report = run_v2_at(&fake, &store, &url, now_ms()).await;

    assert_eq!(report.run.outcome, WatchdogOutcome::StillInvalid);
    assert_eq!(
        report.run.crc_rate_limit,
        Some(StoredRateLimit {
            remaining: 0,
            reset_at
        })
    );
    let puts = v2_webhook_calls(&fake, "PUT").len();
    let again = run_v2_at(&fake, &store, &url, now_ms()).await;
    assert_eq!(again.run.outcome, WatchdogOutcome::StillInvalid);
    assert!(
        again.run.detail.contains("rate limit"),
        "{}",
        again.run.detail
    );
    assert_eq!(
        v2_webhook_calls(&fake, "PUT").len(),
        puts,
        "no PUT in a used-up window"
    );
}

#[tokio::test]
async fn silence_on_v2_counts_the_x_activity_subscriptions_to_our_webhook() {
    let fake = TwitterApi::start().await;
    let url = fake.crc_ok_url();
    let id = register_v2(&fake, &url).await;
    let store = MemoryStore::new();
    let now = now_ms();
    store.record_delivery(now - 2 * 3_600_000).await.unwrap();

    let unsubscribed = run_v2_at(&fake, &store, &url, now).await;
    assert_eq!(
        unsubscribed.metrics.silent,
        Some(0),
        "nobody subscribed: quiet is normal"
    );

    let owner_id = dmbot_shared::domain::UserId::parse(&fake.owner().user_id).unwrap();
    client(&fake)
        .subscribe_activity_v2(&owner(&fake), "dm.received", &owner_id, &id, None)
        .await
        .unwrap();
    let subscribed = run_v2_at(&fake, &store, &url, now).await;
    assert_eq!(subscribed.metrics.silent, Some(1));
    assert_eq!(subscribed.run.outcome, WatchdogOutcome::Valid);
    assert_eq!(fake.requests_to("/2/activity/subscriptions").len(), 3);
    assert!(
        fake.requests_to("subscriptions/count").is_empty(),
        "no v1.1 count"
    );
}
