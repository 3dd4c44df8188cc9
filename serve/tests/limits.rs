//! The server's limits against hostile clients, on real sockets (issue 9, item 5): silent
//! connections, half-sent heads, idle kept-alive connections, and more connections than the cap.

use axum::Router;
use axum::routing::post;
use collaudo_serve::{Limits, serve};
use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;

const REQUEST: &[u8] = b"POST /echo HTTP/1.1\r\nhost: x\r\ncontent-length: 5\r\n\r\nhello";

async fn start(limits: Limits) -> (SocketAddr, oneshot::Sender<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let router = Router::new()
        .route("/echo", post(|body: String| async move { body }))
        .route(
            "/slow-echo",
            post(|body: String| async move {
                tokio::time::sleep(Duration::from_millis(50)).await;
                body
            }),
        )
        .route(
            "/cut",
            post(|| async {
                let mut response = axum::response::Response::new(axum::body::Body::from("never"));
                response.extensions_mut().insert(collaudo_serve::Cut);
                response
            }),
        );
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(serve(listener, router, limits, async move {
        let _ = stopped.await;
    }));
    (addr, stop)
}

/// Send one request on `stream` and read its whole answer (the body is 5 bytes).
async fn exchange(stream: &mut TcpStream) -> String {
    stream.write_all(REQUEST).await.unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 1024];
    while !got.ends_with(b"hello") {
        let n = tokio::time::timeout(Duration::from_secs(10), stream.read(&mut buf))
            .await
            .expect("answer in time")
            .unwrap();
        assert!(
            n > 0,
            "closed before the answer: {:?}",
            String::from_utf8_lossy(&got)
        );
        got.extend_from_slice(&buf[..n]);
    }
    String::from_utf8_lossy(&got).into_owned()
}

/// Wait until the server closes `stream` (EOF or reset), failing after `limit`.
async fn closed_within(stream: &mut TcpStream, limit: Duration) -> bool {
    let mut buf = [0u8; 64];
    matches!(
        tokio::time::timeout(limit, stream.read(&mut buf)).await,
        Ok(Ok(0) | Err(_))
    )
}

/// Everything the server writes on `stream` until it closes it (EOF or reset), failing when
/// it is still open after 10 s.
async fn read_until_closed(stream: &mut TcpStream) -> String {
    let mut got = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut got)).await;
    assert!(read.is_ok(), "connection still open");
    String::from_utf8_lossy(&got).into_owned()
}

/// HTTP/1.1 lets a client shut its side down once its request is sent (RFC 9112 §9.6): the
/// answer still comes, also when it takes a while to make.
#[tokio::test]
async fn a_client_that_half_closes_after_its_request_still_gets_the_answer() {
    let (addr, _stop) = start(Limits::default()).await;
    let mut client = TcpStream::connect(addr).await.unwrap();
    client
        .write_all(b"POST /slow-echo HTTP/1.1\r\nhost: x\r\ncontent-length: 5\r\n\r\nhello")
        .await
        .unwrap();
    client.shutdown().await.unwrap();
    let got = read_until_closed(&mut client).await;
    assert!(got.starts_with("HTTP/1.1 200"), "{got:?}");
    assert!(got.ends_with("hello"), "{got:?}");
}

/// A client that shuts its side down between requests is done: its connection is closed at
/// once, not held (and counted against the cap) until a timeout.
#[tokio::test]
async fn a_client_that_half_closes_between_requests_is_closed_at_once() {
    let (addr, _stop) = start(Limits::default()).await;
    let mut client = TcpStream::connect(addr).await.unwrap();
    let answer = exchange(&mut client).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer:?}");
    client.shutdown().await.unwrap();
    assert!(
        closed_within(&mut client, Duration::from_secs(2)).await,
        "the half-closed connection was kept open"
    );
}

#[tokio::test]
async fn a_silent_connection_is_closed_after_the_header_read_timeout() {
    let (addr, _stop) = start(Limits {
        header_read_timeout: Duration::from_millis(200),
        ..Limits::default()
    })
    .await;
    let mut silent = TcpStream::connect(addr).await.unwrap();
    let mut half = TcpStream::connect(addr).await.unwrap();
    half.write_all(b"POST /echo HTTP/1.1\r\nhost:")
        .await
        .unwrap();
    assert!(closed_within(&mut silent, Duration::from_secs(5)).await);
    assert!(closed_within(&mut half, Duration::from_secs(5)).await);
}

#[tokio::test]
async fn an_idle_kept_alive_connection_is_closed_after_the_idle_timeout() {
    let (addr, _stop) = start(Limits {
        idle_timeout: Duration::from_millis(200),
        ..Limits::default()
    })
    .await;
    let mut kept = TcpStream::connect(addr).await.unwrap();
    let answer = exchange(&mut kept).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    // Still usable right away: the connection is kept alive.
    exchange(&mut kept).await;
    assert!(closed_within(&mut kept, Duration::from_secs(5)).await);
}

#[tokio::test]
async fn at_the_cap_a_new_connection_closes_the_oldest_idle_one() {
    let (addr, _stop) = start(Limits {
        max_connections: 4,
        ..Limits::default()
    })
    .await;
    let mut held = Vec::new();
    for _ in 0..4 {
        held.push(TcpStream::connect(addr).await.unwrap());
    }
    // Let the server accept all four before the fifth arrives.
    for stream in &mut held {
        stream.write_all(b"").await.unwrap();
    }
    tokio::time::sleep(Duration::from_millis(50)).await;
    let mut live = TcpStream::connect(addr).await.unwrap();
    let answer = exchange(&mut live).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(
        closed_within(&mut held[0], Duration::from_secs(5)).await,
        "the oldest idle connection made room"
    );
}

/// The regression: 2 000 connections held open and silent, and a normal request still
/// gets its answer at once, with the default limits.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_thousand_idle_connections_do_not_lock_out_a_live_client() {
    let (addr, _stop) = start(Limits::default()).await;
    let mut held = Vec::with_capacity(2000);
    for i in 0..2000 {
        match TcpStream::connect(addr).await {
            Ok(s) => held.push(s),
            Err(e) => panic!("connection {i}: {e} (raise `ulimit -n` above 4 500 for this test)"),
        }
    }
    for _ in 0..3 {
        let mut live = TcpStream::connect(addr).await.unwrap();
        let answer = exchange(&mut live).await;
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    }
    drop(held);
}

#[tokio::test]
async fn a_response_carrying_cut_is_not_written_and_its_connection_is_dropped() {
    let (addr, _stop) = start(Limits::default()).await;
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(b"POST /cut HTTP/1.1\r\nhost: x\r\ncontent-length: 0\r\n\r\n")
        .await
        .unwrap();
    let got = read_until_closed(&mut stream).await;
    assert!(got.is_empty(), "{got:?}");
    // Other connections are untouched.
    let mut other = TcpStream::connect(addr).await.unwrap();
    assert!(exchange(&mut other).await.starts_with("HTTP/1.1 200"));
}

#[tokio::test]
async fn stopping_the_server_closes_kept_alive_connections() {
    let (addr, stop) = start(Limits::default()).await;
    let mut kept = TcpStream::connect(addr).await.unwrap();
    exchange(&mut kept).await;
    stop.send(()).unwrap();
    assert!(closed_within(&mut kept, Duration::from_secs(5)).await);
}

#[tokio::test]
async fn aborting_the_server_task_still_closes_kept_alive_connections() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let router = Router::new().route("/echo", post(|body: String| async move { body }));
    let server = tokio::spawn(serve(
        listener,
        router,
        Limits::default(),
        std::future::pending(),
    ));
    let mut kept = TcpStream::connect(addr).await.unwrap();
    exchange(&mut kept).await;
    server.abort();
    assert!(closed_within(&mut kept, Duration::from_secs(5)).await);
}

/// An app that is not ready when first asked, as a tower service may be (a limit, a pool).
#[derive(Clone, Default)]
struct LateApp {
    asked: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

impl tower::Service<hyper::Request<hyper::body::Incoming>> for LateApp {
    type Response = axum::response::Response;
    type Error = std::convert::Infallible;
    type Future = std::future::Ready<Result<Self::Response, Self::Error>>;

    fn poll_ready(
        &mut self,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Self::Error>> {
        // Not ready at every first ask of a copy; ready when asked again after the wake-up.
        if self.asked.fetch_add(1, std::sync::atomic::Ordering::SeqCst) % 2 == 0 {
            cx.waker().wake_by_ref();
            return std::task::Poll::Pending;
        }
        std::task::Poll::Ready(Ok(()))
    }

    fn call(&mut self, _request: hyper::Request<hyper::body::Incoming>) -> Self::Future {
        std::future::ready(Ok(axum::response::Response::new(axum::body::Body::from(
            "hello",
        ))))
    }
}

#[tokio::test]
async fn an_app_not_ready_at_once_still_answers() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = LateApp::default();
    let asked = std::sync::Arc::clone(&app.asked);
    let (_stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(serve(listener, app, Limits::default(), async move {
        let _ = stopped.await;
    }));
    let mut client = TcpStream::connect(addr).await.unwrap();
    let first = exchange(&mut client).await;
    let second = exchange(&mut client).await;
    assert!(first.starts_with("HTTP/1.1 200"), "{first:?}");
    assert!(second.starts_with("HTTP/1.1 200"), "{second:?}");
    assert!(
        asked.load(std::sync::atomic::Ordering::SeqCst) >= 4,
        "the app was not asked again after saying it was not ready"
    );
}
