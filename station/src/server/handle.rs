//! Starting, inspecting and stopping a station.

use super::app::{STATION_PATH, StationService};
use crate::config::StationConfig;
use crate::error::StationError;
use crate::positions::{BackOffice, Fixtures};
use crate::state::StationState;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// How long [`StationHandle::shutdown`] waits for in-flight requests (a `slow` answer takes
/// 3 s) before aborting the server.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// A running station. Dropping it stops the server too (gracefully, in the background).
#[derive(Debug)]
pub struct StationHandle {
    /// The bound address.
    pub addr: SocketAddr,
    /// The station URL, `http://127.0.0.1:PORT/pagopa/station` (`https://` when started with
    /// TLS).
    pub url: String,
    state: Arc<StationState>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<std::io::Result<()>>>,
}

impl StationHandle {
    /// The shared state: configuration, positions, booking counts.
    pub fn state(&self) -> &Arc<StationState> {
        &self.state
    }

    /// `http://HOST:PORT` (or `https://`), the base of `/health` and the admin API.
    pub fn base_url(&self) -> String {
        self.url
            .strip_suffix(STATION_PATH)
            .unwrap_or(&self.url)
            .to_string()
    }

    /// Role → seeded position.
    pub fn fixtures(&self) -> &Fixtures {
        self.state.fixtures()
    }

    /// The back-office registry.
    pub fn back_office(&self) -> &BackOffice {
        self.state.back_office()
    }

    /// How many receipts were booked for a notice.
    pub fn booking_count(&self, notice: &str) -> usize {
        self.state.booking_count(notice)
    }

    /// Stop accepting connections, let in-flight requests finish, and wait for the server.
    ///
    /// # Errors
    /// [`StationError::Serve`] if the server failed, [`StationError::Task`] if its task
    /// panicked or had to be aborted.
    pub async fn shutdown(mut self) -> Result<(), StationError> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let Some(task) = self.task.take() else {
            return Ok(());
        };
        let abort = task.abort_handle();
        match tokio::time::timeout(SHUTDOWN_GRACE, task).await {
            Ok(Ok(Ok(()))) => Ok(()),
            Ok(Ok(Err(e))) => Err(StationError::Serve(e)),
            Ok(Err(e)) => Err(StationError::Task(e.to_string())),
            Err(_) => {
                abort.abort();
                Err(StationError::Task(format!(
                    "still busy after {SHUTDOWN_GRACE:?}, aborted"
                )))
            }
        }
    }
}

/// A URL for clients: an unspecified bind address (`0.0.0.0`) is reached on loopback.
fn client_url(addr: SocketAddr, tls: bool) -> String {
    let ip = match addr.ip() {
        IpAddr::V4(v4) if v4.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(v6) if v6.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    let scheme = if tls { "https" } else { "http" };
    format!(
        "{scheme}://{}{STATION_PATH}",
        SocketAddr::new(ip, addr.port())
    )
}

/// Serve a station on an already bound listener. The listener is accepting as soon as it is
/// bound, so the station is reachable when this returns: no need to wait or retry.
///
/// With an ACA configured ([`StationConfig::aca`]), every payable position is loaded into it
/// before this returns (unless the profile is `no-aca`); failures do not stop the start, they
/// are in [`StationState::aca_errors`].
///
/// # Errors
/// [`StationError::LocalAddr`] or [`StationError::Seed`].
pub async fn start(
    config: StationConfig,
    listener: TcpListener,
) -> Result<StationHandle, StationError> {
    start_with(config, listener, None).await
}

/// [`start`] over HTTPS: every connection handshakes with `tls` (the station certificate, and
/// a client verifier when mutual TLS is required) before its first request (CON-001).
///
/// # Errors
/// As [`start`].
pub async fn start_tls(
    config: StationConfig,
    listener: TcpListener,
    tls: Arc<collaudo_serve::rustls::ServerConfig>,
) -> Result<StationHandle, StationError> {
    start_with(config, listener, Some(tls)).await
}

async fn start_with(
    config: StationConfig,
    listener: TcpListener,
    tls: Option<Arc<collaudo_serve::rustls::ServerConfig>>,
) -> Result<StationHandle, StationError> {
    let state = Arc::new(StationState::new(config)?);
    let addr = listener.local_addr().map_err(StationError::LocalAddr)?;
    state.register_in_aca().await;
    let (stop, stopped) = oneshot::channel::<()>();
    let limits = state.config().limits;
    // A dropped handle stops the server as surely as an explicit shutdown.
    let stopped = async move {
        let _ = stopped.await;
    };
    let https = tls.is_some();
    let router = StationService::new(Arc::clone(&state));
    let task = match tls {
        None => tokio::spawn(collaudo_serve::serve(listener, router, limits, stopped)),
        Some(tls) => tokio::spawn(collaudo_serve::serve_tls(
            listener, router, limits, tls, stopped,
        )),
    };
    tracing::info!(%addr, https, profile = %state.config().profile, "reference station listening");
    Ok(StationHandle {
        addr,
        url: client_url(addr, https),
        state,
        stop: Some(stop),
        task: Some(task),
    })
}

/// Bind `addr` (port 0 for any free port) and [`start`] a station on it.
///
/// # Errors
/// [`StationError::Bind`], or those of [`start`].
pub async fn bind(config: StationConfig, addr: SocketAddr) -> Result<StationHandle, StationError> {
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|source| StationError::Bind { addr, source })?;
    start(config, listener).await
}

/// Bind `addr` and [`start_tls`] a station on it.
///
/// # Errors
/// [`StationError::Bind`], or those of [`start`].
pub async fn bind_tls(
    config: StationConfig,
    addr: SocketAddr,
    tls: Arc<collaudo_serve::rustls::ServerConfig>,
) -> Result<StationHandle, StationError> {
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|source| StationError::Bind { addr, source })?;
    start_tls(config, listener, tls).await
}
