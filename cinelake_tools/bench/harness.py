"""What the benchmarks share: the real files' sizes, the release binary, timing a child
process, the TMDB simulator, and the Raw zone of the lakes they measure.

Standard library only: bench-ingest and bench-months run on the machine's python3.
"""

import contextlib
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from cinelake_tools.common import cargo_target, free_port, wait_http

# The real files' row counts, and the films the real TMDB collection holds.
MOVIES_ROWS = 1_045_161
SERIES_ROWS = 468_783
TMDB_FILMS = 26_513


def release_cinelake(given=None):
    """The cinelake binary to measure: `given` (--cinelake), else the release build."""
    return given or str(cargo_target() / "release" / "cinelake")


def run_child(cmd, env):
    """Runs a command to completion: (seconds, max RSS in MB, stdout)."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    out, err = proc.stdout.read().decode(), proc.stderr.read().decode()
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"{' '.join(cmd[:2])} failed:\n{out}\n{err}")
    return elapsed, usage.ru_maxrss / 1024, out


@contextlib.contextmanager
def tmdb_sim(cinelake, env, *flags):
    """`cinelake tmdb-sim` on a free port, key `bench`; yields its base URL."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    sim = subprocess.Popen(
        [cinelake, "tmdb-sim", "--listen", f"127.0.0.1:{port}", "--key", "bench", *flags],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        if not wait_http(f"{url}/", 10):
            sys.exit(f"cinelake tmdb-sim did not answer at {url} within 10 s")
        yield url
    finally:
        sim.terminate()
        sim.wait()


def raw_lake(cinelake, root: Path, movies_rows, series_rows, env) -> tuple:
    """A lake's Raw zone at root/lake: `cinelake sample` of the given sizes, uploaded
    (the sample removed after), then TMDB details fetched from the simulator for at most
    TMDB_FILMS films (the real collection's size). Returns (lake, the sample's CSV
    bytes)."""
    lake, data = root / "lake", root / "data"
    subprocess.run(
        [cinelake, "sample", "--out", str(data), "--movies-rows", str(movies_rows), "--series-rows", str(series_rows)],
        check=True,
        stdout=subprocess.DEVNULL,
        env=env,
    )
    subprocess.run(
        [cinelake, "upload", "--source-dir", str(data), "--lake", str(lake)],
        check=True,
        stdout=subprocess.DEVNULL,
        env=env,
    )
    csv_bytes = sum(f.stat().st_size for f in data.glob("*.csv"))
    shutil.rmtree(data)
    with tmdb_sim(cinelake, env) as url:
        subprocess.run(
            [
                cinelake,
                "ingest",
                "--lake",
                str(lake),
                "--tmdb-url",
                url,
                "--rps",
                "0",
                "--concurrency",
                "64",
                "--max-ids",
                str(TMDB_FILMS),
            ],
            check=True,
            stdout=subprocess.DEVNULL,
            env=env,
        )
    return lake, csv_bytes
