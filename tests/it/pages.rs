//! Every page as each role sees it, on a 375 × 812 phone and on a desk, with
//! the demo data: no page scrolls sideways on the phone (a screenshot of each
//! is left in the temp directory), and axe-core finds no WCAG 2.1 AA
//! violation at either width. The pages are the GET routes of the policy in
//! `page_routes.rs`, so a new page is checked here as soon as it is listed.

use rally::domain::campaign::CampaignStatus;
use rally::ops;
use serde_json::Value;

use crate::browser::{Screen, setup};
use crate::helpers::Backend;
use crate::page_routes::{POLICY, ROLES};

pub(crate) const AXE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/browser/node_modules/axe-core/axe.min.js");

/// A demo account for each role.
const ACCOUNTS: [(&str, &str); 7] = [
    ("admin", "admin@rally.example"),
    ("lead", "lead@rally.example"),
    ("rep", "ming@rally.example"),
    ("marketing", "marketing@rally.example"),
    ("service", "service@rally.example"),
    ("support", "demo@rally.example"),
    ("viewer", "boss@rally.example"),
];

/// Fragments (htmx partials), downloads and pages about ids nobody has are
/// not whole pages to check.
fn is_whole_page(path: &str) -> bool {
    !(path.contains("{missing}")
        || path.contains("segment-preview")
        || path.contains("segment-builder")
        || path.contains("tier-counts")
        || path.ends_with("/members/counts")
        || path.ends_with("/export")
        || path.ends_with("/panel")
        || path.ends_with("/standup/board")
        || (path.starts_with("/customers/") && path.ends_with("/campaigns")))
}

/// Runs axe and answers the violations and how many rules passed (so a run
/// that checked nothing cannot pass).
pub(crate) const RUN_AXE: &str = "return axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } })
    .then(r => ({ passes: r.passes.length, violations: r.violations.map(v => ({ id: v.id, impact: v.impact, help: v.help,
        nodes: v.nodes.slice(0, 3).map(n => n.target.join(' ') + ' — ' + (n.failureSummary || '').split('\\n').slice(0, 2).join(' ')) })) }))";

async fn check_every_page(backend: Backend, screen: Screen) {
    let Some((app, browser)) = setup(backend, screen).await else { return };
    let axe =
        std::fs::read_to_string(AXE).unwrap_or_else(|e| panic!("{AXE}: {e} (run `npm ci --prefix tests/browser`)"));
    ops::demo::load(&app.store, app.store.today()).await.expect("the demo data");
    let phone = matches!(screen, Screen::Phone);
    let mut problems = Vec::new();
    let mut pages = 0;
    for (role_index, role) in ROLES.iter().enumerate() {
        let Some((_, email)) = ACCOUNTS.iter().find(|(r, _)| r == role) else { continue };
        let Some(user) = app.store.user_by_email(email).await.unwrap() else { continue };
        let actor: ops::authz::Actor = user.into();
        let ids = Ids::for_actor(&app, &actor).await;
        browser.sign_in_with(&app, email, rally::demo::DEMO_PASSWORD).await;
        for line in POLICY.lines().filter(|l| l.starts_with("GET ")) {
            let words: Vec<&str> = line.split_whitespace().collect();
            let (template, expect) = (words[1], words[2 + role_index]);
            if expect != "200" || !is_whole_page(template) {
                continue;
            }
            let Some(path) = ids.fill(template) else { continue };
            browser.goto(&app.url(&path)).await;
            pages += 1;
            check_open_page(&browser, &axe, role, &path, phone, &mut problems).await;
        }
        // The import pages need an upload of the role's own: a file with bad
        // rows (the preview lists them, with a mapping select per column),
        // and for the lead a good file confirmed (progress, then the result).
        let may_import = POLICY
            .lines()
            .find(|l| l.split_whitespace().take(2).eq(["GET", "/customers/import"]))
            .is_some_and(|l| l.split_whitespace().nth(2 + role_index) == Some("200"));
        if may_import {
            let now = chrono::Utc::now();
            let kind = rally::io::mapping::ImportKind::Customers;
            let bad = ops::uploads::save(
                &app.store,
                &actor,
                kind,
                "bad.csv",
                "text/csv",
                &fixture("customers_bad_rows.csv"),
                now,
            )
            .await
            .expect("an upload");
            let preview = format!("/customers/import/{bad}");
            browser.goto(&app.url(&preview)).await;
            pages += 1;
            check_open_page(&browser, &axe, role, &preview, phone, &mut problems).await;
            if *role == "lead" {
                let good = ops::uploads::save(
                    &app.store,
                    &actor,
                    kind,
                    "good.csv",
                    "text/csv",
                    &fixture("customers_utf8_bom.csv"),
                    now,
                )
                .await
                .expect("an upload");
                let preview = format!("/customers/import/{good}");
                browser.goto(&app.url(&preview)).await;
                browser.wait_for_page(&preview).await;
                browser.click("button[name=action][value=import]").await;
                let progress = format!("{preview}/progress");
                browser.wait_for_page(&progress).await;
                // Small enough to have ended: the page shows the result.
                browser.wait_for("the import's result", "return !document.querySelector('progress')").await;
                pages += 1;
                check_open_page(&browser, &axe, role, &progress, phone, &mut problems).await;
            }
        }
        browser.sign_out().await;
    }
    eprintln!(
        "checked {pages} page loads ({}); phone screenshots in {}",
        if phone { "phone" } else { "desk" },
        std::env::temp_dir().display()
    );
    assert!(pages > 60, "only {pages} page loads were checked");
    assert!(problems.is_empty(), "{} problem(s):\n{}", problems.len(), problems.join("\n"));
}

/// The checks of the page the browser shows: it loaded, fits a phone (with
/// a screenshot), and axe finds no violation.
async fn check_open_page(
    browser: &crate::browser::Browser,
    axe: &str,
    role: &str,
    path: &str,
    phone: bool,
    problems: &mut Vec<String>,
) {
    let status = browser.status().await;
    if status != 200 {
        problems.push(format!("{role} {path}: status {status}"));
        return;
    }
    if phone {
        let widest = browser
            .js("return Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)")
            .await
            .as_i64()
            .unwrap_or(0);
        let name = format!("rally-phone-{role}-{}.png", path.trim_matches('/').replace(['/', '?', '='], "-"));
        browser
            .screenshot(if name == "rally-phone-lead-.png" { "rally-phone-lead-dashboard.png" } else { &name })
            .await;
        if widest > 376 {
            problems.push(format!("{role} {path}: {widest}px wide on a 375px phone (scrolls sideways)"));
        }
    }
    browser.js(axe).await;
    let result = browser.js(RUN_AXE).await;
    if result["passes"].as_i64().unwrap_or(0) < 10 {
        problems.push(format!("{role} {path}: axe did not run ({result})"));
    }
    for v in result["violations"].as_array().into_iter().flatten() {
        problems.push(format!(
            "{role} {path}: axe {} ({}): {} at {}",
            v["id"].as_str().unwrap_or_default(),
            v["impact"].as_str().unwrap_or_default(),
            v["help"].as_str().unwrap_or_default(),
            v["nodes"]
                .as_array()
                .map(|n| n.iter().filter_map(Value::as_str).collect::<Vec<_>>().join("; "))
                .unwrap_or_default()
        ));
    }
}

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/import/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Ids of the demo objects a role can open, for the policy's placeholders.
struct Ids {
    customer: Option<i64>,
    contact: Option<i64>,
    interaction: Option<i64>,
    campaign: Option<i64>,
    template: Option<i64>,
    user: Option<i64>,
}

impl Ids {
    async fn for_actor(app: &crate::helpers::TestApp, actor: &ops::authz::Actor) -> Ids {
        let today = app.store.today();
        let query = ops::customers::ListQuery { limit: 50, ..Default::default() };
        let (customers, _) = ops::customers::list(&app.store, actor, &query, today).await.unwrap();
        let campaigns = ops::campaigns::list(&app.store, actor).await.unwrap();
        let running = campaigns.iter().find(|v| v.campaign.status == CampaignStatus::Active).map(|v| v.campaign.id);
        // Members of the running campaign first: their member pages then open too.
        let mut candidates: Vec<i64> = match running {
            Some(id) => {
                let q = rally::store::campaigns::MemberQuery { limit: 50, ..Default::default() };
                let members = ops::campaigns::members::members(&app.store, actor, id, q).await.unwrap_or_default();
                members.into_iter().map(|m| m.customer_id).collect()
            }
            None => Vec::new(),
        };
        candidates.extend(customers.iter().map(|c| c.id));
        let mut ids =
            Ids { customer: None, contact: None, interaction: None, campaign: None, template: None, user: None };
        // A customer with a contact and a follow-up, so their pages show something.
        for id in candidates {
            let contacts = ops::contacts::list(&app.store, actor, id).await.unwrap_or_default();
            let history = ops::interactions::list(&app.store, actor, id, 5).await.unwrap_or_default();
            if let (Some(k), Some(i)) = (contacts.first(), history.first()) {
                ids = Ids { customer: Some(id), contact: Some(k.id), interaction: Some(i.id), ..ids };
                break;
            }
        }
        ids.campaign = running;
        ids.template = ops::templates::list(&app.store, actor).await.unwrap().first().map(|t| t.stored.id);
        ids.user = app.store.user_by_email("boss@rally.example").await.unwrap().map(|u| u.id);
        ids
    }

    fn fill(&self, template: &str) -> Option<String> {
        let mut path = template.to_owned();
        for (name, value) in [
            ("{customer}", self.customer),
            ("{contact}", self.contact),
            ("{interaction}", self.interaction),
            ("{campaign}", self.campaign),
            ("{template}", self.template),
            ("{user}", self.user),
        ] {
            if path.contains(name) {
                path = path.replace(name, &value?.to_string());
            }
        }
        Some(path)
    }
}

macro_rules! page_check {
    ($(#[$extra:meta])* $name:ident, $backend:expr, $screen:expr) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        $(#[$extra])*
        #[cfg_attr(
            rally_no_browser,
            ignore = "Chromium is not installed (Debian: chromium chromium-driver fonts-wqy-microhei)"
        )]
        // One `ignore` at most (a second is an unused attribute): the first
        // missing piece names itself.
        #[cfg_attr(
            all(rally_no_axe, not(rally_no_browser)),
            ignore = "axe-core is not installed (npm ci --prefix tests/browser)"
        )]
        async fn $name() {
            check_every_page($backend, $screen).await;
        }
    };
}

page_check!(every_page_fits_a_phone_and_passes_axe_on_sqlite, Backend::Sqlite, Screen::Phone);
page_check!(every_page_passes_axe_on_a_desk_on_sqlite, Backend::Sqlite, Screen::Desktop);
page_check!(
    #[cfg_attr(
        all(rally_no_postgres, not(rally_no_browser), not(rally_no_axe)),
        ignore = "PostgreSQL is not installed (Debian: postgresql)"
    )]
    every_page_fits_a_phone_and_passes_axe_on_postgres,
    Backend::Postgres,
    Screen::Phone
);
page_check!(
    #[cfg_attr(
        all(rally_no_postgres, not(rally_no_browser), not(rally_no_axe)),
        ignore = "PostgreSQL is not installed (Debian: postgresql)"
    )]
    every_page_passes_axe_on_a_desk_on_postgres,
    Backend::Postgres,
    Screen::Desktop
);
