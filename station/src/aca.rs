//! Keeping ACA up to date: the `paCreatePosition` calls a sync-integrated EC owes pagoPA
//! (DOMAIN.md §8, §7.4–§7.5; TEST-PLAN.md §4.6).
//!
//! The station loads every position a citizen could pay at start-up, and sends an upsert
//! whenever one is created or its amount changes, and an `amount` of 0 whenever one is
//! cancelled or closed because it was paid outside pagoPA. A receipt paid through pagoPA needs
//! no call: the Nodo issued it and ACA learns it from the platform, not from the EC.
//!
//! This file holds the pure part ([`position_request`], [`closing_request`],
//! [`belongs_in_aca`]) and the HTTP link the station state drives. Failures never stop the
//! station: they are logged and kept for [`StationState::aca_errors`].
//!
//! [`StationState::aca_errors`]: crate::StationState::aca_errors

use crate::config::AcaTarget;
use crate::positions::{FixtureRole, Position, PositionState};
use collaudo_wire::aca::{EntityType, NewDebtPositionRequest};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

/// Calls per ACA update before the failure is recorded as an alert.
const ACA_ATTEMPTS: u32 = 3;

/// Header carrying the subscription key (APIM's `apiKeyHeader` scheme).
pub const KEY_HEADER: &str = "Ocp-Apim-Subscription-Key";

/// Longest `entityFullName` and `description` ACA accepts, in characters.
const MAX_TEXT_CHARS: usize = 255;

/// The debtor identifier ACA gets for an anonymous debtor: the value pagoPA uses for one in
/// SOAP (`ANONIMO`), which also meets ACA's two-character minimum.
const ANONYMOUS: &str = "ANONIMO";

/// How long one ACA call may take. ACA answers in well under a second; a station whose ACA is
/// unreachable must still start within seconds, since calls are sent one after the other.
const CALL_TIMEOUT: Duration = Duration::from_secs(5);

/// How long to wait for the TCP connection, shorter than [`CALL_TIMEOUT`] so that an address
/// that drops packets fails fast.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);

/// How much of an error answer's body goes into an error message.
const MAX_ERROR_BODY_CHARS: usize = 300;

/// Whether ACA should hold `position` as payable: open or activated, and not the `unknown`
/// fixture (which the store never holds anyway). Paid, cancelled and expired positions are not
/// loaded.
pub fn belongs_in_aca(position: &Position) -> bool {
    matches!(
        position.state,
        PositionState::Open | PositionState::Activated { .. }
    ) && position.role != Some(FixtureRole::Unknown)
}

/// The upsert that makes ACA hold `position` as it is now.
///
/// * `paFiscalCode` is the position's EC, and `amount` its total in cents, even with several
///   beneficiaries: ACA holds one amount and pays it to the creating EC (DOMAIN.md §7.5).
/// * The debtor becomes `entityType`/`entityFiscalCode`/`entityFullName`; an anonymous debtor
///   (`ANONIMO`, or an identifier too short for ACA) is sent as `F` / `ANONIMO`.
/// * `nav` is the notice number; `expirationDate` the end of the due date (UTC), and
///   `switchToExpired` whether that date is binding.
/// * `iban` and `postalIban` are omitted, so ACA credits the EC's Stand-In IBAN from the back
///   office, the one account that is right for every position.
/// * `payStandIn` is false only for the `no-stand-in` fixture.
///
/// Texts over 255 characters are cut to 255; empty ones get a stand-in text, since ACA
/// requires at least one character.
pub fn position_request(position: &Position) -> NewDebtPositionRequest {
    let debtor = &position.debtor;
    let anonymous = debtor.entity_value.eq_ignore_ascii_case(ANONYMOUS)
        || debtor.entity_value.trim().chars().count() < 2;
    let (entity_type, entity_fiscal_code) = if anonymous {
        (EntityType::F, ANONYMOUS.to_string())
    } else {
        let entity_type = match debtor.entity_type {
            collaudo_wire::EntityType::F => EntityType::F,
            collaudo_wire::EntityType::G => EntityType::G,
        };
        (entity_type, debtor.entity_value.clone())
    };
    let full_name = non_empty(&debtor.full_name, &entity_fiscal_code);
    let description = non_empty(
        &position.description,
        &format!("Avviso {}", position.notice_number.as_str()),
    );
    NewDebtPositionRequest {
        pa_fiscal_code: position.fiscal_code.clone(),
        entity_type,
        entity_fiscal_code,
        entity_full_name: full_name,
        iuv: position.iuv.clone(),
        nav: Some(position.notice_number.as_str().to_string()),
        // Amounts never exceed Amount::MAX_CENTS, far below i64::MAX; saturating keeps the
        // conversion total, and ACA would refuse such an amount with a recorded 400.
        amount: i64::try_from(position.amount.cents()).unwrap_or(i64::MAX),
        description,
        expiration_date: expiration_date(&position.due_date),
        iban: None,
        postal_iban: None,
        switch_to_expired: position.due_date_binding,
        pay_stand_in: position.role != Some(FixtureRole::NoStandIn),
    }
}

/// The call that cancels `position` in ACA, or closes it as paid outside pagoPA: the same data
/// with `amount` 0, the only way ACA offers (DOMAIN.md §8).
pub fn closing_request(position: &Position) -> NewDebtPositionRequest {
    NewDebtPositionRequest {
        amount: 0,
        ..position_request(position)
    }
}

/// `YYYY-MM-DD` → the last second of that day, UTC. The station compares due dates in UTC too
/// (see `date::today`), so ACA and the station expire a position at the same moment.
fn expiration_date(due_date: &str) -> String {
    format!("{due_date}T23:59:59Z")
}

/// `text` cut to [`MAX_TEXT_CHARS`] characters, or `fallback` (cut the same way) when blank.
fn non_empty(text: &str, fallback: &str) -> String {
    let source = if text.trim().is_empty() {
        fallback
    } else {
        text
    };
    source.chars().take(MAX_TEXT_CHARS).collect()
}

/// The station's side of ACA: the HTTP client (absent when no ACA is configured or the client
/// could not be built), the lock that keeps calls in the order the store changed, and the
/// failures so far.
#[derive(Debug, Default)]
pub(crate) struct AcaLink {
    client: Option<AcaClient>,
    /// Held from a store change to the end of its ACA call, so that ACA sees the changes of
    /// one position in the order the station made them (ACA keeps the last call it gets).
    order: tokio::sync::Mutex<()>,
    errors: Mutex<Vec<String>>,
    /// Notices created while answering a SOAP request (paDemandPaymentNotice), to register
    /// before the answer leaves: the handler is synchronous and does no I/O.
    pending: Mutex<Vec<String>>,
}

#[derive(Debug)]
struct AcaClient {
    http: reqwest::Client,
    target: AcaTarget,
}

/// A TLS configuration that trusts nothing, for clients that only speak plain HTTP: reqwest
/// wants one, and an empty one costs nothing to build.
pub(crate) fn plain_http_tls() -> &'static rustls::ClientConfig {
    static CONFIG: std::sync::OnceLock<rustls::ClientConfig> = std::sync::OnceLock::new();
    CONFIG.get_or_init(|| {
        rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .expect("the ring provider supports the default TLS versions")
        .with_root_certificates(rustls::RootCertStore::empty())
        .with_no_client_auth()
    })
}

impl AcaLink {
    /// A link to `target`; `None` gives a link that never calls anything. A client that
    /// cannot be built is recorded as the first error and leaves the link inert.
    pub(crate) fn new(target: Option<&AcaTarget>) -> AcaLink {
        let link = AcaLink::default();
        let Some(target) = target else {
            return link;
        };
        // reqwest has no TLS provider of its own in this workspace (rustls with ring is chosen
        // by the mock Nodo, and Cargo unifies the feature): a client built without a process
        // default panics. An error only means one is installed already.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let mut builder = reqwest::Client::builder()
            .timeout(CALL_TIMEOUT)
            .connect_timeout(CONNECT_TIMEOUT);
        if target.url.starts_with("http://") {
            // A plain-http ACA (the mock ACA) needs no trust store, and building reqwest's
            // default one reads the system's certificates each time: 100 ms over the 11 Stand-In
            // and ACA cases of an embedded run, which starts a station per case.
            builder = builder.tls_backend_preconfigured(plain_http_tls().clone());
        }
        let built = builder.build();
        match built {
            Ok(http) => AcaLink {
                client: Some(AcaClient {
                    http,
                    target: target.clone(),
                }),
                ..link
            },
            Err(e) => {
                link.record(format!("cannot build the ACA client: {e}"));
                link
            }
        }
    }

    /// Whether there is an ACA to call.
    pub(crate) fn is_enabled(&self) -> bool {
        self.client.is_some()
    }

    /// Wait for the calls already under way, and keep others out until the guard drops.
    pub(crate) async fn order(&self) -> tokio::sync::MutexGuard<'_, ()> {
        self.order.lock().await
    }

    /// Send one `paCreatePosition`; a failure is logged and recorded, never returned, since
    /// the EC archive change it follows has already happened.
    pub(crate) async fn send(&self, request: &NewDebtPositionRequest) {
        let Some(client) = &self.client else {
            return;
        };
        let nav = request.nav.as_deref().unwrap_or(request.iuv.as_str());
        // A conforming EC does not drop an update because ACA hiccuped (ACA-007): transient
        // failures (no answer, 5xx, 408, 429) are retried a few times with a short backoff;
        // a refusal (401, 403, 409, 422...) is recorded as an alert at once.
        let mut result = client.post(request).await;
        for attempt in 1..ACA_ATTEMPTS {
            match &result {
                Err((_, true)) => {
                    tokio::time::sleep(client.target.retry_backoff * attempt).await;
                    result = client.post(request).await;
                }
                _ => break,
            }
        }
        match result.map_err(|(why, _)| why) {
            Ok(()) => tracing::debug!(
                notice = nav,
                amount_cents = request.amount,
                "paCreatePosition accepted"
            ),
            Err(why) => self.record(format!(
                "paCreatePosition for notice {nav} (EC {}, amount {} cents): {why}",
                request.pa_fiscal_code, request.amount
            )),
        }
    }

    pub(crate) fn record(&self, message: String) {
        tracing::warn!(error = %message, "ACA not updated");
        self.errors
            .lock()
            // A poisoned list still holds whole messages; losing them would hide failures.
            .unwrap_or_else(PoisonError::into_inner)
            .push(message);
    }

    pub(crate) fn errors(&self) -> Vec<String> {
        self.errors
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Remember a notice to register at the next flush.
    pub(crate) fn defer(&self, notice: String) {
        self.pending
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(notice);
    }

    /// Whether some deferred notice is not registered yet. It stays true while a flush is
    /// sending it (see [`done_pending`](Self::done_pending)), so a request that deferred a
    /// notice and finds another flush at work waits for it instead of answering early.
    pub(crate) fn has_pending(&self) -> bool {
        !self
            .pending
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .is_empty()
    }

    /// The notices deferred so far, oldest first, left in the list until
    /// [`done_pending`](Self::done_pending).
    pub(crate) fn pending(&self) -> Vec<String> {
        self.pending
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Drop the first `n` deferred notices, once sent. Only a flush removes entries, under the
    /// order lock, and deferring only appends, so the first `n` are the ones it sent.
    pub(crate) fn done_pending(&self, n: usize) {
        let mut pending = self.pending.lock().unwrap_or_else(PoisonError::into_inner);
        let n = n.min(pending.len());
        pending.drain(..n);
    }
}

impl AcaClient {
    /// One call; the error says whether a retry may help.
    async fn post(&self, request: &NewDebtPositionRequest) -> Result<(), (String, bool)> {
        let body =
            serde_json::to_vec(request).map_err(|e| (format!("cannot serialise: {e}"), false))?;
        let response = self
            .http
            .post(&self.target.url)
            .header(KEY_HEADER, &self.target.subscription_key)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .map_err(|e| (format!("not delivered to {}: {e}", self.target.url), true))?;
        let status = response.status();
        if status.is_success() {
            return Ok(());
        }
        let retryable = status.is_server_error() || matches!(status.as_u16(), 408 | 429);
        // The ProblemJson detail says why; an unreadable body still leaves the status.
        let text = response.text().await.unwrap_or_default();
        let excerpt: String = text.chars().take(MAX_ERROR_BODY_CHARS).collect();
        Err((format!("HTTP {}: {excerpt}", status.as_u16()), retryable))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::StationConfig;
    use crate::positions::{Issuer, demand_position};
    use crate::state::StationState;
    use collaudo_wire::Amount;

    fn state() -> StationState {
        match StationState::new(StationConfig::default()) {
            Ok(s) => s,
            Err(e) => panic!("station: {e}"),
        }
    }

    fn position(st: &StationState, role: FixtureRole) -> Position {
        let notice = st.fixtures().notice(role).unwrap_or_default();
        match st.positions().get(notice) {
            Some(p) => p,
            None => panic!("{role} not in the store"),
        }
    }

    #[test]
    fn a_payable_position_fills_every_field() {
        let st = state();
        let p = position(&st, FixtureRole::Payable);
        let r = position_request(&p);
        assert_eq!(r.pa_fiscal_code, "77777777777");
        assert_eq!(r.entity_type, EntityType::F);
        assert_eq!(r.entity_fiscal_code, p.debtor.entity_value);
        assert_eq!(r.entity_fiscal_code.len(), 16);
        assert_eq!(r.entity_full_name, p.debtor.full_name);
        assert_eq!(r.iuv, p.iuv);
        assert_eq!(r.nav.as_deref(), Some(p.notice_number.as_str()));
        assert_eq!(r.nav_or_default().len(), 18);
        assert_eq!(r.amount, 15_000);
        assert_eq!(r.description, "TARI 2025 - rata unica");
        assert_eq!(r.expiration_date, "2099-12-31T23:59:59Z");
        assert_eq!(r.iban, None);
        assert_eq!(r.postal_iban, None);
        assert!(!r.switch_to_expired);
        assert!(r.pay_stand_in);
        assert!(r.validate().is_empty(), "{:?}", r.validate());
        assert!(belongs_in_aca(&p));
        let json = serde_json::to_value(&r).unwrap_or_default();
        assert!(json.get("iban").is_none() && json.get("postalIban").is_none());
        assert_eq!(json.get("payStandIn"), Some(&serde_json::Value::Bool(true)));
    }

    #[test]
    fn multi_beneficiary_positions_send_the_total_for_the_creating_ec() {
        let st = state();
        for role in [
            FixtureRole::MultiBeneficiary,
            FixtureRole::MultiBeneficiary5,
        ] {
            let p = position(&st, role);
            let r = position_request(&p);
            let total = match role {
                FixtureRole::MultiBeneficiary => 20_000 + 7_000 + 3_000,
                _ => 12_000 + 8_000 + 10_000 + 15_000 + 5_000,
            };
            assert_eq!(r.amount, total, "{role}");
            assert_eq!(
                u64::try_from(r.amount).ok(),
                Some(p.transfers_sum().cents())
            );
            assert_eq!(r.pa_fiscal_code, p.fiscal_code);
            assert!(r.iban.is_none());
            assert!(r.validate().is_empty());
        }
    }

    #[test]
    fn expired_keeps_its_past_date_and_switches_to_expired() {
        let st = state();
        let p = position(&st, FixtureRole::Expired);
        let r = position_request(&p);
        assert_eq!(r.expiration_date, "2024-01-31T23:59:59Z");
        assert!(r.switch_to_expired);
        assert!(r.pay_stand_in);
        assert!(r.validate().is_empty());
        assert!(belongs_in_aca(&p), "still open in the store until verified");
    }

    #[test]
    fn no_stand_in_is_the_only_position_excluded_from_stand_in() {
        let st = state();
        for p in st.positions().all() {
            let r = position_request(&p);
            assert_eq!(
                r.pay_stand_in,
                p.role != Some(FixtureRole::NoStandIn),
                "{:?}",
                p.role
            );
        }
        assert!(belongs_in_aca(&position(&st, FixtureRole::NoStandIn)));
    }

    #[test]
    fn only_open_and_activated_positions_belong_in_aca() {
        let st = state();
        let held: Vec<_> = st
            .positions()
            .all()
            .into_iter()
            .filter(belongs_in_aca)
            .filter_map(|p| p.role)
            .collect();
        for role in [
            FixtureRole::Paid,
            FixtureRole::Cancelled,
            FixtureRole::Unknown,
        ] {
            assert!(!held.contains(&role), "{role}");
        }
        assert!(held.contains(&FixtureRole::InProgress));
        assert_eq!(held.len(), FixtureRole::ALL.len() - 3);
    }

    #[test]
    fn an_anonymous_debtor_is_sent_as_a_natural_person() {
        let st = state();
        let issuer = Issuer {
            fiscal_code: &st.config().id_pa,
            company_name: &st.config().company_name,
            back_office: st.back_office(),
        };
        let Ok(mut p) = demand_position(&issuer, 1_000_123, Amount::from_cents(2_500), "") else {
            panic!("demand position");
        };
        let r = position_request(&p);
        assert_eq!(r.entity_type, EntityType::F);
        assert_eq!(r.entity_fiscal_code, "ANONIMO");
        assert_eq!(r.entity_full_name, "Pagatore spontaneo");
        assert!(r.description.starts_with("Avviso 3"), "{}", r.description);
        assert!(r.validate().is_empty(), "{:?}", r.validate());
        // A legal-person debtor with a one-character identifier is anonymous too.
        p.debtor.entity_type = collaudo_wire::EntityType::G;
        p.debtor.entity_value = "X".to_string();
        p.debtor.full_name = String::new();
        let r = position_request(&p);
        assert_eq!(
            (r.entity_type, r.entity_fiscal_code.as_str()),
            (EntityType::F, "ANONIMO")
        );
        assert_eq!(r.entity_full_name, "ANONIMO");
        // A legal person keeps its type.
        p.debtor.entity_value = "01234567890".to_string();
        assert_eq!(position_request(&p).entity_type, EntityType::G);
    }

    #[test]
    fn long_texts_are_cut_and_closing_sends_zero() {
        let st = state();
        let mut p = position(&st, FixtureRole::Payable);
        p.description = "è".repeat(300);
        p.debtor.full_name = "n".repeat(256);
        let r = position_request(&p);
        assert_eq!(r.description.chars().count(), 255);
        assert_eq!(r.entity_full_name.chars().count(), 255);
        assert!(r.validate().is_empty());
        let c = closing_request(&p);
        assert_eq!(c.amount, 0);
        assert!(c.is_cancellation());
        assert_eq!(
            NewDebtPositionRequest {
                amount: r.amount,
                ..c
            },
            r
        );
    }

    #[tokio::test]
    async fn an_unconfigured_link_sends_nothing_and_an_unreachable_aca_is_recorded() {
        let st = state();
        let p = position(&st, FixtureRole::Payable);
        let none = AcaLink::new(None);
        assert!(!none.is_enabled());
        none.send(&position_request(&p)).await;
        assert!(none.errors().is_empty());
        // A port just released: nothing listens there, so the connection is refused at once.
        let port = match std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()) {
            Ok(addr) => addr.port(),
            Err(e) => panic!("bind: {e}"),
        };
        let target = AcaTarget::new(
            format!("http://127.0.0.1:{port}/aca/v1/paCreatePosition"),
            "k",
        );
        let link = AcaLink::new(Some(&target));
        assert!(link.is_enabled());
        link.send(&position_request(&p)).await;
        let errors = link.errors();
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(errors[0].contains(p.notice_number.as_str()), "{errors:?}");
        assert!(errors[0].contains("15000 cents"), "{errors:?}");
    }
}
