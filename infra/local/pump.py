#!/usr/bin/env python3
"""Feed queue messages and scheduled ticks to the job functions, as Lambda would.

Reads infra/template.yaml for
  * every function's `SQS` events: the queue, BatchSize, MaximumBatchingWindowInSeconds
    and FunctionResponseTypes [ReportBatchItemFailures];
  * every function's `Schedule` / `ScheduleV2` events with a `rate(...)` expression
    (cron expressions are skipped with a notice).
Then it long-polls each queue in the emulator and invokes the consumer through the
Lambda Invoke API of `cargo lambda watch`
(POST <invoke-url>/2015-03-31/functions/<binary>/invocations) with a real SQS event.
On success it deletes the messages not listed in `batchItemFailures`; after a function
error it deletes none, so they come back after the queue's visibility timeout and
end in the dead-letter queue after maxReceiveCount tries, as in AWS. Each schedule
fires at its rate with an EventBridge "Scheduled Event" (or the event's `Input`).

One log line per delivery, with ids and counts only: never a message body.
"""

from __future__ import annotations

import argparse
import base64
import json
import logging
import os
import re
import signal
import socket
import threading
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from urllib.parse import urlparse

import boto3

import cfn

ACCOUNT_ID = "123456789012"  # the emulator's default account
POLL_SECONDS = 5  # long-poll wait; short enough to stop promptly
INVOKE_SLACK_SECONDS = 600  # the first call of a function may wait for `cargo run` to build it

log = logging.getLogger("pump")


@dataclass
class QueueConsumer:
    function: str
    binary: str
    queue_logical_id: str
    queue_name: str
    batch_size: int
    batching_window: int
    reports_item_failures: bool
    timeout: int


@dataclass
class Schedule:
    function: str
    binary: str
    event: str
    every_seconds: int
    input: str | None
    timeout: int


def parse_rate(expression: str) -> int | None:
    """Seconds between ticks of `rate(5 minutes)`; None for anything else."""
    match = re.fullmatch(r"\s*rate\(\s*(\d+)\s+(minute|minutes|hour|hours|day|days)\s*\)\s*", expression)
    if not match:
        return None
    unit = {"minute": 60, "hour": 3600, "day": 86400}[match.group(2).rstrip("s")]
    return int(match.group(1)) * unit


def _enabled(properties: dict) -> bool:
    return properties.get("Enabled", True) not in (False, "false") and properties.get("State", "ENABLED") != "DISABLED"


def read_triggers(template: dict) -> tuple[list[QueueConsumer], list[Schedule]]:
    """Queue consumers and schedules of every function in the template."""
    queues = cfn.resources(template, "AWS::SQS::Queue")
    default_timeout = template.get("Globals", {}).get("Function", {}).get("Timeout", 3)
    consumers, schedules = [], []

    for logical_id, function in cfn.resources(template, "AWS::Serverless::Function").items():
        properties = function.get("Properties", {})
        binary = cfn.function_binary(logical_id, function)
        timeout = int(properties.get("Timeout", default_timeout))

        for event_name, event in properties.get("Events", {}).items():
            event_properties = event.get("Properties", {})
            if not _enabled(event_properties):
                continue

            if event.get("Type") == "SQS":
                queue_id = cfn.referenced_id(event_properties["Queue"])
                consumers.append(
                    QueueConsumer(
                        function=logical_id,
                        binary=binary,
                        queue_logical_id=queue_id,
                        queue_name=cfn.queue_name(queue_id, queues[queue_id]),
                        batch_size=int(event_properties.get("BatchSize", 10)),
                        batching_window=int(event_properties.get("MaximumBatchingWindowInSeconds", 0)),
                        reports_item_failures="ReportBatchItemFailures"
                        in event_properties.get("FunctionResponseTypes", []),
                        timeout=timeout,
                    )
                )

            if event.get("Type") in ("Schedule", "ScheduleV2"):
                expression = event_properties.get("Schedule") or event_properties.get("ScheduleExpression", "")
                seconds = parse_rate(expression)
                if seconds is None:
                    log.info("skipping %s/%s: only rate(...) schedules run locally (%s)", logical_id, event_name, expression)
                    continue
                schedules.append(
                    Schedule(logical_id, binary, event_name, seconds, event_properties.get("Input"), timeout)
                )

    return consumers, schedules


class Invoker:
    """Calls functions through the Lambda Invoke API that `cargo lambda watch` serves."""

    def __init__(self, base_url: str):
        self.base_url = base_url.rstrip("/")
        parsed = urlparse(self.base_url)
        self.address = (parsed.hostname, parsed.port or 80)

    def reachable(self) -> bool:
        try:
            with socket.create_connection(self.address, timeout=1):
                return True
        except OSError:
            return False

    def invoke(self, binary: str, payload: dict, timeout: int) -> tuple[bool, object]:
        """(True, result) when the function returned, (False, reason) when it failed.

        Raises OSError when the endpoint could not be reached at all.
        """
        request = urllib.request.Request(
            f"{self.base_url}/2015-03-31/functions/{binary}/invocations",
            data=json.dumps(payload).encode(),
            headers={"content-type": "application/json"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout + INVOKE_SLACK_SECONDS) as response:
                body = response.read()
                function_error = response.headers.get("x-amz-function-error")
        except urllib.error.HTTPError as error:
            return False, _error_summary(error.read(), f"HTTP {error.code}")

        result = json.loads(body) if body.strip() else None
        if function_error or (isinstance(result, dict) and "errorType" in result and "errorMessage" in result):
            return False, _error_summary(body, function_error or "function error")
        return True, result


def _error_summary(body: bytes, fallback: str) -> str:
    try:
        error = json.loads(body)
        return f"{error.get('errorType', fallback)}: {str(error.get('errorMessage', ''))[:200]}"
    except (ValueError, AttributeError):
        return fallback


class QueuePoller(threading.Thread):
    """Delivers one queue's messages to its consumer, batch by batch."""

    def __init__(self, consumer: QueueConsumer, sqs, invoker: Invoker, region: str, stop: threading.Event):
        super().__init__(name=f"sqs-{consumer.queue_name}", daemon=True)
        self.consumer, self.sqs, self.invoker, self.region, self.stop = consumer, sqs, invoker, region, stop
        self.queue_url = sqs.get_queue_url(QueueName=consumer.queue_name)["QueueUrl"]
        self.queue_arn = f"arn:aws:sqs:{region}:{ACCOUNT_ID}:{consumer.queue_name}"

    def run(self) -> None:
        while not self.stop.is_set():
            if not self.invoker.reachable():
                self.stop.wait(2)
                continue
            try:
                messages = self.receive_batch()
                if messages:
                    self.deliver(messages)
            except Exception as error:  # keep pumping through an emulator or network hiccup
                log.warning("%s: %s", self.consumer.queue_name, error)
                self.stop.wait(2)

    def receive_batch(self) -> list[dict]:
        """Up to BatchSize messages: one long poll, then more until the window closes."""
        consumer = self.consumer
        messages = self._receive(min(consumer.batch_size, 10), POLL_SECONDS)
        deadline = time.monotonic() + consumer.batching_window
        while messages and len(messages) < consumer.batch_size:
            wait = max(0, min(POLL_SECONDS, int(deadline - time.monotonic())))
            more = self._receive(min(consumer.batch_size - len(messages), 10), wait)
            if not more:
                break
            messages += more
        return messages

    def _receive(self, count: int, wait: int) -> list[dict]:
        response = self.sqs.receive_message(
            QueueUrl=self.queue_url,
            MaxNumberOfMessages=count,
            WaitTimeSeconds=wait,
            MessageSystemAttributeNames=["All"],
            MessageAttributeNames=["All"],
        )
        return response.get("Messages", [])

    def deliver(self, messages: list[dict]) -> None:
        consumer = self.consumer
        event = {"Records": [self.record(message) for message in messages]}
        started = time.monotonic()
        try:
            ok, result = self.invoker.invoke(consumer.binary, event, consumer.timeout)
        except OSError as error:
            # The pump's failure, not the function's: hand the messages straight back.
            self.sqs.change_message_visibility_batch(
                QueueUrl=self.queue_url,
                Entries=[
                    {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"], "VisibilityTimeout": 0}
                    for i, m in enumerate(messages)
                ],
            )
            log.warning("%s -> %s: invoke failed (%s); %d returned to the queue", consumer.queue_name, consumer.binary, error, len(messages))
            return
        elapsed_ms = int((time.monotonic() - started) * 1000)

        failed = self.failed_ids(messages, ok, result)
        done = [m for m in messages if m["MessageId"] not in failed]
        for start in range(0, len(done), 10):
            chunk = done[start : start + 10]
            self.sqs.delete_message_batch(
                QueueUrl=self.queue_url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(chunk)],
            )

        outcome = "" if ok else f" ({result})"
        log.info(
            "%s -> %s: %d messages, %d failed, %d ms%s",
            consumer.queue_name, consumer.binary, len(messages), len(failed), elapsed_ms, outcome,
        )

    def failed_ids(self, messages: list[dict], ok: bool, result) -> set[str]:
        """Ids to leave on the queue, by Lambda's partial-batch rules."""
        every_id = {m["MessageId"] for m in messages}
        if not ok:
            return every_id
        if not self.consumer.reports_item_failures or not isinstance(result, dict):
            return set()

        failures = result.get("batchItemFailures") or []
        ids = {f.get("itemIdentifier") if isinstance(f, dict) else None for f in failures}
        if not ids <= every_id:
            # An empty or unknown identifier fails the whole batch.
            return every_id
        return ids

    def record(self, message: dict) -> dict:
        """One SQS record of a Lambda event."""
        return {
            "messageId": message["MessageId"],
            "receiptHandle": message["ReceiptHandle"],
            "body": message.get("Body", ""),
            "attributes": message.get("Attributes", {}),
            "messageAttributes": {
                name: _lambda_message_attribute(value) for name, value in message.get("MessageAttributes", {}).items()
            },
            "md5OfBody": message.get("MD5OfBody"),
            "eventSource": "aws:sqs",
            "eventSourceARN": self.queue_arn,
            "awsRegion": self.region,
        }


def _lambda_message_attribute(value: dict) -> dict:
    attribute = {
        "stringListValues": value.get("StringListValues", []),
        "binaryListValues": [base64.b64encode(b).decode() for b in value.get("BinaryListValues", [])],
        "dataType": value["DataType"],
    }
    if "StringValue" in value:
        attribute["stringValue"] = value["StringValue"]
    if "BinaryValue" in value:
        attribute["binaryValue"] = base64.b64encode(value["BinaryValue"]).decode()
    return attribute


class Ticker(threading.Thread):
    """Fires one schedule at its rate."""

    def __init__(self, schedule: Schedule, invoker: Invoker, region: str, stop: threading.Event, first_now: bool):
        super().__init__(name=f"schedule-{schedule.function}-{schedule.event}", daemon=True)
        self.schedule, self.invoker, self.region, self.stop, self.first_now = schedule, invoker, region, stop, first_now

    def run(self) -> None:
        next_tick = time.monotonic() + (0 if self.first_now else self.schedule.every_seconds)
        while not self.stop.wait(max(0, next_tick - time.monotonic())):
            next_tick += self.schedule.every_seconds
            self.fire()

    def event(self) -> dict:
        if self.schedule.input is not None:
            return json.loads(self.schedule.input)
        return {
            "version": "0",
            "id": str(uuid.uuid4()),
            "detail-type": "Scheduled Event",
            "source": "aws.events",
            "account": ACCOUNT_ID,
            "time": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "region": self.region,
            "resources": [f"arn:aws:events:{self.region}:{ACCOUNT_ID}:rule/{self.schedule.function}{self.schedule.event}"],
            "detail": {},
        }

    def fire(self) -> None:
        schedule = self.schedule
        started = time.monotonic()
        try:
            ok, result = self.invoker.invoke(schedule.binary, self.event(), schedule.timeout)
        except OSError as error:
            log.warning("schedule %s/%s -> %s: invoke failed (%s)", schedule.function, schedule.event, schedule.binary, error)
            return
        elapsed_ms = int((time.monotonic() - started) * 1000)
        log.info(
            "schedule %s/%s -> %s: %s, %d ms",
            schedule.function, schedule.event, schedule.binary, "ok" if ok else f"failed ({result})", elapsed_ms,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--template", help="SAM template (default: $CLASSLIGHTS_TEMPLATE or infra/template.yaml)")
    parser.add_argument("--endpoint", default=os.environ.get("AWS_ENDPOINT_URL", "http://127.0.0.1:5005"))
    parser.add_argument("--region", default=os.environ.get("AWS_REGION", "eu-west-2"))
    parser.add_argument("--invoke-url", default=os.environ.get("CLASSLIGHTS_INVOKE_URL", "http://127.0.0.1:9000"))
    parser.add_argument("--first-tick-now", action="store_true", help="fire every schedule once at start")
    args = parser.parse_args()

    logging.basicConfig(level=logging.INFO, format="%(asctime)s pump: %(message)s", datefmt="%H:%M:%S")
    for noisy in ("botocore", "boto3", "urllib3"):
        logging.getLogger(noisy).setLevel(logging.WARNING)

    consumers, schedules = read_triggers(cfn.load_template(args.template))
    sqs = boto3.Session(
        aws_access_key_id=os.environ.get("AWS_ACCESS_KEY_ID", "test"),
        aws_secret_access_key=os.environ.get("AWS_SECRET_ACCESS_KEY", "test"),
        region_name=args.region,
    ).client("sqs", endpoint_url=args.endpoint)
    invoker = Invoker(args.invoke_url)
    stop = threading.Event()

    workers: list[threading.Thread] = [QueuePoller(c, sqs, invoker, args.region, stop) for c in consumers]
    workers += [Ticker(s, invoker, args.region, stop, args.first_tick_now) for s in schedules]
    for consumer in consumers:
        log.info("queue %s -> %s (batch %d)", consumer.queue_name, consumer.binary, consumer.batch_size)
    for schedule in schedules:
        log.info("schedule %s/%s -> %s every %d s", schedule.function, schedule.event, schedule.binary, schedule.every_seconds)

    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    for worker in workers:
        worker.start()
    while not stop.wait(1):
        pass
    log.info("stopping")


if __name__ == "__main__":
    main()
