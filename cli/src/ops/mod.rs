//! Operator commands. (Being built.)

use std::process::ExitCode;

#[derive(clap::Subcommand)]
pub enum OpsCommand {
    /// Check a flow file and list every problem.
    FlowCheck { file: std::path::PathBuf },
}

pub async fn main(_cmd: OpsCommand) -> ExitCode {
    eprintln!("not built yet");
    ExitCode::FAILURE
}
