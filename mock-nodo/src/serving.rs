//! Running one of the mock REST servers (ACA, GPD) on a listener: the task, a stop signal a
//! dropped handle also sends, a graceful shutdown with a bounded wait, and the URL clients use.

use axum::Router;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// How long a shutdown waits for in-flight requests (the slowest is a stalled body, cut at
/// 30 s) before aborting the server.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// A server running on its own task.
#[derive(Debug)]
pub(crate) struct ServerTask {
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<io::Result<()>>>,
}

/// Why a server did not stop cleanly.
pub(crate) enum StopError {
    /// The server failed.
    Serve(io::Error),
    /// Its task panicked or had to be aborted.
    Task(String),
}

impl ServerTask {
    /// Serve `app` on `listener` with `limits` until stopped (or the task's owner is dropped).
    pub(crate) fn spawn(
        listener: TcpListener,
        app: Router,
        limits: collaudo_serve::Limits,
    ) -> ServerTask {
        let (stop, stopped) = oneshot::channel::<()>();
        let server = collaudo_serve::serve(listener, app, limits, async move {
            // A dropped handle stops the server as surely as an explicit shutdown.
            let _ = stopped.await;
        });
        ServerTask {
            stop: Some(stop),
            task: Some(tokio::spawn(server)),
        }
    }

    /// Stop accepting connections, let in-flight requests finish, and wait for the server.
    pub(crate) async fn shutdown(&mut self) -> Result<(), StopError> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let Some(task) = self.task.take() else {
            return Ok(());
        };
        let abort = task.abort_handle();
        match tokio::time::timeout(SHUTDOWN_GRACE, task).await {
            Ok(Ok(Ok(()))) => Ok(()),
            Ok(Ok(Err(e))) => Err(StopError::Serve(e)),
            Ok(Err(e)) => Err(StopError::Task(e.to_string())),
            Err(_) => {
                abort.abort();
                Err(StopError::Task(format!(
                    "still busy after {SHUTDOWN_GRACE:?}, aborted"
                )))
            }
        }
    }
}

/// A URL for clients: an unspecified bind address (`0.0.0.0`) is reached on loopback.
pub(crate) fn client_url(addr: SocketAddr) -> String {
    let ip = match addr.ip() {
        IpAddr::V4(v4) if v4.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(v6) if v6.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    format!("http://{}", SocketAddr::new(ip, addr.port()))
}

#[cfg(test)]
mod tests {
    use super::client_url;
    use std::net::SocketAddr;

    #[test]
    fn unspecified_addresses_become_loopback() {
        let v4: SocketAddr = ([0, 0, 0, 0], 8080).into();
        assert_eq!(client_url(v4), "http://127.0.0.1:8080");
        let v6: SocketAddr = (std::net::Ipv6Addr::UNSPECIFIED, 9).into();
        assert_eq!(client_url(v6), "http://[::1]:9");
        let lo: SocketAddr = ([127, 0, 0, 1], 1).into();
        assert_eq!(client_url(lo), "http://127.0.0.1:1");
    }
}
