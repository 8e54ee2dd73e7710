"""The SMPP 3.4 PDUs this gateway speaks, as records (slots, keyword-only, frozen to mypy).

Every PDU has `sequence_number` and `command_status` (default 0) and a `command_id`: a class
constant, except for `Bind`/`BindResp` where it says which of the three binds it is. Strings
are `str` (C-octet strings, latin-1 on the wire); `short_message` is `bytes`; optional
parameters are `tlvs`, a tuple of (tag, value) pairs in wire order. The codec is `encoder` and
`decoder`; `pdu` re-exports everything here with it: import from `smsgate.smpp.pdu`.

Records (`smsgate.record`), not frozen dataclasses: a deliver_sm or submit_sm is made per
message with 20 fields, and a frozen dataclass sets each through `object.__setattr__` (~30,000
instructions a PDU where a record takes ~5,000). mypy still refuses any assignment to a field.
"""

from collections.abc import Callable
from typing import ClassVar, Final, TypeAlias

from smsgate.constants import SMPP_INTERFACE_VERSION
from smsgate.record import record
from smsgate.smpp.codes import RESPONSE_BIT, TLV_MESSAGE_PAYLOAD, CommandId, CommandStatus

Tlvs: TypeAlias = tuple[tuple[int, bytes], ...]
BIND_COMMANDS: Final = frozenset(
    {CommandId.BIND_RECEIVER, CommandId.BIND_TRANSMITTER, CommandId.BIND_TRANSCEIVER}
)

_OK: Final = CommandStatus.ESME_ROK


@record(kw_only=True)
class _Base:
    sequence_number: int = 0
    command_status: int = _OK


@record(kw_only=True)
class Bind(_Base):
    """bind_receiver / bind_transmitter / bind_transceiver, told apart by `command_id`."""

    command_id: CommandId = CommandId.BIND_TRANSCEIVER
    system_id: str = ""
    password: str = ""
    system_type: str = ""
    interface_version: int = SMPP_INTERFACE_VERSION
    addr_ton: int = 0
    addr_npi: int = 0
    address_range: str = ""


@record(kw_only=True)
class BindResp(_Base):
    """bind_*_resp; `command_id` is the response id matching the bind."""

    command_id: CommandId = CommandId.BIND_TRANSCEIVER_RESP
    system_id: str = ""
    tlvs: Tlvs = ()


@record(kw_only=True)
class ShortMessage(_Base):
    """The body shared by submit_sm and deliver_sm (SMPP 3.4 sections 4.4.1 and 4.6.1)."""

    service_type: str = ""
    source_addr_ton: int = 0
    source_addr_npi: int = 0
    source_addr: str = ""
    dest_addr_ton: int = 0
    dest_addr_npi: int = 0
    destination_addr: str = ""
    esm_class: int = 0
    protocol_id: int = 0
    priority_flag: int = 0
    schedule_delivery_time: str = ""
    validity_period: str = ""
    registered_delivery: int = 0
    replace_if_present_flag: int = 0
    data_coding: int = 0
    sm_default_msg_id: int = 0
    short_message: bytes = b""
    tlvs: Tlvs = ()

    @property
    def payload(self) -> bytes:
        """The user data: `short_message`, or the message_payload TLV when that is empty."""
        if self.short_message:
            return self.short_message
        return get_tlv(self.tlvs, TLV_MESSAGE_PAYLOAD) or b""


@record(kw_only=True)
class SubmitSm(ShortMessage):
    """submit_sm: ESME -> SMSC, one message (part)."""

    command_id: ClassVar[CommandId] = CommandId.SUBMIT_SM


@record(kw_only=True)
class DeliverSm(ShortMessage):
    """deliver_sm: SMSC -> ESME, a mobile-originated message or a delivery receipt."""

    command_id: ClassVar[CommandId] = CommandId.DELIVER_SM


@record(kw_only=True)
class SubmitSmResp(_Base):
    """submit_sm_resp; `message_id` is empty when the status is an error."""

    command_id: ClassVar[CommandId] = CommandId.SUBMIT_SM_RESP
    message_id: str = ""


@record(kw_only=True)
class DeliverSmResp(_Base):
    """deliver_sm_resp; `message_id` is unused by SMPP 3.4 and normally empty."""

    command_id: ClassVar[CommandId] = CommandId.DELIVER_SM_RESP
    message_id: str = ""


@record(kw_only=True)
class EnquireLink(_Base):
    command_id: ClassVar[CommandId] = CommandId.ENQUIRE_LINK


@record(kw_only=True)
class EnquireLinkResp(_Base):
    command_id: ClassVar[CommandId] = CommandId.ENQUIRE_LINK_RESP


@record(kw_only=True)
class Unbind(_Base):
    command_id: ClassVar[CommandId] = CommandId.UNBIND


@record(kw_only=True)
class UnbindResp(_Base):
    command_id: ClassVar[CommandId] = CommandId.UNBIND_RESP


@record(kw_only=True)
class GenericNack(_Base):
    command_id: ClassVar[CommandId] = CommandId.GENERIC_NACK


Pdu: TypeAlias = (
    Bind
    | BindResp
    | SubmitSm
    | SubmitSmResp
    | DeliverSm
    | DeliverSmResp
    | EnquireLink
    | EnquireLinkResp
    | Unbind
    | UnbindResp
    | GenericNack
)


def get_tlv(tlvs: Tlvs, tag: int) -> bytes | None:
    """The value of the first TLV with `tag`, or None."""
    for t, value in tlvs:
        if t == tag:
            return value
    return None


def response_for(command_id: int, sequence_number: int, status: int) -> Pdu:
    """The response answering a request `command_id` with `status`.

    Commands without a response of their own (unknown ids, responses) get generic_nack.
    """
    if command_id in BIND_COMMANDS:
        resp_id = CommandId(command_id | RESPONSE_BIT)
        return BindResp(command_id=resp_id, sequence_number=sequence_number, command_status=status)
    factory = _ERROR_RESPONSES.get(command_id, GenericNack)
    return factory(sequence_number=sequence_number, command_status=status)


_ERROR_RESPONSES: Final[dict[int, Callable[..., Pdu]]] = {
    CommandId.SUBMIT_SM: SubmitSmResp,
    CommandId.DELIVER_SM: DeliverSmResp,
    CommandId.UNBIND: UnbindResp,
    CommandId.ENQUIRE_LINK: EnquireLinkResp,
}
