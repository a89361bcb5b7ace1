//! A moto server that enforces IAM like AWS, with the functions' roles read from `template.yaml`.
//!
//! `tests/iam/moto_iam.py` (documented there: what it enforces and what it does not) runs moto
//! in-process with its own authorization, creates the template's secrets, an `admin` user and
//! one IAM user per `AWS::Serverless::Function` whose inline policy is that function's
//! `Policies` with the intrinsic functions resolved for this test table, then enforces every
//! later request. It is a process of its own (started once per test binary, stopped like the
//! shared moto when the tests end), so the other suites' moto stays unauthenticated and fast.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_dynamodb::config::Credentials;
use dmbot_shared::store::dynamodb::DynamoStore;
use serde_json::{Value, json};
use tokio::sync::OnceCell;

use crate::moto::{NOT_INSTALLED, free_port, log_tail};

/// The test table every role's policy is resolved for.
pub const TABLE: &str = "dmbot-iam";

/// The consumer secret in both test secrets.
pub const CONSUMER_SECRET: &str = "iam-test-consumer-secret";

/// Starts the launcher and stops it when the test process (`$PPID`) is gone. `$1` is the
/// launcher, `$2` the log file, the rest its arguments.
const WATCHDOG: &str = r#"
script="$1"; log="$2"; shift 2
python3 "$script" "$@" >"$log" 2>&1 &
moto=$!
trap 'kill "$moto" 2>/dev/null; wait "$moto"; exit 0' EXIT HUP INT TERM
while kill -0 "$PPID" 2>/dev/null && kill -0 "$moto" 2>/dev/null; do
    sleep 1
done
"#;

const START_TIMEOUT: Duration = Duration::from_secs(90);

/// One principal's access key.
#[derive(Clone)]
struct Key {
    id: String,
    secret: String,
}

/// The running, enforcing moto.
pub struct IamMoto {
    pub endpoint: String,
    /// moto's output, with one `IAM DENIED: ...` line per refusal.
    pub log_file: PathBuf,
    pub table_arn: String,
    /// Template parameter name → the ARN of the secret created for it.
    secrets: HashMap<String, String>,
    admin: Key,
    /// Logical id of the function (`WebhookFunction`) → its key.
    functions: HashMap<String, Key>,
    /// Logical id of the function → the statements of its resolved policy.
    statements: HashMap<String, Vec<Value>>,
    _watchdog: Mutex<std::process::Child>,
}

static SHARED: OnceCell<Result<IamMoto, String>> = OnceCell::const_new();

impl IamMoto {
    /// The enforcing moto of this test process, with the test table created. Panics (failing
    /// the test) when it cannot start.
    pub async fn shared() -> &'static IamMoto {
        match SHARED.get_or_init(start).await {
            Ok(moto) => moto,
            Err(message) => panic!("{message}"),
        }
    }

    async fn sdk_config(&self, key: &Key) -> SdkConfig {
        aws_config::defaults(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .credentials_provider(Credentials::new(&key.id, &key.secret, None, None, "iam"))
            .endpoint_url(&self.endpoint)
            .load()
            .await
    }

    /// AWS configuration with the credentials of the role of `function` (a logical id of
    /// `template.yaml`, e.g. `WebhookFunction`).
    pub async fn sdk_config_as(&self, function: &str) -> SdkConfig {
        let Some(key) = self.functions.get(function) else {
            panic!(
                "template.yaml has no function {function} (it has {:?})",
                self.functions.keys().collect::<Vec<_>>()
            );
        };
        self.sdk_config(key).await
    }

    /// The test table, as `function`'s role sees it.
    pub async fn store_as(&self, function: &str) -> DynamoStore {
        let sdk = self.sdk_config_as(function).await;
        DynamoStore::new(aws_sdk_dynamodb::Client::new(&sdk), TABLE)
    }

    /// Secrets Manager as `function`'s role.
    pub async fn secrets_as(&self, function: &str) -> aws_sdk_secretsmanager::Client {
        aws_sdk_secretsmanager::Client::new(&self.sdk_config_as(function).await)
    }

    /// The test table with every permission, for set-up and checks.
    pub async fn admin_store(&self) -> DynamoStore {
        let sdk = self.sdk_config(&self.admin).await;
        DynamoStore::new(aws_sdk_dynamodb::Client::new(&sdk), TABLE)
    }

    /// The ARN of the secret created for the template parameter `parameter`.
    pub fn secret_arn(&self, parameter: &str) -> &str {
        self.secrets
            .get(parameter)
            .map(String::as_str)
            .unwrap_or_else(|| panic!("no test secret for parameter {parameter}"))
    }

    /// For each function, the grants (an action of a statement, with the statement) that no
    /// allowed request has needed so far, from the `statements=` of moto's `IAM allowed` lines.
    pub fn unused_grants(&self) -> BTreeMap<String, Vec<(String, Value)>> {
        let log = std::fs::read_to_string(&self.log_file).unwrap_or_default();
        let mut used: BTreeSet<(String, usize, String)> = BTreeSet::new();
        for line in log.lines().filter(|l| l.starts_with("IAM allowed: ")) {
            let mut words = line.split_whitespace().skip(2);
            let principal = words.next().unwrap_or_default();
            let action = words.next().unwrap_or_default().to_ascii_lowercase();
            let user = principal.rsplit(":user/").next().unwrap_or_default();
            let granted = line.rsplit("statements=").next().unwrap_or_default();
            for index in granted.split(',').filter_map(|i| i.trim().parse().ok()) {
                used.insert((user.to_string(), index, action.clone()));
            }
        }
        let actions = |statement: &Value| -> Vec<String> {
            match &statement["Action"] {
                Value::String(a) => vec![a.clone()],
                Value::Array(list) => list
                    .iter()
                    .filter_map(|a| a.as_str().map(str::to_string))
                    .collect(),
                _ => Vec::new(),
            }
        };
        let mut unused = BTreeMap::new();
        for (function, statements) in &self.statements {
            let mut left = Vec::new();
            for (index, statement) in statements.iter().enumerate() {
                for action in actions(statement) {
                    let key = (function.clone(), index, action.to_ascii_lowercase());
                    if !used.contains(&key) {
                        left.push((action, statement.clone()));
                    }
                }
            }
            if !left.is_empty() {
                unused.insert(function.clone(), left);
            }
        }
        unused
    }

    /// moto's log lines that record a refusal.
    pub fn denials(&self) -> Vec<String> {
        std::fs::read_to_string(&self.log_file)
            .unwrap_or_default()
            .lines()
            .filter(|l| l.starts_with("IAM DENIED"))
            .map(str::to_string)
            .collect()
    }
}

fn key(v: &Value) -> Result<Key, String> {
    let field = |name: &str| {
        v.get(name)
            .and_then(Value::as_str)
            .map(str::to_string)
            .ok_or_else(|| format!("launcher output lacks {name}"))
    };
    Ok(Key {
        id: field("access_key_id")?,
        secret: field("secret_access_key")?,
    })
}

async fn start() -> Result<IamMoto, String> {
    if !crate::moto::on_path("python3") {
        return Err(NOT_INSTALLED.to_string());
    }
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let script = root.join("iam").join("moto_iam.py");
    let template = root.join("..").join("template.yaml");
    let port = free_port()?;
    let tmp = std::env::temp_dir();
    let log_file = tmp.join(format!("dmbot-moto-iam-{}-{port}.log", std::process::id()));
    let out_file = tmp.join(format!("dmbot-moto-iam-{}-{port}.json", std::process::id()));
    let _ = std::fs::remove_file(&out_file);
    let full = json!({
        "consumer_key": "iam-test-consumer-key",
        "consumer_secret": CONSUMER_SECRET,
        "access_token": "4337869213-iamtest",
        "access_token_secret": "iam-test-access-token-secret",
        "token_encryption_key": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
    });
    let secrets = json!({
        "TwitterSecretArn": {"name": "dmbot/twitter", "value": full},
        "TwitterWebhookSecretArn": {
            "name": "dmbot/twitter-webhook",
            "value": {"consumer_secret": CONSUMER_SECRET},
        },
    });
    let mut watchdog = Command::new("sh")
        .arg("-c")
        .arg(WATCHDOG)
        .arg("sh")
        .arg(&script)
        .arg(&log_file)
        .args(["--port", &port.to_string(), "--table", TABLE])
        .arg("--template")
        .arg(&template)
        .arg("--out")
        .arg(&out_file)
        .arg("--secrets")
        .arg(secrets.to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("{NOT_INSTALLED} (could not run sh to start it: {e})"))?;
    let deadline = Instant::now() + START_TIMEOUT;
    let text = loop {
        if let Ok(text) = std::fs::read_to_string(&out_file) {
            break text;
        }
        if let Ok(Some(_)) = watchdog.try_wait() {
            return Err(format!(
                "{NOT_INSTALLED} (tests/iam/moto_iam.py stopped while starting; its output:\n{})",
                log_tail(&log_file)
            ));
        }
        if Instant::now() > deadline {
            let _ = Command::new("kill").arg(watchdog.id().to_string()).status();
            return Err(format!(
                "tests/iam/moto_iam.py did not start within {START_TIMEOUT:?}; its output:\n{}",
                log_tail(&log_file)
            ));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let out: Value =
        serde_json::from_str(&text).map_err(|e| format!("launcher output is not JSON: {e}"))?;
    let functions = out["functions"]
        .as_object()
        .ok_or("launcher output lacks functions")?
        .iter()
        .map(|(name, v)| Ok((name.clone(), key(v)?)))
        .collect::<Result<HashMap<_, _>, String>>()?;
    let statements = out["functions"]
        .as_object()
        .ok_or("launcher output lacks functions")?
        .iter()
        .map(|(name, v)| {
            let list = v["policy"]["Statement"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            (name.clone(), list)
        })
        .collect();
    let secrets = out["secrets"]
        .as_object()
        .ok_or("launcher output lacks secrets")?
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
        .collect();
    let moto = IamMoto {
        endpoint: out["endpoint"].as_str().unwrap_or_default().to_string(),
        log_file,
        table_arn: out["table_arn"].as_str().unwrap_or_default().to_string(),
        secrets,
        admin: key(&out["admin"])?,
        functions,
        statements,
        _watchdog: Mutex::new(watchdog),
    };
    moto.admin_store()
        .await
        .create_table_if_missing()
        .await
        .map_err(|e| format!("could not create the test table as admin: {e}"))?;
    Ok(moto)
}
