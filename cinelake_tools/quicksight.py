"""QuickSight as code for cinelake.

dashboards/quicksight/ holds the request bodies of the QuickSight API calls that build the
analysts' dashboard over Athena: data-source.json (CreateDataSource), data-sets/*.json
(CreateDataSet, one per view) and dashboard.json (CreateDashboard with a Definition).
Values that differ per deployment are placeholders: ${AwsAccountId}, ${Region},
${AthenaWorkgroup}, ${AthenaRoleArn} (the role the data source queries Athena with),
${RefinedDatabase}, ${QuickSightPrincipalArn}, ${ResourcePrefix}.

  validate [DIR]      check every body against the QuickSight service model botocore ships,
                      and the references between the bodies (data sets, columns,
                      parameters, fields, filters, controls, layouts, the views' SQL)
  render-cfn [OUT]    write the CloudFormation template (default infra/quicksight.yaml)
  check-cfn           fail if the committed template differs from a fresh render
  deploy-commands     print the equivalent `aws quicksight create-*` calls

Needs python3 and botocore only (the test venv has it through boto3).
"""

import argparse
import difflib
import json
import re
import shlex
import sys
import tempfile
from pathlib import Path

from cinelake_tools.common import ROOT, shown

try:
    import botocore.session
    from botocore.validate import ParamValidator
except ImportError:  # pragma: no cover - reported at run time
    botocore = None

BODIES_DIR = ROOT / "dashboards" / "quicksight"
VIEWS_DIR = ROOT / "sql" / "views"
TEMPLATE = ROOT / "infra" / "quicksight.yaml"

# Placeholders and the values `validate` puts in their place.
SAMPLE_VALUES = {
    "AwsAccountId": "123456789012",
    "Region": "eu-west-1",
    "AthenaWorkgroup": "primary",
    "AthenaRoleArn": "arn:aws:iam::123456789012:role/cinelake-QuickSightAthenaRole-EXAMPLE",
    "RefinedDatabase": "cinelake_refined",
    "QuickSightPrincipalArn": "arn:aws:quicksight:eu-west-1:123456789012:user/default/analyst",
    "ResourcePrefix": "cinelake",
}
PLACEHOLDERS = tuple(SAMPLE_VALUES)
PLACEHOLDER_RE = re.compile(r"\$\{([A-Za-z0-9_:.]+)\}")

# What each placeholder becomes in CloudFormation: a template parameter or a pseudo one.
CFN_NAMES = {
    "AwsAccountId": "AWS::AccountId",
    "Region": "AWS::Region",
    "AthenaWorkgroup": "AthenaWorkgroup",
    "AthenaRoleArn": "AthenaRoleArn",
    "RefinedDatabase": "RefinedDatabase",
    "QuickSightPrincipalArn": "QuickSightPrincipalArn",
    "ResourcePrefix": "ResourcePrefix",
}
CFN_PARAMETERS = {
    "AthenaWorkgroup": {
        "Type": "String",
        "Default": "primary",
        "MinLength": 1,
        "Description": "Athena workgroup QuickSight runs the views' queries in",
    },
    # The parent stack's QuickSightAthenaRole: the data source reaches Athena, Glue and S3
    # with it rather than with QuickSight's account-wide service role, so no console
    # step is needed.
    "AthenaRoleArn": {
        "Type": "String",
        "AllowedPattern": "^arn:aws[a-z-]*:iam::[0-9]{12}:role/.+$",
        "Description": "Role the Athena data source queries with",
    },
    "RefinedDatabase": {
        "Type": "String",
        "Default": "cinelake_refined",
        "MinLength": 1,
        "Description": "Glue database holding the star schema and the v_* views",
    },
    "QuickSightPrincipalArn": {
        "Type": "String",
        "AllowedPattern": "^arn:aws[a-z-]*:quicksight:.+$",
        "Description": "QuickSight user or group ARN that owns the data source, data sets and dashboard",
    },
    "ResourcePrefix": {
        "Type": "String",
        "Default": "cinelake",
        "AllowedPattern": "^[A-Za-z0-9][A-Za-z0-9_-]*$",
        "MaxLength": 100,
        "Description": "Prefix of the QuickSight ids (data source, data sets, dashboard)",
    },
}

# Operation and CloudFormation resource type of each kind of body.
KINDS = {
    "data-source": ("CreateDataSource", "AWS::QuickSight::DataSource"),
    "data-set": ("CreateDataSet", "AWS::QuickSight::DataSet"),
    "dashboard": ("CreateDashboard", "AWS::QuickSight::Dashboard"),
}
# The writable properties of each resource type (CloudFormation resource reference);
# an API field outside these is left out of the template, with a note.
CFN_PROPERTIES = {
    "AWS::QuickSight::DataSource": {
        "AlternateDataSourceParameters",
        "AwsAccountId",
        "Credentials",
        "DataSourceId",
        "DataSourceParameters",
        "FolderArns",
        "Name",
        "Permissions",
        "SslProperties",
        "Tags",
        "Type",
        "VpcConnectionProperties",
    },
    "AWS::QuickSight::DataSet": {
        "AwsAccountId",
        "ColumnGroups",
        "ColumnLevelPermissionRules",
        "DataPrepConfiguration",
        "DataSetId",
        "DataSetRefreshProperties",
        "DataSetUsageConfiguration",
        "DatasetParameters",
        "FieldFolders",
        "FolderArns",
        "ImportMode",
        "IngestionWaitPolicy",
        "LogicalTableMap",
        "Name",
        "PerformanceConfiguration",
        "Permissions",
        "PhysicalTableMap",
        "RowLevelPermissionDataSet",
        "RowLevelPermissionTagConfiguration",
        "SemanticModelConfiguration",
        "Tags",
        "UseAs",
    },
    "AWS::QuickSight::Dashboard": {
        "AwsAccountId",
        "DashboardId",
        "DashboardPublishOptions",
        "Definition",
        "FolderArns",
        "LinkEntities",
        "LinkSharingConfiguration",
        "Name",
        "Parameters",
        "Permissions",
        "SourceEntity",
        "Tags",
        "ThemeArn",
        "ValidationStrategy",
        "VersionDescription",
    },
}
# The largest template CloudFormation takes from S3 (TemplateURL), as `sam deploy`
# uploads this nested template; 51,200 bytes inline is not a limit here.
TEMPLATE_URL_LIMIT = 1_000_000
CLI_COMMANDS = {
    "CreateDataSource": "create-data-source",
    "CreateDataSet": "create-data-set",
    "CreateDashboard": "create-dashboard",
}


class Problem:
    """One validation failure: the body's file, where in it, and what is wrong."""

    def __init__(self, file, path, message):
        self.file, self.path, self.message = file, path, message

    def __str__(self):
        return f"{self.file}: {self.path or '(body)'}: {self.message}"

    def __repr__(self):
        return f"Problem({str(self)!r})"


class Body:
    def __init__(self, rel, kind, data):
        self.rel = rel  # path relative to the bodies' directory, with /
        self.kind = kind
        self.operation, self.cfn_type = KINDS[kind]
        self.data = data  # as written, with placeholders
        self.values = None  # with the sample values in place of the placeholders

    @property
    def stem(self):
        return Path(self.rel).stem


# --- loading ---------------------------------------------------------------------------


def kind_of(rel):
    if rel == "data-source.json":
        return "data-source"
    if rel == "dashboard.json":
        return "dashboard"
    if rel.startswith("data-sets/") and rel.count("/") == 1:
        return "data-set"
    return None


def load_bodies(directory):
    """Every body under DIR, in a fixed order, and the problems met reading them."""
    directory = Path(directory)
    bodies, problems = [], []
    if not directory.is_dir():
        return bodies, [Problem(str(directory), "", "no such directory")]
    files = sorted(p.relative_to(directory).as_posix() for p in directory.rglob("*.json"))
    for rel in files:
        kind = kind_of(rel)
        if kind is None:
            problems.append(
                Problem(rel, "", "not a known body: expected data-source.json, data-sets/<view>.json or dashboard.json")
            )
            continue
        try:
            data = json.loads((directory / rel).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
            problems.append(Problem(rel, "", f"cannot read as JSON: {e}"))
            continue
        if not isinstance(data, dict):
            problems.append(Problem(rel, "", "a body must be a JSON object"))
            continue
        bodies.append(Body(rel, kind, data))
    for rel in ("data-source.json", "dashboard.json"):
        if rel not in files:
            problems.append(Problem(rel, "", "missing"))
    if not any(kind_of(f) == "data-set" for f in files):
        problems.append(Problem("data-sets/", "", "no data set bodies"))
    order = {"data-source": 0, "data-set": 1, "dashboard": 2}
    bodies.sort(key=lambda b: (order[b.kind], b.rel))
    return bodies, problems


def substitute(value, values):
    """VALUE with every known ${Placeholder} replaced; others (QuickSight's own ${Param}) kept."""
    if isinstance(value, dict):
        return {substitute(k, values): substitute(v, values) for k, v in value.items()}
    if isinstance(value, list):
        return [substitute(v, values) for v in value]
    if isinstance(value, str):
        return PLACEHOLDER_RE.sub(lambda m: values.get(m.group(1), m.group(0)), value)
    return value


# --- the service model -----------------------------------------------------------------


_MODEL = None


def service_model():
    global _MODEL
    if _MODEL is None:
        if botocore is None:
            sys.exit("cinelake_tools.quicksight needs botocore (in .venv, which scripts/test makes)")
        _MODEL = botocore.session.get_session().get_service_model("quicksight")
    return _MODEL


def join(path, name):
    return f"{path}.{name}" if path else name


_BOTOCORE_PATH = re.compile(r"(?:parameter in|parameter|structure:?) ([^\s:,]+)")


def model_problems(body):
    """BODY's substituted values against its operation's input shape."""
    shape = service_model().operation_model(body.operation).input_shape
    problems = []
    result = ParamValidator().validate(body.values, shape)
    if result.has_errors():
        for line in result.generate_report().splitlines():
            m = _BOTOCORE_PATH.search(line)
            path = m.group(1) if m else ""
            if path == "input":
                path = ""
            problems.append(Problem(body.rel, path, line))
    # botocore checks names, required members, types and minimums; the service also
    # holds enums, maximums and patterns, which it checks only on the way in.
    out = []
    constraint_problems(body.values, shape, "", out)
    problems += [Problem(body.rel, p, msg) for p, msg in out]
    return problems


_PATTERNS = {}


def _pattern(text):
    if text not in _PATTERNS:
        try:
            _PATTERNS[text] = re.compile(text)
        except re.error:  # a construct Python's re lacks: not checked
            _PATTERNS[text] = None
    return _PATTERNS[text]


def constraint_problems(value, shape, path, out):
    """Enum, maximum and pattern constraints of SHAPE on VALUE, appended to OUT."""
    kind = shape.type_name
    meta = shape.metadata
    if kind == "structure":
        if isinstance(value, dict):
            for name, item in value.items():
                member = shape.members.get(name)
                if member is not None:
                    constraint_problems(item, member, join(path, name), out)
    elif kind == "list":
        if isinstance(value, list):
            if "max" in meta and len(value) > meta["max"]:
                out.append((path, f"{len(value)} items; at most {meta['max']} allowed"))
            for i, item in enumerate(value):
                constraint_problems(item, shape.member, f"{path}[{i}]", out)
    elif kind == "map":
        if isinstance(value, dict):
            for key, item in value.items():
                constraint_problems(key, shape.key, f"{path} (key {key})", out)
                constraint_problems(item, shape.value, join(path, key), out)
    elif kind == "string":
        if isinstance(value, str):
            enum = meta.get("enum")
            if enum and value not in enum:
                out.append((path, f"{value!r} is not a valid value; valid: {', '.join(enum)}"))
            if "max" in meta and len(value) > meta["max"]:
                out.append((path, f"{len(value)} characters; at most {meta['max']} allowed"))
            pattern = meta.get("pattern")
            # The whole value must match: stricter than an unanchored reading, so safe.
            if pattern and _pattern(pattern) and not _pattern(pattern).fullmatch(value):
                out.append((path, f"{value!r} does not match the pattern {pattern}"))
    elif (
        kind in ("integer", "long", "float", "double")
        and isinstance(value, (int, float))
        and not isinstance(value, bool)
        and "max" in meta
        and value > meta["max"]
    ):
        out.append((path, f"{value} is above the maximum {meta['max']}"))


def walk(value, shape, path, visit):
    """Calls VISIT(value, shape, path) on VALUE and everything in it, guided by SHAPE."""
    visit(value, shape, path)
    kind = shape.type_name
    if kind == "structure" and isinstance(value, dict):
        for name, item in value.items():
            member = shape.members.get(name)
            if member is not None:
                walk(item, member, join(path, name), visit)
    elif kind == "list" and isinstance(value, list):
        for i, item in enumerate(value):
            walk(item, shape.member, f"{path}[{i}]", visit)
    elif kind == "map" and isinstance(value, dict):
        for key, item in value.items():
            walk(item, shape.value, join(path, key), visit)


def one_member(union):
    """(member name, value) of a tagged-union dict such as {"BarChartVisual": {...}}."""
    if isinstance(union, dict) and len(union) == 1:
        ((name, value),) = union.items()
        if isinstance(value, dict):
            return name, value
    return None, None


# --- the views' SQL --------------------------------------------------------------------


_TOKEN = re.compile(r"'(?:[^']|'')*'|\"[^\"]*\"|[()]|,|[A-Za-z_][A-Za-z0-9_]*|\S")


def view_columns(sql):
    """The output column names of a view's SELECT (its last top-level SELECT)."""
    text = "\n".join(line.split("--", 1)[0] for line in sql.splitlines())
    depth, selects, froms = 0, [], []
    for m in _TOKEN.finditer(text):
        tok = m.group(0)
        if tok == "(":
            depth += 1
        elif tok == ")":
            depth -= 1
        elif depth == 0 and tok.upper() == "SELECT":
            selects.append(m.end())
        elif depth == 0 and tok.upper() == "FROM":
            froms.append(m.start())
    if not selects:
        raise ValueError("no SELECT")
    start = selects[-1]
    end = next((f for f in froms if f > start), len(text))
    items, depth, current = [], 0, []
    for m in _TOKEN.finditer(text[start:end]):
        tok = m.group(0)
        if tok == "(":
            depth += 1
        elif tok == ")":
            depth -= 1
        if tok == "," and depth == 0:
            items.append(current)
            current = []
        else:
            current.append(tok)
    items.append(current)
    names = []
    for toks in items:
        if toks and toks[0].upper() == "DISTINCT":
            toks = toks[1:]
        if not toks:
            raise ValueError("an empty select item")
        if len(toks) >= 2 and toks[-2].upper() == "AS":
            names.append(toks[-1].strip('"'))
        elif re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", toks[-1]) and (len(toks) == 1 or toks[-2] == "."):
            names.append(toks[-1])
        else:
            raise ValueError(f"select item without a name: {' '.join(toks)}")
    return names


# --- cross-references ------------------------------------------------------------------


def dataset_arn(data_set_id, values):
    return f"arn:aws:quicksight:{values['Region']}:{values['AwsAccountId']}:dataset/{data_set_id}"


def datasource_arn(data_source_id, values):
    return f"arn:aws:quicksight:{values['Region']}:{values['AwsAccountId']}:datasource/{data_source_id}"


def dataset_problems(body, source, views_dir, values):
    """A data set's tables: the data source they name, the view and its columns.

    Returns (problems, {column name: type}) with the columns the data set offers.
    """
    problems = []
    data = body.values
    columns = {}

    def add(path, name, kind):
        if name in columns:
            problems.append(Problem(body.rel, path, f"column {name!r} appears twice"))
        columns[name] = kind

    tables = data.get("PhysicalTableMap")
    if not isinstance(tables, dict):
        return problems, columns
    for table_id, table in tables.items():
        kind, table_body = one_member(table)
        if kind is None:
            continue
        path = f"PhysicalTableMap.{table_id}.{kind}"
        arn = table_body.get("DataSourceArn")
        if source is not None:
            expected = datasource_arn(source.values.get("DataSourceId"), values)
            if arn != expected:
                problems.append(
                    Problem(
                        body.rel,
                        f"{path}.DataSourceArn",
                        f"{arn!r} is not the data source of data-source.json ({expected!r} with the sample values)",
                    )
                )
        inputs = table_body.get("InputColumns", table_body.get("Columns", []))
        for i, c in enumerate(inputs if isinstance(inputs, list) else []):
            if isinstance(c, dict) and isinstance(c.get("Name"), str):
                add(f"{path}.InputColumns[{i}]", c["Name"], c.get("Type"))
        if kind != "RelationalTable":
            continue
        raw = body.data["PhysicalTableMap"][table_id][kind]
        if table_body.get("Catalog") != "AwsDataCatalog":
            problems.append(Problem(body.rel, f"{path}.Catalog", "must be AwsDataCatalog (the Glue Data Catalog)"))
        if raw.get("Schema") != "${RefinedDatabase}":
            problems.append(Problem(body.rel, f"{path}.Schema", "must be the placeholder ${RefinedDatabase}"))
        view = table_body.get("Name")
        if view != body.stem:
            problems.append(Problem(body.rel, f"{path}.Name", f"{view!r}: a data set file is named after its view"))
        if views_dir is None:
            continue
        sql_file = Path(views_dir) / f"{view}.sql"
        if not sql_file.is_file():
            problems.append(Problem(body.rel, f"{path}.Name", f"no view {view!r} in {Path(views_dir).name}/"))
            continue
        try:
            expected = view_columns(sql_file.read_text(encoding="utf-8"))
        except ValueError as e:
            problems.append(Problem(body.rel, f"{path}.Name", f"cannot read {view}.sql: {e}"))
            continue
        have = [c.get("Name") for c in inputs if isinstance(c, dict)]
        for name in expected:
            if name not in have:
                problems.append(
                    Problem(body.rel, f"{path}.InputColumns", f"view {view} has column {name!r}, missing here")
                )
        for name in have:
            if name not in expected:
                problems.append(Problem(body.rel, f"{path}.InputColumns", f"{name!r} is not a column of view {view}"))
    # Columns made or renamed by the logical tables.
    logical = data.get("LogicalTableMap")
    if isinstance(logical, dict):
        for table_id, table in logical.items():
            for i, op in enumerate(table.get("DataTransforms", []) if isinstance(table, dict) else []):
                kind, op_body = one_member(op)
                path = f"LogicalTableMap.{table_id}.DataTransforms[{i}]"
                if kind == "CreateColumnsOperation":
                    for c in op_body.get("Columns", []):
                        if isinstance(c, dict) and "ColumnName" in c:
                            add(path, c["ColumnName"], None)
                elif kind == "RenameColumnOperation":
                    old, new = op_body.get("ColumnName"), op_body.get("NewColumnName")
                    if old in columns:
                        add(path, new, columns.pop(old))
                elif kind == "ProjectOperation":
                    keep = op_body.get("ProjectedColumns", [])
                    columns = {k: v for k, v in columns.items() if k in keep}
    return problems, columns


def dashboard_problems(body, datasets):
    """The dashboard's Definition against itself and the data sets.

    DATASETS: {DataSetArn (with sample values): {column: type}}.
    """
    model = service_model()
    problems = []

    def problem(path, message):
        problems.append(Problem(body.rel, path, message))

    definition = body.values.get("Definition")
    if not isinstance(definition, dict):
        return problems
    base = "Definition"
    def_shape = model.operation_model("CreateDashboard").input_shape.members["Definition"]

    # Data sets.
    declared = {}
    for i, decl in enumerate(definition.get("DataSetIdentifierDeclarations", [])):
        if not isinstance(decl, dict):
            continue
        ident, arn = decl.get("Identifier"), decl.get("DataSetArn")
        path = f"{base}.DataSetIdentifierDeclarations[{i}]"
        if ident in declared:
            problem(path, f"data set identifier {ident!r} declared twice")
        if arn not in datasets:
            problem(f"{path}.DataSetArn", f"{arn!r} names none of the data sets in data-sets/")
        declared[ident] = dict(datasets.get(arn, {}))
    used_arns = {
        d.get("DataSetArn") for d in definition.get("DataSetIdentifierDeclarations", []) if isinstance(d, dict)
    }
    for arn in datasets:
        if arn not in used_arns:
            print(f"note: {arn} is declared by no dashboard", file=sys.stderr)

    # Parameters.
    parameters = {}
    for i, decl in enumerate(definition.get("ParameterDeclarations", [])):
        kind, decl_body = one_member(decl)
        if kind is None:
            continue
        name = decl_body.get("Name")
        if name in parameters:
            problem(f"{base}.ParameterDeclarations[{i}]", f"parameter {name!r} declared twice")
        parameters[name] = kind

    # Calculated fields: columns of their data set for everything else.
    fields = definition.get("CalculatedFields", [])
    for i, field in enumerate(fields):
        if not isinstance(field, dict):
            continue
        ident, name = field.get("DataSetIdentifier"), field.get("Name")
        path = f"{base}.CalculatedFields[{i}]"
        if ident is None:
            problem(path, "a calculated field needs its DataSetIdentifier")
        elif ident in declared:
            if name in declared[ident]:
                problem(f"{path}.Name", f"{name!r} is already a column of {ident}")
            declared[ident][name] = "CALCULATED"
    for i, field in enumerate(fields):
        if not isinstance(field, dict) or field.get("DataSetIdentifier") not in declared:
            continue
        ident = field["DataSetIdentifier"]
        expression = field.get("Expression", "")
        for ref in re.findall(r"(?<!\$)\{([^{}]+)\}", expression):
            if ref not in declared[ident]:
                problem(f"{base}.CalculatedFields[{i}].Expression", f"column {ref!r} is not in data set {ident}")

    # Everything that names a data set, a column or a parameter, wherever it is.
    decl_name = re.compile(r"ParameterDeclarations\[\d+\]\.\w+\.Name$")

    def visit(value, shape, path):
        if shape.name == "ColumnIdentifier" and isinstance(value, dict):
            ident, column = value.get("DataSetIdentifier"), value.get("ColumnName")
            if ident is None:
                problem(path, "a column needs its DataSetIdentifier")
            elif ident in declared and column not in declared[ident]:
                problem(f"{path}.ColumnName", f"column {column!r} is not in data set {ident}")
        elif (
            shape.name == "DataSetIdentifier"
            and isinstance(value, str)
            and value not in declared
            and not re.search(r"DataSetIdentifierDeclarations\[\d+\]\.Identifier$", path)
        ):
            problem(path, f"data set identifier {value!r} is not declared in DataSetIdentifierDeclarations")
        elif (
            shape.name == "ParameterName"
            and isinstance(value, str)
            and value not in parameters
            and not decl_name.search(path)
            and not path.endswith(".DataSetParameterName")
        ):
            problem(path, f"parameter {value!r} is not declared in ParameterDeclarations")
        if shape.type_name == "string" and "Expression" in shape.name and isinstance(value, str):
            for ref in PLACEHOLDER_RE.findall(value):
                if ref not in parameters:
                    problem(path, f"parameter {ref!r} is not declared in ParameterDeclarations")

    walk(definition, def_shape, base, visit)

    # Ids, sheet by sheet.
    ids = {}

    def claim(identifier, path):
        if identifier in ids:
            problem(path, f"id {identifier!r} is used twice (also at {ids[identifier]})")
        else:
            ids[identifier] = path

    sheets = {}
    for s, sheet in enumerate(definition.get("Sheets", [])):
        if not isinstance(sheet, dict):
            continue
        spath = f"{base}.Sheets[{s}]"
        sheet_id = sheet.get("SheetId")
        claim(sheet_id, spath)
        elements = {
            "VISUAL": set(),
            "FILTER_CONTROL": set(),
            "PARAMETER_CONTROL": set(),
            "TEXT_BOX": set(),
            "IMAGE": set(),
        }
        sheets[sheet_id] = elements
        for v, visual in enumerate(sheet.get("Visuals", [])):
            kind, visual_body = one_member(visual)
            if kind is None:
                continue
            vpath = f"{spath}.Visuals[{v}].{kind}"
            visual_id = visual_body.get("VisualId")
            claim(visual_id, vpath)
            elements["VISUAL"].add(visual_id)
            problems.extend(visual_problems(body.rel, visual_body, model.shape_for("Visual").members[kind], vpath))
        for group, element, key in (
            ("FilterControls", "FILTER_CONTROL", "FilterControlId"),
            ("ParameterControls", "PARAMETER_CONTROL", "ParameterControlId"),
        ):
            for c, control in enumerate(sheet.get(group, [])):
                kind, control_body = one_member(control)
                if kind is None:
                    continue
                claim(control_body.get(key), f"{spath}.{group}[{c}].{kind}")
                elements[element].add(control_body.get(key))
        for t, box in enumerate(sheet.get("TextBoxes", [])):
            if isinstance(box, dict):
                claim(box.get("SheetTextBoxId"), f"{spath}.TextBoxes[{t}]")
                elements["TEXT_BOX"].add(box.get("SheetTextBoxId"))
        laid_out = set()
        for n, layout in enumerate(sheet.get("Layouts", [])):
            config = layout.get("Configuration", {}) if isinstance(layout, dict) else {}
            for kind, layout_body in config.items():
                for e, element in enumerate(layout_body.get("Elements", []) if isinstance(layout_body, dict) else []):
                    epath = f"{spath}.Layouts[{n}].Configuration.{kind}.Elements[{e}]"
                    etype, eid = element.get("ElementType"), element.get("ElementId")
                    laid_out.add(eid)
                    if eid not in elements.get(etype, set()):
                        problem(f"{epath}.ElementId", f"no {etype} {eid!r} on sheet {sheet_id}")
        if sheet.get("Layouts"):
            for visual_id in sorted(elements["VISUAL"] - laid_out):
                problem(f"{spath}.Layouts", f"visual {visual_id!r} is not in the layout")

    # Filters: their scope, and the controls that drive them.
    filter_sheets = {}
    for g, group in enumerate(definition.get("FilterGroups", [])):
        if not isinstance(group, dict):
            continue
        gpath = f"{base}.FilterGroups[{g}]"
        claim(group.get("FilterGroupId"), gpath)
        scope = group.get("ScopeConfiguration", {})
        if "AllSheets" in scope:
            in_scope = set(sheets)
        else:
            in_scope = set()
            configs = scope.get("SelectedSheets", {}).get("SheetVisualScopingConfigurations", [])
            for c, config in enumerate(configs):
                cpath = f"{gpath}.ScopeConfiguration.SelectedSheets.SheetVisualScopingConfigurations[{c}]"
                sheet_id = config.get("SheetId")
                if sheet_id not in sheets:
                    problem(f"{cpath}.SheetId", f"no sheet {sheet_id!r}")
                    continue
                in_scope.add(sheet_id)
                for visual_id in config.get("VisualIds", []):
                    if visual_id not in sheets[sheet_id]["VISUAL"]:
                        problem(f"{cpath}.VisualIds", f"no visual {visual_id!r} on sheet {sheet_id}")
        for f, flt in enumerate(group.get("Filters", [])):
            kind, filter_body = one_member(flt)
            if kind is None:
                continue
            filter_id = filter_body.get("FilterId")
            claim(filter_id, f"{gpath}.Filters[{f}].{kind}")
            filter_sheets[filter_id] = in_scope
    for s, sheet in enumerate(definition.get("Sheets", [])):
        if not isinstance(sheet, dict):
            continue
        for c, control in enumerate(sheet.get("FilterControls", [])):
            kind, control_body = one_member(control)
            if kind is None:
                continue
            cpath = f"{base}.Sheets[{s}].FilterControls[{c}].{kind}.SourceFilterId"
            source = control_body.get("SourceFilterId")
            if source not in filter_sheets:
                problem(cpath, f"no filter {source!r}")
            elif sheet.get("SheetId") not in filter_sheets[source]:
                problem(cpath, f"filter {source!r} does not apply to sheet {sheet.get('SheetId')!r}")
    return problems


def visual_problems(rel, visual, shape, path):
    """One visual: one data set, and every field it sorts or formats by is one of its own."""
    problems = []
    defined, referenced, datasets = {}, [], set()

    def visit(value, shape, p):
        if shape.type_name == "structure" and isinstance(value, dict):
            members = shape.members
            if "FieldId" in members and "FieldId" in value:
                if "Column" in members or "Expression" in members:
                    if value["FieldId"] in defined:
                        problems.append(Problem(rel, f"{p}.FieldId", f"field id {value['FieldId']!r} used twice"))
                    defined[value["FieldId"]] = p
                else:
                    referenced.append((f"{p}.FieldId", value["FieldId"]))
            if shape.name == "ColumnIdentifier" and "DataSetIdentifier" in value:
                datasets.add(value["DataSetIdentifier"])

    walk(visual, shape, path, visit)
    for p, field_id in referenced:
        if field_id not in defined:
            problems.append(Problem(rel, p, f"field id {field_id!r} is not a field of this visual"))
    if len(datasets) > 1:
        problems.append(
            Problem(rel, path, "a visual reads one data set; this one names " + ", ".join(sorted(datasets)))
        )
    return problems


def leftover_placeholders(body, allowed):
    """Placeholders left after substitution that are not QuickSight parameters."""
    problems = []

    def scan(value, path):
        if isinstance(value, dict):
            for k, v in value.items():
                scan(v, join(path, k))
        elif isinstance(value, list):
            for i, v in enumerate(value):
                scan(v, f"{path}[{i}]")
        elif isinstance(value, str):
            for name in PLACEHOLDER_RE.findall(value):
                if name not in allowed:
                    problems.append(
                        Problem(body.rel, path, f"unknown placeholder ${{{name}}}; known: {', '.join(PLACEHOLDERS)}")
                    )

    scan(body.values, "")
    return problems


def validate(directory=BODIES_DIR, views_dir=VIEWS_DIR, values=None, out=None):
    """(bodies, problems) for every body in DIRECTORY; prints one line per body to OUT."""
    values = values or SAMPLE_VALUES
    if views_dir is not None and not Path(views_dir).is_dir():
        views_dir = None
    bodies, problems = load_bodies(directory)
    per_body = {}
    for body in bodies:
        body.values = substitute(body.data, values)
        per_body[body.rel] = model_problems(body)
    ids = {}
    for body in bodies:
        key = {"data-source": "DataSourceId", "data-set": "DataSetId", "dashboard": "DashboardId"}[body.kind]
        ident = body.values.get(key)
        if (body.kind, ident) in ids:
            per_body[body.rel].append(Problem(body.rel, key, f"{ident!r} is also the id of {ids[(body.kind, ident)]}"))
        ids[(body.kind, ident)] = body.rel
    source = next((b for b in bodies if b.kind == "data-source"), None)
    datasets, types = {}, {}
    for body in bodies:
        if body.kind != "data-set":
            continue
        found, columns = dataset_problems(body, source, views_dir, values)
        per_body[body.rel] += found
        datasets[dataset_arn(body.values.get("DataSetId"), values)] = columns
        for name, kind in columns.items():
            if kind is None:
                continue
            if name in types and types[name][0] != kind:
                per_body[body.rel].append(
                    Problem(
                        body.rel,
                        "PhysicalTableMap",
                        f"column {name!r} is {kind} here but "
                        f"{types[name][0]} in {types[name][1]}; one name, one type (cross-data-set "
                        "filters match on both)",
                    )
                )
            types.setdefault(name, (kind, body.rel))
    for body in bodies:
        parameters = set()
        if body.kind == "dashboard":
            per_body[body.rel] += dashboard_problems(body, datasets)
            for decl in (body.values.get("Definition") or {}).get("ParameterDeclarations", []):
                _, decl_body = one_member(decl)
                if decl_body:
                    parameters.add(decl_body.get("Name"))
        per_body[body.rel] += leftover_placeholders(body, parameters)
    for body in bodies:
        found = per_body[body.rel]
        if out is not None:
            state = "ok  " if not found else "FAIL"
            detail = "" if not found else f": {len(found)} problem{'s' * (len(found) != 1)}"
            print(f"{state} {body.rel} ({body.operation}){detail}", file=out)
        problems += found
    return bodies, problems


# --- CloudFormation --------------------------------------------------------------------


def to_cfn(value):
    """VALUE with placeholders as Ref (a whole string) or Fn::Sub (inside a string)."""
    if isinstance(value, dict):
        return {k: to_cfn(v) for k, v in value.items()}
    if isinstance(value, list):
        return [to_cfn(v) for v in value]
    if not isinstance(value, str):
        return value
    names = PLACEHOLDER_RE.findall(value)
    if not any(n in CFN_NAMES for n in names):
        return value  # CloudFormation leaves ${...} alone outside Fn::Sub
    whole = PLACEHOLDER_RE.fullmatch(value)
    if whole and whole.group(1) in CFN_NAMES:
        return {"Ref": CFN_NAMES[whole.group(1)]}

    def replace(m):
        name = m.group(1)
        return "${" + CFN_NAMES[name] + "}" if name in CFN_NAMES else "${!" + name + "}"

    text = PLACEHOLDER_RE.sub(replace, value)
    if text.startswith("arn:aws:"):  # the stack's partition, so China and GovCloud work too
        text = "arn:${AWS::Partition}:" + text[len("arn:aws:") :]
    return {"Fn::Sub": text}


def logical_id(body):
    if body.kind == "data-set":
        words = re.split(r"[^A-Za-z0-9]+", body.stem)
        if words and words[0] == "v":
            words = words[1:]
        return "DataSet" + "".join(w[:1].upper() + w[1:] for w in words)
    return {"data-source": "DataSource", "dashboard": "Dashboard"}[body.kind]


def render_template(bodies):
    """The CloudFormation template (a dict) for BODIES, and notes on what was left out."""
    notes = []
    resources = {}
    source_id = None
    dataset_ids = []
    for body in bodies:
        allowed = CFN_PROPERTIES[body.cfn_type]
        properties = {}
        for key, value in body.data.items():
            if key in allowed:
                properties[key] = to_cfn(value)
            else:
                notes.append(f"{body.rel}: {key} is not a property of {body.cfn_type}; left out")
        resource = {"Type": body.cfn_type}
        lid = logical_id(body)
        if body.kind == "data-set" and source_id:
            resource["DependsOn"] = [source_id]
        elif body.kind == "dashboard" and dataset_ids:
            resource["DependsOn"] = list(dataset_ids)
        resource["Properties"] = properties
        if lid in resources:
            notes.append(f"{body.rel}: logical id {lid} is taken; left out")
            continue
        resources[lid] = resource
        if body.kind == "data-source":
            source_id = lid
        elif body.kind == "data-set":
            dataset_ids.append(lid)
    outputs = {}
    for body in bodies:
        lid = logical_id(body)
        if body.kind == "data-source":
            outputs["DataSourceArn"] = {"Description": "The Athena data source", "Value": {"Fn::GetAtt": [lid, "Arn"]}}
        elif body.kind == "dashboard":
            outputs["DashboardArn"] = {"Description": "The dashboard", "Value": {"Fn::GetAtt": [lid, "Arn"]}}
            dashboard_id = to_cfn(body.data.get("DashboardId", ""))
            sub = dashboard_id.get("Fn::Sub") if isinstance(dashboard_id, dict) else None
            if isinstance(dashboard_id, dict) and "Ref" in dashboard_id:
                sub = "${" + dashboard_id["Ref"] + "}"
            if sub is None:
                sub = str(dashboard_id)
            outputs["DashboardUrl"] = {
                "Description": "Where to open the dashboard",
                "Value": {"Fn::Sub": "https://${AWS::Region}.quicksight.aws.amazon.com/sn/dashboards/" + sub},
            }
    # A data set reads the template's own data source: its ARN by Fn::GetAtt, shorter than
    # the ARN spelt out with Fn::Sub, and it orders the data set after the data source.
    source = next((b for b in bodies if b.kind == "data-source"), None)
    if source is not None and source_id:
        arn = to_cfn(
            "arn:aws:quicksight:${Region}:${AwsAccountId}:datasource/" + str(source.data.get("DataSourceId", ""))
        )
        for resource in resources.values():
            if resource["Type"] != "AWS::QuickSight::DataSet":
                continue
            for table in resource["Properties"].get("PhysicalTableMap", {}).values():
                relational = table.get("RelationalTable", {}) if isinstance(table, dict) else {}
                if relational.get("DataSourceArn") == arn:
                    relational["DataSourceArn"] = {"Fn::GetAtt": [source_id, "Arn"]}
                    resource.pop("DependsOn", None)  # the GetAtt orders them already
    # Every data set grants its owner the same actions: written once, as a mapping (a list
    # value, read with Fn::FindInMap), which keeps the template under the inline limit.
    mappings = {}
    for resource in resources.values():
        if resource["Type"] != "AWS::QuickSight::DataSet":
            continue
        for grant in resource["Properties"].get("Permissions", []):
            actions = grant.get("Actions")
            if isinstance(actions, list):
                shared = mappings.setdefault("DataSet", {"Actions": actions})["Actions"]
                if actions == shared:
                    grant["Actions"] = {"Fn::FindInMap": ["Permissions", "DataSet", "Actions"]}
    template = {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": "cinelake: the QuickSight dashboard over the Athena views (data source, "
        "data sets, dashboard). Generated by python -m cinelake_tools.quicksight render-cfn from "
        "dashboards/quicksight/; edit those bodies, not this file.",
        "Parameters": CFN_PARAMETERS,
        **({"Mappings": {"Permissions": mappings}} if mappings else {}),
        "Resources": resources,
        "Outputs": outputs,
    }
    return template, notes


def render_text(directory=BODIES_DIR):
    """The template as text, or exits listing the problems of invalid bodies."""
    bodies, problems = validate(directory)
    if problems:
        report(problems)
        sys.exit(1)
    template, notes = render_template(bodies)
    for note in notes:
        print(f"note: {note}", file=sys.stderr)
    # JSON is YAML: CloudFormation and cfn-lint read it from a .yaml file as it is, and the
    # script needs no YAML library. Keys keep the bodies' order, so a render is stable. One
    # item a line without indentation or spaces keeps diffs readable and the template
    # small.
    text = json.dumps(template, indent=0, ensure_ascii=True, separators=(",", ":")) + "\n"
    if len(text.encode()) > TEMPLATE_URL_LIMIT:
        print(
            f"note: the template is {len(text.encode())} bytes, above the "
            f"{TEMPLATE_URL_LIMIT} CloudFormation takes from S3",
            file=sys.stderr,
        )
    return text


def report(problems):
    print(f"{len(problems)} problem{'s' * (len(problems) != 1)}:", file=sys.stderr)
    for p in problems:
        print(f"  {p}", file=sys.stderr)


# --- commands --------------------------------------------------------------------------


def cmd_validate(args):
    bodies, problems = validate(args.dir, args.views, out=sys.stdout)
    if problems:
        report(problems)
        return 1
    print(
        f"{len(bodies)} bodies valid against the QuickSight model of botocore "
        f"{botocore.__version__}, cross-references checked"
    )
    return 0


def cmd_render_cfn(args):
    text = render_text(args.dir)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    print(f"wrote {shown(out)} ({len(text.encode())} bytes)")
    return 0


def cmd_check_cfn(args):
    text = render_text(args.dir)
    committed = Path(args.template)
    with tempfile.TemporaryDirectory() as tmp:
        fresh = Path(tmp) / "quicksight.yaml"
        fresh.write_text(text, encoding="utf-8")
        fresh_text = fresh.read_text(encoding="utf-8")
    if not committed.is_file():
        print(f"{shown(committed)} is missing: run python -m cinelake_tools.quicksight render-cfn", file=sys.stderr)
        return 1
    current = committed.read_text(encoding="utf-8")
    if current == fresh_text:
        print(f"{shown(committed)} matches the bodies")
        return 0
    diff = list(
        difflib.unified_diff(
            current.splitlines(), fresh_text.splitlines(), shown(committed), "rendered", lineterm="", n=1
        )
    )
    print(
        f"{shown(committed)} differs from the bodies; run: python -m cinelake_tools.quicksight "
        f"render-cfn {shown(committed)}",
        file=sys.stderr,
    )
    for line in diff[:60]:
        print(line, file=sys.stderr)
    if len(diff) > 60:
        print(f"... {len(diff) - 60} more diff lines", file=sys.stderr)
    return 1


def cmd_deploy_commands(args):
    values = {
        "AwsAccountId": args.account_id,
        "Region": args.region,
        "AthenaWorkgroup": args.workgroup,
        "AthenaRoleArn": args.role_arn,
        "RefinedDatabase": args.database,
        "QuickSightPrincipalArn": args.principal_arn,
        "ResourcePrefix": args.prefix,
    }
    # The bodies as they will be sent: the given values must suit the model too.
    bodies, problems = validate(args.dir, values=values)
    if problems:
        report(problems)
        return 1
    out_dir = Path(args.out) if args.out else None
    region = shlex.quote(args.region)
    account = shlex.quote(args.account_id)
    lines = [
        "# cinelake QuickSight dashboard, without CloudFormation. Run after the pipeline",
        "# created the views in the refined database (cinelake views --engine athena).",
    ]
    for body in bodies:
        data = substitute(body.data, values)
        command = f"aws quicksight {CLI_COMMANDS[body.operation]} --region {region}"
        if out_dir is not None:
            target = out_dir / body.rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
            lines.append(f"{command} --cli-input-json {shlex.quote('file://' + str(target))}")
        else:
            compact = json.dumps(data, separators=(",", ":"))
            lines.append(f"{command} --cli-input-json {shlex.quote(compact)}")
        if body.kind == "data-source":
            lines.append("# wait until this prints CREATION_SUCCESSFUL:")
            lines.append(
                f"aws quicksight describe-data-source --region {region} --aws-account-id "
                f"{account} --data-source-id {shlex.quote(data['DataSourceId'])} "
                "--query DataSource.Status --output text"
            )
        elif body.kind == "dashboard":
            lines.append("# CREATION_SUCCESSFUL, or the errors QuickSight found in the definition:")
            lines.append(
                f"aws quicksight describe-dashboard --region {region} --aws-account-id "
                f"{account} --dashboard-id {shlex.quote(data['DashboardId'])} "
                "--query 'Dashboard.Version.[Status,Errors]'"
            )
    print("\n".join(lines))
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m cinelake_tools.quicksight", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("validate", help="check the bodies against the service model and each other")
    p.add_argument("dir", nargs="?", default=str(BODIES_DIR), help="bodies (default %(default)s)")
    p.add_argument(
        "--views", default=str(VIEWS_DIR), help="the views' SQL, to check the data sets' columns (default %(default)s)"
    )
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("render-cfn", help="write the CloudFormation template")
    p.add_argument("out", nargs="?", default=str(TEMPLATE), help="default %(default)s")
    p.add_argument("--dir", default=str(BODIES_DIR), help=argparse.SUPPRESS)
    p.set_defaults(func=cmd_render_cfn)

    p = sub.add_parser("check-cfn", help="fail if the committed template differs from a render")
    p.add_argument("--template", default=str(TEMPLATE), help="default %(default)s")
    p.add_argument("--dir", default=str(BODIES_DIR), help=argparse.SUPPRESS)
    p.set_defaults(func=cmd_check_cfn)

    p = sub.add_parser("deploy-commands", help="print the equivalent aws quicksight calls")
    p.add_argument("--account-id", required=True, help="AWS account id (12 digits)")
    p.add_argument("--region", required=True, help="region of the QuickSight account and the lake")
    p.add_argument("--principal-arn", required=True, help="QuickSight user or group ARN (owner)")
    p.add_argument(
        "--role-arn",
        required=True,
        help="role the data source queries Athena with (the stack's QuickSightAthenaRoleArn)",
    )
    p.add_argument("--workgroup", default="primary", help="Athena workgroup (default %(default)s)")
    p.add_argument("--database", default="cinelake_refined", help="refined Glue database (default %(default)s)")
    p.add_argument("--prefix", default="cinelake", help="id prefix (default %(default)s)")
    p.add_argument("--out", help="write the filled-in bodies here and refer to them as file://")
    p.add_argument("--dir", default=str(BODIES_DIR), help=argparse.SUPPRESS)
    p.set_defaults(func=cmd_deploy_commands)

    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
