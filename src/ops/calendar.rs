//! The official working-day calendar (shipped years plus the ones an admin
//! imported), which every deadline and reminder counts on.

use chrono::Datelike;

use super::authz::{self, Actor, Permission};
use super::{OpsError, OpsResult};
use crate::domain::calendar::WorkCalendar;
use crate::store::Store;

/// The official calendar plus the years an admin imported.
pub async fn calendar(store: &Store) -> OpsResult<WorkCalendar> {
    let mut cal = WorkCalendar::official();
    for (year, data) in store.calendar_years().await? {
        match WorkCalendar::from_json(&data) {
            Ok(imported) => cal.merge(imported),
            Err(e) => tracing::warn!(year, error = %e, "a stored calendar year does not parse; ignoring it"),
        }
    }
    Ok(cal)
}

/// Imports a year (or several) of the official schedule (admin).
pub async fn import_calendar(store: &Store, actor: Option<&Actor>, json_text: &str) -> OpsResult<Vec<i32>> {
    if let Some(a) = actor {
        authz::require(a, Permission::ManageCalendar)?;
    }
    let parsed = WorkCalendar::from_json(json_text).map_err(|e| OpsError::invalid("calendar", e.to_string()))?;
    let mut years = Vec::new();
    for year in parsed.years() {
        if !parsed.covers(year) {
            continue;
        }
        // The years of the dates every entry point accepts (`domain::dates`).
        let range = crate::domain::dates::EARLIEST.year()..=crate::domain::dates::LATEST.year();
        if !range.contains(&year) {
            return Err(OpsError::invalid(
                "calendar",
                format!("{year} is outside the years {}–{}", range.start(), range.end()),
            ));
        }
        let Some(single) = parsed.only(year) else { continue };
        store.save_calendar_year(year, &single.to_json(), actor.map(|a| a.id)).await?;
        years.push(year);
    }
    if years.is_empty() {
        return Err(OpsError::invalid("calendar", "the file has no year with an announced schedule"));
    }
    Ok(years)
}
