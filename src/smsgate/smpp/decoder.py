"""SMPP 3.4 PDU decoding: `decode(frame)`, the dataclass of `messages` for one whole frame.

Tolerant and safe: a malformed frame raises `PduError` carrying the command_status to answer
with and the header's sequence number and command id. Nothing else ever escapes `decode` (no
struct.error, IndexError or UnicodeError). C-octet strings are decoded as latin-1, which cannot
fail. Limits are enforced loosely (every C-octet string may be up to 64 octets, the largest
field in the spec, so slightly sloppy peers are accepted; `encoder` is exact). Responses are
decoded leniently: a missing body or a missing NUL terminator is accepted, because a response
we cannot read would otherwise leave its request hanging.

On the hot path like `encoder`: precompiled `struct.Struct`s and `bytes.find`, no intermediate
objects beyond the dataclass (and, for submit_sm/deliver_sm, the frame decoded once as latin-1,
whose strings are sliced from it: `_decode_short_message`). Callers import `decode` from
`smsgate.smpp.pdu`, which re-exports this very function.
"""

import struct
from collections.abc import Callable
from typing import Final

from smsgate.constants import SMPP_HEADER_LEN
from smsgate.smpp.codes import CommandId, CommandStatus, status_of
from smsgate.smpp.errors import PduError
from smsgate.smpp.messages import (
    Bind,
    BindResp,
    DeliverSm,
    DeliverSmResp,
    EnquireLink,
    EnquireLinkResp,
    GenericNack,
    Pdu,
    SubmitSm,
    SubmitSmResp,
    Tlvs,
    Unbind,
    UnbindResp,
)

_HEADER: Final = struct.Struct(">IIII")
_BB: Final = struct.Struct(">BB")
_BBB: Final = struct.Struct(">BBB")
_BBBBB: Final = struct.Struct(">BBBBB")
_TLV: Final = struct.Struct(">HH")

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
    nul = buf.find(b"\0", pos, pos + _MAX_CSTR)  # find clamps its end to the frame's
    if nul < 0:
        raise _Malformed(_cstr_error(pos, end, too_long))
    return buf[pos:nul].decode("latin-1"), nul + 1


def _cstr_error(pos: int, end: int, too_long: int) -> int:
    """The status of a C-octet string at `pos` without its NUL: `too_long` when the frame
    goes on past the longest string allowed, a truncated frame otherwise."""
    return too_long if end > pos + _MAX_CSTR else _S.ESME_RINVCMDLEN


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
    # `_read_cstr` inlined: the body of every submit_sm and deliver_sm (a receipt each) has five
    # C-octet strings, and a call, a bytes slice and a decode each cost ~4,800 instructions
    # where a find and a slice of the frame decoded once cost a third of that. A str decoded
    # as latin-1 has the frame's octets at the same offsets, so the NULs are found where
    # `_read_cstr` finds them and every error is the one it raises (`_cstr_error`).
    end = len(buf)
    text = buf.decode("latin-1")
    nul = text.find("\0", 16, 16 + _MAX_CSTR)  # find clamps its end to the frame's
    if nul < 0:
        raise _Malformed(_cstr_error(16, end, _S.ESME_RINVSERTYP))
    service_type = text[16:nul]
    pos = nul + 1
    source_ton, source_npi = _BB.unpack_from(buf, pos)
    pos += 2
    nul = text.find("\0", pos, pos + _MAX_CSTR)
    if nul < 0:
        raise _Malformed(_cstr_error(pos, end, _S.ESME_RINVSRCADR))
    source_addr = text[pos:nul]
    dest_ton, dest_npi = _BB.unpack_from(buf, nul + 1)
    pos = nul + 3
    nul = text.find("\0", pos, pos + _MAX_CSTR)
    if nul < 0:
        raise _Malformed(_cstr_error(pos, end, _S.ESME_RINVDSTADR))
    destination_addr = text[pos:nul]
    esm_class, protocol_id, priority = _BBB.unpack_from(buf, nul + 1)
    pos = nul + 4
    nul = text.find("\0", pos, pos + _MAX_CSTR)
    if nul < 0:
        raise _Malformed(_cstr_error(pos, end, _S.ESME_RINVSCHED))
    schedule = text[pos:nul]
    pos = nul + 1
    nul = text.find("\0", pos, pos + _MAX_CSTR)
    if nul < 0:
        raise _Malformed(_cstr_error(pos, end, _S.ESME_RINVEXPIRY))
    validity = text[pos:nul]
    registered, replace, data_coding, default_id, sm_length = _BBBBB.unpack_from(buf, nul + 1)
    pos = nul + 6
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
