"""submit_sm_body and request_frame: the gateway's submit_sm without the dataclass, octet for
octet what `encode(SubmitSm(...))` writes, and the same errors."""

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsgate.smpp.encoder import request_frame, submit_sm_body
from smsgate.smpp.pdu import CommandId, SubmitSm, encode

FIELDS = (
    "source_addr_ton",
    "source_addr_npi",
    "source_addr",
    "dest_addr_ton",
    "dest_addr_npi",
    "destination_addr",
    "esm_class",
    "registered_delivery",
    "validity_period",
    "data_coding",
    "short_message",
)
octets = st.integers(0, 255)
addresses = st.text(st.characters(max_codepoint=0xFF), max_size=21)  # up to one too long
fields = st.fixed_dictionaries(
    {
        "source_addr_ton": octets,
        "source_addr_npi": octets,
        "source_addr": addresses,
        "dest_addr_ton": octets,
        "dest_addr_npi": octets,
        "destination_addr": addresses,
        "esm_class": octets,
        "registered_delivery": octets,
        "validity_period": st.sampled_from(["", "000001000000000R", "x" * 17]),
        "data_coding": octets,
        "short_message": st.binary(max_size=255),
    }
)


def body(values: dict[str, Any]) -> bytes:
    return submit_sm_body(*(values[name] for name in FIELDS))


def encoded(values: dict[str, Any]) -> bytes | str:
    """`encode`'s body, or the text of the ValueError it raises."""
    try:
        return encode(SubmitSm(**values))[16:]
    except ValueError as exc:
        return str(exc)


@given(fields)
def test_the_body_is_what_encode_writes_after_the_header(values: dict[str, Any]) -> None:
    expected = encoded(values)
    if isinstance(expected, str):
        with pytest.raises(ValueError) as raised:
            body(values)
        assert str(raised.value) == expected
    else:
        assert body(values) == expected


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("source_addr", "A" * 21),
        ("destination_addr", "1\x002"),
        ("validity_period", "0" * 17),
        ("short_message", b"x" * 255),
        ("esm_class", 256),
        ("data_coding", -1),
        ("source_addr", "\u20ac"),  # not latin-1
    ],
)
def test_a_field_that_does_not_fit_raises_as_encode_does(name: str, value: object) -> None:
    values: dict[str, Any] = {
        "source_addr_ton": 1,
        "source_addr_npi": 1,
        "source_addr": "12345",
        "dest_addr_ton": 1,
        "dest_addr_npi": 1,
        "destination_addr": "12065550100",
        "esm_class": 0,
        "registered_delivery": 1,
        "validity_period": "",
        "data_coding": 0,
        "short_message": b"hello",
    }
    values[name] = value
    with pytest.raises(ValueError) as expected:
        encode(SubmitSm(**values))
    with pytest.raises(ValueError) as raised:
        body(values)
    assert (type(raised.value), str(raised.value)) == (type(expected.value), str(expected.value))


@given(fields, st.integers(1, 0x7FFFFFFF))
def test_a_request_frame_is_the_header_and_the_body(values: dict[str, Any], seq: int) -> None:
    if isinstance(encoded(values), str):
        return
    pdu = SubmitSm(**values)
    assert request_frame(CommandId.SUBMIT_SM, seq, body(values)) == encode(pdu, seq)
