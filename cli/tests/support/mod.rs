//! Starts the local stack for the tests: in this process through the library
//! ([`InProcess`]: `LocalStack::build` on port 0, settings from the test's own list, never the
//! process environment), or as the real `dmbot` binary ([`Served`]: `dmbot serve --port 0` in a
//! fresh directory, the URL read from the banner's first line, SIGTERM to stop it) for what only
//! a process shows (the banner, the exit status, the log on stderr, signals).

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use clap::Parser;
use dmbot_cli::serve::{LocalStack, ServeArgs};
use dmbot_simulator::TwitterApi;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// The `TWITTER_*` settings that make `serve` talk to `fake` as the app owner (credentials mode).
pub fn credentials_env(fake: &TwitterApi) -> Vec<(&'static str, String)> {
    fake.owner_env()
}

/// The example flow of the repository.
pub fn example_flow() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../flows/support.toml")
}

/// The variables `serve` reads; each test sets the ones it wants and clears the rest.
pub const TWITTER_VARS: [&str; 10] = [
    "TWITTER_CONSUMER_KEY",
    "TWITTER_CONSUMER_SECRET",
    "TWITTER_ACCESS_TOKEN",
    "TWITTER_ACCESS_TOKEN_SECRET",
    "TWITTER_BEARER_TOKEN",
    "TWITTER_ENV_NAME",
    "TWITTER_API_BASE_URL",
    "TWITTER_UPLOAD_BASE_URL",
    "TWITTER_APP_ID",
    "TWITTER_SECRET_ARN",
];

/// `dmbot serve`'s options, parsed as the binary parses them.
#[derive(Parser)]
struct ServeCommand {
    #[command(flatten)]
    serve: ServeArgs,
}

/// A local stack running in this process. Dropping it stops the stack without waiting;
/// [`InProcess::stop`] waits until it has stopped.
pub struct InProcess {
    pub base_url: String,
    pub banner: String,
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<()>,
}

impl InProcess {
    /// Builds the stack as `dmbot serve --port 0 --data-dir <data_dir> --flow <example>
    /// <extra>` would, with exactly `env` as its settings, and runs it.
    pub async fn start(data_dir: &Path, env: &[(&str, String)], extra: &[&str]) -> Self {
        let data_dir = data_dir.to_str().expect("a UTF-8 data directory");
        let flow = example_flow();
        let flow = flow.to_str().expect("a UTF-8 flow path");
        let mut argv = vec![
            "serve",
            "--port",
            "0",
            "--data-dir",
            data_dir,
            "--flow",
            flow,
        ];
        argv.extend_from_slice(extra);
        let args = ServeCommand::try_parse_from(argv)
            .expect("valid serve options")
            .serve;
        let settings: std::collections::HashMap<String, String> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect();
        let config = args
            .config(None, |var| settings.get(var).cloned())
            .expect("valid settings");
        let stack = LocalStack::build(config)
            .await
            .unwrap_or_else(|e| panic!("the local stack did not start: {e}"));
        let base_url = stack.base_url().to_string();
        let banner = stack.banner();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(stack.run_until_stopped(async {
            let _ = stopped.await;
        }));
        InProcess {
            base_url,
            banner,
            stop,
            task,
        }
    }

    /// Stops the stack as Ctrl-C does and waits until it has stopped.
    pub async fn stop(self) {
        let _ = self.stop.send(());
        tokio::time::timeout(Duration::from_secs(60), self.task)
            .await
            .expect("the stack stops")
            .expect("the stack's task did not panic");
    }
}

/// A running `dmbot serve`. Dropping it kills the process.
pub struct Served {
    pub child: Child,
    pub base_url: String,
    pub banner: String,
    pub stderr_path: PathBuf,
}

impl Served {
    /// Starts `dmbot serve --port 0 --data-dir <data_dir> --flow <example>` in `cwd` (which
    /// has no `.env`), with exactly `env` among the `TWITTER_*` variables, and waits for the
    /// banner.
    pub async fn start(
        cwd: &Path,
        data_dir: &Path,
        env: &[(&str, String)],
        extra: &[&str],
    ) -> Self {
        let stderr_path = cwd.join(format!("serve-{}.log", std::process::id()));
        let stderr = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&stderr_path)
            .expect("a log file in the test directory");
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_dmbot"));
        cmd.arg("serve")
            .arg("--port")
            .arg("0")
            .arg("--data-dir")
            .arg(data_dir)
            .arg("--flow")
            .arg(example_flow())
            .args(extra)
            .current_dir(cwd)
            .env("RUST_LOG", "info")
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(stderr))
            .kill_on_drop(true);
        for var in TWITTER_VARS {
            cmd.env_remove(var);
        }
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("the dmbot binary starts");
        let stdout = child.stdout.take().expect("piped stdout");
        let mut lines = BufReader::new(stdout).lines();
        let mut banner = String::new();
        let first = tokio::time::timeout(Duration::from_secs(120), lines.next_line())
            .await
            .ok()
            .and_then(|l| l.ok().flatten());
        let Some(first) = first else {
            let log = std::fs::read_to_string(&stderr_path).unwrap_or_default();
            panic!("dmbot serve printed no banner; its log:\n{log}");
        };
        banner.push_str(&first);
        let base_url = first
            .strip_prefix("dmbot serve listening on ")
            .unwrap_or_else(|| panic!("unexpected first banner line: {first}"))
            .trim()
            .to_string();
        // Keep reading stdout so the process never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Served {
            child,
            base_url,
            banner,
            stderr_path,
        }
    }

    /// Sends SIGTERM and waits for the exit status.
    pub async fn terminate(mut self) -> std::process::ExitStatus {
        let pid = self.child.id().expect("a running child").to_string();
        let sent = std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("kill runs");
        assert!(sent.success(), "SIGTERM was sent");
        tokio::time::timeout(Duration::from_secs(60), self.child.wait())
            .await
            .expect("serve exits after SIGTERM")
            .expect("exit status")
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.stderr_path).unwrap_or_default()
    }
}

/// Polls `check` until it returns `Some`, for at most a minute (a generous bound for a loaded
/// machine, not a timing assertion).
pub async fn eventually<T, F, Fut>(what: &str, check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    eventually_within(what, Duration::from_secs(60), check).await
}

/// [`eventually`] with another bound.
pub async fn eventually_within<T, F, Fut>(what: &str, bound: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let give_up = Instant::now() + bound;
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(Instant::now() < give_up, "gave up waiting for: {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
