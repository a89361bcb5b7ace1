//! The flows port on the embedded store: table `flows`, keyed by (flow id, version).

use super::error::Db;
use super::schema::FLOWS;
use super::{EmbeddedStore, decode, encode};
use crate::store::{FlowRecord, Flows, StoreError, rules};
use redb::{ReadableDatabase, ReadableTable};

impl Flows for EmbeddedStore {
    async fn put_flow(&self, flow: &FlowRecord) -> Result<(), StoreError> {
        let flow = flow.clone();
        let value = encode("flow", &flow)?;
        self.write(move |txn, path| {
            let mut table = txn.open_table(FLOWS).db(path)?;
            let newest = table
                .range((flow.flow_id.as_str(), 0u64)..=(flow.flow_id.as_str(), u64::MAX))
                .db(path)?
                .next_back()
                .transpose()
                .db(path)?
                .map(|(k, _)| k.value().1);
            rules::check_new_flow(newest, &flow)?;
            table
                .insert((flow.flow_id.as_str(), flow.version), value.as_str())
                .db(path)?;
            Ok(())
        })
        .await
    }

    async fn get_flow(&self, flow_id: &str) -> Result<Option<FlowRecord>, StoreError> {
        let flow_id = flow_id.to_string();
        self.lookup(move |db, path| {
            let txn = db.begin_read().db(path)?;
            let table = txn.open_table(FLOWS).db(path)?;
            let newest = table
                .range((flow_id.as_str(), 0u64)..=(flow_id.as_str(), u64::MAX))
                .db(path)?
                .next_back()
                .transpose()
                .db(path)?;
            newest
                .map(|(_, v)| decode("flow", &flow_id, v.value()))
                .transpose()
        })
    }
}
