"""The console's webhook use cases over fakes: a new endpoint's secret is taken once, by the
session that added it, within its time; the viewer's scope; a page's cursor."""

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


def _service(clock: Clock, reader: Reader | None = None) -> ConsoleWebhooks:
    webhooks = Webhooks(Store(), Realms(), resolver=resolve)  # type: ignore[arg-type]
    return ConsoleWebhooks(webhooks, reader or Reader(0), Realms(), monotonic=clock)  # type: ignore[arg-type]


async def test_the_secret_is_taken_once_by_the_session_that_added_it() -> None:
    clock = Clock()
    hooks = _service(clock)
    token = await hooks.add(ANN, "north", "https://hooks.example.com/", ["message.status"])
    assert hooks.take_added(ANN_ELSEWHERE, token) is None
    shown = hooks.take_added(ANN, token)
    assert shown is not None and shown.secret.startswith("whsec_")
    assert hooks.take_added(ANN, token) is None  # once
    assert hooks.take_added(ANN, None) is None and hooks.take_added(ANN, "guess") is None

    late = await hooks.add(ANN, "north", "https://hooks.example.com/", ["message.status"])
    clock.now += CONSOLE_SECRET_KEPT_SECONDS + 1
    assert hooks.take_added(ANN, late) is None
    tokens = [
        await hooks.add(ANN, "north", "https://hooks.example.com/", ["optout.changed"])
        for _ in range(101)
    ]
    assert hooks.take_added(ANN, tokens[0]) is None  # at most 100 wait: the oldest went
    assert hooks.take_added(ANN, tokens[-1]) is not None


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
