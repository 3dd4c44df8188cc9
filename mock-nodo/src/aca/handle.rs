//! Starting, inspecting and stopping a mock ACA.

use super::config::AcaConfig;
use super::faults::AcaFault;
use super::handler::ACA_PATH;
use super::server::{AcaState, app};
use super::store::AcaStore;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// How long [`AcaHandle::shutdown`] waits for in-flight requests (the slowest is a stalled
/// body, cut at 30 s) before aborting the server.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// Why a mock ACA could not start or stop cleanly.
#[derive(Debug, thiserror::Error)]
pub enum AcaError {
    /// The journal file could not be created.
    #[error("cannot create the aca journal {path}: {source}")]
    Journal {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: io::Error,
    },
    /// The address could not be bound.
    #[error("cannot bind {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The cause.
        source: io::Error,
    },
    /// The listener has no local address.
    #[error("cannot read the listener address: {0}")]
    LocalAddr(io::Error),
    /// The server failed.
    #[error("aca server failed: {0}")]
    Serve(io::Error),
    /// The server task panicked or had to be aborted.
    #[error("aca server task: {0}")]
    Task(String),
}

/// A running mock ACA. Dropping it stops the server too (gracefully, in the background).
#[derive(Debug)]
pub struct AcaHandle {
    /// The bound address.
    pub addr: SocketAddr,
    /// `http://127.0.0.1:PORT` (the loopback address when bound to an unspecified one); the
    /// operation is at [`endpoint`](Self::endpoint).
    pub url: String,
    state: Arc<AcaState>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<io::Result<()>>>,
}

impl AcaHandle {
    /// The store: positions and call log.
    pub fn store(&self) -> &AcaStore {
        self.state.store()
    }

    /// The shared state (configuration and store).
    pub fn state(&self) -> &Arc<AcaState> {
        &self.state
    }

    /// See [`AcaState::inject`]: answer the next `count` calls with `status`, unapplied.
    pub fn inject(&self, status: u16, count: u32) {
        self.state.inject(status, count);
    }

    /// See [`AcaState::clear_faults`].
    pub fn clear_faults(&self) {
        self.state.clear_faults();
    }

    /// See [`AcaState::pending_faults`].
    pub fn pending_faults(&self) -> u32 {
        self.state.pending_faults()
    }

    /// See [`AcaState::faults`].
    pub fn faults(&self) -> Vec<AcaFault> {
        self.state.faults()
    }

    /// The full URL of `paCreatePosition`: `http://127.0.0.1:PORT/aca/v1/paCreatePosition`.
    pub fn endpoint(&self) -> String {
        format!("{}{ACA_PATH}", self.url)
    }

    /// Stop accepting connections, let in-flight requests finish, and wait for the server.
    ///
    /// # Errors
    /// [`AcaError::Serve`] if the server failed, [`AcaError::Task`] if its task panicked or
    /// had to be aborted.
    pub async fn shutdown(mut self) -> Result<(), AcaError> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let Some(task) = self.task.take() else {
            return Ok(());
        };
        let abort = task.abort_handle();
        match tokio::time::timeout(SHUTDOWN_GRACE, task).await {
            Ok(Ok(Ok(()))) => Ok(()),
            Ok(Ok(Err(e))) => Err(AcaError::Serve(e)),
            Ok(Err(e)) => Err(AcaError::Task(e.to_string())),
            Err(_) => {
                abort.abort();
                Err(AcaError::Task(format!(
                    "still busy after {SHUTDOWN_GRACE:?}, aborted"
                )))
            }
        }
    }
}

/// A URL for clients: an unspecified bind address (`0.0.0.0`) is reached on loopback.
fn client_url(addr: SocketAddr) -> String {
    let ip = match addr.ip() {
        IpAddr::V4(v4) if v4.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(v6) if v6.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    format!("http://{}", SocketAddr::new(ip, addr.port()))
}

/// Serve a mock ACA on an already bound listener. The listener accepts as soon as it is
/// bound, so the server is reachable when this returns: no need to wait or retry.
///
/// # Errors
/// [`AcaError::Journal`] or [`AcaError::LocalAddr`].
pub async fn start(config: AcaConfig, listener: TcpListener) -> Result<AcaHandle, AcaError> {
    start_with_state(Arc::new(AcaState::new(config)?), listener).await
}

/// [`start`] over an existing state, e.g. [`AcaState::with_store`] to serve a store that the
/// Stand-In simulator already holds.
///
/// # Errors
/// [`AcaError::LocalAddr`].
pub async fn start_with_state(
    state: Arc<AcaState>,
    listener: TcpListener,
) -> Result<AcaHandle, AcaError> {
    let addr = listener.local_addr().map_err(AcaError::LocalAddr)?;
    let (stop, stopped) = oneshot::channel::<()>();
    // The server sets TCP_NODELAY: small JSON answers on kept-alive connections must not wait
    // for the client's delayed ACK.
    let limits = state.config().limits;
    let server = collaudo_serve::serve(listener, app(Arc::clone(&state)), limits, async move {
        // A dropped handle stops the server as surely as an explicit shutdown.
        let _ = stopped.await;
    });
    let task = tokio::spawn(server);
    tracing::info!(%addr, "mock ACA listening");
    Ok(AcaHandle {
        addr,
        url: client_url(addr),
        state,
        stop: Some(stop),
        task: Some(task),
    })
}

/// Bind `addr` (port 0 for any free port) and [`start`] a mock ACA on it.
///
/// # Errors
/// [`AcaError::Bind`], or those of [`start`].
pub async fn bind(config: AcaConfig, addr: SocketAddr) -> Result<AcaHandle, AcaError> {
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|source| AcaError::Bind { addr, source })?;
    start(config, listener).await
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
