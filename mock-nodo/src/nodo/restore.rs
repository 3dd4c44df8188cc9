//! Reopening payments across a restart of a long-running Nodo (`collaudo serve`).
//!
//! A [`Nodo`] keeps its open payments (activated, not yet closed) in memory. A server that
//! persists them elsewhere hands them back after a restart with
//! [`Nodo::restore_payment`], so that [`Nodo::close`] finds the token as if the process had
//! never stopped. Additive: nothing else in the Nodo reads this module.

use super::{Nodo, Payment, Route};
use collaudo_wire::{PaymentData, QrCode};

impl Nodo {
    /// Reopen a payment activated by an earlier process under its `token`, with the notice,
    /// the route that answered its activation and the activation's payment data: a later
    /// [`close`](Nodo::close) builds and delivers its receipt as for a payment activated now.
    /// A payment already open under the same token is replaced.
    ///
    /// Tokens this Nodo mints are derived from its seed and a counter that restarts at zero,
    /// so a restarted Nodo must be given another seed than the one that minted the restored
    /// tokens, or a new token could collide with a restored one.
    pub fn restore_payment(&self, token: &str, qr: QrCode, route: Route, data: PaymentData) {
        self.state()
            .payments
            .insert(token.to_string(), Payment { qr, route, data });
    }

    /// Whether a payment is open (activated, not closed) under `token`.
    pub fn is_open(&self, token: &str) -> bool {
        self.state().payments.contains_key(token)
    }
}
