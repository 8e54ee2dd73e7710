"""The console's webhook use cases over fakes: a new endpoint's secret is taken once, by the
session that added it, within its time, by another instance too (another process); the
viewer's scope; a page's cursor."""

from typing import Any

import pytest

from smsgate.constants import CONSOLE_SECRET_KEPT_SECONDS
from smsgate.domain.console import ConsoleUser, DeliveryRow, Viewer
from smsgate.domain.history import MAX_SERIAL_ID
from smsgate.domain.webhook import Delivery, DeliveryStatus, Endpoint
from smsgate.services.console_webhooks import ConsoleWebhooks
from smsgate.services.errors import InvalidInput, NotFound
from smsgate.services.webhooks import Webhooks

REALMS = {"north": 1, "south": 2}
ANN = Viewer(ConsoleUser(2, "ann", 1, "north", 0.0), csrf="ann-session")
ANN_ELSEWHERE = Viewer(ANN.user, csrf="another-session")


class Realms:
    async def realm_id(self, name: str) -> int:
        if name not in REALMS:
            raise NotFound(f"realm {name} not found")
        return REALMS[name]


class Store:
    """What `Webhooks` needs of its store, in memory."""

    def __init__(self) -> None:
        self.endpoints: list[Endpoint] = []

    async def add(self, endpoint: Endpoint) -> None:
        self.endpoints.append(endpoint)

    async def list(self, realm_id: int) -> list[Endpoint]:
        return [e for e in self.endpoints if e.realm_id == realm_id]

    async def get(self, realm_id: int, endpoint_id: str) -> Endpoint | None:
        found = [e for e in await self.list(realm_id) if e.id == endpoint_id]
        return found[0] if found else None


class Reveals:
    """`Reveals` in memory, as store/console_reveals.py keeps them (one per token hash)."""

    def __init__(self) -> None:
        self.rows: dict[str, tuple[str, str, float]] = {}

    async def keep(
        self, token_hash: str, csrf: str, subject: str, now: float, kept_before: float
    ) -> None:
        self.rows = {k: v for k, v in self.rows.items() if v[2] >= kept_before}
        self.rows[token_hash] = (csrf, subject, now)

    async def take(self, token_hash: str, csrf: str, kept_since: float) -> str | None:
        row = self.rows.get(token_hash)
        if row is None or row[0] != csrf or row[2] < kept_since:
            return None
        del self.rows[token_hash]
        return row[1]


class Reader:
    def __init__(self, n: int) -> None:
        self.rows = [_row(i) for i in range(n, 0, -1)]
        self.asked: list[dict[str, Any]] = []

    async def deliveries(self, realm_id: int, **kwargs: Any) -> list[DeliveryRow]:
        self.asked.append({"realm_id": realm_id, **kwargs})
        before = kwargs["before"]
        rows = [r for r in self.rows if before is None or r.delivery.id < before]
        return rows[: kwargs["limit"]]


def _row(i: int) -> DeliveryRow:
    none = (None, None, None, None)
    d = Delivery(i, "evt", "webhook.test", "ep", DeliveryStatus.PENDING, 0, 0.0, 0.0, *none)
    return DeliveryRow(d, 1, "https://example.com/", True)


async def resolve(host: str, port: int) -> list[str]:
    return ["93.184.215.14"]


class Clock:
    now = 100.0

    def __call__(self) -> float:
        return self.now


def _service(
    clock: Clock,
    reader: Reader | None = None,
    *,
    store: Store | None = None,
    reveals: Reveals | None = None,
) -> ConsoleWebhooks:
    webhooks = Webhooks(store or Store(), Realms(), resolver=resolve)  # type: ignore[arg-type]
    return ConsoleWebhooks(
        webhooks,
        reader or Reader(0),
        Realms(),
        reveals or Reveals(),
        clock=clock,  # type: ignore[arg-type]
    )


async def test_the_secret_is_taken_once_by_the_session_that_added_it() -> None:
    clock, store, reveals = Clock(), Store(), Reveals()
    hooks = _service(clock, store=store, reveals=reveals)
    other_process = _service(clock, store=store, reveals=reveals)
    token = await hooks.add(ANN, "north", "https://hooks.example.com/", ["message.status"])
    assert token not in str(reveals.rows)  # kept by its hash only
    assert await hooks.take_added(ANN_ELSEWHERE, "north", token) is None
    shown = await other_process.take_added(ANN, "north", token)
    assert shown is not None and shown.secret.startswith("whsec_")
    assert shown == store.endpoints[0]
    assert await hooks.take_added(ANN, "north", token) is None  # once
    assert await hooks.take_added(ANN, "north", None) is None
    assert await hooks.take_added(ANN, "north", "guess") is None

    late = await hooks.add(ANN, "north", "https://hooks.example.com/", ["message.status"])
    clock.now += CONSOLE_SECRET_KEPT_SECONDS + 1
    assert await hooks.take_added(ANN, "north", late) is None
    assert len(reveals.rows) == 1  # not taken, and not yet expired at a keep
    await hooks.add(ANN, "north", "https://hooks.example.com/", ["optout.changed"])
    assert len(reveals.rows) == 1  # the late one went at this keep

    removed = await hooks.add(ANN, "north", "https://hooks.example.com/", ["message.status"])
    store.endpoints.pop()  # removed before its page was shown
    assert await hooks.take_added(ANN, "north", removed) is None


async def test_scope_and_choices() -> None:
    hooks = _service(Clock())
    with pytest.raises(InvalidInput, match="at least one event type"):
        await hooks.add(ANN, "north", "https://hooks.example.com/", [])
    with pytest.raises(NotFound):
        await hooks.add(ANN, "south", "https://hooks.example.com/", ["message.status"])
    with pytest.raises(NotFound):
        await hooks.deliveries(ANN, "south")
    with pytest.raises(ValueError, match="only http and https"):
        await hooks.add(ANN, "north", "ftp://hooks.example.com/", ["message.status"])


async def test_a_page_of_deliveries_and_its_cursor() -> None:
    reader = Reader(5)
    hooks = _service(Clock(), reader)
    first = await hooks.deliveries(ANN, "north", limit=2)
    assert [r.delivery.id for r in first.rows] == [5, 4] and first.next_cursor == 4
    last = await hooks.deliveries(ANN, "north", before=2, limit=2)
    assert [r.delivery.id for r in last.rows] == [1] and last.next_cursor is None
    assert reader.asked[0] == {"realm_id": 1, "failed_only": False, "before": None, "limit": 3}


async def test_an_id_no_delivery_can_have_is_not_found_without_a_query() -> None:
    # Starlette's `{delivery_id:int}` and the CLI take any integer; PostgreSQL refuses one past
    # the 32-bit column with an error, so such an id must never reach the store.
    hooks = _service(Clock())  # Reader and Store have no `delivery`/`delivery_realm`: a query
    for delivery_id in (0, -1, MAX_SERIAL_ID + 1, 10**30):  # would be an AttributeError
        with pytest.raises(NotFound, match="not found"):
            await hooks.replay(ANN, "north", delivery_id)
        with pytest.raises(NotFound, match="not found"):
            await Webhooks(Store(), Realms(), resolver=resolve).replay(delivery_id)  # type: ignore[arg-type]
