#!/usr/bin/env python3
"""Parse the rules `t1586 rules` writes with the languages' own parsers (rules/README in the main
README: "The detections as SIEM rules").

    python3 rules/check/parse.py T1586_BINARY

For each profile and each parser-backed target, the CLI's output is split into its rules (blank
lines between rules, comment lines first) and every query must parse with zero errors:

* elastic-eql: the `eql` package (Elastic's own EQL parser), Elasticsearch syntax, `with runs=`
  allowed, as Elasticsearch accepts it;
* elastic-esql: the `esql-parser` package (the ANTLR grammar of Elasticsearch 9.1.3's ES|QL).

Prints one line per rule; exits non-zero on the first rule that does not parse.
"""
import subprocess
import sys

import eql
from antlr4 import CommonTokenStream, InputStream
from antlr4.error.ErrorListener import ErrorListener
from esql_parser.EsqlBaseLexer import EsqlBaseLexer
from esql_parser.EsqlBaseParser import EsqlBaseParser


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


class Errors(ErrorListener):
    def __init__(self):
        self.errors = []

    def syntaxError(self, recognizer, offending, line, column, msg, e):
        self.errors.append(f"line {line}:{column} {msg}")


def esql_errors(q):
    errors = Errors()
    lexer = EsqlBaseLexer(InputStream(q))
    lexer.removeErrorListeners()
    lexer.addErrorListener(errors)
    parser = EsqlBaseParser(CommonTokenStream(lexer))
    parser.removeErrorListeners()
    parser.addErrorListener(errors)
    parser.singleStatement()
    return errors.errors


def check_esql(binary):
    bad = esql_errors("FROM logs | WHERE a == | STATS")
    assert bad, "the ES|QL parser reports errors"
    for profile in ("seed", "default"):
        for block in rules_of(binary, "elastic-esql", profile):
            q, title = query(block, "// ")
            errors = esql_errors(q)
            assert not errors, f"{title}:\n{q}\n" + "\n".join(errors)
            print(f"ok   elastic-esql {profile:7} {title}")


def main():
    binary = sys.argv[1]
    check_eql(binary)
    check_esql(binary)


main()
