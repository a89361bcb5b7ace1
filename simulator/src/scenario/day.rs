//! A simulated day on X API v2, measured from outside (issue 16). The simulator, in this
//! process, enforces X's v2 limits on a compressed clock (15 minutes become `window`; a day is
//! 96 of them: 15 sends per window per user, 1,440 per day per user and per app, 15 DM lookups
//! per window) and counts the billable calls; a real `dmbot serve` in credentials mode answers
//! (`TWITTER_API=v2`, its send budget compressed the same way through `X_SEND_WINDOW_SECS`,
//! `X_DAY_WINDOW_SECS`, `X_DM_SENDS_PER_WINDOW`, `X_DM_SENDS_PER_DAY`,
//! `X_APP_DM_SENDS_PER_DAY`, `X_DM_LOOKUPS_PER_WINDOW`), its webhook registered on
//! `/2/webhooks` and subscribed to `dm.received` and `dm.sent` by the operator commands.
//!
//! Customers of one business account arrive at their wall-clock times, spread within each
//! window: above the send limit for the first windows, below it after; every tenth writes again
//! one window after their first message. Optionally `serve` is killed with SIGKILL part-way
//! through the busy period and restarted on the same data. The report ([`DayReport`], from
//! [`super::day_measure`]) says who was answered, how often and in which order, the waits
//! against the ideal schedule the limit allows, the 429s, and calls and spend per answered
//! customer.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde::Serialize;

use super::day_measure::{self as measure, FIRST_TEXT, Limits, SECOND_TEXT};
use super::serve::{DmbotCommand, Serve, free_port, start_simulator};
use crate::api::V2Config;
use crate::live::Simulator;

/// X's 15-minute window, in seconds: what one compressed window stands for.
pub const REAL_WINDOW_SECS: f64 = 900.0;
/// Windows in X's day.
pub const WINDOWS_PER_DAY: u64 = 96;
/// The first customer's user id (the others follow).
const FIRST_CUSTOMER: u64 = 5_000_000_000;

/// What to run.
#[derive(Debug, Clone)]
pub struct DayOptions {
    /// The `dmbot` binary.
    pub dmbot: PathBuf,
    /// The flow `serve` runs (the replies are recognised by `flows/support.toml`'s texts).
    pub flow: PathBuf,
    /// Where `serve` keeps its data (`<dir>/data`) and its log (`<dir>/serve.log`).
    pub dir: PathBuf,
    /// X's 15 minutes, compressed (whole seconds, as X's windows are counted).
    pub window_secs: u64,
    /// Windows with arrivals (96: a day).
    pub windows: usize,
    /// The first windows, with [`DayOptions::per_window_over`] new customers each.
    pub windows_over: usize,
    /// New customers per window while busy (above the 15 sends a window allows).
    pub per_window_over: usize,
    /// New customers per window after.
    pub per_window_under: usize,
    /// Every n-th customer writes a second message one window after the first (0: none).
    pub second_every: usize,
    /// When to SIGKILL `serve` (and start it again on the same data): this fraction of the
    /// busy windows after the first arrival.
    pub kill_at: Option<f64>,
    /// The simulator's waits between delivery retries.
    pub retry_delays: Vec<Duration>,
    /// After everyone has an answer: how long to keep watching for a late or second reply.
    pub quiet: Duration,
    /// The most to wait for answers after the last arrival.
    pub give_up_after: Duration,
    /// `RUST_LOG` for `serve`.
    pub serve_log: String,
}

impl DayOptions {
    /// X's v2 numbers on the compressed clock.
    pub fn limits(&self) -> Limits {
        let x = V2Config::default();
        Limits {
            window_secs: self.window_secs.max(1),
            per_window: x.dm_sends_per_user_short,
            day_secs: self.window_secs.max(1) * WINDOWS_PER_DAY,
            per_day: x.dm_sends_per_user_long.min(x.dm_sends_per_app_long),
        }
    }

    /// The simulator's v2 configuration: X's limits, its windows compressed.
    pub fn v2_config(&self) -> V2Config {
        let limits = self.limits();
        V2Config {
            short_window_secs: limits.window_secs,
            long_window_secs: limits.day_secs,
            ..V2Config::default()
        }
    }

    /// `serve`'s settings: X API v2 and its send budget, compressed as the simulator's.
    pub fn serve_env(&self) -> Vec<(String, String)> {
        let x = self.v2_config();
        [
            ("TWITTER_API", "v2".to_string()),
            ("X_SEND_WINDOW_SECS", x.short_window_secs.to_string()),
            ("X_DAY_WINDOW_SECS", x.long_window_secs.to_string()),
            (
                "X_DM_SENDS_PER_WINDOW",
                x.dm_sends_per_user_short.to_string(),
            ),
            ("X_DM_SENDS_PER_DAY", x.dm_sends_per_user_long.to_string()),
            (
                "X_APP_DM_SENDS_PER_DAY",
                x.dm_sends_per_app_long.to_string(),
            ),
            (
                "X_DM_LOOKUPS_PER_WINDOW",
                x.dm_lookups_per_user_short.to_string(),
            ),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect()
    }

    /// Whether `customer` arrived in the busy windows.
    pub fn is_busy(&self, customer: &str) -> bool {
        customer.parse::<u64>().is_ok_and(|id| {
            id >= FIRST_CUSTOMER
                && id - FIRST_CUSTOMER < (self.windows_over * self.per_window_over) as u64
        })
    }

    /// Every customer message of the day, in time order: customer id, text, and when (after
    /// the first window opens).
    pub fn arrivals(&self) -> Vec<(String, &'static str, Duration)> {
        let window = Duration::from_secs(self.window_secs.max(1));
        let mut out = Vec::new();
        let mut customer = 0u64;
        for w in 0..self.windows {
            let n = if w < self.windows_over {
                self.per_window_over
            } else {
                self.per_window_under
            };
            for j in 0..n {
                let at = window.mul_f64(w as f64 + (j as f64 + 0.5) / n as f64);
                let id = (FIRST_CUSTOMER + customer).to_string();
                customer += 1;
                if self.second_every > 0 && customer % self.second_every as u64 == 0 {
                    out.push((id.clone(), SECOND_TEXT, at + window));
                }
                out.push((id, FIRST_TEXT, at));
            }
        }
        out.sort_by_key(|(_, _, at)| *at);
        out
    }
}

/// What happened, measured from the simulator's records.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct DayReport {
    pub window_secs: u64,
    pub windows: usize,
    pub windows_over: usize,
    /// Whether `serve` was killed (and when, in windows after the first arrival).
    pub killed_at_window: Option<f64>,
    /// Customers who wrote, and those who wrote twice.
    pub customers: usize,
    pub wrote_twice: usize,
    /// Customer messages in all, and those acknowledged (200) by the webhook.
    pub messages: usize,
    pub acknowledged: usize,
    /// Customers whose latest message has a reply after it.
    pub answered: usize,
    /// Customers whose latest message has none (lost).
    pub unanswered: usize,
    /// Customers with a message answered twice (or more replies than messages).
    pub doubled: usize,
    /// Customers answered out of order (a reply to the first message after one to the second).
    pub out_of_order: usize,
    /// Replies in all, and those not recognised as an answer to either message.
    pub replies: usize,
    pub unrecognised_replies: usize,
    pub replies_per_customer: f64,
    /// FIFO across conversations: pairs (A wrote before B, A's first reply in a later rate
    /// window than B's), and the customers overtaken so at least once.
    pub fifo_inversions: usize,
    pub fifo_overtaken: usize,
    /// First message to first reply, in compressed windows (15 real minutes each).
    pub wait_p50_windows: f64,
    pub wait_p95_windows: f64,
    pub wait_max_windows: f64,
    /// The same in the ideal schedule (FIFO, every slot the limit allows used).
    pub ideal_p50_windows: f64,
    pub ideal_p95_windows: f64,
    pub ideal_max_windows: f64,
    /// The same for the customers who arrived in the busy windows (answered ones).
    pub busy_customers: usize,
    pub busy_wait_p50_windows: f64,
    pub busy_wait_p95_windows: f64,
    pub busy_ideal_p50_windows: f64,
    pub busy_ideal_p95_windows: f64,
    /// Sends the ideal schedule makes.
    pub ideal_sends: usize,
    /// Requests refused with 429 by the simulator's v2 limits.
    pub rate_limited: u64,
    /// Billable counts: sends (201), DM events read, XAA `dm.received` delivered.
    pub dm_create: u64,
    pub dm_event_read: u64,
    pub xaa_dm_received: u64,
    /// Media uploads started (`/2/media/upload/initialize`).
    pub media_uploads: usize,
    /// Requests to the v2 DM endpoints (sends and lookups, 429s included).
    pub dm_requests: usize,
    /// (sends + events read + uploads) / answered customers.
    pub calls_per_answered: f64,
    /// X's list prices for the billable counts, in all and per answered customer.
    pub cost_usd: f64,
    pub cost_per_answered_usd: f64,
    /// Deliveries the simulator gave up on after its last retry.
    pub dropped_deliveries: u64,
    /// `serve` exited 0 on SIGTERM at the end.
    pub clean_exit: bool,
    /// Wall-clock seconds the run took.
    pub took_secs: f64,
}

impl DayReport {
    /// A window count in X's real minutes.
    pub fn minutes(windows: f64) -> f64 {
        windows * REAL_WINDOW_SECS / 60.0
    }
}

/// Runs the day (see the module documentation).
pub async fn run_day(opts: DayOptions) -> Result<DayReport, String> {
    let started = Instant::now();
    let cmd = DmbotCommand {
        dmbot: opts.dmbot.clone(),
        flow: opts.flow.clone(),
        dir: opts.dir.clone(),
        serve_log: opts.serve_log.clone(),
        env: opts.serve_env(),
    }
    .prepare()?;
    let (sim, server) = start_simulator(&opts.retry_delays).await?;
    sim.api().set_v2_config(opts.v2_config());
    sim.api().set_crc_check(true);
    let account = sim.api().owner().user_id.clone();

    let port = free_port().await?;
    let mut serve = Serve::start(&cmd, &sim, port).await?;
    let hook = format!("http://127.0.0.1:{port}/webhooks/twitter");
    cmd.run(
        &sim,
        &["webhook", "register", &hook, "--allow-http", "--json"],
    )
    .await?;
    cmd.run(&sim, &["subscription", "add", "--json"]).await?;

    let arrivals = opts.arrivals();
    let acknowledged = Arc::new(AtomicUsize::new(0));
    let t0 = tokio::time::Instant::now();
    let driver = tokio::spawn(deliver_all(
        sim.clone(),
        arrivals.clone(),
        t0,
        acknowledged.clone(),
    ));
    let window = Duration::from_secs(opts.limits().window_secs);
    let mut killed_at_window = None;
    if let Some(fraction) = opts.kill_at {
        let windows = fraction * opts.windows_over as f64;
        tokio::time::sleep_until(t0 + window.mul_f64(windows)).await;
        serve.kill().await;
        killed_at_window = Some(windows);
        serve = Serve::start(&cmd, &sim, port).await?;
    }
    driver
        .await
        .map_err(|e| format!("the arrivals failed: {e}"))?;

    let give_up = Instant::now() + opts.give_up_after;
    loop {
        let all = measure::conversations(&sim.api().sent_messages(), &account);
        let answered = all.values().filter(|c| c.answered()).count();
        let done = answered == all.len();
        if (done && sim.delivery_stats().in_flight == 0) || Instant::now() >= give_up {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    tokio::time::sleep(opts.quiet).await;
    let clean_exit = serve.terminate().await;
    let mut report = measure_day(&opts, &sim, &account);
    report.killed_at_window = killed_at_window;
    report.acknowledged = acknowledged.load(Ordering::SeqCst);
    report.clean_exit = clean_exit;
    report.took_secs = started.elapsed().as_secs_f64();
    server.abort();
    Ok(report)
}

/// Each customer message at its time, delivered as X does (retries included); the
/// acknowledged ones counted. Returns once every delivery is answered or given up.
async fn deliver_all(
    sim: Simulator,
    arrivals: Vec<(String, &'static str, Duration)>,
    t0: tokio::time::Instant,
    acknowledged: Arc<AtomicUsize>,
) {
    let mut deliveries = tokio::task::JoinSet::new();
    for (customer, text, at) in arrivals {
        tokio::time::sleep_until(t0 + at).await;
        let (_, envelope) = sim.message_from(&customer, text);
        let sim = sim.clone();
        let acks = acknowledged.clone();
        deliveries.spawn(async move {
            if sim.deliver_now(envelope).await {
                acks.fetch_add(1, Ordering::SeqCst);
            }
        });
    }
    while deliveries.join_next().await.is_some() {}
}

/// The report's figures from what the simulator recorded.
fn measure_day(opts: &DayOptions, sim: &Simulator, account: &str) -> DayReport {
    let limits = opts.limits();
    let w_ms = limits.window_secs as f64 * 1000.0;
    let dms = sim.api().sent_messages();
    let convs = measure::conversations(&dms, account);
    let windows = measure::window_of_sends(&measure::send_times(&dms, account), limits.window_secs);
    let (fifo_inversions, fifo_overtaken) = measure::fifo_inversions(&convs, &windows);

    let mut arrivals: Vec<(u64, String)> = convs
        .iter()
        .flat_map(|(c, conv)| conv.messages.iter().map(move |(_, at)| (*at, c.clone())))
        .collect();
    arrivals.sort();
    let arrivals: Vec<(String, f64)> = arrivals
        .into_iter()
        .map(|(at, c)| (c, at as f64 / 1000.0))
        .collect();
    let (ideal, ideal_sends) = measure::ideal_schedule(&arrivals, limits);
    let ideal: HashMap<&str, f64> = ideal
        .iter()
        .map(|(c, s)| (c.as_str(), s / limits.window_secs as f64))
        .collect();
    let waits: HashMap<&str, f64> = convs
        .iter()
        .filter_map(|(c, conv)| Some((c.as_str(), conv.first_wait_ms()? as f64 / w_ms)))
        .collect();
    let busy = |m: &HashMap<&str, f64>| -> Vec<f64> {
        m.iter()
            .filter(|(c, _)| opts.is_busy(c))
            .map(|(_, w)| *w)
            .collect()
    };
    let (busy_waits, busy_ideal) = (busy(&waits), busy(&ideal));
    let waits: Vec<f64> = waits.into_values().collect();
    let ideal: Vec<f64> = ideal.into_values().collect();
    let pct = |v: &[f64], p: f64| (measure::percentile(v, p) * 1000.0).round() / 1000.0;

    let usage = sim.api().v2_usage();
    let requests = sim.api().requests();
    let media_uploads = requests
        .iter()
        .filter(|r| r.path.ends_with("/2/media/upload/initialize"))
        .count();
    let answered = convs.values().filter(|c| c.answered()).count();
    let replies: usize = convs.values().map(|c| c.replies.len()).sum();
    let per_answered = |x: f64| {
        if answered == 0 {
            0.0
        } else {
            x / answered as f64
        }
    };
    let calls = usage.dm_create + usage.dm_event_read + media_uploads as u64;
    DayReport {
        window_secs: limits.window_secs,
        windows: opts.windows,
        windows_over: opts.windows_over,
        customers: convs.len(),
        wrote_twice: convs.values().filter(|c| c.messages.len() > 1).count(),
        messages: convs.values().map(|c| c.messages.len()).sum(),
        answered,
        unanswered: convs.len() - answered,
        doubled: convs.values().filter(|c| c.doubled()).count(),
        out_of_order: convs.values().filter(|c| c.out_of_order()).count(),
        replies,
        unrecognised_replies: convs
            .values()
            .flat_map(|c| &c.replies)
            .filter(|(_, _, answers)| answers.is_none())
            .count(),
        replies_per_customer: if convs.is_empty() {
            0.0
        } else {
            replies as f64 / convs.len() as f64
        },
        fifo_inversions,
        fifo_overtaken,
        wait_p50_windows: pct(&waits, 50.0),
        wait_p95_windows: pct(&waits, 95.0),
        wait_max_windows: pct(&waits, 100.0),
        ideal_p50_windows: pct(&ideal, 50.0),
        ideal_p95_windows: pct(&ideal, 95.0),
        ideal_max_windows: pct(&ideal, 100.0),
        busy_customers: busy_waits.len(),
        busy_wait_p50_windows: pct(&busy_waits, 50.0),
        busy_wait_p95_windows: pct(&busy_waits, 95.0),
        busy_ideal_p50_windows: pct(&busy_ideal, 50.0),
        busy_ideal_p95_windows: pct(&busy_ideal, 95.0),
        ideal_sends,
        rate_limited: usage.rate_limited,
        dm_create: usage.dm_create,
        dm_event_read: usage.dm_event_read,
        xaa_dm_received: usage.xaa_dm_received,
        media_uploads,
        dm_requests: requests
            .iter()
            .filter(|r| r.path.contains("/2/dm_conversations"))
            .count(),
        calls_per_answered: per_answered(calls as f64),
        cost_usd: usage.cost_usd(),
        cost_per_answered_usd: per_answered(usage.cost_usd()),
        dropped_deliveries: sim.delivery_stats().dropped,
        ..DayReport::default()
    }
}
