//! An OpenMetadata API stand-in for the tests: the calls the sink makes, with real state
//! (services of each kind; topics, pipelines, containers and tables by id and FQN, looked up by
//! FQN; lineage edges between them by id; soft-deletion, deleteStale, paging with `after`
//! cursors, an older server's 404 for deleteStale), bearer-token checks on every call but the version (as a real
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

pub mod updates;

/// An entity (topic, pipeline, container, table) as the stand-in holds it.
#[derive(Debug, Clone)]
pub struct Entity {
    /// Its collection: `topics`, `pipelines`, `containers`, `tables`.
    pub collection: String,
    pub id: String,
    pub fqn: String,
    pub service: String,
    /// The service as an EntityReference (id, type, name, FQN), as the server answers it.
    pub service_ref: Value,
    /// The fields of the last create-or-update, merged.
    pub fields: Map<String, Value>,
    /// Set by people (see [`StandIn::curate`]); a create-or-update does not overwrite it.
    pub description: Option<String>,
    pub deleted: bool,
    pub sample: Option<Value>,
    /// Its version: 0.1 when created, then one more per update that changed something
    /// ([`updates`]).
    pub version: f64,
}

/// Topics are the entities most tests look at.
pub type Topic = Entity;

/// The collections the stand-in serves, the contract its bodies are checked against (none for
/// those only other connectors write: the tests seed them), and their services' collection.
const COLLECTIONS: &[(&str, Option<&str>, &str, &str)] = &[
    ("topics", Some("createTopic.json"), "messagingServices", "topic"),
    ("pipelines", Some("createPipeline.json"), "pipelineServices", "pipeline"),
    ("containers", None, "storageServices", "container"),
    ("tables", None, "databaseServices", "table"),
];

const SERVICE_CONTRACTS: &[(&str, &str)] =
    &[("messagingServices", "createMessagingService.json"), ("pipelineServices", "createPipelineService.json")];

/// A fault the stand-in answers a topic write (`PUT /v1/topics` or `PUT /v1/topics/bulk`)
/// with, instead of handling it.
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
    /// The next listings of a collection (`GET /v1/{collection}?...`) are answered with these
    /// raw answers instead: status, content type, body (what a proxy in front of the server can
    /// send: an HTML error page with 200, JSON that is not a page).
    pub list_answers: VecDeque<(u16, &'static str, String)>,
    /// `deleteStale` reports this many more deletions than it made (a server that deleted
    /// what the run did not expect).
    pub delete_stale_extra: usize,
    /// The next this-many topic writes (`PUT /v1/topics` or its `/bulk`) answer 503.
    pub fail_topic_puts: u32,
    /// The next topic writes meet these faults, one each, in order.
    pub topic_put_faults: VecDeque<Fault>,
    /// A server older than bulk writes: `PUT /v1/{collection}/bulk` answers 404.
    pub no_bulk: bool,
    /// `DELETE /v1/topics/{id}` answers 500 once this many have succeeded.
    pub fail_deletes_after: Option<usize>,
    /// Every PUT: path and body.
    pub puts: Vec<(String, Value)>,
    /// When each topic write came, and whether it was answered by a fault.
    pub topic_put_times: Vec<(std::time::Instant, bool)>,
    /// Topics of these names are refused (400), alone or within a bulk write.
    pub reject_topics: Vec<String>,
    /// By collection (`messagingServices`), then name.
    pub services: BTreeMap<String, BTreeMap<String, Value>>,
    pub entities: Vec<Entity>,
    /// Every lineage edge added, as `PUT /v1/lineage` sent it (one per pair of ends).
    pub lineage: Vec<Value>,
    /// The ingestion pipelines that exist, by FQN (see [`StandIn::add_ingestion_pipeline`]).
    pub ingestion_pipelines: Vec<String>,
    /// Every pipeline status reported, in order: the pipeline's FQN and the PipelineStatus.
    pub pipeline_statuses: Vec<(String, Value)>,
    /// Every call: method and path (with query).
    pub calls: Vec<(String, String)>,
    /// When each of `calls` came.
    pub call_times: Vec<std::time::Instant>,
    /// The `X-…` headers calls carried (name, value), each once.
    pub x_headers: Vec<(String, String)>,
    /// Classifications by name and tags by FQN (`Classification.Tag`): the create request and
    /// an id. Their bodies are checked against the contract.
    pub classifications: BTreeMap<String, Value>,
    pub tags: BTreeMap<String, Value>,
    /// Users and teams by name (see [`StandIn::add_owner`]): their ids.
    pub users: BTreeMap<String, String>,
    pub teams: BTreeMap<String, String>,
    /// Tags of topics' schema fields, by field FQN, kept apart from the entities as the
    /// server keeps them (tag usages).
    pub field_tags: updates::FieldTags,
    /// Every version an update made: the entity's FQN and the new version.
    pub versions: Vec<(String, f64)>,
    next_id: u64,
}

impl State {
    pub fn topic(&self, fqn: &str) -> Option<&Topic> {
        self.entity("topics", fqn)
    }

    pub fn entity(&self, collection: &str, fqn: &str) -> Option<&Entity> {
        self.entities.iter().find(|t| t.collection == collection && t.fqn == fqn)
    }

    pub fn entity_by_id(&self, id: &str) -> Option<&Entity> {
        self.entities.iter().find(|t| t.id == id)
    }

    /// The entities of a collection.
    pub fn of(&self, collection: &str) -> Vec<&Entity> {
        self.entities.iter().filter(|t| t.collection == collection).collect()
    }

    pub fn live_topics(&self) -> Vec<&Topic> {
        self.of("topics").into_iter().filter(|t| !t.deleted).collect()
    }

    /// The lineage edges as (from FQN, to FQN, pipeline FQN).
    pub fn lineage_fqns(&self) -> Vec<(String, String, Option<String>)> {
        let fqn = |v: &Value| self.entity_by_id(v["id"].as_str().unwrap_or_default()).map(|e| e.fqn.clone());
        self.lineage
            .iter()
            .map(|b| {
                let e = &b["edge"];
                (
                    fqn(&e["fromEntity"]).unwrap_or_default(),
                    fqn(&e["toEntity"]).unwrap_or_default(),
                    fqn(&e["lineageDetails"]["pipeline"]),
                )
            })
            .collect()
    }

    fn record_call(&mut self, method: &Method, url: &str) {
        self.calls.push((method.to_string(), url.to_string()));
        self.call_times.push(std::time::Instant::now());
    }

    /// A topic's schema field (by its path of names) as a read with `fields=tags` shows it.
    pub fn field(&self, topic: &str, path: &[&str]) -> Option<Value> {
        let t = self.topic(topic)?;
        let mut fields = t.fields.get("messageSchema")?.get("schemaFields")?.as_array()?.clone();
        updates::with_tags(&mut fields, &t.fqn, &self.field_tags);
        let mut found: Option<Value> = None;
        for name in path {
            let list = match &found {
                None => fields.clone(),
                Some(f) => f.get("children")?.as_array()?.clone(),
            };
            found = Some(list.into_iter().find(|f| f["name"] == *name)?);
        }
        found
    }

    pub fn calls_to(&self, method: &str, path_prefix: &str) -> usize {
        self.calls.iter().filter(|(m, p)| m == method && p.starts_with(path_prefix)).count()
    }
}

pub struct StandIn {
    pub port: u16,
    /// With HTTPS: the PEM of the private CA that signed the server's certificate.
    pub ca_pem: Option<String>,
    pub state: Arc<Mutex<State>>,
    server: Arc<Server>,
    threads: Vec<JoinHandle<()>>,
}

struct Contracts {
    /// By collection: services' and entities', and `classifications`' and `tags`'.
    create: BTreeMap<&'static str, jsonschema::Validator>,
    pipeline_status: jsonschema::Validator,
    sample: jsonschema::Validator,
    lineage: jsonschema::Validator,
}

impl StandIn {
    /// Starts on a free loopback port; `token` is the JWT it accepts (`None`: no auth).
    pub fn start(token: Option<&str>) -> Result<Self> {
        let server = Server::http("127.0.0.1:0").map_err(|e| anyhow::anyhow!("{e}"))?;
        Self::serve(server, token, None, 4, Duration::ZERO)
    }

    /// [`StandIn::start`] answering every call `latency` late (a server across a network),
    /// `handlers` calls at a time, for the benchmark.
    pub fn start_with_latency(token: Option<&str>, latency: Duration, handlers: usize) -> Result<Self> {
        let server = Server::http("127.0.0.1:0").map_err(|e| anyhow::anyhow!("{e}"))?;
        Self::serve(server, token, None, handlers, latency)
    }

    /// [`StandIn::start`] over HTTPS, with a certificate for `127.0.0.1` and `localhost` signed
    /// by a private CA made for it ([`StandIn::ca_pem`]).
    pub fn start_tls(token: Option<&str>) -> Result<Self> {
        use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair};
        let ca_key = KeyPair::generate()?;
        let mut ca_params = CertificateParams::new(Vec::<String>::new())?;
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params.distinguished_name.push(rcgen::DnType::CommonName, "stand-in test CA");
        let ca = ca_params.self_signed(&ca_key)?;
        let key = KeyPair::generate()?;
        let params = CertificateParams::new(vec!["127.0.0.1".to_string(), "localhost".to_string()])?;
        let cert = params.signed_by(&key, &ca, &ca_key)?;
        let ssl = tiny_http::SslConfig {
            certificate: cert.pem().into_bytes(),
            private_key: key.serialize_pem().into_bytes(),
        };
        let server = Server::https("127.0.0.1:0", ssl).map_err(|e| anyhow::anyhow!("{e}"))?;
        Self::serve(server, token, Some(ca.pem()), 4, Duration::ZERO)
    }

    fn serve(
        server: Server,
        token: Option<&str>,
        ca_pem: Option<String>,
        handlers: usize,
        latency: Duration,
    ) -> Result<Self> {
        let server = Arc::new(server);
        let port = server.server_addr().to_ip().map(|a| a.port()).unwrap_or(0);
        let state = Arc::new(Mutex::new(State { version: "2.0.7".into(), ..Default::default() }));
        let mut create = BTreeMap::new();
        for (collection, file) in SERVICE_CONTRACTS {
            create.insert(*collection, crate::contract(file)?);
        }
        create.insert("classifications", crate::contract("createClassification.json")?);
        create.insert("tags", crate::contract("createTag.json")?);
        for (collection, file, _, _) in COLLECTIONS {
            if let Some(file) = file {
                create.insert(*collection, crate::contract(file)?);
            }
        }
        let contracts = Arc::new(Contracts {
            create,
            sample: crate::contract("topicSampleData.json")?,
            lineage: crate::contract("addLineage.json")?,
            pipeline_status: crate::contract("ingestionPipelineStatus.json")?,
        });
        let token = token.map(|t| format!("Bearer {t}"));
        let threads = (0..handlers)
            .map(|_| {
                let (server, state, contracts, token) =
                    (server.clone(), state.clone(), contracts.clone(), token.clone());
                std::thread::spawn(move || {
                    for mut request in server.incoming_requests() {
                        if !latency.is_zero() {
                            std::thread::sleep(latency); // the latency being played
                        }
                        let mut body = String::new();
                        let _ = request.as_reader().read_to_string(&mut body);
                        let auth = request
                            .headers()
                            .iter()
                            .find(|h| h.field.equiv("Authorization"))
                            .map(|h| h.value.as_str().to_string());
                        let method = request.method().clone();
                        let url = request.url().to_string();
                        {
                            let mut state = state.lock().unwrap();
                            for h in request.headers() {
                                let name = h.field.as_str().as_str().to_string();
                                let pair = (name.clone(), h.value.as_str().to_string());
                                if name.to_ascii_lowercase().starts_with("x-") && !state.x_headers.contains(&pair) {
                                    state.x_headers.push(pair);
                                }
                            }
                        }
                        let open = method == Method::Get && url == "/api/v1/system/version";
                        let topic_write = url == "/api/v1/topics"
                            || url.starts_with("/api/v1/topics/bulk?")
                            || url == "/api/v1/topics/bulk";
                        let fault = if method == Method::Put && topic_write {
                            let mut state = state.lock().unwrap();
                            let fault = state.topic_put_faults.pop_front().or_else(|| {
                                (state.fail_topic_puts > 0).then(|| {
                                    state.fail_topic_puts -= 1;
                                    Fault::Status(503, None)
                                })
                            });
                            state.topic_put_times.push((std::time::Instant::now(), fault.is_some()));
                            if fault.is_some() {
                                state.record_call(&method, &url);
                            }
                            fault
                        } else {
                            None
                        };
                        let listing = method == Method::Get
                            && url.starts_with("/api/v1/")
                            && url.contains("?service=")
                            && url.split('?').next().is_some_and(|p| p.matches('/').count() == 3);
                        let raw = if listing && fault.is_none() {
                            let mut state = state.lock().unwrap();
                            let raw = state.list_answers.pop_front();
                            if raw.is_some() {
                                state.record_call(&method, &url);
                            }
                            raw
                        } else {
                            None
                        };
                        if let Some((status, content_type, text)) = raw {
                            let header = Header::from_bytes("Content-Type", content_type).unwrap();
                            let _ = request
                                .respond(Response::from_string(text).with_status_code(status).with_header(header));
                            continue;
                        }
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
                                state.lock().unwrap().record_call(&method, &url);
                                (401, json!({"code": 401, "message": "Not Authorized! Invalid Token"}), None)
                            }
                            None => {
                                let (s, a) = handle(&mut state.lock().unwrap(), &contracts, &method, &url, &body);
                                (s, a, None)
                            }
                        };
                        let header = Header::from_bytes("Content-Type", "application/json").unwrap();
                        // No Content has no body (the server's answer for a value that is not there).
                        let text = if status == 204 { String::new() } else { answer.to_string() };
                        let mut response = Response::from_string(text).with_status_code(status).with_header(header);
                        if let Some(seconds) = retry_after {
                            response =
                                response.with_header(Header::from_bytes("Retry-After", seconds.to_string()).unwrap());
                        }
                        let _ = request.respond(response);
                    }
                })
            })
            .collect();
        Ok(StandIn { port, ca_pem, state, server, threads })
    }

    /// The `hostPort` of a workflow pointing here.
    pub fn host_port(&self) -> String {
        let scheme = if self.ca_pem.is_some() { "https" } else { "http" };
        format!("{scheme}://127.0.0.1:{}/api", self.port)
    }

    /// A person edits a topic's description in OpenMetadata.
    pub fn curate(&self, fqn: &str, description: &str) {
        let mut state = self.state.lock().unwrap();
        let topic =
            state.entities.iter_mut().find(|t| t.collection == "topics" && t.fqn == fqn).expect("a topic to curate");
        topic.description = Some(description.to_string());
    }

    /// A person describes a topic's schema field (by its path of names) and tags it, as
    /// OpenMetadata's UI does (a Manual, Confirmed label).
    pub fn curate_field(&self, topic: &str, path: &[&str], description: &str, tag: &str) {
        fn find<'a>(fields: &'a mut Value, path: &[&str]) -> Option<&'a mut Value> {
            let (first, rest) = path.split_first()?;
            let field = fields.as_array_mut()?.iter_mut().find(|f| f["name"] == *first)?;
            if rest.is_empty() {
                Some(field)
            } else {
                find(field.get_mut("children")?, rest)
            }
        }
        let mut state = self.state.lock().unwrap();
        let t = state.entities.iter_mut().find(|t| t.collection == "topics" && t.fqn == topic).expect("a topic");
        let fqn = path.iter().fold(t.fqn.clone(), |parent, name| updates::field_fqn(&parent, name));
        let fields = t.fields.get_mut("messageSchema").and_then(|m| m.get_mut("schemaFields")).expect("fields");
        find(fields, path).expect("the field")["description"] = description.into();
        let label = json!({"tagFQN": tag, "source": "Classification", "labelType": "Manual", "state": "Confirmed"});
        state.field_tags.entry(fqn).or_default().push(label);
    }

    /// Every stored entity of `collection` drifts from what its source says (its `sourceUrl`
    /// changed behind the run's back), so that the next run writes each of them again: for
    /// tests of writes that a converged catalog would not make.
    pub fn drift(&self, collection: &str) {
        let mut state = self.state.lock().unwrap();
        for e in state.entities.iter_mut().filter(|e| e.collection == collection) {
            e.fields.insert("sourceUrl".into(), "https://drifted.example".into());
        }
    }

    /// A service as people created it in OpenMetadata, with its stored connection (`kind` is
    /// its collection, e.g. `messagingServices`).
    pub fn add_service(&self, kind: &str, name: &str, service_type: &str, connection: Value) {
        let service = json!({
            "id": format!("svc-{kind}-{name}"),
            "name": name,
            "fullyQualifiedName": quote(name),
            "serviceType": service_type,
            "connection": connection,
        });
        self.state.lock().unwrap().services.entry(kind.to_string()).or_default().insert(name.to_string(), service);
    }

    /// A user (`kind` "user") or a team ("team") people made in OpenMetadata.
    pub fn add_owner(&self, kind: &str, name: &str) {
        let mut state = self.state.lock().unwrap();
        state.next_id += 1;
        let id = format!("00000000-0000-0000-0002-{:012}", state.next_id);
        match kind {
            "user" => state.users.insert(name.to_string(), id),
            "team" => state.teams.insert(name.to_string(), id),
            other => panic!("no owners of kind {other}"),
        };
    }

    /// People give a topic a tag of their own (a Manual label) and an owner.
    pub fn curate_labels(&self, fqn: &str, tag_fqn: &str, owner: Option<(&str, &str)>) {
        let mut state = self.state.lock().unwrap();
        let topic =
            state.entities.iter_mut().find(|t| t.collection == "topics" && t.fqn == fqn).expect("a topic to curate");
        let tags = topic.fields.entry("tags").or_insert_with(|| json!([]));
        tags.as_array_mut()
            .unwrap()
            .push(json!({"tagFQN": tag_fqn, "source": "Classification", "labelType": "Manual", "state": "Confirmed"}));
        if let Some((id, kind)) = owner {
            topic.fields.insert("owners".into(), json!([{"id": id, "type": kind}]));
        }
    }

    /// An ingestion pipeline, as OpenMetadata's server deploys one (its FQN, e.g.
    /// `kinesis_prod.metadata_pipeline`).
    pub fn add_ingestion_pipeline(&self, fqn: &str) {
        self.state.lock().unwrap().ingestion_pipelines.push(fqn.to_string());
    }

    /// An entity another connector wrote (a bucket's container, a table), with its service:
    /// `fqn` is `service.rest`, quoted as OpenMetadata quotes it.
    pub fn seed(&self, collection: &str, service: &str, fqn: &str) {
        let mut state = self.state.lock().unwrap();
        state.next_id += 1;
        // What the server's answers always hold, so that clients that read them into
        // OpenMetadata's models (its Python client) can: the name, and a topic's partitions.
        let mut fields = Map::new();
        let name = fqn.rsplit('.').next().unwrap_or(fqn).trim_matches('"');
        fields.insert("name".into(), name.into());
        if collection == "topics" {
            fields.insert("partitions".into(), 1.into());
        }
        let entity = Entity {
            collection: collection.into(),
            id: format!("00000000-0000-0000-0000-{:012}", state.next_id),
            fqn: fqn.into(),
            service: quote(service),
            service_ref: service_ref(&state, collection, &quote(service)),
            fields,
            description: None,
            deleted: false,
            sample: None,
            version: 0.1,
        };
        state.entities.push(entity);
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
/// topic writes (`PUT /api/v1/topics` or its `/bulk`), as a proxy or a restarting server does;
/// everything else is passed through.
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
        let topic_put = chunk[..n].windows(19).any(|w| w == b"PUT /api/v1/topics ")
            || chunk[..n].windows(23).any(|w| w == b"PUT /api/v1/topics/bulk");
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

fn entity_json(t: &Entity) -> Value {
    let mut v = Value::Object(t.fields.clone());
    v["version"] = t.version.into();
    v["id"] = t.id.clone().into();
    v["fullyQualifiedName"] = t.fqn.clone().into();
    v["service"] = t.service_ref.clone();
    v["deleted"] = t.deleted.into();
    if let Some(d) = &t.description {
        v["description"] = d.clone().into();
    }
    v
}

/// [`entity_json`] as a read with `fields` shows it: a topic's field tags only when `tags`
/// is asked for.
fn entity_read(state: &State, t: &Entity, params: &BTreeMap<String, String>) -> Value {
    let mut v = entity_json(t);
    let asked = params.get("fields").is_some_and(|f| f.split(',').any(|f| f.trim() == "tags" || f.trim() == "*"));
    if asked {
        if let Some(fields) = v.pointer_mut("/messageSchema/schemaFields").and_then(Value::as_array_mut) {
            updates::with_tags(fields, &t.fqn, &state.field_tags);
        }
    }
    v
}

fn handle(state: &mut State, contracts: &Contracts, method: &Method, url: &str, body: &str) -> (u16, Value) {
    state.record_call(method, url);
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
        // What OpenMetadata's own runner reads before it ingests (the test connection it runs
        // first): the steps of the Kinesis connector's test.
        (Method::Get, ["v1", "services", "testConnectionDefinitions", "name", name]) => {
            let name = decode(name);
            let step = |n: &str, d: &str, mandatory: bool| json!({"name": n, "description": d, "errorMessage": format!("{n} failed"), "mandatory": mandatory, "shortCircuit": false});
            match name.as_str() {
                "Kinesis.testConnectionDefinition" => (
                    200,
                    json!({"id": "00000000-0000-0000-0000-0000000000c1", "name": "Kinesis", "fullyQualifiedName": name,
                        "steps": [step("GetTopics", "List the topics", true)]}),
                ),
                _ => (
                    404,
                    json!({"code": 404, "message": format!("testConnectionDefinition instance for {name} not found")}),
                ),
            }
        }
        (Method::Get, ["v1", "services", "ingestionPipelines", "name", fqn]) => {
            let fqn = decode(fqn);
            if let Some(i) = state.ingestion_pipelines.iter().position(|p| *p == fqn) {
                // As the server answers it: what OpenMetadata's own client needs to read it.
                let name = fqn.rsplit('.').next().unwrap_or(&fqn).to_string();
                (
                    200,
                    json!({"id": format!("00000000-0000-0000-0003-{i:012}"), "name": name, "fullyQualifiedName": fqn,
                        "pipelineType": "metadata", "sourceConfig": {"config": {}}, "airflowConfig": {}}),
                )
            } else {
                (404, json!({"code": 404, "message": format!("ingestionPipeline instance for {fqn} not found")}))
            }
        }
        (Method::Put, ["v1", "services", "ingestionPipelines", fqn, "pipelineStatus"]) => {
            let fqn = decode(fqn);
            let body = match json_body() {
                Ok(b) => b,
                Err(e) => return e,
            };
            if let Some(e) = validate(&contracts.pipeline_status, &body) {
                return e;
            }
            if !state.ingestion_pipelines.contains(&fqn) {
                return (
                    404,
                    json!({"code": 404, "message": format!("ingestionPipeline instance for {fqn} not found")}),
                );
            }
            state.pipeline_statuses.push((fqn, body.clone()));
            (200, body)
        }
        (Method::Get, ["v1", "services", "ingestionPipelines", fqn, "pipelineStatus", run_id]) => {
            let fqn = decode(fqn);
            match state.pipeline_statuses.iter().rev().find(|(f, s)| *f == fqn && s["runId"] == *run_id) {
                Some((_, status)) => (200, status.clone()),
                // The server has no status of that run yet: nothing, as it answers a null.
                None => (204, Value::Null),
            }
        }
        (Method::Get, ["v1", "services", kind, "name", name]) => {
            match state.services.get(*kind).and_then(|s| s.get(&decode(name))) {
                Some(service) => (200, service.clone()),
                None => (404, json!({"code": 404, "message": format!("{kind} instance for {name} not found")})),
            }
        }
        (Method::Put, ["v1", "services", kind]) => {
            let body = match json_body() {
                Ok(b) => b,
                Err(e) => return e,
            };
            let Some(contract) = contracts.create.get(kind) else {
                return (404, json!({"code": 404, "message": format!("no {kind} here")}));
            };
            if let Some(e) = validate(contract, &body) {
                return e;
            }
            let name = body["name"].as_str().unwrap_or_default().to_string();
            state.next_id += 1;
            let fresh_id = format!("00000000-0000-0000-0001-{:012}", state.next_id);
            let services = state.services.entry(kind.to_string()).or_default();
            let created = !services.contains_key(&name);
            let id = services.get(&name).and_then(|s| s["id"].as_str()).map_or(fresh_id, str::to_string);
            let mut service = body.clone();
            service["id"] = id.into();
            service["fullyQualifiedName"] = quote(&name).into();
            services.insert(name, service.clone());
            (if created { 201 } else { 200 }, service)
        }
        // `LineageRepository.getLineageEdge`: the stored details under `edge` (the server keeps
        // the pipeline as a full reference, and when and by whom the edge was written), or 404.
        (Method::Get, ["v1", "lineage", "getLineageEdge", from, to]) => {
            let found = state
                .lineage
                .iter()
                .find(|b| b["edge"]["fromEntity"]["id"] == *from && b["edge"]["toEntity"]["id"] == *to);
            match found {
                Some(body) => {
                    let mut details = body["edge"]["lineageDetails"].clone();
                    if details.is_null() {
                        details = json!({});
                    }
                    let pipeline =
                        details["pipeline"]["id"].as_str().and_then(|id| state.entity_by_id(id)).map(|e| e.fqn.clone());
                    if let Some(fqn) = pipeline {
                        details["pipeline"]["fullyQualifiedName"] = fqn.into();
                    }
                    details["columnsLineage"] = json!([]);
                    details["updatedBy"] = "ingestion-bot".into();
                    (200, json!({"edge": details}))
                }
                None => {
                    (404, json!({"code": 404, "message": format!("Lineage edge not found between {from} and  {to}")}))
                }
            }
        }
        (Method::Put, ["v1", "lineage"]) => {
            let body = match json_body() {
                Ok(b) => b,
                Err(e) => return e,
            };
            if let Some(e) = validate(&contracts.lineage, &body) {
                return e;
            }
            let edge = &body["edge"];
            for end in [&edge["fromEntity"], &edge["toEntity"], &edge["lineageDetails"]["pipeline"]] {
                if end.is_null() {
                    continue;
                }
                let id = end["id"].as_str().unwrap_or_default();
                match state.entity_by_id(id) {
                    Some(e) if !e.deleted && COLLECTIONS.iter().any(|c| c.0 == e.collection && c.3 == end["type"]) => {}
                    _ => {
                        return (
                            404,
                            json!({"code": 404, "message": format!("{} instance for {id} not found", end["type"])}),
                        )
                    }
                }
            }
            let same =
                |b: &Value| b["edge"]["fromEntity"] == edge["fromEntity"] && b["edge"]["toEntity"] == edge["toEntity"];
            state.lineage.retain(|b| !same(b));
            state.lineage.push(body.clone());
            (200, json!({}))
        }
        (Method::Put, ["v1", "topics", id, "sampleData"]) => {
            let body = match json_body() {
                Ok(b) => b,
                Err(e) => return e,
            };
            if let Some(e) = validate(&contracts.sample, &body) {
                return e;
            }
            match state.entities.iter_mut().find(|t| t.collection == "topics" && t.id == *id) {
                Some(t) => {
                    // The server answers the topic with the sample data it now holds.
                    t.sample = Some(body.clone());
                    let mut answer = entity_json(t);
                    answer["sampleData"] = body;
                    (200, answer)
                }
                None => (404, json!({"code": 404, "message": format!("topic instance for {id} not found")})),
            }
        }
        // The bulk create-or-update OpenMetadata's own sink uses, answered as the server does:
        // a BulkOperationResult naming each written entity by its FQN and each refused request
        // by the request itself.
        (Method::Put, ["v1", collection, "bulk"]) if collection_of(collection).is_some() => {
            if state.no_bulk {
                return (404, json!({"code": 404, "message": "HTTP 404 Not Found"}));
            }
            if params.get("async").map(String::as_str) != Some("false") {
                return bad_request("this stand-in answers bulk writes synchronously only (async=false)".into());
            }
            let items = match json_body() {
                Ok(Value::Array(items)) => items,
                Ok(_) => return bad_request("a bulk body is a list of create requests".into()),
                Err(e) => return e,
            };
            let (mut passed, mut failed) = (Vec::new(), Vec::new());
            for item in items {
                let (status, answer) = put_entity(state, contracts, collection, item.clone());
                if status < 300 {
                    passed.push(json!({"request": answer["fullyQualifiedName"], "status": 200}));
                } else {
                    failed.push(json!({"request": item, "message": answer.get("message"), "status": status}));
                }
            }
            let status = if failed.is_empty() {
                "success"
            } else if passed.is_empty() {
                "failure"
            } else {
                "partialSuccess"
            };
            (
                200,
                json!({
                    "status": status, "numberOfRowsProcessed": passed.len() + failed.len(),
                    "numberOfRowsPassed": passed.len(), "numberOfRowsFailed": failed.len(),
                    "successRequest": passed, "failedRequest": failed
                }),
            )
        }
        (Method::Get, ["v1", kind @ ("classifications" | "tags" | "users" | "teams"), "name", name]) => {
            let name = decode(name);
            // As the server answers: what OpenMetadata's own client needs to read each (a
            // classification's and a tag's description, a user's email).
            let found = match *kind {
                "classifications" | "tags" => {
                    let stored = if *kind == "tags" { state.tags.get(&name) } else { state.classifications.get(&name) };
                    stored.map(|c| {
                        json!({"id": c["id"], "name": c["name"], "fullyQualifiedName": name, "description": c["description"]})
                    })
                }
                "users" => state.users.get(&name).map(|id| {
                    json!({"id": id, "name": name, "fullyQualifiedName": name, "email": format!("{name}@example.com")})
                }),
                _ => state.teams.get(&name).map(|id| json!({"id": id, "name": name, "fullyQualifiedName": name})),
            };
            match found {
                Some(answer) => (200, answer),
                None => (404, json!({"code": 404, "message": format!("{kind} instance for {name} not found")})),
            }
        }
        (Method::Put, ["v1", kind @ ("classifications" | "tags")]) => {
            let body = match json_body() {
                Ok(b) => b,
                Err(e) => return e,
            };
            if let Some(e) = validate(&contracts.create[kind], &body) {
                return e;
            }
            let name = body["name"].as_str().unwrap_or_default().to_string();
            state.next_id += 1;
            let id = format!("00000000-0000-0000-0003-{:012}", state.next_id);
            let mut stored = body.clone();
            stored["id"] = json!(id);
            if *kind == "classifications" {
                stored["fullyQualifiedName"] = json!(quote(&name));
                let kept = state.classifications.entry(quote(&name)).or_insert(stored.clone());
                (201, kept.clone())
            } else {
                let classification = body["classification"].as_str().unwrap_or_default().to_string();
                let Some(parent) = state.classifications.get(&classification) else {
                    return (
                        404,
                        json!({"code": 404, "message": format!("classification instance for {classification} not found")}),
                    );
                };
                let fqn = format!("{classification}.{}", quote(&name));
                // The server answers the tag with its classification as a reference.
                let mut answer = stored.clone();
                answer["classification"] = json!({"id": parent["id"], "type": "classification",
                    "name": parent["name"], "fullyQualifiedName": classification});
                answer["fullyQualifiedName"] = json!(fqn);
                state.tags.entry(fqn).or_insert(stored.clone());
                (201, answer)
            }
        }
        (Method::Get, ["v1", collection, "name", fqn]) if collection_of(collection).is_some() => {
            let fqn = decode(fqn);
            match state.entities.iter().find(|t| t.collection == *collection && t.fqn == fqn && !t.deleted) {
                Some(t) => (200, entity_read(state, t, &params)),
                None => (404, json!({"code": 404, "message": format!("{collection} instance for {fqn} not found")})),
            }
        }
        (Method::Put, ["v1", collection]) if collection_of(collection).is_some() => match json_body() {
            Ok(body) => put_entity(state, contracts, collection, body),
            Err(e) => e,
        },
        (Method::Delete, ["v1", collection, "deleteStale"]) if collection_of(collection).is_some() => {
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
            for t in state.entities.iter_mut().filter(|t| {
                t.collection == *collection && t.service == scope && !t.deleted && !seen.contains(&t.fqn.as_str())
            }) {
                t.deleted = true;
                deleted += 1;
            }
            // A BulkOperationResult, as the server answers.
            let reported = deleted + state.delete_stale_extra;
            (
                200,
                json!({"status": "success", "numberOfRowsProcessed": reported, "numberOfRowsPassed": reported, "numberOfRowsFailed": 0}),
            )
        }
        (Method::Get, ["v1", collection]) if collection_of(collection).is_some() => {
            let service = params.get("service").map(|s| quote(s)).unwrap_or_default();
            let limit: usize = params.get("limit").and_then(|l| l.parse().ok()).unwrap_or(10);
            let mut entities: Vec<&Entity> = state
                .entities
                .iter()
                .filter(|t| t.collection == *collection && t.service == service && !t.deleted)
                .collect();
            entities.sort_by(|a, b| a.fqn.cmp(&b.fqn));
            let start =
                params.get("after").and_then(|a| a.strip_prefix("cursor-")).and_then(|n| n.parse().ok()).unwrap_or(0);
            let page: Vec<Value> =
                entities.iter().skip(start).take(limit).map(|t| entity_read(state, t, &params)).collect();
            let mut paging = json!({"total": entities.len()});
            if start + limit < entities.len() {
                paging["after"] = format!("cursor-{}", start + limit).into();
            }
            (200, json!({"data": page, "paging": paging}))
        }
        (Method::Delete, ["v1", collection, id]) if collection_of(collection).is_some() => {
            if params.get("hardDelete").map(String::as_str) != Some("false") {
                return bad_request("this stand-in only soft-deletes".into());
            }
            if let Some(left) = state.fail_deletes_after.as_mut() {
                if *left == 0 {
                    return (500, json!({"code": 500, "message": "injected by the test"}));
                }
                *left -= 1;
            }
            match state.entities.iter_mut().find(|t| t.collection == *collection && t.id == *id) {
                Some(t) => {
                    t.deleted = true;
                    (200, entity_json(t))
                }
                None => (404, json!({"code": 404, "message": format!("{collection} instance for {id} not found")})),
            }
        }
        _ => (404, json!({"code": 404, "message": format!("HTTP 404 Not Found: {method} {path}")})),
    }
}

/// Creates or updates an entity of `collection` (a `PUT /v1/{collection}`, alone or as one
/// request of a bulk one): the body checked against its contract, its service known.
fn put_entity(state: &mut State, contracts: &Contracts, collection: &str, body: Value) -> (u16, Value) {
    let Some(contract) = contracts.create.get(collection) else {
        return bad_request(format!("this stand-in does not take {collection} from connectors"));
    };
    if let Some(e) = validate(contract, &body) {
        return e;
    }
    if collection == "topics" && state.reject_topics.iter().any(|n| body["name"] == n.as_str()) {
        return bad_request(format!("topic {} rejected by the test", body["name"]));
    }
    let service_kind = collection_of(collection).map(|c| c.2).unwrap_or_default();
    let service = body["service"].as_str().unwrap_or_default().to_string();
    let known = state
        .services
        .get(service_kind)
        .is_some_and(|s| s.values().any(|s| s["fullyQualifiedName"] == service.as_str()));
    if !known {
        return (404, json!({"code": 404, "message": format!("{service_kind} instance for {service} not found")}));
    }
    let fqn = format!("{service}.{}", quote(body["name"].as_str().unwrap_or_default()));
    let fields = body.as_object().cloned().unwrap_or_default();
    let description = fields.get("description").and_then(Value::as_str).map(str::to_string);
    // Every tag label must name a tag that exists, and every owner a user or team, as on the
    // server.
    for label in fields.get("tags").and_then(Value::as_array).into_iter().flatten() {
        let tag = label["tagFQN"].as_str().unwrap_or_default();
        if !state.tags.contains_key(tag) {
            return (404, json!({"code": 404, "message": format!("tag instance for {tag} not found")}));
        }
    }
    for owner in fields.get("owners").and_then(Value::as_array).into_iter().flatten() {
        let id = owner["id"].as_str().unwrap_or_default();
        let known = match owner["type"].as_str() {
            Some("user") => state.users.values().any(|u| u == id),
            Some("team") => state.teams.values().any(|t| t == id),
            _ => false,
        };
        if !known {
            return (404, json!({"code": 404, "message": format!("owner {owner} not found")}));
        }
    }
    if let Some(i) = state.entities.iter().position(|t| t.collection == *collection && t.fqn == fqn) {
        let mut field_tags = std::mem::take(&mut state.field_tags);
        let t = &mut state.entities[i];
        let mut applied = updates::apply(collection, &fqn, &mut t.fields, &mut t.description, fields, &mut field_tags);
        if t.deleted {
            t.deleted = false;
            applied.changed = true;
        }
        if applied.changed {
            t.version = updates::next_version(t.version, &applied);
        }
        let (answer, version) = (entity_json(t), t.version);
        state.field_tags = field_tags;
        if applied.changed {
            state.versions.push((fqn, version));
        }
        return (200, answer);
    }
    state.next_id += 1;
    let mut fields = fields;
    if let Some(list) =
        fields.get_mut("messageSchema").and_then(|m| m.get_mut("schemaFields")).and_then(Value::as_array_mut)
    {
        updates::create_fields(list, &fqn, &mut state.field_tags);
    }
    let entity = Entity {
        collection: collection.to_string(),
        id: format!("00000000-0000-0000-0000-{:012}", state.next_id),
        fqn,
        service_ref: service_ref(state, collection, &service),
        service,
        fields,
        description,
        deleted: false,
        sample: None,
        version: 0.1,
    };
    let answer = entity_json(&entity);
    state.entities.push(entity);
    (201, answer)
}

/// The EntityReference of the service (by FQN) of an entity of `collection`.
fn service_ref(state: &State, collection: &str, service_fqn: &str) -> Value {
    let kind = collection_of(collection).map(|c| c.2).unwrap_or_default();
    let id = state
        .services
        .get(kind)
        .and_then(|s| s.values().find(|s| s["fullyQualifiedName"] == service_fqn))
        .and_then(|s| s["id"].as_str())
        .unwrap_or("00000000-0000-0000-0001-000000000000");
    json!({"id": id, "type": kind.trim_end_matches('s'), "name": service_fqn.trim_matches('"'),
        "fullyQualifiedName": service_fqn})
}

/// The collection's row of [`COLLECTIONS`].
fn collection_of(
    collection: &str,
) -> Option<&'static (&'static str, Option<&'static str>, &'static str, &'static str)> {
    COLLECTIONS.iter().find(|c| c.0 == collection)
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
