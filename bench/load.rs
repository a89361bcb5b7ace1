//! `dmbot-load`: load on the local stack. Starts the simulator (`dmbot_simulator::TwitterApi`)
//! in this process and the real `dmbot serve` binary with credentials pointing at it, then:
//!
//! 1. drives signed webhook POSTs (one customer DM each, Twitter's envelope and signature) at
//!    `/webhooks/twitter` at a fixed rate (open loop, paced every millisecond) for a while;
//! 2. reports throughput, the latency percentiles of the webhook answers, and every delivery
//!    that was not answered 200;
//! 3. waits for the in-process dispatcher to answer every stored message on the simulator
//!    and reports how many were **lost** (stored but never answered), and the dispatch rate.
//!
//! ```text
//! cargo build --release -p dmbot-cli --bin dmbot --bin dmbot-load
//! target/release/dmbot-load --rate 2000 --seconds 30
//! ```
//!
//! Numbers and the machine they were measured on: `BENCHMARKS.md`, "Local stack load".

use std::path::PathBuf;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use clap::Parser;
use dmbot_simulator::TwitterApi;
use dmbot_simulator::live::sign;
use serde_json::json;
use tokio::io::{AsyncBufReadExt, BufReader};

/// Drive signed webhook deliveries at `dmbot serve` and report throughput, latency and losses.
#[derive(Parser, Debug)]
#[command(name = "dmbot-load")]
struct Args {
    /// Deliveries per second.
    #[arg(long, default_value_t = 2000)]
    rate: u64,
    /// How long to send, in seconds.
    #[arg(long, default_value_t = 30)]
    seconds: u64,
    /// Distinct customers the messages come from (each is one conversation).
    #[arg(long, default_value_t = 1000)]
    customers: u64,
    /// The most deliveries in flight at once.
    #[arg(long, default_value_t = 256)]
    concurrency: usize,
    /// The `dmbot` binary to run (default: next to this one).
    #[arg(long)]
    dmbot: Option<PathBuf>,
    /// The flow `serve` runs.
    #[arg(long, default_value = "flows/support.toml")]
    flow: PathBuf,
    /// `RUST_LOG` for `serve` (its per-delivery info lines cost throughput).
    #[arg(long, default_value = "warn")]
    serve_log: String,
    /// Also report the latency `serve` itself measured (from its JSON log, which then has one
    /// line per delivery: that costs a little throughput).
    #[arg(long)]
    server_latency: bool,
    /// The length of the windows the p99 is also reported for, in seconds.
    #[arg(long, default_value_t = 10)]
    window_seconds: u64,
    /// How long to wait for the dispatcher to catch up after sending, in seconds.
    #[arg(long, default_value_t = 600)]
    drain_seconds: u64,
}

type Error = Box<dyn std::error::Error + Send + Sync>;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    match run(Args::parse()).await {
        Ok(true) => std::process::ExitCode::SUCCESS,
        Ok(false) => std::process::ExitCode::from(2),
        Err(e) => {
            eprintln!("dmbot-load: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn percentile(sorted: &[u64], p: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn ms(us: u64) -> String {
    format!("{:.2} ms", us as f64 / 1000.0)
}

async fn run(args: Args) -> Result<bool, Error> {
    let dmbot = match &args.dmbot {
        Some(p) => p.clone(),
        None => std::env::current_exe()?
            .parent()
            .ok_or("cannot find the directory of this binary")?
            .join("dmbot"),
    };
    let fake = TwitterApi::start().await;
    fake.keep_request_log(false);
    let data_dir = std::env::temp_dir().join(format!("dmbot-load-{}", std::process::id()));
    std::fs::create_dir_all(&data_dir)?;

    let log_path = std::env::temp_dir().join(format!("dmbot-load-{}.log", std::process::id()));
    let log = std::fs::File::create(&log_path)?;
    let mut serve = tokio::process::Command::new(&dmbot)
        .arg("serve")
        .args(["--port", "0", "--data-dir"])
        .arg(data_dir.join("data"))
        .arg("--flow")
        .arg(&args.flow)
        .envs(fake.owner_env())
        .env(
            "RUST_LOG",
            if args.server_latency {
                format!("{},dmbot_shared::ingest=info", args.serve_log)
            } else {
                args.serve_log.clone()
            },
        )
        .env("DMBOT_LOG_FORMAT", "json")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::from(log))
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", dmbot.display()))?;
    let stdout = serve.stdout.take().ok_or("no stdout from serve")?;
    let mut lines = BufReader::new(stdout).lines();
    let first = lines.next_line().await?.ok_or("serve printed no banner")?;
    let base = first
        .strip_prefix("dmbot serve listening on ")
        .ok_or_else(|| format!("unexpected banner: {first}"))?
        .trim()
        .to_string();
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    let url = format!("{base}/webhooks/twitter");

    // Every delivery prepared and signed before the clock starts.
    let total = args.rate * args.seconds;
    let account = fake.owner().user_id.clone();
    let secret = fake.app().consumer_secret.clone();
    let texts = ["where is my order", "returns", "size", "faq", "hello there"];
    let bodies: Vec<(bytes::Bytes, String)> = (0..total)
        .map(|i| {
            let customer = (4_000_000_000 + i % args.customers).to_string();
            let body = json!({
                "for_user_id": account,
                "direct_message_events": [{
                    "type": "message_create",
                    "id": (1_700_000_000_000_000_000u64 + i).to_string(),
                    "created_timestamp": "1516403560557",
                    "message_create": {
                        "target": {"recipient_id": account},
                        "sender_id": customer,
                        "message_data": {"text": texts[(i % texts.len() as u64) as usize], "entities": {"hashtags": [], "symbols": [], "user_mentions": [], "urls": []}},
                    }
                }],
                "users": {
                    account.as_str(): {"id": account, "name": "Acme Support", "screen_name": "acmesupport"},
                    customer.as_str(): {"id": customer, "name": "Load Customer", "screen_name": "load"},
                }
            })
            .to_string();
            let signature = sign(&secret, body.as_bytes());
            (bytes::Bytes::from(body), signature)
        })
        .collect();

    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(args.concurrency)
        .timeout(Duration::from_secs(10))
        .build()?;
    let permits = Arc::new(tokio::sync::Semaphore::new(args.concurrency));
    // (status, latency in µs, when it was sent in ms since the start)
    let results: Arc<Mutex<Vec<(u16, u64, u64)>>> =
        Arc::new(Mutex::new(Vec::with_capacity(total as usize)));
    let mut tasks = Vec::with_capacity(total as usize);

    println!(
        "sending {total} deliveries at {}/s for {} s to {url} ({} customers, {} in flight at most)",
        args.rate, args.seconds, args.customers, args.concurrency
    );
    let start = Instant::now();
    let mut sent: u64 = 0;
    let mut ticker = tokio::time::interval(Duration::from_millis(1));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    while sent < total {
        ticker.tick().await;
        let due = ((start.elapsed().as_secs_f64() * args.rate as f64) as u64).min(total);
        while sent < due {
            let permit = permits.clone().acquire_owned().await?;
            let (body, signature) = bodies[sent as usize].clone();
            let http = http.clone();
            let url = url.clone();
            let results = results.clone();
            tasks.push(tokio::spawn(async move {
                let t0 = Instant::now();
                let at_ms = t0.duration_since(start).as_millis() as u64;
                let status = http
                    .post(&url)
                    .header("x-twitter-webhooks-signature", signature)
                    .header("content-type", "application/json")
                    .body(body)
                    .send()
                    .await
                    .map(|r| r.status().as_u16())
                    .unwrap_or(0);
                let us = t0.elapsed().as_micros() as u64;
                drop(permit);
                if let Ok(mut r) = results.lock() {
                    r.push((status, us, at_ms));
                }
            }));
            sent += 1;
        }
    }
    for t in tasks {
        let _ = t.await;
    }
    let send_elapsed = start.elapsed();

    let results = results.lock().map(|r| r.clone()).unwrap_or_default();
    let ok = results.iter().filter(|(s, ..)| *s == 200).count() as u64;
    let mut latencies: Vec<u64> = results.iter().map(|(_, us, _)| *us).collect();
    latencies.sort_unstable();
    let failed: Vec<u16> = results
        .iter()
        .filter(|(s, ..)| *s != 200)
        .map(|(s, ..)| *s)
        .collect();
    // The p99 of each window of the run, to show whether it holds up over time.
    let window_ms = args.window_seconds.max(1) * 1000;
    let mut windows: Vec<Vec<u64>> = Vec::new();
    for (_, us, at_ms) in &results {
        let w = (at_ms / window_ms) as usize;
        if windows.len() <= w {
            windows.resize_with(w + 1, Vec::new);
        }
        windows[w].push(*us);
    }

    // Wait for the dispatcher: every stored message gets exactly one reply on the fake.
    let drain_start = Instant::now();
    let mut last = (0usize, Instant::now());
    let replies = loop {
        let n = fake.sent_count();
        if n as u64 >= ok {
            break n;
        }
        if n != last.0 {
            last = (n, Instant::now());
        }
        if last.1.elapsed() > Duration::from_secs(30)
            || drain_start.elapsed() > Duration::from_secs(args.drain_seconds)
        {
            break n;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    let all_done = start.elapsed();

    println!("--- webhook ingestion (serve answering Twitter's POSTs)");
    println!(
        "deliveries    {} sent in {:.2} s = {:.0}/s achieved (target {}/s)",
        results.len(),
        send_elapsed.as_secs_f64(),
        results.len() as f64 / send_elapsed.as_secs_f64(),
        args.rate
    );
    println!(
        "answers       {ok} x 200, {} other ({:?})",
        failed.len(),
        failed.iter().take(5).collect::<Vec<_>>()
    );
    println!(
        "latency       p50 {}  p90 {}  p99 {}  p99.9 {}  max {}",
        ms(percentile(&latencies, 50.0)),
        ms(percentile(&latencies, 90.0)),
        ms(percentile(&latencies, 99.0)),
        ms(percentile(&latencies, 99.9)),
        ms(latencies.last().copied().unwrap_or(0))
    );
    let per_window: Vec<String> = windows
        .iter_mut()
        .map(|w| {
            w.sort_unstable();
            ms(percentile(w, 99.0))
        })
        .collect();
    println!("p99 per {} s   {}", window_ms / 1000, per_window.join("  "));
    println!("--- dispatch (in-process dispatcher replying on the simulator)");
    println!(
        "replies       {replies} of {ok} stored, last after {:.1} s = {:.0} replies/s overall",
        all_done.as_secs_f64(),
        replies as f64 / all_done.as_secs_f64()
    );
    let lost = ok.saturating_sub(replies as u64) + failed.len() as u64;
    println!("lost          {lost} (not answered 200, or stored and never replied to)");

    if let Some((user, system)) = serve.id().and_then(cpu_seconds) {
        println!(
            "serve CPU     {user:.1} s user + {system:.1} s system = {:.3} ms per delivery (this process: {:.3} ms)",
            (user + system) * 1000.0 / results.len().max(1) as f64,
            cpu_seconds(std::process::id())
                .map(|(u, s)| (u + s) * 1000.0 / results.len().max(1) as f64)
                .unwrap_or(f64::NAN),
        );
    }
    if let Some(pid) = serve.id() {
        let _ = std::process::Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status();
    }
    let exit = tokio::time::timeout(Duration::from_secs(60), serve.wait()).await;
    println!("serve exit    {exit:?}; its log: {}", log_path.display());
    if args.server_latency {
        let mut inside = server_latencies(&log_path)?;
        inside.sort_unstable();
        println!(
            "inside serve  {} deliveries: p50 {}  p90 {}  p99 {}  p99.9 {}  max {} (from its log: no client or network time)",
            inside.len(),
            ms(percentile(&inside, 50.0)),
            ms(percentile(&inside, 90.0)),
            ms(percentile(&inside, 99.0)),
            ms(percentile(&inside, 99.9)),
            ms(inside.last().copied().unwrap_or(0))
        );
    }
    let _ = std::fs::remove_dir_all(&data_dir);
    Ok(lost == 0)
}

/// User and system CPU seconds a process has used so far (Linux `/proc`; None elsewhere).
fn cpu_seconds(pid: u32) -> Option<(f64, f64)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name (which is in parentheses and may hold spaces).
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the whole line: 12 and 13 after the name.
    let ticks = |i: usize| fields.get(i)?.parse::<f64>().ok();
    let hz = 100.0; // USER_HZ, 100 on every Linux this runs on
    Some((ticks(11)? / hz, ticks(12)? / hz))
}

/// The `latency_us` of every "webhook delivery stored" line of serve's JSON log.
fn server_latencies(log: &std::path::Path) -> Result<Vec<u64>, Error> {
    let text = std::fs::read_to_string(log)?;
    Ok(text
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|entry| entry["fields"]["message"] == "webhook delivery stored")
        .filter_map(|entry| entry["fields"]["latency_us"].as_u64())
        .collect())
}
