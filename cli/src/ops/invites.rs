//! `auth invite`, `auth invites`, `auth revoke-invite`: who may connect through Twitter Sign-in.

use dmbot_shared::config::process_env;
use dmbot_shared::domain::now_ms;
use dmbot_shared::invite::{InviteId, InviteToken, format_utc, parse_ttl};
use dmbot_shared::signin::{CALLBACK_URL_VAR, START_PATH, start_url_from_callback};
use dmbot_shared::store::invites::{InviteRecord, Invites, MAX_NOTE_CHARS};
use serde_json::{Value, json};
use url::Url;

use super::context::{store, with_store};
use super::{Common, OpsError, Output};

/// The shortest id prefix `revoke-invite` accepts.
const MIN_PREFIX: usize = 8;

/// The public URL of `/auth/start`: `--start-url`, else derived from `SIGNIN_CALLBACK_URL`. A
/// bare origin gets `/auth/start` appended.
fn start_url(given: Option<&str>) -> Result<Url, OpsError> {
    let usage = |m: String| OpsError::Usage(m);
    let Some(raw) = given.map(str::to_string).or_else(|| {
        process_env(CALLBACK_URL_VAR)
            .filter(|v| !v.trim().is_empty())
            .and_then(|cb| {
                Url::parse(cb.trim())
                    .ok()
                    .and_then(|u| start_url_from_callback(&u))
                    .map(String::from)
            })
    }) else {
        return Err(usage(format!(
            "the invite link needs the public URL of {START_PATH}: pass --start-url (the stack's \
             SigninUrl output) or set {CALLBACK_URL_VAR} (its SigninCallbackUrl output)"
        )));
    };
    let mut url = Url::parse(raw.trim())
        .map_err(|e| usage(format!("--start-url {raw:?} is not a URL ({e})")))?;
    if !matches!(url.scheme(), "https" | "http") {
        return Err(usage(format!("--start-url {raw:?} must be an http(s) URL")));
    }
    if url.path() == "/" {
        url.set_path(START_PATH);
    }
    if !url.path().ends_with(START_PATH) {
        return Err(usage(format!(
            "--start-url {raw:?} must be the URL of {START_PATH} (the stack's SigninUrl output)"
        )));
    }
    Ok(url)
}

fn invite_json(i: &InviteRecord) -> Value {
    json!({
        "id": i.id.as_str(),
        "created_ms": i.created_ms,
        "expires_ms": i.expires_ms,
        "note": i.note,
    })
}

/// `dmbot auth invite`: a new single-use invite and its link.
pub async fn create(
    opts: &Common,
    ttl: &str,
    note: Option<String>,
    start: Option<&str>,
) -> Result<Output, OpsError> {
    let ttl_ms = parse_ttl(ttl).map_err(|e| OpsError::Usage(format!("--ttl: {e}")))?;
    let note = note.map(|n| n.trim().to_string()).filter(|n| !n.is_empty());
    if note
        .as_ref()
        .is_some_and(|n| n.chars().count() > MAX_NOTE_CHARS)
    {
        return Err(OpsError::Usage(format!(
            "--note is longer than {MAX_NOTE_CHARS} characters"
        )));
    }
    let start = start_url(start)?;
    let store = store(opts).await?;
    let token = InviteToken::generate();
    let now = now_ms();
    let record = InviteRecord {
        id: token.id(),
        created_ms: now,
        expires_ms: now + ttl_ms,
        note,
    };
    with_store!(&store, s => s.put_invite(&record).await)?;
    let link = token.link(&start);
    let mut json = invite_json(&record);
    json["link"] = json!(link.as_str());
    let text = format!(
        "Invite {} created{}, valid until {} (one account can connect with it):\n\n  {link}\n\n\
         Send the link to the account's owner; anyone with it can connect one account. Revoke it \
         with `dmbot auth revoke-invite {}`.",
        record.id.short(),
        record
            .note
            .as_ref()
            .map(|n| format!(" for {n:?}"))
            .unwrap_or_default(),
        format_utc(record.expires_ms),
        record.id.short(),
    );
    Ok(Output::new(json, text))
}

/// `dmbot auth invites`: the invites still valid.
pub async fn list(opts: &Common) -> Result<Output, OpsError> {
    let store = store(opts).await?;
    let invites = with_store!(&store, s => s.list_invites(now_ms()).await)?;
    let text = if invites.is_empty() {
        "no valid invites: create one with `dmbot auth invite`".to_string()
    } else {
        let lines: Vec<String> = invites
            .iter()
            .map(|i| {
                format!(
                    "{}  expires {}  {}",
                    i.id.short(),
                    format_utc(i.expires_ms),
                    i.note.as_deref().unwrap_or("")
                )
                .trim_end()
                .to_string()
            })
            .collect();
        lines.join("\n")
    };
    Ok(Output::new(
        json!({ "invites": invites.iter().map(invite_json).collect::<Vec<_>>() }),
        text,
    ))
}

/// `dmbot auth revoke-invite`: the invite of an id (or a unique prefix of one, or its link).
pub async fn revoke(opts: &Common, which: &str) -> Result<Output, OpsError> {
    let store = store(opts).await?;
    let id = match resolve(which) {
        Resolved::Id(id) => id,
        Resolved::Prefix(prefix) => {
            let invites = with_store!(&store, s => s.list_invites(0).await)?;
            let mut matching = invites
                .into_iter()
                .filter(|i| i.id.as_str().starts_with(&prefix));
            match (matching.next(), matching.next()) {
                (Some(one), None) => one.id,
                (None, _) => {
                    return Err(OpsError::Usage(format!(
                        "no invite has an id starting with {prefix}: see `dmbot auth invites`"
                    )));
                }
                (Some(_), Some(_)) => {
                    return Err(OpsError::Usage(format!(
                        "more than one invite has an id starting with {prefix}: give more digits"
                    )));
                }
            }
        }
        Resolved::Invalid => {
            return Err(OpsError::Usage(format!(
                "{which:?} is not an invite: give the id `dmbot auth invites` shows (at least \
                 {MIN_PREFIX} digits) or the invite link"
            )));
        }
    };
    let removed = with_store!(&store, s => s.revoke_invite(&id).await)?;
    Ok(Output::new(
        json!({ "id": id.as_str(), "revoked": removed }),
        if removed {
            format!("invite {} revoked: its link no longer works", id.short())
        } else {
            format!(
                "invite {} was not there (used, revoked or expired)",
                id.short()
            )
        },
    ))
}

enum Resolved {
    Id(InviteId),
    Prefix(String),
    Invalid,
}

fn resolve(which: &str) -> Resolved {
    let which = which.trim();
    if let Some(id) = InviteId::parse(which) {
        return Resolved::Id(id);
    }
    let lower = which.to_ascii_lowercase();
    if lower.len() >= MIN_PREFIX && lower.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Resolved::Prefix(lower);
    }
    // A link (or the bare token from one).
    let token = Url::parse(which)
        .ok()
        .and_then(|u| {
            u.query_pairs()
                .find(|(k, _)| k == dmbot_shared::invite::INVITE_PARAM)
                .map(|(_, v)| v.into_owned())
        })
        .unwrap_or_else(|| which.to_string());
    match InviteToken::parse(&token) {
        Some(t) => Resolved::Id(t.id()),
        None => Resolved::Invalid,
    }
}
