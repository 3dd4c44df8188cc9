//! collaudo reports (being written).
