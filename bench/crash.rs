//! `dmbot-crash`: the crash scenario at larger sizes. A burst of conversations (one DM each)
//! goes to the real `dmbot serve` with a few deliveries in flight; once half are acknowledged,
//! `serve` is killed with SIGKILL and started again on the same data directory; the simulator
//! retries deliveries and echoes as Twitter does (on a shortened schedule by default). Prints,
//! per run, how many customers got no reply (lost), more than one (doubled), and how many
//! reads of Twitter's DM list the recovery made.
//!
//! ```text
//! cargo build --release -p dmbot-cli --bin dmbot --bin dmbot-crash
//! target/release/dmbot-crash --conversations 2000 --runs 3
//! ```
//!
//! Figures: `BENCHMARKS.md`, "Crash recovery". The same scenario runs in the test suite at 400
//! conversations (`cli/tests/crash.rs`).

use std::path::PathBuf;
use std::time::{Duration, Instant};

use clap::Parser;
use dmbot_simulator::scenario::{CrashOptions, run_crash};

/// Kill `dmbot serve` mid-burst, restart it, and count lost and doubled replies.
#[derive(Parser, Debug)]
#[command(name = "dmbot-crash")]
struct Args {
    /// Customers, one message each.
    #[arg(long, default_value_t = 2000)]
    conversations: usize,
    /// Deliveries in flight at once.
    #[arg(long, default_value_t = 8)]
    concurrency: usize,
    /// How many runs.
    #[arg(long, default_value_t = 1)]
    runs: usize,
    /// The simulator's waits between delivery retries, in milliseconds (Twitter's are about
    /// 3000, 27000 and 242000).
    #[arg(long, value_delimiter = ',', default_values_t = [500u64, 2000, 8000])]
    retry_ms: Vec<u64>,
    /// The `dmbot` binary (default: next to this one).
    #[arg(long)]
    dmbot: Option<PathBuf>,
    /// The flow `serve` runs.
    #[arg(long, default_value = "flows/support.toml")]
    flow: PathBuf,
    /// `RUST_LOG` for `serve`.
    #[arg(long, default_value = "warn")]
    serve_log: String,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let args = Args::parse();
    let dmbot = match &args.dmbot {
        Some(p) => p.clone(),
        None => match std::env::current_exe() {
            Ok(exe) => exe.with_file_name("dmbot"),
            Err(e) => {
                eprintln!("dmbot-crash: cannot find the dmbot binary: {e}");
                return std::process::ExitCode::FAILURE;
            }
        },
    };
    let mut clean = true;
    for run in 1..=args.runs {
        let dir = std::env::temp_dir().join(format!("dmbot-crash-{}-{run}", std::process::id()));
        let started = Instant::now();
        let result = run_crash(CrashOptions {
            dmbot: dmbot.clone(),
            flow: args.flow.clone(),
            dir: dir.clone(),
            conversations: args.conversations,
            concurrency: args.concurrency,
            kill_after: args.conversations / 2,
            retry_delays: args
                .retry_ms
                .iter()
                .map(|ms| Duration::from_millis(*ms))
                .collect(),
            quiet: Duration::from_secs(2),
            give_up_after: Duration::from_secs(600),
            serve_log: args.serve_log.clone(),
        })
        .await;
        match result {
            Ok(r) => {
                println!(
                    "run {run}: {} conversations, {} acknowledged, lost {}, doubled {}, replies {}, \
                     DM-list reads {}, deliveries dropped {}, clean stop {}, {:.1} s",
                    r.conversations,
                    r.acknowledged,
                    r.lost,
                    r.doubled,
                    r.replies,
                    r.list_calls,
                    r.dropped_deliveries,
                    r.clean_exit,
                    started.elapsed().as_secs_f64()
                );
                clean &= r.lost == 0 && r.doubled == 0;
                let _ = std::fs::remove_dir_all(&dir);
            }
            Err(e) => {
                eprintln!(
                    "run {run}: the scenario failed: {e} (serve's log: {})",
                    dir.display()
                );
                return std::process::ExitCode::FAILURE;
            }
        }
    }
    if clean {
        std::process::ExitCode::SUCCESS
    } else {
        std::process::ExitCode::from(2)
    }
}
