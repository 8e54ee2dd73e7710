"""Routing a sender code to its SMPP connection."""

import pytest

from smsgate.domain.model import SenderCode
from smsgate.domain.routing import route


def _sender(connection: str | None) -> SenderCode:
    return SenderCode(realm_id=1, code="12345", connection=connection, max_tps=None)


@pytest.mark.parametrize(
    ("sender", "default", "expected"),
    [
        (_sender("a"), "b", "a"),  # its own connection wins
        (_sender(None), "b", "b"),  # none of its own: the default
        (_sender(""), "b", "b"),  # an empty name is no name
        (None, "b", "b"),  # an unknown sender code: the default
        (_sender(None), None, None),  # no default either: no route
        (_sender(""), "", None),
        (None, None, None),
    ],
)
def test_route(sender: SenderCode | None, default: str | None, expected: str | None) -> None:
    assert route(sender, default) == expected
