#!/usr/bin/env python3
"""The local AWS emulator: moto's server, with DynamoDB requests taken one at a time.

moto serves each request on its own thread, but its DynamoDB backend is not safe
under concurrency: a TransactWriteItems copies the table for rollback while another
request writes to it, and fails with "dictionary changed size during iteration"
(an HTTP 500) when two functions write to one table at once. Real DynamoDB has no
such limit, so this server serialises DynamoDB requests and leaves every other
service (SQS long polls above all) concurrent.

    emulator.py [--host 127.0.0.1] [--port 5005]
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5005)
    args = parser.parse_args()

    os.environ.setdefault("MOTO_PORT", str(args.port))
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
