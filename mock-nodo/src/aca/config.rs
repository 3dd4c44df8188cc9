//! What a mock ACA needs to know before the first call: who may call, which ECs exist, which
//! IBANs they have, and which clock stamps the calls.

use crate::checks::BackOffice;
use crate::clock::{Clock, SystemClock};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

/// Configuration of a mock ACA.
#[derive(Debug, Clone)]
pub struct AcaConfig {
    /// Accepted subscription keys, sent as header `Ocp-Apim-Subscription-Key` or query
    /// parameter `subscription-key`. Empty: every call is refused with 401, as APIM refuses a
    /// caller that has no subscription.
    pub subscription_keys: Vec<String>,
    /// ECs that exist (and whether they are enabled, with their company names) and the IBANs
    /// registered for each, the last one being the most recently registered.
    pub backoffice: BackOffice,
    /// EC fiscal code → default Stand-In IBAN configured in the back office (DOMAIN.md §7.5),
    /// used when a request carries neither `iban` nor `postalIban`.
    pub standin_ibans: BTreeMap<String, String>,
    /// Largest accepted request body in bytes; a larger one is answered 413.
    pub body_limit: usize,
    /// Scenario clock: stamps history entries and calls.
    pub clock: Arc<dyn Clock>,
    /// Where to stream every call as one JSON line (created or truncated at start), if
    /// anywhere.
    pub journal_path: Option<PathBuf>,
    /// Whether calls are kept in memory for [`AcaStore::calls`](super::AcaStore::calls).
    /// Turn off for archives of millions of positions, where the log would dwarf the store;
    /// the journal file and [`AcaStore::call_count`](super::AcaStore::call_count) still work.
    pub retain_calls: bool,
    /// Timeouts and connection cap of the HTTP server ([`collaudo_serve::Limits`]): the EC's
    /// back end is code collaudo does not control.
    pub limits: collaudo_serve::Limits,
}

impl AcaConfig {
    /// Default [`body_limit`](Self::body_limit): pagoPA JSON bodies are well under 2 KiB, and
    /// 1 MiB is what the project's other mock servers accept.
    pub const DEFAULT_BODY_LIMIT: usize = 1024 * 1024;

    /// A configuration with no keys, an empty back office, the default body limit, the given
    /// clock, no journal file and calls retained in memory.
    pub fn new(clock: Arc<dyn Clock>) -> Self {
        AcaConfig {
            subscription_keys: Vec::new(),
            backoffice: BackOffice::default(),
            standin_ibans: BTreeMap::new(),
            body_limit: Self::DEFAULT_BODY_LIMIT,
            clock,
            journal_path: None,
            retain_calls: true,
            limits: collaudo_serve::Limits::default(),
        }
    }

    /// The same configuration accepting one more subscription key.
    pub fn with_key(mut self, key: impl Into<String>) -> Self {
        self.subscription_keys.push(key.into());
        self
    }

    /// The same configuration with `ec`'s default Stand-In IBAN set to `iban`.
    pub fn with_standin_iban(mut self, ec: impl Into<String>, iban: impl Into<String>) -> Self {
        self.standin_ibans.insert(ec.into(), iban.into());
        self
    }
}

impl Default for AcaConfig {
    /// [`AcaConfig::new`] on the wall clock.
    fn default() -> Self {
        AcaConfig::new(Arc::new(SystemClock))
    }
}

#[cfg(test)]
mod tests {
    use super::AcaConfig;

    #[test]
    fn defaults_refuse_everyone_and_retain_calls() {
        let config = AcaConfig::default();
        assert!(config.subscription_keys.is_empty());
        assert_eq!(config.body_limit, 1024 * 1024);
        assert!(config.retain_calls && config.journal_path.is_none());
        assert!(!config.clock.is_virtual());
        let config = config
            .with_key("k1")
            .with_standin_iban("77777777777", "IT60X0542811101000000123456");
        assert_eq!(config.subscription_keys, vec!["k1".to_string()]);
        assert_eq!(config.standin_ibans.len(), 1);
    }
}
