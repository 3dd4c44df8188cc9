use super::{AcaState, app};
use crate::aca::calls::REDACTED;
use crate::aca::config::AcaConfig;
use crate::aca::handler::ACA_PATH;
use crate::aca::store::{AcaStore, HistoryAction};
use crate::checks::BackOffice;
use crate::clock::{Clock, VirtualClock, VirtualTime};
use axum::body::Body;
use axum::http::{Request, Response, StatusCode, header};
use std::sync::Arc;
use std::time::Duration;
use tower::ServiceExt;

const EC: &str = "77777777777";

fn state(limit: usize) -> (Arc<AcaState>, VirtualClock) {
    let clock = VirtualClock::new(VirtualTime::from_millis(1_000));
    let mut config = AcaConfig::new(Arc::new(clock.clone())).with_key("k");
    config.backoffice = BackOffice::default().with_ec(EC, Some("Comune"));
    config.body_limit = limit;
    (
        Arc::new(AcaState::with_store(config, AcaStore::new())),
        clock,
    )
}

fn position(amount: i64) -> String {
    format!(
        r#"{{"paFiscalCode":"{EC}","entityType":"G","entityFiscalCode":"12345678901",
        "entityFullName":"ACME","iuv":"01000000000000144","amount":{amount},
        "description":"d","expirationDate":"2030-01-01T00:00:00Z"}}"#
    )
}

async fn send(state: &Arc<AcaState>, request: Request<Body>) -> (Response<Body>, String) {
    let response = match app(Arc::clone(state)).oneshot(request).await {
        Ok(response) => response,
        Err(never) => match never {},
    };
    let (parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    (
        Response::from_parts(parts, Body::empty()),
        String::from_utf8_lossy(&bytes).into_owned(),
    )
}

fn post(uri: &str, body: impl Into<Body>) -> Request<Body> {
    Request::post(uri)
        .header("ocp-apim-subscription-key", "k")
        .header(header::CONTENT_TYPE, "application/json")
        .body(body.into())
        .unwrap_or_default()
}

#[tokio::test]
async fn every_call_is_logged_with_both_clocks_and_the_key_masked() {
    let (state, clock) = state(1024);
    let (response, body) = send(&state, post(ACA_PATH, position(100))).await;
    assert_eq!(response.status(), StatusCode::OK, "{body}");
    assert_eq!(
        response
            .headers()
            .get(header::CONTENT_TYPE)
            .map(|v| v.as_bytes()),
        Some(&b"application/json"[..])
    );
    clock.advance(Duration::from_secs(60));
    let query_key = Request::post(format!("{ACA_PATH}?subscription-key=k&segregationCodes=01"))
        .body(Body::from(position(200)))
        .unwrap_or_default();
    let (response, _) = send(&state, query_key).await;
    assert_eq!(response.status(), StatusCode::OK);

    let calls = state.store().calls();
    assert_eq!(calls.len(), 2);
    let (first, second) = (&calls[0], &calls[1]);
    assert_eq!((first.seq, second.seq), (1, 2));
    assert_eq!(first.virtual_at, VirtualTime::from_millis(1_000));
    assert_eq!(second.virtual_at, VirtualTime::from_millis(61_000));
    let real: Result<VirtualTime, _> = first.real_at.parse();
    assert!(real.is_ok_and(|t| t > VirtualTime::from_millis(1_600_000_000_000)));
    assert!(
        first
            .headers
            .contains(&("ocp-apim-subscription-key".into(), REDACTED.into()))
    );
    assert_eq!(
        second.query.as_deref(),
        Some("subscription-key=<redacted>&segregationCodes=01")
    );
    assert_eq!(
        (first.action, second.action),
        (Some(HistoryAction::Created), Some(HistoryAction::Updated))
    );
    assert_eq!(first.body, position(100));
    assert_eq!(first.body_len, position(100).len());
    assert!(first.response.contains("\"companyName\":\"Comune\""));
    assert_eq!(state.store().call_count(), 2);
    assert_eq!(state.config().clock.now(), VirtualTime::from_millis(61_000));
}

#[tokio::test]
async fn wrong_route_and_method_get_problem_json_and_are_logged() {
    let (state, _) = state(1024);
    let (response, body) = send(&state, post("/aca/v1/paCreatePositio", position(1))).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert!(body.contains("\"status\":404"), "{body}");
    let get = Request::get(ACA_PATH)
        .body(Body::empty())
        .unwrap_or_default();
    let (response, body) = send(&state, get).await;
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(
        response.headers().get(header::ALLOW).map(|v| v.as_bytes()),
        Some(&b"POST"[..])
    );
    assert!(body.contains("\"status\":405"), "{body}");
    let paths: Vec<_> = state
        .store()
        .calls()
        .into_iter()
        .map(|c| (c.method, c.path, c.status))
        .collect();
    assert_eq!(
        paths,
        vec![
            ("POST".into(), "/aca/v1/paCreatePositio".into(), 404),
            ("GET".into(), ACA_PATH.into(), 405),
        ]
    );
}

#[tokio::test]
async fn oversized_body_is_413_and_closes_the_connection() {
    let (state, _) = state(64);
    let (response, body) = send(&state, post(ACA_PATH, position(1))).await;
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert!(body.contains("larger than 64 bytes"), "{body}");
    assert_eq!(
        response
            .headers()
            .get(header::CONNECTION)
            .map(|v| v.as_bytes()),
        Some(&b"close"[..])
    );
    let calls = state.store().calls();
    assert_eq!(calls[0].body_len, position(1).len());
    assert!(calls[0].body_truncated);
    assert_eq!(calls[0].body.len(), 64, "kept up to the limit");
    assert!(state.store().is_empty());

    // A declared length far beyond the drain cap is refused without reading.
    let huge = Request::post(ACA_PATH)
        .header("ocp-apim-subscription-key", "k")
        .header(header::CONTENT_LENGTH, "999999999999")
        .body(Body::empty())
        .unwrap_or_default();
    let (response, _) = send(&state, huge).await;
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn journal_file_gets_one_line_per_call() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("aca.jsonl");
    let mut config = AcaConfig::new(Arc::new(VirtualClock::new(VirtualTime::EPOCH)));
    config.journal_path = Some(path.clone());
    config.retain_calls = false;
    let state = Arc::new(AcaState::new(config)?);
    let (response, _) = send(&state, post(ACA_PATH, position(1))).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let (response, _) = send(&state, post("/", "")).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert!(state.store().calls().is_empty(), "not retained");
    assert_eq!(state.store().call_count(), 2);
    assert_eq!(state.store().journal_path(), Some(path.clone()));
    assert!(state.store().take_journal_error().is_none());
    let text = std::fs::read_to_string(&path)?;
    let statuses: Vec<u64> = text
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).map(|v| v["status"].as_u64().unwrap_or(0))
        })
        .collect::<Result<_, _>>()?;
    assert_eq!(statuses, vec![401, 404]);

    let config = AcaConfig {
        journal_path: Some(dir.path().join("missing-dir").join("aca.jsonl")),
        ..AcaConfig::default()
    };
    let err = AcaState::new(config).err().map(|e| e.to_string());
    assert!(err.is_some_and(|e| e.starts_with("cannot create the aca journal")));
    Ok(())
}

#[tokio::test]
async fn faults_answer_only_routed_posts_and_apply_nothing() {
    let (state, _) = state(1024);
    state.inject(502, 1);
    assert_eq!(state.pending_faults(), 1);
    // Wrong route, wrong method, oversized body: answered as usual, fault kept.
    let (response, _) = send(&state, post("/aca/v1/other", position(1))).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let get = Request::get(ACA_PATH)
        .body(Body::empty())
        .unwrap_or_default();
    let (response, _) = send(&state, get).await;
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
    let big = format!("{}{}", position(1), " ".repeat(2048));
    let (response, _) = send(&state, post(ACA_PATH, big)).await;
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(state.pending_faults(), 1);
    // A routed POST takes it, whatever its key: the fault stands in for the whole service.
    let keyless = Request::post(ACA_PATH)
        .body(Body::from(position(100)))
        .unwrap_or_default();
    let (response, body) = send(&state, keyless).await;
    assert_eq!(response.status(), StatusCode::BAD_GATEWAY);
    assert!(body.contains("\"status\":502"), "{body}");
    assert_eq!(state.pending_faults(), 0);
    assert!(state.store().is_empty());
    let (response, _) = send(&state, post(ACA_PATH, position(100))).await;
    assert_eq!(response.status(), StatusCode::OK);

    let calls = state.store().calls();
    let logged: Vec<_> = calls
        .iter()
        .map(|c| (c.status, c.injected, c.action))
        .collect();
    assert_eq!(
        logged,
        vec![
            (404, false, None),
            (405, false, None),
            (413, false, None),
            (502, true, None),
            (200, false, Some(HistoryAction::Created)),
        ]
    );
    assert_eq!(
        calls[3].iupd.as_deref(),
        Some("ACA_77777777777_01000000000000144")
    );
}

#[tokio::test]
async fn injected_calls_are_marked_in_the_journal() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("aca.jsonl");
    let mut config = AcaConfig::new(Arc::new(VirtualClock::new(VirtualTime::EPOCH))).with_key("k");
    config.backoffice = BackOffice::default().with_ec(EC, None);
    config.journal_path = Some(path.clone());
    let state = Arc::new(AcaState::new(config)?);
    state.inject(409, 1);
    let (response, _) = send(&state, post(ACA_PATH, position(1))).await;
    assert_eq!(response.status(), StatusCode::CONFLICT);
    let (response, _) = send(&state, post(ACA_PATH, position(1))).await;
    assert_eq!(response.status(), StatusCode::OK);
    let text = std::fs::read_to_string(&path)?;
    let marks: Vec<(u64, bool)> = text
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).map(|v| {
                (
                    v["status"].as_u64().unwrap_or(0),
                    v["injected"].as_bool().unwrap_or(false),
                )
            })
        })
        .collect::<Result<_, _>>()?;
    assert_eq!(marks, vec![(409, true), (200, false)]);
    Ok(())
}
