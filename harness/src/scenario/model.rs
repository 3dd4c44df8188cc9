//! The scenario format (documented in `docs/scenarios.md`).
//!
//! A scenario is read in two stages. `raw.rs` is the file as written: flat structs with
//! `deny_unknown_fields` (a misspelt key in a conformance test would silently weaken it, so it
//! is an error with a "did you mean") and every option in a `toml::Spanned`. The loader then
//! converts each raw step into a [`StepKind`] variant that holds exactly the options and
//! expectations that apply to its call; every option the variant does not take is an error at
//! that option's `file:line:col` ("`tls_version` applies to `call = \"tls-legacy\"` only"),
//! with the options the call does take, and the engine matches on the variants.
//!
//! Why not a serde enum tagged on `call`, as the issue first proposed: serde deserializes an
//! internally tagged enum (and `untagged`, and `flatten`) by buffering the whole table into
//! its private `Content` type before it knows the variant, and toml's `Spanned<T>` positions
//! do not survive that buffer, so every line:col of every step would be lost, typos included.
//! Deserializing the flat step (spans intact) and converting it in the loader keeps the
//! positions, reads the same TOML as before for every file whose options all apply to their
//! calls (the whole built-in suite), and still makes an option that does not apply to a call
//! a `collaudo check` error. Expectations are split the same way (`SoapExpect`,
//! `DeliveryExpect`, `StandInExpect`, `AcaExpect`, `GpdExpect`, `CheckoutExpect`): each is read by one part of the engine. [`KINDS`] describes the variants'
//! keys for the messages and for docs/scenarios.md; a unit test holds the conversion to it.

use serde::Deserialize;
use std::collections::BTreeMap;
use toml::Spanned;

/// One scenario file, checked: its steps are typed.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// collaudo's id, e.g. `VRF-001` (TEST-PLAN.md §3 scheme).
    pub id: Spanned<String>,
    /// PagoPA's official test id this case gives evidence for (`EC-PSP-01`...), if any.
    pub official: Option<Spanned<String>>,
    /// One-line title.
    pub title: String,
    /// What the case proves and why (free text).
    pub description: Option<String>,
    /// `OBB` (mandatory), `OSP` (mandatory if the EC uses the feature) or `DEMO` (a simulator
    /// demonstration: passes whatever the station does, so it is shown apart and never counted
    /// as evidence).
    pub class: Option<Spanned<String>>,
    /// `COL`, `PRE` or `BOTH`.
    pub phase: Option<Spanned<String>>,
    /// Free tags used by `--only`.
    pub tags: Vec<String>,
    /// The public documents the case relies on, in the short forms of docs/scenarios.md.
    pub sources: Vec<String>,
    /// Fixture roles the case needs; when one is not configured the case is skipped.
    pub requires: Vec<Spanned<String>>,
    /// The steps, in order.
    pub steps: Vec<Step>,
}

/// One step: what every step may have, and what its kind has.
#[derive(Debug, Clone)]
pub struct Step {
    /// Human name shown in reports.
    pub name: Option<String>,
    /// Advance the virtual clock first (e.g. `"1h"`, `"30m"`).
    pub advance: Option<Spanned<String>>,
    /// Move the virtual clock forward to this Italian local time (`"23:30"`) first, for
    /// day/night Stand-In thresholds.
    pub at_local_time: Option<Spanned<String>>,
    /// The call, action or wait, with exactly its options and expectations.
    pub kind: StepKind,
}

/// What a step does: one variant per `call`, plus the EC action and the pure wait. Each
/// variant holds the options and expectations that apply to it and nothing else.
#[derive(Debug, Clone)]
pub enum StepKind {
    /// `call = "verify"`: paVerifyPaymentNotice.
    Verify(Verify),
    /// `call = "activate"`: paGetPayment / paGetPaymentV2.
    Activate(Activate),
    /// `call = "send-rt"` without `[step.delivery]`: one paSendRT / V2, judged as an answer.
    SendRt(SendRt),
    /// `call = "send-rt"` with `[step.delivery]`: the receipt goes through the Nodo's
    /// delivery engine (retries, outages, broadcast), judged by where it ended.
    Deliver(Deliver),
    /// `call = "demand"`: paDemandPaymentNotice.
    Demand(Demand),
    /// `call = "probe"`: the Stand-In technical verify of notice `000000000000000000`.
    Probe(Probe),
    /// `call = "outage"`: PSP traffic toward a failing station, feeding the Stand-In monitor.
    Outage(Outage),
    /// `call = "recover"`: the Nodo's technical probes while the station is in Stand-In.
    Recover(Recover),
    /// `call = "aca"`: what the mock ACA holds for the notice.
    Aca(Aca),
    /// `call = "aca-consistency"`: every payable fixture, station answer against ACA copy.
    AcaConsistency,
    /// `call = "aca-fault"`: the mock ACA answers the EC's next calls with an error.
    AcaFault(AcaFault),
    /// `call = "tls-handshake"`: the Nodo's TLS handshake with the station.
    TlsHandshake,
    /// `call = "tls-legacy"`: a ClientHello offering only a legacy TLS version.
    TlsLegacy(TlsLegacy),
    /// `call = "tls-without-client-cert"`: a handshake without the Nodo's client certificate.
    TlsWithoutClientCert,
    /// `action = "..."`: an EC back-office action instead of a call.
    Action(EcAction),
    /// `call = "gpd"`: what reached the mock GPD, and the state of a position there.
    Gpd(GpdCheck),
    /// `call = "checkout"`: Checkout pays 1 to 5 GPD notices of the EC, on the asynchronous
    /// integration (GPD-Payments answers the Nodo).
    Checkout(Checkout),
    /// `action = "gpd-..."`: the back office of an EC on the asynchronous integration acts on
    /// one of the case's GPD positions.
    GpdAction(GpdAction),
    /// A step with neither: it only moves the virtual clock (`advance`).
    Wait,
}

/// The options of a step that sends one SOAP request to the station (and may repeat it).
#[derive(Debug, Clone, Default)]
pub struct SoapOptions {
    /// Replace the Nodo's identities in the request (wrong idPA/idBrokerPA/idStation tests).
    pub caller: Option<CallerOverride>,
    /// How to send SOAPAction: `quoted` (default, as the Nodo does), `unquoted`, `none`.
    pub soap_action: Option<Spanned<String>>,
    /// Namespace prefixes of the request: `canonical` (`soapenv:`/`pafn:`, the default),
    /// `jax-ws` (`S:`/`ns2:`) or `default-ns` (the paForNode namespace as the wrapper's default
    /// namespace). A station must read any of them: XML namespaces are compared by URI.
    pub prefixes: Option<Spanned<String>>,
    /// Send a deliberately broken request body: `truncate`, `garbage`, `wrong-namespace`.
    pub corrupt_request: Option<Spanned<String>>,
    /// Fault injected on the Nodo→station path for this call.
    pub fault: Option<FaultSpec>,
    /// Repeat the call this many times (SLA measurements).
    pub repeat: Option<Spanned<u32>>,
    /// Values to keep for later steps: name → field path in the response (e.g.
    /// `data/creditorReferenceId`).
    pub capture: BTreeMap<String, Spanned<String>>,
}

/// `call = "verify"`.
#[derive(Debug, Clone)]
pub struct Verify {
    /// A fixture role name (`payable`) or a literal 18-digit notice number.
    pub notice: Spanned<String>,
    /// How the request is sent.
    pub soap: SoapOptions,
    /// What must be true of the answer.
    pub expect: SoapExpect,
}

/// `call = "activate"`.
#[derive(Debug, Clone)]
pub struct Activate {
    /// A fixture role name or a literal 18-digit notice number.
    pub notice: Spanned<String>,
    /// paGetPayment (1) or paGetPaymentV2 (2); default from configuration.
    pub version: Option<Spanned<u8>>,
    /// `transferType` (`POSTAL`, `PAGOPA`).
    pub transfer_type: Option<Spanned<String>>,
    /// How the request is sent.
    pub soap: SoapOptions,
    /// What must be true of the answer.
    pub expect: SoapExpect,
}

/// The receipt a `send-rt` step sends, delivered or not.
#[derive(Debug, Clone, Default)]
pub struct ReceiptSpec {
    /// A fixture role name or a literal 18-digit notice number.
    pub notice: Option<Spanned<String>>,
    /// paSendRT (1) or paSendRTV2 (2); default from configuration.
    pub version: Option<Spanned<u8>>,
    /// Build the receipt from the earlier `activation` (default) or, for a receipt on a notice
    /// this run never activated (as after Stand-In), from the `verify`.
    pub receipt_from: Option<Spanned<String>>,
    /// Mark the receipt `standIn=true`.
    pub stand_in: Option<bool>,
    /// Cents added to the amount of the receipt.
    pub amount_delta_cents: Option<i64>,
}

/// `call = "send-rt"` without `[step.delivery]`.
#[derive(Debug, Clone)]
pub struct SendRt {
    /// The receipt.
    pub receipt: ReceiptSpec,
    /// How the request is sent.
    pub soap: SoapOptions,
    /// What must be true of the answer.
    pub expect: SoapExpect,
}

/// `call = "send-rt"` with `[step.delivery]`.
#[derive(Debug, Clone)]
pub struct Deliver {
    /// The receipt.
    pub receipt: ReceiptSpec,
    /// Retry schedule, outages and broadcast.
    pub delivery: DeliverySpec,
    /// Where the deliveries must end.
    pub expect: DeliveryExpect,
}

/// `call = "demand"`.
#[derive(Debug, Clone)]
pub struct Demand {
    /// `idServizio`, `idSoggettoServizio` and the service data; defaults from configuration.
    pub demand: Option<DemandSpec>,
    /// How the request is sent.
    pub soap: SoapOptions,
    /// What must be true of the answer.
    pub expect: SoapExpect,
}

/// `call = "probe"`.
#[derive(Debug, Clone)]
pub struct Probe {
    /// How the request is sent.
    pub soap: SoapOptions,
    /// What must be true of the answer.
    pub expect: SoapExpect,
}

/// `call = "outage"`.
#[derive(Debug, Clone)]
pub struct Outage {
    /// The notice the simulated PSPs verify (default: the `payable` fixture).
    pub notice: Option<Spanned<String>>,
    /// How long (virtual time), e.g. `"35m"`.
    pub duration: Spanned<String>,
    /// The station's verify requests per 5-minute slot (default 10).
    pub requests_per_slot: Option<Spanned<u32>>,
    /// The share of those requests that fail with `fault`, in percent (default 100 with a
    /// fault, else 0).
    pub failing_percent: Option<Spanned<u32>>,
    /// The Nodo's total payment traffic per 5-minute slot, all stations included (the
    /// Stand-In threshold is a share of it).
    pub nodo_traffic_per_slot: Option<Spanned<u64>>,
    /// How the failing requests fail.
    pub fault: Option<FaultSpec>,
    /// Whether the station is in Stand-In after the step.
    pub expect: StandInExpect,
}

/// `call = "recover"`.
#[derive(Debug, Clone)]
pub struct Recover {
    /// How long (virtual time) the Nodo keeps probing.
    pub duration: Spanned<String>,
    /// The Nodo's total payment traffic per 5-minute slot from this step on.
    pub nodo_traffic_per_slot: Option<Spanned<u64>>,
    /// A fault on the probes.
    pub fault: Option<FaultSpec>,
    /// Whether the station is in Stand-In after the step.
    pub expect: StandInExpect,
}

/// `call = "aca"`.
#[derive(Debug, Clone)]
pub struct Aca {
    /// The notice whose ACA position is looked at.
    pub notice: Option<Spanned<String>>,
    /// What the position must be.
    pub expect: AcaExpect,
}

/// `call = "aca-fault"`.
#[derive(Debug, Clone)]
pub struct AcaFault {
    /// The HTTP status the mock ACA answers (401, 409, 422, 500, 502, 503; default 502)…
    pub aca_fault_status: Option<Spanned<u16>>,
    /// …to this many of the EC's next paCreatePosition calls (default 1).
    pub aca_fault_count: Option<Spanned<u32>>,
}

/// `call = "tls-legacy"`.
#[derive(Debug, Clone)]
pub struct TlsLegacy {
    /// The only version the ClientHello offers, `1.0` or `1.1`.
    pub tls_version: Spanned<String>,
}

/// `action = "..."`.
#[derive(Debug, Clone)]
pub struct EcAction {
    /// Which action, with its own options.
    pub action: ActionKind,
    /// The notice the EC acts on.
    pub notice: Spanned<String>,
}

/// `call = "gpd"`.
#[derive(Debug, Clone)]
pub struct GpdCheck {
    /// The case's position looked at (a label, default `"1"`).
    pub position: Option<Spanned<String>>,
    /// What the mock GPD must hold and have seen.
    pub expect: GpdExpect,
}

/// What the mock GPD must hold and have seen, for a `gpd` step.
#[derive(Debug, Clone, Default)]
pub struct GpdExpect {
    /// The position's status now (`DRAFT` … `REPORTED`, or `absent`).
    pub gpd_status: Option<Spanned<String>>,
    /// The operation (`createPosition`, `publishPosition`…) whose last call about the position
    /// `gpd_http_status` judges; it must have been called.
    pub gpd_operation: Option<Spanned<String>>,
    /// The HTTP status GPD answered the last call of `gpd_operation` about the position (of
    /// any operation, without `gpd_operation`).
    pub gpd_http_status: Option<Spanned<u16>>,
    /// How many positions the EC holds in GPD.
    pub gpd_positions: Option<u32>,
}

/// `call = "checkout"`.
#[derive(Debug, Clone)]
pub struct Checkout {
    /// The case's positions in the cart, in order (labels; default `["1"]`; 1 to 5).
    pub positions: Vec<Spanned<String>>,
    /// How the cart must end.
    pub expect: CheckoutExpect,
}

/// How a Checkout cart must end.
#[derive(Debug, Clone, Default)]
pub struct CheckoutExpect {
    /// Every notice paid (true, the default) or the cart refused (false).
    pub paid: Option<bool>,
    /// When refused: the fault codes accepted (the first is the preferred one).
    pub fault_code: Vec<Spanned<String>>,
    /// Every receipt pushed to the station under test (the EC's broadcast station) and
    /// accepted.
    pub delivered: Option<bool>,
    /// Every receipt served by GPD's receipts API (pull).
    pub pulled: Option<bool>,
}

/// `action = "gpd-..."`.
#[derive(Debug, Clone)]
pub struct GpdAction {
    /// Which action.
    pub action: GpdActionKind,
    /// The case's position acted on (a label, default `"1"`).
    pub position: Option<Spanned<String>>,
    /// For `gpd-create`, `gpd-create-published` and `gpd-update`: the position's amount in
    /// cents (default 10000 on create, 15000 on update).
    pub amount_cents: Option<Spanned<i64>>,
}

/// What the back office of an asynchronous EC can be asked to do in GPD.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GpdActionKind {
    /// `gpd-create`: create the position, not published (DRAFT).
    Create,
    /// `gpd-create-published`: create it with `toPublish=true` (VALID at once).
    CreatePublished,
    /// `gpd-publish`: publish it.
    Publish,
    /// `gpd-update`: change its amount.
    Update,
    /// `gpd-delete`: delete it.
    Delete,
    /// `gpd-invalidate`: invalidate it.
    Invalidate,
    /// `gpd-pull-receipt`: fetch its receipt from GPD's receipts API.
    PullReceipt,
}

impl GpdActionKind {
    /// Every action, in the order of [`GPD_ACTIONS`].
    pub const ALL: [GpdActionKind; 7] = [
        GpdActionKind::Create,
        GpdActionKind::CreatePublished,
        GpdActionKind::Publish,
        GpdActionKind::Update,
        GpdActionKind::Delete,
        GpdActionKind::Invalidate,
        GpdActionKind::PullReceipt,
    ];

    /// The name in the scenario file, and of the `[ec.actions]` hook.
    pub fn as_str(self) -> &'static str {
        match self {
            GpdActionKind::Create => "gpd-create",
            GpdActionKind::CreatePublished => "gpd-create-published",
            GpdActionKind::Publish => "gpd-publish",
            GpdActionKind::Update => "gpd-update",
            GpdActionKind::Delete => "gpd-delete",
            GpdActionKind::Invalidate => "gpd-invalidate",
            GpdActionKind::PullReceipt => "gpd-pull-receipt",
        }
    }

    /// The action named `name`.
    pub fn parse(name: &str) -> Option<GpdActionKind> {
        GpdActionKind::ALL.into_iter().find(|a| a.as_str() == name)
    }

    /// Whether the action takes `amount_cents`.
    pub fn takes_amount(self) -> bool {
        matches!(
            self,
            GpdActionKind::Create | GpdActionKind::CreatePublished | GpdActionKind::Update
        )
    }
}

/// The EC back-office actions a step can request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActionKind {
    /// `change-amount`: the EC changes the position's amount.
    ChangeAmount {
        /// Cents added to the current amount.
        amount_delta_cents: i64,
    },
    /// `cancel-position`: the EC cancels the position.
    CancelPosition,
    /// `close-position`: the position was paid outside pagoPA.
    ClosePosition,
}

impl ActionKind {
    /// The name in the scenario file, and of the `[ec.actions]` hook.
    pub fn as_str(self) -> &'static str {
        match self {
            ActionKind::ChangeAmount { .. } => "change-amount",
            ActionKind::CancelPosition => "cancel-position",
            ActionKind::ClosePosition => "close-position",
        }
    }

    /// The change of amount the action carries (0 for those without one).
    pub fn delta_cents(self) -> i64 {
        match self {
            ActionKind::ChangeAmount { amount_delta_cents } => amount_delta_cents,
            ActionKind::CancelPosition | ActionKind::ClosePosition => 0,
        }
    }
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

/// What must be true of the answer(s) of a step that sends a SOAP request.
#[derive(Debug, Clone, Default)]
pub struct SoapExpect {
    /// What the Nodo would conclude: `OK`, `KO` (any valid EC KO), or a PPT code
    /// (`PPT_STAZIONE_INT_PA_TIMEOUT`...). Default: `OK` or a valid KO, never a PPT_* outcome.
    pub nodo: Option<Spanned<String>>,
    /// Fault codes accepted for a KO; the first is the preferred one, the others pass with a warning.
    pub fault_code: Vec<Spanned<String>>,
    /// Fault codes that fail the step if answered.
    pub not_fault_code: Vec<Spanned<String>>,
    /// Field values: path relative to the response element → expected text (`${name}` uses a capture).
    pub fields: BTreeMap<String, Spanned<String>>,
    /// Named checks of the answer (`SOAP_CHECKS`).
    pub checks: Vec<Spanned<String>>,
    /// The test-plan row of this case requires HTTP 200 (FLT-001, VRF-007, SIN-001): another
    /// status fails the step. Elsewhere the status of an answer is a warning (the Nodo reads the
    /// body), and the Content-Type always is (docs/checks.md).
    pub require_http_200: bool,
    /// Over the repeated calls: at least 98% must answer within this many milliseconds.
    pub p98_ms: Option<u64>,
    /// No call may take longer than this many milliseconds.
    pub max_ms: Option<u64>,
}

/// What must be true of a receipt delivery.
#[derive(Debug, Clone, Default)]
pub struct DeliveryExpect {
    /// Every recipient eventually accepts (true, the default) or the receipt gets stuck (false).
    pub delivered: Option<bool>,
    /// How many attempts the primary station took (every delivery when `times` > 1).
    pub attempts: Option<u32>,
    /// Named checks of the delivery (`DELIVERY_CHECKS`).
    pub checks: Vec<Spanned<String>>,
}

/// What must be true after an `outage` or `recover` step.
#[derive(Debug, Clone, Default)]
pub struct StandInExpect {
    /// Whether the station is in Stand-In after the step.
    pub standin: Option<bool>,
}

/// What the mock ACA must hold for the notice of an `aca` step.
#[derive(Debug, Clone, Default)]
pub struct AcaExpect {
    /// The status of the notice's ACA position (`VALID`, `INVALID`, `PAID`, `EXPIRED`, or
    /// `absent`).
    pub aca_status: Option<Spanned<String>>,
    /// The stored amount (`"30.00"`, `${capture}` and `A+B` allowed).
    pub aca_amount: Option<Spanned<String>>,
    /// The history of the position, oldest first (`created`, `updated`, `cancelled`).
    pub aca_history: Vec<Spanned<String>>,
    /// The stored `payStandIn`.
    pub aca_pay_stand_in: Option<bool>,
    /// The EC that created the position (`paFiscalCode`).
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
    "gpd",
    "checkout",
];
/// The legacy TLS versions `tls-legacy` can offer.
pub const LEGACY_TLS_VERSIONS: &[&str] = &["1.0", "1.1"];
/// ACA position statuses a scenario can expect.
pub const ACA_STATUSES: &[&str] = &["VALID", "INVALID", "PAID", "EXPIRED", "absent"];
/// The EC actions a step can request.
pub const ACTIONS: &[&str] = &[
    "change-amount",
    "cancel-position",
    "close-position",
    "gpd-create",
    "gpd-create-published",
    "gpd-publish",
    "gpd-update",
    "gpd-delete",
    "gpd-invalidate",
    "gpd-pull-receipt",
];
/// The GPD actions (`action = "gpd-..."`), in the order of [`GpdActionKind::ALL`].
pub const GPD_ACTIONS: &[&str] = &[
    "gpd-create",
    "gpd-create-published",
    "gpd-publish",
    "gpd-update",
    "gpd-delete",
    "gpd-invalidate",
    "gpd-pull-receipt",
];
/// GPD position statuses a scenario can expect (DOMAIN.md §9.4), and `absent`.
pub const GPD_STATUSES: &[&str] = &[
    "DRAFT",
    "PUBLISHED",
    "VALID",
    "INVALID",
    "EXPIRED",
    "PARTIALLY_PAID",
    "PAID",
    "REPORTED",
    "absent",
];
/// GPD operations (the contracts' operation ids) a `gpd` step can look at.
pub const GPD_OPERATIONS: &[&str] = &[
    "createPosition",
    "getOrganizationDebtPositionByIUPD",
    "getOrganizationDebtPositions",
    "updatePosition",
    "publishPosition",
    "invalidatePosition",
    "deletePosition",
    "getReceiptByIUV",
    "getOrganizationReceipts",
];
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
    // DELIVERY_CHECKS:
    "receipt-booked-once",
    "receipt-not-booked",
    "receipt-stand-in",
];
/// The named checks that judge a receipt delivery (`call = "send-rt"` with
/// `[step.delivery]`); the others judge an answer.
pub const DELIVERY_CHECKS: &[&str] = &[
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

/// The keys every step may have, whatever its kind.
pub const COMMON_KEYS: &[&str] = &["name", "advance", "at_local_time"];

/// A kind of step as docs/scenarios.md documents it and `collaudo check` describes it: the
/// keys of its [`StepKind`] variant. (The send-rt call and the EC actions have one entry per
/// form, since their options differ.)
#[derive(Debug)]
pub struct KindInfo {
    /// How a file selects it, e.g. `call = "verify"` (empty for the step with neither a call
    /// nor an action).
    pub selector: &'static str,
    /// What else selects it: `[step.delivery]` for the delivering form of `send-rt`.
    pub with: Option<&'static str>,
    /// What it does, one line.
    pub what: &'static str,
    /// Its options besides [`COMMON_KEYS`], the required ones first.
    pub options: &'static [&'static str],
    /// How many of `options` (the first ones) are required.
    pub required: usize,
    /// Its `[step.expect]` keys.
    pub expect: &'static [&'static str],
}

const SOAP_EXPECT: &[&str] = &[
    "nodo",
    "fault_code",
    "not_fault_code",
    "fields",
    "checks",
    "require_http_200",
    "p98_ms",
    "max_ms",
];

/// Every kind of step, in the order of docs/scenarios.md.
pub static KINDS: &[KindInfo] = &[
    KindInfo {
        with: None,
        selector: r#"call = "verify""#,
        what: "paVerifyPaymentNotice",
        options: &[
            "notice",
            "caller",
            "soap_action",
            "prefixes",
            "corrupt_request",
            "fault",
            "repeat",
            "capture",
        ],
        required: 1,
        expect: SOAP_EXPECT,
    },
    KindInfo {
        with: None,
        selector: r#"call = "activate""#,
        what: "paGetPayment / paGetPaymentV2",
        options: &[
            "notice",
            "version",
            "transfer_type",
            "caller",
            "soap_action",
            "prefixes",
            "corrupt_request",
            "fault",
            "repeat",
            "capture",
        ],
        required: 1,
        expect: SOAP_EXPECT,
    },
    KindInfo {
        with: None,
        selector: r#"call = "send-rt""#,
        what: "paSendRT / paSendRTV2, built from this scenario's earlier activation (or verify) of the notice, sent once and judged as an answer",
        options: &[
            "notice",
            "version",
            "receipt_from",
            "stand_in",
            "amount_delta_cents",
            "caller",
            "soap_action",
            "prefixes",
            "corrupt_request",
            "fault",
            "repeat",
            "capture",
        ],
        required: 0,
        expect: SOAP_EXPECT,
    },
    KindInfo {
        with: Some("[step.delivery]"),
        selector: r#"call = "send-rt""#,
        what: "the same receipt through the Nodo's delivery engine: retries on the virtual clock, outages, broadcast stations, repeated deliveries",
        options: &[
            "delivery",
            "notice",
            "version",
            "receipt_from",
            "stand_in",
            "amount_delta_cents",
        ],
        required: 1,
        expect: &["delivered", "attempts", "checks"],
    },
    KindInfo {
        with: None,
        selector: r#"call = "demand""#,
        what: "paDemandPaymentNotice",
        options: &[
            "demand",
            "caller",
            "soap_action",
            "prefixes",
            "corrupt_request",
            "fault",
            "repeat",
            "capture",
        ],
        required: 0,
        expect: SOAP_EXPECT,
    },
    KindInfo {
        with: None,
        selector: r#"call = "probe""#,
        what: "the Stand-In technical verify of notice `000000000000000000`",
        options: &[
            "caller",
            "soap_action",
            "prefixes",
            "corrupt_request",
            "fault",
            "repeat",
            "capture",
        ],
        required: 0,
        expect: SOAP_EXPECT,
    },
    KindInfo {
        with: None,
        selector: r#"call = "outage""#,
        what: "PSP traffic (verifies of `notice`, default the `payable` fixture) toward a failing station, feeding the Nodo's Stand-In monitor",
        options: &[
            "duration",
            "notice",
            "requests_per_slot",
            "failing_percent",
            "nodo_traffic_per_slot",
            "fault",
        ],
        required: 1,
        expect: &["standin"],
    },
    KindInfo {
        with: None,
        selector: r#"call = "recover""#,
        what: "the Nodo's technical probes while the station is in Stand-In",
        options: &["duration", "nodo_traffic_per_slot", "fault"],
        required: 1,
        expect: &["standin"],
    },
    KindInfo {
        with: None,
        selector: r#"call = "aca""#,
        what: "what the mock ACA holds for the notice",
        options: &["notice"],
        required: 0,
        expect: &[
            "aca_status",
            "aca_amount",
            "aca_history",
            "aca_pay_stand_in",
            "aca_pa_fiscal_code",
        ],
    },
    KindInfo {
        with: None,
        selector: r#"call = "aca-consistency""#,
        what: "every payable fixture: the station's verify answer against its ACA copy",
        options: &[],
        required: 0,
        expect: &[],
    },
    KindInfo {
        with: None,
        selector: r#"call = "aca-fault""#,
        what: "the mock ACA answers the EC's next paCreatePosition calls with an HTTP error",
        options: &["aca_fault_status", "aca_fault_count"],
        required: 0,
        expect: &[],
    },
    KindInfo {
        with: None,
        selector: r#"call = "tls-handshake""#,
        what: "the Nodo's TLS handshake with the station (version, certificate)",
        options: &[],
        required: 0,
        expect: &[],
    },
    KindInfo {
        with: None,
        selector: r#"call = "tls-legacy""#,
        what: "a ClientHello offering only TLS `tls_version`, which the station must refuse",
        options: &["tls_version"],
        required: 1,
        expect: &[],
    },
    KindInfo {
        with: None,
        selector: r#"call = "tls-without-client-cert""#,
        what: "a handshake without the Nodo's client certificate, which the station must refuse",
        options: &[],
        required: 0,
        expect: &[],
    },
    KindInfo {
        with: None,
        selector: r#"action = "change-amount""#,
        what: "the EC changes the position's amount",
        options: &["notice", "amount_delta_cents"],
        required: 2,
        expect: &[],
    },
    KindInfo {
        with: None,
        selector: r#"action = "cancel-position""#,
        what: "the EC cancels the position",
        options: &["notice"],
        required: 1,
        expect: &[],
    },
    KindInfo {
        with: None,
        selector: r#"action = "close-position""#,
        what: "the position was paid outside pagoPA",
        options: &["notice"],
        required: 1,
        expect: &[],
    },
    KindInfo {
        with: None,
        selector: r#"call = "gpd""#,
        what: "what reached the mock GPD about one of the case's positions, and its state there",
        options: &["position"],
        required: 0,
        expect: &[
            "gpd_status",
            "gpd_operation",
            "gpd_http_status",
            "gpd_positions",
        ],
    },
    KindInfo {
        with: None,
        selector: r#"call = "checkout""#,
        what: "Checkout pays 1 to 5 of the case's GPD positions through the Nodo (GPD-Payments answers for the asynchronous EC; paymentNote = cart id)",
        options: &["positions"],
        required: 0,
        expect: &["paid", "fault_code", "delivered", "pulled"],
    },
    KindInfo {
        with: None,
        selector: r#"action = "gpd-create""#,
        what: "the asynchronous EC creates the position in GPD, not published (DRAFT)",
        options: &["position", "amount_cents"],
        required: 0,
        expect: &[],
    },
    KindInfo {
        with: None,
        selector: r#"action = "gpd-create-published""#,
        what: "the asynchronous EC creates the position in GPD with `toPublish=true`",
        options: &["position", "amount_cents"],
        required: 0,
        expect: &[],
    },
    KindInfo {
        with: None,
        selector: r#"action = "gpd-publish""#,
        what: "the asynchronous EC publishes the position",
        options: &["position"],
        required: 0,
        expect: &[],
    },
    KindInfo {
        with: None,
        selector: r#"action = "gpd-update""#,
        what: "the asynchronous EC changes the position's amount (`toPublish=false`)",
        options: &["position", "amount_cents"],
        required: 0,
        expect: &[],
    },
    KindInfo {
        with: None,
        selector: r#"action = "gpd-delete""#,
        what: "the asynchronous EC deletes the position",
        options: &["position"],
        required: 0,
        expect: &[],
    },
    KindInfo {
        with: None,
        selector: r#"action = "gpd-invalidate""#,
        what: "the asynchronous EC invalidates the position",
        options: &["position"],
        required: 0,
        expect: &[],
    },
    KindInfo {
        with: None,
        selector: r#"action = "gpd-pull-receipt""#,
        what: "the asynchronous EC fetches the position's receipt from GPD's receipts API (pull)",
        options: &["position"],
        required: 0,
        expect: &[],
    },
    KindInfo {
        with: None,
        selector: "",
        what: "a pause: only the virtual clock moves (`advance`, which is then required)",
        options: &[],
        required: 0,
        expect: &[],
    },
];

fn article(selector: &str) -> &'static str {
    if selector.starts_with('a') { "an" } else { "a" }
}

impl KindInfo {
    /// How messages and docs name the kind: `` `call = "verify"` ``.
    pub fn short(&self) -> String {
        match (self.selector, self.with) {
            ("", _) => "a step without `call` or `action`".into(),
            (s, Some(w)) => format!("`{s}` with `{w}`"),
            (s, None) => format!("`{s}`"),
        }
    }

    /// The kind as a noun: ``a `call = "verify"` step``.
    pub fn noun(&self) -> String {
        match (self.selector, self.with) {
            ("", _) => "a step without `call` or `action`".into(),
            (s, Some(w)) => format!("{} `{s}` step with `{w}`", article(s)),
            (s, None) => format!("{} `{s}` step", article(s)),
        }
    }

    /// Whether this kind takes `key` (an option, or `expect.<key>`).
    pub fn takes(&self, key: &str) -> bool {
        match key.strip_prefix("expect.") {
            Some(e) => self.expect.contains(&e),
            None => COMMON_KEYS.contains(&key) || self.options.contains(&key),
        }
    }
}

impl StepKind {
    /// The entry of [`KINDS`] that describes this variant.
    pub fn info(&self) -> &'static KindInfo {
        let i = match self {
            StepKind::Verify(_) => 0,
            StepKind::Activate(_) => 1,
            StepKind::SendRt(_) => 2,
            StepKind::Deliver(_) => 3,
            StepKind::Demand(_) => 4,
            StepKind::Probe(_) => 5,
            StepKind::Outage(_) => 6,
            StepKind::Recover(_) => 7,
            StepKind::Aca(_) => 8,
            StepKind::AcaConsistency => 9,
            StepKind::AcaFault(_) => 10,
            StepKind::TlsHandshake => 11,
            StepKind::TlsLegacy(_) => 12,
            StepKind::TlsWithoutClientCert => 13,
            StepKind::Action(a) => match a.action {
                ActionKind::ChangeAmount { .. } => 14,
                ActionKind::CancelPosition => 15,
                ActionKind::ClosePosition => 16,
            },
            StepKind::Gpd(_) => 17,
            StepKind::Checkout(_) => 18,
            StepKind::GpdAction(a) => {
                19 + GpdActionKind::ALL
                    .iter()
                    .position(|k| *k == a.action)
                    .unwrap_or(0)
            }
            StepKind::Wait => 26,
        };
        &KINDS[i]
    }

    /// The `call` (or `action`) value, the default name of the step in reports.
    pub fn call_name(&self) -> Option<&'static str> {
        Some(match self {
            StepKind::Verify(_) => "verify",
            StepKind::Activate(_) => "activate",
            StepKind::SendRt(_) | StepKind::Deliver(_) => "send-rt",
            StepKind::Demand(_) => "demand",
            StepKind::Probe(_) => "probe",
            StepKind::Outage(_) => "outage",
            StepKind::Recover(_) => "recover",
            StepKind::Aca(_) => "aca",
            StepKind::AcaConsistency => "aca-consistency",
            StepKind::AcaFault(_) => "aca-fault",
            StepKind::TlsHandshake => "tls-handshake",
            StepKind::TlsLegacy(_) => "tls-legacy",
            StepKind::TlsWithoutClientCert => "tls-without-client-cert",
            StepKind::Action(a) => a.action.as_str(),
            StepKind::Gpd(_) => "gpd",
            StepKind::Checkout(_) => "checkout",
            StepKind::GpdAction(a) => a.action.as_str(),
            StepKind::Wait => return None,
        })
    }

    /// The notice the step names, if its kind has one.
    pub fn notice(&self) -> Option<&Spanned<String>> {
        match self {
            StepKind::Verify(v) => Some(&v.notice),
            StepKind::Activate(a) => Some(&a.notice),
            StepKind::SendRt(SendRt { receipt, .. })
            | StepKind::Deliver(Deliver { receipt, .. }) => receipt.notice.as_ref(),
            StepKind::Outage(o) => o.notice.as_ref(),
            StepKind::Aca(a) => a.notice.as_ref(),
            StepKind::Action(a) => Some(&a.notice),
            _ => None,
        }
    }

    /// The SOAP options, for the kinds that send one request of their own.
    pub fn soap(&self) -> Option<&SoapOptions> {
        match self {
            StepKind::Verify(Verify { soap, .. })
            | StepKind::Activate(Activate { soap, .. })
            | StepKind::SendRt(SendRt { soap, .. })
            | StepKind::Demand(Demand { soap, .. })
            | StepKind::Probe(Probe { soap, .. }) => Some(soap),
            _ => None,
        }
    }

    /// Whether the step reads or drives the mock ACA (Stand-In answers come from it).
    pub fn uses_aca(&self) -> bool {
        matches!(
            self,
            StepKind::Outage(_)
                | StepKind::Recover(_)
                | StepKind::Aca(_)
                | StepKind::AcaConsistency
                | StepKind::AcaFault(_)
        )
    }

    /// Whether the step uses the mock GPD (the EC is on the asynchronous integration).
    pub fn uses_gpd(&self) -> bool {
        matches!(
            self,
            StepKind::Gpd(_) | StepKind::Checkout(_) | StepKind::GpdAction(_)
        )
    }

    /// Whether the step looks at the station's TLS endpoint itself (CON-001): it needs an
    /// `https://` station.
    pub fn is_tls(&self) -> bool {
        matches!(
            self,
            StepKind::TlsHandshake | StepKind::TlsLegacy(_) | StepKind::TlsWithoutClientCert
        )
    }

    /// The delivery, for a `send-rt` step with `[step.delivery]`.
    pub fn delivery(&self) -> Option<&DeliverySpec> {
        match self {
            StepKind::Deliver(d) => Some(&d.delivery),
            _ => None,
        }
    }

    /// The receipt, for a `send-rt` step.
    pub fn receipt(&self) -> Option<&ReceiptSpec> {
        match self {
            StepKind::SendRt(SendRt { receipt, .. })
            | StepKind::Deliver(Deliver { receipt, .. }) => Some(receipt),
            _ => None,
        }
    }
}

impl DeliverySpec {
    /// Whether the receipt also goes to broadcast stations.
    pub fn uses_broadcast(&self) -> bool {
        self.broadcast || self.broadcast_down_attempts.is_some()
    }
}

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
            match &st.kind {
                k if k.uses_aca() => add("aca".into()),
                StepKind::Demand(_) => add("demand".into()),
                k if k.is_tls() => add("https station".into()),
                StepKind::Action(a) => add(format!("ec.actions {}", a.action.as_str())),
                StepKind::GpdAction(a) => {
                    add("gpd".into());
                    add(format!("ec.actions {}", a.action.as_str()));
                }
                k if k.uses_gpd() => add("gpd".into()),
                _ => {}
            }
            if st.kind.delivery().is_some_and(DeliverySpec::uses_broadcast) {
                add("[broadcast]".into());
            }
            if st
                .kind
                .receipt()
                .and_then(|r| r.receipt_from.as_ref())
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
