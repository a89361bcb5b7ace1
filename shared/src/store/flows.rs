//! The flows port: bot flow documents, versioned; the newest version is the active one.

use std::future::Future;

use serde::{Deserialize, Serialize};

use super::StoreError;

/// A stored flow document (validated JSON) with the Twitter ids `dmbot flow sync` created.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlowRecord {
    pub flow_id: String,
    pub version: u64,
    /// The flow as JSON, with its synced Twitter ids.
    pub document: String,
    pub stored_ms: u64,
}

/// Bot flows, versioned. The newest version of a flow id is the active one.
pub trait Flows: Send + Sync {
    /// Stores a new version; the version must be greater than every stored one
    /// ([`StoreError::Conflict`] otherwise).
    fn put_flow(&self, flow: &FlowRecord) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// The newest version of the flow, if any.
    fn get_flow(
        &self,
        flow_id: &str,
    ) -> impl Future<Output = Result<Option<FlowRecord>, StoreError>> + Send;
}
