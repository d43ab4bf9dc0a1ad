"""`sam build` builds both Lambdas the standard way: SAM's cargo lambda build method
(`BuildMethod: rust-cargolambda`) runs one `cargo lambda build --release --arm64` per
function, in its crate, for that function's binary; the built template points each
function at the right `bootstrap`; and `sam deploy` ships that built template.

The real `sam build` (aws-sam-cli from .venv-sam, offline with dummy credentials) runs on
a temporary copy of the workspace's manifests and sources and of infra/. Only the
compiler is stood in for: a `cargo` shim, first on PATH, passes every cargo command to
the real cargo (SAM asks `cargo metadata` for the workspace's target directory and the
package's binaries) except `cargo lambda build`, whose arguments it records and for
which it writes a small marker `bootstrap` where cargo lambda would write each binary
(`<target dir>/lambda/<bin>/bootstrap`, for each `--bin`, or without one for every
binary of the package, as cargo lambda does). Why: a real arm64 build of the two Lambdas
compiles the whole workspace with Polars for aarch64, tens of minutes even in the dev
profile on 2 cores, far too long for the test command; it ran here once and runs in the
deploy workflow (docs/aws.md, How the code is packaged). So this checks SAM's
wiring (the build method, the binary names, the crate folders, the architecture, where
SAM copies from, what the built template says, which template sam deploy takes), not
the compiler. `sam deploy` runs until its first request, to an address where nothing
listens.

    .venv/bin/python -m pytest cinelake_tools/test_sam_build.py
"""

import json
import os
import re
import shutil
import subprocess
import tempfile
import tomllib
import unittest
from pathlib import Path

import yaml

from cinelake_tools.common import ROOT

SAM_VENV = ROOT / os.environ.get("CINELAKE_SAM_VENV", ".venv-sam")
SAM = SAM_VENV / "bin/sam"

FUNCTIONS = {
    # function: (crate folder, binary)
    "IngestFunction": ("crates/ingest", "cinelake-ingest-lambda"),
    "JobsFunction": ("crates/jobs", "cinelake-jobs-lambda"),
}

# The stand-in for `cargo`: everything but `cargo lambda build` goes to the real cargo.
SHIM = r"""#!{python}
import json, os, subprocess, sys

args = sys.argv[1:]
real = os.environ["CINELAKE_REAL_CARGO"]
if args[:2] != ["lambda", "build"]:
    os.execv(real, [real] + args)

# What cargo lambda asks cargo: the workspace's target directory (unless CARGO_TARGET_DIR
# names one) and, without --bin, every binary of the package in this folder.
meta = json.loads(subprocess.run(
    [real, "metadata", "--no-deps", "--format-version", "1"],
    capture_output=True, check=True, text=True).stdout)
target = os.path.join(os.getcwd(), os.environ.get("CARGO_TARGET_DIR") or meta["target_directory"])
bins = [args[i + 1] for i, a in enumerate(args) if a == "--bin"]
if not bins:
    here = os.path.realpath("Cargo.toml")
    bins = [t["name"] for p in meta["packages"] if os.path.realpath(p["manifest_path"]) == here
            for t in p["targets"] if "bin" in t["kind"]]
with open(os.environ["CINELAKE_SHIM_LOG"], "a") as log:
    log.write(json.dumps({{"args": args[2:], "cwd": os.getcwd(), "target": target}}) + "\n")
for name in bins:
    out = os.path.join(target, "lambda", name)
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "bootstrap"), "w") as f:
        f.write("shim bootstrap of " + name + "\n")
"""

# SAM finds cargo-lambda on PATH before it builds; the shim's `cargo lambda` is what runs.
CARGO_LAMBDA_STUB = """#!/bin/sh
echo "cargo-lambda stand-in: SAM runs 'cargo lambda', which the cargo shim answers" >&2
exit 1
"""


def marker(binary):
    return f"shim bootstrap of {binary}\n"


class SamBuild(unittest.TestCase):
    def setUp(self):
        self.assertTrue(SAM.exists(), f"{SAM} is missing (scripts/test installs it)")
        self.tmp = Path(tempfile.mkdtemp(prefix="cinelake-sam-build-"))
        self.addCleanup(shutil.rmtree, self.tmp)
        self.work = self.tmp / "repo"
        self.work.mkdir()
        for name in ("Cargo.toml", "Cargo.lock"):
            shutil.copy(ROOT / name, self.work / name)
        ignore = shutil.ignore_patterns("target", "__pycache__", "node_modules", ".aws-sam")
        shutil.copytree(ROOT / "crates", self.work / "crates", ignore=ignore)
        (self.work / "infra").mkdir()
        for name in ("template.yaml", "quicksight.yaml", "samconfig.toml"):
            shutil.copy(ROOT / "infra" / name, self.work / "infra" / name)
        # The shim.
        real_cargo = shutil.which("cargo")
        self.assertIsNotNone(real_cargo, "cargo is not on PATH")
        self.bin = self.tmp / "bin"
        self.bin.mkdir()
        shim = self.bin / "cargo"
        shim.write_text(SHIM.format(python=SAM_VENV / "bin/python"))
        stub = self.bin / "cargo-lambda"
        stub.write_text(CARGO_LAMBDA_STUB)
        for f in (shim, stub):
            f.chmod(0o755)
        self.log = self.tmp / "cargo-lambda-calls.jsonl"
        self.env = {
            k: v
            for k, v in os.environ.items()
            # Not the caller's target directory (scripts/test sets one): the workspace's own,
            # as in the deploy workflow, here inside the temporary copy.
            if k not in ("CARGO_TARGET_DIR", "SAM_BUILD_MODE") and not k.startswith("AWS_")
        }
        self.env.update(
            PATH=f"{self.bin}{os.pathsep}{os.environ.get('PATH', '')}",
            CINELAKE_REAL_CARGO=real_cargo,
            CINELAKE_SHIM_LOG=str(self.log),
            CARGO_NET_OFFLINE="true",
            AWS_ACCESS_KEY_ID="build",
            AWS_SECRET_ACCESS_KEY="build",
            AWS_DEFAULT_REGION="us-east-1",
            AWS_CONFIG_FILE=os.devnull,
            AWS_SHARED_CREDENTIALS_FILE=os.devnull,
            SAM_CLI_TELEMETRY="0",
            PYTHONDONTWRITEBYTECODE="1",
        )

    def edit_template(self, old, new):
        path = self.work / "infra/template.yaml"
        text = path.read_text()
        self.assertIn(old, text, f"template.yaml no longer contains {old!r}; update the test")
        path.write_text(text.replace(old, new, 1))

    def sam_build(self):
        out = subprocess.run(
            [str(SAM), "build", "--region", "us-east-1"],
            cwd=self.work / "infra",
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        calls = []
        if self.log.exists():
            calls = [json.loads(line) for line in self.log.read_text().splitlines()]
        return out, calls

    def findings(self):
        """Runs sam build on the copy; what is wrong with the result, or nothing."""
        out, calls = self.sam_build()
        if out.returncode != 0:
            return [f"sam build failed:\n{out.stdout[-2000:]}{out.stderr[-2000:]}"]
        found = []
        # Exactly two builds, each in its crate, release, arm64, for its own binary.
        if len(calls) != len(FUNCTIONS):
            found.append(f"{len(calls)} cargo lambda builds, not {len(FUNCTIONS)}: {calls}")
        built_bins = {}
        for call in calls:
            args = call["args"]
            for flag in ("--release", "--arm64"):
                if flag not in args:
                    found.append(f"cargo lambda build {' '.join(args)}: no {flag}")
            bins = [args[i + 1] for i, a in enumerate(args) if a == "--bin"]
            if len(bins) != 1:
                found.append(f"cargo lambda build {' '.join(args)}: not one --bin")
            for b in bins:
                built_bins.setdefault(b, []).append(Path(call["cwd"]).resolve())
            # Into the workspace's shared target directory (dependencies built once).
            if Path(call["target"]).resolve() != (self.work / "target").resolve():
                found.append(f"built into {call['target']}, not the workspace's target/")
        for crate, binary in FUNCTIONS.values():
            if built_bins.get(binary) != [(self.work / crate).resolve()]:
                found.append(f"{binary} built from {built_bins.get(binary)}, not once in {crate}")
        # Each function's artifact is its own binary, and the built template points at it.
        build = self.work / "infra/.aws-sam/build"
        built = yaml.safe_load((build / "template.yaml").read_text())
        for function, (_, binary) in FUNCTIONS.items():
            props = built["Resources"][function]["Properties"]
            code = (build / props["CodeUri"]).resolve()
            if code != (build / function).resolve():
                found.append(f"{function}: built CodeUri {props['CodeUri']}")
            bootstrap = code / "bootstrap"
            got = bootstrap.read_text() if bootstrap.exists() else None
            if got != marker(binary):
                found.append(f"{function}: bootstrap is {got!r}, not {binary}'s")
            for key, want in (
                ("Handler", "bootstrap"),
                ("Runtime", "provided.al2023"),
                ("Architectures", ["arm64"]),
            ):
                if props.get(key) != want:
                    found.append(f"{function}: {key} {props.get(key)!r}, not {want!r}")
        return found

    def test_sam_build_runs_one_arm64_release_build_per_function_and_sam_deploy_ships_it(self):
        self.assertEqual(self.findings(), [])
        built = (self.work / "infra/.aws-sam/build/template.yaml").resolve()
        self.assertEqual(self.deploy_template(), built)

    # Broken copies: each must give a finding, or the check above proves nothing.

    def test_a_wrong_binary_name_fails(self):
        # SAM builds and copies without complaint: the jobs function would ship the
        # ingest binary.
        self.edit_template("Binary: cinelake-jobs-lambda", "Binary: cinelake-ingest-lambda")
        found = self.findings()
        self.assertTrue(any("JobsFunction: bootstrap" in f for f in found), found)

    def test_no_binary_name_for_the_two_binary_crate_fails(self):
        self.edit_template("      BuildProperties:\n        Binary: cinelake-ingest-lambda\n", "")
        self.assertNotEqual(self.findings(), [])

    def test_without_the_build_method_fails(self):
        self.edit_template(
            "    Metadata:\n      BuildMethod: rust-cargolambda\n"
            "      BuildProperties:\n        Binary: cinelake-ingest-lambda\n",
            "",
        )
        found = self.findings()
        self.assertTrue(found and found[0].startswith("sam build failed"), found)

    def test_an_x86_function_fails(self):
        text = (self.work / "infra/template.yaml").read_text()
        jobs = text.index("  JobsFunction:")
        head, tail = text[:jobs], text[jobs:]
        self.assertIn("      Architectures: [arm64]\n", tail)
        (self.work / "infra/template.yaml").write_text(head + tail.replace("      Architectures: [arm64]\n", "", 1))
        found = self.findings()
        self.assertTrue(any("no --arm64" in f for f in found), found)

    def deploy_template(self):
        """The template `sam deploy` (settings from samconfig.toml) would ship; it stops at
        its first request, to an endpoint where nothing listens."""
        env = dict(self.env, AWS_ENDPOINT_URL="http://127.0.0.1:9", AWS_MAX_ATTEMPTS="1")
        out = subprocess.run(
            [str(SAM), "deploy", "--debug", "--region", "us-east-1", "--no-confirm-changeset"],
            cwd=self.work / "infra",
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        self.assertNotEqual(out.returncode, 0, "sam deploy reached something")
        used = re.findall(r"Using SAM Template at (\S+)", out.stdout + out.stderr)
        self.assertEqual(len(used), 1, out.stdout + out.stderr)
        return Path(used[0]).resolve()

    def test_a_template_file_in_the_deploy_settings_ships_the_source_template(self):
        # A template named in samconfig.toml is used as it is: sam deploy would zip the
        # crate folders of the source template, not the binaries sam build wrote.
        config = self.work / "infra/samconfig.toml"
        text = config.read_text()
        self.assertIn("[default.deploy.parameters]\n", text)
        config.write_text(
            text.replace(
                "[default.deploy.parameters]\n",
                '[default.deploy.parameters]\ntemplate_file = "template.yaml"\n',
            )
        )
        self.assertEqual(self.findings(), [])
        self.assertEqual(self.deploy_template(), (self.work / "infra/template.yaml").resolve())


class SamConfig(unittest.TestCase):
    def test_sam_build_opts_in_to_the_beta_build_method(self):
        config = tomllib.loads((ROOT / "infra/samconfig.toml").read_text())["default"]
        self.assertIs(config["build"]["parameters"].get("beta_features"), True)


if __name__ == "__main__":
    unittest.main()
