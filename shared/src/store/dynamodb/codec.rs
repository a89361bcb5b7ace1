//! Items to records and back: [`ItemView`] (read by SDK items and stream images alike), the
//! decoders (a damaged item is `Corrupt`, never a panic) and the inbound item's encoder.

use std::collections::HashMap;
use std::hash::BuildHasher;

use aws_sdk_dynamodb::types::AttributeValue;

use super::item::*;
use crate::domain::{EventId, InboundMessage, InboundRecord, InboundStatus};
use crate::store::{AccountRecord, FlowRecord, Receipt, StoreError};

/// Read access to the string and number attributes of an item. Implemented for SDK items
/// (`HashMap<String, AttributeValue>`); the dispatch function implements it for the stream's
/// attribute maps so that [`decode_inbound_item`] reads both.
pub trait ItemView {
    /// The value of a string (`S`) attribute, if present with that type.
    fn string_attr(&self, name: &str) -> Option<&str>;
    /// The decimal text of a number (`N`) attribute, if present with that type.
    fn number_attr(&self, name: &str) -> Option<&str>;
}

impl<H: BuildHasher> ItemView for HashMap<String, AttributeValue, H> {
    fn string_attr(&self, name: &str) -> Option<&str> {
        match self.get(name) {
            Some(AttributeValue::S(s)) => Some(s),
            _ => None,
        }
    }

    fn number_attr(&self, name: &str) -> Option<&str> {
        match self.get(name) {
            Some(AttributeValue::N(n)) => Some(n),
            _ => None,
        }
    }
}

/// Names the item in a `Corrupt` error: its keys when they are readable.
pub(super) fn describe(item: &impl ItemView, what: &str) -> String {
    match (item.string_attr(ATTR_PK), item.string_attr(ATTR_SK)) {
        (Some(pk), Some(sk)) => format!("{what} item {pk}/{sk}"),
        _ => format!("{what} item (no readable key)"),
    }
}

pub(super) fn corrupt(item: &impl ItemView, what: &str, detail: impl Into<String>) -> StoreError {
    StoreError::Corrupt {
        what: describe(item, what),
        detail: detail.into(),
    }
}

pub(super) fn req_s<'a>(
    item: &'a impl ItemView,
    what: &str,
    name: &str,
) -> Result<&'a str, StoreError> {
    item.string_attr(name)
        .ok_or_else(|| corrupt(item, what, format!("string attribute `{name}` is missing")))
}

pub(super) fn opt_n(
    item: &impl ItemView,
    what: &str,
    name: &str,
) -> Result<Option<u64>, StoreError> {
    item.number_attr(name)
        .map(|n| {
            n.parse::<u64>().map_err(|_| {
                corrupt(
                    item,
                    what,
                    format!("number attribute `{name}` is not a whole number: {n:?}"),
                )
            })
        })
        .transpose()
}

pub(super) fn req_n(item: &impl ItemView, what: &str, name: &str) -> Result<u64, StoreError> {
    opt_n(item, what, name)?
        .ok_or_else(|| corrupt(item, what, format!("number attribute `{name}` is missing")))
}

pub(super) fn json<T: serde::de::DeserializeOwned>(
    item: &impl ItemView,
    what: &str,
    name: &str,
) -> Result<T, StoreError> {
    let text = req_s(item, what, name)?;
    serde_json::from_str(text).map_err(|e| {
        corrupt(
            item,
            what,
            format!("attribute `{name}` is not valid JSON: {e}"),
        )
    })
}

/// The inbound messages among listed `items`, for the operator's lists: an item that cannot be
/// decoded is logged and left out rather than hiding every other one. `what` names the list.
pub(super) fn decode_listed_inbound(
    items: &[HashMap<String, AttributeValue>],
    what: &str,
) -> Vec<InboundRecord> {
    items
        .iter()
        .filter_map(|item| match decode_inbound_item(item) {
            Ok(record) => Some(record),
            Err(e) => {
                tracing::warn!(error = %e, list = what, "skipping an undecodable message");
                None
            }
        })
        .collect()
}

/// Decodes an inbound-message item (a `GetItem` result or a stream's `NewImage`).
pub fn decode_inbound_item(item: &impl ItemView) -> Result<InboundRecord, StoreError> {
    const WHAT: &str = "inbound";
    let kind = req_s(item, WHAT, ATTR_KIND)?;
    if kind != KIND_INBOUND {
        return Err(corrupt(
            item,
            WHAT,
            format!("`kind` is {kind:?}, expected {KIND_INBOUND:?}"),
        ));
    }
    let message: InboundMessage = json(item, WHAT, ATTR_MESSAGE)?;
    let event_id = req_s(item, WHAT, ATTR_EVENT_ID)?;
    if message.event_id.as_str() != event_id {
        return Err(corrupt(
            item,
            WHAT,
            format!(
                "`event_id` {event_id:?} differs from the message's {:?}",
                message.event_id.as_str()
            ),
        ));
    }
    let status = match req_s(item, WHAT, ATTR_STATUS)? {
        STATUS_PENDING => InboundStatus::Pending,
        STATUS_ANSWERED => {
            let reply_event_id = item
                .string_attr(ATTR_REPLY_EVENT_ID)
                .map(|id| {
                    EventId::parse(id)
                        .map_err(|e| corrupt(item, WHAT, format!("`{ATTR_REPLY_EVENT_ID}`: {e}")))
                })
                .transpose()?;
            InboundStatus::Answered {
                reply_event_id,
                at_ms: req_n(item, WHAT, ATTR_STATUS_AT_MS)?,
            }
        }
        STATUS_FAILED => InboundStatus::Failed {
            reason: req_s(item, WHAT, ATTR_FAILURE_REASON)?.to_string(),
            at_ms: req_n(item, WHAT, ATTR_STATUS_AT_MS)?,
        },
        other => {
            return Err(corrupt(item, WHAT, format!("unknown status {other:?}")));
        }
    };
    let attempt = crate::domain::DispatchAttempt {
        sending_ms: opt_n(item, WHAT, ATTR_SENDING_MS)?,
        reply_event_id: item
            .string_attr(ATTR_SENT_REPLY_ID)
            .map(|id| {
                EventId::parse(id)
                    .map_err(|e| corrupt(item, WHAT, format!("`{ATTR_SENT_REPLY_ID}`: {e}")))
            })
            .transpose()?,
        not_before_ms: opt_n(item, WHAT, ATTR_NOT_BEFORE_MS)?,
        defer_reason: item.string_attr(ATTR_DEFER_REASON).map(str::to_string),
        deferrals: opt_n(item, WHAT, ATTR_DEFERRALS)?
            .map_or(0, |n| u32::try_from(n).unwrap_or(u32::MAX)),
        slot_ms: opt_n(item, WHAT, ATTR_SLOT_MS)?,
    };
    Ok(InboundRecord {
        message,
        status,
        received_ms: req_n(item, WHAT, ATTR_RECEIVED_MS)?,
        attempt,
    })
}

/// Decodes a receipt item (`OUT#...`).
pub(super) fn decode_receipt(item: &impl ItemView) -> Result<Receipt, StoreError> {
    const WHAT: &str = "receipt";
    let parse = |name: &str, v: &str| {
        EventId::parse(v).map_err(|e| corrupt(item, WHAT, format!("`{name}`: {e}")))
    };
    Ok(Receipt {
        event_id: parse(ATTR_EVENT_ID, req_s(item, WHAT, ATTR_EVENT_ID)?)?,
        in_reply_to: item
            .string_attr(ATTR_IN_REPLY_TO)
            .map(|v| parse(ATTR_IN_REPLY_TO, v))
            .transpose()?,
        sent_ms: opt_n(item, WHAT, ATTR_SENT_MS)?,
        echo_created_ms: opt_n(item, WHAT, ATTR_ECHO_CREATED_MS)?,
        echo_from_our_app: item.string_attr(ATTR_ECHO_FROM_APP) == Some("true"),
    })
}

pub(super) fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}

pub(super) fn n(v: u64) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

pub(super) fn to_json(what: &str, value: &impl serde::Serialize) -> Result<String, StoreError> {
    serde_json::to_string(value)
        .map_err(|e| StoreError::Rejected(format!("{what} could not be encoded as JSON: {e}")))
}

/// The full item for a new inbound message.
pub(super) fn encode_inbound(
    record: &InboundRecord,
) -> Result<HashMap<String, AttributeValue>, StoreError> {
    let m = &record.message;
    let mut item = HashMap::from([
        (ATTR_PK.to_string(), s(conversation_pk(&m.conversation))),
        (ATTR_SK.to_string(), s(inbound_sk(&m.event_id))),
        (ATTR_KIND.to_string(), s(KIND_INBOUND)),
        (ATTR_EVENT_ID.to_string(), s(m.event_id.as_str())),
        (
            ATTR_ACCOUNT_ID.to_string(),
            s(m.conversation.account.as_str()),
        ),
        (
            ATTR_CUSTOMER_ID.to_string(),
            s(m.conversation.customer.as_str()),
        ),
        (ATTR_CREATED_MS.to_string(), n(m.created_ms)),
        (ATTR_RECEIVED_MS.to_string(), n(record.received_ms)),
        (ATTR_MESSAGE.to_string(), s(to_json("inbound message", m)?)),
        (
            ATTR_EXPIRES_AT.to_string(),
            n(expires_at(record.received_ms)),
        ),
    ]);
    let a = &record.attempt;
    if let Some(at) = a.sending_ms {
        item.insert(ATTR_SENDING_MS.to_string(), n(at));
    }
    if let Some(reply) = &a.reply_event_id {
        item.insert(ATTR_SENT_REPLY_ID.to_string(), s(reply.as_str()));
    }
    if let Some(at) = a.not_before_ms {
        item.insert(ATTR_NOT_BEFORE_MS.to_string(), n(at));
    }
    if let Some(reason) = &a.defer_reason {
        item.insert(ATTR_DEFER_REASON.to_string(), s(reason.as_str()));
    }
    if a.deferrals > 0 {
        item.insert(ATTR_DEFERRALS.to_string(), n(u64::from(a.deferrals)));
    }
    if let Some(at) = a.slot_ms {
        item.insert(ATTR_SLOT_MS.to_string(), n(at));
    }
    match &record.status {
        InboundStatus::Pending => {
            item.insert(ATTR_STATUS.to_string(), s(STATUS_PENDING));
        }
        InboundStatus::Answered {
            reply_event_id,
            at_ms,
        } => {
            item.insert(ATTR_STATUS.to_string(), s(STATUS_ANSWERED));
            item.insert(ATTR_STATUS_AT_MS.to_string(), n(*at_ms));
            if let Some(reply) = reply_event_id {
                item.insert(ATTR_REPLY_EVENT_ID.to_string(), s(reply.as_str()));
            }
        }
        InboundStatus::Failed { reason, at_ms } => {
            item.insert(ATTR_STATUS.to_string(), s(STATUS_FAILED));
            item.insert(ATTR_STATUS_AT_MS.to_string(), n(*at_ms));
            item.insert(ATTR_FAILURE_REASON.to_string(), s(reason.as_str()));
        }
    }
    Ok(item)
}

pub(super) fn decode_account(item: &impl ItemView) -> Result<AccountRecord, StoreError> {
    json(item, "account", ATTR_ACCOUNT)
}

pub(super) fn decode_flow(item: &impl ItemView) -> Result<FlowRecord, StoreError> {
    const WHAT: &str = "flow";
    Ok(FlowRecord {
        flow_id: req_s(item, WHAT, ATTR_FLOW_ID)?.to_string(),
        version: req_n(item, WHAT, ATTR_VERSION)?,
        document: req_s(item, WHAT, ATTR_DOCUMENT)?.to_string(),
        stored_ms: req_n(item, WHAT, ATTR_STORED_MS)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{ConversationKey, UserId};
    use crate::store::EVENT_TTL_SECS;

    fn record(status: InboundStatus) -> InboundRecord {
        InboundRecord {
            message: InboundMessage {
                event_id: EventId::parse("1100").unwrap(),
                conversation: ConversationKey::new(
                    UserId::parse("10").unwrap(),
                    UserId::parse("20").unwrap(),
                ),
                created_ms: 1_700_000_000_000,
                text: "hello".to_string(),
                quick_reply_metadata: Some("opt_1".to_string()),
                welcome_message_id: None,
                media: None,
                customer_screen_name: Some("cust".to_string()),
                customer_name: None,
            },
            status,
            received_ms: 1_700_000_000_500,
            attempt: Default::default(),
        }
    }

    #[test]
    fn inbound_items_round_trip_through_the_item_layout() {
        for status in [
            InboundStatus::Pending,
            InboundStatus::Answered {
                reply_event_id: Some(EventId::parse("1200").unwrap()),
                at_ms: 5,
            },
            InboundStatus::Answered {
                reply_event_id: None,
                at_ms: 6,
            },
            InboundStatus::Failed {
                reason: "403 from Twitter".to_string(),
                at_ms: 7,
            },
        ] {
            let r = record(status);
            let item = encode_inbound(&r).unwrap();
            assert_eq!(decode_inbound_item(&item).unwrap(), r);
        }
    }

    #[test]
    fn inbound_items_carry_the_attributes_stream_filters_use() {
        let item = encode_inbound(&record(InboundStatus::Pending)).unwrap();
        assert_eq!(item.string_attr(ATTR_PK), Some("CONV#10#20"));
        assert_eq!(item.string_attr(ATTR_SK), Some("EVT#1100"));
        assert_eq!(item.string_attr(ATTR_KIND), Some(KIND_INBOUND));
        assert_eq!(item.string_attr(ATTR_STATUS), Some(STATUS_PENDING));
        assert_eq!(item.string_attr(ATTR_ACCOUNT_ID), Some("10"));
        assert_eq!(item.string_attr(ATTR_CUSTOMER_ID), Some("20"));
        assert_eq!(
            item.number_attr(ATTR_EXPIRES_AT),
            Some((1_700_000_000 + EVENT_TTL_SECS).to_string().as_str())
        );
    }

    #[test]
    fn undecodable_inbound_items_are_reported_as_corrupt_not_panics() {
        let mut item = encode_inbound(&record(InboundStatus::Pending)).unwrap();
        item.insert(ATTR_MESSAGE.to_string(), s("{not json"));
        assert!(matches!(
            decode_inbound_item(&item),
            Err(StoreError::Corrupt { .. })
        ));

        let mut item = encode_inbound(&record(InboundStatus::Pending)).unwrap();
        item.insert(ATTR_STATUS.to_string(), s("exploded"));
        assert!(matches!(
            decode_inbound_item(&item),
            Err(StoreError::Corrupt { .. })
        ));

        let mut item = encode_inbound(&record(InboundStatus::Pending)).unwrap();
        item.insert(ATTR_RECEIVED_MS.to_string(), s("soon"));
        assert!(matches!(
            decode_inbound_item(&item),
            Err(StoreError::Corrupt { .. })
        ));

        let empty: HashMap<String, AttributeValue> = HashMap::new();
        assert!(matches!(
            decode_inbound_item(&empty),
            Err(StoreError::Corrupt { .. })
        ));
    }
}
