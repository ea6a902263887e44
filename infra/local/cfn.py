"""Read infra/template.yaml and name its resources the way the local stack does.

The local stack (stack.py) and the event pump (pump.py) both work from the SAM
template, so a table, queue, secret, consumer or schedule added there needs no
change here.
Local names are fixed and readable: the table is `classlights`, a queue is
`classlights-<short name>` where the short name is the queue's `classlights:queue`
tag (or its logical id in kebab case, without a trailing `-queue`).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import yaml

PREFIX = "classlights"
QUEUE_TAG = "classlights:queue"
REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_TEMPLATE = REPO_ROOT / "infra" / "template.yaml"


class _TemplateLoader(yaml.SafeLoader):
    """A YAML loader that turns CloudFormation short tags into their long form."""


def _short_tag(loader: yaml.SafeLoader, tag_suffix: str, node: yaml.Node) -> dict:
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)

    if tag_suffix == "Ref":
        return {"Ref": value}
    if tag_suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {f"Fn::{tag_suffix}": value}


_TemplateLoader.add_multi_constructor("!", _short_tag)


def load_template(path: str | os.PathLike | None = None) -> dict:
    """Parse the template at `path` (default: $CLASSLIGHTS_TEMPLATE or infra/template.yaml)."""
    path = path or os.environ.get("CLASSLIGHTS_TEMPLATE") or DEFAULT_TEMPLATE
    with open(path, encoding="utf-8") as handle:
        return yaml.load(handle, Loader=_TemplateLoader)


def resources(template: dict, resource_type: str) -> dict[str, dict]:
    """Logical id -> resource, for every resource of one type."""
    return {
        logical_id: resource
        for logical_id, resource in template.get("Resources", {}).items()
        if resource.get("Type") == resource_type
    }


def kebab(logical_id: str) -> str:
    """`BehaviourEventsQueue` -> `behaviour-events-queue`."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "-", logical_id).lower()


def table_name(template: dict, logical_id: str) -> str:
    """The only table is `classlights`; any further one gets its logical id appended."""
    tables = sorted(resources(template, "AWS::DynamoDB::Table"))
    if tables and logical_id == tables[0]:
        return PREFIX
    return f"{PREFIX}-{kebab(logical_id)}"


def queue_name(logical_id: str, queue: dict) -> str:
    """Local queue name from the `classlights:queue` tag, else from the logical id."""
    properties = queue.get("Properties", {})
    tags = {tag.get("Key"): tag.get("Value") for tag in properties.get("Tags", [])}
    short = tags.get(QUEUE_TAG)
    if not isinstance(short, str):
        short = kebab(logical_id).replace("dead-letter-queue", "dlq")
        short = re.sub(r"-queue$", "", short)
    name = f"{PREFIX}-{short}"
    if properties.get("FifoQueue") in (True, "true") and not name.endswith(".fifo"):
        name += ".fifo"
    return name


def function_binary(logical_id: str, function: dict) -> str:
    """The cargo binary a function runs (Metadata.BuildProperties.Binary)."""
    binary = function.get("Metadata", {}).get("BuildProperties", {}).get("Binary")
    return binary or re.sub(r"-function$", "", kebab(logical_id))


def referenced_id(value) -> str | None:
    """Logical id behind `!Ref X`, `!GetAtt X.Arn` or `!GetAtt [X, Arn]`, else None."""
    if isinstance(value, dict):
        if "Ref" in value:
            return value["Ref"]
        if "Fn::GetAtt" in value:
            return value["Fn::GetAtt"][0]
    return None


def _environment_blocks(template: dict) -> list[dict]:
    blocks = [template.get("Globals", {}).get("Function", {})]
    blocks += [f.get("Properties", {}) for f in resources(template, "AWS::Serverless::Function").values()]
    return [block.get("Environment", {}).get("Variables", {}) for block in blocks]


def environment_variables(template: dict) -> list[tuple[str, object]]:
    """(name, value) of every function environment variable, Globals first."""
    return [(name, value) for variables in _environment_blocks(template) for name, value in variables.items()]


def environment_refs(template: dict) -> dict[str, list[str]]:
    """Logical id -> names of the function environment variables that reference it.

    Reads the Globals and every function, so `TABLE_NAME: !Ref Table` maps `Table`
    to `["TABLE_NAME"]`.
    """
    refs: dict[str, list[str]] = {}
    for name, value in environment_variables(template):
        target = referenced_id(value)
        if target and name not in refs.setdefault(target, []):
            refs[target].append(name)
    return refs
