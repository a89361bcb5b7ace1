//! The storage contract: one set of behaviour tests, written once as generic functions, one
//! module per port, run against every implementation:
//! - `memory_store`: [`MemoryStore`], the reference behaviour;
//! - `embedded_store`: [`EmbeddedStore`] on a file in a temporary directory;
//! - `dynamo_store`: [`DynamoStore`] on a fresh table in moto (fails, never skips, when moto is
//!   not installed).
//!
//! Then the tests of what only one adapter has (`embedded_only`: restart survival,
//! notifications, sweep and schema of the embedded store; `dynamo_only`: the DynamoDB item layout
//! and error mapping).

use std::collections::BTreeMap;

use dmbot_shared::domain::{
    AccountEcho, AgentActivity, ConversationKey, ConversationState, EventId, Handoff,
    HandoffReason, InboundMedia, InboundMessage, InboundRecord, InboundStatus, UserId,
};
use dmbot_shared::invite::InviteToken;
use dmbot_shared::store::dynamodb::DynamoStore;
use dmbot_shared::store::embedded::EmbeddedStore;
use dmbot_shared::store::invites::{InviteRecord, Invites};
use dmbot_shared::store::memory::MemoryStore;
use dmbot_shared::store::{
    AccountRecord, AccountTokens, AttemptMark, ClaimOutcome, FlowRecord, ForgetStep, MediaRef,
    PendingForget, PutOutcome, Receipt, Store, StoreError,
};
use dmbot_tests::moto::Moto;

/// A store under test and whatever must live as long as it (a temporary directory).
struct Fixture<S> {
    store: S,
    _dir: Option<tempfile::TempDir>,
}

async fn memory() -> Fixture<MemoryStore> {
    Fixture {
        store: MemoryStore::new(),
        _dir: None,
    }
}

async fn embedded() -> Fixture<EmbeddedStore> {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let store = EmbeddedStore::open(dir.path().join("data").join("dmbot.redb"))
        .expect("the embedded store opens in a fresh directory");
    Fixture {
        store,
        _dir: Some(dir),
    }
}

async fn dynamo() -> Fixture<DynamoStore> {
    Fixture {
        store: Moto::shared().await.fresh_table().await,
        _dir: None,
    }
}

mod data;

// The ports, one module each (the case functions).
mod accounts;
mod attempts;
mod budget;
mod conversations;
mod flows;
mod health;
mod inbox;
mod invites;
mod media;
mod outbox;
mod pending;
mod revocations;
mod signin;
mod usage;

mod dynamo_costs;
mod dynamo_only;
mod embedded_only;

/// Runs every case against every store: `<store>::<case>`, the case being `<port>::<case>`.
macro_rules! contract {
    ($($port:ident :: $case:ident),* $(,)?) => {
        mod memory_store {
            $(
                #[tokio::test]
                async fn $case() {
                    let fixture = super::memory().await;
                    super::$port::$case(&fixture.store).await;
                }
            )*
        }
        mod embedded_store {
            $(
                #[tokio::test]
                async fn $case() {
                    let fixture = super::embedded().await;
                    super::$port::$case(&fixture.store).await;
                }
            )*
        }
        mod dynamo_store {
            $(
                #[tokio::test]
                async fn $case() {
                    let fixture = super::dynamo().await;
                    super::$port::$case(&fixture.store).await;
                }
            )*
        }
    };
}

contract!(
    inbox::a_redelivered_event_is_stored_once,
    inbox::get_inbound_returns_the_stored_record_or_nothing,
    inbox::the_same_event_id_in_two_conversations_is_two_messages,
    inbox::a_claim_holds_the_message_until_its_lease_runs_out,
    inbox::claiming_a_finished_or_unknown_message_says_so,
    inbox::final_statuses_are_stored_as_given,
    inbox::setting_the_status_of_an_unknown_message_is_refused,
    inbox::failures_are_listed_newest_event_first_up_to_the_limit,
    inbox::a_redriven_failure_is_pending_and_claimable_again,
    outbox::the_bot_recognises_only_its_own_sent_messages,
    outbox::receipts_merge_the_dispatchers_record_and_the_echo_in_either_order,
    outbox::receipts_after_an_id_come_in_event_id_order_and_only_for_the_conversation,
    attempts::attempt_marks_are_kept_on_a_pending_message_only,
    attempts::unfinished_messages_are_the_pending_ones_received_before_a_time,
    attempts::messages_put_off_are_taken_once_when_due_and_never_when_answered,
    attempts::a_deferral_stores_its_reserved_slot_or_removes_it,
    attempts::a_send_mark_spends_the_reserved_slot,
    attempts::messages_due_at_one_time_are_taken_in_event_id_order_across_conversations,
    pending::a_conversation_without_pending_messages_has_none,
    pending::the_pending_messages_of_a_conversation_come_oldest_event_first,
    pending::only_the_latest_messages_up_to_the_limit_are_looked_at,
    conversations::an_unknown_conversation_loads_as_new,
    conversations::each_save_bumps_the_version,
    conversations::a_save_on_a_stale_version_is_a_conflict,
    conversations::of_concurrent_saves_on_one_version_exactly_one_wins,
    conversations::agent_activity_keeps_the_latest_time_without_touching_the_version,
    accounts::accounts_are_stored_listed_by_id_and_replaced,
    revocations::a_revoke_removes_the_record_at_once_and_forgetting_removes_the_rest_only,
    revocations::forgetting_an_account_with_many_messages_removes_them_all,
    revocations::revoking_an_unknown_account_again_and_again_is_harmless,
    revocations::pending_removals_are_listed_oldest_first_up_to_the_limit,
    flows::the_newest_flow_version_is_the_active_one,
    flows::an_older_or_equal_flow_version_is_refused,
    media::media_ids_are_cached_per_account_and_content,
    invites::invites_are_kept_until_used_revoked_or_expired,
    invites::of_concurrent_takes_of_an_invite_exactly_one_wins,
    signin::a_pending_sign_in_is_read_until_taken_once_and_void_when_expired,
    signin::a_second_put_of_a_request_token_replaces_the_first,
    signin::of_concurrent_takes_of_a_sign_in_exactly_one_wins,
    health::the_health_record_keeps_each_writers_fields,
    health::an_older_crc_or_delivery_time_never_replaces_a_newer_one,
    health::the_latest_watchdog_run_replaces_the_one_before,
    budget::a_window_grants_up_to_its_limit_then_says_when_it_ends,
    budget::of_twenty_concurrent_takers_on_a_limit_of_15_exactly_15_are_granted,
    budget::a_slot_given_back_is_granted_again_and_the_count_never_goes_below_zero,
    budget::x_saying_none_remain_refuses_takes_until_its_reset,
    budget::budgets_of_the_app_and_of_each_account_are_separate,
    budget::the_block_from_x_is_read_until_its_reset,
    budget::a_take_at_a_later_time_reserves_a_slot_in_that_window,
    usage::counts_add_up_by_kind_day_and_owner,
    usage::concurrent_recorders_lose_no_count,
);
