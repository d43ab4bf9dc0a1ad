#!/usr/bin/env python3
"""Fill the local dashboard template with a lake's views: a development and test fixture.

THE REAL PRODUCER IS `cinelake dashboard` (Rust, crates/cli). This script only stands
in for it while developing the dashboard and its browser test, and documents the
contract the two share:

  * the template is dashboards/local/dashboard.html; it contains the exact text
    `/*CINELAKE_DATA*/null` once, inside a <script>, and that text is replaced by one
    JSON object:

        {"title": "cinelake", "generated_at": "<UTC, RFC 3339>", "lake": "<lake URL>",
         "views": {"<view>": {"columns": [...], "rows": [[...], ...]}, ...}}

    one entry per sql/views/*.sql (view name = file name without .sql); columns are the
    view's SELECT list in order; nulls are JSON null, booleans true/false, numbers
    numbers;
  * `</` is written as `<\\/` inside the JSON so that no value can close the script tag.

Usage:
    python3 dashboards/test/make-fixture.py CINELAKE_BINARY LAKE OUT.html [--template T]
e.g.
    python3 dashboards/test/make-fixture.py /root/.cache/cinelake/target/debug/cinelake \\
        demo/lake /tmp/dashboard.html

Columns come from `cinelake query --format csv "SELECT * FROM v LIMIT 0"` (the header
survives an empty result) and rows from `--format json` (an array of objects).
Standard library only.
"""

import argparse
import csv
import datetime
import io
import json
import pathlib
import subprocess
import sys

REPO = pathlib.Path(__file__).resolve().parents[2]
PLACEHOLDER = "/*CINELAKE_DATA*/null"


def query(binary, lake, fmt, sql):
    proc = subprocess.run(
        [binary, "query", "--lake", lake, "--format", fmt, sql],
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        sys.exit(f"make-fixture: `{sql}` failed ({proc.returncode}):\n{proc.stderr.strip()}")
    return proc.stdout


def view_data(binary, lake, name):
    header = query(binary, lake, "csv", f"SELECT * FROM {name} LIMIT 0")
    columns = next(csv.reader(io.StringIO(header)), [])
    if not columns:
        sys.exit(f"make-fixture: no columns for view {name}")
    records = json.loads(query(binary, lake, "json", f"SELECT * FROM {name}") or "[]")
    rows = []
    for rec in records:
        missing = [c for c in columns if c not in rec]
        if missing:
            sys.exit(f"make-fixture: view {name}: row without column(s) {missing}")
        rows.append([rec[c] for c in columns])
    return {"columns": columns, "rows": rows}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("binary", help="path to the cinelake binary")
    ap.add_argument("lake", help="lake directory or URL, as for --lake")
    ap.add_argument("out", help="HTML file to write")
    ap.add_argument("--template", default=str(REPO / "dashboards/local/dashboard.html"))
    args = ap.parse_args()

    template = pathlib.Path(args.template).read_text(encoding="utf-8")
    if template.count(PLACEHOLDER) != 1:
        sys.exit(f"make-fixture: {args.template} must contain {PLACEHOLDER} exactly once")

    names = sorted(p.stem for p in (REPO / "sql/views").glob("*.sql"))
    views = {}
    for name in names:
        views[name] = view_data(args.binary, args.lake, name)
        print(f"{name}: {len(views[name]['rows'])} rows", file=sys.stderr)

    data = {
        "title": "cinelake",
        "generated_at": datetime.datetime.now(datetime.timezone.utc)
        .replace(microsecond=0)
        .strftime("%Y-%m-%dT%H:%M:%SZ"),
        "lake": args.lake,
        "views": views,
    }
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    text = text.replace("</", "<\\/")
    pathlib.Path(args.out).write_text(template.replace(PLACEHOLDER, text), encoding="utf-8")
    print(f"wrote {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
