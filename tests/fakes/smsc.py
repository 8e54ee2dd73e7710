"""Fake SMSCs, one per failure mode, built on the real simulator (like Jasmin's
smsc_simulator.py). Each overrides one hook; everything else is the simulator's normal
behaviour, including its counters and `wait_for`.
"""

import asyncio
from typing import Any

from smsgate.smpp.codes import CommandId, CommandStatus
from smsgate.smpp.errors import GenericNackError
from smsgate.smpp.pdu import (
    Bind,
    BindResp,
    DeliverSm,
    EnquireLink,
    GenericNack,
    Pdu,
    SubmitSm,
    SubmitSmResp,
    encode,
)
from smsgate.smpp.simulator import SmscSession, SmscSimulator


class HappySMSC(SmscSimulator):
    """Accepts everything, answers at once, receipts when asked for. The baseline."""


class DeliveryReceiptSMSC(SmscSimulator):
    """Always sends a receipt (even when not requested), with a chosen outcome."""

    def __init__(self, *, stat: str = "DELIVRD", err: str = "000", **kwargs: Any) -> None:
        super().__init__(receipt_stat=stat, receipt_err=err, **kwargs)

    def after_submit(self, session: SmscSession, pdu: SubmitSm, resp: SubmitSmResp) -> None:
        if resp.command_status == CommandStatus.ESME_ROK:
            self.schedule_receipt(session, pdu, resp.message_id)


class HeldReceiptsSMSC(SmscSimulator):
    """Keeps the receipts it owes until `release_receipts()`: the test chooses the moment they
    arrive (after it has filled the disk, say). Redelivery is the simulator's own."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.held: list[tuple[SmscSession, SubmitSm, str]] = []

    def schedule_receipt(self, session: SmscSession, pdu: SubmitSm, message_id: str) -> None:
        self.held.append((session, pdu, message_id))

    def release_receipts(self) -> int:
        """Send every held receipt now; returns how many."""
        held, self.held = self.held, []
        for session, pdu, message_id in held:
            self.send_deliver(self.make_receipt(pdu, message_id), session.system_id, session)
        return len(held)


class RejectingSMSC(SmscSimulator):
    """Answers `status` to the first `first` submits and to every `every`-th one; with
    neither set, to all of them. Accepts the rest."""

    def __init__(self, status: int, *, first: int = 0, every: int = 0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.status = status
        self.first = first
        self.every = every
        self.rejected = 0
        self._seen = 0

    async def on_submit(self, session: SmscSession, pdu: SubmitSm) -> SubmitSmResp | None:
        self._seen += 1
        n = self._seen
        always = not self.first and not self.every
        if always or n <= self.first or (self.every and n % self.every == 0):
            self.rejected += 1
            return SubmitSmResp(command_status=self.status)
        return self.accept(pdu)


class ThrottlingSMSC(RejectingSMSC):
    """ESME_RTHROTTLED for the first `first` submits (default 5) or every `every`-th."""

    def __init__(self, *, first: int = 5, every: int = 0, **kwargs: Any) -> None:
        super().__init__(CommandStatus.ESME_RTHROTTLED, first=first, every=every, **kwargs)


class QueueFullSMSC(RejectingSMSC):
    """ESME_RMSGQFUL for the first `first` submits (default 5) or every `every`-th."""

    def __init__(self, *, first: int = 5, every: int = 0, **kwargs: Any) -> None:
        super().__init__(CommandStatus.ESME_RMSGQFUL, first=first, every=every, **kwargs)


class ErrorOnSubmitSMSC(RejectingSMSC):
    """A permanent error (default ESME_RINVDSTADR) for every submit."""

    def __init__(self, status: int = CommandStatus.ESME_RINVDSTADR, **kwargs: Any) -> None:
        super().__init__(status, **kwargs)


class DropConnectionSMSC(SmscSimulator):
    """Answers `after` submits, then closes the TCP connection on the next one, leaving it
    and everything else in flight unanswered. With `once` (default) it then behaves."""

    def __init__(self, *, after: int = 5, once: bool = True, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.after = after
        self.once = once
        self.drops = 0
        self._answered = 0

    async def on_submit(self, session: SmscSession, pdu: SubmitSm) -> SubmitSmResp | None:
        if not session.is_open:
            return None
        if self._answered >= self.after and not (self.once and self.drops):
            self.drops += 1
            self._answered = 0
            session.close()  # flushes the responses already sent, then FIN
            return None
        self._answered += 1
        return self.accept(pdu)


class SlowResponseSMSC(SmscSimulator):
    """Answers every submit after `delay` seconds."""

    def __init__(self, delay: float = 1.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.delay = delay

    async def on_submit(self, session: SmscSession, pdu: SubmitSm) -> SubmitSmResp | None:
        await asyncio.sleep(self.delay)
        return self.accept(pdu)


class ReceiptBeforeRespSMSC(SmscSimulator):
    """Writes the receipt BEFORE the submit_sm_resp that tells the ESME the message id."""

    async def on_submit(self, session: SmscSession, pdu: SubmitSm) -> SubmitSmResp | None:
        resp = self.accept(pdu)
        if pdu.registered_delivery & 0x03:
            self.send_deliver(self.make_receipt(pdu, resp.message_id), session.system_id, session)
        return resp

    def after_submit(self, session: SmscSession, pdu: SubmitSm, resp: SubmitSmResp) -> None:
        pass  # the receipt has gone already


class MalformedPduSMSC(SmscSimulator):
    """Sends a malformed PDU to the client, after every `every`-th submit and on demand
    (`send_malformed`). Kinds: `unknown_command` (command id 0x99), `truncated` (a
    deliver_sm cut short), `garbage` (a deliver_sm whose body is noise), `bad_length`
    (command_length 8: the stream cannot be re-synchronised, the client must close).
    The client's answers land in `replies` (a generic_nack appears as a GenericNack)."""

    KINDS = ("unknown_command", "truncated", "garbage", "bad_length")

    def __init__(self, kind: str = "unknown_command", *, every: int = 0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if kind not in self.KINDS:
            raise ValueError(kind)
        self.kind = kind
        self.every = every
        self.replies: list[Pdu] = []

    def after_submit(self, session: SmscSession, pdu: SubmitSm, resp: SubmitSmResp) -> None:
        super().after_submit(session, pdu, resp)
        if self.every and self.counters["submit_sm"] % self.every == 0:
            self._send(session, self.kind)

    async def send_malformed(self, kind: str | None = None) -> Pdu | None:
        """Send one malformed PDU to a bound session; the client's answer, or None if the
        connection closed without one."""
        session = next((s for s in self.sessions if s.bind_id is not None), None)
        if session is None:
            raise LookupError("no bound session to send a malformed PDU to")
        try:
            return await self._send(session, kind or self.kind)
        except GenericNackError as exc:
            return GenericNack(sequence_number=exc.sequence_number, command_status=exc.status)
        except ConnectionError:
            return None

    def _send(self, session: SmscSession, kind: str) -> "asyncio.Future[Pdu]":
        seq = session.next_sequence()
        frame = _malformed_frame(kind, seq)
        future = session.begin_request_frame(frame, seq, None, 5.0)
        future.add_done_callback(self._record)
        return future

    def _record(self, future: "asyncio.Future[Pdu]") -> None:
        if future.cancelled():
            return
        exc = future.exception()
        if exc is None:
            self.replies.append(future.result())
        elif isinstance(exc, GenericNackError):
            self.replies.append(GenericNack(command_status=exc.status))
        self.count("malformed_replies")


def _malformed_frame(kind: str, seq: int) -> bytes:
    if kind == "unknown_command":
        return (
            (16).to_bytes(4, "big") + (0x99).to_bytes(4, "big") + bytes(4) + seq.to_bytes(4, "big")
        )
    if kind == "bad_length":
        return (
            (8).to_bytes(4, "big") + (0x15).to_bytes(4, "big") + bytes(4) + seq.to_bytes(4, "big")
        )
    if kind == "garbage":
        body = b"\xff" * 100
    else:  # truncated: a real deliver_sm cut in the middle of destination_addr
        whole = encode(DeliverSm(source_addr="123456789", destination_addr="987654321"), seq)
        body = whole[16:30]
    length = 16 + len(body)
    header = length.to_bytes(4, "big") + int(CommandId.DELIVER_SM).to_bytes(4, "big")
    return header + bytes(4) + seq.to_bytes(4, "big") + body


class BindRefusedSMSC(SmscSimulator):
    """Refuses every bind with `status` (default ESME_RBINDFAIL)."""

    def __init__(self, status: int = CommandStatus.ESME_RBINDFAIL, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.status = status

    async def on_bind(self, session: SmscSession, pdu: Bind) -> BindResp | None:
        return self.bind_response(pdu, self.status)


class SilentEnquireLinkSMSC(SmscSimulator):
    """Never answers enquire_link (a half-dead link): the client must give up on it."""

    async def on_enquire_link(self, session: SmscSession, pdu: EnquireLink) -> Pdu | None:
        return None
