"""The console's webhook use cases: a realm's endpoints (add, test, remove), its deliveries by
page (replay), and the webhook backlog the overview shows.

Changes go through the webhook use cases (services/webhooks.py: the URL and address checks,
secrets, cancelling a removed endpoint's deliveries); reads of pages and the backlog through
the console's queries (store/console_webhooks.py, where the backlog is defined). A realm user
works on their own realm only: another realm, or another realm's endpoint or delivery, is
`NotFound`, exactly like one that does not exist.

A new endpoint's secret is shown once, on the page the add redirects to (Post/Redirect/Get),
never in a URL: `add` keeps the endpoint's id under a random token that only the same session
can take, once (`take_added`), for CONSOLE_SECRET_KEPT_SECONDS at most. What is kept (`Reveals`,
store/console_reveals.py) is in the database, so whichever process answers the redirect finds
it; the token is kept as its SHA-256, the secret is read from the endpoint when shown.
"""

import secrets
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from smsgate.constants import CONSOLE_PAGE_ROWS, CONSOLE_SECRET_KEPT_SECONDS
from smsgate.domain.console import DeliveryRow, Viewer
from smsgate.domain.history import may_be_serial_id
from smsgate.domain.webhook import Endpoint
from smsgate.services.console_auth import token_hash
from smsgate.services.errors import InvalidInput, NotFound
from smsgate.services.webhooks import Webhooks


class WebhookReader(Protocol):
    async def backlog(self, realm_ids: Sequence[int] | None) -> int: ...
    async def deliveries(
        self, realm_id: int, *, failed_only: bool, before: int | None, limit: int
    ) -> list[DeliveryRow]: ...
    async def delivery(self, delivery_id: int) -> DeliveryRow | None: ...


class RealmIds(Protocol):
    async def realm_id(self, name: str) -> int: ...  # NotFound


class Reveals(Protocol):
    """What a page may show once to one session (store/console_reveals.py)."""

    async def keep(
        self, token_hash: str, csrf: str, subject: str, now: float, kept_before: float
    ) -> None: ...
    async def take(self, token_hash: str, csrf: str, kept_since: float) -> str | None: ...


@dataclass(frozen=True, slots=True)
class DeliveryPage:
    rows: list[DeliveryRow]
    next_cursor: int | None  # the `before` of the next page


class ConsoleWebhooks:
    """Webhooks as the console shows and changes them, in the viewer's scope."""

    def __init__(
        self,
        webhooks: Webhooks,
        reader: WebhookReader,
        realms: RealmIds,
        reveals: Reveals,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._webhooks = webhooks
        self._reader = reader
        self._realms = realms
        self._reveals = reveals
        self._clock = clock  # wall time: the process that shows may not be the one that kept

    async def backlog(self, realm_ids: Sequence[int] | None) -> int:
        """The webhook backlog of these realms (None: every realm)."""
        return await self._reader.backlog(realm_ids)

    async def realm_id(self, viewer: Viewer, realm: str) -> int:
        """The id of `realm` if the viewer may see it, else NotFound."""
        realm_id = await self._realms.realm_id(realm)
        if not viewer.sees(realm_id):
            raise NotFound(f"realm {realm} not found")
        return realm_id

    async def endpoints(self, viewer: Viewer, realm: str) -> list[Endpoint]:
        await self.realm_id(viewer, realm)
        return await self._webhooks.list(realm)

    async def endpoint(self, viewer: Viewer, realm: str, endpoint_id: str) -> Endpoint:
        await self.realm_id(viewer, realm)
        return await self._webhooks.get(realm, endpoint_id)

    async def add(self, viewer: Viewer, realm: str, url: str, events: list[str]) -> str:
        """A new endpoint for the event types checked; returns the token `take_added` shows
        it by. ValueError (why) for a URL webhooks may not call or no event type."""
        await self.realm_id(viewer, realm)
        if not events:
            raise InvalidInput("choose at least one event type")
        endpoint = await self._webhooks.add(realm, url, events)
        token = secrets.token_urlsafe(16)
        now = self._clock()
        await self._reveals.keep(
            token_hash(token), viewer.csrf, endpoint.id, now, now - CONSOLE_SECRET_KEPT_SECONDS
        )
        return token

    async def take_added(self, viewer: Viewer, realm: str, token: str | None) -> Endpoint | None:
        """The endpoint of `realm` just added under `token` (with its secret), once, and only
        for the session that added it; None after that, when it was kept too long, or when it
        was removed meanwhile."""
        if not token:
            return None
        kept_since = self._clock() - CONSOLE_SECRET_KEPT_SECONDS
        endpoint_id = await self._reveals.take(token_hash(token), viewer.csrf, kept_since)
        if endpoint_id is None:
            return None
        try:
            return await self.endpoint(viewer, realm, endpoint_id)
        except NotFound:
            return None

    async def test(self, viewer: Viewer, realm: str, endpoint_id: str) -> str:
        """Queue a `webhook.test` event for the endpoint; returns the event's id."""
        await self.realm_id(viewer, realm)
        return await self._webhooks.test(realm, endpoint_id)

    async def remove(self, viewer: Viewer, realm: str, endpoint_id: str) -> None:
        await self.realm_id(viewer, realm)
        await self._webhooks.remove(realm, endpoint_id)

    async def deliveries(
        self,
        viewer: Viewer,
        realm: str,
        *,
        failed_only: bool = False,
        before: int | None = None,
        limit: int = CONSOLE_PAGE_ROWS,
    ) -> DeliveryPage:
        """A page of the realm's deliveries, newest first, ids below the cursor `before`."""
        realm_id = await self.realm_id(viewer, realm)
        rows = await self._reader.deliveries(
            realm_id, failed_only=failed_only, before=before, limit=limit + 1
        )
        more = len(rows) > limit
        rows = rows[:limit]
        return DeliveryPage(rows, rows[-1].delivery.id if more and rows else None)

    async def replay(self, viewer: Viewer, realm: str, delivery_id: int) -> int:
        """Deliver the event of the realm's delivery again, now; returns the new delivery's
        id. NotFound for another realm's; InvalidInput if its endpoint was removed."""
        realm_id = await self.realm_id(viewer, realm)
        found = await self._reader.delivery(delivery_id) if may_be_serial_id(delivery_id) else None
        if found is None or found.realm_id != realm_id:
            raise NotFound(f"webhook delivery {delivery_id} not found")
        if not found.endpoint_live:
            raise InvalidInput(f"the endpoint of delivery {delivery_id} was removed")
        return await self._webhooks.replay(delivery_id, realm)
