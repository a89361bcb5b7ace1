//! Runs the real `dmbot` binary against the simulator (and moto), for the `ops_*` tests.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Stdio;

use dmbot_tests::simulator::TwitterApi;
use serde_json::Value;

/// One `dmbot` run's outcome.
#[derive(Debug)]
pub struct Run {
    pub ok: bool,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// stdout as JSON (the commands were run with `--json`).
    pub fn json(&self) -> Value {
        serde_json::from_str(self.stdout.trim()).unwrap_or_else(|e| {
            panic!(
                "stdout is not JSON ({e}):\n{}\nstderr:\n{}",
                self.stdout, self.stderr
            )
        })
    }
}

/// A test's environment: the fake, a scratch directory (the working directory, so no `.env` of
/// the repository is read) and a data directory for the embedded store.
pub struct Env {
    pub fake: TwitterApi,
    pub dir: tempfile::TempDir,
    pub extra: Vec<(String, String)>,
}

impl Env {
    pub async fn start() -> Self {
        Self {
            fake: TwitterApi::start().await,
            dir: tempfile::tempdir().expect("a temporary directory"),
            extra: Vec::new(),
        }
    }

    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    pub fn command(&self, args: &[&str]) -> tokio::process::Command {
        let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_dmbot"));
        let app = self.fake.app();
        let owner = self.fake.owner();
        cmd.args(args)
            .current_dir(self.dir.path())
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", self.dir.path())
            .env("TWITTER_CONSUMER_KEY", &app.consumer_key)
            .env("TWITTER_CONSUMER_SECRET", &app.consumer_secret)
            .env("TWITTER_ACCESS_TOKEN", &owner.token)
            .env("TWITTER_ACCESS_TOKEN_SECRET", &owner.token_secret)
            .env("TWITTER_ENV_NAME", &app.env_name)
            .env("TWITTER_API_BASE_URL", self.fake.base_url())
            .env("TWITTER_UPLOAD_BASE_URL", self.fake.base_url())
            .kill_on_drop(true);
        for (k, v) in &self.extra {
            cmd.env(k, v);
        }
        cmd
    }

    /// Runs `dmbot <args>` to completion.
    pub async fn run(&self, args: &[&str]) -> Run {
        let out = self
            .command(args)
            .stdin(Stdio::null())
            .output()
            .await
            .expect("run the dmbot binary");
        Run {
            ok: out.status.success(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// Runs `dmbot <args> --json` and expects success.
    pub async fn json(&self, args: &[&str]) -> Value {
        let mut all: Vec<&str> = args.to_vec();
        all.push("--json");
        let run = self.run(&all).await;
        assert!(
            run.ok,
            "dmbot {args:?} failed:\nstdout: {}\nstderr: {}",
            run.stdout, run.stderr
        );
        run.json()
    }

    /// Runs `dmbot <args> --json --data-dir <data dir>` and expects success.
    pub async fn json_local(&self, args: &[&str]) -> Value {
        let dir = self.data_dir();
        let dir = dir.to_str().expect("utf-8 path");
        let mut all: Vec<&str> = args.to_vec();
        all.extend(["--data-dir", dir]);
        self.json(&all).await
    }

    /// Points the AWS SDK of every following run at `moto`.
    pub fn use_moto(&mut self, moto: &dmbot_tests::moto::Moto) {
        for (k, v) in [
            ("AWS_ENDPOINT_URL", moto.endpoint.as_str()),
            ("AWS_ACCESS_KEY_ID", "testing"),
            ("AWS_SECRET_ACCESS_KEY", "testing"),
            ("AWS_REGION", "us-east-1"),
        ] {
            self.extra.push((k.to_string(), v.to_string()));
        }
    }

    pub fn write_file(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, bytes).expect("write a test file");
        path
    }
}

/// The repository's `flows/` directory.
pub fn flows_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../flows")
}
