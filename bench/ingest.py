#!/usr/bin/env python3
"""Ingestion throughput benchmark: N films against the TMDB simulator capped at a rate,
with latency and a share of 5xx, all in one run.

    scripts/bench-ingest                    # 5,000 ids, cap 40 req/s, 50 ms, 5% 5xx
    scripts/bench-ingest --ids 1000

Useful requests are those that settled something (a 200 or a 404), i.e. all requests
minus retried failures. The figure to beat is 90% of the cap.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import tmdb_sim  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ids", type=int, default=5000)
    ap.add_argument("--cap", type=float, default=40.0)
    ap.add_argument("--latency-ms", type=int, default=50)
    ap.add_argument("--error-share", type=float, default=0.05)
    ap.add_argument("--cinelake", default=None)
    args = ap.parse_args()
    target = Path(os.environ.get("CARGO_TARGET_DIR", Path.home() / ".cache/cinelake/target"))
    cinelake = args.cinelake or str(target / "release" / "cinelake")
    work = Path(tempfile.mkdtemp(prefix="cinelake-bench-ingest-"))
    # Enough rows that well over N films are 21st-century dramas.
    subprocess.run([cinelake, "sample", "--out", str(work / "data"), "--movies-rows",
                    str(args.ids * 25), "--series-rows", "10"], check=True, stdout=subprocess.DEVNULL)
    env = dict(os.environ, RUST_LOG="warn", TMDB_API_KEY="bench")
    subprocess.run([cinelake, "upload", "--only", "movies", "--source-dir", str(work / "data"),
                    "--lake", str(work / "lake")], check=True, env=env, stdout=subprocess.DEVNULL)
    with tmdb_sim(cinelake, env, "--rate-limit", str(args.cap), "--latency-ms", str(args.latency_ms),
                  "--error-share", str(args.error_share)) as url:
        out = subprocess.run([cinelake, "ingest", "--lake", str(work / "lake"), "--tmdb-url", url, "--rps",
                              str(args.cap), "--max-ids", str(args.ids), "--json"], check=True, env=env,
                             capture_output=True)
    s = json.loads(out.stdout)
    seconds = s["duration_ms"] / 1000
    useful = s["requests"] - s["retries"] - s["failed"]
    rate = useful / seconds
    print(f"\n{args.ids:,} ids; simulator capped at {args.cap:g} req/s, {args.latency_ms} ms latency, "
          f"{args.error_share:.0%} 5xx\n")
    print("| fetched | not found | failed | requests | retries | time | useful req/s | share of cap |")
    print("|---|---|---|---|---|---|---|---|")
    print(f"| {s['fetched']:,} | {s['not_found']:,} | {s['failed']} | {s['requests']:,} | {s['retries']:,} "
          f"| {seconds:.1f} s | {rate:.1f} | {rate / args.cap:.0%} |")
    if s["fetched"] + s["not_found"] + s["failed"] != args.ids:
        sys.exit(f"the sample held fewer than {args.ids} films of interest")
    if rate < 0.9 * args.cap:
        sys.exit(f"below 90% of the cap ({rate:.1f} < {0.9 * args.cap:.1f})")


if __name__ == "__main__":
    main()
