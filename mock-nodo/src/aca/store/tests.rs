use super::{
    AcaStore, ApplyRejection, HistoryAction, PositionStatus, TransitionError, iupd, key_hash,
    nav_hash,
};
use crate::aca::iban::{IbanSource, ResolvedIban};
use crate::aca::record::Nav;
use crate::clock::VirtualTime;
use collaudo_wire::aca::{EntityType, NewDebtPositionRequest};
use std::hash::RandomState;

const EC: &str = "77777777777";
const OTHER_EC: &str = "88888888888";
const IUV: &str = "01000000000000144";
const BO_IBAN: &str = "IT60X0542811101000000000009";

fn request(amount: i64) -> NewDebtPositionRequest {
    NewDebtPositionRequest {
        pa_fiscal_code: EC.into(),
        entity_type: EntityType::F,
        entity_fiscal_code: "RSSMRA80A01H501U".into(),
        entity_full_name: "Mario Rossi".into(),
        iuv: IUV.into(),
        nav: None,
        amount,
        description: "TARI".into(),
        expiration_date: "2030-01-01T00:00:00Z".into(),
        iban: None,
        postal_iban: None,
        switch_to_expired: false,
        pay_stand_in: true,
    }
}

fn bo_iban() -> ResolvedIban {
    ResolvedIban {
        iban: Some(BO_IBAN.into()),
        postal: false,
        source: IbanSource::BackOfficeLatest,
    }
}

fn t(ms: i64) -> VirtualTime {
    VirtualTime::from_millis(ms)
}

#[test]
fn create_update_cancel_keep_one_position_with_history() {
    let store = AcaStore::new();
    let created = store.apply(&request(100), &bo_iban(), t(1));
    let Ok(created) = created else {
        panic!("{created:?}");
    };
    assert_eq!(created.action, HistoryAction::Created);
    assert_eq!(created.position.iupd, format!("ACA_{EC}_{IUV}"));
    assert_eq!(created.position.nav, format!("3{IUV}"));
    assert_eq!(created.position.status, PositionStatus::Valid);
    assert_eq!(created.position.iban.iban.as_deref(), Some(BO_IBAN));
    assert!(created.position.payable_in_stand_in());

    let mut changed = request(250);
    changed.expiration_date = "2031-01-01T00:00:00Z".into();
    let updated = store.apply(&changed, &bo_iban(), t(2)).map(|a| a.action);
    assert_eq!(updated, Ok(HistoryAction::Updated));
    let cancelled = store.apply(&request(0), &bo_iban(), t(3));
    let Ok(cancelled) = cancelled else {
        panic!("{cancelled:?}");
    };
    assert_eq!(cancelled.action, HistoryAction::Cancelled);
    assert_eq!(cancelled.position.status, PositionStatus::Invalid);
    assert_eq!(
        cancelled.position.amount_cents(),
        250,
        "a cancellation keeps the data"
    );
    assert_eq!(store.len(), 1);
    let Some(position) = store.get(EC, IUV) else {
        panic!("position missing");
    };
    let history: Vec<_> = position
        .history
        .iter()
        .map(|h| (h.at.millis(), h.action, h.amount_cents))
        .collect();
    assert_eq!(
        history,
        vec![
            (1, HistoryAction::Created, 100),
            (2, HistoryAction::Updated, 250),
            (3, HistoryAction::Cancelled, 0),
        ]
    );
    assert_eq!(position.request.expiration_date, "2031-01-01T00:00:00Z");
    assert!(!position.payable_in_stand_in());
}

#[test]
fn refusals_follow_the_status() {
    let store = AcaStore::new();
    assert_eq!(
        store.apply(&request(0), &bo_iban(), t(1)),
        Err(ApplyRejection::CancelUnknown)
    );
    assert!(store.is_empty(), "a refused cancellation stores nothing");
    assert!(store.apply(&request(100), &bo_iban(), t(1)).is_ok());
    assert!(store.apply(&request(0), &bo_iban(), t(2)).is_ok());
    for amount in [0, 100] {
        assert_eq!(
            store.apply(&request(amount), &bo_iban(), t(3)),
            Err(ApplyRejection::Unmodifiable {
                status: PositionStatus::Invalid
            })
        );
    }
    assert_eq!(store.get(EC, IUV).map(|p| p.history.len()), Some(2));
}

#[test]
fn paid_and_expired_transitions() {
    let store = AcaStore::new();
    assert!(matches!(
        store.mark_paid(EC, IUV),
        Err(TransitionError::NotFound { .. })
    ));
    assert!(store.apply(&request(100), &bo_iban(), t(1)).is_ok());
    let expired = store.expire(EC, IUV).map(|p| p.status);
    assert_eq!(expired, Ok(PositionStatus::Expired));
    assert!(matches!(
        store.mark_paid(EC, IUV),
        Err(TransitionError::NotAllowed {
            from: PositionStatus::Expired,
            to: PositionStatus::Paid,
            ..
        })
    ));
    // An expired position may still be updated, and is valid again.
    let updated = store.apply(&request(120), &bo_iban(), t(2));
    assert_eq!(
        updated.map(|a| (a.action, a.position.status)),
        Ok((HistoryAction::Updated, PositionStatus::Valid))
    );
    let paid = store.mark_paid(EC, IUV).map(|p| p.status);
    assert_eq!(paid, Ok(PositionStatus::Paid));
    assert_eq!(
        store.apply(&request(0), &bo_iban(), t(3)),
        Err(ApplyRejection::Unmodifiable {
            status: PositionStatus::Paid
        })
    );
    let err = store.expire(EC, IUV).err().map(|e| e.to_string());
    assert_eq!(
        err.as_deref(),
        Some("position ACA_77777777777_01000000000000144 is PAID, it cannot become EXPIRED")
    );
}

#[test]
fn expire_due_only_touches_switch_to_expired_positions_past_due() {
    let store = AcaStore::new();
    let mut due = request(1);
    due.switch_to_expired = true;
    due.expiration_date = "2026-01-01T00:00:00+01:00".into();
    let mut later = due.clone();
    later.iuv = "02".into();
    later.expiration_date = "2027-01-01T00:00:00Z".into();
    let mut no_switch = due.clone();
    no_switch.iuv = "03".into();
    no_switch.switch_to_expired = false;
    for r in [&due, &later, &no_switch] {
        assert!(store.apply(r, &bo_iban(), t(0)).is_ok());
    }
    let Some(now) = VirtualTime::from_ymd(2026, 6, 1) else {
        panic!("date");
    };
    assert_eq!(store.expire_due(now), 1);
    assert_eq!(store.expire_due(now), 0, "already expired");
    let statuses: Vec<_> = store.positions().into_iter().map(|p| p.status).collect();
    assert_eq!(
        statuses,
        vec![
            PositionStatus::Expired,
            PositionStatus::Valid,
            PositionStatus::Valid
        ]
    );
}

#[test]
fn notice_numbers_are_indexed_and_follow_updates() {
    let store = AcaStore::new();
    assert!(store.apply(&request(100), &bo_iban(), t(1)).is_ok());
    let default_nav = format!("3{IUV}");
    assert_eq!(
        store.get_by_nav(&default_nav).map(|p| p.iupd),
        Some(iupd(EC, IUV))
    );
    assert!(store.get_by_notice(EC, &default_nav).is_some());
    assert!(store.get_by_notice(OTHER_EC, &default_nav).is_none());
    assert!(store.get_by_nav(IUV).is_none());

    let mut explicit = request(100);
    explicit.nav = Some("399999".into());
    assert!(store.apply(&explicit, &bo_iban(), t(2)).is_ok());
    assert!(
        store.get_by_nav(&default_nav).is_none(),
        "old nav unindexed"
    );
    assert_eq!(
        store.get_by_nav("399999").map(|p| p.nav),
        Some("399999".into())
    );

    // Another EC with the same notice number: both reachable by EC, and by nav alone the EC
    // stored first.
    let mut other = explicit.clone();
    other.pa_fiscal_code = OTHER_EC.into();
    assert!(store.apply(&other, &bo_iban(), t(3)).is_ok());
    assert_eq!(
        store
            .get_by_notice(OTHER_EC, "399999")
            .map(|p| p.request.pa_fiscal_code),
        Some(OTHER_EC.into())
    );
    assert_eq!(
        store.get_by_nav("399999").map(|p| p.request.pa_fiscal_code),
        Some(EC.into())
    );

    // Sending the default nav explicitly finds the same entry as leaving it out.
    let mut spelled = request(100);
    spelled.iuv = "05".into();
    spelled.nav = Some("305".into());
    assert!(store.apply(&spelled, &bo_iban(), t(4)).is_ok());
    let mut implicit = request(100);
    implicit.iuv = "05".into();
    assert!(store.apply(&implicit, &bo_iban(), t(5)).is_ok());
    assert_eq!(
        store.get_by_notice(EC, "305").map(|p| p.request.nav),
        Some(None)
    );
    assert_eq!(store.len(), 3);
}

#[test]
fn two_positions_sharing_a_notice_number_last_writer_wins() {
    let store = AcaStore::new();
    let mut a = request(1);
    a.nav = Some("3777".into());
    let mut b = a.clone();
    b.iuv = "other".into();
    assert!(store.apply(&a, &bo_iban(), t(1)).is_ok());
    assert!(store.apply(&b, &bo_iban(), t(2)).is_ok());
    assert_eq!(
        store.get_by_nav("3777").map(|p| p.request.iuv),
        Some("other".into())
    );
    // Moving `a` away does not drop `b`'s entry.
    a.nav = Some("3778".into());
    assert!(store.apply(&a, &bo_iban(), t(3)).is_ok());
    assert_eq!(
        store.get_by_nav("3777").map(|p| p.request.iuv),
        Some("other".into())
    );
    assert_eq!(
        store.get_by_nav("3778").map(|p| p.request.iuv),
        Some(IUV.into())
    );
}

#[test]
fn resolved_ibans_are_kept_whatever_their_source() {
    let store = AcaStore::new();
    let mut sent = request(1);
    sent.postal_iban = Some("IT60X0542811101000000000777".into());
    let resolved = ResolvedIban {
        iban: sent.postal_iban.clone(),
        postal: true,
        source: IbanSource::RequestPostal,
    };
    let got = store.apply(&sent, &resolved, t(1)).map(|a| a.position.iban);
    assert_eq!(got, Ok(resolved));
    let got = store
        .apply(&request(2), &ResolvedIban::unresolved(), t(2))
        .map(|a| a.position.iban);
    assert_eq!(got, Ok(ResolvedIban::unresolved()));
    let got = store
        .apply(&request(3), &bo_iban(), t(3))
        .map(|a| a.position.iban);
    assert_eq!(got, Ok(bo_iban()));
}

#[test]
fn default_nav_hashes_like_the_spelled_out_nav() {
    let hasher = RandomState::new();
    assert_eq!(
        nav_hash(&hasher, 7, Nav::Default("0123")),
        nav_hash(&hasher, 7, Nav::Explicit("30123"))
    );
    assert_ne!(
        nav_hash(&hasher, 7, Nav::Explicit("30123")),
        nav_hash(&hasher, 8, Nav::Explicit("30123"))
    );
    assert_ne!(key_hash(&hasher, 1, "ab"), key_hash(&hasher, 1, "abc"));
}

#[test]
fn many_positions_stay_reachable() {
    let store = AcaStore::new();
    for i in 0..20_000 {
        let mut r = request(i + 1);
        r.iuv = format!("{:02}{:015}", i % 50, i);
        assert!(store.apply(&r, &bo_iban(), t(i)).is_ok());
    }
    assert_eq!(store.len(), 20_000);
    for i in (0..20_000).step_by(997) {
        let iuv = format!("{:02}{:015}", i % 50, i);
        assert_eq!(store.get(EC, &iuv).map(|p| p.amount_cents()), Some(i + 1));
        assert_eq!(
            store.get_by_nav(&format!("3{iuv}")).map(|p| p.request.iuv),
            Some(iuv)
        );
    }
}
