//! `subscription add|check|list|count|remove`: which accounts' events reach the webhook (v1.1
//! Account Activity; with `TWITTER_API=v2`, `subscription_v2`).

use clap::{Args, Subcommand, ValueEnum};
use dmbot_shared::config::ApiVersion;
use serde_json::json;

use super::context::{self, acting, acting_user_id, client, env_name, parse_user};
use super::{Common, OpsError, Output, subscription_v2};

#[derive(Subcommand, Debug)]
pub enum SubscriptionCmd {
    /// Subscribe the acting account (the owner, or `--account`) to the webhook. On v2: to
    /// `dm.received` and `dm.sent` (X Activity API, tag `dmbot`), or `--via account-activity`.
    Add {
        #[command(flatten)]
        v2: V2Target,
    },
    /// Whether the acting account is subscribed (v1.1).
    Check,
    /// The subscriptions (v1.1: the subscribed accounts' user ids).
    List {
        #[command(flatten)]
        v2: V2Target,
    },
    /// How many subscriptions the app uses (v1.1; the sandbox allows 15).
    Count,
    /// Unsubscribe an account. On v2 without a user id: the acting account (its `dmbot`
    /// subscriptions on the X Activity API).
    Remove {
        /// The account's user id (required on v1.1).
        user_id: Option<String>,
        #[command(flatten)]
        v2: V2Target,
    },
}

/// Where v2 subscriptions live (`TWITTER_API=v2` only).
#[derive(Args, Debug, Clone, Default)]
pub struct V2Target {
    /// v2 only: the X Activity API (default) or the Account Activity API v2.
    #[arg(long, value_enum)]
    pub via: Option<Via>,
    /// v2 only: the webhook (default: the app's only v2 webhook).
    #[arg(long, value_name = "ID")]
    pub webhook_id: Option<String>,
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Via {
    /// X Activity API: `dm.received` and `dm.sent` subscriptions tagged `dmbot`.
    #[default]
    Activity,
    /// Account Activity API v2: all of the account's activity, in the v1.1 envelope.
    AccountActivity,
}

impl V2Target {
    /// On v1.1 the v2 options are a usage error rather than silently ignored.
    fn refuse_on_v1(&self) -> Result<(), OpsError> {
        if self.via.is_some() || self.webhook_id.is_some() {
            return Err(OpsError::Usage(
                "--via and --webhook-id are for X API v2: set TWITTER_API=v2 (the v1.1 \
                 commands use the environment's webhook, TWITTER_ENV_NAME)"
                    .into(),
            ));
        }
        Ok(())
    }
}

pub async fn run(opts: &Common, cmd: SubscriptionCmd) -> Result<Output, OpsError> {
    let client = client()?;
    if context::api()? == ApiVersion::V2 {
        return subscription_v2::run(opts, &client, cmd).await;
    }
    match cmd {
        SubscriptionCmd::Add { v2 } => {
            v2.refuse_on_v1()?;
            let env = env_name()?;
            let who = acting(opts).await?;
            client.subscribe(&who.tokens, &env).await?;
            let user = acting_user_id(&client, &who).await.ok();
            let name = user
                .as_ref()
                .map_or("the account".into(), |u| u.to_string());
            Ok(Output::new(
                json!({ "subscribed": true, "user_id": user.map(|u| u.to_string()) }),
                format!("{name} is subscribed: its Direct Messages now reach the webhook"),
            ))
        }
        SubscriptionCmd::Check => {
            let env = env_name()?;
            let who = acting(opts).await?;
            let on = client.is_subscribed(&who.tokens, &env).await?;
            Ok(Output::new(
                json!({ "subscribed": on }),
                if on {
                    "subscribed"
                } else {
                    "not subscribed: run `dmbot subscription add`"
                },
            ))
        }
        SubscriptionCmd::List { v2 } => {
            v2.refuse_on_v1()?;
            let env = env_name()?;
            let list = client.list_subscriptions(&env).await?;
            let ids: Vec<String> = list
                .subscriptions
                .iter()
                .map(|s| s.user_id.to_string())
                .collect();
            let text = if ids.is_empty() {
                "no subscriptions".to_string()
            } else {
                ids.join("\n")
            };
            Ok(Output::new(
                json!({ "environment": list.environment, "user_ids": ids }),
                text,
            ))
        }
        SubscriptionCmd::Count => {
            let count = client.count_subscriptions().await?;
            Ok(Output::new(
                json!({
                    "subscriptions_count_all": count.subscriptions_count_all,
                    "subscriptions_count_direct_messages": count.subscriptions_count_direct_messages,
                }),
                format!(
                    "{} subscriptions in use ({} with Direct Messages)",
                    count.subscriptions_count_all, count.subscriptions_count_direct_messages
                ),
            ))
        }
        SubscriptionCmd::Remove { user_id, v2 } => {
            v2.refuse_on_v1()?;
            let user_id = user_id.ok_or_else(|| {
                OpsError::Usage(
                    "name the account to unsubscribe: `dmbot subscription remove <user_id>`".into(),
                )
            })?;
            let env = env_name()?;
            let user = parse_user(&user_id)?;
            client.unsubscribe(&env, &user).await?;
            Ok(Output::new(
                json!({ "user_id": user.as_str(), "subscribed": false }),
                format!("unsubscribed {user}"),
            ))
        }
    }
}
