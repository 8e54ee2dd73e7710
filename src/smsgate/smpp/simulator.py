"""SMSC simulator: a real SMPP 3.4 server for development, tests and the no-config default.

It is NOT a carrier: nothing leaves the machine. It listens on 127.0.0.1 unless told
otherwise, accepts binds (optionally checking `credentials`), answers submit_sm with a message
id, sends a delivery receipt when registered_delivery asks for one, and can inject
mobile-originated messages. It records everything it receives so tests can assert on it,
and tests await counters (`wait_for`, `wait_for_submits`) instead of sleeping.

Message ids are hex in submit_sm_resp and decimal in the receipt text (the receipted_message_id
TLV carries the hex form), as many real SMSCs do, so the gateway's receipt matcher is always
exercised. Receipts (and MO messages, `inject_mo`) go out through the base class,
`simulator_delivery.DeliverSmSender`: queued while no receiver is bound, delivered again when
refused (`redeliver_delay`, `redeliver_max_delay`, `redeliver_attempts`).

Behaviour is overridable per PDU through the `on_*` hooks, `after_submit` and `make_receipt`;
`tests/fakes/smsc.py` builds one fake SMSC per failure mode that way.

Counters (`counters[...]`): connections, disconnections, bind, bound, submit_sm, enquire_link,
unbind, receipts_sent, receipts_queued, receipts_redelivered, receipts_dropped, mo_sent,
deliver_sm_acked, deliver_sm_nacked, deliver_sm_failed.
"""

import asyncio
import logging
from dataclasses import replace
from typing import Literal, TypeAlias

from smsgate.smpp.codes import RESPONSE_BIT, CommandId, CommandStatus
from smsgate.smpp.counters import WAIT_TIMEOUT
from smsgate.smpp.pdu import (
    Bind,
    BindResp,
    DeliverSm,
    EnquireLink,
    EnquireLinkResp,
    Pdu,
    SubmitSm,
    SubmitSmResp,
    Unbind,
    UnbindResp,
)
from smsgate.smpp.receipt_builder import make_receipt
from smsgate.smpp.session import HandlerResult, SmppSession
from smsgate.smpp.simulator_delivery import DeliverSmSender

log = logging.getLogger(__name__)

IdStyle: TypeAlias = Literal["hex", "decimal"]
_RECEIVING = frozenset({CommandId.BIND_RECEIVER, CommandId.BIND_TRANSCEIVER})
_TRANSMITTING = frozenset({CommandId.BIND_TRANSMITTER, CommandId.BIND_TRANSCEIVER})


class SmscSession(SmppSession):
    """The simulator's side of one ESME connection; all decisions are the simulator's."""

    def __init__(self, sim: "SmscSimulator") -> None:
        super().__init__(request_timeout=sim.deliver_timeout, name="smsc")
        self.sim = sim
        self.bind_id: CommandId | None = None
        self.system_id = ""

    @property
    def can_receive(self) -> bool:
        return self.bind_id in _RECEIVING and self.is_open

    @property
    def can_transmit(self) -> bool:
        return self.bind_id in _TRANSMITTING

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        self.sim.sessions.add(self)
        self.sim.count("connections")

    def connection_lost(self, exc: Exception | None) -> None:
        super().connection_lost(exc)
        self.sim.sessions.discard(self)
        self.sim.count("disconnections")

    def handle_request(self, pdu: Pdu) -> HandlerResult:
        if isinstance(pdu, SubmitSm):
            self.sim.submitted.append(pdu)
            self.sim.count("submit_sm")
            if not self.can_transmit:
                return SubmitSmResp(command_status=CommandStatus.ESME_RINVBNDSTS)
            if self.sim._default_on_submit:  # fast path: no task per submit
                resp = self.sim.accept(pdu)
                self.send(resp, pdu.sequence_number)
                self.sim.after_submit(self, pdu, resp)
                return None
            return self.sim._submit(self, pdu)
        if isinstance(pdu, Bind):
            self.sim.count("bind")
            return self.sim._bind(self, pdu)
        return super().handle_request(pdu)

    def handle_enquire_link(self, pdu: EnquireLink) -> HandlerResult:
        self.sim.count("enquire_link")
        return self.sim.on_enquire_link(self, pdu)

    def handle_unbind(self, pdu: Unbind) -> HandlerResult:
        self.sim.count("unbind")
        return self.sim._unbind(self, pdu)


class SmscSimulator(DeliverSmSender):
    """An SMSC on loopback. `async with SmscSimulator() as sim:` starts it on a free port."""

    def __init__(
        self,
        *,
        credentials: dict[str, str] | None = None,
        system_id: str = "SMSCSIM",
        message_id_style: IdStyle = "hex",
        receipt_id_style: IdStyle = "decimal",
        first_message_id: int = 0xA1B2C300,
        receipt_delay: float = 0.0,
        receipt_stat: str = "DELIVRD",
        receipt_err: str = "000",
        deliver_timeout: float = 10.0,
        redeliver_delay: float = 1.0,
        redeliver_max_delay: float = 60.0,
        redeliver_attempts: int = 30,
    ) -> None:
        """`redeliver_*`: how a refused receipt is delivered again (`simulator_delivery`);
        `redeliver_attempts=0` never does."""
        super().__init__(
            redeliver_delay=redeliver_delay,
            redeliver_max_delay=redeliver_max_delay,
            redeliver_attempts=redeliver_attempts,
        )
        self.credentials = credentials
        self.system_id = system_id
        self.message_id_style: IdStyle = message_id_style
        self.receipt_id_style: IdStyle = receipt_id_style
        self.receipt_delay = receipt_delay
        self.receipt_stat = receipt_stat
        self.receipt_err = receipt_err
        self.deliver_timeout = deliver_timeout
        self.host = ""
        self.submitted: list[SubmitSm] = []  # every submit_sm received, in order
        self.messages: dict[str, SubmitSm] = {}  # accepted ones, by submit_sm_resp message_id
        self._next_id = first_message_id
        self._port = 0
        self._server: asyncio.Server | None = None
        self._default_on_submit = type(self).on_submit is SmscSimulator.on_submit

    # ------------------------------------------------------------------ lifecycle

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(lambda: SmscSession(self), host, port)
        self.host, self._port = self._server.sockets[0].getsockname()[:2]
        log.info("SMSC SIMULATOR listening on %s:%d (not a real carrier)", self.host, self.port)

    @property
    def port(self) -> int:
        return self._port

    async def stop(self) -> None:
        """Close the listener and every connection; cancel pending receipts."""
        server, self._server = self._server, None
        if server is not None:
            server.close()
        self._cancel_timers()
        sessions = list(self.sessions)
        for session in sessions:
            session.cancel_handlers()
        await asyncio.gather(*(session.close_and_wait() for session in sessions))
        for session in sessions:
            await session.wait_handlers()
        if server is not None:
            await server.wait_closed()

    async def __aenter__(self) -> "SmscSimulator":
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    # ------------------------------------------------------------------ waiting

    async def wait_for(self, key: str, n: int, timeout: float = WAIT_TIMEOUT) -> None:
        """Return once counter `key` reaches `n`; TimeoutError after `timeout` seconds."""
        await self.counters.wait_for(key, n, timeout)

    async def wait_for_submits(self, n: int, timeout: float = WAIT_TIMEOUT) -> None:
        await self.wait_for("submit_sm", n, timeout)

    # ------------------------------------------------------------------ hooks

    async def on_bind(self, session: SmscSession, pdu: Bind) -> BindResp | None:
        """Default: check `credentials` (when given)."""
        status = CommandStatus.ESME_ROK
        if self.credentials is not None:
            expected = self.credentials.get(pdu.system_id)
            if expected is None:
                status = CommandStatus.ESME_RINVSYSID
            elif expected != pdu.password:
                status = CommandStatus.ESME_RINVPASWD
        return self.bind_response(pdu, status)

    async def on_submit(self, session: SmscSession, pdu: SubmitSm) -> SubmitSmResp | None:
        """Default: accept. Return None to leave the submit unanswered."""
        return self.accept(pdu)

    def after_submit(self, session: SmscSession, pdu: SubmitSm, resp: SubmitSmResp) -> None:
        """Called once the response is sent. Default: the receipt, if one was requested."""
        if resp.command_status == CommandStatus.ESME_ROK and pdu.registered_delivery & 0x03:
            self.schedule_receipt(session, pdu, resp.message_id)

    async def on_enquire_link(self, session: SmscSession, pdu: EnquireLink) -> Pdu | None:
        return EnquireLinkResp()

    async def on_unbind(self, session: SmscSession, pdu: Unbind) -> UnbindResp | None:
        """Default: acknowledge; the connection is then closed. None ignores the unbind."""
        return UnbindResp()

    # ------------------------------------------------------------------ helpers for hooks

    def bind_response(self, pdu: Bind, status: int = CommandStatus.ESME_ROK) -> BindResp:
        resp_id = CommandId(pdu.command_id | RESPONSE_BIT)
        return BindResp(command_id=resp_id, command_status=status, system_id=self.system_id)

    def accept(self, pdu: SubmitSm) -> SubmitSmResp:
        """Allocate a message id for `pdu` and return the ESME_ROK response."""
        message_id = self.format_id(self._next_id, self.message_id_style)
        self._next_id += 1
        self.messages[message_id] = pdu
        return SubmitSmResp(message_id=message_id)

    def format_id(self, number: int, style: IdStyle) -> str:
        return f"{number:x}" if style == "hex" else str(number)

    def parse_id(self, message_id: str) -> int:
        return int(message_id, 16 if self.message_id_style == "hex" else 10)

    def make_receipt(self, pdu: SubmitSm, message_id: str) -> DeliverSm:
        """The receipt for the accepted `pdu` whose submit_sm_resp carried `message_id`."""
        number = self.parse_id(message_id)
        return make_receipt(
            pdu,
            text_id=self.format_id(number, self.receipt_id_style),
            tlv_id=self.format_id(number, "hex"),
            stat=self.receipt_stat,
            err=self.receipt_err,
        )

    def schedule_receipt(self, session: SmscSession, pdu: SubmitSm, message_id: str) -> None:
        """Send the receipt for `pdu` after `receipt_delay` (at once when 0)."""
        receipt = self.make_receipt(pdu, message_id)
        if self.receipt_delay <= 0:
            self.send_deliver(receipt, session.system_id, session)
            return

        def fire() -> None:
            self._timers.discard(timer)
            self.send_deliver(receipt, session.system_id, session)

        timer = asyncio.get_running_loop().call_later(self.receipt_delay, fire)
        self._timers.add(timer)

    # ------------------------------------------------------------------ internals

    async def _bind(self, session: SmscSession, pdu: Bind) -> Pdu | None:
        if session.bind_id is not None:
            return self.bind_response(pdu, CommandStatus.ESME_RALYBND)
        resp = await self.on_bind(session, pdu)
        if resp is None:
            return None
        if resp.command_id != pdu.command_id | RESPONSE_BIT:
            resp = replace(resp, command_id=CommandId(pdu.command_id | RESPONSE_BIT))
        session.send(resp, pdu.sequence_number)
        if resp.command_status == CommandStatus.ESME_ROK:
            session.bind_id, session.system_id = pdu.command_id, pdu.system_id
            self.count("bound")
            if session.can_receive:
                self._flush_undelivered(session)
        return None

    async def _submit(self, session: SmscSession, pdu: SubmitSm) -> None:
        resp = await self.on_submit(session, pdu)
        if resp is not None:
            session.send(resp, pdu.sequence_number)
            self.after_submit(session, pdu, resp)

    async def _unbind(self, session: SmscSession, pdu: Unbind) -> None:
        resp = await self.on_unbind(session, pdu)
        if resp is not None:
            session.send(resp, pdu.sequence_number)
            session.close()
