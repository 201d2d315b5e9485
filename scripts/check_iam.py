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
    /aws/lambda/<the function's name>).
Needs only PyYAML (installed with cfn-lint).
"""

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


def check(template):
    problems = []
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
    print(f"check_iam: {argv[1]}: no wildcard IAM, every function logs to a group with retention")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
