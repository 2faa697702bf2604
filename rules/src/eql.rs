//! Elastic EQL over the Azure integration's sign-in documents (`logs-azure.signinlogs-*`): ECS
//! fields (`event.category`, `event.dataset`, `source.ip`, `source.as.*`) and the sign-in's own
//! under `azure.signinlogs.*` (`result_type`, `properties.user_principal_name`); the Windows
//! detections read the System integration's `logs-system.security-*` (`event.code`, `user.name`,
//! `source.ip`, `winlog.event_data.{LogonType,Status,SubStatus}`).
//!
//! Public rules of the language this follows: Elastic's detection-rules `rules/integrations/azure/`
//! (for example "Entra ID Sign-in Brute Force ...", and the `sequence by ... with maxspan` /
//! `with runs=` form of "Potential Brute Force ... followed by a Successful Logon").

use crate::{
    Burst, Explicit, Fatigue, Hosting, IdRisk, Language, Legacy, Log, Ordered, Phishing, Replay,
    ReplayPattern, Spray, Stuffing, Travel, Velocity, Watched, WinFailures, quoted, quoted_list,
};

pub(crate) struct Eql;

const SIGN_IN: &str = "authentication where event.dataset == \"azure.signinlogs\"";
const USER: &str = "azure.signinlogs.properties.user_principal_name";
const CODE: &str = "azure.signinlogs.result_type";

/// ` with runs=N` for a step that must repeat.
fn runs(n: u32) -> String {
    if n > 1 {
        format!(" with runs={n}")
    } else {
        String::new()
    }
}

impl Language for Eql {
    fn stuffing(&self, s: &Stuffing, notes: &mut Vec<String>) -> String {
        let mut fail = format!("{SIGN_IN} and {CODE} != \"0\"");
        if !s.excluded.is_empty() {
            fail += &format!(" and {CODE} not in ({})", quoted_list(&s.excluded));
        }
        notes.push(format!(
            "Approximated: a sequence, failures then success (the detector counts them in any order); one risk per rule ({}), not by distinct addresses.",
            s.risks.2
        ));
        format!(
            "sequence by {USER} with maxspan={}s\n  [{fail}]{}\n  [{SIGN_IN} and {CODE} == \"0\"]{}\n",
            s.window,
            runs(s.min_failures),
            runs(s.min_successes)
        )
    }

    fn travel(&self, t: &Travel, notes: &mut Vec<String>) -> String {
        notes.push(format!(
            "Approximated: EQL cannot compare two events' fields, so this is two successes within {}s whose countries the rule's alert must compare (ES|QL counts distinct countries).",
            t.bin
        ));
        let step = format!("[{SIGN_IN} and {CODE} == \"0\" and geo.country_iso_code != null]");
        format!(
            "sequence by {USER} with maxspan={}s\n  {step}\n  {step}\n",
            t.bin
        )
    }

    fn hosting(&self, h: &Hosting, notes: &mut Vec<String>) -> String {
        let mut any = Vec::new();
        if !h.asn_names.is_empty() {
            let pats: Vec<String> = h
                .asn_names
                .iter()
                .map(|n| quoted(&format!("*{}*", n.replace('*', "?"))))
                .collect();
            any.push(format!(
                "source.as.organization.name : ({})",
                pats.join(", ")
            ));
        }
        if !h.asn_numbers.is_empty() {
            any.push(format!("source.as.number in ({})", h.numbers()));
        }
        let ranges = h.ranges(notes);
        if !ranges.is_empty() {
            any.push(format!("cidrMatch(source.ip, {})", quoted_list(&ranges)));
        }
        if any.is_empty() {
            any.push("false".into());
        }
        format!(
            "{SIGN_IN} and {CODE} == \"0\"\n  and ({})\n",
            any.join("\n    or ")
        )
    }

    fn ordered(&self, o: &Ordered, notes: &mut Vec<String>) -> Result<String, String> {
        notes.push(format!(
            "Approximated: one risk per rule ({}), not by distinct addresses.",
            o.risks.2
        ));
        let (by, fail, ok) = match &o.log {
            Log::SignIns {
                excluded,
                correct_password,
                reset_apps,
            } => {
                let mut fail = format!("{SIGN_IN} and {CODE} != \"0\"");
                let mut ok = format!("{SIGN_IN} and ({CODE} == \"0\"");
                if !correct_password.is_empty() {
                    fail += &format!(" and {CODE} not in ({})", quoted_list(correct_password));
                    ok += &format!(" or {CODE} in ({})", quoted_list(correct_password));
                }
                ok.push(')');
                if !excluded.is_empty() {
                    fail += &format!(" and {CODE} not in ({})", quoted_list(excluded));
                }
                if !reset_apps.is_empty() {
                    fail += &format!(
                        " and azure.signinlogs.properties.app_display_name not in ({})",
                        quoted_list(reset_apps)
                    );
                }
                (USER, fail, ok)
            }
            Log::Windows {
                failures,
                success_logon_types,
            } => {
                notes.push(WINDOWS_INDEX.into());
                let mut ok = format!(
                    "authentication where event.code == \"4624\"{}",
                    win_exclusions(failures)
                );
                if !success_logon_types.is_empty() {
                    ok += &format!(
                        " and winlog.event_data.LogonType in ({})",
                        quoted_list(&strings(success_logon_types))
                    );
                }
                ("user.name", win_failure(failures), ok)
            }
            Log::Workload { codes } => {
                notes.push(crate::esql::WORKLOAD_NOTE.into());
                let w = workload();
                (
                    "azure.signinlogs.properties.app_id",
                    format!("{w} and {CODE} in ({})", quoted_list(codes)),
                    format!("{w} and {CODE} == \"0\""),
                )
            }
        };
        Ok(format!(
            "sequence by {by} with maxspan={}s\n  [{fail}]{}\n  [{ok}]\n",
            o.window,
            runs(o.min_failures)
        ))
    }

    fn spray(&self, _: &Spray, _: &mut Vec<String>) -> Result<String, String> {
        Err("EQL cannot count distinct identities: a sequence by source address cannot require its steps' accounts to differ".into())
    }

    fn replay(&self, r: &Replay, notes: &mut Vec<String>) -> Result<String, String> {
        const SESSION: &str = "azure.signinlogs.properties.session_id";
        let ok = format!("{SIGN_IN} and {CODE} == \"0\"");
        let interactive = "azure.signinlogs.category == \"SignInLogs\"";
        let agents = |v: &[String]| {
            let pats: Vec<String> = v.iter().map(|u| format!("*{u}*")).collect();
            format!("user_agent.original : ({})", quoted_list(&pats))
        };
        match &r.pattern {
            ReplayPattern::Scripted { agents: scripted } => {
                notes.push("Approximated: the scripted client's address is not compared with the browser's (EQL cannot compare two events' fields); the browser's sign-in is any interactive one of the session with a Mozilla/ agent, not only its first.".into());
                Ok(format!(
                    "sequence by {SESSION}, {USER} with maxspan={}s\n  \
                     [{ok} and {interactive} and user_agent.original : \"*Mozilla/*\"]\n  \
                     [{ok} and {}]\n",
                    r.window,
                    agents(scripted)
                ))
            }
            ReplayPattern::Kit {
                apps,
                agents: kit,
                follow,
            } => {
                notes.push("Approximated: the kit's sign-in by its user agent (the detector also counts one from hosting infrastructure), and the follow-up's address is not compared with the kit's.".into());
                Ok(format!(
                    "sequence by {USER} with maxspan={follow}s\n  \
                     [{ok} and {interactive}\n    and azure.signinlogs.properties.app_display_name in~ ({})\n    and {}]\n  \
                     [{ok} and azure.signinlogs.category == \"NonInteractiveUserSignInLogs\"]\n",
                    quoted_list(apps),
                    agents(kit)
                ))
            }
            ReplayPattern::Session { .. } | ReplayPattern::Graph { .. } => Err(r.not(
                "EQL cannot count distinct networks: a sequence cannot require its steps' countries or addresses to differ",
            )),
            ReplayPattern::MfaClaim { .. } => Err(r.not(Replay::HISTORY)),
        }
    }

    fn watched(&self, w: &Watched, notes: &mut Vec<String>) -> Result<String, String> {
        notes.push(crate::esql::WORKLOAD_NOTE.into());
        Ok(format!(
            "{} and {CODE} == \"0\"\n  and geo.country_iso_code in~ ({})\n",
            workload(),
            quoted_list(&w.countries)
        ))
    }

    fn legacy(&self, l: &Legacy, _: &mut Vec<String>) -> Result<String, String> {
        let mut any = Vec::new();
        if !l.client_apps.is_empty() {
            any.push(format!(
                "azure.signinlogs.properties.client_app_used in ({})",
                quoted_list(&l.client_apps)
            ));
        }
        if !l.user_agents.is_empty() {
            let pats: Vec<String> = l.user_agents.iter().map(|u| format!("*{u}*")).collect();
            any.push(format!("user_agent.original : ({})", quoted_list(&pats)));
        }
        if any.is_empty() {
            any.push("false".into());
        }
        let mut q = format!(
            "{SIGN_IN} and {CODE} == \"0\"\n  and ({})\n",
            any.join("\n    or ")
        );
        if l.single_factor_only {
            q += "  and azure.signinlogs.properties.authentication_requirement != \"multiFactorAuthentication\"\n";
        }
        Ok(q)
    }

    fn burst(&self, b: &Burst, notes: &mut Vec<String>) -> Result<String, String> {
        b.note(notes);
        let (by, fail) = match &b.log {
            Log::SignIns {
                excluded,
                correct_password,
                reset_apps,
            } => {
                let mut fail = format!("{SIGN_IN} and {CODE} != \"0\"");
                if !correct_password.is_empty() {
                    fail += &format!(" and {CODE} not in ({})", quoted_list(correct_password));
                }
                if !excluded.is_empty() {
                    fail += &format!(" and {CODE} not in ({})", quoted_list(excluded));
                }
                if !reset_apps.is_empty() {
                    fail += &format!(
                        " and azure.signinlogs.properties.app_display_name not in ({})",
                        quoted_list(reset_apps)
                    );
                }
                (USER, fail)
            }
            Log::Windows { failures, .. } => {
                notes.push(WINDOWS_INDEX.into());
                ("user.name", win_failure(failures))
            }
            Log::Workload { codes } => {
                notes.push(crate::esql::WORKLOAD_NOTE.into());
                (
                    "azure.signinlogs.properties.app_id",
                    format!("{} and {CODE} in ({})", workload(), quoted_list(codes)),
                )
            }
        };
        Ok(format!(
            "sequence by {by} with maxspan={}s\n  [{fail}]{}\n",
            b.window,
            runs(b.min_failures)
        ))
    }

    fn id_risk(&self, r: &IdRisk, notes: &mut Vec<String>) -> Result<String, String> {
        r.note(notes);
        r.types_note(notes);
        notes.push(format!(
            "Approximated: one risk per rule ({}), not by level.",
            r.risk_high
        ));
        const P: &str = "azure.signinlogs.properties";
        let mut any = vec![
            format!(
                "{P}.risk_level_during_signin in ({})",
                quoted_list(&r.levels)
            ),
            format!("{P}.risk_level_aggregated in ({})", quoted_list(&r.levels)),
            format!("{P}.risk_state == \"confirmedCompromised\""),
        ];
        if !r.high_types.is_empty() {
            any.push(format!(
                "{P}.risk_event_types_v2 in ({})",
                quoted_list(&r.high_types)
            ));
        }
        let mut q = format!("{SIGN_IN}\n  and ({})\n", any.join("\n    or "));
        if !r.cleared_states.is_empty() {
            q += &format!(
                "  and not {P}.risk_state in ({})\n",
                quoted_list(&r.cleared_states)
            );
        }
        Ok(q)
    }

    fn fatigue(&self, f: &Fatigue, notes: &mut Vec<String>) -> Result<String, String> {
        notes.push(format!(
            "Approximated: the success may come any time within the window after the denials (the detector wants it within {} s of the last).",
            f.success_within
        ));
        Ok(format!(
            "sequence by {USER} with maxspan={}s\n  [{SIGN_IN} and {CODE} in ({})]{}\n  [{SIGN_IN} and {CODE} == \"0\"]\n",
            f.window,
            quoted_list(&f.denial_codes),
            runs(f.max_denials + 1)
        ))
    }

    fn phishing(&self, p: &Phishing, notes: &mut Vec<String>) -> Result<String, String> {
        p.note(notes);
        const P: &str = "azure.signinlogs.properties";
        let mut client = Vec::new();
        if !p.clients.is_empty() {
            client.push(format!("{P}.app_id in~ ({})", quoted_list(&p.clients)));
        }
        if !p.client_names.is_empty() {
            client.push(format!(
                "{P}.app_display_name in~ ({})",
                quoted_list(&p.client_names)
            ));
        }
        if !p.user_agents.is_empty() {
            let pats: Vec<String> = p.user_agents.iter().map(|u| format!("*{u}*")).collect();
            client.push(format!("user_agent.original : ({})", quoted_list(&pats)));
        }
        if client.is_empty() {
            client.push("false".into());
        }
        let flow = if p.device_code {
            notes.push(format!(
                "Approximated: one risk per rule ({}; the detector gives the broker's {}).",
                p.risk, p.risk_broker
            ));
            format!("{P}.authentication_protocol == \"deviceCode\"")
        } else {
            format!(
                "({P}.resource_id == {} or {P}.resource_display_name == \"Microsoft Graph\")",
                quoted(crate::GRAPH)
            )
        };
        Ok(format!(
            "{SIGN_IN} and {CODE} == \"0\" and {flow}\n  and ({})\n",
            client.join("\n    or ")
        ))
    }

    fn explicit(&self, _: &Explicit, _: &mut Vec<String>) -> Result<String, String> {
        Err("EQL cannot count distinct accounts".into())
    }

    fn velocity(&self, _: &Velocity, _: &mut Vec<String>) -> Result<String, String> {
        Err("EQL cannot compare two events' fields (the distance between two sign-ins)".into())
    }
}

/// Where the Windows rules run: the System integration's Security channel.
const WINDOWS_INDEX: &str =
    "Index: logs-system.security-* (Elastic's System integration; winlog.* fields).";

fn strings(v: &[u32]) -> Vec<String> {
    v.iter().map(u32::to_string).collect()
}

fn win_exclusions(f: &WinFailures) -> String {
    let mut out = String::new();
    if f.exclude_machine {
        out += " and not endsWith(user.name, \"$\")";
    }
    if f.exclude_anonymous {
        out += " and user.name != \"ANONYMOUS LOGON\"";
    }
    out
}

/// A Windows failure as the detector counts it, in ECS and `winlog.event_data.*`.
pub(crate) fn win_failure(f: &WinFailures) -> String {
    let mut q = format!(
        "authentication where event.code in ({})",
        quoted_list(&strings(&f.events))
    );
    if !f.codes.is_empty() {
        let codes = quoted_list(&f.codes);
        q += &format!(
            " and (winlog.event_data.SubStatus in~ ({codes}) or (winlog.event_data.SubStatus == null and winlog.event_data.Status in~ ({codes})))"
        );
    }
    if !f.logon_types.is_empty() {
        q += &format!(
            " and (event.code != \"4625\" or winlog.event_data.LogonType in ({}))",
            quoted_list(&strings(&f.logon_types))
        );
    }
    q + &win_exclusions(f)
}

/// Workload identities' sign-ins in Elastic's sign-in data stream.
fn workload() -> String {
    format!(
        "{SIGN_IN} and azure.signinlogs.category in ({})",
        crate::esql::workload_categories()
    )
}
