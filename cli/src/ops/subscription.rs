//! `subscription add|check|list|count|remove`: which accounts' events reach the webhook.

use clap::Subcommand;
use serde_json::json;

use super::context::{acting, acting_user_id, client, env_name, parse_user};
use super::{Common, OpsError, Output};

#[derive(Subcommand, Debug)]
pub enum SubscriptionCmd {
    /// Subscribe the acting account (the owner, or `--account`) to the environment's webhook.
    Add,
    /// Whether the acting account is subscribed.
    Check,
    /// The subscribed accounts' user ids.
    List,
    /// How many subscriptions the app uses (the sandbox allows 15).
    Count,
    /// Unsubscribe an account.
    Remove {
        /// The account's user id.
        user_id: String,
    },
}

pub async fn run(opts: &Common, cmd: SubscriptionCmd) -> Result<Output, OpsError> {
    let client = client()?;
    match cmd {
        SubscriptionCmd::Add => {
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
        SubscriptionCmd::List => {
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
        SubscriptionCmd::Remove { user_id } => {
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
