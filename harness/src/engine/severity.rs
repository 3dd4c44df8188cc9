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
    /// What it checks and why it has this severity.
    pub rule: &'static str,
    /// The public source of the rule.
    pub source: &'static str,
}

/// Every check the engine records.
pub const CHECKS: &[CheckSpec] = &[
    CheckSpec {
        name: "nodo-outcome",
        severity: Severity::Fail,
        rule: "What the real Nodo would conclude from the answer (OK, the EC's KO relayed as PPT_ERRORE_EMESSO_DA_PAA, or a PPT_STAZIONE_INT_PA_* error about the station) is what the case expects. This is what a PSP and a citizen see.",
        source: "pagoPA SANP, error catalogue and Nodo behaviour toward the PSP",
    },
    CheckSpec {
        name: "fault-code",
        severity: Severity::Fail,
        rule: "A KO carries the expected PAA_* faultCode. A code the case lists as an accepted alternative only warns.",
        source: "pagoPA SANP, EC fault codes (PAA_*)",
    },
    CheckSpec {
        name: "not-fault-code",
        severity: Severity::Fail,
        rule: "A KO does not carry a code the case forbids (e.g. PAA_PAGAMENTO_DUPLICATO before the receipt).",
        source: "pagoPA SANP, payment lifecycle",
    },
    CheckSpec {
        name: "response-valid",
        severity: Severity::Fail,
        rule: "The answer is valid against the official schema and the Nodo's rules on it (one record per violation). The Nodo answers the PSP PPT_STAZIONE_INT_PA_ERRORE_RESPONSE for any of them.",
        source: "paForNode.xsd and paForNode.wsdl (pagopa-api)",
    },
    CheckSpec {
        name: "nodo-check",
        severity: Severity::Fail,
        rule: "The Nodo's checks beyond the schema: amount = sum of transfers, IBAN registered for its EC, secondary EC known and enabled, creditorReferenceId = IUV of the notice, postal rules. Checks that need back-office data are skipped without [backoffice].",
        source: "pagoPA SANP, checks on paGetPayment answers",
    },
    CheckSpec {
        name: "backoffice-checks",
        severity: Severity::Warn,
        rule: "Recorded as skipped, never failed, when [backoffice] is not configured: which IBANs and ECs are registered on the Nodo is then unknown.",
        source: "pagoPA Back Office (IBAN and EC registration)",
    },
    CheckSpec {
        name: "verify-activate-consistent",
        severity: Severity::Fail,
        rule: "The activation's paymentAmount, fiscalCodePA and dueDate match the verify that preceded it, unless the case changed the amount in between.",
        source: "pagoPA SANP, paVerifyPaymentNotice and paGetPayment (the EC returns the current amount; the Nodo passes the verified amount on)",
    },
    CheckSpec {
        name: "http-status",
        severity: Severity::FailWhereRequired,
        rule: "pagoPA answers, OK or KO, travel as HTTP 200. The Nodo reads the body, so another status only warns, except in the cases whose test-plan row requires HTTP 200 (FLT-001, VRF-007, SIN-001: the Stand-In probe counts only 2xx).",
        source: "pagoPA SANP, fault handling (errors are outcome KO with a fault bean, not HTTP errors)",
    },
    CheckSpec {
        name: "content-type",
        severity: Severity::Warn,
        rule: "A SOAP 1.1 answer is text/xml. Another Content-Type only warns: the Nodo reads the body.",
        source: "SOAP 1.1 HTTP binding (paForNode.wsdl)",
    },
    CheckSpec {
        name: "wire-warning",
        severity: Severity::Warn,
        rule: "Tolerated irregularities the parser notices: a wrong IUV check digit in a reply, a fault code without the PAA_ prefix outside the fault-bean checks, blanks around a faultString.",
        source: "pagoPA SANP, notice number and fault bean",
    },
    CheckSpec {
        name: "field",
        severity: Severity::Fail,
        rule: "An element of the answer has the value the case expects (e.g. options = EQ, the new amount after a change).",
        source: "the case's test-plan row",
    },
    CheckSpec {
        name: "capture",
        severity: Severity::Fail,
        rule: "An element a later step needs is present in the answer.",
        source: "the case's test-plan row",
    },
    CheckSpec {
        name: "fault-bean-complete",
        severity: Severity::Fail,
        rule: "A KO's fault bean has a PAA_* faultCode, a faultString and an id.",
        source: "paForNode.xsd ctFaultBean; pagoPA SANP fault codes",
    },
    CheckSpec {
        name: "iuv-matches-notice",
        severity: Severity::Fail,
        rule: "creditorReferenceId is the IUV embedded in the notice number.",
        source: "pagoPA SANP, notice number (numero avviso) and IUV",
    },
    CheckSpec {
        name: "notice-number-valid",
        severity: Severity::Fail,
        rule: "A notice number the EC issued has 18 digits, the aux digit and segregation code of the station, and mod-93 check digits.",
        source: "pagoPA SANP, notice number (numero avviso) and IUV",
    },
    CheckSpec {
        name: "allccp-consistent",
        severity: Severity::Fail,
        rule: "allCCP=true in the verify is kept by the activation: every transfer can be credited to a postal account.",
        source: "paForNode.xsd (allCCP); pagoPA SANP postal accounts",
    },
    CheckSpec {
        name: "stamp-present",
        severity: Severity::Fail,
        rule: "A notice with a digital stamp carries richiestaMarcaDaBollo in paGetPaymentV2.",
        source: "paForNode.xsd ctRichiestaMarcaDaBollo; pagoPA @e.bollo",
    },
    CheckSpec {
        name: "multi-beneficiary",
        severity: Severity::Fail,
        rule: "A multi-beneficiary notice has 2 to 5 transfers, at least one to a secondary EC.",
        source: "pagoPA SANP, multi-beneficiary payments",
    },
    CheckSpec {
        name: "delivery",
        severity: Severity::Fail,
        rule: "The receipt was (or, where the case says so, was not) accepted by the station within the Nodo's retry schedule.",
        source: "pagoPA SANP, paSendRT retries",
    },
    CheckSpec {
        name: "attempts",
        severity: Severity::Fail,
        rule: "The receipt was accepted at the attempt the case expects (e.g. the first after an outage ends).",
        source: "pagoPA SANP, paSendRT retries",
    },
    CheckSpec {
        name: "receipt-booked-once",
        severity: Severity::Fail,
        rule: "The position is paid exactly once after the receipt, however many times it was delivered: a verify afterwards answers PAA_PAGAMENTO_DUPLICATO (or the reference station's ledger shows one booking).",
        source: "pagoPA SANP, paSendRT (the EC closes the position on receipt)",
    },
    CheckSpec {
        name: "receipt-not-booked",
        severity: Severity::Fail,
        rule: "A receipt that never got through leaves the position unpaid.",
        source: "pagoPA SANP, paSendRT",
    },
    CheckSpec {
        name: "receipt-stand-in",
        severity: Severity::Fail,
        rule: "A receipt for a payment made in Stand-In carries standIn=true and the station accepts it.",
        source: "paForNode.xsd (standIn); pagoPA Stand-In",
    },
    CheckSpec {
        name: "sla-p98",
        severity: Severity::Fail,
        rule: "98 % of the station's answers arrive within the SLA (2 s).",
        source: "pagoPA service levels for EC stations",
    },
    CheckSpec {
        name: "sla-max",
        severity: Severity::Fail,
        rule: "No answer takes longer than the Nodo waits (7 s; 15 s for receipts).",
        source: "pagoPA service levels for EC stations",
    },
    CheckSpec {
        name: "stand-in-state",
        severity: Severity::Fail,
        rule: "The station is (or is not) in Stand-In after the step, as the case expects.",
        source: "pagoPA Stand-In (activation and deactivation rules)",
    },
    CheckSpec {
        name: "stand-in-transition",
        severity: Severity::Fail,
        rule: "The Stand-In monitor's transition happened for the documented reason.",
        source: "pagoPA Stand-In",
    },
    CheckSpec {
        name: "station-not-called",
        severity: Severity::Fail,
        rule: "While the station is in Stand-In the Nodo answers from ACA without calling it.",
        source: "pagoPA Stand-In",
    },
    CheckSpec {
        name: "aca-status",
        severity: Severity::Fail,
        rule: "The position the EC loaded into ACA with paCreatePosition is in the expected state.",
        source: "pagoPA ACA, paCreatePosition (OpenAPI)",
    },
    CheckSpec {
        name: "aca-amount",
        severity: Severity::Fail,
        rule: "ACA holds the amount the station answers for the notice.",
        source: "pagoPA ACA, paCreatePosition (OpenAPI)",
    },
    CheckSpec {
        name: "aca-history",
        severity: Severity::Fail,
        rule: "The EC's calls to ACA for the notice came in the expected order (created, updated, cancelled…).",
        source: "pagoPA ACA, paCreatePosition (OpenAPI)",
    },
    CheckSpec {
        name: "aca-pay-stand-in",
        severity: Severity::Fail,
        rule: "payStandIn in ACA is what the EC intended for the position.",
        source: "pagoPA ACA, paCreatePosition (OpenAPI)",
    },
    CheckSpec {
        name: "aca-pa-fiscal-code",
        severity: Severity::Fail,
        rule: "paFiscalCode in ACA is the creating EC (the configured idPA).",
        source: "pagoPA ACA, paCreatePosition (OpenAPI)",
    },
    CheckSpec {
        name: "aca-consistency",
        severity: Severity::Fail,
        rule: "Every payable fixture the station verifies exists in ACA with the same amount, due date and creditor.",
        source: "pagoPA ACA and Stand-In",
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
        "| check | when it does not hold | what it checks | public source |\n|---|---|---|---|\n",
    );
    for c in CHECKS {
        out.push_str(&format!(
            "| `{}` | {} | {} | {} |\n",
            c.name,
            c.severity.as_str(),
            c.rule,
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
