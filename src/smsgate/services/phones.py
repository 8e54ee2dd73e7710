"""A phone number as a person types it (CLI, console, API parameters), made the gateway's key.

The rules are `domain.phone`'s; this turns their refusal into `InvalidInput` so every door
reports a bad number the same way, and allows the leading "+" people write.
"""

from smsgate.domain.phone import normalise_phone, phone_error
from smsgate.services.errors import InvalidInput


def parse_phone(raw: str, region: str) -> str:
    """`raw` validated and normalised (E.164 digits without "+"); InvalidInput if it is not
    a phone number."""
    bare = raw.strip().removeprefix("+")
    reason = phone_error(bare)
    if reason is not None:
        raise InvalidInput(f"{reason}: {raw!r}")
    return normalise_phone(bare, region)
