//! The health port on the embedded store: one JSON record in table `health`.

use super::error::{Db, db_error};
use super::schema::{HEALTH, HEALTH_KEY};
use super::{EmbeddedStore, decode, encode};
use crate::store::StoreError;
use crate::store::health::{Health, HealthRecord, WatchdogRun};
use redb::{ReadableDatabase, ReadableTable};

impl EmbeddedStore {
    /// Reads the health record, lets `f` change it, writes it back, in one transaction.
    async fn update_health<F>(&self, mut f: F) -> Result<HealthRecord, StoreError>
    where
        F: FnMut(&mut HealthRecord) + Send + 'static,
    {
        self.write(move |txn, path| {
            let mut table = txn.open_table(HEALTH).db(path)?;
            let mut record: HealthRecord = match table.get(HEALTH_KEY).db(path)? {
                Some(raw) => decode("health record", HEALTH_KEY, raw.value())?,
                None => Default::default(),
            };
            f(&mut record);
            let value = encode("health record", &record)?;
            table.insert(HEALTH_KEY, value.as_str()).db(path)?;
            Ok(record)
        })
        .await
    }
}

impl Health for EmbeddedStore {
    async fn record_crc(&self, at_ms: u64, latency_us: u64) -> Result<(), StoreError> {
        self.update_health(move |h| h.apply_crc(at_ms, latency_us))
            .await
            .map(drop)
    }

    async fn record_delivery(&self, at_ms: u64) -> Result<(), StoreError> {
        self.update_health(move |h| h.apply_delivery(at_ms))
            .await
            .map(drop)
    }

    async fn record_watchdog_run(&self, run: &WatchdogRun) -> Result<(), StoreError> {
        let run = run.clone();
        self.update_health(move |h| h.last_watchdog = Some(run.clone()))
            .await
            .map(drop)
    }

    async fn get_health(&self) -> Result<HealthRecord, StoreError> {
        self.lookup(|db, path| {
            let txn = db.begin_read().db(path)?;
            let table = match txn.open_table(HEALTH) {
                Ok(table) => table,
                // Nothing was ever recorded.
                Err(redb::TableError::TableDoesNotExist(_)) => return Ok(Default::default()),
                Err(e) => return Err(db_error(path, e)),
            };
            match table.get(HEALTH_KEY).db(path)? {
                Some(raw) => decode("health record", HEALTH_KEY, raw.value()),
                None => Ok(Default::default()),
            }
        })
    }
}
