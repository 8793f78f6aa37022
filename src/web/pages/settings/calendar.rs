//! The working-day calendar: the known years with their sources; admins
//! upload a newly announced year.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;

use crate::app::AppState;
use crate::ops::authz::Permission;
use crate::ops::{self, OpsError};
use crate::web::pages::{Flash, Page, PageResult, Shell, render};

pub struct YearRow {
    pub year: i32,
    pub covered: bool,
    pub source: String,
    pub holidays: String,
}

#[derive(Template)]
#[template(path = "calendar_settings.html")]
struct CalendarPage {
    shell: Shell,
    years: Vec<YearRow>,
    can_import: bool,
}

async fn calendar_page(state: &AppState, page: &Page, status: StatusCode, flash: Option<Flash>) -> PageResult {
    let cal = ops::calendar::calendar(&state.store).await?;
    let years = cal
        .years()
        .into_iter()
        .map(|year| {
            let schedule = cal.year(year);
            YearRow {
                year,
                covered: cal.covers(year),
                source: schedule.and_then(|y| y.source.as_ref()).map(|src| src.title.clone()).unwrap_or_default(),
                holidays: schedule
                    .map(|y| y.blocks.iter().map(|b| b.name.clone()).collect::<Vec<_>>().join("、"))
                    .unwrap_or_default(),
            }
        })
        .collect();
    let shell = page.shell("calendar.title", crate::web::pages::TEAM_SETTINGS).with_flash(flash);
    Ok(render(status, &CalendarPage { shell, years, can_import: page.can(Permission::ManageCalendar) }))
}

pub async fn page(State(state): State<AppState>, page: Page) -> PageResult {
    calendar_page(&state, &page, StatusCode::OK, None).await
}

/// An admin uploads a newly announced year (multipart).
pub async fn import(
    State(state): State<AppState>,
    page: Page,
    multipart: Result<axum::extract::Multipart, axum::extract::multipart::MultipartRejection>,
) -> PageResult {
    page.require(Permission::ManageCalendar)?;
    let mut text = String::new();
    if let Ok(mut multipart) = multipart {
        while let Ok(Some(field)) = multipart.next_field().await {
            if field.name() == Some("file") {
                text = field.text().await.unwrap_or_default();
            }
        }
    }
    match ops::calendar::import_calendar(&state.store, Some(&page.actor), &text).await {
        Ok(years) => {
            let shown: Vec<String> = years.iter().map(i32::to_string).collect();
            let flash = Flash { kind: "ok", text: page.t.fill("calendar.imported", &[("years", &shown.join("、"))]) };
            calendar_page(&state, &page, StatusCode::OK, Some(flash)).await
        }
        Err(OpsError::Invalid { field, message }) => {
            let flash = page.invalid_flash(field, &message);
            calendar_page(&state, &page, StatusCode::UNPROCESSABLE_ENTITY, Some(flash)).await
        }
        Err(e) => Err(e.into()),
    }
}
