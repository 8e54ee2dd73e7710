"""Webhooks as the JSON API sees them (`/v1/webhooks`): `services.webhooks.Webhooks` (the one
place webhook rules live, shared with the CLI) with /v1's resources and answers.

Its errors become refusals with stable codes: a URL of the wrong form is
`invalid_webhook_url`, one that does not resolve or points where webhooks never go (loopback,
private, metadata addresses) is `webhook_url_refused`, an event type that is not one is
`unknown_event_type`. An endpoint or delivery of another realm is `not_found`, exactly like
one that does not exist, and so is an id that cannot be one (domain/webhook_resource.py).
Deliveries are listed in pages, newest first, with the opaque cursors of services/history.py.
"""

from smsgate.constants import V1_PAGE_MAX
from smsgate.domain.submission import (
    INVALID_CURSOR,
    INVALID_REQUEST,
    INVALID_WEBHOOK_URL,
    NOT_FOUND,
    UNKNOWN_EVENT_TYPE,
    WEBHOOK_URL_REFUSED,
    Refusal,
)
from smsgate.domain.webhook import UnknownEventType
from smsgate.domain.webhook_resource import (
    DeliveryResource,
    EndpointResource,
    NewEndpointResource,
    delivery_resource,
    endpoint_resource,
    is_endpoint_id,
    new_endpoint_resource,
    parse_delivery_id,
    requested_events,
)
from smsgate.domain.webhook_target import RefusedUrl
from smsgate.services.errors import NotFound
from smsgate.services.history import Page, decode_cursor, encode_cursor
from smsgate.services.webhooks import Webhooks

CURSOR_KIND = "d"  # the deliveries' cursors (history's are "m" and "i")


def _not_found(what: str) -> Refusal:
    return Refusal(NOT_FOUND, f"no webhook {what}")


def _endpoint_id(text: str) -> str:
    if not is_endpoint_id(text):
        raise _not_found("endpoint with that id")
    return text


def _delivery_id(text: str) -> int:
    found = parse_delivery_id(text)
    if found is None:
        raise _not_found("delivery with that id")
    return found


class ApiWebhooks:
    """The /v1 webhook use cases of one realm at a time (its name: the key's realm)."""

    def __init__(self, webhooks: Webhooks) -> None:
        self._webhooks = webhooks

    async def add(self, realm: str, url: str, events: list[str] | None) -> NewEndpointResource:
        """A new endpoint for `events` (None: all), with its secret (shown this once)."""
        try:
            types = [e.value for e in requested_events(events)]
            endpoint = await self._webhooks.add(realm, url, types)
        except UnknownEventType as exc:
            raise Refusal(UNKNOWN_EVENT_TYPE, str(exc)) from None
        except RefusedUrl as exc:
            raise Refusal(WEBHOOK_URL_REFUSED, f"url: {exc}") from None
        except ValueError as exc:  # InvalidUrl
            raise Refusal(INVALID_WEBHOOK_URL, f"url: {exc}") from None
        return new_endpoint_resource(endpoint)

    async def list(self, realm: str) -> list[EndpointResource]:
        return [endpoint_resource(e) for e in await self._webhooks.list(realm)]

    async def get(self, realm: str, endpoint_id: str) -> EndpointResource:
        try:
            return endpoint_resource(await self._webhooks.get(realm, _endpoint_id(endpoint_id)))
        except NotFound:
            raise _not_found(f"endpoint {endpoint_id}") from None

    async def remove(self, realm: str, endpoint_id: str) -> None:
        """Remove the endpoint; what it still had to receive is cancelled."""
        try:
            await self._webhooks.remove(realm, _endpoint_id(endpoint_id))
        except NotFound:
            raise _not_found(f"endpoint {endpoint_id}") from None

    async def test(self, realm: str, endpoint_id: str) -> str:
        """Queue a `webhook.test` event for the endpoint; its event id."""
        try:
            return await self._webhooks.test(realm, _endpoint_id(endpoint_id))
        except NotFound:
            raise _not_found(f"endpoint {endpoint_id}") from None

    async def deliveries(
        self, realm: str, *, failed: bool, limit: int, cursor: str | None
    ) -> Page[DeliveryResource]:
        """A page of the realm's deliveries, newest first (`failed`: only given up ones and
        those pending after a failed attempt)."""
        if not 1 <= limit <= V1_PAGE_MAX:
            raise Refusal(INVALID_REQUEST, f"limit must be from 1 to {V1_PAGE_MAX}")
        raw = decode_cursor(CURSOR_KIND, cursor)
        before = parse_delivery_id(raw) if raw is not None else None
        if raw is not None and before is None:
            raise Refusal(INVALID_CURSOR, "cursor is not one this listing gave out")
        rows = await self._webhooks.deliveries(
            realm, failed_only=failed, limit=limit + 1, before=before
        )
        more = len(rows) > limit
        next_cursor = encode_cursor(CURSOR_KIND, rows[limit - 1].id) if more else None
        return Page([delivery_resource(d) for d in rows[:limit]], next_cursor)

    async def delivery(self, realm: str, delivery_id: str) -> DeliveryResource:
        try:
            found = await self._webhooks.delivery(realm, _delivery_id(delivery_id))
            return delivery_resource(found)
        except NotFound:
            raise _not_found(f"delivery {delivery_id}") from None

    async def replay(self, realm: str, delivery_id: str) -> int:
        """Deliver the event of that delivery again, now: the new delivery's id (not_found
        also when its endpoint has been removed)."""
        try:
            return await self._webhooks.replay(_delivery_id(delivery_id), realm)
        except NotFound as exc:
            raise Refusal(NOT_FOUND, str(exc)) from None
