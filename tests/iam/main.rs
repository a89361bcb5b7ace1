//! IAM matches the code: every function's real code paths run with the permissions
//! `template.yaml` gives its role, enforced by a policy engine: moto with the evaluation of
//! `tests/iam/moto_iam.py` (actions, resource ARNs and `dynamodb:LeadingKeys` conditions; that
//! file says exactly what is and is not enforced). A call the role does not allow fails the
//! test, and the tests also check a few things each role must NOT be able to do (the webhook
//! reading tokens or the full secret, scanning).
//!
//! Paths covered: webhook (a customer message, a person answering from the account, the
//! delivery health record, a revoke), the asynchronous removal of a revoked account's data
//! (watchdog), the watchdog's and crc's health records, dispatch end to end (connected
//! account, stored flow, media upload, send, outbox, state, status) against the simulator,
//! sign-in end to end (an operator's invite, start, callback that consumes the invite, account
//! record), and each function's secret fetch. Not covered: what the Lambda service does for the
//! functions (stream reads, the dead-letter queue, logs), and sign-in giving an invite back when
//! storing the account fails (a `PutItem` on `INVITE#`, granted and exempted below).
//!
//! The enforcing moto is a process of its own (`dmbot_tests::iam`), so the other suites keep
//! their unauthenticated moto. Its log names every allowed and denied request per role.

//!
//! One module per role: `webhook.rs`, `health.rs` (crc and watchdog), `dispatch.rs`,
//! `dispatch_recovery.rs`, `signin.rs`; shared helpers in `support.rs`.

mod dispatch_recovery;

mod dispatch;
mod dispatch_budget;
mod health;
mod signin;
mod support;
mod webhook;

use dmbot_tests::iam::IamMoto;

/// Every path under its role, one after the other (they share the table and the fake ids), and
/// then: every action of every statement of every role was needed by some path, so a role holds
/// nothing more than its code calls. The one exception is sign-in's `PutItem` on `INVITE#*`, which
/// gives an invite back only when storing the account fails after the invite was consumed.
#[tokio::test]
async fn every_function_path_runs_under_its_role_and_needs_every_grant() {
    // H2 first: in AWS every revoke failed, the webhook role could not Query.
    webhook::the_webhook_role_can_revoke_an_account().await;
    webhook::the_webhook_role_stores_a_customer_message().await;
    webhook::the_webhook_role_cannot_read_accounts_scan_or_read_the_full_secret().await;
    health::the_crc_role_reads_its_secret_and_records_its_health_only().await;
    health::the_watchdog_role_reads_the_secret_and_keeps_the_health_record().await;
    dispatch::the_dispatch_role_answers_a_message_end_to_end().await;
    dispatch_budget::the_dispatch_role_reserves_and_uses_a_send_slot_within_the_spend_cap().await;
    dispatch_recovery::the_dispatch_role_puts_off_a_rate_limited_message_and_redrives_it().await;
    dispatch_recovery::the_dispatch_role_decides_an_interrupted_attempt_from_the_echo_receipt()
        .await;
    signin::the_signin_role_connects_an_account_end_to_end().await;

    let mut unused = IamMoto::shared().await.unused_grants();
    unused.retain(|_, grants| {
        grants.retain(|(action, statement)| {
            !(action.as_str() == "dynamodb:PutItem" && statement.to_string().contains("INVITE#"))
        });
        !grants.is_empty()
    });
    assert!(
        unused.is_empty(),
        "template.yaml grants what no code path needed: {unused:#?}"
    );
}
