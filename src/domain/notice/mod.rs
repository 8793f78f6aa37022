//! Marketing's notice (活动通知) read into a campaign draft: plain rules over
//! the Chinese text, no model. Every field found carries the spans of the
//! notice it came from, and the sentences the reader could not use are
//! listed, so the lead checks the draft against the words instead of
//! trusting it. Fields it cannot find stay `None`: it never guesses.
//!
//! A notice is read in three steps:
//! 1. structure: lines, list markers (`一、`, `1.`), labels (`主题：`,
//!    `目标客群 `, `【活动时间】`), blocks (a label alone on its line owns
//!    the lines below it), sentences (`。；`) and pieces (`，`);
//! 2. each labelled value by its label (falling back to its content), each
//!    unlabelled piece by its content: goals, period, segment, selling
//!    points, support;
//! 3. the theme from the title or first line when no label names it, and the
//!    kind from the wording.
//!
//! What it understands, with examples, is in `docs/notices.md`.

mod audience;
mod goals;
mod numbers;
mod period;
mod support;
mod text;

#[cfg(test)]
mod tests;

use chrono::NaiveDate;

use self::audience::{Audience, CUSTOMER_NOUNS, PRIORITY, Vocabulary};
use self::goals::{Goal, GoalKind, GoalValue};
use self::period::Period;
use self::support::Need;
use self::text::{Norm, R};
use super::calendar::WorkCalendar;
use super::campaign::CampaignKind;
use super::segment::Expr;

/// Longest notice read, in characters (a long e-mail with its signature).
pub const MAX_NOTICE_CHARS: usize = 20_000;

/// The strength of a period read from 活动时间 (see [`Period::strength`]).
const LABELLED: u8 = 3;

/// A byte range of the notice as given.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    /// The words of the notice this span covers.
    pub fn text<'a>(&self, input: &'a str) -> &'a str {
        input.get(self.start..self.end).unwrap_or("")
    }
}

/// What the reader needs to know besides the text.
pub struct NoticeContext<'a> {
    /// Today (Asia/Shanghai), the notice date when nothing else says.
    pub today: NaiveDate,
    /// The notice's date when the caller knows it; otherwise a date line of
    /// the notice (`通知日期：…`, or a date alone on a line), else today.
    pub announced_on: Option<NaiveDate>,
    /// The official working-day calendar (`10个工作日内`).
    pub calendar: &'a WorkCalendar,
    /// The team's sales regions; provinces and cities map onto these.
    pub regions: &'a [String],
    /// The industries the team's customers have.
    pub industries: &'a [String],
    /// The tags the team's customers have (`竞品客户`).
    pub tags: &'a [String],
}

/// The goals of a draft; sales in fen, ROI as `x` of `1:x`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DraftGoals {
    pub reached: Option<i64>,
    pub intent_customers: Option<i64>,
    pub orders: Option<i64>,
    pub sales_fen: Option<i64>,
    pub roi: Option<f64>,
}

/// A campaign plan as far as the notice tells it.
#[derive(Clone, Debug, PartialEq)]
pub struct NoticeDraft {
    pub name: Option<String>,
    /// `Other` when the wording names no kind.
    pub kind: CampaignKind,
    pub theme: Option<String>,
    pub selling_points: Option<String>,
    pub segment: Option<Expr>,
    pub announced_on: NaiveDate,
    pub starts_on: Option<NaiveDate>,
    pub ends_on: Option<NaiveDate>,
    pub resource_support: Option<String>,
    pub collateral_needs: Option<String>,
    pub training_needs: Option<String>,
    pub goals: DraftGoals,
}

/// The fields of a draft, by their names in the API.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DraftField {
    Name,
    Kind,
    Theme,
    SellingPoints,
    Segment,
    AnnouncedOn,
    StartsOn,
    EndsOn,
    ResourceSupport,
    CollateralNeeds,
    TrainingNeeds,
    GoalReached,
    GoalIntent,
    GoalOrders,
    GoalSales,
    GoalRoi,
}

impl DraftField {
    pub const ALL: [DraftField; 16] = [
        DraftField::Name,
        DraftField::Kind,
        DraftField::Theme,
        DraftField::SellingPoints,
        DraftField::Segment,
        DraftField::AnnouncedOn,
        DraftField::StartsOn,
        DraftField::EndsOn,
        DraftField::ResourceSupport,
        DraftField::CollateralNeeds,
        DraftField::TrainingNeeds,
        DraftField::GoalReached,
        DraftField::GoalIntent,
        DraftField::GoalOrders,
        DraftField::GoalSales,
        DraftField::GoalRoi,
    ];

    /// The field's path in the API (`goals.intent_customers`).
    pub fn key(self) -> &'static str {
        match self {
            DraftField::Name => "name",
            DraftField::Kind => "kind",
            DraftField::Theme => "theme",
            DraftField::SellingPoints => "selling_points",
            DraftField::Segment => "segment",
            DraftField::AnnouncedOn => "announced_on",
            DraftField::StartsOn => "starts_on",
            DraftField::EndsOn => "ends_on",
            DraftField::ResourceSupport => "resource_support",
            DraftField::CollateralNeeds => "collateral_needs",
            DraftField::TrainingNeeds => "training_needs",
            DraftField::GoalReached => "goals.reached",
            DraftField::GoalIntent => "goals.intent_customers",
            DraftField::GoalOrders => "goals.orders",
            DraftField::GoalSales => "goals.sales_amount",
            DraftField::GoalRoi => "goals.roi",
        }
    }
}

/// The draft, where each field came from, and what was not understood.
#[derive(Clone, Debug, PartialEq)]
pub struct NoticeReading {
    pub draft: NoticeDraft,
    /// For each field found, the spans it came from (in field order).
    pub sources: Vec<(DraftField, Vec<Span>)>,
    /// The sentences the reader could not use, in reading order.
    pub unparsed: Vec<Span>,
}

/// How a stretch of the notice was used (see [`NoticeReading::pieces`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Use {
    /// A field of the draft came from it.
    Used,
    /// A sentence the reader could not use.
    Unparsed,
    /// Labels, punctuation, what lies between.
    Plain,
}

impl NoticeReading {
    /// The whole notice cut into consecutive pieces by how each was used,
    /// neighbours of the same use joined: the pieces concatenate to `input`.
    pub fn pieces<'a>(&self, input: &'a str) -> Vec<(&'a str, Use)> {
        let used: Vec<Span> = self.sources.iter().flat_map(|(_, s)| s.iter().copied()).collect();
        let valid = |s: &Span| s.start < s.end && s.end <= input.len();
        let mut cuts = vec![0, input.len()];
        for s in used.iter().chain(self.unparsed.iter()).filter(|s| valid(s)) {
            cuts.extend([s.start, s.end]);
        }
        cuts.retain(|&c| input.is_char_boundary(c));
        cuts.sort_unstable();
        cuts.dedup();
        let covers = |spans: &[Span], a: usize, b: usize| spans.iter().any(|s| s.start <= a && b <= s.end);
        let mut out: Vec<(usize, usize, Use)> = Vec::new();
        for w in cuts.windows(2) {
            let (a, b) = (w[0], w[1]);
            let kind = if covers(&used, a, b) {
                Use::Used
            } else if covers(&self.unparsed, a, b) {
                Use::Unparsed
            } else {
                Use::Plain
            };
            match out.last_mut() {
                Some(last) if last.2 == kind && last.1 == a => last.1 = b,
                _ => out.push((a, b, kind)),
            }
        }
        out.into_iter().map(|(a, b, kind)| (&input[a..b], kind)).collect()
    }

    pub fn source(&self, field: DraftField) -> Option<&[Span]> {
        self.sources.iter().find(|(f, _)| *f == field).map(|(_, s)| s.as_slice())
    }

    /// The words a field came from, several places joined with " … ".
    pub fn quote(&self, input: &str, field: DraftField) -> Option<String> {
        let spans = self.source(field)?;
        Some(spans.iter().map(|s| s.text(input)).collect::<Vec<_>>().join(" … "))
    }
}

/// Reads `text` (only its first [`MAX_NOTICE_CHARS`] characters). Never panics.
pub fn read(text: &str, ctx: &NoticeContext) -> NoticeReading {
    let text = match text.char_indices().nth(MAX_NOTICE_CHARS) {
        Some((cut, _)) => &text[..cut],
        None => text,
    };
    Reader::new(text, ctx).run()
}

/// What a label says the value after it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Label {
    Theme,
    Name,
    Segment,
    Selling,
    Period,
    Resources,
    Collateral,
    Training,
    Goals,
    Kind,
    Announced,
    /// Known, but nothing a draft holds (风险, 备注, 联系人): listed as not used.
    Unused,
}

const LABELS: &[(&str, Label)] = &[
    ("活动主题", Label::Theme),
    ("主题", Label::Theme),
    ("活动标题", Label::Theme),
    ("标题", Label::Theme),
    ("活动名称", Label::Name),
    ("项目名称", Label::Name),
    ("名称", Label::Name),
    ("目标客群", Label::Segment),
    ("目标客户群", Label::Segment),
    ("目标客户", Label::Segment),
    ("客群", Label::Segment),
    ("目标人群", Label::Segment),
    ("目标群体", Label::Segment),
    ("活动对象", Label::Segment),
    ("参与对象", Label::Segment),
    ("适用对象", Label::Segment),
    ("适用客户", Label::Segment),
    ("针对客户", Label::Segment),
    ("客户范围", Label::Segment),
    ("对象", Label::Segment),
    ("核心卖点", Label::Selling),
    ("产品卖点", Label::Selling),
    ("卖点", Label::Selling),
    ("活动亮点", Label::Selling),
    ("亮点", Label::Selling),
    ("优惠政策", Label::Selling),
    ("优惠内容", Label::Selling),
    ("活动政策", Label::Selling),
    ("活动内容", Label::Selling),
    ("政策", Label::Selling),
    ("现场优惠", Label::Selling),
    ("专属优惠", Label::Selling),
    ("优惠", Label::Selling),
    ("活动时间", Label::Period),
    ("活动日期", Label::Period),
    ("活动周期", Label::Period),
    ("活动期限", Label::Period),
    ("活动期间", Label::Period),
    ("起止时间", Label::Period),
    ("执行时间", Label::Period),
    ("时间安排", Label::Period),
    ("有效期", Label::Period),
    ("展会时间", Label::Period),
    ("会议时间", Label::Period),
    ("举办时间", Label::Period),
    ("时间", Label::Period),
    ("周期", Label::Period),
    ("资源支持", Label::Resources),
    ("支持资源", Label::Resources),
    ("配套资源", Label::Resources),
    ("配套支持", Label::Resources),
    ("市场支持", Label::Resources),
    ("资源配置", Label::Resources),
    ("资源", Label::Resources),
    ("支持", Label::Resources),
    ("物料支持", Label::Collateral),
    ("物料需求", Label::Collateral),
    ("物料准备", Label::Collateral),
    ("宣传物料", Label::Collateral),
    ("物料", Label::Collateral),
    ("培训支持", Label::Training),
    ("培训安排", Label::Training),
    ("培训需求", Label::Training),
    ("培训", Label::Training),
    ("活动目标", Label::Goals),
    ("核心目标", Label::Goals),
    ("销售目标", Label::Goals),
    ("业绩目标", Label::Goals),
    ("考核目标", Label::Goals),
    ("考核指标", Label::Goals),
    ("目标要求", Label::Goals),
    ("目标", Label::Goals),
    ("指标", Label::Goals),
    ("活动类型", Label::Kind),
    ("活动类别", Label::Kind),
    ("类型", Label::Kind),
    ("通知日期", Label::Announced),
    ("发布日期", Label::Announced),
    ("发文日期", Label::Announced),
    ("发布时间", Label::Announced),
    ("资源风险", Label::Unused),
    ("风险", Label::Unused),
    ("备注", Label::Unused),
    ("说明", Label::Unused),
    ("联系人", Label::Unused),
    ("联系方式", Label::Unused),
    ("负责人", Label::Unused),
    ("报名方式", Label::Unused),
    ("背景", Label::Unused),
    ("活动背景", Label::Unused),
    ("展位号", Label::Unused),
    ("展位", Label::Unused),
    ("地点", Label::Unused),
    ("活动地点", Label::Unused),
];

/// Kinds by their words, in the order they win when a theme names several
/// (the event, 展会 or 答谢会, over the product it shows).
const KINDS: &[(CampaignKind, &[&str])] = &[
    (CampaignKind::TradeShow, &["展会", "参展", "展位", "博览会", "展览会", "交易会"]),
    (CampaignKind::Appreciation, &["答谢", "客户专属", "沙龙", "回馈", "品鉴会"]),
    (CampaignKind::Competitive, &["竞品", "反击", "狙击", "对标", "抢单"]),
    (CampaignKind::NewProduct, &["新品", "首发", "上市", "限时促销", "新款", "发布会"]),
];

/// Greetings and sign-offs: neither used nor worth listing.
const GREETINGS: &[&str] = &[
    "各位",
    "各区域",
    "各部门",
    "各销售",
    "各大区",
    "各团队",
    "各事业部",
    "致各",
    "尊敬的",
    "亲爱的",
    "大家好",
    "HI",
    "HELLO",
];
const SIGN_OFFS: &[&str] = &[
    "特此通知",
    "谢谢",
    "谢谢大家",
    "辛苦了",
    "辛苦大家",
    "请知悉",
    "望周知",
    "以上",
    "收到请回复",
    "请遵照执行",
    "具体安排如下",
    "具体如下",
    "通知如下",
    "现通知如下",
    "现将有关事项通知如下",
    "@所有人",
    "@ALL",
    "收到",
    "大家好",
    "各位好",
];
/// Sentences that open like this explain or instruct; they are no theme.
const NOT_A_THEME: &[&str] = &["为", "因", "由于", "根据", "按照", "经", "现", "我们", "我司", "请", "各"];
const SIGNATURE_ENDS: &[&str] = &["部", "中心", "办公室", "事业部", "团队", "组"];

/// A section of the notice: a label's value (one item, or one per line of
/// a block) or an unlabelled sentence.
struct Section {
    label: Option<Label>,
    items: Vec<R>,
    /// The label and its value, for the list of what was not used.
    whole: R,
}

struct Reader<'a> {
    input: &'a str,
    n: Norm,
    ctx: &'a NoticeContext<'a>,
    vocab: Vocabulary,
    notice: NaiveDate,
    announced: Option<R>,
    title: Option<R>,
    first_line: Option<R>,
    theme: Option<R>,
    name: Option<R>,
    kind: Option<(CampaignKind, R)>,
    selling: Vec<R>,
    audience: Audience,
    audience_src: Vec<R>,
    period: Option<Period>,
    resources: Vec<R>,
    collateral: Vec<R>,
    training: Vec<R>,
    goals: Vec<Goal>,
    /// Pieces that could be listed as not used: (piece, used, sentence).
    pieces: Vec<(R, bool, usize)>,
}

impl<'a> Reader<'a> {
    fn new(input: &'a str, ctx: &'a NoticeContext<'a>) -> Reader<'a> {
        Reader {
            input,
            n: Norm::new(input),
            ctx,
            vocab: Vocabulary::new(ctx.regions, ctx.industries, ctx.tags),
            notice: ctx.announced_on.unwrap_or(ctx.today),
            announced: None,
            title: None,
            first_line: None,
            theme: None,
            name: None,
            kind: None,
            selling: Vec::new(),
            audience: Audience::default(),
            audience_src: Vec::new(),
            period: None,
            resources: Vec::new(),
            collateral: Vec::new(),
            training: Vec::new(),
            goals: Vec::new(),
            pieces: Vec::new(),
        }
    }

    fn run(mut self) -> NoticeReading {
        let sections = self.structure();
        // The notice date first: the period counts from it.
        for (k, s) in sections.iter().enumerate() {
            if s.label == Some(Label::Announced) {
                let date = s.items.first().and_then(|&r| period::date_only(&self.n, r));
                match date {
                    Some(d) => {
                        if self.announced.is_none() {
                            self.take_announced(d, s.items[0]);
                        }
                    }
                    None => self.pieces.push((s.whole, false, k)),
                }
            }
        }
        for (k, s) in sections.iter().enumerate() {
            self.section(k, s);
        }
        self.theme_from_title();
        self.kind_from_words();
        self.finish()
    }

    /// The notice's own date, unless the caller gave one (which wins).
    fn take_announced(&mut self, date: NaiveDate, r: R) {
        if self.ctx.announced_on.is_none() {
            self.announced = Some(r);
            self.notice = date;
        }
    }

    // ----------------------------------------------------------- structure

    fn structure(&mut self) -> Vec<Section> {
        let n = &self.n;
        let mut sections: Vec<Section> = Vec::new();
        let mut block: Option<usize> = None;
        let mut signature_dates: Vec<(NaiveDate, R)> = Vec::new();
        for line in n.lines() {
            let (body, top) = n.strip_marker(line);
            let body = n.trim_ws(body);
            if body.is_empty() {
                if block.is_some_and(|b| !sections[b].items.is_empty()) {
                    block = None;
                }
                continue;
            }
            // A mention in front of a chat message (@所有人 …).
            let body = if n.at(body.s) == Some('@') {
                match (body.s..body.e).find(|&i| n.at(i) == Some(' ')) {
                    Some(space) => n.trim_ws(R::new(space, body.e)),
                    None => continue,
                }
            } else {
                body
            };
            if body.is_empty() || self.is_greeting(body) || self.is_sign_off(body) || self.is_signature(body) {
                continue;
            }
            let mut body = body;
            if self.first_line.is_none() {
                self.first_line = Some(body);
                if self.is_title(body) {
                    self.title = Some(body);
                    continue;
                }
                // 客户专属答谢会通知：为感谢… — a title in front of a colon.
                if let Some(colon) = (body.s..body.e).find(|&i| n.at(i) == Some(':'))
                    && self.label(body).is_none()
                    && (1..=30).contains(&(colon - body.s))
                    && !n.text(R::new(body.s, colon)).contains([',', ';'])
                    && colon + 1 < body.e
                {
                    self.title = Some(R::new(body.s, colon));
                    body = n.trim(R::new(colon + 1, body.e));
                    self.first_line = Some(body);
                }
            }
            if let Some(d) = period::date_only(n, n.trim(body)) {
                signature_dates.push((d, n.trim(body)));
                continue;
            }
            let mut labelled_line = false;
            // A label whose value is the next sentence (主题；新品P上市).
            let mut pending: Option<usize> = None;
            let clauses: Vec<R> = n.clauses(body).into_iter().flat_map(|c| self.split_on_labels(c)).collect();
            for clause in clauses {
                let (clause, clause_top) = n.strip_marker(clause);
                if let Some((label, value)) = self.label(clause) {
                    labelled_line = true;
                    block = None;
                    pending = None;
                    if value.is_empty() {
                        sections.push(Section { label: Some(label), items: Vec::new(), whole: clause });
                        block = Some(sections.len() - 1);
                        pending = block;
                    } else {
                        sections.push(Section { label: Some(label), items: vec![value], whole: clause });
                    }
                    continue;
                }
                if let Some(p) = pending.take() {
                    sections[p].items.push(clause);
                    sections[p].whole = sections[p].whole.cover(clause);
                    block = None;
                    continue;
                }
                match block {
                    Some(b) if !labelled_line && !top && !clause_top => {
                        sections[b].items.push(clause);
                        sections[b].whole = sections[b].whole.cover(clause);
                    }
                    _ => {
                        if top || clause_top {
                            block = None;
                        }
                        sections.push(Section { label: None, items: vec![clause], whole: clause });
                    }
                }
            }
        }
        // A date alone on a line (the signature) is the notice's date.
        if self.announced.is_none()
            && !sections.iter().any(|s| s.label == Some(Label::Announced))
            && let Some(&(d, r)) = signature_dates.first()
        {
            self.take_announced(d, r);
        }
        sections
    }

    /// A label at the start of `r` and the value after it.
    fn label(&self, r: R) -> Option<(Label, R)> {
        let n = &self.n;
        let mut i = r.s;
        let bracket = n.at(i) == Some('[');
        if bracket {
            i += 1;
        }
        let (k, len) = n.any_at(i, &LABELS.iter().map(|(w, _)| *w).collect::<Vec<_>>(), r.e)?;
        let label = LABELS[k].1;
        let mut j = i + len;
        if bracket {
            if n.at(j) != Some(']') {
                return None;
            }
            j += 1;
        } else if j < r.e {
            match n.at(j) {
                Some(':' | ' ' | ']') => j += 1,
                Some('为' | '是') if label != Label::Goals => j += 1,
                _ => return None,
            }
        }
        while j < r.e && matches!(n.at(j), Some(':' | ' ')) {
            j += 1;
        }
        Some((label, n.trim(R::new(j, r.e))))
    }

    /// A sentence cut where a label starts after a comma or a space
    /// (`主题:新品C首发,,目标客群 江浙沪…`, `主题 新品K首发 目标客群 华东…`).
    fn split_on_labels(&self, r: R) -> Vec<R> {
        let n = &self.n;
        let mut starts = vec![r.s];
        for i in r.s + 1..r.e {
            if matches!(n.at(i - 1), Some(',' | ' '))
                && !matches!(n.at(i), Some(',' | ' '))
                && self.label(R::new(i, r.e)).is_some()
            {
                starts.push(i);
            }
        }
        starts.push(r.e);
        starts.windows(2).map(|w| n.trim(R::new(w[0], w[1]))).filter(|c| !c.is_empty()).collect()
    }

    fn is_greeting(&self, r: R) -> bool {
        let n = &self.n;
        let short = r.len() <= 16;
        let ends_colon = matches!(n.at(r.e.saturating_sub(1)), Some(':' | ','));
        n.any_at(r.s, GREETINGS, r.e).is_some() && (ends_colon || short) && !self.has_label_inside(r)
    }

    fn has_label_inside(&self, r: R) -> bool {
        self.n.clauses(r).into_iter().any(|c| self.label(self.n.strip_marker(c).0).is_some())
    }

    fn is_sign_off(&self, r: R) -> bool {
        let n = &self.n;
        let r = n.trim(r);
        SIGN_OFFS.iter().any(|w| n.word_at(r.s, w, r.e) && w.chars().count() == r.len())
    }

    /// A department signing the notice on a line of its own: 市场部, 华东市场中心.
    fn is_signature(&self, r: R) -> bool {
        let n = &self.n;
        let r = n.trim(r);
        r.len() <= 12
            && SIGNATURE_ENDS.iter().any(|w| {
                let len = w.chars().count();
                r.len() > len && n.word_at(r.e - len, w, r.e)
            })
            && !n.text(r).contains([':', ',', ' '])
    }

    fn is_title(&self, r: R) -> bool {
        let n = &self.n;
        let t = n.trim(r);
        if t.len() > 60 || n.text(t).contains([':', ',', ';']) {
            return false;
        }
        n.word_at(t.s, "关于", t.e)
            || ["通知", "公告", "通告", "方案"].iter().any(|w| {
                let len = w.chars().count();
                t.len() > len && n.word_at(t.e - len, w, t.e)
            })
    }

    // ------------------------------------------------------ interpretation

    fn section(&mut self, k: usize, s: &Section) {
        if s.label == Some(Label::Announced) {
            return; // read first, in `run`
        }
        let Some(label) = s.label else {
            for &item in &s.items {
                self.free(k, item);
            }
            return;
        };
        if s.items.is_empty() {
            // A label with nothing under it.
            self.pieces.push((s.whole, false, k));
            return;
        }
        match label {
            Label::Announced => {}
            Label::Unused => self.pieces.push((s.whole, false, k)),
            Label::Theme => self.theme = self.theme.or(Some(s.items[0])),
            Label::Name => self.name = self.name.or(Some(s.items[0])),
            Label::Selling => self.selling.extend(&s.items),
            Label::Collateral => self.collateral.extend(&s.items),
            Label::Training => self.training.extend(&s.items),
            Label::Resources => {
                for &item in &s.items {
                    self.resources.push(item);
                    self.sort_needs(item, false);
                }
            }
            Label::Kind => {
                let found = self.kind_in(s.items[0], false);
                match (self.kind, found) {
                    (None, Some(kind)) => self.kind = Some(kind),
                    (None, None) => self.pieces.push((s.whole, false, k)),
                    _ => {}
                }
            }
            Label::Period => {
                for &item in &s.items {
                    let found = period::read(&self.n, item, self.notice, self.ctx.calendar, true);
                    match found {
                        // What 活动时间 says wins over a date in passing.
                        Some(p) if self.period.is_none_or(|q| q.strength < LABELLED) => {
                            self.period = Some(Period { strength: LABELLED, ..p });
                        }
                        _ => self.labelled_fallback(k, s, item),
                    }
                }
            }
            Label::Segment => {
                for &item in &s.items {
                    for piece in self.n.pieces(item) {
                        if self.n.any_at(piece.s, PRIORITY, piece.e).is_some() {
                            self.pieces.push((piece, false, k));
                            continue;
                        }
                        let a = audience::read(&self.n, piece, &self.vocab);
                        if a.is_empty() {
                            self.labelled_fallback(k, s, piece);
                        } else {
                            self.audience.merge(a);
                            self.audience_src.push(piece);
                            self.pieces.push((piece, true, k));
                        }
                    }
                }
            }
            Label::Goals => {
                for &item in &s.items {
                    for piece in self.n.pieces(item) {
                        let found = goals::read(&self.n, piece);
                        if found.is_empty() {
                            self.labelled_fallback(k, s, piece);
                        } else {
                            self.add_goals(found);
                            self.pieces.push((piece, true, k));
                        }
                    }
                }
            }
        }
    }

    /// A labelled value its label could not read: read by what it says,
    /// and listed with its label when that finds nothing either.
    fn labelled_fallback(&mut self, k: usize, s: &Section, r: R) {
        for piece in self.n.pieces(r) {
            let used = self.classify(piece);
            let alone = s.items.len() == 1 && self.n.pieces(s.items[0]).len() == 1;
            self.pieces.push((if alone && !used { s.whole } else { piece }, used, k));
        }
    }

    /// An unlabelled sentence: each piece by what it says.
    fn free(&mut self, k: usize, r: R) {
        for piece in self.n.pieces(r) {
            let used = self.classify(piece);
            self.pieces.push((piece, used, k));
        }
    }

    fn classify(&mut self, p: R) -> bool {
        if self.is_sign_off(p) || self.is_greeting(p) {
            return true;
        }
        let mut used = false;
        let found = goals::read(&self.n, p);
        let has_goals = !found.is_empty();
        if has_goals {
            self.add_goals(found);
            used = true;
        }
        let n = &self.n;
        if !n.contains_any(p, period::TASK_WORDS)
            && let Some(found) = period::read(n, p, self.notice, self.ctx.calendar, false)
            && self.period.is_none_or(|q| q.strength < found.strength)
        {
            self.period = Some(found);
            used = true;
        }
        if has_goals || n.any_at(p.s, PRIORITY, p.e).is_some() {
            return used;
        }
        // A sentence about customers, or a few words naming only them (华南).
        let a = audience::read(n, p, &self.vocab);
        if !a.is_empty() && (p.len() <= 6 || n.contains_any(p, CUSTOMER_NOUNS)) {
            self.audience.merge(a);
            self.audience_src.push(p);
            used = true;
        }
        if support::is_selling_point(n, p) {
            self.selling.push(p);
            return true;
        }
        if !used && support::need_of(n, p).is_some() {
            self.sort_needs(p, true);
            return true;
        }
        used
    }

    /// Collateral and training items of a piece of support; with `other`,
    /// the rest goes to the resource support.
    fn sort_needs(&mut self, r: R, other: bool) {
        for item in self.n.items(r) {
            match support::need_of(&self.n, item) {
                Some(Need::Collateral) => self.collateral.push(support::without_provider(&self.n, item)),
                Some(Need::Training) => self.training.push(support::without_provider(&self.n, item)),
                // Who provides other support matters (技术部可安排现场演示): kept whole.
                Some(Need::Other) | None if other => self.resources.push(item),
                _ => {}
            }
        }
    }

    fn add_goals(&mut self, found: Vec<Goal>) {
        for g in found {
            if !self.goals.iter().any(|h| h.kind == g.kind) {
                self.goals.push(g);
            }
        }
    }

    // -------------------------------------------------------- theme, kind

    /// Without a 主题 label: the title (`关于开展"新品A限时促销"活动的通知`),
    /// or the first piece of the first line when nothing else used it.
    fn theme_from_title(&mut self) {
        if self.theme.is_some() || self.name.is_some() {
            return;
        }
        if let Some(t) = self.title {
            let theme = self.clean_title(t);
            // 市场部通知 names who writes, not the campaign.
            if !theme.is_empty() && !self.is_signature(theme) {
                self.theme = Some(theme);
                return;
            }
        }
        let Some(first) = self.first_line else { return };
        let n = &self.n;
        let candidate = self.pieces.iter_mut().find(|(p, used, _)| {
            first.contains(*p) && !*used && p.len() <= 40 && n.any_at(p.s, NOT_A_THEME, p.e).is_none()
        });
        if let Some((p, used, _)) = candidate {
            *used = true;
            self.theme = Some(*p);
        }
    }

    fn clean_title(&self, t: R) -> R {
        let n = &self.n;
        let mut r = n.trim(t);
        // 【紧急】 in front.
        if n.at(r.s) == Some('[')
            && let Some(close) = n.find(r, "]")
            && close + 1 < r.e
        {
            r = n.trim(R::new(close + 1, r.e));
        }
        // A quoted name inside wins: 关于开展“新品A限时促销”活动的通知.
        for (open, close) in [('“', '”'), ('"', '"'), ('「', '」'), ('《', '》'), ('『', '』')] {
            if let Some(a) = (r.s..r.e).find(|&i| n.at(i) == Some(open))
                && let Some(b) = (a + 1..r.e).find(|&i| n.at(i) == Some(close))
                && b > a + 1
            {
                return R::new(a + 1, b);
            }
        }
        if let Some((_, len)) =
            n.any_at(r.s, &["关于开展", "关于举办", "关于组织", "关于启动", "关于推出", "关于"], r.e)
        {
            r = R::new(r.s + len, r.e);
        }
        for tail in ["活动的通知", "的通知", "活动通知", "通知", "的公告", "公告", "活动方案", "方案", "活动"]
        {
            let len = tail.chars().count();
            if r.len() > len + 1 && n.word_at(r.e - len, tail, r.e) {
                r = R::new(r.s, r.e - len);
                break;
            }
        }
        n.trim(r)
    }

    /// The kind named in `r`: by the template's own words (新品促销, 展会 …),
    /// else the first kind of [`KINDS`] whose words occur, or with
    /// `earliest` the kind whose word occurs first.
    fn kind_in(&self, r: R, earliest: bool) -> Option<(CampaignKind, R)> {
        let n = &self.n;
        if let Ok(kind) = self.input.get(n.span(r).start..n.span(r).end).unwrap_or("").parse::<CampaignKind>() {
            return Some((kind, r));
        }
        let hits = KINDS.iter().filter_map(|(kind, words)| n.find_any(r, words).map(|(at, _, len)| (*kind, at, len)));
        let best = if earliest { hits.min_by_key(|&(_, at, _)| at) } else { hits.into_iter().next() };
        best.map(|(kind, at, len)| (kind, R::new(at, at + len)))
    }

    fn kind_from_words(&mut self) {
        if self.kind.is_some() {
            return;
        }
        let named = self.theme.or(self.name).and_then(|t| self.kind_in(t, false));
        self.kind = named.or_else(|| self.kind_in(self.n.all(), true));
    }

    // ---------------------------------------------------------- the draft

    /// The words of `r` as a field's value: without the quotes around
    /// them, full-width letters and digits as ASCII (新品Ａ → 新品A).
    fn text_of(&self, r: R) -> String {
        let quotes: &[char] = &['“', '”', '"', '「', '」', '《', '》', '『', '』', '\'', '[', ']', '【', '】'];
        let t = self.n.span(r).text(self.input).trim();
        let inner = t.trim_matches(quotes).trim();
        let t = if inner.is_empty() { t } else { inner };
        t.chars()
            .map(|c| match c {
                '０'..='９' | 'Ａ'..='Ｚ' | 'ａ'..='ｚ' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
                _ => c,
            })
            .collect()
    }

    fn joined(&self, rs: &[R]) -> Option<String> {
        let parts: Vec<String> = rs.iter().map(|&r| self.text_of(r)).filter(|s| !s.is_empty()).collect();
        let mut unique: Vec<String> = Vec::new();
        for p in parts {
            if !unique.contains(&p) {
                unique.push(p);
            }
        }
        (!unique.is_empty()).then(|| unique.join("；"))
    }

    fn finish(self) -> NoticeReading {
        let mut sources: Vec<(DraftField, Vec<R>)> = Vec::new();
        let mut source = |field: DraftField, rs: Vec<R>| {
            if !rs.is_empty() {
                sources.push((field, rs));
            }
        };
        let name = self.name.or(self.theme);
        let theme = self.theme.or(self.name);
        source(DraftField::Name, name.into_iter().collect());
        source(DraftField::Kind, self.kind.map(|(_, r)| r).into_iter().collect());
        source(DraftField::Theme, theme.into_iter().collect());
        source(DraftField::SellingPoints, self.selling.clone());
        let segment = self.audience.expr();
        if segment.is_some() {
            source(DraftField::Segment, self.audience_src.clone());
        }
        source(DraftField::AnnouncedOn, self.announced.into_iter().collect());
        let (starts_on, ends_on) = self.period.map_or((None, None), |p| (p.start, p.end));
        if starts_on.is_some() {
            source(DraftField::StartsOn, self.period.map(|p| p.r).into_iter().collect());
        }
        if ends_on.is_some() {
            source(DraftField::EndsOn, self.period.map(|p| p.r).into_iter().collect());
        }
        source(DraftField::ResourceSupport, self.resources.clone());
        source(DraftField::CollateralNeeds, self.collateral.clone());
        source(DraftField::TrainingNeeds, self.training.clone());
        let mut goals = DraftGoals::default();
        for g in &self.goals {
            let field = match (g.kind, g.value) {
                (GoalKind::Reached, GoalValue::Count(v)) => {
                    goals.reached = Some(v);
                    DraftField::GoalReached
                }
                (GoalKind::Intent, GoalValue::Count(v)) => {
                    goals.intent_customers = Some(v);
                    DraftField::GoalIntent
                }
                (GoalKind::Orders, GoalValue::Count(v)) => {
                    goals.orders = Some(v);
                    DraftField::GoalOrders
                }
                (GoalKind::Sales, GoalValue::Fen(v)) => {
                    goals.sales_fen = Some(v);
                    DraftField::GoalSales
                }
                (GoalKind::Roi, GoalValue::Ratio(v)) => {
                    goals.roi = Some(v);
                    DraftField::GoalRoi
                }
                _ => continue,
            };
            source(field, vec![g.r]);
        }
        sources.sort_by_key(|(f, _)| *f);
        let draft = NoticeDraft {
            name: name.map(|r| self.text_of(r)),
            kind: self.kind.map_or(CampaignKind::Other, |(k, _)| k),
            theme: theme.map(|r| self.text_of(r)),
            selling_points: self.joined(&self.selling),
            segment,
            announced_on: self.notice,
            starts_on,
            ends_on,
            resource_support: self.joined(&self.resources),
            collateral_needs: self.joined(&self.collateral),
            training_needs: self.joined(&self.training),
            goals,
        };
        // Neighbouring pieces of one sentence that were not used are listed together.
        let mut unparsed: Vec<R> = Vec::new();
        let mut last: Option<(usize, usize)> = None; // (sentence, index in unparsed)
        for (k, &(r, used, sentence)) in self.pieces.iter().enumerate() {
            if used {
                last = None;
                continue;
            }
            let joins = last.is_some_and(|(s, _)| s == sentence)
                && k > 0
                && !self.pieces[k - 1].1
                && self.pieces[k - 1].2 == sentence;
            match (joins, last) {
                (true, Some((_, at))) => unparsed[at] = unparsed[at].cover(r),
                _ => {
                    unparsed.push(r);
                    last = Some((sentence, unparsed.len() - 1));
                }
            }
        }
        let n = &self.n;
        let spans = |rs: Vec<R>| -> Vec<Span> {
            let mut v: Vec<Span> = rs.into_iter().map(|r| n.span(n.trim(r))).filter(|s| s.end > s.start).collect();
            v.dedup();
            v
        };
        NoticeReading {
            draft,
            sources: sources.into_iter().map(|(f, rs)| (f, spans(rs))).filter(|(_, s)| !s.is_empty()).collect(),
            unparsed: spans(unparsed),
        }
    }
}
