//! What a station is: its identities on the Nodo, its company name, its profile and its seed.

use crate::profiles::Profile;
use std::time::Duration;

/// How long the `slow` profile holds every answer unless told otherwise: above the 2 s
/// service level (DOMAIN.md §11) and below the Nodo's 7 s timeout, so SLA-001 fails while
/// the Nodo would still get an answer.
pub const DEFAULT_SLOW_DELAY: Duration = Duration::from_secs(3);

/// Configuration of a reference station.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StationConfig {
    /// Fiscal code of the primary EC served by the station (`idPA`).
    pub id_pa: String,
    /// The station's technological intermediary (`idBrokerPA`); also the fault bean `id`.
    pub id_broker_pa: String,
    /// The station code (`idStation`), conventionally `<brokerCF>_<NN>`.
    pub id_station: String,
    /// Company name of the primary EC.
    pub company_name: String,
    /// Which deliberate deviations to apply; [`Profile::Conformant`] for none.
    pub profile: Profile,
    /// Delay of every answer under [`Profile::Slow`].
    pub slow_delay: Duration,
    /// Seed of the fixture positions (notice numbers, IUVs, debtors, tokens).
    pub seed: u64,
}

impl Default for StationConfig {
    fn default() -> Self {
        StationConfig {
            id_pa: "77777777777".to_string(),
            id_broker_pa: "77777777777".to_string(),
            id_station: "77777777777_01".to_string(),
            company_name: "Comune di Collaudo".to_string(),
            profile: Profile::Conformant,
            slow_delay: DEFAULT_SLOW_DELAY,
            seed: 0,
        }
    }
}

impl StationConfig {
    /// The default station with another profile.
    pub fn with_profile(profile: Profile) -> Self {
        StationConfig {
            profile,
            ..StationConfig::default()
        }
    }
}
