//! The embedded store's file layout: its tables, the values it keeps in them, the keys it
//! builds, the status indexes, and bringing an older file up to the current schema.

use std::path::Path;

use redb::{ReadableTable, TableDefinition, WriteTransaction};
use serde::{Deserialize, Serialize};

use super::decode;
use super::error::Db;
use super::expiry::{add_expiry, event_expiry, media_expiry, media_expiry_key, signin_expiry};
use crate::domain::{
    AccountId, ConversationKey, ConversationState, EventId, InboundRecord, InboundStatus,
};
use crate::store::{MediaRef, Receipt, StoreError};

pub(super) const INBOUND: TableDefinition<&str, &str> = TableDefinition::new("inbound");
/// Sent markers written before receipts existed (read only, until they expire).
pub(super) const SENT: TableDefinition<&str, u64> = TableDefinition::new("sent");
/// Receipts of the account's sent messages: (conversation key, numeric event id) to JSON
/// [`Receipt`].
pub(super) const RECEIPTS: TableDefinition<(&str, u128), &str> = TableDefinition::new("receipts");
pub(super) const CONVERSATIONS: TableDefinition<&str, &str> = TableDefinition::new("conversations");
pub(super) const AGENT_ACTIVITY: TableDefinition<&str, u64> =
    TableDefinition::new("agent_activity");
pub(super) const ACCOUNTS: TableDefinition<&str, &str> = TableDefinition::new("accounts");
pub(super) const FLOWS: TableDefinition<(&str, u64), &str> = TableDefinition::new("flows");
pub(super) const MEDIA: TableDefinition<(&str, &str), &str> = TableDefinition::new("media");
pub(super) const SIGNINS: TableDefinition<&str, &str> = TableDefinition::new("signins");
/// Revoked accounts whose data is still to be removed: account id → when the revoke came (ms).
/// Created when a file is opened; an older `dmbot` opening the file ignores it.
pub(super) const FORGETS: TableDefinition<&str, u64> = TableDefinition::new("forgets");
/// Sign-in invites (created by `dmbot auth invite`; no schema change: opening creates it).
pub(super) const INVITES: TableDefinition<&str, &str> = TableDefinition::new("invites");
/// Pending inbound messages in dispatch order: (received ms, numeric event id, inbound key).
pub(super) const PENDING: TableDefinition<(u64, u128, &str), ()> =
    TableDefinition::new("inbound_pending");
/// Failed inbound messages by event id: (numeric event id, inbound key).
pub(super) const FAILED: TableDefinition<(u128, &str), ()> = TableDefinition::new("inbound_failed");
/// When items are due to go: (seconds since the epoch, table name, key in that table; for
/// `media`, `<account>/<sha256>`). An entry may outlive a rewrite of its item: the sweep checks
/// the item itself before removing it.
pub(super) const EXPIRY: TableDefinition<(u64, &str, &str), ()> = TableDefinition::new("expiry");
pub(super) const META: TableDefinition<&str, u64> = TableDefinition::new("meta");
pub(super) const SCHEMA_KEY: &str = "schema";
/// 1: the tables above `signins`; 2: the status indexes and `expiry`.
pub(super) const SCHEMA: u64 = 2;
/// Webhook health: one JSON record (see `crate::store::health`). Created on first use.
pub(super) const HEALTH: TableDefinition<&str, &str> = TableDefinition::new("health");
pub(super) const HEALTH_KEY: &str = "WEBHOOK";
/// Send budget windows: (scope: `APP` or account id, window name, window start ms) to JSON
/// [`BudgetWindow`](crate::store::rules::BudgetWindow). No schema change: opening creates it.
pub(super) const BUDGET: TableDefinition<(&str, &str, u64), &str> = TableDefinition::new("budget");
/// Billable calls: (owner: `APP` or account id, day `YYYY-MM-DD`) to JSON counts by kind name.
/// No schema change: opening creates it.
pub(super) const USAGE: TableDefinition<(&str, &str), &str> = TableDefinition::new("usage");

/// An inbound record with its dispatch lease.
#[derive(Serialize, Deserialize)]
pub(super) struct StoredInbound {
    pub(super) record: InboundRecord,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) lease_until_ms: Option<u64>,
}

/// A receipt with the time it was first stored (its expiry counts from there).
#[derive(Serialize, Deserialize)]
pub(super) struct StoredReceipt {
    pub(super) receipt: Receipt,
    pub(super) stored_ms: u64,
}

#[derive(Serialize, Deserialize)]
pub(super) struct StoredConversation {
    pub(super) state: ConversationState,
    pub(super) version: u64,
    /// When it was last saved (ms since epoch; 0 for a conversation saved before this was
    /// kept, which never expires): it goes [`EVENT_TTL_SECS`] after that.
    #[serde(default)]
    pub(super) saved_ms: u64,
}

pub(super) fn conversation_key(c: &ConversationKey) -> String {
    format!("{}/{}", c.account, c.customer)
}

pub(super) fn event_key(c: &ConversationKey, event: &EventId) -> String {
    format!("{}/{}/{}", c.account, c.customer, event)
}

/// Every key of an account's conversations starts with this.
pub(super) fn account_prefix(account: &AccountId) -> String {
    format!("{account}/")
}

/// Where an inbound message sorts in the status indexes: (received ms, numeric event id).
pub(super) fn index_order(record: &InboundRecord) -> (u64, u128) {
    (record.received_ms, record.message.event_id.numeric())
}

/// Adds (`present`) or removes the entry of the message stored at `key`, which sorts at
/// `order`, in the index of `status` (answered messages have none).
pub(super) fn index_status(
    txn: &WriteTransaction,
    path: &Path,
    key: &str,
    (received_ms, id): (u64, u128),
    status: &InboundStatus,
    present: bool,
) -> Result<(), StoreError> {
    match status {
        InboundStatus::Pending => {
            let mut t = txn.open_table(PENDING).db(path)?;
            let k = (received_ms, id, key);
            if present {
                t.insert(k, ()).db(path)?;
            } else {
                t.remove(k).db(path)?;
            }
        }
        InboundStatus::Failed { .. } => {
            let mut t = txn.open_table(FAILED).db(path)?;
            if present {
                t.insert((id, key), ()).db(path)?;
            } else {
                t.remove((id, key)).db(path)?;
            }
        }
        InboundStatus::Answered { .. } => {}
    }
    Ok(())
}

/// Opens every table (creating the missing ones) and brings the file to [`SCHEMA`]: a file of
/// schema 1 gets its status indexes and expiry entries built from the data. A file written by
/// a newer `dmbot` is refused rather than half understood.
pub(super) fn prepare(txn: &WriteTransaction, path: &Path) -> Result<(), StoreError> {
    txn.open_table(INBOUND).db(path)?;
    txn.open_table(SENT).db(path)?;
    txn.open_table(RECEIPTS).db(path)?;
    txn.open_table(CONVERSATIONS).db(path)?;
    txn.open_table(AGENT_ACTIVITY).db(path)?;
    txn.open_table(ACCOUNTS).db(path)?;
    txn.open_table(FLOWS).db(path)?;
    txn.open_table(MEDIA).db(path)?;
    txn.open_table(SIGNINS).db(path)?;
    txn.open_table(FORGETS).db(path)?;
    txn.open_table(INVITES).db(path)?;
    txn.open_table(BUDGET).db(path)?;
    txn.open_table(USAGE).db(path)?;
    txn.open_table(PENDING).db(path)?;
    txn.open_table(FAILED).db(path)?;
    txn.open_table(EXPIRY).db(path)?;
    let mut meta = txn.open_table(META).db(path)?;
    let schema = meta
        .get(SCHEMA_KEY)
        .db(path)?
        .map(|v| v.value())
        .unwrap_or(1);
    if schema > SCHEMA {
        return Err(StoreError::Rejected(format!(
            "the data file {} has schema {schema}, written by a newer dmbot (this one knows {SCHEMA}): upgrade dmbot or use another data directory",
            path.display()
        )));
    }
    if schema < SCHEMA {
        let built = build_indexes(txn, path)?;
        tracing::info!(
            path = %path.display(),
            from = schema,
            to = SCHEMA,
            indexed = built,
            "upgraded the data file: built the status indexes and expiry times"
        );
        meta.insert(SCHEMA_KEY, SCHEMA).db(path)?;
    }
    Ok(())
}

/// Fills the status indexes and `expiry` from the data tables; returns how many items it saw.
pub(super) fn build_indexes(txn: &WriteTransaction, path: &Path) -> Result<u64, StoreError> {
    let mut seen = 0u64;
    let inbound = txn.open_table(INBOUND).db(path)?;
    for entry in inbound.iter().db(path)? {
        let (k, v) = entry.db(path)?;
        seen += 1;
        match decode::<StoredInbound>("inbound message", k.value(), v.value()) {
            Ok(stored) => {
                let r = &stored.record;
                index_status(txn, path, k.value(), index_order(r), &r.status, true)?;
                add_expiry(
                    txn,
                    path,
                    event_expiry(stored.record.received_ms),
                    "inbound",
                    k.value(),
                )?;
            }
            // Kept as it is: reading it reports the damage; it just never expires.
            Err(e) => tracing::warn!(error = %e, "not indexing an undecodable message"),
        }
    }
    let sent = txn.open_table(SENT).db(path)?;
    for entry in sent.iter().db(path)? {
        let (k, v) = entry.db(path)?;
        seen += 1;
        add_expiry(txn, path, event_expiry(v.value()), "sent", k.value())?;
    }
    let receipts = txn.open_table(RECEIPTS).db(path)?;
    for entry in receipts.iter().db(path)? {
        let (k, v) = entry.db(path)?;
        let (conversation, id) = k.value();
        seen += 1;
        match decode::<StoredReceipt>("receipt", conversation, v.value()) {
            Ok(r) => add_expiry(
                txn,
                path,
                event_expiry(r.stored_ms),
                "receipts",
                &format!("{conversation}/{id}"),
            )?,
            Err(e) => tracing::warn!(error = %e, "not indexing an undecodable receipt"),
        }
    }
    let media = txn.open_table(MEDIA).db(path)?;
    for entry in media.iter().db(path)? {
        let (k, v) = entry.db(path)?;
        let (account, sha) = k.value();
        seen += 1;
        match decode::<MediaRef>("media", sha, v.value()) {
            Ok(m) => add_expiry(
                txn,
                path,
                media_expiry(&m),
                "media",
                &media_expiry_key(account, sha),
            )?,
            Err(e) => tracing::warn!(error = %e, "not indexing an undecodable media reference"),
        }
    }
    let signins = txn.open_table(SIGNINS).db(path)?;
    for entry in signins.iter().db(path)? {
        let (k, v) = entry.db(path)?;
        seen += 1;
        match decode::<crate::store::signin::PendingSignin>("pending sign-in", "(token)", v.value())
        {
            Ok(p) => add_expiry(txn, path, signin_expiry(&p), "signins", k.value())?,
            Err(e) => tracing::warn!(error = %e, "not indexing an undecodable sign-in"),
        }
    }
    Ok(seen)
}
