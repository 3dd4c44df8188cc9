//! How the Nodo reaches the station under test: TLS, gateway headers, proxy.
//!
//! Built once from the configuration (the harness does it before the first case) and shared
//! by every [`NodoClient`](crate::NodoClient) toward that station, so that every call — cases,
//! receipts, Stand-In probes — goes through the same TLS setup, headers and proxy.

use crate::tls::TlsSettings;
use reqwest::header::{HeaderName, HeaderValue};
use std::fmt;

/// What the journal records instead of a gateway header's value.
pub const REDACTED: &str = "[redacted]";

/// Headers the Nodo sets itself, which a gateway header may not replace.
pub const RESERVED_HEADERS: [&str; 5] = [
    "soapaction",
    "content-type",
    "host",
    "content-length",
    "transfer-encoding",
];

/// A header value that must never be printed: its `Debug` says `[redacted]`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(HeaderValue);

impl Secret {
    /// The value, for the one place that sends it.
    pub fn expose(&self) -> &HeaderValue {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

/// A header sent on every call to the station (an API gateway's subscription key, say).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GatewayHeader {
    /// The header name.
    pub name: HeaderName,
    /// Its value, kept out of every report and of the journal.
    pub value: Secret,
}

/// Why a gateway header is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HeaderError {
    /// Not a valid HTTP header name.
    #[error("header {name:?}: not a valid HTTP header name")]
    InvalidName {
        /// The name as configured.
        name: String,
    },
    /// Not a valid HTTP header value (control characters, a line break…).
    #[error(
        "header {name}: the value is not a valid HTTP header value (control characters or line breaks)"
    )]
    InvalidValue {
        /// The header name.
        name: String,
    },
    /// A header the Nodo sets itself.
    #[error("header {name}: set by the Nodo itself on every call, it cannot be overridden")]
    Reserved {
        /// The header name.
        name: String,
    },
}

impl GatewayHeader {
    /// Check `name` and `value` as HTTP allows them, and refuse the headers the Nodo sets.
    pub fn new(name: &str, value: &str) -> Result<GatewayHeader, HeaderError> {
        let parsed =
            HeaderName::from_bytes(name.as_bytes()).map_err(|_| HeaderError::InvalidName {
                name: name.to_string(),
            })?;
        if RESERVED_HEADERS.contains(&parsed.as_str()) {
            return Err(HeaderError::Reserved {
                name: name.to_string(),
            });
        }
        let mut v = HeaderValue::from_str(value).map_err(|_| HeaderError::InvalidValue {
            name: name.to_string(),
        })?;
        // hyper then keeps it out of its own debug output and HPACK tables.
        v.set_sensitive(true);
        Ok(GatewayHeader {
            name: parsed,
            value: Secret(v),
        })
    }
}

/// Whether the Nodo's calls go through an HTTP proxy.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum ProxyChoice {
    /// Straight to the station, whatever the environment says (the default): an environment
    /// proxy would answer in the station's place (a 502 page, say) and distort the verdicts.
    #[default]
    Direct,
    /// `HTTPS_PROXY` / `HTTP_PROXY` / `NO_PROXY` from the environment.
    Environment,
    /// This proxy for `http://` and `https://` stations (`CONNECT` for https).
    Url(reqwest::Url),
}

/// Why a proxy setting is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("proxy {value:?}: {reason}")]
pub struct ProxyError {
    /// The setting as written.
    pub value: String,
    /// What is wrong with it.
    pub reason: String,
}

impl ProxyChoice {
    /// `"env"` or an `http://host:port` / `https://host:port` URL.
    pub fn parse(value: &str) -> Result<ProxyChoice, ProxyError> {
        if value == "env" {
            return Ok(ProxyChoice::Environment);
        }
        let err = |reason: String| ProxyError {
            value: value.to_string(),
            reason,
        };
        let url = reqwest::Url::parse(value).map_err(|e| {
            err(format!(
                "not a URL ({e}); write \"env\" or e.g. \"http://proxy.example:3128\""
            ))
        })?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(err(format!(
                "unsupported scheme `{}`: only http:// and https:// proxies",
                url.scheme()
            )));
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(err("no host".into()));
        }
        Ok(ProxyChoice::Url(url))
    }
}

/// Everything about reaching the station that is not the request itself.
#[derive(Debug, Clone, Default)]
pub struct Connection {
    /// TLS for `https://` stations; `None`: the system roots, no client certificate.
    pub tls: Option<TlsSettings>,
    /// Headers sent on every call (their values never reach the journal or the reports).
    pub headers: Vec<GatewayHeader>,
    /// The proxy, if any.
    pub proxy: ProxyChoice,
}

impl Connection {
    /// Plain defaults: system roots, no extra header, no proxy.
    pub fn plain() -> Connection {
        Connection::default()
    }

    /// One line for reports about how TLS is set up, `None` for the defaults.
    pub fn tls_mode(&self) -> Option<&str> {
        self.tls.as_ref().map(TlsSettings::description)
    }

    /// True when the station's certificate is not verified.
    pub fn is_insecure(&self) -> bool {
        self.tls.as_ref().is_some_and(TlsSettings::is_insecure)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gateway_headers_are_checked() {
        let h = GatewayHeader::new("Ocp-Apim-Subscription-Key", "s3cret").unwrap();
        assert_eq!(h.name.as_str(), "ocp-apim-subscription-key");
        assert!(!format!("{h:?}").contains("s3cret"));
        assert!(matches!(
            GatewayHeader::new("SOAPAction", "x"),
            Err(HeaderError::Reserved { .. })
        ));
        assert!(matches!(
            GatewayHeader::new("content-type", "x"),
            Err(HeaderError::Reserved { .. })
        ));
        assert!(matches!(
            GatewayHeader::new("bad name", "x"),
            Err(HeaderError::InvalidName { .. })
        ));
        assert!(matches!(
            GatewayHeader::new("X-Key", "a\r\nInjected: 1"),
            Err(HeaderError::InvalidValue { .. })
        ));
    }

    #[test]
    fn proxies_are_checked() {
        assert_eq!(ProxyChoice::parse("env"), Ok(ProxyChoice::Environment));
        assert!(matches!(
            ProxyChoice::parse("http://proxy.example:3128"),
            Ok(ProxyChoice::Url(_))
        ));
        assert!(ProxyChoice::parse("proxy.example:3128").is_err());
        assert!(ProxyChoice::parse("ftp://proxy.example").is_err());
        assert!(ProxyChoice::parse("not a url").is_err());
    }
}
