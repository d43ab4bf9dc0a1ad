"""What the deploy workflow must never do, read from .github/workflows/deploy.yml.

A deploy that passes a parameter's default when its repository variable is unset undoes
an earlier choice (it deletes the QuickSight stack, or replaces the Glue databases); a
deploy of a commit whose tests did not pass ships what CI refused; an action pinned by
tag can change under the same name. The Lambdas are built by `sam build` (SAM's cargo
lambda build method, a beta feature) in infra/, before `sam deploy` ships what it built.

    .venv/bin/python -m unittest discover -s infra/lint
"""
import re
import unittest
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / ".github/workflows/deploy.yml"
CI = ROOT / ".github/workflows/ci.yml"

# Stack parameters whose default would undo a choice made at an earlier deploy.
CHOICES = [
    "DeployQuickSight",
    "DatabasePrefix",
    "TmdbApiKeyParameterName",
    "QuickSightPrincipalArn",
    "AlertEmail",
]


def load(path):
    # PyYAML reads the key `on` as True (YAML 1.1); give it its name back.
    doc = yaml.safe_load(path.read_text())
    if True in doc:
        doc["on"] = doc.pop(True)
    return doc


def steps(doc):
    for job in doc["jobs"].values():
        yield from job.get("steps", [])


class DeployWorkflow(unittest.TestCase):
    def setUp(self):
        self.doc = load(DEPLOY)
        self.text = DEPLOY.read_text()
        self.deploy_script = next(
            s["run"] for s in steps(self.doc) if "sam deploy" in s.get("run", "")
        )

    def test_a_parameter_is_passed_only_when_its_variable_is_set(self):
        script = self.deploy_script
        for name in CHOICES:
            self.assertIn(f"{name}=", script, f"{name} is never passed")
            # Every line that adds the override sits under an `if [ -n ... ]` test.
            for line_no, line in enumerate(script.splitlines()):
                if f"{name}=" in line:
                    before = script.splitlines()[:line_no]
                    opened = [l for l in before if re.match(r"\s*if \[ -n ", l)]
                    closed = [l for l in before if l.strip() == "fi"]
                    self.assertGreater(
                        len(opened), len(closed), f"{name} is passed whether or not it is set"
                    )
        # ...and the variables carry no defaults that would be passed instead.
        for step in steps(self.doc):
            for key, value in (step.get("env") or {}).items():
                self.assertNotIn("||", str(value), f"{key} has a default: {value}")

    def test_only_a_commit_whose_tests_passed_is_deployed(self):
        on = self.doc["on"]
        self.assertNotIn("push", on, "a push deploys without waiting for the tests")
        run = on.get("workflow_run", {})
        self.assertEqual(run.get("workflows"), [load(CI)["name"]])
        self.assertEqual(run.get("types"), ["completed"])
        job = next(iter(self.doc["jobs"].values()))
        self.assertIn("github.event.workflow_run.conclusion == 'success'", job.get("if", ""))
        # The commit deployed is the one the tests ran on.
        checkout = next(s for s in steps(self.doc) if s.get("uses", "").startswith("actions/checkout"))
        self.assertIn("workflow_run.head_sha", str(checkout.get("with", {}).get("ref")))
        # A manual deploy checks the same before it builds anything.
        if "workflow_dispatch" in on:
            gate = [s for s in steps(self.doc) if "gh run list" in s.get("run", "")]
            self.assertTrue(gate, "a manual deploy does not check that the tests passed")

    def test_the_tests_run_on_release_tags(self):
        pushes = load(CI)["on"]["push"]
        self.assertIn("v*", pushes.get("tags", []))

    def test_sam_build_builds_the_lambdas_before_the_deploy(self):
        all_steps = list(steps(self.doc))
        runs = [s.get("run", "") for s in all_steps]
        builds = [i for i, r in enumerate(runs) if re.search(r"^\s*sam build\b", r, re.M)]
        self.assertEqual(len(builds), 1, "one step runs sam build")
        build = all_steps[builds[0]]
        self.assertEqual(build.get("working-directory"), "infra", "sam build runs beside template.yaml")
        command = next(l for l in build["run"].splitlines() if l.strip().startswith("sam build"))
        self.assertIn("--beta-features", command, "the rust-cargolambda build method is a beta feature")
        # No other build of the Lambdas, and no debug build (SAM_BUILD_MODE=debug).
        self.assertFalse([r for r in runs if "cargo lambda build" in r], "a second build path")
        self.assertNotIn("SAM_BUILD_MODE", self.text)
        deploy = next(i for i, r in enumerate(runs) if "sam deploy" in r)
        self.assertLess(builds[0], deploy, "sam build does not run before sam deploy")
        self.assertEqual(all_steps[deploy].get("working-directory"), "infra")
        # sam deploy takes .aws-sam/build/template.yaml by default: not another template.
        self.assertNotRegex(runs[deploy], r"--template|\s-t\s", "sam deploy is given a template")

    def test_the_cargo_caches_hold_the_target_dir_sam_build_uses(self):
        # SAM builds into the workspace's target/ (from `cargo metadata`) unless
        # CARGO_TARGET_DIR is set; the cache must hold that folder.
        caches = [s for s in steps(self.doc) if s.get("uses", "").startswith("actions/cache")]
        self.assertTrue(caches)
        paths = "\n".join(str(s.get("with", {}).get("path", "")) for s in caches).split()
        self.assertIn("target", paths)
        self.assertIn("~/.cargo/registry/cache", paths)
        self.assertNotIn("CARGO_TARGET_DIR", self.text)

    def test_the_role_assuming_action_is_pinned_by_commit(self):
        uses = [s["uses"] for s in steps(self.doc) if "configure-aws-credentials" in s.get("uses", "")]
        self.assertTrue(uses)
        for u in uses:
            self.assertRegex(u, r"@[0-9a-f]{40}$", f"{u} is not pinned by commit")


if __name__ == "__main__":
    unittest.main()
