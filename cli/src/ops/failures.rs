//! `failures list|redrive`: inbound messages that failed, were put off or are stuck, and
//! sending them back to the dispatcher.

use clap::Subcommand;
use dmbot_shared::domain::{ConversationKey, EventId, InboundRecord, InboundStatus, now_ms};
use dmbot_shared::store::Inbox;
use serde_json::{Value, json};

use super::context::{AnyStore, parse_user, store, with_store};
use super::{Common, OpsError, Output};

#[derive(Subcommand, Debug)]
pub enum FailuresCmd {
    /// Messages that failed permanently (newest first), then the ones still unanswered after
    /// `--stuck-after` minutes: put off (with their next attempt and why) or stuck.
    List {
        #[arg(long, default_value_t = 50)]
        limit: usize,
        /// A pending message is listed once it is this many minutes old.
        #[arg(long, default_value_t = 10)]
        stuck_after: u64,
    },
    /// Send failed, put-off or stuck messages to the dispatcher again, now.
    Redrive {
        /// Messages as `<account>/<customer>/<event id>` (as `failures list` prints them).
        keys: Vec<String>,
        /// Every failed message (up to --limit), and every pending one older than
        /// `--stuck-after` minutes.
        #[arg(long)]
        all: bool,
        #[arg(long, default_value_t = 500)]
        limit: usize,
        #[arg(long, default_value_t = 10)]
        stuck_after: u64,
    },
}

/// Where a listed message stands: `failed`, `deferred` (put off until a time) or `stuck`
/// (pending, not put off: nothing is known to bring it back).
fn record_state(r: &InboundRecord, now_ms: u64) -> &'static str {
    match (&r.status, r.attempt.not_before_ms) {
        (InboundStatus::Failed { .. }, _) => "failed",
        (_, Some(t)) if t > now_ms => "deferred",
        _ => "stuck",
    }
}

fn record_json(r: &InboundRecord, now_ms: u64) -> Value {
    let (reason, at) = match &r.status {
        InboundStatus::Failed { reason, at_ms } => (Some(reason.clone()), Some(*at_ms)),
        _ => (r.attempt.defer_reason.clone(), None),
    };
    json!({
        "key": record_key(r),
        "state": record_state(r, now_ms),
        "account_id": r.message.conversation.account.as_str(),
        "customer_id": r.message.conversation.customer.as_str(),
        "event_id": r.message.event_id.as_str(),
        "text": r.message.text,
        "reason": reason,
        "failed_ms": at,
        "next_attempt_ms": r.attempt.not_before_ms,
        "deferrals": r.attempt.deferrals,
        "received_ms": r.received_ms,
    })
}

/// Failed messages, then pending ones older than `stuck_after` minutes.
async fn failed_and_unfinished(
    store: &AnyStore,
    limit: usize,
    stuck_after: u64,
    now_ms: u64,
) -> Result<Vec<InboundRecord>, OpsError> {
    let mut listed = with_store!(store, s => s.list_failed(limit).await)?;
    let before = now_ms.saturating_sub(stuck_after.saturating_mul(60_000));
    listed.extend(with_store!(store, s => s.list_unfinished(before, limit).await)?);
    Ok(listed)
}

fn record_key(r: &InboundRecord) -> String {
    format!("{}/{}", r.message.conversation, r.message.event_id)
}

fn parse_key(key: &str) -> Result<(ConversationKey, EventId), OpsError> {
    let parts: Vec<&str> = key.trim().split('/').collect();
    let bad = || {
        OpsError::Usage(format!(
            "{key:?} is not <account>/<customer>/<event id> (as `dmbot failures list` prints it)"
        ))
    };
    let [a, c, e] = parts.as_slice() else {
        return Err(bad());
    };
    let account = parse_user(a)?;
    let customer = parse_user(c)?;
    let event = EventId::parse(*e).map_err(|_| bad())?;
    Ok((ConversationKey::new(account, customer), event))
}

pub async fn run(opts: &Common, cmd: FailuresCmd) -> Result<Output, OpsError> {
    let store = store(opts).await?;
    match cmd {
        FailuresCmd::List { limit, stuck_after } => {
            let now = now_ms();
            let listed = failed_and_unfinished(&store, limit, stuck_after, now).await?;
            let mut text = String::new();
            if listed.is_empty() {
                text.push_str("no failed, put-off or stuck messages");
            }
            for r in &listed {
                let line = match (&r.status, record_state(r, now)) {
                    (InboundStatus::Failed { reason, .. }, _) => format!("failed: {reason}"),
                    (_, "deferred") => format!(
                        "deferred, next attempt in {} s: {}",
                        r.attempt.not_before_ms.unwrap_or(now).saturating_sub(now) / 1000,
                        r.attempt.defer_reason.as_deref().unwrap_or("")
                    ),
                    _ => format!(
                        "stuck: pending for {} min{}",
                        now.saturating_sub(r.received_ms) / 60_000,
                        r.attempt
                            .defer_reason
                            .as_deref()
                            .map(|why| format!(" (last put off: {why})"))
                            .unwrap_or_default()
                    ),
                };
                text.push_str(&format!("{}  {line}\n", record_key(r)));
            }
            Ok(Output::new(
                json!(
                    listed
                        .iter()
                        .map(|r| record_json(r, now))
                        .collect::<Vec<_>>()
                ),
                text,
            ))
        }
        FailuresCmd::Redrive {
            keys,
            all,
            limit,
            stuck_after,
        } => {
            let now = now_ms();
            let mut targets = Vec::new();
            if all {
                let failed = failed_and_unfinished(&store, limit, stuck_after, now).await?;
                for r in failed {
                    targets.push((r.message.conversation.clone(), r.message.event_id.clone()));
                }
            } else if keys.is_empty() {
                return Err(OpsError::Usage(
                    "name the messages to redrive (see `dmbot failures list`) or pass --all".into(),
                ));
            } else {
                for k in &keys {
                    targets.push(parse_key(k)?);
                }
            }
            let mut redriven = Vec::new();
            let mut skipped = Vec::new();
            for (conv, event) in targets {
                let key = format!("{conv}/{event}");
                let rec = with_store!(&store, s => s.get_inbound(&conv, &event).await)?;
                match rec {
                    Some(r) if !matches!(r.status, InboundStatus::Answered { .. }) => {
                        with_store!(&store, s => s.set_inbound_status(&conv, &event, &InboundStatus::Pending).await)?;
                        redriven.push(key);
                    }
                    Some(_) => skipped.push(json!({ "key": key, "why": "already answered" })),
                    None => skipped.push(json!({ "key": key, "why": "no such message" })),
                }
            }
            let mut text = format!("{} message(s) sent back to the dispatcher", redriven.len());
            for s in &skipped {
                text.push_str(&format!(
                    "\nskipped {}: {}",
                    s["key"].as_str().unwrap_or(""),
                    s["why"].as_str().unwrap_or("")
                ));
            }
            if !opts.json && opts.data_dir.is_some() && !redriven.is_empty() {
                text.push_str("\nthe local `dmbot serve` picks them up when it starts");
            }
            Ok(Output::new(
                json!({ "redriven": redriven, "skipped": skipped }),
                text,
            ))
        }
    }
}
