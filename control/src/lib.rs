//! `collaudo serve`: the mock Nodo dei Pagamenti and the mock ACA as long-running servers, for
//! testing a station by hand or from a team's own scripts.
//!
//! * the **control API** ([`api`](crate::api), JSON): what a PSP or Checkout asks the Nodo
//!   (verify, activate, close, pay), Stand-In on demand, fault plans, time;
//! * the **web page** (`GET /`): stations and their Stand-In state, ACA positions, payments,
//!   receipts with their attempt timelines, and the journal; server-rendered, no script, no
//!   external asset;
//! * **persistence** ([`db`]): an SQLite file in WAL mode; every accepted write (a
//!   `paCreatePosition` the mock ACA applied, an activation, a close, an attempt, a Stand-In
//!   transition, the clock offset) is committed before its HTTP answer leaves, and loaded back
//!   on restart;
//! * the **clock** ([`clock`]): the wall clock plus an offset that `POST /clock/advance` grows.
//!
//! The station is collaudo's embedded reference station (with a second one, for the secondary
//! EC, that receives broadcast receipts), or an external one from `collaudo.toml`.

mod api;
pub mod clock;
pub mod db;
mod page;
pub mod service;

use crate::clock::OffsetClock;
use crate::db::{Durability, PaymentRow, Write, Writer};
use crate::service::{Pending, Service, StationInfo};
use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use collaudo_nodo::aca::{AcaConfig, AcaState};
use collaudo_nodo::nodo::{EcEntry, Integration, Nodo, NodoConfig, Registry, Route, StationLink};
use collaudo_nodo::{
    BackOffice, CheckPolicy, Clock, Connection, Journal, NodoClient, RetryPolicy, SoapActionStyle,
    StandInRules, StationTarget, Timeouts, TrafficModel,
};
use collaudo_station::{StationConfig, StationHandle, StationState};
use collaudo_wire::{Caller, PaymentData, QrCode, Receipt};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub use crate::db::Durability as SyncMode;

/// The key the embedded station sends to the mock ACA unless told otherwise.
pub const DEFAULT_ACA_KEY: &str = "collaudo-serve";

/// Where the mock ACA listens and whom it accepts.
#[derive(Debug, Clone)]
pub struct AcaSettings {
    /// Address to listen on (port 0: any free port).
    pub listen: SocketAddr,
    /// The `Ocp-Apim-Subscription-Key` the EC sends.
    pub subscription_key: String,
    /// EC → default Stand-In IBAN.
    pub standin_ibans: BTreeMap<String, String>,
}

/// The mock GPD `serve` runs beside the mock ACA, and the ECs on the asynchronous integration
/// whose payments GPD-Payments answers from it.
#[derive(Debug, Clone)]
pub struct GpdSettings {
    /// Address to listen on (port 0: any free port).
    pub listen: SocketAddr,
    /// The `Ocp-Apim-Subscription-Key` the EC's system sends.
    pub subscription_key: String,
    /// Fiscal codes of the asynchronous ECs: the Nodo answers their notices from GPD.
    pub async_ecs: Vec<String>,
}

/// collaudo's reference station, started by `serve`.
#[derive(Debug, Clone)]
pub struct EmbeddedStation {
    /// Its configuration (identities, profile, seed, notices per role). Its `aca` is set by
    /// `serve` to the mock ACA.
    pub config: StationConfig,
    /// Address to listen on (port 0: any free port).
    pub listen: SocketAddr,
    /// Whether it loads its payable positions into the mock ACA at start (what a real EC
    /// does; a benchmark that pays through the station can skip it).
    pub register_in_aca: bool,
}

/// A broadcast station of another EC (`[[broadcast]]`).
#[derive(Debug, Clone)]
pub struct BroadcastStation {
    /// Its EC.
    pub fiscal_code: String,
    /// Its URL.
    pub url: String,
    /// The Nodo's identities toward it.
    pub caller: Caller,
    /// paSendRTV2 (true) or paSendRT.
    pub send_rt_v2: bool,
}

/// A station the user runs (`collaudo.toml`).
#[derive(Debug, Clone)]
pub struct ExternalStation {
    /// Its service URL.
    pub url: String,
    /// The Nodo's identities toward it (its EC is `caller.id_pa`).
    pub caller: Caller,
    /// How it is reached (TLS, gateway headers, proxy).
    pub connection: Arc<Connection>,
    /// The Nodo's timeouts.
    pub timeouts: Timeouts,
    /// paGetPaymentV2 (true) or paGetPayment.
    pub get_payment_v2: bool,
    /// paSendRTV2 (true) or paSendRT.
    pub send_rt_v2: bool,
    /// ECs and IBANs registered on the platform.
    pub backoffice: BackOffice,
    /// Broadcast stations of other ECs.
    pub broadcast: Vec<BroadcastStation>,
}

/// Which station the Nodo calls.
#[derive(Debug, Clone)]
pub enum StationChoice {
    /// collaudo's reference station.
    Embedded(EmbeddedStation),
    /// The user's.
    External(ExternalStation),
}

/// Everything `collaudo serve` needs.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    /// The SQLite file (created if missing).
    pub db: PathBuf,
    /// How hard commits are pushed to disk.
    pub durability: Durability,
    /// Where the control API and the page listen.
    pub listen: SocketAddr,
    /// The mock ACA.
    pub aca: AcaSettings,
    /// The mock GPD, if served. Its positions and receipts are kept in the SQLite file.
    pub gpd: Option<GpdSettings>,
    /// The station.
    pub station: StationChoice,
    /// The receipt retry schedule.
    pub retry: RetryPolicy,
    /// The Stand-In rules.
    pub standin: StandInRules,
    /// Nodo choices where sources disagree.
    pub policy: CheckPolicy,
    /// Stream every exchange (raw bytes both ways) to this JSON-lines file (truncated at
    /// start), if set.
    pub journal: Option<PathBuf>,
    /// How often the background tick sends due Stand-In probes and receipt retries.
    pub tick: Duration,
}

impl ServeConfig {
    /// The embedded station on loopback ports chosen by the OS, the file `db`, default rules.
    pub fn embedded(db: impl Into<PathBuf>) -> Self {
        let any: SocketAddr = ([127, 0, 0, 1], 0).into();
        ServeConfig {
            db: db.into(),
            durability: Durability::Normal,
            listen: any,
            aca: AcaSettings {
                listen: any,
                subscription_key: DEFAULT_ACA_KEY.into(),
                standin_ibans: BTreeMap::new(),
            },
            gpd: None,
            station: StationChoice::Embedded(EmbeddedStation {
                config: StationConfig::default(),
                listen: any,
                register_in_aca: true,
            }),
            retry: RetryPolicy::default(),
            standin: StandInRules::default(),
            policy: CheckPolicy::default(),
            journal: None,
            tick: Duration::from_secs(1),
        }
    }
}

/// Why `serve` could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The database.
    #[error("database {0}")]
    Db(#[from] db::DbError),
    /// A listener.
    #[error("cannot listen on {addr} for the {what}: {source}")]
    Bind {
        /// Which server.
        what: &'static str,
        /// The address.
        addr: SocketAddr,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// Anything else that stops the start.
    #[error("{0}")]
    Start(String),
}

/// A running `collaudo serve`.
#[derive(Debug)]
pub struct Server {
    /// The control API and the page: `http://127.0.0.1:PORT`.
    pub control_url: String,
    /// The mock ACA's `paCreatePosition` endpoint.
    pub aca_endpoint: String,
    /// The mock GPD's base URL (`http://127.0.0.1:PORT`; the APIs are under it with
    /// production's prefixes), when served.
    pub gpd_url: Option<String>,
    /// What was restored from the file, and anything that could not be.
    pub restored: Restored,
    service: Arc<Service>,
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
    inflight: Arc<tokio::sync::RwLock<()>>,
    stations: Vec<StationHandle>,
    writer: Arc<Writer>,
}

/// What a start found in the file.
#[derive(Debug, Clone, Default)]
pub struct Restored {
    /// Positions loaded back into the mock ACA.
    pub positions: usize,
    /// Debt positions loaded back into the mock GPD (with its receipts).
    pub gpd_positions: usize,
    /// Open payments handed back to the Nodo.
    pub open_payments: usize,
    /// Receipt deliveries with retries still due.
    pub pending_retries: usize,
    /// Stations put back into Stand-In.
    pub stand_in: Vec<String>,
    /// Clock offset, minutes.
    pub clock_offset_minutes: i64,
    /// What could not be restored, and why.
    pub problems: Vec<String>,
}

/// The Nodo's view of a reference station's back office.
fn backoffice_of(bo: &collaudo_station::BackOffice, into: BackOffice) -> BackOffice {
    let mut out = into;
    for ec in &bo.ecs {
        out = out.with_ec(&ec.fiscal_code, Some(&ec.company_name));
        if let Some(info) = out.ecs.get_mut(&ec.fiscal_code) {
            info.enabled = ec.enabled;
        }
        for i in &ec.ibans {
            out = out.with_iban(&ec.fiscal_code, &i.iban, i.postal);
        }
    }
    out
}

fn client_url(addr: SocketAddr) -> String {
    format!("http://{addr}")
}

async fn bind(what: &'static str, addr: SocketAddr) -> Result<TcpListener, ServeError> {
    TcpListener::bind(addr)
        .await
        .map_err(|source| ServeError::Bind { what, addr, source })
}

/// State of the mock ACA's persistence layer.
#[derive(Debug, Clone)]
struct AcaPersist {
    writer: Arc<Writer>,
    inflight: Arc<tokio::sync::RwLock<()>>,
}

fn problem(detail: &str) -> Response {
    let body = serde_json::json!({
        "title": "Internal Server Error",
        "status": 500,
        "detail": detail,
    });
    let mut r = Response::new(axum::body::Body::from(body.to_string()));
    *r.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r
}

/// Runs the call on a task of its own and, when `accepted` says its status is a change the
/// server applied, commits what `write_of` reads in the answer before the answer leaves. A
/// client that hangs up cannot leave a change applied in memory and missing from the file, and
/// shutdown waits for the call (`inflight`).
async fn commit_before_answering(
    writer: Arc<Writer>,
    inflight: Arc<tokio::sync::RwLock<()>>,
    request: Request,
    next: Next,
    accepted: fn(StatusCode) -> bool,
    write_of: impl FnOnce(&[u8]) -> Option<Write> + Send + 'static,
) -> Response {
    let guard = inflight.read_owned().await;
    let task = tokio::spawn(async move {
        let response = next.run(request).await;
        if !accepted(response.status()) {
            return response;
        }
        let (parts, body) = response.into_parts();
        let Ok(bytes) = axum::body::to_bytes(body, 16 * 1024 * 1024).await else {
            return problem("the answer could not be read back to persist it");
        };
        if let Some(write) = write_of(&bytes) {
            if let Err(e) = writer.commit(vec![write]).await {
                return problem(&format!(
                    "the change was applied but not persisted ({e}); send it again"
                ));
            }
        }
        drop(guard);
        Response::from_parts(parts, axum::body::Body::from(bytes))
    });
    task.await
        .unwrap_or_else(|_| problem("the call failed inside collaudo"))
}

/// Around the mock ACA: an accepted call (HTTP 200, a `DebtPositionResponse`) is committed to
/// the file before its answer leaves.
async fn persist_aca(State(p): State<AcaPersist>, request: Request, next: Next) -> Response {
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Key {
        pa_fiscal_code: String,
        iuv: String,
    }
    commit_before_answering(
        p.writer,
        p.inflight,
        request,
        next,
        |status| status == StatusCode::OK,
        |bytes| {
            serde_json::from_slice::<Key>(bytes)
                .ok()
                .map(|key| Write::Position {
                    pa_fiscal_code: key.pa_fiscal_code,
                    iuv: key.iuv,
                })
        },
    )
    .await
}

#[derive(Clone)]
struct GpdPersist {
    writer: Arc<Writer>,
    inflight: Arc<tokio::sync::RwLock<()>>,
    store: collaudo_nodo::gpd::GpdStore,
}

/// The organisation and, when the path names one, the position of a GPD debt-positions call:
/// `…/organizations/{org}/debtpositions[/{iupd}[/publish|/invalidate]]`.
fn gpd_target(path: &str) -> Option<(String, Option<String>)> {
    let mut parts = path.split('/').filter(|p| !p.is_empty());
    parts.find(|p| *p == "organizations")?;
    let org = parts.next()?.to_string();
    if parts.next()? != "debtpositions" {
        return None;
    }
    Some((org, parts.next().map(str::to_string)))
}

/// Around the mock GPD: a change it accepted (2xx to POST, PUT or DELETE on a debt position)
/// is committed to the file before its answer leaves, as for the ACA.
async fn persist_gpd(State(p): State<GpdPersist>, request: Request, next: Next) -> Response {
    #[derive(serde::Deserialize)]
    struct Created {
        iupd: String,
    }
    let mutating = matches!(
        *request.method(),
        axum::http::Method::POST | axum::http::Method::PUT | axum::http::Method::DELETE
    );
    let target = gpd_target(request.uri().path()).filter(|_| mutating);
    let Some((org, iupd)) = target else {
        return next.run(request).await;
    };
    let store = p.store.clone();
    commit_before_answering(
        p.writer,
        p.inflight,
        request,
        next,
        |status| status.is_success(),
        move |bytes| {
            // A create names its IUPD in the body; the answer carries it back.
            let iupd = iupd.or_else(|| {
                serde_json::from_slice::<Created>(bytes)
                    .ok()
                    .map(|c| c.iupd)
            })?;
            Some(Write::GpdPosition { store, org, iupd })
        },
    )
    .await
}

fn link(
    url: &str,
    caller: Caller,
    connection: Arc<Connection>,
    timeouts: Timeouts,
    clock: &OffsetClock,
    journal: &Arc<Journal>,
    versions: (bool, bool),
) -> Result<StationLink, ServeError> {
    let client = NodoClient::new(
        StationTarget {
            url: url.to_string(),
            caller,
            soap_action_style: SoapActionStyle::Quoted,
        },
        connection,
        timeouts,
        Arc::new(clock.clone()) as Arc<dyn Clock>,
        journal.clone(),
    )
    .map_err(|e| ServeError::Start(format!("station {url}: {e}")))?;
    Ok(StationLink {
        client,
        get_payment_v2: versions.0,
        send_rt_v2: versions.1,
    })
}

fn token_seed() -> u64 {
    // Tokens restart their counter at every start: another seed per process keeps a new token
    // from colliding with one restored from the file.
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    (nanos as u64) ^ (u64::from(std::process::id()) << 32)
}

/// Start everything: load the file, the mock ACA, the station(s), the Nodo, the control API
/// and the background tick. Every server is listening when this returns.
///
/// # Errors
/// [`ServeError`] when the file cannot be used, an address cannot be bound, or a station
/// cannot be started or reached.
pub async fn start(config: ServeConfig) -> Result<Server, ServeError> {
    collaudo_nodo::tls::install_default_provider();
    let (conn, loaded) = db::open(&config.db, config.durability)?;
    let clock = OffsetClock::new(loaded.clock_offset_ms);
    let mut restored = Restored {
        clock_offset_minutes: loaded.clock_offset_ms / 60_000,
        ..Restored::default()
    };

    // ---- who the platform knows ----
    let secondary_config = |c: &StationConfig| {
        let ec = collaudo_station::SECONDARY_EC_FISCAL_CODE;
        StationConfig {
            id_pa: ec.to_string(),
            id_broker_pa: ec.to_string(),
            id_station: format!("{ec}_01"),
            company_name: "Provincia di Collaudo".into(),
            aca: None,
            ..c.clone()
        }
    };
    let backoffice = match &config.station {
        StationChoice::Embedded(e) => {
            let primary = StationState::new(e.config.clone())
                .map_err(|err| ServeError::Start(format!("embedded station: {err}")))?;
            let secondary = StationState::new(secondary_config(&e.config))
                .map_err(|err| ServeError::Start(format!("embedded station: {err}")))?;
            backoffice_of(
                secondary.back_office(),
                backoffice_of(primary.back_office(), BackOffice::default()),
            )
        }
        StationChoice::External(x) => x.backoffice.clone(),
    };

    // ---- the mock ACA, with what the file holds ----
    let aca_config = AcaConfig {
        backoffice: backoffice.clone(),
        standin_ibans: config.aca.standin_ibans.clone(),
        // A long-running server: the call log would only grow. Calls are counted.
        retain_calls: false,
        ..AcaConfig::new(Arc::new(clock.clone()) as Arc<dyn Clock>)
            .with_key(config.aca.subscription_key.clone())
    };
    let aca = Arc::new(
        AcaState::new(aca_config).map_err(|e| ServeError::Start(format!("mock ACA: {e}")))?,
    );
    for p in &loaded.positions {
        match db::replay(aca.store(), p) {
            Ok(()) => restored.positions += 1,
            Err(e) => restored.problems.push(e),
        }
    }
    let writer = Arc::new(
        Writer::spawn(conn, aca.store().clone())
            .map_err(|e| ServeError::Start(format!("database writer: {e}")))?,
    );
    let inflight = Arc::new(tokio::sync::RwLock::new(()));
    let (stop, stopped) = watch::channel(false);
    let mut tasks = Vec::new();
    let wait_stop = |mut rx: watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|s| *s).await;
    };

    let aca_listener = bind("mock ACA", config.aca.listen).await?;
    let control_listener = bind("control API", config.listen).await?;
    let aca_addr = aca_listener
        .local_addr()
        .map_err(|e| ServeError::Start(e.to_string()))?;
    let aca_endpoint = format!("{}{}", client_url(aca_addr), collaudo_nodo::aca::ACA_PATH);
    let aca_router: Router =
        collaudo_nodo::aca::app(aca.clone()).layer(axum::middleware::from_fn_with_state(
            AcaPersist {
                writer: writer.clone(),
                inflight: inflight.clone(),
            },
            persist_aca,
        ));
    let limits = aca.config().limits;
    let rx = stopped.clone();
    tasks.push(tokio::spawn(async move {
        if let Err(e) = collaudo_serve::serve(aca_listener, aca_router, limits, wait_stop(rx)).await
        {
            tracing::error!(error = %e, "mock ACA server failed");
        }
    }));

    // ---- the mock GPD, for asynchronous ECs ----
    let mut gpd_url = None;
    let gpd = match &config.gpd {
        None => None,
        Some(g) => {
            let mut bo = backoffice.clone();
            for ec in &g.async_ecs {
                if bo.ec(ec).is_none() {
                    bo = bo.with_ec(ec, None);
                }
            }
            let mut gpd_config =
                collaudo_nodo::gpd::GpdConfig::new(Arc::new(clock.clone()) as Arc<dyn Clock>)
                    .with_key(g.subscription_key.clone())
                    .with_backoffice(bo.clone());
            // IBANs are checked against the back office only where it knows the EC's IBANs.
            gpd_config.check_iban = g
                .async_ecs
                .iter()
                .all(|ec| bo.ibans.get(ec).is_some_and(|l| !l.is_empty()));
            // A long-running server: the call log would only grow.
            gpd_config.retain_calls = false;
            let state = Arc::new(collaudo_nodo::gpd::GpdState::new(gpd_config));
            for json in &loaded.gpd_positions {
                match serde_json::from_str(json)
                    .map_err(|e| e.to_string())
                    .and_then(|p| state.store().restore(p))
                {
                    Ok(()) => restored.gpd_positions += 1,
                    Err(e) => restored.problems.push(format!("mock GPD position: {e}")),
                }
            }
            for json in &loaded.gpd_receipts {
                match serde_json::from_str(json) {
                    Ok(r) => state.store().restore_receipt(r),
                    Err(e) => restored.problems.push(format!("mock GPD receipt: {e}")),
                }
            }
            let listener = bind("mock GPD", g.listen).await?;
            let addr = listener
                .local_addr()
                .map_err(|e| ServeError::Start(e.to_string()))?;
            gpd_url = Some(client_url(addr));
            let router =
                collaudo_nodo::gpd::app(state.clone()).layer(axum::middleware::from_fn_with_state(
                    GpdPersist {
                        writer: writer.clone(),
                        inflight: inflight.clone(),
                        store: state.store().clone(),
                    },
                    persist_gpd,
                ));
            let limits = state.config().limits;
            let rx = stopped.clone();
            tasks.push(tokio::spawn(async move {
                if let Err(e) = collaudo_serve::serve(listener, router, limits, wait_stop(rx)).await
                {
                    tracing::error!(error = %e, "mock GPD server failed");
                }
            }));
            Some(state)
        }
    };

    // ---- the stations and the Nodo ----
    let journal = Arc::new(match &config.journal {
        Some(path) => Journal::create_streaming(path)
            .map_err(|e| ServeError::Start(format!("journal {}: {e}", path.display())))?,
        None => Journal::counting(),
    });
    let mut handles = Vec::new();
    let mut infos = Vec::new();
    let mut registry = Registry::default();
    match &config.station {
        StationChoice::Embedded(e) => {
            let listener = bind("embedded station", e.listen).await?;
            let primary = collaudo_station::start(
                StationConfig {
                    aca: e.register_in_aca.then(|| {
                        collaudo_station::AcaTarget::new(
                            aca_endpoint.clone(),
                            config.aca.subscription_key.clone(),
                        )
                    }),
                    ..e.config.clone()
                },
                listener,
            )
            .await
            .map_err(|err| ServeError::Start(format!("embedded station: {err}")))?;
            let listener = bind("embedded broadcast station", ([127, 0, 0, 1], 0).into()).await?;
            let secondary = collaudo_station::start(secondary_config(&e.config), listener)
                .await
                .map_err(|err| ServeError::Start(format!("embedded station: {err}")))?;
            for (h, versions, own_broadcast) in [
                (&primary, (true, true), false),
                (&secondary, (true, false), true),
            ] {
                let c = h.state().config();
                let caller = Caller {
                    id_pa: c.id_pa.clone(),
                    id_broker_pa: c.id_broker_pa.clone(),
                    id_station: c.id_station.clone(),
                };
                let l = link(
                    &h.url,
                    caller,
                    Arc::default(),
                    Timeouts::nodo(),
                    &clock,
                    &journal,
                    versions,
                )?;
                registry = registry.with_station(l).with_ec(EcEntry {
                    fiscal_code: c.id_pa.clone(),
                    integration: Integration::Sync,
                    station: Some(c.id_station.clone()),
                    broadcast: if own_broadcast {
                        vec![c.id_station.clone()]
                    } else {
                        Vec::new()
                    },
                });
                infos.push(StationInfo {
                    id: c.id_station.clone(),
                    url: h.url.clone(),
                    ecs: vec![c.id_pa.clone()],
                    embedded: true,
                });
            }
            handles.push(primary);
            handles.push(secondary);
        }
        StationChoice::External(x) => {
            let l = link(
                &x.url,
                x.caller.clone(),
                x.connection.clone(),
                x.timeouts.clone(),
                &clock,
                &journal,
                (x.get_payment_v2, x.send_rt_v2),
            )?;
            registry = registry.with_station(l).with_ec(EcEntry {
                fiscal_code: x.caller.id_pa.clone(),
                integration: Integration::Sync,
                station: Some(x.caller.id_station.clone()),
                broadcast: Vec::new(),
            });
            infos.push(StationInfo {
                id: x.caller.id_station.clone(),
                url: x.url.clone(),
                ecs: vec![x.caller.id_pa.clone()],
                embedded: false,
            });
            for b in &x.broadcast {
                let l = link(
                    &b.url,
                    b.caller.clone(),
                    x.connection.clone(),
                    x.timeouts.clone(),
                    &clock,
                    &journal,
                    (true, b.send_rt_v2),
                )?;
                registry = registry.with_station(l).with_ec(EcEntry {
                    fiscal_code: b.fiscal_code.clone(),
                    integration: Integration::Sync,
                    station: Some(b.caller.id_station.clone()),
                    broadcast: vec![b.caller.id_station.clone()],
                });
                infos.push(StationInfo {
                    id: b.caller.id_station.clone(),
                    url: b.url.clone(),
                    ecs: vec![b.fiscal_code.clone()],
                    embedded: false,
                });
            }
        }
    }
    for ec in config.gpd.iter().flat_map(|g| g.async_ecs.iter()) {
        registry = registry.with_ec(EcEntry {
            fiscal_code: ec.clone(),
            integration: collaudo_nodo::nodo::Integration::Async,
            station: None,
            broadcast: Vec::new(),
        });
    }
    let nodo = Nodo::new(NodoConfig {
        registry,
        backoffice: backoffice.clone(),
        policy: config.policy.clone(),
        // The first attempt only: the retries follow serve time (see `service`).
        retry: RetryPolicy {
            max_attempts: 1,
            ..config.retry
        },
        standin: config.standin.clone(),
        aca: Some(aca.clone()),
        gpd,
        clock: Arc::new(clock.clone()),
        journal,
        seed: token_seed(),
    })
    .map_err(|e| ServeError::Start(e.to_string()))?;
    // Hand-driven traffic is small: against the default 1 000 requests a slot, a station's
    // failures would never be a large enough share for the monitor to act.
    nodo.set_traffic(TrafficModel::PerSlot(10));
    for p in &loaded.open_payments {
        match restore_payment(&nodo, p) {
            Ok(()) => restored.open_payments += 1,
            Err(e) => restored.problems.push(e),
        }
    }
    let mut pending = Vec::new();
    for (row, receipt) in loaded.pending {
        match serde_json::from_str::<Receipt>(&receipt) {
            Ok(receipt) => pending.push(Pending { row, receipt }),
            Err(e) => restored
                .problems
                .push(format!("receipt {}: {e}", row.token)),
        }
    }
    restored.pending_retries = pending.len();
    let service = Arc::new(Service {
        nodo,
        clock: clock.clone(),
        writer: writer.clone(),
        aca: aca.clone(),
        stations: infos,
        retry: config.retry,
        standin: config.standin.clone(),
        backoffice,
        policy: config.policy.clone(),
        pending: tokio::sync::Mutex::new(pending),
        time: tokio::sync::Mutex::new(()),
        seen_transitions: std::sync::Mutex::default(),
        persisted_offset: std::sync::atomic::AtomicI64::new(loaded.clock_offset_ms),
    });
    // A station in Stand-In when the previous process stopped goes back into it, the way it
    // got there (the Nodo's monitor is not persisted, only its transitions).
    for id in &loaded.in_stand_in {
        if service.station(id).is_err() {
            continue;
        }
        match service.enter_stand_in(id).await {
            Ok(_) => restored.stand_in.push(id.clone()),
            Err(e) => restored
                .problems
                .push(format!("station {id} back into Stand-In: {}", e.message())),
        }
    }

    // ---- the control API and the tick ----
    let control_addr = control_listener
        .local_addr()
        .map_err(|e| ServeError::Start(e.to_string()))?;
    let router = api::router(api::Ctx {
        service: service.clone(),
        db_path: Arc::new(config.db.clone()),
        inflight: inflight.clone(),
    });
    let rx = stopped.clone();
    tasks.push(tokio::spawn(async move {
        if let Err(e) = collaudo_serve::serve(
            control_listener,
            router,
            collaudo_serve::Limits::default(),
            wait_stop(rx),
        )
        .await
        {
            tracing::error!(error = %e, "control API server failed");
        }
    }));
    let (svc, mut rx, tick) = (service.clone(), stopped.clone(), config.tick);
    tasks.push(tokio::spawn(async move {
        loop {
            tokio::select! {
                _ = rx.changed() => break,
                () = tokio::time::sleep(tick) => {
                    if let Err(e) = svc.tick().await {
                        tracing::warn!(error = e.message(), "background tick");
                    }
                }
            }
        }
    }));
    Ok(Server {
        control_url: client_url(control_addr),
        aca_endpoint,
        gpd_url,
        restored,
        service,
        stop,
        tasks,
        inflight,
        stations: handles,
        writer,
    })
}

fn restore_payment(nodo: &Nodo, p: &PaymentRow) -> Result<(), String> {
    let data: PaymentData =
        serde_json::from_str(&p.data).map_err(|e| format!("payment {}: {e}", p.token))?;
    let route = match p.route.as_str() {
        "aca" => Route::Aca(p.station.clone()),
        "gpd" => Route::Gpd,
        _ => Route::Station(p.station.clone()),
    };
    nodo.restore_payment(
        &p.token,
        QrCode {
            fiscal_code: p.fiscal_code.clone(),
            notice_number: p.notice_number.clone(),
        },
        route,
        data,
    );
    Ok(())
}

impl Server {
    /// The operations (what the control API calls).
    pub fn service(&self) -> &Arc<Service> {
        &self.service
    }

    /// The embedded stations (the primary first), empty for an external station.
    pub fn embedded_stations(&self) -> &[StationHandle] {
        &self.stations
    }

    /// Stop: no new connection on the control API and the mock ACA, requests in flight
    /// finish, every accepted write is committed, the WAL is checkpointed, the embedded
    /// stations stop.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        for t in self.tasks {
            let _ = t.await;
        }
        // Operations whose client went away still run to their commit.
        let _all = self.inflight.write().await;
        let writer = self.writer.clone();
        let _ = tokio::task::spawn_blocking(move || writer.close()).await;
        for h in self.stations {
            let _ = h.shutdown().await;
        }
    }
}

/// Resolves on the first SIGINT (Ctrl-C) or SIGTERM.
///
/// The handlers are installed when this is called, not when the future is first polled:
/// `serve` polls it only after printing its readiness line, and a SIGTERM sent in between
/// (a supervisor reacting to that line) would otherwise kill the process with the default
/// action, skipping the commit. Call it inside the runtime.
pub fn shutdown_signal() -> impl Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let term = signal(SignalKind::terminate()).ok();
        let int = signal(SignalKind::interrupt()).ok();
        async move {
            match (term, int) {
                (Some(mut term), Some(mut int)) => {
                    tokio::select! {
                        _ = int.recv() => {}
                        _ = term.recv() => {}
                    }
                }
                (Some(mut term), None) => {
                    let _ = term.recv().await;
                }
                (None, Some(mut int)) => {
                    let _ = int.recv().await;
                }
                (None, None) => {
                    let _ = tokio::signal::ctrl_c().await;
                }
            }
        }
    }
    #[cfg(not(unix))]
    {
        async move {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

/// `collaudo serve`: start, print where everything listens (the last line,
/// `collaudo serve ready: control=URL aca=URL`, says it is ready), serve until `shutdown`
/// resolves, then stop gracefully.
///
/// # Errors
/// Those of [`start`].
pub async fn serve(
    config: ServeConfig,
    out: &mut (dyn std::io::Write + Send),
    shutdown: impl Future<Output = ()>,
) -> Result<(), ServeError> {
    let db = config.db.clone();
    let durability = config.durability;
    let server = start(config).await?;
    let r = &server.restored;
    let _ = writeln!(
        out,
        "database {} (WAL, synchronous={}): {} positions, {} open payments, {} receipt retries due restored; clock {} min ahead of the wall clock",
        db.display(),
        match durability {
            Durability::Normal => "NORMAL",
            Durability::Full => "FULL",
        },
        r.positions,
        r.open_payments,
        r.pending_retries,
        r.clock_offset_minutes
    );
    for p in &r.problems {
        let _ = writeln!(out, "warning: not restored: {p}");
    }
    for id in &r.stand_in {
        let _ = writeln!(
            out,
            "station {id} is back in Stand-In, as before the restart"
        );
    }
    for s in server.service().stations() {
        let _ = writeln!(
            out,
            "station {}{}: {} (ECs {})",
            s.id,
            if s.embedded { " (embedded)" } else { "" },
            s.url,
            s.ecs.join(", ")
        );
    }
    let _ = writeln!(out, "mock ACA: POST {}", server.aca_endpoint);
    if let Some(gpd) = &server.gpd_url {
        let _ = writeln!(
            out,
            "mock GPD: {gpd}/gpd/debt-positions-service/v1 (v3, and the receipts API at /gpd/payments-receipts-service/v1; OpenAPI at {gpd}/openapi.json); {} positions restored",
            r.gpd_positions
        );
    }
    let _ = writeln!(
        out,
        "web page: {}/  ·  JSON state: {}/state  ·  PSP: POST {}/psp/pay",
        server.control_url, server.control_url, server.control_url
    );
    let _ = writeln!(
        out,
        "collaudo serve ready: control={} aca={}{}",
        server.control_url,
        server.aca_endpoint,
        server
            .gpd_url
            .as_deref()
            .map_or(String::new(), |g| format!(" gpd={g}"))
    );
    let _ = out.flush();
    shutdown.await;
    let _ = writeln!(out, "stopping: finishing requests in flight, committing");
    let _ = out.flush();
    server.shutdown().await;
    let _ = writeln!(out, "stopped");
    let _ = out.flush();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::gpd_target;

    #[test]
    fn a_gpd_call_names_its_organisation_and_position() {
        let v1 = "/gpd/debt-positions-service/v1/organizations/80000000001/debtpositions";
        assert_eq!(gpd_target(v1), Some(("80000000001".into(), None)));
        assert_eq!(
            gpd_target(&format!("{v1}/IUPD-1/publish")),
            Some(("80000000001".into(), Some("IUPD-1".into())))
        );
        assert_eq!(
            gpd_target(
                "/gpd/debt-positions-service/v3/organizations/80000000001/debtpositions/IUPD-2"
            ),
            Some(("80000000001".into(), Some("IUPD-2".into())))
        );
        assert_eq!(
            gpd_target("/gpd/payments-receipts-service/v1/payments/80000000001/receipts"),
            None
        );
        assert_eq!(gpd_target("/openapi.json"), None);
    }
}
