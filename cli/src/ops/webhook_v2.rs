//! `webhook register|list|validate|delete|status` on X API v2 (`TWITTER_API=v2`): the app's webhook
//! under `/2/webhooks`, with the app's bearer token and no environment name. Same output as the
//! v1.1 commands.

use dmbot_shared::twitter::api_types::{WebhookId, WebhookUrl};
use dmbot_shared::twitter::client::TwitterClient;
use dmbot_shared::twitter::client::v2::WebhookV2;
use serde_json::{Value, json};

use super::context::{self, parse_id};
use super::webhook::WebhookCmd;
use super::{Common, OpsError, Output};

fn webhook_json(w: &WebhookV2) -> Value {
    json!({ "id": w.id.as_str(), "url": w.url, "valid": w.valid, "created_at": w.created_at })
}

/// `id` when given, else the app's only v2 webhook (a usage error when there is none or several).
pub async fn pick(client: &TwitterClient, id: Option<&str>) -> Result<WebhookId, OpsError> {
    if let Some(id) = id {
        return parse_id("webhook id", id, WebhookId::new);
    }
    let hooks = client.list_webhooks_v2().await?;
    match hooks.as_slice() {
        [one] => Ok(one.id.clone()),
        [] => Err(OpsError::Usage(
            "the app has no v2 webhook: register one with `dmbot webhook register <url>`".into(),
        )),
        _ => Err(OpsError::Usage(
            "the app has several v2 webhooks: name one by id (--webhook-id, or the id argument; \
             see `dmbot webhook list`)"
                .into(),
        )),
    }
}

pub async fn run(
    opts: &Common,
    client: &TwitterClient,
    cmd: WebhookCmd,
) -> Result<Output, OpsError> {
    match cmd {
        WebhookCmd::Register { url, allow_http } => {
            let url = if allow_http {
                WebhookUrl::new_allowing_http(&url)
            } else {
                WebhookUrl::new(&url)
            }
            .map_err(|e| OpsError::Usage(format!("webhook URL: {e}")))?;
            let hook = client.register_webhook_v2(&url).await?;
            let text = format!(
                "registered webhook {} for {} (valid: {})\nnext: `dmbot subscription add` to receive the owner's messages",
                hook.id, hook.url, hook.valid
            );
            Ok(Output::new(webhook_json(&hook), text))
        }
        WebhookCmd::List => {
            let hooks = client.list_webhooks_v2().await?;
            let mut text = String::new();
            if hooks.is_empty() {
                text.push_str("no webhook registered");
            }
            for h in &hooks {
                let state = if h.valid { "valid  " } else { "INVALID" };
                text.push_str(&format!("{}  {state}  {}\n", h.id, h.url));
            }
            let json = json!(hooks.iter().map(webhook_json).collect::<Vec<_>>());
            Ok(Output::new(json, text))
        }
        WebhookCmd::Validate { id } => {
            let id = pick(client, id.as_deref()).await?;
            let valid = client.validate_webhook_v2(&id).await?;
            let text = if valid {
                format!("webhook {id} answered the CRC: X delivers to it")
            } else {
                format!(
                    "webhook {id} is still not valid: check that its URL answers the CRC \
                     (`dmbot serve` or the deployed stack up), then run `dmbot webhook validate` again"
                )
            };
            Ok(Output::new(
                json!({ "id": id.as_str(), "valid": valid }),
                text,
            ))
        }
        WebhookCmd::Delete { id } => {
            let id = pick(client, id.as_deref()).await?;
            client.delete_webhook_v2(&id).await?;
            Ok(Output::new(
                json!({ "id": id.as_str(), "deleted": true }),
                format!("deleted webhook {id} (its subscriptions went with it)"),
            ))
        }
        WebhookCmd::Status { url } => {
            let store = context::store(opts).await?;
            let now = dmbot_shared::domain::now_ms();
            let report = context::with_store!(store, s => {
                dmbot_shared::webhook_status::gather_v2(client, url.as_deref(), &s, now).await
            });
            Ok(Output::new(report.to_json(), report.render_text()))
        }
    }
}
