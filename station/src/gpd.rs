//! The back office of an EC on the *asynchronous* integration (DOMAIN.md §9): instead of
//! answering the Nodo's verify and activate, the EC keeps its debt positions in pagoPA's GPD
//! REST service, and GPD-Payments answers the Nodo for it. This module is the EC's GPD client
//! (`gpd.json`, v1): create (with or without `toPublish`), publish, update, delete and
//! invalidate a position, with the subscription key in `Ocp-Apim-Subscription-Key` and the
//! EC's fiscal code in the path.
//!
//! The pure part ([`position_body`]) builds what a conforming EC sends: one payment option
//! whose single transfer pays the whole amount to the EC's registered IBAN, so Σ transfers =
//! amount; a due date far in the future; no `validityDate`, so a published position is VALID
//! at once. The calls answer the HTTP status and body: a refusal is not an error of the
//! client, it is what GPD said, and the caller (an EC back-office action) reports it.

use crate::config::GpdTarget;
use crate::positions::BackOffice;
use std::time::Duration;

/// Header carrying the subscription key (APIM's `apiKeyHeader` scheme).
pub const KEY_HEADER: &str = "Ocp-Apim-Subscription-Key";

/// How long one GPD call may take.
const CALL_TIMEOUT: Duration = Duration::from_secs(5);

/// How long to wait for the TCP connection.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);

/// The due date every position gets: far enough that no scenario clock passes it.
pub const DUE_DATE: &str = "2099-12-31T23:59:59";

/// The taxonomy code of the transfers (a municipal tax, as in GPD's own examples).
pub const CATEGORY: &str = "9/0101108TS/";

/// The debtor of every position the station creates in GPD.
const DEBTOR_FISCAL_CODE: &str = "RSSMRA80A01H501U";
const DEBTOR_NAME: &str = "Mario Rossi";

/// What identifies one debt position and what it asks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GpdPosition {
    /// The position's unique id at the EC (`iupd`).
    pub iupd: String,
    /// The IUV of its single payment option (17 digits; the notice number is `3` + IUV).
    pub iuv: String,
    /// The amount, in cents (≥ 1).
    pub amount_cents: i64,
}

/// What GPD answered one call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GpdAnswer {
    /// `createPosition`, `publishPosition`…: the contract's operation id.
    pub operation: &'static str,
    /// The HTTP status.
    pub status: u16,
    /// The body, as text.
    pub body: String,
}

impl GpdAnswer {
    /// Whether GPD accepted the call (2xx).
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// The v1 `PaymentPositionModel` a conforming EC sends for `position`: one option, one
/// transfer of the whole amount to the EC's first bank IBAN registered in `backoffice`.
pub fn position_body(
    position: &GpdPosition,
    ec: &str,
    company_name: &str,
    backoffice: &BackOffice,
) -> serde_json::Value {
    let iban = backoffice.bank_iban(ec, 0).unwrap_or_default();
    serde_json::json!({
        "iupd": position.iupd,
        "type": "F",
        "fiscalCode": DEBTOR_FISCAL_CODE,
        "fullName": DEBTOR_NAME,
        "companyName": company_name,
        "switchToExpired": false,
        "paymentOption": [{
            "iuv": position.iuv,
            "amount": position.amount_cents,
            "description": format!("Posizione {}", position.iupd),
            "isPartialPayment": false,
            "dueDate": DUE_DATE,
            "transfer": [{
                "idTransfer": "1",
                "amount": position.amount_cents,
                "organizationFiscalCode": ec,
                "remittanceInformation": format!("Posizione {}", position.iupd),
                "category": CATEGORY,
                "iban": iban,
            }],
        }],
    })
}

/// The EC's GPD client.
#[derive(Debug)]
pub struct GpdClient {
    http: reqwest::Client,
    target: GpdTarget,
}

impl GpdClient {
    /// A client toward `target`.
    ///
    /// # Errors
    /// The message when the HTTP client cannot be built.
    pub fn new(target: &GpdTarget) -> Result<GpdClient, String> {
        // As for the ACA client (see aca.rs): reqwest needs a process-wide TLS provider.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let mut builder = reqwest::Client::builder()
            .timeout(CALL_TIMEOUT)
            .connect_timeout(CONNECT_TIMEOUT);
        if target.url.starts_with("http://") {
            builder = builder.tls_backend_preconfigured(crate::aca::plain_http_tls().clone());
        }
        let http = builder
            .build()
            .map_err(|e| format!("cannot build the GPD client: {e}"))?;
        Ok(GpdClient {
            http,
            target: target.clone(),
        })
    }

    /// The target.
    pub fn target(&self) -> &GpdTarget {
        &self.target
    }

    fn positions_url(&self, ec: &str) -> String {
        format!(
            "{}/organizations/{ec}/debtpositions",
            self.target.url.trim_end_matches('/')
        )
    }

    /// `createPosition`, published at once with `publish` (`toPublish=true`).
    ///
    /// # Errors
    /// When GPD could not be reached.
    pub async fn create(
        &self,
        ec: &str,
        body: &serde_json::Value,
        publish: bool,
    ) -> Result<GpdAnswer, String> {
        let url = format!("{}?toPublish={publish}", self.positions_url(ec));
        self.call(
            "createPosition",
            self.http
                .post(url)
                .header("content-type", "application/json")
                .body(body.to_string()),
        )
        .await
    }

    /// `updatePosition` (`toPublish` as given).
    ///
    /// # Errors
    /// When GPD could not be reached.
    pub async fn update(
        &self,
        ec: &str,
        iupd: &str,
        body: &serde_json::Value,
        publish: bool,
    ) -> Result<GpdAnswer, String> {
        let url = format!("{}/{iupd}?toPublish={publish}", self.positions_url(ec));
        self.call(
            "updatePosition",
            self.http
                .put(url)
                .header("content-type", "application/json")
                .body(body.to_string()),
        )
        .await
    }

    /// `publishPosition`.
    ///
    /// # Errors
    /// When GPD could not be reached.
    pub async fn publish(&self, ec: &str, iupd: &str) -> Result<GpdAnswer, String> {
        let url = format!("{}/{iupd}/publish", self.positions_url(ec));
        self.call("publishPosition", self.http.post(url)).await
    }

    /// `invalidatePosition`.
    ///
    /// # Errors
    /// When GPD could not be reached.
    pub async fn invalidate(&self, ec: &str, iupd: &str) -> Result<GpdAnswer, String> {
        let url = format!("{}/{iupd}/invalidate", self.positions_url(ec));
        self.call("invalidatePosition", self.http.post(url)).await
    }

    /// `deletePosition`.
    ///
    /// # Errors
    /// When GPD could not be reached.
    pub async fn delete(&self, ec: &str, iupd: &str) -> Result<GpdAnswer, String> {
        let url = format!("{}/{iupd}", self.positions_url(ec));
        self.call("deletePosition", self.http.delete(url)).await
    }

    /// `getReceiptByIUV` of the receipts API: the pull of a paid notice's receipt.
    ///
    /// # Errors
    /// When GPD could not be reached.
    pub async fn receipt(&self, ec: &str, iuv: &str) -> Result<GpdAnswer, String> {
        let url = format!(
            "{}/payments/{ec}/receipts/{iuv}",
            self.target.receipts_url.trim_end_matches('/')
        );
        self.call("getReceiptByIUV", self.http.get(url)).await
    }

    async fn call(
        &self,
        operation: &'static str,
        request: reqwest::RequestBuilder,
    ) -> Result<GpdAnswer, String> {
        let response = request
            .header(KEY_HEADER, &self.target.subscription_key)
            .send()
            .await
            .map_err(|e| format!("{operation} not delivered to {}: {e}", self.target.url))?;
        let status = response.status().as_u16();
        let body = response.text().await.unwrap_or_default();
        Ok(GpdAnswer {
            operation,
            status,
            body,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn position() -> GpdPosition {
        GpdPosition {
            iupd: "IUPD-1".into(),
            iuv: "01000000000000001".into(),
            amount_cents: 12_345,
        }
    }

    #[test]
    fn the_body_pays_the_whole_amount_to_a_registered_iban() {
        let bo = BackOffice::for_primary("77777777777", "Comune di Collaudo");
        let b = position_body(&position(), "77777777777", "Comune di Collaudo", &bo);
        let option = &b["paymentOption"][0];
        assert_eq!(option["amount"], 12_345);
        assert_eq!(option["iuv"], "01000000000000001");
        let transfers = option["transfer"].as_array().cloned().unwrap_or_default();
        assert_eq!(transfers.len(), 1);
        let sum: i64 = transfers.iter().filter_map(|t| t["amount"].as_i64()).sum();
        assert_eq!(sum, 12_345, "Σ transfers = amount");
        let iban = transfers[0]["iban"].as_str().unwrap_or_default();
        assert!(bo.is_registered("77777777777", iban), "{iban}");
        assert!(
            b.get("validityDate").is_none(),
            "published means VALID at once"
        );
        assert_eq!(b["iupd"], "IUPD-1");
    }

    #[tokio::test]
    async fn an_unreachable_gpd_is_an_error_not_a_status() {
        let port = match std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()) {
            Ok(a) => a.port(),
            Err(e) => panic!("bind: {e}"),
        };
        let client = match GpdClient::new(&GpdTarget::new(
            format!("http://127.0.0.1:{port}/gpd/debt-positions-service/v1"),
            "k",
        )) {
            Ok(c) => c,
            Err(e) => panic!("{e}"),
        };
        let r = client.publish("77777777777", "IUPD-1").await;
        assert!(r.is_err_and(|e| e.contains("publishPosition")));
    }

    #[tokio::test]
    async fn the_back_office_drives_a_position_through_its_states_in_a_mock_gpd() {
        use collaudo_nodo::gpd::{GpdConfig, PositionStatus};
        use collaudo_nodo::{VirtualClock, VirtualTime};
        let clock = VirtualClock::new(VirtualTime::from_ymd(2026, 11, 25).unwrap_or_default());
        let mut config =
            GpdConfig::new(std::sync::Arc::new(clock)).with_scoped_key("k", ["77777777777"]);
        config.check_iban = false;
        let listener = match tokio::net::TcpListener::bind("127.0.0.1:0").await {
            Ok(l) => l,
            Err(e) => panic!("bind: {e}"),
        };
        let gpd = match collaudo_nodo::gpd::start(config, listener).await {
            Ok(g) => g,
            Err(e) => panic!("gpd: {e}"),
        };
        let target = GpdTarget::new(gpd.base_url(collaudo_nodo::gpd::Api::DebtPositionsV1), "k");
        let st = match crate::StationState::new(crate::StationConfig {
            gpd: Some(target),
            ..crate::StationConfig::default()
        }) {
            Ok(s) => s,
            Err(e) => panic!("{e}"),
        };
        let p = position();
        let status = |g: &collaudo_nodo::gpd::GpdHandle| {
            g.state().position("77777777777", "IUPD-1").map(|(_, s)| s)
        };
        let call = |op: &'static str, publish: bool| {
            let (st, p) = (&st, &p);
            async move {
                match st.gpd_call(op, p, publish).await {
                    Ok(a) => a.status,
                    Err(e) => panic!("{op}: {e}"),
                }
            }
        };
        assert_eq!(call("create", false).await, 201);
        assert_eq!(status(&gpd), Some(PositionStatus::Draft));
        assert_eq!(call("invalidate", false).await, 409, "not from DRAFT");
        assert_eq!(call("publish", false).await, 200);
        assert_eq!(status(&gpd), Some(PositionStatus::Valid));
        assert_eq!(call("update", true).await, 200);
        assert_eq!(status(&gpd), Some(PositionStatus::Valid));
        assert_eq!(call("invalidate", false).await, 200);
        assert_eq!(status(&gpd), Some(PositionStatus::Invalid));
        assert_eq!(
            call("update", false).await,
            409,
            "not updatable when INVALID"
        );
        assert_eq!(call("pull-receipt", false).await, 404, "nothing paid");
        assert_eq!(call("delete", false).await, 200);
        assert_eq!(status(&gpd), None);
        let _ = gpd.shutdown().await;
    }
}
