//! IP lists (Tor exit lists, trusted ranges): the one parser every host uses (the CLI natively, the
//! C ABI's `t1586_parse_ip_list`, the JS binding's `parseIpList`), so a list means the same
//! everywhere.
//!
//! The rule, line by line:
//! * a line holds one IPv4 or IPv6 address, or a network in CIDR notation (`203.0.113.0/24`),
//!   optionally followed by whitespace and anything else (ignored: a comment, a date);
//! * TorDNSEL lines are understood: `ExitAddress <ip> <date>` gives the address; `ExitNode`,
//!   `Published`, `LastStatus` and the `@type tordnsel` header are skipped;
//! * blank lines and lines starting with `#` are skipped;
//! * anything else (`999.1.1.1`, `@foo`, `host.example`) is an error naming its line.

use std::net::IpAddr;

use ipnet::IpNet;

/// The addresses and networks of a list, in the list's order, as written canonically.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IpList {
    /// Single addresses.
    pub addresses: Vec<IpAddr>,
    /// Networks written with a prefix length.
    pub networks: Vec<IpNet>,
}

/// The lines of a list that are not entries, with their 1-based numbers (the first
/// [`IpListError::SHOWN`] of them; `count` counts all).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.describe())]
pub struct IpListError {
    /// (line, what is wrong), the first few.
    pub lines: Vec<(usize, String)>,
    /// How many lines are wrong in all.
    pub count: usize,
}

impl IpListError {
    /// Bad lines listed in the error.
    pub const SHOWN: usize = 5;

    fn describe(&self) -> String {
        let mut s = String::new();
        for (n, m) in &self.lines {
            if !s.is_empty() {
                s.push_str("; ");
            }
            s.push_str(&format!("line {n}: {m}"));
        }
        if self.count > self.lines.len() {
            s.push_str(&format!(
                " (and {} more bad lines)",
                self.count - self.lines.len()
            ));
        }
        s
    }
}

/// A token as shown in an error: quoted, escaped, at most 60 characters.
fn shown(t: &str) -> String {
    let cut: String = t.chars().take(60).collect();
    let more = if cut.len() < t.len() { "..." } else { "" };
    format!("{cut:?}{more}")
}

/// Parse a list (see the module documentation).
pub fn parse_ip_list(text: &str) -> Result<IpList, IpListError> {
    let mut list = IpList::default();
    let mut err = IpListError {
        lines: Vec::new(),
        count: 0,
    };
    for (i, line) in text.lines().enumerate() {
        let l = line.trim();
        if l.is_empty() || l.starts_with('#') {
            continue;
        }
        let mut words = l.split_whitespace();
        let first = words.next().unwrap_or_default();
        let entry = match first {
            "ExitNode" | "Published" | "LastStatus" => continue,
            "@type" if words.next() == Some("tordnsel") => continue,
            "ExitAddress" => words.next().unwrap_or_default(),
            other => other,
        };
        if let Ok(a) = entry.parse::<IpAddr>() {
            list.addresses.push(a);
        } else if let Ok(n) = entry.parse::<IpNet>() {
            list.networks.push(n);
        } else {
            err.count += 1;
            if err.lines.len() < IpListError::SHOWN {
                let what = if entry.is_empty() {
                    format!("no address after {first}")
                } else {
                    format!("not an IP address or network: {}", shown(entry))
                };
                err.lines.push((i + 1, what));
            }
        }
    }
    if err.count > 0 {
        return Err(err);
    }
    Ok(list)
}

impl IpList {
    /// `{"addresses": [...], "networks": [...]}` (canonical text), as the C ABI and the JS binding
    /// return it.
    pub fn to_json(&self) -> String {
        // Canonical addresses and networks need no escaping.
        fn list<T: std::fmt::Display>(out: &mut String, items: &[T]) {
            out.push('[');
            for (i, x) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push('"');
                out.push_str(&x.to_string());
                out.push('"');
            }
            out.push(']');
        }
        let mut out = String::from("{\"addresses\":");
        list(&mut out, &self.addresses);
        out.push_str(",\"networks\":");
        list(&mut out, &self.networks);
        out.push('}');
        out
    }

    /// Every entry as a network (an address as its own /32 or /128), for settings that take
    /// networks (`allowlist.trusted_ips`).
    pub fn all_networks(&self) -> Vec<IpNet> {
        self.addresses
            .iter()
            .map(|&a| IpNet::from(a))
            .chain(self.networks.iter().copied())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The one table of accepted and rejected lines (every host's parser is this one).
    #[test]
    fn accepted_and_rejected_lines() {
        // (line, Some(entry as written canonically) | None skipped | Err rejected)
        enum Want {
            Addr(&'static str),
            Net(&'static str),
            Skip,
            Bad,
        }
        use Want::*;
        let table = [
            ("203.0.113.7", Addr("203.0.113.7")),
            ("  203.0.113.7  ", Addr("203.0.113.7")),
            ("203.0.113.7 extra words", Addr("203.0.113.7")),
            ("203.0.113.7\t# a comment", Addr("203.0.113.7")),
            ("2001:DB8::1", Addr("2001:db8::1")),
            ("203.0.113.0/24", Net("203.0.113.0/24")),
            ("2001:db8::/32 office", Net("2001:db8::/32")),
            (
                "ExitAddress 185.220.101.4 2024-01-01 01:12:34",
                Addr("185.220.101.4"),
            ),
            ("ExitNode 0011BD2485AD45D984EC4159C88FC066E5E3300E", Skip),
            ("Published 2024-01-01 00:00:00", Skip),
            ("LastStatus 2024-01-01 01:00:00", Skip),
            ("@type tordnsel 1.0", Skip),
            ("", Skip),
            ("   ", Skip),
            ("# comment", Skip),
            ("999.1.1.1", Bad),
            ("@foo", Bad),
            ("@type other 1.0", Bad),
            ("host.example", Bad),
            ("203.0.113.0/33", Bad),
            ("1.2.3.4,5.6.7.8", Bad),
            ("[2001:db8::1]", Bad),
            ("ExitAddress", Bad),
            ("ExitAddress nope", Bad),
        ];
        for (line, want) in table {
            let got = parse_ip_list(line);
            match want {
                Addr(a) => {
                    let l = got.unwrap_or_else(|e| panic!("{line:?}: {e}"));
                    assert_eq!(l.addresses.len(), 1, "{line:?}");
                    assert_eq!(l.addresses[0].to_string(), a, "{line:?}");
                    assert!(l.networks.is_empty());
                }
                Net(n) => {
                    let l = got.unwrap_or_else(|e| panic!("{line:?}: {e}"));
                    assert_eq!(l.networks.len(), 1, "{line:?}");
                    assert_eq!(l.networks[0].to_string(), n, "{line:?}");
                    assert!(l.addresses.is_empty());
                }
                Skip => assert_eq!(got, Ok(IpList::default()), "{line:?}"),
                Bad => {
                    let e = got.expect_err(line);
                    assert_eq!(e.count, 1);
                    assert!(e.to_string().starts_with("line 1: "), "{e}");
                }
            }
        }
    }

    #[test]
    fn errors_name_every_bad_line_up_to_a_few() {
        let text = "1.1.1.1\n999.1.1.1\n\n@foo\n2.2.2.2\nx\ny\nz\nw\nv\n";
        let e = parse_ip_list(text).unwrap_err();
        assert_eq!(e.count, 7);
        assert_eq!(e.lines.len(), IpListError::SHOWN);
        assert_eq!(
            e.to_string(),
            "line 2: not an IP address or network: \"999.1.1.1\"; line 4: not an IP address or \
             network: \"@foo\"; line 6: not an IP address or network: \"x\"; line 7: not an IP \
             address or network: \"y\"; line 8: not an IP address or network: \"z\" (and 2 more \
             bad lines)"
        );
        let long = "x".repeat(100);
        let e = parse_ip_list(&long).unwrap_err().to_string();
        assert!(e.ends_with(&format!("{:?}...", "x".repeat(60))), "{e}");
    }

    #[test]
    fn lists_keep_order_and_write_json() {
        let l = parse_ip_list("# Tor\r\n10.0.0.1\r\n10.0.0.0/8\r\n::1\r\n").unwrap();
        assert_eq!(
            l.to_json(),
            r#"{"addresses":["10.0.0.1","::1"],"networks":["10.0.0.0/8"]}"#
        );
        let nets: Vec<String> = l.all_networks().iter().map(ToString::to_string).collect();
        assert_eq!(nets, ["10.0.0.1/32", "::1/128", "10.0.0.0/8"]);
    }
}
