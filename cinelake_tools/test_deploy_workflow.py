"""What the deploy workflow must never do, read from .github/workflows/deploy.yml.

A deploy that passes a parameter's default when its repository variable is unset undoes
an earlier choice (it deletes the QuickSight stack, or replaces the Glue databases); a
deploy of a commit whose tests did not pass ships what CI refused; an action pinned by
tag can change under the same name. The Lambdas are built by `sam build` (SAM's cargo
lambda build method, a beta feature) in infra/, before `sam deploy` ships what it built.
The gate job's script, which decides whether and what to deploy, is run here with bash
for each kind of event.

    .venv/bin/python -m pytest cinelake_tools/test_deploy_workflow.py
"""

import os
import re
import subprocess
import tempfile
import unittest
from pathlib import Path

import yaml

from cinelake_tools.common import ROOT

DEPLOY = ROOT / ".github/workflows/deploy.yml"
CI = ROOT / ".github/workflows/ci.yml"
README = ROOT / "docs/aws.md"

# Actions used by tag because no commit of that release could be verified here (the
# stored copy of the repository predates the tag); docs/aws.md lists them as still to
# check on GitHub. Every other action is pinned by a commit verified against its tag.
PINNED_BY_TAG = {"actions/cache@v6"}

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
        self.deploy_script = next(s["run"] for s in steps(self.doc) if "sam deploy" in s.get("run", ""))

    def test_a_parameter_is_passed_only_when_its_variable_is_set(self):
        script = self.deploy_script
        for name in CHOICES:
            self.assertIn(f"{name}=", script, f"{name} is never passed")
            # Every line that adds the override sits under an `if [ -n ... ]` test.
            for line_no, line in enumerate(script.splitlines()):
                if f"{name}=" in line:
                    before = script.splitlines()[:line_no]
                    opened = [b for b in before if re.match(r"\s*if \[ -n ", b)]
                    closed = [b for b in before if b.strip() == "fi"]
                    self.assertGreater(len(opened), len(closed), f"{name} is passed whether or not it is set")
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
        gate, deploy = self.doc["jobs"]["gate"], self.doc["jobs"]["deploy"]
        # The deploy runs only on the gate's word, in the production environment; the gate
        # runs outside it, so a ci run that is no release never waits for a reviewer.
        self.assertEqual(deploy.get("needs"), "gate")
        self.assertEqual(deploy.get("if"), "needs.gate.outputs.deploy == 'true'")
        self.assertEqual(deploy.get("environment"), "production")
        self.assertNotIn("environment", gate)
        self.assertEqual(deploy.get("concurrency", {}).get("cancel-in-progress"), False)
        self.assertNotIn("concurrency", self.doc, "a skipped run would replace a queued deploy")
        # The commit deployed is the one the gate chose: the one the tests ran on.
        checkout = next(s for s in deploy["steps"] if s.get("uses", "").startswith("actions/checkout"))
        self.assertEqual(checkout.get("with", {}).get("ref"), "${{ needs.gate.outputs.sha }}")
        self.assertEqual(gate["outputs"]["sha"], "${{ steps.decide.outputs.sha }}")
        self.assertEqual(gate["outputs"]["deploy"], "${{ steps.decide.outputs.deploy }}")
        # A manual deploy names a tag; ci's successful run on the tag's push gives the commit.
        self.assertEqual(on["workflow_dispatch"]["inputs"]["tag"].get("required"), True)
        ci = next(s for s in gate["steps"] if s.get("id") == "ci")
        self.assertEqual(ci.get("if"), "github.event_name == 'workflow_dispatch'")
        command = " ".join(ci["run"].replace("\\\n", " ").split())
        for arg in (
            "--workflow ci.yml",
            '--branch "$TAG"',
            "--event push",
            "--status success",
            "--json headSha",
            "--limit 1",
        ):
            self.assertIn(arg, command)

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
        command = next(c for c in build["run"].splitlines() if c.strip().startswith("sam build"))
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
            # v4.0.2, a Node 20 action, is gone.
            self.assertNotIn("e3dd6a429d7300a6a4c196c26e071d42e0343502", u)

    def test_the_workflow_checks_both_bootstraps_between_build_and_deploy(self):
        # What cinelake_tools/check_bootstrap.py checks: test_check_bootstrap.py.
        all_steps = list(steps(load(DEPLOY)))
        runs = [" ".join(s.get("run", "").split()) for s in all_steps]
        build = next(i for i, r in enumerate(runs) if r.startswith("sam build"))
        deploy = next(i for i, r in enumerate(runs) if "sam deploy" in r)
        checks = [i for i, r in enumerate(runs) if "cinelake_tools.check_bootstrap" in r]
        self.assertEqual(len(checks), 1, "one step checks the bootstraps")
        self.assertLess(build, checks[0])
        self.assertLess(checks[0], deploy)
        for function in ("IngestFunction", "JobsFunction"):
            self.assertIn(f"infra/.aws-sam/build/{function}/bootstrap", runs[checks[0]])


class Actions(unittest.TestCase):
    def uses(self):
        for path in (CI, DEPLOY):
            for step in steps(load(path)):
                if "uses" in step:
                    yield path.name, step["uses"]

    def test_every_action_is_pinned_by_commit_but_the_ones_the_readme_lists(self):
        readme = README.read_text()
        seen = set()
        for workflow, uses in self.uses():
            seen.add(uses)
            if uses in PINNED_BY_TAG:
                self.assertIn(f"`{uses}`", readme, f"{uses} is pinned by tag and the README does not say so")
                continue
            self.assertRegex(uses, r"^[\w.-]+/[\w.-]+@[0-9a-f]{40}$", f"{workflow}: {uses} is not pinned by commit")
            # The README's table of pins names each commit, with its release.
            self.assertIn(uses.split("@")[1], readme, f"{uses} is not in the README's table of pins")
        self.assertEqual(PINNED_BY_TAG - seen, set(), "an exception no workflow uses")

    def test_ci_runs_node_on_a_current_lts(self):
        node = [s for s in steps(load(CI)) if s.get("uses", "").startswith("actions/setup-node@")]
        self.assertEqual(len(node), 1)
        version = str(node[0]["with"]["node-version"])
        # An even major is an LTS line; 20 ended in April 2026.
        self.assertRegex(version, r"^\d+$")
        self.assertGreaterEqual(int(version), 24)
        self.assertEqual(int(version) % 2, 0)


class TheGate(unittest.TestCase):
    """The gate's script as the workflow holds it, run with bash for each kind of event."""

    SHA = "0123456789abcdef0123456789abcdef01234567"

    def run_gate(self, **env):
        doc = load(DEPLOY)
        step = next(s for s in doc["jobs"]["gate"]["steps"] if s.get("id") == "decide")
        # Each variable the step maps from the event, defaulting to what GitHub would
        # give when it is absent (an empty string).
        names = set(step["env"])
        base = dict.fromkeys(names, "")
        base.update(REF="refs/heads/main", DEFAULT_BRANCH="main")
        unknown = set(env) - names
        self.assertFalse(unknown, f"the step maps no {unknown}")
        with tempfile.TemporaryDirectory() as tmp:
            output = Path(tmp) / "output"
            output.touch()
            proc = subprocess.run(
                ["bash", "-e", "-c", step["run"]],
                capture_output=True,
                text=True,
                env={"PATH": os.environ["PATH"], "GITHUB_OUTPUT": str(output), **base, **env},
            )
            outputs = dict(line.split("=", 1) for line in output.read_text().splitlines())
        return proc.returncode, outputs, proc.stdout + proc.stderr

    def test_the_step_maps_the_event_fields_it_reads(self):
        step = next(s for s in load(DEPLOY)["jobs"]["gate"]["steps"] if s.get("id") == "decide")
        self.assertEqual(
            step["env"],
            {
                "EVENT": "${{ github.event_name }}",
                "REF": "${{ github.ref }}",
                "DEFAULT_BRANCH": "${{ github.event.repository.default_branch }}",
                "RUN_CONCLUSION": "${{ github.event.workflow_run.conclusion }}",
                "RUN_EVENT": "${{ github.event.workflow_run.event }}",
                "RUN_HEAD_BRANCH": "${{ github.event.workflow_run.head_branch }}",
                "RUN_HEAD_SHA": "${{ github.event.workflow_run.head_sha }}",
                "TAG": "${{ inputs.tag }}",
                "CI_SHA": "${{ steps.ci.outputs.sha }}",
            },
        )

    def test_ci_passing_on_a_release_tag_deploys_its_commit(self):
        code, out, log = self.run_gate(
            EVENT="workflow_run",
            RUN_CONCLUSION="success",
            RUN_EVENT="push",
            RUN_HEAD_BRANCH="v1.4.0",
            RUN_HEAD_SHA=self.SHA,
        )
        self.assertEqual((code, out), (0, {"deploy": "true", "sha": self.SHA}), log)

    def test_other_ci_runs_deploy_nothing_and_do_not_fail(self):
        cases = [
            ("failure", "push", "v1.4.0"),  # the tests failed on the tag
            ("cancelled", "push", "v1.4.0"),
            ("success", "push", "main"),  # a push to a branch
            ("success", "pull_request", "v2-x"),  # a pull request from a branch named v...
        ]
        for conclusion, event, branch in cases:
            with self.subTest(conclusion=conclusion, event=event, branch=branch):
                code, out, log = self.run_gate(
                    EVENT="workflow_run",
                    RUN_CONCLUSION=conclusion,
                    RUN_EVENT=event,
                    RUN_HEAD_BRANCH=branch,
                    RUN_HEAD_SHA=self.SHA,
                )
                self.assertEqual((code, out), (0, {"deploy": "false", "sha": ""}), log)

    def test_a_manual_deploy_of_a_tag_ci_passed_deploys_the_commit_ci_tested(self):
        code, out, log = self.run_gate(EVENT="workflow_dispatch", TAG="v1.3.2", CI_SHA=self.SHA)
        self.assertEqual((code, out), (0, {"deploy": "true", "sha": self.SHA}), log)

    def test_a_manual_deploy_is_refused_without_a_passed_tag(self):
        for tag, ci_sha, why in (
            ("v1.3.2", "", "ci has not passed on the push of v1.3.2"),
            ("main", self.SHA, "name a release tag (v...), not 'main'"),
            ("v1.3.2", "not-a-sha", "'not-a-sha' is not a commit"),
        ):
            with self.subTest(tag=tag, ci_sha=ci_sha):
                code, out, log = self.run_gate(EVENT="workflow_dispatch", TAG=tag, CI_SHA=ci_sha)
                self.assertNotEqual(code, 0, log)
                self.assertEqual(out, {}, log)
                self.assertIn(why, log)

    def test_a_run_off_the_default_branch_is_refused_as_the_environment_would(self):
        # The production environment admits the default branch only (docs/aws.md): a
        # manual run started from a tag or another branch stops here, saying so.
        for ref in ("refs/tags/v1.3.2", "refs/heads/feature"):
            with self.subTest(ref=ref):
                code, out, log = self.run_gate(EVENT="workflow_dispatch", REF=ref, TAG="v1.3.2", CI_SHA=self.SHA)
                self.assertNotEqual(code, 0, log)
                self.assertEqual(out, {}, log)
                self.assertIn("deploy runs from refs/heads/main only", log)
        code, _, log = self.run_gate(EVENT="push", RUN_CONCLUSION="success")
        self.assertNotEqual(code, 0, log)

    def test_the_readme_sets_the_environment_rule_the_workflow_meets(self):
        readme = " ".join(README.read_text().split())
        self.assertIn("Selected branches and tags", readme)
        self.assertIn("the default branch (`main`) only", readme)
        self.assertIn("no tag rule", readme)


if __name__ == "__main__":
    unittest.main()
