"""More fake SMSCs for the delivery tests (the common ones are in `smsc.py`)."""

import asyncio
import time
from collections.abc import Callable
from typing import Any

from smsgate.domain.encoding import split_udh
from smsgate.smpp.codes import TLV_RECEIPTED_MESSAGE_ID
from smsgate.smpp.pdu import DeliverSm, SubmitSm, SubmitSmResp
from smsgate.smpp.simulator import SmscSession, SmscSimulator


def part_number(pdu: SubmitSm) -> int:
    """The UDH sequence number of a concatenated part (1 for a single-part message)."""
    concat, _ = split_udh(pdu.short_message) if pdu.esm_class & 0x40 else (None, b"")
    return concat[2] if concat is not None else 1


class TextIdReceiptSMSC(SmscSimulator):
    """Receipts carry the id only in their text (no receipted_message_id TLV), spelled by
    `spell(number)`, while submit_sm_resp uses `message_id_style`."""

    def __init__(self, spell: Callable[[int], str], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.spell = spell

    def make_receipt(self, pdu: SubmitSm, message_id: str) -> DeliverSm:
        receipt = super().make_receipt(pdu, message_id)
        number = self.parse_id(message_id)
        text = receipt.short_message.decode("ascii")
        default_text_id = self.format_id(number, self.receipt_id_style)
        text = text.replace(f"id:{default_text_id} ", f"id:{self.spell(number)} ", 1)
        tlvs = tuple(t for t in receipt.tlvs if t[0] != TLV_RECEIPTED_MESSAGE_ID)
        return DeliverSm(
            source_addr=receipt.source_addr,
            destination_addr=receipt.destination_addr,
            esm_class=receipt.esm_class,
            short_message=text.encode("ascii"),
            tlvs=tlvs,
        )


class PerPartReceiptSMSC(SmscSimulator):
    """The receipt's stat depends on the part number (`stats`, default DELIVRD); receipts of
    the parts in `hold` are kept in `held` instead of being sent."""

    def __init__(
        self, stats: dict[int, str] | None = None, hold: frozenset[int] = frozenset(), **kw: Any
    ) -> None:
        super().__init__(**kw)
        self.stats = stats or {}
        self.hold = hold
        self.held: list[tuple[DeliverSm, str]] = []

    def make_receipt(self, pdu: SubmitSm, message_id: str) -> DeliverSm:
        self.receipt_stat = self.stats.get(part_number(pdu), "DELIVRD")
        return super().make_receipt(pdu, message_id)

    def schedule_receipt(self, session: SmscSession, pdu: SubmitSm, message_id: str) -> None:
        if part_number(pdu) in self.hold:
            self.held.append((self.make_receipt(pdu, message_id), session.system_id))
            return
        super().schedule_receipt(session, pdu, message_id)

    def release_held(self) -> None:
        for receipt, system_id in self.held:
            self.send_deliver(receipt, system_id)
        self.held.clear()


class ReceiptFirstSMSC(SmscSimulator):
    """Sends the receipt, waits until the ESME has acknowledged it (so the gateway has
    stored it), then holds the submit_sm_resp until `release` is set."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.release = asyncio.Event()

    async def on_submit(self, session: SmscSession, pdu: SubmitSm) -> SubmitSmResp | None:
        resp = self.accept(pdu)
        receipt = self.make_receipt(pdu, resp.message_id)
        answer = await session.request(receipt)
        self.delivered.append((receipt, answer.command_status))
        self.count("deliver_sm_acked")
        await self.release.wait()
        return resp

    def after_submit(self, session: SmscSession, pdu: SubmitSm, resp: SubmitSmResp) -> None:
        pass  # the receipt has gone already


class InstrumentedSMSC(SmscSimulator):
    """Answers every submit after `delay` seconds and records, per submit, its arrival time
    (`stamps`, monotonic) and how many submits were unanswered at that moment (`peak`)."""

    def __init__(self, delay: float = 0.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.delay = delay
        self.stamps: list[tuple[float, SubmitSm]] = []
        self.outstanding = 0
        self.peak = 0

    async def on_submit(self, session: SmscSession, pdu: SubmitSm) -> SubmitSmResp | None:
        self.stamps.append((time.monotonic(), pdu))
        self.outstanding += 1
        self.peak = max(self.peak, self.outstanding)
        try:
            if self.delay:
                await asyncio.sleep(self.delay)
            return self.accept(pdu)
        finally:
            self.outstanding -= 1
