"""Makes a Python environment hold exactly what its lock says, and checks that it does.

    python3 -m cinelake_tools.python_env ensure VENV LOCK   # make VENV if needed, install LOCK, check
    python3 -m cinelake_tools.python_env check VENV LOCK    # only check

A lock is requirements/<env>.txt (scripts/lock-python writes it): every package at an
exact version with its hashes. `ensure` installs it with `pip install --require-hashes
--no-deps`, so nothing outside the lock is fetched and every file is the one hashed.
`check` fails, naming each package, when the environment holds a package the lock does
not, a version the lock does not name, or misses a locked package; then it runs
`pip check`. The installer itself (pip) is the one package not compared: it comes with
the Python that made the environment. setuptools also comes with it on Python 3.11, so
`ensure` removes it where the lock does not hold it.

Runs on the machine's python3 with the standard library only, from the repository's root
(scripts/test runs it, and its test, before any environment exists).
"""

import json
import re
import subprocess
import sys
from pathlib import Path

# Packages the environment's Python brings, never compared with the lock.
INSTALLER = {"pip"}
# Brought by `python3 -m venv` on 3.11, removed by `ensure` unless the lock holds it.
BUNDLED = {"setuptools"}

PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==([^\s;\\]+)")


def normalise(name):
    """A package name as PyPI compares names (PEP 503)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def read_lock(path):
    """{name: version} of every pinned line of a lock file."""
    pins = {}
    for number, line in enumerate(Path(path).read_text().splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#") or line.startswith("--"):
            continue
        found = PIN.match(line)
        if not found:
            raise SystemExit(f"{path}:{number}: not an exact pin: {line}")
        pins[normalise(found.group(1))] = found.group(2)
    return pins


def python_of(venv):
    return Path(venv) / "bin" / "python"


def installed(venv):
    """{name: version} of every distribution installed in the environment."""
    script = (
        "import importlib.metadata as m, json\n"
        "print(json.dumps([[d.metadata['Name'], d.version] for d in m.distributions()]))"
    )
    out = subprocess.run([python_of(venv), "-c", script], check=True, capture_output=True, text=True).stdout
    return {normalise(name): version for name, version in json.loads(out)}


def differences(locked, present):
    """Lines naming each package where the environment and the lock disagree."""
    problems = []
    for name in sorted(set(locked) | set(present)):
        if name in INSTALLER:
            continue
        want, have = locked.get(name), present.get(name)
        if want is None:
            problems.append(f"{name}=={have} is installed but not in the lock")
        elif have is None:
            problems.append(f"{name}=={want} is in the lock but not installed")
        elif want != have:
            problems.append(f"{name} is {have}, the lock says {want}")
    return problems


def check(venv, lock):
    problems = differences(read_lock(lock), installed(venv))
    if problems:
        print(f"{venv} differs from {lock}:", file=sys.stderr)
        for line in problems:
            print(f"  {line}", file=sys.stderr)
        print(f"  remove {venv} and rerun to make it anew from the lock", file=sys.stderr)
        return 1
    pip_check = subprocess.run([python_of(venv), "-m", "pip", "check"], capture_output=True, text=True)
    if pip_check.returncode != 0:
        print(f"{venv}: pip check: {pip_check.stdout.strip()} {pip_check.stderr.strip()}", file=sys.stderr)
        return 1
    return 0


def ensure(venv, lock):
    if not python_of(venv).exists():
        subprocess.run([sys.executable, "-m", "venv", venv], check=True)
    pip = [python_of(venv), "-m", "pip", "--disable-pip-version-check"]
    subprocess.run(pip + ["install", "--quiet", "--require-hashes", "--no-deps", "-r", lock], check=True)
    locked = read_lock(lock)
    present = installed(venv)
    extra_bundled = [name for name in BUNDLED if name in present and name not in locked]
    if extra_bundled:
        subprocess.run(pip + ["uninstall", "--quiet", "--yes", *extra_bundled], check=True)
    return check(venv, lock)


def main(argv):
    if len(argv) != 4 or argv[1] not in ("ensure", "check"):
        print(__doc__, file=sys.stderr)
        return 2
    command, venv, lock = argv[1:]
    return ensure(venv, lock) if command == "ensure" else check(venv, lock)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
