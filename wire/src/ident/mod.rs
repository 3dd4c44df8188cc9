//! pagoPA identifiers (being written).
