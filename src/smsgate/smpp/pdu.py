"""SMPP 3.4 PDUs and their codec in one import: `from smsgate.smpp.pdu import SubmitSm, encode`.

The codec is two modules, one per direction: `encoder.encode(pdu)` (exact limits, ValueError
when a field does not fit) and `decoder.decode(frame)` (tolerant, raises only `PduError`). The
numbers are in `codes`, the dataclasses in `messages`. This module only re-exports them: the
names bound here are the very objects of those modules, so the hot path gains no indirection.

Hand-written rather than taken from a library; the measurements behind that choice are in
the `smsgate.smpp` package docstring. The SMPP layer deals in bytes: `short_message` is `bytes`
and `data_coding` an int. Text encoding and segmentation belong to `smsgate.domain.encoding`.
"""

from smsgate.smpp.codes import (
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
)
from smsgate.smpp.decoder import decode
from smsgate.smpp.encoder import encode
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
