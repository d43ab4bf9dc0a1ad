"""cfn-lint rules of this project, loaded by scripts/lint-infra with
`--append-rules cinelake_tools.cfn_rules` (the repository's root on PYTHONPATH).

cfn-lint checks a state machine's definition against the ASL schema but not its graph;
it accepts an IAM statement that allows everything; and in a template with the SAM
transform it checks no IAM action names at all (W3037 steps aside); and it knows
nothing of what the functions' code sends Athena, of what must outlive the stack, or of
whether a schedule's failed start reaches anyone. These rules close those gaps; each has
a test in test_linters.py that breaks a copy of the template and expects its id.
"""

import fnmatch

from cfnlint.data import AdditionalSpecs
from cfnlint.helpers import load_resource
from cfnlint.rules import CloudFormationLintRule, RuleMatch

TERMINAL_TYPES = {"Succeed", "Fail"}


def _statements(node, path):
    """Every IAM policy statement (a dict with Effect and Action or NotAction) under node."""
    if isinstance(node, dict):
        if node.get("Effect") in ("Allow", "Deny") and ("Action" in node or "NotAction" in node):
            yield node, path
        for key, value in node.items():
            yield from _statements(value, path + [key])
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _statements(value, path + [i])


def _names(value):
    """A string or a list of strings, as IAM allows; anything else (an intrinsic) is []."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []


class StateMachineGraph(CloudFormationLintRule):
    """Every transition of a state machine names a state and every state is reachable."""

    id = "E9101"
    shortdesc = "State machine transitions name existing states"
    description = (
        "In an AWS::StepFunctions::StateMachine Definition, StartAt, Next, Default and "
        "Catch targets must name states of the same States block, a state that is neither "
        "terminal nor a Choice needs Next or End, and every state is reachable from StartAt"
    )
    source_url = "https://states-language.net/spec.html"
    tags = ["resources", "stepfunctions", "cinelake"]

    def match(self, cfn):
        matches = []
        for name, resource in cfn.get_resources(["AWS::StepFunctions::StateMachine"]).items():
            definition = resource.get("Properties", {}).get("Definition")
            if isinstance(definition, dict):
                base = ["Resources", name, "Properties", "Definition"]
                matches.extend(self._check(definition, base))
        return matches

    def _check(self, machine, path):
        matches = []
        states = machine.get("States")
        if not isinstance(states, dict) or not states:
            return [RuleMatch(path, "Definition has no States")]
        edges = {}

        def target(state_path, value, what):
            if not isinstance(value, str) or value not in states:
                matches.append(RuleMatch(state_path, f"{what} {value!r} is not a state of this machine"))
                return None
            return value

        start = target(path + ["StartAt"], machine.get("StartAt"), "StartAt")
        for state_name, state in states.items():
            if not isinstance(state, dict):
                continue
            state_path = path + ["States", state_name]
            out = []
            kind = state.get("Type")
            if "Next" in state:
                out.append(target(state_path + ["Next"], state["Next"], "Next"))
            elif kind not in TERMINAL_TYPES and kind != "Choice" and state.get("End") is not True:
                matches.append(RuleMatch(state_path, f"state {state_name} has neither Next nor End"))
            if kind == "Choice":
                for i, choice in enumerate(state.get("Choices", [])):
                    if isinstance(choice, dict):
                        out.append(target(state_path + ["Choices", i, "Next"], choice.get("Next"), "Next"))
                if "Default" in state:
                    out.append(target(state_path + ["Default"], state["Default"], "Default"))
            for i, catcher in enumerate(state.get("Catch", [])):
                if isinstance(catcher, dict):
                    out.append(target(state_path + ["Catch", i, "Next"], catcher.get("Next"), "Catch Next"))
            edges[state_name] = [o for o in out if o]
        if start:
            seen, todo = set(), [start]
            while todo:
                s = todo.pop()
                if s not in seen:
                    seen.add(s)
                    todo.extend(edges.get(s, []))
            for state_name in states:
                if state_name not in seen:
                    matches.append(
                        RuleMatch(
                            path + ["States", state_name],
                            f"state {state_name} cannot be reached from {start}",
                        )
                    )
        return matches


class NoAllowAllStatement(CloudFormationLintRule):
    """No policy statement allows every action on every resource."""

    id = "E9102"
    shortdesc = "No IAM statement allows * on *"
    description = (
        "A policy statement with Effect Allow must not grant Action '*' (or NotAction) "
        "on Resource '*'; scope it to the actions and resources it needs"
    )
    source_url = "https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html#grant-least-privilege"
    tags = ["resources", "iam", "cinelake"]

    def match(self, cfn):
        matches = []
        for statement, path in _statements(cfn.template.get("Resources", {}), ["Resources"]):
            if statement["Effect"] != "Allow":
                continue
            everything = "NotAction" in statement or "*" in _names(statement.get("Action"))
            anywhere = "NotResource" in statement or "*" in _names(statement.get("Resource"))
            if everything and anywhere:
                matches.append(RuleMatch(path, "statement allows every action on every resource"))
        return matches


class KnownIamActions(CloudFormationLintRule):
    """Every action a policy statement names exists (a typo would only fail at run time)."""

    id = "E9103"
    shortdesc = "IAM actions exist"
    description = (
        "Each service:action in a policy statement's Action or NotAction is an action of "
        "that service (wildcards must match at least one), per cfn-lint's IAM data"
    )
    source_url = "https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html"
    tags = ["resources", "iam", "cinelake"]

    def __init__(self):
        super().__init__()
        self._services = load_resource(AdditionalSpecs, "Policies.json")

    def match(self, cfn):
        matches = []
        for statement, path in _statements(cfn.template.get("Resources", {}), ["Resources"]):
            for key in ("Action", "NotAction"):
                for action in _names(statement.get(key)):
                    problem = self._problem(action)
                    if problem:
                        matches.append(RuleMatch(path + [key], problem))
        return matches

    def _problem(self, action):
        if action == "*":
            return None
        service, sep, name = action.lower().partition(":")
        if not sep:
            return f"{action!r} is not of the form service:action"
        known = self._services.get(service)
        if known is None:
            return f"{action!r}: no such service {service!r}"
        if not fnmatch.filter(known.get("Actions", {}).keys(), name):
            return f"{action!r}: {service} has no such action"
        return None


def _ref_name(value):
    """The logical id of a Ref (or a GetAtt's resource), else None."""
    if isinstance(value, dict):
        if "Ref" in value:
            return value["Ref"]
        if "Fn::GetAtt" in value:
            att = value["Fn::GetAtt"]
            return att[0] if isinstance(att, list) else str(att).split(".")[0]
    return None


class FailedRunAlerts(CloudFormationLintRule):
    """A failed, timed-out or aborted execution of each state machine reaches a person."""

    id = "E9104"
    shortdesc = "Every state machine's failures are alerted"
    description = (
        "Each AWS::StepFunctions::StateMachine needs an enabled AWS::Events::Rule whose "
        "pattern matches aws.states 'Step Functions Execution Status Change' events with "
        "status FAILED, TIMED_OUT and ABORTED for that very state machine (a Ref to it), and "
        "whose target is an SNS topic of the template"
    )
    source_url = "https://docs.aws.amazon.com/step-functions/latest/dg/cw-events.html"
    tags = ["resources", "stepfunctions", "events", "cinelake"]

    WANTED = {"FAILED", "TIMED_OUT", "ABORTED"}

    def match(self, cfn):
        matches = []
        topics = set(cfn.get_resources(["AWS::SNS::Topic"]))
        rules = cfn.get_resources(["AWS::Events::Rule"])
        for name in cfn.get_resources(["AWS::StepFunctions::StateMachine"]):
            if not any(self._alerts(rule, name, topics) for rule in rules.values()):
                matches.append(
                    RuleMatch(
                        ["Resources", name],
                        f"no enabled AWS::Events::Rule sends {name}'s FAILED, TIMED_OUT and "
                        "ABORTED executions to an SNS topic",
                    )
                )
        return matches

    def _alerts(self, rule, machine, topics):
        props = rule.get("Properties", {})
        if props.get("State", "ENABLED") != "ENABLED":
            return False
        pattern = props.get("EventPattern", {})
        if not isinstance(pattern, dict):
            return False
        detail = pattern.get("detail", {})
        if "aws.states" not in _names(pattern.get("source")):
            return False
        if "Step Functions Execution Status Change" not in _names(pattern.get("detail-type")):
            return False
        if not set(_names(detail.get("status"))) >= self.WANTED:
            return False
        arns = detail.get("stateMachineArn", [])
        if not isinstance(arns, list) or not any(_ref_name(a) == machine for a in arns):
            return False
        return any(_ref_name(t.get("Arn")) in topics for t in props.get("Targets", []))


class EngineWorkgroupNotEnforced(CloudFormationLintRule):
    """The Athena engine's CREATE TABLE AS SELECT can run in the workgroup it is sent to."""

    id = "E9105"
    shortdesc = "The Athena engine's workgroup does not enforce its configuration"
    description = (
        "A function whose environment names an Athena workgroup runs the Athena engine "
        "(trusted with engine athena) in CINELAKE_ATHENA_ENGINE_WORKGROUP, "
        "else in CINELAKE_ATHENA_WORKGROUP, as crates/athena/src/settings.rs reads them. "
        "Its statements are CREATE TABLE ... WITH (external_location = ...) AS SELECT, "
        "which Athena fails in a workgroup that enforces its configuration: an "
        "AWS::Athena::WorkGroup of the template named there must set "
        "EnforceWorkGroupConfiguration to false (explicitly)"
    )
    source_url = "https://docs.aws.amazon.com/athena/latest/ug/ctas-considerations-limitations.html"
    tags = ["resources", "athena", "lambda", "cinelake"]

    ENGINE = "CINELAKE_ATHENA_ENGINE_WORKGROUP"
    ORDINARY = "CINELAKE_ATHENA_WORKGROUP"

    def match(self, cfn):
        matches = []
        workgroups = cfn.get_resources(["AWS::Athena::WorkGroup"])
        functions = cfn.get_resources(["AWS::Lambda::Function", "AWS::Serverless::Function"])
        for name, function in functions.items():
            env = function.get("Properties", {}).get("Environment", {})
            variables = env.get("Variables", {}) if isinstance(env, dict) else {}
            if not isinstance(variables, dict):
                continue
            variable = next((v for v in (self.ENGINE, self.ORDINARY) if v in variables), None)
            if variable is None:
                continue
            workgroup = self._workgroup(variables[variable], workgroups)
            if workgroup is None:
                continue  # a workgroup this template does not make: not its to check
            config = workgroups[workgroup].get("Properties", {}).get("WorkGroupConfiguration", {})
            enforced = config.get("EnforceWorkGroupConfiguration") if isinstance(config, dict) else None
            if enforced is False or (isinstance(enforced, str) and enforced.lower() == "false"):
                continue
            matches.append(
                RuleMatch(
                    ["Resources", name, "Properties", "Environment", "Variables", variable],
                    f"{name} runs the Athena engine's CREATE TABLE AS SELECT (with an "
                    f"external_location) in {workgroup} ({variable}), whose "
                    f"EnforceWorkGroupConfiguration is {enforced!r}, not false: Athena fails "
                    "such a statement in a workgroup that enforces its configuration",
                )
            )
        return matches

    @staticmethod
    def _workgroup(value, workgroups):
        """The logical id of the template's workgroup a variable's value names: a Ref to
        it, or its literal Name."""
        ref = _ref_name(value)
        if ref in workgroups:
            return ref
        if isinstance(value, str):
            for logical, wg in workgroups.items():
                if wg.get("Properties", {}).get("Name") == value:
                    return logical
        return None


class GlueDatabasesRetained(CloudFormationLintRule):
    """A Glue database outlives a change of its name and the stack's deletion."""

    id = "E9106"
    shortdesc = "Glue databases are retained"
    description = (
        "Each AWS::Glue::Database sets DeletionPolicy and UpdateReplacePolicy to Retain: "
        "a new name (DatabasePrefix) replaces the database, and CloudFormation would "
        "delete the old one with every table and view the jobs registered in it"
    )
    source_url = "https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-attribute-updatereplacepolicy.html"
    tags = ["resources", "glue", "cinelake"]

    def match(self, cfn):
        matches = []
        for name, resource in cfn.get_resources(["AWS::Glue::Database"]).items():
            for policy in ("DeletionPolicy", "UpdateReplacePolicy"):
                if resource.get(policy) != "Retain":
                    matches.append(
                        RuleMatch(
                            ["Resources", name],
                            f"{name} has {policy} {resource.get(policy)!r}, not Retain: "
                            "CloudFormation would delete the database and its tables",
                        )
                    )
        return matches


class ScheduleDeadLetters(CloudFormationLintRule):
    """A start the schedule cannot deliver is kept and reaches a person."""

    id = "E9107"
    shortdesc = "Every schedule keeps and alerts the starts it could not deliver"
    description = (
        "Each AWS::Scheduler::Schedule's Target has a DeadLetterConfig whose Arn is a "
        "GetAtt of an AWS::SQS::Queue of the template; the target's role (RoleArn, a GetAtt "
        "of a role of the template) allows sqs:SendMessage on that queue; and an "
        "AWS::CloudWatch::Alarm on the queue (AWS/SQS, dimension QueueName) has an "
        "AlarmActions entry that is an SNS topic of the template"
    )
    source_url = "https://docs.aws.amazon.com/scheduler/latest/UserGuide/configuring-schedule-dlq.html"
    tags = ["resources", "scheduler", "sqs", "cinelake"]

    def match(self, cfn):
        matches = []
        queues = set(cfn.get_resources(["AWS::SQS::Queue"]))
        topics = set(cfn.get_resources(["AWS::SNS::Topic"]))
        roles = cfn.get_resources(["AWS::IAM::Role"])
        alarms = cfn.get_resources(["AWS::CloudWatch::Alarm"])
        for name, schedule in cfn.get_resources(["AWS::Scheduler::Schedule"]).items():
            path = ["Resources", name, "Properties", "Target"]
            target = schedule.get("Properties", {}).get("Target", {})
            if not isinstance(target, dict):
                continue
            dead = target.get("DeadLetterConfig", {})
            queue = _ref_name(dead.get("Arn")) if isinstance(dead, dict) else None
            if queue not in queues:
                matches.append(
                    RuleMatch(
                        path,
                        f"{name} has no DeadLetterConfig naming an SQS queue of "
                        "the template: a start it cannot deliver is lost",
                    )
                )
                continue
            role = _ref_name(target.get("RoleArn"))
            if role not in roles or not self._may_send(roles[role], queue):
                matches.append(
                    RuleMatch(path + ["RoleArn"], f"{name}'s role {role} is not allowed sqs:SendMessage on {queue}")
                )
            if not any(self._alerts(alarm, queue, topics) for alarm in alarms.values()):
                matches.append(
                    RuleMatch(
                        path + ["DeadLetterConfig"],
                        f"no AWS::CloudWatch::Alarm on {queue} tells an SNS topic of "
                        f"the template when {name}'s dead letters arrive",
                    )
                )
        return matches

    @staticmethod
    def _may_send(role, queue):
        for policy in role.get("Properties", {}).get("Policies", []):
            document = policy.get("PolicyDocument", {}) if isinstance(policy, dict) else {}
            for statement, _ in _statements(document, []):
                if statement.get("Effect") != "Allow":
                    continue
                actions = {a.lower() for a in _names(statement.get("Action"))}
                if not actions & {"sqs:sendmessage", "sqs:*"}:
                    continue
                resources = statement.get("Resource")
                resources = resources if isinstance(resources, list) else [resources]
                if any(_ref_name(r) == queue for r in resources):
                    return True
        return False

    @staticmethod
    def _alerts(alarm, queue, topics):
        props = alarm.get("Properties", {})
        if props.get("Namespace") != "AWS/SQS" or props.get("ActionsEnabled", True) is False:
            return False
        dimensions = props.get("Dimensions", [])
        if not any(
            isinstance(d, dict) and d.get("Name") == "QueueName" and _ref_name(d.get("Value")) == queue
            for d in dimensions
            if isinstance(dimensions, list)
        ):
            return False
        actions = props.get("AlarmActions", [])
        return isinstance(actions, list) and any(_ref_name(a) in topics for a in actions)
