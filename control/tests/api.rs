//! The control API in process, against the embedded reference station on loopback: bad
//! requests get a JSON error that says what is wrong, receipt retries follow serve time and
//! survive a restart, and a Stand-In payment leaves its ACA position paid across a restart.

use collaudo_control::{ServeConfig, Server, StationChoice, start};
use collaudo_station::{FixtureRole, Profile};
use serde_json::{Value, json};
use std::path::Path;

type Result<T = ()> = std::result::Result<T, Box<dyn std::error::Error>>;

fn client() -> reqwest::Client {
    collaudo_nodo::tls::install_default_provider();
    reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("a client")
}

async fn call(method: &str, url: &str, body: Option<&str>) -> Result<(u16, Value)> {
    let c = client();
    let req = match method {
        "GET" => c.get(url),
        "PUT" => c.put(url),
        _ => c.post(url),
    };
    let req = match body {
        Some(b) => req.body(b.to_string()),
        None => req,
    };
    let res = req.send().await?;
    let status = res.status().as_u16();
    let text = res.text().await?;
    let value = serde_json::from_str(&text).unwrap_or(Value::String(text));
    Ok((status, value))
}

async fn post(server: &Server, path: &str, body: Value) -> Result<(u16, Value)> {
    call(
        "POST",
        &format!("{}{path}", server.control_url),
        Some(&body.to_string()),
    )
    .await
}

fn config(db: &Path, profile: Profile) -> ServeConfig {
    let mut c = ServeConfig::embedded(db);
    if let StationChoice::Embedded(e) = &mut c.station {
        e.config.profile = profile;
    }
    c
}

fn notice(server: &Server, role: FixtureRole) -> Value {
    let station = &server.embedded_stations()[0];
    let f = station.fixtures().get(role).expect("fixture");
    json!({ "fiscal_code": f.fiscal_code, "notice_number": f.notice_number.as_str() })
}

fn station_id(server: &Server) -> String {
    server.embedded_stations()[0]
        .state()
        .config()
        .id_station
        .clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_requests_get_a_json_error_that_says_what_is_wrong() -> Result {
    let dir = tempfile::tempdir()?;
    let server = start(config(&dir.path().join("s.db"), Profile::Conformant)).await?;
    let id = station_id(&server);
    let base = server.control_url.clone();
    let cases: Vec<(&str, String, Option<String>, u16, &str)> = vec![
        ("POST", "/psp/verify".into(), Some("{not json".into()), 400, "invalid JSON body"),
        ("POST", "/psp/verify".into(), Some("{}".into()), 400, "missing field `fiscal_code`"),
        ("POST", "/psp/verify".into(), None, 400, "invalid JSON body"),
        (
            "POST",
            "/psp/verify".into(),
            Some(r#"{"fiscal_code":"7777","notice_number":"301000000000000000"}"#.into()),
            400,
            "11 digits",
        ),
        (
            "POST",
            "/psp/pay".into(),
            Some(r#"{"fiscal_code":"77777777777","notice_number":"3x"}"#.into()),
            400,
            "18 digits",
        ),
        (
            "POST",
            "/psp/activate".into(),
            Some(
                r#"{"fiscal_code":"77777777777","notice_number":"301000000000000000","amount":"12,5"}"#
                    .into(),
            ),
            400,
            "two decimals",
        ),
        (
            "POST",
            "/psp/verify".into(),
            Some(r#"{"fiscal_code":"12345678901","notice_number":"301000000000000000"}"#.into()),
            404,
            "EC 12345678901 is not in the Nodo's registry",
        ),
        (
            "POST",
            "/psp/close".into(),
            Some(r#"{"token":"nope"}"#.into()),
            404,
            "no open payment with token nope",
        ),
        ("POST", "/psp/close".into(), Some(r#"{"token":""}"#.into()), 400, "token"),
        (
            "POST",
            format!("/stations/{id}/stand-in"),
            Some(r#""sideways""#.into()),
            400,
            "expected \"enter\", \"exit\"",
        ),
        (
            "POST",
            format!("/stations/{id}/stand-in"),
            Some(r#""exit""#.into()),
            409,
            "is not in Stand-In",
        ),
        (
            "POST",
            "/stations/nobody/stand-in".into(),
            Some(r#""enter""#.into()),
            404,
            "no station \"nobody\"",
        ),
        (
            "POST",
            format!("/stations/{id}/faults"),
            Some(r#"{"fault":"gremlins"}"#.into()),
            400,
            "unknown variant `gremlins`",
        ),
        (
            "POST",
            format!("/stations/{id}/faults"),
            Some(r#"{"fault":"refuse","count":0}"#.into()),
            400,
            "between 1 and 10000",
        ),
        (
            "POST",
            "/aca/faults".into(),
            Some(r#"{"status":200}"#.into()),
            400,
            "from 400 to 599",
        ),
        (
            "POST",
            "/clock/advance".into(),
            Some(r#"{"minutes":-5}"#.into()),
            400,
            "invalid JSON body",
        ),
        ("POST", "/clock/advance".into(), Some(r#"{"minutes":0}"#.into()), 400, "between 1"),
        ("GET", "/state?limit=lots".into(), None, 400, "limit \"lots\""),
        ("GET", "/nowhere".into(), None, 404, "no endpoint /nowhere"),
        ("PUT", "/psp/pay".into(), None, 405, "method not allowed"),
    ];
    for (method, path, body, status, needle) in cases {
        let (got, value) = call(method, &format!("{base}{path}"), body.as_deref()).await?;
        assert_eq!(got, status, "{method} {path} {body:?}: {value}");
        let message = value["error"].as_str().unwrap_or_default();
        assert!(
            message.contains(needle),
            "{method} {path} {body:?}: {message:?} lacks {needle:?}"
        );
        assert_eq!(value["status"], json!(status), "{value}");
    }
    // Nothing above changed the state.
    let (_, state) = call("GET", &format!("{base}/state"), None).await?;
    assert_eq!(state["payments_total"], json!(0));
    server.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn receipt_retries_follow_serve_time_and_survive_a_restart() -> Result {
    let dir = tempfile::tempdir()?;
    let db = dir.path().join("s.db");
    let server = start(config(&db, Profile::FlakyReceipts)).await?;
    let (status, paid) = post(&server, "/psp/pay", notice(&server, FixtureRole::Payable)).await?;
    assert_eq!(status, 200, "{paid}");
    assert_eq!(paid["paid"], json!(true), "{paid}");
    let token = paid["close"]["token"].as_str().expect("token").to_string();
    let first = &paid["close"]["deliveries"][0];
    assert_eq!(first["result"], json!("pending"), "{first}");
    assert_eq!(first["attempts"].as_array().map(Vec::len), Some(1));

    // An hour of serve time: the second attempt (the station still refuses it).
    let (status, adv) = post(&server, "/clock/advance", json!({"minutes": 60})).await?;
    assert_eq!(status, 200, "{adv}");
    assert_eq!(adv["retries"], json!(1), "{adv}");
    server.shutdown().await;

    let server = start(config(&db, Profile::FlakyReceipts)).await?;
    assert_eq!(server.restored.pending_retries, 1, "{:?}", server.restored);
    // The advance moved serve time to the instant an hour after it began; the wall clock ran
    // on during it, so the offset saved is an hour less those milliseconds (59 whole minutes).
    assert!(
        (59..=60).contains(&server.restored.clock_offset_minutes),
        "{:?}",
        server.restored
    );
    // Hours pass until the (restarted) station accepts it.
    for _ in 0..8 {
        post(&server, "/clock/advance", json!({"minutes": 60})).await?;
    }
    let (_, state) = call("GET", &format!("{}/state", server.control_url), None).await?;
    let payment = state["payments"]
        .as_array()
        .and_then(|p| p.iter().find(|p| p["token"] == json!(token)))
        .expect("the payment")
        .clone();
    let delivery = &payment["deliveries"][0];
    assert_eq!(delivery["result"], json!("delivered"), "{delivery}");
    let ns: Vec<u64> = delivery["attempts"]
        .as_array()
        .expect("attempts")
        .iter()
        .filter_map(|a| a["n"].as_u64())
        .collect();
    assert!(ns.len() >= 3, "{ns:?}");
    assert_eq!(
        ns,
        (1..=ns.len() as u64).collect::<Vec<_>>(),
        "one timeline"
    );
    assert_eq!(
        delivery["attempts"]
            .as_array()
            .and_then(|a| a.last())
            .map(|a| a["outcome"].clone()),
        Some(json!("accepted"))
    );
    server.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stand_in_payment_leaves_its_position_paid_across_a_restart() -> Result {
    let dir = tempfile::tempdir()?;
    let db = dir.path().join("s.db");
    let server = start(config(&db, Profile::Conformant)).await?;
    let id = station_id(&server);
    let (status, entered) =
        post(&server, &format!("/stations/{id}/stand-in"), json!("enter")).await?;
    assert_eq!(status, 200, "{entered}");
    assert_eq!(entered["in_stand_in"], json!(true));
    let (status, again) = post(
        &server,
        &format!("/stations/{id}/stand-in"),
        json!({"action": "enter"}),
    )
    .await?;
    assert_eq!(status, 409, "{again}");

    let qr = notice(&server, FixtureRole::Payable);
    let (_, paid) = post(&server, "/psp/pay", qr.clone()).await?;
    assert_eq!(paid["paid"], json!(true), "{paid}");
    assert_eq!(paid["verify"]["answered_by"], json!("aca"));
    assert_eq!(paid["close"]["stand_in"], json!(true));
    let nav = qr["notice_number"].as_str().expect("nav").to_string();
    let ec = qr["fiscal_code"].as_str().expect("ec").to_string();
    let status_of = |s: &Server| {
        s.service()
            .aca()
            .store()
            .get_by_notice(&ec, &nav)
            .map(|p| p.status.as_str())
    };
    assert_eq!(status_of(&server), Some("PAID"));
    server.shutdown().await;

    let server = start(config(&db, Profile::Conformant)).await?;
    assert_eq!(status_of(&server), Some("PAID"), "{:?}", server.restored);
    assert_eq!(server.restored.stand_in, vec![id.clone()]);
    let (_, state) = call("GET", &format!("{}/state", server.control_url), None).await?;
    let station = &state["stations"][0];
    assert_eq!(station["in_stand_in"], json!(true), "{station}");
    assert!(
        station["transitions"]
            .as_array()
            .is_some_and(|t| t.len() >= 2),
        "the first entry and the one after the restart: {station}"
    );
    // Paid in Stand-In: ACA will not pay it twice.
    let (_, twice) = post(&server, "/psp/verify", qr).await?;
    assert_ne!(twice["outcome"], json!("OK"), "{twice}");
    server.shutdown().await;
    Ok(())
}
