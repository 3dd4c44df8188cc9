//! `DebtPositionResponse`, the 200 body of `paCreatePosition`.

use super::request::{EntityType, NewDebtPositionRequest};
use serde::{Deserialize, Serialize};

/// What ACA answers on success: the position as stored, with the EC's name and its status.
///
/// The OpenAPI marks no property required; those ACA may leave unset (`companyName`, the
/// IBANs) are `Option` and omitted when absent.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DebtPositionResponse {
    /// Fiscal code of the creating EC.
    pub pa_fiscal_code: String,
    /// EC name, fetched by ACA from the platform registry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub company_name: Option<String>,
    /// Kind of debtor.
    pub entity_type: EntityType,
    /// Debtor's fiscal code or VAT number.
    pub entity_fiscal_code: String,
    /// Debtor's name.
    pub entity_full_name: String,
    /// The position's IUV.
    pub iuv: String,
    /// Notice number (the request's, or `"3" + iuv`).
    pub nav: String,
    /// Amount in euro cents.
    pub amount: i64,
    /// Payment reason.
    pub description: String,
    /// Due date as stored (the OpenAPI calls it `local-date-time`, so it may lack an offset).
    pub expiration_date: String,
    /// IBAN credited in Stand-In.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iban: Option<String>,
    /// Postal IBAN credited in Stand-In.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postal_iban: Option<String>,
    /// Whether the position expires at the due date.
    pub switch_to_expired: bool,
    /// GPD status of the position after the call, e.g. `VALID` or `INVALID`.
    pub status: String,
}

impl DebtPositionResponse {
    /// The answer to `request` once stored: its fields echoed, `nav` defaulted, plus the EC's
    /// `company_name` and the resulting `status`.
    pub fn from_request(
        request: &NewDebtPositionRequest,
        company_name: Option<String>,
        status: impl Into<String>,
    ) -> Self {
        DebtPositionResponse {
            pa_fiscal_code: request.pa_fiscal_code.clone(),
            company_name,
            entity_type: request.entity_type,
            entity_fiscal_code: request.entity_fiscal_code.clone(),
            entity_full_name: request.entity_full_name.clone(),
            iuv: request.iuv.clone(),
            nav: request.nav_or_default(),
            amount: request.amount,
            description: request.description.clone(),
            expiration_date: request.expiration_date.clone(),
            iban: request.iban.clone(),
            postal_iban: request.postal_iban.clone(),
            switch_to_expired: request.switch_to_expired,
            status: status.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::DebtPositionResponse;
    use crate::aca::{EntityType, NewDebtPositionRequest};

    #[test]
    fn echoes_request_with_defaulted_nav() {
        let request = NewDebtPositionRequest {
            pa_fiscal_code: "77777777777".into(),
            entity_type: EntityType::G,
            entity_fiscal_code: "12345678901".into(),
            entity_full_name: "ACME".into(),
            iuv: "01000000000000144".into(),
            nav: None,
            amount: 0,
            description: "d".into(),
            expiration_date: "2025-12-31T23:59:59Z".into(),
            iban: None,
            postal_iban: Some("IT60X0542811101000000123456".into()),
            switch_to_expired: true,
            pay_stand_in: false,
        };
        let response =
            DebtPositionResponse::from_request(&request, Some("Comune".into()), "INVALID");
        assert_eq!(response.nav, "301000000000000144");
        let json = serde_json::to_value(&response).unwrap_or_default();
        assert_eq!(json["companyName"], "Comune");
        assert_eq!(json["postalIban"], "IT60X0542811101000000123456");
        assert_eq!(json["switchToExpired"], true);
        assert_eq!(json["status"], "INVALID");
        assert!(json.get("iban").is_none() && json.get("payStandIn").is_none());
        let back: Result<DebtPositionResponse, _> = serde_json::from_value(json);
        assert_eq!(back.ok(), Some(response));
    }
}
