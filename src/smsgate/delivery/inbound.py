"""Inbound (mobile-originated) messages: store each one, act on STOP/START/HELP, confirm.

A multipart MO (UDH or SAR TLVs) is reassembled before keyword matching: each part is stored
(`store/inbound_parts.py`) before it is acknowledged, and the part that completes the set brings
the whole text, in the same transaction that stores the MO, so a restart between parts loses
nothing. The realm is found by the sender code the phone texted. In ONE transaction the MO is
stored, the opt-out list and its ledger are changed (with the MO as the ledger's evidence), and
the confirmation reply is queued; only then is the deliver_sm acknowledged. The reply is a
message of kind "reply": it answers the phone's own request, so the dispatcher sends it even to
a phone that has just opted out.

The source is normalised like every phone (`domain.phone`), and the sender code is found under
any of its spellings (`store.directory`). An alphanumeric source is stored but never opted out
or answered (it is not a phone); a source that is neither (non-ASCII characters, "²³¹...") is
refused with ESME_RINVSRCADR and not stored. A message that is no keyword but mentions a stop
word later on is counted in `smsgate_mo_possible_optout` and logged with its id (not its text,
which is the subscriber's) for an operator to review.
"""

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict

from sqlalchemy import insert

from smsgate.constants import DATA_CODING_UCS2, ESM_CLASS_UDHI, MAX_ALPHANUMERIC_SENDER
from smsgate.domain.encoding import gsm7_decode, segment, split_udh, ucs2_decode
from smsgate.domain.keywords import (
    DEFAULT_HELP_REPLY,
    DEFAULT_START_REPLY,
    DEFAULT_STOP_REPLY,
    Keyword,
    classify,
    mentions_stop,
)
from smsgate.domain.model import NewMessage, SenderCode, Status
from smsgate.domain.phone import normalise_phone, phone_error
from smsgate.metrics import INBOUND, MO_POSSIBLE_OPTOUT
from smsgate.smpp.codes import (
    TLV_SAR_MSG_REF_NUM,
    TLV_SAR_SEGMENT_SEQNUM,
    TLV_SAR_TOTAL_SEGMENTS,
    CommandStatus,
)
from smsgate.smpp.pdu import DeliverSm, get_tlv
from smsgate.store import schema as s
from smsgate.store.database import Database
from smsgate.store.directory import SenderDirectory
from smsgate.store.ids import new_message_id
from smsgate.store.inbound_parts import MoPart, add_part
from smsgate.store.optouts import OptOutStore

log = logging.getLogger(__name__)

DATA_CODING_LATIN1 = 0x03


def decode_text(data_coding: int, payload: bytes) -> str:
    if data_coding == DATA_CODING_UCS2:
        return ucs2_decode(payload)
    if data_coding == DATA_CODING_LATIN1:
        return payload.decode("latin-1")
    return gsm7_decode(payload)


def _concat_info(pdu: DeliverSm) -> tuple[tuple[int, int, int] | None, bytes]:
    """((ref, total, seq) or None, the payload without UDH)."""
    payload = pdu.payload
    if pdu.esm_class & ESM_CLASS_UDHI:
        return split_udh(payload)
    ref = get_tlv(pdu.tlvs, TLV_SAR_MSG_REF_NUM)
    total = get_tlv(pdu.tlvs, TLV_SAR_TOTAL_SEGMENTS)
    seq = get_tlv(pdu.tlvs, TLV_SAR_SEGMENT_SEQNUM)
    if ref and total and seq:
        return (int.from_bytes(ref, "big"), total[0], seq[0]), payload
    return None, payload


def source_phone(source: str, region: str) -> tuple[str, bool] | None:
    """(what to store as an MO's phone, whether it is a phone number) for its source address;
    None if it is neither a number nor an alphanumeric sender id."""
    bare = source.strip()
    if phone_error(bare.removeprefix("+")) is None:
        return normalise_phone(bare, region), True
    if bare.isascii() and bare.isalnum() and len(bare) <= MAX_ALPHANUMERIC_SENDER:
        return bare, False
    return None


def reply_text(sender: SenderCode, keyword: Keyword) -> str | None:
    if keyword is Keyword.STOP:
        return sender.stop_reply or DEFAULT_STOP_REPLY
    if keyword is Keyword.START:
        return sender.start_reply or DEFAULT_START_REPLY
    if keyword is Keyword.HELP:
        return sender.help_reply or DEFAULT_HELP_REPLY
    return None


class InboundHandler:
    """Handles one MO deliver_sm at a time (called by the link's deliver callback)."""

    def __init__(
        self,
        db: Database,
        senders: SenderDirectory,
        optouts: OptOutStore,
        *,
        default_region: str,
        on_reply: Callable[[Sequence[NewMessage]], None],
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._db = db
        self._senders = senders
        self._optouts = optouts
        self._region = default_region
        self._on_reply = on_reply
        self._clock = clock  # wall clock: parts' ages survive a restart

    async def handle(self, connection: str, pdu: DeliverSm) -> int | None:
        """None once the MO is stored (or a part of it kept); an error status to refuse it."""
        if source_phone(pdu.source_addr, self._region) is None:
            log.warning("MO from %r refused: not a phone number or sender id", pdu.source_addr)
            return CommandStatus.ESME_RINVSRCADR
        concat, payload = _concat_info(pdu)
        text = decode_text(pdu.data_coding, payload)
        received: str | MoPart = text
        # (a part number outside 1..total cannot be placed: kept as a message of its own)
        if concat is not None and concat[1] > 1 and 1 <= concat[2] <= concat[1]:
            ref, total, seq = concat
            source, destination = pdu.source_addr[:32], pdu.destination_addr[:32]
            received = MoPart(connection, source, destination, ref, total, seq, text)
        await self._store(connection, pdu.source_addr, pdu.destination_addr, received)
        return None

    async def _store(
        self, connection: str, source: str, destination: str, received: str | MoPart
    ) -> None:
        """Store an MO, or a part of one (the whole MO once its last part is in)."""
        found = source_phone(source, self._region)
        assert found is not None  # refused in `handle`
        phone, is_phone = found
        sender = await self._senders.get(destination)
        reply: NewMessage | None = None
        async with self._db.writer.begin() as conn:
            if isinstance(received, MoPart):
                text = await add_part(conn, received, self._clock())
                if text is None:
                    return  # stored: acknowledged, and the set waits for its other parts
            else:
                text = received
            keyword = classify(text) if sender is not None and is_phone else Keyword.NONE
            INBOUND.labels(keyword.value).inc()
            inbound_id = (
                await conn.execute(
                    insert(s.inbound_messages).values(
                        realm_id=sender.realm_id if sender else None,
                        connection=connection,
                        sender_code=sender.code if sender else destination[:32],
                        phone=phone,
                        text=text,
                        keyword=keyword.value,
                        received_at=time.time(),
                    )
                )
            ).inserted_primary_key
            mo_id = int(inbound_id[0]) if inbound_id else None
            if sender is None:
                log.warning("MO to unknown sender code %s stored without a realm", destination)
                return
            if is_phone and keyword is Keyword.NONE and mentions_stop(text):
                MO_POSSIBLE_OPTOUT.inc()
                log.info("MO %s to %s may be an opt-out: review it", mo_id, sender.code)
            if keyword is Keyword.STOP:
                await self._optouts.add(
                    sender.realm_id, phone, sender.code, source="mo", inbound_id=mo_id, conn=conn
                )
            elif keyword is Keyword.START:
                await self._optouts.remove(
                    sender.realm_id, phone, sender.code, source="mo", inbound_id=mo_id, conn=conn
                )
            text_out = reply_text(sender, keyword)
            if text_out is not None:
                segmented = segment(text_out)
                reply = NewMessage(
                    id=new_message_id(),
                    realm_id=sender.realm_id,
                    sender_code=sender.code,
                    phone=phone,
                    text=text_out,
                    encoding=segmented.encoding.value,
                    parts=segmented.count,
                    created_at=time.time(),
                    kind="reply",
                )
                now = time.time()
                await conn.execute(
                    insert(s.messages).values(
                        **asdict(reply), status=Status.QUEUED.value, updated_at=now
                    )
                )
        if reply is not None:
            self._on_reply([reply])
