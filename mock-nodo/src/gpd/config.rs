//! What a mock GPD needs before the first call: who may call for which organisations, which
//! IBANs are registered, which clock decides dates, and the choices where sources disagree.

use crate::checks::BackOffice;
use crate::clock::{Clock, SystemClock};
use std::collections::BTreeSet;
use std::sync::Arc;

/// One APIM subscription key and the organisations it is enabled for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscriptionKey {
    /// The key, sent as header `Ocp-Apim-Subscription-Key` (or query `subscription-key`).
    pub key: String,
    /// Organisations (EC fiscal codes) it may act for; `None`: every organisation (a broker
    /// key enabled for all its ECs). A call for another organisation is answered 403.
    pub organizations: Option<BTreeSet<String>>,
}

/// What `publish` does when a `validityDate` or a due date has already passed (DOMAIN.md §9.4
/// vs the GPD implementation; §15: the implementation is the default).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PublishTiming {
    /// As GPD's code: 409 when the validity date began before the publish call, or a due date
    /// has passed.
    #[default]
    Implementation,
    /// As DOMAIN.md §9.4 words it: a reached validity date makes the position VALID at once;
    /// due dates are not checked.
    Documented,
}

/// Configuration of a mock GPD.
#[derive(Debug, Clone)]
pub struct GpdConfig {
    /// Accepted keys. Empty: every call is refused with 401.
    pub keys: Vec<SubscriptionKey>,
    /// ECs and their registered IBANs: a transfer's IBAN must be registered for its
    /// beneficiary (the transfer's `organizationFiscalCode`, else the path's organisation).
    pub backoffice: BackOffice,
    /// Whether IBANs are checked against [`backoffice`](Self::backoffice) (default true).
    pub check_iban: bool,
    /// Aux digit put before the IUV to make a NAV when the request has none (default `3`).
    pub aux_digit: char,
    /// See [`PublishTiming`].
    pub publish_timing: PublishTiming,
    /// Largest accepted request body in bytes; a larger one is answered 413.
    pub body_limit: usize,
    /// Scenario clock: every date rule and every time-driven transition reads it.
    pub clock: Arc<dyn Clock>,
    /// Whether calls are kept in memory for [`GpdStore::calls`](super::GpdStore::calls); the
    /// count is kept anyway.
    pub retain_calls: bool,
    /// Timeouts and connection cap of the HTTP server.
    pub limits: collaudo_serve::Limits,
}

impl GpdConfig {
    /// 1 MiB, as the project's other mock servers.
    pub const DEFAULT_BODY_LIMIT: usize = 1024 * 1024;

    /// No keys, an empty back office, IBAN checks on, aux digit 3, the implementation's
    /// publish timing, the default body limit and server limits, calls retained.
    pub fn new(clock: Arc<dyn Clock>) -> Self {
        GpdConfig {
            keys: Vec::new(),
            backoffice: BackOffice::default(),
            check_iban: true,
            aux_digit: '3',
            publish_timing: PublishTiming::default(),
            body_limit: Self::DEFAULT_BODY_LIMIT,
            clock,
            retain_calls: true,
            limits: collaudo_serve::Limits::default(),
        }
    }

    /// One more key, enabled for every organisation.
    pub fn with_key(mut self, key: impl Into<String>) -> Self {
        self.keys.push(SubscriptionKey {
            key: key.into(),
            organizations: None,
        });
        self
    }

    /// One more key, enabled for `organizations` only.
    pub fn with_scoped_key<I, S>(mut self, key: impl Into<String>, organizations: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.keys.push(SubscriptionKey {
            key: key.into(),
            organizations: Some(organizations.into_iter().map(Into::into).collect()),
        });
        self
    }

    /// The same configuration over `backoffice`.
    pub fn with_backoffice(mut self, backoffice: BackOffice) -> Self {
        self.backoffice = backoffice;
        self
    }

    /// The key entry matching `key`.
    pub(super) fn key(&self, key: &[u8]) -> Option<&SubscriptionKey> {
        self.keys.iter().find(|k| k.key.as_bytes() == key)
    }
}

impl Default for GpdConfig {
    /// [`GpdConfig::new`] on the wall clock.
    fn default() -> Self {
        GpdConfig::new(Arc::new(SystemClock))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_scope_organisations() {
        let c = GpdConfig::default()
            .with_key("all")
            .with_scoped_key("one", ["77777777777"]);
        assert!(c.key(b"all").is_some_and(|k| k.organizations.is_none()));
        let one = c.key(b"one").and_then(|k| k.organizations.clone());
        assert_eq!(one.map(|o| o.len()), Some(1));
        assert!(c.key(b"none").is_none());
        assert!(c.check_iban && c.aux_digit == '3');
        assert_eq!(c.publish_timing, PublishTiming::Implementation);
    }
}
