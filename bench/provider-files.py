#!/usr/bin/env python3
"""Write one large file per identity-provider family, for timing the readers (BENCHMARKS.md).

    bench/provider-files.py OUT_DIR [RECORDS_PER_FILE]      (default 200,000)

Deterministic (no randomness): 2,000 users sign in from their own addresses across 30 days, one
in fifty sign-ins failing; every 5,000th record starts a burst of six failures and a success from
one address. The records are written by the conformance corpus's own generators
(tests/corpus/make_inputs.py, from the vendors' documentation), one file per family:

    okta.jsonl           Okta System Log, JSON Lines
    cloudtrail.json      CloudTrail, one {"Records":[...]} file as S3 delivers it
    google.jsonl         Google Workspace Reports API login activities, JSON Lines
    ocsf.jsonl           OCSF Authentication (3002), JSON Lines
    udm.json             Chronicle UDM USER_LOGIN events, a JSON array
    m365.json            Microsoft 365 audit records, a JSON array
    elastic-okta.ndjson  the Okta records as Elastic's integration stores them, without
                         event.original (NDJSON, as Discover and elasticdump export)

and the same sign-ins as Entra diagnostic records inside the SIEMs' exports:

    elastic-azure.ndjson Elastic's Azure sign-in documents without event.original (NDJSON)
    splunk.jsonl         a Splunk streaming JSON export (`result._raw`, `_time`)
    qradar.json          QRadar's Ariel results page ({"events":[{"payload": ...}]})
    logscale.jsonl       LogScale / NG-SIEM events with `@rawstring`
"""
import json
import os
import sys
from datetime import timedelta

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "corpus"))
import make_inputs as m  # noqa: E402


def plan(n):
    """(time, user, ok, ip) for n sign-ins, in time order."""
    span = 30 * 86400
    out = []
    burst = None
    for i in range(n):
        t = m.DAY + timedelta(seconds=i * span // n)
        if i % 5000 == 0 and i:
            burst = (7, f"victim{i // 5000}@example.com", f"203.0.{(i // 5000) % 250}.{7 + i % 200}")
        if burst:
            left, user, ip = burst
            out.append((t, user, left == 1, ip))
            burst = (left - 1, user, ip) if left > 1 else None
            continue
        u = i % 2000
        out.append((t, f"user{u}@example.com", i % 50 != 0, f"10.{u // 250}.{u % 250}.{1 + u % 7}"))
    return out


def diag(t, u, ok, ip):
    return m.diag(t, u, "0" if ok else "50126", ip, "DE", "Berlin")


def main():
    out_dir = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 200_000
    os.makedirs(out_dir, exist_ok=True)
    rows = plan(n)

    def lines(name, make):
        with open(os.path.join(out_dir, name), "w") as f:
            for k, r in enumerate(rows):
                f.write(json.dumps(make(k, *r)) + "\n")

    def array(name, make, wrap=None):
        with open(os.path.join(out_dir, name), "w") as f:
            f.write('{"Records":[' if wrap else "[")
            for k, r in enumerate(rows):
                f.write(("," if k else "") + json.dumps(make(k, *r)) + "\n")
            f.write("]}\n" if wrap else "]\n")

    lines("okta.jsonl", lambda k, t, u, ok, ip: m.okta_event(
        t, u, "user.session.start", "SUCCESS" if ok else "FAILURE", ip,
        reason=None if ok else "INVALID_CREDENTIALS", uid=f"okta-{k}"))
    array("cloudtrail.json", lambda k, t, u, ok, ip: m.cloudtrail_login(
        t, {"type": "IAMUser", "accountId": "111122223333", "userName": u.split("@")[0]},
        "Success" if ok else "Failure", ip, mfa="Yes",
        error=None if ok else "Failed authentication", eid=f"ct-{k}"), wrap=True)
    lines("elastic-okta.ndjson", lambda k, t, u, ok, ip: m.okta_ecs(m.okta_event(
        t, u, "user.session.start", "SUCCESS" if ok else "FAILURE", ip,
        reason=None if ok else "INVALID_CREDENTIALS", uid=f"okta-{k}")))
    lines("elastic-azure.ndjson", lambda k, t, u, ok, ip: m.ecs_doc(diag(t, u, ok, ip), keep_original=False))
    lines("splunk.jsonl", lambda k, t, u, ok, ip: {
        "preview": False, "offset": k,
        "result": {"_time": m.splunk_time(t), "_raw": json.dumps(diag(t, u, ok, ip)),
                   "sourcetype": "azure:monitor:aad", "host": "eventhub"}})
    with open(os.path.join(out_dir, "qradar.json"), "w") as f:
        f.write('{"events":[')
        for k, (t, u, ok, ip) in enumerate(rows):
            f.write(("," if k else "") + json.dumps({
                "starttime": int(t.timestamp() * 1000), "sourceip": ip,
                "payload": json.dumps(diag(t, u, ok, ip))}) + "\n")
        f.write("]}\n")
    lines("logscale.jsonl", lambda k, t, u, ok, ip: {
        "@timestamp": int(t.timestamp() * 1000), "@rawstring": json.dumps(diag(t, u, ok, ip)),
        "#repo": "ngsiem", "#Vendor": "microsoft", "source.ip": ip, "user.email": u})
    lines("google.jsonl", lambda k, t, u, ok, ip: m.google_activity(
        t, u, "login_success" if ok else "login_failure", ip,
        [] if ok else [{"name": "login_failure_type", "value": "login_failure_invalid_password"}], n=k))
    lines("ocsf.jsonl", lambda k, t, u, ok, ip: m.ocsf_auth(t, u, ok, ip, country="US", n=k))
    array("udm.json", lambda k, t, u, ok, ip: m.udm_login(t, u, "ALLOW" if ok else "BLOCK", ip, "Germany", k))
    array("m365.json", lambda k, t, u, ok, ip: m.m365_record(
        t, u, "UserLoggedIn" if ok else "UserLoginFailed", ip, code=None if ok else "50126", n=k))


main()
