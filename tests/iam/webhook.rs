//! The webhook role: stores customer messages, counts the deliveries X bills, revokes accounts,
//! and cannot read tokens, scan or read the full secret.

use crate::support::*;

pub(crate) async fn the_webhook_role_stores_a_customer_message() {
    let moto = IamMoto::shared().await;
    let deps = webhook_deps(moto.store_as(WEBHOOK).await);
    let response = handle_webhook_post(
        &deps,
        &signed(customer_dm(
            "7100000001",
            "3001969357",
            "954491830116155396",
        )),
        1_700_000_000_000,
    )
    .await;
    assert_eq!(
        response.status(),
        200,
        "{}; {}",
        response.body(),
        denials(moto)
    );

    // A person answering from the account: the outbox is read, the hand-over recorded.
    let agent = serde_json::json!({
        "for_user_id": "7100000001",
        "direct_message_events": [{
            "type": "message_create",
            "id": "954491830116155397",
            "created_timestamp": "1516403560999",
            "message_create": {
                "target": {"recipient_id": "3001969357"},
                "sender_id": "7100000001",
                "message_data": {"text": "A person here"}
            }
        }]
    })
    .to_string();
    let response = handle_webhook_post(&deps, &signed(agent), 1_700_000_000_000).await;
    assert_eq!(
        response.status(),
        200,
        "{}; {}",
        response.body(),
        denials(moto)
    );
    assert!(
        response.body().contains("\"agent_messages\":1"),
        "{}",
        response.body()
    );

    // An X Activity API `dm.received`: stored, and counted for `dmbot usage` (USAGE#<account>).
    let xaa = xaa_dm_received("7100000001", "3001969358", "954491830116155398");
    let response = handle_webhook_post(&deps, &signed(xaa), 1_700_000_000_000).await;
    assert!(
        response.body().contains("\"stored\":1"),
        "{}; {}",
        response.body(),
        denials(moto)
    );
    let day = UsageDay::from_ms(1_700_000_000_000);
    let admin = moto.admin_store().await;
    let counted = admin.usage(Some(&user("7100000001")), &day, &day).await;
    let counted = counted.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        counted
            .first()
            .and_then(|d| d.counts.get(&BillableKind::DmReceivedDelivery)),
        Some(&1),
        "{counted:?}; {}",
        denials(moto)
    );

    deps.store
        .record_delivery(1_700_000_000_000)
        .await
        .unwrap_or_else(|e| panic!("{e}; {}", denials(moto)));
}

/// L8: the internet-facing webhook cannot read tokens, scan, or read the full secret.
pub(crate) async fn the_webhook_role_cannot_read_accounts_scan_or_read_the_full_secret() {
    let moto = IamMoto::shared().await;
    let admin = moto.admin_store().await;
    populate(&admin, "7100000003").await;
    let webhook = moto.store_as(WEBHOOK).await;
    assert_denied(
        webhook.get_account(&user("7100000003")).await,
        "the webhook reading an account's tokens",
    );
    assert_denied(
        webhook.list_accounts().await,
        "the webhook scanning the table",
    );
    let sm = moto.secrets_as(WEBHOOK).await;
    assert_denied(
        fetch_secret_document(&sm, moto.secret_arn(FULL_SECRET)).await,
        "the webhook reading the full secret",
    );
    let doc = fetch_secret_document(&sm, moto.secret_arn(WEBHOOK_SECRET)).await;
    let doc = doc.unwrap_or_else(|e| panic!("{e}; {}", denials(moto)));
    let secret = doc
        .consumer_secret(moto.secret_arn(WEBHOOK_SECRET))
        .unwrap();
    assert_eq!(secret.expose(), CONSUMER_SECRET);
}

/// H2: in AWS every revoke failed, because the webhook role could not Query.
pub(crate) async fn the_webhook_role_can_revoke_an_account() {
    let moto = IamMoto::shared().await;
    let admin = moto.admin_store().await;
    let account = "7100000002";
    let conversation = populate(&admin, account).await;
    let deps = webhook_deps(moto.store_as(WEBHOOK).await);

    for _ in 0..2 {
        // A repeated revoke is harmless.
        let response =
            handle_webhook_post(&deps, &signed(revoke(account)), 1_700_000_000_000).await;
        assert_eq!(
            response.status(),
            200,
            "{}; {}",
            response.body(),
            denials(moto)
        );
    }
    assert_eq!(admin.get_account(&user(account)).await.unwrap(), None);

    // The rest goes with the watchdog's role, asynchronously.
    let watchdog = moto.store_as(WATCHDOG).await;
    let deadline = Instant::now() + Duration::from_secs(30);
    let report = forget::run_pending(&watchdog, deadline).await;
    let report = report.unwrap_or_else(|e| panic!("{e}; {}", denials(moto)));
    assert!(report.accounts_done >= 1, "{report:?}");
    assert_eq!(
        admin
            .get_inbound(&conversation, &EventId::parse("900").unwrap())
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        admin
            .load_conversation(&conversation)
            .await
            .unwrap()
            .version,
        0
    );
    assert_eq!(
        admin
            .get_media(
                &user(account),
                "5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef"
            )
            .await
            .unwrap(),
        None
    );
    assert!(
        !admin
            .pending_forgets(100)
            .await
            .unwrap()
            .iter()
            .any(|p| p.account.as_str() == account)
    );
}
