"""Webhook use cases: endpoints (add, list, get, remove, test) and deliveries (list, get, replay).
Events themselves are written by the store, in the transaction of the change that causes them
(store/webhook_outbox.py).

An endpoint's URL is checked when it is added: http or https, and every address its host
resolves to must be one webhooks may call (domain/webhook_target.py; the sender checks again on
every connection). Its secret (`whsec_...`) is made here and shown when it is added; it is kept
in the clear because every attempt is signed with it. Everything takes the realm's name and
sees only that realm: another realm's endpoint or delivery is NotFound, like one that does not
exist.
"""

import builtins
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import Protocol

from smsgate.domain.history import may_be_serial_id
from smsgate.domain.webhook import (
    Delivery,
    Endpoint,
    EndpointState,
    EventType,
    NewEvent,
    event_body,
    new_endpoint_id,
    parse_events,
)
from smsgate.domain.webhook_signing import new_secret
from smsgate.domain.webhook_target import (
    InvalidUrl,
    RefusedUrl,
    addresses_refusal,
    parse_target,
)
from smsgate.store.errors import NotFound

Resolver = Callable[[str, int], Awaitable[list[str]]]


class EndpointStore(Protocol):
    async def add(self, endpoint: Endpoint) -> None: ...
    async def list(self, realm_id: int) -> list[Endpoint]: ...
    async def get(self, realm_id: int, endpoint_id: str) -> Endpoint | None: ...
    async def remove(self, realm_id: int, endpoint_id: str, now: float) -> bool: ...
    async def deliveries(
        self,
        realm_id: int,
        *,
        failed_only: bool = False,
        limit: int = 100,
        before: int | None = None,
    ) -> builtins.list[Delivery]: ...
    async def delivery(self, realm_id: int, delivery_id: int) -> Delivery | None: ...
    async def delivery_realm(self, delivery_id: int) -> int | None: ...
    async def replay(self, delivery_id: int, now: float) -> int | None: ...
    async def enqueue(
        self, events: builtins.list[NewEvent], now: float, *, endpoint_id: str | None = None
    ) -> int: ...


class RealmIds(Protocol):
    async def realm_id(self, name: str) -> int: ...  # NotFound if there is no such realm


class Webhooks:
    """The webhook use cases over the store and the realms."""

    def __init__(
        self,
        store: EndpointStore,
        realms: RealmIds,
        *,
        resolver: Resolver,
        allow_private: bool = False,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._store = store
        self._realms = realms
        self._resolve = resolver
        self._allow_private = allow_private
        self._clock = clock

    async def check_url(self, url: str) -> str:
        """`url` stripped, or why webhooks may not call it: InvalidUrl (its form) or
        RefusedUrl (where it points), both ValueErrors."""
        url = url.strip()
        target = parse_target(url)
        try:
            addresses = await self._resolve(target.host, target.port)
        except UnicodeError:  # IDNA: an empty label, or one over 63 characters
            raise InvalidUrl(f"{target.host!r} is not a valid host name") from None
        except OSError as exc:
            raise RefusedUrl(f"cannot resolve {target.host}: {exc.strerror or exc}") from None
        reason = addresses_refusal(addresses, allow_private=self._allow_private)
        if reason is not None:
            raise RefusedUrl(f"refused: {reason}")
        return url

    async def add(
        self, realm: str, url: str, events: str | Iterable[str] | None = None
    ) -> Endpoint:
        """A new endpoint of `realm` for `events` (default: all); ValueError for a bad URL or
        event type, NotFound for an unknown realm. The result carries the secret."""
        realm_id = await self._realms.realm_id(realm)
        endpoint = Endpoint(
            id=new_endpoint_id(),
            realm_id=realm_id,
            url=await self.check_url(url),
            events=parse_events(events),
            secret=new_secret(),
            state=EndpointState.ACTIVE,
            created_at=self._clock(),
        )
        await self._store.add(endpoint)
        return endpoint

    async def list(self, realm: str) -> list[Endpoint]:
        return await self._store.list(await self._realms.realm_id(realm))

    async def get(self, realm: str, endpoint_id: str) -> Endpoint:
        found = await self._store.get(await self._realms.realm_id(realm), endpoint_id.strip())
        if found is None:
            raise NotFound(f"webhook endpoint {endpoint_id.strip()} not found in realm {realm}")
        return found

    async def remove(self, realm: str, endpoint_id: str) -> None:
        """Remove the endpoint; what it still had to receive is cancelled."""
        realm_id = await self._realms.realm_id(realm)
        if not await self._store.remove(realm_id, endpoint_id.strip(), self._clock()):
            raise NotFound(f"webhook endpoint {endpoint_id.strip()} not found in realm {realm}")

    async def test(self, realm: str, endpoint_id: str) -> str:
        """Queue a `webhook.test` event for this endpoint only; returns the event's id."""
        endpoint = await self.get(realm, endpoint_id)
        now = self._clock()
        data = {"endpoint_id": endpoint.id, "message": "a test event from smsgate"}
        event = NewEvent(
            endpoint.realm_id, EventType.WEBHOOK_TEST, event_body(EventType.WEBHOOK_TEST, now, data)
        )
        await self._store.enqueue([event], now, endpoint_id=endpoint.id)
        return event.id

    async def deliveries(
        self,
        realm: str,
        *,
        failed_only: bool = False,
        limit: int = 100,
        before: int | None = None,
    ) -> builtins.list[Delivery]:
        """The realm's latest deliveries, newest first; `before`: only older ids than that."""
        realm_id = await self._realms.realm_id(realm)
        return await self._store.deliveries(
            realm_id, failed_only=failed_only, limit=limit, before=before
        )

    async def delivery(self, realm: str, delivery_id: int) -> Delivery:
        found = await self._store.delivery(await self._realms.realm_id(realm), delivery_id)
        if found is None:
            raise NotFound(f"webhook delivery {delivery_id} not found")
        return found

    async def replay(self, delivery_id: int, realm: str | None = None) -> int:
        """Deliver the event of `delivery_id` again, now (a new delivery; its id is returned).
        With `realm`, only that realm's deliveries (the JSON API); the CLI may replay any."""
        if not may_be_serial_id(delivery_id):  # past the column: no query (PostgreSQL refuses)
            raise NotFound(f"webhook delivery {delivery_id} not found")
        owner = await self._store.delivery_realm(delivery_id)
        if owner is None or (realm is not None and owner != await self._realms.realm_id(realm)):
            raise NotFound(f"webhook delivery {delivery_id} not found")
        new_id = await self._store.replay(delivery_id, self._clock())
        if new_id is None:
            raise NotFound(f"webhook delivery {delivery_id}: its endpoint was removed")
        return new_id
