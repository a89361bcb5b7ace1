//! Expiry in the embedded store, as DynamoDB's TTL does it for the deployed table: each item
//! that expires gets an entry in the `expiry` table when it is written, and the sweep removes
//! what is due, checking the item itself (an entry may be older than a rewrite of its item).

use std::path::Path;

use redb::{ReadableTable, WriteTransaction};

use super::decode;
use super::error::Db;
use super::schema::{
    AGENT_ACTIVITY, CONVERSATIONS, EXPIRY, INBOUND, INVITES, MEDIA, RECEIPTS, SENT, SIGNINS,
    StoredConversation, StoredInbound, StoredReceipt, index_order, index_status,
};
use crate::store::{EVENT_TTL_SECS, MediaRef, StoreError};

/// How many expired items one sweep transaction removes (the sweep loops until none is left).
pub(super) const SWEEP_BATCH: usize = 512;

/// When an inbound message or a sent marker stored at `ms` expires (seconds since the epoch),
/// as the DynamoDB adapter's TTL attribute says.
pub(super) fn event_expiry(ms: u64) -> u64 {
    (ms / 1000).saturating_add(EVENT_TTL_SECS)
}

/// When a media reference expires: when Twitter's media id does.
pub(super) fn media_expiry(media: &MediaRef) -> u64 {
    media.expires_ms / 1000
}

/// When a pending sign-in can go: the second after it became void.
pub(super) fn signin_expiry(pending: &crate::store::signin::PendingSignin) -> u64 {
    (pending.expires_ms / 1000).saturating_add(1)
}

/// When an invite can go: the second after it became void.
pub(super) fn invite_expiry(invite: &crate::store::invites::InviteRecord) -> u64 {
    (invite.expires_ms / 1000).saturating_add(1)
}

pub(super) fn media_expiry_key(account: &str, sha: &str) -> String {
    format!("{account}/{sha}")
}

pub(super) fn add_expiry(
    txn: &WriteTransaction,
    path: &Path,
    at_secs: u64,
    table: &str,
    key: &str,
) -> Result<(), StoreError> {
    txn.open_table(EXPIRY)
        .db(path)?
        .insert((at_secs, table, key), ())
        .db(path)?;
    Ok(())
}

/// Removes up to `limit` items due at or before `now_secs`; returns how many items went and
/// whether more entries may be due.
pub(super) fn sweep_batch(
    txn: &WriteTransaction,
    path: &Path,
    now_secs: u64,
    limit: usize,
) -> Result<(u64, bool), StoreError> {
    let due: Vec<(u64, String, String)> = {
        let expiry = txn.open_table(EXPIRY).db(path)?;
        let mut due = Vec::new();
        for entry in expiry
            .range(..(now_secs.saturating_add(1), "", ""))
            .db(path)?
            .take(limit)
        {
            let (k, _) = entry.db(path)?;
            let (at, table, key) = k.value();
            due.push((at, table.to_string(), key.to_string()));
        }
        due
    };
    let more = due.len() == limit;
    let mut removed = 0u64;
    for (at, table, key) in &due {
        txn.open_table(EXPIRY)
            .db(path)?
            .remove((*at, table.as_str(), key.as_str()))
            .db(path)?;
        removed += u64::from(remove_if_due(txn, path, table, key, now_secs)?);
    }
    Ok((removed, more))
}

/// A stored value for the sweep: `None`, with a warning, when it cannot be decoded (it is left
/// in place, where reading it reports the damage).
pub(super) fn sweepable<T: serde::de::DeserializeOwned>(
    what: &str,
    key: &str,
    raw: &str,
) -> Option<T> {
    decode(what, key, raw)
        .inspect_err(
            |e| tracing::warn!(error = %e, "the sweep leaves an undecodable item in place"),
        )
        .ok()
}

/// Removes `key` of `table` when the item itself says it is due at `now_secs` (an expiry entry
/// may be older than a rewrite of its item); returns whether it went.
pub(super) fn remove_if_due(
    txn: &WriteTransaction,
    path: &Path,
    table: &str,
    key: &str,
    now_secs: u64,
) -> Result<bool, StoreError> {
    match table {
        "inbound" => {
            let mut t = txn.open_table(INBOUND).db(path)?;
            let Some(stored) = t
                .get(key)
                .db(path)?
                .and_then(|raw| sweepable::<StoredInbound>("inbound message", key, raw.value()))
            else {
                return Ok(false);
            };
            let record = &stored.record;
            if event_expiry(record.received_ms) > now_secs {
                return Ok(false);
            }
            t.remove(key).db(path)?;
            drop(t);
            index_status(txn, path, key, index_order(record), &record.status, false)?;
        }
        "sent" => {
            let mut t = txn.open_table(SENT).db(path)?;
            let Some(at_ms) = t.get(key).db(path)?.map(|v| v.value()) else {
                return Ok(false);
            };
            if event_expiry(at_ms) > now_secs {
                return Ok(false);
            }
            t.remove(key).db(path)?;
        }
        "conversations" => {
            let mut t = txn.open_table(CONVERSATIONS).db(path)?;
            let Some(stored) = t
                .get(key)
                .db(path)?
                .and_then(|raw| sweepable::<StoredConversation>("conversation", key, raw.value()))
            else {
                return Ok(false);
            };
            if stored.saved_ms == 0 || event_expiry(stored.saved_ms) > now_secs {
                return Ok(false);
            }
            t.remove(key).db(path)?;
        }
        "agent_activity" => {
            let mut t = txn.open_table(AGENT_ACTIVITY).db(path)?;
            let Some(at_ms) = t.get(key).db(path)?.map(|v| v.value()) else {
                return Ok(false);
            };
            if event_expiry(at_ms) > now_secs {
                return Ok(false);
            }
            t.remove(key).db(path)?;
        }
        "receipts" => {
            let Some((conversation, id)) = key.rsplit_once('/') else {
                return Ok(false);
            };
            let Ok(id) = id.parse::<u128>() else {
                return Ok(false);
            };
            let mut t = txn.open_table(RECEIPTS).db(path)?;
            let Some(stored) = t
                .get((conversation, id))
                .db(path)?
                .and_then(|raw| sweepable::<StoredReceipt>("receipt", key, raw.value()))
            else {
                return Ok(false);
            };
            if event_expiry(stored.stored_ms) > now_secs {
                return Ok(false);
            }
            t.remove((conversation, id)).db(path)?;
        }
        "media" => {
            let Some((account, sha)) = key.split_once('/') else {
                return Ok(false);
            };
            let mut t = txn.open_table(MEDIA).db(path)?;
            let Some(media) = t
                .get((account, sha))
                .db(path)?
                .and_then(|raw| sweepable::<MediaRef>("media", sha, raw.value()))
            else {
                return Ok(false);
            };
            if media_expiry(&media) > now_secs {
                return Ok(false);
            }
            t.remove((account, sha)).db(path)?;
        }
        "signins" => {
            let mut t = txn.open_table(SIGNINS).db(path)?;
            let Some(pending) = t.get(key).db(path)?.and_then(|raw| {
                sweepable::<crate::store::signin::PendingSignin>(
                    "pending sign-in",
                    "(token)",
                    raw.value(),
                )
            }) else {
                return Ok(false);
            };
            if signin_expiry(&pending) > now_secs {
                return Ok(false);
            }
            t.remove(key).db(path)?;
        }
        "invites" => {
            let mut t = txn.open_table(INVITES).db(path)?;
            let Some(invite) = t.get(key).db(path)?.and_then(|raw| {
                sweepable::<crate::store::invites::InviteRecord>("invite", key, raw.value())
            }) else {
                return Ok(false);
            };
            if invite_expiry(&invite) > now_secs {
                return Ok(false);
            }
            t.remove(key).db(path)?;
        }
        _ => return Ok(false),
    }
    Ok(true)
}
