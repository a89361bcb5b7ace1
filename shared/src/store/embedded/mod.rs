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
//! | `sent` | `<account>/<customer>/<event>` | sent at (ms, u64): markers from before receipts, read only |
//! | `receipts` | `(<account>/<customer>, event id)` | the receipt and when it was first stored |
//! | `conversations` | `<account>/<customer>` | state and version |
//! | `agent_activity` | `<account>/<customer>` | last agent activity (ms, u64) |
//! | `accounts` | `<account>` | the account record |
//! | `flows` | `(flow id, version)` | the flow record |
//! | `media` | `(account, content sha256)` | the media reference |
//! | `signins` | the request token | the pending sign-in |
//! | `invites` | the invite id (SHA-256 of the token, hex) | the invite |
//! | `forgets` | `<account>` | when its revoke came (ms, u64): data still to remove |
//! | `health` | `WEBHOOK` | the webhook's health record (created on first use) |
//! | `budget` | `(scope, window name, window start ms)` | a send budget window's count and block (a budget's ended windows go at its next take) |
//! | `usage` | `(owner, day)` | billable calls by kind name (kept for good) |
//! | `inbound_pending` | `(received ms, event id, inbound key)` | (none): the pending messages, oldest first |
//! | `inbound_failed` | `(event id, inbound key)` | (none): the failed messages |
//! | `expiry` | `(expires at, seconds; table; key)` | (none): when an item is due to go |
//! | `meta` | `schema` | the file's schema version (u64) |
//!
//! **Indexes and expiry.** The two status indexes are written in the same transaction as the
//! message, so the dispatcher's restart scan ([`EmbeddedStore::pending_inbound`]) and
//! `dmbot failures list` read only what they need, never the whole history. As DynamoDB's TTL
//! does for the deployed table, [`EmbeddedStore::sweep_expired`] removes inbound messages and
//! sent markers [`EVENT_TTL_SECS`](crate::store::EVENT_TTL_SECS) after they were stored, media
//! references when Twitter's media id expires, sign-ins that were never finished and invites past
//! their expiry; `dmbot serve` sweeps at start and then every hour, so the file stops growing
//! with the history. A data file written before the indexes existed (schema 1) has them built
//! when it is opened.
//!
//! Files: `schema.rs` (tables, stored values, keys, indexes, upgrade), `writer.rs` (the group
//! commit), `expiry.rs` (expiry entries and the sweep), `error.rs` (redb's errors as the port's,
//! `.db(path)`), then one file per port.

use std::path::{Path, PathBuf};
use std::sync::{Arc, mpsc};
use std::thread::JoinHandle;

use redb::{Database, ReadableDatabase, ReadableTable, WriteTransaction};
use serde::Serialize;
use tokio::sync::{broadcast, oneshot};

use crate::domain::{InboundRecord, InboundStatus};
use crate::store::StoreError;
use error::Db;
use expiry::{SWEEP_BATCH, sweep_batch};
use schema::{INBOUND, PENDING, StoredInbound, prepare};
use writer::{Job, WriteJob, writer_loop};

mod accounts;
mod budget;
mod conversations;
mod error;
mod expiry;
mod flows;
mod health;
mod inbox;
mod invites;
mod media;
mod outbox;
mod revocations;
mod schema;
mod signin;
#[cfg(test)]
mod tests;
mod usage;
mod writer;

/// How many notifications a slow subscriber may fall behind before it misses some (it then
/// gets `RecvError::Lagged` and should call [`EmbeddedStore::pending_inbound`]).
const NOTIFY_CAPACITY: usize = 1024;

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
        let db = Database::create(&path).db(&path)?;
        // Create every table up front, so that readers never meet a missing one, and bring an
        // older file's indexes up to date.
        let txn = db.begin_write().db(&path)?;
        prepare(&txn, &path)?;
        txn.commit().db(&path)?;
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

    /// Notifications of new inbound messages: one per message that [`Inbox::put_inbound`](crate::store::Inbox::put_inbound)
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
            let txn = db.begin_read().db(path)?;
            let index = txn.open_table(PENDING).db(path)?;
            let table = txn.open_table(INBOUND).db(path)?;
            let mut pending = Vec::new();
            // The index is in dispatch order already: arrival, then event id.
            for entry in index.iter().db(path)? {
                let (k, _) = entry.db(path)?;
                let (_, _, key) = k.value();
                let Some(raw) = table.get(key).db(path)? else {
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
                let index = txn.open_table(PENDING).db(path)?;
                let mut keys = Vec::new();
                for entry in index.iter().db(path)? {
                    let (k, _) = entry.db(path)?;
                    keys.push(k.value().2.to_string());
                }
                keys
            };
            let mut table = txn.open_table(INBOUND).db(path)?;
            let mut released = 0u64;
            for key in keys {
                let mut stored: StoredInbound = {
                    let Some(raw) = table.get(key.as_str()).db(path)? else {
                        continue;
                    };
                    decode("inbound message", &key, raw.value())?
                };
                if stored.lease_until_ms.take().is_none() {
                    continue;
                }
                let value = encode("inbound message", &stored)?;
                table.insert(key.as_str(), value.as_str()).db(path)?;
                released += 1;
            }
            Ok(released)
        })
        .await
    }

    /// Removes what is due at `now_ms` (see the module documentation): inbound messages and
    /// sent markers older than [`EVENT_TTL_SECS`](crate::store::EVENT_TTL_SECS), expired media references, sign-ins that
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
