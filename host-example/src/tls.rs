//! How the host checks the OpenMetadata server's certificate, as
//! `openMetadataServerConfig.verifySSL` says: `no-ssl` (the default: the usual public roots),
//! `validate` (the CA of `sslConfig.caCertificate`, a PEM file's path or its text), `ignore`
//! (no check at all: for a test server only).

use std::sync::Arc;

use anyhow::{bail, Context, Result};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{pem::PemObject, CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use serde_json::Value;

/// The TLS settings for the agent; `None` for ureq's own (public roots).
pub fn client_config(server: &Value) -> Result<Option<Arc<rustls::ClientConfig>>> {
    let at = "workflowConfig.openMetadataServerConfig";
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .context("TLS setup")?;
    match server.get("verifySSL").and_then(Value::as_str).unwrap_or("no-ssl") {
        "no-ssl" => Ok(None),
        "ignore" => {
            tracing::warn!("{at}.verifySSL is 'ignore': the server's certificate is not checked");
            let config = builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(AnyCertificate(provider)))
                .with_no_client_auth();
            Ok(Some(Arc::new(config)))
        }
        "validate" => {
            let Some(ca) = server.pointer("/sslConfig/caCertificate").and_then(Value::as_str).filter(|c| !c.is_empty())
            else {
                bail!("{at}.sslConfig.caCertificate: verifySSL 'validate' needs the CA certificate (a PEM file's path or its text)")
            };
            let pem = if ca.trim_start().starts_with("-----BEGIN") {
                ca.as_bytes().to_vec()
            } else {
                std::fs::read(ca).with_context(|| format!("{at}.sslConfig.caCertificate: cannot read {ca}"))?
            };
            let mut roots = rustls::RootCertStore::empty();
            let mut found = 0;
            for cert in CertificateDer::pem_slice_iter(&pem) {
                let cert = cert.with_context(|| format!("{at}.sslConfig.caCertificate: not a PEM certificate"))?;
                roots
                    .add(cert)
                    .with_context(|| format!("{at}.sslConfig.caCertificate: not a usable CA certificate"))?;
                found += 1;
            }
            if found == 0 {
                bail!("{at}.sslConfig.caCertificate: holds no PEM certificate");
            }
            Ok(Some(Arc::new(builder.with_root_certificates(roots).with_no_client_auth())))
        }
        other => bail!("{at}.verifySSL: '{other}' is not one of no-ssl, ignore, validate"),
    }
}

/// Accepts any certificate (`verifySSL: ignore`); signatures are still checked.
#[derive(Debug)]
struct AnyCertificate(Arc<rustls::crypto::CryptoProvider>);

impl ServerCertVerifier for AnyCertificate {
    fn verify_server_cert(
        &self,
        _: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}
