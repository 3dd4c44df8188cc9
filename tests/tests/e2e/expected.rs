//! The expected verdicts of the built-in suite against every fault profile of the reference
//! station, kept as data (the idea of nextest's `fixture-data`).
//!
//! For each profile: the cases expected to fail, with the first failing check, the Nodo
//! outcome recorded on it and a fragment of the case's reason naming the mistake; the cases
//! expected to be errors or skipped; every other selected case must pass. Each line was first
//! observed by running the profile, then reviewed against DOMAIN.md and the profile's meaning
//! (`station/src/profiles.rs`). A line that only holds because of a weakness or a choice of the
//! suite says so in a comment.

use crate::support::{
    EMESSO_DA_PAA, ERRORE_RESPONSE, IRRAGGIUNGIBILE, PAGAMENTO_SCONOSCIUTO, TIMEOUT,
};

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
    /// The profile breaks every answer of the station: every selected case fails the same way,
    /// but for the listed exceptions.
    All {
        /// How the cases fail.
        failure: Failure,
        /// Cases that fail another way: their first failing check is not on a station answer
        /// (e.g. the Stand-In state after probes, a receipt delivery).
        except: &'static [(&'static str, Failure)],
        /// Cases that pass: they never call the station's SOAP interface.
        passing: &'static [&'static str],
    },
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

/// Cases that never call the station's SOAP interface, so they pass under every profile that
/// only bends SOAP answers (`slow`, `dead`, `malformed-xml`, `qualified-children`, ...):
/// ACA-003, ACA-004 and ACA-006 only drive the EC's back office and read the mock ACA (the
/// station's ACA client works under every profile but `no-aca`/`stale-aca`); in SIN-002,
/// SIN-002N and SIN-003 the outage is simulated traffic fed to the Nodo's monitor, and in
/// SIN-008 and SIN-009 the Nodo answers from ACA while the station is in Stand-In. CON-001
/// looks at the TLS endpoint only: its handshake and legacy hellos never reach SOAP, and its
/// call without a client certificate is refused by the TLS layer before any answer is made.
/// The GPD cases but GPD-006a and GPD-006c talk to the mock GPD only (the EC is on the
/// asynchronous integration: GPD-Payments answers the Nodo, and the receipt is pulled).
const NO_SOAP_CALL: &[&str] = &[
    "ACA-003", "ACA-004", "ACA-006", "CON-001", "GPD-001", "GPD-002", "GPD-003", "GPD-004",
    "GPD-006b", "GPD-007", "SIN-002", "SIN-002N", "SIN-003", "SIN-008", "SIN-009",
];

/// GPD-006a and GPD-006c push their receipts (paSendRTV2) to the station under test as the
/// asynchronous EC's broadcast station: under a profile that breaks every SOAP answer the
/// Nodo's delivery never succeeds, and the payment itself (answered by GPD) still does.
const RECEIPT_NOT_PUSHED: Failure = Failure {
    check: "receipt-pushed",
    nodo: None,
    reason: "did not accept every paSendRTV2",
};

/// ACA-008 under the profiles where no verify of a payable notice gets a usable OK (`slow`,
/// `dead`, `malformed-xml`, `qualified-children`, `no-payment-list`,
/// `unquoted-soapaction-only`): nothing can be compared with ACA, and the comparison fails on
/// the first fixture (roles in name order: `amount-change`) instead of passing empty.
const ACA_008_NOTHING_TO_COMPARE: Failure = Failure {
    check: "aca-consistency amount-change",
    nodo: None,
    reason: "gave no amount to compare with ACA",
};

/// Every case whose activation (paGetPayment/V2) gets an OK answer: the cases `wrong-sum` and
/// `bad-iban` break, since both bend only a successful activation (DOMAIN.md §5 items 1 and 3).
/// ACT-006 activates only unknown/paid/cancelled notices (KOs), so it is not here; nor are
/// SIN-004, SIN-005M, SIN-006 and SIN-010: their activations happen in Stand-In and are
/// answered by the Nodo from ACA, never by the station.
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
            ("RT-008", $f),
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
/// The probe is a KO too, so the Stand-In cases that need the station back (SIN-004, SIN-005M,
/// SIN-006, SIN-007, SIN-010) never see a positive probe and stay in Stand-In; SIN-004's last
/// verify (KO PAA_PAGAMENTO_DUPLICATO) is never reached by the station.
macro_rules! ko_cases {
    ($f:expr) => {
        &[
            ("ACT-006", $f),
            // The reference station refuses a V1 activation of a stamp notice with a KO.
            ("ACT-010", $f),
            ("DEM-002", $f),
            ("FLT-001", $f),
            ("RT-001", $f),
            ("RT-001V2", $f),
            ("RT-003", $f),
            ("SIN-001", $f),
            ("SIN-004", STAND_IN_STUCK),
            ("SIN-005M", STAND_IN_STUCK),
            ("SIN-006", STAND_IN_STUCK),
            ("SIN-007", STAND_IN_STUCK),
            ("SIN-010", STAND_IN_STUCK),
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

/// A check with no Nodo outcome of its own: a `[step.delivery]` send-rt, the Stand-In state,
/// what the mock ACA holds.
const fn check(check: &'static str, reason: &'static str) -> Failure {
    Failure {
        check,
        nodo: None,
        reason,
    }
}

/// The receipt did not end delivered as expected.
const fn delivery(reason: &'static str) -> Failure {
    check("delivery", reason)
}

/// The receipt took another number of attempts than the scenario pins.
const fn attempts(reason: &'static str) -> Failure {
    check("attempts", reason)
}

/// A station booked a receipt more (or less) than once (TEST-PLAN RT-003).
const fn booking(reason: &'static str) -> Failure {
    check("receipt-booked-once", reason)
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
const QUOTED_REFUSED_CODE: Failure = fault_code("the station answered PAA_SINTASSI_EXTRAXSD");
/// A probe is positive only if it gets HTTP 2xx with `SCONOSCIUTO` in the body (DOMAIN.md §7.3):
/// with none positive in the 60-minute exit window the station stays in Stand-In, and the case
/// fails on the `recover` step. 12 probes fall in the window (one every 5 minutes).
const STAND_IN_STUCK: Failure = check(
    "stand-in-state",
    "0 of 12 probes positive in the exit window",
);
/// The cases that need the station out of Stand-In again (after the probes of `recover`).
/// Plus ACA-008, which has nothing to compare under the profiles that use this list.
const STAND_IN_RECOVERY_AND_ACA_008: &[(&str, Failure)] = &[
    ("ACA-008", ACA_008_NOTHING_TO_COMPARE),
    ("SIN-004", STAND_IN_STUCK),
    ("SIN-005M", STAND_IN_STUCK),
    ("SIN-006", STAND_IN_STUCK),
    ("SIN-007", STAND_IN_STUCK),
    ("SIN-010", STAND_IN_STUCK),
    ("GPD-006a", RECEIPT_NOT_PUSHED),
    ("GPD-006c", RECEIPT_NOT_PUSHED),
];
/// The EC never registered the position in ACA (DOMAIN.md §8: every position must be loaded).
const ACA_ABSENT: Failure = check("aca-status", ": absent");
/// Stand-In can only collect a notice ACA holds (DOMAIN.md §7, §8).
const NOT_IN_ACA: Failure = nodo(
    PAGAMENTO_SCONOSCIUTO,
    "not payable in Stand-In: the notice is not in ACA",
);
/// ACA still holds the amount from before the EC's change of +10.00 (80.00 → 90.00).
const ACA_OLD_AMOUNT: Failure = check("aca-amount", ": 80.00");
/// ACA still holds the position as valid after the EC cancelled or closed it (amount 0 never
/// sent, DOMAIN.md §8).
const ACA_STILL_VALID: Failure = check("aca-status", ": VALID");

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
        // With a short timeout every call to the station ends as TIMEOUT quickly (§4.2: no
        // answer within the timeout); with the Nodo's real 7 s / 15 s the 3 s answers would
        // pass everything but SLA-001's 2 s target, so these failures show the timeout path.
        // Left out for time: SLA-001 makes 40 calls (two minutes at 3 s each); SIN-004,
        // SIN-005M, SIN-006 and SIN-010 take 13 s each (15 probes, then 48 receipt attempts,
        // each waiting 200 ms) and SIN-007 3.4 s (17 probes). All five would fail on the probes
        // (`stand-in-state`, STAND_IN_STUCK): a timed-out probe is a transport error, judged
        // negative by the same code as `dead`'s closed connections, which `dead` covers.
        exclude: &[
            "SLA-001", "SIN-004", "SIN-005M", "SIN-006", "SIN-007", "SIN-010",
        ],
        timeout_ms: Some(200),
        failing: Failing::All {
            failure: nodo(TIMEOUT, "did not answer within the Nodo's timeout"),
            except: &[
                ("ACA-008", ACA_008_NOTHING_TO_COMPARE),
                ("GPD-006a", RECEIPT_NOT_PUSHED),
                ("GPD-006c", RECEIPT_NOT_PUSHED),
            ],
            passing: NO_SOAP_CALL,
        },
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
        failing: Failing::All {
            failure: nodo(
                IRRAGGIUNGIBILE,
                "the connection was closed before any response",
            ),
            // The probes get no answer either: the station never leaves Stand-In.
            except: STAND_IN_RECOVERY_AND_ACA_008,
            passing: NO_SOAP_CALL,
        },
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
                "RT-008",
                sum_mismatch("paymentAmount 34.33 differs from the sum of transferAmount 33.33"),
            ),
            // SLA-001 judges only the time of its repeated activations; its activation of the
            // receipts' notice is judged whole.
            (
                "SLA-001",
                sum_mismatch("paymentAmount 34.33 differs from the sum of transferAmount 33.33"),
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
        failing: Failing::All {
            failure: nodo(ERRORE_RESPONSE, "not well-formed XML"),
            // The truncated probe answer does not reach `SCONOSCIUTO`: no positive probe.
            except: STAND_IN_RECOVERY_AND_ACA_008,
            passing: NO_SOAP_CALL,
        },
        errors: &[],
        skipped: &[],
        exit: 1,
    },
    Expectation {
        profile: "http-500-faults",
        exclude: &[],
        timeout_ms: None,
        // The probe's HTTP 500 is negative even though its faultstring names
        // PAA_PAGAMENTO_SCONOSCIUTO (§7.3: HTTP 2xx *and* SCONOSCIUTO in the body).
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
        failing: Failing::All {
            failure: nodo(ERRORE_RESPONSE, "element must be unqualified"),
            // Surprising but right: the probes are positive, since the Nodo only looks for
            // HTTP 2xx and `SCONOSCIUTO` in the body (§7.3), not for a valid answer. So these
            // cases leave Stand-In and fail later, on the Stand-In receipt, whose answer is
            // XSD-invalid on all 49 attempts. (SIN-007 fails on its last verify, the profile's
            // failure; SIN-001 fails, since it judges the probe answer as a whole.)
            except: &[
                ("ACA-008", ACA_008_NOTHING_TO_COMPARE),
                ("SIN-004", delivery("element must be unqualified")),
                ("SIN-005M", delivery("element must be unqualified")),
                ("SIN-006", delivery("element must be unqualified")),
                ("SIN-010", delivery("element must be unqualified")),
                ("GPD-006a", RECEIPT_NOT_PUSHED),
                ("GPD-006c", RECEIPT_NOT_PUSHED),
            ],
            passing: NO_SOAP_CALL,
        },
        errors: &[],
        skipped: &[],
        exit: 1,
    },
    Expectation {
        profile: "no-payment-list",
        exclude: &[],
        timeout_ms: None,
        // Every case with a verify answered OK by the station. ACT-008 fails on its re-verify
        // (step 2), RT-006 on the verify before its Stand-In receipt, SIN-007 on the verify
        // after Stand-In; RT-001/RT-001V2/RT-003 pass: their only verify is the KO of the paid
        // notice. SIN-004's verify OK is answered from ACA, not by the station, so it passes.
        // ACA-001, ACA-002, ACA-005M and ACA-007 read the amount from a verify first.
        failing: Failing::Only(&[
            ("ACA-001", NO_PAYMENT_LIST),
            ("ACA-002", NO_PAYMENT_LIST),
            ("ACA-005M", NO_PAYMENT_LIST),
            ("ACA-007", NO_PAYMENT_LIST),
            ("ACA-008", ACA_008_NOTHING_TO_COMPARE),
            ("ACT-001", NO_PAYMENT_LIST),
            ("ACT-001V2", NO_PAYMENT_LIST),
            ("ACT-002M", NO_PAYMENT_LIST),
            ("ACT-008", NO_PAYMENT_LIST),
            ("CON-002", NO_PAYMENT_LIST),
            ("IUV-001", NO_PAYMENT_LIST),
            ("RT-006", NO_PAYMENT_LIST),
            ("SIN-007", NO_PAYMENT_LIST),
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
        // Without the fault bean the probe's body has no `SCONOSCIUTO`: no positive probe.
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
        // PAA_PAGAMENTO_SCONOSCIUTO). FLT-001 probes in its third step. Every probe of
        // `recover` is negative, so the cases that need the station back stay in Stand-In.
        failing: Failing::Only(&[
            (
                "FLT-001",
                fault_code("the station answered PAA_SYSTEM_ERROR"),
            ),
            (
                "SIN-001",
                fault_code("the station answered PAA_SYSTEM_ERROR"),
            ),
            ("SIN-004", STAND_IN_STUCK),
            ("SIN-005M", STAND_IN_STUCK),
            ("SIN-006", STAND_IN_STUCK),
            ("SIN-007", STAND_IN_STUCK),
            ("SIN-010", STAND_IN_STUCK),
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
        // (delivered twice) and RT-008 (the station's answer is lost after it booked the
        // receipt, so the retry is a duplicate for it). An outage never delivers (RT-002M's
        // broadcast outage and every RT-004 outage book once, when the station is back).
        // Everything else books once, the Stand-In receipts of SIN-004, SIN-005M, SIN-006 and
        // SIN-010 included: each is accepted on its first attempt, so it reaches the station
        // only once.
        failing: Failing::Only(&[
            ("RT-003", booking("station 77777777777_01 booked 2 times")),
            ("RT-008", booking("station 77777777777_01 booked 2 times")),
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
        // complete fault bean, whatever its code. The cases of NO_SOAP_CALL pass too. The
        // probes get that KO as well (no `SCONOSCIUTO`): the station never leaves Stand-In.
        failing: Failing::Only(&[
            ("ACA-001", QUOTED_REFUSED),
            ("ACA-002", QUOTED_REFUSED),
            ("ACA-005M", QUOTED_REFUSED),
            ("ACA-007", QUOTED_REFUSED),
            ("ACA-008", ACA_008_NOTHING_TO_COMPARE),
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
            ("GPD-006a", RECEIPT_NOT_PUSHED),
            ("GPD-006c", RECEIPT_NOT_PUSHED),
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
            ("RT-008", QUOTED_REFUSED),
            ("SIN-001", QUOTED_REFUSED_CODE),
            ("SIN-004", STAND_IN_STUCK),
            ("SIN-005M", STAND_IN_STUCK),
            ("SIN-006", STAND_IN_STUCK),
            ("SIN-007", STAND_IN_STUCK),
            ("SIN-010", STAND_IN_STUCK),
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
        // is relayed. RT-002M, RT-003 (on its first delivery), RT-004, RT-008 and the Stand-In
        // receipt cases pin the number of attempts, RT-006/RT-007 allow only 3. RT-005 passes:
        // it never reaches the station (every attempt is an injected refusal).
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
            (
                "RT-003",
                attempts("delivery 1 of 2: station 77777777777_01: 4 attempts"),
            ),
            ("RT-004", attempts("station 77777777777_01: 14 attempts")),
            ("RT-006", delivery("stuck after 3 attempts")),
            ("RT-008", attempts("station 77777777777_01: 4 attempts")),
            ("RT-007", delivery("stuck after 3 attempts")),
            ("SIN-004", attempts("station 77777777777_01: 4 attempts")),
            ("SIN-005M", attempts("station 77777777777_01: 4 attempts")),
            ("SIN-006", attempts("station 77777777777_01: 4 attempts")),
            ("SIN-010", attempts("station 77777777777_01: 4 attempts")),
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
        // PAA_RECEIPT_DUPLICATA), so the Nodo retries until its last attempt (the first send
        // and 48 retries). Same cases as duplicate-booking, the only ones where a receipt
        // reaches a station twice (the Stand-In receipts are accepted on their first attempt).
        failing: Failing::Only(&[
            ("RT-003", delivery("stuck after 49 attempts")),
            ("RT-008", delivery("stuck after 49 attempts")),
        ]),
        errors: &[],
        skipped: &[],
        exit: 1,
    },
    Expectation {
        profile: "no-aca",
        exclude: &[],
        timeout_ms: None,
        // ACA holds nothing: every ACA case fails on its first look at ACA, and every Stand-In
        // case that pays a notice is refused by the Nodo at its first payment step (SIN-004 at
        // the verify, the others at the activation). The SOAP answers are all correct.
        // SIN-008 fails at its first step (the position must be in ACA with
        // payStandIn=false). SIN-007 pays nothing, and SIN-009 passes: nothing in ACA means
        // nothing is payable in Stand-In, which is what it checks.
        failing: Failing::Only(&[
            ("ACA-001", ACA_ABSENT),
            ("ACA-002", ACA_ABSENT),
            ("ACA-003", ACA_ABSENT),
            ("ACA-004", ACA_ABSENT),
            ("ACA-005M", ACA_ABSENT),
            // The message prints the missing flag as `None` (its `actual` is "absent").
            ("ACA-006", check("aca-pay-stand-in", "payStandIn of")),
            ("ACA-007", ACA_ABSENT),
            // The fixtures are compared in role order; amount-change is the first.
            (
                "ACA-008",
                check(
                    "aca-consistency amount-change",
                    "the station answers 82.50 but ACA has no position",
                ),
            ),
            ("SIN-004", NOT_IN_ACA),
            ("SIN-005M", NOT_IN_ACA),
            ("SIN-006", NOT_IN_ACA),
            ("SIN-008", ACA_ABSENT),
            ("SIN-010", NOT_IN_ACA),
        ]),
        errors: &[],
        skipped: &[],
        exit: 1,
    },
    Expectation {
        profile: "stale-aca",
        exclude: &[],
        timeout_ms: None,
        // ACA is loaded at start-up and never told about a change: exactly the cases where the
        // EC changes (ACA-002, ACA-007, ACA-008), cancels (ACA-003) or closes (ACA-004) a
        // position fail. ACA-007's injected 502/503 are never even hit. The Stand-In cases
        // pass, but SIN-009: they pay positions as loaded at start-up, and SIN-006 changes its
        // amount only after the payment (ACA is then expected to be stale).
        failing: Failing::Only(&[
            ("ACA-002", ACA_OLD_AMOUNT),
            ("ACA-003", ACA_STILL_VALID),
            ("ACA-004", ACA_STILL_VALID),
            ("ACA-007", ACA_OLD_AMOUNT),
            (
                "ACA-008",
                check(
                    "aca-consistency amount-change",
                    "amount: station 82.50 vs ACA 80.00",
                ),
            ),
            // The position the EC cancels during the run stays VALID in ACA, so the Nodo lets
            // the citizen pay it in Stand-In.
            (
                "SIN-009",
                nodo("OK", "The Nodo answers the PSP OK from ACA"),
            ),
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
