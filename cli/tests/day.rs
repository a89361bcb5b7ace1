//! A tiny simulated day on X API v2 (issue 16): customers arrive above X's send limit for two
//! (1-second) windows and below it for three, every tenth writes twice, against a real `dmbot
//! serve` with X's limits enforced by the simulator; once straight through and once with a
//! SIGKILL and restart mid-way through the busy windows. Only correctness is asserted (everyone
//! answered, nobody twice, each conversation in order): the waits, 429s, FIFO and spend are the
//! `dmbot-day` bench's figures (BENCHMARKS.md, "Rate limits and cost (simulated day)"), not
//! assertions. The scenario is `dmbot_simulator::scenario::day`.

mod support;

use std::time::Duration;

use dmbot_simulator::scenario::{DayOptions, DayReport, run_day};

async fn tiny_day(kill_at: Option<f64>) -> (DayReport, String) {
    let dir = tempfile::tempdir().unwrap();
    let report = run_day(DayOptions {
        dmbot: env!("CARGO_BIN_EXE_dmbot").into(),
        flow: support::example_flow(),
        dir: dir.path().to_path_buf(),
        window_secs: 1,
        windows: 5,
        windows_over: 2,
        per_window_over: 17,
        per_window_under: 2,
        second_every: 10,
        kill_at,
        retry_delays: vec![
            Duration::from_millis(500),
            Duration::from_secs(2),
            Duration::from_secs(8),
        ],
        quiet: Duration::from_secs(1),
        give_up_after: Duration::from_secs(40),
        serve_log: "info".into(),
    })
    .await
    .unwrap_or_else(|e| panic!("the scenario could not run: {e}"));
    let log = std::fs::read_to_string(dir.path().join("serve.log")).unwrap_or_default();
    println!("{report:#?}");
    (report, log)
}

fn assert_correct(report: &DayReport, log: &str) {
    assert_eq!(
        (report.customers, report.wrote_twice),
        (40, 4),
        "{report:?}"
    );
    assert_eq!(report.acknowledged, report.messages, "{report:?}");
    assert_eq!(report.answered, 40, "everyone answered: {report:?}\n{log}");
    assert_eq!(
        report.doubled, 0,
        "nobody answered twice: {report:?}\n{log}"
    );
    assert_eq!(report.out_of_order, 0, "{report:?}\n{log}");
    assert_eq!(report.unrecognised_replies, 0, "{report:?}");
    assert!(report.clean_exit, "serve stopped cleanly at the end");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_busy_then_quiet_day_on_x_api_v2_answers_everyone_once_and_in_order() {
    let (report, log) = tiny_day(None).await;
    assert_correct(&report, &log);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_day_with_serve_killed_in_the_busy_windows_still_answers_everyone_once_and_in_order() {
    let (report, log) = tiny_day(Some(0.5)).await;
    assert_eq!(report.killed_at_window, Some(1.0));
    assert_correct(&report, &log);
}
