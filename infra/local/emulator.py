#!/usr/bin/env python3
"""The local AWS emulator: moto's server, with two repairs to its DynamoDB.

moto serves each request on its own thread, but its DynamoDB backend is not safe
under concurrency: a TransactWriteItems copies the table for rollback while another
request writes to it, and fails with "dictionary changed size during iteration"
(an HTTP 500) when two functions write to one table at once. Real DynamoDB has no
such limit, so this server serialises DynamoDB requests and leaves every other
service (SQS long polls above all) concurrent.

moto also deep-copies the whole table for every write of a transaction, to roll
back on failure, and keeps every copy: logging a class of 30 (91 writes) copies
the table 91 times, and a long test run slows to a crawl. This server copies
only the items a transaction touches, and puts them back if it fails.

For tests and the dev stack it also answers `GET /_local/sent-mail?to=ADDRESS`:
the emails SES accepted for one address, oldest first, as JSON. moto's own
`/moto-api/data.json` holds the same but dumps every table of every test with it,
which grows slow and large over a test run.

    emulator.py [--host 127.0.0.1] [--port 5005]
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import signal
import sys
import threading

from moto.dynamodb import models as dynamodb_models
from moto.dynamodb.models.dynamo_type import DynamoType
from moto.dynamodb.models.table import Table
from moto.ses.models import ses_backends
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import run_simple


class OneDynamoDbRequestAtATime:
    """WSGI middleware: requests whose X-Amz-Target names DynamoDB hold one lock."""

    def __init__(self, app):
        self.app = app
        self.lock = threading.Lock()

    def __call__(self, environ, start_response):
        if not environ.get("HTTP_X_AMZ_TARGET", "").startswith("DynamoDB"):
            return self.app(environ, start_response)
        with self.lock:
            return list(self.app(environ, start_response))


class SentMail:
    """WSGI middleware: `GET /_local/sent-mail?to=ADDRESS` lists what SES sent there."""

    PATH = "/_local/sent-mail"

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        if environ.get("PATH_INFO") != self.PATH:
            return self.app(environ, start_response)
        from urllib.parse import parse_qs

        wanted = parse_qs(environ.get("QUERY_STRING", "")).get("to", [""])[0].lower()
        sent = []
        for account in ses_backends.values():
            for backend in account.values():
                for message in backend.sent_messages:
                    destinations = message.destinations
                    if isinstance(destinations, dict):
                        destinations = [a for field in destinations.values() for a in field]
                    if wanted not in (a.lower() for a in destinations or []):
                        continue
                    if hasattr(message, "raw_data"):
                        sent.append({"raw": message.raw_data})
                    elif hasattr(message, "body"):
                        sent.append({"subject": message.subject, "body": message.body})
        body = json.dumps(sent).encode()
        start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
        return [body]


class TransactionsThatCopyOnlyTheirItems:
    """Rolls a failed TransactWriteItems back by putting back the items it
    touched, instead of moto's deep copy of every table it names. moto keeps
    every model object it ever made (for its reset), so those table copies also
    pile up in memory, and the server slows down as a test run goes on."""

    def __init__(self):
        self.local = threading.local()

    # Stands in for the `copy` module inside moto's DynamoDB models.
    def __getattr__(self, name):
        return getattr(copy, name)

    def deepcopy(self, value, memo=None):
        if getattr(self.local, "in_transaction", False) and isinstance(value, Table):
            return value
        return copy.deepcopy(value, memo)

    def install(self) -> None:
        dynamodb_models.copy = self
        backend = dynamodb_models.DynamoDBBackend
        moto_transact = backend.transact_write_items

        def transact_write_items(dynamodb, transact_items, *args, **kwargs):
            before = self.touched_items(dynamodb, transact_items)
            self.local.in_transaction = True
            try:
                return moto_transact(dynamodb, transact_items, *args, **kwargs)
            except Exception:
                self.put_back(before)
                raise
            finally:
                self.local.in_transaction = False

        backend.transact_write_items = transact_write_items

    @staticmethod
    def touched_items(dynamodb, transact_items):
        """(table, hash key, range key, a copy of the item or None) for each write."""
        before = []
        for entry in transact_items:
            if len(entry) != 1:
                continue
            (_, op), = entry.items()
            table = dynamodb.tables.get(op.get("TableName"))
            key = op.get("Key") or op.get("Item")
            if table is None or not isinstance(key, dict) or table.hash_key_attr not in key:
                continue
            hash_key = DynamoType(key[table.hash_key_attr])
            range_key = None
            if table.range_key_attr is not None:
                if table.range_key_attr not in key:
                    continue
                range_key = DynamoType(key[table.range_key_attr])
            current = table.get_item(hash_key, range_key)
            before.append((table, hash_key, range_key, copy.deepcopy(current)))
        return before

    @staticmethod
    def put_back(before) -> None:
        for table, hash_key, range_key, item in before:
            if range_key is None:
                if item is None:
                    table.items.pop(hash_key, None)
                else:
                    table.items[hash_key] = item
            elif item is None:
                table.items[hash_key].pop(range_key, None)
            else:
                table.items[hash_key][range_key] = item


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5005)
    args = parser.parse_args()

    os.environ.setdefault("MOTO_PORT", str(args.port))
    TransactionsThatCopyOnlyTheirItems().install()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    app = DomainDispatcherApplication(create_backend_app)
    run_simple(
        args.host,
        args.port,
        SentMail(OneDynamoDbRequestAtATime(app)),
        threaded=True,
        request_handler=MotoRequestHandler,
    )


if __name__ == "__main__":
    main()
