//! `cinelake tmdb-sim`: the TMDB simulator as a server for the demo and manual runs.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use cinelake_tmdb_sim::{self as sim, Faults, SimConfig, Source};

#[derive(clap::Args)]
pub struct SimArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8700")]
    listen: SocketAddr,
    /// The v3 API key the simulator accepts.
    #[arg(long, env = "TMDB_API_KEY", default_value = "cinelake-demo-key")]
    key: String,
    /// Serve recorded responses from this directory of Raw-style JSON arrays
    /// (e.g. ../shared/samples/tmdb) instead of invented ones.
    #[arg(long)]
    replay: Option<PathBuf>,
    /// Seed of the invented details.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Share of IMDb ids TMDB does not know (synthetic mode).
    #[arg(long, default_value_t = 0.16)]
    not_found_share: f64,
    /// Latency added to every answer, in milliseconds.
    #[arg(long, default_value_t = 0)]
    latency_ms: u64,
    /// Answer 429 with Retry-After above this many requests a second.
    #[arg(long)]
    rate_limit: Option<f64>,
    /// Share of requests answered 503.
    #[arg(long, default_value_t = 0.0)]
    error_share: f64,
    /// Share of requests that hang.
    #[arg(long, default_value_t = 0.0)]
    hang_share: f64,
    /// Share of requests answered with a truncated JSON body.
    #[arg(long, default_value_t = 0.0)]
    malformed_share: f64,
    /// Share of IMDb ids whose lookup always answers 503, however often it is retried.
    #[arg(long, default_value_t = 0.0)]
    failing_id_share: f64,
}

pub async fn run(args: &SimArgs) -> anyhow::Result<()> {
    let mut config = match &args.replay {
        Some(dir) => SimConfig::replay(&args.key, dir)
            .with_context(|| format!("loading {}", dir.display()))?,
        None => SimConfig::synthetic(&args.key),
    };
    if let Source::Synthetic {
        seed,
        not_found_share,
    } = &mut config.source
    {
        *seed = args.seed;
        *not_found_share = args.not_found_share;
    }
    config.faults = Faults {
        latency: Duration::from_millis(args.latency_ms),
        rate_limit: args.rate_limit,
        server_error_share: args.error_share,
        hang_share: args.hang_share,
        malformed_share: args.malformed_share,
        failing_id_share: args.failing_id_share,
        ..Faults::default()
    };
    let handle = sim::start(config, args.listen).await?;
    println!(
        "TMDB simulator listening on {} (Ctrl-C stops it)",
        handle.base_url()
    );
    tokio::select! {
        _ = handle.wait() => {}
        _ = tokio::signal::ctrl_c() => {}
    }
    Ok(())
}
