//! The scenario file as written: flat structs that serde fills straight from the TOML, every
//! option in a `Spanned` so that any problem, including an option that does not apply to the
//! step's call, points at its line and column. `load` checks these and converts them into the
//! typed model of `model.rs` (see there why the two are separate).

use super::model::{CallerOverride, DeliverySpec, DemandSpec, FaultSpec};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::ops::Range;
use toml::Spanned;

/// One scenario file, as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawScenario {
    pub(crate) id: Spanned<String>,
    #[serde(default)]
    pub(crate) official: Option<Spanned<String>>,
    pub(crate) title: String,
    #[serde(default)]
    pub(crate) description: Option<String>,
    #[serde(default)]
    pub(crate) class: Option<Spanned<String>>,
    #[serde(default)]
    pub(crate) phase: Option<Spanned<String>>,
    #[serde(default)]
    pub(crate) tags: Vec<String>,
    #[serde(default)]
    pub(crate) sources: Vec<String>,
    #[serde(default)]
    pub(crate) requires: Vec<Spanned<String>>,
    #[serde(rename = "step", default)]
    pub(crate) steps: Vec<RawStep>,
}

/// One `[[step]]` with every key any step may have. The meaning of each is on the typed
/// model's fields (`model.rs`) and in docs/scenarios.md.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawStep {
    #[serde(default)]
    pub(crate) name: Option<String>,
    #[serde(default)]
    pub(crate) call: Option<Spanned<String>>,
    #[serde(default)]
    pub(crate) action: Option<Spanned<String>>,
    #[serde(default)]
    pub(crate) advance: Option<Spanned<String>>,
    #[serde(default)]
    pub(crate) at_local_time: Option<Spanned<String>>,
    #[serde(default)]
    pub(crate) version: Option<Spanned<u8>>,
    #[serde(default)]
    pub(crate) notice: Option<Spanned<String>>,
    #[serde(default)]
    pub(crate) caller: Option<Spanned<CallerOverride>>,
    #[serde(default)]
    pub(crate) transfer_type: Option<Spanned<String>>,
    #[serde(default)]
    pub(crate) soap_action: Option<Spanned<String>>,
    #[serde(default)]
    pub(crate) prefixes: Option<Spanned<String>>,
    #[serde(default)]
    pub(crate) corrupt_request: Option<Spanned<String>>,
    #[serde(default)]
    pub(crate) fault: Option<Spanned<FaultSpec>>,
    #[serde(default)]
    pub(crate) repeat: Option<Spanned<u32>>,
    #[serde(default)]
    pub(crate) amount_delta_cents: Option<Spanned<i64>>,
    #[serde(default)]
    pub(crate) demand: Option<Spanned<DemandSpec>>,
    #[serde(default)]
    pub(crate) delivery: Option<Spanned<DeliverySpec>>,
    #[serde(default)]
    pub(crate) receipt_from: Option<Spanned<String>>,
    #[serde(default)]
    pub(crate) stand_in: Option<Spanned<bool>>,
    #[serde(default)]
    pub(crate) duration: Option<Spanned<String>>,
    #[serde(default)]
    pub(crate) requests_per_slot: Option<Spanned<u32>>,
    #[serde(default)]
    pub(crate) failing_percent: Option<Spanned<u32>>,
    #[serde(default)]
    pub(crate) nodo_traffic_per_slot: Option<Spanned<u64>>,
    #[serde(default)]
    pub(crate) aca_fault_status: Option<Spanned<u16>>,
    #[serde(default)]
    pub(crate) aca_fault_count: Option<Spanned<u32>>,
    #[serde(default)]
    pub(crate) tls_version: Option<Spanned<String>>,
    #[serde(default)]
    pub(crate) position: Option<Spanned<String>>,
    #[serde(default)]
    pub(crate) positions: Option<Spanned<Vec<Spanned<String>>>>,
    #[serde(default)]
    pub(crate) amount_cents: Option<Spanned<i64>>,
    #[serde(default)]
    pub(crate) capture: Option<Spanned<BTreeMap<String, Spanned<String>>>>,
    #[serde(default)]
    pub(crate) expect: Option<Spanned<RawExpect>>,
}

/// One `[step.expect]` with every expectation any step may have.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawExpect {
    #[serde(default)]
    pub(crate) nodo: Option<Spanned<String>>,
    #[serde(default)]
    pub(crate) fault_code: Option<Spanned<Vec<Spanned<String>>>>,
    #[serde(default)]
    pub(crate) not_fault_code: Option<Spanned<Vec<Spanned<String>>>>,
    #[serde(default)]
    pub(crate) fields: Option<Spanned<BTreeMap<String, Spanned<String>>>>,
    #[serde(default)]
    pub(crate) checks: Option<Spanned<Vec<Spanned<String>>>>,
    #[serde(default)]
    pub(crate) require_http_200: Option<Spanned<bool>>,
    #[serde(default)]
    pub(crate) p98_ms: Option<Spanned<u64>>,
    #[serde(default)]
    pub(crate) max_ms: Option<Spanned<u64>>,
    #[serde(default)]
    pub(crate) delivered: Option<Spanned<bool>>,
    #[serde(default)]
    pub(crate) attempts: Option<Spanned<u32>>,
    #[serde(default)]
    pub(crate) standin: Option<Spanned<bool>>,
    #[serde(default)]
    pub(crate) aca_status: Option<Spanned<String>>,
    #[serde(default)]
    pub(crate) aca_amount: Option<Spanned<String>>,
    #[serde(default)]
    pub(crate) aca_history: Option<Spanned<Vec<Spanned<String>>>>,
    #[serde(default)]
    pub(crate) aca_pay_stand_in: Option<Spanned<bool>>,
    #[serde(default)]
    pub(crate) aca_pa_fiscal_code: Option<Spanned<String>>,
    #[serde(default)]
    pub(crate) gpd_status: Option<Spanned<String>>,
    #[serde(default)]
    pub(crate) gpd_operation: Option<Spanned<String>>,
    #[serde(default)]
    pub(crate) gpd_http_status: Option<Spanned<u16>>,
    #[serde(default)]
    pub(crate) gpd_positions: Option<Spanned<u32>>,
    #[serde(default)]
    pub(crate) paid: Option<Spanned<bool>>,
    #[serde(default)]
    pub(crate) pulled: Option<Spanned<bool>>,
}

/// `(key, span)` for each of the named fields that is still set. The names are the fields'
/// own (`stringify!`), which serde also uses as the TOML keys, so they cannot drift apart.
macro_rules! still_set {
    ($out:ident, $prefix:literal, $from:expr, $($field:ident),* $(,)?) => {
        $(
            if let Some(v) = &$from.$field {
                $out.push((concat!($prefix, stringify!($field)), v.span()));
            }
        )*
    };
}

impl RawStep {
    /// Every option still set, with the position of its value, expectations as `expect.<key>`.
    /// The typed conversion takes the options its step kind has; what it leaves here does not
    /// apply to the step. (`name`, `call` and `action` are not options.)
    pub(crate) fn leftovers(&self) -> Vec<(&'static str, Range<usize>)> {
        let mut out = Vec::new();
        still_set!(
            out,
            "",
            self,
            advance,
            at_local_time,
            version,
            notice,
            caller,
            transfer_type,
            soap_action,
            prefixes,
            corrupt_request,
            fault,
            repeat,
            amount_delta_cents,
            demand,
            delivery,
            receipt_from,
            stand_in,
            duration,
            requests_per_slot,
            failing_percent,
            nodo_traffic_per_slot,
            aca_fault_status,
            aca_fault_count,
            tls_version,
            position,
            positions,
            amount_cents,
            capture,
        );
        if let Some(e) = &self.expect {
            let e = e.get_ref();
            still_set!(
                out,
                "expect.",
                e,
                nodo,
                fault_code,
                not_fault_code,
                fields,
                checks,
                require_http_200,
                p98_ms,
                max_ms,
                delivered,
                attempts,
                standin,
                aca_status,
                aca_amount,
                aca_history,
                aca_pay_stand_in,
                aca_pa_fiscal_code,
                gpd_status,
                gpd_operation,
                gpd_http_status,
                gpd_positions,
                paid,
                pulled,
            );
        }
        out.sort_by_key(|(_, span)| span.start);
        out
    }

    /// The expectations, to take from.
    pub(crate) fn expect_mut(&mut self) -> &mut RawExpect {
        self.expect
            .get_or_insert_with(|| Spanned::new(0..0, RawExpect::default()))
            .get_mut()
    }
}
