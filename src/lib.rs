//! Rally (快响): sales-process management for market-campaign rapid response.
//! See ARCHITECTURE.md for the map of modules.

pub mod app;
pub mod cli;
pub mod clock;
pub mod config;
pub mod demo;
pub mod domain;
pub mod i18n;
pub mod io;
pub mod jobs;
pub mod logging;
pub mod ops;
pub mod scale;
pub mod store;
pub mod web;
