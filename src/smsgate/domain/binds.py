"""SMPP bind slots as the database records them (PostgreSQL scale-out, ADR 0004)."""

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class BindLease:
    """A bind slot's lease: who holds it (a node id, or None), until when (epoch seconds)."""

    connection: str
    slot: int
    owner: str | None
    lease_until: float

    def live(self, now: float) -> bool:
        return self.owner is not None and self.lease_until >= now
