//! The mock ACA over real sockets: every error path with its status and ProblemJson, the
//! happy paths, IBAN resolution, concurrent upserts of one key, and injected faults.

use collaudo_nodo::aca::{
    ACA_PATH, AcaConfig, AcaFault, AcaHandle, HistoryAction, IbanSource, PositionStatus, start,
};
use collaudo_nodo::{BackOffice, EcInfo, VirtualClock, VirtualTime};
use collaudo_wire::aca::{ConflictOp, DebtPositionResponse, ProblemJson};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;

type TestResult = Result<(), Box<dyn std::error::Error>>;

const KEY: &str = "primary-key";
const EC: &str = "77777777777";
/// Enabled, with IBANs but no default Stand-In IBAN.
const EC_NO_DEFAULT: &str = "88888888888";
/// Enabled, without any IBAN.
const EC_NO_IBAN: &str = "66666666666";
const DISABLED_EC: &str = "99999999999";
const IUV: &str = "01000000000000144";
const DEFAULT_IBAN: &str = "IT60X0542811101000000000003";
const OLD_IBAN: &str = "IT60X0542811101000000000001";
const LATEST_IBAN: &str = "IT60X0542811101000000000002";
const SENT_IBAN: &str = "IT60X0542811101000000123456";

fn config() -> AcaConfig {
    let clock = VirtualClock::new(VirtualTime::from_millis(1_795_600_800_000));
    let mut backoffice = BackOffice::default()
        .with_ec(EC, Some("Comune di Prova"))
        .with_ec(EC_NO_DEFAULT, Some("Comune Due"))
        .with_ec(EC_NO_IBAN, None)
        .with_iban(EC, OLD_IBAN, false)
        .with_iban(EC, DEFAULT_IBAN, false)
        .with_iban(EC_NO_DEFAULT, OLD_IBAN, false)
        .with_iban(EC_NO_DEFAULT, LATEST_IBAN, true);
    backoffice.ecs.insert(
        DISABLED_EC.into(),
        EcInfo {
            enabled: false,
            company_name: Some("Chiuso".into()),
        },
    );
    let mut config = AcaConfig::new(Arc::new(clock))
        .with_key(KEY)
        .with_key("secondary-key")
        .with_standin_iban(EC, DEFAULT_IBAN);
    config.backoffice = backoffice;
    config
}

async fn aca() -> Result<AcaHandle, Box<dyn std::error::Error>> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    Ok(start(config(), listener).await?)
}

fn client() -> Result<reqwest::Client, reqwest::Error> {
    // reqwest has no crypto provider of its own in this workspace.
    collaudo_nodo::tls::install_default_provider();
    reqwest::Client::builder().no_proxy().build()
}

fn position(pa: &str, iuv: &str, amount: i64) -> Value {
    json!({
        "paFiscalCode": pa,
        "entityType": "F",
        "entityFiscalCode": "RSSMRA80A01H501U",
        "entityFullName": "Mario Rossi",
        "iuv": iuv,
        "amount": amount,
        "description": "TARI 2025",
        "expirationDate": "2030-12-31T23:59:59+01:00",
    })
}

/// Status, content type and body of one call.
struct Answer {
    status: u16,
    content_type: String,
    body: String,
}

impl Answer {
    fn problem(&self) -> ProblemJson {
        match serde_json::from_str::<ProblemJson>(&self.body) {
            Ok(problem) => {
                assert_eq!(problem.status, self.status, "{}", self.body);
                assert!(!problem.title.is_empty() && !problem.detail.is_empty());
                assert_eq!(self.content_type, "application/json");
                problem
            }
            Err(e) => panic!("not a ProblemJson ({e}): {}", self.body),
        }
    }

    fn position(&self) -> DebtPositionResponse {
        assert_eq!(self.status, 200, "{}", self.body);
        match serde_json::from_str(&self.body) {
            Ok(position) => position,
            Err(e) => panic!("not a DebtPositionResponse ({e}): {}", self.body),
        }
    }
}

async fn send(
    client: &reqwest::Client,
    request: reqwest::RequestBuilder,
) -> Result<Answer, reqwest::Error> {
    let _ = client;
    let response = request.send().await?;
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let body = response.text().await?;
    Ok(Answer {
        status,
        content_type,
        body,
    })
}

/// POST `body` with the key in the header.
async fn post(aca: &AcaHandle, body: &Value) -> Result<Answer, reqwest::Error> {
    post_raw(aca, body.to_string().into_bytes(), "").await
}

async fn post_raw(aca: &AcaHandle, body: Vec<u8>, query: &str) -> Result<Answer, reqwest::Error> {
    let client = client()?;
    let request = client
        .post(format!("{}{query}", aca.endpoint()))
        .header("Ocp-Apim-Subscription-Key", KEY)
        .header("Content-Type", "application/json")
        .body(body);
    send(&client, request).await
}

#[tokio::test]
async fn missing_key_is_401() -> TestResult {
    let aca = aca().await?;
    let client = client()?;
    let request = client
        .post(aca.endpoint())
        .body(position(EC, IUV, 100).to_string());
    let answer = send(&client, request).await?;
    assert_eq!(answer.status, 401);
    assert_eq!(answer.problem().title, "Unauthorized");
    assert!(aca.store().is_empty());
    Ok(())
}

#[tokio::test]
async fn wrong_key_is_401_in_header_and_query() -> TestResult {
    let aca = aca().await?;
    let client = client()?;
    let body = position(EC, IUV, 100).to_string();
    let header = client
        .post(aca.endpoint())
        .header("Ocp-Apim-Subscription-Key", "not-a-key")
        .body(body.clone());
    assert_eq!(send(&client, header).await?.problem().status, 401);
    let query = client
        .post(format!("{}?subscription-key=not-a-key", aca.endpoint()))
        .body(body);
    assert_eq!(send(&client, query).await?.problem().status, 401);
    assert!(aca.store().is_empty());
    Ok(())
}

#[tokio::test]
async fn key_as_query_parameter_is_accepted() -> TestResult {
    let aca = aca().await?;
    let client = client()?;
    let request = client
        .post(format!("{}?subscription-key=secondary-key", aca.endpoint()))
        .body(position(EC, IUV, 100).to_string());
    let answer = send(&client, request).await?;
    assert_eq!(answer.position().status, "VALID");
    let calls = aca.store().calls();
    assert_eq!(
        calls[0].query.as_deref(),
        Some("subscription-key=<redacted>")
    );
    Ok(())
}

#[tokio::test]
async fn segregation_code_not_authorised_is_403() -> TestResult {
    let aca = aca().await?;
    let body = position(EC, IUV, 100).to_string().into_bytes();
    let answer = post_raw(&aca, body.clone(), "?segregationCodes=02,47").await?;
    assert_eq!(answer.status, 403);
    assert!(answer.problem().detail.contains(IUV));
    assert!(aca.store().is_empty());
    let answer = post_raw(&aca, body, "?segregationCodes=02,01").await?;
    assert_eq!(answer.status, 200);
    Ok(())
}

#[tokio::test]
async fn each_field_violation_is_400_naming_the_field() -> TestResult {
    let aca = aca().await?;
    // (field, new value or None to remove it)
    let cases: Vec<(&str, Option<Value>)> = vec![
        ("/paFiscalCode", Some(json!("7777777777"))),
        ("/paFiscalCode", Some(Value::Null)),
        ("/entityType", Some(json!("X"))),
        ("/entityFiscalCode", Some(json!("A"))),
        ("/entityFullName", Some(json!(""))),
        ("/iuv", Some(json!(""))),
        ("/iuv", None),
        ("/nav", Some(json!(""))),
        ("/amount", Some(json!(-1))),
        ("/amount", Some(json!(100_000_000_000_i64))),
        ("/amount", Some(json!("100"))),
        ("/amount", Some(json!(1.5))),
        ("/description", Some(json!("x".repeat(256)))),
        ("/expirationDate", Some(json!("2030-12-31"))),
        ("/iban", Some(json!("IT60X054281110100000012345"))),
        ("/postalIban", Some(json!(format!("{SENT_IBAN}7")))),
        ("/switchToExpired", Some(json!("yes"))),
        ("/payStandIn", Some(json!(1))),
    ];
    for (field, value) in &cases {
        let mut body = position(EC, IUV, 100);
        let key = field.trim_start_matches('/');
        match (body.as_object_mut(), value) {
            (Some(object), Some(value)) => {
                object.insert(key.to_string(), value.clone());
            }
            (Some(object), None) => {
                object.remove(key);
            }
            (None, _) => panic!("position is an object"),
        }
        let answer = post(&aca, &body).await?;
        assert_eq!(answer.status, 400, "{field}: {}", answer.body);
        let problem = answer.problem();
        assert!(
            problem.detail.starts_with("Formally invalid input: ")
                && problem.detail.contains(field),
            "{field}: {}",
            problem.detail
        );
    }
    // Several violations at once are all named.
    let mut body = position(EC, IUV, -5);
    body["iban"] = json!("IT00");
    let detail = post(&aca, &body).await?.problem().detail;
    assert!(
        detail.contains("/amount") && detail.contains("/iban"),
        "{detail}"
    );
    assert!(aca.store().is_empty());
    assert_eq!(aca.store().call_count(), cases.len() as u64 + 1);
    Ok(())
}

#[tokio::test]
async fn malformed_json_is_400() -> TestResult {
    let aca = aca().await?;
    for body in [
        "{",
        "",
        "[]",
        "not json",
        "{\"paFiscalCode\":\"77777777777\",}",
    ] {
        let answer = post_raw(&aca, body.as_bytes().to_vec(), "").await?;
        assert_eq!(answer.status, 400, "{body:?}");
        assert!(
            answer
                .problem()
                .detail
                .starts_with("Formally invalid input")
        );
    }
    let answer = post_raw(&aca, b"{\"iuv\":\"\xff\"}".to_vec(), "").await?;
    assert_eq!(answer.problem().status, 400);
    Ok(())
}

#[tokio::test]
async fn unknown_or_disabled_ec_is_404() -> TestResult {
    let aca = aca().await?;
    for ec in ["12345678901", DISABLED_EC] {
        let answer = post(&aca, &position(ec, IUV, 100)).await?;
        assert_eq!(answer.status, 404, "{ec}");
        assert_eq!(
            answer.problem().detail,
            format!(
                "No debt position found with Creditor institution code {ec} and ACA_{ec}_{IUV}"
            )
        );
    }
    assert!(aca.store().is_empty());
    Ok(())
}

#[tokio::test]
async fn cancelling_an_unknown_position_is_422() -> TestResult {
    let aca = aca().await?;
    let answer = post(&aca, &position(EC, IUV, 0)).await?;
    assert_eq!(answer.status, 422);
    assert_eq!(answer.problem().title, "Unprocessable request");
    assert!(aca.store().is_empty());
    Ok(())
}

#[tokio::test]
async fn any_change_to_a_cancelled_position_is_409() -> TestResult {
    let aca = aca().await?;
    assert_eq!(post(&aca, &position(EC, IUV, 100)).await?.status, 200);
    assert_eq!(post(&aca, &position(EC, IUV, 0)).await?.status, 200);
    for amount in [100, 0] {
        let answer = post(&aca, &position(EC, IUV, amount)).await?;
        assert_eq!(answer.status, 409);
        let problem = answer.problem();
        assert_eq!(problem.title, "Unauthorized action");
        assert_eq!(
            problem.detail,
            format!("Unauthorized action on debt position with iuv {IUV}")
        );
    }
    let position = aca.store().get(EC, IUV);
    assert_eq!(
        position.map(|p| (p.status, p.history.len())),
        Some((PositionStatus::Invalid, 2))
    );
    Ok(())
}

#[tokio::test]
async fn any_change_to_a_paid_position_is_409() -> TestResult {
    let aca = aca().await?;
    assert_eq!(post(&aca, &position(EC, IUV, 100)).await?.status, 200);
    aca.store().mark_paid(EC, IUV)?;
    for amount in [150, 0] {
        let answer = post(&aca, &position(EC, IUV, amount)).await?;
        assert_eq!(answer.status, 409);
        assert_eq!(answer.problem().title, "Unauthorized action");
    }
    assert_eq!(
        aca.store().get(EC, IUV).map(|p| p.status),
        Some(PositionStatus::Paid)
    );
    Ok(())
}

#[tokio::test]
async fn huge_body_is_413() -> TestResult {
    let aca = aca().await?;
    let mut body = position(EC, IUV, 100);
    body["description"] = json!("x".repeat(2 * 1024 * 1024));
    let answer = post(&aca, &body).await?;
    assert_eq!(answer.status, 413);
    assert_eq!(
        answer.problem().detail,
        "Request body larger than 1048576 bytes"
    );
    let calls = aca.store().calls();
    assert!(calls[0].body_truncated && calls[0].body.len() == 64 * 1024);
    assert!(calls[0].body_len > 2 * 1024 * 1024);
    assert!(aca.store().is_empty());
    // The server is still fine.
    assert_eq!(post(&aca, &position(EC, IUV, 100)).await?.status, 200);
    Ok(())
}

#[tokio::test]
async fn unknown_route_is_404_and_wrong_method_405() -> TestResult {
    let aca = aca().await?;
    let client = client()?;
    let request = client
        .post(format!("{}/aca/v2/paCreatePosition", aca.url))
        .header("Ocp-Apim-Subscription-Key", KEY)
        .body(position(EC, IUV, 100).to_string());
    let answer = send(&client, request).await?;
    assert_eq!(answer.status, 404);
    assert_eq!(
        answer.problem().detail,
        "No route for POST /aca/v2/paCreatePosition"
    );
    for method in [
        reqwest::Method::GET,
        reqwest::Method::PUT,
        reqwest::Method::DELETE,
    ] {
        let request = client
            .request(method.clone(), aca.endpoint())
            .header("Ocp-Apim-Subscription-Key", KEY);
        let response = request.send().await?;
        assert_eq!(response.status().as_u16(), 405, "{method}");
        assert_eq!(
            response
                .headers()
                .get("allow")
                .and_then(|v| v.to_str().ok()),
            Some("POST")
        );
        let problem: ProblemJson = serde_json::from_str(&response.text().await?)?;
        assert_eq!(problem.status, 405);
    }
    assert_eq!(aca.store().call_count(), 4);
    Ok(())
}

#[tokio::test]
async fn create_answers_the_stored_position() -> TestResult {
    let aca = aca().await?;
    let mut body = position(EC, IUV, 12_345);
    body["switchToExpired"] = json!(true);
    body["payStandIn"] = json!(false);
    let response = post(&aca, &body).await?.position();
    assert_eq!(response.pa_fiscal_code, EC);
    assert_eq!(response.company_name.as_deref(), Some("Comune di Prova"));
    assert_eq!(response.iuv, IUV);
    assert_eq!(response.nav, format!("3{IUV}"));
    assert_eq!(response.amount, 12_345);
    assert_eq!(response.expiration_date, "2030-12-31T23:59:59+01:00");
    assert!(response.switch_to_expired);
    assert_eq!(response.status, "VALID");

    let Some(stored) = aca.store().get(EC, IUV) else {
        panic!("not stored");
    };
    assert_eq!(stored.iupd, format!("ACA_{EC}_{IUV}"));
    assert!(!stored.request.pay_stand_in && !stored.payable_in_stand_in());
    assert_eq!(stored.history[0].action, HistoryAction::Created);
    assert_eq!(stored.history[0].at.to_string(), "2026-11-25T10:00:00.000Z");
    assert_eq!(
        aca.store().get_by_nav(&format!("3{IUV}")).map(|p| p.iupd),
        Some(stored.iupd.clone())
    );
    assert_eq!(
        aca.store().calls()[0].iupd.as_deref(),
        Some(stored.iupd.as_str())
    );
    Ok(())
}

#[tokio::test]
async fn upsert_updates_the_one_position_and_cancel_invalidates_it() -> TestResult {
    let aca = aca().await?;
    assert_eq!(post(&aca, &position(EC, IUV, 100)).await?.status, 200);
    let mut changed = position(EC, IUV, 250);
    changed["expirationDate"] = json!("2031-06-30T00:00:00Z");
    changed["nav"] = json!("399000000000000001");
    let updated = post(&aca, &changed).await?.position();
    assert_eq!((updated.amount, updated.status.as_str()), (250, "VALID"));
    assert_eq!(updated.nav, "399000000000000001");
    assert_eq!(aca.store().len(), 1);
    let Some(stored) = aca.store().get(EC, IUV) else {
        panic!("not stored");
    };
    let actions: Vec<_> = stored
        .history
        .iter()
        .map(|h| (h.action, h.amount_cents))
        .collect();
    assert_eq!(
        actions,
        vec![(HistoryAction::Created, 100), (HistoryAction::Updated, 250)]
    );
    assert_eq!(stored.request.expiration_date, "2031-06-30T00:00:00Z");
    assert!(aca.store().get_by_nav(&format!("3{IUV}")).is_none());
    assert!(
        aca.store()
            .get_by_notice(EC, "399000000000000001")
            .is_some()
    );

    let cancelled = post(&aca, &position(EC, IUV, 0)).await?.position();
    assert_eq!(cancelled.status, "INVALID");
    let stored = aca.store().get(EC, IUV);
    assert_eq!(
        stored.map(|p| (p.status, p.history.len(), p.amount_cents())),
        Some((PositionStatus::Invalid, 3, 250))
    );
    let actions: Vec<_> = aca.store().calls().into_iter().map(|c| c.action).collect();
    assert_eq!(
        actions,
        vec![
            Some(HistoryAction::Created),
            Some(HistoryAction::Updated),
            Some(HistoryAction::Cancelled)
        ]
    );
    Ok(())
}

#[tokio::test]
async fn expired_position_can_be_updated_again() -> TestResult {
    let aca = aca().await?;
    assert_eq!(post(&aca, &position(EC, IUV, 100)).await?.status, 200);
    aca.store().expire(EC, IUV)?;
    let answer = post(&aca, &position(EC, IUV, 120)).await?.position();
    assert_eq!(answer.status, "VALID");
    aca.store().expire(EC, IUV)?;
    let answer = post(&aca, &position(EC, IUV, 0)).await?.position();
    assert_eq!(answer.status, "INVALID");
    Ok(())
}

#[tokio::test]
async fn iban_resolution_in_every_case() -> TestResult {
    let aca = aca().await?;
    // Sent by the EC: kept as sent.
    let mut sent = position(EC, "01", 100);
    sent["iban"] = json!(SENT_IBAN);
    let response = post(&aca, &sent).await?.position();
    assert_eq!(response.iban.as_deref(), Some(SENT_IBAN));
    // Not sent: the EC's default Stand-In IBAN.
    let response = post(&aca, &position(EC, "02", 100)).await?.position();
    assert_eq!(response.iban.as_deref(), Some(DEFAULT_IBAN));
    // No default: the most recently registered IBAN (postal here).
    let response = post(&aca, &position(EC_NO_DEFAULT, "03", 100))
        .await?
        .position();
    assert_eq!(
        (response.iban.as_deref(), response.postal_iban.as_deref()),
        (None, Some(LATEST_IBAN))
    );
    // Nothing registered: accepted, no IBAN.
    let response = post(&aca, &position(EC_NO_IBAN, "04", 100))
        .await?
        .position();
    assert_eq!(
        (response.iban, response.postal_iban, response.company_name),
        (None, None, None)
    );

    let store = aca.store();
    let sources: Vec<_> = [
        (EC, "01"),
        (EC, "02"),
        (EC_NO_DEFAULT, "03"),
        (EC_NO_IBAN, "04"),
    ]
    .iter()
    .filter_map(|(ec, iuv)| store.get(ec, iuv))
    .map(|p| (p.iban.source, p.iban.iban, p.iban.postal))
    .collect();
    assert_eq!(
        sources,
        vec![
            (IbanSource::Request, Some(SENT_IBAN.to_string()), false),
            (
                IbanSource::StandInDefault,
                Some(DEFAULT_IBAN.to_string()),
                false
            ),
            (
                IbanSource::BackOfficeLatest,
                Some(LATEST_IBAN.to_string()),
                true
            ),
            (IbanSource::Unresolved, None, false),
        ]
    );
    // An update without IBAN after one with: ACA resolves again from the back office.
    let response = post(&aca, &position(EC, "01", 150)).await?.position();
    assert_eq!(response.iban.as_deref(), Some(DEFAULT_IBAN));
    Ok(())
}

#[tokio::test]
async fn concurrent_upserts_of_one_key_are_serialised() -> TestResult {
    const CALLS: i64 = 200;
    let aca = aca().await?;
    let endpoint = aca.endpoint();
    let client = client()?;
    let mut tasks = Vec::new();
    for amount in 1..=CALLS {
        let client = client.clone();
        let endpoint = endpoint.clone();
        tasks.push(tokio::spawn(async move {
            let response = client
                .post(endpoint)
                .header("Ocp-Apim-Subscription-Key", KEY)
                .body(position(EC, IUV, amount).to_string())
                .send()
                .await?;
            Ok::<u16, reqwest::Error>(response.status().as_u16())
        }));
    }
    for task in tasks {
        assert_eq!(task.await??, 200);
    }
    let store = aca.store();
    assert_eq!(store.len(), 1);
    let Some(stored) = store.get(EC, IUV) else {
        panic!("not stored");
    };
    assert_eq!(stored.history.len(), CALLS as usize);
    assert_eq!(stored.history[0].action, HistoryAction::Created);
    assert!(
        stored.history[1..]
            .iter()
            .all(|h| h.action == HistoryAction::Updated)
    );
    let last = stored.history.last().map(|h| h.amount_cents);
    assert_eq!(
        Some(stored.amount_cents()),
        last,
        "final amount = last applied"
    );
    let mut amounts: Vec<i64> = stored.history.iter().map(|h| h.amount_cents).collect();
    amounts.sort_unstable();
    assert_eq!(amounts, (1..=CALLS).collect::<Vec<_>>());
    let calls = store.calls();
    assert_eq!(calls.len(), CALLS as usize);
    let created = calls
        .iter()
        .filter(|c| c.action == Some(HistoryAction::Created))
        .count();
    assert_eq!(created, 1);
    Ok(())
}

#[tokio::test]
async fn shutdown_stops_the_server() -> TestResult {
    let aca = aca().await?;
    let endpoint = aca.endpoint();
    assert!(aca.url.starts_with("http://127.0.0.1:"));
    assert_eq!(endpoint, format!("{}{ACA_PATH}", aca.url));
    let store = aca.store().clone();
    tokio::time::timeout(Duration::from_secs(15), aca.shutdown()).await??;
    let refused = client()?.post(endpoint).body("{}").send().await;
    assert!(refused.is_err());
    assert_eq!(store.call_count(), 0);
    Ok(())
}

#[tokio::test]
async fn injected_502_twice_then_the_call_is_applied() -> TestResult {
    let aca = aca().await?;
    aca.inject(502, 2);
    assert_eq!(aca.pending_faults(), 2);
    assert_eq!(
        aca.faults(),
        vec![AcaFault {
            status: 502,
            remaining: 2
        }]
    );
    for left in [1, 0] {
        let answer = post(&aca, &position(EC, IUV, 100)).await?;
        assert_eq!(answer.status, 502);
        assert_eq!(answer.problem(), ProblemJson::bad_gateway());
        assert!(aca.store().is_empty(), "an injected answer stores nothing");
        assert_eq!(aca.pending_faults(), left);
    }
    let answer = post(&aca, &position(EC, IUV, 100)).await?.position();
    assert_eq!(answer.status, "VALID");
    let Some(stored) = aca.store().get(EC, IUV) else {
        panic!("not stored");
    };
    let history: Vec<_> = stored.history.iter().map(|h| h.action).collect();
    assert_eq!(history, vec![HistoryAction::Created]);
    assert!(aca.faults().is_empty());
    Ok(())
}

#[tokio::test]
async fn injected_401_409_422_and_5xx_have_their_problem_json() -> TestResult {
    let aca = aca().await?;
    let cases = [
        (401, ProblemJson::unauthorized()),
        (409, ProblemJson::conflict(ConflictOp::Create)),
        (422, ProblemJson::unprocessable()),
        (500, ProblemJson::internal_error()),
    ];
    for (status, expected) in &cases {
        aca.inject(*status, 1);
        let answer = post(&aca, &position(EC, IUV, 100)).await?;
        assert_eq!(answer.status, *status);
        assert_eq!(&answer.problem(), expected);
        assert!(aca.store().is_empty());
        assert_eq!(aca.pending_faults(), 0);
    }
    aca.inject(503, 1);
    let answer = post(&aca, &position(EC, IUV, 100)).await?;
    let problem = answer.problem();
    assert_eq!(
        (problem.status, problem.title.as_str()),
        (503, "Service unavailable")
    );

    // A 409 names the operation GPD would have refused.
    assert_eq!(post(&aca, &position(EC, IUV, 100)).await?.status, 200);
    aca.inject(409, 2);
    let update = post(&aca, &position(EC, IUV, 200)).await?.problem();
    assert_eq!(update, ProblemJson::conflict(ConflictOp::Update));
    let cancel = post(&aca, &position(EC, IUV, 0)).await?.problem();
    assert_eq!(cancel, ProblemJson::conflict(ConflictOp::Invalidate));
    let stored = aca.store().get(EC, IUV);
    assert_eq!(
        stored.map(|p| (p.status, p.amount_cents(), p.history.len())),
        Some((PositionStatus::Valid, 100, 1)),
        "injected updates and cancellations change nothing"
    );
    Ok(())
}

#[tokio::test]
async fn faults_queue_in_order_and_clear_faults_drops_them() -> TestResult {
    let aca = aca().await?;
    aca.inject(401, 1);
    aca.inject(422, 2);
    aca.inject(500, 0);
    assert_eq!(aca.pending_faults(), 3);
    assert_eq!(post(&aca, &position(EC, IUV, 100)).await?.status, 401);
    assert_eq!(post(&aca, &position(EC, IUV, 100)).await?.status, 422);
    assert_eq!(aca.pending_faults(), 1);
    aca.clear_faults();
    assert_eq!(aca.pending_faults(), 0);
    assert!(aca.faults().is_empty());
    assert_eq!(post(&aca, &position(EC, IUV, 100)).await?.status, 200);
    // Through the state too.
    aca.state().inject(503, 3);
    assert_eq!(aca.state().pending_faults(), 3);
    aca.state().clear_faults();
    assert_eq!(post(&aca, &position(EC, IUV, 150)).await?.status, 200);
    assert_eq!(aca.store().get(EC, IUV).map(|p| p.history.len()), Some(2));
    Ok(())
}

#[tokio::test]
async fn the_call_log_marks_injected_answers() -> TestResult {
    let aca = aca().await?;
    aca.inject(502, 1);
    assert_eq!(post(&aca, &position(EC, IUV, 100)).await?.status, 502);
    assert_eq!(post(&aca, &position(EC, IUV, 100)).await?.status, 200);
    // A real refusal is not an injected one.
    assert_eq!(post(&aca, &position(EC, "02", 0)).await?.status, 422);
    let logged: Vec<_> = aca
        .store()
        .calls()
        .into_iter()
        .map(|c| (c.status, c.injected, c.action, c.iupd))
        .collect();
    let key = format!("ACA_{EC}_{IUV}");
    assert_eq!(
        logged,
        vec![
            (502, true, None, Some(key.clone())),
            (200, false, Some(HistoryAction::Created), Some(key)),
            (422, false, None, Some(format!("ACA_{EC}_02"))),
        ]
    );
    let calls = aca.store().calls();
    assert!(calls[0].response.contains("\"status\":502"));
    assert_eq!(calls[0].body, position(EC, IUV, 100).to_string());
    Ok(())
}

#[tokio::test]
async fn concurrent_calls_consume_each_fault_once() -> TestResult {
    const CALLS: usize = 50;
    const FAULTS: u32 = 20;
    let aca = aca().await?;
    aca.inject(503, FAULTS);
    let client = client()?;
    let mut tasks = Vec::new();
    for i in 0..CALLS {
        let request = client
            .post(aca.endpoint())
            .header("Ocp-Apim-Subscription-Key", KEY)
            .body(position(EC, &format!("{i:02}"), 100).to_string());
        tasks.push(tokio::spawn(async move {
            Ok::<u16, reqwest::Error>(request.send().await?.status().as_u16())
        }));
    }
    let mut statuses = Vec::new();
    for task in tasks {
        statuses.push(task.await??);
    }
    let refused = statuses.iter().filter(|&&s| s == 503).count();
    let accepted = statuses.iter().filter(|&&s| s == 200).count();
    assert_eq!(
        (refused, accepted),
        (FAULTS as usize, CALLS - FAULTS as usize)
    );
    assert_eq!(aca.store().len(), CALLS - FAULTS as usize);
    let injected = aca.store().calls().iter().filter(|c| c.injected).count();
    assert_eq!(injected, FAULTS as usize);
    assert_eq!(aca.pending_faults(), 0);
    Ok(())
}

/// 2 000 connections held open and silent do not lock the EC's back end out (issue 9, item 5):
/// at the connection cap the oldest idle ones are closed to make room.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_thousand_idle_connections_do_not_lock_out_the_ec() -> TestResult {
    let aca = aca().await?;
    let mut held = Vec::with_capacity(2000);
    for _ in 0..2000 {
        held.push(tokio::net::TcpStream::connect(aca.addr).await?);
    }
    let answer = post(&aca, &position(EC, "01000000000000016", 3000)).await?;
    assert_eq!(answer.status, 200, "{}", answer.body);
    drop(held);
    Ok(())
}
