//! The embedded adapter: one [redb](https://docs.rs/redb) file on disk, for `dmbot serve`.
//!
//! Same semantics as the DynamoDB adapter, each operation in one redb transaction (so the
//! conditional writes are atomic), run on tokio's blocking pool because redb does file I/O and
//! `fsync` on commit. Writes are durable when the call returns.
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

use std::path::{Path, PathBuf};
use std::sync::Arc;

use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition, WriteTransaction};
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;

use super::{
    AccountRecord, Accounts, ClaimOutcome, Conversation, Conversations, FlowRecord, Flows, Inbox,
    MediaCache, MediaRef, Outbox, PutOutcome, StoreError,
};
use crate::domain::{
    AccountId, AgentActivity, ConversationKey, ConversationState, EventId, InboundRecord,
    InboundStatus,
};

const INBOUND: TableDefinition<&str, &str> = TableDefinition::new("inbound");
const SENT: TableDefinition<&str, u64> = TableDefinition::new("sent");
const CONVERSATIONS: TableDefinition<&str, &str> = TableDefinition::new("conversations");
const AGENT_ACTIVITY: TableDefinition<&str, u64> = TableDefinition::new("agent_activity");
const ACCOUNTS: TableDefinition<&str, &str> = TableDefinition::new("accounts");
const FLOWS: TableDefinition<(&str, u64), &str> = TableDefinition::new("flows");
const MEDIA: TableDefinition<(&str, &str), &str> = TableDefinition::new("media");

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

#[derive(Serialize, Deserialize)]
struct StoredConversation {
    state: ConversationState,
    version: u64,
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

struct Inner {
    db: Database,
    path: PathBuf,
    notify: broadcast::Sender<InboundRecord>,
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
        // Create every table up front, so that readers never meet a missing one.
        let txn = db.begin_write().map_err(|e| db_error(&path, e))?;
        {
            let err = |e: redb::TableError| db_error(&path, e);
            txn.open_table(INBOUND).map_err(err)?;
            txn.open_table(SENT).map_err(err)?;
            txn.open_table(CONVERSATIONS).map_err(err)?;
            txn.open_table(AGENT_ACTIVITY).map_err(err)?;
            txn.open_table(ACCOUNTS).map_err(err)?;
            txn.open_table(FLOWS).map_err(err)?;
            txn.open_table(MEDIA).map_err(err)?;
        }
        txn.commit().map_err(|e| db_error(&path, e))?;
        let (notify, _) = broadcast::channel(NOTIFY_CAPACITY);
        Ok(Self {
            inner: Arc::new(Inner { db, path, notify }),
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
            let table = txn.open_table(INBOUND).map_err(|e| db_error(path, e))?;
            let mut pending = Vec::new();
            for entry in table.iter().map_err(|e| db_error(path, e))? {
                let (k, v) = entry.map_err(|e| db_error(path, e))?;
                let stored: StoredInbound = decode("inbound message", k.value(), v.value())?;
                if stored.record.status == InboundStatus::Pending {
                    pending.push(stored.record);
                }
            }
            pending.sort_by_key(|r| (r.received_ms, r.message.event_id.numeric()));
            Ok(pending)
        })
        .await
    }

    /// Runs `f` on the blocking pool (redb does file I/O).
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

    /// Runs `f` in one write transaction on the blocking pool; commits when `f` succeeds,
    /// rolls back (drops the transaction) when it fails.
    async fn write<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&WriteTransaction, &Path) -> Result<T, StoreError> + Send + 'static,
    {
        self.read(move |db, path| {
            let txn = db.begin_write().map_err(|e| db_error(path, e))?;
            let out = f(&txn, path)?;
            txn.commit().map_err(|e| db_error(path, e))?;
            Ok(out)
        })
        .await
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
        let outcome = self
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
                Ok(PutOutcome::Inserted)
            })
            .await?;
        if outcome == PutOutcome::Inserted {
            // No subscriber is fine: `pending_inbound` finds the message later.
            let _ = self.inner.notify.send(record.clone());
        }
        Ok(outcome)
    }

    async fn get_inbound(
        &self,
        conversation: &ConversationKey,
        event: &EventId,
    ) -> Result<Option<InboundRecord>, StoreError> {
        let key = event_key(conversation, event);
        self.read(move |db, path| {
            let txn = db.begin_read().map_err(|e| db_error(path, e))?;
            let table = txn.open_table(INBOUND).map_err(|e| db_error(path, e))?;
            let Some(raw) = table.get(key.as_str()).map_err(|e| db_error(path, e))? else {
                return Ok(None);
            };
            let stored: StoredInbound = decode("inbound message", &key, raw.value())?;
            Ok(Some(stored.record))
        })
        .await
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
                    return Err(StoreError::Rejected(missing));
                };
                decode("inbound message", &key, raw.value())?
            };
            stored.record.status = status;
            stored.lease_until_ms = None;
            let value = encode("inbound message", &stored)?;
            table
                .insert(key.as_str(), value.as_str())
                .map_err(|e| db_error(path, e))?;
            Ok(())
        })
        .await
    }

    async fn list_failed(&self, limit: usize) -> Result<Vec<InboundRecord>, StoreError> {
        self.read(move |db, path| {
            let txn = db.begin_read().map_err(|e| db_error(path, e))?;
            let table = txn.open_table(INBOUND).map_err(|e| db_error(path, e))?;
            let mut failed = Vec::new();
            for entry in table.iter().map_err(|e| db_error(path, e))? {
                let (k, v) = entry.map_err(|e| db_error(path, e))?;
                match decode::<StoredInbound>("inbound message", k.value(), v.value()) {
                    Ok(stored) if matches!(stored.record.status, InboundStatus::Failed { .. }) => {
                        failed.push(stored.record);
                    }
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "skipping an undecodable message"),
                }
            }
            failed.sort_by_key(|r| std::cmp::Reverse(r.message.event_id.numeric()));
            failed.truncate(limit);
            Ok(failed)
        })
        .await
    }
}

impl Outbox for EmbeddedStore {
    async fn record_sent(
        &self,
        conversation: &ConversationKey,
        sent: &EventId,
        at_ms: u64,
    ) -> Result<(), StoreError> {
        let key = event_key(conversation, sent);
        self.write(move |txn, path| {
            let mut table = txn.open_table(SENT).map_err(|e| db_error(path, e))?;
            table
                .insert(key.as_str(), at_ms)
                .map_err(|e| db_error(path, e))?;
            Ok(())
        })
        .await
    }

    async fn is_sent_by_bot(
        &self,
        conversation: &ConversationKey,
        event: &EventId,
    ) -> Result<bool, StoreError> {
        let key = event_key(conversation, event);
        self.read(move |db, path| {
            let txn = db.begin_read().map_err(|e| db_error(path, e))?;
            let table = txn.open_table(SENT).map_err(|e| db_error(path, e))?;
            Ok(table
                .get(key.as_str())
                .map_err(|e| db_error(path, e))?
                .is_some())
        })
        .await
    }
}

impl Conversations for EmbeddedStore {
    async fn load_conversation(
        &self,
        conversation: &ConversationKey,
    ) -> Result<Conversation, StoreError> {
        let key = conversation_key(conversation);
        self.read(move |db, path| {
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
        .await
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
                return Err(StoreError::Conflict { what: conflict });
            }
            let version = current
                .checked_add(1)
                .ok_or_else(|| StoreError::Rejected(format!("{conflict}: version overflow")))?;
            let value = encode("conversation", &StoredConversation { state, version })?;
            table
                .insert(key.as_str(), value.as_str())
                .map_err(|e| db_error(path, e))?;
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
        self.read(move |db, path| {
            let txn = db.begin_read().map_err(|e| db_error(path, e))?;
            let table = txn.open_table(ACCOUNTS).map_err(|e| db_error(path, e))?;
            table
                .get(key.as_str())
                .map_err(|e| db_error(path, e))?
                .map(|raw| decode("account", &key, raw.value()))
                .transpose()
        })
        .await
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

    async fn forget_account(&self, id: &AccountId) -> Result<u64, StoreError> {
        let key = id.to_string();
        let prefix = account_prefix(id);
        self.write(move |txn, path| {
            let err = |e: redb::StorageError| db_error(path, e);
            let mut removed = 0u64;
            {
                let mut t = txn.open_table(ACCOUNTS).map_err(|e| db_error(path, e))?;
                removed += u64::from(t.remove(key.as_str()).map_err(err)?.is_some());
            }
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
            Ok(removed)
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
        self.read(move |db, path| {
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
        .await
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
        self.read(move |db, path| {
            let txn = db.begin_read().map_err(|e| db_error(path, e))?;
            let table = txn.open_table(MEDIA).map_err(|e| db_error(path, e))?;
            table
                .get((account.as_str(), sha.as_str()))
                .map_err(|e| db_error(path, e))?
                .map(|raw| decode("media", &sha, raw.value()))
                .transpose()
        })
        .await
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
        self.write(move |txn, path| {
            let mut table = txn.open_table(MEDIA).map_err(|e| db_error(path, e))?;
            table
                .insert((account.as_str(), sha.as_str()), value.as_str())
                .map_err(|e| db_error(path, e))?;
            Ok(())
        })
        .await
    }
}

// ---------------------------------------------------------------------------------------------
// Pending Twitter Sign-ins (see `store::signin`): table `signins`, key the request token.
// ---------------------------------------------------------------------------------------------

const SIGNINS: TableDefinition<&str, &str> = TableDefinition::new("signins");

impl super::signin::PendingSignins for EmbeddedStore {
    async fn put_pending_signin(
        &self,
        pending: &super::signin::PendingSignin,
    ) -> Result<(), StoreError> {
        let key = pending.request_token.clone();
        let value = encode("pending sign-in", pending)?;
        self.write(move |txn, path| {
            let mut table = txn.open_table(SIGNINS).map_err(|e| db_error(path, e))?;
            table
                .insert(key.as_str(), value.as_str())
                .map_err(|e| db_error(path, e))?;
            Ok(())
        })
        .await
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

/// Webhook health: one JSON record (see `super::health`). The table is created on first use.
const HEALTH: TableDefinition<&str, &str> = TableDefinition::new("health");
const HEALTH_KEY: &str = "WEBHOOK";

impl EmbeddedStore {
    /// Reads the health record, lets `f` change it, writes it back, in one transaction.
    async fn update_health<F>(&self, f: F) -> Result<super::health::HealthRecord, StoreError>
    where
        F: FnOnce(&mut super::health::HealthRecord) + Send + 'static,
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
        self.update_health(move |h| h.last_watchdog = Some(run))
            .await
            .map(drop)
    }

    async fn get_health(&self) -> Result<super::health::HealthRecord, StoreError> {
        self.update_health(|_| {}).await
    }
}
