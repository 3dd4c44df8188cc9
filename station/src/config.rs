//! What a station is: its identities on the Nodo, its company name, its profile, its seed and
//! the ACA it keeps up to date.

use crate::profiles::Profile;
use std::time::Duration;

/// How long the `slow` profile holds every answer unless told otherwise: above the 2 s
/// service level (DOMAIN.md §11) and below the Nodo's 7 s timeout, so SLA-001 fails while
/// the Nodo would still get an answer.
pub const DEFAULT_SLOW_DELAY: Duration = Duration::from_secs(3);

/// How many deliveries of each receipt the `flaky-receipts` profile refuses unless told
/// otherwise: a few, so that RT-004 sees the Nodo retry and the station accept a later attempt
/// well within the 48 attempts (DOMAIN.md §6).
pub(crate) const DEFAULT_FLAKY_RECEIPT_FAILURES: u32 = 3;

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
    /// Added to every answer, whatever the profile: a back end that takes this long to
    /// answer, to rehearse a real station's pace (`collaudo station --latency-ms`). Zero by
    /// default.
    pub latency: Duration,
    /// Under [`Profile::FlakyReceipts`], how many deliveries of each receipt (counted per
    /// `receiptId`) are refused with `PAA_SYSTEM_ERROR` before one is accepted: delivery
    /// `k + 1` is the first booked. Default 3; 0 makes the profile behave as conformant.
    /// Ignored by every other profile.
    pub flaky_receipt_failures: u32,
    /// Seed of the fixture positions (notice numbers, IUVs, debtors, tokens).
    pub seed: u64,
    /// The ACA `paCreatePosition` service the station keeps up to date (DOMAIN.md §8), if any.
    /// `None` (the default): the station never calls ACA, as before ACA support existed.
    pub aca: Option<AcaTarget>,
    /// The GPD debt-position service the station's back office calls as an EC on the
    /// asynchronous integration (DOMAIN.md §9; see [`crate::gpd`]), if any. `None` (the
    /// default): the EC actions that create positions in GPD are not available.
    pub gpd: Option<GpdTarget>,
    /// How many notices each fixture role gets (1 to [`crate::positions::MAX_COPIES`]): a
    /// station that lives through a whole run needs one per case that pays the role.
    pub copies: usize,
    /// Timeouts and connection cap of the HTTP server ([`collaudo_serve::Limits`]).
    pub limits: collaudo_serve::Limits,
}

/// Where and how the station calls ACA `paCreatePosition`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AcaTarget {
    /// The full endpoint, e.g. `http://127.0.0.1:PORT/aca/v1/paCreatePosition`.
    pub url: String,
    /// Sent as the `Ocp-Apim-Subscription-Key` header.
    pub subscription_key: String,
    /// Wait before the n-th retry of a failed call: n × this. Default
    /// [`AcaTarget::DEFAULT_RETRY_BACKOFF`]; collaudo's embedded runs shorten it, since what
    /// ACA-007 checks is that the update is retried, not how long the station waits.
    pub retry_backoff: Duration,
}

impl AcaTarget {
    /// The default [`AcaTarget::retry_backoff`]: short, as a station's start-up registrations
    /// must not wait long on a hiccup.
    pub const DEFAULT_RETRY_BACKOFF: Duration = Duration::from_millis(20);

    /// A target from its endpoint and subscription key.
    pub fn new(url: impl Into<String>, subscription_key: impl Into<String>) -> Self {
        AcaTarget {
            url: url.into(),
            subscription_key: subscription_key.into(),
            retry_backoff: Self::DEFAULT_RETRY_BACKOFF,
        }
    }
}

/// Where and how the station calls GPD (v1 debt positions).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GpdTarget {
    /// The v1 base URL, e.g. `http://127.0.0.1:PORT/gpd/debt-positions-service/v1`.
    pub url: String,
    /// The receipts API base URL (pull), e.g.
    /// `http://127.0.0.1:PORT/gpd/payments-receipts-service/v1`.
    pub receipts_url: String,
    /// Sent as the `Ocp-Apim-Subscription-Key` header.
    pub subscription_key: String,
}

impl GpdTarget {
    /// A target from its v1 base URL and subscription key; the receipts API is taken to be
    /// beside it, as in production (`…/gpd/payments-receipts-service/v1`).
    pub fn new(url: impl Into<String>, subscription_key: impl Into<String>) -> Self {
        let url = url.into();
        GpdTarget {
            receipts_url: url.replace(
                "/gpd/debt-positions-service/v1",
                "/gpd/payments-receipts-service/v1",
            ),
            url,
            subscription_key: subscription_key.into(),
        }
    }
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
            latency: Duration::ZERO,
            flaky_receipt_failures: DEFAULT_FLAKY_RECEIPT_FAILURES,
            seed: 0,
            aca: None,
            gpd: None,
            copies: 1,
            limits: collaudo_serve::Limits::default(),
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
