//! Flow sync: makes Twitter match a flow for one account (the use case behind `dmbot flow sync`
//! and `dmbot serve`'s simulator set-up).
//!
//! Only what changed since the last sync is touched:
//! - media: uploaded when the file is new or its content changed, or when the synced media id is
//!   about to expire (Twitter accepts a media id for 24 hours after upload; see
//!   [`Flow::media_id`]);
//! - custom profiles: created when new, re-created when the avatar changed (Twitter has no update
//!   for custom profiles; the old one is deleted after), deleted when the flow no longer has them;
//! - welcome messages: created when new, updated in place when their content changed, deleted
//!   when the flow no longer has them;
//! - the default welcome rule points at the flow's `default = true` welcome message.
//!
//! [`sync_to_twitter`] works on `flow.synced`, the Twitter ids of the last sync; storing the
//! flow is the caller's business.

use crate::flow::{Flow, MediaCategory, SyncedMedia};
use crate::twitter::api_types::{UploadedMedia, WelcomeMessageId, WelcomeRuleId};
use crate::twitter::client::{MediaUpload, TwitterClient, UploadOptions};
use crate::twitter::errors::TwitterError;
use crate::twitter::limits::{CustomProfileId, MediaId};
use crate::twitter::oauth1::TokenCredentials;

/// Why a sync (or an upload) stopped. What was done before stays done: the next sync picks up
/// from `flow.synced`.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// Twitter refused a call (its `Display` says what to do).
    #[error("{0}")]
    Twitter(#[from] TwitterError),
    /// A media file of the flow is not where the flow file says.
    #[error("cannot locate media file {path}")]
    MediaMissing { path: String },
    /// A media file could not be read.
    #[error("cannot read {path}: {reason}")]
    Read { path: String, reason: String },
    /// A custom profile's avatar was not uploaded (the upload step failed earlier).
    #[error("the avatar {path} has no media id")]
    AvatarNotUploaded { path: String },
    /// A welcome message does not fit Twitter's limits.
    #[error("welcome message {name:?}: {reason}")]
    Welcome { name: String, reason: String },
    /// A file is larger than Twitter takes for its category.
    #[error("the file has {bytes} bytes; Twitter takes at most {max} for {category}")]
    TooLarge {
        bytes: u64,
        max: u64,
        category: &'static str,
    },
}

impl SyncError {
    /// True when the operator's input is at fault (a file too large, a welcome message that
    /// does not fit), false when a file, Twitter or the earlier steps are.
    pub fn is_usage(&self) -> bool {
        matches!(self, SyncError::Welcome { .. } | SyncError::TooLarge { .. })
    }
}

/// Told how each upload goes (a progress bar in a terminal; nothing in `serve`).
pub trait UploadProgress: Sync {
    /// An upload of `total` bytes starts: the returned callback gets the bytes sent so far and
    /// is dropped when the upload ends.
    fn upload(&self, total: u64) -> Box<dyn FnMut(u64) + Send + '_>;
}

/// No progress shown.
pub struct Silent;

impl UploadProgress for Silent {
    fn upload(&self, _total: u64) -> Box<dyn FnMut(u64) + Send + '_> {
        Box::new(|_| {})
    }
}

/// What [`sync_to_twitter`] did.
#[derive(Debug, Default)]
pub struct TwitterSync {
    /// One line per change made on Twitter.
    pub changes: Vec<String>,
    /// The default welcome message and the rule that points at it.
    pub default: Option<(WelcomeMessageId, WelcomeRuleId)>,
    /// Clean-ups that failed (an old profile or welcome message left on Twitter); the sync
    /// itself succeeded.
    pub warnings: Vec<String>,
}

/// Uploads `bytes` for Direct Messages, after checking the size Twitter takes for `category`;
/// `progress` gets the bytes sent so far.
pub async fn upload(
    client: &TwitterClient,
    tokens: &TokenCredentials,
    bytes: &[u8],
    media_type: &str,
    category: MediaCategory,
    shared: bool,
    mut progress: impl FnMut(u64) + Send,
) -> Result<UploadedMedia, SyncError> {
    if bytes.len() as u64 > category.max_bytes() {
        return Err(SyncError::TooLarge {
            bytes: bytes.len() as u64,
            max: category.max_bytes(),
            category: category.as_str(),
        });
    }
    let upload = MediaUpload {
        bytes,
        media_type,
        category,
        shared,
    };
    let options = UploadOptions::default();
    let uploaded = client
        .upload_media(tokens, &upload, &options, |sent, _total| progress(sent))
        .await?;
    Ok(uploaded)
}

/// Replaces the account's welcome rules with one pointing at `id` (Twitter allows one rule);
/// a rule already pointing at it is kept.
pub async fn set_default_welcome(
    client: &TwitterClient,
    tokens: &TokenCredentials,
    id: &WelcomeMessageId,
) -> Result<WelcomeRuleId, TwitterError> {
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

/// Makes Twitter match `flow` for the account of `tokens` (see the module doc). `flow.synced`
/// comes in with the ids of the last sync (empty for a first one) and leaves with the current
/// ones; `previous` is the flow as last synced; `now` decides which media ids are about to
/// expire.
pub async fn sync_to_twitter(
    client: &TwitterClient,
    tokens: &TokenCredentials,
    flow: &mut Flow,
    previous: Option<&Flow>,
    now: u64,
    progress: &dyn UploadProgress,
) -> Result<TwitterSync, SyncError> {
    let mut done = TwitterSync::default();
    let twitter = Twitter { client, tokens };
    twitter.media(flow, now, progress, &mut done).await?;
    twitter.profiles(flow, previous, now, &mut done).await?;
    twitter.welcomes(flow, previous, now, &mut done).await?;
    if let Some(d) = flow.default_welcome()
        && let Some(id) = flow
            .synced
            .welcome_messages
            .get(d.name.as_str())
            .and_then(|id| WelcomeMessageId::new(id.clone()).ok())
    {
        let rule = set_default_welcome(client, tokens, &id).await?;
        done.default = Some((id, rule));
    }
    Ok(done)
}

/// The account the sync acts for.
struct Twitter<'a> {
    client: &'a TwitterClient,
    tokens: &'a TokenCredentials,
}

impl Twitter<'_> {
    /// Uploads what is new, changed or about to expire; forgets files the flow dropped.
    async fn media(
        &self,
        flow: &mut Flow,
        now: u64,
        progress: &dyn UploadProgress,
        done: &mut TwitterSync,
    ) -> Result<(), SyncError> {
        let files: Vec<_> = flow.media_files().cloned().collect();
        for f in &files {
            if flow.media_id(f, now).is_some() {
                continue;
            }
            let path = flow.media_path(f).ok_or_else(|| SyncError::MediaMissing {
                path: f.path.clone(),
            })?;
            let bytes = read_file(path).await?;
            let mut bar = progress.upload(bytes.len() as u64);
            let up = upload(
                self.client,
                self.tokens,
                &bytes,
                f.media_type(),
                f.category,
                true,
                &mut *bar,
            )
            .await;
            drop(bar);
            let up = up?;
            flow.synced.media.insert(
                f.path.clone(),
                SyncedMedia {
                    media_id: up.media_id.as_str().to_string(),
                    uploaded_ms: now,
                    sha256: f.sha256.clone(),
                },
            );
            done.changes.push(format!(
                "uploaded {} (media id {})",
                f.path,
                up.media_id.as_str()
            ));
        }
        flow.synced
            .media
            .retain(|path, _| files.iter().any(|f| &f.path == path));
        Ok(())
    }

    /// Creates new profiles and re-creates those whose avatar changed (Twitter cannot update
    /// one), then deletes the replaced and the dropped ones.
    async fn profiles(
        &self,
        flow: &mut Flow,
        previous: Option<&Flow>,
        now: u64,
        done: &mut TwitterSync,
    ) -> Result<(), SyncError> {
        let profiles = flow.profiles().to_vec();
        let mut old_profiles = Vec::new();
        for p in &profiles {
            let name = p.name.as_str().to_string();
            let existing = flow.synced.custom_profiles.get(&name).cloned();
            let same_avatar = previous.is_some_and(|prev| {
                prev.profiles()
                    .iter()
                    .any(|q| q.name == p.name && q.avatar.sha256 == p.avatar.sha256)
            });
            if existing.is_some() && same_avatar {
                continue;
            }
            let media =
                flow.media_id(&p.avatar, now)
                    .ok_or_else(|| SyncError::AvatarNotUploaded {
                        path: p.avatar.path.clone(),
                    })?;
            let created = self
                .client
                .create_custom_profile(self.tokens, &p.name, &media)
                .await?;
            done.changes.push(format!(
                "created custom profile {name:?} ({})",
                created.id.as_str()
            ));
            flow.synced
                .custom_profiles
                .insert(name, created.id.as_str().to_string());
            if let Some(old) = existing {
                old_profiles.push(old);
            }
        }
        let wanted: Vec<String> = profiles
            .iter()
            .map(|p| p.name.as_str().to_string())
            .collect();
        for (name, id) in dropped(&flow.synced.custom_profiles, &wanted) {
            flow.synced.custom_profiles.remove(&name);
            old_profiles.push(id);
        }
        for id in old_profiles {
            let Ok(id) = CustomProfileId::new(id) else {
                continue;
            };
            match self.client.destroy_custom_profile(self.tokens, &id).await {
                Ok(()) => done
                    .changes
                    .push(format!("deleted the old custom profile {}", id.as_str())),
                Err(e) => done.warnings.push(format!(
                    "could not delete the old custom profile {}: {e}",
                    id.as_str()
                )),
            }
        }
        Ok(())
    }

    /// Creates new welcome messages, updates changed ones, deletes dropped ones.
    async fn welcomes(
        &self,
        flow: &mut Flow,
        previous: Option<&Flow>,
        now: u64,
        done: &mut TwitterSync,
    ) -> Result<(), SyncError> {
        let welcomes = flow.welcome_messages().to_vec();
        for w in &welcomes {
            let name = w.name.as_str().to_string();
            let media: Option<MediaId> = w.media.as_ref().and_then(|m| flow.media_id(m, now));
            let data = w.message_data(media).map_err(|e| SyncError::Welcome {
                name: name.clone(),
                reason: e.to_string(),
            })?;
            let existing = flow
                .synced
                .welcome_messages
                .get(&name)
                .and_then(|id| WelcomeMessageId::new(id.clone()).ok());
            let unchanged = previous.is_some_and(|prev| {
                prev.welcome_messages().iter().any(|q| {
                    q.name == w.name
                        && q.message_data(None).ok() == w.message_data(None).ok()
                        && q.media.as_ref().map(|m| &m.sha256)
                            == w.media.as_ref().map(|m| &m.sha256)
                })
            });
            match existing {
                Some(_) if unchanged => {}
                Some(id) => {
                    self.client
                        .update_welcome_message(self.tokens, &id, &data)
                        .await?;
                    done.changes
                        .push(format!("updated welcome message {name:?} ({id})"));
                }
                None => {
                    let created = self
                        .client
                        .create_welcome_message(self.tokens, Some(&w.name), &data)
                        .await?;
                    done.changes
                        .push(format!("created welcome message {name:?} ({})", created.id));
                    flow.synced
                        .welcome_messages
                        .insert(name, created.id.as_str().to_string());
                }
            }
        }
        let wanted: Vec<String> = welcomes
            .iter()
            .map(|w| w.name.as_str().to_string())
            .collect();
        for (name, id) in dropped(&flow.synced.welcome_messages, &wanted) {
            flow.synced.welcome_messages.remove(&name);
            let Ok(id) = WelcomeMessageId::new(id) else {
                continue;
            };
            match self.client.destroy_welcome_message(self.tokens, &id).await {
                Ok(()) => done
                    .changes
                    .push(format!("deleted welcome message {name:?} ({id})")),
                Err(e) => done
                    .warnings
                    .push(format!("could not delete welcome message {id}: {e}")),
            }
        }
        Ok(())
    }
}

/// Reads a media file off the async threads.
async fn read_file(path: std::path::PathBuf) -> Result<Vec<u8>, SyncError> {
    let shown = path.display().to_string();
    let read = tokio::task::spawn_blocking(move || std::fs::read(&path)).await;
    match read {
        Ok(Ok(bytes)) => Ok(bytes),
        Ok(Err(e)) => Err(SyncError::Read {
            path: shown,
            reason: e.to_string(),
        }),
        Err(e) => Err(SyncError::Read {
            path: shown,
            reason: e.to_string(),
        }),
    }
}

/// The synced `(name, id)` pairs whose name the flow no longer has.
fn dropped(
    synced: &std::collections::BTreeMap<String, String>,
    wanted: &[String],
) -> Vec<(String, String)> {
    synced
        .iter()
        .filter(|(n, _)| !wanted.contains(n))
        .map(|(n, id)| (n.clone(), id.clone()))
        .collect()
}
