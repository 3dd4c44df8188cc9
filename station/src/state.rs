//! Everything a running station holds: its configuration, back office, fixtures and positions.

use crate::config::StationConfig;
use crate::error::StationError;
use crate::positions::{self, BackOffice, Fixtures, Issuer, PositionStore};
use crate::profiles::ProfileMemory;

/// The state shared by the HTTP server, the handler and whoever inspects the station.
#[derive(Debug)]
pub struct StationState {
    config: StationConfig,
    back_office: BackOffice,
    fixtures: Fixtures,
    positions: PositionStore,
    profile_memory: ProfileMemory,
}

impl StationState {
    /// A station seeded from `config.seed`.
    ///
    /// # Errors
    /// [`StationError::Seed`] if a notice number cannot be generated (it always can for the
    /// segregation code and base range the station uses).
    pub fn new(config: StationConfig) -> Result<StationState, StationError> {
        let back_office = BackOffice::for_primary(&config.id_pa, &config.company_name);
        let seeded = positions::seed(
            &Issuer {
                fiscal_code: &config.id_pa,
                company_name: &config.company_name,
                back_office: &back_office,
            },
            config.seed,
        )
        .map_err(StationError::Seed)?;
        Ok(StationState {
            positions: PositionStore::new(seeded.positions, seeded.next_demand_base),
            fixtures: seeded.fixtures,
            back_office,
            config,
            profile_memory: ProfileMemory::default(),
        })
    }

    /// The configuration.
    pub fn config(&self) -> &StationConfig {
        &self.config
    }

    /// The back-office registry (ECs, IBANs).
    pub fn back_office(&self) -> &BackOffice {
        &self.back_office
    }

    /// Role → seeded position.
    pub fn fixtures(&self) -> &Fixtures {
        &self.fixtures
    }

    /// The positions and the receipt ledger.
    pub fn positions(&self) -> &PositionStore {
        &self.positions
    }

    /// What the fault profiles remember between requests.
    pub(crate) fn profile_memory(&self) -> &ProfileMemory {
        &self.profile_memory
    }

    /// How many receipts were booked for a notice.
    pub fn booking_count(&self, notice: &str) -> usize {
        self.positions.booking_count(notice)
    }

    /// Whether the station serves the EC (`idPA`): the primary EC and the secondary EC of the
    /// multi-beneficiary fixtures.
    pub fn serves(&self, fiscal_code: &str) -> bool {
        self.back_office.ec(fiscal_code).is_some()
    }

    pub(crate) fn issuer_for<'a>(&'a self, fiscal_code: &'a str) -> Issuer<'a> {
        Issuer {
            fiscal_code,
            company_name: self
                .back_office
                .ec(fiscal_code)
                .map_or(self.config.company_name.as_str(), |e| {
                    e.company_name.as_str()
                }),
            back_office: &self.back_office,
        }
    }
}
