//! pagoPA identifiers: notice numbers (NAV) and IUVs, Italian fiscal codes and IBANs.
//!
//! pagoPA schemas only enforce lengths and character classes on fiscal codes
//! and IBANs; the check-character validations in [`fiscal_code`] and [`iban`]
//! are general Italian/ISO rules and therefore advisory (DOMAIN §10).

mod error;
pub mod fiscal_code;
pub mod iban;
pub mod iuv;
pub mod notice;

pub use error::IdentError;
pub use notice::{NoticeNumber, RESERVED_SEGREGATION_CODES, STAND_IN_PROBE};
