//! A small EC station written from DOMAIN.md §1–§6, §10, §11 and paForNode.xsd, and the
//! deviations real integrators ship, each a switch on the same code.
//!
//! The correct station (`Deviation::None`):
//! * answers HTTP 200, `text/xml; charset=utf-8`, a SOAP 1.1 envelope whose body holds the
//!   response wrapper in the paForNode namespace with unqualified children (§1);
//! * reads requests with a namespace-aware parser (any prefix), accepts `SOAPAction` quoted or
//!   unquoted and falls back on it to name the response of an unreadable request (§1);
//! * answers application errors as `outcome=KO` plus a fault bean with a `PAA_*` code (§4.1),
//!   `PAA_SINTASSI_EXTRAXSD` for a malformed request (TEST-PLAN VRF-007);
//! * checks idPA, idBrokerPA, idStation in that order (§4.1);
//! * keeps a position open after activation and closes it on the receipt (§3.7, §6); receipts
//!   are never refused (§6) and are idempotent on `receiptId`;
//! * does not hold the Stand-In probe notice `000000000000000000`, so it answers
//!   `PAA_PAGAMENTO_SCONOSCIUTO` (§10, TEST-PLAN SIN-001).

use crate::ident::{italian_iban, iuv, notice};
use crate::xml::{self, Element, NS_PAFORNODE, NS_SOAP11, Node};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

/// The creditor (EC) this station serves, its broker and station (DOMAIN.md §10: idStation is
/// conventionally `<brokerCF>_<NN>`).
pub(crate) const EC: &str = "77777777777";
pub(crate) const BROKER: &str = "77777777777";
pub(crate) const STATION: &str = "77777777777_01";
const COMPANY: &str = "Comune di Verifica Indipendente";
/// The secondary EC of the multi-beneficiary positions; it runs the same software as a
/// broadcast station (DOMAIN.md §6).
pub(crate) const SECONDARY_EC: &str = "12345678901";
pub(crate) const SECONDARY_STATION: &str = "12345678901_01";
const SECONDARY_COMPANY: &str = "Provincia Seconda";
/// The segregation code of the station (aux digit 3, DOMAIN.md §10).
pub(crate) const SEGREGATION: u8 = 1;
/// The Stand-In probe notice (DOMAIN.md §10).
const PROBE: &str = "000000000000000000";

/// Fixture role → 13-digit IUV base of the position prepared for it. `unknown` is a
/// well-formed notice this station does not hold.
pub(crate) const FIXTURES: &[(&str, u64)] = &[
    ("payable", 2_001),
    ("payable-v2", 2_002),
    ("multi-beneficiary", 2_003),
    ("multi-beneficiary-5", 2_004),
    ("postal", 2_005),
    ("stamp", 2_006),
    ("metadata", 2_007),
    ("expired", 2_008),
    ("cancelled", 2_009),
    ("paid", 2_010),
    ("receipt-target", 2_011),
    ("in-progress", 2_012),
    ("unknown", 2_999),
];

/// The notice number prepared for a fixture role.
pub(crate) fn fixture_notice(role: &str) -> String {
    let base = FIXTURES
        .iter()
        .find(|(r, _)| *r == role)
        .map(|(_, b)| *b)
        .unwrap_or_else(|| panic!("no fixture for role {role}"));
    notice(SEGREGATION, base)
}

/// The accounts registered on the Nodo for each EC (what `[backoffice]` tells the harness).
pub(crate) struct Accounts {
    pub(crate) ec_iban: String,
    pub(crate) ec_postal: String,
    pub(crate) secondary_iban: String,
    pub(crate) secondary_postal: String,
}

pub(crate) fn accounts() -> Accounts {
    Accounts {
        ec_iban: italian_iban("03069", "09606", "100000012345"),
        ec_postal: italian_iban("07601", "03200", "000012345678"),
        secondary_iban: italian_iban("05034", "11701", "000000054321"),
        secondary_postal: italian_iban("07601", "03200", "000087654321"),
    }
}

/// One way a station departs from the spec (or a tolerated variant of the correct station).
/// The table in `table.rs` says what the spec makes of each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Deviation {
    /// The correct station.
    None,
    // ---- tolerated variants: the spec allows them ----
    /// JAX-WS style: `S:` envelope, `ns2:` declared on the wrapper, XML declaration, no Header.
    JaxwsPrefixes,
    /// A duplicate receipt is answered KO PAA_RECEIPT_DUPLICATA.
    ReceiptDuplicata,
    /// After an activation, verify answers KO PAA_PAGAMENTO_IN_CORSO (activation stays OK).
    InCorsoAfterActivation,
    /// Malformed requests are answered PAA_SINTASSI_XSD instead of PAA_SINTASSI_EXTRAXSD.
    SintassiXsd,
    /// faultString padded with blanks and newlines.
    FaultStringBlanks,
    /// OK answers carry only the mandatory elements; debtor ANONIMO.
    MinimalOk,
    /// Texts at their length limit (140 characters, accented letters: more than 140 bytes).
    Utf8AtLimits,
    /// Indented output, a comment, CDATA sections for descriptions.
    PrettyCdata,
    /// The wrapper in a default namespace, its children reset to no namespace (`xmlns=""`).
    DefaultNsWrapper,
    /// A second activation of an activated notice answers KO PAA_PAGAMENTO_IN_CORSO (a code
    /// the catalogue allows on paGetPayment), and so does verify after it.
    ActivationInCorso,
    // ---- deviations ----
    /// The request "parser" matches the literal `soapenv:` / `pafn:` tags as text.
    PrefixLiteral,
    /// Every KO is sent with HTTP 500.
    KoHttp500,
    /// KO PAA_PAGAMENTO_SCONOSCIUTO is sent with HTTP 404.
    KoHttp404Unknown,
    /// Every answer is `text/html; charset=utf-8`.
    ContentTypeHtml,
    /// Every answer is `application/soap+xml` (the SOAP 1.2 media type) with a SOAP 1.1 body.
    ContentTypeSoap12,
    /// paGetPaymentV2 is not implemented: plain-text HTTP 500 "Internal Server Error".
    V2PlainText500,
    /// paVerifyPaymentNoticeRes with an empty companyName.
    VerifyCompanyNameEmpty,
    /// Activation answers 1.00 more than verify (transfers adjusted), no change at the EC.
    AmountDrift,
    /// Fault codes of the station's own vocabulary (`ERR_NOT_FOUND`...), not PAA_*.
    NonPaaCodes,
    /// outcome KO without a fault bean.
    KoWithoutFault,
    /// paSendRT answered OK but the position is not closed.
    ReceiptNotBooked,
    /// A duplicate receipt is answered KO PAA_SEMANTICA.
    DuplicateReceiptSemantica,
    /// The response element is sent without a SOAP envelope.
    BarePayload,
    /// Children of the response element in the paForNode namespace.
    QualifiedChildren,
    /// Application errors as SOAP Faults (HTTP 500).
    SoapFaultKo,
    /// Multi-beneficiary shares rounded down: Σ transferAmount is 0.01 short.
    MultiSplitRounding,
    /// A sixth transfer (a "fee" line) on the five-transfer position.
    SixTransfers,
    /// Verify amounts with a decimal comma (`150,00`).
    VerifyAmountComma,
    /// Activation amounts with one decimal (`150.0`).
    ActivationAmountOneDecimal,
    /// creditorReferenceId is the whole 18-digit notice number instead of the IUV.
    CridIsNav,
    /// An unknown notice (and the probe) is answered OK with a made-up position.
    UnknownAnswersOk,
    /// A paid notice is answered OK by verify and activation.
    PaidAnswersOk,
    /// A paid notice is answered PAA_PAGAMENTO_SCONOSCIUTO (positions deleted when paid).
    PaidSconosciuto,
    /// idPA is not checked.
    IdPaNotChecked,
    /// The probe notice is answered KO PAA_SYSTEM_ERROR.
    ProbeSystemError,
    /// Only the quoted SOAPAction is recognised (unquoted → SOAP Fault).
    SoapActionUnquotedRefused,
    /// Only the unquoted SOAPAction is recognised (quoted → SOAP Fault).
    SoapActionQuotedRefused,
    /// The first verify after start-up takes 2.1 s (cold cache).
    SlowFirstVerify,
    /// Every verify takes 1.3 s (the row sets the Nodo's timeout to 1 s).
    VerifyTimeout,
    /// Activation dueDate written as a dateTime.
    DueDateDateTime,
    /// paGetPayment (V1) transfers without transferCategory.
    V1NoTransferCategory,
    /// fault bean with an empty id.
    FaultIdEmpty,
    /// Verify OK answers carry a fault bean too.
    OkWithFault,
    /// The position is closed (paid) at activation.
    ActivationClosesPosition,
    /// Transfers to the secondary EC carry the primary EC's IBAN.
    SecondaryIbanOfPrimary,
    /// A receipt whose amount differs from the archive is refused (KO PAA_SEMANTICA).
    ReceiptAmountChecked,
    /// paSendRT answered HTTP 200 with an empty body.
    ReceiptEmpty200,
    /// Verify `options` = ANY (XSD-valid, but the Nodo wants EQ).
    OptionsAny,
    /// Sixteen metadata entries on the metadata position (at most 15).
    Metadata16,
    /// Debtor country written as a name (`ITALIA`), not an ISO code.
    DebtorCountryName,
    /// Every transfer of a multi-beneficiary position has idTransfer 1.
    DuplicateIdTransfer,
    /// paGetPaymentV2 and paSendRTV2 answered with the V1 response elements.
    V2WithV1Wrapper,
    /// transferType (POSTAL / PAGOPA) ignored.
    TransferTypeIgnored,
    /// Receipts validated against an old schema without `standIn`: any receipt carrying it
    /// is refused with KO PAA_SINTASSI_XSD.
    OldXsdReceipt,
    /// Every receipt takes 2.2 s (under the Nodo's 15 s).
    SlowReceipts,
}

use Deviation as D;

/// The EC served by one station instance.
#[derive(Debug, Clone)]
pub(crate) struct Identity {
    pub(crate) ec: &'static str,
    pub(crate) broker: &'static str,
    pub(crate) station: &'static str,
    pub(crate) company: &'static str,
}

pub(crate) const PRIMARY: Identity = Identity {
    ec: EC,
    broker: BROKER,
    station: STATION,
    company: COMPANY,
};

pub(crate) const SECONDARY: Identity = Identity {
    ec: SECONDARY_EC,
    broker: SECONDARY_EC,
    station: SECONDARY_STATION,
    company: SECONDARY_COMPANY,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Verify,
    GetPayment,
    GetPaymentV2,
    SendRt,
    SendRtV2,
}

impl Op {
    const ALL: [Op; 5] = [
        Op::Verify,
        Op::GetPayment,
        Op::GetPaymentV2,
        Op::SendRt,
        Op::SendRtV2,
    ];

    fn action(self) -> &'static str {
        match self {
            Op::Verify => "paVerifyPaymentNotice",
            Op::GetPayment => "paGetPayment",
            Op::GetPaymentV2 => "paGetPaymentV2",
            Op::SendRt => "paSendRT",
            Op::SendRtV2 => "paSendRTV2",
        }
    }

    /// DOMAIN.md §1 table.
    fn request(self) -> &'static str {
        match self {
            Op::Verify => "paVerifyPaymentNoticeReq",
            Op::GetPayment => "paGetPaymentReq",
            Op::GetPaymentV2 => "paGetPaymentV2Request",
            Op::SendRt => "paSendRTReq",
            Op::SendRtV2 => "paSendRTV2Request",
        }
    }

    fn response(self) -> &'static str {
        match self {
            Op::Verify => "paVerifyPaymentNoticeRes",
            Op::GetPayment => "paGetPaymentRes",
            Op::GetPaymentV2 => "paGetPaymentV2Response",
            Op::SendRt => "paSendRTRes",
            Op::SendRtV2 => "paSendRTV2Response",
        }
    }

    fn from_action(a: &str) -> Option<Op> {
        Op::ALL.into_iter().find(|o| o.action() == a)
    }

    fn from_request(local: &str) -> Option<Op> {
        Op::ALL.into_iter().find(|o| o.request() == local)
    }
}

/// A request as the station understood it.
#[derive(Debug)]
struct Request {
    op: Op,
    id_pa: String,
    id_broker_pa: String,
    id_station: String,
    body: RequestBody,
}

#[derive(Debug)]
enum RequestBody {
    Notice {
        fiscal_code: String,
        notice: String,
        transfer_type: Option<String>,
    },
    Receipt {
        receipt_id: String,
        notice: String,
        fiscal_code: String,
        amount_cents: u64,
        stand_in_element: bool,
    },
}

/// Why a request could not be read: the operation (when known) and what is wrong.
struct Unreadable {
    op: Option<Op>,
    why: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PositionState {
    Payable,
    Paid,
    Cancelled,
    Expired,
}

#[derive(Debug, Clone)]
enum Beneficiary {
    Iban(String),
    /// @e.bollo: richiestaMarcaDaBollo in paGetPaymentV2 (DOMAIN.md §3.3).
    Stamp,
}

#[derive(Debug, Clone)]
struct TransferSpec {
    fiscal_code: &'static str,
    company: &'static str,
    cents: u64,
    beneficiary: Beneficiary,
    category: &'static str,
    remittance: String,
    metadata: Vec<(String, String)>,
}

#[derive(Debug, Clone)]
struct Position {
    notice: String,
    cents: u64,
    description: String,
    state: PositionState,
    transfers: Vec<TransferSpec>,
    metadata: Vec<(String, String)>,
    all_ccp: bool,
    activated: bool,
}

fn amount(cents: u64) -> String {
    format!("{}.{:02}", cents / 100, cents % 100)
}

fn positions() -> BTreeMap<String, Position> {
    let acc = accounts();
    let ec_transfer = |cents: u64, what: &str| TransferSpec {
        fiscal_code: EC,
        company: COMPANY,
        cents,
        beneficiary: Beneficiary::Iban(acc.ec_iban.clone()),
        category: "9/0101100IM/",
        remittance: format!("/RFB/{what}"),
        metadata: Vec::new(),
    };
    let secondary_transfer = |cents: u64, what: &str| TransferSpec {
        fiscal_code: SECONDARY_EC,
        company: SECONDARY_COMPANY,
        cents,
        beneficiary: Beneficiary::Iban(acc.secondary_iban.clone()),
        category: "9/0201102IM/",
        remittance: format!("/RFB/{what}"),
        metadata: Vec::new(),
    };
    let mut out = BTreeMap::new();
    let mut add = |role: &str,
                   description: &str,
                   state: PositionState,
                   transfers: Vec<TransferSpec>,
                   metadata: Vec<(String, String)>,
                   all_ccp: bool| {
        let notice = fixture_notice(role);
        let cents = transfers.iter().map(|t| t.cents).sum();
        out.insert(
            notice.clone(),
            Position {
                notice,
                cents,
                description: description.to_string(),
                state,
                transfers,
                metadata,
                all_ccp,
                activated: false,
            },
        );
    };
    use PositionState::*;
    add(
        "payable",
        "TARI 2026 rata unica",
        Payable,
        vec![ec_transfer(15_000, "TARI 2026")],
        Vec::new(),
        false,
    );
    let mut v2 = ec_transfer(8_000, "Mensa scolastica");
    v2.metadata = vec![("capitolo".into(), "1234".into())];
    add(
        "payable-v2",
        "Mensa scolastica marzo",
        Payable,
        vec![v2],
        vec![("pratica".into(), "MS-2026-03".into())],
        false,
    );
    add(
        "multi-beneficiary",
        "Sanzione CdS con quota provinciale",
        Payable,
        vec![
            ec_transfer(7_000, "quota comunale"),
            secondary_transfer(3_000, "quota provinciale"),
        ],
        Vec::new(),
        false,
    );
    add(
        "multi-beneficiary-5",
        "Tributo ripartito su cinque quote",
        Payable,
        (1..=5)
            .map(|i| {
                if i % 2 == 1 {
                    ec_transfer(1_000 + i, &format!("quota {i}"))
                } else {
                    secondary_transfer(1_000 + i, &format!("quota {i}"))
                }
            })
            .collect(),
        Vec::new(),
        false,
    );
    // The EC has a postal account (allCCP = true): the transfer credits the bank account
    // unless the Nodo asks for POSTAL (DOMAIN.md §3.7).
    add(
        "postal",
        "Lampade votive 2026",
        Payable,
        vec![ec_transfer(4_500, "Lampade votive")],
        Vec::new(),
        true,
    );
    let mut stamp = ec_transfer(1_600, "imposta di bollo");
    stamp.beneficiary = Beneficiary::Stamp;
    add(
        "stamp",
        "Certificato con marca da bollo",
        Payable,
        vec![ec_transfer(3_000, "diritti di segreteria"), stamp],
        Vec::new(),
        false,
    );
    // ctMetadata allows 1..15 entries of stText140 (DOMAIN.md §2): the boundary.
    let meta: Vec<(String, String)> = (1..=15)
        .map(|i| (format!("chiave{i:02}"), format!("{i}").repeat(140 / 2)))
        .collect();
    add(
        "metadata",
        "Posizione con quindici metadati",
        Payable,
        vec![ec_transfer(6_000, "metadati")],
        meta,
        false,
    );
    add(
        "expired",
        "Avviso scaduto",
        Expired,
        vec![ec_transfer(2_500, "scaduto")],
        Vec::new(),
        false,
    );
    add(
        "cancelled",
        "Avviso annullato",
        Cancelled,
        vec![ec_transfer(3_500, "annullato")],
        Vec::new(),
        false,
    );
    add(
        "paid",
        "Avviso pagato",
        Paid,
        vec![ec_transfer(4_000, "pagato")],
        Vec::new(),
        false,
    );
    add(
        "receipt-target",
        "Retta asilo nido",
        Payable,
        vec![ec_transfer(12_050, "Retta asilo nido")],
        Vec::new(),
        false,
    );
    add(
        "in-progress",
        "Canone occupazione suolo",
        Payable,
        vec![ec_transfer(9_900, "COSAP")],
        Vec::new(),
        false,
    );
    out
}

/// What the station answers, before the wire-level deviations are applied.
enum Reply {
    /// outcome OK and the rest of the content.
    Ok(Op, Vec<Node>),
    /// outcome KO with a fault bean.
    Ko(Op, &'static str, String),
    /// A SOAP 1.1 Fault (never correct for an application error, DOMAIN.md §1).
    SoapFault(&'static str, String),
    /// Bytes as they are.
    Raw {
        status: u16,
        content_type: &'static str,
        body: String,
    },
}

#[derive(Debug, Default)]
struct Inner {
    positions: BTreeMap<String, Position>,
    /// receiptId → notice, for idempotent receipts.
    receipts: BTreeMap<String, String>,
    verifies: u32,
}

/// One running station instance.
pub(crate) struct Station {
    id: Identity,
    dev: Deviation,
    inner: Mutex<Inner>,
}

impl Station {
    fn new(id: Identity, dev: Deviation) -> Station {
        let positions = if id.ec == EC {
            positions()
        } else {
            BTreeMap::new()
        };
        Station {
            id,
            dev,
            inner: Mutex::new(Inner {
                positions,
                ..Inner::default()
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A station listening on 127.0.0.1; stopped when dropped.
pub(crate) struct Running {
    pub(crate) url: String,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Running {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Start a station for `id` with `dev`, bound before its URL is handed out.
pub(crate) async fn start(id: Identity, dev: Deviation) -> Running {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind 127.0.0.1:0");
    let addr = listener.local_addr().expect("local address");
    let app = axum::Router::new()
        .fallback(handle)
        .with_state(Arc::new(Station::new(id, dev)));
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Running {
        url: format!("http://{addr}/pagopa/station"),
        task,
    }
}

async fn handle(State(st): State<Arc<Station>>, headers: HeaderMap, body: Bytes) -> Response {
    let dev = st.dev;
    let raw_action = headers
        .get("soapaction")
        .and_then(|v| v.to_str().ok())
        .map(|s| s.trim().to_string());
    if let Some(raw) = &raw_action {
        let quoted = raw.starts_with('"');
        if (dev == D::SoapActionQuotedRefused && quoted)
            || (dev == D::SoapActionUnquotedRefused && !quoted)
        {
            return render(
                &st,
                Reply::SoapFault("Client", format!("no operation for SOAPAction {raw}")),
            );
        }
    }
    let action_op = raw_action
        .as_deref()
        .and_then(|a| Op::from_action(a.trim_matches('"')));
    let read = if dev == D::PrefixLiteral {
        read_literally(&body)
    } else {
        read_request(&body)
    };
    let reply = match read {
        Err(u) => match u.op.or(action_op) {
            Some(op) => {
                let code = if dev == D::SintassiXsd {
                    "PAA_SINTASSI_XSD"
                } else {
                    "PAA_SINTASSI_EXTRAXSD"
                };
                Reply::Ko(op, code, format!("Richiesta non valida: {}", u.why))
            }
            None => Reply::SoapFault("Client", format!("unreadable request: {}", u.why)),
        },
        Ok(req) => {
            if req.op == Op::Verify {
                let first = {
                    let mut inner = st.lock();
                    inner.verifies += 1;
                    inner.verifies == 1
                };
                match dev {
                    D::SlowFirstVerify if first => {
                        tokio::time::sleep(Duration::from_millis(2_100)).await;
                    }
                    D::VerifyTimeout => tokio::time::sleep(Duration::from_millis(1_300)).await,
                    _ => {}
                }
            }
            if dev == D::SlowReceipts && matches!(req.op, Op::SendRt | Op::SendRtV2) {
                tokio::time::sleep(Duration::from_millis(2_200)).await;
            }
            answer(&st, &req)
        }
    };
    render(&st, reply)
}

fn unreadable(op: Option<Op>, why: impl Into<String>) -> Unreadable {
    Unreadable {
        op,
        why: why.into(),
    }
}

/// Read a request with a real XML parser: SOAP 1.1 envelope, one wrapper in the paForNode
/// namespace, unqualified children (DOMAIN.md §1).
fn read_request(body: &[u8]) -> Result<Request, Unreadable> {
    let text = std::str::from_utf8(body).map_err(|_| unreadable(None, "not UTF-8"))?;
    let root = xml::parse(text).map_err(|e| unreadable(None, e))?;
    if root.local != "Envelope" || root.ns.as_deref() != Some(NS_SOAP11) {
        return Err(unreadable(None, "not a SOAP 1.1 envelope"));
    }
    let soap_body = root
        .children
        .iter()
        .find(|c| c.local == "Body" && c.ns.as_deref() == Some(NS_SOAP11))
        .ok_or_else(|| unreadable(None, "no SOAP Body"))?;
    let wrapper = soap_body
        .children
        .first()
        .ok_or_else(|| unreadable(None, "empty SOAP Body"))?;
    let op = Op::from_request(&wrapper.local);
    if wrapper.ns.as_deref() != Some(NS_PAFORNODE) {
        return Err(unreadable(
            op,
            format!("{} is not in the paForNode namespace", wrapper.local),
        ));
    }
    let op = op.ok_or_else(|| unreadable(None, format!("unknown request {}", wrapper.local)))?;
    request_of(op, wrapper)
}

fn required<'a>(el: &'a Element, op: Op, path: &str) -> Result<&'a str, Unreadable> {
    match el.text_at(path) {
        Some(t) if !t.is_empty() => Ok(t),
        _ => Err(unreadable(Some(op), format!("{path} is missing"))),
    }
}

fn digits(s: &str, n: usize) -> bool {
    s.len() == n && s.bytes().all(|b| b.is_ascii_digit())
}

/// `\d+\.\d{2}` in cents (DOMAIN.md §2).
fn cents_of(s: &str) -> Option<u64> {
    let (units, dec) = s.split_once('.')?;
    if units.is_empty() || !units.bytes().all(|b| b.is_ascii_digit()) || !digits(dec, 2) {
        return None;
    }
    Some(units.parse::<u64>().ok()? * 100 + dec.parse::<u64>().ok()?)
}

fn request_of(op: Op, w: &Element) -> Result<Request, Unreadable> {
    let id_pa = required(w, op, "idPA")?.to_string();
    let id_broker_pa = required(w, op, "idBrokerPA")?.to_string();
    let id_station = required(w, op, "idStation")?.to_string();
    let body = match op {
        Op::Verify | Op::GetPayment | Op::GetPaymentV2 => {
            let fiscal_code = required(w, op, "qrCode/fiscalCode")?.to_string();
            let notice = required(w, op, "qrCode/noticeNumber")?.to_string();
            if !digits(&fiscal_code, 11) || !digits(&notice, 18) {
                return Err(unreadable(Some(op), "qrCode is not well formed"));
            }
            RequestBody::Notice {
                fiscal_code,
                notice,
                transfer_type: w.text_at("transferType").map(str::to_string),
            }
        }
        Op::SendRt | Op::SendRtV2 => {
            let receipt = w
                .child("receipt")
                .ok_or_else(|| unreadable(Some(op), "receipt is missing"))?;
            let amount = required(receipt, op, "paymentAmount")?;
            RequestBody::Receipt {
                receipt_id: required(receipt, op, "receiptId")?.to_string(),
                notice: required(receipt, op, "noticeNumber")?.to_string(),
                fiscal_code: required(receipt, op, "fiscalCode")?.to_string(),
                amount_cents: cents_of(amount)
                    .ok_or_else(|| unreadable(Some(op), "paymentAmount is not an amount"))?,
                stand_in_element: receipt.child("standIn").is_some(),
            }
        }
    };
    Ok(Request {
        op,
        id_pa,
        id_broker_pa,
        id_station,
        body,
    })
}

/// The deviation `PrefixLiteral`: string matching on the literal tags the integrator saw in
/// an example (`soapenv:Body`, `pafn:<request>`), no namespace resolution.
fn read_literally(body: &[u8]) -> Result<Request, Unreadable> {
    let s = String::from_utf8_lossy(body);
    if !s.contains("<soapenv:Body>") {
        return Err(unreadable(None, "no <soapenv:Body>"));
    }
    let op = Op::ALL
        .into_iter()
        .find(|o| s.contains(&format!("<pafn:{}>", o.request())))
        .ok_or_else(|| unreadable(None, "no <pafn:...> request"))?;
    let grab = |tag: &str| -> Result<String, Unreadable> {
        let open = format!("<{tag}>");
        let start = s
            .find(&open)
            .ok_or_else(|| unreadable(Some(op), format!("no {tag}")))?
            + open.len();
        let len = s[start..]
            .find(&format!("</{tag}>"))
            .ok_or_else(|| unreadable(Some(op), format!("no {tag}")))?;
        Ok(s[start..start + len].trim().to_string())
    };
    let body = match op {
        Op::Verify | Op::GetPayment | Op::GetPaymentV2 => RequestBody::Notice {
            fiscal_code: grab("fiscalCode")?,
            notice: grab("noticeNumber")?,
            transfer_type: grab("transferType").ok(),
        },
        Op::SendRt | Op::SendRtV2 => RequestBody::Receipt {
            receipt_id: grab("receiptId")?,
            notice: grab("noticeNumber")?,
            fiscal_code: grab("fiscalCode")?,
            amount_cents: cents_of(&grab("paymentAmount")?)
                .ok_or_else(|| unreadable(Some(op), "paymentAmount"))?,
            stand_in_element: s.contains("<standIn>"),
        },
    };
    Ok(Request {
        op,
        id_pa: grab("idPA")?,
        id_broker_pa: grab("idBrokerPA")?,
        id_station: grab("idStation")?,
        body,
    })
}

fn answer(st: &Station, req: &Request) -> Reply {
    let dev = st.dev;
    let op = req.op;
    if dev == D::V2PlainText500 && op == Op::GetPaymentV2 {
        return Reply::Raw {
            status: 500,
            content_type: "text/plain; charset=utf-8",
            body: "Internal Server Error".into(),
        };
    }
    // DOMAIN.md §4.1: the caller's identities, in request order.
    if req.id_pa != st.id.ec && dev != D::IdPaNotChecked {
        return Reply::Ko(
            op,
            "PAA_ID_DOMINIO_ERRATO",
            format!("idPA {} non servito da questa stazione", req.id_pa),
        );
    }
    if req.id_broker_pa != st.id.broker {
        return Reply::Ko(
            op,
            "PAA_ID_INTERMEDIARIO_ERRATO",
            format!("idBrokerPA {} sconosciuto", req.id_broker_pa),
        );
    }
    if req.id_station != st.id.station {
        return Reply::Ko(
            op,
            "PAA_STAZIONE_INT_ERRATA",
            format!("idStation {} sconosciuta", req.id_station),
        );
    }
    match &req.body {
        RequestBody::Notice {
            fiscal_code,
            notice,
            transfer_type,
        } => notice_reply(st, op, fiscal_code, notice, transfer_type.as_deref()),
        RequestBody::Receipt {
            receipt_id,
            notice,
            fiscal_code,
            amount_cents,
            stand_in_element,
        } => {
            if dev == D::OldXsdReceipt && *stand_in_element {
                return Reply::Ko(
                    op,
                    "PAA_SINTASSI_XSD",
                    "cvc-complex-type.2.4.d: Invalid content was found starting with element \
                     'standIn'. No child element is expected at this point."
                        .into(),
                );
            }
            receipt_reply(st, op, receipt_id, notice, fiscal_code, *amount_cents)
        }
    }
}

fn notice_reply(
    st: &Station,
    op: Op,
    fiscal_code: &str,
    notice: &str,
    transfer_type: Option<&str>,
) -> Reply {
    let dev = st.dev;
    if dev == D::ProbeSystemError && notice == PROBE {
        return Reply::Ko(op, "PAA_SYSTEM_ERROR", "Errore interno".into());
    }
    let mut inner = st.lock();
    let held = if fiscal_code == st.id.ec {
        inner.positions.get_mut(notice)
    } else {
        None
    };
    let Some(p) = held else {
        if dev == D::UnknownAnswersOk {
            let mut made_up = Position {
                notice: notice.to_string(),
                cents: 1_000,
                description: "Pagamento".into(),
                state: PositionState::Payable,
                transfers: Vec::new(),
                metadata: Vec::new(),
                all_ccp: false,
                activated: false,
            };
            made_up.transfers = positions()
                .values()
                .next()
                .map(|p| p.transfers.clone())
                .unwrap_or_default();
            made_up.cents = made_up.transfers.iter().map(|t| t.cents).sum();
            return ok_for(st, op, &made_up, transfer_type);
        }
        return Reply::Ko(
            op,
            "PAA_PAGAMENTO_SCONOSCIUTO",
            format!("Pagamento {notice} sconosciuto"),
        );
    };
    match p.state {
        PositionState::Paid if dev == D::PaidAnswersOk => {}
        PositionState::Paid if dev == D::PaidSconosciuto => {
            return Reply::Ko(
                op,
                "PAA_PAGAMENTO_SCONOSCIUTO",
                format!("Pagamento {notice} sconosciuto"),
            );
        }
        PositionState::Paid => {
            return Reply::Ko(
                op,
                "PAA_PAGAMENTO_DUPLICATO",
                format!("Pagamento {notice} gia' effettuato"),
            );
        }
        PositionState::Cancelled => {
            return Reply::Ko(
                op,
                "PAA_PAGAMENTO_ANNULLATO",
                format!("Pagamento {notice} annullato"),
            );
        }
        PositionState::Expired => {
            return Reply::Ko(
                op,
                "PAA_PAGAMENTO_SCADUTO",
                format!("Pagamento {notice} scaduto"),
            );
        }
        PositionState::Payable => {}
    }
    if p.activated
        && ((op == Op::Verify && dev == D::InCorsoAfterActivation) || dev == D::ActivationInCorso)
    {
        return Reply::Ko(
            op,
            "PAA_PAGAMENTO_IN_CORSO",
            format!("Pagamento {notice} in corso"),
        );
    }
    if op == Op::GetPayment
        && p.transfers
            .iter()
            .any(|t| matches!(t.beneficiary, Beneficiary::Stamp))
    {
        // paGetPayment V1 has no way to express a stamp (IBAN is mandatory, §3.2).
        return Reply::Ko(
            op,
            "PAA_SEMANTICA",
            "Posizione con marca da bollo: usare paGetPaymentV2".into(),
        );
    }
    if matches!(op, Op::GetPayment | Op::GetPaymentV2) {
        p.activated = true;
        if dev == D::ActivationClosesPosition {
            p.state = PositionState::Paid;
        }
    }
    let p = p.clone();
    drop(inner);
    ok_for(st, op, &p, transfer_type)
}

fn ok_for(st: &Station, op: Op, p: &Position, transfer_type: Option<&str>) -> Reply {
    match op {
        Op::Verify => Reply::Ok(op, verify_ok(st, p)),
        _ => Reply::Ok(op, activation_ok(st, op, p, transfer_type)),
    }
}

/// Exactly 140 characters (stText140's limit, DOMAIN.md §2), built from `seed`.
fn chars140(seed: &str) -> String {
    seed.chars().cycle().take(140).collect()
}

fn company(st: &Station) -> String {
    if st.dev == D::Utf8AtLimits {
        chars140("Comune di Forlì – Città di Sant'Agata sul Santerno, Ufficio Entrate ")
    } else {
        st.id.company.to_string()
    }
}

fn description(dev: Deviation, p: &Position) -> String {
    if dev == D::Utf8AtLimits {
        chars140(&format!("{} – attività più città ", p.description))
    } else {
        p.description.clone()
    }
}

fn fault_node(code: &str, string: &str, id: &str) -> Node {
    Node::el(
        "fault",
        vec![
            Node::leaf("faultCode", code),
            Node::leaf("faultString", string),
            Node::leaf("id", id),
        ],
    )
}

/// paVerifyPaymentNoticeRes content after `outcome` (DOMAIN.md §3.1).
fn verify_ok(st: &Station, p: &Position) -> Vec<Node> {
    let dev = st.dev;
    let minimal = dev == D::MinimalOk;
    let amount_text = if dev == D::VerifyAmountComma {
        amount(p.cents).replace('.', ",")
    } else {
        amount(p.cents)
    };
    let options = if dev == D::OptionsAny { "ANY" } else { "EQ" };
    let mut option = vec![
        Node::leaf("amount", amount_text),
        Node::leaf("options", options),
    ];
    if !minimal {
        option.push(Node::leaf("dueDate", "2030-12-31"));
        option.push(Node::leaf("detailDescription", description(dev, p)));
    }
    option.push(Node::leaf(
        "allCCP",
        if p.all_ccp { "true" } else { "false" },
    ));
    let mut out = Vec::new();
    if dev == D::OkWithFault {
        out.push(fault_node("PAA_OK", "Operazione eseguita", st.id.broker));
    }
    out.push(Node::el(
        "paymentList",
        vec![Node::el("paymentOptionDescription", option)],
    ));
    out.push(Node::leaf("paymentDescription", description(dev, p)));
    out.push(Node::leaf("fiscalCodePA", st.id.ec));
    out.push(Node::leaf(
        "companyName",
        if dev == D::VerifyCompanyNameEmpty {
            String::new()
        } else {
            company(st)
        },
    ));
    if !minimal {
        out.push(Node::leaf("officeName", "Ufficio Tributi"));
    }
    out
}

fn metadata_node(entries: &[(String, String)]) -> Node {
    Node::el(
        "metadata",
        entries
            .iter()
            .map(|(k, v)| {
                Node::el(
                    "mapEntry",
                    vec![Node::leaf("key", k.clone()), Node::leaf("value", v.clone())],
                )
            })
            .collect(),
    )
}

/// paGetPayment(V2)Response `data` (DOMAIN.md §3.2, §3.3, §3.7, §5).
fn activation_ok(st: &Station, op: Op, p: &Position, transfer_type: Option<&str>) -> Vec<Node> {
    let dev = st.dev;
    let v2 = op == Op::GetPaymentV2;
    let minimal = dev == D::MinimalOk;
    let acc = accounts();
    let postal_of = |fc: &str| {
        if fc == EC {
            acc.ec_postal.clone()
        } else {
            acc.secondary_postal.clone()
        }
    };
    let mut transfers = p.transfers.clone();
    if dev == D::AmountDrift {
        transfers[0].cents += 100;
    }
    if dev == D::MultiSplitRounding && transfers.len() > 1 {
        if let Some(last) = transfers.last_mut() {
            last.cents -= 1;
        }
    }
    if dev == D::SecondaryIbanOfPrimary {
        for t in &mut transfers {
            if t.fiscal_code != EC {
                t.beneficiary = Beneficiary::Iban(acc.ec_iban.clone());
            }
        }
    }
    let mut payment_cents: u64 = p.cents + if dev == D::AmountDrift { 100 } else { 0 };
    if dev == D::SixTransfers && transfers.len() == 5 {
        let mut fee = transfers[0].clone();
        fee.cents = 100;
        fee.remittance = "/RFB/diritti di riscossione".into();
        transfers.push(fee);
        payment_cents += 100;
    }
    let transfer_type = if dev == D::TransferTypeIgnored {
        None
    } else {
        transfer_type
    };
    // §3.7: POSTAL → the postal IBAN on idTransfer 1; PAGOPA → IBANAPPOGGIO on every transfer.
    if transfer_type == Some("POSTAL") {
        if let Some(first) = transfers.first_mut() {
            if matches!(first.beneficiary, Beneficiary::Iban(_)) {
                first.beneficiary = Beneficiary::Iban(postal_of(first.fiscal_code));
            }
        }
    }
    if transfer_type == Some("PAGOPA") {
        for t in &mut transfers {
            if !t.metadata.iter().any(|(k, _)| k == "IBANAPPOGGIO") {
                t.metadata
                    .push(("IBANAPPOGGIO".into(), postal_of(t.fiscal_code)));
            }
        }
    }
    let fmt = |cents: u64| {
        if dev == D::ActivationAmountOneDecimal {
            format!("{:.1}", cents as f64 / 100.0)
        } else {
            amount(cents)
        }
    };
    let multi = transfers.iter().any(|t| t.fiscal_code != EC);
    let transfer_nodes: Vec<Node> = transfers
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let id = if dev == D::DuplicateIdTransfer && multi {
                1
            } else {
                i + 1
            };
            let mut n = vec![
                Node::leaf("idTransfer", id.to_string()),
                Node::leaf("transferAmount", fmt(t.cents)),
                Node::leaf("fiscalCodePA", t.fiscal_code),
            ];
            if v2 && !minimal {
                n.push(Node::leaf("companyName", t.company));
            }
            match &t.beneficiary {
                Beneficiary::Iban(iban) => n.push(Node::leaf("IBAN", iban.clone())),
                Beneficiary::Stamp => n.push(Node::el(
                    "richiestaMarcaDaBollo",
                    vec![
                        // base64 of a SHA-256 digest: 44 characters, pattern .{4,72}.
                        Node::leaf(
                            "hashDocumento",
                            "q1w2e3r4t5y6u7i8o9p0a1s2d3f4g5h6j7k8l9z0x1c=",
                        ),
                        Node::leaf("tipoBollo", "01"),
                        Node::leaf("provinciaResidenza", "RM"),
                    ],
                )),
            }
            let remittance = if dev == D::Utf8AtLimits {
                chars140("Causale: quota è dovuta € ")
            } else {
                t.remittance.clone()
            };
            n.push(Node::leaf("remittanceInformation", remittance));
            if dev != D::V1NoTransferCategory || v2 {
                n.push(Node::leaf("transferCategory", t.category));
            }
            if !t.metadata.is_empty() {
                n.push(metadata_node(&t.metadata));
            }
            Node::el("transfer", n)
        })
        .collect();
    let mut debtor = vec![Node::el(
        "uniqueIdentifier",
        vec![
            Node::leaf("entityUniqueIdentifierType", "F"),
            Node::leaf(
                "entityUniqueIdentifierValue",
                if minimal {
                    "ANONIMO"
                } else {
                    "RSSMRA80A01H501U"
                },
            ),
        ],
    )];
    debtor.push(Node::leaf(
        "fullName",
        if dev == D::Utf8AtLimits {
            "Niccolò Ðurić-Ščepanović"
        } else {
            "Mario Rossi"
        },
    ));
    if !minimal {
        debtor.extend([
            Node::leaf("streetName", "Via Roma"),
            Node::leaf("civicNumber", "1"),
            Node::leaf("postalCode", "00100"),
            Node::leaf("city", "Roma"),
            Node::leaf("stateProvinceRegion", "RM"),
            Node::leaf(
                "country",
                if dev == D::DebtorCountryName {
                    "ITALIA"
                } else {
                    "IT"
                },
            ),
            Node::leaf("e-mail", "mario.rossi@example.it"),
        ]);
    }
    let notice = p.notice.as_str();
    let mut data = vec![
        Node::leaf(
            "creditorReferenceId",
            if dev == D::CridIsNav {
                notice
            } else {
                iuv(notice)
            },
        ),
        Node::leaf("paymentAmount", fmt(payment_cents)),
        Node::leaf(
            "dueDate",
            if dev == D::DueDateDateTime {
                "2030-12-31T00:00:00"
            } else {
                "2030-12-31"
            },
        ),
    ];
    if !minimal {
        data.push(Node::leaf("retentionDate", "2031-01-31T23:59:59"));
        data.push(Node::leaf("lastPayment", "false"));
    }
    data.push(Node::leaf("description", description(dev, p)));
    // companyName: optional in V1, mandatory in V2 (§3.3, §15 item 5).
    if v2 || !minimal {
        data.push(Node::leaf("companyName", company(st)));
    }
    if !minimal {
        data.push(Node::leaf("officeName", "Ufficio Tributi"));
    }
    data.push(Node::el("debtor", debtor));
    data.push(Node::el("transferList", transfer_nodes));
    if !p.metadata.is_empty() {
        let mut entries = p.metadata.clone();
        if dev == D::Metadata16 && entries.len() == 15 {
            entries.push(("chiave16".into(), "sedicesima".into()));
        }
        data.push(metadata_node(&entries));
    }
    vec![Node::el("data", data)]
}

/// paSendRT(V2): never refused (§6), idempotent on receiptId, closes the position.
fn receipt_reply(
    st: &Station,
    op: Op,
    receipt_id: &str,
    notice: &str,
    fiscal_code: &str,
    amount_cents: u64,
) -> Reply {
    let dev = st.dev;
    if dev == D::ReceiptEmpty200 {
        return Reply::Raw {
            status: 200,
            content_type: "text/xml; charset=utf-8",
            body: String::new(),
        };
    }
    let mut inner = st.lock();
    if inner.receipts.contains_key(receipt_id) {
        return match dev {
            D::ReceiptDuplicata => Reply::Ko(
                op,
                "PAA_RECEIPT_DUPLICATA",
                format!("Ricevuta {receipt_id} gia' acquisita"),
            ),
            D::DuplicateReceiptSemantica => Reply::Ko(
                op,
                "PAA_SEMANTICA",
                format!("Ricevuta {receipt_id} gia' elaborata"),
            ),
            _ => Reply::Ok(op, Vec::new()),
        };
    }
    let mine = fiscal_code == st.id.ec;
    if dev == D::ReceiptAmountChecked && mine {
        if let Some(p) = inner.positions.get(notice) {
            if p.cents != amount_cents {
                return Reply::Ko(
                    op,
                    "PAA_SEMANTICA",
                    format!(
                        "Importo {} diverso da quello dovuto {}",
                        amount(amount_cents),
                        amount(p.cents)
                    ),
                );
            }
        }
    }
    inner
        .receipts
        .insert(receipt_id.to_string(), notice.to_string());
    if mine && dev != D::ReceiptNotBooked {
        if let Some(p) = inner.positions.get_mut(notice) {
            p.state = PositionState::Paid;
        }
    }
    Reply::Ok(op, Vec::new())
}

/// Turn a reply into HTTP, with the wire-level deviations.
fn render(st: &Station, reply: Reply) -> Response {
    let dev = st.dev;
    let (status, body) = match reply {
        Reply::Raw {
            status,
            content_type,
            body,
        } => return raw(status, content_type, body),
        Reply::SoapFault(code, string) => (500, soap_fault(dev, code, &string)),
        Reply::Ok(op, content) => {
            let mut all = vec![Node::leaf("outcome", "OK")];
            all.extend(content);
            (200, document(dev, op, &Node::el(op.response(), all)))
        }
        Reply::Ko(op, code, string) => {
            if dev == D::SoapFaultKo {
                (500, soap_fault(dev, "Server", &format!("{code}: {string}")))
            } else {
                let code = if dev == D::NonPaaCodes {
                    non_paa(code)
                } else {
                    code
                };
                let string = if dev == D::FaultStringBlanks {
                    format!("\n      {string}   \n   ")
                } else {
                    string
                };
                let id = if dev == D::FaultIdEmpty {
                    ""
                } else {
                    st.id.broker
                };
                let mut all = vec![Node::leaf("outcome", "KO")];
                if dev != D::KoWithoutFault {
                    let mut fault = fault_node(code, &string, id);
                    fault
                        .children
                        .push(Node::leaf("description", format!("{code}: {string}")));
                    all.push(fault);
                }
                let status = match dev {
                    D::KoHttp500 => 500,
                    D::KoHttp404Unknown if code == "PAA_PAGAMENTO_SCONOSCIUTO" => 404,
                    _ => 200,
                };
                (status, document(dev, op, &Node::el(op.response(), all)))
            }
        }
    };
    let content_type = match dev {
        D::ContentTypeHtml => "text/html; charset=utf-8",
        D::ContentTypeSoap12 => "application/soap+xml; charset=utf-8",
        _ => "text/xml; charset=utf-8",
    };
    raw(status, content_type, body)
}

fn raw(status: u16, content_type: &'static str, body: String) -> Response {
    let mut r = (
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        body,
    )
        .into_response();
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    r
}

/// The station's own vocabulary instead of PAA_* (the deviation `NonPaaCodes`).
fn non_paa(code: &'static str) -> &'static str {
    match code {
        "PAA_PAGAMENTO_SCONOSCIUTO" => "ERR_NOT_FOUND",
        "PAA_PAGAMENTO_DUPLICATO" => "ERR_ALREADY_PAID",
        "PAA_PAGAMENTO_SCADUTO" => "ERR_EXPIRED",
        "PAA_PAGAMENTO_ANNULLATO" => "ERR_CANCELLED",
        "PAA_PAGAMENTO_IN_CORSO" => "ERR_IN_PROGRESS",
        "PAA_ID_DOMINIO_ERRATO" => "ERR_WRONG_DOMAIN",
        "PAA_ID_INTERMEDIARIO_ERRATO" => "ERR_WRONG_BROKER",
        "PAA_STAZIONE_INT_ERRATA" => "ERR_WRONG_STATION",
        "PAA_SINTASSI_EXTRAXSD" | "PAA_SINTASSI_XSD" => "ERR_BAD_REQUEST",
        "PAA_RECEIPT_DUPLICATA" => "ERR_DUPLICATE_RECEIPT",
        _ => "ERR_GENERIC",
    }
}

/// The SOAP 1.1 envelope around the response wrapper (or not, for `BarePayload`).
fn document(dev: Deviation, op: Op, wrapper: &Node) -> String {
    let mut content = String::new();
    match dev {
        D::PrettyCdata => {
            content.push_str("\n      <!-- generated by the EC back office -->");
            wrapper.write_children_pretty(&mut content, 3);
            content.push_str("\n    ");
        }
        D::DefaultNsWrapper => wrapper.write_children_unqualified(&mut content),
        _ => wrapper.write_children(&mut content),
    }
    let res = match (dev, op) {
        (D::V2WithV1Wrapper, Op::GetPaymentV2) => Op::GetPayment.response(),
        (D::V2WithV1Wrapper, Op::SendRtV2) => Op::SendRt.response(),
        _ => op.response(),
    };
    match dev {
        D::PrettyCdata => format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<soapenv:Envelope xmlns:soapenv=\"{NS_SOAP11}\" xmlns:paf=\"{NS_PAFORNODE}\">\n  <soapenv:Header/>\n  <soapenv:Body>\n    <paf:{res}>{content}</paf:{res}>\n  </soapenv:Body>\n</soapenv:Envelope>\n"
        ),
        D::DefaultNsWrapper => format!(
            "<soapenv:Envelope xmlns:soapenv=\"{NS_SOAP11}\"><soapenv:Body><{res} xmlns=\"{NS_PAFORNODE}\">{content}</{res}></soapenv:Body></soapenv:Envelope>"
        ),
        D::BarePayload => format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><paf:{res} xmlns:paf=\"{NS_PAFORNODE}\">{content}</paf:{res}>"
        ),
        D::JaxwsPrefixes => format!(
            "<?xml version='1.0' encoding='UTF-8'?><S:Envelope xmlns:S=\"{NS_SOAP11}\"><S:Body><ns2:{res} xmlns:ns2=\"{NS_PAFORNODE}\">{content}</ns2:{res}></S:Body></S:Envelope>"
        ),
        D::QualifiedChildren => format!(
            "<soapenv:Envelope xmlns:soapenv=\"{NS_SOAP11}\" xmlns:paf=\"{NS_PAFORNODE}\"><soapenv:Header/><soapenv:Body><paf:{res} xmlns=\"{NS_PAFORNODE}\">{content}</paf:{res}></soapenv:Body></soapenv:Envelope>"
        ),
        _ => format!(
            "<soapenv:Envelope xmlns:soapenv=\"{NS_SOAP11}\" xmlns:paf=\"{NS_PAFORNODE}\"><soapenv:Header/><soapenv:Body><paf:{res}>{content}</paf:{res}></soapenv:Body></soapenv:Envelope>"
        ),
    }
}

fn soap_fault(dev: Deviation, code: &str, string: &str) -> String {
    let mut escaped = String::new();
    xml::escape_into(string, &mut escaped);
    let _ = dev;
    format!(
        "<soapenv:Envelope xmlns:soapenv=\"{NS_SOAP11}\"><soapenv:Body><soapenv:Fault><faultcode>soapenv:{code}</faultcode><faultstring>{escaped}</faultstring></soapenv:Fault></soapenv:Body></soapenv:Envelope>"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixtures_are_distinct_and_check_digit_valid() {
        let mut seen = std::collections::BTreeSet::new();
        for (role, _) in FIXTURES {
            let n = fixture_notice(role);
            assert!(seen.insert(n.clone()), "{role}");
            let prefix: u64 = n[..16].parse().unwrap();
            assert_eq!(format!("{:02}", prefix % 93), &n[16..]);
        }
    }

    #[test]
    fn amounts() {
        assert_eq!(amount(12_050), "120.50");
        assert_eq!(cents_of("120.50"), Some(12_050));
        assert_eq!(cents_of("120.5"), None);
        assert_eq!(cents_of("120,50"), None);
    }
}
