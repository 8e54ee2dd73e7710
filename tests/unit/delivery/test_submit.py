"""build_parts: from a stored message to its submit_sm PDUs."""

import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsgate.config import SmppConnectionConfig
from smsgate.constants import DATA_CODING_GSM7, DATA_CODING_UCS2, ESM_CLASS_UDHI
from smsgate.delivery.submit import build_parts, relative_validity, source_address
from smsgate.domain.encoding import (
    encode_part,
    gsm7_encode,
    segment,
    split_udh,
    ucs2_encode,
)
from smsgate.domain.model import Message
from smsgate.domain.sms_parts import concat_reference as reference


def config(**overrides: object) -> SmppConnectionConfig:
    values: dict[str, object] = {
        "name": "c",
        "host": "127.0.0.1",
        "port": 2775,
        "system_id": "s",
        "password": "p",
    }
    values.update(overrides)
    return SmppConnectionConfig(**values)  # type: ignore[arg-type]


def outbound(
    text: str = "hello",
    *,
    code: str = "12345",
    done: frozenset[int] = frozenset(),
    message_id: str = "01HZX0000000000000000000AA",
) -> Message:
    segmented = segment(text)
    return Message(
        id=message_id,
        realm_id=1,
        sender_code=code,
        phone="12065550100",
        text=text,
        encoding=segmented.encoding.value,
        parts=segmented.count,
        created_at=0.0,
        done_parts=done,
    )


@pytest.mark.parametrize(
    ("code", "ton", "npi"),
    [
        ("12345", 3, 0),  # short code: network specific
        ("12345678", 3, 0),  # longest short code
        ("12065550199", 1, 1),  # long number: international, ISDN
        ("ACME", 5, 0),  # alphanumeric
        ("Shop24", 5, 0),
    ],
)
def test_source_ton_npi_follow_the_kind_of_code(code: str, ton: int, npi: int) -> None:
    assert source_address(code, config()) == (ton, npi)
    [part] = build_parts(outbound(code=code), config())
    assert (part.pdu.source_addr_ton, part.pdu.source_addr_npi, part.pdu.source_addr) == (
        ton,
        npi,
        code,
    )


def test_configured_source_ton_npi_win() -> None:
    cfg = config(source_ton=2, source_npi=9, dest_ton=0, dest_npi=0)
    [part] = build_parts(outbound(code="ACME"), cfg)
    pdu = part.pdu
    assert (pdu.source_addr_ton, pdu.source_addr_npi) == (2, 9)
    assert (pdu.dest_addr_ton, pdu.dest_addr_npi, pdu.destination_addr) == (0, 0, "12065550100")


@pytest.mark.parametrize(("wanted", "flag"), [(True, 1), (False, 0)])
def test_receipts_are_requested_as_configured(wanted: bool, flag: int) -> None:
    parts = build_parts(outbound("w" * 200), config(request_receipts=wanted))
    assert [p.pdu.registered_delivery for p in parts] == [flag, flag]


def test_single_part_gsm_and_ucs2() -> None:
    [gsm] = build_parts(outbound("Hi {you} €5"), config())
    assert (gsm.number, gsm.pdu.data_coding, gsm.pdu.esm_class) == (1, DATA_CODING_GSM7, 0)
    assert gsm.pdu.short_message == gsm7_encode("Hi {you} €5")
    [ucs2] = build_parts(outbound("Grüße 👋"), config())
    assert (ucs2.pdu.data_coding, ucs2.pdu.esm_class) == (DATA_CODING_UCS2, 0)
    assert ucs2.pdu.short_message == ucs2_encode("Grüße 👋")


def test_multipart_has_a_udh_with_one_stable_reference() -> None:
    message = outbound("m" * 400)
    parts = build_parts(message, config())
    ref = reference(message.id)
    assert [p.number for p in parts] == [1, 2, 3]
    for p in parts:
        assert p.pdu.esm_class == ESM_CLASS_UDHI
        assert p.pdu.short_message[:6] == bytes((5, 0, 3, ref, 3, p.number))
        text = segment(message.text).parts[p.number - 1]
        assert split_udh(p.pdu.short_message)[1] == gsm7_encode(text)
    assert build_parts(message, config()) == parts  # the same PDUs when sent again
    assert 0 <= ref <= 0xFF


def test_parts_accepted_before_a_restart_are_left_out() -> None:
    message = outbound("q" * 400, done=frozenset({1, 3}))
    [part] = build_parts(message, config())
    assert part.number == 2
    assert part.pdu.short_message[:6] == bytes((5, 0, 3, reference(message.id), 3, 2))
    assert build_parts(outbound("q" * 400, done=frozenset({1, 2, 3})), config()) == []


@given(st.text(alphabet=st.sampled_from("ab {}€[~^ÄéÑ😀\n"), min_size=1, max_size=400))
def test_every_part_carries_its_segment(text: str) -> None:
    """A one-part message is sent as its whole text without segmenting it again (the count
    stored at accept time says so); longer ones part by part: both as `segment` cuts them."""
    segmented = segment(text)
    parts = build_parts(outbound(text), config())
    assert len(parts) == segmented.count
    for part, piece in zip(parts, segmented.parts, strict=True):
        sent = part.pdu.short_message
        body = sent if segmented.count == 1 else split_udh(sent)[1]
        assert body == encode_part(segmented.encoding, piece)


@pytest.mark.parametrize(
    ("seconds", "period"),
    [
        (60, "000000000100000R"),
        (3661, "000000010101000R"),
        (7 * 86400, "000007000000000R"),
    ],
)
def test_validity_is_an_smpp_relative_time(seconds: int, period: str) -> None:
    assert relative_validity(seconds) == period
    message = dataclasses.replace(outbound(), validity_seconds=seconds)
    assert [p.pdu.validity_period for p in build_parts(message, config())] == [period]


def test_no_validity_leaves_it_to_the_smsc() -> None:
    assert [p.pdu.validity_period for p in build_parts(outbound(), config())] == [""]
