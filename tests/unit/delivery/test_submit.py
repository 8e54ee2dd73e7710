"""build_parts: from a stored message to its submit_sm bodies."""

import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsgate.config import SmppConnectionConfig
from smsgate.constants import (
    DATA_CODING_GSM7,
    DATA_CODING_UCS2,
    ESM_CLASS_UDHI,
    REGISTERED_DELIVERY_FINAL,
)
from smsgate.delivery.submit import Part, build_parts, relative_validity, source_address
from smsgate.domain.encoding import (
    encode_part,
    gsm7_encode,
    segment,
    split_udh,
    ucs2_encode,
)
from smsgate.domain.model import Message
from smsgate.domain.sms_parts import concat_reference as reference
from smsgate.domain.sms_parts import encode_message
from smsgate.smpp.encoder import request_frame
from smsgate.smpp.pdu import CommandId, SubmitSm, decode, encode

# The GSM 03.38 alphabet (basic table and extension), as tests/unit/domain/test_encoding.py
GSM_ALPHABET = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà\f^{}\\[~]|€"
)


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
    phone: str = "12065550100",
    validity: int | None = None,
) -> Message:
    segmented = segment(text)
    return Message(
        id=message_id,
        realm_id=1,
        sender_code=code,
        phone=phone,
        text=text,
        encoding=segmented.encoding.value,
        parts=segmented.count,
        created_at=0.0,
        done_parts=done,
        validity_seconds=validity,
    )


def read(part: Part) -> SubmitSm:
    """A part's submit_sm, decoded from the frame a session would send."""
    pdu = decode(request_frame(CommandId.SUBMIT_SM, 1, part.body))
    assert isinstance(pdu, SubmitSm)
    return pdu


def pdus(message: Message, cfg: SmppConnectionConfig | None = None) -> list[SubmitSm]:
    return [read(part) for part in build_parts(message, cfg or config())]


def general(message: Message, cfg: SmppConnectionConfig) -> list[Part]:
    """The general way, which `build_parts` takes for multipart messages and short-cuts for
    one part: `segment` and `encode_message` cut and encode the text again, every field goes
    into a SubmitSm, and `encode` encodes it."""
    encoded = encode_message(message.text, reference(message.id))
    ton, npi = source_address(message.sender_code, cfg)
    seconds = message.validity_seconds
    return [
        Part(
            part.number,
            encode(
                SubmitSm(
                    source_addr_ton=ton,
                    source_addr_npi=npi,
                    source_addr=message.sender_code,
                    dest_addr_ton=cfg.dest_ton,
                    dest_addr_npi=cfg.dest_npi,
                    destination_addr=message.phone,
                    esm_class=ESM_CLASS_UDHI if part.udhi else 0,
                    registered_delivery=REGISTERED_DELIVERY_FINAL if cfg.request_receipts else 0,
                    validity_period=relative_validity(seconds) if seconds else "",
                    data_coding=encoded.data_coding,
                    short_message=part.payload,
                )
            )[16:],  # the body: past the header
        )
        for part in encoded.parts
        if part.number not in message.done_parts
    ]


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
    [pdu] = pdus(outbound(code=code))
    assert (pdu.source_addr_ton, pdu.source_addr_npi, pdu.source_addr) == (ton, npi, code)


def test_configured_source_ton_npi_win() -> None:
    cfg = config(source_ton=2, source_npi=9, dest_ton=0, dest_npi=0)
    [pdu] = pdus(outbound(code="ACME"), cfg)
    assert (pdu.source_addr_ton, pdu.source_addr_npi) == (2, 9)
    assert (pdu.dest_addr_ton, pdu.dest_addr_npi, pdu.destination_addr) == (0, 0, "12065550100")


@pytest.mark.parametrize(("wanted", "flag"), [(True, 1), (False, 0)])
def test_receipts_are_requested_as_configured(wanted: bool, flag: int) -> None:
    for text in ("w", "w" * 200):  # one part, and two
        sent = pdus(outbound(text), config(request_receipts=wanted))
        assert [p.registered_delivery for p in sent] == [flag] * len(sent)


def test_single_part_gsm_and_ucs2() -> None:
    [gsm] = build_parts(outbound("Hi {you} €5"), config())
    pdu = read(gsm)
    assert (gsm.number, pdu.data_coding, pdu.esm_class) == (1, DATA_CODING_GSM7, 0)
    assert pdu.short_message == gsm7_encode("Hi {you} €5")
    assert (pdu.destination_addr, pdu.dest_addr_ton, pdu.dest_addr_npi) == ("12065550100", 1, 1)
    [ucs2] = pdus(outbound("Grüße 👋"))
    assert (ucs2.data_coding, ucs2.esm_class) == (DATA_CODING_UCS2, 0)
    assert ucs2.short_message == ucs2_encode("Grüße 👋")


def test_multipart_has_a_udh_with_one_stable_reference() -> None:
    message = outbound("m" * 400)
    parts = build_parts(message, config())
    ref = reference(message.id)
    assert [p.number for p in parts] == [1, 2, 3]
    for p in parts:
        pdu = read(p)
        assert pdu.esm_class == ESM_CLASS_UDHI
        assert pdu.short_message[:6] == bytes((5, 0, 3, ref, 3, p.number))
        text = segment(message.text).parts[p.number - 1]
        assert split_udh(pdu.short_message)[1] == gsm7_encode(text)
    assert build_parts(message, config()) == parts  # the same PDUs when sent again
    assert 0 <= ref <= 0xFF


def test_parts_accepted_before_a_restart_are_left_out() -> None:
    message = outbound("q" * 400, done=frozenset({1, 3}))
    [part] = build_parts(message, config())
    assert part.number == 2
    assert read(part).short_message[:6] == bytes((5, 0, 3, reference(message.id), 3, 2))
    assert build_parts(outbound("q" * 400, done=frozenset({1, 2, 3})), config()) == []
    assert build_parts(outbound("one part", done=frozenset({1})), config()) == []


@given(st.text(alphabet=st.sampled_from("ab {}€[~^ÄéÑ😀\n"), min_size=1, max_size=400))
def test_every_part_carries_its_segment(text: str) -> None:
    """A one-part message is sent as its whole text without segmenting it again (the count
    stored at accept time says so); longer ones part by part: both as `segment` cuts them."""
    segmented = segment(text)
    parts = build_parts(outbound(text), config())
    assert len(parts) == segmented.count
    for part, piece in zip(parts, segmented.parts, strict=True):
        sent = read(part).short_message
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
    assert [p.validity_period for p in pdus(message)] == [period]


def test_no_validity_leaves_it_to_the_smsc() -> None:
    assert [p.validity_period for p in pdus(outbound())] == [""]


configs = st.builds(
    config,
    request_receipts=st.booleans(),
    source_ton=st.integers(-1, 6),
    source_npi=st.integers(0, 18),
    dest_ton=st.integers(0, 6),
    dest_npi=st.integers(0, 18),
)
codes = st.sampled_from(["12345", "12345678", "12065550199", "ACME", "Shop24"])
phones = st.from_regex(r"\A[0-9]{1,20}\Z")
validities = st.none() | st.integers(1, 120 * 86400)


@given(
    st.text(alphabet=GSM_ALPHABET, min_size=1, max_size=160).filter(
        lambda t: segment(t).count == 1
    ),
    configs,
    codes,
    phones,
    validities,
)
def test_one_gsm7_part_is_sent_as_the_general_way_sends_it(
    text: str, cfg: SmppConnectionConfig, code: str, phone: str, validity: int | None
) -> None:
    """The common case takes the short way (no segmenting, no records, no SubmitSm): the
    same bytes, to the octet, as the general way."""
    message = outbound(text, code=code, phone=phone, validity=validity)
    assert message.parts == 1
    assert build_parts(message, cfg) == general(message, cfg)


@given(
    st.text(alphabet=st.sampled_from("ab {}€[~^ÄéÑ😀\n"), min_size=1, max_size=400),
    configs,
    codes,
    phones,
    validities,
)
def test_every_message_is_sent_as_the_general_way_sends_it(
    text: str, cfg: SmppConnectionConfig, code: str, phone: str, validity: int | None
) -> None:
    """One part or many, GSM 03.38 or UCS-2."""
    message = outbound(text, code=code, phone=phone, validity=validity)
    assert build_parts(message, cfg) == general(message, cfg)


@pytest.mark.parametrize("phone", ["1" * 21, "12\x0034"])
def test_an_address_that_does_not_fit_raises_as_the_encoder_does(phone: str) -> None:
    for text in ("one part", "m" * 400):
        message = outbound(text, phone=phone)
        with pytest.raises(ValueError, match="destination_addr"):
            general(message, config())
        with pytest.raises(ValueError, match="destination_addr"):
            build_parts(message, config())
