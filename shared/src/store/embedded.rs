//! The embedded adapter: one [redb](https://docs.rs/redb) file on disk, for `dmbot serve`.
//!
//! Same semantics as the DynamoDB adapter: each operation is atomic (its conditional check and
//! its write see the same state) and writes are durable (fsynced) when the call returns.
//!
//! **Group commit.** redb has one writer at a time and each commit costs an `fsync`, so one
//! transaction per operation caps the store at about a thousand writes a second on a disk. All
//! writes therefore go to one writer thread, which takes every operation queued while the last
//! commit was running, applies them in arrival order in one transaction and commits once; each
//! caller gets its answer only after that commit. When an operation fails (a version conflict, a
//! missing item), the transaction is rolled back, that caller gets its error and the rest of the
//! group is applied again without it, so an operation either takes effect whole or not at all,
//! exactly as with a transaction of its own. Reads run on tokio's blocking pool, against the
//! newest committed state.
//!
//! The local stack has no DynamoDB stream, so the store itself tells the in-process dispatcher
//! about new inbound messages: [`EmbeddedStore::subscribe_inbound`] fires after the commit of
//! each new (non-duplicate) message, and [`EmbeddedStore::pending_inbound`] lists what is still
//! pending after a restart (or after a subscriber fell behind).
//!
//! Tables (values are JSON unless said otherwise; ids are digits, so `/` separates them safely):
//!
//! | Table | Key | Value |
//! | --- | --- | --- |
//! | `inbound` | `<account>/<customer>/<event>` | the record and its dispatch lease |
//! | `sent` | `<account>/<customer>/<event>` | sent at (ms, u64) |
//! | `conversations` | `<account>/<customer>` | state and version |
//! | `agent_activity` | `<account>/<customer>` | last agent activity (ms, u64) |
//! | `accounts` | `<account>` | the account record |
//! | `flows` | `(flow id, version)` | the flow record |
//! | `media` | `(account, content sha256)` | the media reference |
//! | `signins` | the request token | the pending sign-in |
//! | `invites` | the invite id (SHA-256 of the token, hex) | the invite |
//! | `inbound_pending` | `(received ms, event id, inbound key)` | (none): the pending messages, oldest first |
//! | `inbound_failed` | `(event id, inbound key)` | (none): the failed messages |
//! | `expiry` | `(expires at, seconds; table; key)` | (none): when an item is due to go |
//! | `meta` | `schema` | the file's schema version (u64) |
//!
//! **Indexes and expiry.** The two status indexes are written in the same transaction as the
//! message, so the dispatcher's restart scan ([`EmbeddedStore::pending_inbound`]) and
//! `dmbot failures list` read only what they need, never the whole history. As DynamoDB's TTL
//! does for the deployed table, [`EmbeddedStore::sweep_expired`] removes inbound messages and
//! sent markers [`EVENT_TTL_SECS`] after they were stored, media references when Twitter's
//! media id expires, sign-ins that were never finished and invites past their expiry;
//! `dmbot serve` sweeps at start and
//! then every hour, so the file stops growing with the history. A data file written before the
//! indexes existed (schema 1) has them built when it is opened.

use std::path::{Path, PathBuf};
use std::sync::{Arc, mpsc};
use std::thread::JoinHandle;

use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition, WriteTransaction};
use serde::{Deserialize, Serialize};
use tokio::sync::{broadcast, oneshot};

use super::{
    AccountRecord, Accounts, AttemptMark, ClaimOutcome, Conversation, Conversations,
    EVENT_TTL_SECS, FlowRecord, Flows, ForgetStep, Inbox, MediaCache, MediaRef, Outbox,
    PendingForget, PutOutcome, RECEIPTS_LIMIT, Receipt, Revocations, StoreError,
};
use crate::domain::{
    AccountEcho, AccountId, AgentActivity, ConversationKey, ConversationState, EventId,
    InboundRecord, InboundStatus,
};

const INBOUND: TableDefinition<&str, &str> = TableDefinition::new("inbound");
/// Sent markers written before receipts existed (read only, until they expire).
const SENT: TableDefinition<&str, u64> = TableDefinition::new("sent");
/// Receipts of the account's sent messages: (conversation key, numeric event id) to JSON
/// [`Receipt`].
const RECEIPTS: TableDefinition<(&str, u128), &str> = TableDefinition::new("receipts");
const CONVERSATIONS: TableDefinition<&str, &str> = TableDefinition::new("conversations");
const AGENT_ACTIVITY: TableDefinition<&str, u64> = TableDefinition::new("agent_activity");
const ACCOUNTS: TableDefinition<&str, &str> = TableDefinition::new("accounts");
const FLOWS: TableDefinition<(&str, u64), &str> = TableDefinition::new("flows");
const MEDIA: TableDefinition<(&str, &str), &str> = TableDefinition::new("media");
const SIGNINS: TableDefinition<&str, &str> = TableDefinition::new("signins");
/// Revoked accounts whose data is still to be removed: account id → when the revoke came (ms).
/// Created when a file is opened; an older `dmbot` opening the file ignores it.
const FORGETS: TableDefinition<&str, u64> = TableDefinition::new("forgets");
/// Sign-in invites (created by `dmbot auth invite`; no schema change: opening creates it).
const INVITES: TableDefinition<&str, &str> = TableDefinition::new("invites");
/// Pending inbound messages in dispatch order: (received ms, numeric event id, inbound key).
const PENDING: TableDefinition<(u64, u128, &str), ()> = TableDefinition::new("inbound_pending");
/// Failed inbound messages by event id: (numeric event id, inbound key).
const FAILED: TableDefinition<(u128, &str), ()> = TableDefinition::new("inbound_failed");
/// When items are due to go: (seconds since the epoch, table name, key in that table; for
/// `media`, `<account>/<sha256>`). An entry may outlive a rewrite of its item: the sweep checks
/// the item itself before removing it.
const EXPIRY: TableDefinition<(u64, &str, &str), ()> = TableDefinition::new("expiry");
const META: TableDefinition<&str, u64> = TableDefinition::new("meta");
const SCHEMA_KEY: &str = "schema";
/// 1: the tables above `signins`; 2: the status indexes and `expiry`.
const SCHEMA: u64 = 2;

/// How many expired items one sweep transaction removes (the sweep loops until none is left).
const SWEEP_BATCH: usize = 512;

/// How many notifications a slow subscriber may fall behind before it misses some (it then
/// gets `RecvError::Lagged` and should call [`EmbeddedStore::pending_inbound`]).
const NOTIFY_CAPACITY: usize = 1024;

/// An inbound record with its dispatch lease.
#[derive(Serialize, Deserialize)]
struct StoredInbound {
    record: InboundRecord,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    lease_until_ms: Option<u64>,
}

/// A receipt with the time it was first stored (its expiry counts from there).
#[derive(Serialize, Deserialize)]
struct StoredReceipt {
    receipt: Receipt,
    stored_ms: u64,
}

#[derive(Serialize, Deserialize)]
struct StoredConversation {
    state: ConversationState,
    version: u64,
    /// When it was last saved (ms since epoch; 0 for a conversation saved before this was
    /// kept, which never expires): it goes [`EVENT_TTL_SECS`] after that.
    #[serde(default)]
    saved_ms: u64,
}

fn conversation_key(c: &ConversationKey) -> String {
    format!("{}/{}", c.account, c.customer)
}

fn event_key(c: &ConversationKey, event: &EventId) -> String {
    format!("{}/{}/{}", c.account, c.customer, event)
}

/// Every key of an account's conversations starts with this.
fn account_prefix(account: &AccountId) -> String {
    format!("{account}/")
}

/// When an inbound message or a sent marker stored at `ms` expires (seconds since the epoch),
/// as the DynamoDB adapter's TTL attribute says.
fn event_expiry(ms: u64) -> u64 {
    (ms / 1000).saturating_add(EVENT_TTL_SECS)
}

/// When a media reference expires: when Twitter's media id does.
fn media_expiry(media: &MediaRef) -> u64 {
    media.expires_ms / 1000
}

/// When a pending sign-in can go: the second after it became void.
fn signin_expiry(pending: &super::signin::PendingSignin) -> u64 {
    (pending.expires_ms / 1000).saturating_add(1)
}

/// When an invite can go: the second after it became void.
fn invite_expiry(invite: &super::invites::InviteRecord) -> u64 {
    (invite.expires_ms / 1000).saturating_add(1)
}

fn media_expiry_key(account: &str, sha: &str) -> String {
    format!("{account}/{sha}")
}

/// Where an inbound message sorts in the status indexes: (received ms, numeric event id).
fn index_order(record: &InboundRecord) -> (u64, u128) {
    (record.received_ms, record.message.event_id.numeric())
}

/// Adds (`present`) or removes the entry of the message stored at `key`, which sorts at
/// `order`, in the index of `status` (answered messages have none).
fn index_status(
    txn: &WriteTransaction,
    path: &Path,
    key: &str,
    (received_ms, id): (u64, u128),
    status: &InboundStatus,
    present: bool,
) -> Result<(), StoreError> {
    let err = |e: redb::StorageError| db_error(path, e);
    match status {
        InboundStatus::Pending => {
            let mut t = txn.open_table(PENDING).map_err(|e| db_error(path, e))?;
            let k = (received_ms, id, key);
            if present {
                t.insert(k, ()).map_err(err)?;
            } else {
                t.remove(k).map_err(err)?;
            }
        }
        InboundStatus::Failed { .. } => {
            let mut t = txn.open_table(FAILED).map_err(|e| db_error(path, e))?;
            if present {
                t.insert((id, key), ()).map_err(err)?;
            } else {
                t.remove((id, key)).map_err(err)?;
            }
        }
        InboundStatus::Answered { .. } => {}
    }
    Ok(())
}

fn add_expiry(
    txn: &WriteTransaction,
    path: &Path,
    at_secs: u64,
    table: &str,
    key: &str,
) -> Result<(), StoreError> {
    txn.open_table(EXPIRY)
        .map_err(|e| db_error(path, e))?
        .insert((at_secs, table, key), ())
        .map_err(|e| db_error(path, e))?;
    Ok(())
}

/// Opens every table (creating the missing ones) and brings the file to [`SCHEMA`]: a file of
/// schema 1 gets its status indexes and expiry entries built from the data. A file written by
/// a newer `dmbot` is refused rather than half understood.
fn prepare(txn: &WriteTransaction, path: &Path) -> Result<(), StoreError> {
    let err = |e: redb::TableError| db_error(path, e);
    txn.open_table(INBOUND).map_err(err)?;
    txn.open_table(SENT).map_err(err)?;
    txn.open_table(RECEIPTS).map_err(err)?;
    txn.open_table(CONVERSATIONS).map_err(err)?;
    txn.open_table(AGENT_ACTIVITY).map_err(err)?;
    txn.open_table(ACCOUNTS).map_err(err)?;
    txn.open_table(FLOWS).map_err(err)?;
    txn.open_table(MEDIA).map_err(err)?;
    txn.open_table(SIGNINS).map_err(err)?;
    txn.open_table(FORGETS).map_err(err)?;
    txn.open_table(INVITES).map_err(err)?;
    txn.open_table(PENDING).map_err(err)?;
    txn.open_table(FAILED).map_err(err)?;
    txn.open_table(EXPIRY).map_err(err)?;
    let mut meta = txn.open_table(META).map_err(err)?;
    let schema = meta
        .get(SCHEMA_KEY)
        .map_err(|e| db_error(path, e))?
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
        meta.insert(SCHEMA_KEY, SCHEMA)
            .map_err(|e| db_error(path, e))?;
    }
    Ok(())
}

/// Fills the status indexes and `expiry` from the data tables; returns how many items it saw.
fn build_indexes(txn: &WriteTransaction, path: &Path) -> Result<u64, StoreError> {
    let err = |e: redb::StorageError| db_error(path, e);
    let mut seen = 0u64;
    let inbound = txn.open_table(INBOUND).map_err(|e| db_error(path, e))?;
    for entry in inbound.iter().map_err(err)? {
        let (k, v) = entry.map_err(err)?;
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
    let sent = txn.open_table(SENT).map_err(|e| db_error(path, e))?;
    for entry in sent.iter().map_err(err)? {
        let (k, v) = entry.map_err(err)?;
        seen += 1;
        add_expiry(txn, path, event_expiry(v.value()), "sent", k.value())?;
    }
    let receipts = txn.open_table(RECEIPTS).map_err(|e| db_error(path, e))?;
    for entry in receipts.iter().map_err(err)? {
        let (k, v) = entry.map_err(err)?;
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
    let media = txn.open_table(MEDIA).map_err(|e| db_error(path, e))?;
    for entry in media.iter().map_err(err)? {
        let (k, v) = entry.map_err(err)?;
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
    let signins = txn.open_table(SIGNINS).map_err(|e| db_error(path, e))?;
    for entry in signins.iter().map_err(err)? {
        let (k, v) = entry.map_err(err)?;
        seen += 1;
        match decode::<super::signin::PendingSignin>("pending sign-in", "(token)", v.value()) {
            Ok(p) => add_expiry(txn, path, signin_expiry(&p), "signins", k.value())?,
            Err(e) => tracing::warn!(error = %e, "not indexing an undecodable sign-in"),
        }
    }
    Ok(seen)
}

/// Removes up to `limit` items due at or before `now_secs`; returns how many items went and
/// whether more entries may be due.
fn sweep_batch(
    txn: &WriteTransaction,
    path: &Path,
    now_secs: u64,
    limit: usize,
) -> Result<(u64, bool), StoreError> {
    let err = |e: redb::StorageError| db_error(path, e);
    let due: Vec<(u64, String, String)> = {
        let expiry = txn.open_table(EXPIRY).map_err(|e| db_error(path, e))?;
        let mut due = Vec::new();
        for entry in expiry
            .range(..(now_secs.saturating_add(1), "", ""))
            .map_err(err)?
            .take(limit)
        {
            let (k, _) = entry.map_err(err)?;
            let (at, table, key) = k.value();
            due.push((at, table.to_string(), key.to_string()));
        }
        due
    };
    let more = due.len() == limit;
    let mut removed = 0u64;
    for (at, table, key) in &due {
        txn.open_table(EXPIRY)
            .map_err(|e| db_error(path, e))?
            .remove((*at, table.as_str(), key.as_str()))
            .map_err(err)?;
        removed += u64::from(remove_if_due(txn, path, table, key, now_secs)?);
    }
    Ok((removed, more))
}

/// A stored value for the sweep: `None`, with a warning, when it cannot be decoded (it is left
/// in place, where reading it reports the damage).
fn sweepable<T: serde::de::DeserializeOwned>(what: &str, key: &str, raw: &str) -> Option<T> {
    decode(what, key, raw)
        .inspect_err(
            |e| tracing::warn!(error = %e, "the sweep leaves an undecodable item in place"),
        )
        .ok()
}

/// Removes `key` of `table` when the item itself says it is due at `now_secs` (an expiry entry
/// may be older than a rewrite of its item); returns whether it went.
fn remove_if_due(
    txn: &WriteTransaction,
    path: &Path,
    table: &str,
    key: &str,
    now_secs: u64,
) -> Result<bool, StoreError> {
    let err = |e: redb::StorageError| db_error(path, e);
    let open = |e: redb::TableError| db_error(path, e);
    match table {
        "inbound" => {
            let mut t = txn.open_table(INBOUND).map_err(open)?;
            let Some(stored) = t
                .get(key)
                .map_err(err)?
                .and_then(|raw| sweepable::<StoredInbound>("inbound message", key, raw.value()))
            else {
                return Ok(false);
            };
            let record = &stored.record;
            if event_expiry(record.received_ms) > now_secs {
                return Ok(false);
            }
            t.remove(key).map_err(err)?;
            drop(t);
            index_status(txn, path, key, index_order(record), &record.status, false)?;
        }
        "sent" => {
            let mut t = txn.open_table(SENT).map_err(open)?;
            let Some(at_ms) = t.get(key).map_err(err)?.map(|v| v.value()) else {
                return Ok(false);
            };
            if event_expiry(at_ms) > now_secs {
                return Ok(false);
            }
            t.remove(key).map_err(err)?;
        }
        "conversations" => {
            let mut t = txn.open_table(CONVERSATIONS).map_err(open)?;
            let Some(stored) = t
                .get(key)
                .map_err(err)?
                .and_then(|raw| sweepable::<StoredConversation>("conversation", key, raw.value()))
            else {
                return Ok(false);
            };
            if stored.saved_ms == 0 || event_expiry(stored.saved_ms) > now_secs {
                return Ok(false);
            }
            t.remove(key).map_err(err)?;
        }
        "agent_activity" => {
            let mut t = txn.open_table(AGENT_ACTIVITY).map_err(open)?;
            let Some(at_ms) = t.get(key).map_err(err)?.map(|v| v.value()) else {
                return Ok(false);
            };
            if event_expiry(at_ms) > now_secs {
                return Ok(false);
            }
            t.remove(key).map_err(err)?;
        }
        "receipts" => {
            let Some((conversation, id)) = key.rsplit_once('/') else {
                return Ok(false);
            };
            let Ok(id) = id.parse::<u128>() else {
                return Ok(false);
            };
            let mut t = txn.open_table(RECEIPTS).map_err(open)?;
            let Some(stored) = t
                .get((conversation, id))
                .map_err(err)?
                .and_then(|raw| sweepable::<StoredReceipt>("receipt", key, raw.value()))
            else {
                return Ok(false);
            };
            if event_expiry(stored.stored_ms) > now_secs {
                return Ok(false);
            }
            t.remove((conversation, id)).map_err(err)?;
        }
        "media" => {
            let Some((account, sha)) = key.split_once('/') else {
                return Ok(false);
            };
            let mut t = txn.open_table(MEDIA).map_err(open)?;
            let Some(media) = t
                .get((account, sha))
                .map_err(err)?
                .and_then(|raw| sweepable::<MediaRef>("media", sha, raw.value()))
            else {
                return Ok(false);
            };
            if media_expiry(&media) > now_secs {
                return Ok(false);
            }
            t.remove((account, sha)).map_err(err)?;
        }
        "signins" => {
            let mut t = txn.open_table(SIGNINS).map_err(open)?;
            let Some(pending) = t.get(key).map_err(err)?.and_then(|raw| {
                sweepable::<super::signin::PendingSignin>("pending sign-in", "(token)", raw.value())
            }) else {
                return Ok(false);
            };
            if signin_expiry(&pending) > now_secs {
                return Ok(false);
            }
            t.remove(key).map_err(err)?;
        }
        "invites" => {
            let mut t = txn.open_table(INVITES).map_err(open)?;
            let Some(invite) = t.get(key).map_err(err)?.and_then(|raw| {
                sweepable::<super::invites::InviteRecord>("invite", key, raw.value())
            }) else {
                return Ok(false);
            };
            if invite_expiry(&invite) > now_secs {
                return Ok(false);
            }
            t.remove(key).map_err(err)?;
        }
        _ => return Ok(false),
    }
    Ok(true)
}

/// The most operations one group commit takes (more wait for the next one).
const MAX_GROUP: usize = 1024;

/// One write operation waiting for the writer thread, its result type erased.
trait WriteJob: Send {
    /// Applies the operation in `txn`. After an `Err` the transaction is rolled back, so the
    /// operation may have written before failing; after an `Ok` it may be applied again, in a
    /// fresh transaction, when another operation of the group fails.
    fn apply(&mut self, txn: &WriteTransaction, path: &Path) -> Result<(), StoreError>;
    /// Hands the outcome to the caller: `Ok` once the group is committed, or the error.
    fn complete(self: Box<Self>, outcome: Result<(), StoreError>);
}

struct Job<T, F> {
    op: F,
    output: Option<T>,
    reply: oneshot::Sender<Result<T, StoreError>>,
}

impl<T, F> WriteJob for Job<T, F>
where
    T: Send,
    F: FnMut(&WriteTransaction, &Path) -> Result<T, StoreError> + Send,
{
    fn apply(&mut self, txn: &WriteTransaction, path: &Path) -> Result<(), StoreError> {
        self.output = None;
        self.output = Some((self.op)(txn, path)?);
        Ok(())
    }

    fn complete(self: Box<Self>, outcome: Result<(), StoreError>) {
        let Job { output, reply, .. } = *self;
        let result = outcome.and_then(|()| {
            output.ok_or_else(|| {
                StoreError::Unavailable("a grouped write finished without a result".into())
            })
        });
        // The caller may have gone away (its future was dropped): the write stands anyway.
        let _ = reply.send(result);
    }
}

/// The writer thread: takes every queued operation, applies them in one transaction, commits
/// once, answers them all. Ends when the store is dropped (the queue's sender with it).
fn writer_loop(db: Arc<Database>, path: PathBuf, jobs: mpsc::Receiver<Box<dyn WriteJob>>) {
    while let Ok(first) = jobs.recv() {
        let mut group = vec![first];
        while group.len() < MAX_GROUP {
            match jobs.try_recv() {
                Ok(job) => group.push(job),
                Err(_) => break,
            }
        }
        let (ops, started) = (group.len(), std::time::Instant::now());
        commit_group(&db, &path, group);
        tracing::trace!(
            ops,
            us = started.elapsed().as_micros() as u64,
            "group commit"
        );
    }
}

/// Applies `group` in arrival order in one transaction and commits it. An operation that fails
/// is answered with its error and the others are applied again without it.
fn commit_group(db: &Database, path: &Path, mut group: Vec<Box<dyn WriteJob>>) {
    while !group.is_empty() {
        let txn = match db.begin_write() {
            Ok(txn) => txn,
            Err(e) => return fail_all(group, &db_error(path, e)),
        };
        let failed = group
            .iter_mut()
            .enumerate()
            .find_map(|(i, job)| job.apply(&txn, path).err().map(|e| (i, e)));
        match failed {
            None => {
                match txn.commit() {
                    Ok(()) => group.into_iter().for_each(|job| job.complete(Ok(()))),
                    Err(e) => fail_all(group, &db_error(path, e)),
                }
                return;
            }
            Some((i, e)) => {
                if let Err(abort) = txn.abort() {
                    // The next `begin_write` reports it if the file is really in trouble.
                    tracing::warn!(error = %db_error(path, abort), "rolling back a grouped write failed");
                }
                let job = group.remove(i);
                if matches!(e, StoreError::Unavailable(_)) {
                    // I/O trouble fails every operation alike: do not retry them one by one.
                    job.complete(Err(e.clone()));
                    return fail_all(group, &e);
                }
                job.complete(Err(e));
            }
        }
    }
}

fn fail_all(group: Vec<Box<dyn WriteJob>>, e: &StoreError) {
    for job in group {
        job.complete(Err(e.clone()));
    }
}

struct Inner {
    db: Arc<Database>,
    path: PathBuf,
    notify: broadcast::Sender<InboundRecord>,
    /// The writer thread's queue; `None` only while dropping.
    writes: Option<mpsc::Sender<Box<dyn WriteJob>>>,
    writer: Option<JoinHandle<()>>,
}

impl Drop for Inner {
    /// Closes the queue and waits for the writer thread to finish what it holds, so that the
    /// file is closed (and can be opened again) once the last clone of the store is gone.
    fn drop(&mut self) {
        self.writes = None;
        if let Some(writer) = self.writer.take() {
            if writer.join().is_err() {
                tracing::error!(path = %self.path.display(), "the embedded store's writer thread panicked");
            }
        }
    }
}

/// The storage port on a local redb file. Cloning is cheap and shares the open database.
#[derive(Clone)]
pub struct EmbeddedStore {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for EmbeddedStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmbeddedStore")
            .field("path", &self.inner.path)
            .finish_non_exhaustive()
    }
}

/// Maps redb's errors onto the port's, saying what to do.
fn db_error(path: &Path, e: impl Into<redb::Error>) -> StoreError {
    let e: redb::Error = e.into();
    let path = path.display();
    match e {
        redb::Error::DatabaseAlreadyOpen => StoreError::Rejected(format!(
            "the data file {path} is already open (another `dmbot serve`?): stop it or use another data directory"
        )),
        redb::Error::Corrupted(detail) => StoreError::Corrupt {
            what: format!("data file {path}"),
            detail,
        },
        redb::Error::UpgradeRequired(v) => StoreError::Rejected(format!(
            "the data file {path} has an old format ({v}): move it away to start fresh"
        )),
        redb::Error::Io(io) => StoreError::Unavailable(format!("I/O error on {path}: {io}")),
        other => StoreError::Unavailable(format!("data file {path}: {other}")),
    }
}

fn decode<T: serde::de::DeserializeOwned>(
    what: &str,
    key: &str,
    raw: &str,
) -> Result<T, StoreError> {
    serde_json::from_str(raw).map_err(|e| StoreError::Corrupt {
        what: format!("{what} {key}"),
        detail: e.to_string(),
    })
}

fn encode(what: &str, value: &impl Serialize) -> Result<String, StoreError> {
    serde_json::to_string(value)
        .map_err(|e| StoreError::Rejected(format!("{what} could not be encoded as JSON: {e}")))
}

impl EmbeddedStore {
    /// Opens the store file at `path`, creating it (and its directory) when missing. Data
    /// written before survives: this is how `dmbot serve` keeps its state across restarts.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        let path = path.as_ref().to_path_buf();
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| {
                StoreError::Rejected(format!(
                    "cannot create the data directory {}: {e}",
                    dir.display()
                ))
            })?;
        }
        let db = Database::create(&path).map_err(|e| db_error(&path, e))?;
        // Create every table up front, so that readers never meet a missing one, and bring an
        // older file's indexes up to date.
        let txn = db.begin_write().map_err(|e| db_error(&path, e))?;
        prepare(&txn, &path)?;
        txn.commit().map_err(|e| db_error(&path, e))?;
        let (notify, _) = broadcast::channel(NOTIFY_CAPACITY);
        let db = Arc::new(db);
        let (writes, jobs) = mpsc::channel();
        let writer = {
            let (db, path) = (Arc::clone(&db), path.clone());
            std::thread::Builder::new()
                .name("dmbot-store-writer".into())
                .spawn(move || writer_loop(db, path, jobs))
                .map_err(|e| {
                    StoreError::Unavailable(format!("cannot start the store's writer thread: {e}"))
                })?
        };
        Ok(Self {
            inner: Arc::new(Inner {
                db,
                path,
                notify,
                writes: Some(writes),
                writer: Some(writer),
            }),
        })
    }

    /// The file the store lives in.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// Notifications of new inbound messages: one per message that [`Inbox::put_inbound`]
    /// inserted (none for duplicates), sent after the write is durable. Messages stored before
    /// the subscription (or missed after `Lagged`) are found with [`Self::pending_inbound`].
    pub fn subscribe_inbound(&self) -> broadcast::Receiver<InboundRecord> {
        self.inner.notify.subscribe()
    }

    /// Every inbound message still pending, oldest first (by arrival, then event id): the
    /// dispatcher's work left over from before a restart. Leased ones are included; claiming
    /// them tells whether the lease is still live.
    pub async fn pending_inbound(&self) -> Result<Vec<InboundRecord>, StoreError> {
        self.read(|db, path| {
            let txn = db.begin_read().map_err(|e| db_error(path, e))?;
            let index = txn.open_table(PENDING).map_err(|e| db_error(path, e))?;
            let table = txn.open_table(INBOUND).map_err(|e| db_error(path, e))?;
            let mut pending = Vec::new();
            // The index is in dispatch order already: arrival, then event id.
            for entry in index.iter().map_err(|e| db_error(path, e))? {
                let (k, _) = entry.map_err(|e| db_error(path, e))?;
                let (_, _, key) = k.value();
                let Some(raw) = table.get(key).map_err(|e| db_error(path, e))? else {
                    continue;
                };
                let stored: StoredInbound = decode("inbound message", key, raw.value())?;
                if stored.record.status == InboundStatus::Pending {
                    pending.push(stored.record);
                }
            }
            Ok(pending)
        })
        .await
    }

    /// Drops every dispatch lease: for `dmbot serve` at start, when the process holding the file
    /// (redb admits one) is the only dispatcher, so every lease left in it belongs to a process
    /// that died. Its messages can then be claimed at once instead of when the dead leases run
    /// out; what such a process may have sent is told by the send marks and the receipts.
    /// Returns how many leases were dropped.
    pub async fn release_leases(&self) -> Result<u64, StoreError> {
        self.write(|txn, path| {
            let keys: Vec<String> = {
                let index = txn.open_table(PENDING).map_err(|e| db_error(path, e))?;
                let mut keys = Vec::new();
                for entry in index.iter().map_err(|e| db_error(path, e))? {
                    let (k, _) = entry.map_err(|e| db_error(path, e))?;
                    keys.push(k.value().2.to_string());
                }
                keys
            };
            let mut table = txn.open_table(INBOUND).map_err(|e| db_error(path, e))?;
            let mut released = 0u64;
            for key in keys {
                let mut stored: StoredInbound = {
                    let Some(raw) = table.get(key.as_str()).map_err(|e| db_error(path, e))? else {
                        continue;
                    };
                    decode("inbound message", &key, raw.value())?
                };
                if stored.lease_until_ms.take().is_none() {
                    continue;
                }
                let value = encode("inbound message", &stored)?;
                table
                    .insert(key.as_str(), value.as_str())
                    .map_err(|e| db_error(path, e))?;
                released += 1;
            }
            Ok(released)
        })
        .await
    }

    /// Removes what is due at `now_ms` (see the module documentation): inbound messages and
    /// sent markers older than [`EVENT_TTL_SECS`], expired media references, sign-ins that
    /// were never finished and expired invites. Works in transactions of a few hundred items, so writes of the bot
    /// are not held up; returns how many items went.
    pub async fn sweep_expired(&self, now_ms: u64) -> Result<u64, StoreError> {
        let now_secs = now_ms / 1000;
        let mut total = 0u64;
        loop {
            let (removed, more) = self
                .write(move |txn, path| sweep_batch(txn, path, now_secs, SWEEP_BATCH))
                .await?;
            total += removed;
            if !more {
                return Ok(total);
            }
        }
    }

    /// Runs a point lookup right here, on the caller's thread: it reads a few pages, nearly
    /// always from redb's cache (or the OS page cache), which costs less than handing it to
    /// another thread and back.
    fn lookup<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        F: FnOnce(&Database, &Path) -> Result<T, StoreError>,
    {
        f(&self.inner.db, &self.inner.path)
    }

    /// Runs `f` on the blocking pool: for scans, which may read the whole file.
    async fn read<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Database, &Path) -> Result<T, StoreError> + Send + 'static,
    {
        let inner = Arc::clone(&self.inner);
        tokio::task::spawn_blocking(move || f(&inner.db, &inner.path))
            .await
            .map_err(|e| StoreError::Unavailable(format!("embedded store task failed: {e}")))?
    }

    /// Runs `f` on the writer thread, in a group commit with whatever other writes are queued
    /// (see the module documentation), and returns its result once it is durable. `f` may be
    /// called more than once (when another operation of its group fails); only the last call
    /// takes effect. When `f` fails, nothing it wrote is kept.
    async fn write<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnMut(&WriteTransaction, &Path) -> Result<T, StoreError> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let job = Box::new(Job {
            op: f,
            output: None,
            reply,
        });
        let closed = || StoreError::Unavailable("the embedded store is closing".into());
        self.inner
            .writes
            .as_ref()
            .ok_or_else(closed)?
            .send(job)
            .map_err(|_| closed())?;
        answer.await.map_err(|_| {
            StoreError::Unavailable("the embedded store's writer thread stopped".into())
        })?
    }
}

impl Inbox for EmbeddedStore {
    async fn put_inbound(&self, record: &InboundRecord) -> Result<PutOutcome, StoreError> {
        let key = event_key(&record.message.conversation, &record.message.event_id);
        let value = encode(
            "inbound message",
            &StoredInbound {
                record: record.clone(),
                lease_until_ms: None,
            },
        )?;
        let order = index_order(record);
        // The write and its notification run in a task of their own: a caller that goes away
        // meanwhile (a client disconnecting drops the webhook's request future) cannot leave a
        // stored message without its notification, i.e. undispatched until the next start.
        let store = self.clone();
        let note = record.clone();
        let task = tokio::spawn(async move {
            let outcome = store
                .write(move |txn, path| {
                    let mut table = txn.open_table(INBOUND).map_err(|e| db_error(path, e))?;
                    if table
                        .get(key.as_str())
                        .map_err(|e| db_error(path, e))?
                        .is_some()
                    {
                        return Ok(PutOutcome::Duplicate);
                    }
                    table
                        .insert(key.as_str(), value.as_str())
                        .map_err(|e| db_error(path, e))?;
                    drop(table);
                    index_status(txn, path, &key, order, &InboundStatus::Pending, true)?;
                    add_expiry(txn, path, event_expiry(order.0), "inbound", &key)?;
                    Ok(PutOutcome::Inserted)
                })
                .await?;
            if outcome == PutOutcome::Inserted {
                // No subscriber is fine: `pending_inbound` finds the message later.
                let _ = store.inner.notify.send(note);
            }
            Ok(outcome)
        });
        task.await
            .map_err(|e| StoreError::Unavailable(format!("embedded store task failed: {e}")))?
    }

    async fn get_inbound(
        &self,
        conversation: &ConversationKey,
        event: &EventId,
    ) -> Result<Option<InboundRecord>, StoreError> {
        let key = event_key(conversation, event);
        self.lookup(move |db, path| {
            let txn = db.begin_read().map_err(|e| db_error(path, e))?;
            let table = txn.open_table(INBOUND).map_err(|e| db_error(path, e))?;
            let Some(raw) = table.get(key.as_str()).map_err(|e| db_error(path, e))? else {
                return Ok(None);
            };
            let stored: StoredInbound = decode("inbound message", &key, raw.value())?;
            Ok(Some(stored.record))
        })
    }

    async fn claim_inbound(
        &self,
        conversation: &ConversationKey,
        event: &EventId,
        now_ms: u64,
        lease_ms: u64,
    ) -> Result<ClaimOutcome, StoreError> {
        let key = event_key(conversation, event);
        self.write(move |txn, path| {
            let mut table = txn.open_table(INBOUND).map_err(|e| db_error(path, e))?;
            let mut stored: StoredInbound = {
                let Some(raw) = table.get(key.as_str()).map_err(|e| db_error(path, e))? else {
                    return Ok(ClaimOutcome::Missing);
                };
                decode("inbound message", &key, raw.value())?
            };
            if stored.record.status != InboundStatus::Pending {
                return Ok(ClaimOutcome::Done(stored.record.status));
            }
            if stored.lease_until_ms.is_some_and(|until| until > now_ms) {
                return Ok(ClaimOutcome::Busy);
            }
            stored.lease_until_ms = Some(now_ms.saturating_add(lease_ms));
            let value = encode("inbound message", &stored)?;
            table
                .insert(key.as_str(), value.as_str())
                .map_err(|e| db_error(path, e))?;
            Ok(ClaimOutcome::Claimed(stored.record))
        })
        .await
    }

    async fn set_inbound_status(
        &self,
        conversation: &ConversationKey,
        event: &EventId,
        status: &InboundStatus,
    ) -> Result<(), StoreError> {
        let key = event_key(conversation, event);
        let status = status.clone();
        let missing = format!("no inbound message {event} in conversation {conversation}");
        self.write(move |txn, path| {
            let mut table = txn.open_table(INBOUND).map_err(|e| db_error(path, e))?;
            let mut stored: StoredInbound = {
                let Some(raw) = table.get(key.as_str()).map_err(|e| db_error(path, e))? else {
                    return Err(StoreError::Rejected(missing.clone()));
                };
                decode("inbound message", &key, raw.value())?
            };
            let before = std::mem::replace(&mut stored.record.status, status.clone());
            if status == InboundStatus::Pending {
                // A redrive: now, whatever it was put off until.
                stored.record.attempt.not_before_ms = None;
            }
            stored.lease_until_ms = None;
            let value = encode("inbound message", &stored)?;
            table
                .insert(key.as_str(), value.as_str())
                .map_err(|e| db_error(path, e))?;
            drop(table);
            let order = index_order(&stored.record);
            index_status(txn, path, &key, order, &before, false)?;
            index_status(txn, path, &key, order, &stored.record.status, true)?;
            Ok(())
        })
        .await
    }

    async fn list_failed(&self, limit: usize) -> Result<Vec<InboundRecord>, StoreError> {
        self.read(move |db, path| {
            let txn = db.begin_read().map_err(|e| db_error(path, e))?;
            let index = txn.open_table(FAILED).map_err(|e| db_error(path, e))?;
            let table = txn.open_table(INBOUND).map_err(|e| db_error(path, e))?;
            let mut failed = Vec::new();
            // Newest (highest event id) first.
            for entry in index.iter().map_err(|e| db_error(path, e))?.rev() {
                if failed.len() >= limit {
                    break;
                }
                let (k, _) = entry.map_err(|e| db_error(path, e))?;
                let (_, key) = k.value();
                let Some(raw) = table.get(key).map_err(|e| db_error(path, e))? else {
                    continue;
                };
                match decode::<StoredInbound>("inbound message", key, raw.value()) {
                    Ok(stored) if matches!(stored.record.status, InboundStatus::Failed { .. }) => {
                        failed.push(stored.record);
                    }
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "skipping an undecodable message"),
                }
            }
            Ok(failed)
        })
        .await
    }

    async fn mark_inbound(
        &self,
        conversation: &ConversationKey,
        event: &EventId,
        mark: &AttemptMark,
    ) -> Result<bool, StoreError> {
        let key = event_key(conversation, event);
        let mark = mark.clone();
        self.write(move |txn, path| {
            let mut table = txn.open_table(INBOUND).map_err(|e| db_error(path, e))?;
            let mut stored: StoredInbound = {
                let Some(raw) = table.get(key.as_str()).map_err(|e| db_error(path, e))? else {
                    return Ok(false);
                };
                decode("inbound message", &key, raw.value())?
            };
            if stored.record.status != InboundStatus::Pending {
                return Ok(false);
            }
            super::apply_mark(&mut stored.record.attempt, &mark);
            if matches!(
                mark,
                AttemptMark::Deferred {
                    release_lease: true,
                    ..
                }
            ) {
                stored.lease_until_ms = None;
            }
            let value = encode("inbound message", &stored)?;
            table
                .insert(key.as_str(), value.as_str())
                .map_err(|e| db_error(path, e))?;
            Ok(true)
        })
        .await
    }

    /// `dmbot serve` times its deferred messages itself (its lanes); this is for a caller that
    /// sweeps them: a scan of the pending index.
    async fn take_due_deferred(
        &self,
        now_ms: u64,
        limit: usize,
    ) -> Result<Vec<InboundRecord>, StoreError> {
        let mut due: Vec<InboundRecord> = self
            .pending_inbound()
            .await?
            .into_iter()
            .filter(|r| r.attempt.not_before_ms.is_some_and(|t| t <= now_ms))
            .collect();
        due.sort_by_key(|r| (r.attempt.not_before_ms, r.message.event_id.numeric()));
        due.truncate(limit);
        let mut taken = Vec::with_capacity(due.len());
        for record in due {
            let key = event_key(&record.message.conversation, &record.message.event_id);
            let cleared = self
                .write(move |txn, path| {
                    let mut table = txn.open_table(INBOUND).map_err(|e| db_error(path, e))?;
                    let mut stored: StoredInbound = {
                        let Some(raw) = table.get(key.as_str()).map_err(|e| db_error(path, e))?
                        else {
                            return Ok(None);
                        };
                        decode("inbound message", &key, raw.value())?
                    };
                    if stored.record.status != InboundStatus::Pending
                        || stored
                            .record
                            .attempt
                            .not_before_ms
                            .is_none_or(|t| t > now_ms)
                    {
                        return Ok(None);
                    }
                    stored.record.attempt.not_before_ms = None;
                    let value = encode("inbound message", &stored)?;
                    table
                        .insert(key.as_str(), value.as_str())
                        .map_err(|e| db_error(path, e))?;
                    Ok(Some(stored.record))
                })
                .await?;
            taken.extend(cleared);
        }
        Ok(taken)
    }

    async fn list_unfinished(
        &self,
        received_before_ms: u64,
        limit: usize,
    ) -> Result<Vec<InboundRecord>, StoreError> {
        let mut pending = self.pending_inbound().await?;
        pending.retain(|r| r.received_ms < received_before_ms);
        pending.truncate(limit);
        Ok(pending)
    }
}

impl EmbeddedStore {
    /// Reads the receipt of `id` in `conversation` (a fresh one when none is stored), lets
    /// `change` update it and writes it back, in one write of the group commit.
    async fn update_receipt(
        &self,
        conversation: &ConversationKey,
        id: &EventId,
        at_ms: u64,
        change: impl Fn(&mut Receipt) + Send + 'static,
    ) -> Result<(), StoreError> {
        let conv = conversation_key(conversation);
        let event = id.clone();
        self.write(move |txn, path| {
            let key = (conv.as_str(), event.numeric());
            let mut table = txn.open_table(RECEIPTS).map_err(|e| db_error(path, e))?;
            let existing = table
                .get(key)
                .map_err(|e| db_error(path, e))?
                .map(|raw| decode::<StoredReceipt>("receipt", &conv, raw.value()))
                .transpose()?;
            let fresh = existing.is_none();
            let mut stored = existing.unwrap_or_else(|| StoredReceipt {
                receipt: Receipt::new(event.clone()),
                stored_ms: at_ms,
            });
            change(&mut stored.receipt);
            let value = encode("receipt", &stored)?;
            table
                .insert(key, value.as_str())
                .map_err(|e| db_error(path, e))?;
            drop(table);
            if fresh {
                let expiry_key = format!("{conv}/{}", event.numeric());
                add_expiry(txn, path, event_expiry(at_ms), "receipts", &expiry_key)?;
            }
            Ok(())
        })
        .await
    }
}

impl Outbox for EmbeddedStore {
    async fn record_sent(
        &self,
        conversation: &ConversationKey,
        sent: &EventId,
        in_reply_to: &EventId,
        at_ms: u64,
    ) -> Result<(), StoreError> {
        let in_reply_to = in_reply_to.clone();
        self.update_receipt(conversation, sent, at_ms, move |r| {
            r.apply_sent(&in_reply_to, at_ms)
        })
        .await
    }

    async fn record_echo(&self, echo: &AccountEcho, at_ms: u64) -> Result<(), StoreError> {
        let seen = echo.clone();
        self.update_receipt(&echo.conversation, &echo.event_id, at_ms, move |r| {
            r.apply_echo(&seen)
        })
        .await
    }

    async fn receipts_after(
        &self,
        conversation: &ConversationKey,
        after: &EventId,
    ) -> Result<Vec<Receipt>, StoreError> {
        let conv = conversation_key(conversation);
        let from = after.numeric().saturating_add(1);
        self.lookup(move |db, path| {
            let err = |e: redb::StorageError| db_error(path, e);
            let txn = db.begin_read().map_err(|e| db_error(path, e))?;
            let table = txn.open_table(RECEIPTS).map_err(|e| db_error(path, e))?;
            let mut found = Vec::new();
            for entry in table
                .range((conv.as_str(), from)..=(conv.as_str(), u128::MAX))
                .map_err(err)?
                .take(RECEIPTS_LIMIT)
            {
                let (_, raw) = entry.map_err(err)?;
                found.push(decode::<StoredReceipt>("receipt", &conv, raw.value())?.receipt);
            }
            Ok(found)
        })
    }

    async fn is_sent_by_bot(
        &self,
        conversation: &ConversationKey,
        event: &EventId,
    ) -> Result<bool, StoreError> {
        let conv = conversation_key(conversation);
        let legacy = event_key(conversation, event);
        let id = event.numeric();
        self.lookup(move |db, path| {
            let txn = db.begin_read().map_err(|e| db_error(path, e))?;
            let table = txn.open_table(RECEIPTS).map_err(|e| db_error(path, e))?;
            if let Some(raw) = table
                .get((conv.as_str(), id))
                .map_err(|e| db_error(path, e))?
            {
                let stored: StoredReceipt = decode("receipt", &conv, raw.value())?;
                if stored.receipt.is_recorded_send() {
                    return Ok(true);
                }
            }
            let sent = txn.open_table(SENT).map_err(|e| db_error(path, e))?;
            Ok(sent
                .get(legacy.as_str())
                .map_err(|e| db_error(path, e))?
                .is_some())
        })
    }
}

impl Conversations for EmbeddedStore {
    async fn load_conversation(
        &self,
        conversation: &ConversationKey,
    ) -> Result<Conversation, StoreError> {
        let key = conversation_key(conversation);
        self.lookup(move |db, path| {
            let txn = db.begin_read().map_err(|e| db_error(path, e))?;
            let states = txn
                .open_table(CONVERSATIONS)
                .map_err(|e| db_error(path, e))?;
            let agents = txn
                .open_table(AGENT_ACTIVITY)
                .map_err(|e| db_error(path, e))?;
            let stored = match states.get(key.as_str()).map_err(|e| db_error(path, e))? {
                Some(raw) => decode::<StoredConversation>("conversation", &key, raw.value())?,
                None => StoredConversation {
                    state: ConversationState::default(),
                    version: 0,
                    saved_ms: 0,
                },
            };
            let agent_last_active_ms = agents
                .get(key.as_str())
                .map_err(|e| db_error(path, e))?
                .map(|v| v.value());
            Ok(Conversation {
                state: stored.state,
                version: stored.version,
                agent_last_active_ms,
            })
        })
    }

    async fn save_conversation(
        &self,
        conversation: &ConversationKey,
        state: &ConversationState,
        expected_version: u64,
    ) -> Result<u64, StoreError> {
        let key = conversation_key(conversation);
        let state = state.clone();
        let conflict = format!("conversation {conversation}");
        self.write(move |txn, path| {
            let mut table = txn
                .open_table(CONVERSATIONS)
                .map_err(|e| db_error(path, e))?;
            let current = match table.get(key.as_str()).map_err(|e| db_error(path, e))? {
                Some(raw) => {
                    decode::<StoredConversation>("conversation", &key, raw.value())?.version
                }
                None => 0,
            };
            if current != expected_version {
                return Err(StoreError::Conflict {
                    what: conflict.clone(),
                });
            }
            let version = current
                .checked_add(1)
                .ok_or_else(|| StoreError::Rejected(format!("{conflict}: version overflow")))?;
            let saved_ms = crate::domain::now_ms();
            let value = encode(
                "conversation",
                &StoredConversation {
                    state: state.clone(),
                    version,
                    saved_ms,
                },
            )?;
            table
                .insert(key.as_str(), value.as_str())
                .map_err(|e| db_error(path, e))?;
            drop(table);
            add_expiry(txn, path, event_expiry(saved_ms), "conversations", &key)?;
            Ok(version)
        })
        .await
    }

    async fn record_agent_activity(&self, activity: &AgentActivity) -> Result<(), StoreError> {
        let key = conversation_key(&activity.conversation);
        let at = activity.created_ms;
        self.write(move |txn, path| {
            let mut table = txn
                .open_table(AGENT_ACTIVITY)
                .map_err(|e| db_error(path, e))?;
            let current = table
                .get(key.as_str())
                .map_err(|e| db_error(path, e))?
                .map(|v| v.value());
            if current.is_none_or(|c| c < at) {
                table
                    .insert(key.as_str(), at)
                    .map_err(|e| db_error(path, e))?;
                drop(table);
                add_expiry(txn, path, event_expiry(at), "agent_activity", &key)?;
            }
            Ok(())
        })
        .await
    }
}

impl Accounts for EmbeddedStore {
    async fn put_account(&self, account: &AccountRecord) -> Result<(), StoreError> {
        let key = account.id.to_string();
        let value = encode("account", account)?;
        self.write(move |txn, path| {
            let mut table = txn.open_table(ACCOUNTS).map_err(|e| db_error(path, e))?;
            table
                .insert(key.as_str(), value.as_str())
                .map_err(|e| db_error(path, e))?;
            Ok(())
        })
        .await
    }

    async fn get_account(&self, id: &AccountId) -> Result<Option<AccountRecord>, StoreError> {
        let key = id.to_string();
        self.lookup(move |db, path| {
            let txn = db.begin_read().map_err(|e| db_error(path, e))?;
            let table = txn.open_table(ACCOUNTS).map_err(|e| db_error(path, e))?;
            table
                .get(key.as_str())
                .map_err(|e| db_error(path, e))?
                .map(|raw| decode("account", &key, raw.value()))
                .transpose()
        })
    }

    async fn list_accounts(&self) -> Result<Vec<AccountRecord>, StoreError> {
        self.read(move |db, path| {
            let txn = db.begin_read().map_err(|e| db_error(path, e))?;
            let table = txn.open_table(ACCOUNTS).map_err(|e| db_error(path, e))?;
            let mut accounts = Vec::new();
            for entry in table.iter().map_err(|e| db_error(path, e))? {
                let (k, v) = entry.map_err(|e| db_error(path, e))?;
                accounts.push(decode::<AccountRecord>("account", k.value(), v.value())?);
            }
            Ok(accounts)
        })
        .await
    }
}

impl Revocations for EmbeddedStore {
    async fn revoke_account(&self, id: &AccountId, now_ms: u64) -> Result<(), StoreError> {
        let key = id.to_string();
        self.write(move |txn, path| {
            let err = |e: redb::StorageError| db_error(path, e);
            txn.open_table(ACCOUNTS)
                .map_err(|e| db_error(path, e))?
                .remove(key.as_str())
                .map_err(err)?;
            txn.open_table(FORGETS)
                .map_err(|e| db_error(path, e))?
                .insert(key.as_str(), now_ms)
                .map_err(err)?;
            Ok(())
        })
        .await
    }

    async fn pending_forgets(&self, limit: usize) -> Result<Vec<PendingForget>, StoreError> {
        self.read(move |db, path| {
            let txn = db.begin_read().map_err(|e| db_error(path, e))?;
            let table = txn.open_table(FORGETS).map_err(|e| db_error(path, e))?;
            let mut pending = Vec::new();
            for entry in table.iter().map_err(|e| db_error(path, e))? {
                let (k, v) = entry.map_err(|e| db_error(path, e))?;
                let account = AccountId::parse(k.value()).map_err(|e| StoreError::Corrupt {
                    what: format!("pending removal {:?}", k.value()),
                    detail: e.to_string(),
                })?;
                pending.push(PendingForget {
                    account,
                    requested_ms: v.value(),
                });
            }
            pending.sort_by_key(|p| p.requested_ms);
            pending.truncate(limit);
            Ok(pending)
        })
        .await
    }

    /// Everything in one transaction: the file is local, so there is no request to bound.
    async fn forget_step(
        &self,
        id: &AccountId,
        _max_entries: usize,
    ) -> Result<ForgetStep, StoreError> {
        let key = id.to_string();
        let prefix = account_prefix(id);
        self.write(move |txn, path| {
            let err = |e: redb::StorageError| db_error(path, e);
            let mut removed = 0u64;
            txn.open_table(FORGETS)
                .map_err(|e| db_error(path, e))?
                .remove(key.as_str())
                .map_err(err)?;
            let mut count = |keep: bool| {
                if !keep {
                    removed += 1;
                }
                keep
            };
            txn.open_table(INBOUND)
                .map_err(|e| db_error(path, e))?
                .retain(|k, _| count(!k.starts_with(&prefix)))
                .map_err(err)?;
            txn.open_table(SENT)
                .map_err(|e| db_error(path, e))?
                .retain(|k, _| count(!k.starts_with(&prefix)))
                .map_err(err)?;
            txn.open_table(RECEIPTS)
                .map_err(|e| db_error(path, e))?
                .retain(|(k, _), _| count(!k.starts_with(&prefix)))
                .map_err(err)?;
            txn.open_table(CONVERSATIONS)
                .map_err(|e| db_error(path, e))?
                .retain(|k, _| count(!k.starts_with(&prefix)))
                .map_err(err)?;
            txn.open_table(AGENT_ACTIVITY)
                .map_err(|e| db_error(path, e))?
                .retain(|k, _| count(!k.starts_with(&prefix)))
                .map_err(err)?;
            txn.open_table(MEDIA)
                .map_err(|e| db_error(path, e))?
                .retain(|(account, _), _| count(account != key))
                .map_err(err)?;
            // The indexes' entries for what went (not counted: they are not items).
            txn.open_table(PENDING)
                .map_err(|e| db_error(path, e))?
                .retain(|(_, _, k), ()| !k.starts_with(&prefix))
                .map_err(err)?;
            txn.open_table(FAILED)
                .map_err(|e| db_error(path, e))?
                .retain(|(_, k), ()| !k.starts_with(&prefix))
                .map_err(err)?;
            txn.open_table(EXPIRY)
                .map_err(|e| db_error(path, e))?
                .retain(|(_, table, k), ()| table == "signins" || !k.starts_with(&prefix))
                .map_err(err)?;
            Ok(ForgetStep {
                removed,
                done: true,
            })
        })
        .await
    }
}

impl Flows for EmbeddedStore {
    async fn put_flow(&self, flow: &FlowRecord) -> Result<(), StoreError> {
        let flow = flow.clone();
        let value = encode("flow", &flow)?;
        self.write(move |txn, path| {
            let mut table = txn.open_table(FLOWS).map_err(|e| db_error(path, e))?;
            let newest = table
                .range((flow.flow_id.as_str(), 0u64)..=(flow.flow_id.as_str(), u64::MAX))
                .map_err(|e| db_error(path, e))?
                .next_back()
                .transpose()
                .map_err(|e| db_error(path, e))?
                .map(|(k, _)| k.value().1);
            if newest.is_some_and(|v| v >= flow.version) {
                return Err(StoreError::Conflict {
                    what: format!("flow {} version {}", flow.flow_id, flow.version),
                });
            }
            table
                .insert((flow.flow_id.as_str(), flow.version), value.as_str())
                .map_err(|e| db_error(path, e))?;
            Ok(())
        })
        .await
    }

    async fn get_flow(&self, flow_id: &str) -> Result<Option<FlowRecord>, StoreError> {
        let flow_id = flow_id.to_string();
        self.lookup(move |db, path| {
            let txn = db.begin_read().map_err(|e| db_error(path, e))?;
            let table = txn.open_table(FLOWS).map_err(|e| db_error(path, e))?;
            let newest = table
                .range((flow_id.as_str(), 0u64)..=(flow_id.as_str(), u64::MAX))
                .map_err(|e| db_error(path, e))?
                .next_back()
                .transpose()
                .map_err(|e| db_error(path, e))?;
            newest
                .map(|(_, v)| decode("flow", &flow_id, v.value()))
                .transpose()
        })
    }
}

impl MediaCache for EmbeddedStore {
    async fn get_media(
        &self,
        account: &AccountId,
        content_sha256: &str,
    ) -> Result<Option<MediaRef>, StoreError> {
        let account = account.to_string();
        let sha = content_sha256.to_string();
        self.lookup(move |db, path| {
            let txn = db.begin_read().map_err(|e| db_error(path, e))?;
            let table = txn.open_table(MEDIA).map_err(|e| db_error(path, e))?;
            table
                .get((account.as_str(), sha.as_str()))
                .map_err(|e| db_error(path, e))?
                .map(|raw| decode("media", &sha, raw.value()))
                .transpose()
        })
    }

    async fn put_media(
        &self,
        account: &AccountId,
        content_sha256: &str,
        media: &MediaRef,
    ) -> Result<(), StoreError> {
        let account = account.to_string();
        let sha = content_sha256.to_string();
        let value = encode("media", media)?;
        let expires = media_expiry(media);
        self.write(move |txn, path| {
            let mut table = txn.open_table(MEDIA).map_err(|e| db_error(path, e))?;
            table
                .insert((account.as_str(), sha.as_str()), value.as_str())
                .map_err(|e| db_error(path, e))?;
            drop(table);
            let key = media_expiry_key(&account, &sha);
            add_expiry(txn, path, expires, "media", &key)
        })
        .await
    }
}

// ---------------------------------------------------------------------------------------------
// Pending Twitter Sign-ins (see `store::signin`): table `signins`, key the request token.
// ---------------------------------------------------------------------------------------------

impl super::signin::PendingSignins for EmbeddedStore {
    async fn put_pending_signin(
        &self,
        pending: &super::signin::PendingSignin,
    ) -> Result<(), StoreError> {
        let key = pending.request_token.clone();
        let value = encode("pending sign-in", pending)?;
        let expires = signin_expiry(pending);
        self.write(move |txn, path| {
            let mut table = txn.open_table(SIGNINS).map_err(|e| db_error(path, e))?;
            table
                .insert(key.as_str(), value.as_str())
                .map_err(|e| db_error(path, e))?;
            drop(table);
            add_expiry(txn, path, expires, "signins", &key)
        })
        .await
    }

    async fn get_pending_signin(
        &self,
        request_token: &str,
        now_ms: u64,
    ) -> Result<Option<super::signin::PendingSignin>, StoreError> {
        let key = request_token.to_string();
        let found: Option<super::signin::PendingSignin> = self.lookup(move |db, path| {
            let txn = db.begin_read().map_err(|e| db_error(path, e))?;
            let table = txn.open_table(SIGNINS).map_err(|e| db_error(path, e))?;
            table
                .get(key.as_str())
                .map_err(|e| db_error(path, e))?
                .map(|raw| decode("pending sign-in", "(token)", raw.value()))
                .transpose()
        })?;
        Ok(found.filter(|p| p.expires_ms > now_ms))
    }

    async fn take_pending_signin(
        &self,
        request_token: &str,
        now_ms: u64,
    ) -> Result<Option<super::signin::PendingSignin>, StoreError> {
        let key = request_token.to_string();
        let taken: Option<super::signin::PendingSignin> = self
            .write(move |txn, path| {
                let mut table = txn.open_table(SIGNINS).map_err(|e| db_error(path, e))?;
                let removed = table.remove(key.as_str()).map_err(|e| db_error(path, e))?;
                removed
                    .map(|raw| decode("pending sign-in", &key, raw.value()))
                    .transpose()
            })
            .await?;
        Ok(taken.filter(|p| p.expires_ms > now_ms))
    }
}

// ---------------------------------------------------------------------------------------------
// Sign-in invites (see `store::invites`): table `invites`, key the invite id, with an expiry
// entry so the sweep removes invites past their time.
// ---------------------------------------------------------------------------------------------

impl EmbeddedStore {
    /// The invite stored under `id`, whatever its expiry.
    fn read_invite(
        &self,
        id: &crate::invite::InviteId,
    ) -> Result<Option<super::invites::InviteRecord>, StoreError> {
        let key = id.as_str().to_string();
        self.lookup(move |db, path| {
            let txn = db.begin_read().map_err(|e| db_error(path, e))?;
            let table = txn.open_table(INVITES).map_err(|e| db_error(path, e))?;
            table
                .get(key.as_str())
                .map_err(|e| db_error(path, e))?
                .map(|raw| decode("invite", &key, raw.value()))
                .transpose()
        })
    }
}

impl super::invites::Invites for EmbeddedStore {
    async fn put_invite(&self, invite: &super::invites::InviteRecord) -> Result<(), StoreError> {
        let key = invite.id.as_str().to_string();
        let value = encode("invite", invite)?;
        let expires = invite_expiry(invite);
        self.write(move |txn, path| {
            txn.open_table(INVITES)
                .map_err(|e| db_error(path, e))?
                .insert(key.as_str(), value.as_str())
                .map_err(|e| db_error(path, e))?;
            add_expiry(txn, path, expires, "invites", &key)
        })
        .await
    }

    async fn get_invite(
        &self,
        id: &crate::invite::InviteId,
        now_ms: u64,
    ) -> Result<Option<super::invites::InviteRecord>, StoreError> {
        Ok(self.read_invite(id)?.filter(|i| i.is_live(now_ms)))
    }

    async fn take_invite(
        &self,
        id: &crate::invite::InviteId,
        now_ms: u64,
    ) -> Result<Option<super::invites::InviteRecord>, StoreError> {
        let key = id.as_str().to_string();
        self.write(move |txn, path| {
            let mut table = txn.open_table(INVITES).map_err(|e| db_error(path, e))?;
            let Some(invite) = table
                .get(key.as_str())
                .map_err(|e| db_error(path, e))?
                .map(|raw| decode::<super::invites::InviteRecord>("invite", &key, raw.value()))
                .transpose()?
            else {
                return Ok(None);
            };
            if !invite.is_live(now_ms) {
                return Ok(None);
            }
            table.remove(key.as_str()).map_err(|e| db_error(path, e))?;
            Ok(Some(invite))
        })
        .await
    }

    async fn list_invites(
        &self,
        now_ms: u64,
    ) -> Result<Vec<super::invites::InviteRecord>, StoreError> {
        let mut live = self
            .read(move |db, path| {
                let txn = db.begin_read().map_err(|e| db_error(path, e))?;
                let table = txn.open_table(INVITES).map_err(|e| db_error(path, e))?;
                let mut live = Vec::new();
                for entry in table.iter().map_err(|e| db_error(path, e))? {
                    let (k, v) = entry.map_err(|e| db_error(path, e))?;
                    let invite: super::invites::InviteRecord =
                        decode("invite", k.value(), v.value())?;
                    if invite.is_live(now_ms) {
                        live.push(invite);
                    }
                }
                Ok(live)
            })
            .await?;
        super::invites::sort_for_listing(&mut live);
        Ok(live)
    }

    async fn revoke_invite(&self, id: &crate::invite::InviteId) -> Result<bool, StoreError> {
        let key = id.as_str().to_string();
        self.write(move |txn, path| {
            let removed = txn
                .open_table(INVITES)
                .map_err(|e| db_error(path, e))?
                .remove(key.as_str())
                .map_err(|e| db_error(path, e))?
                .is_some();
            Ok(removed)
        })
        .await
    }
}

/// Webhook health: one JSON record (see `super::health`). The table is created on first use.
const HEALTH: TableDefinition<&str, &str> = TableDefinition::new("health");
const HEALTH_KEY: &str = "WEBHOOK";

impl EmbeddedStore {
    /// Reads the health record, lets `f` change it, writes it back, in one transaction.
    async fn update_health<F>(&self, mut f: F) -> Result<super::health::HealthRecord, StoreError>
    where
        F: FnMut(&mut super::health::HealthRecord) + Send + 'static,
    {
        self.write(move |txn, path| {
            let mut table = txn.open_table(HEALTH).map_err(|e| db_error(path, e))?;
            let mut record: super::health::HealthRecord =
                match table.get(HEALTH_KEY).map_err(|e| db_error(path, e))? {
                    Some(raw) => decode("health record", HEALTH_KEY, raw.value())?,
                    None => Default::default(),
                };
            f(&mut record);
            let value = encode("health record", &record)?;
            table
                .insert(HEALTH_KEY, value.as_str())
                .map_err(|e| db_error(path, e))?;
            Ok(record)
        })
        .await
    }
}

impl super::health::Health for EmbeddedStore {
    async fn record_crc(&self, at_ms: u64, latency_us: u64) -> Result<(), StoreError> {
        self.update_health(move |h| h.apply_crc(at_ms, latency_us))
            .await
            .map(drop)
    }

    async fn record_delivery(&self, at_ms: u64) -> Result<(), StoreError> {
        self.update_health(move |h| h.apply_delivery(at_ms))
            .await
            .map(drop)
    }

    async fn record_watchdog_run(
        &self,
        run: &super::health::WatchdogRun,
    ) -> Result<(), StoreError> {
        let run = run.clone();
        self.update_health(move |h| h.last_watchdog = Some(run.clone()))
            .await
            .map(drop)
    }

    async fn get_health(&self) -> Result<super::health::HealthRecord, StoreError> {
        self.lookup(|db, path| {
            let txn = db.begin_read().map_err(|e| db_error(path, e))?;
            let table = match txn.open_table(HEALTH) {
                Ok(table) => table,
                // Nothing was ever recorded.
                Err(redb::TableError::TableDoesNotExist(_)) => return Ok(Default::default()),
                Err(e) => return Err(db_error(path, e)),
            };
            match table.get(HEALTH_KEY).map_err(|e| db_error(path, e))? {
                Some(raw) => decode("health record", HEALTH_KEY, raw.value()),
                None => Ok(Default::default()),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use redb::ReadableTableMetadata;

    const T: TableDefinition<&str, u64> = TableDefinition::new("t");

    type Reply<V> = oneshot::Receiver<Result<V, StoreError>>;

    /// A job for [`commit_group`] and the receiver of its answer.
    fn job<V, F>(op: F) -> (Box<dyn WriteJob>, Reply<V>)
    where
        V: Send + 'static,
        F: FnMut(&WriteTransaction, &Path) -> Result<V, StoreError> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let job = Job {
            op,
            output: None,
            reply,
        };
        (Box::new(job), answer)
    }

    fn put(key: &'static str) -> impl FnMut(&WriteTransaction, &Path) -> Result<(), StoreError> {
        move |txn, path| {
            txn.open_table(T)
                .map_err(|e| db_error(path, e))?
                .insert(key, 1)
                .map_err(|e| db_error(path, e))?;
            Ok(())
        }
    }

    fn stored(db: &Database, key: &str) -> bool {
        let txn = db.begin_read().expect("read");
        match txn.open_table(T) {
            Ok(t) => t.get(key).expect("get").is_some(),
            Err(_) => false,
        }
    }

    fn answer<V>(mut rx: Reply<V>) -> Result<V, StoreError> {
        rx.try_recv().expect("every job of the group was answered")
    }

    #[test]
    fn a_failing_write_is_rolled_back_alone_and_the_rest_of_its_group_commits() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("t.redb");
        let db = Database::create(&path).expect("create");

        let (a, a_rx) = job(put("a"));
        // Writes "b", then fails: "b" must not survive.
        let (b, b_rx) = job(
            |txn: &WriteTransaction, path: &Path| -> Result<(), StoreError> {
                put("b")(txn, path)?;
                Err(StoreError::Conflict { what: "b".into() })
            },
        );
        let (c, c_rx) = job(put("c"));
        // Runs after "a" in the same group, so it sees it.
        let (d, d_rx) = job(|txn: &WriteTransaction, path: &Path| {
            let t = txn.open_table(T).map_err(|e| db_error(path, e))?;
            Ok(t.get("a").map_err(|e| db_error(path, e))?.is_some())
        });
        commit_group(&db, &path, vec![a, b, c, d]);

        assert!(answer(a_rx).is_ok());
        assert!(matches!(answer(b_rx), Err(StoreError::Conflict { .. })));
        assert!(answer(c_rx).is_ok());
        assert!(answer(d_rx).expect("d succeeds"), "d sees a");
        assert!(stored(&db, "a") && stored(&db, "c"));
        assert!(!stored(&db, "b"), "the failed write left nothing behind");
    }

    #[test]
    fn an_unavailable_store_fails_the_whole_group_and_writes_nothing() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("t.redb");
        let db = Database::create(&path).expect("create");

        let (a, a_rx) = job(put("a"));
        let (b, b_rx) = job(|_: &WriteTransaction, _: &Path| -> Result<(), StoreError> {
            Err(StoreError::Unavailable("disk gone".into()))
        });
        let (c, c_rx) = job(put("c"));
        commit_group(&db, &path, vec![a, b, c]);

        for rx in [a_rx, b_rx, c_rx] {
            assert!(matches!(answer(rx), Err(StoreError::Unavailable(m)) if m == "disk gone"));
        }
        assert!(!stored(&db, "a") && !stored(&db, "c"));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn concurrent_writers_of_one_store_each_get_their_own_answer() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = EmbeddedStore::open(dir.path().join("dmbot.redb")).expect("open");
        let key = |n: u64| {
            ConversationKey::new(
                AccountId::parse("10").expect("id"),
                crate::domain::UserId::parse((1000 + n % 7).to_string()).expect("id"),
            )
        };
        // 200 saves of 7 conversations, all expecting version 0: one per conversation wins.
        let tasks: Vec<_> = (0..200u64)
            .map(|n| {
                let store = store.clone();
                tokio::spawn(async move {
                    store
                        .save_conversation(&key(n), &ConversationState::default(), 0)
                        .await
                })
            })
            .collect();
        let mut won = 0;
        for task in tasks {
            match task.await.expect("task") {
                Ok(1) => won += 1,
                Err(StoreError::Conflict { .. }) => {}
                other => panic!("unexpected {other:?}"),
            }
        }
        assert_eq!(won, 7);
        for n in 0..7 {
            assert_eq!(
                store
                    .load_conversation(&key(n))
                    .await
                    .expect("load")
                    .version,
                1
            );
        }
    }

    fn index_sizes(store: &EmbeddedStore) -> (u64, u64, u64) {
        let txn = store.inner.db.begin_read().expect("read");
        let pending = txn
            .open_table(PENDING)
            .expect("pending")
            .len()
            .expect("len");
        let failed = txn.open_table(FAILED).expect("failed").len().expect("len");
        let expiry = txn.open_table(EXPIRY).expect("expiry").len().expect("len");
        (pending, failed, expiry)
    }

    #[tokio::test]
    async fn each_status_change_moves_the_message_between_the_indexes_without_leaving_any_behind() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = EmbeddedStore::open(dir.path().join("dmbot.redb")).expect("open");
        let conversation = ConversationKey::new(
            AccountId::parse("10").expect("id"),
            crate::domain::UserId::parse("20").expect("id"),
        );
        let event = EventId::parse("1").expect("id");
        let message =
            crate::domain::InboundMessage::text(event.clone(), conversation.clone(), 1, "hi");
        let record = InboundRecord::pending(message, 2);
        store.put_inbound(&record).await.expect("put");
        store.put_inbound(&record).await.expect("duplicate");
        assert_eq!(index_sizes(&store), (1, 0, 1));
        let failed = InboundStatus::Failed {
            reason: "boom".into(),
            at_ms: 3,
        };
        let answered = InboundStatus::Answered {
            reply_event_id: None,
            at_ms: 4,
        };
        let steps = [
            (failed.clone(), (0, 1, 1)),
            (failed, (0, 1, 1)),
            (InboundStatus::Pending, (1, 0, 1)),
            (answered, (0, 0, 1)),
        ];
        for (status, sizes) in steps {
            store
                .set_inbound_status(&conversation, &event, &status)
                .await
                .expect("status");
            assert_eq!(index_sizes(&store), sizes, "after {status:?}");
        }
        assert_eq!(store.sweep_expired(u64::MAX / 2).await.expect("sweep"), 1);
        assert_eq!(index_sizes(&store), (0, 0, 0));
    }

    #[tokio::test]
    async fn the_sweep_leaves_an_undecodable_item_in_place_and_goes_on() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = EmbeddedStore::open(dir.path().join("dmbot.redb")).expect("open");
        {
            let txn = store.inner.db.begin_write().expect("write");
            txn.open_table(INBOUND)
                .expect("inbound")
                .insert("10/20/1", "not json")
                .expect("insert");
            txn.open_table(SENT)
                .expect("sent")
                .insert("10/20/2", 1_000)
                .expect("insert");
            let mut expiry = txn.open_table(EXPIRY).expect("expiry");
            expiry
                .insert((5, "inbound", "10/20/1"), ())
                .expect("insert");
            expiry.insert((5, "sent", "10/20/2"), ()).expect("insert");
            expiry.insert((5, "nonsense", "x"), ()).expect("insert");
            drop(expiry);
            txn.commit().expect("commit");
        }
        assert_eq!(store.sweep_expired(u64::MAX / 2).await.expect("sweep"), 1);
        let txn = store.inner.db.begin_read().expect("read");
        let inbound = txn.open_table(INBOUND).expect("inbound");
        assert!(
            inbound.get("10/20/1").expect("get").is_some(),
            "left in place"
        );
        assert_eq!(index_sizes(&store).2, 0, "every due entry was consumed");
    }
}
