//! The HTTP transport: axum router for the station path, `/health` and the admin API, and the
//! lifecycle of a running station.

mod admin;
mod app;
mod handle;

pub use app::{ADMIN_PREFIX, MAX_BODY_BYTES, STATION_PATH, app};
pub use handle::{StationHandle, bind, bind_tls, start, start_tls};
