//! JSON in and out: the request bodies of v1 and v3, their validation (DOMAIN.md §9.3) into a
//! [`Position`], and the answer bodies each version's contract declares.

use super::model::{
    ApiVersion, Debtor, Installment, Metadata, OptionStatus, Plan, Position, PositionStatus, Stamp,
    SubjectType, Transfer,
};
use super::problem::Problem;
use crate::checks::BackOffice;
use crate::clock::VirtualTime;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;

/// Most transfers per option (ids `1`..=`5`).
pub const MAX_TRANSFERS: usize = 5;
/// Most metadata pairs per option or transfer.
const MAX_METADATA: usize = 10;
/// Longest description, company or office name, remittance information.
const MAX_TEXT: usize = 140;
/// Most payment options (v3) or installments per option (v3).
const MAX_V3_ITEMS: usize = 100;

/// What validation needs besides the body.
#[derive(Debug, Clone, Copy)]
pub(super) struct Ctx<'a> {
    pub(super) now: VirtualTime,
    pub(super) org: &'a str,
    pub(super) backoffice: &'a BackOffice,
    pub(super) check_iban: bool,
    pub(super) aux_digit: char,
    /// `PUT` rather than `POST`: the date rules differ.
    pub(super) update: bool,
}

// ---------------------------------------------------------------- input

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct TransferIn {
    id_transfer: Option<String>,
    amount: Option<i64>,
    organization_fiscal_code: Option<String>,
    remittance_information: Option<String>,
    category: Option<String>,
    iban: Option<String>,
    postal_iban: Option<String>,
    stamp: Option<StampIn>,
    company_name: Option<String>,
    transfer_metadata: Option<Vec<MetadataIn>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct StampIn {
    hash_document: Option<String>,
    stamp_type: Option<String>,
    provincial_residence: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct MetadataIn {
    key: Option<String>,
    value: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct OptionV1In {
    nav: Option<String>,
    iuv: Option<String>,
    amount: Option<i64>,
    description: Option<String>,
    is_partial_payment: Option<bool>,
    due_date: Option<String>,
    retention_date: Option<String>,
    fee: Option<i64>,
    transfer: Option<Vec<TransferIn>>,
    payment_option_metadata: Option<Vec<MetadataIn>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct PositionV1In {
    iupd: Option<String>,
    #[serde(rename = "type")]
    subject_type: Option<String>,
    pay_stand_in: Option<bool>,
    fiscal_code: Option<String>,
    full_name: Option<String>,
    street_name: Option<String>,
    civic_number: Option<String>,
    postal_code: Option<String>,
    city: Option<String>,
    province: Option<String>,
    region: Option<String>,
    country: Option<String>,
    email: Option<String>,
    phone: Option<String>,
    switch_to_expired: Option<bool>,
    company_name: Option<String>,
    office_name: Option<String>,
    validity_date: Option<String>,
    payment_option: Option<Vec<OptionV1In>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct DebtorIn {
    #[serde(rename = "type")]
    subject_type: Option<String>,
    fiscal_code: Option<String>,
    full_name: Option<String>,
    street_name: Option<String>,
    civic_number: Option<String>,
    postal_code: Option<String>,
    city: Option<String>,
    province: Option<String>,
    region: Option<String>,
    country: Option<String>,
    email: Option<String>,
    phone: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct InstallmentIn {
    nav: Option<String>,
    iuv: Option<String>,
    amount: Option<i64>,
    description: Option<String>,
    due_date: Option<String>,
    transfer: Option<Vec<TransferIn>>,
    installment_metadata: Option<Vec<MetadataIn>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct OptionV3In {
    description: Option<String>,
    validity_date: Option<String>,
    retention_date: Option<String>,
    switch_to_expired: Option<bool>,
    debtor: Option<DebtorIn>,
    installments: Option<Vec<InstallmentIn>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct PositionV3In {
    iupd: Option<String>,
    pay_stand_in: Option<bool>,
    company_name: Option<String>,
    office_name: Option<String>,
    payment_option: Option<Vec<OptionV3In>>,
}

/// Read `body` as JSON of type `T`: a syntax error names line and column, a wrong type names
/// the field path.
fn parse_json<'de, T: Deserialize<'de>>(body: &'de [u8]) -> Result<T, Problem> {
    let mut de = serde_json::Deserializer::from_slice(body);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        match inner.classify() {
            serde_json::error::Category::Data if path != "." => Problem::field(&path, &inner),
            _ => Problem::malformed(inner.line(), inner.column(), &inner),
        }
    })?;
    de.end()
        .map_err(|e| Problem::malformed(e.line(), e.column(), &e))?;
    Ok(value)
}

/// A date-time: RFC 3339, or without offset (GPD's `LocalDateTime`), read as UTC.
pub(super) fn parse_datetime(s: &str) -> Option<VirtualTime> {
    if let Ok(t) = VirtualTime::parse_rfc3339(s) {
        return Some(t);
    }
    let t = s.trim();
    if t.len() >= 19 && !t.ends_with('Z') && !t[10..].contains(['+', '-']) {
        return VirtualTime::parse_rfc3339(&format!("{t}Z")).ok();
    }
    None
}

/// A `yyyy-MM-dd` date, as midnight UTC.
pub(super) fn parse_date(s: &str) -> Option<VirtualTime> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| s.get(r).and_then(|x| x.parse::<u32>().ok());
    VirtualTime::from_ymd(i64::from(num(0..4)?), num(5..7)?, num(8..10)?)
}

fn required<T>(value: Option<T>, field: &str) -> Result<T, Problem> {
    value.ok_or_else(|| Problem::field(field, "must not be null"))
}

fn required_text(value: Option<String>, field: &str) -> Result<String, Problem> {
    let value = required(value, field)?;
    if value.trim().is_empty() {
        return Err(Problem::field(field, "must not be blank"));
    }
    Ok(value)
}

fn max_len(value: &Option<String>, max: usize, field: &str) -> Result<(), Problem> {
    value
        .as_deref()
        .map_or(Ok(()), |v| max_chars(v, max, field))
}

fn max_chars(value: &str, max: usize, field: &str) -> Result<(), Problem> {
    if value.chars().count() > max {
        return Err(Problem::field(
            field,
            format_args!("size must be between 0 and {max}"),
        ));
    }
    Ok(())
}

fn date(value: Option<String>, field: &str) -> Result<Option<VirtualTime>, Problem> {
    value
        .map(|s| {
            parse_datetime(&s)
                .ok_or_else(|| Problem::field(field, format_args!("not a date-time: {s:?}")))
        })
        .transpose()
}

fn two_capitals(s: &str) -> bool {
    s.len() == 2 && s.bytes().all(|b| b.is_ascii_uppercase())
}

fn iban_shaped(s: &str) -> bool {
    (1..=35).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric())
}

fn subject_type(value: Option<String>, field: &str) -> Result<SubjectType, Problem> {
    match required(value, field)?.as_str() {
        "F" => Ok(SubjectType::F),
        "G" => Ok(SubjectType::G),
        other => Err(Problem::field(
            field,
            format_args!("must be one of F, G, not {other:?}"),
        )),
    }
}

fn metadata(
    list: Option<Vec<MetadataIn>>,
    field: &str,
    value_required: bool,
) -> Result<Vec<Metadata>, Problem> {
    let list = list.unwrap_or_default();
    if list.len() > MAX_METADATA {
        return Err(Problem::field(field, "at most 10 key-value pairs"));
    }
    list.into_iter()
        .enumerate()
        .map(|(i, m)| {
            let key = required(m.key, &format!("{field}[{i}].key"))?;
            if value_required && m.value.is_none() {
                return Err(Problem::field(
                    &format!("{field}[{i}].value"),
                    "must not be null",
                ));
            }
            max_chars(&key, MAX_TEXT, &format!("{field}[{i}].key"))?;
            max_len(&m.value, MAX_TEXT, &format!("{field}[{i}].value"))?;
            Ok(Metadata {
                key,
                value: m.value,
            })
        })
        .collect()
}

fn debtor(d: DebtorParts, field: &str) -> Result<Debtor, Problem> {
    let at = |name: &str| {
        if field.is_empty() {
            name.to_string()
        } else {
            format!("{field}.{name}")
        }
    };
    let subject_type = subject_type(d.subject_type, &at("type"))?;
    let fiscal_code = required_text(d.fiscal_code, &at("fiscalCode"))?;
    let full_name = required_text(d.full_name, &at("fullName"))?;
    if let Some(country) = &d.country {
        if !two_capitals(country) {
            return Err(Problem::field(&at("country"), "must match [A-Z]{2}"));
        }
    }
    Ok(Debtor {
        subject_type,
        fiscal_code,
        full_name,
        street_name: d.street_name,
        civic_number: d.civic_number,
        postal_code: d.postal_code,
        city: d.city,
        province: d.province,
        region: d.region,
        country: d.country,
        email: d.email,
        phone: d.phone,
    })
}

/// The debtor fields, wherever the version puts them.
struct DebtorParts {
    subject_type: Option<String>,
    fiscal_code: Option<String>,
    full_name: Option<String>,
    street_name: Option<String>,
    civic_number: Option<String>,
    postal_code: Option<String>,
    city: Option<String>,
    province: Option<String>,
    region: Option<String>,
    country: Option<String>,
    email: Option<String>,
    phone: Option<String>,
}

fn transfers(
    list: Option<Vec<TransferIn>>,
    amount: i64,
    field: &str,
    ctx: &Ctx<'_>,
) -> Result<Vec<Transfer>, Problem> {
    let field = format!("{field}.transfer");
    let list = list.unwrap_or_default();
    if list.is_empty() {
        return Err(Problem::field(&field, "at least one transfer is required"));
    }
    if list.len() > MAX_TRANSFERS {
        return Err(Problem::field(
            &field,
            format_args!("at most {MAX_TRANSFERS} transfers, found {}", list.len()),
        ));
    }
    let mut seen = [false; MAX_TRANSFERS + 1];
    let mut sum: i64 = 0;
    let mut out = Vec::with_capacity(list.len());
    for (j, t) in list.into_iter().enumerate() {
        let at = |name: &str| format!("{field}[{j}].{name}");
        let id = required(t.id_transfer, &at("idTransfer"))?;
        let id = match id.as_str() {
            "1" | "2" | "3" | "4" | "5" => id.as_bytes()[0] - b'0',
            other => {
                return Err(Problem::field(
                    &at("idTransfer"),
                    format_args!("must be one of 1, 2, 3, 4, 5, not {other:?}"),
                ));
            }
        };
        if std::mem::replace(&mut seen[usize::from(id)], true) {
            return Err(Problem::field(
                &at("idTransfer"),
                format_args!("duplicate idTransfer {id}"),
            ));
        }
        let t_amount = required(t.amount, &at("amount"))?;
        if t_amount < 1 {
            return Err(Problem::field(
                &at("amount"),
                "must be greater than or equal to 1",
            ));
        }
        sum = sum
            .checked_add(t_amount)
            .ok_or_else(|| Problem::field(&at("amount"), "sum of transfer amounts overflows"))?;
        let remittance = required(t.remittance_information, &at("remittanceInformation"))?;
        max_chars(&remittance, MAX_TEXT, &at("remittanceInformation"))?;
        let category = required_text(t.category, &at("category"))?;
        max_len(&t.company_name, MAX_TEXT, &at("companyName"))?;
        let postal_iban = t.postal_iban.filter(|p| !p.is_empty());
        match (&t.iban, &t.stamp) {
            (Some(_), Some(_)) => {
                return Err(Problem::field(
                    &at("iban"),
                    "iban and stamp are mutually exclusive",
                ));
            }
            (None, None) => {
                return Err(Problem::field(
                    &at("iban"),
                    "one of iban or stamp is required",
                ));
            }
            (None, Some(_)) if postal_iban.is_some() => {
                return Err(Problem::field(
                    &at("postalIban"),
                    "postalIban cannot be combined with stamp",
                ));
            }
            _ => {}
        }
        let beneficiary = t
            .organization_fiscal_code
            .clone()
            .filter(|o| !o.is_empty())
            .unwrap_or_else(|| ctx.org.to_string());
        for (name, value) in [("iban", &t.iban), ("postalIban", &postal_iban)] {
            let Some(iban) = value else { continue };
            if !iban_shaped(iban) {
                return Err(Problem::field(&at(name), "must match ^[A-Za-z0-9]{1,35}$"));
            }
            if ctx.check_iban && !ctx.backoffice.iban_registered(&beneficiary, iban) {
                return Err(Problem::field(
                    &at(name),
                    format_args!("IBAN {iban} is not registered for organization {beneficiary}"),
                ));
            }
        }
        let stamp = match t.stamp {
            None => None,
            Some(s) => {
                let hash = required_text(s.hash_document, &at("stamp.hashDocument"))?;
                if hash.chars().count() > 72 {
                    return Err(Problem::field(
                        &at("stamp.hashDocument"),
                        "size must be between 0 and 72",
                    ));
                }
                let stamp_type = required(s.stamp_type, &at("stamp.stampType"))?;
                if stamp_type.chars().count() != 2 {
                    return Err(Problem::field(&at("stamp.stampType"), "size must be 2"));
                }
                let province = required(s.provincial_residence, &at("stamp.provincialResidence"))?;
                if !two_capitals(&province) {
                    return Err(Problem::field(
                        &at("stamp.provincialResidence"),
                        "must match [A-Z]{2}",
                    ));
                }
                Some(Stamp {
                    hash_document: hash,
                    stamp_type,
                    provincial_residence: province,
                })
            }
        };
        out.push(Transfer {
            id_transfer: id,
            amount: t_amount,
            organization_explicit: t.organization_fiscal_code.is_some_and(|o| !o.is_empty()),
            organization_fiscal_code: beneficiary,
            remittance_information: remittance,
            category,
            iban: t.iban,
            postal_iban,
            stamp,
            company_name: t.company_name,
            metadata: metadata(t.transfer_metadata, &at("transferMetadata"), true)?,
            reported: false,
        });
    }
    if sum != amount {
        return Err(Problem::field(
            &field,
            format_args!(
                "the sum of the transfer amounts ({sum}) differs from the amount ({amount})"
            ),
        ));
    }
    Ok(out)
}

/// Fields of one notice, from a v1 option or a v3 installment.
struct NoticeIn {
    nav: Option<String>,
    iuv: Option<String>,
    amount: Option<i64>,
    description: Option<String>,
    due_date: Option<String>,
    retention_date: Option<String>,
    fee: Option<i64>,
    transfer: Option<Vec<TransferIn>>,
    metadata: Option<Vec<MetadataIn>>,
    is_partial_payment: bool,
}

fn installment(
    n: NoticeIn,
    field: &str,
    metadata_field: &str,
    ctx: &Ctx<'_>,
) -> Result<Installment, Problem> {
    let at = |name: &str| format!("{field}.{name}");
    let iuv = required_text(n.iuv, &at("iuv"))?;
    let amount = required(n.amount, &at("amount"))?;
    if amount < 1 {
        return Err(Problem::field(
            &at("amount"),
            "must be greater than or equal to 1",
        ));
    }
    let description = required(n.description, &at("description"))?;
    max_chars(&description, MAX_TEXT, &at("description"))?;
    let due_date = required(date(n.due_date, &at("dueDate"))?, &at("dueDate"))?;
    let retention_date = date(n.retention_date, &at("retentionDate"))?;
    if retention_date.is_some_and(|r| r < due_date) {
        return Err(Problem::field(
            &at("retentionDate"),
            "must not precede dueDate",
        ));
    }
    if n.fee.is_some_and(|f| f < 0) {
        return Err(Problem::field(&at("fee"), "must not be negative"));
    }
    let transfers = transfers(n.transfer, amount, field, ctx)?;
    let nav = n
        .nav
        .filter(|nav| !nav.is_empty())
        .unwrap_or_else(|| format!("{}{iuv}", ctx.aux_digit));
    Ok(Installment {
        iuv,
        nav,
        amount,
        description,
        is_partial_payment: n.is_partial_payment,
        due_date,
        retention_date,
        fee: n.fee,
        transfers,
        metadata: metadata(n.metadata, &at(metadata_field), false)?,
        status: OptionStatus::PoUnpaid,
        payment: None,
    })
}

/// The date rules of DOMAIN.md §9.3 for one plan.
fn check_dates(
    plan: &Plan,
    field: &str,
    ctx: &Ctx<'_>,
    inst_field: &dyn Fn(usize) -> String,
) -> Result<(), Problem> {
    if !ctx.update {
        if let Some(validity) = plan.validity_date {
            if validity <= ctx.now {
                return Err(Problem::field(
                    &format!("{field}validityDate"),
                    format_args!("must be in the future (now {})", ctx.now),
                ));
            }
        }
    }
    for (k, i) in plan.installments.iter().enumerate() {
        let due = format!("{}.dueDate", inst_field(k));
        if let Some(validity) = plan.validity_date {
            if i.due_date < validity {
                return Err(Problem::field(&due, "must not precede validityDate"));
            }
        }
        let must_be_future = !ctx.update || plan.switch_to_expired;
        if must_be_future && i.due_date < ctx.now {
            return Err(Problem::field(
                &due,
                format_args!("must not precede the current date {}", ctx.now),
            ));
        }
    }
    Ok(())
}

/// Unique IUVs and NAVs within the request.
fn check_unique_within(plans: &[Plan], org: &str) -> Result<(), Problem> {
    let mut iuvs = HashSet::new();
    let mut navs = HashSet::new();
    for i in plans.iter().flat_map(|p| p.installments.iter()) {
        if !iuvs.insert(i.iuv.as_str()) {
            return Err(Problem::duplicate(
                org,
                &format!("IUV {} repeated in the request", i.iuv),
            ));
        }
        if !navs.insert(i.nav.as_str()) {
            return Err(Problem::duplicate(
                org,
                &format!("NAV {} repeated in the request", i.nav),
            ));
        }
    }
    Ok(())
}

/// A v1 `PaymentPositionModel` body, validated, as a DRAFT position created at `ctx.now`.
pub(super) fn parse_v1(body: &[u8], ctx: &Ctx<'_>) -> Result<Position, Problem> {
    let p: PositionV1In = parse_json(body)?;
    let iupd = required_text(p.iupd, "iupd")?;
    let switch_to_expired = required(p.switch_to_expired, "switchToExpired")?;
    let company_name = required_text(p.company_name, "companyName")?;
    max_chars(&company_name, MAX_TEXT, "companyName")?;
    max_len(&p.office_name, MAX_TEXT, "officeName")?;
    let debtor = debtor(
        DebtorParts {
            subject_type: p.subject_type,
            fiscal_code: p.fiscal_code,
            full_name: p.full_name,
            street_name: p.street_name,
            civic_number: p.civic_number,
            postal_code: p.postal_code,
            city: p.city,
            province: p.province,
            region: p.region,
            country: p.country,
            email: p.email,
            phone: p.phone,
        },
        "",
    )?;
    let validity_date = date(p.validity_date, "validityDate")?;
    let mut singles = Vec::new();
    let mut partials = Vec::new();
    for (i, o) in p.payment_option.unwrap_or_default().into_iter().enumerate() {
        let field = format!("paymentOption[{i}]");
        let partial = required(o.is_partial_payment, &format!("{field}.isPartialPayment"))?;
        let inst = installment(
            NoticeIn {
                nav: o.nav,
                iuv: o.iuv,
                amount: o.amount,
                description: o.description,
                due_date: o.due_date,
                retention_date: o.retention_date,
                fee: o.fee,
                transfer: o.transfer,
                metadata: o.payment_option_metadata,
                is_partial_payment: partial,
            },
            &field,
            "paymentOptionMetadata",
            ctx,
        )?;
        if partial {
            partials.push((i, inst));
        } else {
            singles.push((i, inst));
        }
    }
    let plan = |installments: Vec<(usize, Installment)>| {
        let indexes: Vec<usize> = installments.iter().map(|(i, _)| *i).collect();
        (
            indexes,
            Plan {
                debtor: debtor.clone(),
                validity_date,
                retention_date: None,
                switch_to_expired,
                description: None,
                installments: installments.into_iter().map(|(_, i)| i).collect(),
            },
        )
    };
    let mut plans: Vec<(Vec<usize>, Plan)> = singles.into_iter().map(|s| plan(vec![s])).collect();
    if !partials.is_empty() {
        plans.push(plan(partials));
    }
    for (indexes, plan) in &plans {
        check_dates(plan, "", ctx, &|k| {
            format!("paymentOption[{}]", indexes.get(k).copied().unwrap_or(0))
        })?;
    }
    let plans: Vec<Plan> = plans.into_iter().map(|(_, p)| p).collect();
    check_unique_within(&plans, ctx.org)?;
    Ok(Position {
        organization_fiscal_code: ctx.org.to_string(),
        iupd,
        company_name,
        office_name: p.office_name,
        pay_stand_in: p.pay_stand_in.unwrap_or(true),
        status: PositionStatus::Draft,
        inserted_date: ctx.now,
        publish_date: None,
        last_updated_date: ctx.now,
        payment_date: None,
        version: ApiVersion::V1,
        plans,
    })
}

/// A v3 `PaymentPositionModelV3` body, validated, as a DRAFT position created at `ctx.now`.
pub(super) fn parse_v3(body: &[u8], ctx: &Ctx<'_>) -> Result<Position, Problem> {
    let p: PositionV3In = parse_json(body)?;
    let iupd = required_text(p.iupd, "iupd")?;
    let company_name = required_text(p.company_name, "companyName")?;
    max_chars(&company_name, MAX_TEXT, "companyName")?;
    max_len(&p.office_name, MAX_TEXT, "officeName")?;
    let options = required(p.payment_option, "paymentOption")?;
    if options.is_empty() || options.len() > MAX_V3_ITEMS {
        return Err(Problem::field(
            "paymentOption",
            "size must be between 1 and 100",
        ));
    }
    let mut plans = Vec::with_capacity(options.len());
    for (o_idx, o) in options.into_iter().enumerate() {
        let field = format!("paymentOption[{o_idx}]");
        let at = |name: &str| format!("{field}.{name}");
        let switch_to_expired = required(o.switch_to_expired, &at("switchToExpired"))?;
        let d = required(o.debtor, &at("debtor"))?;
        let debtor = debtor(
            DebtorParts {
                subject_type: d.subject_type,
                fiscal_code: d.fiscal_code,
                full_name: d.full_name,
                street_name: d.street_name,
                civic_number: d.civic_number,
                postal_code: d.postal_code,
                city: d.city,
                province: d.province,
                region: d.region,
                country: d.country,
                email: d.email,
                phone: d.phone,
            },
            &at("debtor"),
        )?;
        max_len(&o.description, MAX_TEXT, &at("description"))?;
        let validity_date = date(o.validity_date, &at("validityDate"))?;
        let retention_date = date(o.retention_date, &at("retentionDate"))?;
        let list = required(o.installments, &at("installments"))?;
        if list.is_empty() || list.len() > MAX_V3_ITEMS {
            return Err(Problem::field(
                &at("installments"),
                "size must be between 1 and 100",
            ));
        }
        let partial = list.len() > 1;
        let mut installments = Vec::with_capacity(list.len());
        for (k, i) in list.into_iter().enumerate() {
            let i_field = format!("{field}.installments[{k}]");
            installments.push(installment(
                NoticeIn {
                    nav: i.nav,
                    iuv: i.iuv,
                    amount: i.amount,
                    description: i.description,
                    due_date: i.due_date,
                    retention_date: o_retention(retention_date),
                    fee: None,
                    transfer: i.transfer,
                    metadata: i.installment_metadata,
                    is_partial_payment: partial,
                },
                &i_field,
                "installmentMetadata",
                ctx,
            )?);
        }
        let plan = Plan {
            debtor,
            validity_date,
            retention_date,
            switch_to_expired,
            description: o.description,
            installments,
        };
        check_dates(&plan, &format!("{field}."), ctx, &|k| {
            format!("{field}.installments[{k}]")
        })?;
        plans.push(plan);
    }
    check_unique_within(&plans, ctx.org)?;
    Ok(Position {
        organization_fiscal_code: ctx.org.to_string(),
        iupd,
        company_name,
        office_name: p.office_name,
        pay_stand_in: p.pay_stand_in.unwrap_or(true),
        status: PositionStatus::Draft,
        inserted_date: ctx.now,
        publish_date: None,
        last_updated_date: ctx.now,
        payment_date: None,
        version: ApiVersion::V3,
        plans,
    })
}

/// The plan's retention date, rendered back so the per-installment check sees it.
fn o_retention(retention: Option<VirtualTime>) -> Option<String> {
    retention.map(|r| r.to_string())
}

// ---------------------------------------------------------------- output

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct StampOut<'a> {
    hash_document: &'a str,
    stamp_type: &'a str,
    provincial_residence: &'a str,
}

impl<'a> From<&'a Stamp> for StampOut<'a> {
    fn from(s: &'a Stamp) -> Self {
        StampOut {
            hash_document: &s.hash_document,
            stamp_type: &s.stamp_type,
            provincial_residence: &s.provincial_residence,
        }
    }
}

#[derive(Serialize)]
struct MetaOut<'a> {
    key: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    value: Option<&'a str>,
}

fn meta(list: &[Metadata]) -> Vec<MetaOut<'_>> {
    list.iter()
        .map(|m| MetaOut {
            key: &m.key,
            value: m.value.as_deref(),
        })
        .collect()
}

/// `TransferModel` (request echo).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct TransferModelOut<'a> {
    id_transfer: String,
    amount: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    organization_fiscal_code: Option<&'a str>,
    remittance_information: &'a str,
    category: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    iban: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    postal_iban: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    stamp: Option<StampOut<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    company_name: Option<&'a str>,
    transfer_metadata: Vec<MetaOut<'a>>,
}

fn transfer_model(t: &Transfer) -> TransferModelOut<'_> {
    TransferModelOut {
        id_transfer: t.id_transfer.to_string(),
        amount: t.amount,
        organization_fiscal_code: t
            .organization_explicit
            .then_some(t.organization_fiscal_code.as_str()),
        remittance_information: &t.remittance_information,
        category: &t.category,
        iban: t.iban.as_deref(),
        postal_iban: t.postal_iban.as_deref(),
        stamp: t.stamp.as_ref().map(StampOut::from),
        company_name: t.company_name.as_deref(),
        transfer_metadata: meta(&t.metadata),
    }
}

/// `TransferModelResponse`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct TransferResponseOut<'a> {
    organization_fiscal_code: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    company_name: Option<&'a str>,
    id_transfer: String,
    amount: i64,
    remittance_information: &'a str,
    category: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    iban: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    postal_iban: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    stamp: Option<StampOut<'a>>,
    inserted_date: VirtualTime,
    status: &'static str,
    last_updated_date: VirtualTime,
    transfer_metadata: Vec<MetaOut<'a>>,
}

fn transfer_response<'a>(t: &'a Transfer, p: &Position) -> TransferResponseOut<'a> {
    TransferResponseOut {
        organization_fiscal_code: &t.organization_fiscal_code,
        company_name: t.company_name.as_deref(),
        id_transfer: t.id_transfer.to_string(),
        amount: t.amount,
        remittance_information: &t.remittance_information,
        category: &t.category,
        iban: t.iban.as_deref(),
        postal_iban: t.postal_iban.as_deref(),
        stamp: t.stamp.as_ref().map(StampOut::from),
        inserted_date: p.inserted_date,
        status: if t.reported {
            "T_REPORTED"
        } else {
            "T_UNREPORTED"
        },
        last_updated_date: p.last_updated_date,
        transfer_metadata: meta(&t.metadata),
    }
}

/// v1 `PaymentOptionModel`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct OptionModelOut<'a> {
    nav: &'a str,
    iuv: &'a str,
    amount: i64,
    description: &'a str,
    is_partial_payment: bool,
    due_date: VirtualTime,
    #[serde(skip_serializing_if = "Option::is_none")]
    retention_date: Option<VirtualTime>,
    #[serde(skip_serializing_if = "Option::is_none")]
    fee: Option<i64>,
    notification_fee: i64,
    transfer: Vec<TransferModelOut<'a>>,
    payment_option_metadata: Vec<MetaOut<'a>>,
}

/// v1 `PaymentPositionModel`: the answer to create, update, publish and invalidate.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PositionModelOut<'a> {
    iupd: &'a str,
    /// The first plan's debtor, its fields at the top level as v1 has them.
    #[serde(flatten)]
    debtor: DebtorOut<'a>,
    pay_stand_in: bool,
    switch_to_expired: bool,
    company_name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    office_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    validity_date: Option<VirtualTime>,
    #[serde(skip_serializing_if = "Option::is_none")]
    payment_date: Option<VirtualTime>,
    status: &'static str,
    payment_option: Vec<OptionModelOut<'a>>,
}

/// The body of a v1 create/update/publish/invalidate answer.
pub(super) fn v1_model(p: &Position, status: PositionStatus) -> Vec<u8> {
    let first = p.plans.first();
    let d = first.map(|plan| &plan.debtor);
    let options = p
        .installments()
        .map(|i| OptionModelOut {
            nav: &i.nav,
            iuv: &i.iuv,
            amount: i.amount,
            description: &i.description,
            is_partial_payment: i.is_partial_payment,
            due_date: i.due_date,
            retention_date: i.retention_date,
            fee: i.fee,
            notification_fee: 0,
            transfer: i.transfers.iter().map(transfer_model).collect(),
            payment_option_metadata: meta(&i.metadata),
        })
        .collect();
    let out = PositionModelOut {
        iupd: &p.iupd,
        debtor: d.map_or(
            DebtorOut {
                subject_type: "F",
                ..DebtorOut::default()
            },
            debtor_out,
        ),
        pay_stand_in: p.pay_stand_in,
        switch_to_expired: first.is_some_and(|plan| plan.switch_to_expired),
        company_name: &p.company_name,
        office_name: p.office_name.as_deref(),
        validity_date: p.validity_date(),
        payment_date: p.payment_date,
        status: status.as_str(),
        payment_option: options,
    };
    to_json(&out)
}

/// v1 `PaymentOptionModelResponse`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct OptionResponseOut<'a> {
    nav: &'a str,
    iuv: &'a str,
    organization_fiscal_code: &'a str,
    amount: i64,
    description: &'a str,
    is_partial_payment: bool,
    due_date: VirtualTime,
    #[serde(skip_serializing_if = "Option::is_none")]
    retention_date: Option<VirtualTime>,
    #[serde(skip_serializing_if = "Option::is_none")]
    payment_date: Option<VirtualTime>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reporting_date: Option<VirtualTime>,
    inserted_date: VirtualTime,
    #[serde(skip_serializing_if = "Option::is_none")]
    payment_method: Option<&'a str>,
    fee: i64,
    notification_fee: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    psp_company: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    id_receipt: Option<&'a str>,
    status: &'static str,
    last_updated_date: VirtualTime,
    payment_option_metadata: Vec<MetaOut<'a>>,
    transfer: Vec<TransferResponseOut<'a>>,
}

/// v1 `PaymentPositionModelBaseResponse`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PositionBaseOut<'a> {
    iupd: &'a str,
    organization_fiscal_code: &'a str,
    #[serde(rename = "type")]
    subject_type: &'static str,
    company_name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    office_name: Option<&'a str>,
    inserted_date: VirtualTime,
    #[serde(skip_serializing_if = "Option::is_none")]
    publish_date: Option<VirtualTime>,
    #[serde(skip_serializing_if = "Option::is_none")]
    validity_date: Option<VirtualTime>,
    #[serde(skip_serializing_if = "Option::is_none")]
    payment_date: Option<VirtualTime>,
    status: &'static str,
    last_updated_date: VirtualTime,
    payment_option: Vec<OptionResponseOut<'a>>,
}

fn v1_base_value(p: &Position, status: PositionStatus) -> PositionBaseOut<'_> {
    let options = p
        .installments()
        .map(|i| OptionResponseOut {
            nav: &i.nav,
            iuv: &i.iuv,
            organization_fiscal_code: &p.organization_fiscal_code,
            amount: i.amount,
            description: &i.description,
            is_partial_payment: i.is_partial_payment,
            due_date: i.due_date,
            retention_date: i.retention_date,
            payment_date: i.payment.as_ref().map(|x| x.payment_date),
            reporting_date: i.payment.as_ref().and_then(|x| x.reporting_date),
            inserted_date: p.inserted_date,
            payment_method: i.payment.as_ref().and_then(|x| x.payment_method.as_deref()),
            fee: i.fee.unwrap_or(0),
            notification_fee: 0,
            psp_company: i.payment.as_ref().and_then(|x| x.psp_company.as_deref()),
            id_receipt: i.payment.as_ref().map(|x| x.receipt_id.as_str()),
            status: i.status.as_str(),
            last_updated_date: p.last_updated_date,
            payment_option_metadata: meta(&i.metadata),
            transfer: i
                .transfers
                .iter()
                .map(|t| transfer_response(t, p))
                .collect(),
        })
        .collect();
    PositionBaseOut {
        iupd: &p.iupd,
        organization_fiscal_code: &p.organization_fiscal_code,
        subject_type: p
            .plans
            .first()
            .map_or("F", |x| x.debtor.subject_type.as_str()),
        company_name: &p.company_name,
        office_name: p.office_name.as_deref(),
        inserted_date: p.inserted_date,
        publish_date: p.publish_date,
        validity_date: p.validity_date(),
        payment_date: p.payment_date,
        status: status.as_str(),
        last_updated_date: p.last_updated_date,
        payment_option: options,
    }
}

/// The body of a v1 get.
pub(super) fn v1_base(p: &Position, status: PositionStatus) -> Vec<u8> {
    to_json(&v1_base_value(p, status))
}

#[derive(Serialize)]
struct PageInfoOut {
    page: u32,
    limit: u32,
    items_found: u32,
    total_pages: u32,
}

#[derive(Serialize)]
struct ListOut<T> {
    payment_position_list: Vec<T>,
    page_info: PageInfoOut,
}

/// One page of a list.
pub(super) struct Page<'a> {
    pub(super) items: Vec<(&'a Position, PositionStatus)>,
    pub(super) page: u32,
    pub(super) limit: u32,
    pub(super) total: usize,
}

impl Page<'_> {
    fn info(&self) -> PageInfoOut {
        let limit = self.limit.max(1) as usize;
        PageInfoOut {
            page: self.page,
            limit: self.limit,
            items_found: u32::try_from(self.items.len()).unwrap_or(u32::MAX),
            total_pages: u32::try_from(self.total.div_ceil(limit)).unwrap_or(u32::MAX),
        }
    }
}

/// The body of a v1 list: `PaymentPositionsInfo`.
pub(super) fn v1_list(page: &Page<'_>) -> Vec<u8> {
    to_json(&ListOut {
        payment_position_list: page
            .items
            .iter()
            .map(|(p, s)| v1_base_value(p, *s))
            .collect(),
        page_info: page.info(),
    })
}

#[derive(Serialize, Default)]
#[serde(rename_all = "camelCase")]
struct DebtorOut<'a> {
    #[serde(rename = "type")]
    subject_type: &'static str,
    fiscal_code: &'a str,
    full_name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    street_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    civic_number: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    postal_code: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    city: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    province: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    region: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    country: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    email: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    phone: Option<&'a str>,
}

fn debtor_out(d: &Debtor) -> DebtorOut<'_> {
    DebtorOut {
        subject_type: d.subject_type.as_str(),
        fiscal_code: &d.fiscal_code,
        full_name: &d.full_name,
        street_name: d.street_name.as_deref(),
        civic_number: d.civic_number.as_deref(),
        postal_code: d.postal_code.as_deref(),
        city: d.city.as_deref(),
        province: d.province.as_deref(),
        region: d.region.as_deref(),
        country: d.country.as_deref(),
        email: d.email.as_deref(),
        phone: d.phone.as_deref(),
    }
}

/// v3 installment status.
fn v3_installment_status(i: &Installment, status: PositionStatus) -> &'static str {
    match i.status {
        OptionStatus::PoPaid => "PAID",
        OptionStatus::PoPartiallyReported => "PARTIALLY_REPORTED",
        OptionStatus::PoReported => "REPORTED",
        OptionStatus::PoUnpaid => match status {
            PositionStatus::Expired => "EXPIRED",
            PositionStatus::Invalid | PositionStatus::Paid | PositionStatus::Reported => {
                "UNPAYABLE"
            }
            _ => "UNPAID",
        },
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct InstallmentModelOut<'a> {
    nav: &'a str,
    iuv: &'a str,
    amount: i64,
    description: &'a str,
    due_date: VirtualTime,
    fee: i64,
    notification_fee: i64,
    status: &'static str,
    transfer: Vec<TransferModelOut<'a>>,
    installment_metadata: Vec<MetaOut<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct OptionV3ModelOut<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    validity_date: Option<VirtualTime>,
    #[serde(skip_serializing_if = "Option::is_none")]
    retention_date: Option<VirtualTime>,
    switch_to_expired: bool,
    debtor: DebtorOut<'a>,
    installments: Vec<InstallmentModelOut<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PositionV3ModelOut<'a> {
    iupd: &'a str,
    pay_stand_in: bool,
    company_name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    office_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    payment_date: Option<VirtualTime>,
    status: &'static str,
    payment_option: Vec<OptionV3ModelOut<'a>>,
}

/// The body of a v3 create/update/publish answer: `PaymentPositionModelV3`.
pub(super) fn v3_model(p: &Position, status: PositionStatus) -> Vec<u8> {
    let out = PositionV3ModelOut {
        iupd: &p.iupd,
        pay_stand_in: p.pay_stand_in,
        company_name: &p.company_name,
        office_name: p.office_name.as_deref(),
        payment_date: p.payment_date,
        status: status.as_v3_str(),
        payment_option: p
            .plans
            .iter()
            .map(|plan| OptionV3ModelOut {
                description: plan.description.as_deref(),
                validity_date: plan.validity_date,
                retention_date: plan.retention_date,
                switch_to_expired: plan.switch_to_expired,
                debtor: debtor_out(&plan.debtor),
                installments: plan
                    .installments
                    .iter()
                    .map(|i| InstallmentModelOut {
                        nav: &i.nav,
                        iuv: &i.iuv,
                        amount: i.amount,
                        description: &i.description,
                        due_date: i.due_date,
                        fee: i.fee.unwrap_or(0),
                        notification_fee: 0,
                        status: v3_installment_status(i, status),
                        transfer: i.transfers.iter().map(transfer_model).collect(),
                        installment_metadata: meta(&i.metadata),
                    })
                    .collect(),
            })
            .collect(),
    };
    to_json(&out)
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct InstallmentResponseOut<'a> {
    nav: &'a str,
    iuv: &'a str,
    organization_fiscal_code: &'a str,
    amount: i64,
    description: &'a str,
    due_date: VirtualTime,
    #[serde(skip_serializing_if = "Option::is_none")]
    payment_date: Option<VirtualTime>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reporting_date: Option<VirtualTime>,
    #[serde(skip_serializing_if = "Option::is_none")]
    payment_method: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    psp_company: Option<&'a str>,
    fee: i64,
    notification_fee: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    id_receipt: Option<&'a str>,
    status: &'static str,
    last_updated_date: VirtualTime,
    installment_metadata: Vec<MetaOut<'a>>,
    transfer: Vec<TransferResponseOut<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct OptionV3ResponseOut<'a> {
    switch_to_expired: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    retention_date: Option<VirtualTime>,
    inserted_date: VirtualTime,
    #[serde(skip_serializing_if = "Option::is_none")]
    validity_date: Option<VirtualTime>,
    debtor: DebtorOut<'a>,
    installments: Vec<InstallmentResponseOut<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PositionV3ResponseOut<'a> {
    iupd: &'a str,
    organization_fiscal_code: &'a str,
    company_name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    office_name: Option<&'a str>,
    inserted_date: VirtualTime,
    #[serde(skip_serializing_if = "Option::is_none")]
    publish_date: Option<VirtualTime>,
    #[serde(skip_serializing_if = "Option::is_none")]
    payment_date: Option<VirtualTime>,
    status: &'static str,
    last_updated_date: VirtualTime,
    payment_option: Vec<OptionV3ResponseOut<'a>>,
}

fn v3_response_value(p: &Position, status: PositionStatus) -> PositionV3ResponseOut<'_> {
    PositionV3ResponseOut {
        iupd: &p.iupd,
        organization_fiscal_code: &p.organization_fiscal_code,
        company_name: &p.company_name,
        office_name: p.office_name.as_deref(),
        inserted_date: p.inserted_date,
        publish_date: p.publish_date,
        payment_date: p.payment_date,
        status: status.as_v3_str(),
        last_updated_date: p.last_updated_date,
        payment_option: p
            .plans
            .iter()
            .map(|plan| OptionV3ResponseOut {
                switch_to_expired: plan.switch_to_expired,
                retention_date: plan.retention_date,
                inserted_date: p.inserted_date,
                validity_date: plan.validity_date,
                debtor: debtor_out(&plan.debtor),
                installments: plan
                    .installments
                    .iter()
                    .map(|i| InstallmentResponseOut {
                        nav: &i.nav,
                        iuv: &i.iuv,
                        organization_fiscal_code: &p.organization_fiscal_code,
                        amount: i.amount,
                        description: &i.description,
                        due_date: i.due_date,
                        payment_date: i.payment.as_ref().map(|x| x.payment_date),
                        reporting_date: i.payment.as_ref().and_then(|x| x.reporting_date),
                        payment_method: i
                            .payment
                            .as_ref()
                            .and_then(|x| x.payment_method.as_deref()),
                        psp_company: i.payment.as_ref().and_then(|x| x.psp_company.as_deref()),
                        fee: i.fee.unwrap_or(0),
                        notification_fee: 0,
                        id_receipt: i.payment.as_ref().map(|x| x.receipt_id.as_str()),
                        status: v3_installment_status(i, status),
                        last_updated_date: p.last_updated_date,
                        installment_metadata: meta(&i.metadata),
                        transfer: i
                            .transfers
                            .iter()
                            .map(|t| transfer_response(t, p))
                            .collect(),
                    })
                    .collect(),
            })
            .collect(),
    }
}

/// The body of a v3 get: `PaymentPositionModelResponseV3`.
pub(super) fn v3_response(p: &Position, status: PositionStatus) -> Vec<u8> {
    to_json(&v3_response_value(p, status))
}

/// The body of a v3 list: `PaymentPositionsInfoV3`.
pub(super) fn v3_list(page: &Page<'_>) -> Vec<u8> {
    to_json(&ListOut {
        payment_position_list: page
            .items
            .iter()
            .map(|(p, s)| v3_response_value(p, *s))
            .collect(),
        page_info: page.info(),
    })
}

pub(super) fn to_json<T: Serialize>(value: &T) -> Vec<u8> {
    // Structs of strings, numbers and timestamps: serialization cannot fail; the fallback keeps
    // the answer well-formed if that ever changed.
    serde_json::to_vec(value).unwrap_or_else(|_| b"{}".to_vec())
}

#[cfg(test)]
mod tests {
    use super::{Ctx, MAX_TRANSFERS, parse_v1};
    use crate::checks::BackOffice;
    use crate::clock::VirtualTime;
    use proptest::prelude::*;
    use serde_json::json;

    const IBAN: &str = "IT60X0542811101000000123456";

    fn body(amount: i64, transfers: &[(String, i64)]) -> Vec<u8> {
        let transfers: Vec<_> = transfers
            .iter()
            .map(|(id, a)| {
                json!({"idTransfer": id, "amount": a, "remittanceInformation": "r",
                       "category": "c", "iban": IBAN})
            })
            .collect();
        json!({
            "iupd": "P", "type": "G", "fiscalCode": "01234567890", "fullName": "Ditta",
            "companyName": "Comune", "switchToExpired": false,
            "paymentOption": [{"iuv": "01000000000000001", "amount": amount, "description": "d",
                "isPartialPayment": false, "dueDate": "2030-01-01T00:00:00Z", "transfer": transfers}],
        })
        .to_string()
        .into_bytes()
    }

    fn check(body: &[u8]) -> Result<(), String> {
        let backoffice = BackOffice::default().with_iban("77777777777", IBAN, false);
        let ctx = Ctx {
            now: VirtualTime::from_millis(1_795_600_800_000),
            org: "77777777777",
            backoffice: &backoffice,
            check_iban: true,
            aux_digit: '3',
            update: false,
        };
        parse_v1(body, &ctx).map(|_| ()).map_err(|p| p.detail)
    }

    proptest! {
        /// Accepted exactly when there are 1..=5 transfers with distinct ids in 1..=5 whose
        /// amounts (≥ 1) add up to the option's amount.
        #[test]
        fn transfers_rules(
            amounts in proptest::collection::vec(1i64..1_000_000, 0..8),
            ids in proptest::collection::vec(0u8..8, 0..8),
            delta in prop_oneof![Just(0i64), -3i64..3],
        ) {
            let transfers: Vec<(String, i64)> = amounts
                .iter()
                .zip(ids.iter().chain(std::iter::repeat(&1)))
                .map(|(a, id)| (id.to_string(), *a))
                .collect();
            let sum: i64 = amounts.iter().sum();
            let amount = (sum + delta).max(1);
            let distinct = {
                let mut seen = std::collections::HashSet::new();
                transfers.iter().all(|(id, _)| seen.insert(id.clone()))
            };
            let ids_ok = transfers.iter().all(|(id, _)| matches!(id.as_str(), "1" | "2" | "3" | "4" | "5"));
            let valid = (1..=MAX_TRANSFERS).contains(&transfers.len()) && distinct && ids_ok && amount == sum;
            let got = check(&body(amount, &transfers));
            prop_assert_eq!(got.is_ok(), valid, "{:?} amount {} -> {:?}", transfers, amount, got);
            if let Err(detail) = got {
                prop_assert!(detail.contains("paymentOption[0].transfer"), "{}", detail);
            }
        }

        /// Whatever the bytes, validation answers (never panics) and refuses non-positions.
        #[test]
        fn arbitrary_bytes_are_refused_not_panicked(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
            prop_assert!(check(&bytes).is_err());
        }
    }

    #[test]
    fn stamp_instead_of_iban_is_accepted_and_postal_iban_with_stamp_is_not() {
        let mut v: serde_json::Value =
            serde_json::from_slice(&body(100, &[("1".into(), 100)])).unwrap_or_default();
        let t = &mut v["paymentOption"][0]["transfer"][0];
        t["iban"] = serde_json::Value::Null;
        t["stamp"] =
            json!({"hashDocument": "aGFzaA==", "stampType": "01", "provincialResidence": "RM"});
        assert_eq!(check(v.to_string().as_bytes()), Ok(()));
        v["paymentOption"][0]["transfer"][0]["postalIban"] = json!(IBAN);
        let err = check(v.to_string().as_bytes()).err().unwrap_or_default();
        assert!(err.contains("postalIban"), "{err}");
    }
}
