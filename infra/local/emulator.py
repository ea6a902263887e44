#!/usr/bin/env python3
"""The local AWS emulator: moto's server, with two repairs to its DynamoDB.

moto serves each request on its own thread, but its DynamoDB backend is not safe
under concurrency: a TransactWriteItems copies the table for rollback while another
request writes to it, and fails with "dictionary changed size during iteration"
(an HTTP 500) when two functions write to one table at once. Real DynamoDB has no
such limit, so this server serialises DynamoDB requests and leaves every other
service (SQS long polls above all) concurrent.

moto also deep-copies the whole table for every write of a transaction, to roll
back on failure, so logging a class of 30 (91 writes) copies the table 91 times,
in time and in memory it keeps. One copy per table, taken before the first
write, rolls back just as well: this server takes that one.

    emulator.py [--host 127.0.0.1] [--port 5005]
"""

from __future__ import annotations

import argparse
import copy
import os
import signal
import sys
import threading

from moto.dynamodb import models as dynamodb_models
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


class CopyOncePerTransaction:
    """Stands in for the `copy` module inside moto's DynamoDB models: within one
    TransactWriteItems, a value is deep-copied once and that copy is reused."""

    def __init__(self):
        self.local = threading.local()

    def __getattr__(self, name):
        return getattr(copy, name)

    def deepcopy(self, value, memo=None):
        copies = getattr(self.local, "copies", None)
        if copies is None:
            return copy.deepcopy(value, memo)
        # The original is kept beside its copy so that its id cannot be reused
        # by another object while the transaction runs.
        original, copied = copies.get(id(value), (None, None))
        if original is not value:
            copied = copy.deepcopy(value, memo)
            copies[id(value)] = (value, copied)
        return copied

    def around(self, transact_write_items):
        def once_per_transaction(backend, *args, **kwargs):
            self.local.copies = {}
            try:
                return transact_write_items(backend, *args, **kwargs)
            finally:
                self.local.copies = None

        return once_per_transaction


def copy_tables_once_per_transaction() -> None:
    copier = CopyOncePerTransaction()
    dynamodb_models.copy = copier
    backend = dynamodb_models.DynamoDBBackend
    backend.transact_write_items = copier.around(backend.transact_write_items)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5005)
    args = parser.parse_args()

    os.environ.setdefault("MOTO_PORT", str(args.port))
    copy_tables_once_per_transaction()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    app = DomainDispatcherApplication(create_backend_app)
    run_simple(
        args.host,
        args.port,
        OneDynamoDbRequestAtATime(app),
        threaded=True,
        request_handler=MotoRequestHandler,
    )


if __name__ == "__main__":
    main()
