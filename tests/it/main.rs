//! One integration-test binary (each extra binary costs a link on 2 cores).
//! Tests written with `backend_test!` run once on SQLite and once on
//! PostgreSQL; see `helpers` for how the databases are made.

mod helpers;
mod pg;

mod api;
mod api_errors;
mod backup;
mod browser;
mod campaign_pages;
mod campaigns;
mod cli;
mod concurrency;
mod crash;
mod credentials;
mod customer_pages;
mod customers;
mod execution;
mod foundation;
mod hostile;
mod import;
mod input_hygiene;
mod knowledge;
mod notices;
mod notify;
mod page_routes;
mod pages;
mod receivers;
mod review;
mod schema;
mod segments;
mod servers;
mod templates;
mod xss;
