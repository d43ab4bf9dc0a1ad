"""The deploy workflow's check of the Lambda bootstraps (cinelake_tools.check_bootstrap):
an arm64 ELF under the limit passes, anything else fails naming the file. Where the
workflow runs it is checked in test_deploy_workflow.py.

    .venv/bin/python -m pytest cinelake_tools/test_check_bootstrap.py
"""

import subprocess
import tempfile
import unittest
from pathlib import Path

from cinelake_tools.common import ROOT


class TheBootstrapCheck(unittest.TestCase):
    """check_bootstrap, run by the deploy workflow before sam deploy, on made files."""

    @staticmethod
    def elf(path, machine, size=4096, elf_class=2):
        # The first 20 bytes of an ELF header: magic, class, data (little endian),
        # version, padding, type, machine. The rest is sparse.
        head = b"\x7fELF" + bytes([elf_class, 1, 1]) + bytes(9) + (2).to_bytes(2, "little")
        head += machine.to_bytes(2, "little")
        with open(path, "wb") as f:
            f.write(head)
            f.truncate(size)
        return path

    def check(self, *paths, max_mib=None):
        # As the workflow runs it: the runner's python3, from the repository's root.
        args = ["python3", "-m", "cinelake_tools.check_bootstrap", *map(str, paths)]
        if max_mib is not None:
            args += ["--max-mib", str(max_mib)]
        proc = subprocess.run(args, capture_output=True, text=True, cwd=ROOT)
        return proc.returncode, proc.stdout + proc.stderr

    def test_an_arm64_binary_under_the_limit_passes(self):
        with tempfile.TemporaryDirectory() as tmp:
            ok = self.elf(Path(tmp) / "bootstrap", 183, size=150 * 2**20)
            code, log = self.check(ok)
        self.assertEqual(code, 0, log)
        self.assertIn("aarch64 ELF, 150.0 MiB", log)

    def test_a_wrong_or_oversized_binary_fails_naming_it(self):
        with tempfile.TemporaryDirectory() as tmp:
            tmp = Path(tmp)
            cases = [
                (self.elf(tmp / "x86", 62), "is built for x86-64, not aarch64"),
                (self.elf(tmp / "big", 183, size=201 * 2**20), "is 201.0 MiB, over the 200 MiB allowed"),
                (self.elf(tmp / "elf32", 183, elf_class=1), "is not a 64-bit little-endian ELF"),
                (tmp / "script", "is not an ELF executable"),
                (tmp / "missing", "cannot be read"),
            ]
            (tmp / "script").write_text("#!/bin/sh\n")
            ok = self.elf(tmp / "ok", 183)
            for path, why in cases:
                with self.subTest(path=path.name):
                    code, log = self.check(ok, path)
                    self.assertEqual(code, 1, log)
                    self.assertIn(f"{path}: {why}", log)
                    self.assertIn(f"{ok}: aarch64 ELF", log, "the passing file is still reported")

    def test_the_limit_can_be_set(self):
        with tempfile.TemporaryDirectory() as tmp:
            path = self.elf(Path(tmp) / "bootstrap", 183, size=20 * 2**20)
            self.assertEqual(self.check(path, max_mib=10)[0], 1)
            self.assertEqual(self.check(path, max_mib=30)[0], 0)
