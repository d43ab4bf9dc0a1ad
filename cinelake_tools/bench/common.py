"""What the benchmark scripts share: timing a child process, and the TMDB simulator."""
import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request


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


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def tmdb_sim(cinelake, env, *flags):
    """`cinelake tmdb-sim` on a free port, key `bench`; yields its base URL."""
    port = free_port()
    sim = subprocess.Popen([cinelake, "tmdb-sim", "--listen", f"127.0.0.1:{port}", "--key", "bench", *flags],
                           env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1)
            except urllib.error.HTTPError:
                break  # any HTTP answer: it is up
            except OSError:
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        sim.terminate()
        sim.wait()
