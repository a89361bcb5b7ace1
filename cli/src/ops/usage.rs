//! `usage`: the billable X calls the dispatcher made for an account, per day and kind, with the
//! spend they come to at X's Pay-Per-Use list prices (`store::usage::list_price_usd`).

use clap::Args;
use dmbot_shared::dispatch::owner_id_from_access_token;
use dmbot_shared::domain::{UserId, now_ms};
use dmbot_shared::store::usage::{BillableKind, UsageDay, estimated_spend_usd, list_price_usd};
use serde_json::json;

use super::context::{self, parse_user, store, with_store};
use super::{Common, OpsError, Output};

const DAY_MS: u64 = 86_400_000;

/// Options of `dmbot usage`.
#[derive(Args, Debug)]
pub struct UsageArgs {
    #[command(flatten)]
    pub common: Common,
    /// How many days back, today (UTC) included.
    #[arg(long, default_value_t = 7, value_parser = clap::value_parser!(u32).range(1..=400))]
    pub days: u32,
}

/// The account whose usage is shown: `--account`, else the app owner (read from its access
/// token, `<user id>-…`).
fn account(opts: &Common) -> Result<UserId, OpsError> {
    if let Some(id) = &opts.account {
        return parse_user(id);
    }
    let owner = context::owner_tokens()?;
    owner_id_from_access_token(owner.token()).ok_or_else(|| {
        OpsError::Usage(
            "the owner's user id is not in its access token: name the account with --account"
                .into(),
        )
    })
}

pub async fn run(opts: &Common, days: u32) -> Result<Output, OpsError> {
    let account = account(opts)?;
    let now = now_ms();
    let to = UsageDay::from_ms(now);
    let from = UsageDay::from_ms(now.saturating_sub(u64::from(days - 1) * DAY_MS));
    let store = store(opts).await?;
    let rows = with_store!(&store, s => {
        dmbot_shared::store::usage::Usage::usage(s, Some(&account), &from, &to).await
    })?;
    let mut text = format!(
        "billable X calls for account {account}, {} to {} (UTC)\n",
        from.as_str(),
        to.as_str()
    );
    let mut total = 0.0;
    let mut json_days = Vec::new();
    for row in &rows {
        let spend = estimated_spend_usd(row);
        total += spend;
        let counts: Vec<String> = row
            .counts
            .iter()
            .map(|(kind, n)| format!("{kind} {n}"))
            .collect();
        text.push_str(&format!(
            "{}  ${spend:.3}  {}\n",
            row.day.as_str(),
            counts.join(", ")
        ));
        let counts_json: serde_json::Map<String, serde_json::Value> = row
            .counts
            .iter()
            .map(|(kind, n)| (kind.as_str().to_string(), json!(n)))
            .collect();
        json_days.push(json!({
            "day": row.day.as_str(),
            "counts": counts_json,
            "estimated_spend_usd": spend,
        }));
    }
    if rows.is_empty() {
        text.push_str("no billable calls recorded\n");
    }
    text.push_str(&format!(
        "estimated spend: ${total:.3} at X's Pay-Per-Use list prices"
    ));
    let prices: serde_json::Map<String, serde_json::Value> = BillableKind::ALL
        .iter()
        .map(|k| (k.as_str().to_string(), json!(list_price_usd(*k))))
        .collect();
    let json = json!({
        "account_id": account.as_str(),
        "from": from.as_str(),
        "to": to.as_str(),
        "days": json_days,
        "estimated_spend_usd": total,
        "prices_usd": prices,
    });
    Ok(Output::new(json, text))
}
