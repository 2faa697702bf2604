#!/usr/bin/env python3
"""Parse the rules `t1586 rules` writes with the languages' own parsers (rules/README in the main
README: "The detections as SIEM rules").

    python3 rules/check/parse.py T1586_BINARY

For each profile and each parser-backed target, the CLI's output is split into its rules (blank
lines between rules, comment lines first) and every query must parse with zero errors:

* elastic-eql: the `eql` package (Elastic's own EQL parser), Elasticsearch syntax, `with runs=`
  allowed, as Elasticsearch accepts it.

Prints one line per rule; exits non-zero on the first rule that does not parse.
"""
import subprocess
import sys

import eql


def rules_of(binary, target, profile):
    out = subprocess.run([binary, "rules", "--to", target, "--profile", profile],
                         check=True, capture_output=True, text=True).stdout
    blocks = [b for b in out.strip().split("\n\n") if b.strip()]
    assert blocks, f"{target} {profile}: no rules"
    return blocks


def query(block, mark):
    lines = block.splitlines()
    assert lines[0].startswith(mark), f"a rule starts with its comment: {block!r}"
    body = [l for l in lines if not l.startswith(mark)]
    assert body and all(l.strip() for l in body), f"a query, no blank line inside: {block!r}"
    return "\n".join(body), lines[0][len(mark):]


def check_eql(binary):
    for profile in ("seed", "default"):
        for block in rules_of(binary, "elastic-eql", profile):
            q, title = query(block, "// ")
            with eql.parser.elasticsearch_syntax, eql.parser.allow_runs:
                eql.parse_query(q)
            print(f"ok   elastic-eql {profile:7} {title}")


def main():
    binary = sys.argv[1]
    check_eql(binary)


main()
