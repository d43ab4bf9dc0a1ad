"""The QuickSight bodies: valid against botocore's service model, consistent with each
other and with the views, and the committed CloudFormation template up to date.

Run: .venv/bin/python -m pytest cinelake_tools/test_quicksight.py -v
"""

import contextlib
import io
import json
import shutil
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

from cinelake_tools import quicksight as qs
from cinelake_tools.common import ROOT

BODIES = ROOT / "dashboards" / "quicksight"

# One data set per view in sql/views.
VIEW_COUNT = len(list((ROOT / "sql" / "views").glob("*.sql")))


def quietly(func, *args):
    """FUNC(*ARGS) with its stdout and stderr captured: (result, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        result = func(*args)
    return result, out.getvalue(), err.getvalue()


def find_visual(dashboard, visual_id):
    for sheet in dashboard["Definition"]["Sheets"]:
        for visual in sheet.get("Visuals", []):
            ((kind, body),) = visual.items()
            if body["VisualId"] == visual_id:
                return body
    raise KeyError(visual_id)


class BrokenCopy:
    """A copy of the bodies in a temporary directory, to break one of them."""

    def __init__(self, case):
        self.tmp = tempfile.TemporaryDirectory()
        case.addCleanup(self.tmp.cleanup)
        self.dir = Path(self.tmp.name) / "quicksight"
        shutil.copytree(BODIES, self.dir)

    def edit(self, rel, change):
        path = self.dir / rel
        data = json.loads(path.read_text(encoding="utf-8"))
        change(data)
        path.write_text(json.dumps(data, indent=2), encoding="utf-8")

    def problems(self):
        _, problems = qs.validate(self.dir)
        return [str(p) for p in problems]


class RealBodies(unittest.TestCase):
    def test_every_body_is_valid(self):
        bodies, problems = qs.validate()
        self.assertEqual([str(p) for p in problems], [])
        kinds = [b.operation for b in bodies]
        self.assertEqual(kinds.count("CreateDataSource"), 1)
        self.assertEqual(kinds.count("CreateDashboard"), 1)
        views = sorted(p.stem for p in (ROOT / "sql" / "views").glob("*.sql"))
        self.assertEqual(sorted(b.stem for b in bodies if b.kind == "data-set"), views)

    def test_data_sets_read_the_views_directly(self):
        bodies, _ = qs.validate()
        for body in bodies:
            if body.kind != "data-set":
                continue
            self.assertEqual(body.data["ImportMode"], "DIRECT_QUERY", body.rel)
            (table,) = body.data["PhysicalTableMap"].values()
            relational = table["RelationalTable"]
            self.assertEqual(relational["Catalog"], "AwsDataCatalog")
            self.assertEqual(relational["Schema"], "${RefinedDatabase}")
            self.assertEqual(relational["Name"], body.stem)

    def test_validate_command_exits_zero(self):
        run = subprocess.run(
            [sys.executable, "-m", "cinelake_tools.quicksight", "validate"], capture_output=True, text=True, cwd=ROOT
        )
        self.assertEqual(run.returncode, 0, run.stdout + run.stderr)
        lines = run.stdout.splitlines()
        self.assertEqual(sum(1 for line in lines if line.startswith("ok ")), VIEW_COUNT + 2, run.stdout)

    def test_the_view_parser_reads_every_view(self):
        self.assertEqual(
            qs.view_columns((ROOT / "sql" / "views" / "v_investment_rating.sql").read_text()),
            [
                "band_order",
                "budget_band",
                "films",
                "total_budget",
                "imdb_rated_films",
                "avg_imdb_rating",
                "tmdb_rated_films",
                "avg_tmdb_rating",
            ],
        )
        self.assertEqual(
            qs.view_columns((ROOT / "sql" / "views" / "v_country_share_best.sql").read_text())[-1], "share"
        )


class BrokenBodies(unittest.TestCase):
    """Each broken copy must fail, naming the file and where the fault is."""

    def assertProblem(self, problems, *needles):
        hits = [p for p in problems if all(n in p for n in needles)]
        self.assertTrue(hits, f"no problem mentions {needles}; got:\n" + "\n".join(problems))

    def test_misspelt_top_level_field(self):
        copy = BrokenCopy(self)
        copy.edit(
            "data-sets/v_top_profits.json", lambda d: d.__setitem__("PhysicalTablesMap", d.pop("PhysicalTableMap"))
        )
        problems = copy.problems()
        self.assertProblem(problems, "data-sets/v_top_profits.json", "Unknown parameter", '"PhysicalTablesMap"')
        self.assertProblem(problems, "data-sets/v_top_profits.json", "Missing required", '"PhysicalTableMap"')

    def test_misspelt_nested_field(self):
        copy = BrokenCopy(self)

        def change(d):
            visual = find_visual(d, "film-detail")
            visual["ChartConfiguraton"] = visual.pop("ChartConfiguration")

        copy.edit("dashboard.json", change)
        self.assertProblem(copy.problems(), "dashboard.json", "TableVisual", '"ChartConfiguraton"')

    def test_wrong_enum(self):
        copy = BrokenCopy(self)
        copy.edit("data-sets/v_best_films.json", lambda d: d.__setitem__("ImportMode", "SOMETIMES"))
        self.assertProblem(
            copy.problems(), "data-sets/v_best_films.json", "ImportMode", "'SOMETIMES' is not a valid value"
        )

    def test_wrong_input_column_type(self):
        copy = BrokenCopy(self)

        def change(d):
            d["PhysicalTableMap"]["athena-view"]["RelationalTable"]["InputColumns"][0]["Type"] = "TEXT"

        copy.edit("data-sets/v_top_profits.json", change)
        self.assertProblem(copy.problems(), "v_top_profits.json", "InputColumns[0].Type", "'TEXT'")

    def test_visual_column_not_in_its_data_set(self):
        copy = BrokenCopy(self)

        def change(d):
            wells = find_visual(d, "top-profits")["ChartConfiguration"]["FieldWells"]
            wells["BarChartAggregatedFieldWells"]["Values"][0]["NumericalMeasureField"]["Column"]["ColumnName"] = (
                "proft"
            )

        copy.edit("dashboard.json", change)
        self.assertProblem(copy.problems(), "dashboard.json", "'proft'", "not in data set v_budget_revenue")

    def test_undeclared_data_set_identifier(self):
        copy = BrokenCopy(self)

        def change(d):
            wells = find_visual(d, "most-voted")["ChartConfiguration"]["FieldWells"]
            wells["BarChartAggregatedFieldWells"]["Category"][0]["CategoricalDimensionField"]["Column"][
                "DataSetIdentifier"
            ] = "v_worst_films"

        copy.edit("dashboard.json", change)
        self.assertProblem(copy.problems(), "dashboard.json", "'v_worst_films'", "not declared")

    def test_undeclared_parameter(self):
        copy = BrokenCopy(self)

        def change(d):
            for group in d["Definition"]["FilterGroups"]:
                for flt in group["Filters"]:
                    rng = flt.get("NumericRangeFilter", {}).get("RangeMinimum")
                    if rng and "Parameter" in rng:
                        rng["Parameter"] = "MinimumVotes"

        copy.edit("dashboard.json", change)
        self.assertProblem(copy.problems(), "dashboard.json", "'MinimumVotes'", "not declared")

    def test_data_set_missing_a_view_column(self):
        copy = BrokenCopy(self)

        def change(d):
            columns = d["PhysicalTableMap"]["athena-view"]["RelationalTable"]["InputColumns"]
            d["PhysicalTableMap"]["athena-view"]["RelationalTable"]["InputColumns"] = [
                c for c in columns if c["Name"] != "film_label"
            ]

        copy.edit("data-sets/v_film_country.json", change)
        problems = copy.problems()
        self.assertProblem(problems, "v_film_country.json", "'film_label'", "missing here")
        # and the visuals that chart it
        self.assertProblem(problems, "dashboard.json", "'film_label'", "not in data set")

    def test_unknown_placeholder(self):
        copy = BrokenCopy(self)
        copy.edit("data-source.json", lambda d: d.__setitem__("DataSourceId", "${ResourcePrefx}-athena"))
        self.assertProblem(copy.problems(), "data-source.json", "${ResourcePrefx}")

    def test_sort_by_a_field_the_visual_lacks(self):
        copy = BrokenCopy(self)

        def change(d):
            sort = find_visual(d, "most-voted")["ChartConfiguration"]["SortConfiguration"]
            sort["CategorySort"][0]["FieldSort"]["FieldId"] = "no-such-field"

        copy.edit("dashboard.json", change)
        self.assertProblem(copy.problems(), "dashboard.json", "'no-such-field'")

    def test_validate_command_lists_every_problem_and_fails(self):
        copy = BrokenCopy(self)
        copy.edit("data-sets/v_best_films.json", lambda d: d.__setitem__("ImportMode", "SOMETIMES"))
        copy.edit(
            "data-sets/v_top_profits.json", lambda d: d.__setitem__("PhysicalTablesMap", d.pop("PhysicalTableMap"))
        )
        run = subprocess.run(
            [sys.executable, "-m", "cinelake_tools.quicksight", "validate", str(copy.dir)],
            capture_output=True,
            text=True,
            cwd=ROOT,
        )
        self.assertNotEqual(run.returncode, 0)
        self.assertIn("FAIL data-sets/v_best_films.json", run.stdout)
        self.assertIn("FAIL data-sets/v_top_profits.json", run.stdout)
        self.assertIn("data-sets/v_best_films.json: ImportMode:", run.stderr)
        self.assertIn("PhysicalTablesMap", run.stderr)


class CloudFormation(unittest.TestCase):
    def test_committed_template_matches_the_bodies(self):
        code, out, err = quietly(qs.main, ["check-cfn"])
        self.assertEqual(code, 0, out + err)

    def test_check_cfn_catches_drift(self):
        with tempfile.TemporaryDirectory() as tmp:
            stale = Path(tmp) / "quicksight.yaml"
            stale.write_text(qs.TEMPLATE.read_text().replace("LENIENT", "STRICT", 1))
            code, _, err = quietly(qs.main, ["check-cfn", "--template", str(stale)])
        self.assertEqual(code, 1)
        self.assertIn("differs from the bodies", err)

    def test_template_shape(self):
        template = json.loads(qs.TEMPLATE.read_text())
        self.assertEqual(
            set(template["Parameters"]),
            {"AthenaWorkgroup", "AthenaRoleArn", "RefinedDatabase", "QuickSightPrincipalArn", "ResourcePrefix"},
        )
        resources = template["Resources"]
        types = [r["Type"] for r in resources.values()]
        self.assertEqual(types.count("AWS::QuickSight::DataSource"), 1)
        self.assertEqual(types.count("AWS::QuickSight::DataSet"), VIEW_COUNT)
        self.assertEqual(types.count("AWS::QuickSight::Dashboard"), 1)
        data_sets = [k for k, r in resources.items() if r["Type"] == "AWS::QuickSight::DataSet"]
        for name in data_sets:
            table = resources[name]["Properties"]["PhysicalTableMap"]["athena-view"]
            self.assertEqual(
                table["RelationalTable"]["DataSourceArn"], {"Fn::GetAtt": ["DataSource", "Arn"]}
            )  # after the data source
            self.assertEqual(resources[name]["Properties"]["AwsAccountId"], {"Ref": "AWS::AccountId"})
        self.assertEqual(sorted(resources["Dashboard"]["DependsOn"]), sorted(data_sets))
        # The data source queries Athena with the role the parent stack passes (its
        # QuickSightAthenaRole), not with QuickSight's account-wide service role.
        athena = resources["DataSource"]["Properties"]["DataSourceParameters"]["AthenaParameters"]
        self.assertEqual(athena, {"WorkGroup": {"Ref": "AthenaWorkgroup"}, "RoleArn": {"Ref": "AthenaRoleArn"}})
        self.assertNotIn("Default", template["Parameters"]["AthenaRoleArn"])
        self.assertIn("Definition", resources["Dashboard"]["Properties"])
        text = qs.TEMPLATE.read_text()
        for placeholder in qs.PLACEHOLDERS:
            if placeholder not in qs.CFN_PARAMETERS:
                self.assertNotIn("${" + placeholder + "}", text)
        self.assertLess(len(text.encode()), qs.TEMPLATE_URL_LIMIT)

    def test_placeholders_become_ref_and_sub(self):
        self.assertEqual(qs.to_cfn("${RefinedDatabase}"), {"Ref": "RefinedDatabase"})
        self.assertEqual(qs.to_cfn("${ResourcePrefix}-athena"), {"Fn::Sub": "${ResourcePrefix}-athena"})
        self.assertEqual(
            qs.to_cfn("arn:aws:quicksight:${Region}:${AwsAccountId}:dataset/x"),
            {"Fn::Sub": "arn:${AWS::Partition}:quicksight:${AWS::Region}:${AWS::AccountId}:dataset/x"},
        )
        # QuickSight's own parameters are kept from Fn::Sub
        self.assertEqual(qs.to_cfn("${ResourcePrefix} ${MinVotes}"), {"Fn::Sub": "${ResourcePrefix} ${!MinVotes}"})
        self.assertEqual(qs.to_cfn("ifelse(${MinVotes} > 1, 1, 0)"), "ifelse(${MinVotes} > 1, 1, 0)")


class PublishedOnUpdate(unittest.TestCase):
    """A stack update of the dashboard must publish the version it makes: QuickSight's
    UpdateDashboard "creates a new dashboard version but does not immediately publish the
    new version" (the API reference), and the template has no step of its own that would.
    The resource's schema (cfn-lint's copy of CloudFormation's registry schema) lists
    quicksight:UpdateDashboardPublishedVersion among the permissions its update handler
    needs: the handler publishes. If a schema stops saying so, the template needs a
    publishing step; whether it does is checked on AWS after the second deploy
    (docs/aws.md, Checks on AWS)."""

    def schema(self):
        from cfnlint.schema import PROVIDER_SCHEMA_MANAGER

        return PROVIDER_SCHEMA_MANAGER.get_resource_schema("us-east-1", "AWS::QuickSight::Dashboard").schema

    def test_the_update_handler_publishes_the_new_version(self):
        handlers = self.schema()["handlers"]
        self.assertIn("quicksight:UpdateDashboardPublishedVersion", handlers["update"]["permissions"])
        self.assertIn("quicksight:UpdateDashboard", handlers["update"]["permissions"])
        # Creation publishes the first version itself (CreateDashboard).
        self.assertNotIn("quicksight:UpdateDashboardPublishedVersion", handlers["create"]["permissions"])

    def test_the_template_leaves_the_definition_to_that_update(self):
        # What changes between deploys is the Definition and VersionDescription, which the
        # schema writes through the update handler (write-only), not a replacement.
        schema = self.schema()
        self.assertNotIn("/properties/Definition", schema.get("createOnlyProperties", []))
        self.assertIn("/properties/Definition", schema.get("writeOnlyProperties", []))
        dashboard = json.loads(qs.TEMPLATE.read_text())["Resources"]["Dashboard"]["Properties"]
        self.assertIn("Definition", dashboard)
        self.assertIn("VersionDescription", dashboard)


class DeployCommands(unittest.TestCase):
    def test_prints_one_create_call_per_body(self):
        code, out, err = quietly(
            qs.main,
            [
                "deploy-commands",
                "--account-id",
                "210987654321",
                "--region",
                "sa-east-1",
                "--principal-arn",
                "arn:aws:quicksight:us-east-1:210987654321:group/default/analysts",
                "--role-arn",
                "arn:aws:iam::210987654321:role/cinelake-QuickSightAthenaRole-X1",
            ],
        )
        self.assertEqual(code, 0, err)
        self.assertIn('"RoleArn":"arn:aws:iam::210987654321:role/cinelake-QuickSightAthenaRole-X1"', out)
        self.assertEqual(out.count("aws quicksight create-data-source "), 1)
        self.assertEqual(out.count("aws quicksight create-data-set "), VIEW_COUNT)
        self.assertEqual(out.count("aws quicksight create-dashboard "), 1)
        self.assertIn("210987654321", out)
        self.assertIn("group/default/analysts", out)
        for placeholder in qs.PLACEHOLDERS:
            self.assertNotIn("${" + placeholder + "}", out)


if __name__ == "__main__":
    unittest.main()
