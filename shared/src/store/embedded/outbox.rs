//! The outbox port on the embedded store: table `receipts` (and the older `sent` markers).

use super::error::Db;
use super::expiry::{add_expiry, event_expiry};
use super::schema::{RECEIPTS, SENT, StoredReceipt, conversation_key, event_key};
use super::{EmbeddedStore, decode, encode};
use crate::domain::{AccountEcho, ConversationKey, EventId};
use crate::store::{Outbox, RECEIPTS_LIMIT, Receipt, StoreError};
use redb::{ReadableDatabase, ReadableTable};

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
            let mut table = txn.open_table(RECEIPTS).db(path)?;
            let existing = table
                .get(key)
                .db(path)?
                .map(|raw| decode::<StoredReceipt>("receipt", &conv, raw.value()))
                .transpose()?;
            let fresh = existing.is_none();
            let mut stored = existing.unwrap_or_else(|| StoredReceipt {
                receipt: Receipt::new(event.clone()),
                stored_ms: at_ms,
            });
            change(&mut stored.receipt);
            let value = encode("receipt", &stored)?;
            table.insert(key, value.as_str()).db(path)?;
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
            let txn = db.begin_read().db(path)?;
            let table = txn.open_table(RECEIPTS).db(path)?;
            let mut found = Vec::new();
            for entry in table
                .range((conv.as_str(), from)..=(conv.as_str(), u128::MAX))
                .db(path)?
                .take(RECEIPTS_LIMIT)
            {
                let (_, raw) = entry.db(path)?;
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
            let txn = db.begin_read().db(path)?;
            let table = txn.open_table(RECEIPTS).db(path)?;
            if let Some(raw) = table.get((conv.as_str(), id)).db(path)? {
                let stored: StoredReceipt = decode("receipt", &conv, raw.value())?;
                if stored.receipt.is_recorded_send() {
                    return Ok(true);
                }
            }
            let sent = txn.open_table(SENT).db(path)?;
            Ok(sent.get(legacy.as_str()).db(path)?.is_some())
        })
    }
}
