//! Blockers (卡点): raised by anyone on the campaign, decided by the lead on
//! the spot or escalated to management with a reply-by date.

use super::codes;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BlockerStatus {
    Open,
    /// Sent to management (上级), waiting for their answer.
    Escalated,
    /// The lead decided it.
    Decided,
    /// Management answered.
    Answered,
}

codes!(
    BlockerStatus,
    "blocker status",
    [(Open, "open"), (Escalated, "escalated"), (Decided, "decided"), (Answered, "answered"),]
);

impl BlockerStatus {
    /// Still needs someone: shown on the stand-up, the plan and the member.
    pub fn is_open(self) -> bool {
        matches!(self, BlockerStatus::Open | BlockerStatus::Escalated)
    }
}

/// What can be done with a blocker.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BlockerAct {
    /// The lead decides (decision text).
    Decide,
    /// The lead escalates (with a reply-by date).
    Escalate,
    /// Management answers an escalation.
    Answer,
}

pub fn can(act: BlockerAct, status: BlockerStatus) -> bool {
    match act {
        BlockerAct::Decide => matches!(status, BlockerStatus::Open | BlockerStatus::Escalated),
        BlockerAct::Escalate => status == BlockerStatus::Open,
        BlockerAct::Answer => status == BlockerStatus::Escalated,
    }
}

pub fn after(act: BlockerAct) -> BlockerStatus {
    match act {
        BlockerAct::Decide => BlockerStatus::Decided,
        BlockerAct::Escalate => BlockerStatus::Escalated,
        BlockerAct::Answer => BlockerStatus::Answered,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blockers_are_decided_or_escalated_then_answered() {
        assert!(can(BlockerAct::Escalate, BlockerStatus::Open));
        assert!(!can(BlockerAct::Answer, BlockerStatus::Open));
        assert!(can(BlockerAct::Answer, BlockerStatus::Escalated));
        assert!(can(BlockerAct::Decide, BlockerStatus::Escalated), "the lead may still decide");
        assert!(!can(BlockerAct::Decide, BlockerStatus::Answered));
        assert!(BlockerStatus::Escalated.is_open() && !BlockerStatus::Decided.is_open());
        assert_eq!(after(BlockerAct::Answer), BlockerStatus::Answered);
    }
}
