#!/usr/bin/env python3
"""Create the template's DynamoDB tables and SQS queues in a local AWS emulator (moto).

    stack.py up [--endpoint URL] [--env-file PATH]   create or update, then write the env file
    stack.py table-json [--table-name NAME]           print the CreateTable request as JSON
    stack.py check-routes                             compare the template's HTTP routes with
                                                      the `cargo lambda watch` router in Cargo.toml

Everything comes from infra/template.yaml: key schemas, attribute definitions,
indexes, TTL, queue settings and redrive policies. Running `up` again is harmless.
The env file holds KEY=VALUE lines under the names the functions read (TABLE_NAME,
BEHAVIOUR_EVENTS_QUEUE_URL, ...) plus the emulator endpoint, region and fake keys.
What the emulator cannot or need not have is left out: encryption, point-in-time
recovery, deletion protection and tags.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tomllib
from pathlib import Path

import boto3
from botocore.exceptions import ClientError

import cfn

DEFAULT_ENDPOINT = "http://127.0.0.1:5005"
DEFAULT_REGION = "eu-west-2"

# CloudFormation queue properties that are also SQS queue attributes of the same name.
QUEUE_ATTRIBUTES = [
    "DelaySeconds",
    "MaximumMessageSize",
    "MessageRetentionPeriod",
    "ReceiveMessageWaitTimeSeconds",
    "VisibilityTimeout",
    "FifoQueue",
    "ContentBasedDeduplication",
    "DeduplicationScope",
    "FifoThroughputLimit",
]


def resolve(template: dict, value):
    """Plain values pass through; `!Ref Parameter` becomes the parameter's default."""
    if isinstance(value, dict) and "Ref" in value:
        parameter = template.get("Parameters", {}).get(value["Ref"])
        if parameter is not None and "Default" in parameter:
            return parameter["Default"]
    if isinstance(value, dict):
        raise SystemExit(f"stack.py: cannot resolve {value} locally; use a plain value or a parameter default")
    return value


def create_table_request(template: dict, logical_id: str, name: str | None = None) -> dict:
    """The CreateTable request for one table of the template."""
    properties = cfn.resources(template, "AWS::DynamoDB::Table")[logical_id]["Properties"]
    billing = properties.get("BillingMode", "PROVISIONED")
    request = {
        "TableName": name or cfn.table_name(template, logical_id),
        "AttributeDefinitions": properties["AttributeDefinitions"],
        "KeySchema": properties["KeySchema"],
        "BillingMode": billing,
    }

    for kind in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
        indexes = properties.get(kind)
        if indexes:
            request[kind] = [
                {k: v for k, v in index.items() if k in ("IndexName", "KeySchema", "Projection", "ProvisionedThroughput")}
                for index in indexes
            ]

    if billing == "PROVISIONED":
        request["ProvisionedThroughput"] = properties["ProvisionedThroughput"]

    stream = properties.get("StreamSpecification")
    if stream:
        request["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": stream["StreamViewType"]}
    return request


def _same_schema(request: dict, described: dict) -> bool:
    def keys(schema):
        return [(k["AttributeName"], k["KeyType"]) for k in schema]

    def indexes(items):
        return sorted((i["IndexName"], keys(i["KeySchema"])) for i in items or [])

    return keys(request["KeySchema"]) == keys(described["KeySchema"]) and indexes(
        request.get("GlobalSecondaryIndexes")
    ) == indexes(described.get("GlobalSecondaryIndexes"))


def ensure_table(dynamodb, template: dict, logical_id: str) -> str:
    """Create the table (or check the existing one) and switch its TTL on."""
    request = create_table_request(template, logical_id)
    name = request["TableName"]

    try:
        dynamodb.create_table(**request)
        dynamodb.get_waiter("table_exists").wait(TableName=name)
        print(f"stack: created table {name}")
    except ClientError as error:
        if error.response["Error"]["Code"] != "ResourceInUseException":
            raise
        described = dynamodb.describe_table(TableName=name)["Table"]
        if not _same_schema(request, described):
            raise SystemExit(
                f"stack.py: table {name} exists with another key schema or indexes; "
                "restart the emulator (or delete the table) and run again"
            )
        print(f"stack: table {name} already exists")

    ttl = cfn.resources(template, "AWS::DynamoDB::Table")[logical_id]["Properties"].get("TimeToLiveSpecification")
    if ttl and ttl.get("Enabled") in (True, "true"):
        current = dynamodb.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
        if current.get("TimeToLiveStatus") != "ENABLED":
            dynamodb.update_time_to_live(
                TableName=name,
                TimeToLiveSpecification={"AttributeName": ttl["AttributeName"], "Enabled": True},
            )
    return name


def ensure_queue(sqs, template: dict, logical_id: str, done: dict[str, str]) -> str:
    """Create the queue, its dead-letter queue first; returns its URL. `done` caches URLs."""
    if logical_id in done:
        return done[logical_id]

    queue = cfn.resources(template, "AWS::SQS::Queue")[logical_id]
    properties = queue.get("Properties", {})
    name = cfn.queue_name(logical_id, queue)

    attributes = {
        key: _attribute_text(resolve(template, properties[key])) for key in QUEUE_ATTRIBUTES if key in properties
    }
    redrive = properties.get("RedrivePolicy")
    if redrive:
        dead_letter_id = cfn.referenced_id(redrive["deadLetterTargetArn"])
        dead_letter_url = ensure_queue(sqs, template, dead_letter_id, done)
        dead_letter_arn = sqs.get_queue_attributes(QueueUrl=dead_letter_url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        attributes["RedrivePolicy"] = json.dumps(
            {"deadLetterTargetArn": dead_letter_arn, "maxReceiveCount": int(resolve(template, redrive["maxReceiveCount"]))}
        )

    try:
        url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
        settable = {k: v for k, v in attributes.items() if k != "FifoQueue"}
        if settable:
            sqs.set_queue_attributes(QueueUrl=url, Attributes=settable)
        print(f"stack: queue {name} already exists")
    except ClientError as error:
        if error.response["Error"]["Code"] not in ("AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist"):
            raise
        url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
        print(f"stack: created queue {name}")

    done[logical_id] = url
    return url


def _attribute_text(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def env_var_for_queue(template: dict, logical_id: str, refs: dict[str, list[str]]) -> list[str]:
    """Env var names for a queue URL: those the functions use, else `<SHORT_NAME>_QUEUE_URL`."""
    if refs.get(logical_id):
        return refs[logical_id]
    queue = cfn.resources(template, "AWS::SQS::Queue")[logical_id]
    short = cfn.queue_name(logical_id, queue)[len(cfn.PREFIX) + 1 :].removesuffix(".fifo")
    return [re.sub(r"[^A-Z0-9]", "_", short.upper()) + "_QUEUE_URL"]


def up(args: argparse.Namespace) -> None:
    template = cfn.load_template(args.template)
    session = boto3.Session(
        aws_access_key_id=os.environ.get("AWS_ACCESS_KEY_ID", "test"),
        aws_secret_access_key=os.environ.get("AWS_SECRET_ACCESS_KEY", "test"),
        region_name=args.region,
    )
    dynamodb = session.client("dynamodb", endpoint_url=args.endpoint)
    sqs = session.client("sqs", endpoint_url=args.endpoint)
    refs = cfn.environment_refs(template)

    env = {
        "AWS_ENDPOINT_URL": args.endpoint,
        "AWS_REGION": args.region,
        "AWS_ACCESS_KEY_ID": os.environ.get("AWS_ACCESS_KEY_ID", "test"),
        "AWS_SECRET_ACCESS_KEY": os.environ.get("AWS_SECRET_ACCESS_KEY", "test"),
    }

    for logical_id in cfn.resources(template, "AWS::DynamoDB::Table"):
        name = ensure_table(dynamodb, template, logical_id)
        for var in refs.get(logical_id) or [f"{cfn.kebab(logical_id).upper().replace('-', '_')}_NAME"]:
            env[var] = name

    urls: dict[str, str] = {}
    for logical_id in cfn.resources(template, "AWS::SQS::Queue"):
        url = ensure_queue(sqs, template, logical_id, urls)
        for var in env_var_for_queue(template, logical_id, refs):
            env[var] = url

    if args.env_file:
        path = Path(args.env_file)
        path.parent.mkdir(parents=True, exist_ok=True)
        lines = ["# Written by infra/local/stack.py from the SAM template; local emulator only."]
        lines += [f"{key}={value}" for key, value in env.items()]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        print(f"stack: wrote {path}")


def table_json(args: argparse.Namespace) -> None:
    template = cfn.load_template(args.template)
    tables = list(cfn.resources(template, "AWS::DynamoDB::Table"))
    logical_id = args.logical_id or (tables[0] if tables else None)
    if logical_id not in tables:
        raise SystemExit(f"stack.py: no table {logical_id!r} in the template (tables: {tables})")
    print(json.dumps(create_table_request(template, logical_id, args.table_name), indent=2))


def template_routes(template: dict) -> set[tuple[str, str, str]]:
    """(METHOD, path, binary) of every HttpApi event in the template."""
    routes = set()
    for logical_id, function in cfn.resources(template, "AWS::Serverless::Function").items():
        binary = cfn.function_binary(logical_id, function)
        for event in function.get("Properties", {}).get("Events", {}).values():
            if event.get("Type") == "HttpApi":
                properties = event["Properties"]
                routes.add((properties.get("Method", "ANY").upper(), properties["Path"], binary))
    return routes


def router_routes(cargo_toml: Path) -> set[tuple[str, str, str]]:
    """(METHOD, path, function) of the router in `[workspace.metadata.lambda.watch]`."""
    with open(cargo_toml, "rb") as handle:
        manifest = tomllib.load(handle)
    router = manifest.get("workspace", {}).get("metadata", {}).get("lambda", {}).get("watch", {}).get("router", {})
    routes = set()
    for path, target in router.items():
        if isinstance(target, str):
            routes.add(("ANY", path, target))
        else:
            routes.update((entry["method"].upper(), path, entry["function"]) for entry in target)
    return routes


def check_routes(args: argparse.Namespace) -> None:
    expected = template_routes(cfn.load_template(args.template))
    actual = router_routes(cfn.REPO_ROOT / "Cargo.toml")
    for method, path, function in sorted(expected - actual):
        print(f"missing from the router in Cargo.toml: {method} {path} -> {function}", file=sys.stderr)
    for method, path, function in sorted(actual - expected):
        print(f"in the router but not in the template: {method} {path} -> {function}", file=sys.stderr)
    if expected != actual:
        raise SystemExit(1)
    print(f"routes: the router in Cargo.toml matches the template's {len(expected)} routes")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--template", help="SAM template (default: $CLASSLIGHTS_TEMPLATE or infra/template.yaml)")
    commands = parser.add_subparsers(dest="command", required=True)

    up_parser = commands.add_parser("up", help="create the tables and queues, write the env file")
    up_parser.add_argument("--endpoint", default=os.environ.get("AWS_ENDPOINT_URL", DEFAULT_ENDPOINT))
    up_parser.add_argument("--region", default=os.environ.get("AWS_REGION", DEFAULT_REGION))
    up_parser.add_argument("--env-file", default=str(cfn.REPO_ROOT / ".local" / "stack.env"))
    up_parser.set_defaults(run=up)

    json_parser = commands.add_parser("table-json", help="print the CreateTable request of a table")
    json_parser.add_argument("--logical-id", help="table's logical id (default: the first table)")
    json_parser.add_argument("--table-name", help="TableName to put in the request (default: classlights)")
    json_parser.set_defaults(run=table_json)

    routes_parser = commands.add_parser("check-routes", help="compare the template's routes with the watch router")
    routes_parser.set_defaults(run=check_routes)

    args = parser.parse_args()
    args.run(args)


if __name__ == "__main__":
    sys.exit(main())
