//! The campaign period, relative to the notice date and on the team's
//! working-day calendar: `即日起至月底`, `12月1日至15日`, `12/1–12/15`,
//! `2026年12月1日—2026年12月31日`, `为期两周`, `本周五前`, `下周一开始`,
//! `10个工作日内`.

use chrono::{Datelike, Days, Months, NaiveDate};

use super::numbers::number_at;
use super::text::{Norm, R};
use crate::domain::calendar::WorkCalendar;

/// What a piece of text says about the period; `r` is the words it came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Period {
    pub start: Option<NaiveDate>,
    pub end: Option<NaiveDate>,
    pub r: R,
    /// 2 for a whole period (a range, a deadline, a length), 1 for half of
    /// one (下周一开始) or the day of an event (将于12月18日); a stronger
    /// reading elsewhere in the notice wins.
    pub strength: u8,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Unit {
    Days,
    Weeks,
    Months,
    WorkingDays,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Tok {
    /// A date; `dotted` for `12.1`, which counts only next to a range sign.
    Date {
        y: Option<i32>,
        m: u32,
        d: u32,
        dotted: bool,
    },
    /// `15日` after `12月1日至`.
    Day(u32),
    /// 即日起: the notice date.
    Today,
    /// 月底 (`0`: the month of the start), 下月底 (`1`: the month after the notice's).
    MonthEnd(u32),
    YearEnd,
    /// 本月内 (`within`), or 本月.
    ThisMonth {
        within: bool,
    },
    /// 本周五 (`weeks` = 0), 下周一 (1), 周五 (`None`: the next one).
    Weekday {
        weeks: Option<u64>,
        wd: u32,
    },
    /// 为期两周, 10个工作日内; `marked` when 为期/持续/内 says it is a duration.
    Length {
        n: u32,
        unit: Unit,
        marked: bool,
    },
    /// 至 到 - ~
    Sep,
    /// 起 开始
    Since,
    /// 前 之前 为止 (after the date) or 截至 截止 (before it).
    Until {
        before_date: bool,
    },
    /// 将于 定于 (before the date) or 当天 (after it): the day of an event.
    On,
}

impl Tok {
    fn is_point(self) -> bool {
        matches!(self, Tok::Date { .. } | Tok::Today | Tok::Weekday { .. } | Tok::MonthEnd(_) | Tok::YearEnd)
    }
}

const TODAY: &[&str] = &[
    "即日起",
    "即日开始",
    "即日",
    "即时起",
    "今日起",
    "今天起",
    "从今天开始",
    "从今天起",
    "今起",
    "通知之日起",
    "发布之日起",
    "发文之日起",
    "下发之日起",
    "现在起",
    "从现在开始",
    "立即开始",
    "马上开始",
];
const MONTH_END: &[&str] = &["本月底", "本月末", "这个月底", "当月底", "月底", "月末", "本月最后一天"];
const NEXT_MONTH_END: &[&str] = &["下月底", "下个月底", "下月末", "下个月末"];
const YEAR_END: &[&str] = &["年底", "年末", "本年底", "今年底", "今年年底"];
const THIS_MONTH_WITHIN: &[&str] = &["本月内", "当月内", "这个月内", "本月之内"];
const THIS_MONTH: &[&str] = &["本月", "当月", "这个月"];
const THIS_WEEK: &[&str] = &["本周", "这周", "本星期", "这个星期", "这星期", "本礼拜"];
const NEXT_WEEK: &[&str] = &["下周", "下星期", "下个星期", "下礼拜", "下个礼拜"];
const WEEK: &[&str] = &["周", "星期", "礼拜"];
const SEP: &[&str] = &["至", "到", "-", "~"];
const SINCE: &[&str] = &["起", "开始", "启动", "开启"];
const UNTIL_AFTER: &[&str] = &["之前", "以前", "前", "为止", "止", "结束"];
const UNTIL_BEFORE: &[&str] = &["截至", "截止到", "截止至", "截止"];
const ON: &[&str] = &["将于", "定于", "拟于", "计划于", "当天", "当日"];
const LENGTH_MARK: &[&str] = &["为期", "持续", "共计", "历时", "期限"];
const WITHIN: &[&str] = &["之内", "以内", "内"];

/// Words that make a date a task's deadline (提交名单、完成启动会), not the period.
pub(crate) const TASK_WORDS: &[&str] =
    &["完成", "提交", "反馈", "上报", "报名", "启动会", "确认", "回复", "落实", "报送", "汇报", "开会", "交"];

fn weekday(c: char) -> Option<u32> {
    Some(match c {
        '一' => 0,
        '二' => 1,
        '三' => 2,
        '四' => 3,
        '五' => 4,
        '六' => 5,
        '日' | '天' | '末' => 6,
        _ => return None,
    })
}

/// A 1–2 digit number at `i` (Arabic or Chinese) and where it ends.
fn small(n: &Norm, i: usize, limit: usize) -> Option<(u32, usize)> {
    let num = number_at(n, i, limit)?;
    if num.scaled || num.r.len() > 3 {
        return None;
    }
    let v = u32::try_from(num.value.whole()?).ok()?;
    Some((v, num.r.e))
}

struct Scanner<'a> {
    n: &'a Norm,
    /// The range read: nothing before `start` or from `limit` on is seen.
    start: usize,
    limit: usize,
}

impl Scanner<'_> {
    fn c(&self, i: usize) -> Option<char> {
        if (self.start..self.limit).contains(&i) { self.n.at(i) } else { None }
    }

    fn digit(&self, i: usize) -> bool {
        self.c(i).is_some_and(|c| c.is_ascii_digit())
    }

    fn digits(&self, i: usize, max: usize) -> Option<(u32, usize)> {
        let mut j = i;
        let mut v = 0u32;
        while j - i < max && self.digit(j) {
            v = v * 10 + u32::from(self.c(j)? as u8 - b'0');
            j += 1;
        }
        (j > i).then_some((v, j))
    }

    fn words(&self, i: usize, words: &[&str]) -> Option<usize> {
        self.n.any_at(i, words, self.limit).map(|(_, len)| i + len)
    }

    /// The token starting at `i` and where it ends.
    fn token(&self, i: usize) -> Option<(Tok, usize)> {
        if let Some(t) = self.full_date(i).or_else(|| self.month_day(i)).or_else(|| self.numeric_date(i)) {
            return Some(t);
        }
        if let Some(t) = self.length(i) {
            return Some(t);
        }
        if let Some((d, j)) = small(self.n, i, self.limit)
            && (1..=31).contains(&d)
            && matches!(self.c(j), Some('日' | '号'))
        {
            return Some((Tok::Day(d), j + 1));
        }
        let word = |words: &[&str], tok: Tok| self.words(i, words).map(|j| (tok, j));
        word(TODAY, Tok::Today)
            .or_else(|| word(NEXT_MONTH_END, Tok::MonthEnd(1)))
            .or_else(|| word(MONTH_END, Tok::MonthEnd(0)))
            .or_else(|| word(YEAR_END, Tok::YearEnd))
            .or_else(|| word(THIS_MONTH_WITHIN, Tok::ThisMonth { within: true }))
            .or_else(|| self.weekday(i))
            .or_else(|| word(THIS_MONTH, Tok::ThisMonth { within: false }))
            .or_else(|| word(UNTIL_BEFORE, Tok::Until { before_date: true }))
            .or_else(|| word(UNTIL_AFTER, Tok::Until { before_date: false }))
            .or_else(|| word(ON, Tok::On))
            .or_else(|| word(SINCE, Tok::Since))
            .or_else(|| word(SEP, Tok::Sep))
    }

    /// 2026年12月1日, 2026-12-01, 2026/12/1, 2026.12.1
    fn full_date(&self, i: usize) -> Option<(Tok, usize)> {
        if i > 0 && self.digit(i - 1) {
            return None;
        }
        let (y, j) = self.digits(i, 4)?;
        if j - i != 4 || !(1900..=2199).contains(&y) {
            return None;
        }
        let sep = self.c(j)?;
        let (sep2, end) = match sep {
            '年' => ('月', Some('日')),
            '-' | '/' | '.' => (sep, None),
            _ => return None,
        };
        let (m, k) = self.digits(j + 1, 2).or_else(|| small(self.n, j + 1, self.limit))?;
        if self.c(k) != Some(sep2) {
            return None;
        }
        let (d, mut e) = self.digits(k + 1, 2).or_else(|| small(self.n, k + 1, self.limit))?;
        if end.is_some() && matches!(self.c(e), Some('日' | '号')) {
            e += 1;
        }
        let y = i32::try_from(y).ok();
        Some((Tok::Date { y, m, d, dotted: false }, e))
    }

    /// 12月1日, 十二月一日, 12月1号
    fn month_day(&self, i: usize) -> Option<(Tok, usize)> {
        let (m, j) = small(self.n, i, self.limit)?;
        if !(1..=12).contains(&m) || self.c(j) != Some('月') {
            return None;
        }
        let (d, mut e) = small(self.n, j + 1, self.limit)?;
        if matches!(self.c(e), Some('日' | '号')) {
            e += 1;
        } else if self.c(e).is_some_and(|c| c.is_ascii_digit()) {
            return None;
        }
        Some((Tok::Date { y: None, m, d, dotted: false }, e))
    }

    /// 12/1 and 12.1 (the latter only next to a range sign, see `dotted`).
    fn numeric_date(&self, i: usize) -> Option<(Tok, usize)> {
        if i > 0 && (self.digit(i - 1) || matches!(self.c(i - 1), Some('/' | '.' | ':'))) {
            return None;
        }
        let (m, j) = self.digits(i, 2)?;
        let sep = self.c(j)?;
        if !matches!(sep, '/' | '.') {
            return None;
        }
        let (d, e) = self.digits(j + 1, 2)?;
        let after = self.c(e);
        if after.is_some_and(|c| {
            c.is_ascii_digit() || matches!(c, '/' | '.' | '万' | '亿' | '元' | '%' | '折' | '倍' | 'W' | 'K' | '年')
        }) {
            return None;
        }
        if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
            return None;
        }
        let e = if matches!(after, Some('日' | '号')) { e + 1 } else { e };
        Some((Tok::Date { y: None, m, d, dotted: sep == '.' }, e))
    }

    /// 本周五, 下周一, 周五, 星期五
    fn weekday(&self, i: usize) -> Option<(Tok, usize)> {
        let (weeks, j) = if let Some(j) = self.words(i, &["下下周"]) {
            (Some(2), j)
        } else if let Some(j) = self.words(i, NEXT_WEEK) {
            (Some(1), j)
        } else if let Some(j) = self.words(i, THIS_WEEK) {
            (Some(0), j)
        } else {
            (None, i)
        };
        let k = if weeks.is_some() && self.words(j, WEEK).is_none() { j } else { self.words(j, WEEK)? };
        let wd = weekday(self.c(k)?)?;
        Some((Tok::Weekday { weeks, wd }, k + 1))
    }

    /// 为期两周, 持续10天, 10个工作日内, 15天内, 一个月, 半个月
    fn length(&self, i: usize) -> Option<(Tok, usize)> {
        let (marked_before, j) = match self.words(i, LENGTH_MARK) {
            Some(j) => (true, j),
            None => (false, i),
        };
        let (n, k, half) = if self.c(j) == Some('半') {
            (1, j + 1, true)
        } else {
            let (n, k) = small(self.n, j, self.limit).or_else(|| {
                let num = number_at(self.n, j, self.limit)?;
                let v = u32::try_from(num.value.whole()?).ok()?;
                (!num.scaled).then_some((v, num.r.e))
            })?;
            (n, k, false)
        };
        let counter = self.c(k) == Some('个');
        let k = if counter { k + 1 } else { k };
        let (unit, e) = if let Some(e) = self.words(k, &["工作日", "个工作日"]) {
            (Unit::WorkingDays, e)
        } else if let Some(e) = self.words(k, &["天", "日"]) {
            (Unit::Days, e)
        } else if let Some(e) = self.words(k, &["周", "星期", "礼拜"]) {
            (Unit::Weeks, e)
        } else if self.c(k) == Some('月') && (counter || marked_before || half) {
            (Unit::Months, k + 1)
        } else {
            return None;
        };
        let within = self.words(e, WITHIN);
        // 15日 alone is a day of the month, not fifteen days.
        if unit == Unit::Days && self.c(k) == Some('日') && !marked_before && within.is_none() {
            return None;
        }
        let (n, unit) = match (half, unit) {
            (true, Unit::Months) => (15, Unit::Days),
            (true, _) => return None,
            _ => (n, unit),
        };
        let marked = marked_before || within.is_some();
        Some((Tok::Length { n, unit, marked }, within.unwrap_or(e)))
    }
}

fn tokens(n: &Norm, r: R) -> Vec<(Tok, R)> {
    let s = Scanner { n, start: r.s, limit: r.e.min(n.len()) };
    let mut out = Vec::new();
    let mut i = r.s;
    while i < s.limit {
        match s.token(i) {
            Some((tok, j)) if j > i => {
                out.push((tok, R::new(i, j)));
                i = j;
            }
            _ => i += 1,
        }
    }
    out
}

/// The date a line consists of (a notice's signature: `2026年11月2日`).
pub(crate) fn date_only(n: &Norm, r: R) -> Option<NaiveDate> {
    match tokens(n, r).as_slice() {
        [(Tok::Date { y: Some(y), m, d, .. }, tr)] if *tr == r => NaiveDate::from_ymd_opt(*y, *m, *d),
        _ => None,
    }
}

/// Month-day dates without a year are this year's, or next year's when that
/// would be more than two months before the notice (a December notice
/// naming 1月5日).
fn resolve_md(m: u32, d: u32, notice: NaiveDate) -> Option<NaiveDate> {
    let this = NaiveDate::from_ymd_opt(notice.year(), m, d);
    match this {
        Some(date) if date.checked_add_days(Days::new(60)).is_none_or(|late| late >= notice) => Some(date),
        _ => NaiveDate::from_ymd_opt(notice.year() + 1, m, d),
    }
}

fn month_end(d: NaiveDate, months_later: u32) -> Option<NaiveDate> {
    let first = NaiveDate::from_ymd_opt(d.year(), d.month(), 1)?;
    first.checked_add_months(Months::new(months_later + 1))?.pred_opt()
}

fn monday(d: NaiveDate) -> NaiveDate {
    d.checked_sub_days(Days::new(u64::from(d.weekday().num_days_from_monday()))).unwrap_or(d)
}

struct Ctx<'a> {
    notice: NaiveDate,
    calendar: &'a WorkCalendar,
}

impl Ctx<'_> {
    /// A point read as a start.
    fn start(&self, t: Tok) -> Option<NaiveDate> {
        match t {
            Tok::Date { y: Some(y), m, d, .. } => NaiveDate::from_ymd_opt(y, m, d),
            Tok::Date { y: None, m, d, .. } => resolve_md(m, d, self.notice),
            Tok::Today => Some(self.notice),
            Tok::Weekday { weeks: Some(w), wd } => {
                monday(self.notice).checked_add_days(Days::new(7 * w + u64::from(wd)))
            }
            Tok::Weekday { weeks: None, wd } => self.next_weekday(self.notice, wd),
            _ => None,
        }
    }

    fn next_weekday(&self, from: NaiveDate, wd: u32) -> Option<NaiveDate> {
        let ahead = (7 + wd - from.weekday().num_days_from_monday()) % 7;
        from.checked_add_days(Days::new(u64::from(ahead)))
    }

    /// A point read as the end of a period starting `start`.
    fn end(&self, t: Tok, start: NaiveDate) -> Option<NaiveDate> {
        match t {
            Tok::Date { y: Some(y), m, d, .. } => NaiveDate::from_ymd_opt(y, m, d),
            Tok::Date { y: None, m, d, .. } => {
                let this = NaiveDate::from_ymd_opt(start.year(), m, d)?;
                if this >= start { Some(this) } else { NaiveDate::from_ymd_opt(start.year() + 1, m, d) }
            }
            Tok::Day(d) => {
                let this = NaiveDate::from_ymd_opt(start.year(), start.month(), d);
                match this {
                    Some(date) if date >= start => Some(date),
                    _ => {
                        let next = start.checked_add_months(Months::new(1))?;
                        NaiveDate::from_ymd_opt(next.year(), next.month(), d)
                    }
                }
            }
            Tok::MonthEnd(0) => month_end(start, 0),
            Tok::MonthEnd(k) => month_end(self.notice, k),
            Tok::YearEnd => NaiveDate::from_ymd_opt(start.year(), 12, 31),
            Tok::ThisMonth { .. } => month_end(self.notice, 0),
            Tok::Weekday { weeks: None, wd } => self.next_weekday(start, wd),
            Tok::Length { n, unit, .. } => self.after(start, n, unit),
            other => self.start(other),
        }
    }

    /// The last day of a period of `n` units starting on `start` (which counts).
    fn after(&self, start: NaiveDate, n: u32, unit: Unit) -> Option<NaiveDate> {
        if n == 0 || n > 3660 {
            return None;
        }
        match unit {
            Unit::Days => start.checked_add_days(Days::new(u64::from(n - 1))),
            Unit::Weeks => start.checked_add_days(Days::new(7 * u64::from(n) - 1)),
            Unit::Months => start.checked_add_months(Months::new(n))?.pred_opt(),
            Unit::WorkingDays => {
                // The start is the first of the n working days when it is one.
                let k = if self.calendar.is_working_day(start) { n - 1 } else { n };
                self.calendar.checked_add_working_days(start, k).map(|r| r.value)
            }
        }
    }
}

/// Reads the period from `r`. `lenient` inside a 活动时间 section: there a
/// lone date is a one-day campaign and 本月 means this month; elsewhere the
/// words must say they are a period (a range, 起, 前, 即日, 为期, 内).
pub(crate) fn read(n: &Norm, r: R, notice: NaiveDate, calendar: &WorkCalendar, lenient: bool) -> Option<Period> {
    let toks = tokens(n, r);
    // A dotted date (12.1) only stands next to a range sign.
    let toks: Vec<(Tok, R)> = toks
        .iter()
        .enumerate()
        .filter(|(k, (t, _))| {
            !matches!(t, Tok::Date { dotted: true, .. })
                || toks.get(k + 1).is_some_and(|(t, _)| *t == Tok::Sep)
                || k.checked_sub(1).and_then(|p| toks.get(p)).is_some_and(|(t, _)| *t == Tok::Sep)
        })
        .map(|(_, t)| *t)
        .collect();
    let cx = Ctx { notice, calendar };
    let found = range(&cx, &toks).or_else(|| open_ended(&cx, &toks, lenient))?;
    let (start, end, used, strength) = found;
    if let (Some(s), Some(e)) = (start, end)
        && e < s
    {
        return None;
    }
    let sane = |d: Option<NaiveDate>| d.is_none_or(|d| (2000..=2100).contains(&d.year()));
    if !(sane(start) && sane(end)) || (start.is_none() && end.is_none()) {
        return None;
    }
    let r = used.into_iter().reduce(R::cover)?;
    Some(Period { start, end, r, strength })
}

type Found = (Option<NaiveDate>, Option<NaiveDate>, Vec<R>, u8);

/// `A 至 B`: a point, a range sign, and a point or a length.
fn range(cx: &Ctx, toks: &[(Tok, R)]) -> Option<Found> {
    for k in 0..toks.len() {
        if toks[k].0 != Tok::Sep {
            continue;
        }
        // 即日起至: the 起 between the start and the sign.
        let before = match k.checked_sub(1) {
            Some(b) if toks[b].0 == Tok::Since => b.checked_sub(1),
            other => other,
        };
        let (Some(&(ta, ra)), Some(&(tb, rb))) = (before.and_then(|a| toks.get(a)), toks.get(k + 1)) else {
            continue;
        };
        if !ta.is_point() || matches!(ta, Tok::MonthEnd(_) | Tok::YearEnd) {
            continue;
        }
        if !(tb.is_point() || matches!(tb, Tok::Day(_) | Tok::Length { .. } | Tok::ThisMonth { .. })) {
            continue;
        }
        let Some(start) = cx.start(ta) else { continue };
        let Some(end) = cx.end(tb, start) else { continue };
        let mut used = vec![ra, rb];
        if let Some(&(Tok::Until { before_date: false }, r)) = toks.get(k + 2) {
            used.push(r);
        }
        return Some((Some(start), Some(end), used, 2));
    }
    None
}

/// Everything that is not `A 至 B`: deadlines (本周五前, 截至12月15日),
/// starts (下周一开始), lengths (为期两周, 10个工作日内), 即日起, 本月内.
fn open_ended(cx: &Ctx, toks: &[(Tok, R)], lenient: bool) -> Option<Found> {
    let mut used = Vec::new();
    let mut start = None;
    let mut end = None;
    let mut start_tok = None;
    // An explicit start: 即日起, or a point followed by 起/开始.
    for (k, &(t, r)) in toks.iter().enumerate() {
        if t == Tok::Today {
            start = Some(cx.notice);
            used.push(r);
            start_tok = Some(k);
            break;
        }
        if t.is_point()
            && let Some(&(Tok::Since, rs)) = toks.get(k + 1)
            && let Some(s) = cx.start(t)
        {
            start = Some(s);
            used.extend([r, rs]);
            start_tok = Some(k);
            break;
        }
    }
    let from = start.unwrap_or(cx.notice);
    // A deadline: 截至 B, or B 前.
    for (k, &(t, r)) in toks.iter().enumerate() {
        let point = match t {
            Tok::Until { before_date: true } => toks.get(k + 1).map(|&(p, rp)| (p, rp, k + 1)),
            Tok::Until { before_date: false } => {
                k.checked_sub(1).and_then(|p| toks.get(p)).map(|&(p, rp)| (p, rp, k - 1))
            }
            _ => None,
        };
        if let Some((p, rp, at)) = point
            && Some(at) != start_tok
            && (p.is_point() || matches!(p, Tok::ThisMonth { .. }))
            && let Some(e) = cx.end(p, from)
        {
            end = Some(e);
            used.extend([r, rp]);
            break;
        }
    }
    if end.is_none() {
        for &(t, r) in toks {
            let e = match t {
                Tok::Length { n, unit, marked } if marked || start.is_some() || lenient => cx.after(from, n, unit),
                Tok::ThisMonth { within: true } => cx.end(t, from),
                Tok::ThisMonth { within: false } if lenient => cx.end(t, from),
                Tok::MonthEnd(_) | Tok::YearEnd if start.is_some() || lenient => cx.end(t, from),
                _ => None,
            };
            if let Some(e) = e {
                end = Some(e);
                used.push(r);
                break;
            }
        }
    }
    if end.is_some() && start.is_none() {
        // A deadline or a length alone runs from the notice (即日起 implied).
        start = Some(cx.notice);
    }
    if start.is_none() && end.is_none() {
        // The day of an event: 将于12月18日, 11月11日当天; in a 活动时间
        // section any date alone (活动时间：12月5日).
        for (k, &(t, r)) in toks.iter().enumerate() {
            if !matches!(t, Tok::Date { .. } | Tok::Weekday { .. }) {
                continue;
            }
            let on_before = k.checked_sub(1).and_then(|p| toks.get(p)).filter(|(p, _)| *p == Tok::On);
            let on_after = toks.get(k + 1).filter(|(p, _)| *p == Tok::On);
            if lenient || on_before.is_some() || on_after.is_some() {
                let d = cx.start(t)?;
                let mut used = vec![r];
                used.extend(on_before.or(on_after).map(|&(_, r)| r));
                return Some((Some(d), Some(d), used, 1));
            }
        }
    }
    let strength = if end.is_some() { 2 } else { 1 };
    (start.is_some() || end.is_some()).then_some((start, end, used, strength))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn period(text: &str, notice: &str) -> Option<(Option<NaiveDate>, Option<NaiveDate>, String)> {
        let n = Norm::new(text);
        let cal = WorkCalendar::official();
        read(&n, n.all(), d(notice), &cal, false).map(|p| (p.start, p.end, n.text(p.r)))
    }

    #[test]
    fn the_forms_of_the_issue() {
        let notice = "2026-11-04"; // a Wednesday
        let both = |a: &str, b: &str| Some((Some(d(a)), Some(d(b))));
        let dates = |t: &str| period(t, notice).map(|(s, e, _)| (s, e));
        assert_eq!(dates("即日起至月底"), both("2026-11-04", "2026-11-30"));
        assert_eq!(dates("即日起至12月15日"), both("2026-11-04", "2026-12-15"));
        assert_eq!(dates("12月1日至15日"), both("2026-12-01", "2026-12-15"));
        assert_eq!(dates("12/1–12/15"), both("2026-12-01", "2026-12-15"));
        assert_eq!(dates("2026年12月1日—2026年12月31日"), both("2026-12-01", "2026-12-31"));
        assert_eq!(dates("为期两周"), both("2026-11-04", "2026-11-17"));
        assert_eq!(dates("本周五前"), both("2026-11-04", "2026-11-06"));
        assert_eq!(dates("下周一开始"), Some((Some(d("2026-11-09")), None)));
        // Wednesday 4th counts; ten working days end on Tuesday 17th.
        assert_eq!(dates("10个工作日内"), both("2026-11-04", "2026-11-17"));
        assert_eq!(dates("12.1-12.15"), both("2026-12-01", "2026-12-15"));
        assert_eq!(dates("享8.5折"), None);
        assert_eq!(dates("本月新增意向客户30家"), None, "本月 alone is no period outside 活动时间");
    }

    #[test]
    fn working_days_follow_the_official_calendar() {
        // Notice on Thursday 2025-09-25 (day 1): 09-26, the worked Sunday
        // 09-28, 09-29, 09-30, the National Day holiday to 10-08, 10-09, 10-10.
        let got = period("即日起7个工作日内", "2025-09-25").map(|(s, e, _)| (s, e));
        assert_eq!(got, Some((Some(d("2025-09-25")), Some(d("2025-10-10")))));
    }

    #[test]
    fn years_roll_over() {
        let dates = |t: &str| period(t, "2026-12-20").map(|(s, e, _)| (s, e));
        assert_eq!(dates("1月5日至1月20日"), Some((Some(d("2027-01-05")), Some(d("2027-01-20")))));
        assert_eq!(dates("12月25日至1月5日"), Some((Some(d("2026-12-25")), Some(d("2027-01-05")))));
    }
}
