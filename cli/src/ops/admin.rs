//! `auth login` (invites: `super::invites`), `secrets put`, `failures list|redrive`,
//! `conversation show|resume`.

use std::io::{BufRead, Write};

use aws_config::BehaviorVersion;
use aws_sdk_secretsmanager::error::ProvideErrorMetadata;
use clap::Subcommand;
use dmbot_shared::config::{TwitterAppCredentials, process_env, vars};
use dmbot_shared::domain::{ConversationKey, EventId, InboundRecord, InboundStatus, now_ms};
use dmbot_shared::flow::resume;
use dmbot_shared::store::{AccountRecord, AccountTokens, Accounts, Conversations, Inbox};
use dmbot_shared::twitter::api_types::Callback;
use serde_json::{Value, json};

use super::context::{client, env_name, parse_user, sealer, store, with_store};
use super::{Common, OpsError, Output};
use dmbot_shared::tokens::TokenSealer;

/// The secret name `secrets put` writes when neither `--secret-id` nor `TWITTER_SECRET_ARN` is
/// given.
pub const DEFAULT_SECRET_ID: &str = "dmbot/twitter";

#[derive(Subcommand, Debug)]
pub enum AuthCmd {
    /// Connect an account with the PIN flow: open the printed URL signed in as the account,
    /// approve the app, type the PIN here. The account's tokens are stored and the account is
    /// subscribed to the webhook.
    Login {
        /// Do not subscribe the account to the webhook.
        #[arg(long)]
        no_subscribe: bool,
        /// Ask Twitter to show the login form even when someone is signed in.
        #[arg(long)]
        force_login: bool,
    },
    /// Create a single-use invite for Twitter Sign-in and print its link. Only invited accounts
    /// can connect: `/auth/start` refuses anyone without a valid invite. The link works until it
    /// is used to connect an account, expires or is revoked; only its hash is stored.
    Invite {
        /// How long the link is valid: 30m, 12h, 7d (at most 30d).
        #[arg(long, default_value = "7d")]
        ttl: String,
        /// Who the invite is for (shown by `dmbot auth invites`, never to the public).
        #[arg(long)]
        note: Option<String>,
        /// The public URL of /auth/start (the stack's SigninUrl output); default: derived from
        /// SIGNIN_CALLBACK_URL.
        #[arg(long, value_name = "URL")]
        start_url: Option<String>,
    },
    /// List the invites that are still valid (unused, unexpired, not revoked).
    Invites,
    /// Revoke an invite: its link stops working.
    RevokeInvite {
        /// The id `dmbot auth invites` shows (at least 8 digits), or the invite link.
        invite: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum SecretsCmd {
    /// Write the app's credentials (TWITTER_CONSUMER_KEY, TWITTER_CONSUMER_SECRET,
    /// TWITTER_ACCESS_TOKEN, TWITTER_ACCESS_TOKEN_SECRET, optionally TWITTER_BEARER_TOKEN and
    /// TWITTER_TOKEN_ENCRYPTION_KEY) as the JSON secret dispatch, signin and watchdog read, and
    /// the consumer secret alone as the webhook secret crc and webhook read. Creates each
    /// secret or adds a new version. The values are never printed.
    Put {
        /// Secret name or ARN (default: TWITTER_SECRET_ARN, else `dmbot/twitter`).
        #[arg(long)]
        secret_id: Option<String>,
        /// The webhook secret's name or ARN (the stack's TwitterWebhookSecretArn; default: the
        /// secret's name followed by `-webhook`, e.g. `dmbot/twitter-webhook`).
        #[arg(long)]
        webhook_secret_id: Option<String>,
    },
}

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

#[derive(Subcommand, Debug)]
pub enum ConversationCmd {
    /// A conversation's state: node, hand-over, last activity.
    Show { account: String, customer: String },
    /// End a hand-over: the bot answers again, starting the flow afresh.
    Resume { account: String, customer: String },
}

pub async fn auth(opts: &Common, cmd: AuthCmd) -> Result<Output, OpsError> {
    match cmd {
        AuthCmd::Login {
            no_subscribe,
            force_login,
        } => login(opts, no_subscribe, force_login).await,
        AuthCmd::Invite {
            ttl,
            note,
            start_url,
        } => super::invites::create(opts, &ttl, note, start_url.as_deref()).await,
        AuthCmd::Invites => super::invites::list(opts).await,
        AuthCmd::RevokeInvite { invite } => super::invites::revoke(opts, &invite).await,
    }
}

async fn login(opts: &Common, no_subscribe: bool, force_login: bool) -> Result<Output, OpsError> {
    let client = client()?;
    // A bad key is reported now, not after the PIN dance.
    let sealer = sealer()?;
    let env = if no_subscribe {
        None
    } else {
        Some(env_name()?)
    };
    let store = store(opts).await?;
    let request = client.request_token(&Callback::OutOfBand).await?;
    let url = client.authorize_url(&request, force_login)?;
    eprintln!(
        "Open this URL signed in as the account to connect, and approve the app:\n\n  {url}\n"
    );
    eprint!("Then type the PIN Twitter shows: ");
    let _ = std::io::stderr().flush();
    let pin = tokio::task::spawn_blocking(|| {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line).map(|_| line)
    })
    .await
    .map_err(|e| OpsError::Io(format!("reading the PIN failed: {e}")))?
    .map_err(|e| OpsError::Io(format!("reading the PIN failed: {e}")))?;
    let pin = pin.trim();
    if pin.is_empty() {
        return Err(OpsError::Usage(
            "no PIN was entered: run `dmbot auth login` again and type the PIN Twitter shows after approving".into(),
        ));
    }
    let access = client.access_token(&request.token, pin).await?;
    let existing = with_store!(&store, s => s.get_account(&access.user_id).await)?;
    let record = AccountRecord {
        id: access.user_id.clone(),
        screen_name: Some(access.screen_name.clone()),
        tokens: Some(sealer.seal(
            &access.user_id,
            &AccountTokens {
                token: access.token.token().to_string(),
                token_secret: access.token.secret().to_string(),
            },
        )?),
        flow_id: existing.as_ref().and_then(|e| e.flow_id.clone()),
        created_ms: existing.as_ref().map_or_else(now_ms, |e| e.created_ms),
    };
    with_store!(&store, s => s.put_account(&record).await)?;
    let mut subscribed = false;
    if let Some(env) = &env {
        client.subscribe(&access.token, env).await?;
        subscribed = true;
    }
    Ok(Output::new(
        json!({
            "user_id": access.user_id.as_str(),
            "screen_name": access.screen_name,
            "stored": true,
            "subscribed": subscribed,
        }),
        format!(
            "connected @{} ({}){}",
            access.screen_name,
            access.user_id,
            if subscribed {
                " and subscribed it to the webhook"
            } else {
                ""
            }
        ),
    ))
}

/// The webhook secret's id: the one given, else `<secret name>-webhook`. An ARN cannot be
/// extended that way (its name ends in a random suffix), so then it must be given.
pub fn webhook_secret_id(secret_id: &str, given: Option<String>) -> Result<String, OpsError> {
    if let Some(id) = given.filter(|id| !id.trim().is_empty()) {
        return Ok(id);
    }
    if secret_id.starts_with("arn:") {
        return Err(OpsError::Usage(format!(
            "the secret is given as an ARN ({secret_id}); pass --webhook-secret-id <name or ARN> \
             for the secret with the consumer secret alone (the stack's TwitterWebhookSecretArn)"
        )));
    }
    Ok(format!("{secret_id}-webhook"))
}

/// What writing one secret did.
struct Written {
    arn: String,
    version: Option<String>,
    created: bool,
}

/// Adds a version to secret `id`, creating it when it does not exist. Error messages carry the
/// AWS code and message only: never the request (the values).
async fn write_secret(
    sm: &aws_sdk_secretsmanager::Client,
    id: &str,
    description: &str,
    body: &str,
) -> Result<Written, OpsError> {
    let aws = |what: &str, code: Option<&str>, msg: Option<&str>| {
        OpsError::Aws(format!(
            "Secrets Manager {what} for {id} failed: {} {}; check the AWS credentials, region and \
             that they allow secretsmanager:{what}",
            code.unwrap_or("error"),
            msg.unwrap_or("")
        ))
    };
    let (arn, version, created) = match sm
        .put_secret_value()
        .secret_id(id)
        .secret_string(body)
        .send()
        .await
    {
        Ok(out) => (out.arn, out.version_id, false),
        Err(e) if e.code() == Some("ResourceNotFoundException") => {
            let out = sm
                .create_secret()
                .name(id)
                .description(description)
                .secret_string(body)
                .send()
                .await
                .map_err(|e| aws("CreateSecret", e.code(), e.message()))?;
            (out.arn, out.version_id, true)
        }
        Err(e) => return Err(aws("PutSecretValue", e.code(), e.message())),
    };
    Ok(Written {
        arn: arn.unwrap_or_else(|| id.to_string()),
        version,
        created,
    })
}

pub async fn secrets(_opts: &Common, cmd: SecretsCmd) -> Result<Output, OpsError> {
    let SecretsCmd::Put {
        secret_id,
        webhook_secret_id: webhook_id,
    } = cmd;
    let id = secret_id
        .or_else(|| process_env(vars::SECRET_ARN).filter(|v| !v.trim().is_empty()))
        .unwrap_or_else(|| DEFAULT_SECRET_ID.to_string());
    let webhook_id = webhook_secret_id(&id, webhook_id)?;
    let creds = TwitterAppCredentials::from_env()?;
    let mut doc = json!({
        "consumer_key": creds.consumer_key,
        "consumer_secret": creds.consumer_secret,
        "access_token": creds.access_token,
        "access_token_secret": creds.access_token_secret,
    });
    if let Some(b) = &creds.bearer_token {
        doc["bearer_token"] = json!(b);
    }
    if let Some(key) = &creds.token_encryption_key {
        // Refuse a key the functions would refuse at start.
        TokenSealer::from_base64_key(key)?;
        doc["token_encryption_key"] = json!(key);
    }
    let webhook_doc = json!({ "consumer_secret": creds.consumer_secret });
    let sdk = aws_config::load_defaults(BehaviorVersion::latest()).await;
    let sm = aws_sdk_secretsmanager::Client::new(&sdk);
    let full = write_secret(
        &sm,
        &id,
        "dmbot: the Twitter app's credentials (dispatch, signin, watchdog)",
        &doc.to_string(),
    )
    .await?;
    let webhook = write_secret(
        &sm,
        &webhook_id,
        "dmbot: the Twitter app's consumer secret alone (crc, webhook)",
        &webhook_doc.to_string(),
    )
    .await?;
    let line = |w: &Written| {
        format!(
            "{} secret {}{}",
            if w.created { "created" } else { "updated" },
            w.arn,
            w.version
                .as_deref()
                .map(|v| format!(" (version {v})"))
                .unwrap_or_default()
        )
    };
    Ok(Output::new(
        json!({
            "arn": full.arn, "version_id": full.version, "created": full.created,
            "webhook_arn": webhook.arn, "webhook_version_id": webhook.version,
            "webhook_created": webhook.created,
        }),
        format!(
            "{}\n{}\nset the SAM parameters TwitterSecretArn={} and TwitterWebhookSecretArn={}",
            line(&full),
            line(&webhook),
            full.arn,
            webhook.arn
        ),
    ))
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
    store: &crate::ops::context::AnyStore,
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

pub async fn failures(opts: &Common, cmd: FailuresCmd) -> Result<Output, OpsError> {
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

pub async fn conversation(opts: &Common, cmd: ConversationCmd) -> Result<Output, OpsError> {
    let store = store(opts).await?;
    match cmd {
        ConversationCmd::Show { account, customer } => {
            let key = ConversationKey::new(parse_user(&account)?, parse_user(&customer)?);
            let c = with_store!(&store, s => s.load_conversation(&key).await)?;
            let json = json!({
                "account_id": key.account.as_str(),
                "customer_id": key.customer.as_str(),
                "version": c.version,
                "state": c.state,
                "agent_last_active_ms": c.agent_last_active_ms,
            });
            let text = if c.version == 0 {
                format!("no conversation stored for {key}")
            } else {
                format!(
                    "conversation {key} (version {})\nnode: {}\nhand-over: {}\nlast activity: {} ms\nagent last active: {}",
                    c.version,
                    c.state.node.as_deref().unwrap_or("(not started)"),
                    c.state
                        .handoff
                        .as_ref()
                        .map_or("no".to_string(), |h| format!(
                            "since {} ms ({:?})",
                            h.since_ms, h.reason
                        )),
                    c.state.last_activity_ms,
                    c.agent_last_active_ms
                        .map_or("never".to_string(), |t| format!("{t} ms")),
                )
            };
            Ok(Output::new(json, text))
        }
        ConversationCmd::Resume { account, customer } => {
            let key = ConversationKey::new(parse_user(&account)?, parse_user(&customer)?);
            let c = with_store!(&store, s => s.load_conversation(&key).await)?;
            if c.version == 0 {
                return Err(OpsError::Usage(format!(
                    "no conversation stored for {key}: check the account and customer ids"
                )));
            }
            let was_paused = c.state.handoff.is_some();
            let state = resume(&c.state, now_ms());
            let version =
                with_store!(&store, s => s.save_conversation(&key, &state, c.version).await)?;
            Ok(Output::new(
                json!({ "account_id": key.account.as_str(), "customer_id": key.customer.as_str(), "version": version, "was_paused": was_paused }),
                if was_paused {
                    format!("the bot answers {key} again; the next message starts the flow afresh")
                } else {
                    format!("{key} was not handed over; its flow restarts with the next message")
                },
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_webhook_secret_is_named_after_the_secret_unless_given() {
        assert_eq!(
            webhook_secret_id("dmbot/twitter", None).unwrap(),
            "dmbot/twitter-webhook"
        );
        assert_eq!(
            webhook_secret_id("dmbot/twitter", Some("mine".into())).unwrap(),
            "mine"
        );
        let arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:dmbot/twitter-AbCdEf";
        assert!(matches!(
            webhook_secret_id(arn, None),
            Err(OpsError::Usage(m)) if m.contains("--webhook-secret-id")
        ));
        assert_eq!(webhook_secret_id(arn, Some("w".into())).unwrap(), "w");
    }
}
