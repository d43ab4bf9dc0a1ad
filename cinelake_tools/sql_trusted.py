"""The Trusted CSV jobs' SQL (sql/trusted) as Athena runs it, compared with what the
Polars path wrote from the same Raw file: the same rows, the same types, the same
rejects.

    .venv/bin/python -m cinelake_tools.sql_trusted --lake DIR --cinelake BIN [--only movies]
    .venv/bin/python -m cinelake_tools.sql_trusted --lake DIR --sql-dir DIR [--only movies]

For movies and series, over a directory lake with its local catalog (`_catalog/`) where
`cinelake trusted` has run:

  1 Raw      the newest Raw CSV (Raw/Local/CSV/{Movies,Series}/YYYY/MM/DD/<file>), read
             as the external table of raw_csv_table.sql reads it on Athena: its DDL is
             parsed (Hive) and its SerDe settings followed (the field delimiter, the null
             format, the header lines skipped), lines cut as Trino's text reader cuts
             them (at \\n, \\r\\n and a lone \\r; a UTF-8 BOM dropped). The lines become a
             one-column DuckDB table; bytes that are not UTF-8 are kept, as Athena keeps
             them, as private-use characters that the stand-ins for to_utf8 and
             from_utf8 below turn back into those bytes.
  2 SQL      the job's statements as `cinelake trusted-sql` renders them (the SQL of
             sql/trusted with the columns of crates/trusted/src/mapping.rs, its
             ${raw_table} and ${raw_location} filled in as this check names them), or
             those in --sql-dir: <table>_raw_table.sql, <table>.sql and
             <table>_rejects.sql. Any placeholder left is refused (sql_engines.
             substitute), the SELECTs parsed with sqlglot's Trino reader (refusing `::`,
             `==` and ILIKE, as sql_engines does), their WITH checked to be the same
             word for word, typed as Trino types them and written as DuckDB.
             Three Trino functions DuckDB lacks or runs otherwise are stand-ins:
             to_utf8 and from_utf8 (Trino's repair of bad UTF-8: one U+FFFD per bad
             sequence, sequences delimited as Trino's slice library delimits them),
             is_finite.
  3 compare  the rows against the Trusted table the catalog points at (its Parquet): the
             same columns in the same order, the same types (DuckDB's result types and
             the catalog's Glue types), the same rows as multisets (numbers within a
             relative 1e-9, nulls apart from '' and 0); the rejects' (raw, reason)
             against the quarantine of the run that wrote the table
             (Trusted/_rejected/<table>/<run id>.jsonl, none when it is absent); and
             rows + rejects = the lines read.

One line per table that agrees. Exit 0 when everything agrees, 1 on any difference or
SQL that fails, 2 on bad arguments or a lake without what the check reads.
"""

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import sqlglot
from sqlglot import exp
from sqlglot.schema import MappingSchema

from cinelake_tools import sql_engines as se
from cinelake_tools.common import ROOT
from cinelake_tools.sql_engines import Failure, SetupError

TRUSTED_SQL = ROOT / "sql" / "trusted"
TABLES = {"movies": "Movies", "series": "Series"}
# What the placeholders (${raw_table}, ${raw_location}, no others) become here: a
# db-qualified name, as the Rust side gives.
RAW_DB = "cinelake_raw"
RAW_LOCATION = "s3://emulated/raw/"
# The Glue type of each DuckDB result type the Trusted tables have.
GLUE_OF_DUCKDB = {
    "VARCHAR": "string",
    "INTEGER": "int",
    "BIGINT": "bigint",
    "DOUBLE": "double",
    "VARCHAR[]": "array<string>",
}
LAZY_SIMPLE = "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe"
TEXT_INPUT = "org.apache.hadoop.mapred.TextInputFormat"
# A byte that is not UTF-8 is held in DuckDB (whose strings must be UTF-8) as one of
# these private-use characters: U+10FF00 + the byte (0x80..0xFF).
HELD = 0x10FF00


# ---------------------------------------------------------------- the SQL files


def sql_files(sql_dir, table):
    paths = [Path(sql_dir) / f"{n}.sql" for n in (f"{table}_raw_table", table, f"{table}_rejects")]
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        raise SetupError(f"missing: {', '.join(missing)}")
    return paths


def raw_values(table):
    """What ${raw_table} and ${raw_location} are here: a db-qualified name, as the Rust
    side gives, and a folder no one reads (the lines are loaded into DuckDB)."""
    return {"raw_table": f"{RAW_DB}.{table}_csv", "raw_location": RAW_LOCATION}


def render(cinelake, table, out_dir):
    """Writes `table`'s statements into `out_dir` as the binary renders them."""
    values = raw_values(table)
    args = [
        str(cinelake),
        "trusted-sql",
        "--table",
        table,
        "--raw-table",
        values["raw_table"],
        "--raw-location",
        values["raw_location"],
        "--out",
        str(out_dir),
    ]
    try:
        done = subprocess.run(args, capture_output=True, text=True)
    except OSError as e:
        raise SetupError(f"{cinelake}: {e}") from None
    if done.returncode != 0:
        raise SetupError(f"{' '.join(args)} failed:\n{done.stdout}{done.stderr}")


def filled(path, values):
    """The file with its placeholders filled in, as the Rust side renders it
    (sql_engines.substitute, the twin of crates/athena/src/sql.rs render): a Failure
    naming the file, line and column of a placeholder not in `values`, or of one never
    closed."""
    return se.SqlFile(path, se.substitute(se.SqlFile(path), values))


def literal_value(node):
    if not isinstance(node, exp.Literal) or not node.is_string:
        raise Failure(f"expected a string literal, found {node.sql()}")
    return node.this


class RawTable:
    """raw_csv_table.sql, parsed: what the emulated reader follows."""

    def __init__(self, path, values):
        text = se.statement(filled(path, values).text)
        if ";" in text:
            raise Failure(f"{se.shown(path)}: one statement, with no `;`")
        try:
            tree = sqlglot.parse_one(text, read="hive", error_level=sqlglot.ErrorLevel.RAISE)
        except sqlglot.errors.SqlglotError as e:
            raise Failure(f"{se.shown(path)}: Athena's DDL (Hive) cannot parse it: {e}") from None
        where = se.shown(path)
        if not isinstance(tree, exp.Create) or tree.args.get("kind") != "TABLE":
            raise Failure(f"{where}: not a CREATE TABLE")
        props = tree.args.get("properties")
        props = props.expressions if props else []
        if not any(isinstance(p, exp.ExternalProperty) for p in props):
            raise Failure(f"{where}: not an EXTERNAL table (dropping it would delete the Raw file)")
        schema = tree.this
        self.name = schema.this.sql(dialect="hive")
        if self.name != values["raw_table"]:
            raise Failure(f"{where}: the table is {self.name}, not ${{raw_table}}")
        cols = [(c.name, c.args["kind"].sql(dialect="hive").lower()) for c in schema.expressions]
        if cols != [("line", "string")]:
            raise Failure(f"{where}: the columns are {cols}, expected one: line string")
        serde, self.serde_props, self.table_props = None, {}, {}
        input_format, location = None, None
        for p in props:
            if isinstance(p, exp.RowFormatSerdeProperty):
                serde = literal_value(p.this)
                sp = p.args.get("serde_properties")
                for q in sp.expressions if sp else []:
                    self.serde_props[literal_value(q.this)] = literal_value(q.args["value"])
            elif isinstance(p, exp.FileFormatProperty) and isinstance(p.this, exp.InputOutputFormat):
                input_format = literal_value(p.this.args["input_format"])
            elif isinstance(p, exp.LocationProperty):
                location = literal_value(p.this)
            elif type(p) is exp.Property:
                self.table_props[literal_value(p.this)] = literal_value(p.args["value"])
        if serde != LAZY_SIMPLE or input_format != TEXT_INPUT:
            raise Failure(
                f"{where}: the emulation knows LazySimpleSerDe over TextInputFormat "
                f"only; the table has {serde} over {input_format}"
            )
        if location != values["raw_location"]:
            raise Failure(f"{where}: LOCATION is {location!r}, not '${{raw_location}}'")
        unknown = set(self.serde_props) - {"field.delim", "serialization.null.format", "serialization.format"}
        if unknown:
            raise Failure(f"{where}: SerDe properties the emulation does not follow: {sorted(unknown)}")
        # As Trino's TextEncodingOptions.fromSchema and Hive's LazyUtils.getByte read them.
        delim = self.serde_props.get("field.delim", self.serde_props.get("serialization.format"))
        self.field_delim = byte_of(delim, 1)
        self.null_sequence = self.serde_props.get("serialization.null.format", "\\N").encode()
        self.header_lines = int(self.table_props.get("skip.header.line.count", "0"))
        if set(self.table_props) - {"skip.header.line.count"}:
            raise Failure(
                f"{where}: table properties the emulation does not follow: "
                f"{sorted(set(self.table_props) - {'skip.header.line.count'})}"
            )

    def lines(self, data):
        """The rows of the table over a file's bytes: (line bytes or None)."""
        rows = []
        for line in text_lines(data)[self.header_lines :]:
            cut = line.find(bytes([self.field_delim]))
            if cut >= 0:
                line = line[:cut]  # one column: the fields after the first are dropped
            rows.append(None if line == self.null_sequence else line)
        return rows


def byte_of(value, default):
    """A delimiter property as a byte: a number is the byte itself (-1 is 0xFF), anything
    else its first character."""
    if not value:
        return default
    if re.fullmatch(r"[+-]?[0-9]+", value) and -128 <= int(value) <= 127:
        return int(value) & 0xFF
    return ord(value[0]) & 0xFF


def text_lines(data):
    """The lines of a file as Trino's TextLineReader gives them: a UTF-8 BOM at the start
    dropped, lines ended by \\n, \\r\\n or \\r, the last line kept without an ending."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    lines = re.split(rb"\r\n|\r|\n", data)
    if lines[-1] == b"":
        lines.pop()
    return lines


# ---------------------------------------------------------------- Trino's byte functions


def held(line):
    """Line bytes as a DuckDB string: UTF-8 as it is, other bytes as private-use
    characters."""
    if line is None:
        return None
    try:
        text, bad = line.decode("utf-8"), False
    except UnicodeDecodeError:
        text, bad = line.decode("utf-8", errors="surrogateescape"), True
    if text and max(text) >= chr(HELD + 0x80):
        raise SetupError(
            "the file holds a character in U+10FF80..U+10FFFF, which the "
            "emulation cannot tell from a byte that is not UTF-8"
        )
    if bad:
        text = "".join(chr(HELD + ord(c) - 0xDC00) if 0xDC80 <= ord(c) <= 0xDCFF else c for c in text)
    return text


def trino_to_utf8(text):
    """to_utf8: the bytes of the value, as Athena holds them."""
    if not text or max(text) < chr(HELD + 0x80):
        return text.encode("utf-8")
    return b"".join(bytes([ord(c) - HELD]) if ord(c) >= HELD + 0x80 else c.encode("utf-8") for c in text)


def trino_from_utf8(data):
    """from_utf8: bytes as text, each bad sequence one U+FFFD, the sequences delimited
    as Trino delimits them (code_point_at)."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    out, i, n = [], 0, len(data)
    while i < n:
        cp, size = code_point_at(data, i)
        if cp is None:
            out.append("\ufffd")
        else:
            out.append(chr(cp))
        i += size
    return "".join(out)


def code_point_at(b, pos):
    """(code point, length) or (None, length of the bad sequence): a lead byte says
    how long the sequence claims to be (5 and 6 too), and it ends at the first byte
    that is not a continuation; overlong forms, surrogates and code points past
    U+10FFFF are bad, as Trino reads them."""
    first = b[pos]
    if first < 0x80:
        return first, 1
    if first < 0xC0:
        return None, 1
    length = (
        2
        if first < 0xE0
        else 3
        if first < 0xF0
        else 4
        if first < 0xF8
        else 5
        if first < 0xFC
        else 6
        if first < 0xFE
        else -1
    )
    if length < 0:
        return None, 1
    n = len(b)
    cont = [0x80 <= b[pos + k] <= 0xBF if pos + k < n else False for k in range(1, 6)]
    if pos + 1 >= n or not cont[0]:
        return None, 1
    if length == 2:
        cp = ((first & 0x1F) << 6) | (b[pos + 1] & 0x3F)
        return (None, 2) if cp < 0x80 else (cp, 2)
    if pos + 2 >= n or not cont[1]:
        return None, 2
    if length == 3:
        cp = ((first & 0x0F) << 12) | ((b[pos + 1] & 0x3F) << 6) | (b[pos + 2] & 0x3F)
        if 0xD800 <= cp <= 0xDFFF or cp < 0x800:
            return None, 3
        return cp, 3
    if pos + 3 >= n or not cont[2]:
        return None, 3
    if length == 4:
        cp = ((first & 0x07) << 18) | ((b[pos + 1] & 0x3F) << 12) | ((b[pos + 2] & 0x3F) << 6) | (b[pos + 3] & 0x3F)
        return (cp, 4) if 0x10000 <= cp < 0x110000 else (None, 4)
    if pos + 4 >= n or not cont[3]:
        return None, 4
    if length == 5:
        return None, 5
    if pos + 5 >= n or not cont[4]:
        return None, 5
    return None, 6


def call(name, *args):
    return exp.Anonymous(this=name, expressions=list(args))


def stand_ins(tree):
    """Trino's to_utf8, from_utf8 and is_finite as DuckDB runs them: the Python
    functions above only where bytes that are not UTF-8 are involved (DuckDB's own
    encode and decode elsewhere: decode refuses exactly what Trino repairs). to_utf8
    first, so that a from_utf8 takes the to_utf8 inside it already replaced."""
    return tree.transform(stand_in_encode).transform(stand_in_decode)


def stand_in_encode(node):
    if isinstance(node, exp.Encode):
        value = node.this
        has_held = call("regexp_matches", value.copy(), exp.Literal.string(r"[\x{10FF80}-\x{10FFFF}]"))
        return exp.If(this=has_held, true=call("trino_to_utf8", value.copy()), false=call("encode", value.copy()))
    if isinstance(node, exp.Anonymous) and node.name.lower() == "is_finite":
        return call("isfinite", *node.expressions)
    return node


def stand_in_decode(node):
    if isinstance(node, exp.Decode):
        value = node.this
        return call("coalesce", call("try", call("decode", value.copy())), call("trino_from_utf8", value.copy()))
    return node


# ---------------------------------------------------------------- the lake


def newest_raw_csv(lake, table):
    """The newest Raw CSV of a table: (key, path)."""
    folder = TABLES[table]
    found = sorted(lake.root.glob(f"Raw/Local/CSV/{folder}/[0-9]*/[0-9]*/[0-9]*/{table}.csv"))
    found = [
        p
        for p in found
        if re.fullmatch(rf"Raw/Local/CSV/{folder}/\d{{4}}/\d{{2}}/\d{{2}}/{table}\.csv", str(p.relative_to(lake.root)))
    ]
    if not found:
        raise SetupError(
            f"{lake.root}: no Raw/Local/CSV/{folder}/YYYY/MM/DD/{table}.csv "
            "(run cinelake upload, then cinelake trusted)"
        )
    return str(found[-1].relative_to(lake.root)), found[-1]


def polars_table(lake, table, database_prefix):
    """Where the Polars path published the table: (columns, Glue types, Parquet files,
    run id)."""
    entries = lake.entries()
    name = se.TRUSTED_PREFIX + table
    if name not in entries:
        raise SetupError(f"{lake.root}/_catalog/{database_prefix}_trusted has no {table} (run cinelake trusted)")
    sd = entries[name]["TableInput"]["StorageDescriptor"]
    columns = [c["Name"] for c in sd["Columns"]]
    types = [c["Type"] for c in sd["Columns"]]
    return columns, types, lake.parquet(sd["Location"]), lake.directory(sd["Location"]).name


def polars_rejects(lake, table, run_id, key):
    """The quarantine of the run that wrote the table: [(raw, reason)]; a Failure when a
    later run left one (it published nothing: over the rejected-share threshold)."""
    folder = lake.root / "Trusted" / "_rejected" / table
    runs = sorted(p.stem for p in folder.glob("*.jsonl"))
    later = [r for r in runs if r > run_id]
    if later:
        raise Failure(
            f"{table}: a later trusted run ({later[-1]}) quarantined rows but did "
            f"not publish the table (over the rejected-share threshold?); the "
            f"catalog's {table} is run {run_id}'s: rerun cinelake trusted"
        )
    path = folder / f"{run_id}.jsonl"
    if not path.is_file():
        return []
    out = []
    for n, line in enumerate(path.read_text().splitlines(), 1):
        r = json.loads(line)
        if r.get("kept"):
            continue
        if r.get("source") != key:
            raise Failure(f"{se.shown(path)}:{n}: a reject of {r.get('source')}, not of {key}")
        out.append((r.get("raw"), r["reason"]))
    return out


def check_run_read(lake, table, run_id, key):
    """The run that wrote the table read this Raw file (when its manifest is there)."""
    manifest = lake.root / "_runs" / "trusted" / f"{run_id}.json"
    if not manifest.is_file():
        return
    inputs = [i.get("key") for i in json.loads(manifest.read_text()).get("inputs", [])]
    if key not in inputs:
        read = [k for k in inputs if f"/CSV/{TABLES[table]}/" in (k or "")]
        raise Failure(
            f"{table}: the Trusted table (run {run_id}) was made from "
            f"{', '.join(read) or 'another file'}, not the newest Raw {key}: "
            "rerun cinelake trusted"
        )


# ---------------------------------------------------------------- the check


class Duck:
    """A DuckDB connection with the emulated Raw table and the stand-in functions."""

    def __init__(self):
        self.con = duckdb.connect(":memory:")
        self.con.create_function("trino_to_utf8", trino_to_utf8, ["VARCHAR"], "BLOB")
        self.con.create_function("trino_from_utf8", trino_from_utf8, ["BLOB"], "VARCHAR")
        self.con.execute(f"CREATE SCHEMA IF NOT EXISTS {RAW_DB}")

    def load(self, name, lines):
        self.con.execute(f"CREATE OR REPLACE TABLE {name} (line VARCHAR)")
        if lines:
            self.con.execute(f"INSERT INTO {name} SELECT unnest($1::VARCHAR[])", [[held(line) for line in lines]])

    def table(self, name, select):
        """Materialises a SELECT: (columns, DuckDB types, row count)."""
        self.con.execute(f"CREATE OR REPLACE TABLE {se.quote(name)} AS {select}")
        cur = self.con.execute(f"SELECT * FROM {se.quote(name)} LIMIT 0")
        cols = [d[0] for d in cur.description]
        types = [str(d[1]) for d in cur.description]
        count = self.con.execute(f"SELECT count(*) FROM {se.quote(name)}").fetchone()[0]
        return cols, types, count

    def difference(self, label, left, right, columns, left_label, right_label):
        """None when tables `left` and `right` hold the same rows (`columns`, in that
        order) as multisets; otherwise what differs. Equal rows cancel in DuckDB (EXCEPT
        ALL); what is left is paired within the tolerance by sql_engines.compare_rows,
        which also shows the rows."""
        cols = ", ".join(se.quote(c) for c in columns)
        only = []
        for a, b in ((left, right), (right, left)):
            only.append(
                self.con.execute(
                    f"SELECT {cols} FROM {se.quote(a)} EXCEPT ALL SELECT {cols} FROM {se.quote(b)}"
                ).fetchall()
            )
        if not only[0] and not only[1]:
            return None
        diff = se.compare_rows(label, (columns, only[0]), (columns, only[1]), left_label, right_label)
        if diff is None:
            return None
        counts = [self.con.execute(f"SELECT count(*) FROM {se.quote(t)}").fetchone()[0] for t in (left, right)]
        # compare_rows counted only the rows left over; say the tables' sizes.
        return diff.replace(
            f"{left_label} {len(only[0])} rows, {right_label} {len(only[1])} rows",
            f"{left_label} {counts[0]} rows, {right_label} {counts[1]} rows",
            1,
        )


def duckdb_sql(f, schema):
    """A SELECT file (an se.SqlFile, filled in) parsed as Trino, typed and written as
    DuckDB."""
    if f.text.rstrip().endswith(";"):
        raise Failure(f"{se.shown(f.path)}: ends with `;` (Athena takes one statement, with none)")
    tree = se.parse_trino(f)
    if not isinstance(tree, exp.Select):
        raise Failure(f"{se.shown(f.path)}: not one SELECT")
    typed = se.typed_trino(se.shown(f.path), tree, schema)
    return tree, se.to_duckdb(stand_ins(typed))


def check_table(lake, table, sql_dir, database_prefix, duck, out):
    ddl_path, rows_path, rejects_path = sql_files(sql_dir, table)
    values = raw_values(table)
    raw = RawTable(ddl_path, values)
    key, csv = newest_raw_csv(lake, table)
    lines = raw.lines(csv.read_bytes())
    duck.load(values["raw_table"], lines)

    schema = MappingSchema(dialect="hive")
    schema.add_table(values["raw_table"], {"line": "string"}, dialect="hive")
    rows_tree, rows_sql = duckdb_sql(filled(rows_path, values), schema)
    rejects_tree, rejects_sql = duckdb_sql(filled(rejects_path, values), schema)
    if rows_tree.args.get("with_") != rejects_tree.args.get("with_"):
        raise Failure(
            f"{table}: the WITH of {se.shown(rejects_path)} is not "
            f"{se.shown(rows_path)}'s: the two must judge lines by the same rules"
        )
    results = []
    for path, sql, name in ((rows_path, rows_sql, "sql_rows"), (rejects_path, rejects_sql, "sql_rejects")):
        try:
            results.append(duck.table(name, sql))
        except duckdb.Error as e:
            raise Failure(f"{se.shown(path)}: DuckDB cannot run it: {e}\n    transpiled: {sql}") from None
    (cols, duck_types, n_rows), (rcols, _, n_rejects) = results
    failures = []
    if rcols != ["raw", "reason"]:
        raise Failure(f"{table}: {se.shown(rejects_path)} gives the columns {rcols}, expected raw, reason")
    if n_rows + n_rejects != len(lines):
        failures.append(
            f"{table}: {len(lines)} lines read, but {n_rows} rows and {n_rejects} rejects: a line kept twice or lost"
        )

    p_cols, p_types, files, run_id = polars_table(lake, table, database_prefix)
    check_run_read(lake, table, run_id, key)
    if cols != p_cols:
        failures.append(f"{table}: the columns differ: SQL {cols}, Polars path {p_cols}")
    else:
        sql_types = [GLUE_OF_DUCKDB.get(t, t) for t in duck_types]
        wrong = [f"{c} {s} (Polars path: {p})" for c, s, p in zip(cols, sql_types, p_types) if s != p]
        if wrong:
            failures.append(f"{table}: the types differ: {'; '.join(wrong)}")
    if not failures:
        if files:
            duck.table(
                "polars_rows",
                f"SELECT {', '.join(se.quote(c) for c in p_cols)} FROM read_parquet({se.parquet_list(files)})",
            )
        else:
            duck.table("polars_rows", "SELECT * FROM sql_rows LIMIT 0")
        diff = duck.difference(table, "sql_rows", "polars_rows", cols, "SQL", "Polars path")
        if diff:
            failures.append(diff)
    p_rejects = polars_rejects(lake, table, run_id, key)
    duck.con.execute("CREATE OR REPLACE TABLE polars_rejects (raw VARCHAR, reason VARCHAR)")
    if p_rejects:
        duck.con.execute(
            "INSERT INTO polars_rejects SELECT unnest($1::VARCHAR[]), unnest($2::VARCHAR[])",
            [[r for r, _ in p_rejects], [why for _, why in p_rejects]],
        )
    diff = duck.difference(
        f"{table} rejects", "sql_rejects", "polars_rejects", ["raw", "reason"], "SQL", "Polars quarantine"
    )
    if diff:
        failures.append(diff)
    if failures:
        return failures
    out(
        f"{table:<8} {len(lines):>8} lines: {n_rows:>8} rows = the Polars path's table "
        f"({len(cols)} columns, same types), {n_rejects:>6} rejects = its quarantine "
        f"({key})"
    )
    return []


def check(lake_dir, sql_dir=None, tables=tuple(TABLES), database_prefix="cinelake", out=print, cinelake=None):
    """The differences, none when everything agrees. Without `sql_dir`, the statements
    are the `cinelake` binary's."""
    lake = se.Lake(lake_dir, database_prefix)
    failures = []
    with tempfile.TemporaryDirectory(prefix="cinelake-trusted-sql-") as tmp:
        if sql_dir is None:
            if not cinelake:
                raise SetupError("give --cinelake (the binary renders the SQL) or --sql-dir")
            for table in tables:
                render(cinelake, table, tmp)
            sql_dir = tmp
        for table in tables:
            duck = Duck()
            try:
                failures.extend(check_table(lake, table, sql_dir, database_prefix, duck, out))
            except Failure as e:
                failures.append(str(e))
    return failures


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--lake", required=True, help="a directory lake with its local catalog, where cinelake trusted ran")
    ap.add_argument("--cinelake", help="the cinelake binary, which renders the statements")
    ap.add_argument("--sql-dir", help="statements rendered already (see `render`)")
    ap.add_argument("--only", default=",".join(TABLES), help="movies, series or both (comma-separated; default both)")
    ap.add_argument("--database-prefix", default="cinelake")
    try:
        args = ap.parse_args(argv)
    except SystemExit as e:
        return 2 if e.code else 0
    started = time.monotonic()
    try:
        tables = [t.strip() for t in args.only.split(",") if t.strip()]
        bad = [t for t in tables if t not in TABLES]
        if bad or not tables:
            raise SetupError(f"--only takes movies, series or both, not {args.only!r}")
        if not Path(args.lake).is_dir():
            raise SetupError(f"{args.lake}: not a directory")
        failures = check(args.lake, args.sql_dir, tables, args.database_prefix, cinelake=args.cinelake)
    except SetupError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if not failures:
        print(f"Athena's SQL = the Polars path ({time.monotonic() - started:.1f} s)")
    return se.print_failures(failures)


if __name__ == "__main__":
    sys.exit(main())
