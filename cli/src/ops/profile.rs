//! `profile create|list|show|delete`: custom profiles (another name and avatar to send
//! messages as).

use std::path::PathBuf;

use clap::Subcommand;
use dmbot_shared::twitter::api_types::CustomProfile;
use dmbot_shared::twitter::limits::{CustomProfileId, CustomProfileName};
use serde_json::{Value, json};

use super::context::{self, acting, client, parse_id};
use super::media::upload_file;
use super::{Common, OpsError, Output};

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

fn profile_json(p: &CustomProfile) -> Value {
    json!({
        "id": p.id.as_str(),
        "name": p.name,
        "avatar_url": p.avatar.as_ref().and_then(|a| a.media.url.clone()),
        "created_timestamp": p.created_timestamp,
    })
}

pub async fn run(opts: &Common, cmd: ProfileCmd) -> Result<Output, OpsError> {
    context::v1_only(
        "custom profiles do not exist on X API v2; messages are sent as the account itself",
    )?;
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
