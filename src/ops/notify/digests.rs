//! The daily digests, made by every server's scan beside the phase
//! reminders (each has a key per receiver and day, so several servers make
//! it once), on working days only, from their time of day until quiet hours
//! begin (`NotifySettings::digest_due`):
//!
//! - at the start of the working day, each assignee's open tasks and next
//!   actions due today or overdue, in one message (`tasks_due`);
//! - at the stand-up's cutoff, each rep flagged 未更新 by the stand-up's own
//!   rule is reminded, and each campaign's lead gets the list of their reps
//!   (`follow_up_missing`);
//! - at the stand-up time, each running campaign's stand-up of the previous
//!   working day for the team's group channels (`standup_digest`).

use std::collections::BTreeMap;

use chrono::NaiveDate;

use super::super::OpsResult;
use super::super::execution::reports::{Standup, standup_of};
use super::{Context, Event};
use crate::domain::campaign::CampaignStatus;
use crate::domain::notify::EventKind;
use crate::domain::notify::render::{EventData, Line, Params};
use crate::domain::notify::schedule::at_local;
use crate::store::Store;
use crate::store::campaigns::Campaign;
use crate::store::execution::reports::{DueItem, due_by_assignee};

/// The most items a digest lists; the rest are counted.
pub const DIGEST_LINES: usize = 20;

/// Makes today's digests that are due and not made yet; how many it made.
pub async fn scan(store: &Store) -> OpsResult<usize> {
    let ctx = Context::load(store).await?;
    let now = store.now();
    let cutoff = super::followup_cutoff(store).await?;
    let due = |kind| ctx.settings.digest_due(kind, now, cutoff, &ctx.calendar);
    let mut events = Vec::new();
    if let Some(day) = due(EventKind::TasksDue) {
        let mut conn = store.acquire().await?;
        let items = due_by_assignee(conn.conn(), day).await?;
        drop(conn);
        events.extend(tasks_due(&ctx, day, items));
    }
    let missing_day = due(EventKind::FollowUpMissing);
    let standup_day = due(EventKind::StandupDigest);
    if missing_day.is_some() || standup_day.is_some() {
        let campaigns: Vec<Campaign> =
            store.campaigns().await?.into_iter().filter(|c| c.status == CampaignStatus::Active).collect();
        if let Some(day) = missing_day {
            let mut standups = Vec::new();
            for c in campaigns.iter().filter(|c| c.starts_on <= day && day <= c.ends_on) {
                standups.push(standup_of(store, c.clone(), day).await?);
            }
            events.extend(follow_up_missing(day, cutoff, &standups));
        }
        if let Some(day) = standup_day {
            let reviewed = ctx.calendar.previous_working_day(day);
            for c in campaigns.iter().filter(|c| c.starts_on <= day) {
                let key = standup_key(c.id, day);
                // Made before (by this server or another): no need to build it again.
                if store.event_by_key(&key).await?.is_some() {
                    continue;
                }
                let s = standup_of(store, c.clone(), reviewed).await?;
                events.push(standup_digest(&ctx, day, key, &s));
            }
        }
    }
    super::reminders::make_new(store, &ctx, &events).await
}

fn params<const N: usize>(pairs: [(&str, String); N]) -> Params {
    pairs.into_iter().map(|(k, v)| (k.to_owned(), v.into())).collect()
}

fn line<const N: usize>(key: &str, pairs: [(&str, String); N]) -> Line {
    Line { key: key.to_owned(), params: params(pairs) }
}

/// Cuts `lines` to [`DIGEST_LINES`], counting the rest in a last line.
fn cut(mut lines: Vec<Line>) -> Vec<Line> {
    if lines.len() > DIGEST_LINES {
        let more = lines.len() - DIGEST_LINES;
        lines.truncate(DIGEST_LINES);
        lines.push(line("notify.digest.more", [("n", more.to_string())]));
    }
    lines
}

/// One digest per assignee with anything due today or overdue.
fn tasks_due(ctx: &Context, day: NaiveDate, items: Vec<DueItem>) -> Vec<Event> {
    let mut by: BTreeMap<i64, Vec<DueItem>> = BTreeMap::new();
    for item in items {
        by.entry(item.assignee_id).or_default().push(item);
    }
    by.into_iter()
        .filter(|(id, _)| ctx.emails.contains_key(id))
        .map(|(id, items)| {
            let overdue = items.iter().filter(|i| i.due_on < day).count();
            let lines = items
                .iter()
                .map(|i| {
                    let key = if i.due_on < day { "notify.tasks_due.line_overdue" } else { "notify.tasks_due.line" };
                    line(
                        key,
                        [
                            ("campaign", i.campaign.clone()),
                            ("customer", i.customer.clone()),
                            ("what", i.what.clone()),
                            ("due_on", i.due_on.to_string()),
                        ],
                    )
                })
                .collect();
            Event {
                kind: EventKind::TasksDue,
                dedupe_key: format!("tasks_due:u{id}:{day}"),
                occurred_at: at_local(day, ctx.settings.workday_start),
                data: EventData {
                    params: params([
                        ("today", (items.len() - overdue).to_string()),
                        ("overdue", overdue.to_string()),
                        ("date", day.to_string()),
                    ]),
                    lines: cut(lines),
                    link: "/day".to_owned(),
                    variant: String::new(),
                },
                recipients: vec![id],
                only_channel: None,
            }
        })
        .collect()
}

fn rep_name(row: &super::super::execution::reports::StandupRow) -> String {
    row.name.clone().or_else(|| row.email.clone()).unwrap_or_default()
}

/// Each rep flagged 未更新 on `day` (by the stand-up's rule) is reminded
/// once, whatever the number of campaigns; each lead gets one list.
fn follow_up_missing(day: NaiveDate, cutoff: chrono::NaiveTime, standups: &[Standup]) -> Vec<Event> {
    let occurred_at = at_local(day, cutoff);
    let cutoff = cutoff.format("%H:%M").to_string();
    let mut reps: BTreeMap<i64, Vec<String>> = BTreeMap::new();
    // Each lead's lines, the reps named (once however many campaigns), the first campaign.
    let mut leads: BTreeMap<i64, (Vec<Line>, std::collections::BTreeSet<String>, i64)> = BTreeMap::new();
    for s in standups {
        let missing: Vec<_> = s.rows.iter().filter(|r| r.missing_update).collect();
        if missing.is_empty() {
            continue;
        }
        for r in &missing {
            if let Some(id) = r.assignee_id {
                reps.entry(id).or_default().push(s.campaign.name.clone());
            }
        }
        if let Some(lead) = s.campaign.lead_id {
            let names: Vec<String> = missing.iter().map(|r| rep_name(r)).collect();
            let entry = leads.entry(lead).or_insert_with(|| (Vec::new(), Default::default(), s.campaign.id));
            entry.0.push(line(
                "notify.follow_up_missing.lead.line",
                [("campaign", s.campaign.name.clone()), ("reps", names.join("、"))],
            ));
            entry.1.extend(names);
        }
    }
    let mut events: Vec<Event> = reps
        .into_iter()
        .map(|(id, campaigns)| Event {
            kind: EventKind::FollowUpMissing,
            dedupe_key: format!("follow_up_missing:u{id}:{day}"),
            occurred_at,
            data: EventData {
                params: params([
                    ("campaigns", campaigns.join("、")),
                    ("cutoff", cutoff.clone()),
                    ("date", day.to_string()),
                ]),
                lines: Vec::new(),
                link: "/day".to_owned(),
                variant: String::new(),
            },
            recipients: vec![id],
            only_channel: None,
        })
        .collect();
    events.extend(leads.into_iter().map(|(lead, (lines, named, campaign_id))| Event {
        kind: EventKind::FollowUpMissing,
        dedupe_key: format!("follow_up_missing:lead:u{lead}:{day}"),
        occurred_at,
        data: EventData {
            params: params([("count", named.len().to_string()), ("cutoff", cutoff.clone()), ("date", day.to_string())]),
            lines: cut(lines),
            link: format!("/campaigns/{campaign_id}/standup"),
            variant: "lead".to_owned(),
        },
        recipients: vec![lead],
        only_channel: None,
    }));
    events
}

fn standup_key(campaign_id: i64, day: NaiveDate) -> String {
    format!("standup_digest:c{campaign_id}:{day}")
}

/// The stand-up of `s.date` (the working day before `day`) as one group
/// message: the day's totals, who did not update, the open blockers.
fn standup_digest(ctx: &Context, day: NaiveDate, key: String, s: &Standup) -> Event {
    let sum = |f: fn(&super::super::execution::reports::StandupRow) -> i64| s.rows.iter().map(f).sum::<i64>();
    let missing: Vec<String> = s.rows.iter().filter(|r| r.missing_update).map(rep_name).collect();
    let mut lines = Vec::new();
    if !missing.is_empty() {
        lines.push(line("notify.standup_digest.missing", [("reps", missing.join("、"))]));
    }
    for b in &s.blockers {
        let text = match &b.customer_name {
            Some(c) => format!("{c} · {}", b.text),
            None => b.text.clone(),
        };
        lines.push(line("notify.standup_digest.blocker", [("text", text)]));
    }
    Event {
        kind: EventKind::StandupDigest,
        dedupe_key: key,
        occurred_at: at_local(day, ctx.settings.standup_at),
        data: EventData {
            params: params([
                ("campaign", s.campaign.name.clone()),
                ("date", s.date.to_string()),
                ("contacted", sum(|r| r.contacted).to_string()),
                ("intents", sum(|r| r.new_intents).to_string()),
                ("orders", sum(|r| r.orders).to_string()),
                ("missing", missing.len().to_string()),
                ("blockers", s.blockers.len().to_string()),
            ]),
            lines: cut(lines),
            link: format!("/campaigns/{}/standup", s.campaign.id),
            variant: String::new(),
        },
        // The group's: no one's inbox or mail.
        recipients: Vec::new(),
        only_channel: None,
    }
}
