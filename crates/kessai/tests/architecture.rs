//! The layout's rules, checked on the source: data flows one way (http → checkout /
//! payments → providers and store → domain), providers are one folder each and the core
//! names none of them, and no source file (of kessai or its sandbox) grows past 800 lines.

use std::path::{Path, PathBuf};

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Every source file of the crate, as (path under `src/`, text).
fn crate_sources() -> Vec<(String, String)> {
    sources_under(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"))
}

/// Every source file under `src`, as (path under `src`, text).
fn sources_under(src: &Path) -> Vec<(String, String)> {
    let mut files = Vec::new();
    sources(src, &mut files);
    files.sort();
    files
        .into_iter()
        .map(|path| {
            let name = path
                .strip_prefix(src)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            (name, std::fs::read_to_string(&path).unwrap())
        })
        .collect()
}

/// The lines of `text` that use `module` of this crate.
fn uses<'a>(text: &'a str, module: &str) -> Vec<&'a str> {
    let pattern = format!("crate::{module}");
    text.lines()
        .filter(|line| {
            let code = line.split("//").next().unwrap_or("");
            code.contains(&format!("{pattern}::")) || code.contains(&format!("{pattern};"))
        })
        .collect()
}

#[test]
fn no_module_below_http_reaches_up_into_it() {
    let above = ["http/", "app.rs", "bench.rs", "main.rs"];
    for (name, text) in crate_sources() {
        if above.iter().any(|a| name.starts_with(a)) {
            continue;
        }
        assert_eq!(uses(&text, "http"), Vec::<&str>::new(), "{name}");
    }
}

#[test]
fn payments_do_not_import_checkout() {
    for (name, text) in crate_sources() {
        if name.starts_with("payments/") {
            assert_eq!(uses(&text, "checkout"), Vec::<&str>::new(), "{name}");
        }
    }
}

#[test]
fn providers_import_none_of_the_core() {
    for (name, text) in crate_sources() {
        if !name.starts_with("providers/") {
            continue;
        }
        for core in ["payments", "checkout", "http", "store", "settings"] {
            assert_eq!(uses(&text, core), Vec::<&str>::new(), "{name} uses {core}");
        }
    }
}

#[test]
fn outside_providers_at_most_five_lines_name_a_provider() {
    let names = ["paygent", "remise", "atone", "yamato", "kuroneko"];
    let exempt = ["providers/", "demo.rs", "bench.rs", "sandbox_server.rs"];
    let naming: Vec<String> = crate_sources()
        .into_iter()
        .filter(|(name, _)| !exempt.iter().any(|e| name.starts_with(e)))
        .flat_map(|(name, text)| {
            text.lines()
                .filter(|line| {
                    let lower = line.to_lowercase();
                    names.iter().any(|n| lower.contains(n))
                })
                .map(|line| format!("{name}: {}", line.trim()))
                .collect::<Vec<_>>()
        })
        .collect();
    assert!(naming.len() <= 5, "{naming:#?}");
}

#[test]
fn no_source_file_is_longer_than_800_lines() {
    let sandbox = Path::new(env!("CARGO_MANIFEST_DIR")).join("../sandbox/src");
    for (name, text) in crate_sources().into_iter().chain(sources_under(&sandbox)) {
        assert!(text.lines().count() <= 800, "{name}");
    }
}
