"""The message resource: field names, RFC 3339 times, events with only their own fields."""

from datetime import datetime

from hypothesis import given
from hypothesis import strategies as st
from pydantic import TypeAdapter

from smsgate.domain import message_events as history
from smsgate.domain.message_resource import (
    MessageWithEvents,
    message_resource,
    message_with_events,
    rfc3339,
    smsc_date,
)
from smsgate.domain.model import Message

MESSAGE = Message(
    id="01JEXAMPLE0000000000000000",
    realm_id=1,
    sender_code="120162701555",
    phone="12065551212",
    text="Hi",
    encoding="gsm7",
    parts=1,
    created_at=1_796_456_000.5,
    status="sent",
    updated_at=1_796_456_001.25,
    client_ref="order-17",
)


def test_the_resource_names_the_integrator_fields() -> None:
    assert message_resource(MESSAGE) == {
        "id": "01JEXAMPLE0000000000000000",
        "to": "12065551212",
        "from": "120162701555",
        "text": "Hi",
        "encoding": "gsm7",
        "parts": 1,
        "status": "sent",
        "error": None,
        "client_ref": "order-17",
        "validity_seconds": None,
        "created_at": "2026-12-05T07:33:20.500Z",
        "updated_at": "2026-12-05T07:33:21.250Z",
    }


def test_events_carry_only_their_fields_and_validate_as_the_documented_type() -> None:
    events = [
        history.accepted(MESSAGE.id, MESSAGE.created_at),
        history.submitted(MESSAGE.id, 1_796_456_001.0, 1, "abc"),
        history.receipt(
            MESSAGE.id,
            1_796_456_002.0,
            part=1,
            smsc_message_id="abc",
            stat="delivered",
            err="000",
            done_date="2612050653",
        ),
    ]
    body = message_with_events(MESSAGE, events)
    assert body["events"][0] == {"type": "accepted", "at": "2026-12-05T07:33:20.500Z"}
    assert body["events"][1]["smpp_status"] == 0
    assert body["events"][2]["done_date"] == "2026-12-05T06:53:00"
    TypeAdapter(MessageWithEvents).validate_python(body)


@given(st.floats(min_value=0, max_value=4_102_444_800, allow_nan=False))
def test_rfc3339_reads_back_as_the_same_instant(seconds: float) -> None:
    text = rfc3339(seconds)
    assert text.endswith("Z")
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    assert abs(parsed.timestamp() - seconds) < 0.001


def test_smsc_dates_with_and_without_seconds_and_garbage() -> None:
    assert smsc_date("261205065345") == "2026-12-05T06:53:45"
    assert smsc_date("2612050653") == "2026-12-05T06:53:00"
    assert smsc_date("yesterday") == "yesterday"
