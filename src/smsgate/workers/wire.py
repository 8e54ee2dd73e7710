"""What travels between an API worker and the core, and the result codes.

worker -> core: `(ACCEPT, [(seq, *message fields), ...])`  messages to commit
                `(METRICS, seq)`                            the core's /metrics text
                `(READY, seq)`                              the core's readiness (/readyz)
                `(OPT_OUT, seq, realm_id, phone, code, source)`  an opt-out to commit
core -> worker: `(RESULTS, [(seq, code), ...])`             one code per message
                `(METRICS, seq, text)`
                `(READY, seq, ready, reason)`
                `(OPT_OUT, seq, code)`                      ADDED, ALREADY or UNAVAILABLE
"""

from typing import Any

from smsgate.domain.model import Message, Outcome

ACCEPT = "accept"
RESULTS = "results"
METRICS = "metrics"
READY = "ready"
OPT_OUT = "opt_out"

# result codes: the two outcomes, or "not committed" (the core is stopping or its store failed)
# (DUPLICATE is a /v1 outcome, never an api_web one; 2 is UNAVAILABLE)
CODES = {Outcome.ACCEPTED: 0, Outcome.OPTED_OUT: 1, Outcome.DUPLICATE: 3}
OUTCOMES = {code: outcome for outcome, code in CODES.items()}
UNAVAILABLE = 2
# opt-out result codes: a new opt-out, or one that was there already (UNAVAILABLE: not committed)
ADDED, ALREADY = 0, 1


def message_fields(seq: int, m: Message) -> tuple[Any, ...]:
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


def message_from(fields: tuple[Any, ...]) -> tuple[int, Message]:
    seq, id_, realm_id, sender_code, phone, text, encoding, parts, created_at, kind = fields
    return seq, Message(
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
