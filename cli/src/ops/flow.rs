//! `flow check` and `flow sync`.
//!
//! `flow check --api v2` adds what [`dmbot_shared::flow::surface::check_for_v2`] finds: nodes
//! too long once written out as v2 text (problems), and what v2 degrades (warnings).
//!
//! `flow sync` makes Twitter and the store match a flow file, changing only what changed since
//! the stored version:
//! - on Twitter (media, custom profiles, welcome messages, the default welcome rule):
//!   [`dmbot_shared::flow::sync`], which `dmbot serve` runs against its simulator too;
//! - with `--account`, the account's record names the flow (its conversations run it);
//! - the store gets a new version of the flow (with every Twitter id) only when the content or
//!   an id changed. The dispatcher reads the newest version.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use clap::Subcommand;
use dmbot_shared::domain::{UserId, now_ms};
use dmbot_shared::flow::surface::{V2Check, check_for_v2};
use dmbot_shared::flow::sync::{TwitterSync, sync_to_twitter};
use dmbot_shared::flow::{Flow, FlowErrors};
use dmbot_shared::store::{Accounts, FlowRecord, Flows};
use dmbot_shared::twitter::api_types::{WelcomeMessageId, welcome_message_deep_link};
use serde_json::json;

use super::context::{self, acting, acting_user_id, client, store, with_store};
use super::media::Bar;
use super::{Common, OpsError, Output};

#[derive(Subcommand, Debug)]
pub enum FlowCmd {
    /// Validate a flow file and list every problem (exit status 1 when there is one). With
    /// `--api v2`, also render every node as X API v2 text: a node too long once its options and
    /// buttons are written out is a problem, and what works differently on v2 is listed as
    /// warnings.
    #[command(alias = "validate")]
    Check {
        /// The flow file (TOML).
        file: PathBuf,
        /// The X API the flow is checked for: `v1.1` or `v2`.
        #[arg(long, default_value = "v1.1", value_name = "v1.1|v2")]
        api: String,
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
        FlowCmd::Check { file, api } => {
            let v2 = parse_api(&api)?;
            let flow = Flow::load(&file)?;
            if v2 {
                return check_v2(&file, &flow);
            }
            let json = json!({
                "ok": true,
                "api": "v1.1",
                "flow_id": flow.id(),
                "content_hash": flow.content_hash(),
                "nodes": flow.nodes().count(),
                "welcome_messages": flow.welcome_messages().len(),
                "profiles": flow.profiles().len(),
                "media_files": flow.media_files().count(),
            });
            Ok(Output::new(json, valid_line(&file, &flow, "")))
        }
        FlowCmd::Sync { file } => sync(opts, file).await,
    }
}

/// `--api`: whether the flow is checked for X API v2 (the spellings of `TWITTER_API`).
fn parse_api(api: &str) -> Result<bool, OpsError> {
    match api.trim().to_ascii_lowercase().as_str() {
        "v1.1" | "1.1" => Ok(false),
        "v2" | "2" => Ok(true),
        _ => Err(OpsError::Usage(format!(
            "--api {:?} is not an X API version: use v1.1 (quick replies, buttons, welcome \
             messages) or v2 (text and one attachment)",
            api.chars().take(20).collect::<String>()
        ))),
    }
}

/// `<file>: flow "<id>" is valid<on> (<counts>)`.
fn valid_line(file: &Path, flow: &Flow, on: &str) -> String {
    format!(
        "{}: flow {:?} is valid{on} ({} nodes, {} welcome messages, {} profiles, {} media files)",
        file.display(),
        flow.id(),
        flow.nodes().count(),
        flow.welcome_messages().len(),
        flow.profiles().len(),
        flow.media_files().count()
    )
}

/// `flow check --api v2`: nodes too long once written out are problems (exit status 1, the
/// warnings on stderr); otherwise the flow is valid, with a warning per feature v2 degrades.
fn check_v2(file: &Path, flow: &Flow) -> Result<Output, OpsError> {
    let V2Check {
        problems,
        degradations,
    } = check_for_v2(flow);
    if !problems.is_empty() {
        for d in &degradations {
            eprintln!("warning: on X API v2, {d}");
        }
        return Err(FlowErrors { problems }.into());
    }
    let mut text = valid_line(file, flow, " on X API v2");
    for d in &degradations {
        text.push_str(&format!("\nwarning: {d}"));
    }
    let json = json!({
        "ok": true,
        "api": "v2",
        "flow_id": flow.id(),
        "content_hash": flow.content_hash(),
        "nodes": flow.nodes().count(),
        "signature": flow.v2_signature(),
        "degradations": degradations,
    });
    Ok(Output::new(json, text))
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
    context::v1_only(
        "`dmbot flow sync` creates welcome messages and custom profiles, which do not exist on \
         X API v2; `dmbot flow check --api v2` checks a flow for v2",
    )?;
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
        warnings,
    } = sync_to_twitter(
        &client,
        tokens,
        &mut flow,
        previous.as_ref(),
        now,
        &Bar { quiet: opts.json },
    )
    .await?;
    for warning in &warnings {
        eprintln!("warning: {warning}");
    }

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
