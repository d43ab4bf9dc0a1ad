"""The harness that checks sql/ as Athena reads it (scripts/sql_engines.py) must fail
when the SQL is wrong, or its passing means nothing: a copy of a real view that Trino
cannot parse fails step 1, and a copy whose rows differ from what Polars SQL returns
fails step 3; a copy of a Refined CTAS SELECT (sql/refined) that drops a row, changes a
value or a column's type, or reads what it must not, fails `ctas`.

    .venv/bin/python -m unittest discover -s sql/tests

No demo lake and no cinelake binary: the lake is a few rows written as Parquet by
DuckDB with a local catalog beside them, and "Polars SQL" is a stand-in `cinelake`
that answers `query --format json "SELECT * FROM <view>"` with rows given by the test
(worked out by hand from the fixture); for `ctas`, the Refined tables "the Polars path
wrote" are rows worked out by hand from a few Trusted rows, by the rules of
crates/refined/src/star.rs. scripts/test runs the harness over a real demo lake with
the real binary.
"""
import contextlib
import datetime
import io
import json
import re
import shutil
import sys
import tempfile
import textwrap
import unittest
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))

import duckdb  # noqa: E402
import sql_engines as se  # noqa: E402

# (name, [(column, Glue type)], rows); a film's imdb_votes decide whether it is a
# best film (>= 1000 and a rating).
TABLES = [
    ("fact_film",
     [("film_id", "string"), ("release_year", "int"), ("imdb_rating", "double"),
      ("imdb_votes", "bigint"), ("tmdb_rating", "double"), ("tmdb_votes", "bigint"),
      ("popularity", "double"), ("budget", "bigint"), ("revenue", "bigint"),
      ("profit", "bigint")],
     [("tt1", 2010, 7.5, 5000, 7.1, 300, 12.5, 2000000, 5000000, 3000000),
      ("tt2", 2005, 6.0, 1000, None, 0, 0.5, None, None, None),
      ("tt3", 1999, 8.0, 999, 6.4, 20, 1.25, 500000, 400000, -100000),
      ("tt4", 2020, None, 20000, 5.5, 10, 3.0, None, 9000, None)]),
    ("dim_film",
     [("film_id", "string"), ("title", "string"), ("release_year", "int")],
     [("tt1", "Cidade", 2010), ("tt2", "Terra", 2005), ("tt3", "Noite", 1999),
      ("tt4", "Verão", 2020)]),
    ("bridge_film_country",
     [("film_id", "string"), ("country_code", "string")],
     [("tt1", "BR"), ("tt2", "US"), ("tt2", "BR"), ("tt3", "AR"), ("tt4", "US")]),
    ("dim_country",
     [("country_code", "string"), ("country_name", "string"), ("continent", "string"),
      ("is_south_america", "boolean")],
     [("AR", "Argentina", "South America", True), ("BR", "Brazil", "South America", True),
      ("US", "United States of America", "North America", False)]),
]

BEST_FILMS = [
    {"film_id": "tt1", "title": "Cidade", "release_year": 2010, "imdb_rating": 7.5,
     "imdb_votes": 5000, "tmdb_rating": 7.1, "tmdb_votes": 300, "popularity": 12.5},
    {"film_id": "tt2", "title": "Terra", "release_year": 2005, "imdb_rating": 6.0,
     "imdb_votes": 1000, "tmdb_rating": None, "tmdb_votes": 0, "popularity": 0.5},
]
# Two best films; tt2 counts for the US and Brazil.
COUNTRY_SHARE_BEST = [
    {"country_code": "BR", "country_name": "Brazil", "continent": "South America",
     "is_south_america": True, "best_films": 2, "share": 1.0},
    {"country_code": "US", "country_name": "United States of America",
     "continent": "North America", "is_south_america": False, "best_films": 1, "share": 0.5},
]
TOP_PROFITS = [
    {"film_id": "tt1", "title": "Cidade", "release_year": 2010, "budget": 2000000,
     "revenue": 5000000, "profit": 3000000},
    {"film_id": "tt3", "title": "Noite", "release_year": 1999, "budget": 500000,
     "revenue": 400000, "profit": -100000},
]

FAKE_CINELAKE = """\
#!{python}
# A stand-in for `cinelake query --format json SQL`: the rows in answers.json.
import json, sys
from pathlib import Path
args = sys.argv[1:]
assert args[0] == "query" and args[args.index("--format") + 1] == "json", args
answers = json.loads((Path(__file__).parent / "answers.json").read_text())
sql = args[-1]
if sql not in answers:
    sys.exit("no such table or view: " + sql)
print(json.dumps(answers[sql]))
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
            "SELECT " + ", ".join(
                f"CAST({'NULL' if v is None else se.literal(v)} AS {t}) AS {se.quote(c)}"
                for (c, _), t, v in zip(columns, types, row))
            for row in rows)
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
        answers = {f"SELECT * FROM {v}": rows for v, rows in rows_by_view.items()}
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
            rc = se.main(["views", "--lake", str(self.lake), "--cinelake", str(self.bin),
                          "--sql-dir", str(self.views), *extra])
        return rc, out.getvalue() + err.getvalue()

    # ---- the real views pass, over rows worked out by hand

    def test_real_views_agree_with_the_rows_worked_out_by_hand(self):
        for view in ["v_best_films", "v_country_share_best", "v_top_profits"]:
            self.copy(view)
        self.answer({"v_best_films": BEST_FILMS, "v_country_share_best": COUNTRY_SHARE_BEST,
                     "v_top_profits": TOP_PROFITS})
        rc, out = self.run_views()
        self.assertEqual(rc, 0, out)
        self.assertIn("v_best_films                   2 rows    8 columns", out)
        self.assertIn("v_country_share_best           2 rows", out)
        self.assertIn("v_top_profits                  2 rows", out)

    # ---- step 1: what Trino cannot parse

    def test_a_view_trino_cannot_parse_fails_step_1(self):
        self.copy("v_country_share_best", "GROUP BY c.country_code, c.country_name, c.continent, "
                  "c.is_south_america\n)", "GROUP BY c.country_code, c.country_name, c.continent, "
                  "c.is_south_america\n")
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
        self.assertIn("v_best_films.sql:14:20:", out)
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
        self.assertIn("FAIL v_best_films: DuckDB 3 rows, Polars SQL 2 rows; 1 only in DuckDB, "
                      "0 only in Polars SQL", out)
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
        self.write("v_thousands", """\
            SELECT film_id, imdb_votes / 1000 AS thousands FROM fact_film
        """)
        trino = [{"film_id": f, "thousands": n}
                 for f, n in [("tt1", 5), ("tt2", 1), ("tt3", 0), ("tt4", 20)]]
        self.answer({"v_thousands": trino})
        rc, out = self.run_views()
        self.assertEqual(rc, 0, out)
        polars = [{"film_id": f, "thousands": n}
                  for f, n in [("tt1", 5.0), ("tt2", 1.0), ("tt3", 0.999), ("tt4", 20.0)]]
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
        rs.write_text('("v_country_share_best", include_str!("x")), '
                      '("v_best_films", include_str!("y")),')
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
        register(root, "cinelake_trusted", "tmdb_movies", [("id", "bigint")],
                 f"file://{root.resolve()}/Trusted/TMDB/", ["dt"], parts)
        register(root, "cinelake_refined", "dim_genre", [("genre_id", "bigint"),
                 ("names", "array<string>")], f"file://{root.resolve()}/Refined/dim_genre/v1/")
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


# ---- ctas: a few Trusted rows and the Refined rows star.rs makes of them

MOVIE_COLUMNS = [
    ("title_id", "string"), ("primary_title", "string"), ("original_title", "string"),
    ("release_year", "int"), ("runtime_minutes", "int"), ("genres", "array<string>"),
    ("average_rating", "double"), ("num_votes", "bigint"), ("artist_category", "string"),
    ("character_name", "string"), ("artist_name", "string"), ("birth_year", "int"),
    ("death_year", "int"), ("professions", "array<string>"),
    ("known_for_titles", "array<string>"),
]


def movie(title_id, title, year, runtime, genres, rating, votes, category, character,
          artist, born, died, professions):
    return (title_id, title, title, year, runtime, genres, rating, votes, category, character,
            artist, born, died, professions, [title_id])


# Sorted by id, as the CSV is. Ana Lima (1970) is in tt01 and tt02 with other death
# years and professions: dim_artist takes tt01's. Bruno Reis (no birth year) is in tt01
# twice, with other professions: dim_artist takes the director's row (category
# "director" before "writer"), though the writer's comes first in the file.
# tt03 is from 1999, tt04 a comedy, tt05 has no year, tt06 is not on TMDB: none is a
# film of the schema.
MOVIES = [
    movie("tt01", "Cidade", 2010, 120, ["Drama", "Crime"], 7.5, 5000, "actress", "Rosa",
          "Ana Lima", 1970, None, ["actress"]),
    movie("tt01", "Cidade", 2010, 120, ["Drama", "Crime"], 7.5, 5000, "writer", None,
          "Bruno Reis", None, None, ["writer"]),
    movie("tt01", "Cidade", 2010, 120, ["Drama", "Crime"], 7.5, 5000, "director", None,
          "Bruno Reis", None, None, ["director", "writer"]),
    movie("tt02", "Terra", 2000, 95, [" drama "], 6.0, 1000, "actress", "Maria",
          "Ana Lima", 1970, 2020, ["actress", "producer"]),
    movie("tt02", "Terra", 2000, 95, [" drama "], 6.0, 1000, "actor", "João", None, None,
          None, None),
    movie("tt03", "Noite", 1999, 90, ["Drama"], 8.0, 999, "actor", "Pedro", "Caio Dias",
          1980, None, ["actor"]),
    movie("tt04", "Riso", 2012, 80, ["Comedy"], 5.0, 10, "actor", "Zé", "Davi Melo", 1990,
          None, ["actor"]),
    movie("tt05", "Sem Ano", None, 70, ["Drama"], 5.5, 20, "actress", None, "Eva Luz",
          None, None, ["actress"]),
    movie("tt06", "Fora", 2015, 100, ["Drama"], 6.6, 30, "actor", None, "Fábio Nunes",
          1985, None, ["actor"]),
]

TMDB_COLUMNS = [
    ("tmdb_id", "bigint"), ("imdb_id", "string"), ("title", "string"),
    ("original_title", "string"), ("original_language", "string"), ("overview", "string"),
    ("tagline", "string"), ("status", "string"), ("homepage", "string"),
    ("release_date", "date"), ("runtime_minutes", "int"), ("budget", "bigint"),
    ("revenue", "bigint"), ("popularity", "double"), ("vote_average", "double"),
    ("vote_count", "bigint"), ("adult", "boolean"), ("video", "boolean"),
    ("poster_path", "string"), ("backdrop_path", "string"), ("collection_id", "bigint"),
    ("collection_name", "string"), ("genres", "array<struct<id:bigint,name:string>>"),
    ("production_companies",
     "array<struct<id:bigint,name:string,origin_country:string,logo_path:string>>"),
    ("production_countries", "array<struct<iso_3166_1:string,name:string>>"),
    ("spoken_languages", "array<struct<iso_639_1:string,english_name:string,name:string>>"),
    ("source_file", "string"),
]
# The Parquet files order spoken_languages' fields otherwise than the catalog: Athena
# reads them by name, and so must the check.
TMDB_PARQUET_TYPES = {"spoken_languages":
                      "STRUCT(name VARCHAR, english_name VARCHAR, iso_639_1 VARCHAR)[]"}

PT = {"iso_639_1": "pt", "english_name": "Portuguese", "name": "Português"}
ES = {"iso_639_1": "es", "english_name": "Spanish", "name": "Español"}
EN = {"iso_639_1": "en", "english_name": "English", "name": "English"}
DRAMA, CRIME = {"id": 18, "name": "Drama"}, {"id": 80, "name": "Crime"}


def tmdb(tmdb_id, imdb_id, released, runtime, budget, revenue, popularity, vote_average,
         votes, countries, genres, languages, source):
    return (tmdb_id, imdb_id, f"Filme {tmdb_id}", f"Film {tmdb_id}", "pt", None, None,
            "Released", None, released, runtime, budget, revenue, popularity, vote_average,
            votes, False, False, None, None, None, None, genres, [],
            [{"iso_3166_1": c, "name": n} for c, n in countries], languages, source)


D = datetime.date
# Two collections. tt01 is in both (its latest: 2026-11-30, TMDB runtime 0, Brazil
# renamed); tt02 only in the older (budget 999 under the floor, revenue 1000 on it, no
# release date); tt03 and tt04 are not films of interest; 55 has no IMDb id.
TMDB = {
    "2026-10-31": [
        tmdb(11, "tt01", D(2010, 5, 1), 118, 500, 0, 3.0, 0.0, 0, [("BR", "Brasil")],
             [DRAMA], [PT], "Raw/TMDB/JSON/2026/10/31/a-00001.json"),
        tmdb(22, "tt02", None, 95, 999, 1000, 0.5, 6.4, 20,
             [("US", "United States of America"), ("BR", "Brasil")], [DRAMA], [EN],
             "Raw/TMDB/JSON/2026/10/31/a-00001.json"),
        tmdb(33, "tt03", D(1999, 3, 3), 90, 0, 0, 1.0, 7.0, 5, [("BR", "Brasil")], [DRAMA],
             [PT], "Raw/TMDB/JSON/2026/10/31/a-00001.json"),
    ],
    "2026-11-30": [
        tmdb(11, "tt01", D(2010, 5, 2), 0, 2000000, 5000000, 4.5, 7.1, 10,
             [("BR", "Brazil"), ("AR", "Argentina")], [DRAMA, CRIME], [PT, ES],
             "Raw/TMDB/JSON/2026/11/30/b-00001.json"),
        tmdb(44, "tt04", D(2012, 1, 1), 80, 0, 0, 2.0, 5.0, 3, [("FR", "France")],
             [{"id": 35, "name": "Comédia"}], [PT], "Raw/TMDB/JSON/2026/11/30/b-00001.json"),
        tmdb(55, None, D(2011, 1, 1), 80, 0, 0, 2.0, 5.0, 3, [("JP", "Japan")], [DRAMA],
             [PT], "Raw/TMDB/JSON/2026/11/30/b-00001.json"),
    ],
}

REFINED = {
    "fact_film": (
        [("film_id", "string"), ("release_date_key", "int"), ("release_year", "int"),
         ("imdb_rating", "double"), ("imdb_votes", "bigint"), ("tmdb_rating", "double"),
         ("tmdb_votes", "bigint"), ("popularity", "double"), ("budget", "bigint"),
         ("revenue", "bigint"), ("profit", "bigint"), ("runtime_minutes", "int"),
         ("collected_on", "date")],
        [("tt01", 20100502, 2010, 7.5, 5000, 7.1, 10, 4.5, 2000000, 5000000, 3000000, 120,
          D(2026, 11, 30)),
         ("tt02", None, 2000, 6.0, 1000, 6.4, 20, 0.5, None, 1000, None, 95,
          D(2026, 10, 31))]),
    "fact_film_snapshot": (
        [("film_id", "string"), ("collected_on", "date"), ("collected_on_key", "int"),
         ("release_date_key", "int"), ("popularity", "double"), ("tmdb_votes", "bigint"),
         ("tmdb_rating", "double"), ("revenue", "bigint")],
        [("tt01", D(2026, 10, 31), 20261031, 20100502, 3.0, 0, None, None),
         ("tt01", D(2026, 11, 30), 20261130, 20100502, 4.5, 10, 7.1, 5000000),
         ("tt02", D(2026, 10, 31), 20261031, None, 0.5, 20, 6.4, 1000)]),
    "dim_date": (
        [("date_key", "int"), ("date", "date"), ("year", "int"), ("quarter", "int"),
         ("month", "int"), ("decade", "int"), ("is_21st_century", "boolean")],
        [(20100502, D(2010, 5, 2), 2010, 2, 5, 2010, True),
         (20261031, D(2026, 10, 31), 2026, 4, 10, 2020, True),
         (20261130, D(2026, 11, 30), 2026, 4, 11, 2020, True)]),
    "dim_country": (
        [("country_code", "string"), ("country_name", "string"), ("continent", "string"),
         ("is_south_america", "boolean")],
        [("AR", "Argentina", "South America", True), ("BR", "Brazil", "South America", True),
         ("US", "United States of America", "North America", False)]),
    "dim_language": (
        [("language_code", "string"), ("english_name", "string"), ("native_name", "string")],
        [("en", "English", "English"), ("es", "Spanish", "Español"),
         ("pt", "Portuguese", "Português")]),
    "dim_artist": (
        [("artist_key", "bigint"), ("artist_name", "string"), ("birth_year", "int"),
         ("death_year", "int"), ("professions", "array<string>")],
        [(0, "Ana Lima", 1970, None, ["actress"]),
         (1, "Bruno Reis", None, None, ["director", "writer"])]),
    "bridge_film_artist": (
        [("film_id", "string"), ("artist_key", "bigint"), ("artist_category", "string"),
         ("character_name", "string")],
        [("tt01", 0, "actress", "Rosa"), ("tt01", 1, "writer", None),
         ("tt01", 1, "director", None), ("tt02", 0, "actress", "Maria")]),
}


def write_parquet(path, columns, rows, parquet_types=None):
    """`rows` as a Parquet file of the columns' Glue types (or DuckDB types given)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    types = [(parquet_types or {}).get(c) or se.duckdb_type(t) for c, t in columns]
    con.execute("CREATE TABLE t (" + ", ".join(f"{se.quote(c)} {t}" for (c, _), t
                                               in zip(columns, types)) + ")")
    if rows:
        con.executemany(f"INSERT INTO t VALUES ({', '.join('?' for _ in columns)})",
                        [list(r) for r in rows])
    con.execute(f"COPY t TO '{path}' (FORMAT parquet)")


def make_ctas_lake(root):
    """Trusted movies and tmdb_movies (two dt partitions) and the Refined tables above,
    each registered in the local catalog as the pipeline registers it."""
    lake = f"file://{root.resolve()}"
    write_parquet(root / "Trusted/Movies/v1/part-00000.parquet", MOVIE_COLUMNS, MOVIES)
    register(root, "cinelake_trusted", "movies", MOVIE_COLUMNS, f"{lake}/Trusted/Movies/v1/")
    parts = []
    for dt, rows in TMDB.items():
        write_parquet(root / f"Trusted/TMDB/dt={dt}/v1/part-00000.parquet", TMDB_COLUMNS,
                      rows, TMDB_PARQUET_TYPES)
        parts.append(([dt], f"{lake}/Trusted/TMDB/dt={dt}/v1/"))
    register(root, "cinelake_trusted", "tmdb_movies", TMDB_COLUMNS, f"{lake}/Trusted/TMDB/",
             ["dt"], parts)
    described = se.Settings().describe()
    for name, (columns, rows) in REFINED.items():
        write_parquet(root / f"Refined/{name}/v1/part-00000.parquet", columns, rows)
        register(root, "cinelake_refined", name, columns, f"{lake}/Refined/{name}/v1/")
        entry = root / "_catalog/cinelake_refined" / f"{name}.json"
        data = json.loads(entry.read_text())
        data["TableInput"]["Description"] = f"the table. {described}"
        entry.write_text(json.dumps(data, indent=2))
    # What the rules set aside, as the Polars run that wrote version v1 records it: of the
    # four films TMDB holds, tt03 (1999) and tt04 (a comedy) are left out; tt02's budget
    # (999) is under the floor, its revenue (1000) on it, tt01's both above.
    manifest = root / "_runs/refined/v1.json"
    manifest.parent.mkdir(parents=True, exist_ok=True)
    manifest.write_text(json.dumps({"stage": "refined", "run_id": "v1", "counts": {
        "films_left_out": 2, "placeholder_budgets": 1, "placeholder_revenues": 0}}))
    return root


class Ctas(unittest.TestCase):
    def setUp(self):
        self.tmp = Path(tempfile.mkdtemp(prefix="cinelake-ctas-"))
        self.lake = make_ctas_lake(self.tmp / "lake")
        self.sql = self.tmp / "refined"
        self.sql.mkdir()

    def tearDown(self):
        shutil.rmtree(self.tmp)

    def copy(self, table, old=None, new=None):
        """A copy of sql/refined/<table>.sql, with `old` replaced by `new` (once)."""
        text = (se.REFINED_DIR / f"{table}.sql").read_text()
        if old is not None:
            self.assertIn(old, text, f"{table}.sql no longer contains {old!r}; update the test")
            text = text.replace(old, new, 1)
        (self.sql / f"{table}.sql").write_text(text)

    def write(self, table, sql):
        (self.sql / f"{table}.sql").write_text(textwrap.dedent(sql))

    def run_ctas(self, *extra):
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            rc = se.main(["ctas", "--lake", str(self.lake), "--sql-dir", str(self.sql), *extra])
        return rc, out.getvalue() + err.getvalue()

    # ---- the real SELECTs give the rows worked out by hand

    def test_the_real_selects_give_the_polars_rows(self):
        for table in REFINED:
            self.copy(table)
        rc, out = self.run_ctas()
        self.assertEqual(rc, 0, out)
        self.assertIn("fact_film                      2 rows   13 columns  "
                      "Athena SQL (on DuckDB) = Polars", out)
        for table in REFINED:
            self.assertRegex(out, rf"\n{table} +\d+ rows .*= Polars")
        self.assertNotIn("note:", out)

    def test_an_artists_first_row_in_the_file_is_no_longer_accepted(self):
        # Bruno Reis is twice in tt01: star.rs, as the SQL, takes the director's row (by
        # category). A dim_artist holding the file's first row (the writer's, as star.rs
        # once took) differs, and the check fails: no difference is told and accepted.
        columns, rows = REFINED["dim_artist"]
        write_parquet(self.lake / "Refined/dim_artist/v1/part-00000.parquet", columns,
                      [rows[0], (1, "Bruno Reis", None, None, ["writer"])])
        self.copy("dim_artist")
        rc, out = self.run_ctas()
        self.assertEqual(rc, 1, out)
        self.assertIn("FAIL dim_artist: Athena SQL 2 rows, Polars 2 rows; 1 only in "
                      "Athena SQL, 1 only in Polars", out)
        self.assertRegex(out, r"only in Athena SQL.*\n.*'artist_name': 'Bruno Reis'.*"
                              r"'professions': \('list', 'director', 'writer'\)")
        self.assertRegex(out, r"only in Polars.*\n.*'artist_name': 'Bruno Reis'.*"
                              r"'professions': \('list', 'writer'\)")
        self.assertNotIn("but for", out)

    def test_what_the_rules_set_aside_is_counted_as_the_polars_run_counted_it(self):
        self.copy("set_aside")
        rc, out = self.run_ctas()
        self.assertEqual(rc, 0, out)
        self.assertIn("films_left_out 2, placeholder_budgets 1, placeholder_revenues 0  "
                      "Athena SQL (on DuckDB) = the Polars run's counts", out)

    def test_a_placeholder_count_that_takes_the_floor_itself_fails(self):
        # tt02's revenue is 1000, on the floor: known, not a placeholder.
        self.copy("set_aside", "l.revenue > 0 AND l.revenue < ${money_floor}",
                  "l.revenue > 0 AND l.revenue <= ${money_floor}")
        rc, out = self.run_ctas()
        self.assertEqual(rc, 1, out)
        self.assertIn("set_aside.sql: Athena SQL counts {'films_left_out': 2, "
                      "'placeholder_budgets': 1, 'placeholder_revenues': 1}, the Polars run v1 "
                      "recorded {'films_left_out': 2, 'placeholder_budgets': 1, "
                      "'placeholder_revenues': 0}", out)

    def test_set_aside_without_the_runs_manifest_fails(self):
        (self.lake / "_runs/refined/v1.json").unlink()
        self.copy("set_aside")
        rc, out = self.run_ctas()
        self.assertEqual(rc, 1, out)
        self.assertIn("set_aside.sql: no manifest of the run that wrote fact_film", out)

    def test_the_real_files_parse_with_their_placeholders(self):
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            rc = se.main(["parse", str(se.REFINED_DIR)])
        self.assertEqual(rc, 0, out.getvalue())
        self.assertEqual(out.getvalue().count("parses as Trino"), len(se.REFINED_TABLES) + 1)

    # ---- rows that differ

    def test_a_select_that_drops_a_row_fails_naming_the_table_and_row(self):
        # 2000 is in "2000 or later" (tt02); the copy reads it as after 2000.
        self.copy("fact_film", "t.release_year >= ${min_year}", "t.release_year > ${min_year}")
        rc, out = self.run_ctas()
        self.assertEqual(rc, 1, out)
        self.assertIn("FAIL fact_film: Athena SQL 1 rows, Polars 2 rows; 0 only in Athena SQL, "
                      "1 only in Polars", out)
        self.assertIn("only in Polars (first 1):\n      {'film_id': 'tt02'", out)

    def test_a_select_that_changes_a_value_fails(self):
        # A revenue at the floor is known; the copy reads it as unknown.
        self.copy("fact_film", "f.revenue >= greatest(${money_floor}, 1)",
                  "f.revenue > greatest(${money_floor}, 1)")
        rc, out = self.run_ctas()
        self.assertEqual(rc, 1, out)
        self.assertIn("FAIL fact_film: Athena SQL 2 rows, Polars 2 rows; 1 only in Athena SQL, "
                      "1 only in Polars", out)
        self.assertRegex(out, r"only in Athena SQL.*\n.*'film_id': 'tt02'.*'revenue': None")
        self.assertRegex(out, r"only in Polars.*\n.*'film_id': 'tt02'.*'revenue': 1000")

    def test_the_oldest_collection_instead_of_the_latest_fails(self):
        self.copy("fact_film_snapshot", "ORDER BY tm.dt DESC", "ORDER BY tm.dt")
        rc, out = self.run_ctas()
        self.assertEqual(rc, 1, out)
        self.assertIn("FAIL fact_film_snapshot: Athena SQL 3 rows, Polars 3 rows; 2 only in "
                      "Athena SQL", out)
        self.assertIn("'release_date_key': 20100501", out)

    def test_an_artist_from_another_film_fails(self):
        # Ana Lima's death year and professions are her first film's (tt01), not tt02's.
        self.copy("dim_artist", "ORDER BY c.title_id,", "ORDER BY c.title_id DESC,")
        rc, out = self.run_ctas()
        self.assertEqual(rc, 1, out)
        self.assertIn("FAIL dim_artist:", out)
        self.assertIn("'death_year': 2020, 'professions': ('list', 'actress', 'producer')", out)

    def test_a_continent_changed_fails(self):
        self.copy("dim_country", "'AR', 'BO',", "'BO',")
        rc, out = self.run_ctas()
        self.assertEqual(rc, 1, out)
        self.assertIn("FAIL dim_country:", out)
        self.assertIn("'country_code': 'AR', 'country_name': 'Argentina', 'continent': "
                      "'Unknown'", out)

    def test_a_struct_field_taken_by_position_in_the_file_would_differ(self):
        # The catalog's order (iso_639_1, english_name, name) names the aliases; the
        # Parquet file holds the fields in another order. Swapping two aliases swaps the
        # names, and the check sees it.
        self.copy("dim_language", "AS s(iso_639_1, english_name, name)",
                  "AS s(iso_639_1, name, english_name)")
        rc, out = self.run_ctas()
        self.assertEqual(rc, 1, out)
        self.assertIn("'language_code': 'es', 'english_name': 'Español'", out)

    def test_every_genre_when_none_is_asked_for(self):
        # With no genre asked for, tt04 (a comedy) is a film too; the lake was built for
        # Drama, so its fact_film lacks it, and the note says the rules differ.
        self.copy("fact_film")
        rc, out = self.run_ctas("--genres", "")
        self.assertEqual(rc, 1, out)
        self.assertIn("1 only in Athena SQL, 0 only in Polars", out)
        self.assertIn("'film_id': 'tt04'", out)
        self.assertIn("note: the lake's Refined tables (every table) say they were built "
                      "with other rules than these: 'Films of interest: films of every genre, "
                      "released 2000 or later.", out)

    # ---- the columns: names, order, types

    def test_a_column_of_another_type_fails(self):
        # Without the cast, Trino's year() makes release_year a bigint; Polars wrote int.
        self.copy("fact_film", "CAST(coalesce(f.imdb_release_year, year(f.release_date)) "
                  "AS integer) AS release_year", "coalesce(f.imdb_release_year, "
                  "year(f.release_date)) AS release_year")
        rc, out = self.run_ctas()
        self.assertEqual(rc, 1, out)
        self.assertIn("FAIL fact_film: the columns differ from the catalog's", out)
        self.assertIn("release_year bigint", out)
        self.assertIn("release_year int,", out)

    def test_a_column_of_string_literals_without_a_cast_fails(self):
        # Trino types 'Unknown' as varchar(7) and a CASE of such as varchar(13): CTAS
        # would register that; DuckDB's VARCHAR hides it, so the file is refused.
        self.copy("dim_country", "    CAST(CASE\n", "    (CASE\n")
        text = (self.sql / "dim_country.sql").read_text().replace(
            "END AS varchar) AS continent", "END) AS continent")
        (self.sql / "dim_country.sql").write_text(text)
        rc, out = self.run_ctas()
        self.assertEqual(rc, 1, out)
        self.assertIn("dim_country.sql: continent is made of string literals only, which "
                      "Trino types varchar(n)", out)

    def test_columns_in_another_order_fail(self):
        self.copy("dim_country", "    c.country_code,\n    c.country_name,",
                  "    c.country_name,\n    c.country_code,")
        rc, out = self.run_ctas()
        self.assertEqual(rc, 1, out)
        self.assertIn("FAIL dim_country: the columns differ from the catalog's", out)

    # ---- the convention

    def test_a_select_that_reads_a_refined_table_fails(self):
        self.write("dim_country", """\
            -- dim_country, from itself
            SELECT country_code, country_name, continent, is_south_america FROM dim_country
        """)
        rc, out = self.run_ctas()
        self.assertEqual(rc, 1, out)
        self.assertIn("dim_country.sql: reads dim_country; a Refined SELECT reads only "
                      "${trusted}.movies, ${trusted}.series, ${trusted}.tmdb_movies", out)

    def test_the_trusted_database_named_itself_fails(self):
        self.copy("dim_artist", "FROM ${trusted}.movies AS m\n    WHERE m.artist_name",
                  "FROM cinelake_trusted.movies AS m\n    WHERE m.artist_name")
        rc, out = self.run_ctas()
        self.assertEqual(rc, 1, out)
        self.assertIn("names the Trusted database cinelake_trusted itself; write ${trusted}",
                      out)

    def test_an_unknown_placeholder_fails_with_its_line(self):
        self.write("dim_genre", """\
            -- dim_genre
            SELECT CAST(${genre_floor} AS bigint) AS genre_id, 'x' AS genre_name
        """)
        # In a comment too: the Rust side fills in the whole text.
        self.write("dim_language", """\
            -- dim_language, by ${language}
            SELECT 'pt' AS language_code, 'x' AS english_name, 'y' AS native_name
        """)
        rc, out = self.run_ctas()
        self.assertEqual(rc, 1, out)
        self.assertIn("dim_genre.sql:2:13: unknown placeholder ${genre_floor}", out)
        self.assertIn("dim_language.sql:1:21: unknown placeholder ${language}", out)

    def test_a_semicolon_or_no_comment_fails(self):
        self.write("dim_genre", """\
            -- dim_genre
            SELECT CAST(1 AS bigint) AS genre_id, 'x' AS genre_name;
        """)
        self.write("dim_language", """\
            SELECT 'pt' AS language_code, 'x' AS english_name, 'y' AS native_name
        """)
        rc, out = self.run_ctas()
        self.assertEqual(rc, 1, out)
        self.assertIn("dim_genre.sql:2:56: a semicolon", out)
        self.assertIn("dim_language.sql: begins without `--` lines", out)

    def test_syntax_athena_refuses_fails(self):
        self.copy("fact_film", "f.vote_count > 0", "f.vote_count::bigint > 0")
        rc, out = self.run_ctas()
        self.assertEqual(rc, 1, out)
        self.assertIn("`::` casts are not Trino", out)

    def test_a_file_for_no_table_or_a_missing_table_fails(self):
        self.write("dim_films", "-- x\nSELECT 1 AS one\n")
        rc, out = self.run_ctas()
        self.assertEqual(rc, 1, out)
        self.assertIn("dim_films is not a table of the star schema", out)
        (self.sql / "dim_films.sql").unlink()
        self.copy("dim_genre")
        failures = se.check_ctas(self.lake, self.sql, every_table=True, out=lambda _: None)
        self.assertEqual(len(failures), 1, failures)
        self.assertIn("no SELECT for fact_film, fact_film_snapshot, dim_film", failures[0])

    # ---- the placeholders and the continents

    def test_placeholders_as_the_rust_side_substitutes_them(self):
        values = se.Settings([" Drama ", "", "Crime"], 0, None, 500).placeholders("db_t")
        self.assertEqual(values, {"trusted": "db_t", "genres": "'drama', 'crime'",
                                  "min_year": "0", "max_year": "9999", "money_floor": "500",
                                  "century_from": "2000"})
        values = se.Settings([], 1990, 2010).placeholders("db_t")
        self.assertEqual((values["genres"], values["min_year"], values["max_year"]),
                         ("", "1990", "2010"))
        self.assertEqual(se.Settings().describe(),
                         "Films of interest: films with genre Drama, released 2000 or later. "
                         "Budgets and revenues under 1000 USD are placeholders, read as unknown.")

    def test_the_continents_are_those_of_geo_rs(self):
        # The demo lakes hold a few countries only; the CASE must be the whole of geo.rs.
        src = (ROOT / "crates/refined/src/geo.rs").read_text()
        lists = {m.group(1): re.findall(r'"([A-Z]{2})"', m.group(2))
                 for m in re.finditer(r"const (\w+): &\[&str\] = &\[(.*?)\];", src, re.S)}
        rust = {cont: sorted(lists[const])
                for const, cont in re.findall(r'is\((\w+)\)\s*\{\s*"([^"]+)"', src)}
        self.assertEqual(len(rust), 7)
        f = se.SqlFile(se.REFINED_DIR / "dim_country.sql")
        tree = se.parse_ctas(f, se.Settings().placeholders("cinelake_trusted"))
        column = {c.alias_or_name: c for c in tree.selects}
        case = column["continent"].find(se.exp.Case)
        sql = {i.args["true"].name: sorted(e.name for e in i.this.expressions)
               for i in case.args["ifs"]}
        self.assertEqual(sql, rust)
        self.assertEqual(case.args["default"].name, "Unknown")
        south = column["is_south_america"].find(se.exp.In)
        self.assertEqual(sorted(e.name for e in south.expressions), rust["South America"])


class CteCopies(unittest.TestCase):
    """Each sql/refined file repeats the CTEs it shares with others (Athena has no
    includes); a CTE name held by several files must be the same query in each."""

    def setUp(self):
        self.tmp = Path(tempfile.mkdtemp(prefix="cinelake-ctes-"))
        self.sql = self.tmp / "refined"
        shutil.copytree(se.REFINED_DIR, self.sql)

    def tearDown(self):
        shutil.rmtree(self.tmp)

    def edit(self, table, old, new):
        path = self.sql / f"{table}.sql"
        text = path.read_text()
        self.assertIn(old, text, f"{table}.sql no longer contains {old!r}; update the test")
        path.write_text(text.replace(old, new, 1))

    def test_the_real_files_repeat_their_ctes_unchanged(self):
        self.assertEqual(se.check_cte_copies(), [])
        trees = {f.path: se.parse_ctas(f, se.Settings().placeholders("cinelake_trusted"))
                 for f in se.load_sql(se.REFINED_DIR)}
        shared = se.shared_ctes(trees)
        for cte in ("titles (13)", "admitted (13)", "tmdb (13)", "latest (11)"):
            self.assertIn(cte, shared)

    def test_comments_and_layout_do_not_count(self):
        self.edit("dim_film", "-- One row per title of Trusted movies",
                  "-- Reworded: one row per title of Trusted movies")
        self.edit("dim_film", "    SELECT title_id, primary_title, release_year",
                  "  select   title_id,primary_title, /* c */\n  release_year")
        self.assertEqual(se.check_cte_copies(self.sql), [])

    def test_a_changed_copy_fails_naming_the_cte_and_the_file(self):
        # dim_genre's latest takes the oldest collection; the nine other copies agree.
        self.edit("dim_genre", "ORDER BY tm.dt DESC, tm.source_file",
                  "ORDER BY tm.dt, tm.source_file")
        failures = se.check_cte_copies(self.sql)
        self.assertEqual(len(failures), 1, failures)
        text = failures[0]
        self.assertIn("the CTE latest is not the same query in every file that repeats it",
                      text)
        self.assertIn("fact_film.sql, fact_film_snapshot.sql, set_aside.sql agree; "
                      "dim_genre.sql differs", text)
        self.assertIn("--- latest in bridge_film_country.sql\n    +++ latest in dim_genre.sql",
                      text)
        self.assertRegex(text, r"\n    -.*ORDER BY tm\.dt DESC, tm\.source_file")
        self.assertRegex(text, r"\n    \+.*ORDER BY tm\.dt, tm\.source_file")
        # parse and ctas (before the lake's tables are read) fail on it too.
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            self.assertEqual(se.main(["parse", str(self.sql)]), 1)
        self.assertIn("FAIL ", out.getvalue())
        self.assertIn("dim_genre.sql differs", out.getvalue())
        (self.tmp / "lake/_catalog").mkdir(parents=True)  # a lake with no tables
        failures = se.check_ctas(self.tmp / "lake", self.sql, out=lambda _: None)
        self.assertEqual(len(failures), 1, failures)
        self.assertIn("the CTE latest", failures[0])

    def test_two_files_that_differ_are_both_named(self):
        self.edit("dim_artist", "WHERE m.artist_name IS NOT NULL",
                  "WHERE m.artist_name <> ''")
        failures = se.check_cte_copies(self.sql)
        self.assertEqual(len(failures), 1, failures)
        self.assertIn("the CTE cast_rows is not the same query", failures[0])
        self.assertIn("bridge_film_artist.sql has one; dim_artist.sql differs", failures[0])


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
        self.assertIn("t.sql:4:34: unknown placeholder ${min} (the convention has ${db})",
                      str(e.exception))
        with self.assertRaisesRegex(se.Failure, r"o\.sql:1:8: a `\$\{` is never closed"):
            se.substitute(se.SqlFile(self.tmp / "o.sql", "SELECT ${db"), {"db": "x"})
        # A value is not scanned again: one holding `${` stays as given.
        v = se.substitute(f, {"db": "${min}", "min": "1"})
        self.assertIn("FROM ${min}.t", v)

    def test_a_file_built_from_its_filled_text_keeps_its_path(self):
        f = se.SqlFile(self.path, "-- x\nSELECT 1")
        self.assertEqual((f.path, f.name, f.text, f.select), (self.path, "t", "-- x\nSELECT 1",
                                                             "SELECT 1"))

    def test_the_statement_is_rusts(self):
        self.assertEqual(se.statement("  -- only a comment"), "")
        self.assertEqual(se.statement("-- c\nSELECT 1;\n"), "SELECT 1")
        self.assertEqual(se.statement("\n  -- c\n\n\t-- d\nSELECT 1\n-- e\n;; \n"),
                         "SELECT 1\n-- e")
        # A comment line ends at \n only (not at a lone \r, as splitlines would have it).
        self.assertEqual(se.statement("-- c\rSELECT 1"), "")
        # Rust's whitespace, not Python's: U+001C is kept, U+3000 trimmed.
        self.assertEqual(se.statement("\x1cSELECT 1\u3000"), "\x1cSELECT 1")


class Compare(unittest.TestCase):
    COLS = ["id", "x", "ok"]

    def diff(self, left, right, right_cols=None):
        return se.compare_rows("v", (self.COLS, left), (right_cols or self.COLS, right))

    def test_floats_within_the_tolerance_and_nulls_are_equal(self):
        self.assertIsNone(self.diff([("a", 0.1 + 0.2, True), ("b", None, None)],
                                    [("b", None, None), ("a", 0.3, True)]))

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

    def test_other_columns_differ(self):
        self.assertIn("the columns differ", self.diff([("a", 1.0, True)], [("a", 1.0)], ["id", "x"]))


if __name__ == "__main__":
    unittest.main()
