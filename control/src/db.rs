//! The SQLite file of `collaudo serve`: what must survive a restart.
//!
//! * **positions**: every position the mock ACA holds, as a snapshot (request, resolved IBAN,
//!   status, history), rewritten after each accepted `paCreatePosition` and after a Stand-In
//!   payment marks it paid;
//! * **payments**: every activation with a token (open until closed), with its payment data,
//!   and the receipt once closed;
//! * **deliveries** and **attempts**: each receipt's recipients, where their delivery stands
//!   (delivered, pending with the time of the next retry, stuck) and every attempt;
//! * **transitions**: the Stand-In transitions of every station;
//! * **gpd_positions** and **gpd_receipts**: the mock GPD's debt positions (as stored, their
//!   status included) and the receipts its receipts API serves;
//! * **journal**: one line per call the Nodo made or answered itself (verify, activate, probe);
//! * **meta**: the schema version and the clock offset.
//!
//! One writer thread owns the write connection. Callers send a batch of [`Write`]s and wait for
//! its acknowledgement: the batch is committed (WAL, so a commit is a `write()` to the WAL file,
//! durable against a crash of the process) before the HTTP answer leaves. Batches that arrive
//! while a commit runs go into the next transaction together (group commit), so concurrent
//! requests share the cost of a commit instead of queueing behind one each.

use collaudo_nodo::VirtualTime;
use collaudo_nodo::aca::{AcaStore, HistoryAction, HistoryEntry, PositionStatus, ResolvedIban};
use collaudo_nodo::gpd::GpdStore;
use collaudo_wire::aca::NewDebtPositionRequest;
use rusqlite::{Connection, OpenFlags, OptionalExtension, params};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::thread::JoinHandle;
use tokio::sync::oneshot;

/// Version of the schema below; a file with another one is refused rather than misread.
const SCHEMA_VERSION: i64 = 1;

/// Most batches one transaction takes, so that one commit never holds many answers for long.
const GROUP_MAX: usize = 512;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS positions (
    iupd TEXT PRIMARY KEY,
    pa_fiscal_code TEXT NOT NULL,
    iuv TEXT NOT NULL,
    nav TEXT NOT NULL,
    status TEXT NOT NULL,
    amount_cents INTEGER NOT NULL,
    record TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS payments (
    token TEXT PRIMARY KEY,
    fiscal_code TEXT NOT NULL,
    notice_number TEXT NOT NULL,
    route TEXT NOT NULL,
    station TEXT NOT NULL,
    amount_cents INTEGER NOT NULL,
    activated_at TEXT NOT NULL,
    data TEXT NOT NULL,
    closed_at TEXT,
    receipt TEXT
);
CREATE TABLE IF NOT EXISTS deliveries (
    token TEXT NOT NULL,
    recipient TEXT NOT NULL,
    station TEXT NOT NULL,
    result TEXT NOT NULL,
    first_at INTEGER NOT NULL,
    next_n INTEGER NOT NULL,
    next_at INTEGER,
    PRIMARY KEY (token, recipient)
);
CREATE TABLE IF NOT EXISTS attempts (
    id INTEGER PRIMARY KEY,
    token TEXT NOT NULL,
    recipient TEXT NOT NULL,
    n INTEGER NOT NULL,
    at TEXT NOT NULL,
    latency_ms REAL NOT NULL,
    status INTEGER,
    injected TEXT,
    outcome TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS attempts_by_token ON attempts (token, recipient, n);
CREATE TABLE IF NOT EXISTS transitions (
    id INTEGER PRIMARY KEY,
    station TEXT NOT NULL,
    at TEXT NOT NULL,
    from_state TEXT NOT NULL,
    to_state TEXT NOT NULL,
    reason TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS gpd_positions (
    org TEXT NOT NULL,
    iupd TEXT NOT NULL,
    status TEXT NOT NULL,
    record TEXT NOT NULL,
    PRIMARY KEY (org, iupd)
);
CREATE TABLE IF NOT EXISTS gpd_receipts (
    org TEXT NOT NULL,
    iuv TEXT NOT NULL,
    record TEXT NOT NULL,
    PRIMARY KEY (org, iuv)
);
CREATE TABLE IF NOT EXISTS journal (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    operation TEXT NOT NULL,
    station TEXT NOT NULL,
    notice TEXT NOT NULL,
    route TEXT NOT NULL,
    status INTEGER,
    latency_ms REAL,
    outcome TEXT NOT NULL
);
";

/// How hard a commit is pushed to the disk (`PRAGMA synchronous`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Durability {
    /// `NORMAL` (the default): in WAL mode a commit is written to the WAL file before the
    /// answer, and the WAL is synced at checkpoints. A committed write survives the process
    /// being killed (even SIGKILL); only an OS crash or power loss can take the last commits.
    #[default]
    Normal,
    /// `FULL`: the WAL is also synced at every commit, so a commit survives a power loss too,
    /// at the cost of one fsync per group of concurrent requests.
    Full,
}

impl Durability {
    fn pragma(self) -> &'static str {
        match self {
            Durability::Normal => "NORMAL",
            Durability::Full => "FULL",
        }
    }
}

/// Why the file could not be opened, read or written.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// SQLite refused.
    #[error("{path}: {source}")]
    Sqlite {
        /// The file.
        path: PathBuf,
        /// SQLite's error.
        #[source]
        source: rusqlite::Error,
    },
    /// The file was written by another version of collaudo.
    #[error(
        "{path}: schema version {found}, this collaudo reads version {SCHEMA_VERSION}: use another --db file"
    )]
    Schema {
        /// The file.
        path: PathBuf,
        /// The version it holds.
        found: String,
    },
    /// A stored value does not read back.
    #[error("{path}: a stored {what} does not read back: {reason}")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// Which record.
        what: String,
        /// Why.
        reason: String,
    },
    /// The writer thread is gone (the server is shutting down).
    #[error("the database writer has stopped")]
    Stopped,
    /// A commit failed; nothing of its batch was written.
    #[error("cannot commit to the database: {0}")]
    Commit(String),
}

/// A position as stored: enough to rebuild it in an [`AcaStore`] exactly (status, history,
/// resolved IBAN, last data).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PositionRecord {
    /// The data of the last call that created or updated it.
    pub request: NewDebtPositionRequest,
    /// The IBAN a Stand-In payment would credit.
    pub iban: ResolvedIban,
    /// Its status.
    pub status: PositionStatus,
    /// Every accepted call, oldest first.
    pub history: Vec<HistoryEntry>,
}

/// A payment as stored when activated.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PaymentRow {
    /// The payment token.
    pub token: String,
    /// EC fiscal code.
    pub fiscal_code: String,
    /// Notice number.
    pub notice_number: String,
    /// `station` or `aca`.
    pub route: String,
    /// The station that answered (or that was in Stand-In).
    pub station: String,
    /// Amount in cents.
    pub amount_cents: i64,
    /// When it was activated (serve time).
    pub activated_at: String,
    /// The activation's payment data, as JSON.
    pub data: String,
}

/// Where one receipt's delivery to one recipient stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryRow {
    /// The payment token (the receipt id).
    pub token: String,
    /// `station <id>`.
    pub recipient: String,
    /// The station's id.
    pub station: String,
    /// `delivered`, `pending` or `stuck`.
    pub result: String,
    /// When the first attempt was made (ms since the epoch, serve time).
    pub first_at: i64,
    /// The number of the next attempt (1-based).
    pub next_n: u32,
    /// When the next attempt is due (ms since the epoch), while pending.
    pub next_at: Option<i64>,
}

/// One delivery attempt.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AttemptRow {
    /// The payment token.
    pub token: String,
    /// `station <id>`.
    pub recipient: String,
    /// 1-based.
    pub n: u32,
    /// When (serve time, RFC 3339).
    pub at: String,
    /// Real duration.
    pub latency_ms: f64,
    /// HTTP status, when an answer came.
    pub status: Option<u16>,
    /// The injected fault, if any.
    pub injected: Option<String>,
    /// How it ended, in words.
    pub outcome: String,
}

/// One Stand-In transition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransitionRow {
    /// The station.
    pub station: String,
    /// When (serve time).
    pub at: String,
    /// `normal` or `stand-in`.
    pub from: String,
    /// `normal` or `stand-in`.
    pub to: String,
    /// Why.
    pub reason: String,
}

/// One line of the journal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JournalRow {
    /// When (serve time).
    pub at: String,
    /// `verify`, `activate`, `probe`.
    pub operation: String,
    /// The station concerned.
    pub station: String,
    /// The notice.
    pub notice: String,
    /// Who answered: the station, ACA, or the Nodo (refused).
    pub route: String,
    /// HTTP status of the station's answer, when the station was called and answered.
    pub status: Option<u16>,
    /// Real duration of the call, when the station was called.
    pub latency_ms: Option<f64>,
    /// What the Nodo concluded.
    pub outcome: String,
}

/// One change to persist.
#[derive(Debug, Clone)]
pub enum Write {
    /// The ACA position (`pa_fiscal_code`, `iuv`) changed: the writer stores the store's
    /// current snapshot of it, read when the batch is written, so that concurrent changes of
    /// one key always leave the latest state in the file.
    Position {
        /// EC fiscal code.
        pa_fiscal_code: String,
        /// IUV.
        iuv: String,
    },
    /// A payment was activated.
    PaymentOpened(PaymentRow),
    /// A payment was closed.
    PaymentClosed {
        /// Its token.
        token: String,
        /// When.
        at: String,
        /// The receipt, as JSON.
        receipt: String,
    },
    /// A delivery's state (inserted or replaced).
    Delivery(DeliveryRow),
    /// A delivery attempt.
    Attempt(AttemptRow),
    /// A Stand-In transition.
    Transition(TransitionRow),
    /// A journal line.
    Journal(JournalRow),
    /// The clock's offset, in milliseconds.
    ClockOffset(i64),
    /// The mock GPD's position (`org`, `iupd`) changed: the writer stores `store`'s current
    /// copy of it when the batch is written (or deletes the row once the position is gone),
    /// so concurrent changes of one position always leave the latest in the file.
    GpdPosition {
        /// The mock GPD's store.
        store: GpdStore,
        /// The organisation.
        org: String,
        /// The position.
        iupd: String,
    },
    /// The mock GPD took a receipt for notice `iuv` of `org` (read from `store` when written).
    GpdReceipt {
        /// The mock GPD's store.
        store: GpdStore,
        /// The organisation.
        org: String,
        /// The paid notice's IUV.
        iuv: String,
    },
}

/// What the file held at start.
#[derive(Debug, Default)]
pub struct Loaded {
    /// The clock offset, in milliseconds.
    pub clock_offset_ms: i64,
    /// Every position, in the order they were first stored.
    pub positions: Vec<PositionRecord>,
    /// Payments activated and never closed.
    pub open_payments: Vec<PaymentRow>,
    /// Deliveries with retries still due, with their receipt (JSON).
    pub pending: Vec<(DeliveryRow, String)>,
    /// Stations whose last transition put them in Stand-In.
    pub in_stand_in: Vec<String>,
    /// The mock GPD's positions, as stored (JSON), in the order first stored.
    pub gpd_positions: Vec<String>,
    /// The mock GPD's receipts (JSON), in the order stored.
    pub gpd_receipts: Vec<String>,
}

fn sqlite(path: &Path) -> impl Fn(rusqlite::Error) -> DbError + '_ {
    move |source| DbError::Sqlite {
        path: path.to_path_buf(),
        source,
    }
}

/// Open (creating if needed) the file for writing, set WAL mode and `durability`, create the
/// schema and read back what it holds.
///
/// # Errors
/// [`DbError`] when the file cannot be opened, is of another schema version, or holds a
/// record that does not read back.
pub fn open(path: &Path, durability: Durability) -> Result<(Connection, Loaded), DbError> {
    let e = sqlite(path);
    let conn = Connection::open(path).map_err(&e)?;
    // WAL: readers (the page, GET /state) never block the writer nor the writer them.
    let mode: String = conn
        .query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))
        .map_err(&e)?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(DbError::Corrupt {
            path: path.to_path_buf(),
            what: "journal mode".into(),
            reason: format!("SQLite kept journal_mode={mode}, WAL is needed"),
        });
    }
    conn.execute_batch(&format!(
        "PRAGMA synchronous={}; PRAGMA busy_timeout=5000;",
        durability.pragma()
    ))
    .map_err(&e)?;
    conn.execute_batch(SCHEMA).map_err(&e)?;
    let version: Option<String> = conn
        .query_row("SELECT value FROM meta WHERE key='schema'", [], |r| {
            r.get(0)
        })
        .optional()
        .map_err(&e)?;
    match version {
        None => {
            conn.execute(
                "INSERT INTO meta (key, value) VALUES ('schema', ?1)",
                params![SCHEMA_VERSION.to_string()],
            )
            .map_err(&e)?;
        }
        Some(v) if v == SCHEMA_VERSION.to_string() => {}
        Some(found) => {
            return Err(DbError::Schema {
                path: path.to_path_buf(),
                found,
            });
        }
    }
    let loaded = load(&conn, path)?;
    Ok((conn, loaded))
}

fn corrupt(path: &Path, what: &str, reason: impl ToString) -> DbError {
    DbError::Corrupt {
        path: path.to_path_buf(),
        what: what.to_string(),
        reason: reason.to_string(),
    }
}

fn load(conn: &Connection, path: &Path) -> Result<Loaded, DbError> {
    let e = sqlite(path);
    let mut out = Loaded::default();
    let offset: Option<String> = conn
        .query_row(
            "SELECT value FROM meta WHERE key='clock_offset_ms'",
            [],
            |r| r.get(0),
        )
        .optional()
        .map_err(&e)?;
    if let Some(o) = offset {
        out.clock_offset_ms = o
            .parse()
            .map_err(|err| corrupt(path, "clock offset", err))?;
    }
    let mut st = conn
        .prepare("SELECT iupd, record FROM positions ORDER BY rowid")
        .map_err(&e)?;
    let rows = st
        .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
        .map_err(&e)?;
    for row in rows {
        let (iupd, record) = row.map_err(&e)?;
        let record: PositionRecord = serde_json::from_str(&record)
            .map_err(|err| corrupt(path, &format!("position {iupd}"), err))?;
        out.positions.push(record);
    }
    let mut st = conn
        .prepare(
            "SELECT token, fiscal_code, notice_number, route, station, amount_cents, activated_at, data
             FROM payments WHERE closed_at IS NULL ORDER BY rowid",
        )
        .map_err(&e)?;
    let rows = st
        .query_map([], |r| {
            Ok(PaymentRow {
                token: r.get(0)?,
                fiscal_code: r.get(1)?,
                notice_number: r.get(2)?,
                route: r.get(3)?,
                station: r.get(4)?,
                amount_cents: r.get(5)?,
                activated_at: r.get(6)?,
                data: r.get(7)?,
            })
        })
        .map_err(&e)?;
    for row in rows {
        out.open_payments.push(row.map_err(&e)?);
    }
    let mut st = conn
        .prepare(
            "SELECT d.token, d.recipient, d.station, d.result, d.first_at, d.next_n, d.next_at, p.receipt
             FROM deliveries d JOIN payments p ON p.token = d.token
             WHERE d.result = 'pending' AND p.receipt IS NOT NULL ORDER BY d.next_at",
        )
        .map_err(&e)?;
    let rows = st
        .query_map([], |r| {
            Ok((
                DeliveryRow {
                    token: r.get(0)?,
                    recipient: r.get(1)?,
                    station: r.get(2)?,
                    result: r.get(3)?,
                    first_at: r.get(4)?,
                    next_n: r.get(5)?,
                    next_at: r.get(6)?,
                },
                r.get::<_, String>(7)?,
            ))
        })
        .map_err(&e)?;
    for row in rows {
        out.pending.push(row.map_err(&e)?);
    }
    for (table, into) in [
        ("gpd_positions", &mut out.gpd_positions),
        ("gpd_receipts", &mut out.gpd_receipts),
    ] {
        let mut st = conn
            .prepare(&format!("SELECT record FROM {table} ORDER BY rowid"))
            .map_err(&e)?;
        let rows = st.query_map([], |r| r.get::<_, String>(0)).map_err(&e)?;
        for row in rows {
            into.push(row.map_err(&e)?);
        }
    }
    let mut st = conn
        .prepare(
            "SELECT station, to_state FROM transitions t
             WHERE id = (SELECT MAX(id) FROM transitions u WHERE u.station = t.station)
             ORDER BY station",
        )
        .map_err(&e)?;
    let rows = st
        .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
        .map_err(&e)?;
    for row in rows {
        let (station, to) = row.map_err(&e)?;
        if to == "stand-in" {
            out.in_stand_in.push(station);
        }
    }
    Ok(out)
}

/// Rebuild a stored position in `store`: its history replayed through
/// [`AcaStore::apply`] (each call with the amount it carried), then its status set. The store
/// keeps only the last data of a position, so every replayed call carries that data; status,
/// history (times, actions, amounts), IBAN and data come out as they were.
///
/// # Errors
/// The store refused a step (a record that does not describe a possible history).
pub fn replay(store: &AcaStore, record: &PositionRecord) -> Result<(), String> {
    let key = format!("{}/{}", record.request.pa_fiscal_code, record.request.iuv);
    for entry in &record.history {
        let mut request = record.request.clone();
        request.amount = match entry.action {
            HistoryAction::Cancelled => 0,
            HistoryAction::Created | HistoryAction::Updated => entry.amount_cents,
        };
        store
            .apply(&request, &record.iban, entry.at)
            .map_err(|e| format!("position {key}: {e}"))?;
    }
    let (pa, iuv) = (&record.request.pa_fiscal_code, &record.request.iuv);
    let moved = match record.status {
        PositionStatus::Paid => store.mark_paid(pa, iuv).map(drop),
        PositionStatus::Expired => store.expire(pa, iuv).map(drop),
        PositionStatus::Valid | PositionStatus::Invalid => Ok(()),
    };
    moved.map_err(|e| format!("position {key}: {e}"))?;
    match store.get(pa, iuv) {
        Some(p) if p.status == record.status => Ok(()),
        Some(p) => Err(format!(
            "position {key}: replayed as {}, stored as {}",
            p.status, record.status
        )),
        None => Err(format!("position {key}: no history to replay")),
    }
}

/// The snapshot of a position in `store`, as stored.
pub fn record_of(store: &AcaStore, pa_fiscal_code: &str, iuv: &str) -> Option<PositionRecord> {
    store.get(pa_fiscal_code, iuv).map(|p| PositionRecord {
        request: p.request,
        iban: p.iban,
        status: p.status,
        history: p.history,
    })
}

struct Job {
    writes: Vec<Write>,
    done: oneshot::Sender<Result<(), String>>,
}

/// The writer thread's handle: send batches, wait for their commit.
#[derive(Debug)]
pub struct Writer {
    tx: std::sync::Mutex<Option<mpsc::Sender<Job>>>,
    thread: std::sync::Mutex<Option<JoinHandle<()>>>,
}

impl Writer {
    /// Start the writer on `conn`; positions are read from `store` when written.
    ///
    /// # Errors
    /// The thread cannot be spawned.
    pub fn spawn(conn: Connection, store: AcaStore) -> std::io::Result<Writer> {
        let (tx, rx) = mpsc::channel::<Job>();
        let thread = std::thread::Builder::new()
            .name("collaudo-db-writer".into())
            .spawn(move || writer_loop(conn, &store, &rx))?;
        Ok(Writer {
            tx: std::sync::Mutex::new(Some(tx)),
            thread: std::sync::Mutex::new(Some(thread)),
        })
    }

    /// Commit `writes` as one unit (possibly in one transaction with other callers' batches),
    /// and return once it is committed.
    ///
    /// # Errors
    /// [`DbError::Commit`] if the transaction failed (nothing of it is in the file),
    /// [`DbError::Stopped`] after [`close`](Self::close).
    pub async fn commit(&self, writes: Vec<Write>) -> Result<(), DbError> {
        if writes.is_empty() {
            return Ok(());
        }
        let (done, wait) = oneshot::channel();
        {
            let tx = self
                .tx
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            let Some(tx) = tx.as_ref() else {
                return Err(DbError::Stopped);
            };
            tx.send(Job { writes, done })
                .map_err(|_| DbError::Stopped)?;
        }
        match wait.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(DbError::Commit(e)),
            Err(_) => Err(DbError::Stopped),
        }
    }

    /// Stop taking batches, commit those already sent, checkpoint the WAL into the main file
    /// and wait for the thread to end.
    pub fn close(&self) {
        drop(
            self.tx
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .take(),
        );
        let thread = self
            .thread
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take();
        if let Some(t) = thread {
            let _ = t.join();
        }
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        self.close();
    }
}

fn writer_loop(mut conn: Connection, store: &AcaStore, rx: &mpsc::Receiver<Job>) {
    while let Ok(first) = rx.recv() {
        let mut jobs = vec![first];
        while jobs.len() < GROUP_MAX {
            match rx.try_recv() {
                Ok(job) => jobs.push(job),
                Err(_) => break,
            }
        }
        let result = write_group(&mut conn, store, &jobs).map_err(|e| e.to_string());
        if let Err(e) = &result {
            tracing::error!(error = %e, "database commit failed");
        }
        for job in jobs {
            let _ = job.done.send(result.clone());
        }
    }
    // Every sender is gone: fold the WAL into the main file so the file is whole on its own.
    if let Err(e) = conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);") {
        tracing::warn!(error = %e, "WAL checkpoint at shutdown failed");
    }
}

fn write_group(conn: &mut Connection, store: &AcaStore, jobs: &[Job]) -> rusqlite::Result<()> {
    let tx = conn.transaction()?;
    for job in jobs {
        for w in &job.writes {
            apply(&tx, store, w)?;
        }
    }
    tx.commit()
}

/// A record as the JSON a column holds.
fn to_json(v: &impl Serialize) -> rusqlite::Result<String> {
    serde_json::to_string(v).map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))
}

fn apply(tx: &rusqlite::Transaction<'_>, store: &AcaStore, w: &Write) -> rusqlite::Result<()> {
    match w {
        Write::Position {
            pa_fiscal_code,
            iuv,
        } => {
            let Some(p) = store.get(pa_fiscal_code, iuv) else {
                return Ok(());
            };
            let record = PositionRecord {
                request: p.request.clone(),
                iban: p.iban.clone(),
                status: p.status,
                history: p.history.clone(),
            };
            let json = to_json(&record)?;
            tx.prepare_cached(
                "INSERT INTO positions (iupd, pa_fiscal_code, iuv, nav, status, amount_cents, record)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                 ON CONFLICT (iupd) DO UPDATE SET nav = ?4, status = ?5, amount_cents = ?6, record = ?7",
            )?
            .execute(params![
                p.iupd,
                pa_fiscal_code,
                iuv,
                p.nav,
                p.status.as_str(),
                p.request.amount,
                json
            ])?;
        }
        Write::PaymentOpened(p) => {
            tx.prepare_cached(
                "INSERT OR REPLACE INTO payments
                 (token, fiscal_code, notice_number, route, station, amount_cents, activated_at, data)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )?
            .execute(params![
                p.token,
                p.fiscal_code,
                p.notice_number,
                p.route,
                p.station,
                p.amount_cents,
                p.activated_at,
                p.data
            ])?;
        }
        Write::PaymentClosed { token, at, receipt } => {
            tx.prepare_cached("UPDATE payments SET closed_at = ?2, receipt = ?3 WHERE token = ?1")?
                .execute(params![token, at, receipt])?;
        }
        Write::Delivery(d) => {
            tx.prepare_cached(
                "INSERT OR REPLACE INTO deliveries (token, recipient, station, result, first_at, next_n, next_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?
            .execute(params![
                d.token,
                d.recipient,
                d.station,
                d.result,
                d.first_at,
                d.next_n,
                d.next_at
            ])?;
        }
        Write::Attempt(a) => {
            tx.prepare_cached(
                "INSERT INTO attempts (token, recipient, n, at, latency_ms, status, injected, outcome)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )?
            .execute(params![
                a.token,
                a.recipient,
                a.n,
                a.at,
                a.latency_ms,
                a.status,
                a.injected,
                a.outcome
            ])?;
        }
        Write::Transition(t) => {
            tx.prepare_cached(
                "INSERT INTO transitions (station, at, from_state, to_state, reason) VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![t.station, t.at, t.from, t.to, t.reason])?;
        }
        Write::Journal(j) => {
            tx.prepare_cached(
                "INSERT INTO journal (at, operation, station, notice, route, status, latency_ms, outcome)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )?
            .execute(params![
                j.at,
                j.operation,
                j.station,
                j.notice,
                j.route,
                j.status,
                j.latency_ms,
                j.outcome
            ])?;
        }
        Write::ClockOffset(ms) => {
            tx.prepare_cached(
                "INSERT INTO meta (key, value) VALUES ('clock_offset_ms', ?1)
                 ON CONFLICT (key) DO UPDATE SET value = ?1",
            )?
            .execute(params![ms.to_string()])?;
        }
        Write::GpdPosition { store, org, iupd } => match store.stored(org, iupd) {
            Some(p) => {
                let json = to_json(&p)?;
                tx.prepare_cached(
                    "INSERT INTO gpd_positions (org, iupd, status, record) VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT (org, iupd) DO UPDATE SET status = ?3, record = ?4",
                )?
                .execute(params![org, iupd, p.status.to_string(), json])?;
            }
            None => {
                tx.prepare_cached("DELETE FROM gpd_positions WHERE org = ?1 AND iupd = ?2")?
                    .execute(params![org, iupd])?;
            }
        },
        Write::GpdReceipt { store, org, iuv } => {
            if let Some(r) = store.receipt(org, iuv) {
                let json = to_json(&r)?;
                tx.prepare_cached(
                    "INSERT INTO gpd_receipts (org, iuv, record) VALUES (?1, ?2, ?3)
                     ON CONFLICT (org, iuv) DO UPDATE SET record = ?3",
                )?
                .execute(params![org, iuv, json])?;
            }
        }
    }
    Ok(())
}

/// A payment as the page and `GET /state` show it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PaymentView {
    /// The payment token (the receipt id once closed).
    pub token: String,
    /// EC fiscal code.
    pub fiscal_code: String,
    /// Notice number.
    pub notice_number: String,
    /// `station` or `aca`.
    pub route: String,
    /// The station.
    pub station: String,
    /// Amount in cents.
    pub amount_cents: i64,
    /// When activated.
    pub activated_at: String,
    /// When closed, if closed.
    pub closed_at: Option<String>,
    /// The receipt's deliveries, once closed.
    pub deliveries: Vec<DeliveryView>,
}

/// A receipt's delivery to one recipient, with its attempt timeline.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DeliveryView {
    /// `station <id>`.
    pub recipient: String,
    /// `delivered`, `pending`, `stuck`.
    pub result: String,
    /// The next retry, while pending (serve time).
    pub next_at: Option<String>,
    /// Every attempt, in order.
    pub attempts: Vec<AttemptRow>,
}

/// What the page and `GET /state` read from the file.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Snapshot {
    /// Payments, newest first (at most the limit).
    pub payments: Vec<PaymentView>,
    /// How many payments the file holds.
    pub payments_total: i64,
    /// Of which still open.
    pub payments_open: i64,
    /// Stand-In transitions, oldest first.
    pub transitions: Vec<TransitionRow>,
    /// Journal lines, newest first (at most the limit).
    pub journal: Vec<JournalRow>,
    /// How many journal lines the file holds.
    pub journal_total: i64,
}

/// Read what the page shows from the file at `path`, on a connection of its own (WAL: this
/// never waits for the writer). At most `limit` payments and journal lines, newest first.
///
/// # Errors
/// [`DbError::Sqlite`].
pub fn snapshot(path: &Path, limit: usize) -> Result<Snapshot, DbError> {
    let e = sqlite(path);
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(&e)?;
    conn.busy_timeout(std::time::Duration::from_secs(5))
        .map_err(&e)?;
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let mut out = Snapshot {
        payments_total: conn
            .query_row("SELECT COUNT(*) FROM payments", [], |r| r.get(0))
            .map_err(&e)?,
        payments_open: conn
            .query_row(
                "SELECT COUNT(*) FROM payments WHERE closed_at IS NULL",
                [],
                |r| r.get(0),
            )
            .map_err(&e)?,
        journal_total: conn
            .query_row("SELECT COUNT(*) FROM journal", [], |r| r.get(0))
            .map_err(&e)?,
        ..Snapshot::default()
    };
    let mut st = conn
        .prepare(
            "SELECT token, fiscal_code, notice_number, route, station, amount_cents, activated_at, closed_at
             FROM payments ORDER BY rowid DESC LIMIT ?1",
        )
        .map_err(&e)?;
    let rows = st
        .query_map(params![limit], |r| {
            Ok(PaymentView {
                token: r.get(0)?,
                fiscal_code: r.get(1)?,
                notice_number: r.get(2)?,
                route: r.get(3)?,
                station: r.get(4)?,
                amount_cents: r.get(5)?,
                activated_at: r.get(6)?,
                closed_at: r.get(7)?,
                deliveries: Vec::new(),
            })
        })
        .map_err(&e)?;
    for row in rows {
        out.payments.push(row.map_err(&e)?);
    }
    let mut deliveries = conn
        .prepare(
            "SELECT recipient, result, next_at FROM deliveries WHERE token = ?1 ORDER BY recipient",
        )
        .map_err(&e)?;
    let mut attempts = conn
        .prepare(
            "SELECT token, recipient, n, at, latency_ms, status, injected, outcome
             FROM attempts WHERE token = ?1 AND recipient = ?2 ORDER BY n, id",
        )
        .map_err(&e)?;
    for p in &mut out.payments {
        let rows = deliveries
            .query_map(params![p.token], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, Option<i64>>(2)?,
                ))
            })
            .map_err(&e)?;
        let mut list = Vec::new();
        for row in rows {
            let (recipient, result, next_at) = row.map_err(&e)?;
            list.push(DeliveryView {
                next_at: next_at.map(|ms| VirtualTime::from_millis(ms).to_string()),
                recipient,
                result,
                attempts: Vec::new(),
            });
        }
        for d in &mut list {
            let rows = attempts
                .query_map(params![p.token, d.recipient], |r| {
                    Ok(AttemptRow {
                        token: r.get(0)?,
                        recipient: r.get(1)?,
                        n: r.get(2)?,
                        at: r.get(3)?,
                        latency_ms: r.get(4)?,
                        status: r.get(5)?,
                        injected: r.get(6)?,
                        outcome: r.get(7)?,
                    })
                })
                .map_err(&e)?;
            for row in rows {
                d.attempts.push(row.map_err(&e)?);
            }
        }
        p.deliveries = list;
    }
    let mut st = conn
        .prepare("SELECT station, at, from_state, to_state, reason FROM transitions ORDER BY id")
        .map_err(&e)?;
    let rows = st
        .query_map([], |r| {
            Ok(TransitionRow {
                station: r.get(0)?,
                at: r.get(1)?,
                from: r.get(2)?,
                to: r.get(3)?,
                reason: r.get(4)?,
            })
        })
        .map_err(&e)?;
    for row in rows {
        out.transitions.push(row.map_err(&e)?);
    }
    let mut st = conn
        .prepare(
            "SELECT at, operation, station, notice, route, status, latency_ms, outcome
             FROM journal ORDER BY id DESC LIMIT ?1",
        )
        .map_err(&e)?;
    let rows = st
        .query_map(params![limit], |r| {
            Ok(JournalRow {
                at: r.get(0)?,
                operation: r.get(1)?,
                station: r.get(2)?,
                notice: r.get(3)?,
                route: r.get(4)?,
                status: r.get(5)?,
                latency_ms: r.get(6)?,
                outcome: r.get(7)?,
            })
        })
        .map_err(&e)?;
    for row in rows {
        out.journal.push(row.map_err(&e)?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use collaudo_nodo::aca::IbanSource;

    fn request(iuv: &str, amount: i64) -> NewDebtPositionRequest {
        let json = serde_json::json!({
            "paFiscalCode": "77777777777",
            "entityType": "F",
            "entityFiscalCode": "RSSMRA80A01H501U",
            "entityFullName": "Mario Rossi",
            "iuv": iuv,
            "amount": amount,
            "description": "TARI 2026",
            "expirationDate": "2030-12-31T23:59:59+01:00",
            "iban": "IT60X0542811101000000123456",
        });
        serde_json::from_value(json).expect("a valid request")
    }

    fn iban() -> ResolvedIban {
        ResolvedIban {
            iban: Some("IT60X0542811101000000123456".into()),
            postal: false,
            source: IbanSource::Request,
        }
    }

    fn at(minute: i64) -> VirtualTime {
        VirtualTime::from_millis(1_795_600_800_000 + minute * 60_000)
    }

    /// A store with one position in each status, reached through the histories an EC and the
    /// Stand-In simulator make.
    fn store_with_every_status() -> AcaStore {
        let store = AcaStore::new();
        let s = |iuv: &str, amount: i64, m: i64| {
            store
                .apply(&request(iuv, amount), &iban(), at(m))
                .expect("applied");
        };
        s("01000000000000001", 1000, 0); // VALID
        s("01000000000000002", 1000, 1);
        s("01000000000000002", 2500, 2); // VALID, updated
        s("01000000000000003", 1000, 3);
        s("01000000000000003", 0, 4); // INVALID
        s("01000000000000004", 1200, 5);
        store
            .mark_paid("77777777777", "01000000000000004")
            .expect("paid"); // PAID
        s("01000000000000005", 900, 6);
        store
            .expire("77777777777", "01000000000000005")
            .expect("expired"); // EXPIRED
        store
    }

    fn commit(writer: &Writer, writes: Vec<Write>) {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime");
        rt.block_on(writer.commit(writes)).expect("committed");
    }

    #[test]
    fn positions_come_back_with_their_status_history_iban_and_data() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("serve.db");
        let store = store_with_every_status();
        let (conn, loaded) = open(&path, Durability::Normal).expect("open");
        assert!(loaded.positions.is_empty());
        let writer = Writer::spawn(conn, store.clone()).expect("writer");
        let writes = store
            .positions()
            .iter()
            .map(|p| Write::Position {
                pa_fiscal_code: p.request.pa_fiscal_code.clone(),
                iuv: p.request.iuv.clone(),
            })
            .collect();
        commit(&writer, writes);
        writer.close();

        let (_conn, loaded) = open(&path, Durability::Normal).expect("reopen");
        assert_eq!(loaded.positions.len(), 5);
        let again = AcaStore::new();
        for record in &loaded.positions {
            replay(&again, record).expect("replayed");
        }
        assert_eq!(
            again.positions(),
            store.positions(),
            "the same positions, in order"
        );
        let statuses: Vec<_> = again.positions().iter().map(|p| p.status).collect();
        assert_eq!(
            statuses,
            [
                PositionStatus::Valid,
                PositionStatus::Valid,
                PositionStatus::Invalid,
                PositionStatus::Paid,
                PositionStatus::Expired
            ]
        );
    }

    #[test]
    fn a_later_change_of_a_position_replaces_the_stored_one() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("serve.db");
        let store = AcaStore::new();
        let (conn, _) = open(&path, Durability::Full).expect("open");
        let writer = Writer::spawn(conn, store.clone()).expect("writer");
        let key = || Write::Position {
            pa_fiscal_code: "77777777777".into(),
            iuv: "01000000000000009".into(),
        };
        store
            .apply(&request("01000000000000009", 100), &iban(), at(0))
            .expect("created");
        commit(&writer, vec![key()]);
        store
            .apply(&request("01000000000000009", 300), &iban(), at(1))
            .expect("updated");
        // Two notices of the same change in one batch: written once, as it is now.
        commit(&writer, vec![key(), key()]);
        writer.close();
        let (_c, loaded) = open(&path, Durability::Normal).expect("reopen");
        assert_eq!(loaded.positions.len(), 1);
        assert_eq!(loaded.positions[0].request.amount, 300);
        assert_eq!(loaded.positions[0].history.len(), 2);
    }

    #[test]
    fn payments_receipts_attempts_transitions_and_the_clock_round_trip() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("serve.db");
        let (conn, _) = open(&path, Durability::Normal).expect("open");
        let writer = Writer::spawn(conn, AcaStore::new()).expect("writer");
        let payment = |token: &str| PaymentRow {
            token: token.into(),
            fiscal_code: "77777777777".into(),
            notice_number: "301000000000000001".into(),
            route: "station".into(),
            station: "77777777777_01".into(),
            amount_cents: 1234,
            activated_at: at(0).to_string(),
            data: "{}".into(),
        };
        let delivery = |result: &str, next_n: u32, next_at: Option<i64>| DeliveryRow {
            token: "closed".into(),
            recipient: "station 77777777777_01".into(),
            station: "77777777777_01".into(),
            result: result.into(),
            first_at: at(1).millis(),
            next_n,
            next_at,
        };
        let attempt = |n: u32, outcome: &str| AttemptRow {
            token: "closed".into(),
            recipient: "station 77777777777_01".into(),
            n,
            at: at(i64::from(n) * 60).to_string(),
            latency_ms: 1.5,
            status: Some(200),
            injected: None,
            outcome: outcome.into(),
        };
        commit(
            &writer,
            vec![
                Write::PaymentOpened(payment("open")),
                Write::PaymentOpened(payment("closed")),
                Write::PaymentClosed {
                    token: "closed".into(),
                    at: at(1).to_string(),
                    receipt: "{\"receiptId\":\"closed\"}".into(),
                },
                Write::Attempt(attempt(
                    1,
                    "failed: PPT_ERRORE_EMESSO_DA_PAA/PAA_SYSTEM_ERROR",
                )),
                Write::Delivery(delivery("pending", 2, Some(at(61).millis()))),
                Write::Transition(TransitionRow {
                    station: "77777777777_01".into(),
                    at: at(2).to_string(),
                    from: "normal".into(),
                    to: "stand-in".into(),
                    reason: "4 of 6 slots failed".into(),
                }),
                Write::ClockOffset(3_600_000),
            ],
        );
        // The retry: one more attempt, the delivery replaced.
        commit(
            &writer,
            vec![
                Write::Attempt(attempt(2, "accepted")),
                Write::Delivery(delivery("delivered", 3, None)),
            ],
        );
        let snap = snapshot(&path, 10).expect("snapshot while the writer is open");
        assert_eq!((snap.payments_total, snap.payments_open), (2, 1));
        let closed = snap
            .payments
            .iter()
            .find(|p| p.token == "closed")
            .expect("closed");
        assert_eq!(closed.deliveries.len(), 1);
        assert_eq!(closed.deliveries[0].result, "delivered");
        let ns: Vec<u32> = closed.deliveries[0].attempts.iter().map(|a| a.n).collect();
        assert_eq!(ns, [1, 2]);
        writer.close();

        let (_c, loaded) = open(&path, Durability::Normal).expect("reopen");
        assert_eq!(loaded.clock_offset_ms, 3_600_000);
        assert_eq!(loaded.open_payments, vec![payment("open")]);
        assert!(loaded.pending.is_empty(), "the delivery is done");
        assert_eq!(loaded.in_stand_in, vec!["77777777777_01".to_string()]);
    }

    #[test]
    fn a_file_of_another_schema_version_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("serve.db");
        drop(open(&path, Durability::Normal).expect("open"));
        let conn = Connection::open(&path).expect("raw");
        conn.execute("UPDATE meta SET value = '99' WHERE key = 'schema'", [])
            .expect("update");
        drop(conn);
        let err = open(&path, Durability::Normal).expect_err("refused");
        assert!(err.to_string().contains("schema version 99"), "{err}");
    }

    #[test]
    fn a_record_that_does_not_replay_says_which() {
        let store = AcaStore::new();
        let record = PositionRecord {
            request: request("01000000000000007", 100),
            iban: iban(),
            status: PositionStatus::Paid,
            history: Vec::new(),
        };
        let err = replay(&store, &record).expect_err("no history");
        assert!(err.contains("77777777777/01000000000000007"), "{err}");
    }
}
