"""Standard Webhooks signatures (https://www.standardwebhooks.com/) and `whsec_` secrets.

A request carries three headers: `webhook-id` (the event's id, the same on every retry, so a
receiver can drop duplicates), `webhook-timestamp` (epoch seconds of this attempt) and
`webhook-signature: v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}" with the secret>`.
Receivers verify with the `standardwebhooks` library in any language.

The signing itself is the `standardwebhooks` package's (the specification's own reference
library, MIT, no dependencies): a receiver verifying with it and us signing with it cannot
disagree about a byte. The secret is `whsec_` + base64 of 32 random bytes, as the spec shows.
"""

import base64
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime

from standardwebhooks.webhooks import Webhook

from smsgate.constants import WEBHOOK_SECRET_BYTES

SECRET_PREFIX = "whsec_"


@dataclass(frozen=True, slots=True)
class SignedRequest:
    """The headers that go with one attempt's body."""

    headers: dict[str, str] = field(repr=False)


def new_secret() -> str:
    """A new endpoint secret: `whsec_` + base64 of WEBHOOK_SECRET_BYTES random bytes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(WEBHOOK_SECRET_BYTES)).decode()


def is_secret(value: str) -> bool:
    """Whether `value` is a secret of ours (`whsec_` + base64 of 24..64 bytes)."""
    if not value.startswith(SECRET_PREFIX):
        return False
    try:
        raw = base64.b64decode(value[len(SECRET_PREFIX) :], validate=True)
    except ValueError:
        return False
    return 24 <= len(raw) <= 64


def signature(secret: str, event_id: str, timestamp: int, body: bytes) -> str:
    """The `webhook-signature` value (`v1,<base64>`) of `body` sent as `event_id` at
    `timestamp` (epoch seconds)."""
    when = datetime.fromtimestamp(timestamp, UTC)
    return Webhook(secret).sign(msg_id=event_id, timestamp=when, data=body)


def signed_headers(secret: str, event_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """Every header of one signed webhook request (content type included)."""
    return {
        "webhook-id": event_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature(secret, event_id, timestamp, body),
        "content-type": "application/json",
    }
