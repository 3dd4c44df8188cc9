//! The expected verdicts of the built-in suite against every fault profile of the reference
//! station, kept as data (the idea of nextest's `fixture-data`).
//!
//! For each profile: the cases expected to fail, with the first failing check, the Nodo
//! outcome recorded on it and a fragment of the case's reason naming the mistake; the cases
//! expected to be errors or skipped; every other selected case must pass. Each line was first
//! observed by running the profile, then reviewed against DOMAIN.md and the profile's meaning
//! (`station/src/profiles.rs`). A line that only holds because of a weakness or a choice of the
//! suite says so in a comment.

use crate::support::{EMESSO_DA_PAA, ERRORE_RESPONSE, IRRAGGIUNGIBILE, TIMEOUT};

/// How a case is expected to fail.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Failure {
    /// Name of the first failing check of the case (in step order).
    pub(crate) check: &'static str,
    /// `nodo_outcome` recorded on that check: the code the Nodo would answer the PSP. `None`
    /// for checks that carry none (e.g. `fault-code`, where the Nodo relays a valid KO).
    pub(crate) nodo: Option<&'static str>,
    /// A fragment of the case's reason that names the station's actual mistake.
    pub(crate) reason: &'static str,
}

/// Which selected cases fail.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Failing {
    /// Every selected case fails, the same way: the profile breaks every answer.
    All(Failure),
    /// Exactly these cases fail; every other selected case passes.
    Only(&'static [(&'static str, Failure)]),
}

/// The expectation for one profile.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Expectation {
    /// `Profile::name()`.
    pub(crate) profile: &'static str,
    /// Built-in cases left out of the run (through `only`).
    pub(crate) exclude: &'static [&'static str],
    /// `--timeout-ms`, when the Nodo's 7 s / 15 s would make the run too slow.
    pub(crate) timeout_ms: Option<u64>,
    /// The failing cases.
    pub(crate) failing: Failing,
    /// Cases expected to end as harness errors.
    pub(crate) errors: &'static [&'static str],
    /// Cases expected to be skipped.
    pub(crate) skipped: &'static [&'static str],
    /// Exit code of `collaudo run` (harness/src/exit.rs).
    pub(crate) exit: i32,
}

const NONE: &[(&str, Failure)] = &[];

/// Every case whose activation (paGetPayment/V2) gets an OK answer: the cases `wrong-sum` and
/// `bad-iban` break, since both bend only a successful activation (DOMAIN.md §5 items 1 and 3).
/// ACT-006 activates only unknown/paid/cancelled notices (KOs), so it is not here.
macro_rules! activation_ok_cases {
    ($f:expr) => {
        &[
            ("ACT-001", $f),
            ("ACT-001V2", $f),
            ("ACT-002M", $f),
            ("ACT-003", $f),
            ("ACT-004", $f),
            ("ACT-005", $f),
            ("ACT-007", $f),
            ("ACT-008", $f),
            ("ACT-009", $f),
            ("IUV-002", $f),
            ("RT-001", $f),
            ("RT-001V2", $f),
            ("RT-002M", $f),
            ("RT-003", $f),
            ("RT-004", $f),
            ("RT-005", $f),
            ("RT-006", $f),
            ("RT-007", $f),
            ("SLA-001", $f),
            ("VRF-009", $f),
        ]
    };
}

/// Every case that gets a KO answer from a conformant station (unknown, paid, expired,
/// cancelled notices, wrong identities, malformed requests, bad service data, the Stand-In
/// probe): the cases `http-500-faults` and `ko-without-fault` break, since both bend only KOs.
/// RT-001, RT-001V2 and RT-003 are here only through their last step (a verify of the now
/// paid notice): a conformant station answers RT-003's second delivery OK, not
/// PAA_RECEIPT_DUPLICATA. ACT-008 is not here: its re-verify is answered OK, not IN_CORSO.
macro_rules! ko_cases {
    ($f:expr) => {
        &[
            ("ACT-006", $f),
            ("DEM-002", $f),
            ("FLT-001", $f),
            ("RT-001", $f),
            ("RT-001V2", $f),
            ("RT-003", $f),
            ("SIN-001", $f),
            ("VRF-002", $f),
            ("VRF-003", $f),
            ("VRF-004", $f),
            ("VRF-005", $f),
            ("VRF-006a", $f),
            ("VRF-006b", $f),
            ("VRF-006c", $f),
            ("VRF-007", $f),
            ("VRF-010", $f),
        ]
    };
}

const fn nodo(code: &'static str, reason: &'static str) -> Failure {
    Failure {
        check: "nodo-outcome",
        nodo: Some(code),
        reason,
    }
}

const fn fault_code(reason: &'static str) -> Failure {
    Failure {
        check: "fault-code",
        nodo: None,
        reason,
    }
}

/// A check of a `[step.delivery]` send-rt (no Nodo outcome of its own).
const fn delivery_check(check: &'static str, reason: &'static str) -> Failure {
    Failure {
        check,
        nodo: None,
        reason,
    }
}

/// The receipt did not end delivered as expected.
const fn delivery(reason: &'static str) -> Failure {
    delivery_check("delivery", reason)
}

/// The receipt took another number of attempts than the scenario pins.
const fn attempts(reason: &'static str) -> Failure {
    delivery_check("attempts", reason)
}

/// A station booked a receipt more (or less) than once (TEST-PLAN RT-003).
const fn booking(reason: &'static str) -> Failure {
    delivery_check("receipt-booked-once", reason)
}

/// paymentAmount = Σ transferAmount (DOMAIN.md §5 item 1).
const fn sum_mismatch(reason: &'static str) -> Failure {
    nodo(ERRORE_RESPONSE, reason)
}
/// (fiscalCodePA, IBAN) must be registered (DOMAIN.md §5 item 3; §15 item 6 for the code).
const UNREGISTERED_IBAN: Failure = nodo(
    ERRORE_RESPONSE,
    "IBAN is not registered for fiscalCodePA 77777777777",
);
/// Application errors are HTTP 200 + outcome KO + fault bean, never a SOAP Fault (§1).
const SOAP_FAULT: Failure = nodo(ERRORE_RESPONSE, "sent a SOAP Fault (HTTP 500)");
/// outcome=KO without a fault bean (§3.1, SIN_PVPNR_10).
const KO_WITHOUT_FAULT: Failure = nodo(ERRORE_RESPONSE, "outcome=KO requires a fault bean");
/// paymentList is mandatory on a verify OK (§3.1).
const NO_PAYMENT_LIST: Failure = nodo(
    ERRORE_RESPONSE,
    "paymentList: optional in the XSD but required by pagoPA when outcome=OK",
);
/// The quoted SOAPAction the Nodo sends (§1) is refused with a valid KO: the Nodo relays it.
const QUOTED_REFUSED: Failure = nodo(EMESSO_DA_PAA, "originalFaultCode PAA_SINTASSI_EXTRAXSD");
/// Same refusal where the case expected a KO with a precise code.
const QUOTED_REFUSED_CODE: Failure = fault_code("unexpected faultCode PAA_SINTASSI_EXTRAXSD");

/// The table. `profiles::every_profile_has_an_expectation_and_a_test` keeps it in step with
/// `Profile::ALL`.
pub(crate) const EXPECTED: &[Expectation] = &[
    Expectation {
        profile: "conformant",
        exclude: &[],
        timeout_ms: None,
        failing: Failing::Only(NONE),
        errors: &[],
        skipped: &[],
        exit: 0,
    },
    Expectation {
        profile: "slow",
        // SLA-001 makes 40 calls: at 3 s each the run would take two minutes. With a short
        // timeout every other call ends as TIMEOUT quickly (§4.2: no answer within timeout).
        exclude: &["SLA-001"],
        timeout_ms: Some(200),
        failing: Failing::All(nodo(TIMEOUT, "did not answer within the Nodo's timeout")),
        errors: &[],
        skipped: &[],
        exit: 1,
    },
    Expectation {
        profile: "dead",
        // The TCP connection is accepted and closed without any HTTP response: judged as a
        // connection failure (IRRAGGIUNGIBILE, DOMAIN.md §4.2), which the Stand-In monitor
        // (§7.1) counts; a connection broken after the headers stays ERRORE_RESPONSE.
        exclude: &[],
        timeout_ms: None,
        failing: Failing::All(nodo(
            IRRAGGIUNGIBILE,
            "the connection was closed before any response",
        )),
        errors: &[],
        skipped: &[],
        exit: 1,
    },
    Expectation {
        profile: "wrong-sum",
        exclude: &[],
        timeout_ms: None,
        // The same cases as bad-iban (activation_ok_cases), with the amounts pinned: fixture
        // amounts do not depend on the seed, and the profile adds exactly 1.00.
        failing: Failing::Only(&[
            (
                "ACT-001",
                sum_mismatch("paymentAmount 151.00 differs from the sum of transferAmount 150.00"),
            ),
            (
                "ACT-001V2",
                sum_mismatch("paymentAmount 121.50 differs from the sum of transferAmount 120.50"),
            ),
            (
                "ACT-002M",
                sum_mismatch("paymentAmount 301.00 differs from the sum of transferAmount 300.00"),
            ),
            (
                "ACT-003",
                sum_mismatch("paymentAmount 76.30 differs from the sum of transferAmount 75.30"),
            ),
            (
                "ACT-004",
                sum_mismatch("paymentAmount 76.30 differs from the sum of transferAmount 75.30"),
            ),
            (
                "ACT-005",
                sum_mismatch("paymentAmount 117.00 differs from the sum of transferAmount 116.00"),
            ),
            (
                "ACT-007",
                sum_mismatch("paymentAmount 151.00 differs from the sum of transferAmount 150.00"),
            ),
            (
                "ACT-008",
                sum_mismatch("paymentAmount 43.00 differs from the sum of transferAmount 42.00"),
            ),
            (
                "ACT-009",
                sum_mismatch("paymentAmount 211.00 differs from the sum of transferAmount 210.00"),
            ),
            (
                "IUV-002",
                sum_mismatch("paymentAmount 151.00 differs from the sum of transferAmount 150.00"),
            ),
            (
                "RT-001",
                sum_mismatch("paymentAmount 34.33 differs from the sum of transferAmount 33.33"),
            ),
            (
                "RT-001V2",
                sum_mismatch("paymentAmount 121.50 differs from the sum of transferAmount 120.50"),
            ),
            (
                "RT-002M",
                sum_mismatch("paymentAmount 301.00 differs from the sum of transferAmount 300.00"),
            ),
            (
                "RT-003",
                sum_mismatch("paymentAmount 34.33 differs from the sum of transferAmount 33.33"),
            ),
            (
                "RT-004",
                sum_mismatch("paymentAmount 34.33 differs from the sum of transferAmount 33.33"),
            ),
            (
                "RT-005",
                sum_mismatch("paymentAmount 34.33 differs from the sum of transferAmount 33.33"),
            ),
            (
                "RT-006",
                sum_mismatch("paymentAmount 34.33 differs from the sum of transferAmount 33.33"),
            ),
            (
                "RT-007",
                sum_mismatch("paymentAmount 117.00 differs from the sum of transferAmount 116.00"),
            ),
            (
                "SLA-001",
                sum_mismatch("paymentAmount 151.00 differs from the sum of transferAmount 150.00"),
            ),
            (
                "VRF-009",
                sum_mismatch("paymentAmount 76.30 differs from the sum of transferAmount 75.30"),
            ),
        ]),
        errors: &[],
        skipped: &[],
        exit: 1,
    },
    Expectation {
        profile: "bad-iban",
        exclude: &[],
        timeout_ms: None,
        // The default policy answers ERRORE_RESPONSE for an unregistered IBAN, as the Nodo's
        // own tests do (§15 item 6), not PPT_IBAN_NON_CENSITO as the docs say.
        failing: Failing::Only(activation_ok_cases!(UNREGISTERED_IBAN)),
        errors: &[],
        skipped: &[],
        exit: 1,
    },
    Expectation {
        profile: "malformed-xml",
        exclude: &[],
        timeout_ms: None,
        failing: Failing::All(nodo(ERRORE_RESPONSE, "not well-formed XML")),
        errors: &[],
        skipped: &[],
        exit: 1,
    },
    Expectation {
        profile: "http-500-faults",
        exclude: &[],
        timeout_ms: None,
        failing: Failing::Only(ko_cases!(SOAP_FAULT)),
        errors: &[],
        skipped: &[],
        exit: 1,
    },
    Expectation {
        profile: "qualified-children",
        exclude: &[],
        timeout_ms: None,
        // Children in the paForNode namespace are XSD-invalid (§1: unqualified children).
        failing: Failing::All(nodo(ERRORE_RESPONSE, "element must be unqualified")),
        errors: &[],
        skipped: &[],
        exit: 1,
    },
    Expectation {
        profile: "no-payment-list",
        exclude: &[],
        timeout_ms: None,
        // Every case with a verify answered OK. ACT-008 fails on its re-verify (step 2), RT-006
        // on the verify before its Stand-In receipt; RT-001/RT-001V2/RT-003 pass: their only
        // verify is the KO of the paid notice.
        failing: Failing::Only(&[
            ("ACT-001", NO_PAYMENT_LIST),
            ("ACT-001V2", NO_PAYMENT_LIST),
            ("ACT-002M", NO_PAYMENT_LIST),
            ("ACT-008", NO_PAYMENT_LIST),
            ("CON-002", NO_PAYMENT_LIST),
            ("IUV-001", NO_PAYMENT_LIST),
            ("RT-006", NO_PAYMENT_LIST),
            ("SLA-001", NO_PAYMENT_LIST),
            ("VRF-001", NO_PAYMENT_LIST),
            ("VRF-008", NO_PAYMENT_LIST),
            ("VRF-009", NO_PAYMENT_LIST),
        ]),
        errors: &[],
        skipped: &[],
        exit: 1,
    },
    Expectation {
        profile: "ko-without-fault",
        exclude: &[],
        timeout_ms: None,
        failing: Failing::Only(ko_cases!(KO_WITHOUT_FAULT)),
        errors: &[],
        skipped: &[],
        exit: 1,
    },
    Expectation {
        profile: "wrong-probe-answer",
        exclude: &[],
        timeout_ms: None,
        // The probe gets a *valid* KO (relayed as PPT_ERRORE_EMESSO_DA_PAA), so the Nodo
        // outcome check passes and the fault-code check fails (§7.3: the probe must get
        // PAA_PAGAMENTO_SCONOSCIUTO). FLT-001 probes in its third step.
        failing: Failing::Only(&[
            (
                "FLT-001",
                fault_code("unexpected faultCode PAA_SYSTEM_ERROR"),
            ),
            (
                "SIN-001",
                fault_code("unexpected faultCode PAA_SYSTEM_ERROR"),
            ),
        ]),
        errors: &[],
        skipped: &[],
        exit: 1,
    },
    Expectation {
        profile: "duplicate-booking",
        exclude: &[],
        timeout_ms: None,
        // Caught only where the same receipt reaches the station more than once: RT-003
        // (delivered twice), RT-002M (the broadcast station gets it on 3 "down" attempts whose
        // HTTP 500 is injected after the station answered, then once more) and RT-004 (the same
        // for its HTTP 500 and garbage outages; injected refusals and timeouts never reach the
        // station, so its first two deliveries book once). Everything else books once.
        failing: Failing::Only(&[
            (
                "RT-002M",
                booking("broadcast station 01234567890_01 booked 4 times"),
            ),
            ("RT-003", booking("station 77777777777_01 booked 2 times")),
            ("RT-004", booking("station 77777777777_01 booked 3 times")),
        ]),
        errors: &[],
        skipped: &[],
        exit: 1,
    },
    Expectation {
        profile: "unquoted-soapaction-only",
        exclude: &[],
        timeout_ms: None,
        // The Nodo sends SOAPAction quoted (§1), so every call gets a KO PAA_SINTASSI_EXTRAXSD.
        // Three cases pass for the wrong reason: VRF-007 and DEM-002 expect exactly that
        // syntax KO (their own request is malformed), and VRF-010 only checks that a KO has a
        // complete fault bean, whatever its code.
        failing: Failing::Only(&[
            ("ACT-001", QUOTED_REFUSED),
            ("ACT-001V2", QUOTED_REFUSED),
            ("ACT-002M", QUOTED_REFUSED),
            ("ACT-003", QUOTED_REFUSED),
            ("ACT-004", QUOTED_REFUSED),
            ("ACT-005", QUOTED_REFUSED),
            ("ACT-006", QUOTED_REFUSED_CODE),
            ("ACT-007", QUOTED_REFUSED),
            ("ACT-008", QUOTED_REFUSED),
            ("ACT-009", QUOTED_REFUSED),
            ("CON-002", QUOTED_REFUSED),
            ("DEM-001", QUOTED_REFUSED),
            ("FLT-001", QUOTED_REFUSED_CODE),
            ("IUV-001", QUOTED_REFUSED),
            ("IUV-002", QUOTED_REFUSED),
            ("RT-001", QUOTED_REFUSED),
            ("RT-001V2", QUOTED_REFUSED),
            ("RT-002M", QUOTED_REFUSED),
            ("RT-003", QUOTED_REFUSED),
            ("RT-004", QUOTED_REFUSED),
            ("RT-005", QUOTED_REFUSED),
            ("RT-006", QUOTED_REFUSED),
            ("RT-007", QUOTED_REFUSED),
            ("SIN-001", QUOTED_REFUSED_CODE),
            ("SLA-001", QUOTED_REFUSED),
            ("VRF-001", QUOTED_REFUSED),
            ("VRF-002", QUOTED_REFUSED_CODE),
            ("VRF-003", QUOTED_REFUSED_CODE),
            ("VRF-004", QUOTED_REFUSED_CODE),
            ("VRF-005", QUOTED_REFUSED_CODE),
            ("VRF-006a", QUOTED_REFUSED_CODE),
            ("VRF-006b", QUOTED_REFUSED_CODE),
            ("VRF-006c", QUOTED_REFUSED_CODE),
            ("VRF-008", QUOTED_REFUSED),
            ("VRF-009", QUOTED_REFUSED),
        ]),
        errors: &[],
        skipped: &[],
        exit: 1,
    },
    Expectation {
        profile: "flaky-receipts",
        exclude: &[],
        timeout_ms: None,
        // The first 3 deliveries of each receipt get KO PAA_SYSTEM_ERROR (§6: a receipt cannot
        // be refused; the Nodo retries). RT-001/RT-001V2 deliver once, with no retry: the KO
        // is relayed. RT-002M and RT-004 pin the number of attempts, RT-006/RT-007 allow only
        // 3. Two cases pass, for reasons worth knowing: RT-005 never reaches the station (every
        // attempt is an injected refusal), and RT-003 checks `attempts` on its *last* delivery
        // only (scenario/model.rs), which succeeds at once after the first one took 4.
        failing: Failing::Only(&[
            (
                "RT-001",
                nodo(EMESSO_DA_PAA, "originalFaultCode PAA_SYSTEM_ERROR"),
            ),
            (
                "RT-001V2",
                nodo(EMESSO_DA_PAA, "originalFaultCode PAA_SYSTEM_ERROR"),
            ),
            ("RT-002M", attempts("station 77777777777_01: 4 attempts")),
            ("RT-004", attempts("station 77777777777_01: 14 attempts")),
            ("RT-006", delivery("stuck after 3 attempts")),
            ("RT-007", delivery("stuck after 3 attempts")),
        ]),
        errors: &[],
        skipped: &[],
        exit: 1,
    },
    Expectation {
        profile: "rejects-duplicates-wrongly",
        exclude: &[],
        timeout_ms: None,
        // A new delivery of a booked receipt gets KO PAA_SEMANTICA (RT-003 wants OK or
        // PAA_RECEIPT_DUPLICATA), so the Nodo retries until its 48th attempt. Same three
        // cases as duplicate-booking, the only ones where a receipt reaches a station twice.
        failing: Failing::Only(&[
            (
                "RT-002M",
                delivery("broadcast station 01234567890_01 of EC 01234567890: stuck after 48"),
            ),
            ("RT-003", delivery("stuck after 48 attempts")),
            ("RT-004", delivery("stuck after 48 attempts")),
        ]),
        errors: &[],
        skipped: &[],
        exit: 1,
    },
];

/// The expectation for `profile`.
pub(crate) fn of(profile: &str) -> &'static Expectation {
    EXPECTED
        .iter()
        .find(|e| e.profile == profile)
        .unwrap_or_else(|| panic!("no expectation for profile {profile} in expected.rs"))
}
