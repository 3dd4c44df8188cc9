//! One SOAP request in, one [`StationReply`] out: the EC side of paForNode with no I/O, so it
//! can be tested without HTTP (STYLE.md §7: the matching core is a plain function, axum is only
//! the transport).

mod business;
mod dispatch;
mod faults;
mod reply;

pub use dispatch::{handle, oversized};
pub use reply::{CONTENT_TYPE_XML, StationReply};

pub(crate) use faults::{fault_bean, ko_message};
pub(crate) use reply::Answer;

#[cfg(test)]
mod tests;
