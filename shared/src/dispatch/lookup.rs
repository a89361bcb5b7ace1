//! Did an earlier attempt's reply go out? The receipts first (waiting a while for its echo),
//! then Twitter's own list of the account's messages.

use std::time::{Duration, Instant};

use super::recovery::{self, Verdict};
use super::{Dispatcher, Failure, ResolvedAccount, Store};
use crate::domain::{ConversationKey, EventId, InboundRecord, now_ms};
use crate::store::usage::BillableKind;
use crate::twitter::api_types::{DmEvent, PageSize};
/// How often the receipts are read again while an echo is waited for.
const ECHO_POLL_MS: u64 = 250;

/// The most pages (of 50 events on v1.1) the look-up for an unrecorded reply reads: the 200 newest events
/// of the account. The look-up is rare (only after a crash or an unknown send outcome) but the
/// list endpoint's rate limit is far lower than the send's, so it is bounded; when it gives up
/// or is refused, the reply is sent.
const LOOKUP_PAGES: usize = 4;

/// Events per page of the v2 look-up. X bills every event read ($0.010), and the conversation's
/// newest events hold the reply if it went out: small pages, read newest first.
const V2_LOOKUP_PAGE: u8 = 10;

impl<S: Store + Clone + Send + Sync + 'static> Dispatcher<S> {
    /// Whether the reply of an attempt that began sending at `sending_ms` went out: the
    /// conversation's receipts first, waiting up to [`DispatchConfig::echo_grace`] after the
    /// attempt (or after this dispatcher started, when it started later: the echo may have
    /// been refused while nobody listened, and Twitter retries it) for the echo to arrive;
    /// only then, when still undecided, Twitter's own list.
    pub(super) async fn earlier_reply(
        &self,
        account: &ResolvedAccount,
        record: &InboundRecord,
        sending_ms: u64,
        budget: Instant,
    ) -> Result<Verdict, Failure> {
        let key = &record.message.conversation;
        let event = &record.message.event_id;
        let grace_end_ms =
            sending_ms.max(self.started_ms) + self.config.echo_grace.as_millis() as u64;
        let mut receipts;
        loop {
            receipts = self
                .store_retry(budget, || self.store.receipts_after(key, event))
                .await?;
            let verdict = recovery::decide(&receipts, event, sending_ms);
            if verdict != Verdict::Undecided {
                return Ok(verdict);
            }
            let now = now_ms();
            if now >= grace_end_ms {
                break;
            }
            let wait = Duration::from_millis((grace_end_ms - now).min(ECHO_POLL_MS));
            if Instant::now() + wait >= budget {
                break;
            }
            tokio::time::sleep(wait).await;
        }
        tracing::warn!(
            "no receipt tells whether an earlier attempt's reply went out; asking Twitter"
        );
        let found = self
            .find_unrecorded_reply(account, record, sending_ms, &receipts, budget)
            .await?;
        Ok(match found {
            Some((id, ours)) if ours => Verdict::Ours(id),
            Some((id, _)) => Verdict::Person(id),
            None => Verdict::Undecided,
        })
    }

    /// A reply to `record` that is on Twitter but not in our receipts: a message from the
    /// account to the customer, created after the customer's message and after the first
    /// send attempt began (less [`recovery::CLOCK_SKEW_MS`]), that no other message claims.
    /// Returns its id and whether it came through our app (else a person wrote it). Best
    /// effort: when Twitter cannot be asked, `None`, and the caller sends. Reads the account's
    /// newest events page by page until it reaches back to that time, at most
    /// [`LOOKUP_PAGES`] pages of 50.
    pub(super) async fn find_unrecorded_reply(
        &self,
        account: &ResolvedAccount,
        record: &InboundRecord,
        sending_ms: u64,
        receipts: &[crate::store::Receipt],
        budget: Instant,
    ) -> Result<Option<(EventId, bool)>, Failure> {
        let key = &record.message.conversation;
        let event = &record.message.event_id;
        let since = record
            .message
            .created_ms
            .max(sending_ms.saturating_sub(recovery::CLOCK_SKEW_MS));
        if self.text_only() {
            return self
                .find_unrecorded_reply_v2(account, record, since, receipts, budget)
                .await;
        }
        let count = PageSize::new(PageSize::MAX).ok();
        let mut cursor: Option<String> = None;
        for _ in 0..LOOKUP_PAGES {
            if Instant::now() >= budget {
                return Ok(None);
            }
            self.lookup_slot(record).await?;
            // One attempt per page, no waiting: the list endpoint has a much lower rate limit
            // than sends, and a backlog must not spend its deadline on a best-effort check.
            let call = self
                .client
                .list_direct_messages(&account.tokens, count, cursor.as_deref());
            let page = match self.bounded(budget, call).await {
                Ok(p) => p,
                Err(e) => {
                    tracing::warn!(error = %e, "could not look for an earlier reply; sending");
                    return Ok(None);
                }
            };
            let read = u32::try_from(page.events.len()).unwrap_or(u32::MAX);
            self.count(&key.account, BillableKind::DmEventRead, read)
                .await;
            let found = page.events.iter().find(|e| {
                is_reply_after(e, key, since)
                    && !recovery::claimed_elsewhere(receipts, &e.id, event)
            });
            if let Some(found) = found {
                let source = found
                    .message_create
                    .as_ref()
                    .and_then(|m| m.source_app_id.as_deref());
                let ours = match (&self.config.app_id, source) {
                    (Some(app), Some(source)) => app == source,
                    // Without our app id, or without a source, it is taken for ours (the
                    // look-up's behaviour before receipts existed).
                    _ => true,
                };
                return Ok(Some((found.id.clone(), ours)));
            }
            // Newest first: once a page reaches back to that time, older pages cannot hold it.
            let reached_it = page
                .events
                .last()
                .is_none_or(|oldest| created_ms(oldest) <= since);
            match page.next_cursor {
                Some(next) if !reached_it => cursor = Some(next),
                _ => return Ok(None),
            }
        }
        tracing::warn!(
            pages = LOOKUP_PAGES,
            "the account sent too many messages since this one to look through them all; sending"
        );
        Ok(None)
    }
}

impl<S: Store + Clone + Send + Sync + 'static> Dispatcher<S> {
    /// [`Dispatcher::find_unrecorded_reply`] on X API v2: the conversation's own events
    /// (`/2/dm_conversations/with/:customer/dm_events`, newest first), at most [`LOOKUP_PAGES`]
    /// pages of [`V2_LOOKUP_PAGE`] events, each page only with room in the look-up budget. A message from the account after `since` that no other message claims is
    /// taken for ours: v2 events do not say which app sent them.
    async fn find_unrecorded_reply_v2(
        &self,
        account: &ResolvedAccount,
        record: &InboundRecord,
        since: u64,
        receipts: &[crate::store::Receipt],
        budget: Instant,
    ) -> Result<Option<(EventId, bool)>, Failure> {
        let key = &record.message.conversation;
        let event = &record.message.event_id;
        let mut cursor: Option<String> = None;
        for _ in 0..LOOKUP_PAGES {
            if Instant::now() >= budget {
                return Ok(None);
            }
            self.lookup_slot(record).await?;
            let call = self.client.dm_events_with_v2(
                &account.tokens,
                &key.customer,
                Some(V2_LOOKUP_PAGE),
                cursor.as_deref(),
            );
            let page = match self.bounded(budget, call).await {
                Ok(p) => p,
                Err(e) => {
                    tracing::warn!(error = %e, "could not look for an earlier reply; sending");
                    return Ok(None);
                }
            };
            let read = u32::try_from(page.events.len()).unwrap_or(u32::MAX);
            self.count(&key.account, BillableKind::DmEventRead, read)
                .await;
            let found = page.events.iter().find(|e| {
                e.sender_id.as_ref() == Some(&key.account)
                    && snowflake_ms(&e.id) > since
                    && !recovery::claimed_elsewhere(receipts, &e.id, event)
            });
            if let Some(found) = found {
                return Ok(Some((found.id.clone(), true)));
            }
            let reached_it = page
                .events
                .last()
                .is_none_or(|oldest| snowflake_ms(&oldest.id) <= since);
            match page.next_token {
                Some(next) if !reached_it => cursor = Some(next),
                _ => return Ok(None),
            }
        }
        Ok(None)
    }
}

/// When a message was created, read from its id: X's ids are snowflakes whose top bits are
/// milliseconds since 2010-11-04T01:42:54.657Z.
pub(super) fn snowflake_ms(id: &EventId) -> u64 {
    const TWITTER_EPOCH_MS: u128 = 1_288_834_974_657;
    u64::try_from((id.numeric() >> 22) + TWITTER_EPOCH_MS).unwrap_or(u64::MAX)
}

/// Whether `event` is a message from the conversation's account to its customer, created after
/// `after_ms`.
pub(super) fn is_reply_after(event: &DmEvent, key: &ConversationKey, after_ms: u64) -> bool {
    let Some(mc) = &event.message_create else {
        return false;
    };
    mc.sender_id == key.account
        && mc.target.recipient_id == key.customer
        && created_ms(event) > after_ms
}

/// When Twitter says `event` was created (0 when it does not say).
pub(super) fn created_ms(event: &DmEvent) -> u64 {
    event
        .created_timestamp
        .as_deref()
        .and_then(|t| t.parse::<u64>().ok())
        .unwrap_or(0)
}
