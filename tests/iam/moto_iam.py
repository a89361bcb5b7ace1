#!/usr/bin/env python3
"""moto's server with IAM enforced the way AWS evaluates our policies, and the functions' roles
built from template.yaml. Started by tests/support/iam.rs for tests/iam/.

Usage: moto_iam.py --port PORT --template template.yaml --table NAME --out FILE
                   --secrets JSON [--param NAME=VALUE ...]

What it does, in order:
1. Starts moto 5.2.1's server in this process, with authorization replaced by `authorize`
   below (moto's own check ignores Resource ARNs and every Condition, see "Why" below).
2. With enforcement still off, creates the secrets named in --secrets (`{"<template parameter>":
   {"name": ..., "value": {...}}}`), an `admin` IAM user allowed everything (for test set-up and
   checks), and one IAM user per AWS::Serverless::Function of the template whose inline policy
   is that function's `Policies` statements, with the intrinsic functions resolved: `Ref` of a
   parameter (the secrets' ARNs, --param values, else the parameter's Default), `Ref` of the
   Table (its name), `Fn::GetAtt Table.Arn|StreamArn`, `Fn::Sub` of those, pseudo parameters.
   Anything else (another intrinsic, a SAM policy template, NotAction) stops the start-up: a
   policy the test cannot read must not pass silently.
3. Turns enforcement on for every later request, writes FILE (JSON: endpoint, credentials per
   function and for admin, the secrets' ARNs, the table's ARN) and serves until killed.

Why: moto 5.2.1 checks the action of a request (`dynamodb:Query`) but authorizes every
DynamoDB and Secrets Manager request against the resource "*" (so a statement whose Resource is
an ARN never matches and everything is denied) and treats every Condition as satisfied
(`dynamodb:LeadingKeys` is never computed). So this module computes, from each request, what AWS
authorizes:

- DynamoDB GetItem, PutItem, UpdateItem, DeleteItem: the action on the table's ARN, with
  `dynamodb:LeadingKeys` = the item's partition key value.
- Query: on the table's ARN, or `<table ARN>/index/<name>` for an index, with LeadingKeys = the
  partition key value of the key condition (the index's own partition key for an index query).
- Scan: on the table (or index) ARN, with no LeadingKeys (as in AWS, a `ForAllValues` condition
  on an absent key is true, so never grant Scan next to such a condition).
- BatchWriteItem / BatchGetItem: the batch action on each table, LeadingKeys = every partition
  key of that table's requests.
- TransactWriteItems / TransactGetItems: as AWS does, each item's own action (PutItem,
  UpdateItem, DeleteItem, ConditionCheckItem, GetItem) on its table with its partition key
  (DynamoDB developer guide, "Using IAM with DynamoDB transactions"; moto would check a
  `dynamodb:TransactWriteItems` action that AWS does not have).
- Other DynamoDB actions (DescribeTable, CreateTable...): on the table's ARN.
- Secrets Manager: the action on the secret's full ARN (a name is resolved to its ARN).
- Anything else: moto's own check (resource "*").

Policy evaluation (identity policies only; no boundaries, SCPs or resource policies): an explicit
Deny wins, otherwise some Allow must match the action (case-insensitive, `*` wildcards), the
resource (`*` wildcards) and every condition. Condition operators: StringEquals, StringLike,
StringNotEquals, StringNotLike, each optionally with ForAllValues:/ForAnyValue:. ForAllValues on
an absent or empty key is true, ForAnyValue false, a plain operator on an absent key false
(AWS's rules). Any other operator makes the statement not match (fail closed). Not enforced:
`dynamodb:Attributes`, `dynamodb:Select`, `dynamodb:ReturnValues`, policy variables, NotResource.

A denial answers `AccessDeniedException` (HTTP 400, as DynamoDB and Secrets Manager do) naming
the action and the resource, and is logged on stderr (the moto log of the test) as
`IAM DENIED: ...`; every allowed request is logged as `IAM allowed: <principal> <action>
<resource> <leading keys> statements=<i,j>` (the indexes of the statements that granted it), so
that the test can check that every statement of a role was needed.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import re
import sys
import threading
import time
import traceback

import boto3
import yaml
from moto import settings
from moto.core.exceptions import JsonRESTError
from moto.dynamodb.models import dynamodb_backends
from moto.iam import access_control
from moto.secretsmanager.models import secretsmanager_backends
from moto.server import ThreadedMotoServer
from moto.dynamodb.responses import DynamoHandler

ACCOUNT = "123456789012"
_LOG = threading.Lock()


def log(line: str) -> None:
    """One whole line on stderr (requests are served on several threads)."""
    with _LOG:
        sys.stderr.write(line + "\n")
        sys.stderr.flush()

REGION = "us-east-1"
PARTITION = "aws"


# ---------------------------------------------------------------------------------------------
# What a request asks for: (action, resource ARN, condition context).
# ---------------------------------------------------------------------------------------------


def table_arn(account: str, region: str, table: str) -> str:
    return f"arn:{PARTITION}:dynamodb:{region}:{account}:table/{table}"


def scalar(value: dict) -> str:
    """The text of an attribute value ({"S": "x"} -> "x")."""
    for kind in ("S", "N", "B"):
        if kind in value:
            return str(value[kind])
    raise ValueError(f"not a scalar attribute value: {value!r}")


def hash_key_name(account: str, region: str, table: str, index: str | None = None) -> str:
    t = dynamodb_backends[account][region].get_table(table)
    if index is None:
        return t.hash_key_attr
    for i in list(t.global_indexes) + list(t.indexes):
        if i.name == index:
            for k in i.schema:
                if k["KeyType"] == "HASH":
                    return k["AttributeName"]
    raise ValueError(f"table {table} has no index {index}")


def key_condition_partition_value(body: dict, hash_key: str) -> str:
    names = body.get("ExpressionAttributeNames") or {}
    values = body.get("ExpressionAttributeValues") or {}
    expr = body.get("KeyConditionExpression")
    if expr is None:
        cond = (body.get("KeyConditions") or {}).get(hash_key)
        if cond is None:
            raise ValueError("Query without a key condition on the partition key")
        return scalar(cond["AttributeValueList"][0])
    for clause in re.split(r"\s+and\s+", expr, flags=re.IGNORECASE):
        m = re.fullmatch(r"\s*\(?\s*([#\w.]+)\s*=\s*(:\w+)\s*\)?\s*", clause)
        if not m:
            continue
        name = names.get(m.group(1), m.group(1))
        if name == hash_key:
            return scalar(values[m.group(2)])
    raise ValueError(f"cannot find the partition key {hash_key} in {expr!r}")


def dynamodb_requests(account: str, region: str, op: str, body: dict) -> list:
    """[(action, resource, context)] that AWS authorizes for one DynamoDB request."""

    def item_req(action: str, part: dict, key_field: str):
        table = part["TableName"]
        pk = hash_key_name(account, region, table)
        leading = [scalar(part[key_field][pk])]
        return (f"dynamodb:{action}", table_arn(account, region, table),
                {"dynamodb:leadingkeys": leading})

    if op in ("GetItem", "UpdateItem", "DeleteItem"):
        return [item_req(op, body, "Key")]
    if op == "PutItem":
        return [item_req(op, body, "Item")]
    if op in ("Query", "Scan"):
        table = body["TableName"]
        index = body.get("IndexName")
        arn = table_arn(account, region, table) + (f"/index/{index}" if index else "")
        context = {}
        if op == "Query":
            hk = hash_key_name(account, region, table, index)
            context["dynamodb:leadingkeys"] = [key_condition_partition_value(body, hk)]
        return [(f"dynamodb:{op}", arn, context)]
    if op in ("BatchWriteItem", "BatchGetItem"):
        out = []
        for table, requests in (body.get("RequestItems") or {}).items():
            pk = hash_key_name(account, region, table)
            if op == "BatchWriteItem":
                keys = []
                for r in requests:
                    if "PutRequest" in r:
                        keys.append(scalar(r["PutRequest"]["Item"][pk]))
                    else:
                        keys.append(scalar(r["DeleteRequest"]["Key"][pk]))
            else:
                keys = [scalar(k[pk]) for k in requests["Keys"]]
            out.append((f"dynamodb:{op}", table_arn(account, region, table),
                        {"dynamodb:leadingkeys": sorted(set(keys))}))
        return out
    if op in ("TransactWriteItems", "TransactGetItems"):
        out = []
        for entry in body.get("TransactItems") or []:
            for kind, part in entry.items():
                action = {"Put": "PutItem", "Update": "UpdateItem", "Delete": "DeleteItem",
                          "ConditionCheck": "ConditionCheckItem", "Get": "GetItem"}[kind]
                out.append(item_req(action, part, "Item" if kind == "Put" else "Key"))
        return out
    table = body.get("TableName")
    arn = table_arn(account, region, table) if table else "*"
    return [(f"dynamodb:{op}", arn, {})]


def secretsmanager_requests(account: str, region: str, op: str, body: dict) -> list:
    secret_id = body.get("SecretId")
    if not secret_id:
        return [(f"secretsmanager:{op}", "*", {})]
    arn = secret_id
    if not secret_id.startswith("arn:"):
        try:
            arn = secretsmanager_backends[account][region].describe_secret(secret_id).arn
        except Exception:  # an unknown secret: let Secrets Manager say so after authorization
            arn = f"arn:{PARTITION}:secretsmanager:{region}:{account}:secret:{secret_id}"
    return [(f"secretsmanager:{op}", arn, {})]


# ---------------------------------------------------------------------------------------------
# Policy evaluation.
# ---------------------------------------------------------------------------------------------


def as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def glob(pattern: str, value: str, case_sensitive: bool = True) -> bool:
    regex = "^" + ".*".join(re.escape(p).replace(r"\?", ".") for p in pattern.split("*")) + "$"
    return re.match(regex, value, 0 if case_sensitive else re.IGNORECASE) is not None


class UnsupportedCondition(Exception):
    pass


def condition_matches(operator: str, key: str, expected: list, context: dict) -> bool:
    qualifier, _, base = operator.rpartition(":")
    values = context.get(key.lower())
    tests = {
        "StringEquals": lambda v: any(v == e for e in expected),
        "StringLike": lambda v: any(glob(e, v) for e in expected),
        "StringNotEquals": lambda v: all(v != e for e in expected),
        "StringNotLike": lambda v: all(not glob(e, v) for e in expected),
    }
    if base not in tests:
        raise UnsupportedCondition(operator)
    test = tests[base]
    if qualifier == "ForAllValues":
        return all(test(v) for v in (values or []))
    if qualifier == "ForAnyValue":
        return any(test(v) for v in (values or []))
    if qualifier:
        raise UnsupportedCondition(operator)
    if not values:
        return False
    return all(test(v) for v in values)


def statement_matches(statement: dict, action: str, resource: str, context: dict) -> bool:
    if "NotAction" in statement or "NotResource" in statement:
        raise UnsupportedCondition("NotAction/NotResource")
    if not any(glob(a, action, case_sensitive=False) for a in as_list(statement["Action"])):
        return False
    if not any(glob(r, resource) for r in as_list(statement.get("Resource", "*"))):
        return False
    for operator, keys in (statement.get("Condition") or {}).items():
        for key, expected in keys.items():
            if not condition_matches(operator, key, as_list(expected), context):
                return False
    return True


def allowed(documents: list, action: str, resource: str, context: dict) -> list | None:
    """The indexes (over all documents' statements, in order) of the Allow statements that
    grant the request; None when it is not allowed (no Allow matches, or a Deny does)."""
    granted = []
    index = 0
    for document in documents:
        for statement in as_list(document["Statement"]):
            try:
                matches = statement_matches(statement, action, resource, context)
            except UnsupportedCondition as e:
                log(f"IAM: unsupported policy element {e}: statement ignored")
                matches = False
            if matches and statement["Effect"] == "Deny":
                return None
            if matches:
                granted.append(index)
            index += 1
    return granted or None


def policy_documents(access_key) -> list:
    documents = []
    for policy in access_key.collect_policies():
        documents.append(access_control.IAMPolicy(policy)._policy_json)
    return documents


def check_action_permitted(self, resource: str) -> None:
    """Replaces moto's IAMRequestBase.check_action_permitted."""
    service, _, op = self._action.partition(":")
    try:
        body = json.loads(self._body or b"{}") if service in ("dynamodb", "secretsmanager") else {}
        if service == "dynamodb":
            requests = dynamodb_requests(self.account_id, self._region, op, body)
        elif service == "secretsmanager":
            requests = secretsmanager_requests(self.account_id, self._region, op, body)
        else:
            return ORIGINAL_CHECK(self, resource)
    except Exception as e:  # fail closed: a request we cannot read is denied
        traceback.print_exc()
        requests = [(self._action, f"<unreadable request: {e}>", {})]
    documents = policy_documents(self._access_key)
    grants = []
    for action, arn, context in requests:
        granted = allowed(documents, action, arn, context)
        grants.append(granted)
        if granted is None:
            leading = context.get("dynamodb:leadingkeys")
            detail = f" with dynamodb:LeadingKeys {leading}" if leading is not None else ""
            message = (f"User: {self._access_key.arn} is not authorized to perform: {action} "
                       f"on resource: {arn}{detail}")
            log(f"IAM DENIED: {message}")
            raise JsonRESTError("AccessDeniedException", message)
    for (action, arn, context), granted in zip(requests, grants):
        leading = context.get("dynamodb:leadingkeys")
        log(f"IAM allowed: {self._access_key.arn} {action} {arn} {leading} "
            f"statements={','.join(map(str, granted))}")


ORIGINAL_CHECK = access_control.IAMRequestBase.check_action_permitted


# ---------------------------------------------------------------------------------------------
# template.yaml -> one policy document per function.
# ---------------------------------------------------------------------------------------------


class TemplateLoader(yaml.SafeLoader):
    pass


def _tag(loader, tag_suffix, node):
    name = {"GetAtt": "Fn::GetAtt", "Ref": "Ref"}.get(tag_suffix, f"Fn::{tag_suffix}")
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
        if name == "Fn::GetAtt":
            value = value.split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    return {name: value}


TemplateLoader.add_multi_constructor("!", _tag)


class Resolver:
    def __init__(self, template: dict, params: dict, table: str):
        self.template = template
        self.table = table
        self.values = {
            "AWS::Region": REGION,
            "AWS::AccountId": ACCOUNT,
            "AWS::Partition": PARTITION,
            "AWS::URLSuffix": "amazonaws.com",
        }
        for name, spec in (template.get("Parameters") or {}).items():
            if name in params:
                self.values[name] = params[name]
            elif "Default" in spec:
                self.values[name] = str(spec["Default"])

    def attr(self, logical: str, attribute: str) -> str:
        if logical == "Table" and attribute == "Arn":
            return table_arn(ACCOUNT, REGION, self.table)
        if logical == "Table" and attribute == "StreamArn":
            return table_arn(ACCOUNT, REGION, self.table) + "/stream/test"
        raise ValueError(f"cannot resolve Fn::GetAtt {logical}.{attribute}")

    def ref(self, name: str) -> str:
        if name in self.values:
            return self.values[name]
        if name == "Table":
            return self.table
        raise ValueError(f"cannot resolve Ref {name} (no test value for it)")

    def resolve(self, node):
        if isinstance(node, list):
            return [self.resolve(n) for n in node]
        if not isinstance(node, dict):
            return node
        if len(node) == 1:
            (key, value), = node.items()
            if key == "Ref":
                return self.ref(value)
            if key == "Fn::GetAtt":
                return self.attr(*value)
            if key == "Fn::Sub":
                if not isinstance(value, str):
                    raise ValueError("Fn::Sub with a variable map is not supported")

                def sub(m):
                    name = m.group(1)
                    if "." in name:
                        return self.attr(*name.split(".", 1))
                    return self.ref(name)

                return re.sub(r"\$\{([^}!]+)\}", sub, value)
            if key.startswith("Fn::"):
                raise ValueError(f"unsupported intrinsic function {key}")
        return {k: self.resolve(v) for k, v in node.items()}


def function_policies(template_path: str, params: dict, table: str) -> dict:
    with open(template_path, encoding="utf-8") as f:
        template = yaml.load(f, Loader=TemplateLoader)
    resolver = Resolver(template, params, table)
    policies = {}
    for name, resource in (template.get("Resources") or {}).items():
        if resource.get("Type") != "AWS::Serverless::Function":
            continue
        statements = []
        for policy in resource.get("Properties", {}).get("Policies") or []:
            if not isinstance(policy, dict) or set(policy) != {"Statement"}:
                raise ValueError(f"{name}: only inline Statement policies are supported: {policy!r}")
            statements.extend(resolver.resolve(policy["Statement"]))
        for statement in statements:
            if "NotAction" in statement or "NotResource" in statement:
                raise ValueError(f"{name}: NotAction/NotResource are not supported")
        policies[name] = {"Version": "2012-10-17", "Statement": statements}
    return policies


# ---------------------------------------------------------------------------------------------
# Start-up.
# ---------------------------------------------------------------------------------------------


# DynamoDB applies a conditional write atomically; moto's threaded server does not (see
# tests/support/moto_server.py): its DynamoDB requests run one at a time here too.
_DYNAMODB = threading.Lock()
_dynamo_call_action = DynamoHandler.call_action


def _serialised_call_action(self, *args, **kwargs):
    with _DYNAMODB:
        return _dynamo_call_action(self, *args, **kwargs)


DynamoHandler.call_action = _serialised_call_action


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--template", required=True)
    parser.add_argument("--table", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--secrets", required=True)
    parser.add_argument("--param", action="append", default=[])
    args = parser.parse_args()

    access_control.IAMRequestBase.check_action_permitted = check_action_permitted
    server = ThreadedMotoServer(ip_address=args.host, port=args.port, verbose=False)
    server.start()
    endpoint = f"http://{args.host}:{args.port}"
    session = boto3.session.Session(aws_access_key_id="setup", aws_secret_access_key="setup",
                                    region_name=REGION)
    sm = session.client("secretsmanager", endpoint_url=endpoint)
    iam = session.client("iam", endpoint_url=endpoint)

    params = dict(p.split("=", 1) for p in args.param)
    secret_arns = {}
    for parameter, spec in json.loads(args.secrets).items():
        out = sm.create_secret(Name=spec["name"], SecretString=json.dumps(spec["value"]))
        secret_arns[parameter] = out["ARN"]
        params[parameter] = out["ARN"]

    def user(name: str, document: dict) -> dict:
        iam.create_user(UserName=name)
        iam.put_user_policy(UserName=name, PolicyName="role",
                            PolicyDocument=json.dumps(document))
        key = iam.create_access_key(UserName=name)["AccessKey"]
        return {"access_key_id": key["AccessKeyId"],
                "secret_access_key": key["SecretAccessKey"], "policy": document}

    admin = user("admin", {"Version": "2012-10-17",
                           "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})
    functions = {name: user(name, document)
                 for name, document in function_policies(args.template, params, args.table).items()}

    settings.INITIAL_NO_AUTH_ACTION_COUNT = 0
    access_control_count_reset()
    result = {
        "endpoint": endpoint,
        "table_arn": table_arn(ACCOUNT, REGION, args.table),
        "secrets": secret_arns,
        "admin": admin,
        "functions": functions,
    }
    tmp = args.out + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(result, f)
    import os

    os.replace(tmp, args.out)
    print(f"IAM enforced from now on; roles: {sorted(functions)}", file=sys.stderr, flush=True)
    while True:
        time.sleep(3600)


def access_control_count_reset() -> None:
    from moto.core.authorization import ActionAuthenticatorMixin

    ActionAuthenticatorMixin.request_count = 0


if __name__ == "__main__":
    main()
