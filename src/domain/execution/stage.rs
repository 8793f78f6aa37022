//! A member's stage in the funnel: `targeted` → `contacted` → `intent` (意向)
//! → `ordered` (成交) or `lost`. Follow-ups move a member forward; only a
//! lead moves one back (a correction). The dates a member first reached each
//! stage make the funnel cumulative: a member who ordered also counts as
//! reached and as an intent customer, and so does one lost after showing
//! intent.

use chrono::NaiveDate;

use super::codes;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    Targeted,
    Contacted,
    /// 意向
    Intent,
    /// 成交 (carries an order amount)
    Ordered,
    /// Carries a reason from the team's list.
    Lost,
}

codes!(
    Stage,
    "stage",
    [(Targeted, "targeted"), (Contacted, "contacted"), (Intent, "intent"), (Ordered, "ordered"), (Lost, "lost"),]
);

impl Stage {
    /// Position along the funnel; `lost` sits beside it, not on it.
    fn rank(self) -> Option<u8> {
        match self {
            Stage::Targeted => Some(0),
            Stage::Contacted => Some(1),
            Stage::Intent => Some(2),
            Stage::Ordered => Some(3),
            Stage::Lost => None,
        }
    }

    /// Ordered and lost end the outreach: no more playbook tasks.
    pub fn is_closed(self) -> bool {
        matches!(self, Stage::Ordered | Stage::Lost)
    }
}

/// Who moves the stage: a follow-up's author, or a lead correcting it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mover {
    /// A follow-up (by a rep, or anyone logging one): forward only.
    FollowUp,
    /// A lead or admin correcting the record: any move.
    Correction,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum MoveError {
    #[error("a member cannot move back from {from} to {to}; a lead corrects stages")]
    Backwards { from: Stage, to: Stage },
    #[error("the member is already {from}; a lead reopens it")]
    Closed { from: Stage },
}

/// Whether `mover` may move a member from `from` to `to`. Staying is always
/// allowed; skipping forward is (a first call can end in an order).
pub fn check_move(from: Stage, to: Stage, mover: Mover) -> Result<(), MoveError> {
    if from == to || mover == Mover::Correction {
        return Ok(());
    }
    if from.is_closed() {
        return Err(MoveError::Closed { from });
    }
    match (from.rank(), to.rank()) {
        (_, None) => Ok(()),
        (Some(a), Some(b)) if b > a => Ok(()),
        _ => Err(MoveError::Backwards { from, to }),
    }
}

/// The stage a follow-up leaves a member in when it names none: a follow-up
/// means the customer was reached, so at least `contacted`.
pub fn after_follow_up(current: Stage, requested: Option<Stage>) -> Stage {
    match requested {
        Some(s) => s,
        None if current == Stage::Targeted => Stage::Contacted,
        None => current,
    }
}

/// A member's place in the funnel: the stage and the days it first reached
/// each step (kept when it is later lost; cleared by a correction below it).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Funnel {
    pub stage: Option<Stage>,
    pub contacted_on: Option<NaiveDate>,
    pub intent_on: Option<NaiveDate>,
    pub ordered_on: Option<NaiveDate>,
}

impl Funnel {
    pub fn new(stage: Stage) -> Funnel {
        Funnel { stage: Some(stage), ..Funnel::default() }
    }

    pub fn stage(&self) -> Stage {
        self.stage.unwrap_or(Stage::Targeted)
    }

    /// Moves to `to` on `day`. `reached` says whether the customer was
    /// actually reached (false for a member lost for no response, or a
    /// correction), which decides whether a move to `lost` counts as contact.
    pub fn moved(self, to: Stage, day: NaiveDate, mover: Mover, reached: bool) -> Funnel {
        let mut f = self;
        f.stage = Some(to);
        let fill = |slot: &mut Option<NaiveDate>| {
            if slot.is_none() {
                *slot = Some(day);
            }
        };
        match to {
            Stage::Targeted => {}
            Stage::Contacted => fill(&mut f.contacted_on),
            Stage::Intent => {
                fill(&mut f.contacted_on);
                fill(&mut f.intent_on);
            }
            Stage::Ordered => {
                fill(&mut f.contacted_on);
                fill(&mut f.intent_on);
                fill(&mut f.ordered_on);
            }
            Stage::Lost => {
                if reached && mover == Mover::FollowUp {
                    fill(&mut f.contacted_on);
                }
            }
        }
        if mover == Mover::Correction {
            // A correction below a step takes the step back.
            let rank = to.rank();
            if rank.is_some_and(|r| r < 1) {
                f.contacted_on = None;
            }
            if rank.is_some_and(|r| r < 2) {
                f.intent_on = None;
            }
            if rank.is_some_and(|r| r < 3) {
                f.ordered_on = None;
            }
        }
        f
    }

    pub fn reached(&self) -> bool {
        self.contacted_on.is_some()
    }

    pub fn intent(&self) -> bool {
        self.intent_on.is_some()
    }

    pub fn ordered(&self) -> bool {
        self.stage() == Stage::Ordered
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn follow_ups_move_forward_only() {
        use Stage::*;
        assert!(check_move(Targeted, Ordered, Mover::FollowUp).is_ok(), "skipping forward is fine");
        assert!(check_move(Intent, Lost, Mover::FollowUp).is_ok());
        assert_eq!(
            check_move(Intent, Contacted, Mover::FollowUp),
            Err(MoveError::Backwards { from: Intent, to: Contacted })
        );
        assert_eq!(check_move(Ordered, Lost, Mover::FollowUp), Err(MoveError::Closed { from: Ordered }));
        assert_eq!(check_move(Lost, Intent, Mover::FollowUp), Err(MoveError::Closed { from: Lost }));
        assert!(check_move(Ordered, Intent, Mover::Correction).is_ok());
        assert!(check_move(Intent, Intent, Mover::FollowUp).is_ok());
    }

    #[test]
    fn a_follow_up_without_a_stage_means_contact() {
        assert_eq!(after_follow_up(Stage::Targeted, None), Stage::Contacted);
        assert_eq!(after_follow_up(Stage::Intent, None), Stage::Intent);
        assert_eq!(after_follow_up(Stage::Targeted, Some(Stage::Targeted)), Stage::Targeted);
    }

    #[test]
    fn the_funnel_is_cumulative() {
        let f = Funnel::new(Stage::Targeted).moved(Stage::Ordered, d("2026-11-10"), Mover::FollowUp, true);
        assert!(f.reached() && f.intent() && f.ordered());
        assert_eq!(f.contacted_on, Some(d("2026-11-10")));
        // Lost after intent still counts as an intent customer.
        let g = Funnel::new(Stage::Targeted).moved(Stage::Intent, d("2026-11-10"), Mover::FollowUp, true).moved(
            Stage::Lost,
            d("2026-11-12"),
            Mover::FollowUp,
            true,
        );
        assert!(g.intent() && !g.ordered());
        assert_eq!(g.intent_on, Some(d("2026-11-10")));
        // Lost for no response was never reached.
        let h = Funnel::new(Stage::Targeted).moved(Stage::Lost, d("2026-11-10"), Mover::FollowUp, false);
        assert!(!h.reached());
    }

    #[test]
    fn a_correction_takes_steps_back() {
        let f = Funnel::new(Stage::Targeted).moved(Stage::Ordered, d("2026-11-10"), Mover::FollowUp, true);
        let g = f.moved(Stage::Contacted, d("2026-11-11"), Mover::Correction, false);
        assert!(g.reached() && !g.intent() && !g.ordered());
        assert_eq!(g.contacted_on, Some(d("2026-11-10")), "the first contact stays");
    }

    fn stage() -> impl Strategy<Value = Stage> {
        prop::sample::select(Stage::ALL.to_vec())
    }

    proptest! {
        /// Whatever follow-ups happen, the funnel stays a funnel: ordered ⇒
        /// intent ⇒ reached, and dates never run backwards along it.
        #[test]
        fn follow_ups_keep_the_funnel_nested(moves in prop::collection::vec((stage(), 0i64..30, any::<bool>()), 0..12)) {
            let start = d("2026-11-01");
            let mut f = Funnel::new(Stage::Targeted);
            let mut day = start;
            for (to, gap, reached) in moves {
                day += chrono::Duration::days(gap);
                if check_move(f.stage(), to, Mover::FollowUp).is_ok() {
                    f = f.moved(to, day, Mover::FollowUp, reached);
                }
                prop_assert!(!f.ordered() || f.intent());
                prop_assert!(!f.intent() || f.reached());
                if let (Some(c), Some(i)) = (f.contacted_on, f.intent_on) { prop_assert!(c <= i); }
                if let (Some(i), Some(o)) = (f.intent_on, f.ordered_on) { prop_assert!(i <= o); }
            }
        }

        /// A rep can never end a member behind where it was on the funnel.
        #[test]
        fn follow_ups_never_go_back(from in stage(), to in stage()) {
            if check_move(from, to, Mover::FollowUp).is_ok() && to != Stage::Lost && from != to {
                prop_assert!(from.rank() < to.rank());
            }
        }
    }
}
