"""The /v1 webhook resources and what a request may name: ids that cannot be ids, event types
named exactly, the secret only in a new endpoint's resource."""

import pytest

from smsgate.domain.history import MAX_SERIAL_ID as MAX_DELIVERY_ID
from smsgate.domain.webhook import (
    ALL_EVENTS,
    Delivery,
    DeliveryStatus,
    Endpoint,
    EndpointState,
    EventType,
    UnknownEventType,
)
from smsgate.domain.webhook_resource import (
    delivery_resource,
    endpoint_resource,
    is_endpoint_id,
    new_endpoint_resource,
    parse_delivery_id,
    requested_events,
)

ENDPOINT = Endpoint(
    id="ep_0123456789abcdef",
    realm_id=1,
    url="https://example.com/h",
    events=(EventType.MESSAGE_STATUS,),
    secret="whsec_c2VjcmV0",
    state=EndpointState.FAILING,
    created_at=0.0,
    failing_since=1.5,
)


def test_the_secret_is_in_a_new_endpoints_resource_only() -> None:
    shown = endpoint_resource(ENDPOINT)
    assert shown == {
        "id": "ep_0123456789abcdef",
        "url": "https://example.com/h",
        "events": ["message.status"],
        "state": "failing",
        "created_at": "1970-01-01T00:00:00.000Z",
        "failing_since": "1970-01-01T00:00:01.500Z",
    }
    assert new_endpoint_resource(ENDPOINT) == {**shown, "secret": "whsec_c2VjcmV0"}
    assert "whsec" not in repr(ENDPOINT)


def test_a_delivery_resource_has_rfc3339_times_or_null() -> None:
    delivery = Delivery(
        7, "evt_1", "message.status", ENDPOINT.id, DeliveryStatus.FAILED, 3, 0.0, None, 2.0,
        500, "HTTP 500", None,
    )  # fmt: skip
    shown = delivery_resource(delivery)
    assert (shown["id"], shown["status"], shown["attempts"]) == (7, "failed", 3)
    assert (shown["next_attempt_at"], shown["delivered_at"]) == (None, None)
    assert shown["last_attempt_at"] == "1970-01-01T00:00:02.000Z"


@pytest.mark.parametrize(
    ("text", "valid"),
    [
        ("ep_0123456789abcdef", True),
        ("ep_0123456789ABCDEF", False),
        ("ep_0123456789abcde", False),
        ("ep_0123456789abcdef ", False),
        ("ep_0123456789abcdef\n", False),
        ("ep_\x00", False),
        ("", False),
    ],
)
def test_endpoint_ids(text: str, valid: bool) -> None:
    assert is_endpoint_id(text) is valid


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("1", 1),
        (str(MAX_DELIVERY_ID), MAX_DELIVERY_ID),
        (str(MAX_DELIVERY_ID + 1), None),
        ("9" * 40, None),
        ("0", None),
        ("01", None),
        ("-1", None),
        ("+1", None),
        (" 1", None),
        ("1.0", None),
        ("\u0663", None),  # an Arabic-Indic three: a digit to str.isdigit, not to us
        ("\u00b2", None),
        ("", None),
    ],
)
def test_delivery_ids(text: str, number: int | None) -> None:
    assert parse_delivery_id(text) == number


def test_event_types_are_named_exactly() -> None:
    assert requested_events(None) == ALL_EVENTS
    assert requested_events(["optout.changed", "message.status", "optout.changed"]) == (
        EventType.OPTOUT_CHANGED,
        EventType.MESSAGE_STATUS,
    )
    for names in (["message.sent"], [""], ["message.status,optout.changed"], ["webhook.test"]):
        with pytest.raises(UnknownEventType, match="unknown event type"):
            requested_events(names)
