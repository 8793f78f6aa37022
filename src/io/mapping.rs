//! Which column holds which field: detected from Chinese or English headers,
//! or given explicitly by the user in the import UI.

use std::fmt;

use super::names::{half_width_char, is_blank_char};
use super::values::AmountUnit;

/// What a file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ImportKind {
    Customers,
    Interactions,
}

/// A field a column can be mapped to. Customer and interaction imports share
/// the enum: `Name` and `CreditCode` identify the customer in both.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    /// The customer's (company) name.
    Name,
    /// `客户/联系人` as in the team's follow-up template: `A公司/王总`.
    NameAndContact,
    CreditCode,
    Industry,
    Region,
    City,
    AnnualPurchase,
    /// The contact person's name.
    Contact,
    Title,
    Phone,
    Email,
    /// The owning rep's e-mail.
    Owner,
    Tags,
    PainPoints,
    Source,
    /// Interaction date, possibly with a time.
    Date,
    /// Interaction time of day, when the sheet keeps it in its own column.
    Time,
    Channel,
    Kind,
    Note,
    /// The customer's reaction (反馈: objection or interest).
    Feedback,
    /// Next action (下一步: time + what).
    NextAction,
    Amount,
}

impl Field {
    pub const CUSTOMER_FIELDS: &'static [Field] = &[
        Field::Name,
        Field::NameAndContact,
        Field::CreditCode,
        Field::Industry,
        Field::Region,
        Field::City,
        Field::AnnualPurchase,
        Field::Contact,
        Field::Title,
        Field::Phone,
        Field::Email,
        Field::Owner,
        Field::Tags,
        Field::PainPoints,
        Field::Source,
    ];

    pub const INTERACTION_FIELDS: &'static [Field] = &[
        Field::Name,
        Field::NameAndContact,
        Field::CreditCode,
        Field::Contact,
        Field::Date,
        Field::Time,
        Field::Channel,
        Field::Kind,
        Field::Note,
        Field::Feedback,
        Field::NextAction,
        Field::Amount,
    ];

    /// The fields an import of `kind` reads; others are ignored.
    pub fn for_kind(kind: ImportKind) -> &'static [Field] {
        match kind {
            ImportKind::Customers => Self::CUSTOMER_FIELDS,
            ImportKind::Interactions => Self::INTERACTION_FIELDS,
        }
    }

    /// The English code (also the serde name).
    pub fn as_str(self) -> &'static str {
        match self {
            Field::Name => "name",
            Field::NameAndContact => "name_and_contact",
            Field::CreditCode => "credit_code",
            Field::Industry => "industry",
            Field::Region => "region",
            Field::City => "city",
            Field::AnnualPurchase => "annual_purchase",
            Field::Contact => "contact",
            Field::Title => "title",
            Field::Phone => "phone",
            Field::Email => "email",
            Field::Owner => "owner",
            Field::Tags => "tags",
            Field::PainPoints => "pain_points",
            Field::Source => "source",
            Field::Date => "date",
            Field::Time => "time",
            Field::Channel => "channel",
            Field::Kind => "kind",
            Field::Note => "note",
            Field::Feedback => "feedback",
            Field::NextAction => "next_action",
            Field::Amount => "amount",
        }
    }

    /// The Chinese header the team's templates use.
    pub fn label_zh(self) -> &'static str {
        match self {
            Field::Name => "客户名称",
            Field::NameAndContact => "客户/联系人",
            Field::CreditCode => "统一社会信用代码",
            Field::Industry => "所属行业",
            Field::Region => "区域",
            Field::City => "城市",
            Field::AnnualPurchase => "年采购额",
            Field::Contact => "联系人",
            Field::Title => "职务",
            Field::Phone => "电话",
            Field::Email => "邮箱",
            Field::Owner => "负责人",
            Field::Tags => "标签",
            Field::PainPoints => "痛点",
            Field::Source => "来源",
            Field::Date => "日期",
            Field::Time => "时间",
            Field::Channel => "方式",
            Field::Kind => "类型",
            Field::Note => "备注",
            Field::Feedback => "反馈",
            Field::NextAction => "下一步",
            Field::Amount => "金额",
        }
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.label_zh(), self.as_str())
    }
}

/// Header synonyms, in [`header_key`] form (lowercase, half-width, no
/// spaces, `_`, `-`, `*` or bracketed notes).
#[rustfmt::skip]
const CUSTOMER_SYNONYMS: &[(Field, &[&str])] = &[
    (Field::Name, &["客户名称", "name", "客户", "客户名", "公司名称", "公司", "企业名称", "单位名称",
        "客户全称", "公司全称", "customer", "customername", "company", "companyname"]),
    (Field::NameAndContact, &["客户/联系人", "客户/联系人姓名", "customer/contact"]),
    (Field::CreditCode, &["统一社会信用代码", "creditcode", "信用代码", "社会信用代码", "统一信用代码",
        "税号", "纳税人识别号", "uscc", "unifiedsocialcreditcode"]),
    (Field::Industry, &["所属行业", "industry", "行业", "行业类别", "行业分类"]),
    (Field::Region, &["区域", "region", "大区", "所属区域", "销售区域", "地区", "area"]),
    (Field::City, &["城市", "city", "所在城市", "所在地"]),
    (Field::AnnualPurchase, &["年采购额", "annualpurchase", "年采购金额", "采购额", "年采购",
        "annualpurchases", "annualpurchaseamount"]),
    (Field::Contact, &["联系人", "contact", "联系人姓名", "姓名", "contactname", "联系人名称"]),
    (Field::Title, &["职务", "title", "职位", "岗位", "联系人职务", "联系人职位", "jobtitle", "position"]),
    (Field::Phone, &["电话", "phone", "手机", "联系电话", "手机号", "手机号码", "电话号码", "联系人电话",
        "联系人手机", "联系方式", "mobile", "tel", "telephone"]),
    (Field::Email, &["邮箱", "email", "电子邮箱", "邮件", "邮箱地址", "联系人邮箱", "mail", "emailaddress"]),
    (Field::Owner, &["负责人", "owner", "负责人邮箱", "归属销售", "所属销售", "销售", "客户经理", "跟进人",
        "owneremail", "salesrep"]),
    (Field::Tags, &["标签", "tags", "客户标签", "tag", "labels"]),
    (Field::PainPoints, &["痛点", "painpoints", "客户痛点", "painpoint", "需求痛点"]),
    (Field::Source, &["来源", "source", "客户来源", "线索来源", "leadsource"]),
];

#[rustfmt::skip]
const INTERACTION_SYNONYMS: &[(Field, &[&str])] = &[
    (Field::Name, &["客户名称", "customer", "客户", "公司名称", "客户名", "企业名称", "公司", "customername",
        "name", "company", "companyname"]),
    (Field::NameAndContact, &["客户/联系人", "客户/联系人姓名", "customer/contact"]),
    (Field::CreditCode, &["统一社会信用代码", "creditcode", "信用代码", "社会信用代码", "统一信用代码",
        "税号", "纳税人识别号", "uscc"]),
    (Field::Contact, &["联系人", "contact", "联系人姓名", "contactname"]),
    (Field::Date, &["日期", "date", "跟进日期", "跟进时间", "日期时间", "拜访日期", "拜访时间", "沟通时间",
        "沟通日期", "发生时间", "datetime", "occurredon", "occurredat"]),
    (Field::Time, &["时刻", "几点"]),
    (Field::Channel, &["方式", "channel", "渠道", "跟进方式", "沟通方式", "联系方式", "沟通渠道", "触达方式"]),
    (Field::Kind, &["类型", "kind", "跟进类型", "互动类型", "记录类型", "type"]),
    (Field::Note, &["备注", "note", "内容", "摘要", "沟通内容", "跟进内容", "沟通摘要", "跟进记录", "说明",
        "notes", "summary", "content"]),
    (Field::Feedback, &["客户反馈", "feedback", "反馈", "反馈意见"]),
    (Field::NextAction, &["下一步", "nextaction", "下一步行动", "下一步计划", "后续行动", "下步计划", "nextstep"]),
    (Field::Amount, &["金额", "amount", "订单金额", "成交金额", "合同金额"]),
];

/// Headers that mean the interaction's date when there is no better date
/// column, and its time of day when there is (`日期` + `时间`).
const TIME_OR_DATE: &[&str] = &["时间", "time"];

/// Normalises a header for matching and reads a unit hint from it:
/// `年采购额（万元）*` → (`年采购额`, Some(Wan)).
pub(crate) fn header_key(header: &str) -> (String, Option<AmountUnit>) {
    let mut key = String::with_capacity(header.len());
    let mut note = String::new();
    let mut depth = 0usize;
    for c in header.chars().map(half_width_char) {
        match c {
            '(' | '[' | '【' | '〔' => depth += 1,
            ')' | ']' | '】' | '〕' => depth = depth.saturating_sub(1),
            _ if depth > 0 => note.push(c),
            c if is_blank_char(c) || matches!(c, '_' | '-' | '*' | ':' | '.') => {}
            c => key.push(c.to_ascii_lowercase()),
        }
    }
    let unit_of = |s: &str| {
        let s = s.trim();
        if s.contains('万') || s.eq_ignore_ascii_case("w") {
            Some(AmountUnit::Wan)
        } else if s.contains('亿') {
            Some(AmountUnit::Yi)
        } else if s.contains('千') {
            Some(AmountUnit::Qian)
        } else if s.contains('元') || ["cny", "rmb", "yuan"].contains(&s.to_ascii_lowercase().as_str()) {
            Some(AmountUnit::Yuan)
        } else {
            None
        }
    };
    let mut unit = unit_of(&note);
    // `年采购额万元` / `年采购额/万元` without brackets.
    for (suffix, u) in
        [("/万元", AmountUnit::Wan), ("万元", AmountUnit::Wan), ("/元", AmountUnit::Yuan), ("亿元", AmountUnit::Yi)]
    {
        if key.len() > suffix.len() && key.ends_with(suffix) {
            key.truncate(key.len() - suffix.len());
            unit = unit.or(Some(u));
            break;
        }
    }
    (key, unit)
}

/// Why a mapping cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MappingError {
    /// Each entry is a requirement: one of its fields must be mapped.
    #[error("required column missing: {}", describe_missing(.0))]
    MissingColumns(Vec<&'static [Field]>),
    #[error("column {index} does not exist (the file has {count} columns)")]
    NoSuchColumn { index: usize, count: usize },
    #[error("{0} is mapped to more than one column")]
    FieldMappedTwice(Field),
}

impl MappingError {
    /// A stable code for the UI to localise.
    pub fn code(&self) -> &'static str {
        match self {
            MappingError::MissingColumns(_) => "column_missing",
            MappingError::NoSuchColumn { .. } => "column_out_of_range",
            MappingError::FieldMappedTwice(_) => "column_mapped_twice",
        }
    }
}

fn describe_missing(missing: &[&'static [Field]]) -> String {
    missing
        .iter()
        .map(|any_of| any_of.iter().map(Field::to_string).collect::<Vec<_>>().join(" or "))
        .collect::<Vec<_>>()
        .join("; ")
}

/// Which header index holds which field. Built by [`ColumnMapping::detect`]
/// or [`ColumnMapping::explicit`]; checked against an import kind by the
/// parsers (see [`ColumnMapping::check`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnMapping {
    headers: Vec<String>,
    fields: Vec<Option<Field>>,
    units: Vec<Option<AmountUnit>>,
}

impl ColumnMapping {
    /// Maps headers by name (case-, width- and space-insensitive, with
    /// synonyms; bracketed notes such as `（万元）` or `（必填）` are
    /// ignored, except that a unit there applies to bare numbers). When two
    /// columns claim one field the first wins and the second is ignored.
    pub fn detect(headers: &[String], kind: ImportKind) -> ColumnMapping {
        let synonyms = match kind {
            ImportKind::Customers => CUSTOMER_SYNONYMS,
            ImportKind::Interactions => INTERACTION_SYNONYMS,
        };
        let keys: Vec<(String, Option<AmountUnit>)> = headers.iter().map(|h| header_key(h)).collect();
        let mut fields: Vec<Option<Field>> = keys
            .iter()
            .map(|(key, _)| synonyms.iter().find(|(_, names)| names.contains(&key.as_str())).map(|(field, _)| *field))
            .collect();
        if kind == ImportKind::Interactions {
            let has_date = fields.contains(&Some(Field::Date));
            for (field, (key, _)) in fields.iter_mut().zip(&keys) {
                if field.is_none() && TIME_OR_DATE.contains(&key.as_str()) {
                    *field = Some(if has_date { Field::Time } else { Field::Date });
                }
            }
        }
        // First column wins a field; later claimants are ignored.
        for i in 0..fields.len() {
            if fields[i].is_some() && fields[..i].contains(&fields[i]) {
                fields[i] = None;
            }
        }
        ColumnMapping { headers: headers.to_vec(), fields, units: keys.into_iter().map(|(_, unit)| unit).collect() }
    }

    /// A mapping chosen by the user: `(header index, field)` pairs. Unit
    /// hints are still read from the headers.
    pub fn explicit(headers: &[String], pairs: &[(usize, Field)]) -> Result<ColumnMapping, MappingError> {
        let mut fields = vec![None; headers.len()];
        for &(index, field) in pairs {
            let slot = fields.get_mut(index).ok_or(MappingError::NoSuchColumn { index, count: headers.len() })?;
            if pairs.iter().filter(|(_, f)| *f == field).count() > 1 {
                return Err(MappingError::FieldMappedTwice(field));
            }
            *slot = Some(field);
        }
        Ok(ColumnMapping {
            headers: headers.to_vec(),
            fields,
            units: headers.iter().map(|h| header_key(h).1).collect(),
        })
    }

    /// The header index of `field`, if mapped.
    pub fn index_of(&self, field: Field) -> Option<usize> {
        self.fields.iter().position(|f| *f == Some(field))
    }

    /// The field at header `index`, if any.
    pub fn field_at(&self, index: usize) -> Option<Field> {
        self.fields.get(index).copied().flatten()
    }

    /// The header text at `index` as it appears in the file.
    pub fn header(&self, index: usize) -> &str {
        self.headers.get(index).map_or("", String::as_str)
    }

    /// The unit bare numbers in column `index` are in (from its header).
    pub fn amount_unit(&self, index: usize) -> AmountUnit {
        self.units.get(index).copied().flatten().unwrap_or_default()
    }

    /// All `(header index, field)` pairs, for the UI to show and edit.
    pub fn pairs(&self) -> Vec<(usize, Field)> {
        self.fields.iter().enumerate().filter_map(|(i, f)| f.map(|f| (i, f))).collect()
    }

    /// The requirements of `kind` this mapping does not meet: customers need
    /// a name; interactions need the customer (name or credit code), a date,
    /// and a channel or kind.
    pub fn missing(&self, kind: ImportKind) -> Vec<&'static [Field]> {
        const CUSTOMERS: &[&[Field]] = &[&[Field::Name, Field::NameAndContact]];
        const INTERACTIONS: &[&[Field]] =
            &[&[Field::Name, Field::NameAndContact, Field::CreditCode], &[Field::Date], &[Field::Channel, Field::Kind]];
        let requirements = match kind {
            ImportKind::Customers => CUSTOMERS,
            ImportKind::Interactions => INTERACTIONS,
        };
        requirements.iter().filter(|any_of| any_of.iter().all(|f| self.index_of(*f).is_none())).copied().collect()
    }

    /// `Ok` if an import of `kind` can run with this mapping.
    pub fn check(&self, kind: ImportKind) -> Result<(), MappingError> {
        let missing = self.missing(kind);
        if missing.is_empty() { Ok(()) } else { Err(MappingError::MissingColumns(missing)) }
    }

    /// Non-blank headers whose column an import of `kind` does not read.
    pub fn ignored_columns(&self, kind: ImportKind) -> Vec<String> {
        let wanted = Field::for_kind(kind);
        self.headers
            .iter()
            .enumerate()
            .filter(|(i, h)| !h.is_empty() && !self.field_at(*i).is_some_and(|f| wanted.contains(&f)))
            .map(|(_, h)| h.clone())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(h: &[&str]) -> Vec<String> {
        h.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn header_keys() {
        assert_eq!(header_key("年采购额（万元）*"), ("年采购额".into(), Some(AmountUnit::Wan)));
        assert_eq!(header_key("年采购额/万元"), ("年采购额".into(), Some(AmountUnit::Wan)));
        assert_eq!(header_key("Annual_Purchase (CNY)"), ("annualpurchase".into(), Some(AmountUnit::Yuan)));
        assert_eq!(header_key(" *客户名称（必填） "), ("客户名称".into(), None));
        assert_eq!(header_key("E-mail"), ("email".into(), None));
        assert_eq!(header_key("万元"), ("万元".into(), None));
    }

    #[test]
    fn detects_chinese_and_english_customer_headers() {
        let h = headers(&[
            "客户名称",
            "统一社会信用代码",
            "所属行业",
            "大区",
            "城市",
            "年采购额（万元）",
            "联系人姓名",
            "职务",
            "手机",
            "电子邮箱",
            "负责人邮箱",
            "标签",
            "痛点",
            "来源",
            "备注",
        ]);
        let m = ColumnMapping::detect(&h, ImportKind::Customers);
        let fields: Vec<_> = (0..h.len()).map(|i| m.field_at(i)).collect();
        assert_eq!(fields[..14].iter().flatten().count(), 14);
        assert_eq!(m.field_at(5), Some(Field::AnnualPurchase));
        assert_eq!(m.amount_unit(5), AmountUnit::Wan);
        assert_eq!(m.ignored_columns(ImportKind::Customers), ["备注"]);
        assert_eq!(m.check(ImportKind::Customers), Ok(()));

        let h = headers(&[
            "Name",
            "Credit Code",
            "INDUSTRY",
            "region",
            "City",
            "annual_purchase",
            "Contact",
            "Title",
            "Phone",
            "E-mail",
            "Owner",
            "Tags",
            "Pain Points",
            "Source",
        ]);
        let m = ColumnMapping::detect(&h, ImportKind::Customers);
        assert_eq!(m.pairs().len(), 14);
        assert_eq!(m.index_of(Field::PainPoints), Some(12));
    }

    #[test]
    fn first_column_wins_a_field() {
        let h = headers(&["客户名称", "电话", "手机"]);
        let m = ColumnMapping::detect(&h, ImportKind::Customers);
        assert_eq!(m.index_of(Field::Phone), Some(1));
        assert_eq!(m.ignored_columns(ImportKind::Customers), ["手机"]);
    }

    #[test]
    fn interaction_headers() {
        let h = headers(&["客户/联系人", "行业", "痛点", "时间", "方式", "摘要", "反馈", "下一步"]);
        let m = ColumnMapping::detect(&h, ImportKind::Interactions);
        assert_eq!(m.index_of(Field::NameAndContact), Some(0));
        assert_eq!(m.index_of(Field::Date), Some(3));
        assert_eq!(m.index_of(Field::Channel), Some(4));
        assert_eq!(m.index_of(Field::NextAction), Some(7));
        assert_eq!(m.ignored_columns(ImportKind::Interactions), ["行业", "痛点"]);
        assert_eq!(m.check(ImportKind::Interactions), Ok(()));

        let h = headers(&["客户名称", "日期", "时间", "类型"]);
        let m = ColumnMapping::detect(&h, ImportKind::Interactions);
        assert_eq!(m.index_of(Field::Date), Some(1));
        assert_eq!(m.index_of(Field::Time), Some(2));
    }

    #[test]
    fn missing_required_columns_are_named() {
        let m = ColumnMapping::detect(&headers(&["城市", "行业"]), ImportKind::Customers);
        let err = m.check(ImportKind::Customers).unwrap_err();
        assert_eq!(err.code(), "column_missing");
        assert!(err.to_string().contains("客户名称 (name)"), "{err}");

        let m = ColumnMapping::detect(&headers(&["备注"]), ImportKind::Interactions);
        let err = m.check(ImportKind::Interactions).unwrap_err();
        assert_eq!(
            err.to_string(),
            "required column missing: 客户名称 (name) or 客户/联系人 (name_and_contact) or 统一社会信用代码 (credit_code); \
             日期 (date); 方式 (channel) or 类型 (kind)"
        );
    }

    #[test]
    fn explicit_mapping() {
        let h = headers(&["甲", "乙（万元）", "丙"]);
        let m = ColumnMapping::explicit(&h, &[(0, Field::Name), (1, Field::AnnualPurchase)]).unwrap();
        assert_eq!(m.index_of(Field::AnnualPurchase), Some(1));
        assert_eq!(m.amount_unit(1), AmountUnit::Wan);
        assert_eq!(m.ignored_columns(ImportKind::Customers), ["丙"]);
        assert_eq!(
            ColumnMapping::explicit(&h, &[(3, Field::Name)]),
            Err(MappingError::NoSuchColumn { index: 3, count: 3 })
        );
        assert_eq!(
            ColumnMapping::explicit(&h, &[(0, Field::Name), (2, Field::Name)]),
            Err(MappingError::FieldMappedTwice(Field::Name))
        );
    }
}
