//! A valid webhook, one reported invalid, one that stays invalid, a missing one, silence.

use crate::support::*;

#[tokio::test]
async fn a_valid_webhook_is_left_alone_and_reported_valid() {
    let fake = TwitterApi::start().await;
    let url = fake.crc_ok_url();
    register(&fake, &url).await;
    let store = store_with_recent_delivery().await;

    let report = run_at(&fake, &store, &url, now_ms()).await;

    assert_eq!(report.run.outcome, WatchdogOutcome::Valid);
    assert_eq!(report.metrics.webhook_valid, Some(1));
    assert_eq!(
        crc_puts(&fake),
        0,
        "no CRC is triggered for a valid webhook"
    );
    let recorded = store.get_health().await.unwrap().last_watchdog.unwrap();
    assert_eq!(recorded.outcome, WatchdogOutcome::Valid);
}

#[tokio::test]
async fn when_the_webhook_is_reported_invalid_it_is_revalidated() {
    let fake = TwitterApi::start().await;
    let url = fake.crc_ok_url();
    let id = register(&fake, &url).await;
    fake.set_crc_check(true);
    assert!(fake.set_webhook_valid(&id, false));
    let store = store_with_recent_delivery().await;

    let report = run_at(&fake, &store, &url, now_ms()).await;

    assert_eq!(
        report.run.outcome,
        WatchdogOutcome::Revalidated,
        "{}",
        report.run.detail
    );
    assert_eq!(crc_puts(&fake), 1);
    assert!(fake.webhooks()[0].valid, "Twitter re-enabled the webhook");
    assert_eq!(report.metrics.webhook_valid, Some(1));
    assert_eq!(report.metrics.revalidations, 1);
    assert_eq!(report.run.invalid_runs, 0);
    let line: serde_json::Value = serde_json::from_str(&report.emf_line(&env(&fake))).unwrap();
    assert_eq!(line["WebhookRevalidations"], 1);
    assert_eq!(line["WebhookValid"], 1);
}

#[tokio::test]
async fn a_webhook_that_stays_invalid_raises_the_metric_run_after_run() {
    let fake = TwitterApi::start().await;
    let url = fake.crc_wrong_url();
    let id = register(&fake, &url).await;
    fake.set_crc_check(true);
    assert!(fake.set_webhook_valid(&id, false));
    let store = store_with_recent_delivery().await;
    let config = config(&fake, &url);

    let first = run_once(&client(&fake), &owner(&fake), &store, &config, now_ms()).await;
    let second = run_once(&client(&fake), &owner(&fake), &store, &config, now_ms()).await;

    for report in [&first, &second] {
        assert_eq!(report.run.outcome, WatchdogOutcome::StillInvalid);
        assert_eq!(report.metrics.webhook_valid, Some(0));
        assert_eq!(report.metrics.failures, 1);
        let line: serde_json::Value = serde_json::from_str(&report.emf_line(&config.env)).unwrap();
        assert_eq!(line["WebhookValid"], 0);
        assert_eq!(line["WebhookRevalidationFailures"], 1);
    }
    assert_eq!(
        second.run.invalid_runs, 2,
        "consecutive invalid runs are counted"
    );
    assert!(second.run.detail.contains("Invalid CRC token") || second.run.detail.contains("CRC"));
    assert!(!fake.webhooks()[0].valid);

    let status = WebhookStatusReport::build(
        config.env.as_str(),
        Some(&url),
        Ok(client(&fake).list_webhooks(&config.env).await.unwrap()),
        store.get_health().await.unwrap(),
        now_ms(),
    );
    assert!(matches!(status.webhook, WebhookState::Invalid { .. }));
    assert!(status.render_text().contains("dmbot webhook validate"));
}

#[tokio::test]
async fn a_missing_webhook_is_reported_invalid_without_a_crc() {
    let fake = TwitterApi::start().await;
    register(&fake, "https://someone-else.example/hook").await;
    let store = store_with_recent_delivery().await;

    let report = run_at(&fake, &store, &fake.crc_ok_url(), now_ms()).await;

    assert_eq!(report.run.outcome, WatchdogOutcome::Missing);
    assert_eq!(report.metrics.webhook_valid, Some(0));
    assert_eq!(crc_puts(&fake), 0);
}

#[tokio::test]
async fn no_delivery_for_too_long_with_subscriptions_is_reported_as_silence() {
    let fake = TwitterApi::start().await;
    let url = fake.crc_ok_url();
    register(&fake, &url).await;
    fake.add_subscription(&fake.owner().user_id);
    let store = MemoryStore::new();
    let now = now_ms();
    store.record_delivery(now - 2 * 3_600_000).await.unwrap();

    let report = run_at(&fake, &store, &url, now).await;

    assert_eq!(report.metrics.silent, Some(1));
    assert!(report.run.silent);
    assert_eq!(
        report.run.outcome,
        WatchdogOutcome::Valid,
        "silence alone is not invalidity"
    );

    store.record_delivery(now).await.unwrap();
    let report = run_at(&fake, &store, &url, now).await;
    assert_eq!(report.metrics.silent, Some(0));
}
