//! The DynamoDB adapter: the single-table design of ARCHITECTURE.md.
//!
//! One table with string keys `pk` (partition) and `sk` (sort). Every item carries a `kind`
//! attribute so that stream filters, scans and people reading the table can tell items apart.
//! Attributes are strings (`S`) and numbers (`N`) only; nested data (the message, the
//! conversation state, the account) is a JSON string. That keeps the items easy to read from a
//! DynamoDB stream image (see [`ItemView`] and [`decode_inbound_item`]).
//!
//! | Item | `pk` | `sk` | `kind` | Other attributes |
//! | --- | --- | --- | --- | --- |
//! | Inbound message | `CONV#<account>#<customer>` | `EVT#<event id>` | `inbound` | `status` (`pending`/`answered`/`failed`), `event_id`, `account_id`, `customer_id`, `created_ms` N, `received_ms` N, `message` (JSON [`InboundMessage`]), `status_at_ms` N?, `reply_event_id`?, `failure_reason`?, `lease_until_ms` N?, `redrive`?, `expires_at` N (TTL); while pending, what dispatch attempts wrote: `sending_ms` N?, `sent_reply_id`?, `not_before_ms` N?, `defer_reason`?, `deferrals` N? |
//! | Conversation state | `CONV#<account>#<customer>` | `STATE` | `conversation` | `version` N, `state` (JSON [`ConversationState`]), `account_id`, `customer_id`, `expires_at` N (TTL, 30 days after the last save) |
//! | Agent activity | `CONV#<account>#<customer>` | `AGENT` | `agent_activity` | `agent_last_active_ms` N, `account_id`, `customer_id`, `expires_at` N (TTL, 30 days after the latest activity) |
//! | Receipt of a sent message | `CONV#<account>#<customer>` | `OUT#<event id, zero-padded to 32 digits>` | `sent` | `event_id`, `account_id`, `customer_id`, `expires_at` N (TTL); from the dispatcher: `in_reply_to`, `sent_ms` N; from the echo (webhook): `echo_created_ms` N, `echo_from_app` (`true`/`false`). Both are UpdateItems that merge in either order |
//! | Deferred-message entry | `DEFERRED` | `<due ms, 20 digits>#<inbound pk>#<event id>` | `deferred` | `inbound_pk`, `inbound_sk`, `expires_at` N (TTL): written with a deferral, removed by the scheduled re-drive ([`Inbox::take_due_deferred`]) |
//! | Account | `ACCOUNT#<account>` | `PROFILE` | `account` | `account_id`, `account` (JSON [`AccountRecord`], with its tokens) |
//! | Flow version | `FLOW#<flow id>` | `V#<version, 20 digits>` | `flow` | `flow_id`, `version` N, `document`, `stored_ms` N |
//! | Flow head | `FLOW#<flow id>` | `HEAD` | `flow_head` | `flow_id`, `version` N (the newest version, guards `put_flow`) |
//! | Media | `MEDIA#<account>` | `<content sha256>` | `media` | `account_id`, `media_id`, `expires_ms` N, `expires_at` N (TTL) |
//! | Pending removal | `FORGET` | `<account>` | `forget` | `requested_ms` N (the latest revoke) |
//!
//! The global secondary index [`INDEX_BY_ACCOUNT`] (partition key `account_id`, sort key `pk`,
//! keys only) lists every item that carries an `account_id`, so that removing a revoked
//! account's data is a Query, never a Scan. Pending removals are one partition (`FORGET`) so the
//! worker finds them with one Query; they carry no `account_id` and stay out of the index.
//!
//! Agent activity is its own item so that recording it never races with the conversation's
//! optimistic-locking `version`.
//!
//! The stream feeds the dispatcher with exactly two kinds of change (see
//! [`STREAM_FILTER_NEW_INBOUND`] and [`STREAM_FILTER_REDRIVE`]): the insert of a new inbound
//! message, and a redrive (`dmbot failures redrive` puts a failed message back to `pending` and
//! sets `redrive`; the next claim removes `redrive`, so the claim's own change does not match).

use std::collections::HashMap;
use std::hash::BuildHasher;
use std::sync::Arc;
use std::time::Duration;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, Delete, DeleteRequest, GlobalSecondaryIndex,
    KeySchemaElement, KeyType, Projection, ProjectionType, Put, ReturnValue, ScalarAttributeType,
    StreamSpecification, StreamViewType, TableStatus, TimeToLiveSpecification, TransactWriteItem,
    Update, WriteRequest,
};

use super::{
    AccountRecord, Accounts, AttemptMark, ClaimOutcome, Conversation, Conversations,
    EVENT_TTL_SECS, FlowRecord, Flows, ForgetStep, Inbox, MediaCache, MediaRef, Outbox,
    PendingForget, PutOutcome, RECEIPTS_LIMIT, Receipt, Revocations, StoreError,
};
use crate::domain::{
    AccountEcho, AccountId, AgentActivity, ConversationKey, ConversationState, EventId,
    InboundMessage, InboundRecord, InboundStatus,
};

// ---------------------------------------------------------------------------------------------
// Item layout: attribute names and fixed values.
// ---------------------------------------------------------------------------------------------

/// Partition key (string).
pub const ATTR_PK: &str = "pk";
/// Sort key (string).
pub const ATTR_SK: &str = "sk";
/// What the item is (`KIND_*`).
pub const ATTR_KIND: &str = "kind";
/// An inbound message's status (`STATUS_*`).
pub const ATTR_STATUS: &str = "status";
pub const ATTR_EVENT_ID: &str = "event_id";
pub const ATTR_ACCOUNT_ID: &str = "account_id";
pub const ATTR_CUSTOMER_ID: &str = "customer_id";
/// When Twitter created the message (ms since epoch, number).
pub const ATTR_CREATED_MS: &str = "created_ms";
/// When ingestion stored the message (ms since epoch, number).
pub const ATTR_RECEIVED_MS: &str = "received_ms";
/// The inbound message as JSON ([`InboundMessage`]).
pub const ATTR_MESSAGE: &str = "message";
/// When the message was answered or failed (ms since epoch, number).
pub const ATTR_STATUS_AT_MS: &str = "status_at_ms";
/// The id Twitter gave the bot's reply.
pub const ATTR_REPLY_EVENT_ID: &str = "reply_event_id";
/// Why a message failed permanently.
pub const ATTR_FAILURE_REASON: &str = "failure_reason";
/// Until when a dispatcher holds the message (ms since epoch, number).
pub const ATTR_LEASE_UNTIL_MS: &str = "lease_until_ms";
/// Present (value [`REDRIVE_REQUESTED`]) between a redrive and the next claim.
pub const ATTR_REDRIVE: &str = "redrive";
/// DynamoDB TTL attribute (seconds since epoch, number): the table's TTL setting names it.
pub const ATTR_EXPIRES_AT: &str = "expires_at";
/// Optimistic-locking version of a conversation, or a flow's version (number).
pub const ATTR_VERSION: &str = "version";
/// The conversation state as JSON ([`ConversationState`]).
pub const ATTR_STATE: &str = "state";
pub const ATTR_AGENT_LAST_ACTIVE_MS: &str = "agent_last_active_ms";
pub const ATTR_SENT_MS: &str = "sent_ms";
/// On a receipt: the inbound message the bot's reply answers.
pub const ATTR_IN_REPLY_TO: &str = "in_reply_to";
/// On a receipt: when Twitter created the message, from its echo (ms, number).
pub const ATTR_ECHO_CREATED_MS: &str = "echo_created_ms";
/// On a receipt: `"true"` when the echo says it was sent through our app.
pub const ATTR_ECHO_FROM_APP: &str = "echo_from_app";
/// On a pending inbound message: when a dispatcher first began sending (ms, number).
pub const ATTR_SENDING_MS: &str = "sending_ms";
/// On a pending inbound message: the reply Twitter accepted, before the message is answered.
pub const ATTR_SENT_REPLY_ID: &str = "sent_reply_id";
/// On a pending inbound message: not to be tried before (ms, number).
pub const ATTR_NOT_BEFORE_MS: &str = "not_before_ms";
pub const ATTR_DEFER_REASON: &str = "defer_reason";
pub const ATTR_DEFERRALS: &str = "deferrals";
/// The account as JSON ([`AccountRecord`]).
pub const ATTR_ACCOUNT: &str = "account";
pub const ATTR_FLOW_ID: &str = "flow_id";
pub const ATTR_DOCUMENT: &str = "document";
pub const ATTR_STORED_MS: &str = "stored_ms";
pub const ATTR_MEDIA_ID: &str = "media_id";
pub const ATTR_EXPIRES_MS: &str = "expires_ms";

pub const KIND_INBOUND: &str = "inbound";
pub const KIND_SENT: &str = "sent";
pub const KIND_CONVERSATION: &str = "conversation";
pub const KIND_AGENT_ACTIVITY: &str = "agent_activity";
pub const KIND_ACCOUNT: &str = "account";
pub const KIND_FLOW: &str = "flow";
pub const KIND_FLOW_HEAD: &str = "flow_head";
pub const KIND_MEDIA: &str = "media";
pub const KIND_FORGET: &str = "forget";

/// When a pending removal was requested (ms since epoch, number).
pub const ATTR_REQUESTED_MS: &str = "requested_ms";

/// The partition of pending removals (one item per revoked account, sort key its id).
pub const PK_FORGET: &str = "FORGET";

/// The global secondary index on `account_id` (sort key `pk`, keys only): an account's items.
/// `template.yaml` declares the same index.
pub const INDEX_BY_ACCOUNT: &str = "by_account";

pub const STATUS_PENDING: &str = "pending";
pub const STATUS_ANSWERED: &str = "answered";
pub const STATUS_FAILED: &str = "failed";

/// Value of [`ATTR_REDRIVE`] while a redrive waits for the dispatcher.
pub const REDRIVE_REQUESTED: &str = "requested";

/// Lambda event-source filter (for `template.yaml`): the insert of a new inbound message.
pub const STREAM_FILTER_NEW_INBOUND: &str = r#"{"eventName":["INSERT"],"dynamodb":{"NewImage":{"kind":{"S":["inbound"]},"status":{"S":["pending"]}}}}"#;

/// Lambda event-source filter (for `template.yaml`): a failed message put back to pending by
/// `dmbot failures redrive`.
pub const STREAM_FILTER_REDRIVE: &str = r#"{"eventName":["MODIFY"],"dynamodb":{"NewImage":{"kind":{"S":["inbound"]},"status":{"S":["pending"]},"redrive":{"S":["requested"]}}}}"#;

/// The partition of the deferred-message index (see [`deferred_sk`]).
pub const PK_DEFERRED: &str = "DEFERRED";
pub const KIND_DEFERRED: &str = "deferred";
/// On a deferred-index item: the inbound message's keys.
pub const ATTR_INBOUND_PK: &str = "inbound_pk";
pub const ATTR_INBOUND_SK: &str = "inbound_sk";

const SK_STATE: &str = "STATE";
const SK_AGENT: &str = "AGENT";
const SK_PROFILE: &str = "PROFILE";
const SK_FLOW_HEAD: &str = "HEAD";

/// BatchWriteItem takes at most 25 requests.
const BATCH_WRITE_MAX: usize = 25;
/// How often unprocessed batch items are retried before giving up as `Unavailable`.
const BATCH_WRITE_ATTEMPTS: u32 = 8;

/// `CONV#<account>#<customer>`: the partition of one conversation.
pub fn conversation_pk(conversation: &ConversationKey) -> String {
    format!("CONV#{}#{}", conversation.account, conversation.customer)
}

/// `CONV#<account>#`: the prefix of every conversation partition of an account. Ids are digits
/// only, so the trailing `#` keeps account `12` from matching account `123`.
pub fn account_conversations_prefix(account: &AccountId) -> String {
    format!("CONV#{account}#")
}

/// `EVT#<event id>`.
pub fn inbound_sk(event: &EventId) -> String {
    format!("EVT#{event}")
}

/// `OUT#<event id, 32 digits>`: zero-padded so that a conversation's receipts sort by event id
/// (snowflakes grow with time) and [`Outbox::receipts_after`] is one range Query.
pub fn sent_sk(event: &EventId) -> String {
    format!("OUT#{:0>32}", event.as_str())
}

/// `OUT#<event id>`: the sent markers written before receipts were padded (read only).
fn legacy_sent_sk(event: &EventId) -> String {
    format!("OUT#{event}")
}

/// `<due ms, 20 digits>#<conversation pk>#<event id>`: a deferred message's entry in the
/// `DEFERRED` partition, in due order, so the scheduled re-drive reads only what is due.
pub fn deferred_sk(until_ms: u64, conversation: &ConversationKey, event: &EventId) -> String {
    format!("{until_ms:020}#{}#{event}", conversation_pk(conversation))
}

/// `ACCOUNT#<account>`.
pub fn account_pk(account: &AccountId) -> String {
    format!("ACCOUNT#{account}")
}

/// `FLOW#<flow id>`.
pub fn flow_pk(flow_id: &str) -> String {
    format!("FLOW#{flow_id}")
}

/// `V#<version>`, zero-padded to 20 digits so that string order is numeric order.
pub fn flow_sk(version: u64) -> String {
    format!("V#{version:020}")
}

/// `MEDIA#<account>`.
pub fn media_pk(account: &AccountId) -> String {
    format!("MEDIA#{account}")
}

/// TTL value for an item created at `ms`: seconds since the epoch, [`EVENT_TTL_SECS`] later.
fn expires_at(ms: u64) -> u64 {
    (ms / 1000).saturating_add(EVENT_TTL_SECS)
}

// ---------------------------------------------------------------------------------------------
// Reading items: a tiny view that SDK items and stream images can both provide.
// ---------------------------------------------------------------------------------------------

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
fn describe(item: &impl ItemView, what: &str) -> String {
    match (item.string_attr(ATTR_PK), item.string_attr(ATTR_SK)) {
        (Some(pk), Some(sk)) => format!("{what} item {pk}/{sk}"),
        _ => format!("{what} item (no readable key)"),
    }
}

fn corrupt(item: &impl ItemView, what: &str, detail: impl Into<String>) -> StoreError {
    StoreError::Corrupt {
        what: describe(item, what),
        detail: detail.into(),
    }
}

fn req_s<'a>(item: &'a impl ItemView, what: &str, name: &str) -> Result<&'a str, StoreError> {
    item.string_attr(name)
        .ok_or_else(|| corrupt(item, what, format!("string attribute `{name}` is missing")))
}

fn opt_n(item: &impl ItemView, what: &str, name: &str) -> Result<Option<u64>, StoreError> {
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

fn req_n(item: &impl ItemView, what: &str, name: &str) -> Result<u64, StoreError> {
    opt_n(item, what, name)?
        .ok_or_else(|| corrupt(item, what, format!("number attribute `{name}` is missing")))
}

fn json<T: serde::de::DeserializeOwned>(
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
fn decode_listed_inbound(
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
    };
    Ok(InboundRecord {
        message,
        status,
        received_ms: req_n(item, WHAT, ATTR_RECEIVED_MS)?,
        attempt,
    })
}

/// Decodes a receipt item (`OUT#...`).
fn decode_receipt(item: &impl ItemView) -> Result<Receipt, StoreError> {
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

fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}

fn n(v: u64) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

fn to_json(what: &str, value: &impl serde::Serialize) -> Result<String, StoreError> {
    serde_json::to_string(value)
        .map_err(|e| StoreError::Rejected(format!("{what} could not be encoded as JSON: {e}")))
}

/// The full item for a new inbound message.
fn encode_inbound(record: &InboundRecord) -> Result<HashMap<String, AttributeValue>, StoreError> {
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

fn decode_account(item: &impl ItemView) -> Result<AccountRecord, StoreError> {
    json(item, "account", ATTR_ACCOUNT)
}

fn decode_flow(item: &impl ItemView) -> Result<FlowRecord, StoreError> {
    const WHAT: &str = "flow";
    Ok(FlowRecord {
        flow_id: req_s(item, WHAT, ATTR_FLOW_ID)?.to_string(),
        version: req_n(item, WHAT, ATTR_VERSION)?,
        document: req_s(item, WHAT, ATTR_DOCUMENT)?.to_string(),
        stored_ms: req_n(item, WHAT, ATTR_STORED_MS)?,
    })
}

// ---------------------------------------------------------------------------------------------
// The store.
// ---------------------------------------------------------------------------------------------

/// The storage port on one DynamoDB table. Cloning is cheap and shares the SDK client.
#[derive(Clone)]
pub struct DynamoStore {
    client: Client,
    table: Arc<str>,
}

impl std::fmt::Debug for DynamoStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DynamoStore")
            .field("table", &self.table)
            .finish_non_exhaustive()
    }
}

/// Which operation failed, for error messages.
#[derive(Clone, Copy)]
pub(crate) struct Op(pub(crate) &'static str);

impl DynamoStore {
    /// A store on `table_name` (the `TABLE_NAME` of the deployed stack).
    pub fn new(client: Client, table_name: impl Into<String>) -> Self {
        Self {
            client,
            table: Arc::from(table_name.into()),
        }
    }

    pub fn table_name(&self) -> &str {
        &self.table
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Creates the table when it does not exist yet: `pk`/`sk` strings, on-demand capacity, a
    /// stream of new images, and TTL on [`ATTR_EXPIRES_AT`]. For tests and the local stack; in
    /// AWS the SAM template creates the table. Waits until the table is active.
    pub async fn create_table_if_missing(&self) -> Result<(), StoreError> {
        let op = Op("DescribeTable");
        let exists = match self
            .client
            .describe_table()
            .table_name(self.table_name())
            .send()
            .await
        {
            Ok(_) => true,
            Err(e)
                if e.as_service_error()
                    .is_some_and(|se| se.is_resource_not_found_exception()) =>
            {
                false
            }
            Err(e) => return Err(self.sdk_error(op, e)),
        };
        if !exists {
            self.create_table().await?;
        }
        self.wait_until_active().await?;
        if !exists {
            self.enable_ttl().await;
        }
        Ok(())
    }

    async fn create_table(&self) -> Result<(), StoreError> {
        let op = Op("CreateTable");
        let build = |e: aws_sdk_dynamodb::error::BuildError| {
            StoreError::Rejected(format!("CreateTable request could not be built: {e}"))
        };
        let key = |name: &str, key_type: KeyType| {
            KeySchemaElement::builder()
                .attribute_name(name)
                .key_type(key_type)
                .build()
                .map_err(build)
        };
        let attr = |name: &str| {
            AttributeDefinition::builder()
                .attribute_name(name)
                .attribute_type(ScalarAttributeType::S)
                .build()
                .map_err(build)
        };
        let by_account = GlobalSecondaryIndex::builder()
            .index_name(INDEX_BY_ACCOUNT)
            .key_schema(key(ATTR_ACCOUNT_ID, KeyType::Hash)?)
            .key_schema(key(ATTR_PK, KeyType::Range)?)
            .projection(
                Projection::builder()
                    .projection_type(ProjectionType::KeysOnly)
                    .build(),
            )
            .build()
            .map_err(build)?;
        let stream = StreamSpecification::builder()
            .stream_enabled(true)
            .stream_view_type(StreamViewType::NewImage)
            .build()
            .map_err(build)?;
        let result = self
            .client
            .create_table()
            .table_name(self.table_name())
            .key_schema(key(ATTR_PK, KeyType::Hash)?)
            .key_schema(key(ATTR_SK, KeyType::Range)?)
            .attribute_definitions(attr(ATTR_PK)?)
            .attribute_definitions(attr(ATTR_SK)?)
            .attribute_definitions(attr(ATTR_ACCOUNT_ID)?)
            .global_secondary_indexes(by_account)
            .billing_mode(BillingMode::PayPerRequest)
            .stream_specification(stream)
            .send()
            .await;
        match result {
            Ok(_) => {
                tracing::info!(table = %self.table, "created DynamoDB table");
                Ok(())
            }
            // Someone else created it between our describe and create: fine.
            Err(e)
                if e.as_service_error()
                    .is_some_and(|se| se.is_resource_in_use_exception()) =>
            {
                Ok(())
            }
            Err(e) => Err(self.sdk_error(op, e)),
        }
    }

    async fn wait_until_active(&self) -> Result<(), StoreError> {
        let op = Op("DescribeTable");
        for attempt in 0..60u32 {
            let out = self
                .client
                .describe_table()
                .table_name(self.table_name())
                .send()
                .await
                .map_err(|e| self.sdk_error(op, e))?;
            if out.table().and_then(|t| t.table_status()) == Some(&TableStatus::Active) {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(100 * u64::from(attempt.min(10) + 1))).await;
        }
        Err(StoreError::Unavailable(format!(
            "table {} did not become active in time",
            self.table
        )))
    }

    /// TTL is a convenience (old events are removed for free); a backend that does not support
    /// it must not stop the store from working, so failure is only logged.
    async fn enable_ttl(&self) {
        let spec = match TimeToLiveSpecification::builder()
            .enabled(true)
            .attribute_name(ATTR_EXPIRES_AT)
            .build()
        {
            Ok(spec) => spec,
            Err(e) => {
                tracing::warn!(table = %self.table, error = %e, "could not build the TTL setting");
                return;
            }
        };
        if let Err(e) = self
            .client
            .update_time_to_live()
            .table_name(self.table_name())
            .time_to_live_specification(spec)
            .send()
            .await
        {
            tracing::warn!(
                table = %self.table,
                error = %DisplayErrorContext(&e),
                "could not enable TTL on the table; old events will not expire by themselves"
            );
        }
    }

    /// Maps an SDK failure to the port's error, saying what to do next.
    pub(crate) fn sdk_error<E>(&self, op: Op, err: SdkError<E>) -> StoreError
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        let table = &self.table;
        let Op(op) = op;
        match &err {
            SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) => {
                StoreError::Unavailable(format!(
                    "DynamoDB {op} on table {table} did not get through: {}",
                    DisplayErrorContext(&err)
                ))
            }
            SdkError::ResponseError(_) => StoreError::Unavailable(format!(
                "DynamoDB {op} on table {table} got an unreadable response: {}",
                DisplayErrorContext(&err)
            )),
            SdkError::ConstructionFailure(_) => StoreError::Rejected(format!(
                "DynamoDB {op} request on table {table} could not be built (a bug): {}",
                DisplayErrorContext(&err)
            )),
            SdkError::ServiceError(ctx) => {
                let code = ctx.err().code().unwrap_or("unknown");
                let message = ctx.err().message().unwrap_or("");
                let status = ctx.raw().status().as_u16();
                match code {
                    "ResourceNotFoundException" => StoreError::Rejected(format!(
                        "table {table} does not exist ({op}): deploy the stack or set TABLE_NAME to the stack's table"
                    )),
                    "ValidationException" | "SerializationException" => {
                        StoreError::Rejected(format!(
                            "DynamoDB refused {op} on table {table} as invalid (a bug): {code}: {message}"
                        ))
                    }
                    "AccessDeniedException"
                    | "UnrecognizedClientException"
                    | "MissingAuthenticationTokenException"
                    | "InvalidSignatureException" => StoreError::Rejected(format!(
                        "DynamoDB denied {op} on table {table}: {code}: {message}; check the function's IAM role and the AWS credentials"
                    )),
                    "ProvisionedThroughputExceededException"
                    | "ThrottlingException"
                    | "RequestLimitExceeded"
                    | "InternalServerError"
                    | "ServiceUnavailable"
                    | "TransactionConflictException"
                    | "TransactionInProgressException"
                    | "LimitExceededException" => StoreError::Unavailable(format!(
                        "DynamoDB {op} on table {table}: {code}: {message}"
                    )),
                    _ if status >= 500 || status == 429 => StoreError::Unavailable(format!(
                        "DynamoDB {op} on table {table}: HTTP {status} {code}: {message}"
                    )),
                    _ => StoreError::Rejected(format!(
                        "DynamoDB refused {op} on table {table}: HTTP {status} {code}: {message}"
                    )),
                }
            }
            _ => StoreError::Unavailable(format!(
                "DynamoDB {op} on table {table} failed: {}",
                DisplayErrorContext(&err)
            )),
        }
    }

    fn key(pk: String, sk: String) -> HashMap<String, AttributeValue> {
        HashMap::from([(ATTR_PK.to_string(), s(pk)), (ATTR_SK.to_string(), s(sk))])
    }

    /// A strongly consistent GetItem.
    async fn get(
        &self,
        pk: String,
        sk: String,
    ) -> Result<Option<HashMap<String, AttributeValue>>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(self.table_name())
            .set_key(Some(Self::key(pk, sk)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| self.sdk_error(Op("GetItem"), e))?;
        Ok(out.item)
    }

    /// Every item a Scan with `filter` returns, all pages.
    pub(crate) async fn scan_all(
        &self,
        filter: &str,
        names: &[(&str, &str)],
        values: &[(&str, AttributeValue)],
        projection: Option<&str>,
    ) -> Result<Vec<HashMap<String, AttributeValue>>, StoreError> {
        let mut items = Vec::new();
        let mut start: Option<HashMap<String, AttributeValue>> = None;
        loop {
            let mut req = self
                .client
                .scan()
                .table_name(self.table_name())
                .consistent_read(true)
                .filter_expression(filter)
                .set_exclusive_start_key(start.take());
            for (k, v) in names {
                req = req.expression_attribute_names(*k, *v);
            }
            for (k, v) in values {
                req = req.expression_attribute_values(*k, v.clone());
            }
            if let Some(p) = projection {
                req = req.projection_expression(p);
            }
            let out = req
                .send()
                .await
                .map_err(|e| self.sdk_error(Op("Scan"), e))?;
            items.extend(out.items.unwrap_or_default());
            match out.last_evaluated_key {
                Some(key) if !key.is_empty() => start = Some(key),
                _ => return Ok(items),
            }
        }
    }

    /// The keys of up to `limit` items matching `key_condition` (on the table, or on `index`),
    /// following pages; and whether more may match.
    async fn query_keys(
        &self,
        index: Option<&str>,
        key_condition: &str,
        values: &[(&str, AttributeValue)],
        limit: usize,
    ) -> Result<(Vec<HashMap<String, AttributeValue>>, bool), StoreError> {
        let mut keys = Vec::new();
        let mut start: Option<HashMap<String, AttributeValue>> = None;
        while keys.len() < limit {
            let page = i32::try_from(limit - keys.len()).unwrap_or(i32::MAX);
            let mut req = self
                .client
                .query()
                .table_name(self.table_name())
                .set_index_name(index.map(str::to_string))
                // An index can only be read eventually consistent; the table is read strongly.
                .consistent_read(index.is_none())
                .key_condition_expression(key_condition)
                .expression_attribute_names("#pk", ATTR_PK)
                .expression_attribute_names("#sk", ATTR_SK)
                .projection_expression("#pk, #sk")
                .limit(page)
                .set_exclusive_start_key(start.take());
            if index.is_some() {
                req = req.expression_attribute_names("#account", ATTR_ACCOUNT_ID);
            }
            for (k, v) in values {
                req = req.expression_attribute_values(*k, v.clone());
            }
            let out = req
                .send()
                .await
                .map_err(|e| self.sdk_error(Op("Query"), e))?;
            keys.extend(out.items.unwrap_or_default());
            match out.last_evaluated_key {
                Some(key) if !key.is_empty() => start = Some(key),
                _ => return Ok((keys, false)),
            }
        }
        Ok((keys, true))
    }

    /// Deletes the items with these keys, 25 per BatchWriteItem, retrying unprocessed ones with
    /// a growing pause (DynamoDB returns them when throttled).
    async fn delete_keys(
        &self,
        keys: Vec<HashMap<String, AttributeValue>>,
    ) -> Result<(), StoreError> {
        let mut requests = Vec::with_capacity(keys.len());
        for key in keys {
            let key: HashMap<String, AttributeValue> = key
                .into_iter()
                .filter(|(k, _)| k == ATTR_PK || k == ATTR_SK)
                .collect();
            let delete = DeleteRequest::builder()
                .set_key(Some(key))
                .build()
                .map_err(|e| {
                    StoreError::Rejected(format!("delete request could not be built: {e}"))
                })?;
            requests.push(WriteRequest::builder().delete_request(delete).build());
        }
        let mut chunks = requests.chunks(BATCH_WRITE_MAX);
        for chunk in &mut chunks {
            let mut pending = chunk.to_vec();
            let mut attempt = 0u32;
            while !pending.is_empty() {
                if attempt >= BATCH_WRITE_ATTEMPTS {
                    return Err(StoreError::Unavailable(format!(
                        "DynamoDB kept {} deletes on table {} unprocessed (throttled); run the command again",
                        pending.len(),
                        self.table
                    )));
                }
                if attempt > 0 {
                    tokio::time::sleep(Duration::from_millis(50u64 << attempt.min(6))).await;
                }
                attempt += 1;
                let out = self
                    .client
                    .batch_write_item()
                    .request_items(self.table_name(), pending)
                    .send()
                    .await
                    .map_err(|e| self.sdk_error(Op("BatchWriteItem"), e))?;
                pending = out
                    .unprocessed_items
                    .and_then(|mut m| m.remove(self.table_name()))
                    .unwrap_or_default();
            }
        }
        Ok(())
    }
}

pub(crate) fn is_conditional_failure<E: ProvideErrorMetadata>(err: &SdkError<E>) -> bool {
    err.as_service_error()
        .is_some_and(|e| e.code() == Some("ConditionalCheckFailedException"))
}

impl Inbox for DynamoStore {
    async fn put_inbound(&self, record: &InboundRecord) -> Result<PutOutcome, StoreError> {
        let item = encode_inbound(record)?;
        let result = self
            .client
            .put_item()
            .table_name(self.table_name())
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(#pk)")
            .expression_attribute_names("#pk", ATTR_PK)
            .send()
            .await;
        match result {
            Ok(_) => Ok(PutOutcome::Inserted),
            Err(e) if is_conditional_failure(&e) => Ok(PutOutcome::Duplicate),
            Err(e) => Err(self.sdk_error(Op("PutItem"), e)),
        }
    }

    async fn get_inbound(
        &self,
        conversation: &ConversationKey,
        event: &EventId,
    ) -> Result<Option<InboundRecord>, StoreError> {
        self.get(conversation_pk(conversation), inbound_sk(event))
            .await?
            .map(|item| decode_inbound_item(&item))
            .transpose()
    }

    async fn claim_inbound(
        &self,
        conversation: &ConversationKey,
        event: &EventId,
        now_ms: u64,
        lease_ms: u64,
    ) -> Result<ClaimOutcome, StoreError> {
        let pk = conversation_pk(conversation);
        let sk = inbound_sk(event);
        let result = self
            .client
            .update_item()
            .table_name(self.table_name())
            .set_key(Some(Self::key(pk.clone(), sk.clone())))
            .update_expression("SET #lease = :until REMOVE #redrive")
            .condition_expression(
                "attribute_exists(#pk) AND #status = :pending \
                 AND (attribute_not_exists(#lease) OR #lease <= :now)",
            )
            .expression_attribute_names("#pk", ATTR_PK)
            .expression_attribute_names("#status", ATTR_STATUS)
            .expression_attribute_names("#lease", ATTR_LEASE_UNTIL_MS)
            .expression_attribute_names("#redrive", ATTR_REDRIVE)
            .expression_attribute_values(":until", n(now_ms.saturating_add(lease_ms)))
            .expression_attribute_values(":now", n(now_ms))
            .expression_attribute_values(":pending", s(STATUS_PENDING))
            .return_values(ReturnValue::AllNew)
            .send()
            .await;
        match result {
            Ok(out) => {
                let item = out.attributes.unwrap_or_default();
                Ok(ClaimOutcome::Claimed(decode_inbound_item(&item)?))
            }
            Err(e) if is_conditional_failure(&e) => {
                // Find out why: gone, finished, or someone else's live lease.
                match self.get(pk, sk).await? {
                    None => Ok(ClaimOutcome::Missing),
                    Some(item) => {
                        let record = decode_inbound_item(&item)?;
                        if record.status == InboundStatus::Pending {
                            Ok(ClaimOutcome::Busy)
                        } else {
                            Ok(ClaimOutcome::Done(record.status))
                        }
                    }
                }
            }
            Err(e) => Err(self.sdk_error(Op("UpdateItem"), e)),
        }
    }

    async fn set_inbound_status(
        &self,
        conversation: &ConversationKey,
        event: &EventId,
        status: &InboundStatus,
    ) -> Result<(), StoreError> {
        let req = self
            .client
            .update_item()
            .table_name(self.table_name())
            .set_key(Some(Self::key(
                conversation_pk(conversation),
                inbound_sk(event),
            )))
            .condition_expression("attribute_exists(#pk)")
            .expression_attribute_names("#pk", ATTR_PK)
            .expression_attribute_names("#status", ATTR_STATUS)
            .expression_attribute_names("#lease", ATTR_LEASE_UNTIL_MS)
            .expression_attribute_names("#redrive", ATTR_REDRIVE)
            .expression_attribute_names("#at", ATTR_STATUS_AT_MS)
            .expression_attribute_names("#reply", ATTR_REPLY_EVENT_ID)
            .expression_attribute_names("#reason", ATTR_FAILURE_REASON);
        let req = match status {
            InboundStatus::Pending => req
                .update_expression(
                    "SET #status = :status, #redrive = :redrive REMOVE #lease, #at, #reply, #reason, #nb",
                )
                .expression_attribute_names("#nb", ATTR_NOT_BEFORE_MS)
                .expression_attribute_values(":status", s(STATUS_PENDING))
                .expression_attribute_values(":redrive", s(REDRIVE_REQUESTED)),
            InboundStatus::Answered {
                reply_event_id: Some(reply),
                at_ms,
            } => req
                .update_expression(
                    "SET #status = :status, #at = :at, #reply = :reply REMOVE #lease, #redrive, #reason",
                )
                .expression_attribute_values(":status", s(STATUS_ANSWERED))
                .expression_attribute_values(":at", n(*at_ms))
                .expression_attribute_values(":reply", s(reply.as_str())),
            InboundStatus::Answered {
                reply_event_id: None,
                at_ms,
            } => req
                .update_expression(
                    "SET #status = :status, #at = :at REMOVE #lease, #redrive, #reply, #reason",
                )
                .expression_attribute_values(":status", s(STATUS_ANSWERED))
                .expression_attribute_values(":at", n(*at_ms)),
            InboundStatus::Failed { reason, at_ms } => req
                .update_expression(
                    "SET #status = :status, #at = :at, #reason = :reason REMOVE #lease, #redrive, #reply",
                )
                .expression_attribute_values(":status", s(STATUS_FAILED))
                .expression_attribute_values(":at", n(*at_ms))
                .expression_attribute_values(":reason", s(reason.as_str())),
        };
        match req.send().await {
            Ok(_) => Ok(()),
            Err(e) if is_conditional_failure(&e) => Err(StoreError::Rejected(format!(
                "no inbound message {event} in conversation {conversation}"
            ))),
            Err(e) => Err(self.sdk_error(Op("UpdateItem"), e)),
        }
    }

    /// A Scan of the whole table with a filter: this backs the operator command
    /// `dmbot failures list`, not a hot path, so no index is kept for it. Items that cannot be
    /// decoded are logged and left out rather than hiding every other failure.
    async fn list_failed(&self, limit: usize) -> Result<Vec<InboundRecord>, StoreError> {
        let items = self
            .scan_all(
                "#kind = :kind AND #status = :failed",
                &[("#kind", ATTR_KIND), ("#status", ATTR_STATUS)],
                &[(":kind", s(KIND_INBOUND)), (":failed", s(STATUS_FAILED))],
                None,
            )
            .await?;
        let mut failed = decode_listed_inbound(&items, "failed");
        failed.sort_by_key(|r| std::cmp::Reverse(r.message.event_id.numeric()));
        failed.truncate(limit);
        Ok(failed)
    }

    async fn mark_inbound(
        &self,
        conversation: &ConversationKey,
        event: &EventId,
        mark: &AttemptMark,
    ) -> Result<bool, StoreError> {
        let req = self
            .client
            .update_item()
            .table_name(self.table_name())
            .set_key(Some(Self::key(
                conversation_pk(conversation),
                inbound_sk(event),
            )))
            .condition_expression("attribute_exists(#pk) AND #status = :pending")
            .expression_attribute_names("#pk", ATTR_PK)
            .expression_attribute_names("#status", ATTR_STATUS)
            .expression_attribute_values(":pending", s(STATUS_PENDING));
        let req = match mark {
            AttemptMark::Sending { at_ms } => req
                .update_expression("SET #sending = if_not_exists(#sending, :at)")
                .expression_attribute_names("#sending", ATTR_SENDING_MS)
                .expression_attribute_values(":at", n(*at_ms)),
            AttemptMark::Replied { reply } => req
                .update_expression("SET #reply = :reply")
                .expression_attribute_names("#reply", ATTR_SENT_REPLY_ID)
                .expression_attribute_values(":reply", s(reply.as_str())),
            AttemptMark::Deferred {
                until_ms,
                reason,
                release_lease,
            } => {
                let set = "SET #nb = :until, #reason = :reason, \
                           #count = if_not_exists(#count, :zero) + :one";
                let req = req
                    .expression_attribute_names("#nb", ATTR_NOT_BEFORE_MS)
                    .expression_attribute_names("#reason", ATTR_DEFER_REASON)
                    .expression_attribute_names("#count", ATTR_DEFERRALS)
                    .expression_attribute_values(":until", n(*until_ms))
                    .expression_attribute_values(":reason", s(reason.as_str()))
                    .expression_attribute_values(":zero", n(0))
                    .expression_attribute_values(":one", n(1));
                if *release_lease {
                    req.update_expression(format!("{set} REMOVE #lease"))
                        .expression_attribute_names("#lease", ATTR_LEASE_UNTIL_MS)
                } else {
                    req.update_expression(set)
                }
            }
        };
        match req.send().await {
            Ok(_) => {}
            Err(e) if is_conditional_failure(&e) => return Ok(false),
            Err(e) => return Err(self.sdk_error(Op("UpdateItem"), e)),
        }
        if let AttemptMark::Deferred { until_ms, .. } = mark {
            // The scheduled re-drive finds it through this entry. Written after the message's
            // own mark: an entry whose message is answered meanwhile is dropped by the re-drive.
            let item = HashMap::from([
                (ATTR_PK.to_string(), s(PK_DEFERRED)),
                (
                    ATTR_SK.to_string(),
                    s(deferred_sk(*until_ms, conversation, event)),
                ),
                (ATTR_KIND.to_string(), s(KIND_DEFERRED)),
                (
                    ATTR_INBOUND_PK.to_string(),
                    s(conversation_pk(conversation)),
                ),
                (ATTR_INBOUND_SK.to_string(), s(inbound_sk(event))),
                (ATTR_EXPIRES_AT.to_string(), n(expires_at(*until_ms))),
            ]);
            self.client
                .put_item()
                .table_name(self.table_name())
                .set_item(Some(item))
                .send()
                .await
                .map_err(|e| self.sdk_error(Op("PutItem"), e))?;
        }
        Ok(true)
    }

    /// One Query of the `DEFERRED` partition up to `now_ms`; for each entry an UpdateItem on
    /// the message (`redrive`, due time removed; only while pending and due) and a DeleteItem of
    /// the entry.
    async fn take_due_deferred(
        &self,
        now_ms: u64,
        limit: usize,
    ) -> Result<Vec<InboundRecord>, StoreError> {
        let out = self
            .client
            .query()
            .table_name(self.table_name())
            .consistent_read(true)
            .key_condition_expression("#pk = :pk AND #sk <= :due")
            .expression_attribute_names("#pk", ATTR_PK)
            .expression_attribute_names("#sk", ATTR_SK)
            .expression_attribute_values(":pk", s(PK_DEFERRED))
            .expression_attribute_values(":due", s(format!("{now_ms:020}#~")))
            .limit(i32::try_from(limit).unwrap_or(i32::MAX))
            .send()
            .await
            .map_err(|e| self.sdk_error(Op("Query"), e))?;
        let mut taken = Vec::new();
        for entry in out.items.unwrap_or_default() {
            let (Some(AttributeValue::S(pk)), Some(AttributeValue::S(sk))) =
                (entry.get(ATTR_INBOUND_PK), entry.get(ATTR_INBOUND_SK))
            else {
                tracing::warn!("dropping a deferred entry without its message's keys");
                self.delete_entry(&entry).await?;
                continue;
            };
            let result = self
                .client
                .update_item()
                .table_name(self.table_name())
                .set_key(Some(Self::key(pk.clone(), sk.clone())))
                .update_expression("SET #redrive = :requested REMOVE #nb")
                .condition_expression(
                    "attribute_exists(#pk) AND #status = :pending AND #nb <= :now",
                )
                .expression_attribute_names("#pk", ATTR_PK)
                .expression_attribute_names("#status", ATTR_STATUS)
                .expression_attribute_names("#nb", ATTR_NOT_BEFORE_MS)
                .expression_attribute_names("#redrive", ATTR_REDRIVE)
                .expression_attribute_values(":requested", s(REDRIVE_REQUESTED))
                .expression_attribute_values(":pending", s(STATUS_PENDING))
                .expression_attribute_values(":now", n(now_ms))
                .return_values(ReturnValue::AllNew)
                .send()
                .await;
            match result {
                Ok(out) => {
                    let item = out.attributes.unwrap_or_default();
                    taken.push(decode_inbound_item(&item)?);
                }
                // Answered, gone, or put off again (a later entry brings it back).
                Err(e) if is_conditional_failure(&e) => {}
                Err(e) => return Err(self.sdk_error(Op("UpdateItem"), e)),
            }
            self.delete_entry(&entry).await?;
        }
        Ok(taken)
    }

    /// A filtered Scan, like [`Inbox::list_failed`]: an operator command, not a hot path.
    async fn list_unfinished(
        &self,
        received_before_ms: u64,
        limit: usize,
    ) -> Result<Vec<InboundRecord>, StoreError> {
        let items = self
            .scan_all(
                "#kind = :kind AND #status = :pending AND #received < :before",
                &[
                    ("#kind", ATTR_KIND),
                    ("#status", ATTR_STATUS),
                    ("#received", ATTR_RECEIVED_MS),
                ],
                &[
                    (":kind", s(KIND_INBOUND)),
                    (":pending", s(STATUS_PENDING)),
                    (":before", n(received_before_ms)),
                ],
                None,
            )
            .await?;
        let mut pending = decode_listed_inbound(&items, "pending");
        pending.sort_by_key(|r| (r.received_ms, r.message.event_id.numeric()));
        pending.truncate(limit);
        Ok(pending)
    }
}

impl DynamoStore {
    /// Deletes the item with `item`'s key.
    async fn delete_entry(&self, item: &HashMap<String, AttributeValue>) -> Result<(), StoreError> {
        let key: HashMap<String, AttributeValue> = item
            .iter()
            .filter(|(k, _)| *k == ATTR_PK || *k == ATTR_SK)
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        self.client
            .delete_item()
            .table_name(self.table_name())
            .set_key(Some(key))
            .send()
            .await
            .map_err(|e| self.sdk_error(Op("DeleteItem"), e))?;
        Ok(())
    }

    /// The UpdateItem that creates or merges into the receipt of `event` in `conversation`:
    /// its key attributes and expiry (kept from the first write), the caller adds the rest.
    fn receipt_update(
        &self,
        conversation: &ConversationKey,
        event: &EventId,
        at_ms: u64,
        set: &str,
    ) -> aws_sdk_dynamodb::operation::update_item::builders::UpdateItemFluentBuilder {
        self.client
            .update_item()
            .table_name(self.table_name())
            .set_key(Some(Self::key(
                conversation_pk(conversation),
                sent_sk(event),
            )))
            .update_expression(format!(
                "SET #kind = :kind, #event = :event, #account = :account, #customer = :customer, \
                 #expires = if_not_exists(#expires, :expires), {set}"
            ))
            .expression_attribute_names("#kind", ATTR_KIND)
            .expression_attribute_names("#event", ATTR_EVENT_ID)
            .expression_attribute_names("#account", ATTR_ACCOUNT_ID)
            .expression_attribute_names("#customer", ATTR_CUSTOMER_ID)
            .expression_attribute_names("#expires", ATTR_EXPIRES_AT)
            .expression_attribute_values(":kind", s(KIND_SENT))
            .expression_attribute_values(":event", s(event.as_str()))
            .expression_attribute_values(":account", s(conversation.account.as_str()))
            .expression_attribute_values(":customer", s(conversation.customer.as_str()))
            .expression_attribute_values(":expires", n(expires_at(at_ms)))
    }
}

impl Outbox for DynamoStore {
    async fn record_sent(
        &self,
        conversation: &ConversationKey,
        sent: &EventId,
        in_reply_to: &EventId,
        at_ms: u64,
    ) -> Result<(), StoreError> {
        self.receipt_update(
            conversation,
            sent,
            at_ms,
            "#reply_to = :reply_to, #sent = if_not_exists(#sent, :at)",
        )
        .expression_attribute_names("#reply_to", ATTR_IN_REPLY_TO)
        .expression_attribute_names("#sent", ATTR_SENT_MS)
        .expression_attribute_values(":reply_to", s(in_reply_to.as_str()))
        .expression_attribute_values(":at", n(at_ms))
        .send()
        .await
        .map_err(|e| self.sdk_error(Op("UpdateItem"), e))?;
        Ok(())
    }

    async fn record_echo(&self, echo: &AccountEcho, at_ms: u64) -> Result<(), StoreError> {
        let from_app = if echo.from_our_app { "true" } else { "false" };
        self.receipt_update(
            &echo.conversation,
            &echo.event_id,
            at_ms,
            "#created = :created, #from_app = :from_app",
        )
        .expression_attribute_names("#created", ATTR_ECHO_CREATED_MS)
        .expression_attribute_names("#from_app", ATTR_ECHO_FROM_APP)
        .expression_attribute_values(":created", n(echo.created_ms))
        .expression_attribute_values(":from_app", s(from_app))
        .send()
        .await
        .map_err(|e| self.sdk_error(Op("UpdateItem"), e))?;
        Ok(())
    }

    /// One Query in the conversation's partition: `OUT#` keys after `after`'s, in key order
    /// (event id order, the keys being zero-padded).
    async fn receipts_after(
        &self,
        conversation: &ConversationKey,
        after: &EventId,
    ) -> Result<Vec<Receipt>, StoreError> {
        let out = self
            .client
            .query()
            .table_name(self.table_name())
            .consistent_read(true)
            .key_condition_expression("#pk = :pk AND #sk BETWEEN :from AND :to")
            .expression_attribute_names("#pk", ATTR_PK)
            .expression_attribute_names("#sk", ATTR_SK)
            .expression_attribute_values(":pk", s(conversation_pk(conversation)))
            .expression_attribute_values(
                ":from",
                s(format!("OUT#{:0>32}", after.numeric().saturating_add(1))),
            )
            .expression_attribute_values(":to", s(format!("OUT#{}", "9".repeat(32))))
            .limit(RECEIPTS_LIMIT as i32)
            .send()
            .await
            .map_err(|e| self.sdk_error(Op("Query"), e))?;
        let mut found = Vec::new();
        for item in out.items.unwrap_or_default() {
            let receipt = decode_receipt(&item)?;
            // Markers written before the keys were padded sort among these; keep only ids after.
            if receipt.event_id.numeric() > after.numeric() {
                found.push(receipt);
            }
        }
        found.sort_by_key(|r| r.event_id.numeric());
        Ok(found)
    }

    async fn is_sent_by_bot(
        &self,
        conversation: &ConversationKey,
        event: &EventId,
    ) -> Result<bool, StoreError> {
        let pk = conversation_pk(conversation);
        if let Some(item) = self.get(pk.clone(), sent_sk(event)).await? {
            if decode_receipt(&item)?.is_recorded_send() {
                return Ok(true);
            }
        }
        if sent_sk(event) == legacy_sent_sk(event) {
            return Ok(false);
        }
        Ok(self.get(pk, legacy_sent_sk(event)).await?.is_some())
    }
}

impl Conversations for DynamoStore {
    async fn load_conversation(
        &self,
        conversation: &ConversationKey,
    ) -> Result<Conversation, StoreError> {
        let pk = conversation_pk(conversation);
        let (state_item, agent_item) = futures::future::try_join(
            self.get(pk.clone(), SK_STATE.to_string()),
            self.get(pk, SK_AGENT.to_string()),
        )
        .await?;
        let (state, version) = match state_item {
            None => (ConversationState::default(), 0),
            Some(item) => (
                json(&item, "conversation", ATTR_STATE)?,
                req_n(&item, "conversation", ATTR_VERSION)?,
            ),
        };
        let agent_last_active_ms = match agent_item {
            None => None,
            Some(item) => opt_n(&item, "agent activity", ATTR_AGENT_LAST_ACTIVE_MS)?,
        };
        Ok(Conversation {
            state,
            version,
            agent_last_active_ms,
        })
    }

    async fn save_conversation(
        &self,
        conversation: &ConversationKey,
        state: &ConversationState,
        expected_version: u64,
    ) -> Result<u64, StoreError> {
        let next = expected_version.checked_add(1).ok_or_else(|| {
            StoreError::Rejected(format!("conversation {conversation}: version overflow"))
        })?;
        let item = HashMap::from([
            (ATTR_PK.to_string(), s(conversation_pk(conversation))),
            (ATTR_SK.to_string(), s(SK_STATE)),
            (ATTR_KIND.to_string(), s(KIND_CONVERSATION)),
            (
                ATTR_ACCOUNT_ID.to_string(),
                s(conversation.account.as_str()),
            ),
            (
                ATTR_CUSTOMER_ID.to_string(),
                s(conversation.customer.as_str()),
            ),
            (ATTR_VERSION.to_string(), n(next)),
            (
                ATTR_STATE.to_string(),
                s(to_json("conversation state", state)?),
            ),
            // Kept 30 days after the last save, as the messages are.
            (
                ATTR_EXPIRES_AT.to_string(),
                n(expires_at(crate::domain::now_ms())),
            ),
        ]);
        let req = self
            .client
            .put_item()
            .table_name(self.table_name())
            .set_item(Some(item));
        let req = if expected_version == 0 {
            req.condition_expression("attribute_not_exists(#pk)")
                .expression_attribute_names("#pk", ATTR_PK)
        } else {
            req.condition_expression("#version = :expected")
                .expression_attribute_names("#version", ATTR_VERSION)
                .expression_attribute_values(":expected", n(expected_version))
        };
        match req.send().await {
            Ok(_) => Ok(next),
            Err(e) if is_conditional_failure(&e) => Err(StoreError::Conflict {
                what: format!("conversation {conversation}"),
            }),
            Err(e) => Err(self.sdk_error(Op("PutItem"), e)),
        }
    }

    async fn record_agent_activity(&self, activity: &AgentActivity) -> Result<(), StoreError> {
        let conversation = &activity.conversation;
        let result = self
            .client
            .update_item()
            .table_name(self.table_name())
            .set_key(Some(Self::key(
                conversation_pk(conversation),
                SK_AGENT.to_string(),
            )))
            .update_expression(
                "SET #agent = :at, #kind = :kind, #account = :account, #customer = :customer, \
                 #expires = :expires",
            )
            .condition_expression("attribute_not_exists(#agent) OR #agent < :at")
            .expression_attribute_names("#expires", ATTR_EXPIRES_AT)
            .expression_attribute_values(":expires", n(expires_at(activity.created_ms)))
            .expression_attribute_names("#agent", ATTR_AGENT_LAST_ACTIVE_MS)
            .expression_attribute_names("#kind", ATTR_KIND)
            .expression_attribute_names("#account", ATTR_ACCOUNT_ID)
            .expression_attribute_names("#customer", ATTR_CUSTOMER_ID)
            .expression_attribute_values(":at", n(activity.created_ms))
            .expression_attribute_values(":kind", s(KIND_AGENT_ACTIVITY))
            .expression_attribute_values(":account", s(conversation.account.as_str()))
            .expression_attribute_values(":customer", s(conversation.customer.as_str()))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            // A later activity is already stored: keep it.
            Err(e) if is_conditional_failure(&e) => Ok(()),
            Err(e) => Err(self.sdk_error(Op("UpdateItem"), e)),
        }
    }
}

impl Accounts for DynamoStore {
    async fn put_account(&self, account: &AccountRecord) -> Result<(), StoreError> {
        let item = HashMap::from([
            (ATTR_PK.to_string(), s(account_pk(&account.id))),
            (ATTR_SK.to_string(), s(SK_PROFILE)),
            (ATTR_KIND.to_string(), s(KIND_ACCOUNT)),
            (ATTR_ACCOUNT_ID.to_string(), s(account.id.as_str())),
            (ATTR_ACCOUNT.to_string(), s(to_json("account", account)?)),
        ]);
        self.client
            .put_item()
            .table_name(self.table_name())
            .set_item(Some(item))
            .send()
            .await
            .map_err(|e| self.sdk_error(Op("PutItem"), e))?;
        Ok(())
    }

    async fn get_account(&self, id: &AccountId) -> Result<Option<AccountRecord>, StoreError> {
        self.get(account_pk(id), SK_PROFILE.to_string())
            .await?
            .map(|item| decode_account(&item))
            .transpose()
    }

    /// A Scan with a filter: accounts are few and this backs operator commands and start-up,
    /// not the per-message path. Sorted by id.
    async fn list_accounts(&self) -> Result<Vec<AccountRecord>, StoreError> {
        let items = self
            .scan_all(
                "#kind = :kind",
                &[("#kind", ATTR_KIND)],
                &[(":kind", s(KIND_ACCOUNT))],
                None,
            )
            .await?;
        let mut accounts = items
            .iter()
            .map(decode_account)
            .collect::<Result<Vec<_>, _>>()?;
        accounts.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(accounts)
    }
}

impl Revocations for DynamoStore {
    /// One transaction: delete `ACCOUNT#<id>` (the tokens) and put `FORGET`/`<id>`. Both are
    /// unconditional, so an unknown account costs the same two writes and a repeat only moves
    /// `requested_ms`.
    async fn revoke_account(&self, id: &AccountId, now_ms: u64) -> Result<(), StoreError> {
        let build = |e: aws_sdk_dynamodb::error::BuildError| {
            StoreError::Rejected(format!("revoke transaction could not be built: {e}"))
        };
        let delete = Delete::builder()
            .table_name(self.table_name())
            .set_key(Some(Self::key(account_pk(id), SK_PROFILE.to_string())))
            .build()
            .map_err(build)?;
        let pending = Put::builder()
            .table_name(self.table_name())
            .set_item(Some(HashMap::from([
                (ATTR_PK.to_string(), s(PK_FORGET)),
                (ATTR_SK.to_string(), s(id.as_str())),
                (ATTR_KIND.to_string(), s(KIND_FORGET)),
                (ATTR_REQUESTED_MS.to_string(), n(now_ms)),
            ])))
            .build()
            .map_err(build)?;
        self.client
            .transact_write_items()
            .transact_items(TransactWriteItem::builder().delete(delete).build())
            .transact_items(TransactWriteItem::builder().put(pending).build())
            .send()
            .await
            .map_err(|e| self.sdk_error(Op("TransactWriteItems"), e))?;
        tracing::info!(account = %id, "account revoked: record removed, data removal queued");
        Ok(())
    }

    async fn pending_forgets(&self, limit: usize) -> Result<Vec<PendingForget>, StoreError> {
        const WHAT: &str = "pending removal";
        let out = self
            .client
            .query()
            .table_name(self.table_name())
            .consistent_read(true)
            .key_condition_expression("#pk = :pk")
            .expression_attribute_names("#pk", ATTR_PK)
            .expression_attribute_values(":pk", s(PK_FORGET))
            .limit(i32::try_from(limit).unwrap_or(i32::MAX))
            .send()
            .await
            .map_err(|e| self.sdk_error(Op("Query"), e))?;
        let mut pending = out
            .items
            .unwrap_or_default()
            .iter()
            .map(|item| {
                let account = AccountId::parse(req_s(item, WHAT, ATTR_SK)?)
                    .map_err(|e| corrupt(item, WHAT, e.to_string()))?;
                Ok(PendingForget {
                    account,
                    requested_ms: req_n(item, WHAT, ATTR_REQUESTED_MS)?,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        pending.sort_by_key(|p| p.requested_ms);
        Ok(pending)
    }

    /// The account's conversation items come from the [`INDEX_BY_ACCOUNT`] index (a Query on
    /// its id, sort key beginning with `CONV#<id>#`), its media references from the `MEDIA#<id>`
    /// partition; up to `max_entries` of them are deleted with BatchWriteItem. A step that finds
    /// nothing deletes the `FORGET` item. The index is eventually consistent: a key deleted a
    /// moment ago may come back once more (deleting it again is harmless).
    async fn forget_step(
        &self,
        id: &AccountId,
        max_entries: usize,
    ) -> Result<ForgetStep, StoreError> {
        let max_entries = max_entries.max(1);
        let (mut keys, _) = self
            .query_keys(
                Some(INDEX_BY_ACCOUNT),
                "#account = :account AND begins_with(#pk, :prefix)",
                &[
                    (":account", s(id.as_str())),
                    (":prefix", s(account_conversations_prefix(id))),
                ],
                max_entries,
            )
            .await?;
        if keys.len() < max_entries {
            let (media, _) = self
                .query_keys(
                    None,
                    "#pk = :pk",
                    &[(":pk", s(media_pk(id)))],
                    max_entries - keys.len(),
                )
                .await?;
            keys.extend(media);
        }
        let removed = keys.len() as u64;
        if removed > 0 {
            self.delete_keys(keys).await?;
            return Ok(ForgetStep {
                removed,
                done: false,
            });
        }
        self.client
            .delete_item()
            .table_name(self.table_name())
            .set_key(Some(Self::key(PK_FORGET.to_string(), id.to_string())))
            .send()
            .await
            .map_err(|e| self.sdk_error(Op("DeleteItem"), e))?;
        tracing::info!(account = %id, "revoked account's data removed");
        Ok(ForgetStep {
            removed: 0,
            done: true,
        })
    }
}

impl Flows for DynamoStore {
    /// One transaction: the flow's `HEAD` item moves to the new version only if it is newer
    /// than the stored one, and the version item is written only if it is new. Two operators
    /// syncing at once cannot leave an older version on top.
    async fn put_flow(&self, flow: &FlowRecord) -> Result<(), StoreError> {
        let pk = flow_pk(&flow.flow_id);
        let build = |e: aws_sdk_dynamodb::error::BuildError| {
            StoreError::Rejected(format!("flow transaction could not be built: {e}"))
        };
        let head = Update::builder()
            .table_name(self.table_name())
            .set_key(Some(Self::key(pk.clone(), SK_FLOW_HEAD.to_string())))
            .update_expression("SET #version = :v, #kind = :kind, #flow = :flow")
            .condition_expression("attribute_not_exists(#version) OR #version < :v")
            .expression_attribute_names("#version", ATTR_VERSION)
            .expression_attribute_names("#kind", ATTR_KIND)
            .expression_attribute_names("#flow", ATTR_FLOW_ID)
            .expression_attribute_values(":v", n(flow.version))
            .expression_attribute_values(":kind", s(KIND_FLOW_HEAD))
            .expression_attribute_values(":flow", s(flow.flow_id.as_str()))
            .build()
            .map_err(build)?;
        let item = HashMap::from([
            (ATTR_PK.to_string(), s(pk)),
            (ATTR_SK.to_string(), s(flow_sk(flow.version))),
            (ATTR_KIND.to_string(), s(KIND_FLOW)),
            (ATTR_FLOW_ID.to_string(), s(flow.flow_id.as_str())),
            (ATTR_VERSION.to_string(), n(flow.version)),
            (ATTR_DOCUMENT.to_string(), s(flow.document.as_str())),
            (ATTR_STORED_MS.to_string(), n(flow.stored_ms)),
        ]);
        let version = Put::builder()
            .table_name(self.table_name())
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(#pk)")
            .expression_attribute_names("#pk", ATTR_PK)
            .build()
            .map_err(build)?;
        let result = self
            .client
            .transact_write_items()
            .transact_items(TransactWriteItem::builder().update(head).build())
            .transact_items(TransactWriteItem::builder().put(version).build())
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(e) => {
                let conditional = e
                    .as_service_error()
                    .and_then(|se| match se {
                        aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError::TransactionCanceledException(c) => Some(c),
                        _ => None,
                    })
                    .is_some_and(|c| {
                        c.cancellation_reasons()
                            .iter()
                            .any(|r| r.code() == Some("ConditionalCheckFailed"))
                    });
                if conditional {
                    Err(StoreError::Conflict {
                        what: format!("flow {} version {}", flow.flow_id, flow.version),
                    })
                } else {
                    Err(self.sdk_error(Op("TransactWriteItems"), e))
                }
            }
        }
    }

    async fn get_flow(&self, flow_id: &str) -> Result<Option<FlowRecord>, StoreError> {
        let out = self
            .client
            .query()
            .table_name(self.table_name())
            .consistent_read(true)
            .key_condition_expression("#pk = :pk AND begins_with(#sk, :v)")
            .expression_attribute_names("#pk", ATTR_PK)
            .expression_attribute_names("#sk", ATTR_SK)
            .expression_attribute_values(":pk", s(flow_pk(flow_id)))
            .expression_attribute_values(":v", s("V#"))
            .scan_index_forward(false)
            .limit(1)
            .send()
            .await
            .map_err(|e| self.sdk_error(Op("Query"), e))?;
        out.items
            .unwrap_or_default()
            .first()
            .map(decode_flow)
            .transpose()
    }
}

impl MediaCache for DynamoStore {
    async fn get_media(
        &self,
        account: &AccountId,
        content_sha256: &str,
    ) -> Result<Option<MediaRef>, StoreError> {
        const WHAT: &str = "media";
        let Some(item) = self
            .get(media_pk(account), content_sha256.to_string())
            .await?
        else {
            return Ok(None);
        };
        Ok(Some(MediaRef {
            media_id: req_s(&item, WHAT, ATTR_MEDIA_ID)?.to_string(),
            expires_ms: req_n(&item, WHAT, ATTR_EXPIRES_MS)?,
        }))
    }

    async fn put_media(
        &self,
        account: &AccountId,
        content_sha256: &str,
        media: &MediaRef,
    ) -> Result<(), StoreError> {
        if content_sha256.is_empty() {
            return Err(StoreError::Rejected(
                "media content hash is empty: pass the file's sha256".to_string(),
            ));
        }
        let item = HashMap::from([
            (ATTR_PK.to_string(), s(media_pk(account))),
            (ATTR_SK.to_string(), s(content_sha256)),
            (ATTR_KIND.to_string(), s(KIND_MEDIA)),
            (ATTR_ACCOUNT_ID.to_string(), s(account.as_str())),
            (ATTR_MEDIA_ID.to_string(), s(media.media_id.as_str())),
            (ATTR_EXPIRES_MS.to_string(), n(media.expires_ms)),
            // Twitter forgets the media id a day after upload; let DynamoDB drop the entry then.
            (ATTR_EXPIRES_AT.to_string(), n(media.expires_ms / 1000)),
        ]);
        self.client
            .put_item()
            .table_name(self.table_name())
            .set_item(Some(item))
            .send()
            .await
            .map_err(|e| self.sdk_error(Op("PutItem"), e))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::UserId;

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

    #[test]
    fn flow_sort_keys_sort_like_their_versions() {
        assert!(flow_sk(9) < flow_sk(10));
        assert!(flow_sk(99) < flow_sk(u64::MAX));
    }

    #[test]
    fn account_prefix_does_not_match_a_longer_account_id() {
        let prefix = account_conversations_prefix(&UserId::parse("12").unwrap());
        let other = conversation_pk(&ConversationKey::new(
            UserId::parse("123").unwrap(),
            UserId::parse("4").unwrap(),
        ));
        assert!(!other.starts_with(&prefix));
    }
}
