//! An OpenMetadata API stand-in for the tests: the calls the sink makes, with real state
//! (entities by id and FQN, soft-deletion, deleteStale, paging with `after` cursors, an older
//! server's 404 for deleteStale), bearer-token checks on every call but the version (as a real
//! server: `GET /v1/system/version` needs no token), every request body validated against
//! OpenMetadata's JSON Schemas (`tests/contract/`), refused with 400 and the reason as the
//! server does, and faults on demand: error statuses with Retry-After, slow answers, connections
//! closed without an answer.

use std::collections::{BTreeMap, VecDeque};
use std::io::{Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use anyhow::Result;
use serde_json::{json, Map, Value};
use tiny_http::{Header, Method, Response, Server};

/// A topic as the stand-in holds it.
#[derive(Debug, Clone)]
pub struct Topic {
    pub id: String,
    pub fqn: String,
    pub service: String,
    /// The fields of the last create-or-update, merged.
    pub fields: Map<String, Value>,
    /// Set by people (see [`StandIn::curate`]); a create-or-update does not overwrite it.
    pub description: Option<String>,
    pub deleted: bool,
    pub sample: Option<Value>,
}

/// A fault the stand-in answers a `PUT /v1/topics` with, instead of handling it.
#[derive(Debug, Clone)]
pub enum Fault {
    /// This status, with `Retry-After: seconds` when given.
    Status(u16, Option<u64>),
    /// Handled, after this long (past the client's timeout, the client has given up).
    Slow(Duration),
}

#[derive(Debug, Default)]
pub struct State {
    pub version: String,
    /// An older server: `DELETE /v1/topics/deleteStale` answers 404.
    pub legacy: bool,
    /// The next this-many `PUT /v1/topics` answer 503.
    pub fail_topic_puts: u32,
    /// The next `PUT /v1/topics` calls meet these faults, one each, in order.
    pub topic_put_faults: VecDeque<Fault>,
    /// `DELETE /v1/topics/{id}` answers 500 once this many have succeeded.
    pub fail_deletes_after: Option<usize>,
    /// Every PUT: path and body.
    pub puts: Vec<(String, Value)>,
    /// When each `PUT /v1/topics` came, and whether it was answered by a fault.
    pub topic_put_times: Vec<(std::time::Instant, bool)>,
    /// `PUT /v1/topics` of these topic names answer 400.
    pub reject_topics: Vec<String>,
    pub services: BTreeMap<String, Value>,
    pub topics: Vec<Topic>,
    /// Every call: method and path (with query).
    pub calls: Vec<(String, String)>,
    next_id: u64,
}

impl State {
    pub fn topic(&self, fqn: &str) -> Option<&Topic> {
        self.topics.iter().find(|t| t.fqn == fqn)
    }

    pub fn live_topics(&self) -> Vec<&Topic> {
        self.topics.iter().filter(|t| !t.deleted).collect()
    }

    pub fn calls_to(&self, method: &str, path_prefix: &str) -> usize {
        self.calls.iter().filter(|(m, p)| m == method && p.starts_with(path_prefix)).count()
    }
}

pub struct StandIn {
    pub port: u16,
    pub state: Arc<Mutex<State>>,
    server: Arc<Server>,
    threads: Vec<JoinHandle<()>>,
}

struct Contracts {
    service: jsonschema::Validator,
    topic: jsonschema::Validator,
    sample: jsonschema::Validator,
}

impl StandIn {
    /// Starts on a free loopback port; `token` is the JWT it accepts (`None`: no auth).
    pub fn start(token: Option<&str>) -> Result<Self> {
        let server = Arc::new(Server::http("127.0.0.1:0").map_err(|e| anyhow::anyhow!("{e}"))?);
        let port = server.server_addr().to_ip().map(|a| a.port()).unwrap_or(0);
        let state = Arc::new(Mutex::new(State { version: "2.0.7".into(), ..Default::default() }));
        let contracts = Arc::new(Contracts {
            service: crate::contract("createMessagingService.json")?,
            topic: crate::contract("createTopic.json")?,
            sample: crate::contract("topicSampleData.json")?,
        });
        let token = token.map(|t| format!("Bearer {t}"));
        let threads = (0..4)
            .map(|_| {
                let (server, state, contracts, token) =
                    (server.clone(), state.clone(), contracts.clone(), token.clone());
                std::thread::spawn(move || {
                    for mut request in server.incoming_requests() {
                        let mut body = String::new();
                        let _ = request.as_reader().read_to_string(&mut body);
                        let auth = request
                            .headers()
                            .iter()
                            .find(|h| h.field.equiv("Authorization"))
                            .map(|h| h.value.as_str().to_string());
                        let method = request.method().clone();
                        let url = request.url().to_string();
                        let open = method == Method::Get && url == "/api/v1/system/version";
                        let fault = if method == Method::Put && url == "/api/v1/topics" {
                            let mut state = state.lock().unwrap();
                            let fault = state.topic_put_faults.pop_front();
                            state.topic_put_times.push((std::time::Instant::now(), fault.is_some()));
                            if fault.is_some() {
                                state.calls.push((method.to_string(), url.clone()));
                            }
                            fault
                        } else {
                            None
                        };
                        let (status, answer, retry_after) = match fault {
                            Some(Fault::Status(status, retry_after)) => {
                                (status, json!({"code": status, "message": "injected by the test"}), retry_after)
                            }
                            Some(Fault::Slow(delay)) => {
                                std::thread::sleep(delay);
                                let (s, a) = handle(&mut state.lock().unwrap(), &contracts, &method, &url, &body);
                                (s, a, None)
                            }
                            None if !open && token.is_some() && auth != token => {
                                state.lock().unwrap().calls.push((method.to_string(), url.clone()));
                                (401, json!({"code": 401, "message": "Not Authorized! Invalid Token"}), None)
                            }
                            None => {
                                let (s, a) = handle(&mut state.lock().unwrap(), &contracts, &method, &url, &body);
                                (s, a, None)
                            }
                        };
                        let header = Header::from_bytes("Content-Type", "application/json").unwrap();
                        let mut response =
                            Response::from_string(answer.to_string()).with_status_code(status).with_header(header);
                        if let Some(seconds) = retry_after {
                            response =
                                response.with_header(Header::from_bytes("Retry-After", seconds.to_string()).unwrap());
                        }
                        let _ = request.respond(response);
                    }
                })
            })
            .collect();
        Ok(StandIn { port, state, server, threads })
    }

    /// The `hostPort` of a workflow pointing here.
    pub fn host_port(&self) -> String {
        format!("http://127.0.0.1:{}/api", self.port)
    }

    /// A person edits a topic's description in OpenMetadata.
    pub fn curate(&self, fqn: &str, description: &str) {
        let mut state = self.state.lock().unwrap();
        let topic = state.topics.iter_mut().find(|t| t.fqn == fqn).expect("a topic to curate");
        topic.description = Some(description.to_string());
    }
}

impl Drop for StandIn {
    fn drop(&mut self) {
        self.server.unblock();
        for _ in 0..self.threads.len() {
            self.server.unblock();
        }
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

/// A TCP front for the stand-in that resets (RST, no answer) the connections of the first
/// `PUT /api/v1/topics` requests, as a proxy or a restarting server does; everything else is
/// passed through.
pub struct ResetFront {
    pub port: u16,
    /// Resets still to do.
    pub resets_left: Arc<AtomicUsize>,
    /// Resets done.
    pub resets_done: Arc<AtomicUsize>,
}

impl ResetFront {
    pub fn start(upstream_port: u16, resets: usize) -> Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let port = listener.local_addr()?.port();
        let resets_left = Arc::new(AtomicUsize::new(resets));
        let resets_done = Arc::new(AtomicUsize::new(0));
        let (left, done) = (resets_left.clone(), resets_done.clone());
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let (left, done) = (left.clone(), done.clone());
                std::thread::spawn(move || {
                    let _ = pass_or_reset(client, upstream_port, &left, &done);
                });
            }
        });
        Ok(ResetFront { port, resets_left, resets_done })
    }

    pub fn host_port(&self) -> String {
        format!("http://127.0.0.1:{}/api", self.port)
    }
}

fn pass_or_reset(mut client: TcpStream, upstream_port: u16, left: &AtomicUsize, done: &AtomicUsize) -> Result<()> {
    let mut upstream = TcpStream::connect(("127.0.0.1", upstream_port))?;
    let (mut from_upstream, mut to_client) = (upstream.try_clone()?, client.try_clone()?);
    std::thread::spawn(move || {
        let _ = std::io::copy(&mut from_upstream, &mut to_client);
        let _ = to_client.shutdown(std::net::Shutdown::Both);
    });
    let mut chunk = [0u8; 64 * 1024];
    loop {
        let n = client.read(&mut chunk)?;
        if n == 0 {
            let _ = upstream.shutdown(std::net::Shutdown::Both);
            return Ok(());
        }
        // A request to write a topic, on a new or a kept-alive connection.
        let topic_put = chunk[..n].windows(19).any(|w| w == b"PUT /api/v1/topics ");
        if topic_put && left.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1)).is_ok() {
            done.fetch_add(1, Ordering::SeqCst);
            reset(&client);
            let _ = upstream.shutdown(std::net::Shutdown::Both);
            return Ok(());
        }
        upstream.write_all(&chunk[..n])?;
    }
}

/// Closes with an RST (SO_LINGER 0), as a crashed peer does.
fn reset(stream: &TcpStream) {
    use std::os::fd::AsRawFd;
    let linger = libc::linger { l_onoff: 1, l_linger: 0 };
    // SAFETY: a valid socket and a correctly sized option value.
    unsafe {
        libc::setsockopt(
            stream.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_LINGER,
            (&linger as *const libc::linger).cast(),
            std::mem::size_of::<libc::linger>() as libc::socklen_t,
        );
    }
}

fn quote(part: &str) -> String {
    if part.contains('.') {
        format!("\"{part}\"")
    } else {
        part.to_string()
    }
}

fn bad_request(message: String) -> (u16, Value) {
    (400, json!({"code": 400, "message": message}))
}

fn validate(validator: &jsonschema::Validator, body: &Value) -> Option<(u16, Value)> {
    let errors: Vec<String> = validator.iter_errors(body).map(|e| format!("{}: {e}", e.instance_path())).collect();
    (!errors.is_empty()).then(|| bad_request(format!("[{}]", errors.join(", "))))
}

fn topic_json(t: &Topic) -> Value {
    let mut v = Value::Object(t.fields.clone());
    v["id"] = t.id.clone().into();
    v["fullyQualifiedName"] = t.fqn.clone().into();
    v["service"] = json!({"type": "messagingService", "fullyQualifiedName": t.service});
    v["deleted"] = t.deleted.into();
    if let Some(d) = &t.description {
        v["description"] = d.clone().into();
    }
    v
}

fn handle(state: &mut State, contracts: &Contracts, method: &Method, url: &str, body: &str) -> (u16, Value) {
    state.calls.push((method.to_string(), url.to_string()));
    if *method == Method::Put {
        let path = url.strip_prefix("/api").unwrap_or(url).to_string();
        state.puts.push((path, serde_json::from_str(body).unwrap_or(Value::Null)));
    }
    let Some(rest) = url.strip_prefix("/api") else { return (404, json!({"message": "not found"})) };
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    let params: BTreeMap<String, String> =
        query.split('&').filter_map(|kv| kv.split_once('=')).map(|(k, v)| (k.to_string(), decode(v))).collect();
    let json_body =
        || serde_json::from_str::<Value>(body).map_err(|e| bad_request(format!("the body is not JSON: {e}")));
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    match (method, segments.as_slice()) {
        (Method::Get, ["v1", "system", "version"]) => (200, json!({"version": state.version, "revision": "stand-in"})),
        (Method::Get, ["v1", "services", "messagingServices", "name", name]) => match state.services.get(&decode(name))
        {
            Some(service) => (200, service.clone()),
            None => (404, json!({"code": 404, "message": format!("messagingService instance for {name} not found")})),
        },
        (Method::Put, ["v1", "services", "messagingServices"]) => {
            let body = match json_body() {
                Ok(b) => b,
                Err(e) => return e,
            };
            if let Some(e) = validate(&contracts.service, &body) {
                return e;
            }
            let name = body["name"].as_str().unwrap_or_default().to_string();
            let created = !state.services.contains_key(&name);
            let mut service = body.clone();
            service["id"] = format!("svc-{name}").into();
            service["fullyQualifiedName"] = quote(&name).into();
            state.services.insert(name, service.clone());
            (if created { 201 } else { 200 }, service)
        }
        (Method::Put, ["v1", "topics"]) => {
            let body = match json_body() {
                Ok(b) => b,
                Err(e) => return e,
            };
            if let Some(e) = validate(&contracts.topic, &body) {
                return e;
            }
            if state.reject_topics.iter().any(|n| body["name"] == n.as_str()) {
                return bad_request(format!("topic {} rejected by the test", body["name"]));
            }
            if state.fail_topic_puts > 0 {
                state.fail_topic_puts -= 1;
                return (503, json!({"code": 503, "message": "Service Unavailable"}));
            }
            let service = body["service"].as_str().unwrap_or_default().to_string();
            if !state.services.values().any(|s| s["fullyQualifiedName"] == service.as_str()) {
                return (
                    404,
                    json!({"code": 404, "message": format!("messagingService instance for {service} not found")}),
                );
            }
            let fqn = format!("{service}.{}", quote(body["name"].as_str().unwrap_or_default()));
            let fields = body.as_object().cloned().unwrap_or_default();
            let description = fields.get("description").and_then(Value::as_str).map(str::to_string);
            if let Some(t) = state.topics.iter_mut().find(|t| t.fqn == fqn) {
                for (k, v) in fields {
                    if k != "description" {
                        t.fields.insert(k, v);
                    }
                }
                // As the server does for ingestion bots: a description people wrote is kept.
                if t.description.is_none() {
                    t.description = description;
                }
                t.deleted = false;
                return (200, topic_json(t));
            }
            state.next_id += 1;
            let topic = Topic {
                id: format!("00000000-0000-0000-0000-{:012}", state.next_id),
                fqn,
                service,
                fields,
                description,
                deleted: false,
                sample: None,
            };
            let answer = topic_json(&topic);
            state.topics.push(topic);
            (201, answer)
        }
        (Method::Put, ["v1", "topics", id, "sampleData"]) => {
            let body = match json_body() {
                Ok(b) => b,
                Err(e) => return e,
            };
            if let Some(e) = validate(&contracts.sample, &body) {
                return e;
            }
            match state.topics.iter_mut().find(|t| t.id == *id) {
                Some(t) => {
                    t.sample = Some(body);
                    (200, topic_json(t))
                }
                None => (404, json!({"code": 404, "message": format!("topic instance for {id} not found")})),
            }
        }
        (Method::Delete, ["v1", "topics", "deleteStale"]) => {
            if state.legacy {
                return (404, json!({"code": 404, "message": "HTTP 404 Not Found"}));
            }
            let body = match json_body() {
                Ok(b) => b,
                Err(e) => return e,
            };
            let scope = body["scopeFqn"].as_str().unwrap_or_default().to_string();
            let seen: Vec<&str> =
                body["seenFqns"].as_array().map(|a| a.iter().filter_map(Value::as_str).collect()).unwrap_or_default();
            let mut deleted = 0;
            for t in
                state.topics.iter_mut().filter(|t| t.service == scope && !t.deleted && !seen.contains(&t.fqn.as_str()))
            {
                t.deleted = true;
                deleted += 1;
            }
            (200, json!({"deletedCount": deleted}))
        }
        (Method::Get, ["v1", "topics"]) => {
            let service = params.get("service").map(|s| quote(s)).unwrap_or_default();
            let limit: usize = params.get("limit").and_then(|l| l.parse().ok()).unwrap_or(10);
            let mut topics: Vec<&Topic> = state.topics.iter().filter(|t| t.service == service && !t.deleted).collect();
            topics.sort_by(|a, b| a.fqn.cmp(&b.fqn));
            let start =
                params.get("after").and_then(|a| a.strip_prefix("cursor-")).and_then(|n| n.parse().ok()).unwrap_or(0);
            let page: Vec<Value> = topics.iter().skip(start).take(limit).map(|t| topic_json(t)).collect();
            let mut paging = json!({"total": topics.len()});
            if start + limit < topics.len() {
                paging["after"] = format!("cursor-{}", start + limit).into();
            }
            (200, json!({"data": page, "paging": paging}))
        }
        (Method::Delete, ["v1", "topics", id]) => {
            if params.get("hardDelete").map(String::as_str) != Some("false") {
                return bad_request("this stand-in only soft-deletes".into());
            }
            if let Some(left) = state.fail_deletes_after.as_mut() {
                if *left == 0 {
                    return (500, json!({"code": 500, "message": "injected by the test"}));
                }
                *left -= 1;
            }
            match state.topics.iter_mut().find(|t| t.id == *id) {
                Some(t) => {
                    t.deleted = true;
                    (200, topic_json(t))
                }
                None => (404, json!({"code": 404, "message": format!("topic instance for {id} not found")})),
            }
        }
        _ => (404, json!({"code": 404, "message": format!("HTTP 404 Not Found: {method} {path}")})),
    }
}

fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok().and_then(|h| u8::from_str_radix(h, 16).ok());
                match hex {
                    Some(b) => {
                        out.push(b);
                        i += 3;
                    }
                    None => {
                        out.push(b'%');
                        i += 1;
                    }
                }
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}
