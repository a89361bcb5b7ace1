//! The send budget: how many calls of a kind (DM sends) may still be made in a time window, per
//! account and per app, shared by every process (every Lambda container), so that dmbot never
//! learns a limit of X by hitting it.
//!
//! **Windows.** A budget is counted in fixed windows of [`WindowSpec::length_ms`], aligned to
//! the epoch: the window containing `now_ms` starts at `now_ms - now_ms % length_ms`
//! ([`rules::window_start`](super::rules::window_start)) and ends `length_ms` later. Each window
//! is its own counter, so a new window grants again without anyone resetting anything.
//!
//! **Semantics** (pinned by the contract cases in `tests/store_contract/budget.rs`):
//! - [`SendBudget::try_take`] atomically adds one to the window containing `now_ms` only while
//!   its count is below `limit` and the window is not blocked at `now_ms` (see `observe`):
//!   [`Taken::Granted`] with the new count, or [`Taken::Spent`] with when to try again (the
//!   window's end when the count is spent, otherwise the end of the block). Of any number of
//!   concurrent takers on a limit of `n`, exactly `n` are granted. A limit of 0 is never granted.
//! - [`SendBudget::give_back`] takes one back from the window that granted it (the call was not
//!   made after all). It never goes below 0; giving back to a window that is gone does nothing.
//! - [`SendBudget::observe`] corrects the budget from X's `x-rate-limit-*` headers: the count of
//!   the window containing `now_ms` becomes at least `limit - remaining` (it is never lowered).
//!   When X says none remain (`remaining == 0`) and its reset lies past that window's end, the
//!   next window is blocked until X's reset (capped at that window's end): takes in it are
//!   [`Taken::Spent`] with `reset_at_ms` the reset. So once X says 0 remain, no take is granted
//!   before both our window and X's have ended.
//! - [`SendBudget::blocked_until`] reads (never writes) the block `observe` put on the window
//!   containing `now_ms`: its end when it lies past `now_ms`, otherwise `None`.
//! - `now_ms` need not be the present: [`SendBudget::try_take`] called with a FUTURE `now_ms`
//!   reserves a slot in the later window containing it (counted there, refused when that
//!   window is spent or blocked at that time), which is how a deferred message holds its place.
//!   No store forgets a window a take for the present may still count in because a later
//!   window was taken from.
//!
//! Implementations: [`crate::store::memory::MemoryStore`], `embedded/budget.rs` (table
//! `budget`, key `(scope, window name, window start)`; a budget's take removes its windows that
//! ended a window length or more before) and `dynamodb/budget.rs`: item
//! `pk = BUDGET#<account id>` or `BUDGET#APP`, `sk = <window name>#<window start ms, 20 digits>`,
//! `kind = budget`, `used` N, `window_end_ms` N, `blocked_until_ms` N (only when `observe`
//! blocked it) and the TTL attribute `expires_at` (N, seconds: one window length after the
//! window's end). A take is one UpdateItem (`ADD used :one` on the condition that the count is
//! below the limit and the window is not blocked); `blocked_until` is one consistent GetItem.

use std::future::Future;

use super::StoreError;
use crate::domain::AccountId;

/// Whose budget: the app's (shared by every account) or one account's (its user token).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum BudgetScope {
    App,
    Account(AccountId),
}

impl BudgetScope {
    /// `APP` or the account id: the scope in item keys.
    pub fn key_part(&self) -> String {
        match self {
            BudgetScope::App => "APP".to_string(),
            BudgetScope::Account(id) => id.to_string(),
        }
    }
}

/// A kind of window: its name (part of the stored key: letters and digits, no `#`) and length.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct WindowSpec {
    pub name: &'static str,
    pub length_ms: u64,
}

impl WindowSpec {
    /// X's short DM window: 15 sends per 15 minutes per user token.
    pub const QUARTER_HOUR: WindowSpec = WindowSpec {
        name: "15m",
        length_ms: 15 * 60 * 1000,
    };
    /// X's daily DM window: 1,440 sends per 24 hours per user and per app.
    pub const DAY: WindowSpec = WindowSpec {
        name: "24h",
        length_ms: 24 * 3600 * 1000,
    };
}

/// One budget: whose, and which window.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct BudgetKey {
    pub scope: BudgetScope,
    pub window: WindowSpec,
}

impl BudgetKey {
    pub fn new(scope: BudgetScope, window: WindowSpec) -> Self {
        Self { scope, window }
    }
}

/// The answer of [`SendBudget::try_take`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Taken {
    /// One slot is yours: the window's count is now `used`. Hand `window_start_ms` to
    /// [`SendBudget::give_back`] if the call is not made after all.
    Granted {
        used: u64,
        window_start_ms: u64,
        window_end_ms: u64,
    },
    /// Nothing left: do not make the call before `reset_at_ms`.
    Spent { reset_at_ms: u64 },
}

/// Where send budgets are counted. See the module documentation for the exact semantics.
pub trait SendBudget: Send + Sync {
    /// Takes one slot of the window of `key` containing `now_ms` if fewer than `limit` are used
    /// and the window is not blocked. Atomic across processes. `now_ms` may lie in the future:
    /// that reserves a slot in the later window containing it.
    fn try_take(
        &self,
        key: &BudgetKey,
        limit: u32,
        now_ms: u64,
    ) -> impl Future<Output = Result<Taken, StoreError>> + Send;

    /// Returns one slot to the window starting at `window_start_ms` (from [`Taken::Granted`]);
    /// never below 0.
    fn give_back(
        &self,
        key: &BudgetKey,
        window_start_ms: u64,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Corrects the budget from X's headers: `limit` (`x-rate-limit-limit`), `remaining`
    /// (`x-rate-limit-remaining`) and `reset_at_ms` (`x-rate-limit-reset`, in ms), seen at
    /// `now_ms`. Only ever makes the budget tighter.
    fn observe(
        &self,
        key: &BudgetKey,
        limit: u32,
        remaining: u32,
        reset_at_ms: Option<u64>,
        now_ms: u64,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// When the window of `key` containing `now_ms` is blocked by `observe` past `now_ms`: until when.
    fn blocked_until(
        &self,
        key: &BudgetKey,
        now_ms: u64,
    ) -> impl Future<Output = Result<Option<u64>, StoreError>> + Send;
}

#[cfg(feature = "dynamodb")]
pub use super::dynamodb::budget::{KIND_BUDGET, budget_pk, budget_sk};
