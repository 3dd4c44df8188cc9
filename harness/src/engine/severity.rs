//! The severity of every check, in one table: whether a check that does not hold fails the
//! step or only warns is a written decision, not an accident of where the check is coded.
//!
//! `docs/checks.md` holds this table rendered as Markdown (a test keeps the two equal), with
//! the public source of each rule.

use collaudo_reports::CheckVerdict;

/// What a check that does not hold does to its step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    /// The station does not conform: the step fails.
    Fail,
    /// Tolerated, worth reporting: the step still passes.
    Warn,
    /// Fails only where the case's test-plan row requires it (see the check's note).
    FailWhereRequired,
}

impl Severity {
    fn as_str(self) -> &'static str {
        match self {
            Severity::Fail => "fail",
            Severity::Warn => "warn",
            Severity::FailWhereRequired => "warn (fail where the case requires it)",
        }
    }
}

/// One row of the table.
#[derive(Debug, Clone, Copy)]
pub struct CheckSpec {
    /// The check's name as reports show it (a prefix for `field …`, `capture …`,
    /// `aca-consistency …`).
    pub name: &'static str,
    /// What happens when it does not hold.
    pub severity: Severity,
    /// What it checks.
    pub rule: &'static str,
    /// Why a check that does not hold fails, or only warns, in one sentence.
    pub why: &'static str,
    /// The public source of the rule, in the short forms of docs/scenarios.md ("Sources"),
    /// separated by "; ".
    pub source: &'static str,
}

/// Every check the engine records.
pub const CHECKS: &[CheckSpec] = &[
    CheckSpec {
        name: "nodo-outcome",
        severity: Severity::Fail,
        rule: "What the real Nodo would conclude from the answer (OK, the EC's KO relayed as PPT_ERRORE_EMESSO_DA_PAA, or a PPT_STAZIONE_INT_PA_* error about the station) is what the case expects. This is what a PSP and a citizen see.",
        why: "It is what the PSP and the citizen get: a wrong outcome is a payment refused, or allowed, by mistake.",
        source: "Gestione degli errori — Classificazione degli errori; SANP — Integrazione tramite API sincrone",
    },
    CheckSpec {
        name: "fault-code",
        severity: Severity::Fail,
        rule: "A KO carries the expected PAA_* faultCode. A code the case lists as an accepted alternative only warns.",
        why: "The code tells the PSP why a notice cannot be paid; a wrong one misleads the citizen.",
        source: "Gestione degli errori — Dominio EC; Gestione degli errori — Nodo -> EC",
    },
    CheckSpec {
        name: "not-fault-code",
        severity: Severity::Fail,
        rule: "A KO does not carry a code the case forbids (e.g. PAA_PAGAMENTO_DUPLICATO before the receipt).",
        why: "A forbidden code (a notice called paid before its receipt) stops a payment that must go through.",
        source: "SANP — Best practice; Gestione degli errori — Dominio EC",
    },
    CheckSpec {
        name: "response-valid",
        severity: Severity::Fail,
        rule: "The answer is valid against the official schema and the Nodo's rules on it (one record per violation). The Nodo answers the PSP PPT_STAZIONE_INT_PA_ERRORE_RESPONSE for any of them.",
        why: "The Nodo rejects such an answer and the PSP gets PPT_STAZIONE_INT_PA_ERRORE_RESPONSE: the payment stops.",
        source: "paForNode.xsd; paForNode.wsdl; sac-common-types-1.0.xsd; SANP — Integrazione tramite API sincrone",
    },
    CheckSpec {
        name: "nodo-check",
        severity: Severity::Fail,
        rule: "The Nodo's checks beyond the schema: amount = sum of transfers, IBAN registered for its EC, secondary EC known and enabled, creditorReferenceId = IUV of the notice, postal rules. Checks that need back-office data are skipped without [backoffice].",
        why: "As for the schema: the real Nodo refuses the answer and the payment stops.",
        source: "SANP — Integrazione tramite API sincrone; SANP — Best practice; pagopa-nodo-dei-pagamenti-test",
    },
    CheckSpec {
        name: "backoffice-checks",
        severity: Severity::Warn,
        rule: "Recorded as skipped, never failed, when [backoffice] is not configured: which IBANs and ECs are registered on the Nodo is then unknown.",
        why: "Without [backoffice] collaudo cannot know what is registered on the Nodo; failing would blame the station for a gap in collaudo's data.",
        source: "SANP — Integrazione tramite API sincrone",
    },
    CheckSpec {
        name: "verify-activate-consistent",
        severity: Severity::Fail,
        rule: "The activation's paymentAmount, fiscalCodePA and dueDate match the verify that preceded it, unless the case changed the amount in between.",
        why: "The citizen agreed to the verified amount; an activation that disagrees collects a different amount or is refused.",
        source: "SANP — Best practice; SANP — Integrazione tramite API sincrone",
    },
    CheckSpec {
        name: "http-status",
        severity: Severity::FailWhereRequired,
        rule: "pagoPA answers, OK or KO, travel as HTTP 200. The Nodo reads the body, so another status only warns, except in the cases that require HTTP 200 (`require_http_200`: FLT-001, VRF-007, SIN-001).",
        why: "The Nodo judges the SOAP body, so a wrong status alone breaks no payment; it fails where the status itself is the point (the Stand-In probe counts only 2xx answers).",
        source: "Gestione degli errori — Fault Code; pagopa-stand-in-manager",
    },
    CheckSpec {
        name: "content-type",
        severity: Severity::Warn,
        rule: "A SOAP 1.1 answer is text/xml. Another Content-Type only warns: the Nodo reads the body.",
        why: "The Nodo reads the body whatever the header says: worth fixing, not a broken payment.",
        source: "paForNode.wsdl",
    },
    CheckSpec {
        name: "wire-warning",
        severity: Severity::Warn,
        rule: "Tolerated irregularities the parser notices: a wrong IUV check digit in a reply, a fault code without the PAA_ prefix outside the fault-bean checks, blanks around a faultString, a debtor identifier of the wrong shape for its type (F: 16 characters or ANONIMO; G: 11 digits).",
        why: "The Nodo tolerates these (it does not check the EC's faultStrings, check digits are a PSP facility, the fiscal-code shape is general Italian practice, not a pagoPA rule).",
        source: "SACI — Generazione dell'Identificativo Univoco di Versamento; Gestione degli errori — Fault Code",
    },
    CheckSpec {
        name: "field",
        severity: Severity::Fail,
        rule: "An element of the answer has the value the case expects (e.g. options = EQ, the new amount after a change).",
        why: "It is the behaviour the case exists to check.",
        source: "the case's `sources`",
    },
    CheckSpec {
        name: "capture",
        severity: Severity::Fail,
        rule: "An element a later step needs is present in the answer.",
        why: "Later steps need the value: without it the case cannot be judged.",
        source: "the case's `sources`",
    },
    CheckSpec {
        name: "fault-bean-complete",
        severity: Severity::Fail,
        rule: "A KO's fault bean has a PAA_* faultCode, a faultString and an id.",
        why: "faultCode, faultString and id are mandatory in the schema: the Nodo rejects a KO without them.",
        source: "sac-common-types-1.0.xsd ctFaultBean; Gestione degli errori — Fault Code",
    },
    CheckSpec {
        name: "iuv-matches-notice",
        severity: Severity::Fail,
        rule: "creditorReferenceId is the IUV embedded in the notice number.",
        why: "The IUV is how the EC reconciles the payment: a mismatch leaves the money unattributed.",
        source: "SACI — Generazione dell'Identificativo Univoco di Versamento",
    },
    CheckSpec {
        name: "notice-number-valid",
        severity: Severity::Fail,
        rule: "A notice number the EC issued has 18 digits, the aux digit and segregation code of the station, and mod-93 check digits.",
        why: "The notice number routes the payment to the EC and its station: a malformed one cannot be paid, or reaches the wrong station.",
        source: "SACI — Generazione dell'Identificativo Univoco di Versamento",
    },
    CheckSpec {
        name: "allccp-consistent",
        severity: Severity::Fail,
        rule: "allCCP=true in the verify is kept by the activation: every transfer can be credited to a postal account.",
        why: "allCCP=true promises that every transfer may be credited to a postal account; breaking the promise sends money where it cannot go.",
        source: "paForNode.xsd; SANP — Best practice",
    },
    CheckSpec {
        name: "stamp-present",
        severity: Severity::Fail,
        rule: "A notice with a digital stamp carries richiestaMarcaDaBollo in paGetPaymentV2.",
        why: "Without it the digital stamp is not issued with the payment.",
        source: "paForNode.xsd ctTransferPAV2; sac-common-types-1.0.xsd ctRichiestaMarcaDaBollo; SANP — Primitive",
    },
    CheckSpec {
        name: "multi-beneficiary",
        severity: Severity::Fail,
        rule: "A multi-beneficiary notice has 2 to 5 transfers, at least one to a secondary EC.",
        why: "A multi-beneficiary notice that arrives as one transfer credits the whole amount to one EC.",
        source: "paForNode.xsd; SANP — Integrazione tramite API sincrone",
    },
    CheckSpec {
        name: "delivery",
        severity: Severity::Fail,
        rule: "The receipt was (or, where the case says so, was not) accepted by the station within the Nodo's retry schedule.",
        why: "An undelivered receipt leaves a paid notice open at the EC: the citizen may be asked to pay again.",
        source: "SANP — Integrazione tramite API sincrone; SANP — Best practice",
    },
    CheckSpec {
        name: "attempts",
        severity: Severity::Fail,
        rule: "The receipt was accepted at the attempt the case expects (e.g. the first after an outage ends).",
        why: "A later attempt than expected means the station refused receipts it should have taken.",
        source: "SANP — Integrazione tramite API sincrone; SANP — Best practice",
    },
    CheckSpec {
        name: "receipt-booked-once",
        severity: Severity::Fail,
        rule: "The position is paid exactly once after the receipt, however many times it was delivered: a verify afterwards answers PAA_PAGAMENTO_DUPLICATO (or the reference station's ledger shows one booking).",
        why: "The Nodo does resend receipts: booking one twice, or never, corrupts the EC's accounts.",
        source: "SANP — Integrazione tramite API sincrone; Gestione degli errori — Nodo -> EC",
    },
    CheckSpec {
        name: "receipt-not-booked",
        severity: Severity::Fail,
        rule: "A receipt that never got through leaves the position unpaid.",
        why: "A receipt that never got through must not close the position: the EC would record money it has no receipt for.",
        source: "SANP — Integrazione tramite API sincrone",
    },
    CheckSpec {
        name: "receipt-stand-in",
        severity: Severity::Fail,
        rule: "A receipt for a payment made in Stand-In carries standIn=true and the station accepts it.",
        why: "A Stand-In payment is a real payment: refusing its receipt leaves a paid notice open.",
        source: "paForNode.xsd ctReceipt; SANP — Stand In",
    },
    CheckSpec {
        name: "sla-p98",
        severity: Severity::Fail,
        rule: "98 % of the station's answers arrive within the SLA (2 s).",
        why: "98 % of answers within 2 s is the service level PagoPA requires of every EC station.",
        source: "SANP — Livelli di servizio Enti Creditori",
    },
    CheckSpec {
        name: "sla-max",
        severity: Severity::Fail,
        rule: "No answer takes longer than the Nodo waits (7 s; 15 s for receipts).",
        why: "Past the Nodo's timeout the answer is lost: the PSP gets PPT_STAZIONE_INT_PA_TIMEOUT, and repeated timeouts put the station in Stand-In.",
        source: "SANP — Livelli di servizio Enti Creditori",
    },
    CheckSpec {
        name: "stand-in-state",
        severity: Severity::Fail,
        rule: "The station is (or is not) in Stand-In after the step, as the case expects.",
        why: "Whether a station is in Stand-In decides who answers the citizen: the station or ACA.",
        source: "SANP — Stand In; pagopa-stand-in-manager",
    },
    CheckSpec {
        name: "stand-in-transition",
        severity: Severity::Fail,
        rule: "The Stand-In monitor's transition happened for the documented reason.",
        why: "A transition for another reason means the case did not exercise what it claims.",
        source: "SANP — Stand In; pagopa-stand-in-manager",
    },
    CheckSpec {
        name: "station-not-called",
        severity: Severity::Fail,
        rule: "While the station is in Stand-In the Nodo answers from ACA without calling it.",
        why: "In Stand-In the Nodo must not call the station; a call means the case did not simulate Stand-In.",
        source: "SANP — Stand In",
    },
    CheckSpec {
        name: "aca-status",
        severity: Severity::Fail,
        rule: "The position the EC loaded into ACA with paCreatePosition is in the expected state.",
        why: "In Stand-In the Nodo pays what ACA holds: a position in the wrong state is paid, or refused, wrongly.",
        source: "paCreatePosition.json; SANP — Integrazione tramite API sincrone; pagopa-aca-service",
    },
    CheckSpec {
        name: "aca-amount",
        severity: Severity::Fail,
        rule: "ACA holds the amount the station answers for the notice.",
        why: "In Stand-In the citizen pays the amount ACA holds: a stale amount collects the wrong money.",
        source: "paCreatePosition.json; SANP — Integrazione tramite API sincrone",
    },
    CheckSpec {
        name: "aca-history",
        severity: Severity::Fail,
        rule: "The EC's calls to ACA for the notice came in the expected order (created, updated, cancelled…).",
        why: "The EC must call ACA whenever the position changes; a missing call leaves ACA stale.",
        source: "paCreatePosition.json; SANP — Integrazione tramite API sincrone; pagopa-aca-service",
    },
    CheckSpec {
        name: "aca-pay-stand-in",
        severity: Severity::Fail,
        rule: "payStandIn in ACA is what the EC intended for the position.",
        why: "payStandIn decides whether the notice can be paid in Stand-In at all.",
        source: "paCreatePosition.json; SANP — Stand In",
    },
    CheckSpec {
        name: "aca-pa-fiscal-code",
        severity: Severity::Fail,
        rule: "paFiscalCode in ACA is the creating EC (the configured idPA).",
        why: "In Stand-In the whole amount goes to paFiscalCode: a wrong EC would receive the money.",
        source: "paCreatePosition.json; SANP — Stand In; pagopa-aca-service",
    },
    CheckSpec {
        name: "aca-consistency",
        severity: Severity::Fail,
        rule: "Every payable fixture the station verifies exists in ACA with the same amount, due date and creditor.",
        why: "Every payable position must be in ACA as the station describes it, or Stand-In collects a wrong amount or nothing.",
        source: "SANP — Integrazione tramite API sincrone; SANP — Stand In",
    },
    CheckSpec {
        name: "tls-handshake",
        severity: Severity::Fail,
        rule: "A TLS handshake with the Nodo's settings (TLS 1.2 or 1.3, the configured trust and client certificate) completes; the negotiated version and cipher suite are recorded.",
        why: "Without it the Nodo cannot reach the station at all: every payment gets PPT_STAZIONE_INT_PA_IRRAGGIUNGIBILE.",
        source: "SANP — Connettività",
    },
    CheckSpec {
        name: "tls-certificate",
        severity: Severity::Fail,
        rule: "The station's certificate chains to a trusted CA, is within its validity dates and names the host of the station URL (even when `server_name` verifies another name).",
        why: "The Nodo calls the URL registered for the station and checks its certificate against that host.",
        source: "SANP — Connettività",
    },
    CheckSpec {
        name: "tls-legacy-refused",
        severity: Severity::Fail,
        rule: "A ClientHello offering only TLS 1.0 (or only TLS 1.1) is refused: an alert, a closed or reset connection, or a version above the one offered.",
        why: "pagoPA requires TLS 1.2 or later; a station that still negotiates TLS 1.0/1.1 is out of specification whatever the Nodo offers.",
        source: "SANP — Connettività",
    },
    CheckSpec {
        name: "mtls-required",
        severity: Severity::Fail,
        rule: "A call that presents no client certificate is refused: by the TLS handshake, a closed connection, or HTTP 401/403/495/496, never answered.",
        why: "Calls to the station must come from the Nodo through mutual TLS; a station that answers anyone exposes its payment positions.",
        source: "SANP — Connettività",
    },
];

/// The severity of the check called `name` (exact, or by prefix for `field …` and the like).
/// A name missing from the table fails: an unlisted check must not silently warn.
pub fn severity_of(name: &str) -> Severity {
    CHECKS
        .iter()
        .find(|c| {
            name == c.name
                || name
                    .strip_prefix(c.name)
                    .is_some_and(|r| r.starts_with(' '))
        })
        .map_or(Severity::Fail, |c| c.severity)
}

/// The verdict of a check that did not hold, by the table; `FailWhereRequired` warns here, the
/// caller knows whether the case requires it.
pub(crate) fn warn_or_fail(name: &str) -> CheckVerdict {
    match severity_of(name) {
        Severity::Fail => CheckVerdict::Fail,
        Severity::Warn | Severity::FailWhereRequired => CheckVerdict::Warn,
    }
}

/// The table as Markdown, as docs/checks.md shows it.
pub fn markdown_table() -> String {
    let mut out = String::from(
        "| check | when it does not hold | what it checks | why this severity | public source |\n|---|---|---|---|---|\n",
    );
    for c in CHECKS {
        out.push_str(&format!(
            "| `{}` | {} | {} | {} | {} |\n",
            c.name,
            c.severity.as_str(),
            c.rule,
            c.why,
            c.source
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hygiene_warns_and_substance_fails() {
        assert_eq!(severity_of("content-type"), Severity::Warn);
        assert_eq!(severity_of("http-status"), Severity::FailWhereRequired);
        assert_eq!(severity_of("nodo-outcome"), Severity::Fail);
        assert_eq!(severity_of("field paymentList/x"), Severity::Fail);
        assert_eq!(severity_of("aca-consistency payable"), Severity::Fail);
        assert_eq!(severity_of("no-such-check"), Severity::Fail);
        assert_eq!(warn_or_fail("http-status"), CheckVerdict::Warn);
    }

    #[test]
    fn names_are_unique() {
        let mut names: Vec<&str> = CHECKS.iter().map(|c| c.name).collect();
        names.sort_unstable();
        let n = names.len();
        names.dedup();
        assert_eq!(n, names.len());
    }

    /// docs/checks.md is the table users read: it must say what the code does.
    #[test]
    fn docs_checks_md_holds_this_table() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/checks.md");
        let doc = std::fs::read_to_string(path).expect("docs/checks.md exists");
        assert!(
            doc.contains(&markdown_table()),
            "docs/checks.md is out of date: paste the table printed below between its markers\n\n{}",
            markdown_table()
        );
    }
}
