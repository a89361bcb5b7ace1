//! The send budget and usage ports on the in-memory store (see `store::budget`, `store::usage`).

use super::MemoryStore;
use crate::domain::AccountId;
use crate::store::StoreError;
use crate::store::budget::{BudgetKey, SendBudget, Taken};
use crate::store::rules;
use crate::store::usage::{BillableKind, DayUsage, Usage, UsageDay, owner_key};

impl SendBudget for MemoryStore {
    async fn try_take(
        &self,
        key: &BudgetKey,
        limit: u32,
        now_ms: u64,
    ) -> Result<Taken, StoreError> {
        let length = key.window.length_ms;
        let start = rules::window_start(now_ms, length);
        let mut g = self.lock()?;
        let window = g.budget.entry((key.clone(), start)).or_default();
        Ok(rules::take(window, limit, now_ms, start, length))
    }

    async fn give_back(&self, key: &BudgetKey, window_start_ms: u64) -> Result<(), StoreError> {
        if let Some(w) = self.lock()?.budget.get_mut(&(key.clone(), window_start_ms)) {
            w.used = w.used.saturating_sub(1);
        }
        Ok(())
    }

    async fn observe(
        &self,
        key: &BudgetKey,
        limit: u32,
        remaining: u32,
        reset_at_ms: Option<u64>,
        now_ms: u64,
    ) -> Result<(), StoreError> {
        let plan = rules::observe_plan(key.window.length_ms, limit, remaining, reset_at_ms, now_ms);
        let mut g = self.lock()?;
        let current = g.budget.entry((key.clone(), plan.start_ms)).or_default();
        rules::raise(current, plan.floor, None);
        if let Some((next_start, until)) = plan.block_next {
            let next = g.budget.entry((key.clone(), next_start)).or_default();
            rules::raise(next, 0, Some(until));
        }
        Ok(())
    }

    async fn blocked_until(&self, key: &BudgetKey, now_ms: u64) -> Result<Option<u64>, StoreError> {
        let start = rules::window_start(now_ms, key.window.length_ms);
        let g = self.lock()?;
        Ok(g.budget
            .get(&(key.clone(), start))
            .and_then(|w| rules::blocked_at(w, now_ms)))
    }
}

impl Usage for MemoryStore {
    async fn record(
        &self,
        account: Option<&AccountId>,
        day: &UsageDay,
        kind: BillableKind,
        count: u32,
    ) -> Result<(), StoreError> {
        let mut g = self.lock()?;
        if count == 0 {
            return Ok(());
        }
        let counts = g
            .usage
            .entry((owner_key(account), day.clone()))
            .or_default();
        *counts.entry(kind).or_default() += u64::from(count);
        Ok(())
    }

    async fn usage(
        &self,
        account: Option<&AccountId>,
        from: &UsageDay,
        to: &UsageDay,
    ) -> Result<Vec<DayUsage>, StoreError> {
        let owner = owner_key(account);
        if from > to {
            return Ok(Vec::new());
        }
        let g = self.lock()?;
        Ok(g.usage
            .range((owner.clone(), from.clone())..=(owner, to.clone()))
            .map(|((_, day), counts)| DayUsage {
                day: day.clone(),
                counts: counts.clone(),
            })
            .collect())
    }
}
