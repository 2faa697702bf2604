#!/usr/bin/env python3
"""Parse the rules `t1586 rules` writes with the languages' own parsers (rules/README in the main
README: "The detections as SIEM rules").

    python3 rules/check/parse.py T1586_BINARY

For each profile and each parser-backed target, the CLI's output is split into its rules (blank
lines between rules, comment lines first) and every query must parse with zero errors:

* elastic-eql: the `eql` package (Elastic's own EQL parser), Elasticsearch syntax, `with runs=`
  allowed, as Elasticsearch accepts it;
* elastic-esql: the `esql-parser` package (the ANTLR grammar of Elasticsearch 9.1.3's ES|QL);
* chronicle-yaral: the `tree-sitter-yaral` package (a tree-sitter grammar of YARA-L 2.0): no ERROR
  or missing node anywhere in the tree, and one `rule` per block.

Prints one line per rule; exits non-zero on the first rule that does not parse.
"""
import os
import subprocess
import sys
import tempfile
import warnings

import eql
from antlr4 import CommonTokenStream, InputStream
from antlr4.error.ErrorListener import ErrorListener
from esql_parser.EsqlBaseLexer import EsqlBaseLexer
from esql_parser.EsqlBaseParser import EsqlBaseParser
import tree_sitter_yaral
from tree_sitter import Language, Parser


# The profiles, and a configuration that turns on what the default leaves out (a watched country
# for workload identities).
TUNED = os.path.join(tempfile.mkdtemp(prefix="t1586-rules-"), "tuned.toml")
with open(TUNED, "w") as f:
    f.write('profile = "default"\n[workload_location]\nwatched_countries = ["RU"]\n')
PROFILES = ("seed", "default", "tuned")


def rules_of(binary, target, profile):
    args = ["--config", TUNED] if profile == "tuned" else ["--profile", profile]
    out = subprocess.run([binary, "rules", "--to", target, *args],
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
    for profile in PROFILES:
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
    for profile in PROFILES:
        for block in rules_of(binary, "elastic-esql", profile):
            q, title = query(block, "// ")
            errors = esql_errors(q)
            assert not errors, f"{title}:\n{q}\n" + "\n".join(errors)
            print(f"ok   elastic-esql {profile:7} {title}")


with warnings.catch_warnings():
    # tree-sitter 0.26 warns that the package hands over its language as an integer.
    warnings.simplefilter("ignore", DeprecationWarning)
    YARAL = Parser(Language(tree_sitter_yaral.language()))


def yaral_errors(text):
    src = text.encode()
    tree = YARAL.parse(src)
    errors = []

    def walk(node):
        if node.type == "ERROR" or node.is_missing:
            row, col = node.start_point
            snippet = src[node.start_byte:node.end_byte][:60].decode(errors="replace")
            errors.append(f"line {row + 1}:{col} {'missing ' + node.type if node.is_missing else 'error'}: {snippet!r}")
        for child in node.children:
            walk(child)

    walk(tree.root_node)
    rules = [c for c in tree.root_node.children if c.type == "rule_definition"]
    return errors, len(rules)


def check_yaral(binary):
    bad, _ = yaral_errors("rule r {\n  events:\n    $e.x = \n  condition:\n    $e\n}\n")
    assert bad, "the YARA-L parser reports errors"
    for profile in PROFILES:
        for block in rules_of(binary, "chronicle-yaral", profile):
            errors, n = yaral_errors(block)
            title = block.splitlines()[0][3:]
            assert not errors, f"{title}:\n{block}\n" + "\n".join(errors)
            assert n == 1, f"{title}: one rule per block, found {n}:\n{block}"
            print(f"ok   chronicle-yaral {profile:7} {title}")


def main():
    binary = sys.argv[1]
    check_eql(binary)
    check_esql(binary)
    check_yaral(binary)


main()
