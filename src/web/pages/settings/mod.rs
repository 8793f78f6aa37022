//! Team-wide settings (设置) for admins and leads: tier thresholds, phase
//! deadlines and the holiday calendar. Personal settings are in `account`.

pub mod calendar;
pub mod phases;
pub mod tiers;
