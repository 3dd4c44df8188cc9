//! The mock Nodo against hostile stations: every way a station can answer badly (or not at
//! all) must end as the right Nodo outcome, with the raw exchange in the journal file.
//!
//! Stations are wiremock servers, plus a few raw TCP servers for what wiremock cannot do
//! (a body that never ends, a firehose without Content-Length, a connection reset, keep-alive
//! accounting). Real timeouts are shortened to a few hundred milliseconds.

use collaudo_nodo::client::INJECTED_HEADER;
use collaudo_nodo::transport::UnavailableAnswer;
use collaudo_nodo::{
    BackOffice, CheckPolicy, Clock, Corruption, Exchange, Fault, HygieneWarning, Journal,
    NodoClient, NodoOutcome, SoapActionStyle, StandInRules, StationMonitor, StationTarget,
    SystemClock, Timeouts, TrafficModel, TransportErrorKind, VirtualClock, judge,
};
use collaudo_wire::ident::{NoticeNumber, iban};
use collaudo_wire::{
    Amount, Beneficiary, Caller, EntityType, FaultBean, FaultCode, GetPaymentRes, Message, Outcome,
    PaymentData, QrCode, Subject, Transfer, VerifyPaymentNoticeRes, soap_fault_xml,
};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

const EC: &str = "77777777777";
const SHORT: Duration = Duration::from_millis(300);

fn main_iban() -> String {
    iban::italian(3069, 1, 123, false)
}

fn backoffice() -> BackOffice {
    BackOffice::default()
        .with_ec(EC, Some("Comune di Prova"))
        .with_iban(EC, &main_iban(), false)
}

fn qr() -> QrCode {
    QrCode {
        fiscal_code: EC.into(),
        notice_number: NoticeNumber::aux3(1, 1).unwrap().as_str().to_string(),
    }
}

fn target(url: String) -> StationTarget {
    StationTarget {
        url,
        caller: Caller {
            id_pa: EC.into(),
            id_broker_pa: EC.into(),
            id_station: format!("{EC}_01"),
        },
        soap_action_style: SoapActionStyle::Quoted,
    }
}

struct Harness {
    _dir: tempfile::TempDir,
    path: PathBuf,
    journal: Arc<Journal>,
    clock: VirtualClock,
}

impl Harness {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.jsonl");
        let journal = Arc::new(Journal::create(&path).unwrap());
        Harness {
            _dir: dir,
            path,
            journal,
            clock: VirtualClock::new("2026-11-25T10:00:00.000Z".parse().unwrap()),
        }
    }

    fn client(&self, url: String, timeouts: Timeouts) -> NodoClient {
        NodoClient::new(
            target(url),
            Default::default(),
            timeouts,
            Arc::new(self.clock.clone()),
            self.journal.clone(),
        )
        .unwrap()
    }

    /// The journal's exchange and classification lines. Every exchange line completes the
    /// request line written before the call (`{"sending":N,"request":..}`), which is checked
    /// here and left out.
    fn lines(&self) -> Vec<serde_json::Value> {
        let all: Vec<serde_json::Value> = std::fs::read_to_string(&self.path)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        let (sent, rest): (Vec<_>, Vec<_>) =
            all.into_iter().partition(|l| l.get("request").is_some());
        let completed: Vec<_> = rest.iter().filter_map(|l| l.get("sending")).collect();
        assert_eq!(
            sent.iter().map(|l| &l["sending"]).collect::<Vec<_>>(),
            completed,
            "each request is journalled before its exchange, and completed by it"
        );
        rest
    }
}

fn verify_ko(code: &str) -> String {
    Message::VerifyPaymentNoticeRes(VerifyPaymentNoticeRes {
        outcome: Outcome::Ko,
        fault: Some(FaultBean::new(
            FaultCode::parse(code),
            "pagamento sconosciuto",
            EC,
        )),
        payment_option: None,
        payment_description: None,
        fiscal_code_pa: None,
        company_name: None,
        office_name: None,
    })
    .to_xml()
}

fn get_payment_v2_ok() -> String {
    let nav = NoticeNumber::aux3(1, 1).unwrap();
    Message::GetPaymentV2Res(Box::new(GetPaymentRes {
        outcome: Outcome::Ok,
        fault: None,
        data: Some(PaymentData {
            creditor_reference_id: nav.iuv().to_string(),
            payment_amount: Amount::from_cents(12_050),
            due_date: "2026-12-31".into(),
            retention_date: None,
            last_payment: None,
            description: "TARI 2026".into(),
            company_name: Some("Comune di Prova".into()),
            office_name: None,
            debtor: Subject {
                entity_type: EntityType::G,
                entity_value: "12345678901".into(),
                full_name: "Ditta Srl".into(),
                street_name: None,
                civic_number: None,
                postal_code: None,
                city: None,
                state_province_region: None,
                country: None,
                email: None,
            },
            transfers: vec![Transfer {
                id_transfer: 1,
                transfer_amount: Amount::from_cents(12_050),
                fiscal_code_pa: EC.into(),
                company_name: None,
                beneficiary: Beneficiary::Iban(main_iban()),
                remittance_information: "TARI 2026".into(),
                transfer_category: "9/0101100IM/".into(),
                metadata: Vec::new(),
            }],
            metadata: Vec::new(),
        }),
    }))
    .to_xml()
}

async fn wiremock_station(template: ResponseTemplate) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(template)
        .mount(&server)
        .await;
    server
}

fn code(outcome: &NodoOutcome) -> String {
    outcome.psp_fault_code().unwrap_or_else(|| "OK".into())
}

const ERRORE_RESPONSE: &str = "PPT_STAZIONE_INT_PA_ERRORE_RESPONSE";
const TIMEOUT: &str = "PPT_STAZIONE_INT_PA_TIMEOUT";
const IRRAGGIUNGIBILE: &str = "PPT_STAZIONE_INT_PA_IRRAGGIUNGIBILE";
const EMESSO_DA_PAA: &str = "PPT_ERRORE_EMESSO_DA_PAA";

struct Case {
    name: &'static str,
    template: ResponseTemplate,
    /// The bytes served, to compare with the journal (None when not kept whole).
    served: Option<Vec<u8>>,
    v2_get_payment: bool,
    expect: &'static str,
}

fn raw(status: u16, content_type: &str, body: Vec<u8>) -> (ResponseTemplate, Option<Vec<u8>>) {
    (
        ResponseTemplate::new(status).set_body_raw(body.clone(), content_type),
        Some(body),
    )
}

fn cases() -> Vec<Case> {
    let ok = get_payment_v2_ok().into_bytes();
    let mut invalid_utf8 = verify_ko("PAA_PAGAMENTO_SCONOSCIUTO").into_bytes();
    let at = invalid_utf8.len() / 2;
    invalid_utf8.splice(at..at, [0xC3, 0x28]);
    let huge = vec![b'x'; NodoClient::DEFAULT_BODY_LIMIT + 1];
    let case = |name, (template, served), v2_get_payment, expect| Case {
        name,
        template,
        served,
        v2_get_payment,
        expect,
    };
    vec![
        case(
            "empty body",
            (ResponseTemplate::new(200), Some(Vec::new())),
            false,
            ERRORE_RESPONSE,
        ),
        case(
            "html error page",
            raw(
                502,
                "text/html",
                b"<html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1></body></html>"
                    .to_vec(),
            ),
            false,
            ERRORE_RESPONSE,
        ),
        case(
            "truncated xml",
            raw(200, "text/xml", ok[..ok.len() / 2].to_vec()),
            true,
            ERRORE_RESPONSE,
        ),
        case(
            "body over 10 MiB",
            (ResponseTemplate::new(200).set_body_raw(huge, "text/xml"), None),
            false,
            ERRORE_RESPONSE,
        ),
        case(
            "invalid utf-8",
            raw(200, "text/xml", invalid_utf8),
            false,
            ERRORE_RESPONSE,
        ),
        case(
            "http 500 with soap fault",
            raw(
                500,
                "text/xml",
                soap_fault_xml("soapenv:Server", "java.lang.NullPointerException").into_bytes(),
            ),
            false,
            ERRORE_RESPONSE,
        ),
        case(
            "http 500 with a valid KO",
            raw(
                500,
                "text/xml",
                verify_ko("PAA_SYSTEM_ERROR").into_bytes(),
            ),
            false,
            EMESSO_DA_PAA,
        ),
        case(
            "slow station",
            {
                let (t, served) = raw(200, "text/xml", verify_ko("PAA_PAGAMENTO_SCONOSCIUTO").into_bytes());
                (t.set_delay(Duration::from_secs(3)), served.map(|_| Vec::new()))
            },
            false,
            TIMEOUT,
        ),
        case("valid OK", raw(200, "text/xml; charset=utf-8", ok), true, "OK"),
        case(
            "valid KO",
            raw(
                200,
                "text/xml",
                verify_ko("PAA_PAGAMENTO_SCONOSCIUTO").into_bytes(),
            ),
            false,
            EMESSO_DA_PAA,
        ),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_stations_are_judged_and_journalled() {
    let h = Harness::new();
    let cases = cases();
    let mut seen: Vec<(Exchange, Option<Vec<u8>>)> = Vec::new();
    for (i, c) in cases.into_iter().enumerate() {
        let server = wiremock_station(c.template).await;
        let client = h.client(format!("{}/pa", server.uri()), Timeouts::uniform(SHORT));
        let request = if c.v2_get_payment {
            client.get_payment(qr(), Some(Amount::from_cents(12_050)), true, None)
        } else {
            client.verify(qr())
        };
        let started = Instant::now();
        let ex = client.send(&request, None, Some("hostile"), Some(i)).await;
        let elapsed = started.elapsed();
        let j = judge(&ex, &request, &backoffice(), &CheckPolicy::default());
        h.journal.update_classification(ex.seq, j.outcome.label());
        assert_eq!(code(&j.outcome), c.expect, "{}: {j:#?}", c.name);
        assert!(
            elapsed < SHORT + Duration::from_millis(700),
            "{}: took {elapsed:?}",
            c.name
        );
        match c.name {
            "body over 10 MiB" => {
                let err = ex.transport_error.as_ref().unwrap();
                assert_eq!(err.kind, TransportErrorKind::BodyTooLarge);
            }
            "slow station" => {
                assert_eq!(
                    ex.transport_error.as_ref().unwrap().kind,
                    TransportErrorKind::Timeout
                );
            }
            "http 500 with a valid KO" => {
                assert!(
                    j.hygiene
                        .contains(&HygieneWarning::HttpStatus { status: 500 })
                );
            }
            "html error page" => {
                assert!(j.hygiene.contains(&HygieneWarning::ContentType {
                    found: Some("text/html".into())
                }));
            }
            "valid OK" => {
                // What the station received is exactly what the Nodo sends.
                let got = server.received_requests().await.unwrap();
                assert_eq!(got.len(), 1);
                let headers = &got[0].headers;
                assert_eq!(headers["soapaction"], "\"paGetPaymentV2\"");
                assert_eq!(headers["content-type"], "text/xml; charset=utf-8");
                let parsed = collaudo_wire::parse(&got[0].body);
                assert!(parsed.is_valid(), "{:?}", parsed.violations);
                assert_eq!(parsed.message.as_ref(), Some(&request));
                assert_eq!(got[0].body, ex.request_body.as_bytes());
            }
            _ => {}
        }
        seen.push((ex, c.served));
    }

    // One JSON line per exchange plus one per classification, exchanges streamed in order.
    let lines = h.lines();
    let exchanges: Vec<&serde_json::Value> = lines
        .iter()
        .filter(|l| l.get("primitive").is_some())
        .collect();
    assert_eq!(exchanges.len(), seen.len());
    assert_eq!(lines.len(), 2 * seen.len());
    let loaded = Journal::load(&h.path).unwrap();
    let in_memory = h.journal.entries();
    assert_eq!(loaded.len(), in_memory.len());
    for (a, b) in loaded.iter().zip(&in_memory) {
        // serde_json does not promise exact f64 round trips; everything else must be equal.
        assert!((a.latency_ms - b.latency_ms).abs() < 0.01);
        let same = Exchange {
            latency_ms: b.latency_ms,
            ..a.clone()
        };
        assert_eq!(&same, b);
    }
    for ((ex, served), back) in seen.iter().zip(&loaded) {
        assert_eq!(back.seq, ex.seq);
        assert!(back.classification.is_some());
        if let Some(bytes) = served {
            if ex.transport_error.is_none() {
                assert_eq!(
                    &back.response.as_ref().unwrap().body,
                    bytes,
                    "raw bytes kept"
                );
            }
        }
    }
    let utf8_line = exchanges.iter().find(|l| l["step"] == 4).unwrap();
    assert_eq!(utf8_line["response"]["body_encoding"], "base64");
    // The over-large body keeps only a bounded prefix as evidence.
    let big = &loaded[3];
    assert!(big.response.as_ref().unwrap().body.len() <= 64 * 1024);
}

/// A raw TCP station: `handler` gets each accepted connection. Returns the URL and the number
/// of connections accepted.
async fn raw_station<F, Fut>(handler: F) -> (String, Arc<AtomicUsize>)
where
    F: Fn(TcpStream) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let accepted = Arc::new(AtomicUsize::new(0));
    let count = accepted.clone();
    let handler = Arc::new(handler);
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            count.fetch_add(1, Ordering::SeqCst);
            let handler = handler.clone();
            tokio::spawn(async move { handler(stream).await });
        }
    });
    (format!("http://{addr}/pa"), accepted)
}

/// Read one HTTP/1.1 request (headers and Content-Length body); false on EOF.
async fn read_request(stream: &mut TcpStream) -> bool {
    let mut buf = Vec::new();
    let mut byte = [0u8; 1];
    while !buf.ends_with(b"\r\n\r\n") {
        match stream.read(&mut byte).await {
            Ok(1) => buf.push(byte[0]),
            _ => return false,
        }
    }
    let head = String::from_utf8_lossy(&buf).to_ascii_lowercase();
    let len: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    let mut body = vec![0u8; len];
    stream.read_exact(&mut body).await.is_ok()
}

#[tokio::test]
async fn a_body_that_never_ends_is_a_timeout_with_partial_evidence() {
    let h = Harness::new();
    let (url, _) = raw_station(|mut s: TcpStream| async move {
        if read_request(&mut s).await {
            let _ = s
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-type: text/xml\r\ncontent-length: 5000\r\n\r\n<soapenv:Envelope")
                .await;
            // Hold the connection open without sending the rest (bounded: the test ends first).
            tokio::time::sleep(Duration::from_secs(10)).await;
        }
    })
    .await;
    let client = h.client(url, Timeouts::uniform(SHORT));
    let req = client.verify(qr());
    let started = Instant::now();
    let ex = client.send(&req, None, None, None).await;
    assert!(started.elapsed() < Duration::from_secs(2));
    let err = ex.transport_error.as_ref().unwrap();
    assert_eq!(err.kind, TransportErrorKind::Timeout);
    assert!(
        err.message.contains("body was not complete"),
        "{}",
        err.message
    );
    assert_eq!(ex.response.as_ref().unwrap().body, b"<soapenv:Envelope");
    let j = judge(&ex, &req, &backoffice(), &CheckPolicy::default());
    assert_eq!(code(&j.outcome), TIMEOUT);
    assert_eq!(h.lines().len(), 1);
}

#[tokio::test]
async fn a_firehose_without_length_stops_at_the_cap() {
    let h = Harness::new();
    let (url, _) = raw_station(|mut s: TcpStream| async move {
        if read_request(&mut s).await {
            let _ = s
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-type: text/xml\r\ntransfer-encoding: chunked\r\n\r\n")
                .await;
            let chunk = format!("{:x}\r\n{}\r\n", 8192, "y".repeat(8192));
            // Bounded: at most 64 MiB, and the client hangs up long before.
            for _ in 0..8192 {
                if s.write_all(chunk.as_bytes()).await.is_err() {
                    break;
                }
            }
        }
    })
    .await;
    let client = h
        .client(url, Timeouts::uniform(Duration::from_secs(5)))
        .with_body_limit(256 * 1024);
    let req = client.verify(qr());
    let ex = client.send(&req, None, None, None).await;
    assert_eq!(
        ex.transport_error.as_ref().unwrap().kind,
        TransportErrorKind::BodyTooLarge
    );
    assert_eq!(ex.response.as_ref().unwrap().body.len(), 64 * 1024);
    let j = judge(&ex, &req, &backoffice(), &CheckPolicy::default());
    assert_eq!(code(&j.outcome), ERRORE_RESPONSE);
}

#[tokio::test]
async fn a_refused_connection_is_irraggiungibile() {
    let h = Harness::new();
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let client = h.client(
        format!("http://127.0.0.1:{port}/pa"),
        Timeouts::uniform(SHORT),
    );
    let req = client.verify(qr());
    let ex = client.send(&req, None, Some("refused"), Some(0)).await;
    assert_eq!(
        ex.transport_error.as_ref().unwrap().kind,
        TransportErrorKind::Refused,
        "{ex:?}"
    );
    let j = judge(&ex, &req, &backoffice(), &CheckPolicy::default());
    assert_eq!(code(&j.outcome), IRRAGGIUNGIBILE);
    assert!(j.outcome.is_station_unavailable());
    let lines = h.lines();
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["transport_error"]["kind"], "refused");
    assert_eq!(lines[0]["scenario"], "refused");
}

#[tokio::test]
async fn a_connection_closed_without_answer_is_irraggiungibile() {
    let h = Harness::new();
    let (url, _) = raw_station(|mut s: TcpStream| async move {
        if read_request(&mut s).await {
            drop(s);
        }
    })
    .await;
    let client = h.client(url, Timeouts::uniform(SHORT));
    let req = client.verify(qr());
    let ex = client.send(&req, None, None, None).await;
    assert_eq!(
        ex.transport_error.as_ref().unwrap().kind,
        TransportErrorKind::Reset,
        "{ex:?}"
    );
    // No response at all: for the Nodo the station is not there (DOMAIN.md §4.2), and the
    // Stand-In monitor counts it.
    let j = judge(&ex, &req, &backoffice(), &CheckPolicy::default());
    assert_eq!(code(&j.outcome), "PPT_STAZIONE_INT_PA_IRRAGGIUNGIBILE");
    assert!(j.outcome.is_station_unavailable());
}

/// Something came back, but not an HTTP response: an answer the Nodo cannot read, so
/// ERRORE_RESPONSE, never IRRAGGIUNGIBILE (issue 9, item 7). Each reply is written after the
/// request was read.
#[tokio::test]
async fn a_non_http_or_oversized_head_reply_is_errore_response() {
    let huge_header = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: text/xml\r\nx-junk: {}\r\ncontent-length: 0\r\n\r\n",
        "a".repeat(1024 * 1024)
    );
    let replies: [(&str, Vec<u8>); 4] = [
        ("not http", b"hello, I am not a web server\r\n\r\n".to_vec()),
        ("ssh banner", b"SSH-2.0-OpenSSH_9.6\r\n".to_vec()),
        ("bad status line", b"HTTP/1.1 abc Whatever\r\n\r\n".to_vec()),
        ("1 MiB header", huge_header.into_bytes()),
    ];
    for (what, reply) in replies {
        let h = Harness::new();
        let (url, _) = raw_station(move |mut s: TcpStream| {
            let reply = reply.clone();
            async move {
                if read_request(&mut s).await {
                    let _ = s.write_all(&reply).await;
                    let _ = s.shutdown().await;
                }
            }
        })
        .await;
        let client = h.client(url, Timeouts::uniform(SHORT));
        let req = client.verify(qr());
        let ex = client.send(&req, None, None, None).await;
        let err = ex.transport_error.as_ref().expect(what);
        assert_eq!(err.kind, TransportErrorKind::NotHttp, "{what}: {err}");
        let j = judge(&ex, &req, &backoffice(), &CheckPolicy::default());
        assert_eq!(code(&j.outcome), ERRORE_RESPONSE, "{what}");
        assert!(!j.outcome.is_station_unavailable(), "{what}");
    }
}

#[tokio::test]
async fn connections_are_reused() {
    let h = Harness::new();
    let body = verify_ko("PAA_PAGAMENTO_SCONOSCIUTO");
    let (url, accepted) = raw_station(move |mut s: TcpStream| {
        let body = body.clone();
        async move {
            while read_request(&mut s).await {
                let head = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: text/xml\r\ncontent-length: {}\r\n\r\n",
                    body.len()
                );
                if s.write_all(head.as_bytes()).await.is_err()
                    || s.write_all(body.as_bytes()).await.is_err()
                {
                    return;
                }
            }
        }
    })
    .await;
    let client = h.client(url, Timeouts::uniform(Duration::from_secs(2)));
    let req = client.verify(qr());
    for _ in 0..3 {
        let ex = client.send(&req, None, None, None).await;
        let j = judge(&ex, &req, &backoffice(), &CheckPolicy::default());
        assert_eq!(code(&j.outcome), EMESSO_DA_PAA);
    }
    let (ex, j) = client
        .send_and_judge(
            &req,
            None,
            None,
            None,
            &backoffice(),
            &CheckPolicy::default(),
        )
        .await;
    assert_eq!(code(&j.outcome), EMESSO_DA_PAA);
    assert_eq!(
        ex.classification.as_deref(),
        Some("PPT_ERRORE_EMESSO_DA_PAA/PAA_PAGAMENTO_SCONOSCIUTO")
    );
    assert_eq!(
        accepted.load(Ordering::SeqCst),
        1,
        "one connection for four calls"
    );
    let lines = h.lines();
    assert_eq!(lines.len(), 5, "four exchanges and one classification");
    assert_eq!(lines[4]["seq"], 4);
    assert_eq!(h.journal.entries()[3].classification, ex.classification);
}

#[tokio::test]
async fn injected_timeout_costs_virtual_time_not_real_time() {
    let h = Harness::new();
    let server = wiremock_station(ResponseTemplate::new(200)).await;
    let client = h.client(format!("{}/pa", server.uri()), Timeouts::nodo());
    let t0 = h.clock.now();

    let req = client.verify(qr());
    let started = Instant::now();
    let ex = client.send(&req, Some(Fault::Timeout), None, None).await;
    assert!(
        started.elapsed() < Duration::from_millis(100),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(h.clock.now(), t0.plus(Duration::from_secs(7)));
    assert_eq!(ex.virtual_at, t0, "stamped when issued");
    assert_eq!(
        ex.transport_error.as_ref().unwrap().kind,
        TransportErrorKind::InjectedTimeout
    );
    let j = judge(&ex, &req, &backoffice(), &CheckPolicy::default());
    assert_eq!(code(&j.outcome), TIMEOUT);

    // paSendRT costs its own timeout, 15 s.
    let receipt_req = Message::SendRtReq(Box::new(collaudo_wire::SendRtReq {
        caller: client.target().caller.clone(),
        receipt: dummy_receipt(),
    }));
    let started = Instant::now();
    client
        .send(&receipt_req, Some(Fault::Timeout), None, None)
        .await;
    assert!(started.elapsed() < Duration::from_millis(100));
    assert_eq!(h.clock.now(), t0.plus(Duration::from_secs(22)));

    // Nothing reached the station.
    assert!(server.received_requests().await.unwrap().is_empty());
    let lines = h.lines();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["injected_fault"], "timeout");
    assert_eq!(lines[0]["virtual_at"], "2026-11-25T10:00:00.000Z");
}

#[tokio::test]
async fn injected_refuse_latency_corrupt_and_status() {
    let h = Harness::new();
    let server =
        wiremock_station(ResponseTemplate::new(200).set_body_raw(get_payment_v2_ok(), "text/xml"))
            .await;
    let client = h.client(format!("{}/pa", server.uri()), Timeouts::uniform(SHORT));
    let req = client.get_payment(qr(), None, true, None);
    let judge_it = |ex: &Exchange| judge(ex, &req, &backoffice(), &CheckPolicy::default());
    let t0 = h.clock.now();

    let ex = client.send(&req, Some(Fault::Refuse), None, None).await;
    assert_eq!(code(&judge_it(&ex).outcome), IRRAGGIUNGIBILE);
    assert_eq!(h.clock.now(), t0, "a refusal costs no time");

    // A delay within the timeout: virtual time, then the real call (what is left of the
    // 300 ms is plenty for wiremock).
    let started = Instant::now();
    let ex = client
        .send(
            &req,
            Some(Fault::Latency(Duration::from_millis(100))),
            None,
            None,
        )
        .await;
    assert!(started.elapsed() < Duration::from_millis(250));
    assert_eq!(h.clock.now(), t0.plus(Duration::from_millis(100)));
    assert_eq!(code(&judge_it(&ex).outcome), "OK");

    for c in [
        Corruption::Truncate,
        Corruption::Garbage,
        Corruption::Empty,
        Corruption::InvalidUtf8,
    ] {
        let ex = client.send(&req, Some(Fault::Corrupt(c)), None, None).await;
        assert_eq!(code(&judge_it(&ex).outcome), ERRORE_RESPONSE, "{c}");
        assert!(
            ex.injected_fault.as_deref().unwrap().starts_with("corrupt"),
            "{:?}",
            ex.injected_fault
        );
    }

    let ex = client
        .send(&req, Some(Fault::HttpStatus(503)), None, None)
        .await;
    let j = judge_it(&ex);
    assert_eq!(code(&j.outcome), "OK", "the body decides");
    assert!(
        j.hygiene
            .contains(&HygieneWarning::HttpStatus { status: 503 })
    );
    assert_eq!(
        ex.injected_fault.as_deref(),
        Some("http-status 503 (station sent 200)")
    );

    // Refuse made no call; the others did.
    assert_eq!(server.received_requests().await.unwrap().len(), 6);
    assert_eq!(h.lines().len(), 7);
}

// An injected delay that reaches the Nodo's timeout used to advance the clock and then make
// the real call, which a fast station answered: the Nodo concluded OK after waiting longer than
// it ever waits. It is a timeout, whatever kind of clock the run uses, and the Stand-In monitor
// counts it.
#[tokio::test]
async fn latency_beyond_the_timeout_is_a_timeout_on_any_clock() {
    let h = Harness::new();
    let server = wiremock_station(
        ResponseTemplate::new(200).set_body_raw(verify_ko("PAA_PAGAMENTO_SCONOSCIUTO"), "text/xml"),
    )
    .await;
    let url = format!("{}/pa", server.uri());
    let virtual_client = h.client(url.clone(), Timeouts::nodo());
    let wall_client = NodoClient::new(
        target(url),
        Default::default(),
        Timeouts::nodo(),
        Arc::new(SystemClock),
        h.journal.clone(),
    )
    .unwrap();
    let seven = Duration::from_secs(7);
    let start = h.clock.now();
    let mut monitor = StationMonitor::new(StandInRules::default(), start).unwrap();
    for (client, delay) in [
        (&virtual_client, seven),
        (&virtual_client, Duration::from_secs(30)),
        (&wall_client, Duration::from_secs(30)),
    ] {
        let req = client.verify(qr());
        let before = h.clock.now();
        let started = Instant::now();
        let ex = client
            .send(&req, Some(Fault::Latency(delay)), None, None)
            .await;
        assert!(
            started.elapsed() < Duration::from_millis(200),
            "an injected delay costs no real time: {:?}",
            started.elapsed()
        );
        let err = ex.transport_error.as_ref().expect("a transport error");
        assert_eq!(err.kind, TransportErrorKind::InjectedTimeout, "{err}");
        assert!(ex.response.is_none());
        let j = judge(&ex, &req, &backoffice(), &CheckPolicy::default());
        assert_eq!(code(&j.outcome), TIMEOUT, "{}", j.explanation);
        assert!(j.outcome.is_station_unavailable());
        // The SLA checks read `latency_ms`: the whole injected delay is in it.
        let ms = delay.as_secs_f64() * 1e3;
        assert!(ex.latency_ms >= ms, "{} < {ms}", ex.latency_ms);
        if client.clock().is_virtual() {
            // The Nodo stops waiting at its timeout: that is what scenario time pays.
            assert_eq!(h.clock.now(), before.plus(seven));
        }
        assert!(
            ex.injected_fault.as_deref().unwrap().contains("latency"),
            "{:?}",
            ex.injected_fault
        );
        monitor.observe_outcome(before, &j.outcome);
    }
    assert!(
        server.received_requests().await.unwrap().is_empty(),
        "the Nodo gave up before the request was delivered"
    );
    // The harness's clock starts on a slot boundary (10:00): the next one closes the slot.
    let n = monitor.assess(
        start.plus(Duration::from_secs(300)),
        &TrafficModel::PerSlot(0),
    );
    assert_eq!(n.station_requests, 3);
    assert!(n.failed_slots >= 1, "{n:?}");
}

// Below the timeout the real call is made, and the recorded latency is the injected delay plus
// the station's own time, so that p98/max checks see the delay.
#[tokio::test]
async fn latency_below_the_timeout_makes_the_call_and_counts_in_the_latency() {
    let h = Harness::new();
    let server = wiremock_station(
        ResponseTemplate::new(200).set_body_raw(verify_ko("PAA_PAGAMENTO_SCONOSCIUTO"), "text/xml"),
    )
    .await;
    let client = h.client(format!("{}/pa", server.uri()), Timeouts::nodo());
    let req = client.verify(qr());
    let t0 = h.clock.now();
    let ex = client
        .send(
            &req,
            Some(Fault::Latency(Duration::from_millis(6_500))),
            None,
            None,
        )
        .await;
    let j = judge(&ex, &req, &backoffice(), &CheckPolicy::default());
    assert_eq!(code(&j.outcome), EMESSO_DA_PAA, "{}", j.explanation);
    assert!(ex.latency_ms >= 6_500.0, "{}", ex.latency_ms);
    assert!(ex.latency_ms < 7_000.0, "{}", ex.latency_ms);
    assert_eq!(h.clock.now(), t0.plus(Duration::from_millis(6_500)));
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

// The injected delay eats into the timeout of the real call: 100 ms injected plus a station
// that takes 250 ms is past a 300 ms timeout, although each alone is within it.
#[tokio::test]
async fn injected_and_real_delay_add_up_against_the_timeout() {
    let h = Harness::new();
    let server = wiremock_station(
        ResponseTemplate::new(200)
            .set_body_raw(verify_ko("PAA_PAGAMENTO_SCONOSCIUTO"), "text/xml")
            .set_delay(Duration::from_millis(250)),
    )
    .await;
    let client = h.client(format!("{}/pa", server.uri()), Timeouts::uniform(SHORT));
    let req = client.verify(qr());
    let ex = client
        .send(
            &req,
            Some(Fault::Latency(Duration::from_millis(100))),
            None,
            None,
        )
        .await;
    let j = judge(&ex, &req, &backoffice(), &CheckPolicy::default());
    assert_eq!(code(&j.outcome), TIMEOUT, "{}", j.explanation);
    assert_eq!(
        ex.transport_error.as_ref().unwrap().kind,
        TransportErrorKind::Timeout
    );
    assert!(ex.latency_ms >= 300.0, "{}", ex.latency_ms);
    // Without the injected delay the same station is in time.
    let ex = client.send(&req, None, None, None).await;
    assert!(ex.transport_error.is_none(), "{:?}", ex.transport_error);
}

// A station "unavailable" answers without being contacted: the answer is synthesized and
// marked in the journal. A lost answer is the opposite: the station got the request.
#[tokio::test]
async fn unavailable_answers_are_synthesized_and_lost_answers_are_delivered() {
    let h = Harness::new();
    let server = wiremock_station(
        ResponseTemplate::new(200).set_body_raw(verify_ko("PAA_PAGAMENTO_SCONOSCIUTO"), "text/xml"),
    )
    .await;
    let client = h.client(format!("{}/pa", server.uri()), Timeouts::nodo());
    let req = client.verify(qr());
    let judge_it = |ex: &Exchange| judge(ex, &req, &backoffice(), &CheckPolicy::default());
    for (answer, status, expect) in [
        (UnavailableAnswer::HttpStatus(500), 500, ERRORE_RESPONSE),
        (UnavailableAnswer::Garbage, 200, ERRORE_RESPONSE),
        (UnavailableAnswer::Ko, 200, EMESSO_DA_PAA),
    ] {
        let ex = client
            .send(&req, Some(Fault::Unavailable(answer)), None, None)
            .await;
        let reply = ex.response.as_ref().expect("a synthesized answer");
        assert_eq!(reply.status, status, "{answer}");
        assert_eq!(
            reply.header(INJECTED_HEADER),
            Some(format!("unavailable {answer}").as_str())
        );
        assert!(
            ex.injected_fault
                .as_deref()
                .unwrap()
                .contains("the station was not contacted"),
            "{:?}",
            ex.injected_fault
        );
        assert_eq!(code(&judge_it(&ex).outcome), expect, "{answer}");
    }
    assert!(server.received_requests().await.unwrap().is_empty());

    let t0 = h.clock.now();
    let ex = client
        .send(&req, Some(Fault::AnswerTimeout), None, None)
        .await;
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
    assert!(ex.response.is_none(), "the late answer is not read");
    assert_eq!(
        ex.transport_error.as_ref().unwrap().kind,
        TransportErrorKind::InjectedTimeout
    );
    assert_eq!(code(&judge_it(&ex).outcome), TIMEOUT);
    assert_eq!(h.clock.now(), t0.plus(Duration::from_secs(7)));
    assert!(ex.latency_ms >= 7_000.0, "{}", ex.latency_ms);
    assert!(
        ex.injected_fault
            .as_deref()
            .unwrap()
            .starts_with("answer-timeout: the station answered HTTP 200"),
        "{:?}",
        ex.injected_fault
    );
    let lines = h.lines();
    assert_eq!(lines.len(), 4);
    assert!(lines.iter().all(|l| l["injected_fault"].is_string()));
}

fn dummy_receipt() -> collaudo_wire::Receipt {
    let nav = NoticeNumber::aux3(1, 1).unwrap();
    collaudo_wire::Receipt {
        receipt_id: "c110729d258c4ab1b765fe902aae41d6".into(),
        notice_number: nav.as_str().to_string(),
        fiscal_code: EC.into(),
        outcome: Outcome::Ok,
        creditor_reference_id: nav.iuv().to_string(),
        payment_amount: Amount::from_cents(12_050),
        description: "TARI 2026".into(),
        company_name: "Comune di Prova".into(),
        office_name: None,
        debtor: Subject {
            entity_type: EntityType::G,
            entity_value: "12345678901".into(),
            full_name: "Ditta Srl".into(),
            street_name: None,
            civic_number: None,
            postal_code: None,
            city: None,
            state_province_region: None,
            country: None,
            email: None,
        },
        transfers: Vec::new(),
        id_psp: "BNLIITRR".into(),
        psp_fiscal_code: None,
        psp_partita_iva: None,
        psp_company_name: "Banca".into(),
        id_channel: "BNLIITRR_01".into(),
        channel_description: "app".into(),
        payer: None,
        payment_method: None,
        payment_note: None,
        fee: None,
        primary_ci_incurred_fee: None,
        id_bundle: None,
        id_ci_bundle: None,
        payment_date_time: None,
        application_date: None,
        transfer_date: None,
        metadata: Vec::new(),
        stand_in: None,
    }
}
