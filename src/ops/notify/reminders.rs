//! Reminders that fall due on the calendar, made by every server's scan
//! (each event has a key per day, so several servers make it once): on a
//! working day from the start of the working day until quiet hours begin —
//! never on holidays, and on an adjusted working Saturday like any other
//! working day.
//!
//! - The daily digests ([`super::digests`]).
//! - A phase whose deadline is today or the next working day, and a phase
//!   past its deadline without its milestone, while the campaign has not
//!   moved past it (`CampaignStatus::chases_phase`): the campaign's owners
//!   (the lead, the marketing contact, the customer-service lead).

use super::super::OpsResult;
use super::super::campaigns::Planning;
use super::{Context, Event, emit};
use crate::domain::campaign::Urgency;
use crate::domain::notify::EventKind;
use crate::domain::notify::render::{EventData, Param, Params};
use crate::domain::notify::schedule::at_local;
use crate::store::Store;

/// Makes today's reminders and digests that are due and not made yet; how
/// many it made.
pub async fn scan(store: &Store) -> OpsResult<usize> {
    Ok(phases(store).await? + super::digests::scan(store).await?)
}

/// The phase-deadline reminders.
async fn phases(store: &Store) -> OpsResult<usize> {
    let ctx = Context::load(store).await?;
    let now = store.now();
    let Some(today) = ctx.settings.slot_open(now, ctx.settings.workday_start, &ctx.calendar) else {
        return Ok(0);
    };
    let wanted = [EventKind::PhaseDueSoon, EventKind::PhaseOverdue];
    if !wanted.iter().any(|k| ctx.settings.is_enabled(*k)) {
        return Ok(0);
    }
    let planning =
        Planning { calendar: ctx.calendar.clone(), rules: super::super::settings::phase_rules(store).await?, today };
    let mut milestones = store.all_milestones().await?;
    let mut events = Vec::new();
    for campaign in store.campaigns().await? {
        let phases = planning.phases_of(&campaign, &milestones.remove(&campaign.id).unwrap_or_default());
        for p in phases.into_iter().filter(|p| campaign.status.chases_phase(p.phase.number)) {
            let kind = match p.urgency {
                Urgency::DueSoon => EventKind::PhaseDueSoon,
                Urgency::Overdue => EventKind::PhaseOverdue,
                Urgency::Done | Urgency::OnTrack => continue,
            };
            let mut params = Params::new();
            params.insert("campaign".into(), campaign.name.as_str().into());
            params.insert("phase".into(), Param::Key { key: format!("phase.{}", p.phase.key) });
            params.insert("due_on".into(), p.phase.due_on.to_string().into());
            let recipients: Vec<i64> =
                [campaign.lead_id, campaign.marketing_id, campaign.service_id].into_iter().flatten().collect();
            events.push(Event {
                kind,
                dedupe_key: format!("{}:c{}:p{}:{today}", kind.as_str(), campaign.id, p.phase.number),
                occurred_at: at_local(today, ctx.settings.workday_start),
                data: EventData { params, link: format!("/campaigns/{}", campaign.id), ..EventData::default() },
                recipients,
                only_channel: None,
            });
        }
    }
    make_new(store, &ctx, &events).await
}

/// Makes each of `events` not made before, each in its own write; how many
/// it made. One made before (by this server or another) costs a key lookup,
/// no write turn.
pub(super) async fn make_new(store: &Store, ctx: &Context, events: &[Event]) -> OpsResult<usize> {
    let mut made = 0;
    for event in events {
        if store.event_by_key(&event.dedupe_key).await?.is_some() {
            continue;
        }
        let mut tx = store.begin().await?;
        if emit(store, &mut tx, ctx, event).await?.is_some() {
            made += 1;
        }
        tx.commit().await?;
    }
    Ok(made)
}
