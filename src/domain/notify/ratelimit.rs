//! Sliding-window rate limits for robots (WeCom and DingTalk take 20
//! messages a minute per robot; Feishu 100 a minute and 5 a second). The
//! queue keeps each robot's recent send times in the database (so every
//! server counts the same sends) and asks here whether one more may go now,
//! or when: a burst waits, it is never dropped.

use serde::{Deserialize, Serialize};

use super::ChannelKind;

/// At most `max` sends in any `per_ms` milliseconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Limit {
    pub max: usize,
    pub per_ms: i64,
}

const MINUTE: i64 = 60_000;

/// The documented limits of each receiver; empty: no limit.
pub fn limits(kind: ChannelKind) -> &'static [Limit] {
    match kind {
        ChannelKind::Wecom | ChannelKind::Dingtalk => &[Limit { max: 20, per_ms: MINUTE }],
        ChannelKind::Feishu => &[Limit { max: 5, per_ms: 1000 }, Limit { max: 100, per_ms: MINUTE }],
        ChannelKind::Webhook | ChannelKind::Email => &[],
    }
}

/// Records a send at `now_ms` if every limit allows one more, and returns
/// `Ok`; otherwise changes nothing and returns the earliest time (ms) when
/// one may go. `sends` holds recent send times, ascending; times older than
/// the longest window are dropped.
pub fn admit(sends: &mut Vec<i64>, now_ms: i64, limits: &[Limit]) -> Result<(), i64> {
    let longest = limits.iter().map(|l| l.per_ms).max().unwrap_or(0);
    sends.retain(|&t| t > now_ms - longest);
    sends.sort_unstable();
    let mut next = now_ms;
    for limit in limits {
        // Sends inside the window (now - per, now] — and any stamped later
        // by a server whose clock runs ahead, which count as well.
        let inside: Vec<i64> = sends.iter().copied().filter(|&t| t > now_ms - limit.per_ms).collect();
        if limit.max == 0 {
            return Err(i64::MAX);
        }
        if inside.len() >= limit.max {
            // One more may go once enough of these have left the window.
            let leaving = inside[inside.len() - limit.max];
            next = next.max(leaving + limit.per_ms);
        }
    }
    if next > now_ms {
        return Err(next);
    }
    sends.push(now_ms);
    Ok(())
}

/// Keeps only what later decisions need: the last `max` sends of the largest limit.
pub fn trim(sends: &mut Vec<i64>, limits: &[Limit]) {
    let keep = limits.iter().map(|l| l.max).max().unwrap_or(0);
    if sends.len() > keep {
        sends.drain(..sends.len() - keep);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const WECOM: &[Limit] = &[Limit { max: 20, per_ms: MINUTE }];

    #[test]
    fn a_burst_of_twenty_five_goes_twenty_now_and_five_a_minute_later() {
        let mut sends = Vec::new();
        let now = 1_000_000;
        for _ in 0..20 {
            assert_eq!(admit(&mut sends, now, WECOM), Ok(()));
        }
        assert_eq!(admit(&mut sends, now, WECOM), Err(now + MINUTE));
        assert_eq!(admit(&mut sends, now + MINUTE - 1, WECOM), Err(now + MINUTE));
        assert_eq!(admit(&mut sends, now + MINUTE, WECOM), Ok(()));
    }

    #[test]
    fn feishu_also_limits_each_second() {
        let lim = limits(ChannelKind::Feishu);
        let mut sends = Vec::new();
        for _ in 0..5 {
            assert!(admit(&mut sends, 10_000, lim).is_ok());
        }
        assert_eq!(admit(&mut sends, 10_500, lim), Err(11_000));
        assert!(admit(&mut sends, 11_000, lim).is_ok());
    }

    #[test]
    fn webhooks_and_mail_are_not_limited() {
        let mut sends = Vec::new();
        for _ in 0..1000 {
            assert!(admit(&mut sends, 5, limits(ChannelKind::Webhook)).is_ok());
        }
    }

    proptest! {
        /// Whatever the arrival times, no window of a minute ever holds more
        /// than twenty admitted sends, and a refused send is told a time at
        /// which it is admitted.
        #[test]
        fn never_more_than_the_limit_in_any_window(gaps in proptest::collection::vec(0i64..8_000, 1..300)) {
            let mut sends = Vec::new();
            let mut admitted = Vec::new();
            let mut now = 0;
            for gap in gaps {
                now += gap;
                match admit(&mut sends, now, WECOM) {
                    Ok(()) => admitted.push(now),
                    Err(at) => {
                        prop_assert!(at > now);
                        let mut copy = sends.clone();
                        prop_assert!(admit(&mut copy, at, WECOM).is_ok());
                    }
                }
                trim(&mut sends, WECOM);
            }
            for (i, &start) in admitted.iter().enumerate() {
                let within = admitted[i..].iter().take_while(|&&t| t < start + MINUTE).count();
                prop_assert!(within <= 20, "{within} sends in the minute from {start}");
            }
        }
    }
}
