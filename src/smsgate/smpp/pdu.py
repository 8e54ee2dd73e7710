"""SMPP 3.4 PDU codec: `encode(pdu)` and `decode(frame)` for the dataclasses in `messages`.

Hand-written rather than taken from a library; the measurements behind that choice are in
the `smsgate.smpp` package docstring. This module is on the hot path (tens of thousands of
PDUs per second), so it uses precompiled `struct.Struct`s and `bytes.find` and builds no
intermediate objects beyond the dataclass.

Decoding is tolerant and safe: a malformed frame raises `PduError` carrying the
command_status to answer with and the header's sequence number and command id. Nothing else
ever escapes `decode` (no struct.error, IndexError or UnicodeError). C-octet strings are
decoded as latin-1, which cannot fail. Limits are enforced loosely when decoding (every
C-octet string may be up to 64 octets, the largest field in the spec, so slightly sloppy peers
are accepted) and exactly when encoding. Responses are decoded leniently: a missing body or a
missing NUL terminator is accepted, because a response we cannot read would otherwise leave
its request hanging.

The SMPP layer deals in bytes: `short_message` is `bytes` and `data_coding` an int. Text
encoding and segmentation belong to `smsgate.domain.encoding`.
"""

import struct
from collections.abc import Callable
from typing import Any, Final

from smsgate.constants import SMPP_HEADER_LEN, SMPP_MAX_SHORT_MESSAGE
from smsgate.smpp.codes import (
    RESPONSE_BIT,
    TLV_MESSAGE_PAYLOAD,
    TLV_MESSAGE_STATE,
    TLV_NETWORK_ERROR_CODE,
    TLV_RECEIPTED_MESSAGE_ID,
    TLV_SAR_MSG_REF_NUM,
    TLV_SAR_SEGMENT_SEQNUM,
    TLV_SAR_TOTAL_SEGMENTS,
    TLV_SC_INTERFACE_VERSION,
    TLV_USER_MESSAGE_REFERENCE,
    CommandId,
    CommandStatus,
    MessageState,
    status_of,
)
from smsgate.smpp.errors import PduError
from smsgate.smpp.messages import (
    BIND_COMMANDS,
    Bind,
    BindResp,
    DeliverSm,
    DeliverSmResp,
    EnquireLink,
    EnquireLinkResp,
    GenericNack,
    Pdu,
    ShortMessage,
    SubmitSm,
    SubmitSmResp,
    Tlvs,
    Unbind,
    UnbindResp,
    get_tlv,
    response_for,
)

__all__ = [
    "BIND_COMMANDS",
    "TLV_MESSAGE_PAYLOAD",
    "TLV_MESSAGE_STATE",
    "TLV_NETWORK_ERROR_CODE",
    "TLV_RECEIPTED_MESSAGE_ID",
    "TLV_SAR_MSG_REF_NUM",
    "TLV_SAR_SEGMENT_SEQNUM",
    "TLV_SAR_TOTAL_SEGMENTS",
    "TLV_SC_INTERFACE_VERSION",
    "TLV_USER_MESSAGE_REFERENCE",
    "Bind",
    "BindResp",
    "CommandId",
    "CommandStatus",
    "DeliverSm",
    "DeliverSmResp",
    "EnquireLink",
    "EnquireLinkResp",
    "GenericNack",
    "MessageState",
    "Pdu",
    "PduError",
    "ShortMessage",
    "SubmitSm",
    "SubmitSmResp",
    "Tlvs",
    "Unbind",
    "UnbindResp",
    "decode",
    "encode",
    "get_tlv",
    "response_for",
]

# ---------------------------------------------------------------------------------- encoding

_HEADER: Final = struct.Struct(">IIII")
_BB: Final = struct.Struct(">BB")
_BBB: Final = struct.Struct(">BBB")
_BBBBB: Final = struct.Struct(">BBBBB")
_TLV: Final = struct.Struct(">HH")


def encode(pdu: Pdu, sequence_number: int | None = None) -> bytes:
    """One complete frame for `pdu`; `sequence_number`, when given, overrides the PDU's.

    Raises ValueError when a field does not fit (too long, not latin-1, out of range).
    """
    seq = pdu.sequence_number if sequence_number is None else sequence_number
    try:
        body = _ENCODERS[type(pdu)](pdu)
        return _HEADER.pack(16 + len(body), pdu.command_id, pdu.command_status, seq) + body
    except (struct.error, OverflowError) as exc:  # an int field out of range
        raise ValueError(f"cannot encode {type(pdu).__name__}: {exc}") from None


def _cstr(value: str, size: int, field: str) -> bytes:
    """`value` as a C-octet string of at most `size` octets including the NUL."""
    if not value:
        return b"\0"
    raw = value.encode("latin-1")
    if len(raw) >= size or b"\0" in raw:
        raise ValueError(f"{field} {value!r}: longer than {size - 1} octets or contains NUL")
    return raw + b"\0"


def _tlvs(tlvs: Tlvs) -> bytes:
    return b"".join(_TLV.pack(tag, len(value)) + value for tag, value in tlvs)


def _encode_bind(p: Bind) -> bytes:
    if p.command_id not in BIND_COMMANDS:
        raise ValueError(f"Bind.command_id must be a bind command, not {p.command_id!r}")
    return b"".join(
        (
            _cstr(p.system_id, 16, "system_id"),
            _cstr(p.password, 9, "password"),
            _cstr(p.system_type, 13, "system_type"),
            _BBB.pack(p.interface_version, p.addr_ton, p.addr_npi),
            _cstr(p.address_range, 41, "address_range"),
        )
    )


def _encode_bind_resp(p: BindResp) -> bytes:
    if p.command_id & ~RESPONSE_BIT not in BIND_COMMANDS or not p.command_id & RESPONSE_BIT:
        raise ValueError(f"BindResp.command_id must be a bind response, not {p.command_id!r}")
    if p.command_status and not p.system_id and not p.tlvs:
        return b""  # section 4.1: no body on error
    return _cstr(p.system_id, 16, "system_id") + _tlvs(p.tlvs)


def _encode_message_id(p: SubmitSmResp | DeliverSmResp) -> bytes:
    if p.command_status and not p.message_id:
        return b""  # section 4.4.2: no body on error
    return _cstr(p.message_id, 65, "message_id")


_SM_BODY: Final = b"%s\0%c%c%s\0%c%c%s\0%c%c%c%s\0%s\0%c%c%c%c%c%s%s"  # one %-format: fastest


def _encode_short_message(p: ShortMessage) -> bytes:
    sm = p.short_message
    service_type = p.service_type.encode("latin-1")
    source = p.source_addr.encode("latin-1")
    destination = p.destination_addr.encode("latin-1")
    schedule = p.schedule_delivery_time.encode("latin-1")
    validity = p.validity_period.encode("latin-1")
    if (
        len(service_type) > 5
        or len(source) > 20
        or len(destination) > 20
        or len(schedule) > 16
        or len(validity) > 16
        or b"\0" in service_type + source + destination + schedule + validity
    ):
        _cstr(p.service_type, 6, "service_type")  # raise the precise ValueError
        _cstr(p.source_addr, 21, "source_addr")
        _cstr(p.destination_addr, 21, "destination_addr")
        _cstr(p.schedule_delivery_time, 17, "schedule_delivery_time")
        _cstr(p.validity_period, 17, "validity_period")
    if len(sm) > SMPP_MAX_SHORT_MESSAGE:
        raise ValueError(f"short_message of {len(sm)} octets: use the message_payload TLV")
    return _SM_BODY % (
        service_type,
        p.source_addr_ton,
        p.source_addr_npi,
        source,
        p.dest_addr_ton,
        p.dest_addr_npi,
        destination,
        p.esm_class,
        p.protocol_id,
        p.priority_flag,
        schedule,
        validity,
        p.registered_delivery,
        p.replace_if_present_flag,
        p.data_coding,
        p.sm_default_msg_id,
        len(sm),
        sm,
        _tlvs(p.tlvs) if p.tlvs else b"",
    )


def _empty(_: Pdu) -> bytes:
    return b""


_ENCODERS: Final[dict[type, Callable[[Any], bytes]]] = {
    Bind: _encode_bind,
    BindResp: _encode_bind_resp,
    SubmitSm: _encode_short_message,
    DeliverSm: _encode_short_message,
    SubmitSmResp: _encode_message_id,
    DeliverSmResp: _encode_message_id,
    EnquireLink: _empty,
    EnquireLinkResp: _empty,
    Unbind: _empty,
    UnbindResp: _empty,
    GenericNack: _empty,
}

# ---------------------------------------------------------------------------------- decoding

_MAX_CSTR: Final = 65  # decode limit for every C-octet string, NUL included (message_id's)
_S: Final = CommandStatus


class _Malformed(Exception):
    """Internal: raised by the body decoders, turned into PduError by `decode`."""

    def __init__(self, status: int) -> None:
        self.status = status


def decode(frame: bytes) -> Pdu:
    """Decode one complete frame (header included). Raises only `PduError`."""
    size = len(frame)
    if size < SMPP_HEADER_LEN:
        command_id = int.from_bytes(frame[4:8], "big") if size >= 8 else 0
        raise PduError(_S.ESME_RINVCMDLEN, 0, command_id)
    length, command_id, status, seq = _HEADER.unpack_from(frame)
    if length != size:
        raise PduError(_S.ESME_RINVCMDLEN, seq, command_id)
    decoder = _DECODERS.get(command_id)
    if decoder is None:
        raise PduError(_S.ESME_RINVCMDID, seq, command_id)
    try:
        return decoder(frame, command_id, status_of(status), seq)
    except _Malformed as exc:
        raise PduError(exc.status, seq, command_id) from None
    except struct.error:  # unpack_from past the end: the body is truncated
        raise PduError(_S.ESME_RINVCMDLEN, seq, command_id) from None
    except (IndexError, ValueError):  # defensive: would be a decoder bug, not the peer's
        raise PduError(_S.ESME_RSYSERR, seq, command_id) from None


def _read_cstr(buf: bytes, pos: int, end: int, too_long: int) -> tuple[str, int]:
    limit = pos + _MAX_CSTR
    nul = buf.find(b"\0", pos, limit if limit < end else end)
    if nul < 0:
        raise _Malformed(too_long if end > limit else _S.ESME_RINVCMDLEN)
    return buf[pos:nul].decode("latin-1"), nul + 1


def _read_cstr_lenient(buf: bytes, pos: int, end: int) -> tuple[str, int]:
    nul = buf.find(b"\0", pos, end)
    if nul < 0:
        return buf[pos:end].decode("latin-1"), end
    return buf[pos:nul].decode("latin-1"), nul + 1


def _read_tlvs(buf: bytes, pos: int, end: int) -> Tlvs:
    tlvs: list[tuple[int, bytes]] = []
    while pos < end:
        if end - pos < 4:
            raise _Malformed(_S.ESME_RINVOPTPARSTREAM)
        tag, size = _TLV.unpack_from(buf, pos)
        pos += 4
        if pos + size > end:
            raise _Malformed(_S.ESME_RINVOPTPARSTREAM)
        tlvs.append((tag, bytes(buf[pos : pos + size])))
        pos += size
    return tuple(tlvs)


def _decode_bind(buf: bytes, command_id: int, status: int, seq: int) -> Pdu:
    end = len(buf)
    system_id, pos = _read_cstr(buf, 16, end, _S.ESME_RINVSYSID)
    password, pos = _read_cstr(buf, pos, end, _S.ESME_RINVPASWD)
    system_type, pos = _read_cstr(buf, pos, end, _S.ESME_RINVSYSTYP)
    version, ton, npi = _BBB.unpack_from(buf, pos)
    address_range, pos = _read_cstr(buf, pos + 3, end, _S.ESME_RINVPARLEN)
    return Bind(
        command_id=CommandId(command_id),
        sequence_number=seq,
        command_status=status,
        system_id=system_id,
        password=password,
        system_type=system_type,
        interface_version=version,
        addr_ton=ton,
        addr_npi=npi,
        address_range=address_range,
    )


def _decode_bind_resp(buf: bytes, command_id: int, status: int, seq: int) -> Pdu:
    end = len(buf)
    system_id, pos = _read_cstr_lenient(buf, 16, end)
    try:
        tlvs = _read_tlvs(buf, pos, end) if pos < end else ()
    except _Malformed:
        tlvs = ()  # lenient: optional parameters of a response are informative only
    return BindResp(
        command_id=CommandId(command_id),
        sequence_number=seq,
        command_status=status,
        system_id=system_id,
        tlvs=tlvs,
    )


def _decode_short_message(buf: bytes, command_id: int, status: int, seq: int) -> Pdu:
    end = len(buf)
    service_type, pos = _read_cstr(buf, 16, end, _S.ESME_RINVSERTYP)
    source_ton, source_npi = _BB.unpack_from(buf, pos)
    source_addr, pos = _read_cstr(buf, pos + 2, end, _S.ESME_RINVSRCADR)
    dest_ton, dest_npi = _BB.unpack_from(buf, pos)
    destination_addr, pos = _read_cstr(buf, pos + 2, end, _S.ESME_RINVDSTADR)
    esm_class, protocol_id, priority = _BBB.unpack_from(buf, pos)
    schedule, pos = _read_cstr(buf, pos + 3, end, _S.ESME_RINVSCHED)
    validity, pos = _read_cstr(buf, pos, end, _S.ESME_RINVEXPIRY)
    registered, replace, data_coding, default_id, sm_length = _BBBBB.unpack_from(buf, pos)
    pos += 5
    if pos + sm_length > end:
        raise _Malformed(_S.ESME_RINVMSGLEN)
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


def _decode_submit_sm_resp(buf: bytes, command_id: int, status: int, seq: int) -> Pdu:
    message_id, _ = _read_cstr_lenient(buf, 16, len(buf))
    return SubmitSmResp(sequence_number=seq, command_status=status, message_id=message_id)


def _decode_deliver_sm_resp(buf: bytes, command_id: int, status: int, seq: int) -> Pdu:
    message_id, _ = _read_cstr_lenient(buf, 16, len(buf))
    return DeliverSmResp(sequence_number=seq, command_status=status, message_id=message_id)


def _header_only(cls: Callable[..., Pdu]) -> Callable[[bytes, int, int, int], Pdu]:
    def decode_header_only(buf: bytes, command_id: int, status: int, seq: int) -> Pdu:
        return cls(sequence_number=seq, command_status=status)  # a stray body is ignored

    return decode_header_only


_DECODERS: Final[dict[int, Callable[[bytes, int, int, int], Pdu]]] = {
    CommandId.BIND_RECEIVER: _decode_bind,
    CommandId.BIND_TRANSMITTER: _decode_bind,
    CommandId.BIND_TRANSCEIVER: _decode_bind,
    CommandId.BIND_RECEIVER_RESP: _decode_bind_resp,
    CommandId.BIND_TRANSMITTER_RESP: _decode_bind_resp,
    CommandId.BIND_TRANSCEIVER_RESP: _decode_bind_resp,
    CommandId.SUBMIT_SM: _decode_short_message,
    CommandId.DELIVER_SM: _decode_short_message,
    CommandId.SUBMIT_SM_RESP: _decode_submit_sm_resp,
    CommandId.DELIVER_SM_RESP: _decode_deliver_sm_resp,
    CommandId.ENQUIRE_LINK: _header_only(EnquireLink),
    CommandId.ENQUIRE_LINK_RESP: _header_only(EnquireLinkResp),
    CommandId.UNBIND: _header_only(Unbind),
    CommandId.UNBIND_RESP: _header_only(UnbindResp),
    CommandId.GENERIC_NACK: _header_only(GenericNack),
}
