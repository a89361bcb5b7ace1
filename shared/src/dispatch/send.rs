//! Sending the reply: retries within the budget, a rate limit past it puts the message off,
//! and an unknown outcome asks whether the reply went out before sending again.

use std::time::Instant;

use super::outcome::{Sent, twitter_failure};
use super::recovery::Verdict;
use super::{Dispatcher, Failure, ResolvedAccount, Store};
use crate::domain::{InboundRecord, now_ms};
use crate::flow::{Flow, ReplyPlan};
use crate::store::usage::BillableKind;
use crate::twitter::errors::TwitterError;
use crate::twitter::retry::{Decision, Timer, TokioTimer};

impl<S: Store + Clone + Send + Sync + 'static> Dispatcher<S> {
    /// Runs a Twitter call, cut short at the budget (the client's own timeout may be longer
    /// than what is left).
    pub(super) async fn bounded<T>(
        &self,
        budget: Instant,
        call: impl std::future::Future<Output = Result<T, TwitterError>>,
    ) -> Result<T, TwitterError> {
        let left = budget.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, call).await {
            Ok(result) => result,
            Err(_) => Err(TwitterError::Transient {
                endpoint: "(a call cut short)".into(),
                status: None,
                reason: "it did not finish within the dispatcher's deadline".into(),
            }),
        }
    }

    /// Sends the reply. Retries transient failures and waits out rate limits within the budget;
    /// a rate limit that resets after it puts the message off until the reset. Before re-sending
    /// after a failure whose outcome is unknown (a timeout or a dropped connection: Twitter may
    /// have accepted it), asks the receipts (and then Twitter) whether it went out.
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn send(
        &self,
        account: &ResolvedAccount,
        record: &InboundRecord,
        sending_ms: u64,
        plan: &ReplyPlan,
        media: Option<crate::twitter::limits::MediaId>,
        flow: &Flow,
        budget: Instant,
    ) -> Result<Sent, Failure> {
        let key = &record.message.conversation;
        let reply = self.reply_for(key, plan, flow, media)?;
        let timer = TokioTimer;
        let mut attempt = 1;
        loop {
            let call = self.send_once(&account.tokens, &reply);
            let error = match self.bounded(budget, call).await {
                Ok(sent) => {
                    self.count(&key.account, BillableKind::DmSend, 1).await;
                    self.observe_send(&key.account, &sent.windows).await;
                    return Ok(Sent::New(sent.value));
                }
                Err(e) => e,
            };
            if let TwitterError::RateLimited {
                reset_at,
                limit,
                remaining,
                ..
            } = &error
            {
                // The budget should have prevented it: X counts differently than configured.
                // Its window is blocked until its reset; the message waits there, no sleeping.
                let rate = crate::twitter::errors::RateLimit {
                    limit: *limit,
                    remaining: *remaining,
                    reset_at: *reset_at,
                };
                self.observe_refusal(&key.account, rate).await;
                super::metrics::add_rate_limited();
                tracing::warn!(error = %error, "X refused the send with a 429 despite the send budget");
                let wait_ms = error
                    .retry_after(timer.unix_seconds())
                    .map_or(self.config.retry_defer.as_millis() as u64, |w| {
                        w.as_millis() as u64
                    });
                return Err(Failure::Defer {
                    until_ms: now_ms()
                        + wait_ms
                        + self.config.retry.reset_margin.as_millis() as u64,
                    reason: format!("rate limited by X: {error}"),
                    slot_ms: None,
                });
            }
            let unknown_outcome = matches!(&error, TwitterError::Transient { status: None, .. });
            let left =
                tokio::time::Instant::from_std(budget).saturating_duration_since(timer.now());
            match self.config.retry.decide(
                &error,
                attempt,
                timer.unix_seconds(),
                left,
                rand::random(),
            ) {
                Decision::GiveUp => {
                    if unknown_outcome {
                        // It may have gone out: a later attempt must ask the receipts first
                        // (the Sending mark tells it to).
                        return Err(twitter_failure("sending the reply", &error));
                    }
                    if let Some(wait) = error.retry_after(timer.unix_seconds()) {
                        let until_ms = now_ms()
                            + wait.as_millis() as u64
                            + self.config.retry.reset_margin.as_millis() as u64;
                        return Err(Failure::Defer {
                            until_ms,
                            reason: format!("rate limited by Twitter: {error}"),
                            slot_ms: None,
                        });
                    }
                    return Err(twitter_failure("sending the reply", &error));
                }
                Decision::RetryAfter(wait) => {
                    tracing::warn!(attempt, wait_ms = wait.as_millis() as u64, error = %error, "send failed; retrying");
                    timer.sleep(wait).await;
                }
            }
            if unknown_outcome {
                match self
                    .earlier_reply(account, record, sending_ms, budget)
                    .await?
                {
                    Verdict::Undecided => {}
                    found => return Ok(Sent::Found(found)),
                }
            }
            attempt += 1;
        }
    }
}
