//! An in-process store: the reference behaviour of the storage port, used by unit tests.
//! Everything lives in one mutex-guarded map; nothing survives the process.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};

use super::budget::BudgetKey;
use super::health::{Health, HealthRecord, WatchdogRun};
use super::invites::{InviteRecord, Invites, sort_for_listing};
use super::signin::{PendingSignin, PendingSignins};
use super::usage::{BillableKind, UsageDay};
use super::{
    AccountRecord, Accounts, AttemptMark, ClaimOutcome, Conversation, Conversations, FlowRecord,
    Flows, ForgetStep, Inbox, MediaCache, MediaRef, Outbox, PendingForget, PutOutcome,
    RECEIPTS_LIMIT, Receipt, Revocations, StoreError, rules,
};
use crate::domain::{
    AccountEcho, AccountId, AgentActivity, ConversationKey, ConversationState, EventId,
    InboundRecord, InboundStatus,
};
use crate::invite::InviteId;

mod costs;

#[derive(Default)]
struct Inner {
    inbound: BTreeMap<(ConversationKey, EventId), (InboundRecord, Option<u64>)>,
    sent: BTreeMap<(ConversationKey, EventId), Receipt>,
    conversations: HashMap<ConversationKey, (ConversationState, u64)>,
    agent_activity: HashMap<ConversationKey, u64>,
    accounts: BTreeMap<AccountId, AccountRecord>,
    /// Revoked accounts whose data is still to be removed, with when the revoke came.
    forgets: BTreeMap<AccountId, u64>,
    flows: BTreeMap<(String, u64), FlowRecord>,
    media: HashMap<(AccountId, String), MediaRef>,
    health: HealthRecord,
    /// When set, every call fails with `Unavailable` (to test failure paths).
    failing: bool,
    /// Pending Twitter Sign-ins by request token (see `store::signin`).
    pending_signins: HashMap<String, PendingSignin>,
    /// Sign-in invites by id (see `store::invites`).
    invites: HashMap<InviteId, InviteRecord>,
    /// Send budget windows by budget and window start (see `store::budget`, `memory/costs.rs`).
    budget: HashMap<(BudgetKey, u64), rules::BudgetWindow>,
    /// Billable calls by owner (`APP` or account id) and day (see `store::usage`).
    usage: BTreeMap<(String, UsageDay), BTreeMap<BillableKind, u64>>,
}

/// In-memory store. Cloning shares the same data.
#[derive(Clone, Default)]
pub struct MemoryStore {
    inner: Arc<Mutex<Inner>>,
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }

    /// Makes every following call fail with [`StoreError::Unavailable`] (or work again).
    pub fn set_failing(&self, failing: bool) {
        self.lock_raw().failing = failing;
    }

    /// Every stored inbound record, in key order (for assertions in tests).
    pub fn all_inbound(&self) -> Vec<InboundRecord> {
        self.lock_raw()
            .inbound
            .values()
            .map(|(r, _)| r.clone())
            .collect()
    }

    fn lock_raw(&self) -> MutexGuard<'_, Inner> {
        // A poisoned lock only means another test thread panicked; the data is still usable.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn lock(&self) -> Result<MutexGuard<'_, Inner>, StoreError> {
        let guard = self.lock_raw();
        if guard.failing {
            return Err(StoreError::Unavailable(
                "memory store set to fail".to_string(),
            ));
        }
        Ok(guard)
    }
}

impl Inbox for MemoryStore {
    async fn put_inbound(&self, record: &InboundRecord) -> Result<PutOutcome, StoreError> {
        let mut g = self.lock()?;
        let key = (
            record.message.conversation.clone(),
            record.message.event_id.clone(),
        );
        if g.inbound.contains_key(&key) {
            return Ok(PutOutcome::Duplicate);
        }
        g.inbound.insert(key, (record.clone(), None));
        Ok(PutOutcome::Inserted)
    }

    async fn get_inbound(
        &self,
        conversation: &ConversationKey,
        event: &EventId,
    ) -> Result<Option<InboundRecord>, StoreError> {
        let g = self.lock()?;
        Ok(g.inbound
            .get(&(conversation.clone(), event.clone()))
            .map(|(r, _)| r.clone()))
    }

    async fn claim_inbound(
        &self,
        conversation: &ConversationKey,
        event: &EventId,
        now_ms: u64,
        lease_ms: u64,
    ) -> Result<ClaimOutcome, StoreError> {
        let mut g = self.lock()?;
        let Some((record, lease)) = g.inbound.get_mut(&(conversation.clone(), event.clone()))
        else {
            return Ok(ClaimOutcome::Missing);
        };
        Ok(rules::claim(record, lease, now_ms, lease_ms))
    }

    async fn set_inbound_status(
        &self,
        conversation: &ConversationKey,
        event: &EventId,
        status: &InboundStatus,
    ) -> Result<(), StoreError> {
        let mut g = self.lock()?;
        let Some((record, lease)) = g.inbound.get_mut(&(conversation.clone(), event.clone()))
        else {
            return Err(StoreError::Rejected(format!(
                "no inbound message {event} in conversation {conversation}"
            )));
        };
        rules::set_status(record, lease, status);
        Ok(())
    }

    async fn pending_in_conversation(
        &self,
        conversation: &ConversationKey,
        limit: usize,
    ) -> Result<Vec<InboundRecord>, StoreError> {
        let g = self.lock()?;
        let records = g
            .inbound
            .iter()
            .filter(|((c, _), _)| c == conversation)
            .map(|(_, (r, _))| r.clone())
            .collect();
        Ok(rules::pending_of_latest(records, limit))
    }

    async fn list_failed(&self, limit: usize) -> Result<Vec<InboundRecord>, StoreError> {
        let g = self.lock()?;
        let mut failed: Vec<InboundRecord> = g
            .inbound
            .values()
            .filter(|(r, _)| matches!(r.status, InboundStatus::Failed { .. }))
            .map(|(r, _)| r.clone())
            .collect();
        rules::sort_failed(&mut failed);
        failed.truncate(limit);
        Ok(failed)
    }

    async fn mark_inbound(
        &self,
        conversation: &ConversationKey,
        event: &EventId,
        mark: &AttemptMark,
    ) -> Result<bool, StoreError> {
        let mut g = self.lock()?;
        let Some((record, lease)) = g.inbound.get_mut(&(conversation.clone(), event.clone()))
        else {
            return Ok(false);
        };
        Ok(rules::mark(record, lease, mark))
    }

    async fn take_due_deferred(
        &self,
        now_ms: u64,
        limit: usize,
    ) -> Result<Vec<InboundRecord>, StoreError> {
        let mut g = self.lock()?;
        let mut due: Vec<InboundRecord> = g
            .inbound
            .values()
            .map(|(r, _)| r)
            .filter(|r| rules::is_due(r, now_ms))
            .cloned()
            .collect();
        rules::sort_due(&mut due);
        due.truncate(limit);
        for r in &mut due {
            let key = (r.message.conversation.clone(), r.message.event_id.clone());
            if let Some((stored, _)) = g.inbound.get_mut(&key) {
                stored.attempt.not_before_ms = None;
            }
            r.attempt.not_before_ms = None;
        }
        Ok(due)
    }

    async fn list_unfinished(
        &self,
        received_before_ms: u64,
        limit: usize,
    ) -> Result<Vec<InboundRecord>, StoreError> {
        let g = self.lock()?;
        let mut pending: Vec<InboundRecord> = g
            .inbound
            .values()
            .filter(|(r, _)| {
                r.status == InboundStatus::Pending && r.received_ms < received_before_ms
            })
            .map(|(r, _)| r.clone())
            .collect();
        rules::sort_unfinished(&mut pending);
        pending.truncate(limit);
        Ok(pending)
    }
}

impl Outbox for MemoryStore {
    async fn record_sent(
        &self,
        conversation: &ConversationKey,
        sent: &EventId,
        in_reply_to: &EventId,
        at_ms: u64,
    ) -> Result<(), StoreError> {
        let mut g = self.lock()?;
        g.sent
            .entry((conversation.clone(), sent.clone()))
            .or_insert_with(|| Receipt::new(sent.clone()))
            .apply_sent(in_reply_to, at_ms);
        Ok(())
    }

    async fn record_echo(&self, echo: &AccountEcho, _at_ms: u64) -> Result<(), StoreError> {
        let mut g = self.lock()?;
        g.sent
            .entry((echo.conversation.clone(), echo.event_id.clone()))
            .or_insert_with(|| Receipt::new(echo.event_id.clone()))
            .apply_echo(echo);
        Ok(())
    }

    async fn receipts_after(
        &self,
        conversation: &ConversationKey,
        after: &EventId,
    ) -> Result<Vec<Receipt>, StoreError> {
        let g = self.lock()?;
        let mut found: Vec<Receipt> = g
            .sent
            .iter()
            .filter(|((c, id), _)| c == conversation && id.numeric() > after.numeric())
            .map(|(_, r)| r.clone())
            .collect();
        found.sort_by_key(|r| r.event_id.numeric());
        found.truncate(RECEIPTS_LIMIT);
        Ok(found)
    }

    async fn is_sent_by_bot(
        &self,
        conversation: &ConversationKey,
        event: &EventId,
    ) -> Result<bool, StoreError> {
        let g = self.lock()?;
        Ok(g.sent
            .get(&(conversation.clone(), event.clone()))
            .is_some_and(Receipt::is_recorded_send))
    }
}

impl Conversations for MemoryStore {
    async fn load_conversation(
        &self,
        conversation: &ConversationKey,
    ) -> Result<Conversation, StoreError> {
        let g = self.lock()?;
        let (state, version) = g
            .conversations
            .get(conversation)
            .cloned()
            .unwrap_or_default();
        Ok(Conversation {
            state,
            version,
            agent_last_active_ms: g.agent_activity.get(conversation).copied(),
        })
    }

    async fn save_conversation(
        &self,
        conversation: &ConversationKey,
        state: &ConversationState,
        expected_version: u64,
    ) -> Result<u64, StoreError> {
        let mut g = self.lock()?;
        let current = g.conversations.get(conversation).map_or(0, |(_, v)| *v);
        let next = rules::next_version(
            current,
            expected_version,
            &format!("conversation {conversation}"),
        )?;
        g.conversations
            .insert(conversation.clone(), (state.clone(), next));
        Ok(next)
    }

    async fn record_agent_activity(&self, activity: &AgentActivity) -> Result<(), StoreError> {
        let mut g = self.lock()?;
        let entry = g
            .agent_activity
            .entry(activity.conversation.clone())
            .or_insert(0);
        *entry = (*entry).max(activity.created_ms);
        Ok(())
    }
}

impl Accounts for MemoryStore {
    async fn put_account(&self, account: &AccountRecord) -> Result<(), StoreError> {
        let mut g = self.lock()?;
        g.accounts.insert(account.id.clone(), account.clone());
        Ok(())
    }

    async fn get_account(&self, id: &AccountId) -> Result<Option<AccountRecord>, StoreError> {
        Ok(self.lock()?.accounts.get(id).cloned())
    }

    async fn list_accounts(&self) -> Result<Vec<AccountRecord>, StoreError> {
        Ok(self.lock()?.accounts.values().cloned().collect())
    }
}

impl Revocations for MemoryStore {
    async fn revoke_account(&self, id: &AccountId, now_ms: u64) -> Result<(), StoreError> {
        let mut g = self.lock()?;
        g.accounts.remove(id);
        g.forgets.insert(id.clone(), now_ms);
        Ok(())
    }

    async fn pending_forgets(&self, limit: usize) -> Result<Vec<PendingForget>, StoreError> {
        let g = self.lock()?;
        let mut pending: Vec<PendingForget> = g
            .forgets
            .iter()
            .map(|(account, at)| PendingForget {
                account: account.clone(),
                requested_ms: *at,
            })
            .collect();
        pending.sort_by_key(|p| p.requested_ms);
        pending.truncate(limit);
        Ok(pending)
    }

    async fn forget_step(
        &self,
        id: &AccountId,
        _max_entries: usize,
    ) -> Result<ForgetStep, StoreError> {
        let mut g = self.lock()?;
        let mut removed = 0u64;
        let before = g.inbound.len();
        g.inbound.retain(|(k, _), _| &k.account != id);
        removed += (before - g.inbound.len()) as u64;
        let before = g.sent.len();
        g.sent.retain(|(k, _), _| &k.account != id);
        removed += (before - g.sent.len()) as u64;
        let before = g.conversations.len();
        g.conversations.retain(|k, _| &k.account != id);
        removed += (before - g.conversations.len()) as u64;
        let before = g.agent_activity.len();
        g.agent_activity.retain(|k, _| &k.account != id);
        removed += (before - g.agent_activity.len()) as u64;
        let before = g.media.len();
        g.media.retain(|(a, _), _| a != id);
        removed += (before - g.media.len()) as u64;
        g.forgets.remove(id);
        Ok(ForgetStep {
            removed,
            done: true,
        })
    }
}

impl Flows for MemoryStore {
    async fn put_flow(&self, flow: &FlowRecord) -> Result<(), StoreError> {
        let mut g = self.lock()?;
        let newest = g
            .flows
            .range((flow.flow_id.clone(), 0)..=(flow.flow_id.clone(), u64::MAX))
            .next_back()
            .map(|((_, v), _)| *v);
        rules::check_new_flow(newest, flow)?;
        g.flows
            .insert((flow.flow_id.clone(), flow.version), flow.clone());
        Ok(())
    }

    async fn get_flow(&self, flow_id: &str) -> Result<Option<FlowRecord>, StoreError> {
        let g = self.lock()?;
        Ok(g.flows
            .range((flow_id.to_string(), 0)..=(flow_id.to_string(), u64::MAX))
            .next_back()
            .map(|(_, f)| f.clone()))
    }
}

impl MediaCache for MemoryStore {
    async fn get_media(
        &self,
        account: &AccountId,
        content_sha256: &str,
    ) -> Result<Option<MediaRef>, StoreError> {
        let g = self.lock()?;
        Ok(g.media
            .get(&(account.clone(), content_sha256.to_string()))
            .cloned())
    }

    async fn put_media(
        &self,
        account: &AccountId,
        content_sha256: &str,
        media: &MediaRef,
    ) -> Result<(), StoreError> {
        let mut g = self.lock()?;
        g.media
            .insert((account.clone(), content_sha256.to_string()), media.clone());
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// Pending Twitter Sign-ins (see `store::signin`).
// ---------------------------------------------------------------------------------------------

impl PendingSignins for MemoryStore {
    async fn put_pending_signin(&self, pending: &PendingSignin) -> Result<(), StoreError> {
        self.lock()?
            .pending_signins
            .insert(pending.request_token.clone(), pending.clone());
        Ok(())
    }

    async fn get_pending_signin(
        &self,
        request_token: &str,
        now_ms: u64,
    ) -> Result<Option<PendingSignin>, StoreError> {
        let found = self.lock()?.pending_signins.get(request_token).cloned();
        Ok(found.filter(|p| p.is_live(now_ms)))
    }

    async fn take_pending_signin(
        &self,
        request_token: &str,
        now_ms: u64,
    ) -> Result<Option<PendingSignin>, StoreError> {
        let taken = self.lock()?.pending_signins.remove(request_token);
        Ok(taken.filter(|p| p.is_live(now_ms)))
    }
}

// ---------------------------------------------------------------------------------------------
// Sign-in invites (see `store::invites`).
// ---------------------------------------------------------------------------------------------

impl Invites for MemoryStore {
    async fn put_invite(&self, invite: &InviteRecord) -> Result<(), StoreError> {
        self.lock()?
            .invites
            .insert(invite.id.clone(), invite.clone());
        Ok(())
    }

    async fn get_invite(
        &self,
        id: &InviteId,
        now_ms: u64,
    ) -> Result<Option<InviteRecord>, StoreError> {
        let found = self.lock()?.invites.get(id).cloned();
        Ok(found.filter(|i| i.is_live(now_ms)))
    }

    async fn take_invite(
        &self,
        id: &InviteId,
        now_ms: u64,
    ) -> Result<Option<InviteRecord>, StoreError> {
        let mut g = self.lock()?;
        if !g.invites.get(id).is_some_and(|i| i.is_live(now_ms)) {
            return Ok(None);
        }
        Ok(g.invites.remove(id))
    }

    async fn list_invites(&self, now_ms: u64) -> Result<Vec<InviteRecord>, StoreError> {
        let mut live: Vec<_> = self
            .lock()?
            .invites
            .values()
            .filter(|i| i.is_live(now_ms))
            .cloned()
            .collect();
        sort_for_listing(&mut live);
        Ok(live)
    }

    async fn revoke_invite(&self, id: &InviteId) -> Result<bool, StoreError> {
        Ok(self.lock()?.invites.remove(id).is_some())
    }
}

impl Health for MemoryStore {
    async fn record_crc(&self, at_ms: u64, latency_us: u64) -> Result<(), StoreError> {
        self.lock()?.health.apply_crc(at_ms, latency_us);
        Ok(())
    }

    async fn record_delivery(&self, at_ms: u64) -> Result<(), StoreError> {
        self.lock()?.health.apply_delivery(at_ms);
        Ok(())
    }

    async fn record_watchdog_run(&self, run: &WatchdogRun) -> Result<(), StoreError> {
        self.lock()?.health.last_watchdog = Some(run.clone());
        Ok(())
    }

    async fn get_health(&self) -> Result<HealthRecord, StoreError> {
        Ok(self.lock()?.health.clone())
    }
}
