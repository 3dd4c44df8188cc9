//! Everything a running station holds: its configuration, back office, fixtures, positions and
//! its link to ACA.
//!
//! The EC back-office actions live here as async methods ([`StationState::set_amount`],
//! [`StationState::cancel`], [`StationState::close_paid_elsewhere`],
//! [`StationState::create_position`]) because each one both changes the archive and tells ACA,
//! as DOMAIN.md §8 requires of every sync-integrated EC. The synchronous [`PositionStore`]
//! methods of the same names change the archive alone.

use crate::aca::{self, AcaLink};
use crate::config::StationConfig;
use crate::error::StationError;
use crate::positions::{
    self, AdminError, BackOffice, Fixtures, Issuer, PositionState, PositionStore, PositionView,
    back_office_position,
};
use crate::profiles::ProfileMemory;
use collaudo_wire::Amount;

/// The state shared by the HTTP server, the handler and whoever inspects the station.
#[derive(Debug)]
pub struct StationState {
    config: StationConfig,
    back_office: BackOffice,
    fixtures: Fixtures,
    positions: PositionStore,
    profile_memory: ProfileMemory,
    aca: AcaLink,
    /// The GPD client of the asynchronous back office, when [`StationConfig::gpd`] is set
    /// (`Err`: it could not be built, with why).
    gpd: Option<Result<crate::gpd::GpdClient, String>>,
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
            config.copies,
        )
        .map_err(StationError::Seed)?;
        Ok(StationState {
            positions: PositionStore::new(seeded.positions, seeded.next_demand_base),
            fixtures: seeded.fixtures,
            back_office,
            aca: AcaLink::new(config.aca.as_ref()),
            gpd: config.gpd.as_ref().map(crate::gpd::GpdClient::new),
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

    /// Seed `copies` fresh notices of every role (new notice numbers, every one in its role's
    /// starting state), register the payable ones in ACA, and return role → notice numbers:
    /// what a second run against this long-lived station needs, since the first one paid the
    /// notices it consumed.
    ///
    /// # Errors
    /// [`StationError::Seed`] if no notice number can be made (the IUV range is exhausted).
    pub async fn prepare_fresh(
        &self,
        copies: usize,
    ) -> Result<std::collections::BTreeMap<positions::FixtureRole, Vec<String>>, StationError> {
        let base = self.positions.with(|s| {
            let base = s.next_demand_base;
            s.next_demand_base += positions::block_span(copies);
            base
        });
        let (fresh, fixtures) = positions::seed_block(
            &Issuer {
                fiscal_code: &self.config.id_pa,
                company_name: &self.config.company_name,
                back_office: &self.back_office,
            },
            self.config.seed,
            base,
            copies,
        )
        .map_err(StationError::Seed)?;
        for p in fresh {
            self.positions.insert(p);
        }
        self.register_in_aca().await;
        Ok(fixtures.all_notices())
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

    /// Every ACA call that failed so far, oldest first, one line each (notice, EC, amount and
    /// why: the HTTP status with ACA's answer, or the transport error). Empty when the station
    /// has no ACA or ACA accepted everything.
    pub fn aca_errors(&self) -> Vec<String> {
        self.aca.errors()
    }

    /// Load every position a citizen could pay (open or activated) into ACA, one
    /// `paCreatePosition` each, unless there is no ACA or the profile is `no-aca`. [`start`]
    /// calls it once before returning; call it yourself only when serving [`app`] over a state
    /// of your own. Failures are recorded ([`aca_errors`](Self::aca_errors)), not returned.
    ///
    /// [`start`]: crate::start
    /// [`app`]: crate::app
    pub async fn register_in_aca(&self) {
        if !self.aca.is_enabled() || !self.config.profile.registers_in_aca() {
            return;
        }
        let _order = self.aca.order().await;
        let payable: Vec<_> = self
            .positions
            .all()
            .into_iter()
            .filter(aca::belongs_in_aca)
            .collect();
        tracing::info!(
            positions = payable.len(),
            "loading payable positions into ACA"
        );
        // One after the other: a handful of calls on loopback, and ACA then holds them in the
        // store's (notice number) order, which keeps its listings stable across runs.
        for p in &payable {
            self.aca.send(&aca::position_request(p)).await;
        }
    }

    /// Whether changes after start-up reach ACA: there is one, and the profile sends updates.
    fn propagates(&self) -> bool {
        self.aca.is_enabled() && self.config.profile.updates_aca()
    }

    /// EC back-office action: change the amount of a payable position (VRF-008,
    /// ACA-002) in the archive, then upsert it in ACA with the new amount. See
    /// [`PositionStore::set_amount`] for the archive rules.
    ///
    /// # Errors
    /// Those of [`PositionStore::set_amount`]; then ACA is not called. An ACA failure is not an
    /// error: it is in [`aca_errors`](Self::aca_errors).
    pub async fn set_amount(
        &self,
        notice: &str,
        amount: Amount,
    ) -> Result<PositionView, AdminError> {
        let _order = self.aca.order().await;
        let position = self.positions.change_amount(notice, amount)?;
        if self.propagates() {
            self.aca.send(&aca::position_request(&position)).await;
        }
        self.view(notice)
    }

    /// EC back-office action: cancel a position (VRF-005, ACA-003) in the archive, then send
    /// ACA an `amount` of 0 if ACA could hold it as payable (it was open, activated or
    /// expired). Cancelling again changes nothing and calls nothing.
    ///
    /// # Errors
    /// Those of [`PositionStore::cancel`]; then ACA is not called.
    pub async fn cancel(&self, notice: &str) -> Result<PositionView, AdminError> {
        let _order = self.aca.order().await;
        let (before, position) = self.positions.cancel_position(notice)?;
        let held = matches!(
            before,
            PositionState::Open | PositionState::Activated { .. } | PositionState::Expired
        );
        if held && self.propagates() {
            self.aca.send(&aca::closing_request(&position)).await;
        }
        self.view(notice)
    }

    /// EC back-office action: the debtor paid outside pagoPA (ACA-004). The position becomes
    /// paid with no pagoPA receipt, then ACA gets an `amount` of 0, which closes it.
    ///
    /// A receipt paid through pagoPA needs no such call: the Nodo issued it, and ACA learns it
    /// from the platform.
    ///
    /// # Errors
    /// Those of [`PositionStore::close_paid_elsewhere`]; then ACA is not called.
    pub async fn close_paid_elsewhere(&self, notice: &str) -> Result<PositionView, AdminError> {
        let _order = self.aca.order().await;
        let position = self.positions.close_position(notice)?;
        if self.propagates() {
            self.aca.send(&aca::closing_request(&position)).await;
        }
        self.view(notice)
    }

    /// EC back-office action: issue a new payable position of the primary EC for `amount`
    /// (ACA-001), with a fresh notice number, one transfer to the EC's main account and a
    /// debtor derived from the seed; then register it in ACA.
    ///
    /// # Errors
    /// [`AdminError::InvalidAmount`] unless 0.01 ≤ amount ≤ 999 999 999.99;
    /// [`AdminError::NoticeUnavailable`] if no notice number is left.
    pub async fn create_position(&self, amount: Amount) -> Result<PositionView, AdminError> {
        let cents = amount.cents();
        if cents == 0 || cents > Amount::MAX_CENTS {
            return Err(AdminError::InvalidAmount {
                cents,
                reason: "must be between 0.01 and 999999999.99",
            });
        }
        let _order = self.aca.order().await;
        let issuer = self.issuer_for(&self.config.id_pa);
        let position = self.positions.with(|s| {
            let base = s.next_demand_base;
            let p = back_office_position(&issuer, base, amount, self.config.seed)
                .map_err(|e| AdminError::NoticeUnavailable(e.to_string()))?;
            // Same counter as paDemandPaymentNotice, so the two never issue the same notice.
            s.next_demand_base = base.saturating_add(1);
            s.positions
                .insert(p.notice_number.as_str().to_string(), p.clone());
            Ok(p)
        })?;
        if self.propagates() {
            self.aca.send(&aca::position_request(&position)).await;
        }
        self.view(position.notice_number.as_str())
    }

    /// Note that a SOAP request created the position `notice` (paDemandPaymentNotice), so that
    /// [`register_deferred`](Self::register_deferred) loads it into ACA before the answer
    /// leaves. Nothing is noted when changes do not reach ACA.
    pub(crate) fn defer_aca_registration(&self, notice: &str) {
        if self.propagates() {
            self.aca.defer(notice.to_string());
        }
    }

    /// Register in ACA the positions noted by
    /// [`defer_aca_registration`](Self::defer_aca_registration) that are still payable:
    /// `None` with nothing noted (every request but paDemandPaymentNotice), so the caller
    /// need not wait for the ACA calls of others. The work comes boxed: its HTTP calls make a
    /// future of kilobytes, which would otherwise be part of the future of every answer.
    pub(crate) fn register_deferred(
        &self,
    ) -> Option<std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send + '_>>> {
        self.aca
            .has_pending()
            .then(|| Box::pin(self.register_pending()) as _)
    }

    async fn register_pending(&self) {
        let _order = self.aca.order().await;
        let pending = self.aca.pending();
        for notice in &pending {
            if let Some(p) = self.positions.get(notice).filter(aca::belongs_in_aca) {
                self.aca.send(&aca::position_request(&p)).await;
            }
        }
        self.aca.done_pending(pending.len());
    }

    fn view(&self, notice: &str) -> Result<PositionView, AdminError> {
        self.positions
            .view(notice)
            .ok_or_else(|| AdminError::UnknownNotice(notice.to_string()))
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

    /// EC back-office action of an EC on the asynchronous integration (DOMAIN.md §9): one
    /// call to GPD about `position` of the primary EC — `create` (published at once with
    /// `publish`), `publish`, `update` (the amount of `position`; `publish` as for create),
    /// `invalidate` or `delete` — answering what GPD said.
    ///
    /// # Errors
    /// No GPD is configured, the client could not be built, the operation is unknown, or GPD
    /// could not be reached.
    pub async fn gpd_call(
        &self,
        operation: &str,
        position: &crate::gpd::GpdPosition,
        publish: bool,
    ) -> Result<crate::gpd::GpdAnswer, String> {
        let client = match &self.gpd {
            None => return Err("the station has no GPD configured".into()),
            Some(Err(e)) => return Err(e.clone()),
            Some(Ok(c)) => c,
        };
        let ec = self.config.id_pa.as_str();
        let body = || {
            crate::gpd::position_body(position, ec, &self.config.company_name, &self.back_office)
        };
        match operation {
            "create" => client.create(ec, &body(), publish).await,
            "update" => client.update(ec, &position.iupd, &body(), publish).await,
            "publish" => client.publish(ec, &position.iupd).await,
            "invalidate" => client.invalidate(ec, &position.iupd).await,
            "delete" => client.delete(ec, &position.iupd).await,
            "pull-receipt" => client.receipt(ec, &position.iuv).await,
            other => Err(format!("unknown GPD operation `{other}`")),
        }
    }
}
