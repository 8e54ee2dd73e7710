"""The inlined body decoder of submit_sm/deliver_sm against the one it replaced.

`decoder._decode_short_message` reads its five C-octet strings from the frame decoded once as
latin-1, where the decoder used to call `_read_cstr` on the bytes for each (see its comment).
`reference` below is that former decoder, verbatim but for names: on every frame, valid,
truncated, without NULs or with strings past the limit, the two give the same PDU or the same
`PduError` (status, sequence number, command id).
"""

import struct

from hypothesis import given, settings
from hypothesis import strategies as st

from smsgate.smpp.codes import CommandId, CommandStatus, status_of
from smsgate.smpp.decoder import _Malformed, _read_tlvs
from smsgate.smpp.pdu import DeliverSm, Pdu, PduError, SubmitSm, decode, encode
from tests.unit.smpp.test_pdu import submit_sms

S = CommandStatus
_BB = struct.Struct(">BB")
_BBB = struct.Struct(">BBB")
_BBBBB = struct.Struct(">BBBBB")


def _cstr(buf: bytes, pos: int, end: int, too_long: int) -> tuple[str, int]:
    limit = pos + 65
    nul = buf.find(b"\0", pos, limit if limit < end else end)
    if nul < 0:
        raise _Malformed(too_long if end > limit else S.ESME_RINVCMDLEN)
    return buf[pos:nul].decode("latin-1"), nul + 1


def _body(buf: bytes, command_id: int, status: int, seq: int) -> Pdu:
    end = len(buf)
    service_type, pos = _cstr(buf, 16, end, S.ESME_RINVSERTYP)
    source_ton, source_npi = _BB.unpack_from(buf, pos)
    source_addr, pos = _cstr(buf, pos + 2, end, S.ESME_RINVSRCADR)
    dest_ton, dest_npi = _BB.unpack_from(buf, pos)
    destination_addr, pos = _cstr(buf, pos + 2, end, S.ESME_RINVDSTADR)
    esm_class, protocol_id, priority = _BBB.unpack_from(buf, pos)
    schedule, pos = _cstr(buf, pos + 3, end, S.ESME_RINVSCHED)
    validity, pos = _cstr(buf, pos, end, S.ESME_RINVEXPIRY)
    registered, replace, data_coding, default_id, sm_length = _BBBBB.unpack_from(buf, pos)
    pos += 5
    if pos + sm_length > end:
        raise _Malformed(S.ESME_RINVMSGLEN)
    short_message = bytes(buf[pos : pos + sm_length])
    pos += sm_length
    cls = SubmitSm if command_id == CommandId.SUBMIT_SM else DeliverSm
    return cls(
        sequence_number=seq,
        command_status=status,
        service_type=service_type,
        source_addr_ton=source_ton,
        source_addr_npi=source_npi,
        source_addr=source_addr,
        dest_addr_ton=dest_ton,
        dest_addr_npi=dest_npi,
        destination_addr=destination_addr,
        esm_class=esm_class,
        protocol_id=protocol_id,
        priority_flag=priority,
        schedule_delivery_time=schedule,
        validity_period=validity,
        registered_delivery=registered,
        replace_if_present_flag=replace,
        data_coding=data_coding,
        sm_default_msg_id=default_id,
        short_message=short_message,
        tlvs=_read_tlvs(buf, pos, end) if pos < end else (),
    )


def reference(frame: bytes) -> Pdu | tuple[int, int, int]:
    """The former decode of a submit_sm/deliver_sm frame: the PDU, or its error's fields."""
    _, command_id, status, seq = struct.unpack_from(">IIII", frame)
    try:
        return _body(frame, command_id, status_of(status), seq)
    except _Malformed as exc:
        return (exc.status, seq, command_id)
    except struct.error:
        return (S.ESME_RINVCMDLEN, seq, command_id)
    except Exception as exc:
        raise AssertionError(f"the reference raised {exc!r}") from exc


def decoded(frame: bytes) -> Pdu | tuple[int, int, int]:
    try:
        return decode(frame)
    except PduError as exc:
        return (exc.status, exc.sequence_number, exc.command_id)


@st.composite
def bodies(draw: st.DrawFn) -> bytes:
    """Bodies near a valid one: cut, overwritten (NULs gone, strings too long) or extended."""
    body = bytearray(encode(draw(submit_sms()))[16:])
    for _ in range(draw(st.integers(0, 3))):
        at = draw(st.integers(0, len(body)))
        filler = draw(st.sampled_from([b"\0", b"a", b"\x01", b"\xff"]))
        body[at : at + draw(st.integers(0, 80))] = filler * draw(st.integers(0, 80))
    if draw(st.booleans()):
        del body[draw(st.integers(0, len(body))) :]
    return bytes(body) + draw(st.binary(max_size=8))


@given(
    st.sampled_from([CommandId.SUBMIT_SM, CommandId.DELIVER_SM]),
    st.integers(0, 0xFFFFFFFF),
    bodies() | st.binary(max_size=300),
)
@settings(max_examples=1000)
def test_the_inlined_body_decoder_decodes_as_read_cstr_did(
    command_id: int, status: int, body: bytes
) -> None:
    frame = struct.pack(">IIII", 16 + len(body), command_id, status, 7) + body
    assert decoded(frame) == reference(frame)
