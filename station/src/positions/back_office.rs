//! The back-office registry: which ECs exist and are enabled on the Nodo, and which IBANs are
//! registered for each (DOMAIN.md §5 rules 3–4). The harness validates activation answers
//! against it, exactly as the Nodo validates them against its own configuration.

use collaudo_wire::ident::iban;
use serde::Serialize;

/// Fiscal code of the secondary EC that receives one transfer of the multi-beneficiary
/// fixtures. The station also serves it, so a receipt fanned out to "the secondary EC's
/// station" (RT-002M) can be delivered here.
pub const SECONDARY_EC_FISCAL_CODE: &str = "01234567890";

/// Company name of the secondary EC.
pub const SECONDARY_EC_COMPANY: &str = "Provincia di Collaudo";

/// An IBAN registered for an EC.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IbanEntry {
    /// The IBAN, electronic format.
    pub iban: String,
    /// A Poste Italiane current account (usable for `transferType=POSTAL` and `allCCP`).
    pub postal: bool,
}

/// An EC known to the back office.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EcEntry {
    /// The EC fiscal code (11 digits).
    pub fiscal_code: String,
    /// Its company name.
    pub company_name: String,
    /// Enabled on the Nodo.
    pub enabled: bool,
    /// IBANs registered for it; the first non-postal one is its main account.
    pub ibans: Vec<IbanEntry>,
}

/// The ECs and IBANs the Nodo knows about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BackOffice {
    /// Every EC, primary first.
    pub ecs: Vec<EcEntry>,
}

impl BackOffice {
    /// The registry of a station whose primary EC is `primary` (named `company`): the primary
    /// and the secondary EC, each with bank and postal accounts. The IBANs do not depend on the
    /// seed, so EC teams can copy them into their own collaudo configuration.
    pub fn for_primary(primary: &str, company: &str) -> BackOffice {
        BackOffice {
            ecs: vec![
                EcEntry {
                    fiscal_code: primary.to_string(),
                    company_name: company.to_string(),
                    enabled: true,
                    ibans: vec![
                        IbanEntry {
                            iban: iban::italian(3069, 3200, 100_000_000_001, false),
                            postal: false,
                        },
                        IbanEntry {
                            iban: iban::italian(5034, 11701, 100_000_000_002, false),
                            postal: false,
                        },
                        IbanEntry {
                            iban: iban::italian(0, 3200, 100_000_000_003, true),
                            postal: true,
                        },
                    ],
                },
                EcEntry {
                    fiscal_code: SECONDARY_EC_FISCAL_CODE.to_string(),
                    company_name: SECONDARY_EC_COMPANY.to_string(),
                    enabled: true,
                    ibans: vec![
                        IbanEntry {
                            iban: iban::italian(2008, 1600, 200_000_000_001, false),
                            postal: false,
                        },
                        IbanEntry {
                            iban: iban::italian(0, 1600, 200_000_000_002, true),
                            postal: true,
                        },
                    ],
                },
            ],
        }
    }

    /// The EC with this fiscal code.
    pub fn ec(&self, fiscal_code: &str) -> Option<&EcEntry> {
        self.ecs.iter().find(|e| e.fiscal_code == fiscal_code)
    }

    /// Whether the EC exists and is enabled.
    pub fn is_enabled(&self, fiscal_code: &str) -> bool {
        self.ec(fiscal_code).is_some_and(|e| e.enabled)
    }

    /// Whether `iban` is registered for the EC `fiscal_code` (the pair the Nodo checks).
    pub fn is_registered(&self, fiscal_code: &str, iban: &str) -> bool {
        self.ec(fiscal_code)
            .is_some_and(|e| e.ibans.iter().any(|i| i.iban == iban))
    }

    /// Whether `iban` is registered for the EC and is a postal account.
    pub fn is_postal(&self, fiscal_code: &str, iban: &str) -> bool {
        self.ec(fiscal_code)
            .is_some_and(|e| e.ibans.iter().any(|i| i.iban == iban && i.postal))
    }

    /// The EC's `n`-th bank (non-postal) account, counting from 0.
    pub fn bank_iban(&self, fiscal_code: &str, n: usize) -> Option<&str> {
        self.ec(fiscal_code)?
            .ibans
            .iter()
            .filter(|i| !i.postal)
            .nth(n)
            .map(|i| i.iban.as_str())
    }

    /// The EC's postal account.
    pub fn postal_iban(&self, fiscal_code: &str) -> Option<&str> {
        self.ec(fiscal_code)?
            .ibans
            .iter()
            .find(|i| i.postal)
            .map(|i| i.iban.as_str())
    }

    /// A valid Italian IBAN registered for no EC (what the `bad-iban` profile answers with).
    pub fn unregistered_iban() -> String {
        iban::italian(3069, 3200, 999_999_999_999, false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ibans_are_valid_italian_and_postal_is_flagged() {
        let bo = BackOffice::for_primary("77777777777", "Comune di Collaudo");
        assert_eq!(bo.ecs.len(), 2);
        for ec in &bo.ecs {
            assert!(ec.enabled);
            assert_eq!(ec.fiscal_code.len(), 11);
            for i in &ec.ibans {
                assert!(iban::is_valid_italian(&i.iban), "{}", i.iban);
                assert_eq!(iban::is_postal(&i.iban), i.postal, "{}", i.iban);
                assert!(bo.is_registered(&ec.fiscal_code, &i.iban));
            }
            assert!(bo.postal_iban(&ec.fiscal_code).is_some());
            assert!(bo.bank_iban(&ec.fiscal_code, 0).is_some());
        }
        let primary_bank = bo.bank_iban("77777777777", 0).unwrap_or_default();
        assert!(!bo.is_registered(SECONDARY_EC_FISCAL_CODE, primary_bank));
        assert!(bo.is_enabled(SECONDARY_EC_FISCAL_CODE));
        assert!(!bo.is_enabled("99999999999"));
        let bad = BackOffice::unregistered_iban();
        assert!(iban::is_valid_italian(&bad));
        assert!(
            bo.ecs
                .iter()
                .all(|e| !bo.is_registered(&e.fiscal_code, &bad))
        );
    }
}
