"""What the gateway answers an SMSC's deliver_sm: receipts and inbound messages, stored first.

A receipt goes to the status recorder and an inbound (MO) message to the inbound handler; the
deliver_sm is acknowledged (ESME_ROK) only once what it carried is committed. When it cannot be
stored (disk full, database down) it is answered ESME_RX_T_APPN, SMPP 3.4's "ESME receiver
temporary application error": the SMSC keeps it and delivers it again later, and the message it
is about still ends `delivered`. An exception left to the SMPP session would be answered
ESME_RSYSERR, a system error that an SMSC may well take as final (the built-in simulator did),
leaving the message `sent` for ever.
"""

import asyncio
import logging
from collections.abc import Awaitable
from functools import partial
from typing import Any

from smsgate.delivery.inbound import InboundHandler
from smsgate.delivery.receipts import is_receipt, to_receipt
from smsgate.services.statuses import StatusRecorder
from smsgate.smpp.codes import CommandStatus
from smsgate.smpp.pdu import DeliverSm

log = logging.getLogger(__name__)

NOT_STORED = CommandStatus.ESME_RX_T_APPN  # the answer to a deliver_sm we could not store


class DeliverRouter:
    """The `Link`s' deliver callback: `router(connection, pdu)` -> the deliver_sm_resp status
    (None: ESME_ROK), or an awaitable of it."""

    def __init__(self, statuses: StatusRecorder, inbound: InboundHandler) -> None:
        self._statuses = statuses
        self._inbound = inbound

    def __call__(self, connection: str, pdu: DeliverSm) -> Awaitable[int | None] | None:
        if not is_receipt(pdu):
            return self._mo(connection, pdu)
        receipt = to_receipt(connection, pdu)
        if receipt is None:
            return None
        # A future, not a coroutine: thousands of receipts a second cost a callback each, not
        # a task (see `StatusRecorder.store_receipt`).
        stored = self._statuses.store_receipt(receipt)
        answer: asyncio.Future[int | None] = stored.get_loop().create_future()
        stored.add_done_callback(partial(_answer, answer))
        return answer

    async def _mo(self, connection: str, pdu: DeliverSm) -> int | None:
        try:
            return await self._inbound.handle(connection, pdu)  # a status: refused for good
        except Exception:
            log.exception(
                "inbound message from %s not stored; the SMSC will resend it",
                connection,
                extra={"connection": connection},
            )
            return NOT_STORED


def _answer(answer: "asyncio.Future[int | None]", stored: "asyncio.Future[Any]") -> None:
    """ESME_ROK once the receipt is committed, NOT_STORED if its write failed (the status
    recorder has logged why, once per batch)."""
    if answer.done():
        return
    if stored.cancelled():
        answer.cancel()
    else:
        answer.set_result(None if stored.exception() is None else NOT_STORED)
