//! `dmbot serve` killed with SIGKILL in the middle of a burst of 400 conversations and started
//! again on the same data: with Twitter's retries of the deliveries and of the echoes of the
//! replies already sent (the simulator's, on a shortened schedule), every acknowledged message
//! is answered exactly once and nothing is left pending. The scenario itself is
//! `dmbot_simulator::scenario` (also run at larger sizes by the `dmbot-crash` bench).

mod support;

use std::time::Duration;

use dmbot_shared::store::Inbox;
use dmbot_shared::store::embedded::EmbeddedStore;
use dmbot_simulator::scenario::{CrashOptions, run_crash};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_serve_killed_mid_burst_answers_every_message_exactly_once_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let report = run_crash(CrashOptions {
        dmbot: env!("CARGO_BIN_EXE_dmbot").into(),
        flow: support::example_flow(),
        dir: dir.path().to_path_buf(),
        conversations: 400,
        concurrency: 8,
        kill_after: 200,
        retry_delays: vec![
            Duration::from_millis(500),
            Duration::from_secs(2),
            Duration::from_secs(8),
        ],
        quiet: Duration::from_secs(2),
        give_up_after: Duration::from_secs(240),
        serve_log: "info".into(),
    })
    .await
    .unwrap_or_else(|e| panic!("the scenario could not run: {e}"));
    let log = std::fs::read_to_string(dir.path().join("serve.log")).unwrap_or_default();
    println!("{report:?}");
    if std::env::var_os("CRASH_LOG").is_some() {
        std::fs::write("/tmp/crash-serve.log", &log).unwrap();
    }

    assert_eq!(report.acknowledged, 400, "{report:?}");
    assert_eq!((report.lost, report.doubled), (0, 0), "{report:?}\n{log}");
    assert_eq!(report.replies, 400);
    assert!(report.clean_exit, "serve stopped cleanly at the end");

    // Nothing left pending in the data file.
    let store = EmbeddedStore::open(dir.path().join("data").join("dmbot.redb")).unwrap();
    let pending = store.pending_inbound().await.unwrap();
    assert!(pending.is_empty(), "left pending: {pending:?}");
    let unfinished = store.list_unfinished(u64::MAX, 10).await.unwrap();
    assert!(unfinished.is_empty());
    let failed = store.list_failed(10).await.unwrap();
    assert!(failed.is_empty(), "{failed:?}");
}
