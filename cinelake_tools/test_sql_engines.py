"""The harness that checks sql/ as Athena reads it (cinelake_tools.sql_engines) must fail
when the SQL is wrong, or its passing means nothing: a copy of a real view that Trino
cannot parse fails step 1, and a copy whose rows differ from what Polars SQL returns
fails step 3.

    .venv/bin/python -m pytest cinelake_tools/test_sql_engines.py

No demo lake and no cinelake binary: the lake is a few rows written as Parquet by
DuckDB with a local catalog beside them, and "Polars SQL" is a stand-in `cinelake`
that answers `query --format json "SELECT * FROM <view>"` with rows given by the test
(worked out by hand from the fixture). scripts/test runs the harness over a real demo lake with
the real binary.
"""

import contextlib
import io
import json
import shutil
import sys
import tempfile
import textwrap
import unittest
from pathlib import Path

import duckdb

from cinelake_tools import sql_engines as se
from cinelake_tools.common import ROOT

# (name, [(column, Glue type)], rows); a film's imdb_votes decide whether it is a
# best film (>= 1000 and a rating).
TABLES = [
    (
        "fact_film",
        [
            ("film_id", "string"),
            ("release_year", "int"),
            ("imdb_rating", "double"),
            ("imdb_votes", "bigint"),
            ("tmdb_rating", "double"),
            ("tmdb_votes", "bigint"),
            ("popularity", "double"),
            ("budget", "bigint"),
            ("revenue", "bigint"),
            ("profit", "bigint"),
        ],
        [
            ("tt1", 2010, 7.5, 5000, 7.1, 300, 12.5, 2000000, 5000000, 3000000),
            ("tt2", 2005, 7.0, 1000, None, 0, 0.5, None, None, None),
            ("tt3", 1999, 8.0, 999, 6.4, 20, 1.25, 500000, 400000, -100000),
            ("tt4", 2020, None, 20000, 5.5, 10, 3.0, None, 9000, None),
        ],
    ),
    (
        "dim_film",
        [("film_id", "string"), ("title", "string"), ("release_year", "int")],
        [("tt1", "Cidade", 2010), ("tt2", "Terra", 2005), ("tt3", "Noite", 1999), ("tt4", "Verão", 2020)],
    ),
    (
        "bridge_film_country",
        [("film_id", "string"), ("country_code", "string")],
        [("tt1", "BR"), ("tt2", "US"), ("tt2", "BR"), ("tt3", "AR"), ("tt4", "US")],
    ),
    (
        "dim_country",
        [
            ("country_code", "string"),
            ("country_name", "string"),
            ("continent", "string"),
            ("is_south_america", "boolean"),
        ],
        [
            ("AR", "Argentina", "South America", True),
            ("BR", "Brazil", "South America", True),
            ("US", "United States of America", "North America", False),
        ],
    ),
]

BEST_FILMS = [
    {
        "film_id": "tt1",
        "title": "Cidade",
        "release_year": 2010,
        "imdb_rating": 7.5,
        "imdb_votes": 5000,
        "tmdb_rating": 7.1,
        "tmdb_votes": 300,
        "popularity": 12.5,
    },
    {
        "film_id": "tt2",
        "title": "Terra",
        "release_year": 2005,
        "imdb_rating": 7.0,
        "imdb_votes": 1000,
        "tmdb_rating": None,
        "tmdb_votes": 0,
        "popularity": 0.5,
    },
]
# Two best films; tt2 counts for the US and Brazil.
COUNTRY_SHARE_BEST = [
    {
        "country_code": "BR",
        "country_name": "Brazil",
        "continent": "South America",
        "is_south_america": True,
        "best_films": 2,
        "share": 1.0,
    },
    {
        "country_code": "US",
        "country_name": "United States of America",
        "continent": "North America",
        "is_south_america": False,
        "best_films": 1,
        "share": 0.5,
    },
]
TOP_PROFITS = [
    {
        "film_id": "tt1",
        "title": "Cidade",
        "release_year": 2010,
        "budget": 2000000,
        "revenue": 5000000,
        "profit": 3000000,
    },
    {"film_id": "tt3", "title": "Noite", "release_year": 1999, "budget": 500000, "revenue": 400000, "profit": -100000},
]

FAKE_CINELAKE = """\
#!{python}
# A stand-in for `cinelake query --format json SQL`: the rows in answers.json, for
# `SELECT *[, CAST(c AS VARCHAR) AS "c__as_text"...] FROM view`. As the real JSON
# output, a float that is not finite is null; its text is in a row's "__texts".
import json, re, sys
from pathlib import Path
args = sys.argv[1:]
assert args[0] == "query" and args[args.index("--format") + 1] == "json", args
answers = json.loads((Path(__file__).parent / "answers.json").read_text())
sql = args[-1]
m = re.fullmatch(r"SELECT \\*(.*) FROM (\\S+)", sql)
if not m or m.group(2) not in answers:
    sys.exit("no such table or view: " + sql)
texts = re.findall(r'CAST\\("([^"]+)" AS VARCHAR\\) AS "([^"]+)"', m.group(1))
rows = []
for row in answers[m.group(2)]:
    row = dict(row)
    given = row.pop("__texts", {{}})
    for column, alias in texts:
        value = row.get(column)
        row[alias] = given.get(column, None if value is None else str(value))
    rows.append(row)
print(json.dumps(rows))
"""


def make_lake(root, tables=TABLES, db="cinelake_refined"):
    """Parquet written by DuckDB and each table's local catalog entry, as the pipeline
    lays them out (crates/catalog/src/local.rs)."""
    con = duckdb.connect()
    for name, columns, rows in tables:
        folder = root / "Refined" / name / "v1"
        folder.mkdir(parents=True)
        types = [se.duckdb_type(t) for _, t in columns]
        select = " UNION ALL ".join(
            "SELECT "
            + ", ".join(
                f"CAST({'NULL' if v is None else se.literal(v)} AS {t}) AS {se.quote(c)}"
                for (c, _), t, v in zip(columns, types, row)
            )
            for row in rows
        )
        con.execute(f"COPY ({select}) TO '{folder / 'part-00000.parquet'}' (FORMAT parquet)")
        register(root, db, name, columns, f"file://{root.resolve()}/Refined/{name}/v1/")
    return root


def register(root, db, name, columns, location, partition_keys=(), partitions=()):
    entry = {
        "TableInput": {
            "Name": name,
            "TableType": "EXTERNAL_TABLE",
            "StorageDescriptor": {
                "Columns": [{"Name": c, "Type": t} for c, t in columns],
                "Location": location,
            },
            "PartitionKeys": [{"Name": k, "Type": "string"} for k in partition_keys],
        },
        "Partitions": [{"Values": list(v), "Location": loc} for v, loc in partitions],
    }
    folder = root / "_catalog" / db
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.json").write_text(json.dumps(entry, indent=2))


class Harness(unittest.TestCase):
    def setUp(self):
        self.tmp = Path(tempfile.mkdtemp(prefix="cinelake-sql-"))
        self.lake = make_lake(self.tmp / "lake")
        self.views = self.tmp / "views"
        self.views.mkdir()
        self.bin = self.tmp / "bin" / "cinelake"
        self.bin.parent.mkdir()
        self.bin.write_text(FAKE_CINELAKE.format(python=sys.executable))
        self.bin.chmod(0o755)
        self.answer({})

    def tearDown(self):
        shutil.rmtree(self.tmp)

    def answer(self, rows_by_view):
        answers = dict(rows_by_view)
        (self.bin.parent / "answers.json").write_text(json.dumps(answers))

    def copy(self, view, old=None, new=None, name=None):
        """A copy of sql/views/<view>.sql, with `old` replaced by `new`."""
        text = (ROOT / "sql" / "views" / f"{view}.sql").read_text()
        if old is not None:
            self.assertIn(old, text, f"{view}.sql no longer contains {old!r}; update the test")
            text = text.replace(old, new, 1)
        (self.views / f"{name or view}.sql").write_text(text)

    def write(self, name, sql):
        (self.views / f"{name}.sql").write_text(textwrap.dedent(sql))

    def run_views(self, *extra):
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            rc = se.main(
                ["views", "--lake", str(self.lake), "--cinelake", str(self.bin), "--sql-dir", str(self.views), *extra]
            )
        return rc, out.getvalue() + err.getvalue()

    # ---- the real views pass, over rows worked out by hand

    def test_real_views_agree_with_the_rows_worked_out_by_hand(self):
        for view in ["v_best_films", "v_country_share_best", "v_top_profits"]:
            self.copy(view)
        self.answer(
            {"v_best_films": BEST_FILMS, "v_country_share_best": COUNTRY_SHARE_BEST, "v_top_profits": TOP_PROFITS}
        )
        rc, out = self.run_views()
        self.assertEqual(rc, 0, out)
        self.assertIn("v_best_films                   2 rows    8 columns", out)
        self.assertIn("v_country_share_best           2 rows", out)
        self.assertIn("v_top_profits                  2 rows", out)

    def test_a_view_that_gives_no_rows_on_either_side_fails(self):
        # Both engines agree on an empty answer, which checks nothing.
        self.copy("v_best_films", ">= 1000", ">= 100000000")
        self.answer({"v_best_films": []})
        rc, out = self.run_views()
        self.assertEqual(rc, 1, out)
        self.assertIn("FAIL v_best_films: no rows from either engine, so nothing was compared", out)

    def test_nan_from_polars_sql_is_nan_not_null(self):
        # The JSON output writes NaN as null; the harness reads the column's text too.
        self.write(
            "v_nan",
            """
            SELECT film_id, CAST('NaN' AS double) AS x FROM fact_film WHERE film_id = 'tt1'
        """,
        )
        self.answer({"v_nan": [{"film_id": "tt1", "x": None, "__texts": {"x": "NaN"}}]})
        rc, out = self.run_views()
        self.assertEqual(rc, 0, out)
        # A null where DuckDB has NaN differs.
        self.answer({"v_nan": [{"film_id": "tt1", "x": None}]})
        rc, out = self.run_views()
        self.assertEqual(rc, 1, out)
        self.assertIn("FAIL v_nan: DuckDB 1 rows, Polars SQL 1 rows; 1 only in DuckDB", out)

    # ---- step 1: what Trino cannot parse

    def test_a_view_trino_cannot_parse_fails_step_1(self):
        self.copy(
            "v_country_share_best",
            "GROUP BY c.country_code, c.country_name, c.continent, c.is_south_america\n)",
            "GROUP BY c.country_code, c.country_name, c.continent, c.is_south_america\n",
        )
        rc, out = self.run_views()
        self.assertEqual(rc, 1, out)
        self.assertIn("FAIL", out)
        self.assertIn("v_country_share_best.sql:17:", out)
        self.assertIn("Trino cannot parse it: Expecting )", out)
        self.assertNotIn("DuckDB = Polars SQL", out)

    def test_syntax_only_sqlglot_takes_fails_step_1(self):
        # sqlglot's Trino reader takes `::`; Athena does not.
        self.copy("v_best_films", "f.imdb_votes >= 1000", "f.imdb_votes::bigint >= 1000")
        rc, out = self.run_views()
        self.assertEqual(rc, 1, out)
        self.assertIn("v_best_films.sql:15:20:", out)
        self.assertIn("`::` casts are not Trino", out)

    def test_parse_alone_names_the_file(self):
        self.copy("v_top_profits", "ORDER BY f.profit DESC", "ORDER f.profit DESC")
        self.copy("v_best_films")
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            rc = se.main(["parse", str(self.views)])
        self.assertEqual(rc, 1, out.getvalue())
        self.assertIn("v_best_films             parses as Trino", out.getvalue())
        self.assertIn("v_top_profits.sql:12:", out.getvalue())
        self.assertIn("Trino cannot parse it", out.getvalue())

    def test_the_real_views_parse(self):
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            rc = se.main(["parse", str(ROOT / "sql" / "views")])
        self.assertEqual(rc, 0, out.getvalue())

    # ---- step 3: rows that differ

    def test_a_changed_filter_fails_step_3_with_the_differing_rows(self):
        # Polars SQL (the binary's views) keeps the 1,000-vote rule; the copy does not.
        self.copy("v_best_films", ">= 1000", ">= 900")
        self.answer({"v_best_films": BEST_FILMS})
        rc, out = self.run_views()
        self.assertEqual(rc, 1, out)
        self.assertIn(
            "FAIL v_best_films: DuckDB 3 rows, Polars SQL 2 rows; 1 only in DuckDB, 0 only in Polars SQL", out
        )
        self.assertIn("'film_id': 'tt3'", out)

    def test_a_view_over_a_changed_view_fails_too(self):
        self.copy("v_best_films", ">= 1000", ">= 900")
        self.copy("v_country_share_best")
        self.answer({"v_best_films": BEST_FILMS, "v_country_share_best": COUNTRY_SHARE_BEST})
        rc, out = self.run_views()
        self.assertEqual(rc, 1, out)
        self.assertIn("FAIL v_country_share_best:", out)
        self.assertIn("'country_code': 'AR'", out)

    def test_integer_division_is_trinos(self):
        # Trino divides integers as integers (999 / 1000 is 0); DuckDB's own / would give
        # 0.999. The harness types the SQL as Trino does before writing DuckDB.
        self.write(
            "v_thousands",
            """\
            SELECT film_id, imdb_votes / 1000 AS thousands FROM fact_film
        """,
        )
        trino = [{"film_id": f, "thousands": n} for f, n in [("tt1", 5), ("tt2", 1), ("tt3", 0), ("tt4", 20)]]
        self.answer({"v_thousands": trino})
        rc, out = self.run_views()
        self.assertEqual(rc, 0, out)
        polars = [
            {"film_id": f, "thousands": n} for f, n in [("tt1", 5.0), ("tt2", 1.0), ("tt3", 0.999), ("tt4", 20.0)]
        ]
        self.answer({"v_thousands": polars})
        rc, out = self.run_views()
        self.assertEqual(rc, 1, out)
        self.assertIn("'thousands': 0.999", out)

    def test_a_column_no_table_has_fails(self):
        self.copy("v_top_profits", "f.revenue,", "f.revenu,")
        rc, out = self.run_views()
        self.assertEqual(rc, 1, out)
        self.assertIn("FAIL v_top_profits: its names do not resolve", out)
        self.assertIn("revenu", out)

    def test_a_table_the_catalog_lacks_fails(self):
        self.write("v_genres", "SELECT * FROM bridge_film_genre\n")
        rc, out = self.run_views()
        self.assertEqual(rc, 1, out)
        self.assertIn("bridge_film_genre, which the catalog", out)

    def test_a_view_polars_cannot_run_fails(self):
        self.copy("v_top_profits")
        rc, out = self.run_views()  # the stand-in knows no v_top_profits
        self.assertEqual(rc, 1, out)
        self.assertIn("FAIL v_top_profits: Polars SQL (cinelake query) failed", out)

    def test_a_listed_order_that_puts_a_view_before_what_it_reads_fails(self):
        self.copy("v_best_films")
        self.copy("v_country_share_best")
        rs = self.tmp / "views.rs"
        rs.write_text('("v_country_share_best", include_str!("x")), ("v_best_films", include_str!("y")),')
        rc, out = self.run_views("--views-rs", str(rs))
        self.assertEqual(rc, 1, out)
        self.assertIn("defines v_country_share_best before v_best_films", out)

    def test_the_real_views_rs_lists_the_files_in_a_dependency_order(self):
        trees, failures = se.parse_all(se.load_sql(ROOT / "sql" / "views"))
        self.assertEqual(failures, [])
        se.check_listed_order(se.views_rs_order(), trees)


class Lake(unittest.TestCase):
    def setUp(self):
        self.tmp = Path(tempfile.mkdtemp(prefix="cinelake-sql-"))

    def tearDown(self):
        shutil.rmtree(self.tmp)

    def test_partitions_and_empty_tables_read_as_the_local_engine_reads_them(self):
        root = self.tmp / "lake"
        con = duckdb.connect()
        parts = []
        for dt, ids in [("2026-10-31", [1, 2]), ("2026-11-30", [3])]:
            folder = root / "Trusted" / "TMDB" / f"dt={dt}" / "run1"
            (folder / "old").mkdir(parents=True)
            values = " UNION ALL ".join(f"SELECT {i}::BIGINT AS id" for i in ids)
            con.execute(f"COPY ({values}) TO '{folder / 'part-00000.parquet'}' (FORMAT parquet)")
            # Not read: files below the partition's folder.
            con.execute(f"COPY ({values}) TO '{folder / 'old' / 'x.parquet'}' (FORMAT parquet)")
            parts.append(([dt], f"file://{root.resolve()}/Trusted/TMDB/dt={dt}/run1/"))
        register(
            root,
            "cinelake_trusted",
            "tmdb_movies",
            [("id", "bigint")],
            f"file://{root.resolve()}/Trusted/TMDB/",
            ["dt"],
            parts,
        )
        register(
            root,
            "cinelake_refined",
            "dim_genre",
            [("genre_id", "bigint"), ("names", "array<string>")],
            f"file://{root.resolve()}/Refined/dim_genre/v1/",
        )
        lake = se.Lake(root)
        duck = se.DuckLake(lake, {"trusted_tmdb_movies", "dim_genre"})
        cols, rows = duck.rows("trusted_tmdb_movies")
        self.assertEqual(cols, ["id", "dt"])
        self.assertEqual(sorted(rows), [(1, "2026-10-31"), (2, "2026-10-31"), (3, "2026-11-30")])
        cols, rows = duck.rows("dim_genre")
        self.assertEqual((cols, rows), (["genre_id", "names"], []))

    def test_a_location_outside_the_lake_is_refused(self):
        root = self.tmp / "lake"
        register(root, "cinelake_refined", "t", [("id", "bigint")], "file:///elsewhere/t/v1/")
        with self.assertRaises(se.SetupError):
            se.DuckLake(se.Lake(root), {"t"})


class RustRendering(unittest.TestCase):
    """substitute and statement are the twins of crates/athena/src/sql.rs render and
    statement (its tests, and the edges where a line-based Python version would differ)."""

    def setUp(self):
        self.tmp = Path(tempfile.mkdtemp(prefix="cinelake-render-"))
        self.path = self.tmp / "t.sql"
        self.path.write_text("-- a comment\n-- another\n\nSELECT * FROM ${db}.t WHERE y >= ${min}\n")

    def tearDown(self):
        shutil.rmtree(self.tmp)

    def test_placeholders_are_filled_and_unknown_ones_refused(self):
        f = se.SqlFile(self.path)
        sql = se.substitute(f, {"db": "trusted", "min": "2000"})
        self.assertEqual(se.statement(sql), "SELECT * FROM trusted.t WHERE y >= 2000")
        with self.assertRaises(se.Failure) as e:
            se.substitute(f, {"db": "trusted"})
        self.assertIn("t.sql:4:34: unknown placeholder ${min} (the convention has ${db})", str(e.exception))
        with self.assertRaisesRegex(se.Failure, r"o\.sql:1:8: a `\$\{` is never closed"):
            se.substitute(se.SqlFile(self.tmp / "o.sql", "SELECT ${db"), {"db": "x"})
        # A value is not scanned again: one holding `${` stays as given.
        v = se.substitute(f, {"db": "${min}", "min": "1"})
        self.assertIn("FROM ${min}.t", v)

    def test_a_file_built_from_its_filled_text_keeps_its_path(self):
        f = se.SqlFile(self.path, "-- x\nSELECT 1")
        self.assertEqual((f.path, f.name, f.text, f.select), (self.path, "t", "-- x\nSELECT 1", "SELECT 1"))

    def test_the_statement_is_rusts(self):
        self.assertEqual(se.statement("  -- only a comment"), "")
        self.assertEqual(se.statement("-- c\nSELECT 1;\n"), "SELECT 1")
        self.assertEqual(se.statement("\n  -- c\n\n\t-- d\nSELECT 1\n-- e\n;; \n"), "SELECT 1\n-- e")
        # A comment line ends at \n only (not at a lone \r, as splitlines would have it).
        self.assertEqual(se.statement("-- c\rSELECT 1"), "")
        # Rust's whitespace, not Python's: U+001C is kept, U+3000 trimmed.
        self.assertEqual(se.statement("\x1cSELECT 1\u3000"), "\x1cSELECT 1")


class Compare(unittest.TestCase):
    COLS = ["id", "x", "ok"]

    def diff(self, left, right, right_cols=None):
        return se.compare_rows("v", (self.COLS, left), (right_cols or self.COLS, right))

    def test_floats_within_the_tolerance_and_nulls_are_equal(self):
        self.assertIsNone(self.diff([("a", 0.1 + 0.2, True), ("b", None, None)], [("b", None, None), ("a", 0.3, True)]))

    def test_rows_that_round_apart_still_pair(self):
        self.assertIsNone(self.diff([("a", 1.00000000005, True)], [("a", 1.0000000000499, True)]))

    def test_columns_match_by_name(self):
        self.assertIsNone(self.diff([("a", 2.5, False)], [(False, "a", 2.5)], ["ok", "id", "x"]))

    def test_a_float_off_by_more_differs(self):
        self.assertIn("1 only in DuckDB", self.diff([("a", 1.0, True)], [("a", 1.001, True)]))

    def test_rows_are_a_multiset(self):
        d = self.diff([("a", 1.0, True), ("a", 1.0, True)], [("a", 1.0, True)])
        self.assertIn("DuckDB 2 rows, Polars SQL 1 rows; 1 only in DuckDB", d)

    def test_null_is_not_zero_or_empty_and_true_is_not_one(self):
        self.assertIsNotNone(self.diff([("a", None, True)], [("a", 0.0, True)]))
        self.assertIsNotNone(self.diff([("", 1.0, True)], [(None, 1.0, True)]))
        self.assertIsNotNone(self.diff([("a", 1.0, True)], [("a", 1.0, 1)]))

    def test_nan_is_neither_null_nor_a_number(self):
        nan = float("nan")
        self.assertIsNone(self.diff([("a", nan, True)], [("a", nan, True)]))
        self.assertIn("1 only in DuckDB", self.diff([("a", nan, True)], [("a", None, True)]))
        self.assertIsNotNone(self.diff([("a", nan, True)], [("a", 0.0, True)]))
        self.assertIsNone(self.diff([("a", float("inf"), True)], [("a", float("inf"), True)]))
        self.assertIsNotNone(self.diff([("a", float("inf"), True)], [("a", None, True)]))

    def test_other_columns_differ(self):
        self.assertIn("the columns differ", self.diff([("a", 1.0, True)], [("a", 1.0)], ["id", "x"]))


if __name__ == "__main__":
    unittest.main()
