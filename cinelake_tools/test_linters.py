"""The linters the test command runs must fail on broken input, or passing them means
nothing: each test breaks a copy of a real file in one way and expects a finding.

    .venv/bin/python -m pytest cinelake_tools/test_linters.py
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

from cinelake_tools import common
from cinelake_tools.common import ROOT

VENV_BIN = Path(sys.executable).parent


def run(*args):
    # The project's cfn-lint rules are imported from this package, found on PYTHONPATH.
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1", PYTHONPATH=str(ROOT))
    return common.run(args, env=env, cwd=ROOT, check=False)


class BrokenCopies(unittest.TestCase):
    def setUp(self):
        self.tmp = Path(tempfile.mkdtemp(prefix="cinelake-lint-"))

    def tearDown(self):
        shutil.rmtree(self.tmp)

    def broken(self, source, old, new, name=None):
        text = (ROOT / source).read_text()
        self.assertIn(old, text, f"{source} no longer contains {old!r}; update the test")
        target = self.tmp / (name or Path(source).name)
        target.write_text(text.replace(old, new, 1))
        return target

    def cfn_lint(self, template):
        # The nested stack's template is looked up beside the parent.
        shutil.copy(ROOT / "infra/quicksight.yaml", self.tmp / "quicksight.yaml")
        return run(VENV_BIN / "cfn-lint", "--append-rules", "cinelake_tools.cfn_rules", "--", template)

    def test_cfn_lint_passes_the_real_template(self):
        out = self.cfn_lint(ROOT / "infra/template.yaml")
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)

    def test_cfn_lint_refuses_a_misspelt_property(self):
        t = self.broken("infra/template.yaml", "      Timeout: 900", "      Timeoutt: 900")
        out = self.cfn_lint(t)
        self.assertNotEqual(out.returncode, 0)
        self.assertIn("Timeoutt", out.stdout)

    def test_project_rule_refuses_allow_all_iam(self):
        t = self.broken(
            "infra/template.yaml",
            "      Timeout: 900",
            "      Timeout: 900\n      Policies:\n        - Version: '2012-10-17'\n"
            "          Statement:\n            - Effect: Allow\n              Action: '*'\n"
            "              Resource: '*'",
        )
        out = self.cfn_lint(t)
        self.assertNotEqual(out.returncode, 0)
        self.assertIn("E9102", out.stdout)

    def assert_refused(self, template, rule, *texts):
        out = self.cfn_lint(template)
        self.assertNotEqual(out.returncode, 0, out.stdout + out.stderr)
        self.assertIn(rule, out.stdout)
        for text in texts:
            self.assertIn(text, out.stdout)

    def test_project_rule_refuses_a_transition_to_no_state(self):
        t = self.broken("infra/template.yaml", "            Next: RunRefined\n", "            Next: RunRefinde\n")
        self.assert_refused(t, "E9101", "Next 'RunRefinde' is not a state of this machine")

    def test_project_rule_refuses_an_unreachable_state(self):
        # RunTrusted's catcher sent elsewhere: TrustedJobFailed is reached by nothing.
        t = self.broken(
            "infra/template.yaml",
            "                Next: TrustedJobFailed\n",
            "                Next: RefinedJobFailed\n",
        )
        self.assert_refused(t, "E9101", "state TrustedJobFailed cannot be reached from HasEngine")

    def test_project_rule_refuses_a_state_without_next_or_end(self):
        t = self.broken("infra/template.yaml", "            Next: PipelineSucceeded\n", "")
        self.assert_refused(t, "E9101", "state CreateViews has neither Next nor End")

    def test_project_rule_refuses_a_misspelt_iam_action(self):
        # The SAM transform makes cfn-lint skip IAM action names (W3037); E9103 does not.
        t = self.broken(
            "infra/template.yaml",
            "                  - glue:UpdatePartition\n",
            "                  - glue:UpdatePartitions\n",
        )
        self.assert_refused(t, "E9103", "'glue:UpdatePartitions': glue has no such action")
        t = self.broken(
            "infra/template.yaml",
            "                Action: states:StartExecution\n",
            "                Action: state:StartExecution\n",
        )
        self.assert_refused(t, "E9103", "'state:StartExecution': no such service 'state'")

    def test_project_rule_refuses_a_schedule_without_its_dead_letter_queue(self):
        t = self.broken(
            "infra/template.yaml", "        DeadLetterConfig:\n          Arn: !GetAtt ScheduleDeadLetterQueue.Arn\n", ""
        )
        self.assert_refused(t, "E9107", "MonthlySchedule has no DeadLetterConfig naming an SQS queue")

    def test_project_rule_refuses_dead_letters_nobody_is_told_of(self):
        t = self.broken(
            "infra/template.yaml",
            "      TreatMissingData: notBreaching\n      AlarmActions: [!Ref AlertTopic]\n",
            "      TreatMissingData: notBreaching\n",
        )
        self.assert_refused(t, "E9107", "no AWS::CloudWatch::Alarm on ScheduleDeadLetterQueue tells an SNS topic")

    def test_project_rule_refuses_a_schedule_role_that_cannot_send_dead_letters(self):
        t = self.broken(
            "infra/template.yaml",
            "              - Effect: Allow\n                Action: sqs:SendMessage\n"
            "                Resource: !GetAtt ScheduleDeadLetterQueue.Arn\n",
            "",
        )
        self.assert_refused(t, "E9107", "MonthlySchedule's role SchedulerRole is not allowed sqs:SendMessage")

    def test_every_project_rule_has_a_broken_copy_test(self):
        rules = re.findall(r'^    id = "(E9\d{3})"$', Path(__file__).with_name("cfn_rules.py").read_text(), re.M)
        self.assertGreaterEqual(len(rules), 7)
        tests = Path(__file__).read_text()
        for rule in rules:
            self.assertRegex(tests, rf'(assertIn\("{rule}"|assert_refused\(t, "{rule}")', f"{rule} has no test")

    def test_project_rule_refuses_an_alert_for_another_state_machine(self):
        t = self.broken(
            "infra/template.yaml",
            "          stateMachineArn:\n            - !Ref PipelineStateMachine",
            "          stateMachineArn:\n            - !Ref SchedulerRole",
        )
        out = self.cfn_lint(t)
        self.assertNotEqual(out.returncode, 0)
        self.assertIn("E9104", out.stdout)

    def test_project_rule_refuses_an_alert_without_aborted_runs(self):
        t = self.broken("infra/template.yaml", "            - ABORTED\n", "")
        out = self.cfn_lint(t)
        self.assertNotEqual(out.returncode, 0)
        self.assertIn("E9104", out.stdout)

    def test_project_rule_refuses_the_engine_in_an_enforcing_workgroup(self):
        """The jobs Lambda's Athena engine (trusted with engine athena) sends
        CREATE TABLE ... WITH (external_location = ...) AS SELECT to the workgroup its
        environment names (CINELAKE_ATHENA_ENGINE_WORKGROUP, else
        CINELAKE_ATHENA_WORKGROUP). Athena's documentation
        (https://docs.aws.amazon.com/athena/latest/ug/ctas-considerations-limitations.html):
        "If the workgroup in which a query will run is configured with an enforced query
        results location, do not specify an external_location for the CTAS query. Athena
        issues an error and fails a query that specifies an external_location in this
        case." So that workgroup, resolved from the function's environment in the
        template, must not enforce its configuration (rule E9105).

        The template before the engine had a workgroup of its own is the first copy: no
        CINELAKE_ATHENA_ENGINE_WORKGROUP, so the engine ran in the analysts' workgroup,
        which enforces its configuration, and every CTAS would have failed on AWS."""
        without_own = self.broken(
            "infra/template.yaml",
            "          CINELAKE_ATHENA_ENGINE_WORKGROUP: !Ref EngineWorkGroup\n",
            "",
        )
        out = self.cfn_lint(without_own)
        self.assertNotEqual(out.returncode, 0, out.stdout + out.stderr)
        self.assertIn("E9105", out.stdout)
        self.assertIn("in AthenaWorkGroup (CINELAKE_ATHENA_WORKGROUP)", out.stdout)
        # The engine's own workgroup, made to enforce its configuration, or left to
        # Athena's default, is refused as well.
        for enforce in ("        EnforceWorkGroupConfiguration: true\n", ""):
            enforcing = self.broken(
                "infra/template.yaml",
                "        EnforceWorkGroupConfiguration: false\n",
                enforce,
            )
            out = self.cfn_lint(enforcing)
            self.assertNotEqual(out.returncode, 0, out.stdout + out.stderr)
            self.assertIn("E9105", out.stdout)
            self.assertIn("in EngineWorkGroup (CINELAKE_ATHENA_ENGINE_WORKGROUP)", out.stdout)

    def test_project_rule_refuses_a_glue_database_that_is_not_retained(self):
        for policy in ("DeletionPolicy", "UpdateReplacePolicy"):
            with self.subTest(policy):
                retained = (
                    "  RefinedDatabase:\n    Type: AWS::Glue::Database\n"
                    "    DeletionPolicy: Retain\n    UpdateReplacePolicy: Retain\n"
                )
                t = self.broken("infra/template.yaml", retained, retained.replace(f"    {policy}: Retain\n", ""))
                out = self.cfn_lint(t)
                self.assertNotEqual(out.returncode, 0, out.stdout + out.stderr)
                self.assertIn("E9106", out.stdout)
                self.assertIn(f"RefinedDatabase has {policy} None, not Retain", out.stdout)

    def test_sam_validate_refuses_a_misspelt_property(self):
        # The venv scripts/lint-infra and test_sam_build use (CINELAKE_SAM_VENV).
        sam = ROOT / os.environ.get("CINELAKE_SAM_VENV", ".venv-sam") / "bin/sam"
        self.assertTrue(sam.exists(), f"{sam} is missing: scripts/test installs it")
        t = self.broken("infra/template.yaml", "      Timeout: 900", "      Timeoutt: 900")
        shutil.copy(ROOT / "infra/quicksight.yaml", self.tmp / "quicksight.yaml")
        env = dict(os.environ, AWS_ACCESS_KEY_ID="v", AWS_SECRET_ACCESS_KEY="v", SAM_CLI_TELEMETRY="0")
        out = subprocess.run(
            [str(sam), "validate", "--lint", "--template", str(t), "--region", "us-east-1"],
            capture_output=True,
            text=True,
            env=env,
        )
        self.assertNotEqual(out.returncode, 0, out.stdout + out.stderr)
        self.assertIn("Timeoutt", out.stdout + out.stderr)

    def test_actionlint_refuses_an_unknown_runner(self):
        wf = self.broken(".github/workflows/ci.yml", "runs-on: ubuntu-latest", "runs-on: ubuntu-lastest")
        out = run(VENV_BIN / "actionlint", "-shellcheck", VENV_BIN / "shellcheck", "-pyflakes", "", wf)
        self.assertNotEqual(out.returncode, 0)
        self.assertIn("ubuntu-lastest", out.stdout)

    def test_hadolint_refuses_an_unpinned_base_image(self):
        df = self.broken("docker/Dockerfile", "FROM rust:1.95-slim-bookworm", "FROM rust", "Dockerfile")
        out = run(VENV_BIN / "hadolint", df)
        self.assertNotEqual(out.returncode, 0)
        self.assertIn("DL3006", out.stdout)


if __name__ == "__main__":
    unittest.main()
