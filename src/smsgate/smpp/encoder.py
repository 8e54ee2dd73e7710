"""SMPP 3.4 PDU encoding: `encode(pdu)`, one complete frame for a dataclass of `messages`.

On the hot path (tens of thousands of PDUs per second): precompiled `struct.Struct`s, one
%-format for the submit_sm/deliver_sm body, no intermediate objects. Limits are enforced
exactly here (decoding is lenient, see `decoder`): a field that does not fit raises ValueError.
Callers import `encode` from `smsgate.smpp.pdu`, which re-exports this very function.

The gateway's own submit_sm skips the dataclass: `submit_sm_body` gives the body of a submit_sm
that sets only the fields the dispatcher sets, the same octets as `encode(SubmitSm(...))` after
its header (tests/unit/smpp/test_encoder.py proves it), and `request_frame` puts the header of
a sequence number in front of such a body.
"""

import struct
from collections.abc import Callable
from typing import Any, Final

from smsgate.constants import SMPP_MAX_SHORT_MESSAGE
from smsgate.smpp.codes import RESPONSE_BIT
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
)

_HEADER: Final = struct.Struct(">IIII")
_BBB: Final = struct.Struct(">BBB")
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


# `_SM_BODY` with service_type, protocol_id, priority_flag, schedule_delivery_time,
# replace_if_present_flag and sm_default_msg_id at their defaults and no TLVs
_SUBMIT_BODY: Final = b"\0%c%c%s\0%c%c%s\0%c\0\0\0%s\0%c\0%c\0%c%s"


def submit_sm_body(
    source_addr_ton: int,
    source_addr_npi: int,
    source_addr: str,
    dest_addr_ton: int,
    dest_addr_npi: int,
    destination_addr: str,
    esm_class: int,
    registered_delivery: int,
    validity_period: str,
    data_coding: int,
    short_message: bytes,
) -> bytes:
    """The body of `SubmitSm(**these fields)`: what `encode` writes after the header, without
    building the dataclass. Raises ValueError as `encode` does (it does the raising)."""
    source = source_addr.encode("latin-1")
    destination = destination_addr.encode("latin-1")
    validity = validity_period.encode("latin-1")
    if (
        len(source) <= 20
        and len(destination) <= 20
        and len(validity) <= 16
        and len(short_message) <= SMPP_MAX_SHORT_MESSAGE
        and b"\0" not in source + destination + validity
    ):
        try:
            return _SUBMIT_BODY % (
                source_addr_ton,
                source_addr_npi,
                source,
                dest_addr_ton,
                dest_addr_npi,
                destination,
                esm_class,
                validity,
                registered_delivery,
                data_coding,
                len(short_message),
                short_message,
            )
        except OverflowError:  # an int field out of range: `encode` words the error
            pass
    pdu = SubmitSm(
        source_addr_ton=source_addr_ton,
        source_addr_npi=source_addr_npi,
        source_addr=source_addr,
        dest_addr_ton=dest_addr_ton,
        dest_addr_npi=dest_addr_npi,
        destination_addr=destination_addr,
        esm_class=esm_class,
        registered_delivery=registered_delivery,
        validity_period=validity_period,
        data_coding=data_coding,
        short_message=short_message,
    )
    return encode(pdu)[16:]


def request_frame(command_id: int, sequence_number: int, body: bytes) -> bytes:
    """A request's frame: the header (command_status 0) and `body`, e.g. `submit_sm_body`'s."""
    return _HEADER.pack(16 + len(body), command_id, 0, sequence_number) + body


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
