//! What the scenarios share: a real `dmbot serve` process (started in credentials mode against
//! the simulator, killed, stopped), a free port, the simulator served on one, and `dmbot`
//! operator commands run against it.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use tokio::task::JoinHandle;

use crate::live::{Simulator, SimulatorConfig};

/// How to start `dmbot` (serve and operator commands).
#[derive(Debug, Clone)]
pub(crate) struct DmbotCommand {
    /// The `dmbot` binary.
    pub dmbot: PathBuf,
    /// The flow `serve` runs (absolute).
    pub flow: PathBuf,
    /// Where `serve` keeps its data (`<dir>/data`) and its log (`<dir>/serve.log`).
    pub dir: PathBuf,
    /// `RUST_LOG` for `serve`.
    pub serve_log: String,
    /// Settings added to the simulator's credentials (`TWITTER_API`, budgets...).
    pub env: Vec<(String, String)>,
}

impl DmbotCommand {
    /// Creates `dir` and makes `flow` absolute (`serve` runs in `dir`).
    pub fn prepare(mut self) -> Result<Self, String> {
        std::fs::create_dir_all(&self.dir).map_err(|e| format!("{}: {e}", self.dir.display()))?;
        self.flow = std::fs::canonicalize(&self.flow)
            .map_err(|e| format!("the flow {}: {e}", self.flow.display()))?;
        Ok(self)
    }

    /// `dmbot <args>` with the simulator's credentials and `env`, run in `dir`.
    fn command(&self, sim: &Simulator, args: &[&str]) -> Command {
        let mut cmd = Command::new(&self.dmbot);
        cmd.args(args)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", &self.dir)
            .envs(sim.api().owner_env())
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .env("NO_COLOR", "1")
            .current_dir(&self.dir)
            .stdin(Stdio::null());
        cmd
    }

    /// Runs an operator command (`dmbot webhook register ...`) to its end; its stdout, or why
    /// it failed.
    pub async fn run(&self, sim: &Simulator, args: &[&str]) -> Result<String, String> {
        let out = tokio::time::timeout(
            Duration::from_secs(60),
            self.command(sim, args).kill_on_drop(true).output(),
        )
        .await
        .map_err(|_| format!("dmbot {} took over a minute", args.join(" ")))?
        .map_err(|e| format!("cannot run {}: {e}", self.dmbot.display()))?;
        if !out.status.success() {
            return Err(format!(
                "dmbot {} failed: {}{}",
                args.join(" "),
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }
}

/// A running `dmbot serve`.
pub(crate) struct Serve {
    child: Child,
}

impl Serve {
    /// Starts `dmbot serve` on `port` with the data in `<dir>/data`, its log appended to
    /// `<dir>/serve.log`, and waits for its banner.
    pub async fn start(cmd: &DmbotCommand, sim: &Simulator, port: u16) -> Result<Self, String> {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(cmd.dir.join("serve.log"))
            .map_err(|e| format!("serve log: {e}"))?;
        let data = cmd.dir.join("data");
        let port = port.to_string();
        let mut child = cmd
            .command(sim, &["serve", "--port", &port, "--data-dir"])
            .arg(&data)
            .arg("--flow")
            .arg(&cmd.flow)
            .env("RUST_LOG", &cmd.serve_log)
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log))
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", cmd.dmbot.display()))?;
        let stdout = child.stdout.take().ok_or("no stdout from serve")?;
        let mut lines = BufReader::new(stdout).lines();
        let first = tokio::time::timeout(Duration::from_secs(60), lines.next_line())
            .await
            .map_err(|_| "serve printed no banner within a minute".to_string())?
            .map_err(|e| format!("reading serve's banner: {e}"))?
            .ok_or("serve exited before its banner (see serve.log)")?;
        if !first.starts_with("dmbot serve listening on ") {
            return Err(format!("unexpected banner: {first}"));
        }
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Ok(Self { child })
    }

    /// SIGKILL, and wait for the process to be gone.
    pub async fn kill(mut self) {
        let _ = self.child.start_kill();
        let _ = self.child.wait().await;
    }

    /// SIGTERM, and whether it exited 0.
    pub async fn terminate(mut self) -> bool {
        let Some(pid) = self.child.id() else {
            return false;
        };
        let sent = std::process::Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status()
            .is_ok_and(|s| s.success());
        if !sent {
            return false;
        }
        matches!(
            tokio::time::timeout(Duration::from_secs(60), self.child.wait()).await,
            Ok(Ok(status)) if status.success()
        )
    }
}

/// A free local port (bound and released; `serve` binds it again, twice).
pub(crate) async fn free_port() -> Result<u16, String> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| format!("no free port: {e}"))?;
    listener
        .local_addr()
        .map(|a| a.port())
        .map_err(|e| e.to_string())
}

/// The simulator, served on a free local port in this process (so its counts outlive any
/// `serve` it plays Twitter for), retrying deliveries after `retry_delays`.
pub(crate) async fn start_simulator(
    retry_delays: &[Duration],
) -> Result<(Simulator, JoinHandle<()>), String> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| format!("binding the simulator: {e}"))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let mut config = SimulatorConfig::new(format!("http://{addr}"));
    config.retry_delays = retry_delays.to_vec();
    let (sim, router) = Simulator::new(config);
    let server = tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    Ok((sim, server))
}
