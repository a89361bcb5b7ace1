//! `flow check` and `flow sync`.
//!
//! `flow sync` makes Twitter and the store match a flow file, changing only what changed since
//! the stored version:
//! - media: uploaded when the file is new or its content changed, or when the stored media id
//!   is older than 23 hours (Twitter accepts a media id for 24 hours after upload);
//! - custom profiles: created when new, or re-created when the avatar changed (Twitter has no
//!   update for custom profiles; the old one is deleted after);
//! - welcome messages: created when new, updated in place when their content changed, deleted
//!   when the flow no longer has them;
//! - the default welcome rule points at the flow's `default = true` welcome message;
//! - with `--account`, the account's record names the flow (its conversations run it);
//! - the store gets a new version of the flow (with every Twitter id) only when the content or
//!   an id changed. The dispatcher reads the newest version.

use std::collections::BTreeMap;
use std::path::PathBuf;

use clap::Subcommand;
use dmbot_shared::domain::{UserId, now_ms};
use dmbot_shared::flow::{Flow, SyncedMedia};
use dmbot_shared::store::{Accounts, FlowRecord, Flows};
use dmbot_shared::twitter::api_types::{
    WelcomeMessageId, WelcomeRuleId, welcome_message_deep_link,
};
use dmbot_shared::twitter::client::TwitterClient;
use dmbot_shared::twitter::limits::{CustomProfileId, MediaId};
use dmbot_shared::twitter::oauth1::TokenCredentials;
use serde_json::json;

use super::context::{acting, acting_user_id, client, store, with_store};
use super::twitter_cmds::{set_default_welcome, upload_bytes};
use super::{Common, OpsError, Output};

#[derive(Subcommand, Debug)]
pub enum FlowCmd {
    /// Validate a flow file and list every problem (exit status 1 when there is one).
    #[command(alias = "validate")]
    Check {
        /// The flow file (TOML).
        file: PathBuf,
    },
    /// Upload the flow's media, create its custom profiles and welcome messages, set the default
    /// welcome message, store the flow for the dispatcher and print the deep links. Re-running
    /// changes only what changed.
    Sync {
        /// The flow file (TOML).
        file: PathBuf,
    },
}

pub async fn run(opts: &Common, cmd: FlowCmd) -> Result<Output, OpsError> {
    match cmd {
        FlowCmd::Check { file } => {
            let flow = Flow::load(&file)?;
            let json = json!({
                "ok": true,
                "flow_id": flow.id(),
                "content_hash": flow.content_hash(),
                "nodes": flow.nodes().count(),
                "welcome_messages": flow.welcome_messages().len(),
                "profiles": flow.profiles().len(),
                "media_files": flow.media_files().count(),
            });
            let text = format!(
                "{}: flow {:?} is valid ({} nodes, {} welcome messages, {} profiles, {} media files)",
                file.display(),
                flow.id(),
                flow.nodes().count(),
                flow.welcome_messages().len(),
                flow.profiles().len(),
                flow.media_files().count()
            );
            Ok(Output::new(json, text))
        }
        FlowCmd::Sync { file } => sync(opts, file).await,
    }
}

/// The id a synced flow is stored under: the flow's own id for the app owner (the dispatcher's
/// `DEFAULT_FLOW_ID`), `<flow id>@<account>` for a connected account (`--account`), whose
/// record then names it. Each account keeps its own Twitter ids.
fn stored_flow_id(flow_id: &str, account: Option<&UserId>) -> String {
    match account {
        Some(account) => format!("{flow_id}@{account}"),
        None => flow_id.to_string(),
    }
}

async fn sync(opts: &Common, file: PathBuf) -> Result<Output, OpsError> {
    let mut flow = Flow::load(&file)?;
    // `acting` opens (and closes) the store itself for `--account`: the embedded store can be
    // open once per process, so it runs before the store is opened for the sync.
    let who = acting(opts).await?;
    let store = store(opts).await?;
    let client = client()?;
    let tokens = &who.tokens;
    let account = acting_user_id(&client, &who).await?;
    let now = now_ms();

    // Synced ids (media, custom profiles, welcome messages) belong to one account, so a flow
    // synced as a connected account is stored apart from the app owner's and other accounts'.
    let record_id = stored_flow_id(flow.id(), who.user_id.as_ref());
    let stored = with_store!(&store, s => s.get_flow(&record_id).await)?;
    let previous: Option<Flow> = match &stored {
        Some(rec) => match serde_json::from_str(&rec.document) {
            Ok(f) => Some(f),
            Err(e) => {
                eprintln!(
                    "warning: the stored version {} of flow {record_id:?} cannot be read ({e}); syncing everything afresh",
                    rec.version,
                );
                None
            }
        },
        None => None,
    };
    if let Some(prev) = &previous {
        flow.synced = prev.synced.clone();
    }
    let TwitterSync {
        mut changes,
        default: default_id,
    } = sync_to_twitter(
        &client,
        tokens,
        &mut flow,
        previous.as_ref(),
        now,
        opts.json,
    )
    .await?;

    // Store a new version when anything changed.
    let content_same = previous
        .as_ref()
        .is_some_and(|p| p.content_hash() == flow.content_hash() && p.synced == flow.synced);
    let version = match (&stored, content_same) {
        (Some(rec), true) => rec.version,
        (prev, _) => {
            let version = prev.as_ref().map_or(1, |r| r.version + 1);
            let document = serde_json::to_string(&flow)
                .map_err(|e| OpsError::Io(format!("the flow could not be encoded: {e}")))?;
            let record = FlowRecord {
                flow_id: record_id.clone(),
                version,
                document,
                stored_ms: now,
            };
            with_store!(&store, s => s.put_flow(&record).await)?;
            changes.push(format!("stored flow {record_id:?} version {version}"));
            version
        }
    };

    // Syncing as a connected account makes this flow the one its conversations run.
    if who.user_id.is_some() {
        let record = with_store!(&store, s => s.get_account(&account).await)?;
        if let Some(mut record) = record
            && record.flow_id.as_deref() != Some(record_id.as_str())
        {
            record.flow_id = Some(record_id.clone());
            with_store!(&store, s => s.put_account(&record).await)?;
            changes.push(format!("account {account} now runs flow {record_id:?}"));
        }
    }

    let links: BTreeMap<String, String> = flow
        .synced
        .welcome_messages
        .iter()
        .filter_map(|(name, id)| {
            let id = WelcomeMessageId::new(id.clone()).ok()?;
            Some((name.clone(), welcome_message_deep_link(&account, &id)))
        })
        .collect();

    let mut text = String::new();
    if changes.is_empty() {
        text.push_str(&format!(
            "flow {:?} is up to date (version {version})\n",
            flow.id()
        ));
    }
    for c in &changes {
        text.push_str(&format!("{c}\n"));
    }
    if let Some((id, _)) = &default_id {
        text.push_str(&format!("default welcome message: {id}\n"));
    }
    for (name, link) in &links {
        text.push_str(&format!("{name}: {link}\n"));
    }
    let json = json!({
        "flow_id": flow.id(),
        "stored_as": record_id,
        "version": version,
        "account_id": account.as_str(),
        "changes": changes,
        "synced": flow.synced,
        "default_welcome_message_id": default_id.as_ref().map(|(id, _)| id.as_str().to_string()),
        "default_rule_id": default_id.as_ref().map(|(_, r)| r.as_str().to_string()),
        "deep_links": links,
    });
    Ok(Output::new(json, text))
}

/// What [`sync_to_twitter`] did.
pub(crate) struct TwitterSync {
    /// One line per change made on Twitter.
    pub changes: Vec<String>,
    /// The default welcome message and the rule that points at it.
    pub default: Option<(WelcomeMessageId, WelcomeRuleId)>,
}

/// Makes Twitter match `flow` for the account of `tokens`: media uploaded when new, changed or
/// about to expire; custom profiles created (re-created when the avatar changed, old ones
/// deleted); welcome messages created, updated or deleted; the default welcome rule set.
/// `flow.synced` comes in with the ids of the last sync (empty for a first one) and leaves
/// with the current ones; `previous` is the flow as last synced. `quiet` hides the upload
/// progress bar. `dmbot flow sync` and `dmbot serve`'s simulator set-up both run this.
pub(crate) async fn sync_to_twitter(
    client: &TwitterClient,
    tokens: &TokenCredentials,
    flow: &mut Flow,
    previous: Option<&Flow>,
    now: u64,
    quiet: bool,
) -> Result<TwitterSync, OpsError> {
    let mut changes: Vec<String> = Vec::new();

    // Media: upload what is new, changed or about to expire.
    let files: Vec<_> = flow.media_files().cloned().collect();
    for f in &files {
        if flow.media_id(f, now).is_some() {
            continue;
        }
        let path = flow
            .media_path(f)
            .ok_or_else(|| OpsError::Io(format!("cannot locate media file {}", f.path)))?;
        let bytes = tokio::fs::read(&path)
            .await
            .map_err(|e| OpsError::Io(format!("cannot read {}: {e}", path.display())))?;
        let up = upload_bytes(
            client,
            tokens,
            &bytes,
            f.media_type(),
            f.category,
            true,
            quiet,
        )
        .await?;
        flow.synced.media.insert(
            f.path.clone(),
            SyncedMedia {
                media_id: up.media_id.as_str().to_string(),
                uploaded_ms: now,
                sha256: f.sha256.clone(),
            },
        );
        changes.push(format!(
            "uploaded {} (media id {})",
            f.path,
            up.media_id.as_str()
        ));
    }
    flow.synced
        .media
        .retain(|path, _| files.iter().any(|f| &f.path == path));

    // Custom profiles: Twitter cannot update one, so a changed avatar means a new profile.
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
        let media = flow
            .media_id(&p.avatar, now)
            .ok_or_else(|| OpsError::Io(format!("the avatar {} has no media id", p.avatar.path)))?;
        let created = client
            .create_custom_profile(tokens, &p.name, &media)
            .await?;
        changes.push(format!(
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
    let gone: Vec<(String, String)> = flow
        .synced
        .custom_profiles
        .iter()
        .filter(|(n, _)| !wanted.contains(n))
        .map(|(n, id)| (n.clone(), id.clone()))
        .collect();
    for (name, id) in gone {
        flow.synced.custom_profiles.remove(&name);
        old_profiles.push(id);
    }
    for id in old_profiles {
        if let Ok(id) = CustomProfileId::new(id) {
            match client.destroy_custom_profile(tokens, &id).await {
                Ok(()) => changes.push(format!("deleted the old custom profile {}", id.as_str())),
                Err(e) => eprintln!(
                    "warning: could not delete the old custom profile {}: {e}",
                    id.as_str()
                ),
            }
        }
    }

    // Welcome messages: create new ones, update changed ones, delete removed ones.
    let welcomes = flow.welcome_messages().to_vec();
    for w in &welcomes {
        let name = w.name.as_str().to_string();
        let media: Option<MediaId> = w.media.as_ref().and_then(|m| flow.media_id(m, now));
        let data = w
            .message_data(media)
            .map_err(|e| OpsError::Usage(format!("welcome message {name:?}: {e}")))?;
        let existing = flow
            .synced
            .welcome_messages
            .get(&name)
            .and_then(|id| WelcomeMessageId::new(id.clone()).ok());
        let unchanged = previous.is_some_and(|prev| {
            prev.welcome_messages().iter().any(|q| {
                q.name == w.name
                    && q.message_data(None).ok() == w.message_data(None).ok()
                    && q.media.as_ref().map(|m| &m.sha256) == w.media.as_ref().map(|m| &m.sha256)
            })
        });
        match existing {
            Some(_) if unchanged => {}
            Some(id) => {
                client.update_welcome_message(tokens, &id, &data).await?;
                changes.push(format!("updated welcome message {name:?} ({id})"));
            }
            None => {
                let created = client
                    .create_welcome_message(tokens, Some(&w.name), &data)
                    .await?;
                changes.push(format!("created welcome message {name:?} ({})", created.id));
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
    let gone: Vec<(String, String)> = flow
        .synced
        .welcome_messages
        .iter()
        .filter(|(n, _)| !wanted.contains(n))
        .map(|(n, id)| (n.clone(), id.clone()))
        .collect();
    for (name, id) in gone {
        flow.synced.welcome_messages.remove(&name);
        if let Ok(id) = WelcomeMessageId::new(id) {
            match client.destroy_welcome_message(tokens, &id).await {
                Ok(()) => changes.push(format!("deleted welcome message {name:?} ({id})")),
                Err(e) => eprintln!("warning: could not delete welcome message {id}: {e}"),
            }
        }
    }

    // The default welcome rule.
    let mut default_id = None;
    if let Some(d) = flow.default_welcome()
        && let Some(id) = flow
            .synced
            .welcome_messages
            .get(d.name.as_str())
            .and_then(|id| WelcomeMessageId::new(id.clone()).ok())
    {
        let rule = set_default_welcome(client, tokens, &id).await?;
        default_id = Some((id, rule));
    }

    Ok(TwitterSync {
        changes,
        default: default_id,
    })
}
