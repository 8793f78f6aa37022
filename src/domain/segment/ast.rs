//! Syntax tree of the segment language.
//!
//! Conditions are typed per field kind, so a tree that type-checks is the only
//! kind that can be built: `tier > "S"` or `annual_purchase contains "x"` have
//! no representation, and the evaluator and SQL compiler need no error paths.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use chrono::NaiveDate;

/// Customer tier, derived from interaction history (see `tier_of`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Tier {
    /// At least `s_min_interactions` interactions in the last `s_window_days`.
    S,
    /// Not S, and at least one inquiry in the last `b_window_days`.
    B,
    /// Everyone else: the potential pool.
    C,
}

impl Tier {
    pub const ALL: [Tier; 3] = [Tier::S, Tier::B, Tier::C];

    pub fn as_str(self) -> &'static str {
        match self {
            Tier::S => "S",
            Tier::B => "B",
            Tier::C => "C",
        }
    }
}

impl fmt::Display for Tier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Tier {
    type Err = ();

    /// Accepts `S`, `B`, `C` in either case (users type `s` as often as `S`).
    fn from_str(s: &str) -> Result<Self, ()> {
        match s {
            "S" | "s" => Ok(Tier::S),
            "B" | "b" => Ok(Tier::B),
            "C" | "c" => Ok(Tier::C),
            _ => Err(()),
        }
    }
}

/// Every field of the language, for UIs that list them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    Name,
    Industry,
    Region,
    City,
    AnnualPurchase,
    Owner,
    Tier,
    Tag,
    Source,
    LastInteraction,
    LastInquiry,
    /// Latest order (a follow-up record of kind 订单).
    LastOrder,
    Interactions30d,
}

/// What kind of values a field holds, which decides the operators it allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FieldKind {
    /// `= != in contains`
    Text,
    /// `= != in` with values S, B, C
    Tier,
    /// Yuan in the language, fen in the tree. `= != < <= > >= in`
    Money,
    /// A whole number. `= != < <= > >= in`
    Count,
    /// `= != < <= > >= in within`
    Date,
}

impl Field {
    pub const ALL: [Field; 13] = [
        Field::Name,
        Field::Industry,
        Field::Region,
        Field::City,
        Field::AnnualPurchase,
        Field::Owner,
        Field::Tier,
        Field::Tag,
        Field::Source,
        Field::LastInteraction,
        Field::LastInquiry,
        Field::LastOrder,
        Field::Interactions30d,
    ];

    /// The field's name in the language (always lower case).
    pub fn name(self) -> &'static str {
        match self {
            Field::Name => "name",
            Field::Industry => "industry",
            Field::Region => "region",
            Field::City => "city",
            Field::AnnualPurchase => "annual_purchase",
            Field::Owner => "owner",
            Field::Tier => "tier",
            Field::Tag => "tag",
            Field::Source => "source",
            Field::LastInteraction => "last_interaction",
            Field::LastInquiry => "last_inquiry",
            Field::LastOrder => "last_order",
            Field::Interactions30d => "interactions_30d",
        }
    }

    /// The field's Chinese name, which the language also accepts.
    pub fn chinese_name(self) -> &'static str {
        match self {
            Field::Name => "客户名称",
            Field::Industry => "行业",
            Field::Region => "区域",
            Field::City => "城市",
            Field::AnnualPurchase => "年采购额",
            Field::Owner => "负责人",
            Field::Tier => "分级",
            Field::Tag => "标签",
            Field::Source => "来源",
            Field::LastInteraction => "最近互动",
            Field::LastInquiry => "最近询盘",
            Field::LastOrder => "最近下单",
            Field::Interactions30d => "近30天互动次数",
        }
    }

    /// Looks a field up by name, ignoring ASCII case.
    pub fn from_name(name: &str) -> Option<Field> {
        Field::ALL.into_iter().find(|f| f.name().eq_ignore_ascii_case(name))
    }

    pub fn kind(self) -> FieldKind {
        match self {
            Field::Name | Field::Industry | Field::Region | Field::City | Field::Owner | Field::Tag | Field::Source => {
                FieldKind::Text
            }
            Field::Tier => FieldKind::Tier,
            Field::AnnualPurchase => FieldKind::Money,
            Field::Interactions30d => FieldKind::Count,
            Field::LastInteraction | Field::LastInquiry | Field::LastOrder => FieldKind::Date,
        }
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Fields holding text. `Owner` is the owner's email and may be missing;
/// `Tag` is a set of tags (a test holds when any tag satisfies it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TextField {
    Name,
    Industry,
    Region,
    City,
    Owner,
    Tag,
    Source,
}

impl TextField {
    pub fn field(self) -> Field {
        match self {
            TextField::Name => Field::Name,
            TextField::Industry => Field::Industry,
            TextField::Region => Field::Region,
            TextField::City => Field::City,
            TextField::Owner => Field::Owner,
            TextField::Tag => Field::Tag,
            TextField::Source => Field::Source,
        }
    }
}

/// Numeric fields. Values of `AnnualPurchase` tests are in fen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NumberField {
    AnnualPurchase,
    Interactions30d,
}

impl NumberField {
    pub fn field(self) -> Field {
        match self {
            NumberField::AnnualPurchase => Field::AnnualPurchase,
            NumberField::Interactions30d => Field::Interactions30d,
        }
    }
}

/// Date fields; each may be missing (no interaction / inquiry / order yet).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DateField {
    LastInteraction,
    LastInquiry,
    LastOrder,
}

impl DateField {
    pub fn field(self) -> Field {
        match self {
            DateField::LastInteraction => Field::LastInteraction,
            DateField::LastInquiry => Field::LastInquiry,
            DateField::LastOrder => Field::LastOrder,
        }
    }
}

/// Comparison operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl CmpOp {
    pub const ALL: [CmpOp; 6] = [CmpOp::Eq, CmpOp::Ne, CmpOp::Lt, CmpOp::Le, CmpOp::Gt, CmpOp::Ge];

    /// Canonical spelling, shared by the language and SQL (`<>` is not used).
    pub fn as_str(self) -> &'static str {
        match self {
            CmpOp::Eq => "=",
            CmpOp::Ne => "!=",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
        }
    }

    /// `a op b`.
    pub fn holds<T: Ord + ?Sized>(self, a: &T, b: &T) -> bool {
        let o = a.cmp(b);
        match self {
            CmpOp::Eq => o == Ordering::Equal,
            CmpOp::Ne => o != Ordering::Equal,
            CmpOp::Lt => o == Ordering::Less,
            CmpOp::Le => o != Ordering::Greater,
            CmpOp::Gt => o == Ordering::Greater,
            CmpOp::Ge => o != Ordering::Less,
        }
    }
}

/// Test on a text field. `Ne(v)` is exactly `not Eq(v)` (also for the
/// missing owner and for tags).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum TextTest {
    Eq(String),
    Ne(String),
    In(Vec<String>),
    /// Case-sensitive substring.
    Contains(String),
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum TierTest {
    Eq(Tier),
    Ne(Tier),
    In(Vec<Tier>),
}

/// Test on a number; money values are fen.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum NumberTest {
    Cmp(CmpOp, i64),
    In(Vec<i64>),
}

/// Test on a date field. Every test except `!=` is false when the date is
/// missing; `!=` is `not =` and so true.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum DateTest {
    Cmp(CmpOp, NaiveDate),
    In(Vec<NaiveDate>),
    /// `within Nd`: dated in `[as_of − (N−1), as_of]`. `within 0d` is never true.
    Within(u32),
}

/// One condition (an atom of the language).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Cond {
    Text { field: TextField, test: TextTest },
    Tier(TierTest),
    Number { field: NumberField, test: NumberTest },
    Date { field: DateField, test: DateTest },
}

impl Cond {
    pub fn field(&self) -> Field {
        match self {
            Cond::Text { field, .. } => field.field(),
            Cond::Tier(_) => Field::Tier,
            Cond::Number { field, .. } => field.field(),
            Cond::Date { field, .. } => field.field(),
        }
    }
}

/// A parsed segment filter.
///
/// `and`/`or` are binary and the parser builds them left-associative, so
/// `a and b and c` is `And(And(a, b), c)`; `Display` prints the parentheses
/// needed to keep any other shape, which makes `parse(&e.to_string()) == e`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Expr {
    Cond(Cond),
    Not(Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
}

impl Expr {
    pub fn and(self, rhs: Expr) -> Expr {
        Expr::And(Box::new(self), Box::new(rhs))
    }

    pub fn or(self, rhs: Expr) -> Expr {
        Expr::Or(Box::new(self), Box::new(rhs))
    }

    #[allow(clippy::should_implement_trait)] // a builder, not boolean negation
    pub fn not(self) -> Expr {
        Expr::Not(Box::new(self))
    }

    /// Number of conditions (atoms) in the tree.
    pub fn condition_count(&self) -> usize {
        match self {
            Expr::Cond(_) => 1,
            Expr::Not(e) => e.condition_count(),
            Expr::And(a, b) | Expr::Or(a, b) => a.condition_count() + b.condition_count(),
        }
    }
}

impl From<Cond> for Expr {
    fn from(c: Cond) -> Expr {
        Expr::Cond(c)
    }
}
