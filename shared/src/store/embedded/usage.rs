//! The usage port on the embedded store: table `usage`, key `(owner, day)`, value the day's
//! counts as JSON, by kind name (names this `dmbot` does not know are kept but not listed).

use std::collections::BTreeMap;

use redb::{ReadableDatabase, ReadableTable};

use super::error::Db;
use super::schema::USAGE;
use super::{EmbeddedStore, decode, encode};
use crate::domain::AccountId;
use crate::store::StoreError;
use crate::store::usage::{BillableKind, DayUsage, Usage, UsageDay, owner_key};

impl Usage for EmbeddedStore {
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
        let (owner, day) = (owner_key(account), day.as_str().to_string());
        self.write(move |txn, path| {
            let mut table = txn.open_table(USAGE).db(path)?;
            let key = (owner.as_str(), day.as_str());
            let mut counts: BTreeMap<String, u64> = match table.get(key).db(path)? {
                Some(raw) => decode("usage", &format!("{owner}/{day}"), raw.value())?,
                None => BTreeMap::new(),
            };
            let n = counts.entry(kind.as_str().to_string()).or_default();
            *n = n.saturating_add(u64::from(count));
            let value = encode("usage", &counts)?;
            table.insert(key, value.as_str()).db(path)?;
            Ok(())
        })
        .await
    }

    async fn usage(
        &self,
        account: Option<&AccountId>,
        from: &UsageDay,
        to: &UsageDay,
    ) -> Result<Vec<DayUsage>, StoreError> {
        let owner = owner_key(account);
        let (from, to) = (from.as_str().to_string(), to.as_str().to_string());
        if from > to {
            return Ok(Vec::new());
        }
        self.read(move |db, path| {
            let txn = db.begin_read().db(path)?;
            let table = txn.open_table(USAGE).db(path)?;
            let mut days = Vec::new();
            for entry in table
                .range((owner.as_str(), from.as_str())..=(owner.as_str(), to.as_str()))
                .db(path)?
            {
                let (k, v) = entry.db(path)?;
                let (_, day) = k.value();
                let raw: BTreeMap<String, u64> =
                    decode("usage", &format!("{owner}/{day}"), v.value())?;
                let Some(day) = UsageDay::parse(day) else {
                    return Err(StoreError::Corrupt {
                        what: format!("usage of {owner}"),
                        detail: format!("bad day {day:?}"),
                    });
                };
                let counts = raw
                    .iter()
                    .filter(|(_, n)| **n > 0)
                    .filter_map(|(name, n)| BillableKind::parse(name).map(|k| (k, *n)))
                    .collect();
                days.push(DayUsage { day, counts });
            }
            Ok(days)
        })
        .await
    }
}
