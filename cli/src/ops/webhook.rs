//! `webhook register|list|validate|delete|status`: the Account Activity webhook (v1.1; with
//! `TWITTER_API=v2`, `webhook_v2`).

use clap::Subcommand;
use dmbot_shared::config::{ApiVersion, vars};
use dmbot_shared::twitter::api_types::{EnvName, Webhook, WebhookId, WebhookUrl};
use dmbot_shared::twitter::client::TwitterClient;
use serde_json::{Value, json};

use super::context::{self, client, env_name, parse_id};
use super::{Common, OpsError, Output, webhook_v2};

#[derive(Subcommand, Debug)]
pub enum WebhookCmd {
    /// Register the webhook URL for the environment (`TWITTER_ENV_NAME`). Twitter runs the CRC
    /// against it first: the URL must be reachable over HTTPS and answer it.
    Register {
        /// The public HTTPS URL, e.g. https://<api-id>.execute-api.<region>.amazonaws.com/webhooks/twitter
        url: String,
        /// Accept an http:// URL (only a fake or local Twitter will take it).
        #[arg(long)]
        allow_http: bool,
    },
    /// List the environment's webhooks (id, URL, whether Twitter considers it valid).
    List,
    /// Ask Twitter to run the CRC now (re-enables a webhook Twitter marked invalid).
    Validate {
        /// The webhook id (default: the environment's only webhook).
        id: Option<String>,
    },
    /// Delete a webhook (deliveries stop).
    Delete {
        /// The webhook id (default: the environment's only webhook).
        id: Option<String>,
    },
    /// Is Twitter delivering? The webhook's validity, the last CRC we answered (and how fast),
    /// the last delivery, and the watchdog's last run, each problem with the command that fixes
    /// it. Reads the health records from the store (`TABLE_NAME`, or `--data-dir`).
    Status {
        /// Our webhook's URL when the environment has several (default: its only webhook).
        #[arg(long, env = vars::WEBHOOK_URL)]
        url: Option<String>,
    },
}

fn webhook_json(w: &Webhook) -> Value {
    json!({ "id": w.id.as_str(), "url": w.url, "valid": w.valid, "created_at": w.created_at })
}

async fn pick_webhook(
    client: &TwitterClient,
    env: &EnvName,
    id: Option<String>,
) -> Result<WebhookId, OpsError> {
    if let Some(id) = id {
        return parse_id("webhook id", &id, WebhookId::new);
    }
    let hooks = client.list_webhooks(env).await?;
    match hooks.as_slice() {
        [one] => Ok(one.id.clone()),
        [] => Err(OpsError::Usage(format!(
            "environment {} has no webhook: register one with `dmbot webhook register <url>`",
            env.as_str()
        ))),
        _ => Err(OpsError::Usage(
            "the environment has several webhooks: name one by id (see `dmbot webhook list`)"
                .into(),
        )),
    }
}

pub async fn run(opts: &Common, cmd: WebhookCmd) -> Result<Output, OpsError> {
    let client = client()?;
    if context::api()? == ApiVersion::V2 {
        return webhook_v2::run(opts, &client, cmd).await;
    }
    let env = env_name()?;
    match cmd {
        WebhookCmd::Register { url, allow_http } => {
            let url = if allow_http {
                WebhookUrl::new_allowing_http(&url)
            } else {
                WebhookUrl::new(&url)
            }
            .map_err(|e| OpsError::Usage(format!("webhook URL: {e}")))?;
            let owner = context::owner_tokens()?;
            let hook = client.register_webhook(&owner, &env, &url).await?;
            let text = format!(
                "registered webhook {} for {} (valid: {})\nnext: `dmbot subscription add` to receive the owner's messages",
                hook.id, hook.url, hook.valid
            );
            Ok(Output::new(webhook_json(&hook), text))
        }
        WebhookCmd::List => {
            let hooks = client.list_webhooks(&env).await?;
            let mut text = String::new();
            if hooks.is_empty() {
                text.push_str("no webhook registered");
            }
            for h in &hooks {
                text.push_str(&format!(
                    "{}  {}  {}\n",
                    h.id,
                    if h.valid { "valid  " } else { "INVALID" },
                    h.url
                ));
            }
            let json = json!(hooks.iter().map(webhook_json).collect::<Vec<_>>());
            Ok(Output::new(json, text))
        }
        WebhookCmd::Validate { id } => {
            let id = pick_webhook(&client, &env, id).await?;
            let owner = context::owner_tokens()?;
            client.trigger_crc(&owner, &env, &id).await?;
            Ok(Output::new(
                json!({ "id": id.as_str(), "valid": true }),
                format!("webhook {id} answered the CRC: Twitter delivers to it"),
            ))
        }
        WebhookCmd::Status { url } => {
            let store = context::store(opts).await?;
            let now = dmbot_shared::domain::now_ms();
            let report = context::with_store!(store, s => {
                dmbot_shared::webhook_status::gather(&client, &env, url.as_deref(), &s, now).await
            });
            Ok(Output::new(report.to_json(), report.render_text()))
        }
        WebhookCmd::Delete { id } => {
            let id = pick_webhook(&client, &env, id).await?;
            let owner = context::owner_tokens()?;
            client.delete_webhook(&owner, &env, &id).await?;
            let _ = opts;
            Ok(Output::new(
                json!({ "id": id.as_str(), "deleted": true }),
                format!("deleted webhook {id}"),
            ))
        }
    }
}
