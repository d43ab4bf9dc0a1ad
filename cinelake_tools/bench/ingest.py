"""Ingestion throughput benchmark: N films against the TMDB simulator capped at a rate,
with latency and a share of 5xx: a first fill on the 1st of a month, then the next
month's refresh of every film it fetched (one request each).

    scripts/bench-ingest                    # 5,000 ids, cap 40 req/s, 50 ms, 5% 5xx
    scripts/bench-ingest --ids 1000

Useful requests are those that settled something (a 200 or a 404), i.e. all requests
minus retried failures. The figure to beat is 90% of the cap, in both runs.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from cinelake_tools.bench.harness import release_cinelake, tmdb_sim


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ids", type=int, default=5000)
    ap.add_argument("--cap", type=float, default=40.0)
    ap.add_argument("--latency-ms", type=int, default=50)
    ap.add_argument("--error-share", type=float, default=0.05)
    ap.add_argument("--cinelake", default=None)
    args = ap.parse_args()
    cinelake = release_cinelake(args.cinelake)
    work = Path(tempfile.mkdtemp(prefix="cinelake-bench-ingest-"))
    # Enough rows that well over N films are 21st-century dramas.
    subprocess.run(
        [cinelake, "sample", "--out", str(work / "data"), "--movies-rows", str(args.ids * 25), "--series-rows", "10"],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    keep_films_of_interest(work / "data" / "movies.csv", args.ids)
    env = dict(os.environ, RUST_LOG="warn", TMDB_API_KEY="bench")
    subprocess.run(
        [cinelake, "upload", "--only", "movies", "--source-dir", str(work / "data"), "--lake", str(work / "lake")],
        check=True,
        env=env,
        stdout=subprocess.DEVNULL,
    )
    runs = []
    with tmdb_sim(
        cinelake,
        env,
        "--rate-limit",
        str(args.cap),
        "--latency-ms",
        str(args.latency_ms),
        "--error-share",
        str(args.error_share),
    ) as url:
        # The fill, then the next month's run: nothing new, every fetched film refreshed.
        for date in ["2026-01-01", "2026-02-01"]:
            out = subprocess.run(
                [
                    cinelake,
                    "ingest",
                    "--lake",
                    str(work / "lake"),
                    "--tmdb-url",
                    url,
                    "--rps",
                    str(args.cap),
                    "--date",
                    date,
                    "--json",
                ],
                check=True,
                env=env,
                capture_output=True,
            )
            runs.append((date, json.loads(out.stdout)))
    print(
        f"\n{args.ids:,} films of interest; simulator capped at {args.cap:g} req/s, "
        f"{args.latency_ms} ms latency, {args.error_share:.0%} 5xx\n"
    )
    print(
        "| run | new | refreshed | fetched | not found | failed | requests | retries | time "
        "| useful req/s | share of cap |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    failures = []
    for (date, s), name in zip(runs, ["fill", "refresh"]):
        seconds = s["duration_ms"] / 1000
        useful = s["requests"] - s["retries"] - s["failed"]
        rate = useful / seconds
        print(
            f"| {name} ({date}) | {s['new']:,} | {s['refreshed']:,} | {s['fetched']:,} | "
            f"{s['not_found']:,} | {s['failed']} | {s['requests']:,} | {s['retries']:,} | {seconds:.1f} s "
            f"| {rate:.1f} | {rate / args.cap:.0%} |"
        )
        if rate < 0.9 * args.cap:
            failures.append(f"{name}: below 90% of the cap ({rate:.1f} < {0.9 * args.cap:.1f})")
    fill, refresh = runs[0][1], runs[1][1]
    if fill["new"] != args.ids:
        failures.append(f"the fill looked up {fill['new']} films, not {args.ids}")
    if refresh["refreshed"] + refresh["failed"] != fill["fetched"] or refresh["new"] != 0:
        failures.append("the refresh did not take every fetched film again, and only those")
    if failures:
        sys.exit("; ".join(failures))


def keep_films_of_interest(movies_csv, n):
    """Keeps, of the sample's movies.csv, the lines of its first `n` films of interest
    (Drama from 2000, the default rule) and nothing else, so the fill selects exactly
    `n` films and the refresh takes again all it fetched."""
    lines = movies_csv.read_text(encoding="utf-8").splitlines(keepends=True)
    keep, out = set(), [lines[0]]
    for line in lines[1:]:
        f = line.rstrip("\r\n").split("|")
        if len(f) < 6:
            continue
        year_ok = f[3].isdigit() and int(f[3]) >= 2000
        drama = any(g.strip().lower() == "drama" for g in f[5].split(","))
        if f[0] in keep or (year_ok and drama and len(keep) < n):
            keep.add(f[0])
            out.append(line)
    if len(keep) < n:
        sys.exit(f"the sample held {len(keep)} films of interest, fewer than {n}")
    movies_csv.write_text("".join(out), encoding="utf-8")


if __name__ == "__main__":
    main()
