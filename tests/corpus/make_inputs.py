#!/usr/bin/env python3
"""Writes the synthetic inputs of the conformance corpus (deterministic; no randomness).

The expected outputs (expected.jsonl) are NOT written here: they were checked by hand against the
seed's semantics and are the contract every host must reproduce. Rerun this only to change inputs,
then re-review expected.jsonl for the cases you touched.
"""
import csv
import io
import json
import os
from datetime import datetime, timedelta, timezone

HERE = os.path.dirname(os.path.abspath(__file__))
DAY = datetime(2026, 3, 2, tzinfo=timezone.utc)


def iso(t, frac=False):
    return t.strftime("%Y-%m-%dT%H:%M:%S") + (".1234567" if frac else "") + "Z"


def graph(t, upn, code, ip, app="Office 365 Exchange Online", country="US", city="Seattle",
          lat=47.6, lon=-122.3, client="Browser", interactive=True, rid=None, reason=None, **extra):
    r = {
        "id": rid or f"{upn.split('@')[0]}-{t:%H%M%S}-{code}",
        "createdDateTime": iso(t),
        "userDisplayName": upn.split("@")[0].title(),
        "userPrincipalName": upn,
        "appDisplayName": app,
        "ipAddress": ip,
        "clientAppUsed": client,
        "isInteractive": interactive,
        "status": {"errorCode": int(code), "failureReason": reason or ("Other." if code != "0" else None)},
        "location": {"city": city, "state": "", "countryOrRegion": country,
                     "geoCoordinates": {"latitude": lat, "longitude": lon}},
    }
    r.update(extra)
    return r


SEED = json.dumps({"profile": "seed"}) + "\n"


def write(case, name, text):
    d = os.path.join(HERE, case)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "w", newline="") as f:
        f.write(text)


def seed_graph_single_ip():
    # The seed's first test: one user, 6 failures (50126) then a success, one IP. A Graph page.
    u, ip = "adele.vance@contoso.com", "203.0.113.45"
    recs = [graph(DAY + timedelta(hours=9, minutes=i), u, "50126", ip,
                  reason="Error validating credentials due to invalid username or password.")
            for i in range(6)]
    recs.append(graph(DAY + timedelta(hours=9, minutes=7), u, "0", ip))
    page = {"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#auditLogs/signIns", "value": recs}
    write("seed-graph-single-ip", "signins.json", json.dumps(page, indent=2) + "\n")
    write("seed-graph-single-ip", "config.json", SEED)
    write("seed-graph-newest-first", "config.json", SEED)
    # The same attack under the default profile: ordered failures-then-success.
    write("default-graph-single-ip", "signins.json", json.dumps(page, indent=2) + "\n")
    # The same records newest-first, as the Graph API returns them.
    page["value"] = list(reversed(recs))
    write("seed-graph-newest-first", "signins.json", json.dumps(page, indent=2) + "\n")


def la_row(t, upn, code, ip, country="US", app="Azure Portal", asn=None):
    return {
        "TimeGenerated": iso(t, frac=True),
        "CreatedDateTime": iso(t),
        "UserPrincipalName": upn,
        "ResultType": code,
        "ResultDescription": "" if code == "0" else "Invalid username or password or Invalid on-premise username or password.",
        "IPAddress": ip,
        "Location": country,
        "LocationDetails": json.dumps({"city": "Paris" if country == "FR" else "Seattle", "countryOrRegion": country,
                                       "geoCoordinates": {"latitude": 48.85, "longitude": 2.35}}),
        "AppDisplayName": app,
        "ClientAppUsed": "Browser",
        "AuthenticationRequirement": "singleFactorAuthentication",
        "IsInteractive": True,
        "AutonomousSystemNumber": asn,
        "Type": "SigninLogs",
        "Id": f"{upn[:3]}-{t:%H%M%S}-{code}",
    }


def seed_six_ips():
    # Stuffing from seven IPs then a success (risk 90); 50053/50076 rows must not count.
    u = "lee.gu@contoso.com"
    rows = []
    for i in range(7):
        rows.append(la_row(DAY + timedelta(hours=14, minutes=i), u, "50126", f"198.51.100.{10 + i}", country="FR"))
    rows.append(la_row(DAY + timedelta(hours=14, minutes=8), u, "50053", "198.51.100.99", country="FR"))
    rows.append(la_row(DAY + timedelta(hours=14, minutes=9), u, "50076", "198.51.100.98", country="FR"))
    rows.append(la_row(DAY + timedelta(hours=14, minutes=12), u, "0", "198.51.100.13", country="FR"))
    # Another user: 4 failures and a success — below the threshold.
    v = "megan.bowen@contoso.com"
    for i in range(4):
        rows.append(la_row(DAY + timedelta(hours=15, minutes=i), v, "50126", "192.0.2.7"))
    rows.append(la_row(DAY + timedelta(hours=15, minutes=5), v, "0", "192.0.2.7"))
    # Another user: only excluded codes then a success.
    w = "nestor.wilke@contoso.com"
    for i in range(8):
        rows.append(la_row(DAY + timedelta(hours=16, minutes=i), w, "50076" if i % 2 else "50053", "192.0.2.8"))
    rows.append(la_row(DAY + timedelta(hours=16, minutes=9), w, "0", "192.0.2.8"))
    write("seed-stuffing-seven-ips", "SigninLogs.json", json.dumps(rows, indent=1) + "\n")
    write("seed-stuffing-seven-ips", "config.json", SEED)


def diag(t, upn, code, ip, country, city, category="SignInLogs"):
    props = graph(t, upn, code, ip, country=country, city=city, app="Microsoft Teams")
    props["autonomousSystemNumber"] = 5432 if country == "BE" else 7922
    return {
        "time": iso(t, frac=True), "resourceId": "/tenants/x/providers/Microsoft.aadiam",
        "operationName": "Sign-in activity", "category": category, "resultType": code,
        "callerIpAddress": ip, "identity": upn.split("@")[0], "location": country, "properties": props,
    }


def seed_travel():
    # Impossible travel: successes from US then BE 40 minutes apart, same 1-hour bin. Azure Monitor export.
    u = "megan.bowen@contoso.com"
    recs = [
        diag(DAY + timedelta(hours=11, minutes=5), u, "0", "136.55.145.135", "US", "Atlanta"),
        diag(DAY + timedelta(hours=11, minutes=45), u, "0", "109.88.218.99", "BE", "Liege"),
        # A service principal sign-in in the same export is ignored, not an event.
        {"time": iso(DAY + timedelta(hours=11, minutes=50)), "category": "ServicePrincipalSignInLogs",
         "resultType": "0", "properties": {"servicePrincipalName": "backup-app"}},
        # Different user, two countries but across a bin boundary: no alert in the seed profile.
        diag(DAY + timedelta(hours=12, minutes=55), "alex.wilber@contoso.com", "0", "136.55.1.1", "US", "Atlanta"),
        diag(DAY + timedelta(hours=13, minutes=5), "alex.wilber@contoso.com", "0", "109.88.1.1", "BE", "Liege",
             category="NonInteractiveUserSignInLogs"),
    ]
    write("seed-impossible-travel", "diagnostic.json", json.dumps({"records": recs}) + "\n")
    write("seed-impossible-travel", "config.json", SEED)


def seed_hosting():
    # A success from an M247 network (ASN name present, as after enrichment). JSON Lines.
    u = "isaiah.langer@contoso.com"
    lines = [
        graph(DAY + timedelta(hours=3, minutes=12), u, "0", "38.132.107.6", country="RO", city="Bucharest",
              autonomousSystemNumber=9009, autonomousSystemName="M247 Europe SRL"),
        graph(DAY + timedelta(hours=8, minutes=30), u, "0", "20.190.1.1", autonomousSystemNumber=8075,
              autonomousSystemName="MICROSOFT-CORP-MSN-AS-BLOCK"),
        graph(DAY + timedelta(hours=9, minutes=0), "pradeep.gupta@contoso.com", "50126", "38.132.107.7",
              autonomousSystemName="M247 Europe SRL"),
    ]
    write("seed-hosting-asn", "signins.jsonl", "".join(json.dumps(r) + "\n" for r in lines))
    write("seed-hosting-asn", "config.json", SEED)


def seed_tor_csv():
    # A success from 185.220.101.x in a Log Analytics CSV export (portal "Export to CSV").
    cols = ["TimeGenerated [UTC]", "UserPrincipalName", "ResultType", "ResultDescription", "IPAddress",
            "Location", "LocationDetails", "AppDisplayName", "ClientAppUsed", "IsInteractive", "Type", "Id"]
    rows = [
        ["3/2/2026, 1:02:03.000 AM", "joni.sherman@contoso.com", "0", "", "185.220.101.47", "DE",
         json.dumps({"city": "Berlin", "countryOrRegion": "DE"}), "Office 365 Exchange Online", "Browser", "True",
         "SigninLogs", "tor-1"],
        ["3/2/2026, 1:05:00.000 AM", "joni.sherman@contoso.com", "0", "", "185.220.101.47", "DE",
         json.dumps({"city": "Berlin", "countryOrRegion": "DE"}), "Microsoft Teams", "Browser", "True",
         "SigninLogs", "tor-2"],
        ["3/2/2026, 9:00:00.000 AM", "lidia.holloway@contoso.com", "0", "", "185.22.10.1", "DE",
         "", "Microsoft Teams", "Browser", "True", "SigninLogs", "not-tor"],
    ]
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(cols)
    w.writerows(rows)
    write("seed-tor-prefix-csv", "query_data.csv", "\ufeff" + buf.getvalue())
    write("seed-tor-prefix-csv", "config.json", SEED)


def multi_file():
    # Failures in one file (CSV), the success in another (JSON): one alert, evidence from both.
    u = "diego.siciliani@contoso.com"
    cols = ["TimeGenerated", "UserPrincipalName", "ResultType", "IPAddress", "AppDisplayName"]
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(cols)
    for i in range(5):
        w.writerow([iso(DAY + timedelta(hours=20, minutes=i)), u, "50126", f"203.0.113.{60 + i % 3}", "Azure Portal"])
    write("multi-file", "a-failures.csv", buf.getvalue())
    write("multi-file", "b-success.json", json.dumps([graph(DAY + timedelta(hours=21), u, "0", "203.0.113.60")]) + "\n")
    write("multi-file", "config.json", SEED)


def malformed():
    # The seed attack interleaved with broken records: every broken one is rejected with its line,
    # the rest still processed.
    u = "grady.archie@contoso.com"
    good = [graph(DAY + timedelta(hours=6, minutes=i), u, "50126", "203.0.113.80") for i in range(6)]
    good.append(graph(DAY + timedelta(hours=6, minutes=9), u, "0", "203.0.113.80"))
    lines = [json.dumps(good[0]), json.dumps(good[1]),
             "this line is not JSON",
             json.dumps(good[2]),
             '{"userPrincipalName": "x@contoso.com", "createdDateTime": "2026-03-02T06:03:00Z", "status": {"errorCode": 50126',
             json.dumps(good[3]),
             json.dumps({"userPrincipalName": u, "status": {"errorCode": 50126}}),
             json.dumps({"createdDateTime": "yesterday", "userPrincipalName": u, "status": {"errorCode": 0}}),
             json.dumps({"createdDateTime": "2026-03-02T06:05:00Z", "status": {"errorCode": 50126}}),
             json.dumps({"createdDateTime": "2026-03-02T06:05:00Z", "userPrincipalName": u}),
             json.dumps(good[4]), json.dumps(good[5]),
             "[1, 2]",
             json.dumps(good[6])]
    # A UTF-8 name split across chunks is exercised by the chunking property test on this file.
    lines.append(json.dumps(graph(DAY + timedelta(hours=7), "zoë.ünïcode@contoso.com", "0", "192.0.2.1"),
                            ensure_ascii=False))
    write("malformed-records", "signins.jsonl", "\n".join(lines) + "\n")
    write("malformed-records", "config.json", SEED)


def benign_records():
    # A realistic quiet day: 12 users, office hours from corporate egress, MFA prompts (50074/50076),
    # a few typos (with the morning's 50074, at most 4 counted failures), non-interactive token refreshes, one user working from two
    # cities of one country. No alert in the seed profile.
    users = ["adele.vance", "alex.wilber", "diego.siciliani", "grady.archie", "henrietta.mueller",
             "isaiah.langer", "johanna.lorenz", "joni.sherman", "lee.gu", "lidia.holloway",
             "megan.bowen", "nestor.wilke"]
    recs = []
    for n, name in enumerate(users):
        upn = f"{name}@contoso.com"
        ip = f"198.18.{n % 3}.{10 + n}"
        start = DAY + timedelta(hours=8, minutes=7 * n)
        recs.append(graph(start, upn, "50074", ip, reason="Strong Authentication is required."))
        recs.append(graph(start + timedelta(minutes=1), upn, "0", ip, app="Office 365 Exchange Online"))
        for k in range(6):
            recs.append(graph(start + timedelta(minutes=45 * (k + 1)), upn, "0", ip, app="Microsoft Teams",
                              client="Mobile Apps and Desktop clients", interactive=False))
        if n % 4 == 0:  # typos: up to three failures then success (with the 50074 above: four,
            for k in range(n // 4 + 1):  # one below the seed threshold, which counts 50074)
                recs.append(graph(start + timedelta(hours=5, minutes=k), upn, "50126", ip))
            recs.append(graph(start + timedelta(hours=5, minutes=5), upn, "0", ip))
        if n % 5 == 1:  # MFA-required interrupts, excluded from the failure count
            for k in range(6):
                recs.append(graph(start + timedelta(hours=6, minutes=k), upn, "50076", ip))
            recs.append(graph(start + timedelta(hours=6, minutes=7), upn, "0", ip))
    # Travelling within one country.
    recs.append(graph(DAY + timedelta(hours=17, minutes=5), "lee.gu@contoso.com", "0", "172.58.1.1",
                      city="Portland", lat=45.5, lon=-122.7))
    return recs


def benign_day():
    recs = benign_records()
    recs.sort(key=lambda r: r["createdDateTime"])
    write("benign-day", "signins.json", json.dumps(recs, indent=1) + "\n")
    write("benign-day-seed", "signins.json", json.dumps(recs, indent=1) + "\n")
    write("benign-day-seed", "config.json", SEED)


def demo():
    """The bundled demo (tests/demo/signins.json): the benign day plus one attack of each seed signal,
    newest first as the Graph API returns them."""
    recs = benign_records()
    v = "johanna.lorenz@contoso.com"
    for i in range(9):  # stuffing from 9 IPs, then a success
        recs.append(graph(DAY + timedelta(hours=2, minutes=3 * i), v, "50126", f"45.134.{20 + i}.{7 * i + 3}",
                          country="NL", city="Amsterdam", lat=52.37, lon=4.9,
                          reason="Error validating credentials due to invalid username or password."))
    recs.append(graph(DAY + timedelta(hours=2, minutes=31), v, "0", "45.134.22.17", country="NL", city="Amsterdam",
                      lat=52.37, lon=4.9))
    w = "henrietta.mueller@contoso.com"
    recs.append(graph(DAY + timedelta(hours=13, minutes=10), w, "0", "41.203.1.9", country="NG", city="Lagos",
                      lat=6.45, lon=3.39))
    x = "alex.wilber@contoso.com"
    recs.append(graph(DAY + timedelta(hours=22, minutes=40), x, "0", "185.220.101.33", country="DE", city="Berlin",
                      lat=52.52, lon=13.4))
    recs.sort(key=lambda r: r["createdDateTime"], reverse=True)
    page = {"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#auditLogs/signIns", "value": recs}
    path = os.path.join(HERE, "..", "demo", "signins.json")
    with open(path, "w") as f:
        f.write(json.dumps(page, indent=1) + "\n")


def default_cases():
    """One case per default-profile signal (no config: the default profile)."""
    ua_kit = "axios/1.6.8"
    # Ordered stuffing: one user's run ends in a success, another's in a correct password blocked by
    # MFA (50076), a third succeeds first and fails after (no alert: order matters).
    a, b, c = "pattie.fernandez@contoso.com", "miriam.graham@contoso.com", "allan.deyoung@contoso.com"
    recs = [graph(DAY + timedelta(hours=4, minutes=i), a, "50126", f"45.155.{i}.9") for i in range(6)]
    recs.append(graph(DAY + timedelta(hours=4, minutes=8), a, "0", "45.155.2.9"))
    recs += [graph(DAY + timedelta(hours=5, minutes=i), b, "50126", "102.1.1.1") for i in range(5)]
    recs.append(graph(DAY + timedelta(hours=5, minutes=6), b, "50076", "102.1.1.1", reason="Strong Authentication is required."))
    recs.append(graph(DAY + timedelta(hours=6), c, "0", "198.18.0.40"))
    recs += [graph(DAY + timedelta(hours=6, minutes=5 + i), c, "50126", "198.18.0.40") for i in range(6)]
    write("default-stuffing-ordered", "signins.json", json.dumps({"value": recs}, indent=1) + "\n")

    # Password spray from one IP against 7 users, then one sprayed user signs in.
    users = [f"user{i:02d}@contoso.com" for i in range(7)]
    recs = [graph(DAY + timedelta(hours=3, minutes=2 * i), u, "50126", "193.29.56.12") for i, u in enumerate(users)]
    recs.append(graph(DAY + timedelta(hours=5), users[4], "0", "193.29.56.12"))
    write("default-password-spray", "signins.jsonl", "".join(json.dumps(r) + "\n" for r in recs))

    # Distributed low-and-slow spray: 12 IPs, one attempt each, one user agent, one error.
    recs = []
    for i in range(12):
        r = graph(DAY + timedelta(hours=1, minutes=37 * i), f"staff{i:02d}@contoso.com", "50126",
                  f"{80 + i}.{i * 7 % 250}.{i * 13 % 250}.{i + 2}")
        r["userAgent"] = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/99.0.1 spray"
        recs.append(r)
    write("default-distributed-spray", "signins.json", json.dumps(recs, indent=1) + "\n")

    # Geo-velocity: Seattle then London 50 minutes later; a non-interactive refresh in between from
    # elsewhere does not count; a record without coordinates is skipped.
    u = "debra.berger@contoso.com"
    recs = [
        graph(DAY + timedelta(hours=10), u, "0", "131.107.1.1", city="Seattle", lat=47.61, lon=-122.33),
        graph(DAY + timedelta(hours=10, minutes=20), u, "0", "20.1.1.1", city="Tokyo", country="JP", lat=35.68,
              lon=139.69, interactive=False),
        graph(DAY + timedelta(hours=10, minutes=50), u, "0", "81.2.69.143", city="London", country="GB",
              lat=51.51, lon=-0.13),
    ]
    nogeo = graph(DAY + timedelta(hours=11), u, "0", "81.2.69.143")
    nogeo["location"] = {"city": "", "countryOrRegion": "GB", "geoCoordinates": {}}
    recs.append(nogeo)
    write("default-geo-velocity", "diagnostic.json", json.dumps({"records": [
        {"time": r["createdDateTime"], "category": "SignInLogs" if r["isInteractive"] else "NonInteractiveUserSignInLogs",
         "resultType": str(r["status"]["errorCode"]), "properties": r} for r in recs]}, indent=1) + "\n")

    # Hosting by ASN number (no name in Entra records) and by a Tor exit list given in the config.
    recs = [
        graph(DAY + timedelta(hours=7), "lynne.robbins@contoso.com", "0", "38.132.107.6", autonomousSystemNumber=9009),
        graph(DAY + timedelta(hours=8), "irvin.sayers@contoso.com", "0", "185.241.208.232", autonomousSystemNumber=210644),
        graph(DAY + timedelta(hours=9), "ben.walters@contoso.com", "0", "20.190.1.1", autonomousSystemNumber=8075),
    ]
    write("default-hosting-lists", "signins.json", json.dumps(recs, indent=1) + "\n")
    write("default-hosting-lists", "config.json", json.dumps({"hosting": {"tor_exit_ips": ["185.241.208.232", "194.26.192.64"]}}) + "\n")

    # Token replay: a session used from two countries; a kit sign-in then non-interactive elsewhere.
    u, v = "christie.cline@contoso.com", "enrico.cattaneo@contoso.com"
    s1 = graph(DAY + timedelta(hours=12), u, "0", "131.107.2.2", sessionId="a1b2c3", autonomousSystemNumber=8075)
    s2 = graph(DAY + timedelta(hours=12, minutes=40), u, "0", "45.9.1.1", country="NL", city="Amsterdam", lat=52.37,
               lon=4.9, sessionId="a1b2c3", autonomousSystemNumber=9009, interactive=False)
    k1 = graph(DAY + timedelta(hours=14), v, "0", "104.28.1.1", app="OfficeHome", userAgent=ua_kit)
    k2 = graph(DAY + timedelta(hours=14, minutes=3), v, "0", "45.14.1.1", app="Microsoft Outlook", interactive=False)
    write("default-token-replay", "signins.json", json.dumps([s1, s2, k1, k2], indent=1) + "\n")

    # The seed's second test: a single-factor success over Authenticated SMTP.
    r = graph(DAY + timedelta(hours=2), "printer@contoso.com", "0", "203.0.113.77", client="Authenticated SMTP",
              app="Office 365 Exchange Online", authenticationRequirement="singleFactorAuthentication")
    ropc = graph(DAY + timedelta(hours=3), "kat.larson@contoso.com", "0", "203.0.113.78", client="Mobile Apps and Desktop clients",
                 userAgent="BAV2ROPC", authenticationRequirement="singleFactorAuthentication")
    mfa = graph(DAY + timedelta(hours=4), "nestor.wilke@contoso.com", "0", "198.18.1.1", client="Exchange ActiveSync",
                authenticationRequirement="multiFactorAuthentication")
    write("default-legacy-smtp", "signins.json", json.dumps([r, ropc, mfa], indent=1) + "\n")

    # MFA fatigue: 12 denied pushes in 12 minutes, then the user approves.
    u = "alex.wilber@contoso.com"
    recs = [graph(DAY + timedelta(hours=23, minutes=i), u, "500121", "91.132.1.1",
                  reason="Authentication failed during strong authentication request.") for i in range(12)]
    recs.append(graph(DAY + timedelta(hours=23, minutes=14), u, "0", "91.132.1.1"))
    write("default-mfa-fatigue", "signins.json", json.dumps(recs, indent=1) + "\n")

    # Identity Protection risk passed through, and combined with a legacy-protocol success on the
    # same identity into a CompromisedIdentity alert.
    u = "grady.archie@contoso.com"
    r1 = graph(DAY + timedelta(hours=15), u, "0", "203.0.113.90", riskEventTypes_v2=["unfamiliarFeatures", "anonymizedIPAddress"])
    r2 = graph(DAY + timedelta(hours=15, minutes=30), u, "0", "203.0.113.90", client="IMAP4")
    r3 = graph(DAY + timedelta(hours=16), "johanna.lorenz@contoso.com", "50126", "203.0.113.91", riskEventTypes_v2=["leakedCredentials"])
    write("default-identity-protection", "signins.json", json.dumps([r1, r2, r3], indent=1) + "\n")

    # Duplicated rows (same Id), as Log Analytics exports and msticpy's sample have them: the default
    # profile counts each sign-in once (5 failures, 1 success), the seed counts rows (10 and 2).
    u = "henrietta.mueller@contoso.com"
    rows = []
    for i in range(5):
        row = la_row(DAY + timedelta(hours=18, minutes=i), u, "50126", "203.0.113.99")
        rows += [row, dict(row)]
    rows.append(la_row(DAY + timedelta(hours=18, minutes=6), u, "0", "203.0.113.99"))
    rows.append(dict(rows[-1]))
    text = "".join(json.dumps(r) + "\n" for r in rows)
    write("default-duplicate-rows", "SigninLogs.jsonl", text)
    write("seed-duplicate-rows", "SigninLogs.jsonl", text)
    write("seed-duplicate-rows", "config.json", SEED)


# ---------------------------------------------------------------------------------------------
# Windows Security events (issue 4). One logical event model, written in each export shape.

WDAY = datetime(2026, 3, 3, tzinfo=timezone.utc)
T4625 = ["SubjectUserSid", "SubjectUserName", "SubjectDomainName", "SubjectLogonId", "TargetUserSid",
         "TargetUserName", "TargetDomainName", "Status", "FailureReason", "SubStatus", "LogonType",
         "LogonProcessName", "AuthenticationPackageName", "WorkstationName", "TransmittedServices",
         "LmPackageName", "KeyLength", "ProcessId", "ProcessName", "IpAddress", "IpPort"]
T4624 = ["SubjectUserSid", "SubjectUserName", "SubjectDomainName", "SubjectLogonId", "TargetUserSid",
         "TargetUserName", "TargetDomainName", "TargetLogonId", "LogonType", "LogonProcessName",
         "AuthenticationPackageName", "WorkstationName", "LogonGuid", "TransmittedServices",
         "LmPackageName", "KeyLength", "ProcessId", "ProcessName", "IpAddress", "IpPort"]


def wevent(t, eid, rid, user, domain="CORP", ip="-", lt=3, status=None, sub=None, ws="KALI", host="SRV01.corp.example"):
    """A Windows event as (System, EventData) with every field a string, as Windows renders them."""
    data = {"TargetUserName": user, "TargetDomainName": domain, "IpAddress": ip, "IpPort": "0" if ip == "-" else "49152",
            "WorkstationName": ws, "LogonType": str(lt), "SubjectUserSid": "S-1-0-0", "SubjectUserName": "-",
            "SubjectDomainName": "-", "SubjectLogonId": "0x0", "TargetUserSid": "S-1-0-0",
            "LogonProcessName": "NtLmSsp ", "AuthenticationPackageName": "NTLM", "TransmittedServices": "-",
            "LmPackageName": "-", "KeyLength": "0", "ProcessId": "0x0", "ProcessName": "-",
            "TargetLogonId": "0x1a2b3c", "LogonGuid": "{00000000-0000-0000-0000-000000000000}"}
    if eid == 4625:
        data.update(Status=status or "0xc000006d", SubStatus=sub or "0xc000006a", FailureReason="%%2313")
    if eid in (4771, 4768):
        data = {"TargetUserName": user, "TargetSid": "S-1-0-0", "ServiceName": f"krbtgt/{domain}",
                "TicketOptions": "0x40810010", "Status": status or "0x18", "PreAuthType": "2",
                "IpAddress": "::ffff:" + ip if ip != "-" else "-", "IpPort": "49152"}
    system = {"EventID": eid, "TimeCreated": t.strftime("%Y-%m-%dT%H:%M:%S.%f") + "0Z",
              "EventRecordID": rid, "Computer": host, "Channel": "Security"}
    return system, data


def seed_third(user="jdoe", ips=("203.0.113.77",), start=WDAY + timedelta(hours=9), lt=3, rid0=5000):
    """The seed's third test: six 4625 (type 3, 0xC000006A), then a 4624, for one account."""
    evs = [wevent(start + timedelta(seconds=20 * i), 4625, rid0 + i, user, ip=ips[i % len(ips)], lt=lt) for i in range(6)]
    evs.append(wevent(start + timedelta(minutes=3), 4624, rid0 + 6, user, ip=ips[0], lt=lt))
    return evs


def xml_of(system, data):
    ns = "http://schemas.microsoft.com/win/2004/08/events/event"
    items = "".join(f"<Data Name='{k}'>{v}</Data>" for k, v in data.items())
    return (f"<Event xmlns='{ns}'><System><Provider Name='Microsoft-Windows-Security-Auditing' "
            f"Guid='{{54849625-5478-4994-a5ba-3e3b0328c30d}}'/><EventID>{system['EventID']}</EventID>"
            f"<Version>0</Version><Level>0</Level><Task>12544</Task><Keywords>0x8010000000000000</Keywords>"
            f"<TimeCreated SystemTime='{system['TimeCreated']}'/><EventRecordID>{system['EventRecordID']}</EventRecordID>"
            f"<Channel>Security</Channel><Computer>{system['Computer']}</Computer><Security/></System>"
            f"<EventData>{items}</EventData></Event>")


def evtx_dump_of(system, data):
    ev = {"#attributes": {"xmlns": "http://schemas.microsoft.com/win/2004/08/events/event"},
          "System": {"Provider": {"#attributes": {"Name": "Microsoft-Windows-Security-Auditing"}},
                     "EventID": system["EventID"], "TimeCreated": {"#attributes": {"SystemTime": system["TimeCreated"]}},
                     "EventRecordID": system["EventRecordID"], "Channel": "Security", "Computer": system["Computer"]},
          "EventData": {k: (int(v) if k == "LogonType" else v) for k, v in data.items()}}
    return {"Event": ev}


def winlogbeat_of(system, data):
    return {"@timestamp": system["TimeCreated"][:23] + "Z", "event": {"code": str(system["EventID"]), "provider": "Microsoft-Windows-Security-Auditing"},
            "host": {"name": system["Computer"].split(".")[0].lower()},
            "winlog": {"channel": "Security", "record_id": system["EventRecordID"], "computer_name": system["Computer"],
                       "event_id": str(system["EventID"]), "event_data": data},
            "source": {"ip": data["IpAddress"].replace("::ffff:", "")} if data.get("IpAddress", "-") != "-" else {}}


def powershell_of(system, data):
    tmpl = T4625 if system["EventID"] == 4625 else T4624
    t = datetime.strptime(system["TimeCreated"][:26], "%Y-%m-%dT%H:%M:%S.%f").replace(tzinfo=timezone.utc)
    props = []
    for name in tmpl:
        v = data.get(name, "-")
        if name in ("Status", "SubStatus"):
            v = int(v, 16)  # PowerShell writes NTSTATUS values as numbers
        elif name in ("LogonType", "KeyLength"):
            v = int(v)
        props.append({"Value": v})
    return {"Id": system["EventID"], "Version": 0, "RecordId": system["EventRecordID"], "ProviderName": "Microsoft-Windows-Security-Auditing",
            "LogName": "Security", "MachineName": system["Computer"], "TimeCreated": f"/Date({int(t.timestamp() * 1000)})/",
            "Properties": props}


def windows_cases():
    # Event XML (wevtutil qe Security /f:xml — no root element), with noise: a process-creation event
    # (ignored) and a broken element (rejected, with its line).
    evs = seed_third()
    xml = [xml_of(*e) for e in evs]
    xml.insert(2, xml_of({"EventID": 4688, "TimeCreated": iso(WDAY + timedelta(hours=9, seconds=30)), "EventRecordID": 4999,
                          "Computer": "SRV01.corp.example"}, {"NewProcessName": "C:\\Windows\\System32\\cmd.exe"}))
    xml.insert(4, "<Event><System><EventID>4625</EventID></System><EventData><Data Name='TargetUserName'>x</Data></Evnt></Event>")
    write("windows-xml", "security.xml", "\n".join(xml) + "\n")

    # evtx_dump -o jsonl: a Kerberos spray (4771 0x18 against 32 accounts from one address in 4 minutes),
    # then one sprayed account gets a TGT (4768 0x0) from the same address.
    recs = []
    for i in range(32):
        recs.append(wevent(WDAY + timedelta(hours=11, seconds=7 * i), 4771, 9000 + i, f"user{i:02d}", domain="CORP.EXAMPLE",
                           ip="198.51.100.23", host="DC01.corp.example"))
    recs.append(wevent(WDAY + timedelta(hours=11, minutes=6), 4768, 9100, "user07", domain="CORP.EXAMPLE",
                       ip="198.51.100.23", status="0x0", host="DC01.corp.example"))
    # A machine account failing too: left out of the count.
    recs.append(wevent(WDAY + timedelta(hours=11, minutes=1), 4771, 9101, "WS07$", domain="CORP.EXAMPLE",
                       ip="198.51.100.23", host="DC01.corp.example"))
    write("windows-evtx-dump-jsonl", "dc01.jsonl", "".join(json.dumps(evtx_dump_of(*e)) + "\n" for e in recs))

    # Winlogbeat / ECS NDJSON: RDP (type 10) guessing from three addresses, then a logon.
    evs = seed_third(user="bob", ips=("203.0.113.10", "203.0.113.11", "203.0.113.12"), lt=10, rid0=7000,
                     start=WDAY + timedelta(hours=13))
    write("windows-winlogbeat", "winlogbeat.ndjson", "".join(json.dumps(winlogbeat_of(*e)) + "\n" for e in evs))

    # PowerShell: Get-WinEvent -FilterHashtable @{LogName='Security';Id=4624,4625} | ConvertTo-Json
    evs = seed_third(user="carol", start=WDAY + timedelta(hours=15), rid0=8000)
    write("windows-powershell", "get-winevent.json", json.dumps([powershell_of(*e) for e in evs], indent=2) + "\n")

    # Sentinel SecurityEvent CSV export (seed profile: the seed's third test through the seed KQL logic).
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["TimeGenerated [UTC]", "Computer", "EventID", "Activity", "Account", "TargetAccount", "TargetUserName",
                "TargetDomainName", "LogonType", "Status", "SubStatus", "IpAddress", "WorkstationName", "EventRecordId"])
    for system, data in seed_third(user="dave", start=WDAY + timedelta(hours=17), rid0=6000):
        eid = system["EventID"]
        w.writerow([system["TimeCreated"][:23].replace("T", " "), system["Computer"], eid,
                    f"{eid} - " + ("An account was successfully logged on." if eid == 4624 else "An account failed to log on."),
                    "CORP\\dave", "CORP\\dave", "dave", "CORP", data["LogonType"], data.get("Status", ""),
                    data.get("SubStatus", ""), data["IpAddress"], data["WorkstationName"], system["EventRecordID"]])
    write("windows-securityevent-csv-seed", "SecurityEvent.csv", buf.getvalue())
    write("windows-securityevent-csv-seed", "config.json", SEED)


def xss_case():
    # Hostile content: markup and script in the UPN, the app name and the user agent. Every host must
    # carry it as data; the review page must show it as text and never run it.
    u = '<img src=x onerror="window.__pwned=1">@contoso.com'
    recs = [graph(DAY + timedelta(hours=20, minutes=i), u, "50126", "203.0.113.66", app="<b>Portal</b>",
                  userAgent="<script>window.__pwned=2</script>") for i in range(6)]
    recs.append(graph(DAY + timedelta(hours=20, minutes=7), u, "0", "203.0.113.66", app="<b>Portal</b>",
                      userAgent="<script>window.__pwned=2</script>"))
    write("xss-hostile-content", "signins.json", json.dumps(recs, indent=1) + "\n")


# ---------------------------------------------------------------------------------------------
# Entra account-takeover techniques of 2024-25 and workload identities (issue 37).

BROKER = "29d9ed98-a469-4536-ade2-f981bc1d605e"
VSCODE = "aebc6443-996d-45c2-90f0-388ff96faa56"
AZ_CLI = "04b07795-8ddb-461a-bbee-02f9e1bf7b46"
GRAPH_ID = "00000003-0000-0000-c000-000000000000"
DRS = "01cb2876-7ebd-4aa4-9cc9-d28bd4d359a9"


def entra_diag(t, upn, code, ip, category="SignInLogs", **props):
    """A diagnostic-settings record (the shape Panther and Elastic read) with Graph-shaped properties."""
    p = graph(t, upn, code, ip, **props)
    return {"time": iso(t, frac=True), "resourceId": "/tenants/x/providers/Microsoft.aadiam",
            "operationName": "Sign-in activity", "category": category, "resultType": code,
            "callerIpAddress": ip, "properties": p}


def sp_row(t, name, app_id, code, ip, country="IE", asn=8075, table="AADServicePrincipalSignInLogs", **extra):
    """A Log Analytics service-principal (or managed-identity) sign-in row."""
    r = {
        "TimeGenerated": iso(t, frac=True), "ServicePrincipalName": name, "AppId": app_id,
        "ServicePrincipalId": f"obj-{app_id[:8]}", "ResultType": code, "IPAddress": ip,
        "Location": country, "AutonomousSystemNumber": asn, "ResourceDisplayName": "Microsoft Graph",
        "Type": table, "Id": f"{name}-{t:%H%M%S}-{code}",
    }
    r.update(extra)
    return r


def entra_techniques():
    # Token phishing through first-party clients, and one Graph session used from two networks.
    d0 = DAY + timedelta(hours=8)
    recs = [
        # Storm-2372: a device-code sign-in to the Authentication Broker, then the Device
        # Registration Service 12 minutes later (a device registered for a primary refresh token).
        entra_diag(d0, "isaiah.langer@contoso.com", "0", "45.86.1.10", appId=BROKER,
                   app="Microsoft Authentication Broker", authenticationProtocol="deviceCode",
                   resourceDisplayName="Microsoft Graph", resourceId=GRAPH_ID),
        entra_diag(d0 + timedelta(minutes=12), "isaiah.langer@contoso.com", "0", "45.86.1.10", appId=BROKER,
                   app="Microsoft Authentication Broker", authenticationProtocol="oAuth2",
                   resourceDisplayName="Device Registration Service", resourceId=DRS),
        # UTA0352: an authorization code for VS Code redeemed for Graph.
        entra_diag(d0 + timedelta(hours=1), "diego.siciliani@contoso.com", "0", "185.100.1.4", appId=VSCODE,
                   app="Visual Studio Code", authenticationProtocol="oAuth2", interactive=False,
                   resourceDisplayName="Microsoft Graph", resourceId=GRAPH_ID, category="NonInteractiveUserSignInLogs"),
        # Not phishing: an admin's Azure CLI device-code sign-in; a failed broker device-code try.
        entra_diag(d0 + timedelta(hours=2), "adele.vance@contoso.com", "0", "131.107.3.3", appId=AZ_CLI,
                   app="Microsoft Azure CLI", authenticationProtocol="deviceCode",
                   resourceDisplayName="Windows Azure Service Management API"),
        entra_diag(d0 + timedelta(hours=2, minutes=5), "lidia.holloway@contoso.com", "50126", "45.86.1.11",
                   appId=BROKER, app="Microsoft Authentication Broker", authenticationProtocol="deviceCode"),
        # One Graph session from two networks in 20 minutes, by a custom app.
        entra_diag(d0 + timedelta(hours=3), "pradeep.gupta@contoso.com", "0", "198.51.100.20", appId="app-custom-1",
                   app="Contoso Reporting", resourceDisplayName="Microsoft Graph", sessionId="sess-graph-1"),
        entra_diag(d0 + timedelta(hours=3, minutes=20), "pradeep.gupta@contoso.com", "0", "203.0.113.200",
                   appId="app-custom-1", app="Contoso Reporting", resourceDisplayName="Microsoft Graph",
                   sessionId="sess-graph-1", userAgent="python-requests/2.31.0"),
        # Not replay: the same session over the device's IPv4 and IPv6 addresses of one AS (dual
        # stack), and Office's own Graph session moving between networks.
        entra_diag(d0 + timedelta(hours=4), "miriam.graham@contoso.com", "0", "198.51.100.30", appId="app-custom-1",
                   app="Contoso Reporting", resourceDisplayName="Microsoft Graph", sessionId="sess-graph-2",
                   autonomousSystemNumber=3320),
        entra_diag(d0 + timedelta(hours=4, minutes=10), "miriam.graham@contoso.com", "0", "2001:db8:77::5",
                   appId="app-custom-1", app="Contoso Reporting", resourceDisplayName="Microsoft Graph",
                   sessionId="sess-graph-2", autonomousSystemNumber=3320),
        entra_diag(d0 + timedelta(hours=5), "lynne.robbins@contoso.com", "0", "198.51.100.40",
                   appId="00000003-0000-0ff1-ce00-000000000000", app="Office 365",
                   resourceDisplayName="Microsoft Graph", sessionId="sess-graph-3"),
        entra_diag(d0 + timedelta(hours=5, minutes=10), "lynne.robbins@contoso.com", "0", "192.0.2.40",
                   appId="00000003-0000-0ff1-ce00-000000000000", app="Office 365",
                   resourceDisplayName="Microsoft Graph", sessionId="sess-graph-3"),
    ]
    write("default-token-phishing", "diagnostic.jsonl", "".join(json.dumps(r) + "\n" for r in recs))

    # Workload identities: a service principal whose secret is guessed, one that moves country, a
    # managed identity Entra rates high-risk; a user named like an app is a separate identity.
    w0 = DAY + timedelta(hours=10)
    rows = []
    for i in range(12):
        rows.append(sp_row(w0 + timedelta(minutes=i), "billing-sync", "1b2c3d4e-0000-4000-8000-000000000001",
                           "7000215", f"45.141.84.{10 + i % 3}", country="NL", asn=9009))
    rows.append(sp_row(w0 + timedelta(minutes=15), "billing-sync", "1b2c3d4e-0000-4000-8000-000000000001", "0",
                       "45.141.84.10", country="NL", asn=9009))
    for i in range(10):
        rows.append(sp_row(w0 + timedelta(hours=1, minutes=10 * i), "hr-export", "5e6f7a8b-0000-4000-8000-000000000002",
                           "0", "20.50.1.1"))
    rows.append(sp_row(w0 + timedelta(hours=3), "hr-export", "5e6f7a8b-0000-4000-8000-000000000002", "0",
                       "185.220.101.5", country="RU", asn=60729))
    # Expired-secret retries of a third app: eleven in ten minutes, never a success (an attempt).
    for i in range(11):
        rows.append(sp_row(w0 + timedelta(hours=4, minutes=i), "legacy-sync", "9c8d7e6f-0000-4000-8000-000000000003",
                           "7000222", "20.50.2.2"))
    rows.append(sp_row(w0 + timedelta(hours=5), "vm-backup", "2a3b4c5d-0000-4000-8000-000000000004", "0", "20.50.3.3",
                       table="AADManagedIdentitySignInLogs", RiskLevelDuringSignIn="high", RiskState="atRisk"))
    # A user whose name is an app's: a user's failures never join the app's.
    for i in range(3):
        rows.append(la_row(w0 + timedelta(minutes=i), "billing-sync@contoso.com", "50126", "45.141.84.10"))
    write("default-workload-identities", "signins.json", json.dumps(rows, indent=1) + "\n")
    write("seed-workload-identities", "signins.json", json.dumps(rows, indent=1) + "\n")
    write("seed-workload-identities", "config.json", SEED)


# ---------------------------------------------------------------------------------------------
# Elastic (ECS) documents of the Azure sign-in integration (issue 38), as Discover / elasticdump
# export them: NDJSON, some with the original record kept (event.original), some without.

def snake(k):
    renamed = {"createdDateTime": "created_at", "riskLevelDuringSignIn": "risk_level_during_signin",
               "riskEventTypes_v2": "risk_event_types_v2"}
    if k in renamed:
        return renamed[k]
    return "".join("_" + c.lower() if c.isupper() else c for c in k).lstrip("_")


def snake_keys(v):
    if isinstance(v, dict):
        return {snake(k): snake_keys(x) for k, x in v.items()}
    if isinstance(v, list):
        return [snake_keys(x) for x in v]
    return v


def ecs_doc(rec, keep_original):
    """The document Elastic's Azure integration writes for a diagnostic record."""
    props = dict(rec["properties"])
    loc = props.pop("location")
    asn = props.pop("autonomousSystemNumber", None)
    sl = {k: v for k, v in rec.items() if k not in ("properties", "time", "callerIpAddress", "location")}
    sl = snake_keys(sl)
    sl["properties"] = snake_keys(props)
    doc = {
        "@timestamp": rec["time"][:23] + "Z",
        "event": {"kind": "event", "action": "Sign-in activity", "category": ["authentication"],
                  "outcome": "success" if rec["resultType"] == "0" else "failure"},
        "source": {"ip": rec["callerIpAddress"], "as": {"number": asn}},
        "geo": {"city_name": loc["city"], "country_iso_code": loc["countryOrRegion"],
                "location": {"lat": loc["geoCoordinates"]["latitude"], "lon": loc["geoCoordinates"]["longitude"]}},
        "azure": {"signinlogs": sl},
        "data_stream": {"dataset": "azure.signinlogs"},
    }
    if keep_original:
        doc["event"]["original"] = json.dumps(rec)
    return doc


def elastic_case():
    # Credential stuffing seen through Elastic: six failures then a success, three documents with
    # the original record kept and four without; a benign user's success.
    u = "felix.hansen@contoso.com"
    t0 = DAY + timedelta(hours=6)
    recs = [diag(t0 + timedelta(minutes=i), u, "50126", "198.51.100.60", "DE", "Berlin") for i in range(6)]
    recs.append(diag(t0 + timedelta(minutes=8), u, "0", "198.51.100.60", "DE", "Berlin"))
    recs.append(diag(t0 + timedelta(hours=2), "gerda.vogel@contoso.com", "0", "192.0.2.61", "DE", "Hamburg"))
    docs = [ecs_doc(r, keep_original=(i % 2 == 1)) for i, r in enumerate(recs)]
    write("default-elastic-ecs", "logs-azure.signinlogs.ndjson", "".join(json.dumps(d) + "\n" for d in docs))


# ---------------------------------------------------------------------------------------------
# Splunk search exports (issue 38): the record as the source wrote it in `_raw`, newest first as
# Splunk returns results, in the three export shapes.

def splunk_time(t):
    return t.strftime("%Y-%m-%dT%H:%M:%S.000+00:00")


def splunk_case():
    # Entra (sourcetype azure:monitor:aad): six failures then a success, non-streaming JSON.
    u = "henrik.larsen@contoso.com"
    t0 = DAY + timedelta(hours=7)
    recs = [diag(t0 + timedelta(minutes=i), u, "50126", "198.51.100.70", "DK", "Copenhagen") for i in range(6)]
    recs.append(diag(t0 + timedelta(minutes=7), u, "0", "198.51.100.70", "DK", "Copenhagen"))
    results = [{"_time": splunk_time(t0 + timedelta(minutes=i if i < 6 else 7)), "_raw": json.dumps(r),
                "sourcetype": "azure:monitor:aad", "host": "eventhub", "user": u}
               for i, r in enumerate(recs)]
    results.reverse()
    write("default-splunk-exports", "azure-results.json",
          json.dumps({"preview": False, "init_offset": 0, "messages": [], "fields": [{"name": "_raw"}],
                      "results": results}, indent=1) + "\n")
    # Windows (XmlWinEventLog): six wrong passwords then a logon, streaming JSON lines.
    w0 = WDAY + timedelta(hours=11)
    evs = [wevent(w0 + timedelta(seconds=20 * i), 4625, 7000 + i, "ingrid", ip="203.0.113.71") for i in range(6)]
    evs.append(wevent(w0 + timedelta(seconds=150), 4624, 7006, "ingrid", ip="203.0.113.71"))
    lines = []
    for off, (system, data) in enumerate(reversed(evs)):
        lines.append({"preview": False, "offset": off, "lastrow": off == len(evs) - 1 or None,
                      "result": {"_time": system["TimeCreated"], "_raw": xml_of(system, data),
                                 "sourcetype": "XmlWinEventLog", "host": system["Computer"]}})
    text = "".join(json.dumps({k: v for k, v in l.items() if v is not None}) + "\n" for l in lines)
    write("default-splunk-exports", "windows-export.jsonl", text)
    # CSV export: `_raw` plus extracted columns; a benign Entra success.
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["_time", "user", "src_ip", "action", "_raw", "sourcetype"])
    r = diag(DAY + timedelta(hours=9), "jonas.berg@contoso.com", "0", "192.0.2.72", "SE", "Stockholm")
    w.writerow([splunk_time(DAY + timedelta(hours=9)), "jonas.berg@contoso.com", "192.0.2.72", "success",
                json.dumps(r), "azure:monitor:aad"])
    write("default-splunk-exports", "export.csv", out.getvalue())


# ---------------------------------------------------------------------------------------------
# Other identity providers (issue 38): each in the shape its API or export writes, written here
# from the vendors' documentation, with failures then a success and, where the source has a
# place, impossible travel; and the provider's own verdicts.

def okta_event(t, user, event_type, result, ip, country="Netherlands", city="Amsterdam", lat=52.37,
               lon=4.9, reason=None, asn=1136, uid=None, sid=None, **extra):
    e = {
        "uuid": uid or f"okta-{user.split('@')[0]}-{t:%H%M%S}-{event_type.split('.')[-1]}",
        "published": t.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
        "eventType": event_type,
        "version": "0",
        "severity": "INFO",
        "legacyEventType": "core.user_auth.login_" + ("success" if result == "SUCCESS" else "failed"),
        "displayMessage": "User login to Okta",
        "actor": {"id": "00u1", "type": "User", "alternateId": user, "displayName": user.split("@")[0].title()},
        "client": {
            "userAgent": {"rawUserAgent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64)", "os": "Windows", "browser": "CHROME"},
            "zone": "null", "device": "Computer", "ipAddress": ip,
            "geographicalContext": {"city": city, "state": "", "country": country, "postalCode": None,
                                    "geolocation": {"lat": lat, "lon": lon}},
        },
        "outcome": {"result": result, "reason": reason},
        "securityContext": {"asNumber": asn, "asOrg": "example networks", "isp": "example", "domain": "example.net", "isProxy": False},
        "authenticationContext": {"authenticationStep": 0,
                                  "externalSessionId": sid or f"idx{user.split('@')[0]}-{t:%H%M%S}"},
        "debugContext": {"debugData": {"requestUri": "/idp/idx/identify", "threatSuspected": "false"}},
        "transaction": {"type": "WEB", "id": "tx1"},
        "target": [],
    }
    e.update(extra)
    return e


def cloudtrail_login(t, identity, result, ip, mfa="No", error=None, eid=None):
    r = {
        "eventVersion": "1.08", "userIdentity": identity,
        "eventTime": t.strftime("%Y-%m-%dT%H:%M:%SZ"), "eventSource": "signin.amazonaws.com",
        "eventName": "ConsoleLogin", "awsRegion": "us-east-1", "sourceIPAddress": ip,
        "userAgent": "Mozilla/5.0 (X11; Linux x86_64)", "requestParameters": None,
        "responseElements": {"ConsoleLogin": result},
        "additionalEventData": {"LoginTo": "https://console.aws.amazon.com/console/home", "MobileVersion": "No", "MFAUsed": mfa},
        "eventID": eid or f"ct-{t:%H%M%S}-{result}", "readOnly": False, "eventType": "AwsConsoleSignIn",
        "managementEvent": True, "recipientAccountId": "111122223333", "eventCategory": "Management",
    }
    if error:
        r["errorMessage"] = error
    return r


def google_activity(t, user, name, ip, params=(), kind="login", n=0):
    return {
        "kind": "admin#reports#activity",
        "id": {"time": t.strftime("%Y-%m-%dT%H:%M:%S.000Z"), "uniqueQualifier": str(9000 + n),
               "applicationName": "login", "customerId": "C0abc"},
        "etag": "\"x\"",
        "actor": {"email": user, "profileId": "1040"},
        "ipAddress": ip,
        "events": [{"type": kind, "name": name, "parameters": list(params)}],
    }


def ocsf_auth(t, who, ok, ip, vendor="Okta", product="Okta System Log", country=None, n=0, **extra):
    e = {
        "activity_id": 1, "activity_name": "Logon", "category_uid": 3, "class_uid": 3002,
        "class_name": "Authentication", "type_uid": 300201,
        "time": int(t.timestamp() * 1000),
        "status": "Success" if ok else "Failure", "status_id": 1 if ok else 2,
        "metadata": {"product": {"name": product, "vendor_name": vendor}, "version": "1.1.0", "uid": f"ocsf-{n}"},
        "user": {"email_addr": who, "name": who.split("@")[0], "type_id": 1},
        "src_endpoint": {"ip": ip},
        "http_request": {"user_agent": "Mozilla/5.0"},
        "is_mfa": False,
    }
    if not ok:
        e["status_detail"] = "INVALID_CREDENTIALS"
    if country:
        e["src_endpoint"]["location"] = {"country": country}
    e.update(extra)
    return e


PLACES = {"Germany": (52.52, 13.40), "Brazil": (-23.55, -46.63)}


def udm_login(t, user, action, ip, country, n, summary=None):
    e = {
        "metadata": {"eventTimestamp": t.strftime("%Y-%m-%dT%H:%M:%S.000000Z"), "eventType": "USER_LOGIN",
                     "vendorName": "Acme SSO", "productName": "Acme Identity", "productLogId": f"udm-{n}"},
        "principal": {"hostname": "laptop-7", "ip": [ip],
                      "location": {"countryOrRegion": country, "regionLatitude": PLACES[country][0],
                                   "regionLongitude": PLACES[country][1]}},
        "target": {"user": {"userid": user.split("@")[0], "emailAddresses": [user]}, "application": "Acme Portal"},
        "securityResult": [{"action": [action]}],
        "extensions": {"auth": {"type": "SSO", "mechanism": ["USERNAME_PASSWORD"]}},
        "network": {"http": {"userAgent": "Mozilla/5.0"}},
    }
    if summary:
        e["securityResult"][0]["summary"] = summary
    return e


def m365_record(t, user, op, ip, code=None, n=0):
    r = {
        "CreationTime": t.strftime("%Y-%m-%dT%H:%M:%S"), "Id": f"ual-{n}", "Operation": op,
        "OrganizationId": "org-1", "RecordType": 15, "ResultStatus": "Success" if op == "UserLoggedIn" else "Failed",
        "UserKey": "1003", "UserType": 0, "Version": 1, "Workload": "AzureActiveDirectory",
        "ClientIP": ip, "ObjectId": "00000002-0000-0ff1-ce00-000000000000", "UserId": user,
        "AzureActiveDirectoryEventType": 1,
        "ExtendedProperties": [{"Name": "UserAgent", "Value": "Mozilla/5.0"}, {"Name": "RequestType", "Value": "Login:login"}],
        "ApplicationId": "00000002-0000-0ff1-ce00-000000000000",
    }
    if code:
        r["ErrorNumber"] = code
        r["LogonError"] = "InvalidUserNameOrPassword"
    return r


def idp_cases():
    # Okta: the System Log API's JSON array.
    t0 = DAY + timedelta(hours=8)
    u = "kim.lee@example.com"
    evs = [okta_event(t0 + timedelta(minutes=i), u, "user.session.start", "FAILURE", "198.51.100.80",
                      reason="INVALID_CREDENTIALS") for i in range(6)]
    evs.append(okta_event(t0 + timedelta(minutes=7), u, "user.session.start", "SUCCESS", "198.51.100.80"))
    # Travel: Seattle, then Tokyo 20 minutes later.
    v = "lena.park@example.com"
    evs.append(okta_event(t0 + timedelta(hours=2), v, "user.session.start", "SUCCESS", "192.0.2.81",
                          country="United States", city="Seattle", lat=47.6, lon=-122.3, asn=7922))
    evs.append(okta_event(t0 + timedelta(hours=2, minutes=20), v, "user.session.start", "SUCCESS", "203.0.113.82",
                          country="Japan", city="Tokyo", lat=35.7, lon=139.7, asn=2516))
    # ThreatInsight's verdict, and an event that is not a sign-in.
    evs.append(okta_event(t0 + timedelta(hours=3), "omar.ali@example.com", "security.threat.detected", "DENY",
                          "198.51.100.83", reason="Password Spray"))
    evs.append(okta_event(t0 + timedelta(hours=3, minutes=5), "omar.ali@example.com", "user.lifecycle.create",
                          "SUCCESS", "192.0.2.84"))
    # A stolen session (AiTM): signed in from Amsterdam in a browser, then the same Okta session
    # used for single sign-on to an application by a script from Bucharest 40 minutes later.
    s = "sam.cho@example.com"
    evs.append(okta_event(t0 + timedelta(hours=5), s, "user.session.start", "SUCCESS", "192.0.2.86",
                          sid="102bZDNFfWaQSyEZQuDgWt-uQ"))
    sso = okta_event(t0 + timedelta(hours=5, minutes=40), s, "user.authentication.sso", "SUCCESS", "203.0.113.87",
                     country="Romania", city="Bucharest", lat=44.43, lon=26.1, asn=8708,
                     sid="102bZDNFfWaQSyEZQuDgWt-uQ",
                     target=[{"id": "0oa1", "type": "AppInstance", "alternateId": "Salesforce", "displayName": "Salesforce.com"}])
    sso["client"]["userAgent"] = {"rawUserAgent": "python-requests/2.31.0", "os": "Unknown", "browser": "UNKNOWN"}
    evs.append(sso)
    write("default-okta-system-log", "okta-system-log.json", json.dumps(evs, indent=2) + "\n")
    # Panther's copy: lower-cased top-level keys, time without a zone; a plain success.
    p = okta_event(t0 + timedelta(hours=4), "ruth.stone@example.com", "user.session.start", "SUCCESS", "192.0.2.85")
    p = {k.lower(): v for k, v in p.items()}
    p["published"] = (t0 + timedelta(hours=4)).strftime("%Y-%m-%d %H:%M:%S.000")
    p["p_log_type"] = "Okta.SystemLog"
    write("default-okta-system-log", "panther-okta.jsonl", json.dumps(p) + "\n")

    # CloudTrail: a file as S3 delivers it.
    t1 = DAY + timedelta(hours=10)
    iam = {"type": "IAMUser", "principalId": "AIDAEXAMPLE", "arn": "arn:aws:iam::111122223333:user/ops-admin",
           "accountId": "111122223333", "userName": "ops-admin"}
    recs = [cloudtrail_login(t1 + timedelta(minutes=i), iam, "Failure", "203.0.113.90", error="Failed authentication")
            for i in range(6)]
    recs.append(cloudtrail_login(t1 + timedelta(minutes=8), iam, "Success", "203.0.113.90"))
    root = {"type": "Root", "principalId": "111122223333", "arn": "arn:aws:iam::111122223333:root",
            "accountId": "111122223333"}
    recs.append(cloudtrail_login(t1 + timedelta(hours=1), root, "Success", "192.0.2.91", mfa="Yes"))
    role = {"type": "AssumedRole", "principalId": "AROAEXAMPLE:pat.kim@example.com",
            "arn": "arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_Admin/pat.kim@example.com",
            "accountId": "111122223333"}
    saml = cloudtrail_login(t1 + timedelta(hours=2), role, "Success", "192.0.2.92", mfa="No")
    saml["additionalEventData"]["SamlProviderArn"] = "arn:aws:iam::111122223333:saml-provider/Okta"
    recs.append(saml)
    other = cloudtrail_login(t1 + timedelta(hours=2, minutes=1), role, "Success", "192.0.2.92")
    other["eventName"] = "GetSigninToken"
    recs.append(other)
    write("default-cloudtrail-console", "111122223333_CloudTrail_us-east-1.json", json.dumps({"Records": recs}) + "\n")

    # Google Workspace: a Reports API page.
    t2 = DAY + timedelta(hours=12)
    g = "maria.silva@example.com"
    fail = [{"name": "login_type", "value": "google_password"},
            {"name": "login_failure_type", "value": "login_failure_invalid_password"},
            {"name": "login_challenge_method", "multiValue": ["password"]}]
    items = [google_activity(t2 + timedelta(minutes=i), g, "login_failure", "198.51.100.95", fail, n=i) for i in range(6)]
    items.append(google_activity(t2 + timedelta(minutes=7), g, "login_success", "198.51.100.95",
                                 [{"name": "login_type", "value": "google_password"},
                                  {"name": "is_suspicious", "boolValue": False}], n=6))
    items.append(google_activity(t2 + timedelta(hours=1), "tom.rees@example.com", "login_success", "192.0.2.96",
                                 [{"name": "login_type", "value": "google_password"},
                                  {"name": "is_suspicious", "boolValue": True}], n=7))
    items.append(google_activity(t2 + timedelta(hours=2), "tom.rees@example.com", "gov_attack_warning", "",
                                 [{"name": "affected_email_address", "value": "tom.rees@example.com"}],
                                 kind="account_warning", n=8))
    items.append(google_activity(t2 + timedelta(hours=3), "tom.rees@example.com", "logout", "192.0.2.96", n=9))
    page = {"kind": "admin#reports#activities", "etag": "\"p1\"", "items": list(reversed(items))}
    write("default-google-workspace", "login-activities.json", json.dumps(page, indent=1) + "\n")

    # OCSF Authentication (class 3002) lines, as Security Lake stores them: an Okta user and a
    # Windows brute force mapped to OCSF.
    t3 = DAY + timedelta(hours=14)
    o = "nina.berg@example.com"
    lines = [ocsf_auth(t3 + timedelta(minutes=i), o, False, "198.51.100.100", country="NO", n=i) for i in range(6)]
    lines.append(ocsf_auth(t3 + timedelta(minutes=7), o, True, "198.51.100.100", country="NO", n=6))
    for i in range(6):
        lines.append(ocsf_auth(t3 + timedelta(hours=1, seconds=20 * i), "x", False, "203.0.113.101",
                               vendor="Microsoft", product="Microsoft Windows", n=10 + i,
                               user={"name": "svc-backup", "domain": "CORP"}, logon_type_id=3,
                               status_code="0xC000006A", auth_protocol="NTLM",
                               device={"hostname": "FS01.corp.example"},
                               unmapped={"EventCode": "4625", "RecordNumber": str(500 + i)}))
    lines.append(ocsf_auth(t3 + timedelta(hours=1, minutes=3), "x", True, "203.0.113.101",
                           vendor="Microsoft", product="Microsoft Windows", n=16,
                           user={"name": "svc-backup", "domain": "CORP"}, logon_type_id=3, auth_protocol="NTLM",
                           device={"hostname": "FS01.corp.example"},
                           unmapped={"EventCode": "4624", "RecordNumber": "506"}))
    logoff = ocsf_auth(t3 + timedelta(hours=2), o, True, "198.51.100.100", n=17)
    logoff["activity_id"] = 2
    lines.append(logoff)
    write("default-ocsf-authentication", "security-lake.ocsf.jsonl", "".join(json.dumps(l) + "\n" for l in lines))

    # Chronicle UDM USER_LOGIN events (Ingestion API JSON array): failures then a success, and
    # travel between countries.
    t4 = DAY + timedelta(hours=16)
    c = "ivan.petrov@example.com"
    ev = [udm_login(t4 + timedelta(minutes=i), c, "BLOCK", "198.51.100.110", "Germany", i, summary="invalid password")
          for i in range(6)]
    ev.append(udm_login(t4 + timedelta(minutes=7), c, "ALLOW", "198.51.100.110", "Germany", 6))
    ev.append(udm_login(t4 + timedelta(minutes=30), c, "ALLOW", "203.0.113.111", "Brazil", 7))
    write("default-chronicle-udm", "udm-events.json", json.dumps(ev, indent=2) + "\n")

    # Microsoft 365 unified audit log: the Management Activity API's JSON array, and Purview's CSV
    # export whose AuditData column holds the record.
    t5 = DAY + timedelta(hours=18)
    m = "sara.holm@contoso.com"
    recs = [m365_record(t5 + timedelta(minutes=i), m, "UserLoginFailed", "198.51.100.120", code="50126", n=i)
            for i in range(6)]
    recs.append(m365_record(t5 + timedelta(minutes=7), m, "UserLoggedIn", "198.51.100.120", n=6))
    files = m365_record(t5 + timedelta(minutes=9), m, "UserLoggedIn", "198.51.100.120", n=7)
    files["Operation"] = "FileAccessed"
    recs.append(files)
    write("default-m365-audit", "audit-log.json", json.dumps(recs) + "\n")
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["RecordId", "CreationDate", "RecordType", "Operation", "UserId", "AuditData"])
    r = m365_record(t5 + timedelta(hours=1), "erik.lund@contoso.com", "UserLoggedIn", "192.0.2.121", n=8)
    w.writerow(["ual-8", r["CreationTime"], "AzureActiveDirectoryStsLogon", "UserLoggedIn", r["UserId"], json.dumps(r)])
    write("default-m365-audit", "purview-export.csv", out.getvalue())

    # One identity across providers: Okta failures, then an Entra sign-in from the same address.
    t6 = DAY + timedelta(hours=20)
    x = "ana.costa@example.com"
    okta = [okta_event(t6 + timedelta(minutes=i), x, "user.session.start", "FAILURE", "203.0.113.130",
                       reason="INVALID_CREDENTIALS") for i in range(6)]
    write("default-cross-provider", "okta.jsonl", "".join(json.dumps(e) + "\n" for e in okta))
    entra = [graph(t6 + timedelta(minutes=8), "Ana.Costa@example.com", "0", "203.0.113.130", country="PT", city="Lisbon")]
    write("default-cross-provider", "entra-signins.json", json.dumps({"value": entra}) + "\n")


def classic_text(t, code, record, user, domain, ip, logon_type=3, computer="FS02.corp.example"):
    # Classic WinEventLog text as Splunk's `.event` files and rendered exports write it: the
    # local time alone on the first line, Key=Value lines, then the rendered message.
    ok = code == 4624
    head = [t.strftime("%m/%d/%Y %I:%M:%S %p"), "LogName=Security",
            "SourceName=Microsoft Windows security auditing.", f"EventCode={code}", "EventType=0",
            "Type=Information", f"ComputerName={computer}", "TaskCategory=Logon", "OpCode=Info",
            f"RecordNumber={record}", "Keywords=Audit " + ("Success" if ok else "Failure"),
            "Message=" + ("An account was successfully logged on." if ok else "An account failed to log on."), "",
            "Subject:", "\tSecurity ID:\t\tNULL SID", "\tAccount Name:\t\t-", "\tAccount Domain:\t\t-",
            "\tLogon ID:\t\t0x0", "", f"Logon Type:\t\t\t{logon_type}", ""]
    who = "New Logon:" if ok else "Account For Which Logon Failed:"
    body = [who, "\tSecurity ID:\t\tNULL SID", f"\tAccount Name:\t\t{user}", f"\tAccount Domain:\t\t{domain}", ""]
    if not ok:
        body += ["Failure Information:", "\tFailure Reason:\t\tUnknown user name or bad password.",
                 "\tStatus:\t\t\t0xC000006D", "\tSub Status:\t\t0xC000006A", ""]
    body += ["Network Information:", "\tWorkstation Name:\tKALI", f"\tSource Network Address:\t{ip}",
             "\tSource Port:\t\t51000", "", "Detailed Authentication Information:",
             "\tLogon Process:\t\tNtLmSsp ", "\tAuthentication Package:\tNTLM", "",
             "This event is generated when a logon request fails. It is generated on the computer where access was attempted."]
    return "\n".join(head + body) + "\n"


def classic_case():
    # A file of classic WinEventLog text (several events, one after another): six wrong passwords
    # for CORP\\backup-admin from one address, then a network logon.
    w0 = WDAY + timedelta(hours=13)
    text = "".join(classic_text(w0 + timedelta(seconds=15 * i), 4625, 8100 + i, "backup-admin", "CORP", "203.0.113.140")
                   for i in range(6))
    text += classic_text(w0 + timedelta(minutes=2), 4624, 8106, "backup-admin", "CORP", "203.0.113.140")
    write("windows-classic-event", "security.event", text)


def okta_ecs(e):
    """The document Elastic's Okta integration writes for a System Log event, without
    `event.original`: Okta's fields in snake_case under `okta`, the address and place moved to
    `client.ip` and `client.geo`, the network to `okta.security_context.as`, Okta's own debug data
    kept under `debug_data.flattened`."""
    c, sc = e["client"], e["securityContext"]
    g = c["geographicalContext"]
    o = snake_keys({k: v for k, v in e.items() if k not in ("published", "client", "securityContext")})
    o["client"] = {"ip": c["ipAddress"], "device": c["device"], "zone": c["zone"],
                   "user_agent": snake_keys(c["userAgent"])}
    o["security_context"] = {"as": {"number": sc["asNumber"], "organization": {"name": sc["asOrg"]}},
                             "isp": sc["isp"], "domain": sc["domain"], "is_proxy": sc["isProxy"]}
    o["debug_context"]["debug_data"]["flattened"] = dict(e["debugContext"]["debugData"])
    return {
        "@timestamp": e["published"],
        "event": {"action": e["eventType"], "category": ["authentication", "session"], "kind": "event",
                  "outcome": e["outcome"]["result"].lower(), "dataset": "okta.system", "id": e["uuid"]},
        "okta": o,
        "client": {"ip": c["ipAddress"], "geo": {"city_name": g["city"], "country_name": g["country"],
                                                 "location": g["geolocation"]},
                   "user": {"id": e["actor"]["id"], "name": e["actor"]["alternateId"]}},
        "source": {"ip": c["ipAddress"]},
        "user_agent": {"original": c["userAgent"]["rawUserAgent"]},
        "data_stream": {"dataset": "okta.system", "type": "logs"},
    }


def cloudtrail_ecs(r, flattened):
    """The document Elastic's AWS CloudTrail integration writes for a console sign-in, without
    `event.original`: the response and additional data as Java-map strings (`flattened`: their
    objects, when the integration keeps them), the identity's account and name moved to
    `cloud.account.id` and `user.name`."""
    ui = {k: v for k, v in snake_keys(r["userIdentity"]).items() if k not in ("account_id", "user_name")}
    add = r["additionalEventData"]
    ct = {
        "event_version": r["eventVersion"], "user_identity": ui, "event_type": r["eventType"],
        "recipient_account_id": r["recipientAccountId"], "event_category": r["eventCategory"],
        "response_elements": "{" + ", ".join(f"{k}={v}" for k, v in r["responseElements"].items()) + "}",
        "additional_eventdata": "{" + ", ".join(f"{k}={v}" for k, v in add.items()) + "}",
        "console_login": {"additional_eventdata": {"login_to": add["LoginTo"], "mobile_version": False,
                                                   "mfa_used": add["MFAUsed"] == "Yes"}},
    }
    if "errorMessage" in r:
        ct["error_message"] = r["errorMessage"]
    if flattened:
        ct["flattened"] = {"response_elements": r["responseElements"], "additional_eventdata": add}
    doc = {
        "@timestamp": r["eventTime"],
        "event": {"action": r["eventName"], "provider": r["eventSource"], "id": r["eventID"], "kind": "event",
                  "outcome": r["responseElements"]["ConsoleLogin"].lower(), "category": ["authentication"]},
        "aws": {"cloudtrail": ct},
        "cloud": {"account": {"id": r["userIdentity"]["accountId"]}, "region": r["awsRegion"]},
        "source": {"address": r["sourceIPAddress"], "ip": r["sourceIPAddress"]},
        "user_agent": {"original": r["userAgent"]},
        "data_stream": {"dataset": "aws.cloudtrail", "type": "logs"},
    }
    if "userName" in r["userIdentity"]:
        doc["user"] = {"name": r["userIdentity"]["userName"]}
    return doc


def google_ecs(a):
    """The document Elastic's Google Workspace integration writes for a login activity, without
    `event.original`: the event's name in `event.action`, its parameters under
    `google_workspace.login` without their `login_` prefix, the actor in `source.user.email`."""
    ev = a["events"][0]
    login = {}
    for p in ev["parameters"]:
        v = p.get("value", p.get("boolValue", p.get("multiValue")))
        login[p["name"][6:] if p["name"].startswith("login_") else p["name"]] = v
    user, domain = a["actor"]["email"].split("@")
    outcome = {"login_success": "success", "login_failure": "failure"}.get(ev["name"])
    doc = {
        "@timestamp": a["id"]["time"],
        "event": {"action": ev["name"], "id": a["id"]["uniqueQualifier"], "provider": a["id"]["applicationName"],
                  "kind": "event", "category": ["authentication"], "dataset": "google_workspace.login"},
        "google_workspace": {"kind": a["kind"], "actor": {"type": "USER"}, "event": {"type": ev["type"]},
                             "login": login, "organization": {"domain": domain}},
        "source": {"ip": a["ipAddress"], "user": {"email": a["actor"]["email"], "name": user, "domain": domain}},
        "user": {"name": user, "domain": domain},
        "data_stream": {"dataset": "google_workspace.login", "type": "logs"},
    }
    if outcome:
        doc["event"]["outcome"] = outcome
    return doc


def elastic_idp_case():
    # Okta, CloudTrail and Google Workspace documents as Elastic's integrations store them, none
    # with `event.original`, in one NDJSON export (Discover / elasticdump).
    t0 = DAY + timedelta(hours=23)
    v = "nina.berg@example.com"
    docs = [okta_ecs(okta_event(t0, v, "user.session.start", "SUCCESS", "192.0.2.170", country="United States",
                                city="Seattle", lat=47.6, lon=-122.3, asn=7922)),
            okta_ecs(okta_event(t0 + timedelta(minutes=25), v, "user.session.start", "SUCCESS", "203.0.113.171",
                                country="Japan", city="Tokyo", lat=35.7, lon=139.7, asn=2516))]
    iam = {"type": "IAMUser", "principalId": "AIDAEXAMPLE2", "arn": "arn:aws:iam::444455556666:user/deploy",
           "accountId": "444455556666", "userName": "deploy"}
    t1 = t0 + timedelta(hours=1)
    recs = [cloudtrail_login(t1 + timedelta(minutes=i), iam, "Failure", "203.0.113.172", error="Failed authentication")
            for i in range(6)]
    recs.append(cloudtrail_login(t1 + timedelta(minutes=8), iam, "Success", "203.0.113.172"))
    docs += [cloudtrail_ecs(r, flattened=(i % 2 == 0)) for i, r in enumerate(recs)]
    g = "omar.haddad@example.com"
    t2 = t0 + timedelta(hours=2)
    fail = [{"name": "login_type", "value": "google_password"},
            {"name": "login_failure_type", "value": "login_failure_invalid_password"},
            {"name": "login_challenge_method", "multiValue": ["password"]}]
    acts = [google_activity(t2 + timedelta(minutes=i), g, "login_failure", "198.51.100.173", fail, n=20 + i)
            for i in range(6)]
    acts.append(google_activity(t2 + timedelta(minutes=7), g, "login_success", "198.51.100.173",
                                [{"name": "login_type", "value": "google_password"},
                                 {"name": "is_suspicious", "boolValue": False}], n=26))
    docs += [google_ecs(a) for a in acts]
    write("default-elastic-idp", "logs-idp.ndjson", "".join(json.dumps(d) + "\n" for d in docs))


def search_case():
    # Elasticsearch `_search` responses (hits.hits[]._source): Okta documents that kept their
    # record (event.original), pretty-printed as Kibana's and curl's `?pretty` write them; Azure
    # documents without it, compact on one line as a plain curl writes it.
    t0 = DAY + timedelta(hours=21)
    u = "yuki.tanaka@example.com"
    evs = [okta_event(t0 + timedelta(minutes=i), u, "user.session.start", "FAILURE", "198.51.100.150",
                      reason="INVALID_CREDENTIALS") for i in range(6)]
    evs.append(okta_event(t0 + timedelta(minutes=7), u, "user.session.start", "SUCCESS", "198.51.100.150"))
    hits = []
    for i, e in enumerate(reversed(evs)):
        doc = {"@timestamp": e["published"], "event": {"dataset": "okta.system", "original": json.dumps(e),
                                                       "outcome": e["outcome"]["result"].lower()},
               "okta": {"event_type": e["eventType"]}, "data_stream": {"dataset": "okta.system"}}
        hits.append({"_index": ".ds-logs-okta.system-default-2026.03.02-000001", "_id": f"okta-{i}",
                     "_score": None, "_source": doc, "sort": [i]})
    resp = {"took": 12, "timed_out": False, "_shards": {"total": 1, "successful": 1, "skipped": 0, "failed": 0},
            "hits": {"total": {"value": len(hits), "relation": "eq"}, "max_score": None, "hits": hits}}
    write("default-elasticsearch-search", "okta-search.json", json.dumps(resp, indent=2) + "\n")
    v = "zoe.adams@contoso.com"
    recs = [diag(t0 + timedelta(hours=1, minutes=i), v, "50126", "198.51.100.151", "GB", "London") for i in range(6)]
    recs.append(diag(t0 + timedelta(hours=1, minutes=9), v, "0", "198.51.100.151", "GB", "London"))
    hits = [{"_index": ".ds-logs-azure.signinlogs-default", "_id": f"az-{i}", "_score": 1.0,
             "_source": ecs_doc(r, keep_original=False)} for i, r in enumerate(recs)]
    resp = {"took": 3, "timed_out": False, "hits": {"total": {"value": len(hits), "relation": "eq"},
                                                     "max_score": 1.0, "hits": hits}}
    write("default-elasticsearch-search", "azure-search.json", json.dumps(resp) + "\n")


def qradar_case():
    # QRadar's payload export (AQL `SELECT starttime, sourceip, username, UTF8(payload) FROM
    # events`), from the AQL documentation: as CSV (the Log Activity export) and as the Ariel API's
    # results (`GET /ariel/searches/{id}/results`: `{"events":[…]}`). Each payload is the record the log source sent: an Entra diagnostic record (the
    # Microsoft Azure DSM through Event Hubs) or a Windows event as XML (WinCollect).
    u = "liam.byrne@contoso.com"
    t0 = DAY + timedelta(hours=22)
    recs = [diag(t0 + timedelta(minutes=i), u, "50126", "198.51.100.160", "IE", "Dublin") for i in range(6)]
    recs.append(diag(t0 + timedelta(minutes=8), u, "0", "198.51.100.160", "IE", "Dublin"))
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["starttime", "sourceip", "username", "UTF8(payload)"])
    for i, r in enumerate(recs):
        ms = int((t0 + timedelta(minutes=i if i < 6 else 8)).timestamp() * 1000)
        w.writerow([ms, r["callerIpAddress"], u, json.dumps(r)])
    write("default-qradar-payload", "aql-export.csv", out.getvalue())
    w0 = WDAY + timedelta(hours=15)
    evs = [wevent(w0 + timedelta(seconds=20 * i), 4625, 9100 + i, "oscar", ip="203.0.113.161") for i in range(6)]
    evs.append(wevent(w0 + timedelta(seconds=150), 4624, 9106, "oscar", ip="203.0.113.161"))
    lines = [{"starttime": int(datetime.fromisoformat(system["TimeCreated"].replace("Z", "+00:00")).timestamp() * 1000),
              "sourceip": "203.0.113.161", "payload": xml_of(system, data)} for system, data in evs]
    write("default-qradar-payload", "ariel-results.json", json.dumps({"events": lines}) + "\n")


def flatten(prefix, v, out):
    if isinstance(v, dict):
        for k, x in v.items():
            flatten(f"{prefix}.{k}", x, out)
    else:
        out[prefix] = v
    return out


def logscale_case():
    # LogScale / Falcon NG-SIEM events as a search exports them (JSON), written from the
    # CrowdStrike Parsing Standard's documentation: normalized fields at the top, `@timestamp` in
    # epoch milliseconds, the raw record in `@rawstring`, the vendor's fields under `Vendor.`.
    t0 = DAY + timedelta(hours=23)
    u = "mia.schulz@contoso.com"
    recs = [diag(t0 + timedelta(minutes=i), u, "50126", "198.51.100.170", "AT", "Vienna") for i in range(6)]
    recs.append(diag(t0 + timedelta(minutes=8), u, "0", "198.51.100.170", "AT", "Vienna"))
    events = []
    for r in recs:
        ms = int(datetime.fromisoformat(r["time"].replace("Z", "+00:00")[:26] + "+00:00").timestamp() * 1000)
        events.append({"@timestamp": ms, "@rawstring": json.dumps(r), "#repo": "ngsiem", "#Vendor": "microsoft",
                       "#event.module": "entraid", "event.kind": "event", "event.category[0]": "authentication",
                       "event.outcome": "success" if r["resultType"] == "0" else "failure",
                       "source.ip": r["callerIpAddress"], "user.email": u})
    write("default-logscale-events", "ngsiem-entra.json", json.dumps(events, indent=1) + "\n")
    v = "noah.keller@example.com"
    okta = [okta_event(t0 + timedelta(minutes=30 + i), v, "user.session.start", "FAILURE", "203.0.113.171",
                       reason="INVALID_CREDENTIALS", country="Switzerland", city="Zurich", lat=47.37, lon=8.54)
            for i in range(6)]
    okta.append(okta_event(t0 + timedelta(minutes=38), v, "user.session.start", "SUCCESS", "203.0.113.171",
                           country="Switzerland", city="Zurich", lat=47.37, lon=8.54))
    lines = []
    for e in okta:
        ms = int(datetime.fromisoformat(e["published"].replace("Z", "+00:00")).timestamp() * 1000)
        ev = {"@timestamp": ms, "#repo": "ngsiem", "#Vendor": "okta", "event.kind": "event",
              "event.outcome": e["outcome"]["result"].lower(), "source.ip": e["client"]["ipAddress"],
              "user.name": v}
        ev.update(flatten("Vendor", {k: x for k, x in e.items() if k not in ("debugContext", "transaction", "target")}, {}))
        lines.append(ev)
    write("default-logscale-events", "ngsiem-okta.jsonl", "".join(json.dumps(l) + "\n" for l in lines))


if __name__ == "__main__":
    seed_graph_single_ip()
    seed_six_ips()
    seed_travel()
    seed_hosting()
    seed_tor_csv()
    multi_file()
    malformed()
    benign_day()
    default_cases()
    windows_cases()
    xss_case()
    entra_techniques()
    elastic_case()
    splunk_case()
    idp_cases()
    classic_case()
    search_case()
    elastic_idp_case()
    qradar_case()
    logscale_case()
    demo()
