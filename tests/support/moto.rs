//! moto server launcher: one `moto_server` (Python, `moto[server]`, pinned in
//! `tests/requirements.txt`) per test process, on a free port, shared by every test in it.
//!
//! Tests never skip when moto is missing: they fail and say how to install it.
//!
//! Cleanup: the server is started by a small `sh` watchdog that checks once a second whether the
//! test process (its parent) is still alive and, when it is gone, stops the server. A static
//! cannot run code at process exit in Rust, and `kill_on_drop` would only fire if the handle
//! were dropped; the watchdog works however the test process ends (even `SIGKILL`), at the cost
//! of the server living up to a second longer than the tests.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_dynamodb::config::Credentials;
use dmbot_shared::store::dynamodb::DynamoStore;
use tokio::sync::OnceCell;

/// What a test says when moto is not there.
pub const NOT_INSTALLED: &str = "moto is not installed: run  pip install -r tests/requirements.txt";

/// How long moto may take to start answering.
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// Starts moto (through `moto_server.py`, which makes its DynamoDB writes atomic as DynamoDB's
/// are) and stops it when the parent (the test process, `$PPID`) is gone or moto exits. `$1` is
/// the port, `$2` the log file, `$3` the launcher.
const WATCHDOG: &str = r#"
python3 "$3" -H 127.0.0.1 -p "$1" >"$2" 2>&1 &
moto=$!
trap 'kill "$moto" 2>/dev/null; wait "$moto"; exit 0' EXIT HUP INT TERM
while kill -0 "$PPID" 2>/dev/null && kill -0 "$moto" 2>/dev/null; do
    sleep 1
done
"#;

/// A running moto server.
pub struct Moto {
    /// `http://127.0.0.1:<port>`.
    pub endpoint: String,
    /// moto's own output (one line per request), for debugging a failing test.
    pub log_file: PathBuf,
    _watchdog: Mutex<Child>,
}

static SHARED: OnceCell<Result<Moto, String>> = OnceCell::const_new();

impl Moto {
    /// The moto server of this test process, started on first use. Panics (failing the test)
    /// with [`NOT_INSTALLED`] when `moto_server` is missing or does not start.
    pub async fn shared() -> &'static Moto {
        let started = SHARED.get_or_init(start).await;
        match started {
            Ok(moto) => moto,
            Err(message) => panic!("{message}"),
        }
    }

    /// SDK configuration pointing at this moto: region us-east-1, dummy static credentials.
    /// Build a new client per test: a client keeps connections tied to the runtime of the test
    /// that made it.
    pub async fn sdk_config(&self) -> SdkConfig {
        aws_config::defaults(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .credentials_provider(Credentials::new(
                "testing",
                "testing",
                None,
                None,
                "moto-test",
            ))
            .endpoint_url(&self.endpoint)
            .load()
            .await
    }

    /// A DynamoDB client on this moto.
    pub async fn dynamodb(&self) -> aws_sdk_dynamodb::Client {
        aws_sdk_dynamodb::Client::new(&self.sdk_config().await)
    }

    /// A table name no other test of any process uses.
    pub fn unique_table_name(&self) -> String {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        format!(
            "dmbot-test-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        )
    }

    /// A store on a new, empty table, so that tests run in parallel without seeing each other.
    pub async fn fresh_table(&self) -> DynamoStore {
        let store = DynamoStore::new(self.dynamodb().await, self.unique_table_name());
        if let Err(e) = store.create_table_if_missing().await {
            panic!(
                "could not create table {} in moto at {}: {e} (moto log: {})",
                store.table_name(),
                self.endpoint,
                self.log_file.display()
            );
        }
        store
    }
}

/// Whether an executable named `name` is on `PATH`.
pub(crate) fn on_path(name: &str) -> bool {
    std::env::var_os("PATH").is_some_and(|paths| {
        std::env::split_paths(&paths).any(|dir| is_executable(&dir.join(name)))
    })
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// A port nobody listens on right now (bind port 0, let the OS pick, release it).
pub(crate) fn free_port() -> Result<u16, String> {
    let listener = std::net::TcpListener::bind(("127.0.0.1", 0))
        .map_err(|e| format!("cannot find a free port for moto: {e}"))?;
    listener
        .local_addr()
        .map(|a| a.port())
        .map_err(|e| format!("cannot find a free port for moto: {e}"))
}

pub(crate) fn log_tail(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(15)..].join("\n")
}

async fn start() -> Result<Moto, String> {
    if !on_path("moto_server") {
        return Err(NOT_INSTALLED.to_string());
    }
    let port = free_port()?;
    let log_file =
        std::env::temp_dir().join(format!("dmbot-moto-{}-{port}.log", std::process::id()));
    let mut watchdog = Command::new("sh")
        .arg("-c")
        .arg(WATCHDOG)
        .arg("sh")
        .arg(port.to_string())
        .arg(&log_file)
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("support/moto_server.py"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("{NOT_INSTALLED} (could not run sh to start it: {e})"))?;

    let deadline = Instant::now() + START_TIMEOUT;
    loop {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            break;
        }
        if let Ok(Some(_)) = watchdog.try_wait() {
            return Err(format!(
                "{NOT_INSTALLED} (moto_server stopped right after starting; its output:\n{})",
                log_tail(&log_file)
            ));
        }
        if Instant::now() > deadline {
            // SIGTERM (not SIGKILL) so that the watchdog's trap stops moto too.
            let _ = Command::new("kill").arg(watchdog.id().to_string()).status();
            return Err(format!(
                "moto_server did not answer on port {port} within {START_TIMEOUT:?}; its output:\n{}",
                log_tail(&log_file)
            ));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Ok(Moto {
        endpoint: format!("http://127.0.0.1:{port}"),
        log_file,
        _watchdog: Mutex::new(watchdog),
    })
}
