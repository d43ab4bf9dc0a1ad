"""Starts the local AWS-protocol servers the tests run against, and stops them.

    .venv/bin/python -m cinelake_tools.servers start STATE_DIR   # prints shell exports of the endpoints
    .venv/bin/python -m cinelake_tools.servers stop STATE_DIR

SeaweedFS (`weed mini`) is a real S3-compatible store; moto server speaks S3, Glue,
Athena and the other AWS APIs. Both bind 127.0.0.1 on free ports.
"""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from cinelake_tools.common import free_port, wait_http

BIN = Path(sys.executable).parent
# SeaweedFS volumes: well above the buckets one test run creates (see start()).
VOLUMES = 1000


def weed_port(avoid):
    """A free port, not in `avoid`, whose +10000 neighbour (SeaweedFS's gRPC port) is
    free too."""
    while True:
        port = free_port()
        if port in avoid or port + 10000 > 65535 or port > 50000:
            continue
        try:
            with socket.socket() as s:
                s.bind(("127.0.0.1", port + 10000))
        except OSError:
            continue
        avoid.add(port)
        return port


def wait_up(url, name, log, seconds=60):
    if not wait_http(url, seconds):
        sys.exit(f"{name} did not answer at {url} within {seconds}s; see {log}")


def start(state):
    state.mkdir(parents=True, exist_ok=True)
    used = set()
    s3, master, volume, filer, admin = (weed_port(used) for _ in range(5))
    moto = weed_port(used)
    weed_log, moto_log = state / "weed.log", state / "moto.log"
    # Each server writes its own log; this process closes its copies once they run.
    with open(weed_log, "w") as weed_out, open(moto_log, "w") as moto_out:
        weed = subprocess.Popen(
            [
                str(BIN / "weed"),
                "mini",
                f"-dir={state / 'weed'}",
                "-ip=127.0.0.1",
                "-ip.bind=127.0.0.1",
                f"-s3.port={s3}",
                f"-master.port={master}",
                f"-volume.port={volume}",
                f"-filer.port={filer}",
                f"-admin.port={admin}",
                "-webdav=false",
                "-admin.ui=false",
                "-s3.port.iceberg=0",
                "-s3.port.lance=0",
                "-master.telemetry=false",
                # Each bucket is a collection with a volume of its own. Left to itself, weed
                # allows free disk / 1 GiB volumes, so on a machine with a small /tmp the
                # suite's buckets run out and uploads fail with InternalError ("no free
                # volumes left"). Volumes are sparse files, so a fixed count costs no disk.
                f"-volume.max={VOLUMES}",
            ],
            stdout=weed_out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        (state / "weed").mkdir(exist_ok=True)
        # The recorder (off until a test starts it) lets tests see every AWS call made.
        motop = subprocess.Popen(
            [str(BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(moto)],
            stdout=moto_out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env=dict(
                os.environ,
                MOTO_ENABLE_RECORDING="True",
                MOTO_RECORDER_FILEPATH=str(state / "moto_recording"),
            ),
        )
    (state / "pids").write_text(f"{weed.pid}\n{motop.pid}\n")
    wait_up(f"http://127.0.0.1:{s3}/", "SeaweedFS S3", weed_log)
    wait_up(f"http://127.0.0.1:{moto}/moto-api/", "moto server", moto_log)
    # MOTO_ENABLE_RECORDING turns the recorder on from the start; off until a test (or
    # cinelake_tools.iam_check) starts it, or it would hold every request of every test.
    urllib.request.urlopen(
        urllib.request.Request(f"http://127.0.0.1:{moto}/moto-api/recorder/stop-recording", method="POST"),
        timeout=10,
    )
    print(f"export CINELAKE_TEST_SEAWEEDFS=http://127.0.0.1:{s3}")
    print(f"export CINELAKE_TEST_MOTO=http://127.0.0.1:{moto}")


def _alive(pgid):
    try:
        os.killpg(pgid, 0)
        return True
    except (ProcessLookupError, PermissionError):
        return False


def stop(state):
    """Stops the servers and waits until they are gone: one still shutting down keeps
    writing under its data directory, and removing that directory would then race it."""
    pids = state / "pids"
    if not pids.exists():
        return
    groups = [int(pid) for pid in pids.read_text().split()]
    for pgid in groups:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pgid, signal.SIGTERM)
    deadline = time.monotonic() + 10
    while any(_alive(g) for g in groups) and time.monotonic() < deadline:
        time.sleep(0.1)
    for pgid in groups:
        if _alive(pgid):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pgid, signal.SIGKILL)
    while any(_alive(g) for g in groups) and time.monotonic() < deadline + 5:
        time.sleep(0.1)
    pids.unlink()


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in ("start", "stop"):
        sys.exit(__doc__)
    (start if sys.argv[1] == "start" else stop)(Path(sys.argv[2]))
