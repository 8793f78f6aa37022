//! The review's charts as SVG text, drawn on the server: no script is needed
//! to show or print them. Black on white with dash patterns and labels
//! instead of colours, so a black-and-white print reads the same; every
//! chart carries a title for screen readers.

use std::fmt::Write;

use super::metrics::{BurnDay, Funnel, percent};

/// The words the charts show, in the reader's language (the page takes
/// them from its locale file).
#[derive(Clone, Copy, Debug)]
pub struct ChartWords<'a> {
    pub no_data: &'a str,
    pub funnel: &'a str,
    pub members: &'a str,
    pub reached: &'a str,
    pub intent: &'a str,
    pub orders: &'a str,
    /// A step's count with its share of the step before: `{n}` and `{share}`.
    pub share: &'a str,
    pub burn_up: &'a str,
    pub burn_up_heading: &'a str,
    pub intent_goal: &'a str,
    pub orders_goal: &'a str,
    pub intent_achievement: &'a str,
    pub orders_achievement: &'a str,
}

/// Escapes text for SVG (names come from users).
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// `label` cut to what the bars' label column holds (96 px at 13 px): about
/// 13 Latin letters or 6 Chinese characters, ending in "…" when cut. The
/// full text stays in the page's tables.
fn fit(label: &str) -> String {
    const ROOM: usize = 26;
    let width = |c: char| if c.is_ascii() { 2 } else { 4 };
    if label.chars().map(width).sum::<usize>() <= ROOM {
        return label.to_owned();
    }
    let mut used = width('…');
    let mut out = String::new();
    for c in label.chars() {
        used += width(c);
        if used > ROOM {
            break;
        }
        out.push(c);
    }
    out.push('…');
    out
}

fn open(out: &mut String, width: u32, height: u32, title: &str) {
    let t = esc(title);
    let _ = write!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" role="img" aria-label="{t}" class="chart" font-family="sans-serif" font-size="13"><title>{t}</title>"#
    );
}

/// Horizontal bars, one per (label, value, note), scaled to the largest
/// value; the note is written after the bar.
/// `id` names the chart's hatch pattern: ids must be unique on a page.
fn bars(id: &str, title: &str, rows: &[(String, f64, String)], no_data: &str) -> String {
    let row_h = 30;
    let label_w = 96.0;
    let bar_max = 330.0;
    let height = 34 + row_h * rows.len().max(1) as u32;
    let mut out = String::new();
    open(&mut out, 560, height, title);
    let _ = write!(out, r#"<text x="0" y="16" font-weight="bold">{}</text>"#, esc(title));
    let max = rows.iter().map(|r| r.1).fold(0.0_f64, f64::max);
    if rows.is_empty() {
        let _ = write!(out, r#"<text x="0" y="44">{}</text>"#, esc(no_data));
    }
    for (i, (label, value, note)) in rows.iter().enumerate() {
        let y = 28 + row_h as usize * i;
        let w = if max > 0.0 { (value / max * bar_max).max(0.0) } else { 0.0 };
        let _ = write!(
            out,
            r##"<text x="{tx}" y="{ty}" text-anchor="end">{label}</text><rect x="{bx}" y="{y}" width="{w:.1}" height="20" fill="#fff" stroke="#000" stroke-width="1.5"/><rect x="{bx}" y="{y}" width="{w:.1}" height="20" fill="url(#hatch-{id})"/><text x="{nx:.1}" y="{ty}">{note}</text>"##,
            tx = label_w - 6.0,
            ty = y + 15,
            label = esc(&fit(label)),
            bx = label_w,
            nx = label_w + w + 6.0,
            note = esc(note),
            id = esc(id),
        );
    }
    let _ = write!(
        out,
        r##"<defs><pattern id="hatch-{}" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><line x1="0" y1="0" x2="0" y2="6" stroke="#000" stroke-width="1.5"/></pattern></defs></svg>"##,
        esc(id)
    );
    out
}

/// The funnel: 目标客户 → 触达 → 意向 → 成交, each with its count and its
/// share of the step before.
pub fn funnel(f: &Funnel, w: &ChartWords) -> String {
    let step = |n: i64, of: i64| {
        if of > 0 {
            w.share.replace("{n}", &n.to_string()).replace("{share}", &percent(n as f64 / of as f64))
        } else {
            n.to_string()
        }
    };
    let rows = vec![
        (w.members.to_owned(), f.members as f64, f.members.to_string()),
        (w.reached.to_owned(), f.reached as f64, step(f.reached, f.members)),
        (w.intent.to_owned(), f.intent_customers as f64, step(f.intent_customers, f.reached)),
        (w.orders.to_owned(), f.orders as f64, step(f.orders, f.intent_customers)),
    ];
    bars("funnel", w.funnel, &rows, w.no_data)
}

/// Conversion (orders ÷ intent customers) per group: by tier, by rep. The
/// bars are hatched (diagonal lines), readable in black and white.
pub fn conversion(id: &str, title: &str, rows: &[(String, Option<f64>)], w: &ChartWords) -> String {
    let rows: Vec<(String, f64, String)> = rows
        .iter()
        .map(|(label, c)| (label.clone(), c.unwrap_or(0.0), c.map_or_else(|| "—".to_owned(), percent)))
        .collect();
    bars(id, title, &rows, w.no_data)
}

/// The burn-up: cumulative intent customers and orders per working day
/// against their goal lines (dashed), over the campaign's working days.
pub fn burn_up(days: &[BurnDay], total_days: usize, words: &ChartWords) -> String {
    let (w, h) = (560.0, 260.0);
    let (left, right, top, bottom) = (44.0, 16.0, 28.0, 52.0);
    let mut out = String::new();
    open(&mut out, w as u32, h as u32, words.burn_up);
    let _ = write!(out, r#"<text x="0" y="16" font-weight="bold">{}</text>"#, esc(words.burn_up_heading));
    let n = total_days.max(days.len()).max(1);
    let top_value = days
        .iter()
        .flat_map(|d| [d.intent_customers as f64, d.orders as f64, d.intent_goal, d.orders_goal])
        .fold(0.0_f64, f64::max);
    // The goal lines end at the goal on the last working day.
    let goal_end = days.last().map_or((0.0, 0.0), |d| {
        let k = days.len() as f64 / n as f64;
        if k > 0.0 { (d.intent_goal / k, d.orders_goal / k) } else { (0.0, 0.0) }
    });
    let max = top_value.max(goal_end.0).max(goal_end.1).max(1.0);
    let plot_w = w - left - right;
    let plot_h = h - top - bottom;
    let x = |i: usize| left + if n > 1 { plot_w * i as f64 / (n - 1) as f64 } else { plot_w / 2.0 };
    let y = |v: f64| top + plot_h - plot_h * v / max;
    // Axes and the value scale.
    let _ = write!(
        out,
        r##"<line x1="{left}" y1="{t}" x2="{left}" y2="{b}" stroke="#000"/><line x1="{left}" y1="{b}" x2="{r}" y2="{b}" stroke="#000"/>"##,
        t = top,
        b = top + plot_h,
        r = w - right
    );
    for v in [0.0, max / 2.0, max] {
        let _ = write!(
            out,
            r#"<text x="{}" y="{:.1}" text-anchor="end" font-size="11">{}</text>"#,
            left - 4.0,
            y(v) + 4.0,
            v.round()
        );
    }
    if let (Some(first), Some(last)) = (days.first(), days.last()) {
        let _ = write!(
            out,
            r#"<text x="{left}" y="{ly}" font-size="11">{}</text><text x="{rx:.1}" y="{ly}" font-size="11" text-anchor="end">{}</text>"#,
            first.date.format("%m-%d"),
            last.date.format("%m-%d"),
            ly = top + plot_h + 14.0,
            rx = x(days.len() - 1),
        );
    }
    let line = |out: &mut String, points: Vec<(f64, f64)>, dash: &str, width: f64| {
        let pts: Vec<String> = points.iter().map(|(a, b)| format!("{a:.1},{b:.1}")).collect();
        let _ = write!(
            out,
            r##"<polyline points="{}" fill="none" stroke="#000" stroke-width="{width}" stroke-dasharray="{dash}"/>"##,
            pts.join(" ")
        );
    };
    let goal_line = |g: f64| vec![(x(0), y(g / n as f64)), (x(n - 1), y(g))];
    if goal_end.0 > 0.0 {
        line(&mut out, goal_line(goal_end.0), "6 4", 1.5);
    }
    if goal_end.1 > 0.0 {
        line(&mut out, goal_line(goal_end.1), "2 3", 1.5);
    }
    if !days.is_empty() {
        line(
            &mut out,
            days.iter().enumerate().map(|(i, d)| (x(i), y(d.intent_customers as f64))).collect(),
            "none",
            2.5,
        );
        line(&mut out, days.iter().enumerate().map(|(i, d)| (x(i), y(d.orders as f64))).collect(), "none", 1.2);
        // Square markers tell the orders line apart without colour.
        for (i, d) in days.iter().enumerate() {
            let _ = write!(
                out,
                r##"<rect x="{:.1}" y="{:.1}" width="5" height="5" fill="#000"/>"##,
                x(i) - 2.5,
                y(d.orders as f64) - 2.5
            );
        }
    }
    // Legend.
    let ly = h - 14.0;
    let legend = [
        (words.intent, "none", 2.5),
        (words.intent_goal, "6 4", 1.5),
        (words.orders, "none", 1.2),
        (words.orders_goal, "2 3", 1.5),
    ];
    for (i, (label, dash, width)) in legend.iter().enumerate() {
        let lx = left + 125.0 * i as f64;
        let _ = write!(
            out,
            r##"<line x1="{lx}" y1="{a}" x2="{b}" y2="{a}" stroke="#000" stroke-width="{width}" stroke-dasharray="{dash}"/><text x="{c}" y="{d}">{label}</text>"##,
            a = ly - 4.0,
            b = lx + 28.0,
            c = lx + 32.0,
            d = ly,
            label = esc(label),
        );
    }
    out.push_str("</svg>");
    out
}

/// A campaign on the trend: its label, intent and orders achievement.
pub type TrendPoint = (String, Option<f64>, Option<f64>);

/// Achievement across past campaigns in the order they ended: intent
/// customers (solid, round markers) and orders (dotted, square markers)
/// against their goals, with the 100% line dashed. `points` are
/// (label, intent achievement, orders achievement).
pub fn trend(title: &str, points: &[TrendPoint], words: &ChartWords) -> String {
    let (w, h) = (560.0, 240.0);
    // Room above the plot for the value written over the highest point.
    let (left, right, top, bottom) = (48.0, 16.0, 44.0, 64.0);
    let mut out = String::new();
    open(&mut out, w as u32, h as u32, title);
    let _ = write!(out, r#"<text x="0" y="16" font-weight="bold">{}</text>"#, esc(title));
    if points.is_empty() {
        let _ = write!(out, r#"<text x="0" y="44">{}</text></svg>"#, esc(words.no_data));
        return out;
    }
    let max = points.iter().flat_map(|(_, a, b)| [a.unwrap_or(0.0), b.unwrap_or(0.0)]).fold(1.0_f64, f64::max).min(5.0);
    let plot_w = w - left - right;
    let plot_h = h - top - bottom;
    let n = points.len();
    let x = |i: usize| left + if n > 1 { plot_w * i as f64 / (n - 1) as f64 } else { plot_w / 2.0 };
    let y = |v: f64| top + plot_h - plot_h * v.min(max) / max;
    let _ = write!(
        out,
        r##"<line x1="{left}" y1="{top}" x2="{left}" y2="{b}" stroke="#000"/><line x1="{left}" y1="{b}" x2="{r}" y2="{b}" stroke="#000"/><line x1="{left}" y1="{g:.1}" x2="{r}" y2="{g:.1}" stroke="#000" stroke-dasharray="6 4"/><text x="{lx}" y="{gy:.1}" text-anchor="end" font-size="11">100%</text><text x="{lx}" y="{ty:.1}" text-anchor="end" font-size="11">{}</text>"##,
        percent(max),
        b = top + plot_h,
        r = w - right,
        g = y(1.0),
        gy = y(1.0) + 4.0,
        lx = left - 4.0,
        ty = top + 4.0,
    );
    for (i, (label, _, _)) in points.iter().enumerate() {
        let label: String = label.chars().take(8).collect();
        let _ = write!(
            out,
            r#"<text x="{:.1}" y="{:.1}" font-size="11" text-anchor="middle">{}</text>"#,
            x(i),
            top + plot_h + 16.0,
            esc(&label)
        );
    }
    let series = |out: &mut String, pick: &dyn Fn(&TrendPoint) -> Option<f64>, dash: &str, square: bool| {
        let pts: Vec<(f64, f64)> =
            points.iter().enumerate().filter_map(|(i, p)| pick(p).map(|v| (x(i), y(v)))).collect();
        if pts.len() > 1 {
            let text: Vec<String> = pts.iter().map(|(a, b)| format!("{a:.1},{b:.1}")).collect();
            let _ = write!(
                out,
                r##"<polyline points="{}" fill="none" stroke="#000" stroke-width="2" stroke-dasharray="{dash}"/>"##,
                text.join(" ")
            );
        }
        for (i, (a, b)) in pts.iter().copied().enumerate() {
            // The value beside each point: intent above it, orders below.
            let value = points.iter().filter_map(pick).nth(i).map(percent).unwrap_or_default();
            let ly = if square { b + 18.0 } else { b - 9.0 };
            let _ = write!(out, r#"<text x="{:.1}" y="{ly:.1}" font-size="11" text-anchor="middle">{value}</text>"#, a);
            if square {
                let _ =
                    write!(out, r##"<rect x="{:.1}" y="{:.1}" width="7" height="7" fill="#000"/>"##, a - 3.5, b - 3.5);
            } else {
                let _ = write!(
                    out,
                    r##"<circle cx="{a:.1}" cy="{b:.1}" r="4" fill="#fff" stroke="#000" stroke-width="2"/>"##
                );
            }
        }
    };
    series(&mut out, &|p| p.1, "none", false);
    series(&mut out, &|p| p.2, "2 3", true);
    let ly = h - 12.0;
    let _ = write!(
        out,
        r##"<circle cx="{a:.1}" cy="{c:.1}" r="4" fill="#fff" stroke="#000" stroke-width="2"/><text x="{b:.1}" y="{ly}">{intent}</text><rect x="{d:.1}" y="{e:.1}" width="7" height="7" fill="#000"/><text x="{f:.1}" y="{ly}">{orders}</text></svg>"##,
        a = left + 4.0,
        b = left + 14.0,
        c = ly - 4.0,
        d = left + 160.0,
        e = ly - 8.0,
        f = left + 172.0,
        intent = esc(words.intent_achievement),
        orders = esc(words.orders_achievement),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::execution::progress::Counts;
    use crate::domain::review::metrics::funnel as funnel_of;

    const ZH: ChartWords = ChartWords {
        no_data: "无数据",
        funnel: "转化漏斗",
        members: "目标客户",
        reached: "触达客户",
        intent: "意向客户",
        orders: "成交订单",
        share: "{n}（{share}）",
        burn_up: "每日进度燃起图",
        burn_up_heading: "每日进度燃起图（按工作日）",
        intent_goal: "意向目标",
        orders_goal: "订单目标",
        intent_achievement: "意向客户达成率",
        orders_achievement: "成交订单达成率",
    };

    #[test]
    fn the_funnel_has_its_steps_and_shares() {
        let f = funnel_of(&Counts { members: 80, reached: 60, intent_customers: 36, orders: 18, ..Counts::default() });
        let svg = funnel(&f, &ZH);
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        for word in ["转化漏斗", "目标客户", "触达客户", "意向客户", "成交订单", "18（50%）", "<title>"]
        {
            assert!(svg.contains(word), "{word} missing");
        }
    }

    #[test]
    fn names_are_escaped() {
        let svg = conversion("rep", "按销售代表转化率", &[("<b>明&</b>".into(), Some(0.7)), ("芳".into(), None)], &ZH);
        assert!(svg.contains("&lt;b&gt;明&amp;&lt;/b&gt;"));
        assert!(!svg.contains("<b>"));
        assert!(svg.contains("70%") && svg.contains("—"));
        assert!(svg.contains(r#"id="hatch-rep""#) && svg.contains("url(#hatch-rep)"));
    }

    #[test]
    fn burn_up_draws_lines_and_legend() {
        let d = |s: &str| s.parse().unwrap();
        let days = vec![
            BurnDay { date: d("2026-11-02"), intent_customers: 1, orders: 0, intent_goal: 2.0, orders_goal: 1.0 },
            BurnDay { date: d("2026-11-03"), intent_customers: 4, orders: 1, intent_goal: 4.0, orders_goal: 2.0 },
        ];
        let svg = burn_up(&days, 5, &ZH);
        assert_eq!(svg.matches("<polyline").count(), 4);
        for word in ["意向客户", "意向目标", "成交订单", "订单目标", "11-02", "11-03"] {
            assert!(svg.contains(word), "{word} missing");
        }
        let empty = burn_up(&[], 0, &ZH);
        assert!(empty.ends_with("</svg>"));
        assert_eq!(empty.matches("<polyline").count(), 0);
    }

    #[test]
    fn trend_draws_both_series_and_escapes_labels() {
        let svg = trend(
            "新品促销 达成率趋势",
            &[
                ("A<b>".to_owned(), Some(1.2), Some(1.2)),
                ("B".to_owned(), Some(0.8), None),
                ("C".to_owned(), None, Some(0.5)),
            ],
            &ZH,
        );
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(svg.contains("A&lt;b&gt;") && !svg.contains("A<b>"));
        assert_eq!(svg.matches("<polyline").count(), 2);
        assert_eq!(svg.matches("<circle").count(), 3, "two intent points and the legend's");
        assert!(svg.contains("100%"));
        assert!(trend("空", &[], &ZH).contains("无数据"));
    }

    #[test]
    fn long_labels_are_cut_to_the_label_column() {
        assert_eq!(fit("Tier S"), "Tier S");
        assert_eq!(fit("系统管理员"), "系统管理员");
        assert_eq!(fit("Alexander Hamilton-Smith"), "Alexander H…");
        assert_eq!(fit("华南区域大客户经理张三"), "华南区域大…");
        let svg = conversion("rep", "By rep", &[("Alexander Hamilton-Smith".into(), Some(0.5))], &ZH);
        assert!(svg.contains(">Alexander H…<"), "{svg}");
    }

    #[test]
    fn every_word_comes_from_the_words_given() {
        let en = ChartWords {
            no_data: "No data",
            funnel: "Funnel",
            members: "Targeted",
            reached: "Reached",
            intent: "Intent",
            orders: "Orders",
            share: "{n} ({share})",
            burn_up: "Burn-up",
            burn_up_heading: "Burn-up (working days)",
            intent_goal: "Intent goal",
            orders_goal: "Orders goal",
            intent_achievement: "Intent achieved",
            orders_achievement: "Orders achieved",
        };
        let f = funnel_of(&Counts { members: 80, reached: 60, intent_customers: 36, orders: 18, ..Counts::default() });
        let d = |s: &str| s.parse().unwrap();
        let days =
            [BurnDay { date: d("2026-11-02"), intent_customers: 1, orders: 0, intent_goal: 2.0, orders_goal: 1.0 }];
        let svgs = [
            funnel(&f, &en),
            conversion("tier", "By tier", &[("S".into(), Some(0.5))], &en),
            conversion("rep", "By rep", &[], &en),
            burn_up(&days, 3, &en),
            trend("Trend", &[("26-11".to_owned(), Some(1.0), Some(0.5))], &en),
            trend("Trend", &[], &en),
        ];
        let all = svgs.join("");
        assert!(!all.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c) || "（）".contains(c)), "{all}");
        for word in ["18 (50%)", "No data", "Burn-up (working days)", "Orders goal", "Intent achieved"] {
            assert!(all.contains(word), "{word} missing");
        }
    }
}
