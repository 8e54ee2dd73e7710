"""/console/webhooks: a realm's webhook endpoints (add, send a test, remove) and deliveries
(newest first, failed only, by cursor; replay), over services/console_webhooks.py.

An operator chooses the realm (`?realm=`, by default the first by name); a realm user always
sees their own, and another realm in a URL is 404, as is another realm's endpoint or delivery.
Every change is a POST with the CSRF token (console/web.py) answered by a redirect (303) to
the page (Post/Redirect/Get: reloading never posts again), with a notice in its URL that
only the session that made it sees (console/notices.py); a form
with a mistake (a URL webhooks may not call) is answered with the page and the error instead,
nothing having changed. Removing an endpoint asks first: its GET is a confirmation page, and
the POST acts only with `confirm=yes`. A new endpoint's secret is shown once, on the page the
add redirects to, taken by a token (never the secret) in its URL.
"""

from urllib.parse import urlencode

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from smsgate.console.notices import shown, signed
from smsgate.console.web import HEADERS, ROOT, Web
from smsgate.domain.console import Viewer
from smsgate.domain.webhook import ALL_EVENTS, Endpoint
from smsgate.services.console_views import ConsoleViews
from smsgate.services.console_webhooks import ConsoleWebhooks
from smsgate.services.errors import InvalidInput

EVENT_TYPES = [e.value for e in ALL_EVENTS]


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _cursor(text: str | None) -> int | None:
    try:
        return int(text) if text else None
    except ValueError:
        return None


def _back(realm: str, **query: str) -> Response:
    """The redirect answering a change: to the realm's webhooks page."""
    location = f"{ROOT}/webhooks?{urlencode({'realm': realm, **query})}"
    return RedirectResponse(location, status_code=303, headers=HEADERS)


class WebhookPages:
    def __init__(self, web: Web, hooks: ConsoleWebhooks, views: ConsoleViews) -> None:
        self._web = web
        self._hooks = hooks
        self._views = views

    async def _realm(self, viewer: Viewer, asked: str) -> str | None:
        """The realm the page is about: the realm user's own, or the one an operator asked
        for (by default the first by name; None: there are no realms)."""
        if viewer.user.realm is not None:
            return viewer.user.realm
        if asked:
            return asked
        names = sorted((await self._views.realm_names(viewer)).values())
        return names[0] if names else None

    async def show(
        self,
        request: Request,
        viewer: Viewer,
        *,
        error: str | None = None,
        url: str = "",
        events: list[str] | None = None,
        realm: str | None = None,
    ) -> Response:
        """The page: with `error` (and the form as typed), the answer to an add refused."""
        q = request.query_params
        realm = realm or await self._realm(viewer, q.get("realm", "").strip())
        failed = q.get("failed") == "1"
        added: Endpoint | None = None
        endpoints: list[Endpoint] = []
        rows, next_cursor = [], None
        if realm is not None:
            endpoints = await self._hooks.endpoints(viewer, realm)  # NotFound first
            added = await self._hooks.take_added(viewer, realm, q.get("added"))
            page = await self._hooks.deliveries(
                viewer, realm, failed_only=failed, before=_cursor(q.get("before"))
            )
            rows, next_cursor = page.rows, page.next_cursor
        return self._web.render(
            "webhooks.html",
            viewer,
            status_code=400 if error else 200,
            page="webhooks",
            realm=realm,
            realms=sorted((await self._views.realm_names(viewer)).values()),
            endpoints=endpoints,
            added=added,
            rows=rows,
            next_cursor=next_cursor,
            failed=failed,
            notice=None if error else shown(viewer, q),
            error=error,
            url=url,
            event_types=EVENT_TYPES,
            chosen=EVENT_TYPES if events is None else events,
        )

    async def add(self, request: Request, viewer: Viewer) -> Response:
        """POST url, events (checkboxes) and, for an operator, realm."""
        form = await request.form()
        realm = await self._realm(viewer, _text(form, "realm"))
        if realm is None:
            return self._web.not_found(viewer)
        url = _text(form, "url")
        events = [e for e in form.getlist("events") if isinstance(e, str)]
        try:
            token = await self._hooks.add(viewer, realm, url, events)
        except ValueError as exc:
            return await self.show(
                request, viewer, error=f"Not added: {exc}.", url=url, events=events, realm=realm
            )
        return _back(realm, added=token)

    async def test(self, request: Request, viewer: Viewer) -> Response:
        realm, endpoint_id = request.path_params["realm"], request.path_params["endpoint_id"]
        event_id = await self._hooks.test(viewer, realm, endpoint_id)
        notice = f"Test event {event_id} queued for {endpoint_id}: see its delivery below."
        return _back(realm, **signed(viewer, notice))

    async def remove(self, request: Request, viewer: Viewer) -> Response:
        """GET: the confirmation page. POST: removes with `confirm=yes`, else asks again."""
        realm, endpoint_id = request.path_params["realm"], request.path_params["endpoint_id"]
        found = await self._hooks.endpoint(viewer, realm, endpoint_id)
        if request.method == "POST" and (await request.form()).get("confirm") == "yes":
            await self._hooks.remove(viewer, realm, found.id)
            return _back(realm, **signed(viewer, f"Webhook endpoint {found.id} removed."))
        return self._web.render(
            "confirm.html",
            viewer,
            page="webhooks",
            question=f"Remove webhook endpoint {found.id} of realm {realm}?",
            detail=(
                f"{found.url} gets no more events from then on; the deliveries still pending "
                "for it are cancelled. Its secret is no longer used."
            ),
            target=request.url.path,
            button="Remove the endpoint",
            cancel=f"{ROOT}/webhooks?{urlencode({'realm': realm})}",
        )

    async def replay(self, request: Request, viewer: Viewer) -> Response:
        realm, delivery_id = request.path_params["realm"], request.path_params["delivery_id"]
        try:
            new_id = await self._hooks.replay(viewer, realm, delivery_id)
        except InvalidInput as exc:
            return _back(realm, **signed(viewer, f"Not replayed: {exc}."))
        notice = f"Delivery {delivery_id} replayed as delivery {new_id}."
        return _back(realm, **signed(viewer, notice))
