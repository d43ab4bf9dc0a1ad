"""The local dashboard and QuickSight show the same figures for the same filters.

    python3 cinelake_tools/parity.py --lake DIR --page dashboard.html --cinelake BIN \
        [--bodies dashboards/quicksight]

Reads each QuickSight visual of dashboard.json: its data set (a view), its field wells,
sorts and item limits, the calculated fields it uses and the filters whose scope
reaches it (by sheet and visual, and by data set: SINGLE_DATASET filters their own data
set, ALL_DATASETS every data set with a column of that name). Turns them into one SQL
statement on the local engine (`cinelake query --format json`, Polars SQL over the demo
lake's views) per filter scenario, and compares the rows with the figures the local
page (`cinelake dashboard`) draws under the same filters, read in headless Chromium by
dashboards/test/figures.mjs. Scenarios: the defaults of both (South America), all
countries, the rest of the world, Brazil, the last N release years, a higher minimum of
votes, co-productions, a lower minimum rating.

What the QuickSight filters mean here (the translation is this file's; QuickSight's own
reading is AWS-only): a category filter keeps the rows whose value is one of those
chosen (all, when set to all values); a numeric range keeps the rows within it (nulls as
its NullOption says), its bounds static or a parameter's value; countOver,
distinctCountOver and minOver at PRE_AGG work over the filtered rows; MEDIAN is the
midpoint of the two middle values when their number is even; a bar chart's item limit is
a LIMIT after its sort; text sorts compare code points. A visual this check does not
know a page counterpart for fails it.

One line per visual and scenario that agree; each difference names the visual, the
scenario and the first rows that differ. Exit 0 when all agree, 1 on a difference, 2 on
bad usage or a translation this file does not know (it never guesses).
"""

import argparse
import json
import math
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

# Run by its path (crates/cli/tests/demo_dashboard.rs runs `python3 cinelake_tools/parity.py`),
# so it imports nothing from this package and needs only the standard library.
ROOT = Path(__file__).resolve().parents[1]
FIGURES = ROOT / "dashboards" / "test" / "figures.mjs"
REL_TOL = 1e-9
SHOWN = 4


class Unsupported(Exception):
    """A QuickSight construct this translation does not know."""


class Difference(Exception):
    """The page and the SQL disagree."""


# ---------------------------------------------------------------- scenarios


def scenarios(brazil_name, last_years):
    """(name, the local page's filters, the QuickSight filters' values) for each check.

    QuickSight values: {filter id: list of values or "ALL" or a number}, {parameter: value};
    what a scenario leaves out keeps the dashboard's default."""
    return [
        ("default (South America)", {"country": "SOUTH_AMERICA", "lastYears": None, "minVotes": 1000}, {}, {}),
        ("all countries", {"country": "ALL", "lastYears": None, "minVotes": 1000}, {"region": "ALL"}, {}),
        (
            "rest of the world",
            {"country": "REST", "lastYears": None, "minVotes": 1000},
            {"region": ["Rest of the world"]},
            {},
        ),
        (
            "Brazil",
            {"country": "BR", "lastYears": None, "minVotes": 1000},
            {"region": "ALL", "country": [brazil_name]},
            {},
        ),
        (
            f"South America, the last {last_years} years",
            {"country": "SOUTH_AMERICA", "lastYears": last_years, "minVotes": 1000},
            {},
            {"LastYears": last_years},
        ),
        (
            "all countries, at least 3,000 votes",
            {"country": "ALL", "lastYears": None, "minVotes": 3000},
            {"region": "ALL"},
            {"MinVotes": 3000},
        ),
        (
            "co-productions with South America",
            {"country": "CO_PRODUCTION", "lastYears": None, "minVotes": 1000},
            {"region": ["Co-production with South America"]},
            {},
        ),
        (
            "all countries, best from a rating of 6.0",
            {"country": "ALL", "lastYears": None, "minVotes": 1000, "minRating": 6.0},
            {"region": "ALL"},
            {"MinRating": 6.0},
        ),
    ]


# ---------------------------------------------------------------- QuickSight expressions

_TOKEN = re.compile(
    r"\s*(?:(\{[^{}]+\})|(\d+(?:\.\d+)?)|('(?:[^']|'')*')|([A-Za-z_][A-Za-z0-9_]*)"
    r"|(<>|!=|>=|<=|[-+*/=<>(),\[\]]))"
)
AGGREGATES = {
    "sum": "SUM",
    "avg": "AVG",
    "min": "MIN",
    "max": "MAX",
    "count": "COUNT",
    "distinct_count": "COUNT(DISTINCT",
}
WINDOWS = {"countOver": "COUNT", "distinctCountOver": "COUNT(DISTINCT", "minOver": "MIN"}


def tokens(text):
    pos, out = 0, []
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        m = _TOKEN.match(text, pos)
        if not m:
            raise Unsupported(f"cannot read {text[pos : pos + 20]!r} in {text!r}")
        kind = m.lastindex
        out.append((("field", "number", "string", "name", "op")[kind - 1], m.group(kind)))
        pos = m.end()
    return out


def parse(text):
    """A QuickSight expression as nested tuples."""
    toks = tokens(text)
    pos = 0

    def peek():
        return toks[pos] if pos < len(toks) else (None, None)

    def take(value=None):
        nonlocal pos
        tok = peek()
        if value is not None and tok[1] != value:
            raise Unsupported(f"expected {value!r} at {tok[1]!r} in {text!r}")
        pos += 1
        return tok

    def primary():
        kind, value = peek()
        if kind == "field":
            take()
            return ("field", value[1:-1])
        if kind == "number":
            take()
            return ("number", value)
        if kind == "string":
            take()
            return ("string", value)
        if value == "(":
            take("(")
            e = expr()
            take(")")
            return e
        if value == "[":
            take("[")
            items = []
            while peek()[1] != "]":
                items.append(expr())
                if peek()[1] == ",":
                    take(",")
            take("]")
            return ("list", items)
        if value == "-":
            take("-")
            return ("neg", primary())
        if kind == "name":
            take()
            if peek()[1] != "(":
                return ("name", value)
            take("(")
            args = []
            while peek()[1] != ")":
                args.append(expr())
                if peek()[1] == ",":
                    take(",")
            take(")")
            return ("call", value, args)
        raise Unsupported(f"unexpected {value!r} in {text!r}")

    def binary(next_level, ops):
        def level():
            left = next_level()
            while peek()[1] in ops:
                op = take()[1]
                left = ("op", op, left, next_level())
            return left

        return level

    term = binary(primary, {"*", "/"})
    arith = binary(term, {"+", "-"})
    expr = binary(arith, {"=", "<>", "!=", ">", "<", ">=", "<="})
    tree = expr()
    if pos != len(toks):
        raise Unsupported(f"trailing {toks[pos][1]!r} in {text!r}")
    return tree


def is_aggregated(tree):
    if tree[0] == "call":
        if tree[1] in AGGREGATES:
            return True
        if tree[1] in WINDOWS:
            return False
        return any(is_aggregated(a) for a in tree[2])
    if tree[0] == "op":
        return is_aggregated(tree[2]) or is_aggregated(tree[3])
    if tree[0] == "neg":
        return is_aggregated(tree[1])
    return False


class Translator:
    """QuickSight expressions of one data set as SQL over the filtered rows `f`."""

    def __init__(self, columns, calculated):
        self.columns = columns  # the data set's columns
        self.calculated = calculated  # {name: parsed expression}
        self.windows = []  # (sql of the window CTE, its alias, partition)

    def field(self, name):
        if name in self.calculated:
            return f"({self.sql(self.calculated[name])})"
        if name in self.columns:
            return f"f.{name}"
        raise Unsupported(f"field {name!r} is neither a column nor a calculated field")

    def sql(self, tree):
        kind = tree[0]
        if kind == "field":
            return self.field(tree[1])
        if kind == "number":
            return tree[1]
        if kind == "string":
            return tree[1]
        if kind == "neg":
            return f"(-{self.sql(tree[1])})"
        if kind == "name" and tree[1] == "NULL":
            return "NULL"
        if kind == "op":
            op, a, b = tree[1], self.sql(tree[2]), self.sql(tree[3])
            if op == "/":  # QuickSight divides as decimals
                return f"(CAST({a} AS DOUBLE) / CAST({b} AS DOUBLE))"
            return f"({a} {'<>' if op == '!=' else op} {b})"
        if kind == "call":
            name, args = tree[1], tree[2]
            if name == "ifelse":
                if len(args) < 3 or len(args) % 2 == 0:
                    raise Unsupported("ifelse needs condition, value pairs and an else value")
                whens = " ".join(f"WHEN {self.sql(c)} THEN {self.sql(v)}" for c, v in zip(args[:-1:2], args[1:-1:2]))
                return f"(CASE {whens} ELSE {self.sql(args[-1])} END)"
            if name == "isNull" and len(args) == 1:
                return f"({self.sql(args[0])} IS NULL)"
            if name in AGGREGATES and len(args) == 1:
                agg = AGGREGATES[name]
                return f"{agg}({self.sql(args[0])}{')' if '(' in agg else ''})"
            if name in WINDOWS:
                return self.window(name, args)
        raise Unsupported(f"{tree!r}")

    def window(self, name, args):
        if len(args) != 3 or args[1][0] != "list" or args[2] != ("name", "PRE_AGG"):
            raise Unsupported(f"{name} other than ({{x}}, [partition], PRE_AGG)")
        operand = self.sql(args[0])
        parts = [self.sql(p) for p in args[1][1]]
        agg = WINDOWS[name]
        for alias, wsql, _ in self.windows:  # the same window, computed once
            if wsql.endswith(
                f"{agg}({operand}{')' if '(' in agg else ''}) AS v FROM filtered f"
                f"{' GROUP BY ' + ', '.join(parts) if parts else ''}"
            ) and wsql.startswith(f"SELECT {', '.join(f'{p} AS k{i}' for i, p in enumerate(parts)) or '1 AS k0'}, "):
                return f"{alias}.v"
        alias = f"w{len(self.windows)}"
        keys = [f"{p} AS k{i}" for i, p in enumerate(parts)] or ["1 AS k0"]
        group = f" GROUP BY {', '.join(parts)}" if parts else ""
        sql = f"SELECT {', '.join(keys)}, {agg}({operand}{')' if '(' in agg else ''}) AS v FROM filtered f{group}"
        # Polars SQL joins on columns, not on a literal: filtered carries one_key = 1.
        on = [f"{alias}.k{i} = {p}" for i, p in enumerate(parts)] or [f"{alias}.k0 = f.one_key"]
        self.windows.append((alias, sql, " AND ".join(on)))
        return f"{alias}.v"


# ---------------------------------------------------------------- filters


def sql_literal(value):
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    return repr(value)


def numeric_bound(bound, parameters):
    if "StaticValue" in bound:
        return bound["StaticValue"]
    if "Parameter" in bound:
        return parameters[bound["Parameter"]]
    raise Unsupported(f"range bound {bound!r}")


def null_option(column, option, predicate):
    if option == "ALL_VALUES":
        return f"({predicate} OR {column} IS NULL)" if predicate else None
    if option == "NON_NULLS_ONLY":
        return f"({predicate} AND {column} IS NOT NULL)" if predicate else f"{column} IS NOT NULL"
    raise Unsupported(f"NullOption {option}")


def filter_sql(kind, body, column, overrides, parameters):
    """The predicate of one filter on COLUMN, or None when it keeps every row."""
    fid = body["FilterId"]
    if kind == "CategoryFilter" and "CustomFilterConfiguration" in body["Configuration"]:
        # A value chosen by a parameter (a click sets it); unset, the filter keeps every row.
        config = body["Configuration"]["CustomFilterConfiguration"]
        if config.get("MatchOperator") != "EQUALS" or "ParameterName" not in config:
            raise Unsupported(f"category filter {fid}: only EQUALS a parameter")
        value = parameters.get(config["ParameterName"])
        return null_option(
            column,
            config.get("NullOption", "ALL_VALUES"),
            None if value is None else f"{column} = {sql_literal(value)}",
        )
    if kind == "CategoryFilter":
        config = body["Configuration"].get("FilterListConfiguration")
        if config is None or config.get("MatchOperator") != "CONTAINS":
            raise Unsupported(f"category filter {fid}: only a CONTAINS filter list")
        values = overrides.get(
            fid, "ALL" if config.get("SelectAllOptions") == "FILTER_ALL_VALUES" else config.get("CategoryValues", [])
        )
        predicate = None if values == "ALL" else (f"{column} IN ({', '.join(sql_literal(v) for v in values)})")
        return null_option(column, config.get("NullOption", "ALL_VALUES"), predicate)
    if kind == "NumericRangeFilter":
        parts = []
        if "RangeMinimum" in body:
            op = ">=" if body.get("IncludeMinimum") else ">"
            parts.append(f"{column} {op} {numeric_bound(body['RangeMinimum'], parameters)}")
        if "RangeMaximum" in body:
            op = "<=" if body.get("IncludeMaximum") else "<"
            parts.append(f"{column} {op} {numeric_bound(body['RangeMaximum'], parameters)}")
        if fid in overrides:
            low, high = overrides[fid]
            parts = [f"{column} >= {low}", f"{column} <= {high}"]
        return null_option(column, body["NullOption"], " AND ".join(parts) or None)
    raise Unsupported(f"filter kind {kind}")


# ---------------------------------------------------------------- visuals


def one(union):
    ((kind, body),) = union.items()
    return kind, body


class Dashboard:
    def __init__(self, bodies):
        self.bodies = Path(bodies)
        self.definition = json.loads((self.bodies / "dashboard.json").read_text())["Definition"]
        self.columns = {}
        for decl in self.definition["DataSetIdentifierDeclarations"]:
            ident = decl["Identifier"]
            data = json.loads((self.bodies / "data-sets" / f"{ident}.json").read_text())
            ((table,),) = [list(data["PhysicalTableMap"].values())]
            self.columns[ident] = {c["Name"] for c in one(table)[1]["InputColumns"]}
        self.calculated = {}
        for field in self.definition.get("CalculatedFields", []):
            self.calculated.setdefault(field["DataSetIdentifier"], {})[field["Name"]] = parse(field["Expression"])
        self.parameters = {}
        for decl in self.definition.get("ParameterDeclarations", []):
            _, body = one(decl)
            # A parameter without a default (DetailFilm, set by a click) starts unset.
            defaults = body.get("DefaultValues", {}).get("StaticValues", [])
            self.parameters[body["Name"]] = defaults[0] if defaults else None

    def visuals(self):
        for sheet in self.definition["Sheets"]:
            for visual in sheet["Visuals"]:
                kind, body = one(visual)
                yield sheet["SheetId"], kind, body

    def filters_of(self, sheet, visual_id, dataset):
        """The (kind, filter, column) that reach a visual of DATASET."""
        names = self.columns[dataset] | set(self.calculated.get(dataset, {}))
        for group in self.definition.get("FilterGroups", []):
            if group.get("Status", "ENABLED") != "ENABLED":
                continue
            scope = group["ScopeConfiguration"]
            reached = "AllSheets" in scope
            for config in scope.get("SelectedSheets", {}).get("SheetVisualScopingConfigurations", []):
                if config["SheetId"] == sheet and (
                    config["Scope"] == "ALL_VISUALS" or visual_id in config.get("VisualIds", [])
                ):
                    reached = True
            if not reached:
                continue
            for flt in group["Filters"]:
                kind, body = one(flt)
                column = body["Column"]
                if group["CrossDataset"] == "SINGLE_DATASET":
                    if column["DataSetIdentifier"] != dataset:
                        continue
                elif column["ColumnName"] not in names:
                    continue
                yield kind, body, column["ColumnName"]


def dataset_of(visual):
    found = set()

    def walk(v):
        if isinstance(v, dict):
            if "DataSetIdentifier" in v and "ColumnName" in v:
                found.add(v["DataSetIdentifier"])
            for x in v.values():
                walk(x)
        elif isinstance(v, list):
            for x in v:
                walk(x)

    walk(visual)
    if len(found) != 1:
        raise Unsupported(f"visual {visual['VisualId']} reads {sorted(found)}")
    return found.pop()


def field_sql(field, tr, calculated):
    """(field id, SQL, aggregated) of one field well entry."""
    kind, body = one(field)
    column = body["Column"]["ColumnName"]
    expression = tr.field(column)
    if kind in ("CategoricalDimensionField", "NumericalDimensionField", "DateDimensionField"):
        return body["FieldId"], expression, False
    if kind == "NumericalMeasureField":
        agg = body.get("AggregationFunction", {}).get("SimpleNumericalAggregation")
        if column in calculated and is_aggregated(calculated[column]):
            if agg:
                raise Unsupported(f"{body['FieldId']}: an aggregation over an aggregated field")
            return body["FieldId"], expression, True
        names = {
            "SUM": "SUM",
            "AVERAGE": "AVG",
            "MEDIAN": "MEDIAN",
            "MIN": "MIN",
            "MAX": "MAX",
            "COUNT": "COUNT",
            "DISTINCT_COUNT": "COUNT(DISTINCT",
            None: "SUM",
        }
        if agg not in names:
            raise Unsupported(f"{body['FieldId']}: aggregation {agg}")
        fn = names[agg]
        return body["FieldId"], f"{fn}({expression}{')' if '(' in fn else ''})", True
    if kind == "CategoricalMeasureField":
        agg = body.get("AggregationFunction", "COUNT")
        if agg not in ("COUNT", "DISTINCT_COUNT"):
            raise Unsupported(f"{body['FieldId']}: aggregation {agg}")
        inner = f"DISTINCT {expression}" if agg == "DISTINCT_COUNT" else expression
        return body["FieldId"], f"COUNT({inner})", True
    raise Unsupported(f"field kind {kind}")


WELLS = {
    "TableAggregatedFieldWells": ("GroupBy", "Values"),
    "BarChartAggregatedFieldWells": ("Category", "Colors", "Values"),
    "LineChartAggregatedFieldWells": ("Category", "Colors", "Values"),
    "ComboChartAggregatedFieldWells": ("Category", "Colors", "BarValues", "LineValues"),
    "ScatterPlotUnaggregatedFieldWells": ("XAxis", "YAxis", "Category", "Label"),
    "ScatterPlotCategoricallyAggregatedFieldWells": ("XAxis", "YAxis", "Category", "Label"),
    "TableUnaggregatedFieldWells": ("Values",),
    "FilledMapAggregatedFieldWells": ("Geospatial", "Values"),
}


def visual_sql(dash, sheet, kind, visual, overrides, parameters, skip=()):
    """One SELECT for the visual: {field id: alias} and the SQL. SKIP: field ids left out."""
    dataset = dataset_of(visual)
    calculated = dash.calculated.get(dataset, {})
    tr = Translator(dash.columns[dataset], calculated)
    config = visual["ChartConfiguration"]
    if kind == "KPIVisual":
        entries = config["FieldWells"].get("Values", [])
        unaggregated = False
    else:
        ((wells_kind, wells),) = config["FieldWells"].items()
        if wells_kind not in WELLS:
            raise Unsupported(f"{visual['VisualId']}: field wells {wells_kind}")
        entries = [e for well in WELLS[wells_kind] for e in wells.get(well, [])]
        unaggregated = "Unaggregated" in wells_kind
        if unaggregated:
            entries = [
                {"CategoricalDimensionField": {"FieldId": e["FieldId"], "Column": e["Column"]}}
                if "FieldId" in e and "Column" in e
                else e
                for e in entries
            ]
    # A tooltip's column outside the wells is one more aggregated field, named tooltip-<column>.
    for item in config.get("Tooltip", {}).get("FieldBasedTooltip", {}).get("TooltipFields", []):
        if "ColumnTooltipItem" in item:
            tip = item["ColumnTooltipItem"]
            agg = tip["Aggregation"]["NumericalAggregationFunction"]["SimpleNumericalAggregation"]
            entries.append(
                {
                    "NumericalMeasureField": {
                        "FieldId": f"tooltip-{tip['Column']['ColumnName']}",
                        "Column": tip["Column"],
                        "AggregationFunction": {"SimpleNumericalAggregation": agg},
                    }
                }
            )
    entries = [e for e in entries if one(e)[1]["FieldId"] not in skip]
    fields = [field_sql(e, tr, calculated) for e in entries]
    alias = {fid: f"c{i}" for i, (fid, _, _) in enumerate(fields)}
    select = [f"{sql} AS {alias[fid]}" for fid, sql, _ in fields]
    dims = [sql for _, sql, aggregated in fields if not aggregated]
    where = []
    for fkind, body, column in dash.filters_of(sheet, visual["VisualId"], dataset):
        predicate = filter_sql(fkind, body, column, overrides, parameters)
        if predicate:
            where.append(predicate)
    order = []
    sort = config.get("SortConfiguration", {})
    for entry in sort.get("CategorySort", []) + sort.get("RowSort", []):
        skind, sbody = one(entry)
        if skind == "FieldSort":
            order.append(f"{alias[sbody['FieldId']]} {sbody['Direction']} NULLS LAST")
        elif skind == "ColumnSort":
            fn = {"MIN": "MIN", "MAX": "MAX", "SUM": "SUM"}[
                sbody["AggregationFunction"]["NumericalAggregationFunction"]["SimpleNumericalAggregation"]
            ]
            # Polars SQL sorts by selected columns: the sort key is selected too.
            key = f"s{len(order)}"
            select.append(f"{fn}({tr.field(sbody['SortBy']['ColumnName'])}) AS {key}")
            order.append(f"{key} {sbody['Direction']}")
        else:
            raise Unsupported(f"sort {skind}")
    limit = sort.get("CategoryItemsLimit", {}).get("ItemsLimit")
    sql = [
        "WITH filtered AS (SELECT *, 1 AS one_key FROM "
        + dataset
        + (" WHERE " + " AND ".join(where) if where else "")
        + ")"
    ]
    joins = "".join(f" LEFT JOIN ({wsql}) {walias} ON {on}" for walias, wsql, on in tr.windows)
    body = f"SELECT {', '.join(select)} FROM filtered f{joins}"
    if dims and not unaggregated and len(dims) < len(fields):
        body += f" GROUP BY {', '.join(dims)}"
    if order:
        body += f" ORDER BY {', '.join(order)}"
    if limit:
        body += f" LIMIT {limit}"
    return alias, sql[0] + " " + body


# ---------------------------------------------------------------- running and comparing


class Lake:
    def __init__(self, cinelake, lake):
        self.cinelake, self.lake = cinelake, lake

    def query(self, sql):
        run = subprocess.run(
            [self.cinelake, "query", "--lake", self.lake, "--format", "json", sql],
            capture_output=True,
            text=True,
            env={**os.environ, "RUST_LOG": "error"},
        )
        if run.returncode != 0:
            raise Unsupported(f"cinelake query failed ({run.stderr.strip()[-400:]}):\n  {sql}")
        text = run.stdout.strip()
        return json.loads(text) if text else []


def close(a, b):
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, str) or isinstance(b, str):
        return a == b
    return math.isclose(float(a), float(b), rel_tol=REL_TOL, abs_tol=1e-9)


def same_rows(want, got):
    """Two lists of tuples, equal within the tolerance, in order."""
    return len(want) == len(got) and all(
        len(w) == len(g) and all(close(x, y) for x, y in zip(w, g)) for w, g in zip(want, got)
    )


def differ(visual, scenario, what, want, got):
    rows = [f"    QuickSight {w!r}\n    local page {g!r}" for w, g in zip(want, got) if not same_rows([w], [g])]
    extra = ""
    if len(want) != len(got):
        extra = f"\n    {len(want)} rows from QuickSight's SQL, {len(got)} on the page"
    raise Difference(f"{visual}, {scenario}: {what} differ{extra}\n" + "\n".join(rows[:SHOWN]))


def compare(visual_id, scenario, rows, alias, page, names):
    """Raises Difference when a visual's SQL rows and the page's figures disagree; returns
    what was compared, or None for a visual the page does not draw."""
    charts, kpis = page["charts"], page["kpis"]

    def col(fid):
        return [r[alias[fid]] for r in rows]

    def marks(chart):
        if chart not in charts:
            raise Difference(f"{visual_id}, {scenario}: the page has no chart {chart}")
        return charts[chart]

    def films(chart, label_fid, value_fid):
        # Each ranking has the page's item limit, so the films must be the same ones.
        got = [(m["label"], m["value"]) for m in marks(chart)]
        want = list(zip(col(label_fid), col(value_fid)))
        if not same_rows(want, got):
            differ(visual_id, scenario, "films and values", want, got)
        return f"{len(got)} films"

    def by_year(chart, year_fid, value_fid, series_fid=None, key_of=None, missing=None, films_fid=None):
        # With films_fid, each point's number of films (a tooltip) is compared too.
        dots = {
            m["key"]: (m["value"], m.get("films")) if films_fid else m["value"]
            for m in marks(chart)
            if re.search(r":\d+$", m["key"] or "")
        }
        sql = {}
        for r in rows:
            series = key_of(r[alias[series_fid]]) if series_fid else "popularity"
            value = r[alias[value_fid]]
            sql[f"{series}:{r[alias[year_fid]]}"] = (value, r[alias[films_fid]]) if films_fid else value
        want, got = [], []
        for k in sorted(dots):
            series = k.split(":")[0]
            if key_of is not None and series not in key_of.codes:
                continue  # the page's total line: QuickSight's trends-total-* tables
            if films_fid:
                want.append((k, *sql.get(k, (missing, None))))
                got.append((k, *dots[k]))
            else:
                want.append((k, sql.get(k, missing)))
                got.append((k, dots[k]))
        if not want:
            # An average over too few films is drawn by neither: nothing to compare is
            # right only when the SQL has no value either.
            if missing is None and all((v[0] if films_fid else v) is None for v in sql.values()):
                return "no point on either side"
            raise Difference(f"{visual_id}, {scenario}: no point of the page to compare")
        if not same_rows(want, got):
            differ(visual_id, scenario, "points", want, got)
        return f"{len(want)} points"

    if visual_id in ("best-films", "most-voted", "most-popular", "top-profits"):
        value = {
            "best-films": "best-rating",
            "most-voted": "most-voted-value",
            "most-popular": "most-popular-value",
            "top-profits": "top-profits-value",
        }[visual_id]
        label = {"best-films": "best-film"}.get(visual_id, f"{visual_id}-film")
        return films(visual_id, label, value)
    if visual_id == "country-share":
        got = [(m["label"], m["value"]) for m in marks("country-share")]
        want = list(zip(col("share-country"), col("share-share")))
        if not same_rows(want[: len(got)], got) or (len(got) < 25 and len(want) != len(got)):
            differ(visual_id, scenario, "countries and shares", want, got)
        return f"{len(got)} countries"
    if visual_id == "country-table":
        got = [(m["label"], m["value"], m["rating"]) for m in marks("country-table")]
        want = list(zip(col("ct-country"), col("ct-films"), col("ct-rating")))
        if not same_rows(want, got):
            differ(visual_id, scenario, "countries, films and ratings", want, got)
        return f"{len(got)} countries"
    if visual_id == "country-map":
        # The page's counterpart is its country table: the same countries and films.
        got = sorted((m["label"], m["value"]) for m in marks("country-table"))
        want = sorted(zip(col("map-country"), col("map-films")))
        if not same_rows(want, got):
            differ(visual_id, scenario, "countries and films", want, got)
        return f"{len(got)} countries"
    if visual_id == "film-detail":
        d = page["detail"]
        facts = ("imdb_rating", "imdb_votes", "tmdb_rating", "tmdb_votes", "popularity", "budget", "revenue", "profit")
        # QuickSight shows a row per production country; the page lists them in one fact.
        films = {}
        for r in rows:
            key = tuple(
                [r[alias["fd-film"]], r[alias["fd-role"]]] + [r[alias[f"fd-{f.replace('_', '-')}"]] for f in facts]
            )
            films.setdefault(key, []).append(r[alias["fd-country"]])
        want = [key + (", ".join(sorted(countries)),) for key, countries in films.items()]
        countries = ", ".join(sorted(d["facts"].get("countries") or ["No production country"]))
        got = [tuple([d["label"], d["facts"]["role"]] + [d["facts"].get(f) for f in facts]) + (countries,)]
        if not same_rows(want, got):
            differ(visual_id, scenario, "the film's figures", want, got)
        return d["label"]
    if visual_id == "film-cast":
        want = sorted(col("fc-artist"))
        got = sorted(page["detail"]["cast"])
        if want != got:
            differ(visual_id, scenario, "the cast", [(w,) for w in want], [(g,) for g in got])
        return f"{len(got)} artists"
    if visual_id == "popularity-by-year":
        return by_year("popularity-by-year", "popularity-by-year-year", "popularity-by-year-value")
    if visual_id in ("votes-by-year", "rating-by-year", "tmdb-rating-by-year", "releases-by-year"):
        chart = {
            "votes-by-year": "trend-votes",
            "rating-by-year": "trend-rating",
            "tmdb-rating-by-year": "trend-tmdb-rating",
            "releases-by-year": "trend-releases",
        }[visual_id]
        return by_year(
            chart,
            f"{visual_id}-year",
            f"{visual_id}-value",
            f"{visual_id}-country_name",
            names,
            missing=None if "rating" in visual_id else 0,
            films_fid={
                "rating-by-year": "tooltip-imdb_rating",
                "tmdb-rating-by-year": "tooltip-tmdb_rated_film",
            }.get(visual_id),
        )
    if visual_id in ("trends-total-counts", "trends-total-ratings"):
        # The page's total lines, keyed by the choice: each film once per release year.
        def total(chart):
            out = {}
            for m in marks(chart):
                series, _, year = (m["key"] or "").rpartition(":")
                if series == page["country"] and year.isdigit() and m["value"] is not None:
                    out[int(year)] = (m["value"], m.get("films"))
            return out

        years = [int(y) for y in col(f"{visual_id}-year")]
        if visual_id == "trends-total-counts":
            releases, votes = total("trend-releases"), total("trend-votes")
            films, sums = col("trends-total-counts-films"), col("trends-total-counts-votes")
            want = sorted((y, f, v or 0) for y, f, v in zip(years, films, sums) if f)
            got = sorted((y, releases[y][0], votes.get(y, (0,))[0]) for y in releases if releases[y][0])
        else:
            want, got = [], []
            for chart, mean, n in (
                ("trend-rating", "trends-total-ratings-imdb", "trends-total-ratings-imdb-films"),
                ("trend-tmdb-rating", "trends-total-ratings-tmdb", "trends-total-ratings-tmdb-films"),
            ):
                want += sorted((chart, y, a, c) for y, a, c in zip(years, col(mean), col(n)) if a is not None)
                got += sorted((chart, y, a, c) for y, (a, c) in total(chart).items())
        if not same_rows(want, got):
            differ(visual_id, scenario, "the total line's points", want, got)
        return f"{len(want)} points"
    if visual_id == "region-by-year":
        return by_year(
            "region-by-year",
            "region-by-year-year",
            "region-by-year-value",
            "region-by-year-region",
            names.regions,
            missing=0,
        )
    if visual_id == "popularity-over-time":
        # The page draws the two averages in two charts, a dot per collection date.
        dots = {
            m["key"]: m["value"]
            for chart in ("tmdb-popularity-time", "tmdb-votes-time")
            for m in marks(chart)
            if ":" in (m["key"] or "")
        }  # the dots, not the lines
        want, got = [], []
        for r in sorted(rows, key=lambda r: str(r[alias["pot-date"]])):
            date = str(r[alias["pot-date"]])[:10]
            for series, fid in (("popularity", "pot-popularity"), ("votes", "pot-votes")):
                want.append((f"{series}:{date}", r[alias[fid]]))
                got.append((f"{series}:{date}", dots.get(f"{series}:{date}")))
        if not same_rows(want, got) or len(dots) != len([w for w in want if w[1] is not None]):
            differ(
                visual_id, scenario, "averages per collection date", want, got + sorted(set(dots.items()) - set(got))
            )
        return f"{len(rows)} collection dates"
    if visual_id.endswith("-sources"):
        sheet = visual_id[: -len("-sources")]
        src = page["sources"]
        want = [
            (
                col(f"{sheet}-imdb-date")[0],
                col(f"{sheet}-tmdb-date")[0],
                col(f"{sheet}-newest-year")[0],
                col(f"{sheet}-population")[0],
            )
        ]
        got = [(src["imdb"], src["tmdb"], src["newest"], src["population"])]
        if sheet == "financial":
            want[0] += (col("financial-set-aside")[0],)
            got[0] += (src["setAside"],)
        if want != got:
            differ(visual_id, scenario, "the sources' dates and newest year", want, got)
        return f"IMDb files {got[0][0]}, TMDB {got[0][1]}"
    if visual_id in (
        "popularity-films",
        "trends-films",
        "financial-films",
        "popularity-imdb-rating",
        "popularity-tmdb-rating",
        "money-coverage",
        "gross-per-budget",
        "best-films-count",
    ):
        want = [(col(f"{visual_id}-value")[0] if rows else None,)]
        # The page names its gross-per-dollar figure "return".
        got = [(kpis.get({"gross-per-budget": "return"}.get(visual_id, visual_id)),)]
        if not same_rows(want, got):
            differ(visual_id, scenario, "the headline figure", want, got)
        return f"{got[0][0]}"
    if visual_id in ("total-budget", "total-revenue", "total-profit"):
        want = [(col(f"{visual_id}-value")[0],)] if rows else [(None,)]
        got = [(kpis.get(visual_id),)]
        if want[0][0] is None and got[0][0] == 0:
            return "no film"
        if not same_rows(want, got):
            differ(visual_id, scenario, "totals", want, got)
        return f"total {got[0][0]:,.0f}"
    if visual_id == "budget-revenue":
        # One point per film, on both sides: a film drawn twice is a difference.
        want = sorted(zip(col("br-film"), col("br-budget"), col("br-revenue")))
        got = sorted((m["label"], m["x"], m["y"]) for m in marks("budget-revenue"))
        if not same_rows(want, got):
            differ(visual_id, scenario, "films and amounts", want, got)
        return f"{len(got)} films"
    if visual_id == "investment-rating":
        got = {m["key"]: m["value"] for m in marks("investment-rating")}
        want, have = [], []
        for band, imdb, tmdb in zip(col("inv-band"), col("inv-imdb"), col("inv-tmdb")):
            order = names.bands[band]
            for suffix, value in (("imdb", imdb), ("tmdb", tmdb)):
                want.append((f"{order}:{suffix}", value))
                have.append((f"{order}:{suffix}", got.get(f"{order}:{suffix}")))
        if not same_rows(want, have) or len(got) != len([w for w in want if w[1] is not None]):
            differ(visual_id, scenario, "average ratings by band", want, have)
        return f"{len(col('inv-band'))} bands"
    raise Unsupported(f"visual {visual_id}: no counterpart on the local page is known to this check")


class Names:
    """Country names to the page's codes, regions to its series keys, bands to orders."""

    def __init__(self, lake):
        rows = lake.query("SELECT DISTINCT country_code, country_name FROM v_film_country")
        self.codes_by_name = {r["country_name"]: r["country_code"] or "NONE" for r in rows}
        self.codes = set(self.codes_by_name.values())
        self.regions = RegionKeys()
        self.bands = {
            r["budget_band"]: r["band_order"]
            for r in lake.query(
                "SELECT DISTINCT budget_band, band_order FROM v_film_country WHERE budget_band IS NOT NULL"
            )
        }

    def __call__(self, name):
        return self.codes_by_name.get(name, name)


class RegionKeys:
    """The page's keys of the regions, which no country code can be."""

    KEYS = {
        "South America": "SOUTH_AMERICA",
        "Co-production with South America": "CO_PRODUCTION",
        "Rest of the world": "REST",
    }
    codes = set(KEYS.values())

    def __call__(self, region):
        return self.KEYS.get(region, region)


def page_figures(page, cases):
    with tempfile.TemporaryDirectory() as tmp:
        spec = Path(tmp) / "scenarios.json"
        spec.write_text(json.dumps([dict(local, name=name) for name, local, _, _ in cases]))
        run = subprocess.run(["node", str(FIGURES), page, str(spec)], capture_output=True, text=True)
    if run.returncode != 0:
        raise Unsupported(f"reading the page's figures failed:\n{run.stderr.strip()[-2000:]}")
    return json.loads(run.stdout)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--lake", required=True)
    ap.add_argument("--page", required=True, help="the lake's dashboard (cinelake dashboard)")
    ap.add_argument("--cinelake", required=True, help="the cinelake binary")
    ap.add_argument("--bodies", default=str(ROOT / "dashboards" / "quicksight"))
    args = ap.parse_args(argv)
    try:
        lake = Lake(args.cinelake, args.lake)
        dash = Dashboard(args.bodies)
        names = Names(lake)
        brazil = next((n for n, c in names.codes_by_name.items() if c == "BR"), None)
        if brazil is None:
            raise Unsupported("the lake has no Brazilian film")
        years = sorted(
            r["release_year"]
            for r in lake.query("SELECT DISTINCT release_year FROM v_film_country WHERE release_year IS NOT NULL")
        )
        # Counted back from the newest release year, as years_back counts.
        last = years[-1] - years[len(years) // 2] + 1
        cases = scenarios(brazil, last)
        figures = page_figures(args.page, cases)
        failures, compared = [], 0
        for name, _, overrides, params in cases:
            parameters = dict(dash.parameters, **params)
            for sheet, kind, visual in dash.visuals():
                vid = visual["VisualId"]
                # The freshness note counts days from now (QuickSight) or from when the page
                # is opened: the dates it counts from are compared, not the sentence.
                skip = {f"{sheet}-note"} if vid.endswith("-sources") else set()
                # The detail visuals show the film a click on a ranking chooses (it sets
                # DetailFilm): the page's first best film, chosen the same way.
                shown = parameters
                if vid in ("film-detail", "film-cast"):
                    detail = figures[name].get("detail")
                    if detail is None:
                        print(f"none  {vid:<20} {name}: no best film to click")
                        continue
                    shown = dict(parameters, DetailFilm=detail["label"])
                alias, sql = visual_sql(dash, sheet, kind, visual, overrides, shown, skip)
                rows = lake.query(sql)
                try:
                    what = compare(vid, name, rows, alias, figures[name], names)
                except Difference as e:
                    failures.append(str(e))
                    continue
                compared += 1
                print(f"same  {vid:<20} {name}: {what}")
    except Unsupported as e:
        print(f"parity: {e}", file=sys.stderr)
        return 2
    if failures:
        print(
            f"{len(failures)} difference{'s' * (len(failures) != 1)} between QuickSight and the local page:",
            file=sys.stderr,
        )
        for f in failures:
            print(f"  {f}", file=sys.stderr)
        return 1
    print(f"QuickSight and the local page agree: {compared} visual figures over {len(cases)} scenarios")
    return 0


if __name__ == "__main__":
    sys.exit(main())
