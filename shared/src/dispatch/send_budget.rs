//! The send budget as the dispatcher spends it ([`crate::store::SendBudget`], limits from
//! [`crate::config::SendLimits`]): no call to X is made that X's limits would refuse.
//!
//! - **A reply** takes one slot in each of its windows (the account's short and 24-hour
//!   windows, the app's 24-hour window) before anything is sent. When one is spent, the message
//!   **reserves** a slot in the first later window with room in all of them (a take at that
//!   window's time) and is put off until then, with the reservation written on it (`slot_ms`).
//!   Reservations are taken in the order messages come, and a window's count includes them, so
//!   a message that comes later can neither jump ahead into a reserved window nor take a
//!   reserved slot: customers are answered first come, first served, at the pace X allows.
//! - **A reservation** is used as it is when the message comes back in its window, unless X's
//!   headers have since blocked the window (`SendBudget::observe`): then it waits for X's reset,
//!   keeping its slot. A reservation whose windows have passed is dropped and a slot taken anew.
//! - **What X says** on every send (the `x-rate-limit-*`, `x-user-limit-24hour-*` and
//!   `x-app-limit-24hour-*` headers) corrects the windows; a 429 blocks until X's reset.
//! - **Cosmetic calls** (v1.1 typing indicator and read receipt) have their own budget and go
//!   only once the reply's slot is secured, so they never cost a reply.
//! - **The recovery look-up** (reading DM events to learn whether an earlier attempt's reply went
//!   out) has its own small budget; when spent the message waits for it rather than risk a
//!   second reply.

use super::{Dispatcher, Failure, Store};
use crate::domain::{AccountId, EventId, InboundRecord, now_ms};
use crate::store::AttemptMark;
use crate::store::budget::{BudgetKey, BudgetScope, Taken, WindowSpec};
use crate::store::rules::window_start;
use crate::twitter::errors::{RateLimit, RateWindows};

/// How many windows ahead a reservation is looked for before the message is simply put off to
/// the furthest one tried (it reserves again then).
const MAX_WINDOWS_AHEAD: usize = 400;

/// Slots taken for one call: given back if the call is not made after all.
#[derive(Debug, Default)]
pub(super) struct Grant {
    taken: Vec<(BudgetKey, u64)>,
}

/// Which of X's windows a budget counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Span {
    Short,
    Day,
}

impl<S: Store + Clone + Send + Sync + 'static> Dispatcher<S> {
    fn window(&self, name: &'static str, span: Span) -> WindowSpec {
        let l = &self.config.limits;
        let length_ms = match span {
            Span::Short => l.window_ms,
            Span::Day => l.day_ms,
        };
        WindowSpec { name, length_ms }
    }

    /// The budgets a DM send counts against, with their limits (those configured).
    fn send_budgets(&self, account: &AccountId) -> Vec<(BudgetKey, u32, Span)> {
        let l = &self.config.limits;
        let mine = || BudgetScope::Account(account.clone());
        [
            (mine(), "send", Span::Short, l.sends_per_account_window),
            (mine(), "sendday", Span::Day, l.sends_per_account_day),
            (BudgetScope::App, "sendday", Span::Day, l.sends_per_app_day),
        ]
        .into_iter()
        .filter_map(|(scope, name, span, limit)| {
            limit.map(|n| (BudgetKey::new(scope, self.window(name, span)), n, span))
        })
        .collect()
    }

    /// One slot in every budget of `keys` at `at_ms`: all of them, or none (those taken are
    /// given back) and the time to try again.
    async fn take_all(
        &self,
        keys: &[(BudgetKey, u32, Span)],
        at_ms: u64,
    ) -> Result<Result<Grant, u64>, Failure> {
        let mut grant = Grant::default();
        for (key, limit, _) in keys {
            match self.store.try_take(key, *limit, at_ms).await? {
                Taken::Granted {
                    window_start_ms, ..
                } => grant.taken.push((key.clone(), window_start_ms)),
                Taken::Spent { reset_at_ms } => {
                    self.give_back(grant).await;
                    return Ok(Err(reset_at_ms.max(at_ms + 1)));
                }
            }
        }
        Ok(Ok(grant))
    }

    /// Returns what `grant` took (the call was not made). Best effort: a slot not returned
    /// only makes the budget tighter.
    pub(super) async fn give_back(&self, grant: Grant) {
        for (key, start) in grant.taken {
            if let Err(e) = self.store.give_back(&key, start).await {
                tracing::warn!(error = %e, "could not return an unused send slot");
            }
        }
    }

    /// A slot for `record`'s reply: `Ok` to send now (give the grant back if it is not sent),
    /// or a [`Failure::Defer`] to the window where a slot is reserved for it.
    pub(super) async fn send_slot(&self, record: &InboundRecord) -> Result<Grant, Failure> {
        let account = &record.message.conversation.account;
        let keys = self.send_budgets(account);
        if keys.is_empty() {
            return Ok(Grant::default());
        }
        let now = now_ms();
        if let Some(slot) = record.attempt.slot_ms {
            let same_windows = keys.iter().all(|(k, _, _)| {
                window_start(slot, k.window.length_ms) == window_start(now, k.window.length_ms)
            });
            if now < slot {
                return Err(self.reserved_defer(slot, slot, "its reserved send slot"));
            }
            if same_windows {
                for (key, _, _) in &keys {
                    if let Some(until) = self.store.blocked_until(key, now).await? {
                        return Err(self.reserved_defer(
                            until,
                            slot,
                            "X's rate limit, which resets then (its reserved slot is kept)",
                        ));
                    }
                }
                return Ok(Self::reservation(&keys, slot));
            }
            tracing::info!(
                slot_ms = slot,
                "the reserved send slot has passed; taking a new one"
            );
        }
        let mut at = match self.take_all(&keys, now).await? {
            Ok(grant) => return Ok(grant),
            Err(retry_at) => retry_at,
        };
        for _ in 0..MAX_WINDOWS_AHEAD {
            match self.take_all(&keys, at).await? {
                Ok(_reserved) => {
                    return Err(self.reserved_defer(at, at, "a send slot reserved then"));
                }
                Err(next) => at = next,
            }
        }
        Err(Failure::Defer {
            until_ms: at,
            reason: "the send budget is spent as far ahead as it is counted; it will \
                     reserve again then"
                .into(),
            slot_ms: None,
        })
    }

    /// A message coalesced into `later` (see `order.rs`) passes its reserved slot, when it
    /// holds one that is still usable, to `later` if that has none (so the reply keeps this
    /// message's place in line), else gives it back.
    pub(super) async fn hand_over_slot(&self, record: &InboundRecord, later: &EventId) {
        let Some(slot) = record.attempt.slot_ms else {
            return;
        };
        let key = &record.message.conversation;
        let keys = self.send_budgets(&key.account);
        let now = now_ms();
        let usable = keys.iter().all(|(k, _, _)| {
            window_start(slot, k.window.length_ms) >= window_start(now, k.window.length_ms)
        });
        if !usable {
            return;
        }
        let taker = match self.store.get_inbound(key, later).await {
            Ok(Some(r)) if r.status == crate::domain::InboundStatus::Pending => r,
            _ => return self.give_back(Self::reservation(&keys, slot)).await,
        };
        if taker.attempt.slot_ms.is_some() {
            return self.give_back(Self::reservation(&keys, slot)).await;
        }
        let mark = AttemptMark::Deferred {
            until_ms: taker.attempt.not_before_ms.unwrap_or(now).max(slot),
            reason: format!(
                "takes over the send slot of {} (coalesced into it)",
                record.message.event_id
            ),
            release_lease: false,
            slot_ms: Some(slot),
        };
        match self.store.mark_inbound(key, later, &mark).await {
            Ok(true) => tracing::info!(%later, slot_ms = slot, "reserved send slot handed over"),
            _ => self.give_back(Self::reservation(&keys, slot)).await,
        }
    }

    fn reservation(keys: &[(BudgetKey, u32, Span)], slot: u64) -> Grant {
        Grant {
            taken: keys
                .iter()
                .map(|(k, _, _)| (k.clone(), window_start(slot, k.window.length_ms)))
                .collect(),
        }
    }

    fn reserved_defer(&self, until_ms: u64, slot_ms: u64, what: &str) -> Failure {
        let l = &self.config.limits;
        Failure::Defer {
            until_ms,
            reason: format!(
                "waiting for X's DM limit (per account {} per {} s and {} per {} s, per app {} \
                 per {} s): {what}",
                show(l.sends_per_account_window),
                l.window_ms / 1000,
                show(l.sends_per_account_day),
                l.day_ms / 1000,
                show(l.sends_per_app_day),
                l.day_ms / 1000,
            ),
            slot_ms: Some(slot_ms),
        }
    }

    /// Corrects the send budgets of `account` from what X reported on a send's answer.
    pub(super) async fn observe_send(&self, account: &AccountId, windows: &RateWindows) {
        let now = now_ms();
        for (key, limit, span) in self.send_budgets(account) {
            let seen = match (&key.scope, span) {
                (BudgetScope::Account(_), Span::Short) => windows.main.filter(|r| {
                    // The endpoint's own window, when it is the short one.
                    r.reset_at
                        .is_none_or(|s| s * 1000 <= now + key.window.length_ms + 60_000)
                }),
                (BudgetScope::Account(_), Span::Day) => {
                    windows.user_day.or(windows.main.filter(|r| {
                        r.reset_at
                            .is_some_and(|s| s * 1000 > now + key.window.length_ms)
                    }))
                }
                (BudgetScope::App, _) => windows.app_day,
            };
            if let Some(rate) = seen {
                self.observe_one(&key, limit, &rate, now).await;
            }
        }
    }

    /// Blocks `account`'s short send window (or the binding one) until X's reset after a 429.
    pub(super) async fn observe_refusal(&self, account: &AccountId, rate: RateLimit) {
        let exhausted = RateLimit {
            remaining: Some(0),
            ..rate
        };
        let windows = RateWindows {
            main: Some(exhausted),
            ..RateWindows::default()
        };
        self.observe_send(account, &windows).await;
    }

    async fn observe_one(&self, key: &BudgetKey, limit: u32, rate: &RateLimit, now: u64) {
        let Some(remaining) = rate.remaining else {
            return;
        };
        // Our limit with X's remaining: X's own limit may differ from the configured one, and
        // what X says is left is what binds.
        let reset_ms = rate.reset_at.map(|s| s.saturating_mul(1000));
        if let Err(e) = self
            .store
            .observe(key, limit, remaining.min(limit), reset_ms, now)
            .await
        {
            tracing::warn!(error = %e, "could not record X's rate-limit headers");
        }
    }

    /// One slot of `account`'s budget for a cosmetic call (typing, read receipt): whether to
    /// make it. Never an error: without room (or without a store), the call is skipped.
    pub(super) async fn cosmetic_slot(&self, account: &AccountId) -> bool {
        let Some(limit) = self.config.limits.cosmetic_per_account_window else {
            return true;
        };
        let key = BudgetKey::new(
            BudgetScope::Account(account.clone()),
            self.window("cosmetic", Span::Short),
        );
        matches!(
            self.store.try_take(&key, limit, now_ms()).await,
            Ok(Taken::Granted { .. })
        )
    }

    /// One slot of `account`'s look-up budget (reading DM events to learn whether an earlier
    /// reply went out): `Ok` to read a page, else a deferral until the budget has room, with
    /// `record`'s reservation kept.
    pub(super) async fn lookup_slot(&self, record: &InboundRecord) -> Result<(), Failure> {
        let Some(limit) = self.config.limits.lookups_per_account_window else {
            return Ok(());
        };
        let key = BudgetKey::new(
            BudgetScope::Account(record.message.conversation.account.clone()),
            self.window("lookup", Span::Short),
        );
        let now = now_ms();
        match self.store.try_take(&key, limit, now).await? {
            Taken::Granted { .. } => Ok(()),
            // Back soon rather than at the reset: the receipts are read again first, and the
            // echo that decides without any look-up usually arrives within seconds.
            Taken::Spent { reset_at_ms } => Err(Failure::Defer {
                until_ms: reset_at_ms.min(now + self.config.retry_defer.as_millis() as u64),
                reason: format!(
                    "the look-up budget ({limit} reads of DM events per {} s) is spent: the \
                     receipts are read again then, and X asked once the budget has room",
                    self.config.limits.window_ms / 1000
                ),
                slot_ms: record.attempt.slot_ms,
            }),
        }
    }
}

fn show(limit: Option<u32>) -> String {
    limit.map_or_else(|| "no limit".to_string(), |n| n.to_string())
}
