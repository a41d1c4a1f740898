//! Seeds streams into a Kinesis endpoint (the emulator): the demo's streams, or N generated ones.

use anyhow::Result;
use clap::Parser;
use e2e::{demo_streams, kinesis_client, seed, StreamSpec};

#[derive(Parser)]
#[command(about = "Creates Kinesis streams on an endpoint (for the demo, tests and benchmarks)")]
struct Args {
    /// The Kinesis endpoint, e.g. http://127.0.0.1:4568.
    #[arg(long)]
    endpoint: String,
    /// Generate this many streams (`<prefix>-0000`, …) instead of the demo's.
    #[arg(long)]
    count: Option<usize>,
    /// Shards per generated stream.
    #[arg(long, default_value_t = 1)]
    shards: i32,
    /// Name prefix of generated streams.
    #[arg(long, default_value = "stream")]
    prefix: String,
    /// JSON records to write into each stream (spread over its shards).
    #[arg(long, default_value_t = 0)]
    records: usize,
}

#[tokio::main]
async fn main() -> Result<()> {
    let args = Args::parse();
    let streams = match args.count {
        Some(n) => (0..n).map(|i| StreamSpec::new(format!("{}-{i:04}", args.prefix), args.shards)).collect(),
        None => demo_streams(),
    };
    let client = kinesis_client(&args.endpoint);
    seed(&client, &streams).await?;
    for s in &streams {
        e2e::put_json_records(&client, &s.name, args.records).await?;
    }
    println!("seeded {} stream(s) with {} record(s) each on {}", streams.len(), args.records, args.endpoint);
    Ok(())
}
