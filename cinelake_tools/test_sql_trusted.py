"""The Trusted CSV jobs' SQL for Athena (sql/trusted) against the Polars path, through
the check that compares them (cinelake_tools.sql_trusted): the real SQL gives the Polars
path's rows and rejects on hand-made Raw files with a bad line of every kind the Polars
path refuses, and the check fails on broken copies of the SQL (one that takes 'NaN' as
a number, one that drops a reject, ...), or its passing means nothing.

    CINELAKE_BIN=path/to/cinelake .venv/bin/python -m pytest cinelake_tools/test_sql_trusted.py

The lakes are made by a real `cinelake` (`upload`, then `trusted`), given by
CINELAKE_BIN: scripts/test runs this file again with the binary it has just built;
without CINELAKE_BIN those tests are skipped (the emulation's own tests still run). With
CINELAKE_SAMPLES set, the real sample files (never copied into the repository) are
checked too.
"""

import contextlib
import io
import json
import os
import shutil
import tempfile
import unittest
from pathlib import Path

from cinelake_tools import common
from cinelake_tools import sql_trusted as st

BIN = os.environ.get("CINELAKE_BIN")
DATE = "2026-11-01"
MOVIES_HEADER = (
    "id|tituloPincipal|tituloOriginal|anoLancamento|tempoMinutos|genero|notaMedia|"
    "numeroVotos|generoArtista|personagem|nomeArtista|anoNascimento|"
    "anoFalecimento|profissao|titulosMaisConhecidos"
)
SERIES_HEADER = MOVIES_HEADER.replace("|anoLancamento|", "|anoLancamento|anoTermino|")
MOVIE = {
    "id": "tt0000009",
    "tituloPincipal": '"Miss" Jerry, Part 1',
    "tituloOriginal": "Miss Jerry",
    "anoLancamento": "1894",
    "tempoMinutos": "45",
    "genero": "Romance,Drama",
    "notaMedia": "5.3",
    "numeroVotos": "200",
    "generoArtista": "actress",
    "personagem": "Miss Geraldine Holbrook (Miss Jerry)",
    "nomeArtista": "Blanche Bayliss",
    "anoNascimento": "1878",
    "anoFalecimento": "1951",
    "profissao": "actress",
    "titulosMaisConhecidos": "tt0000009",
}
SERIES = {**MOVIE, "id": "tt0025509", "anoTermino": "1934"}
NAMES = {"movies": MOVIES_HEADER.split("|"), "series": SERIES_HEADER.split("|")}


def line(table, **fields):
    """A line of `table` with the base row's fields, some changed."""
    base = MOVIE if table == "movies" else SERIES
    return "|".join({**base, **fields}[n] for n in NAMES[table])


def m(**fields):
    return line("movies", **fields)


def s(**fields):
    return line("series", **fields)


def whole(column, value):
    return f'{column}: "{value}" is not a whole number'


def number(value):
    return f'notaMedia: "{value}" is not a number'


# Lines the Polars path keeps, and lines it refuses with its reason (asserted against its
# quarantine, so that each kind of line is known to be what the test says it is).
MOVIES_KEPT = [
    m(),
    m(tempoMinutos="\\N", genero="\\N", personagem="\\N", anoNascimento="\\N", anoFalecimento=""),
    m(id="", tituloPincipal="", profissao="", titulosMaisConhecidos=""),
    m(anoLancamento="+5"),
    m(anoLancamento="-0"),
    m(anoLancamento="007"),
    m(anoLancamento="-2147483648", tempoMinutos="2147483647"),
    m(numeroVotos="3000000000"),
    m(numeroVotos="-9223372036854775808"),
    m(notaMedia="1."),
    m(notaMedia=".5"),
    m(notaMedia="+.5e-3"),
    m(notaMedia="1E5"),
    m(notaMedia="-0.5e1"),
    m(notaMedia="1e-400"),
    m(notaMedia="00.5"),
    m(notaMedia="7"),
    m(notaMedia="1.7976931348623157e308"),
    m(notaMedia="1.e2"),
    m(genero="Drama,,Comedy,", profissao=","),
    m(tituloPincipal="Ação 日本 🎬", personagem=" spaced ", nomeArtista="tab\there"),
    m(tituloPincipal="control \x01 byte", tituloOriginal="\\N\\N", personagem="back\\nslash"),
    m(tituloOriginal="Caf\ufffd (a real U+FFFD is UTF-8)"),
]
MOVIES_REFUSED = [
    (m(anoLancamento="189A"), whole("anoLancamento", "189A")),
    (m(anoLancamento=" 12"), whole("anoLancamento", " 12")),
    (m(anoLancamento="12 "), whole("anoLancamento", "12 ")),
    (m(anoLancamento="1e3"), whole("anoLancamento", "1e3")),
    (m(anoLancamento="1.0"), whole("anoLancamento", "1.0")),
    (m(anoLancamento="２０００"), whole("anoLancamento", "２０００")),
    (m(anoLancamento="+"), whole("anoLancamento", "+")),
    (m(anoLancamento="0x10"), whole("anoLancamento", "0x10")),
    (m(anoLancamento="1_000"), whole("anoLancamento", "1_000")),
    (m(tempoMinutos="3000000000"), whole("tempoMinutos", "3000000000")),
    (m(numeroVotos="9223372036854775808"), whole("numeroVotos", "9223372036854775808")),
    (m(numeroVotos="5.0"), whole("numeroVotos", "5.0")),
    (m(notaMedia="NaN"), number("NaN")),
    (m(notaMedia="nan"), number("nan")),
    (m(notaMedia="inf"), number("inf")),
    (m(notaMedia="-inf"), number("-inf")),
    (m(notaMedia="+infinity"), number("+infinity")),
    (m(notaMedia="Infinity"), number("Infinity")),
    (m(notaMedia="1e999"), number("1e999")),
    (m(notaMedia="."), number(".")),
    (m(notaMedia="e5"), number("e5")),
    (m(notaMedia="1e"), number("1e")),
    (m(notaMedia="1e+"), number("1e+")),
    (m(notaMedia=" 7.5"), number(" 7.5")),
    (m(notaMedia="7.5 "), number("7.5 ")),
    (m(notaMedia="1,5"), number("1,5")),
    (m(notaMedia="7.5d"), number("7.5d")),
    (m(notaMedia="0x1p3"), number("0x1p3")),
    (m(notaMedia="١"), number("١")),
    (m(notaMedia="high"), number("high")),
    (m(anoLancamento="20x1", notaMedia="high"), f"{whole('anoLancamento', '20x1')}; {number('high')}"),
    (
        m(anoNascimento="c.1900", anoFalecimento="?", tempoMinutos="1h"),
        f"{whole('tempoMinutos', '1h')}; {whole('anoNascimento', 'c.1900')}; {whole('anoFalecimento', '?')}",
    ),
    ("|".join(m().split("|")[:12]), "12 fields, expected 15"),
    (m() + "|surplus", "16 fields, expected 15"),
    (m(anoLancamento="bad") + "|x", "16 fields, expected 15"),
    ("", "1 fields, expected 15"),
    ("\\N", "1 fields, expected 15"),
    ("|", "2 fields, expected 15"),
    ('"a|b"|c', "3 fields, expected 15"),
]
SERIES_KEPT = [s(), s(anoTermino="\\N"), s(anoTermino=""), s(anoTermino="+2001")]
SERIES_REFUSED = [
    (s(anoTermino="1934-1940"), whole("anoTermino", "1934-1940")),
    (s(anoTermino="NaN", notaMedia="NaN"), f"{whole('anoTermino', 'NaN')}; {number('NaN')}"),
    (m(id="tt0025509"), "15 fields, expected 16"),
]


def text_file(header, lines, crlf_every=3, final_newline=False):
    """The file's bytes: some lines end in CRLF, and the last has no line break."""
    out = header + "\n"
    for i, text in enumerate(lines):
        last = i == len(lines) - 1
        out += text + ("" if last and not final_newline else "\r\n" if i % crlf_every == 1 else "\n")
    return out.encode("utf-8")


def run(*args):
    """`cinelake ARGS`; a failure stops the test, showing its output."""
    return common.run([BIN, *args], f"cinelake {' '.join(args)}", env={**os.environ, "RUST_LOG": "warn"}).stdout


def make_lake(root, movies, series, upload=True):
    """A lake where `cinelake upload` (or, for a file it would refuse, a plain copy into
    Raw) and then `cinelake trusted` ran over these file bytes."""
    lake = root / "lake"
    if upload:
        data = root / "data"
        data.mkdir(parents=True)
        (data / "movies.csv").write_bytes(movies)
        (data / "series.csv").write_bytes(series)
        run("upload", "--lake", str(lake), "--source-dir", str(data), "--date", DATE, "--allow-empty")
    else:
        for table, body in (("movies", movies), ("series", series)):
            folder = lake / "Raw" / "Local" / "CSV" / st.TABLES[table] / DATE.replace("-", "/")
            folder.mkdir(parents=True)
            (folder / f"{table}.csv").write_bytes(body)
    run("trusted", "--lake", str(lake), "--only", "movies,series", "--max-rejected-percent", "100")
    return lake


def quarantine(lake, table):
    """The Polars path's rejects: {raw: reason}."""
    files = sorted((lake / "Trusted" / "_rejected" / table).glob("*.jsonl"))
    if not files:
        return {}
    return {r["raw"]: r["reason"] for r in map(json.loads, files[-1].read_text().splitlines())}


def check(lake, sql_dir=None, *extra):
    out = io.StringIO()
    args = ["--lake", str(lake), *extra]
    if sql_dir:
        args += ["--sql-dir", str(sql_dir)]
    else:
        args += ["--cinelake", BIN]
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        rc = st.main(args)
    return rc, out.getvalue()


@unittest.skipUnless(
    BIN, "set CINELAKE_BIN to a cinelake binary to make the test lakes (scripts/test does, with the one it builds)"
)
class AgainstThePolarsPath(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = Path(tempfile.mkdtemp(prefix="cinelake-sql-trusted-"))
        movies = [m() for _ in range(3)] + MOVIES_KEPT + [t for t, _ in MOVIES_REFUSED]
        series = SERIES_KEPT + [t for t, _ in SERIES_REFUSED]
        cls.lake = make_lake(cls.tmp / "bad-lines", text_file(MOVIES_HEADER, movies), text_file(SERIES_HEADER, series))

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp)

    def setUp(self):
        self.sql = Path(tempfile.mkdtemp(prefix="sql-", dir=self.tmp))
        for table in st.TABLES:
            st.render(BIN, table, self.sql)

    def edit(self, name, old, new, count=1):
        """The binary's <name>.sql (`cinelake trusted-sql`) with `old` replaced by `new`."""
        path = self.sql / f"{name}.sql"
        text = path.read_text()
        self.assertIn(old, text, f"{name}.sql no longer holds {old!r}: update the test")
        path.write_text(text.replace(old, new, count))

    def edit_both(self, table, old, new, count=1):
        self.edit(table, old, new, count)
        self.edit(f"{table}_rejects", old, new, count)

    # ---- the fixture is what it says: every kind of line, judged as the test expects

    def test_the_polars_path_refuses_exactly_the_lines_listed(self):
        for table, refused in (("movies", MOVIES_REFUSED), ("series", SERIES_REFUSED)):
            self.assertEqual(quarantine(self.lake, table), dict(refused), table)

    # ---- the real SQL agrees

    def test_the_real_sql_gives_the_polars_rows_and_rejects(self):
        rc, out = check(self.lake)
        self.assertEqual(rc, 0, out)
        kept, refused = len(MOVIES_KEPT) + 3, len(MOVIES_REFUSED)
        self.assertIn(
            f"movies   {kept + refused:>8} lines: {kept:>8} rows = the Polars "
            f"path's table (15 columns, same types), {refused:>6} rejects",
            out,
        )
        self.assertIn(f"{len(SERIES_REFUSED):>6} rejects = its quarantine", out)
        self.assertIn("Athena's SQL = the Polars path", out)

    # ---- broken copies fail

    def test_a_number_check_that_takes_nan_and_infinity_fails(self):
        # What a plain try_cast would do: Trino and DuckDB read 'NaN', 'Infinity', ' 7.5'.
        self.edit_both(
            "movies",
            "AND coalesce(is_finite(try_cast(average_rating AS double)), false)",
            "OR try_cast(average_rating AS double) IS NOT NULL",
        )
        rc, out = check(self.lake, self.sql, "--only", "movies")
        self.assertEqual(rc, 1, out)
        self.assertIn("FAIL movies: SQL", out)
        self.assertIn("only in SQL", out)
        # The rows with '-inf', 'NaN' (shown as None), ' 7.5' kept; their rejects gone.
        self.assertIn("'average_rating': -inf", out)
        self.assertIn("FAIL movies rejects:", out)
        self.assertIn("only in Polars quarantine", out)

    def test_a_rejects_select_that_drops_the_field_count_rejects_fails(self):
        self.edit(
            "movies_rejects",
            "WHERE reason IS NOT NULL",
            "WHERE reason IS NOT NULL AND reason NOT LIKE '% fields, expected %'",
        )
        rc, out = check(self.lake, self.sql, "--only", "movies")
        self.assertEqual(rc, 1, out)
        self.assertIn("a line kept twice or lost", out)
        self.assertIn("FAIL movies rejects: SQL", out)
        self.assertIn("'reason': '12 fields, expected 15'", out)

    def test_another_reason_text_fails(self):
        self.edit_both("movies", "is not a whole number", "is not an integer", -1)
        rc, out = check(self.lake, self.sql, "--only", "movies")
        self.assertEqual(rc, 1, out)
        self.assertIn("FAIL movies rejects:", out)
        self.assertIn("is not an integer", out)

    def test_rejects_judged_by_other_rules_than_the_rows_fail(self):
        self.edit("movies_rejects", "'^[+-]?[0-9]+$'", "'^[0-9]+$'")
        rc, out = check(self.lake, self.sql, "--only", "movies")
        self.assertEqual(rc, 1, out)
        self.assertIn("the WITH of", out)
        self.assertIn("must judge lines by the same rules", out)

    def test_a_wider_whole_number_fails(self):
        # Taking '5.0' as a whole number (through a cast to double) keeps a refused line.
        self.edit_both(
            "movies", "regexp_like(num_votes, '^[+-]?[0-9]+$')", "regexp_like(num_votes, '^[+-]?[0-9]+(\\.0)?$')"
        )
        self.edit_both(
            "movies", "try_cast(num_votes AS bigint) IS NOT NULL", "try_cast(num_votes AS double) IS NOT NULL"
        )
        self.edit(
            "movies",
            "try_cast(num_votes AS bigint) AS num_votes",
            "try_cast(try_cast(num_votes AS double) AS bigint) AS num_votes",
        )
        rc, out = check(self.lake, self.sql, "--only", "movies")
        self.assertEqual(rc, 1, out)
        self.assertIn("'num_votes': 5", out)

    def test_another_type_fails(self):
        self.edit("movies", "try_cast(num_votes AS bigint) AS num_votes", "try_cast(num_votes AS integer) AS num_votes")
        rc, out = check(self.lake, self.sql, "--only", "movies")
        self.assertEqual(rc, 1, out)
        self.assertIn("the types differ: num_votes int (Polars path: bigint)", out)

    def test_another_column_order_fails(self):
        self.edit(
            "movies",
            "    try_cast(birth_year AS integer) AS birth_year,\n    try_cast(death_year AS integer) AS death_year,\n",
            "    try_cast(death_year AS integer) AS death_year,\n    try_cast(birth_year AS integer) AS birth_year,\n",
        )
        rc, out = check(self.lake, self.sql, "--only", "movies")
        self.assertEqual(rc, 1, out)
        self.assertIn("the columns differ", out)

    def test_a_text_null_that_is_not_the_polars_null_fails(self):
        # `\N` is null in text columns too, not only in numbers.
        self.edit(
            "movies", "CASE WHEN character_name IN ('', '\\N') THEN NULL", "CASE WHEN character_name IN ('') THEN NULL"
        )
        rc, out = check(self.lake, self.sql, "--only", "movies")
        self.assertEqual(rc, 1, out)
        self.assertIn("'character_name': '\\\\N'", out)

    def test_a_table_that_reads_the_line_null_format_by_default_fails(self):
        # Hive's default null format is `\N`: a line `\N` would come as null.
        self.edit(
            "movies_raw_table", "'field.delim' = '-1',\n    'serialization.null.format' = ''", "'field.delim' = '-1'"
        )
        rc, out = check(self.lake, self.sql, "--only", "movies")
        self.assertEqual(rc, 1, out)
        self.assertIn("FAIL movies rejects:", out)
        self.assertIn("'raw': '\\\\N'", out)

    def test_a_table_cut_at_a_control_character_fails(self):
        # '\u0001' as the field delimiter: a line holding that (valid UTF-8) byte is cut.
        self.edit("movies_raw_table", "'field.delim' = '-1',\n", "'field.delim' = '1',\n")
        rc, out = check(self.lake, self.sql, "--only", "movies")
        self.assertEqual(rc, 1, out)
        self.assertIn("'raw': 'tt0000009|control ', 'reason': '2 fields, expected 15'", out)
        self.assertIn("only in Polars path", out)

    def test_an_unknown_placeholder_fails(self):
        self.edit_both("movies", "FROM cinelake_raw.movies_csv", "FROM ${raw_db}.lines")
        rc, out = check(self.lake, self.sql, "--only", "movies")
        self.assertEqual(rc, 1, out)
        # As the Rust side renders it (sql_engines.substitute): the file, line and column,
        # and the placeholders there are.
        text = (self.sql / "movies.sql").read_text()
        at = text.index("${raw_db}")
        line, col = text.count("\n", 0, at) + 1, at - text.rfind("\n", 0, at)
        self.assertIn(
            f"movies.sql:{line}:{col}: unknown placeholder ${{raw_db}} (the "
            "convention has ${raw_table}, ${raw_location})",
            out,
        )

    def test_syntax_only_sqlglot_takes_fails(self):
        self.edit_both("movies", "try_cast(release_year AS integer) IS NOT NULL", "release_year::integer IS NOT NULL")
        rc, out = check(self.lake, self.sql, "--only", "movies")
        self.assertEqual(rc, 1, out)
        self.assertIn("`::` casts are not Trino", out)

    # ---- arguments and lakes

    def test_bad_arguments_and_a_lake_without_the_files_exit_2(self):
        self.assertEqual(check(self.lake, None, "--only", "tmdb")[0], 2)
        self.assertEqual(check(self.tmp / "nowhere")[0], 2)
        empty = self.tmp / "empty"
        (empty / "_catalog").mkdir(parents=True)
        rc, out = check(empty)
        self.assertEqual(rc, 2, out)
        self.assertIn("no Raw/Local/CSV/Movies/YYYY/MM/DD/movies.csv", out)


@unittest.skipUnless(BIN, "set CINELAKE_BIN to a cinelake binary")
class NotUtf8(unittest.TestCase):
    """Lines that are not UTF-8 (which `cinelake upload` refuses, so copied into Raw):
    the SQL finds the first bad byte where Rust's `valid_up_to` does, and shows the line
    as the Polars path does."""

    # Bytes that are not UTF-8 written as surrogate escapes (\udce9 is the byte 0xE9).
    LINES = [
        m(tituloPincipal="Caf\udce9"),  # Latin-1
        m(tituloPincipal="Ação\udce9x"),  # after characters of two bytes
        m(tituloPincipal="caf\udcef\udcbfA"),  # begins as U+FFFD (EF BF BD) does
        m(tituloPincipal="caf\udcefA"),
        m(titulosMaisConhecidos="tt1\udce2\udc82"),  # cut short at the end of the line
        m(tituloPincipal="\udcc3x", anoLancamento="bad") + "|surplus",  # only this reason
        "\udce9\udce9",
    ]

    @classmethod
    def setUpClass(cls):
        cls.tmp = Path(tempfile.mkdtemp(prefix="cinelake-sql-trusted-"))
        body = (
            MOVIES_HEADER.encode()
            + b"\n"
            + b"\n".join(t.encode("utf-8", errors="surrogateescape") for t in cls.LINES + [m()])
        )
        # series.csv: a header and nothing else, without a line break.
        cls.lake = make_lake(cls.tmp, body, SERIES_HEADER.encode(), upload=False)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp)

    def test_the_sql_finds_the_same_byte_and_shows_the_same_text(self):
        expected = {}
        for text in self.LINES:
            data = text.encode("utf-8", errors="surrogateescape")
            try:
                data.decode("utf-8")
            except UnicodeDecodeError as e:  # e.start is Rust's valid_up_to
                expected[data.decode("utf-8", "replace")] = f"not UTF-8 at byte {e.start}"
        self.assertEqual(quarantine(self.lake, "movies"), expected)
        rc, out = check(self.lake)
        self.assertEqual(rc, 0, out)
        self.assertIn(f"{len(self.LINES):>6} rejects = its quarantine", out)
        self.assertIn("series          0 lines:        0 rows", out)


@unittest.skipUnless(BIN, "set CINELAKE_BIN to a cinelake binary")
class KnownDifferences(unittest.TestCase):
    """What sql/trusted/README.md says Athena cannot do as the Polars path does, shown:
    the check fails on each, naming the line."""

    def setUp(self):
        self.tmp = Path(tempfile.mkdtemp(prefix="cinelake-sql-trusted-"))

    def tearDown(self):
        shutil.rmtree(self.tmp)

    def lake(self, *lines):
        body = MOVIES_HEADER.encode() + b"\n" + b"\n".join(lines + (m().encode(),)) + b"\n"
        return make_lake(self.tmp, body, SERIES_HEADER.encode() + b"\n", upload=False)

    def test_a_carriage_return_inside_a_line_ends_it_on_athena(self):
        lake = self.lake(m(personagem="one\rtwo").encode())
        rc, out = check(lake, None, "--only", "movies")
        self.assertEqual(rc, 1, out)
        self.assertIn("'reason': '10 fields, expected 15'", out)  # the line's first part

    def test_a_byte_0xff_cuts_the_line_on_athena(self):
        # Refused for the same reason, but shown cut at the 0xFF; and a line whose only
        # bad byte is a 0xFF in its last field is kept, cut.
        lake = self.lake(
            m(tituloPincipal="Caf\udce9", personagem="x\udcffy").encode("utf-8", errors="surrogateescape"),
            m(titulosMaisConhecidos="tt1\udcff").encode("utf-8", "surrogateescape"),
        )
        rc, out = check(lake, None, "--only", "movies")
        self.assertEqual(rc, 1, out)
        self.assertIn("FAIL movies: SQL 2 rows, Polars path 1 rows; 1 only in SQL", out)
        self.assertIn("|x', 'reason': 'not UTF-8 at byte 13'", out)

    def test_a_surrogate_shows_as_one_replacement_on_athena_three_in_rust(self):
        lake = self.lake(m(tituloPincipal="a\udced\udca0\udc80b").encode("utf-8", errors="surrogateescape"))
        rc, out = check(lake, None, "--only", "movies")
        self.assertEqual(rc, 1, out)
        self.assertIn("a\ufffdb", out)
        self.assertIn("a\ufffd\ufffd\ufffdb", out)


@unittest.skipUnless(
    BIN and os.environ.get("CINELAKE_SAMPLES"), "needs CINELAKE_BIN and the real sample data (CINELAKE_SAMPLES)"
)
class RealSamples(unittest.TestCase):
    def test_the_real_samples_agree(self):
        compass = Path(os.environ["CINELAKE_SAMPLES"]) / "compass"
        with tempfile.TemporaryDirectory(prefix="cinelake-sql-trusted-") as tmp:
            lake = make_lake(
                Path(tmp), (compass / "movies_head100.csv").read_bytes(), (compass / "series_head100.csv").read_bytes()
            )
            rc, out = check(lake)
        self.assertEqual(rc, 0, out)
        self.assertIn("movies        100 lines:      100 rows", out)
        self.assertIn("series        100 lines:      100 rows", out)


class Emulation(unittest.TestCase):
    """The pieces that stand in for Athena: the text reader and Trino's byte functions."""

    def test_lines_end_as_trinos_text_reader_ends_them(self):
        self.assertEqual(st.text_lines(b"\xef\xbb\xbfh\na\r\nb\rc\n\nd"), [b"h", b"a", b"b", b"c", b"", b"d"])
        self.assertEqual(st.text_lines(b"h\na\n"), [b"h", b"a"])
        self.assertEqual(st.text_lines(b"h\r\n\r\n"), [b"h", b""])
        self.assertEqual(st.text_lines(b""), [])

    def test_the_real_table_reads_whole_lines_and_keeps_backslash_n(self):
        values = {"raw_table": "cinelake_raw.movies_csv", "raw_location": st.RAW_LOCATION}
        table = st.RawTable(st.TRUSTED_SQL / "raw_csv_table.sql", values)
        self.assertEqual(table.field_delim, 0xFF)
        self.assertEqual(table.lines(b"h\na|b\x01c\n\\N\n\nx\xffy"), [b"a|b\x01c", b"\\N", None, b"x"])

    def test_delimiters_are_read_as_hive_reads_them(self):
        self.assertEqual(st.byte_of("-1", 1), 0xFF)
        self.assertEqual(st.byte_of("1", 9), 1)
        self.assertEqual(st.byte_of("|", 1), ord("|"))
        self.assertEqual(st.byte_of("", 1), 1)

    def test_from_utf8_repairs_as_airlift_does(self):
        cases = {
            b"caf\xc3\xa9": "café",
            b"caf\xe9x": "caf\ufffdx",
            b"\xef\xbf\x41": "\ufffdA",
            b"\xed\xa0\x80": "\ufffd",
            b"\xc0\x80": "\ufffd",
            b"\xf8\x88\x80\x80\x80": "\ufffd",
            b"\x80\x80": "\ufffd\ufffd",
            b"\xe2\x82": "\ufffd",
            b"\xff": "\ufffd",
            b"\xf4\x90\x80\x80": "\ufffd",
            b"\xf0\x9f\x8e\xac": "🎬",
        }
        for data, text in cases.items():
            self.assertEqual(st.trino_from_utf8(data), text, data)

    def test_bytes_that_are_not_utf8_survive_the_round_trip(self):
        for data in [b"caf\xe9", b"\xff\xfe", b"ok", "日本".encode(), b"\xed\xa0\x80"]:
            self.assertEqual(st.trino_to_utf8(st.held(data)), data)

    def test_placeholders_are_filled_as_the_rust_side_fills_them(self):
        values = {"raw_table": "cinelake_raw.movies_csv", "raw_location": st.RAW_LOCATION}
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "t.sql"
            path.write_text("-- reads ${raw_table}\n\nSELECT line FROM ${raw_table};\n")
            f = st.filled(path, values)
            self.assertEqual((f.path, f.name), (path, "t"))
            self.assertEqual(st.se.statement(f.text), "SELECT line FROM cinelake_raw.movies_csv")
            path.write_text("-- x\nSELECT line\nFROM ${raw_db}.t\n")
            with self.assertRaises(st.Failure) as e:
                st.filled(path, values)
            self.assertIn(
                "t.sql:3:6: unknown placeholder ${raw_db} (the convention has ${raw_table}, ${raw_location})",
                str(e.exception),
            )
            path.write_text("SELECT ${raw_table")
            with self.assertRaisesRegex(st.Failure, r"t\.sql:1:8: a `\$\{` is never closed"):
                st.filled(path, values)


if __name__ == "__main__":
    unittest.main()
