//! The scenario format (documented in `docs/scenarios.md`).
//!
//! Plain structs with `deny_unknown_fields`: a misspelt key in a conformance test would
//! silently weaken it, so it is an error with a "did you mean". No `untagged` or `flatten`,
//! so every error keeps its source position.

use serde::Deserialize;
use std::collections::BTreeMap;
use toml::Spanned;

/// One scenario file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// collaudo's id, e.g. `VRF-001` (TEST-PLAN.md §3 scheme).
    pub id: Spanned<String>,
    /// PagoPA's official test id this case gives evidence for (`EC-PSP-01`...), if any.
    #[serde(default)]
    pub official: Option<Spanned<String>>,
    /// One-line title.
    pub title: String,
    /// What the case proves and why (free text).
    #[serde(default)]
    pub description: Option<String>,
    /// `OBB` (mandatory), `OSP` (mandatory if the EC uses the feature) or `DEMO` (a simulator
    /// demonstration: passes whatever the station does, so it is shown apart and never counted
    /// as evidence).
    #[serde(default)]
    pub class: Option<Spanned<String>>,
    /// `COL`, `PRE` or `BOTH`.
    #[serde(default)]
    pub phase: Option<Spanned<String>>,
    /// Free tags used by `--only`.
    #[serde(default)]
    pub tags: Vec<String>,
    /// The public documents the case relies on, in the short forms of docs/scenarios.md.
    #[serde(default)]
    pub sources: Vec<String>,
    /// Fixture roles the case needs; when one is not configured the case is skipped.
    #[serde(default)]
    pub requires: Vec<Spanned<String>>,
    /// The steps, in order.
    #[serde(rename = "step", default)]
    pub steps: Vec<Step>,
}

/// One step: at most one call (or action), with its expectations.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// Human name shown in reports.
    #[serde(default)]
    pub name: Option<String>,
    /// The primitive to call on the station.
    #[serde(default)]
    pub call: Option<Spanned<String>>,
    /// Primitive version for `activate` / `send-rt` (1 or 2); default from configuration.
    #[serde(default)]
    pub version: Option<Spanned<u8>>,
    /// Notice to use: a fixture role name (`payable`) or a literal 18-digit notice number.
    #[serde(default)]
    pub notice: Option<Spanned<String>>,
    /// Replace the Nodo's identities in the request (wrong idPA/idBrokerPA/idStation tests).
    #[serde(default)]
    pub caller: Option<CallerOverride>,
    /// `transferType` for activation (`POSTAL`, `PAGOPA`).
    #[serde(default)]
    pub transfer_type: Option<Spanned<String>>,
    /// How to send SOAPAction: `quoted` (default, as the Nodo does), `unquoted`, `none`.
    #[serde(default)]
    pub soap_action: Option<Spanned<String>>,
    /// Namespace prefixes of the request: `canonical` (`soapenv:`/`pafn:`, the default),
    /// `jax-ws` (`S:`/`ns2:`) or `default-ns` (the paForNode namespace as the wrapper's default
    /// namespace). A station must read any of them: XML namespaces are compared by URI.
    #[serde(default)]
    pub prefixes: Option<Spanned<String>>,
    /// Send a deliberately broken request body: `truncate`, `garbage`, `wrong-namespace`.
    #[serde(default)]
    pub corrupt_request: Option<Spanned<String>>,
    /// Fault injected on the Nodo→station path for this call.
    #[serde(default)]
    pub fault: Option<FaultSpec>,
    /// Repeat the call this many times (SLA measurements).
    #[serde(default)]
    pub repeat: Option<Spanned<u32>>,
    /// An action on the EC's back office instead of a call: `change-amount`, `cancel-position`.
    #[serde(default)]
    pub action: Option<Spanned<String>>,
    /// For `change-amount`: cents added to the current amount.
    #[serde(default)]
    pub amount_delta_cents: Option<i64>,
    /// Advance the virtual clock (e.g. `"1h"`, `"30m"`).
    #[serde(default)]
    pub advance: Option<Spanned<String>>,
    /// For `demand`: `idServizio`, `idSoggettoServizio` and the service data (plain XML, base64-encoded by collaudo).
    #[serde(default)]
    pub demand: Option<DemandSpec>,
    /// For `send-rt`: deliver with the Nodo's retry schedule, outages and broadcast.
    #[serde(default)]
    pub delivery: Option<DeliverySpec>,
    /// For `send-rt`: build the receipt from the earlier `activation` (default) or, for a
    /// receipt on a notice this run never activated (as after Stand-In), from the `verify`.
    #[serde(default)]
    pub receipt_from: Option<Spanned<String>>,
    /// For `send-rt`: mark the receipt `standIn=true`.
    #[serde(default)]
    pub stand_in: Option<bool>,
    /// For `outage` / `recover`: how long (virtual time), e.g. `"35m"`.
    #[serde(default)]
    pub duration: Option<Spanned<String>>,
    /// For `outage`: the station's verify/activate requests per 5-minute slot.
    #[serde(default)]
    pub requests_per_slot: Option<Spanned<u32>>,
    /// For `outage`: the share of those requests that fail with `fault`, in percent (default 100).
    #[serde(default)]
    pub failing_percent: Option<Spanned<u32>>,
    /// For `outage` / `recover`: the Nodo's total payment traffic per 5-minute slot, all
    /// stations included (the Stand-In threshold is a share of it).
    #[serde(default)]
    pub nodo_traffic_per_slot: Option<Spanned<u64>>,
    /// For `aca-fault`: the HTTP status the mock ACA answers (401, 409, 422, 500, 502, 503)…
    #[serde(default)]
    pub aca_fault_status: Option<Spanned<u16>>,
    /// …to this many of the EC's next paCreatePosition calls (default 1).
    #[serde(default)]
    pub aca_fault_count: Option<Spanned<u32>>,
    /// Move the virtual clock forward to this Italian local time (`"23:30"`) before the step,
    /// for day/night Stand-In thresholds.
    #[serde(default)]
    pub at_local_time: Option<Spanned<String>>,
    /// For `tls-legacy`: the only version the ClientHello offers, `1.0` or `1.1`.
    #[serde(default)]
    pub tls_version: Option<Spanned<String>>,
    /// Expectations on the exchange.
    #[serde(default)]
    pub expect: Expect,
    /// Values to keep for later steps: name → field path in the response (e.g. `data/creditorReferenceId`).
    #[serde(default)]
    pub capture: BTreeMap<String, Spanned<String>>,
}

/// Overrides of the Nodo's identities.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CallerOverride {
    /// `idPA`.
    #[serde(default)]
    pub id_pa: Option<String>,
    /// `idBrokerPA`.
    #[serde(default)]
    pub id_broker_pa: Option<String>,
    /// `idStation`.
    #[serde(default)]
    pub id_station: Option<String>,
}

/// A fault on the Nodo→station path.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultSpec {
    /// `latency`, `timeout`, `refuse`, `corrupt`, `http-status`.
    pub kind: Spanned<String>,
    /// For `latency`: how long (virtual time).
    #[serde(default)]
    pub duration: Option<Spanned<String>>,
    /// For `corrupt`: `truncate`, `garbage`, `empty`, `invalid-utf8`.
    #[serde(default)]
    pub how: Option<Spanned<String>>,
    /// For `http-status`: the status that replaces the station's.
    #[serde(default)]
    pub status: Option<Spanned<u16>>,
}

/// How a receipt is delivered (DOMAIN.md §6).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeliverySpec {
    /// The primary station fails its first N attempts.
    #[serde(default)]
    pub down_attempts: Option<Spanned<u32>>,
    /// The primary station fails for this virtual time span from the first attempt (`"10h"`).
    #[serde(default)]
    pub down_for: Option<Spanned<String>>,
    /// The primary station never recovers.
    #[serde(default)]
    pub down_always: bool,
    /// How it fails. Outages, which never deliver the receipt: `refuse`, `timeout`,
    /// `http-500`, `garbage`, `ko` (default `refuse`). Lost answers, where the station
    /// processed the receipt and the Nodo does not know: `answer-lost-500`,
    /// `answer-lost-timeout`.
    #[serde(default)]
    pub fault: Option<Spanned<String>>,
    /// Also deliver to the broadcast stations of the receipt's beneficiary ECs.
    #[serde(default)]
    pub broadcast: bool,
    /// Which broadcast station is down (by EC fiscal code), with the same outage fields.
    #[serde(default)]
    pub broadcast_down_attempts: Option<u32>,
    /// Deliver the same receipt this many times in a row (duplicate deliveries; default 1).
    #[serde(default)]
    pub times: Option<Spanned<u32>>,
    /// Override the configured number of attempts.
    #[serde(default)]
    pub max_attempts: Option<Spanned<u32>>,
}

/// A paDemandPaymentNotice request.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DemandSpec {
    /// `idServizio` (5 characters); default from configuration.
    #[serde(default)]
    pub id_servizio: Option<Spanned<String>>,
    /// `idSoggettoServizio` (5 characters); default from configuration.
    #[serde(default)]
    pub id_soggetto_servizio: Option<Spanned<String>>,
    /// Service-specific XML, sent base64-encoded; default from configuration.
    #[serde(default)]
    pub service_data: Option<String>,
    /// Send this text as is in `datiSpecificiServizioRequest` (for invalid-base64 tests).
    #[serde(default)]
    pub raw_service_data: Option<String>,
}

/// What must be true of the exchange(s) of a step.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    /// What the Nodo would conclude: `OK`, `KO` (any valid EC KO), or a PPT code
    /// (`PPT_STAZIONE_INT_PA_TIMEOUT`...). Default: `OK` or a valid KO, never a PPT_* outcome.
    #[serde(default)]
    pub nodo: Option<Spanned<String>>,
    /// Fault codes accepted for a KO; the first is the preferred one, the others pass with a warning.
    #[serde(default)]
    pub fault_code: Vec<Spanned<String>>,
    /// Fault codes that fail the step if answered.
    #[serde(default)]
    pub not_fault_code: Vec<Spanned<String>>,
    /// Field values: path relative to the response element → expected text (`${name}` uses a capture).
    #[serde(default)]
    pub fields: BTreeMap<String, Spanned<String>>,
    /// Named checks beyond the Nodo's (see `docs/scenarios.md`).
    #[serde(default)]
    pub checks: Vec<Spanned<String>>,
    /// The test-plan row of this case requires HTTP 200 (FLT-001, VRF-007, SIN-001): another
    /// status fails the step. Elsewhere the status of an answer is a warning (the Nodo reads the
    /// body), and the Content-Type always is (docs/checks.md).
    #[serde(default)]
    pub require_http_200: bool,
    /// Over the repeated calls: at least 98% must answer within this many milliseconds.
    #[serde(default)]
    pub p98_ms: Option<u64>,
    /// No call may take longer than this many milliseconds.
    #[serde(default)]
    pub max_ms: Option<u64>,
    /// For deliveries: every recipient eventually accepts (true) or the receipt gets stuck (false).
    #[serde(default)]
    pub delivered: Option<bool>,
    /// For deliveries: how many attempts the primary station took (the last delivery when `times` > 1).
    #[serde(default)]
    pub attempts: Option<u32>,
    /// Whether the station is in Stand-In after the step.
    #[serde(default)]
    pub standin: Option<bool>,
    /// For `aca`: the status of the notice's ACA position (`VALID`, `INVALID`, `PAID`,
    /// `EXPIRED`, or `absent`).
    #[serde(default)]
    pub aca_status: Option<Spanned<String>>,
    /// For `aca`: the stored amount (`"30.00"`, `${capture}` and `A+B` allowed).
    #[serde(default)]
    pub aca_amount: Option<Spanned<String>>,
    /// For `aca`: the history of the position, oldest first (`created`, `updated`, `cancelled`).
    #[serde(default)]
    pub aca_history: Vec<Spanned<String>>,
    /// For `aca`: the stored `payStandIn`.
    #[serde(default)]
    pub aca_pay_stand_in: Option<bool>,
    /// For `aca`: the EC that created the position (`paFiscalCode`).
    #[serde(default)]
    pub aca_pa_fiscal_code: Option<String>,
}

/// The calls a step can make.
pub const CALLS: &[&str] = &[
    "verify",
    "activate",
    "send-rt",
    "demand",
    "probe",
    "outage",
    "recover",
    "aca",
    "aca-consistency",
    "aca-fault",
    "tls-handshake",
    "tls-legacy",
    "tls-without-client-cert",
];
/// The calls that look at the station's TLS endpoint itself (CON-001): they need an
/// `https://` station.
pub const TLS_CALLS: &[&str] = &["tls-handshake", "tls-legacy", "tls-without-client-cert"];
/// The legacy TLS versions `tls-legacy` can offer.
pub const LEGACY_TLS_VERSIONS: &[&str] = &["1.0", "1.1"];
/// ACA position statuses a scenario can expect.
pub const ACA_STATUSES: &[&str] = &["VALID", "INVALID", "PAID", "EXPIRED", "absent"];
/// The EC actions a step can request.
pub const ACTIONS: &[&str] = &["change-amount", "cancel-position", "close-position"];
/// Fault kinds.
pub const FAULT_KINDS: &[&str] = &["latency", "timeout", "refuse", "corrupt", "http-status"];
/// Corruptions.
pub const CORRUPTIONS: &[&str] = &["truncate", "garbage", "empty", "invalid-utf8"];
/// How a station fails a receipt delivery.
pub const DELIVERY_FAULTS: &[&str] = &[
    "refuse",
    "timeout",
    "http-500",
    "garbage",
    "ko",
    "answer-lost-500",
    "answer-lost-timeout",
];
/// Receipt sources.
pub const RECEIPT_SOURCES: &[&str] = &["activation", "verify"];
/// Request corruptions.
pub const REQUEST_CORRUPTIONS: &[&str] = &["truncate", "garbage", "wrong-namespace"];
/// SOAPAction styles.
pub const SOAP_ACTIONS: &[&str] = &["quoted", "unquoted", "none"];
/// Request prefix styles.
pub const PREFIXES: &[&str] = &["canonical", "jax-ws", "default-ns"];
/// Named checks.
pub const CHECKS: &[&str] = &[
    "fault-bean-complete",
    "iuv-matches-notice",
    "notice-number-valid",
    "allccp-consistent",
    "stamp-present",
    "multi-beneficiary",
    "receipt-booked-once",
    "receipt-not-booked",
    "receipt-stand-in",
];
/// Areas of the id scheme (TEST-PLAN.md §3).
pub const AREAS: &[&str] = &[
    "VRF", "ACT", "RT", "DEM", "FLT", "IUV", "ACA", "SIN", "GPD", "FDR", "CON", "SLA",
];
/// PagoPA's official ids known from public sources (TEST-PLAN.md §2).
pub const OFFICIAL_IDS: &[&str] = &["EC-PSP-01", "EC-PSP-02", "EC-PSP-02M", "EC-PSP-04"];

impl Scenario {
    /// The configuration sections (beyond fixture roles) an external station's run needs for
    /// this case, e.g. `aca`, `[[broadcast]]`, `demand`, `ec.actions change-amount`.
    pub fn needs(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        let mut add = |n: String| {
            if !out.contains(&n) {
                out.push(n);
            }
        };
        for st in &self.steps {
            match st.call.as_ref().map(|c| c.get_ref().as_str()) {
                Some("outage" | "recover" | "aca" | "aca-consistency" | "aca-fault") => {
                    add("aca".into());
                }
                Some("demand") => add("demand".into()),
                Some(c) if TLS_CALLS.contains(&c) => add("https station".into()),
                _ => {}
            }
            if let Some(a) = &st.action {
                add(format!("ec.actions {}", a.get_ref()));
            }
            if st
                .delivery
                .as_ref()
                .is_some_and(|d| d.broadcast || d.broadcast_down_attempts.is_some())
            {
                add("[broadcast]".into());
            }
            if st
                .receipt_from
                .as_ref()
                .is_some_and(|r| r.get_ref() == "verify")
            {
                add("backoffice".into());
            }
        }
        out
    }

    /// The area (`VRF`, `ACT`...) from the id prefix.
    pub fn area(&self) -> &str {
        self.id.get_ref().split('-').next().unwrap_or("")
    }
}
