//! The targets no published parser checks (SPL, AQL, Sumo, CQL): golden files of both profiles,
//! and the structure each language requires — brackets balanced outside string literals, a
//! pipeline's stages each on a `|` line, and every computed name a later stage reads (the counts
//! compared after the aggregation) produced by an earlier one.
//!
//! `T1586_BLESS=1 cargo test -p t1586-rules --test structure` rewrites the golden files after a
//! deliberate change; review the diff.

use std::collections::BTreeSet;
use std::path::PathBuf;

use t1586_detector::{Config, Profile};
use t1586_rules::{Target, render, rules};

const UNPARSED: &[Target] = &[
    Target::SplunkSpl,
    Target::QradarAql,
    Target::Sumo,
    Target::LogscaleCql,
];

fn golden_path(t: Target, profile: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(format!("{t}-{profile}.txt"))
}

/// Every target, both profiles, as the golden file has it (all targets: the diff shows what a
/// change did to each language).
#[test]
fn golden_files() {
    let bless = std::env::var_os("T1586_BLESS").is_some();
    let mut stale = Vec::new();
    for &t in Target::ALL {
        for (profile, p) in [("seed", Profile::Seed), ("default", Profile::Default)] {
            let text = render(t, &rules(&Config::for_profile(p), t));
            let path = golden_path(t, profile);
            if bless {
                std::fs::create_dir_all(path.parent().unwrap()).unwrap();
                std::fs::write(&path, &text).unwrap();
                continue;
            }
            let want = std::fs::read_to_string(&path).unwrap_or_default();
            if want != text {
                stale.push(path.display().to_string());
            }
        }
    }
    assert!(
        stale.is_empty(),
        "rules differ from the golden files (T1586_BLESS=1 rewrites them): {stale:?}"
    );
}

/// The query lines of a rendered rule (its comment lines dropped).
fn queries(t: Target, text: &str) -> Vec<String> {
    text.trim_end()
        .split("\n\n")
        .map(|b| {
            b.lines()
                .filter(|l| !l.starts_with(t.comment()))
                .collect::<Vec<_>>()
                .join("\n")
        })
        .collect()
}

/// Brackets balanced and properly nested outside `"..."` and `'...'` literals (a backslash
/// escapes in double quotes; SQL doubles single quotes, which reads as two literals here).
fn balanced(q: &str) -> Result<(), String> {
    let mut stack = Vec::new();
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for (i, c) in q.char_indices() {
        if let Some(open) = quote {
            if escaped {
                escaped = false;
            } else if c == '\\' && open == '"' {
                escaped = true;
            } else if c == open {
                quote = None;
            }
            continue;
        }
        match c {
            '"' | '\'' => quote = Some(c),
            '(' | '[' | '{' => stack.push(c),
            ')' | ']' | '}' => {
                let want = match c {
                    ')' => '(',
                    ']' => '[',
                    _ => '{',
                };
                if stack.pop() != Some(want) {
                    return Err(format!("unmatched {c:?} at byte {i}"));
                }
            }
            _ => {}
        }
    }
    match (quote, stack.last()) {
        (Some(q), _) => Err(format!("unterminated {q} literal")),
        (None, Some(c)) => Err(format!("unclosed {c:?}")),
        _ => Ok(()),
    }
}

/// Names a query defines (`as X`, `AS X`, `as=X`, `X :=`) and the capitalised names it compares
/// (`X >= n`, `X > n`).
fn names(q: &str) -> (BTreeSet<String>, BTreeSet<String>) {
    let q = q.replace("<>", " != ");
    let words: Vec<&str> = q
        .split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '=' || c == ':' || c == '>'))
        .filter(|w| !w.is_empty())
        .collect();
    let mut defined = BTreeSet::new();
    let mut compared = BTreeSet::new();
    for (i, w) in words.iter().enumerate() {
        if let Some(n) = w.strip_prefix("as=") {
            defined.insert(n.to_string());
        }
        if (*w == "as" || *w == "AS") && i + 1 < words.len() {
            defined.insert(words[i + 1].to_string());
        }
        if *w == ":=" && i > 0 {
            defined.insert(words[i - 1].to_string());
        }
        if (*w == ">=" || *w == ">") && i > 0 && words[i - 1].starts_with(char::is_uppercase) {
            compared.insert(words[i - 1].to_string());
        }
        if let Some((name, _)) = w.split_once(">=")
            && name.starts_with(char::is_uppercase)
        {
            compared.insert(name.to_string());
        }
    }
    (defined, compared)
}

#[test]
fn structure_of_the_unparsed_languages() {
    for &t in UNPARSED {
        for p in [Profile::Seed, Profile::Default] {
            let text = render(t, &rules(&Config::for_profile(p), t));
            for q in queries(t, &text) {
                balanced(&q).unwrap_or_else(|e| panic!("{t}: {e}:\n{q}"));
                let lines: Vec<&str> = q.lines().collect();
                match t {
                    Target::QradarAql => {
                        assert!(lines[0].starts_with("SELECT "), "{t}: {q}");
                        assert!(q.contains("\nFROM events\nWHERE "), "{t}: {q}");
                        let last = lines.last().unwrap();
                        assert!(
                            last.starts_with("LAST ") && last.ends_with(" MINUTES"),
                            "{t}: the time frame closes the query: {q}"
                        );
                    }
                    _ => {
                        // A pipeline: the search, then stages on `|` lines, continuation lines
                        // indented.
                        for l in &lines[1..] {
                            assert!(
                                l.starts_with("| ") || l.starts_with("  "),
                                "{t}: a stage or a continuation: {l:?} in\n{q}"
                            );
                        }
                    }
                }
                let (defined, compared) = names(&q);
                for n in &compared {
                    assert!(
                        defined.contains(n),
                        "{t}: {n} is compared but never produced ({defined:?}):\n{q}"
                    );
                }
            }
        }
    }
}

/// The checks can fail.
#[test]
fn the_checks_find_faults() {
    assert!(balanced("a (b [c] \"(\")").is_ok());
    assert!(balanced("a (b [c)]").is_err());
    assert!(balanced("a (b").is_err());
    assert!(balanced("'it''s'").is_ok());
    let (d, c) =
        names("| stats sum(x) as FailureCount by u\n| where FailureCount>=5 AND Succes >= 1");
    assert!(d.contains("FailureCount"));
    assert!(c.contains("FailureCount") && c.contains("Succes"));
}
