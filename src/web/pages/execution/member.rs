//! A campaign member: who it is, what others logged for the customer in the
//! last 30 days, the scripts that fit it, and the follow-up form (template
//! 3) — one screen on a 375 px phone, large targets, sensible defaults.
//! After saving, the next member in the rep's order is one tap away.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use chrono::{NaiveDate, NaiveDateTime};
use serde::Deserialize;

use super::{feedback_key, lost_reason_label, short_time, stage_key};
use crate::app::AppState;
use crate::domain::customer::Channel;
use crate::domain::execution::FeedbackKind;
use crate::domain::execution::stage::Stage;
use crate::domain::money::format_cny;
use crate::domain::team::Role;
use crate::ops::authz::Permission;
use crate::ops::execution::follow_ups::{FollowUpInput, NewContactInput};
use crate::ops::{self, OpsError};
use crate::store::execution::MemberRecord;
use crate::web::i18n::Texts;
use crate::web::pages::customer_detail::channel_key;
use crate::web::pages::forms::{self, FieldErrors, invalid_text};
use crate::web::pages::{Flash, Page, PageForm, PageResult, Shell, parse_id, render};

/// The follow-up form as typed (a failed save keeps it).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct FollowUpForm {
    /// `YYYY-MM-DDTHH:MM` (Asia/Shanghai), from a datetime-local input.
    pub occurred_at: String,
    pub channel: String,
    /// A contact id, `new`, or blank.
    pub contact: String,
    pub new_contact_name: String,
    pub new_contact_phone: String,
    pub pain_points: String,
    pub summary: String,
    pub feedback_kind: String,
    pub feedback: String,
    pub next_action_on: String,
    pub next_action_at: String,
    pub next_action: String,
    pub stage: String,
    pub order_amount: String,
    pub lost_reason: String,
}

impl FollowUpForm {
    fn fresh(now: NaiveDateTime, m: &MemberRecord, pains: &[String], contact: Option<i64>) -> FollowUpForm {
        FollowUpForm {
            occurred_at: now.format("%Y-%m-%dT%H:%M").to_string(),
            channel: Channel::Phone.as_str().to_owned(),
            contact: contact.map(|c| c.to_string()).unwrap_or_default(),
            pain_points: pains.join("、"),
            feedback_kind: FeedbackKind::Neutral.as_str().to_owned(),
            stage: if m.stage == Stage::Targeted { Stage::Contacted } else { m.stage }.as_str().to_owned(),
            ..FollowUpForm::default()
        }
    }

    /// The input for ops, or the form's own errors (time, date, amount).
    fn input(&self, t: &Texts) -> Result<FollowUpInput, FieldErrors> {
        let mut errors = FieldErrors::none();
        let occurred_at = match self.occurred_at.trim() {
            "" => None,
            raw => NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M")
                .or_else(|_| NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M:%S"))
                .ok()
                .and_then(|t| t.and_local_timezone(crate::clock::china_offset()).single())
                .map(|t| t.to_utc())
                .or_else(|| {
                    errors.add("occurred_at", t.get("form.time").to_owned());
                    None
                }),
        };
        let next_action_on = match self.next_action_on.trim() {
            "" => None,
            raw => NaiveDate::parse_from_str(raw, "%Y-%m-%d").ok().or_else(|| {
                errors.add("next_action_on", t.get("form.date").to_owned());
                None
            }),
        };
        let ordered = self.stage == Stage::Ordered.as_str();
        let order_amount_fen = if ordered {
            forms::amount(t, &self.order_amount).map_err(|m| errors.add("order_amount", m)).ok().flatten()
        } else {
            None
        };
        if !errors.is_empty() {
            return Err(errors);
        }
        let contact_id = self.contact.trim().parse::<i64>().ok();
        let new_contact =
            (self.contact == "new" && !self.new_contact_name.trim().is_empty()).then(|| NewContactInput {
                name: self.new_contact_name.clone(),
                phone: self.new_contact_phone.clone(),
                title: String::new(),
            });
        Ok(FollowUpInput {
            occurred_at,
            channel: Some(self.channel.clone()),
            contact_id,
            new_contact,
            summary: Some(self.summary.clone()),
            feedback_kind: Some(self.feedback_kind.clone()),
            feedback: Some(self.feedback.clone()),
            next_action_on,
            next_action_at: Some(self.next_action_at.clone()),
            next_action: Some(self.next_action.clone()),
            stage: Some(self.stage.clone()),
            order_amount_fen,
            lost_reason: (self.stage == Stage::Lost.as_str()).then(|| self.lost_reason.clone()),
            pain_points: Some(crate::io::values::split_list(&self.pain_points)),
        })
    }
}

pub struct Choice {
    pub value: String,
    pub label: String,
    pub checked: bool,
}

pub struct RecentLine {
    pub when: String,
    pub who: String,
    pub channel_key: &'static str,
    pub context: String,
    pub note: String,
    pub feedback: Option<(String, String)>,
}

pub struct HistoryLine {
    pub id: i64,
    pub when: String,
    pub by: String,
    pub channel_key: &'static str,
    pub summary: String,
    pub feedback_label: &'static str,
    pub feedback: String,
    pub next: String,
    pub stage: String,
}

pub struct TaskLine {
    pub action_key: &'static str,
    pub what: String,
    pub due_on: NaiveDate,
    pub status_key: &'static str,
    pub overdue: bool,
}

pub struct BlockerLine {
    pub text: String,
    pub status_key: &'static str,
    pub open: bool,
}

pub struct ScriptLine {
    /// The "helped" (有帮助) mark; the suggestions are ranked by its count.
    pub helped: crate::web::pages::knowledge::HelpedButton,
    pub title: String,
    pub body: String,
    pub tags: String,
    pub objection: bool,
}

#[derive(Template)]
#[template(path = "member.html")]
struct MemberPage {
    shell: Shell,
    m: MemberRecord,
    stage_key: &'static str,
    assignee: String,
    owner_note: Option<String>,
    selling_points: String,
    order_amount: Option<String>,
    lost_reason: Option<String>,
    next_action: Option<String>,
    can_log: bool,
    can_claim: bool,
    can_run: bool,
    can_raise: bool,
    /// A follow-up's feedback can become a draft knowledge entry.
    can_propose: bool,
    saved: bool,
    next_href: Option<(String, String)>,
    form: FollowUpForm,
    errors: FieldErrors,
    contacts: Vec<(String, String)>,
    channels: Vec<Choice>,
    feedbacks: Vec<Choice>,
    stages: Vec<Choice>,
    lost_reasons: Vec<(String, String)>,
    recent: Vec<RecentLine>,
    recent_more: Vec<RecentLine>,
    scripts: Vec<ScriptLine>,
    history: Vec<HistoryLine>,
    tasks: Vec<TaskLine>,
    blockers: Vec<BlockerLine>,
    reps: Vec<(String, String)>,
    all_stages: Vec<(String, String)>,
}

#[derive(Deserialize, Default)]
pub struct MemberQuery {
    saved: Option<String>,
    ok: Option<String>,
}

pub async fn show(
    State(state): State<AppState>,
    page: Page,
    Path((id, customer)): Path<(String, String)>,
    Query(q): Query<MemberQuery>,
) -> PageResult {
    let (id, customer) = (parse_id(&id)?, parse_id(&customer)?);
    let view = ops::execution::members::get(&state.store, &page.actor, id, customer).await?;
    let now = ops::execution::in_china(state.store.now()).naive_local();
    let pains = ops::execution::follow_ups::pain_points(&state.store, &page.actor, id, customer).await?;
    let contacts = ops::execution::members::contacts(&state.store, &page.actor, id, customer).await?;
    let form = FollowUpForm::fresh(now, &view.member, &pains, contacts.first().map(|c| c.id));
    let saved = q.saved.is_some();
    let flash = q.ok.as_deref().and_then(|k| crate::web::pages::flash_from(page.t, Some(k)));
    render_page(&state, &page, view, form, FieldErrors::none(), saved, flash, StatusCode::OK).await
}

#[allow(clippy::too_many_arguments)]
async fn render_page(
    state: &AppState,
    page: &Page,
    view: ops::execution::members::MemberView,
    form: FollowUpForm,
    errors: FieldErrors,
    saved: bool,
    flash: Option<Flash>,
    status: StatusCode,
) -> PageResult {
    let t = page.t;
    let m = view.member;
    let (id, customer) = (m.campaign_id, m.customer_id);
    let store = &state.store;
    let actor = &page.actor;
    let campaign = ops::campaigns::readable(store, actor, id).await?;
    let recent = ops::execution::follow_ups::recent(store, actor, id, customer).await?;
    let scripts = ops::execution::scripts::for_member(store, actor, id, customer).await?;
    let history = ops::execution::follow_ups::list(store, actor, id, customer).await?;
    let contacts = ops::execution::members::contacts(store, actor, id, customer).await?;
    let settings = ops::execution::read_settings(store, actor).await?;
    let can_run = page.can(Permission::RunCampaigns);
    let can_log = page.can(Permission::LogFollowUps) && ops::execution::can_work(actor, &m);
    let can_claim = actor.role == Role::Rep && m.assignee_id.is_none();
    let next_href = if saved {
        ops::execution::reports::next_member(store, actor, (id, customer))
            .await?
            .map(|n| (format!("/campaigns/{}/members/{}", n.campaign_id, n.customer_id), n.customer_name))
    } else {
        None
    };
    let today = store.today();
    let choice = |value: &str, label: &str, current: &str| Choice {
        value: value.to_owned(),
        label: label.to_owned(),
        checked: value == current,
    };
    let channels = Channel::ALL.iter().map(|c| choice(c.as_str(), t.get(channel_key(*c)), &form.channel)).collect();
    let feedbacks =
        FeedbackKind::ALL.iter().map(|k| choice(k.as_str(), t.get(feedback_key(*k)), &form.feedback_kind)).collect();
    // The stages a follow-up may reach from here: this one and those ahead.
    let stages = Stage::ALL
        .iter()
        .filter(|s| {
            **s != Stage::Targeted
                && crate::domain::execution::stage::check_move(
                    m.stage,
                    **s,
                    crate::domain::execution::stage::Mover::FollowUp,
                )
                .is_ok()
        })
        .map(|s| choice(s.as_str(), t.get(stage_key(*s)), &form.stage))
        .collect();
    let mut contact_choices: Vec<(String, String)> = contacts
        .iter()
        .map(|c| {
            let label = if c.title.is_empty() { c.name.clone() } else { format!("{} · {}", c.name, c.title) };
            (c.id.to_string(), label)
        })
        .collect();
    contact_choices.push(("new".to_owned(), t.get("followup.new_contact").to_owned()));
    let mut recent: Vec<RecentLine> = recent
        .into_iter()
        .map(|r| RecentLine {
            when: format!(
                "{}{}",
                r.occurred_on.format("%m-%d"),
                r.occurred_at.map(|a| format!(" {a}")).unwrap_or_default()
            ),
            who: r.by_name.clone().unwrap_or_else(|| t.get("followup.someone").to_owned()),
            channel_key: channel_key(r.channel),
            context: r.campaign_name.clone().unwrap_or_else(|| t.get("followup.outside_campaign").to_owned()),
            note: r.summary.clone().unwrap_or_else(|| r.note.clone()),
            feedback: r
                .feedback_kind
                .filter(|k| *k != FeedbackKind::Neutral)
                .map(|k| (t.get(feedback_key(k)).to_owned(), r.feedback.clone().unwrap_or_default())),
        })
        .collect();
    // The latest few on the phone's first screen; the rest a tap away.
    let recent_more = if recent.len() > 4 { recent.split_off(4) } else { Vec::new() };
    let mine = ops::knowledge::helped_by_me(store, actor).await?;
    let back = format!("/campaigns/{id}/members/{customer}");
    let scripts = scripts
        .into_iter()
        .take(6)
        .map(|s| ScriptLine {
            helped: crate::web::pages::knowledge::HelpedButton::of(page, s.id, s.helped, &mine, back.clone()),
            objection: s.kind == "objection",
            tags: s.pain_points.iter().chain(s.industries.iter()).cloned().collect::<Vec<_>>().join(" · "),
            title: s.title,
            body: s.body,
        })
        .collect();
    let history = history
        .into_iter()
        .map(|f| HistoryLine {
            id: f.id,
            when: short_time(f.occurred_at),
            by: f.created_by_name.clone().unwrap_or_default(),
            channel_key: channel_key(f.channel),
            summary: f.summary.clone(),
            feedback_label: feedback_key(f.feedback_kind),
            feedback: f.feedback.clone(),
            next: match f.next_action_on {
                Some(d) => format!("{} {}", d.format("%m-%d"), f.next_action),
                None => String::new(),
            },
            stage: if f.stage_after != f.stage_before {
                t.get(stage_key(f.stage_after)).to_owned()
            } else {
                String::new()
            },
        })
        .collect();
    let tasks = view
        .tasks
        .iter()
        .map(|k| TaskLine {
            action_key: super::action_key(k.action.as_str()),
            what: k.what.clone(),
            due_on: k.due_on,
            status_key: match k.status.as_str() {
                "done" => "task.done",
                "cancelled" => "task.cancelled",
                _ => "task.open",
            },
            overdue: k.status == "open" && k.due_on < today,
        })
        .collect();
    let blockers = view
        .blockers
        .iter()
        .map(|b| BlockerLine {
            text: b.text.clone(),
            status_key: super::blocker_status_key(b.status),
            open: b.status.is_open(),
        })
        .collect();
    let reps = if can_run {
        ops::team::directory(store, actor)
            .await?
            .active_with(&[Role::Rep])
            .map(|u| (u.email.clone(), format!("{} · {}", u.name, u.region.clone().unwrap_or_default())))
            .collect()
    } else {
        Vec::new()
    };
    let all_stages = Stage::ALL.iter().map(|s| (s.as_str().to_owned(), t.get(stage_key(*s)).to_owned())).collect();
    let lost_reasons = settings.lost_reasons.iter().map(|r| (r.clone(), lost_reason_label(t, r))).collect();
    let mut shell = page.shell("member.title", "/campaigns");
    shell.title = format!("{} · {}", m.customer_name, t.get("member.title"));
    shell.flash = flash;
    let assignee = m.assignee_name.clone().unwrap_or_else(|| t.get("members.pool").to_owned());
    let owner_note = m.assigned_explicitly.then(|| t.get("member.assigned_by_lead").to_owned());
    let next_action = m.next_action_on.map(|d| {
        let at = m.next_action_at.as_deref().map(|a| format!(" {a}")).unwrap_or_default();
        format!("{}{at} {}", d.format("%m-%d"), m.next_action)
    });
    let body = MemberPage {
        shell,
        stage_key: stage_key(m.stage),
        assignee,
        owner_note,
        selling_points: campaign.selling_points,
        order_amount: m.order_amount_fen.map(format_cny),
        lost_reason: m.lost_reason.as_deref().map(|r| lost_reason_label(t, r)),
        next_action,
        can_log,
        can_claim,
        can_run,
        can_raise: page.can(Permission::RaiseBlockers),
        can_propose: page.can(Permission::ProposeKnowledge),
        saved,
        next_href,
        form,
        errors,
        contacts: contact_choices,
        channels,
        feedbacks,
        stages,
        lost_reasons,
        recent,
        recent_more,
        scripts,
        history,
        tasks,
        blockers,
        reps,
        all_stages,
        m,
    };
    Ok(render(status, &body))
}

/// Saves a follow-up; then the member again, with the next one a tap away.
pub async fn log(
    State(state): State<AppState>,
    page: Page,
    Path((id, customer)): Path<(String, String)>,
    PageForm(form): PageForm<FollowUpForm>,
) -> PageResult {
    let (id, customer) = (parse_id(&id)?, parse_id(&customer)?);
    ops::execution::follow_ups::check_loggable(&state.store, &page.actor, id, customer).await?;
    let result = match form.input(page.t) {
        Ok(input) => {
            ops::execution::follow_ups::create(&state.store, &page.actor, id, customer, input).await.map_err(Err)
        }
        Err(errors) => Err(Ok(errors)),
    };
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/campaigns/{id}/members/{customer}?saved=1")).into_response()),
        Err(Ok(errors)) => again(&state, &page, id, customer, form, errors).await,
        Err(Err(OpsError::Invalid { field, message })) => {
            let errors = FieldErrors::one(field, invalid_text(page.t, field, &message));
            again(&state, &page, id, customer, form, errors).await
        }
        Err(Err(e)) => Err(e.into()),
    }
}

async fn again(
    state: &AppState,
    page: &Page,
    id: i64,
    customer: i64,
    form: FollowUpForm,
    errors: FieldErrors,
) -> PageResult {
    let view = ops::execution::members::get(&state.store, &page.actor, id, customer).await?;
    let flash = Some(Flash { kind: "bad", text: page.t.get("form.fix_below").to_owned() });
    render_page(state, page, view, form, errors, false, flash, StatusCode::UNPROCESSABLE_ENTITY).await
}

pub async fn claim(
    State(state): State<AppState>,
    page: Page,
    Path((id, customer)): Path<(String, String)>,
) -> PageResult {
    let (id, customer) = (parse_id(&id)?, parse_id(&customer)?);
    match ops::execution::members::claim(&state.store, &page.actor, id, customer).await {
        Ok(_) => Ok(Redirect::to(&format!("/campaigns/{id}/members/{customer}?ok=member.claimed")).into_response()),
        Err(OpsError::Conflict(message)) => {
            // Someone else holds it now: say who, on the target list.
            let text = page.t.fill("member.claim_lost", &[("message", &message)]);
            let mut shell: Shell = page.shell("members.title", "/campaigns");
            shell.flash = Some(Flash { kind: "bad", text });
            Ok(render(StatusCode::CONFLICT, &ClaimLost { shell, campaign: id }))
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "claim_lost.html")]
struct ClaimLost {
    shell: Shell,
    campaign: i64,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct AssigneeForm {
    assignee_email: String,
}

pub async fn assign(
    State(state): State<AppState>,
    page: Page,
    Path((id, customer)): Path<(String, String)>,
    PageForm(f): PageForm<AssigneeForm>,
) -> PageResult {
    let (id, customer) = (parse_id(&id)?, parse_id(&customer)?);
    ops::execution::members::reassign(&state.store, &page.actor, id, customer, Some(&f.assignee_email)).await?;
    Ok(Redirect::to(&format!("/campaigns/{id}/members/{customer}?ok=member.reassigned")).into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct StageForm {
    stage: String,
    order_amount: String,
    lost_reason: String,
}

pub async fn correct_stage(
    State(state): State<AppState>,
    page: Page,
    Path((id, customer)): Path<(String, String)>,
    PageForm(f): PageForm<StageForm>,
) -> PageResult {
    let (id, customer) = (parse_id(&id)?, parse_id(&customer)?);
    page.require(Permission::RunCampaigns)?;
    let amount = forms::amount(page.t, &f.order_amount).map_err(|m| OpsError::invalid("order_amount", m))?;
    let reason = Some(f.lost_reason.as_str()).filter(|r| !r.is_empty() && f.stage == "lost");
    ops::execution::members::correct_stage(&state.store, &page.actor, id, customer, &f.stage, amount, reason).await?;
    Ok(Redirect::to(&format!("/campaigns/{id}/members/{customer}?ok=member.stage_corrected")).into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct BlockerForm {
    text: String,
}

pub async fn raise_blocker(
    State(state): State<AppState>,
    page: Page,
    Path((id, customer)): Path<(String, String)>,
    PageForm(f): PageForm<BlockerForm>,
) -> PageResult {
    let (id, customer) = (parse_id(&id)?, parse_id(&customer)?);
    ops::execution::blockers::raise(&state.store, &page.actor, id, Some(customer), &f.text).await?;
    Ok(Redirect::to(&format!("/campaigns/{id}/members/{customer}?ok=blocker.raised")).into_response())
}
