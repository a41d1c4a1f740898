//! The OpenMetadata REST client: the server named in `workflowConfig.openMetadataServerConfig`,
//! its auth, its version check, and each call with bounded retries of transient failures.

use std::fmt;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use serde_json::Value;

use crate::endpoints::{Entity, Service};
use crate::requests::Request;

/// The environment variable a JWT can come from, so that it need not sit in the workflow file.
pub const TOKEN_ENV: &str = "OPENMETADATA_JWT_TOKEN";
/// The oldest server whose API this host speaks.
const MIN_SERVER_MAJOR: u64 = 1;
const ATTEMPTS: u32 = 5;
const FIRST_BACKOFF: Duration = Duration::from_millis(200);
/// The longest Retry-After honoured; a server asking for more is retried after this.
const MAX_RETRY_AFTER_SECS: u64 = 60;

/// A JWT: never shown, in Debug output or anywhere else.
#[derive(Clone)]
struct Token(String);

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

#[derive(Debug, Clone)]
pub struct Client {
    base: String,
    token: Option<Token>,
    agent: ureq::Agent,
    /// `extraHeaders`, sent with every request.
    extra_headers: Vec<(String, String)>,
    /// `enableVersionValidation` (default true): the server's major.minor must be the API this
    /// host speaks.
    validate_version: bool,
}

/// The OpenMetadata API (major.minor) this host speaks.
pub const API_VERSION: &str = "2.0";

/// A failed call: the server refused it (4xx, not retried), or it could not be made.
#[derive(Debug, thiserror::Error)]
pub enum CallError {
    #[error("{method} {path}: the server answered {status}: {message}")]
    Rejected { method: &'static str, path: String, status: u16, message: String },
    #[error("{method} {path}: {message}")]
    Failed { method: &'static str, path: String, message: String },
}

impl CallError {
    pub fn status(&self) -> Option<u16> {
        match self {
            CallError::Rejected { status, .. } => Some(*status),
            CallError::Failed { .. } => None,
        }
    }
}

/// A successful call: the status (201 created, 200 updated) and the body.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub body: Value,
}

impl Client {
    /// From `workflowConfig.openMetadataServerConfig`: `hostPort` and `authProvider`
    /// (`openmetadata` with `securityConfig.jwtToken`, or `no-auth`). The token may also come
    /// from `$OPENMETADATA_JWT_TOKEN`.
    pub fn from_config(config: &Value, timeout: Duration) -> Result<Self> {
        let at = "workflowConfig.openMetadataServerConfig";
        let base = config
            .get("hostPort")
            .and_then(Value::as_str)
            .filter(|h| h.starts_with("http://") || h.starts_with("https://"))
            .with_context(|| format!("{at}.hostPort: an http(s) URL such as http://localhost:8585/api is needed"))?
            .trim_end_matches('/')
            .to_string();
        let provider = config.get("authProvider").and_then(Value::as_str).unwrap_or("openmetadata");
        let token = match provider {
            "no-auth" => None,
            "openmetadata" => {
                let from_file =
                    config.pointer("/securityConfig/jwtToken").and_then(Value::as_str).filter(|t| !t.is_empty());
                let from_env = std::env::var(TOKEN_ENV).ok().filter(|t| !t.is_empty());
                let token = from_env.or(from_file.map(str::to_string)).with_context(|| {
                    format!("{at}.securityConfig.jwtToken: authProvider openmetadata needs a JWT (or set ${TOKEN_ENV})")
                })?;
                Some(Token(token))
            }
            other => {
                bail!("{at}.authProvider: `{other}` is not supported by this host (it has: openmetadata, no-auth)")
            }
        };
        let mut agent = ureq::AgentBuilder::new()
            .timeout_connect(Duration::from_secs(5))
            .timeout(timeout)
            .max_idle_connections_per_host(64);
        if let Some(tls) = crate::tls::client_config(config)? {
            agent = agent.tls_config(tls);
        }
        let extra_headers = match config.get("extraHeaders") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Object(map)) => map
                .iter()
                .map(|(k, v)| match v.as_str() {
                    Some(v) => Ok((k.clone(), v.to_string())),
                    None => bail!("{at}.extraHeaders.{k}: a header's value is text"),
                })
                .collect::<Result<_>>()?,
            Some(_) => bail!("{at}.extraHeaders: a mapping of header names to values"),
        };
        let validate_version = config.get("enableVersionValidation").and_then(Value::as_bool).unwrap_or(true);
        Ok(Client { base, token, agent: agent.build(), extra_headers, validate_version })
    }

    /// An authenticated read of the service (e.g. `GET /v1/services/messagingServices/name/{name}`,
    /// 404 when it is new): the version call needs no token on a real server, so this is what
    /// shows a refused token before anything is written.
    pub fn check_access(&self, service: &Service, service_name: &str) -> Result<()> {
        let path = format!("{}/name/{}", service.collection, encode(service_name));
        match self.call("GET", &path, None) {
            Ok(_) => Ok(()),
            Err(e) if e.status() == Some(404) => Ok(()),
            Err(e) if matches!(e.status(), Some(401 | 403)) => bail!(
                "the OpenMetadata server at {} refused our credentials ({e}); check securityConfig.jwtToken or ${TOKEN_ENV}",
                self.base
            ),
            Err(e) => bail!("cannot use the OpenMetadata server at {}: {e}", self.base),
        }
    }

    /// `GET /v1/system/version`: the server is there and recent enough.
    pub fn check_server(&self) -> Result<String> {
        let answer = self.call("GET", "/v1/system/version", None).map_err(|e| match e.status() {
            Some(401 | 403) => anyhow::anyhow!(
                "the OpenMetadata server at {} refused our credentials ({e}); check securityConfig.jwtToken or ${TOKEN_ENV}",
                self.base
            ),
            _ => anyhow::anyhow!("cannot reach the OpenMetadata server at {}: {e}", self.base),
        })?;
        let version = answer.body.get("version").and_then(Value::as_str).unwrap_or("").to_string();
        let major = version.split(['.', '-']).next().and_then(|m| m.parse::<u64>().ok());
        match major {
            Some(m) if m >= MIN_SERVER_MAJOR => {}
            _ => bail!("the OpenMetadata server at {} reports version '{version}'; this host needs {MIN_SERVER_MAJOR}.0 or later", self.base),
        }
        let major_minor: Vec<&str> = version.split(['.', '-']).take(2).collect();
        if self.validate_version && major_minor.join(".") != API_VERSION {
            bail!(
                "the OpenMetadata server at {} is version {version}; this host speaks its {API_VERSION} API \
                 (workflowConfig.openMetadataServerConfig.enableVersionValidation: false runs anyway)",
                self.base
            );
        }
        Ok(version)
    }

    pub fn send(&self, request: &Request) -> Result<Answer, CallError> {
        self.call(request.method, &request.path, Some(&request.body))
    }

    /// One call, retried with backoff on connection failures, timeouts, 429 and 5xx.
    pub fn call(&self, method: &'static str, path: &str, body: Option<&Value>) -> Result<Answer, CallError> {
        let url = format!("{}{path}", self.base);
        let mut backoff = FIRST_BACKOFF;
        let mut attempt = 1;
        loop {
            let mut retry_after: Option<Duration> = None;
            let mut request = self.agent.request(method, &url).set("Accept", "application/json");
            for (name, value) in &self.extra_headers {
                request = request.set(name, value);
            }
            if let Some(token) = &self.token {
                request = request.set("Authorization", &format!("Bearer {}", token.0));
            }
            let result = match body {
                Some(body) => request.send_json(body),
                None => request.call(),
            };
            let failure = match result {
                Ok(response) => {
                    let status = response.status();
                    // An answer cut short is a failed call, not an empty answer.
                    match response.into_string() {
                        Ok(text) => {
                            let body = if text.is_empty() {
                                Value::Null
                            } else {
                                serde_json::from_str(&text).unwrap_or(Value::String(text))
                            };
                            return Ok(Answer { status, body });
                        }
                        Err(e) => CallError::Failed {
                            method,
                            path: path.to_string(),
                            message: format!("the answer could not be read: {e}"),
                        },
                    }
                }
                Err(ureq::Error::Status(status, response)) => {
                    retry_after = response
                        .header("Retry-After")
                        .and_then(|v| v.trim().parse::<u64>().ok())
                        .map(|s| Duration::from_secs(s.min(MAX_RETRY_AFTER_SECS)));
                    let rejected = CallError::Rejected {
                        method,
                        path: path.to_string(),
                        status,
                        message: error_message(response),
                    };
                    if !(status == 429 || status >= 500) {
                        return Err(rejected); // the request itself is wrong: retrying cannot help
                    }
                    rejected
                }
                Err(ureq::Error::Transport(t)) => {
                    // The transport error names the URL and the cause, never the headers.
                    CallError::Failed { method, path: path.to_string(), message: t.to_string() }
                }
            };
            if attempt >= ATTEMPTS {
                return Err(failure);
            }
            // The server's Retry-After (429, 503) wins over our own backoff when it is longer.
            let wait = retry_after.map_or(jitter(backoff), |r| r.max(backoff));
            tracing::debug!("{failure}; retrying in {wait:?} (attempt {attempt} of {ATTEMPTS})");
            std::thread::sleep(wait);
            backoff *= 2;
            attempt += 1;
        }
    }

    /// The id of the entity of the type with this FQN (`GET {collection}/name/{fqn}`); `None`
    /// when the server has none (404).
    pub fn find_by_fqn(&self, entity: &Entity, fqn: &str) -> Result<Option<String>, CallError> {
        let path = format!("{}/name/{}", entity.collection, encode(fqn));
        match self.call("GET", &path, None) {
            Ok(answer) => Ok(answer.body.get("id").and_then(Value::as_str).map(str::to_string)),
            Err(e) if e.status() == Some(404) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The service's entities of a type, as the server lists them, page by page (`after`
    /// cursors), with `fields` (`tags,owners`) when given, each page handed to `take` as it
    /// comes (a 10,000-topic service is not held parsed). A page that is not the page the API
    /// promises (no `data` list, no `paging`, an entity without `id` or FQN) is an error: what
    /// is read from it decides what is merged, skipped and deleted.
    pub fn list(
        &self,
        entity: &Entity,
        service: &str,
        fields: Option<&str>,
        mut take: impl FnMut(&[Value]) -> Result<(), String>,
    ) -> Result<(), CallError> {
        let mut after: Option<String> = None;
        loop {
            let mut path = format!("{}?service={}&limit=100", entity.collection, encode(service));
            if let Some(fields) = fields {
                path.push_str(&format!("&fields={}", encode(fields)));
            }
            if let Some(cursor) = &after {
                path.push_str(&format!("&after={}", encode(cursor)));
            }
            let page = self.call("GET", &path, None)?.body;
            let failed = |why: String| CallError::Failed {
                method: "GET",
                path: path.clone(),
                message: format!("the answer is not a page of {}: {why} (it begins: {})", entity.plural, begins(&page)),
            };
            let (data, next) = host_core::converge::read_page(&page).map_err(failed)?;
            take(data).map_err(failed)?;
            match next {
                Some(cursor) => after = Some(cursor),
                None => return Ok(()),
            }
        }
    }
}

/// The start of an answer, for messages: enough to recognise an HTML page or an error.
fn begins(answer: &Value) -> String {
    let text = match answer {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    };
    let start: String = text.chars().take(80).collect();
    if start.len() < text.len() {
        format!("{start}…")
    } else {
        start
    }
}

/// Between half and all of `d`, so that the retries of many workers (or hosts) do not arrive
/// at the server together.
fn jitter(d: Duration) -> Duration {
    d / 2 + d.mul_f64(fastrand::f64() / 2.0)
}

/// The `message` of an OpenMetadata error body, else the body itself (shortened).
fn error_message(response: ureq::Response) -> String {
    let text = response.into_string().unwrap_or_default();
    let message = serde_json::from_str::<Value>(&text)
        .ok()
        .and_then(|v| v.get("message").and_then(Value::as_str).map(str::to_string))
        .unwrap_or(text);
    message.chars().take(500).collect()
}

/// What a path segment or query value keeps as it is: RFC 3986's unreserved characters.
const UNRESERVED: &percent_encoding::AsciiSet =
    &percent_encoding::NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');

/// Percent-encodes a path segment or query value (an FQN's quotes and dots included).
pub fn encode(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, UNRESERVED).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const T: Duration = Duration::from_secs(60);

    #[test]
    fn the_token_comes_from_the_file_or_the_environment_and_never_shows() {
        let c = Client::from_config(&json!({"hostPort": "http://h:8585/api/", "authProvider": "openmetadata", "securityConfig": {"jwtToken": "jwt-canary"}}), T).unwrap();
        assert_eq!(c.base, "http://h:8585/api");
        assert!(!format!("{c:?}").contains("jwt-canary"));
        let e = Client::from_config(&json!({"hostPort": "http://h/api", "authProvider": "openmetadata"}), T);
        if std::env::var(TOKEN_ENV).is_err() {
            assert!(format!("{:#}", e.unwrap_err()).contains("securityConfig.jwtToken"));
        }
        assert!(Client::from_config(&json!({"hostPort": "http://h/api", "authProvider": "no-auth"}), T)
            .unwrap()
            .token
            .is_none());
        assert!(format!("{:#}", Client::from_config(&json!({"hostPort": "h:1"}), T).unwrap_err()).contains("hostPort"));
        assert!(format!(
            "{:#}",
            Client::from_config(&json!({"hostPort": "http://h", "authProvider": "google"}), T).unwrap_err()
        )
        .contains("google"));
    }

    #[test]
    fn jitter_stays_between_half_and_all() {
        for _ in 0..50 {
            let j = jitter(Duration::from_millis(400));
            assert!(j >= Duration::from_millis(200) && j <= Duration::from_millis(400), "{j:?}");
        }
    }

    #[test]
    fn query_values_are_encoded() {
        assert_eq!(encode("svc.\"a b\""), "svc.%22a%20b%22");
    }
}
