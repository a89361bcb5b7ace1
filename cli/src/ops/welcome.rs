//! `welcome create|list|show|update|delete|set-default|link`: welcome messages, the default
//! welcome rule and deep links.

use clap::Subcommand;
use dmbot_shared::flow::sync::set_default_welcome;
use dmbot_shared::twitter::api_types::{
    WelcomeMessage, WelcomeMessageId, welcome_message_deep_link,
};
use dmbot_shared::twitter::limits::{
    MediaId, MessageData, MessageText, WelcomeMessageData, WelcomeMessageName,
};
use serde_json::{Value, json};

use super::context::{self, acting, acting_user_id, client, parse_id};
use super::{Common, OpsError, Output};

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

pub async fn run(opts: &Common, cmd: WelcomeCmd) -> Result<Output, OpsError> {
    context::v1_only(
        "welcome messages do not exist on X API v2; the bot's flow greets a customer when \
         their first message arrives",
    )?;
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

fn first_line(s: &str) -> String {
    let line = s.lines().next().unwrap_or("");
    if line.chars().count() > 60 {
        format!("{}…", line.chars().take(60).collect::<String>())
    } else {
        line.to_string()
    }
}
