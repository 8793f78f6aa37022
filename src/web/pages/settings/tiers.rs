//! The tier thresholds (客户分级规则): everyone reads them, leads and admins
//! change them.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;

use crate::app::AppState;
use crate::domain::segment::TierRules;
use crate::ops;
use crate::ops::authz::Permission;
use crate::web::pages::campaigns::OkQuery;
use crate::web::pages::forms::{FieldErrors, field_errors};
use crate::web::pages::{Page, PageForm, PageResult, Shell, flash_from, render};

/// The three numbers as typed (so a failed save keeps them).
#[derive(Clone, Debug, Deserialize, Default)]
#[serde(default)]
pub struct TierForm {
    #[serde(default)]
    pub s_min_interactions: String,
    #[serde(default)]
    pub s_window_days: String,
    #[serde(default)]
    pub b_window_days: String,
}

impl TierForm {
    fn of(r: &TierRules) -> TierForm {
        TierForm {
            s_min_interactions: r.s_min_interactions.to_string(),
            s_window_days: r.s_window_days.to_string(),
            b_window_days: r.b_window_days.to_string(),
        }
    }
}

#[derive(Template)]
#[template(path = "tiers.html")]
struct TiersPage {
    shell: Shell,
    can_manage: bool,
    form: TierForm,
    errors: FieldErrors,
    /// The rules in force, in words.
    s_rule: String,
    b_rule: String,
    counts: (i64, i64, i64),
}

async fn tiers_page(
    state: &AppState,
    page: &Page,
    form: Option<TierForm>,
    errors: FieldErrors,
    ok: Option<&str>,
    status: StatusCode,
) -> PageResult {
    let rules = ops::customers::tier_rules(&state.store).await?;
    let today = state.store.today();
    let counts = ops::customers::tier_counts(&state.store, &page.actor, today).await?;
    let shell = page.shell("tiers.title", crate::web::pages::TEAM_SETTINGS).with_flash(flash_from(page.t, ok));
    let s_rule = shell.t.fill(
        "tiers.s_rule",
        &[("days", &rules.s_window_days.to_string()), ("count", &rules.s_min_interactions.to_string())],
    );
    let b_rule = shell.t.fill("tiers.b_rule", &[("days", &rules.b_window_days.to_string())]);
    let body = TiersPage {
        shell,
        can_manage: page.can(Permission::ManageSettings),
        form: form.unwrap_or_else(|| TierForm::of(&rules)),
        errors,
        s_rule,
        b_rule,
        counts,
    };
    Ok(render(status, &body))
}

pub async fn page(State(state): State<AppState>, page: Page, Query(q): Query<OkQuery>) -> PageResult {
    tiers_page(&state, &page, None, FieldErrors::none(), q.ok.as_deref(), StatusCode::OK).await
}

pub async fn save(State(state): State<AppState>, page: Page, PageForm(form): PageForm<TierForm>) -> PageResult {
    page.require(Permission::ManageSettings)?;
    let t = page.t;
    let mut errors = FieldErrors::none();
    let mut number = |field: &str, raw: &str| {
        raw.trim().parse::<u32>().map_err(|_| errors.add(field, t.get("tiers.whole_number").to_owned())).unwrap_or(0)
    };
    let rules = TierRules {
        s_min_interactions: number("s_min_interactions", &form.s_min_interactions),
        s_window_days: number("s_window_days", &form.s_window_days),
        b_window_days: number("b_window_days", &form.b_window_days),
    };
    if errors.is_empty() {
        match ops::segments::set_tier_rules(&state.store, &page.actor, rules).await {
            Ok(_) => return Ok(Redirect::to("/settings/tiers?ok=tiers.saved").into_response()),
            Err(e) => errors = field_errors(t, e)?,
        }
    }
    tiers_page(&state, &page, Some(form), errors, None, StatusCode::UNPROCESSABLE_ENTITY).await
}
