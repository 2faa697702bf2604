//! MITRE ATT&CK techniques and the detection types that map to them.
//!
//! Every technique a signal names is one of the constants here, so the compiler checks that each
//! has a name; hosts get the names from the core ([`crate::signals::catalog`], exported through the
//! C ABI and the JS binding) and never keep a table of their own. Names are ATT&CK v15's.

use serde::Serialize;

/// One ATT&CK technique or sub-technique.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Technique {
    /// `T1586`, `T1110.003`, ...
    pub id: &'static str,
    /// ATT&CK's name (`Brute Force: Password Spraying`).
    pub name: &'static str,
}

/// A detection type (the alert's `DetectionType`) and the techniques its alerts name (`Mitre`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Detection {
    /// The `DetectionType` written into alerts.
    pub name: &'static str,
    /// The techniques, in the order written into alerts.
    pub techniques: &'static [Technique],
    /// An attempt (guessing, spraying, enumeration with no success after it), not a compromise:
    /// its risk stays at most 55, its alerts say `Details.Stage: "attempt"`, and it does not feed the
    /// combined per-identity score.
    pub attempt: bool,
}

impl Detection {
    /// A compromise: the attacker got in, or holds what lets them.
    pub const fn compromise(name: &'static str, techniques: &'static [Technique]) -> Detection {
        Detection {
            name,
            techniques,
            attempt: false,
        }
    }

    /// An attempt (see [`Detection::attempt`]).
    pub const fn attempt(name: &'static str, techniques: &'static [Technique]) -> Detection {
        Detection {
            name,
            techniques,
            attempt: true,
        }
    }
}

macro_rules! techniques {
    ($($c:ident = $id:literal, $name:literal;)*) => {
        $(
            #[doc = concat!("ATT&CK ", $id, ": ", $name, ".")]
            pub const $c: Technique = Technique { id: $id, name: $name };
        )*
    };
}

techniques! {
    T1586 = "T1586", "Compromise Accounts";
    T1078 = "T1078", "Valid Accounts";
    T1078_004 = "T1078.004", "Valid Accounts: Cloud Accounts";
    T1110 = "T1110", "Brute Force";
    T1110_001 = "T1110.001", "Brute Force: Password Guessing";
    T1110_003 = "T1110.003", "Brute Force: Password Spraying";
    T1110_004 = "T1110.004", "Brute Force: Credential Stuffing";
    T1090 = "T1090", "Proxy";
    T1557 = "T1557", "Adversary-in-the-Middle";
    T1550_004 = "T1550.004", "Use Alternate Authentication Material: Web Session Cookie";
    T1539 = "T1539", "Steal Web Session Cookie";
    T1621 = "T1621", "Multi-Factor Authentication Request Generation";
    T1087 = "T1087", "Account Discovery";
    T1528 = "T1528", "Steal Application Access Token";
    T1566_002 = "T1566.002", "Phishing: Spearphishing Link";
    T1550_001 = "T1550.001", "Use Alternate Authentication Material: Application Access Token";
    T1586_003 = "T1586.003", "Compromise Accounts: Cloud Accounts";
}
