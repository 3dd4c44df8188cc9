//! TLS toward the station, with rustls and the `ring` provider (no OpenSSL).
//!
//! The pagoPA connectivity rules ask for HTTPS with TLS ≥ 1.2 and mutual TLS toward the
//! station. [`TlsOptions`] is what the user configured (file paths, flags); [`TlsSettings`] is
//! the result of reading and checking those files once, before any case runs, so a wrong PEM
//! file is a configuration error and never a verdict on the station.
//!
//! [`classify`] reads a failed call's error chain down to the `rustls::Error` and names the
//! reason ([`TlsReason`]), so that the journal and the verdict say *why* the station could not
//! be reached ("the station's certificate expired on …"), as an operator would need to fix it.

use crate::clock::VirtualTime;
use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{
    AlertDescription, CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore,
    SignatureScheme,
};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

/// The crypto provider every TLS configuration of collaudo uses.
pub fn provider() -> Arc<CryptoProvider> {
    static PROVIDER: OnceLock<Arc<CryptoProvider>> = OnceLock::new();
    PROVIDER
        .get_or_init(|| Arc::new(rustls::crypto::ring::default_provider()))
        .clone()
}

/// Make `ring` the process-wide rustls provider, if none is installed yet.
///
/// reqwest is built without a provider of its own (the `aws-lc-rs` one is slow to build), and
/// a `reqwest::Client` built without a preconfigured TLS setup panics when no process default
/// exists. Every client of the mock Nodo passes its own configuration; this covers the other
/// reqwest clients in the same process (the reference station's ACA client, tests).
pub fn install_default_provider() {
    // An error only means a provider is already installed, which is what is wanted.
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// `[station.tls]` as configured, paths already resolved against the configuration file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TlsOptions {
    /// PEM bundle of CA certificates trusted for the station, added to the system roots.
    pub ca: Option<PathBuf>,
    /// Trust only `ca`, not the system roots.
    pub ca_only: bool,
    /// PEM certificate chain the Nodo presents for mutual TLS.
    pub client_cert: Option<PathBuf>,
    /// PEM private key of `client_cert` (PKCS#8, PKCS#1 or SEC1).
    pub client_key: Option<PathBuf>,
    /// Verify the station's certificate against this name instead of the URL's host.
    pub server_name: Option<String>,
    /// Accept any certificate (handshake signatures are still checked). Reported loudly.
    pub insecure_skip_verify: bool,
}

/// Why the TLS configuration could not be built: always the user's configuration, named with
/// the key and the file.
#[derive(Debug, thiserror::Error)]
pub enum TlsSetupError {
    /// A file could not be read.
    #[error("{key} {path}: cannot read the file: {reason}")]
    Unreadable {
        /// The configuration key (`ca`, `client_cert`, `client_key`).
        key: &'static str,
        /// The file.
        path: PathBuf,
        /// The I/O error.
        reason: String,
    },
    /// The file is not well-formed PEM.
    #[error("{key} {path}: invalid PEM: {reason}")]
    InvalidPem {
        /// The configuration key.
        key: &'static str,
        /// The file.
        path: PathBuf,
        /// What the PEM reader said.
        reason: String,
    },
    /// No `CERTIFICATE` block in the file.
    #[error("{key} {path}: no certificate found (expected PEM `BEGIN CERTIFICATE` blocks)")]
    NoCertificate {
        /// The configuration key.
        key: &'static str,
        /// The file.
        path: PathBuf,
    },
    /// A certificate of the `ca` bundle cannot be used as a trust anchor.
    #[error("{key} {path}: certificate {index} cannot be used as a trust anchor: {reason}")]
    BadCertificate {
        /// The configuration key.
        key: &'static str,
        /// The file.
        path: PathBuf,
        /// Position of the certificate in the file, from 1.
        index: usize,
        /// What rustls said.
        reason: String,
    },
    /// No private key block in the file.
    #[error(
        "client_key {path}: no private key found (expected a PEM PKCS#8, PKCS#1 or SEC1 private key)"
    )]
    NoPrivateKey {
        /// The file.
        path: PathBuf,
    },
    /// The key cannot be loaded, or it does not belong to the certificate.
    #[error("client_key {key_path}: key does not match client_cert {cert_path}: {reason}")]
    KeyMismatch {
        /// The certificate file.
        cert_path: PathBuf,
        /// The key file.
        key_path: PathBuf,
        /// What rustls said.
        reason: String,
    },
    /// The key cannot be used at all (unsupported algorithm, damaged).
    #[error("client_key {path}: unusable private key: {reason}")]
    BadKey {
        /// The key file.
        path: PathBuf,
        /// What rustls said.
        reason: String,
    },
    /// One of `client_cert` / `client_key` without the other.
    #[error("{given} is set but {missing} is not: mutual TLS needs both")]
    Incomplete {
        /// The key that is set.
        given: &'static str,
        /// The key that is missing.
        missing: &'static str,
    },
    /// `ca_only` without `ca`.
    #[error("ca_only = true but no `ca` is set: nothing would be trusted")]
    CaOnlyWithoutCa,
    /// `server_name` is neither a DNS name nor an IP address.
    #[error("server_name {name:?} is not a valid DNS name or IP address")]
    ServerName {
        /// The configured name.
        name: String,
    },
    /// Nothing to trust: no system roots were found and no `ca` is set.
    #[error(
        "no trusted root certificates: none were found in the system store ({detail}); set `ca` in [station.tls] to the CA bundle that issued the station's certificate"
    )]
    NoRoots {
        /// What the system store lookup said.
        detail: String,
    },
    /// rustls refused the configuration.
    #[error("cannot build the TLS configuration: {0}")]
    Rustls(String),
}

/// A checked TLS configuration toward the station, ready for every client.
#[derive(Clone)]
pub struct TlsSettings {
    config: Arc<ClientConfig>,
    /// The same trust, no client certificate: CON-001 checks that the station refuses it.
    anonymous: Arc<ClientConfig>,
    /// The plain webpki verifier (no `server_name` override), for CON-001's check that the
    /// certificate names the host of the station URL; `None` when verification is off.
    webpki: Option<Arc<WebPkiServerVerifier>>,
    client_cert: bool,
    description: String,
    insecure: bool,
}

impl std::fmt::Debug for TlsSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsSettings")
            .field("description", &self.description)
            .field("insecure", &self.insecure)
            .finish_non_exhaustive()
    }
}

/// The roots of the operating system's store, read once per process.
fn system_roots() -> &'static (Vec<CertificateDer<'static>>, String) {
    static ROOTS: OnceLock<(Vec<CertificateDer<'static>>, String)> = OnceLock::new();
    ROOTS.get_or_init(|| {
        let found = rustls_native_certs::load_native_certs();
        let detail = if found.errors.is_empty() {
            format!("{} certificates", found.certs.len())
        } else {
            let errors: Vec<String> = found.errors.iter().map(ToString::to_string).collect();
            format!("{} certificates; {}", found.certs.len(), errors.join("; "))
        };
        (found.certs, detail)
    })
}

fn read_certs(
    key: &'static str,
    path: &Path,
) -> Result<Vec<CertificateDer<'static>>, TlsSetupError> {
    let pem_error = |e: rustls::pki_types::pem::Error| match e {
        rustls::pki_types::pem::Error::Io(io) => TlsSetupError::Unreadable {
            key,
            path: path.to_path_buf(),
            reason: io.to_string(),
        },
        rustls::pki_types::pem::Error::NoItemsFound => TlsSetupError::NoCertificate {
            key,
            path: path.to_path_buf(),
        },
        other => TlsSetupError::InvalidPem {
            key,
            path: path.to_path_buf(),
            reason: other.to_string(),
        },
    };
    let certs = CertificateDer::pem_file_iter(path)
        .map_err(pem_error)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(pem_error)?;
    if certs.is_empty() {
        return Err(TlsSetupError::NoCertificate {
            key,
            path: path.to_path_buf(),
        });
    }
    Ok(certs)
}

fn read_key(path: &Path) -> Result<PrivateKeyDer<'static>, TlsSetupError> {
    PrivateKeyDer::from_pem_file(path).map_err(|e| match e {
        rustls::pki_types::pem::Error::Io(io) => TlsSetupError::Unreadable {
            key: "client_key",
            path: path.to_path_buf(),
            reason: io.to_string(),
        },
        rustls::pki_types::pem::Error::NoItemsFound => TlsSetupError::NoPrivateKey {
            path: path.to_path_buf(),
        },
        other => TlsSetupError::InvalidPem {
            key: "client_key",
            path: path.to_path_buf(),
            reason: other.to_string(),
        },
    })
}

impl TlsSettings {
    /// Read and check every file of `opts` and build the client configuration: TLS 1.2 or
    /// 1.3 only, the system roots plus `ca` (or `ca` alone), the client certificate when set.
    pub fn load(opts: &TlsOptions) -> Result<TlsSettings, TlsSetupError> {
        let provider = provider();
        let mut roots = RootCertStore::empty();
        let mut trusted = Vec::new();
        if opts.ca_only && opts.ca.is_none() {
            return Err(TlsSetupError::CaOnlyWithoutCa);
        }
        let mut system_detail = String::new();
        if !opts.ca_only {
            let (certs, detail) = system_roots();
            let (added, _) = roots.add_parsable_certificates(certs.iter().cloned());
            system_detail = detail.clone();
            if added > 0 {
                trusted.push("system roots".to_string());
            }
        }
        if let Some(ca) = &opts.ca {
            for (i, cert) in read_certs("ca", ca)?.into_iter().enumerate() {
                roots.add(cert).map_err(|e| TlsSetupError::BadCertificate {
                    key: "ca",
                    path: ca.clone(),
                    index: i + 1,
                    reason: e.to_string(),
                })?;
            }
            trusted.push(ca.display().to_string());
        }
        if roots.is_empty() && !opts.insecure_skip_verify {
            return Err(TlsSetupError::NoRoots {
                detail: if system_detail.is_empty() {
                    "not consulted".into()
                } else {
                    system_detail
                },
            });
        }
        let name = match &opts.server_name {
            None => None,
            Some(n) => Some(
                ServerName::try_from(n.clone())
                    .map_err(|_| TlsSetupError::ServerName { name: n.clone() })?,
            ),
        };
        let webpki = if opts.insecure_skip_verify {
            None
        } else {
            Some(
                WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
                    .build()
                    .map_err(|e| TlsSetupError::Rustls(e.to_string()))?,
            )
        };
        let verifier: Arc<dyn ServerCertVerifier> = match (&webpki, name) {
            (None, _) => Arc::new(AcceptAnyCertificate {
                provider: provider.clone(),
            }),
            (Some(webpki), Some(name)) => Arc::new(FixedNameVerifier {
                inner: webpki.clone(),
                name,
            }),
            (Some(webpki), None) => webpki.clone(),
        };
        let builder = || {
            Ok::<_, TlsSetupError>(
                ClientConfig::builder_with_provider(provider.clone())
                    .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
                    .map_err(|e| TlsSetupError::Rustls(e.to_string()))?
                    .dangerous()
                    .with_custom_certificate_verifier(verifier.clone()),
            )
        };
        let anonymous = Arc::new(builder()?.with_no_client_auth());
        let builder = builder()?;
        let config = match (&opts.client_cert, &opts.client_key) {
            (None, None) => builder.with_no_client_auth(),
            (Some(_), None) => {
                return Err(TlsSetupError::Incomplete {
                    given: "client_cert",
                    missing: "client_key",
                });
            }
            (None, Some(_)) => {
                return Err(TlsSetupError::Incomplete {
                    given: "client_key",
                    missing: "client_cert",
                });
            }
            (Some(cert_path), Some(key_path)) => {
                let chain = read_certs("client_cert", cert_path)?;
                let key = read_key(key_path)?;
                builder
                    .with_client_auth_cert(chain, key)
                    .map_err(|e| match e {
                        rustls::Error::InconsistentKeys(_) => TlsSetupError::KeyMismatch {
                            cert_path: cert_path.clone(),
                            key_path: key_path.clone(),
                            reason: e.to_string(),
                        },
                        other => TlsSetupError::BadKey {
                            path: key_path.clone(),
                            reason: other.to_string(),
                        },
                    })?
            }
        };
        let mut description = if opts.insecure_skip_verify {
            "INSECURE: the station's certificate is not verified (insecure_skip_verify)".to_string()
        } else {
            format!("verified against {}", trusted.join(" + "))
        };
        if let Some(n) = &opts.server_name {
            if !opts.insecure_skip_verify {
                description.push_str(&format!(", as {n}"));
            }
        }
        if let Some(c) = &opts.client_cert {
            description.push_str(&format!("; client certificate {}", c.display()));
        }
        Ok(TlsSettings {
            config: Arc::new(config),
            anonymous,
            webpki,
            client_cert: opts.client_cert.is_some(),
            description,
            insecure: opts.insecure_skip_verify,
        })
    }

    /// The same settings described as `description` in reports (for material that has no
    /// file a reader could look at, such as the embedded run's throw-away certificates).
    pub fn described_as(mut self, description: impl Into<String>) -> TlsSettings {
        self.description = description.into();
        self
    }

    /// The same trust without a client certificate (CON-001: the station must refuse it).
    pub fn without_client_cert(&self) -> TlsSettings {
        TlsSettings {
            config: self.anonymous.clone(),
            client_cert: false,
            description: format!("{} (no client certificate, on purpose)", self.description),
            ..self.clone()
        }
    }

    /// True when a client certificate is presented (mutual TLS).
    pub fn has_client_cert(&self) -> bool {
        self.client_cert
    }

    /// Whether `chain` (leaf first) is valid for `host` with the configured trust, whatever
    /// `server_name` says: the Nodo reaches the station by its URL, so the certificate must
    /// name the URL's host. `Ok(false)` when verification is off (`insecure_skip_verify`).
    ///
    /// # Errors
    /// The rustls reason the chain is not valid for `host` (expired, unknown issuer, name…).
    pub fn verify_for_host(
        &self,
        chain: &[CertificateDer<'static>],
        host: &str,
    ) -> Result<bool, rustls::Error> {
        let Some(webpki) = &self.webpki else {
            return Ok(false);
        };
        let Some((leaf, intermediates)) = chain.split_first() else {
            return Err(rustls::Error::NoCertificatesPresented);
        };
        let name = ServerName::try_from(host.to_string())
            .map_err(|_| rustls::Error::General(format!("{host:?} is not a valid server name")))?;
        webpki.verify_server_cert(
            leaf,
            intermediates,
            &name,
            &[],
            rustls::pki_types::UnixTime::now(),
        )?;
        Ok(true)
    }

    /// The rustls configuration.
    pub fn client_config(&self) -> &Arc<ClientConfig> {
        &self.config
    }

    /// One line for the reports: what is trusted, the client certificate, or the insecure
    /// warning.
    pub fn description(&self) -> &str {
        &self.description
    }

    /// True when certificates are not verified (`insecure_skip_verify`).
    pub fn is_insecure(&self) -> bool {
        self.insecure
    }

    /// The system roots only, no client certificate: what an `https://` station gets when
    /// nothing is configured. Built once per process.
    pub fn system_default() -> Result<TlsSettings, String> {
        static DEFAULT: OnceLock<Result<TlsSettings, String>> = OnceLock::new();
        DEFAULT
            .get_or_init(|| TlsSettings::load(&TlsOptions::default()).map_err(|e| e.to_string()))
            .clone()
    }
}

/// The webpki verifier, asked about a fixed name instead of the URL's host (`server_name`).
#[derive(Debug)]
struct FixedNameVerifier {
    inner: Arc<WebPkiServerVerifier>,
    name: ServerName<'static>,
}

impl ServerCertVerifier for FixedNameVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        self.inner
            .verify_server_cert(end_entity, intermediates, &self.name, ocsp_response, now)
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

/// Accepts any certificate, but still checks that the peer holds the certificate's key (the
/// handshake signatures), so the connection is at least to whoever owns that certificate.
#[derive(Debug)]
struct AcceptAnyCertificate {
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for AcceptAnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// Why a TLS connection to the station failed. Serialised in `journal.jsonl`: add variants,
/// never rename them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TlsReason {
    /// The station's certificate is past its `notAfter`.
    Expired,
    /// The station's certificate is before its `notBefore`.
    NotYetValid,
    /// The station's certificate chain does not lead to a trusted CA.
    UnknownIssuer,
    /// The station's certificate does not name the host (or `server_name`).
    NameMismatch,
    /// The station refused the handshake: an alert such as `handshake_failure` or
    /// `protocol_version`, no shared version or cipher suite, or the connection closed
    /// during the handshake.
    HandshakeRefused,
    /// The station refused the Nodo's client certificate, or its absence
    /// (`certificate_required`, `bad_certificate`, `unknown_ca`, …).
    ClientCertRejected,
    /// The station answered something that is not TLS (e.g. plain HTTP on an `https://` URL).
    NotTls,
    /// Any other TLS failure.
    Other,
}

fn when(t: UnixTime) -> String {
    let secs = i64::try_from(t.as_secs()).unwrap_or(i64::MAX / 1000);
    VirtualTime::from_millis(secs.saturating_mul(1000)).to_string()
}

fn describe(err: &rustls::Error) -> (TlsReason, String) {
    use TlsReason as R;
    match err {
        rustls::Error::InvalidCertificate(c) => match c {
            CertificateError::Expired => {
                (R::Expired, "the station's certificate has expired".into())
            }
            CertificateError::ExpiredContext { not_after, time } => (
                R::Expired,
                format!(
                    "the station's certificate expired on {} (checked at {})",
                    when(*not_after),
                    when(*time)
                ),
            ),
            CertificateError::NotValidYet => (
                R::NotYetValid,
                "the station's certificate is not valid yet".into(),
            ),
            CertificateError::NotValidYetContext { not_before, time } => (
                R::NotYetValid,
                format!(
                    "the station's certificate is valid only from {} (checked at {})",
                    when(*not_before),
                    when(*time)
                ),
            ),
            CertificateError::UnknownIssuer => (
                R::UnknownIssuer,
                "the station's certificate is not issued by a trusted CA (unknown issuer)".into(),
            ),
            CertificateError::NotValidForName => (
                R::NameMismatch,
                "the station's certificate is not valid for the host name".into(),
            ),
            CertificateError::NotValidForNameContext {
                expected,
                presented,
            } => (
                R::NameMismatch,
                format!(
                    "certificate not valid for name {} (it names {})",
                    expected.to_str(),
                    if presented.is_empty() {
                        "nothing".to_string()
                    } else {
                        presented.join(", ")
                    }
                ),
            ),
            // webpki's reason arrives wrapped in `Other`; this one is common with
            // hand-made self-signed certificates (openssl's `req -x509` marks them CA:TRUE).
            other if format!("{other:?}").contains("CaUsedAsEndEntity") => (
                R::Other,
                "the station's certificate is a CA certificate (basicConstraints CA:TRUE) used as a server certificate: serve a certificate marked CA:FALSE, issued by that CA or self-signed".into(),
            ),
            other => (
                R::Other,
                format!("the station's certificate was rejected: {other:?}"),
            ),
        },
        rustls::Error::AlertReceived(alert) => {
            let reason = match alert {
                AlertDescription::CertificateRequired
                | AlertDescription::BadCertificate
                | AlertDescription::UnknownCA
                | AlertDescription::CertificateUnknown
                | AlertDescription::UnsupportedCertificate
                | AlertDescription::CertificateRevoked
                | AlertDescription::CertificateExpired
                | AlertDescription::AccessDenied => R::ClientCertRejected,
                _ => R::HandshakeRefused,
            };
            let what = if reason == R::ClientCertRejected {
                "the station rejected the Nodo's client certificate"
            } else {
                "the station refused the handshake"
            };
            (reason, format!("{what} (alert {alert:?})"))
        }
        rustls::Error::InvalidMessage(m) => (
            R::NotTls,
            format!("the station did not answer with TLS ({m:?}); is it plain HTTP?"),
        ),
        rustls::Error::PeerIncompatible(p) => (
            R::HandshakeRefused,
            format!("no TLS version or cipher suite in common with the station ({p:?})"),
        ),
        other => (R::Other, other.to_string()),
    }
}

/// The TLS reason of a failed call, found by walking its error chain down to the rustls
/// error (through `std::io::Error`, whose `source` skips the error it wraps).
pub fn classify(err: &(dyn std::error::Error + 'static)) -> Option<(TlsReason, String)> {
    let mut stack: Vec<&(dyn std::error::Error + 'static)> = vec![err];
    while let Some(e) = stack.pop() {
        if let Some(r) = e.downcast_ref::<rustls::Error>() {
            return Some(describe(r));
        }
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            if let Some(inner) = io.get_ref() {
                stack.push(inner);
                continue;
            }
        }
        if let Some(next) = e.source() {
            stack.push(next);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rustls_error_inside_io_errors_is_found() {
        let inner = rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer);
        let io = std::io::Error::new(std::io::ErrorKind::InvalidData, inner);
        let outer = std::io::Error::other(io);
        let (reason, text) = classify(&outer).unwrap();
        assert_eq!(reason, TlsReason::UnknownIssuer);
        assert!(text.contains("unknown issuer"), "{text}");
        assert!(classify(&std::io::Error::other("plain")).is_none());
    }

    #[test]
    fn expiry_is_dated() {
        let e = rustls::Error::InvalidCertificate(CertificateError::ExpiredContext {
            time: UnixTime::since_unix_epoch(std::time::Duration::from_secs(1_800_000_000)),
            not_after: UnixTime::since_unix_epoch(std::time::Duration::from_secs(1_700_000_000)),
        });
        let (reason, text) = describe(&e);
        assert_eq!(reason, TlsReason::Expired);
        assert!(text.contains("expired on 2023-11-14T22:13:20"), "{text}");
    }

    #[test]
    fn alerts_about_the_client_certificate_blame_it() {
        for (alert, reason) in [
            (
                AlertDescription::CertificateRequired,
                TlsReason::ClientCertRejected,
            ),
            (AlertDescription::UnknownCA, TlsReason::ClientCertRejected),
            (
                AlertDescription::HandshakeFailure,
                TlsReason::HandshakeRefused,
            ),
            (
                AlertDescription::ProtocolVersion,
                TlsReason::HandshakeRefused,
            ),
        ] {
            assert_eq!(describe(&rustls::Error::AlertReceived(alert)).0, reason);
        }
    }

    #[test]
    fn configuration_mistakes_name_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "nothing here\n").unwrap();
        let e = TlsSettings::load(&TlsOptions {
            ca: Some(empty.clone()),
            ..TlsOptions::default()
        })
        .unwrap_err();
        assert!(e.to_string().contains("no certificate found"), "{e}");
        assert!(e.to_string().contains("empty.pem"), "{e}");
        let e = TlsSettings::load(&TlsOptions {
            ca: Some(dir.path().join("missing.pem")),
            ..TlsOptions::default()
        })
        .unwrap_err();
        assert!(
            matches!(e, TlsSetupError::Unreadable { key: "ca", .. }),
            "{e}"
        );
        let e = TlsSettings::load(&TlsOptions {
            ca_only: true,
            ..TlsOptions::default()
        })
        .unwrap_err();
        assert!(matches!(e, TlsSetupError::CaOnlyWithoutCa));
        let e = TlsSettings::load(&TlsOptions {
            client_cert: Some(empty),
            insecure_skip_verify: true,
            ..TlsOptions::default()
        })
        .unwrap_err();
        assert!(matches!(e, TlsSetupError::Incomplete { .. }), "{e}");
    }
}
