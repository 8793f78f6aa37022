//! Plain business rules: no I/O, no axum, no sqlx. Storage, HTTP and the CLI
//! are thin layers around what lives here.

pub mod breakdown;
pub mod calendar;
pub mod campaign;
pub mod contact;
pub mod credit_code;
pub mod customer;
pub mod dates;
pub mod execution;
pub mod knowledge;
pub mod money;
pub mod notice;
pub mod notify;
pub mod review;
pub mod segment;
pub mod sop;
pub mod team;
pub mod text;
pub mod throttle;
