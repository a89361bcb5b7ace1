//! The inbox port on the embedded store: table `inbound` and its status indexes.

use super::error::Db;
use super::expiry::{add_expiry, event_expiry};
use super::schema::{
    FAILED, INBOUND, StoredInbound, conversation_key, event_key, index_order, index_status,
};
use super::{EmbeddedStore, decode, encode};
use crate::domain::{ConversationKey, EventId, InboundRecord, InboundStatus};
use crate::store::{AttemptMark, ClaimOutcome, Inbox, PutOutcome, StoreError, rules};
use redb::{ReadableDatabase, ReadableTable};

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
                    let mut table = txn.open_table(INBOUND).db(path)?;
                    if table.get(key.as_str()).db(path)?.is_some() {
                        return Ok(PutOutcome::Duplicate);
                    }
                    table.insert(key.as_str(), value.as_str()).db(path)?;
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
            let txn = db.begin_read().db(path)?;
            let table = txn.open_table(INBOUND).db(path)?;
            let Some(raw) = table.get(key.as_str()).db(path)? else {
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
            let mut table = txn.open_table(INBOUND).db(path)?;
            let mut stored: StoredInbound = {
                let Some(raw) = table.get(key.as_str()).db(path)? else {
                    return Ok(ClaimOutcome::Missing);
                };
                decode("inbound message", &key, raw.value())?
            };
            let outcome =
                rules::claim(&stored.record, &mut stored.lease_until_ms, now_ms, lease_ms);
            if matches!(outcome, ClaimOutcome::Claimed(_)) {
                let value = encode("inbound message", &stored)?;
                table.insert(key.as_str(), value.as_str()).db(path)?;
            }
            Ok(outcome)
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
            let mut table = txn.open_table(INBOUND).db(path)?;
            let mut stored: StoredInbound = {
                let Some(raw) = table.get(key.as_str()).db(path)? else {
                    return Err(StoreError::Rejected(missing.clone()));
                };
                decode("inbound message", &key, raw.value())?
            };
            let before = rules::set_status(&mut stored.record, &mut stored.lease_until_ms, &status);
            let value = encode("inbound message", &stored)?;
            table.insert(key.as_str(), value.as_str()).db(path)?;
            drop(table);
            let order = index_order(&stored.record);
            index_status(txn, path, &key, order, &before, false)?;
            index_status(txn, path, &key, order, &stored.record.status, true)?;
            Ok(())
        })
        .await
    }

    /// A range read of the conversation's keys (`<account>/<customer>/<event id>`), all of
    /// them (a conversation's messages expire with their TTL), then the shared rule.
    async fn pending_in_conversation(
        &self,
        conversation: &ConversationKey,
        limit: usize,
    ) -> Result<Vec<InboundRecord>, StoreError> {
        let from = format!("{}/", conversation_key(conversation));
        // `0` follows `/`: every key with the prefix sorts before it.
        let to = format!("{}0", conversation_key(conversation));
        let records = self
            .read(move |db, path| {
                let txn = db.begin_read().db(path)?;
                let table = txn.open_table(INBOUND).db(path)?;
                let mut records = Vec::new();
                for entry in table.range(from.as_str()..to.as_str()).db(path)? {
                    let (k, v) = entry.db(path)?;
                    match decode::<StoredInbound>("inbound message", k.value(), v.value()) {
                        Ok(stored) => records.push(stored.record),
                        Err(e) => tracing::warn!(error = %e, "skipping an undecodable message"),
                    }
                }
                Ok(records)
            })
            .await?;
        Ok(rules::pending_of_latest(records, limit))
    }

    async fn list_failed(&self, limit: usize) -> Result<Vec<InboundRecord>, StoreError> {
        self.read(move |db, path| {
            let txn = db.begin_read().db(path)?;
            let index = txn.open_table(FAILED).db(path)?;
            let table = txn.open_table(INBOUND).db(path)?;
            let mut failed = Vec::new();
            // Newest (highest event id) first.
            for entry in index.iter().db(path)?.rev() {
                if failed.len() >= limit {
                    break;
                }
                let (k, _) = entry.db(path)?;
                let (_, key) = k.value();
                let Some(raw) = table.get(key).db(path)? else {
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
            let mut table = txn.open_table(INBOUND).db(path)?;
            let mut stored: StoredInbound = {
                let Some(raw) = table.get(key.as_str()).db(path)? else {
                    return Ok(false);
                };
                decode("inbound message", &key, raw.value())?
            };
            if !rules::mark(&mut stored.record, &mut stored.lease_until_ms, &mark) {
                return Ok(false);
            }
            let value = encode("inbound message", &stored)?;
            table.insert(key.as_str(), value.as_str()).db(path)?;
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
            .filter(|r| rules::is_due(r, now_ms))
            .collect();
        rules::sort_due(&mut due);
        due.truncate(limit);
        let mut taken = Vec::with_capacity(due.len());
        for record in due {
            let key = event_key(&record.message.conversation, &record.message.event_id);
            let cleared = self
                .write(move |txn, path| {
                    let mut table = txn.open_table(INBOUND).db(path)?;
                    let mut stored: StoredInbound = {
                        let Some(raw) = table.get(key.as_str()).db(path)? else {
                            return Ok(None);
                        };
                        decode("inbound message", &key, raw.value())?
                    };
                    if !rules::is_due(&stored.record, now_ms) {
                        return Ok(None);
                    }
                    stored.record.attempt.not_before_ms = None;
                    let value = encode("inbound message", &stored)?;
                    table.insert(key.as_str(), value.as_str()).db(path)?;
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
