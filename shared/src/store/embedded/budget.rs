//! The send budget port on the embedded store: table `budget`, key `(scope, window name,
//! window start)`, value the window's [`BudgetWindow`] as JSON. A take removes the budget's
//! windows that ended a whole window or more before it (the one just ended is kept for a
//! taker whose clock is a little behind), so the table holds two or three rows per budget, plus
//! the later windows slots are reserved in. "Before it" is before the take's time or the
//! present, whichever is earlier: a reservation in a later window keeps the present one.

use std::path::Path;

use redb::{ReadableDatabase, ReadableTable, Table};

use super::error::Db;
use super::schema::BUDGET;
use super::{EmbeddedStore, decode, encode};
use crate::store::StoreError;
use crate::store::budget::{BudgetKey, SendBudget, Taken};
use crate::store::rules::{self, BudgetWindow};

type BudgetKeyParts = (&'static str, &'static str, u64);
type BudgetTable<'t> = Table<'t, BudgetKeyParts, &'static str>;

/// The window `(scope, name, start)`, empty when it was never written.
fn read(
    table: &impl ReadableTable<BudgetKeyParts, &'static str>,
    path: &Path,
    (scope, name, start): (&str, &str, u64),
) -> Result<BudgetWindow, StoreError> {
    match table.get((scope, name, start)).db(path)? {
        Some(raw) => decode(
            "budget window",
            &format!("{scope}/{name}/{start}"),
            raw.value(),
        ),
        None => Ok(BudgetWindow::default()),
    }
}

fn write(
    table: &mut BudgetTable<'_>,
    path: &Path,
    key: (&str, &str, u64),
    window: &BudgetWindow,
) -> Result<(), StoreError> {
    let value = encode("budget window", window)?;
    table.insert(key, value.as_str()).db(path)?;
    Ok(())
}

impl SendBudget for EmbeddedStore {
    async fn try_take(
        &self,
        key: &BudgetKey,
        limit: u32,
        now_ms: u64,
    ) -> Result<Taken, StoreError> {
        let (scope, name, length) = (key.scope.key_part(), key.window.name, key.window.length_ms);
        let start = rules::window_start(now_ms, length);
        // A take for a later window (a reservation) must not forget the present one: windows
        // are kept from the one before the present's, whichever of the two times is earlier.
        let present = now_ms.min(crate::domain::now_ms());
        let keep_from = rules::window_start(present, length).saturating_sub(length);
        self.write(move |txn, path| {
            let mut table = txn.open_table(BUDGET).db(path)?;
            let ended: Vec<u64> = {
                let mut ended = Vec::new();
                for entry in table
                    .range((scope.as_str(), name, 0)..(scope.as_str(), name, keep_from))
                    .db(path)?
                {
                    ended.push(entry.db(path)?.0.value().2);
                }
                ended
            };
            for old in ended {
                table.remove((scope.as_str(), name, old)).db(path)?;
            }
            let at = (scope.as_str(), name, start);
            let mut window = read(&table, path, at)?;
            let taken = rules::take(&mut window, limit, now_ms, start, length);
            if matches!(taken, Taken::Granted { .. }) {
                write(&mut table, path, at, &window)?;
            }
            Ok(taken)
        })
        .await
    }

    async fn give_back(&self, key: &BudgetKey, window_start_ms: u64) -> Result<(), StoreError> {
        let (scope, name) = (key.scope.key_part(), key.window.name);
        self.write(move |txn, path| {
            let mut table = txn.open_table(BUDGET).db(path)?;
            let at = (scope.as_str(), name, window_start_ms);
            let mut window = read(&table, path, at)?;
            if window.used > 0 {
                window.used -= 1;
                write(&mut table, path, at, &window)?;
            }
            Ok(())
        })
        .await
    }

    async fn observe(
        &self,
        key: &BudgetKey,
        limit: u32,
        remaining: u32,
        reset_at_ms: Option<u64>,
        now_ms: u64,
    ) -> Result<(), StoreError> {
        let (scope, name) = (key.scope.key_part(), key.window.name);
        let plan = rules::observe_plan(key.window.length_ms, limit, remaining, reset_at_ms, now_ms);
        self.write(move |txn, path| {
            let mut table = txn.open_table(BUDGET).db(path)?;
            let mut change = |start: u64, floor: u64, until: Option<u64>| {
                let at = (scope.as_str(), name, start);
                let before = read(&table, path, at)?;
                let mut after = before;
                rules::raise(&mut after, floor, until);
                if after != before {
                    write(&mut table, path, at, &after)?;
                }
                Ok::<_, StoreError>(())
            };
            change(plan.start_ms, plan.floor, None)?;
            if let Some((next_start, until)) = plan.block_next {
                change(next_start, 0, Some(until))?;
            }
            Ok(())
        })
        .await
    }

    async fn blocked_until(&self, key: &BudgetKey, now_ms: u64) -> Result<Option<u64>, StoreError> {
        let (scope, name) = (key.scope.key_part(), key.window.name);
        let start = rules::window_start(now_ms, key.window.length_ms);
        self.lookup(|db, path| {
            let txn = db.begin_read().db(path)?;
            let table = txn.open_table(BUDGET).db(path)?;
            let window = read(&table, path, (scope.as_str(), name, start))?;
            Ok(rules::blocked_at(&window, now_ms))
        })
    }
}
