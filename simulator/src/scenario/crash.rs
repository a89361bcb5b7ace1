//! The crash scenario, as measured from outside: a burst of customers each send one DM to a
//! real `dmbot serve` (a few deliveries in flight at once), `serve` is killed with SIGKILL
//! midway and started again on the same data directory and port, and this simulator plays
//! Twitter throughout: it retries every delivery that was not answered 200 (customer messages
//! and the echoes of the replies already sent) on its retry schedule, and counts, per
//! customer, the replies that arrived.
//!
//! Used by `cli/tests/crash.rs` (400 conversations, bounded) and by the `dmbot-crash` bench
//! (`bench/crash.rs`, larger bursts). Written against Twitter's behaviour, not the bot's code:
//! it knows only the binary, its command line and its webhook.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::serve::{DmbotCommand, Serve, free_port, start_simulator};
use crate::live::Simulator;

/// What to run.
#[derive(Debug, Clone)]
pub struct CrashOptions {
    /// The `dmbot` binary.
    pub dmbot: PathBuf,
    /// The flow `serve` runs (`--flow`).
    pub flow: PathBuf,
    /// Where `serve` keeps its data (`<dir>/data`) and its log (`<dir>/serve.log`).
    pub dir: PathBuf,
    /// Customers, one message each.
    pub conversations: usize,
    /// Deliveries in flight at once.
    pub concurrency: usize,
    /// How many customer messages must be acknowledged (200) before the kill.
    pub kill_after: usize,
    /// The simulator's waits between delivery retries (Twitter: about 3 s, 27 s, 242 s).
    pub retry_delays: Vec<Duration>,
    /// After everyone has an answer and no delivery is in flight: how long to keep watching
    /// for a second answer before stopping `serve`.
    pub quiet: Duration,
    /// The most the whole scenario may take once the kill happened.
    pub give_up_after: Duration,
    /// `RUST_LOG` for `serve`.
    pub serve_log: String,
}

/// What happened.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CrashReport {
    pub conversations: usize,
    /// Customer messages answered 200 by the webhook (on some attempt).
    pub acknowledged: usize,
    /// Acknowledged customers who never got a reply.
    pub lost: usize,
    /// Customers who got more than one reply.
    pub doubled: usize,
    /// Replies sent in all.
    pub replies: usize,
    /// Reads of the account's DM list (`direct_messages/events/list.json`): what recovery
    /// cost in Twitter calls.
    pub list_calls: usize,
    /// Echo and customer deliveries given up after the last retry.
    pub dropped_deliveries: u64,
    /// Whether `serve` exited 0 when stopped with SIGTERM at the end.
    pub clean_exit: bool,
}

/// Replies per customer so far.
fn replies_by_customer(sim: &Simulator, account: &str) -> HashMap<String, usize> {
    let mut counts = HashMap::new();
    for m in sim.api().sent_messages() {
        let mc = &m["message_create"];
        if mc["sender_id"].as_str() != Some(account) {
            continue;
        }
        if let Some(to) = mc.pointer("/target/recipient_id").and_then(Value::as_str) {
            *counts.entry(to.to_string()).or_insert(0) += 1;
        }
    }
    counts
}

/// One customer's message, delivered as Twitter would (with its retries) once one of the
/// `permits` is free; an acknowledged delivery counts in `acknowledged`.
async fn spawn_delivery(
    deliveries: &mut tokio::task::JoinSet<()>,
    permits: &Arc<tokio::sync::Semaphore>,
    sim: &Simulator,
    acknowledged: &Arc<AtomicUsize>,
    customer: &str,
) -> Result<(), String> {
    let permit = permits
        .clone()
        .acquire_owned()
        .await
        .map_err(|e| e.to_string())?;
    let (_, envelope) = sim.message_from(customer, "where is my order?");
    let sim = sim.clone();
    let acks = acknowledged.clone();
    deliveries.spawn(async move {
        if sim.deliver_now(envelope).await {
            acks.fetch_add(1, Ordering::SeqCst);
        }
        drop(permit);
    });
    Ok(())
}

/// Runs the scenario (see the module documentation).
pub async fn run_crash(opts: CrashOptions) -> Result<CrashReport, String> {
    let cmd = DmbotCommand {
        dmbot: opts.dmbot.clone(),
        flow: opts.flow.clone(),
        dir: opts.dir.clone(),
        serve_log: opts.serve_log.clone(),
        // The simulator's v1.1 list endpoint has no rate limit: the bot is told so. With X's
        // (15 reads per 15 minutes), interrupted attempts beyond what that allows wait for the
        // window (or for their echo) instead: `docs/DISPATCH.md`, "Rate limits and the send
        // budget".
        env: vec![("X_DM_LOOKUPS_PER_WINDOW".to_string(), "none".to_string())],
    }
    .prepare()?;
    let (sim, server) = start_simulator(&opts.retry_delays).await?;
    let account = sim.api().owner().user_id.clone();

    let port = free_port().await?;
    let serve = Serve::start(&cmd, &sim, port).await?;
    sim.api()
        .add_webhook(&format!("http://127.0.0.1:{port}/webhooks/twitter"));
    sim.api().add_subscription(&account);

    let customers: Vec<String> = (0..opts.conversations)
        .map(|i| (5_000_000_000u64 + i as u64).to_string())
        .collect();
    let acknowledged = Arc::new(AtomicUsize::new(0));
    let permits = Arc::new(tokio::sync::Semaphore::new(opts.concurrency.max(1)));
    let mut deliveries = tokio::task::JoinSet::new();
    for customer in &customers {
        spawn_delivery(&mut deliveries, &permits, &sim, &acknowledged, customer).await?;
        if acknowledged.load(Ordering::SeqCst) >= opts.kill_after {
            break;
        }
    }

    // Kill it once enough were acknowledged, then start it again on the same port and data.
    while acknowledged.load(Ordering::SeqCst) < opts.kill_after.min(deliveries.len()) {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    serve.kill().await;
    let serve = Serve::start(&cmd, &sim, port).await?;
    let give_up = Instant::now() + opts.give_up_after;

    // The rest of the burst, while Twitter's retries of the first half arrive.
    let sent_so_far = deliveries.len();
    for customer in customers.iter().skip(sent_so_far) {
        spawn_delivery(&mut deliveries, &permits, &sim, &acknowledged, customer).await?;
    }
    while deliveries.join_next().await.is_some() {}

    // Until every acknowledged customer has an answer and no delivery (echo) is in flight, then
    // a quiet spell in which a second answer would still show up.
    let acked = acknowledged.load(Ordering::SeqCst);
    loop {
        let answered = replies_by_customer(&sim, &account).len();
        if answered >= acked && sim.delivery_stats().in_flight == 0 {
            break;
        }
        if Instant::now() >= give_up {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(opts.quiet).await;
    let clean_exit = serve.terminate().await;

    let counts = replies_by_customer(&sim, &account);
    let report = CrashReport {
        conversations: opts.conversations,
        acknowledged: acked,
        lost: customers
            .iter()
            .filter(|c| counts.get(*c).copied().unwrap_or(0) == 0)
            .count()
            .min(acked),
        doubled: counts.values().filter(|n| **n > 1).count(),
        replies: counts.values().sum(),
        list_calls: sim
            .api()
            .requests_to("direct_messages/events/list.json")
            .len(),
        dropped_deliveries: sim.delivery_stats().dropped,
        clean_exit,
    };
    server.abort();
    Ok(report)
}
