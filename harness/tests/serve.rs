//! `collaudo serve` as a process: positions loaded through the mock ACA and a payment made
//! through the control API are all there after SIGTERM and a restart on the same file; 100
//! concurrent paCreatePosition calls survive even SIGKILL (each is committed before its
//! answer); and the web page renders in headless Chromium without asking for anything outside
//! its own origin.
//!
//! The servers bind port 0 and the test reads the addresses from the readiness line; HTTP is
//! spoken over plain `std::net` sockets, one request per connection.

use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const KEY: &str = "serve-test-key";

/// A running `collaudo serve`.
struct Serve {
    child: Child,
    control: String,
    aca: String,
    station: String,
    lines: Vec<String>,
}

fn collaudo() -> Command {
    Command::new(env!("CARGO_BIN_EXE_collaudo"))
}

impl Serve {
    fn start(db: &Path, extra: &[&str]) -> Serve {
        let mut child = collaudo()
            .args(["serve", "--db"])
            .arg(db)
            .args([
                "--listen",
                "127.0.0.1:0",
                "--aca-listen",
                "127.0.0.1:0",
                "--station-listen",
                "127.0.0.1:0",
                "--aca-key",
                KEY,
            ])
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("collaudo serve starts");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut lines = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = rx
                .recv_timeout(left)
                .unwrap_or_else(|_| panic!("no readiness line; got {lines:?}"));
            let ready = line.starts_with("collaudo serve ready:");
            lines.push(line);
            if ready {
                break;
            }
        }
        let field = |name: &str| {
            lines
                .last()
                .and_then(|l| l.split(' ').find_map(|w| w.strip_prefix(name)))
                .unwrap_or_else(|| panic!("{name} in {lines:?}"))
                .to_string()
        };
        let control = field("control=");
        let aca = field("aca=");
        let station = lines
            .iter()
            .find_map(|l| {
                l.strip_prefix("station 77777777777_01 (embedded): ")
                    .and_then(|rest| rest.split(' ').next())
            })
            .expect("the embedded station's URL")
            .to_string();
        // Keep draining stdout so the server never blocks on a full pipe.
        std::thread::spawn(move || for _ in rx {});
        Serve {
            child,
            control,
            aca,
            station,
            lines,
        }
    }

    fn signal(&mut self, sig: &str) {
        let status = Command::new("kill")
            .args([sig, &self.child.id().to_string()])
            .status()
            .expect("kill");
        assert!(status.success());
    }

    /// SIGTERM, and the exit status.
    fn stop(mut self) -> std::process::ExitStatus {
        self.signal("-TERM");
        self.child.wait().expect("wait")
    }

    /// SIGTERM, and a clean exit (0), said with the status when it is not.
    fn stop_cleanly(self) {
        let status = self.stop();
        assert!(
            status.success(),
            "collaudo serve did not exit cleanly on SIGTERM: {status:?} (its stderr is above)"
        );
    }

    fn get(&self, path: &str) -> Value {
        let (status, body) = http("GET", &format!("{}{path}", self.control), &[], "");
        assert_eq!(status, 200, "GET {path}: {body}");
        serde_json::from_str(&body).expect("JSON")
    }

    fn post(&self, path: &str, body: &Value) -> (u16, Value) {
        let (status, text) = http(
            "POST",
            &format!("{}{path}", self.control),
            &[],
            &body.to_string(),
        );
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One HTTP/1.1 request on its own connection; the status and the body.
fn http(method: &str, url: &str, headers: &[(&str, &str)], body: &str) -> (u16, String) {
    let rest = url.strip_prefix("http://").expect("http URL");
    let (host, path) = rest
        .split_once('/')
        .map_or((rest, "/".to_string()), |(h, p)| (h, format!("/{p}")));
    let mut s = TcpStream::connect(host).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(60)))
        .expect("timeout");
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    req.push_str(body);
    s.write_all(req.as_bytes()).expect("send");
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).expect("read");
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").expect("a head");
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("a status");
    let body = if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        dechunk(body)
    } else {
        body.to_string()
    };
    (status, body)
}

fn dechunk(mut s: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = s.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 {
            break;
        }
        out.push_str(&rest[..n]);
        s = &rest[n + 2..];
    }
    out
}

fn position(iuv: &str, amount: i64) -> String {
    json!({
        "paFiscalCode": "77777777777",
        "entityType": "F",
        "entityFiscalCode": "RSSMRA80A01H501U",
        "entityFullName": "Mario Rossi",
        "iuv": iuv,
        "amount": amount,
        "description": "TARI 2026",
        "expirationDate": "2030-12-31T23:59:59+01:00",
    })
    .to_string()
}

fn create_position(aca: &str, iuv: &str, amount: i64) -> (u16, String) {
    http(
        "POST",
        aca,
        &[("Ocp-Apim-Subscription-Key", KEY)],
        &position(iuv, amount),
    )
}

fn positions_by_iuv(state: &Value) -> std::collections::BTreeMap<String, Value> {
    state["positions"]
        .as_array()
        .expect("positions")
        .iter()
        .map(|p| (p["iuv"].as_str().unwrap_or_default().to_string(), p.clone()))
        .collect()
}

#[test]
fn positions_payments_and_receipt_attempts_survive_sigterm_and_a_restart() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("serve.db");
    // flaky-receipts: the station refuses each receipt's first deliveries, so the receipt
    // has a timeline of several attempts, one still due at the restart.
    let serve = Serve::start(&db, &["--profile", "flaky-receipts"]);
    let state = serve.get("/state?limit=100000");
    let registered = state["positions_total"].as_u64().expect("total");
    assert!(
        registered > 0,
        "the embedded station registers its notices at start"
    );

    // One position of our own, then an update of it: two calls in its history.
    let iuv = "09000000000000123";
    assert_eq!(create_position(&serve.aca, iuv, 1500).0, 200);
    let (status, body) = create_position(&serve.aca, iuv, 1750);
    assert_eq!(status, 200, "{body}");
    // A wrong key is refused and stores nothing.
    let (status, _) = http(
        "POST",
        &serve.aca,
        &[("Ocp-Apim-Subscription-Key", "x")],
        &position("09000000000000999", 1),
    );
    assert_eq!(status, 401);

    // Pay a notice of the station's through the control API.
    let (_, notices) = http(
        "GET",
        &format!(
            "{}/_collaudo/fixtures/notices",
            serve.station.trim_end_matches("/pagopa/station")
        ),
        &[],
        "",
    );
    let notices: Value = serde_json::from_str(&notices).expect("notices JSON");
    let payable = notices["payable"][0]
        .as_str()
        .expect("a payable notice")
        .to_string();
    let (status, paid) = serve.post(
        "/psp/pay",
        &json!({"fiscal_code": "77777777777", "notice_number": payable}),
    );
    assert_eq!(status, 200, "{paid}");
    assert_eq!(paid["paid"], json!(true), "{paid}");
    let token = paid["close"]["token"].as_str().expect("token").to_string();
    // A second notice only activated: an open payment.
    let other = notices["payable-v2"][0]
        .as_str()
        .expect("a payable-v2 notice")
        .to_string();
    let (_, act) = serve.post(
        "/psp/activate",
        &json!({"fiscal_code": "77777777777", "notice_number": other}),
    );
    let open_token = act["token"].as_str().expect("an open payment").to_string();
    // An hour passes: a second delivery attempt.
    let (_, adv) = serve.post("/clock/advance", &json!({"minutes": 60}));
    assert_eq!(adv["retries"], json!(1), "{adv}");

    let before = serve.get("/state?limit=100000");
    assert_eq!(before["positions_total"].as_u64(), Some(registered + 1));
    let status = serve.stop();
    assert!(status.success(), "SIGTERM stops it cleanly: {status}");

    let serve = Serve::start(&db, &["--profile", "flaky-receipts"]);
    assert!(
        serve.lines.iter().any(|l| l.contains(&format!(
            "{} positions, 1 open payments, 1 receipt retries due restored",
            registered + 1
        ))),
        "{:?}",
        serve.lines
    );
    let after = serve.get("/state?limit=100000");
    assert_eq!(after["positions_total"], before["positions_total"]);
    let (b, a) = (positions_by_iuv(&before), positions_by_iuv(&after));
    assert_eq!(a[iuv]["amount"], json!("17.50"));
    assert_eq!(
        a[iuv]["history"].as_array().map(Vec::len),
        Some(2),
        "{}",
        a[iuv]
    );
    // The restarted embedded station loads its notices into ACA again (what an EC does at
    // start): their histories grow by that update, the rest is as it was.
    for (k, p) in &b {
        let h = |x: &Value| x["history"].as_array().cloned().unwrap_or_default();
        assert!(
            h(&a[k]).starts_with(&h(p)),
            "position {k}: {} then {}",
            p["history"],
            a[k]["history"]
        );
        assert_eq!(
            a.get(k).map(|x| (&x["status"], &x["amount"])),
            Some((&p["status"], &p["amount"])),
            "position {k}"
        );
    }
    assert_eq!(after["payments_total"], json!(2));
    assert_eq!(after["payments_open"], json!(1));
    let find = |state: &Value, token: &str| {
        state["payments"]
            .as_array()
            .and_then(|p| p.iter().find(|p| p["token"] == json!(token)))
            .cloned()
            .expect("the payment")
    };
    assert_eq!(
        find(&after, &token),
        find(&before, &token),
        "payment and attempts intact"
    );
    let attempts = find(&after, &token)["deliveries"][0]["attempts"]
        .as_array()
        .map(Vec::len);
    assert_eq!(attempts, Some(2));
    // The open payment can still be closed; the due retry goes on.
    let (status, closed) = serve.post("/psp/close", &json!({"token": open_token}));
    assert_eq!(status, 200, "{closed}");
    let (_, adv) = serve.post("/clock/advance", &json!({"minutes": 60}));
    assert!(adv["retries"].as_u64().unwrap_or(0) >= 1, "{adv}");
    let third = find(&serve.get("/state"), &token)["deliveries"][0]["attempts"]
        .as_array()
        .map(Vec::len);
    assert_eq!(third, Some(3));
    serve.stop_cleanly();
}

#[test]
fn a_hundred_concurrent_positions_are_all_there_after_sigkill() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("serve.db");
    let mut serve = Serve::start(&db, &[]);
    let base = serve.get("/state")["positions_total"]
        .as_u64()
        .expect("total");
    let aca = serve.aca.clone();
    let barrier = std::sync::Arc::new(std::sync::Barrier::new(100));
    let threads: Vec<_> = (0..100)
        .map(|i| {
            let (aca, barrier) = (aca.clone(), barrier.clone());
            std::thread::spawn(move || {
                barrier.wait();
                create_position(&aca, &format!("08{i:015}"), 100 + i)
            })
        })
        .collect();
    for t in threads {
        let (status, body) = t.join().expect("thread");
        assert_eq!(status, 200, "{body}");
    }
    // Every 200 was committed before it was sent: even SIGKILL loses none.
    serve.signal("-KILL");
    let _ = serve.child.wait();
    drop(serve);
    let serve = Serve::start(&db, &[]);
    let state = serve.get("/state?limit=100000");
    assert_eq!(state["positions_total"].as_u64(), Some(base + 100));
    let by = positions_by_iuv(&state);
    for i in 0..100i64 {
        let p = by
            .get(&format!("08{i:015}"))
            .unwrap_or_else(|| panic!("position {i}"));
        assert_eq!(p["status"], json!("VALID"));
        assert_eq!(
            p["amount"],
            json!(format!("{}.{:02}", (100 + i) / 100, (100 + i) % 100))
        );
    }
    serve.stop_cleanly();
}

// ---- the page in headless Chromium ----

fn chromium() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .flat_map(|name| std::env::split_paths(&path).map(move |dir| dir.join(name)))
        .find(|p| p.is_file())
}

fn run_chromium(bin: &Path, work: &Path, name: &str, url: &str, extra: &[String]) -> PathBuf {
    let stdout = work.join(format!("{name}.stdout"));
    let mut child = Command::new(bin)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-extensions",
            "--disable-default-apps",
            // Only the page's loopback address is reachable: every name fails to resolve and
            // any other connection goes to a closed proxy; the net log still shows a request.
            "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
            "--proxy-server=socks5://127.0.0.1:9",
        ])
        .arg(format!(
            "--user-data-dir={}",
            work.join(format!("profile-{name}")).display()
        ))
        .args(extra)
        .arg(url)
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&stdout).expect("stdout file"))
        .stderr(Stdio::null())
        .spawn()
        .expect("chromium starts");
    let started = Instant::now();
    loop {
        match child.try_wait().expect("wait") {
            Some(status) => {
                assert!(status.success(), "{name}: chromium exited with {status}");
                return stdout;
            }
            None if started.elapsed() > Duration::from_secs(60) => {
                let _ = child.kill();
                panic!("{name}: chromium did not finish in 60 s");
            }
            None => std::thread::sleep(Duration::from_millis(50)),
        }
    }
}

/// The URLs a page asked for (not the browser's own background requests), from a net log.
fn page_requests(net_log: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(net_log).expect("net log");
    let log: Value = serde_json::from_str(&text)
        .or_else(|_| serde_json::from_str(&format!("{}]}}", text.trim_end().trim_end_matches(','))))
        .expect("net log JSON");
    let start_job = log["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"]
        .as_u64()
        .expect("URL_REQUEST_START_JOB");
    log["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter(|e| e["type"].as_u64() == Some(start_job))
        .filter(|e| e["params"]["initiator"].as_str() != Some("not an origin"))
        .filter_map(|e| e["params"]["url"].as_str().map(str::to_owned))
        .collect()
}

#[test]
fn the_page_renders_in_headless_chromium_asking_for_nothing_outside() {
    let Some(bin) = chromium() else {
        let why = "chromium is not installed (apt-get install chromium)";
        assert!(
            std::env::var("COLLAUDO_REQUIRE_CHROMIUM").as_deref() != Ok("1"),
            "COLLAUDO_REQUIRE_CHROMIUM=1 but {why}"
        );
        eprintln!("skipped: {why}");
        return;
    };
    let work = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("serve-chromium");
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work).expect("work dir");
    let dir = tempfile::tempdir().expect("tempdir");
    let serve = Serve::start(
        &dir.path().join("serve.db"),
        &["--profile", "flaky-receipts"],
    );
    // Something in every section: a payment with a pending retry, a Stand-In transition, and
    // a position whose text would break the page if it were not escaped.
    let (_, notices) = http(
        "GET",
        &format!(
            "{}/_collaudo/fixtures/notices",
            serve.station.trim_end_matches("/pagopa/station")
        ),
        &[],
        "",
    );
    let notices: Value = serde_json::from_str(&notices).expect("notices JSON");
    let payable = notices["payable"][0].as_str().expect("payable").to_string();
    let (_, paid) = serve.post(
        "/psp/pay",
        &json!({"fiscal_code": "77777777777", "notice_number": payable}),
    );
    assert_eq!(paid["paid"], json!(true), "{paid}");
    let (status, _) = serve.post("/stations/77777777777_01/stand-in", &json!("enter"));
    assert_eq!(status, 200);
    let hostile = json!({
        "paFiscalCode": "77777777777", "entityType": "F", "entityFiscalCode": "RSSMRA80A01H501U",
        "entityFullName": "<img src=\"http://leak.invalid/x.png\">", "iuv": "07000000000000001",
        "amount": 100, "description": "<script>document.title='pwned'</script>",
        "expirationDate": "2030-12-31T23:59:59+01:00",
    });
    let (status, _) = http(
        "POST",
        &serve.aca,
        &[("Ocp-Apim-Subscription-Key", KEY)],
        &hostile.to_string(),
    );
    assert_eq!(status, 200);

    let url = format!("{}/", serve.control);
    let net_log = work.join("netlog.json");
    let dom = run_chromium(
        &bin,
        &work,
        "dom",
        &url,
        &[
            format!("--log-net-log={}", net_log.display()),
            "--dump-dom".into(),
        ],
    );
    let dom = std::fs::read_to_string(dom).expect("dom");
    for needle in [
        "collaudo serve",
        "Stations (2)",
        "ACA positions",
        "Payments and receipts",
        "Journal",
        "Stand-In",
        "77777777777_01",
        "Receipt retries due",
        payable.as_str(),
    ] {
        assert!(dom.contains(needle), "the page shows {needle:?}");
    }
    assert!(!dom.contains("<img"), "no image element came to life");
    assert!(!dom.contains("pwned"), "no script ran");
    let origin = serve.control.clone();
    let outside: Vec<String> = page_requests(&net_log)
        .into_iter()
        .filter(|u| !u.starts_with(&origin))
        .collect();
    assert!(
        outside.is_empty(),
        "the page asked for something outside its origin: {outside:?}"
    );

    let shot = work.join("serve-page.png");
    run_chromium(
        &bin,
        &work,
        "shot",
        &url,
        &[
            format!("--screenshot={}", shot.display()),
            "--window-size=1280,2000".into(),
            "--hide-scrollbars".into(),
        ],
    );
    let png = std::fs::read(&shot).expect("screenshot");
    assert!(
        png.starts_with(b"\x89PNG") && png.len() > 10_000,
        "a real screenshot"
    );
    eprintln!("screenshot: {}", shot.display());
    serve.stop_cleanly();
}

// ---- signals ----

/// A supervisor that sends SIGTERM the moment it reads the readiness line must get a clean
/// stop with the commit, not the default action of an unhandled signal: the handlers are
/// installed before that line is printed.
#[test]
fn sigterm_right_after_the_readiness_line_still_stops_cleanly() {
    for _ in 0..5 {
        let dir = tempfile::tempdir().expect("tempdir");
        let serve = Serve::start(&dir.path().join("serve.db"), &[]);
        serve.stop_cleanly();
    }
}

// ---- help ----

#[test]
fn serve_help_teaches_the_endpoints_and_examples() {
    let out = collaudo()
        .args(["serve", "--help"])
        .env("COLUMNS", "100")
        .output()
        .expect("collaudo serve --help");
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for needle in [
        "POST /psp/pay",
        "POST /stations/ID/stand-in",
        "POST /clock/advance",
        "Examples:",
        "collaudo serve ready: control=URL aca=URL",
    ] {
        assert!(text.contains(needle), "{needle}");
    }
    insta::assert_snapshot!("serve_help", text);
}

#[test]
fn serve_refuses_a_config_without_a_station_and_a_bad_sync_mode() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = dir.path().join("collaudo.toml");
    std::fs::write(
        &cfg,
        "[aca]\nlisten = \"127.0.0.1:0\"\nsubscription_key = \"k\"\n",
    )
    .expect("write");
    let out = collaudo()
        .args(["serve", "--config"])
        .arg(&cfg)
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("names no station"));
    let out = collaudo()
        .args(["serve", "--sync", "sometimes"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
}

// ---- an asynchronous EC through the mock GPD ----

#[test]
fn an_asynchronous_ecs_notice_is_paid_from_the_mock_gpd() {
    const EC: &str = "80000000001";
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("serve.db");
    // The mock GPD on a free port, and EC as an asynchronous EC: the same at each start.
    let args = [
        "--gpd-listen",
        "127.0.0.1:0",
        "--gpd-key",
        KEY,
        "--async-ec",
        EC,
    ];
    let serve = Serve::start(&db, &args);
    let gpd = serve
        .lines
        .last()
        .and_then(|l| l.split(' ').find_map(|w| w.strip_prefix("gpd=")))
        .unwrap_or_else(|| panic!("gpd= in {:?}", serve.lines))
        .to_string();
    // Due in 30 days of serve time (the wall clock).
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_millis();
    let due = collaudo_nodo::VirtualTime::from_millis(
        i64::try_from(now_ms).expect("ms") + 30 * 86_400_000,
    )
    .to_string();
    let position = json!({
        "iupd": "IUPD-ASYNC-1", "type": "F", "fiscalCode": "RSSMRA80A01H501U",
        "fullName": "Mario Rossi", "companyName": "Comune Asincrono", "switchToExpired": false,
        "paymentOption": [{
            "iuv": "01000000000000001", "amount": 10_000, "description": "TARI 2026",
            "isPartialPayment": false, "dueDate": due,
            "transfer": [{"idTransfer": "1", "amount": 10_000, "remittanceInformation": "TARI",
                          "category": "9/0101108TS/", "iban": "IT60X0542811101000000123456"}],
        }],
    });
    let positions = format!("{gpd}/gpd/debt-positions-service/v1/organizations/{EC}/debtpositions");
    let key = [
        ("Ocp-Apim-Subscription-Key", KEY),
        ("Content-Type", "application/json"),
    ];
    let (status, text) = http(
        "POST",
        &format!("{positions}?toPublish=true"),
        &key,
        &position.to_string(),
    );
    assert_eq!(status, 201, "{text}");

    // The PSP pays it: GPD-Payments answers for the EC, no station is called.
    let (status, paid) = serve.post(
        "/psp/pay",
        &json!({"fiscal_code": EC, "notice_number": "301000000000000001"}),
    );
    assert_eq!(status, 200, "{paid}");
    assert_eq!(paid["paid"], json!(true), "{paid}");
    assert_eq!(paid["verify"]["answered_by"], json!("gpd"), "{paid}");

    // GPD holds the position PAID.
    let (status, text) = http("GET", &format!("{positions}/IUPD-ASYNC-1"), &key, "");
    assert_eq!(status, 200, "{text}");
    let got: Value = serde_json::from_str(&text).expect("JSON");
    assert_eq!(got["status"], json!("PAID"), "{got}");

    // A draft and a deleted position, then a restart on the same file: the mock GPD's
    // positions, their statuses and the receipt come back; the deleted one does not.
    let draft = |iupd: &str, iuv: &str| {
        let mut p = position.clone();
        p["iupd"] = json!(iupd);
        p["paymentOption"][0]["iuv"] = json!(iuv);
        p
    };
    for (iupd, iuv) in [
        ("IUPD-ASYNC-2", "01000000000000002"),
        ("IUPD-ASYNC-3", "01000000000000003"),
    ] {
        let (status, text) = http("POST", &positions, &key, &draft(iupd, iuv).to_string());
        assert_eq!(status, 201, "{text}");
    }
    let (status, text) = http("DELETE", &format!("{positions}/IUPD-ASYNC-3"), &key, "");
    assert_eq!(status, 200, "{text}");
    serve.stop_cleanly();

    let serve = Serve::start(&db, &args);
    assert!(
        serve
            .lines
            .iter()
            .any(|l| l.contains("mock GPD:") && l.contains("2 positions restored")),
        "{:?}",
        serve.lines
    );
    let gpd = serve
        .lines
        .last()
        .and_then(|l| l.split(' ').find_map(|w| w.strip_prefix("gpd=")))
        .expect("gpd=")
        .to_string();
    let positions = format!("{gpd}/gpd/debt-positions-service/v1/organizations/{EC}/debtpositions");
    let status_of = |iupd: &str| {
        let (status, text) = http("GET", &format!("{positions}/{iupd}"), &key, "");
        if status != 200 {
            return format!("HTTP {status}");
        }
        let v: Value = serde_json::from_str(&text).expect("JSON");
        v["status"].as_str().unwrap_or_default().to_string()
    };
    assert_eq!(status_of("IUPD-ASYNC-1"), "PAID");
    assert_eq!(status_of("IUPD-ASYNC-2"), "DRAFT");
    assert_eq!(status_of("IUPD-ASYNC-3"), "HTTP 404");
    let (status, text) = http(
        "GET",
        &format!("{gpd}/gpd/payments-receipts-service/v1/payments/{EC}/receipts/01000000000000001"),
        &key,
        "",
    );
    assert_eq!(status, 200, "the pull receipt after the restart: {text}");
    // The IUVs stay taken: a new position cannot reuse the paid one's.
    let (status, text) = http(
        "POST",
        &positions,
        &key,
        &draft("IUPD-ASYNC-4", "01000000000000001").to_string(),
    );
    assert_eq!(status, 409, "{text}");
    serve.stop_cleanly();
}

// ---- a Checkout cart ----

#[test]
fn a_checkout_cart_pays_every_notice_with_the_cart_id_as_payment_note() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("serve.db");
    let journal = dir.path().join("exchanges.jsonl");
    let journal_arg = journal.to_str().expect("utf-8 path").to_string();
    let serve = Serve::start(&db, &["--journal", &journal_arg]);
    let (status, notices) = http(
        "GET",
        &format!(
            "{}/_collaudo/fixtures/notices",
            serve.station.trim_end_matches("/pagopa/station")
        ),
        &[],
        "",
    );
    assert_eq!(status, 200, "{notices}");
    let notices: Value = serde_json::from_str(&notices).expect("JSON");
    let payable = |role: &str, i: usize| {
        notices[role][i]
            .as_str()
            .unwrap_or_else(|| panic!("{role}[{i}] in {notices}"))
            .to_string()
    };
    let cart = |list: &[String]| {
        json!({
            "id_cart": "CART-42",
            "notices": list
                .iter()
                .map(|n| json!({"fiscal_code": "77777777777", "notice_number": n}))
                .collect::<Vec<_>>(),
        })
    };
    let two = [payable("payable", 0), payable("payable-v2", 0)];
    let (status, v) = serve.post("/psp/cart", &cart(&two));
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["paid"], json!(true), "{v}");
    assert_eq!(v["notices"].as_array().map(Vec::len), Some(2), "{v}");
    for line in v["notices"].as_array().expect("notices") {
        assert!(line["close"].is_object(), "{line}");
    }
    // The station saw the cart id as paymentNote in each activation (the journal keeps them).
    let state = serve.get("/state?limit=1000");
    let text = state.to_string();
    assert!(
        text.contains("CART-42") || v.to_string().contains("CART-42"),
        "{v}"
    );

    // Six notices is not a Checkout cart.
    let six: Vec<String> = (1..7).map(|i| payable("payable", i)).collect();
    let (status, err) = serve.post("/psp/cart", &cart(&six));
    assert_eq!(status, 400, "{err}");
    assert!(err.to_string().contains("1 to 5"), "{err}");
    // A cart stops at the first notice that does not verify: nothing is paid.
    let (status, v) = serve.post(
        "/psp/cart",
        &cart(&[payable("payable-v2", 1), payable("unknown", 0)]),
    );
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["paid"], json!(false), "{v}");
    assert_eq!(v["stopped_at"]["notice"], json!(1), "{v}");
    assert_eq!(v["stopped_at"]["step"], json!("verify"), "{v}");
    assert!(v["notices"][0]["close"].is_null(), "{v}");
    serve.stop_cleanly();
}
