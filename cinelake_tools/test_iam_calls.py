"""The IAM check, offline: the requests recorded in infra/iam/fixture/ (a real run of
iam_check against moto, trimmed: `iam_check --save infra/iam/fixture`) against the real
template, and against broken copies of it, which must fail both ways.

    .venv/bin/python -m pytest cinelake_tools/test_iam_calls.py
"""

import json
import shutil
import tempfile
import unittest
from pathlib import Path

from cinelake_tools import iam_calls, iam_check
from cinelake_tools.common import ROOT
from cinelake_tools.iam_calls import Call

TEMPLATE = ROOT / "infra/template.yaml"
UPLOADER = ROOT / "infra/policies/uploader.json"
FIXTURE = ROOT / "infra/iam/fixture"


def request(method, url, body=b"", **headers):
    line = json.dumps(
        {
            "method": method,
            "url": f"http://moto{url}",
            "headers": headers,
            "body": body.decode() if isinstance(body, bytes) else body,
            "body_encoded": False,
        }
    )
    (req,) = iam_calls.parse_recording(line)
    return req


def actions(calls):
    return sorted((c.action, c.resource, tuple(sorted(c.context.items()))) for c in calls)


class TheRecordedRunAgainstTheTemplate(unittest.TestCase):
    def setUp(self):
        self.recordings, self.facts, self.params = iam_check.load(FIXTURE)
        self.tmp = Path(tempfile.mkdtemp(prefix="cinelake-iam-"))

    def tearDown(self):
        shutil.rmtree(self.tmp)

    def broken(self, source, old, new):
        text = source.read_text()
        self.assertIn(old, text, f"{source} no longer contains {old!r}; update the test")
        target = self.tmp / source.name
        target.write_text(text.replace(old, new, 1))
        return target

    def all_findings(self, template=TEMPLATE, uploader=UPLOADER):
        findings, _, _ = iam_check.evaluate(template, self.recordings, self.facts, self.params, uploader)
        return [str(f) for f in findings]

    def findings(self, template=TEMPLATE, uploader=UPLOADER):
        """What a broken copy finds beyond what the real files find (nothing, when the
        test above passes)."""
        real = set(self.all_findings())
        return [f for f in self.all_findings(template, uploader) if f not in real]

    def test_every_call_is_allowed_and_every_grant_used(self):
        self.assertEqual(self.all_findings(), [])

    def test_the_missing_keys_read_are_the_uploads_the_first_checkpoint_and_new_csv_versions(self):
        _, misses, _ = iam_check.evaluate(TEMPLATE, self.recordings, self.facts, self.params)
        missed = {p: sorted(k.split("/")[-1] for _, k in m) for p, m in misses.items()}
        self.assertEqual(missed[iam_check.UPLOADER], ["movies.csv", "series.csv"])
        self.assertEqual(missed[iam_check.INGEST], ["snapshot.json"])
        # The Polars CSV job's HeadObject of its new version's file before it uploads it
        # (an upload skips a file already there): trusted four times in the jobs Lambda,
        # and once on Athena, where the stand-in writes those rows as Athena would (moto
        # runs no SQL); once in `cinelake run`.
        for principal, runs in ((iam_check.JOBS, 5), (iam_check.RUN, 1)):
            keys = [k for _, k in misses[principal]]
            self.assertEqual(len(keys), 2 * runs, keys)
            for k in keys:
                self.assertRegex(k, r"^Trusted/Local/Parquet/(Movies|Series)/[^/]+/part-00000\.parquet$")

    def test_a_grant_removed_leaves_a_call_not_allowed(self):
        # The ingest role without s3:DeleteObject on Raw/TMDB/: the lease and the
        # checkpoint's batches are deleted.
        t = self.broken(
            TEMPLATE,
            "                  - s3:PutObject\n                  - s3:DeleteObject\n"
            '                Resource: !Sub "${LakeBucket.Arn}/Raw/TMDB/*"',
            '                  - s3:PutObject\n                Resource: !Sub "${LakeBucket.Arn}/Raw/TMDB/*"',
        )
        found = self.findings(t)
        self.assertTrue(found)
        for f in found:
            self.assertRegex(
                f,
                r"^(IngestFunction|cinelake run): not allowed: DELETE /\S+/Raw/TMDB/_state/\S+: "
                r"s3:DeleteObject on arn:aws:s3:::\S+ is not allowed by (IngestRole|the union of)",
            )
        self.assertTrue(any(f.startswith("IngestFunction: ") for f in found), found)

    def test_a_narrowed_list_prefix_leaves_a_listing_not_allowed(self):
        t = self.broken(TEMPLATE, "                      - Raw/TMDB/JSON/*\n", "")
        found = self.findings(t)
        self.assertTrue(
            any(
                f.startswith("JobsFunction: not allowed: GET /")
                and "list-type=2" in f
                and "s3:ListBucket" in f
                and "[s3:prefix='Raw/TMDB/JSON/" in f
                for f in found
            ),
            found,
        )

    def test_what_athena_does_for_us_is_checked_too(self):
        # Athena writes the results with the caller's credentials: no recorded request
        # shows it, and the role must allow it all the same.
        t = self.broken(TEMPLATE, "                  - s3:ListMultipartUploadParts\n", "")
        found = self.findings(t)
        self.assertTrue(found)
        for f in found:
            self.assertRegex(
                f,
                r"^(JobsFunction|cinelake run): not allowed: POST AmazonAthena.StartQueryExecution "
                r"in \S+: s3:ListMultipartUploadParts on arn:aws:s3:::\S+/athena-results/\S+ "
                r"\(what Athena does for us\) is not allowed by ",
            )

    def test_an_extra_action_is_granted_but_unused(self):
        t = self.broken(
            TEMPLATE,
            "                  - glue:CreateTable\n",
            "                  - glue:CreateTable\n                  - glue:BatchDeleteTable\n",
        )
        found = self.findings(t)
        self.assertEqual(len(found), 1, found)
        self.assertRegex(
            found[0],
            r"^JobsFunction: unused: JobsRole \w+: glue:BatchDeleteTable is granted, "
            r"and no call uses it",
        )

    # The Athena engine (trusted with "engine": "athena"), both ways.

    def test_the_recorded_run_holds_the_athena_engines_statements(self):
        requests = iam_calls.parse_recording(self.recordings[iam_check.JOBS])
        sql = [r.json()["QueryString"] for r in requests if r.target == "AmazonAthena.StartQueryExecution"]
        kinds = {
            "external table": sum(s.startswith("CREATE EXTERNAL TABLE") for s in sql),
            "ctas": sum(s.startswith("CREATE TABLE ") for s in sql),
            "drop": sum(s.startswith("DROP TABLE IF EXISTS ") for s in sql),
        }
        # Trusted's two CSV jobs (two drops each), then trusted giving up on its first
        # statement, the external table's CREATE, whose table is dropped all the same
        # (a CREATE given up on may have made it).
        self.assertEqual(kinds, {"external table": 2 + 1, "ctas": 2, "drop": 4 + 1})
        self.assertTrue(any(r.target == "AmazonAthena.GetQueryResults" for r in requests))

    def test_the_engine_runs_in_its_workgroup_and_the_views_in_the_analysts(self):
        template = iam_calls.Template(TEMPLATE, self.params, stack=self.facts["stack"])
        engine, analysts = template.physical("EngineWorkGroup"), template.physical("AthenaWorkGroup")
        self.assertEqual(engine, f"{self.facts['stack']}-engine")
        self.assertEqual(template.workgroups()[engine][1], False)
        self.assertEqual(template.workgroups()[analysts][1], True)
        requests = iam_calls.parse_recording(self.recordings[iam_check.JOBS])
        started = [r.json() for r in requests if r.target == "AmazonAthena.StartQueryExecution"]
        for body in started:
            sql = body["QueryString"]
            wanted = analysts if sql.startswith("CREATE OR REPLACE VIEW") else engine
            self.assertEqual(body["WorkGroup"], wanted, sql[:80])
            # The workgroups' own result locations: the function names none.
            self.assertNotIn("ResultConfiguration", body)
        self.assertTrue(any(b["WorkGroup"] == engine for b in started))
        self.assertTrue(any(b["WorkGroup"] == analysts for b in started))
        # Each workgroup saw a statement stopped (a client with a timeout of 0).
        stopped = {
            self.facts["query_workgroups"][r.json()["QueryExecutionId"]]
            for r in requests
            if r.target == "AmazonAthena.StopQueryExecution"
        }
        self.assertEqual(stopped, {engine, analysts})

    def test_the_engine_without_its_workgroups_grants_is_not_allowed(self):
        t = self.broken(TEMPLATE, ":workgroup/${EngineWorkGroup}", ":workgroup/${AthenaWorkGroup}")
        found = self.findings(t)
        engine = f"{self.facts['stack']}-engine"
        self.assertTrue(found)
        for f in found:
            self.assertRegex(
                f,
                r"^JobsFunction: (not allowed: POST AmazonAthena\.\w+: athena:\w+ on "
                rf"arn:aws:athena:\S+:workgroup/{engine} is not allowed by JobsRole"
                r"|unused: JobsRole AthenaEngineInItsWorkgroup: athena:GetQueryResults on "
                r"arn:aws:athena:\S+:workgroup/\S+: granted, and no call uses it)$",
            )
        for action in ("StartQueryExecution", "GetQueryExecution", "GetQueryResults", "StopQueryExecution"):
            self.assertTrue(
                any(f"athena:{action} on arn:aws:athena:" in f and "not allowed" in f for f in found), (action, found)
            )

    def test_a_template_without_athenas_default_database_grant_is_not_allowed(self):
        # Athena's documentation: every caller needs GetDatabase and CreateDatabase on the
        # catalog and `default`. No recorded request shows it; the check requires it.
        start = "              - Sid: AthenaDefaultDatabase\n"
        text = TEMPLATE.read_text()
        self.assertIn(start, text)
        block = text[text.index(start) : text.index("              # Only Trusted has a partitioned")]
        found = self.findings(self.broken(TEMPLATE, block, ""))
        self.assertTrue(found)
        for f in found:
            self.assertRegex(
                f,
                r"^(JobsFunction|cinelake run): not allowed: POST AmazonAthena.StartQueryExecution "
                r"in \S+: glue:(GetDatabase|CreateDatabase) on arn:aws:glue:us-east-1:123456789012:"
                r"(catalog|database/default) \(what Athena does for us\) is not allowed by ",
            )
        for action, resource in (
            ("GetDatabase", "database/default"),
            ("CreateDatabase", "database/default"),
            ("CreateDatabase", "catalog"),
        ):
            self.assertTrue(
                any(
                    f.startswith("JobsFunction: ")
                    and f"glue:{action} on arn:aws:glue:us-east-1:123456789012:{resource} " in f
                    for f in found
                ),
                (action, resource, found),
            )

    def test_partition_reads_granted_where_athena_reads_no_partitioned_table_are_unused(self):
        # A read of a partitioned table on Athena needs GetPartition and BatchGetPartition
        # too (the Cloud Intelligence Dashboards framework's issue 705), which the mapping
        # test shows; no statement here reads one, so granting them is unused.
        line = "                  - glue:GetPartitions\n"
        found = self.findings(
            self.broken(
                TEMPLATE,
                line,
                line + "                  - glue:GetPartition\n                  - glue:BatchGetPartition\n",
            )
        )
        self.assertEqual(
            sorted(found),
            [
                f"JobsFunction: unused: JobsRole GluePartitionsOfTrusted: glue:{action} is granted, and no call "
                "uses it (on any of 3 resources and conditions)"
                for action in ("BatchGetPartition", "GetPartition")
            ],
        )

    def test_no_view_and_no_trusted_statement_on_athena_reads_a_partitioned_table(self):
        # Why the views (and QuickSight, which reads them) need no partition grant: every
        # table a view reads is a view or an unpartitioned Refined table, as the recorded
        # run registered it; trusted's statements read only their external table, which
        # raw_csv_table.sql creates without partitions.
        catalog = iam_calls.Catalog()
        for principal in (iam_check.UPLOADER, iam_check.INGEST, iam_check.JOBS, iam_check.RUN):
            for req in iam_calls.parse_recording(self.recordings[principal]):
                catalog.follow(req)
        refined = f"{self.params['DatabasePrefix']}_refined"
        views = {p.stem: p.read_text() for p in (ROOT / "sql/views").glob("*.sql")}
        self.assertTrue(views)
        for view, sql in sorted(views.items()):
            for db, table in iam_calls.tables_read(sql):
                with self.subTest(view=view, table=table):
                    self.assertIsNone(db, "a view reads its own database")
                    if table in views:
                        continue
                    known = catalog.get(refined, table)
                    self.assertIsNotNone(known, f"{view} reads {table}, which no recorded run registered")
                    self.assertFalse(
                        known.partitioned,
                        f"{view} reads the partitioned {table}: Athena needs "
                        f"{iam_calls.ATHENA_READ_PARTITIONS_ACTIONS} on it",
                    )
        trusted = ROOT / "sql/trusted"
        self.assertNotRegex((trusted / "raw_csv_table.sql").read_text(), r"(?i)\bPARTITIONED\s+BY\b")
        # The SELECTs include checked_lines.sql; the columns (filled in by the Rust side
        # from the mapping) stand in as one field here.
        checked = (trusted / "checked_lines.sql").read_text()
        for placeholder, stand_in in (
            ("${raw_table}", "t.raw_table"),
            ("${fields}", "element_at(f, 1) AS a"),
            ("${field_count}", "1"),
            ("${checks}", "CAST(NULL AS varchar)"),
        ):
            checked = checked.replace(placeholder, stand_in)
        for name in ("accepted", "rejects"):
            sql = (trusted / f"{name}.sql").read_text().replace("${checked_lines}", checked)
            sql = sql.replace("${typed_columns}", "a")
            self.assertEqual(iam_calls.tables_read(sql), [("t", "raw_table")], name)

    def test_a_grant_of_get_query_results_to_the_views_is_unused(self):
        t = self.broken(
            TEMPLATE,
            "              - Sid: AthenaViewsInTheWorkgroup\n                Effect: Allow\n                Action:\n",
            "              - Sid: AthenaViewsInTheWorkgroup\n                Effect: Allow\n"
            "                Action:\n                  - athena:GetQueryResults\n",
        )
        self.assertEqual(
            self.findings(t),
            [
                "JobsFunction: unused: JobsRole AthenaViewsInTheWorkgroup: athena:GetQueryResults on "
                f"arn:aws:athena:us-east-1:123456789012:workgroup/{self.params['AthenaWorkGroupName']}: "
                "granted, and no call uses it"
            ],
        )

    def test_the_athena_engine_without_get_query_results_is_not_allowed(self):
        t = self.broken(TEMPLATE, "                  - athena:GetQueryResults\n", "")
        found = self.findings(t)
        self.assertTrue(found)
        for f in found:
            self.assertRegex(
                f,
                r"^JobsFunction: not allowed: POST AmazonAthena.GetQueryResults: "
                r"athena:GetQueryResults on arn:aws:athena:\S+:workgroup/\S+ "
                r"is not allowed by JobsRole$",
            )

    def test_a_temporary_table_athena_cannot_drop_is_not_allowed(self):
        line = (
            '                  - !Sub "arn:${AWS::Partition}:glue:${AWS::Region}:${AWS::AccountId}:'
            'table/${TrustedDatabase}/raw_series__*"\n'
        )
        found = self.findings(self.broken(TEMPLATE, line, ""))
        self.assertTrue(found)
        for f in found:
            self.assertRegex(
                f,
                r"^JobsFunction: not allowed: POST AmazonAthena.StartQueryExecution in \S+: "
                r"glue:DeleteTable on arn:aws:glue:us-east-1:123456789012:table/\w+/raw_series__\w+ "
                r"\(what Athena does for us\) is not allowed by JobsRole$",
            )

    def test_a_temporary_table_pattern_no_run_drops_is_unused(self):
        line = (
            '                  - !Sub "arn:${AWS::Partition}:glue:${AWS::Region}:${AWS::AccountId}:'
            'table/${TrustedDatabase}/raw_series__*"\n'
        )
        extra = line.replace("raw_series__*", "tmdb_movies__ctas_*")
        self.assertEqual(
            self.findings(self.broken(TEMPLATE, line, line + extra)),
            [
                "JobsFunction: unused: JobsRole GlueDropTemporaryTables: glue:DeleteTable on "
                "arn:aws:glue:us-east-1:123456789012:table/"
                f"{self.params['DatabasePrefix']}_trusted/tmdb_movies__ctas_*: "
                "granted, and no call uses it"
            ],
        )

    def test_an_extra_prefix_is_granted_but_unused(self):
        t = self.broken(
            TEMPLATE,
            "                      - Raw/TMDB/*\n",
            "                      - Raw/TMDB/*\n                      - Trusted/*\n",
        )
        self.assertEqual(
            self.findings(t),
            [
                "IngestFunction: unused: IngestRole ListIngestPrefixes: s3:ListBucket on "
                f"arn:aws:s3:::{self.params['LakeBucketName']} if StringLike s3:prefix 'Trusted/*': "
                "granted, and no call uses it"
            ],
        )

    # QuickSight's data source role: its calls derived from the data sets and the tables
    # their views read, checked both ways as a function's are.

    def quicksight_calls(self, views=iam_check.VIEWS):
        template = iam_calls.Template(TEMPLATE, self.params, stack=self.facts["stack"])
        catalog = iam_calls.Catalog()
        for principal in (iam_check.UPLOADER, iam_check.INGEST, iam_check.JOBS, iam_check.RUN):
            for req in iam_calls.parse_recording(self.recordings[principal]):
                catalog.follow(req)
        role, workgroup, data_sets = iam_check.quicksight_data_source(template)
        for path in Path(views).glob("*.sql"):
            catalog.put_view(template.physical("RefinedDatabase"), path.stem, path.read_text())
        return role, iam_calls.what_quicksight_does(
            iam_check.QUICKSIGHT, data_sets, workgroup, template.workgroups(), catalog
        )

    def test_quicksight_reads_the_refined_tables_its_views_read_and_nothing_else(self):
        role, calls = self.quicksight_calls()
        self.assertEqual(role, "QuickSightAthenaRole")
        refined = f"{self.params['DatabasePrefix']}_refined"
        read = {
            c.resource.rsplit("/", 1)[-1]
            for c in calls
            if c.action == "glue:GetTable" and f":table/{refined}/" in c.resource
        }
        # One data set per view; a view's tables read in its place (v_popularity_over_time
        # reads fact_film_snapshot, and v_film_country, which reads dim_country).
        views = {p.stem for p in (ROOT / "sql/views").glob("*.sql")}
        self.assertLessEqual(views, read)
        self.assertLessEqual({"fact_film", "fact_film_snapshot", "dim_country", "data_sources"}, read)
        for c in calls:
            self.assertNotRegex(c.resource, r"_trusted|/Trusted/|/Raw/|athena-results/engine/", c.describe())
            self.assertNotRegex(c.action, r"Partition|Put(?!Object)|Delete|Update", c.describe())
        self.assertEqual([f for f in self.all_findings() if f.startswith(iam_check.QUICKSIGHT)], [])

    def test_quicksight_without_the_refined_data_is_not_allowed(self):
        t = self.broken(
            TEMPLATE,
            '                Resource: !Sub "${LakeBucket.Arn}/Refined/*"\n              # The workgroup\'s results',
            '                Resource: !Sub "${LakeBucket.Arn}/Trusted/*"\n              # The workgroup\'s results',
        )
        found = self.findings(t)
        self.assertTrue(
            any(
                f.startswith("QuickSight: not allowed: QuickSight data set over ")
                and "s3:GetObject on arn:aws:s3:::" in f
                and "/Refined/fact_film/" in f
                and "is not allowed by QuickSightAthenaRole" in f
                for f in found
            ),
            found,
        )
        self.assertIn(
            "QuickSight: unused: QuickSightAthenaRole QuickSightReadsRefined: s3:GetObject on "
            f"arn:aws:s3:::{self.params['LakeBucketName']}/Trusted/*: granted, and no call uses it",
            found,
        )

    def test_a_quicksight_grant_beyond_the_views_tables_is_unused(self):
        line = (
            '                  - !Sub "arn:${AWS::Partition}:glue:${AWS::Region}:${AWS::AccountId}:'
            "table/${RefinedDatabase}/*\"\n              # What Athena's documentation asks"
        )
        wider = line.replace(
            'table/${RefinedDatabase}/*"\n',
            'table/${RefinedDatabase}/*"\n                  - !Sub "arn:${AWS::Partition}:'
            'glue:${AWS::Region}:${AWS::AccountId}:table/${TrustedDatabase}/*"\n',
        )
        found = self.findings(self.broken(TEMPLATE, line, wider))
        trusted = f"{self.params['DatabasePrefix']}_trusted"
        self.assertEqual(
            found,
            [
                f"QuickSight: unused: QuickSightAthenaRole QuickSightGlueReadsRefined: glue:GetTable on "
                f"arn:aws:glue:us-east-1:123456789012:table/{trusted}/*: granted, and no call uses it",
            ],
        )

    def test_a_view_over_a_trusted_table_would_need_more_of_quicksight(self):
        # The role follows the views: one that joins Trusted's movies asks QuickSight for
        # Glue and S3 reads of Trusted, which the role does not grant.
        views = self.tmp / "views"
        shutil.copytree(ROOT / "sql/views", views)
        path = views / "v_top_profits.sql"
        text = path.read_text()
        old = "JOIN dim_film d ON d.film_id = f.film_id\n"
        self.assertIn(old, text)
        trusted = f"{self.params['DatabasePrefix']}_trusted"
        path.write_text(text.replace(old, old + f"JOIN {trusted}.movies m ON m.id = f.film_id\n"))
        role, calls = self.quicksight_calls(views)
        template = iam_calls.Template(TEMPLATE, self.params, stack=self.facts["stack"])
        found = [str(f) for f in iam_calls.check(iam_check.QUICKSIGHT, template.role_statements(role), calls)]
        self.assertTrue(
            any(f"glue:GetTable on arn:aws:glue:us-east-1:123456789012:table/{trusted}/movies " in f for f in found),
            found,
        )
        self.assertTrue(
            any("s3:GetObject on arn:aws:s3:::" in f and "/Trusted/Local/Parquet/Movies/" in f for f in found), found
        )

    def test_the_uploader_policy_is_checked_both_ways(self):
        narrow = self.broken(
            UPLOADER,
            '"Resource": "arn:aws:s3:::${LakeBucketName}/_runs/upload/*"',
            '"Resource": "arn:aws:s3:::${LakeBucketName}/_runs/other/*"',
        )
        found = self.findings(uploader=narrow)
        self.assertTrue(
            any(f.startswith("cinelake upload: not allowed: PUT /") and "_runs/upload/" in f for f in found), found
        )
        # `cinelake run` is checked against the roles and the uploader's grants together.
        self.assertTrue(
            any(f.startswith("cinelake run: not allowed: PUT /") and "_runs/upload/" in f for f in found), found
        )
        wide = self.broken(UPLOADER, '"s3:AbortMultipartUpload"', '"s3:AbortMultipartUpload", "s3:DeleteObject"')
        self.assertEqual(len([f for f in self.findings(uploader=wide) if "s3:DeleteObject" in f]), 1)


class Mapping(unittest.TestCase):
    def test_s3_requests(self):
        cases = [
            (
                request("GET", "/b?list-type=2&prefix=Raw%2FTMDB%2F&x-id=ListObjectsV2"),
                [("s3:ListBucket", "arn:aws:s3:::b", (("s3:prefix", "Raw/TMDB/"),))],
            ),
            (request("HEAD", "/b/Raw/a%20b.csv"), [("s3:GetObject", "arn:aws:s3:::b/Raw/a b.csv", ())]),
            (request("GET", "/b/k?x-id=GetObject"), [("s3:GetObject", "arn:aws:s3:::b/k", ())]),
            (request("PUT", "/b/k?x-id=PutObject"), [("s3:PutObject", "arn:aws:s3:::b/k", ())]),
            (request("POST", "/b/k?uploads&x-id=CreateMultipartUpload"), [("s3:PutObject", "arn:aws:s3:::b/k", ())]),
            (
                request("PUT", "/b/k?partNumber=2&uploadId=u&x-id=UploadPart"),
                [("s3:PutObject", "arn:aws:s3:::b/k", ())],
            ),
            (
                request("POST", "/b/k?uploadId=u&x-id=CompleteMultipartUpload"),
                [("s3:PutObject", "arn:aws:s3:::b/k", ())],
            ),
            (
                request("DELETE", "/b/k?uploadId=u&x-id=AbortMultipartUpload"),
                [("s3:AbortMultipartUpload", "arn:aws:s3:::b/k", ())],
            ),
            (request("DELETE", "/b/k?x-id=DeleteObject"), [("s3:DeleteObject", "arn:aws:s3:::b/k", ())]),
            (
                request("PUT", "/b/to", **{"x-amz-copy-source": "/b/from%2Fx"}),
                sorted([("s3:PutObject", "arn:aws:s3:::b/to", ()), ("s3:GetObject", "arn:aws:s3:::b/from/x", ())]),
            ),
            (
                request(
                    "POST",
                    "/b?delete",
                    b"<Delete><Object><Key>a</Key></Object><Object><Key>c/d</Key></Object></Delete>",
                ),
                [("s3:DeleteObject", "arn:aws:s3:::b/a", ()), ("s3:DeleteObject", "arn:aws:s3:::b/c/d", ())],
            ),
        ]
        for req, expected in cases:
            with self.subTest(req.describe()):
                self.assertEqual(actions(iam_calls.request_calls("p", req)), sorted(expected))

    def test_an_unknown_request_is_refused_not_guessed(self):
        with self.assertRaises(iam_calls.Unmapped):
            iam_calls.request_calls("p", request("PUT", "/b/k?tagging"))
        with self.assertRaises(iam_calls.Unmapped):
            iam_calls.request_calls("p", request("POST", "/", "{}", **{"X-Amz-Target": "AWSGlue.DeleteConnection"}))

    def test_a_glue_call_needs_the_catalog_the_database_and_the_table(self):
        req = request(
            "POST", "/", json.dumps({"DatabaseName": "d", "Name": "t"}), **{"X-Amz-Target": "AWSGlue.GetTable"}
        )
        self.assertEqual(
            actions(iam_calls.request_calls("p", req)),
            [
                ("glue:GetTable", "arn:aws:glue:us-east-1:123456789012:catalog", ()),
                ("glue:GetTable", "arn:aws:glue:us-east-1:123456789012:database/d", ()),
                ("glue:GetTable", "arn:aws:glue:us-east-1:123456789012:table/d/t", ()),
            ],
        )

    def test_an_athena_call_by_id_is_on_the_querys_workgroup(self):
        req = request(
            "POST", "/", json.dumps({"QueryExecutionId": "q1"}), **{"X-Amz-Target": "AmazonAthena.StopQueryExecution"}
        )
        (call,) = iam_calls.request_calls("p", req, {"query_workgroups": {"q1": "wg"}})
        self.assertEqual(
            (call.action, call.resource),
            ("athena:StopQueryExecution", "arn:aws:athena:us-east-1:123456789012:workgroup/wg"),
        )

    def test_what_athena_does_for_a_view(self):
        sql = (
            "CREATE OR REPLACE VIEW v AS\n-- a comment FROM nowhere\nWITH x AS (SELECT * FROM fact_film),\n"
            "y AS (SELECT 1 AS one)\nSELECT * FROM x JOIN dim_film d ON true JOIN other.t ON true"
        )
        req = request(
            "POST",
            "/",
            json.dumps(
                {
                    "QueryString": sql,
                    "WorkGroup": "wg",
                    "QueryExecutionContext": {"Database": "db"},
                    "ResultConfiguration": {"OutputLocation": "s3://client/elsewhere/"},
                }
            ),
            **{"X-Amz-Target": "AmazonAthena.StartQueryExecution"},
        )
        calls = iam_calls.what_athena_does("p", req, {"wg": ("s3://lake/athena-results/", True)})
        got = {(c.action, c.resource.rsplit(":", 1)[-1]) for c in calls}
        # The workgroup's location wins: its configuration is enforced.
        self.assertIn(("s3:PutObject", "lake/athena-results/<query-execution-id>.txt"), got)
        self.assertIn(("s3:GetBucketLocation", "lake"), got)
        self.assertNotIn(("s3:GetBucketLocation", "client"), got)
        for action in ("glue:GetTable", "glue:CreateTable", "glue:UpdateTable"):
            self.assertIn((action, "table/db/v"), got)
        for table in ("table/db/fact_film", "table/db/dim_film", "table/other/t"):
            self.assertIn(("glue:GetTable", table), got)
        self.assertFalse(any(r.endswith(("/x", "/y", "/nowhere")) for _, r in got), got)
        self.assertTrue(all(c.source == iam_calls.WHAT_ATHENA_DOES for c in calls))

    def test_a_select_over_a_view_reads_the_views_tables(self):
        catalog = iam_calls.Catalog()
        catalog.put("db", "t", "s3://lake/T/t/")
        catalog.put("other", "u", "s3://lake/U/u/")
        # A view created by Athena is kept in the catalog with its SELECT; a view over it
        # is expanded in turn, each name in its own view's database.
        self.athena("CREATE OR REPLACE VIEW v AS SELECT * FROM t JOIN other.u ON true", catalog)
        catalog.put_view("db", "w", "SELECT * FROM v")
        got = self.athena("SELECT * FROM db.w", catalog, "elsewhere")
        for table in ("table/db/w", "table/db/v", "table/db/t", "table/other/u"):
            self.assertIn(("glue:GetTable", table, ()), got)
        self.assertIn(("s3:GetObject", "lake/T/t/<data-file>", ()), got)
        self.assertIn(("s3:GetObject", "lake/U/u/<data-file>", ()), got)
        self.assertFalse(any(r.startswith("table/elsewhere/") for _, r, _ in got), got)
        catalog.put_view("db", "loop", "SELECT * FROM loop")
        with self.assertRaises(iam_calls.Unmapped):
            self.athena("SELECT * FROM loop", catalog)

    def test_every_statement_needs_athenas_default_database(self):
        catalog = iam_calls.Catalog()
        catalog.put("db", "t", "s3://lake/T/t/")
        for sql in (
            "SELECT count(*) FROM t",
            "CREATE OR REPLACE VIEW v AS SELECT * FROM t",
            "DROP TABLE IF EXISTS db.gone",
        ):
            with self.subTest(sql):
                got = self.athena(sql, catalog)
                for action in ("glue:GetDatabase", "glue:CreateDatabase"):
                    self.assertIn((action, "catalog", ()), got)
                    self.assertIn((action, "database/default", ()), got)
                # CreateDatabase on `default` only: never on the statement's own database.
                self.assertNotIn(("glue:CreateDatabase", "database/db", ()), got)

    def athena(self, sql, catalog, database="db"):
        req = request(
            "POST",
            "/",
            json.dumps(
                {
                    "QueryString": sql,
                    "WorkGroup": "wg",
                    "QueryExecutionContext": {"Database": database},
                }
            ),
            **{"X-Amz-Target": "AmazonAthena.StartQueryExecution"},
        )
        calls = iam_calls.what_athena_does("p", req, {"wg": ("s3://lake/athena-results/", True)}, catalog)
        self.assertTrue(all(c.source == iam_calls.WHAT_ATHENA_DOES for c in calls))
        return {(c.action, c.resource.rsplit(":", 1)[-1], tuple(sorted(c.context.items()))) for c in calls}

    def test_what_athena_does_for_the_athena_engines_statements(self):
        catalog = iam_calls.Catalog()
        catalog.follow(
            request(
                "POST",
                "/",
                json.dumps(
                    {
                        "DatabaseName": "t",
                        "TableInput": {
                            "Name": "tmdb",
                            "PartitionKeys": [{"Name": "dt"}],
                            "StorageDescriptor": {"Location": "s3://lake/T/tmdb/"},
                        },
                    }
                ),
                **{"X-Amz-Target": "AWSGlue.CreateTable"},
            )
        )
        for dt in ("2026-01-01", "2026-02-01"):
            catalog.follow(
                request(
                    "POST",
                    "/",
                    json.dumps(
                        {
                            "DatabaseName": "t",
                            "TableName": "tmdb",
                            "PartitionInput": {
                                "Values": [dt],
                                "StorageDescriptor": {"Location": f"s3://lake/T/tmdb/dt={dt}/r1/"},
                            },
                        }
                    ),
                    **{"X-Amz-Target": "AWSGlue.CreatePartition"},
                )
            )
        # An external table over a Raw folder: created, nothing read.
        got = self.athena(
            "CREATE EXTERNAL TABLE t.raw_m__r (line string)\nROW FORMAT SERDE 'x'\n"
            "LOCATION 's3://lake/Raw/m/'\nTBLPROPERTIES ('skip.header.line.count' = '1')",
            catalog,
            "t",
        )
        self.assertLessEqual(
            {
                ("glue:GetDatabase", "database/t", ()),
                ("glue:GetTable", "table/t/raw_m__r", ()),
                ("glue:CreateTable", "table/t/raw_m__r", ()),
            },
            got,
        )
        self.assertFalse(any(a == "s3:GetObject" and "Raw" in r for a, r, _ in got), got)
        # A SELECT over it reads its folder.
        got = self.athena("WITH x AS (SELECT line FROM t.raw_m__r) SELECT count(*) AS n FROM x", catalog, "t")
        self.assertLessEqual(
            {
                ("glue:GetTable", "table/t/raw_m__r", ()),
                ("s3:GetBucketLocation", "lake", ()),
                ("s3:ListBucket", "lake", (("s3:prefix", "Raw/m/"),)),
                ("s3:GetObject", "lake/Raw/m/<data-file>", ()),
            },
            got,
        )
        # A CTAS reading a partitioned table (each partition's folder) into an empty version.
        got = self.athena(
            "CREATE TABLE r.f__ctas_r\nWITH (format = 'PARQUET', external_location = "
            "'s3://lake/R/f/r/')\nAS\nSELECT * FROM t.tmdb AS a\nCROSS JOIN UNNEST(a.g) AS g(x)\n"
            "JOIN t.raw_m__r AS b ON a.y IS NOT DISTINCT FROM b.line",
            catalog,
            "r",
        )
        self.assertLessEqual(
            {
                ("glue:GetDatabase", "database/r", ()),
                ("glue:GetTable", "table/r/f__ctas_r", ()),
                ("glue:CreateTable", "table/r/f__ctas_r", ()),
                ("glue:GetPartitions", "table/t/tmdb", ()),
                ("glue:GetPartition", "table/t/tmdb", ()),
                ("glue:GetPartition", "catalog", ()),
                ("glue:BatchGetPartition", "table/t/tmdb", ()),
                ("s3:ListBucket", "lake", (("s3:prefix", "T/tmdb/dt=2026-02-01/r1/"),)),
                ("s3:GetObject", "lake/T/tmdb/dt=2026-01-01/r1/<data-file>", ()),
                ("s3:ListBucket", "lake", (("s3:prefix", "R/f/r/"),)),
                ("s3:PutObject", "lake/R/f/r/<data-file>", ()),
            },
            got,
        )
        self.assertFalse(any(r.endswith(("/UNNEST", "/b", "/g")) for _, r, _ in got), got)
        # The unpartitioned table it joins needs no partition action.
        self.assertFalse(
            any(
                a.startswith(("glue:GetPartition", "glue:BatchGetPartition")) and r.endswith("/raw_m__r")
                for a, r, _ in got
            ),
            got,
        )
        self.assertFalse(any(a in ("s3:DeleteObject", "glue:DeleteTable") for a, _, _ in got), got)
        # Its count reads the new version.
        got = self.athena("SELECT count(*) AS n FROM r.f__ctas_r", catalog, "r")
        self.assertIn(("s3:GetObject", "lake/R/f/r/<data-file>", ()), got)
        # DROP TABLE deletes a table that exists, and only looks one up that does not.
        got = self.athena("DROP TABLE IF EXISTS r.f__ctas_r", catalog, "r")
        self.assertLessEqual(
            {
                ("glue:GetTable", "table/r/f__ctas_r", ()),
                ("glue:DeleteTable", "table/r/f__ctas_r", ()),
                ("glue:DeleteTable", "database/r", ()),
                ("glue:DeleteTable", "catalog", ()),
            },
            got,
        )
        got = self.athena("DROP TABLE IF EXISTS r.f__ctas_r", catalog, "r")
        self.assertFalse(any(a == "glue:DeleteTable" for a, _, _ in got), got)
        # Reading a table the catalog does not hold, a partitioned DROP, another statement:
        # refused, not guessed.
        for sql in (
            "SELECT count(*) FROM r.f__ctas_r",
            "DROP TABLE IF EXISTS t.tmdb",
            "INSERT INTO t.raw_m__r SELECT 1",
            "CREATE TABLE r.x AS SELECT 1",
        ):
            with self.subTest(sql), self.assertRaises(iam_calls.Unmapped):
                self.athena(sql, catalog, "r")

    def test_missing_keys_follow_the_writes_and_deletes(self):
        objects = iam_calls.Objects()
        seen = [
            objects.missing(r)
            for r in [
                request("HEAD", "/b/k"),
                request("PUT", "/b/k"),
                request("GET", "/b/k"),
                request("POST", "/b?delete", b"<Delete><Object><Key>k</Key></Object></Delete>"),
                request("GET", "/b/k"),
            ]
        ]
        self.assertEqual(seen, [("b", "k"), None, None, None, ("b", "k")])


class Evaluation(unittest.TestCase):
    STATEMENTS = [
        {
            "Sid": "List",
            "_role": "R",
            "Effect": "Allow",
            "Action": "s3:ListBucket",
            "Resource": "arn:aws:s3:::b",
            "Condition": {"StringLike": {"s3:prefix": ["Raw/*"]}},
        },
        {"Sid": "Get", "_role": "R", "Effect": "Allow", "Action": "s3:Get*", "Resource": "arn:aws:s3:::b/*"},
        {"Sid": "No", "_role": "R", "Effect": "Deny", "Action": "s3:*", "Resource": "arn:aws:s3:::b/secret/*"},
    ]

    def allowed(self, action, resource, **context):
        return iam_calls.allowed(self.STATEMENTS, Call("p", "r", action, resource, context))

    def test_conditions_wildcards_and_denies(self):
        self.assertTrue(self.allowed("s3:ListBucket", "arn:aws:s3:::b", **{"s3:prefix": "Raw/x"}))
        self.assertFalse(self.allowed("s3:ListBucket", "arn:aws:s3:::b", **{"s3:prefix": "Trusted/"}))
        # No prefix in the request: the condition's key is absent, so StringLike fails.
        self.assertFalse(self.allowed("s3:ListBucket", "arn:aws:s3:::b"))
        self.assertTrue(self.allowed("s3:GetObject", "arn:aws:s3:::b/a/b"))
        self.assertFalse(self.allowed("s3:GetObject", "arn:aws:s3:::b/secret/x"))
        self.assertFalse(self.allowed("s3:PutObject", "arn:aws:s3:::b/a"))


class TheTemplate(unittest.TestCase):
    def test_the_functions_environment_is_the_templates_substituted(self):
        t = iam_calls.Template(TEMPLATE, {"LakeBucketName": "lake", "DatabasePrefix": "p"})
        env = t.function_env("JobsFunction")
        self.assertEqual(env["CINELAKE_LAKE"], "s3://lake")
        self.assertEqual(env["CINELAKE_DATABASE_PREFIX"], "p")
        # The views in the analysts' workgroup, the Athena engine in its own; each
        # workgroup's result location, none of the client's.
        self.assertEqual(env["CINELAKE_ATHENA_WORKGROUP"], "cinelake")
        self.assertEqual(env["CINELAKE_ATHENA_ENGINE_WORKGROUP"], "cinelake-engine")
        self.assertNotIn("CINELAKE_ATHENA_OUTPUT", env)
        self.assertEqual(t.function_env("IngestFunction")["TMDB_API_KEY_SSM_PARAMETER"], "/cinelake/tmdb-api-key")
        self.assertEqual(
            t.workgroups(),
            {
                "cinelake": ("s3://lake/athena-results/", True),
                "cinelake-engine": ("s3://lake/athena-results/engine/", False),
            },
        )
        other = iam_calls.Template(TEMPLATE, {"LakeBucketName": "lake"}, stack="other")
        self.assertEqual(other.function_env("JobsFunction")["CINELAKE_ATHENA_ENGINE_WORKGROUP"], "other-engine")
        resources = {r for s in t.role_statements("JobsRole") for r in iam_calls._as_list(s["Resource"])}
        self.assertIn("arn:aws:glue:us-east-1:123456789012:database/p_refined", resources)
        # The KMS statement exists only with a customer key.
        self.assertFalse(any(s["Action"] == "kms:Decrypt" for s in t.role_statements("IngestRole")))
        with_key = iam_calls.Template(TEMPLATE, {"LakeBucketName": "lake", "TmdbApiKeyKmsKeyArn": "arn:k"})
        self.assertTrue(any(s["Action"] == "kms:Decrypt" for s in with_key.role_statements("IngestRole")))


if __name__ == "__main__":
    unittest.main()
