//! What one watchdog run reports: its [`WatchdogMetrics`] and the CloudWatch Embedded Metric
//! Format line the function prints ([`WatchdogReport::emf_line`]).

use serde::Serialize;

use super::METRIC_NAMESPACE;
use crate::store::health::WatchdogRun;
use crate::twitter::api_types::EnvName;

/// The metrics of one run (published with Embedded Metric Format).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct WatchdogMetrics {
    /// 1 when the webhook is valid after the run, 0 when it is invalid or missing; absent when
    /// the run could not tell.
    pub webhook_valid: Option<u8>,
    /// 1 when the run re-validated an invalid webhook.
    pub revalidations: u8,
    /// 1 when the run found the webhook invalid/missing and could not fix it.
    pub failures: u8,
    /// 1 when the run could not check at all (Twitter unreachable, credentials refused).
    pub check_failures: u8,
    /// 1 when deliveries are overdue while accounts are subscribed; absent when not checked.
    pub silent: Option<u8>,
}

/// The outcome of one watchdog run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WatchdogReport {
    pub run: WatchdogRun,
    pub metrics: WatchdogMetrics,
    /// The health record could not be read or written (the run itself still happened).
    pub store_error: Option<String>,
}

impl WatchdogReport {
    /// One CloudWatch Embedded Metric Format log line: a JSON object whose `_aws` member tells
    /// CloudWatch Logs to extract `WebhookValid`, `WebhookRevalidations`,
    /// `WebhookRevalidationFailures`, `WatchdogCheckFailures` and `DeliverySilence` (namespace
    /// [`METRIC_NAMESPACE`], dimension `Environment`). Metrics the run could not measure are
    /// left out rather than published as 0.
    pub fn emf_line(&self, env: &EnvName) -> String {
        let mut names: Vec<(&str, &str)> = Vec::new();
        let mut root = serde_json::Map::new();
        root.insert("Environment".into(), env.as_str().into());
        if let Some(v) = self.metrics.webhook_valid {
            names.push(("WebhookValid", "None"));
            root.insert("WebhookValid".into(), v.into());
        }
        names.push(("WebhookRevalidations", "Count"));
        root.insert(
            "WebhookRevalidations".into(),
            self.metrics.revalidations.into(),
        );
        names.push(("WebhookRevalidationFailures", "Count"));
        root.insert(
            "WebhookRevalidationFailures".into(),
            self.metrics.failures.into(),
        );
        names.push(("WatchdogCheckFailures", "Count"));
        root.insert(
            "WatchdogCheckFailures".into(),
            self.metrics.check_failures.into(),
        );
        if let Some(v) = self.metrics.silent {
            names.push(("DeliverySilence", "None"));
            root.insert("DeliverySilence".into(), v.into());
        }
        let metrics: Vec<serde_json::Value> = names
            .iter()
            .map(|(name, unit)| serde_json::json!({"Name": name, "Unit": unit}))
            .collect();
        root.insert(
            "_aws".into(),
            serde_json::json!({
                "Timestamp": self.run.at_ms,
                "CloudWatchMetrics": [{
                    "Namespace": METRIC_NAMESPACE,
                    "Dimensions": [["Environment"]],
                    "Metrics": metrics,
                }],
            }),
        );
        root.insert(
            "outcome".into(),
            serde_json::to_value(self.run.outcome).unwrap_or_default(),
        );
        root.insert("detail".into(), self.run.detail.clone().into());
        root.insert("invalid_runs".into(), self.run.invalid_runs.into());
        serde_json::Value::Object(root).to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::health::WatchdogOutcome;

    #[test]
    fn the_emf_line_declares_every_metric_it_carries() {
        let report = WatchdogReport {
            run: WatchdogRun {
                at_ms: 1_700_000_000_000,
                outcome: WatchdogOutcome::StillInvalid,
                detail: "x".into(),
                invalid_runs: 2,
                silent: false,
                list_rate_limit: None,
                crc_rate_limit: None,
            },
            metrics: WatchdogMetrics {
                webhook_valid: Some(0),
                revalidations: 0,
                failures: 1,
                check_failures: 0,
                silent: None,
            },
            store_error: None,
        };
        let env = EnvName::new("prod").unwrap();
        let v: serde_json::Value = serde_json::from_str(&report.emf_line(&env)).unwrap();
        let declared: Vec<&str> = v["_aws"]["CloudWatchMetrics"][0]["Metrics"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["Name"].as_str().unwrap())
            .collect();
        for name in &declared {
            assert!(v.get(*name).is_some(), "{name} declared but missing");
        }
        assert!(declared.contains(&"WebhookValid"));
        assert!(!declared.contains(&"DeliverySilence"));
        assert_eq!(v["WebhookValid"], 0);
        assert_eq!(v["Environment"], "prod");
        assert_eq!(v["_aws"]["CloudWatchMetrics"][0]["Namespace"], "dmbot");
    }
}
