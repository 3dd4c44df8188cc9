//! The expected-verdict table: one row per station, written from DOMAIN.md and TEST-PLAN.md §4
//! (not from what the harness does today). Where today's harness disagrees, the row keeps the
//! spec's answer and lists the case under `known_harness_defects` with what the harness says,
//! so the test passes today and the list stays visible (and goes stale, loudly, when fixed).

use crate::station::Deviation;

/// The built-in cases every row runs (unless it says `only`): verify, activate, receipts
/// (except the Stand-In/ACA ones), fault hygiene, identifiers, transport, SLA and the
/// Stand-In probe (SIN-001 needs neither ACA nor a fixture).
pub(crate) const BASE: &[&str] = &[
    "VRF-001",
    "VRF-002",
    "VRF-003",
    "VRF-004",
    "VRF-005",
    "VRF-006a",
    "VRF-006b",
    "VRF-006c",
    "VRF-007",
    "VRF-009",
    "VRF-010",
    "ACT-001",
    "ACT-001V2",
    "ACT-002M",
    "ACT-003",
    "ACT-004",
    "ACT-005",
    "ACT-010",
    "ACT-006",
    "ACT-007",
    "ACT-008",
    "ACT-009",
    "RT-001",
    "RT-001V2",
    "RT-002M",
    "RT-003",
    "RT-004",
    "RT-005",
    "RT-006",
    "RT-007",
    "RT-008",
    "FLT-001",
    "IUV-001",
    "IUV-002",
    "CON-002",
    "SLA-001",
    "SIN-001",
];

/// The rest of the built-in catalogue: the correct station must see them skipped with a reason
/// (VRF-008 needs an `[ec.actions]` hook, DEM-* a `[demand]` service, ACA-* and the Stand-In
/// cases a mock ACA fed by the EC).
const OUT_OF_SCOPE: &[&str] = &[
    "VRF-008", "DEM-001", "DEM-002", "ACA-001", "ACA-002", "ACA-003", "ACA-004", "ACA-005M",
    "ACA-006", "ACA-007", "ACA-008", "SIN-002", "SIN-002N", "SIN-003", "SIN-004", "SIN-005M",
    "SIN-006", "SIN-007", "SIN-008", "SIN-009", "SIN-010",
];

/// Cases that change nothing on a station (verifies, and activations answered KO): they share
/// one run per row. Every other case runs alone against fresh stations, so a case that
/// activates or pays a notice never changes what another case sees.
pub(crate) const READ_ONLY: &[&str] = &[
    "VRF-001", "VRF-002", "VRF-003", "VRF-004", "VRF-005", "VRF-006a", "VRF-006b", "VRF-006c",
    "VRF-007", "VRF-010", "ACT-010", "ACT-006", "FLT-001", "IUV-001", "CON-002", "SIN-001",
];

/// Cases with a verify step that must be a valid OK (or, in ACT-001/ACT-008, anything but a
/// PPT error about the station).
const VERIFY_OK: &[&str] = &[
    "VRF-001",
    "VRF-009",
    "ACT-001",
    "ACT-001V2",
    "ACT-002M",
    "ACT-008",
    "IUV-001",
    "CON-002",
    "SLA-001",
    "RT-006",
];
/// Cases whose paGetPayment (V1) must be a valid OK.
const V1_ACTIVATION_OK: &[&str] = &["ACT-001", "ACT-007", "RT-001"];
/// Cases whose paGetPaymentV2 must be a valid OK (no version is pinned in `[station]`: the
/// station answers both, and an activation without an explicit version is V2).
const V2_ACTIVATION_OK: &[&str] = &[
    "VRF-009",
    "ACT-001V2",
    "ACT-002M",
    "ACT-003",
    "ACT-004",
    "ACT-005",
    "ACT-007",
    "ACT-008",
    "ACT-009",
    "RT-001V2",
    "RT-002M",
    "RT-003",
    "RT-004",
    "RT-005",
    "RT-006",
    "RT-007",
    "RT-008",
    "IUV-002",
    "SLA-001",
];
/// Cases with a step that must be a valid KO with a given PAA code.
const KO_EXPECTED: &[&str] = &[
    "VRF-002", "VRF-003", "VRF-004", "VRF-005", "VRF-006a", "VRF-006b", "VRF-006c", "VRF-007",
    "VRF-010", "ACT-006", "FLT-001", "SIN-001", "RT-001", "RT-001V2", "RT-003",
];
/// Cases where any valid KO will do (ACT-010: a stamp cannot be expressed in V1, the station
/// refuses with a KO of its choice).
const KO_ANY: &[&str] = &["ACT-010"];
/// KO steps whose TEST-PLAN row demands HTTP 200 / no SOAP Fault (VRF-007, FLT-001, SIN-001).
const KO_HTTP_200: &[&str] = &["VRF-007", "FLT-001", "SIN-001"];
/// Cases that verify after the receipt and expect PAA_PAGAMENTO_DUPLICATO.
const PAID_AFTER_RECEIPT: &[&str] = &["RT-001", "RT-001V2", "RT-003"];
/// Cases whose receipt deliveries reach the station and must be accepted.
const RECEIPTS_ACCEPTED: &[&str] = &[
    "RT-001", "RT-001V2", "RT-002M", "RT-003", "RT-004", "RT-006", "RT-007", "RT-008",
];

/// Which cases of [`BASE`] a category covers.
#[derive(Debug, Clone)]
pub(crate) enum Sel {
    /// Exactly these.
    List(Vec<&'static str>),
    /// Every case of [`BASE`] not named by another category of the row.
    Rest,
}

/// One station and what the spec makes of it.
#[derive(Debug, Clone)]
pub(crate) struct Row {
    pub(crate) name: &'static str,
    pub(crate) deviation: Deviation,
    /// What the station does, and the spec reference that judges it.
    pub(crate) what: &'static str,
    /// Verdict Fail (not Error, not Skipped).
    pub(crate) must_fail: Vec<&'static str>,
    /// Verdict Pass.
    pub(crate) must_pass: Sel,
    /// Verdict Pass with at least one warning.
    pub(crate) must_warn: Sel,
    /// Pass; a warning is acceptable (listed for the reader).
    pub(crate) may_warn: Vec<&'static str>,
    /// The spec does not decide: run and report, assert nothing. (case, why)
    pub(crate) undecided: Vec<(&'static str, &'static str)>,
    /// Skipped with a reason (a role this corpus does not provide).
    pub(crate) must_skip: Vec<&'static str>,
    /// Only these cases run (slow stations); `None` = BASE.
    pub(crate) only: Option<Vec<&'static str>>,
    /// `[timeouts] sync_ms` for this row.
    pub(crate) sync_ms: Option<u64>,
    /// A deviation no built-in case can see: why.
    pub(crate) gap: Option<&'static str>,
    /// Cases where today's harness disagrees with this row: (case, what the harness does and
    /// why the row keeps the spec's answer).
    pub(crate) known_harness_defects: Vec<(&'static str, &'static str)>,
}

/// What a row expects of one case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Expect {
    Fail,
    Pass,
    Warn,
    Skip,
    Undecided,
}

impl Row {
    fn new(name: &'static str, deviation: Deviation, what: &'static str) -> Row {
        Row {
            name,
            deviation,
            what,
            must_fail: Vec::new(),
            must_pass: Sel::Rest,
            must_warn: Sel::List(Vec::new()),
            may_warn: Vec::new(),
            undecided: Vec::new(),
            must_skip: Vec::new(),
            only: None,
            sync_ms: None,
            gap: None,
            known_harness_defects: Vec::new(),
        }
    }

    fn fail(mut self, sets: &[&[&'static str]]) -> Row {
        self.must_fail = union(sets);
        self
    }

    fn warn(mut self, sets: &[&[&'static str]]) -> Row {
        self.must_warn = Sel::List(union(sets));
        self
    }

    fn warn_rest(mut self) -> Row {
        self.must_warn = Sel::Rest;
        self.must_pass = Sel::List(Vec::new());
        self
    }

    fn may_warn(mut self, sets: &[&[&'static str]]) -> Row {
        self.may_warn = union(sets);
        self
    }

    fn undecided(mut self, cases: &[(&'static str, &'static str)]) -> Row {
        self.undecided = cases.to_vec();
        self
    }

    fn only(mut self, cases: &[&'static str], pass: &[&'static str]) -> Row {
        self.only = Some(cases.to_vec());
        self.must_pass = Sel::List(pass.to_vec());
        self
    }

    fn pass(mut self, cases: &[&'static str]) -> Row {
        match &mut self.must_pass {
            Sel::List(l) => l.extend_from_slice(cases),
            Sel::Rest => self.must_pass = Sel::List(cases.to_vec()),
        }
        self
    }

    /// Today's harness disagrees with the row on `cases`, for the same reason `why`.
    #[allow(
        dead_code,
        reason = "no row disagrees with the harness today; the next disagreement found is recorded with it"
    )]
    fn defects(mut self, cases: &[&[&'static str]], why: &'static str) -> Row {
        for c in union(cases) {
            self.known_harness_defects.push((c, why));
        }
        self
    }

    #[allow(
        dead_code,
        reason = "no open gap today; the next one found is recorded with it"
    )]
    fn gap(mut self, why: &'static str) -> Row {
        self.gap = Some(why);
        self
    }

    /// The cases this row runs.
    pub(crate) fn cases(&self) -> Vec<&'static str> {
        let mut out: Vec<&'static str> = self
            .only
            .clone()
            .unwrap_or_else(|| BASE.to_vec())
            .into_iter()
            .collect();
        for s in &self.must_skip {
            if !out.contains(s) {
                out.push(s);
            }
        }
        out
    }

    /// What this row expects of `case`.
    pub(crate) fn expect(&self, case: &str) -> Expect {
        let named = |sel: &Sel| matches!(sel, Sel::List(l) if l.contains(&case));
        if self.must_fail.contains(&case) {
            Expect::Fail
        } else if self.must_skip.contains(&case) {
            Expect::Skip
        } else if self.undecided.iter().any(|(c, _)| *c == case) {
            Expect::Undecided
        } else if named(&self.must_warn) {
            Expect::Warn
        } else if named(&self.must_pass) {
            Expect::Pass
        } else if matches!(self.must_warn, Sel::Rest) {
            Expect::Warn
        } else {
            Expect::Pass
        }
    }
}

fn union(sets: &[&[&'static str]]) -> Vec<&'static str> {
    let mut out: Vec<&'static str> = Vec::new();
    for s in sets {
        for c in *s {
            if !out.contains(c) {
                out.push(c);
            }
        }
    }
    out
}

/// The table.
pub(crate) fn rows() -> Vec<Row> {
    use Deviation as D;
    vec![
        // ------------------------------------------------------------------ the correct one
        {
            let mut r = Row::new(
                "correct",
                D::None,
                "The spec-written station: every case it can run passes (DOMAIN.md §1-§6, §10); \
                 the rest of the catalogue is skipped with a reason (VRF-008 needs an \
                 [ec.actions] hook, DEM-* a [demand] service, ACA-*/SIN-002.. a mock ACA).",
            );
            r.must_skip = OUT_OF_SCOPE.to_vec();
            r
        },
        // ---------------------------------------------------------- tolerated variants (pass)
        Row::new(
            "jaxws-prefixes",
            D::JaxwsPrefixes,
            "JAX-WS output: S: envelope prefix, ns2: declared on the wrapper, XML declaration, no \
             Header. Prefixes are not significant in XML; only namespaces are (DOMAIN.md §1).",
        ),
        Row::new(
            "receipt-duplicata",
            D::ReceiptDuplicata,
            "A second delivery of the same receipt gets KO PAA_RECEIPT_DUPLICATA, as GPD does \
             (DOMAIN.md §4.1, §6; TEST-PLAN RT-003: 'OK or PAA_RECEIPT_DUPLICATA').",
        ),
        Row::new(
            "in-corso-after-activation",
            D::InCorsoAfterActivation,
            "After activation and before the receipt, verify answers PAA_PAGAMENTO_IN_CORSO \
             (TEST-PLAN ACT-008: 'OK or PAA_PAGAMENTO_IN_CORSO accepted'; §4.1 allows it on \
             verify); activation itself stays OK (§3.7).",
        ),
        Row::new(
            "sintassi-xsd",
            D::SintassiXsd,
            "Malformed requests answered PAA_SINTASSI_XSD (GPD does so on every primitive, \
             DOMAIN.md §4.1); TEST-PLAN VRF-007: 'accept PAA_SINTASSI_XSD, warn'.",
        )
        .warn(&[&["VRF-007"]]),
        Row::new(
            "faultstring-blanks",
            D::FaultStringBlanks,
            "faultString padded with blanks and newlines: the Nodo does not check EC \
             faultStrings (DOMAIN.md §4, S17). At most a warning.",
        )
        .may_warn(&[KO_EXPECTED, KO_ANY]),
        Row::new(
            "minimal-ok",
            D::MinimalOk,
            "OK answers with only the mandatory elements (no officeName, dueDate/detailDescription \
             in verify, retentionDate, lastPayment, V1 companyName, per-transfer companyName; \
             debtor ANONIMO with fullName only): DOMAIN.md §3.1-§3.3 (officeName is 'the only \
             really optional tag' of verify; the others are O in the XSD).",
        ),
        Row::new(
            "utf8-at-limits",
            D::Utf8AtLimits,
            "Texts at their limit in characters, not bytes: companyName, descriptions and \
             remittanceInformation of exactly 140 characters with accented letters and €, a \
             debtor name with non-Latin-1 letters (stText140 is a length in characters, \
             DOMAIN.md §2; the messages are UTF-8).",
        ),
        Row::new(
            "pretty-cdata",
            D::PrettyCdata,
            "Indented answers with an XML declaration, a comment and descriptions in CDATA \
             sections: the same XML infoset (DOMAIN.md §1 only fixes namespaces).",
        ),
        Row::new(
            "default-ns-wrapper",
            D::DefaultNsWrapper,
            "The wrapper in a default namespace (no prefix) and its children reset with \
             xmlns=\"\": the wrapper is in the paForNode namespace and the children are \
             unqualified, exactly as DOMAIN.md §1 asks, with different syntax.",
        ),
        Row::new(
            "activation-in-corso",
            D::ActivationInCorso,
            "Once activated, a notice answers KO PAA_PAGAMENTO_IN_CORSO to verify and to a second \
             activation: §4.1 lists IN_CORSO for verify and getPayment and TEST-PLAN ACT-008 \
             accepts it, while §3.7 says the EC keeps the position open (the Nodo does the \
             blocking, §5.8). Only SLA-001, which activates the same notice 20 times, sees it.",
        )
        .undecided(&[(
            "SLA-001",
            "a latency case whose verdict depends on whether re-activation may answer \
             PAA_PAGAMENTO_IN_CORSO (§4.1 allows the code on getPayment, §3.7 says keep the \
             position open)",
        )]),
        // ---------------------------------------------------------------------- deviations
        Row::new(
            "prefix-literal",
            D::PrefixLiteral,
            "The request 'parser' matches the literal <soapenv:Body> and <pafn:...Req> tags as \
             text, no namespace resolution: a request in another namespace is served as if it \
             were valid (DOMAIN.md §1; TEST-PLAN VRF-007 'malformed request → KO \
             PAA_SINTASSI_EXTRAXSD').",
        )
        // CON-002 sends valid requests with `S:`/`ns2:` and with a default namespace.
        .fail(&[&["VRF-007", "CON-002"]]),
        Row::new(
            "ko-http-500",
            D::KoHttp500,
            "Every KO (valid body) sent with HTTP 500. DOMAIN.md §1: application errors are HTTP \
             200; TEST-PLAN FLT-001 'every KO: HTTP 200', VRF-007 'never ... HTTP 500', SIN-001 \
             'HTTP 200, KO'. Elsewhere the body decides: a warning, never a failure of the \
             business cases.",
        )
        .fail(&[KO_HTTP_200])
        .warn(&[&[
            "VRF-002", "VRF-003", "VRF-004", "VRF-005", "VRF-006a", "VRF-006b", "VRF-006c",
            "VRF-010", "ACT-006", "RT-001", "RT-001V2", "RT-003", "ACT-010",
        ]]),
        Row::new(
            "ko-http-404-unknown",
            D::KoHttp404Unknown,
            "KO PAA_PAGAMENTO_SCONOSCIUTO sent with HTTP 404 (REST habit). FLT-001 and SIN-001 \
             demand HTTP 200 (TEST-PLAN §4.5, §4.7); the other cases only see a warning.",
        )
        .fail(&[&["FLT-001", "SIN-001"]])
        .warn(&[&["VRF-002", "VRF-010", "ACT-006"]]),
        Row::new(
            "content-type-html",
            D::ContentTypeHtml,
            "Every answer Content-Type text/html (framework default). SOAP 1.1 says text/xml \
             (DOMAIN.md §1: the Nodo sends text/xml); no TEST-PLAN row names the Content-Type, \
             so it is a warning on every case.",
        )
        .warn_rest()
        .pass(&["SLA-001"])
        .may_warn(&[&["SLA-001"]])
        .undecided(&[
            ("FLT-001", "strict hygiene of a non-official case; TEST-PLAN FLT-001 names HTTP 200 and the fault bean, not the Content-Type"),
            ("VRF-007", "strict hygiene of a non-official case; TEST-PLAN VRF-007 names SOAP Fault / HTTP 500, not the Content-Type"),
            ("SIN-001", "strict hygiene of a non-official case; TEST-PLAN SIN-001 names HTTP 200, not the Content-Type"),
        ]),
        Row::new(
            "content-type-soap12",
            D::ContentTypeSoap12,
            "HTTP 200 with Content-Type application/soap+xml (the SOAP 1.2 media type) around a \
             SOAP 1.1 envelope: as content-type-html, a warning.",
        )
        .warn_rest()
        .pass(&["SLA-001"])
        .may_warn(&[&["SLA-001"]])
        .undecided(&[
            ("FLT-001", "as in content-type-html"),
            ("VRF-007", "as in content-type-html"),
            ("SIN-001", "as in content-type-html"),
        ]),
        Row::new(
            "v2-plain-500",
            D::V2PlainText500,
            "paGetPaymentV2 not implemented: plain-text HTTP 500 'Internal Server Error'. Not a \
             SOAP answer → PPT_STAZIONE_INT_PA_ERRORE_RESPONSE (DOMAIN.md §4.2) on every V2 \
             activation (the station is configured for V2, §3.5).",
        )
        .fail(&[V2_ACTIVATION_OK, &["ACT-006", "FLT-001"]]),
        Row::new(
            "verify-company-empty",
            D::VerifyCompanyNameEmpty,
            "paVerifyPaymentNoticeRes with <companyName></companyName>: stText140 is 1..140 \
             (DOMAIN.md §2) and companyName is M* on OK (§3.1) → ERRORE_RESPONSE.",
        )
        .fail(&[VERIFY_OK]),
        Row::new(
            "amount-drift",
            D::AmountDrift,
            "Activation answers 1.00 more than the verify just before, with no change at the EC \
             (transfers adjusted so Σ holds). DOMAIN.md §3.7: verify and activate must both give \
             the current amount, and the Nodo passes the verified amount on (§3.2 `amount`): \
             every case that verifies then activates the same notice must fail.",
        )
        .fail(&[&["VRF-009", "ACT-001", "ACT-001V2", "ACT-002M", "SLA-001"]]),
        Row::new(
            "non-paa-codes",
            D::NonPaaCodes,
            "KO with the station's own codes (ERR_NOT_FOUND, ERR_ALREADY_PAID, ...). The Nodo \
             relays any code (§4) but every KO case expects a PAA_ code (§4.1; TEST-PLAN \
             VRF-002..007, VRF-010 'PAA_ prefix', ACT-006, SIN-001, RT-001 DUPLICATO). \
             ACT-010 takes any valid KO.",
        )
        .fail(&[KO_EXPECTED])
        .may_warn(&[KO_ANY]),
        Row::new(
            "ko-without-fault",
            D::KoWithoutFault,
            "outcome KO without a fault bean → ERRORE_RESPONSE (DOMAIN.md §3.1 [N1], §4.2).",
        )
        .fail(&[KO_EXPECTED, KO_ANY]),
        Row::new(
            "receipt-not-booked",
            D::ReceiptNotBooked,
            "paSendRT answered OK but the position stays payable: §6 'on receipt the EC must set \
             the position to closed/paid'; TEST-PLAN RT-001 'subsequent verify → DUPLICATO'.",
        )
        .fail(&[PAID_AFTER_RECEIPT]),
        Row::new(
            "duplicate-receipt-semantica",
            D::DuplicateReceiptSemantica,
            "A second delivery of the same receipt gets KO PAA_SEMANTICA: TEST-PLAN RT-003 allows \
             only OK or PAA_RECEIPT_DUPLICATA; the Nodo retries, the receipt never settles. \
             RT-008 re-sends a receipt whose answer was lost after booking: a duplicate too \
             (RT-002M and RT-004 simulate outages that never reach the station).",
        )
        .fail(&[&["RT-003", "RT-008"]]),
        Row::new(
            "bare-payload",
            D::BarePayload,
            "The response element without a SOAP envelope. SOAP 1.1 binding (DOMAIN.md §1): not a \
             SOAP answer → ERRORE_RESPONSE (§4.2) on every call.",
        )
        .fail(&[BASE]),
        Row::new(
            "qualified-children",
            D::QualifiedChildren,
            "Children of the response element in the paForNode namespace (default xmlns on the \
             wrapper): 'schema-invalid' (DOMAIN.md §1) → ERRORE_RESPONSE on every call.",
        )
        .fail(&[BASE]),
        Row::new(
            "soap-fault-ko",
            D::SoapFaultKo,
            "Application errors as SOAP Faults with HTTP 500: 'Application errors are not SOAP \
             Faults' (DOMAIN.md §1) → ERRORE_RESPONSE wherever a KO is expected.",
        )
        .fail(&[KO_EXPECTED, KO_ANY]),
        Row::new(
            "multi-split-rounding",
            D::MultiSplitRounding,
            "Shares of a position with several transfers rounded down: Σ transferAmount is 0.01 \
             short of paymentAmount (DOMAIN.md §5.1 → ERRORE_RESPONSE): the multi-beneficiary \
             notices and the stamp notice (fee + stamp).",
        )
        .fail(&[&["ACT-002M", "ACT-007", "RT-002M", "ACT-005", "RT-007"]]),
        Row::new(
            "six-transfers",
            D::SixTransfers,
            "A sixth 'fee' transfer on the five-transfer position (paymentAmount raised so Σ \
             holds): at most 5 transfers, idTransfer 1..5 (DOMAIN.md §5.2, XSD maxOccurs=5).",
        )
        .fail(&[&["ACT-007"]]),
        Row::new(
            "verify-amount-comma",
            D::VerifyAmountComma,
            "Verify amount with a decimal comma (150,00): pattern \\d+\\.\\d{2} (DOMAIN.md §2, \
             SIN_PGPR_19..21) → ERRORE_RESPONSE.",
        )
        .fail(&[VERIFY_OK]),
        Row::new(
            "activation-amount-one-decimal",
            D::ActivationAmountOneDecimal,
            "Activation amounts with one decimal (150.0, 120.5): pattern \\d+\\.\\d{2} (DOMAIN.md \
             §2, §5.5) → ERRORE_RESPONSE on every activation.",
        )
        .fail(&[V1_ACTIVATION_OK, V2_ACTIVATION_OK]),
        Row::new(
            "crid-is-nav",
            D::CridIsNav,
            "creditorReferenceId = the whole 18-digit notice number instead of the IUV (DOMAIN.md \
             §10; TEST-PLAN IUV-002). XSD-valid (stText35) and not among the Nodo's documented \
             activation checks (§5): IUV-002 fails, and so do the activation cases that judge \
             the activation's data (their iuv-matches-notice check), never the Nodo outcome.",
        )
        .fail(&[&["IUV-002", "ACT-001", "ACT-001V2", "ACT-002M"]]),
        Row::new(
            "unknown-answers-ok",
            D::UnknownAnswersOk,
            "Any notice, even unknown (and the probe 000000000000000000), answered OK with a \
             made-up position: TEST-PLAN VRF-002, VRF-010, ACT-006, FLT-001, SIN-001 (§4.1, §10).",
        )
        .fail(&[&["VRF-002", "VRF-010", "ACT-006", "FLT-001", "SIN-001"]]),
        Row::new(
            "paid-answers-ok",
            D::PaidAnswersOk,
            "A paid notice is answered OK (verify and activation): PAA_PAGAMENTO_DUPLICATO \
             expected (DOMAIN.md §4.1; TEST-PLAN VRF-003, ACT-006, RT-001).",
        )
        .fail(&[
            &["VRF-003", "VRF-010", "ACT-006", "FLT-001"],
            PAID_AFTER_RECEIPT,
        ]),
        Row::new(
            "paid-sconosciuto",
            D::PaidSconosciuto,
            "A paid notice is answered PAA_PAGAMENTO_SCONOSCIUTO (positions deleted when paid) \
             instead of PAA_PAGAMENTO_DUPLICATO (DOMAIN.md §4.1, E1; TEST-PLAN VRF-003, ACT-006, \
             RT-001).",
        )
        .fail(&[&["VRF-003", "ACT-006"], PAID_AFTER_RECEIPT]),
        Row::new(
            "idpa-not-checked",
            D::IdPaNotChecked,
            "idPA not checked: a notice is served to any idPA (TEST-PLAN VRF-006a, §4.1 \
             PAA_ID_DOMINIO_ERRATO).",
        )
        .fail(&[&["VRF-006a"]]),
        Row::new(
            "probe-system-error",
            D::ProbeSystemError,
            "The Stand-In probe 000000000000000000 answered KO PAA_SYSTEM_ERROR: it must be \
             PAA_PAGAMENTO_SCONOSCIUTO (DOMAIN.md §10, §14; TEST-PLAN SIN-001).",
        )
        .fail(&[&["FLT-001", "SIN-001"]]),
        Row::new(
            "soapaction-unquoted-refused",
            D::SoapActionUnquotedRefused,
            "Only the quoted SOAPAction is routed; unquoted → SOAP Fault. DOMAIN.md §1 'EC must \
             accept both'; TEST-PLAN CON-002.",
        )
        .fail(&[&["CON-002"]]),
        Row::new(
            "soapaction-quoted-refused",
            D::SoapActionQuotedRefused,
            "Only the unquoted SOAPAction is routed; the quoted form the Nodo sends → SOAP Fault \
             on every call (DOMAIN.md §1).",
        )
        .fail(&[BASE]),
        Row::new(
            "slow-first-verify",
            D::SlowFirstVerify,
            "The first verify after start-up takes 2.1 s (cold cache), the rest are fast: within \
             the Nodo's 7 s (VRF-001 passes), but SLA-001 '98% ≤ 2 s' over 20 calls is the max \
             (DOMAIN.md §11).",
        )
        .fail(&[&["SLA-001"]])
        .only(&["SLA-001", "VRF-001"], &["VRF-001"]),
        {
            let mut r = Row::new(
                "verify-timeout",
                D::VerifyTimeout,
                "Every verify answers after 1.3 s with the Nodo's timeout set to 1 s (the 7 s of \
                 DOMAIN.md §11, scaled): PPT_STAZIONE_INT_PA_TIMEOUT (§4.2); activations are \
                 fast and unaffected.",
            )
            .fail(&[&["VRF-001", "VRF-002", "CON-002", "SIN-001"]])
            .only(
                &["VRF-001", "VRF-002", "CON-002", "SIN-001", "ACT-006", "IUV-002"],
                &["ACT-006", "IUV-002"],
            );
            r.sync_ms = Some(1_000);
            r
        },
        Row::new(
            "duedate-datetime",
            D::DueDateDateTime,
            "Activation dueDate written as a dateTime (2030-12-31T00:00:00): xs:date (DOMAIN.md \
             §3.2) → ERRORE_RESPONSE on every activation.",
        )
        .fail(&[V1_ACTIVATION_OK, V2_ACTIVATION_OK]),
        Row::new(
            "v1-no-transfer-category",
            D::V1NoTransferCategory,
            "paGetPayment V1 transfers without transferCategory (as in the official sample \
             200PaGetPayment.xml): M in ctTransferPA (DOMAIN.md §3.2; TEST-PLAN ACT-001 \
             'transferCategory present').",
        )
        .fail(&[V1_ACTIVATION_OK]),
        Row::new(
            "fault-id-empty",
            D::FaultIdEmpty,
            "Fault bean with an empty <id/>: TEST-PLAN VRF-010 'faultCode (PAA_), faultString, \
             id' (DOMAIN.md §4: id M). XSD-valid (xs:string).",
        )
        .fail(&[&["VRF-010"]])
        .undecided(&[
            ("VRF-002", "its scenario adds fault-bean-complete; TEST-PLAN VRF-002 only asks for the code"),
            ("FLT-001", "'fault bean' present; whether an empty id fails it is VRF-010's business"),
        ]),
        Row::new(
            "ok-with-fault",
            D::OkWithFault,
            "Verify OK carrying a fault bean too: 'fault forbidden when OK' (DOMAIN.md §3.1), \
             TEST-PLAN VRF-001 'no fault' → every verify OK is semantically invalid.",
        )
        .fail(&[VERIFY_OK]),
        Row::new(
            "activation-closes-position",
            D::ActivationClosesPosition,
            "The position is closed at activation: re-verify answers DUPLICATO, re-activation \
             too. DOMAIN.md §3.7 'keep the position open; close it only on receipt', §5.8; \
             TEST-PLAN ACT-001 'position still open', ACT-008. SLA-001 passes: it judges only \
             the time of its repeated activations (the real Nodo would not send a second \
             activation while the token is valid).",
        )
        .fail(&[&["ACT-001", "ACT-008"]]),
        Row::new(
            "secondary-iban-of-primary",
            D::SecondaryIbanOfPrimary,
            "Transfers to the secondary EC carry the primary EC's IBAN: each IBAN must be \
             registered to its own EC (DOMAIN.md §5.3, SEM_PGPR_05/06) → ERRORE_RESPONSE.",
        )
        .fail(&[&["ACT-002M", "ACT-007", "RT-002M"]]),
        Row::new(
            "receipt-amount-checked",
            D::ReceiptAmountChecked,
            "A receipt whose amount differs from the archive is refused with KO PAA_SEMANTICA: \
             'the EC cannot reject it' (DOMAIN.md §6, §7.4; TEST-PLAN RT-006).",
        )
        .fail(&[&["RT-006"]]),
        Row::new(
            "receipt-empty-200",
            D::ReceiptEmpty200,
            "paSendRT answered HTTP 200 with an empty body: 'response empty' → ERRORE_RESPONSE \
             (DOMAIN.md §4.2); the Nodo retries and the receipt never settles (§6).",
        )
        .fail(&[RECEIPTS_ACCEPTED]),
        Row::new(
            "options-any",
            D::OptionsAny,
            "Verify paymentOptionDescription options = ANY: XSD-valid (stAmountOption), but the \
             Nodo's verify check wants EQ (DOMAIN.md §3.1, §5 'options = EQ'; N1 options=KK) → \
             ERRORE_RESPONSE on every verify OK.",
        )
        .fail(&[VERIFY_OK]),
        Row::new(
            "metadata-16",
            D::Metadata16,
            "Sixteen metadata entries: ctMetadata allows 1..15 (DOMAIN.md §2, §5.5, SIN_PGPR_119; \
             TEST-PLAN ACT-009).",
        )
        .fail(&[&["ACT-007", "ACT-009"]]),
        Row::new(
            "debtor-country-name",
            D::DebtorCountryName,
            "Debtor country written ITALIA instead of IT: stNazioneProvincia [A-Z]{2} (DOMAIN.md \
             §2, §5.5) → ERRORE_RESPONSE on every full activation answer.",
        )
        .fail(&[V1_ACTIVATION_OK, V2_ACTIVATION_OK]),
        Row::new(
            "duplicate-idtransfer",
            D::DuplicateIdTransfer,
            "Every transfer of a multi-beneficiary position numbered idTransfer 1: TEST-PLAN \
             ACT-002M 'ids 1..n unique in 1..5'. DOMAIN.md §5.2 lists only 'idTransfer ∈ 1..5' \
             among the Nodo's checks.",
        )
        .fail(&[&["ACT-002M"]])
        .undecided(&[
            ("ACT-007", "whether the Nodo itself rejects duplicate idTransfer is not documented (§5.2)"),
            ("RT-002M", "as ACT-007: its activation step expects the Nodo's OK"),
        ]),
        Row::new(
            "v2-with-v1-wrapper",
            D::V2WithV1Wrapper,
            "paGetPaymentV2 answered with paGetPaymentRes and paSendRTV2 with paSendRTRes (one \
             handler for both versions): the wrong response element for the operation \
             (DOMAIN.md §1 table) → ERRORE_RESPONSE on every V2 call.",
        )
        .fail(&[V2_ACTIVATION_OK, &["ACT-006", "FLT-001"]]),
        Row::new(
            "transfer-type-ignored",
            D::TransferTypeIgnored,
            "transferType ignored: POSTAL does not put the EC's postal IBAN on idTransfer 1, \
             PAGOPA adds no IBANAPPOGGIO (DOMAIN.md §3.7, §5.6; TEST-PLAN ACT-003, ACT-004; \
             VRF-009 activates with POSTAL).",
        )
        .fail(&[&["ACT-003", "ACT-004", "VRF-009"]]),
        Row::new(
            "old-xsd-receipt",
            D::OldXsdReceipt,
            "Receipts validated against a pre-standIn schema: any receipt carrying standIn \
             (paForNode.xsd ctReceipt, DOMAIN.md §3.4) is refused with KO PAA_SINTASSI_XSD; a \
             receipt cannot be refused (§6) and the Nodo retries for ever. CON-002 fails too: \
             its receipt, sent with other prefixes, gets a syntax KO, which is all CON-002 can \
             see of a station that does not read a request.",
        )
        .fail(&[RECEIPTS_ACCEPTED, &["CON-002"]]),
        Row::new(
            "slow-receipts",
            D::SlowReceipts,
            "Every paSendRT answered after 2.2 s: within the Nodo's 15 s (the receipt is \
             delivered), beyond the SLA 'paSendRT(/V2) 98% ≤ 2 s' (DOMAIN.md §11; TEST-PLAN \
             SLA-001 'verify/activate/demand/sendRT responses').",
        )
        .fail(&[&["SLA-001"]])
        .only(&["SLA-001", "RT-001V2"], &["RT-001V2"]),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn categories_do_not_overlap() {
        for r in rows() {
            for c in &r.must_fail {
                assert!(
                    !matches!(&r.must_pass, Sel::List(l) if l.contains(c)),
                    "{}: {c}",
                    r.name
                );
            }
        }
    }
}
