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
