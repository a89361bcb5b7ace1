//! `subscription add|list|remove` on X API v2 (`TWITTER_API=v2`): by default the X Activity
//! API (`dm.received` and `dm.sent` for the acting account, tagged `dmbot`, created with the
//! account's user token); with `--via account-activity` the Account Activity API v2.

use dmbot_shared::domain::UserId;
use dmbot_shared::twitter::api_types::WebhookId;
use dmbot_shared::twitter::client::TwitterClient;
use dmbot_shared::twitter::client::v2::ActivitySubscriptionV2;
use serde_json::{Value, json};

use super::context::{acting, acting_user_id_cheaply, parse_user};
use super::subscription::{SubscriptionCmd, V2Target, Via};
use super::{Common, OpsError, Output, webhook_v2};

/// The tag of the subscriptions dmbot creates (and the only ones `remove` deletes).
const TAG: &str = "dmbot";

pub async fn run(
    opts: &Common,
    client: &TwitterClient,
    cmd: SubscriptionCmd,
) -> Result<Output, OpsError> {
    match cmd {
        SubscriptionCmd::Add { v2 } => {
            let hook = webhook_v2::pick(client, v2.webhook_id.as_deref()).await?;
            let who = acting(opts).await?;
            let user = acting_user_id_cheaply(client, &who).await?;
            match v2.via.unwrap_or_default() {
                Via::Activity => add_activity(client, &who.tokens, &user, &hook).await,
                Via::AccountActivity => {
                    client
                        .subscribe_account_activity_v2(&who.tokens, &hook)
                        .await?;
                    Ok(Output::new(
                        json!({ "subscribed": true, "user_id": user.as_str(),
                                "webhook_id": hook.as_str(), "via": "account-activity" }),
                        format!(
                            "{user} is subscribed (Account Activity API v2): its Direct Messages now reach webhook {hook}"
                        ),
                    ))
                }
            }
        }
        SubscriptionCmd::List { v2 } => match v2.via.unwrap_or_default() {
            Via::Activity => list_activity(client, &v2).await,
            Via::AccountActivity => {
                let hook = webhook_v2::pick(client, v2.webhook_id.as_deref()).await?;
                let list = client.list_account_activity_subscriptions_v2(&hook).await?;
                let ids: Vec<&str> = list.user_ids.iter().map(UserId::as_str).collect();
                let text = if ids.is_empty() {
                    "no subscriptions".to_string()
                } else {
                    ids.join("\n")
                };
                Ok(Output::new(
                    json!({ "webhook_id": hook.as_str(), "user_ids": ids }),
                    text,
                ))
            }
        },
        SubscriptionCmd::Remove { user_id, v2 } => {
            let user = match &user_id {
                Some(id) => parse_user(id)?,
                None => acting_user_id_cheaply(client, &acting(opts).await?).await?,
            };
            match v2.via.unwrap_or_default() {
                Via::Activity => remove_activity(client, &user, &v2).await,
                Via::AccountActivity => {
                    let hook = webhook_v2::pick(client, v2.webhook_id.as_deref()).await?;
                    client
                        .delete_account_activity_subscription_v2(&hook, &user)
                        .await?;
                    Ok(Output::new(
                        json!({ "user_id": user.as_str(), "webhook_id": hook.as_str(), "subscribed": false }),
                        format!("unsubscribed {user} from webhook {hook}"),
                    ))
                }
            }
        }
        SubscriptionCmd::Check | SubscriptionCmd::Count => Err(OpsError::Usage(
            "TWITTER_API=v2: `subscription check` and `count` are v1.1 commands; \
             `dmbot subscription list` shows the v2 subscriptions"
                .into(),
        )),
    }
}

fn is_dmbots(s: &ActivitySubscriptionV2, user: &UserId) -> bool {
    s.tag.as_deref() == Some(TAG) && s.filter.user_id.as_ref() == Some(user)
}

/// Subscribes `user` to the DM events it is not yet subscribed to on `hook`.
async fn add_activity(
    client: &TwitterClient,
    tokens: &dmbot_shared::twitter::oauth1::TokenCredentials,
    user: &UserId,
    hook: &WebhookId,
) -> Result<Output, OpsError> {
    let subs = client
        .subscribe_dm_events_v2(tokens, user, hook, TAG)
        .await?;
    Ok(Output::new(
        json!({ "subscribed": true, "user_id": user.as_str(), "webhook_id": hook.as_str(),
                "via": "activity", "subscriptions": subs.iter().map(sub_json).collect::<Vec<_>>() }),
        format!(
            "{user} is subscribed to dm.received and dm.sent (X Activity API): its Direct Messages now reach webhook {hook}"
        ),
    ))
}

fn sub_json(s: &ActivitySubscriptionV2) -> Value {
    json!({
        "subscription_id": s.subscription_id,
        "event_type": s.event_type,
        "user_id": s.filter.user_id.as_ref().map(UserId::as_str),
        "webhook_id": s.webhook_id.as_ref().map(WebhookId::as_str),
        "tag": s.tag,
        "created_at": s.created_at,
    })
}

async fn list_activity(client: &TwitterClient, v2: &V2Target) -> Result<Output, OpsError> {
    let mut subs = client.list_activity_subscriptions_v2().await?;
    if let Some(hook) = &v2.webhook_id {
        subs.retain(|s| s.webhook_id.as_ref().map(WebhookId::as_str) == Some(hook.trim()));
    }
    let mut text = String::new();
    if subs.is_empty() {
        text.push_str("no subscriptions");
    }
    for s in &subs {
        text.push_str(&format!(
            "{}  {:<12} user {}  webhook {}  tag {}\n",
            s.subscription_id,
            s.event_type,
            s.filter.user_id.as_ref().map_or("-", UserId::as_str),
            s.webhook_id.as_ref().map_or("-", WebhookId::as_str),
            s.tag.as_deref().unwrap_or("-"),
        ));
    }
    let json = json!({ "subscriptions": subs.iter().map(sub_json).collect::<Vec<_>>() });
    Ok(Output::new(json, text))
}

/// Deletes `user`'s subscriptions tagged `dmbot` (on `--webhook-id` only, when given).
async fn remove_activity(
    client: &TwitterClient,
    user: &UserId,
    v2: &V2Target,
) -> Result<Output, OpsError> {
    let subs = client.list_activity_subscriptions_v2().await?;
    let hook = v2.webhook_id.as_deref().map(str::trim);
    let mut removed = Vec::new();
    for s in subs.iter().filter(|s| is_dmbots(s, user)) {
        if hook.is_some() && s.webhook_id.as_ref().map(WebhookId::as_str) != hook {
            continue;
        }
        client
            .delete_activity_subscription_v2(&s.subscription_id)
            .await?;
        removed.push(s.subscription_id.clone());
    }
    let text = if removed.is_empty() {
        format!("{user} had no dmbot subscriptions: nothing to remove")
    } else {
        format!(
            "unsubscribed {user} ({} subscriptions removed)",
            removed.len()
        )
    };
    Ok(Output::new(
        json!({ "user_id": user.as_str(), "subscribed": false, "removed": removed }),
        text,
    ))
}
