"""Exceptions raised by the SMPP layer. All derive from `SmppError`.

Command status codes are carried as ints that are `CommandStatus` members whenever the code
is one we know (vendor-specific codes stay plain ints).
"""

from smsgate.smpp.codes import CommandStatus, command_of, status_of


class SmppError(Exception):
    """Base class of every SMPP-layer error."""


class PduError(SmppError):
    """A frame could not be decoded (or a response arrived malformed).

    `status` is the command_status to answer with; `sequence_number` and `command_id` are
    taken from the header when it was readable (0 otherwise), so the session can address
    its generic_nack or error response.
    """

    def __init__(self, status: int, sequence_number: int = 0, command_id: int = 0) -> None:
        self.status = status_of(status)
        self.sequence_number = sequence_number
        self.command_id = command_id
        super().__init__(status, sequence_number, command_id)

    def __str__(self) -> str:
        name = command_of(self.command_id)
        command = name.name.lower() if name is not None else f"0x{self.command_id:08x}"
        return f"malformed {command} (seq {self.sequence_number}): {_status_name(self.status)}"


class SmppTimeout(SmppError, TimeoutError):
    """No response to a request within the timeout."""


class ConnectionLost(SmppError, ConnectionError):
    """The connection closed (or was closing) before the request got its response."""


class GenericNackError(SmppError):
    """The peer answered a request with generic_nack."""

    def __init__(self, status: int, sequence_number: int = 0) -> None:
        self.status = status_of(status)
        self.sequence_number = sequence_number
        super().__init__(status, sequence_number)

    def __str__(self) -> str:
        return f"generic_nack (seq {self.sequence_number}): {_status_name(self.status)}"


class UnexpectedResponse(SmppError):
    """The response carrying our sequence number was of the wrong command."""


class BindFailed(SmppError):
    """The SMSC refused the bind (`status` is its command_status)."""

    def __init__(self, status: int) -> None:
        self.status = status_of(status)
        super().__init__(status)

    def __str__(self) -> str:
        return f"bind refused: {_status_name(self.status)}"


def _status_name(status: int) -> str:
    if isinstance(status, CommandStatus):
        return f"{status.name} (0x{int(status):02x})"
    return f"0x{status:08x}"
