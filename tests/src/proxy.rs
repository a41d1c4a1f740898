//! A small HTTP/1.1 proxy in front of an emulator, for faults the emulator cannot make itself:
//! an AWS error for chosen calls, added latency. Each call is shown to a rule, which forwards
//! it (after an optional delay) or answers in the emulator's stead.
//!
//! It can also page ListStreams the way AWS does, with `NextToken` (both emulators page with
//! `HasMoreStreams` and `ExclusiveStartStreamName` only): see [`start_paging_by_token`].

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// One call as the rule sees it.
#[derive(Debug, Clone)]
pub struct Call {
    /// The AWS operation, from `X-Amz-Target` (`Kinesis_20131202.ListStreams` → `ListStreams`).
    pub operation: String,
    pub body: String,
    /// 1 for the first call of this operation, 2 for the second, …
    pub nth_of_operation: u64,
    /// The access key id that signed the call (from `Authorization`).
    pub access_key: String,
    /// Whether the call carried a session token (`X-Amz-Security-Token`).
    pub has_session_token: bool,
    /// For GetShardIterator and GetRecords: the shard read (`stream/shardId`), as AWS limits
    /// those calls per shard. GetRecords names it by iterator, which the proxy traces back.
    pub shard: Option<String>,
}

/// What to do with a call.
pub enum Action {
    Forward {
        delay: Duration,
    },
    /// Answer with an AWS JSON error: HTTP status, `__type`, message.
    Fail {
        status: u16,
        code: String,
        message: String,
    },
    /// Answer 200 with this JSON body, as the service would (a malformed page, say).
    Answer(String),
    /// [`Action::Answer`], after `delay` (a service across a network).
    AnswerAfter {
        delay: Duration,
        body: String,
    },
    /// Forward the call with this request body instead of the client's (say, a smaller page
    /// `Limit`, as a service may answer fewer names than asked; the emulator does not check
    /// signatures).
    ForwardRewritten(String),
}

pub type Rule = Arc<dyn Fn(&Call) -> Action + Send + Sync>;

/// A running proxy; it stops with the runtime that runs it.
/// Shard iterators handed out, and the shard each reads.
type Iterators = Arc<std::sync::Mutex<std::collections::HashMap<String, String>>>;

pub struct Proxy {
    pub addr: SocketAddr,
    /// ListStreams calls that carried a NextToken / an ExclusiveStartStreamName.
    pub tokens_followed: Arc<AtomicU64>,
    pub names_followed: Arc<AtomicU64>,
    counts: Arc<std::sync::Mutex<std::collections::HashMap<String, u64>>>,
    log: Arc<std::sync::Mutex<Vec<Call>>>,
    pub failed: Arc<AtomicU64>,
    /// Record bytes (decoded `Data`) the GetRecords answers carried.
    pub record_bytes: Arc<AtomicU64>,
}

impl Proxy {
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Every call so far.
    pub fn log(&self) -> Vec<Call> {
        self.log.lock().unwrap().clone()
    }

    /// How many calls of `operation` went through the proxy.
    pub fn calls(&self, operation: &str) -> u64 {
        self.counts.lock().unwrap().get(operation).copied().unwrap_or(0)
    }
}

/// Starts a proxy to `upstream` (host:port) on a free loopback port, in the current tokio runtime.
pub async fn start(upstream: SocketAddr, rule: Rule) -> Result<Proxy> {
    start_with(upstream, rule, false).await
}

/// [`start`], with ListStreams paged as AWS pages it: every page with more after it carries an
/// opaque `NextToken` (beside `HasMoreStreams`), and a request with a `NextToken` is answered
/// from where that token points. A client that followed only `HasMoreStreams` would still get
/// every page, so the counts ([`Proxy::tokens_followed`]) tell which way it followed.
pub async fn start_paging_by_token(upstream: SocketAddr, rule: Rule) -> Result<Proxy> {
    start_with(upstream, rule, true).await
}

/// [`start`] or [`start_paging_by_token`], as `by_token` says.
pub async fn start_with(upstream: SocketAddr, rule: Rule, by_token: bool) -> Result<Proxy> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let counts = Arc::new(std::sync::Mutex::new(std::collections::HashMap::new()));
    let failed = Arc::new(AtomicU64::new(0));
    let record_bytes = Arc::new(AtomicU64::new(0));
    let log = Arc::new(std::sync::Mutex::new(Vec::new()));
    let iterators: Iterators = Arc::default();
    let paging = by_token.then(|| Paging { tokens: Arc::default(), names: Arc::default() });
    let proxy = Proxy {
        addr,
        counts: counts.clone(),
        log: log.clone(),
        failed: failed.clone(),
        record_bytes: record_bytes.clone(),
        tokens_followed: paging.as_ref().map_or_else(Arc::default, |p| p.tokens.clone()),
        names_followed: paging.as_ref().map_or_else(Arc::default, |p| p.names.clone()),
    };
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let _ = client.set_nodelay(true);
            let (rule, counts, log, failed, iterators, paging) =
                (rule.clone(), counts.clone(), log.clone(), failed.clone(), iterators.clone(), paging.clone());
            let record_bytes = record_bytes.clone();
            tokio::spawn(async move {
                let _ = serve(client, upstream, rule, counts, log, failed, iterators, paging, record_bytes).await;
            });
        }
    });
    Ok(proxy)
}

/// ListStreams paged by NextToken: how often each way of asking for the next page was used.
#[derive(Clone)]
struct Paging {
    tokens: Arc<AtomicU64>,
    names: Arc<AtomicU64>,
}

const TOKEN_PREFIX: &str = "proxy-token-";

impl Paging {
    /// The request as the emulator understands it: a NextToken becomes the stream name it
    /// stands for.
    fn request(&self, body: &[u8]) -> Vec<u8> {
        let mut json: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
        if let Some(token) = json.get("NextToken").and_then(|t| t.as_str()).map(str::to_string) {
            self.tokens.fetch_add(1, Ordering::Relaxed);
            let name = token.strip_prefix(TOKEN_PREFIX).map(unhex).unwrap_or_default();
            json.as_object_mut().map(|o| o.remove("NextToken"));
            json["ExclusiveStartStreamName"] = name.into();
        } else if json.get("ExclusiveStartStreamName").is_some() {
            self.names.fetch_add(1, Ordering::Relaxed);
        }
        json.to_string().into_bytes()
    }

    /// The answer as AWS gives it: a NextToken when there is more.
    fn response(&self, body: &[u8]) -> Vec<u8> {
        let mut json: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
        let last = json["StreamNames"].as_array().and_then(|n| n.last()).and_then(|n| n.as_str()).map(hex);
        if let (Some(true), Some(last)) = (json["HasMoreStreams"].as_bool(), last) {
            json["NextToken"] = format!("{TOKEN_PREFIX}{last}").into();
        }
        json.to_string().into_bytes()
    }
}

fn hex(s: &str) -> String {
    s.bytes().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> String {
    let bytes: Vec<u8> = (0..s.len() / 2).filter_map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).ok()).collect();
    String::from_utf8_lossy(&bytes).into_owned()
}

/// `head` with its Content-Length set to `length`.
fn with_length(head: &str, length: usize) -> String {
    let mut out = String::new();
    for line in head.trim_end().split("\r\n") {
        if !line.to_ascii_lowercase().starts_with("content-length:") {
            out.push_str(line);
            out.push_str("\r\n");
        }
    }
    out.push_str(&format!("Content-Length: {length}\r\n\r\n"));
    out
}

#[allow(clippy::too_many_arguments)]
async fn serve(
    mut client: TcpStream,
    upstream: SocketAddr,
    rule: Rule,
    counts: Arc<std::sync::Mutex<std::collections::HashMap<String, u64>>>,
    log: Arc<std::sync::Mutex<Vec<Call>>>,
    failed: Arc<AtomicU64>,
    iterators: Iterators,
    paging: Option<Paging>,
    record_bytes: Arc<AtomicU64>,
) -> Result<()> {
    let mut buffer = Vec::new();
    let mut upstream_conn: Option<TcpStream> = None;
    loop {
        let Some((head, body)) = read_request(&mut client, &mut buffer).await? else {
            return Ok(());
        };
        let head_text = String::from_utf8_lossy(&head).into_owned();
        let body_text = String::from_utf8_lossy(&body).into_owned();
        // JSON protocols name the operation in X-Amz-Target; query protocols (STS) in `Action=`.
        let operation = match header(&head_text, "x-amz-target") {
            Some(t) => t.rsplit('.').next().unwrap_or(t).to_string(),
            None => body_text.split('&').find_map(|kv| kv.strip_prefix("Action=")).unwrap_or_default().to_string(),
        };
        let access_key = header(&head_text, "authorization")
            .and_then(|a| a.split("Credential=").nth(1))
            .and_then(|c| c.split('/').next())
            .unwrap_or_default()
            .to_string();
        let has_session_token = header(&head_text, "x-amz-security-token").is_some();
        let close = header(&head_text, "connection").is_some_and(|v| v.eq_ignore_ascii_case("close"));
        let nth = {
            let mut counts = counts.lock().unwrap();
            let n = counts.entry(operation.clone()).or_insert(0);
            *n += 1;
            *n
        };
        let query_protocol = header(&head_text, "x-amz-target").is_none();
        let request_json: serde_json::Value = serde_json::from_str(&body_text).unwrap_or_default();
        let shard = match operation.as_str() {
            "GetShardIterator" => Some(format!(
                "{}/{}",
                request_json["StreamName"].as_str().or(request_json["StreamARN"].as_str()).unwrap_or_default(),
                request_json["ShardId"].as_str().unwrap_or_default()
            )),
            "GetRecords" => request_json["ShardIterator"].as_str().and_then(|i| iterators.lock().unwrap().remove(i)),
            _ => None,
        };
        let call = Call { operation, body: body_text, nth_of_operation: nth, access_key, has_session_token, shard };
        log.lock().unwrap().push(call.clone());
        let action = rule(&call);
        match &action {
            Action::Fail { status, code, message } => {
                failed.fetch_add(1, Ordering::Relaxed);
                // As the service would: JSON for JSON protocols (Kinesis), XML for query ones (STS).
                let (content_type, body) = if query_protocol {
                    ("text/xml", format!("<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error><RequestId>proxy</RequestId></ErrorResponse>"))
                } else {
                    ("application/x-amz-json-1.1", format!(r#"{{"__type":"{code}","message":"{message}"}}"#))
                };
                let response = format!(
                    "HTTP/1.1 {status} Error\r\nContent-Type: {content_type}\r\nx-amzn-RequestId: proxy\r\nContent-Length: {}\r\n\r\n{body}",
                    body.len()
                );
                client.write_all(response.as_bytes()).await?;
            }
            Action::Answer(body) | Action::AnswerAfter { body, .. } => {
                if let Action::AnswerAfter { delay, .. } = &action {
                    tokio::time::sleep(*delay).await;
                }
                let response = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/x-amz-json-1.1\r\nx-amzn-RequestId: proxy\r\nContent-Length: {}\r\n\r\n{body}",
                    body.len()
                );
                client.write_all(response.as_bytes()).await?;
            }
            Action::ForwardRewritten(new_body) => {
                let head = with_length(&head_text, new_body.len());
                let response = forward(&mut upstream_conn, upstream, &head, new_body.as_bytes()).await?;
                client.write_all(&response).await?;
            }
            Action::Forward { delay } => {
                if !delay.is_zero() {
                    tokio::time::sleep(*delay).await;
                }
                let paged = paging.as_ref().filter(|_| call.operation == "ListStreams");
                let response = match paged {
                    Some(paging) => {
                        let body = paging.request(&body);
                        let response =
                            forward(&mut upstream_conn, upstream, &with_length(&head_text, body.len()), &body).await?;
                        let start = find(&response, b"\r\n\r\n").map_or(response.len(), |i| i + 4);
                        let answer = paging.response(&response[start..]);
                        let head = with_length(&String::from_utf8_lossy(&response[..start]), answer.len());
                        let mut out = head.into_bytes();
                        out.extend_from_slice(&answer);
                        out
                    }
                    None => forward(&mut upstream_conn, upstream, &head_text, &body).await?,
                };
                if let Some(shard) = &call.shard {
                    // Remember which shard the iterators in the answer read.
                    let body_start = find(&response, b"\r\n\r\n").map_or(response.len(), |i| i + 4);
                    let answer: serde_json::Value = serde_json::from_slice(&response[body_start..]).unwrap_or_default();
                    for key in ["ShardIterator", "NextShardIterator"] {
                        if let Some(it) = answer[key].as_str() {
                            iterators.lock().unwrap().insert(it.to_string(), shard.clone());
                        }
                    }
                    let records = answer["Records"].as_array().map(Vec::as_slice).unwrap_or_default();
                    let data = records.iter().filter_map(|r| r["Data"].as_str()).map(base64_decoded_len).sum::<u64>();
                    record_bytes.fetch_add(data, Ordering::Relaxed);
                }
                client.write_all(&response).await?;
            }
        }
        if close {
            return Ok(()); // the client reads to the end (a proxy in front of this one does)
        }
    }
}

/// The length of what a base64 text decodes to.
fn base64_decoded_len(text: &str) -> u64 {
    let padding = text.bytes().rev().take_while(|b| *b == b'=').count();
    (text.len() / 4 * 3).saturating_sub(padding) as u64
}

/// Reads one request (head and Content-Length body); `None` when the client closed.
async fn read_request(client: &mut TcpStream, buffer: &mut Vec<u8>) -> Result<Option<(Vec<u8>, Vec<u8>)>> {
    loop {
        if let Some(end) = find(buffer, b"\r\n\r\n") {
            let head = buffer[..end + 4].to_vec();
            let text = String::from_utf8_lossy(&head);
            let length: usize = header(&text, "content-length").and_then(|v| v.trim().parse().ok()).unwrap_or(0);
            while buffer.len() < end + 4 + length {
                if read_more(client, buffer).await? == 0 {
                    return Ok(None);
                }
            }
            let body = buffer[end + 4..end + 4 + length].to_vec();
            buffer.drain(..end + 4 + length);
            return Ok(Some((head, body)));
        }
        if read_more(client, buffer).await? == 0 {
            return Ok(None);
        }
    }
}

async fn read_more(stream: &mut TcpStream, buffer: &mut Vec<u8>) -> Result<usize> {
    let mut chunk = [0u8; 16 * 1024];
    let n = stream.read(&mut chunk).await?;
    buffer.extend_from_slice(&chunk[..n]);
    Ok(n)
}

/// Sends the request upstream on this client connection's own upstream connection (kept alive
/// between calls, as a client of AWS keeps its connections) and returns the whole response.
async fn forward(conn: &mut Option<TcpStream>, upstream: SocketAddr, head: &str, body: &[u8]) -> Result<Vec<u8>> {
    for attempt in 0..2 {
        if conn.is_none() {
            let stream = TcpStream::connect(upstream).await.context("upstream")?;
            // Small request/response exchanges on a kept-alive connection: no Nagle delays.
            stream.set_nodelay(true)?;
            *conn = Some(stream);
        }
        match exchange(conn.as_mut().expect("connected"), head, body).await {
            Ok((response, keep_alive)) => {
                if !keep_alive {
                    *conn = None;
                }
                return Ok(response);
            }
            // A kept-alive connection the server had closed meanwhile: once more on a new one.
            Err(_) if attempt == 0 => *conn = None,
            Err(e) => return Err(e),
        }
    }
    unreachable!("the loop returns")
}

/// One request and its response on `conn`; the response re-framed with a Content-Length, so
/// that the client's keep-alive connection stays usable. Also: whether `conn` stays open.
async fn exchange(conn: &mut TcpStream, head: &str, body: &[u8]) -> Result<(Vec<u8>, bool)> {
    let mut request = String::new();
    for line in head.trim_end().split("\r\n") {
        if !line.to_ascii_lowercase().starts_with("connection:") {
            request.push_str(line);
            request.push_str("\r\n");
        }
    }
    request.push_str("\r\n");
    let mut bytes = request.into_bytes();
    bytes.extend_from_slice(body);
    conn.write_all(&bytes).await?;
    let mut raw = Vec::new();
    let end = loop {
        if let Some(end) = find(&raw, b"\r\n\r\n") {
            break end;
        }
        if read_more(conn, &mut raw).await? == 0 {
            bail!("upstream closed the connection before a response");
        }
    };
    let head = String::from_utf8_lossy(&raw[..end]).into_owned();
    let mut keep_alive = !header(&head, "connection").is_some_and(|v| v.eq_ignore_ascii_case("close"));
    let body = if header(&head, "transfer-encoding").is_some_and(|v| v.eq_ignore_ascii_case("chunked")) {
        loop {
            if let Ok(body) = dechunk(&raw[end + 4..]) {
                break body;
            }
            if read_more(conn, &mut raw).await? == 0 {
                bail!("upstream closed the connection inside a chunked body");
            }
        }
    } else if let Some(length) = header(&head, "content-length").and_then(|v| v.parse::<usize>().ok()) {
        while raw.len() < end + 4 + length {
            if read_more(conn, &mut raw).await? == 0 {
                bail!("upstream closed the connection inside a body");
            }
        }
        raw[end + 4..end + 4 + length].to_vec()
    } else {
        while read_more(conn, &mut raw).await? > 0 {}
        keep_alive = false;
        raw[end + 4..].to_vec()
    };
    let mut out = String::new();
    for line in head.split("\r\n") {
        let lower = line.to_ascii_lowercase();
        if !(lower.starts_with("connection:")
            || lower.starts_with("transfer-encoding:")
            || lower.starts_with("content-length:"))
        {
            out.push_str(line);
            out.push_str("\r\n");
        }
    }
    out.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
    let mut response = out.into_bytes();
    response.extend_from_slice(&body);
    Ok((response, keep_alive))
}

fn dechunk(mut data: &[u8]) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let line_end = find(data, b"\r\n").context("bad chunk")?;
        let size_text = String::from_utf8_lossy(&data[..line_end]);
        let size =
            usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16).context("bad chunk size")?;
        data = &data[line_end + 2..];
        if size == 0 {
            // The last chunk: complete once the blank line after it (no trailers) is in.
            return if data.starts_with(b"\r\n") { Ok(out) } else { bail!("the chunked body is not complete yet") };
        }
        out.extend_from_slice(data.get(..size).context("short chunk")?);
        data = data.get(size + 2..).unwrap_or_default();
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.split("\r\n").find_map(|line| {
        let (k, v) = line.split_once(':')?;
        k.trim().eq_ignore_ascii_case(name).then(|| v.trim())
    })
}
