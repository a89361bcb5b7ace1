//! `auth login` (the PIN flow), and the invites for Twitter Sign-in (`auth invite|invites|
//! revoke-invite`, in [`super::invites`]).

use std::io::{BufRead, Write};

use clap::Subcommand;
use dmbot_shared::domain::now_ms;
use dmbot_shared::store::{AccountRecord, AccountTokens, Accounts};
use dmbot_shared::twitter::api_types::Callback;
use serde_json::json;

use super::context::{self, client, env_name, sealer, store, with_store};
use super::{Common, OpsError, Output, invites};

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

pub async fn run(opts: &Common, cmd: AuthCmd) -> Result<Output, OpsError> {
    match cmd {
        AuthCmd::Login {
            no_subscribe,
            force_login,
        } => login(opts, no_subscribe, force_login).await,
        AuthCmd::Invite {
            ttl,
            note,
            start_url,
        } => invites::create(opts, &ttl, note, start_url.as_deref()).await,
        AuthCmd::Invites => invites::list(opts).await,
        AuthCmd::RevokeInvite { invite } => invites::revoke(opts, &invite).await,
    }
}

async fn login(opts: &Common, no_subscribe: bool, force_login: bool) -> Result<Output, OpsError> {
    if !no_subscribe {
        context::v1_only(
            "`auth login` subscribes the account on the v1.1 API: run `dmbot auth login \
             --no-subscribe`, then `dmbot subscription add --account <user id>`",
        )?;
    }
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
