//! What the end-to-end tests, the demo and the benchmark share: the `kinesis-local` emulator
//! started on a free loopback port, a Kinesis client for it, stream seeding, and the paths of
//! the built host and plugin.

pub mod classification;
pub mod converge;
pub mod integrations_account;
pub mod openmetadata;
pub mod proxy;
pub mod tagging;

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use aws_sdk_kinesis::config::{BehaviorVersion, Credentials, Region};

/// The region the emulator and the test workflows use.
pub const REGION: &str = "eu-west-1";

/// `CI=true` (as `.ci/run` and most CI services set it): a test never skips itself for want of
/// a tool; it fails.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// A runtime for a test's emulators, stand-ins and seeding (two workers: a stand-in answers
/// while a test's own calls wait).
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("a tokio runtime")
}

/// The workspace root.
pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("tests/ has a parent").to_path_buf()
}

/// Where `kinesis-local` is installed (`npm ci --prefix tests/emulator`).
pub fn emulator_package() -> PathBuf {
    workspace().join("tests/emulator/node_modules/kinesis-local")
}

/// A server process of the tests on a loopback port, killed when dropped.
pub struct Process {
    child: Child,
    pub port: u16,
}

impl Process {
    /// Starts `command` (which listens on `port`) and waits until the port answers.
    fn start(mut command: Command, port: u16, name: &str) -> Result<Self> {
        let child = command
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .with_context(|| format!("cannot start {name}"))?;
        let mut process = Process { child, port };
        let deadline = Instant::now() + Duration::from_secs(60);
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        while TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
            if let Some(status) = process.child.try_wait()? {
                bail!("{name} exited at start ({status})");
            }
            if Instant::now() > deadline {
                bail!("{name} did not answer on port {port} within 60 s");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        // The port answers: it must be this process that listens, not one that was there before.
        if let Some(status) = process.child.try_wait()? {
            bail!("{name} exited at start ({status}); another process answers on port {port}");
        }
        Ok(process)
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A running `kinesis-local`, stopped when dropped.
pub struct Emulator {
    process: Process,
    pub port: u16,
}

impl Emulator {
    /// Starts the emulator on a free loopback port and waits until it answers.
    pub fn start() -> Result<Self> {
        Self::start_in(REGION)
    }

    /// [`Emulator::start`], serving `region`.
    pub fn start_in(region: &str) -> Result<Self> {
        let package = emulator_package();
        if !package.join("main.js").exists() {
            bail!(
                "kinesis-local is not installed at {}: run `npm ci --prefix tests/emulator` (scripts/test.sh does)",
                package.display()
            );
        }
        let port = free_port()?;
        let mut command = Command::new("node");
        // It reads its TLS certificate (server.json) from the working directory.
        command
            .arg("main.js")
            .current_dir(&package)
            .env("KINESIS_MOCK_PLAIN_PORT", port.to_string())
            .env("KINESIS_MOCK_TLS_PORT", free_port()?.to_string())
            .env("AWS_REGION", region)
            .env("LOG_LEVEL", "WARN")
            .env("SHARD_LIMIT", "100000")
            .env("ON_DEMAND_STREAM_COUNT_LIMIT", "1000")
            .env("CREATE_STREAM_DURATION", "0ms")
            .env("DELETE_STREAM_DURATION", "0ms")
            .env("UPDATE_SHARD_COUNT_DURATION", "0ms");
        let process = Process::start(command, port, "kinesis-local (node)")?;
        Ok(Emulator { port: process.port, process })
    }

    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.process.port)
    }
}

/// Python for set-ups on moto: `zigzag(n)` (Avro's varint) and `frame(version, payload,
/// compress)` (the Glue Schema Registry serializer's header: magic 3, compression, version id).
/// A set-up script is `format!("{REGISTRY_FRAMING_PY}{script}")`.
pub const REGISTRY_FRAMING_PY: &str = r#"
import uuid, zlib

def zigzag(n):
    n = (n << 1) ^ (n >> 63)
    out = b""
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out += bytes([b | 0x80])
        else:
            return out + bytes([b])

def frame(version, payload, compress=False):
    body = zlib.compress(payload) if compress else payload
    return bytes([3, 5 if compress else 0]) + uuid.UUID(version).bytes + body
"#;

/// A running `moto_server` (STS for the assume-role tests), stopped when dropped.
pub struct Moto {
    _process: Process,
    pub port: u16,
}

impl Moto {
    pub fn start() -> Result<Self> {
        Self::start_with(None)
    }

    /// A moto that checks every call's signature against its IAM users' keys, as AWS does,
    /// once the first `free_calls` calls (which set those users up) are done.
    pub fn start_with_auth(free_calls: u32) -> Result<Self> {
        Self::start_with(Some(free_calls))
    }

    fn start_with(free_calls: Option<u32>) -> Result<Self> {
        let server = workspace().join("tests/.venv-moto/bin/moto_server");
        if !server.exists() {
            bail!("moto_server is not installed at {}: scripts/test.sh installs it", server.display());
        }
        let port = free_port()?;
        let mut command = Command::new(server);
        command.args(["-H", "127.0.0.1", "-p", &port.to_string()]);
        if let Some(n) = free_calls {
            command.env("INITIAL_NO_AUTH_ACTION_COUNT", n.to_string());
        }
        let process = Process::start(command, port, "moto_server")?;
        Ok(Moto { port: process.port, _process: process })
    }

    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Sets up an IAM user `om` allowed `actions` (e.g. `"*"`, `"kinesis:*"`) with the three
    /// unchecked calls. Returns the user's access key id and secret key.
    pub fn iam_user(&self, actions: &str) -> Result<(String, String)> {
        let script = r#"
import boto3, os, json
kw = dict(endpoint_url=os.environ["MOTO"], region_name="eu-west-1")
iam = boto3.client("iam", aws_access_key_id="setup", aws_secret_access_key="setup", **kw)
iam.create_user(UserName="om")
iam.put_user_policy(UserName="om", PolicyName="allowed", PolicyDocument=json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": os.environ["ACTIONS"], "Resource": "*"}]}))
key = iam.create_access_key(UserName="om")["AccessKey"]
print(key["AccessKeyId"])
print(key["SecretAccessKey"])
"#;
        let out = self.python_with(script, &[("ACTIONS", actions)])?;
        let mut lines = out.lines().map(str::to_string);
        match (lines.next(), lines.next()) {
            (Some(id), Some(secret)) => Ok((id, secret)),
            _ => bail!("the IAM script printed no keys: {out}"),
        }
    }

    /// An IAM user allowed everything ([`Moto::iam_user`]), then, signed as that user, a secret
    /// and a parameter holding the user's secret key, and a stream. Returns the user's keys.
    pub fn account_with_secrets(&self) -> Result<(String, String)> {
        let (id, secret) = self.iam_user("*")?;
        // moto checks the key's real secret from here on; the stores keep the one the workflow means.
        let script = r#"
import boto3, os
user = dict(endpoint_url=os.environ["MOTO"], region_name="eu-west-1",
    aws_access_key_id=os.environ["KEY_ID"], aws_secret_access_key=os.environ["SECRET"])
boto3.client("secretsmanager", **user).create_secret(Name="/om/kinesis/secret", SecretString=os.environ["SECRET"])
boto3.client("ssm", **user).put_parameter(Name="/om/kinesis/ssm-secret", Value=os.environ["SECRET"], Type="SecureString")
boto3.client("kinesis", **user).create_stream(StreamName="orders", ShardCount=1)
"#;
        self.python_with(script, &[("KEY_ID", &id), ("SECRET", &secret)])?;
        Ok((id, secret))
    }

    /// Runs a Python script with boto3 (from moto's environment) against this moto; `MOTO`
    /// holds its endpoint. What the script prints is returned.
    pub fn python(&self, script: &str) -> Result<String> {
        self.python_with(script, &[])
    }

    /// [`Moto::python`] with more environment variables.
    pub fn python_with(&self, script: &str, env: &[(&str, &str)]) -> Result<String> {
        let python = workspace().join("tests/.venv-moto/bin/python");
        let out = Command::new(python)
            .arg("-c")
            .arg(script)
            .env("MOTO", self.endpoint())
            .envs(env.iter().copied())
            .output()
            .context("cannot run moto's python")?;
        if !out.status.success() {
            bail!("the script failed: {}", String::from_utf8_lossy(&out.stderr));
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }
}

/// A port nobody listens on right now.
/// A free loopback port, never one handed out before in this process: the tests of a binary
/// start their emulators at once, and a port released by one check could otherwise go to two
/// emulators (the second fails to bind, and its test talks to the first).
pub fn free_port() -> Result<u16> {
    static HANDED_OUT: std::sync::Mutex<std::collections::BTreeSet<u16>> =
        std::sync::Mutex::new(std::collections::BTreeSet::new());
    for _ in 0..1000 {
        let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        if HANDED_OUT.lock().unwrap_or_else(|e| e.into_inner()).insert(port) {
            return Ok(port);
        }
    }
    bail!("no free loopback port that was not handed out already")
}

/// A Kinesis client for an emulator (any credentials work there).
pub fn kinesis_client(endpoint: &str) -> aws_sdk_kinesis::Client {
    kinesis_client_in(endpoint, REGION)
}

/// [`kinesis_client`] for `region`.
pub fn kinesis_client_in(endpoint: &str, region: &str) -> aws_sdk_kinesis::Client {
    let config = aws_sdk_kinesis::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(region.to_string()))
        .credentials_provider(Credentials::new("test", "test", None, None, "emulator"))
        .endpoint_url(endpoint)
        .build();
    aws_sdk_kinesis::Client::from_conf(config)
}

/// A stream to seed: name and shard count.
#[derive(Debug, Clone)]
pub struct StreamSpec {
    pub name: String,
    pub shards: i32,
}

impl StreamSpec {
    pub fn new(name: impl Into<String>, shards: i32) -> Self {
        StreamSpec { name: name.into(), shards }
    }
}

/// Creates the streams (a few at a time) and waits until all are ACTIVE.
pub async fn seed(client: &aws_sdk_kinesis::Client, streams: &[StreamSpec]) -> Result<()> {
    for chunk in streams.chunks(16) {
        let creates = chunk.iter().map(|s| async move {
            // kinesis-local allows a few streams in CREATING at once; a busy machine keeps them
            // there longer: wait for some to finish and ask again.
            // Polls the condition "the emulator takes the stream", for 30 s at most.
            let deadline = Instant::now() + Duration::from_secs(30);
            loop {
                let created = client.create_stream().stream_name(&s.name).shard_count(s.shards).send().await;
                match created {
                    Err(e)
                        if Instant::now() < deadline
                            && aws_sdk_kinesis::error::ProvideErrorMetadata::code(&e)
                                == Some("LimitExceededException") =>
                    {
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                    other => break other.map(|_| ()).with_context(|| format!("CreateStream {}", s.name)),
                }
            }
        });
        for r in futures::future::join_all(creates).await {
            r?;
        }
    }
    for s in streams {
        wait_active(client, &s.name).await?;
    }
    Ok(())
}

/// `rounds` JSON records (`{"round", "shard", "pad"}`, `record_bytes` long) for every shard,
/// each aimed at its shard by hash key.
/// - [`Arrival::Rounds`]: round after round, one record for every shard in each call (at most
///   50 a call), as producers spread records over a stream's shards over time;
/// - [`Arrival::Burst`]: shard after shard, each call as many records as 5 MB holds (a backfill,
///   a batch producer): a call's records share their arrival time, so a shard's records arrive
///   together, and the shards' newest records within a few calls of each other.
pub async fn put_records_of_shards(
    client: &aws_sdk_kinesis::Client,
    stream: &str,
    shards: usize,
    rounds: usize,
    record_bytes: usize,
    arrival: Arrival,
) -> Result<()> {
    use aws_sdk_kinesis::{primitives::Blob, types::PutRecordsRequestEntry};
    let pad = "s".repeat(record_bytes.saturating_sub(40));
    let records: Vec<(usize, usize)> = match arrival {
        Arrival::Rounds => (0..rounds).flat_map(|round| (0..shards).map(move |shard| (round, shard))).collect(),
        Arrival::Burst => (0..shards).flat_map(|shard| (0..rounds).map(move |round| (round, shard))).collect(),
    };
    let per_call = match arrival {
        Arrival::Rounds => 50,
        Arrival::Burst => (5_000_000 / record_bytes.max(1)).clamp(1, 500),
    };
    for chunk in records.chunks(per_call) {
        let entries = chunk
            .iter()
            .map(|&(round, shard)| {
                // The middle of the shard's hash key range: shards split the range evenly.
                let key = (u128::MAX / shards as u128) * shard as u128 + (1 << 64);
                let data = format!(r#"{{"round":{round},"shard":{shard},"pad":"{pad}"}}"#);
                PutRecordsRequestEntry::builder()
                    .partition_key("k")
                    .explicit_hash_key(key.to_string())
                    .data(Blob::new(data))
                    .build()
            })
            .collect::<Result<Vec<_>, _>>()?;
        let out = client.put_records().stream_name(stream).set_records(Some(entries)).send().await?;
        anyhow::ensure!(out.failed_record_count.unwrap_or(0) == 0, "PutRecords on {stream}: records failed");
    }
    Ok(())
}

/// How [`put_records_of_shards`] spreads records over time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arrival {
    Rounds,
    Burst,
}

/// Writes `count` JSON records (`{"id": …, "stream": …, "payload": {…}}`) with PutRecords,
/// spread over the stream's shards by partition key.
pub async fn put_json_records(client: &aws_sdk_kinesis::Client, stream: &str, count: usize) -> Result<()> {
    use aws_sdk_kinesis::{primitives::Blob, types::PutRecordsRequestEntry};
    for chunk in (0..count).collect::<Vec<_>>().chunks(500) {
        let entries = chunk
            .iter()
            .map(|i| {
                let data = serde_json::json!({"id": i, "stream": stream, "payload": {"amount": i * 3, "currency": "EUR", "tags": ["a", "b"]}});
                PutRecordsRequestEntry::builder().partition_key(format!("key-{i}")).data(Blob::new(data.to_string())).build()
            })
            .collect::<Result<Vec<_>, _>>()?;
        client
            .put_records()
            .stream_name(stream)
            .set_records(Some(entries))
            .send()
            .await
            .with_context(|| format!("PutRecords {stream}"))?;
    }
    Ok(())
}

/// Waits until the stream is ACTIVE.
pub async fn wait_active(client: &aws_sdk_kinesis::Client, name: &str) -> Result<()> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let d = client
            .describe_stream_summary()
            .stream_name(name)
            .send()
            .await
            .with_context(|| format!("DescribeStreamSummary {name}"))?;
        let status = d.stream_description_summary.map(|s| s.stream_status);
        if status == Some(aws_sdk_kinesis::types::StreamStatus::Active) {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!("stream {name} is not ACTIVE after 30 s ({status:?})");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The demo's streams: a few shard counts and names with `.`, `-` and `_`.
pub fn demo_streams() -> Vec<StreamSpec> {
    vec![
        StreamSpec::new("orders.v1", 2),
        StreamSpec::new("payments-eu", 1),
        StreamSpec::new("clickstream_raw", 3),
        StreamSpec::new("audit.log.v2", 1),
    ]
}

/// The built binaries: `target/<profile>/host-example` and the plugin library. The test
/// harness runs from `target/<profile>/deps`, so they are found from its own path.
pub struct Built {
    pub host: PathBuf,
    pub plugin: PathBuf,
    /// The Firehose plugin.
    pub firehose_plugin: PathBuf,
    /// The third connector (`plugin/kinesis-integrations`).
    pub integrations_plugin: PathBuf,
    /// A fixture plugin built against an older contract (`tests/old-abi-plugin`, 0.9).
    pub old_abi_plugin: PathBuf,
    /// A fixture plugin of contract 1.1 (`tests/v1-abi-plugin`).
    pub v1_abi_plugin: PathBuf,
    /// A fixture plugin of a later 2.x contract (`tests/newer-contract`).
    pub newer_contract_plugin: PathBuf,
    /// A fixture host of a later 2.x contract (`tests/newer-contract`).
    pub newer_host: PathBuf,
    /// A fixture plugin whose record stream panics (`tests/panicking-plugin`).
    pub panicking_plugin: PathBuf,
    /// The plugin kit's minimal plugin (`tests/sdk-minimal-plugin`, StaticTopics).
    pub sdk_minimal_plugin: PathBuf,
}

pub fn built() -> Result<Built> {
    let exe = std::env::current_exe()?;
    let profile_dir = exe
        .ancestors()
        .find(|p| p.join("host-example").is_file() || p.file_name().is_some_and(|n| n == "debug" || n == "release"))
        .context("cannot find the target directory")?
        .to_path_buf();
    let host = profile_dir.join("host-example");
    let library = |name: &str| {
        profile_dir.join(format!("{}{name}.{}", std::env::consts::DLL_PREFIX, std::env::consts::DLL_EXTENSION))
    };
    let (plugin, firehose_plugin, old_abi_plugin, v1_abi_plugin, panicking_plugin, sdk_minimal_plugin) = (
        library("kinesis_plugin"),
        library("firehose_plugin"),
        library("old_abi_plugin"),
        library("v1_abi_plugin"),
        library("panicking_plugin"),
        library("sdk_minimal_plugin"),
    );
    for p in [&host, &plugin, &firehose_plugin, &old_abi_plugin, &v1_abi_plugin, &panicking_plugin, &sdk_minimal_plugin]
    {
        if !p.is_file() {
            bail!("{} is not built: run `cargo build --workspace` first (scripts/test.sh does)", p.display());
        }
    }
    let integrations_plugin = library("kinesis_integrations_plugin");
    if !integrations_plugin.is_file() {
        bail!(
            "{} is not built: run `cargo build --workspace` first (scripts/test.sh does)",
            integrations_plugin.display()
        );
    }
    let (newer_contract_plugin, newer_host) = (library("newer_contract_plugin"), profile_dir.join("newer-host"));
    for p in [&newer_contract_plugin, &newer_host] {
        if !p.is_file() {
            bail!(
                "{} is not built: run `cargo build --manifest-path tests/newer-contract/Cargo.toml --target-dir target` \
                 first (scripts/test.sh does)",
                p.display()
            );
        }
    }
    Ok(Built {
        host,
        plugin,
        firehose_plugin,
        integrations_plugin,
        old_abi_plugin,
        v1_abi_plugin,
        newer_contract_plugin,
        newer_host,
        panicking_plugin,
        sdk_minimal_plugin,
    })
}

/// A temporary working folder with a plugin directory holding the built plugin beside files
/// that are not plugins (another shared library, a broken one, a text file), as users' plugin
/// directories do.
pub struct Sandbox {
    pub dir: tempfile::TempDir,
    pub plugin_dir: PathBuf,
    pub built: Built,
}

/// What a run of the host printed, and its exit code.
#[derive(Debug)]
pub struct HostRun {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// The summaries of an `ingest --output json` run: a JSON line per workflow.
pub fn summaries(run: &HostRun) -> Vec<serde_json::Value> {
    run.stdout
        .lines()
        .map(|line| {
            serde_json::from_str(line).unwrap_or_else(|e| panic!("not a JSON summary ({e}): {line}\n{}", run.stderr))
        })
        .collect()
}

/// Whether any text of a JSON summary (a warning, an error, a deletion) contains `text`.
pub fn says(summary: &serde_json::Value, text: &str) -> bool {
    match summary {
        serde_json::Value::String(s) => s.contains(text),
        serde_json::Value::Array(items) => items.iter().any(|v| says(v, text)),
        serde_json::Value::Object(map) => map.values().any(|v| says(v, text)),
        _ => false,
    }
}

/// How many entities of a type a summary says were written (created, updated, or in bulk).
pub fn written(entity_type: &serde_json::Value) -> u64 {
    ["created", "updated", "writtenInBulk"].iter().map(|k| entity_type[k].as_u64().unwrap_or(0)).sum()
}

/// How many entities of a type a summary says are in OpenMetadata as the run read them: written,
/// or not sent since the server held them as they are.
pub fn in_sink(entity_type: &serde_json::Value) -> u64 {
    written(entity_type) + entity_type["unchanged"].as_u64().unwrap_or(0)
}

/// What an `ingest --output json` run says of one entity type (`topic`): the first of its
/// workflows that yields it.
pub fn summary_of(run: &HostRun, entity_type: &str) -> serde_json::Value {
    summaries(run)
        .iter()
        .flat_map(|s| s["entityTypes"].as_array().cloned().unwrap_or_default())
        .find(|t| t["entityType"] == entity_type)
        .unwrap_or_else(|| panic!("no {entity_type} in the summary: {}\n{}", run.stdout, run.stderr))
}

impl Sandbox {
    pub fn new() -> Result<Self> {
        let built = built()?;
        let dir = tempfile::tempdir()?;
        let plugin_dir = dir.path().join("plugins");
        std::fs::create_dir(&plugin_dir)?;
        let file_name = built.plugin.file_name().context("plugin file name")?;
        std::fs::copy(&built.plugin, plugin_dir.join(file_name))?;
        if let Some(other) = other_shared_library() {
            std::fs::copy(other, plugin_dir.join(format!("libm-copy.{}", std::env::consts::DLL_EXTENSION)))?;
        }
        for fixture in [
            &built.firehose_plugin,
            &built.integrations_plugin,
            &built.old_abi_plugin,
            &built.v1_abi_plugin,
            &built.newer_contract_plugin,
            &built.panicking_plugin,
        ] {
            std::fs::copy(fixture, plugin_dir.join(fixture.file_name().context("file name")?))?;
        }
        std::fs::write(plugin_dir.join(format!("broken.{}", std::env::consts::DLL_EXTENSION)), b"not an ELF file")?;
        std::fs::write(plugin_dir.join("README.txt"), b"plugins go here")?;
        Ok(Sandbox { dir, plugin_dir, built })
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Writes a workflow file (JSON is YAML) and returns its path.
    pub fn write_workflow(&self, name: &str, workflow: &serde_json::Value) -> Result<PathBuf> {
        let path = self.path(name);
        std::fs::write(&path, serde_json::to_string_pretty(workflow)?)?;
        Ok(path)
    }

    /// Runs the host with `--plugin-dir` set to this sandbox's plugin directory.
    pub fn host(&self, args: &[&str]) -> Result<HostRun> {
        self.host_with_env(args, &[])
    }

    /// Starts the host without waiting for it; its stdout and stderr go to files (a pipe
    /// nobody reads yet would block it).
    pub fn spawn_host(&self, args: &[&str]) -> Result<RunningHost> {
        let (stdout, stderr) = (self.path("host.stdout"), self.path("host.stderr"));
        let child = Command::new(&self.built.host)
            .args(args)
            .arg("--plugin-dir")
            .arg(&self.plugin_dir)
            .current_dir(self.dir.path())
            .env_remove("RUST_LOG")
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(&stdout)?)
            .stderr(std::fs::File::create(&stderr)?)
            .spawn()
            .context("cannot run host-example")?;
        Ok(RunningHost { child, started: Instant::now(), stdout, stderr })
    }

    /// [`Sandbox::host`] with extra environment variables.
    pub fn host_with_env(&self, args: &[&str], env: &[(&str, &str)]) -> Result<HostRun> {
        let out = Command::new(&self.built.host)
            .envs(env.iter().copied())
            .args(args)
            .arg("--plugin-dir")
            .arg(&self.plugin_dir)
            .current_dir(self.dir.path())
            .env_remove("RUST_LOG")
            .output()
            .context("cannot run host-example")?;
        Ok(HostRun {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        })
    }
}

/// A host started by [`Sandbox::spawn_host`].
pub struct RunningHost {
    pub child: Child,
    pub started: Instant,
    stdout: PathBuf,
    stderr: PathBuf,
}

impl RunningHost {
    /// Sends a signal (`libc::SIGINT`, `libc::SIGTERM`).
    pub fn signal(&self, signal: i32) {
        // SAFETY: kill(2) on our own child's pid.
        unsafe {
            libc::kill(self.child.id() as i32, signal);
        }
    }

    /// Waits for the end, at most `limit` (then kills it and fails): the run's output.
    pub fn wait(mut self, limit: Duration) -> Result<HostRun> {
        let read = |p: &Path| std::fs::read_to_string(p).unwrap_or_default();
        let status = wait_for_exit(&mut self.child, limit)
            .with_context(|| format!("the host:\n{}\n{}", read(&self.stdout), read(&self.stderr)))?;
        Ok(HostRun { code: status.code().unwrap_or(-1), stdout: read(&self.stdout), stderr: read(&self.stderr) })
    }
}

/// Waits for `child` to end, at most `limit`; past it, kills it and fails.
pub fn wait_for_exit(child: &mut Child, limit: Duration) -> Result<std::process::ExitStatus> {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok(status);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            bail!("did not end within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Waits until `ready()` holds, polling, at most `limit`.
pub fn wait_until(limit: Duration, what: &str, ready: impl Fn() -> bool) -> Result<()> {
    let deadline = Instant::now() + limit;
    while !ready() {
        if Instant::now() > deadline {
            bail!("{what}: not within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    Ok(())
}

/// A shared library that is not a plugin (the C math library).
fn other_shared_library() -> Option<PathBuf> {
    [
        "/lib/x86_64-linux-gnu/libm.so.6",
        "/usr/lib/x86_64-linux-gnu/libm.so.6",
        "/lib/aarch64-linux-gnu/libm.so.6",
        "/lib64/libm.so.6",
        "/usr/lib/libm.so.6",
    ]
    .iter()
    .map(PathBuf::from)
    .find(|p| p.exists())
}

/// A workflow for the emulator at `endpoint`, with a file sink writing `out.jsonl`;
/// `source_config` is merged into `sourceConfig.config`.
pub fn workflow(endpoint: &str, service: &str, source_config: serde_json::Value) -> serde_json::Value {
    let mut config = serde_json::json!({"type": "MessagingMetadata", "generateSampleData": false});
    if let (Some(c), Some(extra)) = (config.as_object_mut(), source_config.as_object()) {
        c.extend(extra.clone());
    }
    serde_json::json!({
        "source": {
            "type": "kinesis",
            "serviceName": service,
            "serviceConnection": {"config": {
                "type": "Kinesis",
                "awsConfig": {"awsRegion": REGION, "awsAccessKeyId": "test", "awsSecretAccessKey": "test-secret-key", "endPointURL": endpoint}
            }},
            "sourceConfig": {"config": config}
        },
        "sink": {"type": "file", "config": {"filename": "out.jsonl"}},
        "workflowConfig": {"openMetadataServerConfig": {"hostPort": "http://localhost:8585/api", "authProvider": "no-auth"}}
    })
}

/// [`workflow`] with the `metadata-rest` sink to an OpenMetadata server at `host_port`.
pub fn rest_workflow(
    endpoint: &str,
    service: &str,
    source_config: serde_json::Value,
    host_port: &str,
    token: Option<&str>,
) -> serde_json::Value {
    to_rest(workflow(endpoint, service, source_config), host_port, token)
}

/// A workflow whose sink is `metadata-rest`, to an OpenMetadata server at `host_port`.
pub fn to_rest(mut wf: serde_json::Value, host_port: &str, token: Option<&str>) -> serde_json::Value {
    wf["sink"] = serde_json::json!({"type": "metadata-rest", "config": {}});
    wf["workflowConfig"]["openMetadataServerConfig"] = match token {
        Some(t) => {
            serde_json::json!({"hostPort": host_port, "authProvider": "openmetadata", "securityConfig": {"jwtToken": t}})
        }
        None => serde_json::json!({"hostPort": host_port, "authProvider": "openmetadata"}),
    };
    wf
}

/// A KinesisFirehose workflow for the emulator at `endpoint` (moto), with a file sink writing
/// `out.jsonl`; `source_config` is merged into `sourceConfig.config` (the API budget is off:
/// an emulator), `connection` into `serviceConnection.config`.
pub fn firehose_workflow(
    endpoint: &str,
    service: &str,
    connection: serde_json::Value,
    source_config: serde_json::Value,
) -> serde_json::Value {
    pipeline_workflow("KinesisFirehose", endpoint, service, connection, source_config)
}

/// [`firehose_workflow`] for any pipeline connector (`KinesisIntegrations`).
pub fn pipeline_workflow(
    connector_type: &str,
    endpoint: &str,
    service: &str,
    connection: serde_json::Value,
    source_config: serde_json::Value,
) -> serde_json::Value {
    let mut config = serde_json::json!({"type": "PipelineMetadata", "enforceApiBudget": false});
    if let (Some(c), Some(extra)) = (config.as_object_mut(), source_config.as_object()) {
        c.extend(extra.clone());
    }
    let mut conn = serde_json::json!({
        "type": connector_type,
        "awsConfig": {"awsRegion": REGION, "awsAccessKeyId": "test", "awsSecretAccessKey": "test-secret-key", "endPointURL": endpoint}
    });
    if let (Some(c), Some(extra)) = (conn.as_object_mut(), connection.as_object()) {
        c.extend(extra.clone());
    }
    serde_json::json!({
        "source": {
            "type": connector_type.to_lowercase(),
            "serviceName": service,
            "serviceConnection": {"config": conn},
            "sourceConfig": {"config": config}
        },
        "sink": {"type": "file", "config": {"filename": "out.jsonl"}},
        "workflowConfig": {"openMetadataServerConfig": {"hostPort": "http://localhost:8585/api", "authProvider": "no-auth"}}
    })
}

/// A Firehose client for the emulator at `endpoint`.
pub fn firehose_client(endpoint: &str) -> aws_sdk_firehose::Client {
    let config = aws_sdk_firehose::Config::builder()
        .behavior_version(aws_sdk_firehose::config::BehaviorVersion::latest())
        .region(aws_sdk_firehose::config::Region::new(REGION))
        .endpoint_url(endpoint)
        .credentials_provider(aws_sdk_firehose::config::Credentials::new(
            "test",
            "test-secret-key",
            None,
            None,
            "tests",
        ))
        .build();
    aws_sdk_firehose::Client::from_conf(config)
}

/// Where a test delivery stream reads from and delivers to.
pub enum Delivery<'a> {
    /// From the Kinesis stream with this ARN, to an S3 bucket.
    KinesisToS3 { stream_arn: &'a str, bucket: &'a str },
    /// From the Kinesis stream with this ARN, to a Redshift table (`database`, `schema.table`).
    KinesisToRedshift { stream_arn: &'a str, database: &'a str, table: &'a str },
    /// Producers write directly; to an S3 bucket.
    DirectPutToS3 { bucket: &'a str },
}

/// Creates a delivery stream.
pub async fn create_delivery_stream(
    client: &aws_sdk_firehose::Client,
    name: &str,
    delivery: Delivery<'_>,
) -> Result<()> {
    use aws_sdk_firehose::types::{
        CompressionFormat, CopyCommand, DeliveryStreamType, ExtendedS3DestinationConfiguration,
        KinesisStreamSourceConfiguration, RedshiftDestinationConfiguration, S3DestinationConfiguration,
    };
    let role = "arn:aws:iam::123456789012:role/firehose";
    // AWS always describes a compression format; moto only echoes what it was given.
    let s3 = |bucket: &str| {
        S3DestinationConfiguration::builder()
            .role_arn(role)
            .bucket_arn(format!("arn:aws:s3:::{bucket}"))
            .compression_format(CompressionFormat::Uncompressed)
            .build()
    };
    let source = |arn: &str| KinesisStreamSourceConfiguration::builder().kinesis_stream_arn(arn).role_arn(role).build();
    let request = client.create_delivery_stream().delivery_stream_name(name);
    let request = match delivery {
        Delivery::KinesisToS3 { stream_arn, bucket } => request
            .delivery_stream_type(DeliveryStreamType::KinesisStreamAsSource)
            .kinesis_stream_source_configuration(source(stream_arn)?)
            .extended_s3_destination_configuration(
                ExtendedS3DestinationConfiguration::builder()
                    .role_arn(role)
                    .bucket_arn(format!("arn:aws:s3:::{bucket}"))
                    .prefix("raw/")
                    .compression_format(CompressionFormat::Gzip)
                    .build()?,
            ),
        Delivery::KinesisToRedshift { stream_arn, database, table } => request
            .delivery_stream_type(DeliveryStreamType::KinesisStreamAsSource)
            .kinesis_stream_source_configuration(source(stream_arn)?)
            .redshift_destination_configuration(
                RedshiftDestinationConfiguration::builder()
                    .role_arn(role)
                    .cluster_jdbcurl(format!(
                        "jdbc:redshift://cluster.abc.us-east-1.redshift.amazonaws.com:5439/{database}"
                    ))
                    .copy_command(CopyCommand::builder().data_table_name(table).build()?)
                    .username("loader")
                    .password("loader-password")
                    .s3_configuration(s3("staging")?)
                    .build()?,
            ),
        Delivery::DirectPutToS3 { bucket } => {
            request.delivery_stream_type(DeliveryStreamType::DirectPut).extended_s3_destination_configuration(
                ExtendedS3DestinationConfiguration::builder()
                    .role_arn(role)
                    .bucket_arn(format!("arn:aws:s3:::{bucket}"))
                    .compression_format(CompressionFormat::Uncompressed)
                    .build()?,
            )
        }
    };
    request.send().await.with_context(|| format!("CreateDeliveryStream {name}"))?;
    Ok(())
}

/// The lines of a JSON-lines file.
pub fn read_jsonl(path: &Path) -> Result<Vec<serde_json::Value>> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    text.lines().map(|l| serde_json::from_str(l).with_context(|| format!("not JSON: {l}"))).collect()
}

/// A validator for one of OpenMetadata's contract schemas (`tests/contract/NAME`).
pub fn contract(name: &str) -> Result<jsonschema::Validator> {
    let path = workspace().join("tests/contract").join(name);
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).with_context(|| format!("{}", path.display()))?)?;
    jsonschema::validator_for(&schema).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
}
