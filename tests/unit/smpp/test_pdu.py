"""PDU codec: round trips, exact bytes, tolerant decoding and property tests."""

import contextlib
import struct
from typing import get_args

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smsgate.constants import SMPP_MAX_SHORT_MESSAGE
from smsgate.smpp.pdu import (
    TLV_MESSAGE_PAYLOAD,
    TLV_MESSAGE_STATE,
    TLV_RECEIPTED_MESSAGE_ID,
    TLV_SAR_MSG_REF_NUM,
    Bind,
    BindResp,
    CommandId,
    CommandStatus,
    DeliverSm,
    DeliverSmResp,
    EnquireLink,
    EnquireLinkResp,
    GenericNack,
    Pdu,
    PduError,
    SubmitSm,
    SubmitSmResp,
    Unbind,
    UnbindResp,
    decode,
    encode,
    get_tlv,
    response_for,
)

S = CommandStatus
EVERY_PDU: list[Pdu] = [
    Bind(
        command_id=CommandId.BIND_TRANSMITTER,
        sequence_number=1,
        system_id="smppclient1",
        password="password",
        system_type="VMA",
        addr_ton=1,
        addr_npi=1,
        address_range="^1555",
    ),
    Bind(command_id=CommandId.BIND_RECEIVER, sequence_number=2, system_id="rx"),
    Bind(command_id=CommandId.BIND_TRANSCEIVER, sequence_number=3, system_id="trx"),
    BindResp(command_id=CommandId.BIND_TRANSCEIVER_RESP, sequence_number=3, system_id="SMSC"),
    BindResp(
        command_id=CommandId.BIND_RECEIVER_RESP,
        sequence_number=4,
        system_id="SMSC",
        tlvs=((0x0210, b"\x34"),),
    ),
    BindResp(
        command_id=CommandId.BIND_TRANSMITTER_RESP,
        sequence_number=5,
        command_status=S.ESME_RINVPASWD,
    ),
    SubmitSm(
        sequence_number=6,
        service_type="CMT",
        source_addr_ton=5,
        source_addr_npi=0,
        source_addr="ACME",
        dest_addr_ton=1,
        dest_addr_npi=1,
        destination_addr="15551234567",
        esm_class=0x40,
        protocol_id=0,
        priority_flag=1,
        schedule_delivery_time="",
        validity_period="000001000000000R",
        registered_delivery=1,
        replace_if_present_flag=0,
        data_coding=8,
        sm_default_msg_id=0,
        short_message=b"\x05\x00\x03\x2a\x02\x01\x00h\x00i",
        tlvs=((TLV_SAR_MSG_REF_NUM, b"\x00\x2a"),),
    ),
    SubmitSm(sequence_number=7, short_message=b"", tlvs=((TLV_MESSAGE_PAYLOAD, b"x" * 1000),)),
    SubmitSmResp(sequence_number=6, message_id="a1b2c300"),
    SubmitSmResp(sequence_number=7, command_status=S.ESME_RTHROTTLED),
    DeliverSm(
        sequence_number=8,
        source_addr="15551234567",
        destination_addr="12345",
        esm_class=0x04,
        short_message=b"id:2712847104 sub:001 dlvrd:001 stat:DELIVRD err:000 text:hi",
        tlvs=((TLV_RECEIPTED_MESSAGE_ID, b"a1b2c300\x00"), (TLV_MESSAGE_STATE, b"\x02")),
    ),
    DeliverSmResp(sequence_number=8),
    DeliverSmResp(sequence_number=9, command_status=S.ESME_RSYSERR),
    EnquireLink(sequence_number=10),
    EnquireLinkResp(sequence_number=10),
    Unbind(sequence_number=11),
    UnbindResp(sequence_number=11),
    GenericNack(sequence_number=12, command_status=S.ESME_RINVCMDID),
]


@pytest.mark.parametrize("pdu", EVERY_PDU, ids=lambda p: type(p).__name__)
def test_round_trip(pdu: Pdu) -> None:
    frame = encode(pdu)
    assert int.from_bytes(frame[:4], "big") == len(frame)
    assert decode(frame) == pdu


def test_every_pdu_type_is_covered() -> None:
    assert {type(p) for p in EVERY_PDU} == set(get_args(Pdu))


def test_exact_bytes_of_enquire_link_and_submit_sm() -> None:
    assert encode(EnquireLink(sequence_number=1)).hex() == "00000010000000150000000000000001"
    frame = encode(SubmitSm(source_addr="1", destination_addr="2", short_message=b"hi"), 0x2A)
    body = (
        b"\x00"  # service_type
        b"\x00\x00"
        b"1\x00"  # source ton, npi, addr
        b"\x00\x00"
        b"2\x00"  # dest ton, npi, addr
        b"\x00\x00\x00"  # esm_class, protocol_id, priority_flag
        b"\x00\x00"  # schedule_delivery_time, validity_period
        b"\x00\x00\x00\x00"  # registered_delivery, replace, data_coding, default msg id
        b"\x02hi"  # sm_length, short_message
    )
    assert frame == struct.pack(">IIII", 16 + len(body), 4, 0, 0x2A) + body


def test_sequence_number_override_and_statuses_are_enums() -> None:
    frame = encode(SubmitSmResp(message_id="x", sequence_number=1), sequence_number=99)
    pdu = decode(frame)
    assert pdu.sequence_number == 99
    assert pdu.command_status is S.ESME_ROK
    vendor = decode(encode(SubmitSmResp(command_status=0x400)))
    assert vendor.command_status == 0x400 and not isinstance(vendor.command_status, S)


def test_error_responses_have_no_body() -> None:
    assert len(encode(SubmitSmResp(command_status=S.ESME_RMSGQFUL))) == 16
    assert len(encode(BindResp(command_status=S.ESME_RBINDFAIL))) == 16
    assert len(encode(SubmitSmResp(message_id=""))) == 17  # success keeps its NUL


def test_responses_decode_leniently() -> None:
    header = struct.pack(">IIII", 16 + 4, 0x80000004, 0, 5)
    assert decode(header + b"abcd") == SubmitSmResp(sequence_number=5, message_id="abcd")
    empty = struct.pack(">IIII", 16, 0x80000009, 0x0D, 1)
    resp = decode(empty)
    assert isinstance(resp, BindResp) and resp.command_status == S.ESME_RBINDFAIL
    junk_tlv = struct.pack(">IIII", 16 + 5, 0x80000002, 0, 1) + b"S\x00\x02\x10\x00"
    assert decode(junk_tlv) == BindResp(
        command_id=CommandId.BIND_TRANSMITTER_RESP, sequence_number=1, system_id="S"
    )
    extra = struct.pack(">IIII", 20, 0x80000015, 0, 3) + b"abcd"
    assert decode(extra) == EnquireLinkResp(sequence_number=3)


def _sm_frame(body: bytes, command_id: int = 4, seq: int = 77) -> bytes:
    return struct.pack(">IIII", 16 + len(body), command_id, 0, seq) + body


@pytest.mark.parametrize(
    ("frame", "status"),
    [
        (b"", S.ESME_RINVCMDLEN),
        (b"\x00\x00\x00\x10\x00\x00", S.ESME_RINVCMDLEN),
        (struct.pack(">IIII", 17, 0x15, 0, 1), S.ESME_RINVCMDLEN),  # length != frame size
        (struct.pack(">IIII", 16, 0x99, 0, 1), S.ESME_RINVCMDID),
        (struct.pack(">IIII", 16, 0x80000099, 0, 1), S.ESME_RINVCMDID),
        (_sm_frame(b""), S.ESME_RINVCMDLEN),
        (_sm_frame(b"\x00\x00\x00"), S.ESME_RINVCMDLEN),
        (_sm_frame(b"\x00\x00\x00" + b"1" * 70 + b"\x00"), S.ESME_RINVSRCADR),
        (_sm_frame(b"\x00\x00\x001\x00\x00\x00" + b"2" * 70), S.ESME_RINVDSTADR),
        (_sm_frame(b"X" * 80), S.ESME_RINVSERTYP),
        (
            _sm_frame(b"\x00\x00\x001\x00\x00\x002\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x09hi"),
            S.ESME_RINVMSGLEN,
        ),
        (
            _sm_frame(
                b"\x00\x00\x001\x00\x00\x002\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x04"
            ),
            S.ESME_RINVOPTPARSTREAM,
        ),
        (
            _sm_frame(
                b"\x00\x00\x001\x00\x00\x002\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
                b"\x04\x24\x00\x09abc"
            ),
            S.ESME_RINVOPTPARSTREAM,
        ),
        (_sm_frame(b"sys\x00pw", command_id=9), S.ESME_RINVCMDLEN),
        (_sm_frame(b"s" * 70, command_id=1), S.ESME_RINVSYSID),
        (_sm_frame(b"sys\x00" + b"p" * 70, command_id=2), S.ESME_RINVPASWD),
    ],
)
def test_malformed_frames_raise_pdu_error(frame: bytes, status: int) -> None:
    with pytest.raises(PduError) as caught:
        decode(frame)
    assert caught.value.status == status
    if len(frame) >= 16:
        assert caught.value.sequence_number == int.from_bytes(frame[12:16], "big")
        assert caught.value.command_id == int.from_bytes(frame[4:8], "big")
    assert "malformed" in str(caught.value)


def test_c_strings_are_latin1_and_never_fail_to_decode() -> None:
    body = b"\x00\x00\x00\xff\xfe\x00\x00\x00\xe9\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
    pdu = decode(_sm_frame(body))
    assert isinstance(pdu, SubmitSm)
    assert pdu.source_addr == "\xff\xfe" and pdu.destination_addr == "\xe9"


@pytest.mark.parametrize(
    "pdu",
    [
        SubmitSm(source_addr="1" * 21),
        SubmitSm(destination_addr="x\x00y"),
        SubmitSm(service_type="€"),
        SubmitSm(short_message=b"x" * (SMPP_MAX_SHORT_MESSAGE + 1)),
        SubmitSm(esm_class=256),
        SubmitSm(data_coding=-1),
        Bind(password="1234567890"),
        Bind(command_id=CommandId.SUBMIT_SM),
        BindResp(command_id=CommandId.BIND_TRANSCEIVER),
        SubmitSmResp(message_id="m" * 65),
        EnquireLink(sequence_number=2**32),
    ],
)
def test_encode_rejects_what_does_not_fit(pdu: Pdu) -> None:
    with pytest.raises(ValueError):
        encode(pdu)


def test_response_for() -> None:
    bind = response_for(CommandId.BIND_RECEIVER, 3, S.ESME_RINVPASWD)
    assert bind == BindResp(
        command_id=CommandId.BIND_RECEIVER_RESP, sequence_number=3, command_status=14
    )
    assert response_for(CommandId.SUBMIT_SM, 4, S.ESME_RSYSERR) == SubmitSmResp(
        sequence_number=4, command_status=S.ESME_RSYSERR
    )
    assert isinstance(response_for(CommandId.DELIVER_SM, 1, 8), DeliverSmResp)
    assert isinstance(response_for(CommandId.ENQUIRE_LINK, 1, 8), EnquireLinkResp)
    assert isinstance(response_for(CommandId.UNBIND, 1, 8), UnbindResp)
    assert isinstance(response_for(0x99, 1, 3), GenericNack)
    assert isinstance(response_for(CommandId.SUBMIT_SM_RESP, 1, 3), GenericNack)


def test_tlv_helpers() -> None:
    tlvs = ((TLV_MESSAGE_STATE, b"\x02"), (TLV_MESSAGE_PAYLOAD, b"long text"))
    assert get_tlv(tlvs, TLV_MESSAGE_STATE) == b"\x02"
    assert get_tlv(tlvs, TLV_RECEIPTED_MESSAGE_ID) is None
    assert DeliverSm(tlvs=tlvs).payload == b"long text"
    assert DeliverSm(short_message=b"short", tlvs=tlvs).payload == b"short"
    assert SubmitSm().payload == b""


# ------------------------------------------------------------------------- properties

_latin1 = st.characters(min_codepoint=1, max_codepoint=255)


def _cstr(limit: int) -> st.SearchStrategy[str]:
    return st.text(_latin1, max_size=limit - 1)


_octet = st.integers(0, 255)


@st.composite
def submit_sms(draw: st.DrawFn) -> SubmitSm:
    return SubmitSm(
        sequence_number=draw(st.integers(1, 0x7FFFFFFF)),
        service_type=draw(_cstr(6)),
        source_addr_ton=draw(_octet),
        source_addr_npi=draw(_octet),
        source_addr=draw(_cstr(21)),
        dest_addr_ton=draw(_octet),
        dest_addr_npi=draw(_octet),
        destination_addr=draw(_cstr(21)),
        esm_class=draw(_octet),
        protocol_id=draw(_octet),
        priority_flag=draw(_octet),
        schedule_delivery_time=draw(_cstr(17)),
        validity_period=draw(_cstr(17)),
        registered_delivery=draw(_octet),
        replace_if_present_flag=draw(_octet),
        data_coding=draw(_octet),
        sm_default_msg_id=draw(_octet),
        short_message=draw(st.binary(max_size=SMPP_MAX_SHORT_MESSAGE)),
        tlvs=tuple(
            draw(st.lists(st.tuples(st.integers(0, 0xFFFF), st.binary(max_size=40)), max_size=4))
        ),
    )


@given(submit_sms())
def test_submit_sm_encode_decode_property(pdu: SubmitSm) -> None:
    assert decode(encode(pdu)) == pdu


@given(st.binary(max_size=300))
@settings(max_examples=500)
def test_decode_random_bytes_raises_only_pdu_error(data: bytes) -> None:
    with contextlib.suppress(PduError):
        decode(data)


_KNOWN_IDS = [int(c) for c in CommandId]


@given(st.sampled_from(_KNOWN_IDS), st.integers(0, 0xFFFFFFFF), st.binary(max_size=300))
@settings(max_examples=1000)
def test_decode_known_header_with_random_body_raises_only_pdu_error(
    command_id: int, status: int, body: bytes
) -> None:
    frame = struct.pack(">IIII", 16 + len(body), command_id, status, 1) + body
    try:
        pdu = decode(frame)
    except PduError as exc:
        assert exc.command_id == command_id and exc.sequence_number == 1
    else:
        assert pdu.command_id == command_id


@given(submit_sms(), st.integers(0, 400))
def test_truncated_submit_sm_raises_only_pdu_error(pdu: SubmitSm, cut: int) -> None:
    frame = encode(pdu)
    body = frame[16 : max(16, len(frame) - cut)]
    with contextlib.suppress(PduError):
        decode(struct.pack(">IIII", 16 + len(body), 4, 0, 9) + body)
