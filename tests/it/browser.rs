//! Real-browser tests: headless Chromium driven through Debian's `chromedriver`
//! (W3C WebDriver over plain HTTP). The harness starts one `chromedriver` on a
//! free port for the whole test process, in its own process group, and a
//! watchdog kills that group (driver and browsers) when the test process ends.
//! Each test opens its own browser session with a fresh profile directory.
//!
//! Without `/usr/bin/chromium` and `/usr/bin/chromedriver` these tests print a
//! SKIPPING banner and pass; `RALLY_REQUIRE_BROWSER=1` turns that into a failure.
//! Screenshots land in the temp directory (`rally-dashboard.png`, `rally-phone.png`)
//! for a human to look at.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::helpers::{Backend, PASSWORD, TestApp, add_customer, spawn_app};
use crate::pg::shout;

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
/// How long to wait for a page to show what a test expects.
const WAIT: Duration = Duration::from_secs(15);
/// The W3C key of an element reference in WebDriver responses.
const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

/// Set by `.ci/run`: a missing browser fails the run instead of skipping.
fn required() -> bool {
    std::env::var("RALLY_REQUIRE_BROWSER").is_ok_and(|v| !v.is_empty() && v != "0")
}

struct Driver {
    port: u16,
}

static DRIVER: OnceLock<Option<Driver>> = OnceLock::new();

/// The shared `chromedriver`, or `None` (after a banner) when the browser is not installed.
fn driver() -> Option<&'static Driver> {
    DRIVER
        .get_or_init(|| match start_driver() {
            Ok(d) => Some(d),
            Err(reason) => {
                if required() {
                    panic!("a browser is required (RALLY_REQUIRE_BROWSER) but unavailable: {reason}");
                }
                shout(&format!(
                    "SKIPPING every browser test: {reason}.\n\
                     Install Debian's `chromium chromium-driver fonts-wqy-microhei` to run them."
                ));
                None
            }
        })
        .as_ref()
}

fn start_driver() -> Result<Driver, String> {
    for bin in [CHROMIUM, CHROMEDRIVER] {
        if !Path::new(bin).exists() {
            return Err(format!("{bin} not found"));
        }
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map_err(|e| format!("find a free port: {e}"))?
        .port();
    // Chromium keeps crash reports under $XDG_CONFIG_HOME whatever its profile directory:
    // point that at a directory the watchdog removes.
    let home = std::env::temp_dir().join(format!("rally-chromedriver-{}", std::process::id()));
    std::fs::create_dir_all(&home).map_err(|e| format!("create {}: {e}", home.display()))?;
    // Its own process group, so the watchdog can end the driver and every browser it started.
    let child = Command::new(CHROMEDRIVER)
        .arg(format!("--port={port}"))
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_CACHE_HOME", home.join("cache"))
        .process_group(0)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("start {CHROMEDRIVER}: {e}"))?;
    let group = child.id();
    let stop = format!(
        "while kill -0 {pid} 2>/dev/null; do sleep 0.5; done; kill -TERM -{group} 2>/dev/null; \
         sleep 2; kill -KILL -{group} 2>/dev/null; rm -rf {home}",
        pid = std::process::id(),
        home = home.display(),
    );
    Command::new("sh")
        .args(["-c", &stop])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("start the chromedriver watchdog: {e}"))?;
    let deadline = Instant::now() + Duration::from_secs(20);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        if Instant::now() > deadline {
            return Err(format!("{CHROMEDRIVER} did not listen on port {port} within 20 s"));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok(Driver { port })
}

/// The window a session starts with.
#[derive(Clone, Copy)]
pub(crate) enum Screen {
    Desktop,
    /// A 375×812 CSS-pixel phone (Chrome's mobile emulation: viewport, touch, DPR 2).
    Phone,
}

/// One browser session. Closed (and its profile removed) when dropped, even
/// when the test panics.
pub(crate) struct Browser {
    http: reqwest::Client,
    port: u16,
    session: String,
    _profile: tempfile::TempDir,
}

impl Browser {
    async fn open(driver: &Driver, screen: Screen) -> Browser {
        let profile = tempfile::Builder::new().prefix("rally-chromium-").tempdir().expect("profile dir");
        let mut args: Vec<String> = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
        ]
        .map(str::to_owned)
        .into();
        args.push(format!("--user-data-dir={}", profile.path().display()));
        let mut chrome = json!({ "binary": CHROMIUM, "args": args });
        match screen {
            Screen::Desktop => args_push(&mut chrome, "--window-size=1280,800"),
            Screen::Phone => {
                chrome["mobileEmulation"] = json!({
                    "deviceMetrics": { "width": 375, "height": 812, "pixelRatio": 2, "touch": true, "mobile": true }
                });
            }
        }
        let caps = json!({ "capabilities": { "alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": chrome,
            "goog:loggingPrefs": { "browser": "ALL" },
            "timeouts": { "pageLoad": 30_000, "script": 10_000, "implicit": 0 },
        }}});
        let http = reqwest::Client::builder().timeout(Duration::from_secs(60)).build().unwrap();
        let url = format!("http://127.0.0.1:{}/session", driver.port);
        let response: Value = http.post(&url).json(&caps).send().await.expect("chromedriver").json().await.unwrap();
        let session = response["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("chromedriver could not start Chromium: {response}"))
            .to_owned();
        Browser { http, port: driver.port, session, _profile: profile }
    }

    /// One WebDriver command; `Err` carries the driver's error message.
    async fn try_cmd(&self, method: reqwest::Method, path: &str, body: Value) -> Result<Value, String> {
        let url = format!("http://127.0.0.1:{}/session/{}{path}", self.port, self.session);
        let mut request = self.http.request(method.clone(), url);
        if method != reqwest::Method::GET {
            request = request.json(&body);
        }
        let response = request.send().await.map_err(|e| format!("chromedriver: {e}"))?;
        let ok = response.status().is_success();
        let value: Value = response.json().await.map_err(|e| format!("chromedriver reply: {e}"))?;
        if ok { Ok(value["value"].clone()) } else { Err(format!("{path}: {}", value["value"])) }
    }

    async fn cmd(&self, method: reqwest::Method, path: &str, body: Value) -> Value {
        self.try_cmd(method, path, body).await.unwrap_or_else(|e| panic!("WebDriver command failed: {e}"))
    }

    pub(crate) async fn goto(&self, url: &str) {
        self.cmd(reqwest::Method::POST, "/url", json!({ "url": url })).await;
    }

    pub(crate) async fn js(&self, script: &str) -> Value {
        self.js_with(script, json!([])).await
    }

    pub(crate) async fn js_with(&self, script: &str, args: Value) -> Value {
        self.cmd(reqwest::Method::POST, "/execute/sync", json!({ "script": script, "args": args })).await
    }

    pub(crate) async fn path(&self) -> String {
        self.js("return location.pathname").await.as_str().unwrap_or_default().to_owned()
    }

    /// Polls `script` (a function body) until it returns something truthy, and returns that.
    pub(crate) async fn wait_for(&self, what: &str, script: &str) -> Value {
        let deadline = Instant::now() + WAIT;
        loop {
            let last = match self
                .try_cmd(reqwest::Method::POST, "/execute/sync", json!({ "script": script, "args": [] }))
                .await
            {
                Ok(v) if truthy(&v) => return v,
                Ok(v) => v.to_string(),
                Err(e) => e, // e.g. the document was unloading; try again
            };
            if Instant::now() > deadline {
                let text = self.js("return location.href + '\\n' + document.body.innerText").await;
                panic!("timed out waiting for {what} (last: {last}); the page was:\n{}", text.as_str().unwrap_or(""));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits until the document at `path` has loaded.
    pub(crate) async fn wait_for_page(&self, path: &str) {
        let script = format!("return location.pathname === {path:?} && document.readyState === 'complete'");
        self.wait_for(&format!("page {path}"), &script).await;
    }

    async fn find(&self, css: &str) -> String {
        let found = self.cmd(reqwest::Method::POST, "/element", json!({ "using": "css selector", "value": css })).await;
        found[ELEMENT_KEY].as_str().unwrap_or_else(|| panic!("no element {css}: {found}")).to_owned()
    }

    pub(crate) async fn click(&self, css: &str) {
        let id = self.find(css).await;
        self.cmd(reqwest::Method::POST, &format!("/element/{id}/click"), json!({})).await;
    }

    pub(crate) async fn type_into(&self, css: &str, text: &str) {
        let id = self.find(css).await;
        self.cmd(reqwest::Method::POST, &format!("/element/{id}/value"), json!({ "text": text })).await;
    }

    /// The rendered text of the first element matching `css`.
    pub(crate) async fn text(&self, css: &str) -> String {
        let id = self.find(css).await;
        self.cmd(reqwest::Method::GET, &format!("/element/{id}/text"), json!({})).await.as_str().unwrap().to_owned()
    }

    /// The HTTP status of the current document's response.
    pub(crate) async fn status(&self) -> i64 {
        let v = self.js("return performance.getEntriesByType('navigation')[0].responseStatus").await;
        v.as_i64().unwrap_or_else(|| panic!("no navigation status: {v}"))
    }

    /// Browser console entries since the last call (chromedriver's log endpoint).
    async fn console(&self) -> Vec<Value> {
        let entries = self.cmd(reqwest::Method::POST, "/se/log", json!({ "type": "browser" })).await;
        entries.as_array().cloned().unwrap_or_default()
    }

    /// A PNG of the viewport, written to the temp directory; returns its path.
    pub(crate) async fn screenshot(&self, name: &str) -> PathBuf {
        let encoded = self.cmd(reqwest::Method::GET, "/screenshot", json!({})).await;
        let png = base64::Engine::decode(
            &base64::engine::general_purpose::STANDARD,
            encoded.as_str().expect("base64 screenshot"),
        )
        .expect("a base64 screenshot");
        assert!(png.starts_with(b"\x89PNG"), "the screenshot should be a PNG");
        let path = std::env::temp_dir().join(name);
        std::fs::write(&path, png).expect("write the screenshot");
        path
    }

    /// The page printed to an A4 PDF (WebDriver's Print Page, the browser's
    /// print stylesheet), written to the temp directory; returns its path.
    pub(crate) async fn print_pdf(&self, name: &str) -> PathBuf {
        let body = json!({ "orientation": "portrait", "page": { "width": 21.0, "height": 29.7 }, "background": false });
        let encoded = self.cmd(reqwest::Method::POST, "/print", body).await;
        let pdf =
            base64::Engine::decode(&base64::engine::general_purpose::STANDARD, encoded.as_str().expect("base64 PDF"))
                .expect("a base64 PDF");
        assert!(pdf.starts_with(b"%PDF"), "the print should be a PDF");
        let path = std::env::temp_dir().join(name);
        std::fs::write(&path, pdf).expect("write the PDF");
        path
    }

    pub(crate) async fn sign_in(&self, app: &TestApp, email: &str) {
        self.sign_in_with(app, email, PASSWORD).await;
    }

    pub(crate) async fn sign_in_with(&self, app: &TestApp, email: &str, password: &str) {
        self.goto(&app.url("/login")).await;
        self.type_into("input[name=email]", email).await;
        self.type_into("input[name=password]", password).await;
        self.click("form[action='/login'] button[type=submit]").await;
        self.wait_for_page("/").await;
    }

    /// Opens the header's user menu (settings, tokens, language, sign out).
    async fn open_user_menu(&self) {
        self.js("document.querySelector('header details.user-menu').open = true; return true").await;
    }

    pub(crate) async fn sign_out(&self) {
        self.open_user_menu().await;
        self.click("form[action='/logout'] button").await;
        self.wait_for_page("/login").await;
    }
}

fn args_push(chrome: &mut Value, arg: &str) {
    chrome["args"].as_array_mut().unwrap().push(json!(arg));
}

impl Drop for Browser {
    /// Ends the session (and its Chromium) synchronously, so a panicking test leaves nothing behind.
    fn drop(&mut self) {
        let request = format!(
            "DELETE /session/{} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            self.session, self.port
        );
        if let Ok(mut stream) = TcpStream::connect(("127.0.0.1", self.port)) {
            let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
            let _ = stream.write_all(request.as_bytes());
            // The reply comes once the browser is gone; the driver may keep the connection open after it.
            let (mut reply, mut chunk) = (Vec::new(), [0u8; 1024]);
            while let Ok(n @ 1..) = stream.read(&mut chunk) {
                reply.extend_from_slice(&chunk[..n]);
                if reply.windows(4).any(|w| w == b"\r\n\r\n") {
                    break;
                }
            }
        }
    }
}

fn truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::String(s) => !s.is_empty(),
        Value::Number(n) => n.as_f64() != Some(0.0),
        _ => true,
    }
}

/// A browser and a fresh app on the backend, or `None` when either is missing (announced).
pub(crate) async fn setup(backend: Backend, screen: Screen) -> Option<(TestApp, Browser)> {
    let driver = driver()?;
    let app = spawn_app(backend).await?;
    let browser = Browser::open(driver, screen).await;
    Some((app, browser))
}

async fn some_customers(app: &TestApp, owner: i64) {
    for (name, region) in [
        ("广州市天河区珠江新城智能制造装备有限责任公司", "华南"),
        ("深圳前海跨境供应链管理有限公司", "华南"),
        ("上海浦东精密仪器股份有限公司", "华东"),
        ("北京中关村软件科技有限公司", "华北"),
    ] {
        add_customer(app, name, region, Some(owner)).await;
    }
}

// ---------------------------------------------------------------------------

/// Sign in, see the dashboard in Chinese, switch to English, sign out.
async fn sign_in_switch_language_sign_out(backend: Backend) {
    let Some((app, browser)) = setup(backend, Screen::Desktop).await else { return };
    let admin = app.named_user("lan@rally.test", "王兰", "admin", None).await;
    some_customers(&app, admin.id).await;

    browser.goto(&app.url("/")).await;
    browser.wait_for_page("/login").await;
    assert_eq!(browser.js("return document.documentElement.lang").await, "zh-CN");
    browser.sign_in(&app, &admin.email).await;

    assert_eq!(browser.text("main h1").await, "您好，王兰");
    assert_eq!(browser.text("[data-stat=total]").await, "4");
    browser.open_user_menu().await;
    let switch = browser.text("header form[action='/settings/language'] button").await;
    assert_eq!(switch, "English");
    if backend == Backend::Sqlite {
        let shot = browser.screenshot("rally-dashboard.png").await;
        eprintln!("dashboard screenshot: {}", shot.display());
    }

    browser.click("header form[action='/settings/language'] button").await;
    browser.wait_for("the English dashboard", "return document.documentElement.lang === 'en'").await;
    assert_eq!(browser.path().await, "/");
    assert_eq!(browser.text("main h1").await, "Hello, 王兰");
    browser.open_user_menu().await;
    assert_eq!(browser.text("form[action='/logout'] button").await, "Sign out");

    browser.sign_out().await;
    let notice = browser.text("main [role=status]").await;
    assert!(["You have signed out.", "您已退出登录。"].contains(&notice.as_str()), "signed-out notice: {notice:?}");
    // The session is really gone: the dashboard sends us back to sign in.
    browser.goto(&app.url("/")).await;
    browser.wait_for_page("/login").await;
}

mod sign_in_switch_language_sign_out {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    #[cfg_attr(
        rally_no_browser,
        ignore = "Chromium is not installed (Debian: chromium chromium-driver fonts-wqy-microhei)"
    )]
    async fn sqlite() {
        sign_in_switch_language_sign_out(Backend::Sqlite).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    #[cfg_attr(
        rally_no_browser,
        ignore = "Chromium is not installed (Debian: chromium chromium-driver fonts-wqy-microhei)"
    )]
    async fn postgres() {
        sign_in_switch_language_sign_out(Backend::Postgres).await;
    }
}

/// A form submitted without its hidden `csrf` field is refused and changes nothing;
/// the same form with the field works.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    rally_no_browser,
    ignore = "Chromium is not installed (Debian: chromium chromium-driver fonts-wqy-microhei)"
)]
async fn form_without_csrf_token_is_rejected() {
    let Some((app, browser)) = setup(Backend::Sqlite, Screen::Desktop).await else { return };
    let user = app.named_user("jun@rally.test", "李军", "rep", Some("华南")).await;
    let tokens_before = app.store.tokens_of(user.id).await.unwrap().len();
    browser.sign_in(&app, &user.email).await;

    browser.goto(&app.url("/settings/tokens")).await;
    browser.type_into("form[action='/settings/tokens'] input[name=name]", "无令牌表单").await;
    let removed = browser
        .js("const input = document.querySelector(\"form[action='/settings/tokens'] input[name=csrf]\");
             input.remove();
             return document.querySelectorAll(\"form[action='/settings/tokens'] input[name=csrf]\").length === 0")
        .await;
    assert_eq!(removed, true);
    browser.click("form[action='/settings/tokens'] button[type=submit]").await;
    browser.wait_for("the rejection page", "return document.body.innerText.includes('表单已过期或来源无效')").await;
    assert_eq!(browser.status().await, 403);
    assert_eq!(browser.path().await, "/settings/tokens");
    let tokens = app.store.tokens_of(user.id).await.unwrap();
    assert_eq!(tokens.len(), tokens_before, "a token was created without a CSRF token: {tokens:?}");

    // The control: the untouched form creates the token.
    browser.goto(&app.url("/settings/tokens")).await;
    browser.type_into("form[action='/settings/tokens'] input[name=name]", "有令牌表单").await;
    browser.click("form[action='/settings/tokens'] button[type=submit]").await;
    browser.wait_for("the new token", "return document.querySelector('[data-new-token]')").await;
    assert_eq!(browser.status().await, 201);
    let tokens = app.store.tokens_of(user.id).await.unwrap();
    assert_eq!(tokens.len(), tokens_before + 1);
    assert!(tokens.iter().any(|t| t.name == "有令牌表单"), "{tokens:?}");
}

/// A person named with a `<script>` tag is shown as that text, never run,
/// on the team pages and in the shell when that person signs in.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    rally_no_browser,
    ignore = "Chromium is not installed (Debian: chromium chromium-driver fonts-wqy-microhei)"
)]
async fn script_in_a_name_is_shown_as_text() {
    const NAME: &str = "<script>window.__pwned=1</script>明";
    let Some((app, browser)) = setup(Backend::Sqlite, Screen::Desktop).await else { return };
    let admin = app.named_user("lan@rally.test", "王兰", "admin", None).await;
    let victim = app.named_user("ming@rally.test", NAME, "rep", Some("华南")).await;
    let not_run =
        "return typeof window.__pwned === 'undefined' && document.querySelectorAll('main script').length === 0";

    browser.sign_in(&app, &admin.email).await;
    browser.goto(&app.url("/team")).await;
    let table = browser.text("main table").await;
    assert!(table.contains(NAME), "the team list should show the name as text:\n{table}");
    assert_eq!(browser.js(not_run).await, true);

    browser.goto(&app.url(&format!("/team/{}", victim.id))).await;
    let value = browser.js("return document.querySelector('main input[name=name]').value").await;
    assert_eq!(value, NAME);
    assert_eq!(browser.js(not_run).await, true);

    browser.sign_out().await;
    browser.sign_in(&app, &victim.email).await;
    assert_eq!(browser.text("main h1").await, format!("您好，{NAME}"));
    assert!(browser.text("header .user-menu summary").await.contains(NAME));
    assert_eq!(browser.js("return typeof window.__pwned === 'undefined'").await, true);
}

/// On a 375-pixel-wide phone the pages fit: tables scroll inside their box,
/// the page itself never scrolls sideways.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    rally_no_browser,
    ignore = "Chromium is not installed (Debian: chromium chromium-driver fonts-wqy-microhei)"
)]
async fn pages_fit_a_phone() {
    let Some((app, browser)) = setup(Backend::Sqlite, Screen::Phone).await else { return };
    let admin = app.named_user("lan@rally.test", "王兰", "admin", None).await;
    some_customers(&app, admin.id).await;
    browser.sign_in(&app, &admin.email).await;
    assert_eq!(browser.js("return window.innerWidth").await, 375);

    for path in ["/", "/customers", "/team", "/settings/tokens", "/settings"] {
        browser.goto(&app.url(path)).await;
        browser.wait_for_page(path).await;
        let widths = browser.js("return [document.documentElement.scrollWidth, document.body.scrollWidth]").await;
        let widest = widths.as_array().unwrap().iter().filter_map(Value::as_i64).max().unwrap();
        if widest > 376 {
            browser.screenshot("rally-phone-overflow.png").await;
        }
        assert!(widest <= 376, "{path} scrolls sideways on a phone: content is {widest}px wide for 375px");
        if path == "/customers" {
            let shot = browser.screenshot("rally-phone.png").await;
            eprintln!("phone screenshot: {}", shot.display());
        }
    }
}

/// The main pages load htmx and break no Content-Security-Policy rule: the
/// console shows no errors and no element carries an inline `style`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    rally_no_browser,
    ignore = "Chromium is not installed (Debian: chromium chromium-driver fonts-wqy-microhei)"
)]
async fn main_pages_keep_the_content_security_policy() {
    let Some((app, browser)) = setup(Backend::Sqlite, Screen::Desktop).await else { return };
    let admin = app.named_user("lan@rally.test", "王兰", "admin", None).await;
    let customer = add_customer(&app, "广州示例贸易有限公司", "华南", Some(admin.id)).await;
    browser.sign_in(&app, &admin.email).await;

    let pages = [
        "/".to_owned(),
        "/customers".to_owned(),
        format!("/customers/{customer}"),
        "/team".to_owned(),
        format!("/team/{}", admin.id),
        "/settings".to_owned(),
        "/settings/tokens".to_owned(),
        "/api/docs".to_owned(),
    ];
    browser.console().await;
    for path in &pages {
        browser.goto(&app.url(path)).await;
        browser.wait_for_page(path).await;
        assert_eq!(browser.status().await, 200, "{path}");
        let htmx = browser.wait_for("htmx", "return typeof htmx !== 'undefined'").await;
        assert_eq!(htmx, true, "{path}: htmx did not load");
        let inline_styles = browser.js("return document.querySelectorAll('[style]').length").await;
        assert_eq!(inline_styles, 0, "{path}: elements with a style attribute (blocked by the CSP)");
        let problems: Vec<Value> = browser.console().await.into_iter().filter(|e| e["level"] == "SEVERE").collect();
        assert!(problems.is_empty(), "{path}: console errors: {problems:#?}");
    }

    // The check can fail: a blocked inline script shows up in the console.
    browser.js("const s = document.createElement('script'); s.textContent = '1'; document.body.append(s)").await;
    let logged = browser.console().await;
    assert!(
        logged.iter().any(|e| e["message"].as_str().is_some_and(|m| m.contains("Content Security Policy"))),
        "a CSP violation should reach the console log: {logged:#?}"
    );
}

/// The segment builder in a real browser: typing a value shows the live
/// count, changing the field swaps in the operators that fit it, a value
/// the parser rejects is marked at its position, and "apply" filters the list.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    rally_no_browser,
    ignore = "Chromium is not installed (Debian: chromium chromium-driver fonts-wqy-microhei)"
)]
async fn segment_builder_counts_live() {
    let Some((app, browser)) = setup(Backend::Sqlite, Screen::Desktop).await else { return };
    let admin = app.named_user("lan@rally.test", "王兰", "admin", None).await;
    some_customers(&app, admin.id).await;
    browser.sign_in(&app, &admin.email).await;
    browser.goto(&app.url("/customers")).await;
    browser.wait_for_page("/customers").await;
    browser.wait_for("htmx", "return typeof htmx !== 'undefined'").await;
    browser.console().await;

    browser.click("details.builder-box > summary").await;
    browser.type_into("#seg-v0", "华南").await;
    let count = "const c = document.querySelector('#builder-preview [data-count]'); return c && c.dataset.count";
    assert_eq!(browser.wait_for("the live count", count).await, "2");
    assert_eq!(browser.text("#builder-preview [data-expression]").await, "region = \"华南\"");

    // Another field: its operators replace the old ones, and the old value no longer reads.
    browser
        .js("const s = document.querySelector('#seg-f0'); s.value = 'annual_purchase';
             s.dispatchEvent(new Event('change', { bubbles: true }))")
        .await;
    browser.wait_for("amount operators", "return !!document.querySelector('#seg-o0 option[value=ge]')").await;
    let position = browser
        .wait_for(
            "the positioned error",
            "const e = document.querySelector('#builder-preview [data-error-position]'); return e && e.dataset.errorPosition",
        )
        .await;
    assert_eq!(position, "19", "the value starts after `annual_purchase = `");
    assert!(browser.text("#builder-preview mark").await.contains('"'), "the position is marked");
    assert_eq!(
        browser.js("return document.querySelector('#seg-v0').value").await,
        "华南",
        "typed text survives the swap"
    );

    browser.js("document.querySelector('#seg-v0').value = ''").await;
    browser.type_into("#seg-v0", "500万").await;
    browser
        .js("const s = document.querySelector('#seg-o0'); s.value = 'ge';
             s.dispatchEvent(new Event('change', { bubbles: true }))")
        .await;
    let expression = "const e = document.querySelector('#builder-preview [data-expression]');
                      return e && e.textContent === 'annual_purchase >= 500万' && e.textContent";
    assert_eq!(browser.wait_for("the new filter", expression).await, "annual_purchase >= 500万");
    assert_eq!(browser.wait_for("the new count", count).await, "4");

    // A second condition joined with `and`.
    browser.click("#segment-builder button[name=add]").await;
    browser.wait_for("a second row", "return !!document.querySelector('#seg-v1')").await;
    browser.type_into("#seg-v1", "华东").await;
    let narrowed = "const c = document.querySelector('#builder-preview [data-count]');
                    return c && c.dataset.count === '1' && c.dataset.count";
    assert_eq!(browser.wait_for("the narrowed count", narrowed).await, "1");

    browser.click("#builder-preview [data-apply]").await;
    browser
        .wait_for(
            "the filtered list",
            "return location.search.includes('segment=') && document.readyState === 'complete'",
        )
        .await;
    assert_eq!(browser.text("[data-total]").await, "共 1 家客户");
    assert_eq!(
        browser.js("return document.querySelector('#segment').value").await,
        "annual_purchase >= 500万 and region = \"华东\""
    );

    // The text field has its own live check, which leaves the list and the address alone.
    let address = browser.js("return location.href").await;
    browser.js("document.querySelector('#segment').value = ''").await;
    browser.type_into("#segment", "regoin = \"华东\"").await;
    let check =
        "const e = document.querySelector('#segment-check [data-error-position]'); return e && e.dataset.errorPosition";
    assert_eq!(browser.wait_for("the text field's check", check).await, "1");
    assert!(browser.text("#segment-check").await.contains("第 1 个字符处：应为字段名"));
    assert_eq!(browser.js("return location.href").await, address);
    assert_eq!(browser.text("[data-total]").await, "共 1 家客户");

    // Filtering in place refreshes the list and the "save this filter" form with it.
    browser.js("document.querySelector('#segment').value = ''").await;
    browser.type_into("#segment", "region = \"华南\"").await;
    browser.click("form[role=search] button[type=submit]").await;
    let total = "const t = document.querySelector('[data-total]'); return t && t.dataset.total === '2'";
    browser.wait_for("the list for the typed filter", total).await;
    let saved = browser.js("return document.querySelector('#saved-box input[name=expression]').value").await;
    assert_eq!(saved, "region = \"华南\"");
    assert!(browser.js("return location.search").await.as_str().unwrap().contains("segment="));
    let problems: Vec<Value> = browser
        .console()
        .await
        .into_iter()
        .filter(|e| e["level"] == "SEVERE" && !e["message"].as_str().unwrap_or("").contains("favicon"))
        .collect();
    assert!(problems.is_empty(), "console errors: {problems:#?}");
}

/// A lead creates a campaign from the UI, generates its target list and edits
/// the breakdown, as the planning issue's browser check asks.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    rally_no_browser,
    ignore = "Chromium is not installed (Debian: chromium chromium-driver fonts-wqy-microhei)"
)]
async fn a_lead_plans_a_campaign() {
    let Some((app, browser)) = setup(Backend::Sqlite, Screen::Desktop).await else { return };
    let lead = app.named_user("qiang@rally.test", "周强", "lead", None).await;
    let ming = app.named_user("ming@rally.test", "明", "rep", Some("华南")).await;
    let fang = app.named_user("fang@rally.test", "芳", "rep", Some("华北")).await;
    for i in 0..4 {
        add_customer(&app, &format!("华南制造{i}有限公司"), "华南", Some(ming.id)).await;
        add_customer(&app, &format!("华北制造{i}有限公司"), "华北", Some(fang.id)).await;
    }
    browser.sign_in(&app, &lead.email).await;

    browser.goto(&app.url("/campaigns")).await;
    browser.click("a[href='/campaigns/new']").await;
    browser.wait_for_page("/campaigns/new").await;
    browser.type_into("input[name=name]", "新品A限时促销").await;
    browser.type_into("input[name=segment]", "industry = \"制造业\"").await;
    // Date inputs take ISO values through script (their typing follows the OS locale).
    browser
        .js("for (const [n, v] of [['announced_on','2025-09-25'],['starts_on','2025-09-29'],['ends_on','2025-10-31']]) {
               document.querySelector(`input[name=${n}]`).value = v; }
             return true")
        .await;
    browser.type_into("input[name=goal_intent]", "8").await;
    browser.type_into("input[name=goal_orders]", "4").await;
    // Opting out of the list and breakdown on creating, to make them step by step.
    browser.click("#plan-form input[name=prepare]").await;
    browser.click("form.grid-form button[type=submit]").await;
    browser.wait_for("the target list page", "return location.pathname.endsWith('/members')").await;
    let campaign_path = browser.path().await.trim_end_matches("/members").to_owned();

    browser.click("form[action$='/members/generate'] button").await;
    browser.wait_for("the generated list", "return document.body.innerText.includes('共 8 家')").await;
    let rows = browser.js("return document.querySelectorAll('main table tbody tr').length").await;
    assert!(rows.as_i64().unwrap_or(0) >= 8, "{rows}");

    browser.click("nav.tabs a[href$='/breakdown']").await;
    browser.wait_for_page(&format!("{campaign_path}/breakdown")).await;
    let total = browser.js("return document.querySelector('[data-total-of=\"breakdown.target\"]').dataset.total").await;
    assert_eq!(total, "8", "the proposal sums to the goal");
    // Move one target from the first row to the second, then save.
    browser
        .js("const t = document.querySelectorAll('input[name=target_customers]');
             t[0].value = String(Number(t[0].value) - 1); t[1].value = String(Number(t[1].value) + 1);
             document.querySelector('input[name=resource_needs]').value = '需技术支持演示';
             return true")
        .await;
    browser.click("main form button[data-save]").await;
    browser.wait_for("the saved breakdown", "return document.body.innerText.includes('任务分解已保存')").await;
    let id: i64 = campaign_path.rsplit('/').next().unwrap().parse().unwrap();
    let saved = app.store.breakdown(id).await.unwrap();
    assert_eq!(saved.iter().map(|r| r.target_customers).sum::<i64>(), 8);
    assert!(saved.iter().any(|r| r.resource_needs == "需技术支持演示"), "{saved:?}");
    let shot = browser.screenshot("rally-breakdown.png").await;
    eprintln!("breakdown screenshot: {}", shot.display());
}

/// A customer of `owner` with `recent` interactions in the last weeks (3 make it tier S).
async fn customer_with_history(app: &TestApp, name: &str, owner: i64, recent: i64) -> i64 {
    use rally::domain::customer::{Channel, InteractionKind};
    use rally::store::customers::{NewContact, NewCustomer, NewInteraction, insert_customers, refresh_activity};
    let today = rally::clock::today();
    let interactions = (0..recent)
        .map(|i| NewInteraction {
            occurred_on: today - chrono::Duration::days(4 + 5 * i),
            occurred_at: Some("10:00".to_owned()),
            channel: Channel::Phone,
            kind: InteractionKind::Call,
            note: "电话回访".to_owned(),
            amount_fen: None,
            created_by: None,
        })
        .collect();
    let customer = NewCustomer {
        name: name.to_owned(),
        name_key: rally::io::names::normalize_company_name(name),
        region: "华南".to_owned(),
        industry: "制造业".to_owned(),
        city: "广州".to_owned(),
        annual_purchase_fen: 800_000_000,
        owner_id: Some(owner),
        source: "manual".to_owned(),
        pain_points: vec!["采购成本高".to_owned()],
        contacts: vec![NewContact { name: "王总".to_owned(), phone: "13800138000".to_owned(), ..Default::default() }],
        interactions,
        ..Default::default()
    };
    let mut tx = app.store.begin().await.unwrap();
    let ids = insert_customers(&mut tx, vec![customer]).await.unwrap();
    refresh_activity(&mut tx, Some(&ids), 3).await.unwrap();
    tx.commit().await.unwrap();
    ids[0]
}

/// On a 375×812 phone a rep signs in, opens their day, logs a follow-up with
/// feedback and next action for the first S member, and sees the next member.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rep_logs_a_follow_up_on_a_phone() {
    let Some((app, browser)) = setup(Backend::Sqlite, Screen::Phone).await else { return };
    let lead = app.named_user("qiang@rally.test", "周强", "lead", None).await;
    let ming = app.named_user("ming@rally.test", "明", "rep", Some("华南")).await;
    let s_customer = customer_with_history(&app, "广州恒达精密制造有限公司", ming.id, 3).await;
    let b_customer = customer_with_history(&app, "深圳瑞丰贸易有限公司", ming.id, 0).await;
    let lead_actor: rally::ops::authz::Actor = app.store.user_by_email(&lead.email).await.unwrap().unwrap().into();
    let today = rally::clock::today();
    let fields = rally::ops::campaigns::CampaignFields {
        name: Some("新品A限时促销".to_owned()),
        kind: Some("new_product".to_owned()),
        selling_points: Some("新品A首发享8折+3年质保".to_owned()),
        segment: Some("region = \"华南\"".to_owned()),
        announced_on: Some(today - chrono::Duration::days(3)),
        starts_on: Some(today - chrono::Duration::days(1)),
        ends_on: Some(today + chrono::Duration::days(20)),
        ..Default::default()
    };
    let campaign = rally::ops::campaigns::create(&app.store, &lead_actor, fields).await.unwrap();
    rally::ops::campaigns::members::generate_members(&app.store, &lead_actor, campaign).await.unwrap();
    let activate = rally::ops::campaigns::CampaignFields { status: Some("active".to_owned()), ..Default::default() };
    rally::ops::campaigns::update(&app.store, &lead_actor, campaign, None, activate).await.unwrap();

    browser.sign_in(&app, &ming.email).await;
    assert_eq!(browser.js("return window.innerWidth").await, 375);
    browser.goto(&app.url("/day")).await;
    browser.wait_for_page("/day").await;
    let first = browser.text("ol.day-list li:first-child a").await;
    assert!(first.contains("广州恒达精密制造有限公司") && first.contains('S'), "the S member comes first: {first}");
    fits(&browser, "/day").await;
    browser.click("ol.day-list li:first-child a").await;
    let member_path = format!("/campaigns/{campaign}/members/{s_customer}");
    browser.wait_for_page(&member_path).await;
    fits(&browser, &member_path).await;
    // What others logged shows before the form; the script for cost shows too.
    assert!(browser.text("#recent").await.contains("电话回访"));
    assert!(browser.text(".scripts-box").await.contains("新品A首发享8折"));

    browser.click("label.seg input[name=feedback_kind][value=objection] + span").await;
    browser.type_into("#fu-summary", "电话介绍新品A折扣与质保政策").await;
    browser.type_into("#fu-feedback", "客户对价格有异议，需提供竞品对比方案").await;
    let tomorrow = (today + chrono::Duration::days(1)).to_string();
    browser.js_with("document.querySelector('#fu-next-on').value = arguments[0]; return true", json!([tomorrow])).await;
    browser.type_into("#fu-next", "发送竞品分析报告并预约二次沟通").await;
    browser.click("label.seg input[name=stage][value=intent] + span").await;
    let shot = browser.screenshot("rally-follow-up-phone.png").await;
    eprintln!("follow-up form screenshot: {}", shot.display());
    browser.click("form.fu-form button.save").await;
    browser.wait_for("the saved banner", "return !!document.querySelector('[data-saved]')").await;
    let next = browser.text("[data-next-member]").await;
    assert!(next.contains("深圳瑞丰贸易有限公司"), "the next member is one tap away: {next}");
    let saved = rally::ops::execution::follow_ups::list(
        &app.store,
        &app.store.user_by_email(&ming.email).await.unwrap().unwrap().into(),
        campaign,
        s_customer,
    )
    .await
    .unwrap();
    assert_eq!(saved.len(), 1);
    assert_eq!(saved[0].feedback, "客户对价格有异议，需提供竞品对比方案");
    assert_eq!(saved[0].next_action_on.map(|d| d.to_string()), Some(tomorrow));
    assert_eq!(saved[0].stage_after.as_str(), "intent");
    browser.click("[data-next-member]").await;
    browser.wait_for_page(&format!("/campaigns/{campaign}/members/{b_customer}")).await;
    assert!(browser.text("main h1").await.contains("深圳瑞丰贸易有限公司"));
    let shot = browser.screenshot("rally-next-member-phone.png").await;
    eprintln!("next member screenshot: {}", shot.display());
}

/// The page does not scroll sideways at 375 px.
async fn fits(browser: &Browser, path: &str) {
    let widths = browser.js("return [document.documentElement.scrollWidth, document.body.scrollWidth]").await;
    let widest = widths.as_array().unwrap().iter().filter_map(Value::as_i64).max().unwrap();
    if widest > 376 {
        browser.screenshot("rally-phone-overflow.png").await;
    }
    assert!(widest <= 376, "{path} scrolls sideways on a phone: content is {widest}px wide for 375px");
}

/// The text of a PDF by poppler's `pdftotext`, or `None` (announced) when it is not installed.
fn pdf_text(pdf: &Path) -> Option<String> {
    match Command::new("pdftotext").arg(pdf).arg("-").output() {
        Ok(out) if out.status.success() => Some(String::from_utf8_lossy(&out.stdout).into_owned()),
        Ok(out) => panic!("pdftotext failed on {}: {}", pdf.display(), String::from_utf8_lossy(&out.stderr)),
        Err(e) => {
            if required() {
                panic!("pdftotext is required to read the printed review (Debian: poppler-utils): {e}");
            }
            shout(&format!(
                "SKIPPING the printed review's text check: pdftotext not found ({e}); install poppler-utils"
            ));
            None
        }
    }
}

/// The review page printed to an A4 PDF (the browser's print to PDF, the
/// print stylesheet) holds the metric table with PRODUCT.md's example, the
/// lessons and the four charts with their Chinese labels, and not the forms.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    rally_no_browser,
    ignore = "Chromium is not installed (Debian: chromium chromium-driver fonts-wqy-microhei)"
)]
async fn the_review_prints_to_an_a4_pdf_with_its_table_and_charts() {
    let Some((app, browser)) = setup(Backend::Sqlite, Screen::Desktop).await else { return };
    let w = crate::review::world(&app).await;
    crate::review::enter_costs(&app, &w).await;
    let (status, _) = crate::review::put_line(&app, &w, "roi", "下次活动提前5天确认物流").await;
    assert_eq!(status, 200);
    browser.sign_in(&app, &w.lead.email).await;
    let path = format!("/campaigns/{}/review", w.campaign);
    browser.goto(&app.url(&path)).await;
    browser.wait_for_page(&path).await;
    let pdf = browser.print_pdf("rally-review.pdf").await;
    eprintln!("the printed review: {}", pdf.display());
    let Some(text) = pdf_text(&pdf) else { return };
    let flat: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    for label in [
        "活动复盘",
        "指标",
        "目标值",
        "实际值",
        "达成率",
        "亮点",
        "问题",
        "改进措施",
        "意向客户",
        "120%",
        "投入产出比",
        "1:3.5",
        "117%",
        "投入产出比：下次活动提前5天确认物流",
        "转化漏斗",
        "目标客户",
        "成交订单",
        "每日进度燃起图",
        "意向目标",
        "订单目标",
        "各级客户转化率",
        "各销售代表转化率",
    ] {
        assert!(flat.contains(label), "{label} is not in the printed review:\n{text}");
    }
    for screen_only in ["保存复盘", "导出活动复盘表", "执行手册"] {
        assert!(!flat.contains(screen_only), "{screen_only} is on screen only, not in the report");
    }
    let pages = text.matches('\u{c}').count() + 1;
    assert!(pages <= 6, "{pages} pages");
}
