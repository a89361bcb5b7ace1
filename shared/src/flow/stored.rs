//! The stored form of a flow (JSON, re-validated on the way back) and its content hash.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::definition::FlowFile;
use super::{Flow, FlowErrors, MediaFile, SyncedIds, validate};
/// The content hash input: everything that defines the flow's behaviour and its messages.
pub(super) fn content_hash(definition: &FlowFile, media: &BTreeMap<String, MediaFile>) -> String {
    #[derive(Serialize)]
    struct HashInput<'a> {
        definition: &'a FlowFile,
        media: &'a BTreeMap<String, MediaFile>,
    }
    let bytes = serde_json::to_vec(&HashInput { definition, media }).unwrap_or_default();
    hex(&Sha256::digest(&bytes))
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[(b >> 4) as usize] as char);
        s.push(DIGITS[(b & 15) as usize] as char);
    }
    s
}

/// Version of the stored JSON document.
const STORED_FORMAT: u32 = 1;

/// The stored form: the definition, the media it was validated with, and the synced ids.
#[derive(Serialize)]
struct StoredFlowRef<'a> {
    format: u32,
    flow_id: &'a str,
    content_hash: &'a str,
    definition: &'a FlowFile,
    media: &'a BTreeMap<String, MediaFile>,
    synced: &'a SyncedIds,
}

#[derive(Deserialize)]
struct StoredFlow {
    format: u32,
    definition: FlowFile,
    #[serde(default)]
    media: BTreeMap<String, MediaFile>,
    #[serde(default)]
    synced: SyncedIds,
}

impl Serialize for Flow {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        StoredFlowRef {
            format: STORED_FORMAT,
            flow_id: &self.id,
            content_hash: &self.content_hash,
            definition: &self.definition,
            media: &self.media,
            synced: &self.synced,
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for Flow {
    /// Re-validates the stored definition; media files are taken from the stored list (their
    /// hashes and sizes), not from disk.
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let stored = StoredFlow::deserialize(d)?;
        if stored.format != STORED_FORMAT {
            return Err(D::Error::custom(format!(
                "stored flow format {} is not supported (expected {STORED_FORMAT}); \
                 sync the flow again with this version",
                stored.format
            )));
        }
        let media = stored.media;
        let mut resolve = |p: &str| {
            media.get(p).cloned().ok_or_else(|| {
                "is not in the stored flow's media list; sync the flow again".to_string()
            })
        };
        let mut flow = validate::validate(stored.definition, &mut resolve)
            .map_err(|problems| D::Error::custom(FlowErrors { problems }))?;
        flow.synced = stored.synced;
        Ok(flow)
    }
}
