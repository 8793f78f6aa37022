//! Collateral and support requests (物料 / 支持): what each kind is, who
//! handles it, how a request moves, and when a delivered item is stale
//! (版本过期) because the campaign changed after it was made.

use super::codes;
use crate::domain::team::Role;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestKind {
    /// 物料: flyers, brochures, demo deck, scripts, promotion forms.
    Collateral,
    /// 技术演示: a person and a time slot.
    Demo,
    /// 物流: samples, with the shipping lead time.
    Logistics,
    /// 培训: e.g. 产品知识培训 1 小时.
    Training,
}

codes!(
    RequestKind,
    "request kind",
    [(Collateral, "collateral"), (Demo, "demo"), (Logistics, "logistics"), (Training, "training"),]
);

impl RequestKind {
    /// The roles whose queue holds this kind (admins handle everything).
    pub fn handled_by(self, role: Role) -> bool {
        match self {
            RequestKind::Collateral => matches!(role, Role::Marketing | Role::Admin),
            RequestKind::Demo | RequestKind::Logistics => matches!(role, Role::Support | Role::Admin),
            RequestKind::Training => matches!(role, Role::Marketing | Role::Support | Role::Admin),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestStatus {
    Requested,
    Accepted,
    Delivered,
    Declined,
}

codes!(
    RequestStatus,
    "request status",
    [(Requested, "requested"), (Accepted, "accepted"), (Delivered, "delivered"), (Declined, "declined"),]
);

/// requested → accepted → delivered, or declined (with a reason) before
/// delivery. Delivering again re-delivers (a stale item brought up to date).
pub fn can_move(from: RequestStatus, to: RequestStatus) -> bool {
    use RequestStatus::*;
    matches!(
        (from, to),
        (Requested, Accepted)
            | (Requested, Delivered)
            | (Requested, Declined)
            | (Accepted, Delivered)
            | (Accepted, Declined)
            | (Delivered, Delivered)
    )
}

/// How an item stands on the pre-rollout checklist (资源前置确认).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Readiness {
    /// Delivered for the campaign as it is now.
    Ready,
    /// Delivered for an earlier revision of the campaign (版本过期).
    Stale,
    /// Requested or accepted, not delivered yet.
    Pending,
    Declined,
}

pub fn readiness(status: RequestStatus, delivered_revision: Option<i64>, current_revision: i64) -> Readiness {
    match status {
        RequestStatus::Delivered if delivered_revision.is_some_and(|r| r < current_revision) => Readiness::Stale,
        RequestStatus::Delivered => Readiness::Ready,
        RequestStatus::Declined => Readiness::Declined,
        RequestStatus::Requested | RequestStatus::Accepted => Readiness::Pending,
    }
}

/// The campaign fields whose change makes delivered items stale: the theme,
/// selling points (the offer is stated there), dates and segment.
pub const REVISION_FIELDS: [&str; 6] = ["theme", "selling_points", "announced_on", "starts_on", "ends_on", "segment"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_move_forward_or_are_declined() {
        use RequestStatus::*;
        assert!(can_move(Requested, Accepted));
        assert!(can_move(Accepted, Delivered));
        assert!(can_move(Delivered, Delivered), "re-delivery");
        assert!(!can_move(Delivered, Declined));
        assert!(!can_move(Declined, Accepted));
        assert!(!can_move(Accepted, Requested));
    }

    #[test]
    fn delivered_items_go_stale_with_the_campaign() {
        assert_eq!(readiness(RequestStatus::Delivered, Some(2), 2), Readiness::Ready);
        assert_eq!(readiness(RequestStatus::Delivered, Some(1), 2), Readiness::Stale);
        assert_eq!(readiness(RequestStatus::Accepted, None, 2), Readiness::Pending);
    }

    #[test]
    fn queues_by_role() {
        assert!(RequestKind::Collateral.handled_by(Role::Marketing));
        assert!(!RequestKind::Collateral.handled_by(Role::Support));
        assert!(RequestKind::Logistics.handled_by(Role::Support));
        assert!(RequestKind::Training.handled_by(Role::Marketing));
        assert!(!RequestKind::Demo.handled_by(Role::Rep));
    }
}
