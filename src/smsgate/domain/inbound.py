"""Inbound (mobile-originated) records: a part of a concatenated MO, and an MO to store."""

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class MoPart:
    """One part of a concatenated MO, as received."""

    connection: str
    source: str
    destination: str
    ref: int
    total: int
    seq: int  # 1..total
    text: str


@dataclass(frozen=True, slots=True)
class InboundRow:
    """An `inbound_messages` row to insert."""

    realm_id: int | None
    connection: str
    sender_code: str
    phone: str
    text: str
    keyword: str
    received_at: float
