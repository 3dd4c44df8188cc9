//! ACA `paCreatePosition` JSON model (being written).
