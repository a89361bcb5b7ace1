//! moto server launcher.
