#!/usr/bin/env python3
"""Wall-clock latency of live mode under `t1586 scan --follow` (issue 41).

Follows an empty JSON Lines file; in each round appends a user's failed sign-ins from eight
addresses (the attempt), waits, then appends the success that completes the stuffing run and
times how long until the CLI prints that alert's revision with the success in it. Also times the
same through standard input (`--follow -`).

usage: bench/follow-latency.py [T1586_BINARY] [ROUNDS]
"""
import json
import os
import queue
import statistics
import subprocess
import sys
import tempfile
import threading
import time

BIN = sys.argv[1] if len(sys.argv) > 1 else "target/release/t1586"
ROUNDS = int(sys.argv[2]) if len(sys.argv) > 2 else 10


def record(minute, user, code, ip, n):
    hh, mm = divmod(minute, 60)
    return json.dumps({
        "createdDateTime": f"2026-03-02T{hh:02}:{mm:02}:00Z",
        "userPrincipalName": user,
        "ipAddress": ip,
        "status": {"errorCode": code},
        "id": f"r{n}",
        "appDisplayName": "Office 365",
    }) + "\n"


def lines_of(stream, q):
    for line in stream:
        q.put((time.monotonic(), line))


def run(stdin_mode):
    tmp = tempfile.mkdtemp()
    path = os.path.join(tmp, "live.jsonl")
    open(path, "w").close()
    args = [BIN, "scan", "--follow", "--format", "jsonl", "-" if stdin_mode else path]
    p = subprocess.Popen(args, stdin=subprocess.PIPE if stdin_mode else None,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, bufsize=1)
    p.stderr.readline()  # "following ..."
    q = queue.Queue()
    threading.Thread(target=lines_of, args=(p.stdout, q), daemon=True).start()

    def append(text):
        if stdin_mode:
            p.stdin.write(text)
            p.stdin.flush()
        else:
            with open(path, "a") as f:
                f.write(text)

    times = []
    n = 0
    for r in range(ROUNDS):
        user = f"victim{r}@contoso.com"
        start = 60 * (r + 1)
        text = ""
        for k in range(8):
            text += record(start + k, user, 50126, f"203.0.113.{k + 10}", n)
            n += 1
        append(text)
        time.sleep(1.5)
        while not q.empty():
            q.get()
        t0 = time.monotonic()
        append(record(start + 9, user, 0, "203.0.113.10", n))
        n += 1
        while True:
            t1, line = q.get(timeout=30)
            a = json.loads(line)
            if a["UserPrincipalName"] == user and a["SuccessCount"] >= 1:
                times.append(t1 - t0)
                break
    p.terminate()
    p.wait()
    return times


for mode in (False, True):
    t = run(mode)
    print(f"{'stdin' if mode else 'file '}: {len(t)} rounds, completing record to alert line: "
          f"min {min(t):.2f} s, median {statistics.median(t):.2f} s, max {max(t):.2f} s")
