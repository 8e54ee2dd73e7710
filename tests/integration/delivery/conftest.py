"""Fixtures for the delivery tests: in-process gateways pointed at a fake SMSC on loopback.

`start_smsc(fake)` starts any `SmscSimulator` (usually one of `tests.fakes.smsc`) on
127.0.0.1:0; `start_gateway(smsc, ...)` builds a gateway with ONE `[[smpp]]` connection to it
(fast reconnects and throttle pauses, so failure modes are quick), on a SQLite file unless a
`database_url` is given. Both are stopped at teardown, gateways first.
"""

import asyncio
import itertools
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from smsgate.auth.passwords import hash_password
from smsgate.bootstrap import Gateway, build
from smsgate.config import GatewayConfig, SmppConnectionConfig
from smsgate.domain.encoding import segment
from smsgate.domain.model import Message, Outcome
from smsgate.ids import new_message_id
from smsgate.settings import Settings
from smsgate.smpp.simulator import SmscSimulator
from smsgate.store import schema as s
from tests.conftest import CHEAP_HASHER
from tests.support.waiting import eventually

CONNECTION = "carrier"
REALM = "acme"
CODE = "12345"
STATUS_TIMEOUT = 30.0  # a bound for a loaded machine; a healthy run needs milliseconds

_phones = itertools.count(12065550000)


def unique_phone() -> str:
    return str(next(_phones))


def connection(smsc: SmscSimulator, **overrides: Any) -> SmppConnectionConfig:
    values: dict[str, Any] = {
        "name": CONNECTION,
        "host": "127.0.0.1",
        "port": smsc.port,
        "system_id": "smsgate",
        "password": "pw",
        "reconnect_initial": 0.05,
        "reconnect_max": 0.2,
        "throttle_backoff": 0.05,
        "response_timeout": 5.0,
    }
    values.update(overrides)
    return SmppConnectionConfig(**values)


StartSmsc = Callable[[SmscSimulator], Awaitable[SmscSimulator]]


@pytest.fixture
async def start_smsc() -> AsyncIterator[StartSmsc]:
    started: list[SmscSimulator] = []

    async def start(fake: SmscSimulator) -> SmscSimulator:
        await fake.start("127.0.0.1", 0)
        started.append(fake)
        return fake

    try:
        yield start
    finally:
        for fake in started:
            await fake.stop()


StartGateway = Callable[..., Awaitable[Gateway]]


@pytest.fixture
async def start_gateway(tmp_path: Path) -> AsyncIterator[StartGateway]:
    """`await start_gateway(smsc, database_url=None, start=True, **connection_overrides)`."""
    gateways: list[Gateway] = []

    async def make(
        smsc: SmscSimulator | None,
        *,
        database_url: str | None = None,
        start: bool = True,
        dispatch: bool = True,
        **overrides: Any,
    ) -> Gateway:
        smpp = (connection(smsc, **overrides),) if smsc is not None else ()
        settings = Settings(
            data_dir=tmp_path,
            database_url=database_url,
            dispatch=dispatch,
            simulator_port=0,
            config=None,
        )
        gateway = build(settings, GatewayConfig(smpp=smpp))
        gateways.append(gateway)
        if start:
            await gateway.start()
        return gateway

    try:
        yield make
    finally:
        for gateway in reversed(gateways):
            await gateway.stop()


async def add_realm(gateway: Gateway, *codes: str, name: str = REALM, **options: Any) -> int:
    """A realm owning `codes` (default CODE); options go to every `add_sender`."""
    realm_id = await gateway.realms.add_realm(name, hash_password("pw", hasher=CHEAP_HASHER))
    for code in codes or (CODE,):
        await gateway.realms.add_sender(name, code, **options)
    return realm_id


def new_message(
    realm_id: int, text: str = "hello", *, code: str = CODE, phone: str = ""
) -> Message:
    segmented = segment(text)
    return Message(
        id=new_message_id(),
        realm_id=realm_id,
        sender_code=code,
        phone=phone or unique_phone(),
        text=text,
        encoding=segmented.encoding.value,
        parts=segmented.count,
        created_at=time.time(),
    )


async def send(gateway: Gateway, realm_id: int, text: str = "hello", **kwargs: Any) -> Message:
    message = new_message(realm_id, text, **kwargs)
    assert await gateway.accepter.accept(message) is Outcome.ACCEPTED
    return message


async def send_many(gateway: Gateway, realm_id: int, n: int, **kwargs: Any) -> list[Message]:
    return list(
        await asyncio.gather(*(send(gateway, realm_id, f"message {i}", **kwargs) for i in range(n)))
    )


@dataclass(frozen=True)
class Row:
    status: str
    error: str | None
    attempts: int


async def rows(gateway: Gateway, ids: Iterable[str]) -> dict[str, Row]:
    async with gateway.db.reader.connect() as conn:
        result = await conn.execute(
            select(
                s.messages.c.id, s.messages.c.status, s.messages.c.error, s.messages.c.attempts
            ).where(s.messages.c.id.in_(list(ids)))
        )
        return {r.id: Row(r.status, r.error, r.attempts) for r in result}


async def parts(gateway: Gateway, message_id: str) -> list[Any]:
    async with gateway.db.reader.connect() as conn:
        result = await conn.execute(
            select(s.message_parts)
            .where(s.message_parts.c.message_id == message_id)
            .order_by(s.message_parts.c.part_no)
        )
        return list(result)


async def wait_status(
    gateway: Gateway, messages: Iterable[Message | str], *statuses: str
) -> dict[str, Row]:
    """Wait until every message has one of `statuses`; return the rows."""
    ids = [m if isinstance(m, str) else m.id for m in messages]
    found: dict[str, Row] = {}

    async def done() -> bool:
        found.update(await rows(gateway, ids))
        return all(found[i].status in statuses for i in ids)

    def seen() -> str:
        return f"still {dict(Counter(row.status for row in found.values()))}"

    what = f"{len(ids)} messages to be {'/'.join(statuses)}"
    await eventually(done, timeout=STATUS_TIMEOUT, what=what, describe=seen)
    return found
