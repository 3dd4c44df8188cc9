//! What a case needs before it may send anything: every skip is decided here, before the
//! first exchange, so a case reported as skipped has touched nothing on the station.

use super::actions::Actions;
use super::{EngineConfig, StationInstance};
use crate::scenario::{DeliverySpec, Scenario, StepKind};

/// What a case uses of the servers around the station, so the embedded run starts only those.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Needs {
    /// A step reads or drives the mock ACA.
    pub aca: bool,
    /// A receipt is fanned out to broadcast stations.
    pub broadcast: bool,
    /// A step looks at the station's TLS endpoint (CON-001): the embedded station serves
    /// this case over HTTPS with mutual TLS.
    pub tls: bool,
    /// A step asks the EC for a back-office action (a hook, or the person at the terminal).
    pub actions: bool,
    /// A step uses the mock GPD (an EC on the asynchronous integration).
    pub gpd: bool,
}

impl Needs {
    /// Whether the case must run alone against a station that lives through the run: an EC
    /// action may change the EC's state for everyone (and a person can answer one question at
    /// a time), the run has one mock ACA whose faults and outages are global, one mock GPD
    /// whose position count a case may check, and the broadcast stations are shared.
    pub fn exclusive(self) -> bool {
        self.actions || self.aca || self.broadcast || self.gpd
    }
}

/// What `s` uses: the same tests `check` applies to skip a case.
pub(crate) fn needs(s: &Scenario) -> Needs {
    let mut n = Needs::default();
    for st in &s.steps {
        n.aca |= st.kind.uses_aca();
        n.tls |= st.kind.is_tls();
        n.actions |= matches!(st.kind, StepKind::Action(_) | StepKind::GpdAction(_));
        n.gpd |= st.kind.uses_gpd();
        n.broadcast |= st.kind.delivery().is_some_and(DeliverySpec::uses_broadcast);
    }
    n
}

/// How long a case is likely to take, in calls to the station: the steps, each as often as it
/// repeats. Only compared between cases, to start the longest first.
pub(crate) fn cost(s: &Scenario) -> u64 {
    s.steps
        .iter()
        .map(|st| {
            let repeat = st.kind.soap().and_then(|s| s.repeat.as_ref());
            u64::from(repeat.map_or(1, |r| *r.get_ref()).max(1))
        })
        .sum()
}

/// `Ok` when the case can run against `station` with this configuration, else why not.
pub(crate) fn check(
    s: &Scenario,
    station: &StationInstance,
    cfg: &EngineConfig,
) -> Result<(), String> {
    let mut why: Vec<String> = Vec::new();
    let mut push = |w: String| {
        if !why.contains(&w) {
            why.push(w);
        }
    };
    for st in &s.steps {
        if let StepKind::Action(action) = &st.kind {
            if let Actions::Hooks { hooks, interactive } = &station.actions {
                if !hooks.contains_key(action.action.as_str()) && !interactive {
                    push(format!(
                        "the EC action `{a}` has no hook: add `{a} = \"<command>\"` under [ec.actions] in collaudo.toml, or run in a terminal without --non-interactive to be asked",
                        a = action.action.as_str()
                    ));
                }
            }
        }
        if let StepKind::GpdAction(action) = &st.kind {
            if let Actions::Hooks { hooks, interactive } = &station.actions {
                if !hooks.contains_key(action.action.as_str()) && !interactive {
                    push(format!(
                        "the EC action `{a}` has no hook: add `{a} = \"<command>\"` under [ec.actions] in collaudo.toml (variables {{iupd}}, {{iuv}}, {{notice}}, {{amount_cents}}), or run in a terminal without --non-interactive to be asked",
                        a = action.action.as_str()
                    ));
                }
            }
        }
        if st.kind.uses_gpd() && station.gpd.is_none() {
            push("this case needs the mock GPD (your EC is on the asynchronous integration and keeps its debt positions in GPD): add a [gpd] section to collaudo.toml with `listen` and the `subscription_key` your EC sends, and point your EC's GPD client at http://LISTEN/gpd/debt-positions-service/v1".into());
        }
        if st.kind.uses_aca() && station.aca.is_none() {
            push("this case needs the mock ACA (Stand-In answers and ACA checks come from what your EC loaded with paCreatePosition): add an [aca] section to collaudo.toml with `listen` and the `subscription_key` your EC sends, and point your EC's ACA client at it".into());
        }
        if let Some(d) = st.kind.delivery() {
            if d.uses_broadcast() && station.broadcast.is_empty() {
                push("this case delivers the receipt to broadcast stations too: add a [[broadcast]] entry to collaudo.toml for each broadcast station of the ECs involved".into());
            }
        }
        if st.kind.is_tls() && !station.url.starts_with("https://") {
            push(format!(
                "this case checks the station's HTTPS endpoint (TLS version, certificate, mutual TLS), and the station URL {} is plain http: set [station] url to the https:// URL the Nodo will call",
                station.url
            ));
        }
        if matches!(st.kind, StepKind::Demand(_)) && !cfg.features.demand {
            push("spontaneous payments (paDemandPaymentNotice, class OSP) are tested only for an EC that offers them: add a [demand] section to collaudo.toml with the service's id_servizio".into());
        }
        let (pinned, only) = match &st.kind {
            StepKind::Activate(a) => (
                a.version.as_ref(),
                cfg.features
                    .get_payment_only
                    .map(|v| ("paGetPayment", "get_payment_version", v)),
            ),
            StepKind::SendRt(crate::scenario::SendRt { receipt, .. })
            | StepKind::Deliver(crate::scenario::Deliver { receipt, .. }) => (
                receipt.version.as_ref(),
                cfg.features
                    .send_rt_only
                    .map(|v| ("paSendRT", "send_rt_version", v)),
            ),
            _ => (None, None),
        };
        let pinned = pinned.map(|v| *v.get_ref());
        if let (Some(pinned), Some((prim, key, only))) = (pinned, only) {
            if pinned != only {
                let name = |v: u8| {
                    if v == 2 {
                        format!("{prim}V2")
                    } else {
                        prim.to_string()
                    }
                };
                push(format!(
                    "this case tests {}, and the Nodo calls this station with {} only ([station] {key} = {only}); the {} case gives the evidence instead",
                    name(pinned),
                    name(only),
                    name(only)
                ));
            }
        }
        let from_verify = st
            .kind
            .receipt()
            .and_then(|r| r.receipt_from.as_ref())
            .is_some_and(|r| r.get_ref() == "verify");
        if from_verify
            && station
                .backoffice
                .ibans
                .get(&cfg.caller.id_pa)
                .is_none_or(Vec::is_empty)
        {
            push(format!(
                "the receipt of this case credits the EC's registered IBAN: add [backoffice] to collaudo.toml with an IBAN for {}",
                cfg.caller.id_pa
            ));
        }
    }
    if why.is_empty() {
        Ok(())
    } else {
        Err(why.join("; "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gpd_cases_need_the_mock_gpd_and_run_alone_against_a_shared_station() {
        let (s, problems) = crate::scenario::load_str(
            "g.toml",
            "id = \"GPD-001\"\ntitle = \"t\"\n[[step]]\naction = \"gpd-create\"\n[[step]]\ncall = \"gpd\"\n",
        );
        let s = s.unwrap_or_else(|| panic!("{problems:?}"));
        let n = needs(&s);
        assert!(n.gpd && n.actions && !n.aca && !n.broadcast, "{n:?}");
        assert!(n.exclusive());
        let (s, _) = crate::scenario::load_str(
            "c.toml",
            "id = \"GPD-006a\"\ntitle = \"t\"\n[[step]]\ncall = \"checkout\"\n",
        );
        let n = s.map(|s| needs(&s)).unwrap_or_default();
        assert!(n.gpd && !n.actions && n.exclusive(), "{n:?}");
    }
}
