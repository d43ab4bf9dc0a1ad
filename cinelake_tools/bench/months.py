"""Whether Refined's time and memory grow with the months of TMDB history.

    scripts/bench-months                      # 1, 12 and 36 monthly collections, 3 runs each
    scripts/bench-months --months 1,36 --runs 5 --movies-rows 200000

A lake is made once: `cinelake sample` (the real files' row counts unless told),
uploaded, and TMDB details fetched from the simulator for at most 26,513 films (the
real collection's size). Then the same Raw TMDB files are copied to the first day of
each earlier month, as if the same records had been collected month after month, and
`cinelake trusted` converts each new collection once. For each count of months, in
turn, `cinelake refined` runs several times; its wall time and peak RSS (max RSS of the
process) are reported, medians, with the ratio to the first count. The snapshot table
holds one row per film per month, so its rows, and the time to write them, grow with
the months; the rest of the work does not.

Writes a Markdown table (stdout) and, with --json, the raw figures.
"""

import argparse
import datetime
import json
import os
import shutil
import statistics
import subprocess
import tempfile
from pathlib import Path

from cinelake_tools.bench.harness import MOVIES_ROWS, SERIES_ROWS, raw_lake, run_child


def make_lake(cinelake, root, movies, series, env):
    lake, _ = raw_lake(cinelake, root, movies, series, env)
    return lake


def collection_dirs(lake):
    """The Raw TMDB day folders (YYYY/MM/DD), oldest first."""
    base = lake / "Raw" / "TMDB" / "JSON"
    return sorted(p for p in base.glob("*/*/*") if p.is_dir())


def add_months(lake, months):
    """Copies the newest collection's files to the first day of earlier months until
    the lake holds `months` collections."""
    dirs = collection_dirs(lake)
    newest = dirs[-1]
    y, m, _ = (int(p) for p in newest.relative_to(newest.parents[2]).parts)
    day = datetime.date(y, m, 1)
    base = lake / "Raw" / "TMDB" / "JSON"
    while len(collection_dirs(lake)) < months:
        day = (day - datetime.timedelta(days=1)).replace(day=1)
        target = base / f"{day:%Y}" / f"{day:%m}" / f"{day:%d}"
        if not target.exists():
            shutil.copytree(newest, target)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cinelake", required=True, help="the cinelake binary (release)")
    ap.add_argument("--months", default="1,12,36", help="counts of monthly collections")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--movies-rows", type=int, default=MOVIES_ROWS)
    ap.add_argument("--series-rows", type=int, default=SERIES_ROWS)
    ap.add_argument("--work", type=Path, help="where the lake goes (default: a temporary dir)")
    ap.add_argument("--json", type=Path, help="write the figures here too")
    args = ap.parse_args()
    counts = sorted(int(m) for m in args.months.split(","))
    env = dict(os.environ, RUST_LOG="warn", TMDB_API_KEY="bench")
    work = args.work or Path(tempfile.mkdtemp(prefix="cinelake-months-"))
    work.mkdir(parents=True, exist_ok=True)
    results = []
    try:
        print(f"making a lake of {args.movies_rows:,} + {args.series_rows:,} rows", flush=True)
        lake = make_lake(args.cinelake, work, args.movies_rows, args.series_rows, env)
        for months in counts:
            add_months(lake, months)
            subprocess.run(
                [args.cinelake, "trusted", "--lake", str(lake)], check=True, stdout=subprocess.DEVNULL, env=env
            )
            runs = [run_child([args.cinelake, "refined", "--lake", str(lake), "--json"], env) for _ in range(args.runs)]
            report = json.loads(runs[-1][2])
            snapshot = next(t["rows"] for t in report["tables"] if t["table"].endswith(".fact_film_snapshot"))
            films = next(t["rows"] for t in report["tables"] if t["table"].endswith(".fact_film"))
            results.append(
                {
                    "months": months,
                    "films": films,
                    "snapshot_rows": snapshot,
                    "runs": [(wall, rss) for wall, rss, _ in runs],
                }
            )
            print(f"  {months} months: " + ", ".join(f"{w:.2f} s {r:.0f} MiB" for w, r, _ in runs), flush=True)
    finally:
        if not args.work:
            shutil.rmtree(work, ignore_errors=True)
    first = results[0]
    med = lambda r, i: statistics.median(x[i] for x in r["runs"])  # noqa: E731
    print(f"\n| months | films | snapshot rows | refined time | peak RSS | RSS vs {first['months']} month(s) |")
    print("|---|---|---|---|---|---|")
    for r in results:
        print(
            f"| {r['months']} | {r['films']:,} | {r['snapshot_rows']:,} | {med(r, 0):.2f} s | "
            f"{med(r, 1):.0f} MiB | {med(r, 1) / med(first, 1):.2f}× |"
        )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
