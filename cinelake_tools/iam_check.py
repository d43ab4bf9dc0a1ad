"""IAM equal to the calls, against moto: runs `cinelake upload`, the ingest Lambda, each
jobs-Lambda job (trusted on both engines, refined, views) and `cinelake run` with S3, Glue,
Athena and SSM all on moto, records every request with moto's recorder, and checks the
calls against the template's roles (and infra/policies/uploader.json) both ways; and
QuickSight's data source role against the calls derived from the data sets and the
tables their views read. See docs/aws.md, "IAM equal to the calls".

    .venv/bin/python -m cinelake_tools.iam_check [--moto URL] [--bin DIR] [--save DIR]

moto's recorder is global to the server, so this runs alone (scripts/test runs it after
the cargo tests, while the servers are still up). `--save DIR` writes the recordings, as
the unit tests' fixture (infra/iam/fixture/) holds them.
"""

import argparse
import contextlib
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from cinelake_tools import iam_calls
from cinelake_tools.common import ROOT, cargo_target, free_port, run

ACCESS_KEY = "cinelake-iam-check"
SECRET_KEY = "cinelake-iam-check-secret"
TMDB_KEY = "cinelake-iam-check-tmdb-key"
UPLOADER_POLICY = ROOT / "infra/policies/uploader.json"

# Who makes the calls, and what grants them.
UPLOADER = "cinelake upload"
INGEST = "IngestFunction"
JOBS = "JobsFunction"
RUN = "cinelake run"
# QuickSight's Athena data source: never run here, its calls derived from the data sets
# (dashboards/quicksight/) and the tables their views (sql/views/) read.
QUICKSIGHT = "QuickSight"
QUICKSIGHT_BODIES = ROOT / "dashboards/quicksight"
VIEWS = ROOT / "sql/views"


def log(msg):
    print(msg, flush=True)


def wait_port(port, what, proc=None, seconds=60):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if proc is not None and proc.poll() is not None:
            sys.exit(f"{what} exited with {proc.returncode} before it listened")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    sys.exit(f"{what} did not listen on port {port} within {seconds}s")


@contextlib.contextmanager
def background(args, env, log_path, cwd=ROOT):
    """A process in its own group, stopped (the group, by its id) when the block ends."""
    with open(log_path, "w") as out:
        proc = subprocess.Popen(
            [str(a) for a in args],
            env=env,
            cwd=cwd,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        yield proc
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


class Moto:
    def __init__(self, url):
        self.url = url.rstrip("/")

    def recorder(self, action):
        method = "GET" if action == "download-recording" else "POST"
        req = urllib.request.Request(f"{self.url}/moto-api/recorder/{action}", method=method)
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.read().decode()

    @contextlib.contextmanager
    def recording(self, into):
        """Records the block's requests; `into` (a list) gets the recording's text."""
        self.recorder("stop-recording")
        self.recorder("reset-recording")
        self.recorder("start-recording")
        try:
            yield
        finally:
            self.recorder("stop-recording")
            into.append(self.recorder("download-recording"))
            self.recorder("reset-recording")

    def client(self, service):
        import boto3

        return boto3.client(
            service,
            endpoint_url=self.url,
            region_name=iam_calls.REGION,
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY,
        )


def aws_env(moto_url):
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/tmp"),
        "AWS_ENDPOINT_URL": moto_url,
        "AWS_ACCESS_KEY_ID": ACCESS_KEY,
        "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
        "AWS_REGION": iam_calls.REGION,
        "AWS_EC2_METADATA_DISABLED": "true",
        # moto runs no SQL: the client registers each CTAS's table as Athena would.
        "CINELAKE_ATHENA_STAND_IN_REGISTERS": "1",
    }


class Lambda:
    """A function binary behind cargo lambda's runtime emulator, as the Lambda tests run
    it: `cargo lambda watch --only-lambda-apis` (whose --timeout sets the deadline the
    function sees), the binary with AWS_LAMBDA_RUNTIME_API, and `cargo lambda invoke`.
    Both processes stop with `stack`."""

    CARGO_LAMBDA = ROOT / ".venv-sam/bin/cargo-lambda"

    def __init__(self, stack, binary, env, timeout, logs):
        self.name = Path(binary).name
        self.port = free_port()
        emulator = stack.enter_context(
            background(
                [self.CARGO_LAMBDA, "lambda", "watch", "--only-lambda-apis", "-P", self.port, "--timeout", timeout],
                env,
                logs / f"emulator-{self.port}.log",
            )
        )
        wait_port(self.port, "cargo lambda watch", emulator)
        stack.enter_context(
            background(
                [binary],
                {
                    **env,
                    "AWS_LAMBDA_RUNTIME_API": f"http://127.0.0.1:{self.port}/.rt",
                    "AWS_LAMBDA_FUNCTION_NAME": "_",
                    "AWS_LAMBDA_FUNCTION_VERSION": "1",
                    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "3008",
                },
                logs / f"{self.name}-{self.port}.log",
            )
        )

    def invoke(self, event, ok=True):
        out = run(
            [self.CARGO_LAMBDA, "lambda", "invoke", "-P", self.port, "--data-ascii", event],
            f"invoking {self.name} with {event}",
            env={"PATH": os.environ.get("PATH", ""), "HOME": os.environ.get("HOME", "/tmp")},
            cwd=ROOT,
            check=ok,
        )
        self.last_response = out.stdout
        return out.returncode == 0, out.stdout + out.stderr


def query_workgroups(moto, requests):
    """The workgroup of each query execution the requests name (the resource of
    GetQueryExecution, GetQueryResults and StopQueryExecution)."""
    athena = moto.client("athena")
    out = {}
    for req in requests:
        if req.target in (
            "AmazonAthena.GetQueryExecution",
            "AmazonAthena.GetQueryResults",
            "AmazonAthena.StopQueryExecution",
        ):
            qid = req.json()["QueryExecutionId"]
            if qid not in out:
                q = athena.get_query_execution(QueryExecutionId=qid)["QueryExecution"]
                out[qid] = q.get("WorkGroup") or "primary"
    return out


# The fields of a JSON-protocol body the mapping reads; the fixture keeps only these.
KEPT_FIELDS = (
    "Name",
    "DatabaseName",
    "TableName",
    "TableInput",
    "DatabaseInput",
    "WorkGroup",
    "QueryString",
    "QueryExecutionContext",
    "ResultConfiguration",
    "QueryExecutionId",
    "PartitionInput",
    "PartitionValueList",
    "PartitionValues",
)


def _location_only(descriptor):
    """A storage descriptor as the fixture keeps it: its location (which the catalog the
    check follows reads), nothing else."""
    return {k: descriptor[k] for k in ("Location",) if k in (descriptor or {})}


def trimmed(recording):
    """A recording as the fixture keeps it: no S3 object bodies, JSON bodies with only
    the fields the mapping reads, and only the headers it reads."""
    out = []
    for req in iam_calls.parse_recording(recording):
        headers = {k: v for k, v in req.headers.items() if k in ("x-amz-target", "x-amz-copy-source")}
        body = ""
        if req.target:
            full = req.json()
            kept = {k: full[k] for k in KEPT_FIELDS if k in full}
            if "DatabaseInput" in kept:
                kept["DatabaseInput"] = {"Name": kept["DatabaseInput"]["Name"]}
            if "TableInput" in kept:
                ti = kept["TableInput"]
                kept["TableInput"] = {"Name": ti["Name"]}
                if ti.get("PartitionKeys"):
                    kept["TableInput"]["PartitionKeys"] = [{"Name": k["Name"]} for k in ti["PartitionKeys"]]
                if "StorageDescriptor" in ti:
                    kept["TableInput"]["StorageDescriptor"] = _location_only(ti["StorageDescriptor"])
            if "PartitionInput" in kept:
                pi = kept["PartitionInput"]
                kept["PartitionInput"] = {"Values": pi.get("Values", [])}
                if "StorageDescriptor" in pi:
                    kept["PartitionInput"]["StorageDescriptor"] = _location_only(pi["StorageDescriptor"])
            body = json.dumps(kept, sort_keys=True)
        elif req.method == "POST" and "delete" in req.query:
            body = req.body.decode()
        path_and_query = req.raw_url.split("://", 1)[-1].split("/", 1)[-1]
        out.append(
            json.dumps(
                {
                    "method": req.method,
                    "url": f"http://moto/{path_and_query}",
                    "headers": headers,
                    "body": body,
                    "body_encoded": False,
                }
            )
        )
    return "\n".join(out) + "\n"


def save(directory, recordings, facts, params):
    directory.mkdir(parents=True, exist_ok=True)
    for principal, text in recordings.items():
        (directory / f"{principal.replace(' ', '-')}.jsonl").write_text(trimmed(text))
    (directory / "facts.json").write_text(
        json.dumps({"facts": facts, "parameters": params}, indent=1, sort_keys=True) + "\n"
    )


def load(directory):
    """Recordings, facts and parameters as `save` wrote them."""
    saved = json.loads((directory / "facts.json").read_text())
    recordings = {p: (directory / f"{p.replace(' ', '-')}.jsonl").read_text() for p in (UPLOADER, INGEST, JOBS, RUN)}
    return recordings, saved["facts"], saved["parameters"]


def stack_name(suffix):
    """The name of this check's stack, which names the engine's workgroup
    (`<stack>-engine`): one of its own, as the parameters' names are."""
    return f"cinelake-iam-{suffix}"


def parameters(suffix, tmdb_url):
    """The template parameters of this check's stack: names of its own, so that it
    shares nothing with the tests that ran before it on the same moto."""
    return {
        "LakeBucketName": f"cinelake-iam-{suffix}",
        "DatabasePrefix": f"iamcheck_{suffix}",
        "AthenaWorkGroupName": f"cinelake-iam-{suffix}",
        "TmdbApiKeyParameterName": f"/cinelake-iam-{suffix}/tmdb-api-key",
        "TmdbBaseUrl": tmdb_url,
    }


def create_as_the_template_would(moto, template):
    """What the template creates and the binaries rely on: the bucket, the Glue
    databases, the workgroups (each enforcing its configuration or not, as the template
    says); and the TMDB key the deployer puts in SSM."""
    res = template.t["Resources"]
    bucket = template.physical("LakeBucket")
    moto.client("s3").create_bucket(Bucket=bucket)
    glue = moto.client("glue")
    for r in res.values():
        if r["Type"] == "AWS::Glue::Database":
            glue.create_database(DatabaseInput=template.resolve(r["Properties"]["DatabaseInput"]))
    athena = moto.client("athena")
    for r in res.values():
        if r["Type"] == "AWS::Athena::WorkGroup":
            props = template.resolve(r["Properties"])
            config = props["WorkGroupConfiguration"]
            athena.create_work_group(
                Name=props["Name"],
                Configuration={
                    "ResultConfiguration": {"OutputLocation": config["ResultConfiguration"]["OutputLocation"]},
                    "EnforceWorkGroupConfiguration": str(config.get("EnforceWorkGroupConfiguration", "false")).lower()
                    == "true",
                },
            )
    moto.client("ssm").put_parameter(
        Name=template.params["TmdbApiKeyParameterName"],
        Type="SecureString",
        Value=TMDB_KEY,
    )
    return bucket


def add_a_raw_tmdb_file(moto, bucket, run):
    """Another ingestion round of the newest collection day: a copy of one of its Raw
    files under a new run's name (the same records, so nothing else changes)."""
    s3 = moto.client("s3")
    keys = [
        o["Key"]
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix="Raw/TMDB/JSON/")
        for o in page.get("Contents", [])
        if o["Key"].endswith(".json")
    ]
    if not keys:
        sys.exit("no Raw TMDB file to add a round to: did the ingest Lambda fetch nothing?")
    newest = max(keys)
    folder = newest.rsplit("/", 1)[0]
    body = s3.get_object(Bucket=bucket, Key=newest)["Body"].read()
    key = f"{folder}/{run}-00001.json"
    s3.put_object(Bucket=bucket, Key=key, Body=body)
    return [bucket, key]


# moto's Athena runs no SQL: it answers each statement started with the next result set
# queued through its API (one queue per region, taken at StartQueryExecution), else with
# none. The Athena engine reads rejects and counts, so the check queues them, as
# crates/cli/tests/athena_engine.rs does.


def athena_column(name, kind):
    return {
        "Name": name,
        "Type": kind,
        "CatalogName": "hive",
        "SchemaName": "",
        "TableName": "",
        "Label": name,
        "Precision": 0,
        "Scale": 0,
        "Nullable": "UNKNOWN",
        "CaseSensitive": True,
    }


def athena_nothing():
    """The answer to a statement whose results are not read (DDL, a CTAS); its one column
    tells it from moto's answer when nothing is queued (none), which `drain_athena_queue`
    looks for."""
    return {"rows": [], "column_info": [athena_column("queued", "varchar")]}


def athena_result(columns, rows):
    """A result set: the header row first, as Athena sends it."""
    cell = lambda v: {} if v is None else {"VarCharValue": v}  # noqa: E731
    return {
        "rows": [{"Data": [cell(n) for n, _ in columns]}] + [{"Data": [cell(v) for v in r]} for r in rows],
        "column_info": [athena_column(n, t) for n, t in columns],
    }


def athena_count(n):
    return athena_result([("n", "bigint")], [[str(n)]])


def trusted_answers(lines, rejected):
    """What moto answers each statement of one trusted CSV job on Athena with, in the
    order crates/trusted/src/on_athena.rs sends them: `lines` lines, `rejected` of them
    (raw, reason) refused."""
    return [
        athena_nothing(),  # CREATE EXTERNAL TABLE over the Raw CSV's folder
        athena_result([("raw", "varchar"), ("reason", "varchar")], [list(r) for r in rejected]),
        athena_count(lines),  # its lines
        athena_nothing(),  # CREATE TABLE AS SELECT into the new version
        athena_count(lines - len(rejected)),  # the rows written (moto gives no UpdateCount)
        athena_nothing(),  # DROP the CTAS's table
        athena_nothing(),  # DROP the external table
    ]


def queue_athena_results(moto, results):
    body = json.dumps({"region": iam_calls.REGION, "results": results}).encode()
    req = urllib.request.Request(
        f"{moto.url}/moto-api/static/athena/query-results",
        data=body,
        method="POST",
        headers={"content-type": "application/json"},
    )
    with urllib.request.urlopen(req, timeout=60) as r:
        r.read()


def drain_athena_queue(moto):
    """Takes what an earlier, failed run left queued in the region (the queue outlives a
    run), so that the answers are the ones queued next: starts queries in a workgroup of
    the check's own until one gets moto's empty answer."""
    athena = moto.client("athena")
    workgroup = "cinelake-iam-drain"
    with contextlib.suppress(athena.exceptions.InvalidRequestException):
        athena.create_work_group(Name=workgroup)
    for _ in range(10_000):
        qid = athena.start_query_execution(QueryString="SELECT 1", WorkGroup=workgroup)["QueryExecutionId"]
        while athena.get_query_execution(QueryExecutionId=qid)["QueryExecution"]["Status"]["State"] != "SUCCEEDED":
            pass
        meta = athena.get_query_results(QueryExecutionId=qid)["ResultSet"].get("ResultSetMetadata", {})
        if not meta.get("ColumnInfo"):
            return
    sys.exit("moto's Athena queue did not empty")


def athena_would_have_written(moto, bucket, response):
    """What a CTAS writes under each version a run on Athena switched to, which moto does
    not: a stand-in file, named as Athena names its files, so that the lake holds what it
    would (the later runs prune it as they would Athena's). The versions are the tables of
    the job's response whose location is a folder of the run's id."""
    glue, s3 = moto.client("glue"), moto.client("s3")
    run_id = response["run_id"]
    put = []
    for entry in response["tables"]:
        db, _, name = entry["table"].partition(".")
        location = glue.get_table(DatabaseName=db, Name=name)["Table"]["StorageDescriptor"]["Location"]
        if not location.endswith(f"/{run_id}/"):
            continue  # not written by this run (the TMDB job's partitions, left as they were)
        prefix = location.removeprefix(f"s3://{bucket}/")
        key = f"{prefix}20261101_000000_00001_stand_in"
        s3.put_object(Bucket=bucket, Key=key, Body=b"a stand-in for the Parquet Athena writes")
        put.append([bucket, key])
    if not put:
        sys.exit(f"no version of run {run_id} to stand in for: {response}")
    return put


def record(moto, bins, template_path, work):
    """Runs everything and returns {principal: recording text}, the facts and the
    parameters used."""
    cinelake = bins / "cinelake"
    for b in ("cinelake", "cinelake-ingest-lambda", "cinelake-jobs-lambda"):
        if not (bins / b).is_file():
            sys.exit(f"{bins / b} is not built (scripts/test builds every binary)")
    recordings = {}
    logs = work / "logs"
    logs.mkdir()
    with contextlib.ExitStack() as stack:
        port = free_port()
        sim = stack.enter_context(
            background(
                [cinelake, "tmdb-sim", "--listen", f"127.0.0.1:{port}", "--key", TMDB_KEY],
                {"PATH": os.environ.get("PATH", "")},
                logs / "tmdb-sim.log",
            )
        )
        wait_port(port, "cinelake tmdb-sim", sim)
        suffix = secrets.token_hex(4)
        params = parameters(suffix, f"http://127.0.0.1:{port}")
        cfn_stack = stack_name(suffix)
        template = iam_calls.Template(template_path, params, stack=cfn_stack)
        bucket = create_as_the_template_would(moto, template)
        aws = aws_env(moto.url)
        data = work / "data"
        run(
            [cinelake, "sample", "--out", data, "--movies-rows", "4000", "--series-rows", "1500"],
            "cinelake sample",
            env=aws,
        )

        # The CSVs, as whoever uploads them does.
        log(f"== {UPLOADER}")
        rec = []
        with moto.recording(rec):
            run([cinelake, "upload", "--lake", f"s3://{bucket}", "--source-dir", data], "cinelake upload", env=aws)
        recordings[UPLOADER] = rec[0]

        # Each function with the template's environment (substituted) and timeout.
        def function(logical, binary, extra=None):
            env = {**aws, **template.function_env(logical), **(extra or {})}
            timeout = template.function_timeout(logical)
            return Lambda(stack, bins / binary, env, timeout, logs)

        log(f"== {INGEST}: {{}} twice (the second finds nothing left)")
        rec = []
        ingest = function("IngestFunction", "cinelake-ingest-lambda")
        with moto.recording(rec):
            for _ in range(2):
                ok, out = ingest.invoke("{}")
                if not ok:
                    # A failed run records fewer calls than a real one makes: the check
                    # would then pass on a role too narrow for a run that works.
                    sys.exit(f"{INGEST} {{}} failed:\n{out}")
                log(f"   {out.strip()[:300]}")
        recordings[INGEST] = rec[0]

        # Trusted four times: the second finds the TMDB collection unchanged (and
        # leaves it), and before the third and the fourth another ingestion round of the
        # same day adds a Raw file (put here, between recordings), so the collection is
        # converted again (UpdatePartition) and its first version pruned, as the CSV
        # tables' are. Refined three times, so that the third prunes the first version;
        # views twice, so that the second replaces them; and once with a statement
        # timeout of 0, so that the client gives up and stops the query
        # (StopQueryExecution). Then the Athena engine, in its own workgroup: trusted,
        # and trusted once more giving up at once (StopQueryExecution there).
        log(
            f"== {JOBS}: trusted four times (a Raw file added before the last two); "
            "refined three times; views twice; views giving up at once; "
            "trusted on Athena; trusted on Athena giving up at once"
        )
        rec = []
        jobs = function("JobsFunction", "cinelake-jobs-lambda")
        impatient = function("JobsFunction", "cinelake-jobs-lambda", {"CINELAKE_ATHENA_TIMEOUT_SECS": "0"})

        def invoke(events):
            for event in events:
                ok, out = jobs.invoke(event)
                if not ok:
                    sys.exit(f"{JOBS} {event} failed:\n{out}")
                log(f"   {event}: {out.strip()[:200]}")

        def invoke_json(event):
            invoke([event])
            try:
                return json.loads(jobs.last_response)
            except json.JSONDecodeError:
                sys.exit(f"{JOBS} {event} answered other than JSON:\n{jobs.last_response}")

        with moto.recording(rec):
            invoke(['{"job":"trusted"}'] * 2)
        put_by_the_check = []
        for round_ in (2, 3):
            put_by_the_check.append(add_a_raw_tmdb_file(moto, bucket, f"round{round_}"))
            with moto.recording(rec):
                invoke(['{"job":"trusted"}'])
        with moto.recording(rec):
            invoke(['{"job":"refined"}'] * 3 + ['{"job":"views"}'] * 2)
            ok, out = impatient.invoke('{"job":"views"}', ok=False)
            if ok or "stopped" not in out:
                sys.exit(f"{JOBS} views with a timeout of 0 should have stopped its query:\n{out}")
            log(f"   views, timeout 0: failed as expected ({out.strip()[:160]})")

        # The Athena engine, as an execution with {"Engine": "athena"} runs it: trusted
        # (movies and series on Athena, with two lines of movies refused; the TMDB job in
        # the function, its collection unchanged), every statement answered from moto's
        # queue (the queue put and the stand-ins for what each CTAS would have written,
        # unrecorded, between recordings). Refined runs in the function, as above.
        drain_athena_queue(moto)
        rejected = [
            ("tt0000001|short", "2 fields, expected 15"),
            ("tt0000002|x|x|year|90|Drama|1|1|a|b|c|1|1|d|e", 'anoLancamento: "year" is not a whole number'),
        ]
        queue_athena_results(moto, trusted_answers(4000, rejected) + trusted_answers(1500, []))
        with moto.recording(rec):
            trusted_on_athena = invoke_json('{"job":"trusted","engine":"athena"}')
        csv_tables = {t["table"].rsplit(".", 1)[1]: t for t in trusted_on_athena["tables"]}
        if (
            (csv_tables["movies"]["rows_in"], csv_tables["movies"]["rejected"], csv_tables["series"]["rows_out"])
            != (4000, 2, 1500)
        ) or trusted_on_athena.get("engine") != "athena":
            sys.exit(f"{JOBS} trusted on Athena did not take the queued answers: {trusted_on_athena}")
        put_by_the_check += athena_would_have_written(moto, bucket, trusted_on_athena)
        # Nothing is left queued: the first statement gets moto's empty answer, and is
        # stopped.
        with moto.recording(rec):
            ok, out = impatient.invoke('{"job":"trusted","engine":"athena"}', ok=False)
        if ok or "stopped" not in out:
            sys.exit(f"{JOBS} trusted on Athena with a timeout of 0 should have stopped its statement:\n{out}")
        log(f"   trusted on Athena, timeout 0: failed as expected ({out.strip()[:160]})")
        recordings[JOBS] = "".join(r if r.endswith("\n") else r + "\n" for r in rec if r.strip())

        # `cinelake run` with a person's .env, on the same lake (the upload finds the
        # files already there).
        log(f"== {RUN}")
        env_file = work / "run.env"
        env_file.write_text(
            "".join(
                f"{k}={v}\n"
                for k, v in {
                    "CINELAKE_LAKE": f"s3://{bucket}",
                    "CINELAKE_SOURCE_DIR": str(data),
                    "CINELAKE_CATALOG": "glue",
                    "CINELAKE_DATABASE_PREFIX": template.params["DatabasePrefix"],
                    "TMDB_BASE_URL": template.params["TmdbBaseUrl"],
                    "TMDB_API_KEY": TMDB_KEY,
                    "CINELAKE_ATHENA_WORKGROUP": template.params["AthenaWorkGroupName"],
                    "CINELAKE_ATHENA_OUTPUT": f"s3://{bucket}/athena-results/",
                }.items()
            )
        )
        rec = []
        with moto.recording(rec):
            out = run([cinelake, "run", "--env-file", env_file], "cinelake run", env=aws, cwd=work)
        log("   " + "\n   ".join(out.stdout.strip().splitlines()[-7:]))
        recordings[RUN] = rec[0]

        # The keys this check wrote itself, unrecorded: they exist for the reads after.
        facts = {"query_workgroups": {}, "objects_put_by_the_check": put_by_the_check, "stack": cfn_stack}
        for text in recordings.values():
            facts["query_workgroups"].update(query_workgroups(moto, iam_calls.parse_recording(text)))
    return recordings, facts, params


WHEN_A_REQUEST_FAILS = "when a request fails"


def when_a_request_fails(principal, bucket):
    """Calls the code makes only when a request fails, which a run that succeeds never
    records; each names the code that makes it."""
    if principal != UPLOADER:
        return []
    return [
        iam_calls.Call(
            principal,
            "a multipart upload whose part or completion fails (crates/lake/src/store/s3.rs, abort)",
            "s3:AbortMultipartUpload",
            iam_calls.s3_arn(bucket, "Raw/Local/CSV/<Kind>/<yyyy>/<mm>/<dd>/<file>.csv"),
            {},
            WHEN_A_REQUEST_FAILS,
        )
    ]


def quicksight_data_source(template, bodies=QUICKSIGHT_BODIES):
    """The nested QuickSight stack as the template passes it its parameters: the logical
    id of the role its data source names, the data source's workgroup, and each data
    set's (database, view)."""
    stack = template.resource("QuickSight")["Properties"]["Parameters"]
    role = stack.get("AthenaRoleArn")
    if not (isinstance(role, dict) and "Fn::GetAtt" in role):
        raise iam_calls.TemplateError("the QuickSight stack's AthenaRoleArn is not a GetAtt of a role")
    arg = role["Fn::GetAtt"]
    role = arg[0] if isinstance(arg, list) else arg.split(".", 1)[0]
    values = {k: str(template.resolve(v)) for k, v in stack.items() if k != "AthenaRoleArn"}

    def fill(text):
        return re.sub(r"\$\{(\w+)\}", lambda m: values.get(m.group(1), m.group(0)), text)

    source = json.loads((bodies / "data-source.json").read_text())
    athena = source["DataSourceParameters"]["AthenaParameters"]
    if athena.get("RoleArn") != "${AthenaRoleArn}":
        raise iam_calls.TemplateError("data-source.json does not name the stack's role (${AthenaRoleArn})")
    data_sets = []
    for path in sorted((bodies / "data-sets").glob("*.json")):
        for table in json.loads(path.read_text())["PhysicalTableMap"].values():
            if "RelationalTable" not in table:
                raise iam_calls.TemplateError(f"{path.name}: only RelationalTable is modelled")
            relational = table["RelationalTable"]
            data_sets.append((fill(relational["Schema"]), relational["Name"]))
    return role, fill(athena["WorkGroup"]), data_sets


def evaluate(template_path, recordings, facts, params, uploader_policy=UPLOADER_POLICY):
    """Every principal's findings, and the missing keys each read."""
    template = iam_calls.Template(template_path, params, stack=facts.get("stack", iam_calls.STACK))
    workgroups = template.workgroups()
    bucket = template.physical("LakeBucket")
    uploader = iam_calls.fill_placeholders(
        iam_calls.policy_statements(uploader_policy, "infra/policies/uploader.json"),
        {"LakeBucketName": bucket},
    )
    ingest_role = template.function_role("IngestFunction")
    jobs_role = template.function_role("JobsFunction")
    roles = {
        UPLOADER: uploader,
        INGEST: template.role_statements(ingest_role),
        JOBS: template.role_statements(jobs_role),
    }
    logs = {
        INGEST: template.function_log_group("IngestFunction"),
        JOBS: template.function_log_group("JobsFunction"),
    }
    objects = iam_calls.Objects(tuple(k) for k in facts.get("objects_put_by_the_check", []))
    # One lake and one catalog, which each principal leaves to the next, in the order
    # they ran.
    catalog = iam_calls.Catalog()
    findings, misses, counts = [], {}, {}
    for principal in (UPLOADER, INGEST, JOBS, RUN):
        requests = iam_calls.parse_recording(recordings[principal])
        calls, missed = iam_calls.all_calls(
            principal, requests, facts, workgroups, logs.get(principal), objects, catalog
        )
        calls += when_a_request_fails(principal, bucket)
        counts[principal] = (len(requests), len(calls))
        misses[principal] = missed
        if principal == RUN:
            union = [s for p in (UPLOADER, INGEST, JOBS) for s in roles[p]]
            findings += iam_calls.check(
                principal,
                union,
                calls,
                unused=False,
                policy_name=f"the union of {ingest_role}, {jobs_role} and uploader.json",
            )
        else:
            name = {UPLOADER: "infra/policies/uploader.json", INGEST: ingest_role, JOBS: jobs_role}[principal]
            findings += iam_calls.check(principal, roles[principal], calls, policy_name=name)
    # QuickSight reads the views the views job creates, from sql/views/ as they are now,
    # over the tables the runs above left in the catalog.
    quicksight_role, workgroup, data_sets = quicksight_data_source(template)
    for path in sorted(VIEWS.glob("*.sql")):
        catalog.put_view(template.physical("RefinedDatabase"), path.stem, path.read_text())
    calls = iam_calls.what_quicksight_does(QUICKSIGHT, data_sets, workgroup, workgroups, catalog)
    counts[QUICKSIGHT] = (0, len(calls))
    misses[QUICKSIGHT] = []
    findings += iam_calls.check(
        QUICKSIGHT, template.role_statements(quicksight_role), calls, policy_name=quicksight_role
    )
    return findings, misses, counts


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--moto", default=os.environ.get("CINELAKE_TEST_MOTO"), help="moto server's URL (default $CINELAKE_TEST_MOTO)"
    )
    ap.add_argument("--bin", type=Path, default=cargo_target() / "debug", help="the built binaries")
    ap.add_argument("--template", type=Path, default=ROOT / "infra/template.yaml")
    ap.add_argument("--save", type=Path, help="also write the recordings (trimmed) and facts here")
    ap.add_argument("--load", type=Path, help="check saved recordings instead of running anything")
    args = ap.parse_args()
    if args.load:
        recordings, facts, params = load(args.load)
    else:
        if not args.moto:
            sys.exit("no moto: pass --moto or set CINELAKE_TEST_MOTO (scripts/test starts it)")
        moto = Moto(args.moto)
        with tempfile.TemporaryDirectory(prefix="cinelake-iam-") as work:
            recordings, facts, params = record(moto, args.bin, args.template, Path(work))
    if args.save:
        save(args.save, recordings, facts, params)
    findings, misses, counts = evaluate(args.template, recordings, facts, params)
    for principal, (n_req, n_calls) in counts.items():
        log(f"{principal}: {n_req} requests, {n_calls} calls checked")
    for principal, missed in misses.items():
        for request, _ in missed:
            log(f"note: {principal}: {request} asked for a missing key")
    for f in findings:
        log(str(f))
    if findings:
        sys.exit(f"iam: {len(findings)} findings: the template's grants are not the calls")
    log("iam: every call allowed, every grant used")


if __name__ == "__main__":
    main()
