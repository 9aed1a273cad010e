"""schemathesis hooks of .ci/api-contract.

A client does what the API asks of it: a new Idempotency-Key for every logical operation.
schemathesis draws keys from the header's schema, so two requests often carry the same short
key ("0") with different bodies, which the server rightly refuses (422
`idempotency_key_reused`). Every key that is valid by the document is replaced with a fresh
UUID; a key that is not (a negative case about the header itself) is sent as drawn.
"""

import re
import uuid

import schemathesis

HEADER = "Idempotency-Key"
VISIBLE_ASCII = re.compile(r"[!-~]{1,255}")


@schemathesis.hook
def before_call(ctx, case, **kwargs):
    key = (case.headers or {}).get(HEADER)
    if isinstance(key, str) and VISIBLE_ASCII.fullmatch(key):
        case.headers[HEADER] = str(uuid.uuid4())
