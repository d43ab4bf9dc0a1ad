"""python_env check fails on an environment that is not its lock, naming the package.

    python3 -m unittest cinelake_tools.test_python_env     # the machine's Python, no venv

scripts/test runs it so, before it makes any environment: the standard library only.
"""

import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

from cinelake_tools import python_env
from cinelake_tools.common import ROOT

LOCK = """\
# a lock as scripts/lock-python writes it
alpha==1.0 \\
    --hash=sha256:00
beta-pkg==2.0 \\
    --hash=sha256:11
    # via alpha
"""


def add_distribution(venv, name, version):
    """Installs a distribution's metadata as pip does: a dist-info folder."""
    site = next((Path(venv) / "lib").glob("python3*/site-packages"))
    info = site / f"{name.replace('-', '_')}-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")


class Differences(unittest.TestCase):
    def test_names_extra_different_and_missing_packages(self):
        locked = {"alpha": "1.0", "beta-pkg": "2.0"}
        present = {"alpha": "1.1", "gamma": "3.0", "pip": "23.2.1"}
        self.assertEqual(
            python_env.differences(locked, present),
            [
                "alpha is 1.1, the lock says 1.0",
                "beta-pkg==2.0 is in the lock but not installed",
                "gamma==3.0 is installed but not in the lock",
            ],
        )

    def test_an_environment_equal_to_its_lock_has_none(self):
        locked = {"alpha": "1.0"}
        self.assertEqual(python_env.differences(locked, {"alpha": "1.0", "pip": "1"}), [])

    def test_a_lock_line_that_is_not_an_exact_pin_is_refused(self):
        with tempfile.TemporaryDirectory() as tmp:
            lock = Path(tmp) / "lock.txt"
            lock.write_text("alpha>=1.0\n")
            with self.assertRaises(SystemExit) as refused:
                python_env.read_lock(lock)
            self.assertIn("lock.txt:1: not an exact pin", str(refused.exception))

    def test_names_are_compared_as_pypi_compares_them(self):
        with tempfile.TemporaryDirectory() as tmp:
            lock = Path(tmp) / "lock.txt"
            lock.write_text(LOCK + "Moto[server]==5.2.5 \\\n    --hash=sha256:22\n")
            self.assertEqual(python_env.read_lock(lock), {"alpha": "1.0", "beta-pkg": "2.0", "moto": "5.2.5"})


class CheckOnARealEnvironment(unittest.TestCase):
    """A real virtual environment, its packages installed as pip leaves them."""

    def run_check(self, venv, lock):
        return subprocess.run(
            [sys.executable, "-m", "cinelake_tools.python_env", "check", str(venv), str(lock)],
            capture_output=True,
            text=True,
            cwd=ROOT,
        )

    def test_an_extra_and_a_different_version_fail_with_their_names(self):
        with tempfile.TemporaryDirectory() as tmp:
            venv, lock = Path(tmp) / "venv", Path(tmp) / "lock.txt"
            subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
            lock.write_text(LOCK)
            add_distribution(venv, "alpha", "1.0")
            add_distribution(venv, "beta-pkg", "2.1")
            add_distribution(venv, "intruder", "0.1")
            checked = self.run_check(venv, lock)
            self.assertEqual(checked.returncode, 1, checked.stderr)
            self.assertIn("beta-pkg is 2.1, the lock says 2.0", checked.stderr)
            self.assertIn("intruder==0.1 is installed but not in the lock", checked.stderr)
            self.assertNotIn("alpha", checked.stderr)


if __name__ == "__main__":
    unittest.main()
