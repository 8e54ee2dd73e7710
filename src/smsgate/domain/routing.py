"""Routing: which SMPP connection carries a sender code's messages.

The store filters claims by route in SQL (`store.routing.route_sql`); a test proves that
expression equal to `route` (tests/integration/store/test_routing.py), empty names included.
"""

from smsgate.domain.model import SenderCode


def route(sender: SenderCode | None, default: str | None) -> str | None:
    """The connection's name: the sender code's own, else `default`; None when neither names
    one (an empty name is no name)."""
    if sender is not None and sender.connection:
        return sender.connection
    return default or None
