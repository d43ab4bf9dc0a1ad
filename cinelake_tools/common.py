"""What several tools share: where the repository and the Cargo builds are, how a path is
shown, what Rust takes as whitespace, and child processes (run to their end, a free
port, waiting for a server to answer).

Standard library only: the tools that run on the machine's python3 (python_env's test,
the benchmarks without an environment) import it too.
"""

import os
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# What Rust's str::trim_* take as whitespace (char::is_whitespace, Unicode's White_Space);
# Python's bare str.strip() would also take U+001C..U+001F.
RUST_WHITESPACE = (
    "\t\n\x0b\x0c\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005"
    "\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)


def shown(path):
    """A path as messages print it: relative to the checkout when inside it, else as
    given."""
    p = Path(path).resolve()
    return p.relative_to(ROOT).as_posix() if p.is_relative_to(ROOT) else str(path)


def cargo_target():
    """The Cargo target directory the scripts build into (CARGO_TARGET_DIR, else
    ~/.cache/cinelake/target, as scripts/test and scripts/demo set it)."""
    return Path(os.environ.get("CARGO_TARGET_DIR", Path.home() / ".cache/cinelake/target"))


def run(args, what=None, env=None, cwd=None, check=True):
    """Runs a command to its end, its output captured as text (each argument made a
    string). With `check`, a failure stops the program (SystemExit) naming `what`, else
    the command, with its exit code and output."""
    done = subprocess.run([str(a) for a in args], env=env, cwd=cwd, capture_output=True, text=True)
    if check and done.returncode != 0:
        raise SystemExit(
            f"{what or ' '.join(str(a) for a in args)} failed ({done.returncode}):\n{done.stdout}{done.stderr}"
        )
    return done


def free_port():
    """A TCP port of 127.0.0.1 that nothing listens on (now)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url, seconds):
    """Whether a server answers `url` within `seconds`: any HTTP answer, an error status
    too, means it is up."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return True
        except urllib.error.HTTPError:
            return True
        except OSError:
            time.sleep(0.1)
    return False
