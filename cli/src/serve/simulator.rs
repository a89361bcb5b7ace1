//! Simulator mode: what an operator does against Twitter, done against the simulator at start
//! (flow sync, webhook registration with its CRC, the account's subscription), on the API that
//! `TWITTER_API` names.

use dmbot_shared::domain::UserId;
use dmbot_shared::flow::Flow;
use dmbot_shared::flow::sync::{Silent, sync_to_twitter};
use dmbot_shared::twitter::api_types::{EnvName, WebhookUrl};
use dmbot_shared::twitter::client::TwitterClient;
use dmbot_shared::twitter::oauth1::TokenCredentials;
use dmbot_simulator::Simulator;

use super::ServeError;

/// Syncs `flow` to the simulator (every call signed and checked, the ids recorded in
/// `flow.synced`), registers `webhook_url` (the simulator runs the CRC against it) and
/// subscribes the account. Returns the banner's note on what was synced.
pub(crate) async fn register_with_simulator(
    sim: &Simulator,
    client: &TwitterClient,
    owner: &TokenCredentials,
    flow: &mut Flow,
    webhook_url: &str,
) -> Result<String, ServeError> {
    let synced = sync_to_twitter(client, owner, flow, None, super::now_ms(), &Silent)
        .await
        .map_err(|e| ServeError::Sync(format!("flow sync: {e}")))?;
    for warning in &synced.warnings {
        tracing::warn!(%warning, "flow sync in the simulator");
    }
    let ids = &flow.synced;
    let note = format!(
        "{} media, {} custom profiles, {} welcome messages registered in the simulator",
        ids.media.len(),
        ids.custom_profiles.len(),
        ids.welcome_messages.len()
    );
    sim.api().set_crc_check(true);
    let env = EnvName::new(sim.api().app().env_name.clone())
        .map_err(|e| ServeError::Sync(e.to_string()))?;
    let url =
        WebhookUrl::new_allowing_http(webhook_url).map_err(|e| ServeError::Sync(e.to_string()))?;
    client
        .register_webhook(owner, &env, &url)
        .await
        .map_err(|e| ServeError::Sync(format!("webhook registration (CRC): {e}")))?;
    client
        .subscribe(owner, &env)
        .await
        .map_err(|e| ServeError::Sync(format!("subscription: {e}")))?;
    Ok(note)
}

/// The same on X API v2: nothing to sync (v2 has no welcome messages or custom profiles, and
/// media is uploaded when a reply needs it), the webhook registered on `/2/webhooks` (the
/// simulator runs the CRC against it), and the account subscribed on the X Activity API to
/// `dm.received` and `dm.sent`, so the chat page's messages arrive as XAA deliveries.
pub(crate) async fn register_with_simulator_v2(
    sim: &Simulator,
    client: &TwitterClient,
    owner: &TokenCredentials,
    webhook_url: &str,
) -> Result<String, ServeError> {
    sim.api().set_crc_check(true);
    let url =
        WebhookUrl::new_allowing_http(webhook_url).map_err(|e| ServeError::Sync(e.to_string()))?;
    let webhook = client
        .register_webhook_v2(&url)
        .await
        .map_err(|e| ServeError::Sync(format!("webhook registration on /2/webhooks (CRC): {e}")))?;
    let account =
        UserId::parse(&sim.api().owner().user_id).map_err(|e| ServeError::Sync(e.to_string()))?;
    client
        .subscribe_dm_events_v2(owner, &account, &webhook.id, "dmbot")
        .await
        .map_err(|e| ServeError::Sync(format!("X Activity API subscriptions: {e}")))?;
    Ok(
        "X API v2: webhook on /2/webhooks, X Activity API subscriptions dm.received and dm.sent \
        (no welcome messages or custom profiles on v2)"
            .to_string(),
    )
}
