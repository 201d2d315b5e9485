#!/usr/bin/env python3
"""Least-privilege and logging checks on the SAM template that cfn-lint does not make.

    python3 scripts/check_iam.py template.yaml
    python3 scripts/check_iam.py --self-test

Fails (exit 1, one line per problem) when
  * an IAM statement (function `Policies`, AWS::IAM::Role / Policy / ManagedPolicy resources)
    has `Resource: "*"`, uses NotResource / NotAction, or has an Action containing `*`;
  * a policy is attached by name or ARN that ends in FullAccess, or a SAM function has no
    explicit `Role` (SAM's generated role attaches AWSLambdaBasicExecutionRole, Resource "*");
  * a function (AWS::Serverless::Function / AWS::Lambda::Function) does not log to a log group
    declared in the template with RetentionInDays (via LoggingConfig.LogGroup, or a group named
    /aws/lambda/<the function's name>);
  * resources depend on each other in a cycle, counting the dependencies SAM adds when it
    expands function events (an Api/HttpApi event puts the function's ARN into the API's
    definition; an S3 or Cognito event into the bucket's or pool's configuration). CloudFormation
    refuses such a stack at deploy time, while cfn-lint and `sam validate` pass it, e.g. a
    function whose environment names the URL of the API that routes to it.
Needs only PyYAML (installed with cfn-lint).
"""

import re
import sys
import textwrap

import yaml

FUNCTION_TYPES = ("AWS::Serverless::Function", "AWS::Lambda::Function")
POLICY_RESOURCE_TYPES = ("AWS::IAM::Role", "AWS::IAM::Policy", "AWS::IAM::ManagedPolicy", "AWS::IAM::User", "AWS::IAM::Group")


class CfnLoader(yaml.SafeLoader):
    """SafeLoader that turns CloudFormation short tags (!Sub x) into their long form ({Fn::Sub: x})."""


def _construct_tag(loader, tag_suffix, node):
    name = "Ref" if tag_suffix == "Ref" else "Condition" if tag_suffix == "Condition" else "Fn::" + tag_suffix
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
        if tag_suffix == "GetAtt":  # !GetAtt A.B is the short form of [A, B]
            value = value.split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    return {name: value}


CfnLoader.add_multi_constructor("!", _construct_tag)


def load(text):
    return yaml.load(text, Loader=CfnLoader)


def _as_list(value):
    return value if isinstance(value, list) else [value]


def _branches(value):
    """Expands Fn::If into both branches, drops AWS::NoValue, so each possibility is checked."""
    if isinstance(value, dict) and list(value) == ["Fn::If"] and isinstance(value["Fn::If"], list) and len(value["Fn::If"]) == 3:
        return _branches(value["Fn::If"][1]) + _branches(value["Fn::If"][2])
    if value == {"Ref": "AWS::NoValue"}:
        return []
    return [value]


def _statements(document):
    out = []
    for doc in _branches(document):
        if not isinstance(doc, dict):
            continue
        for stmt in _branches(doc.get("Statement", [])):
            for item in _as_list(stmt):
                out.extend(s for s in _branches(item) if isinstance(s, dict))
    return out


def _check_statement(where, stmt, problems):
    sid = f" (Sid {stmt['Sid']})" if "Sid" in stmt else ""
    for key in ("NotAction", "NotResource"):
        if key in stmt:
            problems.append(f"{where}{sid}: uses {key}, which grants everything not listed")
    for resource in _as_list(stmt.get("Resource", [])):
        if resource == "*":
            problems.append(f"{where}{sid}: Resource is \"*\"; name the ARNs the code touches")
    for action in _as_list(stmt.get("Action", [])):
        if isinstance(action, str) and "*" in action:
            problems.append(f"{where}{sid}: Action {action!r} is a wildcard; list the calls the code makes")


def _check_managed(where, arns, problems):
    for arn in _as_list(arns or []):
        if isinstance(arn, str) and arn.rstrip("/").endswith("FullAccess"):
            problems.append(f"{where}: attaches managed policy {arn}")


# Event types whose expansion makes the event's source resource reference the function, and the
# event property naming that source.
_SAM_EVENT_SOURCES = {"Api": "RestApiId", "HttpApi": "ApiId", "S3": "Bucket", "Cognito": "UserPool"}
# The API SAM creates when an Api/HttpApi event names none.
_IMPLICIT_API = {"Api": "ServerlessRestApi", "HttpApi": "ServerlessHttpApi"}


def _references(value, out, local=frozenset()):
    """Names of resources (or parameters) value refers to: Ref, Fn::GetAtt, ${X} in Fn::Sub."""
    if isinstance(value, dict):
        for key, inner in value.items():
            if key == "Ref" and isinstance(inner, str):
                out.add(inner)
            elif key == "Fn::GetAtt":
                target = inner[0] if isinstance(inner, list) else str(inner).split(".", 1)[0]
                out.add(target)
            elif key == "Fn::Sub":
                text, variables = (inner, {}) if isinstance(inner, str) else (inner[0], inner[1] if len(inner) > 1 else {})
                names = set(variables) if isinstance(variables, dict) else set()
                for var in re.findall(r"\$\{([^}]+)\}", text if isinstance(text, str) else ""):
                    if not var.startswith("!"):
                        name = var.split(".", 1)[0]
                        if name not in names and name not in local:
                            out.add(name)
                _references(variables, out, local)
            else:
                _references(inner, out, local)
    elif isinstance(value, list):
        for item in value:
            _references(item, out, local)


def dependency_graph(template):
    """resource -> the resources it needs first (after SAM's expansion of function events)."""
    resources = template.get("Resources") or {}
    globals_fn = ((template.get("Globals") or {}).get("Function")) or {}
    graph = {name: set() for name in resources}
    for name, res in resources.items():
        found = set()
        props = res.get("Properties") or {}
        if res.get("Type") == "AWS::Serverless::Function":
            # An event's own references go to the resources SAM generates for it (permissions,
            # event source mappings), not to the function; the edges that matter are added below.
            props = {k: v for k, v in props.items() if k != "Events"}
        _references(props, found)
        depends = res.get("DependsOn") or []
        found.update(depends if isinstance(depends, list) else [depends])
        if res.get("Type") == "AWS::Serverless::Function":
            _references(globals_fn, found)
            for event in ((res.get("Properties") or {}).get("Events") or {}).values():
                kind = (event or {}).get("Type")
                if kind not in _SAM_EVENT_SOURCES:
                    continue
                source = ((event.get("Properties") or {}).get(_SAM_EVENT_SOURCES[kind]))
                targets = set()
                _references(source, targets)
                if not targets and kind in _IMPLICIT_API:
                    targets = {_IMPLICIT_API[kind]}
                for target in targets:
                    graph.setdefault(target, set()).add(name)
        graph[name].update(found)
    return {n: {d for d in deps if d in graph and d != n} for n, deps in graph.items()}


def cycles(graph):
    """Each dependency cycle once, as a list of names starting and ending with the same one."""
    found, state, stack = [], {}, []

    def visit(node):
        state[node] = "open"
        stack.append(node)
        for dep in sorted(graph.get(node, ())):
            if state.get(dep) == "open":
                found.append(stack[stack.index(dep):] + [dep])
            elif dep not in state:
                visit(dep)
        stack.pop()
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node)
    return found


def check(template):
    problems = []
    for cycle in cycles(dependency_graph(template)):
        problems.append(
            "dependency cycle " + " -> ".join(cycle)
            + " (CloudFormation refuses it; SAM events make an API, bucket or pool depend on its functions)"
        )
    resources = template.get("Resources") or {}
    globals_fn = ((template.get("Globals") or {}).get("Function")) or {}

    for name, res in resources.items():
        rtype = res.get("Type", "")
        props = res.get("Properties") or {}
        if rtype in POLICY_RESOURCE_TYPES:
            if "PolicyDocument" in props:
                for stmt in _statements(props["PolicyDocument"]):
                    _check_statement(f"{name} ({rtype})", stmt, problems)
            for policy in _as_list(props.get("Policies", [])):
                for p in _branches(policy):
                    if isinstance(p, dict):
                        for stmt in _statements(p.get("PolicyDocument", {})):
                            _check_statement(f"{name}.{p.get('PolicyName', '?')}", stmt, problems)
            _check_managed(name, props.get("ManagedPolicyArns"), problems)
        if rtype == "AWS::Serverless::Function":
            for policy in _as_list(props.get("Policies", [])):
                for p in _branches(policy):
                    if isinstance(p, str):
                        _check_managed(f"{name}.Policies", [p], problems)
                    elif isinstance(p, dict) and "Statement" in p:
                        for stmt in _statements(p):
                            _check_statement(f"{name}.Policies", stmt, problems)
                    # SAM policy templates ({DynamoDBReadPolicy: {TableName: ...}}) are scoped by
                    # their parameters; they are not expanded here.
            if "Role" not in props and "Role" not in globals_fn:
                problems.append(
                    f"{name}: no explicit Role; SAM's generated role attaches AWSLambdaBasicExecutionRole (Resource \"*\")"
                )

    log_groups = {n: r for n, r in resources.items() if r.get("Type") == "AWS::Logs::LogGroup"}
    for name, res in resources.items():
        if res.get("Type") not in FUNCTION_TYPES:
            continue
        props = res.get("Properties") or {}
        logging = props.get("LoggingConfig") or globals_fn.get("LoggingConfig") or {}
        target = logging.get("LogGroup")
        group = None
        if isinstance(target, dict) and isinstance(target.get("Ref"), str):
            group = log_groups.get(target["Ref"])
        if group is None:
            # Lambda's default group /aws/lambda/<name>, declared with !Sub "/aws/lambda/${Fn}".
            for lg in log_groups.values():
                lg_name = (lg.get("Properties") or {}).get("LogGroupName")
                if isinstance(lg_name, dict) and lg_name.get("Fn::Sub") == f"/aws/lambda/${{{name}}}":
                    group = lg
        if group is None:
            problems.append(f"{name}: no log group of this template (LoggingConfig.LogGroup: !Ref <AWS::Logs::LogGroup>)")
        elif "RetentionInDays" not in (group.get("Properties") or {}):
            problems.append(f"{name}: its log group has no RetentionInDays (logs would be kept forever)")
    return problems


BAD_TEMPLATE = textwrap.dedent(
    """\
    Transform: AWS::Serverless-2016-10-31
    Resources:
      Table:
        Type: AWS::DynamoDB::Table
      Fn:
        Type: AWS::Serverless::Function
        Properties:
          CodeUri: .
          Policies:
            - AmazonDynamoDBFullAccess
            - Statement:
                - Effect: Allow
                  Action: dynamodb:*
                  Resource: !GetAtt Table.Arn
      Role:
        Type: AWS::IAM::Role
        Properties:
          Policies:
            - PolicyName: p
              PolicyDocument:
                Statement:
                  - !If
                    - Cond
                    - Effect: Allow
                      Action: ssm:GetParametersByPath
                      Resource: "*"
                    - !Ref AWS::NoValue
      Logs:
        Type: AWS::Logs::LogGroup
        Properties:
          LogGroupName: !Sub /aws/lambda/${Other}
      Fn2:
        Type: AWS::Lambda::Function
        Properties:
          Role: !GetAtt Role.Arn
          LoggingConfig:
            LogGroup: !Ref NoRetention
      NoRetention:
        Type: AWS::Logs::LogGroup
      Api:
        Type: AWS::Serverless::HttpApi
      Hook:
        Type: AWS::Serverless::Function
        Properties:
          Role: !GetAtt Role.Arn
          LoggingConfig: {LogGroup: !Ref Logs}
          Environment:
            Variables:
              URL: !Sub https://${Api}.execute-api.${AWS::Region}.amazonaws.com
          Events:
            Post:
              Type: HttpApi
              Properties: {ApiId: !Ref Api, Method: POST, Path: /x}
    """
)

GOOD_TEMPLATE = textwrap.dedent(
    """\
    Resources:
      Logs:
        Type: AWS::Logs::LogGroup
        Properties:
          RetentionInDays: 30
      Role:
        Type: AWS::IAM::Role
        Properties:
          Policies:
            - PolicyName: p
              PolicyDocument:
                Statement:
                  - Effect: Allow
                    Action: [logs:CreateLogStream, logs:PutLogEvents]
                    Resource: !GetAtt Logs.Arn
      Fn:
        Type: AWS::Serverless::Function
        Properties:
          Role: !GetAtt Role.Arn
          LoggingConfig: {LogGroup: !Ref Logs}
          Environment:
            Variables:
              URL: !Sub https://${Api}.execute-api.${AWS::Region}.amazonaws.com
      Api:
        Type: AWS::ApiGatewayV2::Api
        Properties: {Name: api, ProtocolType: HTTP}
      Integration:
        Type: AWS::ApiGatewayV2::Integration
        Properties: {ApiId: !Ref Api, IntegrationType: AWS_PROXY, IntegrationUri: !GetAtt Fn.Arn}
    """
)


def self_test():
    problems = check(load(BAD_TEMPLATE))
    expected = [
        "attaches managed policy AmazonDynamoDBFullAccess",
        "Action 'dynamodb:*' is a wildcard",
        'Resource is "*"',
        "Fn: no explicit Role",
        "Fn: no log group",
        "Fn2: its log group has no RetentionInDays",
        "dependency cycle Api -> Hook -> Api",
    ]
    missing = [e for e in expected if not any(e in p for p in problems)]
    assert not missing, f"checker missed: {missing}; reported: {problems}"
    assert check(load(GOOD_TEMPLATE)) == [], check(load(GOOD_TEMPLATE))
    print(f"check_iam self-test: ok ({len(problems)} problems found in the bad template, none in the good one)")


def main(argv):
    if argv[1:] == ["--self-test"]:
        self_test()
        return 0
    if len(argv) != 2:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    with open(argv[1], encoding="utf-8") as f:
        problems = check(load(f.read()))
    if problems:
        print(f"check_iam: {argv[1]} fails {len(problems)} check(s):", file=sys.stderr)
        for p in problems:
            print(f"  - {p}", file=sys.stderr)
        return 1
    print(f"check_iam: {argv[1]}: no wildcard IAM, every function logs to a group with retention, no dependency cycle")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
