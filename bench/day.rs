//! `dmbot-day`: a simulated day on X API v2 with X's rate limits and prices (issue 16). The
//! simulator enforces the v2 limits on a compressed clock (X's 15 minutes become `--window-secs`,
//! its day 96 of them) and counts the billable calls; a real `dmbot serve` answers customers who
//! arrive above the send limit for `--hours-over`, below it after. Prints who was answered, in
//! which order, the waits against the ideal schedule the limit allows, the 429s, and calls and
//! spend per answered customer; with `--kill-at`, `serve` is killed with SIGKILL part-way
//! through the busy hours and restarted on the same data.
//!
//! ```text
//! cargo build --release -p dmbot-cli --bin dmbot --bin dmbot-day
//! target/release/dmbot-day                      # the full day, 4 s windows (about 7 minutes)
//! target/release/dmbot-day --kill-at 0.5        # the same with a kill -9 mid-way
//! target/release/dmbot-day --hours 2 --json     # a short run, as JSON
//! ```
//!
//! Figures: `BENCHMARKS.md`, "Rate limits and cost (simulated day)". A tiny day runs in the test
//! suite (`cli/tests/day.rs`).

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use dmbot_simulator::scenario::day::{DayReport, WINDOWS_PER_DAY};
use dmbot_simulator::scenario::{DayOptions, run_day};

/// A compressed day of customers against X's v2 limits; answers, order, waits, 429s and spend.
#[derive(Parser, Debug)]
#[command(name = "dmbot-day")]
struct Args {
    /// X's 15-minute window, compressed to this many seconds (a day is 96 of them).
    #[arg(long, default_value_t = 4)]
    window_secs: u64,
    /// Hours with arrivals (24: the whole day; less for a short run).
    #[arg(long, default_value_t = 24.0)]
    hours: f64,
    /// The first hours, above the send limit.
    #[arg(long, default_value_t = 1.0)]
    hours_over: f64,
    /// New customers per window while above the limit (X allows 15 sends a window).
    #[arg(long, default_value_t = 25)]
    per_window_over: usize,
    /// New customers per window after.
    #[arg(long, default_value_t = 10)]
    per_window_under: usize,
    /// Every n-th customer writes again one window later (0: nobody).
    #[arg(long, default_value_t = 10)]
    second_every: usize,
    /// SIGKILL `serve` after this fraction of the busy hours, and restart it on the same data.
    #[arg(long)]
    kill_at: Option<f64>,
    /// The simulator's waits between delivery retries, in milliseconds (X's are about 3000,
    /// 27000 and 242000).
    #[arg(long, value_delimiter = ',', default_values_t = [500u64, 2000, 8000])]
    retry_ms: Vec<u64>,
    /// The most to wait for answers after the last arrival, in seconds.
    #[arg(long, default_value_t = 600)]
    give_up_secs: u64,
    /// The `dmbot` binary (default: next to this one).
    #[arg(long)]
    dmbot: Option<PathBuf>,
    /// The flow `serve` runs (replies are recognised by this flow's texts).
    #[arg(long, default_value = "flows/support.toml")]
    flow: PathBuf,
    /// `RUST_LOG` for `serve`.
    #[arg(long, default_value = "warn")]
    serve_log: String,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    let dmbot = match &args.dmbot {
        Some(p) => p.clone(),
        None => match std::env::current_exe() {
            Ok(exe) => exe.with_file_name("dmbot"),
            Err(e) => {
                eprintln!("dmbot-day: cannot find the dmbot binary: {e}");
                return ExitCode::FAILURE;
            }
        },
    };
    let fine = |x: f64| x.is_finite() && x >= 0.0;
    let kill_ok = args.kill_at.is_none_or(fine);
    if args.window_secs == 0
        || !fine(args.hours)
        || args.hours == 0.0
        || !fine(args.hours_over)
        || !kill_ok
    {
        eprintln!(
            "dmbot-day: --window-secs and --hours must be positive, --hours-over and --kill-at \
             not negative"
        );
        return ExitCode::FAILURE;
    }
    let per_hour = WINDOWS_PER_DAY as f64 / 24.0;
    let windows = (args.hours * per_hour).round() as usize;
    let dir = std::env::temp_dir().join(format!("dmbot-day-{}", std::process::id()));
    let result = run_day(DayOptions {
        dmbot,
        flow: args.flow.clone(),
        dir: dir.clone(),
        window_secs: args.window_secs,
        windows,
        windows_over: ((args.hours_over * per_hour).round() as usize).min(windows),
        per_window_over: args.per_window_over,
        per_window_under: args.per_window_under,
        second_every: args.second_every,
        kill_at: args.kill_at,
        retry_delays: args
            .retry_ms
            .iter()
            .map(|ms| Duration::from_millis(*ms))
            .collect(),
        quiet: Duration::from_secs(2),
        give_up_after: Duration::from_secs(args.give_up_secs),
        serve_log: args.serve_log.clone(),
    })
    .await;
    let report = match result {
        Ok(r) => r,
        Err(e) => {
            eprintln!(
                "dmbot-day: the scenario failed: {e} (serve's log: {})",
                dir.display()
            );
            return ExitCode::FAILURE;
        }
    };
    if args.json {
        match serde_json::to_string_pretty(&report) {
            Ok(text) => println!("{text}"),
            Err(e) => {
                eprintln!("dmbot-day: {e}");
                return ExitCode::FAILURE;
            }
        }
    } else {
        print_table(&report);
    }
    let correct = report.unanswered == 0 && report.doubled == 0 && report.out_of_order == 0;
    if correct {
        let _ = std::fs::remove_dir_all(&dir);
        ExitCode::SUCCESS
    } else {
        eprintln!("dmbot-day: serve's log kept in {}", dir.display());
        ExitCode::from(2)
    }
}

fn print_table(r: &DayReport) {
    let kill = r
        .killed_at_window
        .map_or("no".to_string(), |w| format!("SIGKILL at window {w:.1}"));
    let wait = |w: f64| format!("{w:.2} windows ({:.0} min)", DayReport::minutes(w));
    let rows: Vec<(&str, String)> = vec![
        (
            "day",
            format!(
                "{} windows of {} s ({} busy), kill: {kill}",
                r.windows, r.window_secs, r.windows_over
            ),
        ),
        (
            "customers (wrote twice)",
            format!("{} ({})", r.customers, r.wrote_twice),
        ),
        (
            "messages (acknowledged)",
            format!("{} ({})", r.messages, r.acknowledged),
        ),
        ("answered", format!("{} of {}", r.answered, r.customers)),
        ("unanswered (lost)", r.unanswered.to_string()),
        ("doubled", r.doubled.to_string()),
        ("out of order in a conversation", r.out_of_order.to_string()),
        (
            "replies (per customer, unrecognised)",
            format!(
                "{} ({:.2}, {})",
                r.replies, r.replies_per_customer, r.unrecognised_replies
            ),
        ),
        (
            "FIFO inversions (customers overtaken)",
            format!("{} ({})", r.fifo_inversions, r.fifo_overtaken),
        ),
        ("wait p50", wait(r.wait_p50_windows)),
        ("wait p95", wait(r.wait_p95_windows)),
        ("wait max", wait(r.wait_max_windows)),
        ("ideal p50", wait(r.ideal_p50_windows)),
        ("ideal p95", wait(r.ideal_p95_windows)),
        ("ideal max", wait(r.ideal_max_windows)),
        ("busy hours: customers", r.busy_customers.to_string()),
        ("busy hours: wait p50", wait(r.busy_wait_p50_windows)),
        ("busy hours: wait p95", wait(r.busy_wait_p95_windows)),
        ("busy hours: ideal p50", wait(r.busy_ideal_p50_windows)),
        ("busy hours: ideal p95", wait(r.busy_ideal_p95_windows)),
        ("429s received", r.rate_limited.to_string()),
        (
            "sends / events read / uploads",
            format!(
                "{} / {} / {}",
                r.dm_create, r.dm_event_read, r.media_uploads
            ),
        ),
        (
            "ideal sends / DM requests (429s incl.)",
            format!("{} / {}", r.ideal_sends, r.dm_requests),
        ),
        (
            "X calls per answered customer",
            format!("{:.2}", r.calls_per_answered),
        ),
        ("XAA dm.received delivered", r.xaa_dm_received.to_string()),
        (
            "spend (per answered customer)",
            format!("${:.3} (${:.4})", r.cost_usd, r.cost_per_answered_usd),
        ),
        ("deliveries dropped", r.dropped_deliveries.to_string()),
        ("clean stop", r.clean_exit.to_string()),
        ("took", format!("{:.1} s", r.took_secs)),
    ];
    let width = rows.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    for (k, v) in rows {
        println!("{k:<width$}  {v}");
    }
}
