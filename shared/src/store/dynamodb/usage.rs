//! The usage port on DynamoDB: one item per owner and day, `pk = USAGE#<owner>` (`APP` or the
//! account id), `sk = <YYYY-MM-DD>`, `kind = usage`, one number attribute per billable kind
//! (named [`BillableKind::as_str`]) and the TTL attribute `expires_at`
//! ([`USAGE_TTL_DAYS`] after the day). A record is one UpdateItem (`ADD`), a range one Query.

use std::collections::{BTreeMap, HashMap};

use aws_sdk_dynamodb::types::AttributeValue;

use super::DynamoStore;
use super::codec::{ItemView, corrupt, n, opt_n, s};
use super::error::SdkResult;
use super::item::{ATTR_EXPIRES_AT, ATTR_KIND, ATTR_PK, ATTR_SK};
use crate::domain::AccountId;
use crate::store::StoreError;
use crate::store::usage::{BillableKind, DayUsage, USAGE_TTL_DAYS, Usage, UsageDay, owner_key};

pub const KIND_USAGE: &str = "usage";

/// `USAGE#APP` or `USAGE#<account id>`.
pub fn usage_pk(account: Option<&AccountId>) -> String {
    format!("USAGE#{}", owner_key(account))
}

/// The TTL of a day's item: [`USAGE_TTL_DAYS`] after the day (seconds since the epoch).
fn expires_at(day: &UsageDay) -> u64 {
    // The item's day is not parsed back to a time: the record is written "now", on that day.
    let days_since_epoch = days_from_civil(day).unwrap_or(0);
    (days_since_epoch + 1 + USAGE_TTL_DAYS) * 86_400
}

/// Days since 1970-01-01 of a well-formed day (H. Hinnant's algorithm).
fn days_from_civil(day: &UsageDay) -> Option<u64> {
    let s = day.as_str();
    let (y, m, d): (u64, u64, u64) = (
        s.get(0..4)?.parse().ok()?,
        s.get(5..7)?.parse().ok()?,
        s.get(8..10)?.parse().ok()?,
    );
    let y = if m <= 2 { y.checked_sub(1)? } else { y };
    let era = y / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    (era * 146_097 + doe).checked_sub(719_468)
}

fn decode(item: &HashMap<String, AttributeValue>) -> Result<DayUsage, StoreError> {
    let sk = item.string_attr(ATTR_SK).unwrap_or_default();
    let day = UsageDay::parse(sk).ok_or_else(|| corrupt(item, "usage", "the day is malformed"))?;
    let mut counts = BTreeMap::new();
    for kind in BillableKind::ALL {
        if let Some(count) = opt_n(item, "usage", kind.as_str())?.filter(|c| *c > 0) {
            counts.insert(kind, count);
        }
    }
    Ok(DayUsage { day, counts })
}

impl Usage for DynamoStore {
    async fn record(
        &self,
        account: Option<&AccountId>,
        day: &UsageDay,
        kind: BillableKind,
        count: u32,
    ) -> Result<(), StoreError> {
        if count == 0 {
            return Ok(());
        }
        self.client()
            .update_item()
            .table_name(self.table_name())
            .set_key(Some(Self::key(usage_pk(account), day.as_str().to_string())))
            .update_expression("ADD #count :n SET #kind = :kind, #exp = :exp")
            .expression_attribute_names("#count", kind.as_str())
            .expression_attribute_names("#kind", ATTR_KIND)
            .expression_attribute_names("#exp", ATTR_EXPIRES_AT)
            .expression_attribute_values(":n", n(u64::from(count)))
            .expression_attribute_values(":kind", s(KIND_USAGE))
            .expression_attribute_values(":exp", n(expires_at(day)))
            .send()
            .await
            .sdk(self, "UpdateItem")?;
        Ok(())
    }

    async fn usage(
        &self,
        account: Option<&AccountId>,
        from: &UsageDay,
        to: &UsageDay,
    ) -> Result<Vec<DayUsage>, StoreError> {
        if from > to {
            return Ok(Vec::new());
        }
        let mut days = Vec::new();
        let mut start: Option<HashMap<String, AttributeValue>> = None;
        loop {
            let out = self
                .client()
                .query()
                .table_name(self.table_name())
                .consistent_read(true)
                .key_condition_expression("#pk = :pk AND #sk BETWEEN :from AND :to")
                .expression_attribute_names("#pk", ATTR_PK)
                .expression_attribute_names("#sk", ATTR_SK)
                .expression_attribute_values(":pk", s(usage_pk(account)))
                .expression_attribute_values(":from", s(from.as_str()))
                .expression_attribute_values(":to", s(to.as_str()))
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .sdk(self, "Query")?;
            for item in out.items.unwrap_or_default() {
                days.push(decode(&item)?);
            }
            match out.last_evaluated_key {
                Some(key) if !key.is_empty() => start = Some(key),
                _ => return Ok(days),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_days_item_expires_usage_ttl_days_after_the_day() {
        let day = UsageDay::from_ms(1_795_910_400_000);
        assert_eq!(days_from_civil(&day), Some(1_795_910_400 / 86_400));
        assert_eq!(days_from_civil(&UsageDay::from_ms(0)), Some(0));
        assert_eq!(
            expires_at(&day),
            1_795_910_400 + 86_400 * (1 + USAGE_TTL_DAYS)
        );
    }
}
