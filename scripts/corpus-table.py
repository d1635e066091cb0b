#!/usr/bin/env python3
"""Turns tests/corpus/expected.json into the README's table of public Serverless Framework
projects: which deploy and answer locally, and why the rest cannot.

    scripts/corpus-table.py              print the table
    scripts/corpus-table.py --write      replace the table in README.md (between its markers)
    scripts/corpus-table.py --check      exit 1 when README.md's table is not this one

expected.json is what tests/e2e/test_corpus.py checks the real outcomes against, so a table made
from it says what the test last agreed with.
"""
import argparse
import collections
import json
import os
import sys

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
EXPECTED = os.path.join(ROOT, "tests", "corpus", "expected.json")
README = os.path.join(ROOT, "README.md")
START = "<!-- corpus-table:start (made by scripts/corpus-table.py from tests/corpus/expected.json) -->"
END = "<!-- corpus-table:end -->"


def cell(text):
    """Markdown table cells cannot hold a pipe or a line break."""
    return " ".join(str(text).split()).replace("|", "\\|")


def source_link(name, source):
    repo = source.get("repository", "")
    commit = source.get("commit", "")
    path = source.get("path", "")
    if not repo:
        return cell(name)
    where = "" if path.startswith("(") else path
    url = f"{repo}/tree/{commit}/{where}".rstrip("/") if commit else repo
    return f"[{cell(name)}]({url})"


def table(expected):
    projects = expected["projects"]
    works = sum(1 for p in projects.values() if p["outcome"] == "works")
    measured = f" (measured with {expected['_measured']})" if expected.get("_measured") else ""
    lines = [
        f"{works} of {len(projects)} projects work{measured}.",
        "",
        "| project | language | what it uses | works? | why not |",
        "|---|---|---|---|---|",
    ]
    for name in sorted(projects):
        p = projects[name]
        ok = "yes" if p["outcome"] == "works" else "no"
        why = p.get("reason", "")
        if p["outcome"] != "works" and p.get("category"):
            why = f"**{p['category']}**: {why}"
        lang = p.get("language", "")
        if p.get("runtime"):
            lang = f"{lang} ({p['runtime']})"
        lines.append(f"| {source_link(name, p.get('source', {}))} | {cell(lang)} | {cell(p.get('uses', ''))} "
                     f"| {ok} | {cell(why)} |")
    counts = collections.Counter(p["category"] for p in projects.values() if p["outcome"] != "works")
    lines += ["", "Why the others fail, by count: " +
              "; ".join(f"{cell(c)} ({n})" for c, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))) + "."]
    return "\n".join(lines) + "\n"


def readme_with(text, new_table):
    if START not in text or END not in text:
        raise SystemExit(f"fx: error: {README}: no corpus table markers; add the lines\n  {START}\n  {END}\n"
                         "under the 'Real projects' heading, then run this again")
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{START}\n{new_table}{END}{tail}"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--write", action="store_true", help="replace the table in README.md")
    ap.add_argument("--check", action="store_true", help="fail when README.md's table differs")
    args = ap.parse_args()
    with open(EXPECTED) as f:
        new_table = table(json.load(f))
    if not (args.write or args.check):
        sys.stdout.write(new_table)
        return 0
    with open(README) as f:
        text = f.read()
    updated = readme_with(text, new_table)
    if args.check:
        if updated != text:
            print("fx: error: README.md's corpus table is not the one tests/corpus/expected.json makes; "
                  "run scripts/corpus-table.py --write", file=sys.stderr)
            return 1
        return 0
    with open(README, "w") as f:
        f.write(updated)
    return 0


if __name__ == "__main__":
    sys.exit(main())
