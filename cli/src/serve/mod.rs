//! `dmbot serve`: the whole system on one machine. (Being built.)

use std::process::ExitCode;

/// Options of `dmbot serve`.
#[derive(clap::Args)]
pub struct ServeArgs {
    /// Port to listen on.
    #[arg(long, default_value_t = 8080)]
    pub port: u16,
}

pub async fn main(_args: ServeArgs) -> ExitCode {
    eprintln!("dmbot serve is not built yet");
    ExitCode::FAILURE
}
