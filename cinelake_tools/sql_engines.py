"""The views' SQL as Athena reads it: parsed as Trino, run on DuckDB, and compared
with what Polars SQL gives on the same lake.

    .venv/bin/python -m cinelake_tools.sql_engines views --lake DIR [--cinelake BIN]
    .venv/bin/python -m cinelake_tools.sql_engines parse FILE_OR_DIR...

`views` checks `sql/views/*.sql` (or --sql-dir) over a directory lake with its local
catalog (`_catalog/`), in three steps:

  1 parse    each file's SELECT (its leading `--` lines dropped, as views::select_of
             does) with sqlglot's Trino reader, errors raised; also refused: a few
             tokens that reader takes but Trino does not (`::`, `==`, ILIKE).
  2 DuckDB   each SELECT typed as Trino types it (columns resolved against the
             catalog's Glue types, so an unknown column fails here) and transpiled
             (read trino, write duckdb): the types keep Trino's meaning, e.g. an
             integer divided by an integer stays an integer. The tables the views
             read become DuckDB views over their Parquet, found through the catalog
             as the local engine finds them (the `*.parquet` directly under the
             table's Location, or under each partition's Location with the partition
             values as string columns; Refined tables by name, Trusted ones as
             `trusted_<name>`). The views are created in the order
             crates/query/src/views.rs lists them (checked to be a dependency order;
             for another --sql-dir, an order derived from what each reads), and
             every row of each is selected.
  3 compare  each view's rows against `cinelake query --format json "SELECT * FROM
             <view>"` (Polars SQL, over the views the binary carries): as multisets,
             columns by name, numbers equal within a relative 1e-9, nulls equal (and
             apart from 0 and ''). JSON rather than CSV: it keeps null, '' and
             numbers apart.

`parse` runs step 1 alone, on any SQL files.

One line per file or view that agrees; a failure names the file or view and
shows the error or a few differing rows. Exit 0 when everything agrees, 1 on any parse
failure, DuckDB error or difference, 2 on bad arguments or an unreadable lake.

The pieces (SqlFile, load_sql, parse_trino, dependency_order, Lake, DuckLake,
compare_rows; substitute and statement, the twins of crates/athena/src/sql.rs render and
statement) are importable, for checks of other SQL
(cinelake_tools.sql_trusted).
"""

import argparse
import datetime
import decimal
import json
import math
import os
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

from cinelake_tools.common import ROOT, RUST_WHITESPACE, shown

try:
    import duckdb
    import sqlglot
    from sqlglot import exp
    from sqlglot.dialects.trino import Trino
    from sqlglot.optimizer.annotate_types import annotate_types
    from sqlglot.optimizer.qualify import qualify
    from sqlglot.schema import MappingSchema
    from sqlglot.tokens import TokenType
except ImportError as e:
    print(
        f"sql_engines needs sqlglot and duckdb ({e}): python3 -m cinelake_tools.python_env "
        "ensure .venv requirements/test.txt, then run it with .venv/bin/python",
        file=sys.stderr,
    )
    sys.exit(2)

VIEWS_DIR = ROOT / "sql" / "views"
VIEWS_RS = ROOT / "crates" / "query" / "src" / "views.rs"
TRUSTED_PREFIX = "trusted_"
REL_TOL = 1e-9
ABS_TOL = 1e-12
SHOWN = 5


class Failure(Exception):
    """A check failed; the message names the file or view."""


class SetupError(Exception):
    """Bad arguments or an unreadable lake (exit 2)."""


# ---------------------------------------------------------------- step 1: parse


class SqlFile:
    """A SQL file: its path (for errors), name (the stem) and text. `text`, when given,
    stands for the file's own (e.g. the file with its placeholders filled in by
    `substitute`); errors still name the file at `path`."""

    def __init__(self, path, text=None):
        self.path = Path(path)
        self.name = self.path.stem
        self.text = self.path.read_text() if text is None else text
        self.select = select_of(self.text)

    def __repr__(self):
        return f"SqlFile({self.path})"


def select_of(sql):
    """The statement without its `--` comment lines: what views::select_of gives Polars
    and Athena (line numbers in errors count from the first kept line)."""
    lines = [line for line in sql.splitlines() if not line.lstrip().startswith("--")]
    return "\n".join(lines).strip()


def load_sql(*paths):
    """Every `*.sql` in the directories given, and the files given, by name."""
    files = []
    for p in map(Path, paths):
        files.extend(SqlFile(f) for f in (sorted(p.glob("*.sql")) if p.is_dir() else [p]))
    names = Counter(f.name for f in files)
    twice = sorted(n for n, c in names.items() if c > 1)
    if twice:
        raise SetupError(f"two SQL files with the same name: {', '.join(twice)}")
    return files


# ---------------------------------------------------------------- the Rust side's rendering


def substitute(f, values):
    """The file's text with each `${name}` replaced, as the Rust side renders it
    (crates/athena/src/sql.rs render: the whole text, comment lines too, never scanning
    a value again); Failure naming the file, line and column for a placeholder not in
    `values` (naming those that are), or one never closed."""
    out, at = [], 0
    while (start := f.text.find("${", at)) >= 0:
        end = f.text.find("}", start + 2)
        line = f.text.count("\n", 0, start) + 1
        col = start - (f.text.rfind("\n", 0, start) + 1) + 1
        if end < 0:
            raise Failure(f"{shown(f.path)}:{line}:{col}: a `${{` is never closed")
        name = f.text[start + 2 : end]
        if name not in values:
            raise Failure(
                f"{shown(f.path)}:{line}:{col}: unknown placeholder ${{{name}}} "
                f"(the convention has {', '.join('${' + k + '}' for k in values)})"
            )
        out.extend([f.text[at:start], values[name]])
        at = end + 1
    out.append(f.text[at:])
    return "".join(out)


def statement(sql):
    """The statement of a (filled-in) file as the Rust side sends it to Athena
    (crates/athena/src/sql.rs statement): its leading `--` comment lines and blank
    lines dropped (a comment line ends at `\\n` only), and the trailing `;`s and
    whitespace."""
    rest = sql.lstrip(RUST_WHITESPACE)
    while rest.startswith("--"):
        _, newline, after = rest.partition("\n")
        rest = after.lstrip(RUST_WHITESPACE) if newline else ""
    return rest.rstrip(RUST_WHITESPACE).rstrip(";").rstrip(RUST_WHITESPACE)


# Tokens sqlglot's Trino reader accepts (it reads a superset of Trino) that Trino
# itself rejects.
NOT_TRINO = [
    (lambda t: t.token_type == TokenType.DCOLON, "`::` casts are not Trino (use CAST(x AS t))"),
    (lambda t: t.token_type == TokenType.EQ and t.text == "==", "`==` is not Trino (use =)"),
    (lambda t: t.token_type == TokenType.ILIKE, "ILIKE is not Trino (use lower(x) LIKE ...)"),
]


def parse_trino(f):
    """The file's statement as sqlglot reads Trino; Failure naming the file otherwise.
    Read with its comment lines blanked rather than dropped, so that line numbers are
    the file's."""
    text = "\n".join("" if line.lstrip().startswith("--") else line for line in f.text.splitlines())
    try:
        tree = sqlglot.parse_one(text, read="trino", error_level=sqlglot.ErrorLevel.RAISE)
    except sqlglot.ParseError as e:
        if not e.errors:
            raise Failure(f"{shown(f.path)}: Trino cannot parse it: {e}") from None
        first = e.errors[0]
        more = f" (and {len(e.errors) - 1} more errors)" if len(e.errors) > 1 else ""
        raise Failure(
            f"{shown(f.path)}:{first.get('line')}:{first.get('col')}: Trino cannot "
            f"parse it: {first.get('description')} (at {first.get('highlight')!r})"
            f"{more}"
        ) from None
    except sqlglot.errors.SqlglotError as e:
        raise Failure(f"{shown(f.path)}: Trino cannot parse it: {e}") from None
    for token in Trino().tokenize(text):
        for matches, why in NOT_TRINO:
            if matches(token):
                raise Failure(f"{shown(f.path)}:{token.line}:{token.col}: {why}")
    return tree


def references(tree):
    """The tables and views a statement reads (its own CTE names left out)."""
    ctes = {c.alias_or_name for c in tree.find_all(exp.CTE)}
    return {t.name for t in tree.find_all(exp.Table) if t.name and t.name not in ctes}


def dependency_order(trees):
    """Names of `trees` ({name: tree}) so that each comes after those it reads; ties in
    name order."""
    deps = {n: references(t) & set(trees) - {n} for n, t in trees.items()}
    order, done = [], set()
    while len(order) < len(trees):
        ready = sorted(n for n in trees if n not in done and deps[n] <= done)
        if not ready:
            raise Failure("the views read each other in a cycle: " + ", ".join(sorted(set(trees) - done)))
        order.append(ready[0])
        done.add(ready[0])
    return order


def views_rs_order(path=VIEWS_RS):
    """The order the binary (and Athena's CREATE VIEWs) define the views in."""
    return re.findall(r'\(\s*"(\w+)",\s*include_str!', Path(path).read_text())


def check_listed_order(listed, trees):
    """The views.rs list names every file and puts each view after those it reads."""
    if sorted(listed) != sorted(trees):
        raise Failure(f"{shown(VIEWS_RS)} lists {sorted(listed)}, the SQL files are {sorted(trees)}")
    for i, name in enumerate(listed):
        later = references(trees[name]) & set(listed[i + 1 :])
        if later:
            raise Failure(f"{shown(VIEWS_RS)} defines {name} before {', '.join(sorted(later))}, which it reads")


# ---------------------------------------------------------------- the lake


class Lake:
    """A directory lake's local catalog: `_catalog/<db>/<table>.json`, each Glue's
    TableInput and the Partitions (crates/catalog/src/local.rs)."""

    def __init__(self, root, database_prefix="cinelake"):
        self.root = Path(root).resolve()
        if not (self.root / "_catalog").is_dir():
            raise SetupError(f"{root}: no _catalog/ (not a directory lake with a local catalog)")
        self.dbs = [(f"{database_prefix}_refined", ""), (f"{database_prefix}_trusted", TRUSTED_PREFIX)]

    def entries(self):
        """{engine name: catalog entry} of every EXTERNAL_TABLE, named as the local
        engine names them."""
        out = {}
        for db, prefix in self.dbs:
            for f in sorted((self.root / "_catalog" / db).glob("*.json")):
                entry = json.loads(f.read_text())
                table = entry["TableInput"]
                if table.get("TableType") == "EXTERNAL_TABLE":
                    out[prefix + table["Name"]] = entry
        return out

    def view_texts(self):
        """{view name: ViewOriginalText} of the views the catalog holds."""
        out = {}
        for db, _ in self.dbs:
            for f in sorted((self.root / "_catalog" / db).glob("*.json")):
                table = json.loads(f.read_text())["TableInput"]
                if table.get("TableType") == "VIRTUAL_VIEW":
                    out[table["Name"]] = table.get("ViewOriginalText", "")
        return out

    def directory(self, location):
        """The directory a Location names: relative to the lake (how the local catalog
        stores the lake's own, so a moved lake still opens), or a `file://` URL inside
        this lake, as the local engine (Store::key_of_location) reads it."""
        if "://" not in location and not location.startswith("/"):
            return self.root / location
        base = f"file://{self.root}/"
        if not location.startswith(base):
            raise SetupError(f"location {location} is not inside the lake {self.root}")
        return self.root / location[len(base) :]

    def parquet(self, location):
        return sorted(str(p) for p in self.directory(location).glob("*.parquet") if p.is_file())


def quote(name):
    return '"' + name.replace('"', '""') + '"'


def literal(value):
    return "'" + str(value).replace("'", "''") + "'"


def parquet_list(files):
    return "[" + ", ".join(literal(f) for f in files) + "]"


def read_parquet(files):
    """DuckDB's reading of a table's files: columns by name, no partitions from the paths."""
    return f"read_parquet({parquet_list(files)}, union_by_name = true, hive_partitioning = false)"


def duckdb_type(glue_type):
    """A Glue (Hive) column type as DuckDB's."""
    return exp.DataType.build(glue_type, dialect="hive").sql(dialect="duckdb")


class DuckLake:
    """A DuckDB connection with the lake's tables as views over their Parquet."""

    def __init__(self, lake, tables):
        self.con = duckdb.connect(":memory:")
        entries = lake.entries()
        missing = sorted(set(tables) - set(entries))
        if missing:
            raise Failure(
                f"the SQL reads {', '.join(missing)}, which the catalog under {lake.root}/_catalog does not hold"
            )
        for name in sorted(tables):
            self.con.execute(self.table_sql(lake, name, entries[name]))

    @staticmethod
    def table_sql(lake, name, entry):
        table = entry["TableInput"]
        keys = [k["Name"] for k in table.get("PartitionKeys") or []]
        parts = []
        if keys:
            for p in entry.get("Partitions") or []:
                files = lake.parquet(p["Location"])
                if files:
                    extra = "".join(f", {literal(v)} AS {quote(k)}" for k, v in zip(keys, p["Values"]))
                    parts.append(f"SELECT *{extra} FROM {read_parquet(files)}")
        else:
            files = lake.parquet(table["StorageDescriptor"]["Location"])
            if files:
                parts.append(f"SELECT * FROM {read_parquet(files)}")
        if not parts:
            # Registered with no files: an empty table of the catalog's columns.
            cols = table["StorageDescriptor"]["Columns"] + (table.get("PartitionKeys") or [])
            return (
                f"CREATE TABLE {quote(name)} ("
                + ", ".join(f"{quote(c['Name'])} {duckdb_type(c['Type'])}" for c in cols)
                + ")"
            )
        return f"CREATE VIEW {quote(name)} AS " + " UNION ALL BY NAME ".join(parts)

    def create_view(self, name, duck_sql):
        self.con.execute(f"CREATE VIEW {quote(name)} AS {duck_sql}")

    def rows(self, name):
        cur = self.con.execute(f"SELECT * FROM {quote(name)}")
        return [d[0] for d in cur.description], cur.fetchall()

    def float_columns(self, name):
        """The view's columns DuckDB types as floating point (where NaN can be)."""
        cur = self.con.execute(f"SELECT * FROM {quote(name)} LIMIT 0")
        return [d[0] for d in cur.description if str(d[1]).upper() in ("DOUBLE", "FLOAT", "REAL")]


def lake_schema(lake):
    """The catalog's column types (Glue's, i.e. Hive's), for sqlglot to type the SQL as
    Athena does."""
    schema = MappingSchema(dialect="hive")
    for name, entry in lake.entries().items():
        table = entry["TableInput"]
        cols = table["StorageDescriptor"]["Columns"] + (table.get("PartitionKeys") or [])
        schema.add_table(name, {c["Name"]: c["Type"] for c in cols}, dialect="hive")
    return schema


def unnest_rows(node):
    """Trino's `UNNEST(a) AS t(x, y)` over an array of rows gives one column per field of
    the row, named by the alias list in the order of the fields; DuckDB's UNNEST gives
    one struct column (sqlglot writes it unchanged). Rewritten as a subquery DuckDB joins
    laterally, taking each field by the name the catalog gives the field at that
    position (so a Parquet file that orders the fields otherwise is read as Athena
    reads it: by name, against the table's declared order). A null row gives nulls, as
    in Trino."""
    if not isinstance(node, exp.Unnest):
        return node
    alias = node.args.get("alias")
    if not alias or not alias.columns or len(node.expressions) != 1:
        return node
    array = node.expressions[0]
    dtype = array.type
    if (
        dtype is None
        or not dtype.is_type(exp.DataType.Type.ARRAY)
        or not dtype.expressions
        or not dtype.expressions[0].is_type(exp.DataType.Type.STRUCT)
    ):
        return node
    fields = [f.name for f in dtype.expressions[0].expressions]
    if node.args.get("offset") or len(alias.columns) != len(fields):
        raise Failure(
            f"UNNEST({array.sql(dialect='trino')}) AS {alias.sql(dialect='trino')}: "
            f"Trino names the row's {len(fields)} fields ({', '.join(fields)}) "
            "one alias each, in that order"
        )
    element = exp.to_identifier("_element")
    inner = exp.select(exp.alias_(exp.Unnest(expressions=[array.copy()]), element))
    picks = [
        exp.alias_(
            exp.Anonymous(this="struct_extract", expressions=[exp.column(element), exp.Literal.string(f)]),
            column.name,
            quoted=True,
        )
        for f, column in zip(fields, alias.columns)
    ]
    return exp.select(*picks).from_(inner.subquery("_elements")).subquery(alias.this.copy())


# Transforms applied to the typed Trino tree before writing DuckDB, for constructs
# sqlglot does not transpile the way Trino runs them (the views need none; the Refined
# CTAS SQL unnests TMDB's arrays of rows).
DUCKDB_TRANSFORMS = [unnest_rows]


def typed_trino(name, tree, schema):
    """The statement with every column resolved against `schema` and every expression
    typed as Trino types it. The types carry Trino's meaning into DuckDB: an integer
    divided by an integer stays an integer (7 / 2 is 3 in Trino, 3.5 in DuckDB and in
    Polars SQL)."""
    try:
        q = qualify(tree.copy(), schema=schema, dialect="trino")
        return annotate_types(q, schema=schema, dialect="trino")
    except sqlglot.errors.SqlglotError as e:
        raise Failure(f"{name}: its names do not resolve against the catalog: {e}") from None


def to_duckdb(typed):
    for transform in DUCKDB_TRANSFORMS:
        typed = typed.transform(transform)
    return typed.sql(dialect="duckdb")


def output_types(typed):
    """{column: Trino type} of a typed statement's result, for statements that read it."""
    return {s.alias_or_name: s.type for s in typed.selects}


# ---------------------------------------------------------------- Polars SQL


# The JSON output writes NaN and the infinities as null (JSON has no form for them), so
# each float column is also selected as text, where Polars writes them as these words.
AS_TEXT = "__as_text"
NON_FINITE = {"NaN": math.nan, "inf": math.inf, "-inf": -math.inf}


def polars_rows(cinelake, lake, name, database_prefix="cinelake", float_columns=()):
    """`SELECT * FROM <name>` on the local engine: (columns, rows); the columns are
    None when there are no rows (the JSON output is then `[]`). A float column's NaN
    and infinities come back as floats, not as the JSON output's null."""
    texts = "".join(f", CAST({quote(c)} AS VARCHAR) AS {quote(c + AS_TEXT)}" for c in float_columns)
    args = [
        str(cinelake),
        "query",
        "--lake",
        str(lake),
        "--catalog",
        "local",
        "--database-prefix",
        database_prefix,
        "--engine",
        "local",
        "--format",
        "json",
        f"SELECT *{texts} FROM {name}",
    ]
    out = subprocess.run(args, capture_output=True, text=True)
    if out.returncode != 0:
        raise Failure(f"{name}: Polars SQL (cinelake query) failed: {out.stderr.strip()}")
    try:
        records = json.loads(out.stdout)
    except json.JSONDecodeError as e:
        raise Failure(f"{name}: cinelake query printed no JSON ({e}): {out.stdout[:200]!r}") from None
    if not records:
        return None, []
    for r in records:
        for c in float_columns:
            text = r.pop(c + AS_TEXT, None)
            if r.get(c) is None and text in NON_FINITE:
                r[c] = NON_FINITE[text]
    columns = list(records[0])
    return columns, [tuple(r.get(c) for c in columns) for r in records]


# ---------------------------------------------------------------- step 3: compare


def normal(v):
    """A value as both engines' output compare: numbers as int or float, NaN kept
    apart from null and from every number, dates and times as ISO text, nested values
    recursively, booleans kept apart from numbers."""
    if v is None:
        return None
    if isinstance(v, bool):
        return ("bool", v)
    if isinstance(v, decimal.Decimal):
        return int(v) if v == v.to_integral_value() else float(v)
    if isinstance(v, float):
        return ("float", "NaN") if math.isnan(v) else v
    if isinstance(v, (datetime.date, datetime.datetime, datetime.time)):
        return v.isoformat(sep=" ") if isinstance(v, datetime.datetime) else v.isoformat()
    if isinstance(v, (list, tuple)):
        return ("list",) + tuple(normal(x) for x in v)
    if isinstance(v, dict):
        return ("struct",) + tuple(sorted((k, normal(x)) for k, x in v.items()))
    return v


def rounded(v):
    """A bucket key: floats to 10 significant digits (the tolerant pass settles what
    rounding splits)."""
    if isinstance(v, float) and math.isfinite(v):
        return float(f"{v:.10g}")
    if isinstance(v, tuple):
        return tuple(rounded(x) for x in v)
    return v


def close(a, b):
    if isinstance(a, tuple) and isinstance(b, tuple):
        return len(a) == len(b) and all(close(x, y) for x, y in zip(a, b))
    numbers = (int, float)
    if isinstance(a, numbers) and isinstance(b, numbers):
        return a == b or math.isclose(a, b, rel_tol=REL_TOL, abs_tol=ABS_TOL)
    return a == b


def compare_rows(name, left, right, left_label="DuckDB", right_label="Polars SQL"):
    """None when both (columns, rows) hold the same multiset of rows (columns matched by
    name, numbers within REL_TOL, nulls equal); otherwise what differs, naming the view."""
    (lcols, lrows), (rcols, rrows) = left, right
    if rcols is None:  # no rows, so no column names
        rcols = lcols
    if lcols is None:
        lcols = rcols
    if sorted(lcols) != sorted(rcols):
        return f"{name}: the columns differ: {left_label} {lcols}, {right_label} {rcols}"
    at = [rcols.index(c) for c in lcols]
    lnorm = [tuple(normal(v) for v in r) for r in lrows]
    rnorm = [tuple(normal(r[i]) for i in at) for r in rrows]
    left_over, right_over = bucket_difference(lnorm, rnorm)
    # Rows rounding put in different buckets: pair them within the tolerance.
    if left_over and right_over and len(left_over) * len(right_over) <= 4_000_000:
        unmatched = []
        for row in left_over:
            for j, other in enumerate(right_over):
                if close(row, other):
                    del right_over[j]
                    break
            else:
                unmatched.append(row)
        left_over = unmatched
    if not left_over and not right_over:
        return None

    def show(rows):
        rows = sorted(rows, key=repr)[:SHOWN]
        return "".join(f"\n      {dict(zip(lcols, plain(r)))}" for r in rows)

    lines = [
        f"{name}: {left_label} {len(lrows)} rows, {right_label} {len(rrows)} rows; "
        f"{len(left_over)} only in {left_label}, {len(right_over)} only in {right_label}"
    ]
    if left_over:
        lines.append(f"    only in {left_label} (first {min(SHOWN, len(left_over))}):{show(left_over)}")
    if right_over:
        lines.append(f"    only in {right_label} (first {min(SHOWN, len(right_over))}):{show(right_over)}")
    return "\n".join(lines)


def bucket_difference(left, right):
    """The rows of each side that no row of the other matches once floats are rounded
    (a multiset difference both ways), as they were before rounding."""
    buckets = {}
    for row in left:
        buckets.setdefault(rounded(row), ([], []))[0].append(row)
    for row in right:
        buckets.setdefault(rounded(row), ([], []))[1].append(row)
    only_left, only_right = [], []
    for lrows, rrows in buckets.values():
        n = min(len(lrows), len(rrows))
        only_left.extend(lrows[n:])
        only_right.extend(rrows[n:])
    return only_left, only_right


def plain(row):
    def one(v):
        if isinstance(v, tuple) and v and v[0] == "bool":
            return v[1]
        return v

    return tuple(one(v) for v in row)


# ---------------------------------------------------------------- the commands


def parse_all(files):
    """{name: tree} of the files that parse, and the failures."""
    trees, failures = {}, []
    for f in files:
        try:
            trees[f.name] = parse_trino(f)
        except Failure as e:
            failures.append(str(e))
    return trees, failures


def check_views(lake_dir, cinelake, sql_dir=VIEWS_DIR, database_prefix="cinelake", listed_order=None, out=print):
    """Steps 1-3 over the views in `sql_dir`; returns the failures (empty: all agree)."""
    files = load_sql(sql_dir)
    if not files:
        raise SetupError(f"no *.sql in {sql_dir}")
    by_name = {f.name: f for f in files}
    trees, failures = parse_all(files)
    if failures:
        return failures
    out(f"parse (Trino)   {len(files)} files in {shown(sql_dir)}: all parse")
    order = dependency_order(trees)
    if listed_order is not None:
        check_listed_order(listed_order, trees)
        order = listed_order
    lake = Lake(lake_dir, database_prefix)
    stored = lake.view_texts()
    tables = set().union(*(references(t) for t in trees.values())) - set(trees)
    duck = DuckLake(lake, tables)
    schema = lake_schema(lake)
    for name in order:
        try:
            typed = typed_trino(name, trees[name], schema)
        except Failure as e:
            failures.append(str(e))
            continue
        schema.add_table(name, output_types(typed), dialect="trino")
        duck_sql = to_duckdb(typed)
        try:
            duck.create_view(name, duck_sql)
            duck_rows = duck.rows(name)
        except duckdb.Error as e:
            failures.append(f"{name}: DuckDB cannot run it: {e}\n    transpiled: {duck_sql}")
            continue
        if name in stored and stored[name].strip() != by_name[name].select:
            out(
                f"note: {name}: the lake's views were made from other SQL than "
                f"{shown(by_name[name].path)}; Polars SQL runs the copy the binary carries"
            )
        try:
            polars = polars_rows(cinelake, lake.root, name, database_prefix, duck.float_columns(name))
        except Failure as e:
            failures.append(str(e))
            continue
        if not duck_rows[1] and not polars[1]:
            # Two empty answers agree on nothing: the lake must give the view rows.
            failures.append(
                f"{name}: no rows from either engine, so nothing was compared (the lake gives this view no rows)"
            )
            continue
        diff = compare_rows(name, duck_rows, polars)
        if diff:
            failures.append(diff)
        else:
            out(f"{name:<24} {len(duck_rows[1]):>7} rows  {len(duck_rows[0]):>3} columns  DuckDB = Polars SQL")
    return failures


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="command", required=True)
    v = sub.add_parser("views", help="parse as Trino, run on DuckDB, compare with Polars SQL")
    v.add_argument("--lake", required=True, help="a directory lake with its local catalog")
    v.add_argument(
        "--cinelake",
        default=os.environ.get("CINELAKE_BIN", "cinelake"),
        help="the cinelake binary (env CINELAKE_BIN; default: cinelake on PATH)",
    )
    v.add_argument("--sql-dir", default=str(VIEWS_DIR))
    v.add_argument("--database-prefix", default="cinelake")
    v.add_argument(
        "--views-rs",
        default=None,
        help="check the order this views.rs lists the views in (default: the "
        "repository's, when --sql-dir is sql/views)",
    )
    p = sub.add_parser("parse", help="parse SQL files as Trino (step 1 only)")
    p.add_argument("paths", nargs="+", help="*.sql files or directories of them")
    args = ap.parse_args(argv)
    try:
        if args.command == "parse":
            files = load_sql(*args.paths)
            if not files:
                raise SetupError("no *.sql files given")
            failures = []
            for f in files:
                try:
                    parse_trino(f)
                    print(f"{f.name:<24} parses as Trino")
                except Failure as e:
                    failures.append(str(e))
        else:
            listed = None
            if args.views_rs:
                listed = views_rs_order(args.views_rs)
            elif Path(args.sql_dir).resolve() == VIEWS_DIR:
                listed = views_rs_order()
            failures = check_views(args.lake, args.cinelake, args.sql_dir, args.database_prefix, listed)
    except SetupError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except Failure as e:
        failures = [str(e)]
    return print_failures(failures)


def print_failures(failures):
    """One `FAIL` line per failure; the exit code: 1 when there is any, else 0."""
    for f in failures:
        print(f"FAIL {f}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
