//! PEM files → a rustls server configuration.

use rustls::pki_types::pem::{self, PemObject};
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::WebPkiClientVerifier;
use rustls::sign::{CertifiedKey, SingleCertAndKey};
use rustls::{RootCertStore, ServerConfig};
use std::path::Path;
use std::sync::Arc;

/// Why the TLS material cannot be used. Every variant names its file (or, for in-memory PEM,
/// what the text was meant to be).
#[derive(Debug, thiserror::Error)]
pub enum CertError {
    /// The file cannot be read.
    #[error("cannot read {file}: {source}")]
    Read {
        /// The file.
        file: String,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not well-formed PEM.
    #[error("{file} is not valid PEM: {detail}")]
    Pem {
        /// The file.
        file: String,
        /// What is wrong.
        detail: String,
    },
    /// No `CERTIFICATE` section.
    #[error("no certificate found in {0}")]
    NoCertificate(String),
    /// No `PRIVATE KEY`, `RSA PRIVATE KEY` or `EC PRIVATE KEY` section.
    #[error("no private key found in {0}")]
    NoKey(String),
    /// The key is in the file but rustls cannot use it (unsupported algorithm, damaged).
    #[error("the private key in {file} is not usable: {detail}")]
    BadKey {
        /// The key file.
        file: String,
        /// rustls' reason.
        detail: String,
    },
    /// The key is not the one the (first) certificate was issued for.
    #[error("the key does not match the certificate: {key} is not the key of {cert}")]
    KeyMismatch {
        /// The certificate file.
        cert: String,
        /// The key file.
        key: String,
    },
    /// The client CA file holds no certificate usable as a trust anchor.
    #[error("the client CA in {file} is not usable: {detail}")]
    ClientCa {
        /// The client CA file.
        file: String,
        /// What is wrong.
        detail: String,
    },
}

/// A server configuration from PEM files: `cert` (the certificate chain, leaf first), `key`
/// (its private key: PKCS#8, PKCS#1 or SEC1) and, for mutual TLS, `client_ca`: when given, a
/// client must present a certificate issued by one of the CAs in that file, or the handshake
/// fails. TLS 1.2 and 1.3 only (rustls has nothing older), ALPN `http/1.1`.
///
/// # Errors
/// A [`CertError`] naming the file at fault.
pub fn server_config(
    cert: &Path,
    key: &Path,
    client_ca: Option<&Path>,
) -> Result<Arc<ServerConfig>, CertError> {
    let cert_pem = read(cert)?;
    let key_pem = read(key)?;
    let ca_pem = client_ca.map(read).transpose()?;
    build(
        (&cert.display().to_string(), &cert_pem),
        (&key.display().to_string(), &key_pem),
        client_ca
            .zip(ca_pem.as_deref())
            .map(|(path, pem)| (path.display().to_string(), pem)),
    )
}

/// [`server_config`] from PEM text already in memory (errors call the texts "the certificate
/// PEM", "the key PEM" and "the client CA PEM").
///
/// # Errors
/// As [`server_config`].
pub fn server_config_from_pem(
    cert_pem: &str,
    key_pem: &str,
    client_ca_pem: Option<&str>,
) -> Result<Arc<ServerConfig>, CertError> {
    build(
        ("the certificate PEM", cert_pem.as_bytes()),
        ("the key PEM", key_pem.as_bytes()),
        client_ca_pem.map(|pem| ("the client CA PEM".to_string(), pem.as_bytes())),
    )
}

fn read(path: &Path) -> Result<Vec<u8>, CertError> {
    std::fs::read(path).map_err(|source| CertError::Read {
        file: path.display().to_string(),
        source,
    })
}

fn pem_error(file: &str, e: pem::Error) -> CertError {
    CertError::Pem {
        file: file.to_string(),
        detail: e.to_string(),
    }
}

fn certificates(file: &str, pem: &[u8]) -> Result<Vec<CertificateDer<'static>>, CertError> {
    let certs = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| pem_error(file, e))?;
    if certs.is_empty() {
        return Err(CertError::NoCertificate(file.to_string()));
    }
    Ok(certs)
}

fn build(
    (cert_name, cert_pem): (&str, &[u8]),
    (key_name, key_pem): (&str, &[u8]),
    client_ca: Option<(String, &[u8])>,
) -> Result<Arc<ServerConfig>, CertError> {
    let chain = certificates(cert_name, cert_pem)?;
    let key = match PrivateKeyDer::from_pem_slice(key_pem) {
        Ok(key) => key,
        Err(pem::Error::NoItemsFound) => return Err(CertError::NoKey(key_name.to_string())),
        Err(e) => return Err(pem_error(key_name, e)),
    };
    // Explicitly ring: the process-wide default provider is ambiguous as soon as any crate in
    // the tree enables aws-lc-rs too.
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let signing_key =
        provider
            .key_provider
            .load_private_key(key)
            .map_err(|e| CertError::BadKey {
                file: key_name.to_string(),
                detail: e.to_string(),
            })?;
    let certified = CertifiedKey::new(chain, signing_key);
    if let Err(rustls::Error::InconsistentKeys(rustls::InconsistentKeys::KeyMismatch)) =
        certified.keys_match()
    {
        return Err(CertError::KeyMismatch {
            cert: cert_name.to_string(),
            key: key_name.to_string(),
        });
    }
    let builder = ServerConfig::builder_with_provider(Arc::clone(&provider))
        .with_safe_default_protocol_versions()
        .map_err(|e| CertError::BadKey {
            file: key_name.to_string(),
            detail: e.to_string(),
        })?;
    let builder = match client_ca {
        None => builder.with_no_client_auth(),
        Some((ca_name, ca_pem)) => {
            let mut roots = RootCertStore::empty();
            for ca in certificates(&ca_name, ca_pem)? {
                roots.add(ca).map_err(|e| CertError::ClientCa {
                    file: ca_name.clone(),
                    detail: e.to_string(),
                })?;
            }
            let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
                .build()
                .map_err(|e| CertError::ClientCa {
                    file: ca_name.clone(),
                    detail: e.to_string(),
                })?;
            builder.with_client_cert_verifier(verifier)
        }
    };
    let mut config = builder.with_cert_resolver(Arc::new(SingleCertAndKey::from(certified)));
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}
