//! Hostile spreadsheets against a real `rally serve` process: zip bombs of
//! several shapes, lying and truncated zips, files that are not what they
//! say, mixed encodings, control characters, formula leaders, BOM variants.
//! Each goes through the API (a dry run), the import page (upload, preview)
//! and the command line (a dry run), and must be answered clearly (a 4xx
//! with a specific code, or an `error:` line naming the problem), within
//! 10 s each, writing nothing, with the server's peak memory (VmHWM from
//! /proc) under 1 GB.
//!
//! The small files are committed in tests/fixtures/hostile/ (written by its
//! make_hostile.py); the large bombs are built here at run time, the same
//! way: one deflate block compressed once and repeated, so a gigabyte of
//! XML costs a megabyte and a moment.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::helpers::{PASSWORD, hidden_csrf};

const RALLY: &str = env!("CARGO_BIN_EXE_rally");
const MB: usize = 1 << 20;
/// What a hostile upload may cost the server at most.
const MEMORY_CEILING_KB: u64 = 1 << 20;
const TIME_CEILING: Duration = Duration::from_secs(10);

// ---------------------------------------------------------------- building bombs

/// Raw deflate of the concatenation of `(bytes, repeat)` segments, with the
/// CRC-32 and size of what it inflates to.
fn deflate(segments: &[(&[u8], usize)]) -> (Vec<u8>, u32, u64) {
    let mut out = Vec::new();
    let mut crc = crc32fast::Hasher::new();
    let mut size = 0u64;
    for (data, repeat) in segments {
        let mut compress = flate2::Compress::new(flate2::Compression::best(), false);
        let mut block = Vec::with_capacity(data.len() + 1024);
        // A full flush ends the block byte-aligned with a fresh dictionary,
        // so copies of it can follow one another.
        compress.compress_vec(data, &mut block, flate2::FlushCompress::Full).unwrap();
        assert_eq!(compress.total_in(), data.len() as u64, "the block takes all its input at once");
        for _ in 0..*repeat {
            out.extend_from_slice(&block);
            crc.update(data);
        }
        size += (data.len() * repeat) as u64;
    }
    out.extend_from_slice(&[0x03, 0x00]); // a final, empty block
    (out, crc.finalize(), size)
}

struct Entry {
    name: String,
    payload: Vec<u8>,
    method: u16,
    crc: u32,
    declared: u64,
}

impl Entry {
    fn deflated(name: &str, segments: &[(&[u8], usize)]) -> Entry {
        let (payload, crc, size) = deflate(segments);
        Entry { name: name.to_owned(), payload, method: 8, crc, declared: size }
    }

    fn xml(name: &str, data: &[u8]) -> Entry {
        Entry::deflated(name, &[(data, 1)])
    }

    fn stored(name: &str, data: &[u8]) -> Entry {
        let crc = crc32fast::hash(data);
        Entry { name: name.to_owned(), payload: data.to_vec(), method: 0, crc, declared: data.len() as u64 }
    }

    fn declaring(mut self, size: u64) -> Entry {
        self.declared = size;
        self
    }
}

/// A zip written by hand, so that its directory can say anything.
fn zip(entries: &[Entry]) -> Vec<u8> {
    let (mut out, mut central) = (Vec::new(), Vec::new());
    for e in entries {
        let offset = out.len() as u32;
        let declared = e.declared.min(0xFFFF_FFFE) as u32;
        let name = e.name.as_bytes();
        let mut header = Vec::new();
        header.extend(0x0403_4B50u32.to_le_bytes());
        header.extend([20u16, 0, e.method, 0, 0x21].iter().flat_map(|v| v.to_le_bytes()));
        header.extend([e.crc, e.payload.len() as u32, declared].iter().flat_map(|v| v.to_le_bytes()));
        header.extend([name.len() as u16, 0].iter().flat_map(|v| v.to_le_bytes()));
        out.extend(header);
        out.extend(name);
        out.extend(&e.payload);
        central.extend(0x0201_4B50u32.to_le_bytes());
        central.extend([20u16, 20, 0, e.method, 0, 0x21].iter().flat_map(|v| v.to_le_bytes()));
        central.extend([e.crc, e.payload.len() as u32, declared].iter().flat_map(|v| v.to_le_bytes()));
        central.extend([name.len() as u16, 0, 0, 0, 0].iter().flat_map(|v| v.to_le_bytes()));
        central.extend([0u32, offset].iter().flat_map(|v| v.to_le_bytes()));
        central.extend(name);
    }
    let (cd_offset, count) = (out.len() as u32, entries.len().min(0xFFFF) as u16);
    let cd_len = central.len() as u32;
    out.extend(central);
    out.extend(0x0605_4B50u32.to_le_bytes());
    out.extend([0u16, 0, count, count].iter().flat_map(|v| v.to_le_bytes()));
    out.extend([cd_len, cd_offset].iter().flat_map(|v| v.to_le_bytes()));
    out.extend(0u16.to_le_bytes());
    out
}

const ROOT_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#;
const SHEET_HEAD: &str = r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>客户名称</t></is></c></row>"#;
const SHEET_TAIL: &str = "</sheetData></worksheet>";
const SST_HEAD: &str =
    r#"<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">"#;

/// A workbook whose first sheet is `sheet`; `sheets` sheets in all.
fn xlsx(sheet: Entry, shared_strings: Option<Entry>, sheets: usize) -> Vec<u8> {
    let mut workbook = String::from(
        r#"<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>"#,
    );
    let mut rels = String::from(
        r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">"#,
    );
    for i in 1..=sheets {
        workbook.push_str(&format!(r#"<sheet name="S{i}" sheetId="{i}" r:id="rId{i}"/>"#));
        rels.push_str(&format!(
            r#"<Relationship Id="rId{i}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet{i}.xml"/>"#
        ));
    }
    workbook.push_str("</sheets></workbook>");
    rels.push_str(r#"<Relationship Id="rIdS" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>"#);
    let mut entries = vec![
        Entry::xml("_rels/.rels", ROOT_RELS.as_bytes()),
        Entry::xml("xl/workbook.xml", workbook.as_bytes()),
        Entry::xml("xl/_rels/workbook.xml.rels", rels.as_bytes()),
        sheet,
    ];
    let other = format!("{SHEET_HEAD}{SHEET_TAIL}");
    for i in 2..=sheets {
        entries.push(Entry::xml(&format!("xl/worksheets/sheet{i}.xml"), other.as_bytes()));
    }
    entries.extend(shared_strings);
    zip(&entries)
}

fn sheet(segments: &[(&[u8], usize)]) -> Entry {
    Entry::deflated("xl/worksheets/sheet1.xml", segments)
}

fn one_cell_sheet() -> Entry {
    let xml = format!(r#"{SHEET_HEAD}<row r="2"><c r="A2" t="s"><v>0</v></c></row>{SHEET_TAIL}"#);
    Entry::xml("xl/worksheets/sheet1.xml", xml.as_bytes())
}

/// Builds the large bombs one at a time into `dir`.
fn write_big_bombs(dir: &Path) -> Vec<(String, PathBuf)> {
    big_bombs()
        .into_iter()
        .map(|(name, build)| {
            let path = dir.join(name);
            std::fs::write(&path, build()).unwrap();
            (name.to_owned(), path)
        })
        .collect()
}

type Build = Box<dyn FnOnce() -> Vec<u8>>;

fn a_mb() -> Vec<u8> {
    vec![b'A'; MB]
}

fn cell_open() -> String {
    format!(r#"{SHEET_HEAD}<row r="2"><c r="A2" t="inlineStr"><is><t>"#)
}

fn cell_close() -> String {
    format!("</t></is></c></row>{SHEET_TAIL}")
}

/// A sheet with one inline cell of `mb` megabytes.
fn one_huge_cell(mb: usize) -> Entry {
    sheet(&[(cell_open().as_bytes(), 1), (&a_mb(), mb), (cell_close().as_bytes(), 1)])
}

fn shared_strings(segments: &[(&[u8], usize)]) -> Option<Entry> {
    Some(Entry::deflated("xl/sharedStrings.xml", segments))
}

/// The large bombs: (name, how to build it).
fn big_bombs() -> Vec<(&'static str, Build)> {
    vec![
        // One cell of 1.1 GB, declared honestly (a streamed sheet may be up
        // to 4 GB): the guard stops at the first megabyte of text.
        ("huge_inline_cell.xlsx", Box::new(|| xlsx(one_huge_cell(1100), None, 1))),
        // One cell of 300 MB, in a sheet within the limit: the guard stops
        // at the first megabyte of text.
        ("huge_cell_within_limit.xlsx", Box::new(|| xlsx(one_huge_cell(300), None, 1))),
        // The directory says 2 kB; the sheet inflates to 1.1 GB.
        ("lying_directory.xlsx", Box::new(|| xlsx(one_huge_cell(1100).declaring(2048), None, 1))),
        // One shared string of 1.1 GB.
        (
            "huge_shared_string.xlsx",
            Box::new(|| {
                let head = format!("{SST_HEAD}<si><t>");
                xlsx(
                    one_cell_sheet(),
                    shared_strings(&[(head.as_bytes(), 1), (&a_mb(), 1100), (b"</t></si></sst>", 1)]),
                    1,
                )
            }),
        ),
        // 30,000 shared strings of 10 kB (300 MB, within the part's limit):
        // stops at the memory the strings may take (192 MB).
        (
            "many_big_shared_strings.xlsx",
            Box::new(|| {
                let string = format!("<si><t>{}</t></si>", "B".repeat(10_000));
                let sst = shared_strings(&[(SST_HEAD.as_bytes(), 1), (string.as_bytes(), 30_000), (b"</sst>", 1)]);
                xlsx(one_cell_sheet(), sst, 1)
            }),
        ),
        // 200 million empty shared strings (1 GB).
        (
            "empty_shared_strings.xlsx",
            Box::new(|| {
                let empties = "<si/>".repeat(1000);
                let sst = shared_strings(&[(SST_HEAD.as_bytes(), 1), (empties.as_bytes(), 200_000), (b"</sst>", 1)]);
                xlsx(one_cell_sheet(), sst, 1)
            }),
        ),
        // Rows of fourteen 1 kB cells, 140 MB (400 MB once stopped at the
        // whole table's memory): streamed a batch at a time, so memory stays
        // flat; its header (the first row) names no column, and the preview
        // counts its rows.
        (
            "many_big_cells.xlsx",
            Box::new(|| {
                let cell = format!(r#"<c t="inlineStr"><is><t>{}</t></is></c>"#, "C".repeat(1000));
                let row = format!("<row>{}</row>", cell.repeat(14));
                xlsx(
                    sheet(&[(SHEET_HEAD.as_bytes(), 1), (row.as_bytes(), 10_000), (SHEET_TAIL.as_bytes(), 1)]),
                    None,
                    1,
                )
            }),
        ),
        // Ten million nested elements in a cell.
        (
            "deep_nesting.xlsx",
            Box::new(|| {
                let open = format!(r#"{SHEET_HEAD}<row r="2"><c r="A2" t="inlineStr"><is>"#);
                let close = format!("</is></c></row>{SHEET_TAIL}");
                let (nest, unnest) = ("<r>".repeat(1000), "</r>".repeat(1000));
                let segments: [(&[u8], usize); 4] = [
                    (open.as_bytes(), 1),
                    (nest.as_bytes(), 10_000),
                    (unnest.as_bytes(), 10_000),
                    (close.as_bytes(), 1),
                ];
                xlsx(sheet(&segments), None, 1)
            }),
        ),
        // A header of a million columns.
        (
            "million_columns.xlsx",
            Box::new(|| {
                let head = r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row>"#;
                let cells = r#"<c t="inlineStr"><is><t>h</t></is></c>"#.repeat(1000);
                let tail = b"</row></sheetData></worksheet>";
                xlsx(sheet(&[(head.as_bytes(), 1), (cells.as_bytes(), 1000), (tail, 1)]), None, 1)
            }),
        ),
        // 20,000 sheets.
        ("many_sheets.xlsx", Box::new(|| xlsx(one_cell_sheet(), None, 20_000))),
        // 300,000 empty entries: a directory of 14 MB.
        (
            "many_entries.xlsx",
            Box::new(|| {
                let mut entries = vec![Entry::xml("_rels/.rels", ROOT_RELS.as_bytes())];
                entries.extend((0..300_000).map(|i| Entry::stored(&format!("x/{i}"), b"")));
                zip(&entries)
            }),
        ),
        // A valid header padded with 100 million empty unknown elements, or
        // 50 million comments (400 MB of XML, within the sheet's limit):
        // refused after a million, not read to the end.
        (
            "many_tiny_elements.xlsx",
            Box::new(|| {
                xlsx(
                    sheet(&[(SHEET_HEAD.as_bytes(), 1), (&b"<x/>".repeat(1000), 100_000), (SHEET_TAIL.as_bytes(), 1)]),
                    None,
                    1,
                )
            }),
        ),
        (
            "many_comments.xlsx",
            Box::new(|| {
                xlsx(
                    sheet(&[
                        (SHEET_HEAD.as_bytes(), 1),
                        (&b"<!--x-->".repeat(1000), 50_000),
                        (SHEET_TAIL.as_bytes(), 1),
                    ]),
                    None,
                    1,
                )
            }),
        ),
        // The same padding inside one cell, inside one shared string and
        // between shared strings (400 MB, within the parts' limits).
        (
            "padded_cell.xlsx",
            Box::new(|| {
                let open = format!(r#"{SHEET_HEAD}<row r="2"><c r="A2"><v>1</v>"#);
                let close = format!("</c></row>{SHEET_TAIL}");
                xlsx(sheet(&[(open.as_bytes(), 1), (&b"<x/>".repeat(1000), 100_000), (close.as_bytes(), 1)]), None, 1)
            }),
        ),
        (
            "padded_shared_string.xlsx",
            Box::new(|| {
                let head = format!("{SST_HEAD}<si><t>a</t>");
                let sst =
                    shared_strings(&[(head.as_bytes(), 1), (&b"<!--x-->".repeat(1000), 30_000), (b"</si></sst>", 1)]);
                xlsx(one_cell_sheet(), sst, 1)
            }),
        ),
        (
            "padded_shared_strings.xlsx",
            Box::new(|| {
                let head = format!("{SST_HEAD}<si><t>a</t></si>");
                let sst = shared_strings(&[(head.as_bytes(), 1), (&b"<x/>".repeat(1000), 60_000), (b"</sst>", 1)]);
                xlsx(one_cell_sheet(), sst, 1)
            }),
        ),
        // CSV: 60 MB of commas on one line; one field of 60 MB; 28 million
        // tiny cells; a header of a million columns.
        ("commas.csv", Box::new(|| ["客户名称\n".as_bytes(), &vec![b','; 60 * MB], b"\n"].concat())),
        ("huge_field.csv", Box::new(|| ["客户名称\n\"".as_bytes(), &vec![b'A'; 60 * MB], b"\"\n"].concat())),
        (
            "tiny_cells.csv",
            Box::new(|| {
                let row = format!("{}a\n", "a,".repeat(13));
                [format!("客户名称{}\n", ",h".repeat(13)), row.repeat(2_000_000)].concat().into_bytes()
            }),
        ),
        ("million_columns.csv", Box::new(|| format!("客户名称{}\n", ",h".repeat(1_000_000)).into_bytes())),
    ]
}

// ---------------------------------------------------------------- the server

struct Server {
    child: Child,
    base: String,
    token: String,
    rep_token: String,
    database_url: String,
    _dir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status();
        let _ = self.child.wait();
    }
}

fn cli(args: &[&str], stdin: Option<&str>) -> std::process::Output {
    crate::helpers::rally(args, stdin, Path::new("."))
}

fn start_server() -> Server {
    let dir = tempfile::tempdir().unwrap();
    let database_url = format!("sqlite://{}", dir.path().join("rally.db").display());
    let password = format!("{PASSWORD}\n");
    for (email, role, region) in [("admin@example.com", "admin", None), ("ming@rally.example", "rep", Some("华南"))] {
        let mut args =
            vec!["user", "add", "--database-url", &database_url, "--email", email, "--name", "测试", "--role", role];
        if let Some(region) = region {
            args.extend(["--region", region]);
        }
        let out = cli(&args, Some(&password));
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
    let token = |email: &str| {
        let out = cli(&["token", "create", "--database-url", &database_url, "--email", email], None);
        String::from_utf8(out.stdout).unwrap().trim().to_owned()
    };
    let (admin_token, rep_token) = (token("admin@example.com"), token("ming@rally.example"));
    let mut child = Command::new(RALLY)
        .args(["serve", "--addr", "127.0.0.1:0", "--database-url", &database_url])
        .env("RUST_LOG", "error")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start rally serve");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let base = line.split("running at ").nth(1).and_then(|rest| rest.split_whitespace().next()).unwrap().to_owned();
    Server { child, base, token: admin_token, rep_token, database_url, _dir: dir }
}

/// A value from /proc/PID/status, in kB.
fn proc_status_kb(pid: u32, key: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with(key))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn multipart(file_name: &str, bytes: &[u8]) -> (String, Vec<u8>) {
    let boundary = "rally-hostile-boundary-4f9e1c";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"kind\"\r\n\r\ncustomers\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\n\
         Content-Type: application/octet-stream\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

async fn signed_in(base: &str) -> reqwest::Client {
    let client =
        reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let page = client.get(format!("{base}/login")).send().await.unwrap().text().await.unwrap();
    let csrf = hidden_csrf(&page);
    let form = [("csrf", csrf.as_str()), ("email", "admin@example.com"), ("password", PASSWORD), ("next", "/")];
    let response = client.post(format!("{base}/login")).form(&form).send().await.unwrap();
    assert_eq!(response.status(), 303, "sign-in");
    client
}

/// What a file must get: the API's status and error code (`None`: a dry-run
/// report), and what the command line's output must mention.
struct Expect {
    status: u16,
    code: Option<&'static str>,
    cli: &'static str,
}

fn expect(name: &str) -> Expect {
    let refused = |code, cli| Expect { status: 422, code: Some(code), cli };
    match name {
        "huge_shared_string.xlsx" | "empty_shared_strings.xlsx" => {
            refused("file_unpacks_too_large", "unpacks to more than")
        }
        "huge_inline_cell.xlsx" | "huge_cell_within_limit.xlsx" => refused("file_xlsx_invalid", "longer than 1 MB"),
        "lying_directory.xlsx" => refused("file_xlsx_invalid", "does not match what the zip directory says"),
        "many_big_shared_strings.xlsx" | "tiny_cells.csv" | "cell_ref_overflow.xlsx" => {
            refused("file_too_large", "too large")
        }
        "many_big_cells.xlsx" => refused("column_missing", "required column missing"),
        "deep_nesting.xlsx" | "deep_nesting_small.xlsx" => refused("file_xlsx_invalid", "nested more than"),
        "many_tiny_elements.xlsx"
        | "many_comments.xlsx"
        | "padded_cell.xlsx"
        | "padded_shared_string.xlsx"
        | "padded_shared_strings.xlsx" => refused("file_xlsx_invalid", "neither rows nor cells"),
        "million_columns.xlsx" | "million_columns.csv" | "commas.csv" | "header_only_commas.csv" => {
            refused("file_too_many_columns", "more than 16384 columns")
        }
        "many_sheets.xlsx" | "many_entries.xlsx" => refused("file_too_many_parts", "parts"),
        "huge_field.csv" => refused("file_cell_too_long", "longer than 32767 characters"),
        "truncated.xlsx" | "truncated_directory.xlsx" => refused("file_xlsx_invalid", "not a complete .xlsx"),
        "not_xlsx.zip" | "no_workbook.xlsx" | "empty.xlsx" => {
            refused("file_unsupported", "unsupported file type (zip)")
        }
        "ods_as_xlsx.xlsx" => refused("file_unsupported", "unsupported file type (ods)"),
        "html_table.xls" => refused("file_unsupported", "unsupported file type (html)"),
        "binary.csv" => refused("file_unsupported", "unsupported file type (binary)"),
        "utf32_bom.csv" => refused("file_unsupported", "unsupported file type (utf-32)"),
        "legacy.xls" => refused("file_legacy_xls", "legacy Excel"),
        "mixed_utf8_header_gbk_rows.csv" | "mixed_gbk_header_utf8_rows.csv" => {
            refused("file_mixed_encoding", "mixed encodings")
        }
        "nul_in_cell.csv" | "control_in_cell.csv" | "control_in_cell.xlsx" => {
            refused("rejected_rows", "(control_char)")
        }
        "empty.csv" => refused("file_empty", "no header row"),
        // Not hostile after all: the bytes decide, BOMs are read, guards dropped.
        "xlsx_named.csv" | "utf16le_bom.csv" | "utf16be_bom.csv" | "double_bom.csv" | "formula_leaders.csv" => {
            Expect { status: 200, code: None, cli: "dry run, nothing written" }
        }
        other => panic!("no expectation for {other}"),
    }
}

/// Every hostile file: the API, the page and the command line, each within
/// the time limit and the server within the memory limit; nothing written.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_files_are_refused_quickly_and_cheaply() {
    let server = start_server();
    let base = server.base.clone();
    let pid = server.child.id();
    let api = reqwest::Client::new();
    let browser = signed_in(&base).await;
    let work = tempfile::tempdir().unwrap();

    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/hostile");
    let mut names: Vec<String> = std::fs::read_dir(&fixtures)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| !n.ends_with(".py"))
        .collect();
    names.sort();
    let mut files: Vec<(String, PathBuf)> = names.into_iter().map(|n| (n.clone(), fixtures.join(n))).collect();
    let started = Instant::now();
    files.extend(write_big_bombs(work.path()));
    eprintln!("hostile files built in {:?}", started.elapsed());

    let mut report = Vec::new();
    for (name, path) in &files {
        let bytes = std::fs::read(path).unwrap();
        let expected = expect(name);

        // The API, as a dry run.
        let started = Instant::now();
        let response = api
            .post(format!("{base}/api/v1/imports/customers?dry_run=true"))
            .bearer_auth(&server.token)
            .header("content-type", "application/octet-stream")
            .body(bytes.clone())
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let body: Value = response.json().await.unwrap();
        let api_time = started.elapsed();
        assert_eq!(status, expected.status, "{name}: {body}");
        assert_eq!(body["error"]["code"].as_str(), expected.code, "{name}: {body}");
        assert!(api_time < TIME_CEILING, "{name}: the API took {api_time:?}");

        // The import page: upload, and the preview when it is accepted.
        let started = Instant::now();
        let page = browser.get(format!("{base}/customers/import")).send().await.unwrap().text().await.unwrap();
        let csrf = hidden_csrf(&page);
        let (content_type, form) = multipart(name, &bytes);
        let response = browser
            .post(format!("{base}/customers/import"))
            .header("x-csrf-token", &csrf)
            .header("content-type", content_type)
            .body(form)
            .send()
            .await
            .unwrap();
        let mut web_status = response.status().as_u16();
        let mut location = response.headers().get("location").map(|l| l.to_str().unwrap().to_owned());
        let mut html = response.text().await.unwrap();
        // A check not done within the page's wait shows its progress; its
        // outcome is what the page answers.
        while let Some(progress) = location.clone().filter(|l| l.ends_with("/progress")) {
            let response = browser.get(format!("{base}{progress}")).send().await.unwrap();
            web_status = response.status().as_u16();
            let next = response.headers().get("location").map(|l| l.to_str().unwrap().to_owned());
            html = response.text().await.unwrap();
            location = if html.contains("id=\"import-progress\"") {
                assert!(started.elapsed() < TIME_CEILING, "{name}: still checked after {:?}", started.elapsed());
                tokio::time::sleep(Duration::from_millis(50)).await;
                Some(progress)
            } else {
                next
            };
        }
        if web_status == 303 {
            let location = location.unwrap();
            let preview = browser.get(format!("{base}{location}")).send().await.unwrap();
            assert_eq!(preview.status(), 200, "{name}: preview");
        } else {
            assert!(html.contains("notice bad"), "{name}: the page says why ({web_status})");
        }
        let web_time = started.elapsed();
        // The page refuses what it cannot read at once; rows with bad cells
        // are listed on the preview, like any other bad row, and a missing
        // column is chosen there.
        let page_refuses = expected.status != 200 && !matches!(expected.code, Some("rejected_rows" | "column_missing"));
        assert_eq!(web_status == 422, page_refuses, "{name}: page answered {web_status}");
        assert!(web_time < TIME_CEILING, "{name}: the page took {web_time:?}");

        // The command line, as a dry run (on a file that is refused, it
        // does not even open the database).
        let started = Instant::now();
        let (out, cli_peak_kb) = cli_dry_run(path, &server.database_url, work.path());
        let cli_time = started.elapsed();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        if expected.status == 200 {
            assert!(out.status.success(), "{name}: {stderr}");
            assert!(stdout.contains(expected.cli), "{name}: {stdout}");
        } else {
            assert!(!out.status.success(), "{name}: the command should fail");
            let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
            assert_eq!(lines.len(), 1, "{name}: one error line: {stderr}");
            assert!(lines[0].starts_with("error:"), "{name}: {stderr}");
            assert!(
                lines[0].contains(expected.cli) || stdout.contains(expected.cli),
                "{name}: {:?} should say {:?} ({stdout})",
                lines[0],
                expected.cli
            );
        }
        assert!(cli_time < TIME_CEILING, "{name}: the command took {cli_time:?}");
        assert!(cli_peak_kb < MEMORY_CEILING_KB, "{name}: the command peaked at {cli_peak_kb} kB");
        let server_peak_kb = proc_status_kb(pid, "VmHWM").unwrap();
        report.push(format!(
            "{name:<34} {:>9} B  api {status} {api_time:>9.1?}  page {web_status} {web_time:>9.1?}  cli {cli_time:>9.1?} {:>5} MB  server peak {:>5} MB",
            bytes.len(),
            cli_peak_kb / 1024,
            server_peak_kb / 1024
        ));
        assert!(server_peak_kb < MEMORY_CEILING_KB, "{name}: the server peaked at {server_peak_kb} kB");
    }
    eprintln!("{}", report.join("\n"));

    // Three bombs at once from one rep: one runs, two are refused at once.
    let huge = std::fs::read(work.path().join("huge_field.csv")).unwrap();
    let send = || {
        api.post(format!("{base}/api/v1/imports/customers?dry_run=true"))
            .bearer_auth(&server.rep_token)
            .header("content-type", "text/csv")
            .body(huge.clone())
            .send()
    };
    let (a, b, c) = tokio::join!(send(), send(), send());
    // A refused request is answered before its body is read, so the client
    // may still be sending when the server closes: that is a refusal too
    // (the 409 itself is checked in `import::imports_wait_for_nobody…`).
    let statuses: Vec<Option<u16>> = [a, b, c].into_iter().map(|r| r.ok().map(|r| r.status().as_u16())).collect();
    assert!(statuses.contains(&Some(422)), "one of them ran and was refused for its content: {statuses:?}");
    assert!(statuses.iter().all(|s| matches!(s, Some(422 | 409) | None)), "the others were told to wait: {statuses:?}");
    let server_peak_kb = proc_status_kb(pid, "VmHWM").unwrap();
    assert!(server_peak_kb < MEMORY_CEILING_KB, "three at once: the server peaked at {server_peak_kb} kB");

    // Nothing was written.
    let list: Value = api
        .get(format!("{base}/api/v1/customers?limit=1"))
        .bearer_auth(&server.token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list["total"], 0, "{list}");
}

/// `rally import customers FILE --dry-run`, with its peak memory (sampled
/// from /proc while it runs; output goes to files so it never blocks).
fn cli_dry_run(path: &Path, database_url: &str, work: &Path) -> (std::process::Output, u64) {
    let (out_path, err_path) = (work.join("cli.out"), work.join("cli.err"));
    let mut child = Command::new(RALLY)
        .args(["import", "customers", path.to_str().unwrap(), "--dry-run", "--database-url", database_url])
        .env_remove("RALLY_DATABASE_URL")
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&out_path).unwrap())
        .stderr(std::fs::File::create(&err_path).unwrap())
        .spawn()
        .unwrap();
    let mut peak = 0;
    let status = loop {
        if let Some(kb) = proc_status_kb(child.id(), "VmHWM") {
            peak = peak.max(kb);
        }
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let output = std::process::Output {
        status,
        stdout: std::fs::read(&out_path).unwrap(),
        stderr: std::fs::read(&err_path).unwrap(),
    };
    (output, peak)
}
