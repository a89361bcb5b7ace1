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
//! | Inbound message | `CONV#<account>#<customer>` | `EVT#<event id>` | `inbound` | `status` (`pending`/`answered`/`failed`), `event_id`, `account_id`, `customer_id`, `created_ms` N, `received_ms` N, `message` (JSON [`InboundMessage`](crate::domain::InboundMessage)), `status_at_ms` N?, `reply_event_id`?, `failure_reason`?, `lease_until_ms` N?, `redrive`?, `expires_at` N (TTL); while pending, what dispatch attempts wrote: `sending_ms` N?, `sent_reply_id`?, `not_before_ms` N?, `defer_reason`?, `deferrals` N?, `slot_ms` N? (a send slot reserved in the budget windows containing this time, set or removed by each deferral, removed by the send mark that spends it) |
//! | Conversation state | `CONV#<account>#<customer>` | `STATE` | `conversation` | `version` N, `state` (JSON [`ConversationState`](crate::domain::ConversationState)), `account_id`, `customer_id`, `expires_at` N (TTL, 30 days after the last save) |
//! | Agent activity | `CONV#<account>#<customer>` | `AGENT` | `agent_activity` | `agent_last_active_ms` N, `account_id`, `customer_id`, `expires_at` N (TTL, 30 days after the latest activity) |
//! | Receipt of a sent message | `CONV#<account>#<customer>` | `OUT#<event id, zero-padded to 32 digits>` | `sent` | `event_id`, `account_id`, `customer_id`, `expires_at` N (TTL); from the dispatcher: `in_reply_to`, `sent_ms` N; from the echo (webhook): `echo_created_ms` N, `echo_from_app` (`true`/`false`). Both are UpdateItems that merge in either order |
//! | Deferred-message entry | `DEFERRED` | `<due ms, 20 digits>#<event id, zero-padded to 20 digits>#<inbound pk>` (older entries: `<due ms, 20 digits>#<inbound pk>#<event id>`, read alike) | `deferred` | `inbound_pk`, `inbound_sk`, `expires_at` N (TTL): written with a deferral, removed by the scheduled re-drive ([`Inbox::take_due_deferred`](crate::store::Inbox::take_due_deferred)) |
//! | Account | `ACCOUNT#<account>` | `PROFILE` | `account` | `account_id`, `account` (JSON [`AccountRecord`](crate::store::AccountRecord), with its tokens) |
//! | Flow version | `FLOW#<flow id>` | `V#<version, 20 digits>` | `flow` | `flow_id`, `version` N, `document`, `stored_ms` N |
//! | Flow head | `FLOW#<flow id>` | `HEAD` | `flow_head` | `flow_id`, `version` N (the newest version, guards `put_flow`) |
//! | Media | `MEDIA#<account>` | `<content sha256>` | `media` | `account_id`, `media_id`, `expires_ms` N, `expires_at` N (TTL) |
//! | Pending removal | `FORGET` | `<account>` | `forget` | `requested_ms` N (the latest revoke) |
//! | Send budget window | `BUDGET#APP` or `BUDGET#<account>` | `<window name>#<window start ms, 20 digits>` | `budget` | `used` N, `window_end_ms` N, `blocked_until_ms` N?, `expires_at` N (TTL, one window length after the window's end) |
//! | Usage of a day | `USAGE#APP` or `USAGE#<account>` | `<YYYY-MM-DD>` | `usage` | one N per billable kind (`dm_send`, `dm_event_read`, `dm_received_delivery`, `typing_indicator`, `read_receipt`, `media_upload`), `expires_at` N (TTL, 400 days after the day) |
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
//!
//! Files: `item.rs` (the layout: names, keys, stream filters), `codec.rs` (items to records and
//! back), `error.rs` (SDK errors as the port's), `requests.rs` (requests several ports share),
//! `table.rs` (creating the table), then one file per port.

use std::sync::Arc;

use aws_sdk_dynamodb::Client;

mod accounts;
pub(crate) mod budget;
mod codec;
mod conversations;
mod error;
mod flows;
pub(crate) mod health;
mod inbox;
pub(crate) mod invites;
mod item;
mod media;
mod outbox;
mod requests;
mod revocations;
pub(crate) mod signin;
mod table;
pub(crate) mod usage;

pub use codec::{ItemView, decode_inbound_item};
pub use item::*;

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
}
