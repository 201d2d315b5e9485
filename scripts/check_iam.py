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
    function whose environment names the URL of the API that routes to it;
  * a function the public API invokes has a role statement that writes DynamoDB items without a
    `ForAllValues:StringLike` (or StringEquals) `dynamodb:LeadingKeys` condition, or one that
    grants dynamodb:Scan (a Scan has no leading key, so ForAllValues lets it through): a forged
    request that got past the function's checks must not reach other item types;
  * a function's role grants s3:GetObject in a bucket but not s3:ListBucket on it: S3 then
    answers a missing key with 403 instead of 404, and the code's NotFound branch never runs;
  * an HTTP API route (AWS::ApiGatewayV2::Route, or a SAM HttpApi event on an explicit API) has
    no RouteSettings entry with ThrottlingRateLimit and ThrottlingBurstLimit on its API's stage,
    so that a flood on another route can share its budget; or such a stage does not DependsOn
    the routes its RouteSettings name (API Gateway refuses settings for a route key that does
    not exist yet), or names a route key no route has.
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


# Item-level DynamoDB actions that write.
_DYNAMO_WRITES = {
    "dynamodb:putitem",
    "dynamodb:updateitem",
    "dynamodb:deleteitem",
    "dynamodb:batchwriteitem",
    "dynamodb:partiqlinsert",
    "dynamodb:partiqlupdate",
    "dynamodb:partiqldelete",
}


def _actions(stmt):
    return {a.lower() for a in _as_list(stmt.get("Action", [])) if isinstance(a, str)}


def _role_statements(resources, role):
    """(where, statement) of every policy attached to `role`: inline, managed ones of this
    template, and AWS::IAM::Policy resources naming it."""
    out = []
    props = (resources.get(role) or {}).get("Properties") or {}
    for policy in _as_list(props.get("Policies", [])):
        for p in _branches(policy):
            if isinstance(p, dict):
                out.extend((f"{role}.{p.get('PolicyName', '?')}", st) for st in _statements(p.get("PolicyDocument", {})))
    managed = set()
    _references(props.get("ManagedPolicyArns"), managed)
    for name, res in resources.items():
        rprops = res.get("Properties") or {}
        attached = set()
        if res.get("Type") == "AWS::IAM::Policy":
            _references(rprops.get("Roles"), attached)
        if res.get("Type") == "AWS::IAM::ManagedPolicy":
            _references(rprops.get("Roles"), attached)
            if name in managed:
                attached.add(role)
        if role in attached:
            out.extend((name, st) for st in _statements(rprops.get("PolicyDocument", {})))
    return out


def _function_statements(resources, globals_fn, fn):
    """(where, statement) of what function `fn` may do: its role's policies and its own."""
    props = (resources.get(fn) or {}).get("Properties") or {}
    roles = set()
    _references(props.get("Role", globals_fn.get("Role")), roles)
    out = []
    for role in sorted(roles):
        if (resources.get(role) or {}).get("Type") == "AWS::IAM::Role":
            out.extend(_role_statements(resources, role))
    for policy in _as_list(props.get("Policies", [])):
        for p in _branches(policy):
            if isinstance(p, dict) and "Statement" in p:
                out.extend((f"{fn}.Policies", st) for st in _statements(p))
    return out


def _api_functions(resources):
    """Functions the API Gateway invokes: integration targets, apigateway invoke permissions,
    SAM Api/HttpApi events."""
    found = set()
    for name, res in resources.items():
        rtype, props = res.get("Type"), res.get("Properties") or {}
        if rtype == "AWS::ApiGatewayV2::Integration":
            _references(props.get("IntegrationUri"), found)
        elif rtype == "AWS::Lambda::Permission" and str(props.get("Principal", "")).startswith("apigateway."):
            _references(props.get("FunctionName"), found)
        elif rtype == "AWS::Serverless::Function":
            events = (props.get("Events") or {}).values()
            if any((e or {}).get("Type") in ("Api", "HttpApi") for e in events):
                found.add(name)
    return {f for f in found if (resources.get(f) or {}).get("Type") in FUNCTION_TYPES}


def _fences_leading_keys(stmt):
    """The statement carries ForAllValues:StringLike (or StringEquals) on dynamodb:LeadingKeys,
    with patterns that do not match everything."""
    for condition in _branches(stmt.get("Condition", {})):
        if not isinstance(condition, dict):
            continue
        for operator, pairs in condition.items():
            # Not StringNotLike and the like: a negated pattern fences nothing.
            if operator not in ("ForAllValues:StringLike", "ForAllValues:StringEquals") or not isinstance(pairs, dict):
                continue
            for key, values in pairs.items():
                values = _as_list(values)
                if key.lower() == "dynamodb:leadingkeys" and values and "*" not in values:
                    return True
    return False


def _check_leading_keys(resources, globals_fn, problems):
    for fn in sorted(_api_functions(resources)):
        for where, stmt in _function_statements(resources, globals_fn, fn):
            if stmt.get("Effect") != "Allow":
                continue
            sid = f" (Sid {stmt['Sid']})" if "Sid" in stmt else ""
            actions = _actions(stmt)
            if "dynamodb:scan" in actions:
                problems.append(
                    f"{fn} (invoked by the public API) {where}{sid}: grants dynamodb:Scan, which no "
                    "dynamodb:LeadingKeys condition can fence"
                )
            writes = sorted(actions & _DYNAMO_WRITES)
            if writes and not _fences_leading_keys(stmt):
                problems.append(
                    f"{fn} (invoked by the public API) {where}{sid}: writes DynamoDB items ({', '.join(writes)}) "
                    "without a ForAllValues:StringLike dynamodb:LeadingKeys condition naming the key patterns it writes"
                )


def _bucket(resource):
    """(bucket, is_object_arn) an S3 resource names: !GetAtt B.Arn, !Sub ${B.Arn}/*, an ARN
    (literal, or with ${B} for the name); None for anything else."""
    if isinstance(resource, dict) and "Fn::GetAtt" in resource:
        target = resource["Fn::GetAtt"]
        return (target[0] if isinstance(target, list) else str(target).split(".", 1)[0]), False
    text = resource.get("Fn::Sub") if isinstance(resource, dict) else resource
    if isinstance(text, list):
        text = text[0]
    if not isinstance(text, str):
        return None
    m = re.match(r"^\$\{([A-Za-z0-9]+)\.Arn\}(/.*)?$", text)
    if m:
        return m.group(1), bool(m.group(2))
    m = re.match(r"^arn:[^:]+:s3:::([^/]+)(/.*)?$", text)
    if m:
        name = m.group(1)
        inner = re.fullmatch(r"\$\{([A-Za-z0-9]+)\}", name)
        return (inner.group(1) if inner else name), bool(m.group(2))
    return None


def _check_list_bucket(resources, globals_fn, problems):
    for fn, res in sorted(resources.items()):
        if res.get("Type") not in FUNCTION_TYPES:
            continue
        reads, lists = set(), set()
        for _, stmt in _function_statements(resources, globals_fn, fn):
            if stmt.get("Effect") != "Allow":
                continue
            actions = _actions(stmt)
            for resource in _as_list(stmt.get("Resource", [])):
                named = _bucket(resource)
                if named is None:
                    continue
                bucket, is_object = named
                if "s3:getobject" in actions and is_object:
                    reads.add(bucket)
                if "s3:listbucket" in actions and not is_object:
                    lists.add(bucket)
        for bucket in sorted(reads - lists):
            problems.append(
                f"{fn}: may s3:GetObject in bucket {bucket} but has no s3:ListBucket on it, so a missing key "
                "answers 403 instead of 404 and the code cannot tell it from a denied read"
            )


def _check_route_throttling(resources, problems):
    routes = {}  # api -> {route key: logical id}
    for name, res in resources.items():
        props = res.get("Properties") or {}
        if res.get("Type") == "AWS::ApiGatewayV2::Route":
            apis = set()
            _references(props.get("ApiId"), apis)
            for api in apis:
                routes.setdefault(api, {})[str(props.get("RouteKey"))] = name
        elif res.get("Type") == "AWS::Serverless::Function":
            for event_name, event in (props.get("Events") or {}).items():
                if (event or {}).get("Type") != "HttpApi":
                    continue
                eprops = event.get("Properties") or {}
                apis = set()
                _references(eprops.get("ApiId"), apis)
                method = str(eprops.get("Method", "ANY")).upper()
                key = f"{method} {eprops['Path']}" if "Path" in eprops else "$default"
                for api in apis or {"ServerlessHttpApi"}:
                    routes.setdefault(api, {})[key] = f"{name}.Events.{event_name}"
    stages = {}  # api -> [(stage logical id, route settings, depends on)]
    for name, res in resources.items():
        props = res.get("Properties") or {}
        depends = res.get("DependsOn") or []
        depends = set(depends if isinstance(depends, list) else [depends])
        if res.get("Type") == "AWS::ApiGatewayV2::Stage":
            apis = set()
            _references(props.get("ApiId"), apis)
            for api in apis:
                stages.setdefault(api, []).append((name, props.get("RouteSettings") or {}, depends))
        elif res.get("Type") == "AWS::Serverless::HttpApi":
            # SAM creates the stage after the routes it inlines.
            stages.setdefault(name, []).append((name, props.get("RouteSettings") or {}, None))
    for api, by_key in sorted(routes.items()):
        for key, route in sorted(by_key.items()):
            api_stages = stages.get(api) or [(f"(no stage of {api})", {}, None)]
            for stage, settings, _ in api_stages:
                entry = settings.get(key) if isinstance(settings, dict) else None
                if not (isinstance(entry, dict) and "ThrottlingRateLimit" in entry and "ThrottlingBurstLimit" in entry):
                    problems.append(
                        f"{route} ({key}): stage {stage} has no RouteSettings entry {key!r} with ThrottlingRateLimit "
                        "and ThrottlingBurstLimit; give every route a throttle of its own"
                    )
    for api, api_stages in sorted(stages.items()):
        by_key = routes.get(api, {})
        for stage, settings, depends in api_stages:
            for key in sorted(settings if isinstance(settings, dict) else {}):
                route = by_key.get(key)
                if route is None:
                    problems.append(f"{stage}: RouteSettings names {key!r}, which no route of {api} has")
                elif depends is not None and "." not in route and route not in depends:
                    problems.append(
                        f"{stage}: RouteSettings names {key!r} but the stage does not DependsOn {route}; "
                        "API Gateway refuses settings for a route created after the stage"
                    )


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

    _check_leading_keys(resources, globals_fn, problems)
    _check_list_bucket(resources, globals_fn, problems)
    _check_route_throttling(resources, problems)
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
      Table:
        Type: AWS::DynamoDB::Table
      Bucket:
        Type: AWS::S3::Bucket
      FnRole:
        Type: AWS::IAM::Role
        Properties:
          Policies:
            - PolicyName: p
              PolicyDocument:
                Statement:
                  - Effect: Allow
                    Action: [dynamodb:GetItem, dynamodb:PutItem]
                    Resource: !GetAtt Table.Arn
                    Condition:
                      ForAllValues:StringLike:
                        dynamodb:LeadingKeys: ["*#MSG#*"]
                  - Effect: Allow
                    Action: s3:GetObject
                    Resource: !Sub ${Bucket.Arn}/*
                  - Effect: Allow
                    Action: s3:ListBucket
                    Resource: !GetAtt Bucket.Arn
      Hook:
        Type: AWS::Serverless::Function
        Properties:
          Role: !GetAtt FnRole.Arn
          LoggingConfig: {LogGroup: !Ref Logs}
      HookIntegration:
        Type: AWS::ApiGatewayV2::Integration
        Properties: {ApiId: !Ref Api, IntegrationType: AWS_PROXY, IntegrationUri: !GetAtt Hook.Arn}
      HookRoute:
        Type: AWS::ApiGatewayV2::Route
        Properties:
          ApiId: !Ref Api
          RouteKey: POST /hook/{account}
          Target: !Sub integrations/${HookIntegration}
      Stage:
        Type: AWS::ApiGatewayV2::Stage
        DependsOn: HookRoute
        Properties:
          ApiId: !Ref Api
          StageName: $default
          DefaultRouteSettings: {ThrottlingRateLimit: 1, ThrottlingBurstLimit: 5}
          RouteSettings:
            "POST /hook/{account}": {ThrottlingRateLimit: 10, ThrottlingBurstLimit: 20}
    """
)

# One failing snippet per rule below; each fails that rule only (the other checks pass on it).

# (a) Functions behind the public API write DynamoDB items without a dynamodb:LeadingKeys fence.
UNFENCED_WRITES_TEMPLATE = textwrap.dedent(
    """    Resources:
      Logs:
        Type: AWS::Logs::LogGroup
        Properties: {RetentionInDays: 30}
      Table:
        Type: AWS::DynamoDB::Table
      Api:
        Type: AWS::ApiGatewayV2::Api
        Properties: {Name: api, ProtocolType: HTTP}
      HookRole:
        Type: AWS::IAM::Role
        Properties:
          Policies:
            - PolicyName: p
              PolicyDocument:
                Statement:
                  - Sid: Bare
                    Effect: Allow
                    Action: dynamodb:PutItem
                    Resource: !GetAtt Table.Arn
                  - Sid: AnyValue
                    Effect: Allow
                    Action: dynamodb:UpdateItem
                    Resource: !GetAtt Table.Arn
                    Condition:
                      ForAnyValue:StringLike: {dynamodb:LeadingKeys: ["*#MSG#*"]}
                  - Sid: MatchesAll
                    Effect: Allow
                    Action: dynamodb:DeleteItem
                    Resource: !GetAtt Table.Arn
                    Condition:
                      ForAllValues:StringLike: {dynamodb:LeadingKeys: ["*"]}
                  - Sid: Negated
                    Effect: Allow
                    Action: dynamodb:PutItem
                    Resource: !GetAtt Table.Arn
                    Condition:
                      ForAllValues:StringNotLike: {dynamodb:LeadingKeys: ["*#LINK"]}
                  - Sid: Reads
                    Effect: Allow
                    Action: dynamodb:Scan
                    Resource: !GetAtt Table.Arn
                    Condition:
                      ForAllValues:StringLike: {dynamodb:LeadingKeys: ["*#MSG#*"]}
      Attached:
        Type: AWS::IAM::Policy
        Properties:
          PolicyName: extra
          Roles: [!Ref HookRole]
          PolicyDocument:
            Statement:
              - Sid: Batch
                Effect: Allow
                Action: dynamodb:BatchWriteItem
                Resource: !GetAtt Table.Arn
      Hook:
        Type: AWS::Serverless::Function
        Properties:
          Role: !GetAtt HookRole.Arn
          LoggingConfig: {LogGroup: !Ref Logs}
      HookPermission:
        Type: AWS::Lambda::Permission
        Properties:
          Action: lambda:InvokeFunction
          FunctionName: !Ref Hook
          Principal: apigateway.amazonaws.com
      # Not behind the API: its unfenced writes are not this rule's business.
      Worker:
        Type: AWS::Serverless::Function
        Properties:
          Role: !GetAtt HookRole.Arn
          LoggingConfig: {LogGroup: !Ref Logs}
    """
)

# (b) GetObject without ListBucket on the same bucket.
NO_LIST_BUCKET_TEMPLATE = textwrap.dedent(
    """    Resources:
      Logs:
        Type: AWS::Logs::LogGroup
        Properties: {RetentionInDays: 30}
      Files:
        Type: AWS::S3::Bucket
      Other:
        Type: AWS::S3::Bucket
      RelayRole:
        Type: AWS::IAM::Role
        Properties:
          Policies:
            - PolicyName: p
              PolicyDocument:
                Statement:
                  - Effect: Allow
                    Action: [s3:GetObject, s3:PutObject]
                    Resource: !Sub ${Files.Arn}/*
                  # On another bucket, and on objects (where ListBucket grants nothing).
                  - Effect: Allow
                    Action: s3:ListBucket
                    Resource: [!GetAtt Other.Arn, !Sub "${Files.Arn}/*"]
      Relay:
        Type: AWS::Lambda::Function
        Properties:
          Role: !GetAtt RelayRole.Arn
          LoggingConfig: {LogGroup: !Ref Logs}
    """
)

# (c) Routes without a throttle of their own, and route settings the stage cannot apply.
UNTHROTTLED_ROUTES_TEMPLATE = textwrap.dedent(
    """    Resources:
      Api:
        Type: AWS::ApiGatewayV2::Api
        Properties: {Name: api, ProtocolType: HTTP}
      Bare:
        Type: AWS::ApiGatewayV2::Route
        Properties:
          ApiId: !Ref Api
          RouteKey: POST /bare/{account}
      Half:
        Type: AWS::ApiGatewayV2::Route
        Properties:
          ApiId: !Ref Api
          RouteKey: POST /half/{account}
      Late:
        Type: AWS::ApiGatewayV2::Route
        Properties:
          ApiId: !Ref Api
          RouteKey: POST /late/{account}
      Stage:
        Type: AWS::ApiGatewayV2::Stage
        DependsOn: [Half]
        Properties:
          ApiId: !Ref Api
          StageName: $default
          DefaultRouteSettings: {ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100}
          RouteSettings:
            "POST /half/{account}": {ThrottlingRateLimit: 10}
            "POST /late/{account}": {ThrottlingRateLimit: 10, ThrottlingBurstLimit: 20}
            "POST /gone/{account}": {ThrottlingRateLimit: 10, ThrottlingBurstLimit: 20}
    """
)


def _expect_exactly(name, template, expected):
    """Every expected fragment is reported, and nothing else is."""
    problems = check(load(template))
    missing = [e for e in expected if not any(e in p for p in problems)]
    assert not missing, f"{name}: checker missed {missing}; reported: {problems}"
    extra = [p for p in problems if not any(e in p for e in expected)]
    assert not extra, f"{name}: unexpected problems {extra}"
    assert len(problems) == len(expected), f"{name}: expected {len(expected)} problems, got {problems}"
    return len(problems)


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
    found = len(problems)
    found += _expect_exactly(
        "unfenced writes",
        UNFENCED_WRITES_TEMPLATE,
        [
            "Hook (invoked by the public API) HookRole.p (Sid Bare): writes DynamoDB items (dynamodb:putitem)",
            "Hook (invoked by the public API) HookRole.p (Sid AnyValue): writes DynamoDB items",
            "Hook (invoked by the public API) HookRole.p (Sid MatchesAll): writes DynamoDB items",
            "Hook (invoked by the public API) HookRole.p (Sid Negated): writes DynamoDB items",
            "Hook (invoked by the public API) HookRole.p (Sid Reads): grants dynamodb:Scan",
            "Hook (invoked by the public API) Attached (Sid Batch): writes DynamoDB items (dynamodb:batchwriteitem)",
        ],
    )
    found += _expect_exactly(
        "no ListBucket",
        NO_LIST_BUCKET_TEMPLATE,
        ["Relay: may s3:GetObject in bucket Files but has no s3:ListBucket on it"],
    )
    found += _expect_exactly(
        "unthrottled routes",
        UNTHROTTLED_ROUTES_TEMPLATE,
        [
            "Bare (POST /bare/{account}): stage Stage has no RouteSettings entry",
            "Half (POST /half/{account}): stage Stage has no RouteSettings entry",
            "Stage: RouteSettings names 'POST /gone/{account}', which no route of Api has",
            "Stage: RouteSettings names 'POST /late/{account}' but the stage does not DependsOn Late",
        ],
    )
    assert check(load(GOOD_TEMPLATE)) == [], check(load(GOOD_TEMPLATE))
    print(f"check_iam self-test: ok ({found} problems found in the bad templates, none in the good one)")


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
    print(
        f"check_iam: {argv[1]}: no wildcard IAM, every function logs to a group with retention, no dependency cycle, "
        "API-fronted writes fenced by dynamodb:LeadingKeys, ListBucket beside GetObject, every route throttled"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
