//! Certificates generated in memory, for tests and the embedded run: nothing is written to the
//! repository, and every run gets fresh keys.
//!
//! [`Throwaway::generate`] makes one coherent set: a test CA, a station certificate it signs for
//! `localhost` and `127.0.0.1`, an expired one and one for the wrong name (both signed by the
//! same CA, so only the property under test is wrong), and for mutual TLS a client CA with a
//! client certificate it signs, plus a client certificate from a CA nobody trusts.

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, date_time_ymd,
};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use std::io;
use std::path::{Path, PathBuf};

/// The names the good station certificate is valid for.
pub const STATION_NAMES: [&str; 2] = ["localhost", "127.0.0.1"];

/// The name the wrong-name station certificate is issued for.
pub const WRONG_NAME: &str = "not-this-station.invalid";

/// A certificate and its private key, as PEM.
#[derive(Debug, Clone)]
pub struct Issued {
    /// The certificate (`-----BEGIN CERTIFICATE-----`), leaf only.
    pub cert_pem: String,
    /// Its private key (PKCS#8, `-----BEGIN PRIVATE KEY-----`).
    pub key_pem: String,
}

impl Issued {
    /// The certificate, DER.
    pub fn cert_der(&self) -> CertificateDer<'static> {
        // Written by rcgen a moment ago: always one valid certificate.
        CertificateDer::from_pem_slice(self.cert_pem.as_bytes())
            .unwrap_or_else(|e| unreachable!("rcgen wrote an unreadable certificate: {e}"))
    }

    /// The private key, DER.
    pub fn key_der(&self) -> PrivateKeyDer<'static> {
        PrivateKeyDer::from_pem_slice(self.key_pem.as_bytes())
            .unwrap_or_else(|e| unreachable!("rcgen wrote an unreadable key: {e}"))
    }

    /// Write `<stem>.crt` and `<stem>.key` into `dir`; returns their paths (certificate, key).
    ///
    /// # Errors
    /// Those of writing the files.
    pub fn write(&self, dir: &Path, stem: &str) -> io::Result<(PathBuf, PathBuf)> {
        let cert = dir.join(format!("{stem}.crt"));
        let key = dir.join(format!("{stem}.key"));
        std::fs::write(&cert, &self.cert_pem)?;
        std::fs::write(&key, &self.key_pem)?;
        Ok((cert, key))
    }
}

/// A whole set of throw-away TLS material. See the module documentation.
#[derive(Debug, Clone)]
pub struct Throwaway {
    /// The CA that signs every station certificate here; a client trusts it to reach the
    /// station.
    pub ca: Issued,
    /// A station certificate for [`STATION_NAMES`], valid from yesterday to a year from now.
    pub station: Issued,
    /// A station certificate for [`STATION_NAMES`] that expired in 2021.
    pub expired: Issued,
    /// A station certificate for [`WRONG_NAME`] only.
    pub wrong_name: Issued,
    /// The CA the station requires client certificates from (mutual TLS).
    pub client_ca: Issued,
    /// A client certificate (CN `collaudo-nodo`) signed by [`Throwaway::client_ca`].
    pub client: Issued,
    /// A client certificate signed by a CA the station does not trust.
    pub untrusted_client: Issued,
}

/// Why certificates could not be generated (rcgen's error; not expected in practice).
#[derive(Debug, thiserror::Error)]
#[error("cannot generate a throw-away certificate: {0}")]
pub struct GenerateError(#[from] rcgen::Error);

struct Ca {
    issued: Issued,
    issuer: Issuer<'static, KeyPair>,
}

fn ca(name: &str) -> Result<Ca, rcgen::Error> {
    let key = KeyPair::generate()?;
    let mut params = CertificateParams::new(Vec::<String>::new())?;
    params.distinguished_name.push(DnType::CommonName, name);
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let cert = params.self_signed(&key)?;
    let issued = Issued {
        cert_pem: cert.pem(),
        key_pem: key.serialize_pem(),
    };
    Ok(Ca {
        issued,
        issuer: Issuer::new(params, key),
    })
}

enum Use {
    Server,
    Client,
}

fn leaf(
    ca: &Ca,
    names: &[&str],
    common_name: &str,
    usage: Use,
    expired: bool,
) -> Result<Issued, rcgen::Error> {
    let key = KeyPair::generate()?;
    let mut params =
        CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>())?;
    params
        .distinguished_name
        .push(DnType::CommonName, common_name);
    params.extended_key_usages = vec![match usage {
        Use::Server => ExtendedKeyUsagePurpose::ServerAuth,
        Use::Client => ExtendedKeyUsagePurpose::ClientAuth,
    }];
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.use_authority_key_identifier_extension = true;
    if expired {
        params.not_before = date_time_ymd(2020, 1, 1);
        params.not_after = date_time_ymd(2021, 1, 1);
    } else {
        // rcgen's defaults run from 1975 to 4096; a real-looking window is kinder to tools
        // that print it, and a day back absorbs clock skew between machines.
        let day = std::time::Duration::from_secs(86_400);
        let since_epoch = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        params.not_before = date_time_ymd(1970, 1, 1) + since_epoch.saturating_sub(day);
        params.not_after = params.not_before + day * 366;
    }
    let cert = params.signed_by(&key, &ca.issuer)?;
    Ok(Issued {
        cert_pem: cert.pem(),
        key_pem: key.serialize_pem(),
    })
}

impl Throwaway {
    /// Generate a fresh set (ECDSA P-256 keys; a few milliseconds).
    ///
    /// # Errors
    /// [`GenerateError`] if rcgen fails, which it does not for these fixed parameters.
    pub fn generate() -> Result<Self, GenerateError> {
        let station_ca = ca("collaudo throw-away station CA")?;
        let client_ca = ca("collaudo throw-away client CA")?;
        let stranger_ca = ca("collaudo untrusted CA")?;
        Ok(Throwaway {
            station: leaf(&station_ca, &STATION_NAMES, "localhost", Use::Server, false)?,
            expired: leaf(&station_ca, &STATION_NAMES, "localhost", Use::Server, true)?,
            wrong_name: leaf(&station_ca, &[WRONG_NAME], WRONG_NAME, Use::Server, false)?,
            client: leaf(&client_ca, &[], "collaudo-nodo", Use::Client, false)?,
            untrusted_client: leaf(&stranger_ca, &[], "collaudo-nodo", Use::Client, false)?,
            ca: station_ca.issued,
            client_ca: client_ca.issued,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_certificate_loads_into_a_server_config() {
        let t = Throwaway::generate().unwrap();
        for issued in [&t.station, &t.expired, &t.wrong_name] {
            crate::server_config_from_pem(&issued.cert_pem, &issued.key_pem, None).unwrap();
        }
        crate::server_config_from_pem(
            &t.station.cert_pem,
            &t.station.key_pem,
            Some(&t.client_ca.cert_pem),
        )
        .unwrap();
        assert!(!t.client.cert_der().is_empty());
        let _ = t.untrusted_client.key_der();
    }
}
