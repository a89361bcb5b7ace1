//! `conversation show|resume`: a conversation's state, and ending a hand-over.

use clap::Subcommand;
use dmbot_shared::domain::{ConversationKey, now_ms};
use dmbot_shared::flow::resume;
use dmbot_shared::store::Conversations;
use serde_json::json;

use super::context::{parse_user, store, with_store};
use super::{Common, OpsError, Output};

#[derive(Subcommand, Debug)]
pub enum ConversationCmd {
    /// A conversation's state: node, hand-over, last activity.
    Show { account: String, customer: String },
    /// End a hand-over: the bot answers again, starting the flow afresh.
    Resume { account: String, customer: String },
}

pub async fn run(opts: &Common, cmd: ConversationCmd) -> Result<Output, OpsError> {
    let store = store(opts).await?;
    match cmd {
        ConversationCmd::Show { account, customer } => {
            let key = ConversationKey::new(parse_user(&account)?, parse_user(&customer)?);
            let c = with_store!(&store, s => s.load_conversation(&key).await)?;
            let json = json!({
                "account_id": key.account.as_str(),
                "customer_id": key.customer.as_str(),
                "version": c.version,
                "state": c.state,
                "agent_last_active_ms": c.agent_last_active_ms,
            });
            let text = if c.version == 0 {
                format!("no conversation stored for {key}")
            } else {
                format!(
                    "conversation {key} (version {})\nnode: {}\nhand-over: {}\nlast activity: {} ms\nagent last active: {}",
                    c.version,
                    c.state.node.as_deref().unwrap_or("(not started)"),
                    c.state
                        .handoff
                        .as_ref()
                        .map_or("no".to_string(), |h| format!(
                            "since {} ms ({:?})",
                            h.since_ms, h.reason
                        )),
                    c.state.last_activity_ms,
                    c.agent_last_active_ms
                        .map_or("never".to_string(), |t| format!("{t} ms")),
                )
            };
            Ok(Output::new(json, text))
        }
        ConversationCmd::Resume { account, customer } => {
            let key = ConversationKey::new(parse_user(&account)?, parse_user(&customer)?);
            let c = with_store!(&store, s => s.load_conversation(&key).await)?;
            if c.version == 0 {
                return Err(OpsError::Usage(format!(
                    "no conversation stored for {key}: check the account and customer ids"
                )));
            }
            let was_paused = c.state.handoff.is_some();
            let state = resume(&c.state, now_ms());
            let version =
                with_store!(&store, s => s.save_conversation(&key, &state, c.version).await)?;
            Ok(Output::new(
                json!({ "account_id": key.account.as_str(), "customer_id": key.customer.as_str(), "version": version, "was_paused": was_paused }),
                if was_paused {
                    format!("the bot answers {key} again; the next message starts the flow afresh")
                } else {
                    format!("{key} was not handed over; its flow restarts with the next message")
                },
            ))
        }
    }
}
