//! Unit tests. They need no extra dependencies; the SQL-vs-evaluator
//! property test against a real database lives outside the module.

use chrono::NaiveDate;

use super::testgen;
use super::*;
use crate::domain::customer::InteractionKind::{Call, Inquiry, Order};

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).expect("valid test date")
}

fn p(s: &str) -> Expr {
    match parse(s) {
        Ok(e) => e,
        Err(e) => panic!("{s:?} should parse: {e}"),
    }
}

fn err(s: &str) -> ParseError {
    match parse(s) {
        Ok(e) => panic!("{s:?} should not parse, got {e:?}"),
        Err(e) => e,
    }
}

fn text(field: TextField, test: TextTest) -> Expr {
    Expr::Cond(Cond::Text { field, test })
}

fn eq(field: TextField, v: &str) -> Expr {
    text(field, TextTest::Eq(v.to_owned()))
}

// ---------------------------------------------------------------- parsing

#[test]
fn parses_product_examples() {
    let e = p(r#"region = "华东" and industry = "制造业" and annual_purchase > 5000000"#);
    let expected = eq(TextField::Region, "华东").and(eq(TextField::Industry, "制造业")).and(Expr::Cond(Cond::Number {
        field: NumberField::AnnualPurchase,
        test: NumberTest::Cmp(CmpOp::Gt, 500_000_000),
    }));
    assert_eq!(e, expected);
    assert_eq!(e, p(r#"region = "华东" and industry = "制造业" and annual_purchase > 500万"#));

    let e = p(r#"tier in ["S","B"] and last_inquiry within 90d and not tag = "竞品客户""#);
    let expected = Expr::Cond(Cond::Tier(TierTest::In(vec![Tier::S, Tier::B])))
        .and(Expr::Cond(Cond::Date { field: DateField::LastInquiry, test: DateTest::Within(90) }))
        .and(eq(TextField::Tag, "竞品客户").not());
    assert_eq!(e, expected);
}

#[test]
fn precedence_not_over_and_over_or() {
    let a = || eq(TextField::Region, "a");
    let b = || eq(TextField::Region, "b");
    let c = || eq(TextField::Region, "c");
    assert_eq!(p(r#"region = "a" or region = "b" and region = "c""#), a().or(b().and(c())));
    assert_eq!(p(r#"region = "a" and region = "b" or region = "c""#), a().and(b()).or(c()));
    assert_eq!(p(r#"not region = "a" and region = "b""#), a().not().and(b()));
    assert_eq!(p(r#"not (region = "a" and region = "b")"#), a().and(b()).not());
    assert_eq!(p(r#"(region = "a" or region = "b") and region = "c""#), a().or(b()).and(c()));
    assert_eq!(p(r#"not not region = "a""#), a().not().not());
    // left-associative chains
    assert_eq!(p(r#"region = "a" or region = "b" or region = "c""#), a().or(b()).or(c()));
}

#[test]
fn keywords_and_fields_ignore_case() {
    assert_eq!(p(r#"REGION = "a" AND Not Tag Contains "x""#), p(r#"region = "a" and not tag contains "x""#));
    assert_eq!(p("Tier IN [s, \"b\"]"), p(r#"tier in ["S", "B"]"#));
}

#[test]
fn chinese_keyboard_forms() {
    let canonical = p(r#"(region = "华东" or region = "华南") and tier in ["S", "B"]"#);
    assert_eq!(p("（region ＝ “华东” or region = “华南”） and tier in 【“S”，“B”】"), canonical);
    assert_eq!(p("（region = ＂华东＂ or region = \"华南\"）and tier in [\"S\"、\"B\"]"), canonical);
    // ideographic space is whitespace
    assert_eq!(p("region\u{3000}=\u{3000}\"华东\""), eq(TextField::Region, "华东"));
}

#[test]
fn numbers_money_and_counts() {
    let money = |s: &str| match p(&format!("annual_purchase >= {s}")) {
        Expr::Cond(Cond::Number { test: NumberTest::Cmp(CmpOp::Ge, v), .. }) => v,
        other => panic!("unexpected {other:?}"),
    };
    assert_eq!(money("5000000"), 500_000_000);
    assert_eq!(money("500万"), 500_000_000);
    assert_eq!(money("1.5万"), 1_500_000);
    assert_eq!(money("0.5"), 50);
    assert_eq!(money("12.34"), 1234);
    assert_eq!(money("1亿"), 10_000_000_000);
    assert_eq!(money("1.23456万"), 1_234_560);
    assert_eq!(money("-1"), -100);
    let e = err("annual_purchase > 1.234");
    assert_eq!((e.position, e.kind), (19, ParseErrorKind::Type));
    assert!(e.expected.contains("2 decimal places"), "{e}");
    assert_eq!(err("annual_purchase > 99999999999999999999").kind, ParseErrorKind::Type);

    assert_eq!(
        p("interactions_30d >= 3"),
        Expr::Cond(Cond::Number { field: NumberField::Interactions30d, test: NumberTest::Cmp(CmpOp::Ge, 3) })
    );
    assert!(err("interactions_30d > 2.5").expected.contains("whole number"));
    assert_eq!(p("interactions_30d > 2.0"), p("interactions_30d > 2"));
}

#[test]
fn dates_bare_quoted_and_chinese() {
    let e = p("last_interaction >= 2025-10-01");
    assert_eq!(
        e,
        Expr::Cond(Cond::Date { field: DateField::LastInteraction, test: DateTest::Cmp(CmpOp::Ge, d(2025, 10, 1)) })
    );
    assert_eq!(p(r#"last_interaction >= "2025-10-01""#), e);
    assert_eq!(p("last_interaction >= 2025年10月1日"), e);
    assert_eq!(p("last_interaction >= 2025/10/1"), e);
    assert_eq!(
        p("last_inquiry in [2025-10-01, \"2025-10-02\"]"),
        Expr::Cond(Cond::Date {
            field: DateField::LastInquiry,
            test: DateTest::In(vec![d(2025, 10, 1), d(2025, 10, 2)]),
        })
    );
    let e = err("last_inquiry > \"yesterday\"");
    assert_eq!((e.position, e.kind), (16, ParseErrorKind::Type));
    assert_eq!(e.found, "'\"yesterday\"'");
    let e = err("last_inquiry > 2025-02-30");
    assert_eq!(e.position, 16);
    assert!(e.expected.contains("valid calendar date"));
}

#[test]
fn lists_and_negated_sugar() {
    assert_eq!(
        p(r#"region in ("华东", "华南",)"#),
        text(TextField::Region, TextTest::In(vec!["华东".into(), "华南".into()]))
    );
    assert_eq!(p("tag in []"), text(TextField::Tag, TextTest::In(vec![])));
    assert_eq!(p(r#"tier not in ["C"]"#), Expr::Cond(Cond::Tier(TierTest::In(vec![Tier::C]))).not());
    assert_eq!(p(r#"name not contains "科技""#), text(TextField::Name, TextTest::Contains("科技".into())).not());
    assert_eq!(p(r#"owner != "ming@rally.test""#), text(TextField::Owner, TextTest::Ne("ming@rally.test".into())));
}

#[test]
fn error_positions_count_characters() {
    // `region = "华东" and ` is 18 characters; the bad field starts at 19.
    let e = err(r#"region = "华东" and regoin = "华南""#);
    assert_eq!(e.position, 19);
    assert_eq!(e.found, "'regoin'");
    assert!(e.expected.starts_with("a field name (name, industry"));
    assert_eq!(e.kind, ParseErrorKind::Syntax);
    assert_eq!(e.to_string(), format!("at character 19: expected {}, found 'regoin'", e.expected));

    let e = err("region = 华东");
    assert_eq!((e.position, e.found.as_str(), e.kind), (10, "'华东'", ParseErrorKind::Syntax));
    assert!(e.expected.contains("double quotes"));

    let e = err("");
    assert_eq!((e.position, e.found.as_str()), (1, "end of input"));
    let e = err("region =");
    assert_eq!((e.position, e.found.as_str()), (9, "end of input"));
    let e = err(r#"region = "华东"#);
    assert_eq!(e.position, 10);
    assert!(e.expected.contains("closing quote"));
    let e = err(r#"(region = "a""#);
    assert_eq!((e.position, e.expected.as_str()), (14, "')', 'and' or 'or'"));
    let e = err(r#"region = "a" region = "b""#);
    assert_eq!((e.position, e.expected.as_str()), (14, "'and', 'or' or end of input"));
    let e = err(r#"region = "a\q""#);
    assert_eq!(e.position, 12);
    let e = err("last_inquiry within 90");
    assert_eq!((e.position, e.found.as_str()), (21, "'90'"));
    let e = err("region ! \"x\"");
    assert_eq!((e.position, e.found.as_str()), (8, "'!'"));
}

#[test]
fn type_errors_name_the_position() {
    let e = err(r#"tier > "S""#);
    assert_eq!((e.position, e.kind), (6, ParseErrorKind::Type));
    assert_eq!(e.expected, "an operator for tier: =, !=, in or not in");
    let e = err(r#"industry < "制造业""#);
    assert_eq!((e.position, e.kind), (10, ParseErrorKind::Type));
    let e = err(r#"annual_purchase contains "5""#);
    assert_eq!((e.position, e.kind), (17, ParseErrorKind::Type));
    let e = err("region within 30d");
    assert_eq!((e.position, e.kind), (8, ParseErrorKind::Type));
    let e = err(r#"tier = "A""#);
    assert_eq!((e.position, e.kind, e.found.as_str()), (8, ParseErrorKind::Type, "'\"A\"'"));
    let e = err(r#"annual_purchase = "500""#);
    assert_eq!((e.position, e.kind), (19, ParseErrorKind::Type));
    let e = err("region = 5");
    assert_eq!((e.position, e.kind), (10, ParseErrorKind::Type));
    let e = err(r#"tier not contains "S""#);
    assert_eq!(e.position, 10);
    let e = err(r#"region foo "x""#);
    assert_eq!((e.position, e.kind), (8, ParseErrorKind::Syntax));
}

#[test]
fn limits_give_clear_errors() {
    let deep = format!("{}region = \"a\"{}", "(".repeat(40), ")".repeat(40));
    let e = err(&deep);
    assert_eq!((e.kind, e.position), (ParseErrorKind::Limit, MAX_DEPTH + 1));
    let ok = format!("{}region = \"a\"{}", "(".repeat(MAX_DEPTH), ")".repeat(MAX_DEPTH));
    p(&ok);
    let nots = format!("{}region = \"a\"", "not ".repeat(1000));
    assert_eq!(err(&nots).kind, ParseErrorKind::Limit);

    let many = vec![r#"tag = "x""#; MAX_CONDITIONS + 1].join(" or ");
    let e = err(&many);
    assert_eq!(e.kind, ParseErrorKind::Limit);
    assert!(e.expected.contains("conditions"));

    let long = format!("name = \"{}\"", "长".repeat(MAX_INPUT_CHARS));
    let e = err(&long);
    assert_eq!((e.kind, e.position), (ParseErrorKind::Limit, MAX_INPUT_CHARS + 1));
    // Huge inputs are rejected without scanning them all.
    let huge = "(".repeat(5_000_000);
    assert_eq!(err(&huge).kind, ParseErrorKind::Limit);
}

// ------------------------------------------------------------- round trip

#[test]
fn canonical_text() {
    let cases = [
        (r#"REGION = “华东” AND annual_purchase>5000000"#, r#"region = "华东" and annual_purchase > 500万"#),
        ("annual_purchase <= 1234.5", "annual_purchase <= 1234.5"),
        ("annual_purchase = 0.05", "annual_purchase = 0.05"),
        ("annual_purchase = 15000", "annual_purchase = 15000"),
        ("annual_purchase = -2万", "annual_purchase = -2万"),
        ("tier in [s,b]", r#"tier in ["S", "B"]"#),
        ("tier <> c", r#"tier != "C""#),
        ("last_inquiry within 90天", "last_inquiry within 90d"),
        ("last_inquiry >= \"2025/1/2\"", "last_inquiry >= 2025-01-02"),
        (r#"name contains "a\"b\\c""#, r#"name contains "a\"b\\c""#),
        (r#"name not in ()"#, "not name in []"),
        (
            r#"(region = "a" or region = "b") and not (tag = "x" or tag = "y")"#,
            r#"(region = "a" or region = "b") and not (tag = "x" or tag = "y")"#,
        ),
        (r#"region = "a" and (region = "b" and region = "c")"#, r#"region = "a" and (region = "b" and region = "c")"#),
        (r#"((region = "a" and region = "b")) and region = "c""#, r#"region = "a" and region = "b" and region = "c""#),
    ];
    for (input, canonical) in cases {
        let e = p(input);
        assert_eq!(e.to_string(), canonical, "canonical text of {input:?}");
        assert_eq!(p(canonical), e, "re-parse of {canonical:?}");
    }
}

#[test]
fn round_trip_of_hand_built_shapes() {
    let a = || eq(TextField::City, "上海");
    let b = || text(TextField::Tag, TextTest::Contains("”\"＂\\".into()));
    let c = || {
        Expr::Cond(Cond::Number {
            field: NumberField::AnnualPurchase,
            test: NumberTest::In(vec![i64::MIN, i64::MAX, 0, 1, 10, 1_000_000]),
        })
    };
    let shapes = [
        a().and(b().and(c())),
        a().or(b().or(c())),
        a().and(b()).or(c()),
        a().or(b()).and(c()),
        a().and(b().or(c())).not(),
        a().not().not().or(b().not()),
        c().and(a().or(b()).not()),
    ];
    for e in shapes {
        assert_eq!(p(&e.to_string()), e, "{e}");
    }
}

#[test]
fn round_trip_of_random_exprs() {
    for seed in 0..3_000 {
        let e = testgen::random_expr(seed, 5);
        let s = e.to_string();
        assert_eq!(p(&s), e, "seed {seed}: {s}");
        assert_eq!(p(&s).to_string(), s);
    }
}

// ------------------------------------------------------------ never panic

/// Deterministic fuzzing without proptest: random token soup and mutations
/// of valid filters must give `Ok` or `Err`, never a panic.
#[test]
fn parser_never_panics_on_garbage() {
    const PIECES: [&str; 40] = [
        "region",
        "tier",
        "annual_purchase",
        "last_inquiry",
        "tag",
        "owner",
        " and ",
        " or ",
        "not ",
        "in",
        "contains",
        "within",
        "(",
        ")",
        "[",
        "]",
        "（",
        "）",
        "【",
        "】",
        ",",
        "，",
        "=",
        "!=",
        "<",
        ">=",
        "\"",
        "“",
        "”",
        "\\",
        "90d",
        "500万",
        "1.5",
        "-",
        "2025-10-01",
        "2025年",
        "华东",
        " ",
        "\u{3000}",
        "\u{0}",
    ];
    let mut r = testgen::Rng::new(7);
    for _ in 0..20_000 {
        let n = r.below(12) as usize;
        let s: String = (0..n).map(|_| r.pick(&PIECES)).collect();
        let _ = parse(&s);
    }
    for seed in 0..2_000 {
        let base: Vec<char> = testgen::random_expr(seed, 3).to_string().chars().collect();
        let mut chars = base.clone();
        for _ in 0..=r.below(3) {
            let at = r.below(chars.len() as u64 + 1) as usize;
            match r.below(3) {
                0 if at < chars.len() => {
                    chars.remove(at);
                }
                1 => chars.insert(at, r.pick(&['"', '(', ')', '[', '9', '万', '-', '年', '\\'])),
                _ => chars.truncate(at),
            }
        }
        let s: String = chars.into_iter().collect();
        if let Err(e) = parse(&s) {
            assert!(e.position >= 1 && e.position <= s.chars().count() + 1, "{s:?}: {e}");
        }
    }
}

// ------------------------------------------------------------- evaluation

fn facts() -> CustomerFacts {
    CustomerFacts {
        name: "华东精密制造".into(),
        industry: "制造业".into(),
        region: "华东".into(),
        city: "苏州".into(),
        annual_purchase_fen: 600_000_000,
        owner_email: Some("ming@rally.test".into()),
        source: "展会".into(),
        tags: vec!["老客户".into()],
        interactions: vec![],
    }
}

const RULES: TierRules = TierRules { s_min_interactions: 3, s_window_days: 30, b_window_days: 60 };

fn ev(s: &str, f: &CustomerFacts, as_of: NaiveDate) -> bool {
    evaluate(&p(s), f, as_of, &RULES)
}

#[test]
fn evaluates_product_example() {
    let t = d(2025, 10, 31);
    let f = facts();
    assert!(ev(r#"region = "华东" and industry = "制造业" and annual_purchase > 500万"#, &f, t));
    assert!(!ev("annual_purchase > 600万", &f, t));
    assert!(ev("annual_purchase >= 600万", &f, t));
}

#[test]
fn tier_windows_are_inclusive() {
    let t = d(2025, 10, 31);
    let mut f = facts();
    assert_eq!(tier_of(&f, t, &RULES), Tier::C);
    // an inquiry 59 days ago is inside the 60-day window, 60 days ago is not
    f.interactions = vec![(d(2025, 9, 2), Inquiry)];
    assert_eq!(tier_of(&f, t, &RULES), Tier::B);
    f.interactions = vec![(d(2025, 9, 1), Inquiry)];
    assert_eq!(tier_of(&f, t, &RULES), Tier::C);
    // three interactions in [t-29, t]; one more day back drops S
    f.interactions = vec![(d(2025, 10, 2), Call), (t, Call), (t, Call)];
    assert_eq!(tier_of(&f, t, &RULES), Tier::S);
    f.interactions[0].0 = d(2025, 10, 1);
    assert_eq!(tier_of(&f, t, &RULES), Tier::C);
    // interactions after as_of do not count
    f.interactions = vec![(d(2025, 11, 1), Inquiry); 5];
    assert_eq!(tier_of(&f, t, &RULES), Tier::C);
    // k = 0 makes everyone S; zero-day windows are empty
    let all_s = TierRules { s_min_interactions: 0, ..RULES };
    assert_eq!(tier_of(&facts(), t, &all_s), Tier::S);
    let empty = TierRules { s_window_days: 0, b_window_days: 0, ..RULES };
    f.interactions = vec![(t, Inquiry); 5];
    assert_eq!(tier_of(&f, t, &empty), Tier::C);
}

#[test]
fn null_semantics() {
    let t = d(2025, 10, 31);
    let mut f = facts();
    f.owner_email = None;
    assert!(ev("not last_inquiry within 90d", &f, t));
    assert!(!ev("last_inquiry within 90d", &f, t));
    assert!(!ev("last_inquiry < 2030-01-01", &f, t));
    assert!(!ev("last_inquiry >= 2000-01-01", &f, t));
    assert!(ev("last_inquiry != 2025-10-01", &f, t));
    assert!(!ev(r#"owner = "ming@rally.test""#, &f, t));
    assert!(ev(r#"owner != "ming@rally.test""#, &f, t));
    assert!(!ev(r#"owner contains """#, &f, t));
    assert!(!ev(r#"owner in ["ming@rally.test"]"#, &f, t));
    assert!(ev(r#"not owner in ["ming@rally.test"]"#, &f, t));
    assert!(ev("interactions_30d = 0", &f, t));
}

#[test]
fn last_dates_are_as_of() {
    let t = d(2025, 10, 31);
    let mut f = facts();
    f.interactions = vec![
        (d(2025, 10, 1), Inquiry),
        (d(2025, 10, 20), Call),
        (d(2025, 11, 5), Inquiry), // after as_of: ignored
    ];
    assert!(ev("last_inquiry = 2025-10-01", &f, t));
    assert!(ev("last_interaction = 2025-10-20", &f, t));
    assert!(ev("last_inquiry within 31d", &f, t));
    assert!(!ev("last_inquiry within 30d", &f, t));
    assert!(ev("interactions_30d = 1", &f, t));
    assert!(ev("last_inquiry = 2025-11-05", &f, d(2025, 11, 5)));
    assert!(!ev("last_inquiry within 0d", &f, t));
}

#[test]
fn tag_and_text_semantics() {
    let t = d(2025, 10, 31);
    let mut f = facts();
    f.tags = vec!["老客户".into(), "VIP".into()];
    assert!(ev(r#"tag = "VIP""#, &f, t));
    assert!(ev(r#"tag != "竞品客户""#, &f, t));
    assert!(!ev(r#"tag != "VIP""#, &f, t));
    assert!(ev(r#"tag in ["竞品客户", "VIP"]"#, &f, t));
    assert!(ev(r#"tag contains "客户""#, &f, t));
    assert!(!ev(r#"tag contains "vip""#, &f, t), "contains is case-sensitive");
    assert!(!ev("tag in []", &f, t));
    f.tags.clear();
    assert!(ev(r#"tag != "VIP""#, &f, t));
    assert!(!ev(r#"tag contains """#, &f, t), "no tags: nothing contains anything");
    assert!(ev(r#"name contains "精密""#, &f, t));
    assert!(ev(r#"name contains """#, &f, t));
    f.industry.clear();
    assert!(ev(r#"industry = """#, &f, t));
}

#[test]
fn derived_columns_follow_their_definition() {
    let mut f = facts();
    f.interactions =
        vec![(d(2025, 10, 1), Inquiry), (d(2025, 10, 9), Call), (d(2025, 10, 9), Call), (d(2025, 9, 1), Inquiry)];
    let cols = derived_columns(&f, &RULES);
    assert_eq!(cols.last_interaction_on, Some(d(2025, 10, 9)));
    assert_eq!(cols.last_inquiry_on, Some(d(2025, 10, 1)));
    assert_eq!(cols.s_anchor_on, Some(d(2025, 10, 1)));
    f.interactions.truncate(2);
    assert_eq!(derived_columns(&f, &RULES).s_anchor_on, None);
    f.interactions.push((d(2025, 9, 20), Order));
    assert_eq!(derived_columns(&f, &RULES).last_order_on, Some(d(2025, 9, 20)));
}

#[test]
fn inquired_but_not_bought() {
    // The seed's outreach priority: an inquiry in the last 3 months and no order since.
    let t = d(2025, 10, 31);
    let filter = "last_inquiry within 90d and not last_order within 90d";
    let mut f = facts();
    f.interactions = vec![(d(2025, 10, 1), Inquiry)];
    assert!(ev(filter, &f, t));
    f.interactions.push((d(2025, 10, 20), Order));
    assert!(!ev(filter, &f, t), "bought since");
    assert!(ev("last_order = 2025-10-20", &f, t));
    assert!(!ev("last_order = 2025-10-20", &f, d(2025, 10, 19)), "an order after as_of is not seen");
    f.interactions = vec![(d(2025, 10, 1), Inquiry), (d(2025, 6, 1), Order)];
    assert!(ev(filter, &f, t), "an order long ago does not count");
    assert_eq!(p("最近下单 近 90天"), p("last_order within 90d"));
    assert_eq!(p("last_order within 90d").to_chinese(), "最近下单 近 90天");
}

// -------------------------------------------------------------------- SQL

fn ctx(dialect: Dialect, anchored: bool) -> SqlContext {
    SqlContext { dialect, as_of: d(2025, 10, 31), rules: RULES, first_param: 3, anchored }
}

#[test]
fn sql_binds_every_value_and_numbers_from_first_param() {
    let e = p(r#"name contains "x' OR 1=1 --" and owner = "ming@rally.test" and tier = "B""#);
    let f = compile(&e, &ctx(Dialect::Postgres, true));
    assert!(!f.sql.contains("OR 1=1"), "user text must be a parameter");
    assert!(f.sql.contains("strpos(c.name, $3) > 0"), "{}", f.sql);
    assert!(f.sql.contains("u.email = $4"), "{}", f.sql);
    assert!(!f.sql.contains("$2") && !f.sql.contains("$1 "));
    assert_eq!(f.params[0], SqlParam::Text("x' OR 1=1 --".into()));
    // every placeholder is used
    for i in 0..f.params.len() {
        assert!(f.sql.contains(&format!("${}", i + 3)), "{}", f.sql);
    }
    let s = compile(&e, &ctx(Dialect::Sqlite, true)).sql;
    assert!(s.contains("instr(c.name, $3) > 0"), "{s}");
}

#[test]
fn sql_dedupes_parameters() {
    let e = p(r#"region = "华东" or region = "华东" or last_inquiry within 30d or interactions_30d > 1"#);
    let f = compile(&e, &ctx(Dialect::Sqlite, false));
    let t = SqlParam::Date(d(2025, 10, 31));
    assert_eq!(f.params.iter().filter(|p| **p == t).count(), 1);
    assert_eq!(f.params.iter().filter(|p| **p == SqlParam::Text("华东".into())).count(), 1);
}

#[test]
fn sql_anchored_uses_derived_columns() {
    let e = p(r#"tier = "S" and last_inquiry within 90d"#);
    let a = compile(&e, &ctx(Dialect::Postgres, true)).sql;
    assert!(a.contains("c.s_anchor_on >= $"), "{a}");
    assert!(a.contains("c.last_inquiry_on IS NOT NULL"), "{a}");
    assert!(!a.contains("interactions i"), "{a}");
    let h = compile(&e, &ctx(Dialect::Postgres, false)).sql;
    assert!(!h.contains("s_anchor_on") && !h.contains("last_inquiry_on"), "{h}");
    assert!(h.contains("COUNT(*)") && h.contains("i.kind = 'inquiry'"), "{h}");
}

#[test]
fn tier_sql_is_a_case() {
    let (sql, params) = tier_sql(&ctx(Dialect::Sqlite, true));
    assert!(sql.starts_with("(CASE WHEN ") && sql.ends_with(" THEN 'B' ELSE 'C' END)"));
    assert_eq!(params.len(), 3, "S start, B start, as_of: {params:?}");
}

#[test]
fn empty_lists_compile_to_false() {
    for s in ["tag in []", "region in []", "tier in []", "last_inquiry in []", "interactions_30d in []"] {
        let f = compile(&p(s), &ctx(Dialect::Sqlite, false));
        assert_eq!(f.sql, "(1 = 0)", "{s}");
        assert!(f.params.is_empty());
    }
}

// ------------------------------------------------------------------- docs

/// The examples and error messages in docs/segments.md are what the code
/// does: every example filter parses, every documented error is verbatim.
#[test]
fn documentation_examples_are_accurate() {
    let doc = include_str!("../../../docs/segments.md");
    let section = |title: &str| -> &str {
        let start = doc.find(title).unwrap_or_else(|| panic!("section {title}"));
        let rest = &doc[start + title.len()..];
        &rest[..rest.find("\n## ").unwrap_or(rest.len())]
    };
    // Table rows `| … | `filter` |` / `| `filter` | message |`.
    let rows = |text: &str| -> Vec<Vec<String>> {
        text.lines()
            .filter(|l| l.starts_with('|') && !l.starts_with("|---") && !l.starts_with("| goal"))
            .map(|l| l.trim_matches('|').split(" | ").map(|c| c.trim().to_owned()).collect())
            .collect()
    };
    let code = |cell: &str| cell.trim_matches('`').to_owned();

    let examples = rows(section("## Quick examples"));
    assert!(examples.len() >= 10);
    for row in examples {
        p(&code(&row[1]));
    }
    let errors = rows(section("## Error messages"));
    assert!(errors.len() >= 10);
    for row in errors.iter().skip(1) {
        let e = err(&code(&row[0]));
        assert_eq!(e.to_string(), row[1], "documented error for {}", row[0]);
    }
    let std_form = section("## Standard form");
    let blocks: Vec<&str> = std_form.split("```").skip(1).step_by(2).map(str::trim).collect();
    assert_eq!(p(blocks[0]).to_string(), blocks[1]);
    let keyboard = section("### Typing on a Chinese keyboard");
    let blocks: Vec<&str> = keyboard.split("```").skip(1).step_by(2).map(str::trim).collect();
    assert_eq!(p(blocks[0]), p(blocks[1]));
}

#[test]
fn chinese_field_names_and_keywords_read_as_english() {
    let pairs = [
        (
            "区域 = \"华东\" 且 行业 = \"制造业\" 且 年采购额 > 500万",
            "region = \"华东\" and industry = \"制造业\" and annual_purchase > 500万",
        ),
        ("分级 属于 [\"S\", \"B\"] 且 最近询盘 近 90天", "tier in [\"S\", \"B\"] and last_inquiry within 90d"),
        ("非 标签 = \"竞品客户\" 或 客户名称 包含 \"科技\"", "not tag = \"竞品客户\" or name contains \"科技\""),
        ("年采购额 不低于 300万 且 近30天互动次数 大于等于 3", "annual_purchase >= 300万 and interactions_30d >= 3"),
        ("区域=\"华南\"且分级=\"S\"", "region = \"华南\" and tier = \"S\""),
        ("所属行业 不等于 \"\" 或者 城市 等于 \"苏州\"", "industry != \"\" or city = \"苏州\""),
    ];
    for (chinese, english) in pairs {
        let parsed = parse(chinese).unwrap_or_else(|e| panic!("{chinese}: {e}"));
        assert_eq!(parsed.to_string(), english, "{chinese}");
    }
    // Inside quotes nothing is translated.
    assert_eq!(parse("名称 = \"且或非\"").unwrap().to_string(), "name = \"且或非\"");
}

#[test]
fn the_chinese_rendering_reads_back_to_the_same_filter() {
    let e =
        parse("region = \"华东\" and (tier = \"S\" or not tag contains \"VIP\") and last_inquiry within 90d").unwrap();
    assert_eq!(e.to_chinese(), "区域 = \"华东\" 且 (分级 = \"S\" 或 非 标签 包含 \"VIP\") 且 最近询盘 近 90天");
    for seed in 0..500 {
        let expr = crate::domain::segment::testgen::random_expr(seed, 4);
        let zh = expr.to_chinese();
        assert_eq!(parse(&zh).unwrap_or_else(|err| panic!("{zh}: {err}")), expr, "{zh}");
        let plain = expr.to_plain_amounts();
        assert_eq!(parse(&plain).unwrap_or_else(|err| panic!("{plain}: {err}")), expr, "{plain}");
    }
    let e = parse("annual_purchase > 500万 and annual_purchase in [1.5万, 1234.5]").unwrap();
    assert_eq!(e.to_plain_amounts(), "annual_purchase > 5000000 and annual_purchase in [15000, 1234.5]");
}

// ------------------------------------------------------------ property tests

/// The `cargo fuzz` target `segment` (fuzz/) in the normal test run: any
/// text parses or is refused, quickly, and what parses prints back to text
/// that parses to the same filter.
mod properties {
    use std::time::{Duration, Instant};

    use proptest::prelude::*;

    use super::super::parse;

    fn filter_like() -> impl Strategy<Value = String> {
        let piece = prop::sample::select(vec![
            "region",
            "tier",
            "annual_purchase",
            "last_inquiry",
            "last_interaction",
            "tag",
            "owner",
            "industry",
            " and ",
            " or ",
            "not ",
            " in ",
            " contains ",
            " within ",
            "(",
            ")",
            "[",
            "]",
            "（",
            "）",
            ",",
            "，",
            " = ",
            " != ",
            " < ",
            " >= ",
            "\"",
            "“",
            "”",
            "\"华东\"",
            "\"S\"",
            "90d",
            "500万",
            "1.5亿",
            "-3",
            "2025-10-01",
            "2025年10月1日",
            " ",
            "\u{3000}",
            "\u{0}",
            "\\",
        ]);
        prop::collection::vec(piece, 0..24).prop_map(|pieces| pieces.concat())
    }

    proptest! {
        #[test]
        fn any_text_parses_or_is_refused_quickly(text in prop_oneof![any::<String>(), filter_like()]) {
            let started = Instant::now();
            if let Ok(expr) = parse(&text) {
                let printed = expr.to_string();
                prop_assert_eq!(parse(&printed).ok(), Some(expr), "{}", printed);
            }
            prop_assert!(started.elapsed() < Duration::from_secs(1), "{:?} took {:?}", text, started.elapsed());
        }
    }
}

// ------------------------------------------------------------ count parts

/// Counting a filter by its parts counts every matching customer exactly
/// once, for windows shorter, equal and longer than the B window, with other
/// conditions around the split ones and for filters left whole.
#[test]
fn count_parts_split_a_filter_into_disjoint_parts_that_cover_it() {
    let mut split = 0;
    for seed in 0..200 {
        let world = testgen::random_world(seed, true, 60);
        let ctx = SqlContext {
            dialect: Dialect::Sqlite,
            as_of: world.as_of,
            rules: world.rules,
            first_param: 1,
            anchored: true,
        };
        let other = testgen::random_expr(seed, 2);
        for days in [0, 1, 10, 29, 30, 31, 59, 60, 61, 90, 400] {
            let within = format!("last_inquiry within {days}d");
            for text in [
                format!("tier in [\"S\", \"B\"] and {within}"),
                format!("{within} and tier != \"C\""),
                format!("tier in [\"B\", \"S\", \"B\"] and {within}"),
                format!("tier = \"S\" and {within}"),
            ] {
                let expr = p(&text).and(other.clone());
                let parts = count_parts(&expr, &ctx);
                split += usize::from(parts.len() > 1);
                for (i, c) in world.customers.iter().enumerate() {
                    let whole = evaluate(&expr, c, world.as_of, &world.rules);
                    let hits = parts.iter().filter(|part| evaluate(part, c, world.as_of, &world.rules)).count();
                    assert_eq!(hits, usize::from(whole), "seed {seed}, customer {i}: {expr} as {parts:?}");
                }
            }
        }
    }
    assert!(split > 1_000, "the shape was split only {split} times");
    let exact = SqlContext {
        dialect: Dialect::Postgres,
        as_of: d(2025, 10, 31),
        rules: TierRules::default(),
        first_param: 1,
        anchored: false,
    };
    let e = p("tier in [\"S\", \"B\"] and last_inquiry within 90d");
    assert_eq!(count_parts(&e, &exact), vec![e], "the exact computation is counted whole");
}

// ------------------------------------------------------------ kept counts

/// A filter the kept counts answer counts exactly the customers the
/// reference evaluation matches, in anchored worlds (tiers and dates from
/// the maintained columns) and not (only region and industry qualify).
#[test]
fn kept_counts_count_what_the_filter_matches() {
    let mut answered = std::collections::HashMap::new();
    for seed in 0..400 {
        for anchored in [true, false] {
            let world = testgen::random_world(seed, anchored, 40);
            let ctx = SqlContext {
                dialect: Dialect::Sqlite,
                as_of: world.as_of,
                rules: world.rules,
                first_param: 1,
                anchored,
            };
            let mut filters: Vec<Expr> = (0..20).map(|i| testgen::random_expr(seed * 100 + i, 0)).collect();
            // Two tests joined by `and`, often on one column.
            filters.extend((0..20).map(|i| {
                let (a, b) = (testgen::random_expr(seed * 100 + i, 0), testgen::random_expr(seed * 100 + i + 7, 0));
                a.and(b)
            }));
            filters.extend(count_parts(&p("tier in [\"S\", \"B\"] and last_inquiry within 90d"), &ctx));
            filters.extend(
                [
                    "tier = \"S\"",
                    "last_inquiry within 90d",
                    "last_order >= 2025-06-01",
                    "last_interaction < 2025-10-01",
                ]
                .map(p),
            );
            for expr in filters {
                let Some(kept) = kept_count(&expr, &ctx) else { continue };
                assert!(anchored || !kept.dimension.is_date(), "{expr} kept unanchored as {kept:?}");
                *answered.entry(kept.dimension).or_insert(0) += 1;
                for (i, c) in world.customers.iter().enumerate() {
                    let activity = derived_columns(c, &world.rules);
                    assert_eq!(
                        kept.matches(&c.region, &c.industry, &activity),
                        evaluate(&expr, c, world.as_of, &world.rules),
                        "seed {seed}, customer {i}: {expr} as {kept:?}"
                    );
                }
            }
        }
    }
    for dimension in Dimension::ALL {
        assert!(answered.get(&dimension).is_some_and(|n| *n > 20), "{dimension:?} answered: {answered:?}");
    }
    let ctx = SqlContext {
        dialect: Dialect::Sqlite,
        as_of: d(2025, 10, 31),
        rules: TierRules::default(),
        first_param: 1,
        anchored: true,
    };
    let split = count_parts(&p("tier in [\"S\", \"B\"] and last_inquiry within 90d"), &ctx);
    assert!(kept_count(&split[0], &ctx).is_some(), "the recent-inquiry part is a kept range: {split:?}");
    for left_to_the_database in [
        "tier = \"B\"",
        "region != \"华东\"",
        "region in []",
        "name contains \"科技\"",
        "region = \"华东\" and tier = \"S\"",
        "region = \"华东\" and region = \"华南\"",
        "last_order >= 2025-06-02 and last_order <= 2025-06-01",
        "region = \"华东\" or region = \"华南\"",
    ] {
        assert_eq!(kept_count(&p(left_to_the_database), &ctx), None, "{left_to_the_database}");
    }
}
