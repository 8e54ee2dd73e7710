"""What travels between an API worker and the core, and the result codes.

worker -> core: `(ACCEPT, [(seq, *message fields), ...])`  messages to commit
                `(METRICS, seq)`                            the core's /metrics text
core -> worker: `(RESULTS, [(seq, code), ...])`             one code per message
                `(METRICS, seq, text)`
"""

from typing import Any

from smsgate.domain.model import NewMessage
from smsgate.store.accept import Outcome

ACCEPT = "accept"
RESULTS = "results"
METRICS = "metrics"

# result codes: the two outcomes, or "not committed" (the core is stopping or its store failed)
CODES = {Outcome.ACCEPTED: 0, Outcome.OPTED_OUT: 1}
OUTCOMES = {code: outcome for outcome, code in CODES.items()}
UNAVAILABLE = 2


def message_fields(seq: int, m: NewMessage) -> tuple[Any, ...]:
    return (
        seq,
        m.id,
        m.realm_id,
        m.sender_code,
        m.phone,
        m.text,
        m.encoding,
        m.parts,
        m.created_at,
        m.kind,
    )


def message_from(fields: tuple[Any, ...]) -> tuple[int, NewMessage]:
    seq, id_, realm_id, sender_code, phone, text, encoding, parts, created_at, kind = fields
    return seq, NewMessage(
        id=id_,
        realm_id=realm_id,
        sender_code=sender_code,
        phone=phone,
        text=text,
        encoding=encoding,
        parts=parts,
        created_at=created_at,
        kind=kind,
    )
