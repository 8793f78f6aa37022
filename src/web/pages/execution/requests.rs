//! Collateral and support requests (物料 / 支持): a campaign's requests with
//! the pre-rollout checklist (资源前置确认) and the form to ask; the queues of
//! marketing, tech and logistics; activation with unconfirmed items.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use chrono::NaiveDate;
use serde::Deserialize;

use super::{readiness_key, request_kind_key, request_status_key};
use crate::app::AppState;
use crate::domain::campaign::CampaignStatus;
use crate::domain::execution::requests::{RequestKind, RequestStatus};
use crate::ops::authz::Permission;
use crate::ops::execution::requests::RequestInput;
use crate::ops::{self, OpsError};
use crate::store::campaigns::Campaign;
use crate::store::execution::requests::Request;
use crate::web::i18n::Texts;
use crate::web::pages::forms::{FieldErrors, invalid_text};
use crate::web::pages::{Flash, Page, PageForm, PageResult, Shell, flash_from, parse_id, render};

pub struct RequestLine {
    pub id: i64,
    pub campaign_id: i64,
    pub campaign: String,
    pub kind_key: &'static str,
    pub item: String,
    pub detail: String,
    pub needed_by: String,
    pub requester: String,
    pub status_key: &'static str,
    pub state: &'static str,
    pub state_key: &'static str,
    pub note: String,
    /// The moves its handler may make now.
    pub moves: Vec<(&'static str, &'static str)>,
}

fn line(t: &Texts, r: Request, handler: Option<crate::domain::team::Role>) -> RequestLine {
    let readiness = ops::execution::requests::readiness(&r);
    let (state, state_key) = readiness_key(readiness);
    let mut detail = Vec::new();
    if let Some(q) = r.quantity {
        detail.push(t.fill("request.quantity_n", &[("n", &q.to_string())]));
    }
    if !r.person.is_empty() {
        detail.push(r.person.clone());
    }
    if !r.slot.is_empty() {
        detail.push(r.slot.clone());
    }
    if let Some(d) = r.lead_days {
        detail.push(t.fill_count("request.lead_days_n", d, &[("n", &d.to_string())]));
    }
    if !r.details.is_empty() {
        detail.push(r.details.clone());
    }
    let may = handler.is_some_and(|role| r.kind.handled_by(role));
    let moves = if may {
        [("accepted", "request.accept"), ("delivered", "request.deliver"), ("declined", "request.decline")]
            .into_iter()
            .filter(|(to, _)| match (r.status, *to) {
                // Delivering again brings a stale item up to date.
                (RequestStatus::Delivered, "delivered") => state == "stale",
                (from, to) => {
                    to.parse::<RequestStatus>().is_ok_and(|to| crate::domain::execution::requests::can_move(from, to))
                }
            })
            .collect()
    } else {
        Vec::new()
    };
    let note = if r.status == RequestStatus::Declined { r.decline_reason.clone() } else { r.delivery_note.clone() };
    RequestLine {
        id: r.id,
        campaign_id: r.campaign_id,
        campaign: r.campaign_name,
        kind_key: request_kind_key(r.kind),
        item: r.item,
        detail: detail.join(" · "),
        needed_by: r.needed_by.map(|d| d.to_string()).unwrap_or_default(),
        requester: r.requested_by_name.unwrap_or_default(),
        status_key: request_status_key(r.status),
        state,
        state_key,
        note,
        moves,
    }
}

/// The request form as typed.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct RequestForm {
    kind: String,
    item: String,
    quantity: String,
    needed_by: String,
    person: String,
    slot: String,
    lead_days: String,
    details: String,
}

impl RequestForm {
    fn input(&self) -> Result<RequestInput, OpsError> {
        let int = |field: &'static str, v: &str| -> Result<Option<i64>, OpsError> {
            match v.trim() {
                "" => Ok(None),
                raw => raw
                    .parse()
                    .map(Some)
                    .map_err(|_| OpsError::invalid(field, format!("{raw:?} is not a whole number"))),
            }
        };
        let needed_by = match self.needed_by.trim() {
            "" => None,
            raw => Some(
                NaiveDate::parse_from_str(raw, "%Y-%m-%d").map_err(|_| OpsError::invalid("needed_by", "not a date"))?,
            ),
        };
        Ok(RequestInput {
            kind: Some(self.kind.clone()),
            item: Some(self.item.clone()),
            quantity: int("quantity", &self.quantity)?,
            needed_by,
            person: Some(self.person.clone()),
            slot: Some(self.slot.clone()),
            lead_days: int("lead_days", &self.lead_days)?,
            details: Some(self.details.clone()),
        })
    }
}

#[derive(Template)]
#[template(path = "requests.html")]
struct RequestsPage {
    shell: Shell,
    c: Campaign,
    tab: &'static str,
    rows: Vec<RequestLine>,
    kinds: Vec<(&'static str, &'static str)>,
    form: RequestForm,
    errors: FieldErrors,
    can_request: bool,
    unready: usize,
}

async fn campaign_page(
    state: &AppState,
    page: &Page,
    id: i64,
    form: RequestForm,
    errors: FieldErrors,
    status: StatusCode,
    flash: Option<Flash>,
) -> PageResult {
    let c = ops::campaigns::readable(&state.store, &page.actor, id).await?;
    let handler = page.can(Permission::HandleRequests).then_some(page.actor.role);
    let rows: Vec<RequestLine> = ops::execution::requests::of_campaign(&state.store, &page.actor, id)
        .await?
        .into_iter()
        .map(|r| line(page.t, r, handler))
        .collect();
    let unready = rows.iter().filter(|r| r.state != "ready").count();
    let mut shell = page.shell("requests.title", "/campaigns");
    shell.title = format!("{} · {}", c.name, shell.t.get("requests.title"));
    shell.flash = flash;
    let kinds = RequestKind::ALL.iter().map(|k| (k.as_str(), request_kind_key(*k))).collect();
    let body = RequestsPage {
        shell,
        c,
        tab: "requests",
        rows,
        kinds,
        form,
        errors,
        can_request: page.can(Permission::RequestResources),
        unready,
    };
    Ok(render(status, &body))
}

#[derive(Deserialize, Default)]
pub struct OkQuery {
    ok: Option<String>,
}

pub async fn of_campaign(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<String>,
    axum::extract::Query(q): axum::extract::Query<OkQuery>,
) -> PageResult {
    let id = parse_id(&id)?;
    let form = RequestForm { kind: "collateral".to_owned(), ..RequestForm::default() };
    let flash = flash_from(page.t, q.ok.as_deref());
    campaign_page(&state, &page, id, form, FieldErrors::none(), StatusCode::OK, flash).await
}

pub async fn create(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<String>,
    PageForm(form): PageForm<RequestForm>,
) -> PageResult {
    let id = parse_id(&id)?;
    page.require(Permission::RequestResources)?;
    let result = match form.input() {
        Ok(input) => ops::execution::requests::create(&state.store, &page.actor, id, input).await.map(|_| ()),
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/campaigns/{id}/requests?ok=request.created")).into_response()),
        Err(OpsError::Invalid { field, message }) => {
            let errors = FieldErrors::one(field, invalid_text(page.t, field, &message));
            let flash = Some(Flash { kind: "bad", text: page.t.get("form.fix_below").to_owned() });
            campaign_page(&state, &page, id, form, errors, StatusCode::UNPROCESSABLE_ENTITY, flash).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "request_queue.html")]
struct QueuePage {
    shell: Shell,
    rows: Vec<RequestLine>,
}

/// Marketing's, tech's and logistics' queue.
pub async fn queue(
    State(state): State<AppState>,
    page: Page,
    axum::extract::Query(q): axum::extract::Query<OkQuery>,
) -> PageResult {
    let rows = ops::execution::requests::queue(&state.store, &page.actor)
        .await?
        .into_iter()
        .map(|r| line(page.t, r, Some(page.actor.role)))
        .collect();
    let shell = page.shell("queue.title", "/requests").with_flash(flash_from(page.t, q.ok.as_deref()));
    Ok(render(StatusCode::OK, &QueuePage { shell, rows }))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct MoveForm {
    status: String,
    reason: String,
    note: String,
    back: String,
}

/// A handler accepts, delivers or declines a request.
pub async fn move_request(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<String>,
    PageForm(f): PageForm<MoveForm>,
) -> PageResult {
    let id = parse_id(&id)?;
    page.require(Permission::HandleRequests)?;
    let r = ops::execution::requests::move_request(
        &state.store,
        &page.actor,
        id,
        &f.status,
        Some(&f.reason),
        Some(&f.note).filter(|n| !n.is_empty()).map(String::as_str),
        None,
    )
    .await?;
    let back =
        if f.back == "campaign" { format!("/campaigns/{}/requests", r.campaign_id) } else { "/requests".to_owned() };
    Ok(Redirect::to(&format!("{back}?ok=request.moved")).into_response())
}

#[derive(Template)]
#[template(path = "activate.html")]
struct ActivatePage {
    shell: Shell,
    c: Campaign,
    rows: Vec<RequestLine>,
}

/// Making a campaign active: the checklist first; unconfirmed items need a
/// confirmation, which is recorded.
pub async fn activate_form(State(state): State<AppState>, page: Page, Path(id): Path<String>) -> PageResult {
    let id = parse_id(&id)?;
    let c = ops::campaigns::check_manage(&state.store, &page.actor, id).await?;
    let rows = ops::execution::requests::of_campaign(&state.store, &page.actor, id)
        .await?
        .into_iter()
        .map(|r| line(page.t, r, None))
        .filter(|l| l.state != "ready")
        .collect();
    let mut shell = page.shell("activate.title", "/campaigns");
    shell.title = format!("{} · {}", c.name, shell.t.get("activate.title"));
    Ok(render(StatusCode::OK, &ActivatePage { shell, c, rows }))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ActivateForm {
    confirm_unready: String,
}

pub async fn activate(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<String>,
    PageForm(f): PageForm<ActivateForm>,
) -> PageResult {
    let id = parse_id(&id)?;
    let c = ops::campaigns::check_manage(&state.store, &page.actor, id).await?;
    if c.status == CampaignStatus::Active {
        return Ok(Redirect::to(&format!("/campaigns/{id}")).into_response());
    }
    let fields = ops::campaigns::CampaignFields { status: Some("active".to_owned()), ..Default::default() };
    let confirm = f.confirm_unready == "true";
    match ops::campaigns::update_with(&state.store, &page.actor, id, Some(c.version), fields, confirm).await {
        Ok(()) => Ok(Redirect::to(&format!("/campaigns/{id}?ok=activate.done")).into_response()),
        Err(OpsError::Invalid { field: "confirm_unready", .. }) => {
            Ok(Redirect::to(&format!("/campaigns/{id}/activate")).into_response())
        }
        Err(e) => Err(e.into()),
    }
}
