//! `webhook`, `subscription`, `welcome`, `profile` and `media`: thin wrappers over the API
//! client, one call (or a few) each.

use std::path::{Path, PathBuf};

use clap::Subcommand;
use dmbot_shared::twitter::api_types::{
    CustomProfile, MediaCategory, Webhook, WebhookId, WebhookUrl, WelcomeMessage, WelcomeMessageId,
    WelcomeRuleId, welcome_message_deep_link,
};
use dmbot_shared::twitter::client::{MediaUpload, TwitterClient, UploadOptions};
use dmbot_shared::twitter::limits::{
    CustomProfileId, CustomProfileName, MediaId, MessageData, MessageText, WelcomeMessageData,
    WelcomeMessageName,
};
use dmbot_shared::twitter::oauth1::TokenCredentials;
use serde_json::{Value, json};

use super::context::{self, acting, acting_user_id, client, env_name, parse_id, parse_user};
use super::{Common, OpsError, Output};

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
        #[arg(long, env = "WEBHOOK_URL")]
        url: Option<String>,
    },
}

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

#[derive(Subcommand, Debug)]
pub enum WelcomeCmd {
    /// Create a welcome message.
    Create {
        /// A name to find it by (at most 100 characters).
        #[arg(long)]
        name: Option<String>,
        /// The text shown when someone opens a conversation.
        #[arg(long)]
        text: String,
        /// A media id from `dmbot media upload` (used within 24 hours of the upload).
        #[arg(long)]
        media_id: Option<String>,
    },
    /// List welcome messages.
    List,
    /// Show one welcome message.
    Show { id: String },
    /// Replace a welcome message's text (and media).
    Update {
        id: String,
        #[arg(long)]
        text: String,
        #[arg(long)]
        media_id: Option<String>,
    },
    /// Delete a welcome message.
    Delete { id: String },
    /// Make a welcome message the default (replaces the current default rule).
    SetDefault { id: String },
    /// Print the deep link that opens a conversation showing this welcome message.
    Link { id: String },
}

#[derive(Subcommand, Debug)]
pub enum ProfileCmd {
    /// Create a custom profile: uploads the avatar, then creates the profile.
    Create {
        /// The name shown on messages (at most 50 characters).
        #[arg(long)]
        name: String,
        /// The avatar image file (PNG or JPEG).
        #[arg(long)]
        avatar: PathBuf,
    },
    /// List custom profiles.
    List,
    /// Show one custom profile.
    Show { id: String },
    /// Delete a custom profile.
    Delete { id: String },
}

#[derive(Subcommand, Debug)]
pub enum MediaCmd {
    /// Upload a file for Direct Messages (PNG, JPEG, WEBP, GIF, MP4); prints its media id,
    /// usable for 24 hours.
    Upload {
        file: PathBuf,
        /// Upload as not shared (only for a single message; welcome messages need shared).
        #[arg(long)]
        not_shared: bool,
    },
}

fn webhook_json(w: &Webhook) -> Value {
    json!({ "id": w.id.as_str(), "url": w.url, "valid": w.valid, "created_at": w.created_at })
}

async fn pick_webhook(
    client: &TwitterClient,
    env: &dmbot_shared::twitter::api_types::EnvName,
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

pub async fn webhook(opts: &Common, cmd: WebhookCmd) -> Result<Output, OpsError> {
    let client = client()?;
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

pub async fn subscription(opts: &Common, cmd: SubscriptionCmd) -> Result<Output, OpsError> {
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

fn welcome_json(w: &WelcomeMessage) -> Value {
    json!({
        "id": w.id.as_str(),
        "name": w.name,
        "text": w.message_data.text,
        "created_timestamp": w.created_timestamp,
    })
}

fn welcome_data(text: String, media_id: Option<String>) -> Result<WelcomeMessageData, OpsError> {
    let text = MessageText::new(text).map_err(|e| OpsError::Usage(e.to_string()))?;
    let mut data = MessageData::new(text);
    if let Some(m) = media_id {
        data = data.with_media(parse_id("media id", &m, MediaId::new)?);
    }
    WelcomeMessageData::new(data).map_err(|e| OpsError::Usage(e.to_string()))
}

pub async fn welcome(opts: &Common, cmd: WelcomeCmd) -> Result<Output, OpsError> {
    let client = client()?;
    let who = acting(opts).await?;
    let tokens = &who.tokens;
    match cmd {
        WelcomeCmd::Create {
            name,
            text,
            media_id,
        } => {
            let name = name
                .map(|n| parse_id("welcome message name", &n, WelcomeMessageName::new))
                .transpose()?;
            let data = welcome_data(text, media_id)?;
            let w = client
                .create_welcome_message(tokens, name.as_ref(), &data)
                .await?;
            let text = format!(
                "created welcome message {}\nnext: `dmbot welcome set-default {}` or `dmbot welcome link {}`",
                w.id, w.id, w.id
            );
            Ok(Output::new(welcome_json(&w), text))
        }
        WelcomeCmd::List => {
            let all = client.list_all_welcome_messages(tokens).await?;
            let mut text = String::new();
            if all.is_empty() {
                text.push_str("no welcome messages");
            }
            for w in &all {
                text.push_str(&format!(
                    "{}  {}  {}\n",
                    w.id,
                    w.name.as_deref().unwrap_or("-"),
                    first_line(&w.message_data.text)
                ));
            }
            Ok(Output::new(
                json!(all.iter().map(welcome_json).collect::<Vec<_>>()),
                text,
            ))
        }
        WelcomeCmd::Show { id } => {
            let id = parse_id("welcome message id", &id, WelcomeMessageId::new)?;
            let w = client.show_welcome_message(tokens, &id).await?;
            let text = format!(
                "id: {}\nname: {}\ntext: {}",
                w.id,
                w.name.as_deref().unwrap_or("-"),
                w.message_data.text
            );
            Ok(Output::new(welcome_json(&w), text))
        }
        WelcomeCmd::Update { id, text, media_id } => {
            let id = parse_id("welcome message id", &id, WelcomeMessageId::new)?;
            let data = welcome_data(text, media_id)?;
            let w = client.update_welcome_message(tokens, &id, &data).await?;
            Ok(Output::new(
                welcome_json(&w),
                format!("updated welcome message {}", w.id),
            ))
        }
        WelcomeCmd::Delete { id } => {
            let id = parse_id("welcome message id", &id, WelcomeMessageId::new)?;
            client.destroy_welcome_message(tokens, &id).await?;
            Ok(Output::new(
                json!({ "id": id.as_str(), "deleted": true }),
                format!("deleted welcome message {id}"),
            ))
        }
        WelcomeCmd::SetDefault { id } => {
            let id = parse_id("welcome message id", &id, WelcomeMessageId::new)?;
            let rule = set_default_welcome(&client, tokens, &id).await?;
            Ok(Output::new(
                json!({ "rule_id": rule.as_str(), "welcome_message_id": id.as_str() }),
                format!("welcome message {id} is now the default (rule {rule})"),
            ))
        }
        WelcomeCmd::Link { id } => {
            let id = parse_id("welcome message id", &id, WelcomeMessageId::new)?;
            let user = acting_user_id(&client, &who).await?;
            let link = welcome_message_deep_link(&user, &id);
            Ok(Output::new(
                json!({ "welcome_message_id": id.as_str(), "link": link }),
                link.clone(),
            ))
        }
    }
}

/// Replaces the account's welcome rules with one pointing at `id` (Twitter allows one rule).
pub async fn set_default_welcome(
    client: &TwitterClient,
    tokens: &TokenCredentials,
    id: &WelcomeMessageId,
) -> Result<WelcomeRuleId, OpsError> {
    let rules = client.list_welcome_rules(tokens, None, None).await?;
    if let Some(r) = rules
        .welcome_message_rules
        .iter()
        .find(|r| &r.welcome_message_id == id)
    {
        return Ok(r.id.clone());
    }
    for r in &rules.welcome_message_rules {
        client.destroy_welcome_rule(tokens, &r.id).await?;
    }
    Ok(client.create_welcome_rule(tokens, id).await?.id)
}

fn first_line(s: &str) -> String {
    let line = s.lines().next().unwrap_or("");
    if line.chars().count() > 60 {
        format!("{}…", line.chars().take(60).collect::<String>())
    } else {
        line.to_string()
    }
}

fn profile_json(p: &CustomProfile) -> Value {
    json!({
        "id": p.id.as_str(),
        "name": p.name,
        "avatar_url": p.avatar.as_ref().and_then(|a| a.media.url.clone()),
        "created_timestamp": p.created_timestamp,
    })
}

pub async fn profile(opts: &Common, cmd: ProfileCmd) -> Result<Output, OpsError> {
    let client = client()?;
    let who = acting(opts).await?;
    let tokens = &who.tokens;
    match cmd {
        ProfileCmd::Create { name, avatar } => {
            let name = parse_id("profile name", &name, CustomProfileName::new)?;
            let media = upload_file(&client, tokens, &avatar, true, opts.json).await?;
            let p = client
                .create_custom_profile(tokens, &name, &media.media_id)
                .await?;
            Ok(Output::new(
                profile_json(&p),
                format!("created custom profile {} ({})", p.id.as_str(), p.name),
            ))
        }
        ProfileCmd::List => {
            let page = client.list_custom_profiles(tokens, None, None).await?;
            let mut text = String::new();
            if page.custom_profiles.is_empty() {
                text.push_str("no custom profiles");
            }
            for p in &page.custom_profiles {
                text.push_str(&format!("{}  {}\n", p.id.as_str(), p.name));
            }
            Ok(Output::new(
                json!(
                    page.custom_profiles
                        .iter()
                        .map(profile_json)
                        .collect::<Vec<_>>()
                ),
                text,
            ))
        }
        ProfileCmd::Show { id } => {
            let id = parse_id("custom profile id", &id, CustomProfileId::new)?;
            let p = client.show_custom_profile(tokens, &id).await?;
            Ok(Output::new(
                profile_json(&p),
                format!("id: {}\nname: {}", p.id.as_str(), p.name),
            ))
        }
        ProfileCmd::Delete { id } => {
            let id = parse_id("custom profile id", &id, CustomProfileId::new)?;
            client.destroy_custom_profile(tokens, &id).await?;
            Ok(Output::new(
                json!({ "id": id.as_str(), "deleted": true }),
                format!("deleted custom profile {}", id.as_str()),
            ))
        }
    }
}

pub async fn media(opts: &Common, cmd: MediaCmd) -> Result<Output, OpsError> {
    let client = client()?;
    let who = acting(opts).await?;
    match cmd {
        MediaCmd::Upload { file, not_shared } => {
            let up = upload_file(&client, &who.tokens, &file, !not_shared, opts.json).await?;
            Ok(Output::new(
                json!({
                    "media_id": up.media_id.as_str(),
                    "expires_after_secs": up.expires_after_secs,
                }),
                format!(
                    "media id {} (attach it within 24 hours)",
                    up.media_id.as_str()
                ),
            ))
        }
    }
}

/// The MIME type from a file name's extension.
pub fn media_type_for(path: &Path) -> Option<&'static str> {
    let ext = path.extension()?.to_str()?.to_ascii_lowercase();
    Some(match ext.as_str() {
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "webp" => "image/webp",
        "gif" => "image/gif",
        "mp4" => "video/mp4",
        _ => return None,
    })
}

/// Uploads a file with a progress bar on stderr (hidden with `--json` or without a terminal).
pub async fn upload_file(
    client: &TwitterClient,
    tokens: &TokenCredentials,
    path: &Path,
    shared: bool,
    quiet: bool,
) -> Result<dmbot_shared::twitter::api_types::UploadedMedia, OpsError> {
    let media_type = media_type_for(path).ok_or_else(|| {
        OpsError::Usage(format!(
            "{}: Twitter takes .png, .jpg, .jpeg, .webp, .gif and .mp4 in Direct Messages",
            path.display()
        ))
    })?;
    let category = MediaCategory::for_media_type(media_type).unwrap_or(MediaCategory::DmImage);
    let bytes = tokio::fs::read(path)
        .await
        .map_err(|e| OpsError::Io(format!("cannot read {}: {e}", path.display())))?;
    upload_bytes(client, tokens, &bytes, media_type, category, shared, quiet).await
}

pub async fn upload_bytes(
    client: &TwitterClient,
    tokens: &TokenCredentials,
    bytes: &[u8],
    media_type: &str,
    category: MediaCategory,
    shared: bool,
    quiet: bool,
) -> Result<dmbot_shared::twitter::api_types::UploadedMedia, OpsError> {
    if bytes.len() as u64 > category.max_bytes() {
        return Err(OpsError::Usage(format!(
            "the file has {} bytes; Twitter takes at most {} for {}",
            bytes.len(),
            category.max_bytes(),
            category.as_str()
        )));
    }
    let bar = if quiet {
        indicatif::ProgressBar::hidden()
    } else {
        indicatif::ProgressBar::new(bytes.len() as u64)
    };
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{spinner} uploading [{bar:30}] {bytes}/{total_bytes} {msg}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    let upload = MediaUpload {
        bytes,
        media_type,
        category,
        shared,
    };
    let result = client
        .upload_media(
            tokens,
            &upload,
            &UploadOptions::default(),
            |sent, _total| bar.set_position(sent),
        )
        .await;
    bar.finish_and_clear();
    Ok(result?)
}
