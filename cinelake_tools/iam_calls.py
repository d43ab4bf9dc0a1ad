"""IAM equal to the calls: every AWS request a function makes, mapped to the IAM action
and resource it needs, checked against the role the template gives that function, both
ways: every call allowed, and every grant used by some call.

This module is the pure part (no servers): the template with its intrinsic functions
resolved, requests as moto's recorder writes them mapped to calls, the two lists of
what AWS services do with the caller's credentials (which no recorder sees), and an IAM
evaluator for the parts of the policy language the template uses. `iam_check` runs the
binaries against moto and feeds this module; `test_iam_calls.py` tests it offline.
"""

import base64
import functools
import json
import re
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree

ACCOUNT = "123456789012"  # moto's account
REGION = "us-east-1"
PARTITION = "aws"
STACK = "cinelake"  # the stack name in samconfig.toml

NO_VALUE = object()


class TemplateError(Exception):
    pass


# ------------------------------------------------------------------ the template


class Template:
    """`infra/template.yaml` read with cfn-lint's decoder, with `Ref`, `Fn::Sub`,
    `Fn::GetAtt`, `Fn::If`, `Fn::Join` and `Fn::Select` resolved for the values the check
    uses (the bucket, the databases, the workgroup, the parameter, the log groups)."""

    def __init__(self, path, parameters=None, stack=STACK):
        from cfnlint.decode import decode  # cfn-lint's loader knows !Sub, !Ref, ...

        tpl, problems = decode(str(path))
        if problems or tpl is None:
            raise TemplateError(f"{path}: " + "; ".join(str(p) for p in problems or []))
        self.path = Path(path)
        self.t = tpl
        self.stack = stack
        given = dict(parameters or {})
        self.params = {}
        for name, spec in tpl.get("Parameters", {}).items():
            value = given.pop(name, spec.get("Default"))
            self.params[name] = None if value is None else str(value)
        if given:
            raise TemplateError(f"no such template parameters: {sorted(given)}")

    # -- names and attributes of resources

    def resource(self, logical):
        try:
            return self.t["Resources"][logical]
        except KeyError:
            raise TemplateError(f"no resource {logical}") from None

    def physical(self, logical):
        """What `Ref` of a resource gives: its name, for the kinds the check uses."""
        res = self.resource(logical)
        props = res.get("Properties", {})
        kind = res["Type"]
        name_property = {
            "AWS::S3::Bucket": lambda: props.get("BucketName"),
            "AWS::Glue::Database": lambda: props["DatabaseInput"]["Name"],
            "AWS::Athena::WorkGroup": lambda: props["Name"],
            "AWS::Logs::LogGroup": lambda: props.get("LogGroupName"),
            "AWS::Serverless::Function": lambda: props.get("FunctionName"),
            "AWS::Lambda::Function": lambda: props.get("FunctionName"),
        }.get(kind)
        name = self.resolve(name_property()) if name_property else NO_VALUE
        if name is NO_VALUE or name is None:
            if kind == "AWS::S3::Bucket":
                raise TemplateError(f"{logical} has no BucketName: pass the LakeBucketName parameter")
            return f"{self.stack}-{logical}"
        return name

    def get_att(self, logical, attr):
        kind = self.resource(logical)["Type"]
        name = self.physical(logical)
        arns = {
            ("AWS::S3::Bucket", "Arn"): f"arn:{PARTITION}:s3:::{name}",
            ("AWS::Logs::LogGroup", "Arn"): (f"arn:{PARTITION}:logs:{REGION}:{ACCOUNT}:log-group:{name}:*"),
            ("AWS::Serverless::Function", "Arn"): (f"arn:{PARTITION}:lambda:{REGION}:{ACCOUNT}:function:{name}"),
            ("AWS::IAM::Role", "Arn"): f"arn:{PARTITION}:iam::{ACCOUNT}:role/{name}",
        }
        if (kind, attr) not in arns:
            raise TemplateError(f"Fn::GetAtt {logical}.{attr} is not modelled")
        return arns[(kind, attr)]

    # -- intrinsic functions

    def ref(self, name):
        pseudo = {
            "AWS::AccountId": ACCOUNT,
            "AWS::Region": REGION,
            "AWS::Partition": PARTITION,
            "AWS::StackName": self.stack,
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::NoValue": NO_VALUE,
        }
        if name in pseudo:
            return pseudo[name]
        if name in self.params:
            return self.params[name]
        return self.physical(name)

    def condition(self, name):
        return bool(self.resolve(self.t["Conditions"][name]))

    def sub(self, text, variables=None):
        variables = variables or {}

        def one(m):
            var = m.group(1)
            if var.startswith("!"):
                return "${" + var[1:] + "}"
            if var in variables:
                return str(self.resolve(variables[var]))
            if "." in var and var not in self.params:
                logical, attr = var.split(".", 1)
                return self.get_att(logical, attr)
            return str(self.ref(var))

        return re.sub(r"\$\{([^}]+)\}", one, text)

    def resolve(self, value):
        if isinstance(value, dict):
            if len(value) == 1:
                ((key, arg),) = value.items()
                if key == "Ref":
                    return self.ref(arg)
                if key == "Fn::GetAtt":
                    logical, attr = arg if isinstance(arg, list) else arg.split(".", 1)
                    return self.get_att(logical, attr)
                if key == "Fn::Sub":
                    if isinstance(arg, list):
                        return self.sub(arg[0], arg[1])
                    return self.sub(arg)
                if key == "Fn::If":
                    name, yes, no = arg
                    return self.resolve(yes if self.condition(name) else no)
                if key == "Fn::Join":
                    sep, items = arg
                    return sep.join(str(i) for i in self.resolve(items))
                if key == "Fn::Select":
                    index, items = arg
                    return self.resolve(items)[int(self.resolve(index))]
                if key == "Fn::Equals":
                    a, b = (self.resolve(x) for x in arg)
                    return str(a) == str(b)
                if key == "Fn::Not":
                    return not self.resolve(arg[0])
                if key == "Fn::And":
                    return all(self.resolve(x) for x in arg)
                if key == "Fn::Or":
                    return any(self.resolve(x) for x in arg)
                if key == "Condition":
                    return self.condition(arg)
            out = {}
            for k, v in value.items():
                v = self.resolve(v)
                if v is not NO_VALUE:
                    out[str(k)] = v
            return out
        if isinstance(value, list):
            return [v for v in (self.resolve(x) for x in value) if v is not NO_VALUE]
        if isinstance(value, str):
            return str(value)
        return value

    # -- what the check reads

    def role_statements(self, role):
        """Every statement of the role's inline policies, resolved."""
        props = self.resource(role)["Properties"]
        statements = []
        for policy in props.get("Policies", []):
            name = policy["PolicyName"]
            for s in self.resolve(policy["PolicyDocument"]["Statement"]):
                s = dict(s)
                s.setdefault("Sid", f"{name}#{len(statements)}")
                s["_role"] = role
                statements.append(s)
        if props.get("ManagedPolicyArns"):
            raise TemplateError(f"{role}: managed policies are not modelled")
        return statements

    def function_role(self, function):
        role = self.resource(function)["Properties"]["Role"]
        if not (isinstance(role, dict) and "Fn::GetAtt" in role):
            raise TemplateError(f"{function}: Role is not a GetAtt of a role in the template")
        arg = role["Fn::GetAtt"]
        return arg[0] if isinstance(arg, list) else arg.split(".", 1)[0]

    def function_env(self, function):
        props = self.resource(function)["Properties"]
        variables = props.get("Environment", {}).get("Variables", {})
        return {k: str(v) for k, v in self.resolve(variables).items()}

    def function_timeout(self, function):
        return int(self.resolve(self.resource(function)["Properties"].get("Timeout", 3)))

    def function_log_group(self, function):
        props = self.resource(function)["Properties"]
        group = props.get("LoggingConfig", {}).get("LogGroup")
        if group is None:
            return f"/aws/lambda/{self.physical(function)}"
        return self.resolve(group)

    def workgroups(self):
        """Each workgroup of the template: (output location, whether it is enforced)."""
        out = {}
        for logical, res in self.t["Resources"].items():
            if res["Type"] != "AWS::Athena::WorkGroup":
                continue
            config = self.resolve(res["Properties"].get("WorkGroupConfiguration", {}))
            location = config.get("ResultConfiguration", {}).get("OutputLocation")
            out[self.physical(logical)] = (
                location,
                str(config.get("EnforceWorkGroupConfiguration", "false")).lower() == "true",
            )
        return out


def policy_statements(path, name):
    """The statements of a JSON policy file (e.g. infra/policies/uploader.json); its
    `${...}` placeholders are left for `fill_placeholders`."""
    doc = json.loads(Path(path).read_text())
    statements = doc["Statement"]
    for i, s in enumerate(statements):
        s.setdefault("Sid", f"#{i}")
        s["_role"] = name
    return statements


def fill_placeholders(statements, variables):
    """`${Name}` in a policy file's strings replaced by `variables[Name]`."""

    def fill(v):
        if isinstance(v, str):
            return re.sub(r"\$\{([^}]+)\}", lambda m: variables[m.group(1)], v)
        if isinstance(v, list):
            return [fill(x) for x in v]
        if isinstance(v, dict):
            return {k: fill(x) for k, x in v.items()}
        return v

    return [fill(s) for s in statements]


# ------------------------------------------------------------------ requests and calls


@dataclass
class Request:
    """One request as moto's recorder saw it."""

    method: str
    path: str  # percent-decoded, without the query
    query: dict  # name -> first value ('' when given without a value)
    headers: dict  # lower-case names
    body: bytes
    raw_url: str = ""

    @property
    def target(self):
        return self.headers.get("x-amz-target")

    def describe(self):
        if self.target:
            return f"{self.method} {self.target}"
        q = "&".join(k if v == "" else f"{k}={v}" for k, v in self.query.items() if k != "x-id")
        return f"{self.method} {self.path}" + (f"?{q}" if q else "")

    def json(self):
        return json.loads(self.body or b"{}")


def parse_recording(text):
    """Requests from moto's recording (JSON lines), in order, without moto's own API."""
    out = []
    for line in text.splitlines():
        if not line.strip():
            continue
        entry = json.loads(line)
        url = urllib.parse.urlsplit(entry["url"])
        if url.path.startswith("/moto-api"):
            continue
        body = entry.get("body") or ""
        body = base64.b64decode(body) if entry.get("body_encoded") else body.encode()
        query = {}
        for part in url.query.split("&") if url.query else []:
            k, _, v = part.partition("=")
            query.setdefault(urllib.parse.unquote(k), urllib.parse.unquote(v))
        out.append(
            Request(
                method=entry["method"],
                path=urllib.parse.unquote(url.path),
                query=query,
                headers={k.lower(): v for k, v in entry.get("headers", {}).items()},
                body=body,
                raw_url=entry["url"],
            )
        )
    return out


@dataclass
class Call:
    """One IAM authorization a request needs: an action on a resource, in a context."""

    principal: str  # who made it (a function, the uploader, `cinelake run`)
    request: str  # how the call was made, e.g. "GET /bucket/key" or "POST AWSGlue.GetTable"
    action: str
    resource: str
    context: dict = field(default_factory=dict)
    source: str = "recorded"  # or: what Athena does for us, what Lambda does for us, ...

    def describe(self):
        ctx = "".join(f" [{k}={v!r}]" for k, v in sorted(self.context.items()))
        via = "" if self.source == "recorded" else f" ({self.source})"
        return f"{self.request}: {self.action} on {self.resource}{ctx}{via}"


class Unmapped(Exception):
    """A request the mapping does not know: the check fails rather than guess."""


def s3_arn(bucket, key=None):
    return f"arn:{PARTITION}:s3:::{bucket}" + ("" if key is None else f"/{key}")


def glue_arns(database=None, table=None):
    """The resources a Glue call on a table needs: the catalog, the database and the
    table (IAM authorizes each; AWS Glue's documentation, "Specifying AWS Glue resource
    ARNs")."""
    base = f"arn:{PARTITION}:glue:{REGION}:{ACCOUNT}"
    out = [f"{base}:catalog"]
    if database is not None:
        out.append(f"{base}:database/{database}")
    if table is not None:
        out.append(f"{base}:table/{database}/{table}")
    return out


def athena_workgroup_arn(name):
    return f"arn:{PARTITION}:athena:{REGION}:{ACCOUNT}:workgroup/{name}"


def ssm_parameter_arn(name):
    return f"arn:{PARTITION}:ssm:{REGION}:{ACCOUNT}:parameter/{name.lstrip('/')}"


GLUE_TABLE_ACTIONS = {
    # action: (database field, table field)
    "GetTable": ("DatabaseName", "Name"),
    "DeleteTable": ("DatabaseName", "Name"),
    "CreateTable": ("DatabaseName", "TableInput.Name"),
    "UpdateTable": ("DatabaseName", "TableInput.Name"),
    "GetPartition": ("DatabaseName", "TableName"),
    "GetPartitions": ("DatabaseName", "TableName"),
    "BatchGetPartition": ("DatabaseName", "TableName"),
    "CreatePartition": ("DatabaseName", "TableName"),
    "UpdatePartition": ("DatabaseName", "TableName"),
    "DeletePartition": ("DatabaseName", "TableName"),
    "BatchCreatePartition": ("DatabaseName", "TableName"),
    "BatchDeletePartition": ("DatabaseName", "TableName"),
    "BatchUpdatePartition": ("DatabaseName", "TableName"),
}


def _field(body, dotted):
    v = body
    for part in dotted.split("."):
        v = v[part]
    return v


def s3_calls(principal, req):
    """S3 REST (path-style, as the binaries address every S3-compatible endpoint)."""
    parts = req.path.lstrip("/").split("/", 1)
    bucket = parts[0]
    key = parts[1] if len(parts) > 1 and parts[1] != "" else None
    q = req.query
    m = req.method
    d = req.describe()

    def call(action, resource, **context):
        return Call(principal, d, action, resource, context)

    if not bucket:
        raise Unmapped(f"{d}: no bucket")
    if key is None:
        listing = {
            "list-type",
            "prefix",
            "delimiter",
            "marker",
            "max-keys",
            "encoding-type",
            "continuation-token",
            "start-after",
            "fetch-owner",
            "x-id",
        }
        if m == "GET" and not set(q) - listing:
            # ListObjects(V2); the prefix is the condition key s3:prefix.
            ctx = {"s3:prefix": q["prefix"]} if "prefix" in q else {}
            return [call("s3:ListBucket", s3_arn(bucket), **ctx)]
        if m == "GET" and "location" in q:
            return [call("s3:GetBucketLocation", s3_arn(bucket))]
        if m == "GET" and "uploads" in q:
            return [call("s3:ListBucketMultipartUploads", s3_arn(bucket))]
        if m == "HEAD":
            return [call("s3:ListBucket", s3_arn(bucket))]
        if m == "POST" and "delete" in q:
            root = ElementTree.fromstring(req.body)
            keys = [e.text for e in root.iter() if e.tag.split("}")[-1] == "Key"]
            return [call("s3:DeleteObject", s3_arn(bucket, k)) for k in keys]
        raise Unmapped(f"{d}: a bucket-level S3 request the check does not map")
    obj = s3_arn(bucket, key)
    if "versionId" in q:
        raise Unmapped(f"{d}: object versions are not mapped")
    if m in ("GET", "HEAD") and "uploadId" in q:
        return [call("s3:ListMultipartUploadParts", obj)]
    if m in ("GET", "HEAD") and not (set(q) - {"x-id", "partNumber", "response-content-type"}):
        return [call("s3:GetObject", obj)]
    if m == "PUT" and not (set(q) - {"x-id", "partNumber", "uploadId"}):
        out = [call("s3:PutObject", obj)]
        source = req.headers.get("x-amz-copy-source")
        if source:
            src = urllib.parse.unquote(source).lstrip("/").split("?", 1)[0]
            sb, _, sk = src.partition("/")
            out.append(call("s3:GetObject", s3_arn(sb, sk)))
        return out
    if m == "POST" and ("uploads" in q or "uploadId" in q):
        return [call("s3:PutObject", obj)]
    if m == "DELETE" and "uploadId" in q:
        return [call("s3:AbortMultipartUpload", obj)]
    if m == "DELETE" and not (set(q) - {"x-id"}):
        return [call("s3:DeleteObject", obj)]
    raise Unmapped(f"{d}: an object-level S3 request the check does not map")


def json_protocol_calls(principal, req, facts):
    service, _, op = req.target.partition(".")
    body = req.json()
    d = req.describe()

    def calls(action, resources):
        return [Call(principal, d, action, r) for r in resources]

    if service == "AWSGlue":
        action = f"glue:{op}"
        if op in ("GetDatabase", "DeleteDatabase", "UpdateDatabase"):
            return calls(action, glue_arns(body["Name"]))
        if op == "CreateDatabase":
            return calls(action, glue_arns(body["DatabaseInput"]["Name"]))
        if op == "GetTables":
            return calls(action, glue_arns(body["DatabaseName"]) + [glue_arns(body["DatabaseName"], "*")[-1]])
        if op in GLUE_TABLE_ACTIONS:
            db_field, table_field = GLUE_TABLE_ACTIONS[op]
            return calls(action, glue_arns(_field(body, db_field), _field(body, table_field)))
        raise Unmapped(f"{d}: a Glue operation the check does not map")
    if service == "AmazonAthena":
        action = f"athena:{op}"
        if op in ("StartQueryExecution",):
            return calls(action, [athena_workgroup_arn(body.get("WorkGroup") or "primary")])
        if op in ("GetWorkGroup",):
            return calls(action, [athena_workgroup_arn(body["WorkGroup"])])
        if op in ("GetQueryExecution", "GetQueryResults", "StopQueryExecution"):
            qid = body["QueryExecutionId"]
            workgroup = facts.get("query_workgroups", {}).get(qid)
            if workgroup is None:
                raise Unmapped(f"{d}: the workgroup of query {qid} is not known")
            return calls(action, [athena_workgroup_arn(workgroup)])
        raise Unmapped(f"{d}: an Athena operation the check does not map")
    if service == "AmazonSSM":
        if op == "GetParameter":
            return calls("ssm:GetParameter", [ssm_parameter_arn(body["Name"])])
        raise Unmapped(f"{d}: an SSM operation the check does not map")
    raise Unmapped(f"{d}: a service the check does not map")


def request_calls(principal, req, facts=None):
    """The calls one request needs (several for a Glue call or a DeleteObjects)."""
    facts = facts or {}
    if req.target:
        return json_protocol_calls(principal, req, facts)
    return s3_calls(principal, req)


class Objects:
    """The lake's keys as the recorded requests leave them, to tell which GetObject or
    HeadObject asked for a key that did not exist. On S3 such a request is answered 404
    only to a caller allowed s3:ListBucket there, 403 otherwise."""

    def __init__(self, keys=()):
        self.keys = set(keys)

    def missing(self, req):
        """The (bucket, key) a GET or HEAD of an object asks for, if it is absent; then
        applies the request's writes and deletes."""
        if req.target:
            return None
        parts = req.path.lstrip("/").split("/", 1)
        if len(parts) < 2 or not parts[1]:
            if req.method == "POST" and "delete" in req.query:
                root = ElementTree.fromstring(req.body)
                for e in root.iter():
                    if e.tag.split("}")[-1] == "Key":
                        self.keys.discard((parts[0], e.text))
            return None
        name = (parts[0], parts[1])
        q = req.query
        if req.method in ("GET", "HEAD") and "uploadId" not in q:
            return None if name in self.keys else name
        if (req.method == "PUT" and "uploadId" not in q) or (req.method == "POST" and "uploadId" in q):
            self.keys.add(name)
        elif req.method == "DELETE" and "uploadId" not in q:
            self.keys.discard(name)
        return None


def recorded_calls(principal, requests, facts=None, objects=None):
    """Every call of `requests` (one principal's), plus, for each GetObject or
    HeadObject of a missing key, the s3:ListBucket it needs to be told 404 (assumed, as
    docs/aws.md says, to be evaluated with s3:prefix set to the key). Returns the
    calls and the misses as (request, key)."""
    objects = objects if objects is not None else Objects()
    calls, misses = [], []
    for req in requests:
        calls.extend(request_calls(principal, req, facts))
        miss = objects.missing(req)
        if miss:
            bucket, key = miss
            misses.append((req.describe(), key))
            calls.append(
                Call(
                    principal,
                    req.describe(),
                    "s3:ListBucket",
                    s3_arn(bucket),
                    {"s3:prefix": key},
                    "a missing key, answered 404 only with this",
                )
            )
    return calls, misses


# ------------------------------------------------------------------ the catalog as it stands


@dataclass
class GlueTable:
    location: str | None
    partitioned: bool
    partitions: dict = field(default_factory=dict)  # values (tuple) -> location


class Catalog:
    """The Glue tables as the recorded requests and the statements Athena ran leave them:
    each table's location, whether it is partitioned, and each partition's location. What
    Athena reads for a statement that reads a table is the table's (or its partitions')
    location at that moment."""

    def __init__(self):
        self.tables = {}
        self.views = {}  # (db, name) -> the view's SELECT

    @staticmethod
    def _key(db, name):
        # Glue keeps names in lower case.
        return (db.lower(), name.lower())

    def get(self, db, name):
        return self.tables.get(self._key(db, name))

    def put(self, db, name, location, partitioned=False):
        old = self.tables.get(self._key(db, name))
        self.views.pop(self._key(db, name), None)
        self.tables[self._key(db, name)] = GlueTable(location, partitioned, old.partitions if old else {})

    def view(self, db, name):
        return self.views.get(self._key(db, name))

    def put_view(self, db, name, select):
        self.tables.pop(self._key(db, name), None)
        self.views[self._key(db, name)] = select

    def drop(self, db, name):
        self.tables.pop(self._key(db, name), None)
        self.views.pop(self._key(db, name), None)

    def follow(self, req):
        """Applies a recorded Glue request that changes a table or a partition."""
        if not (req.target or "").startswith("AWSGlue."):
            return
        op = req.target.split(".", 1)[1]
        body = req.json()
        if op in ("CreateTable", "UpdateTable"):
            ti = body["TableInput"]
            self.put(
                body["DatabaseName"],
                ti["Name"],
                ti.get("StorageDescriptor", {}).get("Location"),
                bool(ti.get("PartitionKeys")),
            )
        elif op == "DeleteTable":
            self.drop(body["DatabaseName"], body["Name"])
        elif op in ("CreatePartition", "UpdatePartition", "DeletePartition"):
            table = self.get(body["DatabaseName"], body["TableName"])
            if table is None:
                return  # a partition of a table that does not exist: refused by Glue
            if op == "DeletePartition":
                table.partitions.pop(tuple(body["PartitionValues"]), None)
                return
            if op == "UpdatePartition":
                table.partitions.pop(tuple(body["PartitionValueList"]), None)
            pi = body["PartitionInput"]
            table.partitions[tuple(pi["Values"])] = pi.get("StorageDescriptor", {}).get("Location")
        elif op.startswith("Batch") and op.endswith(("Partition", "Table")) and not op.startswith("BatchGet"):
            raise Unmapped(f"{req.describe()}: the catalog the check follows does not apply {op}")


# ------------------------------------------------------------------ what services do for us

# What Athena does with the caller's credentials, which no recorder sees: it writes the
# results to the workgroup's output location, reads and changes the catalog, and reads
# and writes the data of the tables a statement names. From Athena's documentation:
#   https://docs.aws.amazon.com/athena/latest/ug/access.html (running a query needs the
#     S3 locations where the underlying data is stored, the Glue Data Catalog's databases
#     and tables, and the Athena actions)
#   https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AmazonAthenaFullAccess.html
#     (BaseQueryResultsPermissions: s3:GetBucketLocation, s3:GetObject, s3:ListBucket,
#     s3:ListBucketMultipartUploads, s3:ListMultipartUploadParts, s3:AbortMultipartUpload,
#     s3:PutObject on the query results bucket)
#   https://docs.aws.amazon.com/athena/latest/ug/fine-grained-access-to-glue-resources.html
#     (a Glue action Athena takes needs the catalog, the database and the table resources;
#     its examples by statement: CREATE TABLE needs glue:GetDatabase, glue:GetTable and
#     glue:CreateTable; DROP TABLE needs glue:GetDatabase, glue:GetTable and
#     glue:DeleteTable, and the partition actions only for a partitioned table, which this
#     does not model. Its section "Mandatory: Access Policy to the Default Database and
#     Catalog per AWS Region", #full-access-to-default-db-per-region: "For Athena to work
#     with the AWS Glue Data Catalog, the following access policy to the default database
#     and to the AWS Glue Data Catalog per AWS Region for GetDatabase and CreateDatabase
#     must be present", on the catalog and database/default; every example there includes
#     it. So every statement, whatever database it names, needs ATHENA_DEFAULT_DATABASE_ACTIONS)
#   https://docs.aws.amazon.com/athena/latest/ug/cross-account-permissions.html
#     (its bucket policy for querying another account's data bucket: s3:GetBucketLocation,
#     s3:ListBucket, s3:GetObject to read it; its other actions are those of the results
#     above, and a CTAS's writes below)
#   https://docs.aws.amazon.com/athena/latest/ug/partition-projection.html
#     ("when processing queries, Athena makes a GetPartitions call to the AWS Glue Data
#     Catalog before performing partition pruning": glue:GetPartitions of a partitioned
#     table read)
#   https://github.com/aws-solutions-library-samples/cloud-intelligence-dashboards-framework/issues/705
#     (a query over a partitioned table refused "glue:GetPartition on resource
#     arn:aws:glue:...:catalog" to a role granted GetPartitions; fixed by granting
#     GetPartition too), and the managed policy AWSQuicksightAthenaAccess
#     (https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AWSQuicksightAthenaAccess.html),
#     which grants GetPartition, GetPartitions and BatchGetPartition for reading: Athena
#     fetches partitions one by one and in batches as well as listing them
#   https://docs.aws.amazon.com/athena/latest/ug/create-table-as.html and
#   https://docs.aws.amazon.com/athena/latest/ug/ctas-considerations-limitations.html
#     (a CTAS writes its data files under external_location; "A CTAS query checks that the
#     path location (prefix) in the bucket is empty": s3:ListBucket of it; "Athena does not
#     delete any data (even partial data)": no s3:DeleteObject)
ATHENA_RESULTS_BUCKET_ACTIONS = ("s3:GetBucketLocation", "s3:ListBucketMultipartUploads")
ATHENA_RESULTS_OBJECT_ACTIONS = (
    "s3:PutObject",
    "s3:GetObject",
    "s3:AbortMultipartUpload",
    "s3:ListMultipartUploadParts",
)
# For the statement: the database of the query's context is read; a view's SELECT has
# each table it reads looked up; the view is looked up, then created (or, OR REPLACE,
# updated).
ATHENA_CONTEXT_GLUE_ACTIONS = ("glue:GetDatabase",)
# Every statement: the `default` database and the catalog, which Athena's documentation
# says must be granted to any caller (above), though no query here names `default`.
ATHENA_DEFAULT_DATABASE = "default"
ATHENA_DEFAULT_DATABASE_ACTIONS = ("glue:GetDatabase", "glue:CreateDatabase")
ATHENA_READ_TABLE_ACTIONS = ("glue:GetTable",)
ATHENA_CREATE_VIEW_ACTIONS = ("glue:GetTable", "glue:CreateTable")
ATHENA_REPLACE_VIEW_ACTIONS = ("glue:UpdateTable",)
# CREATE EXTERNAL TABLE and CREATE TABLE AS SELECT: the table's database read, the table
# looked up, then created. DROP TABLE: looked up, then deleted (only a table that exists).
ATHENA_CREATE_TABLE_ACTIONS = ("glue:GetTable", "glue:CreateTable")
ATHENA_DROP_TABLE_ACTIONS = ("glue:GetTable",)
ATHENA_DELETE_TABLE_ACTIONS = ("glue:DeleteTable",)
# A table read by a SELECT: its partitions listed and fetched if it has any; its data, at
# its location or each partition's, listed and read.
ATHENA_READ_PARTITIONS_ACTIONS = ("glue:GetPartitions", "glue:GetPartition", "glue:BatchGetPartition")
ATHENA_DATA_BUCKET_ACTIONS = ("s3:GetBucketLocation",)
ATHENA_READ_DATA_OBJECT_ACTIONS = ("s3:GetObject",)
# A CTAS's output: the location checked empty (a listing of its prefix), the files written.
ATHENA_WRITE_DATA_OBJECT_ACTIONS = ("s3:PutObject",)

WHAT_ATHENA_DOES = "what Athena does for us"
WHAT_LAMBDA_DOES = "what Lambda does for us"

# What Lambda does with the function's role: it writes the function's logs to its log
# group (https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs.html).
LAMBDA_LOG_ACTIONS = ("logs:CreateLogStream", "logs:PutLogEvents")


def _strip_sql_comments(sql):
    return re.sub(r"--[^\n]*", "", sql)


# A table's name as the statements write it: `name` or `db.name`, either part quoted.
_NAME = r'((?:"?\w+"?\s*\.\s*)?"?\w+\b"?)'


def _name(text, database):
    """(db, name) of a name as written, the query's database where it gives none."""
    parts = [p.strip().strip('"') for p in text.split(".")]
    return (parts[0], parts[1]) if len(parts) == 2 else (database, parts[0])


def tables_read(select):
    """The tables a SELECT reads (FROM and JOIN), less its WITH names, and less what
    follows FROM in `IS [NOT] DISTINCT FROM` and a function after JOIN (`UNNEST(...)`):
    (db or None, name)."""
    sql = _strip_sql_comments(select)
    sql = re.sub(r"\bDISTINCT\s+FROM\b", "DISTINCT_FROM", sql, flags=re.I)
    ctes = {m.lower() for m in re.findall(r"(?:\bWITH|,)\s*(\w+)\s+AS\s*\(", sql, re.I)}
    names = re.findall(r"\b(?:FROM|JOIN)\s+" + _NAME + r"(?!\s*\()", sql, re.I)
    out = set()
    for n in names:
        parts = [p.strip().strip('"') for p in n.split(".")]
        if len(parts) == 1 and parts[0].lower() in ctes:
            continue
        out.add((parts[0], parts[1]) if len(parts) == 2 else (None, parts[0]))
    return sorted(out, key=lambda t: (t[0] or "", t[1]))


def _s3_location(url, what):
    if not url or not url.startswith("s3://"):
        raise Unmapped(f"{what}: {url!r} is not an s3:// location")
    bucket, _, key = url.removeprefix("s3://").partition("/")
    return bucket, key


_VIEW = re.compile(r"CREATE\s+(OR\s+REPLACE\s+)?VIEW\s+" + _NAME + r"\s+AS\s+(.*)", re.I | re.S)
_EXTERNAL_TABLE = re.compile(
    r"CREATE\s+EXTERNAL\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?" + _NAME + r"\s*\((.*)", re.I | re.S
)
_CTAS = re.compile(
    r"CREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?" + _NAME + r"\s+WITH\s*\(([^)]*)\)\s*AS\s+(.*)",
    re.I | re.S,
)
_DROP_TABLE = re.compile(r"DROP\s+TABLE\s+(IF\s+EXISTS\s+)?" + _NAME + r"\s*$", re.I | re.S)
_SELECT = re.compile(r"(?:SELECT|WITH)\b", re.I)


def what_athena_does(principal, req, workgroups, catalog=None):
    """The calls Athena makes with the caller's credentials for one StartQueryExecution;
    `catalog` (the tables as the requests before it left them) is brought up to date with
    what the statement does to it. Modelled: CREATE [OR REPLACE] VIEW, CREATE EXTERNAL
    TABLE (unpartitioned), CREATE TABLE AS SELECT with an external_location
    (unpartitioned), DROP TABLE (of an unpartitioned table), and SELECT (a view it reads
    expanded to the view's own tables); another statement is refused until it is
    modelled."""
    catalog = catalog if catalog is not None else Catalog()
    body = req.json()
    workgroup = body.get("WorkGroup") or "primary"
    context = body.get("QueryExecutionContext", {})
    database = context.get("Database")
    location, enforced = workgroups.get(workgroup, (None, False))
    client = body.get("ResultConfiguration", {}).get("OutputLocation")
    output = location if (enforced or not client) else client
    if not output:
        raise Unmapped(f"{req.describe()}: no result location for workgroup {workgroup}")
    bucket, _, prefix = output.removeprefix("s3://").partition("/")
    d = f"{req.describe()} in {workgroup}"
    out = []

    def add(actions, resources, **ctx):
        for a in actions:
            for r in resources:
                out.append(Call(principal, d, a, r, dict(ctx), WHAT_ATHENA_DOES))

    def read(select, default_db=None, within=()):
        """A SELECT's tables looked up, their partitions listed, their data read; a view's
        own tables in its place, Athena expanding the view's SELECT (its names in the
        view's database)."""
        for db, table in tables_read(select):
            db = db or default_db or database
            add(ATHENA_READ_TABLE_ACTIONS, glue_arns(db, table))
            view = catalog.view(db, table)
            if view is not None:
                if (db, table) in within:
                    raise Unmapped(f"{d}: view {db}.{table} reads itself")
                read(view, db, within + ((db, table),))
                continue
            known = catalog.get(db, table)
            if known is None:
                raise Unmapped(
                    f"{d}: reads {db}.{table}, which the catalog (as the recorded "
                    "requests and the statements before it left it) does not hold"
                )
            if known.partitioned:
                add(ATHENA_READ_PARTITIONS_ACTIONS, glue_arns(db, table))
                locations = list(known.partitions.values())
            else:
                locations = [known.location]
            for loc in locations:
                data_bucket, key = _s3_location(loc, f"{d}: {db}.{table}")
                add(ATHENA_DATA_BUCKET_ACTIONS, [s3_arn(data_bucket)])
                add(("s3:ListBucket",), [s3_arn(data_bucket)], **{"s3:prefix": key})
                add(ATHENA_READ_DATA_OBJECT_ACTIONS, [s3_arn(data_bucket, f"{key}<data-file>")])

    add(ATHENA_RESULTS_BUCKET_ACTIONS, [s3_arn(bucket)])
    add(("s3:ListBucket",), [s3_arn(bucket)], **{"s3:prefix": prefix})
    add(ATHENA_RESULTS_OBJECT_ACTIONS, [s3_arn(bucket, f"{prefix}<query-execution-id>.txt")])
    sql = _strip_sql_comments(body["QueryString"]).strip()
    if database is None:
        raise Unmapped(f"{d}: no database in the query's context")
    add(ATHENA_CONTEXT_GLUE_ACTIONS, glue_arns(database))
    add(ATHENA_DEFAULT_DATABASE_ACTIONS, glue_arns(ATHENA_DEFAULT_DATABASE))

    if m := _VIEW.match(sql):
        view_db, view_name = _name(m.group(2), database)
        add(ATHENA_CREATE_VIEW_ACTIONS, glue_arns(view_db, view_name))
        if m.group(1):
            add(ATHENA_REPLACE_VIEW_ACTIONS, glue_arns(view_db, view_name))
        for db, table in tables_read(m.group(3)):
            add(ATHENA_READ_TABLE_ACTIONS, glue_arns(db or database, table))
        catalog.put_view(view_db, view_name, m.group(3))
    elif m := _EXTERNAL_TABLE.match(sql):
        db, table = _name(m.group(1), database)
        rest = m.group(2)
        if re.search(r"\bPARTITIONED\s+BY\b", rest, re.I):
            raise Unmapped(f"{d}: a partitioned external table is not modelled")
        where = re.search(r"\bLOCATION\s+'([^']*)'", rest, re.I)
        if not where:
            raise Unmapped(f"{d}: an external table without a LOCATION is not modelled")
        _s3_location(where.group(1), d)
        add(ATHENA_CONTEXT_GLUE_ACTIONS, glue_arns(db))
        add(ATHENA_CREATE_TABLE_ACTIONS, glue_arns(db, table))
        catalog.put(db, table, where.group(1))
    elif m := _CTAS.match(sql):
        db, table = _name(m.group(1), database)
        props, select = m.group(2), m.group(3)
        if re.search(r"\b(partitioned_by|bucketed_by)\b", props, re.I):
            raise Unmapped(f"{d}: a partitioned or bucketed CTAS is not modelled")
        where = re.search(r"\bexternal_location\s*=\s*'([^']*)'", props, re.I)
        if not where:
            raise Unmapped(f"{d}: a CTAS without an external_location is not modelled")
        data_bucket, key = _s3_location(where.group(1), d)
        add(ATHENA_CONTEXT_GLUE_ACTIONS, glue_arns(db))
        add(ATHENA_CREATE_TABLE_ACTIONS, glue_arns(db, table))
        read(select)
        add(ATHENA_DATA_BUCKET_ACTIONS, [s3_arn(data_bucket)])
        add(("s3:ListBucket",), [s3_arn(data_bucket)], **{"s3:prefix": key})
        add(ATHENA_WRITE_DATA_OBJECT_ACTIONS, [s3_arn(data_bucket, f"{key}<data-file>")])
        catalog.put(db, table, where.group(1))
    elif m := _DROP_TABLE.match(sql):
        db, table = _name(m.group(2), database)
        known = catalog.get(db, table)
        if known is not None and known.partitioned:
            raise Unmapped(f"{d}: DROP TABLE of a partitioned table is not modelled")
        if known is None and not m.group(1):
            raise Unmapped(f"{d}: drops {db}.{table}, which the catalog does not hold")
        add(ATHENA_CONTEXT_GLUE_ACTIONS, glue_arns(db))
        add(ATHENA_DROP_TABLE_ACTIONS, glue_arns(db, table))
        if known is not None:
            add(ATHENA_DELETE_TABLE_ACTIONS, glue_arns(db, table))
            catalog.drop(db, table)
    elif _SELECT.match(sql):
        read(sql)
    else:
        raise Unmapped(
            f"{d}: only CREATE [OR REPLACE] VIEW, CREATE EXTERNAL TABLE, CREATE TABLE AS "
            f"SELECT, DROP TABLE and SELECT are modelled in {WHAT_ATHENA_DOES!r}"
        )
    return out


# What QuickSight does with the role its Athena data source names (AthenaParameters'
# RoleArn), which nothing here records: for each data set it runs a query over its view
# in the data source's workgroup, as Athena runs any SELECT (above, with the view's own
# tables read in its place). Its own calls on the workgroup are the workgroup actions of
# the managed policy AWSQuicksightAthenaAccess
# (https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AWSQuicksightAthenaAccess.html):
# the workgroup read, the query started, waited for, its results read (streamed too,
# GetQueryResultsStream, as Athena's JDBC and ODBC drivers do) and a query it no longer
# needs stopped. What it names as the query's database is not seen: taken to be the
# data set's schema, which Athena then reads.
WHAT_QUICKSIGHT_DOES = "what QuickSight does with the data source's role"
QUICKSIGHT_ATHENA_ACTIONS = (
    "athena:GetWorkGroup",
    "athena:StartQueryExecution",
    "athena:GetQueryExecution",
    "athena:GetQueryResults",
    "athena:GetQueryResultsStream",
    "athena:StopQueryExecution",
)


def what_quicksight_does(principal, data_sets, workgroup, workgroups, catalog):
    """The calls QuickSight makes with its data source's role: for each data set
    (database, view), its query of the view in `workgroup`, and what Athena does for it
    (the views' SELECTs in `catalog`, with `Catalog.put_view`)."""
    calls = []
    for database, view in data_sets:
        d = f"QuickSight data set over {database}.{view}"
        calls += [
            Call(principal, d, a, athena_workgroup_arn(workgroup), {}, WHAT_QUICKSIGHT_DOES)
            for a in QUICKSIGHT_ATHENA_ACTIONS
        ]
        req = Request(
            method="POST",
            path="/",
            query={},
            headers={"x-amz-target": "AmazonAthena.StartQueryExecution"},
            body=json.dumps(
                {
                    "QueryString": f'SELECT * FROM "{database}"."{view}"',
                    "WorkGroup": workgroup,
                    "QueryExecutionContext": {"Database": database},
                }
            ).encode(),
        )
        for c in what_athena_does(principal, req, workgroups, catalog):
            c.request = f"{d}: {c.request}"
            calls.append(c)
    return calls


def what_lambda_does(principal, log_group):
    stream = f"arn:{PARTITION}:logs:{REGION}:{ACCOUNT}:log-group:{log_group}:log-stream:<stream>"
    return [Call(principal, "the function's logs", a, stream, {}, WHAT_LAMBDA_DOES) for a in LAMBDA_LOG_ACTIONS]


def all_calls(principal, requests, facts, workgroups, log_group=None, objects=None, catalog=None):
    """The recorded calls, what Athena does for each query started (in order, with the
    catalog as the requests before it left it), and (for a Lambda function) what Lambda
    does; and the missing keys read."""
    objects = objects if objects is not None else Objects()
    catalog = catalog if catalog is not None else Catalog()
    calls, misses = [], []
    for req in requests:
        recorded, missed = recorded_calls(principal, [req], facts, objects)
        calls.extend(recorded)
        misses.extend(missed)
        catalog.follow(req)
        if req.target == "AmazonAthena.StartQueryExecution":
            calls.extend(what_athena_does(principal, req, workgroups, catalog))
    if log_group is not None:
        calls.extend(what_lambda_does(principal, log_group))
    return calls, misses


# ------------------------------------------------------------------ IAM evaluation


@functools.cache
def _glob_regex(pattern, ignore_case):
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(regex, re.I | re.S if ignore_case else re.S)


def _glob(pattern, value, ignore_case=False):
    """IAM's wildcards: * (any run of characters, / included) and ?."""
    return _glob_regex(pattern, ignore_case).fullmatch(value) is not None


def _as_list(v):
    return v if isinstance(v, list) else [v]


CONDITION_OPERATORS = {
    "StringEquals": lambda p, v: p == v,
    "StringLike": lambda p, v: _glob(p, v),
    "ArnEquals": lambda p, v: p == v,
    "ArnLike": lambda p, v: _glob(p, v),
    "Bool": lambda p, v: str(p).lower() == str(v).lower(),
}


def _condition_holds(condition, context):
    for operator, tests in (condition or {}).items():
        negated = operator.startswith(("StringNot", "ArnNot"))
        base = operator.replace("Not", "", 1) if negated else operator
        if_exists = base.endswith("IfExists")
        base = base.removesuffix("IfExists")
        if base not in CONDITION_OPERATORS:
            raise TemplateError(f"condition operator {operator} is not modelled")
        for key, patterns in tests.items():
            if key not in context:
                if if_exists or negated:
                    continue
                return False
            hit = any(CONDITION_OPERATORS[base](str(p), str(context[key])) for p in _as_list(patterns))
            if hit == negated:
                return False
    return True


def statement_applies(statement, action, resource, context):
    if "NotAction" in statement or "NotResource" in statement:
        raise TemplateError(f"{statement.get('Sid')}: NotAction and NotResource are not modelled")
    if not any(_glob(a, action, ignore_case=True) for a in _as_list(statement["Action"])):
        return False
    if not any(_glob(r, resource) for r in _as_list(statement["Resource"])):
        return False
    return _condition_holds(statement.get("Condition"), context)


def allowed(statements, call):
    """Whether an identity policy of these statements allows the call (an explicit deny
    wins)."""
    applies = [s for s in statements if statement_applies(s, call.action, call.resource, call.context)]
    if any(s["Effect"] == "Deny" for s in applies):
        return False
    return any(s["Effect"] == "Allow" for s in applies)


# Actions that take only some kinds of resource, so that a statement listing several
# actions and resources is not read as granting, say, GetDatabase on a table.
S3_BUCKET_ACTIONS = {"s3:listbucket", "s3:getbucketlocation", "s3:listbucketmultipartuploads"}
GLUE_DATABASE_ACTIONS = {
    "glue:getdatabase",
    "glue:getdatabases",
    "glue:createdatabase",
    "glue:updatedatabase",
    "glue:deletedatabase",
}


def applicable(action, resource):
    """Whether `action` can be granted on `resource` at all (for the kinds used here)."""
    a = action.lower()
    if resource == "*" or "*" in a:
        return True
    if a.startswith("s3:") and resource.startswith("arn:") and ":s3:::" in resource:
        is_object = "/" in resource.split(":::", 1)[1]
        return is_object != (a in S3_BUCKET_ACTIONS)
    if a in GLUE_DATABASE_ACTIONS:
        return ":table/" not in resource
    return True


def grants(statements):
    """Each Allow statement split into single grants: one action, one resource and at
    most one value of each condition (for the kinds of resource the action takes), so
    that each can be shown used or unused."""
    out = []
    for s in statements:
        if s["Effect"] != "Allow":
            continue
        conditions = [{}]
        for operator, tests in (s.get("Condition") or {}).items():
            for key, patterns in tests.items():
                conditions = [
                    {**c, operator: {**c.get(operator, {}), key: p}} for c in conditions for p in _as_list(patterns)
                ]
        for a in _as_list(s["Action"]):
            for r in _as_list(s["Resource"]):
                if not applicable(a, r):
                    continue
                for c in conditions:
                    g = {"Sid": s["Sid"], "_role": s["_role"], "Effect": "Allow", "Action": a, "Resource": r}
                    if c:
                        g["Condition"] = c
                    out.append(g)
    return out


def describe_grant(g):
    cond = ""
    for operator, tests in g.get("Condition", {}).items():
        for key, value in tests.items():
            cond += f" if {operator} {key} {value!r}"
    return f"{g['_role']} {g['Sid']}: {g['Action']} on {g['Resource']}{cond}"


@dataclass
class Finding:
    principal: str
    kind: str  # "not allowed" or "unused"
    text: str

    def __str__(self):
        return f"{self.principal}: {self.kind}: {self.text}"


def check(principal, statements, calls, unused=True, policy_name=None):
    """Findings: each call the statements do not allow, and (with `unused`) each grant no
    call uses."""
    findings = []
    seen = set()
    for c in calls:
        if allowed(statements, c):
            continue
        key = (c.request, c.action, c.resource, tuple(sorted(c.context.items())))
        if key in seen:
            continue
        seen.add(key)
        name = policy_name or (statements[0]["_role"] if statements else "an empty policy")
        findings.append(Finding(principal, "not allowed", f"{c.describe()} is not allowed by {name}"))
    if unused:
        unused_grants = [
            g
            for g in grants(statements)
            if not any(statement_applies(g, c.action, c.resource, c.context) for c in calls)
        ]
        # An action no call uses on any resource of its statement is one finding.
        every = {}
        for g in grants(statements):
            every.setdefault((g["_role"], g["Sid"], g["Action"]), []).append(g)
        reported = set()
        for g in unused_grants:
            key = (g["_role"], g["Sid"], g["Action"])
            if key in reported:
                continue
            if all(x in unused_grants for x in every[key]) and len(every[key]) > 1:
                reported.add(key)
                findings.append(
                    Finding(
                        principal,
                        "unused",
                        f"{g['_role']} {g['Sid']}: {g['Action']} is granted, and no call uses it "
                        f"(on any of {len(every[key])} resources and conditions)",
                    )
                )
            else:
                findings.append(Finding(principal, "unused", f"{describe_grant(g)}: granted, and no call uses it"))
    return findings


# ------------------------------------------------------------------ the command


def main(argv=None):
    """`function-env`: a function's environment as the template gives it (intrinsics
    resolved for the stack and parameters given), as JSON: what the state machine test
    starts each binary with, so a variable the template sets reaches the test too."""
    import argparse

    ap = argparse.ArgumentParser(prog="python -m cinelake_tools.iam_calls", description=main.__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="command", required=True)
    env = sub.add_parser("function-env", help="a function's Environment.Variables, resolved")
    env.add_argument("function", help="the function's logical id, e.g. JobsFunction")
    env.add_argument("--template", type=Path, default=Path(__file__).resolve().parents[1] / "infra/template.yaml")
    env.add_argument("--stack", default=STACK)
    env.add_argument("--parameter", action="append", default=[], metavar="NAME=VALUE")
    args = ap.parse_args(argv)
    params = {}
    for p in args.parameter:
        name, sep, value = p.partition("=")
        if not sep:
            ap.error(f"--parameter {p!r}: expected NAME=VALUE")
        params[name] = value
    try:
        template = Template(args.template, params, stack=args.stack)
        print(json.dumps(template.function_env(args.function), sort_keys=True))
    except TemplateError as e:
        raise SystemExit(f"iam_calls: {e}") from None


if __name__ == "__main__":
    main()
