use super::{ACA_PATH, AcaReply, AcaRequest, Body, handle_request, segregation_allowed};
use crate::aca::config::AcaConfig;
use crate::aca::store::{AcaStore, HistoryAction};
use crate::checks::{BackOffice, EcInfo};
use crate::clock::{VirtualClock, VirtualTime};
use axum::http::{HeaderMap, HeaderValue};
use collaudo_wire::aca::{DebtPositionResponse, ProblemJson};
use std::sync::Arc;

const EC: &str = "77777777777";
const KEY: &str = "secret-key";
const LATEST: &str = "IT60X0542811101000000000002";

fn config() -> AcaConfig {
    let mut backoffice = BackOffice::default()
        .with_ec(EC, Some("Comune di Prova"))
        .with_iban(EC, "IT60X0542811101000000000001", false)
        .with_iban(EC, LATEST, false);
    backoffice.ecs.insert(
        "99999999999".into(),
        EcInfo {
            enabled: false,
            company_name: None,
        },
    );
    let mut config =
        AcaConfig::new(Arc::new(VirtualClock::new(VirtualTime::from_millis(0)))).with_key(KEY);
    config.backoffice = backoffice;
    config
}

fn body(pa: &str, iuv: &str, amount: i64) -> String {
    format!(
        r#"{{"paFiscalCode":"{pa}","entityType":"F","entityFiscalCode":"RSSMRA80A01H501U",
        "entityFullName":"Mario Rossi","iuv":"{iuv}","amount":{amount},"description":"TARI",
        "expirationDate":"2030-01-01T00:00:00Z"}}"#
    )
}

fn keyed() -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert("ocp-apim-subscription-key", HeaderValue::from_static(KEY));
    headers
}

fn call(
    config: &AcaConfig,
    store: &AcaStore,
    headers: &HeaderMap,
    query: Option<&str>,
    body: &str,
) -> AcaReply {
    let request = AcaRequest {
        method: "POST",
        path: ACA_PATH,
        query,
        headers,
        body: Body::Complete(body.as_bytes()),
    };
    handle_request(config, store, &request, VirtualTime::from_millis(42))
}

fn problem(reply: &AcaReply) -> ProblemJson {
    match serde_json::from_slice(&reply.body) {
        Ok(p) => p,
        Err(e) => panic!(
            "not a ProblemJson ({e}): {}",
            String::from_utf8_lossy(&reply.body)
        ),
    }
}

#[test]
fn creates_with_company_name_and_back_office_iban() {
    let (config, store) = (config(), AcaStore::new());
    let reply = call(
        &config,
        &store,
        &keyed(),
        None,
        &body(EC, "01000000000000144", 100),
    );
    assert_eq!(
        reply.status,
        200,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    assert_eq!(reply.action, Some(HistoryAction::Created));
    assert_eq!(
        reply.iupd.as_deref(),
        Some("ACA_77777777777_01000000000000144")
    );
    let response: Result<DebtPositionResponse, _> = serde_json::from_slice(&reply.body);
    let Ok(response) = response else {
        panic!("{response:?}");
    };
    assert_eq!(response.company_name.as_deref(), Some("Comune di Prova"));
    assert_eq!(response.status, "VALID");
    assert_eq!(response.nav, "301000000000000144");
    assert_eq!(response.iban.as_deref(), Some(LATEST));
    let history = store.get(EC, "01000000000000144").map(|p| p.history);
    assert_eq!(history.map(|h| h[0].at.millis()), Some(42));
}

#[test]
fn gateway_checks_come_first() {
    let (config, store) = (config(), AcaStore::new());
    let bad_json = "{";
    let reply = call(&config, &store, &HeaderMap::new(), None, bad_json);
    assert_eq!((reply.status, problem(&reply).status), (401, 401));
    let mut wrong = HeaderMap::new();
    wrong.insert(
        "ocp-apim-subscription-key",
        HeaderValue::from_static("nope"),
    );
    // A wrong header key is not rescued by a right query key.
    let reply = call(
        &config,
        &store,
        &wrong,
        Some("subscription-key=secret-key"),
        bad_json,
    );
    assert_eq!(reply.status, 401);
    let reply = call(
        &config,
        &store,
        &HeaderMap::new(),
        Some("subscription-key=secret-key"),
        bad_json,
    );
    assert_eq!(reply.status, 400);

    let headers = keyed();
    let request = AcaRequest {
        method: "GET",
        path: ACA_PATH,
        query: None,
        headers: &headers,
        body: Body::Complete(b""),
    };
    let reply = handle_request(&config, &store, &request, VirtualTime::EPOCH);
    assert_eq!((reply.status, reply.allow_post), (405, true));
    let request = AcaRequest {
        path: "/aca/v1/other",
        ..request
    };
    let reply = handle_request(&config, &store, &request, VirtualTime::EPOCH);
    assert_eq!(reply.status, 404);
    assert_eq!(problem(&reply).detail, "No route for GET /aca/v1/other");
    for (body, status) in [
        (Body::TooLarge, 413),
        (Body::TimedOut, 408),
        (Body::Broken, 400),
    ] {
        let request = AcaRequest {
            method: "POST",
            path: ACA_PATH,
            body,
            ..request
        };
        let reply = handle_request(&config, &store, &request, VirtualTime::EPOCH);
        assert_eq!((reply.status, problem(&reply).status), (status, status));
    }
    assert!(store.is_empty());
}

#[test]
fn service_checks_name_the_problem() {
    let (config, store) = (config(), AcaStore::new());
    let reply = call(
        &config,
        &store,
        &keyed(),
        None,
        &body("7777777777", "01", 100),
    );
    assert_eq!(reply.status, 400);
    assert!(problem(&reply).detail.contains("/paFiscalCode"));
    assert_eq!(reply.iupd, None);

    let reply = call(
        &config,
        &store,
        &keyed(),
        Some("segregationCodes=02,03"),
        &body(EC, "01", 1),
    );
    assert_eq!(reply.status, 403);
    assert_eq!(reply.iupd.as_deref(), Some("ACA_77777777777_01"));
    let reply = call(
        &config,
        &store,
        &keyed(),
        Some("segregationCodes=02%2C01"),
        &body(EC, "01", 1),
    );
    assert_eq!(reply.status, 200);

    for unknown in ["12345678901", "99999999999"] {
        let reply = call(&config, &store, &keyed(), None, &body(unknown, "01", 1));
        assert_eq!(reply.status, 404, "{unknown}");
        assert_eq!(
            problem(&reply).detail,
            format!(
                "No debt position found with Creditor institution code {unknown} and ACA_{unknown}_01"
            )
        );
    }
}

#[test]
fn store_refusals_map_to_422_and_409() {
    let (config, store) = (config(), AcaStore::new());
    let reply = call(&config, &store, &keyed(), None, &body(EC, "01", 0));
    assert_eq!(
        (reply.status, problem(&reply).title.as_str()),
        (422, "Unprocessable request")
    );
    assert_eq!(
        call(&config, &store, &keyed(), None, &body(EC, "01", 5)).status,
        200
    );
    let reply = call(&config, &store, &keyed(), None, &body(EC, "01", 0));
    assert_eq!(
        (reply.status, reply.action),
        (200, Some(HistoryAction::Cancelled))
    );
    let cancelled: Result<DebtPositionResponse, _> = serde_json::from_slice(&reply.body);
    assert_eq!(
        cancelled.ok().map(|r| r.status),
        Some("INVALID".to_string())
    );
    let reply = call(&config, &store, &keyed(), None, &body(EC, "01", 6));
    let p = problem(&reply);
    assert_eq!(
        (reply.status, p.title.as_str()),
        (409, "Unauthorized action")
    );
    assert_eq!(p.detail, "Unauthorized action on debt position with iuv 01");
}

#[test]
fn segregation_codes() {
    assert!(segregation_allowed(None, "01"));
    assert!(segregation_allowed(Some("x=1"), "01"));
    assert!(segregation_allowed(
        Some("segregationCodes=00,%2001"),
        "01234"
    ));
    assert!(segregation_allowed(
        Some("segregationCodes=00&segregationCodes=01"),
        "01"
    ));
    assert!(!segregation_allowed(Some("segregationCodes="), "01"));
    assert!(!segregation_allowed(Some("segregationCodes=0"), "0"));
    assert!(!segregation_allowed(Some("segregationCodes=01"), "è1"));
}

mod hostile {
    use super::{call, config, keyed};
    use crate::aca::store::AcaStore;
    use proptest::prelude::*;

    /// A valid body with one field replaced by an arbitrary JSON scalar.
    fn mutated() -> impl Strategy<Value = String> {
        let fields = prop::sample::select(vec![
            "paFiscalCode",
            "entityType",
            "entityFiscalCode",
            "entityFullName",
            "iuv",
            "nav",
            "amount",
            "description",
            "expirationDate",
            "iban",
            "postalIban",
            "switchToExpired",
            "payStandIn",
        ]);
        let values = prop_oneof![
            Just(serde_json::Value::Null),
            any::<bool>().prop_map(serde_json::Value::from),
            any::<i64>().prop_map(serde_json::Value::from),
            any::<f64>().prop_map(serde_json::Value::from),
            ".{0,40}".prop_map(serde_json::Value::from),
        ];
        (fields, values).prop_map(|(field, value)| {
            let mut body: serde_json::Value =
                serde_json::from_str(&super::body(super::EC, "01000000000000144", 100))
                    .unwrap_or_default();
            body[field] = value;
            body.to_string()
        })
    }

    proptest! {
        #[test]
        fn arbitrary_bodies_never_get_a_500(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
            let (config, store) = (config(), AcaStore::new());
            let body = String::from_utf8_lossy(&bytes).into_owned();
            let reply = call(&config, &store, &keyed(), None, &body);
            prop_assert_eq!(reply.status, 400);
        }

        #[test]
        fn mutated_fields_get_a_client_answer(bodies in prop::collection::vec(mutated(), 1..8)) {
            let (config, store) = (config(), AcaStore::new());
            for body in &bodies {
                let reply = call(&config, &store, &keyed(), Some("segregationCodes=01"), body);
                prop_assert!(
                    [200, 400, 403, 404, 409, 422].contains(&reply.status),
                    "{} for {}", reply.status, body
                );
            }
        }
    }
}
