#!/usr/bin/env python3
"""Whether a peer's tables hold the same rows as cinelake's.

    same_rows.py LAKE PEER_OUT [PEER_OUT ...]

For each `<table>.parquet` a peer wrote, reads cinelake's table of that name from the
lake through its local catalog (`_catalog/<database>/<table>.json`: the table's location,
and for partitioned tables every partition's location and values, added as columns), and
compares them as multisets of rows: columns matched by name (both sides must have the
same column names and Arrow types), lists kept in order, structs by field name, doubles
equal within a relative 1e-9. Prints one line per table; exits 1 when any differs.
"""
import argparse
import json
import math
import sys
from collections import Counter
from pathlib import Path
from urllib.parse import unquote, urlparse

import pyarrow as pa
import pyarrow.parquet as pq

DATABASES = ["cinelake_trusted", "cinelake_refined"]
SHOWN = 3


def local_path(location: str) -> Path:
    u = urlparse(location)
    if u.scheme not in ("", "file"):
        raise SystemExit(f"{location}: only a local lake can be compared")
    return Path(unquote(u.path))


def read_dir(path: Path) -> pa.Table:
    files = sorted(path.glob("*.parquet"))
    if not files:
        raise SystemExit(f"no Parquet under {path}")
    return pa.concat_tables([pq.read_table(f) for f in files])


def cinelake_table(lake: Path, name: str):
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
        return read_dir(local_path(ti["StorageDescriptor"]["Location"]))
    parts = []
    for p in doc.get("Partitions", []):
        t = read_dir(local_path(p["Location"]))
        for k, v in zip(keys, p["Values"]):
            t = t.append_column(k, pa.array([v] * t.num_rows, pa.string()))
        parts.append(t)
    return pa.concat_tables(parts) if parts else None


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


def rows(t: pa.Table, columns) -> Counter:
    data = [t.column(c).to_pylist() for c in columns]
    return Counter(tuple(norm(v) for v in row) for row in zip(*data))


def close(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
    if isinstance(a, tuple) and isinstance(b, tuple):
        return len(a) == len(b) and all(close(x, y) for x, y in zip(a, b))
    return a == b


def compare(name: str, mine: pa.Table, theirs: pa.Table):
    """None when equal, else the reason."""
    a = {f.name: plain(f.type) for f in theirs.schema}
    b = {f.name: plain(f.type) for f in mine.schema}
    if set(a) != set(b):
        return (f"columns differ: only cinelake {sorted(set(a) - set(b))}, "
                f"only peer {sorted(set(b) - set(a))}")
    types = [f"{c}: cinelake {a[c]}, peer {b[c]}" for c in a if a[c] != b[c]]
    if types:
        return "types differ: " + "; ".join(types)
    columns = sorted(a)
    ra, rb = rows(theirs, columns), rows(mine, columns)
    if ra == rb:
        return None
    only_a, only_b = ra - rb, rb - ra
    # Rows equal but for float rounding beyond the normalisation: pair them up.
    for row in list(only_a.elements()):
        match = next((r for r in only_b if only_b[r] > 0 and close(r, row)), None)
        if match is not None:
            only_a[row] -= 1
            only_b[match] -= 1
    only_a, only_b = +only_a, +only_b
    if not only_a and not only_b:
        return None
    lines = [f"{sum(only_a.values())} rows only in cinelake's, {sum(only_b.values())} only in the peer's "
             f"(cinelake {theirs.num_rows}, peer {mine.num_rows} rows); columns {columns}"]
    for side, extra in (("cinelake", only_a), ("peer", only_b)):
        for row in list(extra)[:SHOWN]:
            lines.append(f"    only {side}: {row}")
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("lake", type=Path)
    ap.add_argument("peers", type=Path, nargs="+")
    args = ap.parse_args()
    failed = 0
    for peer in args.peers:
        for f in sorted(peer.glob("*.parquet")):
            name = f.stem
            theirs = cinelake_table(args.lake, name)
            if theirs is None:
                print(f"{peer.name}/{name}: NOT COMPARED (cinelake's lake has no table {name})")
                continue
            mine = pq.read_table(f)
            why = compare(name, mine, theirs)
            if why is None:
                print(f"{peer.name}/{name}: same rows ({mine.num_rows:,})")
            else:
                failed += 1
                print(f"{peer.name}/{name}: DIFFERS: {why}")
    if failed:
        print(f"{failed} table(s) differ")
        sys.exit(1)


if __name__ == "__main__":
    main()
