"""Whether a peer's tables hold the same rows as cinelake's.

    .venv-bench/bin/python -m cinelake_tools.bench.peers.same_rows LAKE PEER_OUT [PEER_OUT ...]

For each `<table>.parquet` a peer wrote, reads cinelake's table of that name from the
lake through its local catalog (`_catalog/<database>/<table>.json`: the table's location,
and for partitioned tables every partition's location and values, added as columns), and
compares them as multisets of rows: columns matched by name (both sides must have the
same column names and Arrow types), lists kept in order, structs by field name, doubles
equal within a relative 1e-9. DuckDB does the bulk of it (`EXCEPT ALL` both ways, the
doubles rounded to 12 significant digits), so memory stays small at full scale; the few
rows left over are paired up here with the tolerance. Prints one line per table; exits 1
when any differs.
"""

import argparse
import json
import math
import sys
from collections import Counter
from pathlib import Path
from urllib.parse import unquote, urlparse

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

DATABASES = ["cinelake_trusted", "cinelake_refined"]
SHOWN = 3


def local_path(lake: Path, location: str) -> Path:
    """The directory a catalog Location names: relative to the lake (how the local
    catalog stores its own), or a file:// URL."""
    u = urlparse(location)
    if u.scheme not in ("", "file"):
        raise SystemExit(f"{location}: only a local lake can be compared")
    path = Path(unquote(u.path))
    return path if path.is_absolute() else lake / path


def files_of(path: Path):
    files = sorted(path.glob("*.parquet"))
    if not files:
        raise SystemExit(f"no Parquet under {path}")
    return [str(f) for f in files]


def sql_list(items) -> str:
    return "[" + ", ".join("'" + str(i).replace("'", "''") + "'" for i in items) + "]"


def cinelake_table(lake: Path, name: str):
    """(the SQL that reads cinelake's table, its Arrow schema), or None."""
    for db in DATABASES:
        entry = lake / "_catalog" / db / f"{name}.json"
        if entry.exists():
            break
    else:
        return None
    doc = json.loads(entry.read_text())
    ti = doc["TableInput"]
    keys = [k["Name"] for k in ti.get("PartitionKeys") or []]
    if not keys:
        files = files_of(local_path(lake, ti["StorageDescriptor"]["Location"]))
        return f"SELECT * FROM read_parquet({sql_list(files)})", pq.read_schema(files[0])
    parts, schema = [], None
    for p in doc.get("Partitions", []):
        files = files_of(local_path(lake, p["Location"]))
        values = ", ".join(f"'{v}' AS {k}" for k, v in zip(keys, p["Values"]))
        parts.append(f"SELECT *, {values} FROM read_parquet({sql_list(files)})")
        schema = pq.read_schema(files[0])
    if schema is None:
        return None
    for k in keys:
        schema = schema.append(pa.field(k, pa.string()))
    return " UNION ALL ".join(parts), schema


def plain(t: pa.DataType) -> pa.DataType:
    """The type with string and list widths set aside (large_string is string here)."""
    if pa.types.is_large_string(t) or pa.types.is_string_view(t):
        return pa.string()
    if pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_list_view(t):
        return pa.list_(plain(t.value_type))
    if pa.types.is_struct(t):
        return pa.struct([pa.field(f.name, plain(f.type)) for f in t])
    return t


def norm(v):
    if isinstance(v, float):
        if math.isnan(v):
            return "NaN"
        return float(f"{v:.12g}")
    if isinstance(v, list):
        return tuple(norm(x) for x in v)
    if isinstance(v, dict):
        return tuple(sorted((k, norm(x)) for k, x in v.items()))
    return v


def close(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
    if isinstance(a, tuple) and isinstance(b, tuple):
        return len(a) == len(b) and all(close(x, y) for x, y in zip(a, b))
    return a == b


RESIDUE = 10_000


def compare(con, mine_sql: str, mine_schema: pa.Schema, theirs_sql: str, theirs_schema: pa.Schema):
    """(None when equal, else the reason; the row counts)."""
    a = {f.name: plain(f.type) for f in theirs_schema}
    b = {f.name: plain(f.type) for f in mine_schema}
    counts = tuple(con.execute(f"SELECT count(*) FROM ({s})").fetchone()[0] for s in (theirs_sql, mine_sql))
    if set(a) != set(b):
        return (f"columns differ: only cinelake {sorted(set(a) - set(b))}, only peer {sorted(set(b) - set(a))}"), counts
    types = [f"{c}: cinelake {a[c]}, peer {b[c]}" for c in a if a[c] != b[c]]
    if types:
        return "types differ: " + "; ".join(types), counts
    columns = sorted(a)

    def shown(c):
        q = f'"{c}"'
        if pa.types.is_floating(a[c]):
            return (
                f"CASE WHEN {q} = 0 OR NOT isfinite({q}) THEN {q} "
                f"ELSE round({q}, (12 - ceil(log10(abs({q}))))::INTEGER) END AS {q}"
            )
        return q

    select = ", ".join(shown(c) for c in columns)
    extra = []
    for one, other in ((theirs_sql, mine_sql), (mine_sql, theirs_sql)):
        rel = con.execute(f"SELECT {select} FROM ({one}) EXCEPT ALL SELECT {select} FROM ({other})")
        extra.append(rel.fetchmany(RESIDUE + 1))
    if not extra[0] and not extra[1]:
        return None, counts
    if len(extra[0]) > RESIDUE or len(extra[1]) > RESIDUE:
        return f"more than {RESIDUE:,} rows differ (cinelake {counts[0]:,}, peer {counts[1]:,} rows)", counts
    only_a = Counter(norm(list(r)) for r in extra[0])
    only_b = Counter(norm(list(r)) for r in extra[1])
    # Rows equal but for float rounding beyond the normalisation: pair them up.
    for row in list(only_a.elements()):
        match = next((r for r in only_b if only_b[r] > 0 and close(r, row)), None)
        if match is not None:
            only_a[row] -= 1
            only_b[match] -= 1
    only_a, only_b = +only_a, +only_b
    if not only_a and not only_b:
        return None, counts
    lines = [
        f"{sum(only_a.values())} rows only in cinelake's, {sum(only_b.values())} only in the peer's "
        f"(cinelake {counts[0]:,}, peer {counts[1]:,} rows); columns {columns}"
    ]
    for side, rows in (("cinelake", only_a), ("peer", only_b)):
        for row in list(rows)[:SHOWN]:
            lines.append(f"    only {side}: {row}")
    return "\n".join(lines), counts


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("lake", type=Path)
    ap.add_argument("peers", type=Path, nargs="+")
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    failed = 0
    con = duckdb.connect()
    con.execute(f"SET threads={args.threads}")
    for peer in args.peers:
        for f in sorted(peer.glob("*.parquet")):
            name = f.stem
            theirs = cinelake_table(args.lake, name)
            if theirs is None:
                print(f"{peer.name}/{name}: NOT COMPARED (cinelake's lake has no table {name})")
                continue
            mine = (f"SELECT * FROM read_parquet({sql_list([f])})", pq.read_schema(f))
            why, (_, rows) = compare(con, mine[0], mine[1], theirs[0], theirs[1])
            if why is None:
                print(f"{peer.name}/{name}: same rows ({rows:,})")
            else:
                failed += 1
                print(f"{peer.name}/{name}: DIFFERS: {why}")
    if failed:
        print(f"{failed} table(s) differ")
        sys.exit(1)


if __name__ == "__main__":
    main()
