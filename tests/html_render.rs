//! The HTML report as a browser sees it: headless Chromium parses the page
//! ftpspec wrote (a run against the scripted server with a fault, so that
//! every section has content) and serialises its DOM. If the markup were
//! not well-formed the parser would repair it (move, close or add
//! elements), so the browser's element sequence must equal the page's, and
//! every in-page link must lead to an element of the rendered page.
//!
//! Without Chromium the test is ignored, with the reason (see build.rs),
//! unless `CI` or `FTPSPEC_REQUIRE_BROWSER=1` (set by .ci/run, which
//! installs it) is set: then it runs and fails, naming the install.

mod support;

use std::collections::BTreeSet;
use std::process::Command;

fn browser() -> Option<&'static str> {
    ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find(|b| {
            Command::new(b)
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success())
        })
}

/// The start tags in order, as lower-case names, leaving out what an HTML
/// parser adds by itself (html, head, body, tbody).
fn start_tags(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(i) = rest.find('<') {
        rest = &rest[i + 1..];
        let name: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_lowercase();
        if !name.is_empty() && !["html", "head", "body", "tbody"].contains(&name.as_str()) {
            out.push(name);
        }
    }
    out
}

/// Every `id="…"` and every `href="#…"` target.
fn ids_and_links(html: &str) -> (BTreeSet<String>, BTreeSet<String>) {
    let grab = |marker: &str| -> BTreeSet<String> {
        html.split(marker)
            .skip(1)
            .filter_map(|s| s.split('"').next())
            .map(str::to_owned)
            .collect()
    };
    (grab(" id=\""), grab("href=\"#"))
}

// Ignored with the reason where no browser runs (build.rs), except in CI.
#[cfg_attr(
    ftpspec_no_browser,
    ignore = "no chromium runs here: apt-get install chromium to run this test"
)]
#[test]
fn the_html_report_renders_as_written() {
    let browser = browser().expect("no chromium runs: apt-get install chromium");
    let rt = tokio::runtime::Runtime::new().unwrap();
    let server = rt.block_on(support::scripted_server::ScriptedServer::start(
        support::scripted_server::Fault::Missing150,
    ));
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("report.html");
    let (code, _, err) = support::cli::ftpspec(&[
        "run",
        "--target",
        &server.url(),
        "--only",
        "basic.*",
        "--only",
        "transfer.*",
        "--timeout",
        "1s",
        "--report",
        &format!("html={}", page.display()),
    ]);
    assert_eq!(code, 1, "the faulty server fails some cases: {err}");
    drop(server);
    let source = std::fs::read_to_string(&page).unwrap();
    assert!(source.contains("<h3 id=\"r0-fail\">"), "a fail section");
    let out = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--dump-dom",
            &format!("file://{}", page.display()),
        ])
        .output()
        .expect("run chromium");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let dom = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        start_tags(&dom),
        start_tags(&source),
        "the browser repaired the markup: the page is not well-formed"
    );
    let (ids, links) = ids_and_links(&dom);
    let dangling: Vec<&String> = links.difference(&ids).collect();
    assert!(dangling.is_empty(), "links to nowhere: {dangling:?}");
    assert!(links.len() > 5, "the page links its sections: {links:?}");
}
