"""The readiness write probe on the real databases: it commits a row, and it fails where a
write would (a PostgreSQL database made read-only)."""

import pytest
from sqlalchemy import select, text
from sqlalchemy.engine import make_url

from smsgate.bootstrap import Gateway
from smsgate.store import schema as s
from smsgate.store.probe import probe_write


async def probed_at(gateway: Gateway) -> list[float]:
    async with gateway.db.reader.connect() as conn:
        return [row[0] for row in await conn.execute(select(s.readiness_probe.c.probed_at))]


async def test_the_probe_commits_one_row_again_and_again(gateway: Gateway) -> None:
    await probe_write(gateway.transactions)
    (first,) = await probed_at(gateway)
    await probe_write(gateway.transactions)
    (second,) = await probed_at(gateway)  # still one row, written again
    assert second >= first
    assert (await gateway.readiness.check()).ready


@pytest.mark.parametrize(
    "database_url", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)
async def test_a_read_only_postgresql_database_is_not_ready(
    gateway: Gateway, database_url: str
) -> None:
    name = make_url(database_url).database
    async with gateway.db.write_engine.connect() as conn:
        await conn.execute(text(f'ALTER DATABASE "{name}" SET default_transaction_read_only = on'))
        await conn.commit()
    await gateway.db.write_engine.dispose()  # new connections: read-only, as on a standby
    with pytest.raises(Exception, match="read-only transaction"):
        await probe_write(gateway.transactions)
    answer = await gateway.readiness.check()
    assert not answer.ready
    assert answer.reason.startswith("store not writable: ")
    assert "read-only transaction" in answer.reason
