"""/v1 webhooks over `services.webhooks.Webhooks` and an in-memory store: the refusal codes, the
secret only when an endpoint is made, ids that cannot be ids, cursor pages, realm isolation."""

import builtins
import dataclasses
from typing import Any

import pytest

from smsgate.domain.submission import Refusal
from smsgate.domain.webhook import (
    Delivery,
    DeliveryStatus,
    Endpoint,
    EndpointState,
    NewEvent,
)
from smsgate.services.api_webhooks import ApiWebhooks
from smsgate.services.history import encode_cursor
from smsgate.services.webhooks import Webhooks
from smsgate.store.errors import NotFound

PUBLIC = "https://hooks.example.com/in"


class MemoryWebhooks:
    """The endpoint store of `Webhooks`, in memory."""

    def __init__(self) -> None:
        self.endpoints: dict[str, Endpoint] = {}
        self.deliveries_: list[tuple[int, Delivery]] = []  # (realm id, delivery)

    async def add(self, endpoint: Endpoint) -> None:
        self.endpoints[endpoint.id] = endpoint

    def _live(self, realm_id: int) -> list[Endpoint]:
        return [
            e
            for e in self.endpoints.values()
            if e.realm_id == realm_id and e.state is not EndpointState.REMOVED
        ]

    async def list(self, realm_id: int) -> list[Endpoint]:
        return self._live(realm_id)

    async def get(self, realm_id: int, endpoint_id: str) -> Endpoint | None:
        return next((e for e in self._live(realm_id) if e.id == endpoint_id), None)

    async def remove(self, realm_id: int, endpoint_id: str, now: float) -> bool:
        found = await self.get(realm_id, endpoint_id)
        if found is None:
            return False
        self.endpoints[endpoint_id] = dataclasses.replace(found, state=EndpointState.REMOVED)
        return True

    async def deliveries(
        self,
        realm_id: int,
        *,
        failed_only: bool = False,
        limit: int = 100,
        before: int | None = None,
    ) -> builtins.list[Delivery]:
        found = [
            d
            for realm, d in reversed(self.deliveries_)
            if realm == realm_id
            and (before is None or d.id < before)
            and (not failed_only or d.status is DeliveryStatus.FAILED)
        ]
        return found[:limit]

    async def delivery(self, realm_id: int, delivery_id: int) -> Delivery | None:
        return next((d for r, d in self.deliveries_ if r == realm_id and d.id == delivery_id), None)

    async def delivery_realm(self, delivery_id: int) -> int | None:
        return next((r for r, d in self.deliveries_ if d.id == delivery_id), None)

    async def replay(self, delivery_id: int, now: float) -> int | None:
        realm = await self.delivery_realm(delivery_id)
        old = await self.delivery(realm or 0, delivery_id)
        if old is None or self.endpoints[old.endpoint_id].state is EndpointState.REMOVED:
            return None
        return self._new(realm or 0, old.event_id, old.event_type, old.endpoint_id, now)

    async def enqueue(
        self, events: builtins.list[NewEvent], now: float, *, endpoint_id: str | None = None
    ) -> int:
        assert endpoint_id is not None  # only test events here
        for event in events:
            self._new(event.realm_id, event.id, event.type.value, endpoint_id, now)
        return len(events)

    def _new(self, realm: int, event_id: str, kind: str, endpoint_id: str, now: float) -> int:
        new_id = len(self.deliveries_) + 1
        delivery = Delivery(
            new_id, event_id, kind, endpoint_id, DeliveryStatus.PENDING, 0, now, now,
            None, None, None, None,
        )  # fmt: skip
        self.deliveries_.append((realm, delivery))
        return new_id


class Realms:
    async def realm_id(self, name: str) -> int:
        ids = {"a": 1, "b": 2}
        if name not in ids:
            raise NotFound(f"realm {name} not found")
        return ids[name]


DNS = {"hooks.example.com": ["93.184.215.14"], "lan.example.com": ["192.168.1.9"]}


async def resolver(host: str, port: int) -> list[str]:
    if host not in DNS:
        raise OSError("Name or service not known")
    return DNS[host]


@pytest.fixture
def store() -> MemoryWebhooks:
    return MemoryWebhooks()


@pytest.fixture
def api(store: MemoryWebhooks) -> ApiWebhooks:
    return ApiWebhooks(Webhooks(store, Realms(), resolver=resolver, clock=lambda: 1.0e9))


async def refused(call: Any) -> str:
    with pytest.raises(Refusal) as caught:
        await call
    return caught.value.code


async def test_add_shows_the_secret_then_never_again(api: ApiWebhooks) -> None:
    made = await api.add("a", PUBLIC, None)
    assert made["secret"].startswith("whsec_")
    assert made["events"] == ["message.status", "message.inbound", "optout.changed"]
    assert made["created_at"] == "2001-09-09T01:46:40.000Z"
    listed = await api.list("a")
    assert listed == [{k: v for k, v in made.items() if k != "secret"}]
    assert "secret" not in await api.get("a", made["id"])
    assert await api.list("b") == []


async def test_refusal_codes(api: ApiWebhooks) -> None:
    assert await refused(api.add("a", "ftp://hooks.example.com/", None)) == "invalid_webhook_url"
    assert await refused(api.add("a", "https://x/" + "y" * 3000, None)) == "invalid_webhook_url"
    assert await refused(api.add("a", "https://lan.example.com/", None)) == "webhook_url_refused"
    assert await refused(api.add("a", "https://nosuch.example.com/", None)) == (
        "webhook_url_refused"
    )
    assert await refused(api.add("a", PUBLIC, ["message.sent"])) == "unknown_event_type"
    assert await refused(api.add("a", PUBLIC, ["message.status,optout.changed"])) == (
        "unknown_event_type"
    )
    assert await api.list("a") == []


async def test_other_realms_and_impossible_ids_are_not_found(api: ApiWebhooks) -> None:
    theirs = await api.add("b", PUBLIC, ["message.status"])
    await api.test("b", theirs["id"])
    for call in (
        api.get("a", theirs["id"]),
        api.remove("a", theirs["id"]),
        api.test("a", theirs["id"]),
        api.get("a", "ep_\x00"),
        api.delivery("a", "1"),
        api.replay("a", "1"),
        api.delivery("b", "01"),
        api.delivery("b", "2147483648"),
        api.replay("b", "-1"),
    ):
        assert await refused(call) == "not_found"
    assert (await api.delivery("b", "1"))["endpoint_id"] == theirs["id"]


async def test_pages_with_cursors_and_replay(api: ApiWebhooks, store: MemoryWebhooks) -> None:
    endpoint = await api.add("a", PUBLIC, None)
    events = [await api.test("a", endpoint["id"]) for _ in range(5)]
    first = await api.deliveries("a", failed=False, limit=2, cursor=None)
    assert [d["event_id"] for d in first.data] == events[:2:-1] and first.next_cursor
    second = await api.deliveries("a", failed=False, limit=2, cursor=first.next_cursor)
    third = await api.deliveries("a", failed=False, limit=2, cursor=second.next_cursor)
    assert [d["id"] for d in second.data + third.data] == [3, 2, 1]
    assert third.next_cursor is None
    for cursor in ("x", encode_cursor("m", 3), encode_cursor("d", "3x"), encode_cursor("d", 0)):
        assert await refused(api.deliveries("a", failed=False, limit=2, cursor=cursor)) == (
            "invalid_cursor"
        )
    assert await refused(api.deliveries("a", failed=False, limit=0, cursor=None)) == (
        "invalid_request"
    )

    new_id = await api.replay("a", "2")
    assert new_id == 6 and (await api.delivery("a", "6"))["event_id"] == events[1]
    await api.remove("a", endpoint["id"])
    assert await refused(api.replay("a", "2")) == "not_found"
    assert await refused(api.test("a", endpoint["id"])) == "not_found"
