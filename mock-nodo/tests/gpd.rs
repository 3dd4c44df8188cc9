//! The mock GPD over real sockets (127.0.0.1:0, reqwest): every transition of DOMAIN.md §9.4
//! and every refused one, table-driven, the time-driven ones on the virtual clock; the error
//! paths with their ProblemJson; concurrent creates of one IUPD; the pull receipts API; v3;
//! bodies validated against the shared contracts' schemas; the contracts' examples replayed;
//! the mock's own OpenAPI document against its route table and the contracts.

use collaudo_nodo::gpd::{
    Api, GpdConfig, GpdHandle, OPENAPI_PATH, PositionStatus, PublishTiming, ROUTES, ReceiptData,
    Refusal, start,
};
use collaudo_nodo::{BackOffice, Clock, VirtualClock, VirtualTime};
use serde_json::{Value, json};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

type TestResult = Result<(), Box<dyn std::error::Error>>;

const KEY: &str = "broker-key";
const SCOPED_KEY: &str = "ec-key";
const EC: &str = "77777777777";
const OTHER_EC: &str = "88888888888";
const IBAN: &str = "IT60X0542811101000000123456";
const IBAN_2: &str = "IT60X0542811101000000654321";
const UNKNOWN_IBAN: &str = "IT60X0542811101000000999999";
const DAY: Duration = Duration::from_secs(86_400);

fn start_time() -> VirtualTime {
    VirtualTime::from_millis(1_795_600_800_000) // 2026-11-25T10:00:00Z
}

struct Mock {
    gpd: GpdHandle,
    clock: VirtualClock,
    client: reqwest::Client,
}

async fn mock_with(timing: PublishTiming) -> Result<Mock, Box<dyn std::error::Error>> {
    let clock = VirtualClock::new(start_time());
    let mut config = GpdConfig::new(Arc::new(clock.clone()))
        .with_key(KEY)
        .with_scoped_key(SCOPED_KEY, [EC])
        .with_backoffice(
            BackOffice::default()
                .with_ec(EC, Some("Comune di Prova"))
                .with_ec(OTHER_EC, Some("Comune Due"))
                .with_iban(EC, IBAN, false)
                .with_iban(EC, IBAN_2, false)
                .with_iban(OTHER_EC, IBAN, false),
        );
    config.publish_timing = timing;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let gpd = start(config, listener).await?;
    collaudo_nodo::tls::install_default_provider();
    let client = reqwest::Client::builder().no_proxy().build()?;
    Ok(Mock { gpd, clock, client })
}

async fn mock() -> Result<Mock, Box<dyn std::error::Error>> {
    mock_with(PublishTiming::Implementation).await
}

/// Status, content type, X-Request-Id and JSON body (Null when not JSON).
struct Answer {
    status: u16,
    content_type: String,
    request_id: Option<String>,
    text: String,
    json: Value,
}

impl Mock {
    fn url(&self, api: Api, path: &str) -> String {
        format!("{}{path}", self.gpd.base_url(api))
    }

    fn at(&self, days: i64) -> String {
        let now = self.clock.now().millis();
        VirtualTime::from_millis(now + days * 86_400_000).to_string()
    }

    async fn call(
        &self,
        method: &str,
        url: &str,
        key: Option<&str>,
        body: Option<Vec<u8>>,
    ) -> Result<Answer, Box<dyn std::error::Error>> {
        let method = reqwest::Method::from_bytes(method.as_bytes())?;
        let mut req = self.client.request(method, url);
        if let Some(key) = key {
            req = req.header("Ocp-Apim-Subscription-Key", key);
        }
        if let Some(body) = body {
            req = req.header("Content-Type", "application/json").body(body);
        }
        let resp = req.send().await?;
        let status = resp.status().as_u16();
        let header = |name: &str| {
            resp.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let content_type = header("content-type").unwrap_or_default();
        let request_id = header("x-request-id");
        let text = resp.text().await?;
        let json = serde_json::from_str(&text).unwrap_or(Value::Null);
        Ok(Answer {
            status,
            content_type,
            request_id,
            text,
            json,
        })
    }

    async fn v1(
        &self,
        method: &str,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Answer, Box<dyn std::error::Error>> {
        let body = body.map(serde_json::to_vec).transpose()?;
        self.call(
            method,
            &self.url(Api::DebtPositionsV1, path),
            Some(KEY),
            body,
        )
        .await
    }

    async fn v3(
        &self,
        method: &str,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Answer, Box<dyn std::error::Error>> {
        let body = body.map(serde_json::to_vec).transpose()?;
        self.call(
            method,
            &self.url(Api::DebtPositionsV3, path),
            Some(KEY),
            body,
        )
        .await
    }

    fn status_of(&self, iupd: &str) -> Option<PositionStatus> {
        self.gpd.state().position(EC, iupd).map(|(_, s)| s)
    }
}

fn positions(iupd: &str) -> String {
    let _ = iupd;
    format!("/organizations/{EC}/debtpositions")
}

fn position_path(iupd: &str) -> String {
    format!("/organizations/{EC}/debtpositions/{iupd}")
}

fn transfer(id: &str, amount: i64) -> Value {
    json!({
        "idTransfer": id,
        "amount": amount,
        "remittanceInformation": "TARI 2026",
        "category": "9/0101108TS/",
        "iban": IBAN,
    })
}

/// A v1 position: `options` single or partial options of 10 000 cents each, due in
/// `due_days`, with `validity_days` if any.
struct V1 {
    iupd: String,
    iuvs: Vec<String>,
    partial: bool,
    due: String,
    validity: Option<String>,
    switch: bool,
}

impl V1 {
    fn new(m: &Mock, iupd: &str, options: usize, partial: bool) -> Self {
        V1 {
            iupd: iupd.to_string(),
            iuvs: (0..options).map(|i| iuv_for(iupd, i)).collect(),
            partial,
            due: m.at(10),
            validity: None,
            switch: true,
        }
    }

    fn body(&self) -> Value {
        let options: Vec<Value> = self
            .iuvs
            .iter()
            .map(|iuv| {
                json!({
                    "iuv": iuv,
                    "amount": 10_000,
                    "description": "Tassa rifiuti",
                    "isPartialPayment": self.partial,
                    "dueDate": self.due,
                    "transfer": [transfer("1", 6_000), transfer("2", 4_000)],
                })
            })
            .collect();
        let mut body = json!({
            "iupd": self.iupd,
            "type": "F",
            "fiscalCode": "RSSMRA80A01H501U",
            "fullName": "Mario Rossi",
            "companyName": "Comune di Prova",
            "switchToExpired": self.switch,
            "paymentOption": options,
        });
        if let (Some(v), Some(obj)) = (&self.validity, body.as_object_mut()) {
            obj.insert("validityDate".into(), json!(v));
        }
        body
    }
}

/// A 17-digit IUV unique per IUPD and option.
fn iuv_for(iupd: &str, i: usize) -> String {
    let h = iupd
        .bytes()
        .fold(7u64, |h, b| h.wrapping_mul(31).wrapping_add(u64::from(b)));
    format!("{:02}{:013}{:02}", 1, h % 10_000_000_000_000, i)
}

fn assert_problem(a: &Answer, status: u16, needle: &str) {
    assert_eq!(a.status, status, "{}", a.text);
    assert!(
        a.content_type.starts_with("application/json"),
        "{}",
        a.content_type
    );
    assert_eq!(a.json["status"], json!(status), "{}", a.text);
    assert!(a.json["title"].is_string(), "{}", a.text);
    let detail = a.json["detail"].as_str().unwrap_or_default();
    assert!(detail.contains(needle), "{needle:?} not in {detail:?}");
}

// ------------------------------------------------------------------ transitions

/// One step of a transition scenario.
#[derive(Debug, Clone, Copy)]
enum Step {
    /// Create: partial installments (2) or one single option; toPublish; validity in days.
    Create {
        publish: bool,
        validity: Option<i64>,
        installments: bool,
        switch: bool,
    },
    Publish(u16),
    Invalidate(u16),
    /// PUT the same position (due dates moved 10 days ahead of now), toPublish, expected.
    Update(bool, u16),
    Delete(u16),
    Advance(i64),
    /// Pay option i through the Nodo API: Ok, or the PAA fault expected.
    Pay(usize, Option<&'static str>),
    Report(usize),
    /// The payable check's PAA fault for option 0.
    Refused(&'static str),
    Is(PositionStatus),
    Gone,
}

use PositionStatus::*;
use Step::*;

fn create(publish: bool) -> Step {
    Create {
        publish,
        validity: None,
        installments: false,
        switch: true,
    }
}

fn create_at(validity: i64) -> Step {
    Create {
        publish: true,
        validity: Some(validity),
        installments: false,
        switch: true,
    }
}

fn installments() -> Step {
    Create {
        publish: true,
        validity: None,
        installments: true,
        switch: true,
    }
}

fn transitions() -> Vec<(&'static str, Vec<Step>)> {
    let paid = || vec![create(true), Pay(0, None), Is(Paid)];
    let partial = || vec![installments(), Pay(0, None), Is(PartiallyPaid)];
    let reported = || vec![create(true), Pay(0, None), Report(0), Is(Reported)];
    let expired = || vec![create(true), Advance(11), Is(Expired)];
    let cat = |mut a: Vec<Step>, b: &[Step]| {
        a.extend_from_slice(b);
        a
    };
    vec![
        (
            "create → DRAFT",
            vec![
                create(false),
                Is(Draft),
                Refused("PAA_PAGAMENTO_SCONOSCIUTO"),
            ],
        ),
        (
            "create toPublish, no validity → VALID",
            vec![create(true), Is(Valid)],
        ),
        (
            "create toPublish, future validity → PUBLISHED",
            vec![
                create_at(2),
                Is(Published),
                Refused("PAA_PAGAMENTO_SCONOSCIUTO"),
            ],
        ),
        (
            "PUBLISHED → VALID when validityDate is reached",
            vec![
                create_at(2),
                Advance(1),
                Is(Published),
                Advance(1),
                Is(Valid),
            ],
        ),
        (
            "DRAFT publish → VALID",
            vec![create(false), Publish(200), Is(Valid)],
        ),
        (
            "DRAFT publish, future validity → PUBLISHED → VALID",
            vec![
                Create {
                    publish: false,
                    validity: Some(3),
                    installments: false,
                    switch: true,
                },
                Publish(200),
                Is(Published),
                Advance(3),
                Is(Valid),
            ],
        ),
        (
            "DRAFT publish after validityDate began → 409 (implementation)",
            vec![
                Create {
                    publish: false,
                    validity: Some(1),
                    installments: false,
                    switch: true,
                },
                Advance(2),
                Publish(409),
                Is(Draft),
            ],
        ),
        (
            "publish VALID → 409",
            vec![create(true), Publish(409), Is(Valid)],
        ),
        ("publish PUBLISHED → 409", vec![create_at(2), Publish(409)]),
        ("publish PAID → 409", cat(paid(), &[Publish(409)])),
        (
            "VALID → EXPIRED after the due date with switchToExpired",
            vec![
                create(true),
                Advance(10),
                Is(Valid),
                Advance(1),
                Is(Expired),
                Refused("PAA_PAGAMENTO_SCADUTO"),
            ],
        ),
        (
            "VALID stays VALID after the due date without switchToExpired",
            vec![
                Create {
                    publish: true,
                    validity: None,
                    installments: false,
                    switch: false,
                },
                Advance(30),
                Is(Valid),
            ],
        ),
        (
            "PARTIALLY_PAID does not expire",
            cat(partial(), &[Advance(30), Is(PartiallyPaid)]),
        ),
        (
            "invalidate VALID → INVALID",
            vec![
                create(true),
                Invalidate(200),
                Is(Invalid),
                Refused("PAA_PAGAMENTO_ANNULLATO"),
            ],
        ),
        (
            "invalidate PUBLISHED → INVALID",
            vec![create_at(2), Invalidate(200), Is(Invalid)],
        ),
        (
            "invalidate DRAFT → 409",
            vec![create(false), Invalidate(409), Is(Draft)],
        ),
        (
            "invalidate INVALID → 409",
            vec![create(true), Invalidate(200), Invalidate(409)],
        ),
        (
            "invalidate EXPIRED → 409",
            cat(expired(), &[Invalidate(409), Is(Expired)]),
        ),
        (
            "invalidate PARTIALLY_PAID → 409",
            cat(partial(), &[Invalidate(409)]),
        ),
        ("invalidate PAID → 409", cat(paid(), &[Invalidate(409)])),
        (
            "invalidate REPORTED → 409",
            cat(reported(), &[Invalidate(409)]),
        ),
        (
            "update DRAFT → DRAFT",
            vec![create(false), Update(false, 200), Is(Draft)],
        ),
        (
            "update VALID → DRAFT",
            vec![create(true), Update(false, 200), Is(Draft)],
        ),
        (
            "update VALID toPublish → VALID",
            vec![create(true), Update(true, 200), Is(Valid)],
        ),
        (
            "update PUBLISHED → DRAFT",
            vec![create_at(2), Update(false, 200), Is(Draft)],
        ),
        (
            "update EXPIRED → DRAFT (EXPIRED is updatable)",
            cat(expired(), &[Update(false, 200), Is(Draft)]),
        ),
        (
            "update INVALID → 409",
            vec![
                create(true),
                Invalidate(200),
                Update(false, 409),
                Is(Invalid),
            ],
        ),
        (
            "update PARTIALLY_PAID → 409",
            cat(partial(), &[Update(false, 409)]),
        ),
        (
            "update PAID → 409",
            cat(paid(), &[Update(false, 409), Is(Paid)]),
        ),
        (
            "update REPORTED → 409",
            cat(reported(), &[Update(false, 409)]),
        ),
        (
            "delete DRAFT",
            vec![create(false), Delete(200), Gone, Delete(404)],
        ),
        ("delete PUBLISHED", vec![create_at(2), Delete(200), Gone]),
        ("delete VALID", vec![create(true), Delete(200), Gone]),
        (
            "delete INVALID",
            vec![create(true), Invalidate(200), Delete(200), Gone],
        ),
        ("delete EXPIRED", cat(expired(), &[Delete(200), Gone])),
        (
            "delete PARTIALLY_PAID → 409",
            cat(partial(), &[Delete(409), Is(PartiallyPaid)]),
        ),
        ("delete PAID → 409", cat(paid(), &[Delete(409), Is(Paid)])),
        (
            "delete REPORTED → 409",
            cat(reported(), &[Delete(409), Is(Reported)]),
        ),
        (
            "VALID paid → PAID",
            cat(
                paid(),
                &[
                    Refused("PAA_PAGAMENTO_DUPLICATO"),
                    Pay(0, Some("PAA_RECEIPT_DUPLICATA")),
                ],
            ),
        ),
        (
            "installment paid → PARTIALLY_PAID → PAID",
            cat(
                partial(),
                &[
                    Pay(0, Some("PAA_RECEIPT_DUPLICATA")),
                    Pay(1, None),
                    Is(Paid),
                ],
            ),
        ),
        ("PAID → REPORTED when reported", reported()),
        (
            "pay DRAFT refused",
            vec![create(false), Pay(0, Some("PAA_SEMANTICA")), Is(Draft)],
        ),
        (
            "pay EXPIRED refused",
            cat(expired(), &[Pay(0, Some("PAA_SEMANTICA")), Is(Expired)]),
        ),
        (
            "pay INVALID refused",
            vec![
                create(true),
                Invalidate(200),
                Pay(0, Some("PAA_SEMANTICA")),
                Is(Invalid),
            ],
        ),
    ]
}

#[tokio::test]
async fn every_transition_and_refusal_of_the_state_machine() -> TestResult {
    let m = mock().await?;
    for (n, (name, steps)) in transitions().into_iter().enumerate() {
        let iupd = format!("IUPD-T{n:03}");
        let mut spec = V1::new(&m, &iupd, 1, false);
        for step in steps {
            let at = format!("{name}: {step:?}");
            match step {
                Create {
                    publish,
                    validity,
                    installments,
                    switch,
                } => {
                    spec = V1::new(&m, &iupd, if installments { 2 } else { 1 }, installments);
                    spec.validity = validity.map(|d| m.at(d));
                    spec.switch = switch;
                    let path = format!("{}?toPublish={publish}", positions(&iupd));
                    let a = m.v1("POST", &path, Some(&spec.body())).await?;
                    assert_eq!(a.status, 201, "{at}: {}", a.text);
                }
                Publish(want) => {
                    let a = m
                        .v1("POST", &format!("{}/publish", position_path(&iupd)), None)
                        .await?;
                    assert_eq!(a.status, want, "{at}: {}", a.text);
                }
                Invalidate(want) => {
                    let a = m
                        .v1(
                            "POST",
                            &format!("{}/invalidate", position_path(&iupd)),
                            None,
                        )
                        .await?;
                    assert_eq!(a.status, want, "{at}: {}", a.text);
                }
                Update(publish, want) => {
                    spec.due = m.at(10);
                    spec.validity = None;
                    let path = format!("{}?toPublish={publish}", position_path(&iupd));
                    let a = m.v1("PUT", &path, Some(&spec.body())).await?;
                    assert_eq!(a.status, want, "{at}: {}", a.text);
                    if want == 409 {
                        assert_problem(&a, 409, &iupd);
                    }
                }
                Delete(want) => {
                    let a = m.v1("DELETE", &position_path(&iupd), None).await?;
                    assert_eq!(a.status, want, "{at}: {}", a.text);
                }
                Advance(days) => m.clock.advance(DAY * u32::try_from(days)?),
                Pay(i, want) => {
                    let got = m.gpd.state().pay(
                        EC,
                        &spec.iuvs[i],
                        ReceiptData::new(format!("R-{iupd}-{i}")),
                    );
                    match (got, want) {
                        (Ok(r), None) => assert_eq!(r.iuv, spec.iuvs[i], "{at}"),
                        (Err(e), Some(code)) => {
                            assert_eq!(e.receipt_fault_code(), code, "{at}: {e}")
                        }
                        (got, _) => panic!("{at}: {got:?}"),
                    }
                }
                Report(i) => {
                    m.gpd.state().report(EC, &spec.iuvs[i])?;
                }
                Refused(code) => {
                    let refusal = m.gpd.state().payable(EC, &spec.iuvs[0]).err();
                    assert_eq!(refusal.map(|r| r.fault_code()), Some(code), "{at}");
                }
                Is(status) => {
                    assert_eq!(m.status_of(&iupd), Some(status), "{at}");
                    let a = m.v1("GET", &position_path(&iupd), None).await?;
                    assert_eq!(a.json["status"], json!(status.as_str()), "{at}: {}", a.text);
                    if status.is_payable() {
                        assert!(
                            m.gpd
                                .state()
                                .payable(EC, &spec.iuvs[spec.iuvs.len() - 1])
                                .is_ok(),
                            "{at}"
                        );
                    }
                }
                Gone => {
                    let a = m.v1("GET", &position_path(&iupd), None).await?;
                    assert_problem(&a, 404, &iupd);
                    assert!(m.status_of(&iupd).is_none(), "{at}");
                }
            }
        }
    }
    m.gpd.shutdown().await?;
    Ok(())
}

#[tokio::test]
async fn documented_publish_timing_makes_a_late_publish_valid() -> TestResult {
    let m = mock_with(PublishTiming::Documented).await?;
    let mut spec = V1::new(&m, "IUPD-DOC", 1, false);
    spec.validity = Some(m.at(1));
    assert_eq!(
        m.v1("POST", &positions("x"), Some(&spec.body()))
            .await?
            .status,
        201
    );
    m.clock.advance(DAY * 2);
    let a = m
        .v1(
            "POST",
            &format!("{}/publish", position_path("IUPD-DOC")),
            None,
        )
        .await?;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(a.json["status"], "VALID");
    Ok(())
}

// ------------------------------------------------------------------ error paths

#[tokio::test]
async fn error_paths_answer_problem_json_naming_the_field() -> TestResult {
    let m = mock().await?;
    let url = m.url(Api::DebtPositionsV1, &positions(""));
    let good = V1::new(&m, "IUPD-E1", 1, false);
    let body = serde_json::to_vec(&good.body())?;

    // 401 without key, with an unknown key; 403 for another organisation's path.
    let a = m.call("POST", &url, None, Some(body.clone())).await?;
    assert_problem(&a, 401, "missing subscription key");
    assert_eq!(a.json["statusCode"], 401);
    let a = m
        .call("POST", &url, Some("nope"), Some(body.clone()))
        .await?;
    assert_problem(&a, 401, "invalid subscription key");
    let other = m.url(
        Api::DebtPositionsV1,
        &format!("/organizations/{OTHER_EC}/debtpositions"),
    );
    let a = m.call("GET", &other, Some(SCOPED_KEY), None).await?;
    assert_problem(&a, 403, OTHER_EC);
    assert_eq!(
        a.json["message"],
        "You are not allowed to access this resource."
    );
    assert_eq!(
        m.call("GET", &url, Some(SCOPED_KEY), None).await?.status,
        200
    );
    let with_query_key = format!("{url}?subscription-key={KEY}");
    assert_eq!(
        m.call("GET", &with_query_key, None, None).await?.status,
        200
    );

    // 201, then 409 on the same IUPD, and on the same IUV under another IUPD.
    let a = m.call("POST", &url, Some(KEY), Some(body.clone())).await?;
    assert_eq!(a.status, 201, "{}", a.text);
    assert!(a.request_id.is_some());
    let a = m.call("POST", &url, Some(KEY), Some(body)).await?;
    assert_problem(&a, 409, "IUPD IUPD-E1");
    let mut clash = good.body();
    clash["iupd"] = json!("IUPD-E2");
    let a = m.v1("POST", &positions(""), Some(&clash)).await?;
    assert_problem(&a, 409, &format!("IUV {}", good.iuvs[0]));

    // 404: unknown position, unknown route; 405 with Allow.
    let a = m.v1("GET", &position_path("NOPE"), None).await?;
    assert_problem(&a, 404, "NOPE");
    let a = m
        .call("GET", &format!("{}/nowhere", m.gpd.url), Some(KEY), None)
        .await?;
    assert_problem(&a, 404, "No route");
    let a = m.v1("PATCH", &position_path("X"), None).await?;
    assert_problem(&a, 405, "PATCH");

    // 400s, each naming the field.
    let fresh = |m: &Mock, n: usize| {
        let mut v = V1::new(m, &format!("IUPD-B{n}"), 1, false).body();
        v["paymentOption"][0]["iuv"] = json!(format!("0200000000000{n:04}"));
        v
    };
    type Mutate = Box<dyn Fn(&mut Value, &Mock)>;
    let cases: Vec<(&str, Mutate, &str)> = vec![
        (
            "Σ transfers ≠ amount",
            Box::new(|v, _| v["paymentOption"][0]["amount"] = json!(10_001)),
            "paymentOption[0].transfer",
        ),
        (
            "6 transfers",
            Box::new(|v, _| {
                v["paymentOption"][0]["transfer"] = json!(
                    (1..=6)
                        .map(|i| transfer(&i.to_string(), 1))
                        .collect::<Vec<_>>()
                );
                v["paymentOption"][0]["amount"] = json!(6);
            }),
            "at most 5 transfers",
        ),
        (
            "idTransfer 6",
            Box::new(|v, _| v["paymentOption"][0]["transfer"][1]["idTransfer"] = json!("6")),
            "paymentOption[0].transfer[1].idTransfer",
        ),
        (
            "duplicate idTransfer",
            Box::new(|v, _| v["paymentOption"][0]["transfer"][1]["idTransfer"] = json!("1")),
            "duplicate idTransfer",
        ),
        (
            "IBAN not registered",
            Box::new(|v, _| v["paymentOption"][0]["transfer"][0]["iban"] = json!(UNKNOWN_IBAN)),
            "paymentOption[0].transfer[0].iban",
        ),
        (
            "IBAN and stamp",
            Box::new(|v, _| {
                v["paymentOption"][0]["transfer"][0]["stamp"] =
                    json!({"hashDocument": "abc", "stampType": "01", "provincialResidence": "RM"})
            }),
            "mutually exclusive",
        ),
        (
            "neither IBAN nor stamp",
            Box::new(|v, _| v["paymentOption"][0]["transfer"][0]["iban"] = Value::Null),
            "one of iban or stamp",
        ),
        (
            "due date in the past",
            Box::new(|v, m| v["paymentOption"][0]["dueDate"] = json!(m.at(-1))),
            "paymentOption[0].dueDate",
        ),
        (
            "validity in the past",
            Box::new(|v, m| v["validityDate"] = json!(m.at(-1))),
            "validityDate",
        ),
        (
            "due date before validity",
            Box::new(|v, m| v["validityDate"] = json!(m.at(20))),
            "must not precede validityDate",
        ),
        (
            "retention before due",
            Box::new(|v, m| v["paymentOption"][0]["retentionDate"] = json!(m.at(1))),
            "retentionDate",
        ),
        (
            "missing companyName",
            Box::new(|v, _| v["companyName"] = Value::Null),
            "companyName",
        ),
        (
            "missing isPartialPayment",
            Box::new(|v, _| v["paymentOption"][0]["isPartialPayment"] = Value::Null),
            "paymentOption[0].isPartialPayment",
        ),
        (
            "amount 0",
            Box::new(|v, _| v["paymentOption"][0]["amount"] = json!(0)),
            "paymentOption[0].amount",
        ),
        (
            "wrong type",
            Box::new(|v, _| v["paymentOption"][0]["amount"] = json!("ten")),
            "paymentOption[0].amount",
        ),
        (
            "bad type F/G",
            Box::new(|v, _| v["type"] = json!("X")),
            "type",
        ),
        (
            "companyName > 140",
            Box::new(|v, _| v["companyName"] = json!("x".repeat(141))),
            "companyName",
        ),
        (
            "bad date",
            Box::new(|v, _| v["paymentOption"][0]["dueDate"] = json!("tomorrow")),
            "dueDate",
        ),
    ];
    for (n, (name, mutate, needle)) in cases.into_iter().enumerate() {
        let mut v = fresh(&m, n);
        mutate(&mut v, &m);
        let a = m.v1("POST", &positions(""), Some(&v)).await?;
        assert_eq!(a.status, 400, "{name}: {}", a.text);
        assert_problem(&a, 400, needle);
    }
    let a = m
        .v1(
            "POST",
            &format!("{}?toPublish=maybe", positions("")),
            Some(&fresh(&m, 99)),
        )
        .await?;
    assert_problem(&a, 400, "toPublish");
    let a = m
        .v1("GET", &format!("{}?limit=51", positions("")), None)
        .await?;
    assert_problem(&a, 400, "limit");

    // Malformed JSON: line and column.
    let a = m
        .call(
            "POST",
            &url,
            Some(KEY),
            Some(b"{\n  \"iupd\": \"x\",\n  oops\n}".to_vec()),
        )
        .await?;
    assert_problem(&a, 400, "line 3 column 3");
    let a = m
        .call("POST", &url, Some(KEY), Some(b"{} trailing".to_vec()))
        .await?;
    assert_problem(&a, 400, "line 1 column 4");
    let a = m.call("POST", &url, Some(KEY), Some(Vec::new())).await?;
    assert_problem(&a, 400, "line 1 column 0");

    // 413 past 1 MiB, the key checked first.
    let big = vec![b' '; 1024 * 1024 + 1];
    let a = m.call("POST", &url, Some(KEY), Some(big)).await?;
    assert_problem(&a, 413, "1048576");

    // Nothing of the refused calls was stored.
    assert_eq!(m.gpd.state().store().len(), 1);
    assert!(m.gpd.state().calls().iter().all(|c| c.status != 500));
    m.gpd.shutdown().await?;
    Ok(())
}

#[tokio::test]
async fn hostile_bodies_never_answer_500() -> TestResult {
    let m = mock().await?;
    let url = m.url(Api::DebtPositionsV1, &positions(""));
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let bodies: Vec<Vec<u8>> = vec![
        deep.into_bytes(),
        vec![0xff, 0xfe, 0x00],
        b"null".to_vec(),
        b"[]".to_vec(),
        b"{\"paymentOption\": {}}".to_vec(),
        b"{\"iupd\": 1e999}".to_vec(),
        br#"{"iupd":"x","type":"F","fiscalCode":"a","fullName":"b","companyName":"c","switchToExpired":false,"paymentOption":[{"iuv":"1","amount":9223372036854775807,"description":"d","isPartialPayment":false,"dueDate":"2099-01-01T00:00:00Z","transfer":[{"idTransfer":"1","amount":9223372036854775807,"remittanceInformation":"r","category":"c","iban":"IT60X0542811101000000123456"},{"idTransfer":"2","amount":9223372036854775807,"remittanceInformation":"r","category":"c","iban":"IT60X0542811101000000123456"}]}]}"#.to_vec(),
    ];
    for body in bodies {
        let a = m.call("POST", &url, Some(KEY), Some(body)).await?;
        assert_eq!(a.status, 400, "{}", a.text);
    }
    Ok(())
}

// ------------------------------------------------------------------ concurrency

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_creates_of_one_iupd_keep_exactly_one_position() -> TestResult {
    let m = mock().await?;
    let url = m.url(Api::DebtPositionsV1, &positions(""));
    let mut tasks = Vec::new();
    for i in 0..50 {
        // Same IUPD, different IUVs: only the IUPD can clash.
        let mut body = V1::new(&m, "IUPD-RACE", 1, false).body();
        body["paymentOption"][0]["iuv"] = json!(format!("030000000000{i:05}"));
        let (client, url) = (m.client.clone(), url.clone());
        tasks.push(tokio::spawn(async move {
            client
                .post(url)
                .header("Ocp-Apim-Subscription-Key", KEY)
                .header("Content-Type", "application/json")
                .body(body.to_string())
                .send()
                .await
                .map(|r| r.status().as_u16())
        }));
    }
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await??);
    }
    assert_eq!(
        statuses.iter().filter(|&&s| s == 201).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|&&s| s == 409).count(),
        49,
        "{statuses:?}"
    );
    assert_eq!(m.gpd.state().store().len(), 1);
    let calls = m.gpd.state().calls();
    assert_eq!(calls.len(), 50);
    assert!(
        calls
            .iter()
            .all(|c| c.operation.as_deref() == Some("createPosition"))
    );
    Ok(())
}

// ------------------------------------------------------------------ list

#[tokio::test]
async fn list_pages_filters_and_orders() -> TestResult {
    let m = mock().await?;
    for i in 0..25 {
        let mut spec = V1::new(&m, &format!("IUPD-L{i:02}"), 1, false);
        spec.due = m.at(5 + i64::from(i % 5));
        let publish = i % 2 == 0;
        let path = format!("{}?toPublish={publish}", positions(""));
        assert_eq!(m.v1("POST", &path, Some(&spec.body())).await?.status, 201);
        m.clock.advance(Duration::from_secs(1));
    }
    let a = m
        .v1("GET", &format!("{}?limit=10&page=2", positions("")), None)
        .await?;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(
        a.json["page_info"],
        json!({"page": 2, "limit": 10, "items_found": 5, "total_pages": 3})
    );
    // Default: newest first.
    assert_eq!(a.json["payment_position_list"][0]["iupd"], "IUPD-L04");
    let a = m
        .v1(
            "GET",
            &format!("{}?status=DRAFT&limit=50", positions("")),
            None,
        )
        .await?;
    assert_eq!(a.json["page_info"]["items_found"], 12);
    let a = m
        .v1(
            "GET",
            &format!("{}?orderby=IUPD&ordering=ASC&limit=3&page=1", positions("")),
            None,
        )
        .await?;
    let iupds: Vec<&str> = a.json["payment_position_list"]
        .as_array()
        .map(|l| l.iter().filter_map(|p| p["iupd"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(iupds, ["IUPD-L03", "IUPD-L04", "IUPD-L05"]);
    let day = |d: i64| m.at(d)[..10].to_string();
    let a = m
        .v1(
            "GET",
            &format!(
                "{}?due_date_from={}&due_date_to={}&limit=50",
                positions(""),
                day(5),
                day(5)
            ),
            None,
        )
        .await?;
    assert_eq!(a.json["page_info"]["items_found"], 5, "{}", a.text);
    let a = m
        .v1(
            "GET",
            &format!(
                "{}?due_date_from={}&payment_date_from={}",
                positions(""),
                day(5),
                day(5)
            ),
            None,
        )
        .await?;
    assert_problem(&a, 400, "mutually exclusive");
    // A deleted position leaves a hole the pages skip.
    assert_eq!(
        m.v1("DELETE", &position_path("IUPD-L24"), None)
            .await?
            .status,
        200
    );
    let a = m
        .v1("GET", &format!("{}?limit=10&page=2", positions("")), None)
        .await?;
    assert_eq!(
        a.json["page_info"],
        json!({"page": 2, "limit": 10, "items_found": 4, "total_pages": 3})
    );
    assert_eq!(a.json["payment_position_list"][0]["iupd"], "IUPD-L03");
    let a = m
        .v1("GET", &format!("{}?limit=1", positions("")), None)
        .await?;
    assert_eq!(a.json["payment_position_list"][0]["iupd"], "IUPD-L23");
    // Time moves the filter: after 11 days the published ones with switchToExpired expired.
    m.clock.advance(DAY * 11);
    let a = m
        .v1(
            "GET",
            &format!("{}?status=EXPIRED&limit=50", positions("")),
            None,
        )
        .await?;
    assert_eq!(a.json["page_info"]["items_found"], 12, "{}", a.text);
    let a = m
        .v3(
            "GET",
            &format!("{}?status=UNPAYABLE&limit=50", positions("")),
            None,
        )
        .await?;
    assert_eq!(a.json["page_info"]["items_found"], 12, "{}", a.text);
    assert_eq!(a.json["payment_position_list"][0]["status"], "UNPAYABLE");
    Ok(())
}

// ------------------------------------------------------------------ v3 and installments

fn v3_body(m: &Mock, iupd: &str) -> Value {
    let inst = |iuv: &str, amount: i64, due: i64| {
        json!({
            "iuv": iuv,
            "amount": amount,
            "description": "rata",
            "dueDate": m.at(due),
            "transfer": [{"idTransfer": "1", "amount": amount, "remittanceInformation": "r", "category": "9/0101108TS/", "iban": IBAN}],
        })
    };
    let debtor = json!({"type": "F", "fiscalCode": "RSSMRA80A01H501U", "fullName": "Mario Rossi"});
    json!({
        "iupd": iupd,
        "companyName": "Comune di Prova",
        "paymentOption": [
            {"switchToExpired": false, "debtor": debtor, "installments": [inst("04000000000000001", 30_000, 10)]},
            {"switchToExpired": false, "debtor": debtor, "description": "in due rate", "installments": [
                inst("04000000000000002", 15_000, 10),
                inst("04000000000000003", 15_000, 40),
            ]},
        ],
    })
}

#[tokio::test]
async fn v3_payment_options_with_installments() -> TestResult {
    let m = mock().await?;
    let body = v3_body(&m, "IUPD-V3");
    let a = m
        .v3(
            "POST",
            &format!("{}?toPublish=true", positions("")),
            Some(&body),
        )
        .await?;
    assert_eq!(a.status, 201, "{}", a.text);
    assert_eq!(a.json["status"], "VALID");
    assert_eq!(
        a.json["paymentOption"][1]["installments"][1]["nav"],
        "304000000000000003"
    );
    let state = m.gpd.state();
    // By NAV (aux digit 3): the second plan's first installment.
    let option = state
        .payable(EC, "304000000000000002")
        .map_err(|e| e.to_string())?;
    assert_eq!(
        (
            option.plan,
            option.installments_in_plan,
            option.installment.amount
        ),
        (1, 2, 15_000)
    );
    state
        .pay(EC, "04000000000000002", ReceiptData::new("R1"))
        .map_err(|e| e.to_string())?;
    assert_eq!(m.status_of("IUPD-V3"), Some(PartiallyPaid));
    // The single option of the other plan can no longer be chosen.
    let refusal = state.payable(EC, "04000000000000001").err();
    assert!(
        matches!(refusal, Some(Refusal::OtherPlanInProgress { .. })),
        "{refusal:?}"
    );
    assert_eq!(
        refusal.map(|r| r.fault_code()),
        Some("PAA_PAGAMENTO_DUPLICATO")
    );
    let a = m.v3("GET", &position_path("IUPD-V3"), None).await?;
    assert_eq!(a.json["status"], "PARTIALLY_PAID", "{}", a.text);
    let inst = &a.json["paymentOption"][1]["installments"];
    assert_eq!(
        (inst[0]["status"].as_str(), inst[1]["status"].as_str()),
        (Some("PAID"), Some("UNPAID"))
    );
    assert_eq!(inst[0]["idReceipt"], "R1");
    // Seen through v1: three options, the instalments partial.
    let a = m.v1("GET", &position_path("IUPD-V3"), None).await?;
    let options = a.json["paymentOption"].as_array().map(Vec::len);
    assert_eq!(options, Some(3));
    assert_eq!(a.json["paymentOption"][2]["isPartialPayment"], true);
    state
        .pay(EC, "04000000000000003", ReceiptData::new("R2"))
        .map_err(|e| e.to_string())?;
    let a = m.v3("GET", &position_path("IUPD-V3"), None).await?;
    assert_eq!(a.json["status"], "PAID");
    // v3 publish of a non-DRAFT → 409; delete of a paid position → 409.
    let a = m
        .v3(
            "POST",
            &format!("{}/publish", position_path("IUPD-V3")),
            None,
        )
        .await?;
    assert_problem(&a, 409, "publishable");
    let a = m.v3("DELETE", &position_path("IUPD-V3"), None).await?;
    assert_problem(&a, 409, "IUPD-V3");
    // v3 validation names the nested field.
    let mut bad = v3_body(&m, "IUPD-V3B");
    bad["paymentOption"][1]["installments"][0]["transfer"][0]["amount"] = json!(1);
    let a = m.v3("POST", &positions(""), Some(&bad)).await?;
    assert_problem(&a, 400, "paymentOption[1].installments[0].transfer");
    Ok(())
}

// ------------------------------------------------------------------ receipts

#[tokio::test]
async fn pull_receipts_api_serves_paid_notices() -> TestResult {
    let m = mock().await?;
    let spec = V1::new(&m, "IUPD-R", 2, true);
    assert_eq!(
        m.v1(
            "POST",
            &format!("{}?toPublish=true", positions("")),
            Some(&spec.body())
        )
        .await?
        .status,
        201
    );
    let list = m.url(Api::Receipts, &format!("/payments/{EC}/receipts"));
    let a = m.call("GET", &list, Some(KEY), None).await?;
    assert_problem(&a, 404, "No receipts");
    let mut data = ReceiptData::new("RCPT-1");
    data.amount = Some(10_000);
    data.psp_company = Some("Banca Prova".into());
    let receipt = m
        .gpd
        .state()
        .pay(EC, &spec.iuvs[0], data)
        .map_err(|e| e.to_string())?;
    assert_eq!(receipt.position_status, PartiallyPaid);
    let mut wrong = ReceiptData::new("RCPT-X");
    wrong.amount = Some(1);
    let refusal = m.gpd.state().pay(EC, &spec.iuvs[1], wrong).err();
    assert_eq!(
        refusal.map(|r| r.receipt_fault_code()),
        Some("PAA_SEMANTICA")
    );

    assert_eq!(m.call("GET", &list, None, None).await?.status, 401);
    let a = m.call("GET", &list, Some(KEY), None).await?;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(a.json["length"], 1);
    assert_eq!(a.json["totalPages"], 1);
    assert_eq!(a.json["results"][0]["iuv"], json!(spec.iuvs[0]));
    assert_eq!(a.json["results"][0]["debtor"], "RSSMRA80A01H501U");
    let a = m
        .call(
            "GET",
            &format!("{list}?debtor=SOMEONEELSE"),
            Some(KEY),
            None,
        )
        .await?;
    assert_eq!(a.status, 404);
    let a = m
        .call(
            "GET",
            &format!("{list}?debtorOrIuv=RSSMRA"),
            Some(KEY),
            None,
        )
        .await?;
    assert_eq!(a.json["length"], 1);
    let one = format!("{list}/{}", spec.iuvs[0]);
    let a = m.call("GET", &one, Some(KEY), None).await?;
    assert_eq!(a.status, 200);
    assert!(
        a.content_type.starts_with("application/xml"),
        "{}",
        a.content_type
    );
    assert!(
        a.text.contains("<receiptId>RCPT-1</receiptId>"),
        "{}",
        a.text
    );
    let a = m
        .call(
            "GET",
            &format!("{one}?segregationCodes=02,03"),
            Some(KEY),
            None,
        )
        .await?;
    assert_eq!(a.status, 403, "{}", a.text);
    let a = m
        .call("GET", &format!("{list}/{}", spec.iuvs[1]), Some(KEY), None)
        .await?;
    assert_problem(&a, 404, &spec.iuvs[1]);
    let a = m
        .call("GET", &format!("{list}?pageSize=101"), Some(KEY), None)
        .await?;
    assert_problem(&a, 400, "pageSize");
    Ok(())
}

// ------------------------------------------------------------------ contracts

fn shared_contract(file: &str) -> Option<Value> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/pagopa-api/openapi")
        .join(file);
    match std::fs::read(&path) {
        Ok(bytes) => serde_json::from_slice(&bytes).ok(),
        Err(e) => {
            assert!(
                std::env::var("COLLAUDO_REQUIRE_SHARED").as_deref() != Ok("1"),
                "COLLAUDO_REQUIRE_SHARED=1 but {} is unreadable: {e}",
                path.display()
            );
            println!("skipped: {} absent ({e})", path.display());
            None
        }
    }
}

/// A validator for `#/components/schemas/{name}` of `contract`.
fn validator(
    contract: &Value,
    name: &str,
) -> Result<jsonschema::Validator, Box<dyn std::error::Error>> {
    let schema = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "allOf": [{"$ref": format!("#/components/schemas/{name}")}],
        "components": contract["components"],
    });
    Ok(jsonschema::validator_for(&schema).map_err(|e| e.to_string())?)
}

fn check(contract: &Value, name: &str, instance: &Value, what: &str) -> TestResult {
    let v = validator(contract, name)?;
    let errors: Vec<String> = v
        .iter_errors(instance)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{what} is not a {name}: {errors:?}\n{instance}"
    );
    Ok(())
}

#[tokio::test]
async fn bodies_match_the_shared_schemas() -> TestResult {
    let (Some(v1), Some(v3), Some(pay)) = (
        shared_contract("gpd.json"),
        shared_contract("gpd_v3.json"),
        shared_contract("gpd_payments.json"),
    ) else {
        return Ok(());
    };
    // The validators do bite: a wrong type, a missing required field, a bad enum.
    let position = validator(&v1, "PaymentPositionModel")?;
    assert!(!position.is_valid(&json!({"iupd": 1})));
    assert!(
        !validator(&v3, "PaymentPositionModelV3")?
            .is_valid(&json!({"iupd": "x", "companyName": "c", "paymentOption": []}))
    );
    assert!(
        !validator(&v1, "PaymentPositionsInfo")?
            .is_valid(&json!({"payment_position_list": [{"status": "SOLD"}], "page_info": {}}))
    );
    let m = mock().await?;
    let mut spec = V1::new(&m, "IUPD-S1", 2, true);
    spec.validity = Some(m.at(1));
    let body = spec.body();
    check(&v1, "PaymentPositionModel", &body, "v1 request")?;
    let a = m
        .v1(
            "POST",
            &format!("{}?toPublish=true", positions("")),
            Some(&body),
        )
        .await?;
    assert_eq!(a.status, 201, "{}", a.text);
    check(&v1, "PaymentPositionModel", &a.json, "v1 create answer")?;
    m.clock.advance(DAY * 2);
    m.gpd
        .state()
        .pay(EC, &spec.iuvs[0], ReceiptData::new("R-S1"))
        .map_err(|e| e.to_string())?;
    let a = m.v1("GET", &position_path("IUPD-S1"), None).await?;
    check(
        &v1,
        "PaymentPositionModelBaseResponse",
        &a.json,
        "v1 get answer",
    )?;
    let a = m.v1("GET", &positions(""), None).await?;
    check(&v1, "PaymentPositionsInfo", &a.json, "v1 list answer")?;
    let a = m.v1("GET", &position_path("NOPE"), None).await?;
    check(&v1, "ProblemJson", &a.json, "v1 404")?;
    let a = m.v1("POST", &positions(""), Some(&json!({}))).await?;
    check(&v1, "ProblemJson", &a.json, "v1 400")?;
    let other = V1::new(&m, "IUPD-S2", 1, false);
    m.v1("POST", &positions(""), Some(&other.body())).await?;
    let a = m
        .v1(
            "POST",
            &format!("{}/publish", position_path("IUPD-S2")),
            None,
        )
        .await?;
    check(&v1, "PaymentPositionModel", &a.json, "v1 publish answer")?;
    let a = m
        .v1(
            "POST",
            &format!("{}/invalidate", position_path("IUPD-S2")),
            None,
        )
        .await?;
    check(&v1, "PaymentPositionModel", &a.json, "v1 invalidate answer")?;
    let patch = json!({"newIban": IBAN_2});
    check(
        &v1,
        "UpdateTransferIbanMassiveModel",
        &patch,
        "v1 patch request",
    )?;
    let a = m
        .v1(
            "PATCH",
            &format!("/organizations/{EC}/debtpositions/transfers?oldIban={IBAN}"),
            Some(&patch),
        )
        .await?;
    assert_eq!(a.status, 200, "{}", a.text);
    check(
        &v1,
        "UpdateTransferIbanMassiveResponse",
        &a.json,
        "v1 patch answer",
    )?;

    let body = v3_body(&m, "IUPD-S3");
    check(&v3, "PaymentPositionModelV3", &body, "v3 request")?;
    let a = m
        .v3(
            "POST",
            &format!("{}?toPublish=true", positions("")),
            Some(&body),
        )
        .await?;
    assert_eq!(a.status, 201, "{}", a.text);
    check(&v3, "PaymentPositionModelV3", &a.json, "v3 create answer")?;
    let a = m.v3("GET", &position_path("IUPD-S3"), None).await?;
    check(
        &v3,
        "PaymentPositionModelResponseV3",
        &a.json,
        "v3 get answer",
    )?;
    let a = m.v3("GET", &positions(""), None).await?;
    check(&v3, "PaymentPositionsInfoV3", &a.json, "v3 list answer")?;

    let a = m
        .call(
            "GET",
            &m.url(Api::Receipts, &format!("/payments/{EC}/receipts")),
            Some(KEY),
            None,
        )
        .await?;
    assert_eq!(a.status, 200, "{}", a.text);
    check(&pay, "PaymentsResult", &a.json, "receipts list")?;
    Ok(())
}

/// Every `example`/`examples` of the contracts' operations (request bodies and parameters),
/// sent to the mock: the answer's status must be one the contract lists for the operation.
#[tokio::test]
async fn contract_examples_get_statuses_the_contract_lists() -> TestResult {
    let m = mock().await?;
    let mut replayed = 0;
    for api in [Api::DebtPositionsV1, Api::DebtPositionsV3, Api::Receipts] {
        let Some(contract) = shared_contract(api.contract_file()) else {
            return Ok(());
        };
        let Some(paths) = contract["paths"].as_object() else {
            continue;
        };
        for (template, ops) in paths {
            let Some(ops) = ops.as_object() else { continue };
            for (method, op) in ops {
                if method == "parameters" {
                    continue;
                }
                let mut path = template.clone();
                let mut query = Vec::new();
                for p in op["parameters"].as_array().into_iter().flatten() {
                    let name = p["name"].as_str().unwrap_or_default();
                    let example = p.get("example").map(|e| match e {
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    });
                    match (p["in"].as_str(), example) {
                        (Some("path"), example) => {
                            let value = match name {
                                "organizationfiscalcode" => EC.to_string(),
                                _ => example.unwrap_or_else(|| "string".into()),
                            };
                            path = path.replace(&format!("{{{name}}}"), &value);
                        }
                        (Some("query"), Some(example)) => query.push(format!("{name}={example}")),
                        _ => {}
                    }
                }
                let body = op["requestBody"]["content"]["application/json"]
                    .get("example")
                    .cloned()
                    .or_else(|| op.get("requestBody").map(|_| json!({})));
                let url = format!("{}{path}?{}", m.gpd.base_url(api), query.join("&"));
                let body = body.map(|b| serde_json::to_vec(&b)).transpose()?;
                let a = m
                    .call(&method.to_uppercase(), &url, Some(KEY), body)
                    .await?;
                let listed: Vec<&String> = op["responses"]
                    .as_object()
                    .map(|r| r.keys().collect())
                    .unwrap_or_default();
                assert!(
                    listed.iter().any(|s| **s == a.status.to_string()),
                    "{} {method} {template}: {} not in {listed:?}: {}",
                    api.contract_file(),
                    a.status,
                    a.text
                );
                replayed += 1;
            }
        }
    }
    assert_eq!(replayed, 16, "every operation of the three contracts");
    Ok(())
}

#[tokio::test]
async fn openapi_document_lists_every_route_and_only_contract_paths() -> TestResult {
    let m = mock().await?;
    let a = m
        .call("GET", &format!("{}{OPENAPI_PATH}", m.gpd.url), None, None)
        .await?;
    assert_eq!(a.status, 200);
    let doc = a.json;
    assert_eq!(doc["openapi"], "3.0.3");
    let mut operations = 0;
    for route in ROUTES {
        let op = &doc["paths"][route.full_path()][route.method.to_lowercase()];
        assert_eq!(
            op["operationId"],
            route.operation_id,
            "{} {}",
            route.method,
            route.full_path()
        );
        operations += 1;
        // The router serves it: the call is logged under this operation, not as a 404/405.
        let url = format!(
            "{}{}",
            m.gpd.url,
            route
                .full_path()
                .replace("{organizationfiscalcode}", EC)
                .replace("{iupd}", "X")
                .replace("{iuv}", "01")
        );
        let body = route.body.then(|| b"{}".to_vec());
        let answer = m.call(route.method, &url, Some(KEY), body).await?;
        assert!(
            ![404, 405].contains(&answer.status) || answer.json["title"] != "Not Found",
            "{url}"
        );
        let last = m.gpd.state().calls().pop();
        assert_eq!(
            last.and_then(|c| c.operation).as_deref(),
            Some(route.operation_id),
            "{url}"
        );
    }
    let listed: usize = doc["paths"]
        .as_object()
        .map(|p| {
            p.values()
                .map(|ops| ops.as_object().map_or(0, |o| o.len()))
                .sum()
        })
        .unwrap_or(0);
    assert_eq!(listed, operations, "the document lists exactly the routes");

    // Every listed path and method exists in the shared contract of its API.
    for api in [Api::DebtPositionsV1, Api::DebtPositionsV3, Api::Receipts] {
        let Some(contract) = shared_contract(api.contract_file()) else {
            return Ok(());
        };
        for route in ROUTES.iter().filter(|r| r.api == api) {
            let op = &contract["paths"][route.path][route.method.to_lowercase()];
            assert_eq!(
                op["operationId"],
                route.operation_id,
                "{} {} {}",
                api.contract_file(),
                route.method,
                route.path
            );
        }
        let served = doc["paths"]
            .as_object()
            .into_iter()
            .flatten()
            .filter_map(|(p, _)| p.strip_prefix(api.base()));
        for path in served {
            assert!(
                contract["paths"].get(path).is_some(),
                "{path} not in {}",
                api.contract_file()
            );
        }
    }
    Ok(())
}
