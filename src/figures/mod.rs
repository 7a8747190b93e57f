//! Figures made from a run's results: labelled contact sheets of pictures
//! ([`sheet`]) and loss plots from a trace ([`plot`]).

pub mod plot;
pub mod sheet;
