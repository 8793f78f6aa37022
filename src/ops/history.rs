//! Past campaigns (活动历史): every reviewed campaign with the goals,
//! results and achievement rates frozen when its review was held, by kind,
//! and the campaigns that ended without a held review (their numbers are
//! not final, so they are listed apart).

use super::authz::{self, Actor, Permission};
use super::{OpsError, OpsResult};
use crate::domain::campaign::{CampaignKind, CampaignStatus};
use crate::domain::review::Snapshot;
use crate::domain::review::metrics::{Metric, MetricKey};
use crate::store::Store;
use crate::store::campaigns::{Campaign, ReviewedQuery};

/// A reviewed campaign and its frozen metrics.
#[derive(Clone, Debug)]
pub struct PastCampaign {
    pub campaign: Campaign,
    pub metrics: Vec<Metric>,
    pub held_on: Option<chrono::NaiveDate>,
}

impl PastCampaign {
    pub fn metric(&self, key: MetricKey) -> Option<&Metric> {
        self.metrics.iter().find(|m| m.key == key)
    }
}

#[derive(Clone, Debug)]
pub struct HistoryView {
    /// The latest end first.
    pub reviewed: Vec<PastCampaign>,
    /// Ended, review not held yet.
    pub unreviewed: Vec<Campaign>,
}

/// Past campaigns, of one kind or all (everyone on the team reads them).
pub async fn history(store: &Store, actor: &Actor, kind: Option<&str>) -> OpsResult<HistoryView> {
    authz::require(actor, Permission::ReadCampaigns)?;
    let kind = kind
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .map(|k| k.parse::<CampaignKind>().map_err(|e| OpsError::invalid("kind", e.to_string())))
        .transpose()?;
    let q = ReviewedQuery { kind: kind.map(|k| k.as_str()), ..Default::default() };
    let mut reviewed = Vec::new();
    for r in store.reviewed_campaigns(&q).await? {
        let Ok(snapshot) = serde_json::from_str::<Snapshot>(&r.snapshot) else {
            tracing::warn!(campaign = r.campaign.id, "a held review's numbers could not be read");
            continue;
        };
        reviewed.push(PastCampaign { campaign: r.campaign, metrics: snapshot.metrics, held_on: r.held_on });
    }
    let unreviewed = store
        .campaigns()
        .await?
        .into_iter()
        .filter(|c| c.status == CampaignStatus::Ended && kind.is_none_or(|k| c.kind == k))
        .collect();
    Ok(HistoryView { reviewed, unreviewed })
}
