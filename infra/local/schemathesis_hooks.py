"""Schemathesis hooks for the API contract test against `cargo lambda watch`.

They work around two faults of the local emulator that API Gateway does not
have, so that the contract test fails only for faults of the API itself:

- A request that says `Content-Type: application/json` with a body that is
  not UTF-8 never reaches the function: the emulator answers 500 itself.
  (API Gateway passes such a body on, and the function answers 400.)
- Now and then the emulator loses a large response the function did send,
  and answers 500 itself. That request is sent once more.

Both emulator answers are `text/plain` with the body below; the function never
answers like that, so no fault of the API is hidden.
"""

import requests
import schemathesis
from schemathesis.core.transport import Response

EMULATOR_ERROR = b'"type":"https://httpstatuses.com/500"'


@schemathesis.hook
def filter_body(context, body):
    if isinstance(body, (bytes, bytearray)):
        try:
            bytes(body).decode("utf-8")
        except UnicodeDecodeError:
            return False
    return True


@schemathesis.hook
def after_call(context, case, response):
    content_type = ",".join(response.headers.get("content-type", []))
    if response.status_code != 500 or not content_type.startswith("text/plain"):
        return
    if EMULATOR_ERROR not in response.content:
        return
    with requests.Session() as session:
        again = Response.from_requests(session.send(response.request, timeout=30), verify=True)
    for name in Response.__slots__:
        if name != "_override":
            setattr(response, name, getattr(again, name))
