//! Helpers: the fake's owner and environment, the watchdog's configuration, counting calls.

pub(crate) use dmbot_shared::config::ApiVersion;
pub(crate) use dmbot_shared::domain::now_ms;
pub(crate) use dmbot_shared::store::health::{Health, StoredRateLimit, WatchdogOutcome};
pub(crate) use dmbot_shared::store::memory::MemoryStore;
pub(crate) use dmbot_shared::twitter::api_types::{EnvName, WebhookId, WebhookUrl};
pub(crate) use dmbot_shared::twitter::oauth1::TokenCredentials;
pub(crate) use dmbot_shared::watchdog::{WatchdogConfig, WatchdogReport, run_once};
pub(crate) use dmbot_shared::webhook_status::{WebhookState, WebhookStatusReport};
pub(crate) use dmbot_tests::simulator::{
    AuthSeen, Fault, RecordedRequest, TwitterApi, client, tokens,
};

pub(crate) fn owner(fake: &TwitterApi) -> TokenCredentials {
    tokens(fake.owner())
}

pub(crate) fn env(fake: &TwitterApi) -> EnvName {
    EnvName::new(&fake.app().env_name).unwrap()
}

pub(crate) fn config(fake: &TwitterApi, url: &str) -> WatchdogConfig {
    WatchdogConfig {
        api: ApiVersion::V1_1,
        env: env(fake),
        webhook_url: Some(url.to_string()),
        silence_after_ms: 3_600_000,
    }
}

/// Registers `url` (without a CRC) and returns the webhook id.
pub(crate) async fn register(fake: &TwitterApi, url: &str) -> String {
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

pub(crate) fn crc_puts(fake: &TwitterApi) -> usize {
    fake.requests()
        .iter()
        .filter(|r| r.method == "PUT" && r.path.contains("/webhooks/"))
        .count()
}

pub(crate) fn webhook_lists(fake: &TwitterApi) -> usize {
    fake.requests()
        .iter()
        .filter(|r| r.method == "GET" && r.path.ends_with("/webhooks.json"))
        .count()
}

/// One watchdog run at `now` as the fake's owner, checking the webhook at `url`.
pub(crate) async fn run_at(
    fake: &TwitterApi,
    store: &MemoryStore,
    url: &str,
    now: u64,
) -> WatchdogReport {
    run_once(&client(fake), &owner(fake), store, &config(fake, url), now).await
}

/// A store that saw a delivery just now (so the silence check makes no extra call).
pub(crate) async fn store_with_recent_delivery() -> MemoryStore {
    let store = MemoryStore::new();
    store.record_delivery(now_ms()).await.unwrap();
    store
}

/// The watchdog's configuration on X API v2, watching the webhook at `url`.
pub(crate) fn config_v2(fake: &TwitterApi, url: &str) -> WatchdogConfig {
    WatchdogConfig {
        api: ApiVersion::V2,
        ..config(fake, url)
    }
}

/// Registers `url` through `POST /2/webhooks` (the CRC runs when it is on) and returns its id.
pub(crate) async fn register_v2(fake: &TwitterApi, url: &str) -> WebhookId {
    let url = WebhookUrl::new_allowing_http(url).unwrap();
    client(fake).register_webhook_v2(&url).await.unwrap().id
}

/// One v2 watchdog run at `now` with a fresh client (a new Lambda container).
pub(crate) async fn run_v2_at(
    fake: &TwitterApi,
    store: &MemoryStore,
    url: &str,
    now: u64,
) -> WatchdogReport {
    run_once(
        &client(fake),
        &owner(fake),
        store,
        &config_v2(fake, url),
        now,
    )
    .await
}

/// The requests to `/2/webhooks` with this method.
pub(crate) fn v2_webhook_calls(fake: &TwitterApi, method: &str) -> Vec<RecordedRequest> {
    fake.requests_to("/2/webhooks")
        .into_iter()
        .filter(|r| r.method == method)
        .collect()
}
