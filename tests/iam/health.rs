//! The crc and watchdog roles: their secrets and their health records.

use crate::support::*;

pub(crate) async fn the_crc_role_reads_its_secret_and_records_its_health_only() {
    let moto = IamMoto::shared().await;
    let sm = moto.secrets_as(CRC).await;
    let doc = fetch_secret_document(&sm, moto.secret_arn(WEBHOOK_SECRET)).await;
    let doc = doc.unwrap_or_else(|e| panic!("{e}; {}", denials(moto)));
    assert!(doc.consumer_secret(moto.secret_arn(WEBHOOK_SECRET)).is_ok());
    assert_denied(
        fetch_secret_document(&sm, moto.secret_arn(FULL_SECRET)).await,
        "crc reading the full secret",
    );
    let store = moto.store_as(CRC).await;
    store
        .record_crc(1_700_000_000_000, 1_500)
        .await
        .unwrap_or_else(|e| panic!("{e}; {}", denials(moto)));
    assert_denied(
        store.get_account(&user("7100000003")).await,
        "crc reading an account",
    );
}

pub(crate) async fn the_watchdog_role_reads_the_secret_and_keeps_the_health_record() {
    let moto = IamMoto::shared().await;
    let sm = moto.secrets_as(WATCHDOG).await;
    let doc = fetch_secret_document(&sm, moto.secret_arn(FULL_SECRET)).await;
    let doc = doc.unwrap_or_else(|e| panic!("{e}; {}", denials(moto)));
    assert!(doc.credentials(moto.secret_arn(FULL_SECRET)).is_ok());
    let store = moto.store_as(WATCHDOG).await;
    store
        .record_watchdog_run(&WatchdogRun {
            at_ms: 1_700_000_000_000,
            outcome: WatchdogOutcome::Valid,
            detail: "ok".to_string(),
            invalid_runs: 0,
            silent: false,
            list_rate_limit: None,
            crc_rate_limit: None,
        })
        .await
        .unwrap_or_else(|e| panic!("{e}; {}", denials(moto)));
    store
        .get_health()
        .await
        .unwrap_or_else(|e| panic!("{e}; {}", denials(moto)));
    // Removing data never reaches an account record.
    assert_denied(
        store.get_account(&user("7100000003")).await,
        "the watchdog reading an account",
    );
}
