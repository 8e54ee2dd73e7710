"""SMPP 3.4 numbers: command ids, command status codes, TLV tags and message states.

Only numbers live here, so that `errors.py` and the codec can both use them without an import
cycle. `smsgate.smpp.pdu` re-exports everything, which is where callers should import from.
"""

from enum import IntEnum
from typing import Final

RESPONSE_BIT: Final = 0x80000000  # command_id of a response = request id | this bit


class CommandId(IntEnum):
    """The SMPP 3.4 commands this gateway speaks (section 5.1.2.1)."""

    GENERIC_NACK = 0x80000000
    BIND_RECEIVER = 0x00000001
    BIND_RECEIVER_RESP = 0x80000001
    BIND_TRANSMITTER = 0x00000002
    BIND_TRANSMITTER_RESP = 0x80000002
    SUBMIT_SM = 0x00000004
    SUBMIT_SM_RESP = 0x80000004
    DELIVER_SM = 0x00000005
    DELIVER_SM_RESP = 0x80000005
    UNBIND = 0x00000006
    UNBIND_RESP = 0x80000006
    BIND_TRANSCEIVER = 0x00000009
    BIND_TRANSCEIVER_RESP = 0x80000009
    ENQUIRE_LINK = 0x00000015
    ENQUIRE_LINK_RESP = 0x80000015


class CommandStatus(IntEnum):
    """SMPP 3.4 error codes (section 5.1.3, table 5-2), plus ESME_RINVDCS from SMPP 5.0."""

    ESME_ROK = 0x00
    ESME_RINVMSGLEN = 0x01
    ESME_RINVCMDLEN = 0x02
    ESME_RINVCMDID = 0x03
    ESME_RINVBNDSTS = 0x04
    ESME_RALYBND = 0x05
    ESME_RINVPRTFLG = 0x06
    ESME_RINVREGDLVFLG = 0x07
    ESME_RSYSERR = 0x08
    ESME_RINVSRCADR = 0x0A
    ESME_RINVDSTADR = 0x0B
    ESME_RINVMSGID = 0x0C
    ESME_RBINDFAIL = 0x0D
    ESME_RINVPASWD = 0x0E
    ESME_RINVSYSID = 0x0F
    ESME_RCANCELFAIL = 0x11
    ESME_RREPLACEFAIL = 0x13
    ESME_RMSGQFUL = 0x14
    ESME_RINVSERTYP = 0x15
    ESME_RINVNUMDESTS = 0x33
    ESME_RINVDLNAME = 0x34
    ESME_RINVDESTFLAG = 0x40
    ESME_RINVSUBREP = 0x42
    ESME_RINVESMCLASS = 0x43
    ESME_RCNTSUBDL = 0x44
    ESME_RSUBMITFAIL = 0x45
    ESME_RINVSRCTON = 0x48
    ESME_RINVSRCNPI = 0x49
    ESME_RINVDSTTON = 0x50
    ESME_RINVDSTNPI = 0x51
    ESME_RINVSYSTYP = 0x53
    ESME_RINVREPFLAG = 0x54
    ESME_RINVNUMMSGS = 0x55
    ESME_RTHROTTLED = 0x58
    ESME_RINVSCHED = 0x61
    ESME_RINVEXPIRY = 0x62
    ESME_RINVDFTMSGID = 0x63
    ESME_RX_T_APPN = 0x64
    ESME_RX_P_APPN = 0x65
    ESME_RX_R_APPN = 0x66
    ESME_RQUERYFAIL = 0x67
    ESME_RINVOPTPARSTREAM = 0xC0
    ESME_ROPTPARNOTALLWD = 0xC1
    ESME_RINVPARLEN = 0xC2
    ESME_RMISSINGOPTPARAM = 0xC3
    ESME_RINVOPTPARAMVAL = 0xC4
    ESME_RDELIVERYFAILURE = 0xFE
    ESME_RUNKNOWNERR = 0xFF
    ESME_RINVDCS = 0x104


class MessageState(IntEnum):
    """Values of the message_state TLV (section 5.2.28)."""

    ENROUTE = 1
    DELIVERED = 2
    EXPIRED = 3
    DELETED = 4
    UNDELIVERABLE = 5
    ACCEPTED = 6
    UNKNOWN = 7
    REJECTED = 8


# --- Optional parameter (TLV) tags, section 5.3.2 ---
TLV_USER_MESSAGE_REFERENCE: Final = 0x0204  # 2 octets, ESME's own reference
TLV_SAR_MSG_REF_NUM: Final = 0x020C  # 2 octets, concatenation reference (SAR method)
TLV_SAR_TOTAL_SEGMENTS: Final = 0x020E  # 1 octet, number of parts
TLV_SAR_SEGMENT_SEQNUM: Final = 0x020F  # 1 octet, this part's number (1-based)
TLV_SC_INTERFACE_VERSION: Final = 0x0210  # 1 octet, in bind_*_resp
TLV_NETWORK_ERROR_CODE: Final = 0x0423  # 3 octets, in receipts: network type + error code
TLV_MESSAGE_PAYLOAD: Final = 0x0424  # octets, replaces short_message (sm_length must be 0)
TLV_MESSAGE_STATE: Final = 0x0427  # 1 octet MessageState, in receipts
TLV_RECEIPTED_MESSAGE_ID: Final = 0x001E  # C-octet string, the SMSC message id in receipts

_STATUS_BY_VALUE: Final[dict[int, int]] = {int(s): s for s in CommandStatus}
_COMMAND_BY_VALUE: Final[dict[int, CommandId]] = {int(c): c for c in CommandId}


def status_of(value: int) -> int:
    """`value` as a CommandStatus member when it is a known code, else the plain int."""
    return _STATUS_BY_VALUE.get(value, value)


def command_of(value: int) -> CommandId | None:
    """The CommandId for `value`, or None for a command this gateway does not know."""
    return _COMMAND_BY_VALUE.get(value)
