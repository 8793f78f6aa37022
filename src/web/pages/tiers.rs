//! The tier thresholds (客户分级规则): everyone reads them, leads and admins
//! change them.

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::forms::{FieldErrors, invalid_or_page};
use super::{Shell, can, error_page, flash_from, render};
use crate::app::AppState;
use crate::domain::segment::TierRules;
use crate::ops;
use crate::ops::authz::Permission;
use crate::web::session::{PageAuth, ResolvedSession};

/// The three numbers as typed (so a failed save keeps them).
#[derive(Clone, Debug, Deserialize)]
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
    session: &ResolvedSession,
    headers: &HeaderMap,
    form: Option<TierForm>,
    errors: FieldErrors,
    ok: Option<&str>,
    status: StatusCode,
) -> Response {
    let actor = &session.actor;
    let fail = |e: ops::OpsError| error_page(headers, Some((actor, &session.csrf)), e.into());
    let rules = match ops::customers::tier_rules(&state.store).await {
        Ok(r) => r,
        Err(e) => return fail(e),
    };
    let counts = match ops::customers::tier_counts(&state.store, actor, crate::clock::today()).await {
        Ok(c) => c,
        Err(e) => return fail(e),
    };
    let mut shell = Shell::new(headers, Some(actor.clone()), &session.csrf, "tiers.title", "/settings/tiers", None);
    shell.flash = flash_from(shell.t, ok);
    let s_rule = shell.t.fill(
        "tiers.s_rule",
        &[("days", &rules.s_window_days.to_string()), ("count", &rules.s_min_interactions.to_string())],
    );
    let b_rule = shell.t.fill("tiers.b_rule", &[("days", &rules.b_window_days.to_string())]);
    let page = TiersPage {
        shell,
        can_manage: can(actor, Permission::ManageSettings),
        form: form.unwrap_or_else(|| TierForm::of(&rules)),
        errors,
        s_rule,
        b_rule,
        counts,
    };
    render(status, &page)
}

#[derive(Deserialize)]
pub struct OkQuery {
    ok: Option<String>,
}

pub async fn page(
    State(state): State<AppState>,
    PageAuth(session): PageAuth,
    headers: HeaderMap,
    Query(q): Query<OkQuery>,
) -> Response {
    tiers_page(&state, &session, &headers, None, FieldErrors::none(), q.ok.as_deref(), StatusCode::OK).await
}

pub async fn save(
    State(state): State<AppState>,
    PageAuth(session): PageAuth,
    headers: HeaderMap,
    Form(form): Form<TierForm>,
) -> Response {
    let actor = &session.actor;
    if let Err(e) = ops::authz::require(actor, Permission::ManageSettings) {
        return error_page(&headers, Some((actor, &session.csrf)), e.into());
    }
    let t = crate::web::i18n::texts(crate::web::session::request_locale(&headers, Some(actor)));
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
        match ops::segments::set_tier_rules(&state.store, actor, rules).await {
            Ok(_) => return Redirect::to("/settings/tiers?ok=tiers.saved").into_response(),
            Err(e) => match invalid_or_page(t, &headers, &session, e) {
                Ok(e) => errors = e,
                Err(page) => return *page,
            },
        }
    }
    tiers_page(&state, &session, &headers, Some(form), errors, None, StatusCode::UNPROCESSABLE_ENTITY).await
}
