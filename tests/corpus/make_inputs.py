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


if __name__ == "__main__":
    seed_graph_single_ip()
    seed_six_ips()
    seed_travel()
    seed_hosting()
    seed_tor_csv()
    multi_file()
    malformed()
    benign_day()
    demo()
