//! A receipt delivered the way a scenario asks: the Nodo picks the recipients (the EC's
//! station, then the broadcast stations of every EC the receipt involves) and delivers with
//! its retry schedule, each recipient suffering the outage the scenario plans for it.

use super::{Nodo, NodoError, StationLink};
use crate::receipts::{Delivery, Outage, Recipient, RetryPolicy};
use collaudo_wire::Receipt;

/// How a receipt is delivered.
#[derive(Debug, Clone)]
pub struct ReceiptDelivery<'a> {
    /// The EC whose station served the notice.
    pub ec: &'a str,
    /// The receipt.
    pub receipt: &'a Receipt,
    /// paSendRTV2 (true) or paSendRT toward the EC's station (broadcast stations get their
    /// own version).
    pub v2: bool,
    /// The retry schedule (the Nodo's own unless a scenario shortens it).
    pub retry: Option<RetryPolicy>,
    /// What happens to the attempts toward the EC's station.
    pub station_outage: Outage,
    /// Whether the broadcast stations get it too.
    pub broadcast: bool,
    /// What happens to the attempts toward each broadcast station.
    pub broadcast_outage: Outage,
    /// The scenario and step, for the journal.
    pub scenario: Option<&'a str>,
    /// See `scenario`.
    pub step: Option<usize>,
}

impl Nodo {
    /// The broadcast stations that get `receipt` besides the EC's station: those of every EC
    /// involved in the payment ("alle stazioni di tutti gli Enti Creditori configurate come
    /// broadcast", DOMAIN.md §6), the creditor first and then the ECs of the transfers in
    /// order, each station once and never the serving station a second time. Each comes with
    /// the EC it is a broadcast station of.
    pub fn broadcast_recipients(&self, ec: &str, receipt: &Receipt) -> Vec<(&str, &StationLink)> {
        let serving = self
            .registry
            .ec(ec)
            .and_then(|e| e.station.as_deref())
            .and_then(|id| self.registry.station(id));
        let mut reached: Vec<(&str, &str)> = serving
            .map(|s| (s.client.target().url.as_str(), s.id()))
            .into_iter()
            .collect();
        let mut involved: Vec<&str> = vec![receipt.fiscal_code.as_str()];
        for t in &receipt.transfers {
            if !involved.contains(&t.fiscal_code_pa.as_str()) {
                involved.push(&t.fiscal_code_pa);
            }
        }
        let mut out = Vec::new();
        for fc in involved {
            let Some(entry) = self.registry.ec(fc) else {
                continue;
            };
            for id in &entry.broadcast {
                let Some(link) = self.registry.station(id) else {
                    continue;
                };
                let key = (link.client.target().url.as_str(), link.id());
                if !reached.contains(&key) {
                    reached.push(key);
                    out.push((entry.fiscal_code.as_str(), link));
                }
            }
        }
        out
    }

    /// Delivers the receipt to the EC's station and, when asked, to the broadcast stations,
    /// with retries on the Nodo's clock.
    ///
    /// # Errors
    /// The EC or its station is not in the registry.
    pub async fn deliver(&self, d: &ReceiptDelivery<'_>) -> Result<Vec<Delivery>, NodoError> {
        let link = match self.route_of(d.ec)? {
            (_, Some(link)) => link,
            (_, None) => {
                return Err(NodoError::UnknownStation(format!(
                    "(the EC {} is asynchronous: it has no station of its own)",
                    d.ec
                )));
            }
        };
        let mut recipients = vec![Recipient {
            label: format!("station {}", link.id()),
            client: &link.client,
            message: link.client.send_rt(d.receipt.clone(), d.v2),
            outage: d.station_outage.clone(),
        }];
        if d.broadcast {
            for (fc, b) in self.broadcast_recipients(d.ec, d.receipt) {
                recipients.push(Recipient {
                    label: format!("broadcast station {} of EC {fc}", b.id()),
                    client: &b.client,
                    message: b.client.send_rt(d.receipt.clone(), b.send_rt_v2),
                    outage: d.broadcast_outage.clone(),
                });
            }
        }
        let retry = d.retry.unwrap_or(self.retry);
        let deliveries = crate::receipts::deliver(
            &recipients,
            &retry,
            self.clock.now(),
            &self.backoffice,
            &self.policy,
            d.scenario,
            d.step,
        )
        .await;
        self.record(
            "deliver",
            &d.receipt.notice_number,
            super::Route::Station(link.id().to_string()),
            format!(
                "receipt {} delivered to {} recipient{}",
                d.receipt.receipt_id,
                recipients.len(),
                if recipients.len() == 1 { "" } else { "s" }
            ),
        );
        Ok(deliveries)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Timeouts;
    use crate::client::{NodoClient, SoapActionStyle, StationTarget};
    use crate::clock::{Clock, VirtualClock, VirtualTime};
    use crate::journal::Journal;
    use crate::nodo::{EcEntry, Integration, Registry};
    use collaudo_wire::{Caller, Message, samples};
    use std::sync::Arc;

    const CREDITOR: &str = "77777777777";

    fn link(ec: &str, url: &str, id_station: &str) -> StationLink {
        let clock: Arc<dyn Clock> = Arc::new(VirtualClock::new(VirtualTime::EPOCH));
        StationLink {
            client: NodoClient::new(
                StationTarget {
                    url: url.into(),
                    caller: Caller {
                        id_pa: ec.into(),
                        id_broker_pa: ec.into(),
                        id_station: id_station.into(),
                    },
                    soap_action_style: SoapActionStyle::Quoted,
                },
                Arc::default(),
                Timeouts::nodo(),
                clock,
                Arc::new(Journal::in_memory()),
            )
            .expect("client"),
            get_payment_v2: true,
            send_rt_v2: true,
        }
    }

    /// The creditor served by `http://ec.example/pa` (`77777777777_01`), and broadcast
    /// stations as `(ec, url, idStation)`.
    fn nodo(broadcast: &[(&str, &str, &str)]) -> Nodo {
        let mut registry = Registry::default().with_station(link(
            CREDITOR,
            "http://ec.example/pa",
            "77777777777_01",
        ));
        let mut ecs: std::collections::BTreeMap<String, EcEntry> = Default::default();
        ecs.insert(
            CREDITOR.into(),
            EcEntry {
                fiscal_code: CREDITOR.into(),
                integration: Integration::Sync,
                station: Some("77777777777_01".into()),
                broadcast: Vec::new(),
            },
        );
        for (ec, url, id) in broadcast {
            registry = registry.with_station(link(ec, url, id));
            let e = ecs.entry((*ec).to_string()).or_insert_with(|| EcEntry {
                fiscal_code: (*ec).to_string(),
                integration: Integration::Sync,
                station: None,
                broadcast: Vec::new(),
            });
            if !e.broadcast.iter().any(|b| b == id) {
                e.broadcast.push((*id).to_string());
            }
        }
        for e in ecs.into_values() {
            registry = registry.with_ec(e);
        }
        crate::nodo::test_nodo(registry)
    }

    /// A receipt of the creditor with transfers to it and to 01234567892..5.
    fn receipt() -> Receipt {
        match samples::send_rt_v2_request() {
            Message::SendRtV2Req(r) => r.receipt,
            other => panic!("unexpected sample {other:?}"),
        }
    }

    fn keys(got: &[(&str, &StationLink)]) -> Vec<(String, String)> {
        got.iter()
            .map(|(_, l)| (l.client.target().url.clone(), l.id().to_string()))
            .collect()
    }

    // Every involved EC's broadcast stations get the receipt, the creditor's own included,
    // each station once, and the serving station (flagged broadcast too) not a second time.
    #[test]
    fn broadcast_reaches_every_involved_ec_the_creditor_included_once_per_station() {
        let nodo = nodo(&[
            (CREDITOR, "http://ec.example/pa", "77777777777_01"),
            (CREDITOR, "http://ec.example/archive", "77777777777_02"),
            ("01234567892", "http://prov.example/pa", "01234567892_01"),
            ("01234567892", "http://prov.example/pa", "01234567892_01"),
            // Another station behind the serving URL: a different station, by idStation.
            ("01234567893", "http://ec.example/pa", "01234567893_01"),
            ("99999999999", "http://other.example/pa", "99999999999_01"),
        ]);
        let got = nodo.broadcast_recipients(CREDITOR, &receipt());
        let want = [
            ("http://ec.example/archive", "77777777777_02"),
            ("http://prov.example/pa", "01234567892_01"),
            ("http://ec.example/pa", "01234567893_01"),
        ]
        .map(|(u, s)| (u.to_string(), s.to_string()));
        assert_eq!(keys(&got), want);
    }

    // The creditor is involved even when no transfer is its own.
    #[test]
    fn the_creditor_is_involved_without_a_transfer_of_its_own() {
        let mut r = receipt();
        r.transfers.retain(|t| t.fiscal_code_pa != CREDITOR);
        let nodo = nodo(&[(CREDITOR, "http://ec.example/archive", "77777777777_02")]);
        assert_eq!(nodo.broadcast_recipients(CREDITOR, &r).len(), 1);
    }
}
