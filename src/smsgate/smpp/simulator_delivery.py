"""The SMSC simulator's deliver_sm side: receipts and MO messages to the bound ESMEs.

`DeliverSmSender` is the base class of `simulator.SmscSimulator`; it owns the sessions, the
counters and the timers, and gets a deliver_sm to a receiver/transceiver bind of the right
system_id, as a real SMSC does:

* a receipt that finds no receiver bound is queued and delivered on the next receiver or
  transceiver bind of that system_id; one whose connection fails before the answer (closed,
  timed out) is queued again;
* a receipt the ESME refuses is delivered again after `redeliver_delay` seconds, doubling up to
  `redeliver_max_delay` (with jitter, `smpp.reconnect.Backoff`), at most `redeliver_attempts`
  times, then dropped with a warning. A gateway that could not store it (disk full) answers
  ESME_RX_T_APPN and gets it again once it can. Only ESME_RX_P_APPN and ESME_RX_R_APPN, the
  ESME's "never" and "rejected", are final;
* `inject_mo` sends a mobile-originated message once and returns the ESME's answer.

Every answered deliver_sm is recorded in `delivered` with its status.
"""

import asyncio
import logging
from collections import deque
from collections.abc import Iterable
from typing import TYPE_CHECKING

from smsgate.smpp.codes import CommandStatus
from smsgate.smpp.counters import Counters
from smsgate.smpp.errors import ConnectionLost, GenericNackError, SmppTimeout
from smsgate.smpp.pdu import DeliverSm, Pdu
from smsgate.smpp.reconnect import Backoff

if TYPE_CHECKING:
    from smsgate.smpp.simulator import SmscSession

log = logging.getLogger(__name__)

# What an ESME answers when it will never take the deliver_sm: no point in sending it again.
FINAL_REFUSALS = frozenset({CommandStatus.ESME_RX_P_APPN, CommandStatus.ESME_RX_R_APPN})


class DeliverSmSender:
    """Sends deliver_sm to the simulator's receiving binds; queues and redelivers receipts."""

    def __init__(
        self, *, redeliver_delay: float, redeliver_max_delay: float, redeliver_attempts: int
    ) -> None:
        """`redeliver_*`: how a refused receipt is delivered again (module docstring);
        `redeliver_attempts=0` never does."""
        self.redeliver_attempts = redeliver_attempts
        self.redelivery = Backoff(redeliver_delay, redeliver_max_delay)
        self.delivered: list[tuple[DeliverSm, int]] = []  # deliver_sm answered, with status
        self.counters = Counters()
        self.sessions: set[SmscSession] = set()  # every connection, bound or not
        self._timers: set[asyncio.TimerHandle] = set()  # receipts and redeliveries to come
        self._undelivered: deque[tuple[str, DeliverSm, int]] = deque()  # with its attempts

    def count(self, key: str) -> None:
        """Increment counter `key`, waking `wait_for` callers."""
        self.counters.bump(key)

    def _cancel_timers(self) -> None:
        for timer in self._timers:
            timer.cancel()
        self._timers.clear()

    def send_deliver(
        self,
        pdu: DeliverSm,
        system_id: str,
        prefer: "SmscSession | None" = None,
        *,
        attempt: int = 0,
    ) -> None:
        """Send a receipt to a receiving bind of `system_id` (preferably `prefer`); queue it
        when there is none. It is queued again if the connection fails before the answer, and
        delivered again later if refused (`attempt`: the redeliveries so far)."""
        session = self.receiver_for(system_id, prefer)
        if session is None:
            self._undelivered.append((system_id, pdu, attempt))
            self.count("receipts_queued")
            return
        future = session.begin_request(pdu)
        self.count("receipts_sent")
        future.add_done_callback(lambda f: self._receipt_answered(pdu, system_id, attempt, f))

    def receiver_for(
        self, system_id: str | None, prefer: "SmscSession | None" = None
    ) -> "SmscSession | None":
        """A session bound as receiver/transceiver (for `system_id` unless None)."""
        if prefer is not None and prefer.can_receive:
            return prefer
        for session in self.sessions:
            if session.can_receive and system_id in (None, session.system_id):
                return session
        return None

    async def inject_mo(
        self,
        source_addr: str,
        destination_addr: str,
        short_message: bytes,
        data_coding: int = 0,
        esm_class: int = 0,
        tlvs: Iterable[tuple[int, bytes]] = (),
        *,
        system_id: str | None = None,
    ) -> int:
        """Send a mobile-originated deliver_sm to a receiving bind; return its response status.

        Raises LookupError when no receiver/transceiver is bound."""
        session = self.receiver_for(system_id)
        if session is None:
            raise LookupError("no receiver or transceiver bound to the simulator")
        pdu = DeliverSm(
            source_addr=source_addr,
            destination_addr=destination_addr,
            esm_class=esm_class,
            data_coding=data_coding,
            short_message=short_message,
            tlvs=tuple(tlvs),
        )
        self.count("mo_sent")
        try:
            status = (await session.request(pdu)).command_status
        except GenericNackError as exc:
            status = exc.status
        self._record_delivery(pdu, status)
        return status

    def _flush_undelivered(self, session: "SmscSession") -> None:
        for _ in range(len(self._undelivered)):
            system_id, pdu, attempt = self._undelivered.popleft()
            if system_id == session.system_id:
                self.send_deliver(pdu, system_id, session, attempt=attempt)
            else:
                self._undelivered.append((system_id, pdu, attempt))

    def _receipt_answered(
        self, pdu: DeliverSm, system_id: str, attempt: int, future: "asyncio.Future[Pdu]"
    ) -> None:
        if future.cancelled():
            return
        exc = future.exception()
        if isinstance(exc, (ConnectionLost, SmppTimeout)):
            self.count("deliver_sm_failed")
            self._undelivered.append((system_id, pdu, attempt))
            self.count("receipts_queued")
            return
        if exc is not None:
            status = exc.status if isinstance(exc, GenericNackError) else CommandStatus.ESME_RSYSERR
        else:
            status = future.result().command_status
        self._record_delivery(pdu, status)
        if status != CommandStatus.ESME_ROK and status not in FINAL_REFUSALS:
            self._redeliver_later(pdu, system_id, attempt, status)

    def _redeliver_later(self, pdu: DeliverSm, system_id: str, attempt: int, status: int) -> None:
        if attempt >= self.redeliver_attempts:
            log.warning(
                "SMSC SIMULATOR: receipt dropped, refused (status 0x%X) %d times",
                status,
                attempt + 1,
            )
            self.count("receipts_dropped")
            return

        def again() -> None:
            self._timers.discard(timer)
            self.count("receipts_redelivered")
            self.send_deliver(pdu, system_id, attempt=attempt + 1)

        timer = asyncio.get_running_loop().call_later(self.redelivery.delay(attempt), again)
        self._timers.add(timer)

    def _record_delivery(self, pdu: DeliverSm, status: int) -> None:
        self.delivered.append((pdu, status))
        self.count("deliver_sm_acked" if status == CommandStatus.ESME_ROK else "deliver_sm_nacked")
