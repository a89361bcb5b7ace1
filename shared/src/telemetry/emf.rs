//! CloudWatch Embedded Metric Format (EMF): metrics as one JSON log line on stdout, which
//! CloudWatch Logs turns into metrics (no CloudWatch SDK, no API call, nothing to grant).
//!
//! One line is one object:
//!
//! ```json
//! {"_aws":{"Timestamp":1700000000000,"CloudWatchMetrics":[{"Namespace":"dmbot",
//!   "Dimensions":[["Function"]],"Metrics":[{"Name":"AnsweredDMs","Unit":"Count"}]}]},
//!  "Function":"dispatch","AnsweredDMs":3}
//! ```
//!
//! [`Emf`] gathers one invocation's metrics for one function (the dimension `Function`) and
//! prints them with [`Emf::emit`]. Counts and dollars given twice under one name add up; each
//! duration is kept (an array of values, which CloudWatch counts one by one, so percentiles
//! stay right), up to [`MAX_VALUES`]. A value that is not finite (NaN, infinity) is dropped:
//! CloudWatch would refuse the whole line. A metric with no value is not declared.
//!
//! The metric names are the constants below; `template.yaml` alarms on [`SENDING_PAUSED`] and
//! [`RATE_LIMITED`] and its dashboard divides [`X_CALLS`] and [`SPEND_USD`] by
//! [`ANSWERED_DMS`] (`docs/OPERATIONS.md`, "Metrics").

use std::io::Write;

use serde_json::{Map, Value, json};

/// The CloudWatch namespace of every dmbot metric.
pub const NAMESPACE: &str = "dmbot";
/// The dimension every line carries: which function measured.
pub const DIMENSION: &str = "Function";
/// The dispatcher's `Function` dimension value (the template's alarms name it).
pub const DISPATCH_FUNCTION: &str = "dispatch";
/// EMF's limit of values in one metric's array.
pub const MAX_VALUES: usize = 100;

/// Customer messages answered (a reply sent, or a decision that none is due).
pub const ANSWERED_DMS: &str = "AnsweredDMs";
/// Billable calls made to X.
pub const X_CALLS: &str = "XCalls";
/// The estimated spend of those calls, in US dollars (`store::prices`).
pub const SPEND_USD: &str = "SpendUSD";
/// Messages put off until later (a rate limit, a pause, a failure that may pass).
pub const DEFERRED_MESSAGES: &str = "DeferredMessages";
/// From the customer's message to its reply, in milliseconds.
pub const WAIT_MS: &str = "WaitMs";
/// Messages answered together with a later one of the same customer.
pub const COALESCED_MESSAGES: &str = "CoalescedMessages";
/// Sending stopped (the daily spend cap reached, a budget spent): alarmed on.
pub const SENDING_PAUSED: &str = "SendingPaused";
/// 429s received from X: alarmed on.
pub const RATE_LIMITED: &str = "RateLimited";

/// A metric's CloudWatch unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Count,
    Milliseconds,
    /// No unit (dollars: CloudWatch has no currency unit).
    None,
}

impl Unit {
    pub fn as_str(self) -> &'static str {
        match self {
            Unit::Count => "Count",
            Unit::Milliseconds => "Milliseconds",
            Unit::None => "None",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
struct Metric {
    name: &'static str,
    unit: Unit,
    values: Vec<f64>,
}

/// One function's metrics, printed as one EMF line (namespace [`NAMESPACE`], dimension
/// `Function=<function>`).
#[derive(Debug, Clone, PartialEq)]
pub struct Emf {
    function: &'static str,
    metrics: Vec<Metric>,
}

impl Emf {
    pub fn new(function: &'static str) -> Self {
        Self {
            function,
            metrics: Vec::new(),
        }
    }

    /// Adds `value` to the count `name` (unit `Count`).
    pub fn count(&mut self, name: &'static str, value: f64) -> &mut Self {
        self.add(name, Unit::Count, value, false)
    }

    /// Adds one duration to `name` (unit `Milliseconds`); each is kept.
    pub fn millis(&mut self, name: &'static str, value: f64) -> &mut Self {
        self.add(name, Unit::Milliseconds, value, true)
    }

    /// Adds `value` dollars to `name` (unit `None`).
    pub fn usd(&mut self, name: &'static str, value: f64) -> &mut Self {
        self.add(name, Unit::None, value, false)
    }

    /// Whether nothing was recorded (then [`Self::emit`] prints nothing).
    pub fn is_empty(&self) -> bool {
        self.metrics.is_empty()
    }

    /// A name keeps the unit it was first given.
    fn add(&mut self, name: &'static str, unit: Unit, value: f64, keep_each: bool) -> &mut Self {
        if !value.is_finite() {
            return self;
        }
        match self.metrics.iter_mut().find(|m| m.name == name) {
            Some(m) if keep_each => {
                if m.values.len() < MAX_VALUES {
                    m.values.push(value);
                }
            }
            Some(m) => {
                if let Some(sum) = m.values.first_mut()
                    && (*sum + value).is_finite()
                {
                    *sum += value;
                }
            }
            None => self.metrics.push(Metric {
                name,
                unit,
                values: vec![value],
            }),
        }
        self
    }

    /// The EMF line (no newline) stamped `timestamp_ms` (since the epoch).
    pub fn to_line(&self, timestamp_ms: u64) -> String {
        let declared: Vec<Value> = self
            .metrics
            .iter()
            .map(|m| json!({"Name": m.name, "Unit": m.unit.as_str()}))
            .collect();
        let mut root = Map::new();
        root.insert(
            "_aws".into(),
            json!({
                "Timestamp": timestamp_ms,
                "CloudWatchMetrics": [{
                    "Namespace": NAMESPACE,
                    "Dimensions": [[DIMENSION]],
                    "Metrics": declared,
                }],
            }),
        );
        root.insert(DIMENSION.into(), self.function.into());
        for m in &self.metrics {
            let value = match m.values.as_slice() {
                [one] => number(*one),
                many => Value::Array(many.iter().map(|v| number(*v)).collect()),
            };
            root.insert(m.name.into(), value);
        }
        Value::Object(root).to_string()
    }

    /// Prints [`Self::to_line`] stamped now, and a newline, to stdout in one write (under
    /// stdout's lock, so a log line cannot land inside it). Nothing when empty; a failed write
    /// is ignored: metrics never fail the work they measure.
    pub fn emit(&self) {
        if self.is_empty() {
            return;
        }
        let mut line = self.to_line(crate::domain::now_ms());
        line.push('\n');
        let mut out = std::io::stdout().lock();
        let _ = out.write_all(line.as_bytes());
        let _ = out.flush();
    }
}

/// A finite value as JSON: whole numbers without a fraction.
fn number(value: f64) -> Value {
    if value.fract() == 0.0 && value.abs() < 9.0e15 {
        Value::from(value as i64)
    } else {
        serde_json::Number::from_f64(value).map_or(Value::Null, Value::Number)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const AT: u64 = 1_700_000_000_000;

    fn parsed(emf: &Emf) -> Value {
        serde_json::from_str(&emf.to_line(AT)).expect("one JSON object")
    }

    /// The EMF contract: every declared metric has a top-level number (or array of numbers).
    fn assert_well_formed(line: &Value) {
        let aws = &line["_aws"];
        assert_eq!(aws["Timestamp"], AT);
        let directive = &aws["CloudWatchMetrics"][0];
        assert_eq!(directive["Namespace"], "dmbot");
        assert_eq!(directive["Dimensions"], json!([["Function"]]));
        assert!(line["Function"].is_string(), "{line}");
        for metric in directive["Metrics"].as_array().expect("Metrics") {
            let name = metric["Name"].as_str().expect("Name");
            assert!(
                ["Count", "Milliseconds", "None"].contains(&metric["Unit"].as_str().unwrap()),
                "{metric}"
            );
            let value = &line[name];
            let numbers = match value {
                Value::Array(values) => values.iter().all(Value::is_number) && !values.is_empty(),
                v => v.is_number(),
            };
            assert!(numbers, "{name} has no numeric value in {line}");
        }
    }

    #[test]
    fn a_line_declares_every_metric_it_carries_with_its_unit() {
        let mut emf = Emf::new(DISPATCH_FUNCTION);
        emf.count(ANSWERED_DMS, 3.0)
            .count(X_CALLS, 7.0)
            .usd(SPEND_USD, 0.075)
            .millis(WAIT_MS, 1_250.0)
            .count(SENDING_PAUSED, 1.0);
        let line = parsed(&emf);
        assert_well_formed(&line);
        assert_eq!(line["Function"], "dispatch");
        assert_eq!(line["AnsweredDMs"], 3);
        assert_eq!(line["XCalls"], 7);
        assert_eq!(line["SpendUSD"], 0.075);
        assert_eq!(line["WaitMs"], 1250);
        let declared = &line["_aws"]["CloudWatchMetrics"][0]["Metrics"];
        assert_eq!(
            declared,
            &json!([
                {"Name": "AnsweredDMs", "Unit": "Count"},
                {"Name": "XCalls", "Unit": "Count"},
                {"Name": "SpendUSD", "Unit": "None"},
                {"Name": "WaitMs", "Unit": "Milliseconds"},
                {"Name": "SendingPaused", "Unit": "Count"},
            ])
        );
        assert!(!emf.to_line(AT).contains('\n'));
    }

    #[test]
    fn counts_add_up_and_each_duration_is_kept_up_to_the_emf_limit() {
        let mut emf = Emf::new(DISPATCH_FUNCTION);
        emf.count(RATE_LIMITED, 1.0).count(RATE_LIMITED, 2.0);
        emf.usd(SPEND_USD, 0.015).usd(SPEND_USD, 0.010);
        emf.millis(WAIT_MS, 10.0).millis(WAIT_MS, 20.5);
        let line = parsed(&emf);
        assert_well_formed(&line);
        assert_eq!(line["RateLimited"], 3);
        assert!((line["SpendUSD"].as_f64().unwrap() - 0.025).abs() < 1e-12);
        assert_eq!(line["WaitMs"], json!([10, 20.5]));

        let mut many = Emf::new(DISPATCH_FUNCTION);
        for i in 0..150 {
            many.millis(WAIT_MS, f64::from(i));
        }
        let line = parsed(&many);
        assert_eq!(line["WaitMs"].as_array().unwrap().len(), MAX_VALUES);
    }

    #[test]
    fn values_that_are_not_finite_are_never_emitted() {
        let mut emf = Emf::new(DISPATCH_FUNCTION);
        emf.millis(WAIT_MS, f64::NAN)
            .count(X_CALLS, f64::INFINITY)
            .usd(SPEND_USD, f64::NEG_INFINITY);
        assert!(emf.is_empty(), "nothing measurable: no metric declared");
        emf.count(X_CALLS, 2.0)
            .count(X_CALLS, f64::NAN)
            .millis(WAIT_MS, 5.0)
            .millis(WAIT_MS, f64::INFINITY)
            .count(DEFERRED_MESSAGES, f64::MAX)
            .count(DEFERRED_MESSAGES, f64::MAX);
        let text = emf.to_line(AT);
        for bad in ["NaN", "inf", "null"] {
            assert!(!text.contains(bad), "{text}");
        }
        let line = parsed(&emf);
        assert_well_formed(&line);
        assert_eq!(line["XCalls"], 2);
        assert_eq!(line["WaitMs"], 5);
        assert!(line["DeferredMessages"].as_f64().unwrap().is_finite());
    }

    #[test]
    fn an_empty_set_prints_nothing_and_emitting_never_panics() {
        let emf = Emf::new(DISPATCH_FUNCTION);
        assert!(emf.is_empty());
        emf.emit();
        let mut one = Emf::new(DISPATCH_FUNCTION);
        one.count(COALESCED_MESSAGES, 1.0);
        one.emit();
    }
}
