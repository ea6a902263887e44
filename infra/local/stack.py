#!/usr/bin/env python3
"""Create the template's resources in a local AWS emulator (moto).

    stack.py up [--endpoint URL] [--env-file PATH] [--parameter NAME=VALUE ...]
                [--secret LOGICAL_ID=PATH ...]       create or update, then write the env file
    stack.py table-json [--table-name NAME]           print the CreateTable request as JSON
    stack.py probes                                   one route of each HTTP function, to check
                                                      that it starts: METHOD PATH BINARY lines
    stack.py check-routes                             compare the template's HTTP routes with
                                                      the `cargo lambda watch` router in Cargo.toml

Everything comes from infra/template.yaml: key schemas, attribute definitions,
indexes, TTL, queue settings and redrive policies, the Secrets Manager secrets and
the SES configuration sets and email identities (verified at once, as moto needs
before it accepts mail from an address), and the SNS topics that deliver to a queue
with their subscriptions (the SES event destination that feeds them is not created). Running `up` again is harmless.

Parameters take their defaults unless `--parameter` gives a value, as
`sam deploy --parameter-overrides` would. A secret with GenerateSecretString gets a
random value; one the template leaves empty gets the contents of the file that
`--secret` names for it.

The env file holds KEY=VALUE lines (shell-quoted) under the names the functions read:
every variable of the functions' environments (Globals and each function) whose value
is a parameter, a resource created here or a `{{resolve:secretsmanager:...}}`
reference, plus the emulator endpoint, region and fake keys. What the emulator cannot
or need not have is left out: encryption, point-in-time recovery, deletion protection,
tags and alarms.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import shlex
import string
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


def secret_name(logical_id: str) -> str:
    """`SigningKeysSecret` -> `classlights-signing-keys`."""
    return f"{cfn.PREFIX}-{re.sub(r'-secret$', '', cfn.kebab(logical_id))}"


def generated_secret(spec: dict) -> str:
    """A value for a GenerateSecretString specification (the settings this template uses)."""
    alphabet = ""
    if spec.get("ExcludeLowercase") not in (True, "true"):
        alphabet += string.ascii_lowercase
    if spec.get("ExcludeUppercase") not in (True, "true"):
        alphabet += string.ascii_uppercase
    if spec.get("ExcludeNumbers") not in (True, "true"):
        alphabet += string.digits
    if spec.get("ExcludePunctuation") not in (True, "true"):
        alphabet += string.punctuation
    if spec.get("IncludeSpace") in (True, "true"):
        alphabet += " "
    alphabet = "".join(c for c in alphabet if c not in spec.get("ExcludeCharacters", ""))
    value = "".join(secrets.choice(alphabet) for _ in range(int(spec.get("PasswordLength", 32))))
    if "SecretStringTemplate" in spec and "GenerateStringKey" in spec:
        document = json.loads(spec["SecretStringTemplate"])
        document[spec["GenerateStringKey"]] = value
        return json.dumps(document)
    return value


def ensure_secret(client, template: dict, logical_id: str, value_file: str | None) -> tuple[str, str | None]:
    """Create the secret (or keep the existing one); returns its ARN and value, if any.

    A value from `value_file` replaces what the secret holds; a generated one is made
    only when the secret is new."""
    properties = cfn.resources(template, "AWS::SecretsManager::Secret")[logical_id].get("Properties", {})
    name = secret_name(logical_id)
    value = Path(value_file).read_text(encoding="utf-8").strip() if value_file else None
    try:
        described = client.describe_secret(SecretId=name)
        arn = described["ARN"]
        if value is not None:
            client.put_secret_value(SecretId=arn, SecretString=value)
        print(f"stack: secret {name} already exists")
    except ClientError as error:
        if error.response["Error"]["Code"] != "ResourceNotFoundException":
            raise
        if value is None and "GenerateSecretString" in properties:
            value = generated_secret(properties["GenerateSecretString"])
        if value is None and "SecretString" in properties:
            value = str(resolve(template, properties["SecretString"]))
        request = {"Name": name}
        if value is not None:
            request["SecretString"] = value
        arn = client.create_secret(**request)["ARN"]
        print(f"stack: created secret {name}")
    if value is None:
        try:
            value = client.get_secret_value(SecretId=arn)["SecretString"]
        except ClientError as error:
            if error.response["Error"]["Code"] != "ResourceNotFoundException":
                raise
            print(
                f"stack: secret {name} ({logical_id}) has no value; give it one with --secret {logical_id}=PATH",
                file=sys.stderr,
            )
    return arn, value


def ensure_mail(sesv2, template: dict, physical: dict[str, str]) -> None:
    """The SES configuration sets and email identities; identities are verified at once."""
    for logical_id, resource in cfn.resources(template, "AWS::SES::ConfigurationSet").items():
        name = resolve(template, resource.get("Properties", {}).get("Name")) or (
            f"{cfn.PREFIX}-{re.sub(r'-configuration-set$', '', cfn.kebab(logical_id))}"
        )
        try:
            sesv2.create_configuration_set(ConfigurationSetName=name)
            print(f"stack: created configuration set {name}")
        except ClientError as error:
            if error.response["Error"]["Code"] not in ("AlreadyExistsException", "ConfigurationSetAlreadyExistsException"):
                raise
            print(f"stack: configuration set {name} already exists")
        physical[logical_id] = name

    for logical_id, resource in cfn.resources(template, "AWS::SES::EmailIdentity").items():
        properties = resource.get("Properties", {})
        identity = resolve(template, properties["EmailIdentity"])
        request = {"EmailIdentity": identity}
        configuration_set = properties.get("ConfigurationSetAttributes", {}).get("ConfigurationSetName")
        if configuration_set is not None:
            target = cfn.referenced_id(configuration_set)
            request["ConfigurationSetName"] = physical[target] if target in physical else resolve(template, configuration_set)
        try:
            sesv2.create_email_identity(**request)
            print(f"stack: verified email identity {identity}")
        except ClientError as error:
            if error.response["Error"]["Code"] != "AlreadyExistsException":
                raise
            print(f"stack: email identity {identity} already exists")
        physical[logical_id] = identity


def ensure_queue_subscriptions(sns, sqs, template: dict, physical: dict[str, str]) -> None:
    """SNS topics that deliver to a queue of the template, and those subscriptions.

    Only topics with an `sqs` subscription are created (the alarm topic has no use
    locally). The SES event destination that feeds MailFeedbackTopic is not created:
    moto's SES never bounces or receives complaints, so nothing would reach it;
    publish an SES event to the topic (or send one to the queue) to try the path.
    Queue and topic policies are left out: moto does not enforce them."""
    topics = cfn.resources(template, "AWS::SNS::Topic")
    for logical_id, subscription in cfn.resources(template, "AWS::SNS::Subscription").items():
        properties = subscription.get("Properties", {})
        topic_id = cfn.referenced_id(properties.get("TopicArn"))
        queue_id = cfn.referenced_id(properties.get("Endpoint"))
        if properties.get("Protocol") != "sqs" or topic_id not in topics or queue_id not in physical:
            continue
        name = f"{cfn.PREFIX}-{re.sub(r'-topic$', '', cfn.kebab(topic_id))}"
        topic_arn = sns.create_topic(Name=name)["TopicArn"]  # returns the existing topic if any
        physical[topic_id] = topic_arn
        queue_arn = sqs.get_queue_attributes(QueueUrl=physical[queue_id], AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        existing = sns.list_subscriptions_by_topic(TopicArn=topic_arn)["Subscriptions"]
        if any(s["Protocol"] == "sqs" and s["Endpoint"] == queue_arn for s in existing):
            print(f"stack: topic {name} already delivers to {queue_arn.rsplit(':', 1)[-1]}")
            continue
        raw = properties.get("RawMessageDelivery") in (True, "true")
        sns.subscribe(
            TopicArn=topic_arn,
            Protocol="sqs",
            Endpoint=queue_arn,
            Attributes={"RawMessageDelivery": "true" if raw else "false"},
        )
        print(f"stack: topic {name} delivers to {queue_arn.rsplit(':', 1)[-1]} ({logical_id})")


SECRET_REFERENCE = re.compile(r"\{\{resolve:secretsmanager:\$\{(\w+)\}:SecretString\}\}")


def environment_value(template: dict, value, physical: dict[str, str], secret_values: dict[str, str]):
    """What a function environment variable holds locally, or None if it has no local value."""
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, dict) and "Ref" in value:
        target = value["Ref"]
        if target in physical:
            return physical[target]
        parameter = template.get("Parameters", {}).get(target)
        if parameter is not None and "Default" in parameter:
            return str(parameter["Default"])
        return None
    if isinstance(value, dict) and isinstance(value.get("Fn::Sub"), str):
        match = SECRET_REFERENCE.fullmatch(value["Fn::Sub"])
        if match:
            return secret_values.get(match.group(1))
    return None


def apply_parameters(template: dict, assignments: list[str]) -> None:
    """`NAME=VALUE` pairs become the parameters' values, as deploy-time overrides."""
    parameters = template.get("Parameters", {})
    for assignment in assignments:
        name, sep, value = assignment.partition("=")
        if not sep or name not in parameters:
            raise SystemExit(f"stack.py: --parameter {name!r}: expected NAME=VALUE with a parameter of the template")
        parameters[name]["Default"] = value


def up(args: argparse.Namespace) -> None:
    template = cfn.load_template(args.template)
    apply_parameters(template, args.parameter)
    secret_files = {}
    for assignment in args.secret:
        logical_id, sep, path = assignment.partition("=")
        if not sep or logical_id not in cfn.resources(template, "AWS::SecretsManager::Secret"):
            raise SystemExit(f"stack.py: --secret {logical_id!r}: expected LOGICAL_ID=PATH with a secret of the template")
        secret_files[logical_id] = path

    session = boto3.Session(
        aws_access_key_id=os.environ.get("AWS_ACCESS_KEY_ID", "test"),
        aws_secret_access_key=os.environ.get("AWS_SECRET_ACCESS_KEY", "test"),
        region_name=args.region,
    )
    dynamodb = session.client("dynamodb", endpoint_url=args.endpoint)
    sqs = session.client("sqs", endpoint_url=args.endpoint)
    secretsmanager = session.client("secretsmanager", endpoint_url=args.endpoint)
    sesv2 = session.client("sesv2", endpoint_url=args.endpoint)
    sns = session.client("sns", endpoint_url=args.endpoint)
    refs = cfn.environment_refs(template)

    env = {
        "AWS_ENDPOINT_URL": args.endpoint,
        "AWS_REGION": args.region,
        "AWS_ACCESS_KEY_ID": os.environ.get("AWS_ACCESS_KEY_ID", "test"),
        "AWS_SECRET_ACCESS_KEY": os.environ.get("AWS_SECRET_ACCESS_KEY", "test"),
    }
    # Logical id -> what `!Ref` gives: table name, queue URL, secret ARN, ...
    physical: dict[str, str] = {}

    for logical_id in cfn.resources(template, "AWS::DynamoDB::Table"):
        name = ensure_table(dynamodb, template, logical_id)
        physical[logical_id] = name
        for var in refs.get(logical_id) or [f"{cfn.kebab(logical_id).upper().replace('-', '_')}_NAME"]:
            env[var] = name

    urls: dict[str, str] = {}
    for logical_id in cfn.resources(template, "AWS::SQS::Queue"):
        url = ensure_queue(sqs, template, logical_id, urls)
        physical[logical_id] = url
        for var in env_var_for_queue(template, logical_id, refs):
            env[var] = url

    secret_values: dict[str, str] = {}
    for logical_id in cfn.resources(template, "AWS::SecretsManager::Secret"):
        arn, value = ensure_secret(secretsmanager, template, logical_id, secret_files.get(logical_id))
        physical[logical_id] = arn
        if value is not None:
            secret_values[logical_id] = value

    ensure_mail(sesv2, template, physical)
    ensure_queue_subscriptions(sns, sqs, template, physical)

    for name, value in cfn.environment_variables(template):
        local = environment_value(template, value, physical, secret_values)
        if local is not None and name not in env:
            env[name] = local

    if args.env_file:
        path = Path(args.env_file)
        path.parent.mkdir(parents=True, exist_ok=True)
        lines = ["# Written by infra/local/stack.py from the SAM template; local emulator only."]
        lines += [f"{key}={shlex.quote(value)}" for key, value in env.items()]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        # It holds the local secrets.
        path.chmod(0o600)
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


def probes(args: argparse.Namespace) -> None:
    """One route of each HTTP function: a GET without path parameters if it has one."""
    by_binary: dict[str, list[tuple[str, str]]] = {}
    for method, path, binary in template_routes(cfn.load_template(args.template)):
        by_binary.setdefault(binary, []).append((method, path))
    for binary, routes in sorted(by_binary.items()):
        method, path = min(routes, key=lambda r: (r[0] != "GET", "{" in r[1], r[1]))
        print(method, re.sub(r"\{[^}]+\}", "probe", path), binary)


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

    up_parser = commands.add_parser("up", help="create the template's resources, write the env file")
    up_parser.add_argument("--endpoint", default=os.environ.get("AWS_ENDPOINT_URL", DEFAULT_ENDPOINT))
    up_parser.add_argument("--region", default=os.environ.get("AWS_REGION", DEFAULT_REGION))
    up_parser.add_argument("--env-file", default=str(cfn.REPO_ROOT / ".local" / "stack.env"))
    up_parser.add_argument(
        "--parameter", action="append", default=[], metavar="NAME=VALUE", help="a template parameter's value"
    )
    up_parser.add_argument(
        "--secret", action="append", default=[], metavar="LOGICAL_ID=PATH", help="a secret's value, from a file"
    )
    up_parser.set_defaults(run=up)

    json_parser = commands.add_parser("table-json", help="print the CreateTable request of a table")
    json_parser.add_argument("--logical-id", help="table's logical id (default: the first table)")
    json_parser.add_argument("--table-name", help="TableName to put in the request (default: classlights)")
    json_parser.set_defaults(run=table_json)

    probes_parser = commands.add_parser("probes", help="one route of each HTTP function: METHOD PATH BINARY")
    probes_parser.set_defaults(run=probes)

    routes_parser = commands.add_parser("check-routes", help="compare the template's routes with the watch router")
    routes_parser.set_defaults(run=check_routes)

    args = parser.parse_args()
    args.run(args)


if __name__ == "__main__":
    sys.exit(main())
