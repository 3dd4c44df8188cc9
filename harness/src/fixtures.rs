//! Fixture roles: the kinds of notice a scenario needs, mapped in `collaudo.toml` to notice
//! numbers prepared on the station under test (or taken from the embedded reference station).

/// Every role a scenario may name.
pub const KNOWN_ROLES: &[&str] = &[
    "payable",
    "payable-v2",
    "multi-beneficiary",
    "multi-beneficiary-5",
    "postal",
    "stamp",
    "expired",
    "cancelled",
    "paid",
    "metadata",
    "amount-change",
    "unknown",
    "receipt-target",
    "in-progress",
    "no-stand-in",
];

use crate::scenario::{Scenario, StepKind};
use std::collections::BTreeMap;

/// How a case uses the notice of a role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Use {
    /// Only reads it (verify, probe, ACA inspection): any notice still in its starting state
    /// serves, and many cases may share it.
    Read,
    /// Changes it (activates, pays, or has the EC change, cancel or close it): the notice is
    /// never in its starting state again, so the case needs one of its own.
    Consume,
}

/// The roles a scenario names (in `requires` or a step's `notice`) and how it uses each.
pub fn uses(s: &Scenario) -> BTreeMap<String, Use> {
    let mut out: BTreeMap<String, Use> = s
        .requires
        .iter()
        .map(|r| (r.get_ref().clone(), Use::Read))
        .collect();
    for st in &s.steps {
        let Some(role) = st.kind.notice().map(|n| n.get_ref()) else {
            continue;
        };
        if !KNOWN_ROLES.contains(&role.as_str()) {
            // A literal notice number: the scenario's author owns its state.
            continue;
        }
        // An activation expected to be refused (unknown, paid, cancelled, expired) leaves the
        // notice as it was; any other activation may leave it in progress.
        let consumes = match &st.kind {
            StepKind::Action(_) | StepKind::SendRt(_) | StepKind::Deliver(_) => true,
            StepKind::Activate(a) => a.expect.nodo.as_ref().is_none_or(|n| n.get_ref() != "KO"),
            _ => false,
        };
        let u = if consumes { Use::Consume } else { Use::Read };
        let e = out.entry(role.clone()).or_insert(u);
        *e = (*e).max(u);
    }
    out
}

/// How many notices each role needs for `scenarios` to run once, whatever their order: one
/// shared notice for all the cases that only read the role, plus one per case that consumes it.
pub fn needed<'a>(scenarios: impl IntoIterator<Item = &'a Scenario>) -> BTreeMap<String, usize> {
    let mut readers: BTreeMap<String, bool> = BTreeMap::new();
    let mut consumers: BTreeMap<String, usize> = BTreeMap::new();
    for s in scenarios {
        for (role, u) in uses(s) {
            match u {
                Use::Read => {
                    readers.insert(role, true);
                }
                Use::Consume => *consumers.entry(role).or_default() += 1,
            }
        }
    }
    let mut out = BTreeMap::new();
    for role in readers.keys().chain(consumers.keys()) {
        let n = usize::from(readers.contains_key(role)) + consumers.get(role).copied().unwrap_or(0);
        out.insert(role.clone(), n);
    }
    out
}

/// Which notice each case gets for each role, decided for the whole selection before the first
/// case runs, so the answer does not depend on the order cases run in.
///
/// The first notice of a role is shared by every case that only reads it; each case that
/// consumes a role takes the next unused notice (the first one too, when no selected case reads
/// the role). A case missing a role it `requires` (unmapped, or no notice left) gets the reason
/// it cannot run; a role only some of its steps use is left out, and those steps are skipped.
pub fn allocate(
    scenarios: &[&Scenario],
    pool: &BTreeMap<String, Vec<String>>,
) -> Vec<Result<BTreeMap<String, String>, String>> {
    let all_uses: Vec<BTreeMap<String, Use>> = scenarios.iter().map(|s| uses(s)).collect();
    let read: std::collections::BTreeSet<&String> = all_uses
        .iter()
        .flat_map(|u| u.iter().filter(|(_, u)| **u == Use::Read).map(|(r, _)| r))
        .collect();
    let mut next: BTreeMap<&String, usize> = BTreeMap::new();
    let mut out = Vec::with_capacity(scenarios.len());
    for (s, uses) in scenarios.iter().zip(&all_uses) {
        let mut missing = Vec::new();
        let mut exhausted = Vec::new();
        let mut given = BTreeMap::new();
        for (role, u) in uses {
            let required = s.requires.iter().any(|r| r.get_ref() == role);
            let Some(notices) = pool.get(role).filter(|n| !n.is_empty()) else {
                if required {
                    missing.push(role.as_str());
                }
                continue;
            };
            match u {
                Use::Read => {
                    given.insert(role.clone(), notices[0].clone());
                }
                Use::Consume => {
                    let i = next.entry(role).or_insert(usize::from(read.contains(role)));
                    match notices.get(*i) {
                        Some(n) => {
                            given.insert(role.clone(), n.clone());
                            *i += 1;
                        }
                        None if required => exhausted.push((role.as_str(), notices.len())),
                        None => {}
                    }
                }
            }
        }
        out.push(if !missing.is_empty() {
            Err(format!(
                "fixture role{} {} not configured: map {} to notice numbers in [fixtures] of collaudo.toml",
                if missing.len() == 1 { "" } else { "s" },
                missing.join(", "),
                if missing.len() == 1 { "it" } else { "them" }
            ))
        } else if !exhausted.is_empty() {
            Err(format!(
                "no unused notice left for {}: this case pays its notice, and each notice can be paid once; list more notices for the role in [fixtures] (`collaudo plan` says how many a full run needs)",
                exhausted
                    .iter()
                    .map(|(r, n)| format!("`{r}` ({n} listed, all taken by earlier cases)"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        } else {
            Ok(given)
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scenario(text: &str) -> Scenario {
        let (s, problems) = crate::scenario::load_str("test.toml", text);
        s.unwrap_or_else(|| panic!("test scenario loads: {problems:?}"))
    }

    const READER: &str = r#"
id = "VRF-901"
title = "reads"
requires = ["payable"]
[[step]]
call = "verify"
notice = "payable"
"#;

    const PAYER: &str = r#"
id = "RT-901"
title = "pays"
requires = ["payable"]
[[step]]
call = "activate"
notice = "payable"
[[step]]
call = "send-rt"
notice = "payable"
"#;

    fn pool(n: usize) -> BTreeMap<String, Vec<String>> {
        [(
            "payable".to_string(),
            (0..n).map(|i| format!("30100000000000{i:04}")).collect(),
        )]
        .into()
    }

    #[test]
    fn readers_share_the_first_notice_and_payers_get_their_own() {
        let (r, p) = (scenario(READER), scenario(PAYER));
        let got = allocate(&[&p, &r, &p, &r], &pool(3));
        let n = |i: usize| got[i].as_ref().unwrap()["payable"].clone();
        assert_eq!(n(1), n(3), "readers share");
        assert_ne!(n(0), n(2), "each payer has its own notice");
        assert!(
            n(0) != n(1) && n(2) != n(1),
            "payers never take the readers' notice"
        );
        assert_eq!(needed([&p, &r, &p, &r]).get("payable"), Some(&3));
    }

    #[test]
    fn the_order_of_the_selection_does_not_give_a_reader_a_paid_notice() {
        let (r, p) = (scenario(READER), scenario(PAYER));
        for order in [vec![&p, &r], vec![&r, &p]] {
            let got = allocate(&order, &pool(2));
            let reader = order
                .iter()
                .position(|s| s.id.get_ref() == "VRF-901")
                .unwrap();
            assert_eq!(
                got[reader].as_ref().unwrap()["payable"],
                "301000000000000000"
            );
        }
    }

    #[test]
    fn a_role_that_runs_out_skips_the_rest_with_the_reason() {
        let (r, p) = (scenario(READER), scenario(PAYER));
        let got = allocate(&[&r, &p, &p], &pool(2));
        assert!(got[0].is_ok() && got[1].is_ok());
        let why = got[2].as_ref().unwrap_err();
        assert!(
            why.contains("`payable` (2 listed") && why.contains("collaudo plan"),
            "{why}"
        );
        // Without readers the first notice is a payer's.
        let got = allocate(&[&p, &p], &pool(2));
        assert!(got.iter().all(Result::is_ok));
    }

    #[test]
    fn a_role_only_some_steps_use_is_optional() {
        let s = scenario(
            r#"
id = "ACT-906"
title = "optional role"
requires = ["unknown"]
[[step]]
call = "activate"
notice = "unknown"
[step.expect]
nodo = "KO"
[[step]]
call = "activate"
notice = "cancelled"
[step.expect]
nodo = "KO"
"#,
        );
        let pool: BTreeMap<String, Vec<String>> = [(
            "unknown".to_string(),
            vec!["301000000000000245".to_string()],
        )]
        .into();
        let got = allocate(&[&s], &pool);
        let map = got[0].as_ref().expect("runs without the optional role");
        assert!(map.contains_key("unknown") && !map.contains_key("cancelled"));
        assert_eq!(
            uses(&s).get("unknown"),
            Some(&Use::Read),
            "a refused activation reads"
        );
    }

    #[test]
    fn an_unmapped_role_says_where_to_map_it() {
        let got = allocate(&[&scenario(READER)], &BTreeMap::new());
        assert!(got[0].as_ref().unwrap_err().contains("[fixtures]"));
    }
}
