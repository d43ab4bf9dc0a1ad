"""Upload benchmark: cinelake against boto3's upload_file (the seed's way), same file,
same local SeaweedFS server, same run.

    scripts/bench-upload            # full-scale movies.csv (1,045,161 rows)
    scripts/bench-upload --rounds 5

Prints a table of wall time, throughput and peak memory (max RSS) per tool; the
median of the rounds is reported. Not a test: docs/benchmarks.md says how to rerun it.
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import boto3

from cinelake_tools import servers
from cinelake_tools.bench.harness import release_cinelake, run_child

KEY, SECRET = "bench", "bench-secret"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--rows", type=int, default=1_045_161)
    ap.add_argument("--cinelake", default=None, help="path of a release cinelake binary")
    args = ap.parse_args()

    cinelake = release_cinelake(args.cinelake)
    work = Path(tempfile.mkdtemp(prefix="cinelake-bench-"))
    data = work / "data"
    subprocess.run(
        [cinelake, "sample", "--out", str(data), "--movies-rows", str(args.rows), "--series-rows", "10"],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    movies = data / "movies.csv"
    size_mb = movies.stat().st_size / 1e6

    state = work / "servers"
    import contextlib
    import io

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        servers.start(state)
    endpoint = next(w.split("=", 1)[1] for w in buf.getvalue().split() if w.startswith("CINELAKE_TEST_SEAWEEDFS="))
    try:
        s3 = boto3.client(
            "s3", endpoint_url=endpoint, aws_access_key_id=KEY, aws_secret_access_key=SECRET, region_name="us-east-1"
        )
        env = dict(
            os.environ,
            AWS_ENDPOINT_URL=endpoint,
            AWS_ACCESS_KEY_ID=KEY,
            AWS_SECRET_ACCESS_KEY=SECRET,
            AWS_REGION="us-east-1",
            AWS_EC2_METADATA_DISABLED="true",
            RUST_LOG="warn",
        )
        results = {"cinelake upload": [], "boto3 upload_file": []}
        for r in range(args.rounds):
            bucket = f"cl-{r}-{int(time.time())}"
            s3.create_bucket(Bucket=bucket)
            t, rss, _ = run_child(
                [cinelake, "upload", "--only", "movies", "--lake", f"s3://{bucket}", "--source-dir", str(data)], env
            )
            results["cinelake upload"].append((t, rss))
            bucket = f"bt-{r}-{int(time.time())}"
            s3.create_bucket(Bucket=bucket)
            code = (
                "import boto3,sys\n"
                "s3=boto3.client('s3',endpoint_url=sys.argv[1],aws_access_key_id=sys.argv[2],"
                "aws_secret_access_key=sys.argv[3],region_name='us-east-1')\n"
                "s3.upload_file(sys.argv[4],sys.argv[5],'Raw/Local/CSV/Movies/movies.csv')\n"
            )
            t, rss, _ = run_child([sys.executable, "-c", code, endpoint, KEY, SECRET, str(movies), bucket], env)
            results["boto3 upload_file"].append((t, rss))
        print(
            f"\nmovies.csv: {args.rows:,} rows, {size_mb:.1f} MB; SeaweedFS on 127.0.0.1; "
            f"median of {args.rounds} rounds\n"
        )
        print("| tool | wall time | throughput | peak memory (max RSS) |")
        print("|---|---|---|---|")
        for name, runs in results.items():
            t = statistics.median(x[0] for x in runs)
            rss = max(x[1] for x in runs)
            print(f"| {name} | {t:.2f} s | {size_mb / t:.0f} MB/s | {rss:.0f} MB |")
    finally:
        servers.stop(state)


if __name__ == "__main__":
    main()
