//! The send budget port on DynamoDB: one item per budget window, `pk = BUDGET#<scope>`,
//! `sk = <window name>#<window start ms, 20 digits>`, `kind = budget`, `used` N,
//! `window_end_ms` N, `blocked_until_ms` N (set by `observe` only) and the TTL attribute
//! `expires_at` (seconds: one window length after the window's end, so a taker whose clock is a
//! little behind still finds the window it counts in). Every change is one conditional
//! UpdateItem, so concurrent containers share the count exactly.

use aws_sdk_dynamodb::operation::update_item::builders::UpdateItemFluentBuilder;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};

use super::DynamoStore;
use super::codec::{ItemView, n, opt_n, s};
use super::error::{SdkResult, is_conditional_failure};
use super::item::{ATTR_EXPIRES_AT, ATTR_KIND};
use crate::store::StoreError;
use crate::store::budget::{BudgetKey, BudgetScope, SendBudget, Taken, WindowSpec};
use crate::store::rules::{self, BudgetWindow};

pub const KIND_BUDGET: &str = "budget";
/// Slots taken in the window (number).
pub const ATTR_USED: &str = "used";
/// When the window ends (ms, number).
pub const ATTR_WINDOW_END_MS: &str = "window_end_ms";
/// No take before this (ms, number): set by `observe` from X's reset.
pub const ATTR_BLOCKED_UNTIL_MS: &str = "blocked_until_ms";

/// How often a take is tried again when its condition failed but the window, read right after,
/// would grant (a `give_back` came in between).
const TAKE_ATTEMPTS: u32 = 3;

/// `BUDGET#APP` or `BUDGET#<account id>`.
pub fn budget_pk(scope: &BudgetScope) -> String {
    format!("BUDGET#{}", scope.key_part())
}

/// `<window name>#<window start ms, 20 digits>` (zero-padded so windows sort by time).
pub fn budget_sk(window: &WindowSpec, start_ms: u64) -> String {
    format!("{}#{start_ms:020}", window.name)
}

impl DynamoStore {
    /// An UpdateItem on the window of `key` starting at `start_ms` that also sets `kind`, the
    /// window's end and its TTL; `set` is added to the `SET` clause, `add` is the `ADD` clause.
    fn budget_update(
        &self,
        key: &BudgetKey,
        start_ms: u64,
        set: &str,
        add: &str,
    ) -> UpdateItemFluentBuilder {
        let end_ms = start_ms.saturating_add(key.window.length_ms);
        let set = if set.is_empty() {
            String::new()
        } else {
            format!(", {set}")
        };
        self.client()
            .update_item()
            .table_name(self.table_name())
            .set_key(Some(Self::key(
                budget_pk(&key.scope),
                budget_sk(&key.window, start_ms),
            )))
            .update_expression(format!(
                "{add} SET #kind = :kind, #end = :end, #exp = :exp{set}"
            ))
            .expression_attribute_names("#kind", ATTR_KIND)
            .expression_attribute_names("#end", ATTR_WINDOW_END_MS)
            .expression_attribute_names("#exp", ATTR_EXPIRES_AT)
            .expression_attribute_values(":kind", s(KIND_BUDGET))
            .expression_attribute_values(":end", n(end_ms))
            .expression_attribute_values(
                ":exp",
                n(end_ms.saturating_add(key.window.length_ms) / 1000 + 1),
            )
    }

    /// The window of `key` starting at `start_ms` as stored (empty when absent).
    async fn budget_window(
        &self,
        key: &BudgetKey,
        start_ms: u64,
    ) -> Result<BudgetWindow, StoreError> {
        let item = self
            .get(budget_pk(&key.scope), budget_sk(&key.window, start_ms))
            .await?;
        let Some(item) = item else {
            return Ok(BudgetWindow::default());
        };
        Ok(BudgetWindow {
            used: opt_n(&item, "budget window", ATTR_USED)?.unwrap_or(0),
            blocked_until_ms: opt_n(&item, "budget window", ATTR_BLOCKED_UNTIL_MS)?,
        })
    }

    /// Sends a conditional update whose failed condition means "nothing to change".
    async fn budget_raise(&self, request: UpdateItemFluentBuilder) -> Result<(), StoreError> {
        match request.send().await {
            Err(e) if is_conditional_failure(&e) => Ok(()),
            result => result.map(drop).sdk(self, "UpdateItem"),
        }
    }
}

impl SendBudget for DynamoStore {
    async fn try_take(
        &self,
        key: &BudgetKey,
        limit: u32,
        now_ms: u64,
    ) -> Result<Taken, StoreError> {
        let length = key.window.length_ms;
        let start = rules::window_start(now_ms, length);
        let end = start.saturating_add(length);
        if limit == 0 {
            return Ok(Taken::Spent { reset_at_ms: end });
        }
        for _ in 0..TAKE_ATTEMPTS {
            let result = self
                .budget_update(key, start, "", "ADD #used :one")
                .condition_expression(
                    "(attribute_not_exists(#used) OR #used < :limit) \
                     AND (attribute_not_exists(#blocked) OR #blocked <= :now)",
                )
                .expression_attribute_names("#used", ATTR_USED)
                .expression_attribute_names("#blocked", ATTR_BLOCKED_UNTIL_MS)
                .expression_attribute_values(":one", n(1))
                .expression_attribute_values(":limit", n(u64::from(limit)))
                .expression_attribute_values(":now", n(now_ms))
                .return_values(ReturnValue::UpdatedNew)
                .send()
                .await;
            match result {
                Ok(out) => {
                    let attributes = out.attributes.unwrap_or_default();
                    let used = attributes
                        .number_attr(ATTR_USED)
                        .and_then(|v| v.parse().ok())
                        .ok_or_else(|| StoreError::Corrupt {
                            what: format!("budget window {}", budget_pk(&key.scope)),
                            detail: "the update returned no whole `used`".into(),
                        })?;
                    return Ok(Taken::Granted {
                        used,
                        window_start_ms: start,
                        window_end_ms: end,
                    });
                }
                Err(e) if is_conditional_failure(&e) => {
                    let window = self.budget_window(key, start).await?;
                    if let Some(reset_at_ms) = rules::refused_until(&window, limit, now_ms, end) {
                        return Ok(Taken::Spent { reset_at_ms });
                    }
                }
                Err(e) => return Err(self.sdk_error("UpdateItem", e)),
            }
        }
        Err(StoreError::Conflict {
            what: format!("send budget {} {}", budget_pk(&key.scope), key.window.name),
        })
    }

    async fn give_back(&self, key: &BudgetKey, window_start_ms: u64) -> Result<(), StoreError> {
        let request = self
            .budget_update(key, window_start_ms, "", "ADD #used :minus")
            .condition_expression("#used > :zero")
            .expression_attribute_names("#used", ATTR_USED)
            .expression_attribute_values(":minus", AttributeValue::N("-1".into()))
            .expression_attribute_values(":zero", n(0));
        self.budget_raise(request).await
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
        if plan.floor > 0 {
            let request = self
                .budget_update(key, plan.start_ms, "#used = :floor", "")
                .condition_expression("attribute_not_exists(#used) OR #used < :floor")
                .expression_attribute_names("#used", ATTR_USED)
                .expression_attribute_values(":floor", n(plan.floor));
            self.budget_raise(request).await?;
        }
        if let Some((next_start, until)) = plan.block_next {
            let request = self
                .budget_update(key, next_start, "#blocked = :until", "")
                .condition_expression("attribute_not_exists(#blocked) OR #blocked < :until")
                .expression_attribute_names("#blocked", ATTR_BLOCKED_UNTIL_MS)
                .expression_attribute_values(":until", n(until));
            self.budget_raise(request).await?;
        }
        Ok(())
    }

    /// One GetItem (consistent) of the window containing `now_ms`.
    async fn blocked_until(&self, key: &BudgetKey, now_ms: u64) -> Result<Option<u64>, StoreError> {
        let start = rules::window_start(now_ms, key.window.length_ms);
        let window = self.budget_window(key, start).await?;
        Ok(rules::blocked_at(&window, now_ms))
    }
}
