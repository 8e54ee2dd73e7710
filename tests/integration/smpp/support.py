"""Helpers shared by the SMPP integration tests."""

import asyncio
import struct
from collections.abc import Awaitable, Callable

from smsgate.smpp.client import EsmeSession
from smsgate.smpp.counters import WAIT_TIMEOUT
from smsgate.smpp.pdu import DeliverSm, Pdu, SubmitSm, decode, encode
from smsgate.smpp.simulator import SmscSimulator

SmscFactory = Callable[..., Awaitable[SmscSimulator]]
EsmeFactory = Callable[..., Awaitable[EsmeSession]]
RawFactory = Callable[[SmscSimulator], Awaitable[tuple[asyncio.StreamReader, asyncio.StreamWriter]]]

SUBMIT = SubmitSm(source_addr="12345", destination_addr="15551234567", short_message=b"hello")
RECEIPTED = SubmitSm(
    source_addr="12345", destination_addr="15551234567", short_message=b"hi", registered_delivery=1
)


async def read_pdu(reader: asyncio.StreamReader) -> Pdu:
    """One PDU from a raw connection."""
    head = await asyncio.wait_for(reader.readexactly(4), 5)
    (length,) = struct.unpack(">I", head)
    return decode(head + await asyncio.wait_for(reader.readexactly(length - 4), 5))


def send_pdu(writer: asyncio.StreamWriter, pdu: Pdu) -> None:
    writer.write(encode(pdu))


class Inbox:
    """An on_deliver_sm callback that stores what arrives and lets a test await a count."""

    def __init__(self, status: int | None = None) -> None:
        self.items: list[DeliverSm] = []
        self.status = status
        self._waiters: list[tuple[int, asyncio.Future[None]]] = []

    def __call__(self, pdu: DeliverSm) -> int | None:
        self.items.append(pdu)
        for entry in [w for w in self._waiters if w[0] <= len(self.items)]:
            self._waiters.remove(entry)
            entry[1].set_result(None)
        return self.status

    async def wait_for(self, n: int, timeout: float = WAIT_TIMEOUT) -> list[DeliverSm]:
        if len(self.items) < n:
            future = asyncio.get_running_loop().create_future()
            self._waiters.append((n, future))
            await asyncio.wait_for(future, timeout)
        return self.items
