//! Fixture roles and the deterministic seeding of the station's positions.
//!
//! Each scenario of the built-in suite names the *role* of the notice it needs (`payable`,
//! `expired`, `multi-beneficiary`…), not a notice number; the station is seeded with one
//! position per role and publishes a [`Fixtures`] table so the harness can resolve roles to
//! notice numbers, IUVs, amounts and transfers. The seed changes notice numbers, IUVs, debtors
//! and tokens; amounts, due dates and IBANs are fixed so EC teams can read them in the docs.

use super::back_office::{BackOffice, SECONDARY_EC_COMPANY, SECONDARY_EC_FISCAL_CODE};
use super::store::{Payee, Position, PositionState, TransferSpec};
use collaudo_wire::ident::{IdentError, NoticeNumber, fiscal_code};
use collaudo_wire::{Amount, EntityType, MapEntry, MarcaDaBollo, Subject};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

/// The service code of the spontaneous-payment service the station offers through
/// paDemandPaymentNotice.
pub const DEMAND_SERVICE: &str = "00001";

/// Segregation code of every notice the station issues (aux digit 3).
const SEGREGATION: u8 = 1;
/// Due date of payable positions: far enough never to pass during the project's life.
const FAR_DUE_DATE: &str = "2099-12-31";
/// Binding due date of the `expired` position.
const PAST_DUE_DATE: &str = "2024-01-31";
/// Bases below this offset are fixture roles; paDemandPaymentNotice allocates from it up, so
/// it never creates the `unknown` notice.
const DEMAND_BASE_OFFSET: u64 = 1_000;
/// IUV bases of one station stay below this so that every base + offset keeps 13 digits.
const BASE_SPAN: u64 = 9_000_000_000_000;
/// Copy `c` of a role's notice sits `c × COPY_STRIDE` above the first copy: wider than the
/// role list, so copies of different roles never share a number.
const COPY_STRIDE: u64 = 32;
/// The most notices one role can be seeded with: every copy stays below the demand range.
pub const MAX_COPIES: usize = (DEMAND_BASE_OFFSET / COPY_STRIDE) as usize - 1;

/// What a seeded position is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FixtureRole {
    /// Payable, one transfer.
    Payable,
    /// Payable, one transfer, kept apart for the V2 primitives.
    PayableV2,
    /// Payable, three transfers, one to the secondary EC.
    MultiBeneficiary,
    /// Payable, five transfers (the maximum).
    #[serde(rename = "multi-beneficiary-5")]
    MultiBeneficiary5,
    /// Payable, postal account available (`allCCP=true`).
    Postal,
    /// Payable in V2 only: transfer 2 is a digital stamp (`richiestaMarcaDaBollo`).
    Stamp,
    /// Binding due date in the past (`PAA_PAGAMENTO_SCADUTO`).
    Expired,
    /// Cancelled by the EC (`PAA_PAGAMENTO_ANNULLATO`).
    Cancelled,
    /// Already paid (`PAA_PAGAMENTO_DUPLICATO`).
    Paid,
    /// Position and transfer metadata.
    Metadata,
    /// Payable; the admin API changes its amount (VRF-008).
    AmountChange,
    /// Well-formed, check-digit-valid notice the station does not hold.
    Unknown,
    /// Payable; target of receipt scenarios.
    ReceiptTarget,
    /// Activated, not yet paid.
    InProgress,
    /// Payable at the station, loaded into ACA with `payStandIn=false` (DOMAIN.md §7.4), so it
    /// cannot be paid while the station is in Stand-In (SIN-008).
    NoStandIn,
}

impl FixtureRole {
    /// Every role, in seeding order. A new role goes last: the position in this list picks
    /// the notice number, so appending keeps every other role's notice for a given seed.
    pub const ALL: [FixtureRole; 15] = [
        FixtureRole::Payable,
        FixtureRole::PayableV2,
        FixtureRole::MultiBeneficiary,
        FixtureRole::MultiBeneficiary5,
        FixtureRole::Postal,
        FixtureRole::Stamp,
        FixtureRole::Expired,
        FixtureRole::Cancelled,
        FixtureRole::Paid,
        FixtureRole::Metadata,
        FixtureRole::AmountChange,
        FixtureRole::Unknown,
        FixtureRole::ReceiptTarget,
        FixtureRole::InProgress,
        FixtureRole::NoStandIn,
    ];

    /// The kebab-case name used in scenarios and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            FixtureRole::Payable => "payable",
            FixtureRole::PayableV2 => "payable-v2",
            FixtureRole::MultiBeneficiary => "multi-beneficiary",
            FixtureRole::MultiBeneficiary5 => "multi-beneficiary-5",
            FixtureRole::Postal => "postal",
            FixtureRole::Stamp => "stamp",
            FixtureRole::Expired => "expired",
            FixtureRole::Cancelled => "cancelled",
            FixtureRole::Paid => "paid",
            FixtureRole::Metadata => "metadata",
            FixtureRole::AmountChange => "amount-change",
            FixtureRole::Unknown => "unknown",
            FixtureRole::ReceiptTarget => "receipt-target",
            FixtureRole::InProgress => "in-progress",
            FixtureRole::NoStandIn => "no-stand-in",
        }
    }

    /// One line saying what the role is for.
    pub fn description(self) -> &'static str {
        match self {
            FixtureRole::Payable => "payable notice, one transfer",
            FixtureRole::PayableV2 => "payable notice, one transfer, for the V2 primitives",
            FixtureRole::MultiBeneficiary => {
                "payable notice, three transfers, one to the secondary EC"
            }
            FixtureRole::MultiBeneficiary5 => "payable notice, five transfers",
            FixtureRole::Postal => "payable notice with a postal account (allCCP=true)",
            FixtureRole::Stamp => "payable notice whose transfer 2 is a digital stamp (V2 only)",
            FixtureRole::Expired => "binding due date in the past",
            FixtureRole::Cancelled => "cancelled by the EC",
            FixtureRole::Paid => "already paid",
            FixtureRole::Metadata => "position and transfer metadata",
            FixtureRole::AmountChange => "payable notice whose amount the admin API changes",
            FixtureRole::Unknown => "valid notice number the station does not hold",
            FixtureRole::ReceiptTarget => "payable notice for receipt scenarios",
            FixtureRole::InProgress => "activated, not yet paid",
            FixtureRole::NoStandIn => "payable notice excluded from Stand-In (payStandIn=false)",
        }
    }

    fn index(self) -> u64 {
        FixtureRole::ALL
            .iter()
            .position(|r| *r == self)
            .and_then(|i| u64::try_from(i).ok())
            .unwrap_or(0)
    }
}

impl fmt::Display for FixtureRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A fixture role name that does not exist.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown fixture role {name:?}, expected one of: {expected}")]
pub struct UnknownFixtureRole {
    /// The name given.
    pub name: String,
    /// The valid names, comma-separated.
    pub expected: String,
}

impl FromStr for FixtureRole {
    type Err = UnknownFixtureRole;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        FixtureRole::ALL
            .into_iter()
            .find(|r| r.name() == s)
            .ok_or_else(|| UnknownFixtureRole {
                name: s.to_string(),
                expected: FixtureRole::ALL.map(FixtureRole::name).join(", "),
            })
    }
}

/// One transfer of a fixture, as the harness needs to check an activation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransferSummary {
    /// `idTransfer`.
    pub id_transfer: u8,
    /// `transferAmount` (cents in JSON).
    pub amount: Amount,
    /// Beneficiary EC.
    pub fiscal_code_pa: String,
    /// Default account (absent for a stamp).
    pub iban: Option<String>,
    /// Postal account usable instead, if any.
    pub postal_iban: Option<String>,
    /// A digital stamp instead of an account.
    pub stamp: bool,
}

/// A seeded position, as the harness sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fixture {
    /// The role.
    pub role: FixtureRole,
    /// The notice number.
    pub notice_number: NoticeNumber,
    /// The IUV (`creditorReferenceId`).
    pub iuv: String,
    /// The amount at start-up (cents in JSON).
    pub amount: Amount,
    /// The creditor EC.
    pub fiscal_code: String,
    /// Its company name.
    pub company_name: String,
    /// The due date.
    pub due_date: String,
    /// Whether the due date is binding.
    pub due_date_binding: bool,
    /// State at start-up (`open`, `activated`, `paid`, `cancelled`; `unknown` for the role the
    /// station does not hold).
    pub state: String,
    /// Transfers.
    pub transfers: Vec<TransferSummary>,
}

/// Role → seeded position, for every role.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Fixtures {
    by_role: BTreeMap<FixtureRole, Fixture>,
    /// Every notice of each role, the first one included: a long-lived station needs several
    /// notices of the roles a run pays, since a paid notice is never payable again.
    #[serde(skip)]
    copies: BTreeMap<FixtureRole, Vec<String>>,
}

impl Fixtures {
    /// The fixture of a role (every role is present in a station's own table; the `Option`
    /// covers a table read back from JSON).
    pub fn get(&self, role: FixtureRole) -> Option<&Fixture> {
        self.by_role.get(&role)
    }

    /// The notice number of a role.
    pub fn notice(&self, role: FixtureRole) -> Option<&str> {
        self.get(role).map(|f| f.notice_number.as_str())
    }

    /// Every fixture, in role order.
    pub fn iter(&self) -> impl Iterator<Item = &Fixture> {
        self.by_role.values()
    }

    /// Every notice number seeded for a role, first copy first.
    pub fn notices(&self, role: FixtureRole) -> Vec<String> {
        self.copies.get(&role).cloned().unwrap_or_else(|| {
            self.notice(role)
                .map(|n| vec![n.to_string()])
                .unwrap_or_default()
        })
    }

    /// Role → every notice number seeded for it (read back from JSON, which carries the first
    /// copy of each role only, a table knows the first ones).
    pub fn all_notices(&self) -> BTreeMap<FixtureRole, Vec<String>> {
        FixtureRole::ALL
            .iter()
            .map(|r| (*r, self.notices(*r)))
            .filter(|(_, n)| !n.is_empty())
            .collect()
    }
}

/// Equal when they describe the same first positions and the same notices per role.
impl PartialEq for Fixtures {
    fn eq(&self, other: &Self) -> bool {
        self.by_role == other.by_role && self.all_notices() == other.all_notices()
    }
}

impl Eq for Fixtures {}

/// What seeding produces.
pub(crate) struct Seeded {
    pub(crate) positions: Vec<Position>,
    pub(crate) fixtures: Fixtures,
    pub(crate) next_demand_base: u64,
}

/// SplitMix64: a tiny, well-mixed generator, so one `u64` seed gives independent-looking
/// values without a `rand` dependency.
fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A 32-hex-digit token like the Nodo's payment tokens.
fn token(seed: u64, salt: u64) -> String {
    let a = splitmix64(seed ^ salt.wrapping_mul(0xA24B_AED4_963E_E407));
    format!("{a:016x}{:016x}", splitmix64(a))
}

fn entry(key: &str, value: &str) -> MapEntry {
    MapEntry {
        key: key.to_string(),
        value: value.to_string(),
    }
}

/// Name, street, postal code, city, province.
const DEBTORS: [(&str, &str, &str, &str, &str); 4] = [
    ("Mario Rossi", "Via Roma", "00184", "Roma", "RM"),
    (
        "Giulia Bianchi",
        "Corso Vittorio Emanuele",
        "20122",
        "Milano",
        "MI",
    ),
    ("Luca Esposito", "Via Toledo", "80134", "Napoli", "NA"),
    ("Anna Ferrari", "Via Garibaldi", "10122", "Torino", "TO"),
];

fn debtor(seed: u64, n: u64) -> Subject {
    let idx = usize::try_from(n % 4).unwrap_or(0);
    let (name, street, cap, city, province) = DEBTORS.get(idx).copied().unwrap_or(DEBTORS[0]);
    let email_user = name.to_lowercase().replace(' ', ".");
    Subject {
        entity_type: EntityType::F,
        entity_value: fiscal_code::generate_personal(splitmix64(seed ^ (n + 1))),
        full_name: name.to_string(),
        street_name: Some(street.to_string()),
        civic_number: Some(format!("{}", n + 1)),
        postal_code: Some(cap.to_string()),
        city: Some(city.to_string()),
        state_province_region: Some(province.to_string()),
        country: Some("IT".to_string()),
        email: Some(format!("{email_user}@example.it")),
    }
}

/// Who the station is, for building positions.
pub(crate) struct Issuer<'a> {
    pub(crate) fiscal_code: &'a str,
    pub(crate) company_name: &'a str,
    pub(crate) back_office: &'a BackOffice,
}

impl Issuer<'_> {
    /// An IBAN transfer to `ec` (its `account`-th bank account), for `cents`.
    fn transfer(&self, id: u8, cents: u64, ec: &str, account: usize, iuv: &str) -> TransferSpec {
        let company = if ec == self.fiscal_code {
            self.company_name
        } else {
            self.back_office
                .ec(ec)
                .map_or(SECONDARY_EC_COMPANY, |e| e.company_name.as_str())
        };
        let amount = Amount::from_cents(cents);
        TransferSpec {
            id_transfer: id,
            amount,
            fiscal_code_pa: ec.to_string(),
            company_name: company.to_string(),
            payee: Payee::Iban {
                iban: self
                    .back_office
                    .bank_iban(ec, account)
                    .unwrap_or_default()
                    .to_string(),
                postal_iban: None,
            },
            remittance_information: format!("/RFB/{iuv}/{amount}/TXT/transfer {id}"),
            transfer_category: if ec == self.fiscal_code {
                "0101002IM".to_string()
            } else {
                "0201102IM".to_string()
            },
            metadata: Vec::new(),
        }
    }

    fn stamp(&self, id: u8, iuv: &str) -> TransferSpec {
        let amount = Amount::from_cents(1_600);
        TransferSpec {
            id_transfer: id,
            amount,
            fiscal_code_pa: self.fiscal_code.to_string(),
            company_name: self.company_name.to_string(),
            // hashDocumento: base64 of a SHA-256 digest is 44 characters, within 4..72.
            payee: Payee::Stamp(MarcaDaBollo {
                hash_documento: "cXVlc3RvIMOoIHVuIGRvY3VtZW50byBkaSBjb2xsYXVkbyEhISE=".to_string(),
                tipo_bollo: "01".to_string(),
                provincia_residenza: "RM".to_string(),
            }),
            remittance_information: format!("/RFB/{iuv}/{amount}/TXT/marca da bollo"),
            transfer_category: "9/0301116TS/9/24B0060000000017".to_string(),
            metadata: Vec::new(),
        }
    }

    /// A payable position with the given transfers; role-specific tweaks come after.
    fn position(
        &self,
        notice: NoticeNumber,
        description: &str,
        debtor: Subject,
        build: impl FnOnce(&Self, &str) -> Vec<TransferSpec>,
    ) -> Position {
        let iuv = notice.iuv().to_string();
        let transfers = build(self, &iuv);
        let amount = Amount::sum(transfers.iter().map(|t| t.amount));
        Position {
            notice_number: notice,
            fiscal_code: self.fiscal_code.to_string(),
            iuv,
            amount,
            due_date: FAR_DUE_DATE.to_string(),
            due_date_binding: false,
            description: description.to_string(),
            company_name: self.company_name.to_string(),
            office_name: Some("Ufficio Tributi".to_string()),
            debtor,
            transfers,
            metadata: Vec::new(),
            state: PositionState::Open,
            role: None,
        }
    }
}

fn role_position(
    issuer: &Issuer<'_>,
    role: FixtureRole,
    notice: NoticeNumber,
    seed: u64,
    copy: u64,
) -> Position {
    let p = issuer.fiscal_code;
    let s = SECONDARY_EC_FISCAL_CODE;
    let debtor = debtor(seed, role.index());
    // Copies of a role differ in their tokens too, so no two positions share a receipt id.
    let salt = |n: u64| n + copy * COPY_STRIDE;
    let one = |cents: u64| move |i: &Issuer<'_>, iuv: &str| vec![i.transfer(1, cents, p, 0, iuv)];
    let mut pos = match role {
        FixtureRole::Payable => {
            issuer.position(notice, "TARI 2025 - rata unica", debtor, one(15_000))
        }
        FixtureRole::PayableV2 => issuer.position(
            notice,
            "Canone occupazione suolo pubblico 2025",
            debtor,
            one(12_050),
        ),
        FixtureRole::MultiBeneficiary => issuer.position(
            notice,
            "TARI 2025 con tributo provinciale TEFA",
            debtor,
            |i, iuv| {
                vec![
                    i.transfer(1, 20_000, p, 0, iuv),
                    i.transfer(2, 7_000, p, 1, iuv),
                    i.transfer(3, 3_000, s, 0, iuv),
                ]
            },
        ),
        FixtureRole::MultiBeneficiary5 => issuer.position(
            notice,
            "Servizi scolastici 2025 - cinque voci",
            debtor,
            |i, iuv| {
                vec![
                    i.transfer(1, 12_000, p, 0, iuv),
                    i.transfer(2, 8_000, p, 1, iuv),
                    i.transfer(3, 10_000, p, 0, iuv),
                    i.transfer(4, 15_000, s, 0, iuv),
                    i.transfer(5, 5_000, p, 1, iuv),
                ]
            },
        ),
        FixtureRole::Postal => {
            let mut pos =
                issuer.position(notice, "Sanzione codice della strada", debtor, one(7_530));
            for t in &mut pos.transfers {
                if let Payee::Iban { postal_iban, .. } = &mut t.payee {
                    *postal_iban = issuer
                        .back_office
                        .postal_iban(&t.fiscal_code_pa)
                        .map(str::to_string);
                }
            }
            pos
        }
        FixtureRole::Stamp => issuer.position(
            notice,
            "Certificato anagrafico con marca da bollo",
            debtor,
            |i, iuv| vec![i.transfer(1, 10_000, p, 0, iuv), i.stamp(2, iuv)],
        ),
        FixtureRole::Expired => {
            let mut pos = issuer.position(
                notice,
                "Retta asilo nido - gennaio 2024",
                debtor,
                one(6_000),
            );
            pos.due_date = PAST_DUE_DATE.to_string();
            pos.due_date_binding = true;
            pos
        }
        FixtureRole::Cancelled => {
            let mut pos = issuer.position(
                notice,
                "Contravvenzione annullata in autotutela",
                debtor,
                one(4_500),
            );
            pos.state = PositionState::Cancelled;
            pos
        }
        FixtureRole::Paid => {
            let mut pos = issuer.position(notice, "IMU 2025 - acconto", debtor, one(9_999));
            pos.state = PositionState::Paid {
                receipt_id: Some(token(seed, salt(9))),
            };
            pos
        }
        FixtureRole::Metadata => {
            let mut pos = issuer.position(notice, "Lampade votive 2025", debtor, one(21_000));
            pos.metadata = vec![entry("servizio", "LAMPADE_VOTIVE"), entry("anno", "2025")];
            for t in &mut pos.transfers {
                t.metadata = vec![entry("capitolo", "1234"), entry("articolo", "56")];
            }
            pos
        }
        FixtureRole::AmountChange => {
            issuer.position(notice, "Mensa scolastica - ricarica", debtor, one(8_000))
        }
        FixtureRole::Unknown => issuer.position(notice, "Avviso non emesso", debtor, one(1_000)),
        FixtureRole::ReceiptTarget => {
            issuer.position(notice, "Trasporto scolastico 2025", debtor, one(3_333))
        }
        FixtureRole::InProgress => {
            let mut pos = issuer.position(notice, "Diritti di segreteria", debtor, one(4_200));
            pos.state = PositionState::Activated {
                token: Some(token(seed, salt(13))),
            };
            pos
        }
        FixtureRole::NoStandIn => issuer.position(
            notice,
            "Sanzione amministrativa - non pagabile in Stand-In",
            debtor,
            one(5_250),
        ),
    };
    pos.role = Some(role);
    pos
}

fn summary(p: &Position, role: FixtureRole) -> Fixture {
    Fixture {
        role,
        notice_number: p.notice_number,
        iuv: p.iuv.clone(),
        amount: p.amount,
        fiscal_code: p.fiscal_code.clone(),
        company_name: p.company_name.clone(),
        due_date: p.due_date.clone(),
        due_date_binding: p.due_date_binding,
        state: if role == FixtureRole::Unknown {
            "unknown".to_string()
        } else {
            p.state.name().to_string()
        },
        transfers: p
            .transfers
            .iter()
            .map(|t| {
                let (iban, postal_iban, stamp) = match &t.payee {
                    Payee::Iban { iban, postal_iban } => {
                        (Some(iban.clone()), postal_iban.clone(), false)
                    }
                    Payee::Stamp(_) => (None, None, true),
                };
                TransferSummary {
                    id_transfer: t.id_transfer,
                    amount: t.amount,
                    fiscal_code_pa: t.fiscal_code_pa.clone(),
                    iban,
                    postal_iban,
                    stamp,
                }
            })
            .collect(),
    }
}

/// The first IUV base of a seed.
fn base_of(seed: u64) -> u64 {
    splitmix64(seed) % BASE_SPAN
}

/// Seed `copies` positions per role (all but `unknown` go into the store); the first copy of
/// each role keeps the notice number it had before copies existed.
pub(crate) fn seed(issuer: &Issuer<'_>, seed: u64, copies: usize) -> Result<Seeded, IdentError> {
    let base = base_of(seed);
    let (positions, fixtures) = seed_block(issuer, seed, base, copies)?;
    Ok(Seeded {
        positions,
        fixtures,
        next_demand_base: base + DEMAND_BASE_OFFSET,
    })
}

/// How many IUV bases [`seed_block`] uses for `copies` copies of every role.
pub(crate) fn block_span(copies: usize) -> u64 {
    COPY_STRIDE * copies.clamp(1, MAX_COPIES) as u64
}

/// `copies` positions of every role from IUV base `base` up: the station's own fixtures at
/// start-up, and every fresh set the admin API prepares for another run.
pub(crate) fn seed_block(
    issuer: &Issuer<'_>,
    seed: u64,
    base: u64,
    copies: usize,
) -> Result<(Vec<Position>, Fixtures), IdentError> {
    let copies = copies.clamp(1, MAX_COPIES) as u64;
    let mut positions = Vec::new();
    let mut by_role = BTreeMap::new();
    let mut all: BTreeMap<FixtureRole, Vec<String>> = BTreeMap::new();
    for copy in 0..copies {
        for role in FixtureRole::ALL {
            let notice = NoticeNumber::aux3(SEGREGATION, base + role.index() + copy * COPY_STRIDE)?;
            let pos = role_position(issuer, role, notice, seed, copy);
            all.entry(role)
                .or_default()
                .push(pos.notice_number.as_str().to_string());
            if copy == 0 {
                by_role.insert(role, summary(&pos, role));
            }
            if role != FixtureRole::Unknown {
                positions.push(pos);
            }
        }
    }
    Ok((
        positions,
        Fixtures {
            by_role,
            copies: all,
        },
    ))
}

/// A position created by paDemandPaymentNotice: one transfer of `amount` to the main account
/// of the EC `issuer` names.
pub(crate) fn demand_position(
    issuer: &Issuer<'_>,
    base: u64,
    amount: Amount,
    description: &str,
) -> Result<Position, IdentError> {
    let notice = NoticeNumber::aux3(SEGREGATION, base)?;
    let debtor = Subject {
        entity_type: EntityType::F,
        entity_value: "ANONIMO".to_string(),
        full_name: "Pagatore spontaneo".to_string(),
        street_name: None,
        civic_number: None,
        postal_code: None,
        city: None,
        state_province_region: None,
        country: None,
        email: None,
    };
    let p = issuer.fiscal_code;
    Ok(issuer.position(notice, description, debtor, |i, iuv| {
        vec![i.transfer(1, amount.cents(), p, 0, iuv)]
    }))
}

/// A position created by the EC back office (the admin API's "create"): one transfer of
/// `amount` to the main account of the EC `issuer` names, owed by a debtor derived from `seed`
/// and `base` so that the same seed creates the same positions in the same order.
pub(crate) fn back_office_position(
    issuer: &Issuer<'_>,
    base: u64,
    amount: Amount,
    seed: u64,
) -> Result<Position, IdentError> {
    let notice = NoticeNumber::aux3(SEGREGATION, base)?;
    let p = issuer.fiscal_code;
    Ok(issuer.position(
        notice,
        "Avviso emesso dal back office",
        debtor(seed, base),
        |i, iuv| vec![i.transfer(1, amount.cents(), p, 0, iuv)],
    ))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "a failed unwrap is a failed test")]
mod tests {
    use super::*;
    use collaudo_wire::ident::iban;

    fn seeded(seed_value: u64) -> (BackOffice, Seeded) {
        let bo = BackOffice::for_primary("77777777777", "Comune di Collaudo");
        let issuer = Issuer {
            fiscal_code: "77777777777",
            company_name: "Comune di Collaudo",
            back_office: &bo,
        };
        let s = seed(&issuer, seed_value, 1).unwrap();
        (bo, s)
    }

    #[test]
    fn role_names_round_trip_through_display_fromstr_and_serde() {
        for role in FixtureRole::ALL {
            assert_eq!(role.to_string().parse::<FixtureRole>().unwrap(), role);
            let json = serde_json::to_string(&role).unwrap();
            assert_eq!(json, format!("\"{}\"", role.name()));
            assert_eq!(serde_json::from_str::<FixtureRole>(&json).unwrap(), role);
            assert!(!role.description().is_empty());
        }
        let err = "nope".parse::<FixtureRole>().unwrap_err().to_string();
        assert!(err.contains("payable, payable-v2"), "{err}");
        assert!(err.contains("multi-beneficiary-5"), "{err}");
    }

    #[test]
    fn every_role_has_a_valid_aux3_notice_and_consistent_amounts() {
        let (bo, s) = seeded(0);
        let mut notices = std::collections::BTreeSet::new();
        for role in FixtureRole::ALL {
            let f = s.fixtures.get(role).unwrap();
            let n = f.notice_number;
            assert_eq!(n.aux_digit(), 3);
            assert_eq!(n.segregation_code(), Some("01"));
            assert_eq!(n.check_digit_ok(), Some(true));
            assert_eq!(f.iuv, n.iuv());
            assert!(notices.insert(n), "{role}: duplicate notice");
            assert!((1..=5).contains(&f.transfers.len()), "{role}");
            let sum = Amount::sum(f.transfers.iter().map(|t| t.amount));
            assert_eq!(sum, f.amount, "{role}");
            for (i, t) in f.transfers.iter().enumerate() {
                assert_eq!(usize::from(t.id_transfer), i + 1);
                assert!(t.amount.cents() > 0);
                assert!(bo.is_enabled(&t.fiscal_code_pa));
                match (&t.iban, t.stamp) {
                    (Some(i), false) => {
                        assert!(iban::is_valid_italian(i), "{role}: {i}");
                        assert!(bo.is_registered(&t.fiscal_code_pa, i), "{role}: {i}");
                    }
                    (None, true) => {}
                    other => panic!("{role}: inconsistent payee {other:?}"),
                }
                if let Some(p) = &t.postal_iban {
                    assert!(bo.is_postal(&t.fiscal_code_pa, p));
                }
            }
        }
        assert!(!s.positions.iter().any(|p| {
            Some(&p.notice_number)
                == s.fixtures
                    .get(FixtureRole::Unknown)
                    .map(|f| &f.notice_number)
        }));
        assert_eq!(s.positions.len(), FixtureRole::ALL.len() - 1);
    }

    #[test]
    fn roles_have_their_shape() {
        let (_, s) = seeded(7);
        let f = |r| s.fixtures.get(r).unwrap();
        assert_eq!(f(FixtureRole::MultiBeneficiary).transfers.len(), 3);
        assert!(
            f(FixtureRole::MultiBeneficiary)
                .transfers
                .iter()
                .any(|t| t.fiscal_code_pa == SECONDARY_EC_FISCAL_CODE)
        );
        assert_eq!(f(FixtureRole::MultiBeneficiary5).transfers.len(), 5);
        assert!(f(FixtureRole::Postal).transfers[0].postal_iban.is_some());
        assert!(f(FixtureRole::Stamp).transfers[1].stamp);
        assert!(f(FixtureRole::Expired).due_date_binding);
        assert!(f(FixtureRole::Expired).due_date.as_str() < "2025-01-01");
        assert_eq!(f(FixtureRole::Cancelled).state, "cancelled");
        assert_eq!(f(FixtureRole::Paid).state, "paid");
        assert_eq!(f(FixtureRole::InProgress).state, "activated");
        assert_eq!(f(FixtureRole::NoStandIn).state, "open");
        assert!(!f(FixtureRole::NoStandIn).due_date_binding);
        assert_eq!(f(FixtureRole::Unknown).state, "unknown");
        let meta = s
            .positions
            .iter()
            .find(|p| p.role == Some(FixtureRole::Metadata))
            .unwrap();
        assert!(!meta.metadata.is_empty() && meta.metadata.len() <= 15);
        assert!(meta.transfers.iter().all(|t| !t.metadata.is_empty()));
        for p in &s.positions {
            assert_eq!(p.amount, p.transfers_sum());
            assert_eq!(p.all_ccp(), p.role == Some(FixtureRole::Postal));
        }
    }

    #[test]
    fn seeding_is_deterministic_and_seed_dependent() {
        let (_, a) = seeded(42);
        let (_, b) = seeded(42);
        let (_, c) = seeded(43);
        assert_eq!(a.fixtures, b.fixtures);
        assert_eq!(a.positions, b.positions);
        assert_ne!(
            a.fixtures.notice(FixtureRole::Payable),
            c.fixtures.notice(FixtureRole::Payable)
        );
        let json = serde_json::to_string(&a.fixtures).unwrap();
        assert_eq!(serde_json::from_str::<Fixtures>(&json).unwrap(), a.fixtures);
    }

    #[test]
    fn back_office_positions_are_deterministic_and_payable() {
        let bo = BackOffice::for_primary("77777777777", "Comune di Collaudo");
        let issuer = Issuer {
            fiscal_code: "77777777777",
            company_name: "Comune di Collaudo",
            back_office: &bo,
        };
        let (_, s) = seeded(5);
        let base = s.next_demand_base;
        let a = back_office_position(&issuer, base, Amount::from_cents(1_234), 5).unwrap();
        let b = back_office_position(&issuer, base, Amount::from_cents(1_234), 5).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.amount.cents(), 1_234);
        assert_eq!(a.transfers_sum(), a.amount);
        assert_eq!(a.state, PositionState::Open);
        assert_eq!(a.role, None);
        assert!(a.notice_number.check_digit_ok() == Some(true));
        assert!(
            !s.positions
                .iter()
                .any(|p| p.notice_number == a.notice_number)
        );
    }

    #[test]
    fn extreme_seeds_still_give_13_digit_bases() {
        for s in [0, 1, u64::MAX, u64::MAX / 2] {
            let (_, seeded) = seeded(s);
            assert!(seeded.next_demand_base + 1_000_000 < 10_000_000_000_000);
        }
    }
}
