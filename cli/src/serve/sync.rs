//! Simulator mode: registers the flow's media, custom profiles and welcome messages in the
//! simulator through the real API client (so every call is signed and checked), and records the
//! ids in `flow.synced` as `dmbot flow sync` would against Twitter. The page then shows the
//! default welcome message and the profiles' names and avatars.

use dmbot_shared::flow::{Flow, SyncedMedia};
use dmbot_shared::twitter::api_types::WelcomeMessageId;
use dmbot_shared::twitter::client::{MediaUpload, TwitterClient, UploadOptions};
use dmbot_shared::twitter::errors::TwitterError;
use dmbot_shared::twitter::limits::MediaId;
use dmbot_shared::twitter::oauth1::TokenCredentials;

use super::ServeError;

/// What was created, for the banner.
#[derive(Debug, Default)]
pub struct SyncSummary {
    pub media: usize,
    pub profiles: usize,
    pub welcome_messages: usize,
}

fn api(what: &str, e: TwitterError) -> ServeError {
    ServeError::Sync(format!("{what}: {e}"))
}

/// Uploads every media file, creates every profile and welcome message, makes the default
/// welcome message the rule.
pub async fn sync_flow(
    client: &TwitterClient,
    account: &TokenCredentials,
    flow: &mut Flow,
    now_ms: u64,
) -> Result<SyncSummary, ServeError> {
    let mut summary = SyncSummary::default();
    let files: Vec<_> = flow.media_files().cloned().collect();
    for file in files {
        let path = flow.media_path(&file).ok_or_else(|| {
            ServeError::Sync(format!("{}: the flow has no base directory", file.path))
        })?;
        let bytes = tokio::fs::read(&path)
            .await
            .map_err(|e| ServeError::Sync(format!("{}: {e}", path.display())))?;
        let upload = MediaUpload {
            bytes: &bytes,
            media_type: file.media_type(),
            category: file.category,
            shared: true,
        };
        let uploaded = client
            .upload_media(account, &upload, &UploadOptions::default(), |_, _| {})
            .await
            .map_err(|e| api(&format!("upload {}", file.path), e))?;
        flow.synced.media.insert(
            file.path.clone(),
            SyncedMedia {
                media_id: uploaded.media_id.as_str().to_string(),
                uploaded_ms: now_ms,
                sha256: file.sha256.clone(),
            },
        );
        summary.media += 1;
    }

    let profiles = flow.profiles().to_vec();
    for profile in profiles {
        let avatar = flow.media_id(&profile.avatar, now_ms).ok_or_else(|| {
            ServeError::Sync(format!("avatar {} was not uploaded", profile.avatar.path))
        })?;
        let created = client
            .create_custom_profile(account, &profile.name, &avatar)
            .await
            .map_err(|e| api(&format!("custom profile {}", profile.name.as_str()), e))?;
        flow.synced.custom_profiles.insert(
            profile.name.as_str().to_string(),
            created.id.as_str().to_string(),
        );
        summary.profiles += 1;
    }

    let welcomes = flow.welcome_messages().to_vec();
    let mut default: Option<WelcomeMessageId> = None;
    for welcome in welcomes {
        let media: Option<MediaId> = welcome
            .media
            .as_ref()
            .and_then(|m| flow.media_id(m, now_ms));
        let data = welcome.message_data(media).map_err(|e| {
            ServeError::Sync(format!("welcome message {}: {e}", welcome.name.as_str()))
        })?;
        let created = client
            .create_welcome_message(account, Some(&welcome.name), &data)
            .await
            .map_err(|e| api(&format!("welcome message {}", welcome.name.as_str()), e))?;
        flow.synced.welcome_messages.insert(
            welcome.name.as_str().to_string(),
            created.id.as_str().to_string(),
        );
        if welcome.default {
            default = Some(created.id.clone());
        }
        summary.welcome_messages += 1;
    }
    if let Some(id) = default {
        client
            .create_welcome_rule(account, &id)
            .await
            .map_err(|e| api("default welcome rule", e))?;
    }
    Ok(summary)
}
