"""Proves two directory lakes built by the same pipeline behave the same.

    scripts/compare-lakes LAKE_A LAKE_B      (.venv/bin/python -m cinelake_tools.compare_lakes)

Prints one line per thing compared, "same" or "DIFF" (details indented under it);
exits 0 when everything is the same, 1 when anything differs, 2 on bad arguments.
Both lakes must share their processing date(s): Raw keys and dt= partitions name it.

Compared:
  catalog   every `_catalog/<db>/<table>.json` (Glue TableInput + Partitions), whole;
            views (VIRTUAL_VIEW) too, so their ViewOriginalText.
  data      each catalogued table's current data: the `*.parquet` directly under its
            Location, or under each partition's Location (a table's catalog entry is
            the one way to its current version). Schema: DuckDB's column types, then
            every Parquet element (physical, converted, logical type, repetition, i.e.
            nullability). Rows: the multiset (count, then EXCEPT ALL both ways).
  rejected  `Trusted/_rejected/<table>/*.jsonl`: a multiset of lines per file name.
  keys      the multiset of keys under Trusted/ and Refined/ (file names, the version
            folders pruning keeps, rejects of every run).
  manifests per stage under `_runs/<stage>/`, the latest run (by started_at, then
            name) of A against the latest of B.
  raw       every key under Raw/ and its bytes (sha256), except `Raw/TMDB/_state/`
            (the ingestion checkpoint) and the run-named TMDB files
            `Raw/TMDB/JSON/YYYY/MM/DD/<run>-<seq>.json`, compared per day folder as a
            multiset of records (each record as canonical JSON).

Normalisation (the same on both sides, before comparing):
  N1 lake root: `file://<root>/` and `<root>/` (the root as given, resolved, and any
     absolute `lake` in a manifest) become `<lake>/`; a `file://` URL of another root
     (a moved lake) is cut before its Raw|Trusted|Refined segment.
  N2 raw TMDB names `Raw/TMDB/JSON/YYYY/MM/DD/<anything>-<5 digits>.json` become
     `.../<run>-<seq>.json`: ingestion fetches concurrently, so which file (and which
     position in it) a record lands in is not reproducible.
  N3 run ids: the names under `_runs/*/` of either lake, and anything shaped like
     new_run_id() (`YYYYMMDDTHHMMSSZ-xxxxxx`), become `<run>`.
  N4 catalog: N1-N3 on every string; the last folder of an unpartitioned table's
     Location and of each partition's Location (publish's version folder) becomes
     `<version>`; a partition's `cinelake.raw_digest` parameter (a digest of the
     run-named Raw keys it was converted from, see N2) becomes `<digest>`; partitions
     are sorted by Values.
  N5 data: top-level VARCHAR columns get N2 and N3 (regex form, in SQL), e.g. the
     source_file of tmdb_movies; no other value is touched.
  N6 rejected: file names and lines get N1-N3; a line whose `source` is a run-named
     raw file loses its `position` (see N2).
  N7 manifests: keys at any depth matching DROPPED_KEY (timings_ms, started_at,
     finished_at, run_id, anything time/duration/ms) are dropped; `lake` becomes
     `<lake>`; strings get N1-N3; an inputs/outputs key outside the lake (upload's
     source files) keeps only its file name (`<outside>/movies.csv`; bytes and sha256
     still compared); entries naming run-named raw files fold into one per day folder
     (files, summed rows and bytes); inputs and outputs are compared as sorted lists.
"""

import difflib
import hashlib
import json
import os
import re
import sys
from collections import Counter, defaultdict

try:
    import duckdb
except ImportError:
    print(
        "compare-lakes needs duckdb, which the test environment holds: python3 -m "
        "cinelake_tools.python_env ensure .venv requirements/test.txt, then scripts/compare-lakes",
        file=sys.stderr,
    )
    sys.exit(2)

RUN_ID = r"\d{8}T\d{6}Z-[0-9a-f]{6}"
RAW_RUN_FILE = r'(Raw/TMDB/JSON/\d{4}/\d{2}/\d{2}/)[^/"\s]+-\d{5}\.json'
RAW_RUN_REPL = r"\1<run>-<seq>.json"
DROPPED_KEY = re.compile(r"time|duration|elapsed|_ms$|^ms$|started|finished|_at$|run_id")
OTHER_ROOT = re.compile(r"file://[^\"\s]*?/(?=(?:Raw|Trusted|Refined)/)")
LAKE_KEY = re.compile(r"(<lake>/)?(Raw|Trusted|Refined|_runs|_catalog)/")
PARQUET = "read_parquet(?, hive_partitioning = false)"


class Lake:
    def __init__(self, root):
        self.keys = {}  # key -> file path; writes in progress left out
        for d, _, files in os.walk(root):
            for f in files:
                if ".cinelake-tmp-" not in f:
                    self.keys[os.path.relpath(os.path.join(d, f), root).replace(os.sep, "/")] = os.path.join(d, f)
        runs = [k for k in self.keys if re.fullmatch(r"_runs/[^/]+/[^/]+\.json", k)]
        self.run_ids = {k.split("/")[2][:-5] for k in runs}
        self.latest = {}  # stage -> the manifest of its latest run (by started_at, then name)
        for k in sorted(runs, key=lambda k: (str(self.json(k).get("started_at", "")), k)):
            self.latest[k.split("/")[1]] = self.json(k)
        self.roots = {os.path.abspath(root), os.path.realpath(root)}
        self.roots |= {m["lake"].rstrip("/") for m in self.latest.values() if str(m.get("lake")).startswith("/")}
        self.roots = sorted(self.roots, key=len, reverse=True)

    def json(self, key):
        with open(self.keys[key], encoding="utf-8") as f:
            return json.load(f)

    def norm(self, s, run_ids):
        for r in self.roots:
            s = s.replace("file://" + r + "/", "<lake>/").replace(r + "/", "<lake>/")
        s = re.sub(RAW_RUN_FILE, RAW_RUN_REPL, OTHER_ROOT.sub("<lake>/", s))
        for r in run_ids:
            s = s.replace(r, "<run>")
        return re.sub(RUN_ID, "<run>", s)

    def key_of(self, location):
        """The key a catalog Location names (the inverse of Store::location)."""
        loc = location[len("file://") :] if location.startswith("file://") else location
        for r in self.roots:
            if loc.startswith(r + "/"):
                return loc[len(r) + 1 :]
        m = re.search(r"(?:^|/)((?:Raw|Trusted|Refined)/.*)", loc)
        return m.group(1) if m else loc


def walk(x, f):
    """x with f applied to every string in it."""
    if isinstance(x, dict):
        return {k: walk(v, f) for k, v in x.items()}
    if isinstance(x, list):
        return [walk(v, f) for v in x]
    return f(x) if isinstance(x, str) else x


def jdiff(a, b, path=""):
    """Readable differences between two JSON values."""
    if isinstance(a, list) and isinstance(b, list):
        a, b = dict(enumerate(a)), dict(enumerate(b))
    elif not (isinstance(a, dict) and isinstance(b, dict)):
        if a != b:
            yield f"{path or '.'}: A={json.dumps(a)[:300]} B={json.dumps(b)[:300]}"
        return
    for k in sorted(set(a) | set(b)):
        p = f"{path}[{k}]" if isinstance(k, int) else f"{path}.{k}"
        if k in a and k in b:
            yield from jdiff(a[k], b[k], p)
        else:
            yield f"{p}: only in {'A' if k in a else 'B'}: {json.dumps(a.get(k, b.get(k)))[:300]}"


def sides(a, b, what):
    """What is in one collection of names and not the other."""
    yield from (f"{what} only in A: {k}" for k in sorted(set(a) - set(b)))
    yield from (f"{what} only in B: {k}" for k in sorted(set(b) - set(a)))


def multiset_diff(a, b, what):
    """Differences between two Counters of strings."""
    for side, extra in (("A", a - b), ("B", b - a)):
        if extra:
            yield f"{sum(extra.values())} {what}(s) only in {side}, e.g. {next(iter(extra))[:300]}"


def catalog(lake, run_ids):
    """'<db>/<table>' -> (normalised entry, entry as stored)."""
    out = {}
    for k in lake.keys:
        if k.startswith("_catalog/") and k.endswith(".json") and k.count("/") == 2:
            entry = lake.json(k)
            e = walk(entry, lambda s: lake.norm(s, run_ids))
            t, parts = e.get("TableInput", {}), e.get("Partitions", [])
            sd = t.get("StorageDescriptor", {})
            if not t.get("PartitionKeys") and t.get("TableType") != "VIRTUAL_VIEW" and sd.get("Location"):
                sd["Location"] = re.sub(r"[^/]+/?$", "<version>/", sd["Location"])
            for p in parts:
                p["Location"] = re.sub(r"[^/]+/?$", "<version>/", p["Location"])
                if "cinelake.raw_digest" in p.get("Parameters", {}):
                    p["Parameters"]["cinelake.raw_digest"] = "<digest>"
            e["Partitions"] = sorted(parts, key=lambda p: p["Values"])
            out[k[len("_catalog/") : -len(".json")]] = (e, entry)
    return out


def data_files(lake, entry):
    """Partition label ('' when unpartitioned) -> the Parquet files the table reads there."""
    t = entry.get("TableInput", {})
    if t.get("TableType") == "VIRTUAL_VIEW":
        return {}
    locations = (
        {"": t["StorageDescriptor"]["Location"]}
        if not t.get("PartitionKeys")
        else {
            ",".join(f"{c['Name']}={v}" for c, v in zip(t["PartitionKeys"], p["Values"])): p["Location"]
            for p in entry.get("Partitions", [])
        }
    )
    out = {}
    for label, loc in locations.items():
        prefix = lake.key_of(loc).rstrip("/") + "/"
        out[label] = sorted(
            p
            for k, p in lake.keys.items()
            if k.startswith(prefix) and k.endswith(".parquet") and "/" not in k[len(prefix) :]
        )
    return out


def schema(db, files):
    """(DuckDB's column types, every Parquet element of each distinct file schema)."""
    columns = [f"{c[0]}: {c[1]}" for c in db.execute(f"DESCRIBE SELECT * FROM {PARQUET}", [files]).fetchall()]
    per_file = set()
    for f in files:
        rows = db.execute(
            "SELECT name, type, type_length, repetition_type, num_children, converted_type, "
            "scale, precision, field_id, logical_type FROM parquet_schema(?)",
            [f],
        ).fetchall()
        rows[0] = ("<root>",) + rows[0][1:]  # the writer's name for the root element
        per_file.add(tuple(" ".join(str(v) for v in r if v is not None) for r in rows))
    return columns, [f"parquet: {e}" for s in sorted(per_file) for e in s]


def rows_diff(db, files_a, files_b):
    for name, files in (("a", files_a), ("b", files_b)):
        cols = db.execute(f"DESCRIBE SELECT * FROM {PARQUET}", [files]).fetchall()
        sel = ", ".join(
            f"regexp_replace(regexp_replace(\"{c}\", '{RAW_RUN_FILE}', '{RAW_RUN_REPL}', 'g'), "
            f"'{RUN_ID}', '<run>', 'g') AS \"{c}\""
            if t == "VARCHAR"
            else f'"{c}"'
            for c, t, *_ in cols
        )
        db.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT {sel} FROM {PARQUET}", [files])
    (na,), (nb,) = db.execute("SELECT count(*) FROM a").fetchone(), db.execute("SELECT count(*) FROM b").fetchone()
    if na != nb:
        yield f"A has {na} rows, B has {nb}"
    for x, y in (("a", "b"), ("b", "a")):
        (n,) = db.execute(f"SELECT count(*) FROM (SELECT * FROM {x} EXCEPT ALL SELECT * FROM {y})").fetchone()
        if n:
            yield f"{n} row(s) only in {x.upper()}, e.g.:"
            for r in db.execute(f"SELECT * FROM {x} EXCEPT ALL SELECT * FROM {y} LIMIT 3").fetchall():
                yield f"  {str(r)[:400]}"


def rejected(lake, run_ids):
    out = defaultdict(Counter)
    for k, path in lake.keys.items():
        if k.startswith("Trusted/_rejected/"):
            with open(path, encoding="utf-8") as f:
                for line in filter(str.strip, f):
                    r = json.loads(line)
                    if re.search(RAW_RUN_FILE, str(r.get("source", ""))):
                        r.pop("position", None)
                    r = walk(r, lambda s: lake.norm(s, run_ids))
                    out[lake.norm(k, run_ids)][json.dumps(r, sort_keys=True)] += 1
    return out


def manifest(lake, m, run_ids):
    def strip(x):
        if isinstance(x, dict):
            return {k: strip(v) for k, v in x.items() if not DROPPED_KEY.search(k)}
        return [strip(v) for v in x] if isinstance(x, list) else x

    m = walk(strip(dict(m, lake="<lake>")), lambda s: lake.norm(s, run_ids))
    for side in ("inputs", "outputs"):
        entries, folded = [], {}
        for e in m.get(side, []):
            key = e.get("key", "")
            if not LAKE_KEY.match(key):
                e["key"] = "<outside>/" + os.path.basename(key)
            if key.startswith("Raw/") and key.endswith("<run>-<seq>.json"):
                f = folded.setdefault(key, Counter(key=key))  # files, summed rows and bytes
                f.update(files=1, rows=e.get("rows") or 0, bytes=e.get("bytes") or 0)
            else:
                entries.append(e)
        m[side] = sorted(entries + [dict(f) for f in folded.values()], key=lambda e: json.dumps(e, sort_keys=True))
    return m


def raw(lake):
    """(key -> sha256 of the plain Raw files, day folder -> Counter of TMDB records)."""
    plain, records = {}, defaultdict(Counter)
    for k, path in lake.keys.items():
        if not k.startswith("Raw/") or k.startswith("Raw/TMDB/_state/"):
            continue
        run_file = re.fullmatch(RAW_RUN_FILE, k)
        with open(path, "rb") as f:
            if run_file:
                body = json.load(f)
                records[run_file.group(1)].update(
                    json.dumps(r, sort_keys=True) for r in (body if isinstance(body, list) else [body])
                )
            else:
                h = hashlib.sha256()
                for chunk in iter(lambda: f.read(1 << 20), b""):
                    h.update(chunk)
                plain[k] = h.hexdigest()
    return plain, records


def main(argv):
    if len(argv) != 3 or not all(os.path.isdir(d) for d in argv[1:]):
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    a, b = Lake(argv[1]), Lake(argv[2])
    run_ids = sorted(a.run_ids | b.run_ids, key=len, reverse=True)
    db, failed = duckdb.connect(), False
    db.execute("SET preserve_insertion_order = false")  # less memory for the big tables

    def check(what, diffs):
        nonlocal failed
        diffs = list(diffs)
        print(f"{'DIFF' if diffs else 'same'}  {what}")
        print("".join(f"      {d}\n" for d in diffs[:20]), end="")
        if len(diffs) > 20:
            print(f"      ... and {len(diffs) - 20} more")
        failed |= bool(diffs)

    cat_a, cat_b = catalog(a, run_ids), catalog(b, run_ids)
    check("catalog: same tables", sides(cat_a, cat_b, "table"))
    for t in sorted(set(cat_a) & set(cat_b)):
        check(f"catalog {t}", jdiff(cat_a[t][0], cat_b[t][0]))
        files_a, files_b = data_files(a, cat_a[t][1]), data_files(b, cat_b[t][1])
        if cat_a[t][1].get("TableInput", {}).get("PartitionKeys"):
            check(f"data {t}: same partitions", sides(files_a, files_b, "partition"))
        for label in sorted(set(files_a) & set(files_b)):
            fa, fb, what = files_a[label], files_b[label], f"data {t} {label}".rstrip()
            if not fa or not fb:
                check(what, [f"no Parquet file in {'A' if not fa else 'B'}"] if fa or fb else [])
                continue
            (cols_a, elems_a), (cols_b, elems_b) = schema(db, fa), schema(db, fb)
            diff = difflib.ndiff(cols_a + elems_a, cols_b + elems_b)
            check(f"{what}: schema", (d.rstrip() for d in diff if d[:1] in "-+"))
            check(f"{what}: rows", rows_diff(db, fa, fb) if cols_a == cols_b else ["not compared: column types differ"])

    rej_a, rej_b = rejected(a, run_ids), rejected(b, run_ids)
    check("rejected: same files", sides(rej_a, rej_b, "file"))
    for k in sorted(set(rej_a) & set(rej_b)):
        check(f"rejected {k} ({sum(rej_a[k].values())} lines)", multiset_diff(rej_a[k], rej_b[k], "line"))

    def zone(lake):
        return Counter(lake.norm(k, run_ids) for k in lake.keys if k.startswith(("Trusted/", "Refined/")))

    ka, kb = zone(a), zone(b)
    check(
        "keys under Trusted/ and Refined/",
        (f"{k}: {ka[k]} in A, {kb[k]} in B" for k in sorted(ka | kb) if ka[k] != kb[k]),
    )

    check("manifests: same stages", sides(a.latest, b.latest, "stage"))
    for s in sorted(set(a.latest) & set(b.latest)):
        check(f"manifest {s} (latest run)", jdiff(manifest(a, a.latest[s], run_ids), manifest(b, b.latest[s], run_ids)))

    (plain_a, rec_a), (plain_b, rec_b) = raw(a), raw(b)
    check("raw: same keys", sides(plain_a, plain_b, "key"))
    check("raw: same bytes", (f"{k} differs" for k in sorted(set(plain_a) & set(plain_b)) if plain_a[k] != plain_b[k]))
    check("raw TMDB: same day folders", sides(rec_a, rec_b, "folder"))
    for d in sorted(set(rec_a) & set(rec_b)):
        check(
            f"raw TMDB {d}<run>-<seq>.json ({sum(rec_a[d].values())} records)",
            multiset_diff(rec_a[d], rec_b[d], "record"),
        )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
