//! The webhook watchdog against the fake Twitter: re-validation, an invalid webhook that stays
//! invalid, a missing one, silence, the webhook endpoints' rate limit (15 per 15 minutes), and
//! the health record in every store (memory, embedded, DynamoDB on moto).

use dmbot_shared::domain::now_ms;
use dmbot_shared::store::dynamodb::DynamoStore;
use dmbot_shared::store::embedded::EmbeddedStore;
use dmbot_shared::store::health::{Health, StoredRateLimit, WatchdogOutcome, WatchdogRun};
use dmbot_shared::store::memory::MemoryStore;
use dmbot_shared::twitter::api_types::{EnvName, WebhookUrl};
use dmbot_shared::twitter::oauth1::TokenCredentials;
use dmbot_shared::watchdog::{WatchdogConfig, WatchdogReport, run_once};
use dmbot_shared::webhook_status::{WebhookState, WebhookStatusReport};
use dmbot_tests::fake_twitter::{FakeTwitter, Fault, client, tokens};
use dmbot_tests::moto::Moto;

fn owner(fake: &FakeTwitter) -> TokenCredentials {
    tokens(fake.owner())
}

fn env(fake: &FakeTwitter) -> EnvName {
    EnvName::new(&fake.app().env_name).unwrap()
}

fn config(fake: &FakeTwitter, url: &str) -> WatchdogConfig {
    WatchdogConfig {
        env: env(fake),
        webhook_url: Some(url.to_string()),
        silence_after_ms: 3_600_000,
    }
}

/// Registers `url` (without a CRC) and returns the webhook id.
async fn register(fake: &FakeTwitter, url: &str) -> String {
    fake.set_crc_check(false);
    let hook = client(fake)
        .register_webhook(
            &owner(fake),
            &env(fake),
            &WebhookUrl::new_allowing_http(url).unwrap(),
        )
        .await
        .unwrap();
    hook.id.as_str().to_string()
}

fn crc_puts(fake: &FakeTwitter) -> usize {
    fake.requests()
        .iter()
        .filter(|r| r.method == "PUT" && r.path.contains("/webhooks/"))
        .count()
}

fn webhook_lists(fake: &FakeTwitter) -> usize {
    fake.requests()
        .iter()
        .filter(|r| r.method == "GET" && r.path.ends_with("/webhooks.json"))
        .count()
}

/// One watchdog run at `now` as the fake's owner, checking the webhook at `url`.
async fn run_at(fake: &FakeTwitter, store: &MemoryStore, url: &str, now: u64) -> WatchdogReport {
    run_once(&client(fake), &owner(fake), store, &config(fake, url), now).await
}

/// A store that saw a delivery just now (so the silence check makes no extra call).
async fn store_with_recent_delivery() -> MemoryStore {
    let store = MemoryStore::new();
    store.record_delivery(now_ms()).await.unwrap();
    store
}

#[tokio::test]
async fn a_valid_webhook_is_left_alone_and_reported_valid() {
    let fake = FakeTwitter::start().await;
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
    let fake = FakeTwitter::start().await;
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
    let fake = FakeTwitter::start().await;
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
    let fake = FakeTwitter::start().await;
    register(&fake, "https://someone-else.example/hook").await;
    let store = store_with_recent_delivery().await;

    let report = run_at(&fake, &store, &fake.crc_ok_url(), now_ms()).await;

    assert_eq!(report.run.outcome, WatchdogOutcome::Missing);
    assert_eq!(report.metrics.webhook_valid, Some(0));
    assert_eq!(crc_puts(&fake), 0);
}

#[tokio::test]
async fn no_delivery_for_too_long_with_subscriptions_is_reported_as_silence() {
    let fake = FakeTwitter::start().await;
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

#[tokio::test]
async fn the_watchdog_stops_listing_before_the_15_per_15_minutes_limit_runs_out() {
    let fake = FakeTwitter::start().await;
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
    let fake = FakeTwitter::start().await;
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

#[tokio::test]
async fn the_status_report_combines_twitter_and_the_health_record() {
    let fake = FakeTwitter::start().await;
    let url = fake.crc_ok_url();
    register(&fake, &url).await;
    let store = store_with_recent_delivery().await;
    let now = now_ms();
    store.record_crc(now - 5_000, 180).await.unwrap();
    run_at(&fake, &store, &url, now).await;

    let report =
        dmbot_shared::webhook_status::gather(&client(&fake), &env(&fake), Some(&url), &store, now)
            .await;

    assert!(report.is_healthy(), "{:?}", report.problems);
    let text = report.render_text();
    assert!(text.contains("Webhook:        valid"), "{text}");
    assert!(text.contains("answered in 0.18 ms"), "{text}");
    assert!(text.contains("webhook valid"), "{text}");
    assert_eq!(report.to_json()["last_crc_latency_us"], 180);
}

// ---------------------------------------------------------------------------------------------
// The health record, in every store.
// ---------------------------------------------------------------------------------------------

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
