//! Which IBAN a Stand-In payment of a position would credit (DOMAIN.md §7.5).

use crate::checks::BackOffice;
use collaudo_wire::aca::NewDebtPositionRequest;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Where the IBAN of a position came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IbanSource {
    /// The request's `iban`.
    Request,
    /// The request's `postalIban` (sent without `iban`).
    RequestPostal,
    /// The EC's default Stand-In IBAN from the back office.
    StandInDefault,
    /// The EC's most recently registered IBAN (the last in its back-office list).
    BackOfficeLatest,
    /// None: the request had no IBAN and the back office has none for the EC.
    Unresolved,
}

impl IbanSource {
    /// Whether the IBAN was sent by the EC rather than taken from the back office.
    pub fn from_request(self) -> bool {
        matches!(self, IbanSource::Request | IbanSource::RequestPostal)
    }
}

/// The IBAN ACA settles on for a position, and why.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ResolvedIban {
    /// The IBAN, if one could be found.
    pub iban: Option<String>,
    /// Whether it is a postal account (a `postalIban`, or registered as postal).
    pub postal: bool,
    /// Where it came from.
    pub source: IbanSource,
}

impl ResolvedIban {
    /// The IBAN for `request`: its `iban`, else its `postalIban`, else the EC's default
    /// Stand-In IBAN, else the EC's most recently registered IBAN.
    ///
    /// ACA refreshes the back-office IBAN on every update (DOMAIN.md §7.5), so this is called
    /// on every accepted upsert, not only on creation.
    pub fn resolve(
        request: &NewDebtPositionRequest,
        backoffice: &BackOffice,
        standin_ibans: &BTreeMap<String, String>,
    ) -> ResolvedIban {
        let ec = request.pa_fiscal_code.as_str();
        if let Some(iban) = &request.iban {
            return ResolvedIban::new(iban, false, IbanSource::Request);
        }
        if let Some(iban) = &request.postal_iban {
            return ResolvedIban::new(iban, true, IbanSource::RequestPostal);
        }
        if let Some(iban) = standin_ibans.get(ec) {
            // The default is configured by IBAN alone; its registration says whether it is
            // postal.
            let postal = backoffice
                .iban_info(ec, iban)
                .is_some_and(|info| info.postal);
            return ResolvedIban::new(iban, postal, IbanSource::StandInDefault);
        }
        if let Some(latest) = backoffice.ibans.get(ec).and_then(|list| list.last()) {
            return ResolvedIban::new(&latest.iban, latest.postal, IbanSource::BackOfficeLatest);
        }
        ResolvedIban::unresolved()
    }

    /// No IBAN at all.
    pub fn unresolved() -> ResolvedIban {
        ResolvedIban {
            iban: None,
            postal: false,
            source: IbanSource::Unresolved,
        }
    }

    fn new(iban: &str, postal: bool, source: IbanSource) -> ResolvedIban {
        ResolvedIban {
            iban: Some(iban.to_string()),
            postal,
            source,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{IbanSource, ResolvedIban};
    use crate::checks::BackOffice;
    use collaudo_wire::aca::{EntityType, NewDebtPositionRequest};
    use std::collections::BTreeMap;

    const EC: &str = "77777777777";
    const OLD: &str = "IT60X0542811101000000000001";
    const NEW: &str = "IT60X0542811101000000000002";
    const DEFAULT: &str = "IT60X0542811101000000000003";
    const SENT: &str = "IT60X0542811101000000000004";

    fn request() -> NewDebtPositionRequest {
        NewDebtPositionRequest {
            pa_fiscal_code: EC.into(),
            entity_type: EntityType::F,
            entity_fiscal_code: "RSSMRA80A01H501U".into(),
            entity_full_name: "Mario Rossi".into(),
            iuv: "01000000000000144".into(),
            nav: None,
            amount: 100,
            description: "d".into(),
            expiration_date: "2030-01-01T00:00:00Z".into(),
            iban: None,
            postal_iban: None,
            switch_to_expired: false,
            pay_stand_in: true,
        }
    }

    fn backoffice() -> BackOffice {
        BackOffice::default()
            .with_ec(EC, Some("Comune"))
            .with_iban(EC, OLD, false)
            .with_iban(EC, DEFAULT, true)
            .with_iban(EC, NEW, false)
    }

    #[test]
    fn request_iban_wins_then_postal_then_default_then_latest() {
        let bo = backoffice();
        let defaults = BTreeMap::from([(EC.to_string(), DEFAULT.to_string())]);
        let mut req = request();
        req.iban = Some(SENT.into());
        req.postal_iban = Some(OLD.into());
        let got = ResolvedIban::resolve(&req, &bo, &defaults);
        assert_eq!(
            (got.iban.as_deref(), got.postal, got.source),
            (Some(SENT), false, IbanSource::Request)
        );
        req.iban = None;
        let got = ResolvedIban::resolve(&req, &bo, &defaults);
        assert_eq!(
            (got.iban.as_deref(), got.postal, got.source),
            (Some(OLD), true, IbanSource::RequestPostal)
        );
        req.postal_iban = None;
        let got = ResolvedIban::resolve(&req, &bo, &defaults);
        assert_eq!(
            (got.iban.as_deref(), got.postal, got.source),
            (Some(DEFAULT), true, IbanSource::StandInDefault)
        );
        let got = ResolvedIban::resolve(&req, &bo, &BTreeMap::new());
        assert_eq!(
            (got.iban.as_deref(), got.postal, got.source),
            (Some(NEW), false, IbanSource::BackOfficeLatest)
        );
        let got = ResolvedIban::resolve(&req, &BackOffice::default(), &BTreeMap::new());
        assert_eq!(got, ResolvedIban::unresolved());
        assert!(IbanSource::Request.from_request() && !IbanSource::StandInDefault.from_request());
    }
}
